"""The articles' rules of thumb tested against published evidence (notebook 06).

Four claims cite no study: raise weekly mileage by at most 10% (``ten-percent``), run at
170-180 steps a minute to reduce back stress (``cadence``), replace shoes every 300-500
miles (``shoes-mileage``), and low back pain resolves in two weeks, severe episodes in
4-6 weeks or more (``recovery-2-6-weeks``). Each is set against the published summary data
in ``data/rules_facts.csv`` and ``data/menezescosta2012_pain.csv``:

1. Buist 2008 (RCT of a programme built on the 10% rule): a granularity search for the
   arm sizes and injury counts behind the printed 20.8%, 20.3% and chi-square 0.016, the
   risk ratio over the splits that fit, and the smallest risk ratio the trial could detect;
   Nielsen 2014: the P value implied by the printed hazard ratio and CI.
2. Rodacki 2024 (cadence and spinal shrinkage, 15 runners) beside Garbutt 1990's paces
   (``data/garbutt1990_shrinkage.csv``), and what 15 runners can detect.
3. Shoe-wear studies against the 300-500 mile band and the 250-mile variant.
4. Menezes Costa 2012's course of pain, fitted by decay curves (weighted by the CIs), with
   Henschke 2008's median recovery times.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from statsmodels.stats.power import NormalIndPower

from runspine import claims, data
from runspine.stats import counts, curves, groups, meta, power, prevalence, summary

NOTEBOOK = "06_running_rules_of_thumb"
FACTS = "rules_facts"
PAIN = "menezescosta2012_pain"
KM_PER_MILE = 1.609344  # international mile, exact
DAYS_PER_WEEK = 7.0
Z95 = 1.959963984540054


def fact(study: str, quantity: str) -> float:
    """One value of ``data/rules_facts.csv``."""
    return data.fact(FACTS, study, quantity)


def facts_table() -> pd.DataFrame:
    """All rules-of-thumb facts (for display)."""
    return data.load_table(FACTS)


# ------------------------------------------------------------------ 1. the 10% rule --

def buist_splits(total_low: int, total_high: int, cap_at_randomised: bool,
                 correction: bool) -> pd.DataFrame:
    """Every split of an analysed total in [``total_low``, ``total_high``] into graded (n1, a
    injured)
    and standard (n2, c) arms whose percentages round to 20.8% and 20.3%, with the
    chi-square each gives, whether it rounds to the printed 0.016, and its risk ratio.

    ``cap_at_randomised`` keeps arms no larger than the randomised 264 / 268 (the BJSM
    summary's arm sizes), as an analysed arm cannot exceed its randomised arm.
    """
    n_total = int(fact("buist2008", "n_randomised"))
    cap1 = int(fact("buist2008", "n_graded")) if cap_at_randomised else None
    cap2 = int(fact("buist2008", "n_standard")) if cap_at_randomised else None
    rows = counts.granularity_splits(
        range(int(total_low), min(int(total_high), n_total) + 1), fact("buist2008", "pct_injured_graded"),
        fact("buist2008", "pct_injured_standard"), 1, fact("buist2008", "chi2"), 3,
        correction, cap1, cap2)
    frame = pd.DataFrame(rows, columns=["total", "n1", "a", "n2", "c", "pct1", "pct2", "chi2",
                                        "p", "chi2_fits"])
    rr = [counts.risk_ratio(r.a, r.n1, r.c, r.n2) for r in frame.itertuples()]
    frame["rr"] = [x.rr for x in rr]
    frame["rr_ci_low"] = [x.ci_low for x in rr]
    frame["rr_ci_high"] = [x.ci_high for x in rr]
    return frame.sort_values(["total", "n1"], ascending=[False, True]).reset_index(drop=True)


def randomised_arms_check() -> pd.DataFrame:
    """Whether the randomised arms (264 graded, 268 standard) can give 20.8% and 20.3%:
    the counts nearest each percentage and what they print as."""
    rows = []
    for arm, n_key, pct_key in (("graded (10% rule)", "n_graded", "pct_injured_graded"),
                                ("standard", "n_standard", "pct_injured_standard")):
        n = int(fact("buist2008", n_key))
        pct = fact("buist2008", pct_key)
        k = round(pct / 100 * n)
        near = [(x, 100 * x / n) for x in (k - 1, k, k + 1)]
        rows.append({"arm": arm, "randomised n": n, "printed %": pct,
                     "nearest counts (printed as)": ", ".join(f"{x}/{n} = {p:.1f}%"
                                                              for x, p in near),
                     "an integer count prints the %": any(round(p, 1) == pct for _, p in near)})
    return pd.DataFrame(rows)


def buist_summary(splits: pd.DataFrame) -> dict:
    """Summary of the fitting splits: how many, the largest analysed total, the RR range and
    the envelope of their 95% CIs."""
    fit = splits[splits["chi2_fits"]]
    at_full = fit[fit["total"] == int(fact("buist2008", "n_randomised"))]
    if fit.empty:
        nan = float("nan")
        return {"n_pct_splits": len(splits), "n_fits": 0, "n_fits_at_532": 0,
                "largest_total": nan, "best": None, "rr_min": nan, "rr_max": nan,
                "ci_low_min": nan, "ci_high_max": nan}
    best = fit.iloc[0]  # largest total, then the most balanced listed first among ties
    top = fit[fit["total"] == best["total"]]
    best = top.iloc[(top["n1"] - top["n2"]).abs().argsort().iloc[0]]
    return {"n_pct_splits": len(splits), "n_fits": len(fit), "n_fits_at_532": len(at_full),
            "largest_total": int(best["total"]), "best": best.to_dict(),
            "rr_min": float(fit["rr"].min()), "rr_max": float(fit["rr"].max()),
            "ci_low_min": float(fit["rr_ci_low"].min()),
            "ci_high_max": float(fit["rr_ci_high"].max())}


def buist_reproduction(splits: pd.DataFrame, correction: bool) -> pd.DataFrame:
    """Reported vs recomputed for Buist 2008 (the best-fitting split) and Nielsen 2014."""
    s = buist_summary(splits)
    rows = []
    if s["best"] is not None:
        b = s["best"]
        x2, p = counts.chi2_2x2(int(b["a"]), int(b["n1"]), int(b["c"]), int(b["n2"]),
                                correction)
        split = f"{int(b['a'])}/{int(b['n1'])} vs {int(b['c'])}/{int(b['n2'])}"
        rows += [
            {"study": "buist2008", "quantity": "injury incidence, graded (10% rule)",
             "reported": "20.8%", "recomputed": f"{b['pct1']:.2f}% ({split.split(' vs ')[0]})",
             "consistent": round(b["pct1"], 1) == 20.8, "note": "best-fitting split"},
            {"study": "buist2008", "quantity": "injury incidence, standard",
             "reported": "20.3%", "recomputed": f"{b['pct2']:.2f}% ({split.split(' vs ')[1]})",
             "consistent": round(b["pct2"], 1) == 20.3, "note": "best-fitting split"},
            {"study": "buist2008", "quantity": "chi-square (df 1)", "reported": "0.016",
             "recomputed": f"{x2:.4f}", "consistent": round(x2, 3) == 0.016,
             "note": ("Yates-corrected" if correction else "Pearson, no continuity correction")
                     + f"; {s['n_fits']} splits fit in all"},
            {"study": "buist2008", "quantity": "P of the chi-square", "reported": "0.90",
             "recomputed": f"{p:.3f}", "consistent": round(p, 2) == 0.90, "note": ""},
        ]
    else:
        rows.append({"study": "buist2008", "quantity": "percentages and chi-square",
                     "reported": "20.8%, 20.3%, 0.016", "recomputed": "no split fits",
                     "consistent": False, "note": "widen the searched totals"})
    n = nielsen_p()
    rows.append({"study": "nielsen2014", "quantity": "P of HR 1.59 (0.96 to 2.66), log scale",
                 "reported": f"{fact('nielsen2014', 'p_distance_injury_over30_vs_under10'):.2f}",
                 "recomputed": f"{n.p:.3f} (rounding range {n.p_min:.3f} to {n.p_max:.3f})",
                 "consistent": n.p_min - 0.005 <= 0.07 <= n.p_max + 0.005,
                 "note": "Altman & Bland 2011 method"})
    return pd.DataFrame(rows)


def nielsen_p() -> counts.RatioP:
    """P implied by Nielsen 2014's HR 1.59 (0.96 to 2.66)."""
    f = data.facts(FACTS, "nielsen2014").loc["hr_distance_injury_over30_vs_under10"]
    return counts.p_from_ratio_ci(float(f["value"]), float(f["ci_low"]), float(f["ci_high"]), 2)


def buist_power(alpha: float, target_power: float) -> dict:
    """Smallest risk ratios (graded vs standard) the randomised arms could detect, with the
    standard arm's printed risk as the control risk."""
    n1, n2 = fact("buist2008", "n_graded"), fact("buist2008", "n_standard")
    p0 = fact("buist2008", "pct_injured_standard") / 100
    return {"n1": n1, "n2": n2, "p_control": p0,
            "h": prevalence.min_detectable_h(n1, n2, alpha, target_power),
            "rr_lower": counts.min_detectable_rr(n1, n2, p0, alpha, target_power, "lower"),
            "rr_higher": counts.min_detectable_rr(n1, n2, p0, alpha, target_power, "higher")}


def buist_power_curve(alpha: float, rrs) -> pd.DataFrame:
    """Power of the trial (randomised arms) to detect each true risk ratio below 1."""
    n1, n2 = fact("buist2008", "n_graded"), fact("buist2008", "n_standard")
    p0 = fact("buist2008", "pct_injured_standard") / 100
    rows = []
    for rr in rrs:
        h = abs(power.cohens_h(rr * p0, p0))
        pw = NormalIndPower().power(h, nobs1=n1, ratio=n2 / n1, alpha=alpha)
        rows.append({"risk ratio (graded / standard)": rr, "power": float(pw)})
    return pd.DataFrame(rows)


def ten_percent_verdict(s: dict, pw: dict) -> claims.Verdict:
    """Verdict on ``ten-percent`` (the rule prevents injuries).

    supported: the fitting splits' CIs all lie below 1; partly supported: the RRs lie
    below 1 but the CIs reach 1; not supported: the RRs are at or above 1.
    """
    n = nielsen_p()
    hr = data.facts(FACTS, "nielsen2014").loc["hr_distance_injury_over30_vs_under10"]
    if s["n_fits"] == 0:
        direction, rr_text = "against", "no split of the trial fits its printed numbers"
    else:
        # the trial tested a programme built on the rule: every fitting split's interval
        # below 1 is direct evidence for it, risk ratios below 1 with intervals reaching 1
        # partly for it, risk ratios at or above 1 a direct test that found no benefit
        direction = ("for" if s["ci_high_max"] < 1 else
                     "partly" if s["rr_max"] < 1 else "against")
        rr_text = (f"the randomised trial of a 10%-rule programme (Buist 2008, 532 novices) "
                   f"found injuries in 20.8% vs 20.3% with a standard programme: risk ratio "
                   f"{s['rr_min']:.3f} to {s['rr_max']:.3f} over the {s['n_fits']} ways of "
                   f"dividing its runners between the two groups that reproduce its numbers "
                   f"(95% CIs from {s['ci_low_min']:.2f} to {s['ci_high_max']:.2f})")
    verdict = claims.weigh([
        claims.Line("direct", direction, "Buist 2008"),
        claims.Line("indirect", "partly", "Nielsen 2014: weekly increases over 30% vs under "
                    "10%, not the 10% limit itself")])
    return claims.Verdict(
        "ten-percent", verdict,
        f"{rr_text}; the trial could detect a risk ratio of {pw['rr_lower']:.2f} or lower "
        f"with 80% power, so a large benefit is unlikely but a small one cannot be excluded; "
        f"it tested a whole programme built on the rule (13 vs 8 weeks), not the 10% "
        f"threshold, and its injuries include but do not separate the back. Nielsen 2014 "
        f"(874 novices) found distance-related injuries more often after weekly increases "
        f"over 30% than under 10% (HR {float(hr['value']):.2f}, "
        f"{float(hr['ci_low']):.2f} to {float(hr['ci_high']):.2f}; P recomputed "
        f"{n.p:.3f}), none of them back injuries, and no difference for all injuries: "
        "evidence against big jumps, not for 10% as the limit. So there is no evidence that "
        "the rule prevents injuries, which is not evidence that it harms. What would change "
        "it: a trial comparing the 10% limit itself with larger weekly increases that finds "
        "fewer injuries under it")


# ------------------------------------------------------------------- 2. cadence -------

def shrinkage_30min_table(level: float) -> pd.DataFrame:
    """Rodacki 2024 (30 and 60 min at 10 km/h) beside Garbutt 1990's 30-min runs at 70, 85
    and 100% of marathon pace, means with t-based CIs, and Welch's t of Rodacki's 30-min
    mean against each Garbutt pace (different runners, same stadiometry method)."""
    g = data.load_table("garbutt1990_shrinkage").set_index("condition")
    n_g = int(data.fact("shrinkage_facts", "garbutt1990", "n_total"))
    n_r = int(fact("rodacki2024", "n_runners"))
    r30 = (fact("rodacki2024", "shrinkage_30min_mean"), fact("rodacki2024", "shrinkage_30min_sd"))
    r60 = (fact("rodacki2024", "shrinkage_60min_mean"), fact("rodacki2024", "shrinkage_60min_sd"))
    rows = []
    for label, (m, sd), n, src in (
            ("Rodacki 2024: 30 min at 10 km/h", r30, n_r, "rodacki2024"),
            ("Rodacki 2024: 60 min at 10 km/h", r60, n_r, "rodacki2024")):
        lo, hi = summary.mean_ci(m, sd, n, level)
        rows.append({"run": label, "source": src, "n": n, "mean_mm": m, "sd_mm": sd,
                     "ci_low": lo, "ci_high": hi, "welch_t_vs_rodacki_30": float("nan"),
                     "welch_p_vs_rodacki_30": float("nan")})
    for cond in ("pace_70", "pace_85", "pace_100"):
        m, sd = float(g.loc[cond, "mean_mm"]), float(g.loc[cond, "sd_mm"])
        lo, hi = summary.mean_ci(m, sd, n_g, level)
        w = summary.welch_or_student_from_summary(r30[0], r30[1], n_r, m, sd, n_g)
        rows.append({"run": f"Garbutt 1990: 30 min at {int(g.loc[cond, 'pace_pct'])}% of "
                            "marathon pace", "source": "garbutt1990", "n": n_g, "mean_mm": m,
                     "sd_mm": sd, "ci_low": lo, "ci_high": hi,
                     "welch_t_vs_rodacki_30": w.statistic, "welch_p_vs_rodacki_30": w.p})
    return pd.DataFrame(rows)


def rodacki_30_vs_60(rhos) -> pd.DataFrame:
    """Paired t of 60- vs 30-min shrinkage for assumed correlations between the two (the
    paper's t test result is not in the abstract)."""
    n = int(fact("rodacki2024", "n_runners"))
    m30, s30 = fact("rodacki2024", "shrinkage_30min_mean"), fact("rodacki2024", "shrinkage_30min_sd")
    m60, s60 = fact("rodacki2024", "shrinkage_60min_mean"), fact("rodacki2024", "shrinkage_60min_sd")
    rows = []
    for rho in rhos:
        t = summary.paired_t_from_summary(m60, s60, m30, s30, n, rho)
        rows.append({"rho (assumed)": rho, "difference_mm": m60 - m30, "t": t.statistic,
                     "df": t.df, "p": t.p})
    return pd.DataFrame(rows)


def cadence_detectable(alpha: float, target_power: float, cadence_sd: float) -> dict:
    """What a correlation over 15 runners could detect: the minimum detectable |r| at
    ``target_power``, the smallest significant |r|, and the slope they imply (mm of 30-min
    shrinkage per 10 steps/min) for an assumed between-runner SD of cadence."""
    n = int(fact("rodacki2024", "n_runners"))
    sd_shrink = fact("rodacki2024", "shrinkage_30min_sd")
    r_det = groups.min_detectable_r(n, alpha, target_power)
    r_crit = groups.critical_r(n, alpha)
    return {"n": n, "r_detectable": r_det, "r_critical": r_crit,
            "slope_detectable_per10": r_det * sd_shrink / cadence_sd * 10,
            "slope_critical_per10": r_crit * sd_shrink / cadence_sd * 10,
            "cadence_sd": cadence_sd}


def cadence_verdict(det: dict, threshold: float) -> claims.Verdict:
    """Verdict on ``cadence``: at most partly supported, since no study manipulated cadence
    or measured back pain; partly when the reported relation is negative."""
    sign = fact("rodacki2024", "cadence_relation_sign")
    # one indirect line: spinal shrinkage stands in for back stress, cadence was not set
    verdict = claims.weigh([claims.Line("indirect", "for" if sign < 0 else "against",
                                        "Rodacki 2024")])
    lo, hi = fact("rodacki2024", "cadence_min"), fact("rodacki2024", "cadence_max")
    return claims.Verdict(
        "cadence", verdict,
        f"one cross-sectional study (Rodacki 2024, {det['n']} runners at 10 km/h, self-chosen "
        f"cadence {lo:.0f}-{hi:.0f} steps/min) found less spinal shrinkage at higher cadence "
        f"(30-min shrinkage {fact('rodacki2024', 'shrinkage_30min_mean'):.2f} mm, SD "
        f"{fact('rodacki2024', 'shrinkage_30min_sd'):.2f}; slope and P not in the abstract); "
        f"with {det['n']} runners a correlation had to be at least {det['r_critical']:.2f} "
        f"(either way) to be significant and {det['r_detectable']:.2f} for 80% power, so "
        f"only a strong relation could be seen. Supported: higher self-chosen cadence went "
        f"with less spinal shrinkage. Not supported: that {threshold:.0f}-180 steps/min "
        "reduces back stress or back pain - no study manipulated cadence to that range or "
        "measured back pain. What would change it: a trial that raises runners' cadence to "
        "170-180 and measures spinal load or back pain")


# --------------------------------------------------------------- 3. shoe mileage ------

def shoe_wear_table(band_low_miles: float, band_high_miles: float,
                    variant_miles: float) -> pd.DataFrame:
    """The wear studies' mileage and measured changes, placed against the rule's band."""
    def where(miles):
        if miles < variant_miles:
            return f"before the {variant_miles:g}-mile variant"
        if miles < band_low_miles:
            return f"between {variant_miles:g} and {band_low_miles:g} miles"
        if miles <= band_high_miles:
            return f"inside the {band_low_miles:g}-{band_high_miles:g} mile band"
        return f"beyond {band_high_miles:g} miles"

    hc = data.facts(FACTS, "heelcushion2010").loc["peak_force_change_pct"]
    km_h = fact("heelcushion2010", "distance_km")
    km_e = fact("escamilla2020", "distance_km")
    p0, p1 = fact("escamilla2020", "midfoot_pressure_start"), fact("escamilla2020", "midfoot_pressure_end")
    mi_k = fact("kong2009", "distance_miles")
    rows = [
        {"study": "Footwear Science 2010 (15 runners)", "km": km_h, "miles": km_h / KM_PER_MILE,
         "measure": "heel peak impact force", "change": f"+{float(hc['value']):.2f}% "
         f"(95% CI {float(hc['ci_low']):.2f} to {float(hc['ci_high']):.2f})",
         "change_pct": float(hc["value"]), "significant": float(hc["ci_low"]) > 0},
        {"study": "Escamilla-Martinez 2020 (33 runners)", "km": km_e, "miles": km_e / KM_PER_MILE,
         "measure": "midfoot peak plantar pressure",
         "change": f"{p0:g} -> {p1:g} kPa (+{100 * (p1 / p0 - 1):.1f}%), P = "
                   f"{fact('escamilla2020', 'p_midfoot_pressure'):g}",
         "change_pct": 100 * (p1 / p0 - 1),
         "significant": fact("escamilla2020", "p_midfoot_pressure") < 0.05},
        {"study": "Kong 2009 (24 runners)", "km": mi_k * KM_PER_MILE, "miles": mi_k,
         "measure": "stance time (forces unchanged: runners adapted)",
         "change": f"longer in worn shoes, P = {fact('kong2009', 'p_stance_time'):g}",
         "change_pct": float("nan"), "significant": fact("kong2009", "p_stance_time") < 0.05},
    ]
    frame = pd.DataFrame(rows)
    frame["relative to the rule"] = [where(m) for m in frame["miles"]]
    frame["label"] = [(f"{frame.loc[0, 'study'].split(' (')[0]}: impact force "
                       f"+{frame.loc[0, 'change_pct']:.1f}%"),
                      (f"{frame.loc[1, 'study'].split(' (')[0]}: midfoot pressure "
                       f"+{frame.loc[1, 'change_pct']:.0f}%"),
                      (f"{frame.loc[2, 'study'].split(' (')[0]}: stance time longer "
                       f"(P = {fact('kong2009', 'p_stance_time'):g})")]
    return frame


def shoes_verdict(table: pd.DataFrame, band_low: float, band_high: float,
                  variant: float) -> claims.Verdict:
    """Verdict on ``shoes-mileage``: partly supported when wear changes are measurable by
    the band's upper end (shoes do change by then); never supported, as no study ties a
    replacement mileage to injury or back pain."""
    by_band = table[(table["miles"] <= band_high) & table["significant"]]
    # indirect only: wear measured on the shoe stands in for injury or back pain
    verdict = claims.weigh([claims.Line("indirect", "for" if len(by_band) else "against",
                                        "shoe-wear studies")])
    hc = table.iloc[0]
    es = table.iloc[1]
    return claims.Verdict(
        "shoes-mileage", verdict,
        f"shoes change measurably within or before the {band_low:g}-{band_high:g} mile "
        f"({band_low * KM_PER_MILE:.0f}-{band_high * KM_PER_MILE:.0f} km) band: heel impact "
        f"force {hc['change']} after {hc['miles']:.0f} "
        f"miles, midfoot pressure +{es['change_pct']:.0f}% after {es['miles']:.0f} miles, "
        f"longer stance time after 200 miles (the {variant:g}-mile variant's range). The "
        "changes are modest (machine tests over-state them) and no study ties a replacement "
        "mileage to injury or back pain, so the 300-500 mile figure is a plausible wear "
        "range, not an evidence-based injury threshold. What would change it: a study "
        "relating shoe mileage to injuries or back pain")


# ------------------------------------------------------------- 4. recovery time -------

def pain_course() -> pd.DataFrame:
    """Menezes Costa 2012 mean pain (0-100) by cohort and week, with SE from the 95% CI
    (half-width / 1.96; the printed CIs are slightly asymmetric, from rounding)."""
    t = data.load_table(PAIN)
    t["se"] = meta.se_from_ci(t["ci_low"].to_numpy(), t["ci_high"].to_numpy())
    return t


def fit_cohorts(form: str) -> dict:
    """One weighted decay fit per cohort type (acute, persistent)."""
    t = pain_course()
    return {c: curves.fit_decay(sub["week"], sub["mean"], sub["se"], form)
            for c, sub in t.groupby("cohort", sort=True)}


def curve_frame(fits: dict, t_max: float = 52, step: float = 0.5) -> pd.DataFrame:
    """Fitted curves with 95% CIs on a grid of weeks, for the figure."""
    grid = np.arange(0, t_max + step / 2, step)
    rows = []
    for cohort, fit in fits.items():
        p = curves.predict(fit, grid)
        rows.append(pd.DataFrame({"cohort": cohort, "week": grid, "mean": p["value"],
                                  "ci_low": p["ci_low"], "ci_high": p["ci_high"]}))
    return pd.concat(rows, ignore_index=True)


def predictions(fits: dict, weeks, resolved: float) -> pd.DataFrame:
    """Expected mean pain at ``weeks`` per cohort (95% CI), and the week the curve reaches
    the ``resolved`` level.

    ``fit_chi2``, ``fit_df``, ``fit_p``: the weighted residual chi-square of the cohort's fit
    (a small P means the curve misses the points by more than their SEs allow). The
    ``*_widened`` interval multiplies the CI's half-widths by sqrt(chi2 / df) when that
    exceeds 1 (the residual scale factor R's ``nls`` applies by default). Either interval
    still takes the four averages as independent (their cohorts overlap) and the curve's
    shape as known."""
    rows = []
    for cohort, fit in fits.items():
        p = curves.predict(fit, weeks)
        ttl = curves.time_to_level(fit, resolved)
        widen = math.sqrt(max(1.0, fit.chi2 / fit.df)) if fit.df > 0 else float("nan")
        for i, w in enumerate(weeks):
            value = float(p["value"][i])
            rows.append({"cohort": cohort, "form": fit.form, "week": float(w),
                         "pain": value, "ci_low": float(p["ci_low"][i]),
                         "ci_high": float(p["ci_high"][i]),
                         "fit_chi2": fit.chi2, "fit_df": fit.df, "fit_p": fit.p_fit,
                         "ci_low_widened": value - widen * (value - float(p["ci_low"][i])),
                         "ci_high_widened": value + widen * (float(p["ci_high"][i]) - value),
                         "resolved_level": resolved,
                         "week_resolved": ttl["time"], "week_resolved_ci_low": ttl["ci_low"],
                         "week_resolved_ci_high": ttl["ci_high"]})
    return pd.DataFrame(rows)


def fit_table(fits: dict) -> pd.DataFrame:
    """Parameters (with SEs) and the weighted residual chi-square of each fit; the decay
    rate ``k`` of the curve forms is the column ``rate``."""
    rows = []
    for cohort, fit in fits.items():
        row = {"cohort": cohort, "form": fit.form, "chi2": fit.chi2, "df": fit.df,
               "p_fit": fit.p_fit}
        for name, v, s in zip(fit.names, fit.theta, fit.se_theta):
            name = "rate" if name == "k" else name  # the decay rate, not a number of studies
            row[name] = float(v)
            row[f"se_{name}"] = float(s)
        rows.append(row)
    return pd.DataFrame(rows)


def form_sensitivity(weeks, resolved: float) -> pd.DataFrame:
    """Predictions and time to ``resolved`` for every curve form (sensitivity analysis)."""
    return pd.concat([predictions(fit_cohorts(f), weeks, resolved) for f in curves.FORMS],
                     ignore_index=True)


def resolved_sensitivity(form: str, levels) -> pd.DataFrame:
    """Week at which each cohort's curve reaches each 'resolved' pain level."""
    fits = fit_cohorts(form)
    rows = []
    for lvl in levels:
        for cohort, fit in fits.items():
            ttl = curves.time_to_level(fit, lvl)
            rows.append({"resolved_level": lvl, "cohort": cohort, "form": form,
                         "week_resolved": ttl["time"], "ci_low": ttl["ci_low"],
                         "ci_high": ttl["ci_high"], "reached": ttl["reached"]})
    return pd.DataFrame(rows)


def henschke_table(claim_days: float) -> pd.DataFrame:
    """Henschke 2008 median times to recovery (days, weeks) against the claimed two weeks."""
    f = data.facts(FACTS, "henschke2008")
    rows = []
    for key, what in (("median_days_work", "return to previous work status"),
                      ("median_days_disability", "recovery from disability"),
                      ("median_days_pain", "recovery from pain")):
        r = f.loc[key]
        rows.append({"outcome": what, "median_days": float(r["value"]),
                     "ci_low_days": float(r["ci_low"]), "ci_high_days": float(r["ci_high"]),
                     "median_weeks": float(r["value"]) / DAYS_PER_WEEK,
                     "within_claim": float(r["value"]) <= claim_days,
                     "ci_excludes_claim": float(r["ci_low"]) > claim_days})
    return pd.DataFrame(rows)


def recovery_verdict(pred: pd.DataFrame, henschke: pd.DataFrame, claim_weeks: float,
                     severe_low_weeks: float, severe_high_weeks: float,
                     resolved: float) -> claims.Verdict:
    """Verdict on ``recovery-2-6-weeks`` by the written rule (:func:`runspine.claims.weigh`),
    in two parts.

    A, "should resolve in as quickly as two weeks": a best case, so the evidence is how
    soon some patients of an acute inception cohort recover. Henschke 2008's median time
    to pain recovery within ``claim_weeks`` would be direct evidence for it; its median
    return to usual work within that time is indirect evidence for it (work, not pain). The
    average course (Menezes Costa 2012's acute curve) counts for it only if even the
    average has fallen to ``resolved`` by then; otherwise it says nothing about the best
    case.
    B, "severe episodes can take 4-6 weeks or longer": Henschke's acute cohort taking
    longer than ``severe_low_weeks`` to recover from pain (median) is direct evidence; the
    acute curve still above ``resolved`` at ``severe_low_weeks`` is indirect. The
    persistent cohorts, selected for pain lasting over 12 weeks, are shown but not weighed.
    """
    def at(cohort, week):
        row = pred[(pred["cohort"] == cohort) & np.isclose(pred["week"], week)].iloc[0]
        return row

    a2 = at("acute", claim_weeks)
    a_low = at("acute", severe_low_weeks)
    a6 = at("acute", severe_high_weeks)
    p4 = at("persistent", severe_low_weeks)
    pain = henschke.set_index("outcome").loc["recovery from pain"]
    work = henschke.set_index("outcome").loc["return to previous work status"]
    course = pain_course()
    year_mean = float(course[(course["cohort"] == "persistent")
                             & (course["week"] == course["week"].max())]["mean"].iloc[0])
    recovered_12m = fact("henschke2008", "pct_recovered_12m")
    n = int(fact("henschke2008", "n_patients"))
    days = claim_weeks * DAYS_PER_WEEK
    form = a2["form"].replace("_", " ")
    lines = [
        claims.Line("direct", "for" if pain["median_days"] <= days else "neither",
                    f"Henschke 2008 ({n} primary-care patients with pain of less than two "
                    f"weeks): median time to recovery from pain {pain['median_days']:.0f} days "
                    f"({pain['ci_low_days']:.0f} to {pain['ci_high_days']:.0f}), so the typical "
                    f"patient takes longer than {claim_weeks:g} weeks; the share recovered by "
                    "day 14, which a best case needs, is not in the data", part="A"),
        claims.Line("indirect", "for" if work["median_days"] <= days else "neither",
                    f"half of Henschke's patients who had cut back work were back at their "
                    f"usual work by day {work['median_days']:.0f} ({work['ci_low_days']:.0f} "
                    f"to {work['ci_high_days']:.0f})", part="A"),
        claims.Line("indirect", "for" if a2["pain"] <= resolved else "neither",
                    f"the average course (Menezes Costa 2012, acute cohorts, {form} curve): "
                    f"mean pain {a2['pain']:.0f}/100 at week {claim_weeks:g} from 52 at onset "
                    f"(95% CI {a2['ci_low']:.0f} to {a2['ci_high']:.0f}, or "
                    f"{a2['ci_low_widened']:.0f} to {a2['ci_high_widened']:.0f} allowing for the "
                    f"curve's poor fit: P = {a2['fit_p']:.3f} of points this far from it if it "
                    f"were the true curve, chi-square {a2['fit_chi2']:.2f} on {a2['fit_df']:.0f} "
                    f"degree{'' if a2['fit_df'] == 1 else 's'} of freedom); week "
                    f"{claim_weeks:g} lies between the measured weeks 0 and 6, so this is an "
                    "interpolation, and the four averages come from overlapping cohorts; an "
                    "average is not the best case", part="A"),
        claims.Line("direct", "for" if pain["median_days"] > severe_low_weeks * DAYS_PER_WEEK
                    else "neither",
                    f"in Henschke's acute cohort half took longer than {pain['median_days']:.0f} "
                    f"days to recover from pain and {100 - recovered_12m:.0f}% had not "
                    "recovered at 12 months", part="B"),
        claims.Line("indirect", "for" if a_low["pain"] > resolved else "neither",
                    f"the acute cohorts' average is still {a_low['pain']:.0f}/100 at week "
                    f"{severe_low_weeks:g} and {a6['pain']:.0f} at week {severe_high_weeks:g}",
                    part="B"),
    ]
    part_a = claims.weigh([x for x in lines if x.part == "A"])
    part_b = claims.weigh([x for x in lines if x.part == "B"])
    return claims.Verdict(
        "recovery-2-6-weeks", claims.weigh(lines),
        f"'Should resolve in as quickly as two weeks' (a best case): {part_a}; 'severe "
        f"episodes can take {severe_low_weeks:g}-{severe_high_weeks:g} weeks or longer': "
        f"{part_b}. " + claims.lines_text(lines) + ". Shown but not weighed: "
        f"cohorts with persistent pain still average {p4['pain']:.0f}/100 at week "
        f"{severe_low_weeks:g} and {year_mean:.0f} at a year (observed), but they were "
        "selected for pain lasting more than 12 weeks, so they cannot show how long an "
        f"episode takes. 'Resolved' is taken as mean pain at or below {resolved:g}/100 (an "
        "assumption, varied in the sensitivity analysis). What would change it: the share "
        "of a group of patients followed from the start of their pain (an inception cohort) "
        "free of pain by day 14 (Henschke 2008's recovery curve, not digitized here): a "
        "sizeable share would make the claim supported, almost none would leave only its "
        "second part")


def headline_table(s: dict, pw: dict, det: dict, shoes: pd.DataFrame,
                   pred: pd.DataFrame) -> pd.DataFrame:
    """One line per rule with its key number (for the summary at the top of the claims)."""
    a2 = pred[(pred["cohort"] == "acute") & np.isclose(pred["week"], 2)]
    rows = [
        {"rule": "10% a week", "key number": f"RR {s['rr_min']:.2f}-{s['rr_max']:.2f} "
         f"(CIs {s['ci_low_min']:.2f} to {s['ci_high_max']:.2f}); detectable RR "
         f"<= {pw['rr_lower']:.2f}"},
        {"rule": "cadence 170-180", "key number": f"|r| >= {det['r_critical']:.2f} needed for "
         f"significance with {det['n']} runners"},
        {"rule": "shoes 300-500 miles", "key number": f"impact force +{shoes.iloc[0]['change_pct']:.2f}% "
         f"after {shoes.iloc[0]['miles']:.0f} miles"},
    ]
    if not a2.empty:
        rows.append({"rule": "recovery in 2 weeks", "key number":
                     f"acute pain {a2.iloc[0]['pain']:.0f}/100 at week 2 (from 52)"})
    return pd.DataFrame(rows)
