"""Publishing: atomic swaps of finished reports, recovery after a crash, the build lock.

Each published report carries its own record, ``reports/<stem>/build.json`` (parameters,
cache key, input hashes and the SHA-256 of every published file), written into the staging
directory before the swap, so the record and the files it describes appear together.
The swap is renames only, flushed to disk, with SIGINT and SIGTERM held until it is done;
a crash between the renames is undone at the start of the next build (:func:`recover`).
What the manifest makes of these records is :mod:`runspine.engine.manifest`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
from pathlib import Path

from runspine.engine.jobs import UsageError
from runspine.engine.owner import STAGING, TRASH, scratch_entry, target_of
from runspine.files import atomic_write_text, real_dir
from runspine.text import warn

KEEP = "sweep"  # a sub-directory built by another command; kept when a report is replaced

RECORD = "build.json"  # a report's own record of what it was built from (see module doc)

NOT_PUBLISHED = ("failed.ipynb", "failed-kernel.log", RECORD)  # not part of a report's files


def published_files(report_dir: Path) -> list[str]:
    """The relative POSIX paths of a report's published files: every file but the record
    itself, failure copies, dot-files and sub-directories other commands own (none when
    ``report_dir`` is not a directory)."""
    files = (f.relative_to(report_dir) for f in sorted(report_dir.rglob("*")) if f.is_file())
    return [rel.as_posix() for rel in files if rel.parts[0] != KEEP
            and str(rel) not in NOT_PUBLISHED and not rel.name.startswith(".")]


def _fsync_tree(root: Path) -> None:
    """Flush every file and directory under ``root`` (and ``root``) to disk."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            _fsync(os.path.join(dirpath, name))
        _fsync(dirpath)


def _fsync(path: str | Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM until the block is done (a publish's renames are not
    split by an interruption; the signal is delivered right after).

    Blocking the signals in this thread is not enough: another thread of the process
    (a library's C thread) takes a signal this one blocks, and Python then runs the
    handler here anyway. So in the main thread (the only one whose handlers Python
    runs) the handlers are swapped for ones that only note the signal, and the first
    noted is raised again once the block is done."""
    import threading

    held: list[int] = []
    sigs = (signal.SIGINT, signal.SIGTERM)
    main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.signal(sig, lambda signum, frame: held.append(signum))
                for sig in sigs} if main else {}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, set(sigs))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if held:
            signal.raise_signal(held[0])


def publish(staging: Path, target: Path, record: dict | None = None) -> None:
    """Swap a finished staging directory in place of ``target`` (see the module doc),
    with ``record`` (what the report was built from) as its ``build.json``. Sub-directories
    that other commands own (``sweep/``) move into the new report first."""
    if record is not None:
        hashes = {rel: hashlib.sha256((staging / rel).read_bytes()).hexdigest()
                  for rel in published_files(staging)}
        record = {**record, "files": hashes}
        atomic_write_text(staging / RECORD, json.dumps(record, indent=2, sort_keys=True) + "\n")
    _fsync_tree(staging)
    trash = scratch_entry(target.parent / TRASH, target.name)
    trash.parent.mkdir(parents=True, exist_ok=True)
    with signals_deferred():
        if target.exists():  # (its failed.ipynb goes with it: the run succeeded)
            if real_dir(target) and (target / KEEP).is_dir() and not (staging / KEEP).exists():
                os.replace(target / KEEP, staging / KEEP)
            os.replace(target, trash)
        os.replace(staging, target)
        _fsync(target.parent)
    remove(trash)


def recover(reports_dir: Path) -> None:
    """Undo an interrupted build: restore reports a crash left in the trash area, rescue
    carried-over sub-directories from half-built staging directories, drop the rest.
    Only entries named as runspine names them (:func:`~runspine.engine.owner.target_of`),
    not symbolic links, are touched, and no link is followed; the rest is left alone."""
    for area in (reports_dir / TRASH, reports_dir / STAGING):
        entries = sorted(area.iterdir()) if real_dir(area) else []
        for entry in (e for e in entries if target_of(e.name) and not e.is_symlink()):
            target = reports_dir / target_of(entry.name)
            if area.name == TRASH:
                if not target.exists() and entry.is_dir():
                    os.replace(entry, target)
                    continue
            elif (entry / KEEP).is_dir() and real_dir(target) and not (target / KEEP).exists():
                os.replace(entry / KEEP, target / KEEP)
            remove(entry)
        with contextlib.suppress(OSError):
            area.rmdir()  # only when empty


@contextlib.contextmanager
def build_lock(reports_dir: Path):
    """Hold ``reports/.lock`` for the duration of a build (in a directory already claimed,
    :func:`~runspine.engine.owner.claim`); fail fast if another holds it."""
    lock_path = reports_dir / ".lock"
    if lock_path.is_symlink() or (lock_path.exists() and not lock_path.is_file()):
        warn(f"{lock_path} is not a lock file; replaced")
        remove(lock_path)
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another runspine build is using {reports_dir} "
                             f"(lock {lock_path}); wait for it to finish") from None
        yield


def remove(path: Path) -> None:
    if real_dir(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()
