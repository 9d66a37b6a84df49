"""Project set-up: dependency sets agree, notebooks are stripped, Makefile documents itself."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ImportError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(spec).name).lower()


def pyproject_requirements() -> dict[str, Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in meta["dependencies"] + meta["optional-dependencies"]["dev"]]
    out = {}
    for r in reqs:
        out[_name(r.name)] = r
        for extra in r.extras:  # dask[distributed] brings distributed
            out.setdefault(extra, Requirement(extra))
    return out


def lock_pins() -> dict[str, str]:
    """``name -> version`` of the pins that apply to this interpreter (the lock is
    universal: a package may have one pin per Python range, with a marker)."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line
            if req.marker is None or req.marker.evaluate():
                pins[_name(req.name)] = next(iter(req.specifier)).version
    return pins


def test_lock_pins_every_dependency_within_its_range():
    pins = lock_pins()
    for name, req in pyproject_requirements().items():
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (name, pins[name])


def test_environment_yml_lists_the_same_packages():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = [d for d in env["dependencies"] if isinstance(d, str)]
    conda = {_name(re.split(r"[<>=!]", d)[0]) for d in deps} - {"python", "pip"}
    assert conda == set(pyproject_requirements())
    pip_part = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_part == ["-e ."]
    # same ranges as pyproject
    for d in deps:
        name = _name(re.split(r"[<>=!]", d)[0])
        if name in ("python", "pip") or name == "distributed":
            continue
        spec = d[len(re.split(r"[<>=!]", d)[0]):]
        assert str(pyproject_requirements()[name].specifier) == str(Requirement("x" + spec).specifier), d


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, path.name
    assert nb["metadata"]["kernelspec"]["name"] == "runspine"


def test_makefile_default_target_prints_help():
    out = subprocess.run(["make", "-s", "-C", str(ROOT)], capture_output=True, text=True, check=False)
    assert out.returncode == 0
    for target in ("reports", "test", "lab", "lint", "clean"):
        assert re.search(rf"make {target}\s+\S", out.stdout), target


def _bootstrap():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "tools" / "bootstrap.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_uv_gets_the_index_settings_pip_would_use(monkeypatch, tmp_path):
    """`pip config list` (files merged, PIP_* variables shown as :env:) -> uv options."""
    bootstrap = _bootstrap()
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("torch<=2\n")
    listing = "\n".join([
        "global.index-url='https://mirror.example/simple'",
        "global.extra-index-url='file:///opt/a/simple file:///opt/b/simple'",
        "global.find-links='/opt/ignored'",
        ":env:.find-links='/opt/wheels'",  # PIP_FIND_LINKS wins over the file
        f"global.constraint='{constraints}'",
        "global.cert='/etc/ssl/certs/ca.crt'",
        ":env:.default-timeout='180'",
        "global.trusted-host='mirror.example'",
    ])
    monkeypatch.setattr(bootstrap, "run", lambda cmd, env=None: subprocess.CompletedProcess(
        cmd, 0, listing + "\n", ""))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("UV_HTTP_TIMEOUT", raising=False)
    args, env = bootstrap.uv_options("python")
    assert args == ["--index-url", "https://mirror.example/simple",
                    "--extra-index-url", "file:///opt/a/simple",
                    "--extra-index-url", "file:///opt/b/simple",
                    "--index-strategy", "unsafe-best-match",
                    "--find-links", "/opt/wheels",
                    "--constraints", str(constraints),
                    "--allow-insecure-host", "mirror.example"]
    assert env == {"SSL_CERT_FILE": "/etc/ssl/certs/ca.crt", "UV_HTTP_TIMEOUT": "180"}


def test_bootstrap_counts_the_pins_for_this_python(tmp_path):
    bootstrap = _bootstrap()
    lock = tmp_path / "requirements.lock"
    lock.write_text("# header\nnumpy==2.2.6 ; python_full_version < '3.11'\n"
                    "numpy==2.4.6 ; python_full_version >= '3.11'\nsix==1.17.0\n"
                    "uv==0.13.9\n")
    assert bootstrap.count_pins(lock) == 3
    assert bootstrap.lock_pins(lock)["uv"] == "0.13.9"
