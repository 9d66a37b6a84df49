"""Back pain prevalence by sport, in runners and in the general population.

Data: ``data/prevalence.csv`` (one row per study, group and prevalence type),
``data/prevalence_odds_ratios.csv`` (odds ratios as printed) and
``data/prevalence_facts.csv`` (Videman 1995 design, review ranges, Thoreson 2015, Hoy 2012).

Rules this module enforces:

- prevalence types (point, 1-month, 3-month, 12-month, lifetime) are never mixed in one
  comparison or one pooled estimate;
- outcomes are kept apart: low back pain (LBP) vs back pain in any region (Fett 2017,
  Eriksson 1996) are pooled together only when the caller asks for it;
- a row without a count (Walker 2004: n not printed) keeps its printed CI and never enters
  a Wilson interval or a pooled estimate;
- Foss 2012 is the 10-year follow-up of the Bahr 2004 cohort, so a pooled set that has a
  Bahr 2004 row drops Foss 2012 rows (the same people must not count twice);
- rows whose source is a secondary citation (Trompeter 2017 citing Bahr 2004 and Foss 2012,
  unverified in their own notes) are left out of the pools by default and enter only as a
  sensitivity analysis;
- a pooled "all athlete groups" row is not shown when its rows are one sport's rows (it
  would only repeat that sport's pool);
- pools use REML with the Hartung-Knapp-Sidik-Jonkman interval (few studies, high
  heterogeneity); DerSimonian-Laird with a Wald interval is a labelled sensitivity row; no
  prediction interval is printed below ``min_studies_pi`` studies;
- runner vs population differences across studies are descriptive only (their intervals
  carry binomial error alone) and are never counted as lines of evidence in a verdict;
- Videman 1995 per-sport counts are not public and are never invented: only the design
  (937 vs 620) enters, through what it could detect.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd

from runspine import bibliography, claims, data
from runspine.stats import prevalence as prev

NOTEBOOK = "02_back_pain_prevalence_by_sport"
PREVALENCE = "prevalence"
ODDS_RATIOS = "prevalence_odds_ratios"
FACTS = "prevalence_facts"
TYPE_ORDER = ["point", "1-week", "1-month", "3-month", "12-month", "lifetime"]
FOLLOW_UP_OF = {"foss2012": "bahr2004"}
ALL_ATHLETES = "all athlete groups"
CONTRACT_COLUMNS = ["study", "group", "prevalence_type", "cases", "n", "prevalence", "ci_low",
                    "ci_high", "provenance"]
POOLED_COLUMNS = ["group", "prevalence_type", "k", "estimate", "ci_low", "ci_high", "tau2",
                  "i2", "pi_low", "pi_high", "method"]


# --------------------------------------------------------------------------- data
def load_prevalence() -> pd.DataFrame:
    """The transcribed prevalence rows with two added columns: ``outcome`` (LBP or back
    pain in any region, from the case definition) and ``secondary`` (read in a source
    other than the study itself)."""
    frame = data.load_table(PREVALENCE)
    frame["outcome"] = frame["definition"].map(outcome_of)
    frame["secondary"] = frame["source"] != frame["study"]
    frame.loc[frame["source"] == "ostrc2012news", "secondary"] = False  # the cohort's own group
    return frame


def outcome_of(definition: str) -> str:
    """'LBP' when the case definition names low/lower back pain (or LBP), else
    'back pain (any region)'."""
    text = str(definition).lower()
    if "lbp" in text or "low back" in text or "lower back" in text:
        return "LBP"
    return "back pain (any region)"


def load_odds_ratios() -> pd.DataFrame:
    return data.load_table(ODDS_RATIOS)


def facts(study: str) -> pd.DataFrame:
    return data.facts(FACTS, study)


def fact(study: str, quantity: str) -> float:
    return data.fact(FACTS, study, quantity)


# --------------------------------------------------------------------------- per group
def prevalence_table(frame: pd.DataFrame, level: float) -> pd.DataFrame:
    """Every row with its prevalence and CI.

    Rows with a count: prevalence = cases / n with a Wilson interval. Rows without a count
    (Walker 2004): the printed prevalence and the printed 95% CI (``ci_method`` says so;
    the printed CI stays 95% whatever ``level`` is). Columns: the output contract
    (:data:`CONTRACT_COLUMNS`) then sport, population, outcome, definition, ci_method,
    printed_prevalence, source, secondary.
    """
    rows = []
    for rec in frame.to_dict("records"):
        has_count = not pd.isna(rec["cases"])
        if has_count:
            cases, n = int(rec["cases"]), int(rec["n"])
            lo, hi = prev.wilson_ci(cases, n, level)
            p, method = cases / n, f"Wilson {level:.0%} (statsmodels)"
        else:
            cases, n, p = None, int(rec["n"]), float(rec["prevalence"])
            if pd.isna(rec["ci_low"]):
                lo = hi = float("nan")
                method = "none (no count, no printed CI)"
            else:
                lo, hi = float(rec["ci_low"]), float(rec["ci_high"])
                method = "printed 95% CI (no count)"
        rows.append({"study": rec["study"], "group": rec["group"],
                     "prevalence_type": rec["prevalence_type"], "cases": cases, "n": n,
                     "prevalence": p, "ci_low": lo, "ci_high": hi,
                     "provenance": rec["provenance"], "sport": rec["sport"],
                     "population": rec["population"], "outcome": rec["outcome"],
                     "definition": rec["definition"], "ci_method": method,
                     "printed_prevalence": float(rec["prevalence"]), "source": rec["source"],
                     "secondary": bool(rec["secondary"])})
    out = pd.DataFrame(rows)
    out["cases"] = out["cases"].astype("Int64")
    return out


# --------------------------------------------------------------------------- within study
def _or_row(study, comparison, ptype, outcome, c1, n1, c2, n2, level, reported="",
            note=""):
    r = prev.odds_ratio(c1, n1, c2, n2, level)
    return {"study": study, "comparison": comparison, "prevalence_type": ptype,
            "outcome": outcome, "cases1": c1, "n1": n1, "cases2": c2, "n2": n2,
            "prev1": c1 / n1, "prev2": c2 / n2, "odds_ratio": r.odds_ratio,
            "ci_low": r.ci_low, "ci_high": r.ci_high, "p_chisq": r.p_chisq,
            "p_fisher": r.p_fisher, "reported": reported, "note": note}


def within_study_odds_ratios(table: pd.DataFrame, level: float) -> pd.DataFrame:
    """Odds ratio of each athlete group vs the same study's controls, per prevalence type
    (Woolf CI; chi-square without correction and Fisher P), from counts only.

    Studies with a control group and counts: Fett 2017 (elite athletes vs active sports
    students; back pain), Foss 2012 (former rowers and skiers combined vs controls;
    approximate percentages from a news release) and Thoreson 2015 (elite runners vs
    non-athletes; counts 10/22 and 3/25 derived in the facts file; period not stated).
    """
    rows = []
    counted = table[table["cases"].notna()]
    for (study, ptype), sub in counted.groupby(["study", "prevalence_type"], sort=False):
        ctrl = sub[sub["population"] == "non-athlete controls"]
        if ctrl.empty:
            continue
        c = ctrl.iloc[0]
        for _, a in sub[sub["population"] != "non-athlete controls"].iterrows():
            rows.append(_or_row(study, f"{a['group']} vs {c['group']}", ptype, a["outcome"],
                                int(a["cases"]), int(a["n"]), int(c["cases"]), int(c["n"]),
                                level, note="counts derived from printed percentages"))
    th = facts("thoreson2015")
    rows.append(_or_row("thoreson2015", "elite distance runners vs non-athletes",
                        "not stated", "back pain (thoraco-lumbar)",
                        int(th.loc["back_pain_cases_runners", "value"]),
                        int(th.loc["n_runners", "value"]),
                        int(th.loc["back_pain_cases_controls", "value"]),
                        int(th.loc["n_controls", "value"]), level,
                        reported=f"45% vs 12%, P = {th.loc['p_back_pain', 'value']:g}",
                        note="counts 10/22 and 3/25 derived from the printed 45% and 12%"))
    order = {t: i for i, t in enumerate(TYPE_ORDER + ["not stated"])}
    out = pd.DataFrame(rows)
    return out.sort_values(["study", "prevalence_type"], key=lambda s: s.map(order)
                           if s.name == "prevalence_type" else s, kind="stable"
                           ).reset_index(drop=True)


def implied_control_prevalence(p_group: float, odds_ratio: float) -> float:
    r"""Control prevalence that an odds ratio and the other group's prevalence imply:
    :math:`p_0 = o_0/(1+o_0)`, :math:`o_0 = \frac{p_1/(1-p_1)}{OR}`."""
    odds0 = p_group / (1 - p_group) / odds_ratio
    return odds0 / (1 + odds0)


def bahr_or_check(table: pd.DataFrame, ors: pd.DataFrame, level: float) -> pd.DataFrame:
    """What Bahr 2004's printed OR 1.94 (1.29-2.92), skiers vs controls, implies.

    The controls' prevalence is not in the abstract. For each outcome the OR could belong
    to (LBP ever, LBP in the past 12 months) this returns the control prevalence the OR
    implies, the nearest count out of 197 controls, and the Woolf CI of that unadjusted
    2x2 table, to compare with the printed CI. These implied counts are a consistency
    check, never data.
    """
    row = ors.set_index(["study", "comparison"]).loc[("bahr2004", "skiers_vs_controls_lbp")]
    n_ctrl = int(fact("bahr2004", "n_controls"))
    rows = []
    skiers = table[(table["study"] == "bahr2004") & (table["sport"] == "cross-country skiing")]
    for _, s in skiers.iterrows():
        p0 = implied_control_prevalence(s["prevalence"], row["estimate"])
        c0 = round(p0 * n_ctrl)
        r = prev.odds_ratio(int(s["cases"]), int(s["n"]), c0, n_ctrl, level)
        printed_se = (math.log(row["ci_high"]) - math.log(row["ci_low"])) / (2 * 1.959964)
        rows.append({"outcome": s["prevalence_type"], "skiers": f"{s['cases']}/{s['n']}",
                     "implied_control_prevalence": p0,
                     "implied_controls": f"{c0}/{n_ctrl}", "odds_ratio": r.odds_ratio,
                     "ci_low": r.ci_low, "ci_high": r.ci_high, "se_log_or": r.se_log_or,
                     "printed_se_log_or": printed_se})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- pooling
def pooling_sets(table: pd.DataFrame, include_secondary: bool, lbp_only: bool
                 ) -> dict[tuple[str, str], pd.DataFrame]:
    """Rows pooled together: one set per (sport, prevalence type) and one per prevalence
    type over all athlete groups (population 'athletes'). Only rows with counts; the
    follow-up rule (:data:`FOLLOW_UP_OF`) and the outcome / secondary filters applied."""
    usable = table[table["cases"].notna()]
    if lbp_only:
        usable = usable[usable["outcome"] == "LBP"]
    if not include_secondary:
        usable = usable[~usable["secondary"]]
    sets: dict[tuple[str, str], pd.DataFrame] = {}
    athletes = usable[usable["population"] == "athletes"]
    for (sport, ptype), sub in usable.groupby(["sport", "prevalence_type"], sort=False):
        sets[(sport, ptype)] = _drop_follow_ups(sub)
    for ptype, sub in athletes.groupby("prevalence_type", sort=False):
        sets[(ALL_ATHLETES, ptype)] = _drop_follow_ups(sub)
    return sets


def single_sport(sub: pd.DataFrame) -> str | None:
    """The sport when every row of a set is from one sport, else None."""
    sports = set(sub["sport"])
    return next(iter(sports)) if len(sports) == 1 else None


def _drop_follow_ups(sub: pd.DataFrame) -> pd.DataFrame:
    keep = [not (s in FOLLOW_UP_OF and FOLLOW_UP_OF[s] in set(sub["study"]))
            for s in sub["study"]]
    return sub[keep]


def pool_spread(table: pd.DataFrame, ptype: str, include_secondary: bool = False,
                lbp_only: bool = True) -> dict:
    """What a pool over all athlete groups of one prevalence type hides: the observed
    prevalences' range and the groups it mixes (study and group, ages and levels differ).

    Returns ``{"k", "low", "high", "groups"}``; ``groups`` reads "Farahbakhsh 2018 (Iranian
    male athletes aged 12-20 ...) 0.42, ...", lowest first."""
    sub = pooling_sets(table, include_secondary, lbp_only).get((ALL_ATHLETES, ptype))
    if sub is None or sub.empty:
        return {"k": 0, "low": np.nan, "high": np.nan, "groups": ""}
    sub = sub.sort_values("prevalence")
    groups = ", ".join(bibliography.cite_text(f"{r.study} ({r.group}) {r.prevalence:.2f}")
                       for r in sub.itertuples())
    return {"k": len(sub), "low": float(sub["prevalence"].min()),
            "high": float(sub["prevalence"].max()), "groups": groups}


PI_MIN_REASON = ("with so few studies tau2 is too imprecise for a prediction interval to "
                 "mean anything (the t quantile on k - 2 df, not the data, sets its width)")


def pooled_table(table: pd.DataFrame, min_studies: int, tau2_method: str, level: float,
                 pi_method: str, include_secondary: bool = False, lbp_only: bool = True,
                 test: str = "knha", min_studies_pi: int = 10) -> pd.DataFrame:
    """Random-effects pooled prevalence (logit scale) per sport and prevalence type.

    Defaults follow current guidance for few studies and high heterogeneity: REML tau²
    with the Hartung-Knapp-Sidik-Jonkman CI (``test="knha"``), primary-source rows only.
    A set with fewer than ``min_studies`` studies is listed (k, and the single estimate's
    Wilson CI when k = 1) but not pooled: ``method`` says so and tau², I² and the
    prediction interval are empty. A prediction interval is given only when k >=
    ``min_studies_pi``; otherwise it is empty and ``method`` says why. An "all athlete
    groups" set whose rows are one sport's is not pooled again (``method`` names the
    sport). Columns: :data:`POOLED_COLUMNS` then studies.
    """
    rows = []
    for (group, ptype), sub in pooling_sets(table, include_secondary, lbp_only).items():
        k = len(sub)
        base = {"group": group, "prevalence_type": ptype, "k": k,
                "studies": ", ".join(f"{s} ({g})" for s, g in zip(sub["study"], sub["group"]))}
        only = single_sport(sub) if group == ALL_ATHLETES else None
        if only is not None:
            rows.append({**base, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                         "tau2": np.nan, "i2": np.nan, "pi_low": np.nan, "pi_high": np.nan,
                         "method": f"not pooled: every row is {only}, so this would only "
                                   f"repeat the {only} row"})
        elif k >= max(min_studies, 2):
            p = prev.pool_proportions(sub["cases"].astype(float), sub["n"].astype(float),
                                      tau2_method, level, pi_method, test)
            method = p.method
            pi_lo, pi_hi = p.pi_low, p.pi_high
            if k < min_studies_pi:
                pi_lo = pi_hi = np.nan
                method = (method.rsplit(",", 1)[0] + f"; no PI: k = {k} < min_studies_pi = "
                          f"{min_studies_pi}")
            rows.append({**base, "estimate": p.estimate, "ci_low": p.ci_low,
                         "ci_high": p.ci_high, "tau2": p.tau2, "i2": p.i2,
                         "pi_low": pi_lo, "pi_high": pi_hi, "method": method})
        else:
            one = sub.iloc[0] if k == 1 else None
            rows.append({**base, "estimate": one["prevalence"] if k == 1 else np.nan,
                         "ci_low": one["ci_low"] if k == 1 else np.nan,
                         "ci_high": one["ci_high"] if k == 1 else np.nan,
                         "tau2": np.nan, "i2": np.nan, "pi_low": np.nan, "pi_high": np.nan,
                         "method": f"not pooled: k = {k} < min_studies = {min_studies}"
                                   + (" (single study, Wilson CI)" if k == 1 else "")})
    out = pd.DataFrame(rows, columns=POOLED_COLUMNS + ["studies"])
    out["_all"] = out["group"] == ALL_ATHLETES
    out["_t"] = out["prevalence_type"].map({t: i for i, t in enumerate(TYPE_ORDER)})
    return out.sort_values(["_all", "group", "_t"]).drop(columns=["_all", "_t"]
                                                         ).reset_index(drop=True)


SENSITIVITY = (
    ("REML + HKSJ, primary rows (default)", "reml", "knha", False),
    ("Paule-Mandel + HKSJ, primary rows", "pm", "knha", False),
    ("DerSimonian-Laird + Wald z, primary rows (former default)", "dl", "z", False),
    ("REML + HKSJ, with secondary-citation rows", "reml", "knha", True),
    ("DerSimonian-Laird + Wald z, with secondary-citation rows", "dl", "z", True),
)


def sensitivity_table(table: pd.DataFrame, min_studies: int, level: float,
                      lbp_only: bool = True) -> pd.DataFrame:
    """Every pooled set under each analysis of :data:`SENSITIVITY` (long format: group,
    prevalence_type, analysis, k, estimate, ci_low, ci_high, tau2, i2, studies). The
    default analysis is the first; DerSimonian-Laird with a normal (Wald) interval and the
    secondary-citation rows are sensitivity analyses, labelled as such."""
    frames = []
    for label, method, test, secondary in SENSITIVITY:
        pooled = pooled_table(table, min_studies, method, level, "higgins_t", secondary,
                              lbp_only, test)
        pooled = pooled[pooled["tau2"].notna()]
        frames.append(pooled.assign(analysis=label)[
            ["group", "prevalence_type", "analysis", "k", "estimate", "ci_low", "ci_high",
             "tau2", "i2", "studies"]])
    out = pd.concat(frames, ignore_index=True)
    order = {lab: i for i, (lab, *_rest) in enumerate(SENSITIVITY)}
    out["_o"] = out["analysis"].map(order)
    out["_t"] = out["prevalence_type"].map({t: i for i, t in enumerate(TYPE_ORDER)})
    return out.sort_values(["group", "_t", "_o"]).drop(columns=["_o", "_t"]
                                                       ).reset_index(drop=True)


def wilson2021_comparison(pooled: pd.DataFrame) -> pd.DataFrame:
    """Our all-athlete pooled estimates next to Wilson et al. 2021's pooled LBP prevalence
    in athletes (high-quality studies), per matching prevalence type."""
    w = facts("wilson2021")
    keys = {"point": "point", "lifetime": "lifetime", "12-month": "12m"}
    rows = []
    for ptype, key in keys.items():
        ours = pooled[(pooled["group"] == ALL_ATHLETES) & (pooled["prevalence_type"] == ptype)]
        q = f"pooled_{key}_prevalence" if key != "point" else "pooled_point_prevalence"
        rows.append({"prevalence_type": ptype,
                     "wilson2021": w.loc[q, "value"], "wilson2021_ci_low": w.loc[q, "ci_low"],
                     "wilson2021_ci_high": w.loc[q, "ci_high"],
                     "wilson2021_k": int(w.loc[f"k_{key}", "value"]),
                     "here_k": int(ours["k"].iloc[0]) if len(ours) else 0,
                     "here": ours["estimate"].iloc[0] if len(ours) else np.nan,
                     "here_ci_low": ours["ci_low"].iloc[0] if len(ours) else np.nan,
                     "here_ci_high": ours["ci_high"].iloc[0] if len(ours) else np.nan})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- Videman power
def videman_detectable(control_prevalences, group_sizes, alpha: float, power: float
                       ) -> pd.DataFrame:
    """Minimum detectable OR (athletes vs controls, lower and higher odds) at the given
    power for the whole sample (937 vs 620) and for hypothetical per-sport groups of the
    given sizes vs all 620 controls (per-sport n is not public), and the critical OR: the
    largest observed OR below 1 that a test at ``alpha`` calls significant."""
    n_ath = int(fact("videman1995", "n_athletes"))
    n_ctrl = int(fact("videman1995", "n_controls"))
    sizes = [(f"all athletes ({n_ath})", n_ath)]
    sizes += [(f"one sport group of {g}", int(g)) for g in group_sizes if int(g) != n_ath]
    rows = []
    for label, n1 in sizes:
        h = prev.min_detectable_h(n1, n_ctrl, alpha, power)
        hc = prev.critical_h(n1, n_ctrl, alpha)
        for p0 in control_prevalences:
            rows.append({"athletes": label, "n_athletes": n1, "n_controls": n_ctrl,
                         "control_prevalence": float(p0), "min_detectable_h": h,
                         "min_or_lower": prev.odds_ratio_from_h(p0, h, "lower"),
                         "min_or_higher": prev.odds_ratio_from_h(p0, h, "higher"),
                         "critical_or_lower": prev.odds_ratio_from_h(p0, hc, "lower")})
    frame = pd.DataFrame(rows)
    frame.attrs["power"] = power  # verdict texts label the power they were computed at
    return frame


def mri_detectable(control_prevalences, alpha: float, power: float) -> pd.DataFrame:
    """Minimum detectable OR for runners (24) vs shooters (25) in the MRI subgroups."""
    n_run = int(fact("videman1995", "mri_n_runners"))
    n_sho = int(fact("videman1995", "mri_n_shooters"))
    h = prev.min_detectable_h(n_run, n_sho, alpha, power)
    frame = pd.DataFrame([{"comparison": f"MRI runners ({n_run}) vs shooters ({n_sho})",
                          "shooter_prevalence": float(p0), "min_detectable_h": h,
                          "min_or_lower": prev.odds_ratio_from_h(p0, h, "lower"),
                          "min_or_higher": prev.odds_ratio_from_h(p0, h, "higher")}
                         for p0 in control_prevalences])
    frame.attrs["power"] = power
    return frame


# --------------------------------------------------------------------------- runners vs pop
def population_rows(table: pd.DataFrame) -> pd.DataFrame:
    """General-population figures: Walker 2004 rows (printed CIs) and Hoy 2012 means
    (point, 1-month) with a normal CI from the printed SEM."""
    rows = [{"study": r["study"], "prevalence_type": r["prevalence_type"],
             "prevalence": r["prevalence"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
             "ci_method": r["ci_method"]}
            for _, r in table[table["population"] == "general population"].iterrows()]
    hoy = facts("hoy2012")
    for ptype, key in (("point", "point_prevalence"), ("1-month", "one_month_prevalence")):
        m, sem = hoy.loc[f"{key}_mean", "value"], hoy.loc[f"{key}_sem", "value"]
        rows.append({"study": "hoy2012", "prevalence_type": ptype, "prevalence": m,
                     "ci_low": m - 1.959964 * sem, "ci_high": m + 1.959964 * sem,
                     "ci_method": "global mean +/- 1.96 x the printed +/- (a spread of a "
                                  "model-adjusted global mean over 165 studies, not a "
                                  "sampling CI of one survey)"})
    return pd.DataFrame(rows)


DESCRIPTIVE = ("descriptive only: the interval carries each survey's sampling error but no "
               "between-study variation (different countries, years, questionnaires), so it "
               "is far too narrow for a comparison of two studies")


def runners_vs_population(table: pd.DataFrame) -> pd.DataFrame:
    """Runner groups vs general-population figures of the SAME prevalence type only, with
    the difference and its MOVER interval (:func:`runspine.stats.prevalence.mover_difference`).

    These are comparisons across studies. The MOVER interval combines the two surveys'
    sampling intervals only, so the ``status`` column marks every row as descriptive
    (:data:`DESCRIPTIVE`); verdicts never count them as lines of evidence. The runner
    figure is the printed prevalence (a derived count can miss it: Woolf 2002 prints 13.6%
    point prevalence, which no count out of 539 gives). Types with a population figure but
    no runner figure are listed with empty runner columns."""
    runners = table[table["population"] == "runners (recreational)"]
    pop = population_rows(table)
    rows = []
    for _, p in pop.iterrows():
        match = runners[runners["prevalence_type"] == p["prevalence_type"]]
        if match.empty:
            rows.append({"prevalence_type": p["prevalence_type"], "runner_study": "",
                         "runner_group": "no runner figure of this type", "runner": np.nan,
                         "runner_ci_low": np.nan, "runner_ci_high": np.nan,
                         "population_study": p["study"], "population": p["prevalence"],
                         "population_ci_low": p["ci_low"], "population_ci_high": p["ci_high"],
                         "difference": np.nan, "diff_ci_low": np.nan, "diff_ci_high": np.nan})
            continue
        for _, r in match.iterrows():
            rp = float(r["printed_prevalence"])
            d, lo, hi = prev.mover_difference(rp, (r["ci_low"], r["ci_high"]),
                                              p["prevalence"], (p["ci_low"], p["ci_high"]))
            rows.append({"prevalence_type": p["prevalence_type"], "runner_study": r["study"],
                         "runner_group": r["group"], "runner": rp,
                         "runner_ci_low": r["ci_low"], "runner_ci_high": r["ci_high"],
                         "population_study": p["study"], "population": p["prevalence"],
                         "population_ci_low": p["ci_low"], "population_ci_high": p["ci_high"],
                         "difference": d, "diff_ci_low": lo, "diff_ci_high": hi})
    out = pd.DataFrame(rows)
    out["status"] = np.where(out["runner_study"] != "", DESCRIPTIVE, "")
    out["_t"] = out["prevalence_type"].map({t: i for i, t in enumerate(TYPE_ORDER)})
    return out.sort_values(["_t", "population_study"]).drop(columns="_t").reset_index(drop=True)


# --------------------------------------------------------------------------- reproduction
def _fmt_ci(p, lo, hi, pct=True):
    if pct:
        return f"{100 * p:.1f}% ({100 * lo:.1f}-{100 * hi:.1f})"
    return f"{p:.2f} ({lo:.2f}-{hi:.2f})"


def effective_n_from_ci(p: float, ci_low: float, ci_high: float, level: float = 0.95) -> float:
    r"""Sample size a printed CI implies under the Wald formula:
    :math:`n = p(1-p)\,(2 z / (u - l))^2`."""
    z = 1.959963984540054 if level == 0.95 else float(__import__("scipy").stats.norm.ppf(
        (1 + level) / 2))
    return p * (1 - p) * (2 * z / (ci_high - ci_low)) ** 2


def reproduction_table(table: pd.DataFrame, ors: pd.DataFrame, within: pd.DataFrame,
                       level: float) -> pd.DataFrame:
    """Reported vs recomputed (study, quantity, reported, recomputed, consistent, note)."""
    rows = []

    def add(study, quantity, reported, recomputed, consistent, note):
        rows.append({"study": study, "quantity": quantity, "reported": reported,
                     "recomputed": recomputed, "consistent": bool(consistent), "note": note})

    # Thoreson 2015: P = 0.011 from 10/22 vs 3/25
    th = within[within["study"] == "thoreson2015"].iloc[0]
    p_rep = fact("thoreson2015", "p_back_pain")
    add("thoreson2015", "back pain runners vs non-athletes, P", f"P = {p_rep:g}",
        f"chi-square (no correction) P = {th['p_chisq']:.4f}; Fisher exact P = "
        f"{th['p_fisher']:.4f}", round(th["p_chisq"], 3) == p_rep,
        "Recomputed from the derived counts 10/22 and 3/25; the paper's P matches Pearson's "
        "chi-square without continuity correction (not Fisher's exact test).")
    add("thoreson2015", "back pain prevalence, runners", "45%",
        f"10/22 = {10 / 22:.1%}", round(100 * 10 / 22) == 45, "count derived (45% of 22 = 9.9)")

    # Bahr 2004 OR 1.94 (1.29-2.92)
    bahr = bahr_or_check(table, ors, level)
    r = ors.set_index(["study", "comparison"]).loc[("bahr2004", "skiers_vs_controls_lbp")]
    for _, b in bahr.iterrows():
        add("bahr2004", f"skiers vs controls OR ({b['outcome']} LBP)",
            _fmt_ci(r["estimate"], r["ci_low"], r["ci_high"], pct=False),
            f"implied controls {b['implied_controls']} "
            f"({b['implied_control_prevalence']:.1%}): OR "
            f"{_fmt_ci(b['odds_ratio'], b['ci_low'], b['ci_high'], pct=False)}",
            False,
            "Control prevalence not in the abstract; it is back-solved from the printed OR. "
            f"The unadjusted CI on the log scale (SE of log OR {b['se_log_or']:.3f}) is narrower than the "
            f"printed CI (SE {b['printed_se_log_or']:.3f}): the printed OR is probably "
            "adjusted or based on fewer answers, so it cannot be recomputed from the abstract.")
    # Bahr 2004 missed training OR 2.16
    mt = ors.set_index(["study", "comparison"]).loc[("bahr2004",
                                                     "rowers_vs_orienteers_missed_training")]
    n_row, n_ori = int(fact("bahr2004", "n_rowers")), int(fact("bahr2004", "n_orienteers"))
    c_row = round(fact("bahr2004", "missed_training_rowers") * n_row)
    c_ori = round(fact("bahr2004", "missed_training_orienteers") * n_ori)
    m = prev.odds_ratio(c_row, n_row, c_ori, n_ori, level)
    add("bahr2004", "rowers vs orienteerers, missed training because of LBP, OR",
        _fmt_ci(mt["estimate"], mt["ci_low"], mt["ci_high"], pct=False),
        f"{c_row}/{n_row} vs {c_ori}/{n_ori}: OR "
        f"{_fmt_ci(m.odds_ratio, m.ci_low, m.ci_high, pct=False)}",
        abs(m.odds_ratio - mt["estimate"]) < 0.06 and abs(m.ci_low - mt["ci_low"]) < 0.06
        and abs(m.ci_high - mt["ci_high"]) < 0.1,
        "Counts derived from 25.6% and 13.7% (rounded); CI on the log scale.")

    # Wilson CIs vs printed CIs (Walker 2004)
    for _, w in table[table["study"] == "walker2004"].iterrows():
        n_eff = effective_n_from_ci(w["prevalence"], w["ci_low"], w["ci_high"])
        n_app = int(w["n"])
        lo, hi = prev.wilson_ci(round(w["prevalence"] * n_app), n_app, 0.95)
        add("walker2004", f"{w['prevalence_type']} prevalence 95% CI",
            _fmt_ci(w["prevalence"], w["ci_low"], w["ci_high"]),
            f"Wilson at the approximate n = {n_app}: {100 * lo:.1f}-{100 * hi:.1f}; the "
            f"printed CI implies n of about {n_eff:.0f}",
            abs(lo - w["ci_low"]) < 0.0015 and abs(hi - w["ci_high"]) < 0.0015,
            "n not printed (0.69 x 3000 = 2070 assumed for this check only); the printed "
            "CI is wider than binomial at 2070, so the report uses the printed CI.")
    wf = facts("walker2004")
    add("walker2004", "lifetime prevalence, journal vs 2002 conference abstract",
        "79.2% (77.3-81.0)",
        "conference: " + _fmt_ci(*wf.loc["lifetime_prevalence_conference",
                                          ["value", "ci_low", "ci_high"]]),
        False, "Upper limit differs by 0.1 point between the two reports of the survey.")

    # Printed percentages vs counts
    for study, group_kw, ptype in (("maselli2021", "runners", "12-month"),
                                   ("fett2017", "controls", "12-month"),
                                   ("cali2013", "football", "12-month")):
        rec = table[(table["study"] == study) & (table["prevalence_type"] == ptype)
                    & table["group"].str.contains(group_kw)].iloc[0]
        add(study, f"{ptype} prevalence, {rec['group']}", f"{rec['printed_prevalence']:.2%}",
            f"{rec['cases']}/{rec['n']} = {rec['prevalence']:.2%} (Wilson {level:.0%} CI "
            f"{100 * rec['ci_low']:.1f}-{100 * rec['ci_high']:.1f})",
            abs(rec["prevalence"] - rec["printed_prevalence"]) < 0.0005,
            "No CI printed; the Wilson CI is new.")
    fc = facts("fett2017")
    add("fett2017", "12-month prevalence, controls, conference abstract",
        f"{fc.loc['controls_12m_conference', 'value']:.1%}", "116/166 = 69.9%", False,
        "The BJSM conference abstract prints 70.0%, which no integer count out of 166 gives; "
        "the PLoS ONE paper prints 69.9%.")
    for _, rec in table[table["study"] == "woolf2002"].iterrows():
        if rec["prevalence_type"] == "point":
            add("woolf2002", "point prevalence", f"{rec['printed_prevalence']:.1%}",
                f"73/539 = {73 / 539:.2%}; 74/539 = {74 / 539:.2%}", False,
                "No integer count out of 539 gives 13.6%: item non-response likely.")

    # Foss 2012 cohort arithmetic
    ff = facts("foss2012")
    total = 173 + 209 + 242 + 116
    eligible = int(fact("bahr2004", "n_skiers") + fact("bahr2004", "n_rowers")
                   + ff.loc["eligible_orienteers", "value"] + ff.loc["eligible_controls", "value"])
    add("foss2012", "responders as share of the original cohort",
        f"{ff.loc['followup_fraction', 'value']:.0%}",
        f"{total}/{eligible} = {total / eligible:.1%} (eligible per OSTRC project page)",
        round(total / eligible, 2) == ff.loc["followup_fraction", "value"],
        "Bahr 2004 had 278 orienteerers and 197 controls; only 227 and 158 were eligible for "
        "follow-up.")
    fo = within[within["study"] == "foss2012"]
    if len(fo):
        f0 = fo.iloc[0]
        add("foss2012", "12-month LBP, former rowers+skiers vs controls",
            f"no group difference (P = {ff.loc['p_12m_lbp_groups', 'value']:g}, 4 groups)",
            f"{f0['cases1']}/{f0['n1']} vs {f0['cases2']}/{f0['n2']}: chi-square P = "
            f"{f0['p_chisq']:.2f}, OR {f0['odds_ratio']:.2f}",
            f0["p_chisq"] > 0.05,
            "Approximate percentages (news release); combined athletes vs controls, not the "
            "paper's 4-group test, so only the direction of the conclusion is checked.")

    # Videman 1995
    vf = facts("videman1995")
    subs = [int(vf.loc[f"mri_n_{s}", "value"])
            for s in ("runners", "soccer", "weightlifters", "shooters")]
    add("videman1995", "MRI subgroups total", "24 + 26 + 19 + 25",
        f"{sum(subs)}", sum(subs) == int(vf.loc["mri_n_total", "value"]),
        "Total not printed; each subgroup is about two dozen.")
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- figures
def forest_frame(table: pd.DataFrame, pooled: pd.DataFrame, ptype: str | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows and pooled diamonds for :func:`runspine.notebook.plots.forest`, grouped by sport; the
    label names study, group and prevalence type, with " *" for a row read only in a
    secondary citation."""
    rows = table[table["ci_low"].notna()].copy()
    if ptype:
        rows = rows[rows["prevalence_type"] == ptype]
    short = rows["group"].map(lambda g: textwrap.shorten(str(g), 40, placeholder="\u2026"))
    rows["label"] = (rows["study"] + ": " + short + " ["
                     + rows["prevalence_type"] + "]"
                     + np.where(rows["secondary"], " *", ""))
    order = rows["prevalence_type"].map({t: i for i, t in enumerate(TYPE_ORDER)})
    rows = rows.assign(_o=order).sort_values(["sport", "_o"], kind="stable")
    pooled_rows = pooled[(pooled["k"] >= 2) & pooled["tau2"].notna()
                         & (pooled["group"] != ALL_ATHLETES)].copy()
    if ptype:
        pooled_rows = pooled_rows[pooled_rows["prevalence_type"] == ptype]
    pooled_rows = pooled_rows.rename(columns={"group": "sport"})
    pooled_rows["label"] = ("Pooled RE [" + pooled_rows["prevalence_type"] + ", k = "
                            + pooled_rows["k"].astype(str) + "]")
    pooled_rows = pooled_rows.rename(columns={"estimate": "prevalence"})
    return rows.drop(columns="_o"), pooled_rows


def by_type_figure(table: pd.DataFrame, level: float):
    """Prevalence (with CI) of every row, one panel row per prevalence type, coloured by
    population: types are shown side by side, never mixed in one axis position."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    rows = table[table["ci_low"].notna()].copy()
    types = [t for t in TYPE_ORDER if t in set(rows["prevalence_type"])]
    pops = list(dict.fromkeys(rows["population"]))
    pal = dict(zip(pops, sns.color_palette("colorblind", len(pops))))
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for i, t in enumerate(types):
        sub = rows[rows["prevalence_type"] == t].reset_index(drop=True)
        offs = np.linspace(-0.3, 0.3, len(sub)) if len(sub) > 1 else [0.0]
        for off, (_, r) in zip(offs, sub.iterrows()):
            y = i + off
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=pal[r["population"]], lw=1.3)
            ax.plot(r["prevalence"], y, "o", color=pal[r["population"]], ms=4,
                    mfc="white" if r["outcome"] != "LBP" else pal[r["population"]])
    for p, c in pal.items():
        ax.plot([], [], "o", color=c, label=p)
    ax.plot([], [], "o", color="grey", mfc="white", label="back pain, any region")
    ax.set_yticks(range(len(types)))
    ax.set_yticklabels(types)
    ax.set_xlim(0, 1)
    ax.set(xlabel=f"prevalence ({level:.0%} CI; Walker 2004: printed 95% CI)",
           ylabel="prevalence type", title="Back pain prevalence by type and population")
    # under the axes and their label, never over the points (the saved figure's tight
    # bounding box takes it in)
    from matplotlib.transforms import offset_copy

    fig.tight_layout()
    below = offset_copy(ax.transAxes, fig=fig, x=0, y=-38, units="points")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, 0),
              bbox_transform=below, ncol=3, frameon=False)
    return fig


# --------------------------------------------------------------------------- claims
def verdicts(table: pd.DataFrame, within: pd.DataFrame, runners_pop: pd.DataFrame,
             detect: pd.DataFrame, mri: pd.DataFrame, reference_prevalence: float,
             level: float) -> list[claims.Verdict]:
    """Verdicts on athletes-n, athletes-less-lbp, mri-runners-normal, mri-two-dozen,
    population-70, runners-20, runners-lower-risk, with the numbers behind each."""
    vf = facts("videman1995")
    n_ath, n_ctrl = int(vf.loc["n_athletes", "value"]), int(vf.loc["n_controls", "value"])
    out = []

    # athletes-n: "almost 1,000" read as 900-999
    ok = 900 <= n_ath < 1000 and n_ctrl == 620
    out.append(claims.Verdict(
        "athletes-n", "supported" if ok else "not supported",
        f"Videman 1995: {n_ath} former elite athletes and {n_ctrl} controls returned "
        f"questionnaires ({vf.loc['response_rate', 'value']:.0%} response); {n_ath} is "
        "'almost 1,000' (read as 900-999). What would change it: nothing in the data; the "
        "counts are printed."))

    # athletes-less-lbp: graded first on the study it reports (Videman 1995)
    whole = detect[(detect["n_athletes"] == n_ath)]
    at_ref = whole.iloc[(whole["control_prevalence"] - reference_prevalence).abs().argmin()]
    groups = detect[(detect["n_athletes"] != n_ath)
                    & np.isclose(detect["control_prevalence"], at_ref["control_prevalence"])]
    g100 = groups.iloc[(groups["n_athletes"] - 100).abs().argmin()]
    sig = [s.replace("sig_lower_or_", "").replace("wrestling_boxing", "wrestling and boxing")
           .replace("_", " ")
           for s in vf.index if s.startswith("sig_lower_or_")]
    fett = within[(within["study"] == "fett2017")]
    fett_higher = int((fett["ci_low"] > 1).sum())
    fo = within[within["study"] == "foss2012"].iloc[0]
    bahr = load_odds_ratios().set_index(["study", "comparison"]).loc[
        ("bahr2004", "skiers_vs_controls_lbp")]
    crit = ", ".join(f"{r.critical_or_lower:.2f} for {int(r.n_athletes)}"
                     for r in groups.itertuples())
    less_lines = [
        claims.Line("direct", "partly",
                    f"Videman 1995, the study the article reports: lower odds of back pain "
                    f"than matched controls, significant in {len(sig)} sport groups "
                    f"({', '.join(sig)}), not stated for the athletes as a whole; a statement "
                    "in the abstract with no OR, count or group size public, against matched "
                    "controls, not the general population", part="the study reported"),
        claims.Line("direct", "against",
                    f"Fett 2017 (1,114 elite athletes vs 166 sports students): higher "
                    f"prevalence in athletes in {fett_higher} of {len(fett)} prevalence "
                    "types (OR interval above 1); only triathletes were named as lower",
                    part="athletes in general"),
        claims.Line("direct", "neither",
                    f"Foss 2012, former rowers and cross-country skiers vs non-athletic "
                    f"controls (12-month, {fo['cases1']}/{fo['n1']} vs {fo['cases2']}/"
                    f"{fo['n2']}): OR {fo['odds_ratio']:.2f} ({fo['ci_low']:.2f}-"
                    f"{fo['ci_high']:.2f}), no difference", part="athletes in general"),
        claims.Line("direct", "against",
                    f"Bahr 2004: cross-country skiers vs non-athletic controls, OR "
                    f"{bahr['estimate']:.2f} ({bahr['ci_low']:.2f}-{bahr['ci_high']:.2f}, "
                    "printed)", part="athletes in general"),
    ]
    out.append(claims.Verdict(
        "athletes-less-lbp", claims.weigh(less_lines),
        "Right as a report of Videman 1995, not as a general statement about athletes. "
        + claims.lines_text(less_lines) + ". "
        f"How large was Videman's difference? Significance was tested per sport group: with "
        f"{n_ctrl} controls and a control prevalence of {at_ref['control_prevalence']:.0%}, a "
        f"significant group had an observed OR of at most {crit} athletes "
        f"(for {int(g100['n_athletes'])} athletes the study had "
        f"{claims.power_label(detect.attrs.get('power', 0.8))} only for an OR of "
        f"{g100['min_or_lower']:.2f} or lower), so at least a moderate observed difference, "
        "and results picked out for being significant tend to overstate it. Partly supported: "
        "the study the article reports found it in some sport groups, against matched "
        "controls, with no numbers to check, and other athletes with counts had more back "
        "pain, not less. "
        "What would change it: Videman's per-sport counts (supported if the four groups' "
        "ORs and intervals are below 1 and the other groups are not above), or a study of "
        "former athletes against the general population."))

    # mri-runners-normal: graded on the study it reports, then on runners' discs in general
    m_ref = mri.iloc[(mri["shooter_prevalence"] - reference_prevalence).abs().argmin()]
    mit = data.facts("disc_facts", "mitchell2020")["value"]
    th_f = facts("thoreson2015")["value"]
    mri_lines = [
        claims.Line("direct", "partly",
                    "Videman 1995, the study the article reports (abstract): degeneration most "
                    "common in weight lifters, soccer players similar at L4-S1, runners not "
                    "different from shooters; no MRI counts public, and 'did not differ' is "
                    f"weak: {int(vf.loc['mri_n_runners', 'value'])} runners vs "
                    f"{int(vf.loc['mri_n_shooters', 'value'])} shooters could only detect an OR "
                    f"below {m_ref['min_or_lower']:.2f} or above {m_ref['min_or_higher']:.1f} "
                    f"({claims.power_label(mri.attrs.get('power', 0.8))}, shooter prevalence "
                    f"{m_ref['shooter_prevalence']:.0%})", part="the study reported"),
        claims.Line("direct", "for",
                    f"Thoreson 2015: no difference in MRI abnormalities between "
                    f"{int(th_f['n_runners'])} elite runners and {int(th_f['n_controls'])} "
                    f"non-athletes (P = {th_f['p_mri_abnormalities']:g})",
                    part="runners in general"),
        claims.Line("direct", "for",
                    f"Mitchell 2020: runners' discs had better Pfirrmann grades (P = "
                    f"{mit['p_pfirrmann_l5s1']:g} at L5-S1) and {mit['ivd_height_diff_pct']:g}% "
                    f"greater height (P = {mit['p_ivd_height']:g}) than controls'; Belavy 2017 "
                    "found healthier discs in runners too (notebook 05)",
                    part="runners in general"),
    ]
    out.append(claims.Verdict(
        "mri-runners-normal", claims.weigh(mri_lines),
        "Right about runners, as far as it can be checked. " + claims.lines_text(mri_lines)
        + ". Partly supported: the study the article reports says it without numbers and "
        "with too few runners to rule out a sizeable difference, while two later studies "
        "with runners and non-runners find no more degeneration in runners. No MRI group "
        "from the general population exists in Videman's study (shooters were the "
        "comparison). What would change it: Videman's MRI counts per group (supported if "
        "runners and shooters are alike with a narrow interval)."))

    # mri-two-dozen: the words allow two readings, graded on both
    thr = claims.threshold("mri-two-dozen")
    subs = {s: int(vf.loc[f"mri_n_{s}", "value"])
            for s in ("runners", "soccer", "weightlifters", "shooters")}
    total = sum(subs.values())
    near = lambda x: abs(x - thr) <= 0.25 * thr  # "about": within a quarter
    names = {"runners": "runners", "soccer": "soccer players",
             "weightlifters": "weight lifters", "shooters": "shooters"}
    two_lines = [
        claims.Line("direct", "for" if all(near(v) for v in subs.values()) else "against",
                    f"read as about two dozen of each sport: "
                    f"{', '.join(f'{v} {names[k]}' for k, v in subs.items())} "
                    f"({min(subs.values())}-{max(subs.values())}, each within a quarter of "
                    f"{thr:g})", part="per sport"),
        claims.Line("direct", "for" if near(total) else "against",
                    f"read as two dozen in all: {total} athletes had MRI scans, about four "
                    "times two dozen", part="in all"),
    ]
    out.append(claims.Verdict(
        "mri-two-dozen", claims.weigh(two_lines),
        "The sentence can be read two ways, and the numbers (Videman 1995 abstract) fit one. "
        + claims.lines_text(two_lines) + ". The per-sport reading is the more natural one, "
        "so the article is right as most readers would take it, but a reader who takes it as "
        "the total is misled by a factor of four. What would change it: nothing in the "
        "data; the counts are printed, and the verdict rests on how the sentence is read."))

    # population-70
    walker = table[(table["study"] == "walker2004") & (table["prevalence_type"] == "lifetime")
                   ].iloc[0]
    v = claims.exceeds("population-70", walker["prevalence"], walker["ci_low"],
                       walker["ci_high"], claims.threshold("population-70"),
                       "Walker 2004 (Australian adults, n not printed) lifetime LBP prevalence",
                       "")
    out.append(claims.Verdict(
        v.claim_id, v.verdict,
        f"Walker 2004 lifetime LBP prevalence {walker['prevalence']:.1%} (printed 95% CI "
        f"{walker['ci_low']:.1%} to {walker['ci_high']:.1%}) is above the claimed 70%, so "
        "'as many as 70%' holds as a lower bound (it understates). One national survey; "
        "Hoy 2012 gives no lifetime figure. What would change it: population surveys putting "
        "lifetime back pain below 70%."))

    # runners-20
    thr20 = claims.threshold("runners-20")
    mf = facts("maselli2020")
    lo_r, hi_r = mf.loc["prevalence_min", "value"], mf.loc["prevalence_max", "value"]
    mas = table[(table["study"] == "maselli2021")].iloc[0]
    m21 = facts("maselli2021")
    not_running = m21.loc["share_believing_not_caused_by_running", "value"]
    blamed = round((1 - not_running) * int(mas["cases"]))
    b_lo, b_hi = prev.wilson_ci(blamed, int(mas["n"]), level)
    wu = facts("wu2021")
    wu_p = wu.loc["lbp_cases", "value"] / wu.loc["n_valid", "value"]
    review_ok = abs(hi_r - thr20) <= 0.01
    after_running = [wu_p, blamed / int(mas["n"])]
    verdict = ("supported" if review_ok and all(x <= thr20 for x in after_running) else
               "partly supported" if review_ok else "not supported")
    out.append(claims.Verdict(
        "runners-20", verdict,
        f"'Up to 20%' is an upper bound, and the evidence stays under it. Maselli 2020 "
        f"review: LBP prevalence {lo_r:.1%}-{hi_r:.1%} in runners across 19 studies of "
        f"mixed periods (the upper end matches). The figures closest to 'after running': "
        f"Wu 2021, LBP after a marathon {wu_p:.1%} (36/800); Maselli 2021, 12-month LBP "
        f"{mas['prevalence']:.1%} of {int(mas['n'])} runners, but {not_running:.0%} of them "
        f"did not think running caused it, leaving about {blamed}/{int(mas['n'])} = "
        f"{blamed / int(mas['n']):.1%} ({level:.0%} Wilson CI {b_lo:.1%} to {b_hi:.1%}; "
        "count derived) who did. The all-cause 12-month figure (22.6%) is above 20%, but it "
        "counts back pain from any cause, not pain after running. Typical figures are "
        "nearer 5% than 20%. What would change it: a survey of runners asking about back "
        "pain after running that finds more than 20%."))

    # runners-lower-risk: every line that compares runners with non-runners; cross-study
    # rows (runners_pop) are shown but not weighed, and triathletes are not runners
    th = within[within["study"] == "thoreson2015"].iloc[0]
    risk_lines = [
        claims.Line("direct", "against",
                    f"Thoreson 2015, elite runners vs non-athletes: back pain in "
                    f"{th['cases1']}/{th['n1']} vs {th['cases2']}/{th['n2']}, OR "
                    f"{th['odds_ratio']:.1f} ({level:.0%} CI {th['ci_low']:.1f} to "
                    f"{th['ci_high']:.1f}), the only runner-specific comparison with counts"),
        claims.Line("indirect", "for",
                    "Videman 1995, former elite endurance athletes (runners among them) vs "
                    "matched controls: significantly lower odds (no numbers public)"),
        claims.Line("indirect", "against",
                    "Fett 2017, track and field athletes (runners among them) vs active "
                    "students: significantly higher (no numbers for the discipline in the "
                    "abstract)"),
    ]
    woolf_similar = int(fact("woolf2002", "conclusion_similar_to_general_population")) == 1
    cross = runners_pop[runners_pop["runner_study"] != ""]
    cross_text = bibliography.cite_text("; ".join(
        f"{r.runner_study} {r.prevalence_type} {r.runner:.1%} vs {r.population_study} "
        f"{r.population:.1%}" for r in cross.itertuples()))
    out.append(claims.Verdict(
        "runners-lower-risk", claims.weigh(risk_lines),
        "The evidence leans the other way. " + claims.lines_text(risk_lines) + ". "
        "The one comparison of runners with counts finds more back pain in runners, and the "
        "one line for the claim is indirect (endurance athletes, no numbers), so it cannot "
        "outweigh it. Shown but not weighed: "
        + ("Woolf 2002's authors concluded that back pain in 539 runners and walkers was "
           "similar to the general population (a conclusion with no comparison group); "
           if woolf_similar else "")
        + f"runner surveys set beside population surveys ({cross_text}), which differ in "
        "country, year and questions. What would change it: a study comparing runners with "
        "non-runners of the same age and sex, with counts, that finds less back pain in "
        "runners (partly supported), or several (supported)."))
    return out


def or_forest_rows(within: pd.DataFrame) -> pd.DataFrame:
    """The within-study odds ratios labelled for a forest plot grouped by study
    (``label`` = study and prevalence type); the notebook draws it with
    :func:`runspine.notebook.plots.forest` on a log x axis."""
    return within.assign(label=within["study"] + " [" + within["prevalence_type"] + "]")
