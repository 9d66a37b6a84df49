"""``runspine strip``: a notebook saved after running, put back as it is committed.

Notebooks are committed without outputs (``runspine check`` refuses them otherwise). A
notebook run in JupyterLab, or by papermill or nbclient, and saved, carries more than its
outputs: execution counts, the kernel's full ``language_info``, timing and papermill
metadata, widget state, papermill's injected-parameters cell. Stripping removes exactly
those and writes the file the way nbformat (and JupyterLab) writes it (sorted keys, one
space of indent, a final newline), so the diff against the committed notebook is only
what the researcher changed by hand.

Kept: every cell's source, id and tags and any other metadata someone set on purpose,
the notebook's ``kernelspec`` and ``runspine`` metadata. Pure file work; nothing runs.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from runspine.files import atomic_write_text, read_regular

# cells a runner added (papermill), removed whole
RUNNER_CELL_TAGS = {"injected-parameters", "papermill-error-cell-tag"}
# cell metadata written by running, not by the author
RUN_CELL_KEYS = {"execution", "ExecuteTime", "papermill", "scrolled", "collapsed", "trusted"}
# notebook metadata written by running
RUN_NOTEBOOK_KEYS = {"papermill", "widgets", "varInspector", "toc", "celltoolbar"}


def strip_notebook(nb: dict) -> dict:
    """The notebook as it is committed (a new dict; ``nb`` is not changed)."""
    nb = json.loads(json.dumps(nb))
    cells = []
    for cell in nb.get("cells", []):
        meta = cell.get("metadata") or {}
        if RUNNER_CELL_TAGS & set(meta.get("tags", [])):
            continue
        for key in RUN_CELL_KEYS:
            meta.pop(key, None)
        if meta.get("tags") == []:  # papermill adds an empty list to every cell
            meta.pop("tags")
        jupyter = meta.get("jupyter")
        if isinstance(jupyter, dict):
            jupyter.pop("outputs_hidden", None)
            if not jupyter:
                meta.pop("jupyter")
        cell["metadata"] = meta
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            if not cell.get("attachments"):
                cell.pop("attachments", None)
        cells.append(cell)
    nb["cells"] = cells
    meta = nb.setdefault("metadata", {})
    for key in RUN_NOTEBOOK_KEYS:
        meta.pop(key, None)
    language = meta.get("language_info")
    if isinstance(language, dict):
        meta["language_info"] = {"name": language.get("name", "python")}
    return nb


def dumps(nb: dict) -> str:
    """The notebook's text as nbformat and JupyterLab write it."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def strip_file(path: Path) -> bool:
    """Strip ``path`` in place; True if it changed. Raises ``ValueError`` (one line) for
    a file that is not a notebook."""
    path = Path(path)
    try:
        # as read_text reads it (universal newlines); a named pipe is refused, not waited on
        text = io.TextIOWrapper(io.BytesIO(read_regular(path)), encoding="utf-8").read()
        nb = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name}: not a readable notebook ({exc})") from None
    except RecursionError:
        raise ValueError(f"{path.name}: not a readable notebook (nested too deeply)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path.name}: not a notebook (no list of cells)")  # noqa: TRY004 - one kind of bad file
    new = dumps(strip_notebook(nb))
    if new == text:
        return False
    # in place, as an editor saves: through a symbolic link (the link stays one) and
    # keeping the file's permissions
    real = Path(os.path.realpath(path))
    atomic_write_text(real, new, mode=real.stat().st_mode & 0o7777)
    return True
