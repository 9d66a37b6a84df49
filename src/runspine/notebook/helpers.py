"""Helpers that keep study notebooks thin: set-up, captioned tables, version footer.

Tables and figures are displayed as HTML from small Jinja templates (autoescape on),
which is deterministic (no random element ids, unlike pandas' ``Styler``).
"""

from __future__ import annotations

import platform
import random
from functools import lru_cache
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

    from runspine import bibliography

    _display(Markdown(bibliography.cite_text(text)))


FOLD_ROWS = 15  # longer tables are folded behind a <details> (one click to open)
FOLD_LINES = 32  # so are tables whose wrapped text would take more lines than this
SHOW_ROWS = 1000  # a reader table shows at most this many rows (README "Limits")


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
            "F_anova": "F (ANOVA)", "F_welch": "F (Welch ANOVA)",
            "df2_welch": "df (denominator, Welch ANOVA)", "pace_pct": "pace (% of race pace)",
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
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


MISSING = "\u2013"  # what an empty cell shows (an en dash, explained under the table)
TINY = 0.0001  # a positive cell below this reads "< 0.0001" (cell_text)

_TEMPLATES = {
    "table": """<div class="runspine-scroll"><table class="runspine-table"><thead><tr>
{%- for h, num in heads %}<th scope="col"{% if num %} class="num"{% endif %}>{{ h }}</th>{% endfor -%}
</tr></thead><tbody>
{%- for row in rows %}<tr>{% for text, num in row %}<td{% if num %} class="num"{% endif %}>{{ text }}</td>{% endfor %}</tr>{% endfor -%}
</tbody></table></div>
{%- if total %}<p class="runspine-source">The first {{ shown }} of {{ total }} rows are shown.</p>{% endif %}""",
    "fold": """<details class="runspine-fold"><summary>Show the table ({{ n }} rows)</summary>{{ inner }}</details>""",
    "tablefig": """<figure class="runspine-tablefig"><figcaption><b>{{ caption }}</b></figcaption>{{ inner }}
{%- if missing %}<p class="runspine-source">{{ dash }} : no value (not reported, or not computed for this row).</p>{% endif %}
{%- if source %}<p class="runspine-source">Source: {{ source }}</p>{% endif %}</figure>""",
    "figure": """<figure class="runspine-figure"><div class="runspine-scroll runspine-figure-box
{%- if not narrow %} runspine-pan{% endif %}"><picture{% if card %} data-runspine-card="1"{% endif %}>
{%- if narrow %}<source media="(max-width: 640px)" srcset="data:image/png;base64,{{ narrow }}"/>{% endif -%}
<img src="data:image/png;base64,{{ wide }}" alt="{{ alt }}"/></picture></div><figcaption>{{ caption }}</figcaption></figure>""",
}


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.DictLoader(_TEMPLATES), autoescape=True)


def _template(name: str):
    """One of the reader HTML templates above (Jinja, autoescape on)."""
    return _environment().get_template(name)


def cell_text(value, floatfmt: str | None = None, labels: dict | None = None) -> str:
    """A table cell as a reader reads it: floats to 3 significant figures without an
    exponent (or ``floatfmt``), a positive float below 0.0001 as "< 0.0001" (a P value of
    0.00000000000271 is read as that), booleans as yes/no, missing values as an en dash,
    a BibTeX key as "Author year" (``labels``: :func:`runspine.bibliography.citation_labels`)."""
    from runspine import bibliography
    from runspine.numbers import fmt_number, plain_numbers

    if _is_missing(value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        if 0 < value < TINY:
            return f"< {TINY:g}"
        return plain_numbers(floatfmt.format(value)) if floatfmt else fmt_number(float(value))
    return bibliography.cite_text(str(value), labels) if labels is not None else str(value)


def table_html(frame: pd.DataFrame, floatfmt: str | None = None, fold_rows: int = FOLD_ROWS
               ) -> str:
    """The HTML of a reader table: headers in words, text left and numbers right (class
    ``num``), floats to 3 significant figures (or ``floatfmt``) and never in scientific
    notation, yes/no for booleans, an en dash for a missing value, in a box that scrolls
    sideways on a narrow screen.

    Tables longer than ``fold_rows`` rows, or whose wrapped text would run longer than
    :data:`FOLD_LINES` lines, are folded behind a ``<details>`` element (printed open).
    Only the first :data:`SHOW_ROWS` rows are shown, with a line saying how many there are.
    """
    from markupsafe import Markup

    from runspine import bibliography

    labels = bibliography.citation_labels()  # a BibTeX key in a cell is shown as "Author year"
    numeric = {c: pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
        frame[c]) for c in frame.columns}
    heads = [(header(c), numeric[c]) for c in frame.columns]
    shown = frame.head(SHOW_ROWS)
    rows = [[(cell_text(value, floatfmt, labels), numeric[col])
             for col, value in zip(frame.columns, values)]
            for values in shown.itertuples(index=False, name=None)]
    html = _template("table").render(heads=heads, rows=rows, shown=f"{len(shown):,}",
                                     total=f"{len(frame):,}" if len(frame) > len(shown) else "")
    if len(frame) > fold_rows or _lines(shown) > FOLD_LINES:
        html = _template("fold").render(n=f"{len(frame):,}", inner=Markup(html))
    return html


def table(frame: pd.DataFrame, caption: str, source: str = "", floatfmt: str | None = None
          ) -> None:
    """Display a table with a bold caption above and its sources below.

    Parameters
    ----------
    frame : DataFrame
    caption : str
        What the table shows.
    source : str
        Sources and locations (e.g. "Garbutt et al. 1990, abstract").
    floatfmt : str, optional
        Format for floats (default: 3 significant figures, no exponent).
    """
    from IPython.display import HTML
    from markupsafe import Markup

    from runspine import bibliography

    inner = table_html(frame, floatfmt)
    source = bibliography.cite_text(source)
    shown = frame.head(SHOW_ROWS)  # (what table_html shows)
    missing = bool(shown.map(_is_missing).to_numpy().any()) if not shown.empty else False
    _display(HTML(_template("tablefig").render(caption=caption, inner=Markup(inner),
                                               source=source, missing=missing,
                                               dash=MISSING)))


MIN_PLOT_SHARE = 0.5  # a narrow rendering must leave the plot this share of its width


PAD_INCHES = 0.12  # white margin around a figure's tight bounding box
PNG_COMPRESS_LEVEL = 3  # zlib level: the suite's PNGs come out 2% smaller than at
#                         Pillow's default 6 and take a third less time to encode


def _tight_bbox(fig, pad: float = PAD_INCHES):
    """The area ``savefig(bbox_inches="tight", pad_inches=pad)`` would save, in inches:
    the figure's tight bounding box (tick labels, axis labels and legends outside the axes
    included), padded.

    ``savefig`` draws the figure once without rendering before it measures; that draw
    only changes the box when it runs a layout engine (constrained layout), and measuring
    updates ticks, labels, titles and legend places itself (the boxes came out identical
    for every figure of the suite), so the draw is made only for a figure with an engine.
    """
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if engine is not None and not isinstance(engine, PlaceHolderLayoutEngine):
        fig.draw_without_rendering()
    return fig.get_tightbbox(fig.canvas.get_renderer()).padded(pad)


def _save(fig, bbox) -> bytes:
    """The figure as PNG bytes, cut to ``bbox`` (inches; :func:`_tight_bbox`): one draw.

    Given ``bbox_inches="tight"``, ``savefig`` would draw the figure twice (once without
    rendering, to find the box); given the box, once, provided the figure has no layout
    engine: the one ``tight_layout()`` leaves behind does nothing when drawn but would
    still cost that extra draw, so it is removed.
    """
    import io

    import matplotlib as mpl
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        with mpl.rc_context({"figure.autolayout": False,
                             "figure.constrained_layout.use": False}):
            fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches=bbox,
                pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buf.getvalue()


def _width_px(fig, bbox) -> int:
    """The width of the PNG :func:`_save` makes of ``bbox``, known before it is drawn: the
    box at the resolution ``savefig`` uses (the style sets it to the figure's, 96), without
    the fraction of a pixel (the Agg canvas drops it)."""
    import matplotlib as mpl

    dpi = mpl.rcParams["savefig.dpi"]
    return int(bbox.width * (fig.dpi if dpi == "figure" else dpi))


def _png(fig) -> str:
    """The figure as base64 PNG, cut to its tight bounding box."""
    import base64

    return base64.b64encode(_save(fig, _tight_bbox(fig))).decode("ascii")


def _narrow_png(fig) -> str:
    """The figure re-laid out for a phone: at most :data:`NARROW_MAX_PX` wide in all
    (legends and labels past the axes included), same font sizes; "" when its plot would
    get less than :data:`MIN_PLOT_SHARE` of that width (long labels or a legend beside
    it): such a figure keeps its size in a sideways-scrolling box on a phone instead.

    Each try lays the figure out and measures it without drawing it; only the one that is
    kept is drawn.
    """
    import base64
    import warnings

    w, h = fig.get_size_inches()
    width = NARROW_WIDTH
    for ax in fig.axes:  # one column: a legend under the plot then fits its width
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            handles, labels = ax.get_legend_handles_labels()
            if handles:
                from matplotlib.transforms import IdentityTransform

                ax.legend(handles, labels, loc=legend._loc, ncol=1,
                          bbox_to_anchor=legend.get_bbox_to_anchor(),  # live, in pixels
                          bbox_transform=IdentityTransform(),
                          fontsize=legend.get_texts()[0].get_fontsize(),
                          frameon=legend.get_frame_on(), title=legend.get_title().get_text()
                          or None)
    for _ in range(3):
        fig.set_size_inches(width, max(h * 1.1, h * (w / width) ** 0.35))
        with warnings.catch_warnings():  # a layout that cannot shrink keeps its own
            warnings.simplefilter("ignore")
            fig.tight_layout()
            renderer = fig.canvas.get_renderer()
            whole = _tight_bbox(fig, 0)
            plots = [ax.get_window_extent(renderer).width / fig.dpi for ax in fig.axes
                     if ax.get_visible()]
            if not plots or max(plots) < MIN_PLOT_SHARE * whole.width:
                return ""  # measured, never drawn
            bbox = whole.padded(PAD_INCHES)
            px = _width_px(fig, bbox)
            if px <= NARROW_MAX_PX:
                return base64.b64encode(_save(fig, bbox)).decode("ascii")
        width -= (px - NARROW_MAX_PX) / fig.dpi + 0.05
    return ""


NARROW_WIDTH = 3.6  # inches: the phone version of a figure, 346 px at 96 dpi
NARROW_MAX_PX = 372  # a narrow rendering wider than this (a legend or labels past the
#                      axes) would be shrunk on a 390 px screen: the figure pans instead


def figure(fig, alt: str, caption: str, card: bool = False) -> None:
    """Display a matplotlib figure as PNG with alt text and a caption, then close it.

    A second, narrow rendering (:data:`NARROW_WIDTH` inches, same font sizes) is shown
    on screens up to 640 px wide, so its text stays readable on a phone instead of
    shrinking with the picture; a figure that cannot be narrowed is shown there at full
    size in a box that scrolls sideways. ``card``: this is the figure of the study's index card
    (the one that answers its question; default: the notebook's first figure).
    """
    import matplotlib.pyplot as plt
    from IPython.display import HTML

    wide = _png(fig)
    narrow = _narrow_png(fig) if fig.get_size_inches()[0] > NARROW_WIDTH + 0.5 else ""
    plt.close(fig)
    _display(HTML(_template("figure").render(wide=wide, narrow=narrow, alt=alt,
                                             caption=caption, card=card)))


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
