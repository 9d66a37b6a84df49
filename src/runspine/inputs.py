"""Reading the project's input files (data tables, schemas, the bibliography) as data:
only regular files of a bounded size, inside their directory, decoded as UTF-8; every
problem a :class:`DataError` naming the file.

Used by :mod:`runspine.data` and :mod:`runspine.bibliography` (and, for how a runspine
process imports jsonschema, by the CLI and the Dask workers); it imports nothing of
runspine (and no analysis library: a kernel that records a result reads the bibliography
through it without importing pandas).
"""

from __future__ import annotations

import os
from pathlib import Path


class DataError(ValueError):
    """Invalid or missing input data; the message names file, row and field."""


#: The largest file in ``data/`` that is read (README "Limits"): the transcribed tables
#: are kilobytes; anything this big is a mistake, and would be read whole into memory.
MAX_DATA_BYTES = 20_000_000


def size_problem(path: Path) -> str:
    """Why a data file cannot be read (not a regular file, over :data:`MAX_DATA_BYTES`),
    or "". Raises ``FileNotFoundError`` when it does not exist."""
    import stat

    st = Path(path).stat()
    if stat.S_ISDIR(st.st_mode):
        return "data file cannot be read (Is a directory)"  # as os.strerror(EISDIR)
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a device, pipe or socket)"
    if st.st_size > MAX_DATA_BYTES:
        return f"is {st.st_size:,} bytes; a data file may have at most {MAX_DATA_BYTES:,}"
    return ""


def outside(path: Path, base: Path) -> bool:
    """True when ``path``, symbolic links resolved, is not inside ``base`` (resolved)."""
    real, home = Path(os.path.realpath(path)), Path(os.path.realpath(base))
    return real != home and home not in real.parents


def read_utf8(path: Path, shown: str | None = None) -> str:
    """A data, schema or bibliography file's text; a file that is not UTF-8 raises
    :class:`DataError` naming the file and the line of the first undecodable byte, and
    so does one that is not a regular file or is bigger than :data:`MAX_DATA_BYTES`
    (``FileNotFoundError`` when it does not exist)."""
    problem = size_problem(path)
    if problem:
        raise DataError(f"{shown or path}: {problem}")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise DataError(f"{shown or path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DataError(f"{shown or path} line {line}: not UTF-8 (byte "
                        f"0x{data[exc.start]:02x} at offset {exc.start})") from None


def skip_unused_format_checkers() -> None:
    """Keep jsonschema from loading the optional ``rfc3987_syntax`` package in runspine's
    own processes (kernels are untouched).

    When it is installed (JupyterLab pulls it in), importing jsonschema compiles about 40
    grammars for its IRI format checks: about 1.2 s of CPU per process. Neither
    nbformat's nor frictionless's schemas use those formats, so the checks are unused.
    """
    import sys

    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: import raises ImportError
