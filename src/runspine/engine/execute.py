"""Execution of one notebook: papermill's parameters, nbclient's async cell execution in a
kernel of its own, the report rendered off the event loop, then published or kept as a
failure, described in one line (which cell, what happened).

Everything here is a coroutine run by :mod:`runspine.engine.driver` (several notebooks
at once in one event loop) or, for one sweep point on a Dask worker, by
:func:`asyncio.run`. Cancelling a notebook's task (Ctrl-C, SIGTERM) kills its kernel
and drops its staging directory; a report is published by renames that run between two
awaits, so a cancellation never splits one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from pathlib import Path

from runspine.engine.cache import changed_inputs, package_versions
from runspine.engine.driver import Slot
from runspine.engine.jobs import Job, Outcome
from runspine.engine.owner import STAGING, scratch_entry
from runspine.engine.publish import publish
from runspine.files import atomic_write_text

KERNEL_NAME = "runspine"


async def run_notebook(job: Job, staging: Path, slot=None) -> str | None:
    """Execute ``job`` in a kernel of its own and write its outputs (executed notebook,
    report, results, tables, figure) into ``staging``.

    ``slot`` (the driver's) is held only while the kernel runs, so the next notebook's
    kernel starts while this report renders. Returns ``None`` on success, else a one-line
    description of the failure (a cell, a time limit, a report that cannot be rendered);
    the executed notebook, as far as it got, is left in ``staging/executed.ipynb`` and the
    kernel's output in :func:`kernel_log_path`. A sweep point's report has links that
    fit ``reports/<stem>/sweep/<point>/``.
    """
    # failures are reported as one line; "asyncio" would print the traceback of nbclient's
    # kernel-alive task ("Task exception was never retrieved") when a build is interrupted
    for name in ("papermill", "traitlets", "nbclient", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    import nbformat

    from runspine.engine.kernels import KernelSetupError, NotebookKernel
    from runspine.engine.template import OutOfTime

    kernel_log, executed = kernel_log_path(staging), staging / "executed.ipynb"
    # the slot is given up once the kernel is killed with everything it started
    async with slot or contextlib.nullcontext():
        staging.mkdir(parents=True, exist_ok=True)
        kernel = NotebookKernel()
        deadline = time.monotonic() + job.time_limit  # every wait below ends by then
        try:
            await kernel.start(job.path.parent, staging, deadline)
            nb = await execute_cells(job, kernel.km, executed, deadline)
            if changed := await asyncio.to_thread(changed_inputs, job):  # its key would lie
                return f"its inputs ({changed}) changed while it ran; run it again"
        except KernelSetupError as exc:  # the notebook never ran
            _raise_if_cancelled()
            kernel_log.write_bytes(kernel.log())
            if isinstance(exc.__cause__, OutOfTime):
                return (f"{describe_error(exc, job, over_limit=True)} while starting its "
                        f"kernel: {exc.__cause__}")
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            _raise_if_cancelled()
            over = time.monotonic() >= deadline - 0.2
            kernel_log.write_bytes(kernel.log())
            cell, first = None, ""
            if executed.exists():
                with contextlib.suppress(Exception):
                    cell, first = failing_cell(nbformat.read(executed, as_version=4))
            where = f"cell {cell} ({first}) " if cell else ""
            return f"{where}{describe_error(exc, job, over)}"
        finally:
            kernel.discard()
    try:  # what the notebook left (results.json, tables, metadata) may break the report:
        html, figure = await asyncio.to_thread(_render, nb, job, staging)
    except Exception as exc:  # noqa: BLE001 - that fails this notebook only
        return f"rendering its report failed: {describe_error(exc, job)}"
    atomic_write_text(staging / "report.html", html)
    if figure is not None:
        (staging / "figure.png").write_bytes(figure)
    if not (staging / "results.json").exists():
        atomic_write_text(staging / "results.json", "{}\n")
    return None


async def execute_cells(job: Job, km, executed: Path, deadline: float):
    """Run the notebook's cells in the started kernel ``km``, as ``papermill`` would:
    its parameters injected after the ``parameters`` cell, each cell's status and times
    in the notebook's ``papermill`` metadata, the run stopped at the first error with
    papermill's banner above the failed cell. The executed notebook is written to
    ``executed`` (also when the run fails) and returned."""
    import nbformat
    from jupyter_core.utils import ensure_async
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.engines import NotebookExecutionManager
    from papermill.execute import (
        prepare_notebook_metadata,
        raise_for_execution_errors,
        remove_error_markers,
    )
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(job.path))
    if job.values:
        nb = parameterize_notebook(nb, job.values, kernel_name=KERNEL_NAME,
                                   language="python")
    nb = remove_error_markers(prepare_notebook_metadata(nb, str(job.path), str(executed)))
    man = NotebookExecutionManager(nb, progress_bar=False)
    client = NotebookClient(
        man.nb, km=km, kernel_name=KERNEL_NAME,
        startup_timeout=max(1, int(deadline - time.monotonic())),
        timeout_func=lambda cell: max(0.1, min(job.timeout, deadline - time.monotonic())))
    man.notebook_start()
    try:
        await client.async_start_new_kernel_client()
        reply = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
        if reply is not None and "language_info" in reply["content"]:
            man.nb.metadata["language_info"] = reply["content"]["language_info"]
        for index, cell in enumerate(man.nb.cells):
            try:
                man.cell_start(cell, index)
                await client.async_execute_cell(cell, index,
                                                execution_count=client.code_cells_executed + 1)
            except CellExecutionError as exc:
                man.cell_exception(man.nb.cells[index], cell_index=index, exception=exc)
                break
            finally:
                man.cell_complete(man.nb.cells[index], cell_index=index)
        client.set_widgets_metadata()
    except Exception:
        man.notebook_complete()
        with contextlib.suppress(Exception):
            nbformat.write(man.nb, executed)
        raise
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
    man.notebook_complete()
    raise_for_execution_errors(man.nb, str(executed))  # the banner, then the error
    nbformat.write(man.nb, executed)
    return man.nb


def _raise_if_cancelled() -> None:
    """Raise :class:`asyncio.CancelledError` if this task is being cancelled: nbclient
    turns a cancellation that reaches a running cell into ``DeadKernelError``, which
    would fail the notebook instead of stopping the build."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def failing_cell(nb) -> tuple[int | None, str]:
    """Index (1-based, in the source notebook) and first line of the cell that failed.

    A cell that raised is marked ``failed`` by papermill. A time-out or a dead kernel
    stops the run inside a cell that papermill then marks ``completed`` (as it does the
    cells that never ran): that is the last code cell with a start time.
    """
    offset = 0
    last_started = None
    for i, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            offset += 1  # cells papermill added: not in the source notebook
            continue
        if cell.cell_type != "code":
            continue
        pm = cell.get("metadata", {}).get("papermill", {})
        if pm.get("status") in ("failed", "running"):
            return i + 1 - offset, _first_line(cell)
        if pm.get("start_time"):
            last_started = (i + 1 - offset, _first_line(cell))
    return last_started or (None, "")


def _first_line(cell) -> str:
    first = next((ln for ln in cell.source.splitlines()
                  if ln.strip() and not ln.startswith("#")), "")
    return first.strip()[:60]


def describe_error(exc: BaseException, job: Job, over_limit: bool = False) -> str:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if over_limit:
        return (f"stopped at the notebook time limit of {job.time_limit:g} s "
                "(--time-limit, or metadata runspine.time_limit)")
    if isinstance(exc, CellTimeoutError):
        return f"cell timed out (per-cell limit of {job.timeout:g} s, --timeout)"
    if isinstance(exc, DeadKernelError):
        return "the kernel died (killed, crashed or out of memory)"
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"raised {ename}: {str(evalue).splitlines()[0] if evalue else ''}".rstrip(": ")
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _render(nb, job: Job, staging: Path) -> tuple[str, bytes | None]:
    """The report's HTML and the index card's figure (in a thread: no file is written
    here, so an interrupted build leaves nothing behind)."""
    from runspine.site.report import card_figure, notebook_title, render_report

    html = render_report(nb, job.values, job.defaults, notebook_title(nb, job.stem),
                         sweep_point=bool(job.point), output_dir=staging)
    return html, card_figure(nb)


def kernel_log_path(staging: Path) -> Path:
    """Where the kernel's stdout/stderr go while a notebook runs in ``staging``."""
    return staging.parent / f"{staging.name}.kernel.log"


async def execute(job: Job, parent: Path, slot: Slot) -> Outcome:
    """Execute one notebook into a new staging directory under ``parent``'s
    ``.runspine-staging`` and :func:`settle` it as ``parent/<job.name>``;
    its duration does not count the time it waited for ``slot``. On cancellation the
    staging directory and the kernel's log are removed (the kernel is already killed)."""
    staging = scratch_entry(parent / STAGING, job.name)
    try:
        failure = await run_notebook(job, staging, slot=slot)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        kernel_log_path(staging).unlink(missing_ok=True)
        raise
    return settle(job, staging, failure, parent / job.name, time.monotonic() - slot.started)


def settle(job: Job, staging: Path, failure: str | None, target: Path,
           seconds: float) -> Outcome:
    """Publish a finished run's ``staging`` as ``target``, with its record. When it failed,
    the previous report stays in place, and the executed notebook (``failed.ipynb``) and
    the kernel's output (``failed-kernel.log``) are kept in ``target``: the message names
    the notebook (and the sweep point) and the executed copy (relative to the working
    directory when below it: a path the user can open from there)."""
    if failure is None:
        publish(staging, target, {
            "notebook": f"notebooks/{job.path.name}", "cache_key": job.cache_key,
            "parameters": job.values, "input_hashes": job.input_hashes,
            "package_versions": package_versions()})
        return Outcome(job.name, "ok", seconds)
    message = f"{job.stem} point {job.point}: " if job.point else f"{job.stem}: "
    target.mkdir(parents=True, exist_ok=True)
    executed, kernel_log = staging / "executed.ipynb", kernel_log_path(staging)
    if executed.exists():
        atomic_write_text(target / "failed.ipynb", executed.read_text(encoding="utf-8"))
        shown = target / "failed.ipynb"
        with contextlib.suppress(ValueError, OSError):
            shown = shown.relative_to(Path.cwd())
        failure += f"; executed copy: {shown}"
    (target / "failed-kernel.log").unlink(missing_ok=True)
    if kernel_log.exists() and kernel_log.stat().st_size:
        os.replace(kernel_log, target / "failed-kernel.log")
    kernel_log.unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    return Outcome(job.name, "failed", seconds, message + failure)
