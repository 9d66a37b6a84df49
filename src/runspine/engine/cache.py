"""Cache keys: hashes of everything a notebook's output depends on.

A notebook is reused when its source, its parameters, every file in ``data/``, the
``src/runspine`` code and the installed distributions are unchanged since its last good
run (:func:`cache_key` over :func:`input_hashes`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from runspine.project import SRC_DIR, Project

KEY_PACKAGES = ("runspine", "numpy", "pandas", "scipy", "statsmodels", "matplotlib",
                "seaborn", "papermill", "nbconvert", "nbclient", "ipykernel", "frictionless")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_hash(files: Iterable[Path], base: Path) -> str:
    """One hash over several files' relative paths and bytes."""
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(os.fsencode(f.relative_to(base)))  # (a name may be any bytes)
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of the key packages (shown in the manifest)."""
    out = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def environment_hash() -> str:
    """Hash of every installed distribution's name and version, as they are now.

    Read from the names of the ``*.dist-info`` and ``*.egg-info`` directories on
    ``sys.path`` (``numpy-2.1.3.dist-info``): an install, upgrade or removal renames, adds
    or drops one, and reading each one's METADATA would take 0.15 s. The working directory
    (first on ``sys.path`` under ``python -m``) is left out: the key does not depend on
    where the command is run.
    """
    here = {"", os.getcwd()}
    items = set()
    for entry in sys.path:
        if entry in here:
            continue
        try:
            with os.scandir(entry) as found:
                items.update(e.name for e in found
                             if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:  # a zip file, or a directory gone
            continue
    return _sha("\n".join(sorted(items)).encode())


def shared_hashes(root: Path) -> dict[str, str]:
    """Hashes of the inputs every notebook shares: ``data/``, the package code and the installed
    distributions. The files of ``data/`` hashed are its regular files whose real path is
    inside ``data/`` (a symbolic link out of it is not data, and is never read); one over the
    size limit is refused before it is read (:class:`runspine.data.DataError`)."""
    from runspine.data import DataError, outside, size_problem

    data_dir, data_files = root / "data", []  # (none when there is no data/)
    for p in data_dir.rglob("*"):
        if not p.is_file() or outside(p, data_dir):
            continue
        if problem := size_problem(p):  # (a regular file: only its size can be wrong)
            raise DataError(f"{p.relative_to(root)}: {problem}")
        data_files.append(p)
    return {"data": tree_hash(data_files, root) if data_files else "",
            "code": tree_hash(code_files(), SRC_DIR),
            "environment": environment_hash()}


def code_files() -> list[Path]:
    """The package's own files a kernel's results can depend on (``src/runspine``)."""
    return [p for p in SRC_DIR.rglob("*")
            if p.is_file() and p.suffix in (".py", ".j2", ".json", ".css", ".js")
            and "__pycache__" not in p.parts]


def code_state() -> str:
    """A hash of the package code and the installed distributions as they are now (each
    code file's path, size and modification time: cheap enough to ask before every
    kernel). A kernel template is replaced when it changes (no stale imports)."""
    h = hashlib.sha256(environment_hash().encode())
    for f in sorted(code_files()):
        try:
            st = f.stat()
        except OSError:
            continue
        h.update(os.fsencode(f) + f"\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def input_hashes(nb_path: Path, shared: dict[str, str]) -> dict[str, str]:
    """A notebook's cache inputs: its bytes' hash and the ``shared`` (:func:`shared_hashes`)."""
    return {"notebook": _sha(nb_path.read_bytes()), **shared}


def changed_inputs(job) -> str:
    """Which of ``job``'s inputs differ now from its cache key's ("notebook, data"; "")."""
    now = input_hashes(job.path, shared_hashes(Project.current().root))
    return ", ".join(k for k, v in job.input_hashes.items() if now.get(k) != v)


def cache_key(values: dict, hashes: dict) -> str:
    return _sha(json.dumps({"params": values, "inputs": hashes}, sort_keys=True).encode())
