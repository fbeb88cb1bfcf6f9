"""Stage daily_last in memory: each part's last snapshot per working day, on the calendar, and the days of
it the models learn from (up to ``train.until``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from plancast.data.calendar import Calendar
from plancast.data.daily import check_snapshots, daily_summary, holidays_hint, last_snapshot_per_day, lay_on_calendar
from plancast.data.training_cut import cut_day, up_to
from plancast.params_sections import DailyParams, TrainUntil


@dataclass(frozen=True)
class Daily:
    """Each part's last snapshot of every working day on the calendar, the days of it up to the training
    cut, its summary, and a line for the user when the calendar knows no holiday in some of the data's
    years (:func:`holidays_hint`)."""

    table: pd.DataFrame  # data/interim/daily.parquet: part, day, target, plans; missing days explicit
    training: pd.DataFrame  # data/interim/training_daily.parquet: the rows of `table` up to `until`
    until: Any  # the training table's last day (train.until resolved): a Timestamp, a step; None if empty
    summary: dict[str, Any]  # metrics/daily_last.json with "parts" (data/reports/daily_parts.json)
    hint: str | None = None

    @property
    def training_parts(self) -> list[str]:
        """The parts of the training table: the ones the models learn (and select_features chooses for)."""
        return sorted(str(part) for part in self.training["part"].unique())


def daily_last(
    params: DailyParams, snapshots: pd.DataFrame, source: str = "snapshots", until: TrainUntil = None
) -> Daily:
    """Each part's last snapshot per working day, laid on the calendar, and its rows up to the training cut
    ``until`` (``train.until``: :func:`plancast.data.training_cut.cut_day`); ``source`` names the table in
    errors."""
    check_snapshots(snapshots, source)
    last = last_snapshot_per_day(snapshots)
    years = sorted({day.year for day in last["day"]}) if pd.api.types.is_datetime64_any_dtype(last["day"]) else []
    calendar = Calendar.from_params(params, years)
    table = lay_on_calendar(last, calendar, source)
    cut = cut_day(until, table, calendar)
    return Daily(table, up_to(table, cut), cut, daily_summary(snapshots, table), holidays_hint(params, table))
