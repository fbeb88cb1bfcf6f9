"""The daily table the served model reads, checked: refused in one line unless it is one.

:meth:`plancast.serving.RecommendedModel.forecast` takes a daily table as stage daily_last writes it
and refuses a table that is not one (:func:`daily_table`): a missing column, a wrong dtype, two rows
for one part and day, a day off the model's calendar, a working day without its row, or no actual in
any part's latest window (a table of plans alone: the forecast would start from nothing). Each refusal
is one line naming the column, part and day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.calendar import Calendar
from plancast.errors import InputDataError
from plancast.params_sections import DailyParams
from plancast.serving_manifest import MANIFEST, shown

DAILY_KEYS = ("part", "day", "position", "present")


@dataclass(frozen=True)
class DailyTable:
    """A daily table the served model can read: ``frame`` one row per part and working day, sorted by
    part and day, its number columns float64; ``calendar`` the model's working days over its years."""

    frame: pd.DataFrame
    calendar: Calendar


def daily_table(
    daily: pd.DataFrame, inputs: Sequence[str], params: DailyParams, lookback: int, reader: str = "the model"
) -> DailyTable:
    """``daily`` checked to be a daily table as stage daily_last writes it, with the number columns
    ``inputs``; anything else raises InputDataError with one line naming the column, part and day.

    A daily table has the columns ``part`` (text), ``day`` (dates, or integer steps), ``position``
    (integers), ``present`` (True/False) and ``inputs`` (numbers, finite or empty), one row per part
    and day; its days are working days of ``params``' calendar, ``position`` counts them, and each part
    has a row for every working day from its first day to the table's last (present False where the
    day had no snapshot). A gap, a duplicate or a shuffled calendar would have the windows misread the
    horizons. Some part must have a finite ``target`` in its latest ``lookback`` days (a part without
    one gets no forecast, and says why; a table where no part has one is refused). Rows may come in any
    order; other columns are dropped. ``reader`` names who reads it.
    """
    source = "daily table"
    _check_columns(daily, [*DAILY_KEYS, *inputs], source, reader)
    frame, dated = _key_columns(daily, source)
    for column, numbers in _number_columns(daily, inputs, source).items():
        frame[column] = numbers
    _check_one_row_per_day(frame, source)
    frame = frame.sort_values(["part", "day"], kind="stable").reset_index(drop=True)
    years = range(frame["day"].min().year, frame["day"].max().year + 2) if dated else []
    calendar = Calendar.from_params(params, years)
    frame["position"] = _working_day_positions(frame, calendar, dated, source)
    _check_some_actual(frame, lookback, source)
    return DailyTable(frame, calendar)


def _check_columns(daily: pd.DataFrame, wanted: Sequence[str], source: str, reader: str) -> None:
    """``daily`` is a DataFrame with rows and each of the ``wanted`` columns once."""
    if not isinstance(daily, pd.DataFrame):
        raise InputDataError(f"{source}: must be a pandas DataFrame (got {type(daily).__name__})")
    absent = [column for column in wanted if column not in daily.columns]
    if absent:
        raise InputDataError(
            f"{source}: no column {absent[0]!r} ({reader} reads {', '.join(wanted)}, as stage daily_last writes them)"
        )
    doubled = [column for column in wanted if list(daily.columns).count(column) > 1]
    if doubled:
        raise InputDataError(f"{source}: column {doubled[0]!r} appears twice")
    if daily.empty:
        raise InputDataError(f"{source}: no rows")


def _key_columns(daily: pd.DataFrame, source: str) -> tuple[pd.DataFrame, bool]:
    """``part`` (text), ``day`` (dates at midnight, or integer steps), ``position`` (integers) and
    ``present`` (True/False) checked, as a new frame in ``daily``'s row order; and whether days are dates."""
    part, day, position, present = (daily[column] for column in DAILY_KEYS)
    text = part.map(lambda value: isinstance(value, str) and value != "").to_numpy(bool)
    if not text.all():
        row = int(np.argmin(text))
        raise InputDataError(f"{source}: column 'part': row {row} holds {shown(part.iloc[row])}, not a part id (text)")
    dated = pd.api.types.is_datetime64_dtype(day) and not isinstance(day.dtype, pd.DatetimeTZDtype)
    steps = pd.api.types.is_integer_dtype(day) and not pd.api.types.is_bool_dtype(day)
    if not (dated or steps) or day.isna().any():
        what = "an empty day" if (dated or steps) else f"dtype {day.dtype}"
        raise InputDataError(f"{source}: column 'day' must hold dates or integer steps (got {what})")
    if dated and (day != day.dt.normalize()).any():
        row = int(np.argmax((day != day.dt.normalize()).to_numpy()))
        raise InputDataError(
            f"{source}: part {part.iloc[row]!r}: day {day.iloc[row]} has a time of day; days are dates"
        )
    if present.dtype != np.bool_:
        raise InputDataError(f"{source}: column 'present' must hold True/False (got dtype {present.dtype})")
    if not pd.api.types.is_integer_dtype(position) or pd.api.types.is_bool_dtype(position) or position.isna().any():
        raise InputDataError(f"{source}: column 'position' must hold integers (got dtype {position.dtype})")
    frame = pd.DataFrame(
        {
            "part": part.to_numpy(object),
            "day": day.to_numpy() if dated else day.to_numpy(np.int64),
            "position": position.to_numpy(np.int64),
            "present": present.to_numpy(bool),
        }
    )
    return frame, dated


def _number_columns(daily: pd.DataFrame, inputs: Sequence[str], source: str) -> dict[str, np.ndarray]:
    """Each column of ``inputs`` as float64 ``(rows,)``, once checked to hold numbers, finite or empty."""
    part, day = daily["part"], daily["day"]
    columns = {}
    for column in inputs:
        values = daily[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise InputDataError(f"{source}: column {column!r} must hold numbers (got dtype {values.dtype})")
        numbers = values.to_numpy(np.float64, na_value=np.nan)
        if np.isinf(numbers).any():
            row = int(np.argmax(np.isinf(numbers)))
            raise InputDataError(
                f"{source}: part {part.iloc[row]!r} on {day_text(day.iloc[row])}: {column} is {numbers[row]} "
                "(a quantity is finite; an unknown one is empty)"
            )
        columns[column] = numbers
    return columns


def _check_one_row_per_day(frame: pd.DataFrame, source: str) -> None:
    """No two rows of ``frame`` for one part and day."""
    doubles = frame.duplicated(["part", "day"], keep=False).to_numpy()
    if doubles.any():
        row = int(np.argmax(doubles))
        count = int(((frame["part"] == frame["part"].iloc[row]) & (frame["day"] == frame["day"].iloc[row])).sum())
        raise InputDataError(
            f"{source}: part {frame['part'].iloc[row]!r} has {count} rows for {day_text(frame['day'].iloc[row])} "
            "(a daily table has one row per part and day)"
        )


def _check_some_actual(frame: pd.DataFrame, lookback: int, source: str) -> None:
    """Some part of ``frame`` (sorted by part and day, each part's days unbroken to the last) has a finite
    target in its latest ``lookback`` days, the window every forecast starts from."""
    latest = frame.groupby("part", sort=False).tail(lookback)
    if not np.isfinite(latest["target"].to_numpy(np.float64)).any():
        raise InputDataError(
            f"{source}: no part has a finite target in its latest {lookback} working days, up to "
            f"{day_text(frame['day'].max())} (the actuals every forecast starts from; a table of plans alone has none)"
        )


def day_text(value: Any) -> str:
    """A day for a message: a date as ``2025-11-03``, an integer step as it is."""
    return pd.Timestamp(value).date().isoformat() if isinstance(value, pd.Timestamp | np.datetime64) else str(value)


def _working_day_positions(frame: pd.DataFrame, calendar: Calendar, dated: bool, source: str) -> np.ndarray:
    """Each row's working day counted from the table's first (0), as daily_last counts them, once every
    day is checked to be a working day, ``position`` to count them (up to a shift: a table's tail is one
    too), and each part's days to run unbroken to the table's last day."""
    part, position = frame["part"].to_numpy(), frame["position"].to_numpy(np.int64)
    if dated:
        days = frame["day"].to_numpy().astype("datetime64[D]")
        off = ~calendar.is_working(days)
        if off.any():
            row = int(np.argmax(off))
            raise InputDataError(
                f"{source}: part {part[row]!r} has a row on a day off: {calendar.why_not_working(days[row])} "
                f"(the model's calendar: {MANIFEST} design.daily)"
            )
        counted = calendar.position(days, days.min())
    else:
        days = frame["day"].to_numpy(np.int64)
        counted = days - days.min()
    shift = position - counted
    first = int(np.argmin(counted))
    wrong = shift != shift[first]
    if wrong.any():
        row = int(np.argmax(wrong))
        raise InputDataError(
            f"{source}: part {part[row]!r} on {day_text(days[row])}: position {position[row]} does not count "
            f"working days (the model's calendar gives {counted[row] + shift[first]})"
        )
    same_part = part[1:] == part[:-1]
    gap = same_part & (np.diff(counted) != 1)
    last = np.flatnonzero(np.append(~same_part, True))  # each part's last row
    short = last[counted[last] != counted.max()]
    if gap.any() or len(short):
        row = min([*np.flatnonzero(gap)[:1], *short[:1]])
        after = days[row]
        missing = calendar.shift(after, 1) if dated else after + 1
        raise InputDataError(
            f"{source}: part {part[row]!r} has no row for {day_text(missing)} (a working day without a snapshot "
            "is a row with present False, as stage daily_last writes it)"
        )
    return counted
