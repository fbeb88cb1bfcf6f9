"""Stage daily_last in memory: each part's last snapshot per working day, on the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from plancast.data.calendar import Calendar
from plancast.data.daily import check_snapshots, daily_summary, holidays_hint, last_snapshot_per_day, lay_on_calendar
from plancast.params_sections import DailyParams


@dataclass(frozen=True)
class Daily:
    """Each part's last snapshot of every working day on the calendar, its summary, and a line for the
    user when the calendar knows no holiday in some of the data's years (:func:`holidays_hint`)."""

    table: pd.DataFrame  # data/interim/daily.parquet: part, day, target, plans; missing days explicit
    summary: dict[str, Any]  # metrics/daily_last.json with "parts" (data/reports/daily_parts.json)
    hint: str | None = None

    @property
    def parts(self) -> list[str]:
        return sorted(str(part) for part in self.table["part"].unique())


def daily_last(params: DailyParams, snapshots: pd.DataFrame, source: str = "snapshots") -> Daily:
    """Each part's last snapshot per working day, laid on the calendar; ``source`` names the table in errors."""
    check_snapshots(snapshots, source)
    last = last_snapshot_per_day(snapshots)
    years = sorted({day.year for day in last["day"]}) if pd.api.types.is_datetime64_any_dtype(last["day"]) else []
    table = lay_on_calendar(last, Calendar.from_params(params, years), source)
    return Daily(table, daily_summary(snapshots, table), holidays_hint(params, table))
