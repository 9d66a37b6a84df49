"""The driver: one asyncio event loop runs several notebooks at once.

Each notebook is a task (:func:`runspine.engine.execute.execute`) that starts its own
kernel (forked from the build's one template), runs its cells with nbclient's async
client and renders its report in a thread. At most ``width`` kernels run at a time: a
task holds one of ``width`` slots (a semaphore) while its kernel runs, and renders and
publishes after giving it up, while the next notebook's kernel starts; the others wait
in the loop and never start once the build is stopped.

Ctrl-C and SIGTERM are handled by the loop (``loop.add_signal_handler``), never inside
whatever Python code happens to run (a finalizer, a library's clean-up): the first one
cancels every task, each task kills its kernel and drops its staging directory, and
:class:`Interrupted` is raised once all have finished; later ones are ignored. Nothing
is published after the signal: a task publishes between two awaits, so the loop sees the
signal either before the renames or after them.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Self, TypeVar

T = TypeVar("T")
R = TypeVar("R")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The build was stopped by ``signum`` (every task has cleaned up)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def drive(items: Iterable[T], width: int, run_one: Callable[[T, Any], Awaitable[R]],
          on_done: Callable[[T, R], None], at_start: Callable[[], None] | None = None) -> None:
    """``run_one(item, slot)`` for every item, in one event loop, each holding ``slot``
    (``async with slot``: one of ``width`` places) while it uses a kernel;
    ``on_done(item, result)`` as each finishes (in the loop's thread). Raises
    :class:`Interrupted` on Ctrl-C or SIGTERM, after every task has cleaned up.

    Work the build needs later: ``at_start()``, once, in a thread, as the loop starts
    (while the first kernels start); finished before this returns; what it raises is
    ignored (the build does the work itself when it needs it)."""
    work = _drive(list(items), max(1, width), run_one, on_done, at_start)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop runs in this thread
        asyncio.run(work)
        return
    # called from a running loop (a Jupyter kernel, an async caller): a loop of our own in
    # another thread (which takes no signals: the caller's loop keeps its own handling)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="runspine-driver") as pool:
        pool.submit(asyncio.run, work).result()


async def _drive(items, width, run_one, on_done, at_start) -> None:
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(width)
    received: list[int] = []
    started = [loop.run_in_executor(None, at_start)] if at_start else []

    async def one(item, slot):
        on_done(item, await run_one(item, slot))

    tasks = [asyncio.ensure_future(one(item, Slot(gate))) for item in items]

    def stop(signum: int) -> None:
        if not received:
            received.append(signum)
            for task in tasks:
                task.cancel()

    # SIGINT and SIGTERM go to stop, then back to their handlers (main thread only: an
    # in-process caller in another thread keeps its own handling)
    main = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS} if main else {}
    for sig in previous:
        loop.add_signal_handler(sig, stop, sig)
    try:
        done = await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*started, return_exceptions=True)
    finally:
        for sig, handler in previous.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
    if received:
        raise Interrupted(received[0])
    for result in done:  # a defect, not a notebook's failure (those are outcomes)
        if isinstance(result, BaseException):
            raise result


class Slot:
    """A task's turn at one of the driver's ``width`` places (``async with slot``);
    ``started`` is when it first got it (:func:`time.monotonic`), so its duration does
    not count the time it waited."""

    def __init__(self, gate: asyncio.Semaphore) -> None:
        self.gate = gate
        self.started: float | None = None

    async def __aenter__(self) -> Self:
        await self.gate.acquire()
        self.started = self.started or time.monotonic()
        return self

    async def __aexit__(self, *exc) -> None:
        self.gate.release()
