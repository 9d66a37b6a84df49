"""The build: run planned jobs (in parallel when asked), reuse what is unchanged,
update the manifest and the index.

Contract (read by later tools; keep the names)::

    reports/index.html                      links every study report
    reports/manifest.json                   per notebook: parameters, status, timing,
                                            input hashes, package versions
    reports/<stem>/report.html              code hidden, parameters as a header
    reports/<stem>/executed.ipynb           the executed notebook (the log)
    reports/<stem>/results.json             recorded results
    reports/<stem>/tables/<name>.csv        tidy tables

Guarantees (each kept by the module named):

- names, parameters and the data package are checked before any notebook runs
  (:mod:`~runspine.engine.plan`, then ``precheck``; a booting template is stopped);
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

from collections.abc import Callable
from pathlib import Path

from runspine.engine.jobs import Job, Outcome, longest_first
from runspine.engine.manifest import (
    read_manifest,
    sync_manifest,
    update_manifest,
    write_manifest_and_index,
)
from runspine.engine.publish import build_lock, recover, signals_deferred
from runspine.engine.verify import reusable
from runspine.project import Project


def run(jobs: list[Job], reports_dir: Path, workers: int, force: bool,
        progress: Callable[[str], None] | None, precheck: Callable[[], None], *,
        project: Project) -> list[Outcome]:
    """Run jobs (``workers`` at a time) into ``reports_dir`` (claimed by the caller,
    :func:`runspine.engine.owner.claim`), update the manifest and the index.

    ``precheck`` (the data validation) runs before any notebook does, while the kernel
    template starts (a process of its own). If it raises, the template is stopped and
    nothing is run or written.
    """
    say = progress or (lambda msg: None)
    with build_lock(reports_dir), project.environment():  # what the kernels inherit
        recover(reports_dir)
        manifest = read_manifest(reports_dir)
        sync_manifest(manifest, reports_dir)  # what is on disk wins (an interrupted build)
        todo, outcomes = [], []
        for job in jobs:
            entry = manifest["notebooks"].get(job.stem, {})
            if not force and reusable(entry, reports_dir / job.stem, job.cache_key):
                outcomes.append(Outcome(job.stem, "reused"))
                say(f"reused   {job.stem} (inputs unchanged)")
            else:
                todo.append(job)
        todo = longest_first(todo, {stem: e.get("timing", {}).get("duration_s") for stem, e
                                    in manifest["notebooks"].items()
                                    if e.get("status") == "ok"})
        if todo:  # (a no-change rebuild imports none of the kernel machinery)
            from runspine.engine.driver import drive
            from runspine.engine.execute import execute
            from runspine.engine.template import start_template, stop_template
            from runspine.site.consistency import prepare as prepare_pages
            from runspine.site.report import prepare as prepare_reports

            start_template()  # it imports while the data is validated
        try:
            precheck()
        except BaseException:  # bad data: nothing runs, nothing is written
            if todo:
                stop_template(unless_kept=True)
            raise
        if todo:
            say(f"running {len(todo)} notebook(s), {min(workers, len(todo))} at a time")

        def done(job: Job, out: Outcome) -> None:
            outcomes.append(out)
            i = f"[{len(outcomes) - (len(jobs) - len(todo))}/{len(todo)}]"
            say(f"{i} ok       {out.stem} ({out.duration_s:.1f} s)" if out.status == "ok"
                else f"{i} FAILED   {out.message}")

        try:
            if todo:
                drive(todo, workers, lambda job, slot: execute(job, reports_dir, slot), done,
                      at_start=prepare_reports, when_idle=lambda: prepare_pages(reports_dir))
        finally:  # also on interruption: record what finished
            with signals_deferred():  # a second Ctrl-C cannot cut the bookkeeping short
                if todo:  # the template (not within kept_warm), and any kernel it still runs
                    stop_template(unless_kept=True)
                by_stem = {j.stem: j for j in jobs}
                for out in outcomes:
                    update_manifest(manifest, by_stem[out.stem], out)
                recover(reports_dir)  # staging an interruption left behind
                sync_manifest(manifest, reports_dir)  # the manifest says what is on disk
                write_manifest_and_index(manifest, reports_dir)
    order = {j.stem: i for i, j in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.stem])
