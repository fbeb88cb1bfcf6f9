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
from plancast.features.correlation import POOLED, label

DPI = 110
CORRELATION_CMAP = "RdBu_r"
MAX_ANNOTATED_PARTS = 30
_PNG_METADATA = {"Software": None}


def style_axes(ax: Axes, title: str, xlabel: str, ylabel: str, legend: bool = False, grid: bool = False) -> None:
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


def natural_key(name: str) -> list[object]:
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
    parts = sorted((str(p) for p in table["part"].unique() if p != POOLED), key=natural_key)
    wide = table.pivot(index="part", columns="horizon", values="correlation")
    values = wide.reindex(index=[*parts, POOLED], columns=horizons).to_numpy(dtype=np.float64)
    height = float(np.clip(0.3 * (len(parts) + 1) + 2.0, 4.0, 14.0))
    heat_width = float(np.clip(0.55 * len(horizons) + 2.5, 5.0, 14.0))
    with_cross = cross is not None and not cross.empty
    if with_cross:
        cross_width = float(np.clip(0.45 * len(cross) + 2.0, 5.0, 10.0))
        fig, (ax, ax_cross) = plt.subplots(
            1,
            2,
            figsize=(heat_width + cross_width + 1.5, height),
            layout="constrained",
            gridspec_kw={"width_ratios": [heat_width, cross_width]},
        )
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


# --- evaluation and forecast figures ------------------------------------------------------------

BASELINE_PREFIX = "baseline_"
_NETWORK_COLOUR = "#1f77b4"
_BASELINE_COLOUR = "#9e9e9e"
_PLAN_COLOUR = "#d62728"
_ACTUAL_COLOUR = "black"


def _display_name(model: str) -> str:
    return f"{model.removeprefix(BASELINE_PREFIX)} (baseline)" if model.startswith(BASELINE_PREFIX) else model


def prediction_panels(
    predictions: pd.DataFrame, part: str, delay: int, split: str = "test", unit: str = "quantity"
) -> Figure:
    """One panel per model: its ``delay``-day-ahead predictions beside the actual, for one part.

    ``predictions`` has the columns of predictions.csv (split, model, part, target_day, delay, actual,
    prediction). Panels share the y-axis so models compare at a glance (as Seed A's figure did).
    """
    rows = predictions[(predictions["split"] == split) & (predictions["part"] == part)]
    rows = rows[rows["delay"] == delay]
    if rows.empty:
        return message_figure(f"{split} predictions", f"no {split} windows for {part}")
    models = sorted(rows["model"].unique(), key=lambda m: (m.startswith(BASELINE_PREFIX), m))
    columns = min(3, len(models))
    grid_rows = -(-len(models) // columns)
    fig, axes = plt.subplots(
        grid_rows,
        columns,
        figsize=(4.6 * columns, 2.8 * grid_rows),
        sharex=True,
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    day = pd.to_datetime(rows["target_day"], errors="coerce")
    x_is_day = bool(day.notna().all())
    for ax, model in zip(axes.flat, models, strict=False):
        mine = rows[rows["model"] == model].sort_values("target_day")
        x = pd.to_datetime(mine["target_day"]) if x_is_day else mine["target_day"]
        ax.plot(x, mine["actual"], color=_ACTUAL_COLOUR, linewidth=1.2, label="actual")
        colour = (
            _PLAN_COLOUR
            if model == f"{BASELINE_PREFIX}plan"
            else (_BASELINE_COLOUR if model.startswith(BASELINE_PREFIX) else _NETWORK_COLOUR)
        )
        ax.plot(x, mine["prediction"], color=colour, linewidth=1.2, label="prediction")
        mae = float(np.nanmean(np.abs(mine["prediction"] - mine["actual"])))
        style_axes(ax, f"{_display_name(model)}  (MAE {mae:.3g})", "", unit, legend=ax is axes.flat[0], grid=True)
        ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    for ax in list(axes.flat)[len(models) :]:
        ax.set_axis_off()
    for ax in axes[-1]:
        ax.set_xlabel("target day" if x_is_day else "step")
    fig.suptitle(f"{part}: {split} period, forecast {delay} day(s) ahead vs actual", fontsize=12)
    return fig


def error_by_model(summary_table: pd.DataFrame, metric: str = "mae", unit: str = "quantity") -> Figure:
    """Horizontal bars of the test error of every network and baseline, lowest at the top.

    ``summary_table`` has columns model, test_<metric>, val_<metric> (error_by_model.csv).
    """
    column = f"test_{metric}"
    table = summary_table.dropna(subset=[column]).sort_values(column, ascending=False)
    if table.empty:
        return message_figure("Test error by model", "no test windows")
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(table) + 1.4), layout="constrained")
    colours = [
        _PLAN_COLOUR
        if m == f"{BASELINE_PREFIX}plan"
        else _BASELINE_COLOUR
        if m.startswith(BASELINE_PREFIX)
        else _NETWORK_COLOUR
        for m in table["model"]
    ]
    bars = ax.barh([_display_name(m) for m in table["model"]], table[column], color=colours)
    ax.bar_label(bars, fmt="%.3g", padding=3, fontsize=8)
    ax.margins(x=0.15)
    handles = [
        matplotlib.patches.Patch(color=_NETWORK_COLOUR, label="network"),
        matplotlib.patches.Patch(color=_BASELINE_COLOUR, label="baseline"),
        matplotlib.patches.Patch(color=_PLAN_COLOUR, label="the planner's own number"),
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, frameon=True, framealpha=0.95)
    style_axes(
        ax,
        f"Test {metric.upper()} by model, pooled over parts and delays (lower is better)",
        f"test {metric.upper()} ({unit})",
        "model",
    )
    return fig


def error_by_part(part_table: pd.DataFrame, model: str, unit: str = "quantity") -> Figure:
    """Per-part test MAE of ``model`` beside the plan's, parts in natural order.

    ``part_table`` has columns part, test_mae, plan_mae (error_by_part.csv).
    """
    if part_table.empty:
        return message_figure("Test error by part", "no test windows")
    table = part_table.iloc[sorted(range(len(part_table)), key=lambda i: natural_key(str(part_table["part"].iloc[i])))]
    table = table.iloc[::-1]
    positions = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(table) + 1.6), layout="constrained")
    ax.barh(positions + 0.2, table["test_mae"], height=0.4, color=_NETWORK_COLOUR, label=_display_name(model))
    ax.barh(positions - 0.2, table["plan_mae"], height=0.4, color=_PLAN_COLOUR, label="plan (baseline)")
    ax.set_yticks(positions, table["part"].astype(str), fontsize=8)
    style_axes(
        ax,
        f"Test MAE by part: {_display_name(model)} vs the plan",
        f"test MAE ({unit})",
        "part",
        legend=True,
        grid=True,
    )
    return fig


def loss_curves(histories: dict[str, pd.DataFrame], losses: dict[str, str] | None = None) -> Figure:
    """Training (solid) and validation (dashed) loss per epoch of every model, one colour per model.

    ``histories`` maps model -> frame with columns epoch, train_loss, val_loss (scaled target units);
    ``losses`` names each model's loss function (models may differ: MSE vs MAE), shown in the legend.
    """
    losses = losses or {}
    if not histories:
        return message_figure("Loss curves", "no trained models")
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    colours = plt.get_cmap("tab10")
    for index, (model, history) in enumerate(sorted(histories.items())):
        colour = colours(index % 10)
        ax.plot(
            history["epoch"],
            history["train_loss"],
            color=colour,
            linewidth=1.3,
            label=f"{model} train{_loss_suffix(losses, model)}",
        )
        if history["val_loss"].notna().any():
            ax.plot(
                history["epoch"],
                history["val_loss"],
                color=colour,
                linewidth=1.3,
                linestyle="--",
                label=f"{model} validation{_loss_suffix(losses, model)}",
            )
    style_axes(
        ax,
        "Loss per epoch (solid: training, dashed: validation)",
        "epoch",
        "loss (scaled target units)",
        legend=True,
        grid=True,
    )
    return fig


def _loss_suffix(losses: dict[str, str], model: str) -> str:
    return f" ({losses[model].upper()})" if model in losses else ""


def forecast_figure(
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    parts: list[str],
    history_rows: int = 40,
    unit: str = "quantity",
) -> Figure:
    """History of the actual plus every model's forecast (and the plan) for each of ``parts``.

    ``history`` is the daily table (part, day, target); ``forecasts`` has the columns of forecast.csv
    (method, part, model, step_ahead, day, forecast, plan).
    """
    if forecasts.empty or not parts:
        return message_figure("Forecast", "nothing to forecast")
    fig, axes = plt.subplots(len(parts), 1, figsize=(10, 3.2 * len(parts)), layout="constrained", squeeze=False)
    colours = plt.get_cmap("tab10")
    models = sorted(forecasts["model"].unique())
    for ax, part in zip(axes[:, 0], parts, strict=True):
        past = history[history["part"] == part].sort_values("day").tail(history_rows)
        ax.plot(past["day"], past["target"], color=_ACTUAL_COLOUR, linewidth=1.3, label="actual (history)")
        mine = forecasts[forecasts["part"] == part]
        for index, model in enumerate(models):
            for method, rows in mine[mine["model"] == model].groupby("method", sort=True):
                rows = rows.sort_values("step_ahead")
                days = pd.to_datetime(rows["day"]) if np.issubdtype(past["day"].dtype, np.datetime64) else rows["day"]
                ax.plot(
                    days,
                    rows["forecast"],
                    color=colours(index % 10),
                    marker="o",
                    markersize=3,
                    linestyle="-" if method == "direct" else ":",
                    label=f"{model} ({method})",
                )
        plan = mine.drop_duplicates("step_ahead").dropna(subset=["plan"])
        if not plan.empty:
            days = pd.to_datetime(plan["day"]) if np.issubdtype(past["day"].dtype, np.datetime64) else plan["day"]
            ax.scatter(
                days,
                plan["plan"],
                color=_PLAN_COLOUR,
                marker="x",
                s=40,
                zorder=5,
                label="plan (latest snapshot)",
            )
        style_axes(ax, f"{part}: last {len(past)} days and the forecast", "day", unit, grid=True)
        ax.legend(loc="upper left", fontsize=7, frameon=False, ncol=2)
    return fig
