"""Numbers as people read them (the reader pages and the notebooks' tables).

Three significant figures, thousands separated, never scientific notation: a P value
below 0.001 reads "P < 0.001", any other tiny or huge number is written out. A
proportion reads as a percentage ("23%"). :func:`plain_numbers` is the last pass over
a page's text, so a value that reached a page in scientific notation (an evidence
sentence, a table cell) is written out there too.
"""

from __future__ import annotations

import math
import re


def _decimal(x: float, sig: int = 3) -> str:
    """``x`` to ``sig`` significant figures, written out (no exponent)."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    digits = sig - 1 - math.floor(math.log10(abs(x)))
    if digits <= 0:
        return f"{round(x, digits):,.0f}"
    return f"{x:.{digits}f}"


def fmt_number(x, sig: int = 3) -> str:
    """A number as a reader reads it: ``sig`` significant figures (whole numbers of 100
    or more as they are), thousands separated, no exponent; lists as "a to b"; booleans
    as yes/no; None as "not reported"."""
    if isinstance(x, list):
        return " to ".join(fmt_number(v, sig) for v in x)
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if not math.isfinite(x):
            return "not available"
        if (x.is_integer() and abs(x) >= 100) or abs(x) >= 1000:
            return f"{x:,.0f}"
        return _decimal(x, sig)
    return "not reported" if x is None else str(x)


def percent(x, sig: int = 3) -> str:
    """A proportion as a percentage: 0.2257 -> "22.6%" (whole numbers from 10% up
    to 2 figures: 0.23 -> "23%")."""
    if x is None:
        return "not reported"
    value = float(x) * 100
    text = _decimal(value, 2 if abs(value) >= 10 else sig)
    return f"{text}%"


def in_100(x) -> str:
    """A proportion as "23 in 100"."""
    return f"{round(float(x) * 100):d} in 100"


_SCI = re.compile(r"(?P<p>\b[Pp]\s*(?P<rel>[=<>≤]|&lt;|&gt;)?\s*)?"
                  r"(?P<num>(?<![\w.])-?\d+(?:\.\d+)?)[eE](?P<exp>[+-]?\d+)\b")


def plain_numbers(text: str, html: bool = False) -> str:
    """``text`` with every number in scientific notation written out: after "P =" or
    "P <", a value below 0.001 becomes "P < 0.001"; any other keeps three significant
    figures ("1.7e-07" -> "0.000000170"). ``html``: ``text`` is HTML text (a "<" is
    written as ``&lt;``)."""

    def repl(m: re.Match) -> str:
        value = float(f"{m.group('num')}e{m.group('exp')}")
        if m.group("p") is not None:
            if abs(value) < 0.001:
                return "P &lt; 0.001" if html else "P < 0.001"
            return m.group("p") + _decimal(value, 2)
        return fmt_number(value)

    return _SCI.sub(repl, text)


def fmt_group(values, sig: int = 3) -> list[str]:
    """Numbers read together (an estimate and its interval) with the same decimals: as
    many as ``sig`` significant figures of the largest needs, fewer when every one of them
    ends in zeros (4.2, 1.1, 7.3 stay "4.2", "1.1", "7.3"; 0.144, 0.0816, 0.206 read
    "0.144", "0.082", "0.206"; 0.0605, -0.0116, 0.1326 read "0.060", "-0.012", "0.133":
    an estimate near zero does not lend its decimals to the whole interval). None reads
    "not reported"."""
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v)]
    if not nums:
        return [fmt_number(v, sig) for v in values]
    lead = max(abs(v) for v in nums)
    decimals = 0 if lead == 0 else max(0, sig - 1 - math.floor(math.log10(lead)))
    while decimals > 0 and all(round(v, decimals) == round(v, decimals - 1) for v in nums):
        decimals -= 1
    out = []
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out.append(f"{v:,.{decimals}f}")
        else:
            out.append(fmt_number(v, sig))
    return out
