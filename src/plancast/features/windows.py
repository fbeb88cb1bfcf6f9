"""Sliding windows: ``lookback`` consecutive days of the chosen features -> the target ``delay`` days on.

Window i of a part ends at row ``end_row``; its inputs are rows ``end_row - lookback + 1 .. end_row`` of
the part's feature columns and its targets the ``target`` at ``end_row + delay`` for every delay (Seed B:
lookback 3, delay 3 -> inputs rows i..i+2, target row i+5). Beside them ``plan`` keeps the planner's own
number for each target day as it stood at the window's last row (``h{delay}`` at ``end_row``): the
baseline every model must beat.
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
from plancast.errors import InputDataError, ParamsError


@dataclass(frozen=True)
class Windows:
    """Every part's lookback windows in raw units (windows.npz), ordered by part, then end_row.

    Window i of a part covers its daily rows ``end_row - lookback + 1 .. end_row``.
    ``inputs`` float64 (windows, lookback, features); ``targets`` float64 (windows, delays), the target
    at ``end_row + delay``; ``plan`` float64 (windows, delays), the planner's number for that day from
    the window's latest snapshot (``h{delay}`` at ``end_row``, NaN where absent); ``part`` str
    (windows,); ``end_row`` int64 (windows,); ``delays`` int64 (delays,); ``feature_names`` str (features,).
    """

    inputs: np.ndarray
    targets: np.ndarray
    plan: np.ndarray
    part: np.ndarray
    end_row: np.ndarray
    delays: np.ndarray
    feature_names: np.ndarray

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


def required_rows(lookback: int, delays: Sequence[int]) -> int:
    """The fewest rows a part needs for one window."""
    return lookback + max(delays)


def _part_windows(
    rows: pd.DataFrame, columns: list[str], lookback: int, delays: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One part's inputs (windows, lookback, features), targets and plan (windows, delays), end_row."""
    values = rows[columns].to_numpy(dtype=np.float64)
    count = len(rows) - lookback - int(delays.max()) + 1
    # sliding_window_view puts the window axis last: (n - lookback + 1, features, lookback).
    inputs = sliding_window_view(values, lookback, axis=0)[:count].transpose(0, 2, 1)
    end_row = np.arange(lookback - 1, lookback - 1 + count, dtype=np.int64)
    target = rows["target"].to_numpy(dtype=np.float64)
    targets = target[end_row[:, None] + delays[None, :]]
    plan = np.full((count, delays.size), np.nan)
    for j, delay in enumerate(delays):
        if f"h{delay}" in rows.columns:
            plan[:, j] = rows[f"h{delay}"].to_numpy(dtype=np.float64)[end_row]
    return np.ascontiguousarray(inputs), targets, plan, end_row


def make_windows(daily: pd.DataFrame, features: Mapping[str, Any], lookback: int, delays: Sequence[int]) -> Windows:
    """All parts' windows (windows.npz), ordered by part then end_row.

    ``daily``: the daily table; ``features``: features.json. Returns ``inputs`` (windows, lookback,
    features), ``targets`` and ``plan`` (windows, delays), ``part`` and ``end_row`` (windows,), ``delays``
    (delays,) and ``feature_names`` (features,). A part shorter than ``lookback + max(delays)`` rows gives
    no windows; a window with a missing input or target value is left out (its end_row is absent).
    """
    delay_array = np.asarray(delays, dtype=np.int64)
    parts = sorted(str(part) for part in daily["part"].unique())
    columns = feature_columns(features, parts)
    for part, names in columns.items():
        unknown = [name for name in names if name not in daily.columns]
        if unknown:
            raise InputDataError(f"features.json: part {part!r} names column {unknown[0]!r}, which daily.parquet lacks")
    width = len(next(iter(columns.values()))) if columns else 1
    chunks: list[tuple[np.ndarray, ...]] = []
    ordered = daily.sort_values(["part", "day"], kind="stable")
    for part, rows in ordered.groupby("part", sort=True):
        if len(rows) < required_rows(lookback, delays):
            continue
        inputs, targets, plan, end_row = _part_windows(rows, columns[str(part)], lookback, delay_array)
        complete = np.isfinite(inputs).all(axis=(1, 2)) & np.isfinite(targets).all(axis=1)
        labels = np.full(int(complete.sum()), str(part))
        chunks.append((inputs[complete], targets[complete], plan[complete], labels, end_row[complete]))

    def joined(index: int, empty_shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        arrays = [chunk[index] for chunk in chunks]
        return np.concatenate(arrays).astype(dtype) if arrays else np.empty(empty_shape, dtype=dtype)

    return Windows(
        inputs=joined(0, (0, lookback, width), np.float64),
        targets=joined(1, (0, delay_array.size), np.float64),
        plan=joined(2, (0, delay_array.size), np.float64),
        part=joined(3, (0,), str),
        end_row=joined(4, (0,), np.int64),
        delays=delay_array,
        feature_names=np.asarray(_feature_names(columns), dtype=str),
    )


def window_report(daily: pd.DataFrame, windows: Windows, lookback: int, delays: Sequence[int]) -> dict[str, Any]:
    """metrics/window.json: windows per part, array shapes, parts skipped and windows dropped, with why."""
    needed = required_rows(lookback, delays)
    days = daily.groupby("part", sort=True).size()
    made = pd.Series(windows.part).value_counts()
    parts: dict[str, int] = {}
    skipped: dict[str, str] = {}
    incomplete: dict[str, int] = {}
    for part, rows in days.items():
        part = str(part)
        if rows < needed:
            skipped[part] = f"{rows} days, fewer than lookback + max(delays) = {needed}"
            continue
        parts[part] = int(made.get(part, 0))
        dropped = rows - needed + 1 - parts[part]
        if dropped:
            incomplete[part] = int(dropped)
    return {
        "lookback": lookback,
        "delays": [int(d) for d in delays],
        "feature_names": [str(name) for name in windows.feature_names],
        "windows": len(windows.part),
        "shape": {"inputs": list(windows.inputs.shape), "targets": list(windows.targets.shape)},
        "parts": parts,
        "skipped": skipped,
        "dropped_incomplete": incomplete,
    }
