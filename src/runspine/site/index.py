"""The reader's entry points: ``reports/index.html`` and ``reports/claims.html``.

Each study notebook declares, in its metadata under ``runspine``: ``citation``, ``doi``,
``headline`` (a results.json key) and ``headline_text`` (plain words, with ``{value}``,
``{ci_low}``, ``{ci_high}`` and ``{unit}`` placeholders). The index shows one card per
study with that finding, its first figure and its claim verdicts; the claims page lists
every claim of ``data/claims.csv`` with its verdict, numbers and a link to the section of
the report that decides it. Every data string is escaped.
"""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

from runspine.claims import article_label, quoted
from runspine.site.report import TEMPLATES, esc

PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 0 auto; padding: 1em; color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 1em; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.8em; }
.card h2 { font-size: 1.1em; margin: 0 0 0.3em 0; }
.card img { max-width: 100%; height: auto; border: 1px solid #eee; }
.cite { font-size: 0.85em; color: #444; }
.finding { font-size: 1.02em; }
.status-failed { color: #a00; font-weight: bold; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.v-supported { color: #0a6b2d; font-weight: bold; }
.v-partly-supported { color: #8a5a00; font-weight: bold; }
.v-not-supported { color: #a00; font-weight: bold; }
.v-untestable, .v-not-yet-assessed { color: #555; font-weight: bold; }
footer { margin-top: 2em; font-size: 0.85em; color: #444; border-top: 1px solid #ccc; }
a { color: #0b5394; text-decoration: underline; }
.scroll { overflow-x: auto; max-width: 100%; }
.changed-params { font-size: 0.88em; color: #6b4500; }
@media (max-width: 640px) {
  body { padding: 0.5em; }
  .cards { grid-template-columns: 1fr; }
  table { font-size: 0.82em; }
  /* the claims table: one card per claim, each cell labelled */
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; }
  table.stack tr { border: 1px solid #ccc; border-radius: 6px; margin-bottom: 0.8em;
                   padding: 0.3em 0.4em; }
  table.stack td { border: none; padding: 0.15em 0.2em; }
  table.stack td:empty { display: none; }
  table.stack td::before { content: attr(data-label) ": "; font-weight: bold; color: #555; }
}
@media print {
  body { max-width: none; }
  .card, tr, img { break-inside: avoid; page-break-inside: avoid; }
  .scroll { overflow: visible; }
  table { width: 100%; table-layout: fixed; }
  td, th { overflow-wrap: anywhere; }
  a { color: inherit; }
}
"""


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
            f"<title>{esc(title)}</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # missing, undecodable, not JSON
        return {}
    return value if isinstance(value, dict) else {}


def _read_csv(path: Path) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except (OSError, ValueError, csv.Error):
        return []


def _ok(trusted, stem: str, rel: str) -> bool:
    """May ``reports/<stem>/<rel>`` be read? ``trusted`` maps each stem to the files of its
    report that match its build record (the engine verifies them:
    :mod:`runspine.engine.verify`); without it every file may."""
    return trusted is None or rel in trusted.get(stem, ())


def study_meta(reports_dir: Path, stem: str) -> dict:
    """The ``runspine`` metadata and title of a study, from its executed notebook."""
    nb = _read_json(reports_dir / stem / "executed.ipynb")
    meta = dict(nb.get("metadata", {}).get("runspine", {}))
    title = stem
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = "".join(cell.get("source", ""))
            heading = next((ln[2:].strip() for ln in src.splitlines() if ln.startswith("# ")),
                           None)
            if heading:
                title = heading
                break
    meta["title"] = title
    return meta


def parameter_defaults(reports_dir: Path, stem: str) -> dict:
    """The defaults of a study's parameters, read from the ``parameters`` cell of its
    executed notebook (``name: type = value  # comment`` lines)."""
    nb = _read_json(reports_dir / stem / "executed.ipynb")
    for cell in nb.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse("".join(cell.get("source", "")))
            except SyntaxError:
                return {}
            out = {}
            for node in tree.body:
                if isinstance(node, (ast.AnnAssign, ast.Assign)) and node.value is not None:
                    target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
                    if isinstance(target, ast.Name):
                        try:
                            out[target.id] = ast.literal_eval(node.value)
                        except ValueError:
                            pass
            return out
    return {}


def headline(meta: dict, results: dict, values: dict | None = None) -> str:
    """The card's key finding, labelled with the levels the notebook ran with."""
    from runspine.site.findings import headline as _headline

    return _headline(meta, results, values)


def _verdict_span(verdict: str) -> str:
    cls = "v-" + verdict.replace(" ", "-")
    return f'<span class="{esc(cls)}">{esc(verdict)}</span>'


def render_index(manifest: dict, reports_dir: Path, trusted=None) -> str:
    """HTML of ``reports/index.html``, from the files ``trusted`` allows (see :func:`_ok`)."""
    cards = []
    reused = []
    for stem, entry in manifest.get("notebooks", {}).items():
        has_report = (_ok(trusted, stem, "report.html")
                      and (reports_dir / stem / "report.html").exists())
        meta = (study_meta(reports_dir, stem) if has_report
                and _ok(trusted, stem, "executed.ipynb") else {"title": stem})
        results = (_read_json(reports_dir / stem / "results.json")
                   if _ok(trusted, stem, "results.json") else {})
        verdicts = [v for v in _read_csv(reports_dir / stem / "tables" / "claims.csv")
                    if v.get("claim_id") and v.get("verdict")] \
            if _ok(trusted, stem, "tables/claims.csv") else []
        if entry.get("reused"):
            reused.append(stem)
        parts = [f'<article class="card" id="{esc(stem)}">']
        title = esc(meta.get("title", stem))
        parts.append(f'<h2><a href="{esc(stem)}/report.html">{title}</a></h2>' if has_report
                     else f"<h2>{title}</h2>")
        if meta.get("citation"):
            doi = meta.get("doi")
            link = (f' <a href="https://doi.org/{esc(doi)}">doi:{esc(doi)}</a>' if doi else "")
            parts.append(f'<p class="cite">{esc(meta["citation"])}{link}</p>')
        if not has_report and (reports_dir / stem / "report.html").exists():
            parts.append('<p class="status-failed">Not shown: files of this report were '
                         "changed after runspine built it, so its numbers cannot be trusted. "
                         "Building it again brings it back.</p>")
        if entry.get("status") == "failed":
            parts.append(f'<p class="status-failed">Last run failed: {esc(entry.get("message", ""))}'
                         + (" The report below is the previous good one." if has_report else "")
                         + "</p>")
        values = entry.get("parameters", {})
        text = headline(meta, results, values)
        if text:
            parts.append(f'<p class="finding"><b>Key finding:</b> {esc(text)}</p>')
        from runspine.site.findings import changed_parameters

        changed = changed_parameters(values, parameter_defaults(reports_dir, stem)
                                     if _ok(trusted, stem, "executed.ipynb") else {})
        if changed:
            parts.append('<p class="changed-params"><b>Built with non-default parameters:</b> '
                         + esc("; ".join(changed)) + ".</p>")
        if _ok(trusted, stem, "figure.png") and (reports_dir / stem / "figure.png").exists():
            alt = meta.get("figure_alt", f"Main figure of {meta.get('title', stem)}")
            parts.append(f'<img src="{esc(stem)}/figure.png" alt="{esc(alt)}"/>')
        sweep = manifest.get("sweeps", {}).get(stem)
        if sweep and (reports_dir / stem / "sweep" / "summary.html").exists():
            parts.append(f'<p><a href="{esc(stem)}/sweep/summary.html">Parameter sweep: '
                         f'{esc(sweep.get("points", "?"))} points</a></p>')
        if verdicts:
            rows = "".join(f'<tr><td><a href="claims.html#{esc(v["claim_id"])}">'
                           f'{esc(v["claim_id"])}</a></td><td>{_verdict_span(v["verdict"])}</td></tr>'
                           for v in verdicts)
            parts.append(f'<div class="scroll"><table><caption>Claims</caption><tr><th>claim</th>'
                         f"<th>verdict</th></tr>{rows}</table></div>")
        parts.append("</article>")
        cards.append("\n".join(parts))
    body = ["<header><h1>runspine: running and low back pain, re-analysed</h1>",
            ("<p>Each card is one published study, re-analysed from the numbers in the paper. "
             "Open a report for the reproduction of what the paper reported, the models, and "
             "the assumptions. <a href=\"claims.html\">All popular claims and their verdicts"
            "</a>." + (' <a href="consistency.html">Are the published numbers consistent?</a>'
                       if (reports_dir / "consistency.html").is_file() else "")
             + "</p></header>"),
            '<main class="cards">', *cards, "</main>", _sweeps_section(manifest, reports_dir),
            _footer(manifest, reused)]
    return _page("runspine reports", "\n".join(body))


def _sweeps_section(manifest: dict, reports_dir: Path) -> str:
    """Links to every parameter sweep summary (``runspine sweep``)."""
    items = []
    for stem, sweep in sorted(manifest.get("sweeps", {}).items()):
        if (reports_dir / stem / "sweep" / "summary.html").exists():
            failed = sweep.get("failed") or 0
            note = f", {esc(failed)} failed" if failed else ""
            items.append(f'<li><a href="{esc(stem)}/sweep/summary.html">{esc(stem)}</a>: '
                         f'{esc(sweep.get("points", "?"))} points{note}</li>')
    if not items:
        return ""
    return ('<section id="sweeps"><h2>Parameter sweeps</h2><p>One notebook run over a grid '
            "of parameter values; each summary links the report of every point.</p><ul>"
            + "".join(items) + "</ul></section>")


def _footer(manifest: dict, reused: list[str]) -> str:
    entries = manifest.get("notebooks", {})
    versions = next((e.get("package_versions") for e in entries.values()
                     if e.get("package_versions")), {})
    vers = ", ".join(f"{esc(k)} {esc(v)}" for k, v in versions.items())
    params = "".join(f"<li>{esc(stem)}: {esc(json.dumps(e.get('parameters', {})))}</li>"
                     for stem, e in entries.items())
    reused_text = ", ".join(esc(s) for s in reused) or "none"
    return (f"<footer><p><b>Run facts.</b> Package versions: {vers}.</p>"
            f"<p>Reused from the previous build (inputs unchanged): {reused_text}.</p>"
            f"<details><summary>Parameters per study</summary><ul>{params}</ul></details>"
            "<p>Built by runspine; see manifest.json for input hashes and timings.</p></footer>")


def render_claims_page(manifest: dict, reports_dir: Path, trusted=None) -> str:
    """HTML of ``reports/claims.html``: every claim, its verdict and the numbers. A
    verdict is taken only from a trusted ``tables/claims.csv`` (:func:`_ok`) of the
    notebook ``data/claims.csv`` names for that claim."""
    from runspine.project import Project

    project = Project.current()
    claims = _read_csv(project.claims_csv)
    labels = {a["key"]: a["label"] for a in _read_csv(project.data_dir / "articles.csv")}
    decided, owner = {}, {c.get("claim_id"): c.get("notebook") for c in claims}
    for stem in manifest.get("notebooks", {}):
        if not _ok(trusted, stem, "tables/claims.csv"):
            continue
        for v in _read_csv(reports_dir / stem / "tables" / "claims.csv"):
            if owner.get(v.get("claim_id")) == stem and v.get("verdict"):
                decided[v["claim_id"]] = (stem, v)
    rows, titles = [], {}
    for c in claims:
        cid = c["claim_id"]
        if cid in decided:
            stem, v = decided[cid]
            verdict, evidence = v["verdict"], v.get("evidence") or ""
            if stem not in titles:
                titles[stem] = (study_meta(reports_dir, stem).get("title", stem)
                                if _ok(trusted, stem, "executed.ipynb") else stem)
            title = titles[stem]
            link = (f'<a href="{esc(stem)}/report.html#claims">{esc(title)}</a>'
                    if _ok(trusted, stem, "report.html") else esc(title))
        elif not c.get("notebook"):
            verdict = "untestable"
            evidence = c.get("note") or "No study is cited and no data in the suite can test it."
            link = ""
        else:
            verdict, evidence, link = "not yet assessed", "Its study report has not been built.", ""
        rows.append(f'<tr id="{esc(cid)}"><td data-label="id">{esc(cid)}</td>'
                    f'<td data-label="claim">{esc(quoted(c))}</td>'
                    f'<td data-label="article">{esc(article_label(c["article"], labels))}</td>'
                    f'<td data-label="verdict">{_verdict_span(verdict)}</td>'
                    f'<td data-label="numbers">{esc(evidence)}</td>'
                    f'<td data-label="decided in">{link}</td></tr>')
    body = ('<p><a href="index.html">&larr; All studies</a></p><h1>Popular claims and what the '
            "data say</h1><p>Each claim is quoted as its article put it. Verdicts: supported, "
            "partly supported, not supported, untestable (no data in the suite can speak to "
            "it). Each verdict weighs every line of evidence the suite holds: <b>direct</b> "
            "evidence (the claimed quantity, in the people the claim is about, with numbers "
            "that can be checked) counts for more than <b>indirect</b> evidence (a stand-in "
            "measure, other people, or a statement without numbers), and one indirect line "
            "never outweighs a direct line against. The numbers column ends with what would "
            "change the verdict.</p><div class=\"scroll\"><table "
            "class=\"stack\"><thead><tr><th>id</th><th>claim, in the article's words</th><th>article</th><th>verdict</th><th>numbers behind it</th>"
            "<th>decided in</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")
    return _page("runspine: claims", body)


__all__ = ["TEMPLATES", "render_claims_page", "render_index"]
