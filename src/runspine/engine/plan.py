"""Planning: validate names and parameters for every selected notebook; start nothing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from runspine.engine.cache import cache_key, input_hashes, shared_hashes
from runspine.engine.jobs import (
    DEFAULT_TIME_LIMIT,
    DEFAULT_TIMEOUT,
    Job,
    UsageError,
    discover,
    resolve_names,
)
from runspine.parameters import Parameter, ParameterError, inspect_parameters, resolve
from runspine.project import Project


def _runspine_metadata(path: Path) -> dict:
    try:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        own = meta.get("runspine", {})
    except (OSError, ValueError, AttributeError):
        return {}
    return own if isinstance(own, dict) else {}


_META_TYPES = {"citation": str, "doi": str, "figure_alt": str, "headline": str,
               "headline_text": str, "time_limit": (int, float)}
HEADLINE_FIELDS = ("value", "unit", "ci_low", "ci_high")


def metadata_problem(path: Path) -> str:
    """What is wrong with a notebook's ``metadata.runspine`` (its shape, the types of the
    known keys, the headline template's fields), or "" when nothing is. Checked by
    ``runspine check`` and before a build starts, so no report is published from it."""
    import string

    from runspine.text import one_line

    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return ""  # the parameters check reports an unreadable notebook
    shape = notebook_shape_problem(nb)
    if shape:
        return f"{path.name}: {shape}"
    meta = nb.get("metadata")
    if meta is None:
        return ""
    own = meta.get("runspine", {})
    if not isinstance(own, dict):
        return f"{path.name}: metadata.runspine must be a mapping, not {type(own).__name__}"
    for key, kind in _META_TYPES.items():
        if key in own and not (isinstance(own[key], kind)
                               and not (kind != bool and isinstance(own[key], bool))):
            return (f"{path.name}: metadata.runspine.{key} has the wrong type "
                    f"({type(own[key]).__name__})")
    limit = own.get("time_limit")
    if limit is not None and not valid_seconds(limit):
        return (f"{path.name}: metadata.runspine.time_limit must be a positive number of "
                f"seconds, at most {MAX_SECONDS:.0e} (got {limit!r:.40})")
    text = own.get("headline_text")
    if text is not None:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            return f"{path.name}: metadata.runspine.headline_text is not a template ({exc})"
        for name in fields:
            if name not in HEADLINE_FIELDS:
                return (f"{path.name}: metadata.runspine.headline_text names "
                        f"{{{one_line(name)}}}; it may use only "
                        + ", ".join("{" + f + "}" for f in HEADLINE_FIELDS))
    return ""


MAX_SECONDS = 1e9  # a time limit is finite (about 31 years at most)


def valid_seconds(value) -> bool:
    """A usable time limit: a positive number of seconds, at most :data:`MAX_SECONDS`
    (NaN, infinity and a 5000-digit integer are not)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0 < value <= MAX_SECONDS)


def notebook_shape_problem(nb) -> str:
    """What makes a parsed notebook file not a notebook runspine can read, or "": it must
    be an object whose ``cells`` is a list of objects, each with a string ``cell_type``
    and, where given, ``metadata.tags`` a list of strings; ``metadata`` and
    ``metadata.kernelspec`` (with a string ``name``) objects. Checked before anything
    reads a notebook's cells (``runspine check`` and every build)."""
    if not isinstance(nb, dict):
        return f"not a notebook (a JSON {type(nb).__name__}, not an object)"
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return "not a notebook ('cells' is not a list)"
    for i, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            return f"cell {i} is not a notebook cell (an object with a 'cell_type')"
        cell_meta = cell.get("metadata", {})
        if not isinstance(cell_meta, dict):
            return f"cell {i}: 'metadata' is not an object"
        tags = cell_meta.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return f"cell {i}: metadata.tags must be a list of strings (got {tags!r:.60})"
    meta = nb.get("metadata", {})
    if not isinstance(meta, dict):
        return "'metadata' is not an object"
    kernelspec = meta.get("kernelspec", {})
    if not isinstance(kernelspec, dict) or not isinstance(kernelspec.get("name", ""), str):
        return (f"metadata.kernelspec must be an object with a 'name' (got "
                f"{kernelspec!r:.60})")
    return ""


def notebook_time_limit(path: Path) -> float:
    """A notebook's own time limit (``metadata.runspine.time_limit``) or the default."""
    try:
        value = float(_runspine_metadata(path).get("time_limit", DEFAULT_TIME_LIMIT))
    except (ValueError, TypeError):
        return float(DEFAULT_TIME_LIMIT)
    return value if value > 0 else float(DEFAULT_TIME_LIMIT)


def plan(names: Iterable[str], cli_params: dict[str, str], file_params: dict,
         timeout: float = DEFAULT_TIMEOUT, *, project: Project,
         time_limit: float | None = None) -> list[Job]:
    """Validate names and parameters for every selected notebook; start nothing.

    A parameter is an error when no selected notebook declares it; each notebook gets the
    parameters it declares. ``time_limit`` (seconds per notebook) overrides each notebook's
    own limit. Raises :class:`UsageError` with a one-line message.
    """
    for option, seconds in (("--timeout", timeout), ("--time-limit", time_limit)):
        if seconds is not None and not valid_seconds(seconds):
            raise UsageError(f"{option} must be a positive number of seconds, at most "
                             f"{MAX_SECONDS:.0e} (got {seconds!r:.40})")
    root = project.root
    available = discover(project.notebooks_dir)
    stems = resolve_names(names, available)
    declared: dict[str, dict[str, Parameter]] = {}
    for stem in stems:
        problem = metadata_problem(available[stem])  # the notebook's shape first
        if problem:
            raise UsageError(problem)
        try:
            declared[stem] = inspect_parameters(available[stem])
        except ParameterError as exc:
            raise UsageError(str(exc)) from None
    all_names = set().union(*[set(d) for d in declared.values()]) if declared else set()
    for name in list(file_params) + list(cli_params):
        if name not in all_names:
            raise UsageError(f"unknown parameter '{name}' (known: {', '.join(sorted(all_names))})")
    jobs = []
    shared = shared_hashes(root)
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
        hashes = input_hashes(available[stem], root, shared)
        jobs.append(Job(stem, available[stem], values, {k: p.default for k, p in decl.items()},
                        timeout, cache_key(values, hashes), hashes,
                        time_limit or notebook_time_limit(available[stem])))
    return jobs
