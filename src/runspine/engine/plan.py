"""Planning: validate names and parameters for every selected notebook (:func:`plan`) or
every point of a sweep's grid (:func:`plan_sweep`); start nothing."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from runspine.engine.cache import cache_key, input_hashes, shared_hashes
from runspine.engine.jobs import (
    DEFAULT_TIME_LIMIT,
    DEFAULT_TIMEOUT,
    Job,
    UsageError,
    resolve_names,
)
from runspine.notebook_file import MAX_SECONDS, StudyNotebook, valid_seconds
from runspine.parameters import Parameter, ParameterError, fmt, point_name, resolve
from runspine.project import Project


def plan(names: Iterable[str], cli_params: dict[str, str], file_params: dict,
         timeout: float = DEFAULT_TIMEOUT, *, project: Project,
         time_limit: float | None = None, shared: dict | None = None) -> list[Job]:
    """Validate names and parameters for every selected notebook; start nothing.

    A parameter is an error when no selected notebook declares it; each notebook gets the
    parameters it declares. ``time_limit`` (seconds per notebook) overrides each notebook's
    own limit; ``shared`` is :func:`~runspine.engine.cache.shared_hashes`' (computed here
    when not given). Raises :class:`UsageError` with a one-line message.
    """
    for option, seconds in (("--timeout", timeout), ("--time-limit", time_limit)):
        if seconds is not None and not valid_seconds(seconds):
            raise UsageError(f"{option} must be a positive number of seconds, at most "
                             f"{MAX_SECONDS:.0e} (got {seconds!r:.40})")
    available = {p.stem: p for p in project.notebooks()}
    stems = resolve_names(names, available)
    declared: dict[str, dict[str, Parameter]] = {}
    limits: dict[str, float] = {}  # each notebook's own (metadata.runspine.time_limit)
    expected: dict[str, float | None] = {}
    for stem in stems:
        notebook = StudyNotebook.read(available[stem])  # read once for all of these
        if problem := notebook.metadata_problem():  # the notebook's shape first
            raise UsageError(problem)
        limits[stem] = notebook.time_limit or float(DEFAULT_TIME_LIMIT)
        expected[stem] = notebook.expected_s
        try:
            declared[stem] = notebook.parameters()
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
    all_names = set().union(*declared.values())
    for name in list(file_params) + list(cli_params):
        if name not in all_names:
            raise UsageError(f"unknown parameter '{name}' (known: {', '.join(sorted(all_names))})")
    jobs = []
    shared = shared or shared_hashes(project.root)
    for stem in stems:
        decl = declared[stem]
        try:
            values = resolve(decl, {k: v for k, v in file_params.items() if k in decl})
            given = {k: v for k, v in cli_params.items() if k in decl}
            from_cli = resolve(decl, given, from_text=True)  # -p wins over the file
            values.update({k: from_cli[k] for k in given})
            values = {k: values[k] for k in decl}
        except ParameterError as exc:
            raise UsageError(f"{stem}: {exc}") from None
        hashes = input_hashes(available[stem], shared)
        jobs.append(Job(stem, available[stem], values, {k: p.default for k, p in decl.items()},
                        timeout, cache_key(values, hashes), hashes,
                        time_limit or limits[stem], expected[stem]))
    return jobs


def plan_sweep(name: str, grid: dict[str, list], timeout: float,
               time_limit: float | None = None, *, project: Project) -> list[Job]:
    """Validate every point of ``grid`` (as :func:`runspine.parameters.load_grid` returns
    it: at most :data:`~runspine.parameters.MAX_GRID_POINTS` points) for names, types
    and ranges; start nothing. Each point is a job of notebook ``name`` with its
    :attr:`~runspine.engine.jobs.Job.point` and ``grid`` set."""
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
        job.point, job.grid = pname, values
        points.append(job)
    return points
