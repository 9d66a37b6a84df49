"""``runspine.notebook.explore``: controls built from the parameter declarations, the
view re-run when a control moves, values checked as the CLI checks them, nothing at all in
headless runs. The browser test (tests/test_lab_browser.py) drives it in JupyterLab."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from runspine.notebook import explore as ex
from runspine.notebook.parameters import from_history
from runspine.parameters import parameters_from_source

ROOT = Path(__file__).resolve().parents[1]
DECLARED = ("seed: int = 1  # seed [0, 4294967295]\n"
            "rho: float = 0.5  # correlation [-0.45, 0.99]\n"
            "n_runners: int = 14  # runners [4, 100]\n"
            "method: str = \"reml\"  # estimator {reml, pm, dl}\n"
            "pooled: bool = True  # pool only low back pain\n"
            "paces: list[float] = [70.0, 85.0]  # paces [0, 150]\n")


def test_each_declaration_gets_its_control():
    pytest.importorskip("ipywidgets")
    params = parameters_from_source(DECLARED)
    made = {n: ex.control_for(p, p.default) for n, p in params.items()}
    kinds = {n: type(c).__name__ for n, c in made.items()}
    assert kinds == {"seed": "IntText", "rho": "FloatSlider", "n_runners": "IntSlider",
                     "method": "Dropdown", "pooled": "Checkbox", "paces": "Text"}
    rho = made["rho"]
    assert (rho.min, rho.max, rho.step, rho.value) == (-0.45, 0.99, 0.01, 0.5)
    assert (made["n_runners"].min, made["n_runners"].max) == (4, 100)
    assert made["method"].options == ("reml", "pm", "dl")
    assert made["paces"].value == "[70.0, 85.0]"
    assert all(not c.continuous_update for n, c in made.items()
               if n not in ("method", "pooled"))  # re-run on release, not on every pixel


@pytest.mark.parametrize("env, expected", [
    ({}, False),                                                # papermill, nbclient, nbmake
    ({"JPY_SESSION_NAME": "/x/01.ipynb"}, True),                # JupyterLab
    ({"JPY_SESSION_NAME": "/x/01.ipynb", "RUNSPINE_OUTPUT_DIR": "/tmp/s"}, False),  # runspine run
    ({"RUNSPINE_EXPLORE": "1"}, True),
    ({"JPY_SESSION_NAME": "/x/01.ipynb", "RUNSPINE_EXPLORE": "0"}, False),
])
def test_interactive_only_in_a_jupyter_server_kernel(monkeypatch, env, expected):
    for var in ("JPY_SESSION_NAME", "RUNSPINE_OUTPUT_DIR", "RUNSPINE_EXPLORE"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert ex.interactive() is expected


def test_headless_explore_shows_and_runs_nothing(monkeypatch, capsys):
    for var in ("JPY_SESSION_NAME", "RUNSPINE_EXPLORE"):
        monkeypatch.delenv(var, raising=False)

    def view(**_):
        raise AssertionError("the view ran in a headless run")

    assert ex.explore(view, ["rho"]) is None
    assert capsys.readouterr() == ("", "")


@pytest.fixture
def shell(monkeypatch):
    """A real IPython shell (no kernel) that has run a parameters cell."""
    pytest.importorskip("ipywidgets")
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("RUNSPINE_EXPLORE", "1")
    shell = InteractiveShell.instance()
    shell.history_manager.input_hist_raw[:] = [""]
    assert shell.run_cell(DECLARED, store_history=True).success
    yield shell
    InteractiveShell.clear_instance()


def test_moving_a_control_reruns_the_view_with_checked_values(shell, monkeypatch):
    calls, rendered = [], []
    monkeypatch.setattr(ex, "render", rendered.append)  # no kernel here to show output
    shell.user_ns["calls"] = calls
    cell = ("import pandas as pd\nfrom runspine.notebook.explore import explore\n"
            "def view(rho, method, paces, **other):\n"
            "    calls.append(dict(rho=rho, method=method, paces=paces, **other))\n"
            "    return [(pd.DataFrame({'rho': [rho]}), f'at rho = {rho:g}')]\n"
            "explore(view, ['rho', 'method', 'paces'])\n")
    assert shell.run_cell(cell, store_history=True).success
    box = ex.last
    rho, method, paces = box.children[1].children
    status = box.children[2]
    assert calls == [{"rho": 0.5, "method": "reml", "paces": [70.0, 85.0], "seed": 1,
                      "n_runners": 14, "pooled": True}]
    rho.value = 0.8
    method.value = "pm"
    assert (calls[-1]["rho"], calls[-1]["method"], len(calls)) == (0.8, "pm", 3)
    assert rendered[-1][0][1] == "at rho = 0.8" and len(rendered) == 3
    # a bad value: one line, as `runspine run -p paces "[70, 200]"` says; the view does not run
    paces.value = "[70, 200]"
    assert len(calls) == 3
    assert status.value.endswith("ParameterError: parameter &#x27;paces&#x27; = 200.0 is "
                                 "outside [0, 150]</span>")
    paces.value = "[75, 95]"
    assert calls[-1]["paces"] == [75.0, 95.0] and status.value == ""
    # the notebook's own variables are not changed by exploring
    assert (shell.user_ns["rho"], shell.user_ns["method"]) == (0.5, "reml")


def test_the_kernel_fills_the_output_widget_and_a_move_replaces_it(shell):
    """The explorer's output is widget state set by the kernel, not a capture left to the
    frontend (``with output:``): a headless client (nbclient) then has nothing to send back
    while a cell runs (see ``explore.rendered``). Here no frontend exists at all, so a
    capture would leave the widget empty."""
    cell = ("import pandas as pd\nfrom runspine.notebook.explore import explore\n"
            "def view(rho, **_):\n"
            "    return [(pd.DataFrame({'rho': [rho]}), f'at rho = {rho:g}'), '**Verdict**']\n"
            "explore(view, ['rho'])\n")
    assert shell.run_cell(cell, store_history=True).success
    output = ex.last.children[3]
    assert output.msg_id == ""  # never captured
    kinds = [(o["output_type"], sorted(o.get("data", {}))) for o in output.outputs]
    assert kinds == [("display_data", ["text/html", "text/plain"]),
                     ("display_data", ["text/markdown", "text/plain"])]
    assert "at rho = 0.5" in output.outputs[0]["data"]["text/html"]
    assert "<table" in output.outputs[0]["data"]["text/html"]
    ex.last.children[1].children[0].value = 0.8
    assert len(output.outputs) == 2  # replaced, not appended
    assert "at rho = 0.8" in output.outputs[0]["data"]["text/html"]


def test_a_view_that_fails_after_a_move_says_so_under_the_controls(shell):
    cell = ("from runspine.notebook.explore import explore\n"
            "def view(rho, **_):\n"
            "    if rho > 0.9:\n        raise ValueError('no fit above 0.9')\n"
            "    return []\n"
            "explore(view, ['rho'])\n")
    assert shell.run_cell(cell, store_history=True).success
    box = ex.last
    box.children[1].children[0].value = 0.95
    assert "ValueError: no fit above 0.9" in box.children[2].value


NOTEBOOKS = ["01_spinal_shrinkage_vs_pace", "02_back_pain_prevalence_by_sport",
             "03_activity_pain_reduction"]


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_has_an_explore_cell_over_declared_parameters(stem):
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    params_src = next("".join(c["source"]) for c in nb["cells"]
                      if "parameters" in c["metadata"].get("tags", []))
    declared, _ = from_history(["", params_src])
    cell = next("".join(c["source"]) for c in nb["cells"] if c.get("id") == "cell-explore")
    call = next(n for n in ast.walk(ast.parse(cell)) if isinstance(n, ast.Call)
                and getattr(n.func, "id", None) == "explore")
    names = ast.literal_eval(call.args[1])
    assert names and set(names) <= set(declared)
    view = next(n for n in ast.parse(cell).body if isinstance(n, ast.FunctionDef))
    assert view.args.kwarg is not None  # takes every parameter, uses what it needs
    assert {a.arg for a in view.args.args} <= set(declared)


@pytest.mark.slow
@pytest.mark.long(14)
@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_explore_cell_renders_table_verdicts_and_figure(tmp_path, stem, monkeypatch):
    """The notebook run with the explorer forced on (as in JupyterLab): its first view
    renders without error, the key table, the verdicts and a figure, under controls with
    the declared ranges. Papermill runs in this process (the notebook's kernel is its
    own process, started as papermill's command starts it)."""
    import papermill
    from jupyter_client.channels import ZMQSocketChannel

    sent = []  # what the client (papermill's nbclient, in this process) sends the kernel
    send = ZMQSocketChannel.send
    monkeypatch.setattr(ZMQSocketChannel, "send",
                        lambda channel, msg: sent.append(msg["header"]["msg_type"])
                        or send(channel, msg))
    out = tmp_path / "out.ipynb"
    monkeypatch.setenv("RUNSPINE_EXPLORE", "1")  # the kernel's environment is ours
    papermill.execute_notebook(ROOT / "notebooks" / f"{stem}.ipynb", out, cwd=tmp_path,
                               progress_bar=False, execution_timeout=60)
    # nothing but requests between cells: a message sent while a cell runs (nbclient
    # echoes captured Output-widget outputs as comm_msg) can strand that cell's reply
    # until its timeout (see runspine.notebook.explore.rendered)
    assert set(sent) <= {"kernel_info_request", "execute_request"}, sent
    state = json.loads(out.read_text(encoding="utf-8"))["metadata"]["widgets"][
        "application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [o for m in state.values() if m["model_name"] == "OutputModel"
               for o in m["state"]["outputs"]]
    assert [o["output_type"] for o in outputs] == ["display_data"] * 3
    html = [o["data"]["text/html"] for o in outputs]
    assert "<table" in html[0] and "Verdicts at these values" in html[1]
    assert "<details" not in html[1]  # verdicts unfolded: a change is visible at once
    assert html[2].startswith('<figure class="runspine-figure">')
    assert 'src="data:image/png' in html[2]
    if stem.startswith("01"):
        slider = next(m["state"] for m in state.values()
                      if m["model_name"] == "FloatSliderModel" and m["state"]["description"] == "rho")
        assert (slider["min"], slider["max"], slider["value"]) == (-0.45, 0.99, 0.5)
