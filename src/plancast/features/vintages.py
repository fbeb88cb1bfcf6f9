"""Plan vintages: every plan the planning system made for one target day, as known at the forecast origin.

For a window ending at row e and a delay d the target is row T = e + d. The plan for T made j days
before it is ``h{j}`` at row T - j; it is known at the forecast origin e only when T - j <= e, i.e.
j >= d. So the vintages of (window, delay) are ``h{d}`` at e (the planner's own number), ``h{d+1}`` at
e - 1, ..., ``h{K}`` at e + d - K, newest first. Far vintages are placeholders (the part's recurring
"lot" or zero, Seed B), so beside the values the model gets is-zero and is-lot flags and whether the
plan was revised between two vintages: how firm the planner's number is. The consensus sums up the
firm vintages, those the planner revised to a number that is neither zero nor the lot (an estimate, not
a placeholder): their mean, median, newest, lead-weighted mean and count. Each firm vintage is a fresh
estimate of the same day, so their mean is steadier than the newest one alone, and a model picks it
up in one split instead of learning which of K noisy columns to trust.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plancast.data.daily import horizon_columns
from plancast.features.windows import Windows, on_calendar, rows_by_part

FEATURE_SETS = ("vintages", "flags", "consensus", "profile", "calendar")
CONSENSUS = ("firm_mean", "firm_median", "firm_newest", "firm_weighted", "firm_count")
PROFILE = ("season_mean",)
QUANTITIES = (*CONSENSUS[:4], *PROFILE)  # context in the part's units, scaled like a vintage (the rest: flags, counts)
PROFILE_WEEKS = 8  # the profile averages the last 8 same-phase days (weekdays chosen on validation: 4, 8, 16, 52)
FAR_HORIZONS = 2  # the lot is read off the two farthest horizons, where placeholders dominate
HOLIDAY_CAP = 10  # working days to the next holiday, capped: further away does not matter
WEEK = 7


def _part_rows(daily: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each part's rows in day order (the rows ``end_row`` counts), laid on the calendar."""
    ordered = on_calendar(daily).sort_values(["part", "day"], kind="stable")
    return {str(part): rows for part, rows in ordered.groupby("part", sort=True)}


def vintages(
    daily: pd.DataFrame, part: np.ndarray, end_row: np.ndarray, delays: np.ndarray, max_horizon: int
) -> np.ndarray:
    """Vintages v[i, d, j-1] = h{j} at row end_row[i] + d - j for j = d..K; NaN for j < d: (windows, delays, K).

    ``part``, ``end_row`` (windows,) as in :class:`Windows`; ``delays`` (delays,); K = ``max_horizon``.
    A vintage on a missing day (present False, or no value) takes the next newer vintage (the plan
    made later, j - 1); the newest (j = d, row end_row) is on a present day for every window. A vintage
    from before the part's first row, or beyond the horizons the data holds, is NaN.
    """
    part = np.asarray(part).astype(str)
    end_row = np.asarray(end_row, dtype=np.int64)
    delays = np.asarray(delays, dtype=np.int64)
    result = np.full((len(part), len(delays), max_horizon), np.nan)
    if not len(part):
        return result
    by_part = _part_rows(daily)
    available = set(horizon_columns(daily))
    for name, chosen in rows_by_part(part).items():
        rows = by_part[name]
        present = rows["present"].to_numpy(bool)
        plans = np.full((len(rows), max_horizon), np.nan)
        for j in range(1, max_horizon + 1):
            if j in available:
                plans[:, j - 1] = rows[f"h{j}"].to_numpy(np.float64)
        plans[~present] = np.nan
        for column, delay in enumerate(delays):
            newer = np.full(len(chosen), np.nan)
            for j in range(int(delay), max_horizon + 1):
                row = end_row[chosen] + delay - j
                inside = row >= 0
                value = np.full(len(chosen), np.nan)
                value[inside] = plans[row[inside], j - 1]
                # A missing day's plan is unknown; the plan made after it is the best stand-in.
                carried = np.where(np.isnan(value) & inside & (j in available), newer, value)
                result[chosen, column, j - 1] = carried
                newer = carried
    return result


def lots(daily: pd.DataFrame, far: int = FAR_HORIZONS) -> dict[str, np.ndarray]:
    """Each part's lot as known at each row: the running mode of the non-zero far plans: {part: (rows,)}.

    Far plans are ``h{K-far+1} .. h{K}`` (K = the farthest horizon in ``daily``) of rows 0..t, so row
    t's lot uses nothing made after day t (no leakage into earlier windows). Ties keep the value that
    reached the top count first (the lot in use stays until another is more frequent). NaN until the
    first non-zero far plan.
    """
    horizons = horizon_columns(daily)
    columns = [f"h{k}" for k in horizons[-far:]]
    result: dict[str, np.ndarray] = {}
    for name, rows in _part_rows(daily).items():
        values = rows[columns].to_numpy(np.float64, copy=True) if columns else np.empty((len(rows), 0))
        values[~rows["present"].to_numpy(bool)] = np.nan
        counts: dict[float, int] = {}
        best, best_count = np.nan, 0
        running = np.full(len(rows), np.nan)
        for t, row in enumerate(values):
            for value in row:
                if np.isfinite(value) and value != 0:
                    counts[value] = counts.get(value, 0) + 1
                    if counts[value] > best_count:
                        best, best_count = float(value), counts[value]
            running[t] = best
        result[name] = running
    return result


def window_lots(part_lots: Mapping[str, np.ndarray], part: np.ndarray, end_row: np.ndarray) -> np.ndarray:
    """Each window's lot as known at its last row: lot[part][end_row]: (windows,)."""
    part = np.asarray(part).astype(str)
    end_row = np.asarray(end_row, dtype=np.int64)
    result = np.full(len(part), np.nan)
    for name, chosen in rows_by_part(part).items():
        result[chosen] = np.asarray(part_lots[name], np.float64)[end_row[chosen]]
    return result


@dataclass(frozen=True)
class TargetCalendar:
    """Calendar of each (window, delay) target day: ``weekday`` 0 = Monday .. 6, NaN for integer steps
    or a day beyond the data; ``days_to_holiday`` working days to the next weekday off the calendar,
    capped at :data:`HOLIDAY_CAP` (and the cap where none is known). Both float (windows, delays)."""

    weekday: np.ndarray
    days_to_holiday: np.ndarray


def target_calendar(windows: Windows) -> TargetCalendar:
    """Weekday and days to the next holiday of every target day (position + delay) of ``windows``.

    A holiday is a Monday-to-Friday missing from the calendar of all parts (``windows.days``) between
    its first and last day; it is counted as known ahead, like any plant calendar.
    """
    target = windows.position[:, None] + np.asarray(windows.delays, np.int64)[None, :]
    shape = target.shape
    cap = np.full(shape, float(HOLIDAY_CAP))
    days = windows.days
    if not np.issubdtype(days.dtype, np.datetime64) or not len(days):
        return TargetCalendar(np.full(shape, np.nan), cap)
    day = windows.day_at(target).astype("datetime64[D]")
    known = ~np.isnat(day)
    weekday = phases(day)
    every = np.arange(days[0], days[-1] + 1, dtype="datetime64[D]")
    weekdays = phases(every)
    holidays = every[(weekdays < 5) & ~np.isin(every, days)]
    if not len(holidays):
        return TargetCalendar(weekday, cap)
    # Working days from a target to the next holiday = calendar positions between them.
    next_holiday = np.searchsorted(holidays, day[known], side="right")
    distance = cap.copy()
    has_next = next_holiday < len(holidays)
    holiday_position = np.searchsorted(days, holidays[np.minimum(next_holiday, len(holidays) - 1)])
    gap = holiday_position - target[known]
    distance[known] = np.where(has_next, np.minimum(gap, HOLIDAY_CAP), HOLIDAY_CAP)
    return TargetCalendar(weekday, distance)


def phases(days: np.ndarray, period: int | None = None) -> np.ndarray:
    """The phase of each day in its season: float, same shape as ``days``.

    Calendar days (datetime64): the weekday, 0 = Monday .. 6 (1970-01-01 was a Thursday, weekday 3);
    NaT -> NaN. Integer steps: ``step % period`` when ``period`` is given, else NaN; a negative step
    (beyond the data, :meth:`Windows.day_at`) -> NaN.
    """
    days = np.asarray(days)
    if np.issubdtype(days.dtype, np.datetime64):
        day = days.astype("datetime64[D]")
        known = ~np.isnat(day)
        result = np.full(day.shape, np.nan)
        result[known] = (day[known].astype(np.int64) + 3) % WEEK
        return result
    if period is None or not np.issubdtype(days.dtype, np.integer):
        return np.full(days.shape, np.nan)
    steps = days.astype(np.int64)
    return np.where(steps >= 0, steps % period, np.nan).astype(np.float64)


def target_phase(windows: Windows, period: int | None = None) -> np.ndarray:
    """The season phase (:func:`phases`) of every target day (position + delay): (windows, delays)."""
    target = windows.position[:, None] + np.asarray(windows.delays, np.int64)[None, :]
    return phases(windows.day_at(target), period)


def season_profile(
    daily: pd.DataFrame,
    part: np.ndarray,
    end_row: np.ndarray,
    phase: np.ndarray,
    period: int | None = None,
    seasons: int = PROFILE_WEEKS,
) -> np.ndarray:
    """The part's recent level at each target day's phase of its season: the mean of its last ``seasons``
    present actuals at that phase in rows 0 .. ``end_row`` (known at the forecast origin): (windows, delays).

    The season is the week on calendar days (phase = weekday) and ``period`` steps on a step series
    (phase = step % period; no profile without a period). ``phase`` (windows, delays) from
    :func:`target_phase`; NaN where it is NaN or the part has no such day yet. A plant's weekly rhythm
    (a short Friday, a heavy Monday), or a step series' cycle, is one number for the model instead of a
    pattern to find among the window's positions.
    """
    part = np.asarray(part).astype(str)
    end_row = np.asarray(end_row, dtype=np.int64)
    phase = np.asarray(phase, np.float64)
    result = np.full(phase.shape, np.nan)
    if not len(part) or not np.isfinite(phase).any():
        return result
    by_part = _part_rows(daily)
    for name, chosen in rows_by_part(part).items():
        rows = by_part[name]
        days = rows["day"].to_numpy()
        row_phase = phases(days, period)
        width = WEEK if np.issubdtype(days.dtype, np.datetime64) else period
        if width is None:
            continue
        actual = rows["target"].to_numpy(np.float64).copy()
        actual[~rows["present"].to_numpy(bool)] = np.nan
        table = np.full((len(rows), width), np.nan)  # table[r, p]: the mean as known at row r
        steps = np.arange(len(rows))
        for at_phase in range(width):
            index = np.flatnonzero((row_phase == at_phase) & np.isfinite(actual))
            if not len(index):
                continue
            total = np.concatenate([[0.0], np.cumsum(actual[index])])
            count = np.arange(1, len(index) + 1)
            first = np.maximum(0, count - seasons)
            at = np.full(len(rows), np.nan)
            at[index] = (total[count] - total[first]) / (count - first)
            latest = np.maximum.accumulate(np.where(np.isfinite(at), steps, -1))
            table[:, at_phase] = np.where(latest >= 0, at[np.maximum(latest, 0)], np.nan)
        wanted = phase[chosen]
        known = np.isfinite(wanted) & (wanted < width)
        origin = np.broadcast_to(end_row[chosen][:, None], wanted.shape)
        values = np.full(wanted.shape, np.nan)
        values[known] = table[origin[known], wanted[known].astype(np.int64)]
        result[chosen] = values
    return result


def feature_names(max_horizon: int, sets: Collection[str]) -> list[str]:
    """Names of the :func:`context_features` columns for ``sets``, in column order."""
    unknown = sorted(set(sets) - set(FEATURE_SETS))
    if unknown:
        raise ValueError(f"unknown feature set {unknown[0]!r}; allowed: {', '.join(FEATURE_SETS)}")
    names: list[str] = []
    horizons = range(1, max_horizon + 1)
    if "vintages" in sets:
        names += [f"vintage_{j}" for j in horizons]
    if "flags" in sets:
        names += [f"zero_{j}" for j in horizons]
        names += [f"lot_{j}" for j in horizons]
        names += [f"revised_{j}" for j in range(1, max_horizon)]
    if "consensus" in sets:
        names += list(CONSENSUS)
    if "profile" in sets:
        names += list(PROFILE)
    if "calendar" in sets:
        names += ["weekday_sin", "weekday_cos", "days_to_holiday"]
    return names


def firm(vintages: np.ndarray, lot: np.ndarray) -> np.ndarray:
    """Which vintages are firm: known, not zero, not the lot, and revised (different from the vintage made
    a day earlier, or the oldest one known): (windows, delays, K) bool. ``lot`` (windows,), NaN = none yet.

    A plan kept from the day before carries no new estimate; a zero or the lot is a placeholder.
    """
    vintages = np.asarray(vintages, np.float64)
    older = np.concatenate([vintages[..., 1:], np.full((*vintages.shape[:-1], 1), np.nan)], axis=-1)
    lots = np.asarray(lot, np.float64)[:, None, None]
    return np.isfinite(vintages) & (vintages != 0) & (vintages != lots) & (vintages != older)


def consensus(vintages: np.ndarray, lot: np.ndarray) -> np.ndarray:
    """The firm vintages (:func:`firm`) summed up: (windows, delays, 5), columns :data:`CONSENSUS`.

    Mean, median, newest (the smallest lead j) and lead-weighted mean (weight 1/j: a plan made nearer
    the day is firmer) of the firm vintages, NaN where there is none, and their count. Raw units.
    """
    vintages = np.asarray(vintages, np.float64)
    chosen = firm(vintages, lot)
    count = chosen.sum(axis=-1)
    some = count > 0
    values = np.where(chosen, vintages, np.nan)
    result = np.full((*vintages.shape[:-1], len(CONSENSUS)), np.nan)
    result[..., 4] = count
    if not some.any():
        return result
    picked = values[some]
    result[..., 0][some] = np.nanmean(picked, axis=-1)
    result[..., 1][some] = np.nanmedian(picked, axis=-1)
    newest = np.argmax(chosen[some], axis=-1)
    result[..., 2][some] = np.take_along_axis(picked, newest[:, None], axis=-1)[:, 0]
    weight = np.where(chosen[some], 1.0 / np.arange(1, vintages.shape[-1] + 1), 0.0)
    result[..., 3][some] = (np.where(chosen[some], picked, 0.0) * weight).sum(axis=-1) / weight.sum(axis=-1)
    return result


def _flag(condition: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.where(known, condition.astype(np.float64), np.nan)


def context_features(
    vintages: np.ndarray,
    lot: np.ndarray,
    weekday: np.ndarray,
    days_to_holiday: np.ndarray,
    sets: Collection[str] = FEATURE_SETS,
    profile: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Context of each (window, delay): vintages, flags and target-day calendar: ((windows, delays, C), names).

    ``vintages`` (windows, delays, K) raw; ``lot`` (windows,); ``weekday``, ``days_to_holiday``
    (windows, delays). Columns: ``vintage_j`` (raw); ``zero_j`` = [v_j = 0]; ``lot_j`` = [v_j = lot];
    ``revised_j`` = [v_j != v_{j+1}] (the plan changed between the vintage made j+1 and j days ahead);
    ``firm_*`` the :func:`consensus` of the firm vintages (raw units, NaN where none);
    ``season_mean`` the :func:`season_profile` ``profile`` (windows, delays), raw (NaN if not given);
    ``weekday_sin/cos`` = sin/cos(2π·weekday/7); ``days_to_holiday`` / cap in [0, 1]. A flag of an
    unknown vintage is NaN, as is a calendar feature of an unknown day.
    """
    vintages = np.asarray(vintages, np.float64)
    max_horizon = vintages.shape[-1]
    names = feature_names(max_horizon, sets)
    blocks: list[np.ndarray] = []
    if "vintages" in sets:
        blocks.append(vintages)
    if "flags" in sets:
        known = np.isfinite(vintages)
        lots = np.asarray(lot, np.float64)[:, None, None]
        blocks.append(_flag(vintages == 0, known))
        blocks.append(_flag(vintages == lots, known & np.isfinite(lots)))
        both = known[..., :-1] & known[..., 1:]
        blocks.append(_flag(vintages[..., :-1] != vintages[..., 1:], both))
    if "consensus" in sets:
        blocks.append(consensus(vintages, lot))
    if "profile" in sets:
        given = np.full(vintages.shape[:2], np.nan) if profile is None else np.asarray(profile, np.float64)
        blocks.append(given[..., None])
    if "calendar" in sets:
        angle = 2 * np.pi * np.asarray(weekday, np.float64) / WEEK
        holiday = np.asarray(days_to_holiday, np.float64) / HOLIDAY_CAP
        blocks.append(np.stack([np.sin(angle), np.cos(angle), np.minimum(holiday, 1.0)], axis=-1))
    if not blocks:
        return np.empty((*vintages.shape[:2], 0)), names
    return np.concatenate(blocks, axis=-1), names
