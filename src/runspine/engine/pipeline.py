"""The build: run planned jobs (in parallel when asked), reuse what is unchanged,
update the manifest and the index. A sweep is the same build of its points, published
under ``reports/<stem>/sweep/`` with its book, ``sweep.json``, and a summary
(:mod:`~runspine.engine.manifest`); on Dask, :mod:`~runspine.engine.cluster` runs them.

Contract (read by later tools; keep the names)::

    reports/index.html                      links every study report
    reports/manifest.json                   per notebook: parameters, status, timing,
                                            input hashes, package versions
    reports/<stem>/report.html              code hidden, parameters as a header
    reports/<stem>/executed.ipynb           the executed notebook (the log)
    reports/<stem>/results.json             recorded results
    reports/<stem>/tables/<name>.csv        tidy tables
    reports/<stem>/sweep/<point>/           a sweep point's report, the same files
    reports/<stem>/sweep/summary.{csv,html} one row per point; sweep.json: its book

Guarantees (each kept by the module named):

- names, parameters and the data package are checked before any notebook runs
  (:mod:`~runspine.engine.plan`, then :func:`check_data_once`; a booting template is
  stopped);
- every notebook runs in a new kernel process of ``sys.executable`` (whatever kernelspec
  the machine has), forked from the build's template and killed with every process it
  started (:mod:`~runspine.engine.kernels`); ``--jobs N`` runs N at once in one event
  loop (:mod:`~runspine.engine.driver`);
- outputs are staged and swapped in only when the run succeeded: a failure (a cell, a
  dead kernel, a report that cannot be rendered) fails only its notebook, keeps the
  previous good report and leaves ``<stem>/failed.ipynb`` (:mod:`~runspine.engine.publish`);
- a notebook whose inputs are unchanged since its last good run is reused
  (:mod:`~runspine.engine.cache`); one build at a time per reports directory (a lock).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from runspine.data import check_package
from runspine.engine.cluster import connect_dask, run_points
from runspine.engine.jobs import BuildResult, Job, Outcome, UsageError, longest_first
from runspine.engine.manifest import (
    read_book,
    sync,
    update,
    write_book,
    write_manifest_and_index,
    write_summary,
)
from runspine.engine.owner import STAGING, TRASH, claim
from runspine.engine.publish import build_lock, recover, remove, signals_deferred
from runspine.engine.verify import reusable
from runspine.files import atomic_write_text, clear_the_way, read_regular
from runspine.project import Project
from runspine.text import warn


def build(project: Project, jobs: list[Job], reports: str | os.PathLike | None,
          workers: int, force: bool, progress: Callable[[str], None] | None,
          scheduler: str | None = None) -> BuildResult:
    """Run jobs (``workers`` at a time; the points of one sweep on the Dask cluster at
    ``scheduler`` when given) into the reports directory ``reports`` (claimed first,
    :func:`runspine.engine.owner.claim`), update the bookkeeping and the pages.

    The data package is validated (:func:`check_data_once`) before any notebook runs,
    while the kernel template starts (a process of its own); if it is invalid, the
    template is stopped and nothing is run or written.
    """
    most = 4 * (os.cpu_count() or 1)  # kernels at once, each holding the scientific stack
    if not 1 <= workers <= most:
        raise UsageError(f"--jobs must be from 1 to {most} (4 per core), not {workers}")
    say = progress or (lambda msg: None)
    reports_dir = claim(reports, project)  # before anything is written
    points = bool(jobs) and bool(jobs[0].point)
    home = reports_dir / jobs[0].stem / "sweep" if points else reports_dir
    book_path = home / ("sweep.json" if points else "manifest.json")
    dask = connect_dask(scheduler) if scheduler else contextlib.nullcontext()
    with dask as client, build_lock(reports_dir), project.environment():  # client: closed
        recover(reports_dir)
        clear_the_way(reports_dir, [reports_dir / ".cache", *(home / n for n in (
            STAGING, TRASH, *(j.name for j in jobs)))], [reports_dir / n for n in (
            "manifest.json", "index.html", "claims.html", "consistency.html", "glossary.html")]
            + [home / n for n in ("sweep.json", "summary.csv", "summary.html") if points], warn)
        recover(home)  # (a sweep's; nothing to do when it does not exist yet)
        book = read_book(book_path)
        entries = book["points" if points else "notebooks"]
        sync(entries, home)  # what is on disk wins (an interrupted build)
        todo, outcomes = [], []
        for job in jobs:
            if not force and reusable(entries.get(job.name, {}), home / job.name,
                                      job.cache_key):
                outcomes.append(Outcome(job.name, "reused"))
            else:
                todo.append(job)
        todo = longest_first(todo, {name: e.get("timing", {}).get("duration_s") for name, e
                                    in entries.items() if e.get("status") == "ok"})
        where = "" if not todo else " on the Dask cluster" if client is not None else \
            f", {min(workers, len(todo))} at a time"
        label = f"sweep {jobs[0].stem}: {len(jobs)} point(s)" if points else \
            f"{len(jobs)} notebook(s)"
        if todo and client is None:  # (a no-change rebuild imports no kernel machinery)
            from runspine.engine.driver import drive
            from runspine.engine.execute import execute
            from runspine.engine.template import start_template, stop_template
            from runspine.site.consistency import prepare as prepare_pages
            from runspine.site.report import prepare as prepare_reports

            start_template()  # it imports while the data is validated
        try:
            check_data_once(jobs, reports_dir, project)
        except BaseException:  # bad data: nothing runs, nothing is written
            if todo and client is None:
                stop_template(unless_kept=True)
            raise
        say(f"{label}, {len(outcomes)} reused, running {len(todo)}{where}")

        def done(job: Job, out: Outcome) -> None:
            outcomes.append(out)
            i = f"[{len(outcomes) - (len(jobs) - len(todo))}/{len(todo)}]"
            say(f"{i} ok       {out.name} ({out.duration_s:.1f} s)" if out.status == "ok"
                else f"{i} FAILED   {out.message}")

        try:
            if todo and client is not None:  # a dead worker, a lost scheduler: one line
                home.mkdir(parents=True, exist_ok=True)
                run_points(client, todo, project.root, home, done)
            elif todo:
                drive(todo, workers, lambda job, slot: execute(job, home, slot), done,
                      lambda: (prepare_reports(), prepare_pages(reports_dir, project, jobs)))
        finally:  # also on interruption: record what finished
            with signals_deferred():  # a second Ctrl-C cannot cut the bookkeeping short
                if todo and client is None:  # the template (not within kept_warm), and
                    stop_template(unless_kept=True)  # any kernel it still runs
                by_name = {j.name: j for j in jobs}
                for out in outcomes:
                    update(entries, by_name[out.name], out)
                recover(home)  # staging an interruption left behind
                sync(entries, home)  # the book says what is on disk
                if points:
                    home.mkdir(parents=True, exist_ok=True)
                    write_book(book, book_path)
                    status = {o.name: o.status for o in outcomes}
                    digest = write_summary(home, jobs, status)
                    book = read_book(reports_dir / "manifest.json")
                    book.setdefault("sweeps", {})[jobs[0].stem] = {
                        "summary": f"{jobs[0].stem}/sweep/summary.html", "points": len(jobs),
                        "failed": sum(s == "failed" for s in status.values()), "sha256": digest}
                write_manifest_and_index(book, reports_dir)
    order = {j.name: i for i, j in enumerate(jobs)}
    return BuildResult(reports_dir, sorted(outcomes, key=lambda o: order[o.name]),
                       home / "summary.html" if points else None)


def check_data_once(jobs: list[Job], reports: Path, project: Project) -> None:
    """Validate the project's data package unless these exact bytes were validated before
    by this code in this environment (key kept in ``<reports>/.cache/validated``)."""
    key = ":".join(jobs[0].input_hashes[k] for k in ("data", "code", "environment")) if jobs else ""
    marker = reports / ".cache" / "validated"
    try:
        if key and read_regular(marker).decode("utf-8").strip() == key:
            return
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:  # bookkeeping never blocks a build: rewritten
        warn(f"{marker}: unreadable ({type(exc).__name__}); treated as absent and rewritten")
        remove(marker)
    check_package(project.datapackage)
    if key:
        with contextlib.suppress(OSError):  # an unwritable directory: said by the run
            atomic_write_text(marker, key + "\n")
