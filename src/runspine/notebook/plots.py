"""Figures (seaborn on matplotlib), styled once and deterministic.

Every function returns the matplotlib Figure; notebooks display it. Use PNG output
(the default inline backend), which has no random element ids.
"""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

PALETTE = "colorblind"
LABEL_WIDTH = 42  # characters per line of a forest-plot row label (longer ones wrap)


def legend_below(fig, ax) -> None:
    """Lay the figure out, then put the legend under the axes and their x label, where
    it cannot cover the data. Call last: the figure is saved with a tight bounding box
    (``helpers.figure``), which takes the legend in."""
    from matplotlib.transforms import offset_copy

    fig.tight_layout()
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    ncol = 1 if max(len(lb) for lb in labels) > 38 else 2
    below = offset_copy(ax.transAxes, fig=fig, x=0, y=-38, units="points")
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0),
              bbox_transform=below, ncol=ncol, fontsize="small", frameon=False)


def setup() -> None:
    """Apply the suite's plotting style (call once per notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({"figure.dpi": 96, "savefig.dpi": 96, "figure.figsize": (7, 4.2),
                         "svg.hashsalt": "runspine", "axes.titlesize": "medium"})


def estimates_with_band(points: pd.DataFrame, line: pd.DataFrame, x: str, xlabel: str,
                        ylabel: str, title: str, threshold: float | None = None,
                        threshold_label: str = "", level: float = 0.95) -> plt.Figure:
    """Point estimates with CI error bars over a fitted line with CI and prediction bands.

    ``points`` needs columns x, mean, ci_low, ci_high; ``line`` needs x, mean, ci_low,
    ci_high, pi_low, pi_high; ``level`` is the level of their intervals (legend labels).
    """
    from runspine.claims import percent

    pct = percent(level)
    fig, ax = plt.subplots()
    pal = sns.color_palette(PALETTE)
    ax.fill_between(line[x], line["pi_low"], line["pi_high"], color=pal[0], alpha=0.12,
                    label=f"{pct} prediction interval (one runner)")
    ax.fill_between(line[x], line["ci_low"], line["ci_high"], color=pal[0], alpha=0.3,
                    label=f"{pct} CI of the mean line")
    sns.lineplot(data=line, x=x, y="mean", ax=ax, color=pal[0], label="fitted line")
    ax.errorbar(points[x], points["mean"],
                yerr=[points["mean"] - points["ci_low"], points["ci_high"] - points["mean"]],
                fmt="o", color=pal[1], capsize=4, label=f"published mean, {pct} CI")
    if threshold is not None:
        ax.axhline(threshold, color=pal[3], linestyle="--", linewidth=1, label=threshold_label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    legend_below(fig, ax)
    return fig


def power_curve(frame: pd.DataFrame, x: str, y: str, hue: str | None, xlabel: str,
                ylabel: str, title: str, marks: pd.DataFrame | None = None) -> plt.Figure:
    """Power (or detectable effect) against sample size, one line per ``hue`` level."""
    fig, ax = plt.subplots()
    sns.lineplot(data=frame, x=x, y=y, hue=hue, ax=ax, palette=PALETTE if hue else None)
    if marks is not None:
        ax.scatter(marks[x], marks[y], color="black", zorder=3, s=25)
        for _, row in marks.iterrows():
            ax.annotate(row["label"], (row[x], row[y]), textcoords="offset points",
                        xytext=(6, 4), fontsize="small")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    legend_below(fig, ax)  # never over the lines
    return fig


def sensitivity_line(frame: pd.DataFrame, x: str, y: str, hue: str | None, xlabel: str,
                     ylabel: str, title: str, hline: float | None = None,
                     hline_label: str = "") -> plt.Figure:
    """A quantity across an assumed parameter (e.g. P value across rho), log-y if positive."""
    fig, ax = plt.subplots()
    sns.lineplot(data=frame, x=x, y=y, hue=hue, ax=ax, marker="o")
    if hline is not None:
        ax.axhline(hline, color="grey", linestyle="--", linewidth=1, label=hline_label)
    if (frame[y] > 0).all():
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    legend_below(fig, ax)
    return fig


def forest(frame: pd.DataFrame, label: str, estimate: str, ci_low: str, ci_high: str,
           group: str | None = None, xlabel: str = "", title: str = "",
           reference: float | None = None, pooled: pd.DataFrame | None = None,
           log_x: bool = False) -> plt.Figure:
    """Forest plot: one row per estimate with its CI, optionally grouped and with pooled
    diamonds.

    Parameters
    ----------
    frame : DataFrame
        One row per study/group, with ``label``, ``estimate``, ``ci_low``, ``ci_high``
        columns (and ``group`` if given; rows are drawn in group order).
    pooled : DataFrame, optional
        Rows with the same columns drawn as diamonds after their group's rows (label them
        e.g. "Pooled (RE)").
    reference : float, optional
        Vertical reference line (e.g. 0 for differences, 1 for ratios).
    log_x : bool
        Log-scaled x axis (for ratios such as odds ratios).
    """
    rows = []
    keys = list(dict.fromkeys(frame[group])) if group else [None]
    for key in keys:
        sub = frame[frame[group] == key] if group else frame
        if group:
            rows.append(("header", str(key), None))
        rows.extend(("row", r[label], r) for _, r in sub.iterrows())
        if pooled is not None:
            psub = pooled[pooled[group] == key] if group else pooled
            rows.extend(("pooled", r[label], r) for _, r in psub.iterrows())
    # long labels wrap; a wrapped row gets the room of its extra lines
    wrapped = [textwrap.fill(str(text), LABEL_WIDTH) for _, text, _ in rows]
    steps = [1 + 0.6 * label.count("\n") for label in wrapped]
    tops = [sum(steps[i:]) for i in range(len(rows))]
    height = max(2.5, 0.28 * sum(steps) + 1.2)
    fig, ax = plt.subplots(figsize=(7.5, height))
    if log_x:
        ax.set_xscale("log")
    pal = sns.color_palette(PALETTE)
    ys, labels = [], []
    for i, (kind, text, r) in enumerate(rows):
        y = tops[i] - (steps[i] - 1) / 2
        ys.append(y)
        labels.append(wrapped[i])
        if kind == "row":
            ax.plot([r[ci_low], r[ci_high]], [y, y], color=pal[0], linewidth=1.4)
            ax.plot(r[estimate], y, "s", color=pal[0], markersize=5)
        elif kind == "pooled":
            e, lo, hi = r[estimate], r[ci_low], r[ci_high]
            ax.fill([lo, e, hi, e], [y, y + 0.3, y, y - 0.3], color=pal[1])
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize="small")
    for tick, (kind, _, _) in zip(ax.get_yticklabels(), rows):
        if kind == "header":
            tick.set_fontweight("bold")
    if reference is not None:
        ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
    ax.set(xlabel=textwrap.fill(xlabel, 60), title=title)
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    return fig


def decay_curves(points: pd.DataFrame, line: pd.DataFrame, group: str, x: str, xlabel: str,
                 ylabel: str, title: str, hline: float | None = None, hline_label: str = "",
                 vspans: list[tuple[float, float, str]] | None = None) -> plt.Figure:
    """Fitted curves with CI bands (``line``: group, x, mean, ci_low, ci_high) over the
    published points with CIs (``points``: group, x, mean, ci_low, ci_high), one colour per
    group; optional horizontal level and shaded x ranges (low, high, label)."""
    fig, ax = plt.subplots()
    pal = sns.color_palette(PALETTE)
    for i, (key, sub) in enumerate(line.groupby(group, sort=True)):
        col = pal[i % len(pal)]
        ax.fill_between(sub[x], sub["ci_low"], sub["ci_high"], color=col, alpha=0.2)
        ax.plot(sub[x], sub["mean"], color=col, label=f"{key}: fitted curve (95% CI)")
        pts = points[points[group] == key]
        ax.errorbar(pts[x], pts["mean"], yerr=[pts["mean"] - pts["ci_low"],
                                               pts["ci_high"] - pts["mean"]],
                    fmt="o", color=col, capsize=4, label=f"{key}: published mean (95% CI)")
    for j, (lo, hi, lab) in enumerate(vspans or []):
        ax.axvspan(lo, hi, color=pal[(j + 4) % len(pal)], alpha=0.12, label=lab)
    if hline is not None:
        ax.axhline(hline, color="grey", linestyle="--", linewidth=1, label=hline_label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.set_ylim(bottom=0)
    legend_below(fig, ax)
    return fig


def mileage_band(table: pd.DataFrame, x: str, label: str, band: tuple[float, float],
                 band_label: str, variant: float, variant_label: str, xlabel: str,
                 title: str) -> plt.Figure:
    """Studies placed on a distance axis (one row each, labelled) against a shaded band and
    a dashed variant line."""
    fig, ax = plt.subplots(figsize=(7, 2.2 + 0.45 * len(table)))
    pal = sns.color_palette(PALETTE)
    ax.axvspan(band[0], band[1], color=pal[2], alpha=0.18, label=band_label)
    ax.axvline(variant, color=pal[3], linestyle="--", linewidth=1, label=variant_label)
    ys = list(range(len(table), 0, -1))
    ax.scatter(table[x], ys, color=pal[0], zorder=3)
    for y, (_, row) in zip(ys, table.iterrows()):
        ax.annotate(row[label], (row[x], y), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize="small")
    ax.set_yticks([])
    ax.set_ylim(0.3, len(table) + 0.9)
    ax.set_xlim(0, max(float(table[x].max()), band[1]) * 1.15)
    ax.set(xlabel=xlabel, title=title)
    legend_below(fig, ax)
    return fig
