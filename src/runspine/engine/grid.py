"""A sweep's grid (read by :func:`runspine.parameters.load_grid`): name its points and
validate each into a job (the same strict typed parameters as ``runspine run``); starts
nothing."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from runspine.engine.cache import shared_hashes
from runspine.engine.jobs import Job, UsageError
from runspine.engine.plan import plan
from runspine.project import Project

_UNSAFE = re.compile(r"[^A-Za-z0-9._+=-]")


@dataclass
class Point:
    """One point of a sweep: its name, the grid values and the validated job."""

    name: str
    grid_values: dict
    job: Job
    status: str = "pending"  # ok | failed | reused
    message: str = ""
    duration_s: float = 0.0


def fmt(value) -> str:
    """A grid value as text (in point names and the summary)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "-".join(fmt(v) for v in value)
    return str(value)


def point_name(grid_values: dict) -> str:
    """Directory name of a point: ``name=value`` pairs joined by ``__``, file-safe; past
    200 characters, its first 183 and 16 hex digits of the whole text's SHA-256 (points
    that differ only after the cut keep names of their own)."""
    text = "__".join(f"{k}={fmt(v)}" for k, v in grid_values.items())
    name = _UNSAFE.sub("_", text)
    if len(name) <= 200:
        return name
    import hashlib

    return f"{name[:183]}~{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def plan_sweep(name: str, grid: dict[str, list], timeout: float,
               time_limit: float | None = None, *, project: Project) -> list[Point]:
    """Validate every point of ``grid`` (as :func:`runspine.parameters.load_grid` returns
    it: at most :data:`~runspine.parameters.MAX_GRID_POINTS` points) for names, types
    and ranges; start nothing."""
    points, seen = [], set()
    shared = shared_hashes(project.root)  # data/ and the code: hashed once, for every point
    for combo in itertools.product(*grid.values()):
        values = dict(zip(grid, combo))
        try:
            (job,) = plan([name], {}, values, timeout, project=project,
                           time_limit=time_limit, shared=shared)
        except UsageError as exc:
            shown = ", ".join(f"{k}={fmt(v)}" for k, v in values.items())
            raise UsageError(f"sweep point {shown}: {exc}") from None
        pname = point_name(values)
        if pname in seen:
            raise UsageError(f"two grid points share the directory name {pname}")
        seen.add(pname)
        points.append(Point(pname, values, job))
    return points
