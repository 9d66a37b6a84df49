"""Tests for runspine.stats.prevalence and the back pain prevalence notebook (02).

Reference values: tests/reference/r_reference.json (shared; case ids cited) and
tests/reference/r_reference_prevalence.json (made by make_reference_prevalence.R; the R
call is stored with each case and repeated in the comments).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from conftest import vals
from runspine import data
from runspine.stats import prevalence as P
from runspine.studies import prevalence as study

HERE = Path(__file__).resolve().parent
STEM = "02_back_pain_prevalence_by_sport"


@pytest.fixture(scope="module")
def rp() -> dict:
    path = HERE / "reference" / "r_reference_prevalence.json"
    return json.loads(path.read_text(encoding="utf-8"))




# ----------------------------------------------------------------------------- Wilson
@pytest.mark.parametrize("x,n,cl", [(10, 22, 95), (10, 22, 90), (3, 25, 95), (3, 25, 90),
                                    (162, 257, 95), (162, 257, 90), (0, 20, 95), (0, 20, 90),
                                    (20, 20, 95), (20, 20, 90)])
def test_wilson_matches_prop_test(r_ref, x, n, cl):
    # R: prop.test(x, n, correct = FALSE, conf.level = cl/100)$conf.int
    # case wilson_ci_x{x}_n{n}_cl{cl}
    v = vals(r_ref, f"wilson_ci_x{x}_n{n}_cl{cl}")
    lo, hi = P.wilson_ci(x, n, cl / 100)
    assert lo == pytest.approx(v["lower"], rel=1e-12, abs=1e-15)
    assert hi == pytest.approx(v["upper"], rel=1e-12, abs=1e-15)


def test_wilson_maselli_and_woolf(rp):
    # R: prop.test(573, 2539, correct = FALSE)$conf.int -> 0.209840722636536, 0.242346909758745
    v = vals(rp, "wilson_ci_x573_n2539_cl95")
    assert P.wilson_ci(573, 2539, 0.95) == pytest.approx((v["lower"], v["upper"]), rel=1e-12)
    # R: prop.test(399, 539, correct = FALSE, conf.level = 0.9)$conf.int
    v = vals(rp, "wilson_ci_x399_n539_cl90")
    assert P.wilson_ci(399, 539, 0.90) == pytest.approx((v["lower"], v["upper"]), rel=1e-12)


def test_wilson_rejects_bad_counts():
    with pytest.raises(ValueError):
        P.wilson_ci(5, 4)


# ----------------------------------------------------------------------------- odds ratios
@pytest.mark.parametrize("a,b,c,d", [(162, 95, 92, 105), (10, 12, 3, 22), (5, 15, 0, 20)])
def test_odds_ratio_matches_escalc(r_ref, a, b, c, d):
    # R: escalc(measure = "OR", ai = a, bi = b, ci = c, di = d) (adds 1/2 to all cells if a
    # zero cell), Woolf CI exp(yi +/- qnorm(0.975) sqrt(vi)); case or_woolf_{a}_{b}_{c}_{d}
    v = vals(r_ref, f"or_woolf_{a}_{b}_{c}_{d}")
    r = P.odds_ratio(a, a + b, c, c + d, 0.95)
    assert r.odds_ratio == pytest.approx(v["or"], rel=1e-12)
    assert r.ci_low == pytest.approx(v["ci.lb"], rel=1e-12)
    assert r.ci_high == pytest.approx(v["ci.ub"], rel=1e-12)
    assert r.se_log_or ** 2 == pytest.approx(v["vi"], rel=1e-12)
    assert r.zero_cell_correction == (0 in (a, b, c, d))
    # R: chisq.test(tab, correct = FALSE)$p.value; fisher.test(tab)$p.value
    f = vals(r_ref, f"fisher_chisq_{a}_{b}_{c}_{d}")
    assert r.p_chisq == pytest.approx(f["chisq_p"], rel=1e-10)
    assert r.p_fisher == pytest.approx(f["fisher_p"], rel=1e-10)


def test_odds_ratio_fett_12_month(rp):
    # R: escalc(measure = "OR", ai = 903, bi = 211, ci = 116, di = 50) -> OR 1.84466416081059
    # (1.28200066770828-2.6542777643493); chisq p 0.000852295264621583
    v = vals(rp, "or_woolf_903_211_116_50")
    r = P.odds_ratio(903, 1114, 116, 166)
    assert (r.odds_ratio, r.ci_low, r.ci_high) == pytest.approx(
        (v["or"], v["ci.lb"], v["ci.ub"]), rel=1e-12)
    assert r.p_chisq == pytest.approx(v["chisq_p"], rel=1e-9)
    assert r.p_fisher == pytest.approx(v["fisher_p"], rel=1e-9)


# ----------------------------------------------------------------------------- pooling
def test_logit_transform_matches_escalc_plo(r_ref):
    # R: escalc(measure = "PLO", xi = c(162, 120, 150, 10, 40), ni = c(257, 199, 278, 22, 60))
    v = vals(r_ref, "escalc_PLO")
    y, var = P.logit_proportions([162, 120, 150, 10, 40], [257, 199, 278, 22, 60])
    np.testing.assert_allclose(y, v["yi"], rtol=1e-13)
    np.testing.assert_allclose(var, v["vi"], rtol=1e-13)


def test_pool_proportions_dl_matches_rma_plo(r_ref):
    # R: rma(yi, vi, method = "DL") on escalc PLO; plogis back-transforms; case rma_PLO_DL
    v = vals(r_ref, "rma_PLO_DL")
    p = P.pool_proportions([162, 120, 150, 10, 40], [257, 199, 278, 22, 60], "dl", 0.95,
                           "normal", test="z")
    assert p.logit_estimate == pytest.approx(v["estimate"], rel=1e-12)
    assert p.logit_se == pytest.approx(v["se"], rel=1e-12)
    assert p.tau2 == pytest.approx(v["tau2"], rel=1e-12)
    assert 100 * p.i2 == pytest.approx(v["I2"], rel=1e-12)
    assert p.q == pytest.approx(v["QE"], rel=1e-12)
    assert (p.estimate, p.ci_low, p.ci_high) == pytest.approx(
        (v["prop"], v["prop.ci.lb"], v["prop.ci.ub"]), rel=1e-12)
    # metafor predict(): normal-based PI
    assert (p.pi_low, p.pi_high) == pytest.approx((v["prop.pi.lb"], v["prop.pi.ub"]), rel=1e-12)


def test_pool_effects_dl_and_pm_match_rma_bcg(r_ref):
    e = vals(r_ref, "escalc_bcg_RR")
    # R: rma(yi, vi, data = dat, method = "DL"); case rma_bcg_RR_DL (exact estimator)
    v = vals(r_ref, "rma_bcg_RR_DL")
    r = P.pool_effects(e["yi"], e["vi"], "dl", 0.95, "normal", test="z")
    for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("tau2", "tau2"),
                         ("ci_low", "ci.lb"), ("ci_high", "ci.ub"), ("pi_low", "pi.lb"),
                         ("pi_high", "pi.ub")):
        assert r[ours] == pytest.approx(v[theirs], rel=1e-12), ours
    assert 100 * r["i2"] == pytest.approx(v["I2"], rel=1e-12)
    # R: rma(..., method = "PM", control = list(tol = 1e-12, ...)); case rma_bcg_RR_PM_tight
    v = vals(r_ref, "rma_bcg_RR_PM_tight")
    r = P.pool_effects(e["yi"], e["vi"], "pm", 0.95, "normal", test="z")
    assert r["tau2"] == pytest.approx(v["tau2"], rel=1e-10)
    assert r["estimate"] == pytest.approx(v["estimate"], rel=1e-10)
    assert r["ci_low"] == pytest.approx(v["ci.lb"], rel=1e-10)
    assert 100 * r["i2"] == pytest.approx(v["I2"], rel=1e-10)  # metafor's I2, not (Q-df)/Q


def test_higgins_prediction_interval(r_ref):
    # R: b +/- qt(0.975, k - 2) * sqrt(se^2 + tau2); case rma_bcg_RR_DL_pi_higgins_t_k2
    e = vals(r_ref, "escalc_bcg_RR")
    v = vals(r_ref, "rma_bcg_RR_DL_pi_higgins_t_k2")
    r = P.pool_effects(e["yi"], e["vi"], "dl", 0.95, "higgins_t", test="z")
    assert (r["pi_low"], r["pi_high"]) == pytest.approx((v["pi.lb"], v["pi.ub"]), rel=1e-12)
    assert all(math.isnan(x) for x in P.prediction_interval(0.0, 0.1, 0.1, 2))
    with pytest.raises(ValueError):
        P.prediction_interval(0.0, 0.1, 0.1, 5, method="t")


def test_pool_athletes_lifetime(rp):
    # R: escalc("PLO", xi = c(168, 125, 158, 73, 25, 46), ni = c(257, 199, 377, 84, 29, 48));
    # rma(method = "DL"): prop 0.744783037200276 (0.595812231449095-0.852445520289419),
    # Higgins t(k-2) PI 0.214835726867307-0.968870563767574; case rma_PLO_athletes_lifetime_DL
    xi, ni = [168, 125, 158, 73, 25, 46], [257, 199, 377, 84, 29, 48]
    v = vals(rp, "rma_PLO_athletes_lifetime_DL")
    p = P.pool_proportions(xi, ni, "dl", 0.95, "higgins_t", test="z")
    assert (p.estimate, p.ci_low, p.ci_high, p.pi_low, p.pi_high) == pytest.approx(
        (v["prop"], v["prop.ci.lb"], v["prop.ci.ub"], v["prop.pi.higgins.lb"],
         v["prop.pi.higgins.ub"]), rel=1e-11)
    assert 100 * p.i2 == pytest.approx(v["I2"], rel=1e-11)
    # same with rma(method = "PM", tight control); case rma_PLO_athletes_lifetime_PM_tight
    v = vals(rp, "rma_PLO_athletes_lifetime_PM_tight")
    p = P.pool_proportions(xi, ni, "pm", 0.95, "higgins_t", test="z")
    assert p.tau2 == pytest.approx(v["tau2"], rel=1e-9)
    assert (p.estimate, p.ci_low, p.ci_high, p.pi_low, p.pi_high) == pytest.approx(
        (v["prop"], v["prop.ci.lb"], v["prop.ci.ub"], v["prop.pi.higgins.lb"],
         v["prop.pi.higgins.ub"]), rel=1e-9)
    assert 100 * p.i2 == pytest.approx(v["I2"], rel=1e-9)


@pytest.mark.parametrize("which", ["reml", "dl", "fixed"])
def test_i2_metafor_matches_rma(rp, which):
    # R (case rma_PLO_lifetime6_I2): dat <- escalc("PLO", xi = c(168, 125, 158, 73, 25, 46),
    #    ni = c(257, 199, 377, 84, 29, 48)); rma(yi, vi, data = dat, method = "REML" | "DL")
    #    and rma(yi, vi, data = dat, tau2 = 0.01): $tau2 and $I2 (a percentage)
    v = vals(rp, "rma_PLO_lifetime6_I2")
    _, vi = P.logit_proportions([168, 125, 158, 73, 25, 46], [257, 199, 377, 84, 29, 48])
    assert P.i2_metafor(vi, v[f"tau2_{which}"]) == pytest.approx(v[f"I2_{which}"] / 100,
                                                                rel=1e-12)


def test_i2_metafor_edges():
    # hand: tau2 = 0 gives 0; equal variances v give s^2 = v, so tau2 = v gives 1/2
    assert P.i2_metafor([0.1, 0.2, 0.3], 0.0) == 0.0
    assert P.i2_metafor([0.04] * 4, 0.04) == pytest.approx(0.5, rel=1e-14)


def test_pool_needs_two_studies_and_known_method():
    with pytest.raises(ValueError):
        P.pool_proportions([5], [10])
    with pytest.raises(ValueError):
        P.pool_proportions([5, 6], [10, 12], tau2_method="hs")
    with pytest.raises(ValueError):
        P.pool_proportions([5, 6], [10, 12], test="t")


# ----------------------------------------------------------------------------- power
def test_min_detectable_h_matches_pwr(r_ref, rp):
    # R: uniroot(function(h) pwr.2p2n.test(h = h, n1 = 937, n2 = 620)$power - 0.8, ...,
    # tol = 1e-13)$root; case pwr_2p2n_test_n937_620_power80_h_exact
    assert P.min_detectable_h(937, 620) == pytest.approx(
        r_ref["pwr_2p2n_test_n937_620_power80_h_exact"]["value"], rel=1e-10)
    # pwr default tolerance (~1e-4): pwr.2p2n.test(n1 = 937, n2 = 620, power = 0.8)$h
    assert P.min_detectable_h(937, 620) == pytest.approx(
        r_ref["pwr_2p2n_test_n937_620_power80_h"]["value"], rel=1e-3)
    # cases pwr_2p2n_test_n24_25_power80_h_exact, pwr_2p2n_test_n100_620_power80_h_exact
    assert P.min_detectable_h(24, 25) == pytest.approx(
        rp["pwr_2p2n_test_n24_25_power80_h_exact"]["value"], rel=1e-10)
    assert P.min_detectable_h(100, 620) == pytest.approx(
        rp["pwr_2p2n_test_n100_620_power80_h_exact"]["value"], rel=1e-10)


def test_min_detectable_or(rp, r_ref):
    # R: p1 <- sin(asin(sqrt(0.5)) - h/2)^2; (p1/(1-p1))/(0.5/0.5) -> 0.747442049130658;
    # case min_or_n937_620_p05_lower (its power_check is 0.8)
    v = vals(rp, "min_or_n937_620_p05_lower")
    assert P.min_detectable_or(937, 620, 0.5) == pytest.approx(v["or"], rel=1e-10)
    # ES.h(0.30, 0.40) = -0.2101589252771574 (case ES_h_030_040): the OR between 0.30 and
    # 0.40 is recovered from |h| in the 'lower' direction
    h = abs(r_ref["ES_h_030_040"]["value"])
    assert P.odds_ratio_from_h(0.40, h, "lower") == pytest.approx((0.3 / 0.7) / (0.4 / 0.6),
                                                                  rel=1e-12)
    assert P.odds_ratio_from_h(0.30, h, "higher") == pytest.approx((0.4 / 0.6) / (0.3 / 0.7),
                                                                   rel=1e-12)
    assert math.isnan(P.odds_ratio_from_h(0.01, 3.0, "lower"))


def test_mover_equals_newcombe_and_r(rp):
    # With two Wilson intervals MOVER is Newcombe's method 10 (statsmodels 'newcomb')
    lo1, hi1 = P.wilson_ci(10, 22)
    lo2, hi2 = P.wilson_ci(3, 25)
    _d, lo, hi = P.mover_difference(10 / 22, (lo1, hi1), 3 / 25, (lo2, hi2))
    ref = confint_proportions_2indep(10, 22, 3, 25, method="newcomb", compare="diff")
    assert (lo, hi) == pytest.approx(tuple(ref), rel=1e-12)
    # R (by hand, case mover_woolf_lifetime_vs_walker): 399/539 vs printed 0.792 (0.773-0.810)
    v = vals(rp, "mover_woolf_lifetime_vs_walker")
    lo1, hi1 = P.wilson_ci(399, 539)
    assert P.mover_difference(399 / 539, (lo1, hi1), 0.792, (0.773, 0.810)) == pytest.approx(
        (v["d"], v["lower"], v["upper"]), rel=1e-12)


# ----------------------------------------------------------------------------- data
def test_prevalence_resources_validate():
    problems = [p for p in data.validate_package()
                if p.file.startswith("prevalence")]
    assert problems == []


def test_every_row_is_consistent():
    t = study.load_prevalence()
    assert set(t["prevalence_type"]) <= set(study.TYPE_ORDER)
    counted = t[t["cases"].notna()]
    # every count reproduces its printed percentage to the printed precision (+-1 count)
    for _, r in counted.iterrows():
        assert abs(r["cases"] - r["prevalence"] * r["n"]) <= 1.0, (r["study"], r["group"])
    # rows without a count are exactly Walker 2004, which has printed CIs instead
    missing = t[t["cases"].isna()]
    assert set(missing["study"]) == {"walker2004"}
    assert missing["ci_low"].notna().all()
    # derived rows say how; Videman has no per-sport rows (not public)
    assert (t.loc[t["provenance"] == "derived", "note"].str.len() > 10).all()
    assert "videman1995" not in set(t["study"])


def test_outcome_flags():
    t = study.load_prevalence()
    bp = set(t.loc[t["outcome"] != "LBP", "study"])
    assert bp == {"fett2017", "eriksson1996"}
    assert set(t.loc[t["secondary"], "source"]) == {"trompeter2017rowers"}


# ----------------------------------------------------------------------------- study logic
@pytest.fixture(scope="module")
def built():
    table = study.prevalence_table(study.load_prevalence(), 0.95)
    within = study.within_study_odds_ratios(table, 0.95)
    ors = study.load_odds_ratios()
    rvp = study.runners_vs_population(table)
    detect = study.videman_detectable([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [50, 100, 200, 400],
                                      0.05, 0.8)
    mri = study.mri_detectable([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], 0.05, 0.8)
    return {"table": table, "within": within, "ors": ors, "rvp": rvp, "detect": detect,
            "mri": mri}


def test_walker_keeps_printed_ci_and_is_never_pooled(built):
    t = built["table"]
    w = t[t["study"] == "walker2004"]
    assert (w["ci_method"] == "printed 95% CI (no count)").all()
    assert list(w["ci_low"]) == [0.236, 0.655, 0.773]
    pooled = study.pooled_table(t, 2, "dl", 0.95, "higgins_t")
    assert not pooled["studies"].str.contains("walker2004").any()


def test_types_never_mixed_and_followup_dropped(built):
    t = built["table"]
    for (group, ptype), sub in study.pooling_sets(t, True, True).items():
        assert set(sub["prevalence_type"]) == {ptype}
        assert not ({"foss2012", "bahr2004"} <= set(sub["study"]))
        assert (sub["outcome"] == "LBP").all()
    # the secondary-citation rows enter only when asked for (sensitivity analysis)
    pooled = study.pooled_table(t, 2, "dl", 0.95, "higgins_t", include_secondary=True,
                                test="z", min_studies_pi=2)
    rowing = pooled[(pooled["group"] == "rowing") & (pooled["prevalence_type"] == "lifetime")]
    # R: rma(escalc("PLO", xi = c(125, 73), ni = c(199, 84)), method = "DL") -> prop
    # 0.764595697058858 (0.459697474933315-0.925369651740561); case rma_PLO_rowing_lifetime_DL
    assert rowing.iloc[0]["k"] == 2
    assert rowing.iloc[0]["estimate"] == pytest.approx(0.764595697058858, rel=1e-11)
    assert math.isnan(rowing.iloc[0]["pi_low"])  # Higgins PI undefined for k = 2
    # min_studies: a sport below it is shown but not pooled
    big = study.pooled_table(t, 3, "dl", 0.95, "higgins_t", include_secondary=True)
    r3 = big[(big["group"] == "rowing") & (big["prevalence_type"] == "lifetime")].iloc[0]
    assert math.isnan(r3["tau2"]) and r3["method"].startswith("not pooled")
    # default: without the secondary citations rowing has one study left
    sens = study.pooled_table(t, 2, "reml", 0.95, "higgins_t")
    assert sens[(sens["group"] == "rowing") & (sens["prevalence_type"] == "lifetime")
                ].iloc[0]["k"] == 1


def test_default_pools_primary_rows_with_reml_hksj_and_no_pi_for_small_k(built):
    t = built["table"]
    pooled = study.pooled_table(t, 2, "reml", 0.95, "higgins_t")
    assert not pooled["studies"].str.contains(r"bahr2004 \(rowers\)").any()
    life = pooled[(pooled["group"] == study.ALL_ATHLETES)
                  & (pooled["prevalence_type"] == "lifetime")].iloc[0]
    # R: rma(escalc("PLO", xi = c(168, 158, 73, 25, 46), ni = c(257, 377, 84, 29, 48)),
    #        method = "REML", test = "knha") -> prop 0.7893 (0.4256-0.9499); case
    #        rma_PLO_lifetime5_REML_knha in r_reference_review.json
    assert life["k"] == 5
    assert (life["estimate"], life["ci_low"], life["ci_high"]) == pytest.approx(
        (0.789310, 0.425580, 0.949858), abs=1e-6)
    # k = 5 < min_studies_pi = 10: no prediction interval, and the method says why
    assert math.isnan(life["pi_low"]) and "no PI: k = 5 < min_studies_pi = 10" in life["method"]
    assert "HKSJ" in life["method"]
    # the only primary point-prevalence row is rowing: no 'all athlete groups' repeat of it
    point = pooled[(pooled["group"] == study.ALL_ATHLETES)
                   & (pooled["prevalence_type"] == "point")].iloc[0]
    assert math.isnan(point["estimate"]) and "would only repeat the rowing row" in point["method"]


def test_sensitivity_table_labels_dl_and_secondary_rows(built):
    sens = study.sensitivity_table(built["table"], 2, 0.95)
    life = sens[(sens["group"] == study.ALL_ATHLETES)
                & (sens["prevalence_type"] == "lifetime")].set_index("analysis")
    assert list(life.index) == [lab for lab, *_ in study.SENSITIVITY]
    # the review's numbers with the secondary row in (k = 6): DL tau2 0.61, REML 1.23,
    # HKSJ CI 0.475-0.918 (rma(..., method = "REML", test = "knha"))
    dl = life.loc["DerSimonian-Laird + Wald z, with secondary-citation rows"]
    reml = life.loc["REML + HKSJ, with secondary-citation rows"]
    assert (dl["k"], round(dl["tau2"], 2), round(reml["tau2"], 2)) == (6, 0.61, 1.23)
    assert (reml["ci_low"], reml["ci_high"]) == pytest.approx((0.47502944, 0.91805300),
                                                              abs=1e-7)


def test_reproduction_rows_pinned(built):
    rep = study.reproduction_table(built["table"], built["ors"], built["within"], 0.95)
    got = {(r.study, r.quantity): r.consistent for r in rep.itertuples()}
    assert got[("thoreson2015", "back pain runners vs non-athletes, P")] is True
    assert got[("bahr2004", "skiers vs controls OR (12-month LBP)")] is False
    assert got[("bahr2004", "skiers vs controls OR (lifetime LBP)")] is False
    assert got[("bahr2004", "rowers vs orienteerers, missed training because of LBP, OR")
               ] is False
    assert got[("walker2004", "point prevalence 95% CI")] is False
    assert got[("walker2004", "12-month prevalence 95% CI")] is True
    assert got[("maselli2021", "12-month prevalence, Italian runners")] is True
    assert got[("fett2017", "12-month prevalence, controls, conference abstract")] is False
    assert got[("foss2012", "responders as share of the original cohort")] is True
    assert got[("videman1995", "MRI subgroups total")] is True
    th = built["within"][built["within"]["study"] == "thoreson2015"].iloc[0]
    # R: chisq.test(matrix(c(10, 12, 3, 22), 2, byrow = TRUE), correct = FALSE)$p.value
    # = 0.010514467968619344 (case fisher_chisq_10_12_3_22); paper prints P = 0.011
    assert th["p_chisq"] == pytest.approx(0.010514467968619344, rel=1e-10)
    # Bahr missed-training OR from 51/199 vs 38/278: R escalc -> 2.17638691322902
    # (1.36391514148993-3.47284068633497), case or_woolf_51_148_38_240; paper 2.16 (1.25-3.74)
    bahr = study.bahr_or_check(built["table"], built["ors"], 0.95)
    assert (bahr["se_log_or"] < bahr["printed_se_log_or"]).all()


def test_videman_detectable(built):
    d = built["detect"]
    whole = d[d["n_athletes"] == 937]
    # 0.747442049130658 from R (case min_or_n937_620_p05_lower)
    assert whole.loc[whole["control_prevalence"] == 0.5, "min_or_lower"].iloc[0] == \
        pytest.approx(0.747442049130658, rel=1e-10)
    # smaller groups detect only stronger effects
    by_n = d[d["control_prevalence"] == 0.5].sort_values("n_athletes")
    assert by_n["min_or_lower"].is_monotonic_increasing


def test_critical_or_against_r(built):
    # tests/reference/make_reference_claims.R: the observed OR a significant sport group of
    # n1 vs 620 controls (control prevalence 0.5) had at most; the chi-square test's agrees
    ref = json.loads((HERE / "reference" / "r_reference_claims.json").read_text("utf-8"))
    d = built["detect"]
    for n1 in (50, 100, 200, 400):
        r = ref[f"critical_or_n{n1}_620_p05"]["values"]
        assert P.critical_h(n1, 620, 0.05) == pytest.approx(r["h"], rel=1e-12)
        row = d[(d["n_athletes"] == n1) & (d["control_prevalence"] == 0.5)].iloc[0]
        assert row["critical_or_lower"] == pytest.approx(r["or"], rel=1e-10)
        assert row["critical_or_lower"] == pytest.approx(r["or_chisq"], abs=0.005)
        # the critical OR is nearer 1 than the detectable one (80% power)
        assert row["min_or_lower"] < row["critical_or_lower"] < 1


EXPECTED_VERDICTS = {
    "athletes-n": "supported",
    "athletes-less-lbp": "partly supported",
    "mri-runners-normal": "partly supported",
    "mri-two-dozen": "partly supported",
    "population-70": "supported",
    "runners-20": "supported",
    "runners-lower-risk": "not supported",
}


def test_verdicts_pinned(built):
    vs = study.verdicts(built["table"], built["within"], built["rvp"], built["detect"],
                        built["mri"], 0.5, 0.95)
    assert {v.claim_id: v.verdict for v in vs} == EXPECTED_VERDICTS
    ev = {v.claim_id: v.evidence for v in vs}
    assert "937" in ev["athletes-n"] and "620" in ev["athletes-n"]
    assert "94 athletes" in ev["mri-two-dozen"]
    assert "79.2%" in ev["population-70"]
    assert "22.6%" in ev["runners-20"] and "20.2%" in ev["runners-20"]
    assert "OR 6.1" in ev["runners-lower-risk"]
    # athletes-less-lbp: a significant group of 100 (or 50, 200, 400) vs 620 controls had an
    # observed OR of at most the critical OR (R: make_reference_claims.R, critical_or_*),
    # not the detectable 0.54 (80% power)
    less = ev["athletes-less-lbp"]
    assert "0.56 for 50, 0.65 for 100, 0.73 for 200, 0.78 for 400" in less
    assert "OR of 0.54 or lower" in less and "at least a moderate observed difference" in less
    assert "OR 1.94 (1.29-2.92" in less and "in 3 of 4 prevalence types" in less
    assert "What would change it" in less
    assert "direct evidence pointing neither way: Foss 2012, former rowers and cross-country skiers" \
           " vs non-athletic controls (12-month, 232/415 vs 61/116): OR 1.14 (0.76-1.73)" in less
    # mri-runners-normal: Videman's statement (partly) and the later MRI studies of runners
    # (Thoreson P 0.614; Mitchell Pfirrmann P 0.026, height P 0.002): partly supported
    mri = ev["mri-runners-normal"]
    assert "Direct evidence partly for: Videman 1995" in mri
    assert "could only detect an OR below 0.16 or above 6.1" in mri
    assert "direct evidence for: Thoreson 2015: no difference in MRI abnormalities between " \
           "22 elite runners and 25 non-athletes (P = 0.614)" in mri
    assert "Pfirrmann grades (P = 0.026 at L5-S1) and 20% greater height (P = 0.002)" in mri
    # mri-two-dozen: right per sport (19-26), wrong as the total (94)
    two = ev["mri-two-dozen"]
    assert "Direct evidence for: read as about two dozen of each sport: 24 runners, " \
           "26 soccer players, 19 weight lifters, 25 shooters (19-26" in two
    assert "direct evidence against: read as two dozen in all: 94 athletes" in two
    assert "77%" in ev["runners-20"] and "132/2539" in ev["runners-20"]
    # runners-lower-risk: the runner comparison with counts (against) outweighs the one
    # indirect line for; no cross-study rows weighed, no triathletes
    lower_risk = ev["runners-lower-risk"]
    assert lower_risk.startswith("The evidence leans the other way. Direct evidence "
                                 "against: Thoreson 2015, elite runners vs non-athletes: "
                                 "back pain in 10/22 vs 3/25, OR 6.1 (95% CI 1.4 to 26.6)")
    assert "indirect evidence for: Videman 1995" in lower_risk
    assert "Woolf 2002 point 13.6% vs Walker 2004 25.6%" in lower_risk  # shown, not weighed
    assert "indirect evidence against: Fett 2017, track and field" in lower_risk
    assert "triathl" not in lower_risk and "What would change it" in lower_risk
    for text in ev.values():  # reasoning, never history
        assert "Changed" not in text and "earlier" not in text
    assert "Woolf 2002" in lower_risk and "similar to the general population" in lower_risk


def test_runners_vs_population_matches_types(built):
    rvp = built["rvp"]
    for _, r in rvp[rvp["runner_study"] != ""].iterrows():
        t = built["table"]
        types = set(t.loc[t["study"] == r["runner_study"], "prevalence_type"])
        assert r["prevalence_type"] in types
    twelve = rvp[rvp["prevalence_type"] == "12-month"].iloc[0]
    assert twelve["runner_study"] == "maselli2021" and twelve["population_study"] == "walker2004"
    assert twelve["diff_ci_high"] < 0
    # cross-study rows are marked descriptive; Woolf's printed 13.6% is used, not 73/539
    assert (rvp.loc[rvp["runner_study"] != "", "status"] == study.DESCRIPTIVE).all()
    woolf = rvp[rvp["runner_study"] == "woolf2002"]
    assert (woolf.loc[woolf["prevalence_type"] == "point", "runner"] == 0.136).all()


# ----------------------------------------------------------------------------- notebook
def _results(reports: Path) -> dict:
    return json.loads((reports / STEM / "results.json").read_text(encoding="utf-8"))


def test_notebook_defaults(default_build):
    reports = default_build  # every notebook with defaults, built once per test run
    res = _results(reports)
    # Maselli 2021: 22.6% (22.57%) of 2,539 runners, 12-month
    assert round(res["runner_lbp_prevalence_12m"]["value"], 3) == 0.226
    # Walker 2004: lifetime 79.2% (77.3-81.0)
    g = res["general_population_lbp_lifetime"]
    assert (g["value"], g["ci_low"], g["ci_high"]) == (0.792, 0.773, 0.81)
    assert res["videman_min_detectable_or"]["value"] == pytest.approx(0.747442049130658,
                                                                      rel=1e-9)
    out = reports / STEM / "tables"

    prev = pd.read_csv(out / "prevalence.csv")
    assert list(prev.columns[:9]) == study.CONTRACT_COLUMNS
    pooled = pd.read_csv(out / "pooled.csv")
    assert list(pooled.columns[:11]) == study.POOLED_COLUMNS
    claims = pd.read_csv(out / "claims.csv")
    assert dict(zip(claims["claim_id"], claims["verdict"])) == EXPECTED_VERDICTS
    rep = pd.read_csv(out / "reproduction.csv")
    assert list(rep.columns) == ["study", "quantity", "reported", "recomputed", "consistent",
                                 "note"]
    # a gap between two surveys carries no (sampling-only) interval
    gap = res["runners_minus_population_12m"]
    assert gap["value"] == pytest.approx(0.2257 - 0.676, abs=5e-4)
    assert gap["ci_low"] is None and gap["ci_high"] is None
    # the pool over non-comparable athlete groups is recorded with their observed range
    life = res["athletes_lbp_lifetime_pooled"]
    assert "not comparable" in life["description"]
    assert "observed range 0.42-0.96" in life["description"]
    text = " ".join((reports / STEM / "report.html").read_text(encoding="utf-8").split())
    text = re.sub(r'<a class="term"[^>]*>(.*?)</a>', r"\1", text)  # glossary links as words
    assert "from <strong>42% to 96%</strong>" in text
    # the critical (observed) OR for a significant group of 100, not the detectable one
    assert "observed odds ratio is <strong>0.65</strong> or lower" in text


@pytest.mark.slow
def test_notebook_other_parameters(run_notebooks):
    params = {"tau2_method": "pm", "test": "z", "pi_method": "normal", "ci_level": 0.9,
              "include_secondary_citations": True, "lbp_only": False,
              "reference_control_prevalence": 0.3, "min_studies_pi": 3}
    proc, reports = run_notebooks("02", params=params)
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = _results(reports)
    r = res["runner_lbp_prevalence_12m"]
    # 90% Wilson CI of 573/2539 narrower than the 95% one (0.2098-0.2423)
    assert r["ci_low"] > 0.2099 and r["ci_high"] < 0.2423
    # detectable OR at control prevalence 0.3: sin^2(asin(sqrt(0.3)) - h/2) with h from pwr
    assert res["videman_min_detectable_or"]["value"] == pytest.approx(
        P.min_detectable_or(937, 620, 0.3), rel=1e-12)
    assert res["videman_min_detectable_or"]["value"] == pytest.approx(0.7202, abs=1e-4)
    # with secondary rows, PM and a Wald CI the lifetime pool has 7 groups (lbp_only off
    # adds Fett and Eriksson, Bahr's rower row comes back) and a prediction interval
    life = res["athletes_lbp_lifetime_pooled"]
    assert "with secondary-citation rows" in life["description"]
    pooled = pd.read_csv(reports / STEM / "tables" / "pooled.csv")
    row = pooled[(pooled["group"] == study.ALL_ATHLETES)
                 & (pooled["prevalence_type"] == "lifetime")].iloc[0]
    assert row["k"] >= 3 and not math.isnan(row["pi_low"]) and "Wald z CI" in row["method"]
