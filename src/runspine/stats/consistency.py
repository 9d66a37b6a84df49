r"""Consistency checks of printed summary statistics: can the numbers on the page all be
true at once?

Every check takes values *as printed* (with the number of decimals they were printed
with) and asks whether some set of true values that round to them satisfies an exact
arithmetic relation. A failed check proves that at least one printed number (or the
sample size it is read with) is wrong; a passed check proves nothing beyond "possible".

- :func:`grim`, :func:`grim_sizes`: a mean of integer-valued data (Brown & Heathers 2017);
- :func:`grimmer`: the SD of integer-valued data given its mean (Anaya 2016);
- :func:`percent_counts`: a percentage with its denominator (GRIM for proportions);
- :func:`p_from_statistic`, :func:`statcheck`: P recomputed from t, F, r, chi-square or z
  with statcheck's decision rules (Nuijten et al. 2016; R package statcheck 1.4);
- :func:`p_from_ci`: P recomputed from an estimate and its CI, for a difference (natural
  scale) or a ratio (log scale) (Altman & Bland 2011);
- :func:`ci_symmetry`, :func:`estimate_inside`: whether an interval is symmetric on the
  natural or the log scale and contains its estimate;
- :func:`max_sd`, :func:`two_sample_p`: whether a spread read as an SD is possible on a
  bounded scale, and which reading (SD or SE) reproduces a printed P;
- :func:`subgroups_sum`: whether subgroup sizes add up to a total.

Printed numbers are read with :func:`decimals_of` (``"0.70"`` has 2 decimals): pass
strings where trailing zeros matter. Rounding is taken as "to nearest, ties either way"
(an interval closed at both ends), so a value is never flagged because of the rounding
rule the authors happened to use.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from scipy import stats

# relative tolerance for floating-point comparisons of exact quantities
_EPS = 1e-9


def decimals_of(printed: str | float) -> int:
    """Number of decimals a value was printed with (``"0.70"`` -> 2, ``"48"`` -> 0,
    ``".03"`` -> 2). A float loses trailing zeros: pass the printed string when they
    matter."""
    text = str(printed).strip().lstrip("<>=≤≥ ").lower()
    if "e" in text:
        mant, _, exp = text.partition("e")
        return max(decimals_of(mant) - int(exp), 0)
    return len(text.partition(".")[2]) if "." in text else 0


def rounding_interval(printed: float, decimals: int) -> tuple[float, float]:
    r"""The closed interval of true values that round to ``printed`` at ``decimals``:
    :math:`[x - \tfrac12 10^{-d},\ x + \tfrac12 10^{-d}]` (ties either way).

    References
    ----------
    Brown NJL, Heathers JAJ. The GRIM test. Soc Psychol Personal Sci 2017;8:363-369 (a
    printed mean stands for every value that rounds to it).
    """
    half = 0.5 * 10.0 ** (-decimals)
    return printed - half, printed + half


def _multiples_in(lo: float, hi: float, step: float) -> range:
    """The integers k with ``k * step`` in [lo, hi] (with a tolerance for binary
    fractions)."""
    tol = _EPS * max(1.0, abs(lo), abs(hi)) / step
    return range(math.ceil(lo / step - tol), math.floor(hi / step + tol) + 1)


# ---------------------------------------------------------------------------- GRIM ---

@dataclass(frozen=True)
class Grim:
    """Result of :func:`grim`."""

    consistent: bool
    testable: bool
    mean: float
    n: int
    decimals: int
    step: float              # the granularity of a mean: granularity / (n * items)
    sums: tuple[int, ...]    # totals (in units of the step) that round to the mean
    nearest: tuple[float, float]  # the closest possible means below and above

    def to_dict(self) -> dict:
        return asdict(self)


def grim(mean: float, n: int, decimals: int, items: int = 1,
         granularity: float = 1.0) -> Grim:
    r"""GRIM: is a printed mean possible for ``n`` values on a scale of whole units?

    Each person's score is a multiple of ``granularity / items`` (``items`` integer items
    averaged; ``granularity`` 1 for whole numbers, 2 for an Oswestry index in % from ten
    0-5 items, 100 for a percentage of yes/no answers). The mean of ``n`` such scores is a
    multiple of the step :math:`g = \text{granularity}/(n \cdot \text{items})`, so the
    printed mean :math:`\bar x` (``decimals`` places) is possible only if some integer
    :math:`k` has

    .. math:: \bar x - \tfrac12 10^{-d} \le k\,g \le \bar x + \tfrac12 10^{-d}.

    The test can fail only when :math:`g > 10^{-d}` (``testable``); otherwise every
    printed mean is possible. Ties are accepted rounded either way.

    Parameters
    ----------
    mean : float
        The printed mean.
    n : int
        The number of people (values) the mean is over.
    decimals : int
        Decimals the mean was printed with.
    items : int
        Integer items averaged into each person's score.
    granularity : float
        The unit of one item's score.

    Returns
    -------
    Grim
        ``consistent`` and the possible means nearest the printed one.

    References
    ----------
    Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects numerous anomalies
    in the reporting of results in psychology. Soc Psychol Personal Sci 2017;8:363-369.
    doi:10.1177/1948550616673876
    """
    if n < 1 or items < 1 or granularity <= 0:
        raise ValueError(f"grim needs n >= 1, items >= 1, granularity > 0 "
                         f"(got n={n}, items={items}, granularity={granularity})")
    step = granularity / (n * items)
    lo, hi = rounding_interval(mean, decimals)
    sums = tuple(_multiples_in(lo, hi, step))
    if sums:  # the possible totals themselves
        below, above = sums[0], sums[-1]
    else:  # the possible means on either side of the printed one
        below = math.floor(mean / step)
        above = below + 1
    return Grim(bool(sums), step > 10.0 ** (-decimals) * (1 + _EPS), mean, n, decimals,
                step, sums, (round(below * step, 10), round(above * step, 10)))


def grim_sizes(mean: float, decimals: int, sizes: Sequence[int], items: int = 1,
               granularity: float = 1.0) -> list[int]:
    """The sample sizes in ``sizes`` for which :func:`grim` finds ``mean`` possible
    (which n can a printed mean come from?)."""
    return [n for n in sizes if grim(mean, n, decimals, items, granularity).consistent]


def percent_counts(percent: float, n: int, decimals: int) -> list[int]:
    r"""The counts :math:`c \in \{0..n\}` whose percentage :math:`100c/n` rounds to the
    printed ``percent`` (GRIM for a proportion: granularity 100). Empty when no count of
    ``n`` gives the printed percentage.

    References
    ----------
    Brown & Heathers 2017 (see :func:`grim`), section "GRIM for percentages".
    """
    res = grim(percent, n, decimals, granularity=100.0)
    return [c for c in res.sums if 0 <= c <= n]


# ------------------------------------------------------------------------- GRIMMER ---

@dataclass(frozen=True)
class Grimmer:
    """Result of :func:`grimmer`."""

    consistent: bool
    grim_consistent: bool
    reason: str
    sums_of_squares: tuple[int, ...]  # possible sums of squares (in units of the scale)

    def to_dict(self) -> dict:
        return asdict(self)


def _min_sum_of_squares(total: int, n: int) -> int:
    """The smallest sum of squares of n integers adding to ``total`` (as equal as
    possible: q or q + 1 each)."""
    q, r = divmod(total, n)
    return (n - r) * q * q + r * (q + 1) * (q + 1)


def grimmer(mean: float, sd: float, n: int, decimals_mean: int,
            decimals_sd: int | None = None, granularity: float = 1.0) -> Grimmer:
    r"""GRIMMER: is a printed SD possible for ``n`` whole-unit values with the printed mean?

    On the scale :math:`y = x / \text{granularity}` every value is an integer, so both the
    total :math:`K = \sum y_i` and the sum of squares :math:`Q = \sum y_i^2` are integers,
    and :math:`Q \equiv K \pmod 2` (since :math:`y^2 \equiv y`). For each total :math:`K`
    that passes GRIM, the printed SD (``decimals_sd`` places, ties either way) allows

    .. math:: Q \in \Big[(n-1)\,s_{lo}^2 + \tfrac{K^2}{n},\ (n-1)\,s_{hi}^2 +
              \tfrac{K^2}{n}\Big],

    and the SD is possible only if that range holds an integer :math:`Q` of the parity of
    :math:`K` that is at least the smallest sum of squares of :math:`n` integers adding to
    :math:`K`. This is a necessary condition (Anaya 2016; Allard 2018's analytic form): a
    failed check proves the triple impossible, a passed one does not prove a data set
    exists (for very small n, or near the ends of a bounded scale, it may not; see
    :func:`max_sd` for the bound).

    Parameters
    ----------
    mean, sd : float
        Printed mean and SD.
    n : int
        Number of values.
    decimals_mean, decimals_sd : int
        Decimals printed (``decimals_sd`` defaults to ``decimals_mean``).
    granularity : float
        The unit of a value (1 whole numbers; 0.25 for a mean of four integer items).

    References
    ----------
    Anaya J. The GRIMMER test: a method for testing the validity of reported measures of
    variability. PeerJ Preprints 2016;4:e2400v1. Allard A. Analytic-GRIMMER: a new way of
    testing the possibility of standard deviations. 2018 (blog post, method used by the
    R package scrutiny).
    """
    if n < 2:
        raise ValueError(f"grimmer needs n >= 2 (got {n})")
    decimals_sd = decimals_mean if decimals_sd is None else decimals_sd
    g = grim(mean, n, decimals_mean, granularity=granularity)
    if not g.consistent:
        return Grimmer(False, False, "the mean fails GRIM", ())
    s_lo, s_hi = rounding_interval(sd, decimals_sd)
    s_lo, s_hi = max(s_lo, 0.0) / granularity, s_hi / granularity
    found: list[int] = []
    too_small = False
    for k in g.sums:
        base = k * k / n
        q_lo, q_hi = (n - 1) * s_lo ** 2 + base, (n - 1) * s_hi ** 2 + base
        tol = _EPS * max(1.0, q_hi)
        q_min = _min_sum_of_squares(k, n)
        candidates = [q for q in range(math.ceil(q_lo - tol), math.floor(q_hi + tol) + 1)
                      if (q - k) % 2 == 0]
        if candidates and all(q < q_min for q in candidates):
            too_small = True
        found += [q for q in candidates if q >= q_min]
    if found:
        return Grimmer(True, True, "possible", tuple(sorted(set(found))))
    reason = ("the SD is smaller than any set of whole-unit values with this mean allows"
              if too_small else "no whole-number sum of squares gives this SD with this "
              "mean (GRIMMER)")
    return Grimmer(False, True, reason, ())


# ----------------------------------------------------------------------- statcheck ---

TESTS = ("t", "F", "r", "chi2", "z")


def p_from_statistic(test: str, value: float, df1: float | None = None,
                     df2: float | None = None, two_tailed: bool = True) -> float:
    r"""The P value of a printed test statistic, as statcheck computes it.

    .. math:: t: 2\,T_{df}(-|t|); \quad F: 1 - F_{df_1, df_2}(F); \quad
              r: t = r\sqrt{df/(1-r^2)},\ 2\,T_{df}(-|t|); \quad
              \chi^2: 1 - \chi^2_{df}(x); \quad z: 2\,\Phi(-|z|)

    One-tailed halves t, r and z (F and chi-square are one-sided by construction).
    ``df2`` is the df of t and r (statcheck's convention), ``df1`` that of chi-square;
    F needs both. R: ``statcheck:::compute_p(test_type, test_stat, df1, df2,
    two_tailed)``.

    References
    ----------
    Nuijten MB, Hartgerink CHJ, van Assen MALM, Epskamp S, Wicherts JM. The prevalence of
    statistical reporting errors in psychology (1985-2013). Behav Res Methods
    2016;48:1205-1226. doi:10.3758/s13428-015-0664-2
    """
    if test == "t":
        p = stats.t.cdf(-abs(value), df2)
    elif test == "F":
        p = stats.f.sf(value, df1, df2)
    elif test == "r":
        t = value / math.sqrt((1 - value ** 2) / df2)
        p = stats.t.cdf(-abs(t), df2)
    elif test == "chi2":
        p = stats.chi2.sf(value, df1)
    elif test == "z":
        p = stats.norm.sf(abs(value))
    else:
        raise ValueError(f"unknown test {test!r} (one of {', '.join(TESTS)})")
    if test in ("t", "r", "z") and two_tailed:
        p *= 2
    return float(p)


def _round_r(x: float, digits: int) -> float:
    """R's round(): the closest of the two candidates at ``digits`` (half to even on an
    exact tie), which is what statcheck compares."""
    return float(round(x, digits))


def _statcheck_error(reported_p, test, value, df1, df2, p_comparison, test_comparison,
                     p_dec, test_dec, two_tailed, alpha, p_zero_error):
    """statcheck's ``error_test`` (1.4.0), branch by branch."""
    if p_comparison == "ns":
        reported_p, p_comparison = alpha, ">"
    half = 0.5 / 10 ** test_dec
    low_stat, up_stat = (value - half, value + half) if value >= 0 else (value + half,
                                                                        value - half)
    up_p = p_from_statistic(test, low_stat, df1, df2, two_tailed)
    low_p = p_from_statistic(test, up_stat, df1, df2, two_tailed)
    if p_zero_error and reported_p <= 0:
        return True, low_p, up_p
    rules = {
        ("=", "="): lambda: reported_p > _round_r(up_p, p_dec)
        or reported_p < _round_r(low_p, p_dec),
        ("=", "<"): lambda: reported_p < low_p,
        ("=", ">"): lambda: reported_p > up_p,
        ("<", "="): lambda: reported_p < _round_r(up_p, p_dec),
        ("<", "<"): lambda: reported_p < up_p,
        ("<", ">"): lambda: False,
        (">", "="): lambda: reported_p > _round_r(low_p, p_dec),
        (">", "<"): lambda: False,
        (">", ">"): lambda: reported_p > low_p,
    }
    return bool(rules[(test_comparison, p_comparison)]()), low_p, up_p


def _decision_error(reported_p, computed_p, test_comparison, p_comparison, alpha,
                    p_equal_alpha_sig):
    """statcheck's ``decision_error_test`` (1.4.0)."""
    if p_comparison == "ns":
        reported_p, p_comparison = alpha, ">"
    r, c, a = reported_p, computed_p, alpha
    if p_equal_alpha_sig:
        rules = {("=", "="): (r <= a and c > a) or (r > a and c <= a),
                 ("=", "<"): r <= a and c > a, ("=", ">"): r >= a and c <= a,
                 ("<", "="): r <= a and c >= a, ("<", "<"): r <= a and c >= a,
                 ("<", ">"): False, (">", "="): r > a and c <= a, (">", "<"): False,
                 (">", ">"): r >= a and c <= a}
    else:
        rules = {("=", "="): (r < a and c >= a) or (r >= a and c < a),
                 ("=", "<"): r <= a and c >= a, ("=", ">"): r >= a and c < a,
                 ("<", "="): r < a and c >= a, ("<", "<"): r <= a and c >= a,
                 ("<", ">"): False, (">", "="): r >= a and c <= a, (">", "<"): False,
                 (">", ">"): r >= a and c <= a}
    return bool(rules[(test_comparison, p_comparison)])


@dataclass(frozen=True)
class Statcheck:
    """Result of :func:`statcheck` (the columns of R ``statcheck()``)."""

    computed_p: float
    p_low: float        # P at the printed statistic's rounding end farthest from 0
    p_high: float       # P at the end nearest 0
    error: bool         # the printed P is inconsistent with the printed statistic
    decision_error: bool  # ... and on the other side of alpha
    one_tailed: bool    # the one-tailed reading was used (only if the text says so)

    def to_dict(self) -> dict:
        return asdict(self)


def statcheck(test: str, value: str | float, reported_p: str | float,
              df1: float | None = None, df2: float | None = None,
              p_comparison: str = "=", test_comparison: str = "=",
              one_tailed_in_text: bool = False, alpha: float = 0.05,
              p_equal_alpha_sig: bool = True, p_zero_error: bool = True) -> Statcheck:
    r"""Is a printed P consistent with its printed test statistic? statcheck's rules.

    The statistic printed with :math:`d` decimals may be anywhere in
    :math:`[|x| - \tfrac12 10^{-d}, |x| + \tfrac12 10^{-d}]`; P is computed at both ends
    (:func:`p_from_statistic`), giving :math:`[p_{lo}, p_{hi}]`. Then, for a printed
    ``p = v`` (with :math:`d_p` decimals): error if :math:`v > \text{round}(p_{hi}, d_p)` or
    :math:`v < \text{round}(p_{lo}, d_p)`; ``p < v``: error if :math:`v < p_{lo}`;
    ``p > v``: error if :math:`v > p_{hi}`; ``ns`` is read as ``p > alpha``. A printed
    statistic with ``<`` or ``>`` uses the one-sided versions. A decision error is an
    error on the other side of alpha (``p_equal_alpha_sig``: ``p = .05`` counts as
    significant, statcheck's default). When ``one_tailed_in_text`` (the text says
    "one-sided", "one-tailed" or "directional") and the two-tailed reading is an error,
    the one-tailed P is tried and kept if it removes the error. A printed P of 0 is an
    error (``p_zero_error``).

    Parameters
    ----------
    test : {"t", "F", "r", "chi2", "z"}
    value, reported_p : str or float
        As printed: strings keep the number of decimals (``"2.20"``, ``".03"``).
    df1, df2 : float
        Degrees of freedom (t and r: ``df2``; chi-square: ``df1``; F: both).
    p_comparison, test_comparison : {"=", "<", ">", "ns"}
        The relation printed before P (``"ns"`` for "ns") and before the statistic.

    References
    ----------
    Nuijten MB et al. Behav Res Methods 2016;48:1205-1226 (see :func:`p_from_statistic`);
    Epskamp S, Nuijten MB. statcheck: extract statistics from articles and recompute p
    values, R package 1.4.0 (functions ``error_test``, ``decision_error_test``,
    ``process_stats``).
    """
    test_dec, p_dec = decimals_of(value), decimals_of(reported_p)
    x = float(str(value).lstrip("<>= "))
    p_printed = float(str(reported_p).lstrip("<>= ")) if p_comparison != "ns" else alpha
    two = True
    computed = p_from_statistic(test, x, df1, df2, two_tailed=True)
    error, lo, hi = _statcheck_error(p_printed, test, x, df1, df2, p_comparison,
                                     test_comparison, p_dec, test_dec, True, alpha,
                                     p_zero_error)
    dec = error and _decision_error(p_printed, computed, test_comparison, p_comparison,
                                    alpha, p_equal_alpha_sig)
    if one_tailed_in_text and error:
        computed1 = p_from_statistic(test, x, df1, df2, two_tailed=False)
        error1, lo1, hi1 = _statcheck_error(p_printed, test, x, df1, df2, p_comparison,
                                            test_comparison, p_dec, test_dec, False, alpha,
                                            p_zero_error)
        if error1 != error:
            dec1 = error1 and _decision_error(p_printed, computed1, test_comparison,
                                              p_comparison, alpha, p_equal_alpha_sig)
            computed, error, dec, lo, hi, two = computed1, error1, dec1, lo1, hi1, False
    return Statcheck(computed, lo, hi, bool(error), bool(dec), not two)


# --------------------------------------------------------------- intervals and P ---

@dataclass(frozen=True)
class CIP:
    """Result of :func:`p_from_ci`."""

    se: float
    z: float
    p: float
    p_min: float   # over every estimate and limits that round to the printed ones
    p_max: float

    def to_dict(self) -> dict:
        return asdict(self)


def p_from_ci(estimate: float, ci_low: float, ci_high: float, decimals: int,
              ratio: bool = False, level: float = 0.95) -> CIP:
    r"""P implied by an estimate and its CI (normal approximation; Altman & Bland 2011).

    For a difference: :math:`SE = (U - L) / (2 z_{(1+\text{level})/2})`,
    :math:`z = \hat\theta / SE`. For a ratio (RR, OR, HR), the same on the log scale:
    :math:`SE = (\log U - \log L) / (2 z)`, :math:`z = \log\hat\theta / SE`. Then
    :math:`p = 2\Phi(-|z|)`. ``p_min`` / ``p_max`` bound P over every estimate and limit
    within half a unit of the last printed digit (``decimals``); |z| is monotone in each,
    so the corners of that box give the bounds. A CI that is not symmetric on the scale
    used (:func:`ci_symmetry`) gives different P from its two halves: check that first.
    R: ``2 * pnorm(-abs(log(est) / ((log(U) - log(L)) / (2 * qnorm(0.975)))))``.

    References
    ----------
    Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ
    2011;343:d2304.
    """
    q = stats.norm.ppf((1 + level) / 2)
    f = math.log if ratio else (lambda v: v)

    def p_of(e, lo, hi):
        if ratio and min(e, lo, hi) <= 0:
            return None
        if hi <= lo:
            return 0.0 if f(e) != 0 else 1.0
        se_ = (f(hi) - f(lo)) / (2 * q)
        return float(2 * stats.norm.sf(abs(f(e)) / se_))

    se = (f(ci_high) - f(ci_low)) / (2 * q)
    z = f(estimate) / se
    half = 0.5 * 10.0 ** (-decimals)
    corners = [p_of(e, lo, hi) for e, lo, hi in itertools.product(
        (estimate - half, estimate + half), (ci_low - half, ci_low + half),
        (ci_high - half, ci_high + half))]
    corners = [c for c in corners if c is not None]
    p = float(2 * stats.norm.sf(abs(z)))
    # the estimate's rounding box may straddle the null: then P reaches 1
    null = 1.0 if ratio else 0.0
    p_max = 1.0 if estimate - half <= null <= estimate + half else max(corners)
    return CIP(float(se), float(z), p, float(min(corners)), float(p_max))


def p_from_ci_halves(estimate: float, ci_low: float, ci_high: float,
                     level: float = 0.95) -> tuple[float, float]:
    r"""P from each half of a (natural-scale) interval taken alone:
    :math:`SE_{lower} = (\hat\theta - L)/z`, :math:`SE_{upper} = (U - \hat\theta)/z`,
    :math:`p = 2\Phi(-|\hat\theta| / SE)`. Equal for a symmetric interval; when they
    differ, which printed number is off decides which P is right (see :func:`p_from_ci`).
    R: ``2 * pnorm(-abs(e) / ((e - l) / qnorm(0.975)))`` and the same with ``u - e``.

    References
    ----------
    Altman DG, Bland JM. How to obtain the P value from a confidence interval. BMJ
    2011;343:d2304.
    """
    q = stats.norm.ppf((1 + level) / 2)
    return tuple(float(2 * stats.norm.sf(abs(estimate) / (w / q)))
                 for w in (estimate - ci_low, ci_high - estimate))


@dataclass(frozen=True)
class Symmetry:
    """Result of :func:`ci_symmetry`: the asymmetry (upper half-width minus lower) on
    each scale, as printed and its range over rounding."""

    natural: float
    natural_range: tuple[float, float]
    log: float | None
    log_range: tuple[float, float] | None

    @property
    def symmetric_natural(self) -> bool:
        return self.natural_range[0] <= 0 <= self.natural_range[1]

    @property
    def symmetric_log(self) -> bool:
        return self.log_range is not None and self.log_range[0] <= 0 <= self.log_range[1]

    def to_dict(self) -> dict:
        return asdict(self) | {"symmetric_natural": self.symmetric_natural,
                               "symmetric_log": self.symmetric_log}


def ci_symmetry(estimate: float, ci_low: float, ci_high: float, decimals: int) -> Symmetry:
    r"""How far a printed CI is from symmetric about its estimate, on the natural and the
    log scale.

    .. math:: a = (U - \hat\theta) - (\hat\theta - L) = U + L - 2\hat\theta, \qquad
              a_{\log} = \log U + \log L - 2 \log\hat\theta

    A Wald interval for a difference (estimate :math:`\pm\, z\,SE`) has :math:`a = 0`; one
    for a ratio has :math:`a_{\log} = 0`. Each printed value may be off by half a unit of
    its last digit (``decimals``), so :math:`a` may be anywhere in :math:`a \pm 2 \cdot
    10^{-d}`, and :math:`a_{\log}` in the range its corners give. A CI symmetric on
    neither scale was not built as estimate :math:`\pm` multiple of an SE (or was
    transcribed wrongly); an SE taken from its width then gives a P that disagrees with one
    of its halves. The log scale is left out (None) for a non-positive value.

    References
    ----------
    Altman DG, Bland JM. BMJ 2011;343:d2090 (How to obtain the confidence interval from a
    P value); Cochrane Handbook for Systematic Reviews of Interventions, section 6.5.2.
    """
    half = 0.5 * 10.0 ** (-decimals)
    a = ci_high + ci_low - 2 * estimate
    nat = (a - 4 * half, a + 4 * half)
    if min(estimate, ci_low, ci_high) - half <= 0:
        return Symmetry(float(a), nat, None, None)
    a_log = math.log(ci_high) + math.log(ci_low) - 2 * math.log(estimate)
    corners = [math.log(u) + math.log(lo) - 2 * math.log(e) for e, lo, u in itertools.product(
        (estimate - half, estimate + half), (ci_low - half, ci_low + half),
        (ci_high - half, ci_high + half))]
    return Symmetry(float(a), nat, float(a_log), (float(min(corners)), float(max(corners))))


def estimate_inside(estimate: float, ci_low: float, ci_high: float) -> bool:
    """Whether the printed estimate lies within its printed interval (limits included)
    and the limits are in order."""
    return ci_low <= estimate <= ci_high


def max_sd(mean: float, n: int, lower: float, upper: float) -> float:
    r"""The largest SD (n - 1 denominator) ``n`` values in [lower, upper] with this mean
    can have (Bhatia-Davis bound with the sample correction):

    .. math:: s_{max} = \sqrt{\frac{n}{n-1}\,(\bar x - a)(b - \bar x)}

    A printed "SD" above it is impossible on that scale: often a sign that the number is
    something else (a range, a variance), or that the mean is on another scale. A printed
    "SD" far below what the P or CI imply, on the other hand, may be an SE
    (:func:`two_sample_p`).

    References
    ----------
    Bhatia R, Davis C. A better bound on the variance. Am Math Mon 2000;107:353-357.
    """
    if not lower <= mean <= upper:
        return float("nan")
    return math.sqrt(n / (n - 1) * (mean - lower) * (upper - mean))


def two_sample_p(mean1: float, spread1: float, n1: int, mean2: float, spread2: float,
                 n2: int, spread: str = "sd", equal_var: bool = True) -> float:
    r"""Two-sample t-test P from printed means and spreads read as SDs (``"sd"``) or as
    SEs (``"se"``, turned into SDs by :math:`s = SE\sqrt{n}`). Student's pooled t by
    default (Welch with ``equal_var=False``). Comparing both readings with a printed P
    tells which one the paper used (SD vs SE confusion). R: ``t.test`` on summary data,
    :math:`t = (\bar x_1 - \bar x_2) / (s_p\sqrt{1/n_1 + 1/n_2})`, ``2 * pt(-abs(t),
    n1 + n2 - 2)``.

    References
    ----------
    Altman DG, Bland JM. Standard deviations and standard errors. BMJ 2005;331:903.
    """
    if spread not in ("sd", "se"):
        raise ValueError(f"spread must be 'sd' or 'se' (got {spread!r})")
    s1, s2 = ((spread1, spread2) if spread == "sd"
              else (spread1 * math.sqrt(n1), spread2 * math.sqrt(n2)))
    return float(stats.ttest_ind_from_stats(mean1, s1, n1, mean2, s2, n2,
                                            equal_var=equal_var).pvalue)


def two_sample_p_range(mean1: float, sd1: float, n1: int, mean2: float, sd2: float,
                       n2: int, decimals: int, equal_var: bool = True
                       ) -> tuple[float, float]:
    r"""Smallest and largest two-sample t-test P over every pair of means and SDs that
    round to the printed ones (``decimals``). P falls with :math:`|\bar x_1 - \bar x_2|`
    and rises with each SD, so the extremes are at the corners of the rounding box."""
    half = 0.5 * 10.0 ** (-decimals)
    diff = abs(mean1 - mean2)
    d_lo, d_hi = max(diff - 2 * half, 0.0), diff + 2 * half
    p_lo = stats.ttest_ind_from_stats(d_hi, max(sd1 - half, 1e-12), n1, 0.0,
                                      max(sd2 - half, 1e-12), n2, equal_var=equal_var).pvalue
    p_hi = stats.ttest_ind_from_stats(d_lo, sd1 + half, n1, 0.0, sd2 + half, n2,
                                      equal_var=equal_var).pvalue
    return float(p_lo), float(p_hi)


def subgroups_sum(parts: Sequence[float], total: float) -> float:
    """The printed total minus the sum of its printed parts (0 when they add up)."""
    return float(total - sum(parts))
