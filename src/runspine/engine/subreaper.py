"""Linux child subreapers: no process a kernel starts outlives the kernel's tree.

A process marked with ``prctl(PR_SET_CHILD_SUBREAPER)`` adopts every orphan among its
descendants: a daemon that double-forks into a session of its own with an empty
environment (``setsid env -i ...``) re-parents to it, not to ``init``. The mark is not
inherited by children. A forked kernel and its template mark themselves
(:mod:`runspine.engine.zygote`); a normally started kernel runs under :func:`as_subreaper`,
this file run as a script in isolated mode (``python -I``): it marks
itself, starts the kernel as its child and, when the kernel ends, kills whatever it
left, then exits as the kernel did. Elsewhere than Linux, nothing.

:func:`end_orphans` is how the template and the supervisor kill what they adopt;
:func:`kill_kernel_tree` ends a kernel with every process it started. psutil is imported
when needed: this file, run as the supervisor, starts the kernel first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
TAG_VAR = "RUNSPINE_KERNEL_TAG"


def become_subreaper() -> bool:
    """Mark this process a child subreaper; False where that is not possible."""
    if sys.platform != "linux":
        return False
    import ctypes

    return ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def as_subreaper(cmd: list[str]) -> list[str]:
    """``cmd`` (a normally started kernel's command, the kernel spec's interpreter
    first) run under this file's supervisor on Linux (the kernel keeps its ``sys.argv``;
    its parent is the supervisor, whose pid the caller sees); elsewhere unchanged."""
    return [cmd[0], "-I", os.path.abspath(__file__), *cmd] if sys.platform == "linux" else cmd


def supervise(cmd: list[str]) -> None:
    """Be the kernel's parent and subreaper (see the module docstring); never returns."""
    if not become_subreaper():
        os.execv(cmd[0], cmd)  # be the kernel itself
    for sig in (signal.SIGINT, signal.SIGTERM):  # sent to the group: the kernel's to act on
        signal.signal(sig, signal.SIG_IGN)
    kernel = os.fork()
    if kernel == 0:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel watches its parent
        try:
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    pid, status = os.waitpid(-1, 0)
    while pid != kernel:  # reap adopted orphans that end on their own, until the kernel ends
        pid, status = os.waitpid(-1, 0)
    end_orphans()  # what the kernel left
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def end_orphans(kernels=()) -> list[int]:
    """In a child subreaper: reap every child that ended, and SIGKILL every other child
    but ``kernels`` (an orphan it adopted) with all it started, until none is left (at
    most 5 s); return the pids reaped."""
    import psutil

    reaped: list[int] = []
    for _ in range(500):
        with contextlib.suppress(ChildProcessError):
            while (pid := os.waitpid(-1, os.WNOHANG)[0]) != 0:
                reaped.append(pid)
        orphans = [p for p in psutil.Process().children() if p.pid not in kernels]
        if not orphans:
            break
        for orphan in orphans:
            with contextlib.suppress(psutil.Error):
                for proc in [orphan, *orphan.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        proc.kill()
        time.sleep(0.01)
    return reaped


def kill_kernel_tree(pid: int | None, tag: str | None) -> None:
    """SIGKILL the kernel ``pid`` and every live process it started: its descendants, the
    members of its session, and the processes carrying ``tag`` in their environment
    (again while any is found, at most 5 times)."""
    import psutil

    def running(proc) -> bool:  # a zombie counts as gone (its parent reaps it)
        with contextlib.suppress(psutil.Error):
            return proc.status() != psutil.STATUS_ZOMBIE
        return False

    def tree() -> list[psutil.Process]:
        found: dict[int, psutil.Process] = {}
        with contextlib.suppress(psutil.Error):
            if pid is not None:  # (psutil.Process(None) is this process)
                kernel = psutil.Process(pid)
                found = {p.pid: p for p in [kernel, *kernel.children(recursive=True)]}
        for proc in psutil.process_iter():
            with contextlib.suppress(psutil.Error, OSError):
                if (proc.pid not in found and proc.pid != os.getpid()
                        and proc.uids().real == os.getuid()
                        and (pid is not None and os.getsid(proc.pid) == pid
                             or tag is not None and proc.environ().get(TAG_VAR) == tag)):
                    found[proc.pid] = proc
        return [p for p in found.values() if running(p)]

    for _ in range(5):
        procs = tree()
        if not procs:
            return
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        deadline = time.monotonic() + 5
        while any(running(p) for p in procs) and time.monotonic() < deadline:
            time.sleep(0.01)


if __name__ == "__main__":
    supervise(sys.argv[1:])
