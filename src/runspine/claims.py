"""Verdicts on the popular claims (``data/claims.csv``).

A verdict is one of :data:`VERDICTS`, always with the numbers behind it. Study modules
decide their claims with the rules here so that verdicts are reproducible and pinned by
tests; a claim no data can test is kept with verdict ``untestable``.

Importing this module does not import pandas: the engine and the reader pages use the
verdicts, the claim texts and :func:`claim_rows` / :func:`article_labels` (the csv
module), so a rebuild that reuses every report starts no analysis library. The tables
for analysis (:func:`load_claims`, :func:`verdict_table`) are DataFrames.
"""

from __future__ import annotations

import csv
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runspine import bibliography, data

if TYPE_CHECKING:
    import pandas as pd

VERDICTS = ("supported", "partly supported", "not supported", "untestable")


@dataclass(frozen=True)
class Verdict:
    """A claim's verdict and the evidence for it, in plain words with numbers."""

    claim_id: str
    verdict: str
    evidence: str

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")


KINDS = ("direct", "indirect")
DIRECTIONS = ("for", "partly", "against", "neither")


@dataclass(frozen=True)
class Line:
    """One line of evidence on a claim (README, "How a verdict is reached").

    ``kind`` is "direct" (the claimed quantity, population and comparison, with numbers
    that can be checked) or "indirect" (a proxy outcome, another population or comparison,
    a statement without numbers). ``direction``: "for"; "partly" (for part of it or a
    weaker form: an interval reaching past the claimed value, "no difference" from a study
    that could only find large ones, an association for a cause); "against"; "neither".
    ``part`` names the part of a claim in several parts it bears on.
    """

    kind: str
    direction: str
    text: str
    part: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {KINDS}")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r} is not one of {DIRECTIONS}")


def _weigh_part(lines: list[Line]) -> str:
    def has(kind, direction):
        return any(x.kind == kind and x.direction == direction for x in lines)

    if has("direct", "for"):
        return "partly supported" if has("direct", "against") else "supported"
    if has("direct", "against"):
        return "not supported"  # no direct line for it: indirect support never outweighs
    if has("direct", "partly") or has("indirect", "for") or has("indirect", "partly"):
        return "partly supported"
    if has("indirect", "against"):
        return "not supported"
    return "untestable"


def weigh(lines: list[Line]) -> str:
    """The verdict the written rule gives a claim's lines of evidence.

    Per part of the claim: direct evidence for it and none against, "supported"; direct
    evidence both ways, "partly supported"; direct evidence against and none for, "not
    supported" (indirect support does not outweigh it); otherwise direct evidence for a
    part or weaker form, or indirect evidence for it, "partly supported"; only indirect
    evidence against, "not supported"; nothing, "untestable". The parts combine to
    "supported" (all supported), "not supported" (all not supported), "untestable"
    (nothing on any part), else "partly supported".
    """
    parts: dict[str, list[Line]] = {}
    for line in lines:
        parts.setdefault(line.part, []).append(line)
    verdicts = {_weigh_part(group) for group in parts.values()} or {"untestable"}
    if len(verdicts) == 1:
        return verdicts.pop()
    return "partly supported"


def lines_text(lines: list[Line]) -> str:
    """The lines of evidence in words, one sentence for a reader: "Direct evidence
    against: ...; indirect evidence partly for: ..."."""
    words = {"for": "for", "partly": "partly for", "against": "against",
             "neither": "pointing neither way"}
    text = "; ".join(f"{x.kind} evidence {words[x.direction]}: {x.text}" for x in lines)
    return text[:1].upper() + text[1:]


def percent(fraction: float) -> str:
    """A level a run was set to (a CI level, a target power) as a percentage for labels,
    exactly: 0.95 -> "95%", 0.975 -> "97.5%". A measured proportion is rounded for
    readers by :func:`runspine.numbers.percent` instead (0.975 -> "98%")."""
    return f"{100 * float(fraction):.4g}%"


def ci_label(level: float = 0.95) -> str:
    """"95% CI" written from the confidence level a notebook ran with."""
    return f"{percent(level)} CI"


def power_label(power: float = 0.8) -> str:
    """"80% power" written from the target power a notebook ran with."""
    return f"{percent(power)} power"


_CI_TEXT = re.compile(r"\b95 ?% (CI|confidence interval|prediction interval)")
_POWER_TEXT = re.compile(r"\b80 ?% power")


def relabel(text: str, values: dict) -> str:
    """Rewrite the default labels "95% CI" and "80% power" in fixed text (notebook
    metadata, templates) to the ``ci_level`` and ``target_power`` of ``values``."""
    if "ci_level" in values:
        text = _CI_TEXT.sub(lambda m: f"{percent(values['ci_level'])} {m.group(1)}", text)
    if "target_power" in values:
        text = _POWER_TEXT.sub(power_label(values["target_power"]), text)
    return text


def load_claims() -> pd.DataFrame:
    """The claims table, indexed by claim_id."""
    return data.load_table("claims").set_index("claim_id")


def claims_for(notebook: str) -> pd.DataFrame:
    """Claims that a given notebook stem is responsible for."""
    table = load_claims()
    return table[table["notebook"] == notebook]


def threshold(claim_id: str) -> float:
    """The number stated in a claim (e.g. 6.35 mm for 'a quarter inch')."""
    value = load_claims().loc[claim_id, "threshold"]
    if _missing(value):
        raise data.DataError(f"claims.csv: claim '{claim_id}' has no threshold")
    return float(value)


def exceeds(claim_id: str, estimate: float, ci_low: float, ci_high: float, limit: float,
            what: str, unit: str, level: float = 0.95) -> Verdict:
    """Verdict for a claim that a quantity is above ``limit``.

    supported: the whole CI is above the limit; partly supported: the estimate is above
    but the CI reaches below; not supported: the estimate is at or below the limit.
    """
    if ci_low > limit:
        verdict = "supported"
    elif estimate > limit:
        verdict = "partly supported"
    else:
        verdict = "not supported"
    evidence = (f"{what} {_with_unit(f'{estimate:.2f}', unit)} ({ci_label(level)} "
                f"{ci_low:.2f} to {ci_high:.2f}) vs the claimed {_with_unit(f'{limit:g}', unit)}")
    return Verdict(claim_id, verdict, evidence)


def _with_unit(number: str, unit: str) -> str:
    """A number and its unit as the pages write them: "6.40 mm", "4.88%" (no space before
    a percent sign), "0.70" (no unit)."""
    return f"{number}{unit}" if unit == "%" else f"{number} {unit}".rstrip()


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Tidy table (claim_id, verdict, evidence, claim, article) for ``tables/claims.csv``: the
    claim as the article put it (:func:`quoted`) and the article's reader label
    (:func:`article_label`), never its file name or key."""
    import pandas as pd

    table = load_claims()
    articles = load_articles()
    rows = []
    for v in verdicts:
        if v.claim_id not in table.index:
            raise data.DataError(f"claims.csv has no claim '{v.claim_id}'")
        row = table.loc[v.claim_id]
        rows.append({"claim_id": v.claim_id, "verdict": v.verdict,
                     "evidence": bibliography.cite_text(v.evidence),
                     "claim": quoted(row), "article": article_label(row["article"], articles)})
    return pd.DataFrame(rows, columns=["claim_id", "verdict", "evidence", "claim", "article"])


def absence_of_difference(claim_id: str, reported_p_bound: float, detectable: float,
                          reference: float, what: str, unit: str, power: float = 0.8
                          ) -> Verdict:
    """Verdict for a claim that two groups do not differ, given a non-significant result.

    A non-significant test supports "no difference" only as far as the study could have
    detected one: supported when the minimum detectable difference (80% power) is below
    half of ``reference`` (a typical size of the quantity itself), otherwise partly
    supported (no difference was found, but sizeable ones cannot be excluded).
    """
    verdict = "supported" if detectable < 0.5 * reference else "partly supported"
    evidence = (f"the paper reports P > {reported_p_bound:g}; the smallest {what} the design "
                f"could detect with {power_label(power)} is {_with_unit(f'{detectable:.2f}', unit)}, "
                f"against a typical value of {_with_unit(f'{reference:.2f}', unit)}")
    return Verdict(claim_id, verdict, evidence)


def load_articles() -> dict[str, str]:
    """The reader label of each article key (``data/articles.csv``)."""
    table = data.load_table("articles")
    return dict(zip(table["key"], table["label"]))


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except (OSError, ValueError, csv.Error):  # missing, not UTF-8, not CSV
        return []


def claim_rows(data_dir: Path) -> list[dict[str, str]]:
    """The rows of ``data/claims.csv`` as text (empty cells ""), read with the csv module:
    what the index and the claims page need. [] when the file is missing or unreadable
    (the data check reports that)."""
    return _read_rows(Path(data_dir) / "claims.csv")


def article_labels(data_dir: Path) -> dict[str, str]:
    """The reader label of each article key of ``data/articles.csv`` (csv module; {} when
    the file is missing or unreadable)."""
    rows = _read_rows(Path(data_dir) / "articles.csv")
    return {a.get("key", ""): a.get("label", "") for a in rows}


def _missing(value) -> bool:
    """None, a float NaN or a pandas missing value (NA, NaT): an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    pd = sys.modules.get("pandas")  # a pandas missing value exists only once pandas does
    return pd is not None and not isinstance(value, str) and pd.api.types.is_scalar(value) \
        and bool(pd.isna(value))


def _split(value, sep: str) -> list[str]:
    if _missing(value):
        return []
    return [p.strip() for p in str(value).split(sep) if p.strip()]


def article_keys(value) -> list[str]:
    """The article keys of a claim (``"A0; A2b"`` -> ``["A0", "A2b"]``)."""
    return _split(value, ";")


def _numbered(parts: list[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return " ".join(f"{i}. {p}" for i, p in enumerate(parts, start=1))


def article_label(value, labels: dict[str, str] | None = None) -> str:
    """The reader label(s) of a claim's article(s): one label, or several numbered in the
    order of the claim's quotes ("1. ... 2. ..."). A key missing from ``data/articles.csv``
    is shown as written."""
    labels = load_articles() if labels is None else labels
    return _numbered([labels.get(k, k) for k in article_keys(value)])


def quoted(row) -> str:
    """A claim as its article(s) put it: the ``words`` of ``data/claims.csv`` in quotation
    marks, numbered like :func:`article_label` when several articles make the claim (the
    same words from two articles shown once: "1 and 2. ..."); the paraphrase (``claim``)
    when no words are recorded."""
    words = _split(row.get("words"), "|")
    if not words:
        return str(row.get("claim", ""))
    if len(words) < 2:
        return f"\u201c{words[0]}\u201d"
    numbers: dict[str, list[str]] = {}  # the words -> the numbers of the articles (in order)
    for i, w in enumerate(words, start=1):
        numbers.setdefault(w, []).append(str(i))
    return " ".join(f"{' and '.join(n)}. \u201c{w}\u201d" for w, n in numbers.items())
