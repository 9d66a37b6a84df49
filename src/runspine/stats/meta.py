r"""Meta-analysis from published summary data.

Effect sizes follow metafor's ``escalc(measure = "SMD")`` (metafor 3.8): Hedges' g with the
exact small-sample correction and the large-sample variance (``vtype = "LS"``). statsmodels'
:func:`statsmodels.stats.meta_analysis.effectsize_smd` uses an approximate correction and a
different variance, so it agrees with metafor only to 4-6 digits (g) and 1.5-3.5 digits (vi);
the formula is therefore written here with :func:`scipy.special.gammaln`.

Pooling uses :func:`statsmodels.stats.meta_analysis.combine_effects`:

- ``"dl"``: DerSimonian-Laird (``method_re = "chi2"``), equal to ``rma(method = "DL")``;
- ``"pm"``: Paule-Mandel (``method_re = "iterated"``, converged to 1e-12), equal to
  ``rma(method = "PM", control = list(tol = 1e-12))``;
- ``"reml"``: restricted maximum likelihood (not in statsmodels' ``combine_effects``;
  solved here as the root of the REML score, :func:`tau2_reml`), equal to
  ``rma(method = "REML", control = list(threshold = 1e-12))``;
- ``"fe"``: the common-effect (inverse-variance) estimate.

The interval for the mean effect is the Wald (z) interval (``test = "z"``) or the
Hartung-Knapp-Sidik-Jonkman interval (``test = "knha"``, :func:`hksj`), equal to metafor's
``rma(..., test = "knha")``. With few studies and high heterogeneity, current guidance
(Cochrane Handbook 10.10.4, 2023; IntHout et al. 2014; Veroniki et al. 2016) prefers
REML or PM with the HKSJ interval to DerSimonian-Laird with a normal interval, whose
tau² is biased down and whose CI is too narrow.

statsmodels has no prediction interval and reports only the Q-based I²; both are
computed here as metafor does (see :func:`pool`).

Sign convention in this module: whatever the inputs carry (treatment minus control).

References
----------
Hedges LV. Distribution theory for Glass's estimator of effect size and related estimators.
J Educ Stat 1981;6(2):107-128.
Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. Introduction to Meta-Analysis. Wiley,
2009 (ch. 4 effect sizes, ch. 7 converting, ch. 12 random effects, ch. 16-17 I² and
prediction intervals).
Higgins JPT, Thompson SG, Spiegelhalter DJ. A re-evaluation of random-effects meta-analysis.
J R Stat Soc A 2009;172:137-159 (t-based prediction interval with k - 2 df).
Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw
2010;36(3).
Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the
random-effects model. J Educ Behav Stat 2005;30:261-293 (REML).
Hartung J, Knapp G. Stat Med 2001;20:3875-3889; Sidik K, Jonkman JN. Stat Med
2002;21:3153-3159 (HKSJ interval).
IntHout J, Ioannidis JPA, Borm GF. BMC Med Res Methodol 2014;14:25 (HKSJ vs DL).
Veroniki AA, et al. Res Synth Methods 2016;7:55-79 (tau² estimators).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

METHODS = {"dl": "DerSimonian-Laird", "pm": "Paule-Mandel", "reml": "REML",
           "fe": "common effect (FE)"}
PI_METHODS = ("normal", "higgins_t")
TESTS = {"z": "Wald z", "knha": "Hartung-Knapp-Sidik-Jonkman t"}


# --------------------------------------------------------------------------- effect sizes
def hedges_j(df: float | np.ndarray) -> np.ndarray:
    r"""Exact small-sample bias correction of Cohen's d (Hedges 1981).

    .. math:: J(m) = \frac{\Gamma(m/2)}{\sqrt{m/2}\;\Gamma((m-1)/2)}, \qquad m = n_1 + n_2 - 2

    Computed on the log scale with :func:`scipy.special.gammaln` (as metafor's ``.cmicalc``).
    The familiar approximation is :math:`1 - 3/(4m - 1)`.
    """
    m = np.asarray(df, dtype=float)
    return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))


def _g_and_vi(d, n1, n2):
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    g = hedges_j(n1 + n2 - 2) * np.asarray(d, dtype=float)
    vi = 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))
    return g, vi


def hedges_g(m1, sd1, n1, m2, sd2, n2) -> tuple[np.ndarray, np.ndarray]:
    r"""Hedges' g and its variance from two arms' means, SDs and sizes (metafor "SMD").

    .. math::
        s_p = \sqrt{\frac{(n_1-1)s_1^2 + (n_2-1)s_2^2}{n_1+n_2-2}}, \quad
        d = \frac{\bar x_1 - \bar x_2}{s_p}, \quad g = J(n_1+n_2-2)\,d

        v = \frac{1}{n_1} + \frac{1}{n_2} + \frac{g^2}{2(n_1+n_2)}

    Equals R ``escalc(measure = "SMD", m1i, sd1i, n1i, m2i, sd2i, n2i)`` (metafor 3.8,
    ``vtype = "LS"``) to machine precision.

    Returns
    -------
    (yi, vi) : arrays
        g (arm 1 minus arm 2, in SD units) and its sampling variance.

    References
    ----------
    Hedges 1981; Borenstein et al. 2009, eq. 4.18-4.24 (there with d in the variance).
    """
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    sp = np.sqrt(((n1 - 1) * np.asarray(sd1, float) ** 2 + (n2 - 1) * np.asarray(sd2, float) ** 2)
                 / (n1 + n2 - 2))
    d = (np.asarray(m1, float) - np.asarray(m2, float)) / sp
    return _g_and_vi(d, n1, n2)


def g_from_d(d, n1, n2) -> tuple[np.ndarray, np.ndarray]:
    r"""Hedges' g and its variance from a reported Cohen's d and the arm sizes.

    :math:`g = J\,d` and :math:`v = 1/n_1 + 1/n_2 + g^2 / (2(n_1+n_2))`, as R
    ``escalc(measure = "SMD", di = d, n1i, n2i)``. Assumes d was standardised by the pooled
    SD; the variance comes from the arm sizes only (no CI was reported).
    """
    return _g_and_vi(d, n1, n2)


def g_from_t(t, n1, n2) -> tuple[np.ndarray, np.ndarray]:
    r"""Hedges' g from a two-sample t statistic: :math:`d = t\sqrt{1/n_1 + 1/n_2}`.

    Then :math:`g = J(n_1 + n_2 - 2)\,d` (:func:`hedges_j`) and
    :math:`v = 1/n_1 + 1/n_2 + g^2 / (2(n_1+n_2))`, as R ``escalc(measure = "SMD", ti = t,
    n1i, n2i)``.

    References
    ----------
    Borenstein M, Hedges LV, Higgins JPT, Rothstein HR. Introduction to Meta-Analysis.
    Wiley, 2009, ch. 4 and 7.
    """
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    return _g_and_vi(np.asarray(t, float) * np.sqrt(1 / n1 + 1 / n2), n1, n2)


def g_from_p(p, sign, n1, n2) -> tuple[np.ndarray, np.ndarray]:
    r"""Hedges' g from a two-sided P value of a two-sample t test.

    :math:`t = \mathrm{sign}\cdot t^{-1}_{n_1+n_2-2}(1 - p/2)`, then :func:`g_from_t`
    (Cochrane Handbook 6.5.2.3). A rounded P (e.g. "p = 0.05") makes g only as precise as
    the rounding, and a P from an adjusted model is not the unadjusted t: a sensitivity
    input, not a transcription.
    """
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    t = np.sign(sign) * stats.t.isf(np.asarray(p, float) / 2, n1 + n2 - 2)
    return g_from_t(t, n1, n2)


def se_from_ci(ci_low, ci_high, level: float = 0.95, df: float | None = None) -> np.ndarray:
    r"""Standard error from a symmetric confidence interval.

    .. math:: SE = \frac{U - L}{2\, q_{(1+\text{level})/2}}

    with q the normal quantile (or Student t with ``df``). Cochrane Handbook 6.3.1.
    """
    q = stats.norm.ppf((1 + level) / 2) if df is None else stats.t.ppf((1 + level) / 2, df)
    return (np.asarray(ci_high, float) - np.asarray(ci_low, float)) / (2 * q)


def smd_from_ci(estimate, ci_low, ci_high, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """A reported SMD (or d) with its CI as (yi, vi): yi = estimate, vi = SE² from the CI."""
    return np.asarray(estimate, float), se_from_ci(ci_low, ci_high, level) ** 2


def smd_from_md(md, ci_low, ci_high, sd, level: float = 0.95):
    """A mean difference with its CI as an SMD, given the SD to standardise by.

    yi = MD / SD, vi = (SE(MD) / SD)²; no small-sample correction (the arm sizes are not
    needed). Returns ``None`` when no SD is available: such an MD cannot be pooled with
    SMDs and is listed only.
    """
    if sd is None or not np.isfinite(sd):
        return None
    se = se_from_ci(ci_low, ci_high, level)
    return float(md) / sd, float(se / sd) ** 2


def sd_from_ci_of_mean(ci_low, ci_high, n, level: float = 0.95) -> np.ndarray:
    r"""SD of one arm from the CI of its mean: :math:`SD = \sqrt n (U-L) / (2 t_{n-1})`.

    Cochrane Handbook 6.5.2.2 (t quantile for small n).
    """
    n = np.asarray(n, dtype=float)
    return np.sqrt(n) * se_from_ci(ci_low, ci_high, level, df=n - 1)


@dataclass(frozen=True)
class WaldCheck:
    """z and two-sided P from an estimate and its CI, with a rounding range."""

    se: float
    z: float
    p: float
    p_min: float
    p_max: float
    asymmetry: float

    def to_dict(self) -> dict:
        return asdict(self)


def wald_from_ci(estimate: float, ci_low: float, ci_high: float, decimals: int = 2,
                 level: float = 0.95) -> WaldCheck:
    r"""Recompute z and P from a printed estimate and CI (normal approximation).

    .. math:: SE = \frac{U-L}{2 z_{0.975}}, \quad z = \hat\theta / SE, \quad
              p = 2\,\Phi(-|z|)

    ``p_min`` and ``p_max`` bound P over every estimate and CI limits that round to the
    printed values (half a unit of the last printed digit, ``decimals``), so a reported P is
    consistent with the CI when it lies in that range. ``asymmetry`` is
    :math:`(U - \hat\theta) - (\hat\theta - L)`: a CI built as estimate ± q·SE is symmetric up to
    rounding, so a larger asymmetry points to a transcription error or a log-scale CI.
    (Cochrane Handbook 6.3.2; Altman & Bland, BMJ 2011;343:d2090.)
    """
    half = 0.5 * 10.0 ** (-decimals)
    se = float(se_from_ci(ci_low, ci_high, level))
    z = estimate / se
    p = 2 * stats.norm.sf(abs(z))
    q = stats.norm.ppf((1 + level) / 2)
    a = abs(estimate)
    z_hi = (a + half) / ((ci_high - ci_low - 2 * half) / (2 * q))
    z_lo = max(a - half, 0.0) / ((ci_high - ci_low + 2 * half) / (2 * q))
    return WaldCheck(se, float(z), float(p), float(2 * stats.norm.sf(z_hi)),
                     float(2 * stats.norm.sf(z_lo)),
                     float((ci_high - estimate) - (estimate - ci_low)))


@dataclass(frozen=True)
class PairedD:
    """Within-group standardised change d_z with its CI."""

    t: float
    n: int
    df: int
    p: float
    dz: float
    ci_low: float
    ci_high: float

    def to_dict(self) -> dict:
        return asdict(self)


def dz_from_t(t: float, n: int, level: float = 0.95) -> PairedD:
    r"""Within-group standardised mean change from a paired t statistic.

    .. math:: d_z = t / \sqrt n, \quad df = n - 1

    The CI inverts the noncentral t distribution (Steiger & Fouladi 1997): the limits are
    :math:`\lambda / \sqrt n` for the noncentrality parameters :math:`\lambda` with
    :math:`F_{t,df,\lambda}(t) = (1 \pm \text{level})/2` (:func:`scipy.stats.nct`), as R
    ``uniroot(function(ncp) pt(t, df, ncp) - p, ...)``. d_z standardises by the SD of the
    change, not of the scores, so it is not comparable with a between-group g.

    References
    ----------
    Lakens D. Front Psychol 2013;4:863 (d_z); Steiger JH, Fouladi RT. In: Harlow et al.
    (eds), What if there were no significance tests? 1997, 221-257.
    """
    df = n - 1
    p = 2 * stats.t.sf(abs(t), df)

    step = float(np.sqrt(1 + t**2 / (2 * df)))  # approximate SE of the noncentrality

    def f(nc, target):
        return stats.nct.cdf(t, df, nc) - target

    def root(target):
        # bracket by stepping out from t (cdf falls as nc rises); small steps keep scipy's
        # nct away from the far tails where it returns NaN (r_reference.md caveat G)
        lo, hi = t, t
        while f(lo, target) < 0:
            lo -= step
        while f(hi, target) > 0:
            hi += step
        return optimize.brentq(f, lo, hi, args=(target,), xtol=1e-13)

    lam_lo = root((1 + level) / 2)
    lam_hi = root((1 - level) / 2)
    s = np.sqrt(n)
    return PairedD(float(t), int(n), int(df), float(p), float(t / s), float(lam_lo / s),
                   float(lam_hi / s))


# --------------------------------------------------------------------------- pooling
@dataclass(frozen=True)
class Pooled:
    """A pooled estimate with heterogeneity and prediction interval (see :func:`pool`).

    ``z`` is the test statistic: a z value for ``test = "z"``, a t value on ``df`` degrees
    of freedom for ``test = "knha"`` (``df`` is infinite for z)."""

    method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float
    tau2: float
    i2: float
    i2_q: float
    h2: float
    q: float
    q_p: float
    pi_low: float
    pi_high: float
    pi_method: str
    test: str = "z"
    df: float = float("inf")

    def to_dict(self) -> dict:
        return asdict(self)


def typical_variance(vi: Sequence[float]) -> float:
    r"""Higgins & Thompson's 'typical' within-study variance (metafor's I² denominator).

    .. math:: s^2 = \frac{(k-1)\sum w_i}{(\sum w_i)^2 - \sum w_i^2}, \quad w_i = 1/v_i

    Equals R ``rma(yi, vi)$vt`` (metafor 3.8). Equal variances v give :math:`s^2 = v`.

    References
    ----------
    Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis. Stat Med
    2002;21:1539-1558.
    """
    w = 1 / np.asarray(vi, dtype=float)
    return float((len(w) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum()))


def reml_score(tau2: float, yi, vi) -> float:
    r"""Derivative of the restricted log-likelihood in tau² (times 2).

    With :math:`w_i = 1/(v_i + \tau^2)` and :math:`\hat\mu = \sum w_i y_i / \sum w_i`, the
    restricted log-likelihood of the random-effects model is, up to a constant,

    .. math:: \ell_R(\tau^2) = -\tfrac12\Big[\sum \log(v_i + \tau^2) + \log \sum w_i
              + \sum w_i (y_i - \hat\mu)^2\Big]

    and its score is

    .. math:: U(\tau^2) = 2\,\frac{d\ell_R}{d\tau^2} = \sum w_i^2 (y_i - \hat\mu)^2
              - \sum w_i + \frac{\sum w_i^2}{\sum w_i}

    Tested against a central difference of metafor's REML log-likelihood at fixed tau²
    (``rma(yi, vi, tau2 = t, method = "REML")$fit.stats["ll", "REML"]``).

    References
    ----------
    Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. J Educ Behav Stat 2005;30:261-293.
    """
    w = 1 / (np.asarray(vi, float) + tau2)
    mu = float((w * yi).sum() / w.sum())
    return float((w**2 * (yi - mu) ** 2).sum() - w.sum() + (w**2).sum() / w.sum())


def tau2_reml(yi: Sequence[float], vi: Sequence[float]) -> float:
    r"""REML estimate of the between-study variance tau².

    The root of :func:`reml_score` on :math:`[0, \infty)` (Brent, xtol 1e-14), truncated
    at 0 when the score is negative at 0 (the likelihood then peaks at the boundary).
    Equals R ``rma(yi, vi, method = "REML", control = list(threshold = 1e-12))$tau2``
    (metafor's Fisher scoring to the same root).

    References
    ----------
    Viechtbauer W. J Educ Behav Stat 2005;30:261-293. Raudenbush SW. In: Cooper H, et al.
    (eds), The Handbook of Research Synthesis and Meta-Analysis, 2nd ed., 2009, 295-315.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    if reml_score(0.0, yi, vi) <= 0:
        return 0.0
    hi = max(float(np.var(yi, ddof=1)), float(vi.mean()), 1e-8)
    while reml_score(hi, yi, vi) > 0:
        hi *= 2
    return float(optimize.brentq(reml_score, 0.0, hi, args=(yi, vi), xtol=1e-14,
                                 rtol=1e-14, maxiter=1000))


def hksj(yi: Sequence[float], vi: Sequence[float], tau2: float, level: float = 0.95
         ) -> dict:
    r"""Hartung-Knapp-Sidik-Jonkman interval and test for the random-effects mean.

    With :math:`w_i = 1/(v_i + \hat\tau^2)`:

    .. math::
        q = \frac{1}{k-1} \sum w_i (y_i - \hat\mu)^2, \quad
        SE_{HK} = \sqrt{q / \textstyle\sum w_i}, \quad
        \hat\mu \pm t_{k-1,(1+L)/2}\, SE_{HK}, \quad t = \hat\mu / SE_{HK}

    No truncation of q at 1 (metafor's ``test = "knha"``; the ad hoc variant that truncates
    is not used). Equals R ``rma(yi, vi, method = ..., test = "knha")``, and with a given
    tau² ``rma(yi, vi, tau2 = tau2, test = "knha")``.

    Returns
    -------
    dict with estimate, se, ci_low, ci_high, t, df, p.

    References
    ----------
    Hartung J, Knapp G. Stat Med 2001;20:3875-3889. Sidik K, Jonkman JN. Stat Med
    2002;21:3153-3159. IntHout J, et al. BMC Med Res Methodol 2014;14:25.
    """
    yi = np.asarray(yi, dtype=float)
    w = 1 / (np.asarray(vi, dtype=float) + tau2)
    k = yi.size
    mu = float((w * yi).sum() / w.sum())
    q = float((w * (yi - mu) ** 2).sum() / (k - 1))
    se = float(np.sqrt(q / w.sum()))
    df = k - 1
    crit = stats.t.ppf((1 + level) / 2, df)
    t = mu / se
    return {"estimate": mu, "se": se, "ci_low": mu - crit * se, "ci_high": mu + crit * se,
            "t": float(t), "df": float(df), "p": float(2 * stats.t.sf(abs(t), df))}


def pool(yi: Sequence[float], vi: Sequence[float], method: str = "dl", level: float = 0.95,
         pi_method: str = "normal", test: str = "z") -> Pooled:
    r"""Random-effects (or common-effect) pooling.

    Parameters
    ----------
    yi, vi : sequences of float
        Study effects and their sampling variances (k >= 2).
    method : {"dl", "pm", "reml", "fe"}
        tau² estimator: DerSimonian-Laird (statsmodels ``combine_effects``,
        ``method_re="chi2"``), Paule-Mandel (``method_re="iterated"``, atol 1e-12), REML
        (:func:`tau2_reml`) or none (common effect, tau² = 0).
    level : float
        Confidence level.
    pi_method : {"normal", "higgins_t"}
        Prediction interval. ``"normal"`` is metafor's ``predict(rma)`` default:
        :math:`\hat\mu \pm z_{(1+level)/2}\sqrt{SE^2 + \tau^2}`. ``"higgins_t"`` is
        Higgins et al. 2009 / IntHout 2016: the same with :math:`t_{k-2}` (needs k >= 3).
        The SE in the PI is always the model-based one (not the HKSJ SE).
    test : {"z", "knha"}
        Interval and test for the mean: Wald z, or Hartung-Knapp-Sidik-Jonkman t with
        k - 1 df (:func:`hksj`; metafor ``test = "knha"``). Ignored for ``"fe"``.

    Notes
    -----
    With :math:`w_i^* = 1/(v_i + \tau^2)`:

    .. math::
        \hat\mu = \frac{\sum w_i^* y_i}{\sum w_i^*}, \quad SE = (\textstyle\sum w_i^*)^{-1/2},
        \quad Q = \sum (y_i - \hat\mu_{FE})^2 / v_i

        I^2 = 100\,\frac{\tau^2}{\tau^2 + s^2} \ \text{(metafor; } s^2 \text{ from
        :func:`typical_variance`)}, \qquad I^2_Q = 100\,\frac{Q - (k-1)}{Q} \ \text{(statsmodels)}

    The two I² agree for DL (and are both 0 when Q <= k - 1). statsmodels does not truncate
    the DL tau² at 0; here a tau² <= 0 is set to 0 (as metafor), giving the FE estimate.
    ``h2`` is metafor's :math:`H^2 = (\tau^2 + s^2)/s^2`; for ``"fe"`` it is :math:`Q/(k-1)`.
    Tested against metafor 3.8 ``rma()`` / ``predict()`` (tests/test_aerobic.py,
    tests/test_summary_stats.py).
    """
    from statsmodels.stats.meta_analysis import combine_effects

    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    k = yi.size
    if k < 2:
        raise ValueError("pooling needs at least 2 studies")
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {tuple(METHODS)}")
    if pi_method not in PI_METHODS:
        raise ValueError(f"pi_method {pi_method!r} is not one of {PI_METHODS}")
    if test not in TESTS:
        raise ValueError(f"test {test!r} is not one of {tuple(TESTS)}")
    alpha = 1 - level
    with np.errstate(invalid="ignore"):  # sqrt of a negative untruncated DL variance
        if method == "pm":
            res = combine_effects(yi, vi, method_re="iterated", alpha=alpha, atol=1e-12,
                                  maxiter=1000)
        else:
            res = combine_effects(yi, vi, method_re="chi2", alpha=alpha)
    q = float(res.q)
    i2_q = float(max(0.0, (q - (k - 1)) / q) * 100) if q > 0 else 0.0
    s2 = typical_variance(vi)
    tau2 = tau2_reml(yi, vi) if method == "reml" else float(res.tau2)
    # statsmodels' moment (DL) estimator is not truncated: with Q < k - 1 it returns a
    # negative tau2 (and a NaN se). metafor truncates at 0, where RE equals FE.
    truncated = method != "fe" and tau2 <= 0
    if method == "fe" or truncated:
        est, se, tau2 = float(res.mean_effect_fe), float(res.sd_eff_w_fe), 0.0
        i2, h2 = (i2_q, q / (k - 1)) if method == "fe" else (0.0, 1.0)
    else:
        w = 1 / (vi + tau2)
        est, se = float((w * yi).sum() / w.sum()), float(np.sqrt(1 / w.sum()))
        i2 = 100 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2
    zq = stats.norm.ppf(1 - alpha / 2)
    if pi_method == "higgins_t":
        crit = stats.t.ppf(1 - alpha / 2, k - 2) if k >= 3 else np.nan
    else:
        crit = zq
    half_pi = crit * np.sqrt(se**2 + tau2)
    if test == "knha" and method != "fe":
        hk = hksj(yi, vi, tau2, level)
        stat, p, lo, hi, df = hk["t"], hk["p"], hk["ci_low"], hk["ci_high"], hk["df"]
        se_out = hk["se"]
    else:
        test = "z"
        stat = est / se
        p, lo, hi, df = float(2 * stats.norm.sf(abs(stat))), est - zq * se, est + zq * se, np.inf
        se_out = se
    return Pooled(method, k, est, se_out, float(lo), float(hi), float(stat), float(p), tau2,
                  float(i2), i2_q, float(h2), q, float(stats.chi2.sf(q, k - 1)),
                  float(est - half_pi), float(est + half_pi), pi_method, test, float(df))


def leave_one_out(yi, vi, labels: Sequence[str], method: str = "dl", level: float = 0.95,
                  test: str = "z") -> pd.DataFrame:
    """Pool again with each study left out (metafor ``leave1out``); needs k >= 3.

    Returns one row per omitted study: omitted, k, estimate, ci_low, ci_high, tau2, i2.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    rows = []
    for i, lab in enumerate(labels):
        keep = np.arange(yi.size) != i
        r = pool(yi[keep], vi[keep], method, level, test=test)
        rows.append({"omitted": lab, "k": r.k, "estimate": r.estimate, "ci_low": r.ci_low,
                     "ci_high": r.ci_high, "tau2": r.tau2, "i2": r.i2})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class EggerResult:
    """Egger's regression test for funnel-plot asymmetry."""

    intercept: float
    t: float
    df: int
    p: float
    limit_estimate: float
    limit_ci_low: float
    limit_ci_high: float

    def to_dict(self) -> dict:
        return asdict(self)


def egger_test(yi, vi, level: float = 0.95) -> EggerResult:
    r"""Egger's test: OLS of the standardised effect on precision (statsmodels OLS).

    .. math:: y_i / \sqrt{v_i} = \beta_0 + \beta_1 / \sqrt{v_i} + \varepsilon_i

    The test is the t test of the intercept :math:`\beta_0` (df = k - 2); :math:`\beta_1` is
    the effect of an infinitely precise study ("limit estimate"). Identical to R
    ``regtest(rma(yi, vi, method = "FE"), model = "lm")`` (case regtest_bcg_FE_lm).

    References
    ----------
    Egger M, Davey Smith G, Schneider M, Minder C. BMJ 1997;315:629-634.
    """
    import statsmodels.api as sm

    yi = np.asarray(yi, dtype=float)
    sei = np.sqrt(np.asarray(vi, dtype=float))
    fit = sm.OLS(yi / sei, sm.add_constant(1 / sei)).fit()
    lo, hi = fit.conf_int(alpha=1 - level)[1]
    return EggerResult(float(fit.params[0]), float(fit.tvalues[0]), int(fit.df_resid),
                       float(fit.pvalues[0]), float(fit.params[1]), float(lo), float(hi))


def smd_to_points(smd, baseline_sd) -> np.ndarray:
    r"""Back-transform an SMD to points of a scale: :math:`\Delta = \text{SMD} \times SD`.

    ``baseline_sd`` is the SD of the outcome on that scale (e.g. 0-100 pain) in a typical
    population (Cochrane Handbook 15.5.3.1; Borenstein et al. 2009 ch. 7). Works on
    estimates and CI limits alike.
    """
    return np.asarray(smd, dtype=float) * np.asarray(baseline_sd, dtype=float)
