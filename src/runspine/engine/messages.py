"""What a build tells its user: one-line failure descriptions (which cell, what
happened) and warnings."""

from __future__ import annotations

import sys

from runspine.engine.jobs import Job


def warn(message: str) -> None:
    """One warning line on stderr (bookkeeping problems that do not stop a build)."""
    from runspine.text import one_line

    print(f"runspine: warning: {one_line(message)}", file=sys.stderr, flush=True)


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

