"""What a study report says first and last: findings, appendix, references, numbering.

A study report opens with a "What we found" block built from what its own notebook
recorded: the question (the notebook's ``**Question.**`` paragraph), the answer (the
``headline_text`` of its metadata filled from ``results.json``, labelled with the
confidence level it ran with) and the verdicts of ``tables/claims.csv``, each linking to
the section that decides it. It ends with an appendix (the recorded results, rounded; the
notebook's own "Results recorded for the index" section moves there) and the reference
list of the works the report cites, formatted from ``data/references.bib`` with pybtex.
Figures and tables are numbered in reading order.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from runspine.claims import ci_label, relabel
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


def fmt_number(x) -> str:
    """A number as a reader reads it: 3 significant digits, thousands separated."""
    if isinstance(x, list):
        return " to ".join(fmt_number(v) for v in x)
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, (int, float)):
        if isinstance(x, int) or float(x).is_integer() and abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"
    return "not reported" if x is None else str(x)


def headline(meta: dict, results: dict, values: dict | None = None) -> str:
    """The study's key finding in words (metadata ``headline_text`` filled from
    ``results.json``), its interval labelled with the level the notebook ran with."""
    key = meta.get("headline")
    entry = results.get(key) if key else None
    if not entry:
        return ""
    text = meta.get("headline_text", "{value} {unit} (95% CI {ci_low} to {ci_high})")
    text = text.format(value=fmt_number(entry.get("value")),
                       ci_low=fmt_number(entry.get("ci_low")),
                       ci_high=fmt_number(entry.get("ci_high")), unit=entry.get("unit", ""))
    return relabel(text, values or {})


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


def _verdict_span(verdict: str) -> str:
    return f'<span class="v-{esc(verdict.replace(" ", "-"))}">{esc(verdict)}</span>'


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
                  verdicts: list[dict]) -> str:
    """The "What we found" block: question, answer with its interval, verdicts."""
    meta = nb.metadata.get("runspine", {})
    q = question(nb)
    answer = headline(meta, results, values)
    if not (q or answer or verdicts):
        return ""
    parts = ['<section class="runspine-findings" aria-labelledby="what-we-found">',
             '<h2 id="what-we-found">What we found</h2>']
    if q:
        parts.append(f"<p><b>Question.</b> {_inline_md(q)}</p>")
    if answer:
        parts.append(f"<p><b>Answer.</b> {esc(answer)}</p>")
    changed = changed_parameters(values, defaults)
    if changed:
        parts.append('<p class="runspine-changed"><b>Run with non-default parameters:</b> '
                     + esc("; ".join(changed)) + ".</p>")
    if verdicts:
        items = "".join(
            f'<li>{_verdict_span(v.get("verdict", ""))}: {esc(v.get("claim", v.get("claim_id")))}'
            f' <span class="evidence">{esc(_sentence(v.get("evidence", "")))}</span> '
            '<a href="#claims">Evidence</a></li>' for v in verdicts)
        parts.append(f"<p><b>The popular claims about this study.</b></p><ul>{items}</ul>")
    parts.append("</section>")
    return "\n".join(parts)


def results_appendix(results: dict, values: dict) -> str:
    """The recorded results (``results.json``) as a rounded table, for the appendix."""
    if not results:
        return ""
    rows = []
    for key, entry in results.items():
        interval = ""
        if entry.get("ci_low") is not None or entry.get("ci_high") is not None:
            interval = f'{fmt_number(entry.get("ci_low"))} to {fmt_number(entry.get("ci_high"))}'
        rows.append(f'<tr><td>{esc(entry.get("description") or key)}</td>'
                    f'<td class="num">{esc(fmt_number(entry.get("value")))}</td>'
                    f'<td class="num">{esc(interval)}</td><td>{esc(entry.get("unit", ""))}</td>'
                    f"<td><code>{esc(key)}</code></td></tr>")
    level = ci_label(values.get("ci_level", 0.95)) if "ci_level" in values else "interval"
    return ('<h3 id="appendix-results">Results recorded for the index</h3>'
            "<p>What this run recorded in <code>results.json</code> (rounded here to three "
            "significant digits; the file keeps full precision).</p>"
            '<figure class="runspine-tablefig"><figcaption><b>Recorded results</b></figcaption>'
            '<div class="runspine-scroll"><table class="runspine-table"><thead><tr>'
            '<th scope="col">result</th><th scope="col" class="num">value</th>'
            f'<th scope="col" class="num">{esc(level)}</th><th scope="col">unit</th>'
            '<th scope="col">key</th></tr></thead><tbody>' + "".join(rows)
            + "</tbody></table></div></figure>")


# ------------------------------------------------------------------------- references

def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _bibliography():
    from pybtex.database import parse_file

    from runspine.project import Project

    return parse_file(str(Project.current().references_bib))


def cited_keys(text: str, doi: str = "") -> list[str]:
    """Keys of ``references.bib`` a text cites: by key, by DOI, or as "Surname ... year"
    (first author's surname, then the year within a few words, accents ignored)."""
    bib = _bibliography()
    folded = _fold(text)
    keys = []
    for key, entry in bib.entries.items():
        year = entry.fields.get("year", "")
        edoi = entry.fields.get("doi", "")
        authors = entry.persons.get("author", [])
        surname = _fold(" ".join(str(n) for n in authors[0].rich_last_names)) if authors else ""
        if (re.search(rf"\b{re.escape(key)}\b", text)
                or (edoi and (edoi == doi or edoi in text))
                or (surname and year and len(authors[0].rich_last_names) == 1
                    and re.search(rf"\b{re.escape(surname)}\b[^;()\n]{{0,40}}?\b{year}\b",
                                  folded))):
            keys.append(key)
    return keys


def references_html(keys: list[str]) -> str:
    """The reference list of ``keys``, formatted by pybtex (unsrt style, HTML backend),
    DOIs as links. Where-read notes and access urls of the bib file are left out; a url
    is kept for an entry without a DOI."""
    if not keys:
        return ""
    from pybtex.plugin import find_plugin

    bib = _bibliography()
    entries = []
    for key in keys:
        entry = copy.deepcopy(bib.entries[key])
        for field in ("note", "pmid", "pmcid", "howpublished"):
            entry.fields.pop(field, None)
        if entry.fields.get("doi"):
            entry.fields.pop("url", None)
        entries.append(entry)
    style = find_plugin("pybtex.style.formatting", "unsrt")()
    backend = find_plugin("pybtex.backends", "html")()
    items = []
    for number, entry in enumerate(entries, 1):
        try:
            text = style.format_entry(str(number), entry).text.render(backend)
        except Exception:  # noqa: BLE001 - an entry pybtex cannot format (e.g. no author)
            text = _plain_reference(entry)
        items.append(f'<li id="ref-{esc(entry.key)}">{text}</li>')
    items = "".join(items)
    return (f'<section class="runspine-references"><h2 id="references">References</h2>'
            f"<ol>{items}</ol></section>")


def _plain_reference(entry) -> str:
    """An entry pybtex's style rejects (a web page without an author, say): its author or
    publisher, title, year and DOI or url, escaped."""
    authors = " and ".join(str(p) for p in entry.persons.get("author", []))
    fields = entry.fields
    parts = [authors or fields.get("organization") or fields.get("publisher", ""),
             fields.get("title", entry.key), fields.get("journal", ""), fields.get("year", "")]
    text = ". ".join(esc(p.replace("{", "").replace("}", "")) for p in parts if p) + "."
    if fields.get("doi"):
        doi = esc(fields["doi"])
        text += f' <a href="https://doi.org/{doi}">doi:{doi}</a>.'
    elif fields.get("url"):
        url = esc(fields["url"])
        text += f' <a href="{url}">{url}</a>'
    return text


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
    """The reader's cells: "What we found" after the title cell, the notebook's
    "Results recorded for the index" section moved to an appendix (as a rounded table),
    the references last."""
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
    top = findings_html(nb, values, defaults, results, verdicts)
    if top and kept and kept[0].cell_type == "markdown":
        kept[0:1] = [*_split_title(kept[0]), ]
        kept.insert(1, _raw_html(top, "runspine-findings"))
    text = "\n".join(_cell_text(c) for c in cells)
    meta = nb.metadata.get("runspine", {})
    tail = []
    appendix = results_appendix(results, values)
    if appendix:
        tail.append('<section class="runspine-appendix"><h2 id="appendix">Appendix</h2>'
                    + appendix + "</section>")
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
