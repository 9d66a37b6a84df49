"""The tools researchers and CI already use: nbmake over every notebook, the kernel
without ipykernel's plain-TCP warning, ``runspine strip`` (a run notebook stripped leaves
no git diff), the pre-commit hooks, ``make lab`` as root and headless."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, free_port, stop_group
from runspine.authoring.strip import dumps, strip_notebook

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
NB04 = ROOT / "notebooks" / "04_hip_tightness_and_back_pain.ipynb"
BIN = Path(sys.executable).parent


def run(*cmd, cwd=ROOT, timeout=900) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("RUNSPINE_OUTPUT_DIR", None)
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return run("git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args, cwd=repo)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_strip_leaves_committed_notebooks_byte_for_byte(path):
    text = path.read_text(encoding="utf-8")
    assert dumps(strip_notebook(json.loads(text))) == text


def test_strip_removes_what_running_added_and_keeps_the_rest():
    nb = {"nbformat": 4, "nbformat_minor": 5,
          "metadata": {"kernelspec": {"name": "runspine"}, "runspine": {"doi": "x"},
                       "papermill": {"duration": 3}, "widgets": {"state": {}},
                       "language_info": {"name": "python", "version": "3.11.7",
                                         "mimetype": "text/x-python"}},
          "cells": [
              {"cell_type": "code", "id": "a", "execution_count": 4,
               "metadata": {"tags": ["parameters"], "execution": {"x": 1},
                            "jupyter": {"outputs_hidden": True, "source_hidden": True}},
               "outputs": [{"output_type": "stream", "name": "stdout", "text": "hi"}],
               "source": "rho: float = 0.5"},
              {"cell_type": "code", "id": "b", "execution_count": 5,
               "metadata": {"tags": ["injected-parameters"]}, "outputs": [],
               "source": "# Parameters\nrho = 0.8\n"},
              {"cell_type": "markdown", "id": "c", "metadata": {"tags": []}, "source": "x"}]}
    out = strip_notebook(nb)
    assert out["metadata"] == {"kernelspec": {"name": "runspine"}, "runspine": {"doi": "x"},
                               "language_info": {"name": "python"}}
    assert [c["id"] for c in out["cells"]] == ["a", "c"]
    assert out["cells"][0] == {"cell_type": "code", "id": "a", "execution_count": None,
                               "metadata": {"tags": ["parameters"],
                                            "jupyter": {"source_hidden": True}},
                               "outputs": [], "source": "rho: float = 0.5"}
    assert out["cells"][1]["metadata"] == {}
    assert nb["cells"][0]["outputs"]  # the input is not changed


@pytest.mark.parametrize("runner", [
    pytest.param("papermill", id="papermill"),
    pytest.param("nbconvert", id="nbconvert-inplace", marks=pytest.mark.slow),
])
def test_a_run_notebook_stripped_leaves_no_git_diff(tmp_path, runner):
    """Run a committed notebook as a researcher or CI would (papermill with a parameter,
    output over input; nbconvert --execute --inplace, which writes what JupyterLab saves),
    then ``runspine strip`` it: ``git diff`` is empty and ``runspine check`` is satisfied."""
    repo = tmp_path / "repo"
    repo.mkdir()
    assert git(repo, "init", "-q").returncode == 0
    nb = repo / NB04.name
    shutil.copy(NB04, nb)
    git(repo, "add", nb.name)
    assert git(repo, "commit", "-qm", "committed").returncode == 0
    if runner == "papermill":
        proc = run(sys.executable, "-m", "papermill", nb, nb, "-p", "n_lbp_cases", "15",
                   cwd=repo)
    else:
        proc = run(sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                   "--execute", "--inplace", nb, cwd=repo)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the kernel ran without ipykernel's plain-TCP warning (runspine.notebook.kernel)
    assert "without encryption" not in proc.stderr
    assert git(repo, "diff", "--quiet").returncode == 1  # running changed the file
    proc = run(BIN / "runspine", "strip", nb, cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"stripped {nb}"
    diff = git(repo, "diff")
    assert diff.stdout == "", diff.stdout[:3000]
    # stripping again changes nothing and says nothing
    proc = run(BIN / "runspine", "strip", nb, cwd=repo)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_strip_refuses_a_file_that_is_not_a_notebook(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    proc = run(BIN / "runspine", "strip", bad)
    assert proc.returncode == 2
    assert proc.stderr.startswith("runspine: error: bad.ipynb: not a readable notebook")
    assert bad.read_text(encoding="utf-8") == "{not json"



def test_strip_writes_through_a_link_and_keeps_the_notebook_s_mode(tmp_path):
    """``runspine strip`` edits the notebook in place: a notebook that is a symbolic link
    stays a link and the file it names is stripped, and the file keeps its permissions
    (before: the link was replaced by a stripped copy, the shared notebook left as it
    was, and the mode reset to 0644)."""
    from runspine.authoring.strip import strip_file

    shared = tmp_path / "shared" / "01_x.ipynb"
    shared.parent.mkdir()
    nb = json.loads((ROOT / "notebooks" / "01_spinal_shrinkage_vs_pace.ipynb").read_text())
    nb["cells"][1]["execution_count"] = 7
    shared.write_text(json.dumps(nb), encoding="utf-8")
    shared.chmod(0o600)
    link = tmp_path / "notebooks" / "01_x.ipynb"
    link.parent.mkdir()
    link.symlink_to(shared)
    assert strip_file(link) is True
    assert link.is_symlink() and os.readlink(link) == str(shared)
    assert '"execution_count": null' in shared.read_text(encoding="utf-8")
    assert shared.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in shared.parent.iterdir()] == ["01_x.ipynb"]  # no temporary left

def test_kernel_spec_starts_the_launcher_without_the_tcp_warning():
    spec = json.loads((Path(sys.prefix) / "share" / "jupyter" / "kernels" / "runspine" /
                       "kernel.json").read_text(encoding="utf-8"))
    assert spec["argv"][-4:] == ["-m", "runspine.notebook.kernel", "-f", "{connection_file}"]
    import ipykernel.kernelapp

    from runspine.notebook.kernel import PLAIN_TCP
    # the message the launcher drops is still the one ipykernel logs (an upgrade that
    # rewords it would make the filter silently useless)
    assert PLAIN_TCP in Path(ipykernel.kernelapp.__file__).read_text(encoding="utf-8")


def test_pre_commit_hooks_run_the_projects_own_tools(tmp_path):
    """The hooks are local: each entry is a .venv program; run as pre-commit would (with
    the files its pattern matches) on the committed tree, each passes and changes nothing
    (the strip hook is given copies, so this test never writes into notebooks/)."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for repo in config["repos"] for h in repo["hooks"]}
    assert set(hooks) == {"ruff", "runspine-strip", "runspine-check"}
    tracked = run("git", "ls-files").stdout.split()
    before = {p: (ROOT / p).read_bytes() for p in tracked if p.startswith("notebooks/")}
    for hook in hooks.values():
        assert hook["language"] == "system"
        entry = hook["entry"].split()
        assert (ROOT / entry[0]).exists(), entry
        files = [p for p in tracked if re.search(hook["files"], p)]
        if hook.get("types") == ["python"]:
            files = [p for p in files if p.endswith(".py")]
        assert files, hook["id"]
        if hook["id"] == "runspine-strip":
            copies = tmp_path / "notebooks"
            copies.mkdir()
            for f in files:
                shutil.copy(ROOT / f, copies / Path(f).name)
            files = [str(copies / Path(f).name) for f in files]
        args = [] if hook.get("pass_filenames") is False else files
        proc = run(ROOT / entry[0], *entry[1:], *args)
        assert proc.returncode == 0, (hook["id"], proc.stdout[-1000:], proc.stderr[-1000:])
        if hook["id"] == "runspine-strip":
            assert proc.stdout == "", proc.stdout  # committed notebooks are already stripped
    assert {p: (ROOT / p).read_bytes() for p in before} == before


@pytest.mark.slow
@pytest.mark.long(47)
def test_nbmake_runs_every_notebook():
    """``make nbmake``'s command: every notebook executed by nbmake (the project kernel,
    no parameters), as a CI job would; here one notebook at a time (``-n 0``: the suite's
    own workers already use the cores, and two pytest workers more cost about 4 s of CPU
    for nothing)."""
    proc = run(sys.executable, "-m", "pytest", "--nbmake", "--nbmake-timeout=900", "-n", "0",
               "-p", "no:cacheprovider", "notebooks/", timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert f"{len(NOTEBOOKS)} passed" in proc.stdout


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_starts_headless_and_prints_the_url_with_its_token():
    """As root and without a display (this machine and CI), ``make lab`` adds
    --allow-root and --no-browser itself and prints the URL with its token."""
    port = free_port()
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    # the recipe as users run it, but not its install prerequisite: after an edit of
    # pyproject.toml or the lock (the stamp's name changes), `make lab` would reinstall
    # the .venv this very suite runs in, and builds running meanwhile fail ("No module
    # named 'runspine'"); -o keeps make from remaking the stamp given
    python = str(Path(sys.executable))
    proc = subprocess.Popen(["make", "lab", f"STAMP={python}", "-o", python,
                             f"LAB_ARGS=--port={port} --ServerApp.port_retries=0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    seen, url = [], None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and url is None:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(rf"http://(?:localhost|127\.0\.0\.1):{port}/lab\?token=\w+", line)
            url = m.group(0) if m else None
    finally:
        stop_group(proc)
    text = "".join(seen)
    assert url, text[-3000:]
    assert "Running as root is not recommended" not in text
    # the recipe line make echoes (under `make test` a nested make first prints
    # "make[1]: Entering directory ...")
    command = next((line for line in text.splitlines() if "jupyter lab" in line), "")
    assert ("--allow-root" in command) == (os.geteuid() == 0), command
    assert "--no-browser" in command
