"""The driver (runspine.engine.driver): N tasks at a time in one event loop, in process.

Its signal handling is tested in a subprocess (tests/test_robustness.py: a SIGTERM
landing in a finalizer); builds through it everywhere else.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from runspine.engine.driver import drive


def _recorder(width_seen: list[int], delay: float = 0.02):
    running = []

    async def run_one(item, slot):
        async with slot:
            running.append(item)
            width_seen.append(len(running))
            await asyncio.sleep(delay * (item % 3 + 1))
            running.remove(item)
        await asyncio.sleep(delay)  # after the slot: the next item's turn meanwhile
        return item * 10

    return run_one


@pytest.mark.parametrize("width", [1, 2, 5])
def test_every_item_runs_holding_one_of_width_slots(width):
    seen, done = [], []
    drive(range(7), width, _recorder(seen), lambda item, result: done.append((item, result)))
    assert sorted(done) == [(i, i * 10) for i in range(7)]
    assert max(seen) == min(width, 7)


def test_nothing_to_run_is_a_no_op():
    done = []
    drive([], 2, _recorder([]), lambda item, result: done.append(item))
    assert done == []


def test_a_defect_in_one_task_is_raised_after_the_others_finish():
    done = []

    async def run_one(item, slot):
        await asyncio.sleep(0.01 * item)
        if item == 1:
            raise ValueError("a bug, not a notebook's failure")
        return item

    with pytest.raises(ValueError, match="a bug"):
        drive(range(4), 4, run_one, lambda item, result: done.append(item))
    assert sorted(done) == [0, 2, 3]


def test_the_work_for_later_runs_once_in_a_thread_from_the_start_and_ends_before_drive():
    """``at_start`` (the renderer's templates, the consistency checks' statistics) runs
    once as the loop starts, in a thread, while the items run (a cold build's end then
    waits for no import: started when a place fell free, it ended about a second after
    the last notebook); ``drive`` returns only when it has finished; what it raises is
    ignored."""
    import threading
    import time

    started, calls = [], []

    async def run_one(item, slot):
        async with slot:
            started.append(item)
            await asyncio.sleep(0.05)
        return item

    def at_start():
        calls.append((threading.current_thread() is threading.main_thread(), list(started)))
        time.sleep(0.5)
        calls.append("finished")
        raise RuntimeError("ignored: the build imports what it needs itself")

    began = time.monotonic()
    drive(range(3), 2, run_one, lambda item, result: None, at_start=at_start)
    assert time.monotonic() - began >= 0.5  # it waited for at_start
    assert calls[0][0] is False  # in a thread: the loop goes on serving the kernels
    assert len(calls[0][1]) < 3  # from the start, not after the items
    assert calls[1:] == ["finished"] and started == [0, 1, 2]


def test_it_runs_from_inside_a_running_event_loop():
    """A researcher calling ``runspine.engine.run`` in a Jupyter kernel (whose event loop
    is running): the driver runs its own loop in another thread instead of failing with
    'asyncio.run() cannot be called from a running event loop'."""
    done = []

    async def caller():
        drive(range(3), 2, _recorder([]), lambda item, result: done.append(item))
        return "returned"

    assert asyncio.run(caller()) == "returned"
    assert sorted(done) == [0, 1, 2]


@pytest.mark.slow
def test_a_build_called_from_a_running_event_loop_publishes_its_report(scratch, tmp_path):
    """The same, end to end: ``runspine.engine.run`` awaited nowhere, called from a
    coroutine (as in a notebook cell), builds and publishes the probe report."""
    from runspine import engine
    from runspine.project import Project

    reports = tmp_path / "reports"

    async def caller():
        return engine.run(Project.find(scratch), ["00_probe"], {"value": "3"},
                          reports=reports)

    result = asyncio.run(caller())
    assert result.exit_code == 0, [o.message for o in result.outcomes]
    assert [o.status for o in result.outcomes] == ["ok"]
    assert "Probe notebook" in (reports / "00_probe" / "report.html").read_text("utf-8")
    assert not any(reports.glob(".runspine-staging/*"))


def test_the_longest_notebooks_start_first():
    """Longest expected first (the last good run's measured time, else the notebook's
    ``expected_s``); a notebook with neither first; ties in the selection's order.
    With six notebooks on two places, started 01-06 the last one ran alone for seconds."""
    from pathlib import Path

    from runspine.engine.jobs import Job, longest_first

    def job(stem, expected_s=None):
        return Job(stem, Path(f"{stem}.ipynb"), {}, {}, expected_s=expected_s)

    jobs = [job("01", 3.5), job("02", 3.7), job("03", 3.0), job("04", 1.3), job("05", 1.3),
            job("06", 2.3), job("07")]
    assert [j.stem for j in longest_first(jobs, {})] == \
        ["07", "02", "01", "03", "06", "04", "05"]
    measured = {"04": 9.0, "02": 0.0, "99": 5.0}  # 0.0: reused, nothing measured
    assert [j.stem for j in longest_first(jobs, measured)] == \
        ["07", "04", "02", "01", "03", "06", "05"]


def test_a_build_starts_its_longest_notebook_first(tmp_path, main_in):
    """The order reaches the build: one place, the notebook expected to take longer runs
    first; the next build in that reports directory orders by the times it measured."""
    from conftest import make_scratch, probe_notebook

    root = make_scratch(tmp_path / "proj", ("00_probe", "08_probe"))
    probe_notebook(root / "notebooks" / "08_probe.ipynb", metadata={"expected_s": 9})
    probe_notebook(root / "notebooks" / "00_probe.ipynb", metadata={"expected_s": 1})
    reports = tmp_path / "reports"

    def order(*extra):
        proc = main_in("run", "--reports", reports, "--jobs", "1", *extra, root=root)
        assert proc.returncode == 0, proc.stderr
        return [ln.split()[2] for ln in proc.stderr.splitlines() if " ok " in ln]

    assert order() == ["08_probe", "00_probe"]
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    manifest["notebooks"]["00_probe"]["timing"]["duration_s"] = 99.0  # as if measured
    (reports / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert order("--force") == ["00_probe", "08_probe"]
