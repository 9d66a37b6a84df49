"""Linux child subreapers: no process a kernel starts can leave the kernel's tree.

A process marked with ``prctl(PR_SET_CHILD_SUBREAPER)`` adopts every orphan among its
descendants: a daemon that double-forks into a session of its own with an empty
environment (``setsid env -i ...``) re-parents to it, not to ``init``, so
:func:`runspine.engine.provisioner.kill_kernel_tree` finds it among the kernel's
descendants. A forked kernel marks itself (:func:`runspine.engine.zygote.become_kernel`);
a normally started kernel is started through :func:`as_subreaper`. The mark is not
inherited by children but is kept across ``execve``. Elsewhere than Linux, nothing.
"""

from __future__ import annotations

import os
import sys

PR_SET_CHILD_SUBREAPER = 36

#: Run as ``python -E -S -c SUBREAPER CMD...``: become a child subreaper, then be ``CMD``
#: (same pid, same argv). Only the standard library, no ``site``.
SUBREAPER = ("import ctypes, os, sys\n"
             "try:\n"
             "    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)\n"
             "except (OSError, AttributeError):\n"
             "    pass\n"
             "os.execv(sys.argv[1], sys.argv[1:])\n")


def become_subreaper() -> None:
    """Mark this process a child subreaper (Linux; silently nothing elsewhere)."""
    if sys.platform != "linux":
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def as_subreaper(cmd: list[str]) -> list[str]:
    """``cmd`` (a normally started kernel's command) run as a child subreaper on Linux:
    a ``-E -S`` interpreter marks itself and ``exec``s ``cmd``, so the kernel keeps its
    pid and its ``sys.argv``. Elsewhere, or for a command that is not an absolute path
    (the kernel spec's interpreter), ``cmd`` unchanged."""
    if sys.platform != "linux" or not cmd or not os.path.isabs(cmd[0]):
        return list(cmd)
    return [cmd[0], "-E", "-S", "-c", SUBREAPER, *cmd]
