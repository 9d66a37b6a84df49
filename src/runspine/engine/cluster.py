"""The Dask back-end of a sweep: each point a future on an existing cluster, and what
the cluster does wrong said in one line.

:func:`run_points` submits one task per point (:func:`run_point`: a worker, possibly on
another machine with runspine installed, executes it in a temporary directory and
returns its files) and publishes each result as it comes: only the driver writes into
``reports/``. A worker that dies while it runs a point (``distributed.KilledWorker``,
once the scheduler's ``allowed-failures`` retries are spent) fails that point alone,
with a message naming the worker; the other points go on. A scheduler lost mid-sweep
(killed, its machine gone) stops the sweep with :class:`ClusterLost` (exit 2, one line
saying how many points did not run; every point published before is kept, and the next
sweep reuses it). Nothing of Dask's own logging reaches the terminal meanwhile: its
client logs the lost connection as an error, which would be a second line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from runspine.engine.jobs import Job, Outcome, UsageError


class ClusterLost(UsageError):
    """The Dask scheduler went away during the sweep (exit 2)."""


@contextlib.contextmanager
def quiet_dask() -> Iterator[None]:
    """Dask's loggers silenced while the block runs (then as they were). Each that has a
    level of its own (``distributed.client`` has) is set, not only their parent."""
    loggers = [logging.getLogger("distributed"), *(
        logger for name, logger in list(logging.Logger.manager.loggerDict.items())
        if name.startswith("distributed.") and isinstance(logger, logging.Logger))]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in levels:
            logger.setLevel(level)


def connect_dask(scheduler: str):
    """A client of an existing Dask cluster; :class:`UsageError` if it cannot be reached."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--backend dask needs the 'distributed' package "
                         "(pip install 'dask[distributed]')") from None
    try:
        return Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        text = str(exc).strip().splitlines()
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: "
                         f"{text[0] if text else type(exc).__name__}") from None


def run_point(payload: dict) -> dict:
    """Execute one sweep point (``payload``: its job, the notebook's bytes, the driver's project
    root) in a temporary directory, in a Dask worker, and return its files and the key of what ran
    here: this machine's data, code and distributions. The worker's kernel template is kept for the
    next point, and replaced when the code or the installed distributions change."""
    import asyncio
    import os
    import tempfile
    import time
    from dataclasses import replace

    from runspine.engine.cache import cache_key, input_hashes, shared_hashes
    from runspine.engine.execute import run_notebook
    from runspine.inputs import skip_unused_format_checkers
    from runspine.project import Project

    skip_unused_format_checkers()
    if Path(payload["root"]).is_dir():
        os.environ["RUNSPINE_ROOT"] = payload["root"]
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="runspine-point-") as tmp:
        job, out = payload["job"], Path(tmp) / "out"
        nb_path = Path(tmp) / job.path.name
        nb_path.write_bytes(payload["notebook"])  # the driver's bytes
        hashes = input_hashes(nb_path, shared_hashes(Project.current().root))
        job = replace(job, path=nb_path, cache_key=cache_key(job.values, hashes),
                      input_hashes=hashes)
        failure = asyncio.run(run_notebook(job, out))  # its own kernel
        files = {str(f.relative_to(out)): f.read_bytes()
                 for f in sorted(out.rglob("*")) if f.is_file()}  # (none if it never ran)
    return {"failure": failure, "files": files, "duration_s": time.monotonic() - start,
            "cache_key": job.cache_key, "input_hashes": hashes}


def run_points(client, jobs: list[Job], root: Path, home: Path,
               on_done: Callable[[Job, Outcome], None]) -> None:
    """Run each point of ``jobs`` on the cluster (:func:`run_point`), publish each result
    as ``home/<point>`` as it ends, and call ``on_done(job, outcome)`` (see the module
    doc); the client is closed when it is lost."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker, as_completed

    from runspine.engine.execute import settle
    from runspine.engine.owner import STAGING, scratch_entry

    with quiet_dask():
        futures = {client.submit(run_point, {"job": job, "notebook": job.path.read_bytes(),
                                             "root": str(root)}, pure=False): job
                   for job in jobs}
        left = len(futures)
        for future in as_completed(futures, loop=client.loop):
            try:
                result = future.result()
            except KilledWorker as exc:  # (last_worker, allowed_failures: distributed 2024.1)
                result = {"failure": f"its Dask worker ({exc.last_worker.address}) died while "
                          f"running it; tried on {exc.allowed_failures + 1} worker(s)",
                          "files": {}, "duration_s": 0.0}
            except CancelledError as exc:  # the client cancels every future it loses
                address = getattr(getattr(client, "scheduler", None), "address", None)
                with contextlib.suppress(Exception):
                    client.close(timeout=10)
                reason = getattr(exc, "reason", None) or "cancelled"
                raise ClusterLost(
                    f"lost the Dask scheduler{' at ' + address if address else ''} during "
                    f"the sweep ({reason}): {left} of {len(futures)} point(s) not run; the "
                    "points already published are kept, run the sweep again to finish"
                ) from None
            left -= 1
            job = futures[future]
            # the key of what the worker ran (its data, code, environment; none if it died)
            job.cache_key = result.get("cache_key", job.cache_key)
            job.input_hashes = result.get("input_hashes", job.input_hashes)
            staging = scratch_entry(home / STAGING, job.name)
            for rel, data in result["files"].items():
                (staging / rel).parent.mkdir(parents=True, exist_ok=True)
                (staging / rel).write_bytes(data)
            on_done(job, settle(job, staging, result["failure"], home / job.name,
                                result["duration_s"]))
