"""Spinal shrinkage vs pace (Garbutt 1990): pinned reproduction, verdicts, notebook runs."""

import json

import pytest

from conftest import results_of
from runspine.studies import shrinkage as study

STEM = "01_spinal_shrinkage_vs_pace"


@pytest.fixture(scope="module")
def table():
    return study.load_conditions()


@pytest.fixture(scope="module")
def grid(table):
    return study.reproduction_grid(table, 14, study.rho_grid(0.05))


def test_rho_ranges_consistent_with_the_paper_are_pinned(grid):
    # pace: RM ANOVA P < 0.005 needs rho >= -0.35; halves: paired t P < 0.05 needs
    # rho >= 0.75 (n = 14); both: 0.75 to 0.95 on the 0.05 grid
    assert study.consistent_range(grid, "pace_reproduced") == (-0.35, 0.95)
    assert study.consistent_range(grid, "halves_reproduced") == (0.75, 0.95)
    assert study.consistent_range(grid, "both_reproduced") == (0.75, 0.95)


def test_reproduction_rows_are_pinned(table):
    rep = study.reproduction_table(table, 14, 0.5, 0.95).set_index("quantity")
    assert rep.loc["pace effect P (RM ANOVA)", "consistent"]
    assert "P = 3.5e-05" in rep.loc["pace effect P (RM ANOVA)", "recomputed"]
    assert not rep.loc["first vs second 15 min P (paired t)", "consistent"]
    assert "P = 0.1 " in rep.loc["first vs second 15 min P (paired t)", "recomputed"]


def test_slope_is_pinned(table):
    # least-squares slope of 3.37, 5.10, 7.69 on 70, 85, 100 = (7.69 - 3.37) / 30 = 0.144
    est = study.slope(table, 14, 0.5, 0.95)
    assert est.estimate == pytest.approx(0.144, abs=1e-12)
    assert (est.ci_low, est.ci_high) == pytest.approx((0.081641, 0.206359), abs=1e-6)


def test_min_detectable_difference_is_pinned(table):
    ptab = study.power_table(table, 7, 0.5, 0.05, 0.8)
    # d = 1.6317 (pwr.t.test(n = 7, power = 0.8)) x SD of a runner's mean over paces
    assert ptab.iloc[0]["min_detectable_d"] == pytest.approx(1.6317140515560382, rel=1e-9)
    assert ptab.iloc[0]["min_detectable_mm"] == pytest.approx(3.5751, abs=1e-4)


def test_verdicts_are_pinned(table, grid):
    verdicts = {v.claim_id: v.verdict for v in study.verdicts(table, 14, 0.5, 0.95, grid, 7,
                                                               0.05, 0.8)}
    assert verdicts == {"shrink-quarter-inch": "partly supported",
                        "shrink-speed": "supported",
                        "shrink-distance": "partly supported",
                        "shrink-lbp-independent": "partly supported"}


def test_notebook_with_defaults_reproduces_the_paper(default_build):
    res = results_of(default_build, STEM)
    # the abstract's means at its precision (2 decimals)
    assert round(res["shrinkage_70_mm"]["value"], 2) == 3.37
    assert round(res["shrinkage_85_mm"]["value"], 2) == 5.10
    assert round(res["shrinkage_100_mm"]["value"], 2) == 7.69
    assert res["shrinkage_100_mm"]["ci_low"] == pytest.approx(5.5595, abs=1e-4)
    assert res["slope_mm_per_pct_pace"]["value"] == pytest.approx(0.144, abs=1e-9)
    assert res["rho_range_consistent"]["value"] == [0.75, 0.95]
    assert res["p_pace_recomputed"]["value"] < 0.005  # the paper: P < 0.005
    assert res["min_detectable_lbp_difference_mm"]["value"] == pytest.approx(3.5751, abs=1e-4)
    tables = default_build / STEM / "tables"
    for name in ("claims", "reproduction", "rho_grid", "predictions", "power"):
        assert (tables / f"{name}.csv").exists(), name
    html = (default_build / STEM / "report.html").read_text()
    assert "Reported vs recomputed" in html and "<img" in html and "partly supported" in html


def test_notebook_with_a_second_parameter_set(run_notebooks):
    proc, reports = run_notebooks("1", params={"rho": 0.8, "n_runners": 42, "ci_level": 0.9,
                                               "predict_paces": [80.0, 120.0]})
    assert proc.returncode == 0, proc.stderr
    res = results_of(reports, STEM)
    assert res["shrinkage_100_mm"]["value"] == 7.69
    # narrower CI with 42 runners and 90 %: 7.69 +/- qt(0.95, 41) * 3.69 / sqrt(42)
    assert res["shrinkage_100_mm"]["ci_low"] == pytest.approx(6.73180, abs=1e-4)
    # with n = 42 the halves test reproduces at every rho >= 0 on the grid
    assert res["rho_range_consistent"]["value"][0] <= 0.0
    preds = (reports / STEM / "tables" / "predictions.csv").read_text()
    assert preds.splitlines()[1].startswith("80")
    manifest = json.loads((reports / "manifest.json").read_text())
    assert manifest["notebooks"][STEM]["parameters"]["rho"] == 0.8


@pytest.mark.parametrize("step", [0.01, 0.05, 0.3, 0.5])
def test_rho_grid_stays_inside_the_valid_range(step):
    grid = study.rho_grid(step)
    assert grid[0] == -0.45 and grid[-1] <= 0.95
    assert study.reproduction_grid(study.load_conditions(), 14, grid).shape[0] == grid.size
