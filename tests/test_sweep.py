"""``runspine sweep``: one report per grid point, a summary table, reuse, failures kept
per point, and the same command on a Dask cluster."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

STEM = "00_probe"


def summary_rows(reports: Path) -> list[dict]:
    with open(reports / STEM / "sweep" / "summary.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_point_names_are_file_safe_and_follow_the_grid_order():
    from runspine.parameters import point_name

    assert point_name({"value": 2.5, "fail": False}) == "value=2.5__fail=false"
    assert point_name({"paces": [70.0, 85.0], "label": "a b/c"}) == "paces=70-85__label=a_b_c"
    # past 200 characters: cut, and told apart by a hash of the whole
    path = "/tmp/" + "d" * 200
    long_a = point_name({"file": path, "fail": True})
    long_b = point_name({"file": path, "fail": False})
    assert len(long_a) == len(long_b) == 200 and long_a != long_b
    assert long_a.startswith("file=_tmp_ddd") and long_a[183] == "~"


def test_sweep_runs_every_point_writes_a_summary_and_reuses_unchanged_points(scratch, tmp_path,
                                                                            main_in):
    reports = scratch / "reports"
    assert main_in("run", "--reports", str(reports), root=scratch).returncode == 0
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1.0, 2.5]\nfail: [false, true]\n")
    proc = main_in("sweep", STEM, "--grid", str(grid), "--reports", str(reports),
                   "--jobs", "2", root=scratch)
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
                                        "points": 4, "failed": 2,
                                        "sha256": hashlib.sha256(html.encode()).hexdigest()}

    # the default report is untouched by the sweep and a rebuild keeps the sweep
    again = main_in("run", "--reports", str(reports), "--force", "-p", "value", "3",
                    root=scratch)
    assert again.returncode == 0, again.stderr
    assert (sweep / "value=2.5__fail=false" / "report.html").exists()
    assert 'href="00_probe/sweep/summary.html"' in (reports / "index.html").read_text()

    ok_grid = tmp_path / "ok.yaml"
    ok_grid.write_text("value: [1.0, 2.5]\nfail: false\n")
    # every point reused: decided before any kernel starts
    rerun = main_in("sweep", STEM, "--grid", str(ok_grid), "--reports", str(reports),
                    root=scratch)
    assert rerun.returncode == 0, rerun.stderr
    assert "2 point(s), 2 reused, running 0" in rerun.stderr


@pytest.fixture
def dask_cluster():
    import distributed  # in requirements.lock (dev extra): a missing package is a failure

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")  # any free port: no clash
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.mark.slow
def test_sweep_on_a_dask_cluster(scratch, tmp_path, dask_cluster, main_in):
    reports = scratch / "reports"
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [0.5, 4]\n")
    proc = main_in("sweep", STEM, "--grid", str(grid), "--reports", str(reports),
                   "--backend", "dask", "--scheduler", dask_cluster.scheduler_address,
                   root=scratch)
    assert proc.returncode == 0, proc.stderr
    assert "running 2 on the Dask cluster" in proc.stderr
    rows = {r["point"]: r for r in summary_rows(reports)}
    assert {k: float(r["value"]) for k, r in rows.items()} == {"value=0.5": 0.5, "value=4": 4.0}
    for name in rows:
        assert (reports / STEM / "sweep" / name / "report.html").exists()


@pytest.mark.slow
def test_a_long_lived_dask_worker_runs_the_new_code_after_an_edit(scratch, tmp_path,
                                                                  monkeypatch, capsys):
    """The worker's kernel template is keyed by the code and the installed distributions:
    after a code edit, the same long-lived worker forks kernels that import the new code,
    and the point records the key of what the worker ran (its code, its data)."""
    import shutil
    import sys

    import distributed
    import nbformat
    from nbformat.v4 import new_code_cell

    import runspine
    from runspine.cli import main
    from runspine.engine.cache import tree_hash

    # the worker imports runspine from a copy the test may edit (the driver keeps its own);
    # its sys.path is the driver's (multiprocessing), its kernels' come from PYTHONPATH
    copy = tmp_path / "site" / "runspine"
    shutil.copytree(Path(runspine.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("__pycache__"))
    results_py = copy / "notebook" / "results.py"
    source = results_py.read_text(encoding="utf-8")
    results_py.write_text(source + "\nCODE_VERSION = 1\n", encoding="utf-8")
    nb_path = scratch / "notebooks" / f"{STEM}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(new_code_cell("results.record('code_version', "
                                  "getattr(results, 'CODE_VERSION', 0))"))
    nb.cells[-1]["id"] = "version"
    nbformat.write(nb, nb_path)
    monkeypatch.setenv("PYTHONPATH", str(copy.parent))
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [2]\n")
    reports = tmp_path / "reports"
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")  # any free port: no clash
    try:
        with distributed.Client(cluster, set_as_default=False) as client:
            client.run(lambda path: sys.path.insert(0, path), str(copy.parent))
        seen = []
        for version in (1, 2):
            results_py.write_text(source + f"\nCODE_VERSION = {version}\n", encoding="utf-8")
            code = main(["--project", str(scratch), "sweep", STEM, "--grid", str(grid),
                         "--reports", str(reports), "--backend", "dask",
                         "--scheduler", cluster.scheduler_address])
            assert code == 0, capsys.readouterr().err
            (row,) = summary_rows(reports)
            seen.append(float(row["code_version"]))
            state = json.loads((reports / STEM / "sweep" / "sweep.json").read_text())
            entry = state["points"]["value=2"]
            files = [p for p in copy.rglob("*") if p.is_file()
                     and p.suffix in (".py", ".j2", ".json", ".css", ".js")]
            assert entry["input_hashes"]["code"] == tree_hash(files, copy)  # the worker's
        workers = cluster.scheduler_info["workers"]
        assert len(workers) == 1  # the same worker process ran both sweeps
    finally:
        cluster.close()
    assert seen == [1.0, 2.0]


def test_a_sweep_json_of_the_previous_format_is_read_and_its_points_reused(scratch, tmp_path,
                                                                           main_in):
    """``sweep.json`` as sweeps wrote it before it took the manifest's format (entries with
    ``grid``, without ``files``): read without a warning, each entry re-derived from its
    point's ``build.json``, every point reused and the file rewritten in the new format."""
    reports = scratch / "reports"
    grid = tmp_path / "grid.yaml"
    grid.write_text("value: [1.0, 2.5]\n")
    args = ("sweep", STEM, "--grid", str(grid), "--reports", str(reports))
    assert main_in(*args, root=scratch).returncode == 0
    state = reports / STEM / "sweep" / "sweep.json"
    new = json.loads(state.read_text())
    old = {"schema": "runspine-sweep/1", "notebook": STEM, "points": {
        name: {"parameters": e["parameters"], "grid": {"value": e["parameters"]["value"]},
               "status": "ok", "message": "", "timing": e["timing"],
               "cache_key": e["cache_key"], "input_hashes": e["input_hashes"]}
        for name, e in new["points"].items()}}
    assert all("files" in e for e in new["points"].values())  # (the new format)
    state.write_text(json.dumps(old))
    proc = main_in(*args, root=scratch)
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr and "2 point(s), 2 reused, running 0" in proc.stderr
    rewritten = json.loads(state.read_text())["points"]
    assert {k: v["files"] for k, v in rewritten.items()} == \
        {k: v["files"] for k, v in new["points"].items()}
