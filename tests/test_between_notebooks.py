"""A notebook that changes the project's files while a build runs (another notebook's
file, a file in data/) cannot make a later notebook of that build publish results its
cache key does not describe (they would be reused as correct once the file is back)."""

from __future__ import annotations

import pytest

from conftest import make_scratch, results_of, write_study_notebook

EDIT_NEXT = '''import json, pathlib
p = pathlib.Path("01_probe.ipynb")
nb = json.loads(p.read_text())
for cell in nb["cells"]:
    cell["source"] = "".join(cell["source"]).replace("record('value', value)",
                                                     "record('value', 999.0)")
p.write_text(json.dumps(nb))'''

EDIT_DATA = '''import pathlib
for p in sorted(pathlib.Path("../data").glob("*.csv"))[:1]:
    p.write_text(p.read_text() + "\\n")'''


@pytest.mark.slow
def test_a_notebook_whose_inputs_another_changed_is_not_published(tmp_path, main_in):
    root = make_scratch(tmp_path / "proj", ("01_probe",))
    nb = root / "notebooks" / "01_probe.ipynb"
    original = nb.read_bytes()
    editor = root / "notebooks" / "00_editor.ipynb"
    write_study_notebook(editor, "Editor", "x: int = 1  # x\n", [EDIT_NEXT],
                         {"citation": "Editor 2026"})
    reports = tmp_path / "reports"
    proc = main_in("run", "--reports", reports, "--jobs", "1", root=root)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED   01_probe: its inputs (notebook) changed while it ran" in proc.stderr
    assert not (reports / "01_probe" / "results.json").exists()  # before: value 999
    nb.write_bytes(original)  # the user's own file back: run again, never reused
    proc = main_in("run", "01", "--reports", reports, root=root)
    assert "1 built, 0 reused" in proc.stderr
    assert results_of(reports, "01_probe")["value"]["value"] == 1.5
    # a file of data/ written by a notebook: neither it nor the next is published
    write_study_notebook(editor, "Editor", "x: int = 1  # x\n", [EDIT_DATA],
                         {"citation": "Editor 2026"})
    proc = main_in("run", "--reports", reports, "--jobs", "2", root=root)
    assert proc.returncode == 1
    assert "FAILED   00_editor: its inputs (data) changed while it ran" in proc.stderr
    assert results_of(reports, "01_probe")["value"]["value"] == 1.5
