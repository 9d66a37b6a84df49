"""Writing files: atomically, with the mode an ordinary write would give them; reading
back only regular files of a bounded size (:func:`read_regular`); and reading a file
once per version of it (:func:`cached_per_version`).

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


MAX_READ_BYTES = 256 * 1024**2  # a report's or a bookkeeping file, read back whole


def read_regular(path: Path, limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of ``path`` when it is a regular file (a symbolic link followed) of at
    most ``limit`` bytes. Anything else raises ``OSError`` without being read: a named
    pipe would block the reader forever, ``/dev/zero`` would never end, a huge file would
    fill the memory (``FileNotFoundError`` when there is nothing)."""
    import errno
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # (a pipe: opened, not waited on)
    st = os.fstat(fd)  # checked before fdopen, which names a directory by its descriptor
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        os.close(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a pipe, device or directory)",
                          str(path))
        raise OSError(errno.EFBIG, f"{st.st_size:,} bytes, more than runspine writes "
                      f"({limit:,})", str(path))
    with os.fdopen(fd, "rb") as fh:
        return fh.read(limit + 1)


def clear_the_way(root: Path, dirs, files, say) -> None:
    """Make way, inside ``root``, for the directories (``dirs``) and files (``files``)
    runspine writes, with one line to ``say`` for each entry removed: a symbolic link at or
    above one of them (it would make runspine write, move or remove files outside
    ``root``: a report directory linked elsewhere gave up its ``sweep/``, a linked
    ``sweep/`` got every point), anything but a directory where a directory goes, and a
    directory where a file goes (a ``sweep.json`` or a ``sweep`` of the wrong kind failed
    every later sweep). What a link pointed at is left as it was."""
    import shutil

    for path, want_dir in [(d, True) for d in dirs] + [(f, False) for f in files]:
        parts = Path(path).relative_to(root).parts
        for i in range(1, len(parts) + 1):
            entry = root.joinpath(*parts[:i])
            if entry.is_symlink():
                say(f"{entry}: a symbolic link where runspine writes a directory; the "
                    "link is removed (runspine writes only inside its reports directory)")
                entry.unlink()
                break
            want = want_dir or i < len(parts)  # (what is above it must be a directory)
            if entry.exists() and entry.is_dir() != want:
                say(f"{entry}: a {'directory' if entry.is_dir() else 'file'} where runspine "
                    f"writes a {'directory' if want else 'file'}; removed")
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink()


def plain_name(name: str) -> bool:
    """``name`` is one entry of a directory, as a page links it (relative to itself): not
    empty, ``.`` or ``..``, without a separator, a control character or a colon (a name
    ``https:`` would read as an address's scheme, ``https:/x`` as another host), nor a
    lone surrogate (``"\\udcff"`` in JSON: no file name or page can be written with it)."""
    import re

    return name not in ("", ".", "..") and not re.search(
        r"[/\\:\x00-\x1f\x7f\ud800-\udfff]", name)


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    """Write a file atomically (temporary file in the same directory, then rename).

    The file gets ``mode`` if given, else the mode any ordinary write would give it
    (0666 less the umask, so 0644 under the usual umask 022), not the 0600 of the
    temporary file, so a web server running as another user can read published reports.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask() if mode is None else mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def real_dir(path: Path) -> bool:
    """A directory, not a symbolic link to one (runspine makes no links: one it finds in
    its own directories was put there by someone else, and is never followed)."""
    return path.is_dir() and not path.is_symlink()


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
