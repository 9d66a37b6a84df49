"""Shared fixtures.

- ``r_ref``: reference values computed in R (tests/reference/r_reference.json, produced by
  tests/reference/make_reference.R; each case stores the exact R call). Tests cite the
  case id and the R call beside the expected value.
- ``cli``: run the ``runspine`` command in a subprocess (project interpreter): only where
  a notebook runs or the process itself is under test (exit codes end to end, signals).
- ``main_in``: the same command called in this process (``runspine.cli.main``): refusals,
  planning, ``check``, ``new``, reuse decisions, and builds whose process is not what is
  tested (the session keeps one warm kernel template for them: ``warm_template``).
- ``default_build``: every notebook executed once with default parameters into a
  temporary reports directory, once per test run even with pytest-xdist workers
  (``build_once``); notebook tests read its outputs and must not write into it (copy it).
- ``build_once(tmp_path_factory, name, build)``: the general mechanism for anything
  expensive that many tests read (a default build, a built scratch project): the first
  worker to ask builds it under a file lock, the others wait and reuse it.
- ``run_notebooks``: execute chosen notebooks with chosen parameters into a fresh
  reports directory, in process (``main_in``).

Speed (see README "Tests"): the suite runs on every core (pytest-xdist, ``-n auto
--dist loadgroup`` in pyproject.toml), so a test must not write anywhere another test
reads: use ``tmp_path``, or ``@pytest.mark.xdist_group("name")`` to keep the tests that
must share a directory (e.g. the project's own reports/) on one worker. End-to-end tests
beyond the edit loop's (interruption, isolation, determinism, browser, notebooks at other
parameters, and the further cases of a kind the edit loop covers once, see
tests/test_bad_input.py) carry ``@pytest.mark.slow``: ``make test`` runs them, ``make
test-fast`` skips them. ``make test-fast`` still builds every notebook once (the default
build the notebook tests read) and one case of each kind of bad input.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference" / "r_reference.json"

# The environment every in-process build's kernel template is keyed by
# (runspine.engine.template.template_key) is fixed before the first build: importing
# statsmodels.api imports joblib, which sets KMP_INIT_AT_FORK in os.environ, and a test
# process that imported it mid-session (a statistics or sweep test) found every template
# it kept warm stale and started them again.
os.environ.setdefault("KMP_INIT_AT_FORK", "FALSE")

# Bytecode caches even where PYTHONDONTWRITEBYTECODE is set (as on this machine and many
# CI containers), as the install does for .venv: each test process would otherwise
# rewrite and compile every test module again (about 1.2 CPU-s per process), and each of
# the suite's runspine processes and kernels compile the package's modules again. Python
# reads the caches whatever the variable says; they land in gitignored __pycache__/.
sys.dont_write_bytecode = False


def pytest_sessionfinish(session):
    """Close the widgets tests made (the explorer's): left to the interpreter's exit,
    each prints an "Exception ignored in Widget.__del__" traceback after the summary."""
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None:
        # a widget whose comm the kernel-less comm manager no longer lists raises KeyError
        # (in one process, ``-n 0``): it is closed and unlisted by then, so go on with the
        # others (each round unlists at least one widget: the loop ends)
        while True:
            try:
                widgets.Widget.close_all()
                break
            except KeyError:
                continue


def pytest_addoption(parser):
    parser.addoption(
        "--screenshots", action="store_true",
        help="the reader tests also save full-page screenshots of every page (1280 px, "
             "390 px, page 1 of the print) under reports/screenshots/ (make screenshots)")


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # once, in the process xdist's workers start from
        import compileall

        compileall.compile_dir(ROOT / "src", quiet=1)


@pytest.fixture(scope="session")
def r_ref() -> dict:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def run_cli(*args: str, env: dict | None = None, cwd: Path = ROOT,
            timeout: float = 600) -> subprocess.CompletedProcess:
    return finish(start_cli(*args, env=env, cwd=cwd), timeout)


def start_cli(*args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    """``runspine *args`` started in its own session (wait for it with :func:`finish`)."""
    full_env = dict(os.environ)
    full_env.pop("RUNSPINE_OUTPUT_DIR", None)
    if env:
        full_env.update(env)
    return subprocess.Popen([sys.executable, "-m", "runspine", *args], cwd=cwd, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen, timeout: float) -> subprocess.CompletedProcess:
    """Wait for a ``runspine`` started in its own session; past ``timeout``, kill its
    whole process group (driver, workers, kernels) and fail the test with its stderr.
    Never waits unbounded: a leftover process holding the pipes cannot hang the suite."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        err = kill_and_read(proc)
        pytest.fail(f"runspine {' '.join(map(str, proc.args[3:]))} still running after "
                    f"{timeout} s; killed. stderr:\n{err[-3000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_and_read(proc: subprocess.Popen) -> str:
    """Kill ``proc``'s process group and return what it wrote to stderr (bounded wait)."""
    kill_group(proc)
    try:
        return proc.communicate(timeout=30)[1] or ""
    except subprocess.TimeoutExpired:
        return "(no output: the pipes stayed open)"


def alive(pid: int) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def assert_gone(pids, what: str) -> None:
    """Each process in ``pids`` has exited within 20 s."""
    import time

    for pid in pids:
        for _ in range(100):
            if not alive(pid):
                break
            time.sleep(0.2)
        assert not alive(pid), f"{what} {pid} survived"


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL every process in ``proc``'s session group (started with
    ``start_new_session=True``)."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop_group(proc: subprocess.Popen, grace: float = 30) -> None:
    """Stop a server started with ``start_new_session=True``: SIGTERM to its process
    group, then, if it has not exited within ``grace`` seconds, SIGKILL."""
    import signal

    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def cli():
    return run_cli


@pytest.fixture(scope="session", autouse=True)
def warm_template():
    """One kernel template for every in-process build of this test process
    (:func:`runspine.engine.kept_warm`): a build in process skips the template's start
    and imports; each notebook still runs in a new kernel process. A build whose project
    imports other modules, or whose environment differs, gets a template of its own."""
    from runspine.engine import kept_warm

    with kept_warm():
        yield


@pytest.fixture
def templates_set_aside(monkeypatch):
    """For a test that starts, stops or kills kernel templates itself: this process's
    templates (the session's warm ones, :func:`warm_template`) are set aside while it
    runs, out of its reach, and taken back afterwards (the test's own are stopped), so
    the builds after it do not start them again."""
    from runspine.engine import template as owner

    kept = owner.Template()
    kept._swap(owner.template())
    monkeypatch.setattr(owner, "_SPARES", {})
    yield
    owner.stop_template()
    owner.template()._swap(kept)


@pytest.fixture
def main_in(capsys, monkeypatch):
    """``main_in(*args, root=None, cwd=ROOT)``: the ``runspine`` command called in this
    process (``runspine.cli.main``), as :func:`run_cli` would run it from ``cwd`` (with
    ``root``: as :func:`run_in` would, on that project); its exit code and what it
    printed, as a ``CompletedProcess``. For refusals, planning, bookkeeping and builds
    whose process is not under test: no new interpreter, and kernels fork from the
    session's warm template (:func:`warm_template`)."""
    def _main(*args: str, root: Path | None = None,
              cwd: Path = ROOT) -> subprocess.CompletedProcess:
        from runspine.cli import main

        monkeypatch.chdir(cwd)
        monkeypatch.delenv("RUNSPINE_OUTPUT_DIR", raising=False)
        # pytest names the running test here: the same environment for every build
        # keeps one warm kernel template (:func:`warm_template`)
        monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
        if root is not None:
            monkeypatch.setenv("RUNSPINE_ROOT", str(root))
        else:
            monkeypatch.delenv("RUNSPINE_ROOT", raising=False)
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["runspine", *args], code, out, err)
    return _main


def main_here(*args, root: Path) -> int:
    """``runspine *args`` on the project ``root``, in this process, where no test's
    fixtures are at hand (a ``build_once`` build): the environment :func:`main_in` gives
    (the same warm template), restored afterwards; its exit code (what it printed goes
    to pytest's capture)."""
    from runspine.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.delenv("RUNSPINE_OUTPUT_DIR", raising=False)
        mp.delenv("PYTEST_CURRENT_TEST", raising=False)
        mp.setenv("RUNSPINE_ROOT", str(root))
        return main([str(a) for a in args])


@contextlib.contextmanager
def alarm(seconds: int):
    """A read that blocks (a pipe) fails the test after ``seconds`` instead of hanging it."""
    def ring(*_):  # (not an OSError: the code under test must not take it for one)
        raise AssertionError(f"still blocked after {seconds} s")
    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def shared_tmp(tmp_path_factory) -> Path:
    """The temporary directory every xdist worker of this run sees (the run's base
    temporary directory; without xdist, the session's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def build_once(tmp_path_factory, name: str, build) -> Path:
    """``build(path)`` once per test run, shared by every xdist worker; returns ``path``.

    The first caller builds under an exclusive lock; later callers (this worker or
    another) wait for it and reuse the result. A failed build is not retried: every
    caller fails with its message. The result is shared: treat it as read-only."""
    root = shared_tmp(tmp_path_factory)
    path = root / name
    status = root / f"{name}.status"
    with open(root / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        if not status.exists():
            try:
                build(path)
            except BaseException as exc:
                status.write_text(f"failed: {exc}", encoding="utf-8")
                raise
            status.write_text("ok", encoding="utf-8")
    if status.read_text(encoding="utf-8") != "ok":
        pytest.fail(f"shared build {name!r} {status.read_text(encoding='utf-8')}")
    return path


def start_once(tmp_path_factory, name: str, start) -> threading.Thread | None:
    """:func:`build_once`'s build of ``name`` started now, in a process (``start(path)``
    returns it), unless another worker builds or has built it; a thread waits for the
    process, records its outcome as :func:`build_once` does (exit 0 is "ok") and releases
    the lock, so that :func:`build_once` callers wait for it and then reuse it. Returns
    that thread (join it before the session ends), or None."""
    root = shared_tmp(tmp_path_factory)
    status = root / f"{name}.status"
    fh = open(root / f"{name}.lock", "w")  # noqa: SIM115 - the waiting thread closes it
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    if status.exists():
        fh.close()
        return None
    try:
        proc = start(root / name)
    except BaseException:
        fh.close()
        raise

    def wait() -> None:
        try:
            done = finish(proc, 600)
            outcome = "ok" if done.returncode == 0 else (
                f"failed: exit {done.returncode}: {done.stderr[-3000:]}")
        except BaseException as exc:  # noqa: BLE001 - recorded for every caller to fail with
            outcome = f"failed: {exc}"
        status.write_text(outcome, encoding="utf-8")
        fh.close()

    thread = threading.Thread(target=wait, name=f"build {name}", daemon=True)
    thread.start()
    return thread


DEFAULT_BUILD = "reports-default"


def _default_build_args(reports: Path) -> tuple[str, ...]:
    return ("run", "--reports", str(reports), "--jobs", "2")


@pytest.fixture(scope="session")
def default_build(tmp_path_factory) -> Path:
    def build(reports: Path) -> None:
        proc = run_cli(*_default_build_args(reports))
        assert proc.returncode == 0, proc.stderr[-3000:]

    return build_once(tmp_path_factory, DEFAULT_BUILD, build)


@pytest.fixture(scope="session", autouse=True)
def default_build_started(request, tmp_path_factory):
    """When a selected test reads the default build, it starts with the session, in the
    background (:func:`start_once`), and those tests run last among the fast ones
    (:func:`pytest_collection_modifyitems`): the other tests run meanwhile instead of a
    worker waiting for the build."""
    if not any("default_build" in getattr(item, "fixturenames", ())
               for item in request.session.items):
        yield
        return
    waiter = start_once(tmp_path_factory, DEFAULT_BUILD,
                        lambda reports: start_cli(*_default_build_args(reports)))
    yield
    if waiter is not None:
        waiter.join()


@pytest.fixture
def run_notebooks(tmp_path, main_in):
    """``run_notebooks(*names, params=..., reports=...)``: ``runspine run`` of the
    project's notebooks, in process (``main_in``); its result and the reports directory."""
    def _run(*names: str, params: dict | None = None, reports: Path | None = None,
             extra: tuple = ()):
        reports = reports or tmp_path / "reports"
        args = ["run", *names, "--reports", str(reports), "--jobs", "1", *extra]
        for k, v in (params or {}).items():
            args += ["-p", k, json.dumps(v) if not isinstance(v, str) else v]
        return main_in(*args), reports
    return _run


def page_dom(path: Path):
    """The page at ``path`` as a browser parses it (html5lib, elements without a
    namespace), parsed once per version of the file in this test process: several tests
    read the same built page (a report takes about 0.1 s to parse), and none changes the
    tree it is given."""
    st = path.stat()
    return _parsed_page(Path(path), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _parsed_page(path: Path, size: int, mtime_ns: int):
    import html5lib

    return html5lib.parse(path.read_text(encoding="utf-8"), namespaceHTMLElements=False)


def results_of(reports: Path, stem: str) -> dict:
    return json.loads((reports / stem / "results.json").read_text(encoding="utf-8"))


def vals(r_ref: dict, case: str):
    """The value(s) of one R reference case (``values`` dict or a single ``value``)."""
    entry = r_ref[case]
    return entry.get("values", entry.get("value"))


# --------------------------------------------------------------------------- probe project
# A scratch project (a copy of data/ and one small notebook) for runner tests. The probe's
# parameters make it raise, sleep, kill its kernel or show a string.

PROBE_PARAMS = '''fail: bool = False  # raise in the analysis cell
value: float = 1.5  # a number to record [0, 10]
sleep_s: float = 0.0  # seconds to sleep in cell 4 [0, 3600]
die: bool = False  # kill the kernel process in cell 5
pid_file: str = ""  # write the kernel's process id to this file
table: str = ""  # a data package table to show in the report, with the table cell
'''

PROBE_CELLS = [
    ("import os, signal, sys, time\nfrom runspine.notebook import results\n"
    "results.record('interpreter', sys.executable)\nresults.record('value', value)\n"
    "if pid_file:\n    with open(pid_file, 'a') as fh:\n        fh.write(f'{os.getpid()}\\n')"),
    "time.sleep(sleep_s)",
    "if die:\n    os.kill(os.getpid(), signal.SIGKILL)",
    "if fail:\n    raise RuntimeError('probe asked to fail')",
]
PROBE_TABLE_CELL = (
    "if table:\n    from runspine import data\n    from runspine.notebook import helpers as nb\n"
    "    nb.table(data.load_table(table), f'Table {table}')")


def probe_notebook(path: Path, metadata: dict | None = None, table: bool = False) -> None:
    """Write the probe notebook (cells: 1 title, 2 parameters, 3 record, 4 sleep, 5 die,
    6 fail, and with ``table`` 7, which shows a data table through the notebooks'
    helpers). Without the table cell the project's kernel template imports no plotting
    or statistics library (it imports what the notebooks import), so each build of the
    probe starts its kernel sooner: most runner tests need none of it."""
    cells = [*PROBE_CELLS, *([PROBE_TABLE_CELL] if table else [])]
    write_study_notebook(path, "Probe notebook", PROBE_PARAMS, cells,
                         {"citation": "Probe 2026", "headline": "value", **(metadata or {})})


def write_study_notebook(path: Path, title: str, params: str, codes, runspine: dict) -> None:
    """A study notebook: a ``# title`` cell, the parameters cell, then ``codes``; the
    project's kernel and ``runspine`` metadata; stable cell ids."""
    nb = new_notebook()
    cell = new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell(f"# {title}"), cell, *[new_code_cell(c) for c in codes]]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nb.metadata = {"kernelspec": {"name": "runspine", "display_name": "Python (runspine)",
                                  "language": "python"},
                   "runspine": runspine}
    nbformat.write(nb, path)


def make_scratch(root: Path, stems: tuple[str, ...] = ("00_probe",)) -> Path:
    shutil.copytree(ROOT / "data", root / "data")
    (root / "notebooks").mkdir(parents=True)
    for stem in stems:
        probe_notebook(root / "notebooks" / f"{stem}.ipynb")
    return root


@pytest.fixture
def scratch(tmp_path):
    return make_scratch(tmp_path / "proj")


def run_in(root: Path, *args, env=None, timeout: float = 600):
    """Run the command with ``RUNSPINE_ROOT`` pointing at a scratch project."""
    full = {"RUNSPINE_ROOT": str(root)}
    full.update(env or {})
    return run_cli(*args, env=full, timeout=timeout)


def one_line_error(proc) -> str:
    """The single ``runspine: error:`` line of a usage failure (no traceback)."""
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("runspine: error: ")
    assert "Traceback" not in proc.stderr
    return lines[0]


def pytest_collection_modifyitems(config, items):
    """Slow tests first, the longest of them (``@pytest.mark.long(seconds)``) in order
    of their length: xdist hands tests out in this order, so the long ones start early
    and the short ones fill the gaps instead of one worker finishing alone with a long
    one. Tests that read the default build come after the others of their kind: it
    builds in the background from the session's start (:func:`default_build_started`)
    while the others run."""
    def order(item) -> tuple[bool, float, bool]:
        fast = item.get_closest_marker("slow") is None
        long = item.get_closest_marker("long")
        return (fast, -((long.args or (1,))[0] if long else 0),
                "default_build" in getattr(item, "fixturenames", ()))

    items.sort(key=order)
