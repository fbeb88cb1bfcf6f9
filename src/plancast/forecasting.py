"""Forecast the days after the data ends, with every trained model, all parts in one batch.

Two forecasts:

- **direct**: from each part's latest ``lookback`` rows every model predicts its delays (the days
  ``end + delay``) in one network call, beside the planner's own number for those days;
- **recursive** (series without plan inputs, Seed A): one step at a time for N steps, each prediction
  fed back as the newest input; the loop runs inside the engine (XLA graph or ONNX Runtime), never
  one Keras ``predict`` per step.

Future days continue the data's calendar: working days (Mon–Fri) if every day in the data is one,
calendar days otherwise, integer steps for a step-indexed series.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plancast.errors import ParamsError
from plancast.models.networks import Manifest, TrainedModel

COLUMNS = ["method", "part", "model", "step_ahead", "day", "forecast", "plan"]


def is_working_week(days: pd.Series | np.ndarray) -> bool:
    """Whether every day is a Monday to Friday (False for integer steps)."""
    days = np.asarray(days)
    if not np.issubdtype(days.dtype, np.datetime64):
        return False
    return bool(np.is_busday(days.astype("datetime64[D]")).all())


def future_days(last_day: Any, ahead: np.ndarray, working_days: bool) -> np.ndarray:
    """The day ``ahead`` (steps,) steps after ``last_day``: working days, calendar days or integer steps."""
    ahead = np.asarray(ahead, dtype=np.int64)
    last_day = np.asarray(last_day)
    if not np.issubdtype(last_day.dtype, np.datetime64):
        return last_day.astype(np.int64) + ahead
    day = last_day.astype("datetime64[D]")
    days = np.busday_offset(day, ahead, roll="forward") if working_days else day + ahead
    return days.astype(last_day.dtype)


@dataclass(frozen=True)
class Latest:
    """Each part's latest window: the input of every forecast.

    ``part`` (parts,); ``inputs`` raw (parts, lookback, features); ``last_day`` (parts,); ``last_row``
    the parts' last daily rows (for the plan, ``h{k}``); ``working_days`` whether days are Mon–Fri.
    """

    part: np.ndarray
    inputs: np.ndarray
    last_day: np.ndarray
    last_row: pd.DataFrame
    working_days: bool


def latest_windows(daily: pd.DataFrame, manifest: Manifest) -> Latest:
    """The last ``manifest.lookback`` rows of the manifest's input columns, for every part it knows.

    A part of the manifest with fewer rows than that in ``daily`` gets no forecast. A missing value
    among a part's latest rows is kept: its forecasts come out NaN (written as empty).
    """
    lookback, columns = manifest.lookback, manifest.columns
    ordered = daily.sort_values(["part", "day"], kind="stable")
    groups = {str(part): rows for part, rows in ordered.groupby("part", sort=True)}
    parts = [p for p in manifest.parts if p in groups and p in columns and len(groups[p]) >= lookback]
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
        working_days=is_working_week(daily["day"]),
    )


def _frame(
    method: str, latest: Latest, model: str, ahead: np.ndarray, forecast: np.ndarray, plan: np.ndarray
) -> pd.DataFrame:
    parts, steps = forecast.shape
    days = [future_days(latest.last_day[i], ahead, latest.working_days) for i in range(parts)]
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


def direct_forecast(daily: pd.DataFrame, name: str, model: TrainedModel) -> pd.DataFrame:
    """One model's forecast of each part's ``end + delay`` days (its manifest's delays), in one call."""
    latest = latest_windows(daily, model.manifest)
    ahead = np.asarray(model.manifest.delays, dtype=np.int64)
    forecast = model.predict(latest.inputs, latest.part)
    return _frame("direct", latest, name, ahead, forecast, plan_ahead(latest.last_row, ahead))


def recursive_forecast(daily: pd.DataFrame, name: str, model: TrainedModel, steps: int) -> pd.DataFrame:
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
    forecast = model.predict_recursive(latest.inputs, latest.part, steps)
    return _frame("recursive", latest, name, ahead, forecast, np.full(forecast.shape, np.nan))


def forecast(daily: pd.DataFrame, models: Mapping[str, TrainedModel], recursive_steps: int = 0) -> pd.DataFrame:
    """The direct forecast, and the recursive one when ``recursive_steps`` > 0, of every model and part.

    ``daily`` is the daily table; each model's manifest says what it takes (lookback, columns, scaling)
    and which days it forecasts (delays). Columns: method, part, model, step_ahead, day, forecast, plan;
    sorted by method, part, model, step_ahead.
    """
    # The recursive forecasts go first: a bad request fails before any other work is done.
    frames = (
        [recursive_forecast(daily, name, model, recursive_steps) for name, model in models.items()]
        if (recursive_steps)
        else []
    )
    frames += [direct_forecast(daily, name, model) for name, model in models.items()]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    frame = pd.concat(frames, ignore_index=True)[COLUMNS]
    return frame.sort_values(["method", "part", "model", "step_ahead"], kind="stable").reset_index(drop=True)


def forecast_summary(frame: pd.DataFrame) -> dict[str, Any]:
    """metrics/forecast.json: parts, rows, and per method its steps, last day and each model's total."""
    summary: dict[str, Any] = {"parts": int(frame["part"].nunique()), "rows": len(frame)}
    for method, rows in frame.groupby("method", sort=True):
        last = rows["day"].max()
        summary[str(method)] = {
            "steps": int(rows["step_ahead"].max()),
            "last_day": int(last) if isinstance(last, int | np.integer) else pd.Timestamp(last).date().isoformat(),
            "total": {str(m): float(r["forecast"].sum()) for m, r in rows.groupby("model", sort=True)},
            "plan_total": float(rows.drop_duplicates(["part", "step_ahead"])["plan"].sum(min_count=1)),
        }
    return summary
