"""The one notebook model (runspine.notebook_file.StudyNotebook): what it reads from a study
notebook, and that the reader pages take the title, metadata and parameter defaults from
it (the index card, the claims page, the consistency page and a sweep summary all show
the same title)."""

from __future__ import annotations

import json
from pathlib import Path

from runspine.notebook_file import StudyNotebook


def _nb(cells: list[dict], runspine: dict | None = None) -> dict:
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "runspine"}, "runspine": runspine or {}}}


def _md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


PARAMS = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "outputs": [],
          "source": ["ci_level: float = 0.95  # confidence level [0.5, 0.999]\n",
                     "arms: list[str] = ['a', 'b']  # groups\n"]}


def test_the_title_is_the_first_level_one_heading():
    """A section heading before the title (``## Background``) is not the title; neither is
    a ``#hashtag`` line. (The model took the first line starting with "#" while the
    pages took the first "# " heading: the same notebook had two titles.)"""
    nb = StudyNotebook.of(_nb([_md("#hashtag\n## Background\n"), _md("text\n# The title \n")]))
    assert nb.title == "The title"
    assert StudyNotebook.of(_nb([_md("## Only a section\n")])).title == ""
    assert StudyNotebook.of({"cells": "not a list"}).title == ""  # unusable: no title


def test_parameter_defaults_and_an_unreadable_parameters_cell():
    nb = StudyNotebook.of(_nb([_md("# T\n"), PARAMS]))
    assert nb.parameter_defaults() == {"ci_level": 0.95, "arms": ["a", "b"]}
    untyped = {**PARAMS, "source": "x = 1\n"}
    assert StudyNotebook.of(_nb([untyped])).parameter_defaults() == {}
    assert StudyNotebook.of(_nb([_md("# T\n")])).parameter_defaults() == {}


def test_the_claims_section_and_its_anchor():
    anchored = _nb([_md("# T\n"), _md('<a id="claims"></a>'), _md("## 5. The claims\n")])
    assert StudyNotebook.of(anchored).claims_section() == (3, "## 5. The claims", True)
    anchored["cells"][1]["source"] = "text"
    assert StudyNotebook.of(anchored).claims_section() == (3, "## 5. The claims", False)
    same_cell = _nb([_md('<a id="claims"></a>\n## Popular claim\n')])
    assert StudyNotebook.of(same_cell).claims_section() == (1, "## Popular claim", True)
    assert StudyNotebook.of(_nb([_md("# T\n")])).claims_section() is None


def test_a_file_is_read_again_when_it_changes(tmp_path):
    path = tmp_path / "01_x.ipynb"
    path.write_text(json.dumps(_nb([_md("# First\n")], {"headline": "a"})), encoding="utf-8")
    first = StudyNotebook.read(path)
    assert (first.title, first.runspine, first.name) == ("First", {"headline": "a"},
                                                         "01_x.ipynb")
    assert StudyNotebook.read(path) is first  # parsed once per content
    path.write_text(json.dumps(_nb([_md("# Second title\n")])), encoding="utf-8")
    assert StudyNotebook.read(path).title == "Second title"
    path.write_text("{", encoding="utf-8")
    broken = StudyNotebook.read(path)
    assert broken.unreadable and broken.title == "" and broken.runspine == {}
    assert StudyNotebook.read(tmp_path / "missing.ipynb").unreadable


def _executed(reports: Path, stem: str, title_cells: list[dict]) -> None:
    (reports / stem).mkdir(parents=True)
    nb = _nb([*title_cells, PARAMS], {"headline": "effect", "doi": "10.1/x"})
    (reports / stem / "executed.ipynb").write_text(json.dumps(nb), encoding="utf-8")


def test_the_pages_take_title_metadata_and_defaults_from_the_model(tmp_path):
    """The index card's metadata and title, the defaults a card compares against, a sweep
    summary's headline key and title, and a report's title: one reading."""
    from runspine.site import index, report, sweep_summary

    reports = tmp_path / "reports"
    cells = [_md("## Background\n"), _md("# Hip strength in runners\n")]
    _executed(reports, "01_hip", cells)
    assert index.study_meta(reports, "01_hip") == {
        "headline": "effect", "doi": "10.1/x", "title": "Hip strength in runners"}
    assert index.parameter_defaults(reports, "01_hip") == {"ci_level": 0.95,
                                                           "arms": ["a", "b"]}
    assert index.study_meta(reports, "02_missing") == {"title": "02_missing"}
    sweep = reports / "01_hip" / "sweep"
    _executed(sweep, "p1", cells)
    assert sweep_summary._study(sweep, ["p0", "p1"]) == ("effect", "Hip strength in runners")
    nb = json.loads((reports / "01_hip" / "executed.ipynb").read_text(encoding="utf-8"))
    assert report.notebook_title(nb, "01_hip") == "Hip strength in runners"
    assert report.notebook_title(_nb([_md("no heading")]), "01_hip") == "01_hip"
