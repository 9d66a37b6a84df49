"""The worker pool: spawned processes that start their kernel at once, run jobs,
stop cleanly on SIGTERM or when the driver dies, and never outlive their build."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from runspine.engine.execute import execute, interrupted, mark_interrupted, prestart, shutdown
from runspine.engine.jobs import Job, Outcome
from runspine.engine.messages import say_outcome
from runspine.engine.owner import STAGING, own_entry, target_of


def skip_unused_format_checkers() -> None:
    """Keep jsonschema from loading the optional ``rfc3987_syntax`` package in runspine's
    own processes (driver and workers; kernels are untouched).

    When it is installed (JupyterLab pulls it in), importing jsonschema compiles about 40
    grammars for its IRI format checks: about 1.2 s of CPU per process. Neither
    nbformat's nor frictionless's schemas use those formats, so the checks are unused.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: import raises ImportError


def _worker_init() -> None:
    """Pool workers: ignore the terminal's Ctrl-C (the driver decides), turn SIGTERM
    into ``KeyboardInterrupt`` so a worker kills its kernel and drops its staging, and
    stop the same way when the driver dies (killed with SIGKILL, say), so no worker,
    template or kernel outlives its build."""
    import signal

    skip_unused_format_checkers()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _install_unraisable_hook()
    _start_redelivery()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    _watch_parent(os.getppid())


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Send this process SIGTERM once ``parent`` is no longer its parent process.

    A daemon thread polls ``os.getppid()`` (portable across POSIX systems, unlike
    Linux's ``PR_SET_PDEATHSIG``); the signal handler then runs in the main thread. The
    template follows on its own when this worker's end of its socket closes, and kills
    its kernels.
    """
    import signal
    import threading

    def poll() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        _WORKER["orphaned"] = True
        os.kill(os.getpid(), signal.SIGTERM)  # a busy worker stops its kernel first
        time.sleep(30)
        os._exit(1)  # cleanup hung: go anyway

    threading.Thread(target=poll, name="runspine-parent-watch", daemon=True).start()


_WORKER = {"busy": False, "orphaned": False, "stopping": False}
_REDELIVER = threading.Event()  # set: an interrupt Python could not raise waits for delivery


class WorkerInterrupt(KeyboardInterrupt):
    """The ``KeyboardInterrupt`` a pool worker's SIGTERM handler raises (its own class,
    so it can be told apart from any other when Python cannot propagate it)."""


def _raise_interrupt(signum, frame):
    """SIGTERM in a pool worker. A busy worker raises :class:`WorkerInterrupt` once, so
    :func:`execute` stops its kernel and drops its staging; an idle (or still starting)
    one stops its template and exits at once. Later SIGTERMs (the driver's ``stop_pool``,
    then the parent watch when the driver exits) change nothing: the clean-up runs to
    its end. An interrupt that Python could not raise (it landed in a finalizer) is
    raised again: see :func:`_swallowed`."""
    if not interrupted():  # (a SIGTERM landing inside Event.set would deadlock on its lock)
        mark_interrupted()  # from now on this worker starts and publishes nothing
    if _inside(frame, _swallowed.__code__):  # raising here would print: raise it later
        _REDELIVER.set()
        return
    if _WORKER["stopping"]:
        return
    _WORKER["stopping"] = True
    if _WORKER["busy"]:
        _REDELIVER.clear()
        raise WorkerInterrupt  # execute() stops its kernel and drops its staging
    try:
        shutdown()  # an idle (or still starting) worker has only its template to stop
    finally:
        os._exit(0)  # whatever a half-started template raised: the worker is done


def _inside(frame, code) -> bool:
    """True when ``code`` runs in ``frame`` or one of its callers."""
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def _install_unraisable_hook() -> None:
    """Make :func:`_swallowed` this process's ``sys.unraisablehook``; it passes every
    other unraisable exception on to the hook it replaces."""
    if sys.unraisablehook is not _swallowed:
        _WORKER["previous_hook"] = sys.unraisablehook
        sys.unraisablehook = _swallowed


def _swallowed(unraisable) -> None:
    """``sys.unraisablehook`` of a pool worker.

    When SIGTERM lands while the main thread runs a ``__del__``, the cycle collector or
    a weakref callback, the handler's :class:`WorkerInterrupt` cannot propagate: Python
    would print "Exception ignored in ..." with a traceback, and the interrupt would be
    lost (the worker would run its notebook on). Instead nothing is printed and the
    re-delivery thread (:func:`_start_redelivery`) signals the main thread again once
    this hook has returned.
    """
    if isinstance(unraisable.exc_value, WorkerInterrupt):
        _WORKER["stopping"] = False  # it stopped nothing: the next SIGTERM raises it
        _REDELIVER.set()
        return
    _WORKER.get("previous_hook", sys.__unraisablehook__)(unraisable)


def _start_redelivery(delay: float = 0.005) -> None:
    """Start the thread that delivers an interrupt again: while :data:`_REDELIVER` is set,
    it sends the main thread SIGTERM every ``delay`` seconds. A real signal (not
    ``_thread.interrupt_main``) also wakes a main thread blocked in a system call. The
    handler clears the event when it raises (outside the hook): if that one is lost
    too, the hook sets it again."""
    import signal

    main = threading.main_thread().ident

    def redeliver() -> None:
        while True:
            _REDELIVER.wait()
            time.sleep(delay)  # let the main thread leave the hook (it cannot raise there)
            if _REDELIVER.is_set():
                with contextlib.suppress(OSError):
                    signal.pthread_kill(main, signal.SIGTERM)

    threading.Thread(target=redeliver, name="runspine-redeliver", daemon=True).start()


def execute_in_worker(job: Job, reports_dir: Path) -> Outcome:
    """Run one job in this worker. A worker told to stop (SIGTERM) never takes another
    job: the pool's queue already holds more than the running ones, so it exits instead
    of returning to the pool's loop."""
    if interrupted():
        _exit_now(1)
    _WORKER["busy"] = True
    try:
        return execute(job, reports_dir)
    finally:
        _WORKER["busy"] = False
        if _WORKER["orphaned"] or interrupted():
            _exit_now(1)  # the build is over: nobody will read a result


def _exit_now(code: int) -> None:
    shutdown()
    os._exit(code)


def _warm_up(warm: bool = False) -> None:
    """Worker start-up, done while the driver validates the data: the imports every
    notebook run needs, and (with ``warm``) the kernel template, which imports the
    scientific stack once and forks each notebook's kernel. The template is stopped
    when the worker exits."""
    _worker_init()
    try:
        if warm:  # launched first: it imports while this worker does
            prestart()
        import nbconvert  # noqa: F401
        import papermill  # noqa: F401
    except KeyboardInterrupt:  # stopped while starting: the driver has said it already
        _exit_now(1)


def start_pool(workers: int, warm: bool = True) -> ProcessPoolExecutor:
    """A spawned worker pool whose processes start (and import) right away; with
    ``warm``, each also starts its kernel template."""
    import multiprocessing
    import signal

    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_warm_up,
                               initargs=(warm,))
    # Workers start with Ctrl-C ignored (inherited through exec), so a Ctrl-C while one
    # is still importing cannot print its traceback; the driver's own handler returns
    # as soon as they are spawned.
    # A SIGTERM (sent to the driver alone) waits until they are spawned: raised in the
    # middle of writing a worker's start-up data, it left that worker reading a cut pipe
    # (EOFError traceback); it is raised again right after.
    held: list[int] = []
    main = in_main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    previous_term = signal.signal(signal.SIGTERM, lambda s, f: held.append(s)) if main else None
    try:
        for _ in range(workers):  # spawn now, not at the first submit
            pool.submit(time.sleep, 0)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
        if held:
            signal.raise_signal(held[0])
    return pool


def in_main_thread() -> bool:
    """True in the main thread (the only one that may set signal handlers)."""
    return threading.current_thread() is threading.main_thread()


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now: SIGTERM (each kills its kernel and template), then
    SIGKILL."""
    import signal

    procs = list((pool._processes or {}).values())  # no public handle on the processes
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()


def run_parallel(pool: ProcessPoolExecutor, todo: list[Job], reports_dir: Path,
                  outcomes: list[Outcome], say) -> None:
    """Run jobs in the worker pool; on interruption stop the workers cleanly.

    A worker that dies (killed by the OOM killer, say) breaks the whole pool: the pool
    stops the other workers and fails every unfinished job. Instead, the notebooks the
    dead worker was running (those whose staging directory it left behind) fail with one
    line, and the others run again in a new pool. When no culprit can be told (the worker
    died outside any notebook), every unfinished notebook fails with that line.
    """
    from concurrent.futures.process import BrokenProcessPool

    width = pool._max_workers  # no public accessor; the pool was started this wide
    total, pending = len(todo), list(todo)
    try:
        while pending:
            futures = {pool.submit(execute_in_worker, job, reports_dir): job
                       for job in pending}
            try:
                for fut in as_completed(futures):
                    out = fut.result()
                    outcomes.append(out)
                    say_outcome(say, out, len(outcomes), total)
                pending = []
            except BrokenProcessPool:
                done = {o.stem for o in outcomes}
                left = [job for job in pending if job.stem not in done]
                stop_pool(pool)  # the survivors drop their staging directories and exit
                lost = _jobs_left_in_staging(reports_dir, left) or left
                for job in lost:
                    out = Outcome(job.stem, "failed", 0.0, f"{job.stem}: {WORKER_DIED}")
                    outcomes.append(out)
                    say_outcome(say, out, len(outcomes), total)
                gone = {job.stem for job in lost}
                pending = [job for job in left if job.stem not in gone]
                if pending:
                    pool = start_pool(min(width, len(pending)), warm=True)
    except BaseException:
        stop_pool(pool)
        raise
    # every result is in: the idle workers stop their templates and exit at once on SIGTERM
    # (a normal shutdown would also tear down each worker's interpreter, ~0.15 s)
    stop_pool(pool)


WORKER_DIED = "the worker process running it died (killed, crashed or out of memory)"


def _jobs_left_in_staging(reports_dir: Path, jobs: list[Job]) -> list[Job]:
    """The jobs among ``jobs`` whose staging directory a dead worker left behind (a
    worker stopped with SIGTERM removes its own), after which the staging area is
    cleaned up (:func:`runspine.engine.publish.recover`; it also restores a report the
    dead worker was swapping in)."""
    from runspine.engine.publish import recover

    staging = reports_dir / STAGING
    left = {target_of(entry.name) for entry in staging.iterdir()
            if entry.is_dir() and own_entry(entry.name)} if staging.is_dir() else set()
    recover(reports_dir)
    return [job for job in jobs if job.stem in left]
