"""The runspine command: bad input, failures that keep the previous report, the kernel."""

import json
import sys

import nbformat
import pytest

from conftest import one_line_error


def test_unknown_parameter_exits_2_without_starting_a_kernel(cli):
    """Through ``python -m runspine``: the suite's end-to-end test of the exit-2 plumbing
    (``sys.argv``, the streams, ``sys.exit``); every other refusal is called in process
    (``main_in``), which is the same code after that plumbing."""
    proc = cli("run", "-p", "no_such_param", "1")
    assert proc.returncode == 2
    assert "unknown parameter 'no_such_param'" in one_line_error(proc)


def test_wrong_type_exits_2(main_in):
    proc = main_in("run", "-p", "seed", "abc")
    assert proc.returncode == 2
    assert "parameter 'seed' expects int, got 'abc'" in one_line_error(proc)


def test_out_of_range_exits_2(main_in):
    proc = main_in("run", "1", "-p", "rho", "1.5")
    assert proc.returncode == 2
    assert "outside" in one_line_error(proc)


def test_unknown_notebook_exits_2(main_in):
    proc = main_in("run", "no_such_notebook")
    assert proc.returncode == 2
    assert "'no_such_notebook' is not a notebook" in one_line_error(proc)


def test_bad_params_file_exits_2(main_in, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rho: [0.5\n")
    proc = main_in("run", "1", "--params", str(bad))
    assert proc.returncode == 2
    assert "bad.yaml" in one_line_error(proc)


def test_invalid_csv_exits_2_naming_file_row_field(scratch, main_in):
    csv = scratch / "data" / "garbutt1990_shrinkage.csv"
    csv.write_text(csv.read_text().replace("7.69,3.69", "7.69,-3.69"))
    proc = main_in("run", "--reports", str(scratch / "reports"), root=scratch)
    assert proc.returncode == 2
    line = one_line_error(proc)
    assert "garbutt1990_shrinkage.csv row 4 field 'sd_mm'" in line
    assert not (scratch / "reports" / "00_probe").exists()


def test_list_and_check(main_in):
    proc = main_in("list")
    assert proc.returncode == 0
    assert "01_spinal_shrinkage_vs_pace" in proc.stdout and "rho: float = 0.5" in proc.stdout
    proc = main_in("check")
    assert proc.returncode == 0, proc.stderr


def test_failing_notebook_keeps_previous_good_report(scratch, main_in):
    reports = scratch / "reports"
    ok = main_in("run", "--reports", str(reports), "-p", "value", "2.5", root=scratch)
    assert ok.returncode == 0, ok.stderr
    report = reports / "00_probe" / "report.html"
    good_html = report.read_bytes()
    good_results = json.loads((reports / "00_probe" / "results.json").read_text())
    assert good_results["value"]["value"] == 2.5

    bad = main_in("run", "--reports", str(reports), "-p", "fail", "true", root=scratch)
    assert bad.returncode == 1
    assert "00_probe: cell 6 (if fail:)" in bad.stderr and "RuntimeError" in bad.stderr
    assert report.read_bytes() == good_html
    assert json.loads((reports / "00_probe" / "results.json").read_text()) == good_results
    failed = nbformat.read(reports / "00_probe" / "failed.ipynb", as_version=4)
    assert any("probe asked to fail" in json.dumps(c.get("outputs", [])) for c in failed.cells)
    manifest = json.loads((reports / "manifest.json").read_text())
    assert manifest["notebooks"]["00_probe"]["status"] == "failed"
    assert "Last run failed" in (reports / "index.html").read_text()


@pytest.mark.slow
def test_kernel_is_the_project_interpreter_despite_bogus_kernelspecs(scratch, tmp_path,
                                                                     main_in, monkeypatch):
    jp = tmp_path / "jupyter"
    for name in ("python3", "runspine"):
        spec = jp / "kernels" / name
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": ["/nonexistent/bin/python", "-m", "ipykernel_launcher", "-f",
                     "{connection_file}"], "display_name": "bogus", "language": "python"}))
    reports = scratch / "reports"
    monkeypatch.setenv("JUPYTER_PATH", str(jp))
    proc = main_in("run", "--reports", str(reports), root=scratch)
    assert proc.returncode == 0, proc.stderr
    res = json.loads((reports / "00_probe" / "results.json").read_text())
    assert res["interpreter"]["value"] == sys.executable


@pytest.mark.slow
def test_unchanged_inputs_are_reused_and_data_change_reruns(scratch, main_in):
    reports = scratch / "reports"
    assert main_in("run", "--reports", str(reports), root=scratch).returncode == 0
    again = main_in("run", "--reports", str(reports), root=scratch)
    assert again.returncode == 0 and "1 reused" in again.stderr
    assert json.loads((reports / "manifest.json").read_text())["notebooks"]["00_probe"]["reused"]
    facts = scratch / "data" / "shrinkage_facts.csv"
    facts.write_text(facts.read_text() + "")  # same bytes: still reused
    assert "1 reused" in main_in("run", "--reports", str(reports), root=scratch).stderr
    facts.write_text(facts.read_text().replace("Runners in the study", "Runners in the study."))
    changed = main_in("run", "--reports", str(reports), root=scratch)
    assert "1 built" in changed.stderr
    forced = main_in("run", "--reports", str(reports), "--force", root=scratch)
    assert "1 built" in forced.stderr


@pytest.mark.slow
@pytest.mark.long(20)
def test_two_cold_builds_are_byte_identical(tmp_path, main_in, request):
    """Same inputs, different scheduling (one notebook at a time, each in a
    kernel forked from the template, then two at a time; builds in process): the same
    bytes, and the same manifest but for timing; and the same notebooks' files as the
    default build's (all six notebooks, two at a time, in a ``runspine`` process; asked
    for after these two builds: it builds in the background meanwhile)."""
    outputs, manifests = [], []
    for name, jobs in (("a", "1"), ("b", "2")):
        reports = tmp_path / name
        proc = main_in("run", "1", "4", "--reports", str(reports), "--jobs", jobs)
        assert proc.returncode == 0, proc.stderr
        files = [reports / "index.html", reports / "claims.html"]
        for stem in ("01_spinal_shrinkage_vs_pace", "04_hip_tightness_and_back_pain"):
            d = reports / stem
            files += [d / "report.html", d / "results.json", d / "figure.png",
                      *sorted((d / "tables").glob("*.csv"))]
        outputs.append({f.relative_to(reports): f.read_bytes() for f in files})
        manifest = json.loads((reports / "manifest.json").read_text())
        for entry in manifest["notebooks"].values():
            assert set(entry.pop("timing")) == {"duration_s"}  # run-specific: the timing
            entry["files"].pop("executed.ipynb")  # and the executed notebook (run times)
        manifests.append(manifest)
    assert outputs[0].keys() == outputs[1].keys()
    default_build = request.getfixturevalue("default_build")
    for key in outputs[0]:
        assert outputs[0][key] == outputs[1][key], key
        if key.parts[0] != key.name:  # a notebook's own file (not the index pages)
            assert (default_build / key).read_bytes() == outputs[0][key], key
    assert manifests[0] == manifests[1]


def test_concurrent_build_is_refused_with_a_clear_message(tmp_path, main_in):
    import fcntl

    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / ".runspine-reports").write_text("made by the build holding the lock\n")
    with open(reports / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = main_in("run", "1", "--reports", str(reports))
    assert proc.returncode == 2
    assert "another runspine build" in one_line_error(proc)


def test_read_only_reports_directory_fails_cleanly(tmp_path, main_in):
    import os

    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    reports = tmp_path / "reports"
    reports.mkdir()
    reports.chmod(0o500)
    try:
        proc = main_in("run", "1", "--reports", str(reports))
    finally:
        reports.chmod(0o700)
    assert proc.returncode in (1, 2)
    assert "Traceback" not in proc.stderr


EXITING = '''
import atexit, sys
out = sys.argv[1]
if sys.argv[2] == "traced":  # as coverage does: a tracer, and its report written at exit
    sys.settrace(lambda *args: None)
    atexit.register(lambda: open(out + "/early", "w").close())
import runspine.cli as cli
class Teardown:  # freed only when the interpreter tears its modules down
    def __del__(self, _open=open, _out=out):
        _open(_out + "/teardown", "w").close()
keep = Teardown()
def command(argv):  # a command that registers an exit handler and leaves output buffered
    atexit.register(lambda: open(out + "/atexit", "w").close())
    print("x" * 100000, end="")
    if sys.argv[2] == "raise":
        raise RuntimeError("a defect")
    return 3
cli._main = command
sys.exit(cli.main())
'''


@pytest.mark.parametrize("ending", ["returns", "raise", "traced"])
def test_a_program_ends_after_its_exit_handlers_without_tearing_the_interpreter_down(
        tmp_path, ending):
    """A ``runspine`` program whose command returned: every exit handler runs (the
    template's stop, the libraries' own), its buffered output is all written, its exit
    code is the command's, and then it ends without freeing every module's objects one
    by one (about 0.3 s of CPU per build). After an uncaught exception, or under a
    tracer (coverage, whose exit handler was registered before runspine's): the usual
    exit."""
    import subprocess

    proc = subprocess.run([sys.executable, "-c", EXITING, str(tmp_path), ending],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout == "x" * 100000
    assert (tmp_path / "atexit").exists()
    if ending == "returns":
        assert proc.returncode == 3, proc.stderr
        assert not (tmp_path / "teardown").exists(), "the interpreter was torn down"
    elif ending == "raise":
        assert proc.returncode == 1 and "RuntimeError: a defect" in proc.stderr
        assert (tmp_path / "teardown").exists()
    else:
        assert proc.returncode == 3 and (tmp_path / "early").exists(), proc.stderr
        assert (tmp_path / "teardown").exists()
