"""Two-group counts: 2x2 chi-square, risk ratios, granularity checks, detectable risk ratios.

Used where a trial prints only percentages and a test statistic (no counts):

- :func:`chi2_2x2`: Pearson's chi-square of a 2x2 table, with or without Yates'
  continuity correction (R ``chisq.test(tab, correct = FALSE | TRUE)``);
- :func:`risk_ratio`: risk ratio with the Katz log interval (R ``metafor::escalc(measure =
  "RR")`` then ``exp(yi +/- z sqrt(vi))``);
- :func:`granularity_splits`: every split of a total into two arms and event counts that
  reproduces printed percentages (and optionally a printed chi-square), in the spirit of
  the GRIM test for means;
- :func:`min_detectable_rr`: the smallest risk ratio a two-proportion test detects with a
  given power (Cohen's h, R ``pwr::pwr.2p2n.test``);
- :func:`p_from_ratio_ci`: the P value implied by a ratio (HR, RR, OR) and its CI, on the log
  scale.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass

from scipy import stats

from runspine.stats import prevalence


def chi2_2x2(a: int, n1: int, c: int, n2: int, correction: bool = False) -> tuple[float, float]:
    r"""Pearson chi-square (1 df) and P for events ``a`` of ``n1`` vs ``c`` of ``n2``.

    .. math:: X^2 = \frac{N\,(|ad - bc| - \delta N/2)_+^2}{n_1 n_2 m_1 m_2}

    with :math:`b = n_1 - a`, :math:`d = n_2 - c`, :math:`m_1 = a + c`, :math:`m_2 = b + d`,
    :math:`N = n_1 + n_2`, and :math:`\delta = 1` for Yates' continuity correction (0
    without). R: ``chisq.test(matrix(c(a, n1 - a, c, n2 - c), 2, byrow = TRUE),
    correct = FALSE)``. Returns NaN when a margin is zero.

    References
    ----------
    Agresti A. Categorical Data Analysis, 3rd ed., 2013, sec. 3.2; Yates F. J R Stat Soc
    Suppl 1934;1:217-235.
    """
    b, d = n1 - a, n2 - c
    m1, m2, n = a + c, b + d, n1 + n2
    denom = n1 * n2 * m1 * m2
    if denom == 0:
        return float("nan"), float("nan")
    diff = abs(a * d - b * c)
    if correction:
        diff = max(diff - n / 2, 0.0)
    x2 = n * diff ** 2 / denom
    return float(x2), float(stats.chi2.sf(x2, 1))


@dataclass(frozen=True)
class RiskRatio:
    """Risk ratio (group 1 / group 2) with a Katz log-scale CI."""

    rr: float
    ci_low: float
    ci_high: float
    log_rr: float
    se_log: float
    p: float

    def to_dict(self) -> dict:
        return asdict(self)


def risk_ratio(a: int, n1: int, c: int, n2: int, level: float = 0.95) -> RiskRatio:
    r"""Risk ratio :math:`(a/n_1)/(c/n_2)` with the Katz interval.

    .. math:: SE(\log RR) = \sqrt{1/a - 1/n_1 + 1/c - 1/n_2}, \qquad
              \exp(\log RR \pm z_{(1+\text{level})/2}\, SE)

    and the Wald P of :math:`\log RR / SE`. R: ``metafor::escalc(measure = "RR", ai = a,
    n1i = n1, ci = c, n2i = n2)`` gives ``yi`` = log RR and ``vi`` = SE^2.

    References
    ----------
    Katz D, Baptista J, Azen SP, Pike MC. Biometrics 1978;34:469-474.
    """
    if min(a, c) <= 0 or a > n1 or c > n2:
        raise ValueError("risk_ratio needs 0 < a <= n1 and 0 < c <= n2")
    log_rr = math.log((a / n1) / (c / n2))
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    z = stats.norm.ppf((1 + level) / 2)
    return RiskRatio(math.exp(log_rr), math.exp(log_rr - z * se), math.exp(log_rr + z * se),
                     log_rr, se, float(2 * stats.norm.sf(abs(log_rr / se))))


def _rounds_to(x: float, printed: float, decimals: int) -> bool:
    """Whether ``x`` rounds (half up, as journals print) to ``printed`` at ``decimals``."""
    half = 0.5 * 10.0 ** (-decimals)
    return printed - half - 1e-12 <= x < printed + half - 1e-12


def granularity_splits(totals, pct1: float, pct2: float, decimals: int = 1,
                       chi2: float | None = None, chi2_decimals: int = 3,
                       correction: bool = False, max_n1: int | None = None,
                       max_n2: int | None = None, min_arm: int = 1) -> list[dict]:
    r"""Every (n1, a, n2, c) with n1 + n2 in ``totals`` whose percentages round to the printed
    ``pct1`` (a / n1) and ``pct2`` (c / n2), with the chi-square each split gives.

    A split is kept when, with half-up rounding at ``decimals`` (:math:`\delta = \tfrac12
    10^{-d}`),

    .. math:: p_1 - \delta \le 100\,a/n_1 < p_1 + \delta, \qquad
              p_2 - \delta \le 100\,c/n_2 < p_2 + \delta

    A granularity check (in the spirit of GRIM, Brown & Heathers 2017): with integer counts
    only some arm sizes can produce a printed percentage; adding the printed chi-square
    narrows the splits further. Each row has ``chi2`` (:func:`chi2_2x2` with
    ``correction``) and ``chi2_fits`` (it rounds to the printed ``chi2`` at
    ``chi2_decimals``; True when no chi-square is given). ``max_n1`` / ``max_n2`` cap the
    arms (e.g. at the randomised sizes when analysed totals may be smaller); ``min_arm`` is
    the smallest arm considered.

    References
    ----------
    Brown NJL, Heathers JAJ. The GRIM test. Soc Psychol Personal Sci 2017;8:363-369.
    """
    rows = []
    for total in totals:
        total = int(total)
        for n1 in range(max(min_arm, 1), total - max(min_arm, 1) + 1):
            n2 = total - n1
            if (max_n1 is not None and n1 > max_n1) or (max_n2 is not None and n2 > max_n2):
                continue
            a0, c0 = round(pct1 / 100 * n1), round(pct2 / 100 * n2)
            for a, c in itertools.product((a0 - 1, a0, a0 + 1), (c0 - 1, c0, c0 + 1)):
                if not (0 <= a <= n1 and 0 <= c <= n2):
                    continue
                if not (_rounds_to(100 * a / n1, pct1, decimals)
                        and _rounds_to(100 * c / n2, pct2, decimals)):
                    continue
                x2, p = chi2_2x2(a, n1, c, n2, correction)
                fits = True if chi2 is None else _rounds_to(x2, chi2, chi2_decimals)
                rows.append({"total": total, "n1": n1, "a": a, "n2": n2, "c": c,
                             "pct1": 100 * a / n1, "pct2": 100 * c / n2, "chi2": x2, "p": p,
                             "chi2_fits": bool(fits)})
    return rows


def rr_from_h(p_control: float, h: float, direction: str = "higher") -> float:
    r"""Risk ratio between the proportion Cohen's h away from ``p_control`` and ``p_control``.

    .. math:: p_1 = \sin^2\!\left(\arcsin\sqrt{p_0} \pm h/2\right), \qquad RR = p_1 / p_0

    ``direction="higher"`` takes the plus sign (RR > 1), ``"lower"`` the minus sign. NaN when
    no proportion in [0, 1] lies that far away. The inverse of Cohen's
    :math:`h = 2\arcsin\sqrt{p_1} - 2\arcsin\sqrt{p_0}` (R ``pwr::ES.h(p1, p0)``).

    References
    ----------
    Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed., 1988, ch. 6.
    """
    if not 0 < p_control < 1:
        raise ValueError("p_control must lie strictly between 0 and 1")
    phi0 = math.asin(math.sqrt(p_control))
    phi1 = phi0 + h / 2 if direction == "higher" else phi0 - h / 2
    if not 0 <= phi1 <= math.pi / 2:
        return float("nan")
    return float(math.sin(phi1) ** 2 / p_control)


def min_detectable_rr(n1: float, n2: float, p_control: float, alpha: float = 0.05,
                      power: float = 0.8, direction: str = "lower") -> float:
    r"""Smallest risk ratio (group 1 vs group 2, whose risk is ``p_control``) that a two-sided
    two-proportion test detects with the given power.

    Cohen's h from :func:`runspine.stats.prevalence.min_detectable_h` (R
    ``pwr::pwr.2p2n.test(n1 = n1, n2 = n2, power = 0.8)$h``), converted by
    :func:`rr_from_h`.

    References
    ----------
    Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed., 1988, ch. 6.
    """
    return rr_from_h(p_control, prevalence.min_detectable_h(n1, n2, alpha, power), direction)


@dataclass(frozen=True)
class RatioP:
    """P value recomputed from a ratio estimate and its CI (log scale)."""

    se_log: float
    z: float
    p: float
    p_min: float
    p_max: float
    log_asymmetry: float

    def to_dict(self) -> dict:
        return asdict(self)


def p_from_ratio_ci(estimate: float, ci_low: float, ci_high: float, decimals: int = 2,
                    level: float = 0.95) -> RatioP:
    r"""Two-sided P implied by a ratio (HR, RR, OR) and its CI, computed on the log scale.

    .. math:: SE = \frac{\log U - \log L}{2 z_{(1+\text{level})/2}}, \quad
              z = \frac{\log\hat\theta}{SE}, \quad p = 2\Phi(-|z|)

    ``p_min`` / ``p_max`` bound P over every estimate and limits that round to the printed
    values (half a unit of the last printed digit, ``decimals``); ``log_asymmetry`` is
    :math:`(\log U - \log\hat\theta) - (\log\hat\theta - \log L)`, near 0 for a Wald CI.
    R: ``2 * pnorm(-abs(log(est) / ((log(U) - log(L)) / (2 * qnorm(0.975)))))``.

    References
    ----------
    Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ
    2011;343:d2304.
    """
    q = stats.norm.ppf((1 + level) / 2)

    def p_of(e, lo, hi):
        se = (math.log(hi) - math.log(lo)) / (2 * q)
        return 2 * stats.norm.sf(abs(math.log(e)) / se)

    half = 0.5 * 10.0 ** (-decimals)
    se = (math.log(ci_high) - math.log(ci_low)) / (2 * q)
    z = math.log(estimate) / se
    corners = [p_of(e, lo, hi) for e, lo, hi in itertools.product(
        (estimate - half, estimate + half), (ci_low - half, ci_low + half),
        (ci_high - half, ci_high + half)) if lo > 0 and e > 0]
    asym = (math.log(ci_high) - math.log(estimate)) - (math.log(estimate) - math.log(ci_low))
    return RatioP(se, float(z), float(2 * stats.norm.sf(abs(z))), float(min(corners)),
                  float(max(corners)), float(asym))
