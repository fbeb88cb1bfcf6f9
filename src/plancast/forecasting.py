"""Forecast the days after the data ends, with every trained model, all parts in one batch.

Two forecasts:

- **direct**: from each part's latest ``lookback`` rows every model predicts its delays (the days
  ``end + delay``) in one network call, beside the planner's own number for those days;
- **recursive** (series without plan inputs, Seed A): one step at a time for N steps, each prediction
  fed back as the newest input; the loop runs inside the engine (XLA graph or ONNX Runtime), never
  one Keras ``predict`` per step.

Future days are counted on the working-day calendar (``daily`` params: weekdays, holidays), integer
steps for a step-indexed series. A part gets no forecast when its latest window touches a day without
a snapshot or holds a missing value (with ``window.gaps: keep`` only when no day of it has a snapshot:
the window goes in with NaN), when it has fewer days than the lookback, or when the model never saw it
in training; the forecast says which parts and why (:func:`forecast` returns them). When no part
is left (a stray day after the data leaves every part's latest days empty), the forecast is empty and
every part is named with its reason: no model is called on zero windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.calendar import Calendar
from plancast.data.daily import horizon_columns
from plancast.errors import InputDataError, ParamsError
from plancast.features.scaling import Scalers
from plancast.features.windows import Windows
from plancast.latest_window import Latest, latest_windows
from plancast.models.baseline_models import BaselineFits
from plancast.models.recommended import Recommendation, combination, routed
from plancast.models.tabular import TABULAR_MODELS, TabularModel, runnable_tabular, tabular_rows
from plancast.models.trained import TrainedModel
from plancast.names import COMBINATION, RECOMMENDED
from plancast.params_sections import Gaps

COLUMNS = ["method", "part", "model", "step_ahead", "day", "forecast", "plan"]


def future_days(last_day: Any, ahead: np.ndarray, calendar: Calendar) -> np.ndarray:
    """The day ``ahead`` (steps,) working days after ``last_day`` on ``calendar``, or integer steps."""
    ahead = np.asarray(ahead, dtype=np.int64)
    last_day = np.asarray(last_day)
    if not np.issubdtype(last_day.dtype, np.datetime64):
        return last_day.astype(np.int64) + ahead
    return calendar.shift(last_day, ahead).astype(last_day.dtype)


def model_latest(daily: pd.DataFrame, model: TrainedModel, calendar: Calendar, gaps: Gaps = "drop") -> Latest:
    """:func:`latest_windows` of what ``model``'s manifest takes: its lookback, delays and input columns."""
    manifest = model.manifest
    return latest_windows(daily, manifest.lookback, manifest.delays, manifest.columns, calendar, gaps=gaps)


def _frame(
    method: str,
    latest: Latest,
    model: str,
    ahead: np.ndarray,
    forecast: np.ndarray,
    plan: np.ndarray,
    calendar: Calendar,
) -> pd.DataFrame:
    """Forecast rows (:data:`COLUMNS`) of ``forecast`` and ``plan`` (parts, steps), step k of part i on
    the day ``ahead[k]`` working days (or steps) after the part's last day."""
    parts, steps = np.shape(forecast)
    days = [future_days(latest.last_day[i], ahead, calendar) for i in range(parts)]
    return pd.DataFrame(
        {
            "method": method,
            "part": np.repeat(latest.part, steps),
            "model": model,
            "step_ahead": np.tile(ahead, parts),
            "day": np.concatenate(days) if days else np.empty(0, latest.last_day.dtype),
            "forecast": np.asarray(forecast, np.float64).ravel(),
            "plan": np.asarray(plan, np.float64).ravel(),
        }
    )


def direct_forecast(
    daily: pd.DataFrame, name: str, model: TrainedModel, calendar: Calendar, gaps: Gaps = "drop"
) -> pd.DataFrame:
    """One model's forecast of each part's ``end + delay`` days (its manifest's delays), in one call; the
    latest windows as ``gaps`` (``window.gaps``) lays them."""
    latest = model_latest(daily, model, calendar, gaps)
    ahead, plan = latest.windows.delays, latest.windows.plan
    if not len(latest.part):  # every part is in latest.skipped with its reason
        return _frame("direct", latest, name, ahead, np.empty((0, len(ahead))), plan, calendar)
    forecast = model.predict_windows(latest.windows, daily)
    return _frame("direct", latest, name, ahead, forecast, plan, calendar)


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
    latest = model_latest(daily, model, calendar)
    ahead = np.arange(1, steps + 1, dtype=np.int64)
    if not len(latest.part):
        empty = np.empty((0, steps))
        return _frame("recursive", latest, name, ahead, empty, empty, calendar)
    forecast = model.predict_windows_recursive(latest.windows, daily, steps)
    return _frame("recursive", latest, name, ahead, forecast, np.full(forecast.shape, np.nan), calendar)


def forecast(
    daily: pd.DataFrame,
    models: Mapping[str, TrainedModel],
    calendar: Calendar,
    recursive_steps: int = 0,
    gaps: Gaps = "drop",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The direct forecast, and the recursive one when ``recursive_steps`` > 0, of every model and part.

    ``daily`` is the daily table on ``calendar``; each model's manifest says what it takes (lookback,
    columns, scaling) and which days it forecasts (delays); ``gaps`` (``window.gaps``) which latest
    windows the direct forecast takes (the recursive one feeds its predictions back: drop's rule, no NaN
    inputs). Returns the frame (columns: method, part, model, step_ahead, day, forecast, plan; sorted by
    method, part, model, step_ahead) and the parts without a forecast, each with why (the first model's
    reason).
    """
    # The recursive forecasts go first: a bad request fails before any other work is done.
    frames = []
    if recursive_steps:
        frames += [recursive_forecast(daily, name, m, recursive_steps, calendar) for name, m in models.items()]
    frames += [direct_forecast(daily, name, model, calendar, gaps) for name, model in models.items()]
    skipped: dict[str, str] = {}
    for model in models.values():
        for part, reason in model_latest(daily, model, calendar, gaps).skipped.items():
            skipped.setdefault(part, reason)
    if not frames:
        return pd.DataFrame(columns=COLUMNS), skipped
    frame = pd.concat(frames, ignore_index=True)[COLUMNS]
    frame = frame.sort_values(["method", "part", "model", "step_ahead"], kind="stable").reset_index(drop=True)
    return frame, skipped


def reason_kind(reason: str) -> str:
    """Why a part has no forecast, without its days or detail: ``no snapshot``, ``no value of h1``, ``no
    snapshot in its latest 10 days`` (``window.gaps: keep``), …"""
    if reason.startswith(("no snapshot", "no value")):
        return reason.split(" on ")[0].split(" (")[0]
    return reason.split(",")[0]


WITHOUT_FORECAST_COLUMNS = ["part", "kind", "reason"]


def without_forecast(skipped: Mapping[str, str]) -> pd.DataFrame:
    """data/reports/without_forecast.csv: each part without a forecast, the kind of reason and the reason."""
    rows = [(part, reason_kind(reason), reason) for part, reason in sorted(skipped.items())]
    return pd.DataFrame(rows, columns=WITHOUT_FORECAST_COLUMNS)


def forecast_summary(frame: pd.DataFrame, skipped: Mapping[str, str]) -> dict[str, Any]:
    """metrics/forecast.json: how many parts have a forecast and how many have none (why:
    :func:`without_forecast`), and per method its steps, last day and the recommended forecast's total
    beside the plan's (None where there is none). A fixed set of figures, however many parts and models:
    each model's numbers are data/reports/forecast.csv's."""
    summary: dict[str, Any] = {
        "parts": int(frame["part"].nunique()),
        "parts_without_forecast": len(skipped),
    }
    for method, rows in frame.groupby("method", sort=True):
        last = rows["day"].max()
        recommended = rows[rows["model"] == RECOMMENDED]
        summary[str(method)] = {
            "steps": int(rows["step_ahead"].max()),
            "last_day": int(last) if isinstance(last, int | np.integer) else pd.Timestamp(last).date().isoformat(),
            "total": float(recommended["forecast"].sum()) if len(recommended) else None,
            "plan_total": float(rows.drop_duplicates(["part", "step_ahead"])["plan"].sum(min_count=1)),
        }
    return summary


INTERVAL_COLUMNS = ["lower_80", "upper_80", "lower_95", "upper_95"]


def quantity_floor(daily: pd.DataFrame) -> float:
    """0 where the quantities were never negative (an interval's lower bound says so), else -inf."""
    return 0.0 if (daily["target"].dropna() >= 0).all() else -np.inf


def with_intervals(frame: pd.DataFrame, recommendation: Recommendation, floor: float) -> pd.DataFrame:
    """``frame`` (forecast rows) with each model's own conformal intervals:
    ŷ ± half_width[model, level, delay] · scale[part], the lower bound at least ``floor``.

    Half-widths and scales come from stage evaluate's ``recommendation``; rows of a model, delay or
    part without them (a recursive step) stay empty.
    """
    frame = frame.copy()
    for column in INTERVAL_COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    delays = {delay: index for index, delay in enumerate(recommendation.delays)}
    scale = frame["part"].astype(str).map(recommendation.scales).to_numpy(np.float64)
    position = frame["step_ahead"].map(delays)
    for name, by_level in recommendation.half_widths_by_model().items():
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


def fit_tabular(
    daily: pd.DataFrame,
    windows: Windows,
    scalers: Scalers,
    tabular: Sequence[str],
    profile_period: int | None = None,
    boosted_rows: int | None = None,
) -> dict[str, TabularModel]:
    """The tabular models ``tabular`` (names of :data:`TABULAR_MODELS`) refitted on every window with
    known targets of the parts that have scalers (training windows), for the days after the data;
    ``profile_period`` as in :func:`plancast.models.tabular.tabular_rows`; the boosted trees on at most
    ``boosted_rows`` rows per delay."""
    tabular = runnable_tabular(tabular, len(horizon_columns(daily)))
    if not tabular:
        return {}
    scaled = np.flatnonzero(np.isin(windows.part, list(scalers.parts)))  # parts with training windows
    fitted = tabular_rows(windows, daily, scalers, len(horizon_columns(daily)), profile_period=profile_period)
    fitted = fitted.take(scaled)
    return {name: TABULAR_MODELS[name](0, boosted_rows).fit(fitted) for name in tabular}


def recommended_forecast(
    daily: pd.DataFrame,
    latest: Latest,
    scalers: Scalers,
    networks: Mapping[str, TrainedModel],
    tabular: Mapping[str, TabularModel],
    recommendation: Recommendation,
    calendar: Calendar,
    max_horizon: int | None = None,
    profile_period: int | None = None,
) -> pd.DataFrame:
    """The tabular models', the combination's and the recommended forecast of the days after the data.

    The networks, the fitted tabular models (:func:`fit_tabular`) and the routed baselines (their fits in
    ``recommendation.baselines``) predict each part's ``latest``
    window (:func:`latest_windows` with the pipeline's lookback, delays and inputs; ``max_horizon`` the
    vintages, default the daily table's horizons, ``profile_period`` a step series' profile season, as
    the tabular models were fitted with); the combination and the route per delay are the ones stage
    evaluate chose on validation (``recommendation``); every row gets its model's conformal intervals
    (:func:`with_intervals`). Rows as :func:`forecast`'s (method ``direct``) plus the interval columns.
    """
    future = latest.windows
    max_horizon = len(horizon_columns(daily)) if max_horizon is None else max_horizon
    predictions: dict[str, np.ndarray] = {}
    for name, model in networks.items():
        known = np.flatnonzero(np.isin(future.part, model.manifest.parts))
        values = np.full(future.targets.shape, np.nan)
        if len(known):
            values[known] = model.predict_windows(future.take(known), daily)
        predictions[name] = values
    if tabular:
        ahead = tabular_rows(future, daily, scalers, max_horizon, profile_period=profile_period)
        for name, model in tabular.items():
            predictions[name] = model.predict(ahead)
    best = [recommendation.best_network, recommendation.best_tabular]
    if all(name in predictions for name in best):
        predictions[COMBINATION] = combination(predictions[best[0]], predictions[best[1]])
    predictions[recommendation.plan] = future.plan  # the planner's number, named as evaluate names it
    baselines = BaselineFits.from_json(recommendation.baselines)
    for name in baselines.names:
        predictions[name] = baselines.predict(name, future, daily, scalers)
    missing = sorted({name for name in recommendation.route.values() if name not in predictions})
    if missing:
        raise InputDataError(
            f"data/reports/recommendation.json: routes to {missing[0]!r}, which this forecast does not have "
            "(rerun stage evaluate)"
        )
    delays = [int(d) for d in future.delays]
    predictions[RECOMMENDED] = routed(predictions, recommendation.route, delays)
    names = [*tabular, *([COMBINATION] if COMBINATION in predictions else []), RECOMMENDED]
    frame = pd.concat(
        [_frame("direct", latest, name, future.delays, predictions[name], future.plan, calendar) for name in names],
        ignore_index=True,
    )
    return with_intervals(frame, recommendation, quantity_floor(daily))


def recommended_recursive(
    daily: pd.DataFrame,
    frame: pd.DataFrame,
    latest: Latest,
    scalers: Scalers,
    recommendation: Recommendation,
    steps: int,
    calendar: Calendar,
) -> pd.DataFrame:
    """The recommended recursive forecast of ``steps`` steps (a plain series, one delay): the rows of the
    network the route chose for that delay (``frame``: :func:`forecast`'s), or the routed baseline's own
    ``steps``-step forecast of each part's ``latest`` window (:meth:`BaselineFits.predict_steps`); rows as
    :func:`forecast`'s, model ``recommended``, method ``recursive``, without intervals (as every recursive row)."""
    (name,) = set(recommendation.route.values())
    baselines = BaselineFits.from_json(recommendation.baselines)
    if name not in baselines.names:
        rows = frame[(frame["method"] == "recursive") & (frame["model"] == name)]
        if not len(rows) and len(latest.part):
            raise InputDataError(
                f"data/reports/recommendation.json: routes to {name!r}, which has no recursive forecast "
                "(rerun stage evaluate)"
            )
        return rows.assign(model=RECOMMENDED)
    ahead = np.arange(1, steps + 1, dtype=np.int64)
    values = baselines.predict_steps(name, latest.windows, daily, scalers, steps)
    return _frame("recursive", latest, RECOMMENDED, ahead, values, np.full(values.shape, np.nan), calendar)
