"""The one small call notebooks use to record results and tables.

The runner points ``RUNSPINE_OUTPUT_DIR`` at the notebook's staging directory; every
:func:`record` rewrites ``results.json`` there and every :func:`save_table` writes
``tables/<name>.csv``. Interactively (no runner) nothing is written: values are kept in
memory and :func:`recorded` returns them, so a researcher can inspect them.

results.json layout (the output contract)::

    {"<key>": {"value": x, "ci_low": a, "ci_high": b, "unit": "...",
               "description": "..."}, ...}
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from runspine.files import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

ENV_VAR = "RUNSPINE_OUTPUT_DIR"
_KEY = re.compile(r"[a-z][a-z0-9_]*")  # matched in full (a "$" allows a final newline)
_results: dict[str, dict] = {}


def output_dir() -> Path | None:
    """The directory the runner asked results to be written to, or None."""
    value = os.environ.get(ENV_VAR)
    return Path(value) if value else None


def _clean(x):
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, str):
        return x
    xf = float(x)
    if math.isnan(xf) or math.isinf(xf):
        return None
    if float(xf).is_integer() and isinstance(x, int) and not isinstance(x, bool):
        return int(x)
    return round(xf, 12)


def record(key: str, value, ci_low=None, ci_high=None, unit: str = "",
           description: str = "") -> dict:
    """Record one result (a number, or a [low, high] range) for the report.

    Parameters
    ----------
    key : str
        snake_case key, stable across runs (external checks read it).
    value : float or list of float
    ci_low, ci_high : float, optional
        Confidence limits.
    unit : str
    description : str
        Plain words, including the CI level and the source where relevant; a BibTeX key
        in it is written as "Author year" (:func:`runspine.bibliography.cite_text`), since readers
        see it.
    """
    if not _KEY.fullmatch(key):
        raise ValueError(f"result key {key!r} must be snake_case")
    from runspine import bibliography

    entry = {"value": _clean(value), "ci_low": _clean(ci_low), "ci_high": _clean(ci_high),
             "unit": unit, "description": bibliography.cite_text(description)}
    _results[key] = entry
    out = output_dir()
    if out is not None:
        atomic_write_text(out / "results.json",
                          json.dumps(_results, indent=2, sort_keys=True) + "\n")
    return entry


def recorded() -> dict[str, dict]:
    """All results recorded in this kernel so far."""
    return dict(_results)


def save_table(name: str, frame: pd.DataFrame) -> None:
    """Write a tidy table to ``tables/<name>.csv`` (when run by the runner).

    Returns None, so a cell ending with ``results.save_table(...)`` does not display a
    second, raw copy of a table the notebook already shows with :func:`helpers.table`.
    """
    if not _KEY.fullmatch(name):
        raise ValueError(f"table name {name!r} must be snake_case")
    out = output_dir()
    if out is not None:
        atomic_write_text(out / "tables" / f"{name}.csv",
                          frame.to_csv(index=False, float_format="%.10g", lineterminator="\n"))
