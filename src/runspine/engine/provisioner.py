"""The jupyter_client side of a notebook's kernel: a kernel manager and a provisioner that
forks each kernel from a warm template.

:class:`ProjectKernelManager`'s kernel spec (this interpreter's ipykernel, never a
machine-wide ``python3``) selects :class:`ForkProvisioner` (``runspine-fork``, an entry
point in pyproject.toml), so papermill and nbclient drive the kernel like any other. Its
``launch_kernel`` asks this process's :class:`~runspine.engine.template.Template` to fork
a new kernel; everything else (connection file, sockets, signals) is
:class:`~jupyter_client.provisioning.LocalProvisioner`'s. Where forking is unavailable
(not Linux, ``RUNSPINE_KERNEL_FORK=0``) or the template cannot start or dies, the kernel
is started normally after a one-line notice on stderr; the next kernel tries a new
template.
"""

from __future__ import annotations

import asyncio
import functools
import os
import select
import signal
import subprocess
import sys
from importlib.metadata import EntryPoint
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from jupyter_client.provisioning.factory import KernelProvisionerFactory
from traitlets import default

from runspine.engine.subreaper import as_subreaper
from runspine.engine.template import TemplateError, fork_unavailable, template

NAME = "runspine-fork"


@functools.cache
def notice(reason: str) -> None:
    """One line on stderr, once per reason and process."""
    print(f"runspine: starting kernels normally (no warm template: {reason})",
          file=sys.stderr, flush=True)


class ForkedProcess:
    """The ``Popen`` interface :class:`LocalProvisioner` uses, for a process that is not
    our child (the template is its parent): a pidfd tells when it ends, and signals
    exactly that process; its exit status is not known (``returncode`` is 1)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = 1
            os.close(self.pidfd)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.poll() is None:
            select.select([self.pidfd], [], [], timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired(str(self.pid), timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            signal.pidfd_send_signal(self.pidfd, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkProvisioner(LocalProvisioner):
    """Launch the kernel by forking this process's template (see the module docstring)."""

    forked = False

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        """``cmd`` is :class:`ProjectKernelManager`'s kernel spec (``python -m
        ipykernel_launcher`` and its arguments); ``kwargs`` those the kernel manager was
        started with (``cwd``, ``stdout``, and ``deadline``, the :func:`time.monotonic`
        time by which the kernel must be up) and ``env``, set by ``pre_launch``."""
        deadline = kwargs.pop("deadline", None)
        reason = fork_unavailable()
        if reason is None:
            cwd = str(kwargs["cwd"])
            try:
                pid, pidfd = await asyncio.to_thread(  # the loop runs other notebooks
                    template().fork, cmd[3:], kwargs["env"], cwd, kwargs["stdout"].fileno(),
                    deadline)
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


class Client(AsyncKernelClient):
    """Whether the kernel lives is asked of its manager (the process), never of a
    heartbeat: the heartbeat channel's thread could make its socket after an interrupted
    build had closed the ZeroMQ context, and print a traceback."""

    def start_channels(self, shell=True, iopub=True, stdin=True, hb=False,
                       control=True) -> None:
        super().start_channels(shell, iopub, stdin, False, control)


class ProjectKernelManager(AsyncKernelManager):
    """Runs ``sys.executable -m ipykernel_launcher`` through :class:`ForkProvisioner`."""

    @default("client_factory")
    def _client_factory_default(self):
        return Client

    @functools.cached_property
    def kernel_spec(self):
        # the provisioner is known to jupyter_client even where the package's entry
        # point is not installed (a source checkout on PYTHONPATH)
        KernelProvisionerFactory.provisioners.setdefault(NAME, EntryPoint(
            name=NAME, value="runspine.engine.provisioner:ForkProvisioner",
            group=KernelProvisionerFactory.GROUP_NAME))
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                  # no shared ~/.ipython history database (parallel kernels would contend
                  # for it; nobody reads a batch run's history)
                  "--HistoryManager.hist_file=:memory:"],
            display_name="Python (runspine)", language="python", resource_dir="",
            metadata={"kernel_provisioner": {"provisioner_name": NAME}})
