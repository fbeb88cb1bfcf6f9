"""Forecast the days after the data ends, with every trained model, all parts in one batch.

Two forecasts:

- **direct**: from each part's latest ``lookback`` rows every model predicts its delays (the days
  ``end + delay``) in one network call, beside the planner's own number for those days;
- **recursive** (series without plan inputs, Seed A): one step at a time for N steps, each prediction
  fed back as the newest input; the loop runs inside the engine (XLA graph or ONNX Runtime), never
  one Keras ``predict`` per step.

Future days are counted on the working-day calendar (``daily`` params: weekdays, holidays), integer
steps for a step-indexed series. A part gets no forecast when its latest window touches a day without
a snapshot or holds a missing value, when it has fewer days than the lookback, or when the model never
saw it in training; the forecast says which parts and why (:func:`forecast` returns them). When no part
is left (a stray day after the data leaves every part's latest days empty), the forecast is empty and
every part is named with its reason: no model is called on zero windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.calendar import Calendar
from plancast.data.daily import horizon_columns
from plancast.errors import InputDataError, ParamsError
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows, calendar_days, on_calendar
from plancast.models.manifest import Manifest
from plancast.models.recommended import combination, routed
from plancast.models.tabular import TABULAR_MODELS, TabularModel, runnable_tabular, tabular_rows
from plancast.models.trained import TrainedModel, reference_forecast

COLUMNS = ["method", "part", "model", "step_ahead", "day", "forecast", "plan"]


def future_days(last_day: Any, ahead: np.ndarray, calendar: Calendar) -> np.ndarray:
    """The day ``ahead`` (steps,) working days after ``last_day`` on ``calendar``, or integer steps."""
    ahead = np.asarray(ahead, dtype=np.int64)
    last_day = np.asarray(last_day)
    if not np.issubdtype(last_day.dtype, np.datetime64):
        return last_day.astype(np.int64) + ahead
    return calendar.shift(last_day, ahead).astype(last_day.dtype)


@dataclass(frozen=True)
class Latest:
    """Each forecastable part's latest window: the input of every forecast.

    ``part`` (parts,); ``inputs`` raw (parts, lookback, features); ``last_day`` (parts,); ``last_row``
    the parts' last daily rows (for the plan, ``h{k}``); ``skipped``: part -> why it has no forecast.
    """

    part: np.ndarray
    inputs: np.ndarray
    last_day: np.ndarray
    last_row: pd.DataFrame
    skipped: dict[str, str]


def latest_windows(daily: pd.DataFrame, manifest: Manifest) -> Latest:
    """The last ``manifest.lookback`` calendar days of the manifest's input columns, for every part it can.

    A part of the daily table is skipped (with the reason) when the model was not trained on it, when
    it has fewer days than the lookback, or when a day of its latest window had no snapshot (a gap is
    never bridged, so the forecast would misread the horizons).
    """
    lookback, columns = manifest.lookback, manifest.columns
    ordered = daily.sort_values(["part", "day"], kind="stable")
    groups = {str(part): rows for part, rows in ordered.groupby("part", sort=True)}
    parts, skipped = [], {}
    for part, rows in groups.items():
        if part not in columns:
            skipped[part] = "no training windows (too short or too new before validation starts)"
            continue
        reason = unforecastable(rows, lookback, columns[part])
        if reason:
            skipped[part] = reason
        else:
            parts.append(part)
    if parts:
        raw = np.stack([groups[p][list(columns[p])].to_numpy(np.float64)[-lookback:] for p in parts])
    else:
        raw = np.empty((0, lookback, 1))
    last_row = pd.concat([groups[p].iloc[-1:] for p in parts]) if parts else ordered.iloc[:0]
    return Latest(
        part=np.asarray(parts, dtype=str),
        inputs=raw,
        last_day=last_row["day"].to_numpy(),
        last_row=last_row.reset_index(drop=True),
        skipped=skipped,
    )


def unforecastable(rows: pd.DataFrame, lookback: int, columns: Sequence[str]) -> str | None:
    """Why one part's daily ``rows`` (in day order) give no latest window of ``columns``, or None.

    Fewer days than the lookback, a day without a snapshot in the latest ``lookback`` days (a gap is never
    bridged, so the forecast would misread the horizons), or a missing input value there (a network
    given NaN answers NaN); the same rules as the windows it was trained on.
    """
    if len(rows) < lookback:
        return f"{len(rows)} days, fewer than window.lookback = {lookback}"
    latest = rows.iloc[-lookback:]
    if "present" in latest and not latest["present"].all():
        missing = latest.loc[~latest["present"].to_numpy(bool), "day"]
        return f"no snapshot on {_day_text(missing.iloc[-1])}, inside its latest {lookback} days"
    absent = [column for column in columns if column not in latest]
    if absent:
        return f"no column {absent[0]} in the daily table (rerun `dvc repro daily_last`)"
    values = latest[list(columns)].to_numpy(np.float64)
    unknown = ~np.isfinite(values)
    if unknown.any():
        row, column = np.argwhere(unknown)[-1]
        day = _day_text(latest["day"].iloc[row])
        return f"no value of {columns[column]} on {day}, inside its latest {lookback} days"
    return None


def _day_text(day: Any) -> str:
    return pd.Timestamp(day).date().isoformat() if isinstance(day, pd.Timestamp | np.datetime64) else str(day)


def _frame(
    method: str,
    latest: Latest,
    model: str,
    ahead: np.ndarray,
    forecast: np.ndarray,
    plan: np.ndarray,
    calendar: Calendar,
) -> pd.DataFrame:
    parts, steps = forecast.shape
    days = [future_days(latest.last_day[i], ahead, calendar) for i in range(parts)]
    return pd.DataFrame(
        {
            "method": method,
            "part": np.repeat(latest.part, steps),
            "model": model,
            "step_ahead": np.tile(ahead, parts),
            "day": np.concatenate(days) if days else np.empty(0, latest.last_day.dtype),
            "forecast": forecast.ravel(),
            "plan": plan.ravel(),
        }
    )


def plan_ahead(last_row: pd.DataFrame, ahead: np.ndarray) -> np.ndarray:
    """The plan k steps ahead: ``h{k}`` of each part's last row, NaN where absent; (parts, steps)."""
    plan = np.full((len(last_row), len(ahead)), np.nan)
    for j, k in enumerate(ahead):
        if f"h{k}" in last_row.columns:
            plan[:, j] = last_row[f"h{k}"].to_numpy(np.float64)
    return plan


def direct_forecast(daily: pd.DataFrame, name: str, model: TrainedModel, calendar: Calendar) -> pd.DataFrame:
    """One model's forecast of each part's ``end + delay`` days (its manifest's delays), in one call."""
    latest = latest_windows(daily, model.manifest)
    ahead = np.asarray(model.manifest.delays, dtype=np.int64)
    plan = plan_ahead(latest.last_row, ahead)
    if not len(latest.part):  # every part is in latest.skipped with its reason
        return _frame("direct", latest, name, ahead, np.empty((0, len(ahead))), plan, calendar)
    context = profile = None
    if model.manifest.context:
        context, profile = latest_context(daily, latest, model.manifest, plan, calendar)
    forecast = model.predict(latest.inputs, latest.part, reference_forecast(plan, latest.inputs, profile), context)
    return _frame("direct", latest, name, ahead, forecast, plan, calendar)


def days_ahead(days: np.ndarray, count: int, calendar: Calendar) -> np.ndarray:
    """The calendar ``days`` (positions,) followed by the ``count`` working days (or steps) after the last."""
    if not len(days) or not count:
        return days
    if np.issubdtype(days.dtype, np.datetime64):
        return np.concatenate([days, calendar.shift(days[-1], np.arange(1, count + 1)).astype(days.dtype)])
    return np.concatenate([days, days[-1] + np.arange(1, count + 1)])


def latest_context(
    daily: pd.DataFrame, latest: Latest, manifest: Manifest, plan: np.ndarray, calendar: Calendar
) -> tuple[np.ndarray, np.ndarray | None]:
    """The second input of a network with a context, for each part's latest window: (parts, width), and
    the season profile a residual network corrects on a step series ((parts, delays) raw; else None).

    The same features as in training (:meth:`plancast.models.tabular.TabularRows.network_context`):
    the vintages of the days after the data as the last snapshots hold them, their flags, and the
    target days' calendar, counted past the data on ``calendar``.
    """
    placed = on_calendar(daily).sort_values(["part", "day"], kind="stable")
    parts = placed["part"].astype(str)
    count = parts.value_counts()
    last_position = placed.groupby(parts, sort=True)["position"].max()
    end_row = np.asarray([int(count[part]) - 1 for part in latest.part], np.int64)
    position = np.asarray([int(last_position[part]) for part in latest.part], np.int64)
    delays = np.asarray(manifest.delays, np.int64)
    windows = Windows(
        inputs=latest.inputs,
        targets=np.full((len(latest.part), len(delays)), np.nan),
        plan=plan,
        part=latest.part,
        end_row=end_row,
        position=position,
        delays=delays,
        feature_names=np.asarray([], dtype=str),
        days=days_ahead(calendar_days(placed), int(delays.max()), calendar),
    )
    rows = tabular_rows(windows, daily, manifest.scalers, manifest.max_horizon, profile_period=manifest.profile_period)
    return rows.network_context(manifest.context), rows.reference_profile(manifest.context, manifest.profile_period)


def part_targets(daily: pd.DataFrame, parts: np.ndarray) -> np.ndarray:
    """Each of ``parts``' targets in day order, NaN where no snapshot, right-aligned on its last day and
    NaN-padded on the left: (parts, longest part's rows)."""
    ordered = daily.sort_values(["part", "day"], kind="stable")
    groups = {str(part): rows for part, rows in ordered.groupby("part", sort=True)}
    series = []
    for part in parts:
        rows = groups[str(part)]
        values = rows["target"].to_numpy(np.float64).copy()
        if "present" in rows:
            values[~rows["present"].to_numpy(bool)] = np.nan
        series.append(values)
    width = max((len(values) for values in series), default=0)
    result = np.full((len(series), width), np.nan)
    for row, values in enumerate(series):
        result[row, width - len(values) :] = values
    return result


def recursive_forecast(
    daily: pd.DataFrame, name: str, model: TrainedModel, steps: int, calendar: Calendar
) -> pd.DataFrame:
    """One model's recursive ``steps``-step forecast of each part; needs inputs ``[target]`` only.

    One engine call per network runs the whole loop for all parts at once.
    """
    for part, columns in sorted(model.manifest.columns.items()):
        if list(columns) != ["target"]:
            raise ParamsError(
                f"forecast.recursive_steps: the recursive forecast feeds each prediction back as the only "
                f"input, so it needs the inputs [target]; part {part!r} has {', '.join(columns)} "
                "(set forecast.recursive_steps: 0)"
            )
    latest = latest_windows(daily, model.manifest)
    ahead = np.arange(1, steps + 1, dtype=np.int64)
    if not len(latest.part):
        empty = np.empty((0, steps))
        return _frame("recursive", latest, name, ahead, empty, empty, calendar)
    targets = None
    if model.manifest.context:  # the season profile, read off each part's targets (TrainedModel.predict_recursive)
        targets = part_targets(daily, latest.part)
    forecast = model.predict_recursive(latest.inputs, latest.part, steps, targets)
    return _frame("recursive", latest, name, ahead, forecast, np.full(forecast.shape, np.nan), calendar)


def forecast(
    daily: pd.DataFrame, models: Mapping[str, TrainedModel], calendar: Calendar, recursive_steps: int = 0
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The direct forecast, and the recursive one when ``recursive_steps`` > 0, of every model and part.

    ``daily`` is the daily table on ``calendar``; each model's manifest says what it takes (lookback,
    columns, scaling) and which days it forecasts (delays). Returns the frame (columns: method, part,
    model, step_ahead, day, forecast, plan; sorted by method, part, model, step_ahead) and the parts
    without a forecast, each with why (the first model's reason).
    """
    # The recursive forecasts go first: a bad request fails before any other work is done.
    frames = []
    if recursive_steps:
        frames += [recursive_forecast(daily, name, m, recursive_steps, calendar) for name, m in models.items()]
    frames += [direct_forecast(daily, name, model, calendar) for name, model in models.items()]
    skipped: dict[str, str] = {}
    for model in models.values():
        for part, reason in latest_windows(daily, model.manifest).skipped.items():
            skipped.setdefault(part, reason)
    if not frames:
        return pd.DataFrame(columns=COLUMNS), skipped
    frame = pd.concat(frames, ignore_index=True)[COLUMNS]
    frame = frame.sort_values(["method", "part", "model", "step_ahead"], kind="stable").reset_index(drop=True)
    return frame, skipped


def forecast_summary(frame: pd.DataFrame, skipped: Mapping[str, str]) -> dict[str, Any]:
    """metrics/forecast.json: parts with and without a forecast (how many per reason), rows, and per method
    its steps, last day and each model's total."""
    reasons: dict[str, int] = {}
    for reason in skipped.values():
        kind = reason.split(" on ")[0] if reason.startswith(("no snapshot", "no value")) else reason.split(",")[0]
        reasons[kind] = reasons.get(kind, 0) + 1
    summary: dict[str, Any] = {
        "parts": int(frame["part"].nunique()),
        "parts_without_forecast": len(skipped),
        "without_forecast_because": reasons,
        "rows": len(frame),
    }
    for method, rows in frame.groupby("method", sort=True):
        last = rows["day"].max()
        summary[str(method)] = {
            "steps": int(rows["step_ahead"].max()),
            "last_day": int(last) if isinstance(last, int | np.integer) else pd.Timestamp(last).date().isoformat(),
            "total": {str(m): float(r["forecast"].sum()) for m, r in rows.groupby("model", sort=True)},
            "plan_total": float(rows.drop_duplicates(["part", "step_ahead"])["plan"].sum(min_count=1)),
        }
    return summary


INTERVAL_COLUMNS = ["lower_80", "upper_80", "lower_95", "upper_95"]
RECOMMENDED, COMBINATION = "recommended", "combination"


def quantity_floor(daily: pd.DataFrame) -> float:
    """0 where the quantities were never negative (an interval's lower bound says so), else -inf."""
    return 0.0 if (daily["target"].dropna() >= 0).all() else -np.inf


def with_intervals(frame: pd.DataFrame, recommendation: Mapping[str, Any], floor: float) -> pd.DataFrame:
    """``frame`` (forecast rows) with each model's own conformal intervals:
    ŷ ± half_width[model, level, delay] · scale[part], the lower bound at least ``floor``.

    Half-widths and scales come from stage evaluate's ``recommendation`` (``intervals`` per model, and
    ``half_widths``, the recommended forecast's, which a report older than ``intervals`` has alone);
    rows of a model, delay or part without them (a recursive step) stay empty.
    """
    frame = frame.copy()
    for column in INTERVAL_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    widths = {name: own["half_widths"] for name, own in recommendation.get("intervals", {}).items()}
    if "half_widths" in recommendation:
        widths.setdefault(RECOMMENDED, recommendation["half_widths"])
    delays = {int(delay): index for index, delay in enumerate(recommendation.get("delays", []))}
    scale = frame["part"].astype(str).map(recommendation.get("scales", {})).to_numpy(np.float64)
    position = frame["step_ahead"].map(delays)
    for name, by_level in widths.items():
        rows = ((frame["model"] == name) & (frame["method"] == "direct") & position.notna()).to_numpy()
        if not rows.any():
            continue
        index = position[rows].to_numpy(np.int64)
        values = frame.loc[rows, "forecast"].to_numpy(np.float64)
        for level, half_widths in by_level.items():
            half = np.asarray(half_widths, np.float64)[index] * scale[rows]
            frame.loc[rows, f"lower_{round(float(level) * 100)}"] = np.maximum(values - half, floor)
            frame.loc[rows, f"upper_{round(float(level) * 100)}"] = values + half
    return frame


def future_windows(
    daily: pd.DataFrame, windows: Windows, calendar: Calendar, columns: Mapping[str, Sequence[str]]
) -> Windows:
    """Each part's latest window as of the last day of the data, its targets the days after it.

    Like the windows of stage window (each part's input ``columns`` from features.json, the same
    lookback and delays), with unknown (NaN) targets, and the calendar extended past the data so the
    target days' weekday and holidays are known. Only parts in ``columns``; a part whose latest
    ``lookback`` days are not all present and complete (:func:`unforecastable`) gets no window.
    """
    lookback = windows.inputs.shape[1]
    delays = np.asarray(windows.delays, np.int64)
    ordered = on_calendar(daily).sort_values(["part", "day"], kind="stable")
    width = len(windows.feature_names)
    chosen, inputs, end_row, position, plan = [], [], [], [], []
    for part, rows in ordered.groupby("part", sort=True):
        if str(part) not in columns or unforecastable(rows, lookback, columns[str(part)]):
            continue
        chosen.append(str(part))
        inputs.append(rows[list(columns[str(part)])].to_numpy(np.float64)[-lookback:])
        end_row.append(len(rows) - 1)
        position.append(int(rows["position"].iloc[-1]))
        last = rows.iloc[-1]
        plan.append([float(last[f"h{d}"]) if f"h{d}" in rows.columns else np.nan for d in delays])
    days = days_ahead(windows.days, int(delays.max()), calendar)
    count = len(chosen)
    return Windows(
        inputs=np.asarray(inputs, np.float64).reshape(count, lookback, width),
        targets=np.full((count, len(delays)), np.nan),
        plan=np.asarray(plan, np.float64).reshape(count, len(delays)),
        part=np.asarray(chosen, dtype=str),
        end_row=np.asarray(end_row, np.int64),
        position=np.asarray(position, np.int64),
        delays=delays,
        feature_names=windows.feature_names,
        days=days,
    )


def fit_tabular(
    daily: pd.DataFrame,
    windows: Windows,
    scalers: Scalers,
    tabular: Sequence[str],
    profile_period: int | None = None,
) -> dict[str, TabularModel]:
    """The tabular models ``tabular`` (names of :data:`TABULAR_MODELS`) refitted on every window with
    known targets of the parts that have scalers (training windows), for the days after the data;
    ``profile_period`` as in :func:`plancast.models.tabular.tabular_rows`."""
    tabular = runnable_tabular(tabular, len(horizon_columns(daily)))
    if not tabular:
        return {}
    scaled = np.flatnonzero(np.isin(windows.part, list(scalers.parts)))  # parts with training windows
    fitted = tabular_rows(windows, daily, scalers, len(horizon_columns(daily)), profile_period=profile_period)
    fitted = fitted.take(scaled)
    return {name: TABULAR_MODELS[name](0).fit(fitted) for name in tabular}


def recommended_forecast(
    daily: pd.DataFrame,
    windows: Windows,
    columns: Mapping[str, Sequence[str]],
    scalers: Scalers,
    networks: Mapping[str, TrainedModel],
    tabular: Mapping[str, TabularModel],
    recommendation: Mapping[str, Any],
    calendar: Calendar,
    max_horizon: int | None = None,
    profile_period: int | None = None,
) -> pd.DataFrame:
    """The tabular models', the combination's and the recommended forecast of the days after the data.

    The fitted tabular models (:func:`fit_tabular`) predict each part's latest window
    (:func:`future_windows`; ``windows`` gives its lookback, delays and calendar, ``max_horizon`` the
    vintages, default the daily table's horizons, ``profile_period`` a step series' profile season, as
    the tabular models were fitted with); the combination and the route per delay are the
    ones stage evaluate chose on validation (``recommendation``); every row gets its model's conformal
    intervals (:func:`with_intervals`). Rows as :func:`forecast`'s (method ``direct``) plus the interval
    columns.
    """
    future = future_windows(daily, windows, calendar, {p: c for p, c in columns.items() if p in scalers.parts})
    max_horizon = len(horizon_columns(daily)) if max_horizon is None else max_horizon
    predictions: dict[str, np.ndarray] = {}
    for name, model in networks.items():
        known = np.flatnonzero(np.isin(future.part, model.manifest.parts))
        values = np.full(future.targets.shape, np.nan)
        if len(known):
            context = profile = None
            if model.manifest.context:
                rows = tabular_rows(
                    future, daily, model.manifest.scalers, model.manifest.max_horizon,
                    profile_period=model.manifest.profile_period,
                ).take(known)  # fmt: skip
                context = rows.network_context(model.manifest.context)
                profile = rows.reference_profile(model.manifest.context, model.manifest.profile_period)
            reference = reference_forecast(future.plan[known], future.inputs[known], profile)
            values[known] = model.predict(future.inputs[known], future.part[known], reference, context)
        predictions[name] = values
    if tabular:
        ahead = tabular_rows(future, daily, scalers, max_horizon, profile_period=profile_period)
        for name, model in tabular.items():
            predictions[name] = model.predict(ahead)
    best = [recommendation.get("best_network"), recommendation.get("best_tabular")]
    if all(name in predictions for name in best):
        predictions[COMBINATION] = combination(predictions[best[0]], predictions[best[1]])
    predictions[recommendation["plan"]] = future.plan  # the planner's number, named as evaluate names it
    route = {int(delay): name for delay, name in recommendation["route"].items()}
    missing = sorted({name for name in route.values() if name not in predictions})
    if missing:
        raise InputDataError(
            f"data/reports/recommendation.json: routes to {missing[0]!r}, which this forecast does not have "
            "(rerun stage evaluate)"
        )
    delays = [int(d) for d in future.delays]
    predictions[RECOMMENDED] = routed(predictions, route, delays)
    names = [*tabular, *([COMBINATION] if COMBINATION in predictions else []), RECOMMENDED]
    frame = pd.concat([_future_frame(future, name, predictions[name], calendar) for name in names], ignore_index=True)
    return with_intervals(frame, recommendation, quantity_floor(daily))


def _future_frame(future: Windows, model: str, values: np.ndarray, calendar: Calendar) -> pd.DataFrame:
    ahead = np.asarray(future.delays, np.int64)
    last_day = future.days[future.position] if len(future.position) else np.empty(0, future.days.dtype)
    days = [future_days(day, ahead, calendar) for day in last_day]
    parts, steps = values.shape
    return pd.DataFrame(
        {
            "method": "direct",
            "part": np.repeat(future.part, steps),
            "model": model,
            "step_ahead": np.tile(ahead, parts),
            "day": np.concatenate(days) if days else np.empty(0, future.days.dtype),
            "forecast": np.asarray(values, np.float64).ravel(),
            "plan": future.plan.ravel(),
        }
    )
