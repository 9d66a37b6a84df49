"""Decay curves through a few summary time points (e.g. mean pain over weeks).

Weighted nonlinear least squares with known standard errors (the SEs of the printed
means, from their CIs): :func:`scipy.optimize.curve_fit` with ``sigma = se`` and
``absolute_sigma = True``, so the parameter covariance is :math:`(J^T W J)^{-1}` and is not
rescaled by the residual variance (the points' SEs are taken as known, as in a
fixed-effect meta-regression). R: ``nls(y ~ f(t), weights = 1 / se^2)`` gives the same
estimates; its ``vcov()`` divided by ``summary(fit)$sigma^2`` gives the same covariance.

Forms (t in the time unit of the data, y0 the value at t = 0):

- ``exponential``: :math:`y = y_0 e^{-k t}` (2 parameters, decays to 0);
- ``exponential_plateau``: :math:`y = c + (y_0 - c) e^{-k t}` (3 parameters);
- ``hyperbolic_plateau``: :math:`y = c + (y_0 - c) / (1 + k t)` (3 parameters; a slower,
  heavy-tailed approach to the plateau).

Predictions and the time to reach a level carry delta-method standard errors.

References
----------
Bates DM, Watts DG. Nonlinear Regression Analysis and Its Applications. Wiley, 1988,
ch. 2; Seber GAF, Wild CJ. Nonlinear Regression. Wiley, 1989, sec. 5.1 (delta method).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, stats

FORMS = ("exponential", "exponential_plateau", "hyperbolic_plateau")
PARAMS = {"exponential": ("y0", "k"), "exponential_plateau": ("y0", "c", "k"),
          "hyperbolic_plateau": ("y0", "c", "k")}


def curve(form: str, t, theta) -> np.ndarray:
    """Value of a decay curve ``form`` with parameters ``theta`` at times ``t``."""
    t = np.asarray(t, dtype=float)
    if form == "exponential":
        y0, k = theta
        return y0 * np.exp(-k * t)
    if form == "exponential_plateau":
        y0, c, k = theta
        return c + (y0 - c) * np.exp(-k * t)
    if form == "hyperbolic_plateau":
        y0, c, k = theta
        return c + (y0 - c) / (1 + k * t)
    raise ValueError(f"unknown curve form {form!r}; choose one of {FORMS}")


def gradient(form: str, t, theta) -> np.ndarray:
    """Jacobian d curve / d theta at times ``t`` (rows: times, columns: parameters)."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if form == "exponential":
        y0, k = theta
        e = np.exp(-k * t)
        return np.column_stack([e, -y0 * t * e])
    if form == "exponential_plateau":
        y0, c, k = theta
        e = np.exp(-k * t)
        return np.column_stack([e, 1 - e, -(y0 - c) * t * e])
    if form == "hyperbolic_plateau":
        y0, c, k = theta
        h = 1 / (1 + k * t)
        return np.column_stack([h, 1 - h, -(y0 - c) * t * h ** 2])
    raise ValueError(f"unknown curve form {form!r}; choose one of {FORMS}")


def _dcurve_dt(form: str, t: float, theta) -> float:
    if form == "exponential":
        y0, k = theta
        return float(-k * y0 * math.exp(-k * t))
    if form == "exponential_plateau":
        y0, c, k = theta
        return float(-k * (y0 - c) * math.exp(-k * t))
    y0, c, k = theta
    return float(-k * (y0 - c) / (1 + k * t) ** 2)


@dataclass(frozen=True)
class DecayFit:
    """A weighted decay-curve fit."""

    form: str
    names: tuple
    theta: np.ndarray
    cov: np.ndarray
    chi2: float
    df: int
    t: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)

    @property
    def se_theta(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def param(self, name: str) -> float:
        return float(self.theta[self.names.index(name)])

    @property
    def p_fit(self) -> float:
        """P of the weighted residual chi-square on ``df`` (NaN when df = 0)."""
        return float(stats.chi2.sf(self.chi2, self.df)) if self.df > 0 else float("nan")


def _start(form: str, t, y) -> list[float]:
    y0 = float(y[np.argmin(t)])
    last = float(y[np.argmax(t)])
    # rate from the first two points, assuming a plateau near the last value
    order = np.argsort(t)
    t1, y1 = float(t[order[1]]), float(y[order[1]])
    if form == "exponential":
        k = math.log(max(y0, 1e-9) / max(y1, 1e-9)) / max(t1, 1e-9)
        return [y0, max(k, 1e-4)]
    c = 0.5 * last
    frac = max((y1 - c) / max(y0 - c, 1e-9), 1e-3)
    if form == "exponential_plateau":
        return [y0, c, max(-math.log(frac) / max(t1, 1e-9), 1e-4)]
    return [y0, c, max((1 / frac - 1) / max(t1, 1e-9), 1e-4)]


def fit_decay(t, y, se, form: str = "exponential_plateau") -> DecayFit:
    r"""Fit a decay curve by weighted least squares, weights :math:`1/SE_i^2`.

    Minimises :math:`\sum_i (y_i - f(t_i;\theta))^2 / SE_i^2`; covariance
    :math:`(J^T W J)^{-1}` (``absolute_sigma=True``). ``chi2`` is the minimised sum and
    ``df`` = points - parameters.
    """
    if form not in FORMS:
        raise ValueError(f"unknown curve form {form!r}; choose one of {FORMS}")
    t, y, se = (np.asarray(v, dtype=float) for v in (t, y, se))
    names = PARAMS[form]
    if len(t) < len(names):
        raise ValueError(f"{form} has {len(names)} parameters but only {len(t)} points")
    theta, cov = optimize.curve_fit(lambda tt, *p: curve(form, tt, p), t, y,
                                    p0=_start(form, t, y), sigma=se, absolute_sigma=True,
                                    maxfev=20000, xtol=1e-14, ftol=1e-14, gtol=1e-14)
    resid = (y - curve(form, t, theta)) / se
    return DecayFit(form, names, np.asarray(theta), np.asarray(cov),
                    float(np.sum(resid ** 2)), len(t) - len(names), t, y, se)


def predict(fit: DecayFit, t, level: float = 0.95) -> dict:
    r"""Curve value at ``t`` with a delta-method CI:
    :math:`SE = \sqrt{g^T \Sigma g}`, :math:`g = \partial f/\partial\theta`."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    g = gradient(fit.form, t, fit.theta)
    value = curve(fit.form, t, fit.theta)
    se = np.sqrt(np.einsum("ij,jk,ik->i", g, fit.cov, g))
    z = stats.norm.ppf((1 + level) / 2)
    return {"t": t, "value": value, "se": se, "ci_low": value - z * se,
            "ci_high": value + z * se}


def time_to_level(fit: DecayFit, level_value: float, ci: float = 0.95) -> dict:
    r"""Time at which the curve falls to ``level_value``, with a delta-method CI.

    Solved in closed form: exponential :math:`t = \log(y_0/L)/k`; exponential with plateau
    :math:`t = \log((y_0-c)/(L-c))/k`; hyperbolic :math:`t = ((y_0-c)/(L-c) - 1)/k`. The
    gradient follows from the implicit function theorem,
    :math:`\partial t/\partial\theta = -(\partial f/\partial\theta)/(\partial f/\partial t)`.
    ``reached`` is False (time NaN) when the curve never gets down to the level (a plateau
    at or above it) or starts below it.
    """
    theta = fit.theta
    y0 = theta[0]
    c = 0.0 if fit.form == "exponential" else theta[1]
    k = theta[-1]
    nan = {"time": float("nan"), "se": float("nan"), "ci_low": float("nan"),
           "ci_high": float("nan"), "reached": False}
    if not (c < level_value < y0) or k <= 0:
        return nan
    ratio = (y0 - c) / (level_value - c)
    t = math.log(ratio) / k if fit.form != "hyperbolic_plateau" else (ratio - 1) / k
    g = gradient(fit.form, [t], theta)[0]
    dt = -g / _dcurve_dt(fit.form, t, theta)
    se = float(math.sqrt(dt @ fit.cov @ dt))
    z = stats.norm.ppf((1 + ci) / 2)
    return {"time": float(t), "se": se, "ci_low": float(t - z * se),
            "ci_high": float(t + z * se), "reached": True}
