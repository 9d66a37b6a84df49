"""Execution: run one notebook with papermill in a kernel, render its report into a
staging directory, and publish it or keep the failed copy."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from runspine.engine.jobs import Job, Outcome
from runspine.engine.messages import describe_error, failing_cell
from runspine.engine.owner import STAGING
from runspine.engine.publish import build_record, publish
from runspine.files import atomic_write_text


def run_notebook(job: Job, staging: Path, sweep_point: bool = False) -> str | None:
    """Execute ``job`` and write its outputs (executed notebook, report, results, tables,
    figure) into ``staging``.

    The notebook runs in a kernel process of its own (:class:`runspine.engine.kernels.
    NotebookKernel`, forked from this process's warm template), killed afterwards with
    every process it started. Returns ``None`` on success, else a one-line description
    of the failure (the executed notebook, as far as it got, is left in
    ``staging/executed.ipynb`` and the kernel's own output in :func:`kernel_log_path`);
    a report that cannot be rendered from what the notebook left (its ``results.json``,
    tables, metadata) is such a failure too.
    The notebook is stopped when one cell runs longer than ``job.timeout`` or the whole
    notebook longer than ``job.time_limit``. ``KeyboardInterrupt`` propagates.
    ``sweep_point`` makes the report's links fit ``reports/<stem>/sweep/<point>/``.
    """
    import logging

    import nbformat
    import papermill

    from runspine.engine.kernels import ENGINE, KernelSetupError, NotebookKernel, register_engine
    from runspine.engine.provisioner import OutOfTime
    from runspine.site.report import notebook_title, render_report

    # failures are reported as one line; "asyncio" would print the traceback of nbclient's
    # kernel-alive task ("Task exception was never retrieved") when a build is interrupted
    for name in ("papermill", "traitlets", "nbclient", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    register_engine()
    staging.mkdir(parents=True, exist_ok=True)
    kernel_log = kernel_log_path(staging)
    executed = staging / "executed.ipynb"
    kernel = NotebookKernel()
    deadline = time.monotonic() + job.time_limit  # every wait below ends by then
    with _live(kernel):
        try:
            kernel.start(job.path.parent, staging, deadline)
        except KernelSetupError as exc:
            kernel_log.write_bytes(kernel.log_since(0))
            if isinstance(exc.__cause__, OutOfTime):
                return (f"{describe_error(exc, job, over_limit=True)} while starting its "
                        f"kernel: {exc.__cause__}")
            return str(exc)

        def cell_timeout(cell) -> float:  # the per-cell limit, capped by the notebook's
            return max(0.1, min(job.timeout, deadline - time.monotonic()))

        try:
            papermill.execute_notebook(
                str(job.path), str(executed), parameters=job.values, kernel_name="runspine",
                engine_name=ENGINE, km=kernel.km, progress_bar=False, log_output=False,
                request_save_on_cell_execute=False, failure_path=str(executed),
                start_timeout=max(1, math.ceil(deadline - time.monotonic())),
                execution_timeout=math.ceil(job.timeout),  # an Integer trait in nbclient;
                timeout_func=cell_timeout, report_mode=False)  # the real limit, fractions kept
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a message
            over = time.monotonic() >= deadline - 0.2
            kernel_log.write_bytes(kernel.log_since(0))
            cell, first = None, ""
            if executed.exists():
                with contextlib.suppress(Exception):
                    cell, first = failing_cell(nbformat.read(executed, as_version=4))
            where = f"cell {cell} ({first}) " if cell else ""
            return f"{where}{describe_error(exc, job, over)}"
    try:  # what the notebook left (results.json, tables, metadata) may break the report:
        nb = nbformat.read(executed, as_version=4)  # that fails this notebook only
        html = render_report(nb, job.values, job.defaults, notebook_title(nb, job.stem),
                             sweep_point=sweep_point, output_dir=staging)
        atomic_write_text(staging / "report.html", html)
        _save_first_figure(nb, staging / "figure.png")
        if not (staging / "results.json").exists():
            atomic_write_text(staging / "results.json", "{}\n")
    except Exception as exc:  # noqa: BLE001 - KeyboardInterrupt (a stop) propagates
        return f"rendering its report failed: {describe_error(exc, job)}"
    return None


def kernel_log_path(staging: Path) -> Path:
    """Where the kernel's stdout/stderr go while a notebook runs in ``staging``."""
    return staging.parent / f"{staging.name}.kernel.log"


_LIVE: set = set()  # this process's running kernels, for signal handlers and exit
_LIVE_LOCK = threading.Lock()


@contextlib.contextmanager
def _live(kernel):
    """Track ``kernel`` while a notebook runs in it; kill it (and what it started) after,
    however the notebook ended."""
    with _LIVE_LOCK:
        _LIVE.add(kernel)
    try:
        yield kernel
    finally:
        kernel.discard()
        with _LIVE_LOCK:
            _LIVE.discard(kernel)


def discard_all_kernels() -> None:
    """Kill every kernel this process is running a notebook in (signals, exit)."""
    with _LIVE_LOCK:
        kernels = list(_LIVE)
    for kernel in kernels:
        kernel.discard()


def prestart() -> None:
    """Start this process's kernel template now (its imports overlap whatever the caller
    does next); kernels are forked from it. A no-op where kernels cannot be forked."""
    from runspine.engine.provisioner import start_template

    with contextlib.suppress(Exception):  # a failed start is noticed, and reported,
        start_template()                  # by the first notebook


def shutdown() -> None:
    """Kill running kernels and stop this process's template (end of a build)."""
    from runspine.engine.provisioner import stop_template

    discard_all_kernels()
    stop_template()


def execute(job: Job, reports_dir: Path) -> Outcome:
    """Execute one notebook and, if it succeeds, publish its report (runs in a worker).

    On failure the previous report stays in place, the executed notebook is kept as
    ``<stem>/failed.ipynb`` and the kernel's own output as ``<stem>/failed-kernel.log``. On interruption the staging directory is removed and
    ``KeyboardInterrupt`` propagates.
    """
    start = time.monotonic()
    staging = reports_dir / STAGING / f"{job.stem}.{uuid.uuid4().hex[:8]}"
    kernel_log = kernel_log_path(staging)
    try:
        failure = run_notebook(job, staging)
    except BaseException:  # run_notebook has already killed the kernel
        shutil.rmtree(staging, ignore_errors=True)
        kernel_log.unlink(missing_ok=True)
        raise
    duration = time.monotonic() - start
    if failure is not None:
        target = reports_dir / job.stem
        target.mkdir(parents=True, exist_ok=True)
        executed = staging / "executed.ipynb"
        kept = ""
        if executed.exists():
            atomic_write_text(target / "failed.ipynb", executed.read_text(encoding="utf-8"))
            rel = (target / "failed.ipynb").relative_to(reports_dir.parent) \
                if reports_dir.parent in target.parents else target / "failed.ipynb"
            kept = f"; executed copy: {rel}"
        (target / "failed-kernel.log").unlink(missing_ok=True)
        if kernel_log.exists() and kernel_log.stat().st_size:
            os.replace(kernel_log, target / "failed-kernel.log")
        kernel_log.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        return Outcome(job.stem, "failed", duration, f"{job.stem}: {failure}{kept}")
    if interrupted():  # the build was stopped while this notebook ran: publish nothing
        shutil.rmtree(staging, ignore_errors=True)
        kernel_log.unlink(missing_ok=True)
        raise KeyboardInterrupt
    publish(staging, reports_dir / job.stem, build_record(job))
    return Outcome(job.stem, "ok", time.monotonic() - start)


_STOP = threading.Event()  # set when this process is told to stop (workers: SIGTERM)


def interrupted() -> bool:
    """True once this process was asked to stop: nothing more may be published."""
    return _STOP.is_set()


def mark_interrupted() -> None:
    _STOP.set()


def _save_first_figure(nb, target: Path) -> None:
    """Save the index card's figure: the one the notebook marked for the card
    (``helpers.figure(..., card=True)``; its phone-sized rendering when it has one),
    else the notebook's first PNG figure."""
    import base64
    import re

    pattern = re.compile(r'data:image/png;base64,([A-Za-z0-9+/=]+)')
    outputs = [out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])]
    marked = [d for d in outputs if "data-runspine-card" in str(d.get("text/html", ""))]
    for data in marked + outputs:
        if "image/png" in data:
            target.write_bytes(base64.b64decode(data["image/png"]))
            return
        match = pattern.search(str(data.get("text/html", "")))
        if match:
            target.write_bytes(base64.b64decode(match.group(1)))
            return
