"""Notebooks check their own parameters, whoever runs them (papermill, nbconvert/nbclient,
nbmake, JupyterLab), with the CLI's code (runspine.parameters).

The end-to-end cases run the real notebook 01 under papermill's command line, as a CI
job would; they stop at the set-up cell (a few seconds each).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from runspine.notebook.parameters import from_history
from runspine.parameters import ParameterError, check_values, unknown_parameter

ROOT = Path(__file__).resolve().parents[1]
NB01 = ROOT / "notebooks" / "01_spinal_shrinkage_vs_pace.ipynb"

DECLARED = ("seed: int = 1  # seed [0, 10]\n"
            "rho: float = 0.5  # correlation [-0.45, 0.99]\n"
            "method: str = \"reml\"  # estimator {reml, pm, dl}\n")


def test_history_gives_the_latest_declarations_and_the_injected_names():
    history = ["", "x: int = 99  # an older declaration cell\n", DECLARED,
               "# Parameters\nrho = 0.8\nrhoo = 1\n", "rng = nb.setup(seed)"]
    declared, injected = from_history(history)
    assert list(declared) == ["seed", "rho", "method"]
    assert declared["rho"].bounds == (-0.45, 0.99)
    assert declared["method"].choices == ("reml", "pm", "dl")
    assert injected == {"rho", "rhoo"}
    # a cell that merely starts with a comment naming parameters is not papermill's
    assert from_history(["", DECLARED, "# Parameters: see above\nrho = 0.8"])[1] == set()
    # no parameters cell run yet: nothing to check
    assert from_history(["", "import pandas", "rng = nb.setup(1)"]) is None


@pytest.mark.parametrize("values, given, message", [
    ({"seed": 1, "rho": 5.0, "method": "reml"}, (),
     "parameter 'rho' = 5.0 is outside [-0.45, 0.99]"),
    ({"seed": 1, "rho": 0.5, "method": "xx"}, (),
     "parameter 'method' = 'xx' is not one of {reml, pm, dl}"),
    ({"seed": "1", "rho": 0.5, "method": "pm"}, (), "parameter 'seed' expects int, got '1'"),
    ({"seed": 1, "rho": 0.5, "method": "pm"}, ("rhoo",),
     "unknown parameter 'rhoo' (did you mean 'rho'?)"),
    ({"seed": 1, "method": "pm"}, (), "parameter 'rho' is not set (run the parameters cell"),
])
def test_kernel_values_are_checked_as_the_cli_checks_them(values, given, message):
    declared, _ = from_history(["", DECLARED])
    with pytest.raises(ParameterError) as err:
        check_values(declared, values, given)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_good_values_are_coerced_as_on_the_command_line():
    declared, _ = from_history(["", DECLARED])
    assert check_values(declared, {"seed": 3, "rho": 0, "method": "dl"}, ("rho",)) == {
        "seed": 3, "rho": 0.0, "method": "dl"}
    assert isinstance(check_values(declared, {"seed": 3, "rho": 0, "method": "dl"})["rho"], float)


def test_unknown_name_far_from_any_lists_the_declared_names():
    assert unknown_parameter("zzz", ["rho", "seed"]) == "unknown parameter 'zzz' (known: rho, seed)"


def papermill(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([sys.executable, "-m", "papermill", str(NB01), str(out), *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    return proc, json.loads(out.read_text(encoding="utf-8"))


def error_outputs(nb: dict) -> list[dict]:
    return [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]


@pytest.mark.parametrize("args, message", [
    (("-p", "ci_level", "95"), "ParameterError: parameter 'ci_level' = 95.0 is outside [0.5, 0.999]"),
    # a further case of the same kind (test-fast runs the first; the message itself is
    # also checked in process, test_unknown_name_* and check_values)
    pytest.param(("-p", "rhoo", "0.5"),
                 "ParameterError: unknown parameter 'rhoo' (did you mean 'rho'?)",
                 marks=pytest.mark.slow),
])
def test_papermill_stops_at_the_setup_cell_with_one_line(tmp_path, args, message):
    proc, nb = papermill(tmp_path, *args)
    assert proc.returncode != 0
    assert message in proc.stderr
    errors = error_outputs(nb)
    # the notebook stopped at its set-up cell, and the error is that one line
    assert len(errors) == 1 and errors[0]["traceback"] == [message]
    setup_cell = next(c for c in nb["cells"] if c.get("outputs") and
                      c["outputs"][0]["output_type"] == "error")
    assert "nb.setup(seed)" in "".join(setup_cell["source"])
    # papermill itself only warns about the unknown name; the notebook is what refuses it
    assert not (tmp_path / "results.json").exists()


@pytest.mark.slow
def test_nbconvert_execute_checks_a_value_set_in_the_kernel(tmp_path):
    """nbconvert (nbclient) has no parameters at all: the value a cell sets in the kernel
    is what is checked, as a researcher editing a cell in JupyterLab would set it."""
    nb = nbformat.read(NB01, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    nb.cells.insert(at + 1, new_code_cell("n_runners = 3"))
    copy = tmp_path / "edited.ipynb"
    nbformat.write(nb, copy)
    proc = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                           "--execute", str(copy), "--output", "executed"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode != 0
    assert "ParameterError: parameter 'n_runners' = 3 is outside [4, 1000]" in proc.stderr
