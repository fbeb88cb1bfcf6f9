"""Sliding windows: ``lookback`` consecutive days of the chosen features -> the target ``delay`` days on.

Window i of a part ends at row ``end_row``; its inputs are rows ``end_row - lookback + 1 .. end_row`` of
the part's feature columns and its targets the ``target`` at ``end_row + delay`` for every delay (Seed B:
lookback 3, delay 3 -> inputs rows i..i+2, target row i+5). Beside them ``plan`` keeps the planner's own
number for each target day as it stood at the window's last row (``h{delay}`` at ``end_row``): the
baseline every model must beat.

``window.gaps`` says what a window touching a day without a snapshot is: ``drop`` leaves it out (and one
holding a missing value); ``keep`` keeps it, the missing inputs NaN (never filled from a neighbour,
never bridged), a missing target NaN for that delay alone, and the plan the newest known for the day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from plancast.artifacts import load_npz, save_npz
from plancast.data.daily import horizon_columns
from plancast.errors import InputDataError, ParamsError
from plancast.params_sections import Gaps


@dataclass(frozen=True)
class Windows:
    """Every part's lookback windows in raw units (windows.npz), ordered by part, then end_row.

    Window i of a part covers its daily rows ``end_row - lookback + 1 .. end_row`` (rows are calendar
    days, missing ones included, so no window spans a gap: with ``window.gaps: drop`` a window touching
    a missing day is left out, with ``keep`` the missing day's inputs are NaN). ``inputs`` float64
    (windows, lookback, features); ``targets`` float64 (windows, delays), the target at ``end_row +
    delay`` (NaN, under ``keep``, where that day has none); ``plan`` float64 (windows, delays), the
    planner's number for that day from the window's latest snapshot (``h{delay}`` at ``end_row``, NaN
    where absent; under ``keep`` the newest plan for the day known at ``end_row``); ``part`` str
    (windows,); ``end_row`` int64 (windows,), the row in the part's daily table; ``position`` int64
    (windows,), the window's last day counted on the one calendar of all parts (daily ``position``);
    ``delays`` int64 (delays,); ``feature_names`` str (features,); ``days`` (positions,) the calendar
    day of every position 0 .. last (datetime64[D], or int64 steps).
    """

    inputs: np.ndarray
    targets: np.ndarray
    plan: np.ndarray
    part: np.ndarray
    end_row: np.ndarray
    position: np.ndarray
    delays: np.ndarray
    feature_names: np.ndarray
    days: np.ndarray

    def day_at(self, position: np.ndarray) -> np.ndarray:
        """The calendar day of global positions (any shape); beyond the data, NaT (or -1 for steps)."""
        position = np.asarray(position, dtype=np.int64)
        inside = (position >= 0) & (position < len(self.days))
        missing = np.datetime64("NaT") if np.issubdtype(self.days.dtype, np.datetime64) else -1
        return np.where(inside, self.days[np.clip(position, 0, max(len(self.days) - 1, 0))], missing)

    def take(self, index: np.ndarray) -> Windows:
        """The windows ``index`` selects, every per-window array indexed alike (delays, names, days kept)."""
        return Windows(
            self.inputs[index], self.targets[index], self.plan[index], self.part[index], self.end_row[index],
            self.position[index], self.delays, self.feature_names, self.days,
        )  # fmt: skip

    def save(self, path: str | Path) -> None:
        save_npz(path, **{field.name: getattr(self, field.name) for field in fields(self)})

    @classmethod
    def load(cls, path: str | Path) -> Windows:
        arrays = load_npz(path)
        return cls(**{field.name: arrays[field.name] for field in fields(cls)})


def feature_columns(features: Mapping[str, Any], parts: Sequence[str]) -> dict[str, list[str]]:
    """Each part's input columns from features.json, checked to have one common length."""
    columns = features.get("columns", {})
    missing = [part for part in parts if part not in columns]
    if missing:
        raise InputDataError(f"features.json: no columns for part {missing[0]!r} (re-run stage select_features)")
    lengths = {len(columns[part]) for part in parts}
    if len(lengths) > 1:
        raise ParamsError(
            "select_features.basis: per_part chose different numbers of features per part "
            f"({min(lengths) - 1} to {max(lengths) - 1} horizons), but one model needs one input width; "
            "use basis: pooled or method: top_k"
        )
    return {part: list(columns[part]) for part in parts}


def _feature_names(columns: Mapping[str, list[str]]) -> list[str]:
    """One name per input position; where parts differ (basis per_part) their names joined by '|'."""
    lists = list(columns.values())
    if not lists:
        return []
    return ["|".join(sorted(set(names), key=names.index)) for names in zip(*lists, strict=True)]


def rows_by_part(part: np.ndarray) -> dict[str, np.ndarray]:
    """Each part's positions in ``part`` (n,), increasing (what ``part == name`` selects), from one sort.

    One stable sort for all parts instead of one comparison of every row per part: at 2,000 parts and
    half a million windows that is the difference between a second and minutes.
    """
    labels = np.asarray(part).astype(str)
    order = np.argsort(labels, kind="stable")
    names, first = np.unique(labels[order], return_index=True)
    ends = [*first[1:], len(order)] if len(first) else []
    return {str(name): order[a:b] for name, a, b in zip(names.tolist(), first, ends, strict=True)}


def required_rows(lookback: int, delays: Sequence[int]) -> int:
    """The fewest rows a part needs for one window."""
    return lookback + max(delays)


def on_calendar(daily: pd.DataFrame) -> pd.DataFrame:
    """``daily`` with ``position`` and ``present``: as laid by daily-last, or, for a hand-made table
    without them, every row present and positions counted over the sorted distinct days of all parts."""
    if "position" in daily.columns and "present" in daily.columns:
        return daily
    distinct = np.unique(daily["day"].to_numpy())
    return daily.assign(position=np.searchsorted(distinct, daily["day"].to_numpy()), present=True)


def calendar_days(daily: pd.DataFrame) -> np.ndarray:
    """The day of every position 0 .. last of a table :func:`on_calendar` gave: (positions,)."""
    pairs = daily[["position", "day"]].drop_duplicates("position").sort_values("position")
    days = np.empty(int(pairs["position"].max()) + 1 if len(pairs) else 0, dtype=pairs["day"].to_numpy().dtype)
    days[pairs["position"].to_numpy()] = pairs["day"].to_numpy()
    if np.issubdtype(days.dtype, np.datetime64):
        return days.astype("datetime64[D]")
    return days.astype(np.int64)


@dataclass(frozen=True)
class _PartWindows:
    """One part's windows and what became of the others: ``lost_to_gaps`` left out for missing days,
    ``incomplete`` for missing values; under ``keep`` also ``with_gaps``, kept windows whose inputs hold
    a NaN, and ``without_target``, their (window, delay) pairs without a target."""

    inputs: np.ndarray
    targets: np.ndarray
    plan: np.ndarray
    end_row: np.ndarray
    position: np.ndarray
    lost_to_gaps: int
    incomplete: int
    with_gaps: int = 0
    without_target: int = 0


def latest_plans(rows: pd.DataFrame, end_row: np.ndarray, delays: np.ndarray) -> np.ndarray:
    """The newest plan for each target day ``end_row + delay`` known at ``end_row``: ``h{delay + k}`` of
    row ``end_row - k`` for the smallest k >= 0 whose row has that number (NaN where none has):
    (windows, delays). On a day without a snapshot (``present`` False) the planner's number is the one
    of the snapshot before it, never one made later."""
    known = rows["present"].to_numpy(bool) if "present" in rows else np.ones(len(rows), bool)
    made = {k: np.where(known, rows[f"h{k}"].to_numpy(np.float64), np.nan) for k in horizon_columns(rows)}
    plan = np.full((len(end_row), delays.size), np.nan)
    for j, delay in enumerate(delays.tolist()):
        for lag in range(max(made, default=0) - delay + 1):  # newest first
            if delay + lag in made:
                source = end_row - lag
                found = np.where(source >= 0, made[delay + lag][np.clip(source, 0, None)], np.nan)
                plan[:, j] = np.where(np.isnan(plan[:, j]), found, plan[:, j])
    return plan


def _part_windows(
    rows: pd.DataFrame, columns: list[str], lookback: int, delays: np.ndarray, gaps: Gaps
) -> _PartWindows:
    """One part's windows: inputs (windows, lookback, features), targets and plan (windows, delays).

    ``drop``: a window whose rows (inputs or targets) include a missing calendar day is lost to the gap
    and counted; one whose present rows hold a missing value is incomplete and counted. ``keep``: a
    window is kept when a day of its lookback has a snapshot and one of its delays a target; a missing
    day's values are NaN. Left out are those without a snapshot in the lookback or on any target day
    (lost to the gap) and those whose target days have a snapshot but no target value (incomplete).
    """
    values = rows[columns].to_numpy(dtype=np.float64)
    present = rows["present"].to_numpy(bool)
    target = rows["target"].to_numpy(dtype=np.float64)
    if gaps == "keep":  # a day without a snapshot holds no value, whatever the table's row says
        values = np.where(present[:, None], values, np.nan)
        target = np.where(present, target, np.nan)
    count = len(rows) - lookback - int(delays.max()) + 1
    # sliding_window_view puts the window axis last: (n - lookback + 1, features, lookback).
    inputs = sliding_window_view(values, lookback, axis=0)[:count].transpose(0, 2, 1)
    end_row = np.arange(lookback - 1, lookback - 1 + count, dtype=np.int64)
    targets = target[end_row[:, None] + delays[None, :]]
    position = rows["position"].to_numpy(np.int64)[end_row]
    input_days = sliding_window_view(present, lookback)[:count]
    target_days = present[end_row[:, None] + delays[None, :]]
    if gaps == "keep":
        seen = input_days.any(axis=1) & target_days.any(axis=1)
        keep = seen & np.isfinite(targets).any(axis=1)
        kept = inputs[keep]
        return _PartWindows(
            np.ascontiguousarray(kept), targets[keep], latest_plans(rows, end_row[keep], delays), end_row[keep],
            position[keep], lost_to_gaps=int((~seen).sum()), incomplete=int((seen & ~keep).sum()),
            with_gaps=int((~np.isfinite(kept)).any(axis=(1, 2)).sum()),
            without_target=int((~np.isfinite(targets[keep])).sum()),
        )  # fmt: skip
    plan = np.full((count, delays.size), np.nan)
    for j, delay in enumerate(delays):
        if f"h{delay}" in rows.columns:
            plan[:, j] = rows[f"h{delay}"].to_numpy(dtype=np.float64)[end_row]
    gap_free = input_days.all(axis=1) & target_days.all(axis=1)
    complete = np.isfinite(inputs).all(axis=(1, 2)) & np.isfinite(targets).all(axis=1)
    keep = gap_free & complete
    return _PartWindows(
        np.ascontiguousarray(inputs[keep]), targets[keep], plan[keep], end_row[keep], position[keep],
        lost_to_gaps=int((~gap_free).sum()), incomplete=int((gap_free & ~complete).sum()),
    )  # fmt: skip


def make_windows(
    daily: pd.DataFrame, features: Mapping[str, Any], lookback: int, delays: Sequence[int], gaps: Gaps = "drop"
) -> Windows:
    """All parts' windows (windows.npz), ordered by part then end_row.

    ``daily``: the daily table laid on the calendar (daily-last); ``features``: features.json. A part
    with fewer than ``lookback + max(delays)`` calendar days gives no windows. ``gaps`` ``drop``: a
    window touching a missing day, or with a missing input or target value, is left out; ``keep``: kept
    with NaN where a value is missing, unless its lookback holds no snapshot or no delay a target
    (:func:`window_report` counts them per part).
    """
    return _windows(daily, features, lookback, delays, gaps)[0]


def _windows(
    daily: pd.DataFrame, features: Mapping[str, Any], lookback: int, delays: Sequence[int], gaps: Gaps
) -> tuple[Windows, dict[str, _PartWindows]]:
    daily = on_calendar(daily)
    delay_array = np.asarray(delays, dtype=np.int64)
    parts = sorted(str(part) for part in daily["part"].unique())
    columns = feature_columns(features, parts)
    for part, names in columns.items():
        unknown = [name for name in names if name not in daily.columns]
        if unknown:
            raise InputDataError(f"features.json: part {part!r} names column {unknown[0]!r}, which daily.parquet lacks")
    width = len(next(iter(columns.values()))) if columns else 1
    made: dict[str, _PartWindows] = {}
    ordered = daily.sort_values(["part", "day"], kind="stable")
    for part, rows in ordered.groupby("part", sort=True):
        if len(rows) >= required_rows(lookback, delays):
            made[str(part)] = _part_windows(rows, columns[str(part)], lookback, delay_array, gaps)

    def joined(field: str, empty_shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        arrays = [getattr(chunk, field) for chunk in made.values()]
        return np.concatenate(arrays).astype(dtype) if arrays else np.empty(empty_shape, dtype=dtype)

    labels = [np.full(len(chunk.end_row), part) for part, chunk in made.items()]
    windows = Windows(
        inputs=joined("inputs", (0, lookback, width), np.float64),
        targets=joined("targets", (0, delay_array.size), np.float64),
        plan=joined("plan", (0, delay_array.size), np.float64),
        part=np.concatenate(labels).astype(str) if labels else np.empty(0, str),
        end_row=joined("end_row", (0,), np.int64),
        position=joined("position", (0,), np.int64),
        delays=delay_array,
        feature_names=np.asarray(_feature_names(columns), dtype=str),
        days=calendar_days(daily),
    )
    return windows, made


def window_report(
    daily: pd.DataFrame, features: Mapping[str, Any], lookback: int, delays: Sequence[int], gaps: Gaps = "drop"
) -> tuple[Windows, dict[str, Any]]:
    """The windows and their report: counts (metrics/window.json) and, under ``parts``, the detail
    (data/reports/window_parts.json: the input names and array shapes; per part the windows, the parts
    skipped with why, the windows lost).

    ``drop``: ``lost_to_gaps``, windows that would touch a missing calendar day (never bridged);
    ``dropped_incomplete``, windows with a missing value on a day that has a snapshot. ``keep`` (:func:
    `make_windows`): ``lost_to_gaps``, windows without a snapshot in their lookback or on every target
    day; ``dropped_incomplete``, those whose target days have a snapshot but no target; and beside them
    ``kept_with_gaps`` (kept windows whose inputs hold a NaN) and ``pairs_without_target``
    (their (window, delay) pairs without a target, left out of training and scoring). DVC's metrics hold
    only totals, so their count does not grow with the number of parts.
    """
    windows, made = _windows(daily, features, lookback, delays, gaps)
    needed = required_rows(lookback, delays)
    days = on_calendar(daily).groupby("part", sort=True).size()
    skipped = {
        str(part): f"{rows} days, fewer than lookback + max(delays) = {needed}"
        for part, rows in days.items()
        if str(part) not in made
    }
    lost = {part: chunk.lost_to_gaps for part, chunk in made.items() if chunk.lost_to_gaps}
    incomplete = {part: chunk.incomplete for part, chunk in made.items() if chunk.incomplete}
    report: dict[str, Any] = {
        "windows": len(windows.part),
        "parts_skipped": len(skipped),
        "lost_to_gaps": sum(lost.values()),
        "dropped_incomplete": sum(incomplete.values()),
        "parts": {  # the detail (window_parts.json), beside what the params already say (lookback, delays)
            "feature_names": [str(name) for name in windows.feature_names],
            "shape": {"inputs": list(windows.inputs.shape), "targets": list(windows.targets.shape)},
            "windows": {part: len(chunk.end_row) for part, chunk in made.items()},
            "skipped": skipped,
            "lost_to_gaps": lost,
            "dropped_incomplete": incomplete,
        },
    }
    if gaps == "keep":  # drop's report stays as it was, key for key
        with_gaps = {part: chunk.with_gaps for part, chunk in made.items() if chunk.with_gaps}
        without = {part: chunk.without_target for part, chunk in made.items() if chunk.without_target}
        report["kept_with_gaps"] = sum(with_gaps.values())
        report["pairs_without_target"] = sum(without.values())
        report["parts"] |= {"kept_with_gaps": with_gaps, "pairs_without_target": without}
    return windows, report
