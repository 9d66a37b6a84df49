"""What a study report says first and last: findings, appendix, references, numbering.

A study report opens with a "What we found" block built from what its own notebook
recorded: the question (the notebook's ``**Question.**`` paragraph), the answer (the
``headline_text`` of its metadata filled from ``results.json``, labelled with the
confidence level it ran with) and the verdicts of ``tables/claims.csv``, each linking to
the section that decides it. It ends with an appendix (the recorded results, rounded; the
notebook's own "Results recorded for the index" section moves there) and the reference
list of the works the report cites (:mod:`runspine.site.references`). Figures and tables
are numbered in reading order.
"""

from __future__ import annotations

import copy
import csv
import json
import re
from pathlib import Path

from runspine.claims import ci_label, relabel
from runspine.notebook_file import StudyNotebook
from runspine.numbers import fmt_group
from runspine.site.references import cited_keys, references_html
from runspine.text import esc

_QUESTION = re.compile(r"\*\*Question\.\*\*\s*(.+?)(?:\n\s*\n|$)", re.DOTALL)
_RESULTS_HEADING = re.compile(r"^#{1,6}\s*(?:\d+\.\s*)?Results recorded", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)


def read_results(output_dir: Path | None) -> dict:
    """``results.json`` of a run, or {} (nothing recorded, or no directory given)."""
    if output_dir is None:
        return {}
    try:
        return json.loads((Path(output_dir) / "results.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def read_verdicts(output_dir: Path | None) -> list[dict]:
    """Rows of ``tables/claims.csv`` of a run (claim_id, verdict, evidence, claim, ...)."""
    if output_dir is None:
        return []
    try:
        with open(Path(output_dir) / "tables" / "claims.csv", newline="",
                  encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        return []


def _filled(text: str, entry: dict, values: dict | None, sig: int = 3) -> str:
    """A headline template filled from one results.json entry: the estimate and its
    interval with the same decimals, a proportion as a percentage; ``{name}`` of a
    parameter reads the value the run used."""
    unit = entry.get("unit", "") or ""
    nums = [entry.get("value"), entry.get("ci_low"), entry.get("ci_high")]
    if unit == "proportion":
        nums = [v * 100 if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                for v in nums]
    value, low, high = fmt_group(nums, sig)
    if unit == "proportion":
        value, low, high = (f"{v}%" if v[:1].isdigit() or v[:1] == "-" else v
                            for v in (value, low, high))
        unit = ""
    fields = _Fields({name: _parameter_text(v) for name, v in (values or {}).items()})
    fields.update(value=value, ci_low=low, ci_high=high, unit=unit)
    return relabel(" ".join(text.format_map(fields).split()), values or {})


class _Fields(dict):
    """A template's fields; a parameter the run did not record reads "(not recorded)"."""

    def __missing__(self, key):
        return "(not recorded)"


def _parameter_text(value) -> str:
    """A parameter's value as a reader reads it in a sentence: 10, 0.8, 4,000, reml."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:,g}" if isinstance(value, float) else f"{value:,}"
    if isinstance(value, list):
        return ", ".join(_parameter_text(v) for v in value)
    return str(value)


def headline(meta: dict, results: dict, values: dict | None = None) -> str:
    """The study's key finding in numbers (metadata ``headline_text`` filled from
    ``results.json``), its interval labelled with the level the notebook ran with."""
    key = meta.get("headline")
    entry = results.get(key) if key else None
    if not isinstance(entry, dict) or not entry:
        return ""
    text = meta.get("headline_text", "{value} {unit} (95% CI {ci_low} to {ci_high})")
    return _filled(text, entry, values)


def answer(meta: dict, results: dict, values: dict | None = None) -> str:
    """The plain-language answer (metadata ``answer``, filled like the headline but to
    two significant figures: "23%"), or "" when the notebook gives none."""
    text = meta.get("answer")
    if not text:
        return ""
    key = meta.get("headline")
    entry = results.get(key) if key else None
    return _filled(text, entry if isinstance(entry, dict) else {}, values, sig=2)


def question(nb) -> str:
    """The ``**Question.**`` paragraph of the notebook's first Markdown cells."""
    for cell in nb.cells[:3]:
        if cell.cell_type == "markdown":
            m = _QUESTION.search(cell.source)
            if m:
                return " ".join(m.group(1).split())
    return ""


def _inline_md(text: str) -> str:
    """Escape, then render the inline Markdown a question uses (bold, italic, code)."""
    out = esc(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    out = re.sub(r"\*(.+?)\*", r"<i>\1</i>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def changed_parameters(values: dict, defaults: dict) -> list[str]:
    """``name = value (default d)`` for every parameter that differs from its default."""
    out = []
    for name, value in values.items():
        if name in defaults and defaults[name] != value:
            out.append(f"{name} = {_plain(value)} (default {_plain(defaults[name])})")
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _plain(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def findings_html(nb, values: dict, defaults: dict, results: dict,
                  verdicts: list[dict], toc: bool = True) -> str:
    """The "What we found" block: question, the plain answer, the key number with its
    interval, the parameters changed from their defaults, the verdicts; then the
    contents list (``toc``)."""
    from markupsafe import Markup

    from runspine.site import pages

    meta = StudyNotebook.of(nb).runspine
    q = question(nb)
    plain = answer(meta, results, values)
    finding = headline(meta, results, values)
    if not (q or plain or finding or verdicts):
        return ""
    return pages.render(
        "findings.html.j2", question=Markup(_inline_md(q)) if q else "", answer=plain,
        finding=finding, changed=changed_parameters(values, defaults), toc=toc,
        verdicts=[{"verdict": v.get("verdict", ""), "claim": claim_quote(v),
                   "evidence": _sentence(v.get("evidence", ""))} for v in verdicts])


def claim_quote(verdict_row: dict) -> str:
    """A claim as a verdict list shows it (the verdict table's ``claim`` column: the
    article's quoted words, see :func:`runspine.claims.quoted`)."""
    return verdict_row.get("claim") or verdict_row.get("claim_id", "")


def appendix_html(results: dict, values: dict, defaults: dict) -> str:
    """The appendix: the parameters used (changed ones marked), the recorded results
    (``results.json``) rounded, and a place for the "Words used" list."""
    from runspine.site import pages

    if not (results or values):
        return ""
    params = [{"name": name, "value": _plain_json(value), "changed": name in defaults
               and defaults[name] != value, "default": _plain_json(defaults.get(name))}
              for name, value in values.items()]
    rows = []
    for key, entry in results.items():  # an entry that is not a record: the render fails
        value, low, high = fmt_group([entry.get("value"), entry.get("ci_low"),
                                      entry.get("ci_high")])
        has_interval = entry.get("ci_low") is not None or entry.get("ci_high") is not None
        rows.append({"key": key, "description": entry.get("description") or key,
                     "value": value, "interval": f"{low} to {high}" if has_interval
                     else "\u2013", "unit": entry.get("unit") or "\u2013"})
    level = ci_label(values.get("ci_level", 0.95)) if "ci_level" in values else "interval"
    return pages.render("appendix.html.j2", parameters=params, results=rows, level=level)


def _plain_json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cell_text(cell) -> str:
    parts = [cell.source if cell.cell_type == "markdown" else ""]
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        parts.append(str(data.get("text/html", data.get("text/markdown", ""))))
    return "\n".join(parts)


# ---------------------------------------------------------------------------- layout

def _raw_html(html: str, cell_id: str):
    """A raw cell written into the page as it is (ids fixed: the HTML stays
    deterministic)."""
    from nbformat.v4 import new_raw_cell

    cell = new_raw_cell(html, metadata={"runspine_html": True})
    cell["id"] = cell_id
    return cell


def _split_title(cell) -> list:
    """The first Markdown cell as two: its ``# title`` line, and the rest without the
    ``**Question.**`` paragraph (which "What we found" shows right under the title)."""
    lines = cell.source.splitlines()
    at = next((i for i, ln in enumerate(lines) if ln.startswith("# ")), None)
    if at is None:
        return [cell]
    title = copy.deepcopy(cell)
    title.source = "\n".join(lines[: at + 1])
    rest = copy.deepcopy(cell)
    if "id" in rest:
        rest["id"] = f"{rest['id']}-intro"
    rest.source = _QUESTION.sub("", "\n".join(lines[at + 1:]), count=1).strip() + "\n"
    return [title, rest] if rest.source.strip() else [title]


def arrange(nb, values: dict, defaults: dict, results: dict, verdicts: list[dict]) -> list:
    """The reader's cells: "What we found" (and the contents list) right after the
    title, the notebook's "Results recorded for the index" section moved to an appendix
    with the parameters used (as rounded tables), the references last."""
    cells = list(nb.cells)
    kept, skipping = [], False
    for cell in cells:
        if cell.cell_type == "markdown":
            if _RESULTS_HEADING.search(cell.source):
                skipping = bool(results)  # without results.json keep the notebook's own
                if skipping:
                    continue
            elif _HEADING.search(cell.source) or "---" in cell.source:
                skipping = False
        if not skipping:
            kept.append(cell)
    top = ""
    if kept and kept[0].cell_type == "markdown":
        top = findings_html(nb, values, defaults, results, verdicts)
    if top:
        kept[0:1] = [*_split_title(kept[0]), ]
        kept.insert(1, _raw_html(top, "runspine-findings"))
    text = "\n".join(_cell_text(c) for c in cells)
    meta = StudyNotebook.of(nb).runspine
    tail = []
    appendix = appendix_html(results, values, defaults)
    if appendix:
        tail.append(appendix)
    refs = references_html(cited_keys(text, meta.get("doi", "")))
    if refs:
        tail.append(refs)
    if tail:
        kept.append(_raw_html("\n".join(tail), "runspine-appendix-references"))
    return kept


_TABLE_CAPTION = re.compile(r'(<figure class="runspine-tablefig"><figcaption>)(<b>)?')
_FIGURE_CAPTION = re.compile(r'(<figure class="runspine-figure">.*?<figcaption>)', re.DOTALL)


def number_captions(body: str) -> str:
    """Number tables and figures in reading order ("Table 3.", "Figure 2.")."""
    counters = {"table": 0, "figure": 0}

    def table(m):
        counters["table"] += 1
        return f'{m.group(1)}{m.group(2) or ""}Table {counters["table"]}. '

    def figure(m):
        counters["figure"] += 1
        return f'{m.group(1)}<b>Figure {counters["figure"]}.</b> '

    return _FIGURE_CAPTION.sub(figure, _TABLE_CAPTION.sub(table, body))
