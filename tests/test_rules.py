"""Tests for runspine.stats.counts, runspine.stats.curves and notebook 06 (rules of thumb).

R reference values: tests/reference/r_reference_rules.json, made by
tests/reference/make_reference_rules.R (the case id and R call are cited beside each value;
the power cases call pwr 1.3.0 itself). Paper values are cited with their location.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import results_of
from runspine import data
from runspine.stats import counts, curves, groups, summary
from runspine.studies import rules

HERE = Path(__file__).resolve().parent
ACUTE = {"t": [0, 6, 26, 52], "y": [52, 23, 12, 6], "lo": [48, 21, 9, 3], "hi": [57, 25, 15, 10]}
PERS = {"t": [0, 6, 26, 52], "y": [51, 33, 26, 23], "lo": [44, 29, 20, 16], "hi": [59, 38, 33, 30]}


@pytest.fixture(scope="module")
def rr_ref() -> dict:
    return json.loads((HERE / "reference" / "r_reference_rules.json").read_text("utf-8"))


def v(ref: dict, case: str):
    entry = ref[case]
    return entry.get("values", entry.get("value"))


def _se(d):
    return (np.array(d["hi"]) - np.array(d["lo"])) / (2 * 1.959963984540054)


# ------------------------------------------------------------------ counts ------------

@pytest.mark.parametrize("case,args,correct", [
    ("chisq_buist_54_260_52_256", (54, 260, 52, 256), False),
    ("chisq_buist_36_173_73_359", (36, 173, 73, 359), False),
    ("chisq_yates_buist_36_173_73_359", (36, 173, 73, 359), True),
])
def test_chi2_2x2_matches_r(rr_ref, case, args, correct):
    # R: chisq.test(matrix(c(a, n1 - a, c, n2 - c), 2, byrow = TRUE), correct = ...)
    x2, p = counts.chi2_2x2(*args, correction=correct)
    ref = v(rr_ref, case)
    assert x2 == pytest.approx(ref["statistic"], rel=1e-12)
    assert p == pytest.approx(ref["p"], rel=1e-12)


def test_risk_ratio_matches_metafor(rr_ref):
    # R: escalc(measure = "RR", ai = 54, n1i = 260, ci = 52, n2i = 256); exp(yi +/- z sqrt(vi))
    ref = v(rr_ref, "escalc_RR_buist_54_260_52_256")
    rr = counts.risk_ratio(54, 260, 52, 256)
    assert rr.log_rr == pytest.approx(ref["yi"], rel=1e-12)
    assert rr.se_log ** 2 == pytest.approx(ref["vi"], rel=1e-12)
    assert (rr.rr, rr.ci_low, rr.ci_high) == pytest.approx(
        (ref["rr"], ref["ci.lb"], ref["ci.ub"]), rel=1e-12)
    assert rr.p == pytest.approx(ref["pval"], rel=1e-10)


def test_min_detectable_rr_matches_pwr(rr_ref):
    # R: uniroot(function(h) pwr.2p2n.test(h = h, n1 = 264, n2 = 268)$power - 0.8,
    # tol = 1e-13)$root, then
    # sin(asin(sqrt(0.203)) -/+ h / 2)^2 / 0.203 (case pwr_2p2n_264_268_power80_rr)
    ref = v(rr_ref, "pwr_2p2n_264_268_power80_rr")
    assert counts.min_detectable_rr(264, 268, 0.203, direction="lower") == pytest.approx(
        ref["rr_lower"], rel=1e-9)
    assert counts.min_detectable_rr(264, 268, 0.203, direction="higher") == pytest.approx(
        ref["rr_higher"], rel=1e-9)
    pw = rules.buist_power(0.05, 0.8)
    assert pw["h"] == pytest.approx(ref["h"], rel=1e-9)


def test_power_curve_matches_pwr(rr_ref):
    # R: pwr.2p2n.test(h = ES.h(0.7 * 0.203, 0.203), n1 = 264, n2 = 268)$power = 0.4623583...
    curve = rules.buist_power_curve(0.05, [0.7])
    assert curve["power"].iloc[0] == pytest.approx(v(rr_ref, "pwr_2p2n_264_268_rr07_power"),
                                                   rel=1e-10)


@pytest.mark.parametrize("case,p0,h", [("rr_from_h_p0203_h025", 0.203, 0.25),
                                       ("rr_from_h_p05_h08", 0.5, 0.8)])
def test_rr_from_h_matches_pwr_es_h(rr_ref, case, p0, h):
    # R: uniroot(function(p) pwr::ES.h(p, p0) - h, c(p0, 1), tol = 1e-15)$root / p0 (higher)
    #    and ES.h(p, p0) + h on c(0, p0) (lower): the proportion h away, by solving ES.h
    ref = v(rr_ref, case)
    assert counts.rr_from_h(p0, h, "higher") == pytest.approx(ref["rr_higher"], rel=1e-12)
    assert counts.rr_from_h(p0, h, "lower") == pytest.approx(ref["rr_lower"], rel=1e-12)


def test_rr_from_h_edges():
    # hand: asin(sqrt(0.5)) = pi/4; + h/2 with h = pi/2 reaches pi/2, sin^2 = 1, RR = 1/0.5 = 2
    assert counts.rr_from_h(0.5, math.pi / 2, "higher") == pytest.approx(2.0, rel=1e-15)
    # h = 0: the same proportion, RR = 1 either way
    assert counts.rr_from_h(0.3, 0.0, "higher") == pytest.approx(1.0, rel=1e-15)
    assert counts.rr_from_h(0.3, 0.0, "lower") == pytest.approx(1.0, rel=1e-15)
    # asin(sqrt(0.9)) = 1.249 + 0.5 > pi/2, asin(sqrt(0.1)) = 0.322 - 0.5 < 0: no proportion
    assert math.isnan(counts.rr_from_h(0.9, 1.0, "higher"))
    assert math.isnan(counts.rr_from_h(0.1, 1.0, "lower"))
    for p0 in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="p_control"):
            counts.rr_from_h(p0, 0.2)


def _split(rows):
    return [(r["total"], r["n1"], r["a"], r["n2"], r["c"]) for r in rows]


def test_granularity_splits_hand_enumeration():
    # Total 10, printed 50% and 25% at 0 decimals (a value prints as 50 when it lies in
    # [49.5, 50.5), half up). a / n1 in that range: only 1/2, 2/4, 3/6, 4/8 (odd n1 <= 9
    # give 33.3, 40, 42.9, 44.4 or above 55). Their n2 = 8, 6, 4, 2: c / n2 in [24.5, 25.5)
    # only for 2/8 and 1/4 (1/6 = 16.7, 2/6 = 33.3, 1/2 = 50). So two splits:
    rows = counts.granularity_splits([10], 50.0, 25.0, 0)
    assert _split(rows) == [(10, 2, 1, 8, 2), (10, 6, 3, 4, 1)]
    # hand chi-square N (ad - bc)^2 / (n1 n2 m1 m2): 1/2 vs 2/8: 10 * 4^2 / (2*8*3*7) = 10/21;
    # 3/6 vs 1/4: 10 * 6^2 / (6*4*4*6) = 0.625. Yates: (|ad - bc| - N/2)_+ = 0 and 1
    assert [r["chi2"] for r in rows] == pytest.approx([10 / 21, 0.625], rel=1e-14)
    assert [r["pct1"] for r in rows] == [50.0, 50.0] and [r["pct2"] for r in rows] == [25.0, 25.0]
    assert all(r["chi2_fits"] for r in rows)  # no printed chi-square: every split fits
    yates = counts.granularity_splits([10], 50.0, 25.0, 0, correction=True)
    assert [r["chi2"] for r in yates] == pytest.approx([0.0, 10 / 576], rel=1e-14, abs=1e-15)
    # a printed chi-square 0.625 (3 decimals) keeps only the second split
    fit = counts.granularity_splits([10], 50.0, 25.0, 0, chi2=0.625)
    assert [r["chi2_fits"] for r in fit] == [False, True]
    # 10/21 = 0.476 prints as 0.48 at 2 decimals (not at 3: 0.476)
    fit = counts.granularity_splits([10], 50.0, 25.0, 0, chi2=0.48, chi2_decimals=2)
    assert [r["chi2_fits"] for r in fit] == [True, False]
    # caps and the smallest arm: n1 <= 5 keeps the first, min_arm = 3 (n1 in 3..7) the second
    assert _split(counts.granularity_splits([10], 50.0, 25.0, 0, max_n1=5)) == [(10, 2, 1, 8, 2)]
    assert _split(counts.granularity_splits([10], 50.0, 25.0, 0, max_n2=5)) == [(10, 6, 3, 4, 1)]
    assert _split(counts.granularity_splits([10], 50.0, 25.0, 0, min_arm=3)) == [(10, 6, 3, 4, 1)]


def test_granularity_splits_rounding_ties_and_empty():
    # 1/8 = 12.5% prints as 13 (half up), never as 12: with 50% in the other arm (n1 even,
    # n2 = 8, 6, 4, 2) only 1/2 vs 1/8 prints 50% and 13%; none prints 50% and 12%
    assert _split(counts.granularity_splits([10], 50.0, 13.0, 0)) == [(10, 2, 1, 8, 1)]
    assert counts.granularity_splits([10], 50.0, 12.0, 0) == []
    # 0% and 100% are reachable (a = 0, c = n2): total 3 splits as n1 = 1 or 2, so
    # 0/1 vs 2/2 and 0/2 vs 1/1; min_arm = 2 leaves no split (an arm of 1 is left out)
    assert _split(counts.granularity_splits([3], 0.0, 100.0, 0)) == [(3, 1, 0, 2, 2),
                                                                     (3, 2, 0, 1, 1)]
    assert counts.granularity_splits([3], 0.0, 100.0, 0, min_arm=2) == []
    assert counts.granularity_splits([], 50.0, 25.0, 0) == []
    # arms capped at 200 of a total 400 leave n1 = n2 = 200, where 99/200 = 49.5% prints as
    # 50 (half up) and 101/200 = 50.5% as 51: a and c each 99 or 100, four splits
    rows = counts.granularity_splits([400], 50.0, 50.0, 0, max_n1=200, max_n2=200)
    assert [(r["a"], r["c"]) for r in rows] == [(99, 99), (99, 100), (100, 99), (100, 100)]


def test_p_from_ratio_ci_matches_r_and_nielsen(rr_ref):
    # R: se <- (log(2.66) - log(0.96)) / (2 * qnorm(0.975)); 2 * pnorm(-abs(log(1.59) / se))
    ref = v(rr_ref, "p_from_ci_nielsen_hr")
    res = counts.p_from_ratio_ci(1.59, 0.96, 2.66)
    assert (res.se_log, res.z, res.p) == pytest.approx((ref["se"], ref["z"], ref["p"]),
                                                       rel=1e-12)
    # Nielsen 2014 abstract: P = .07; the rounding range contains it
    assert round(res.p, 2) == 0.07
    assert res.p_min < 0.074 < res.p_max


def test_rounding_rule_is_half_up():
    assert counts._rounds_to(20.85, 20.9, 1) and not counts._rounds_to(20.85, 20.8, 1)
    assert counts._rounds_to(20.75, 20.8, 1) and counts._rounds_to(20.8499, 20.8, 1)


# ---------------------------------------------------------------- Buist 2008 ----------

def test_buist_randomised_arms_cannot_print_20_3_percent():
    # BJSM 2009;43:155 summary: 264 graded, 268 standard. 54/268 = 20.1%, 55/268 = 20.5%
    arms = rules.randomised_arms_check().set_index("arm")
    assert bool(arms.loc["graded (10% rule)", "an integer count prints the %"])  # 55/264
    assert not bool(arms.loc["standard", "an integer count prints the %"])


def test_buist_splits_of_532_only_one_unbalanced_fit():
    # Every split of 532 printing 20.8% / 20.3%: only 36/173 vs 73/359 gives chi2 0.016
    # (0.0161677, R case chisq_buist_36_173_73_359), far from the randomised 264 / 268
    full = rules.buist_splits(532, 532, False, False)
    fits = full[full["chi2_fits"]]
    assert len(full) == 27
    assert fits[["n1", "a", "n2", "c"]].values.tolist() == [[173, 36, 359, 73]]
    # with Yates' correction no split of 532 gives 0.016
    assert not rules.buist_splits(532, 532, False, True)["chi2_fits"].any()


def test_buist_capped_search_reproduces_the_paper(rr_ref):
    splits = rules.buist_splits(450, 532, True, False)
    s = rules.buist_summary(splits)
    assert s["n_fits"] == 22 and s["n_fits_at_532"] == 0 and s["largest_total"] == 516
    b = s["best"]
    assert (b["n1"], b["a"], b["n2"], b["c"]) == (260, 54, 256, 52)
    # chisq.test(matrix(c(54, 206, 52, 204), 2, byrow = TRUE), correct = FALSE) = 0.01648519
    assert b["chi2"] == pytest.approx(v(rr_ref, "chisq_buist_54_260_52_256")["statistic"],
                                      rel=1e-12)
    # every fitting split prints as 20.8%, 20.3%, chi-square 0.016 and P 0.90 (abstract)
    fits = splits[splits["chi2_fits"]]
    assert (fits["pct1"].round(1) == 20.8).all() and (fits["pct2"].round(1) == 20.3).all()
    assert (fits["chi2"].round(3) == 0.016).all() and (fits["p"].round(2) == 0.90).all()
    assert (fits["n1"] <= 264).all() and (fits["n2"] <= 268).all()
    assert s["rr_min"] == pytest.approx(1.0221719457, rel=1e-9)
    assert s["rr_max"] == pytest.approx(1.0240076518, rel=1e-9)
    rep = rules.buist_reproduction(splits, False)
    assert rep["consistent"].tolist() == [True] * 5


def test_buist_search_all_splits_fit_percentages_by_brute_force():
    # an independent brute force over every count (not only those near the percentage)
    found = set()
    for n1 in range(200, 265):
        n2 = 516 - n1
        if n2 > 268:
            continue
        for a in range(n1 + 1):
            for c in range(n2 + 1):
                if (math.floor(1000 * a / n1 + 0.5) == 208
                        and math.floor(1000 * c / n2 + 0.5) == 203):
                    found.add((n1, a, n2, c))
    got = rules.buist_splits(516, 516, True, False)
    assert {tuple(r) for r in got[["n1", "a", "n2", "c"]].values.tolist()} == found


# ---------------------------------------------------------------- cadence -------------

def test_critical_and_detectable_r_match_r(rr_ref):
    # qt(0.975, 13) / sqrt(13 + qt(0.975, 13)^2); cor.test at that r gives P = 0.05
    assert groups.critical_r(15) == pytest.approx(v(rr_ref, "critical_r_n15"), rel=1e-12)
    assert v(rr_ref, "cor_test_at_critical_r_n15") == pytest.approx(0.05, rel=1e-9)
    # uniroot(function(r) pwr.r.test(n = 15, r = r)$power - 0.8, tol = 1e-13)$root
    det = rules.cadence_detectable(0.05, 0.8, 7.5)
    assert det["r_detectable"] == pytest.approx(v(rr_ref, "pwr_r_test_n15_power80_r_exact"),
                                                rel=1e-9)
    assert det["slope_critical_per10"] == pytest.approx(det["r_critical"] * 1.92 / 7.5 * 10)


def test_shrinkage_table_matches_r(rr_ref):
    t = rules.shrinkage_30min_table(0.95).set_index("run")
    r30 = t.loc["Rodacki 2024: 30 min at 10 km/h"]
    # t.test(x)$conf.int on data with mean 5.27, SD 1.92, n 15
    assert (r30["ci_low"], r30["ci_high"]) == pytest.approx(
        tuple(v(rr_ref, "t_test_ci_rodacki30").values()), rel=1e-10)
    g85 = t.loc["Garbutt 1990: 30 min at 85% of marathon pace"]
    # t.test(x30, x85) (Welch) on data with the two abstracts' moments
    assert g85["welch_t_vs_rodacki_30"] == pytest.approx(
        v(rr_ref, "welch_rodacki30_vs_garbutt85")["t"], rel=1e-10)
    assert g85["welch_p_vs_rodacki_30"] == pytest.approx(
        v(rr_ref, "welch_rodacki30_vs_garbutt85")["p"], rel=1e-9)
    # reused, not copied: Garbutt's values come from data/garbutt1990_shrinkage.csv
    assert g85["mean_mm"] == 5.10 and g85["n"] == 14


def test_rodacki_paired_t_uses_the_summary_formula():
    p = rules.rodacki_30_vs_60([0.5]).iloc[0]
    ref = summary.paired_t_from_summary(7.51, 2.51, 5.27, 1.92, 15, 0.5)
    assert p["t"] == pytest.approx(ref.statistic) and p["difference_mm"] == pytest.approx(2.24)


# ---------------------------------------------------------------- decay curves --------

@pytest.mark.parametrize("form,d,case,rel", [
    ("exponential_plateau", ACUTE, "nls_exp_plateau_acute", 1e-6),
    ("exponential_plateau", PERS, "nls_exp_plateau_persistent", 1e-6),
    ("exponential", ACUTE, "nls_exponential_acute", 1e-6),
    ("hyperbolic_plateau", ACUTE, "nls_hyperbolic_acute", 1e-4),
    ("hyperbolic_plateau", PERS, "nls_hyperbolic_persistent", 1e-4),
])
def test_decay_fit_matches_nls(rr_ref, form, d, case, rel):
    # R: nls(y ~ f(t), weights = 1 / se^2); SEs from vcov(fit) / summary(fit)$sigma^2
    ref = v(rr_ref, case)
    fit = curves.fit_decay(d["t"], d["y"], _se(d), form)
    for name, value, se in zip(fit.names, fit.theta, fit.se_theta):
        assert value == pytest.approx(ref[name], rel=rel), name
        assert se == pytest.approx(ref[f"se.{name}"], rel=10 * rel), name
    assert fit.chi2 == pytest.approx(ref["chi2"], rel=10 * rel)


@pytest.mark.parametrize("d,case", [(ACUTE, "nls_exp_plateau_acute"),
                                    (PERS, "nls_exp_plateau_persistent")])
def test_decay_predictions_and_time_to_level_match_r(rr_ref, d, case):
    # R: delta method with the analytic gradient at t = 2, 4, 6; time to 10/100 and its SE
    ref = v(rr_ref, case)
    fit = curves.fit_decay(d["t"], d["y"], _se(d), "exponential_plateau")
    p = curves.predict(fit, [2, 4, 6])
    for i, t in enumerate((2, 4, 6)):
        assert p["value"][i] == pytest.approx(ref[f"pred{t}"], rel=1e-6)
        assert p["se"][i] == pytest.approx(ref[f"pred_se{t}"], rel=1e-5)
    ttl = curves.time_to_level(fit, 10)
    if "t10" in ref:
        assert ttl["reached"] and ttl["time"] == pytest.approx(ref["t10"], rel=1e-6)
        assert ttl["se"] == pytest.approx(ref["t10_se"], rel=1e-5)
    else:  # the persistent plateau (24.4) lies above 10: never reached
        assert not ttl["reached"] and math.isnan(ttl["time"])


def test_time_to_level_inverts_the_curve():
    for form in curves.FORMS:
        fit = curves.fit_decay(ACUTE["t"], ACUTE["y"], _se(ACUTE), form)
        ttl = curves.time_to_level(fit, 20.0)
        assert curves.curve(form, [ttl["time"]], fit.theta)[0] == pytest.approx(20.0, rel=1e-10)


def test_unknown_form_is_rejected():
    with pytest.raises(ValueError, match="unknown curve form"):
        curves.fit_decay([0, 1, 2], [3, 2, 1], [1, 1, 1], "linear")


# ---------------------------------------------------------------- verdicts ------------

@pytest.fixture(scope="module")
def defaults():
    splits = rules.buist_splits(450, 532, True, False)
    s = rules.buist_summary(splits)
    pw = rules.buist_power(0.05, 0.8)
    det = rules.cadence_detectable(0.05, 0.8, 7.5)
    shoes = rules.shoe_wear_table(300, 500, 250)
    pred = rules.predictions(rules.fit_cohorts("exponential_plateau"), [2, 4, 6], 10)
    hens = rules.henschke_table(14)
    return s, pw, det, shoes, pred, hens


def test_verdicts_with_defaults(defaults):
    s, pw, det, shoes, pred, hens = defaults
    ten = rules.ten_percent_verdict(s, pw)
    assert ten.verdict == "not supported"
    assert "1.022 to 1.024" in ten.evidence and "0.57" in ten.evidence
    assert "P recomputed 0.074" in ten.evidence and "back" in ten.evidence
    cad = rules.cadence_verdict(det, 170)
    assert cad.verdict == "partly supported"
    assert "at least 0.51 (either way)" in cad.evidence and "Not supported: that 170-180" in cad.evidence
    sh = rules.shoes_verdict(shoes, 300, 500, 250)
    assert sh.verdict == "partly supported"
    assert "+4.88%" in sh.evidence and "no study ties a replacement" in sh.evidence
    rec = rules.recovery_verdict(pred, hens, 2, 4, 6, 10)
    assert rec.verdict == "partly supported"
    ev = rec.evidence
    assert ev.startswith("'Should resolve in as quickly as two weeks' (a best case): partly "
                         "supported; 'severe episodes can take 4-6 weeks or longer': supported.")
    # A: Henschke's median pain recovery (58 days) says nothing of the best case; the median
    # return to work (14 days) is indirect evidence for it; the average course is neither
    assert "Direct evidence pointing neither way: Henschke 2008 (973 primary-care" in ev
    assert "median time to recovery from pain 58 days (52 to 63)" in ev
    assert "indirect evidence for: half of Henschke's patients who had cut back work" in ev
    # the acute fit misses its points (R nls: chi-square 5.830, P 0.016); week 2 is
    # interpolated: 38.57 (36.04 to 41.10), widened by sqrt(5.83) to 32 to 45
    assert "mean pain 39/100 at week 2 from 52 at onset (95% CI 36 to 41, or 32 to 45" in ev
    assert "P = 0.016 of points this far from it if it were the true curve" in ev
    assert "interpolation" in ev
    assert "chi-square 5.83 on 1 degree of freedom" in ev
    # B rests on Henschke's acute cohort, not on cohorts selected for > 12 weeks of pain
    assert "direct evidence for: in Henschke's acute cohort half took longer than 58 days" \
        in ev and "28% had not recovered at 12 months" in ev
    assert "Shown but not weighed: cohorts with persistent pain" in ev
    assert "selected for pain lasting more than 12 weeks" in ev
    assert "What would change it" in ev
    a2 = pred[(pred.cohort == "acute") & (pred.week == 2)].iloc[0]
    assert a2["fit_chi2"] == pytest.approx(5.830, abs=5e-4) and a2["fit_df"] == 1
    half = (a2["ci_high"] - a2["pain"]) * math.sqrt(a2["fit_chi2"])
    assert a2["ci_high_widened"] == pytest.approx(a2["pain"] + half, rel=1e-12)


def test_verdict_rules_flip(defaults):
    s, pw, _det, shoes, _pred, hens = defaults
    # a protective RR range flips the 10% verdict
    assert rules.ten_percent_verdict({**s, "rr_max": 0.8}, pw).verdict == "partly supported"
    assert rules.ten_percent_verdict({**s, "rr_max": 0.8, "ci_high_max": 0.95},
                                     pw).verdict == "supported"
    # the recovery verdict by the written rule: Henschke's median time to pain recovery
    # within two weeks would be direct evidence for part A; a 'resolved' level of 40/100
    # makes the average course count for part A too (still indirect, so partly); with no
    # quick return to work part A has nothing for it (untestable), and B stays supported
    fits = rules.fit_cohorts("exponential_plateau")
    quick = hens.copy()
    quick.loc[quick["outcome"] == "recovery from pain", "median_days"] = 12
    v = rules.recovery_verdict(_pred, quick, 2, 4, 6, 10)
    assert "Direct evidence for: Henschke 2008" in v.evidence
    # A supported; B then rests on the average course only (12 days is not over 4 weeks)
    assert "(a best case): supported; 'severe episodes can take 4-6 weeks or longer': " \
           "partly supported." in v.evidence
    assert v.verdict == "partly supported"
    loose = rules.recovery_verdict(rules.predictions(fits, [2, 4, 6], 40), hens, 2, 4, 6, 40)
    assert loose.verdict == "partly supported"
    assert "(a best case): partly supported; 'severe episodes can take 4-6 weeks or " \
           "longer': supported." in loose.evidence
    slow = hens.copy()
    slow.loc[slow["outcome"] == "return to previous work status", "median_days"] = 30
    nothing_a = rules.recovery_verdict(_pred, slow, 2, 4, 6, 10)
    assert "(a best case): untestable;" in nothing_a.evidence
    assert nothing_a.verdict == "partly supported"  # B supported, A untestable
    # a band ending before every study's mileage: no wear shown by then
    assert rules.shoes_verdict(shoes, 50, 100, 40).verdict == "not supported"


def test_claims_rows_point_at_notebook_06():
    c = data.load_table("claims").set_index("claim_id")
    for cid in ("ten-percent", "cadence", "shoes-mileage", "recovery-2-6-weeks"):
        assert c.loc[cid, "notebook"] == rules.NOTEBOOK
        assert c.loc[cid, "study"] != "none"


# ---------------------------------------------------------------- notebook ------------

def _claims(reports: Path) -> dict:
    t = pd.read_csv(reports / rules.NOTEBOOK / "tables" / "claims.csv")
    return dict(zip(t["claim_id"], t["verdict"]))


def test_notebook_runs_with_defaults(default_build, rr_ref):
    reports = default_build  # every notebook with defaults, built once per test run
    res = results_of(reports, rules.NOTEBOOK)
    ref = v(rr_ref, "escalc_RR_buist_54_260_52_256")
    assert res["buist_rr"]["value"] == pytest.approx(ref["rr"], rel=1e-10)
    assert res["buist_rr"]["ci_low"] == pytest.approx(ref["ci.lb"], rel=1e-10)
    assert res["buist_n_fitting_splits"]["value"] == 22
    assert res["buist_n_fitting_splits_532"]["value"] == 1
    assert res["nielsen_p_recomputed"]["value"] == pytest.approx(
        v(rr_ref, "p_from_ci_nielsen_hr")["p"], rel=1e-10)
    assert res["acute_pain_week2"]["value"] == pytest.approx(
        v(rr_ref, "nls_exp_plateau_acute")["pred2"], rel=1e-6)
    assert res["acute_week_resolved"]["value"] == pytest.approx(
        v(rr_ref, "nls_exp_plateau_acute")["t10"], rel=1e-6)
    assert res["persistent_pain_week6"]["value"] == pytest.approx(
        v(rr_ref, "nls_exp_plateau_persistent")["pred6"], rel=1e-6)
    assert _claims(reports) == {"ten-percent": "not supported", "cadence": "partly supported",
                                "shoes-mileage": "partly supported",
                                "recovery-2-6-weeks": "partly supported"}
    rep = pd.read_csv(reports / rules.NOTEBOOK / "tables" / "reproduction.csv")
    assert list(rep.columns) == ["study", "quantity", "reported", "recomputed", "consistent",
                                 "note"]
    assert rep["consistent"].all()
    # what a reader sees on the claims page: the four rows carry the verdicts and numbers
    import re
    html = (reports / "claims.html").read_text("utf-8")
    expect = {"ten-percent": ("not supported", "1.022 to 1.024"),
              "cadence": ("partly supported", "at least 0.51 (either way)"),
              "shoes-mileage": ("partly supported", "+4.88%"),
              "recovery-2-6-weeks": ("partly supported", "58 days")}
    for cid, (verdict, number) in expect.items():
        row = re.search(rf'<tr id="{cid}">(.*?)</tr>', html, re.DOTALL).group(1)
        text = re.sub(r"<[^>]+>", " ", row).replace("&#x27;", "'")
        assert verdict in text and number in text and "untestable" not in text, cid


@pytest.mark.slow
def test_notebook_runs_with_other_parameters(run_notebooks, rr_ref):
    proc, reports = run_notebooks("06", params={"curve_form": "hyperbolic_plateau",
                                                "resolved_pain": 40.0,
                                                "buist_cap_at_randomised": False})
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = results_of(reports, rules.NOTEBOOK)
    # hyperbolic fit: y0 + ... at week 2 from the R nls coefficients
    b = v(rr_ref, "nls_hyperbolic_acute")
    expected = b["c"] + (b["y0"] - b["c"]) / (1 + b["k"] * 2)
    assert res["acute_pain_week2"]["value"] == pytest.approx(expected, rel=1e-4)
    # uncapped search: the 36/173 vs 73/359 split of all 532 is the largest fitting total
    assert res["buist_largest_fitting_total"]["value"] == 532
    t = pd.read_csv(reports / rules.NOTEBOOK / "tables" / "claims.csv").set_index("claim_id")
    assert t.loc["recovery-2-6-weeks", "verdict"] == "partly supported"
    rec = t.loc["recovery-2-6-weeks", "evidence"]  # 'resolved' = 40: the average counts too
    assert "(a best case): partly supported" in rec
    assert "indirect evidence for: the average course (Menezes Costa 2012, acute cohorts, " \
           "hyperbolic plateau curve): mean pain 36/100 at week 2" in rec


@pytest.mark.slow
def test_bad_curve_form_fails_with_a_message(run_notebooks):
    proc, _ = run_notebooks("06", params={"curve_form": "linear"})
    assert proc.returncode != 0
    assert "curve_form" in (proc.stderr + proc.stdout)
