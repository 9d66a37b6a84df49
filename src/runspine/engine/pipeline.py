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
  process, forked from its worker's template (which has imported the scientific stack
  and runs no notebook code), and killed with every process it started when the
  notebook ends (:mod:`runspine.engine.kernels`);
- a notebook's outputs are built in a staging directory and swapped in only when the run
  succeeded, so a failure never replaces the previous good report; the failed executed
  notebook is kept as ``reports/<stem>/failed.ipynb``; a report that cannot be rendered,
  or a worker process that dies, fails only the notebook concerned (the others in a dead
  worker's pool run again in a new one);
- a notebook whose inputs (its source, parameters, data files, ``src/runspine`` code and
  installed package versions) have not changed since its last good run is reused;
- one build at a time per reports directory (a lock file).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runspine.engine.execute import execute, prestart, shutdown
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
from runspine.engine.workers import run_parallel, start_pool, stop_pool
from runspine.project import Project


def run(jobs: list[Job], reports_dir: Path | None = None, workers: int = 1,
        force: bool = False, progress: Callable[[str], None] | None = None,
        precheck: Callable[[], None] | None = None, *, project: Project) -> list[Outcome]:
    """Run jobs (in parallel when ``workers`` > 1), update the manifest and the index.

    ``precheck`` (the data validation) runs before any notebook does, while the workers
    (or, with one, this process) start their kernel templates. If it raises, they are
    stopped and nothing is run or written.
    """
    # a relative path means the caller's working directory (kernels run elsewhere)
    reports_dir = claim(project.reports_dir if reports_dir is None else reports_dir, project)
    say = progress or (lambda msg: None)
    with build_lock(reports_dir), project.environment():  # what the workers inherit
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
        total = len(todo)
        by_stem = {j.stem: j for j in jobs}
        pool = (start_pool(min(workers, total), warm=True)
                if workers > 1 and total > 1 else None)
        try:
            if pool is None and todo:  # this process runs them: start its template meanwhile
                prestart()
            if precheck is not None:
                precheck()
        except BaseException:
            if pool is not None:
                stop_pool(pool)
            shutdown()
            raise
        if todo:
            say(f"running {total} notebook(s) with {min(workers, total)} worker(s)")
        try:
            if pool is not None:
                run_parallel(pool, todo, reports_dir, outcomes, say)
            else:
                for i, job in enumerate(todo, start=1):
                    say(f"[{i}/{total}] {job.stem} ...")
                    out = execute(job, reports_dir)
                    outcomes.append(out)
                    say_outcome(say, out, i, total)
        finally:  # also on interruption: record what finished (workers are stopped)
            with signals_deferred():  # a second Ctrl-C cannot cut the bookkeeping short
                shutdown()  # the sequential path's template (none in the driver otherwise)
                for out in outcomes:
                    update_manifest(manifest, by_stem[out.stem], out)
                recover(reports_dir)  # staging left by stopped workers
                sync_manifest(manifest, reports_dir)  # the manifest says what is on disk
                write_manifest_and_index(manifest, reports_dir)
    order = {j.stem: i for i, j in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.stem])
