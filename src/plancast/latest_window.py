"""The latest window of each part as of the last day of the data: the input of every forecast (stage
forecast's and the served model's), with the one rule for which parts get none and why.

Under ``window.gaps: drop`` a part gets no window when a day of its latest ``lookback`` lacks a snapshot
or holds a missing value; under ``keep`` only when none of those days has a snapshot (its window goes in
with NaN); always when it has fewer days than the lookback, or when the model never saw it and it has too
few days of its own for a cold start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.calendar import Calendar
from plancast.features.windows import Windows, calendar_days, latest_plans, on_calendar
from plancast.params_sections import Gaps

NOT_TRAINED = "no training windows, and too few days of its own (window.lookback) for a cold start"


@dataclass(frozen=True)
class Latest:
    """Each forecastable part's latest window as of the last day of the data: the input of every forecast.

    ``windows``: one window per part, like stage window's (raw inputs (parts, lookback, features), its
    ``end_row`` and ``position``), with unknown targets, ``plan`` the ``h{delay}`` of the part's last day
    (NaN where absent; with ``window.gaps: keep`` the newest plan known for the day) and ``days`` the
    calendar extended past the data by the longest delay;
    ``last_day`` (parts,): each part's last day; ``skipped``: part -> why it has no window.
    """

    windows: Windows
    last_day: np.ndarray
    skipped: dict[str, str]

    @property
    def part(self) -> np.ndarray:
        return self.windows.part


def latest_windows(
    daily: pd.DataFrame,
    lookback: int,
    delays: Sequence[int],
    columns: Mapping[str, Sequence[str]],
    calendar: Calendar,
    feature_names: Sequence[str] | None = None,
    not_trained: str = NOT_TRAINED,
    gaps: Gaps = "drop",
) -> Latest:
    """The last ``lookback`` calendar days of each part's input ``columns``, for every part it can: the one
    skip rule of every forecast (stage forecast's and the served model's).

    A part of the daily table gets no window (:attr:`Latest.skipped` says why) when it is not in
    ``columns`` (``not_trained``: the model was not trained on it) or when :func:`unforecastable` under
    ``gaps`` (``window.gaps``: with ``keep`` a missing day's inputs are NaN, as in the windows trained on).
    ``feature_names`` (features,) name the inputs (default: none, as many inputs as a part's columns).
    """
    delays = np.asarray(delays, np.int64)
    placed = on_calendar(daily)
    if "present" in daily:  # the table's own snapshot flags, though it has no positions
        placed = placed.assign(present=daily["present"])
    ordered = placed.sort_values(["part", "day"], kind="stable")
    chosen, inputs, end_row, position, plan, last_day = [], [], [], [], [], []
    skipped: dict[str, str] = {}
    for name, rows in ordered.groupby("part", sort=True):
        part = str(name)
        reason = not_trained if part not in columns else unforecastable(rows, lookback, columns[part], gaps)
        if reason:
            skipped[part] = reason
            continue
        chosen.append(part)
        values = rows[list(columns[part])].to_numpy(np.float64)[-lookback:]
        end_row.append(len(rows) - 1)
        position.append(int(rows["position"].iloc[-1]))
        if gaps == "keep":  # a day without a snapshot holds no value; the plan is the newest known
            values = np.where(rows["present"].to_numpy(bool)[-lookback:, None], values, np.nan)
            plan.append(latest_plans(rows, np.array([len(rows) - 1]), delays)[0])
        else:
            last = rows.iloc[-1]
            plan.append([float(last[f"h{d}"]) if f"h{d}" in rows.columns else np.nan for d in delays])
        inputs.append(values)
        last_day.append(rows["day"].to_numpy()[-1])
    names = np.asarray([] if feature_names is None else list(feature_names), dtype=str)
    width = len(names) if feature_names is not None else max((len(c) for c in columns.values()), default=1)
    count = len(chosen)
    windows = Windows(
        inputs=np.asarray(inputs, np.float64).reshape(count, lookback, width),
        targets=np.full((count, len(delays)), np.nan),
        plan=np.asarray(plan, np.float64).reshape(count, len(delays)),
        part=np.asarray(chosen, dtype=str),
        end_row=np.asarray(end_row, np.int64),
        position=np.asarray(position, np.int64),
        delays=delays,
        feature_names=names,
        days=days_ahead(calendar_days(ordered), int(delays.max()), calendar),
    )
    return Latest(windows, np.asarray(last_day, dtype=ordered["day"].to_numpy().dtype), skipped)


def unforecastable(rows: pd.DataFrame, lookback: int, columns: Sequence[str], gaps: Gaps = "drop") -> str | None:
    """Why one part's daily ``rows`` (in day order) give no latest window of ``columns``, or None.

    Fewer days than the lookback; with ``gaps`` ``drop`` a day without a snapshot in the latest
    ``lookback`` days (a gap is never bridged, so the forecast would misread the horizons) or a missing
    input value there (a network given NaN answers NaN), the same rules as the windows it was trained on;
    with ``keep`` only latest ``lookback`` days without any snapshot (the reason names them), as a
    window with a gap is kept with NaN.
    """
    if len(rows) < lookback:
        return f"{len(rows)} days, fewer than window.lookback = {lookback}"
    latest = rows.iloc[-lookback:]
    present = latest["present"].to_numpy(bool) if "present" in latest else np.ones(lookback, bool)
    if gaps == "keep" and not present.any():
        days = latest["day"]
        return f"no snapshot in its latest {lookback} days ({day_text(days.iloc[0])} to {day_text(days.iloc[-1])})"
    if gaps == "drop" and not present.all():
        missing = latest.loc[~present, "day"]
        return f"no snapshot on {day_text(missing.iloc[-1])}, inside its latest {lookback} days"
    absent = [column for column in columns if column not in latest]
    if absent:
        return f"no column {absent[0]} in the daily table (rerun `dvc repro daily_last`)"
    if gaps == "keep":
        return None
    values = latest[list(columns)].to_numpy(np.float64)
    unknown = ~np.isfinite(values)
    if unknown.any():
        row, column = np.argwhere(unknown)[-1]
        day = day_text(latest["day"].iloc[row])
        return f"no value of {columns[column]} on {day}, inside its latest {lookback} days"
    return None


def day_text(day: Any) -> str:
    return pd.Timestamp(day).date().isoformat() if isinstance(day, pd.Timestamp | np.datetime64) else str(day)


def days_ahead(days: np.ndarray, count: int, calendar: Calendar) -> np.ndarray:
    """The calendar ``days`` (positions,) followed by the ``count`` working days (or steps) after the last."""
    if not len(days) or not count:
        return days
    if np.issubdtype(days.dtype, np.datetime64):
        return np.concatenate([days, calendar.shift(days[-1], np.arange(1, count + 1)).astype(days.dtype)])
    return np.concatenate([days, days[-1] + np.arange(1, count + 1)])
