"""Small CLI gaps: ``--version``, ``--debug`` after the subcommand, ``list NAME``."""

from __future__ import annotations

import pytest

from runspine import __version__
from runspine.cli import build_parser, main


def test_version(main_in):
    proc = main_in("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"runspine {__version__}"


@pytest.mark.parametrize("argv, debug", [
    (["list"], False), (["--debug", "list"], True), (["list", "--debug"], True),
    (["run", "01", "--debug"], True), (["--debug", "check", "--data-only"], True),
    (["check", "--debug", "--data-only"], True), (["sweep", "01", "--grid", "g.yaml"], False),
    (["new", "toy", "--debug"], True),
])
def test_debug_before_or_after_the_subcommand(argv, debug):
    assert build_parser().parse_args(argv).debug is debug


def test_debug_after_the_subcommand_shows_the_traceback(monkeypatch):
    def boom(project, names=None):
        raise RuntimeError("unexpected")

    monkeypatch.setattr("runspine.cli.cmd_list", boom)
    assert main(["list"]) == 1  # one line without --debug
    with pytest.raises(RuntimeError, match="unexpected"):
        main(["list", "--debug"])


def test_list_one_notebook(main_in):
    proc = main_in("list", "4")
    assert proc.returncode == 0, proc.stderr
    stems = [ln for ln in proc.stdout.splitlines() if not ln.startswith(" ")]
    assert stems == ["04_hip_tightness_and_back_pain"]
    assert "    n_lbp_cases: int = 10" in proc.stdout
    proc = main_in("list", "nope")
    assert proc.returncode == 2
    assert proc.stderr.startswith("runspine: error: 'nope' is not a notebook")
    assert len(proc.stderr.splitlines()) == 1


def test_the_readme_list_parameter_example_works():
    from conftest import ROOT
    from runspine.engine.plan import plan

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert '-p predict_paces "[80, 90]"' in readme
    from runspine.project import Project

    (job,) = plan(["1"], {"predict_paces": "[80, 90]"}, {}, project=Project.at(ROOT))
    assert job.values["predict_paces"] == [80.0, 90.0]
