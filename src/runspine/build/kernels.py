"""Kernels for the runner: started once per process, warmed up, reused across notebooks.

A :class:`WarmKernel` launches this interpreter's ipykernel (never a machine-wide
``python3`` kernelspec), imports the scientific stack in it once
(:func:`runspine.build.kernel_reset.warm_up`) and, before each notebook, restores the state a
fresh kernel would have (:func:`runspine.build.kernel_reset.reset`). After any failure or
interruption the kernel is discarded and the next notebook gets a new one.

The kernel's own stdout/stderr (warnings, crash messages) go to a log file, never to the
terminal; :meth:`WarmKernel.log_since` hands the part written during one notebook to the
runner, which keeps it beside a failed notebook.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import tempfile
from pathlib import Path

WARM_UP_TIMEOUT = 300  # seconds for the first imports (a new machine builds font caches)
RESET_TIMEOUT = 60
ENGINE = "runspine-warm"


class KernelSetupError(RuntimeError):
    """The kernel could not be started, warmed up or reset (the notebook never ran)."""


@functools.lru_cache(maxsize=1)
def kernel_manager_class():
    """An ``AsyncKernelManager`` that launches ``sys.executable -m ipykernel_launcher``
    with its output sent to the log file named by ``launch_log``."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ProjectKernelManager(AsyncKernelManager):
        launch_log: str | None = None

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if not self.launch_log:
                return await super()._async_launch_kernel(kernel_cmd, **kw)
            with open(self.launch_log, "ab") as fh:  # noqa: ASYNC230 - a local file, once
                kw["stdout"] = kw["stderr"] = fh
                return await super()._async_launch_kernel(kernel_cmd, **kw)

        @property
        def kernel_spec(self):
            if self._kernel_spec is None:
                self._kernel_spec = KernelSpec(
                    argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                          "{connection_file}",
                          # no shared ~/.ipython history database (parallel kernels
                          # would contend for it; nobody reads a batch run's history)
                          "--HistoryManager.hist_file=:memory:"],
                    display_name="Python (runspine)", language="python", resource_dir="")
            return self._kernel_spec

    return ProjectKernelManager


@functools.lru_cache(maxsize=1)
def register_engine() -> None:
    """Register (once per process) the papermill engine that runs a notebook in a kernel
    it does not own."""
    from papermill.engines import NBClientEngine, papermill_engines

    class ReusedKernelEngine(NBClientEngine):
        """papermill's nbclient engine, given a running kernel manager (``km=``): the
        kernel survives the notebook; the notebook's client channels do not. The
        notebook is saved once, at the end (``request_save_on_cell_execute=False``
        spares a validated write per cell), and also when the kernel dies or a time
        limit stops it (``failure_path=``), which papermill alone would not save."""

        @classmethod
        def execute_notebook(cls, nb, kernel_name, failure_path=None, **kwargs):
            try:
                return super().execute_notebook(nb, kernel_name, **kwargs)
            except Exception:
                if failure_path:
                    import nbformat

                    with contextlib.suppress(Exception):
                        nbformat.write(nb, failure_path)
                raise

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.log import logger

            for unused in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = PapermillNotebookClient(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    papermill_engines.register(ENGINE, ReusedKernelEngine)


def _kernel_process(km):
    """The ``Popen`` of a kernel manager's local kernel, or None."""
    return getattr(getattr(km, "provisioner", None), "process", None)


WARM_UP_CODE = "import runspine.build.kernel_reset as _k\n_k.warm_up()\ndel _k"


class WarmKernel:
    """One kernel, reused notebook after notebook until :meth:`discard`.

    :meth:`start` launches the kernel and sends the warm-up without waiting for it, so
    a worker can import papermill and nbconvert while its kernel boots; the first
    :meth:`prepare` waits for the warm-up to finish.
    """

    def __init__(self) -> None:
        self.km = None
        self._kc = None
        self._warm_up_id: str | None = None
        self._log = None  # read handle on the kernel's output (the file is unlinked)

    # -- lifecycle -------------------------------------------------------------------
    def alive(self) -> bool:
        proc = _kernel_process(self.km)
        return proc is not None and proc.poll() is None

    def start(self, cwd: Path) -> None:
        """Launch the kernel in ``cwd`` and send it the warm-up imports (returns at
        once; a no-op while the kernel runs)."""
        if self.alive():
            return
        self.discard()
        from jupyter_client.blocking import BlockingKernelClient
        from jupyter_core.utils import run_sync

        fd, log = tempfile.mkstemp(prefix="runspine-kernel-", suffix=".log")
        os.close(fd)
        km = kernel_manager_class()(kernel_name="runspine")
        km.launch_log = log
        self.km = km
        env = dict(os.environ, PYTHONHASHSEED=os.environ.get("PYTHONHASHSEED", "0"),
                   MPLBACKEND="module://matplotlib_inline.backend_inline")
        try:
            try:
                run_sync(km.start_kernel)(cwd=str(cwd), env=env)
                self._log = open(log, "rb")  # noqa: SIM115 - kept open until discard()
            finally:
                # the kernel writes to its inherited descriptor and we read through ours:
                # with no name on disk, nothing is left behind however the process ends
                os.unlink(log)
            kc = BlockingKernelClient()
            kc.load_connection_info(km.get_connection_info())
            # the shell channel alone: replies to our silent requests are all we read
            kc.start_channels(iopub=False, stdin=False, hb=False, control=False)
            self._kc = kc
            self._warm_up_id = self._send(WARM_UP_CODE)  # queued until the kernel binds
        except BaseException:
            self.discard()
            raise

    def prepare(self, output_dir: Path, cwd: Path) -> int:
        """Reset the kernel for a notebook writing to ``output_dir`` (starting and
        warming it up first if needed); return the log offset at which the notebook's
        own kernel output begins."""
        self.start(cwd)
        if self._warm_up_id is not None:
            msg_id, self._warm_up_id = self._warm_up_id, None
            self._wait(msg_id, WARM_UP_TIMEOUT, "warm-up")
        code = ("import sys\nif 'runspine.build.kernel_reset' not in sys.modules:\n"
                "    import runspine.build.kernel_reset\n"
                f"sys.modules['runspine.build.kernel_reset'].reset({str(output_dir)!r}, "
                f"{str(cwd)!r})\n")
        self._wait(self._send(code), RESET_TIMEOUT, "reset")
        return os.fstat(self._log.fileno()).st_size

    def log_since(self, offset: int) -> bytes:
        """What the kernel wrote to stdout/stderr from byte ``offset`` on."""
        if self._log is None:
            return b""
        self._log.seek(offset)
        return self._log.read()

    def discard(self) -> None:
        """Kill the kernel now (no graceful shutdown: its state is of no further use)
        and remove its files. Safe to call from a signal handler and more than once."""
        kc, self._kc = self._kc, None
        self._warm_up_id = None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        km, self.km = self.km, None
        if km is not None:
            proc = _kernel_process(km)
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)  # the kernel leads its own group
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    proc.kill()
                with contextlib.suppress(Exception):
                    proc.wait(timeout=10)
            with contextlib.suppress(Exception):
                km.cleanup_connection_file()
        log, self._log = self._log, None
        if log is not None:
            log.close()

    # -- helpers ---------------------------------------------------------------------
    def _send(self, code: str) -> str:
        """Queue ``code`` for silent execution (no output, history or execution count)."""
        return self._kc.execute(code, silent=True, store_history=False, allow_stdin=False)

    def _wait(self, msg_id: str, timeout: float, what: str) -> None:
        """Wait for the reply to ``msg_id``; a dead kernel is noticed within a second."""
        import queue
        import time

        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():  # the caller discards it (after saving its log)
                raise KernelSetupError(f"the kernel died during its {what}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelSetupError(f"kernel {what} took longer than {timeout:g} s")
            try:
                reply = self._kc.get_shell_msg(timeout=min(1.0, remaining))
            except queue.Empty:
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise KernelSetupError(f"kernel {what} failed: {content.get('ename', '')}: "
                                   f"{content.get('evalue', '')}".rstrip(": "))
