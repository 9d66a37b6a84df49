"""Warm kernels: each worker runs notebook after notebook in one kernel, reset between
them. The reports must not be able to tell: a notebook sees a fresh kernel's state, and
the suite's reports are byte-identical to a build with a new kernel per notebook."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from conftest import assert_gone, make_scratch, results_of, run_cli, run_in

POLLUTE = '''import os, sys, warnings
import matplotlib
import pandas as pd
from runspine.notebook import results
leaked_global = "from the polluter"
pd.set_option("display.precision", 9)
matplotlib.rcParams["lines.linewidth"] = 7.5
os.environ["RUNSPINE_TEST_POLLUTION"] = "1"
sys.path.append("/polluted/path")
warnings.simplefilter("error")
os.chdir("/")
os.write(2, b"polluter wrote this to the kernel's stderr\\n")
results.record("polluter_only", 1)
with open(pid_file, "a") as fh:
    fh.write(f"{os.getpid()}\\n")
if fail:
    raise RuntimeError("asked to fail")'''

OBSERVE = '''import os, sys, warnings
import matplotlib
import pandas as pd
from runspine.notebook import results
results.record("recorded_before", sorted(results.recorded()))
results.record("leaked_global", "leaked_global" in globals())
results.record("precision", pd.get_option("display.precision"))
results.record("linewidth", float(matplotlib.rcParams["lines.linewidth"]))
results.record("environ", os.environ.get("RUNSPINE_TEST_POLLUTION", "unset"))
results.record("sys_path", "/polluted/path" in sys.path)
results.record("warnings_as_errors", ("error", None, Warning, None, 0) in warnings.filters)
results.record("cwd", os.path.basename(os.getcwd()))
with open(pid_file, "a") as fh:
    fh.write(f"{os.getpid()}\\n")
os.write(2, b"observer wrote this to the kernel's stderr\\n")
if fail_observer:
    raise RuntimeError("observer asked to fail")'''

PARAMS = ('pid_file: str = ""  # the kernel writes its process id here\n'
          'fail: bool = False  # the polluter raises after polluting\n'
          'fail_observer: bool = False  # the observer raises at the end\n')


def write_notebook(path: Path, code: str, metadata: dict | None = None) -> None:
    nb = new_notebook()
    params = new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [new_markdown_cell(f"# {path.stem}"), params, new_code_cell(code)]
    for i, c in enumerate(nb.cells):
        c["id"] = f"c{i}"
    nb.metadata = {"kernelspec": {"name": "runspine", "display_name": "Python (runspine)",
                                  "language": "python"},
                   "runspine": {"citation": "Test 2026", **(metadata or {})}}
    nbformat.write(nb, path)


def project(tmp_path: Path, observer_meta: dict | None = None) -> Path:
    root = make_scratch(tmp_path / "proj", ())
    write_notebook(root / "notebooks" / "00_polluter.ipynb", POLLUTE)
    write_notebook(root / "notebooks" / "01_observer.ipynb", OBSERVE, observer_meta)
    return root


def pids(pid_file: Path) -> list[int]:
    return [int(p) for p in pid_file.read_text().split()]


def build(root: Path, tmp_path: Path, name: str, *extra: str):
    pid_file = tmp_path / "kernel.pids"  # one path: it is a parameter shown in the report
    pid_file.unlink(missing_ok=True)
    reports = tmp_path / name
    proc = run_in(root, "run", "--reports", str(reports), "--jobs", "1",
                  "-p", "pid_file", str(pid_file), *extra)
    return proc, reports, pid_file


def test_a_reused_kernel_looks_fresh_to_the_next_notebook(tmp_path):
    root = project(tmp_path)
    proc, reused, pid_file = build(root, tmp_path, "reused")
    assert proc.returncode == 0, proc.stderr
    first, second = pids(pid_file)
    assert first == second, "the two notebooks did not share the worker's kernel"

    seen = {k: v["value"] for k, v in results_of(reused, "01_observer").items()}
    assert seen == {
        "leaked_global": 0.0, "precision": 6, "linewidth": 1.5, "environ": "unset",
        "sys_path": 0.0, "warnings_as_errors": 0.0, "cwd": "notebooks",
        "recorded_before": [],
    }
    executed = json.loads((reused / "01_observer" / "executed.ipynb").read_text())
    assert [c["execution_count"] for c in executed["cells"] if c["cell_type"] == "code"] \
        == [1, 2, 3]  # parameters, injected parameters, the observer: In [1] again

    proc, fresh, pid_file = build(root, tmp_path, "fresh", "--fresh-kernels")
    assert proc.returncode == 0, proc.stderr
    assert len(set(pids(pid_file))) == 2
    for stem in ("00_polluter", "01_observer"):
        for name in ("results.json", "report.html"):
            assert (reused / stem / name).read_bytes() == (fresh / stem / name).read_bytes(), \
                f"{stem}/{name} differs between a reused and a fresh kernel"


def test_after_a_failure_the_next_notebook_gets_a_new_kernel(tmp_path):
    root = project(tmp_path)
    proc, reports, pid_file = build(root, tmp_path, "failed", "-p", "fail", "true")
    assert proc.returncode == 1
    assert "00_polluter: cell 3" in proc.stderr and "asked to fail" in proc.stderr
    first, second = pids(pid_file)
    assert first != second
    assert results_of(reports, "01_observer")["linewidth"]["value"] == 1.5


def test_a_failed_notebook_keeps_only_its_own_kernel_output(tmp_path):
    root = project(tmp_path)
    proc, reports, pid_file = build(root, tmp_path, "failed", "-p", "fail_observer", "true")
    assert proc.returncode == 1 and "observer asked to fail" in proc.stderr
    first, second = pids(pid_file)
    assert first == second  # the polluter succeeded: same kernel
    log = (reports / "01_observer" / "failed-kernel.log").read_text()
    assert "observer wrote this" in log and "polluter wrote this" not in log


def test_a_notebook_can_ask_for_a_kernel_of_its_own(tmp_path):
    root = project(tmp_path, observer_meta={"fresh_kernel": True})
    proc, _, pid_file = build(root, tmp_path, "own")
    assert proc.returncode == 0, proc.stderr
    first, second = pids(pid_file)
    assert first != second


def test_sweep_points_share_a_kernel_unless_the_notebook_asks_for_its_own(tmp_path):
    for meta, expect_shared in ((None, True), ({"fresh_kernel": True}, False)):
        root = project(tmp_path / str(expect_shared), observer_meta=meta)
        pid_file = tmp_path / f"{expect_shared}.pids"
        grid = tmp_path / "grid.yaml"
        # two points: only the polluter reads ``fail``
        grid.write_text(f"pid_file: [{json.dumps(str(pid_file))}]\nfail: [false, true]\n")
        proc = run_in(root, "sweep", "01_observer", "--grid", str(grid), "--jobs", "1",
                      "--reports", str(root / "reports"))
        assert proc.returncode == 0, proc.stderr
        assert (len(set(pids(pid_file))) == 1) is expect_shared, pids(pid_file)


def test_no_kernel_outlives_its_build(tmp_path):
    root = project(tmp_path)
    root.joinpath("notebooks", "02_observer.ipynb").write_bytes(
        root.joinpath("notebooks", "01_observer.ipynb").read_bytes())
    pid_file = tmp_path / "pids"
    proc = run_in(root, "run", "--reports", str(tmp_path / "r"), "--jobs", "2",
                  "-p", "pid_file", str(pid_file))
    assert proc.returncode == 0, proc.stderr
    kernels = set(pids(pid_file))
    assert 1 <= len(kernels) <= 2  # two workers, three notebooks
    assert_gone(kernels, "kernel")


def _comparable(stem_dir: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(stem_dir.rglob("*")):
        if path.is_file() and path.name != "executed.ipynb":
            files[str(path.relative_to(stem_dir))] = path.read_bytes()
    nb = json.loads((stem_dir / "executed.ipynb").read_text(encoding="utf-8"))
    nb["metadata"].pop("papermill", None)  # run times
    for cell in nb["cells"]:
        cell["metadata"].pop("papermill", None)
        cell["metadata"].pop("execution", None)
        if "injected-parameters" in cell["metadata"].get("tags", []):
            cell.pop("id")  # papermill draws a random id for the cell it adds
    files["executed.ipynb (without run times)"] = json.dumps(nb, sort_keys=True).encode()
    return files


@pytest.mark.slow
def test_the_suite_is_byte_identical_in_reused_and_fresh_kernels(default_build, tmp_path):
    """The study notebooks, each worker reusing its kernel (the default build, 2 workers)
    vs a new kernel for every notebook: reports, results, tables, figures and the executed
    notebooks (execution counts included) are the same bytes."""
    fresh = tmp_path / "fresh"
    proc = run_cli("run", "--reports", str(fresh), "--jobs", "2", "--fresh-kernels")
    assert proc.returncode == 0, proc.stderr[-2000:]
    stems = sorted(p.parent.name for p in default_build.glob("*/report.html"))
    assert len(stems) >= 5
    for stem in stems:
        reused_files, fresh_files = _comparable(default_build / stem), _comparable(fresh / stem)
        assert reused_files.keys() == fresh_files.keys(), stem
        for name in reused_files:
            assert reused_files[name] == fresh_files[name], f"{stem}/{name}"


def test_which_modules_a_reset_reimports(tmp_path):
    """runspine wherever it is installed, and code outside the interpreter's prefixes;
    never the third-party stack, never the reset module itself."""
    import sys
    import types

    import numpy

    from runspine.build import kernel_reset

    def module(name: str, file: str):
        m = types.ModuleType(name)
        m.__file__ = file
        return m

    site = f"{sys.prefix}/lib/python3.11/site-packages"
    assert kernel_reset._project_module(module("runspine.notebook.results", f"{site}/runspine/results.py"))
    assert kernel_reset._project_module(module("runspine", f"{site}/runspine/__init__.py"))
    assert kernel_reset._project_module(module("helpers", str(tmp_path / "helpers.py")))
    assert not kernel_reset._project_module(module("runspine_other", f"{site}/x.py"))
    assert not kernel_reset._project_module(numpy)
    assert not kernel_reset._project_module(kernel_reset)
    assert not kernel_reset._project_module(sys)  # built in: no file
