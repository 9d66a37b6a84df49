"""Execute study notebooks with papermill and publish their reports.

Contract (read by later tools; keep the names)::

    reports/index.html                      links every study report
    reports/manifest.json                   per notebook: parameters, status, timing,
                                            input hashes, package versions
    reports/<stem>/report.html              code hidden, parameters as a header
    reports/<stem>/executed.ipynb           the executed notebook (the log)
    reports/<stem>/results.json             recorded results
    reports/<stem>/tables/<name>.csv        tidy tables

Guarantees:

- everything that can be checked (notebook names, parameter names, types and ranges, the
  data package) is checked before any notebook runs (kernels may already be booting:
  they are stopped);
- kernels always run ``sys.executable`` (the project's interpreter), whatever
  ``python3`` kernelspec the machine has registered; each worker reuses one warm kernel,
  reset to a fresh kernel's state before every notebook (:mod:`runspine.build.kernels`);
- a notebook's outputs are built in a staging directory and swapped in only when the run
  succeeded, so a failure never replaces the previous good report; the failed executed
  notebook is kept as ``reports/<stem>/failed.ipynb``;
- a notebook whose inputs (its source, parameters, data files, ``src/runspine`` code and
  installed package versions) have not changed since its last good run is reused;
- one build at a time per reports directory (a lock file).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from runspine import paths
from runspine.build.params import Parameter, ParameterError, inspect_parameters, resolve

NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
DEFAULT_TIMEOUT = 300  # seconds per cell (``--timeout``)
DEFAULT_TIME_LIMIT = 600  # seconds per notebook (``--time-limit``; metadata runspine.time_limit)
KEY_PACKAGES = ("runspine", "numpy", "pandas", "scipy", "statsmodels", "matplotlib",
                "seaborn", "papermill", "nbconvert", "nbclient", "ipykernel", "frictionless")


def skip_unused_format_checkers() -> None:
    """Keep jsonschema from loading the optional ``rfc3987_syntax`` package in runspine's
    own processes (driver and workers; kernels are untouched).

    When it is installed (JupyterLab pulls it in), importing jsonschema compiles about 40
    grammars for its IRI format checks: about 1.2 s of CPU per process. Neither
    nbformat's nor frictionless's schemas use those formats, so the checks are unused.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: import raises ImportError


class UsageError(Exception):
    """Bad command-line input: unknown notebook, bad parameters, invalid data (exit 2)."""


@dataclass
class Job:
    """One notebook to execute with a full, validated parameter set."""

    stem: str
    path: Path
    values: dict
    defaults: dict
    timeout: float = DEFAULT_TIMEOUT
    cache_key: str = ""
    input_hashes: dict = field(default_factory=dict)
    time_limit: float = DEFAULT_TIME_LIMIT
    fresh_kernel: bool = False  # a kernel of its own instead of the worker's warm one


@dataclass
class Outcome:
    """What happened to one job."""

    stem: str
    status: str  # ok | failed | reused
    duration_s: float = 0.0
    message: str = ""


# --------------------------------------------------------------------------- discovery

def discover(notebooks_dir: Path | None = None) -> dict[str, Path]:
    """Study notebooks by stem (``NN_name.ipynb``), in order."""
    notebooks_dir = Path(notebooks_dir or paths.NOTEBOOKS_DIR)
    return {p.stem: p for p in sorted(notebooks_dir.glob(NOTEBOOK_GLOB))}


def resolve_names(names: Iterable[str], available: dict[str, Path]) -> list[str]:
    """Map user-given names (stem, ``01``, ``1``, or a unique part of the stem) to stems."""
    names = list(names)
    if not names:
        return list(available)
    out = []
    for name in names:
        key = name[:-6] if name.endswith(".ipynb") else Path(name).name
        if key in available:
            match = [key]
        elif key.isdigit():
            match = [s for s in available if s[:2].isdigit() and int(s[:2]) == int(key)]
        else:
            match = [s for s in available if key in s]
        if len(match) != 1:
            known = ", ".join(available) or "none"
            what = "matches several notebooks" if match else "is not a notebook"
            raise UsageError(f"'{name}' {what} (known: {known})")
        if match[0] not in out:
            out.append(match[0])
    return out


# --------------------------------------------------------------------------- hashing

def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_hash(files: Iterable[Path], base: Path) -> str:
    """One hash over several files' relative paths and bytes."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(base)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of the key packages (shown in the manifest)."""
    out = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@functools.lru_cache(maxsize=1)
def environment_hash() -> str:
    """Hash of every installed distribution's name and version (once per process)."""
    items = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    return _sha("\n".join(items).encode())


def shared_hashes(root: Path) -> dict[str, str]:
    """Hashes of the inputs every notebook shares: ``data/``, the package code and the
    installed distributions."""
    data_dir = root / "data"
    data_files = [p for p in data_dir.rglob("*") if p.is_file()] if data_dir.exists() else []
    code = [p for p in paths.SRC_DIR.rglob("*")
            if p.is_file() and p.suffix in (".py", ".j2", ".json", ".css", ".js")
            and "__pycache__" not in p.parts]
    return {"data": tree_hash(data_files, root) if data_files else "",
            "code": tree_hash(code, paths.SRC_DIR),
            "environment": environment_hash()}


def input_hashes(nb_path: Path, root: Path, shared: dict[str, str] | None = None
                 ) -> dict[str, str]:
    """Hashes of everything a notebook's output depends on (its cache inputs)."""
    return {"notebook": _sha(nb_path.read_bytes()), **(shared or shared_hashes(root))}


def cache_key(values: dict, hashes: dict) -> str:
    return _sha(json.dumps({"params": values, "inputs": hashes}, sort_keys=True).encode())


# --------------------------------------------------------------------------- planning

def _runspine_metadata(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        own = meta.get("runspine", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return own if isinstance(own, dict) else {}


def notebook_time_limit(path: Path) -> float:
    """A notebook's own time limit (``metadata.runspine.time_limit``) or the default."""
    try:
        value = float(_runspine_metadata(path).get("time_limit", DEFAULT_TIME_LIMIT))
    except (ValueError, TypeError):
        return float(DEFAULT_TIME_LIMIT)
    return value if value > 0 else float(DEFAULT_TIME_LIMIT)


def wants_fresh_kernel(path: Path) -> bool:
    """``metadata.runspine.fresh_kernel: true``: the notebook changes process state the
    reset between notebooks does not cover, so it gets a kernel of its own."""
    return _runspine_metadata(path).get("fresh_kernel") is True


def plan(names: Iterable[str], cli_params: dict[str, str], file_params: dict,
         timeout: float = DEFAULT_TIMEOUT, notebooks_dir: Path | None = None,
         root: Path | None = None, time_limit: float | None = None,
         fresh_kernels: bool = False) -> list[Job]:
    """Validate names and parameters for every selected notebook; start nothing.

    A parameter is an error when no selected notebook declares it; each notebook gets the
    parameters it declares. ``time_limit`` (seconds per notebook) overrides each notebook's
    own limit. ``fresh_kernels`` gives every notebook a kernel of its own instead of the
    worker's reused one. Raises :class:`UsageError` with a one-line message.
    """
    if timeout <= 0 or (time_limit is not None and time_limit <= 0):
        raise UsageError("--timeout and --time-limit must be positive numbers of seconds")
    root = Path(root or paths.ROOT)
    available = discover(notebooks_dir)
    stems = resolve_names(names, available)
    declared: dict[str, dict[str, Parameter]] = {}
    for stem in stems:
        try:
            declared[stem] = inspect_parameters(available[stem])
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
    all_names = set().union(*[set(d) for d in declared.values()]) if declared else set()
    for name in list(file_params) + list(cli_params):
        if name not in all_names:
            raise UsageError(f"unknown parameter '{name}' (known: {', '.join(sorted(all_names))})")
    jobs = []
    shared = shared_hashes(root)
    for stem in stems:
        decl = declared[stem]
        try:
            values = resolve(decl, {k: v for k, v in file_params.items() if k in decl})
            given = {k: v for k, v in cli_params.items() if k in decl}
            from_cli = resolve(decl, given, from_text=True)  # -p wins over the file
            values.update({k: from_cli[k] for k in given})
            values = {k: values[k] for k in decl}
        except ParameterError as exc:
            raise UsageError(f"{stem}: {exc}") from None
        hashes = input_hashes(available[stem], root, shared)
        jobs.append(Job(stem, available[stem], values, {k: p.default for k, p in decl.items()},
                        timeout, cache_key(values, hashes), hashes,
                        time_limit or notebook_time_limit(available[stem]),
                        fresh_kernels or wants_fresh_kernel(available[stem])))
    return jobs


# --------------------------------------------------------------------------- execution

def _failing_cell(nb) -> tuple[int | None, str]:
    """Index (1-based, in the source notebook) and first line of the cell that failed.

    A cell that raised is marked ``failed`` by papermill. A time-out or a dead kernel
    stops the run inside a cell that papermill then marks ``completed`` (as it does the
    cells that never ran): that is the last code cell with a start time.
    """
    offset = 0
    last_started = None
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            offset += 1  # cells papermill added: not in the source notebook
            continue
        if cell.cell_type != "code":
            continue
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("status") in ("failed", "running"):
            return i + 1 - offset, _first_line(cell)
        if pm.get("start_time"):
            last_started = (i + 1 - offset, _first_line(cell))
    return last_started or (None, "")


def _first_line(cell) -> str:
    first = next((ln for ln in cell.source.splitlines()
                  if ln.strip() and not ln.startswith("#")), "")
    return first.strip()[:60]


def _describe_error(exc: BaseException, job: Job | None = None,
                    over_limit: bool = False) -> str:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(exc, CellTimeoutError) or over_limit:
        if over_limit and job is not None:
            return (f"stopped at the notebook time limit of {job.time_limit:g} s "
                    "(--time-limit, or metadata runspine.time_limit)")
        limit = f" of {job.timeout:g} s" if job is not None else ""
        return f"cell timed out (per-cell limit{limit}, --timeout)"
    if isinstance(exc, DeadKernelError):
        return "the kernel died (killed, crashed or out of memory)"
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"raised {ename}: {str(evalue).splitlines()[0] if evalue else ''}".rstrip(": ")
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _write_atomic(path: Path, text: str) -> None:
    from runspine.notebook.results import atomic_write_text

    atomic_write_text(path, text)


KEEP_SUBDIRS = ("sweep",)  # built by other commands; carried over when a report is replaced


def publish(staging: Path, target: Path) -> None:
    """Swap a finished staging directory in place of ``target`` (renames only).

    Sub-directories that other commands own (``sweep/``) move into the new report
    first. A crash between the renames is undone by :func:`recover`.
    """
    trash = target.parent / ".trash" / f"{target.name}.{uuid.uuid4().hex[:8]}"
    trash.parent.mkdir(parents=True, exist_ok=True)
    failed_old = target / "failed.ipynb"
    if target.exists():
        if failed_old.exists():
            failed_old.unlink()
        for name in KEEP_SUBDIRS:
            if (target / name).is_dir() and not (staging / name).exists():
                os.replace(target / name, staging / name)
        os.replace(target, trash)
    os.replace(staging, target)
    shutil.rmtree(trash, ignore_errors=True)


def recover(reports_dir: Path) -> None:
    """Undo an interrupted build: restore reports a crash left in ``.trash``, rescue
    carried-over sub-directories from half-built staging directories, drop the rest."""
    trash = reports_dir / ".trash"
    staging = reports_dir / ".staging"
    if trash.exists():
        for entry in sorted(trash.iterdir()):
            target = reports_dir / entry.name.rsplit(".", 1)[0]
            if not target.exists():
                os.replace(entry, target)
            else:
                shutil.rmtree(entry, ignore_errors=True)
    if staging.exists():
        for entry in sorted(staging.iterdir()):
            target = reports_dir / entry.name.rsplit(".", 1)[0]
            for name in KEEP_SUBDIRS:
                if (entry / name).is_dir() and target.is_dir() and not (target / name).exists():
                    os.replace(entry / name, target / name)
    shutil.rmtree(staging, ignore_errors=True)


def run_notebook(job: Job, staging: Path, kernel=None, sweep_point: bool = False
                 ) -> str | None:
    """Execute ``job`` and write its outputs (executed notebook, report, results, tables,
    figure) into ``staging``.

    ``kernel`` is a :class:`runspine.build.kernels.WarmKernel` to run in (reset first, kept
    afterwards if the notebook succeeds); ``None`` runs in a kernel of its own. Returns
    ``None`` on success, else a one-line description of the failure (the executed
    notebook, as far as it got, is left in ``staging/executed.ipynb`` and the kernel's
    own output in :func:`kernel_log_path`). The notebook is stopped when one cell runs
    longer than ``job.timeout`` or the whole notebook longer than ``job.time_limit``.
    ``KeyboardInterrupt`` propagates. After any failure the kernel is discarded.
    ``sweep_point`` makes the report's links fit ``reports/<stem>/sweep/<point>/``.
    """
    import logging

    import nbformat
    import papermill

    from runspine.build.kernels import ENGINE, KernelSetupError, WarmKernel, register_engine
    from runspine.site.report import notebook_title, render_report

    # failures are reported as one line; "asyncio" would print the traceback of nbclient's
    # kernel-alive task ("Task exception was never retrieved") when a build is interrupted
    for name in ("papermill", "traitlets", "nbclient", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    register_engine()
    staging.mkdir(parents=True, exist_ok=True)
    kernel_log = kernel_log_path(staging)
    executed = staging / "executed.ipynb"
    own = kernel is None
    kernel = kernel or WarmKernel()
    ok = False
    offset = 0
    try:
        try:
            offset = kernel.prepare(staging, job.path.parent)
        except KernelSetupError as exc:
            kernel_log.write_bytes(kernel.log_since(0))
            return str(exc)
        deadline = time.monotonic() + job.time_limit

        def cell_timeout(cell) -> float:  # the per-cell limit, capped by the notebook's
            return max(0.1, min(job.timeout, deadline - time.monotonic()))

        try:
            papermill.execute_notebook(
                str(job.path), str(executed), parameters=job.values, kernel_name="runspine",
                engine_name=ENGINE, km=kernel.km, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, failure_path=str(executed),
                execution_timeout=job.timeout, timeout_func=cell_timeout, report_mode=False)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a message
            over = time.monotonic() >= deadline - 0.2
            kernel_log.write_bytes(kernel.log_since(offset))
            cell, first = None, ""
            if executed.exists():
                with contextlib.suppress(Exception):
                    cell, first = _failing_cell(nbformat.read(executed, as_version=4))
            where = f"cell {cell} ({first}) " if cell else ""
            return f"{where}{_describe_error(exc, job, over)}"
        ok = True
    finally:
        if own or not ok:
            kernel.discard()
    nb = nbformat.read(executed, as_version=4)
    html = render_report(nb, job.values, job.defaults, notebook_title(nb, job.stem),
                         sweep_point=sweep_point)
    _write_atomic(staging / "report.html", html)
    _save_first_figure(nb, staging / "figure.png")
    if not (staging / "results.json").exists():
        _write_atomic(staging / "results.json", "{}\n")
    return None


def kernel_log_path(staging: Path) -> Path:
    """Where the kernel's stdout/stderr go while a notebook runs in ``staging``."""
    return staging.parent / f"{staging.name}.kernel.log"


_WARM = threading.local()  # one kernel per thread (Dask workers run points in threads)
_ALL_WARM: list = []  # every warm kernel of this process, for the exit hook
_WARM_LOCK = threading.Lock()


def warm_kernel():
    """This thread's reusable kernel (created on first use, started lazily). All of a
    process's warm kernels are stopped when it exits normally."""
    import atexit

    from runspine.build.kernels import WarmKernel

    kernel = getattr(_WARM, "kernel", None)
    if kernel is None:
        kernel = _WARM.kernel = WarmKernel()
        with _WARM_LOCK:
            if not _ALL_WARM:
                atexit.register(discard_all_warm_kernels)
            _ALL_WARM.append(kernel)
    return kernel


def discard_warm_kernel() -> None:
    """Stop this thread's reusable kernel, if any (end of a build, interruption)."""
    kernel, _WARM.kernel = getattr(_WARM, "kernel", None), None
    if kernel is not None:
        kernel.discard()
        with _WARM_LOCK:
            if kernel in _ALL_WARM:
                _ALL_WARM.remove(kernel)


def discard_all_warm_kernels() -> None:
    """Stop every warm kernel of this process (exit, signals)."""
    with _WARM_LOCK:
        kernels = list(_ALL_WARM)
    for kernel in kernels:
        kernel.discard()


def kernel_for(job: Job):
    """The kernel ``job`` runs in: this thread's warm kernel, or None (a kernel of its
    own) when the job asks for a fresh one."""
    return None if job.fresh_kernel else warm_kernel()


def execute(job: Job, reports_dir: Path) -> Outcome:
    """Execute one notebook and, if it succeeds, publish its report (runs in a worker).

    On failure the previous report stays in place, the executed notebook is kept as
    ``<stem>/failed.ipynb`` and the kernel's own output as ``<stem>/failed-kernel.log``. On interruption the staging directory is removed and
    ``KeyboardInterrupt`` propagates.
    """
    start = time.monotonic()
    staging = reports_dir / ".staging" / f"{job.stem}.{uuid.uuid4().hex[:8]}"
    kernel_log = kernel_log_path(staging)
    try:
        failure = run_notebook(job, staging, kernel_for(job))
    except BaseException:  # run_notebook has already discarded the kernel
        shutil.rmtree(staging, ignore_errors=True)
        kernel_log.unlink(missing_ok=True)
        raise
    duration = time.monotonic() - start
    if failure is not None:
        target = reports_dir / job.stem
        target.mkdir(parents=True, exist_ok=True)
        executed = staging / "executed.ipynb"
        kept = ""
        if executed.exists():
            _write_atomic(target / "failed.ipynb", executed.read_text(encoding="utf-8"))
            rel = (target / "failed.ipynb").relative_to(reports_dir.parent) \
                if reports_dir.parent in target.parents else target / "failed.ipynb"
            kept = f"; executed copy: {rel}"
        (target / "failed-kernel.log").unlink(missing_ok=True)
        if kernel_log.exists() and kernel_log.stat().st_size:
            os.replace(kernel_log, target / "failed-kernel.log")
        kernel_log.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        return Outcome(job.stem, "failed", duration, f"{job.stem}: {failure}{kept}")
    publish(staging, reports_dir / job.stem)
    return Outcome(job.stem, "ok", time.monotonic() - start)


def _save_first_figure(nb, target: Path) -> None:
    """Save the notebook's first PNG figure (for the index card)."""
    import base64
    import re

    pattern = re.compile(r'data:image/png;base64,([A-Za-z0-9+/=]+)')
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                target.write_bytes(base64.b64decode(data["image/png"]))
                return
            match = pattern.search(data.get("text/html", ""))
            if match:
                target.write_bytes(base64.b64decode(match.group(1)))
                return


# --------------------------------------------------------------------------- the build

@contextlib.contextmanager
def build_lock(reports_dir: Path):
    """Hold ``reports/.lock`` for the duration of a build; fail fast if another holds it."""
    import fcntl

    reports_dir.mkdir(parents=True, exist_ok=True)
    lock_path = reports_dir / ".lock"
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another runspine build is using {reports_dir} "
                             f"(lock {lock_path}); wait for it to finish") from None
        yield


def read_manifest(reports_dir: Path) -> dict:
    try:
        return json.loads((reports_dir / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"notebooks": {}}


def _reusable(job: Job, manifest: dict, reports_dir: Path) -> bool:
    entry = manifest.get("notebooks", {}).get(job.stem, {})
    return (entry.get("status") == "ok" and entry.get("cache_key") == job.cache_key
            and (reports_dir / job.stem / "report.html").exists())


def run(jobs: list[Job], reports_dir: Path | None = None, workers: int = 1,
        force: bool = False, progress: Callable[[str], None] | None = None,
        precheck: Callable[[], None] | None = None) -> list[Outcome]:
    """Run jobs (in parallel when ``workers`` > 1), update the manifest and the index.

    ``precheck`` (the data validation) runs before any notebook does, while the workers
    (or, with one, this process) start their warm kernels. If it raises, the kernels are
    stopped and nothing is run or written.
    """
    reports_dir = Path(reports_dir or paths.REPORTS_DIR)
    say = progress or (lambda msg: None)
    with build_lock(reports_dir):
        recover(reports_dir)
        manifest = read_manifest(reports_dir)
        todo, outcomes = [], []
        for job in jobs:
            if not force and _reusable(job, manifest, reports_dir):
                outcomes.append(Outcome(job.stem, "reused"))
                say(f"reused   {job.stem} (inputs unchanged)")
            else:
                todo.append(job)
        total = len(todo)
        by_stem = {j.stem: j for j in jobs}
        warm = [j for j in todo if not j.fresh_kernel]
        pool = (_start_pool(min(workers, total), warm[0].path.parent if warm else None)
                if workers > 1 and total > 1 else None)
        try:
            if pool is None and warm:  # this process runs them: boot its kernel meanwhile
                with contextlib.suppress(Exception):  # retried, and reported, by execute()
                    warm_kernel().start(warm[0].path.parent)
            if precheck is not None:
                precheck()
        except BaseException:
            if pool is not None:
                _stop_pool(pool)
            discard_warm_kernel()
            raise
        if todo:
            say(f"running {total} notebook(s) with {min(workers, total)} worker(s)")
        try:
            if pool is not None:
                _run_parallel(pool, todo, reports_dir, outcomes, say)
            else:
                for i, job in enumerate(todo, start=1):
                    say(f"[{i}/{total}] {job.stem} ...")
                    out = execute(job, reports_dir)
                    outcomes.append(out)
                    _say_outcome(say, out, i, total)
        finally:  # also on interruption: record what finished
            discard_warm_kernel()  # the sequential path's kernel (none in the driver otherwise)
            for out in outcomes:
                _update_manifest(manifest, by_stem[out.stem], out)
            write_manifest_and_index(manifest, reports_dir)
    order = {j.stem: i for i, j in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.stem])


def _worker_init() -> None:
    """Pool workers: ignore the terminal's Ctrl-C (the driver decides), turn SIGTERM
    into ``KeyboardInterrupt`` so a worker stops its kernel and drops its staging, and
    stop the same way when the driver dies (killed with SIGKILL, say), so no worker or
    kernel outlives its build."""
    import signal

    skip_unused_format_checkers()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    _watch_parent(os.getppid())


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Send this process SIGTERM once ``parent`` is no longer its parent process.

    A daemon thread polls ``os.getppid()`` (portable across POSIX systems, unlike
    Linux's ``PR_SET_PDEATHSIG``); the signal handler then runs in the main thread. The
    kernel follows on its own: ipykernel exits when its parent (this worker) goes.
    """
    import signal
    import threading

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        _WORKER["orphaned"] = True
        os.kill(os.getpid(), signal.SIGTERM)  # a busy worker stops its kernel first
        time.sleep(30)
        os._exit(1)  # cleanup hung: go anyway

    threading.Thread(target=poll, name="runspine-parent-watch", daemon=True).start()


_WORKER = {"busy": False, "orphaned": False}


def _raise_interrupt(signum, frame):
    if _WORKER["busy"]:
        raise KeyboardInterrupt  # execute() stops its kernel and drops its staging
    discard_all_warm_kernels()  # an idle worker has only its warm kernel to stop
    os._exit(0)


def _execute_in_worker(job: Job, reports_dir: Path) -> Outcome:
    _WORKER["busy"] = True
    try:
        return execute(job, reports_dir)
    finally:
        _WORKER["busy"] = False
        if _WORKER["orphaned"]:
            discard_all_warm_kernels()
            os._exit(1)  # the driver is gone: nobody will read a result


def _warm_up(cwd: str | None = None) -> None:
    """Worker start-up, done while the driver validates the data: the imports every
    notebook run needs, and (unless ``cwd`` is None) the warm kernel, started in ``cwd``
    with the scientific stack imported. The kernel is stopped when the worker exits."""
    _worker_init()
    if cwd is not None:  # launched first: it boots and imports while this worker does
        with contextlib.suppress(Exception):  # a failed start is retried, and reported,
            warm_kernel().start(Path(cwd))    # by the first notebook
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def _start_pool(workers: int, kernel_cwd: Path | None = None) -> ProcessPoolExecutor:
    """A spawned worker pool whose processes start (and import) right away; with
    ``kernel_cwd``, each also starts its warm kernel there."""
    import multiprocessing
    import signal

    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_warm_up,
                               initargs=(str(kernel_cwd) if kernel_cwd else None,))
    # Workers start with Ctrl-C ignored (inherited through exec), so a Ctrl-C while one
    # is still importing cannot print its traceback; the driver's own handler returns
    # as soon as they are spawned.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread() else None
    try:
        for _ in range(workers):  # spawn now, not at the first submit
            pool.submit(time.sleep, 0)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return pool


def in_main_thread() -> bool:
    """True in the main thread (the only one that may set signal handlers)."""
    return threading.current_thread() is threading.main_thread()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now: SIGTERM (each stops its kernel), then SIGKILL."""
    import signal

    procs = list((pool._processes or {}).values())  # no public handle on the processes
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()


def _run_parallel(pool: ProcessPoolExecutor, todo: list[Job], reports_dir: Path,
                  outcomes: list[Outcome], say) -> None:
    """Run jobs in the worker pool; on interruption stop the workers cleanly."""
    total = len(todo)
    try:
        futures = {pool.submit(_execute_in_worker, job, reports_dir): job for job in todo}
        for i, fut in enumerate(as_completed(futures), start=1):
            out = fut.result()
            outcomes.append(out)
            _say_outcome(say, out, i, total)
    except BaseException:
        _stop_pool(pool)
        raise
    # every result is in: the idle workers stop their kernels and exit at once on SIGTERM
    # (a normal shutdown would also tear down each worker's interpreter, ~0.15 s)
    _stop_pool(pool)


def _say_outcome(say, out: Outcome, i: int, total: int) -> None:
    if out.status == "ok":
        say(f"[{i}/{total}] ok       {out.stem} ({out.duration_s:.1f} s)")
    else:
        say(f"[{i}/{total}] FAILED   {out.message}")


def _update_manifest(manifest: dict, job: Job, out: Outcome) -> None:
    entries = manifest.setdefault("notebooks", {})
    old = entries.get(job.stem, {})
    if out.status == "reused":
        old["reused"] = True
        old.setdefault("timing", {})["duration_s"] = 0.0
        entries[job.stem] = old
        return
    entry = {"notebook": f"notebooks/{job.path.name}", "parameters": job.values,
             "status": out.status, "reused": False, "input_hashes": job.input_hashes,
             "package_versions": package_versions(), "message": out.message,
             "timing": {"duration_s": round(out.duration_s, 3)}}
    if out.status == "ok":
        entry["cache_key"] = job.cache_key
        entry["report"] = f"{job.stem}/report.html"
    elif old.get("status") == "ok" or old.get("last_good"):
        # keep what the previous good report was built from
        entry["last_good"] = old.get("last_good") or {
            k: old.get(k) for k in ("parameters", "input_hashes", "cache_key", "report")}
    entries[job.stem] = entry


def write_manifest_and_index(manifest: dict, reports_dir: Path) -> None:
    from runspine.site.index import render_claims_page, render_index

    manifest["notebooks"] = dict(sorted(manifest.get("notebooks", {}).items()))
    manifest["schema"] = "runspine-manifest/1"
    _write_atomic(reports_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    _write_atomic(reports_dir / "index.html", render_index(manifest, reports_dir))
    _write_atomic(reports_dir / "claims.html", render_claims_page(manifest, reports_dir))


def outcomes_dict(outcomes: list[Outcome]) -> list[dict]:
    return [asdict(o) for o in outcomes]
