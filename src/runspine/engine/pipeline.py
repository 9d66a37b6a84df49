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

Guarantees:

- everything that can be checked (notebook names, parameter names, types and ranges, the
  data package) is checked before any notebook runs (kernels may already be booting:
  they are stopped);
- kernels always run ``sys.executable`` (the project's interpreter), whatever
  ``python3`` kernelspec the machine has registered; every notebook runs in a new kernel
  process, forked from the build's template (which has imported the scientific stack
  and runs no notebook code), and killed with every process it started when the
  notebook ends (:mod:`runspine.engine.kernels`); ``--jobs N`` runs N notebooks at once
  in one event loop (:mod:`runspine.engine.driver`);
- a notebook's outputs are built in a staging directory and swapped in only when the run
  succeeded, so a failure never replaces the previous good report; the failed executed
  notebook is kept as ``reports/<stem>/failed.ipynb``; a report that cannot be rendered,
  or a kernel that dies, fails only the notebook concerned;
- a notebook whose inputs (its source, parameters, data files, ``src/runspine`` code and
  installed package versions) have not changed since its last good run is reused;
- one build at a time per reports directory (a lock file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runspine.engine.jobs import Job, Outcome
from runspine.engine.manifest import (
    read_manifest,
    reusable,
    sync_manifest,
    update_manifest,
    write_manifest_and_index,
)
from runspine.engine.messages import say_outcome
from runspine.engine.owner import claim
from runspine.engine.publish import build_lock, recover, signals_deferred
from runspine.project import Project


def run(jobs: list[Job], reports_dir: Path | None = None, workers: int = 1,
        force: bool = False, progress: Callable[[str], None] | None = None,
        precheck: Callable[[], None] | None = None, *, project: Project) -> list[Outcome]:
    """Run jobs (``workers`` at a time), update the manifest and the index.

    ``precheck`` (the data validation) runs before any notebook does, while the kernel
    template starts (a process of its own). If it raises, the template is stopped and
    nothing is run or written.
    """
    # a relative path means the caller's working directory (kernels run elsewhere)
    reports_dir = claim(project.reports_dir if reports_dir is None else reports_dir, project)
    say = progress or (lambda msg: None)
    with build_lock(reports_dir), project.environment():  # what the kernels inherit
        recover(reports_dir)
        manifest = read_manifest(reports_dir)
        sync_manifest(manifest, reports_dir)  # what is on disk wins (an interrupted build)
        todo, outcomes = [], []
        for job in jobs:
            if not force and reusable(job, manifest, reports_dir):
                outcomes.append(Outcome(job.stem, "reused"))
                say(f"reused   {job.stem} (inputs unchanged)")
            else:
                todo.append(job)
        total, width = len(todo), min(workers, len(todo))
        by_stem = {j.stem: j for j in jobs}
        if todo:  # (a no-change rebuild imports none of the kernel machinery)
            from runspine.engine.driver import drive
            from runspine.engine.execute import execute, prestart, shutdown

            prestart()  # the template imports while the data is validated
        try:
            if precheck is not None:
                precheck()
        except BaseException:  # bad data: nothing runs, nothing is written
            if todo:
                shutdown()
            raise
        if todo:
            say(f"running {total} notebook(s), {width} at a time")

        def done(job: Job, out: Outcome) -> None:
            outcomes.append(out)
            say_outcome(say, out, len(outcomes) - (len(jobs) - total), total)

        try:
            if todo:
                drive(todo, width, lambda job, slot: execute(job, reports_dir, slot), done)
        finally:  # also on interruption: record what finished
            with signals_deferred():  # a second Ctrl-C cannot cut the bookkeeping short
                if todo:
                    shutdown()  # the template, and any kernel it still runs
                for out in outcomes:
                    update_manifest(manifest, by_stem[out.stem], out)
                recover(reports_dir)  # staging an interruption left behind
                sync_manifest(manifest, reports_dir)  # the manifest says what is on disk
                write_manifest_and_index(manifest, reports_dir)
    order = {j.stem: i for i, j in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.stem])
