"""``runspine new NAME``: scaffold a study from templates.

Writes three files, never overwriting one:

- ``notebooks/NN_NAME.ipynb`` (NN: the next free number): title, question and citation
  placeholders, a tagged typed ``parameters`` cell, the project kernel, the sections every
  study notebook has (data, reproduction, models, claims with its anchor, results recorded
  for the index, footer), ``metadata.runspine`` placeholders; no outputs;
- ``src/runspine/studies/NAME.py``: the study module, with one documented function;
- ``tests/test_NAME.py``: a test that fails until the reproduction is pinned.

and returns the remaining steps (data rows with provenance, the datapackage resource, the
BibTeX entry, the claims rows), which ``runspine new`` prints. ``runspine check`` then
lists every placeholder still left (``TODO``) and every claim id ``data/claims.csv`` lacks.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path

#: A study name (README "Adding a study"): matched in full (``re.fullmatch``; ``$`` would
#: let a trailing newline through), ASCII only, at most 40 characters (it names three files
#: and a module).
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class ScaffoldError(Exception):
    """A name that cannot be scaffolded, or a file that already exists (exit 2)."""


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [ln + "\n" for ln in lines[:-1]] + [lines[-1]]


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}


def _code(text: str, tags: list[str] | None = None) -> dict:
    return {"cell_type": "code", "execution_count": None,
            "metadata": {"tags": tags} if tags else {}, "outputs": [], "source": _lines(text)}


def notebook(name: str, stem: str) -> dict:
    """The scaffold notebook (nbformat 4.5, outputs stripped) as a JSON-ready dict."""
    number = stem[:2]
    cells = [
        _md("# TODO: title (the question in a few words; the index card shows it)\n"
            "\n"
            "**Question.** TODO: the question this notebook answers, in one sentence.\n"
            "\n"
            "**Study.** TODO: authors. *Title.* Journal year;volume(issue):pages.\n"
            "[doi:TODO](https://doi.org/TODO). The design in one sentence (who, how many, "
            "what was measured).\n"
            "\n"
            "**What this notebook does.** It recomputes what the paper reported from the "
            f"numbers\ntranscribed into `data/{name}_facts.csv` (reported vs recomputed, side "
            "by side), then models,\nthen gives verdicts on the popular claims about the "
            "study.\n"
            "\n"
            "**Assumptions (the parameters are listed in the appendix).** TODO: every quantity the paper does not "
            "report is a\nnamed parameter (provenance `assumed` in the data) with a "
            "sensitivity analysis."),
        _code(f"# Parameters: override with `runspine run {number} -p ci_level 0.9` "
              f"(see `runspine list {number}`).\n"
              "seed: int = 2026  # seed for any simulation [0, 4294967295]\n"
              "ci_level: float = 0.95  # confidence level for intervals [0.5, 0.999]",
              tags=["parameters"]),
        _code("import pandas as pd\n"
              "from runspine import claims, data\n"
              "from runspine.notebook import helpers as nb, plots, results\n"
              f"from runspine.studies import {name} as study\n"
              "\n"
              "rng = nb.setup(seed)\n"
              "facts = data.facts(study.FACTS, study.STUDY)"),
        _md("## 1. The transcribed data\n"
            "\n"
            "TODO: what was read where (abstract, Table 1, Figure 2) and what the paper "
            "does not report."),
        _code('nb.table(facts.reset_index(), "TODO: caption (what the table shows)",\n'
              '         "TODO: sources and locations (e.g. Smith 2020, Table 1)", "{:g}")'),
        _md("## 2. What the paper reported, and what can be recomputed\n"
            "\n"
            "TODO: which tests the paper names (or which we assume, and why). "
            "Disagreements are findings."),
        _code("reproduction = study.reproduction()\n"
              'nb.table(reproduction, "Reported vs recomputed", '
              '"TODO: sources and locations")\n'
              'results.save_table("reproduction", reproduction);'),
        _md("## 3. Models\n"
            "\n"
            "TODO: the method a statistician would choose for this design (with a "
            "reference); statistics\ncome from `runspine.stats`, called through the study "
            "module."),
        _code("# TODO: compute through the study module; show with nb.table(...) and\n"
              "# nb.figure(plots.<figure>(...), alt=\"what the figure shows\", "
              "caption=\"...\")"),
        _md('<a id="claims"></a>\n'
            "## 4. The popular claims\n"
            "\n"
            "One verdict per row of `data/claims.csv` whose `notebook` is "
            f"`{stem}`, with the numbers behind it."),
        _code("# TODO: decide each verdict from the numbers above (supported / partly "
              "supported /\n# not supported / untestable); move the rule into the study "
              "module so a test pins it.\n"
              'verdicts = [claims.Verdict("TODO-claim-id", "untestable", '
              '"TODO: the numbers behind the verdict")]\n'
              "claim_table = claims.verdict_table(verdicts)\n"
              'nb.table(claim_table, "Verdicts on the claims articles make about this '
              'study",\n'
              '         "shared claims sheet (data/claims.csv); numbers from sections 2-3")\n'
              'results.save_table("claims", claim_table);'),
        _md("## 5. Results recorded for the index"),
        _code("# TODO: record the key numbers (value, CI, unit, description with the CI "
              "level and source);\n# metadata.runspine.headline names the one the index "
              "card shows.\n"
              f'results.record("{name}_key_finding", None, None, None, "",\n'
              '               "TODO: what the number is, with its CI level and source")\n'
              'nb.table(pd.DataFrame([{"key": k, **v} for k, v in '
              'results.recorded().items()]).astype({"value": str}),\n'
              '         "Results recorded (results.json)")'),
        _md("---\n### Reproducibility"),
        _code('nb.footer(seed, "TODO: short citation (authors, journal year;volume:pages)")'),
    ]
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python (runspine)", "language": "python",
                           "name": "runspine"},
            "language_info": {"name": "python"},
            "runspine": {
                "citation": "TODO: authors. Title. Journal year;volume(issue):pages.",
                "doi": "",
                "headline": f"{name}_key_finding",
                "headline_text": "TODO: the key finding in words, with {value} {unit} "
                                 "(95% CI {ci_low} to {ci_high})",
            },
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def study_module(name: str, stem: str) -> str:
    """Source of ``src/runspine/studies/<name>.py``."""
    return f'''"""TODO: the study in one line (authors year): the analysis behind
``notebooks/{stem}.ipynb``.

TODO: what the paper reported and what this module recomputes. Statistics live in
:mod:`runspine.stats` (pure functions, tested against R); this module loads the study's
rows from the data package and calls them, so tests (``tests/test_{name}.py``) can pin the
reproduction and the verdicts without starting a kernel.
"""

from __future__ import annotations

import pandas as pd

from runspine import data

FACTS = "{name}_facts"  # data/{name}_facts.csv (Table Schema: data/schemas/facts.schema.json)
STUDY = "{name}"  # TODO: the study's BibTeX key in data/references.bib (the rows' `study`)


def reproduction() -> pd.DataFrame:
    """Reported vs recomputed: each statistic the paper printed, recomputed from the
    transcribed summary data.

    Returns
    -------
    DataFrame
        One row per reported statistic: ``quantity``, ``reported``, ``recomputed``,
        ``consistent`` (True when they agree within the paper's rounding) and ``how``
        (the method, e.g. "Welch t test from means and SDs", and the source location).
    """
    facts = data.facts(FACTS, STUDY)
    raise NotImplementedError(
        f"TODO: recompute what the paper reported from {{len(facts)}} transcribed rows "
        "(src/runspine/studies/{name}.py)")
'''


def tests_source(name: str, stem: str) -> str:
    """Source of ``tests/test_<name>.py``."""
    return f'''"""Tests for :mod:`runspine.studies.{name}` (``notebooks/{stem}.ipynb``).

Pin every recomputed value against the paper (page or table) or R (``tests/reference``,
with the R call beside the expected value), and every claim verdict.
"""

from __future__ import annotations

import pytest

from runspine.studies import {name} as study


def test_reproduction_matches_the_paper():
    table = study.reproduction().set_index("quantity")
    # TODO: one assert per reported statistic, with where the paper prints it, e.g.
    # assert table.loc["p_group", "recomputed"] == pytest.approx(0.004, abs=5e-4)  # Table 2
    assert not table.empty
    pytest.fail("TODO: pin the reproduction of {name} against the paper or R")
'''


def next_stem(name: str, notebooks_dir: Path) -> str:
    """``NN_<name>`` with NN one above the highest numbered notebook."""
    numbers = [int(p.name[:2]) for p in notebooks_dir.glob("[0-9][0-9]_*.ipynb")]
    number = max(numbers, default=0) + 1
    if number > 99:
        raise ScaffoldError("no notebook number left (notebooks are numbered 01-99)")
    return f"{number:02d}_{name}"


def steps(name: str, stem: str) -> str:
    """The remaining steps ``runspine new`` prints (the README's "Adding a study")."""
    number = stem[:2]
    return f"""
Remaining steps (README, "Adding a study"):
  1. Data rows: transcribe the paper's numbers into data/{name}_facts.csv, one row per number,
     columns of data/schemas/facts.schema.json (study, quantity, value, relation, ci_low,
     ci_high, unit, description, source, location, provenance, note): source = BibTeX key,
     location in the paper, provenance reported | derived | digitized | assumed (a note for
     all but reported). Never invent a number: an unreported one becomes a parameter.
  2. Schema: add the resource to data/datapackage.json:
     {{"name": "{name}_facts", "path": "{name}_facts.csv", "format": "csv",
      "mediatype": "text/csv", "encoding": "utf-8", "title": "...",
      "schema": "schemas/facts.schema.json"}}
     (a table of another shape gets its own Table Schema in data/schemas/).
  3. Bib entry: the study's entry in data/references.bib; its key is the rows' source and
     study, and STUDY in src/runspine/studies/{name}.py.
  4. Claims rows: one row per popular claim in data/claims.csv (notebook = {stem}; the
     article's key from data/articles.csv, the line and its own words), and the same ids
     in the list pinned in tests/test_data.py.
  5. Fill every TODO: the notebook (title, question, citation, metadata.runspine), the study
     module (reproduction first, then models and verdicts), the tests (pin against the
     paper or R).
  6. .venv/bin/runspine check        lists what is still missing
     .venv/bin/runspine run {number}        builds reports/{stem}/ and its index card
     make test"""


def scaffold(name: str, root: Path) -> tuple[list[Path], str]:
    """Create the study's notebook, module and test file under ``root`` (default: the
    project root). Returns the created paths and the remaining steps. Raises
    :class:`ScaffoldError` (nothing written) for a bad name or an existing file."""
    root = Path(root)
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(f"{name[:60]!r} is not a study name: use 1 to 40 lower-case "
                            "ASCII letters, digits and _, starting with a letter (it becomes "
                            "a Python module)")
    studies = root / "src" / "runspine" / "studies"
    notebooks_dir = root / "notebooks"
    tests = root / "tests"
    for folder in (studies, notebooks_dir, tests):
        if not folder.is_dir():
            raise ScaffoldError(f"{folder} not found: run 'runspine new' in a checkout of "
                                "the project (--project or RUNSPINE_ROOT names another one)")
    taken = sorted(notebooks_dir.glob(f"[0-9][0-9]_{name}.ipynb"))
    if taken:
        raise ScaffoldError(f"notebook {taken[0].name} already exists")
    stem = next_stem(name, notebooks_dir)
    files = {notebooks_dir / f"{stem}.ipynb":
             json.dumps(notebook(name, stem), indent=1, ensure_ascii=False) + "\n",
             studies / f"{name}.py": study_module(name, stem),
             tests / f"test_{name}.py": tests_source(name, stem)}
    for path in files:  # a link counts, even one to nothing: it is never written through
        if path.exists() or path.is_symlink():
            raise ScaffoldError(f"{path} already exists; nothing was written")
    for path, text in files.items():
        with open(path, "x", encoding="utf-8") as fh:  # (never an existing entry)
            fh.write(text)
    return list(files), steps(name, stem)
