"""The reports directory is runspine's own, and runspine touches only its own files.

A directory becomes runspine's when a run creates it, finds it empty, or is the project's
own ``reports/`` (not a link elsewhere): it then gets a marker file, :data:`MARKER`. A run
refuses (one line, exit 2) to write anywhere else: an existing, non-empty directory
without the marker, the file-system root, the home directory, the project root, any
directory that contains the project or a ``data/`` directory, or one inside ``data/``.

Inside an owned directory, runspine's scratch areas carry runspine's own names
(:data:`STAGING`, :data:`TRASH`), and crash recovery acts only on entries named the way
runspine names them (:func:`target_of`): anything else found there is left alone.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from runspine.engine.jobs import UsageError
from runspine.files import atomic_write_text
from runspine.project import SRC_DIR, Project
from runspine.text import utf8_text

MARKER = ".runspine-reports"
STAGING = ".runspine-staging"  # reports being built, swapped in when done
TRASH = ".runspine-trash"  # a replaced report, between the two renames of a publish
MARKER_TEXT = ("This directory holds reports built by runspine; runspine may replace "
               "what it wrote here. Remove this file to stop it writing here.\n")

# runspine's scratch entries: <report>.<8 hex digits>[.kernel.log]; no report's name
# (a notebook's stem, a sweep point's) starts with a dot: never '.', '..' or '.cache'
_OWN = re.compile(r"(?P<target>[^./\\][^/\\]*)\.[0-9a-f]{8}(\.kernel\.log)?")


def scratch_entry(area: Path, name: str) -> Path:
    """A new entry of ``area`` (staging or trash) for report ``name`` (:func:`target_of`)."""
    return area / f"{name}.{uuid.uuid4().hex[:8]}"


def target_of(name: str) -> str | None:
    """The report an entry of a staging or trash area belongs to when runspine named it
    (:func:`scratch_entry`); None for any other name."""
    found = _OWN.fullmatch(name)
    return found and found["target"]


def _inside(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _marked(directory: Path) -> bool:  # (a marker that is a link marks nothing)
    return (directory / MARKER).is_file() and not (directory / MARKER).is_symlink()


def refusal(reports_dir: Path, project: Project) -> str:
    """Why runspine may not write into ``reports_dir`` ('' when it may)."""
    if str(reports_dir) == "":
        return "the reports directory is empty ('')"
    where = Path(os.path.realpath(reports_dir))
    root = Path(os.path.realpath(project.root))
    named = f"the reports directory {os.path.abspath(reports_dir)}"
    if not utf8_text(named):  # (kernels fail on it)
        return f"{named} has a name that is not UTF-8 text; rename it"
    if where == Path(where.anchor):
        return f"{named} is the file-system root; choose a directory of its own"
    home = os.path.expanduser("~")  # (left as "~" when no home directory is known)
    if home != "~" and where == Path(os.path.realpath(home)):
        return f"{named} is the home directory; choose a directory of its own"
    if _inside(root, where):
        return (f"{named} is the project root or contains the project; "
                "choose a directory of its own (default: reports/)")
    if _inside(where, Path(os.path.realpath(project.data_dir))):
        return f"{named} is inside the project's data/; choose a directory of its own"
    if _inside(where, Path(os.path.realpath(SRC_DIR))):  # (hashed as code: never reused)
        return f"{named} is inside runspine's code ({SRC_DIR}); choose a directory of its own"
    if (where / "data").is_dir():
        return f"{named} contains a data/ directory; choose a directory of its own"
    if any(_marked(above) for above in where.parents):  # (its next build may remove it)
        return f"{named} is inside runspine's reports directory; choose one of its own"
    if where.exists() and not where.is_dir():
        return f"{named} is not a directory"
    if where.is_dir() and not _marked(where) \
            and where != root / project.reports_dir.name and any(where.iterdir()):
        return (f"{named} is not empty and was not made by runspine (no {MARKER}); "
                "choose a new or empty directory")
    return ""


def claim(reports_dir: str | os.PathLike | None, project: Project) -> Path:
    """Make sure ``reports_dir`` (None: the project's default; relative to the working
    directory) is runspine's to write (creating it, and its marker, if needed) and return
    it as an absolute path; :class:`UsageError` (exit 2) if it may not be written (see the
    module doc). Nothing is written when it is refused."""
    reports_dir = project.reports_dir if reports_dir is None else reports_dir
    if problem := refusal(reports_dir, project):
        raise UsageError(problem)
    reports_dir = Path(os.path.abspath(reports_dir))
    reports_dir.mkdir(parents=True, exist_ok=True)
    if not _marked(reports_dir):
        atomic_write_text(reports_dir / MARKER, MARKER_TEXT)
    return reports_dir
