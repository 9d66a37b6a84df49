"""The reader's page of a parameter sweep, ``reports/<stem>/sweep/summary.html``, and its
table, ``summary.csv`` (:func:`summary_csv`: every recorded value, one row per point).

One row per point (its parameter values, status and a link to its report). The few key
results come first, each column headed in words (the result's description and unit from
``results.json``): the notebook's headline result and those that change most across the
points. Every other recorded value is in a folded table below. A link is written only
to a file that exists (the default report may never have been built).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from runspine.numbers import fmt_group, fmt_number
from runspine.parameters import fmt
from runspine.site import pages

KEY_RESULTS = 4  # the headline and the results that vary most, at most this many


def _study(sweep_dir: Path, names: list[str]) -> tuple[str, str]:
    """The notebook's headline key and title, from the first point whose executed notebook
    can be read (:class:`~runspine.notebook_file.StudyNotebook`)."""
    from runspine.notebook_file import StudyNotebook

    for name in names:
        notebook = StudyNotebook.read(sweep_dir / name / "executed.ipynb")
        if not notebook.usable:
            continue
        return str(notebook.runspine.get("headline", "") or ""), notebook.title
    return "", ""


def _spread(values: list) -> float:
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v)]
    if len(nums) < 2:
        return 0.0
    scale = max(abs(v) for v in nums) or 1.0
    return (max(nums) - min(nums)) / scale


def _cell(entry) -> str:
    if not isinstance(entry, dict):
        return fmt_number(entry) if entry is not None else "\u2013"
    value, low, high = fmt_group([entry.get("value"), entry.get("ci_low"), entry.get("ci_high")])
    if entry.get("ci_low") is not None or entry.get("ci_high") is not None:
        return f"{value} ({low} to {high})"
    return value


def _header(key: str, entry) -> str:
    if isinstance(entry, dict):
        words = entry.get("description") or key
        unit = entry.get("unit")
        return f"{words} ({unit})" if unit and unit not in words else words
    return key.replace("_", " ")


def render_summary(sweep_dir: Path, points: list[dict]) -> str:
    """HTML of the sweep summary. ``points``: one dict per point with ``name``,
    ``grid`` (parameter -> value), ``status``, ``results`` (its verified results.json),
    ``linked`` (its report matches its record: only then is it linked) and ``verified``
    (its files that match their record: the study's title and headline key are read from
    the first point whose ``executed.ipynb`` is one)."""
    stem = sweep_dir.parent.name
    keys: list[str] = []
    for p in points:
        keys.extend(k for k in p["results"] if k not in keys)
    first = {k: next((p["results"][k] for p in points if k in p["results"]), None)
             for k in keys}
    headline, study_title = _study(sweep_dir, [p["name"] for p in points
                                               if "executed.ipynb" in p.get("verified", ())])

    def value_of(p, k):
        e = p["results"].get(k)
        return e.get("value") if isinstance(e, dict) else e

    ranked = sorted((k for k in keys if k != headline),
                    key=lambda k: -_spread([value_of(p, k) for p in points]))
    key_cols = ([headline] if headline in keys else []) + [
        k for k in ranked if _spread([value_of(p, k) for p in points]) > 0]
    key_cols = key_cols[:KEY_RESULTS]
    rest = [k for k in keys if k not in key_cols]
    grid = list(points[0]["grid"]) if points else []
    rows = []
    for p in points:
        report = p.get("linked", True) and (sweep_dir / p["name"] / "report.html").exists()
        rows.append({"name": p["name"], "href": f"{p['name']}/report.html" if report else "",
                     "grid": [json.dumps(p["grid"].get(g), ensure_ascii=False)
                              if not isinstance(p["grid"].get(g), str) else p["grid"][g]
                              for g in grid],
                     "status": p["status"],
                     "key": [_cell(p["results"].get(k)) for k in key_cols],
                     "rest": [_cell(p["results"].get(k)) for k in rest]})
    return pages.page(
        "sweep_summary.html.j2", glossary_href="../../glossary.html#term-",
        title=f"Parameter sweep: {study_title or stem}", study_title=study_title or stem,
        stem=stem, grid=grid, rows=rows,
        key_headers=[_header(k, first[k]) for k in key_cols],
        rest_headers=[_header(k, first[k]) for k in rest], rest_keys=rest,
        default_report=(sweep_dir.parent / "report.html").exists(),
        index=(sweep_dir.parent.parent / "index.html").exists())


def summary_csv(points: list[dict]) -> str:
    """``summary.csv``: one row per point (``points`` as :func:`render_summary` takes
    them): its name, grid values, status and every value of its results."""
    import pandas as pd

    rows = [{"point": p["name"], **{k: fmt(v) if isinstance(v, list) else v
                                    for k, v in p["grid"].items()},
             "status": p["status"], **_flatten(p["results"])} for p in points]
    return pd.DataFrame(rows).to_csv(index=False, float_format="%.10g", lineterminator="\n")


def _flatten(results: dict) -> dict:
    row = {}
    for key, entry in sorted(results.items()):  # each an object (verify.shape_problem)
        value = entry.get("value")
        if isinstance(value, list):
            for j, v in enumerate(value):
                row[f"{key}[{j}]"] = v
        else:
            row[key] = value
        for lim in ("ci_low", "ci_high"):
            if entry.get(lim) is not None:
                row[f"{key}.{lim}"] = entry[lim]
    return row
