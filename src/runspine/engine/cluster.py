"""The Dask back-end of a sweep: each point a future on an existing cluster, and what
the cluster does wrong said in one line.

:func:`execute` submits one task per point and hands each result to the sweep as it
comes. A worker that dies while it runs a point (``distributed.KilledWorker``, once the
scheduler's ``allowed-failures`` retries are spent) fails that point alone, with a
message naming the worker; the other points go on. A scheduler lost mid-sweep (killed,
its machine gone) stops the sweep with :class:`ClusterLost` (exit 2, one line saying how
many points did not run; every point published before is kept, and the next sweep
reuses it). Nothing of Dask's own logging reaches the terminal meanwhile: its client
logs the lost connection as an error, which would be a second line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Hashable, Iterator

from runspine.engine.jobs import UsageError


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


def worker_died(exc) -> dict:
    """The result of a point whose worker died running it (a :class:`KilledWorker`: its
    ``last_worker`` and ``allowed_failures``, as distributed >= 2024.1 gives them)."""
    return {"failure": f"its Dask worker ({exc.last_worker.address}) died while running "
                       f"it; tried on {exc.allowed_failures + 1} worker(s)",
            "files": {}, "duration_s": 0.0}


def execute(client, function: Callable[[dict], dict], payloads: dict[Hashable, dict],
            on_result: Callable[[Hashable, dict], None]) -> None:
    """Run ``function(payload)`` for each point on the cluster and call ``on_result(key,
    result)`` as each ends (see the module doc); the client is closed when it is lost."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker, as_completed

    with quiet_dask():
        futures = {client.submit(function, payload, pure=False): key
                   for key, payload in payloads.items()}
        left = len(futures)
        for future in as_completed(futures, loop=client.loop):
            try:
                result = future.result()
            except KilledWorker as exc:
                result = worker_died(exc)
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
            on_result(futures[future], result)
