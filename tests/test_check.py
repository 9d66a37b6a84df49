"""``runspine check`` catches the mistakes that used to pass silently: an unknown
``metadata.runspine`` key (closest key suggested), a missing ``parameters`` tag, a claims
section without its anchor, a claim id ``data/claims.csv`` lacks (in a notebook or in the
study module it imports), a notebook not on the project kernel. Each is one line; exit 2.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from runspine.authoring import checks
from runspine.notebook_file import METADATA_KEYS, StudyNotebook

NB1 = "01_spinal_shrinkage_vs_pace.ipynb"
NB2 = "02_back_pain_prevalence_by_sport.ipynb"
NB3 = "03_activity_pain_reduction.ipynb"
NB4 = "04_hip_tightness_and_back_pain.ipynb"
NB5 = "05_disc_health_and_running_volume.ipynb"


def _edit(path: Path, change) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    change(nb)
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")


def _claims_cell(nb: dict) -> dict:
    return next(c for c in nb["cells"] if c["cell_type"] == "markdown"
                and "popular claims" in "".join(c["source"]))


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def test_the_project_passes(project, main_in):
    proc = main_in("check", root=project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_each_silent_mistake_is_one_line_and_exit_2(project, main_in):
    nbs = project / "notebooks"

    def rename_headline(nb):
        meta = nb["metadata"]["runspine"]
        meta["headlin"] = meta.pop("headline")

    def untag_parameters(nb):
        for c in nb["cells"]:
            c.get("metadata", {}).pop("tags", None)

    def drop_anchor(nb):
        cell = _claims_cell(nb)
        cell["source"] = [ln for ln in cell["source"] if "<a id" not in ln]

    def misspelt_claim(nb):
        code = next(c for c in nb["cells"] if c["cell_type"] == "code"
                    and "claims.verdict_table" in "".join(c["source"]))
        line = "verdicts.append(claims.Verdict('hip-tigth-runners', 'untestable', 'typo'))\n"
        code["source"] = code["source"][:1] + [line] + code["source"][1:]

    def python3_kernel(nb):
        nb["metadata"]["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}

    _edit(nbs / NB1, rename_headline)
    _edit(nbs / NB2, untag_parameters)
    _edit(nbs / NB3, drop_anchor)
    _edit(nbs / NB4, misspelt_claim)
    _edit(nbs / NB5, python3_kernel)
    # a claim the study module of notebook 05 issues, gone from claims.csv
    claims_csv = project / "data" / "claims.csv"
    with open(claims_csv, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(claims_csv, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in rows if r["claim_id"] != "deakin-discs")

    proc = main_in("check", root=project)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    assert all(ln.startswith("runspine: check: ") for ln in lines), lines
    expected = [
        (NB1, "unknown key metadata.runspine.headlin; did you mean 'headline'?"),
        (NB2, "no cell tagged 'parameters'"),
        (NB3, "claims section '## 7. The popular claims' has no <a id=\"claims\"></a> anchor"),
        (NB4, "claim id 'hip-tigth-runners' (cell "),
        (NB4, "is not in data/claims.csv; did you mean 'hip-tight-runners'?"),
        (NB5, "kernel is 'python3', expected 'runspine'"),
        (NB5, "claim id 'deakin-discs' (studies/disc.py:"),
    ]
    for name, text in expected:
        assert any(name in ln and text in ln for ln in lines), (name, text, lines)
    # one line per mistake, nothing else
    assert len(lines) == 6, lines


def test_scaffold_placeholders_and_anchor_in_the_cell_before():
    nb = {"metadata": {"runspine": {"citation": "TODO: who", "figure_alt": "ok",
                                    "time_limt": 30, "colour": "red"}},
          "cells": [{"cell_type": "markdown", "source": "# TODO: title\n"},
                    {"cell_type": "markdown", "source": '<a id="claims"></a>'},
                    {"cell_type": "markdown", "source": "## 5. The claims\n"}]}
    problems = checks.notebook_checks(StudyNotebook.of(nb, "x.ipynb"), set())
    assert problems == [
        "x.ipynb: metadata.runspine.citation is still a placeholder ('TODO: who')",
        "x.ipynb: unknown key metadata.runspine.time_limt; did you mean 'time_limit'?",
        "x.ipynb: unknown key metadata.runspine.colour; known keys: " + ", ".join(
            METADATA_KEYS),
        "x.ipynb: the title is still a placeholder ('TODO: title')",
    ]
    nb["cells"][1]["source"] = "text"
    assert checks.anchor_problems(StudyNotebook.of(nb, "x.ipynb")) == [
        ("x.ipynb: cell 3: claims section '## 5. The claims' has no <a id=\"claims\"></a> "
         "anchor before its heading (the claims page links to it)")]


def test_claim_ids_are_read_from_every_claims_call():
    src = ("v = claims.Verdict(\n    'a-1', 'supported', 'e')\n"
           "claims.exceeds('b-2', 1, 0, 2, 1, 'x', 'mm')\n"
           "t = threshold('c-3')\n"
           "claims.absence_of_difference(claim_id='d-4', reported_p_bound=0.05, detectable=1,"
           " reference=2, what='x', unit='mm')\n"
           "claims.verdict_table(v)\nclaims.claims_for('01_x')\n")
    assert checks.claim_ids_in(src) == [(1, "a-1"), (3, "b-2"), (4, "c-3"), (5, "d-4")]
    assert checks.claim_ids_in("%matplotlib inline\n") == []


def test_every_known_metadata_key_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in METADATA_KEYS:
        assert f"`{key}`" in readme, key


def test_scaffold_placeholders_in_any_cell_are_one_line():
    nb = {"cells": [{"cell_type": "markdown", "source": "# TODO: title\n"},
                    {"cell_type": "markdown", "source": "Fine text about todos.\n"},
                    {"cell_type": "code", "source": 'nb.table(t, "caption (what the table shows)")'},
                    {"cell_type": "code", "source": "x = 1  # TODO: compute\n"},
                    {"cell_type": "markdown", "source": "rows marked FAKE TOY DATA\n"}]}
    assert checks.placeholder_problems(StudyNotebook.of(nb, "x.ipynb")) == [
        ("x.ipynb: scaffold placeholders left in cells 3, 4, 5 (first: 'nb.table(t, \"caption "
        "(what the table shows)\")'); replace them before publishing")]
    # the title placeholder is title_problems' line, not repeated here
    nb["cells"] = nb["cells"][:2]
    assert checks.placeholder_problems(StudyNotebook.of(nb, "x.ipynb")) == []


def test_resource_names_are_read_from_literals_and_constants():
    src = ('FACTS = "toy_facts"\n'
           "def f():\n    return data.facts(FACTS, STUDY), data.load_table('toy_table')\n")
    assert checks.resource_names_in(src) == [(3, "toy_facts"), (3, "toy_table")]
    assert checks.resource_names_in("data.fact(study.FACTS, 'x', 'y')",
                                    {"FACTS": "shrinkage_facts"}) == [(1, "shrinkage_facts")]


def test_check_catches_placeholders_missing_resources_unreadable_files_and_outputs(
        project, main_in):
    """The four things `runspine check` let through: placeholders in a body cell, a data
    resource a study module loads that the package lacks, a resource whose file is missing
    or unreadable, and a notebook saved with outputs (the message names the command)."""
    nbs = project / "notebooks"
    studies = project / "src" / "runspine" / "studies"
    shutil.copytree(ROOT / "src" / "runspine" / "studies", studies)

    def placeholder(nb):
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                    and "nb.table(" in "".join(c["source"]))
        cell["source"] = ["nb.table(facts, \"TODO: caption (what the table shows)\")\n"]

    def saved_with_outputs(nb):
        cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
        cell["execution_count"] = 3
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x"}]

    _edit(nbs / NB2, placeholder)
    _edit(nbs / NB4, saved_with_outputs)
    # the hip study loads disc_facts; the package loses that resource (and its file)
    package = json.loads((project / "data" / "datapackage.json").read_text(encoding="utf-8"))
    gone = next(r for r in package["resources"] if r["name"] == "disc_facts")
    package["resources"].remove(gone)
    (project / "data" / gone["path"]).unlink()
    # a resource whose file is missing, another's is a directory (cannot be read)
    missing = next(r for r in package["resources"] if r["name"] == "rules_facts")
    (project / "data" / missing["path"]).unlink()
    unreadable = next(r for r in package["resources"] if r["name"] == "prevalence_facts")
    (project / "data" / unreadable["path"]).unlink()
    (project / "data" / unreadable["path"]).mkdir()
    (project / "data" / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n",
                                                       encoding="utf-8")

    proc = main_in("check", root=project)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    expected = [
        (NB2, "scaffold placeholders left in cell "),
        (NB4, "data resource 'disc_facts' (studies/hip.py:"),
        (NB4, "is not in data/datapackage.json"),
        (NB4, ("has outputs or an execution count; strip them before committing: "
              "runspine strip 04_hip_tightness_and_back_pain")),
        (missing["path"], "data file not found"),
        (unreadable["path"], "data file cannot be read (Is a directory)"),
    ]
    for name, text in expected:
        assert any(name in ln and text in ln for ln in lines), (name, text, lines)
