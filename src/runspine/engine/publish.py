"""Publishing: atomic swaps of finished reports, recovery after a crash, the build
lock, and the manifest (with the index and claims pages written beside it).

What is on disk is the truth. Each published report carries its own record,
``reports/<stem>/build.json`` (parameters, cache key, input hashes and the SHA-256 of every
published file), written into the staging directory before the swap, so the record and the
files it describes appear together. The manifest is re-derived from these records at the
start and the end of every build (:func:`sync_manifest`): whatever interrupted a build, the
manifest describes exactly the reports on disk. A report is reused only when its record
matches and every file it lists is present and unchanged (:func:`reusable`).

Bookkeeping never blocks a build: a manifest or lock file that is unreadable, undecodable
or of the wrong shape is treated as absent (one warning line naming it) and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import uuid
from pathlib import Path

from runspine.engine.cache import package_versions
from runspine.engine.jobs import Job, Outcome, UsageError
from runspine.engine.owner import STAGING, TRASH, own_entry, target_of
from runspine.files import atomic_write_text

KEEP_SUBDIRS = ("sweep",)  # built by other commands; carried over when a report is replaced

RECORD = "build.json"  # a report's own record of what it was built from (see module doc)

NOT_PUBLISHED = ("failed.ipynb", "failed-kernel.log", RECORD)  # not part of a report's files


def warn(message: str) -> None:
    """One warning line on stderr (bookkeeping problems that do not stop a build)."""
    from runspine.text import one_line

    print(f"runspine: warning: {one_line(message)}", file=sys.stderr, flush=True)


def file_hashes(report_dir: Path) -> dict[str, str]:
    """SHA-256 of every published file of a report (relative POSIX path -> hex), leaving
    out the record itself, failure copies and sub-directories other commands own."""
    out = {}
    for f in sorted(report_dir.rglob("*")):
        rel = f.relative_to(report_dir)
        if (not f.is_file() or rel.parts[0] in KEEP_SUBDIRS or str(rel) in NOT_PUBLISHED
                or rel.name.startswith(".")):
            continue
        out[rel.as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def _fsync_tree(root: Path) -> None:
    """Flush every file and directory under ``root`` (and ``root``) to disk."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM until the block is done (a publish's renames are not
    split by an interruption; the signal is delivered right after)."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    except (AttributeError, OSError, ValueError):  # not POSIX
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def publish(staging: Path, target: Path, record: dict | None = None) -> None:
    """Swap a finished staging directory in place of ``target`` (renames only).

    With ``record`` (what the report was built from), the report's ``build.json`` is
    written into the staging directory first, with the hash of every published file.
    Everything is flushed to disk before the swap. Sub-directories that other commands
    own (``sweep/``) move into the new report first. SIGINT/SIGTERM wait until the swap
    is done; a crash between the renames is undone by :func:`recover`.
    """
    if record is not None:
        record = {**record, "files": file_hashes(staging)}
        atomic_write_text(staging / RECORD, json.dumps(record, indent=2, sort_keys=True) + "\n")
    _fsync_tree(staging)
    trash = target.parent / TRASH / f"{target.name}.{uuid.uuid4().hex[:8]}"
    trash.parent.mkdir(parents=True, exist_ok=True)
    failed_old = target / "failed.ipynb"
    with signals_deferred():
        if target.exists():
            if failed_old.exists():
                failed_old.unlink()
            for name in KEEP_SUBDIRS:
                if (target / name).is_dir() and not (staging / name).exists():
                    os.replace(target / name, staging / name)
            os.replace(target, trash)
        os.replace(staging, target)
        _fsync_dir(target.parent)
    shutil.rmtree(trash, ignore_errors=True)


def recover(reports_dir: Path) -> None:
    """Undo an interrupted build: restore reports a crash left in the trash area, rescue
    carried-over sub-directories from half-built staging directories, drop the rest.
    Only entries named as runspine names them (:func:`~runspine.engine.owner.own_entry`)
    are touched; anything else is left where it is."""
    trash = reports_dir / TRASH
    staging = reports_dir / STAGING
    if trash.is_dir() and not trash.is_symlink():
        for entry in sorted(trash.iterdir()):
            if not own_entry(entry.name):
                continue
            target = reports_dir / target_of(entry.name)
            if not target.exists() and entry.is_dir() and not entry.is_symlink():
                os.replace(entry, target)
            else:
                _remove(entry)
    if staging.is_dir() and not staging.is_symlink():
        for entry in sorted(staging.iterdir()):
            if not own_entry(entry.name):
                continue
            target = reports_dir / target_of(entry.name)
            for name in KEEP_SUBDIRS:
                if (entry / name).is_dir() and target.is_dir() and not (target / name).exists():
                    os.replace(entry / name, target / name)
            _remove(entry)
    for area in (trash, staging):
        with contextlib.suppress(OSError):
            area.rmdir()  # only when empty


@contextlib.contextmanager
def build_lock(reports_dir: Path):
    """Hold ``reports/.lock`` for the duration of a build; fail fast if another holds it."""
    import fcntl

    reports_dir.mkdir(parents=True, exist_ok=True)
    lock_path = reports_dir / ".lock"
    if lock_path.is_symlink() or (lock_path.exists() and not lock_path.is_file()):
        warn(f"{lock_path} is not a lock file; replaced")
        _remove(lock_path)
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another runspine build is using {reports_dir} "
                             f"(lock {lock_path}); wait for it to finish") from None
        yield


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def _read_json(path: Path):
    """The JSON in ``path``; ``None`` when missing; ``ValueError`` when unreadable."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, RecursionError, json.JSONDecodeError) as exc:
        raise ValueError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc


def read_manifest(reports_dir: Path, quiet: bool = False) -> dict:
    """The manifest, or an empty one when it is missing, unreadable or of the wrong
    shape (then one warning line, unless ``quiet``; the build rewrites it)."""
    path = reports_dir / "manifest.json"
    try:
        data = _read_json(path)
    except ValueError as exc:
        data, problem = None, f"unreadable ({exc})"
    else:
        problem = "" if data is None else _manifest_shape_problem(data)
    if problem:
        if not quiet:
            warn(f"{path}: {problem}; treated as absent and rewritten")
        data = None
    return data if data is not None else {"notebooks": {}}


def _manifest_shape_problem(data) -> str:
    if not isinstance(data, dict):
        return "not a JSON object"
    notebooks = data.get("notebooks", {})
    if not isinstance(notebooks, dict):
        return "'notebooks' is not an object"
    for stem, entry in notebooks.items():
        if not isinstance(entry, dict):
            return f"entry '{stem}' is not an object"
    for key in ("sweeps",):
        if key in data and not isinstance(data[key], dict):
            return f"'{key}' is not an object"
    return ""


def read_record(report_dir: Path) -> dict | None:
    """A report's own ``build.json`` record, or None (missing, unreadable, wrong shape)."""
    try:
        rec = _read_json(report_dir / RECORD)
    except ValueError:
        return None
    if (not isinstance(rec, dict) or not isinstance(rec.get("cache_key"), str)
            or not isinstance(rec.get("files"), dict) or "report.html" not in rec["files"]):
        return None
    return rec


def intact(report_dir: Path, record: dict | None) -> bool:
    """Every file the record lists is present with the recorded hash and the expected
    shape, and no other published file is there (:func:`runspine.engine.verify.unchanged`)."""
    from runspine.engine.verify import unchanged

    return unchanged(report_dir, record)


def reusable(job: Job, manifest: dict, reports_dir: Path) -> bool:
    """Reuse a report only if the manifest and the report's own record say it was built
    from exactly these inputs, and every file it published is present and unchanged."""
    entry = manifest.get("notebooks", {}).get(job.stem, {})
    if entry.get("status") != "ok" or entry.get("cache_key") != job.cache_key:
        return False
    record = read_record(reports_dir / job.stem)
    return (record is not None and record["cache_key"] == job.cache_key
            and intact(reports_dir / job.stem, record))


GOOD_KEYS = ("notebook", "parameters", "input_hashes", "cache_key", "package_versions",
             "files")


def build_record(job: Job) -> dict:
    """What a report was built from (its ``build.json``; the file hashes are added by
    :func:`publish`)."""
    return {"notebook": f"notebooks/{job.path.name}", "parameters": job.values,
            "input_hashes": job.input_hashes, "cache_key": job.cache_key,
            "package_versions": package_versions()}


def sync_manifest(manifest: dict, reports_dir: Path) -> None:
    """Make the manifest describe exactly the reports on disk (their ``build.json``).

    An entry whose report is missing or was replaced (an interrupted build published it,
    a crash lost it) is rewritten from what is there; a report on disk with no entry
    gets one. A report without a valid record is left out of the good ones (rebuilt).
    """
    entries = manifest.setdefault("notebooks", {})
    stems = set(entries)
    if reports_dir.is_dir():
        stems |= {p.parent.name for p in reports_dir.glob(f"*/{RECORD}")}
    for stem in sorted(stems):
        record = read_record(reports_dir / stem)
        entry = entries.get(stem)
        good = {k: record.get(k) for k in GOOD_KEYS} if record else None
        if good is not None:
            good["report"] = f"{stem}/report.html"
        if entry is None:
            if good is not None:
                entries[stem] = {**good, "status": "ok", "reused": False, "message": "",
                                 "timing": {}}
            continue
        if entry.get("status") == "ok":
            if good is None:  # the report is gone or unrecorded: nothing good is on disk
                entries[stem] = {k: v for k, v in entry.items() if k not in GOOD_KEYS
                                 and k != "report"} | {"status": "missing", "reused": False}
            elif any(entry.get(k) != good[k] for k in ("cache_key", "files")):
                entries[stem] = {**entry, **good, "reused": False}
        elif good is None:
            entry.pop("last_good", None)
        elif (entry.get("last_good") or {}).get("cache_key") != good["cache_key"] \
                or (entry.get("last_good") or {}).get("files") != good["files"]:
            if entry.get("status") == "missing":
                entries[stem] = {**entry, **good, "status": "ok", "reused": False}
            else:
                entry["last_good"] = good


def update_manifest(manifest: dict, job: Job, out: Outcome) -> None:
    entries = manifest.setdefault("notebooks", {})
    old = entries.get(job.stem, {})
    if out.status == "reused":
        old["reused"] = True
        old.setdefault("timing", {})["duration_s"] = 0.0
        entries[job.stem] = old
        return
    entry = {"notebook": f"notebooks/{job.path.name}", "parameters": job.values,
             "status": out.status, "reused": False, "input_hashes": job.input_hashes,
             "package_versions": package_versions(), "message": out.message,
             "timing": {"duration_s": round(out.duration_s, 3)}}
    if out.status == "ok":
        entry["cache_key"] = job.cache_key
        entry["report"] = f"{job.stem}/report.html"  # "files": from build.json (sync)
    elif old.get("status") == "ok" or old.get("last_good"):
        # keep what the previous good report was built from
        entry["last_good"] = old.get("last_good") or {
            k: old.get(k) for k in (*GOOD_KEYS, "report")}
    entries[job.stem] = entry


def write_manifest_and_index(manifest: dict, reports_dir: Path) -> None:
    from runspine.site.index import render_claims_page, render_glossary_page, render_index

    manifest["notebooks"] = dict(sorted(manifest.get("notebooks", {}).items()))
    manifest["schema"] = "runspine-manifest/1"
    for name in ("manifest.json", "index.html", "claims.html", "consistency.html",
                 "glossary.html"):
        if (reports_dir / name).is_dir() and not (reports_dir / name).is_symlink():
            _remove(reports_dir / name)  # bookkeeping in the way: rewritten
    atomic_write_text(reports_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    from runspine.site.consistency import render_consistency_page

    # before the index, which links it when it exists
    page = render_consistency_page(manifest, reports_dir)  # None: unchanged, or not needed
    if page is not None:
        atomic_write_text(reports_dir / "consistency.html", page)
    from runspine.engine.verify import trusted_files

    trusted = trusted_files(reports_dir, manifest["notebooks"])  # one warning per file not
    atomic_write_text(reports_dir / "index.html",                # as its record says
                      render_index(manifest, reports_dir, trusted))
    atomic_write_text(reports_dir / "claims.html",
                      render_claims_page(manifest, reports_dir, trusted))
    atomic_write_text(reports_dir / "glossary.html", render_glossary_page())
