"""The figures of the data and the forecast: how each plan horizon correlates with the actual (stage
correlate) and the next days' forecast beside the recent history (stage forecast).
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from plancast.features.correlation import POOLED, label
from plancast.names import RECOMMENDED
from plancast.reporting.plot_style import (
    ACTUAL_COLOUR,
    PLAN_COLOUR,
    house_style,
    message_figure,
    natural_key,
    style_axes,
    subplots,
)

CORRELATION_CMAP = "RdBu_r"
MAX_ANNOTATED_PARTS = 30
MAX_ANNOTATED_HORIZONS = 16  # of the cross panel: its cells show their value up to this many
ROW_INCHES = 0.3  # a heatmap row: room for a two-decimal value


def _diverging_cmap() -> Colormap:
    # an undefined r (too few pairs, a constant column) shows as grey, never as the colour of 0
    return matplotlib.colormaps[CORRELATION_CMAP].with_extremes(bad="#d9d9d9")


def _annotate_cells(ax: Axes, values: np.ndarray, fontsize: float) -> None:
    for (row, col), value in np.ndenumerate(values):
        text = "n/a" if np.isnan(value) else f"{value:.2f}"
        colour = "white" if np.isfinite(value) and abs(value) > 0.6 else "black"
        ax.text(col, row, text, ha="center", va="center", fontsize=fontsize, color=colour)


def _draw_matrix(ax: Axes, values: np.ndarray, annotate: bool, fontsize: float) -> AxesImage:
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


@house_style
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
    height = float(np.clip(ROW_INCHES * (len(parts) + 1) + 2.0, 4.0, 14.0))
    heat_width = float(np.clip(0.55 * len(horizons) + 2.5, 5.0, 14.0))
    with_cross = cross is not None and not cross.empty
    annotate_cross = with_cross and len(cross) <= MAX_ANNOTATED_HORIZONS
    if annotate_cross:
        # the cross panel's cells are square, as tall as the figure allows: with few parts they were too
        # small for their numbers, which ran into each other
        height = max(height, ROW_INCHES * len(cross) + 2.0)
    if with_cross:
        cross_width = float(np.clip(0.45 * len(cross) + 2.0, 5.0, 10.0))
        fig, (ax, ax_cross) = subplots(
            1,
            2,
            figsize=(heat_width + cross_width + 1.5, height),
            gridspec_kw={"width_ratios": [heat_width, cross_width]},
        )
    else:
        fig, ax = subplots(figsize=(heat_width + 1.5, height))

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
        _draw_matrix(ax_cross, cross.to_numpy(dtype=np.float64), annotate=annotate_cross, fontsize=7)
        ticks = _thinned(len(cross), 20)
        names = [str(cross.columns[t]) for t in ticks]
        ax_cross.set_xticks(ticks, names, fontsize=8, rotation=0 if annotate_cross else 90)
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


FORECAST_PANELS = 12
FORECAST_HISTORY_DAYS = 10  # with 3 forecast days they get a quarter of the axis
_FORECAST_MARKERS = "osD^vP*Xph"
LEGEND_WIDTH_SHARE = 0.96  # of the figure's width, the most a legend below the panels may take


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


@house_style
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
    recommended = RECOMMENDED in set(forecasts["model"])
    if recommended:
        forecasts = forecasts[forecasts["model"] == RECOMMENDED]
    models = sorted(forecasts["model"].unique())
    methods = sorted(forecasts["method"].unique())
    columns = 1 if len(parts) == 1 else 2 if len(parts) <= 4 else 3
    rows = -(-len(parts) // columns)
    fig, axes = subplots(
        rows,
        columns,
        figsize=(9.0 if columns == 1 else 4.6 * columns, 2.7 * rows + 1.3),
        squeeze=False,
    )
    colours = matplotlib.colormaps["tab10"]
    for ax, part in zip(axes.flat, parts, strict=False):
        past = history[history["part"] == part].sort_values("day").tail(history_days)
        mine = forecasts[forecasts["part"] == part]
        steps = int(mine["step_ahead"].max())
        x_past = np.arange(1 - len(past), 1)
        ax.plot(x_past, past["target"], color=ACTUAL_COLOUR, linewidth=1.3, marker=".", markersize=4)
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
        ax.scatter(plan["step_ahead"], plan["plan"], color=PLAN_COLOUR, marker="x", s=45, linewidths=1.8, zorder=5)
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
    handles = [Line2D([], [], color=ACTUAL_COLOUR, marker=".", label="actual")]
    handles += [
        Line2D([], [], color=colours(i % 10), marker=_FORECAST_MARKERS[i % len(_FORECAST_MARKERS)], label=model)
        for i, model in enumerate(models)
    ]
    if forecasts["plan"].notna().any():
        handles.append(Line2D([], [], color=PLAN_COLOUR, marker="x", linestyle="", label="plan (latest snapshot)"))
    if "recursive" in methods:
        handles.append(Line2D([], [], color="grey", linestyle=":", label="recursive forecast (dotted)"))
    if recommended:
        handles += [
            Patch(color=colours(0), alpha=0.32, label="80% interval"),
            Patch(color=colours(0), alpha=0.18, label="95% interval"),
            Line2D([], [], linestyle="", label="each model's own number: data/reports/forecast.csv"),
        ]
    _legend_below(fig, handles)
    return fig


def _legend_below(fig: Figure, handles: list, most_columns: int = 8) -> None:
    """Give ``fig`` its legend below the panels, in as many columns (at most ``most_columns``) as its width holds.

    Constrained layout makes room for a legend's height, never its width: one row of six entries ran
    off both edges of a one- or two-panel-wide figure. The legend keeps a margin at both edges.
    """
    renderer = fig.canvas.get_renderer()
    for columns in range(min(len(handles), most_columns), 0, -1):
        legend = fig.legend(handles=handles, loc="outside lower center", ncol=columns, fontsize=8, frameon=False)
        if columns == 1 or legend.get_window_extent(renderer).width <= LEGEND_WIDTH_SHARE * fig.bbox.width:
            return
        legend.remove()


def _day_label(day: object, is_date: bool) -> str:
    # a plain series counts steps (ingest.time_format: step), not dates
    return pd.Timestamp(day).strftime("%m-%d") if is_date else str(day)


def _forecast_days(rows: pd.DataFrame, steps: int, is_date: bool) -> list[str]:
    """Tick labels of forecast steps 1..steps: each step's day where forecast.csv has one, else +step."""
    by_step = rows.drop_duplicates("step_ahead").set_index("step_ahead")["day"]
    return [_day_label(by_step[step], is_date) if step in by_step.index else f"+{step}" for step in range(1, steps + 1)]
