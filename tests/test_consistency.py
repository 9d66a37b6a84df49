"""Tests for runspine.stats.consistency (GRIM, GRIMMER, statcheck rules, intervals).

R reference values: tests/reference/r_reference_consistency.json, made by
tests/reference/make_reference_consistency.R (statcheck 1.4.0 for the P checks; GRIM and
GRIMMER by exhaustive enumeration in base R). Each expected value names its case; the R
call is stored beside it in the JSON and quoted here. Documented examples are cited with
where they are printed.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from runspine.stats import consistency as cs

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def ref() -> dict:
    return json.loads((HERE / "reference" / "r_reference_consistency.json")
                      .read_text("utf-8"))


def v(ref: dict, case: str):
    entry = ref[case]
    return entry.get("values", entry.get("value"))


# ------------------------------------------------------------------- statcheck -------

STATCHECK = [
    # (case id, R: statcheck::statcheck(text), our call)
    ("sc_manual_example", "blablabla the effect was very significant (t(100)=1, p < 0.001)",
     {"test": "t", "value": "1", "reported_p": "0.001", "df2": 100, "p_comparison": "<"}),
    ("sc_t_error", "t(28) = 2.20, p = .03", {"test": "t", "value": "2.20", "reported_p": ".03", "df2": 28}),
    ("sc_t_ok", "t(28) = 2.20, p = .04", {"test": "t", "value": "2.20", "reported_p": ".04", "df2": 28}),
    ("sc_F_ok", "F(2, 56) = 3.24, p = .046",
     {"test": "F", "value": "3.24", "reported_p": ".046", "df1": 2, "df2": 56}),
    ("sc_r_ok", "r(48) = .30, p = .03", {"test": "r", "value": ".30", "reported_p": ".03", "df2": 48}),
    ("sc_chi2_ok", "χ2(1) = 3.84, p = .05",
     {"test": "chi2", "value": "3.84", "reported_p": ".05", "df1": 1}),
    ("sc_t_decision", "t(15) = 1.50, p < .05",
     {"test": "t", "value": "1.50", "reported_p": ".05", "df2": 15, "p_comparison": "<"}),
    ("sc_chatzitheodorou", "t(10) = 8.51, p < .001",
     {"test": "t", "value": "8.51", "reported_p": ".001", "df2": 10, "p_comparison": "<"}),
    ("sc_mitchell_r_n8", "r(6) = .787, p = .021",
     {"test": "r", "value": ".787", "reported_p": ".021", "df2": 6}),
    ("sc_mitchell_r_n9", "r(7) = .787, p = .021",
     {"test": "r", "value": ".787", "reported_p": ".021", "df2": 7}),
    ("sc_F_ns", "F(1, 30) = 1.12, ns",
     {"test": "F", "value": "1.12", "reported_p": "", "df1": 1, "df2": 30, "p_comparison": "ns"}),
    ("sc_t_two_tailed", "t(58) = 1.70, p = .047",
     {"test": "t", "value": "1.70", "reported_p": ".047", "df2": 58}),
    ("sc_t_one_tailed", "t(58) = 1.70, p = .047, one-tailed (OneTailedTxt = TRUE)",
     {"test": "t", "value": "1.70", "reported_p": ".047", "df2": 58, "one_tailed_in_text": True}),
    ("sc_t_stat_less", "t(20) < 1.00, p = .50",
     {"test": "t", "value": "1.00", "reported_p": ".50", "df2": 20, "test_comparison": "<"}),
    ("sc_t_p_greater", "t(20) = 1.00, p > .20",
     {"test": "t", "value": "1.00", "reported_p": ".20", "df2": 20, "p_comparison": ">"}),
    ("sc_z_ok", "process_stats('Z', 1.96, reported_p = 0.05, p_dec = 2, test_dec = 2)",
     {"test": "z", "value": "1.96", "reported_p": ".05"}),
    ("sc_z_error", "process_stats('Z', 2.10, reported_p = 0.02, p_dec = 2, test_dec = 2)",
     {"test": "z", "value": "2.10", "reported_p": ".02"}),
]


@pytest.mark.parametrize("case, r_text, call", STATCHECK, ids=[c[0] for c in STATCHECK])
def test_statcheck_matches_r(ref, case, r_text, call):
    want = v(ref, case)  # R: statcheck::statcheck(r_text)[, c(computed_p, error, decision_error)]
    if call.get("p_comparison") == "ns":
        call = {**call, "reported_p": "0.05"}
    got = cs.statcheck(**call)
    assert got.computed_p == pytest.approx(want["computed_p"], rel=1e-9), r_text
    assert got.error == bool(want["error"]), r_text
    assert got.decision_error == bool(want["decision_error"]), r_text


def test_statcheck_flags_what_r_flags():
    """Guard: the cases include errors, decision errors and a one-tailed rescue, so a
    function that always said "consistent" would fail above."""
    assert cs.statcheck("t", "1.50", ".05", df2=15, p_comparison="<").decision_error
    assert not cs.statcheck("t", "1.70", ".047", df2=58).one_tailed
    assert cs.statcheck("t", "1.70", ".047", df2=58, one_tailed_in_text=True).one_tailed


def test_p_from_statistic_formulas(ref):
    # R: statcheck("t(28) = 2.20, p = .04")$computed_p = 2 * pt(-2.2, 28)
    want = v(ref, "sc_t_ok")["computed_p"]
    assert cs.p_from_statistic("t", 2.2, df2=28) == pytest.approx(want, rel=1e-9)
    assert cs.p_from_statistic("t", 2.2, df2=28, two_tailed=False) == pytest.approx(
        want / 2, rel=1e-9)
    with pytest.raises(ValueError, match="unknown test"):
        cs.p_from_statistic("q", 1.0)


# ------------------------------------------------------------------------ GRIM -------

@pytest.mark.parametrize("case, mean, n, dec, gran", [
    # R: grim_enum(5.27, 43, 2, 0, 10) = FALSE; scrutiny vignette "GRIM": grim("5.27", 43) FALSE
    ("grim_scrutiny_527_43", 5.27, 43, 2, 1.0),
    # R: grim_enum(3.48, 20, 2, 1, 6) = FALSE; a die rolled 20 times (GRIM test, Wikipedia)
    ("grim_die_348_20", 3.48, 20, 2, 1.0),
    # R: grim_enum(3.50, 20, 2, 1, 6) = TRUE
    ("grim_die_350_20", 3.50, 20, 2, 1.0),
    # R: grim_enum(3.3, 8, 1, 1, 5) = TRUE (26/8 = 3.25, a tie rounded up)
    ("grim_pfirrmann_33_8", 3.3, 8, 1, 1.0),
])
def test_grim_matches_enumeration(ref, case, mean, n, dec, gran):
    assert cs.grim(mean, n, dec, granularity=gran).consistent == bool(v(ref, case))


def test_grim_mitchell_odi_implies_8_and_7(ref):
    # R: sapply(c(7, 8, 9), function(n) grim_enum(3.75, n, 2, 0, 50, 2)) = 0 1 0
    #    sapply(c(7, 8, 9), function(n) grim_enum(6.29, n, 2, 0, 50, 2)) = 1 0 0
    # ODI in % is 2 x (sum of ten 0-5 items): granularity 2
    for mean, case in ((3.75, "grim_odi_375"), (6.29, "grim_odi_629")):
        want = v(ref, case)
        assert {f"n{n}": cs.grim(mean, n, 2, granularity=2).consistent for n in (7, 8, 9)} \
            == {k: bool(x) for k, x in want.items()}
    assert cs.grim_sizes(3.75, 2, range(5, 13), granularity=2) == [8]
    assert cs.grim_sizes(6.29, 2, range(5, 13), granularity=2) == [7]


def test_grim_nearest_and_testable():
    res = cs.grim(3.48, 20, 2)
    assert res.nearest == (3.45, 3.5)  # multiples of 1/20
    assert res.testable
    # 200 values at 2 decimals: every mean is possible, the test cannot fail
    assert not cs.grim(3.487, 2000, 2).testable
    assert cs.grim(3.48, 200, 2).consistent
    # four integer items averaged per person (Pfirrmann L2-S1): 1.9 with 9 people
    assert cs.grim(1.9, 9, 1, items=4).consistent
    with pytest.raises(ValueError, match="n >= 1"):
        cs.grim(1.0, 0, 1)


def test_percent_counts(ref):
    # R: n <- 264; k <- 0:n; k[abs(100 * k / n - 20.8) <= 0.05 + 1e-9] = 55
    assert cs.percent_counts(20.8, 264, 1) == [v(ref, "pct_208_264")]
    # R: same for 20.3% of 268: integer(0) (Buist 2008's randomised arms cannot print it)
    assert cs.percent_counts(20.3, 268, 1) == v(ref, "pct_203_268") == []


# --------------------------------------------------------------------- GRIMMER -------

@pytest.mark.parametrize("case, args", [
    # R: grimmer_enum(7.3, 2.51, 12, 1, 2, 0, 20) = FALSE, GRIM TRUE;
    #    scrutiny vignette "GRIMMER": grimmer("7.3", "2.51", 12) FALSE
    ("grimmer_scrutiny_73_251_12", (7.3, 2.51, 12, 1, 2)),
    ("grimmer_73_250_12", (7.3, 2.50, 12, 1, 2)),             # R: TRUE
    ("grimmer_pfirrmann_22_07_9", (2.2, 0.7, 9, 1, 1)),       # R: TRUE
    ("grimmer_pfirrmann_33_10_8", (3.3, 1.0, 8, 1, 1)),       # R: TRUE
    ("grimmer_small_sd_5", (3.0, 0.10, 5, 2, 2)),             # R: FALSE
    ("grimmer_parity_6", (2.50, 1.20, 6, 2, 2)),              # R: FALSE
])
def test_grimmer_matches_enumeration(ref, case, args):
    want = v(ref, case)
    want = want["grimmer"] if isinstance(want, dict) else want
    assert cs.grimmer(*args).consistent == bool(want)


@pytest.mark.parametrize("case, args", [
    # R: grimmer_enum(1.9, 0.2, 9, 1, 1, 4, 20, 0.25) = TRUE (mean of four graded discs)
    ("grimmer_pfirrmann_19_02_9_quarters", (1.9, 0.2, 9, 1, 1, 0.25)),
    # R: grimmer_enum(2.5, 0.7, 8, 1, 1, 4, 20, 0.25) = TRUE
    ("grimmer_pfirrmann_25_07_8_quarters", (2.5, 0.7, 8, 1, 1, 0.25)),
])
def test_grimmer_with_granularity(ref, case, args):
    assert cs.grimmer(*args).consistent == bool(v(ref, case))


def test_grimmer_reasons():
    assert cs.grimmer(3.48, 1.0, 20, 2).reason == "the mean fails GRIM"
    # sum 15 over 5 whole numbers, SD 0.30: SS 45.36 is not a whole number
    assert not cs.grimmer(3.0, 0.30, 5, 2).consistent
    # eight whole numbers averaging 0.50 cannot all be equal: SD 0.00 is impossible
    res = cs.grimmer(0.50, 0.00, 8, 2)
    assert not res.consistent and "smaller" in res.reason
    with pytest.raises(ValueError, match="n >= 2"):
        cs.grimmer(1.0, 0.0, 1, 1)


# ------------------------------------------------------------ intervals and P --------

@pytest.mark.parametrize("case, args", [
    ("pci_nielsen_hr", (1.59, 0.96, 2.66, 2, True)),     # Nielsen 2014 HR 1.59 (0.96-2.66)
    ("pci_bahr_or", (1.94, 1.29, 2.92, 2, True)),        # Bahr 2004 OR 1.94 (1.29-2.92)
    ("pci_cuesta_rmq", (-2.5, -5.7, -0.2, 1, False)),    # Cuesta-Vargas RMQ -2.5 (-5.7, -0.2)
    ("pci_cuesta_vas", (-26.0, -40.9, -11.1, 1, False)),  # Cuesta-Vargas VAS
])
def test_p_from_ci_matches_r(ref, case, args):
    # R: pf <- function(e, l, u) 2 * pnorm(-abs(f(e) / ((f(u) - f(l)) / (2 * qnorm(0.975)))))
    #    with f = log (ratio) or identity, and min/max over the 8 rounding corners
    want = v(ref, case)
    got = cs.p_from_ci(*args)
    assert got.se == pytest.approx(want["se"], rel=1e-9)
    assert got.p == pytest.approx(want["p"], rel=1e-9)
    assert got.p_min == pytest.approx(want["p_min"], rel=1e-9)
    assert got.p_max == pytest.approx(want["p_max"], rel=1e-9)


def test_cuesta_vargas_rmq_interval_is_asymmetric(ref):
    # R: e <- -2.5; l <- -5.7; u <- -0.2: u + l - 2e = -0.9 (halves 3.2 and 2.3)
    want = v(ref, "sym_cuesta_rmq")
    sym = cs.ci_symmetry(-2.5, -5.7, -0.2, 1)
    assert sym.natural == pytest.approx(want["natural"], abs=1e-12)
    assert not sym.symmetric_natural and sym.log is None
    # the printed "p < 0.05" against the P the width gives: statcheck-style decision error
    assert cs.p_from_ci(-2.5, -5.7, -0.2, 1).p_min > 0.05


@pytest.mark.parametrize("case, args", [
    ("halves_cuesta_rmq", (-2.5, -5.7, -0.2)),              # Cuesta-Vargas 2012 RMQ
    ("halves_positive_level90", (1.2, 0.1, 2.8, 0.90)),   # positive estimate, 90% CI
])
def test_p_from_ci_halves_matches_r(ref, case, args):
    # R: z <- qnorm(0.975) (qnorm(0.95) at level 0.90);
    #    c(p_lower = 2 * pnorm(-abs(e) / ((e - l) / z)), p_upper = 2 * pnorm(-abs(e) / ((u - e) / z)))
    want = v(ref, case)
    lower, upper = cs.p_from_ci_halves(*args)
    assert lower == pytest.approx(want["p_lower"], rel=1e-12)
    assert upper == pytest.approx(want["p_upper"], rel=1e-12)


def test_p_from_ci_halves_of_a_symmetric_interval_equal_the_whole_width():
    # 1.0 (0.5 to 1.5): both halves are 0.5, the whole width 1.0 = 2 x 0.5, so the three
    # SEs coincide (0.5 / z) and so do the three P values (hand: |1.0| / SE = 2z = 3.92)
    lower, upper = cs.p_from_ci_halves(1.0, 0.5, 1.5)
    assert lower == pytest.approx(upper, rel=1e-14)
    assert lower == pytest.approx(cs.p_from_ci(1.0, 0.5, 1.5, 1).p, rel=1e-12)


@pytest.mark.parametrize("printed, decimals, interval", [
    # hand: [x - 0.5 * 10^-d, x + 0.5 * 10^-d]
    (2.35, 1, (2.30, 2.40)),      # 0.05 either side of 2.35
    (48, 0, (47.5, 48.5)),        # an integer: half a unit either side
    (0.021, 3, (0.0205, 0.0215)),  # a P printed with 3 decimals
    (-2.5, 1, (-2.55, -2.45)),    # negative values: the interval is symmetric about x
    (1200, -2, (1150, 1250)),     # printed to the hundred: d = -2, half = 50
    (0.0, 2, (-0.005, 0.005)),    # zero straddles both signs
])
def test_rounding_interval_hand_values(printed, decimals, interval):
    lo, hi = cs.rounding_interval(printed, decimals)
    assert (lo, hi) == pytest.approx(interval, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("case, args", [
    ("sym_nielsen_hr", (1.59, 0.96, 2.66, 2)),
    ("sym_bahr_or", (1.94, 1.29, 2.92, 2)),
])
def test_ratio_intervals_symmetric_on_log_scale(ref, case, args):
    # R: log(u) + log(l) - 2 log(e), min/max over the rounding corners
    want = v(ref, case)
    sym = cs.ci_symmetry(*args)
    assert sym.natural == pytest.approx(want["natural"], abs=1e-12)
    assert sym.log == pytest.approx(want["log"], rel=1e-9)
    assert sym.log_range == pytest.approx((want["log_min"], want["log_max"]), rel=1e-9)
    assert sym.symmetric_log and not sym.symmetric_natural


def test_estimate_inside():
    assert cs.estimate_inside(1.59, 0.96, 2.66)
    assert not cs.estimate_inside(3.0, 0.96, 2.66)
    assert not cs.estimate_inside(1.0, 2.0, 0.5)  # limits swapped


@pytest.mark.parametrize("case, n1, n2", [
    ("tt_mitchell_odi_9_8", 9, 8), ("tt_mitchell_odi_8_7", 8, 7)])
def test_mitchell_odi_p_both_ways(ref, case, n1, n2):
    # R: Student t from summary data (see make_reference_consistency.R, tt()); printed
    # P 0.477 (Mitchell 2020 demographics table): inside the 8 / 7 range, not the 9 / 8
    want = v(ref, case)
    assert cs.two_sample_p(3.75, 6.88, n1, 6.29, 6.47, n2) == pytest.approx(want["p"], rel=1e-9)
    assert cs.two_sample_p(3.75, 6.88, n1, 6.29, 6.47, n2, spread="se") == pytest.approx(
        want["p_se"], rel=1e-9)
    lo, hi = cs.two_sample_p_range(3.75, 6.88, n1, 6.29, 6.47, n2, 2)
    assert (lo, hi) == pytest.approx((want["p_min"], want["p_max"]), rel=1e-9)
    assert (lo <= 0.477 <= hi) == ((n1, n2) == (8, 7))


def test_mitchell_age_rounding_range(ref):
    # R: tt(48, 4, 9, 50, 4, 8, 0): P 0.320, 0.098 to 0.654 over integer rounding
    want = v(ref, "tt_mitchell_age_9_8")
    lo, hi = cs.two_sample_p_range(48, 4, 9, 50, 4, 8, 0)
    assert (lo, hi) == pytest.approx((want["p_min"], want["p_max"]), rel=1e-9)
    assert lo <= 0.437 <= hi


def test_max_sd_and_subgroups(ref):
    # R: sqrt(8 / 7 * (3.75 - 0) * (100 - 3.75)) = 20.3101
    assert cs.max_sd(3.75, 8, 0, 100) == pytest.approx(v(ref, "max_sd_odi_375_8"), rel=1e-12)
    assert math.isnan(cs.max_sd(120, 8, 0, 100))
    assert cs.subgroups_sum([9, 8], 17) == 0
    assert cs.subgroups_sum([9, 8], 18) == 1
    with pytest.raises(ValueError, match="spread"):
        cs.two_sample_p(1, 1, 5, 2, 1, 5, spread="iqr")


@pytest.mark.parametrize("printed, decimals", [
    ("0.70", 2), ("48", 0), (".03", 2), ("<0.001", 3), ("1e-3", 3), (2.5, 1)])
def test_decimals_of(printed, decimals):
    assert cs.decimals_of(printed) == decimals


# ------------------------------------------------------- the data-package audit -------

KNOWN_FLAGS = {
    # (file, first row, check): what the audit must flag in the project's data package
    ("data/disc_comparisons.csv", 18, "grim"),          # Mitchell ODI runners 3.75, n 9
    ("data/disc_comparisons.csv", 19, "grim"),          # Mitchell ODI controls 6.29, n 8
    ("data/disc_comparisons.csv", 18, "two_sample_p"),  # ODI P 0.477 needs n 8 / 7
    ("data/disc_facts.csv", 46, "statcheck"),           # r 0.787, P 0.021 needs n 8
    ("data/rules_facts.csv", 4, "percent"),             # Buist 20.3% of 268
    ("data/aerobic_trial_effects.csv", 16, "interval"),  # Cuesta-Vargas RMQ CI
    ("data/aerobic_pool.csv", 3, "interval"),           # the same CI, as pooled
    ("data/prevalence_facts.csv", 22, "interval"),      # Maselli kappa 0.78 (0.61-0.80)
    ("data/aerobic_facts.csv", 98, "interval"),         # Shnayderman 70.7 (12.3-127.7) m
}


@pytest.fixture(scope="module")
def findings():
    from runspine.notebook import audit
    from runspine.project import Project

    return audit.audit(Project.installed())


def test_audit_flags_exactly_the_known_values(findings):
    from runspine.notebook import audit

    flagged = {(f.file, f.rows[0], f.check) for f in audit.flags(findings)}
    assert flagged == KNOWN_FLAGS
    # and it checked many more values than it flagged, each with a declared reason
    assert len(findings) > 50 and all(f.why for f in findings)
    assert {f.check for f in findings} == set(audit.CHECKS)


def test_audit_mitchell_findings_say_what_fits(findings):
    by = {(f.rows[0], f.check): f for f in findings if f.study == "mitchell2020"}
    odi = by[(18, "grim")]
    assert odi.printed == "mean 3.75 with n 9" and "fits n 8" in odi.possible
    assert odi.notebooks == ["05_disc_health_and_running_volume"]
    assert "fits n 7" in by[(19, "grim")].possible
    pair = by[(18, "two_sample_p")]
    assert "n 8 and 7 give P 0.474 to 0.478" in pair.possible
    assert by[(12, "two_sample_p")].status == "ok"  # height: P 0.151 is reproduced
    assert by[(10, "grim")].status == "cannot fail"  # age printed in whole years
    assert by[(6, "grimmer")].status == "ok"  # Pfirrmann L5-S1 2.2 (0.7), n 9
    # four discs averaged, SD to one decimal: every SD that large is possible
    assert by[(8, "grimmer")].status == "cannot fail"


def test_audit_cuesta_vargas_explains_the_p(findings):
    rmq, pooled = [f for f in findings if f.study == "cuestavargas2012" and f.status == "flag"]
    assert pooled.printed == rmq.printed and pooled.file == "data/aerobic_pool.csv"
    assert rmq.printed == "-2.5 (-5.7 to -0.2)"
    assert "whole width 0.0748" in rmq.possible and "upper half 0.0331" in rmq.possible
    assert rmq.notebooks == ["03_activity_pain_reduction"]


def test_audit_catches_a_planted_slip(tmp_path):
    """A mean no nine whole grades can have, planted in a copy of the data, is flagged;
    the copy's other findings are unchanged."""
    from conftest import make_scratch
    from runspine.notebook import audit
    from runspine.project import Project

    root = make_scratch(tmp_path / "proj")
    csv = root / "data" / "disc_comparisons.csv"
    text = csv.read_text(encoding="utf-8")
    assert ",runners,9,2.2,0.7," in text
    csv.write_text(text.replace(",runners,9,2.2,0.7,", ",runners,9,2.25,0.70,"),
                   encoding="utf-8")
    found = audit.audit(Project.at(root))
    planted = [f for f in audit.flags(found) if f.rows == [6]]
    assert [f.check for f in planted] == ["grim"]
    assert "nearest possible means are 2.222 and 2.333" in planted[0].possible


def test_check_consistency_prints_one_line_per_flag(main_in):
    proc = main_in("check", "--consistency")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == len(KNOWN_FLAGS) + 1
    assert all(ln.startswith("consistency: ") for ln in lines)
    assert any("data/disc_comparisons.csv row 18" in ln and "fits n 8" in ln for ln in lines)
    assert lines[-1].startswith("consistency: ") and f"{len(KNOWN_FLAGS)} flagged" in lines[-1]


def test_a_malformed_declaration_is_bad_input(tmp_path, main_in):
    from conftest import make_scratch, one_line_error

    root = make_scratch(tmp_path / "proj")
    pkg = root / "data" / "datapackage.json"
    desc = json.loads(pkg.read_text(encoding="utf-8"))
    res = next(r for r in desc["resources"] if r["name"] == "disc_comparisons")
    res["consistency"][0]["where"] = {"varaible": "age"}
    pkg.write_text(json.dumps(desc), encoding="utf-8")
    proc = main_in("check", "--consistency", root=root)
    assert proc.returncode == 2
    assert "resource 'disc_comparisons' consistency #1: 'where' names column 'varaible'" \
        in one_line_error(proc)
    proc = main_in("check", "--data-only", root=root)
    assert proc.returncode == 2 and "'varaible'" in proc.stderr


# ------------------------------------------------------------- the reader page --------

def _scratch_with_notebooks(tmp_path):
    """A scratch copy of the project: its data and the real study notebooks."""
    import shutil

    from conftest import make_scratch
    from runspine.project import Project

    root = make_scratch(tmp_path / "proj")
    for nb in Project.installed().notebooks():
        shutil.copy(nb, root / "notebooks")
    return root


def _built(tmp_path, stems=("05_disc_health_and_running_volume",)):
    """A reports directory where the given study reports exist."""
    reports = tmp_path / "reports"
    for stem in stems:
        (reports / stem).mkdir(parents=True)
        (reports / stem / "report.html").write_text("<html></html>", encoding="utf-8")
    return reports, {"notebooks": {s: {"status": "ok"} for s in stems}}


def test_page_shows_every_flag_with_source_and_report_link(tmp_path):
    from runspine.project import Project
    from runspine.site.consistency import render_consistency_page

    reports, manifest = _built(tmp_path)
    html = render_consistency_page(manifest, reports, Project.installed())
    # the Cuesta-Vargas interval is transcribed in two tables: one number, one entry
    assert html.count('<article class="flag"') == len(KNOWN_FLAGS) - 1
    assert "8 of the 88 printed numbers we could check cannot all be true as printed" in html
    assert ("data/aerobic_trial_effects.csv, row 16; data/aerobic_pool.csv, row 3"
            in html)
    # the Mitchell ODI flag: source, location, printed, possible, the report that uses it
    start = html.index("Mitchell 2020: Oswestry Disability Index, runners")
    card = html[start:html.index("</article>", start)]
    assert "mean 3.75 with n 9" in card and "fits n 8" in card
    assert "demographics table" in card and "data/disc_comparisons.csv, row 18" in card
    assert '<a href="05_disc_health_and_running_volume/report.html">' in card
    # a report that is not built is named, not linked
    assert "(report not built)" in html
    # every check explained, with what it cannot show
    for title in ("Means of whole-number scores (GRIM)", "Subgroups adding up to the total"):
        assert f"<h3>{title}</h3>" in html
    assert html.count("<b>It cannot show:</b>") == 8
    assert "Cohen&#39;s kappa" in html  # data text is escaped


def test_page_is_rebuilt_only_when_its_inputs_change(tmp_path):
    """The build rewrites the page only when page_inputs changes (the key it keeps in
    reports/.cache/consistency.key, as for the glossary page: test_cache)."""
    from runspine.project import Project
    from runspine.site.consistency import page_inputs, render_consistency_page

    root = _scratch_with_notebooks(tmp_path)
    project = Project.at(root)
    reports, manifest = _built(tmp_path)
    inputs = page_inputs(manifest, reports, project)
    assert inputs is not None
    assert page_inputs(manifest, reports, project) == inputs  # unchanged
    csv = root / "data" / "disc_comparisons.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",runners,9,2.2,0.7,",
                                                           ",runners,9,2.25,0.70,"),
                   encoding="utf-8")
    assert page_inputs(manifest, reports, project) != inputs
    assert "mean 2.25 with n 9" in render_consistency_page(manifest, reports, project)


def test_page_says_why_when_the_audit_cannot_run(tmp_path):
    from runspine.project import Project
    from runspine.site.consistency import render_consistency_page

    root = _scratch_with_notebooks(tmp_path)
    pkg = root / "data" / "datapackage.json"
    desc = json.loads(pkg.read_text(encoding="utf-8"))
    res = next(r for r in desc["resources"] if r["name"] == "disc_comparisons")
    res["consistency"] = [{"check": "nonsense", "why": "x"}]
    pkg.write_text(json.dumps(desc), encoding="utf-8")
    reports, manifest = _built(tmp_path)
    html = render_consistency_page(manifest, reports, Project.at(root))
    assert "The checks could not run on this data package:" in html
    assert "&#39;check&#39; must be one of grim" in html


# ------------------------------------------------------ findings reach the analysis ----

def test_mitchell_both_ways(ref):
    """Notebook 05's table: with 9 / 8 the ODI means are impossible and P 0.447; with 8 / 7
    possible and P 0.476 (printed 0.477); the T2 correlation's P needs 8 runners."""
    from runspine import data
    from runspine.studies import disc

    both = disc.mitchell_both_ways(disc.load_mitchell(), data.load_table(disc.FACTS))
    odi = both[both["quantity"].str.startswith("Oswestry")].reset_index(drop=True)
    for i, case in enumerate(("tt_mitchell_odi_9_8", "tt_mitchell_odi_8_7")):
        want = v(ref, case)  # R: Student t from the printed summaries (tt() in the .R file)
        assert odi.loc[i, "p"] == pytest.approx(want["p"], rel=1e-9)
        assert (odi.loc[i, "p_low"], odi.loc[i, "p_high"]) == pytest.approx(
            (want["p_min"], want["p_max"]), rel=1e-9)
    assert list(odi["means_possible"]) == [False, True]
    assert list(odi["reproduced"]) == [False, True]
    corr = both[both["quantity"].str.startswith("correlation")].reset_index(drop=True)
    # R: statcheck("r(7) = .787, p = .021"), statcheck("r(6) = .787, p = .021")
    assert list(corr["p"]) == pytest.approx([v(ref, "sc_mitchell_r_n9")["computed_p"],
                                             v(ref, "sc_mitchell_r_n8")["computed_p"]], rel=1e-9)
    assert list(corr["reproduced"]) == [False, True]


def test_report_notes_escape_and_link(findings):
    from runspine.notebook import audit

    mine = [f for f in audit.flags(findings) if f.study == "mitchell2020"]
    html = audit.notes_html(mine)
    assert html.count("<li>") == 4 and 'href="../consistency.html"' in html
    assert "mean 3.75 with n 9" in html
    planted = audit.Finding("grim", "flag", "r", "data/r.csv", [2], "s", "k", "loc",
                            "<script>alert(1)</script>", "x", "y", "z", "w")
    assert "<script>" not in audit.notes_html([planted])
    assert "passes" in audit.notes_html([])


def test_page_escapes_what_the_data_says(tmp_path):
    """A script in a transcribed location or a declaration's reason reaches the page as
    text, never as live script."""
    from runspine.project import Project
    from runspine.site.consistency import render_consistency_page

    root = _scratch_with_notebooks(tmp_path)
    csv = root / "data" / "disc_comparisons.csv"
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace(",runners,9,3.75,6.88,0.477,mitchell2020,demographics table",
                                ",runners,9,3.75,6.88,0.477,mitchell2020,<script>alert(1)</script>"),
                   encoding="utf-8")
    pkg = root / "data" / "datapackage.json"
    desc = json.loads(pkg.read_text(encoding="utf-8"))
    res = next(r for r in desc["resources"] if r["name"] == "disc_comparisons")
    res["consistency"][2]["why"] = "<img src=x onerror=alert(2)>"
    pkg.write_text(json.dumps(desc), encoding="utf-8")
    reports, manifest = _built(tmp_path)
    html = render_consistency_page(manifest, reports, Project.at(root))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script>" not in html and "<img" not in html


def test_no_page_and_no_link_when_no_report_reads_checked_data(scratch, main_in):
    """A project whose reports read no table that declares checks (the probe) gets no
    page, and its index no link to one: the build does not pay for the audit."""
    reports = scratch / "reports"
    proc = main_in("run", "--reports", str(reports), root=scratch)
    assert proc.returncode == 0, proc.stderr
    assert (reports / "index.html").is_file()
    assert not (reports / "consistency.html").exists()
    assert "consistency.html" not in (reports / "index.html").read_text(encoding="utf-8")


def test_every_check_is_explained_on_the_page_and_in_the_readme():
    from runspine.notebook import audit
    from runspine.site.consistency import CHECK_TEXT

    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Are the published numbers consistent?"):]
    section = section[:section.index("\n## ", 5)]
    rows = {"grim": "| GRIM (Brown & Heathers 2017) |", "grimmer": "| GRIMMER (Anaya 2016) |",
            "two_sample_p": "| t-test P |", "statcheck": "| statcheck (Nuijten 2016) |",
            "p_from_ci": "| P from a CI (Altman & Bland 2011) |", "interval": "| interval |",
            "percent": "| percentage |", "sum": "| subgroup sum |"}
    assert set(rows) == set(audit.CHECKS) == set(CHECK_TEXT)
    for cid, row in rows.items():
        assert row in section, cid
        assert all(len(part) > 40 for part in CHECK_TEXT[cid]), cid


def test_a_build_imports_the_checks_statistics_only_for_a_page_it_will_build(
        tmp_path, monkeypatch):
    """``site.consistency.prepare`` (run as a build starts) loads the checks'
    statistics only when the page is missing and a notebook of the build reads a checked
    table: a build of notebook 01 alone, or of a project without checks, never pays."""
    from types import SimpleNamespace

    from runspine.notebook import audit
    from runspine.project import Project
    from runspine.site import consistency

    calls = []
    monkeypatch.setattr(audit, "load_statistics", lambda: calls.append(1))
    project = Project(Path(__file__).resolve().parents[1])
    job = {p.stem: SimpleNamespace(path=p) for p in project.notebooks()}
    consistency.prepare(tmp_path, project, [job["01_spinal_shrinkage_vs_pace"]])
    assert calls == []  # 01 reads no checked table: no page, no import
    consistency.prepare(tmp_path, project, list(job.values()))
    assert calls == [1]
    (tmp_path / "consistency.html").write_text("built")
    consistency.prepare(tmp_path, project, list(job.values()))
    assert calls == [1]  # the page exists: the build only re-renders it when its inputs change
