"""Power and minimum detectable effects (wrappers around :mod:`statsmodels.stats.power`).

All tests are two-sided at level ``alpha``. Effect sizes are Cohen's d (difference in
means divided by the SD) for t tests and Cohen's h for two proportions.
"""

from __future__ import annotations

import math

from scipy.optimize import brentq
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower


def _solve(fn, target: float, lo: float, hi: float) -> float:
    """Root of the increasing power function ``fn(x) = target`` for x >= lo (Brent).

    statsmodels' ``solve_power`` stops at about 1e-6 relative accuracy; solving its own
    power functions with a tight bracket gives the root to ~12 digits. The bracket starts
    at ``hi`` and doubles until power reaches the target; scipy's noncentral t returns NaN
    far in the tail (power ~ 1), which is read as 1. When ``fn(lo)`` already reaches the
    target, ``lo`` is returned (e.g. 2 subjects per group for a huge effect).
    """
    import math

    def f(x):
        value = fn(x)
        return (1.0 if math.isnan(value) else value) - target

    if f(lo) >= 0:  # the smallest supported value already reaches the target (a large
        return float(lo)  # effect needs the fewest subjects; power <= alpha needs no effect)
    while f(hi) < 0:
        lo, hi = hi, hi * 2
    return float(brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))


def min_detectable_d(n1: float, n2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Smallest Cohen's d a two-sample t test detects with the given power.

    Solves :math:`1 - \beta = P(|T'| > t_{1-\alpha/2,\,\nu})` for d, with
    :math:`T'` noncentral t, :math:`\nu = n_1 + n_2 - 2`, noncentrality
    :math:`d \sqrt{n_1 n_2 / (n_1 + n_2)}`
    (:class:`statsmodels.stats.power.TTestIndPower`). R: ``pwr::pwr.t2n.test(n1, n2,
    power = 0.8)$d``.

    References
    ----------
    Cohen J. Statistical Power Analysis for the Behavioral Sciences, 2nd ed., 1988, ch. 2.
    """
    return _solve(lambda d: power_two_sample(d, n1, n2, alpha), power, 1e-6, 0.5)


def power_two_sample(d: float, n1: float, n2: float, alpha: float = 0.05) -> float:
    """Power of a two-sample t test for Cohen's d (R ``pwr::pwr.t2n.test(...)$power``)."""
    return float(TTestIndPower().power(effect_size=d, nobs1=n1, ratio=n2 / n1, alpha=alpha,
                                       alternative="two-sided"))


def n_per_group(d: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Subjects per group (equal groups) for Cohen's d (R ``pwr::pwr.t.test(d = d)$n``).

    Returned unrounded; round up to recruit.
    """
    return _solve(lambda n: power_two_sample(d, n, n, alpha), power, 2.0, 8.0)


def min_detectable_d_paired(n: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Smallest standardized mean difference :math:`d_z` a paired / one-sample t test
    detects (:class:`statsmodels.stats.power.TTestPower`; R ``pwr::pwr.t.test(n,
    power = 0.8, type = "paired")$d``)."""
    return _solve(lambda d: float(TTestPower().power(effect_size=d, nobs=n, alpha=alpha,
                                                     alternative="two-sided")),
                  power, 1e-6, 0.5)


def cohens_h(p1: float, p2: float) -> float:
    r"""Cohen's h for two proportions: :math:`h = 2\arcsin\sqrt{p_1} - 2\arcsin\sqrt{p_2}`
    (R ``pwr::ES.h(p1, p2)``)."""
    return float(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))


def min_detectable_h(n1: float, n2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Smallest Cohen's h a two-proportion z test detects
    (:class:`statsmodels.stats.power.NormalIndPower`; R ``pwr::pwr.2p2n.test(n1 = n1,
    n2 = n2, power = 0.8)$h``)."""
    return _solve(lambda h: float(NormalIndPower().power(effect_size=h, nobs1=n1, ratio=n2 / n1,
                                                         alpha=alpha,
                                                         alternative="two-sided")),
                  power, 1e-8, 0.1)
