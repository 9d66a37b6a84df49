"""Hip muscle tightness in runners and its relation to low back pain (Bach et al. 1985).

Only the design is public: 45 runners and 43 non-runners, goniometry of three hip
movements (abduction, flexion with the knee extended, extension) on both sides; runners
were "significantly limited" in hip flexion with the knee extended; no correlation of
tightness with low back pain (LBP) in runners. No means, SDs, P values or test are
available, and the number of runners with LBP (10) comes only from a popular article
(``n_runners_lbp``, provenance ``assumed``). Everything here is therefore a design
analysis: what the study could and could not have detected.
"""

from __future__ import annotations

import pandas as pd

from runspine import claims, data
from runspine.stats import groups, power

STUDY = "bach1985"
NOTEBOOK = "04_hip_tightness_and_back_pain"
FACTS = "disc_facts"
COHEN_LARGE_D = 0.8  # Cohen (1988) "large" standardized difference


def load_facts() -> pd.DataFrame:
    """Bach 1985 facts (design counts, the reported direction, the assumed LBP count)."""
    return data.facts(FACTS, STUDY)


def design_n() -> tuple[int, int]:
    """Runners and non-runners measured (45, 43)."""
    return (int(data.fact(FACTS, STUDY, "n_runners")),
            int(data.fact(FACTS, STUDY, "n_nonrunners")))


def lbp_count_is_reported() -> bool:
    """Whether the number of runners with LBP is a reported fact (it is not: assumed)."""
    return load_facts().loc["n_runners_lbp", "provenance"] == "reported"


def runners_vs_nonrunners(n_run: int, n_non: int, alpha: float, target_power: float,
                          sd_deg: list[float], n_comparisons: int) -> pd.DataFrame:
    """Minimum detectable runner vs non-runner difference (SD units and degrees).

    Rows: per-comparison alpha, and Bonferroni alpha / ``n_comparisons`` (3 movements x
    2 sides were compared); one degrees column per assumed SD.
    """
    rows = []
    for label, a in ((f"alpha = {alpha:g} (one comparison)", alpha),
                     ((f"alpha = {alpha:g}/{n_comparisons} (Bonferroni over "
                       f"{n_comparisons} comparisons)"), alpha / n_comparisons)):
        d = power.min_detectable_d(n_run, n_non, a, target_power)
        row = {"test level": label, "alpha": a, "min_detectable_d": d,
               "critical_observed_d": groups.critical_d(n_run, n_non, a)}
        for sd in sd_deg:
            row[f"degrees if SD = {sd:g} deg"] = d * sd
        rows.append(row)
    return pd.DataFrame(rows)


def lbp_detectable(n_runners: int, n_cases: int, alpha: float, target_power: float,
                   sd_deg: float) -> dict:
    """What the LBP analysis within runners could detect, for ``n_cases`` LBP cases.

    - ``d``: minimum detectable tightness difference (SD units), LBP vs no-LBP runners,
      two-sample t test (R ``pwr::pwr.t2n.test(n1 = cases, n2 = runners - cases,
      power)``);
    - ``degrees``: the same in degrees for an assumed SD;
    - ``r_pb``: the point-biserial correlation equivalent to that d for this split;
    - ``r``: minimum detectable Pearson correlation between tightness and a continuous
      pain measure over all runners (R ``pwr::pwr.r.test(n = runners, power)``), which
      does not depend on the number of cases.
    """
    n_free = n_runners - n_cases
    d = power.min_detectable_d(n_cases, n_free, alpha, target_power)
    return {"n_cases": n_cases, "n_no_lbp": n_free, "d": d, "degrees": d * sd_deg,
            "r_pb": groups.d_to_point_biserial_r(d, n_cases, n_free),
            "r": groups.min_detectable_r(n_runners, alpha, target_power)}


def cases_curve(n_runners: int, cases: list[int], alpha: float, target_power: float,
                d_values: list[float]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sweep the number of LBP cases among the runners.

    Returns (detectable, power): minimum detectable d for each number of cases, and
    power to detect each assumed d in ``d_values`` for each number of cases.
    """
    det, pw = [], []
    for c in cases:
        det.append({"lbp_cases": c,
                    "min_detectable_d": power.min_detectable_d(c, n_runners - c, alpha,
                                                               target_power),
                    "series": f"{target_power:.0%} power"})
        for d in d_values:
            pw.append({"lbp_cases": c, "d": f"d = {d:g}",
                       "power": power.power_two_sample(d, c, n_runners - c, alpha)})
    return pd.DataFrame(det), pd.DataFrame(pw)


def cases_grid(low: int, high: int, n_runners: int) -> list[int]:
    """Whole numbers of cases from ``low`` to ``high`` (at least 2 per group)."""
    return [c for c in range(max(low, 2), min(high, n_runners - 2) + 1)]


def verdicts(n_run: int, n_non: int, n_cases: int, alpha: float, target_power: float
             ) -> list[claims.Verdict]:
    """Verdicts on hip-tight-runners and hip-lbp-underpowered."""
    d_run = power.min_detectable_d(n_run, n_non, alpha, target_power)
    d_crit = groups.critical_d(n_run, n_non, alpha)
    p_bound = data.fact(FACTS, STUDY, "p_hip_flexion_knee_extended")
    tight = claims.Verdict(
        "hip-tight-runners", "partly supported",
        f"the abstract says runners ({n_run}) were 'significantly limited' in hip flexion "
        f"with the knee extended compared with non-runners ({n_non}); it prints no degrees, "
        f"SDs, P value or test (P < {p_bound:g} is assumed), so the result cannot be "
        f"re-tested; a significant t test with these groups implies an observed difference of "
        f"at least {d_crit:.2f} SD, and {claims.power_label(target_power)} needed {d_run:.2f} SD; "
        "the abstract calls "
        "the comparison group 'nonrunners', not 'sedentary controls'. What would change it: "
        "the paper's degrees and SDs (supported if they show the difference), or a study of "
        "runners and non-runners finding no difference")
    lbp = lbp_detectable(n_run, n_cases, alpha, target_power, 1.0)
    underpowered = lbp["d"] > COHEN_LARGE_D
    confirmed = lbp_count_is_reported()
    if underpowered and confirmed:
        verdict = "supported"
    elif underpowered:
        verdict = "partly supported"
    else:
        verdict = "not supported"
    lbp_v = claims.Verdict(
        "hip-lbp-underpowered", verdict,
        f"the abstract confirms 'no correlation could be drawn' between tightness and LBP; "
        f"with {n_cases} LBP cases among {n_run} runners (a count only the article gives, "
        f"{'confirmed' if confirmed else 'not confirmed by the paper'}) the smallest "
        f"tightness difference detectable with {target_power:.0%} power is "
        f"{lbp['d']:.2f} SD ({'more' if underpowered else 'no more'} than the "
        f"{COHEN_LARGE_D:g} SD usually called a large difference), and the smallest "
        f"detectable correlation over all runners is "
        f"{lbp['r']:.2f}; so only large associations could "
        "have been found, and 'no link was found' does not show that no link exists. What "
        "would change it: the paper confirming ten runners with back pain (supported: too "
        "few, as the article says), or a larger study finding a link or ruling out a "
        "moderate one")
    return [tight, lbp_v]


def reproduction_table(n_run: int, n_non: int) -> pd.DataFrame:
    """What can be checked against the abstract: the counts only (no summary data).

    ``consistent`` is empty (NaN) where nothing can be recomputed."""
    f = load_facts()
    return pd.DataFrame([
        {"study": STUDY, "quantity": "subjects measured",
         "reported": f"{n_run} runners + {n_non} non-runners",
         "recomputed": f"{int(f.loc['n_total', 'value'])} in total",
         "consistent": int(f.loc["n_total", "value"]) == n_run + n_non,
         "note": "Counts from the abstract; the total is derived."},
        {"study": STUDY, "quantity": "hip flexion (knee extended), runners vs non-runners",
         "reported": "runners 'significantly limited' (no P, test or degrees printed)",
         "recomputed": "not recomputable: no means or SDs are public",
         "consistent": float("nan"),
         "note": "Not reproduced (no data), not contradicted; P < 0.05 is an assumption."},
        {"study": STUDY, "quantity": "tightness vs LBP in runners",
         "reported": "'no correlation could be drawn'",
         "recomputed": "not recomputable: no data; see the power analysis",
         "consistent": float("nan"),
         "note": "The number of runners with LBP is not in the abstract (10 is assumed)."},
    ])
