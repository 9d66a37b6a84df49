"""Isolation: every notebook runs in a kernel process no other notebook has run in.

A "polluter" notebook changes every kind of process state we could think of (a builtin,
a thread that records later, a pending alarm, IPython shell settings, the recursion
limit, decimal precision, a patched scipy function, a disabled NumPy seed, the umask,
the garbage collector, niceness, environment, ``sys.path``, working directory, warning
filters, library options) and leaves processes behind (a ``start_new_session`` child,
a double-forked daemon). The next notebook, built in the same build (its kernel forked
from the same template), must produce the same bytes (report, results, tables, figure, executed notebook) as a build of that
notebook alone, and nothing the polluter started may be alive when it runs.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import (
    alive,
    assert_gone,
    main_here,
    make_scratch,
    results_of,
    run_in,
    write_study_notebook,
)

POLLUTE = '''import builtins, decimal, gc, os, signal, subprocess, sys, threading, time, warnings
import matplotlib
import matplotlib.pyplot
import numpy as np
import pandas as pd
import scipy.stats
from IPython import get_ipython
from runspine.notebook import results

def _later():  # runs on after this notebook: it would write into the next one's results
    time.sleep(3)
    results.record("from_the_polluter_thread", 1)

threading.Thread(target=_later, daemon=True).start()
builtins.round = lambda *args, **kwargs: 42
signal.alarm(4)  # would kill whatever runs in this process 4 s from now
shell = get_ipython()
shell.ast_node_interactivity = "all"
shell.display_formatter.formatters["text/html"].enabled = False
shell.events.register("post_run_cell", lambda result: print("post_run_cell from the polluter"))
sys.setrecursionlimit(400)
decimal.getcontext().prec = 3
scipy.stats.norm.ppf = lambda *args, **kwargs: 0.0
np.random.seed = lambda *args, **kwargs: None
os.umask(0o077)
gc.disable()
os.nice(1)
os.environ["RUNSPINE_TEST_POLLUTION"] = "1"
sys.path.append("/polluted/path")
warnings.simplefilter("error")
pd.set_option("display.precision", 9)
matplotlib.rcParams["lines.linewidth"] = 7.5
os.chdir("/")
os.write(2, b"polluter wrote this to the kernel's stderr\\n")
# processes left behind: a child in a session of its own, and a double-forked daemon
# whose environment has been cleared (no tag, not in the kernel's session)
orphan = subprocess.Popen(["sleep", "300"], start_new_session=True)
daemon = subprocess.Popen([sys.executable, "-c",
    "import os, subprocess, sys\\n"
    "p = subprocess.Popen(['sleep', '301'], start_new_session=True, env={})\\n"
    "print(p.pid, flush=True)\\nos._exit(0)"], stdout=subprocess.PIPE, env={})
leftovers = [orphan.pid, int(daemon.stdout.readline())]
if left_file:
    with open(left_file, "w") as fh:
        fh.write(" ".join(map(str, leftovers)))
results.record("polluter_only", 1)
if fail:
    raise RuntimeError("asked to fail")'''

OBSERVE = '''import builtins, decimal, gc, os, signal, subprocess, sys, threading, time, warnings
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.stats
from IPython import get_ipython
from runspine.notebook import results
shell = get_ipython()
results.record("round", round(2.567, 2))
results.record("ppf", float(scipy.stats.norm.ppf(0.975)))
np.random.seed(1)
results.record("seeded_draw", float(np.random.rand()))
results.record("decimal_prec", decimal.getcontext().prec)
results.record("recursion_limit", sys.getrecursionlimit())
umask = os.umask(0o022)
os.umask(umask)
results.record("umask", oct(umask))
results.record("interactivity", shell.ast_node_interactivity)
results.record("html_formatter", shell.display_formatter.formatters["text/html"].enabled)
results.record("post_run_cell", len(shell.events.callbacks["post_run_cell"]))
results.record("gc_enabled", gc.isenabled())
results.record("nice", os.nice(0))
results.record("alarm_pending", signal.alarm(0))
results.record("environ", os.environ.get("RUNSPINE_TEST_POLLUTION", "unset"))
results.record("sys_path", "/polluted/path" in sys.path)
results.record("warnings_as_errors", ("error", None, Warning, None, 0) in warnings.filters)
results.record("precision", pd.get_option("display.precision"))
results.record("linewidth", float(matplotlib.rcParams["lines.linewidth"]))
results.record("cwd_is_the_notebooks", os.path.exists("01_observer.ipynb"))
results.record("recorded_before", sorted(results.recorded()))
def running(pid):
    try:
        return open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] not in "ZX"
    except OSError:
        return False
left = open(left_file).read().split() if os.path.exists(left_file) else []
results.record("polluter_leftovers_running", sum(running(int(p)) for p in left))
with open(pid_file, "a") as fh:
    fh.write(f"{os.getpid()}\\n")
# only where the observer fails (the failed-kernel.log test): ipykernel forwards fd 2 from a
# thread, so where the line lands among the outputs is a race the byte comparisons would see
if fail_observer:
    os.write(2, b"observer wrote this to the kernel's stderr\\n")
pd.DataFrame({"x": [1.23456789, 2.0]})'''

OBSERVE_2 = '''fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1], [0, 1])
# a thread or alarm an earlier notebook left in this process would fire now (waited for
# only where a polluter ran: it wrote left_file; the sleep shows in no output)
time.sleep(5 if os.path.exists(left_file) and not fail else 0)
if fail_observer:
    raise RuntimeError("observer asked to fail")'''

PARAMS = ('pid_file: str = ""  # the kernel writes its process id here\n'
          'left_file: str = ""  # the polluter writes the pids it leaves behind here\n'
          'fail: bool = False  # the polluter raises after polluting\n'
          'fail_observer: bool = False  # the observer raises at the end\n')


def write_notebook(path: Path, *codes: str) -> None:
    write_study_notebook(path, path.stem, PARAMS, codes, {"citation": "Test 2026"})


def project(tmp_path: Path, with_polluter: bool = True) -> Path:
    root = make_scratch(tmp_path / ("proj" if with_polluter else "proj-alone"), ())
    if with_polluter:
        write_notebook(root / "notebooks" / "00_polluter.ipynb", POLLUTE,
                       "with open(pid_file, 'a') as fh:\n    fh.write(f'{os.getpid()}\\n')")
    write_notebook(root / "notebooks" / "01_observer.ipynb", OBSERVE, OBSERVE_2)
    return root


def pids(pid_file: Path) -> list[int]:
    return [int(p) for p in pid_file.read_text().split()]


def in_process(root: Path, *args: str, env: dict | None = None
               ) -> subprocess.CompletedProcess:
    """The ``runspine`` command on the project at ``root``, called in this process
    (:func:`conftest.main_here`: kernels fork from the session's warm template), with
    ``env`` set while it runs: its exit code and what it printed. The isolation under
    test is between kernels; the driver's process is not what is tested."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        for k, v in (env or {}).items():
            mp.setenv(k, v)
        code = main_here(*args, root=root)
    return subprocess.CompletedProcess(["runspine", *args], code, out.getvalue(),
                                       err.getvalue())


def build(root: Path, tmp_path: Path, name: str, *extra: str, env: dict | None = None):
    """Build the project one notebook at a time (in process); the pid and leftover files
    are fixed paths (they are parameters, shown in the report, so every build must use the
    same)."""
    pid_file, left_file = tmp_path / "kernel.pids", tmp_path / "leftovers.pids"
    pid_file.unlink(missing_ok=True)
    left_file.unlink(missing_ok=True)
    reports = tmp_path / name
    proc = in_process(root, "run", "--reports", str(reports), "--jobs", "1",
                      "-p", "pid_file", str(pid_file), "-p", "left_file", str(left_file),
                      *extra, env=env)
    return proc, reports, pid_file, left_file


def comparable(stem_dir: Path) -> dict[str, bytes]:
    """Every file a notebook's build publishes, the executed notebook without its run
    times (and the random id papermill gives the cell it injects)."""
    files = {}
    for path in sorted(stem_dir.rglob("*")):
        if path.is_file() and path.name not in ("executed.ipynb", "build.json"):
            files[str(path.relative_to(stem_dir))] = path.read_bytes()
    nb = json.loads((stem_dir / "executed.ipynb").read_text(encoding="utf-8"))
    nb["metadata"].pop("papermill", None)
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell.pop("id")
    files["executed.ipynb (without run times)"] = json.dumps(nb, sort_keys=True).encode()
    return files


def assert_same_build(a: Path, b: Path, what: str) -> None:
    fa, fb = comparable(a), comparable(b)
    assert fa.keys() == fb.keys(), what
    for name in fa:
        assert fa[name] == fb[name], f"{name} differs: {what}"


EXPECTED = {  # a fresh interpreter's state
    "round": 2.57, "ppf": 1.959964, "seeded_draw": 0.417022, "decimal_prec": 28,
    "interactivity": "last_expr", "html_formatter": 1.0, "gc_enabled": 1.0,
    "alarm_pending": 0, "environ": "unset", "sys_path": 0.0, "warnings_as_errors": 0.0,
    "precision": 6, "linewidth": 1.5, "cwd_is_the_notebooks": 1.0,
    "polluter_leftovers_running": 0,
}


@pytest.fixture(scope="session")
def polluted_and_alone(tmp_path_factory):
    """The polluter then the observer in one build (--jobs 1), and the observer built alone (once
    per test process: the suite reorders tests across modules)."""
    tmp = tmp_path_factory.mktemp("isolation")
    proc, after, pid_file, left_file = build(project(tmp), tmp, "after-polluter")
    kernels = pids(pid_file)
    leftovers = pids(left_file)
    alone_proc, alone, _, _ = build(project(tmp, with_polluter=False), tmp, "alone")
    return proc, after, kernels, leftovers, alone_proc, alone


@pytest.mark.slow
@pytest.mark.xdist_group("isolation")  # one polluted build, shared
def test_the_next_notebook_is_byte_identical_to_a_build_of_it_alone(polluted_and_alone):
    proc, after, _, _, alone_proc, alone = polluted_and_alone
    assert proc.returncode == 0, proc.stderr
    assert alone_proc.returncode == 0, alone_proc.stderr
    seen = {k: v["value"] for k, v in results_of(after, "01_observer").items()}
    for key, value in EXPECTED.items():
        expected = pytest.approx(value, abs=1e-6) if isinstance(value, float) else value
        assert seen[key] == expected, key
    assert seen["umask"] == oct(_umask()) and seen["nice"] == os.nice(0)
    assert "from_the_polluter_thread" not in seen and "polluter_only" not in seen
    assert "polluter_only" not in seen["recorded_before"]
    report = (after / "01_observer" / "report.html").read_text()
    assert "post_run_cell from the polluter" not in report
    assert (after / "01_observer" / "figure.png").stat().st_size > 1000
    assert_same_build(after / "01_observer", alone / "01_observer",
                      "the observer after the polluter vs the observer alone")


@pytest.mark.slow
@pytest.mark.xdist_group("isolation")  # one polluted build, shared
def test_two_notebooks_never_share_a_kernel_process(polluted_and_alone):
    """The mutation check: if the observer ran in the polluter's process, its pid would
    be the polluter's (and the comparison above would fail on every polluted value)."""
    _, _, kernels, _, _, _ = polluted_and_alone
    polluter, observer = kernels
    assert polluter != observer
    assert_gone(kernels, "kernel")


@pytest.mark.slow
@pytest.mark.xdist_group("isolation")  # one polluted build, shared
def test_no_process_a_notebook_started_survives_it(polluted_and_alone):
    """The polluter's ``start_new_session`` child and its double-forked daemon (no
    environment, its own session) were gone when the observer looked, and are gone."""
    _, after, _, leftovers, _, _ = polluted_and_alone
    assert len(leftovers) == 2
    assert results_of(after, "01_observer")["polluter_leftovers_running"]["value"] == 0
    assert not any(alive(pid) for pid in leftovers)


@pytest.mark.slow
def test_a_failure_left_by_a_notebook_is_not_blamed_on_the_next(tmp_path):
    """The polluter fails after arming an alarm that would kill its process 4 s later;
    the observer succeeds, and the failure names the polluter only."""
    proc, reports, _, _ = build(project(tmp_path), tmp_path, "failed",
                                "-p", "fail", "true")
    assert proc.returncode == 1
    assert "00_polluter: cell 3" in proc.stderr and "asked to fail" in proc.stderr
    assert not [ln for ln in proc.stderr.splitlines() if "01_observer:" in ln], proc.stderr
    assert (reports / "01_observer" / "report.html").exists()
    assert results_of(reports, "01_observer")["round"]["value"] == 2.57


@pytest.mark.slow
def test_a_failed_notebook_keeps_only_its_own_kernel_output(tmp_path):
    proc, reports, _, _ = build(project(tmp_path), tmp_path, "failed",
                                "-p", "fail_observer", "true")
    assert proc.returncode == 1 and "observer asked to fail" in proc.stderr
    log = (reports / "01_observer" / "failed-kernel.log").read_text()
    assert "observer wrote this" in log and "polluter wrote this" not in log


@pytest.mark.slow
def test_sweep_points_are_isolated_from_each_other(tmp_path):
    """One notebook, two points one after the other: the first pollutes (``fail`` is only a
    parameter here, so both succeed) and leaves processes behind, the second is the same
    bytes as a sweep of the second point alone, and sees none of those processes."""
    root = make_scratch(tmp_path / "proj", ())
    write_notebook(root / "notebooks" / "01_observer.ipynb",
                   "import os\nwith open(pid_file, 'a') as fh:\n    fh.write(f'{os.getpid()}\\n')",
                   "if fail:\n" + "\n".join("    " + ln for ln in POLLUTE.splitlines()
                                             if "raise RuntimeError" not in ln
                                             and not ln.startswith("if fail:")),
                   OBSERVE, OBSERVE_2)
    pid_file, left_file = tmp_path / "kernel.pids", tmp_path / "leftovers.pids"
    out = {}
    for name, values in (("both", "[true, false]"), ("alone", "[false]")):
        pid_file.unlink(missing_ok=True)
        left_file.unlink(missing_ok=True)
        grid = tmp_path / f"{name}.yaml"
        grid.write_text(f"pid_file: [{json.dumps(str(pid_file))}]\n"
                        f"left_file: [{json.dumps(str(left_file))}]\nfail: {values}\n")
        proc = in_process(root, "sweep", "01_observer", "--grid", str(grid), "--jobs", "1",
                          "--reports", str(tmp_path / name))
        assert proc.returncode == 0, proc.stderr
        out[name] = set(pids(pid_file))
        if name == "both":
            leftovers = pids(left_file)
    assert len(out["both"]) == 2, (out, proc.stderr)  # a kernel per point
    sweep = "01_observer/sweep"
    # the alone sweep's one point (its name holds the file paths, shortened when long)
    (point,) = [p.name for p in (tmp_path / "alone" / sweep).iterdir()
                if p.is_dir() and not p.name.startswith(".")]
    seen = results_of(tmp_path / "both" / sweep, point)
    assert seen["round"]["value"] == 2.57 and "from_the_polluter_thread" not in seen
    assert seen["polluter_leftovers_running"]["value"] == 0 and len(leftovers) == 2
    assert not any(alive(pid) for pid in leftovers)
    assert_same_build(tmp_path / "both" / sweep / point, tmp_path / "alone" / sweep / point,
                      "a sweep point after a polluting point vs that point alone")


@pytest.mark.slow
@pytest.mark.xdist_group("isolation")  # one polluted build, shared
def test_forked_and_normally_started_kernels_give_the_same_bytes(polluted_and_alone,
                                                                 monkeypatch):
    """The template must not show: the observer in a normally started kernel
    (``RUNSPINE_KERNEL_FORK=0``, which prints its one-line notice) is the same bytes."""
    from runspine.engine import kernels

    _, _, _, _, alone_proc, alone = polluted_and_alone
    assert "starting kernels normally" not in alone_proc.stderr
    root = alone.parent / "proj-alone"
    kernels.notice.cache_clear()  # the notice is once per process
    proc, normal, _, _ = build(root, alone.parent, "normal", env={"RUNSPINE_KERNEL_FORK": "0"})
    assert proc.returncode == 0, proc.stderr
    notices = [ln for ln in proc.stderr.splitlines() if "starting kernels normally" in ln]
    assert len(notices) == 1, proc.stderr
    assert_same_build(normal / "01_observer", alone / "01_observer",
                      "a normally started kernel vs a forked one")


@pytest.mark.slow
@pytest.mark.long(37)
def test_the_suite_is_byte_identical_in_forked_and_normal_kernels(request, tmp_path):
    """The study notebooks, forked from the build's template (the default build, 2
    at a time) vs normally started kernels (a build in process, 2 at a time): reports,
    results, tables, figures and executed notebooks are the same bytes. (The default
    build is asked for after this one: it builds in the background meanwhile.)"""
    from conftest import ROOT

    normal = tmp_path / "normal"
    proc = in_process(ROOT, "run", "--reports", str(normal), "--jobs", "2",
                      env={"RUNSPINE_KERNEL_FORK": "0"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    default_build = request.getfixturevalue("default_build")
    stems = sorted(p.parent.name for p in default_build.glob("*/report.html"))
    assert len(stems) >= 5
    for stem in stems:
        assert_same_build(default_build / stem, normal / stem, stem)


@pytest.mark.slow
def test_no_kernel_or_template_outlives_its_build(tmp_path):
    root = project(tmp_path)
    root.joinpath("notebooks", "02_observer.ipynb").write_bytes(
        root.joinpath("notebooks", "01_observer.ipynb").read_bytes())
    pid_file = tmp_path / "pids"
    proc = run_in(root, "run", "--reports", str(tmp_path / "r"), "--jobs", "2",
                  "-p", "pid_file", str(pid_file), "-p", "left_file", str(tmp_path / "l"))
    assert proc.returncode == 0, proc.stderr
    kernels = pids(pid_file)
    assert len(set(kernels)) == 3  # three notebooks, three kernels (two at a time)
    assert_gone(kernels, "kernel")
    assert_gone(pids(tmp_path / "l"), "process left by the polluter")
    import time

    for _ in range(50):
        templates = [p for p in _processes() if "runspine.engine.zygote" in p[1]
                     and str(tmp_path) in p[2]]
        if not templates:
            break
        time.sleep(0.2)
    assert not templates, templates


# ------------------------------------------------------------- the template, in-process

@pytest.fixture
def kernel_client():
    from jupyter_client.blocking import BlockingKernelClient

    from runspine.engine.kernels import NotebookKernel

    started = []

    def run(code: str, env: dict | None = None) -> tuple[NotebookKernel, dict]:
        # the environment of the suite's in-process builds (without the running test's
        # name): the kernel forks from the session's warm template (conftest.warm_template)
        old = {k: os.environ.get(k) for k in (*(env or {}), "PYTEST_CURRENT_TEST")}
        os.environ.pop("PYTEST_CURRENT_TEST", None)
        os.environ.update(env or {})
        try:
            kernel = NotebookKernel()
            started.append(kernel)
            asyncio.run(kernel.start(Path.cwd(), Path("/nonexistent")))
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        kc = BlockingKernelClient()
        kc.load_connection_info(kernel.km.get_connection_info())
        kc.start_channels()
        try:
            _wait_for_ready(kc, kernel)
            # the shell reply carries the user expressions: no IOPub subscription to wait
            # for (a loaded machine can take seconds to propagate it)
            msg_id = kc.execute(code, user_expressions={"out": "out"})
            reply = kc.get_shell_msg(timeout=120)
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=120)
        finally:
            kc.stop_channels()
        out = reply["content"]["user_expressions"]["out"]
        assert out["status"] == "ok", out
        return kernel, ast.literal_eval(out["data"]["text/plain"])

    yield run
    for kernel in started:
        kernel.discard()


BLAS_THREADS = '''import os, numpy as np, scipy.linalg
a = np.random.default_rng(0).random((600, 600))
b = a @ a
c = scipy.linalg.solve(a + 600 * np.eye(600), a[:, 0])
out = {"tasks": len(os.listdir("/proc/self/task")), "ppid": os.getppid(),
       "sid": os.getsid(0), "pid": os.getpid(), "sum": float(b.sum() + c.sum())}'''


def test_a_kernel_talks_over_unix_sockets_removed_with_it(kernel_client):
    """No TCP port is chosen for a kernel and bound later (another process starting a
    kernel meanwhile could take it: "Address already in use", a dead kernel): its
    channels are Unix sockets in a directory of its own, gone when it is discarded."""
    kernel, value = kernel_client("out = 1")
    info = kernel.km.get_connection_info()
    assert value == 1 and info["transport"] == "ipc"
    sockets = Path(info["ip"]).parent  # with its connection file, nothing else
    assert Path(kernel.km.connection_file).parent == sockets
    assert sockets.is_dir() and len(list(sockets.glob("k-*"))) == 5  # shell, iopub, ...
    assert {p.name for p in sockets.iterdir() if not p.name.startswith("k-")} == {
        "connection.json"}
    kernel.discard()
    assert not sockets.exists()


def test_a_kernels_client_starts_no_heartbeat_thread(tmp_path, monkeypatch):
    """nbclient's client asks the kernel manager (the process) whether the kernel
    lives; no heartbeat thread is started (one could make its socket after an
    interrupted build had closed the ZeroMQ context, and print a traceback)."""
    import threading

    from runspine.engine.kernels import NotebookKernel

    # the environment of the suite's in-process builds: the kernel forks from the
    # session's warm template (with the running test's name, it started one of its own)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)

    async def check():
        kernel = NotebookKernel()
        try:
            await kernel.start(Path.cwd(), tmp_path)
            kc = kernel.km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=120)
                reply = await kc.kernel_info(reply=True, timeout=60)
                assert reply["content"]["status"] == "ok"
                return [type(t).__name__ for t in threading.enumerate()]
            finally:
                kc.stop_channels()
        finally:
            kernel.discard()

    assert "HBChannel" not in asyncio.run(check())


@pytest.mark.parametrize("late", ["silent", "printing"])
def test_a_kernel_is_ready_once_its_kernel_info_is_answered_however_busy_iopub_is(late):
    """A kernel is ready once it has answered ``kernel_info`` and that request's ``idle``
    has come on IOPub; it is asked again when IOPub joined too late for that request's
    messages (IOPub ``silent``, or ``printing`` a thread's output without them); what
    follows on IOPub is left for the cells' reader, which takes only its own.
    jupyter_client's own wait read IOPub on until it had been silent for 0.2 s: 0.2 s
    more for every kernel, and no end while a kernel's start-up thread printed on."""
    import itertools
    import queue

    from runspine.engine.kernels import Client

    asked = []

    def message(parent, state=None):
        return {"parent_header": {"msg_id": parent},
                "content": {"execution_state": state} if state else {"text": "tick"}}

    class Channel:
        def __init__(self, read):
            self.read = read

        async def get_msg(self, timeout=None):
            await asyncio.sleep(0.001)
            return self.read()

    def shell():
        return message(asked[-1])  # the reply to the last request

    chatter = itertools.count()

    def iopub():
        if len(asked) == 1:  # joined too late: the first request's messages are lost
            if late == "silent":
                raise queue.Empty
            return message("thread")
        n = next(chatter)  # a thread's prints, the request's busy and idle among them
        return message(asked[-1], {3: "busy", 6: "idle"}[n]) if n in (3, 6) else \
            message("thread")

    class Fake(Client):
        shell_channel = property(lambda self: Channel(shell))
        iopub_channel = property(lambda self: Channel(iopub))

        def kernel_info(self):
            asked.append(f"k{len(asked) + 1}")
            return asked[-1]

        async def is_alive(self):
            return True

    asyncio.run(asyncio.wait_for(Fake().wait_for_ready(timeout=60), 30))
    assert asked == ["k1", "k2"]
    assert next(chatter) == 7  # it stopped at the idle: the rest is left unread


@pytest.mark.skipif(sys.platform != "linux", reason="kernels are forked on Linux only")
def test_kernels_fork_from_the_template_and_blas_threads_survive(kernel_client):
    """A forked kernel is the template's child in a session of its own; after NumPy and
    SciPy BLAS calls it runs as many OS threads as a normally started kernel (the
    OpenBLAS pools restart after the fork) and computes the same numbers."""
    from runspine.engine import template as owner

    forked, seen = kernel_client(BLAS_THREADS)
    assert forked.forked
    assert seen["ppid"] == owner.template().proc.pid
    assert seen["sid"] == seen["pid"]
    normal, seen_normal = kernel_client(BLAS_THREADS, env={"RUNSPINE_KERNEL_FORK": "0"})
    assert not normal.forked
    assert seen["tasks"] == seen_normal["tasks"]
    assert seen["sum"] == seen_normal["sum"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="kernels are forked on Linux only")
def test_a_dead_template_falls_back_to_a_normal_kernel_with_a_notice(kernel_client,
                                                                      capfd):
    import signal

    from runspine.engine import template as owner

    first, _ = kernel_client("out = 1")
    assert first.forked
    template = owner.template().proc
    os.kill(template.pid, signal.SIGKILL)
    template.wait(timeout=10)
    fallback, value = kernel_client("out = 2")
    assert value == 2 and not fallback.forked
    notice = [ln for ln in capfd.readouterr().err.splitlines() if "runspine:" in ln]
    assert len(notice) == 1 and "starting kernels normally" in notice[0], notice
    again, _ = kernel_client("out = 3")
    assert again.forked  # the next kernel has a new template


def _wait_for_ready(kc, kernel, timeout: float = 120) -> None:
    """Like ``kc.wait_for_ready`` but judging liveness by the process, not heartbeats
    (which a loaded machine can miss)."""
    import queue
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg_id = kc.kernel_info()
        try:
            while True:
                reply = kc.get_shell_msg(timeout=2)
                if reply["parent_header"].get("msg_id") == msg_id:
                    return
        except queue.Empty:
            assert kernel.alive(), "the kernel died before answering"
    pytest.fail("the kernel did not answer")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _processes() -> list[tuple[int, str, str]]:
    """(pid, command line, environment) of this user's live processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not alive(int(entry.name)):
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            env = (entry / "environ").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found.append((int(entry.name), cmd, env))
    return found


def _in_a_new_interpreter(code: str, **kwargs):
    """Run ``code`` in a fresh ``python -c`` (the project interpreter) and return the
    Python literal its last output line prints."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True, **kwargs).stdout
    return ast.literal_eval(out.strip().splitlines()[-1])


def test_the_template_imports_leave_no_thread_and_no_global_choice():
    """What the template imports: every study module, no Python thread and no ZeroMQ
    context (a fork copies only the calling thread), and not the modules whose import
    changes another's state (matplotlib's backend is the notebook's choice)."""
    failed, problem, modules = _in_a_new_interpreter(
        "import os, sys\n"
        "os.environ['MPLBACKEND'] = 'module://matplotlib_inline.backend_inline'\n"
        "from runspine.engine import zygote\n"
        "failed = zygote.import_stack()\n"
        "print(repr((failed, zygote.fork_safety_problem(), sorted(sys.modules))))")
    assert failed == [] and problem is None
    assert "runspine.notebook.plots" not in modules
    assert "matplotlib_inline.backend_inline" not in modules
    studies = {p.stem for p in (Path(__file__).parents[1] / "src" / "runspine" / "studies")
               .glob("[a-z]*.py")}
    assert {f"runspine.studies.{s}" for s in studies} <= set(modules)


@pytest.mark.parametrize("made", ["zmq.Context.instance()", "zmq.Context()",
                                  "asyncio.new_event_loop()"])
def test_a_zeromq_context_or_an_event_loop_makes_forking_unsafe(made):
    """A module that makes a ZeroMQ context (pyzmq's shared one or its own) or an event
    loop at import: every kernel forked would share its file descriptors, so the
    template refuses to fork (kernels then start normally)."""
    problems = _in_a_new_interpreter(
        "import asyncio, zmq\n"
        "from runspine.engine import zygote\n"
        "before = zygote.fork_safety_problem()\n"
        f"made = {made}\n"
        "print(repr((before, zygote.fork_safety_problem())))")
    assert problems == (None, "a ZeroMQ context or an event loop exists in the template")


def test_a_probe_projects_template_imports_no_analysis_library(tmp_path, monkeypatch):
    """The probe notebook records results: the template follows ``results`` into the
    bibliography (a recorded description names works as "Author year"), not into the
    data tables and pandas; imports under ``if TYPE_CHECKING:`` are never run, so they
    are not followed (``results`` names pandas there, for its type hints)."""
    from runspine.engine import zygote
    from runspine.notebook_file import imports_in

    assert imports_in("import a\nif TYPE_CHECKING:\n    import b\nelse:\n    import c\n"
                      "if typing.TYPE_CHECKING:\n    import d\ndef f():\n    from e import g\n"
                      ) == ["a", "c", "e", "e.g"]
    monkeypatch.setenv("RUNSPINE_ROOT", str(make_scratch(tmp_path / "proj")))
    names = zygote.template_imports()
    assert {"runspine.notebook.results", "runspine.bibliography", "pybtex.exceptions"} \
        <= set(names)
    assert not {n for n in names if n.split(".")[0] in ("pandas", "numpy", "frictionless")}


def test_the_template_imports_what_the_projects_notebooks_import(tmp_path):
    """The template's imports come from the project's notebooks (read, not run), followed
    through runspine's own modules: a project whose notebooks use no statistics never
    waits for statsmodels; a module with import-time effects (plots) is left to the
    notebook, its own imports taken instead; a notebook's local module and a missing one
    are skipped, not imported from the template's working directory and not failures."""
    root = make_scratch(tmp_path / "proj")
    notebooks = root / "notebooks"
    write_notebook(notebooks / "01_extra.ipynb",
                   "%matplotlib inline\nimport json\nfrom runspine.notebook import plots",
                   "import mylocal\nimport not_installed_anywhere_xyz")
    (notebooks / "mylocal.py").write_text("raise SystemExit('imported from the cwd')\n")
    names, failed, modules = _in_a_new_interpreter(
        "import sys\n"
        "from runspine.engine import zygote\n"
        "names = zygote.template_imports()\n"
        "failed = zygote.import_stack()\n"
        "print(repr((names, failed, sorted(sys.modules))))",
        cwd=notebooks, env={**os.environ, "RUNSPINE_ROOT": str(root)})
    assert failed == []
    assert {"json", "runspine.notebook.results", "matplotlib.pyplot", "seaborn",
            "ipykernel.kernelapp"} <= set(names)
    assert "runspine.notebook.plots" not in names and "runspine.notebook.plots" not in modules
    assert "mylocal" not in modules and "not_installed_anywhere_xyz" not in modules
    assert "matplotlib.pyplot" in modules
    assert "statsmodels.api" not in modules and "frictionless" not in modules
    # the project's own notebooks: every study module and the statistics they call
    from runspine.engine import zygote

    real = zygote.template_imports()
    assert {"runspine.studies.hip", "statsmodels.api", "scipy.stats"} <= set(real)
