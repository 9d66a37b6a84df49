"""Spinal shrinkage vs running pace (Garbutt et al. 1990, abstract data).

The abstract gives, pooled over 14 runners (assumption: 2 groups x 7 pooled), the mean
and SD of shrinkage at 70, 85 and 100 % of marathon race pace and for the first and
second 15 min of the run, plus P < 0.005 (pace), P < 0.05 (halves) and P > 0.05
(LBP vs no LBP). The within-subject correlation ``rho`` is not reported: every test
here takes it as an assumption and the notebook sweeps it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from runspine import claims, data
from runspine.stats import power, simulate, summary
from runspine.stats.models import fit_random_intercept, mixed_prediction

STUDY = "garbutt1990"
NOTEBOOK = "01_spinal_shrinkage_vs_pace"
FACTS = "shrinkage_facts"


def load_conditions() -> pd.DataFrame:
    """The transcribed shrinkage table (all five rows)."""
    return data.load_table("garbutt1990_shrinkage")


def pace_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["condition"].str.startswith("pace_")].sort_values("pace_pct")


def half_rows(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    idx = table.set_index("condition")
    return idx.loc["first_15_min"], idx.loc["second_15_min"]


def condition_cis(table: pd.DataFrame, n: int, level: float) -> pd.DataFrame:
    """Each condition's mean with a t-based CI (n runners)."""
    rows = []
    for rec in table.itertuples():
        lo, hi = summary.mean_ci(rec.mean_mm, rec.sd_mm, n, level)
        rows.append({"condition": rec.condition, "pace_pct": rec.pace_pct,
                     "mean": rec.mean_mm, "sd": rec.sd_mm, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def reproduction_grid(table: pd.DataFrame, n: int, rhos) -> pd.DataFrame:
    """Recomputed P values for pace (RM ANOVA) and halves (paired t) across rho."""
    paces = pace_rows(table)
    first, second = half_rows(table)
    p_pace_bound = data.fact(FACTS, STUDY, "p_pace")
    p_halves_bound = data.fact(FACTS, STUDY, "p_halves")
    rows = []
    for rho in rhos:
        aov = summary.rm_anova_from_summary(paces["mean_mm"], paces["sd_mm"], n, rho)
        half = summary.paired_t_from_summary(first["mean_mm"], first["sd_mm"],
                                             second["mean_mm"], second["sd_mm"], n, rho)
        rows.append({"rho": round(float(rho), 6), "F_pace": aov.F, "p_pace": aov.p,
                     "p_pace_gg": aov.p_gg, "t_halves": half.statistic, "p_halves": half.p,
                     "pace_reproduced": aov.p < p_pace_bound,
                     "halves_reproduced": half.p < p_halves_bound})
    grid = pd.DataFrame(rows)
    grid["both_reproduced"] = grid["pace_reproduced"] & grid["halves_reproduced"]
    return grid


def rho_grid(step: float) -> np.ndarray:
    """Correlations from -0.45 (k = 3 needs rho > -0.5) up to at most 0.95 in ``step``."""
    n_steps = int(np.floor((0.95 + 0.45) / step + 1e-9))
    return np.round(np.linspace(-0.45, -0.45 + n_steps * step, n_steps + 1), 6)


def consistent_range(grid: pd.DataFrame, column: str) -> tuple[float, float] | None:
    """Smallest and largest rho of the grid at which ``column`` is True."""
    ok = grid.loc[grid[column], "rho"]
    return (float(ok.min()), float(ok.max())) if not ok.empty else None


def reproduction_table(table: pd.DataFrame, n: int, rho: float,
                       level: float) -> pd.DataFrame:
    """Reported vs recomputed, at the chosen rho (study, quantity, reported, recomputed,
    consistent, note)."""
    grid = reproduction_grid(table, n, [rho]).iloc[0]
    paces = pace_rows(table)
    rows = []
    for rec in paces.itertuples():
        lo, hi = summary.mean_ci(rec.mean_mm, rec.sd_mm, n, level)
        rows.append({"study": STUDY, "quantity": f"shrinkage at {rec.pace_pct:g}% pace (mm)",
                     "reported": f"{rec.mean_mm:.2f} +/- {rec.sd_mm:.2f}",
                     "recomputed": f"{rec.mean_mm:.2f} ({level:.0%} CI {lo:.2f} to {hi:.2f})",
                     "consistent": True,
                     "note": "Transcribed value; the CI is new (t, n runners)."})
    rows.append({"study": STUDY, "quantity": "pace effect P (RM ANOVA)",
                 "reported": "P < 0.005", "recomputed": f"P = {grid['p_pace']:.2g} "
                 f"(F = {grid['F_pace']:.2f}; Greenhouse-Geisser P = {grid['p_pace_gg']:.2g})",
                 "consistent": bool(grid["pace_reproduced"]),
                 "note": f"Assumes rho = {rho:g} between paces and n = {n}; the paper does not "
                         "name its test."})
    rows.append({"study": STUDY, "quantity": "first vs second 15 min P (paired t)",
                 "reported": "P < 0.05", "recomputed": f"P = {grid['p_halves']:.2g} "
                 f"(t = {grid['t_halves']:.2f}, df = {n - 1})",
                 "consistent": bool(grid["halves_reproduced"]),
                 "note": f"Assumes rho = {rho:g} between halves and n = {n}."})
    return pd.DataFrame(rows)


def slope(table: pd.DataFrame, n: int, rho: float, level: float) -> summary.Estimate:
    """Least-squares slope of shrinkage on pace (mm per percentage point), within-subject."""
    paces = pace_rows(table)
    w = summary.slope_weights(paces["pace_pct"])
    return summary.within_contrast_from_summary(w, paces["mean_mm"], paces["sd_mm"], n, rho,
                                                level)


def slope_independent(table: pd.DataFrame, n: int, level: float) -> dict:
    """Slope from weighted least squares on the three means treated as independent
    (weights n / SD^2, variances known: statsmodels WLS with ``cov_type='fixed scale'``)."""
    import statsmodels.api as sm

    paces = pace_rows(table)
    X = sm.add_constant(paces["pace_pct"].to_numpy(dtype=float))
    fit = sm.WLS(paces["mean_mm"].to_numpy(dtype=float), X,
                 weights=n / paces["sd_mm"].to_numpy(dtype=float) ** 2
                 ).fit(cov_type="fixed scale")
    lo, hi = fit.conf_int(alpha=1 - level)[1]
    return {"estimate": float(fit.params[1]), "se": float(fit.bse[1]), "ci_low": float(lo),
            "ci_high": float(hi)}


def simulated_frame(table: pd.DataFrame, n: int, rho: float, seed: int) -> pd.DataFrame:
    """Runner-level data with exactly the published means and SDs at the three paces."""
    paces = pace_rows(table)
    frame = simulate.repeated_measures_frame(paces["pace_pct"].tolist(), paces["mean_mm"],
                                             paces["sd_mm"], n, rho, seed,
                                             value_name="shrinkage_mm",
                                             condition_name="pace_pct")
    frame["pace_pct"] = frame["pace_pct"].astype(float)
    return frame


def mixed_vs_summary(table: pd.DataFrame, n: int, rho: float, seed: int,
                     level: float) -> tuple[pd.DataFrame, object]:
    """Random-intercept model on simulated runners vs the summary-level slope."""
    frame = simulated_frame(table, n, rho, seed)
    mixed = fit_random_intercept(frame, "shrinkage_mm", "pace_pct", "subject", level)
    summ = slope(table, n, rho, level)
    indep = slope_independent(table, n, level)
    comp = pd.DataFrame([
        {"method": f"summary-level within-subject contrast (t, rho = {rho:g})",
         "slope_mm_per_pct": summ.estimate, "se": summ.se, "ci_low": summ.ci_low,
         "ci_high": summ.ci_high},
        {"method": f"mixed model on simulated runners (REML, seed {seed})",
         "slope_mm_per_pct": mixed.slope, "se": mixed.slope_se, "ci_low": mixed.slope_ci_low,
         "ci_high": mixed.slope_ci_high},
        {"method": "means treated as independent (WLS, known variances)",
         "slope_mm_per_pct": indep["estimate"], "se": indep["se"], "ci_low": indep["ci_low"],
         "ci_high": indep["ci_high"]},
    ])
    return comp, mixed


def prediction_table(mixed, paces, level: float) -> pd.DataFrame:
    """Mean shrinkage and one runner's shrinkage predicted at the given paces."""
    return pd.DataFrame([mixed_prediction(mixed, float(x), level) for x in paces]
                        ).rename(columns={"x": "pace_pct"})


def runner_mean_sd(table: pd.DataFrame, rho: float) -> float:
    r"""SD of a runner's average shrinkage over the three paces:
    :math:`\sqrt{\mathbf 1^\top S \mathbf 1} / k`."""
    paces = pace_rows(table)
    cov = summary.compound_symmetry_cov(paces["sd_mm"], rho)
    return float(np.sqrt(cov.sum()) / len(paces))


def power_table(table: pd.DataFrame, n_group: int, rho: float, alpha: float,
                target_power: float) -> pd.DataFrame:
    """Minimum detectable LBP vs no-LBP difference (mm) for each outcome definition."""
    d_min = power.min_detectable_d(n_group, n_group, alpha, target_power)
    rows = [{"outcome": f"mean over the three paces (rho = {rho:g})",
             "sd_mm": runner_mean_sd(table, rho)}]
    for rec in pace_rows(table).itertuples():
        rows.append({"outcome": f"{rec.pace_pct:g}% pace", "sd_mm": rec.sd_mm})
    out = pd.DataFrame(rows)
    out["n_per_group"] = n_group
    out["min_detectable_d"] = d_min
    out["min_detectable_mm"] = d_min * out["sd_mm"]
    return out


def power_curve_frame(table: pd.DataFrame, rhos, n_values, alpha: float,
                      target_power: float) -> pd.DataFrame:
    """Minimum detectable difference (mm) by runners per group, for several rho."""
    rows = []
    for n_group in n_values:
        d_min = power.min_detectable_d(n_group, n_group, alpha, target_power)
        for rho in rhos:
            rows.append({"runners_per_group": n_group, "rho": f"rho = {rho:g}",
                         "min_detectable_mm": d_min * runner_mean_sd(table, rho)})
    return pd.DataFrame(rows)


def verdicts(table: pd.DataFrame, n: int, rho: float, level: float, grid: pd.DataFrame,
             n_group: int, alpha: float, target_power: float) -> list[claims.Verdict]:
    """Verdicts on shrink-quarter-inch, shrink-speed, shrink-distance,
    shrink-lbp-independent."""
    idx = table.set_index("condition")
    full = idx.loc["pace_100"]
    lo, hi = summary.mean_ci(full["mean_mm"], full["sd_mm"], n, level)
    quarter = claims.exceeds("shrink-quarter-inch", full["mean_mm"], lo, hi,
                             claims.threshold("shrink-quarter-inch"),
                             "mean shrinkage after 30 min at 100% marathon pace", "mm")
    from scipy import stats

    share_below = stats.norm.cdf((claims.threshold("shrink-quarter-inch") - full["mean_mm"])
                                 / full["sd_mm"])
    quarter = claims.Verdict(quarter.claim_id, quarter.verdict, quarter.evidence +
                             f"; with SD {full['sd_mm']:.2f} mm, about {share_below:.0%} of "
                             "runners would have shrunk less than a quarter inch")

    slopes = [slope(table, n, r, level) for r in grid["rho"]]
    worst_low = min(s.ci_low for s in slopes)
    at_rho = slope(table, n, rho, level)
    speed = claims.Verdict(
        "shrink-speed",
        "supported" if worst_low > 0 else "partly supported",
        f"shrinkage rose from {idx.loc['pace_70', 'mean_mm']:.2f} to "
        f"{full['mean_mm']:.2f} mm from 70% to 100% pace; slope {at_rho.estimate:.3f} mm per "
        f"percentage point ({level:.0%} CI {at_rho.ci_low:.3f} to {at_rho.ci_high:.3f} at "
        f"rho = {rho:g}); the CI stays above 0 for every rho from {grid['rho'].min():g} to "
        f"{grid['rho'].max():g} (lowest bound {worst_low:.3f}); paper: P < 0.005")

    first, second = half_rows(table)
    lo2, hi2 = summary.mean_ci(second["mean_mm"], second["sd_mm"], n, level)
    distance = claims.Verdict(
        "shrink-distance",
        "partly supported" if lo2 > 0 else "not supported",
        f"runners kept shrinking in the second 15 min ({second['mean_mm']:.2f} mm, "
        f"{level:.0%} CI {lo2:.2f} to {hi2:.2f}) after {first['mean_mm']:.2f} mm in the first, "
        "so 30 min shrank more than 15 min; but the rate fell (paper: first half greater, "
        "P < 0.05) and no run was longer than 30 min, so 'the longer, the shorter' beyond "
        "30 min is untested")

    ptab = power_table(table, n_group, rho, alpha, target_power)
    mdd = float(ptab.iloc[0]["min_detectable_mm"])
    mean_all = float(pace_rows(table)["mean_mm"].mean())
    lbp = claims.absence_of_difference(
        "shrink-lbp-independent", data.fact(FACTS, STUDY, "p_group"), mdd, mean_all,
        f"LBP vs no-LBP difference in mean shrinkage ({n_group} vs {n_group} runners, "
        f"rho = {rho:g})", "mm")
    return [quarter, speed, distance, lbp]
