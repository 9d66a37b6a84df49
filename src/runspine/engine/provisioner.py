"""A jupyter_client kernel provisioner that forks each kernel from a warm template.

:class:`ForkProvisioner` is selected per kernel spec (``metadata.kernel_provisioner.
provisioner_name = "runspine-fork"``, registered as an entry point in pyproject.toml), so
papermill and nbclient drive the kernel like any other. Its ``launch_kernel`` asks this
process's :class:`Template` (a :mod:`runspine.engine.zygote` process that has imported
the scientific stack) to fork a new kernel; everything else (connection file, ports, signals) is
:class:`~jupyter_client.provisioning.LocalProvisioner`'s. Every kernel is a new process
no notebook has run in, started in about the time of a fork and a kernel handshake.

Where forking is unavailable (not Linux), disabled (``RUNSPINE_KERNEL_FORK=0``), or the
template cannot start or dies, the kernel is started normally after a one-line notice on
stderr; the next notebook tries a new template.

:func:`~runspine.engine.subreaper.kill_kernel_tree` ends a kernel with every process it
started.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import subprocess
import sys
import time
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from runspine.engine.subreaper import as_subreaper, kill_kernel_tree
from runspine.engine.template import TemplateError, fork_unavailable, template

NAME = "runspine-fork"


_NOTICED: set[str] = set()


def notice(reason: str) -> None:
    """One line on stderr, once per reason and process."""
    if reason not in _NOTICED:
        _NOTICED.add(reason)
        print(f"runspine: starting kernels normally (no warm template: {reason})",
              file=sys.stderr, flush=True)


class ForkedProcess:
    """The ``Popen`` interface :class:`LocalProvisioner` uses, for a process that is not
    our child (the template is its parent): a pidfd tells when it ends; its exit status
    is not known (``returncode`` is ``-SIGKILL`` if we killed it, else 1)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.returncode: int | None = None
        self._killed = False

    def poll(self) -> int | None:
        if self.returncode is None and self.pidfd >= 0:
            ready, _, _ = select.select([self.pidfd], [], [], 0)
            if ready:
                self.returncode = -signal.SIGKILL if self._killed else 1
                os.close(self.pidfd)
                self.pidfd = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            select.select([self.pidfd], [], [], 0.5)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            if signum == signal.SIGKILL:
                self._killed = True
            signal.pidfd_send_signal(self.pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Launch the kernel by forking this process's template (see the module docstring)."""

    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        reason = fork_unavailable()
        if reason is None:
            env = dict(kwargs.get("env") or os.environ)
            argv = list(cmd)
            if argv and argv[0] == sys.executable:
                argv = argv[1:]
            out = kwargs.get("stdout")
            log_fd = out.fileno() if hasattr(out, "fileno") else None
            cwd = str(kwargs.get("cwd") or os.getcwd())
            try:
                pid, pidfd = await asyncio.to_thread(  # the loop runs other notebooks
                    template().fork, argv, env, cwd, log_fd, getattr(self.parent, "deadline", None))
            except (TemplateError, OSError) as exc:
                template().stop()  # the next kernel gets a new template
                reason = str(exc)
            else:
                self.process = ForkedProcess(pid, pidfd)
                self.pid = self.pgid = pid  # the kernel leads its own session and group
                self.cwd = cwd
                self.forked = True
                return self.connection_info
        notice(reason)
        return await super().launch_kernel(as_subreaper(cmd), **kwargs)

    async def kill(self, restart: bool = False) -> None:
        if self.process is not None:
            kill_kernel_tree(self.pid, getattr(self.parent, "env_tag", None))
        await super().kill(restart)
