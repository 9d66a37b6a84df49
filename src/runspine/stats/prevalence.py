"""Statistics of proportions: prevalence CIs, odds ratios, pooled prevalence, power.

Thin wrappers around :mod:`statsmodels` and :mod:`scipy` that fix the conventions the
prevalence notebook relies on and that match the R reference values in
``tests/reference/``:

- Wilson score intervals (R ``prop.test(x, n, correct = FALSE)$conf.int``);
- odds ratios with a Woolf (log) interval; a table with a zero cell gets 1/2 added to
  *every* cell, as metafor's ``escalc(measure = "OR")`` does (statsmodels' own
  ``shift_zeros`` adds 1/2 only to the zero cells);
- random-effects pooling of proportions on the logit scale (metafor ``escalc("PLO")`` +
  ``rma``), by default REML with the Hartung-Knapp-Sidik-Jonkman interval (``test =
  "knha"``), with the tau² estimator and the test as arguments, metafor's I² and a
  prediction interval
  (Higgins et al. 2009 t with k - 2 df, or the normal interval metafor's ``predict``
  returns);
- the minimum odds ratio a two-group comparison detects at a given power, through
  Cohen's h (R ``pwr::pwr.2p2n.test``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize, special, stats
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_confint

from runspine.stats.meta import typical_variance

TAU2_METHODS = {"reml": "REML", "pm": "Paule-Mandel", "dl": "DerSimonian-Laird"}
PI_METHODS = ("higgins_t", "normal")


def wilson_ci(cases: int, n: int, level: float = 0.95) -> tuple[float, float]:
    r"""Wilson score confidence interval for a proportion.

    .. math:: \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p (1-\hat p)}{n}
              + \frac{z^2}{4n^2}}}{1 + z^2/n}, \qquad z = \Phi^{-1}\left(\tfrac{1+L}{2}\right)

    Computed by :func:`statsmodels.stats.proportion.proportion_confint` with
    ``method="wilson"``; equals R ``prop.test(cases, n, correct = FALSE)$conf.int``.

    References
    ----------
    Wilson EB. J Am Stat Assoc 1927;22:209-212. Newcombe RG. Stat Med 1998;17:857-872.
    """
    if n <= 0 or not 0 <= cases <= n:
        raise ValueError(f"need 0 <= cases <= n and n > 0 (got {cases}/{n})")
    lo, hi = proportion_confint(cases, n, alpha=1 - level, method="wilson")
    return float(lo), float(hi)


@dataclass(frozen=True)
class OddsRatio:
    """A 2x2 odds ratio (group 1 vs group 2) with its Woolf CI and two P values."""

    odds_ratio: float
    ci_low: float
    ci_high: float
    log_or: float
    se_log_or: float
    p_chisq: float
    p_fisher: float
    zero_cell_correction: bool

    def to_dict(self) -> dict:
        return asdict(self)


def odds_ratio(cases1: int, n1: int, cases2: int, n2: int, level: float = 0.95) -> OddsRatio:
    r"""Odds ratio of group 1 vs group 2 with a Woolf (log) confidence interval.

    With table :math:`\begin{pmatrix} a & b \\ c & d \end{pmatrix}` (rows: groups,
    columns: cases, non-cases):

    .. math:: \widehat{OR} = \frac{ad}{bc}, \qquad
              SE(\ln \widehat{OR}) = \sqrt{1/a + 1/b + 1/c + 1/d}, \qquad
              \exp\left(\ln \widehat{OR} \pm z_{(1+L)/2}\, SE\right)

    If any cell is 0, 1/2 is added to every cell (metafor ``escalc(measure = "OR")``
    default ``add = 1/2, to = "only0"``); statsmodels' ``Table2x2`` is then given the
    shifted table with ``shift_zeros=False``. ``p_chisq`` is Pearson's chi-square test
    without continuity correction (R ``chisq.test(tab, correct = FALSE)``) and
    ``p_fisher`` Fisher's exact test (R ``fisher.test``), both on the unshifted counts.

    References
    ----------
    Woolf B. Ann Hum Genet 1955;19:251-253. Viechtbauer W. J Stat Softw 2010;36(3).
    """
    table = np.array([[cases1, n1 - cases1], [cases2, n2 - cases2]], dtype=float)
    if (table < 0).any():
        raise ValueError("cases must lie between 0 and n")
    shifted = bool((table == 0).any())
    t2 = Table2x2(table + 0.5 if shifted else table, shift_zeros=False)
    lo, hi = t2.oddsratio_confint(alpha=1 - level)
    counts = table.astype(int)
    p_fisher = stats.fisher_exact(counts)[1]
    if (counts.sum(axis=0) == 0).any():
        p_chisq = float("nan")
    else:
        p_chisq = stats.chi2_contingency(counts, correction=False)[1]
    return OddsRatio(float(t2.oddsratio), float(lo), float(hi), float(t2.log_oddsratio),
                     float(t2.log_oddsratio_se), float(p_chisq), float(p_fisher), shifted)


def logit_proportions(cases: Sequence[float], n: Sequence[float]) -> tuple[np.ndarray,
                                                                          np.ndarray]:
    r"""Logit-transformed proportions and their sampling variances.

    .. math:: y_i = \ln\frac{x_i}{n_i - x_i}, \qquad v_i = \frac{1}{x_i} + \frac{1}{n_i - x_i}

    A study with :math:`x_i = 0` or :math:`x_i = n_i` gets 1/2 added to both counts, as in
    metafor ``escalc(measure = "PLO")`` (``add = 1/2, to = "only0"``).
    """
    x = np.asarray(cases, dtype=float)
    m = np.asarray(n, dtype=float) - x
    zero = (x == 0) | (m == 0)
    x = np.where(zero, x + 0.5, x)
    m = np.where(zero, m + 0.5, m)
    return np.log(x / m), 1 / x + 1 / m


def i2_metafor(variances: Sequence[float], tau2: float) -> float:
    r"""I² as metafor defines it, as a proportion (0-1).

    .. math:: I^2 = \frac{\hat\tau^2}{\hat\tau^2 + s^2}, \qquad
              s^2 = \frac{(k-1)\sum w_i}{(\sum w_i)^2 - \sum w_i^2}, \quad w_i = 1/v_i

    For the DerSimonian-Laird estimator this equals :math:`(Q - df)/Q` (statsmodels'
    ``i2``); for other estimators the two differ and this one uses the chosen tau². Equals
    R ``rma(yi, vi, method = ...)$I2 / 100`` (metafor 3.8), and with a given tau²
    ``rma(yi, vi, tau2 = tau2)$I2 / 100``; :math:`s^2` is metafor's ``vt``, computed by
    :func:`runspine.stats.meta.typical_variance`.

    References
    ----------
    Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med
    2002;21:1539-1558.
    """
    return float(tau2 / (tau2 + typical_variance(variances)))


def prediction_interval(estimate: float, se: float, tau2: float, k: int, level: float = 0.95,
                        method: str = "higgins_t") -> tuple[float, float]:
    r"""Prediction interval for the true effect in a new study (same scale as estimate).

    .. math:: \hat\mu \pm c \sqrt{SE(\hat\mu)^2 + \hat\tau^2}

    with :math:`c = t_{(1+L)/2,\,k-2}` for ``method="higgins_t"`` (Higgins, Thompson &
    Spiegelhalter 2009; undefined, returned as NaN, when k < 3) or
    :math:`c = z_{(1+L)/2}` for ``method="normal"`` (what metafor's ``predict(rma)``
    returns with the default ``test = "z"``).

    References
    ----------
    Higgins JPT, Thompson SG, Spiegelhalter DJ. J R Stat Soc A 2009;172:137-159.
    IntHout J, et al. BMJ Open 2016;6:e010247.
    """
    if method not in PI_METHODS:
        raise ValueError(f"prediction interval method {method!r} is not one of {PI_METHODS}")
    if method == "higgins_t":
        if k < 3:
            return float("nan"), float("nan")
        crit = stats.t.ppf((1 + level) / 2, k - 2)
    else:
        crit = stats.norm.ppf((1 + level) / 2)
    half = crit * math.sqrt(se**2 + tau2)
    return float(estimate - half), float(estimate + half)


@dataclass(frozen=True)
class Pooled:
    """A random-effects pooled estimate; ``logit_*`` on the logit scale, the rest as
    proportions (inverse-logit of the logit-scale values)."""

    k: int
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    i2: float
    q: float
    logit_estimate: float
    logit_se: float
    logit_ci_low: float
    logit_ci_high: float
    logit_pi_low: float
    logit_pi_high: float
    method: str

    def to_dict(self) -> dict:
        return asdict(self)


def pool_effects(effects: Sequence[float], variances: Sequence[float], tau2_method: str = "reml",
                 level: float = 0.95, pi_method: str = "higgins_t", test: str = "knha") -> dict:
    r"""Random-effects meta-analysis of effects with known variances.

    .. math:: \hat\mu = \frac{\sum w_i^* y_i}{\sum w_i^*}, \quad
              w_i^* = \frac{1}{v_i + \hat\tau^2}

    with the Hartung-Knapp-Sidik-Jonkman interval (``test="knha"``: t with k - 1 df and
    the HKSJ SE) or the Wald interval :math:`\hat\mu \pm z_{(1+L)/2} (\sum w_i^*)^{-1/2}`
    (``test="z"``). :math:`\hat\tau^2` by REML (``"reml"``), Paule-Mandel (``"pm"``) or
    DerSimonian-Laird (``"dl"``); all computed by :func:`runspine.stats.meta.pool` and
    matching metafor ``rma(yi, vi, method = "REML" | "PM" | "DL", test = "knha" | "z")``.
    I² by :func:`i2_metafor`; prediction interval by :func:`prediction_interval` (always
    with the model-based SE).

    References
    ----------
    DerSimonian R, Laird N. Control Clin Trials 1986;7:177-188.
    Paule RC, Mandel J. J Res Natl Bur Stand 1982;87:377-385.
    Viechtbauer W. J Educ Behav Stat 2005;30:261-293 (REML).
    Hartung J, Knapp G. Stat Med 2001;20:3875-3889 (HKSJ).
    """
    from runspine.stats import meta

    if tau2_method not in TAU2_METHODS:
        raise ValueError(f"tau2 method {tau2_method!r} is not one of {tuple(TAU2_METHODS)}")
    y = np.asarray(effects, dtype=float)
    v = np.asarray(variances, dtype=float)
    k = y.size
    if k < 2:
        raise ValueError("random-effects pooling needs at least 2 studies")
    r = meta.pool(y, v, tau2_method, level, "normal", test)
    model_se = float(np.sqrt(1 / (1 / (v + r.tau2)).sum()))
    pi_lo, pi_hi = prediction_interval(r.estimate, model_se, r.tau2, k, level, pi_method)
    return {"k": k, "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low,
            "ci_high": r.ci_high, "tau2": r.tau2, "i2": i2_metafor(v, r.tau2), "q": r.q,
            "pi_low": pi_lo, "pi_high": pi_hi, "test": r.test, "df": r.df}


def pool_proportions(cases: Sequence[float], n: Sequence[float], tau2_method: str = "reml",
                     level: float = 0.95, pi_method: str = "higgins_t", test: str = "knha"
                     ) -> Pooled:
    r"""Random-effects pooled proportion on the logit scale, back-transformed.

    Logits and variances by :func:`logit_proportions`, pooled by :func:`pool_effects`;
    the estimate, CI and prediction interval are returned through
    :math:`\mathrm{expit}(y) = 1/(1 + e^{-y})` (metafor ``predict(res, transf =
    transf.ilogit)``; R reference cases ``rma_PLO_DL`` / ``rma_PLO_REML``).

    References
    ----------
    Hamza TH, van Houwelingen HC, Stijnen T. J Clin Epidemiol 2008;61:41-51.
    """
    y, v = logit_proportions(cases, n)
    r = pool_effects(y, v, tau2_method, level, pi_method, test)
    ex = special.expit
    ci = "HKSJ t(k-1) CI" if r["test"] == "knha" else "Wald z CI"
    label = (f"random effects, logit scale, tau2 {tau2_method.upper()}, {ci}, "
             f"{'t(k-2) Higgins 2009' if pi_method == 'higgins_t' else 'normal'} PI")
    return Pooled(r["k"], float(ex(r["estimate"])), float(ex(r["ci_low"])),
                  float(ex(r["ci_high"])), float(ex(r["pi_low"])), float(ex(r["pi_high"])),
                  r["tau2"], r["i2"], r["q"], r["estimate"], r["se"], r["ci_low"],
                  r["ci_high"], r["pi_low"], r["pi_high"], label)


def min_detectable_h(n1: float, n2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Smallest Cohen's h a two-sided two-proportion z test detects with the given power.

    Solves :math:`\Phi(|h|\sqrt{n_1 n_2/(n_1+n_2)} - z_{1-\alpha/2}) +
    \Phi(-|h|\sqrt{\cdot} - z_{1-\alpha/2}) = 1 - \beta` with
    :meth:`statsmodels.stats.power.NormalIndPower.power` and a tight root finder
    (:func:`scipy.optimize.brentq`, xtol 1e-14). R: ``pwr::pwr.2p2n.test(n1 = n1, n2 = n2,
    power = 0.8)$h`` (which stops at uniroot's default tolerance).

    References
    ----------
    Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed., 1988, ch. 6.
    """
    pw = NormalIndPower()

    def gap(h: float) -> float:
        return pw.power(h, nobs1=n1, ratio=n2 / n1, alpha=alpha,
                        alternative="two-sided") - power

    return float(optimize.brentq(gap, 1e-10, 10.0, xtol=1e-14, rtol=1e-15))


def critical_h(n1: float, n2: float, alpha: float = 0.05) -> float:
    r"""Smallest observed Cohen's h that a two-sided two-proportion (arcsine) z test
    calls significant: :math:`h_c = z_{1-\alpha/2}\sqrt{1/n_1 + 1/n_2}`.

    A significant result means the *observed* difference was at least this large (the
    detectable h of :func:`min_detectable_h` is the true difference found with the given
    power, always larger). R: ``qnorm(1 - alpha / 2) * sqrt(1 / n1 + 1 / n2)``.

    References
    ----------
    Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed., 1988, ch. 6.
    """
    return float(stats.norm.ppf(1 - alpha / 2) * math.sqrt(1 / n1 + 1 / n2))


def odds_ratio_from_h(p_control: float, h: float, direction: str = "lower") -> float:
    r"""Odds ratio between the proportion that lies Cohen's h away from ``p_control``
    and ``p_control``.

    .. math:: p_1 = \sin^2\!\left(\arcsin\sqrt{p_0} \mp h/2\right), \qquad
              OR = \frac{p_1/(1-p_1)}{p_0/(1-p_0)}

    ``direction="lower"`` takes the minus sign (the other group has lower odds, OR < 1).
    Returns NaN when no proportion in [0, 1] lies that far away.
    """
    if not 0 < p_control < 1:
        raise ValueError("p_control must lie strictly between 0 and 1")
    phi0 = math.asin(math.sqrt(p_control))
    phi1 = phi0 - h / 2 if direction == "lower" else phi0 + h / 2
    if not 0 < phi1 < math.pi / 2:
        return float("nan")
    p1 = math.sin(phi1) ** 2
    return float((p1 / (1 - p1)) / (p_control / (1 - p_control)))


def min_detectable_or(n1: float, n2: float, p_control: float, alpha: float = 0.05,
                      power: float = 0.8, direction: str = "lower") -> float:
    """Odds ratio (group 1 vs controls) detectable with the given power when the controls'
    prevalence is ``p_control``: :func:`min_detectable_h` converted by
    :func:`odds_ratio_from_h`."""
    return odds_ratio_from_h(p_control, min_detectable_h(n1, n2, alpha, power), direction)


def mover_difference(p1: float, ci1: tuple[float, float], p2: float,
                     ci2: tuple[float, float]) -> tuple[float, float, float]:
    r"""Difference of two independent proportions with a CI built from their own CIs
    (method of variance estimates recovery, MOVER; Newcombe's hybrid score interval when
    both CIs are Wilson intervals).

    .. math:: D = p_1 - p_2, \quad
              L = D - \sqrt{(p_1 - l_1)^2 + (u_2 - p_2)^2}, \quad
              U = D + \sqrt{(u_1 - p_1)^2 + (p_2 - l_2)^2}

    Used when one group's CI is printed but its count is not (so a score interval for the
    difference cannot be computed from counts). With two Wilson intervals it equals
    :func:`statsmodels.stats.proportion.confint_proportions_2indep` with
    ``method="newcomb"``.

    References
    ----------
    Newcombe RG. Stat Med 1998;17:873-890 (method 10). Zou GY, Donner A. Stat Med
    2008;27:1693-1702.
    """
    d = p1 - p2
    lo = d - math.sqrt((p1 - ci1[0]) ** 2 + (ci2[1] - p2) ** 2)
    hi = d + math.sqrt((ci1[1] - p1) ** 2 + (p2 - ci2[0]) ** 2)
    return float(d), float(lo), float(hi)
