"""The manifest, ``reports/manifest.json``: what each notebook's last build did, re-derived
from the reports on disk; the reuse decision; the index and claims pages written beside it.

What is on disk is the truth. The manifest is re-derived from the reports' own records
(``build.json``, written by :func:`runspine.engine.publish.publish`) at the start and the
end of every build (:func:`sync_manifest`): whatever interrupted a build, the manifest
describes exactly the reports on disk. A report is reused only when its record matches and
every file it lists is present and unchanged
(:func:`runspine.engine.verify.reusable`).

Bookkeeping never blocks a build: a manifest that is unreadable, undecodable or of the
wrong shape is treated as absent (one warning line naming it) and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

from runspine.engine import verify
from runspine.engine.cache import package_versions
from runspine.engine.jobs import Job, Outcome
from runspine.engine.publish import RECORD
from runspine.files import atomic_write_text


def read_manifest(reports_dir: Path) -> dict:
    """The manifest, or an empty one when it is missing, unreadable or of the wrong
    shape (then one warning line; the build rewrites it)."""
    return verify.read_bookkeeping(reports_dir / "manifest.json", _manifest_shape_problem) \
        or {"notebooks": {}}


def _manifest_shape_problem(data) -> str:
    if not isinstance(data, dict):
        return "not a JSON object"
    notebooks = data.get("notebooks", {})
    if not isinstance(notebooks, dict):
        return "'notebooks' is not an object"
    for stem, entry in notebooks.items():
        if not isinstance(entry, dict):
            return f"entry '{stem}' is not an object"
    if not isinstance(data.get("sweeps", {}), dict):
        return "'sweeps' is not an object"
    return ""


GOOD_KEYS = ("notebook", "parameters", "input_hashes", "cache_key", "package_versions",
             "files")


def sync_manifest(manifest: dict, reports_dir: Path) -> None:
    """Make the manifest describe exactly the reports on disk (their ``build.json``).

    An entry whose report is missing or was replaced (an interrupted build published it,
    a crash lost it) is rewritten from what is there; a report on disk with no entry
    gets one. A report without a valid record is left out of the good ones (rebuilt).
    """
    entries = manifest.setdefault("notebooks", {})
    for stem in sorted(set(entries) | {p.parent.name for p in reports_dir.glob(f"*/{RECORD}")}):
        record = verify.read_record(reports_dir / stem)
        good = {**{k: record.get(k) for k in GOOD_KEYS}, "report": f"{stem}/report.html"} \
            if record else None
        # a report with no entry is taken as one whose entry says its report went missing
        entry = entries.get(stem, {"status": "missing", "message": "", "timing": {}})
        if entry.get("status") == "ok":
            if good is None:  # the report is gone or unrecorded: nothing good is on disk
                entries[stem] = {k: v for k, v in entry.items() if k not in GOOD_KEYS
                                 and k != "report"} | {"status": "missing", "reused": False}
            elif any(entry.get(k) != good[k] for k in ("cache_key", "files")):
                entries[stem] = {**entry, **good, "reused": False}
        elif good is None:
            entry.pop("last_good", None)
        elif entry.get("status") == "missing":  # (never has a last_good)
            entries[stem] = {**entry, **good, "status": "ok", "reused": False}
        elif any((entry.get("last_good") or {}).get(k) != good[k] for k in ("cache_key", "files")):
            entry["last_good"] = good


def update_manifest(manifest: dict, job: Job, out: Outcome) -> None:
    entries = manifest.setdefault("notebooks", {})
    old = entries.get(job.stem, {})
    if out.status == "reused":
        old["reused"] = True
        old.setdefault("timing", {})["duration_s"] = 0.0
        entries[job.stem] = old
        return
    entry = {"notebook": f"notebooks/{job.path.name}", "parameters": job.values,
             "status": out.status, "reused": False, "input_hashes": job.input_hashes,
             "package_versions": package_versions(), "message": out.message,
             "timing": {"duration_s": round(out.duration_s, 3)}}
    # an ok entry's cache key, report and files come from its build.json (sync_manifest,
    # which always follows); a failed one keeps what the previous good report was built from
    if out.status == "failed" and (old.get("status") == "ok" or old.get("last_good")):
        entry["last_good"] = old.get("last_good") or {
            k: old.get(k) for k in (*GOOD_KEYS, "report")}
    entries[job.stem] = entry


def write_manifest_and_index(manifest: dict, reports_dir: Path) -> None:
    from runspine.site.index import render_claims_page, render_glossary_page, render_index

    manifest["notebooks"] = dict(sorted(manifest.get("notebooks", {}).items()))
    manifest["schema"] = "runspine-manifest/1"
    for name in ("manifest.json", "index.html", "claims.html", "consistency.html",
                 "glossary.html"):
        if (reports_dir / name).is_dir() and not (reports_dir / name).is_symlink():
            shutil.rmtree(reports_dir / name, ignore_errors=True)  # in the way: rewritten
    atomic_write_text(reports_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    from runspine.site.consistency import page_inputs, render_consistency_page

    inputs = page_inputs(manifest, reports_dir)  # None: no page (before the index: it links it)
    if inputs is not None:
        _write_unless_unchanged(reports_dir / "consistency.html",
                                lambda: render_consistency_page(manifest, reports_dir), inputs)
    trusted = {stem: verify.readable(reports_dir / stem,
                                     f"not shown (rebuild it with 'runspine run {stem}')")
               for stem in manifest["notebooks"]}
    atomic_write_text(reports_dir / "index.html",
                      render_index(manifest, reports_dir, trusted))
    atomic_write_text(reports_dir / "claims.html",
                      render_claims_page(manifest, reports_dir, trusted))
    _write_unless_unchanged(reports_dir / "glossary.html", render_glossary_page,
                            glossary_inputs())


def glossary_inputs() -> str:
    """What the glossary page is made of: ``data/glossary.csv``, ``data/references.bib``
    and the package code (hashed)."""
    from runspine.engine.cache import code_state
    from runspine.project import Project

    data = Project.current().data_dir
    h = hashlib.sha256(code_state().encode())
    for name in ("glossary.csv", "references.bib"):
        try:
            h.update(hashlib.sha256((data / name).read_bytes()).digest())
        except OSError:
            h.update(b"-")
    return h.hexdigest()


def _write_unless_unchanged(page: Path, render, inputs: str) -> None:
    """Write ``render()`` to ``page`` unless the page on disk was written from the same
    ``inputs`` and is as it was written (its key and hash in ``.cache/<stem>.key``): a
    rebuild that changes nothing renders nothing."""
    record = page.parent / ".cache" / f"{page.stem}.key"  # not *.html: no page
    try:
        key, digest = record.read_text(encoding="utf-8").split()
        if key == inputs and hashlib.sha256(page.read_bytes()).hexdigest() == digest:
            return
    except (OSError, ValueError):
        pass
    html = render()
    atomic_write_text(page, html)
    with contextlib.suppress(OSError):  # no record: rendered again next time
        record.parent.mkdir(exist_ok=True)
        atomic_write_text(record, f"{inputs} {hashlib.sha256(html.encode()).hexdigest()}\n")
