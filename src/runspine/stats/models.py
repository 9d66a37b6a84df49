"""Individual-level models fitted to simulated data (statsmodels)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats


@dataclass(frozen=True)
class MixedSlope:
    """Fixed slope of a random-intercept model and its variance components."""

    intercept: float
    slope: float
    slope_se: float
    slope_ci_low: float
    slope_ci_high: float
    sd_intercept: float
    sd_residual: float
    cov_fixed: tuple

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("cov_fixed")
        return d


def fit_random_intercept(frame: pd.DataFrame, y: str, x: str, group: str,
                         level: float = 0.95) -> MixedSlope:
    r"""Fit :math:`y_{ij} = \beta_0 + \beta_1 x_{ij} + u_i + e_{ij}` by REML.

    :math:`u_i \sim N(0, \tau^2)`, :math:`e_{ij} \sim N(0, \sigma^2)`
    (:func:`statsmodels.formula.api.mixedlm`). The CI is Wald (normal), as statsmodels
    reports. R equivalent: ``nlme::lme(y ~ x, random = ~ 1 | group, method = "REML")``.

    References
    ----------
    Pinheiro JC, Bates DM. Mixed-Effects Models in S and S-PLUS. Springer, 2000.
    """
    fit = smf.mixedlm(f"{y} ~ {x}", frame, groups=frame[group]).fit(reml=True)
    z = stats.norm.ppf(0.5 + level / 2)
    b = float(fit.fe_params[x])
    se = float(fit.bse_fe[x])
    cov = fit.cov_params().loc[["Intercept", x], ["Intercept", x]].to_numpy()
    return MixedSlope(float(fit.fe_params["Intercept"]), b, se, b - z * se, b + z * se,
                      float(np.sqrt(fit.cov_re.iloc[0, 0])), float(np.sqrt(fit.scale)),
                      tuple(map(tuple, cov)))


def mixed_prediction(model: MixedSlope, x0: float, level: float = 0.95) -> dict:
    r"""Mean and individual prediction at ``x0`` from a random-intercept fit.

    .. math:: \hat y_0 = \hat\beta_0 + \hat\beta_1 x_0, \quad
              \mathrm{Var}(\hat y_0) = a^\top V a, \quad a = (1, x_0)^\top, \qquad
              \hat y_0 \pm z_{(1+L)/2} \sqrt{a^\top V a} \ \text{(mean)}, \quad
              \hat y_0 \pm z_{(1+L)/2} \sqrt{a^\top V a + \hat\tau^2 + \hat\sigma^2}
              \ \text{(a new individual)}

    with V the covariance of the fixed effects, :math:`\hat\tau^2` the random-intercept
    and :math:`\hat\sigma^2` the residual variance (their own uncertainty is ignored).
    Normal quantiles. R: ``predict(fit, newdata, level = 0)`` for the mean and
    ``sqrt(diag(X %*% vcov(fit) %*% t(X)))`` for its SE, with ``fit <- nlme::lme(...)``
    (case ``lme_random_intercept_rho05_prediction`` in tests/reference/r_reference.json).

    References
    ----------
    Pinheiro JC, Bates DM. Mixed-Effects Models in S and S-PLUS. Springer, 2000.
    """
    a = np.array([1.0, x0])
    mean = model.intercept + model.slope * x0
    var_mean = float(a @ np.asarray(model.cov_fixed) @ a)
    var_new = var_mean + model.sd_intercept**2 + model.sd_residual**2
    z = stats.norm.ppf(0.5 + level / 2)
    return {"x": x0, "mean": mean, "ci_low": mean - z * np.sqrt(var_mean),
            "ci_high": mean + z * np.sqrt(var_mean), "pi_low": mean - z * np.sqrt(var_new),
            "pi_high": mean + z * np.sqrt(var_new)}
