"""``runspine new`` + the README's "Adding a study" give a study that builds to an index
card: a toy study is scaffolded in a scratch copy of the project, its placeholders are
reported by ``runspine check``, the minimum is filled as the printed steps say, and the
notebook is built; the reader's index shows its card with its key finding.

The scratch copy holds ``src/`` too (the new study module lives there), so the build's
kernels run with ``PYTHONPATH`` pointing at it (the build itself runs in process: the
engine imports no study); ``new`` and ``check`` read the project's files only (``check``
parses the study modules, it does not import them). Everything runs in process
(``main_in``) but the scaffolded test, which a pytest of its own runs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

NAME = "toy_study"


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "proj"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints")
    for folder in ("data", "notebooks", "src"):
        shutil.copytree(ROOT / folder, root / folder, ignore=ignore)
    (root / "tests").mkdir()
    return root


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, (path.name, old, text.count(old))
    path.write_text(text.replace(old, new), encoding="utf-8")


def _pytest(root: Path, test: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(root / "src"), "RUNSPINE_ROOT": str(root), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "pytest", str(test), "-q", "-p",
                           "no:cacheprovider", "--rootdir", str(root), "-c", "/dev/null"],
                          check=False, cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
@pytest.mark.long(14)
def test_new_study_from_scaffold_to_index_card(project, tmp_path, main_in, monkeypatch):
    numbers = [int(p.name[:2]) for p in (project / "notebooks").glob("[0-9][0-9]_*.ipynb")]
    stem = f"{max(numbers) + 1:02d}_{NAME}"

    # 1. runspine new: three files, the remaining steps printed
    proc = main_in("new", NAME, root=project)
    assert proc.returncode == 0, proc.stderr
    notebook = project / "notebooks" / f"{stem}.ipynb"
    module = project / "src" / "runspine" / "studies" / f"{NAME}.py"
    test = project / "tests" / f"test_{NAME}.py"
    for path in (notebook, module, test):
        assert f"created {path}" in proc.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    adding = readme[readme.index("## Adding a study"):].split("\n## ")[0]
    for step in ("Data rows", "provenance", "_facts.csv", "datapackage.json",
                 "references.bib", "data/claims.csv", "tests/test_data.py", "runspine check",
                 "facts.schema.json"):
        assert step in proc.stdout, step
        assert step.lower() in adding.lower(), f"README's 'Adding a study' lacks {step!r}"

    # the notebook: valid, stripped, tagged typed parameters, project kernel, sections
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "runspine"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "ci_level: float = 0.95" in params[0].source
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for section in ("**Question.**", "**Study.**", "## 1. The transcribed data",
                    "## 2. What the paper reported", "## 3. Models",
                    '<a id="claims"></a>\n## 4. The popular claims',
                    "## 5. Results recorded", "### Reproducibility"):
        assert section in text, section
    assert f"from runspine.studies import {NAME} as study" in code[1].source
    assert "def reproduction()" in module.read_text()

    # the scaffolded test fails until the reproduction is pinned (it cannot pass vacuously)
    first = _pytest(project, test)
    assert first.returncode == 1 and "1 failed" in first.stdout, first.stdout[-2000:]

    # 2. check lists what is left, one line each, exit 2
    proc = main_in("check", root=project)
    assert proc.returncode == 2
    for left in ("the title is still a placeholder", "citation is still a placeholder",
                 "headline_text is still a placeholder",
                 "claim id 'TODO-claim-id' (cell 11) is not in data/claims.csv",
                 f"data resource '{NAME}_facts' (studies/{NAME}.py:",
                 "scaffold placeholders left in cells "):
        assert any(left in ln and f"{stem}.ipynb" in ln for ln in proc.stderr.splitlines()), left

    # 3. the minimum, as the printed steps say
    data = project / "data"
    (data / f"{NAME}_facts.csv").write_text(
        "study,quantity,value,relation,ci_low,ci_high,unit,description,source,location,"
        "provenance,note\n"
        "toy2026,mean_gain,4.2,=,1.1,7.3,points,Mean gain on a made-up scale,toy2026,"
        "Table 1,reported,\n"
        "toy2026,n_total,30,=,,,count,Participants,toy2026,abstract,reported,\n",
        encoding="utf-8")
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"].append({"name": f"{NAME}_facts", "path": f"{NAME}_facts.csv",
                                 "format": "csv", "mediatype": "text/csv",
                                 "encoding": "utf-8", "title": "Toy facts",
                                 "schema": "schemas/facts.schema.json"})
    (data / "datapackage.json").write_text(json.dumps(package, indent=2) + "\n",
                                           encoding="utf-8")
    with open(data / "references.bib", "a", encoding="utf-8") as fh:
        fh.write("\n@misc{toy2026,\n  author = {Toy, A.},\n  title = {A made-up study},\n"
                 "  year = {2026}\n}\n")
    with open(data / "claims.csv", "a", encoding="utf-8") as fh:
        fh.write(f'toy-claim,A0,1,"Toy training helps, a lot",Toy training helps,toy2026,{stem},,,'
                 "toy2026,abstract,reported,\n")
    _replace(module, f'STUDY = "{NAME}"', 'STUDY = "toy2026"')
    _replace(module, "    raise NotImplementedError(\n", "    return pd.DataFrame([{\n"
             '        "quantity": "mean_gain", "reported": facts.loc["mean_gain", "value"],\n'
             '        "recomputed": facts.loc["mean_gain", "value"], "consistent": True,\n'
             '        "how": "as printed (Table 1)"}])\n    raise NotImplementedError(\n')
    _replace(test, '    pytest.fail("TODO', '    assert table.loc["mean_gain", "recomputed"] '
             '== pytest.approx(4.2)  # Table 1\n    return\n    pytest.fail("TODO')
    raw = notebook.read_text(encoding="utf-8")
    raw = re.sub(r'"# TODO: title[^"]*"', '"# Toy training and back pain\\\\n"', raw)
    raw = raw.replace("TODO: authors. Title. Journal year;volume(issue):pages.",
                      "Toy A. A made-up study. J Toy 2026;1:1-2.")
    raw = raw.replace("TODO: the key finding in words, with {value} {unit} (95% CI",
                      "Toy training adds {value} {unit} (95% CI")
    raw = raw.replace("TODO-claim-id", "toy-claim")
    raw = raw.replace(f'results.record(\\"{NAME}_key_finding\\", None, None, None, \\"\\"',
                      f'results.record(\\"{NAME}_key_finding\\", facts.loc[\\"mean_gain\\", '
                      '\\"value\\"], 1.1, 7.3, \\"points\\"')
    notebook.write_text(raw, encoding="utf-8")
    nbformat.validate(nbformat.read(notebook, as_version=4))
    # the minimum is not enough: a report would show the body's TODO captions and notes
    proc = main_in("check", root=project)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "scaffold placeholders left in cells" in proc.stderr
    raw = raw.replace("TODO: caption (what the table shows)", "Toy facts as printed")
    notebook.write_text(re.sub(r"TODO:? ?", "", raw), encoding="utf-8")

    proc = main_in("check", root=project)
    assert proc.returncode == 0, proc.stderr
    filled = _pytest(project, test)
    assert filled.returncode == 0 and "1 passed" in filled.stdout, filled.stdout[-2000:]

    # 4. it builds to an index card a reader sees, with its key finding and its claim
    reports = tmp_path / "reports"
    monkeypatch.setenv("PYTHONPATH", str(project / "src"))  # the kernels' runspine
    proc = main_in("run", stem[:2], "--reports", str(reports), "--jobs", "1", root=project)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import html5lib

    index = html5lib.parse((reports / "index.html").read_text(encoding="utf-8"),
                           namespaceHTMLElements=False)
    card = next(a for a in index.iter("article") if a.get("id") == stem)
    seen = " ".join("".join(card.itertext()).split())
    assert "Toy training and back pain" in seen
    assert "Toy A. A made-up study. J Toy 2026;1:1-2." in seen
    assert "Toy training adds 4.2 points (95% CI 1.1 to 7.3)" in seen  # labels written from ci_level
    claims_page = (reports / "claims.html").read_text(encoding="utf-8")
    assert "toy-claim" in claims_page and "Toy training helps" in claims_page
    assert (reports / stem / "report.html").exists()


def test_new_refuses_bad_names_and_existing_studies(project, main_in):
    for bad in ("Toy", "1toy", "toy-study", "class"):
        proc = main_in("new", bad, root=project)
        assert proc.returncode == 2
        assert "is not a study name" in proc.stderr and len(proc.stderr.splitlines()) == 1
    proc = main_in("new", "hip", root=project)  # src/runspine/studies/hip.py exists
    assert proc.returncode == 2 and "hip.py already exists; nothing was written" in proc.stderr
    assert not list((project / "notebooks").glob("*_hip.ipynb"))


def test_new_writes_nothing_through_a_dangling_link(project, main_in, tmp_path):
    """A symbolic link to a file that does not exist is an existing entry: ``new``
    refuses it and writes nothing (before: the link's target, outside the project, was
    created with the study module's text)."""
    outside = tmp_path / "elsewhere" / "victim.py"
    outside.parent.mkdir()
    (project / "src" / "runspine" / "studies" / "toy.py").symlink_to(outside)
    before = sorted(p.name for p in (project / "notebooks").iterdir())
    proc = main_in("new", "toy", root=project)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "toy.py already exists; nothing was written" in proc.stderr
    assert not outside.exists() and not (project / "tests" / "test_toy.py").exists()
    assert sorted(p.name for p in (project / "notebooks").iterdir()) == before
