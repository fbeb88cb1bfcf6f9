"""Stage forecast in memory: every trained model's forecast of the days after the data, beside the plan, and
the recommended forecast with its intervals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from plancast import forecasting
from plancast.data.calendar import Calendar
from plancast.features.cold_start import with_new_parts
from plancast.forecasting import (
    COLUMNS,
    INTERVAL_COLUMNS,
    quantity_floor,
    recommended_forecast,
    recommended_recursive,
    with_intervals,
)
from plancast.latest_window import latest_windows
from plancast.models.recommended import Recommendation
from plancast.models.tabular import TabularModel
from plancast.models.trained import TrainedModel
from plancast.params import Params
from plancast.pipeline.split_scale import Inputs
from plancast.stage import unwrap


@dataclass(frozen=True)
class Forecast:
    frame: pd.DataFrame  # data/reports/forecast.csv: every method, part, model and day ahead
    skipped: dict[str, str]  # the parts without a forecast, each with why
    tabular: dict[str, TabularModel]  # the tabular models it ran (stage train_tabular's): what serving saves
    new_parts: dict[str, int]  # each part forecast from a cold start, and the days its scaler saw


def calendar_of(params: Params, daily: pd.DataFrame) -> Calendar:
    """``params.daily``'s calendar over the daily table's years and the next (the days forecast)."""
    dated = pd.api.types.is_datetime64_any_dtype(daily["day"])
    years = range(daily["day"].min().year, daily["day"].max().year + 2) if dated and len(daily) else []
    return Calendar.from_params(unwrap(params.daily), years)


def forecast(
    params: Params,
    inputs: Inputs,
    models: Mapping[str, TrainedModel],
    recommendation: Recommendation,
    tabular: Mapping[str, TabularModel],
) -> Forecast:
    """Each network's direct (and, with ``forecast.recursive_steps``, recursive) forecast of every part;
    with recursion the recommended recursive forecast (the routed network's or baseline's), without it the
    tabular models', the combination's and the recommended forecast with its 80%/95% intervals
    (``recommendation``: evaluate's route, half-widths and routed baselines' fits; ``tabular``: stage
    train_tabular's models, :func:`plancast.pipeline.train_tabular.train_tabular`). Sorted by method, part,
    model and day ahead. A part without training windows is forecast from a cold start
    (:func:`plancast.features.cold_start.with_new_parts`) by the global networks and the tabular models.
    ``window.gaps`` says which latest windows go in: with ``keep`` one with a gap goes in with NaN."""
    daily, windows, scalers, features = inputs.daily, inputs.windows, inputs.prepared.scalers, inputs.features
    steps, gaps = params.forecast.recursive_steps, params.window.gaps
    calendar = calendar_of(params, daily)
    lookback = int(windows.inputs.shape[1])
    new = with_new_parts(daily, features["columns"], scalers, recommendation.scales, lookback)
    models = {name: model.with_new_parts(new.columns, new.scalers) for name, model in models.items()}
    frame, skipped = forecasting.forecast(daily, models, calendar, steps, gaps)
    if steps:  # a plain series' own: the route's network or baseline, fed its forecasts; no tabular models
        tabular = {}
        latest = latest_windows(daily, lookback, windows.delays, new.columns, calendar, windows.feature_names)
        extra = recommended_recursive(daily, frame, latest, new.scalers, recommendation, steps, calendar)
        frame = pd.concat([frame, extra], ignore_index=True)
        frame = frame.sort_values(["method", "part", "model", "step_ahead"], kind="stable").reset_index(drop=True)
    else:
        period = params.train.profile_period
        latest = latest_windows(
            daily, lookback, windows.delays, new.columns, calendar, windows.feature_names, gaps=gaps
        )
        recommendation = replace(recommendation, scales=new.scales)  # a new part's interval scale too
        extra = recommended_forecast(
            daily, latest, new.scalers, models, tabular, recommendation, calendar, profile_period=period
        )
        frame = with_intervals(frame, recommendation, quantity_floor(daily))  # the networks' rows; extra has its own
        frame = pd.concat([frame, extra], ignore_index=True)
        frame = frame.sort_values(["method", "part", "model", "step_ahead"], kind="stable").reset_index(drop=True)
    return Forecast(frame.reindex(columns=[*COLUMNS, *INTERVAL_COLUMNS]), skipped, dict(tabular), new.days)
