"""The kernels notebooks run in: one new process per notebook, forked from a warm template.

A :class:`NotebookKernel` runs one notebook and is then killed, with every process it
started. Its kernel manager (:class:`runspine.engine.provisioner.ProjectKernelManager`)
forks it from this process's template. So no notebook can see another's state (a
replaced builtin, a thread left running, a library setting: nothing is shared to
reset), and a kernel starts in a fraction of a second. The kernel's own stdout/stderr
go to a log file (:meth:`NotebookKernel.log`), never to the terminal.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path


class KernelSetupError(RuntimeError):
    """The kernel could not be started (the notebook never ran)."""


def _kernel_process(km):
    """The ``Popen`` (or :class:`~runspine.engine.provisioner.ForkedProcess`) of a kernel
    manager's local kernel, or None."""
    return getattr(getattr(km, "provisioner", None), "process", None)


class NotebookKernel:
    """The kernel of one notebook: :meth:`start` it, run the notebook in ``km``, then
    :meth:`discard` it (always; a kernel never runs a second notebook)."""

    def __init__(self) -> None:
        self.km = None
        self.tag = uuid.uuid4().hex
        self._log = None  # read handle on the kernel's output (the file is unlinked)
        self._sockets = None  # the directory of its Unix sockets

    def alive(self) -> bool:
        proc = _kernel_process(self.km)
        return proc is not None and proc.poll() is None

    @property
    def forked(self) -> bool:
        """True if the kernel was forked from the template (not started normally)."""
        return bool(getattr(getattr(self.km, "provisioner", None), "forked", False))

    async def start(self, cwd: Path, output_dir: Path, deadline: float | None = None) -> None:
        """Start the kernel in ``cwd``, with ``RUNSPINE_OUTPUT_DIR`` set to
        ``output_dir`` (returns once the process exists; nbclient waits for it to
        answer). Waiting for the template ends by ``deadline`` (:func:`time.monotonic`)."""
        from runspine.engine.provisioner import ProjectKernelManager
        from runspine.engine.subreaper import TAG_VAR
        from runspine.engine.template import kernel_env
        from runspine.notebook.results import ENV_VAR

        fd, log = tempfile.mkstemp(prefix="runspine-kernel-", suffix=".log")
        os.close(fd)
        km = self.km = ProjectKernelManager(kernel_name="runspine")
        # Unix sockets (the engine is POSIX-only), each kernel's in a directory of its own:
        # with TCP, a port is chosen here and bound by the kernel later, and another process
        # starting a kernel meanwhile may take it ("Address already in use": the kernel dies)
        self._sockets = tempfile.mkdtemp(prefix="runspine-kernel-")
        km.transport = "ipc"
        km.ip = os.path.join(self._sockets, "k")
        env = kernel_env({ENV_VAR: str(output_dir), TAG_VAR: self.tag})
        try:
            self._log = open(log, "rb")  # noqa: SIM115, ASYNC230 - a local file, kept open
            with open(log, "ab") as out:  # noqa: ASYNC230 - the kernel's stdout and stderr
                await km.start_kernel(cwd=str(cwd), env=env, stdout=out, stderr=out,
                                      deadline=deadline)
        except Exception as exc:  # what it wrote stays readable (log()) until discard()
            raise KernelSetupError(f"the kernel did not start: {exc}") from exc
        finally:
            # the kernel writes to its inherited descriptor and we read through ours:
            # with no name on disk, nothing is left behind however the process ends
            os.unlink(log)

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
        from runspine.engine.subreaper import kill_kernel_tree

        km, self.km = self.km, None
        if km is not None:
            proc = _kernel_process(km)
            with contextlib.suppress(Exception):
                kill_kernel_tree(getattr(proc, "pid", None), self.tag)
            if proc is not None:
                with contextlib.suppress(Exception):
                    proc.kill()
                with contextlib.suppress(Exception):
                    proc.wait(timeout=10)
            with contextlib.suppress(Exception):
                km.cleanup_connection_file()
        log, self._log = self._log, None
        if log is not None:
            log.close()
        sockets, self._sockets = self._sockets, None
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
