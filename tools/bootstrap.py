"""Create or update .venv from requirements.lock: what `make install` runs (stdlib only).

Phases, one progress line each: create the environment (``python -m venv``), install the
pinned packages with uv (``uv pip sync --compile-bytecode``, so that no later process
compiles them again, even where ``PYTHONDONTWRITEBYTECODE`` is set; uv itself comes from
the package index through the environment's pip, at the version the lock pins), install
runspine in editable mode, register the Jupyter kernel. When uv cannot be had or fails, pip installs the same pins.

uv does not read pip's configuration, so the index settings pip would use on this machine
(``pip config list``: index-url, extra-index-url, find-links, constraint, no-index,
trusted-host, cert, timeout; from pip.conf files or ``PIP_*`` variables) are passed to uv
as the equivalent options. With extra indexes, uv chooses among all of them as pip does
(``--index-strategy unsafe-best-match``) rather than stopping at the first index that
knows a package. ``RUNSPINE_INSTALLER=pip`` skips uv.

Usage: ``python3 tools/bootstrap.py [--venv .venv] [--lock requirements.lock]``
and ``python3 tools/bootstrap.py --uv-args`` (print the uv options, for ``make lock``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERNEL = ("runspine", "Python (runspine)")


def say(step: str, text: str) -> None:
    """Start a phase's progress line (finished by :func:`took`)."""
    print(f"runspine install [{step}] {text}", end="", flush=True)


def took(since: float) -> None:
    print(f": {time.monotonic() - since:.1f} s", flush=True)


def run(cmd: list, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run quietly; the caller shows the captured output if it failed."""
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False)


def fail(proc: subprocess.CompletedProcess, what: str) -> None:
    print(flush=True)
    sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
    sys.exit(f"runspine install: {what} failed (exit {proc.returncode}); output above")


def lock_pins(lock: Path) -> dict[str, str]:
    """``name -> version`` of every pin line (markers and hashes ignored)."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;\\#]+)", line)
        if m:
            pins.setdefault(re.sub(r"[-_.]+", "-", m.group(1)).lower(), m.group(2))
    return pins


def lock_lines(lock: Path) -> list[str]:
    return [line for line in lock.read_text(encoding="utf-8").splitlines()
            if re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*==", line)]


def count_pins(lock: Path) -> int:
    """Pin lines that apply to this Python (markers evaluated when pip's vendored
    ``packaging`` is importable; otherwise every pin line)."""
    try:
        from pip._vendor.packaging.markers import Marker
    except ImportError:  # pragma: no cover - a Python without pip
        Marker = None
    n = 0
    for line in lock_lines(lock):
        marker = line.split("#")[0].rstrip(" \\").partition(";")[2].strip()
        n += Marker is None or not marker or Marker(marker).evaluate()
    return n


def pip_config(python: str) -> dict[str, str]:
    """pip's effective settings (``pip config list``: files merged, ``PIP_*`` on top)."""
    proc = run([python, "-m", "pip", "config", "list"])
    if proc.returncode != 0:
        return {}
    found: dict[str, tuple[int, str]] = {}
    rank = {"global": 0, "install": 1, ":env:": 2}  # later sections override earlier ones
    for line in proc.stdout.splitlines():
        m = re.match(r"([^.]*)\.([a-z-]+)='(.*)'$", line.strip())
        if not m or m.group(1) not in rank:
            continue
        section, key, value = m.groups()
        if key not in found or rank[section] >= found[key][0]:
            found[key] = (rank[section], value)
    return {k: v for k, (_, v) in found.items()}


def uv_options(python: str) -> tuple[list[str], dict[str, str]]:
    """The uv command-line options and environment that reproduce pip's index settings."""
    cfg = pip_config(python)
    args: list[str] = []
    env: dict[str, str] = {}
    if cfg.get("index-url"):
        args += ["--index-url", cfg["index-url"]]
    extra = cfg.get("extra-index-url", "").split()
    for url in extra:
        args += ["--extra-index-url", url]
    if extra:
        args += ["--index-strategy", "unsafe-best-match"]
    for loc in cfg.get("find-links", "").split():
        args += ["--find-links", loc]
    for path in cfg.get("constraint", "").split():
        if Path(path).is_file():
            args += ["--constraints", path]
    if cfg.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        args += ["--no-index"]
    for host in cfg.get("trusted-host", "").split():
        args += ["--allow-insecure-host", host]
    if cfg.get("cert") and "SSL_CERT_FILE" not in os.environ:
        env["SSL_CERT_FILE"] = cfg["cert"]
    timeout = cfg.get("timeout") or cfg.get("default-timeout")
    if timeout and "UV_HTTP_TIMEOUT" not in os.environ:
        env["UV_HTTP_TIMEOUT"] = str(int(float(timeout)))
    return args, env


def get_uv(bin_dir: Path, version: str | None) -> tuple[Path | None, str]:
    """uv in the environment at the pinned version (installed by pip if needed), or
    ``(None, reason)``."""
    uv = bin_dir / "uv"
    if uv.exists() and version:
        have = run([uv, "--version"]).stdout.split()
        if len(have) > 1 and have[1] == version:
            return uv, version
    spec = f"uv=={version}" if version else "uv"
    proc = run([bin_dir / "python", "-m", "pip", "install", "--quiet",
                "--disable-pip-version-check", spec])
    if proc.returncode != 0 or not uv.exists():
        tail = (proc.stderr.strip().splitlines() or ["not found after install"])[-1]
        return None, f"pip could not install {spec}: {tail}"
    return uv, run([uv, "--version"]).stdout.split()[1]


def install(venv: Path, lock: Path) -> None:
    start = time.monotonic()
    bin_dir = venv / "bin"
    python = bin_dir / "python"
    version = sys.version.split()[0]
    t = time.monotonic()
    if python.exists():
        say("1/3", f"using the environment {venv}")
    else:
        say("1/3", f"creating the environment {venv} (Python {version})")
        proc = run([sys.executable, "-m", "venv", venv])
        if proc.returncode != 0:
            fail(proc, f"python -m venv {venv}")
    took(t)

    t = time.monotonic()
    n = count_pins(lock)
    say("2/3", f"installing {n} packages from {lock.name} and runspine (editable)")
    uv, why = (None, "RUNSPINE_INSTALLER=pip")
    if os.environ.get("RUNSPINE_INSTALLER", "uv") != "pip":
        uv, why = get_uv(bin_dir, lock_pins(lock).get("uv"))
    done = False
    if uv is not None:
        print(f" with uv {why}", end="", flush=True)
        args, extra_env = uv_options(str(python))
        env = {**os.environ, **extra_env}
        env.pop("VIRTUAL_ENV", None)
        common = ["--python", python, "--quiet", *args]
        # pip compiles the packages' bytecode as it installs; uv does only when asked.
        # Without it, and with PYTHONDONTWRITEBYTECODE set (as on many CI machines and
        # containers), every process would compile the whole scientific stack again on
        # each import: about 3.5 s more per process that imports it (measured: 6.8 s
        # against 3.4 s for the stack), for about 9 s once here.
        proc = run([uv, "pip", "sync", *common, "--compile-bytecode", lock], env=env)
        if proc.returncode == 0:
            proc = run([uv, "pip", "install", *common, "--no-deps", "-e", "."], env=env)
        if proc.returncode == 0:
            done = True
        else:
            print(flush=True)
            sys.stderr.write(proc.stderr[-3000:])
            why = "uv failed, output above"
    if not done:
        print(f" with pip ({why}; slower)", end="", flush=True)
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        proc = run([*pip, "--no-deps", "-r", lock])  # the lock is complete (and excludes)
        if proc.returncode != 0:
            fail(proc, f"pip install -r {lock.name}")
        proc = run([*pip, "--no-deps", "-e", "."])
        if proc.returncode != 0:
            fail(proc, "pip install -e .")
    took(t)

    t = time.monotonic()
    say("3/3", f"registering the Jupyter kernel '{KERNEL[0]}'")
    proc = run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL[0],
                "--display-name", KERNEL[1]])
    if proc.returncode != 0:
        fail(proc, "ipykernel install")
    use_runspine_launcher(venv)
    took(t)
    print(f"runspine install: {venv} ready in {time.monotonic() - start:.1f} s", flush=True)


def use_runspine_launcher(venv: Path) -> None:
    """Start the registered kernel with ``-m runspine.notebook.kernel`` (ipykernel without
    its plain-TCP warning, see that module) instead of ``-m ipykernel_launcher``."""
    spec = venv / "share" / "jupyter" / "kernels" / KERNEL[0] / "kernel.json"
    kernel = json.loads(spec.read_text(encoding="utf-8"))
    kernel["argv"] = ["runspine.notebook.kernel" if a == "ipykernel_launcher" else a
                      for a in kernel["argv"]]
    spec.write_text(json.dumps(kernel, indent=1) + "\n", encoding="utf-8")


def compile_lock(out: Path, hashes: bool) -> None:
    """Re-resolve ``out`` from pyproject.toml (runtime + dev) with uv: exact pins, one
    resolution valid from Python 3.10 up (``--universal``; a package whose newest release
    drops 3.10 gets a second pin with a marker). Existing pins are kept where they still
    satisfy the ranges (uv prefers the versions already in ``out``)."""
    bin_dir = Path(sys.executable).parent
    uv, version = get_uv(bin_dir, None if not (bin_dir / "uv").exists()
                         else run([bin_dir / "uv", "--version"]).stdout.split()[1])
    if uv is None:
        sys.exit(f"runspine lock: {version}")
    args, extra_env = uv_options(sys.executable)
    cmd = [uv, "pip", "compile", "pyproject.toml", "--extra", "dev", "--universal",
           "--python-version", "3.10", "--no-emit-package", "runspine",
           "--custom-compile-command", "make lock", "--no-annotate", "--output-file", out,
           "--excludes", ROOT / "tools" / "lock-excludes.txt", "--quiet", *args]
    if hashes:
        cmd.append("--generate-hashes")
    proc = run(cmd, env={**os.environ, **extra_env})
    if proc.returncode != 0:
        fail(proc, "uv pip compile")
    lines = len(lock_lines(out))
    print(f"runspine lock: {out}: {lines} pins, {count_pins(out)} of them for Python "
          f"{sys.version.split()[0]} (uv {version})")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--venv", type=Path, default=ROOT / ".venv")
    ap.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    ap.add_argument("--uv-args", action="store_true",
                    help="print the uv options equivalent to pip's index settings, then exit")
    ap.add_argument("--compile", type=Path, metavar="LOCK",
                    help="re-resolve LOCK from pyproject.toml with uv pip compile, then exit")
    ap.add_argument("--hashes", action="store_true", help="with --compile: add hashes")
    a = ap.parse_args(argv)
    if a.compile:
        compile_lock(a.compile, a.hashes)
        return
    if a.uv_args:
        args, env = uv_options(sys.executable)
        print(" ".join([*(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                        *map(shlex.quote, args)]))
        return
    install(a.venv, a.lock)


if __name__ == "__main__":
    main()
