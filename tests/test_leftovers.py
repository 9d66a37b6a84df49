"""Messages and processes (issue 22, class 6): what a notebook leaves running and what a
Dask cluster that fails under a sweep leaves behind.

- A daemon a notebook starts so that it escapes every usual way (``setsid`` plus ``env
  -i``: neither the kernel's session nor its ``RUNSPINE_KERNEL_TAG``; a double fork, so
  its parent is gone) does not outlive the build, in a forked kernel and in a normally
  started one (``RUNSPINE_KERNEL_FORK=0``).
- A Dask scheduler killed in the middle of a sweep, or a Dask worker killed while it runs
  a point, gives one line naming what failed and no traceback; every point published
  before stays as it was.

Each test asserts the processes and the files afterwards, not only the exit code.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import make_scratch, results_of, run_in

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
    nb = new_notebook()
    params = new_code_cell(DAEMON_PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell("# Daemons"), params, new_code_cell(DAEMONS)]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nb.metadata = {"kernelspec": {"name": "runspine", "display_name": "Python (runspine)",
                                  "language": "python"},
                   "runspine": {"citation": "Test 2026"}}
    nbformat.write(nb, path)


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

