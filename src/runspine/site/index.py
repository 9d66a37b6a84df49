"""The reader's entry points: ``reports/index.html``, ``claims.html`` and
``glossary.html``.

Each study notebook declares, in its metadata under ``runspine``: ``citation``, ``doi``,
``answer`` (the plain-language answer), ``headline`` (a results.json key) and
``headline_text`` (the technical sentence, with ``{value}``, ``{ci_low}``, ``{ci_high}``
and ``{unit}`` placeholders). The index shows one card per study: the answer, the key
number, the study's figure and each popular claim about it with its verdict. The claims
page lists every claim of ``data/claims.csv`` with its verdict, the numbers behind it
and a link to the section of the report that decides it; the glossary page lists every
term of ``data/glossary.csv``. The pages are Jinja templates (``templates/pages``,
autoescaped); see :mod:`runspine.site.pages`.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from runspine.claims import article_label, article_labels, claim_rows, quoted
from runspine.notebook_file import StudyNotebook
from runspine.site import glossary, pages, safety
from runspine.site.findings import answer, changed_parameters, headline
from runspine.text import warn


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


def sweep_linked(reports_dir: Path, stem: str, entry, say=None) -> bool:
    """May the index link ``reports/<stem>/sweep/summary.html``? Only while it is the
    page its sweep wrote: the SHA-256 the manifest's ``sweeps`` entry keeps. A changed
    or replaced page (a script in it, forged numbers) is not linked; ``say`` gets one
    line naming it."""
    from runspine.files import read_regular

    path = reports_dir / stem / "sweep" / "summary.html"
    try:
        data = read_regular(path)
    except OSError:  # none (never swept), or a pipe, a device, too big: not linked
        return False
    if isinstance(entry, dict) and hashlib.sha256(data).hexdigest() == entry.get("sha256"):
        return True
    if say is not None:
        say(f"{path}: not the page its sweep wrote (changed since, or from an older "
            f"runspine); not linked (run the sweep of {stem} again)")
    return False


def _data_dir(data_dir: Path | None) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    from runspine.project import Project

    return Project.current().data_dir


def _executed(reports_dir: Path, stem: str) -> StudyNotebook:
    return StudyNotebook.read(reports_dir / stem / "executed.ipynb")


def study_meta(reports_dir: Path, stem: str) -> dict:
    """The ``runspine`` metadata and title of a study, from its executed notebook."""
    notebook = _executed(reports_dir, stem)
    return {**notebook.runspine, "title": notebook.title or stem}


def parameter_defaults(reports_dir: Path, stem: str) -> dict:
    """The defaults of a study's parameters, as its executed notebook declares them."""
    return _executed(reports_dir, stem).parameter_defaults()


def claim_text(claim: dict) -> str:
    """How a claim reads to a reader: the article's own words in quotation marks (the
    paraphrase when none are recorded), see :func:`runspine.claims.quoted`."""
    return quoted(claim) or claim.get("claim_id", "")


def _card(stem: str, entry: dict, sweeps: dict, reports_dir: Path, claims: dict,
          trusted) -> dict:
    exists = (reports_dir / stem / "report.html").exists()
    has_report = _ok(trusted, stem, "report.html") and exists
    meta = (study_meta(reports_dir, stem) if has_report and _ok(trusted, stem, "executed.ipynb")
            else {"title": stem})
    results = (_read_json(reports_dir / stem / "results.json")
               if _ok(trusted, stem, "results.json") else {})
    values = entry.get("parameters", {})
    verdicts = ([v for v in _read_csv(reports_dir / stem / "tables" / "claims.csv")
                 if v.get("claim_id") and v.get("verdict")]
                if _ok(trusted, stem, "tables/claims.csv") else [])
    doi = meta.get("doi") or ""
    sweep = sweeps.get(stem)  # (linked sweeps only)
    has_sweep = bool(sweep)
    figure = _ok(trusted, stem, "figure.png") and (reports_dir / stem / "figure.png").exists()
    defaults = (parameter_defaults(reports_dir, stem)
                if _ok(trusted, stem, "executed.ipynb") else {})
    return {
        "stem": stem, "title": meta.get("title", stem), "has_report": has_report,
        "untrusted": exists and not has_report,
        "failed": entry.get("status") == "failed", "message": entry.get("message", ""),
        "answer": answer(meta, results, values), "finding": headline(meta, results, values),
        "changed": changed_parameters(values, defaults),
        "figure": f"{stem}/figure.png" if figure else "",
        "figure_alt": meta.get("figure_alt", f"Main figure of {meta.get('title', stem)}"),
        "claims": [{"claim_id": v["claim_id"], "verdict": v["verdict"],
                    "text": claim_text(claims.get(v["claim_id"], v))} for v in verdicts],
        "sweep": {"points": sweep.get("points", "?")} if has_sweep else None,
        "citation": meta.get("citation", ""), "doi": doi, "doi_href": safety.doi_url(doi),
    }


def render_index(manifest: dict, reports_dir: Path, trusted=None,
                 data_dir: Path | None = None) -> str:
    """HTML of ``reports/index.html``, from the files ``trusted`` allows (see :func:`_ok`)."""
    data_dir = _data_dir(data_dir)
    claims = {c["claim_id"]: c for c in claim_rows(data_dir)}
    entries = manifest.get("notebooks", {})
    linked = {stem: s for stem, s in sorted(manifest.get("sweeps", {}).items())
              if sweep_linked(reports_dir, stem, s)}  # (each page read and hashed once)
    cards = [_card(stem, entry, linked, reports_dir, claims, trusted)
             for stem, entry in entries.items()]
    sweeps = [{"stem": stem, "points": s.get("points", "?"), "failed": s.get("failed") or 0}
              for stem, s in linked.items()]
    versions = next((e.get("package_versions") for e in entries.values()
                     if e.get("package_versions")), {})
    return pages.page("index.html.j2", data_dir=data_dir, title="runspine reports",
                      cards=cards, sweeps=sweeps, versions=versions,
                      consistency=(reports_dir / "consistency.html").is_file(),
                      parameters=[(s, json.dumps(e.get("parameters", {})))
                                  for s, e in entries.items()])


def render_claims_page(manifest: dict, reports_dir: Path, trusted=None,
                       data_dir: Path | None = None) -> str:
    """HTML of ``reports/claims.html``: every claim, its verdict and the numbers. A
    verdict is taken only from a trusted ``tables/claims.csv`` (:func:`_ok`) of the
    notebook ``data/claims.csv`` names for that claim."""
    data_dir = _data_dir(data_dir)
    claims = claim_rows(data_dir)
    labels = article_labels(data_dir)
    decided, owner = {}, {c.get("claim_id"): c.get("notebook") for c in claims}
    for stem, entry in manifest.get("notebooks", {}).items():
        if not _ok(trusted, stem, "tables/claims.csv"):
            continue
        for v in _read_csv(reports_dir / stem / "tables" / "claims.csv"):
            if owner.get(v.get("claim_id")) == stem and v.get("verdict"):
                decided[v["claim_id"]] = (stem, entry, v)
    rows, titles = [], {}
    for c in claims:
        cid = c["claim_id"]
        row = {"claim_id": cid, "text": claim_text(c), "article": article_label(c["article"], labels),
               "report_href": "", "report_title": "", "changed": []}
        if cid in decided:
            stem, entry, v = decided[cid]
            readable = _ok(trusted, stem, "executed.ipynb")
            if stem not in titles:
                titles[stem] = (study_meta(reports_dir, stem).get("title", stem)
                                if readable else stem)
            row.update(verdict=v.get("verdict", ""), evidence=v.get("evidence") or "",
                       report_href=(f"{stem}/report.html#claims"
                                    if _ok(trusted, stem, "report.html") else ""),
                       report_title=titles[stem],
                       changed=changed_parameters(entry.get("parameters", {}),
                                                  parameter_defaults(reports_dir, stem)
                                                  if readable else {}))
        elif not c.get("notebook"):
            row.update(verdict="untestable", evidence=c.get("note") or
                       "No study is cited and no data in the suite can test it.")
        else:
            row.update(verdict="not yet assessed",
                       evidence="Its study report has not been built.")
        rows.append(row)
    return pages.page("claims.html.j2", data_dir=data_dir, title="runspine: claims",
                      claims=rows)


def pages_key(code: str, manifest: dict, reports_dir: Path, trusted: dict,
              data_dir: Path | None = None) -> str:
    """A hash of everything the index and the claims page are made of: ``code`` (the
    package's code and templates), the manifest, each report's build record (which names
    the hash of every file a page reads) and the files of it that were verified, which
    pages exist beside them, which sweep summaries are the pages their sweeps wrote (one
    warning line for each that is not: :func:`sweep_linked`), and every file in ``data/``.
    A rebuild that changes none of these need not render the pages again."""
    shown = {**manifest, "notebooks": {  # no page shows whether a report was reused, or
        stem: {k: v for k, v in e.items() if k not in ("reused", "timing")}  # its timing
        for stem, e in manifest.get("notebooks", {}).items()}}
    h = hashlib.sha256(code.encode())
    h.update(json.dumps([shown, trusted], sort_keys=True, default=sorted).encode())
    for stem in sorted(manifest.get("notebooks", {})):
        pages.files_key(h, [reports_dir / stem / "build.json"], reports_dir)  # (bounded)
        for rel in ("report.html", "sweep/summary.html"):
            path = reports_dir / stem / rel
            h.update(f"{stem}/{rel}\0{path.is_file()}".encode())
    h.update(str((reports_dir / "consistency.html").is_file()).encode())
    h.update(json.dumps(sorted(stem for stem, s in manifest.get("sweeps", {}).items()
                               if sweep_linked(reports_dir, stem, s, say=warn))).encode())
    data_dir = _data_dir(data_dir)
    return pages.files_key(h, sorted(data_dir.rglob("*")), data_dir)


def glossary_key(code: str, data_dir: Path | None = None) -> str:
    """A hash of what the glossary page is made of: ``code``, data/glossary.csv and
    data/references.bib."""
    data_dir = _data_dir(data_dir)
    return pages.files_key(hashlib.sha256(code.encode()),
                           [data_dir / "glossary.csv", data_dir / "references.bib"], data_dir)


def render_glossary_page(data_dir: Path | None = None) -> str:
    """HTML of ``reports/glossary.html``: every term of ``data/glossary.csv``, its plain
    explanation and the reference it follows (with its DOI link)."""
    data_dir = _data_dir(data_dir)
    from runspine.site.references import bibliography

    try:
        bib = bibliography(data_dir).entries
    except Exception:  # noqa: BLE001 - no or unreadable bib: references shown as keys
        bib = {}
    terms = []
    for t in glossary.load(data_dir):
        entry = bib.get(t.source)
        reference, href = t.source, None
        if entry is not None:
            authors = entry.persons.get("author") or entry.persons.get("editor") or []
            surnames = [" ".join(str(n) for n in a.rich_last_names) for a in authors]
            first = surnames[0] if surnames else ""  # two authors: both named, else et al.
            more = (f" and {surnames[1]}" if len(surnames) == 2
                    else " et al." if len(surnames) > 2 else "")
            title = entry.fields.get("title", "").replace("{", "").replace("}", "")
            who = f"{first}{more} {entry.fields.get('year', '')}".strip()  # no year: no gap
            reference = ", ".join(part for part in (who, title) if part)
            href = safety.doi_url(entry.fields.get("doi", "")) or safety.safe_url(
                entry.fields.get("url", ""))
        terms.append({"key": t.key, "term": t.term, "explanation": t.explanation,
                      "reference": reference, "location": t.location, "href": href,
                      "href_text": href.removeprefix("https://") if href else ""})
    return pages.page("glossary.html.j2", glossary_href=None, data_dir=data_dir,
                      title="runspine: glossary", terms=terms)


__all__ = ["glossary_key", "pages_key", "render_claims_page", "render_glossary_page",
           "render_index"]
