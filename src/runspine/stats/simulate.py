"""Individual-level data that reproduce published summary statistics exactly.

Used to fit individual-level models (e.g. mixed models) that a paper's summaries imply,
under an explicit correlation assumption. The data are one of infinitely many data sets
with the published moments: results that depend only on means and covariances are
exact, anything else (normality, outliers) is an assumption.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from runspine.stats.summary import compound_symmetry_cov


def exact_mvnormal(means: Sequence[float], cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    r"""Draw n rows whose sample mean and sample covariance (ddof = 1) equal the targets.

    Draw :math:`Z \sim N(0, I)`, centre it, whiten it with the Cholesky factor of its own
    sample covariance, then colour it with the target's:
    :math:`X = \mathbf 1 \mu^\top + Z_c L_Z^{-\top} L^\top`. Same construction as R
    ``MASS::mvrnorm(n, mu, Sigma, empirical = TRUE)`` (which uses an eigendecomposition),
    so moments agree although draws differ.

    Parameters
    ----------
    means : sequence of float, length k
    cov : (k, k) array, positive definite
    n : int, > k
    seed : int
        Seed for :func:`numpy.random.default_rng`; the same seed gives the same data.
    """
    means = np.asarray(means, dtype=float)
    k = means.size
    if n <= k:
        raise ValueError(f"need n > k to match a {k}x{k} covariance exactly (n={n})")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, k))
    z -= z.mean(axis=0)
    lz = np.linalg.cholesky(np.cov(z, rowvar=False))
    white = np.linalg.solve(lz, z.T).T
    return means + white @ np.linalg.cholesky(cov).T


def repeated_measures_frame(conditions: Sequence, means: Sequence[float],
                            sds: Sequence[float], n: int, rho: float, seed: int,
                            value_name: str = "y", condition_name: str = "condition"
                            ) -> pd.DataFrame:
    """Long data frame (subject, condition, value) with exact means, SDs and correlation.

    Each subject has one value per condition; the sample covariance equals
    :func:`runspine.stats.summary.compound_symmetry_cov` (``sds``, ``rho``).
    """
    wide = exact_mvnormal(means, compound_symmetry_cov(sds, rho), n, seed)
    frame = pd.DataFrame(wide, columns=list(conditions))
    frame.insert(0, "subject", np.arange(1, n + 1))
    return frame.melt(id_vars="subject", var_name=condition_name, value_name=value_name)
