"""The kernels notebooks run in: one new process per notebook, forked from a warm template.

A :class:`NotebookKernel` runs one notebook and is then killed, with every process it
started. Its kernel manager (:class:`ProjectKernelManager`: this interpreter's ipykernel,
never a machine-wide ``python3``) launches it through :class:`ForkProvisioner`, which asks
this process's :class:`~runspine.engine.template.Template` to fork it; the rest
(connection file, sockets, signals, sent only while the kernel lives) is
:class:`~jupyter_client.provisioning.LocalProvisioner`'s, so papermill and nbclient drive
it like any other kernel. No notebook can see another's state (nothing is shared to
reset), and a kernel starts in a fraction of a second. Where forking is unavailable (not
Linux, ``RUNSPINE_KERNEL_FORK=0``) or the template cannot start or dies, the kernel is
started normally after a one-line notice on stderr; the next kernel tries a new template.
Its own stdout/stderr go to a log file (:meth:`NotebookKernel.log`), never to the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import os
import queue
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from runspine.engine.subreaper import TAG_VAR, as_subreaper, kill_kernel_tree
from runspine.engine.template import TemplateError, fork_unavailable, kernel_env, template


class KernelSetupError(RuntimeError):
    """The kernel could not be started (the notebook never ran)."""


@functools.cache
def notice(reason: str) -> None:
    """One line on stderr, once per reason and process."""
    print(f"runspine: starting kernels normally (no warm template: {reason})",
          file=sys.stderr, flush=True)


class ForkedProcess(psutil.Process):
    """The ``Popen`` interface :class:`LocalProvisioner` uses, for a kernel that is not
    our child (the template is its parent): psutil's, which signals that very process
    (never one that took its pid since), and ``poll``; its exit status is not known (1)."""

    stdin = stdout = stderr = None

    def poll(self) -> int | None:
        with contextlib.suppress(psutil.Error):
            if self.is_running() and self.status() != psutil.STATUS_ZOMBIE:
                return None
        return 1


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
                pid = await asyncio.to_thread(  # the loop runs other notebooks
                    template().fork, cmd[3:], kwargs["env"], cwd, kwargs["stdout"].fileno(),
                    deadline, os.path.dirname(self.parent.connection_file))
                self.process = ForkedProcess(pid)
            except (TemplateError, OSError, psutil.Error) as exc:
                template().stop()  # the next kernel gets a new template
                reason = str(exc)
            else:
                self.pid = self.pgid = pid  # the kernel leads its own session and group
                self.cwd = cwd
                self.forked = True
                return self.connection_info
        notice(reason)
        return await super().launch_kernel(as_subreaper(cmd), **kwargs)

    async def send_signal(self, signum: int) -> None:
        """Only to a live kernel: its group's id is its pid, reused by others once it ends."""
        if self.process is not None and self.process.poll() is None:
            await super().send_signal(signum)


class Client(AsyncKernelClient):
    """Whether the kernel lives is asked of its manager, never of a heartbeat (its thread
    could make a socket after an interrupted build closed the ZeroMQ context)."""

    def start_channels(self, shell=True, iopub=True, stdin=True, hb=False,
                       control=True) -> None:
        super().start_channels(shell, iopub, stdin, False, control)

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Ready once the kernel has answered ``kernel_info`` and the ``idle`` of such a
        request has come on IOPub (connected, and drained of it); asked again when IOPub
        says nothing for 0.05 s (not yet joined) or not that within a second. jupyter_client's
        own wait listened until IOPub had been silent for 0.2 s: 0.2 s more for every
        kernel (0.4 s when it had joined late), and no end while a kernel printed on."""
        end, asked = time.monotonic() + (math.inf if timeout is None else timeout), set()
        while time.monotonic() < end:
            asked.add(self.kernel_info())
            until = time.monotonic() + 1
            with contextlib.suppress(queue.Empty):  # nothing in time (IOPub not yet joined)
                while (await self.shell_channel.get_msg(timeout=1))["parent_header"].get(
                        "msg_id") not in asked:
                    pass
                while time.monotonic() < until:
                    m = await self.iopub_channel.get_msg(timeout=0.05)
                    if m["parent_header"].get("msg_id") in asked and m["content"].get(
                            "execution_state") == "idle":
                        return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
        raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")


class ProjectKernelManager(AsyncKernelManager):
    """Runs ``sys.executable -m ipykernel_launcher``; :class:`NotebookKernel` gives it a
    :class:`ForkProvisioner` and its :class:`Client`."""

    @functools.cached_property
    def kernel_spec(self):
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                  "--HistoryManager.hist_file=:memory:"],  # (no shared history database)
            display_name="Python (runspine)", language="python", resource_dir="")


class NotebookKernel:
    """The kernel of one notebook: :meth:`start` it, run the notebook in ``km``, then
    :meth:`discard` it (always; a kernel never runs a second notebook)."""

    def __init__(self) -> None:
        self.km: ProjectKernelManager | None = None
        self.provisioner: ForkProvisioner | None = None
        self.tag = uuid.uuid4().hex
        self._log = None  # read handle on the kernel's output (the file is unlinked)
        self._sockets = None  # the directory of its Unix sockets

    def alive(self) -> bool:
        proc = self.provisioner and self.provisioner.process
        return proc is not None and proc.poll() is None

    @property
    def forked(self) -> bool:
        """True if the kernel was forked from the template (not started normally)."""
        return self.provisioner is not None and self.provisioner.forked

    async def start(self, cwd: Path, output_dir: Path, deadline: float | None = None) -> None:
        """Start the kernel in ``cwd``, with ``RUNSPINE_OUTPUT_DIR`` set to
        ``output_dir`` (returns once the process exists; nbclient waits for it to
        answer). Waiting for the template ends by ``deadline`` (:func:`time.monotonic`)."""
        from runspine.notebook.results import ENV_VAR

        km = ProjectKernelManager(kernel_name="runspine", kernel_id=self.tag,
                                  client_factory=Client)
        # the manager's provisioner, set before its start (which would look one up by
        # the kernel spec's name among the installed entry points)
        self.provisioner = km.provisioner = ForkProvisioner(
            kernel_id=self.tag, kernel_spec=km.kernel_spec, parent=km)
        self.km = km
        # Unix sockets (the engine is POSIX-only), each kernel's in a directory of its own:
        # with TCP, a port is chosen here and bound by the kernel later, and another process
        # starting a kernel meanwhile may take it ("Address already in use": the kernel dies).
        # Its connection file and log too; the template removes it when the kernel ends.
        self._sockets = tempfile.mkdtemp(prefix="runspine-kernel-")
        km.transport = "ipc"
        km.ip, log = (os.path.join(self._sockets, name) for name in ("k", "kernel.log"))
        km.connection_file = os.path.join(self._sockets, "connection.json")
        env = kernel_env({ENV_VAR: str(output_dir), TAG_VAR: self.tag})
        try:
            with open(log, "ab") as out:  # noqa: ASYNC230 - the kernel's stdout and stderr
                self._log = open(log, "rb")  # noqa: SIM115, ASYNC230 - a local file, kept open
                await km.start_kernel(cwd=str(cwd), env=env, stdout=out, stderr=out,
                                      deadline=deadline)
        except Exception as exc:  # what it wrote stays readable (log()) until discard()
            raise KernelSetupError(f"the kernel did not start: {exc}") from exc
        finally:
            os.unlink(log)  # the kernel writes to its descriptor and we read through ours

    def log(self) -> bytes:
        """What the kernel wrote to stdout/stderr."""
        if self._log is None:
            return b""
        self._log.seek(0)
        return self._log.read()

    def discard(self) -> None:
        """Kill the kernel and every process it started, now (no graceful shutdown: its
        state is of no further use), and remove its files. Safe to call from a signal
        handler and more than once."""
        km, self.km = self.km, None
        if km is not None:
            proc = self.provisioner.process
            with contextlib.suppress(Exception):
                kill_kernel_tree(getattr(proc, "pid", None), self.tag)
            with contextlib.suppress(Exception):  # (None, or gone: nothing to wait for)
                proc.kill()
                proc.wait(timeout=10)
        log, self._log = self._log, None
        if log is not None:
            log.close()
        sockets, self._sockets = self._sockets, None
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
