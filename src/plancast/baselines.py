"""Baseline forecasts every network must beat, on the windows of ``windows.npz``.

Each returns predictions in original units with the shape of ``targets``: (windows, delays), NaN
where the baseline has no number. Window i of a part ends at row ``end_row[i]`` of that part's daily
table; its target for delay d is the part's target at row ``end_row[i] + d``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge

from plancast.scaling import inverse_transform_targets


def part_series(daily: pd.DataFrame, column: str = "target") -> dict[str, np.ndarray]:
    """One column of the daily table per part, in row (day) order: {part: (rows,)}."""
    ordered = daily.sort_values(["part", "day"], kind="stable")
    return {str(part): rows[column].to_numpy() for part, rows in ordered.groupby("part", sort=True)}


def last_value(inputs: np.ndarray, delays: np.ndarray) -> np.ndarray:
    """Last value: ŷ(end_row + d) = y(end_row) for every delay d.

    ``inputs`` is raw (windows, lookback, features) with the target as feature 0.
    """
    return np.repeat(inputs[:, -1, :1].astype(np.float64), len(delays), axis=1)


def seasonal_naive(
    series: Mapping[str, np.ndarray],
    part: np.ndarray,
    end_row: np.ndarray,
    delays: np.ndarray,
    period: int,
) -> np.ndarray:
    """Seasonal naive: ŷ(t) = y(t − m·ceil(d/m)) for target row t = end_row + d, period m.

    The lag is the smallest multiple of m that reaches back to the window's last row or before, so
    the forecast only uses what was known at ``end_row``; NaN where that row would precede the series.
    """
    delays = np.asarray(delays, dtype=np.int64)
    lag = period * -(-delays // period)
    source = end_row[:, None] + delays[None, :] - lag[None, :]
    prediction = np.full(source.shape, np.nan)
    for name in np.unique(part):
        rows = part == name
        values = np.asarray(series[str(name)], dtype=np.float64)
        known = rows[:, None] & (source >= 0)
        prediction[known] = values[source[known]]
    return prediction


def training_mean(targets: np.ndarray, part: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Training mean: ŷ = mean of the part's training targets (all delays); NaN for a part without any.

    ``targets`` is (windows, delays) raw; ``train`` indexes the training windows.
    """
    prediction = np.full(targets.shape, np.nan)
    train_part = part[train]
    for name in np.unique(part):
        own = targets[train][train_part == name]
        if own.size:
            prediction[part == name] = own.mean()
    return prediction


def planner(plan: np.ndarray) -> np.ndarray:
    """The planner's own number: ŷ(end_row + d) = h{d} of the window's latest snapshot (NaN if none)."""
    return np.asarray(plan, dtype=np.float64).copy()


def ridge(
    train_inputs: np.ndarray,
    train_targets: np.ndarray,
    inputs: np.ndarray,
    part: np.ndarray,
    scalers: Mapping[str, Any],
    alpha: float,
) -> np.ndarray:
    """Linear model: ŷ = unscale(W·vec(x) + b), with W, b from Ridge(alpha) on the scaled training windows.

    One model over all parts, like the global networks: the per-part scalers put every part's windows
    on a common scale, and a per-part fit would have a few dozen windows for ``lookback × features``
    weights per delay. ``train_inputs`` (n, lookback, features) and ``train_targets`` (n, delays) are
    scaled (``splits.npz``); ``inputs`` (windows, lookback, features) scaled, of parts ``part``
    (windows,); ``scalers`` is scalers.json, which turns the predictions back into original units.
    """
    model = Ridge(alpha=alpha)
    model.fit(_flat(train_inputs), np.asarray(train_targets, dtype=np.float64))
    scaled = model.predict(_flat(inputs)).reshape(len(inputs), -1)
    return inverse_transform_targets(scaled, part, scalers)


def _flat(inputs: np.ndarray) -> np.ndarray:
    """Windows as rows of a design matrix: (windows, lookback, features) -> (windows, lookback·features)."""
    return np.asarray(inputs, dtype=np.float64).reshape(len(inputs), -1)
