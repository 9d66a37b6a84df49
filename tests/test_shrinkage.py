"""Spinal shrinkage vs pace (Garbutt 1990): pinned reproduction, verdicts, notebook runs."""

import json
from pathlib import Path

import pytest

from conftest import results_of
from runspine.studies import shrinkage as study

STEM = "01_spinal_shrinkage_vs_pace"
# R reference values (tests/reference/make_reference_review.R; the r_call of each case is
# in the JSON and repeated in short beside each expected value)
CLAIMS = json.loads((Path(__file__).parent / "reference" / "r_reference_claims.json")
                    .read_text(encoding="utf-8"))
REVIEW = json.loads((Path(__file__).parent / "reference" / "r_reference_review.json")
                    .read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def table():
    return study.load_conditions()


@pytest.fixture(scope="module")
def grid(table):
    return study.reproduction_grid(table, 14, study.rho_grid(0.05))


def test_rho_range_for_the_pace_effect_is_pinned(grid):
    # pace: RM ANOVA P < 0.005 needs rho >= -0.35 (n = 14, 0.05 grid)
    assert study.consistent_range(grid, "pace_reproduced") == (-0.35, 0.95)


def test_halves_as_runner_averages_never_reproduce_the_paper(grid):
    # the runner-average reading is possible only from rho = -0.25 (implied r between
    # halves within [-1, 1]); there P runs from 0.27 (rho = 0.95) to 0.35, never < 0.05
    feasible = grid[grid["halves_runner_feasible"]]
    assert feasible["rho"].min() == -0.25
    assert grid.loc[~grid["halves_runner_feasible"], "p_halves_runner"].isna().all()
    assert not grid["halves_runner_reproduced"].any()
    assert (round(feasible["p_halves_runner"].min(), 2),
            round(feasible["p_halves_runner"].max(), 2)) == (0.27, 0.35)
    assert (feasible["r_halves_runner"] <= -0.36).all()


def test_halves_table_matches_r(table, grid):
    halves = study.halves_table(table, 14, 0.5, grid)
    a, b = halves.iloc[0], halves.iloc[1]
    # R: 14 runner averages, rho = 0.5: sd(rowMeans(mvrnorm(14, ..., empirical = TRUE))),
    #    t.test(paired = TRUE) -> t 1.0717, P 0.3033 (case halves_14_runner_averages_rho05)
    ref = REVIEW["halves_14_runner_averages_rho05"]["values"]
    assert (a["sd_total_mm"], a["r_halves"], a["t"], a["p"]) == pytest.approx(
        (ref["sd_total"], ref["r"], ref["t"], ref["p"]), rel=1e-9)
    # R: 42 runs, sd(c(3 pace groups)), t.test(paired = TRUE) on 41 df -> P 0.0255
    ref = REVIEW["halves_42_runs_paired_t"]["values"]
    assert (b["n"], b["df"]) == (42, 41)
    assert (b["sd_total_mm"], b["r_halves"], b["t"], b["p"]) == pytest.approx(
        (ref["sd_total"], ref["r"], ref["t"], ref["p"]), rel=1e-9)
    # the third reading: SDs over all 42 runs, the correct paired t on 14 runner averages;
    # R (make_reference_claims.R): t.test(rowMeans(D)) on exact data, rho_days 0 / 0.05 / 0.25
    c = halves.iloc[2]
    ref = CLAIMS["halves_runner_means_rho0"]["values"]
    assert (c["n"], c["df"]) == (14, 13)
    assert (c["t"], c["p"]) == pytest.approx((ref["t"], ref["p"]), rel=1e-9)
    for r in (0.05, 0.25):
        ref = CLAIMS[f"halves_runner_means_rho{r:g}"]["values"]
        row = study.halves_over_runs(table, 14, r)
        assert (row["t"], row["p"]) == pytest.approx((ref["t"], ref["p"]), rel=1e-9)
    # below a day-to-day correlation of 0.0758 the correct test gives P < 0.05 too
    assert study.halves_rho_days_limit(table, 14, 0.05) == pytest.approx(
        CLAIMS["halves_runner_means_rho0"]["values"]["rho_limit"], rel=1e-9)
    assert list(halves["reproduces"]) == [False, True, True]
    assert len(halves) == 3  # the three readings, nothing else


def test_halves_simulation_matches_r_and_cannot_tell_the_readings_apart(table):
    # R (make_reference_claims.R, case halves_simulation; 4,000 data sets per rho, another
    # random stream): the share of data sets with P < 0.05, within simulation error
    ref = CLAIMS["halves_simulation"]["values"]
    model = study.halves_model(table, 14)
    assert (model["b"], model["s2"]) == pytest.approx((ref["b"], ref["s2"]), rel=1e-9)
    sim = study.halves_simulation(table, 14, [0.3, 0.5, 0.8], 4000, 19901201, 0.05)
    for row in sim.itertuples():
        assert row.share_p_below_correct == pytest.approx(ref[f"share_correct_{row.rho:g}"],
                                                          abs=0.04)
        assert row.share_p_below_runs == pytest.approx(ref[f"share_runs_{row.rho:g}"],
                                                       abs=0.04)
        assert row.median_p_correct == pytest.approx(ref[f"median_correct_{row.rho:g}"],
                                                     abs=0.006)
        # the simulated data match the printed SDs over runs (2.78 and 1.61 mm)
        assert (row.mean_sd_first_mm, row.mean_sd_second_mm) == pytest.approx((2.78, 1.61),
                                                                            abs=0.03)
    # both tests give P < 0.05 in about half to two thirds of the data sets
    assert (sim["share_p_below_correct"].between(0.45, 0.62)).all()
    assert (sim["share_p_below_runs"].between(0.55, 0.68)).all()


def test_reproduction_rows_are_pinned(table):
    rep = study.reproduction_table(table, 14, 0.5, 0.95).set_index("quantity")
    assert rep.loc["pace effect P (RM ANOVA)", "consistent"]
    assert "P = 3.5e-05" in rep.loc["pace effect P (RM ANOVA)", "recomputed"]
    runner = "first vs second 15 min P, 14 runner averages over the 3 paces"
    runs = "first vs second 15 min P, 42 runs (14 runners x 3 paces) as independent pairs"
    assert not rep.loc[runner, "consistent"] and "P = 0.3 " in rep.loc[runner, "recomputed"]
    assert rep.loc[runs, "consistent"] and "P = 0.025 " in rep.loc[runs, "recomputed"]
    assert "counts each runner's 3 runs as independent" in rep.loc[runs, "note"]
    over = "first vs second 15 min P, SDs over all runs, paired t on 14 runner averages"
    assert rep.loc[over, "consistent"] and "P = 0.037 " in rep.loc[over, "recomputed"]


def test_interaction_power_matches_r(table):
    # R: sqrt(t(c(-1, 0, 1)) %*% S(rho = 0.5) %*% c(-1, 0, 1)) * power.t.test(n = 7,
    #    power = 0.8, strict = TRUE)$delta = 5.2869 mm (case interaction_mdd_rho05)
    ref = REVIEW["interaction_mdd_rho05"]["values"]
    ptab = study.power_table(table, 7, 0.5, 0.05, 0.8).set_index("test")
    assert ptab.loc[study.INTERACTION, "sd_mm"] == pytest.approx(ref["sd_contrast"], rel=1e-12)
    assert ptab.loc[study.INTERACTION, "min_detectable_mm"] == pytest.approx(ref["mdd"],
                                                                            rel=1e-6)
    assert list(ptab.index[:2]) == [study.INTERACTION, study.MAIN_EFFECT]


def test_rodacki_30_vs_60_matches_r():
    # R: t.test(x60, x30, paired = TRUE) on mvrnorm(15, ..., r = 0, empirical = TRUE)
    ref = REVIEW["rodacki_30_vs_60_paired_t_r0"]["values"]
    row = study.rodacki_durations([0.0]).iloc[0]
    assert (row["t"], row["df"], row["p"]) == pytest.approx((ref["t"], ref["df"], ref["p"]),
                                                            rel=1e-9)
    assert (study.rodacki_durations(study.rho_grid(0.05))["p"] < 0.05).all()


def test_predictions_outside_the_paces_run_are_flagged(table):
    _, mixed = study.mixed_vs_summary(table, 14, 0.5, 1, 0.95)
    pred = study.prediction_table(mixed, [60.0, 70.0, 85.0, 100.0, 110.0], 0.95)
    assert list(pred["within_data"]) == [False, True, True, True, False]


def test_slope_is_pinned(table):
    # least-squares slope of 3.37, 5.10, 7.69 on 70, 85, 100 = (7.69 - 3.37) / 30 = 0.144
    est = study.slope(table, 14, 0.5, 0.95)
    assert est.estimate == pytest.approx(0.144, abs=1e-12)
    assert (est.ci_low, est.ci_high) == pytest.approx((0.081641, 0.206359), abs=1e-6)


def test_min_detectable_difference_is_pinned(table):
    ptab = study.power_table(table, 7, 0.5, 0.05, 0.8).set_index("test")
    # d = 1.6317 (pwr.t.test(n = 7, power = 0.8)) x SD of a runner's mean over paces
    main = ptab.loc[study.MAIN_EFFECT]
    assert main["min_detectable_d"] == pytest.approx(1.6317140515560382, rel=1e-9)
    assert main["min_detectable_mm"] == pytest.approx(3.5751, abs=1e-4)


def test_verdicts_are_pinned(table, grid):
    verdicts = {v.claim_id: v.verdict for v in study.verdicts(table, 14, 0.5, 0.95, grid, 7,
                                                               0.05, 0.8)}
    assert verdicts == {"shrink-quarter-inch": "partly supported",
                        "shrink-speed": "supported",
                        "shrink-distance": "supported",
                        "shrink-lbp-independent": "partly supported"}
    evidence = {v.claim_id: v.evidence for v in study.verdicts(table, 14, 0.5, 0.95, grid, 7,
                                                               0.05, 0.8)}
    # shrink-distance: three direct lines for; the halves' three readings side by side, no
    # claim that the paper's P came from pseudo-replication; Leatt's circadian 14.4 mm set
    # against the loss over his 25-km run only
    dist = evidence["shrink-distance"]
    assert "Leatt 1986" in dist and "Rodacki 2024" in dist
    assert "95% CI 1.19 to 3.05 at the widest, since the printed SD is over runs" in dist
    assert "P = 0.025; too small" in dist and "P = 0.037 if a runner's half difference" in dist
    assert "up to a correlation of 0.08" in dist and "P = 0.27 to 0.35" in dist
    assert "cannot tell them apart" in dist and "only by treating" not in dist
    assert "14.4 mm in Leatt's runners was larger than their loss over the 25-km run" in dist
    assert "any loss" not in dist and "Changed" not in dist
    assert "paired P 0.0019 or less for any correlation of 0.5 or more" in dist
    for text in evidence.values():
        assert "What would change it" in text
    assert "whether shrinkage rose faster with pace in runners with back pain" in \
        evidence["shrink-lbp-independent"]  # the interaction the abstract tests, in words


def test_notebook_with_defaults_reproduces_the_paper(default_build):
    res = results_of(default_build, STEM)
    # the abstract's means at its precision (2 decimals)
    assert round(res["shrinkage_70_mm"]["value"], 2) == 3.37
    assert round(res["shrinkage_85_mm"]["value"], 2) == 5.10
    assert round(res["shrinkage_100_mm"]["value"], 2) == 7.69
    assert res["shrinkage_100_mm"]["ci_low"] == pytest.approx(5.5595, abs=1e-4)
    assert res["slope_mm_per_pct_pace"]["value"] == pytest.approx(0.144, abs=1e-9)
    assert res["rho_range_pace_consistent"]["value"] == [-0.35, 0.95]
    assert res["p_halves_42_runs"]["value"] == pytest.approx(0.0254898, abs=1e-6)
    assert "reproduces" in res["p_halves_42_runs"]["description"]
    assert "pseudo" not in res["p_halves_42_runs"]["description"]
    assert res["p_halves_runner_test_over_runs"]["value"] == pytest.approx(
        CLAIMS["halves_runner_means_rho0"]["values"]["p"], rel=1e-9)
    assert [round(x, 2) for x in res["p_halves_runner_average_range"]["value"]] == [0.27, 0.35]
    assert res["min_detectable_lbp_interaction_mm"]["value"] == pytest.approx(5.2869, abs=1e-4)
    assert res["p_pace_recomputed"]["value"] < 0.005  # the paper: P < 0.005
    assert res["min_detectable_lbp_difference_mm"]["value"] == pytest.approx(3.5751, abs=1e-4)
    tables = default_build / STEM / "tables"
    for name in ("claims", "reproduction", "rho_grid", "predictions", "power", "halves",
                 "distance"):
        assert (tables / f"{name}.csv").exists(), name
    html = (default_build / STEM / "report.html").read_text()
    assert "Reported vs recomputed" in html and "<img" in html and "partly supported" in html
    assert "Extrapolation" in html and "pseudo" not in html
    text = " ".join(html.split())
    assert "the three readings of the halves side by side" in text
    assert "the printed P cannot tell a correct analysis from one that counted runs as " \
           "runners" in text


@pytest.mark.slow
def test_notebook_with_a_second_parameter_set(run_notebooks):
    proc, reports = run_notebooks("1", params={"rho": 0.8, "n_runners": 42, "ci_level": 0.9,
                                               "predict_paces": [80.0, 120.0]})
    assert proc.returncode == 0, proc.stderr
    res = results_of(reports, STEM)
    assert res["shrinkage_100_mm"]["value"] == 7.69
    # narrower CI with 42 runners and 90%: 7.69 +/- qt(0.95, 41) * 3.69 / sqrt(42)
    assert res["shrinkage_100_mm"]["ci_low"] == pytest.approx(6.73180, abs=1e-4)
    # with 42 runners the pace effect reproduces on the whole grid; the halves as runs
    # become 126 independent pairs
    assert res["rho_range_pace_consistent"]["value"] == [-0.45, 0.95]
    assert res["p_halves_42_runs"]["value"] < 0.001
    preds = (reports / STEM / "tables" / "predictions.csv").read_text()
    assert preds.splitlines()[1].startswith("80")
    manifest = json.loads((reports / "manifest.json").read_text())
    assert manifest["notebooks"][STEM]["parameters"]["rho"] == 0.8


@pytest.mark.parametrize("step", [0.01, 0.05, 0.3, 0.5])
def test_rho_grid_stays_inside_the_valid_range(step):
    grid = study.rho_grid(step)
    assert grid[0] == -0.45 and grid[-1] <= 0.95
    assert study.reproduction_grid(study.load_conditions(), 14, grid).shape[0] == grid.size
