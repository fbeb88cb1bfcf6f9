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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plancast.errors import ParamsError
from plancast.evaluation import Models, as_networks, by_scope, predict_scaled
from plancast.scaling import inverse_transform_targets, transform

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

    ``part`` (parts,); ``inputs`` scaled (parts, lookback, features); ``last_day`` (parts,); ``last_row``
    the parts' last daily rows (for the plan, ``h{k}``); ``working_days`` whether days are Mon–Fri.
    """

    part: np.ndarray
    inputs: np.ndarray
    last_day: np.ndarray
    last_row: pd.DataFrame
    working_days: bool


def latest_windows(
    daily: pd.DataFrame, columns: Mapping[str, Sequence[str]], scalers: Mapping[str, Any], lookback: int
) -> Latest:
    """The last ``lookback`` rows of every part with a scaler and that many rows, scaled like training.

    ``columns`` names each part's input columns (features.json ``columns``), target first. A missing
    value among a part's latest rows is kept: its forecasts come out NaN (written as empty).
    """
    ordered = daily.sort_values(["part", "day"], kind="stable")
    groups = {str(part): rows for part, rows in ordered.groupby("part", sort=True)}
    parts = [p for p in sorted(scalers["parts"]) if p in groups and p in columns and len(groups[p]) >= lookback]
    if parts:
        raw = np.stack([groups[p][list(columns[p])].to_numpy(np.float64)[-lookback:] for p in parts])
    else:
        raw = np.empty((0, lookback, 1))
    part = np.asarray(parts, dtype=str)
    scaled, _ = transform(raw, np.empty((len(parts), 0)), part, scalers)
    last_row = pd.concat([groups[p].iloc[-1:] for p in parts]) if parts else ordered.iloc[:0]
    return Latest(
        part=part,
        inputs=scaled.astype(np.float32),
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


def direct_forecast(latest: Latest, scalers: Mapping[str, Any], models: Models, delays: Sequence[int]) -> pd.DataFrame:
    """Every model's forecast of each part's ``end + delay`` days, one network call per network."""
    ahead = np.asarray(delays, dtype=np.int64)
    plan = plan_ahead(latest.last_row, ahead)
    frames = []
    for name, (manifest, networks) in models.items():
        scaled = predict_scaled(networks, manifest["scope"], latest.inputs, latest.part)
        forecast = inverse_transform_targets(scaled, latest.part, scalers)
        frames.append(_frame("direct", latest, name, ahead, forecast, plan))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def feedback(part: np.ndarray, scalers: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Gain and shift (parts,) that turn a scaled target ŷ into the scaled input ``gain·ŷ + shift``.

    The target and the input feature ``target`` have separate scalers (fitted on different rows), so
    a prediction goes back through raw units: raw = ŷ·target_scale + target_offset, input =
    (raw − feature_offset) / feature_scale.
    """
    table = [scalers["parts"][str(p)] for p in part]
    feature_offset = np.array([s["feature_offset"][0] for s in table], dtype=np.float64)
    feature_scale = np.array([s["feature_scale"][0] for s in table], dtype=np.float64)
    target_offset = np.array([s["target_offset"] for s in table], dtype=np.float64)
    target_scale = np.array([s["target_scale"] for s in table], dtype=np.float64)
    return target_scale / feature_scale, (target_offset - feature_offset) / feature_scale


def recursive_forecast(
    latest: Latest,
    columns: Mapping[str, Sequence[str]],
    scalers: Mapping[str, Any],
    models: Models,
    steps: int,
) -> pd.DataFrame:
    """Every model's recursive ``steps``-step forecast of each part; needs inputs ``[target]`` only.

    One engine call per network runs the whole loop for all parts at once.
    """
    for p in latest.part:
        if list(columns[str(p)]) != ["target"]:
            raise ParamsError(
                f"forecast.recursive_steps: the recursive forecast feeds each prediction back as the only "
                f"input, so it needs the inputs [target]; part {str(p)!r} has {', '.join(columns[str(p)])} "
                "(set forecast.recursive_steps: 0)"
            )
    ahead = np.arange(1, steps + 1, dtype=np.int64)
    gain, shift = feedback(latest.part, scalers)
    frames = []
    for name, (manifest, networks) in models.items():
        scaled = by_scope(
            networks,
            manifest["scope"],
            latest.part,
            lambda network, rows: network.predict_recursive(latest.inputs[rows], gain[rows], shift[rows], steps),
        )
        forecast = inverse_transform_targets(scaled, latest.part, scalers)
        frames.append(_frame("recursive", latest, name, ahead, forecast, np.full(forecast.shape, np.nan)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def forecast(
    daily: pd.DataFrame,
    columns: Mapping[str, Sequence[str]],
    scalers: Mapping[str, Any],
    models: Models,
    lookback: int,
    delays: Sequence[int],
    recursive_steps: int = 0,
) -> pd.DataFrame:
    """The direct forecast, and the recursive one when ``recursive_steps`` > 0, of every model and part.

    ``daily`` is the daily table, ``columns`` each part's inputs (features.json), ``scalers``
    scalers.json, ``models`` name -> (manifest, networks) as ``load_networks`` returns them (Keras
    models or ONNX networks). Columns: method, part, model, step_ahead, day, forecast, plan; sorted by
    method, part, model, step_ahead.
    """
    models = {name: (manifest, as_networks(networks)) for name, (manifest, networks) in models.items()}
    latest = latest_windows(daily, columns, scalers, lookback)
    # The recursive forecast goes first: a bad request fails before any other work is done.
    frames = [recursive_forecast(latest, columns, scalers, models, recursive_steps)] if recursive_steps else []
    frames.append(direct_forecast(latest, scalers, models, delays))
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


def warm_timings(
    daily: pd.DataFrame,
    columns: Mapping[str, Sequence[str]],
    scalers: Mapping[str, Any],
    models: Models,
    lookback: int,
    delays: Sequence[int],
    recursive_steps: int = 0,
    repeats: int = 7,
) -> dict[str, dict[str, float]]:
    """Median warm wall time (ms) of each model's direct forecast of all parts, and of its recursive one.

    Each forecast runs once untimed (tracing, compiling, ONNX session warm-up), then ``repeats`` times.
    Returns ``{model: {"direct_ms": .., "recursive_ms": ..}}`` (recursive only when asked for).
    """
    import time

    latest = latest_windows(daily, columns, scalers, lookback)
    timings: dict[str, dict[str, float]] = {}
    for name, (manifest, networks) in models.items():
        one = {name: (manifest, as_networks(networks))}
        runs = {"direct_ms": lambda one=one: direct_forecast(latest, scalers, one, delays)}
        if recursive_steps:
            runs["recursive_ms"] = lambda one=one: recursive_forecast(latest, columns, scalers, one, recursive_steps)
        timings[name] = {}
        for key, run in runs.items():
            run()
            samples = []
            for _ in range(repeats):
                start = time.perf_counter()
                run()
                samples.append((time.perf_counter() - start) * 1000.0)
            timings[name][key] = float(np.median(samples))
    return timings
