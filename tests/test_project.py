"""The project as a value: how a command finds it (runspine.project)."""

from __future__ import annotations

from pathlib import Path

import pytest

from runspine.project import ENV_VAR, Project, ProjectError


def _project(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "data" / "datapackage.json").write_text("{}", encoding="utf-8")
    (root / "notebooks").mkdir()
    return root


def test_explicit_project_wins_over_the_variable_and_the_working_directory(tmp_path):
    a, b, c = (_project(tmp_path / n) for n in "abc")
    assert Project.find(a, cwd=c, environ={ENV_VAR: str(b)}).root == a.resolve()
    assert Project.find(None, cwd=c, environ={ENV_VAR: str(b)}).root == b.resolve()


def test_found_from_the_working_directory_upwards(tmp_path):
    root = _project(tmp_path / "p")
    deep = root / "notebooks" / "sub"
    deep.mkdir()
    project = Project.find(cwd=deep, environ={})
    assert project.root == root.resolve()
    assert project.datapackage == root.resolve() / "data" / "datapackage.json"
    assert project.reports_dir == root.resolve() / "reports"


def test_a_named_directory_that_is_not_a_project_is_refused(tmp_path):
    with pytest.raises(ProjectError, match="not a runspine project"):
        Project.find(tmp_path, environ={})
    with pytest.raises(ProjectError, match="RUNSPINE_ROOT is empty"):
        Project.find(environ={ENV_VAR: ""})



@pytest.mark.parametrize("how", ["option", "variable"])
def test_a_project_named_by_a_symbolic_link_loop_is_one_line(tmp_path, capsys, monkeypatch,
                                                             how):
    """A link loop named as the project is not a project (before: 'RuntimeError: Symlink
    loop' with a traceback, exit 1, from Path.resolve)."""
    from runspine.cli import main

    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(ProjectError, match="not a runspine project"):
        Project.find(tmp_path / "a", environ={})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_VAR, raising=False)
    if how == "variable":
        monkeypatch.setenv(ENV_VAR, str(tmp_path / "a"))
    code = main([*(["--project", str(tmp_path / "a")] if how == "option" else []), "list"])
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err) == 1 and "not a runspine project" in err[0], err

def test_environment_names_the_project_for_child_processes_and_is_restored(tmp_path,
                                                                          monkeypatch):
    root = _project(tmp_path / "p")
    monkeypatch.setenv(ENV_VAR, "/elsewhere")
    with Project.at(root).environment():
        assert Project.current().root == root.resolve()
    import os

    assert os.environ[ENV_VAR] == "/elsewhere"


def test_nothing_reads_the_root_at_import():
    import runspine.project as module

    assert not any(isinstance(v, Project) for v in vars(module).values())


def test_cli_project_option(tmp_path, capsys, monkeypatch):
    from conftest import ROOT
    from runspine.cli import main

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)  # not inside any project
    assert main(["--project", str(tmp_path), "list"]) == 2
    assert "not a runspine project" in capsys.readouterr().err
    assert main(["--project", str(ROOT), "list", "01"]) == 0
    assert capsys.readouterr().out.startswith("01_")
