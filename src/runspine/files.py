"""Writing files: atomically, with the mode an ordinary write would give them; and
reading a file once per version of it (:func:`cached_per_version`).

Used by the notebooks' result recording, the engine's publishing and bookkeeping, the
reader pages and the CLI; it imports nothing of runspine.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path


def current_umask() -> int:
    """The process umask, read without changing it where the kernel reports it
    (``/proc/self/status``); elsewhere set and restored at once."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file atomically (temporary file in the same directory, then rename).

    The file gets the mode any ordinary write would give it (0666 less the umask, so
    0644 under the usual umask 022), not the 0600 of the temporary file, so a web
    server running as another user can read published reports.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_per_version(maxsize: int, missing=None):
    """Decorator: ``fn(path)`` computed once per version of the file at ``path`` (its
    size and modification time), so a process that reads it again after an edit (a
    second build in one process) gets the new content. Where ``path`` cannot be
    examined, ``missing(path)`` if given, else ``fn(path)`` (uncached, to report it)."""
    def wrap(fn):
        @functools.lru_cache(maxsize=maxsize)
        def by_version(path, version):
            return fn(path)

        @functools.wraps(fn)
        def cached(path):
            try:
                st = os.stat(path)
            except OSError:
                return missing(path) if missing is not None else fn(path)
            return by_version(path, (st.st_size, st.st_mtime_ns))
        return cached
    return wrap
