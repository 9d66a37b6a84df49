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
    """Seed every random source, set display options and plot style; return a Generator."""
    from runspine.notebook import plots

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
    """Display Markdown (for narrative with computed numbers)."""
    from IPython.display import Markdown

    _display(Markdown(text))


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

    html = frame.to_html(index=False, border=0, classes="runspine-table", na_rep="",
                         float_format=lambda x: floatfmt.format(x), escape=True)
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
    fig.savefig(buf, format="png", metadata={"Software": None})
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
