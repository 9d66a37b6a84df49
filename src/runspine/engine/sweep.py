"""Parameter sweeps: one notebook run over the product of listed parameter values.

``runspine sweep NAME --grid FILE.yaml`` reads a YAML mapping of parameter names to
lists of values, validates every point before anything runs (the same strict typed
parameters as ``runspine run``), executes the points in parallel and writes::

    reports/<stem>/sweep/<point>/report.html     one report per point, named by its
    reports/<stem>/sweep/<point>/results.json    parameters (e.g. rho=0.5__seed=1)
    reports/<stem>/sweep/summary.csv             one row per point: parameters, status,
    reports/<stem>/sweep/summary.html            and every results.json value
    reports/<stem>/sweep/sweep.json              grid, per-point cache keys and timing

Points run on this machine by the build's own driver (``--backend local``, the default:
``--jobs`` points at once in one event loop, kernels forked from one template, exactly
as ``runspine run`` runs notebooks), or on an existing Dask cluster (``--backend dask
--scheduler ADDRESS``), where a worker executes a point in a temporary directory and
returns the files. Only the driver writes into ``reports/``, under the build lock, each
point swapped in atomically with its record. Unchanged points (same cache key as in
``sweep.json`` with a verified report present) are reused unless ``--force``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from runspine.engine.cache import cache_key, input_hashes, shared_hashes
from runspine.engine.driver import drive
from runspine.engine.execute import execute, run_notebook, settle
from runspine.engine.jobs import Outcome, UsageError
from runspine.engine.manifest import read_manifest, write_manifest_and_index
from runspine.engine.owner import STAGING, scratch_entry
from runspine.engine.plan import Point
from runspine.engine.publish import build_lock, recover
from runspine.engine.template import start_template, stop_template
from runspine.engine.verify import read_bookkeeping, readable, reusable
from runspine.files import atomic_write_text
from runspine.project import Project


@dataclass
class SweepSummary:
    stem: str
    points: list[Point]
    csv_path: Path
    html_path: Path


# --------------------------------------------------------------------------- workers

def run_point(payload: dict) -> dict:
    """Execute one sweep point in a temporary directory and return its files.

    Runs in a Dask worker, possibly on another machine with runspine installed: the
    point's job and the notebook's bytes travel, the outputs come back as bytes, so only
    the driver writes to ``reports/``. The worker's kernel template is kept for the next
    point, and replaced when the code or the installed distributions change.
    """
    from runspine.engine.api import skip_unused_format_checkers

    skip_unused_format_checkers()
    if Path(payload["root"]).is_dir():
        os.environ["RUNSPINE_ROOT"] = payload["root"]
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="runspine-point-") as tmp:
        tmp = Path(tmp)
        job = payload["job"]
        nb_path = tmp / job.path.name
        nb_path.write_bytes(payload["notebook"])  # the driver's bytes
        # the key of what runs here: this machine's data, code and distributions
        here = Project.current().root
        hashes = input_hashes(nb_path, shared_hashes(here))
        job = replace(job, path=nb_path, cache_key=cache_key(job.values, hashes),
                      input_hashes=hashes)
        out = tmp / "out"
        failure = asyncio.run(run_notebook(job, out, sweep_point=True))  # its own kernel
        files = {str(f.relative_to(out)): f.read_bytes()
                 for f in sorted(out.rglob("*")) if f.is_file()}  # (none if it never ran)
    return {"failure": failure, "files": files, "duration_s": time.monotonic() - start,
            "cache_key": job.cache_key, "input_hashes": hashes}


def connect_dask(scheduler: str):
    """A client of an existing Dask cluster; :class:`UsageError` if it cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--backend dask needs the 'distributed' package "
                         "(pip install 'dask[distributed]')") from None
    try:
        return Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        text = str(exc).strip().splitlines()
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: "
                         f"{text[0] if text else type(exc).__name__}") from None


# --------------------------------------------------------------------------- driver

def run_sweep(points: list[Point], reports_dir: Path, workers: int = 1,
              scheduler: str | None = None, force: bool = False,
              progress=None, *, project: Project) -> SweepSummary:
    """Run the points (skipping unchanged ones; on the Dask cluster at ``scheduler``,
    else here, ``workers`` at a time), publish each into ``reports_dir`` (claimed by
    the caller, :func:`runspine.engine.owner.claim`), write the summary."""
    say = progress or (lambda msg: None)
    stem = points[0].job.stem
    sweep_dir = reports_dir / stem / "sweep"
    dask = connect_dask(scheduler) if scheduler else contextlib.nullcontext()
    with dask as client, build_lock(reports_dir), project.environment():  # client: closed
        recover(reports_dir)
        recover(sweep_dir)  # (nothing to do when it does not exist yet)
        # its bookkeeping: missing, unreadable or of the wrong shape is treated as absent
        # (one warning line) and rewritten; it never blocks a sweep
        state = read_bookkeeping(sweep_dir / "sweep.json", _state_problem) or {"points": {}}
        todo = []
        for p in points:
            old = state.get("points", {}).get(p.name, {})
            if not force and reusable(old, sweep_dir / p.name, p.job.cache_key):
                p.status = "reused"
            else:
                todo.append(p)
        where = "" if not todo else " on the Dask cluster" if client is not None else \
            f" {min(workers, len(todo))} at a time"
        say(f"sweep {stem}: {len(points)} point(s), {len(points) - len(todo)} reused, "
            f"running {len(todo)}{where}")

        def on_result(p: Point, result: Outcome | dict) -> None:
            if isinstance(result, dict):  # a Dask worker's: its files, and the key of
                # what it ran (its data, code, environment; none when the worker died)
                p.job.cache_key = result.get("cache_key", p.job.cache_key)
                p.job.input_hashes = result.get("input_hashes", p.job.input_hashes)
                staging = scratch_entry(sweep_dir / STAGING, p.name)
                for rel, data in result["files"].items():
                    (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                    (staging / rel).write_bytes(data)
                result = settle(p.job, staging, result["failure"], sweep_dir / p.name,
                                result["duration_s"])
            p.status, p.message, p.duration_s = result.status, result.message, result.duration_s
            done = sum(q.status != "pending" for q in todo)
            say(f"[{done}/{len(todo)}] {p.status:8} {p.name} ({p.duration_s:.1f} s)")

        if todo:
            sweep_dir.mkdir(parents=True, exist_ok=True)
            try:
                if client is not None:  # a dead worker, a lost scheduler: one line (cluster)
                    from runspine.engine import cluster

                    payloads = {i: {"job": p.job, "notebook": p.job.path.read_bytes(),
                                    "root": str(project.root)} for i, p in enumerate(todo)}
                    cluster.execute(client, run_point, payloads,
                                    lambda i, result: on_result(todo[i], result))
                else:
                    start_template()
                    drive(todo, workers, lambda p, slot: execute(
                        p.job, sweep_dir, slot, p.name, sweep_point=True), on_result)
            finally:
                stop_template(unless_kept=True)  # (not within kept_warm)
                recover(sweep_dir)  # points an interruption left half-published
                _write_state(sweep_dir, points, state)
        csv_path, html_path = write_summary(sweep_dir, points)
        manifest = read_manifest(reports_dir)
        manifest.setdefault("sweeps", {})[stem] = {
            "summary": f"{stem}/sweep/summary.html", "points": len(points),
            "failed": sum(p.status == "failed" for p in points)}
        write_manifest_and_index(manifest, reports_dir)
    return SweepSummary(stem, points, csv_path, html_path)


def _state_problem(state) -> str:
    points = state.get("points", {}) if isinstance(state, dict) else None
    if not isinstance(points, dict) or not all(isinstance(v, dict) for v in points.values()):
        return "not a sweep state"
    return ""


def _write_state(sweep_dir: Path, points: list[Point], old: dict) -> None:
    entries = dict(old.get("points", {}))
    for p in points:
        if p.status in ("reused", "pending"):  # pending: interrupted before it finished
            continue
        entry = {"parameters": p.job.values, "grid": p.grid_values, "status": p.status,
                 "message": p.message, "timing": {"duration_s": round(p.duration_s, 3)}}
        if p.status == "ok":
            entry["cache_key"] = p.job.cache_key
            entry["input_hashes"] = p.job.input_hashes
        entries[p.name] = entry
    state = {"schema": "runspine-sweep/1", "notebook": points[0].job.stem,
             "points": dict(sorted(entries.items()))}
    atomic_write_text(sweep_dir / "sweep.json", json.dumps(state, indent=2) + "\n")


def write_summary(sweep_dir: Path, points: list[Point]) -> tuple[Path, Path]:
    """Write ``summary.csv`` and ``summary.html``: one row per point of this grid."""
    from runspine.site.sweep_summary import render_summary, summary_csv

    shown = []
    for p in points:
        verified = readable(sweep_dir / p.name, "left out of the sweep summary")
        results = json.loads((sweep_dir / p.name / "results.json").read_text("utf-8")) \
            if "results.json" in verified else {}
        status = p.status if p.status != "pending" else "not run"
        if status == "failed" and results:
            status = "failed (values from the previous good run)"
        shown.append({"name": p.name, "grid": p.grid_values, "status": status,
                      "results": results, "linked": "report.html" in verified})
    csv_path = sweep_dir / "summary.csv"
    atomic_write_text(csv_path, summary_csv(shown))
    html = render_summary(sweep_dir, shown)
    html_path = sweep_dir / "summary.html"
    atomic_write_text(html_path, html)
    return csv_path, html_path
