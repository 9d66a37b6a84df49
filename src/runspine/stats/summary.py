"""Statistics computed from published summary data (means, SDs, n, test statistics).

Papers report means and SDs per condition but rarely the within-subject correlation
``rho`` that paired and repeated-measures tests depend on. Functions here take ``rho``
as an explicit argument so notebooks can sweep it. Distributions come from
:mod:`scipy.stats`; where a library computes the same quantity from summaries
(:func:`scipy.stats.ttest_ind_from_stats`) it is used directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class TestResult:
    """A test statistic with its degrees of freedom and two-sided P value."""

    statistic: float
    df: float
    p: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Estimate:
    """An estimate with standard error, confidence interval and test against 0."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    df: float
    statistic: float
    p: float

    def to_dict(self) -> dict:
        return asdict(self)


def compound_symmetry_cov(sds: Sequence[float], rho: float) -> np.ndarray:
    r"""Covariance matrix with the given SDs and one common correlation.

    .. math:: \Sigma = D R D, \quad R_{jl} = \rho \ (j \ne l), \ R_{jj} = 1,
              \quad D = \mathrm{diag}(s_1, \dots, s_k)

    Parameters
    ----------
    sds : sequence of float
        Standard deviations of the k conditions.
    rho : float
        Common correlation between any two conditions, in (-1/(k-1), 1).
    """
    sds = np.asarray(sds, dtype=float)
    k = sds.size
    if not -1.0 / max(k - 1, 1) < rho < 1.0:
        raise ValueError(f"rho={rho} does not give a positive-definite {k}x{k} matrix")
    corr = np.full((k, k), float(rho))
    np.fill_diagonal(corr, 1.0)
    return np.outer(sds, sds) * corr


def mean_ci(mean: float, sd: float, n: int, level: float = 0.95) -> tuple[float, float]:
    r"""t-based confidence interval for a mean from its summary statistics.

    .. math:: \bar x \pm t_{1-\alpha/2,\, n-1}\, s / \sqrt{n}

    Equivalent to R ``t.test(x, conf.level = level)$conf.int`` on data with that mean,
    SD and n.
    """
    lo, hi = stats.t.interval(level, n - 1, loc=mean, scale=sd / np.sqrt(n))
    return float(lo), float(hi)


def paired_t_from_summary(mean1: float, sd1: float, mean2: float, sd2: float, n: int,
                          rho: float) -> TestResult:
    r"""Paired t test from the two conditions' means and SDs and an assumed correlation.

    .. math:: s_d = \sqrt{s_1^2 + s_2^2 - 2 \rho s_1 s_2}, \quad
              t = \frac{\bar x_1 - \bar x_2}{s_d / \sqrt{n}}, \quad df = n - 1

    Equals R ``t.test(x1, x2, paired = TRUE)`` on any data with those moments and
    sample correlation ``rho``.

    References
    ----------
    Borenstein M, et al. Introduction to Meta-Analysis. Wiley, 2009, ch. 4
    (variance of a difference between correlated means).
    """
    sd_d = float(np.sqrt(sd1**2 + sd2**2 - 2 * rho * sd1 * sd2))
    t = (mean1 - mean2) / (sd_d / np.sqrt(n))
    df = n - 1
    return TestResult(float(t), float(df), float(2 * stats.t.sf(abs(t), df)))


def welch_or_student_from_summary(mean1: float, sd1: float, n1: int, mean2: float, sd2: float,
                                  n2: int, equal_var: bool = False) -> TestResult:
    """Two-sample t test from summaries (:func:`scipy.stats.ttest_ind_from_stats`).

    Student's test (``equal_var=True``) uses df = n1 + n2 - 2; Welch's test uses the
    Welch-Satterthwaite df. Equals R ``t.test(x1, x2, var.equal = ...)``.
    """
    res = stats.ttest_ind_from_stats(mean1, sd1, n1, mean2, sd2, n2, equal_var=equal_var)
    if equal_var:
        df = n1 + n2 - 2
    else:
        v1, v2 = sd1**2 / n1, sd2**2 / n2
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    return TestResult(float(res.statistic), float(df), float(res.pvalue))


@dataclass(frozen=True)
class RMAnovaResult:
    """One-way repeated-measures ANOVA from summaries."""

    F: float
    df1: float
    df2: float
    p: float
    epsilon_gg: float
    p_gg: float

    def to_dict(self) -> dict:
        return asdict(self)


def rm_anova_from_summary(means: Sequence[float], sds: Sequence[float], n: int,
                          rho: float) -> RMAnovaResult:
    r"""One-way repeated-measures ANOVA reconstructed from condition means and SDs.

    With k conditions, n subjects, sample covariance :math:`S = D R D` (common
    correlation ``rho``) and grand mean :math:`\bar m`:

    .. math::
        SS_{cond} = n \sum_j (m_j - \bar m)^2, \qquad
        SS_{err} = (n-1)\left(\mathrm{tr}\, S - \tfrac{1}{k} \mathbf 1^\top S \mathbf 1\right)

        F = \frac{SS_{cond}/(k-1)}{SS_{err}/((n-1)(k-1))}

    The error term is the subject-by-condition interaction, as in R
    ``aov(y ~ cond + Error(id/cond))``, which gives the same F on any data with these
    moments. The Greenhouse-Geisser epsilon is computed from the double-centred
    covariance :math:`C S C`: :math:`\varepsilon = \mathrm{tr}(CSC)^2 / ((k-1)\,
    \mathrm{tr}((CSC)^2))`, and ``p_gg`` uses df scaled by it.

    References
    ----------
    Maxwell SE, Delaney HD. Designing Experiments and Analyzing Data, 2nd ed., ch. 11.
    Greenhouse SW, Geisser S. Psychometrika 1959;24:95-112.
    """
    means = np.asarray(means, dtype=float)
    k = means.size
    cov = compound_symmetry_cov(sds, rho)
    ss_cond = n * float(np.sum((means - means.mean()) ** 2))
    centre = np.eye(k) - np.full((k, k), 1.0 / k)
    ccc = centre @ cov @ centre
    ss_err = (n - 1) * float(np.trace(ccc))
    df1, df2 = k - 1, (n - 1) * (k - 1)
    F = (ss_cond / df1) / (ss_err / df2)
    p = float(stats.f.sf(F, df1, df2))
    eps = float(np.trace(ccc) ** 2 / ((k - 1) * np.trace(ccc @ ccc)))
    p_gg = float(stats.f.sf(F, df1 * eps, df2 * eps))
    return RMAnovaResult(float(F), float(df1), float(df2), p, eps, p_gg)


def within_contrast_from_summary(weights: Sequence[float], means: Sequence[float],
                                 sds: Sequence[float], n: int, rho: float,
                                 level: float = 0.95) -> Estimate:
    r"""A linear contrast of within-subject condition means, with a t-based CI.

    .. math:: \hat\psi = \sum_j c_j m_j, \qquad
              \mathrm{SE}(\hat\psi) = \sqrt{c^\top S c / n}, \qquad df = n - 1

    Equals a one-sample t test of the per-subject contrast scores, R
    ``t.test(Y %*% c)``, on data with these moments.
    """
    c = np.asarray(weights, dtype=float)
    est = float(c @ np.asarray(means, dtype=float))
    se = float(np.sqrt(c @ compound_symmetry_cov(sds, rho) @ c / n))
    df = n - 1
    tcrit = stats.t.ppf(0.5 + level / 2, df)
    t = est / se
    return Estimate(est, se, est - tcrit * se, est + tcrit * se, float(df), float(t),
                    float(2 * stats.t.sf(abs(t), df)))


def slope_weights(x: Sequence[float]) -> np.ndarray:
    r"""Contrast weights giving the least-squares slope of condition means on ``x``.

    .. math:: c_j = \frac{x_j - \bar x}{\sum_l (x_l - \bar x)^2}
    """
    x = np.asarray(x, dtype=float)
    dx = x - x.mean()
    return dx / float(dx @ dx)


def line_weights(x: Sequence[float], x0: float) -> np.ndarray:
    r"""Contrast weights giving the least-squares line's value at ``x0``.

    .. math:: c_j = \frac{1}{k} + (x_0 - \bar x) \frac{x_j - \bar x}{\sum_l (x_l - \bar x)^2}
    """
    x = np.asarray(x, dtype=float)
    return np.full(x.size, 1.0 / x.size) + (x0 - x.mean()) * slope_weights(x)


def combined_sd(means: Sequence[float], sds: Sequence[float], ns: Sequence[int]) -> float:
    r"""SD of all observations of several groups pooled into one sample.

    .. math:: s^2 = \frac{\sum_j (n_j - 1) s_j^2 + \sum_j n_j (m_j - \bar m)^2}{N - 1},
              \quad \bar m = \sum_j n_j m_j / N, \quad N = \sum_j n_j

    Equals R ``sd(c(x1, x2, ...))`` on any groups with these means, SDs (n - 1
    denominators) and sizes (Cochrane Handbook 6.5.2.10, combining groups).
    """
    m = np.asarray(means, dtype=float)
    s = np.asarray(sds, dtype=float)
    n = np.asarray(ns, dtype=float)
    big_n = n.sum()
    grand = float((n * m).sum() / big_n)
    ss = float(((n - 1) * s**2).sum() + (n * (m - grand) ** 2).sum())
    return float(np.sqrt(ss / (big_n - 1)))


def implied_correlation(sd1: float, sd2: float, sd_sum: float) -> float:
    r"""Correlation of two measures implied by their SDs and the SD of their sum.

    .. math:: r = \frac{s_{1+2}^2 - s_1^2 - s_2^2}{2 s_1 s_2}

    (from :math:`\mathrm{Var}(X_1 + X_2) = s_1^2 + s_2^2 + 2 r s_1 s_2`). A value outside
    [-1, 1] means the three SDs cannot describe the same sample.
    """
    return float((sd_sum**2 - sd1**2 - sd2**2) / (2 * sd1 * sd2))


@dataclass(frozen=True)
class PairedFromSum:
    """Paired t test of two parts whose sum has a known SD (see
    :func:`paired_t_from_sum_sd`)."""

    statistic: float
    df: float
    p: float
    r: float
    sd_diff: float

    def to_dict(self) -> dict:
        return asdict(self)


def paired_t_from_sum_sd(mean1: float, sd1: float, mean2: float, sd2: float,
                         sd_sum: float, n: int) -> PairedFromSum:
    r"""Paired t test of two parts of one measurement when the SD of their sum is known.

    No correlation is assumed: it follows from the three SDs,

    .. math:: s_d^2 = s_1^2 + s_2^2 - 2 r s_1 s_2 = 2(s_1^2 + s_2^2) - s_{1+2}^2, \quad
              t = \frac{\bar x_1 - \bar x_2}{s_d / \sqrt n}, \quad df = n - 1

    with r from :func:`implied_correlation`. Equals R ``t.test(x1, x2, paired = TRUE)`` on
    any data with these means and SDs whose sums have SD ``sd_sum`` (case
    ``halves_42_runs_paired_t`` in tests/reference/r_reference_review.json).
    """
    r = implied_correlation(sd1, sd2, sd_sum)
    var_d = 2 * (sd1**2 + sd2**2) - sd_sum**2
    if var_d <= 0:
        raise ValueError("the SDs imply a non-positive variance of the difference")
    sd_d = float(np.sqrt(var_d))
    t = (mean1 - mean2) / (sd_d / np.sqrt(n))
    df = n - 1
    return PairedFromSum(float(t), float(df), float(2 * stats.t.sf(abs(t), df)), r, sd_d)


def paired_t_runner_means(mean_diff: float, sd_diff_runs: float, n_runners: int,
                          runs_per_runner: int, rho_runs: float) -> PairedFromSum:
    r"""Paired t test on runner averages when the printed SD of the difference is over
    all runs (each runner ran ``runs_per_runner`` times).

    A runner's average difference over k runs whose differences correlate ``rho_runs``
    within a runner has SD

    .. math:: s_{\bar d} = s_d \sqrt{\frac{1 + (k - 1)\rho}{k}}, \quad
              t = \frac{\bar d}{s_{\bar d} / \sqrt n}, \quad df = n - 1

    (so :math:`t_n = t_{nk} / \sqrt{1 + (k-1)\rho}` up to the df: the correct test on
    runners is as strong as the test on all runs only when a runner's runs are
    uncorrelated). Equals R ``t.test(rowMeans(D))`` on an n x k matrix ``D`` drawn with
    ``MASS::mvrnorm(n, rep(mean_diff, k), s_d^2 ((1 - rho) I + rho J), empirical = TRUE)``
    (cases ``halves_runner_means_*`` and ``runner_means_n10_k4_rho03`` in
    tests/reference/r_reference_claims.json). ``r`` of
    the result is ``rho_runs``; ``sd_diff`` is :math:`s_{\bar d}`.

    References
    ----------
    Donner A, Klar N. Design and Analysis of Cluster Randomization Trials in Health
    Research. Arnold, 2000 (the variance of a mean of k observations with intracluster
    correlation rho is inflated by 1 + (k - 1) rho).
    """
    k = runs_per_runner
    factor = (1 + (k - 1) * rho_runs) / k
    if factor <= 0:
        raise ValueError(f"rho_runs {rho_runs:g} is below -1/(k - 1) for k = {k}")
    sd_bar = float(sd_diff_runs * np.sqrt(factor))
    t = mean_diff / (sd_bar / np.sqrt(n_runners))
    df = n_runners - 1
    return PairedFromSum(float(t), float(df), float(2 * stats.t.sf(abs(t), df)),
                         float(rho_runs), sd_bar)


def rho_runs_for_p(mean_diff: float, sd_diff_runs: float, n_runners: int,
                   runs_per_runner: int, alpha: float = 0.05) -> float:
    r"""The within-runner correlation of the runs' differences below which
    :func:`paired_t_runner_means` gives P < ``alpha``:
    :math:`\rho^* = \left((t_{nk}/t_{crit})^2 - 1\right)/(k - 1)` with
    :math:`t_{crit} = t_{1-\alpha/2, n-1}` and :math:`t_{nk} = \bar d \sqrt{nk}/s_d`
    (solving :math:`|t_n| = t_{crit}` with :math:`t_n = t_{nk}/\sqrt{1 + (k-1)\rho}`). A
    negative value means P >= ``alpha`` already with uncorrelated runs. R: ``uniroot`` on
    ``t.test(rowMeans(D))$p.value - alpha`` over rho, D as in :func:`paired_t_runner_means`
    (cases ``rho_limit_*`` in tests/reference/r_reference_claims.json).

    References
    ----------
    Donner A, Klar N. Design and Analysis of Cluster Randomization Trials in Health
    Research. Arnold, 2000 (design effect 1 + (k - 1) rho).
    """
    k = runs_per_runner
    t_all = mean_diff * np.sqrt(n_runners * k) / sd_diff_runs
    t_crit = stats.t.ppf(1 - alpha / 2, n_runners - 1)
    return float(((t_all / t_crit) ** 2 - 1) / (k - 1))
