"""Notebook names and the job records a build passes around.

A :class:`Job` is one notebook with a full, validated parameter set (its own report, or
one point of a sweep); an :class:`Outcome` is what happened to it; a :class:`BuildResult`,
what a build did. :func:`resolve_names` maps the user's names (``01``, ``1``, a stem, a
unique part of one) to the project's notebooks (:meth:`runspine.project.Project.notebooks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIMEOUT = 300  # seconds per cell (``--timeout``)
DEFAULT_TIME_LIMIT = 600  # seconds per notebook (``--time-limit``; metadata runspine.time_limit)


class UsageError(Exception):
    """Bad command-line input: unknown notebook, bad parameters, invalid data (exit 2)."""


@dataclass
class Job:
    """One notebook to execute with a full, validated parameter set."""

    stem: str
    path: Path
    values: dict
    defaults: dict
    timeout: float = DEFAULT_TIMEOUT
    cache_key: str = ""
    input_hashes: dict = field(default_factory=dict)
    time_limit: float = DEFAULT_TIME_LIMIT
    expected_s: float | None = None  # metadata.runspine.expected_s (the build's order)
    point: str = ""  # a sweep point's name (its directory), "" for the notebook's report
    grid: dict = field(default_factory=dict)  # a sweep point's grid values

    @property
    def name(self) -> str:
        """The directory its outputs are published as (in ``reports/`` or a sweep's)."""
        return self.point or self.stem


@dataclass
class Outcome:
    """What happened to one job (``name``: its :attr:`Job.name`)."""

    name: str
    status: str  # ok | failed | reused
    duration_s: float = 0.0
    message: str = ""


@dataclass
class BuildResult:
    """What a build did: one outcome per selected notebook (or sweep point), in the
    selection's (or grid's) order; a sweep's ``summary`` page."""

    reports_dir: Path
    outcomes: list[Outcome] = field(default_factory=list)
    summary: Path | None = None

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def index(self) -> Path:
        return self.reports_dir / "index.html"

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def longest_first(jobs: list[Job], measured: dict[str, float]) -> list[Job]:
    """``jobs`` in the order to start them: the longest expected first, so that a short notebook,
    not a long one, is the last to run while the other places are idle (on 2 cores and this
    project's six notebooks, about a second of a cold build). Expected: the seconds the last good
    run in this reports directory took (``measured``), else ``metadata.runspine.expected_s``; a
    notebook with neither goes first (it may be the longest). Ties keep the selection's order."""
    def expected(job: Job) -> float:
        seconds = measured.get(job.name) or job.expected_s
        return float("inf") if seconds is None else seconds

    return sorted(jobs, key=expected, reverse=True)


def resolve_names(names: Iterable[str], available: dict[str, Path]) -> list[str]:
    """Map user-given names (stem, ``01``, ``1``, or a unique part of the stem) to stems."""
    names = list(names)
    if not names:
        return list(available)
    out = []
    homes = {p.parent.resolve() for p in available.values()}
    for name in names:
        given = Path(name)
        if (name.endswith(".ipynb") or len(given.parts) > 1) and given.exists() \
                and given.resolve().parent not in homes:  # a path: resolved against the cwd
            where = ", ".join(str(h) for h in sorted(homes)) or "notebooks/"
            raise UsageError(f"'{name}' is not one of the project's notebooks (in {where})")
        key = given.name.removesuffix(".ipynb")
        if key in available:
            match = [key]
        elif key.isascii() and key.isdigit():  # ('¹' and '０' are digits to str.isdigit)
            match = [s for s in available if s[:2].isdigit() and int(s[:2]) == int(key)]
        else:  # ('' is part of every name)
            match = [s for s in available if key and key in s]
        if len(match) != 1:
            known = ", ".join(available) or "none"
            what = "matches several notebooks" if match else "is not a notebook"
            raise UsageError(f"'{name}' {what} (known: {known})")
        if match[0] not in out:
            out.append(match[0])
    return out
