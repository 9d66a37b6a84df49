"""Spinal shrinkage vs running pace (Garbutt et al. 1990, abstract data).

The abstract gives, pooled over 14 runners (assumption: 2 groups x 7 pooled), the mean
and SD of shrinkage at 70, 85 and 100% of marathon race pace and for the first and
second 15 min of the run, plus P < 0.005 (pace), P < 0.05 (halves) and P > 0.05
(LBP vs no LBP). The within-subject correlation ``rho`` between paces is not reported:
the pace tests take it as an assumption and the notebook sweeps it.

The halves are modelled on their own (:func:`halves_table`). Their means add up to the
grand mean of the three pace means (3.26 + 2.12 = 5.38), so they pool the three paces,
and their SDs can belong to two samples: 14 runner averages over the paces, or 42 runs.
In each reading the SD of the 30-min total is fixed by the pace rows, and with it the
correlation between the halves; the correlation between paces says nothing about it.

Comparable studies of longer runs (Leatt 1986, 25 km; Rodacki 2024, 30 vs 60 min) are
in ``shrinkage_facts`` and enter the ``shrink-distance`` verdict.
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
    """Recomputed pace P (RM ANOVA) across rho, and the halves under the runner-average
    reading at each rho (:func:`halves_runner_average`).

    Columns: rho, F_pace, p_pace, p_pace_gg, pace_reproduced, sd_total_runner,
    r_halves_runner, t_halves_runner, p_halves_runner, halves_runner_feasible,
    halves_runner_reproduced.
    """
    paces = pace_rows(table)
    p_pace_bound = data.fact(FACTS, STUDY, "p_pace")
    p_halves_bound = data.fact(FACTS, STUDY, "p_halves")
    rows = []
    for rho in rhos:
        aov = summary.rm_anova_from_summary(paces["mean_mm"], paces["sd_mm"], n, rho)
        half = halves_runner_average(table, n, float(rho))
        rows.append({"rho": round(float(rho), 6), "F_pace": aov.F, "p_pace": aov.p,
                     "p_pace_gg": aov.p_gg, "pace_reproduced": aov.p < p_pace_bound,
                     "sd_total_runner": half["sd_total_mm"],
                     "r_halves_runner": half["r_halves"], "t_halves_runner": half["t"],
                     "p_halves_runner": half["p"],
                     "halves_runner_feasible": half["feasible"],
                     "halves_runner_reproduced": bool(half["p"] < p_halves_bound)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- halves
def halves_runner_average(table: pd.DataFrame, n: int, rho: float) -> dict:
    r"""First vs second 15 min read as n runner averages over the three paces.

    A runner's halves, averaged over the paces, add up to the runner's 30-min shrinkage
    averaged over the paces, whose SD is :func:`runner_mean_sd` (given ``rho`` between
    paces). That SD and the two halves' SDs fix the correlation between the halves
    (:func:`runspine.stats.summary.implied_correlation`) and the paired t on n - 1 df
    (:func:`runspine.stats.summary.paired_t_from_sum_sd`). Where the implied correlation
    lies outside [-1, 1] (low rho: the total varies less than the halves' SDs allow) the
    reading is impossible at that rho: ``feasible`` is False and t and P are NaN.
    """
    first, second = half_rows(table)
    sd_total = runner_mean_sd(table, rho)
    res = summary.paired_t_from_sum_sd(first["mean_mm"], first["sd_mm"], second["mean_mm"],
                                       second["sd_mm"], sd_total, n)
    ok = abs(res.r) <= 1
    return {"reading": f"{n} runner averages over the 3 paces", "n": n, "df": res.df,
            "sd_total_mm": sd_total, "r_halves": res.r, "sd_diff_mm": res.sd_diff,
            "t": res.statistic if ok else np.nan, "p": res.p if ok else np.nan,
            "feasible": ok}


def halves_runs(table: pd.DataFrame, n_runners: int) -> dict:
    r"""First vs second 15 min read as n_runners x 3 runs treated as independent pairs.

    The SD of the 30-min shrinkage over all runs follows from the three pace rows alone
    (:func:`runspine.stats.summary.combined_sd`, n_runners runs per pace), so no
    correlation is assumed. A paired t on 3 n_runners - 1 df then treats runs of the same
    runner as independent (pseudo-replication).
    """
    first, second = half_rows(table)
    paces = pace_rows(table)
    n_runs = 3 * n_runners
    sd_total = summary.combined_sd(paces["mean_mm"], paces["sd_mm"], [n_runners] * len(paces))
    res = summary.paired_t_from_sum_sd(first["mean_mm"], first["sd_mm"], second["mean_mm"],
                                       second["sd_mm"], sd_total, n_runs)
    return {"reading": f"{n_runs} runs ({n_runners} runners x 3 paces) as independent pairs",
            "n": n_runs, "df": res.df, "sd_total_mm": sd_total, "r_halves": res.r,
            "sd_diff_mm": res.sd_diff, "t": res.statistic, "p": res.p}


def halves_over_runs(table: pd.DataFrame, n_runners: int, rho_days: float) -> dict:
    r"""First vs second 15 min read as SDs printed over all runs (descriptive) with a
    correct test on runners: a paired t on the n_runners runner averages.

    The SD of the difference over all 3 n_runners runs is that of :func:`halves_runs`
    (nothing assumed); a runner's average over the 3 days varies less, by how much depends
    on ``rho_days``, the correlation of a runner's first-minus-second difference across
    the three days (not reported;
    :func:`runspine.stats.summary.paired_t_runner_means`). With ``rho_days`` near 0 the
    correct test is about as strong as the test on all runs.
    """
    runs = halves_runs(table, n_runners)
    first, second = half_rows(table)
    res = summary.paired_t_runner_means(first["mean_mm"] - second["mean_mm"],
                                        runs["sd_diff_mm"], n_runners, 3, rho_days)
    return {"reading": (f"SDs over all {runs['n']} runs, paired t on {n_runners} runner "
                        f"averages (a runner's difference correlates {rho_days:g} across "
                        "days)"),
            "n": n_runners, "df": res.df, "sd_total_mm": runs["sd_total_mm"],
            "r_halves": runs["r_halves"], "sd_diff_mm": res.sd_diff, "t": res.statistic,
            "p": res.p}


def halves_rho_days_limit(table: pd.DataFrame, n_runners: int, alpha: float) -> float:
    """The correlation of a runner's half difference across days below which the correct
    test on runner averages (:func:`halves_over_runs`) gives P < ``alpha``."""
    runs = halves_runs(table, n_runners)
    first, second = half_rows(table)
    return summary.rho_runs_for_p(first["mean_mm"] - second["mean_mm"], runs["sd_diff_mm"],
                                  n_runners, 3, alpha)


def halves_model(table: pd.DataFrame, n_runners: int) -> dict:
    r"""A model of runners' runs that reproduces every printed number of the halves:
    each run's 30-min total :math:`T`, its first-minus-second difference
    :math:`D = \bar D + b (T - \bar m) + e`, :math:`e \sim N(0, s^2)`, halves
    :math:`(T \pm D)/2`. Over all runs :math:`4 s_F^2 = (1 + b)^2 V_T + s^2` and
    :math:`4 s_S^2 = (1 - b)^2 V_T + s^2`, so :math:`b = (s_F^2 - s_S^2)/V_T` and
    :math:`s^2 = 4 s_F^2 - (1 + b)^2 V_T`, with :math:`V_T` the variance of the totals
    over all runs (:func:`halves_runs`). Returns ``{"b", "s2", "mean_diff", "grand"}``."""
    runs = halves_runs(table, n_runners)
    first, second = half_rows(table)
    v_t = runs["sd_total_mm"] ** 2
    b = (first["sd_mm"] ** 2 - second["sd_mm"] ** 2) / v_t
    return {"b": float(b), "s2": float(4 * first["sd_mm"] ** 2 - (1 + b) ** 2 * v_t),
            "mean_diff": float(first["mean_mm"] - second["mean_mm"]),
            "grand": float(pace_rows(table)["mean_mm"].mean())}


#: Simulated runs held in memory at once by :func:`halves_simulation` (about 100 MB).
SIM_BLOCK_VALUES = 4_000_000


def halves_simulation(table: pd.DataFrame, n_runners: int, rhos, n_sims: int, seed: int,
                      alpha: float) -> pd.DataFrame:
    """How often each test of the halves gives P < ``alpha`` in data sets that match the
    printed numbers (:func:`halves_model`; the runners' 30-min totals drawn with the pace
    means and SDs and correlation ``rho`` between paces): the correct test (paired t on
    runner averages) and the test that treats all runs as independent pairs. Monte Carlo
    with ``n_sims`` data sets per ``rho`` (seeded); R: tests/reference/make_reference_claims.R
    (case ``halves_simulation``) gives the same shares within simulation error."""
    from scipy import stats as sstats

    model = halves_model(table, n_runners)
    paces = pace_rows(table)
    m = paces["mean_mm"].to_numpy()
    sd = paces["sd_mm"].to_numpy()
    rng = np.random.default_rng(seed)
    rows = []
    # data sets are drawn in blocks of at most SIM_BLOCK_VALUES simulated runs, so memory
    # stays bounded for many runners (one block, the same draws, at the default sizes)
    block = max(1, SIM_BLOCK_VALUES // (n_runners * 3))
    for rho in rhos:
        cov = np.outer(sd, sd) * (rho + (1 - rho) * np.eye(3))
        chol = np.linalg.cholesky(cov)
        parts = []
        for start in range(0, n_sims, block):
            size = min(block, n_sims - start)
            totals = m + rng.standard_normal((size, n_runners, 3)) @ chol.T
            diff = (model["mean_diff"] + model["b"] * (totals - model["grand"])
                    + rng.normal(0.0, np.sqrt(model["s2"]), (size, n_runners, 3)))
            first, second = (totals + diff) / 2, (totals - diff) / 2
            parts.append((
                sstats.ttest_1samp(diff.mean(axis=2), 0.0, axis=1).pvalue,
                sstats.ttest_rel(first.reshape(size, -1), second.reshape(size, -1),
                                 axis=1).pvalue,
                first.reshape(size, -1).std(axis=1, ddof=1),
                second.reshape(size, -1).std(axis=1, ddof=1)))
        p_correct, p_runs, sd_f, sd_s = (np.concatenate(col) for col in zip(*parts))
        rows.append({"rho": float(rho), "data_sets": n_sims,
                     "share_p_below_correct": float((p_correct < alpha).mean()),
                     "median_p_correct": float(np.median(p_correct)),
                     "share_p_below_runs": float((p_runs < alpha).mean()),
                     "median_p_runs": float(np.median(p_runs)),
                     "mean_sd_first_mm": float(sd_f.mean()),
                     "mean_sd_second_mm": float(sd_s.mean())})
    return pd.DataFrame(rows)


def feasible_text(grid: pd.DataFrame) -> str:
    """The rho range of the grid where the runner-average reading of the halves is
    possible (implied correlation between halves within [-1, 1])."""
    ok = grid.loc[grid["halves_runner_feasible"], "rho"]
    return "none" if ok.empty else f"rho {ok.min():g} to {ok.max():g}"


def max_runner_average_sd(table: pd.DataFrame) -> float:
    """The largest SD a runner's 3-pace average can have: the mean of the three SDs
    (reached only when every pair of paces is perfectly correlated)."""
    return float(pace_rows(table)["sd_mm"].mean())


def halves_table(table: pd.DataFrame, n: int, rho: float, grid: pd.DataFrame,
                 rho_days: float = 0.0, alpha: float = 0.05) -> pd.DataFrame:
    """The halves under the three readings that fit the printed numbers, side by side.

    Columns: reading, n, df, sd_total_mm, r_halves, t, p, reproduces (P below the printed
    bound), note.
    """
    first, second = half_rows(table)
    bound = data.fact(FACTS, STUDY, "p_halves")
    a = halves_runner_average(table, n, rho)
    b = halves_runs(table, n)
    c = halves_over_runs(table, n, rho_days)
    sd_max = max_runner_average_sd(table)
    limit = halves_rho_days_limit(table, n, alpha)
    a["note"] = (f"SDs over runners: SD of the total {a['sd_total_mm']:.2f} mm at rho = {rho:g} "
                 f"between paces; at most {sd_max:.2f} mm for any rho, so r between halves is "
                 f"at most {summary.implied_correlation(first['sd_mm'], second['sd_mm'], sd_max):.2f}; "
                 f"over every rho where this reading is possible ({feasible_text(grid)}): "
                 f"P {grid['p_halves_runner'].min():.2f} to {grid['p_halves_runner'].max():.2f}")
    b["note"] = ("SDs over runs, tested as if the 3 runs of a runner were independent: nothing "
                 "assumed (the SD of the total comes from the three pace rows), but the test "
                 "counts each runner three times, so its P is too small")
    c["note"] = (f"SDs over runs, the correct test on runners: P < {alpha:g} when a runner's "
                 f"difference correlates less than {limit:.3f} across the three days (not "
                 "reported; each difference carries the stadiometer's error of four readings, "
                 "which does not carry over from day to day)")
    out = pd.DataFrame([a, b, c])
    out["reproduces"] = out["p"] < bound
    return out[["reading", "n", "df", "sd_total_mm", "r_halves", "t", "p", "reproduces",
                "note"]]


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
    a = halves_runner_average(table, n, rho)
    b = halves_runs(table, n)
    rows.append({"study": STUDY, "quantity": f"first vs second 15 min P, {a['reading']}",
                 "reported": "P < 0.05", "recomputed": f"P = {a['p']:.2g} (t = {a['t']:.2f}, "
                 f"df = {a['df']:g}; implied r between halves {a['r_halves']:.2f})",
                 "consistent": bool(a["p"] < data.fact(FACTS, STUDY, "p_halves")),
                 "note": f"Assumes rho = {rho:g} between paces; not significant for any rho "
                         "(section 3)."})
    rows.append({"study": STUDY, "quantity": f"first vs second 15 min P, {b['reading']}",
                 "reported": "P < 0.05", "recomputed": f"P = {b['p']:.2g} (t = {b['t']:.2f}, "
                 f"df = {b['df']:g}; implied r between halves {b['r_halves']:.2f})",
                 "consistent": bool(b["p"] < data.fact(FACTS, STUDY, "p_halves")),
                 "note": "Nothing assumed; a test that counts each runner's 3 runs as "
                         "independent pairs, so its P is too small."})
    c = halves_over_runs(table, n, 0.0)
    rows.append({"study": STUDY, "quantity": "first vs second 15 min P, SDs over all runs, "
                 f"paired t on {n} runner averages",
                 "reported": "P < 0.05", "recomputed": f"P = {c['p']:.2g} (t = {c['t']:.2f}, "
                 f"df = {c['df']:g}) if a runner's difference is uncorrelated across days",
                 "consistent": bool(c["p"] < data.fact(FACTS, STUDY, "p_halves")),
                 "note": "The correct test on runners; reproduces the paper when a runner's "
                         "half difference correlates less than "
                         f"{halves_rho_days_limit(table, n, 0.05):.3f} across the 3 days "
                         "(section 3)."})
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


DATA_PACES = (70.0, 100.0)


def prediction_table(mixed, paces, level: float) -> pd.DataFrame:
    """Mean shrinkage and one runner's shrinkage predicted at the given paces.

    ``within_data`` is False for a pace outside the 70-100% the study ran: there the
    straight line is an assumption, not a finding (extrapolation)."""
    out = pd.DataFrame([mixed_prediction(mixed, float(x), level) for x in paces]
                       ).rename(columns={"x": "pace_pct"})
    out["within_data"] = out["pace_pct"].between(*DATA_PACES)
    return out


def runner_mean_sd(table: pd.DataFrame, rho: float) -> float:
    r"""SD of a runner's average shrinkage over the three paces:
    :math:`\sqrt{\mathbf 1^\top S \mathbf 1} / k`."""
    paces = pace_rows(table)
    cov = summary.compound_symmetry_cov(paces["sd_mm"], rho)
    return float(np.sqrt(cov.sum()) / len(paces))


def interaction_sd(table: pd.DataFrame, rho: float) -> float:
    r"""SD over runners of the rise in shrinkage from 70% to 100% pace (the
    within-runner linear-trend contrast :math:`c = (-1, 0, 1)` scaled to the 30-point
    range): :math:`\sqrt{c^\top S c}`."""
    paces = pace_rows(table)
    c = summary.slope_weights(paces["pace_pct"]) * float(np.ptp(paces["pace_pct"]))
    cov = summary.compound_symmetry_cov(paces["sd_mm"], rho)
    return float(np.sqrt(c @ cov @ c))


INTERACTION = "group x pace interaction (linear trend)"
MAIN_EFFECT = "group main effect"


def power_table(table: pd.DataFrame, n_group: int, rho: float, alpha: float,
                target_power: float) -> pd.DataFrame:
    """Minimum detectable LBP vs no-LBP difference (mm), per test.

    The abstract's "no difference in response to the three paces" is a group x pace
    interaction. Its linear-trend part (1 df) is a two-sample t test on each runner's
    rise from 70% to 100% pace (:func:`interaction_sd`); the detectable difference is
    a difference between the groups in that rise. The main effect (mean over the paces)
    and single paces are shown beside it. All use a two-sample t test (statsmodels
    ``TTestIndPower``, R ``pwr.t.test``) with n_group per group.
    """
    d_min = power.min_detectable_d(n_group, n_group, alpha, target_power)
    rows = [{"test": INTERACTION,
             "outcome": f"rise from 70% to 100% pace (rho = {rho:g})",
             "sd_mm": interaction_sd(table, rho)},
            {"test": MAIN_EFFECT, "outcome": f"mean over the three paces (rho = {rho:g})",
             "sd_mm": runner_mean_sd(table, rho)}]
    for rec in pace_rows(table).itertuples():
        rows.append({"test": "group difference at one pace",
                     "outcome": f"{rec.pace_pct:g}% pace", "sd_mm": rec.sd_mm})
    out = pd.DataFrame(rows)
    out["n_per_group"] = n_group
    out["min_detectable_d"] = d_min
    out["min_detectable_mm"] = d_min * out["sd_mm"]
    return out


def power_curve_frame(table: pd.DataFrame, rhos, n_values, alpha: float,
                      target_power: float) -> pd.DataFrame:
    """Minimum detectable group difference in the 70-to-100% rise (the interaction, mm)
    by runners per group, for several rho."""
    rows = []
    for n_group in n_values:
        d_min = power.min_detectable_d(n_group, n_group, alpha, target_power)
        for rho in rhos:
            rows.append({"runners_per_group": n_group, "rho": f"rho = {rho:g}",
                         "min_detectable_mm": d_min * interaction_sd(table, rho)})
    return pd.DataFrame(rows)


def rodacki_durations(rhos) -> pd.DataFrame:
    """Rodacki 2024: shrinkage at 60 vs 30 min of one run (15 runners), paired t for each
    assumed correlation between the two stature losses (not reported)."""
    f = data.facts(FACTS, "rodacki2024")["value"]
    n = int(f["n_runners"])
    rows = []
    for r in rhos:
        res = summary.paired_t_from_summary(f["shrinkage_60min_mean_mm"],
                                            f["shrinkage_60min_sd_mm"],
                                            f["shrinkage_30min_mean_mm"],
                                            f["shrinkage_30min_sd_mm"], n, float(r))
        rows.append({"rho": round(float(r), 6), "difference_mm":
                     f["shrinkage_60min_mean_mm"] - f["shrinkage_30min_mean_mm"],
                     "t": res.statistic, "df": res.df, "p": res.p})
    return pd.DataFrame(rows)


def distance_table(table: pd.DataFrame, n: int, level: float) -> pd.DataFrame:
    """Everything the project holds on shrinkage vs duration or distance of a run."""
    first, second = half_rows(table)
    lo2, hi2 = summary.mean_ci(second["mean_mm"], second["sd_mm"], n, level)
    le = data.facts(FACTS, "leatt1986")["value"]
    ro = data.facts(FACTS, "rodacki2024")["value"]
    return pd.DataFrame([
        {"study": STUDY, "run": "30 min at 70-100% marathon pace (14 runners)",
         "finding": f"first 15 min {first['mean_mm']:.2f} mm, second 15 min "
                    f"{second['mean_mm']:.2f} mm ({level:.0%} CI {lo2:.2f} to {hi2:.2f} at the "
                    "widest: the printed SD is over runs, and a runner's average varies less)",
         "longer_means_shorter": lo2 > 0},
        {"study": "leatt1986", "run": "25 km (7 trained runners; 12.2 then 14.7 km/h)",
         "finding": f"{le['shrinkage_trained_6km_mm']:g} mm over the first 6 km "
                    f"({le['shrinkage_rate_trained_mm_per_km']:g} mm/km), and the abstract "
                    "says the rate continued over the last 19 km",
         "longer_means_shorter": True},
        {"study": "rodacki2024", "run": f"60 min at {ro['speed_kmh']:g} km/h "
                                        f"({int(ro['n_runners'])} runners)",
         "finding": f"{ro['shrinkage_30min_mean_mm']:.2f} +/- {ro['shrinkage_30min_sd_mm']:.2f}"
                    f" mm at 30 min, {ro['shrinkage_60min_mean_mm']:.2f} +/- "
                    f"{ro['shrinkage_60min_sd_mm']:.2f} mm at 60 min",
         "longer_means_shorter": ro["shrinkage_60min_mean_mm"] > ro["shrinkage_30min_mean_mm"]},
    ])


def verdicts(table: pd.DataFrame, n: int, rho: float, level: float, grid: pd.DataFrame,
             n_group: int, alpha: float, target_power: float) -> list[claims.Verdict]:
    """Verdicts on shrink-quarter-inch, shrink-speed, shrink-distance,
    shrink-lbp-independent."""
    idx = table.set_index("condition")
    full = idx.loc["pace_100"]
    lo, hi = summary.mean_ci(full["mean_mm"], full["sd_mm"], n, level)
    quarter = claims.exceeds("shrink-quarter-inch", full["mean_mm"], lo, hi,
                             claims.threshold("shrink-quarter-inch"),
                             "mean shrinkage after 30 min at 100% marathon pace", "mm", level)
    from scipy import stats

    share_below = stats.norm.cdf((claims.threshold("shrink-quarter-inch") - full["mean_mm"])
                                 / full["sd_mm"])
    quarter = claims.Verdict(quarter.claim_id, quarter.verdict, quarter.evidence +
                             f"; with SD {full['sd_mm']:.2f} mm, about {share_below:.0%} of "
                             "runners would have shrunk less than a quarter inch. What would "
                             "change it: a larger study whose interval lies wholly above "
                             "6.35 mm (supported) or below it (not supported)")

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
        f"{grid['rho'].max():g} (lowest bound {worst_low:.3f}); paper: P < 0.005. What would "
        "change it: a study at several paces finding no rise with pace")

    first, second = half_rows(table)
    # the halves' SD is over runs; a runner's average varies less, so this t CI on n
    # runners is the widest the data allow (labelled so)
    lo2, hi2 = summary.mean_ci(second["mean_mm"], second["sd_mm"], n, level)
    le = data.facts(FACTS, "leatt1986")["value"]
    ro = data.facts(FACTS, "rodacki2024")["value"]
    rod = rodacki_durations(grid["rho"])
    runs = halves_runs(table, n)
    over_runs = halves_over_runs(table, n, 0.0)
    limit = halves_rho_days_limit(table, n, alpha)
    runner_p = (grid["p_halves_runner"].min(), grid["p_halves_runner"].max())
    realistic = rod[rod["rho"] >= 0.5]["p"]
    lines = [
        claims.Line("direct", "for" if lo2 > 0 else "against",
                    f"Garbutt 1990: {second['mean_mm']:.2f} mm more in the second 15 min "
                    f"({level:.0%} CI {lo2:.2f} to {hi2:.2f} at the widest, since the printed "
                    f"SD is over runs) after {first['mean_mm']:.2f} mm in the first"),
        claims.Line("direct", "for" if le["shrinkage_rate_trained_mm_per_km"] > 0 else "neither",
                    f"Leatt 1986: 7 trained runners lost {le['shrinkage_trained_6km_mm']:g} mm "
                    f"over the first 6 km of a 25-km run (about "
                    f"{le['shrinkage_rate_trained_mm_per_km']:g} mm/km) and kept losing at that "
                    "rate over the last 19 km"),
        claims.Line("direct", "for" if bool((rod["p"] < 0.05).all()) else "partly",
                    f"Rodacki 2024: {int(ro['n_runners'])} runners at {ro['speed_kmh']:g} km/h "
                    f"lost {ro['shrinkage_30min_mean_mm']:.2f} mm by 30 min and "
                    f"{ro['shrinkage_60min_mean_mm']:.2f} mm by 60 min (no P printed; paired "
                    f"P {realistic.max():.2g} or less for any correlation of 0.5 or more "
                    "between a runner's 30- and 60-min losses, as cumulative losses of one "
                    f"run must have, and at most {rod['p'].max():.2g} for any correlation)"),
    ]
    distance = claims.Verdict(
        "shrink-distance", claims.weigh(lines),
        "Three studies agree that stature keeps falling as a run goes on. "
        + claims.lines_text(lines) + ". Limits: small samples (7-15 runners), and whether "
        "the rate slows after the first minutes is unsettled. Garbutt's printed P < 0.05 "
        "for first vs second half fits three readings of the abstract: a test treating the "
        f"42 runs as independent (P = {runs['p']:.3f}; too small, each runner counted three "
        f"times); SDs printed over all runs with a correct test on the 14 runners (P = "
        f"{over_runs['p']:.3f} if a runner's half difference is unrelated from day to day, "
        f"below 0.05 up to a correlation of {limit:.2f}); and SDs over runners, which does "
        f"not reproduce it (P = {runner_p[0]:.2f} to {runner_p[1]:.2f}). The printed P "
        "cannot tell them apart, so the evidence that shrinkage slows in the second half is "
        "marginal. Also: the daily (circadian) variation of "
        f"{le['circadian_variation_mm']:g} mm in Leatt's runners was larger than their loss "
        "over the 25-km run. What would change it: a study of longer runs in which stature "
        "stops falling, or Garbutt's runner-level data")

    ptab = power_table(table, n_group, rho, alpha, target_power).set_index("test")
    mdd = float(ptab.loc[INTERACTION, "min_detectable_mm"])
    mdd_main = float(ptab.loc[MAIN_EFFECT, "min_detectable_mm"])
    paces = pace_rows(table)
    rise = float(paces["mean_mm"].iloc[-1] - paces["mean_mm"].iloc[0])
    base = claims.absence_of_difference(
        "shrink-lbp-independent", data.fact(FACTS, STUDY, "p_group"), mdd, rise,
        f"LBP vs no-LBP difference in the rise of shrinkage from 70% to 100% pace (whether "
        f"shrinkage rose faster with pace in runners with back pain, as the abstract tests; "
        f"{n_group} vs {n_group} runners, rho = {rho:g})",
        "mm", target_power)
    lbp = claims.Verdict(base.claim_id, base.verdict, base.evidence.replace(
        "against a typical value of", "against a mean rise of") +
        f"; for the average shrinkage over the three paces it is {mdd_main:.2f} mm "
        f"against a mean of {float(paces['mean_mm'].mean()):.2f} mm. Either way, only "
        "differences as large as the effect itself could have been found. What would change "
        "it: a study large enough to find a difference half that size, finding none "
        "(supported) or finding one (not supported)")
    return [quarter, speed, distance, lbp]
