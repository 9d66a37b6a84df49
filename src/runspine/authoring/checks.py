"""``runspine check``'s notebook checks (:func:`check_notebooks`): each file's parameters
cell, metadata, outputs and kernel (:func:`notebook_problems`), and the mistakes that
otherwise pass silently and cost a reader something:

- an unknown ``metadata.runspine`` key (a typo such as ``headlin`` silently drops the
  index card's key finding): the closest known key is suggested;
- a claims section (a heading naming the claims) without its ``<a id="claims"></a>``
  anchor, which the claims page links to;
- a claim id used by the notebook, or by the study module it imports, that
  ``data/claims.csv`` lacks;
- placeholders left by ``runspine new`` (``TODO`` in the title or in ``metadata.runspine``;
  ``TODO``, ``FAKE`` or the scaffold's "caption (what the table shows)" in any cell);
- a data resource the notebook or its study module loads (``data.load_table``, ``facts``,
  ``fact`` with a literal name or a module constant) that ``data/datapackage.json`` lacks.

Each problem is one line naming the notebook. Pure reading: nothing is executed. The
notebook is read by :class:`runspine.notebook_file.StudyNotebook` (title, metadata, claims
section); the checks here judge what it read and analyse the code of its cells.
"""

from __future__ import annotations

import ast
import csv
import difflib
import re
from pathlib import Path

from runspine.notebook_file import METADATA_KEYS, StudyNotebook

# claims.* calls whose first argument (or claim_id=) is a claim id
_CLAIM_CALLS = {"Verdict", "exceeds", "absence_of_difference", "threshold"}


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def metadata_problems(notebook: StudyNotebook) -> list[str]:
    """Unknown ``metadata.runspine`` keys (with the closest known key) and scaffold
    placeholders left in its values (a ``metadata.runspine`` that is not a mapping is
    :meth:`~runspine.notebook_file.StudyNotebook.metadata_problem`'s)."""
    name, own = notebook.name, notebook.runspine
    problems = []
    for key in own:
        if key not in METADATA_KEYS:
            close = difflib.get_close_matches(key, METADATA_KEYS, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else (
                f"; known keys: {', '.join(METADATA_KEYS)}")
            problems.append(f"{name}: unknown key metadata.runspine.{key}{hint}")
        elif isinstance(own[key], str) and "TODO" in own[key]:
            problems.append(f"{name}: metadata.runspine.{key} is still a placeholder "
                            f"({own[key][:60]!r})")
    return problems


def title_problems(notebook: StudyNotebook) -> list[str]:
    """The title (first ``# `` heading) still holds the scaffold's placeholder."""
    title = notebook.title
    return ([f"{notebook.name}: the title is still a placeholder ({title!r})"]
            if "TODO" in title else [])


def anchor_problems(notebook: StudyNotebook) -> list[str]:
    """A claims heading without ``<a id="claims"></a>`` before it (same cell, or the end of
    the cell before)."""
    section = notebook.claims_section()
    if section is None or section[2]:
        return []
    i, line, _ = section
    return [(f"{notebook.name}: cell {i}: claims section {line!r} has no "
             '<a id="claims"></a> anchor before its heading (the claims page links to it)')]


def claim_ids_in(source: str) -> list[tuple[int, str]]:
    """Claim ids passed as literals to ``claims.Verdict``/``exceeds``/
    ``absence_of_difference``/``threshold`` in Python source, with their lines."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics or a work in progress: nothing to read
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        fname = getattr(node.func, "attr", getattr(node.func, "id", None))
        if fname not in _CLAIM_CALLS:
            continue
        args = [node.args[0]] if node.args else []
        args += [k.value for k in node.keywords if k.arg == "claim_id"]
        found += [(node.lineno, a.value) for a in args
                  if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return found


def _study_modules(source: str) -> list[str]:
    """Names of the ``runspine.studies`` modules a cell imports."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "runspine.studies":
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "runspine.studies."):
            names.append(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            names += [a.name.split(".")[2] for a in node.names
                      if a.name.startswith("runspine.studies.")]
    return names


def known_claim_ids(claims_csv: Path) -> set[str] | None:
    """The ``claim_id`` column of ``data/claims.csv`` (None if it cannot be read: the data
    check reports that)."""
    try:
        with open(claims_csv, newline="", encoding="utf-8") as fh:
            return {row.get("claim_id", "") for row in csv.DictReader(fh)}
    except OSError:
        return None


def claim_problems(notebook: StudyNotebook, known: set[str] | None,
                   studies_dir: Path | None = None) -> list[str]:
    """Claim ids in the notebook's code, or in the study modules it imports (found in
    ``studies_dir``), that ``data/claims.csv`` lacks."""
    if known is None:
        return []
    name, problems, modules = notebook.name, [], []
    for i, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        src = _source(cell)
        modules += _study_modules(src)
        for _, cid in claim_ids_in(src):
            if cid not in known:
                problems.append(_unknown_claim(name, cid, f"cell {i}", known))
    for module in dict.fromkeys(modules if studies_dir is not None else []):
        path = studies_dir / f"{module}.py"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for line, cid in claim_ids_in(text):
            if cid not in known:
                problems.append(_unknown_claim(name, cid, f"studies/{module}.py:{line}", known))
    return list(dict.fromkeys(problems))


def _unknown_claim(name: str, cid: str, where: str, known: set[str]) -> str:
    close = difflib.get_close_matches(cid, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else " (add its row there)"
    return f"{name}: claim id '{cid}' ({where}) is not in data/claims.csv{hint}"


_PLACEHOLDER = re.compile(r"\bTODO\b|\bFAKE\b|caption \(what the table shows\)")


def placeholder_problems(notebook: StudyNotebook) -> list[str]:
    """Cells still holding a scaffold placeholder (``TODO``, ``FAKE``, "caption (what the
    table shows)"), one line for the notebook naming the cells and the first placeholder
    line. The title line is left to :func:`title_problems`."""
    name, cells, first = notebook.name, [], None
    title_seen = False
    for i, cell in enumerate(notebook.cells, start=1):
        for line in _source(cell).splitlines():
            if (not title_seen and cell.get("cell_type") == "markdown"
                    and line.startswith("# ")):
                title_seen = True
                continue
            if _PLACEHOLDER.search(line):
                cells.append(i)
                first = first or line.strip()
                break
    if not cells:
        return []
    which = "cell" if len(cells) == 1 else "cells"
    return [(f"{name}: scaffold placeholders left in {which} {', '.join(map(str, cells))} "
            f"(first: {first[:70]!r}); replace them before publishing")]


_DATA_CALLS = {"load_table", "facts", "fact"}


def _constants(tree: ast.AST) -> dict[str, str]:
    """Module-level ``NAME = "literal"`` assignments."""
    out = {}
    for node in getattr(tree, "body", []):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = node.value.value
    return out


def resource_names_in(source: str, constants: dict[str, str] | None = None
                      ) -> list[tuple[int, str]]:
    """Data resources ``source`` loads through ``data.load_table/facts/fact``: the first
    argument as a literal, a module constant (``FACTS``) or a study constant
    (``study.FACTS``, looked up in ``constants``), with its line."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    consts = {**(constants or {}), **_constants(tree)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _DATA_CALLS and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "data" and node.args):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            found.append((node.lineno, arg.value))
        elif isinstance(arg, ast.Name) and arg.id in consts:
            found.append((node.lineno, consts[arg.id]))
        elif isinstance(arg, ast.Attribute) and arg.attr in consts:
            found.append((node.lineno, consts[arg.attr]))
    return found


def resource_problems(notebook: StudyNotebook, resources: set[str] | None,
                      studies_dir: Path | None = None) -> list[str]:
    """Data resources the notebook's code or its study modules load that the data package
    lacks (the run would fail at that cell, after the kernel started)."""
    if resources is None:
        return []
    name, problems, modules, cells, seen = notebook.name, [], [], [], set()
    for i, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") == "code":
            src = _source(cell)
            modules += _study_modules(src)
            cells.append((i, src))
    constants: dict[str, str] = {}
    for module in dict.fromkeys(modules if studies_dir is not None else []):
        try:
            text = (studies_dir / f"{module}.py").read_text(encoding="utf-8")
            constants.update(_constants(ast.parse(text)))
        except (OSError, SyntaxError, ValueError):
            continue
        for line, res in resource_names_in(text):
            if res not in resources and res not in seen:
                seen.add(res)
                problems.append(_unknown_resource(name, res, f"studies/{module}.py:{line}",
                                                  resources))
    for i, src in cells:
        for _, res in resource_names_in(src, constants):
            if res not in resources and res not in seen:
                seen.add(res)
                problems.append(_unknown_resource(name, res, f"cell {i}", resources))
    return problems


def _unknown_resource(name: str, res: str, where: str, resources: set[str]) -> str:
    close = difflib.get_close_matches(res, resources, n=1, cutoff=0.8)
    hint = f"; did you mean '{close[0]}'?" if close else " (add it there, with its CSV)"
    return f"{name}: data resource '{res}' ({where}) is not in data/datapackage.json{hint}"


def known_resources(datapackage: Path) -> set[str] | None:
    """The resource names of ``data/datapackage.json`` (None if it cannot be read: the
    data check reports that)."""
    import json

    try:
        descriptor = json.loads(Path(datapackage).read_text(encoding="utf-8"))
        return {r["name"] for r in descriptor.get("resources", []) if isinstance(r, dict)
                and isinstance(r.get("name"), str)}
    except (OSError, ValueError, AttributeError, TypeError, RecursionError):
        return None


def notebook_problems(path: Path) -> list[str]:
    """Problems with one notebook file: parameters cell, types, outputs, kernel."""
    from runspine.parameters import ParameterError

    name = path.name
    notebook = StudyNotebook.read(path)
    if notebook.unreadable:
        return [f"{name}: not a readable notebook ({notebook.unreadable})"]
    if notebook.shape_problem:  # nothing more can be read from it
        return [notebook.metadata_problem()]
    problems = []
    try:
        notebook.parameters()
    except ParameterError as exc:
        problems.append(str(exc))
    meta_problem = notebook.metadata_problem()
    if meta_problem:
        problems.append(meta_problem)
    for i, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") == "code" and (cell.get("outputs") or
                                                cell.get("execution_count")):
            problems.append(f"{name}: cell {i} has outputs or an execution count; strip "
                            f"them before committing: runspine strip {path.stem}")
            break
    kernel = notebook.kernel_name
    if kernel != "runspine":
        problems.append(f"{name}: kernel is {kernel!r}, expected 'runspine'")
    if not meta_problem and not notebook.runspine.get("citation"):
        problems.append(f"{name}: metadata.runspine.citation is missing")
    return problems


def notebook_checks(notebook: StudyNotebook, known: set[str] | None = None,
                    studies_dir: Path | None = None,
                    resources: set[str] | None = None) -> list[str]:
    """All the checks of this module for one notebook."""
    return (metadata_problems(notebook) + title_problems(notebook)
            + placeholder_problems(notebook)
            + anchor_problems(notebook) + claim_problems(notebook, known, studies_dir)
            + resource_problems(notebook, resources, studies_dir))


def check_notebooks(project, paths) -> list[str]:
    """``runspine check``'s notebook problems: each file's own (:func:`notebook_problems`),
    then the checks of this module for each readable notebook (:func:`notebook_checks`)."""
    paths = list(paths)
    problems = [p for path in paths for p in notebook_problems(Path(path))]
    known = known_claim_ids(project.claims_csv)
    resources = known_resources(project.datapackage)
    for path in paths:
        notebook = StudyNotebook.read(path)
        if notebook.usable:  # else reported by notebook_problems
            problems.extend(notebook_checks(notebook, known, project.studies_dir, resources))
    return problems
