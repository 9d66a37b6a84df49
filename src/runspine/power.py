"""Power and minimum detectable effects (wrappers around :mod:`statsmodels.stats.power`).

All tests are two-sided at level ``alpha``. Effect sizes are Cohen's d (difference in
means divided by the SD) for t tests and Cohen's h for two proportions.
"""

from __future__ import annotations

import math

import numpy as np
from statsmodels.stats.power import NormalIndPower, TTestIndPower, TTestPower


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
    return float(TTestIndPower().solve_power(effect_size=None, nobs1=n1, ratio=n2 / n1,
                                             alpha=alpha, power=power,
                                             alternative="two-sided"))


def power_two_sample(d: float, n1: float, n2: float, alpha: float = 0.05) -> float:
    """Power of a two-sample t test for Cohen's d (R ``pwr::pwr.t2n.test(...)$power``)."""
    return float(TTestIndPower().power(effect_size=d, nobs1=n1, ratio=n2 / n1, alpha=alpha,
                                       alternative="two-sided"))


def n_per_group(d: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Subjects per group (equal groups) for Cohen's d (R ``pwr::pwr.t.test(d = d)$n``).

    Returned unrounded; round up to recruit.
    """
    return float(TTestIndPower().solve_power(effect_size=d, nobs1=None, ratio=1.0,
                                             alpha=alpha, power=power,
                                             alternative="two-sided"))


def min_detectable_d_paired(n: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Smallest standardized mean difference :math:`d_z` a paired / one-sample t test
    detects (:class:`statsmodels.stats.power.TTestPower`; R ``pwr::pwr.t.test(n,
    power = 0.8, type = "paired")$d``)."""
    return float(TTestPower().solve_power(effect_size=None, nobs=n, alpha=alpha, power=power,
                                          alternative="two-sided"))


def cohens_h(p1: float, p2: float) -> float:
    r"""Cohen's h for two proportions: :math:`h = 2\arcsin\sqrt{p_1} - 2\arcsin\sqrt{p_2}`
    (R ``pwr::ES.h(p1, p2)``)."""
    return float(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))


def min_detectable_h(n1: float, n2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    r"""Smallest Cohen's h a two-proportion z test detects
    (:class:`statsmodels.stats.power.NormalIndPower`; R ``pwr::pwr.2p2n.test(n1 = n1,
    n2 = n2, power = 0.8)$h``)."""
    return float(NormalIndPower().solve_power(effect_size=None, nobs1=n1, ratio=n2 / n1,
                                              alpha=alpha, power=power,
                                              alternative="two-sided"))


def power_curve_n(d: float, n_values, alpha: float = 0.05) -> np.ndarray:
    """Power of a two-sample t test with equal groups, for each n per group."""
    return np.array([power_two_sample(d, n, n, alpha) for n in n_values])
