"""The runner under stress: interruption, time limits, parameter files, HTML in data,
and the publish / recover protocol.

A build whose process is what a test is about (a signal, a kill, a template killed while
it starts) runs ``runspine`` in a new process; every other build, and the builds before
and after one that is interrupted, run in process (``main_in``)."""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest.mock import ANY

import pytest

from conftest import (
    ROOT,
    assert_gone,
    finish,
    kill_and_read,
    kill_group,
    make_scratch,
    results_of,
    run_in,
)

STEM = "00_probe"


def files_of(reports: Path, stem: str) -> dict[str, bytes]:
    d = reports / stem
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_params_file_values_apply_and_command_line_wins(scratch, tmp_path, main_in):
    reports = scratch / "reports"
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("value: 3.5\n")
    assert main_in("run", "--reports", str(reports), "--params", str(yaml_file),
                   root=scratch).returncode == 0
    assert results_of(reports, STEM)["value"]["value"] == 3.5
    proc = main_in("run", "--reports", str(reports), "--params", str(yaml_file),
                   "-p", "value", "4", root=scratch)
    assert proc.returncode == 0, proc.stderr
    assert results_of(reports, STEM)["value"]["value"] == 4.0


@pytest.mark.slow
def test_notebook_metadata_sets_its_own_time_limit(tmp_path, main_in):
    from conftest import probe_notebook

    root = make_scratch(tmp_path / "proj")
    probe_notebook(root / "notebooks" / f"{STEM}.ipynb", metadata={"time_limit": 3})
    # the command-line option overrides the notebook's own limit (first: this build also
    # warms the kernel template, whose start would otherwise count against the 3 s below
    # and, on a loaded machine, stop the notebook before it reached cell 4)
    proc = main_in("run", "--reports", str(root / "reports"), "-p", "sleep_s", "4",
                   "--time-limit", "120", root=root)
    assert proc.returncode == 0, proc.stderr
    start = time.monotonic()
    proc = main_in("run", "--reports", str(root / "reports"), "-p", "sleep_s", "600",
                   root=root)
    assert time.monotonic() - start < 60
    assert proc.returncode == 1
    assert "cell 4 (time.sleep(sleep_s)) stopped at the notebook time limit of 3 s" in proc.stderr


@contextlib.contextmanager
def like_a_terminal():
    """Start children with Ctrl-C at its default, as an interactive shell does. A suite
    started in the background (``make test &``, some CI runners) inherits SIGINT
    ignored, and a process that starts with SIGINT ignored rightly keeps ignoring it.
    (A handler, unlike SIG_IGN, does not survive exec.)"""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def start_slow_build(root: Path, reports: Path, pid_file: Path, jobs: int,
                     expected_kernels: int, **env_vars: str) -> tuple[subprocess.Popen,
                                                                     list[int]]:
    """Start a forced build whose kernels sleep in cell 4; return once every kernel has
    written its process id (or kill the build and fail, with its stderr)."""
    env = dict(os.environ, RUNSPINE_ROOT=str(root), **env_vars)
    env.pop("RUNSPINE_OUTPUT_DIR", None)
    with like_a_terminal():
        proc = subprocess.Popen(
            [sys.executable, "-m", "runspine", "run", "--reports", str(reports), "--force",
             "--jobs", str(jobs), "-p", "value", "7", "-p", "sleep_s", "300",
             "-p", "pid_file", str(pid_file)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if pid_file.exists() and len(pid_file.read_text().split()) >= expected_kernels:
            time.sleep(0.5)  # inside the sleeping cell
            return proc, [int(p) for p in pid_file.read_text().split()]
        time.sleep(0.2)
    err = kill_and_read(proc)
    pytest.fail(f"{expected_kernels} kernel(s) did not start (exit {proc.returncode}): "
                f"{err[-2000:]}")


def children_of(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split(")")[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


@pytest.mark.slow
@pytest.mark.parametrize("sig, jobs", [(signal.SIGTERM, 1), (signal.SIGINT, 2)],
                         ids=["sigterm-sequential", "ctrl-c-parallel"])
def test_interrupted_build_keeps_reports_and_the_next_run_recovers(tmp_path, sig, jobs,
                                                                   main_in):
    stems = (STEM, "09_probe")
    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    assert main_in("run", "--reports", str(reports), "-p", "value", "2.5",
                   "--jobs", "2", root=root).returncode == 0
    good = {s: files_of(reports, s) for s in stems}

    proc, kernels = start_slow_build(root, reports, tmp_path / "kernels.txt", jobs,
                                     expected_kernels=jobs)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)  # Ctrl-C reaches the terminal's whole process group
    else:
        proc.send_signal(sig)
    done = finish(proc, 90)  # kills the group and fails if it does not stop

    assert done.returncode == 128 + sig, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("runspine: ")]
    assert lines == [("runspine: error: interrupted; previous reports are intact, the next "
                     "run resumes")], done.stderr
    assert "Traceback" not in done.stderr
    for s in stems:
        assert files_of(reports, s) == good[s], f"{s} changed"
    assert_gone(kernels, "kernel")
    assert not any(reports.glob(".runspine-staging/*"))
    assert not any(reports.glob(".runspine-trash/*"))

    again = main_in("run", "--reports", str(reports), "-p", "value", "7", "--jobs", "2",
                    root=root)
    assert again.returncode == 0 and "2 built" in again.stderr, again.stderr
    for s in stems:
        assert results_of(reports, s)["value"]["value"] == 7.0


@pytest.mark.slow
def test_a_killed_driver_leaves_no_template_or_kernel_behind(tmp_path, main_in):
    """``kill -9`` of the driver (no chance to clean up): its kernel template sees its
    socket close, kills the kernels it forked, removes their temporary files (sockets,
    connection file, log) and exits, so nothing keeps running, holds the terminal or is
    left in the temporary directory; previous reports are untouched and the next run
    builds."""
    stems = (STEM, "09_probe")
    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    assert main_in("run", "--reports", str(reports), "--jobs", "2", root=root).returncode == 0
    good = {s: files_of(reports, s) for s in stems}
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    proc, kernels = start_slow_build(root, reports, tmp_path / "kernels.txt", 2, 2,
                                     TMPDIR=str(tmp))
    assert len(list(tmp.glob("runspine-kernel-*"))) == 2  # (where the kernels' files are)
    templates = [pid for pid in children_of(proc.pid) if b"runspine.engine.zygote"
                 in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert len(templates) == 1, templates  # one per build, whatever --jobs
    proc.kill()  # the driver alone, as the OOM killer or kill -9 would
    try:
        proc.communicate(timeout=60)  # EOF: nothing else holds the driver's output pipes
    except subprocess.TimeoutExpired:
        kill_group(proc)
        pytest.fail("something kept the driver's output pipes open after it was killed")
    finally:
        kill_group(proc)
    assert_gone(templates, "template")
    assert_gone(kernels, "kernel")
    assert sorted(p.name for p in tmp.iterdir()) == []
    for s in stems:
        assert files_of(reports, s) == good[s], f"{s} changed"
    again = main_in("run", "--reports", str(reports), "-p", "value", "7", "--jobs", "2",
                    root=root)
    assert again.returncode == 0 and "2 built" in again.stderr, again.stderr


@pytest.mark.slow
def test_a_killed_sweep_driver_leaves_no_template_or_kernel_behind(tmp_path, main_in):
    """``kill -9`` of a local sweep's driver while two points run: within a few seconds
    neither its template nor a kernel runs (before, joblib's loky worker processes, each
    with its own template, stayed for their idle timeout); the next sweep runs every
    point."""
    root = make_scratch(tmp_path / "proj")
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1, 2, 3]\nsleep_s: [300]\n", encoding="utf-8")
    env = dict(os.environ, RUNSPINE_ROOT=str(root))
    env.pop("RUNSPINE_OUTPUT_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "runspine", "sweep", STEM, "--grid", str(grid), "--jobs", "2",
         "--reports", str(root / "reports")],
        cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        kernels: list[int] = []  # the template's children (forked kernels)
        while len(kernels) < 2:
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail(f"two kernels did not start: {kill_and_read(proc)[-2000:]}")
            time.sleep(0.2)
            kernels = [pid for pid in _descendants(proc.pid)
                       if pid not in children_of(proc.pid)]
        templates = [pid for pid in children_of(proc.pid)
                     if b"runspine.engine.zygote" in _cmdline(pid)]
        assert len(templates) == 1, templates
        proc.kill()
        proc.communicate(timeout=60)
        began = time.monotonic()
        assert_gone(templates + kernels, "template or kernel")
        assert time.monotonic() - began < 10, "a process outlived the driver for over 10 s"
    finally:
        kill_group(proc)
    quick = tmp_path / "quick.yaml"
    quick.write_text("value: [1, 2, 3]\n", encoding="utf-8")
    done = main_in("sweep", STEM, "--grid", str(quick), "--reports", str(root / "reports"),
                   "--jobs", "2", root=root)
    assert done.returncode == 0, done.stderr
    assert "3 points (0 failed)" in done.stderr, done.stderr


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = children_of(todo.pop())
        found += kids
        todo += kids
    return found


@pytest.mark.slow
def test_a_template_that_dies_while_warming_up_blames_no_notebook(tmp_path):
    """The build's kernel template killed while it imports (before any kernel exists):
    every notebook still runs, in a normally started kernel, after one notice line; none
    fails, and nothing is left running."""
    stems = (STEM, "08_probe", "09_probe")
    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    env = dict(os.environ, RUNSPINE_ROOT=str(root))
    env.pop("RUNSPINE_OUTPUT_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "runspine", "run", "--reports", str(reports), "--jobs", "2",
         "-p", "pid_file", str(tmp_path / "kernels.txt")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    killed, deadline = [], time.monotonic() + 120
    try:
        while not killed and time.monotonic() < deadline and proc.poll() is None:
            for pid in children_of(proc.pid):
                with contextlib.suppress(OSError):
                    if b"runspine.engine.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
            time.sleep(0.01)
        done = finish(proc, 300)
    finally:
        kill_group(proc)
    assert killed, "the template was not seen"
    assert done.returncode == 0, done.stderr
    assert "3 built, 0 reused, 0 failed" in done.stderr, done.stderr
    assert "runspine: starting kernels normally (no warm template: the template died " \
        "during its start)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "failed:" not in done.stderr, done.stderr
    assert_gone([int(p) for p in (tmp_path / "kernels.txt").read_text().split()], "kernel")


def test_html_and_javascript_in_data_strings_are_rendered_inert(scratch, main_in):
    from conftest import probe_notebook

    probe_notebook(scratch / "notebooks" / f"{STEM}.ipynb", table=True)
    payload = "<script>alert('runspine')</script><img src=x onerror=alert(1)>"
    claims = scratch / "data" / "claims.csv"
    with open(claims, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    rows[1][header.index("claim")] = f"Claim with {payload}"
    rows[1][header.index("words")] = f"Words with {payload}"
    with open(claims, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    articles = scratch / "data" / "articles.csv"  # the article label readers see
    with open(articles, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        row[rows[0].index("label")] = payload
    with open(articles, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    reports = scratch / "reports"
    proc = main_in("run", "--reports", str(reports), "-p", "table", "claims", root=scratch)
    assert proc.returncode == 0, proc.stderr
    pages = {"report": (reports / STEM / "report.html").read_text(),
             "claims": (reports / "claims.html").read_text(),
             "index": (reports / "index.html").read_text()}
    for name in ("report", "claims"):
        assert "&lt;script&gt;alert(" in pages[name], name
    for name, html in pages.items():
        assert "<script>alert(" not in html, name
        assert "<img src=x" not in html and "<img src=\"x\"" not in html, name


# --------------------------------------------------------------------------- publish/recover

def test_publish_keeps_the_sweep_directory_and_recover_undoes_a_crash(tmp_path):
    from runspine.engine.owner import STAGING, TRASH
    from runspine.engine.publish import publish, recover

    reports = tmp_path / "reports"
    target = reports / STEM
    (target / "sweep" / "p1").mkdir(parents=True)
    (target / "report.html").write_text("old")
    (target / "sweep" / "p1" / "report.html").write_text("point")
    staging = reports / STAGING / f"{STEM}.abcd1234"
    staging.mkdir(parents=True)
    (staging / "report.html").write_text("new")
    publish(staging, target)
    assert (target / "report.html").read_text() == "new"
    assert (target / "sweep" / "p1" / "report.html").read_text() == "point"

    # crash after the old report went to the trash and the sweep into staging
    staging = reports / STAGING / f"{STEM}.ef567890"
    staging.mkdir(parents=True)
    (staging / "report.html").write_text("newer")
    os.replace(target / "sweep", staging / "sweep")
    (reports / TRASH).mkdir(exist_ok=True)
    os.replace(target, reports / TRASH / f"{STEM}.0000aaaa")
    # entries runspine did not name are not its own: left alone
    (reports / TRASH / "notes").mkdir()
    (reports / STAGING / "keep.txt").write_text("mine")
    recover(reports)
    assert (target / "report.html").read_text() == "new"
    assert (target / "sweep" / "p1" / "report.html").read_text() == "point"
    assert sorted(p.name for p in (reports / STAGING).iterdir()) == ["keep.txt"]
    assert sorted(p.name for p in (reports / TRASH).iterdir()) == ["notes"]
    assert not (reports / "notes").exists() and not (reports / "keep.txt").exists()



def test_recover_follows_no_link_and_moves_nothing_out_of_the_reports_directory(tmp_path):
    """Recovery acts only on runspine's own entries: a link planted in a scratch area is
    neither followed nor removed, a report that is a link is not written through, and a
    name runspine never gives ('...0123abcd' would name the parent '..') is left alone
    (before: the user's sweep/ moved into the reports, one moved out beside them)."""
    from runspine.engine.owner import STAGING, TRASH
    from runspine.engine.publish import recover

    user = unrelated_directory(tmp_path / "user")
    (user / "sweep").mkdir()
    (user / "sweep" / "mine.txt").write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    reports = tmp_path / "top" / "reports"
    (reports / STAGING / "...0123abcd" / "sweep").mkdir(parents=True)
    (reports / STAGING / "..0123abcd" / "sweep").mkdir(parents=True)
    os.symlink(user, reports / STAGING / f"{STEM}.0123abcd")  # a link: never followed
    (reports / TRASH).mkdir()
    os.symlink(user, reports / TRASH / "01_gone.0123abcd")
    (reports / STAGING / "02_x.4567abcd" / "sweep").mkdir(parents=True)
    os.symlink(elsewhere, reports / "02_x")  # a report that is a link: not written through
    before = tree_of(tmp_path)
    recover(reports)
    after = tree_of(tmp_path)
    assert tree_of(user) == {k.removeprefix("user/"): v for k, v in before.items()
                             if k.startswith("user/")}
    assert not (tmp_path / "top" / "sweep").exists()  # nothing moved out beside them
    assert list(elsewhere.iterdir()) == [] and not (reports / "01_gone").exists()
    for link in (f"{STAGING}/{STEM}.0123abcd", f"{TRASH}/01_gone.0123abcd", "02_x"):
        assert after[f"top/reports/{link}"] == before[f"top/reports/{link}"], link
    for odd in ("...0123abcd", "..0123abcd"):
        assert (reports / STAGING / odd / "sweep").is_dir(), odd


def test_publish_replaces_a_report_that_is_a_link_without_touching_where_it_points(tmp_path):
    """A report directory that is a symbolic link (runspine makes none) is replaced by
    the new report; the directory it pointed to keeps its sweep/ (before: moved into
    the report) and the link does not linger in the trash area."""
    from runspine.engine.owner import STAGING, TRASH
    from runspine.engine.publish import publish

    user = unrelated_directory(tmp_path / "user")
    (user / "sweep").mkdir()
    (user / "sweep" / "mine.txt").write_text("mine")
    before = tree_of(user)
    reports = tmp_path / "reports"
    reports.mkdir()
    os.symlink(user, reports / STEM)
    staging = reports / STAGING / f"{STEM}.abcd1234"
    staging.mkdir(parents=True)
    (staging / "report.html").write_text("new")
    publish(staging, reports / STEM)
    assert tree_of(user) == before
    assert not (reports / STEM).is_symlink() and not (reports / STEM / "sweep").exists()
    assert (reports / STEM / "report.html").read_text() == "new"
    assert list((reports / TRASH).iterdir()) == []


def test_list_and_help_document_the_limits_and_sweep(main_in):
    help_text = main_in("run", "--help").stdout
    assert "--time-limit" in help_text and "--timeout" in help_text
    sweep_help = main_in("sweep", "--help").stdout
    for word in ("--grid", "--backend", "--scheduler", "local", "dask"):
        assert word in sweep_help
    top = main_in("--help").stdout
    assert "sweep" in top
    assert "exit codes: 0" in top.lower()


# ------------------------------------------------------------- robustness round 2 (issue 13)

def record_of(reports: Path, stem: str) -> dict | None:
    import json

    try:
        return json.loads((reports / stem / "build.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def assert_consistent(reports: Path, stems, allowed_values: dict) -> dict:
    """Every report directory is one complete build (its files are the ones its
    build.json lists, byte for byte, and its results say the recorded value), the value is
    one of ``allowed_values[stem]``, and the manifest describes exactly what is on disk.
    Returns the value each report holds."""
    import hashlib
    import json

    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    held = {}
    for stem in stems:
        record = record_of(reports, stem)
        assert record is not None, f"{stem}: no complete report"
        files = {str(p.relative_to(reports / stem)) for p in (reports / stem).rglob("*")
                 if p.is_file()} - {"build.json", "failed.ipynb", "failed-kernel.log"}
        assert files == set(record["files"]), f"{stem}: files differ from its record"
        for rel, sha in record["files"].items():
            assert hashlib.sha256((reports / stem / rel).read_bytes()).hexdigest() == sha
        value = record["parameters"]["value"]
        assert results_of(reports, stem)["value"]["value"] == value, stem
        assert value in allowed_values[stem], (stem, value, allowed_values[stem])
        entry = manifest["notebooks"][stem]
        good = entry if entry["status"] == "ok" else entry["last_good"]
        assert good["cache_key"] == record["cache_key"], f"{stem}: manifest disagrees"
        assert good["parameters"] == record["parameters"], f"{stem}: manifest disagrees"
        held[stem] = value
    assert not any(reports.glob(".runspine-staging/*"))
    assert not any(reports.glob(".runspine-trash/*"))
    return held


def start_build(root: Path, reports: Path, jobs: int, *params: str) -> subprocess.Popen:
    env = dict(os.environ, RUNSPINE_ROOT=str(root))
    env.pop("RUNSPINE_OUTPUT_DIR", None)
    with like_a_terminal():
        return subprocess.Popen(
            [sys.executable, "-m", "runspine", "run", "--reports", str(reports), "--force",
             "--jobs", str(jobs), *params],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)


INTERRUPTED = "runspine: error: interrupted; previous reports are intact, the next run resumes"


@pytest.mark.slow
def test_an_interrupted_build_starts_no_queued_notebook_and_repeated_ctrl_c_is_one_line(
        tmp_path, main_in):
    """Three notebooks, two workers: the third waits in the pool's queue. Ctrl-C, three
    times: the two running stop, the queued one never starts (before, a worker returned to
    the pool after its interruption and ran it), one line, exit 130, no hang."""
    stems = (STEM, "08_probe", "09_probe")
    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    assert main_in("run", "--reports", str(reports), "-p", "value", "2.5",
                   "--jobs", "2", root=root).returncode == 0
    good = {s: files_of(reports, s) for s in stems}
    pid_file = tmp_path / "kernels.txt"
    proc = start_build(root, reports, 2, "-p", "value", "7", "-p", "sleep_s", "300",
                       "-p", "pid_file", str(pid_file))
    deadline = time.monotonic() + 240
    while not (pid_file.exists() and len(pid_file.read_text().split()) >= 2):
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail(f"kernels did not start: {kill_and_read(proc)[-2000:]}")
        time.sleep(0.2)
    time.sleep(0.5)
    for _ in range(3):  # an impatient user
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.3)
    started = time.monotonic()
    done = finish(proc, 60)
    assert time.monotonic() - started < 40, "the interrupted build took too long to stop"
    assert done.returncode == 130, done.stderr
    assert [ln for ln in done.stderr.splitlines() if ln.startswith("runspine: ")] == \
        [INTERRUPTED], done.stderr
    assert "Traceback" not in done.stderr
    time.sleep(3)  # nothing may start or publish after the build is gone
    assert len(pid_file.read_text().split()) == 2, "a queued notebook started"
    for s in stems:
        assert files_of(reports, s) == good[s], f"{s} changed"
    assert_consistent(reports, stems, {s: {2.5} for s in stems})


@pytest.mark.slow
@pytest.mark.long(60)
@pytest.mark.parametrize("seed", [13, 31])
def test_randomly_interrupted_parallel_builds_never_leave_a_wrong_report(tmp_path, seed,
                                                                         main_in):
    """SIGTERM or Ctrl-C at a random moment of a parallel build, 12 times per seed (24 in
    all; two seeds so that the halves run side by side): every report directory is the
    complete old or the complete new one, and the manifest says which. The next plain run
    then reuses exactly what is right and rebuilds the rest."""
    import random

    stems = (STEM, "08_probe", "09_probe")
    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    began = time.monotonic()  # (a new process, as the builds interrupted below)
    assert run_in(root, "run", "--reports", str(reports), "-p", "value", "0",
                  "--jobs", "2").returncode == 0
    # signal times scale with this machine's speed (and load): a quiet machine finishes a
    # build before a fixed window would end, and most runs would not be interrupted
    whole = time.monotonic() - began
    held = assert_consistent(reports, stems, {s: {0.0} for s in stems})
    rng = random.Random(seed)
    interrupted = 0
    for i in range(1, 13):
        value = float(i % 10 + (i // 10) / 10)  # a new value each run, inside [0, 10]
        sig = rng.choice([signal.SIGTERM, signal.SIGINT])
        sleep = str(rng.choice([0, 0.5, 2]))
        started = time.monotonic()
        proc = start_build(root, reports, 2, "-p", "value", str(value), "-p", "sleep_s", sleep)
        at = started + rng.uniform(0.2, 0.9 * whole + 2 * float(sleep))
        while time.monotonic() < at and proc.poll() is None:
            time.sleep(0.02)
        if proc.poll() is None:
            if sig == signal.SIGINT:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        else:  # done before its signal: builds here are quicker than the first one (that
            # one also validated the data); later signals aim within this one's time
            whole = min(whole, max(0.5, time.monotonic() - started - 2 * float(sleep)))
        done = finish(proc, 90)
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode != 0:
            interrupted += 1
            assert done.returncode == 128 + sig, done.stderr
            assert [ln for ln in done.stderr.splitlines() if ln.startswith("runspine: ")] \
                == [INTERRUPTED], done.stderr
        held = assert_consistent(reports, stems, {s: {held[s], value} for s in stems})
    assert interrupted >= 6, f"only {interrupted} of 12 builds were interrupted"
    again = main_in("run", "--reports", str(reports), "-p", "value", str(value),
                    "-p", "sleep_s", sleep, "--jobs", "2", root=root)
    assert again.returncode == 0, again.stderr
    stale = sum(v != value for v in held.values())  # same value, same sleep: reusable
    assert f"{stale} built, {3 - stale} reused" in again.stderr, again.stderr
    assert_consistent(reports, stems, {s: {value} for s in stems})


@pytest.mark.slow
def test_relative_paths_mean_the_callers_directory(tmp_path, main_in):
    """``--reports`` and ``--params`` relative to where the user stands, from the project
    root (the kernel runs in notebooks/: relative paths once landed there and an empty
    report replaced the good one) and from elsewhere, spaces and non-ASCII included."""
    root = make_scratch(tmp_path / "proj")
    proc = main_in("run", f"notebooks/{STEM}.ipynb", "--reports", "reports", "-p", "value",
                   "2.5", root=root, cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert results_of(root / "reports", STEM)["value"]["value"] == 2.5
    assert not (root / "notebooks" / "reports").exists()

    elsewhere = tmp_path / "my wörk dir"
    elsewhere.mkdir()
    (elsewhere / "pärams 1.yaml").write_text("value: 4.5\n", encoding="utf-8")
    proc = main_in("run", "--reports", "rép orts", "--params", "pärams 1.yaml", root=root,
                   cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert results_of(elsewhere / "rép orts", STEM)["value"]["value"] == 4.5
    assert str(elsewhere / "rép orts" / "index.html") in proc.stderr
    assert not (root / "notebooks" / "rép orts").exists()
    (elsewhere / "grid.yaml").write_text("value: [1, 2]\n", encoding="utf-8")
    proc = main_in("sweep", STEM, "--grid", "grid.yaml", "--reports", "rép orts", "--jobs",
                   "1", root=root, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert (elsewhere / "rép orts" / STEM / "sweep" / "summary.html").exists()


@pytest.mark.slow
def test_seconds_options_accept_fractions(scratch, main_in):
    reports = scratch / "reports"
    proc = main_in("run", "--reports", str(reports), "--timeout", "2.5",
                   "--time-limit", "60.5", root=scratch)
    assert proc.returncode == 0, proc.stderr
    proc = main_in("run", "--reports", str(reports), "--force", "-p", "sleep_s", "30",
                   "--timeout", "1.5", root=scratch)
    assert proc.returncode == 1 and "per-cell limit of 1.5 s" in proc.stderr, proc.stderr


@pytest.mark.slow
def test_a_missing_report_directory_after_a_kill_is_restored(tmp_path, main_in):
    """A kill between publishing's two renames leaves the old report in the trash: the next
    build puts it back (recover) before anything else, and the manifest agrees. (That
    build reuses the restored report, so it runs in process.)"""
    root = make_scratch(tmp_path / "proj")
    reports = root / "reports"
    assert main_in("run", "--reports", str(reports), "-p", "value", "2.5",
                   root=root).returncode == 0
    good = files_of(reports, STEM)
    (reports / ".runspine-trash").mkdir(exist_ok=True)
    os.replace(reports / STEM, reports / ".runspine-trash" / f"{STEM}.deadbeef")
    # and a half-built new one
    (reports / ".runspine-staging" / f"{STEM}.cafe0000").mkdir(parents=True)
    proc = main_in("run", "--reports", str(reports), "-p", "value", "2.5", root=root)
    assert proc.returncode == 0 and "0 built, 1 reused" in proc.stderr, proc.stderr
    assert files_of(reports, STEM) == good
    assert_consistent(reports, (STEM,), {STEM: {2.5}})


def test_list_shows_allowed_values(main_in):
    out = main_in("list").stdout
    assert "tau2_method: str = 'reml'" in out and "{reml, pm, dl}" in out


# --- the driver's signal handling, at unit level (no build: each case takes ~0.3 s) ---

DRIVER_SIGNALS = r'''
import asyncio, gc, os, signal, sys, time
from runspine.engine.driver import Interrupted, drive

started, cleaned, sent = [], [], []


def spin(seconds):  # Python code, where a signal handler could run
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


class Finalized:
    def __init__(self):
        self.cycle = self

    def __del__(self):
        if len(started) == 2 and not sent:  # both running: the SIGTERM lands in here
            sent.append(1)
            os.kill(os.getpid(), signal.SIGTERM)
            spin(0.2)


async def work(i, slot):
    async with slot:
        started.append(i)
        try:
            for _ in range(300):
                obj = Finalized()
                if sys.argv[1] == "del":
                    obj.cycle = None  # freed at once: __del__ runs in this task's code
                del obj
                if sys.argv[1] == "gc":
                    gc.collect()  # ... in the cycle collector
                await asyncio.sleep(0.01)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)  # later signals: ignored, clean-up goes on
            await asyncio.sleep(0.05)
            cleaned.append(i)


t0 = time.monotonic()
try:
    drive(range(3), 2, work, lambda item, result: print("done", item, flush=True))
    print("not interrupted", flush=True)
except Interrupted as exc:
    print(f"interrupted by {exc.signum} after {time.monotonic() - t0:.2f} s; "
          f"started {sorted(started)}, cleaned {sorted(cleaned)}", flush=True)
print("handler restored:", signal.getsignal(signal.SIGTERM) == signal.SIG_DFL, flush=True)
'''


@pytest.mark.parametrize("case", ["del", "gc"])
def test_a_signal_landing_in_a_finalizer_stops_the_driver_quietly_and_once(case):
    """A SIGTERM that lands while a ``__del__`` or the cycle collector runs (before, in a
    pool worker, Python could not raise the interrupt there: it printed 'Exception
    ignored in ...' and the interrupt was lost). The driver's loop takes the signal, not
    the code it lands in: nothing is printed, both running tasks are cancelled at once
    and finish their clean-up (later signals do not cut it short), the queued one never
    starts, and the caller's handler is back afterwards."""
    proc = subprocess.run([sys.executable, "-c", DRIVER_SIGNALS, case], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith("interrupted by 15 after "), proc.stdout
    assert float(lines[0].split()[4]) < 2.5, proc.stdout  # not after the 3 s of work
    assert lines[0].endswith("started [0, 1], cleaned [0, 1]"), proc.stdout
    assert lines[1] == "handler restored: True", proc.stdout


# ------------------------------------------- a report that cannot be rendered (issue: h19)

BREAK_RESULTS = (  # results.json the report cannot render: an entry that is not a record
    "from runspine.notebook import results as _r\n"
    "(_r.output_dir() / 'results.json').write_text('{\"value\": \"not an entry\"}')")


def _built_with_a_last_cell(main_in, tmp_path, stems, jobs, code):
    """A scratch project of probe notebooks ``stems``, built once (in process) with
    ``jobs`` workers; then ``code`` is appended as a last cell of the first notebook.
    Returns the root, the reports directory, the first notebook's files and the others'
    build records."""
    import nbformat

    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    first = main_in("run", "--reports", str(reports), "--jobs", str(jobs), root=root)
    assert first.returncode == 0, first.stderr
    before = files_of(reports, stems[0])
    good_before = {s: (reports / s / "build.json").read_bytes() for s in stems[1:]}
    path = root / "notebooks" / f"{stems[0]}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code, id="last"))
    nbformat.write(nb, path)
    return root, reports, before, good_before


@pytest.mark.parametrize("jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_a_report_that_cannot_be_rendered_fails_only_its_notebook(tmp_path, jobs, main_in):
    """The notebook runs, but its report cannot be rendered from what it left: that
    notebook fails with one line (its name, the phase, the cause), its previous report
    stays byte for byte, and the others, also one run later by the same worker, are
    built and published; the manifest and index are written."""
    import json

    stems = ("00_bad", "01_good", "02_good")
    root, reports, before, good_before = _built_with_a_last_cell(main_in, tmp_path, stems,
                                                                 jobs, BREAK_RESULTS)

    proc = main_in("run", "--reports", str(reports), "--jobs", str(jobs), "--force",
                   root=root)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "runspine: error" not in proc.stderr, proc.stderr
    failed = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: failed:")]
    assert len(failed) == 1, proc.stderr
    assert failed[0].startswith("runspine: failed: 00_bad: rendering its report failed: "
                                "AttributeError"), failed[0]
    assert "2 built, 0 reused, 1 failed" in proc.stderr, proc.stderr
    assert files_of(reports, "00_bad") == {**before, "failed.ipynb": ANY}
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["notebooks"]["00_bad"]["status"] == "failed"
    for stem in stems[1:]:  # built again (a new record) and published
        assert manifest["notebooks"][stem]["status"] == "ok"
        assert (reports / stem / "build.json").read_bytes() != good_before[stem]
        assert "Probe notebook" in (reports / stem / "report.html").read_text(encoding="utf-8")
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert all(f"{stem}/report.html" in index for stem in stems)
    assert not any(reports.glob(".runspine-staging/*"))


KILL_KERNEL = (  # SIGKILL this notebook's kernel, as the OOM killer would
    "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")


@pytest.mark.slow
def test_a_kernel_that_dies_fails_only_its_notebook(tmp_path, main_in):
    """A kernel killed while it runs one notebook: that notebook fails with one line and
    keeps its previous report; the notebook running beside it, and the queued one, are
    built and published; no kernel is left behind."""
    import json

    stems = ("00_kill", "01_good", "02_good")
    root, reports, before, good_before = _built_with_a_last_cell(main_in, tmp_path, stems, 2,
                                                                 KILL_KERNEL)

    pid_file = tmp_path / "kernels.txt"  # sleep_s: 01_good runs while 00_kill's kernel dies
    proc = main_in("run", "--reports", str(reports), "--jobs", "2", "--force",
                   "-p", "sleep_s", "1", "-p", "pid_file", str(pid_file), root=root)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "runspine: error" not in proc.stderr, proc.stderr
    failed = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: failed:")]
    assert len(failed) == 1 and failed[0].startswith("runspine: failed: 00_kill: cell "), \
        proc.stderr
    assert "(import os, signal) the kernel died (killed, crashed or out " \
        "of memory); executed copy: " in failed[0], failed[0]
    # a path the user can open from where the command ran (the repository: the reports
    # are elsewhere, so absolute; it was relative to the reports' parent)
    assert failed[0].endswith(f"executed copy: {reports / '00_kill' / 'failed.ipynb'}"), \
        failed[0]
    assert "2 built, 0 reused, 1 failed" in proc.stderr, proc.stderr
    assert files_of(reports, "00_kill") == {**before, "failed.ipynb": ANY,
                                            "failed-kernel.log": ANY} \
        or files_of(reports, "00_kill") == {**before, "failed.ipynb": ANY}
    manifest = json.loads((reports / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["notebooks"]["00_kill"]["status"] == "failed"
    for stem in stems[1:]:
        assert manifest["notebooks"][stem]["status"] == "ok"
        assert (reports / stem / "build.json").read_bytes() != good_before[stem]
    assert not any(reports.glob(".runspine-staging/*"))
    assert not any(reports.glob(".runspine-trash/*"))
    assert_gone([int(p) for p in pid_file.read_text().split()], "kernel")


# --------------------------------------------------------------------------- ownership

def tree_of(top: Path) -> dict[str, tuple]:
    """Every entry under ``top``: kind, mode and bytes (or link target)."""
    out = {}
    for path in sorted(top.rglob("*")):
        rel, st = path.relative_to(top).as_posix(), path.lstat()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = ("dir", st.st_mode)
        else:
            out[rel] = ("file", st.st_mode, path.read_bytes())
    return out


def unrelated_directory(path: Path) -> Path:
    """A user's directory that happens to hold the names runspine uses for itself."""
    (path / ".staging" / "draft.1234abcd").mkdir(parents=True)
    (path / ".staging" / "draft.1234abcd" / "notes.txt").write_text("keep me")
    (path / ".trash" / "photos.0000aaaa").mkdir(parents=True)
    (path / ".trash" / "photos.0000aaaa" / "a.jpg").write_bytes(b"\xff\xd8jpeg")
    (path / "claims.html").mkdir()
    (path / "claims.html" / "inside.txt").write_text("a directory named claims.html")
    (path / "index.html").write_text("<p>my own page</p>")
    (path / "manifest.json").write_text('{"mine": true}')
    return path


def run_main(*args: str) -> int:
    from runspine.cli import main

    return main([*args])


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_unrelated_directory_given_as_reports_is_refused_and_left_untouched(
        scratch, tmp_path, capsys, command):
    user = unrelated_directory(tmp_path / "mine")
    before = tree_of(user)
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1, 2]\n")
    extra = ["--grid", str(grid)] if command == "sweep" else []
    code = run_main("--project", str(scratch), command, STEM, *extra, "--reports", str(user),
                    "--jobs", "1")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("runspine: error: "), err
    assert "not empty" in err[0] and ".runspine-reports" in err[0] and str(user) in err[0]
    assert tree_of(user) == before


@pytest.mark.parametrize("where", ["empty", "root", "home", "project", "parent", "data",
                                   "has-data", "a-file", "in-reports", "marker-a-link"])
def test_reports_directories_runspine_must_not_write_into_are_refused(
        scratch, tmp_path, capsys, monkeypatch, where):
    home = tmp_path / "home"
    home.mkdir()
    (home / "file.txt").write_text("x")
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "other" / "data").mkdir(parents=True)
    (tmp_path / "afile").write_text("not a directory")
    # another build's reports directory (its next build of a notebook would remove a
    # directory inside that notebook's report), and a marker that is a link to a marker
    # elsewhere (it made an unrelated, non-empty directory count as runspine's)
    built = tmp_path / "built"
    (built / STEM).mkdir(parents=True)
    (built / ".runspine-reports").write_text("made by runspine\n")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    (tmp_path / "mine" / ".runspine-reports").symlink_to(built / ".runspine-reports")
    given = {"empty": "", "root": "/", "home": str(home), "project": str(scratch),
             "parent": str(tmp_path), "data": str(scratch / "data" / "out"),
             "has-data": str(tmp_path / "other"), "a-file": str(tmp_path / "afile"),
             "in-reports": str(built / STEM / "mine"), "marker-a-link": str(tmp_path / "mine")
             }[where]
    said = {"empty": "empty", "root": "file-system root", "home": "home directory",
            "project": "contains the project", "parent": "contains the project",
            "data": "inside the project's data/", "has-data": "contains a data/",
            "a-file": "not a directory", "in-reports": "inside runspine's reports directory",
            "marker-a-link": "not empty"}[where]
    before = tree_of(tmp_path)
    code = run_main("--project", str(scratch), "run", STEM, "--reports", given)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and said in err[0], err
    assert tree_of(tmp_path) == before



@pytest.mark.parametrize("to", ["unrelated", "notebooks"])
def test_the_project_s_reports_as_a_link_to_another_directory_is_not_its_own(
        scratch, tmp_path, capsys, to):
    """The project's own reports/ may be written without the marker; a reports/ that is a
    symbolic link to an unrelated, non-empty directory (or to notebooks/) is that other
    directory, and is refused as any other would be (before: built into, its index.html
    replaced, exit 0)."""
    target = unrelated_directory(tmp_path / "mine") if to == "unrelated" \
        else scratch / "notebooks"
    os.symlink(target, scratch / "reports")
    before = tree_of(target)
    code = run_main("--project", str(scratch), "run", STEM, "--jobs", "1")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "not empty" in err[0], err
    assert str(scratch / "reports") in err[0]
    assert tree_of(target) == before


def test_new_empty_own_and_default_reports_directories_are_runspine_s(scratch, tmp_path):
    from runspine.engine.owner import MARKER, claim
    from runspine.engine.owner import refusal as refused
    from runspine.project import Project

    project = Project.at(scratch)
    (scratch / "reports").mkdir()
    (scratch / "reports" / "README.md").write_text("Generated by make reports")  # a clone's
    (tmp_path / "empty").mkdir()
    for reports in (tmp_path / "new" / "reports", tmp_path / "empty", scratch / "reports"):
        assert claim(reports, project) == reports
        assert (reports / MARKER).is_file()
        (reports / "index.html").write_text("built")
        assert refused(reports, project) == ""  # marked, non-empty: still its own
    assert (scratch / "reports" / "README.md").read_text() == "Generated by make reports"
    (tmp_path / "empty" / MARKER).unlink()
    assert "not empty" in refused(tmp_path / "empty", project)


# --------------------------------------------------------------------------- waits

def test_a_stopped_kernel_template_fails_the_notebook_within_its_time_limit(
        scratch, tmp_path, capsys, monkeypatch, templates_set_aside):
    """Every wait obeys --time-limit: a template that never becomes ready (here stopped
    with SIGSTOP as soon as it is spawned) fails the notebook with one line when the
    limit passes, instead of the 300 s the template's imports may take; the stopped
    template is killed."""
    from runspine.engine import template as owner

    spawned = []
    real_start = owner.Template.start

    def start_then_stop(self, env=None):
        fresh = self.proc is None
        real_start(self, env)
        if fresh and self.proc is not None:
            os.kill(self.proc.pid, signal.SIGSTOP)
            spawned.append(self.proc.pid)

    # not the session's warm one (set aside, and kept for later builds): a new template
    monkeypatch.setattr(owner.Template, "start", start_then_stop)
    monkeypatch.delenv(owner.FORK_VAR, raising=False)
    reports = tmp_path / "reports"
    start = time.monotonic()
    code = run_main("--project", str(scratch), "run", STEM, "--reports", str(reports),
                    "--jobs", "1", "--time-limit", "3")
    elapsed = time.monotonic() - start
    err = capsys.readouterr().err
    failed = [ln for ln in err.splitlines() if ln.startswith("runspine: ")]
    assert code == 1, err
    assert len(failed) == 1 and failed[0].startswith(f"runspine: failed: {STEM}: "), err
    assert "time limit of 3 s" in failed[0] and "template did not become ready" in failed[0]
    assert elapsed < 3 + 15, elapsed
    assert spawned and not (reports / STEM / "report.html").exists()
    assert_gone(spawned, "stopped template")
