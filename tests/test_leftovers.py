"""Messages and processes (issue 22, class 6): what a notebook leaves running and what a
Dask cluster that fails under a sweep leaves behind.

- A daemon a notebook starts so that it escapes every usual way (``setsid`` plus ``env
  -i``: neither the kernel's session nor its ``RUNSPINE_KERNEL_TAG``; a double fork, so
  its parent is gone) does not outlive the build, in a forked kernel and in a normally
  started one (``RUNSPINE_KERNEL_FORK=0``), nor when the kernel dies first.
- A Dask scheduler killed in the middle of a sweep, or a Dask worker killed while it runs
  a point, gives one line naming what failed and no traceback; every point published
  before stays as it was.

Each test asserts the processes and the files afterwards, not only the exit code. The
builds and sweeps under test are ``runspine`` processes (what they leave running is the
point); the sweep that checks what a lost scheduler left runs in process.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from conftest import (
    alive,
    assert_gone,
    finish,
    kill_group,
    make_scratch,
    results_of,
    run_in,
    write_study_notebook,
)

# ------------------------------------------------------------------ daemons of a notebook

DAEMON_PARAMS = ('mark: str = "300"  # the seconds every daemon sleeps: unique per test\n'
                 'seen_file: str = ""  # how many daemons the cell saw running, written here\n'
                 'die: bool = False  # the kernel kills itself once its daemons run\n')

# Three ways out of the kernel's reach; each ends in `sleep MARK` with an empty
# environment, in a session of its own, its parent gone.
DAEMONS = '''import os, subprocess, sys, time
import psutil
from runspine.notebook import results
# 1. setsid(1) in a new session forks (it leads its group) and its parent exits
subprocess.Popen(["setsid", "env", "-i", "sleep", mark], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
# 2. setsid -f from a shell the cell waits for
os.system(f"setsid -f env -i sleep {mark} </dev/null >/dev/null 2>&1")
# 3. a classic double fork with setsid, then exec with an empty environment
subprocess.run([sys.executable, "-c",
    "import os\\n"
    "if os.fork() == 0:\\n"
    "    os.setsid()\\n"
    "    if os.fork() == 0:\\n"
    f"        os.execve('/usr/bin/env', ['env', '-i', 'sleep', {mark!r}], {{}})\\n"
    "    os._exit(0)\\n"
    "os._exit(0)\\n"], env={}, check=True)

def daemons():
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        if p.info["cmdline"] == ["sleep", mark] and p.info["status"] != "zombie":
            found.append(p)
    return found

deadline = time.monotonic() + 60
while len(daemons()) < 3 and time.monotonic() < deadline:
    time.sleep(0.05)
found = daemons()
me = os.getsid(0)
results.record("daemons_running", len(found))
results.record("daemons_outside_the_session", sum(os.getsid(p.pid) != me for p in found))
results.record("daemons_without_tag",
               sum("RUNSPINE_KERNEL_TAG" not in p.environ() for p in found))
if seen_file:
    with open(seen_file, "w") as fh:
        fh.write(str(len(found)))
if die:
    os.kill(os.getpid(), 9)'''


def daemon_notebook(path: Path) -> None:
    write_study_notebook(path, "Daemons", DAEMON_PARAMS, [DAEMONS], {"citation": "Test 2026"})


def sleepers(mark: str) -> list[psutil.Process]:
    """Live processes running ``sleep MARK`` (zombies are gone: their parent reaps)."""
    found = []
    for p in psutil.process_iter(["cmdline", "status"]):
        if p.info["cmdline"] == ["sleep", mark] and p.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(p)
    return found


@pytest.mark.slow
@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked-kernel", "normal-kernel"])
def test_a_daemon_a_notebook_starts_does_not_survive_the_build(fork, tmp_path):
    """``setsid`` + ``env -i`` (its own session, no tag) and a double fork: all three
    daemons were running when the cell ended, none is once ``runspine run`` returns."""
    root = make_scratch(tmp_path / "proj", ())
    daemon_notebook(root / "notebooks" / "00_daemons.ipynb")
    # a duration no other process on the machine sleeps: 300.xxxxxx seconds
    mark = f"300.{os.getpid() % 1000:03d}{random.randrange(1000):03d}"
    reports = tmp_path / "reports"
    try:
        proc = run_in(root, "run", "--reports", str(reports), "--jobs", "1",
                      "-p", "mark", mark, env={"RUNSPINE_KERNEL_FORK": fork})
        left = sleepers(mark)
        assert proc.returncode == 0, proc.stderr
        results = results_of(reports, "00_daemons")
        # the test can fail: the notebook saw its three daemons escape session and tag
        assert results["daemons_running"]["value"] == 3, results
        assert results["daemons_outside_the_session"]["value"] == 3, results
        assert results["daemons_without_tag"]["value"] == 3, results
        assert (reports / "00_daemons" / "report.html").is_file()
        assert not left, [(p.pid, p.ppid()) for p in left]
    finally:
        for p in sleepers(mark):
            p.kill()



# ------------------------------------------------------------------ a Dask cluster failing

STEM = "00_probe"


class Cluster:
    """``dask scheduler`` and ``dask worker`` (no nanny: a killed worker stays dead)
    processes, each in a session of its own so the test can kill one alone."""

    def __init__(self, tmp: Path, workers: int, scheduler_env: dict | None = None):
        self.tmp = tmp
        self.file = tmp / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.scheduler = self._start(
            "scheduler", "scheduler", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(self.file), env=scheduler_env)
        self.address = json.loads(wait_for(lambda: self._scheduler_file(), 120,
                                           "the Dask scheduler's address"))["address"]
        self.workers = [self._start(f"worker{i}", "worker", "--no-nanny", "--nthreads", "1",
                                    "--no-dashboard", "--scheduler-file", str(self.file))
                        for i in range(workers)]
        for i in range(workers):
            wait_for(lambda i=i: "Registered to" in (tmp / f"worker{i}.log").read_text(),
                     120, f"Dask worker {i} to register")

    def _scheduler_file(self):
        try:
            text = self.file.read_text()
            return text if "address" in json.loads(text) else None
        except (OSError, ValueError):
            return None

    def _start(self, log: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        with open(self.tmp / f"{log}.log", "w") as fh:
            proc = subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=fh,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env={**os.environ, **(env or {})},
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.procs:
            kill_group(proc)
            proc.wait(timeout=30)


def wait_for(condition, timeout: float, what: str):
    """Poll ``condition()`` until it is true (returns its value); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"waited {timeout} s for {what}")


def start_sweep(root: Path, grid: Path, reports: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "runspine", "sweep", STEM, "--grid",
                             str(grid), "--reports", str(reports), *args],
                            env={**os.environ, "RUNSPINE_ROOT": str(root)}, cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def fast_done_slow_running(sweep: subprocess.Popen, pid_file: Path, fast: Path) -> int:
    """Wait until the fast point is published and the slow point's kernel runs; its pid."""
    def ready():
        if sweep.poll() is not None:
            pytest.fail(f"the sweep ended early: {sweep.communicate()[1]}")
        pids = [int(p) for p in pid_file.read_text().split()] if pid_file.exists() else []
        running = [p for p in pids if alive(p)]
        return (fast / "report.html").is_file() and len(pids) == 2 and len(running) == 1 \
            and running
    (kernel,) = wait_for(ready, 300, "the fast point's report and the slow point's kernel")
    return kernel


def sweep_grid(tmp_path: Path, pid_file: Path) -> Path:
    grid = tmp_path / "grid.yaml"  # the fast point ends at once, the slow one sleeps
    grid.write_text(f"sleep_s: [0, 600]\npid_file: [{json.dumps(str(pid_file))}]\n")
    return grid


def point_dirs(pid_file: Path) -> tuple[str, str]:
    suffix = "__pid_file=" + str(pid_file).replace("/", "_")
    return "sleep_s=0" + suffix, "sleep_s=600" + suffix


def stderr_lines(proc) -> list[str]:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    return lines


def published(point: Path, value: float = 1.5) -> dict[str, bytes]:
    """The point's report, results and record, verified against its record."""
    from runspine.engine.verify import readable

    assert {"report.html", "results.json"} <= readable(point, "", say=pytest.fail)
    assert json.loads((point / "results.json").read_text())["value"]["value"] == value
    return {p.name: p.read_bytes() for p in point.iterdir() if p.is_file()}


def sweep_case(tmp_path: Path):
    """A scratch project and a two-point grid (one fast, one slow point): the root, the
    kernels' pid file, the grid, the two point names, the reports and sweep directories."""
    root = make_scratch(tmp_path / "proj")
    pid_file = tmp_path / "kernels"
    grid = sweep_grid(tmp_path, pid_file)
    fast, slow = point_dirs(pid_file)
    reports = tmp_path / "reports"
    return root, pid_file, grid, fast, slow, reports, reports / STEM / "sweep"


@pytest.mark.slow
def test_a_scheduler_killed_mid_sweep_is_one_line_and_keeps_the_points_published(tmp_path,
                                                                                  main_in):
    root, pid_file, grid, fast, slow, reports, sweep_dir = sweep_case(tmp_path)
    cluster = Cluster(tmp_path, workers=2)
    try:
        proc = start_sweep(root, grid, reports, "--backend", "dask",
                           "--scheduler", cluster.address)
        try:
            fast_done_slow_running(proc, pid_file, sweep_dir / fast)
            before = published(sweep_dir / fast)
            kill_group(cluster.scheduler)  # SIGKILL: no goodbye to the client
            killed = time.monotonic()
            result = finish(proc, 120)
        finally:
            kill_group(proc)
        assert time.monotonic() - killed < 60  # not the client's reconnection timeouts
    finally:
        cluster.close()
    lines = stderr_lines(result)
    assert result.returncode == 2, result.stderr
    assert lines[0].startswith(f"sweep {STEM}: 2 point(s), 0 reused, running 2"), lines
    assert lines[1].startswith(f"[1/2] ok       {fast} ("), lines
    assert lines[2:] == [
        (f"runspine: error: lost the Dask scheduler at {cluster.address} during the sweep "
         "(scheduler-connection-lost): 1 of 2 point(s) not run; the points already "
         "published are kept, run the sweep again to finish")], lines
    # the good point is as it was published; nothing of the lost one, nothing half-done
    assert published(sweep_dir / fast) == before
    assert not (sweep_dir / slow).exists()
    assert not any((sweep_dir / ".runspine-staging").glob("*"))
    state = json.loads((sweep_dir / "sweep.json").read_text())
    assert list(state["points"]) == [fast] and state["points"][fast]["status"] == "ok"
    # the next sweep (on this machine, in process) reuses the good point
    again = tmp_path / "again.yaml"
    again.write_text(f"sleep_s: [0]\npid_file: [{json.dumps(str(pid_file))}]\n")
    rerun = main_in("sweep", STEM, "--grid", str(again), "--reports", str(reports),
                    root=root)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 point(s), 1 reused, running 0" in rerun.stderr
    assert published(sweep_dir / fast) == before


@pytest.mark.slow
def test_a_dask_worker_killed_mid_point_fails_that_point_alone(tmp_path):
    """The scheduler allows no retry (``allowed-failures: 0``), so the first worker that
    dies running a point fails it; with retries left Dask would run it elsewhere."""
    root, pid_file, grid, fast, slow, reports, sweep_dir = sweep_case(tmp_path)
    cluster = Cluster(tmp_path, workers=2,
                      scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    try:
        proc = start_sweep(root, grid, reports, "--backend", "dask",
                           "--scheduler", cluster.address)
        try:
            kernel = fast_done_slow_running(proc, pid_file, sweep_dir / fast)
            before = published(sweep_dir / fast)
            (worker,) = [w for w in cluster.workers
                         if w.pid in {p.pid for p in psutil.Process(kernel).parents()}]
            os.kill(worker.pid, signal.SIGKILL)  # the worker alone, as the OOM killer would
            result = finish(proc, 120)
        finally:
            kill_group(proc)
        assert_gone([kernel], "the dead worker's kernel")
        survivors = [w for w in cluster.workers if w is not worker]
        assert all(w.poll() is None for w in survivors)
    finally:
        cluster.close()
    lines = stderr_lines(result)
    assert result.returncode == 1, result.stderr
    failed = [ln for ln in lines if ln.startswith("runspine: failed:")]
    assert len(failed) == 1, lines
    assert failed[0].startswith(f"runspine: failed: {STEM} point {slow}: its Dask worker "
                                "(tcp://"), failed
    assert failed[0].endswith(") died while running it; tried on 1 worker(s)"), failed
    assert not [ln for ln in lines if fast in ln and "ok" not in ln], lines
    assert lines[-1].startswith("2 points (1 failed); summary: "), lines
    assert len(lines) == 5, lines  # start, two progress lines, the failure, the summary
    # the good point as published; the summary has both, the dead worker's as failed
    assert published(sweep_dir / fast) == before
    with open(sweep_dir / "summary.csv", newline="") as fh:
        rows = {r["point"]: r for r in csv.DictReader(fh)}
    assert rows[fast]["status"] == "ok" and float(rows[fast]["value"]) == 1.5
    assert rows[slow]["status"] == "failed"
    state = json.loads((sweep_dir / "sweep.json").read_text())
    assert state["points"][fast]["status"] == "ok"
    assert state["points"][slow]["status"] == "failed"
    assert "its Dask worker" in state["points"][slow]["message"]
    assert not (sweep_dir / slow / "report.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("fork", ["1", "0"], ids=["forked-kernel", "normal-kernel"])
def test_the_daemons_of_a_kernel_that_died_do_not_survive_the_build(fork, tmp_path):
    """The kernel kills itself once its three daemons run: they were its children (a
    subreaper's) and are orphans now; the notebook fails, and none of them is running
    once ``runspine run`` returns."""
    root = make_scratch(tmp_path / "proj", ())
    daemon_notebook(root / "notebooks" / "00_daemons.ipynb")
    mark = f"300.{os.getpid() % 1000:03d}{random.randrange(1000):03d}"
    seen = tmp_path / "seen"
    reports = tmp_path / "reports"
    try:
        proc = run_in(root, "run", "--reports", str(reports), "--jobs", "1",
                      "-p", "mark", mark, "-p", "seen_file", str(seen), "-p", "die", "true",
                      env={"RUNSPINE_KERNEL_FORK": fork})
        left = sleepers(mark)
        assert proc.returncode == 1, proc.stderr
        assert seen.read_text() == "3"  # the three were running when the kernel died
        failed = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: failed:")]
        assert len(failed) == 1 and "00_daemons" in failed[0], proc.stderr
        assert "Traceback" not in proc.stderr
        assert not (reports / "00_daemons" / "report.html").exists()
        assert not left, [(p.pid, p.ppid()) for p in left]
    finally:
        for p in sleepers(mark):
            p.kill()
