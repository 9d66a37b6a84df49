"""The engine's Python API: what ``runspine run`` and ``runspine sweep`` do, callable in
process (tests, notebooks, other tools). The CLI parses arguments and calls these.

>>> from runspine.engine import run                                   # doctest: +SKIP
>>> result = run(Project.find(), ["01"], {"rho": "0.5"}, jobs=2)       # doctest: +SKIP
>>> result.exit_code, result.index                                    # doctest: +SKIP

Bad input (a notebook or parameter name, a value, the data package, the reports
directory, another build holding the lock) raises one of :data:`REFUSALS` (exit 2,
nothing run); a reports directory that cannot be written raises :class:`OSError`. A
notebook that fails is an outcome, not an exception.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from runspine.data import DataError
from runspine.engine.jobs import DEFAULT_TIMEOUT, BuildResult, UsageError
from runspine.parameters import ParameterError
from runspine.project import Project, ProjectError

#: What bad input raises (the CLI's exit 2).
REFUSALS = (UsageError, ParameterError, DataError, ProjectError)


def run(project: Project, selection: Iterable[str] = (),
        params: Mapping[str, object] | None = None, *,
        params_file: str | os.PathLike | None = None,
        reports: str | os.PathLike | None = None, jobs: int = 1, force: bool = False,
        timeout: float | None = None, time_limit: float | None = None,
        progress: Callable[[str], None] | None = None) -> BuildResult:
    """Build the reports of ``selection`` (notebook names as the CLI takes them; empty:
    all) with ``params`` (text values, as ``-p NAME VALUE``, over ``params_file``).

    Everything that can be checked is checked before any notebook runs; unchanged notebooks
    are reused unless ``force``. See :mod:`runspine.engine.pipeline` for the guarantees.
    """
    from runspine.engine.pipeline import build
    from runspine.engine.plan import plan
    from runspine.parameters import load_params_file

    file_params = load_params_file(Path(os.path.abspath(params_file))) if params_file else {}
    planned = plan(list(selection), {k: str(v) for k, v in (params or {}).items()},
                   file_params, DEFAULT_TIMEOUT if timeout is None else timeout,
                   project=project, time_limit=time_limit)
    return build(project, planned, reports, jobs, force, progress)


def sweep(project: Project, name: str, grid_file: str | os.PathLike, *,
          reports: str | os.PathLike | None = None, jobs: int = 1,
          backend: str = "local", scheduler: str | None = None, force: bool = False,
          timeout: float | None = None, time_limit: float | None = None,
          progress: Callable[[str], None] | None = None) -> BuildResult:
    """Run notebook ``name`` over the grid in ``grid_file``: a YAML mapping of parameter names to
    lists of values, every point of their product checked before anything runs, then built as
    :func:`run` builds notebooks (unchanged points reused), each published as
    ``reports/<stem>/sweep/<point>/`` (named by its values, e.g. ``rho=0.5__seed=1``) with
    ``summary.csv``, ``summary.html`` and ``sweep.json`` beside them. ``backend`` ``"dask"``: on the
    existing Dask cluster at ``scheduler`` (:mod:`~runspine.engine.cluster`)."""
    from runspine.engine.pipeline import build
    from runspine.engine.plan import plan_sweep
    from runspine.parameters import load_grid

    backend = "local" if backend == "joblib" else backend  # its former name
    if backend not in ("local", "dask"):
        raise UsageError(f"--backend must be local or dask, not {backend!r:.40}")
    if backend == "dask" and not scheduler:
        raise UsageError("--backend dask needs --scheduler ADDRESS")
    if scheduler and backend != "dask":
        raise UsageError("--scheduler is only used with --backend dask")
    grid = load_grid(Path(os.path.abspath(grid_file)))
    points = plan_sweep(name, grid, DEFAULT_TIMEOUT if timeout is None else timeout,
                        time_limit, project=project)
    return build(project, points, reports, jobs, force, progress, scheduler)
