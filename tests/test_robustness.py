"""The runner under stress: interruption, time limits, parameter files, HTML in data,
and the publish / recover protocol."""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


def test_params_file_values_apply_and_command_line_wins(scratch, tmp_path):
    reports = scratch / "reports"
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("value: 3.5\n")
    assert run_in(scratch, "run", "--reports", str(reports), "--params",
                  str(yaml_file)).returncode == 0
    assert results_of(reports, STEM)["value"]["value"] == 3.5
    proc = run_in(scratch, "run", "--reports", str(reports), "--params", str(yaml_file),
                  "-p", "value", "4")
    assert proc.returncode == 0, proc.stderr
    assert results_of(reports, STEM)["value"]["value"] == 4.0


def test_notebook_metadata_sets_its_own_time_limit(tmp_path):
    from conftest import probe_notebook

    root = make_scratch(tmp_path / "proj")
    probe_notebook(root / "notebooks" / f"{STEM}.ipynb", metadata={"time_limit": 3})
    start = time.monotonic()
    proc = run_in(root, "run", "--reports", str(root / "reports"), "-p", "sleep_s", "600")
    assert time.monotonic() - start < 60
    assert proc.returncode == 1
    assert "cell 4 (time.sleep(sleep_s)) stopped at the notebook time limit of 3 s" in proc.stderr
    # the command-line option overrides the notebook's own limit
    proc = run_in(root, "run", "--reports", str(root / "reports"), "-p", "sleep_s", "4",
                  "--time-limit", "120")
    assert proc.returncode == 0, proc.stderr


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
                     expected_kernels: int) -> tuple[subprocess.Popen, list[int]]:
    """Start a forced build whose kernels sleep in cell 4; return once every kernel has
    written its process id (or kill the build and fail, with its stderr)."""
    env = dict(os.environ, RUNSPINE_ROOT=str(root))
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
def test_interrupted_build_keeps_reports_and_the_next_run_recovers(tmp_path, sig, jobs):
    stems = (STEM, "09_probe")
    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    assert run_in(root, "run", "--reports", str(reports), "-p", "value", "2.5",
                  "--jobs", "2").returncode == 0
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
    assert not any(reports.glob(".staging/*")) and not any(reports.glob(".trash/*"))

    again = run_in(root, "run", "--reports", str(reports), "-p", "value", "7", "--jobs", "2")
    assert again.returncode == 0 and "2 built" in again.stderr, again.stderr
    for s in stems:
        assert results_of(reports, s)["value"]["value"] == 7.0


@pytest.mark.slow
def test_a_killed_driver_leaves_no_worker_or_kernel_behind(tmp_path):
    """``kill -9`` of the driver (no chance to clean up): its workers notice, stop their
    kernels and exit, so nothing keeps running or holds the terminal; previous reports
    are untouched and the next run builds."""
    stems = (STEM, "09_probe")
    root = make_scratch(tmp_path / "proj", stems)
    reports = root / "reports"
    assert run_in(root, "run", "--reports", str(reports), "--jobs", "2").returncode == 0
    good = {s: files_of(reports, s) for s in stems}

    proc, kernels = start_slow_build(root, reports, tmp_path / "kernels.txt", 2, 2)
    workers = [pid for pid in children_of(proc.pid)
               if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
    assert len(workers) == 2, workers
    proc.kill()  # the driver alone, as the OOM killer or kill -9 would
    try:
        proc.communicate(timeout=60)  # EOF only once the workers have exited too
    except subprocess.TimeoutExpired:
        kill_group(proc)
        pytest.fail("workers kept the driver's output pipes open after it was killed")
    finally:
        kill_group(proc)
    assert_gone(workers, "worker")
    assert_gone(kernels, "kernel")
    for s in stems:
        assert files_of(reports, s) == good[s], f"{s} changed"
    again = run_in(root, "run", "--reports", str(reports), "-p", "value", "7", "--jobs", "2")
    assert again.returncode == 0 and "2 built" in again.stderr, again.stderr


def test_html_and_javascript_in_data_strings_are_rendered_inert(scratch):
    payload = "<script>alert('runspine')</script><img src=x onerror=alert(1)>"
    claims = scratch / "data" / "claims.csv"
    with open(claims, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    rows[1][header.index("claim")] = f"Claim with {payload}"
    rows[1][header.index("article")] = payload
    with open(claims, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    reports = scratch / "reports"
    proc = run_in(scratch, "run", "--reports", str(reports), "-p", "table", "claims")
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
    from runspine.build.publish import publish, recover

    reports = tmp_path / "reports"
    target = reports / STEM
    (target / "sweep" / "p1").mkdir(parents=True)
    (target / "report.html").write_text("old")
    (target / "sweep" / "p1" / "report.html").write_text("point")
    staging = reports / ".staging" / f"{STEM}.abcd1234"
    staging.mkdir(parents=True)
    (staging / "report.html").write_text("new")
    publish(staging, target)
    assert (target / "report.html").read_text() == "new"
    assert (target / "sweep" / "p1" / "report.html").read_text() == "point"

    # crash after the old report went to .trash and the sweep into staging
    staging = reports / ".staging" / f"{STEM}.ef567890"
    staging.mkdir(parents=True)
    (staging / "report.html").write_text("newer")
    os.replace(target / "sweep", staging / "sweep")
    (reports / ".trash").mkdir(exist_ok=True)
    os.replace(target, reports / ".trash" / f"{STEM}.0000aaaa")
    recover(reports)
    assert (target / "report.html").read_text() == "new"
    assert (target / "sweep" / "p1" / "report.html").read_text() == "point"
    assert not (reports / ".staging").exists()
    assert not any((reports / ".trash").iterdir())


def test_list_and_help_document_the_limits_and_sweep(cli):
    help_text = cli("run", "--help").stdout
    assert "--time-limit" in help_text and "--timeout" in help_text
    sweep_help = cli("sweep", "--help").stdout
    for word in ("--grid", "--backend", "--scheduler", "joblib", "dask"):
        assert word in sweep_help
    top = cli("--help").stdout
    assert "sweep" in top
    assert "exit codes: 0" in top.lower()
