"""Figures of the pipeline, drawn with matplotlib's Agg backend and saved as byte-stable PNGs.

Every figure goes through :func:`style_axes` (title, axis labels with units, legend) and
:func:`save_figure` (fixed dpi, no software/date metadata, atomic write), so that two runs on the same
inputs give the same bytes and every plot reads the same way.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display: the same output on a headless CI machine

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from plancast.artifacts import atomic_path
from plancast.features.correlation import POOLED, label

DPI = 110
CORRELATION_CMAP = "RdBu_r"
MAX_ANNOTATED_PARTS = 30
_PNG_METADATA = {"Software": None}

# Part names in the planning system's exports are often Hangul, which DejaVu Sans (matplotlib's font)
# lacks: they drew as empty boxes. NanumGothic comes from the koreanize-matplotlib wheel (a pinned
# dependency: pip installs it on any machine, no system font needed). Its file is registered, never its
# module: importing koreanize_matplotlib rewrites rcParams.
HANGUL_FONT_PACKAGE = "koreanize_matplotlib"
HANGUL_FONT_FILES = "fonts/NanumGothic*.ttf"  # regular and the weights of bold titles
LATIN_FONT = "DejaVu Sans"


def register_hangul_font() -> str | None:
    """Register the bundled Hangul font with matplotlib; its family name, or None if it is not installed."""
    spec = importlib.util.find_spec(HANGUL_FONT_PACKAGE)  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    files = sorted(Path(spec.submodule_search_locations[0]).glob(HANGUL_FONT_FILES))
    for path in files:
        font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=files[0]).get_name() if files else None


HANGUL_FONT = register_hangul_font()
# An explicit list, not the generic "sans-serif": matplotlib falls back glyph by glyph only along
# font.family. Latin text keeps DejaVu Sans; a glyph it lacks comes from the Hangul font.
matplotlib.rcParams["font.family"] = [LATIN_FONT, *([HANGUL_FONT] if HANGUL_FONT else [])]


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
    # a forecast with no number at all here (the plan of a series without plans) gets no empty panel
    rows = rows[rows.groupby("model")["prediction"].transform(lambda p: p.notna().any())]
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


_KIND_COLOURS = {
    "recommended": "#000000",
    "combination": "#9467bd",
    "tabular": "#2ca02c",
    "network": "#1f77b4",
    "baseline": "#9e9e9e",
    "plan": "#d62728",
}
_KIND_LABELS = {
    "recommended": "recommended (routed per delay on validation)",
    "combination": "combination (best network + best tabular)",
    "tabular": "tabular model on the plan vintages",
    "network": "network",
    "baseline": "baseline",
    "plan": "the planner's own number",
}


def error_by_model(summary_table: pd.DataFrame, metric: str = "mae", unit: str = "quantity") -> Figure:
    """Horizontal bars of the test error of every network and baseline, lowest at the top.

    ``summary_table`` has columns model, kind (network, tabular, combination, recommended, baseline),
    test_<metric>, val_<metric> (error_by_model.csv); colours by kind, the plan in red.
    """
    column = f"test_{metric}"
    table = summary_table.dropna(subset=[column]).sort_values(column, ascending=False)
    if table.empty:
        return message_figure("Test error by model", "no test windows")
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(table) + 1.7), layout="constrained")
    kinds = (
        table["kind"]
        if "kind" in table
        else pd.Series(
            ["baseline" if m.startswith(BASELINE_PREFIX) else "network" for m in table["model"]], index=table.index
        )
    )
    kinds = kinds.where(table["model"] != f"{BASELINE_PREFIX}plan", "plan")
    colours = [_KIND_COLOURS.get(kind, _NETWORK_COLOUR) for kind in kinds]
    bars = ax.barh([_display_name(m) for m in table["model"]], table[column], color=colours)
    ax.bar_label(bars, fmt="%.3g", padding=3, fontsize=8)
    ax.margins(x=0.15)
    shown = [kind for kind in _KIND_COLOURS if kind in set(kinds)]
    handles = [matplotlib.patches.Patch(color=_KIND_COLOURS[kind], label=_KIND_LABELS[kind]) for kind in shown]
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
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(table) + 1.9), layout="constrained")
    ax.barh(positions + 0.2, table["test_mae"], height=0.4, color=_NETWORK_COLOUR, label=_display_name(model))
    ax.barh(positions - 0.2, table["plan_mae"], height=0.4, color=_PLAN_COLOUR, label="plan (baseline)")
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


def loss_curves(histories: dict[str, pd.DataFrame], losses: dict[str, str] | None = None) -> Figure:
    """Training (solid) and validation (dashed) loss per epoch of every model, one colour per model.

    ``histories`` maps model -> frame with columns epoch, train_loss, val_loss (scaled target units);
    ``losses`` names each model's loss function (models may differ: MSE vs MAE), shown in the legend.
    """
    losses = losses or {}
    if not histories:
        return message_figure("Loss curves", "no trained models")
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
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
        ax, "Loss per epoch (solid: training, dashed: validation)", "epoch", "loss (scaled target units)", grid=True
    )
    # beside the axes: ten curves leave no corner free to cover
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    return fig


def _loss_suffix(losses: dict[str, str], model: str) -> str:
    return f" ({losses[model].upper()})" if model in losses else ""


FORECAST_PANELS = 12
FORECAST_HISTORY_DAYS = 10  # with 3 forecast days they get a quarter of the axis
_FORECAST_MARKERS = "osD^vP*Xph"


def largest_parts(history: pd.DataFrame, parts: list[str], count: int, recent_days: int) -> list[str]:
    """The ``count`` parts of ``parts`` with the largest total actual over their last ``recent_days`` days.

    ``history`` is the daily table (part, day, target). Ties (and parts without history, as 0) go in
    natural order, so the choice is stable from run to run.
    """
    recent = history[history["part"].isin(parts)].sort_values("day").groupby("part").tail(recent_days)
    volume = recent.groupby("part")["target"].sum()
    return sorted(parts, key=lambda part: (-float(volume.get(part, 0.0)), natural_key(str(part))))[:count]


def _dodge(index: int, count: int, width: float = 0.5) -> float:
    """Horizontal offset of model ``index`` of ``count`` inside one day, so that equal forecasts stay apart."""
    return 0.0 if count == 1 else (index / (count - 1) - 0.5) * width


def forecast_figure(
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    max_parts: int = FORECAST_PANELS,
    history_days: int = FORECAST_HISTORY_DAYS,
    unit: str = "quantity",
) -> Figure:
    """Small multiples: the last ``history_days`` of the actual and every model's forecast, for the largest parts.

    ``history`` is the daily table (part, day, target); ``forecasts`` has the columns of forecast.csv
    (method, part, model, step_ahead, day, forecast, plan). At most ``max_parts`` panels: the parts with
    the largest actual over the shown history days, and the title says how many of how many. The x-axis
    counts rows (days with data), not calendar days: the forecast days get as much room as history days
    and weekends leave no gaps. Each model has its colour and marker and is nudged sideways within a day,
    so equal forecasts stay visible; the legend sits below the panels.
    """
    if forecasts.empty:
        return message_figure("Forecast", "nothing to forecast")
    all_parts = sorted(forecasts["part"].astype(str).unique(), key=natural_key)
    parts = largest_parts(history, all_parts, max_parts, history_days)
    # With a recommended forecast the planner sees it, its intervals and the plan; every model's own
    # number stays in forecast.csv (nine lines per panel hid the one that matters).
    recommended = "recommended" in set(forecasts["model"])
    if recommended:
        forecasts = forecasts[forecasts["model"] == "recommended"]
    models = sorted(forecasts["model"].unique())
    methods = sorted(forecasts["method"].unique())
    columns = 1 if len(parts) == 1 else 2 if len(parts) <= 4 else 3
    rows = -(-len(parts) // columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(9.0 if columns == 1 else 4.6 * columns, 2.7 * rows + 1.3),
        layout="constrained",
        squeeze=False,
    )
    colours = plt.get_cmap("tab10")
    for ax, part in zip(axes.flat, parts, strict=False):
        past = history[history["part"] == part].sort_values("day").tail(history_days)
        mine = forecasts[forecasts["part"] == part]
        steps = int(mine["step_ahead"].max())
        x_past = np.arange(1 - len(past), 1)
        ax.plot(x_past, past["target"], color=_ACTUAL_COLOUR, linewidth=1.3, marker=".", markersize=4)
        ax.axvspan(0.5, steps + 0.5, color="#f2f2f2", zorder=0)
        if recommended and "lower_95" in mine:
            band = mine.sort_values("step_ahead")
            for level, alpha in (("95", 0.18), ("80", 0.32)):
                ax.fill_between(band["step_ahead"], band[f"lower_{level}"], band[f"upper_{level}"],
                                color=colours(0), alpha=alpha, linewidth=0, zorder=1)  # fmt: skip
        for index, model in enumerate(models):
            for method in methods:
                rows_ = mine[(mine["model"] == model) & (mine["method"] == method)].sort_values("step_ahead")
                if rows_.empty:
                    continue
                ax.plot(
                    rows_["step_ahead"] + _dodge(index, len(models)),
                    rows_["forecast"],
                    color=colours(index % 10),
                    marker=_FORECAST_MARKERS[index % len(_FORECAST_MARKERS)],
                    markersize=4.5,
                    linewidth=1.0,
                    linestyle="-" if method == "direct" else ":",
                )
        plan = mine.drop_duplicates("step_ahead").dropna(subset=["plan"])
        ax.scatter(plan["step_ahead"], plan["plan"], color=_PLAN_COLOUR, marker="x", s=45, linewidths=1.8, zorder=5)
        is_date = pd.api.types.is_datetime64_any_dtype(past["day"])
        days = [*(_day_label(d, is_date) for d in past["day"]), *_forecast_days(mine, steps, is_date)]
        positions = np.arange(1 - len(past), steps + 1)
        # about five labels each side of the cut: every forecast day while there are few, history counted
        # back from its last day
        every, every_ahead = max(1, -(-len(past) // 5)), max(1, -(-steps // 5))
        shown = [p for p in positions if (p % every_ahead == 0 if p > 0 else (-p) % every == 0)]
        ax.set_xticks(shown, [days[p - positions[0]] for p in shown], fontsize=7)
        ax.set_xlim(positions[0] - 0.6, steps + 0.6)
        ax.set_title(str(part), fontsize=10)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(True, alpha=0.3, linewidth=0.6)
    for ax in list(axes.flat)[len(parts) :]:
        ax.set_axis_off()
    for ax in axes[:, 0]:
        ax.set_ylabel(unit)
    which = (
        f"the {len(parts)} of {len(all_parts):,} parts with the largest volume over the last {history_days} days"
        if len(parts) < len(all_parts)
        else f"all {len(parts)} parts"
        if len(parts) > 1
        else "one part"
    )
    fig.suptitle(f"Forecast of the next days (shaded) after the last {history_days} days: {which}", fontsize=11)
    handles = [Line2D([], [], color=_ACTUAL_COLOUR, marker=".", label="actual")]
    handles += [
        Line2D([], [], color=colours(i % 10), marker=_FORECAST_MARKERS[i % len(_FORECAST_MARKERS)], label=model)
        for i, model in enumerate(models)
    ]
    if forecasts["plan"].notna().any():
        handles.append(Line2D([], [], color=_PLAN_COLOUR, marker="x", linestyle="", label="plan (latest snapshot)"))
    if "recursive" in methods:
        handles.append(Line2D([], [], color="grey", linestyle=":", label="recursive forecast (dotted)"))
    if recommended:
        handles += [
            Patch(color=colours(0), alpha=0.32, label="80% interval"),
            Patch(color=colours(0), alpha=0.18, label="95% interval"),
            Line2D([], [], linestyle="", label="each model's own number: data/reports/forecast.csv"),
        ]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 8), fontsize=8, frameon=False)
    return fig


def _day_label(day: object, is_date: bool) -> str:
    # a plain series counts steps (ingest.time_format: step), not dates
    return pd.Timestamp(day).strftime("%m-%d") if is_date else str(day)


def _forecast_days(rows: pd.DataFrame, steps: int, is_date: bool) -> list[str]:
    """Tick labels of forecast steps 1..steps: each step's day where forecast.csv has one, else +step."""
    by_step = rows.drop_duplicates("step_ahead").set_index("step_ahead")["day"]
    return [_day_label(by_step[step], is_date) if step in by_step.index else f"+{step}" for step in range(1, steps + 1)]


MAX_TRUST_PARTS = 40


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
    fig, ax = plt.subplots(figsize=(float(np.clip(0.7 * len(horizons) + 3.0, 6.0, 14.0)), height), layout="constrained")
    values = wide.to_numpy(np.float64)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=plt.get_cmap("Reds").with_extremes(bad="#d9d9d9"),
                      vmin=0.0, vmax=max(1.0, float(np.nanmax(values)) if np.isfinite(values).any() else 1.0),
                      aspect="auto", interpolation="nearest")  # fmt: skip
    for (r, c), value in np.ndenumerate(mae.to_numpy(np.float64)):
        if np.isfinite(value):
            dark = np.isfinite(values[r, c]) and values[r, c] > 0.6
            ax.text(c, r, f"{value:.0f}", ha="center", va="center", fontsize=7, color="white" if dark else "black")
        if beats.iat[r, c] is True or beats.iat[r, c] == "True":
            ax.add_patch(matplotlib.patches.Rectangle((c - 0.46, r - 0.46), 0.92, 0.92, fill=False,
                                                      edgecolor="#1f77b4", linewidth=2.0))  # fmt: skip
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
