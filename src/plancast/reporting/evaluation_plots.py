"""The figures of stage evaluate: each model's test error (pooled and by part), its predictions beside the
actual, the loss curves of training, and which plan horizons to trust.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from plancast.features.correlation import POOLED, label
from plancast.names import BASELINE_PREFIX, COMBINATION, PLAN_BASELINE, RECOMMENDED
from plancast.reporting.plot_style import (
    ACTUAL_COLOUR,
    BASELINE_COLOUR,
    NETWORK_COLOUR,
    PLAN_COLOUR,
    house_style,
    message_figure,
    natural_key,
    style_axes,
    subplots,
)


def _display_name(model: str) -> str:
    return f"{model.removeprefix(BASELINE_PREFIX)} (baseline)" if model.startswith(BASELINE_PREFIX) else model


@house_style
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
    # a forecast with no number at all here (the plan of a series without plans) gets no empty panel
    rows = rows[rows.groupby("model")["prediction"].transform(lambda p: p.notna().any())]
    models = sorted(rows["model"].unique(), key=lambda m: (m.startswith(BASELINE_PREFIX), m))
    columns = min(3, len(models))
    grid_rows = -(-len(models) // columns)
    fig, axes = subplots(
        grid_rows,
        columns,
        figsize=(4.6 * columns, 2.8 * grid_rows),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    day = pd.to_datetime(rows["target_day"], errors="coerce")
    x_is_day = bool(day.notna().all())
    for ax, model in zip(axes.flat, models, strict=False):
        mine = rows[rows["model"] == model].sort_values("target_day")
        x = pd.to_datetime(mine["target_day"]) if x_is_day else mine["target_day"]
        ax.plot(x, mine["actual"], color=ACTUAL_COLOUR, linewidth=1.2, label="actual")
        colour = (
            PLAN_COLOUR
            if model == PLAN_BASELINE
            else (BASELINE_COLOUR if model.startswith(BASELINE_PREFIX) else NETWORK_COLOUR)
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


_KIND_COLOURS = {
    RECOMMENDED: "#000000",
    COMBINATION: "#9467bd",
    "tabular": "#2ca02c",
    "network": NETWORK_COLOUR,
    "baseline": BASELINE_COLOUR,
    "plan": PLAN_COLOUR,
}
_KIND_LABELS = {
    RECOMMENDED: "recommended (routed per delay on validation)",
    COMBINATION: "combination (best network + best tabular)",
    "tabular": "tabular model on the plan vintages",
    "network": "network",
    "baseline": "baseline",
    "plan": "the planner's own number",
}


@house_style
def error_by_model(summary_table: pd.DataFrame, metric: str = "mae", unit: str = "quantity") -> Figure:
    """Horizontal bars of the test error of every network and baseline, lowest at the top.

    ``summary_table`` has columns model, kind (network, tabular, combination, recommended, baseline),
    test_<metric>, val_<metric> (error_by_model.csv); colours by kind, the plan in red.
    """
    column = f"test_{metric}"
    table = summary_table.dropna(subset=[column]).sort_values(column, ascending=False)
    if table.empty:
        return message_figure("Test error by model", "no test windows")
    fig, ax = subplots(figsize=(7.5, 0.45 * len(table) + 1.7))
    kinds = (
        table["kind"]
        if "kind" in table
        else pd.Series(
            ["baseline" if m.startswith(BASELINE_PREFIX) else "network" for m in table["model"]], index=table.index
        )
    )
    kinds = kinds.where(table["model"] != PLAN_BASELINE, "plan")
    colours = [_KIND_COLOURS.get(kind, NETWORK_COLOUR) for kind in kinds]
    bars = ax.barh([_display_name(m) for m in table["model"]], table[column], color=colours)
    ax.bar_label(bars, fmt="%.3g", padding=3, fontsize=8)
    ax.margins(x=0.15)
    shown = [kind for kind in _KIND_COLOURS if kind in set(kinds)]
    handles = [Patch(color=_KIND_COLOURS[kind], label=_KIND_LABELS[kind]) for kind in shown]
    # below the axes, never over a bar (the longest bar reaches the corner a legend would take)
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    style_axes(
        ax,
        f"Test {metric.upper()} by model, pooled over parts and delays (lower is better)",
        f"test {metric.upper()} ({unit})",
        "model",
    )
    return fig


MAX_PARTS_BY_ERROR = 40


@house_style
def error_by_part(part_table: pd.DataFrame, model: str, unit: str = "quantity") -> Figure:
    """Per-part test MAE of ``model`` beside the plan's, parts in natural order.

    ``part_table`` has columns part, test_mae, plan_mae (error_by_part.csv). Beyond 40 parts only the 40
    with the largest test MAE are drawn (a bar per part of 2,000 would be a 70,000 px tall image), and
    the title says how many of how many.
    """
    if part_table.empty:
        return message_figure("Test error by part", "no test windows")
    shown = part_table
    if len(part_table) > MAX_PARTS_BY_ERROR:
        shown = part_table.sort_values(["test_mae", "part"], ascending=[False, True]).head(MAX_PARTS_BY_ERROR)
    table = shown.iloc[sorted(range(len(shown)), key=lambda i: natural_key(str(shown["part"].iloc[i])))]
    table = table.iloc[::-1]
    positions = np.arange(len(table))
    fig, ax = subplots(figsize=(7.5, 0.32 * len(table) + 1.9))
    ax.barh(positions + 0.2, table["test_mae"], height=0.4, color=NETWORK_COLOUR, label=_display_name(model))
    ax.barh(positions - 0.2, table["plan_mae"], height=0.4, color=PLAN_COLOUR, label="plan (baseline)")
    ax.set_yticks(positions, table["part"].astype(str), fontsize=8)
    which = (
        f"\n{len(table)} of {len(part_table):,} parts: those with the largest test MAE (all: error_by_part.csv)"
        if len(table) < len(part_table)
        else ""
    )
    style_axes(
        ax, f"Test MAE by part: {_display_name(model)} vs the plan{which}", f"test MAE ({unit})", "part", grid=True
    )
    fig.legend(loc="outside lower center", ncol=2, fontsize=8, frameon=False)
    return fig


@house_style
def loss_curves(histories: dict[str, pd.DataFrame], losses: dict[str, str] | None = None) -> Figure:
    """Training (solid) and validation (dashed) loss per epoch of every model, one colour per model.

    ``histories`` maps model -> frame with columns epoch, train_loss, val_loss (scaled target units);
    ``losses`` names each model's loss function (models may differ: MSE vs MAE), shown in the legend.
    """
    losses = losses or {}
    if not histories:
        return message_figure("Loss curves", "no trained models")
    fig, ax = subplots(figsize=(9, 4.5))
    colours = matplotlib.colormaps["tab10"]
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
        ax, "Loss per epoch (solid: training, dashed: validation)", "epoch", "loss (scaled target units)", grid=True
    )
    # beside the axes: ten curves leave no corner free to cover
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    return fig


def _loss_suffix(losses: dict[str, str], model: str) -> str:
    return f" ({losses[model].upper()})" if model in losses else ""


MAX_TRUST_PARTS = 40


@house_style
def horizon_trust_figure(table: pd.DataFrame) -> Figure:
    """Parts x horizons: the plan's error relative to the part's volume (colour, MAE in the cell), with
    the pooled row, and a frame where the recommended forecast beats the plan (horizon_trust.csv).

    At most :data:`MAX_TRUST_PARTS` parts (the largest plan errors first), the title says how many.
    """
    title = "Which plan horizons to trust (test period)"
    if table.empty:
        return message_figure(title, "no plan horizons")
    horizons = sorted(int(k) for k in table["horizon"].unique())
    own = table[table["part"] != POOLED]
    ranked = own.groupby("part")["plan_mae"].mean().sort_values(ascending=False)
    parts = sorted(ranked.index[:MAX_TRUST_PARTS].astype(str), key=natural_key)
    rows = [*parts, POOLED]
    wide = table.pivot(index="part", columns="horizon", values="relative_plan_mae").reindex(
        index=rows, columns=horizons
    )
    mae = table.pivot(index="part", columns="horizon", values="plan_mae").reindex(index=rows, columns=horizons)
    beats = table.pivot(index="part", columns="horizon", values="beats_plan").reindex(index=rows, columns=horizons)
    height = float(np.clip(0.3 * len(rows) + 2.2, 3.5, 16.0))
    fig, ax = subplots(figsize=(float(np.clip(0.7 * len(horizons) + 3.0, 6.0, 14.0)), height))
    values = wide.to_numpy(np.float64)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=matplotlib.colormaps["Reds"].with_extremes(bad="#d9d9d9"),
                      vmin=0.0, vmax=max(1.0, float(np.nanmax(values)) if np.isfinite(values).any() else 1.0),
                      aspect="auto", interpolation="nearest")  # fmt: skip
    for (r, c), value in np.ndenumerate(mae.to_numpy(np.float64)):
        if np.isfinite(value):
            dark = np.isfinite(values[r, c]) and values[r, c] > 0.6
            ax.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
        if beats.iat[r, c] is True or beats.iat[r, c] == "True":
            frame = Rectangle((c - 0.46, r - 0.46), 0.92, 0.92, fill=False, edgecolor=NETWORK_COLOUR, linewidth=2.0)
            ax.add_patch(frame)
    ax.set_xticks(range(len(horizons)), [label(k) for k in horizons], fontsize=8)
    ax.set_yticks(range(len(rows)), [*parts, "pooled (all parts)"], fontsize=8)
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.axhline(len(parts) - 0.5, color="black", linewidth=1.5)
    shown = (
        f"{len(parts)} of {own['part'].nunique()} parts (largest plan errors)"
        if len(parts) < own["part"].nunique()
        else f"{len(parts)} parts"
    )
    heading = f"{title}: {shown} + pooled\ncell: the plan's MAE (quantity); blue frame: our forecast beats it"
    style_axes(ax, heading, "plan horizon (made k working days before the day)", "part")
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label("plan MAE / the part's mean quantity", fontsize=9)
    return fig
