"""``runspine sweep``: one report per grid point, a summary table, reuse, failures kept
per point, and the same command on a Dask cluster."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from conftest import run_in

STEM = "00_probe"


def summary_rows(reports: Path) -> list[dict]:
    with open(reports / STEM / "sweep" / "summary.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_point_names_are_file_safe_and_follow_the_grid_order():
    from runspine.engine.sweep import point_name

    assert point_name({"value": 2.5, "fail": False}) == "value=2.5__fail=false"
    assert point_name({"paces": [70.0, 85.0], "label": "a b/c"}) == "paces=70-85__label=a_b_c"


def test_sweep_runs_every_point_writes_a_summary_and_reuses_unchanged_points(scratch, tmp_path):
    reports = scratch / "reports"
    assert run_in(scratch, "run", "--reports", str(reports)).returncode == 0
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1.0, 2.5]\nfail: [false, true]\n")
    proc = run_in(scratch, "sweep", STEM, "--grid", str(grid), "--reports", str(reports),
                  "--jobs", "2")
    assert proc.returncode == 1, proc.stderr  # the two fail=true points fail
    failed = [ln for ln in proc.stderr.splitlines() if ln.startswith("runspine: failed:")]
    assert len(failed) == 2 and all("cell 6 (if fail:) raised RuntimeError" in ln
                                    for ln in failed)
    sweep = reports / STEM / "sweep"
    rows = {r["point"]: r for r in summary_rows(reports)}
    assert list(rows) == ["value=1__fail=false", "value=1__fail=true",
                          "value=2.5__fail=false", "value=2.5__fail=true"]
    for name, value in (("value=1__fail=false", 1.0), ("value=2.5__fail=false", 2.5)):
        assert rows[name]["status"] == "ok"
        assert float(rows[name]["value"]) == value  # the value the point recorded
        res = json.loads((sweep / name / "results.json").read_text())
        assert res["value"]["value"] == value
        assert (sweep / name / "report.html").exists()
    assert rows["value=1__fail=true"]["status"] == "failed"
    assert (sweep / "value=1__fail=true" / "failed.ipynb").exists()
    html = (sweep / "summary.html").read_text()
    assert 'href="value=2.5__fail=false/report.html"' in html
    index = (reports / "index.html").read_text()
    assert f'href="{STEM}/sweep/summary.html"' in index
    manifest = json.loads((reports / "manifest.json").read_text())
    assert manifest["sweeps"][STEM] == {"summary": f"{STEM}/sweep/summary.html",
                                        "points": 4, "failed": 2}

    # the default report is untouched by the sweep and a rebuild keeps the sweep
    again = run_in(scratch, "run", "--reports", str(reports), "--force", "-p", "value", "3")
    assert again.returncode == 0, again.stderr
    assert (sweep / "value=2.5__fail=false" / "report.html").exists()
    assert 'href="00_probe/sweep/summary.html"' in (reports / "index.html").read_text()

    ok_grid = tmp_path / "ok.yaml"
    ok_grid.write_text("value: [1.0, 2.5]\nfail: false\n")
    rerun = run_in(scratch, "sweep", STEM, "--grid", str(ok_grid), "--reports", str(reports))
    assert rerun.returncode == 0, rerun.stderr
    assert "2 point(s), 2 reused, running 0" in rerun.stderr


@pytest.fixture
def dask_cluster():
    import distributed  # in requirements.lock (dev extra): a missing package is a failure

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.mark.slow
def test_sweep_on_a_dask_cluster(scratch, tmp_path, dask_cluster):
    reports = scratch / "reports"
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [0.5, 4]\n")
    proc = run_in(scratch, "sweep", STEM, "--grid", str(grid), "--reports", str(reports),
                  "--backend", "dask", "--scheduler", dask_cluster.scheduler_address)
    assert proc.returncode == 0, proc.stderr
    assert "running 2 with dask" in proc.stderr
    rows = {r["point"]: r for r in summary_rows(reports)}
    assert {k: float(r["value"]) for k, r in rows.items()} == {"value=0.5": 0.5, "value=4": 4.0}
    for name in rows:
        assert (reports / STEM / "sweep" / name / "report.html").exists()
