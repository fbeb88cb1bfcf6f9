"""Stage monitor in memory: this run's recommended forecast logged at its origin, the live history of errors
merged, live skill against the backtest's and the retrain flag (the morning runs replayed day by day:
:mod:`plancast.pipeline.replay`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from plancast.evaluation.monitor import (
    HISTORY_COLUMNS,
    LOG_COLUMNS,
    Backtest,
    as_days,
    history,
    live_skill,
    log_entry,
    merge_history,
    with_entry,
)
from plancast.params_sections import MonitorParams


@dataclass(frozen=True)
class Monitored:
    """What stage monitor writes: the log (``entry`` is this run's, a new file only when ``logged``), the
    history of errors (``new_errors`` of its rows new), live skill per day and per delay on the last day."""

    origin: Any  # the data's last day
    entry: pd.DataFrame
    logged: bool
    log: pd.DataFrame
    history: pd.DataFrame
    new_errors: int
    days: pd.DataFrame
    horizons: pd.DataFrame


def empty_log() -> pd.DataFrame:
    return pd.DataFrame(columns=LOG_COLUMNS)


def empty_history() -> pd.DataFrame:
    return pd.DataFrame(columns=HISTORY_COLUMNS)


def monitor(
    params: MonitorParams,
    log: pd.DataFrame,
    frame: pd.DataFrame,
    daily: pd.DataFrame,
    previous: pd.DataFrame,
    backtest: Backtest,
) -> Monitored:
    """Log the recommended rows of ``frame`` (forecast.csv's) at the origin ``daily``'s last day unless
    ``log`` holds that origin, recompute the history from the log and ``daily``'s actuals, merge it into
    ``previous`` and judge it against ``backtest`` (:mod:`plancast.evaluation.monitor`). Days read back
    from CSV (ISO dates, steps) are taken in ``daily``'s own day type."""
    like = daily["day"]
    origin = like.max()
    entry = log_entry(frame, origin)
    entry["day"] = as_days(entry["day"], like)
    log = log.assign(origin=as_days(log["origin"], like), day=as_days(log["day"], like))
    log, logged = with_entry(log, entry)
    previous = previous.assign(origin=as_days(previous["origin"], like), day=as_days(previous["day"], like))
    merged, new = merge_history(previous, history(log, daily))
    days, horizons = live_skill(merged, backtest, params, sorted({int(d) for d in log["delay"]}))
    return Monitored(origin, entry, logged, log, merged, new, days, horizons)
