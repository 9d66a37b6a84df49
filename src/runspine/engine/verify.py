"""Trust only what was recorded: a file of a report or a sweep point that the engine did
not just write is checked before it is used again.

Each published report and each sweep point carries its record, ``build.json``, listing the
SHA-256 of every file it published (:func:`runspine.engine.publish.publish`). Before a
report or point is reused, and before the index, the claims page or a sweep summary reads
one of its files, the file is *verified*: listed in the record, with the recorded bytes, a
regular file (a pipe or a device is never read), and of the shape its readers expect
(:func:`shape_problem`). A report or point with any file that is not (changed, missing, not
listed, of the wrong shape) is not reused: it is rebuilt. Where it is not rebuilt in this
command (a notebook outside the selection, a point whose run failed), its unverified files
are skipped, with one warning line naming each, and never shown; nothing is fatal.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

from runspine.claims import VERDICTS
from runspine.engine.publish import RECORD, published_files
from runspine.files import read_regular
from runspine.text import warn

CLAIMS_COLUMNS = ("claim_id", "verdict", "evidence")


def read_bookkeeping(path: Path, shape_problem: Callable[[object], str],
                     say: Callable[[str], None] | None = warn) -> dict | None:
    """The JSON in a bookkeeping file (a manifest, a sweep's state, a build record), or
    None when it is missing, unreadable or fails ``shape_problem`` (what is wrong, or
    ""): bookkeeping never blocks a build. A damaged file gets one warning line naming
    it (``say``; None: silent); the caller rewrites it."""
    try:
        data = json.loads(read_regular(path).decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, RecursionError) as exc:  # a pipe, not JSON, nested...
        data, problem = None, f"unreadable ({type(exc).__name__})"
    else:
        problem = shape_problem(data)
    if problem and say is not None:
        say(f"{path}: {problem}; treated as absent and rewritten")
    return None if problem else data


def _record_problem(rec) -> str:
    return "" if (isinstance(rec, dict) and isinstance(rec.get("cache_key"), str)
                  and isinstance(rec.get("files"), dict)
                  and "report.html" in rec["files"]) else "not a build record"


def read_record(report_dir: Path) -> dict | None:
    """A report's own ``build.json`` record, or None (missing, unreadable, wrong shape)."""
    return read_bookkeeping(report_dir / RECORD, _record_problem, say=None)


def shape_problem(rel: str, data: bytes) -> str:
    """What makes a published file unfit for its readers, or ""."""
    if rel in ("results.json", "executed.ipynb"):
        try:
            value = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError) as exc:  # undecodable, not JSON, 5000 digits
            return f"not JSON ({type(exc).__name__})"
        if not isinstance(value, dict):
            return f"not a JSON object (a {type(value).__name__})"
        if rel == "results.json" and not all(isinstance(v, dict) for v in value.values()):
            return "not an object of results (each an object with a value)"
        return ""
    if rel == "tables/claims.csv":
        try:
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
        except (ValueError, csv.Error) as exc:
            return f"not a UTF-8 CSV table ({type(exc).__name__})"
        for i, row in enumerate(rows, start=2):
            missing = [c for c in CLAIMS_COLUMNS if not isinstance(row.get(c), str)]
            if missing:
                return f"row {i} has no {missing[0]!r}: not a claims table"
            if row["verdict"] not in VERDICTS:
                return f"row {i}: {row['verdict'][:40]!r} is not a verdict"
    return ""


def check(directory: Path, record: dict | None = None) -> tuple[frozenset[str], list[str]]:
    """(the files of a report or point that may be read, one problem per file that may
    not, each naming it). ``record`` defaults to the directory's own ``build.json``."""
    record = record if record is not None else read_record(directory)
    present = set(published_files(directory))
    if record is None:
        unlisted = "no valid build record (build.json) lists it"
        return frozenset(), [f"{directory / rel}: {unlisted}" for rel in sorted(present)]
    good, problems = set(), []
    for rel, sha in sorted(record["files"].items()):
        path = directory / rel
        try:
            data = read_regular(path)
        except OSError as exc:  # missing, or never read: a pipe, a device, a huge file
            problems.append(f"{path}: " + ("missing (listed in its build record)" if isinstance(
                exc, FileNotFoundError) else str(exc.strerror)))
            continue
        if not isinstance(sha, str) or hashlib.sha256(data).hexdigest() != sha:
            problems.append(f"{path}: changed since it was built (not the bytes its build "
                            "record lists)")
            continue
        shape = shape_problem(rel, data)
        if shape:
            problems.append(f"{path}: {shape}")
            continue
        good.add(rel)
    for rel in sorted(present - set(record["files"])):
        problems.append(f"{directory / rel}: not in its build record (not written by "
                        "runspine)")
    return frozenset(good), problems


def reusable(entry: dict, directory: Path, cache_key: str) -> bool:
    """A report or sweep point may be reused: its bookkeeping ``entry`` (the manifest's or
    ``sweep.json``'s) and its own record say it was built with ``cache_key``, every file
    the record lists is verified and nothing else is there (an edited ``results.json``
    or one bad byte makes it run again)."""
    record = read_record(directory) if entry.get("status") == "ok" else None
    return entry.get("cache_key") == cache_key and record is not None \
        and record["cache_key"] == cache_key and not check(directory, record)[1]


def readable(directory: Path, otherwise: str,
             say: Callable[[str], None] = warn) -> frozenset[str]:
    """The files of a report or sweep point the pages may read; one warning line for each
    they may not, ending with what becomes of it (``otherwise``)."""
    good, problems = check(directory)
    for problem in problems:
        say(f"{problem}; {otherwise}")
    return good
