"""Tests for runspine.stats.meta and the aerobic-exercise study (notebook 03).

R reference values: tests/reference/r_reference.json (make_reference.R; metafor 3.8-1) and
tests/reference/r_reference_aerobic.json (make_reference_aerobic.R; metafor 3.8.1). Each
test names the case id; the R call is stored with the case and summarised beside the check.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import results_of
from runspine import bibliography, data
from runspine.stats import meta
from runspine.studies import aerobic

ROOT = Path(__file__).resolve().parents[1]
STEM = "03_activity_pain_reduction"


@pytest.fixture(scope="module")
def r_aero() -> dict:
    path = ROOT / "tests" / "reference" / "r_reference_aerobic.json"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bcg(r_ref):
    v = r_ref["escalc_bcg_RR"]["values"]  # escalc(measure = "RR", ..., data = dat.bcg)
    return np.array(v["yi"]), np.array(v["vi"])


def _v(case, name):
    return float(case["values"][name])


# --------------------------------------------------------------------------- effect sizes
def test_hedges_j_exact(r_ref):
    # smd_components: J <- exp(lgamma(mdf/2) - log(sqrt(mdf/2)) - lgamma((mdf-1)/2))
    n1, n2 = np.array([40, 10, 111]), np.array([38, 10, 118])
    np.testing.assert_allclose(meta.hedges_j(n1 + n2 - 2), r_ref["smd_components"]["values"]["J"],
                               rtol=1e-14)


def test_hedges_g_matches_escalc_smd(r_ref):
    # escalc_SMD: escalc(measure = "SMD", m1i = c(3.2, 25, 7.2), sd1i = c(1.5, 10, 5.1), ...)
    yi, vi = meta.hedges_g([3.2, 25, 7.2], [1.5, 10, 5.1], [40, 10, 111], [4.5, 38, 9.2],
                           [1.8, 12, 5.6], [38, 10, 118])
    np.testing.assert_allclose(yi, r_ref["escalc_SMD"]["values"]["yi"], rtol=1e-14)
    np.testing.assert_allclose(vi, r_ref["escalc_SMD"]["values"]["vi"], rtol=1e-14)


def test_hedges_g_mcdonough(r_aero):
    # escalc_SMD_mcdonough_arms: escalc("SMD", m1i = -8.2, sd1i = 15.01, n1i = 40,
    #                                    m2i = -1.6, sd2i = 14.98, n2i = 17)
    yi, vi = meta.hedges_g(-8.2, 15.01, 40, -1.6, 14.98, 17)
    case = r_aero["escalc_SMD_mcdonough_arms"]
    assert float(yi) == pytest.approx(_v(case, "yi"), rel=1e-13)
    assert float(vi) == pytest.approx(_v(case, "vi"), rel=1e-13)


def test_g_from_d(r_aero):
    # escalc_SMD_di_mcdonough: escalc("SMD", di = c(-0.4, -0.44), n1i = 40, n2i = 17)
    yi, vi = meta.g_from_d([-0.4, -0.44], [40, 40], [17, 17])
    np.testing.assert_allclose(yi, r_aero["escalc_SMD_di_mcdonough"]["values"]["yi"], rtol=1e-13)
    np.testing.assert_allclose(vi, r_aero["escalc_SMD_di_mcdonough"]["values"]["vi"], rtol=1e-13)


def test_g_from_p(r_aero):
    # escalc_SMD_ti_from_p_krein: ti <- -qt(c(0.05, 0.01)/2, df, lower.tail = FALSE);
    # escalc("SMD", ti = ti, n1i = c(110, 111), n2i = c(118, 118))
    yi, vi = meta.g_from_p([0.05, 0.01], -1, [110, 111], [118, 118])
    case = r_aero["escalc_SMD_ti_from_p_krein"]["values"]
    np.testing.assert_allclose(yi, case["yi"], rtol=1e-12)
    np.testing.assert_allclose(vi, case["vi"], rtol=1e-12)


def test_g_from_t_matches_escalc_ti(r_aero):
    # escalc_SMD_ti_direct: escalc("SMD", ti = c(2.5, -1.2, 0), n1i = c(20, 15, 30),
    #                              n2i = c(22, 40, 30)); t = 0 gives g = 0 (vi = 1/30 + 1/30)
    yi, vi = meta.g_from_t([2.5, -1.2, 0.0], [20, 15, 30], [22, 40, 30])
    case = r_aero["escalc_SMD_ti_direct"]["values"]
    np.testing.assert_allclose(yi, case["yi"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(vi, case["vi"], rtol=1e-13)
    assert yi[2] == 0.0 and vi[2] == pytest.approx(1 / 15, rel=1e-14)


def test_se_from_ci_recovers_md_variance(r_ref):
    # escalc_MD_study1: ci = yi -/+ qnorm(0.975) * sqrt(vi)
    c = r_ref["escalc_MD_study1"]["values"]
    se = meta.se_from_ci(c["ci.lb"], c["ci.ub"])
    assert float(se) ** 2 == pytest.approx(c["vi"], rel=1e-13)
    _yi, vi = meta.smd_from_ci(c["yi"], c["ci.lb"], c["ci.ub"])
    assert float(vi) == pytest.approx(c["vi"], rel=1e-13)


def test_smd_from_md_needs_sd():
    assert meta.smd_from_md(-2.0, -3.96, -0.04, None) is None
    yi, vi = meta.smd_from_md(-2.0, -3.96, -0.04, 4.0)
    assert yi == pytest.approx(-0.5)
    assert vi == pytest.approx((1.96 / 1.959963984540054 / 4.0) ** 2, rel=1e-12)


def test_sd_from_ci_of_mean_matches_transcribed_mcdonough_sds():
    # aerobic_trials.csv note: 9.6/(2*2.023)*sqrt(40) = 15.01; 15.4/(2*2.120)*sqrt(17) = 14.98
    sds = meta.sd_from_ci_of_mean([-13, -9.3], [-3.4, 6.1], [40, 17])
    np.testing.assert_allclose(np.round(sds, 2), [15.01, 14.98])


def test_dz_from_t_noncentral_ci(r_aero):
    # dz_ncp_ci_t851_n10 / _n11: uniroot(function(ncp) pt(t, df, ncp) - p, tol = 1e-13);
    # R warns "full precision may not have been achieved in pnt", hence rtol 1e-6.
    for n in (10, 11):
        case = r_aero[f"dz_ncp_ci_t851_n{n}"]
        d = meta.dz_from_t(8.51, n)
        assert d.dz == pytest.approx(_v(case, "dz"), rel=1e-14)
        assert d.p == pytest.approx(_v(case, "p"), rel=1e-10)
        assert d.ci_low == pytest.approx(_v(case, "ci.lb"), rel=1e-6)
        assert d.ci_high == pytest.approx(_v(case, "ci.ub"), rel=1e-6)


def test_wald_from_ci_meng(r_aero):
    # wald_p_meng2015: se <- (ub - lb) / (2 * qnorm(0.975)); p = 2 * pnorm(-abs(est / se))
    case = r_aero["wald_p_meng2015"]["values"]
    est = [0.44, 1.03, 1.35, 0.32, 0.75]
    lb = [0.20, 0.67, 0.34, 0.07, 0.48]
    ub = [0.68, 1.39, 2.37, 0.56, 1.02]
    for i in range(5):
        w = meta.wald_from_ci(est[i], lb[i], ub[i])
        assert w.se == pytest.approx(case["se"][i], rel=1e-13)
        assert w.z == pytest.approx(case["z"][i], rel=1e-13)
        assert w.p == pytest.approx(case["p"][i], rel=1e-10)
        assert w.p_min <= w.p <= w.p_max


def test_smd_to_points():
    np.testing.assert_allclose(meta.smd_to_points([-0.23, -0.35, -0.10], 20), [-4.6, -7.0, -2.0])


# --------------------------------------------------------------------------- pooling
FIELDS = {"estimate": "estimate", "se": "se", "ci_low": "ci.lb", "ci_high": "ci.ub",
          "tau2": "tau2", "i2": "I2", "h2": "H2", "q": "QE", "q_p": "QEp", "z": "zval",
          "p": "pval", "pi_low": "pi.lb", "pi_high": "pi.ub"}


@pytest.mark.parametrize("case_id,method,rtol", [
    ("rma_bcg_RR_DL", "dl", 1e-12),        # rma(yi, vi, data = dat, method = "DL"); predict(res)
    ("rma_bcg_RR_PM_tight", "pm", 1e-9),   # rma(..., "PM", control = list(tol = 1e-12, ...))
])
def test_pool_bcg_against_metafor(r_ref, bcg, case_id, method, rtol):
    res = meta.pool(*bcg, method=method)
    case = r_ref[case_id]
    for ours, theirs in FIELDS.items():
        assert getattr(res, ours) == pytest.approx(_v(case, theirs), rel=rtol), ours
    assert res.k == 13


def test_pool_pm_default_metafor_loose(r_ref, bcg):
    # rma_bcg_RR_PM (default control): metafor stops early (tau2 rel. error 8e-5), caveat A
    res = meta.pool(*bcg, method="pm")
    assert res.tau2 == pytest.approx(_v(r_ref["rma_bcg_RR_PM"], "tau2"), rel=1e-4)
    assert res.estimate == pytest.approx(_v(r_ref["rma_bcg_RR_PM"], "estimate"), rel=1e-5)


def test_pool_statsmodels_i2_differs_for_pm(r_ref, bcg):
    # r_reference.md caveat D: statsmodels' Q-based I2 (92.117) vs metafor's PM I2 (92.330)
    res = meta.pool(*bcg, method="pm")
    assert res.i2_q == pytest.approx(_v(r_ref["rma_bcg_RR_DL"], "I2"), rel=1e-12)
    assert res.i2 == pytest.approx(_v(r_ref["rma_bcg_RR_PM_tight"], "I2"), rel=1e-9)


def test_pool_fe(r_ref, bcg):
    # rma_bcg_RR_FE: rma(yi, vi, data = dat, method = "FE")
    res = meta.pool(*bcg, method="fe")
    case = r_ref["rma_bcg_RR_FE"]
    for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("ci_low", "ci.lb"),
                         ("ci_high", "ci.ub"), ("i2", "I2"), ("h2", "H2"), ("q", "QE")):
        assert getattr(res, ours) == pytest.approx(_v(case, theirs), rel=1e-12), ours
    assert res.tau2 == 0.0


def test_pool_higgins_pi(r_ref, bcg):
    # rma_bcg_RR_DL_pi_higgins_t_k2: b -/+ qt(0.975, k - 2) * sqrt(se^2 + tau2)
    res = meta.pool(*bcg, method="dl", pi_method="higgins_t")
    case = r_ref["rma_bcg_RR_DL_pi_higgins_t_k2"]
    assert res.pi_low == pytest.approx(_v(case, "pi.lb"), rel=1e-12)
    assert res.pi_high == pytest.approx(_v(case, "pi.ub"), rel=1e-12)


def test_pool_smd_dl(r_ref):
    # rma_SMD_DL: rma(yi, vi, data = escalc("SMD", ...), method = "DL"); predict(res)
    yi, vi = meta.hedges_g([3.2, 25, 7.2], [1.5, 10, 5.1], [40, 10, 111], [4.5, 38, 9.2],
                           [1.8, 12, 5.6], [38, 10, 118])
    res = meta.pool(yi, vi, "dl")
    case = r_ref["rma_SMD_DL"]
    for ours, theirs in FIELDS.items():
        assert getattr(res, ours) == pytest.approx(_v(case, theirs), rel=1e-11), ours


def test_pool_dl_truncates_negative_tau2(r_aero):
    # rma_pain_sensitivity_DL: Q = 0.175 < k - 1, metafor tau2 = 0 (statsmodels gives < 0)
    yi, vi = zip(meta.g_from_d(-0.4, 40, 17), meta.g_from_p(0.05, -1, 110, 118))
    res = meta.pool(np.ravel(yi), np.ravel(vi), "dl")
    case = r_aero["rma_pain_sensitivity_DL"]
    assert res.tau2 == 0.0 and res.i2 == 0.0
    for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("ci_low", "ci.lb"),
                         ("ci_high", "ci.ub"), ("q", "QE"), ("pi_low", "pi.lb"),
                         ("pi_high", "pi.ub")):
        assert getattr(res, ours) == pytest.approx(_v(case, theirs), rel=1e-11), ours


@pytest.mark.parametrize("case,tau2,level", [
    ("rma_knha_fixed_tau2_01_bcg", 0.1, 0.95),
    ("rma_knha_fixed_tau2_005_level90_bcg", 0.05, 0.90),
    ("rma_knha_fixed_tau2_0_bcg", 0.0, 0.95),
    ("rma_knha_fixed_tau2_1_bcg", 1.0, 0.95),  # s2w (q) = 0.40 < 1: not truncated to 1
])
def test_hksj_with_given_tau2_matches_metafor(r_aero, bcg, case, tau2, level):
    # rma(yi, vi, data = dat.bcg RR, tau2 = <fixed>, test = "knha"[, level = 90]):
    # estimate, se, ci.lb, ci.ub, zval (the t), ddf (k - 1 = 12), pval; tau2 = 1 makes
    # metafor's s2w (our q) below 1, where an ad hoc truncation would differ
    ref = r_aero[case]["values"]
    got = meta.hksj(*bcg, tau2, level)
    for ours, theirs in (("estimate", "estimate"), ("se", "se"), ("ci_low", "ci.lb"),
                         ("ci_high", "ci.ub"), ("t", "t"), ("p", "pval")):
        assert got[ours] == pytest.approx(ref[theirs], rel=1e-12), ours
    assert got["df"] == ref["df"] == 12


def test_reml_score_is_twice_the_derivative_of_metafor_reml_loglik(r_aero, bcg):
    # reml_score_bcg_central_difference: ll(t) = rma(yi, vi, data = dat.bcg RR, tau2 = t,
    # method = "REML")$fit.stats["ll", "REML"]; 2 * (ll(t + 1e-5) - ll(t - 1e-5)) / 2e-5
    # at tau2 = 0.05, 0.1, 0.5, 1 (central difference: agrees to ~1e-8 relative)
    ref = r_aero["reml_score_bcg_central_difference"]["values"]
    got = [meta.reml_score(t, *bcg) for t in ref["tau2"]]
    np.testing.assert_allclose(got, ref["score"], rtol=1e-6)
    # the score changes sign at metafor's REML tau2 (rma_bcg_RR_REML: 0.3132 > 0.1, < 0.5)
    assert got[1] > 0 > got[2]


def test_typical_variance_matches_metafor_vt(r_aero, bcg):
    # rma_vt_bcg_and_lifetime6: rma(yi, vi, data = dat.bcg RR)$vt and the same for
    # escalc("PLO", xi = c(168, 125, 158, 73, 25, 46), ni = c(257, 199, 377, 84, 29, 48))
    ref = r_aero["rma_vt_bcg_and_lifetime6"]["values"]
    assert meta.typical_variance(bcg[1]) == pytest.approx(ref["vt_bcg"], rel=1e-12)
    from runspine.stats import prevalence

    _, vi = prevalence.logit_proportions([168, 125, 158, 73, 25, 46],
                                         [257, 199, 377, 84, 29, 48])
    assert meta.typical_variance(vi) == pytest.approx(ref["vt_lifetime6"], rel=1e-12)
    # hand: equal variances v give s^2 = (k-1) k/v / (k^2/v^2 - k/v^2) = v
    assert meta.typical_variance([0.04] * 5) == pytest.approx(0.04, rel=1e-14)


def test_pool_errors():
    with pytest.raises(ValueError):
        meta.pool([0.1], [0.01])
    with pytest.raises(ValueError):
        meta.pool([0.1, 0.2], [0.01, 0.02], method="hs")
    with pytest.raises(ValueError):
        meta.pool([0.1, 0.2], [0.01, 0.02], pi_method="t")


def test_leave_one_out(r_aero, bcg):
    # leave1out_bcg_DL: leave1out(rma(yi, vi, data = dat, method = "DL"))
    loo = meta.leave_one_out(*bcg, [f"s{i}" for i in range(13)], "dl")
    case = r_aero["leave1out_bcg_DL"]["values"]
    for ours, theirs in (("estimate", "estimate"), ("ci_low", "ci.lb"), ("ci_high", "ci.ub"),
                         ("tau2", "tau2"), ("i2", "I2")):
        np.testing.assert_allclose(loo[ours], case[theirs], rtol=1e-11, err_msg=ours)


def test_egger(r_ref, bcg):
    # regtest_bcg_FE_lm: regtest(rma(yi, vi, data = dat, method = "FE"), model = "lm")
    e = meta.egger_test(*bcg)
    case = r_ref["regtest_bcg_FE_lm"]
    assert e.t == pytest.approx(_v(case, "tval"), rel=1e-12)
    assert e.p == pytest.approx(_v(case, "pval"), rel=1e-12)
    assert e.df == 11
    assert e.limit_estimate == pytest.approx(_v(case, "limit_est"), rel=1e-12)
    assert e.limit_ci_low == pytest.approx(_v(case, "limit_ci.lb"), rel=1e-12)
    assert e.limit_ci_high == pytest.approx(_v(case, "limit_ci.ub"), rel=1e-12)


# --------------------------------------------------------------------------- study
def test_study_counts_default_and_sensitivity():
    default = aerobic.study_counts(aerobic.study_effects()).set_index("outcome")
    assert default["studies_with_effect_and_variance"].to_dict() == {"pain": 1, "disability": 1}
    assert default.loc["pain", "which"] == "mcdonough2013"
    sens = aerobic.study_counts(aerobic.study_effects(True)).set_index("outcome")
    assert sens["studies_with_effect_and_variance"].to_dict() == {"pain": 2, "disability": 2}


def test_study_effects_rows(r_aero):
    s = aerobic.study_effects().set_index(["study", "outcome"])
    # McDonough disability: per-arm (derived SDs); R case escalc_SMD_mcdonough_arms
    assert s.loc[("mcdonough2013", "disability"), "yi"] == pytest.approx(
        _v(r_aero["escalc_SMD_mcdonough_arms"], "yi"), rel=1e-12)
    # McDonough pain: d = 0.4 favouring walking; escalc_SMD_di_mcdonough
    assert s.loc[("mcdonough2013", "pain"), "yi"] == pytest.approx(
        r_aero["escalc_SMD_di_mcdonough"]["values"]["yi"][0], rel=1e-12)
    assert not s.loc[("krein2013", "pain"), "pooled"]
    assert not s.loc[("murtezani2011", "pain"), "pooled"]
    assert not s.loc[("chatzitheodorou2007", "pain"), "pooled"]


def test_pooled_table_default_not_pooled_and_sensitivity(r_aero):
    s = aerobic.study_effects()
    t = aerobic.pooled_table(s, ["dl", "pm"], 2)
    assert t["estimate"].isna().all() and (t["k"] == 1).all()
    t2 = aerobic.pooled_table(aerobic.study_effects(True), ["dl", "pm"], 2).set_index(
        ["outcome", "method"])
    # rma_disability_sensitivity_DL / _PM_tight (both tau2 = 0)
    for m, case in (("dl", "rma_disability_sensitivity_DL"),
                    ("pm", "rma_disability_sensitivity_PM_tight")):
        assert t2.loc[("disability", m), "estimate"] == pytest.approx(
            _v(r_aero[case], "estimate"), rel=1e-11)
        assert t2.loc[("disability", m), "ci_low"] == pytest.approx(
            _v(r_aero[case], "ci.lb"), rel=1e-11)
    assert t2.loc[("pain", "dl"), "estimate"] == pytest.approx(
        _v(r_aero["rma_pain_sensitivity_DL"], "estimate"), rel=1e-11)
    # min_studies above k: not pooled
    t3 = aerobic.pooled_table(aerobic.study_effects(True), ["dl"], 3)
    assert t3["estimate"].isna().all()
    assert aerobic.influence(s, "pain", "dl") is None
    egger, why = aerobic.small_study_check(s, "pain")
    assert egger is None and "1 pooled trial, fewer than 10" in why


def test_reproduction_rows_pinned():
    rep = aerobic.reproduction_table(10)
    assert list(rep.columns) == ["study", "quantity", "reported", "recomputed", "consistent",
                                 "note"]
    by = rep.set_index("quantity")
    assert by.loc["P of within-group t, pain", "recomputed"] == "P = 6.8e-06"
    assert by.loc["within-group d_z, pain, n = 10", "recomputed"] == \
        "2.69 (95% CI 1.31 to 4.05)"
    assert by.loc["within-group d_z, pain, n = 11", "recomputed"] == \
        "2.57 (95% CI 1.30 to 3.81)"
    assert not by.loc["df of the paired t vs group size", "consistent"]
    assert by.loc["P of pooled SMD, McGill (pain)", "consistent"]
    assert "P = 0.01 " in by.loc["P of pooled SMD, McGill (pain)", "recomputed"]
    assert by.loc["P of pooled SMD, HADS (anxiety/depression)", "consistent"]
    assert by.loc["between-group d, Oswestry at 6 months", "consistent"]
    # exactly one inconsistent row: the df of Chatzitheodorou's t
    assert list(rep.loc[~rep["consistent"], "quantity"]) == ["df of the paired t vs group size"]
    # with n = 11 the df fits
    rep11 = aerobic.reproduction_table(11).set_index("quantity")
    assert rep11.loc["df of the paired t vs group size", "consistent"]


def test_meng_table_p_values():
    m = aerobic.meng_table().set_index("key")
    assert m.loc["vas", "p_recomputed"] == pytest.approx(5.1997e-08, rel=1e-4)
    assert m.loc["hads", "p_recomputed"] == pytest.approx(0.00914, rel=1e-3)  # printed 0.009
    assert m["p_consistent"].all() and m["symmetric"].all()


def test_reference_and_dose_tables():
    ref = aerobic.reference_table(20.0)
    poc = ref[(ref["source"] == "pocovi2022") & (ref["outcome"] == "pain")].iloc[0]
    assert (poc["estimate"], poc["points_0_100"]) == (pytest.approx(-0.23), pytest.approx(-4.6))
    meng_vas = ref[ref["label"] == "Meng & Yue 2015, VAS"].iloc[0]
    assert (meng_vas["estimate"], meng_vas["ci_low"], meng_vas["ci_high"]) == (
        -0.75, -1.02, -0.48)
    dose = aerobic.dose_table().set_index("study")
    assert np.isnan(dose.loc["chatzitheodorou2007", "minutes_per_week"])
    assert dose.loc["bruehl2020", "minutes_per_week"] == 90


def test_claims_name_bibliography_keys():
    # data/claims.csv named 'mengyue2015' for Meng & Yue 2015, whose key is meng2015
    import re

    bib = set(re.findall(r"@\w+\{([^,]+),", (ROOT / "data" / "references.bib").read_text(
        encoding="utf-8")))
    claims = data.load_table("claims")
    mine = claims[claims["notebook"] == aerobic.NOTEBOOK]
    assert set(mine["study"]) <= bib
    assert mine.set_index("claim_id").loc["aerobic-improves-clbp", "study"] == "meng2015"


def test_verdicts_pinned():
    # VERDICT_RULE: own pain pool CI includes 0 (k = 4), Pocovi 2022 excludes 0 -> partly.
    v = {x.claim_id: x for x in aerobic.verdicts(10)}
    e1 = v["aerobic-improves-clbp"].evidence
    assert v["aerobic-improves-clbp"].verdict == "partly supported"
    assert "pain 9.1 points better on a 0-100 scale (4 trials" in e1
    assert "disability 7.6 points better" in e1 and "15 points for pain and 10" in e1
    assert "0.23 standard deviations (0.10 to 0.35)" in e1
    assert v["aerobic-41-31-35"].verdict == "partly supported"
    assert "not 41%" in v["aerobic-41-31-35"].evidence
    for x in v.values():  # plain words: no method jargon in reader verdicts
        assert not any(w in x.evidence for w in ("HKSJ", "REML", "SMD", "tau2", "k = "))
    # too few trials to pool (min_studies above the 4 there are): said in words
    few = {x.claim_id: x for x in aerobic.verdicts(
        10, own=aerobic.own_pool(aerobic.own_effects(0.95), min_studies=5))}[
        "aerobic-improves-clbp"].evidence
    assert "pain: not pooled (only 4 trials)" in few and "k = " not in few


def test_conversion_notes_name_the_notebooks_parameters():
    """A conversion resting on an assumption names the parameter a researcher sets
    (``-p baseline_sd_points 15``), not the study function's argument."""
    import re

    own = aerobic.own_effects(0.95)
    notes = " ".join(own["conversion"])
    named = set(re.findall(r"notebook parameter (\w+)", notes))
    assert named == {"baseline_sd_points", "krein_pain_scale_max"}, notes
    source = (ROOT / "notebooks" / f"{aerobic.NOTEBOOK}.ipynb").read_text(encoding="utf-8")
    for name in named:
        assert f"{name}: float = " in source, name


# --------------------------------------------------------------------------- notebook
@pytest.mark.slow
def test_notebook_default_and_sensitivity(run_notebooks, default_build, tmp_path):
    reports = default_build  # every notebook with defaults, built once per test run
    res = results_of(reports, STEM)
    assert res["pooled_smd_pain"]["value"] is None
    assert "k = 1" in res["pooled_smd_pain"]["description"]
    assert res["chatzitheodorou_dz_pain"]["value"] == pytest.approx(8.51 / np.sqrt(10), rel=1e-9)
    assert res["meng_yue_vas_p_recomputed"]["value"] < 0.001  # paper: P < 0.001
    assert res["reference_smd_pain_pocovi2022"]["value"] == pytest.approx(-0.23)
    tables = reports / STEM / "tables"
    pooled = pd.read_csv(tables / "meta_pooled.csv")
    assert list(pooled.columns[:10]) == ["outcome", "method", "k", "estimate", "ci_low",
                                         "ci_high", "tau2", "i2", "pi_low", "pi_high"]
    studies = pd.read_csv(tables / "meta_studies.csv")
    for col in ("study", "outcome", "n_treat", "n_ctrl", "mean_treat", "sd_treat", "mean_ctrl",
                "sd_ctrl", "yi", "vi", "source", "provenance"):
        assert col in studies.columns
    claims = pd.read_csv(tables / "claims.csv").set_index("claim_id")
    assert claims.loc["aerobic-41-31-35", "verdict"] == "partly supported"

    # The report opens with our own pool (R: own_rma_reml_knha_pain / _dis, rma(yi = pts,
    # sei = pse, method = "REML", test = "knha")): recorded as points better with exercise.
    pain, dis = res["own_pool_pain_points_better"], res["own_pool_disability_points_better"]
    assert (pain["value"], pain["ci_low"], pain["ci_high"]) == pytest.approx(
        (9.136826, -6.318115, 24.591768), abs=1e-5)
    assert (dis["value"], dis["ci_low"], dis["ci_high"]) == pytest.approx(
        (7.634598, 4.934817, 10.334379), abs=1e-5)
    assert res["k_pain_studies"]["value"] == 4 and res["k_disability_studies"]["value"] == 4
    own = pd.read_csv(tables / "own_effects.csv")
    assert own[["source", "location", "provenance"]].notna().all().all() and len(own) == 8
    html = (reports / STEM / "report.html").read_text(encoding="utf-8")
    # the body (after the table of contents) opens with our own pool
    assert html.rindex("The answer: our own pool") < html.rindex("1. The transcribed data")
    assert "9.1 points better with exercise" in html and "7.6 points better with exercise" in html
    assert "the 15 points patients notice" in html and "crosses zero" in html
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Our pool of the 4 trials whose results we could read" in index
    assert "data were too few" not in index

    proc, reports = run_notebooks("03", params={"include_p_derived": True,
                                                "tau2_methods": ["pm", "dl"], "test": "z",
                                                "chatz_n_exercise": 11, "min_studies": 2,
                                                "baseline_sd_points": 25},
                                  reports=tmp_path / "sens")
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = results_of(reports, STEM)
    assert res["pooled_smd_pain"]["value"] == pytest.approx(-0.2834, abs=5e-5)
    assert res["pooled_smd_pain"]["ci_low"] == pytest.approx(-0.5207, abs=5e-5)
    assert res["chatzitheodorou_dz_pain"]["value"] == pytest.approx(2.566, abs=5e-4)
    # The own pool moves with the assumed SD of pain (McDonough 2013's d x 25 instead of x 20)
    # but not with include_p_derived (it always uses Krein's P-derived SEs).
    assert res["own_pool_pain_points_better"]["value"] != pytest.approx(9.136826, abs=1e-3)
    assert res["own_pool_disability_points_better"]["value"] == pytest.approx(7.634598, abs=1e-5)


def test_smd_pool_defaults_to_reml_hksj_without_pi_for_small_k():
    s = aerobic.study_effects(True)
    t = aerobic.pooled_table(s, ["reml", "dl"], 2, 0.95, "normal", "knha", 10)
    row = t[(t["outcome"] == "pain") & (t["method"] == "reml")].iloc[0]
    assert row["k"] == 2 and np.isnan(row["pi_low"]) and "no PI: k = 2 < 10" in row["note"]
    assert "Hartung-Knapp-Sidik-Jonkman" in row["note"]
    z = aerobic.pooled_table(s, ["reml"], 2, 0.95, "normal", "z", 2)
    zrow = z[z["outcome"] == "pain"].iloc[0]
    assert zrow["ci_high"] - zrow["ci_low"] < row["ci_high"] - row["ci_low"]


# --------------------------------------------------------------------------- own 0-100 pool
ORDER = ["cuestavargas2011", "cuestavargas2012", "krein2013", "mcdonough2013"]


@pytest.fixture(scope="module")
def own():
    return aerobic.own_effects()


def _by_outcome(frame, outcome):
    sub = frame[frame["outcome"] == outcome].set_index("study").loc[ORDER]
    return sub


def test_own_trial_effects_match_r(own, r_aero):
    # own_trial_points: escalc(measure = "MD", m1i, sd1i, n1i, m2i, sd2i, n2i) for the arm rows;
    # SE = (ub - lb) / (2 qnorm(0.975)) for printed CIs; SE = |MD| / qt(p/2, n1 + n2 - 2,
    # lower.tail = FALSE) for P-only rows; escalc(measure = "SMD", di = -0.4, 40, 17) x 20 for d;
    # points = MD x 100 / scale max (Krein pain 0-10 assumed, RMQ 0-24, VAS mm, ODQ 0-100).
    v = r_aero["own_trial_points"]["values"]
    got = pd.concat([_by_outcome(own, "pain"), _by_outcome(own, "disability")])
    for col, key in (("md", "md"), ("se", "se"), ("points", "points"),
                     ("points_se", "points_se")):
        np.testing.assert_allclose(got[col].to_numpy(), v[key], rtol=1e-9, err_msg=col)


@pytest.mark.parametrize("outcome,suffix", [("pain", "pain"), ("disability", "dis")])
def test_own_pool_reml_and_dl_match_metafor_knha(own, r_aero, outcome, suffix):
    pool = aerobic.own_pool(own).set_index(["outcome", "analysis"])
    for analysis, case in (("all trials (REML + HKSJ)", f"own_rma_reml_knha_{suffix}"),
                           ("all trials (DerSimonian-Laird + HKSJ)", f"own_rma_dl_knha_{suffix}")):
        # rma(yi = pts, sei = pse, method = "REML" | "DL", test = "knha",
        #     control = list(threshold = 1e-12))
        r = pool.loc[(outcome, analysis)]
        v = r_aero[case]["values"]
        assert r["k"] == 4
        for col, key in (("estimate", "estimate"), ("ci_low", "ci.lb"), ("ci_high", "ci.ub"),
                         ("tau2", "tau2"), ("i2", "I2")):
            assert r[col] == pytest.approx(v[key], abs=1e-3), (case, col)


@pytest.mark.parametrize("outcome,suffix", [("pain", "pain"), ("disability", "dis")])
def test_own_leave_one_out_matches_metafor(own, r_aero, outcome, suffix):
    # leave1out(rma(yi = pts, sei = pse, method = "REML", test = "knha"))
    loo = aerobic.own_leave_one_out(own, outcome).set_index("omitted").loc[ORDER]
    v = r_aero[f"own_leave1out_reml_knha_{suffix}"]["values"]
    for col, key in (("estimate", "estimate"), ("ci_low", "ci.lb"), ("ci_high", "ci.ub"),
                     ("tau2", "tau2")):
        np.testing.assert_allclose(loo[col].to_numpy(), v[key], atol=1e-3, err_msg=col)


def test_own_sensitivity_and_subgroups(own, r_aero):
    pool = aerobic.own_pool(own).set_index(["outcome", "analysis"])
    # rma(yi = pts[6:8], sei = pse[6:8], method = "REML", test = "knha"): without assumed rows
    r = pool.loc[("disability", "without values that rest on an assumption")]
    v = r_aero["own_rma_reml_knha_dis_no_assumed"]["values"]
    assert r["k"] == 3 and not r["headline"]
    assert (r["estimate"], r["ci_low"], r["ci_high"]) == pytest.approx(
        (v["estimate"], v["ci.lb"], v["ci.ub"]), abs=1e-3)
    # Pain without assumed rows keeps only Cuesta-Vargas 2012: k = 1, not pooled.
    r = pool.loc[("pain", "without values that rest on an assumption")]
    assert r["k"] == 1 and pd.isna(r["estimate"]) and "one by one" in r["note"]
    # Subgroups of fewer than 3 trials are never pooled, and only the main rows are headlines.
    subs = pool.reset_index()
    subs = subs[subs["analysis"].str.startswith(("comparator:", "mode:"))]
    assert len(subs) > 0 and subs["estimate"].isna().all() and (subs["k"] < 3).all()
    heads = pool[pool["headline"].astype(bool)].reset_index()
    assert list(heads["analysis"]) == ["all trials (REML + HKSJ)"] * 2
    assert (heads["k"] >= 3).all()
    # No prediction interval below 10 trials.
    assert pool["pi_low"].isna().all()


def test_pool_needs_three_trials_for_a_headline(own):
    two = own[own["study"].isin(ORDER[:2])]
    pool = aerobic.own_pool(two).set_index(["outcome", "analysis"])
    r = pool.loc[("pain", "all trials (REML + HKSJ)")]
    assert r["k"] == 2 and pd.isna(r["estimate"]) and not r["headline"]


def test_assumptions_move_the_points(own):
    alt = aerobic.own_effects(pain_sd_points=25.0, krein_pain_scale_max=100.0)
    a, b = own.set_index(["study", "outcome"]), alt.set_index(["study", "outcome"])
    assert b.loc[("mcdonough2013", "pain"), "points"] == pytest.approx(
        a.loc[("mcdonough2013", "pain"), "points"] * 25 / 20)
    assert b.loc[("krein2013", "pain"), "points"] == pytest.approx(-0.5)
    assert b.loc[("cuestavargas2012", "pain"), "points"] == a.loc[("cuestavargas2012", "pain"),
                                                                 "points"]


def test_cuesta_vargas_asymmetric_ci_rebuilt(r_aero):
    # se <- c(width / (2 z), lower arm / z, upper arm / z); est +/- z se; 2 pnorm(-|est| / se)
    t = aerobic.asymmetric_ci_check()
    v = r_aero["cuestavargas_rmq_rebuilt"]["values"]
    rebuilt = t.iloc[1:]
    np.testing.assert_allclose(rebuilt["se"], v["se"], rtol=1e-9)
    np.testing.assert_allclose(rebuilt["ci_low"], v["ci.lb"], rtol=1e-9)
    np.testing.assert_allclose(rebuilt["ci_high"], v["ci.ub"], rtol=1e-9)
    np.testing.assert_allclose(rebuilt["p"], v["p"], rtol=1e-9)
    width = t.iloc[1]
    assert width["ci_high"] > 0 and width["ci_high_points"] == pytest.approx(0.25 * 100 / 24)
    assert t.iloc[0]["ci_low"] == -5.7 and t.iloc[0]["ci_high"] == -0.2


def test_pool_rows_have_source_location_provenance_and_agree_with_other_tables():
    keys = bibliography.bib_keys()
    pool, design = aerobic.load_pool(), aerobic.load_design()
    for frame in (pool, design):
        assert frame["source"].isin(keys).all()
        assert frame["location"].str.len().gt(0).all()
        assert frame["provenance"].isin(["reported", "derived", "digitized", "assumed"]).all()
    assert pool.loc[pool["provenance"] != "reported", "note"].str.len().gt(20).all()
    assert set(pool["study"]) == set(design.loc[design["pooled"], "study"])
    assert (pool.groupby("outcome").size() >= 4).all()
    # Values repeated from aerobic_trials / aerobic_trial_effects agree.
    trials = aerobic.load_trials().set_index(["study", "outcome"])
    mc = trials.loc[("mcdonough2013", "disability")]
    pr = pool.set_index(["study", "outcome"]).loc[("mcdonough2013", "disability")]
    for c in ("mean_treat", "sd_treat", "mean_ctrl", "sd_ctrl", "n_treat", "n_ctrl"):
        assert pr[c] == mc[c]
    eff = aerobic.load_effects()
    eff = eff[eff["measure"] == "MD"].set_index(["study", "outcome"])
    for key in (("cuestavargas2012", "pain"), ("cuestavargas2012", "disability"),
                ("krein2013", "pain"), ("krein2013", "disability")):
        p = pool.set_index(["study", "outcome"]).loc[key]
        assert p["estimate"] == eff.loc[key, "estimate"], key
    assert (ROOT / "data" / "aerobic_sources.md").read_text(encoding="utf-8").count("|") > 50


def test_dose_answer_says_no_meta_regression(own):
    dose = aerobic.own_dose_table(own)
    known = dose[dose["pooled"] & dose["minutes_per_week"].notna()]
    assert len(known) == 2 and set(known["minutes_per_week"]) == {60, 90}
    text = aerobic.dose_answer(dose)
    assert "no" in text.lower() and "150 minutes" in text and "not be randomised" in text
