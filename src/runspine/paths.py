"""Path constants for the project tree.

The project root is found from ``RUNSPINE_ROOT`` when set (tests use it to point the
runner at a scratch copy), otherwise from this file's location in ``src/runspine``.
Nothing is created at import time.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """Return the project root directory."""
    env = os.environ.get("RUNSPINE_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


ROOT = project_root()
DATA_DIR = ROOT / "data"
DATAPACKAGE = DATA_DIR / "datapackage.json"
REFERENCES_BIB = DATA_DIR / "references.bib"
NOTEBOOKS_DIR = ROOT / "notebooks"
#: The study notebooks in it: ``NN_name.ipynb``.
NOTEBOOK_GLOB = "[0-9][0-9]_*.ipynb"
REPORTS_DIR = ROOT / "reports"
SRC_DIR = Path(__file__).resolve().parent
