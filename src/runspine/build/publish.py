"""Publishing: atomic swaps of finished reports, recovery after a crash, the build
lock, and the manifest (with the index and claims pages written beside it)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path

from runspine.build.cache import package_versions
from runspine.build.jobs import Job, Outcome, UsageError


def write_atomic(path: Path, text: str) -> None:
    from runspine.notebook.results import atomic_write_text

    atomic_write_text(path, text)


KEEP_SUBDIRS = ("sweep",)  # built by other commands; carried over when a report is replaced


def publish(staging: Path, target: Path) -> None:
    """Swap a finished staging directory in place of ``target`` (renames only).

    Sub-directories that other commands own (``sweep/``) move into the new report
    first. A crash between the renames is undone by :func:`recover`.
    """
    trash = target.parent / ".trash" / f"{target.name}.{uuid.uuid4().hex[:8]}"
    trash.parent.mkdir(parents=True, exist_ok=True)
    failed_old = target / "failed.ipynb"
    if target.exists():
        if failed_old.exists():
            failed_old.unlink()
        for name in KEEP_SUBDIRS:
            if (target / name).is_dir() and not (staging / name).exists():
                os.replace(target / name, staging / name)
        os.replace(target, trash)
    os.replace(staging, target)
    shutil.rmtree(trash, ignore_errors=True)


def recover(reports_dir: Path) -> None:
    """Undo an interrupted build: restore reports a crash left in ``.trash``, rescue
    carried-over sub-directories from half-built staging directories, drop the rest."""
    trash = reports_dir / ".trash"
    staging = reports_dir / ".staging"
    if trash.exists():
        for entry in sorted(trash.iterdir()):
            target = reports_dir / entry.name.rsplit(".", 1)[0]
            if not target.exists():
                os.replace(entry, target)
            else:
                shutil.rmtree(entry, ignore_errors=True)
    if staging.exists():
        for entry in sorted(staging.iterdir()):
            target = reports_dir / entry.name.rsplit(".", 1)[0]
            for name in KEEP_SUBDIRS:
                if (entry / name).is_dir() and target.is_dir() and not (target / name).exists():
                    os.replace(entry / name, target / name)
    shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def build_lock(reports_dir: Path):
    """Hold ``reports/.lock`` for the duration of a build; fail fast if another holds it."""
    import fcntl

    reports_dir.mkdir(parents=True, exist_ok=True)
    lock_path = reports_dir / ".lock"
    with open(lock_path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"another runspine build is using {reports_dir} "
                             f"(lock {lock_path}); wait for it to finish") from None
        yield


def read_manifest(reports_dir: Path) -> dict:
    try:
        return json.loads((reports_dir / "manifest.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"notebooks": {}}


def reusable(job: Job, manifest: dict, reports_dir: Path) -> bool:
    entry = manifest.get("notebooks", {}).get(job.stem, {})
    return (entry.get("status") == "ok" and entry.get("cache_key") == job.cache_key
            and (reports_dir / job.stem / "report.html").exists())


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
    if out.status == "ok":
        entry["cache_key"] = job.cache_key
        entry["report"] = f"{job.stem}/report.html"
    elif old.get("status") == "ok" or old.get("last_good"):
        # keep what the previous good report was built from
        entry["last_good"] = old.get("last_good") or {
            k: old.get(k) for k in ("parameters", "input_hashes", "cache_key", "report")}
    entries[job.stem] = entry


def write_manifest_and_index(manifest: dict, reports_dir: Path) -> None:
    from runspine.site.index import render_claims_page, render_index

    manifest["notebooks"] = dict(sorted(manifest.get("notebooks", {}).items()))
    manifest["schema"] = "runspine-manifest/1"
    write_atomic(reports_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    write_atomic(reports_dir / "index.html", render_index(manifest, reports_dir))
    write_atomic(reports_dir / "claims.html", render_claims_page(manifest, reports_dir))
