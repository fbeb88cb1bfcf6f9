"""Daily-last: keep each part's latest snapshot of every calendar day, so that rows become days.

The planning system exports several snapshots a day; the last one of a day is the plan as it stood when
the day closed (Seed B). After this step row t of a part is its t-th day with data, which is what
"k days ahead = k rows ahead" in the correlation and window steps relies on.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from plancast.errors import InputDataError

REQUIRED_COLUMNS = ("part", "snapshot_time", "target")
_HORIZON_COLUMN = re.compile(r"^h([1-9]\d*)$")


def horizon_columns(frame: pd.DataFrame) -> list[int]:
    """The horizons k of the frame's canonical ``h{k}`` columns, in increasing k."""
    found = (_HORIZON_COLUMN.match(str(name)) for name in frame.columns)
    return sorted(int(match.group(1)) for match in found if match)


def check_snapshots(snapshots: pd.DataFrame, source: str) -> None:
    """Raise InputDataError (naming ``source`` and the column) if the canonical columns are unusable."""
    for column in REQUIRED_COLUMNS:
        if column not in snapshots.columns:
            raise InputDataError(f"{source}: column {column!r} is missing (re-run stage ingest)")
    for column in ("part", "snapshot_time"):
        missing = int(snapshots[column].isna().sum())
        if missing:
            raise InputDataError(f"{source}: column {column!r} has {missing} empty value(s)")
    time = snapshots["snapshot_time"]
    if not (pd.api.types.is_datetime64_any_dtype(time) or pd.api.types.is_integer_dtype(time)):
        raise InputDataError(f"{source}: column 'snapshot_time' must be datetime or integer (got {time.dtype})")


def last_snapshot_per_day(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Each part's latest snapshot of each day, with ``day`` and the day's snapshot count.

    ``snapshots``: the canonical snapshot table (any row order). Datetime ``snapshot_time``s are grouped
    by calendar day (``day`` = midnight); an integer ``snapshot_time`` is a step that is already a day
    (``day`` = step). Equal times keep the row that comes last in the input. Returns the daily table
    (one row per part per day, sorted by part, day): ``part, day, snapshot_time, snapshots, target,
    h1 .. hK``.
    """
    horizons = [f"h{k}" for k in horizon_columns(snapshots)]
    ordered = snapshots.sort_values(["part", "snapshot_time"], kind="stable")
    time = ordered["snapshot_time"]
    day = time if pd.api.types.is_integer_dtype(time) else time.dt.normalize()
    ordered = ordered.assign(day=day)
    counts = ordered.groupby(["part", "day"], sort=False)["target"].transform("size").astype(np.int64)
    ordered = ordered.assign(snapshots=counts)
    daily = ordered.drop_duplicates(subset=["part", "day"], keep="last")
    daily = daily[["part", "day", "snapshot_time", "snapshots", "target", *horizons]]
    return daily.reset_index(drop=True)


def _day_label(value: Any) -> str | int:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return int(value)


def daily_summary(snapshots: pd.DataFrame, daily: pd.DataFrame) -> dict[str, Any]:
    """Days and snapshots per part and in total, with the first and last day (metrics/daily_last.json)."""
    parts: dict[str, dict[str, Any]] = {}
    for part, rows in daily.groupby("part", sort=True):
        parts[str(part)] = {
            "days": len(rows),
            "snapshots": int(rows["snapshots"].sum()),
            "first_day": _day_label(rows["day"].min()),
            "last_day": _day_label(rows["day"].max()),
        }
    return {
        "parts": parts,
        "part_count": len(parts),
        "total_days": len(daily),
        "total_snapshots": len(snapshots),
        "first_day": _day_label(daily["day"].min()) if len(daily) else None,
        "last_day": _day_label(daily["day"].max()) if len(daily) else None,
        "horizons": len(horizon_columns(daily)),
    }
