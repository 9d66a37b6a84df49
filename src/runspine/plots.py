"""Figures (seaborn on matplotlib), styled once and deterministic.

Every function returns the matplotlib Figure; notebooks display it. Use PNG output
(the default inline backend), which has no random element ids.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

PALETTE = "colorblind"


def setup() -> None:
    """Apply the suite's plotting style (call once per notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    plt.rcParams.update({"figure.dpi": 96, "savefig.dpi": 96, "figure.figsize": (7, 4.2),
                         "svg.hashsalt": "runspine", "axes.titlesize": "medium"})


def estimates_with_band(points: pd.DataFrame, line: pd.DataFrame, x: str, xlabel: str,
                        ylabel: str, title: str, threshold: float | None = None,
                        threshold_label: str = "") -> plt.Figure:
    """Point estimates with CI error bars over a fitted line with CI and prediction bands.

    ``points`` needs columns x, mean, ci_low, ci_high; ``line`` needs x, mean, ci_low,
    ci_high, pi_low, pi_high.
    """
    fig, ax = plt.subplots()
    pal = sns.color_palette(PALETTE)
    ax.fill_between(line[x], line["pi_low"], line["pi_high"], color=pal[0], alpha=0.12,
                    label="95% prediction interval (one runner)")
    ax.fill_between(line[x], line["ci_low"], line["ci_high"], color=pal[0], alpha=0.3,
                    label="95% CI of the mean line")
    sns.lineplot(data=line, x=x, y="mean", ax=ax, color=pal[0], label="fitted line")
    ax.errorbar(points[x], points["mean"],
                yerr=[points["mean"] - points["ci_low"], points["ci_high"] - points["mean"]],
                fmt="o", color=pal[1], capsize=4, label="published mean, 95% CI")
    if threshold is not None:
        ax.axhline(threshold, color=pal[3], linestyle="--", linewidth=1, label=threshold_label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
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
    fig.tight_layout()
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
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
