"""Statistics from summary data, against R (tests/reference/r_reference.json) and the paper.

Each expected value names its r_reference case; the R call is in the JSON and repeated in
short beside the value.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import vals
from runspine.stats import meta, models, power, simulate, summary
from runspine.stats import prevalence as prev

GARBUTT_MEANS = [3.37, 5.10, 7.69]  # Garbutt 1990 abstract
GARBUTT_SDS = [2.38, 1.90, 3.69]




@pytest.mark.parametrize("rho,case", [(0.0, "rm_anova_aov_rho0"), (0.3, "rm_anova_aov_rho03"),
                                      (0.5, "rm_anova_aov_rho05"), (0.8, "rm_anova_aov_rho08")])
def test_rm_anova_from_summary_matches_r_aov(r_ref, rho, case):
    # R: Y <- MASS::mvrnorm(14, mu, D R D, empirical = TRUE);
    #    summary(aov(y ~ cond + Error(id/cond)))  -> F, df, p
    ref = vals(r_ref, case)
    res = summary.rm_anova_from_summary(GARBUTT_MEANS, GARBUTT_SDS, 14, rho)
    assert res.F == pytest.approx(ref["F"], rel=1e-12)
    assert (res.df1, res.df2) == (ref["df1"], ref["df2"])
    assert res.p == pytest.approx(ref["p"], rel=1e-9)


def test_rm_anova_epsilon_is_one_under_sphericity():
    # equal SDs + compound symmetry = sphericity: Greenhouse-Geisser epsilon is exactly 1
    res = summary.rm_anova_from_summary([1, 2, 3], [2, 2, 2], 10, 0.4)
    assert res.epsilon_gg == pytest.approx(1.0, abs=1e-12)
    assert res.p_gg == pytest.approx(res.p, rel=1e-12)


def test_rm_anova_agrees_with_statsmodels_anovarm_on_exact_data():
    # the summary formula equals statsmodels AnovaRM on data with exactly those moments
    from statsmodels.stats.anova import AnovaRM

    frame = simulate.repeated_measures_frame(["a", "b", "c"], GARBUTT_MEANS, GARBUTT_SDS, 14,
                                             0.3, seed=7)
    table = AnovaRM(frame, "y", "subject", within=["condition"]).fit().anova_table
    res = summary.rm_anova_from_summary(GARBUTT_MEANS, GARBUTT_SDS, 14, 0.3)
    assert table["F Value"].iloc[0] == pytest.approx(res.F, rel=1e-9)


@pytest.mark.parametrize("rho,case", [(0.0, "paired_t_summary_rho0"), (0.3, "paired_t_summary_rho03"),
                                      (0.5, "paired_t_summary_rho05"), (0.8, "paired_t_summary_rho08")])
def test_paired_t_from_summary_matches_r(r_ref, rho, case):
    # R: sd_d <- sqrt(s1^2 + s2^2 - 2 rho s1 s2); t <- (m1 - m2) / (sd_d / sqrt(14));
    #    2 * pt(-abs(t), 13)   with the halves 3.26 (2.78) vs 2.12 (1.61)
    ref = vals(r_ref, case)
    res = summary.paired_t_from_summary(3.26, 2.78, 2.12, 1.61, 14, rho)
    assert res.statistic == pytest.approx(ref["t"], rel=1e-12)
    assert res.df == ref["df"]
    assert res.p == pytest.approx(ref["p"], rel=1e-10)


def test_paired_t_equals_scipy_ttest_rel_on_exact_data():
    wide = simulate.exact_mvnormal([3.26, 2.12], summary.compound_symmetry_cov([2.78, 1.61], 0.6),
                                   14, seed=3)
    ref = stats.ttest_rel(wide[:, 0], wide[:, 1])
    res = summary.paired_t_from_summary(3.26, 2.78, 2.12, 1.61, 14, 0.6)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-10)
    assert res.p == pytest.approx(ref.pvalue, rel=1e-8)


@pytest.mark.parametrize("case,j", [("ttest_summary_A_g1_vs_g2", 1), ("ttest_summary_A_g1_vs_g3", 2),
                                    ("ttest_summary_B_g1_vs_g2", 1)])
def test_two_sample_t_from_summary_matches_r(r_ref, case, j):
    # R: Student and Welch t from summaries (Belavy 2017 Table 1 body mass (A) and
    # weekday sitting (B)); see r_call in the JSON
    data = {"A": ([24, 30, 25], [73.9, 68.2, 63.5], [17.8, 11.1, 10.2]),
            "B": ([24, 30, 25], [9.7, 6.3, 6.4], [2.1, 2.8, 2.8])}[case.split("_")[2]]
    n, m, s = data
    ref = vals(r_ref, case)
    stu = summary.welch_or_student_from_summary(m[0], s[0], n[0], m[j], s[j], n[j], True)
    wel = summary.welch_or_student_from_summary(m[0], s[0], n[0], m[j], s[j], n[j], False)
    assert stu.statistic == pytest.approx(ref["t_student"], rel=1e-12)
    assert stu.p == pytest.approx(ref["p_student"], rel=1e-9)
    assert wel.df == pytest.approx(ref["df_welch"], rel=1e-12)
    assert wel.p == pytest.approx(ref["p_welch"], rel=1e-9)


def test_mean_ci_is_the_t_interval():
    # R: 7.69 + c(-1, 1) * qt(0.975, 13) * 3.69 / sqrt(14) = 5.559457 9.820543
    lo, hi = summary.mean_ci(7.69, 3.69, 14)
    assert (lo, hi) == pytest.approx((5.559457430676, 9.820542569324), abs=1e-9)


def test_slope_contrast_matches_r_lm_point_estimate(r_ref):
    # R: coef(lm(y ~ x))["x"] with x = c(70, 85, 100), y = Garbutt means -> 0.144
    ref = vals(r_ref, "lm_unweighted_means_on_pace")
    w = summary.slope_weights([70, 85, 100])
    est = summary.within_contrast_from_summary(w, GARBUTT_MEANS, GARBUTT_SDS, 14, 0.5)
    assert est.estimate == pytest.approx(ref["slope"], rel=1e-12)


def test_slope_contrast_se_equals_one_sample_t_of_subject_slopes():
    # the within-subject contrast is a one-sample t test of each runner's own slope
    wide = simulate.exact_mvnormal(GARBUTT_MEANS, summary.compound_symmetry_cov(GARBUTT_SDS, 0.5),
                                   14, seed=11)
    w = summary.slope_weights([70, 85, 100])
    per_runner = wide @ w
    ref = stats.ttest_1samp(per_runner, 0.0)
    est = summary.within_contrast_from_summary(w, GARBUTT_MEANS, GARBUTT_SDS, 14, 0.5)
    assert est.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert est.se == pytest.approx(per_runner.std(ddof=1) / np.sqrt(14), rel=1e-9)


def test_line_weights_reproduce_the_fitted_value():
    x, y = np.array([70.0, 85, 100]), np.array(GARBUTT_MEANS)
    b1, b0 = np.polyfit(x, y, 1)
    assert summary.line_weights(x, 92.0) @ y == pytest.approx(b0 + b1 * 92.0, rel=1e-12)


def test_compound_symmetry_rejects_impossible_rho():
    with pytest.raises(ValueError):
        summary.compound_symmetry_cov([1, 1, 1], -0.6)


def test_exact_mvnormal_moments_and_seed():
    cov = summary.compound_symmetry_cov(GARBUTT_SDS, 0.5)
    a = simulate.exact_mvnormal(GARBUTT_MEANS, cov, 14, seed=1)
    b = simulate.exact_mvnormal(GARBUTT_MEANS, cov, 14, seed=1)
    c = simulate.exact_mvnormal(GARBUTT_MEANS, cov, 14, seed=2)
    np.testing.assert_allclose(a.mean(axis=0), GARBUTT_MEANS, atol=1e-12)
    np.testing.assert_allclose(np.cov(a, rowvar=False), cov, atol=1e-12)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_mixed_model_matches_r_closed_form_on_r_data(r_ref):
    # R: nlme::lme(y ~ pace, random = ~1 | id, method = "REML") on MASS::mvrnorm data
    # (tests/reference/mixed_data.csv); the balanced design has a closed form
    # (case lme_random_intercept_rho05_closed_form), which nlme matches to ~8 digits.
    from pathlib import Path

    frame = pd.read_csv(Path(__file__).parent / "reference" / "mixed_data.csv")
    ref = vals(r_ref, "lme_random_intercept_rho05_closed_form")
    fit = models.fit_random_intercept(frame, "y", "pace", "id")
    assert fit.slope == pytest.approx(ref["slope"], rel=1e-9)
    assert fit.intercept == pytest.approx(ref["intercept"], rel=1e-7)
    assert fit.slope_se == pytest.approx(ref["slope_se"], rel=1e-4)
    assert fit.sd_intercept == pytest.approx(ref["sd_intercept"], rel=1e-3)
    assert fit.sd_residual == pytest.approx(ref["sd_resid"], rel=1e-4)


def test_mixed_prediction_matches_r_lme(r_ref):
    # R (case lme_random_intercept_rho05_prediction): fit <- nlme::lme(y ~ pace, random =
    # ~ 1 | id, method = "REML") on mixed_data.csv; m <- predict(fit, data.frame(pace = x0),
    # level = 0); se <- sqrt(diag(X %*% vcov(fit) %*% t(X))); a new runner:
    # sqrt(se^2 + getVarCov(fit) + fit$sigma^2); m -/+ qnorm(0.975 | 0.95) * ...
    # The model is R's own fit (so this pins mixed_prediction, not the optimizer).
    ref = vals(r_ref, "lme_random_intercept_rho05_prediction")
    cov = np.reshape(ref["vcov"], (2, 2), order="F")  # R's as.numeric is column-major
    fit = models.MixedSlope(ref["intercept"], ref["slope"], float("nan"), float("nan"),
                            float("nan"), ref["sd_intercept"], ref["sd_resid"],
                            tuple(map(tuple, cov)))
    for i, x0 in enumerate(ref["x"]):
        got = models.mixed_prediction(fit, x0)
        assert got["x"] == x0
        for ours, theirs in (("mean", "mean"), ("ci_low", "ci.lb"), ("ci_high", "ci.ub"),
                             ("pi_low", "pi.lb"), ("pi_high", "pi.ub")):
            assert got[ours] == pytest.approx(ref[theirs][i], rel=1e-12), (x0, ours)
        got90 = models.mixed_prediction(fit, x0, 0.90)
        assert (got90["pi_low"], got90["pi_high"]) == pytest.approx(
            (ref["pi90.lb"][i], ref["pi90.ub"][i]), rel=1e-12)


def test_independent_means_slope_matches_metafor_fixed_effect_metaregression(r_ref):
    # R: rma(yi = y, vi = sd^2 / 14, mods = ~ x, method = "FE") -> slope, se
    from runspine.studies import shrinkage

    ref = vals(r_ref, "rma_FE_metaregression_means_on_pace")
    res = shrinkage.slope_independent(shrinkage.load_conditions(), 14, 0.95)
    assert res["estimate"] == pytest.approx(ref["slope.x"], rel=1e-10)
    assert res["se"] == pytest.approx(ref["se"], rel=1e-10)
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((ref["ci.lb"], ref["ci.ub"]), rel=1e-9)


# ----------------------------------------------------------------------------- power

def test_min_detectable_d_two_groups_of_7(r_ref):
    # R: uniroot(function(d) pwr.t.test(n = 7, d = d)$power - 0.8, ...)$root = 1.63171405
    assert power.min_detectable_d(7, 7) == pytest.approx(
        vals(r_ref, "pwr_t_test_n7_power80_d_exact"), rel=1e-9)


def test_min_detectable_d_unequal_groups(r_ref):
    # R: uniroot on pwr.t2n.test(n1 = 45, n2 = 43, d = d)$power - 0.8 = 0.60422932
    assert power.min_detectable_d(45, 43) == pytest.approx(
        vals(r_ref, "pwr_t2n_test_45_43_power80_d_exact"), rel=1e-9)


def test_power_two_sample(r_ref):
    # R: pwr.t2n.test(n1 = 10, n2 = 35, d = 0.5)$power = 0.27583369
    assert power.power_two_sample(0.5, 10, 35) == pytest.approx(
        vals(r_ref, "pwr_t2n_test_10_35_d05_power"), rel=1e-9)


def test_n_per_group(r_ref):
    # R: uniroot on pwr.t.test(n = n, d = 0.8)$power - 0.8 = 25.5245718
    assert power.n_per_group(0.8) == pytest.approx(vals(r_ref, "pwr_t_test_d08_power80_n_exact"),
                                                   rel=1e-9)


def test_min_detectable_d_paired(r_ref):
    # R: uniroot on pwr.t.test(n = 14, d = d, type = "paired")$power - 0.8 = 0.81014667
    assert power.min_detectable_d_paired(14) == pytest.approx(
        vals(r_ref, "pwr_t_test_paired_n14_power80_d_exact"), rel=1e-9)


def test_cohens_h_and_detectable_h(r_ref):
    # R: ES.h(0.30, 0.40) = -0.21015893; uniroot on pwr.2p2n.test(h, 937, 620) = 0.14503806
    assert power.cohens_h(0.30, 0.40) == pytest.approx(vals(r_ref, "ES_h_030_040"), rel=1e-12)
    assert power.min_detectable_h(937, 620) == pytest.approx(
        vals(r_ref, "pwr_2p2n_test_n937_620_power80_h_exact"), rel=1e-9)


# --------------------------------------------------------------------------- issue 14
# R reference values: tests/reference/r_reference_review.json (make_reference_review.R;
# metafor 3.8-1). Each case's r_call is in the JSON; a short form stands beside each value.
REVIEW = json.loads((Path(__file__).parent / "reference" / "r_reference_review.json")
                    .read_text(encoding="utf-8"))


def rv(case):
    return REVIEW[case]["values"]


def test_combined_sd_matches_r_on_pooled_groups():
    # R: sd(c(g(3.37, 2.38, 14), g(5.10, 1.90, 10), g(7.69, 3.69, 20))), g = exact-moment groups
    got = summary.combined_sd(GARBUTT_MEANS, GARBUTT_SDS, [14, 10, 20])
    assert got == pytest.approx(rv("combined_sd_three_groups")["sd"], rel=1e-12)


def test_halves_as_42_runs_reproduce_the_paper_with_nothing_assumed():
    # R: total <- 3 pace groups of 14; r <- (sd(total)^2 - s1^2 - s2^2) / (2 s1 s2);
    #    t.test(x1, x2, paired = TRUE) on mvrnorm(42, ..., empirical = TRUE)
    ref = rv("halves_42_runs_paired_t")
    sdt = summary.combined_sd(GARBUTT_MEANS, GARBUTT_SDS, [14, 14, 14])
    assert sdt == pytest.approx(ref["sd_total"], rel=1e-12)
    res = summary.paired_t_from_sum_sd(3.26, 2.78, 2.12, 1.61, sdt, 42)
    assert res.r == pytest.approx(ref["r"], rel=1e-10)
    assert res.statistic == pytest.approx(ref["t"], rel=1e-10)
    assert res.df == ref["df"] == 41
    assert res.p == pytest.approx(ref["p"], rel=1e-9)
    assert res.p < 0.05  # the paper's P < 0.05, with no correlation assumed


def test_halves_as_runner_averages_are_not_significant():
    # R: sd(rowMeans(mvrnorm(14, means, S(rho = 0.5), empirical = TRUE))); paired t.test
    ref = rv("halves_14_runner_averages_rho05")
    sdt = float(np.sqrt(summary.compound_symmetry_cov(GARBUTT_SDS, 0.5).sum()) / 3)
    assert sdt == pytest.approx(ref["sd_total"], rel=1e-12)
    res = summary.paired_t_from_sum_sd(3.26, 2.78, 2.12, 1.61, sdt, 14)
    assert (res.r, res.statistic, res.p) == pytest.approx((ref["r"], ref["t"], ref["p"]),
                                                          rel=1e-9)
    # the largest possible SD of a 3-pace average (rho -> 1) caps r between halves at -0.36
    assert summary.implied_correlation(2.78, 1.61, np.mean(GARBUTT_SDS)) == pytest.approx(
        ref["r_max"], rel=1e-12)


CLAIMS = json.loads((Path(__file__).parent / "reference" / "r_reference_claims.json")
                    .read_text(encoding="utf-8"))  # make_reference_claims.R


@pytest.mark.parametrize("args,case", [
    ((1.14, None, 14, 3, 0.0), "halves_runner_means_rho0"),
    ((1.14, None, 14, 3, 0.25), "halves_runner_means_rho0.25"),
    ((-0.8, 2.5, 10, 4, 0.3), "runner_means_n10_k4_rho03"),
])
def test_paired_t_runner_means_matches_r(args, case):
    # R: D <- mvrnorm(n, rep(mean_diff, k), s_d^2 ((1 - rho) I + rho J), empirical = TRUE);
    #    t.test(rowMeans(D)) -> t, df, p; sd(rowMeans(D)) for sd_bar. Garbutt halves:
    #    mean_diff 3.26 - 2.12, s_d from the 42-run SDs (sd_d of the case)
    ref = CLAIMS[case]["values"]
    mean_diff, sd_d, n, k, rho = args
    res = summary.paired_t_runner_means(mean_diff, ref["sd_d"] if sd_d is None else sd_d,
                                        n, k, rho)
    assert (res.statistic, res.p) == pytest.approx((ref["t"], ref["p"]), rel=1e-9)
    assert res.df == ref["df"] == n - 1 and res.r == rho
    if "sd_bar" in ref:
        assert res.sd_diff == pytest.approx(ref["sd_bar"], rel=1e-12)


def test_paired_t_runner_means_edges():
    # hand: rho = 1 leaves the SD of an average at s_d; rho = -1/(k - 1) makes it 0
    assert summary.paired_t_runner_means(1.0, 2.0, 10, 3, 1.0).sd_diff == pytest.approx(2.0)
    with pytest.raises(ValueError, match="rho_runs"):
        summary.paired_t_runner_means(1.0, 2.0, 10, 3, -0.5)


@pytest.mark.parametrize("args,case", [
    ((1.14, None, 14, 3, 0.05), "rho_limit_halves_alpha05"),
    ((-0.8, 2.5, 10, 4, 0.10), "rho_limit_n10_k4_alpha10"),
    ((-0.8, 2.5, 10, 4, 0.05), "rho_limit_n10_k4_alpha05"),  # negative: P > 0.05 at rho 0
])
def test_rho_runs_for_p_matches_r_uniroot(args, case):
    # R: uniroot(function(r) t.test(rowMeans(mvrnorm(n, rep(mean_diff, k),
    #    s_d^2 ((1 - r) I + r J), empirical = TRUE)))$p.value - alpha, tol = 1e-13)$root
    mean_diff, sd_d, n, k, alpha = args
    sd_d = CLAIMS["halves_runner_means_rho0"]["values"]["sd_d"] if sd_d is None else sd_d
    rho = summary.rho_runs_for_p(mean_diff, sd_d, n, k, alpha)
    assert rho == pytest.approx(CLAIMS[case]["values"][0], rel=1e-10)
    # at that correlation the test on runner averages gives P = alpha exactly
    assert summary.paired_t_runner_means(mean_diff, sd_d, n, k, rho).p == pytest.approx(
        alpha, rel=1e-10)


def test_paired_t_from_sum_sd_rejects_impossible_sds():
    with pytest.raises(ValueError):
        summary.paired_t_from_sum_sd(1, 1, 0, 1, 3, 10)  # Var(sum) > (s1 + s2)^2


@pytest.fixture(scope="module")
def lifetime6():
    # Lifetime LBP in athletes (data/prevalence.csv, both Bahr 2004 rows incl. the
    # secondary rower row): escalc("PLO", xi, ni)
    return prev.logit_proportions([168, 125, 158, 73, 25, 46], [257, 199, 377, 84, 29, 48])


@pytest.mark.parametrize("case,method,test,rtol", [
    ("rma_PLO_lifetime6_REML_knha", "reml", "knha", 1e-9),
    ("rma_PLO_lifetime6_PM_knha", "pm", "knha", 1e-9),
    ("rma_PLO_lifetime6_DL_knha", "dl", "knha", 1e-12),
    ("rma_PLO_lifetime6_DL_z", "dl", "z", 1e-12),
])
def test_pool_reml_pm_dl_with_knha_match_metafor(lifetime6, case, method, test, rtol):
    # R: rma(yi, vi, method = <method>, test = <test>, control = tight) on escalc PLO
    y, v = lifetime6
    ref = rv(case)
    r = meta.pool(y, v, method, test=test)
    assert r.tau2 == pytest.approx(ref["tau2"], rel=rtol)
    assert r.estimate == pytest.approx(ref["estimate"], rel=rtol)
    assert r.se == pytest.approx(ref["se"], rel=rtol)
    assert (r.ci_low, r.ci_high) == pytest.approx((ref["ci.lb"], ref["ci.ub"]), rel=rtol)
    assert r.z == pytest.approx(ref["stat"], rel=rtol)
    assert r.p == pytest.approx(ref["pval"], rel=1e3 * rtol)
    assert r.df == float(ref["df"])  # "Inf" for z (JSON string) parses to inf
    assert r.i2 == pytest.approx(ref["I2"], rel=rtol)


def test_dl_tau2_is_half_of_reml_and_hksj_is_wider(lifetime6):
    # the review's numbers: DL tau2 0.61 vs REML 1.23 and PM 1.30; HKSJ CI 0.46-0.91
    # instead of the DL Wald CI 0.60-0.85 (proportions)
    y, v = lifetime6
    dl, reml = meta.pool(y, v, "dl"), meta.pool(y, v, "reml", test="knha")
    assert dl.tau2 < 0.5 * reml.tau2
    hk = prev.pool_proportions([168, 125, 158, 73, 25, 46], [257, 199, 377, 84, 29, 48],
                               "dl", test="knha")
    assert (round(hk.ci_low, 2), round(hk.ci_high, 2)) == (0.46, 0.91)


def test_pool_proportions_default_is_reml_knha_primary_rows():
    # R: rma(escalc("PLO", xi = c(168, 158, 73, 25, 46), ni = c(257, 377, 84, 29, 48)),
    #        method = "REML", test = "knha"): prop 0.789 (0.426-0.950)
    ref = rv("rma_PLO_lifetime5_REML_knha")
    p = prev.pool_proportions([168, 158, 73, 25, 46], [257, 377, 84, 29, 48])
    assert (p.estimate, p.ci_low, p.ci_high) == pytest.approx(
        (ref["prop"], ref["prop.ci.lb"], ref["prop.ci.ub"]), rel=1e-9)
    assert p.tau2 == pytest.approx(ref["tau2"], rel=1e-9)


def test_reml_knha_bcg_and_boundary():
    # R: rma(yi, vi, data = dat.bcg RR, method = "REML", test = "knha", control = tight)
    e = vals(json.loads((Path(__file__).parent / "reference" / "r_reference.json")
                        .read_text(encoding="utf-8")), "escalc_bcg_RR")
    ref = rv("rma_bcg_RR_REML_knha")
    r = meta.pool(e["yi"], e["vi"], "reml", test="knha")
    assert (r.estimate, r.se, r.ci_low, r.ci_high, r.tau2, r.p) == pytest.approx(
        (ref["estimate"], ref["se"], ref["ci.lb"], ref["ci.ub"], ref["tau2"], ref["pval"]),
        rel=1e-9)
    # R: rma(yi = c(0.1, 0.12, 0.09), vi = c(0.04, 0.05, 0.03), method = "REML"): tau2 = 0
    ref0 = rv("rma_tau2_zero_REML")
    r0 = meta.pool([0.1, 0.12, 0.09], [0.04, 0.05, 0.03], "reml")
    assert r0.tau2 == 0.0 and meta.tau2_reml([0.1, 0.12, 0.09], [0.04, 0.05, 0.03]) == 0.0
    assert (r0.estimate, r0.se) == pytest.approx((ref0["estimate"], ref0["se"]), rel=1e-12)
    with pytest.raises(ValueError):
        meta.pool([0.1, 0.2], [0.01, 0.01], "reml", test="t")


def test_hksj_does_not_truncate_q_below_one():
    # R: rma(yi = c(0.1, 0.12, 0.09), vi = c(0.04, 0.05, 0.03), method = "REML",
    #        test = "knha"): q < 1, so the HKSJ SE is below the model SE (no ad hoc truncation)
    ref = rv("rma_knha_q_below_1_REML")
    r = meta.pool([0.1, 0.12, 0.09], [0.04, 0.05, 0.03], "reml", test="knha")
    assert (r.estimate, r.se, r.ci_low, r.ci_high, r.p) == pytest.approx(
        (ref["estimate"], ref["se"], ref["ci.lb"], ref["ci.ub"], ref["pval"]), rel=1e-9)
    assert r.df == ref["df"] == 2
    assert r.se < ref["se.z"]
