"""Statistics: pure functions by statistical family, computed from published summary data.

- :mod:`~runspine.stats.summary`    paired and repeated-measures tests from means and SDs
- :mod:`~runspine.stats.groups`     two-group comparisons (t, Welch, SMD) from summary data
- :mod:`~runspine.stats.prevalence` proportions, their intervals and differences
- :mod:`~runspine.stats.meta`       meta-analysis (effect sizes, random-effects pools)
- :mod:`~runspine.stats.power`      power and minimum detectable effects
- :mod:`~runspine.stats.simulate`   individual-level data with exact published moments
- :mod:`~runspine.stats.models`     mixed models on simulated data
- :mod:`~runspine.stats.counts`     two-group counts: 2x2 chi-square, risk ratios, granularity
- :mod:`~runspine.stats.curves`     decay curves through summary time points
- :mod:`~runspine.stats.consistency` can printed numbers all be true? GRIM, GRIMMER, statcheck
  rules, P from a CI, interval symmetry

Imports: numpy, scipy, statsmodels, pandas only; never another runspine layer (no data
loading, no studies, notebooks, build or site). Every function documents its formula and a
reference, and is tested against R or the published paper.
"""
