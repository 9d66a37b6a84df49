"""Between-group statistics from published summary data (group means, SDs and sizes).

Cross-sectional studies print one mean (SD) per group. This module recomputes from those
numbers what the paper tested or could have tested:

- one-way ANOVA (classic F, equal variances) and Welch's heteroscedastic ANOVA;
- two-sample t tests of each group against a reference group
  (:func:`scipy.stats.ttest_ind_from_stats`, Student and Welch);
- a linear trend of the group means across an ordered dose (weighted least squares with
  known variances, :class:`statsmodels.regression.linear_model.WLS`);
- Hedges' g between two groups, as metafor ``escalc(measure = "SMD")`` computes it;
- power and minimum detectable correlation for a test of Pearson's r, with the formula of
  R ``pwr::pwr.r.test``.

Distributions come from :mod:`scipy.stats`; there is no library routine for a one-way
ANOVA from summaries in scipy, so the sums of squares are formed from the summaries and
referred to :data:`scipy.stats.f` (statsmodels' ``anova_generic`` gives the same numbers
and is used as a cross-check in the tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from runspine.stats.summary import welch_or_student_from_summary


@dataclass(frozen=True)
class OnewayResult:
    """A one-way ANOVA F test from summaries."""

    F: float
    df1: float
    df2: float
    p: float
    method: str

    def to_dict(self) -> dict:
        return asdict(self)


def _arrays(means, sds, nobs):
    m = np.asarray(means, dtype=float)
    s = np.asarray(sds, dtype=float)
    n = np.asarray(nobs, dtype=float)
    if not (m.shape == s.shape == n.shape) or m.ndim != 1 or m.size < 2:
        raise ValueError("means, sds and nobs must be 1-d sequences of the same length >= 2")
    if np.any(n < 2) or np.any(s <= 0):
        raise ValueError("every group needs n >= 2 and a positive SD")
    return m, s, n


def anova_from_summary(means: Sequence[float], sds: Sequence[float],
                       nobs: Sequence[float]) -> OnewayResult:
    r"""Classic one-way ANOVA (equal variances) from group means, SDs and sizes.

    .. math::
        \bar y = \frac{\sum_j n_j m_j}{N}, \quad
        SS_B = \sum_j n_j (m_j - \bar y)^2, \quad
        SS_W = \sum_j (n_j - 1) s_j^2

        F = \frac{SS_B / (k - 1)}{SS_W / (N - k)} \sim F_{k-1,\, N-k}

    Equals R ``oneway.test(y ~ g, var.equal = TRUE)`` (and ``anova(lm(y ~ g))``) on any
    data with those group moments.

    References
    ----------
    Maxwell SE, Delaney HD. Designing Experiments and Analyzing Data, 2nd ed., 2004, ch. 3.
    """
    m, s, n = _arrays(means, sds, nobs)
    k, total = m.size, n.sum()
    grand = float(n @ m / total)
    ssb = float(n @ (m - grand) ** 2)
    ssw = float((n - 1) @ s**2)
    df1, df2 = k - 1, total - k
    F = (ssb / df1) / (ssw / df2)
    return OnewayResult(float(F), float(df1), float(df2), float(stats.f.sf(F, df1, df2)),
                        "one-way ANOVA (equal variances)")


def welch_anova_from_summary(means: Sequence[float], sds: Sequence[float],
                             nobs: Sequence[float]) -> OnewayResult:
    r"""Welch's (1951) one-way ANOVA for unequal variances from summaries.

    With :math:`w_j = n_j / s_j^2`, :math:`W = \sum w_j`,
    :math:`\tilde m = \sum w_j m_j / W` and
    :math:`\Lambda = \sum_j (1 - w_j / W)^2 / (n_j - 1)`:

    .. math::
        F = \frac{\sum_j w_j (m_j - \tilde m)^2 / (k - 1)}
                 {1 + 2 (k - 2) \Lambda / (k^2 - 1)}, \qquad
        df_1 = k - 1, \quad df_2 = \frac{k^2 - 1}{3 \Lambda}

    Equals R ``oneway.test(y ~ g, var.equal = FALSE)`` on data with those moments.

    References
    ----------
    Welch BL. On the comparison of several mean values: an alternative approach.
    Biometrika 1951;38:330-336.
    """
    m, s, n = _arrays(means, sds, nobs)
    k = m.size
    w = n / s**2
    wsum = w.sum()
    mw = float(w @ m / wsum)
    lam = float(np.sum((1 - w / wsum) ** 2 / (n - 1)))
    F = (float(w @ (m - mw) ** 2) / (k - 1)) / (1 + 2 * (k - 2) * lam / (k**2 - 1))
    df1, df2 = k - 1, (k**2 - 1) / (3 * lam)
    return OnewayResult(float(F), float(df1), float(df2), float(stats.f.sf(F, df1, df2)),
                        "Welch one-way ANOVA")


def pairwise_vs_reference(labels: Sequence[str], means: Sequence[float], sds: Sequence[float],
                          nobs: Sequence[float], reference: int = 0) -> pd.DataFrame:
    r"""Two-sample t tests of every group against one reference group.

    For each group j != reference, the difference :math:`m_j - m_{ref}` with Student's
    pooled-variance t (df :math:`n_j + n_{ref} - 2`) and Welch's t
    (Welch-Satterthwaite df), both from :func:`scipy.stats.ttest_ind_from_stats`. No
    multiplicity adjustment. Equals R ``t.test(y_j, y_ref, var.equal = TRUE / FALSE)``
    on data with those moments (the sign is group j minus the reference).

    Returns
    -------
    DataFrame
        group, reference, difference, t_student, df_student, p_student, t_welch,
        df_welch, p_welch.
    """
    m, s, n = _arrays(means, sds, nobs)
    labels = list(labels)
    rows = []
    r = reference
    for j in range(m.size):
        if j == r:
            continue
        st = welch_or_student_from_summary(m[j], s[j], n[j], m[r], s[r], n[r], equal_var=True)
        we = welch_or_student_from_summary(m[j], s[j], n[j], m[r], s[r], n[r], equal_var=False)
        rows.append({"group": labels[j], "reference": labels[r],
                     "difference": float(m[j] - m[r]),
                     "t_student": st.statistic, "df_student": st.df, "p_student": st.p,
                     "t_welch": we.statistic, "df_welch": we.df, "p_welch": we.p})
    return pd.DataFrame(rows)


def rounding_p_range(mean1: float, sd1: float, n1: float, mean2: float, sd2: float,
                     n2: float, half_unit: float, equal_var: bool = False
                     ) -> tuple[float, float]:
    r"""Smallest and largest two-sample t-test P value when each printed mean may be off
    by up to ``half_unit`` (rounding to the printed digit).

    The |difference| ranges over :math:`|m_1 - m_2| \pm 2 \cdot` ``half_unit``, and P is
    monotone in it, so the two ends (floored at 0) give the range.
    """
    diff = abs(mean1 - mean2)
    lo_diff, hi_diff = max(diff - 2 * half_unit, 0.0), diff + 2 * half_unit
    p_at = [float(stats.ttest_ind_from_stats(d, sd1, n1, 0.0, sd2, n2,
                                             equal_var=equal_var).pvalue)
            for d in (hi_diff, lo_diff)]
    return min(p_at), max(p_at)


@dataclass(frozen=True)
class Trend:
    """Linear trend of group means on a dose (slope per ``per`` dose units)."""

    slope: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float
    per: float
    q_residual: float
    p_residual: float

    def to_dict(self) -> dict:
        return asdict(self)


def linear_trend(dose: Sequence[float], means: Sequence[float], sds: Sequence[float],
                 nobs: Sequence[float], level: float = 0.95, per: float = 1.0) -> Trend:
    r"""Weighted least-squares slope of group means on a dose, variances treated as known.

    Model :math:`m_j = \beta_0 + \beta_1 x_j + e_j`, :math:`e_j \sim N(0, s_j^2 / n_j)`,
    fitted by :class:`statsmodels.regression.linear_model.WLS` with weights
    :math:`w_j = n_j / s_j^2` and ``cov_type="fixed scale"`` (scale 1, i.e. the
    sampling variances are taken as known):

    .. math::
        \hat\beta_1 = \frac{\sum w_j (x_j - \bar x_w)(m_j - \bar m_w)}
                           {\sum w_j (x_j - \bar x_w)^2}, \qquad
        \mathrm{SE}(\hat\beta_1) = \Big(\sum w_j (x_j - \bar x_w)^2\Big)^{-1/2}

    and a z-based CI. This is a fixed-effect meta-regression of the group means
    (R ``metafor::rma(yi = m, vi = s^2/n, mods = ~ x, method = "FE")``). The residual
    heterogeneity :math:`Q = \sum w_j (m_j - \hat m_j)^2` on k - 2 df tests departure
    from linearity. With large groups z is close to the t-based contrast; with small
    groups it is slightly liberal.

    Parameters
    ----------
    per : float
        Report the slope per this many dose units (e.g. 10 km/week).

    References
    ----------
    Borenstein M, et al. Introduction to Meta-Analysis. Wiley, 2009, ch. 20
    (meta-regression, fixed-effect).
    """
    import statsmodels.api as sm

    m, s, n = _arrays(means, sds, nobs)
    x = np.asarray(dose, dtype=float)
    fit = sm.WLS(m, sm.add_constant(x), weights=n / s**2).fit(cov_type="fixed scale")
    lo, hi = fit.conf_int(alpha=1 - level)[1]
    q = float(np.sum(n / s**2 * fit.resid**2))
    dfq = m.size - 2
    p_q = float(stats.chi2.sf(q, dfq)) if dfq > 0 else float("nan")
    return Trend(float(fit.params[1] * per), float(fit.bse[1] * per), float(lo * per),
                 float(hi * per), float(fit.tvalues[1]), float(fit.pvalues[1]), float(per),
                 q, p_q)


def hedges_g(mean1: float, sd1: float, n1: float, mean2: float, sd2: float, n2: float,
             level: float = 0.95) -> dict:
    r"""Bias-corrected standardized mean difference (group 1 minus group 2), as metafor.

    .. math::
        s_p = \sqrt{\frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1+n_2-2}}, \quad
        d = \frac{m_1 - m_2}{s_p}, \quad
        J = \frac{\Gamma(\nu/2)}{\sqrt{\nu/2}\,\Gamma((\nu-1)/2)}, \ \nu = n_1+n_2-2

        g = J d, \qquad v = \frac{1}{n_1} + \frac{1}{n_2} + \frac{g^2}{2(n_1+n_2)}

    with a normal CI :math:`g \pm z\sqrt v`. Equals R ``metafor::escalc(measure =
    "SMD")`` (vtype "LS"; metafor 3.8); g and v come from :func:`runspine.stats.meta.hedges_g`.

    References
    ----------
    Hedges LV. Distribution theory for Glass's estimator of effect size and related
    estimators. J Educ Stat 1981;6:107-128.
    """
    from runspine.stats.meta import (
        hedges_g as _hedges_g,  # the one implementation of metafor's formula
    )

    g, v = (float(x) for x in _hedges_g(mean1, sd1, n1, mean2, sd2, n2))
    sp = float(np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / (n1 + n2 - 2)))
    z = stats.norm.ppf(0.5 + level / 2)
    return {"g": g, "var": v, "ci_low": float(g - z * np.sqrt(v)),
            "ci_high": float(g + z * np.sqrt(v)), "sd_pooled": sp}


def power_r(r: float, n: float, alpha: float = 0.05) -> float:
    r"""Power of the two-sided test of Pearson's r = 0, with the formula of R
    ``pwr::pwr.r.test`` (pwr 1.3-0).

    .. math::
        t_c = t_{1-\alpha/2,\, n-2}, \quad r_c = \sqrt{t_c^2 / (t_c^2 + n - 2)}, \quad
        z_r = \operatorname{artanh} r + \frac{r}{2(n-1)}

        1 - \beta = \Phi\big((z_r - \operatorname{artanh} r_c)\sqrt{n-3}\big) +
                    \Phi\big((-z_r - \operatorname{artanh} r_c)\sqrt{n-3}\big)

    an approximation (Fisher's z with a bias term; critical r from the t distribution).

    References
    ----------
    Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed., 1988, ch. 3;
    Champely S. pwr: Basic functions for power analysis, R package 1.3-0 (``pwr.r.test``).
    """
    tc = stats.t.ppf(1 - alpha / 2, n - 2)
    rc = np.sqrt(tc**2 / (tc**2 + n - 2))
    zr = np.arctanh(r) + r / (2 * (n - 1))
    zrc = np.arctanh(rc)
    sq = np.sqrt(n - 3)
    return float(stats.norm.cdf((zr - zrc) * sq) + stats.norm.cdf((-zr - zrc) * sq))


def min_detectable_r(n: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest correlation detectable with the given power (two-sided), solving
    :func:`power_r` for r with :func:`scipy.optimize.brentq` (R ``pwr::pwr.r.test(n,
    power = 0.8)$r``, which solves the same equation at a looser tolerance)."""
    return float(optimize.brentq(lambda r: power_r(r, n, alpha) - power, 1e-10, 1 - 1e-10,
                                 xtol=1e-14))


def d_to_point_biserial_r(d: float, n1: float, n2: float) -> float:
    r"""Point-biserial correlation equivalent to a standardized difference d between two
    groups of sizes n1 and n2 (population form, :math:`p = n_1/(n_1+n_2)`):

    .. math:: r = \frac{d \sqrt{p(1-p)}}{\sqrt{1 + d^2 p (1-p)}}

    References
    ----------
    Borenstein M, et al. Introduction to Meta-Analysis. Wiley, 2009, ch. 7 (with the
    general-split a = 1/(p(1-p)): r = d / sqrt(d^2 + a)).
    """
    p = n1 / (n1 + n2)
    a = 1 / (p * (1 - p))
    return float(d / np.sqrt(d**2 + a))


def critical_d(n1: float, n2: float, alpha: float = 0.05) -> float:
    r"""Smallest observed |Cohen's d| that a two-sided Student t test calls significant:
    :math:`t_{1-\alpha/2,\,n_1+n_2-2}\sqrt{1/n_1 + 1/n_2}`."""
    return float(stats.t.ppf(1 - alpha / 2, n1 + n2 - 2) * np.sqrt(1 / n1 + 1 / n2))


def critical_r(n: float, alpha: float = 0.05) -> float:
    r"""Smallest observed |Pearson r| that a two-sided t test of zero correlation calls
    significant with n pairs: :math:`r_c = t_c / \sqrt{n - 2 + t_c^2}`, with
    :math:`t_c = t_{1-\alpha/2,\,n-2}` (the test R ``cor.test`` uses)."""
    tc = float(stats.t.ppf(1 - alpha / 2, n - 2))
    return float(tc / np.sqrt(n - 2 + tc**2))
