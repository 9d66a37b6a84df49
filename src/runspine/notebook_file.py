"""A study notebook, read once: its shape, its ``metadata.runspine``, its title, its
parameters (as papermill's inspection reads the cell tagged ``parameters``), its claims
section's anchor, its code and the modules that code imports.

Planning, ``runspine list``, ``runspine check``, the kernel template and the reader pages
(index, claims page, consistency page, sweep summaries, report titles) all ask the same
:class:`StudyNotebook` (:meth:`StudyNotebook.read` parses each file once per content:
it is cached by path, size and modification time), instead of each opening the JSON,
checking its shape and finding a title, metadata or defaults again. An executed notebook
already in memory (a ``NotebookNode`` is a dict) is read by :meth:`StudyNotebook.of`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The keys ``metadata.runspine`` may hold (README's table): their type and what reads them.
METADATA_KEYS: dict[str, tuple[Any, str]] = {
    "citation": (str, "the study's citation: index card and report header"),
    "doi": (str, "the study's DOI (may be empty): index card link"),
    "headline": (str, "the results.json key the index card shows as the key finding"),
    "headline_text": (str, ("how the index card words the headline "
                            "({value} {unit} {ci_low} {ci_high}, {a_parameter})")),
    "answer": (str, ("the answer in plain words, shown first on the card and the report "
                     "(same fields)")),
    "figure_alt": (str, "alt text of the index card's figure"),
    "time_limit": ((int, float), ("seconds the notebook may run (default 600; "
                                  "--time-limit overrides)")),
    "expected_s": ((int, float), ("about how many seconds the notebook runs: a build "
                                  "starts the longest first")),
}
HEADLINE_FIELDS = ("value", "unit", "ci_low", "ci_high")
MAX_SECONDS = 1e9  # a time limit is finite (about 31 years at most)


def valid_seconds(value) -> bool:
    """A usable time limit: a positive number of seconds, at most :data:`MAX_SECONDS`
    (NaN, infinity and a 5000-digit integer are not)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0 < value <= MAX_SECONDS)


def shape_problem(nb) -> str:
    """What makes a parsed notebook file not a notebook runspine can read, or "": it must
    be an object whose ``cells`` is a list of objects, each with a string ``cell_type``
    and, where given, ``metadata.tags`` a list of strings; ``metadata`` and
    ``metadata.kernelspec`` (with a string ``name``) objects. Checked before anything
    reads a notebook's cells (``runspine check`` and every build)."""
    if not isinstance(nb, dict):
        return f"not a notebook (a JSON {type(nb).__name__}, not an object)"
    cells = nb.get("cells")
    if not isinstance(cells, list):
        return "not a notebook ('cells' is not a list)"
    for i, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            return f"cell {i} is not a notebook cell (an object with a 'cell_type')"
        cell_meta = cell.get("metadata", {})
        if not isinstance(cell_meta, dict):
            return f"cell {i}: 'metadata' is not an object"
        tags = cell_meta.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            return f"cell {i}: metadata.tags must be a list of strings (got {tags!r:.60})"
    meta = nb.get("metadata", {})
    if not isinstance(meta, dict):
        return "'metadata' is not an object"
    kernelspec = meta.get("kernelspec", {})
    if not isinstance(kernelspec, dict) or not isinstance(kernelspec.get("name", ""), str):
        return (f"metadata.kernelspec must be an object with a 'name' (got "
                f"{kernelspec!r:.60})")
    return ""


_ANCHOR = re.compile(r"""<a\s+id\s*=\s*["']claims["']\s*>\s*</a>""", re.IGNORECASE)
_CLAIMS_HEADING = re.compile(r"^#{1,6}\s.*\bclaims?\b", re.IGNORECASE | re.MULTILINE)


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


@dataclass(frozen=True)
class StudyNotebook:
    """One notebook file as read from disk: ``data`` is its parsed JSON, or None with
    ``unreadable`` saying why (the file is missing, not UTF-8 or not JSON). Treat
    ``data`` as read-only: the object is shared."""

    path: Path
    data: Any
    unreadable: str = ""

    @classmethod
    def read(cls, path: str | os.PathLike) -> StudyNotebook:
        """The notebook in the file ``path`` (parsed once per content)."""
        path = Path(path)
        try:
            st = path.stat()
        except OSError as exc:
            return cls(path, None, exc.strerror or type(exc).__name__)
        return _read(path, st.st_size, st.st_mtime_ns)

    @classmethod
    def of(cls, nb, path: str | os.PathLike = "notebook.ipynb") -> StudyNotebook:
        """A notebook already parsed (a dict, or nbformat's ``NotebookNode``), e.g. the
        executed notebook a report is rendered from; ``path`` names it in messages."""
        return cls(Path(path), nb)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def stem(self) -> str:
        return self.path.stem

    @functools.cached_property
    def shape_problem(self) -> str:
        """Why the parsed file is not a notebook ("" when it is, or is unreadable)."""
        return "" if self.unreadable else shape_problem(self.data)

    @property
    def usable(self) -> bool:
        return not self.unreadable and not self.shape_problem

    @property
    def cells(self) -> list[dict]:
        return self.data["cells"] if self.usable else []

    @property
    def metadata(self) -> dict:
        return self.data.get("metadata", {}) if self.usable else {}

    @property
    def runspine(self) -> dict:
        """``metadata.runspine`` ({} when absent or not a mapping)."""
        own = self.metadata.get("runspine", {})
        return own if isinstance(own, dict) else {}

    @property
    def kernel_name(self):
        return self.metadata.get("kernelspec", {}).get("name")

    @property
    def code_sources(self) -> list[str]:
        return [_source(c) for c in self.cells if c.get("cell_type") == "code"]

    @functools.cached_property
    def imports(self) -> tuple[str, ...]:
        """The modules its code cells import, in order (:func:`imports_in`; none if it is
        unreadable)."""
        return tuple(name for source in self.code_sources for name in imports_in(source))

    @property
    def title(self) -> str:
        """The notebook's title: the text of its first level-1 Markdown heading (a line
        starting ``# ``); '' when there is none."""
        for cell in self.cells:
            if cell.get("cell_type") == "markdown":
                for line in _source(cell).splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
        return ""

    def claims_section(self) -> tuple[int, str, bool] | None:
        """The claims section: (1-based cell number, its heading line, whether the
        ``<a id="claims"></a>`` anchor the claims page links to comes before the heading,
        in the same cell or at the end of the Markdown cell before); None when no heading
        names the claims."""
        cells = self.cells
        for i, cell in enumerate(cells, start=1):
            if cell.get("cell_type") != "markdown":
                continue
            text = _source(cell)
            heading = _CLAIMS_HEADING.search(text)
            if not heading:
                continue
            prev = (_source(cells[i - 2])
                    if i >= 2 and cells[i - 2].get("cell_type") == "markdown" else "")
            anchored = bool(_ANCHOR.search(text[:heading.start()])
                            or _ANCHOR.search(prev.rstrip()[-60:]))
            return i, text[heading.start():].splitlines()[0].strip(), anchored
        return None

    @property
    def time_limit(self) -> float | None:
        """``metadata.runspine.time_limit`` when it is a usable number of seconds."""
        value = self.runspine.get("time_limit")
        return float(value) if valid_seconds(value) else None

    @property
    def expected_s(self) -> float | None:
        """``metadata.runspine.expected_s`` when it is a usable number of seconds."""
        value = self.runspine.get("expected_s")
        return float(value) if valid_seconds(value) else None

    def parameters(self) -> dict:
        """The declared parameters (name -> :class:`~runspine.parameters.Parameter`), read
        from the cell tagged ``parameters`` as papermill's inspection reads it.

        Raises :class:`~runspine.parameters.ParameterError` for an unreadable notebook,
        no cell tagged ``parameters``, or a parameter without a supported type or with a
        default that is not a literal.
        """
        from runspine.parameters import ParameterError, parameters_from_source

        if self.unreadable or not isinstance(self.data, dict) \
                or not isinstance(self.data.get("cells"), list):
            why = self.unreadable or ("'cells' is not a list" if isinstance(self.data, dict)
                                      else f"a JSON {type(self.data).__name__}")
            raise ParameterError(f"{self.name}: cannot read notebook ({why})")
        cell = next((c for c in self.data["cells"] if isinstance(c, dict)
                     and "parameters" in ((c.get("metadata") or {}).get("tags") or [])),
                    None)
        if cell is None:
            raise ParameterError(f"{self.name}: no cell tagged 'parameters'")
        return parameters_from_source(_source(cell), self.name)

    def parameter_defaults(self) -> dict:
        """Each declared parameter's default value ({} when :meth:`parameters` cannot read
        them)."""
        from runspine.parameters import ParameterError

        try:
            return {name: p.default for name, p in self.parameters().items()}
        except ParameterError:
            return {}

    def metadata_problem(self) -> str:
        """What is wrong with the notebook's shape or its ``metadata.runspine`` (the types
        of the known keys, the time limit, the headline template's fields), or "" when
        nothing is (an unreadable file is reported by :meth:`parameters`). Checked by
        ``runspine check`` and before a build starts, so no report is published from it."""
        from runspine.text import one_line

        if self.unreadable:
            return ""
        if self.shape_problem:
            return f"{self.name}: {self.shape_problem}"
        if "runspine" in self.metadata and not isinstance(self.metadata["runspine"], dict):
            kind = type(self.metadata["runspine"]).__name__
            return f"{self.name}: metadata.runspine must be a mapping, not {kind}"
        own = self.runspine
        for key, (kind, _) in METADATA_KEYS.items():
            if key in own and not (isinstance(own[key], kind)
                                   and not (kind != bool and isinstance(own[key], bool))):
                return (f"{self.name}: metadata.runspine.{key} has the wrong type "
                        f"({type(own[key]).__name__})")
        for key in ("time_limit", "expected_s"):
            if key in own and not valid_seconds(own[key]):
                return (f"{self.name}: metadata.runspine.{key} must be a positive number "
                        f"of seconds, at most {MAX_SECONDS:.0e} (got {own[key]!r:.40})")
        for key in ("headline_text", "answer"):
            text = own.get(key)
            if text is None:
                continue
            try:
                parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(text)
                          if f is not None]
            except ValueError as exc:
                return f"{self.name}: metadata.runspine.{key} is not a template ({exc})"
            for name, spec, conv in parsed:  # its fields are text: no format code, no width
                if spec or conv:
                    written = "{" + name + (f"!{conv}" if conv else "") + (
                        f":{spec}" if spec else "") + "}"
                    return (f"{self.name}: metadata.runspine.{key} writes "
                            f"{one_line(written):.60}; a field is written {{name}}, without "
                            "a format or a conversion")
            fields = [name for name, _, _ in parsed]
            allowed = HEADLINE_FIELDS + tuple(self.parameter_defaults())
            for name in fields:
                if name not in allowed:
                    return (f"{self.name}: metadata.runspine.{key} names "
                            f"{{{one_line(name)}}}; it may use only "
                            + ", ".join("{" + f + "}" for f in HEADLINE_FIELDS)
                            + " and the notebook's parameters")
        return ""


def imports_in(source: str) -> list[str]:
    """Absolute module names an ``import`` statement in ``source`` names (``from a
    import b`` gives ``a`` and ``a.b``: ``b`` may be a submodule); IPython's magics and
    shell lines are skipped, and so are imports under ``if TYPE_CHECKING:`` (for type
    checkers only: never run); source that does not parse gives nothing."""
    import ast
    import collections

    lines = [ln if not ln.lstrip().startswith(("%", "!")) else ""
             for ln in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return []
    names = []
    todo = collections.deque([tree])  # breadth first, as ast.walk
    while todo:
        node = todo.popleft()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in (
                getattr(node.test, "id", None), getattr(node.test, "attr", None)):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names
                         if alias.name != "*")
    return names


@functools.lru_cache(maxsize=64)
def _read(path: Path, size: int, mtime_ns: int) -> StudyNotebook:
    """Parse ``path`` (cached by its size and modification time: a changed file is read
    again)."""
    from runspine.files import read_regular

    try:  # (a named pipe or a device is not read: it would block or never end)
        return StudyNotebook(path, json.loads(read_regular(path).decode("utf-8")))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        text = str(exc).strip().splitlines()
        return StudyNotebook(path, None, text[0] if text else type(exc).__name__)
