"""Explore a notebook's parameters with controls, in JupyterLab.

One short cell per notebook::

    from runspine.notebook.explore import explore

    def view(rho, n_runners, ci_level, **other):
        ...  # re-run the study's functions; return what to show
    explore(view, ["rho", "n_runners", "ci_level"])

shows a control for each named parameter (all declared ones by default), built from its
declaration in the parameters cell: a slider over its ``[low, high]`` range, a dropdown of
its ``{a, b}`` allowed values, a checkbox for a ``bool``, a text box (YAML list, as on the
command line) for a list. Whenever a control changes, every value is checked as ``runspine
run`` checks it (:func:`runspine.parameters.check_values`; a bad one shows its one-line
message and nothing is re-run), then ``view`` is called with every parameter's value (the
controls' and, for the others, the kernel's) and what it returns replaces the previous
output in place: a ``(DataFrame, caption)`` pair or a DataFrame is shown as a reader
table, a matplotlib figure as an image, a string as Markdown. The notebook's own variables
are not changed.

Headless runs (papermill, nbconvert, nbclient, nbmake, ``runspine run``) show nothing and
run nothing: :func:`interactive` is true only in a kernel a Jupyter server started for a
notebook (JupyterLab, Notebook 7: ``JPY_SESSION_NAME`` is set) and not under ``runspine
run``; ``RUNSPINE_EXPLORE=1`` or ``0`` forces it on or off.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable
from typing import Any

from runspine.parameters import Parameter, ParameterError, check_values, coerce

MAX_SLIDER_STEPS = 500  # an int range with more values gets a number box, not a slider


def interactive() -> bool:
    """True in a JupyterLab (Jupyter server) kernel; False in headless runs."""
    forced = os.environ.get("RUNSPINE_EXPLORE")
    if forced in ("0", "1"):
        return forced == "1"
    if os.environ.get("RUNSPINE_OUTPUT_DIR"):  # runspine run / sweep
        return False
    return bool(os.environ.get("JPY_SESSION_NAME"))


def _step(low: float, high: float) -> float:
    """A round slider step giving about 100-1000 positions over [low, high]."""
    span = high - low
    return 10 ** math.floor(math.log10(span / 100)) if span > 0 else 1.0


def control_for(param: Parameter, value: Any):
    """The ipywidgets control for one declared parameter, set to ``value``."""
    import ipywidgets as w

    common = {"description": param.name, "style": {"description_width": "initial"},
              "description_allow_html": False, "tooltip": param.help,
              "layout": w.Layout(width="auto", min_width="22em")}
    bounds, choices = param.bounds, param.choices
    if param.type == "bool":
        return w.Checkbox(value=bool(value), indent=False, **common)
    if param.type == "str" and choices:
        return w.Dropdown(options=list(choices), value=value if value in choices else None,
                          **common)
    if param.type == "float" and bounds:
        step = _step(*bounds)
        decimals = max(0, -math.floor(math.log10(step)))
        return w.FloatSlider(value=float(value), min=bounds[0], max=bounds[1], step=step,
                             readout_format=f".{decimals}f", continuous_update=False,
                             **common)
    if param.type == "int" and bounds and bounds[1] - bounds[0] <= MAX_SLIDER_STEPS:
        return w.IntSlider(value=int(value), min=int(bounds[0]), max=int(bounds[1]),
                           continuous_update=False, **common)
    if param.type == "int":
        return w.IntText(value=int(value), continuous_update=False, **common)
    if param.type == "float":
        return w.FloatText(value=float(value), continuous_update=False, **common)
    # str without allowed values, and lists: typed as on the command line (YAML list)
    text = value if isinstance(value, str) else _yaml_flow(value)
    return w.Text(value=text, continuous_update=False, **common)


def _yaml_flow(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_flow(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _control_value(param: Parameter, control) -> Any:
    """A control's value as the CLI would read it (a list box is parsed as ``-p`` is)."""
    if param.type.startswith("list["):
        return coerce(param, control.value, from_text=True)
    return control.value


def render(items) -> None:
    """Show what a view returned (see the module docstring)."""
    import pandas as pd
    from IPython.display import HTML, Markdown, display

    from runspine.notebook import helpers

    for item in items if isinstance(items, (list, tuple)) and not _is_pair(items) else [items]:
        if _is_pair(item) or isinstance(item, pd.DataFrame):
            frame, caption = item if _is_pair(item) else (item, "")
            display(HTML(f'<figure class="runspine-tablefig"><figcaption><b>'
                         f"{html.escape(caption)}</b></figcaption>{_unfolded(frame)}</figure>"))
        elif isinstance(item, str):
            display(Markdown(item))
        elif hasattr(item, "savefig"):
            title = item.axes[0].get_title() if getattr(item, "axes", None) else "figure"
            helpers.figure(item, alt=title or "figure", caption="")
        elif item is not None:
            display(item)


def rendered(items) -> tuple[dict[str, Any], ...]:
    """What :func:`render` shows for ``items``, as an Output widget's outputs (nbformat
    ``display_data`` dicts; then anything printed, as ``stream`` outputs).

    The explorer sets its Output widget's ``outputs`` from the kernel instead of capturing
    with ``with output:``. That capture leaves the outputs to the frontend, and a headless
    client that stands in for one (nbclient, so papermill, nbconvert, nbmake and
    ``runspine run``) then sends every output back to the kernel as a ``comm_msg`` on the
    shell channel while it waits for the cell's ``execute_reply`` on that same socket.
    jupyter_client sends through a blocking shadow of its asyncio socket
    (``Session.send``), which can consume the wake-up of a reply arriving at that moment:
    the reply then sits unread until the cell's timeout (jupyter/jupyter_client#1059,
    jupyter/nbclient#312). Set from the kernel, the outputs reach every frontend as widget
    state, and the client sends nothing while a cell runs.
    """
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        render(items)
    outputs = [{"output_type": "display_data", "data": o.data, "metadata": o.metadata}
               for o in captured.outputs]
    outputs += [{"output_type": "stream", "name": name, "text": text}
                for name, text in (("stdout", captured.stdout), ("stderr", captured.stderr))
                if text]
    return tuple(outputs)


def _unfolded(frame) -> str:
    """A reader table, never folded: what changed must be visible without a click."""
    import re

    from runspine.notebook import helpers

    text = helpers.table_html(frame, fold_rows=10**9)
    if text.startswith("<details"):
        text = re.sub(r"^<details[^>]*>\s*<summary>.*?</summary>", "", text, count=1,
                      flags=re.DOTALL)
        text = re.sub(r"</details>\s*$", "", text)
    return text


def _is_pair(item) -> bool:
    import pandas as pd

    return (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], pd.DataFrame)
            and isinstance(item[1], str))


def explore(view: Callable[..., Any], params: list[str] | None = None,
            namespace: dict[str, Any] | None = None):
    """Show controls for ``params`` (default: every declared parameter) and ``view``'s
    output, re-run whenever a control changes. Nothing is shown or run in a headless run
    or before the parameters cell ran. Returns None (the widget is displayed, and kept
    in :data:`last` for scripts and tests).

    Parameters
    ----------
    view : callable
        Called with every declared parameter as a keyword argument; returns a list of
        ``(DataFrame, caption)`` pairs, DataFrames, matplotlib figures or Markdown strings.
    params : list of str, optional
        The parameters to make controls for, in this order.
    namespace : dict, optional
        Where the other parameters' values are read (default: the kernel's globals).
    """
    if not interactive():
        return
    from runspine.notebook import parameters

    declared = parameters.declared()
    if declared is None:
        return
    import ipywidgets as w
    from IPython import get_ipython

    ns = namespace if namespace is not None else get_ipython().user_ns
    names = list(params) if params is not None else list(declared)
    unknown = [n for n in names if n not in declared]
    if unknown:
        from runspine.parameters import unknown_parameter

        raise ParameterError(unknown_parameter(unknown[0], declared))
    controls = {n: control_for(declared[n], ns.get(n, declared[n].default)) for n in names}
    status = w.HTML(layout=w.Layout(min_height="1.5em"))
    output = w.Output()

    def say(error: BaseException) -> None:
        status.value = (f'<span class="runspine-explore-error" style="color:#a40000">'
                        f"{type(error).__name__}: {html.escape(str(error))}</span>")

    def update(_change=None) -> None:
        try:
            values = {n: ns.get(n, p.default) for n, p in declared.items()}
            values.update({n: _control_value(declared[n], c) for n, c in controls.items()})
            values = check_values(declared, values)
        except ParameterError as exc:
            say(exc)
            return
        if _change is None:  # the first view runs in the cell: a failure fails the cell
            items = view(**values)
        else:
            try:
                items = view(**values)
            except Exception as exc:  # noqa: BLE001 - shown under the controls, not lost
                say(exc)
                return
        status.value = ""
        output.outputs = rendered(items)  # replaces the previous view's output at once

    for control in controls.values():
        control.observe(update, names="value")
    box = w.VBox([w.HTML(_STYLE + "<b>Explore</b>: move a control to re-run this study's "
                         "analyses (checked as <code>runspine run</code> checks parameters)."),
                  w.HBox(list(controls.values()), layout=w.Layout(flex_flow="row wrap")),
                  status, output])
    box.add_class("runspine-explore")
    from IPython.display import display

    display(box)
    update()
    global last
    last = box


last = None  # the most recent explorer's widget (None until one is shown)

# JupyterLab right-aligns every table cell; text reads better left-aligned, as in reports
_STYLE = ("<style>.runspine-explore .runspine-table th:not(.num),"
          ".runspine-explore .runspine-table td:not(.num){text-align:left}</style>")
