"""The training cut: the last day the models learn from (``train.until``), and the daily table up to it.

Stages correlate .. evaluate read the daily table's rows up to the cut, the forecast reads every row. A
new day's export adds rows after the cut only, so the training table keeps its bytes and DVC retrains
nothing until the user moves the cut. That holds because each row of the daily table depends on its own
and earlier days only: ``position`` counts working days from the data's first day, a part's rows run
from its own first day, and a holiday after the cut moves no earlier day. What a new export can still
change is an earlier day itself: a revised snapshot (the later file wins), or a block of days that
ingest's stray-day rule judges against the whole data.

Example:

>>> daily = pd.DataFrame({"part": ["A"] * 3, "day": [3, 4, 5], "target": [1.0, 2.0, 3.0]})
>>> cut = cut_day(4, daily, Calendar())
>>> up_to(daily, cut)["day"].tolist()
[3, 4]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from plancast.data.calendar import Calendar
from plancast.errors import ParamsError
from plancast.params_sections import WEEKLY, TrainUntil


def day_label(day: Any) -> str:
    """A cut as people read it: ``2026-01-12``, or the step."""
    return f"{pd.Timestamp(day):%Y-%m-%d}" if isinstance(day, pd.Timestamp | np.datetime64) else str(day)


def cut_day(until: TrainUntil, daily: pd.DataFrame, calendar: Calendar) -> Any:
    """The training table's last day: ``until`` (a day, a step), the first working day of the week of
    the data's last day (``weekly``: a plant that retrains on Mondays moves it once a week), or the
    data's last day (None). A pandas Timestamp on calendar days, an int on a step series; None for an
    empty table. A cut outside the data's days, or of the wrong kind, is one line naming ``train.until``.
    """
    if daily.empty:
        return None
    dated = pd.api.types.is_datetime64_any_dtype(daily["day"])
    first, last = daily["day"].min(), daily["day"].max()
    if until is None:
        return last
    if until == WEEKLY:
        if not dated:
            raise ParamsError(
                f"train.until: weekly needs calendar days, but the data is indexed by integer steps "
                f"({first} .. {last}): give a step, or leave it empty for the last one"
            )
        monday = np.datetime64(last, "D") - np.timedelta64(last.weekday(), "D")
        return pd.Timestamp(calendar.shift(monday, 0))
    step = isinstance(until, int)
    if dated and step:
        raise ParamsError(
            f"train.until: must be a day such as '{day_label(last)}', as the data is indexed by calendar days "
            f"(got {until})"
        )
    if not dated and not step:
        raise ParamsError(
            f"train.until: {until} is a date, but the data is indexed by integer steps ({first} .. {last})"
        )
    day = until if step else pd.Timestamp(until)
    if day > last or day < first:
        side = "after the data's last" if day > last else "before the data's first"
        raise ParamsError(
            f"train.until: {day_label(day)} is {side} day {day_label(first if day < first else last)}: give a day from "
            f"{day_label(first)} to {day_label(last)}, or leave it empty for the last day"
        )
    return day


def up_to(daily: pd.DataFrame, day: Any) -> pd.DataFrame:
    """The rows of ``daily`` on or before ``day`` (all of them for None), index renumbered from 0: the
    training table (data/interim/training_daily.parquet)."""
    if day is None:
        return daily
    return daily[daily["day"] <= day].reset_index(drop=True)
