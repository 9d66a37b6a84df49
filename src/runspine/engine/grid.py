"""A sweep's grid (read by :func:`runspine.parameters.load_grid`, its points named by
:func:`runspine.parameters.point_name`): validate each point into a job (the same strict
typed parameters as ``runspine run``); starts nothing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from runspine.engine.cache import shared_hashes
from runspine.engine.jobs import Job, UsageError
from runspine.engine.plan import plan
from runspine.parameters import fmt, point_name
from runspine.project import Project


@dataclass
class Point:
    """One point of a sweep: its name, the grid values and the validated job."""

    name: str
    grid_values: dict
    job: Job
    status: str = "pending"  # ok | failed | reused
    message: str = ""
    duration_s: float = 0.0


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
