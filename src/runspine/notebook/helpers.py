"""Helpers that keep study notebooks thin: set-up, captioned tables, version footer.

Tables are displayed as plain HTML (pandas ``to_html``), which is deterministic (no
random element ids, unlike ``Styler``).
"""

from __future__ import annotations

import platform
import random
from importlib import metadata

import numpy as np
import pandas as pd

FOOTER_PACKAGES = ("runspine", "numpy", "pandas", "scipy", "statsmodels", "matplotlib",
                   "seaborn", "papermill")


def setup(seed: int) -> np.random.Generator:
    """Check the notebook's parameters, seed every random source, set display options and
    plot style; return a Generator.

    The check (:func:`runspine.notebook.parameters.check`) is the CLI's: a value of the
    wrong type, out of its declared range or not one of its allowed values, or a name
    papermill set that the notebook does not declare, stops the notebook here with one
    line naming the parameter, whichever tool runs it (papermill, nbconvert, nbclient,
    nbmake, JupyterLab).
    """
    from runspine.notebook import parameters, plots

    parameters.check()

    random.seed(seed)
    np.random.seed(seed % 2**32)
    pd.set_option("display.precision", 3)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 140)
    plots.setup()
    return np.random.default_rng(seed)


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def md(text: str) -> None:
    """Display Markdown (for narrative with computed numbers); BibTeX keys in it are shown
    as "Author year"."""
    from IPython.display import Markdown

    from runspine import data

    _display(Markdown(data.cite_text(text)))


FOLD_ROWS = 15  # longer tables are folded behind a <details> (one click to open)
FOLD_LINES = 32  # so are tables whose wrapped text would take more lines than this


def _lines(frame: pd.DataFrame, width: int = 40) -> int:
    """Rough height of a table in text lines: per row, its longest cell wrapped at
    ``width`` characters (long notes make tall tables)."""
    if frame.empty:
        return 0
    lengths = frame.map(lambda v: len(str(v))).to_numpy()
    return int(sum(max(1, -(-int(row.max()) // width)) for row in lengths))

_WORDS = {"p": "P", "ci": "CI", "sd": "SD", "se": "SE", "or": "OR", "lbp": "LBP", "n": "n",
          "k": "k", "df2": "df (denominator)", "i2": "I\u00b2", "tau2": "\u03c4\u00b2",
          "pi": "PI", "pm": "Paule-Mandel", "sens": "sensitivity", "ctrl": "control",
          "treat": "treatment", "diff": "difference", "prev1": "prevalence 1",
          "prev2": "prevalence 2", "low": "lower", "high": "upper", "min": "min",
          "anova": "ANOVA", "chisq": "chi-squared", "welch": "Welch", "fisher": "Fisher",
          "student": "Student", "id": "id", "vi": "variance", "yi": "effect", "g": "g"}
_UNITS = {"mm": "mm", "pct": "%", "deg": "degrees", "cm": "cm", "kg": "kg"}
_HEADERS = {"hedges_g": "Hedges' g", "points_0_100": "points (0-100 scale)",
            "F_anova": "F (ANOVA)", "F_welch": "F (Welch)", "pace_pct": "pace (% of race pace)",
            "slope_mm_per_pct": "slope (mm per % of race pace)", "sig_mark": "significance mark",
            "claim_id": "id", "ci_method": "CI method", "i2": "I\u00b2",
            "yi": "effect (yi)", "vi": "variance (vi)", "k": "studies (k)",
            "rate": "decay rate (per week)", "se_rate": "SE of the decay rate"}


def header(name) -> str:
    """A column header in words: ``mean_mm`` -> "mean (mm)", ``ci_low`` -> "CI lower",
    ``p_welch`` -> "P Welch". Names that already contain a space are kept as written."""
    name = str(name)
    if name in _HEADERS:
        return _HEADERS[name]
    if " " in name or "_" not in name:
        return _WORDS.get(name, name)
    tokens = name.split("_")
    unit = _UNITS.get(tokens[-1]) if len(tokens) > 1 else None
    if unit:
        tokens = tokens[:-1]
    words = " ".join(_WORDS.get(t, t) for t in tokens)
    return f"{words} ({unit})" if unit else words


def _is_missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def table_html(frame: pd.DataFrame, floatfmt: str = "{:.3g}", fold_rows: int = FOLD_ROWS
               ) -> str:
    """The HTML of a reader table: headers in words, text left and numbers right (class
    ``num``), floats with ``floatfmt``, missing values as an empty cell, in a box that
    scrolls sideways on a narrow screen.

    Tables longer than ``fold_rows`` rows, or whose wrapped text would run longer than
    :data:`FOLD_LINES` lines, are folded behind a ``<details>`` element.
    """
    from runspine import data

    labels = data.citation_labels()  # a BibTeX key in a cell is shown as "Author year"
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
        frame[c]) for c in frame.columns}
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if numeric[c] else ""}>{_escape(header(c))}</th>'
                   for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = []
        for col, value in zip(frame.columns, values):
            if _is_missing(value):
                text = ""
            elif isinstance(value, (float, np.floating)):
                text = floatfmt.format(value)
            else:
                text = data.cite_text(str(value), labels)
            cls = ' class="num"' if numeric[col] else ""
            cells.append(f"<td{cls}>{_escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    html = (f'<div class="runspine-scroll"><table class="runspine-table"><thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')
    if len(frame) > fold_rows or _lines(frame) > FOLD_LINES:
        html = (f'<details class="runspine-fold"><summary>Show the table ({len(frame)} rows)'
                f"</summary>{html}</details>")
    return html


def table(frame: pd.DataFrame, caption: str, source: str = "", floatfmt: str = "{:.3g}"
          ) -> None:
    """Display a table with a bold caption above and its sources below.

    Parameters
    ----------
    frame : DataFrame
    caption : str
        What the table shows.
    source : str
        Sources and locations (e.g. "Garbutt et al. 1990, abstract").
    floatfmt : str
        Format for floats (significant digits by default).
    """
    from IPython.display import HTML

    html = table_html(frame, floatfmt)
    from runspine import data

    source = data.cite_text(source)
    src = f'<p class="runspine-source">Source: {_escape(source)}</p>' if source else ""
    _display(HTML(f'<figure class="runspine-tablefig"><figcaption><b>{_escape(caption)}'
                  f"</b></figcaption>{html}{src}</figure>"))


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def figure(fig, alt: str, caption: str) -> None:
    """Display a matplotlib figure as PNG with alt text and a caption, then close it."""
    import base64
    import io

    import matplotlib.pyplot as plt
    from IPython.display import HTML

    buf = io.BytesIO()
    # a tight bounding box keeps long tick labels, axis labels and outside legends whole
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight",
                pad_inches=0.12)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    _display(HTML(f'<figure class="runspine-figure"><img src="data:image/png;base64,{data}" '
                  f'alt="{_escape(alt)}"/><figcaption>{_escape(caption)}</figcaption></figure>'))


def versions() -> pd.DataFrame:
    """Python and package versions used for this run."""
    rows = [{"package": "python", "version": platform.python_version()}]
    for name in FOOTER_PACKAGES:
        try:
            rows.append({"package": name, "version": metadata.version(name)})
        except metadata.PackageNotFoundError:
            rows.append({"package": name, "version": "not installed"})
    return pd.DataFrame(rows)


def footer(seed: int, citation: str) -> None:
    """Display the reproducibility footer: citation, seed and versions."""
    table(versions(), "Software versions for this run")
    md(f"*Seed:* `{seed}`. *Please cite the original study:* {citation}. "
       "*Re-analysis:* runspine (see CITATION.cff).")
