"""The bookkeeping: ``reports/manifest.json`` (what each notebook's last build did) and a
sweep's ``reports/<stem>/sweep/sweep.json`` (the same for each of its points), one
format re-derived from what is on disk; the index, claims and summary pages beside them.

What is on disk is the truth. Each published report and sweep point carries its own
record (``build.json``, written by :func:`runspine.engine.publish.publish`); the entries
of a book are re-derived from those records at the start and the end of every build
(:func:`sync`): whatever interrupted a build, the book describes exactly what is on
disk. A report or point is reused only when its entry and its record match and every
file the record lists is present and unchanged (:func:`runspine.engine.verify.reusable`).

Bookkeeping never blocks a build: a book that is unreadable, undecodable or of the
wrong shape is treated as absent (one warning line naming it) and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from runspine.engine import verify
from runspine.engine.cache import code_state, package_versions
from runspine.engine.jobs import Job, Outcome
from runspine.engine.publish import RECORD
from runspine.files import atomic_write_text, plain_name, read_regular
from runspine.project import Project

#: Each book's file name: the key of its entries (one per report or point) and its schema.
BOOKS = {"manifest.json": ("notebooks", "runspine-manifest/1"),
         "sweep.json": ("points", "runspine-sweep/1")}

GOOD_KEYS = ("notebook", "parameters", "input_hashes", "cache_key", "package_versions",
             "files")


def read_book(path: Path) -> dict:
    """The book in ``path`` (a manifest or a sweep's ``sweep.json``), or an empty one when
    it is missing, unreadable or of the wrong shape (then one warning line)."""
    key = BOOKS[path.name][0]
    book = verify.read_bookkeeping(path, lambda data: _shape_problem(data, key)) or {}
    book.setdefault(key, {})
    return book


def _shape_problem(data, key: str) -> str:
    if not isinstance(data, dict):
        return "not a JSON object"
    parts = [data.get(name, {}) for name in (key, "sweeps")]
    if not all(isinstance(part, dict) for part in parts):
        return f"'{key}' or 'sweeps' is not an object"
    bad = [name for part in parts for name, entry in part.items()
           if not (isinstance(entry, dict) and plain_name(name))]  # (a page links its name)
    return f"entry '{bad[0]:.60}' is not an object named as a directory's entry" if bad else ""


def write_book(book: dict, path: Path) -> None:
    """Write ``book`` to ``path``, its entries sorted and its schema named."""
    key, schema = BOOKS[path.name]
    book.update({key: dict(sorted(book.get(key, {}).items())), "schema": schema})
    atomic_write_text(path, json.dumps(book, indent=2) + "\n")


def sync(entries: dict, home: Path) -> None:
    """Make a book's ``entries`` describe exactly the reports (or points) in ``home``
    (their ``build.json``).

    An entry whose report is missing or was replaced (an interrupted build published it,
    a crash lost it) is rewritten from what is there; a report on disk with no entry
    gets one. A report without a valid record is left out of the good ones (rebuilt).
    """
    for name in sorted(set(entries) | {p.parent.name for p in home.glob(f"*/{RECORD}")}):
        record = verify.read_record(home / name)
        good = {**{k: record.get(k) for k in GOOD_KEYS}, "report": f"{name}/report.html"} \
            if record else None
        # a report with no entry is taken as one whose entry says its report went missing
        entry = entries.get(name, {"status": "missing", "message": "", "timing": {}})
        if entry.get("status") == "ok":
            if good is None:  # the report is gone or unrecorded: nothing good is on disk
                entries[name] = {k: v for k, v in entry.items() if k not in GOOD_KEYS
                                 and k != "report"} | {"status": "missing", "reused": False}
            elif any(entry.get(k) != v for k, v in good.items()):  # (recorded: never edited)
                entries[name] = {**entry, **good, "reused": False}
        elif good is None:
            entry.pop("last_good", None)
        elif entry.get("status") == "missing":  # (never has a last_good)
            entries[name] = {**entry, **good, "status": "ok", "reused": False}
        elif any((entry.get("last_good") or {}).get(k) != v for k, v in good.items()):
            entry["last_good"] = good


def update(entries: dict, job: Job, out: Outcome) -> None:
    """Record ``out`` in a book's ``entries`` (:func:`sync` follows)."""
    old = entries.get(job.name, {})
    if out.status == "reused":
        old.update(reused=True, timing={**old.get("timing", {}), "duration_s": 0.0})
        entries[job.name] = old
        return
    entry = {"notebook": f"notebooks/{job.path.name}", "parameters": job.values,
             "status": out.status, "reused": False, "input_hashes": job.input_hashes,
             "package_versions": package_versions(), "message": out.message,
             "timing": {"duration_s": round(out.duration_s, 3)}}
    # an ok entry's cache key, report and files come from its build.json (sync, which
    # always follows); a failed one keeps what the previous good report was built from
    if out.status == "failed" and (old.get("status") == "ok" or old.get("last_good")):
        entry["last_good"] = old.get("last_good") or {
            k: old.get(k) for k in (*GOOD_KEYS, "report")}
    entries[job.name] = entry


def write_summary(sweep_dir: Path, points: list[Job], status: dict[str, str]) -> str:
    """Write a sweep's ``summary.csv`` and ``summary.html`` (a row per point: its ``status``
    by name, none: not run; its verified results); the page's SHA-256 (for the manifest)."""
    from runspine.site.sweep_summary import render_summary, summary_csv

    shown = []
    for p in points:
        verified = verify.readable(sweep_dir / p.name, "left out of the sweep summary")
        results = json.loads((sweep_dir / p.name / "results.json").read_text("utf-8")) \
            if "results.json" in verified else {}
        state = status.get(p.name, "not run")
        if state == "failed" and results:
            state = "failed (values from the previous good run)"
        shown.append({"name": p.name, "grid": p.grid, "status": state, "verified": verified,
                      "results": results, "linked": "report.html" in verified})
    atomic_write_text(sweep_dir / "summary.csv", summary_csv(shown))
    atomic_write_text(sweep_dir / "summary.html", page := render_summary(sweep_dir, shown))
    return hashlib.sha256(page.encode()).hexdigest()


def write_manifest_and_index(manifest: dict, reports_dir: Path) -> None:
    """Write the manifest; the index, claims, consistency and glossary pages unless
    their inputs are unchanged (a directory in the way: removed as the build starts)."""
    from runspine.site import index as site
    from runspine.site.consistency import page_inputs, render_consistency_page

    write_book(manifest, reports_dir / "manifest.json")
    trusted = {stem: verify.readable(reports_dir / stem,
                                     f"not shown (rebuild it with 'runspine run {stem}')")
               for stem in manifest["notebooks"]}
    inputs = page_inputs(manifest, reports_dir, None, trusted)  # None: no page; before the
    if inputs is not None:  # index (which links it); it links a report only when verified
        _write_unless_unchanged(reports_dir / "consistency.html", lambda: render_consistency_page(
            manifest, reports_dir, None, trusted), inputs)
    code, data = code_state(), Project.current().data_dir
    key = site.pages_key(code, manifest, reports_dir, trusted, data)
    _write_unless_unchanged(reports_dir / "index.html",
                            lambda: site.render_index(manifest, reports_dir, trusted), key)
    _write_unless_unchanged(reports_dir / "claims.html",
                            lambda: site.render_claims_page(manifest, reports_dir, trusted), key)
    _write_unless_unchanged(reports_dir / "glossary.html", site.render_glossary_page,
                            site.glossary_key(code, data))


def _write_unless_unchanged(page: Path, render, inputs: str) -> None:
    """Write ``render()`` to ``page`` unless the page on disk was written from the same
    ``inputs`` and is as it was written (its key and hash in ``.cache/<stem>.key``): a
    rebuild that changes nothing renders nothing."""
    record = page.parent / ".cache" / f"{page.stem}.key"  # not *.html: no page
    try:
        key, digest = read_regular(record).decode("utf-8").split()  # (a pipe: not read)
        if key == inputs and hashlib.sha256(read_regular(page)).hexdigest() == digest:
            return
    except (OSError, ValueError):
        pass
    html = render()
    atomic_write_text(page, html)
    with contextlib.suppress(OSError):  # no record: rendered again next time
        record.parent.mkdir(exist_ok=True)
        atomic_write_text(record, f"{inputs} {hashlib.sha256(html.encode()).hexdigest()}\n")
