"""Figures of the pipeline, drawn with matplotlib's Agg backend and saved as byte-stable PNGs.

Every figure goes through :func:`style_axes` (title, axis labels with units, legend) and
:func:`save_figure` (fixed dpi, no software/date metadata, atomic write), so that two runs on the same
inputs give the same bytes and every plot reads the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display: the same output on a headless CI machine

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

from plancast.artifacts import atomic_path
from plancast.correlation import POOLED, label

DPI = 110
CORRELATION_CMAP = "RdBu_r"
MAX_ANNOTATED_PARTS = 30
_PNG_METADATA = {"Software": None}


def style_axes(
    ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = False, grid: bool = False
) -> None:
    """Give an axes the house look: title, axis labels (with units in the label), optional legend/grid."""
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if grid:
        ax.grid(True, alpha=0.3, linewidth=0.6)
    if legend:
        ax.legend(loc="best", fontsize=8, frameon=False)


def save_figure(fig: Figure, path: str | Path) -> None:
    """Save ``fig`` as a PNG at the house dpi without run-dependent metadata, atomically, and close it."""
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=DPI, metadata=_PNG_METADATA)
    finally:
        plt.close(fig)


def message_figure(title: str, message: str) -> Figure:
    """A small figure that only says ``message``: the honest plot when there is nothing to draw."""
    fig, ax = plt.subplots(figsize=(6, 2.5), layout="constrained")
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, transform=ax.transAxes)
    return fig


def _natural_key(name: str) -> list[object]:
    """Sort key that puts 'Part 2' before 'Part 10'."""
    return [int(piece) if piece.isdigit() else piece for piece in re.split(r"(\d+)", name)]


def _diverging_cmap() -> Colormap:
    # an undefined r (too few pairs, a constant column) shows as grey, never as the colour of 0
    return plt.get_cmap(CORRELATION_CMAP).with_extremes(bad="#d9d9d9")


def _annotate_cells(ax: Axes, values: np.ndarray, fontsize: float) -> None:
    for (row, col), value in np.ndenumerate(values):
        text = "n/a" if np.isnan(value) else f"{value:.2f}"
        colour = "white" if np.isfinite(value) and abs(value) > 0.6 else "black"
        ax.text(col, row, text, ha="center", va="center", fontsize=fontsize, color=colour)


def _draw_matrix(ax: Axes, values: np.ndarray, annotate: bool, fontsize: float) -> matplotlib.image.AxesImage:
    image = ax.imshow(
        np.ma.masked_invalid(values),
        cmap=_diverging_cmap(),
        vmin=-1.0,
        vmax=1.0,
        aspect="auto",
        interpolation="nearest",
    )
    if annotate:
        _annotate_cells(ax, values, fontsize)
    return image


def _thinned(count: int, most: int) -> list[int]:
    """Every tick position while they fit, else every n-th so that at most ``most`` labels remain."""
    return list(range(0, count, max(1, -(-count // most))))


def correlation_heatmap(table: pd.DataFrame, cross: pd.DataFrame | None = None) -> Figure:
    """Parts x horizons heatmap of Pearson r (actual vs the plan for the same day), with a pooled row.

    ``table``: correlation.csv's long form. ``cross``: optional ``(K + 1, K + 1)`` pooled
    horizon-vs-horizon matrix, drawn as a second panel. Colours are fixed to -1..1 around 0; cells show
    their value while there are at most 30 parts. With no horizons the figure says "no plan horizons".
    """
    title = "Correlation of the actual with each plan horizon"
    if table.empty:
        return message_figure(title, "no plan horizons: a single series without plan columns")
    horizons = sorted(int(k) for k in table["horizon"].unique())
    parts = sorted((str(p) for p in table["part"].unique() if p != POOLED), key=_natural_key)
    wide = table.pivot(index="part", columns="horizon", values="correlation")
    values = wide.reindex(index=[*parts, POOLED], columns=horizons).to_numpy(dtype=np.float64)
    height = float(np.clip(0.3 * (len(parts) + 1) + 2.0, 4.0, 14.0))
    heat_width = float(np.clip(0.55 * len(horizons) + 2.5, 5.0, 14.0))
    with_cross = cross is not None and not cross.empty
    if with_cross:
        cross_width = float(np.clip(0.45 * len(cross) + 2.0, 5.0, 10.0))
        fig, (ax, ax_cross) = plt.subplots(
            1, 2, figsize=(heat_width + cross_width + 1.5, height), layout="constrained",
            gridspec_kw={"width_ratios": [heat_width, cross_width]},
        )  # fmt: skip
    else:
        fig, ax = plt.subplots(figsize=(heat_width + 1.5, height), layout="constrained")

    annotate = len(parts) <= MAX_ANNOTATED_PARTS and len(horizons) <= 20
    image = _draw_matrix(ax, values, annotate, fontsize=7.5)
    columns = _thinned(len(horizons), 20)
    ax.set_xticks(columns, [label(horizons[c]) for c in columns], fontsize=8)
    rows = [*_thinned(len(parts), 60), len(parts)]
    ax.set_yticks(rows, [[*parts, "pooled (all parts)"][r] for r in rows], fontsize=8)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.axhline(len(parts) - 0.5, color="black", linewidth=1.5)
    style_axes(
        ax,
        f"{title}\n(rows: {len(parts)} parts + pooled; grey = too few pairs or constant)",
        "plan horizon (days before the target day)",
        "part",
    )
    colorbar_axes: list[Axes] = [ax]
    if with_cross:
        _draw_matrix(ax_cross, cross.to_numpy(dtype=np.float64), annotate=len(cross) <= 16, fontsize=7)
        ticks = _thinned(len(cross), 20)
        names = [str(cross.columns[t]) for t in ticks]
        ax_cross.set_xticks(ticks, names, fontsize=8, rotation=0 if len(cross) <= 16 else 90)
        ax_cross.set_yticks(ticks, names, fontsize=8)
        ax_cross.set_aspect("equal")
        style_axes(
            ax_cross,
            "Pooled correlation between horizons\n(plans for the same target day; D = actual)",
            "plan horizon (days ahead)",
            "plan horizon (days ahead)",
        )
        colorbar_axes.append(ax_cross)
    colorbar = fig.colorbar(image, ax=colorbar_axes, shrink=0.8 if height >= 6 else 1.0)
    colorbar.set_label("Pearson r (actual vs plan for the same day)", fontsize=9)
    return fig
