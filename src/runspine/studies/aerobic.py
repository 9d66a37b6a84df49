"""Aerobic exercise and chronic low back pain (Chatzitheodorou 2007; Meng & Yue 2015).

Three layers, kept apart on purpose:

1. Chatzitheodorou 2007 (the articles' "41%, 31%, 35%"): within-group changes in the
   exercise arm only, with t(10) statistics. Reproduced as P values and within-group d_z.
2. Meng & Yue 2015 (the "systematic review"): five pooled SMDs with CIs and P values,
   checked for internal consistency (SE from the CI, z, P, CI symmetry).
3. A random-effects re-analysis of study-level effects transcribed from open sources
   (``aerobic_trials``, ``aerobic_trial_effects``). Only effects that carry a variance are
   pooled; an outcome is pooled only when at least ``min_studies`` (>= 2) studies have one.
   Published pooled values from reviews are shown beside it as reference points, never
   mixed into the pool.

Sign convention: effects are exercise minus control on higher-is-worse scales, so a
negative SMD favours exercise. Meng & Yue print decreases as positive SMDs; they are shown
as printed in the reproduction and with the sign flipped in the reference table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from runspine import claims, data
from runspine.stats import meta

STUDY = "chatzitheodorou2007"
REVIEW = "meng2015"
NOTEBOOK = "03_activity_pain_reduction"
FACTS = "aerobic_facts"
OUTCOMES = ("pain", "disability")
CHATZ_OUTCOMES = (("pain", "pain"), ("disability", "disability"), ("psych", "psychological"))
MENG = (("rmdq", "Roland-Morris (disability)"), ("odi", "Oswestry (disability)"),
        ("hads", "HADS (anxiety/depression)"), ("mcgill", "McGill (pain)"),
        ("vas", "VAS (pain)"))
# P values that allow a p-derived SMD when an MD has no SD or CI (sensitivity only).
P_FACTS = {("krein2013", "disability"): "p_rdq_6mo", ("krein2013", "pain"): "p_pain_6mo"}
# Published pooled values shown as reference points (not re-analysed).
_MENG_CONTRAST = "aerobic exercise, 'cohort studies' (comparator not stated)"
_POC = "walking/running vs minimal or no intervention"
# (source, fact quantity, outcome, contrast, short label). Shown, never pooled.
REFERENCE_ROWS = (
    ("pocovi2022", "smd_pain_short_vs_minimal", "pain", f"{_POC}, short term",
     "Pocovi 2022, walk/run vs minimal, short"),
    ("pocovi2022", "smd_pain_medium_vs_minimal", "pain", f"{_POC}, medium term",
     "Pocovi 2022, walk/run vs minimal, medium"),
    ("pocovi2022", "smd_disability_short_vs_minimal", "disability", f"{_POC}, short term",
     "Pocovi 2022, walk/run vs minimal, short"),
    ("wewege2018", "smd_pain_exercise_vs_usual_care", "pain",
     "aerobic and resistance training pooled vs usual care",
     "Wewege 2018, aerobic+resistance vs usual care"),
    ("verville2023", "smd_pain_exercise_vs_none", "pain",
     "all exercise types vs no intervention", "Verville 2023, all exercise vs none"),
    ("verville2023", "smd_function_exercise_vs_none", "disability",
     "all exercise types vs no intervention", "Verville 2023, all exercise vs none"),
    ("meng2015", "smd_vas", "pain", _MENG_CONTRAST, "Meng & Yue 2015, VAS"),
    ("meng2015", "smd_mcgill", "pain", _MENG_CONTRAST, "Meng & Yue 2015, McGill"),
    ("meng2015", "smd_rmdq", "disability", _MENG_CONTRAST, "Meng & Yue 2015, Roland-Morris"),
    ("meng2015", "smd_odi", "disability", _MENG_CONTRAST, "Meng & Yue 2015, Oswestry"),
)
REVIEW_KEYS = ("meng2015", "hayden2021", "pocovi2022", "wewege2018", "oconnor2015",
               "verville2023", "owen2020")
TRIAL_REASONS = {
    "chatzitheodorou2008": "no non-exercise control (all 64 exercised; split by DST result)",
    "bruehl2020": "between-group P only (P < 0.04); means/SDs in full text not retrieved",
    "shnayderman2013": "active comparator (strengthening); no pain or disability numbers read",
    "chan2011": "add-on design (aerobic + physiotherapy vs physiotherapy); only 'no difference'",
    "lang2021": "only 'no significant difference in ODI change'; per-arm data not retrieved",
    "hartvigsen2010": "arm sizes only; 'no mean differences' between groups; data not retrieved",
    "kell2009": "arm sizes only; within-group 'no significant improvements'",
    "cho2015": "add-on design; 'no interaction effect'; means/SDs not retrieved",
    "hurley2015": "active comparator (usual physiotherapy); printed MD lies outside its CI",
    "lee2016": "combined strength + walking arm, control n = 6; means/SDs not retrieved",
}


# --------------------------------------------------------------------------- data
def load_trials() -> pd.DataFrame:
    """Per-arm outcome rows (``aerobic_trials``)."""
    return data.load_table("aerobic_trials")


def load_effects() -> pd.DataFrame:
    """Reported effects without per-arm SDs (``aerobic_trial_effects``)."""
    return data.load_table("aerobic_trial_effects")


def load_facts() -> pd.DataFrame:
    """All scalar facts (``aerobic_facts``)."""
    return data.load_table(FACTS)


def _fact(study: str, quantity: str) -> float:
    return data.fact(FACTS, study, quantity)


def _fact_or_none(facts: pd.DataFrame, study: str, quantity: str):
    sub = facts[(facts["study"] == study) & (facts["quantity"] == quantity)]
    return None if sub.empty else float(sub["value"].iloc[0])


# --------------------------------------------------------------------------- reproduction
def chatzitheodorou_table(n_values=(10, 11), level: float = 0.95) -> pd.DataFrame:
    """Chatzitheodorou 2007 exercise arm: % change, t(10), recomputed P and d_z by n.

    P uses the printed df = 10; d_z = t / sqrt(n) with a noncentral-t CI
    (:func:`runspine.stats.meta.dz_from_t`, df = n - 1) for each assumed n.
    """
    df_printed = int(_fact(STUDY, "df_t"))
    rows = []
    for key, label in CHATZ_OUTCOMES:
        t = _fact(STUDY, f"t_{key}")
        for n in n_values:
            dz = meta.dz_from_t(t, int(n), level)
            rows.append({"outcome": label, "pct_change": _fact(STUDY, f"pct_change_{key}"),
                         "t": t, "df_printed": df_printed,
                         "p_df_printed": float(2 * stats.t.sf(t, df_printed)),
                         "n_assumed": int(n), "dz": dz.dz, "dz_ci_low": dz.ci_low,
                         "dz_ci_high": dz.ci_high})
    return pd.DataFrame(rows)


def meng_table(level: float = 0.95) -> pd.DataFrame:
    """Meng & Yue 2015: SE from each CI, z, P (with rounding range) and CI asymmetry."""
    facts = data.facts(FACTS, REVIEW)
    rows = []
    for key, label in MENG:
        rec = facts.loc[f"smd_{key}"]
        prow = facts.loc[f"p_{key}"]
        w = meta.wald_from_ci(float(rec["value"]), float(rec["ci_low"]), float(rec["ci_high"]),
                              decimals=2, level=level)
        p_rep, rel = float(prow["value"]), str(prow["relation"])
        if rel == "<":
            ok = w.p_min < p_rep
        else:
            half = 0.5 * 10.0 ** -_decimals(p_rep)
            ok = (w.p_min <= p_rep + half) and (w.p_max >= p_rep - half)
        rows.append({"outcome": label, "key": key, "smd": float(rec["value"]),
                     "ci_low": float(rec["ci_low"]), "ci_high": float(rec["ci_high"]),
                     "p_reported": f"P {'<' if rel == '<' else '='} {p_rep:g}", "se": w.se,
                     "z": w.z, "p_recomputed": w.p, "p_min_rounding": w.p_min,
                     "p_max_rounding": w.p_max, "ci_asymmetry": w.asymmetry,
                     "symmetric": abs(w.asymmetry) <= 0.01 + 1e-9, "p_consistent": bool(ok)})
    return pd.DataFrame(rows)


def _decimals(x: float) -> int:
    text = f"{x:g}"
    return len(text.split(".")[1]) if "." in text else 0


def reproduction_table(n_exercise: int, level: float = 0.95) -> pd.DataFrame:
    """Reported vs recomputed (study, quantity, reported, recomputed, consistent, note)."""
    rows = []
    chz = chatzitheodorou_table((n_exercise, 11) if n_exercise != 11 else (11,), level)
    df_printed = int(_fact(STUDY, "df_t"))
    for rec in chz.itertuples():
        if rec.n_assumed == chz["n_assumed"].iloc[0]:
            rows.append({"study": STUDY, "quantity": f"P of within-group t, {rec.outcome}",
                         "reported": f"t({df_printed}) = {rec.t:g}, P < .001",
                         "recomputed": f"P = {rec.p_df_printed:.2g}",
                         "consistent": bool(rec.p_df_printed < 0.001),
                         "note": "two-sided, df as printed; exercise arm only"})
        rows.append({"study": STUDY,
                     "quantity": f"within-group d_z, {rec.outcome}, n = {rec.n_assumed}",
                     "reported": "not reported",
                     "recomputed": f"{rec.dz:.2f} ({level:.0%} CI {rec.dz_ci_low:.2f} to "
                                   f"{rec.dz_ci_high:.2f})",
                     "consistent": True,
                     "note": "d_z = t / sqrt(n), noncentral-t CI with df = n - 1; standardised "
                             "by the SD of the change, not comparable with a between-group g"})
    rows.append({"study": STUDY, "quantity": "df of the paired t vs group size",
                 "reported": f"df = {df_printed}",
                 "recomputed": f"df = {n_exercise - 1} for a paired t on n = {n_exercise} "
                               f"(n = {df_printed + 1} would give df = {df_printed})",
                 "consistent": n_exercise - 1 == df_printed,
                 "note": "10 per arm is assumed (abstract: 20 randomised to two groups); "
                         "df = 10 fits 11 exercisers, or a two-sample test on 6 + 6"})
    for rec in meng_table(level).itertuples():
        rows.append({"study": REVIEW, "quantity": f"P of pooled SMD, {rec.outcome}",
                     "reported": f"{rec.smd:.2f} ({rec.ci_low:.2f} to {rec.ci_high:.2f}), "
                                 f"{rec.p_reported}",
                     "recomputed": f"SE {rec.se:.3f}, z = {rec.z:.2f}, P = {rec.p_recomputed:.2g}"
                                   f" (rounding range {rec.p_min_rounding:.2g} to "
                                   f"{rec.p_max_rounding:.2g})",
                     "consistent": rec.p_consistent,
                     "note": "SE = CI width / (2 x 1.96); P from z; range over estimate and "
                             "limits that round to the printed values"})
        rows.append({"study": REVIEW, "quantity": f"CI symmetry, {rec.outcome}",
                     "reported": f"{rec.ci_low:.2f} to {rec.ci_high:.2f} around {rec.smd:.2f}",
                     "recomputed": f"upper arm minus lower arm = {rec.ci_asymmetry:+.2f}",
                     "consistent": rec.symmetric,
                     "note": "symmetric within rounding (|asymmetry| <= 0.01) as expected for "
                             "estimate +/- 1.96 SE"})
    # McDonough 2013: reported d vs g from the (derived) per-arm SDs.
    trials = load_trials()
    mc = trials[(trials["study"] == "mcdonough2013") & (trials["outcome"] == "disability")].iloc[0]
    g, _ = meta.hedges_g(mc["mean_treat"], mc["sd_treat"], mc["n_treat"], mc["mean_ctrl"],
                         mc["sd_ctrl"], mc["n_ctrl"])
    sp = np.sqrt(((mc["n_treat"] - 1) * mc["sd_treat"] ** 2 + (mc["n_ctrl"] - 1)
                  * mc["sd_ctrl"] ** 2) / (mc["n_treat"] + mc["n_ctrl"] - 2))
    d = (mc["mean_treat"] - mc["mean_ctrl"]) / sp
    d_rep = _fact("mcdonough2013", "d_odq_6mo")
    rows.append({"study": "mcdonough2013", "quantity": "between-group d, Oswestry at 6 months",
                 "reported": f"d = {d_rep:g}",
                 "recomputed": f"|d| = {abs(d):.3f} (g = {abs(float(g)):.3f}) from change "
                               "means and SDs derived from the arm CIs",
                 "consistent": bool(round(abs(float(d)), 2) == d_rep),
                 "note": "SDs derived from the printed 95% CIs with randomised n (40, 17)"})
    for arm, q in (("walking", "odq_change_walking_6mo"),
                   ("education", "odq_change_education_6mo")):
        f = data.facts(FACTS, "mcdonough2013").loc[q]
        asym = (f["ci_high"] - f["value"]) - (f["value"] - f["ci_low"])
        rows.append({"study": "mcdonough2013", "quantity": f"CI symmetry, Oswestry change, {arm}",
                     "reported": f"{f['value']:g} ({f['ci_low']:g} to {f['ci_high']:g})",
                     "recomputed": f"upper arm minus lower arm = {asym:+.2f}",
                     "consistent": bool(abs(asym) <= 0.1 + 1e-9),
                     "note": "a symmetric CI justifies deriving the arm SD from it"})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- study effects
META_COLUMNS = ["study", "outcome", "instrument", "timepoint", "n_treat", "n_ctrl",
                "mean_treat", "sd_treat", "mean_ctrl", "sd_ctrl", "yi", "vi", "ci_low",
                "ci_high", "pooled", "derivation", "source", "provenance", "note"]


def study_effects(include_p_derived: bool = False, level: float = 0.95) -> pd.DataFrame:
    """One row per (study, outcome): the best available study-level effect, as Hedges' g.

    Order of preference: per-arm means/SDs/n -> g (metafor SMD); a reported SMD with CI
    -> yi, SE² from the CI; a reported Cohen's d -> g with variance from the arm sizes;
    an MD with a CI and an SD -> MD / SD; an MD with a P value -> g from the P value, only
    if ``include_p_derived``; otherwise the row is listed with ``pooled = False`` and why.
    Within-group-only results (one arm) are listed, never pooled. Negative yi favours
    exercise.
    """
    trials, effects = load_trials(), load_effects()
    facts = load_facts()
    q = stats.norm.ppf((1 + level) / 2)
    keys = list(dict.fromkeys(list(zip(trials["study"], trials["outcome"]))
                              + list(zip(effects["study"], effects["outcome"]))))
    rows = []
    for study, outcome in keys:
        arms = trials[(trials["study"] == study) & (trials["outcome"] == outcome)]
        eff = effects[(effects["study"] == study) & (effects["outcome"] == outcome)]
        arm = arms.iloc[0] if not arms.empty else None
        base = {"study": study, "outcome": outcome, "n_treat": np.nan, "n_ctrl": np.nan,
                "mean_treat": np.nan, "sd_treat": np.nan, "mean_ctrl": np.nan,
                "sd_ctrl": np.nan, "yi": np.nan, "vi": np.nan, "pooled": False}
        if arm is not None:
            base.update({c: arm[c] for c in ("n_treat", "n_ctrl", "mean_treat", "sd_treat",
                                             "mean_ctrl", "sd_ctrl")})
            base.update(instrument=arm["instrument"], timepoint=arm["timepoint"],
                        source=arm["source"], provenance=arm["provenance"], note=arm["note"])
        complete = arm is not None and all(pd.notna(arm[c]) for c in (
            "n_treat", "mean_treat", "sd_treat", "n_ctrl", "mean_ctrl", "sd_ctrl"))
        by = {m: eff[eff["measure"] == m].iloc[0] for m in eff["measure"].unique()}
        if complete:
            yi, vi = meta.hedges_g(arm["mean_treat"], arm["sd_treat"], arm["n_treat"],
                                   arm["mean_ctrl"], arm["sd_ctrl"], arm["n_ctrl"])
            base.update(yi=float(yi), vi=float(vi), pooled=True,
                        derivation="Hedges' g from per-arm means, SDs and n (metafor SMD)")
        elif "SMD" in by and pd.notna(by["SMD"]["ci_low"]):
            e = by["SMD"]
            yi, vi = meta.smd_from_ci(e["estimate"], e["ci_low"], e["ci_high"], level)
            base.update(_effect_meta(e), yi=float(yi), vi=float(vi), pooled=True,
                        derivation="reported SMD; variance from its CI")
        elif "d" in by and pd.notna(by["d"]["n_treat"]) and pd.notna(by["d"]["n_ctrl"]):
            e = by["d"]
            yi, vi = meta.g_from_d(-abs(float(e["estimate"])), e["n_treat"], e["n_ctrl"])
            base.update(_effect_meta(e), yi=float(yi), vi=float(vi), pooled=True,
                        derivation="reported Cohen's d (favours exercise) -> g = J d; "
                                   "variance from arm sizes (no CI reported)")
            base.update(n_treat=e["n_treat"], n_ctrl=e["n_ctrl"])
        elif "MD" in by:
            e = by["MD"]
            base.update(_effect_meta(e), n_treat=e["n_treat"], n_ctrl=e["n_ctrl"])
            pkey = P_FACTS.get((study, outcome))
            p = _fact_or_none(facts, study, pkey) if pkey else None
            if include_p_derived and p is not None:
                yi, vi = meta.g_from_p(p, e["estimate"], e["n_treat"], e["n_ctrl"])
                base.update(yi=float(yi), vi=float(vi), pooled=True, provenance="derived",
                            derivation=f"SENSITIVITY: g from the printed P = {p:g} of the MD "
                                       f"{e['estimate']:g} (two-sample t, arm sizes)")
            elif pd.notna(e["ci_low"]):
                why = ("MD with a CI but no SD: not an SMD; pooled as points on 0-100 "
                       "(see points_effects)")
            else:
                why = "MD without SD or CI: listed, not pooled"
                if p is not None:
                    why += f" (a P = {p:g} exists; set include_p_derived to use it)"
                base.update(derivation=why)
        else:
            kinds = ", ".join(sorted(eff["measure"].unique())) or "one arm only"
            base.update(derivation=f"within-group results only ({kinds}): not a controlled "
                                   "effect, not pooled")
            if arm is None and not eff.empty:
                base.update(_effect_meta(eff.iloc[0]))
        if np.isfinite(base["yi"]):
            base.update(ci_low=base["yi"] - q * np.sqrt(base["vi"]),
                        ci_high=base["yi"] + q * np.sqrt(base["vi"]))
        else:
            base.update(ci_low=np.nan, ci_high=np.nan)
        rows.append(base)
    out = pd.DataFrame(rows)[META_COLUMNS]
    order = {o: i for i, o in enumerate(("pain", "disability", "psychological"))}
    return out.sort_values(["outcome", "study"], key=lambda s: s.map(order) if s.name ==
                           "outcome" else s).reset_index(drop=True)


def _effect_meta(e: pd.Series) -> dict:
    return {"instrument": e["instrument"], "timepoint": e["timepoint"], "source": e["source"],
            "provenance": e["provenance"], "note": e["note"]}


def other_trials() -> pd.DataFrame:
    """Trials found in the sources but with no usable effect (study, n, reason)."""
    facts = load_facts()
    listed = set(load_trials()["study"]) | set(load_effects()["study"])
    rows = []
    for study in dict.fromkeys(facts["study"]):
        if study in listed or study in REVIEW_KEYS:
            continue
        sub = facts[facts["study"] == study]
        ns = sub[sub["quantity"].str.startswith("n_")]
        rows.append({"study": study,
                     "arm sizes": "; ".join(f"{r.quantity[2:]} {r.value:g}"
                                            for r in ns.itertuples()),
                     "why not pooled": TRIAL_REASONS.get(study, "no effect estimate read"),
                     "source": ", ".join(dict.fromkeys(sub["source"]))})
    return pd.DataFrame(rows)


def study_counts(studies: pd.DataFrame) -> pd.DataFrame:
    """Per outcome: trials listed, trials with a poolable effect, and which."""
    rows = []
    for outcome in OUTCOMES:
        sub = studies[studies["outcome"] == outcome]
        pooled = sub[sub["pooled"]]
        rows.append({"outcome": outcome, "studies_listed": len(sub),
                     "studies_with_effect_and_variance": len(pooled),
                     "which": ", ".join(pooled["study"]) or "none"})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- pooling
POOLED_COLUMNS = ["outcome", "method", "k", "estimate", "ci_low", "ci_high", "tau2", "i2",
                  "pi_low", "pi_high", "note"]


def pooled_table(studies: pd.DataFrame, methods, min_studies: int = 2, level: float = 0.95,
                 pi_method: str = "normal", test: str = "z", min_studies_pi: int = 2
                 ) -> pd.DataFrame:
    """Pooled SMD per outcome and method, or a row saying why the outcome was not pooled.

    ``test="knha"`` gives the Hartung-Knapp-Sidik-Jonkman CI (t, k - 1 df). No prediction
    interval is given below ``min_studies_pi`` studies (the note says why)."""
    need = max(2, int(min_studies))
    rows = []
    for outcome in OUTCOMES:
        sub = studies[(studies["outcome"] == outcome) & studies["pooled"]]
        k = len(sub)
        for method in methods:
            if k < need:
                rows.append({"outcome": outcome, "method": method, "k": k,
                             "note": f"not pooled: k = {k} < {need} (min_studies)"})
                continue
            r = meta.pool(sub["yi"], sub["vi"], method, level, pi_method, test)
            note = f"{meta.METHODS[method]}; {meta.TESTS[r.test]} CI"
            pi_lo, pi_hi = r.pi_low, r.pi_high
            if k < min_studies_pi:
                pi_lo = pi_hi = np.nan
                note += (f"; no PI: k = {k} < {min_studies_pi}, too few studies to predict "
                         "where a new one lands")
            else:
                note += f"; PI {pi_method}"
            if k < 3:
                note += "; k = 2: tau2 is barely estimable"
            rows.append({"outcome": outcome, "method": method, "k": k, "estimate": r.estimate,
                         "ci_low": r.ci_low, "ci_high": r.ci_high, "tau2": r.tau2, "i2": r.i2,
                         "pi_low": pi_lo, "pi_high": pi_hi, "note": note})
    return pd.DataFrame(rows, columns=POOLED_COLUMNS)


def influence(studies: pd.DataFrame, outcome: str, method: str, level: float = 0.95,
              test: str = "z"):
    """Leave-one-out table for one outcome, or None when k < 3."""
    sub = studies[(studies["outcome"] == outcome) & studies["pooled"]]
    if len(sub) < 3:
        return None
    return meta.leave_one_out(sub["yi"], sub["vi"], list(sub["study"]), method, level, test)


def small_study_check(studies: pd.DataFrame, outcome: str, min_k: int = 10):
    """Egger's test when k >= ``min_k``; otherwise (None, reason)."""
    sub = studies[(studies["outcome"] == outcome) & studies["pooled"]]
    if len(sub) < min_k:
        return None, (f"{outcome}: {trials(len(sub), 'pooled')}, "
                      f"fewer than {min_k}; a funnel plot and Egger's test have too little "
                      "power to say anything (Cochrane Handbook 13.3.5.4)")
    return meta.egger_test(sub["yi"], sub["vi"]), ""


# --------------------------------------------------------------------------- references
def reference_table(baseline_sd: float) -> pd.DataFrame:
    """Published pooled SMDs (sign: negative favours exercise) and their points at
    ``baseline_sd``; Hayden 2021's MDs on 0-100 as printed. Not re-analysed."""
    facts = load_facts()
    rows = []
    for study, key, outcome, contrast, label in REFERENCE_ROWS:
        f = facts[(facts["study"] == study) & (facts["quantity"] == key)].iloc[0]
        sign = -1.0 if study == REVIEW else 1.0
        est, lo, hi = sign * f["value"], sign * f["ci_low"], sign * f["ci_high"]
        lo, hi = min(lo, hi), max(lo, hi)
        rows.append({"source": study, "label": label, "outcome": outcome,
                     "contrast": contrast, "measure": "SMD", "estimate": est, "ci_low": lo,
                     "ci_high": hi,
                     "points_0_100": float(meta.smd_to_points(est, baseline_sd)),
                     "points_ci_low": float(meta.smd_to_points(lo, baseline_sd)),
                     "points_ci_high": float(meta.smd_to_points(hi, baseline_sd)),
                     "note": "published pooled value, not re-analysed"
                             + ("; sign flipped from the printed decrease" if sign < 0 else "")})
    for key, outcome in (("md_pain", "pain"), ("md_function", "disability")):
        f = facts[(facts["study"] == "hayden2021") & (facts["quantity"] == key)].iloc[0]
        rows.append({"source": "hayden2021", "label": "Hayden 2021, all exercise (points)",
                     "outcome": outcome,
                     "contrast": "all exercise vs no treatment/usual care/placebo",
                     "measure": "MD (0-100)", "estimate": np.nan, "ci_low": np.nan,
                     "ci_high": np.nan, "points_0_100": f["value"], "points_ci_low": f["ci_low"],
                     "points_ci_high": f["ci_high"],
                     "note": "published pooled value, not re-analysed (points as printed)"})
    return pd.DataFrame(rows)


def points_sensitivity(ref: pd.DataFrame, sds) -> pd.DataFrame:
    """Points on 0-100 for each published pain SMD across assumed baseline SDs."""
    rows = []
    for rec in ref[(ref["measure"] == "SMD") & (ref["outcome"] == "pain")].itertuples():
        for sd in sds:
            rows.append({"baseline_sd": float(sd), "estimate": rec.label,
                         "points": float(meta.smd_to_points(rec.estimate, sd))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- dose
def dose_table() -> pd.DataFrame:
    """Weekly dose reported for the aerobic trials, vs the claimed 150 min/week."""
    facts = load_facts()
    rows = []
    for study in ("chatzitheodorou2007", "bruehl2020", "shnayderman2013", "hartvigsen2010",
                  "mcdonough2013"):
        sub = facts[facts["study"] == study].set_index("quantity")

        def get(q, sub=sub):
            return float(sub.loc[q, "value"]) if q in sub.index else np.nan

        spw = get("sessions_per_week")
        if np.isnan(spw):
            spw = get("sessions_per_week_supervised")
        mps = get("minutes_per_session")
        rows.append({"study": study, "weeks": get("weeks"), "sessions_per_week": spw,
                     "minutes_per_session": mps,
                     "minutes_per_week": spw * mps if np.isfinite(spw * mps) else np.nan,
                     "intensity": ("85% of heart-rate reserve (vigorous)"
                                   if "intensity_pct_hrr" in sub.index else "not read"),
                     "source": ", ".join(dict.fromkeys(sub["source"]))})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- own pool, 0-100
POOL = "aerobic_pool"
DESIGN = "aerobic_design"
# Clinically important between-group differences on 0-100 (Hayden 2021, after Ostelo 2008).
MCID = {"pain": 15.0, "disability": 10.0}
MIN_HEADLINE_K = 3
OWN_COLUMNS = ["study", "outcome", "instrument", "timepoint", "input", "md", "se", "factor",
               "points", "points_se", "ci_low", "ci_high", "conversion", "comparator_class",
               "mode", "minutes_per_week", "source", "location", "provenance"]


def load_pool() -> pd.DataFrame:
    """Trial-level input of the own pool (``aerobic_pool``)."""
    return data.load_table(POOL)


def load_design() -> pd.DataFrame:
    """Trial design, comparator, dose and risk of bias (``aerobic_design``)."""
    return data.load_table(DESIGN)


def own_effects(level: float = 0.95, pain_sd_points: float = 20.0,
                krein_pain_scale_max: float = 10.0) -> pd.DataFrame:
    r"""Each pooled trial's between-group effect in points on 0-100 (exercise minus control).

    Conversions by ``input`` (factor :math:`f = 100 / \text{scale max}`):

    - ``arms_change``: :math:`MD = \bar x_1 - \bar x_2`,
      :math:`SE = \sqrt{s_1^2/n_1 + s_2^2/n_2}` (metafor ``escalc(measure = "MD")``);
    - ``md_ci``: :math:`SE = (u - l) / (2 z_{0.975})` from the printed CI;
    - ``md_p``: :math:`SE = |MD| / t_{1-p/2,\,n_1+n_2-2}` (Cochrane Handbook 6.5.2.3);
    - ``d``: Hedges' :math:`g = J d` with the large-sample variance
      (``escalc(measure = "SMD", di = d)``), then points :math:`= g \times SD` for an assumed
      SD of pain on 0-100 (``pain_sd_points``).

    Points = MD x f, SE(points) = SE x f. Krein 2013's unnamed pain scale is taken as
    0-``krein_pain_scale_max``. Negative points favour exercise.
    """
    pool_rows, design = load_pool(), load_design().set_index("study")
    q = stats.norm.ppf((1 + level) / 2)
    rows = []
    for r in pool_rows.itertuples():
        scale_max = float(r.scale_max) if pd.notna(r.scale_max) else np.nan
        if r.study == "krein2013" and r.outcome == "pain":
            scale_max = float(krein_pain_scale_max)
        factor = 100.0 / scale_max if np.isfinite(scale_max) else np.nan
        unit = f"x 100/{scale_max:g}" if np.isfinite(scale_max) else ""
        if r.input == "arms_change":
            md = float(r.mean_treat - r.mean_ctrl)
            se = float(np.sqrt(r.sd_treat**2 / r.n_treat + r.sd_ctrl**2 / r.n_ctrl))
            conv = (f"difference of change means {r.mean_treat:g} - ({r.mean_ctrl:g}); SE from "
                    f"the arm SDs and n ({r.n_treat:g}/{r.n_ctrl:g}); {unit}")
        elif r.input == "md_ci":
            md = float(r.estimate)
            se = float(meta.se_from_ci(r.ci_low, r.ci_high, 0.95))
            conv = (f"printed MD {r.estimate:g} ({r.ci_low:g} to {r.ci_high:g}); SE = CI width / "
                    f"3.92; {unit}")
        elif r.input == "md_p":
            md = float(r.estimate)
            se = abs(md) / float(stats.t.isf(r.p / 2, r.n_treat + r.n_ctrl - 2))
            conv = (f"MD {r.mean_treat:g} - {r.mean_ctrl:g} = {md:g}; SE from the printed P = "
                    f"{r.p:g} (t, {r.n_treat + r.n_ctrl - 2:g} df); {unit}"
                    + (" (scale maximum assumed: notebook parameter krein_pain_scale_max)"
                       if r.study == "krein2013" and r.outcome == "pain" else ""))
        elif r.input == "d":
            g, vi = meta.g_from_d(float(r.estimate), r.n_treat, r.n_ctrl)
            md, se, factor = float(g), float(np.sqrt(vi)), float(pain_sd_points)
            conv = (f"printed d = {abs(r.estimate):g} -> Hedges' g = {md:.3f} (n {r.n_treat:g}/"
                    f"{r.n_ctrl:g}); x an assumed SD of {pain_sd_points:g} points (notebook "
                    "parameter baseline_sd_points)")
        else:  # the schema allows nothing else
            raise ValueError(f"aerobic_pool: unknown input {r.input!r} for {r.study}")
        d = design.loc[r.study]
        rows.append({"study": r.study, "outcome": r.outcome, "instrument": r.instrument,
                     "timepoint": r.timepoint, "input": r.input, "md": md, "se": se,
                     "factor": factor, "points": md * factor, "points_se": se * factor,
                     "conversion": conv, "comparator_class": d["comparator_class"],
                     "mode": d["mode"], "minutes_per_week": d["minutes_per_week"],
                     "source": r.source, "location": r.location, "provenance": r.provenance})
    out = pd.DataFrame(rows)
    out["ci_low"] = out["points"] - q * out["points_se"]
    out["ci_high"] = out["points"] + q * out["points_se"]
    order = {o: i for i, o in enumerate(OUTCOMES)}
    return out[OWN_COLUMNS].sort_values(["outcome", "study"], key=lambda c: c.map(order)
                                        if c.name == "outcome" else c).reset_index(drop=True)


OWN_POOL_COLUMNS = ["outcome", "analysis", "k", "estimate", "ci_low", "ci_high", "df", "tau2",
                    "i2", "pi_low", "pi_high", "headline", "studies", "note"]


def _pool_row(sub: pd.DataFrame, outcome: str, analysis: str, method: str, level: float,
              min_studies: int, min_studies_pi: int, pi_method: str) -> dict:
    k = len(sub)
    row = {"outcome": outcome, "analysis": analysis, "k": k, "headline": False,
           "studies": ", ".join(sub["study"])}
    if k < max(2, min_studies):
        row["note"] = (f"not pooled: k = {k} < {max(2, min_studies)}; the trials are shown one "
                       "by one")
        return row
    r = meta.pool(sub["points"], sub["points_se"] ** 2, method, level, pi_method, "knha")
    show_pi = k >= min_studies_pi
    row.update(estimate=r.estimate, ci_low=r.ci_low, ci_high=r.ci_high, df=r.df, tau2=r.tau2,
               i2=r.i2, pi_low=r.pi_low if show_pi else np.nan,
               pi_high=r.pi_high if show_pi else np.nan,
               headline=bool(k >= MIN_HEADLINE_K),
               note=f"{meta.METHODS[method]} + Hartung-Knapp (t, {r.df:g} df)"
               + ("" if show_pi else f"; no prediction interval below {min_studies_pi} trials"))
    return row


def own_pool(effects: pd.DataFrame, level: float = 0.95, min_studies: int = MIN_HEADLINE_K,
             min_studies_pi: int = 10, pi_method: str = "normal") -> pd.DataFrame:
    """The own pool per outcome in points on 0-100, with its sensitivity analyses.

    Rows per outcome: all trials (REML + HKSJ: the answer), DerSimonian-Laird + HKSJ,
    without the rows that rest on an assumption (provenance ``assumed``), and one row per
    comparator class and per mode (pooled only where that subgroup has ``min_studies``
    trials). ``headline`` is true only for a pool of at least 3 trials. Hayden 2021's
    published pooled MD is added as a reference row (not re-analysed).
    """
    facts = load_facts()
    rows = []
    for outcome in OUTCOMES:
        sub = effects[effects["outcome"] == outcome]
        main = _pool_row(sub, outcome, "all trials (REML + HKSJ)", "reml", level, min_studies,
                         min_studies_pi, pi_method)
        rows.append(main)
        dl = _pool_row(sub, outcome, "all trials (DerSimonian-Laird + HKSJ)", "dl", level,
                       min_studies, min_studies_pi, pi_method)
        rows.append({**dl, "headline": False})
        rep = _pool_row(sub[sub["provenance"] != "assumed"], outcome,
                        "without values that rest on an assumption", "reml", level,
                        min_studies, min_studies_pi, pi_method)
        rows.append({**rep, "headline": False})
        for col, label in (("comparator_class", "comparator"), ("mode", "mode")):
            for val, g in sub.groupby(col, sort=True):
                r = _pool_row(g, outcome, f"{label}: {val}", "reml", level, min_studies,
                              min_studies_pi, pi_method)
                rows.append({**r, "headline": False})
        key = "md_pain" if outcome == "pain" else "md_function"
        h = facts[(facts["study"] == "hayden2021") & (facts["quantity"] == key)].iloc[0]
        rows.append({"outcome": outcome, "analysis": "Hayden 2021, all exercise types "
                     "(published, not re-analysed)", "k": np.nan, "estimate": h["value"],
                     "ci_low": h["ci_low"], "ci_high": h["ci_high"], "headline": False,
                     "studies": "all exercise types vs no treatment, usual care or placebo",
                     "note": "Cochrane summary of findings, earliest follow-up; its per-trial "
                             "values are in images and could not be read, so it is not "
                             "reproduced here"})
    return pd.DataFrame(rows, columns=OWN_POOL_COLUMNS)


def own_leave_one_out(effects: pd.DataFrame, outcome: str, level: float = 0.95):
    """Leave-one-out (REML + HKSJ) for one outcome, or None when k < 3."""
    sub = effects[effects["outcome"] == outcome]
    if len(sub) < 3:
        return None
    return meta.leave_one_out(sub["points"], sub["points_se"] ** 2, list(sub["study"]),
                              "reml", level, "knha")


def asymmetric_ci_check(level: float = 0.95) -> pd.DataFrame:
    """Cuesta-Vargas 2012 RMQ: the printed CI vs CIs rebuilt from its width and from each arm.

    A Wald CI is symmetric: estimate +/- z SE. The printed -2.5 (-5.7 to -0.2) is not. The
    SE is recovered three ways (whole width / 2z, lower arm / z, upper arm / z); each gives a
    rebuilt CI and a P value, in RMQ points and in points on 0-100 (x 100/24).
    """
    r = load_pool().set_index(["study", "outcome"]).loc[("cuestavargas2012", "disability")]
    est, lo, hi = float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])
    z = stats.norm.ppf(0.975)
    zl = stats.norm.ppf((1 + level) / 2)
    factor = 100.0 / float(r["scale_max"])
    rows = [{"reading": "as printed", "se": np.nan, "ci_low": lo, "ci_high": hi, "p": np.nan,
             "note": f"lower arm {est - lo:.1f}, upper arm {hi - est:.1f}: not symmetric; "
                     "printed P < 0.05"}]
    for label, se in (("SE from the whole width (used in the pool)", (hi - lo) / (2 * z)),
                      ("SE from the lower arm", (est - lo) / z),
                      ("SE from the upper arm", (hi - est) / z)):
        p = 2 * stats.norm.sf(abs(est) / se)
        rows.append({"reading": label, "se": se, "ci_low": est - zl * se,
                     "ci_high": est + zl * se, "p": p,
                     "note": "crosses zero: not significant" if est + zl * se > 0 else
                             "excludes zero"})
    out = pd.DataFrame(rows)
    out.insert(1, "estimate", est)
    for c in ("estimate", "ci_low", "ci_high"):
        out[f"{c}_points"] = out[c] * factor
    return out


def own_dose_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Weekly minutes of aerobic exercise beside each pooled trial's effect (points)."""
    design = load_design()
    rows = []
    for d in design.itertuples():
        sub = effects[effects["study"] == d.study].set_index("outcome")
        rows.append({"study": d.study, "pooled": bool(d.pooled), "mode": d.mode,
                     "weeks": d.weeks, "sessions_per_week": d.sessions_per_week,
                     "minutes_per_session": d.minutes_per_session,
                     "minutes_per_week": d.minutes_per_week,
                     "pain_points": sub["points"].get("pain", np.nan),
                     "disability_points": sub["points"].get("disability", np.nan),
                     "source": d.source, "location": d.location})
    return pd.DataFrame(rows)


def dose_answer(dose: pd.DataFrame, min_trials: int = 6) -> str:
    """What the trials can say about a weekly dose (meta-regression only with ``min_trials``)."""
    known = dose[dose["pooled"] & dose["minutes_per_week"].notna()]
    allk = dose[dose["minutes_per_week"].notna()]
    mins = ", ".join(f"{r.study} {r.minutes_per_week:g}" for r in allk.itertuples())
    return (f"Weekly minutes are known for {len(allk)} of {len(dose)} trials ({mins}), "
            f"{len(known)} of them in the pool. A meta-regression of effect on dose needs at "
            f"least {min_trials} pooled trials with a known dose (and would still not be "
            "randomised evidence about dose: trials differ in much more than minutes), so none "
            "is fitted. No trial here ran 150 minutes a week or compared doses; the data "
            "cannot say whether 150 minutes is needed, enough, or better than 60 or 90.")


# --------------------------------------------------------------------------- claims
VERDICT_RULE = (
    "The claim that aerobic exercise improves chronic low back pain: supported if our own "
    "pool of pain (at least 3 trials) and the closest published controlled pool (Pocovi "
    "2022, walking or running vs minimal or no intervention) both exclude no effect in "
    "favour of exercise; partly supported if only one of them does (or only disability is "
    "clearly better); not supported if neither does. The claim of 41% less pain, 31% "
    "better function and 35% less stress: partly supported if the three percentages are "
    "printed as quoted and their P values reproduce, since they are within-group changes, "
    "not effects against control; not supported otherwise.")


def trials(k, kind: str = "") -> str:
    """A count of trials in words: "1 trial", "4 trials", "1 pooled trial" (``kind``)."""
    return f"{int(k)} {kind + ' ' if kind else ''}trial" + ("" if int(k) == 1 else "s")


def _fmt_pool(row, outcome: str, level: float) -> str:
    if pd.isna(row["estimate"]):
        return f"{outcome}: not pooled (only {trials(row['k'])})"
    high = (f"{row['ci_high']:.1f} worse" if row["ci_high"] > 0
            else f"{-row['ci_high']:.1f} better")
    return (f"{outcome} {-row['estimate']:.1f} points better on a 0-100 scale ("
            f"{trials(row['k'])}; {level:.0%} CI from {-row['ci_low']:.1f} better to {high})")


def verdicts(n_exercise: int, level: float = 0.95, own: pd.DataFrame | None = None,
             dose_text: str = "") -> list[claims.Verdict]:
    """Verdicts on aerobic-improves-clbp and aerobic-41-31-35, by :data:`VERDICT_RULE`.

    ``own``: the table of :func:`own_pool` (computed with defaults when None)."""
    if own is None:
        own = own_pool(own_effects(level), level)
    facts = load_facts()
    poc = facts[(facts["study"] == "pocovi2022")
                & (facts["quantity"] == "smd_pain_short_vs_minimal")].iloc[0]
    main = own[own["analysis"] == "all trials (REML + HKSJ)"].set_index("outcome")
    pain, dis = main.loc["pain"], main.loc["disability"]
    n_assumed = int(own.loc[(own["outcome"] == "pain")
                            & (own["analysis"] == "without values that rest on an assumption"),
                            "k"].iloc[0])
    n_assumed = int(pain["k"]) - n_assumed
    pain_ok = bool(pain["headline"]) and pain["ci_high"] < 0
    dis_ok = bool(dis["headline"]) and dis["ci_high"] < 0
    poc_ok = poc["ci_high"] < 0
    if pain_ok and poc_ok:
        v1 = "supported"
    elif pain_ok or poc_ok or dis_ok:
        v1 = "partly supported"
    else:
        v1 = "not supported"
    reach = [o for o, r in (("pain", pain), ("disability", dis))
             if pd.notna(r["estimate"]) and -r["estimate"] >= MCID[o]]
    e1 = (f"Our own pool of the trials of walking or running against no exercise whose "
          f"results we could read: "
          f"{_fmt_pool(pain, 'pain', level)}; {_fmt_pool(dis, 'disability', level)}. "
          f"Differences that patients notice are about {MCID['pain']:g} points for pain and "
          f"{MCID['disability']:g} for disability (Hayden 2021): "
          + ("the pooled estimates reach them for " + " and ".join(reach) if reach else
             "neither pooled estimate reaches them")
          + ". " + ("The pain result is uncertain: its interval includes no effect"
                    if pain["ci_high"] > 0 else "The pain interval excludes no effect")
          + f", and {n_assumed} of its {int(pain['k'])} trials rest on an assumed number (arm "
            "sizes, the range of a pain scale or the spread of pain). The closest published pool of controlled trials (Pocovi 2022, walking "
            f"or running vs minimal or no intervention) finds pain lower by {abs(poc['value']):.2f}"
            f" standard deviations ({abs(poc['ci_high']):.2f} to {abs(poc['ci_low']):.2f}), "
            "about a quarter of a standard deviation: a real but small improvement. The review "
            "the articles cite (Meng & Yue 2015) pooled 8 'cohort studies' without saying "
            "against what. So aerobic exercise can improve chronic low back pain a little; "
            f"only {int(pain['k'])} trials for pain and {int(dis['k'])} for disability could be "
            "read, fewer than the 8 and 6 aimed for.")
    chz = chatzitheodorou_table((n_exercise,), level).set_index("outcome")
    p_ok = bool((chz["p_df_printed"] < 0.001).all())
    pct = [abs(_fact(STUDY, f"pct_change_{k}")) for k, _ in CHATZ_OUTCOMES]
    v2 = "partly supported" if p_ok and pct == [41, 31, 35] else "not supported"
    e2 = (f"The 2007 trial's abstract does report {pct[0]:g}% less pain, {pct[1]:g}% less "
          f"disability and {pct[2]:g}% less psychological strain, each with a recomputed P "
          "below 0.001. But these are changes within the exercise "
          f"group of about {n_exercise} people, before against after, not differences from the "
          "control group, so they overstate what exercise itself did: against control, our own "
          f"pool finds pain {-pain['estimate']:.0f} points better on 0-100, not 41%. "
          "'Function' and 'stress' paraphrase disability and psychological strain. The "
          "'150 minutes a week' is not the trial's dose (its sessions and minutes were not "
          "found; it used vigorous treadmill running) but a physical-activity guideline figure "
          "the article attaches to it. " + dose_text)
    return [claims.Verdict("aerobic-improves-clbp", v1, e1),
            claims.Verdict("aerobic-41-31-35", v2, e2.strip())]
