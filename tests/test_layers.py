"""The layers never import upward.

Data flows foundation -> stats -> studies -> notebook -> site -> engine -> cli (see the
README's "Layout"). Every module under ``src/runspine`` is parsed with :mod:`ast`, imports
inside functions included (and ``importlib.import_module("runspine....")`` calls), and
each ``runspine`` import is checked against what its layer may import. A new top-level
module or subpackage must be given a layer here, so nothing escapes the rule by being
unknown.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "runspine"

# runspine.text (one-line quoting of user input, no runspine imports) is on h13's branch
FOUNDATION_MODULES = {"runspine", "runspine.project", "runspine.data", "runspine.claims",
                      "runspine.text", "runspine.parameters", "runspine.files",
                      "runspine.inputs", "runspine.bibliography",
                      "runspine.notebook_file",
                      "runspine.numbers"}
LAYERS = ("foundation", "stats", "studies", "notebook", "site", "engine", "authoring", "cli")

# layer -> the layers it may import (itself included)
ALLOWED = {
    "foundation": {"foundation"},
    "stats": {"stats"},
    "studies": {"foundation", "stats", "studies"},
    "notebook": {"foundation", "stats", "notebook"},
    "site": {"foundation", "notebook", "site"},
    "engine": {"foundation", "notebook", "site", "engine"},
    "authoring": {"foundation", "authoring"},
    "cli": set(LAYERS),
}


def layer_of(module: str) -> str | None:
    """The layer of a dotted ``runspine`` module name (None if not a runspine module or
    not assigned to a layer)."""
    parts = module.split(".")
    if parts[0] != "runspine":
        return None
    if module in FOUNDATION_MODULES:
        return "foundation"
    if len(parts) >= 2 and parts[1] in ("stats", "studies", "notebook", "site", "engine",
                                           "authoring"):
        return parts[1]
    if len(parts) >= 2 and parts[1] in ("cli", "__main__"):
        return "cli"
    return None


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_package(module: str) -> bool:
    return (SRC.joinpath(*module.split(".")) / "__init__.py").exists()


def imported_modules(module: str, source: str) -> list[tuple[int, str]]:
    """Every module ``source`` (the text of ``module``) imports, with its line: top-level
    and nested imports, relative imports resolved, ``from pkg import sub`` resolved to the
    submodule when ``pkg.sub`` is a module, and literal ``import_module`` calls."""
    tree = ast.parse(source)
    package = module if _is_package(module) else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                is_module = (SRC.joinpath(*sub.split(".")).with_suffix(".py").exists()
                             or _is_package(sub))
                found.append((node.lineno, sub if is_module else base))
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"):
            found.append((node.lineno, node.args[0].value))
    return found


def upward_imports(module: str, source: str) -> list[str]:
    """One line per import of ``module`` that its layer may not make."""
    layer = layer_of(module)
    bad = []
    for line, target in imported_modules(module, source):
        target_layer = layer_of(target)
        if target.split(".")[0] != "runspine":
            continue
        if target_layer is None:
            bad.append(f"{module}:{line} imports {target}, which has no layer")
        elif target_layer not in ALLOWED[layer]:
            bad.append(f"{module}:{line} ({layer}) imports {target} ({target_layer})")
    return bad


def all_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    unassigned = [module_name(p) for p in all_modules() if layer_of(module_name(p)) is None]
    assert not unassigned, f"give these modules a layer in tests/test_layers.py: {unassigned}"
    # every layer exists in the tree (the test would pass vacuously on a renamed package)
    assert {layer_of(module_name(p)) for p in all_modules()} == set(LAYERS)


def test_no_layer_imports_upward():
    problems = []
    for path in all_modules():
        problems += upward_imports(module_name(path), path.read_text(encoding="utf-8"))
    assert not problems, "upward imports:\n" + "\n".join(problems)


def test_no_engine_module_is_over_350_lines():
    """Issue 21: the engine is cut by concern, no module over 350 lines."""
    engine = sorted((PACKAGE / "engine").glob("*.py"))
    assert len(engine) > 10  # the scan sees the engine
    long = {p.name: n for p in engine
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 350}
    assert not long, f"engine modules over 350 lines: {long}"


def test_the_scan_sees_many_runspine_imports():
    """Guard against a parser that silently finds nothing."""
    found = [t for p in all_modules()
             for _, t in imported_modules(module_name(p), p.read_text(encoding="utf-8"))
             if t.startswith("runspine.")]
    assert len(found) > 50
    assert {layer_of(t) for t in found} >= {"foundation", "stats", "notebook", "site", "engine"}


PLANTED = [
    # (module, source, the layer it must be caught importing)
    ("runspine.stats.meta", "from runspine import data\n", "foundation"),
    ("runspine.stats.meta", "def f():\n    from runspine.engine import plan\n", "engine"),
    ("runspine.studies.prevalence", "def f():\n    from runspine.notebook import plots\n",
     "notebook"),
    ("runspine.studies.hip", "import runspine.site.report\n", "site"),
    ("runspine.notebook.plots", "from runspine.engine.jobs import discover\n", "engine"),
    ("runspine.notebook.helpers", "from ..site import report\n", "site"),
    ("runspine.site.index", "from runspine.stats import meta\n", "stats"),
    ("runspine.site.report", "from runspine.engine import publish\n", "engine"),
    ("runspine.engine.plan", "from runspine.studies import hip\n", "studies"),
    ("runspine.engine.plan", ("class A:\n    def f(self):\n        from . import x\n"
                             "        from ..stats.power import mde\n"), "stats"),
    ("runspine.claims", "import importlib\nm = importlib.import_module('runspine.cli')\n",
     "cli"),
    ("runspine.project", "from runspine.notebook.results import atomic_write_text\n",
     "notebook"),
]


@pytest.mark.parametrize("module, source, target", PLANTED)
def test_a_planted_upward_import_is_caught(module, source, target):
    problems = upward_imports(module, textwrap.dedent(source))
    assert problems and f"({target})" in problems[-1], problems


@pytest.mark.parametrize("module, source", [
    ("runspine.studies.hip", "from runspine import claims, data\nfrom runspine.stats import power\n"),
    ("runspine.engine.manifest", "def f():\n    from runspine.site.index import render_index\n"),
    ("runspine.notebook.helpers", "from . import plots\n"),
    ("runspine.cli", "from runspine.studies import hip\n"),
])
def test_allowed_imports_pass(module, source):
    assert upward_imports(module, source) == []
