"""Baseline forecasts every network must beat, all with one call shape (Darts' style).

A baseline is ``baseline(history, window) -> (windows, delays)``: ``history`` holds everything known
(:class:`History`: all windows, the splits, the scalers, each part's daily target), ``window`` indexes
the windows to forecast; the result is in original units, NaN where the baseline has no number.
Window i of a part ends at row ``end_row[i]`` of that part's daily table; its target for delay d is the
part's target at row ``end_row[i] + d``. :data:`BASELINES` names them; evaluation loops over it. A
window with a gap (``window.gaps: keep``: NaN inputs) gets a number all the same; each docstring says how.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from plancast.features.scaling import Scalers
from plancast.features.splits import Splits
from plancast.features.windows import Windows, rows_by_part
from plancast.models.baseline_models import newest_present, seasonal_values, window_design
from plancast.models.gap_ridge import GapRidge
from plancast.names import LAST_BASELINE, MEAN_BASELINE, PLAN_BASELINE, RIDGE_BASELINE, SEASONAL_BASELINE


@dataclass(frozen=True)
class History:
    """What a baseline may use: all windows (raw), the splits, the scalers and each part's daily target.

    ``series``: part -> the part's ``target`` column in day order (rows as in the daily table);
    ``season_period``: the seasonal-naive period m in rows; ``ridge_alpha``: the Ridge L2 strength.
    """

    windows: Windows
    splits: Splits
    scalers: Scalers
    series: Mapping[str, np.ndarray]
    season_period: int
    ridge_alpha: float


Baseline = Callable[[History, np.ndarray], np.ndarray]


def last_value(history: History, window: np.ndarray) -> np.ndarray:
    """Last value: ŷ(end_row + d) = y(end_row) for every delay d; on a gap, the window's last present value."""
    newest = newest_present(history.windows.inputs[window][:, :, 0])  # the target is feature 0
    return np.repeat(newest[:, None], len(history.windows.delays), axis=1)


def seasonal_naive(history: History, window: np.ndarray) -> np.ndarray:
    """Seasonal naive: ŷ(t) = y(t − m·ceil(d/m)) for target row t = end_row + d, period m.

    The lag is the smallest multiple of m that reaches back to the window's last row or before, so
    the forecast only uses what was known at ``end_row``; NaN where that row would precede the series.
    Where that row is a day without a value (a gap), the window's last present value (:func:`last_value`).
    """
    windows = history.windows
    last = last_value(history, window)
    return seasonal_values(
        history.series, windows.part[window], windows.end_row[window], windows.delays, history.season_period, last
    )


def training_mean(history: History, window: np.ndarray) -> np.ndarray:
    """Training mean: ŷ = mean of the part's training targets (all delays, a missing one left out: nanmean);
    NaN for a part without any. The window's own inputs, gaps included, play no part."""
    targets, part = history.windows.targets, history.windows.part
    train = history.splits.train.window
    prediction = np.full((len(window), targets.shape[1]), np.nan)
    own_rows, wanted = rows_by_part(part[train]), rows_by_part(part[window])
    train_targets = history.splits.actual("train", history.windows)  # none on a validation day
    for name, rows in wanted.items():
        own = train_targets[own_rows.get(name, rows[:0])]  # the part's training rows, in order
        own = own[~np.isnan(own)]
        if own.size:
            prediction[rows] = own.mean()
    return prediction


def planner(history: History, window: np.ndarray) -> np.ndarray:
    """The planner's own number: ŷ(end_row + d) = h{d} of the window's latest snapshot (NaN if none).

    On a gap (``window.gaps: keep``) the latest plan known for that day at ``end_row``: the windows'
    ``plan`` (:func:`plancast.features.windows.latest_plans`), from the last snapshot before the gap.
    """
    return np.asarray(history.windows.plan[window], dtype=np.float64).copy()


def ridge(history: History, window: np.ndarray) -> np.ndarray:
    """Linear model: ŷ = unscale(W·vec(x) + b), with W, b from Ridge(alpha) on the scaled training windows.

    One model over all parts, like the global networks: the per-part scalers put every part's windows
    on a common scale, and a per-part fit would have a few dozen windows for ``lookback × features``
    weights per delay. Inputs are scaled like the networks' (float32), predictions unscaled per part. A
    gap's input is its column's training mean, a missing training target left out of its delay's fit
    (:class:`plancast.models.gap_ridge.GapRidge`).
    """
    evaluated = history.windows.take(window)
    train = history.splits.train
    model = GapRidge(history.ridge_alpha).fit(_flat(train.inputs), np.asarray(train.targets, dtype=np.float64))
    return history.scalers.unscale_targets(model.predict(window_design(evaluated, history.scalers)), evaluated.part)


def _flat(inputs: np.ndarray) -> np.ndarray:
    """Windows as rows of a design matrix: (windows, lookback, features) -> (windows, lookback·features)."""
    return np.asarray(inputs, dtype=np.float64).reshape(len(inputs), -1)


BASELINES: dict[str, Baseline] = {
    LAST_BASELINE: last_value,
    SEASONAL_BASELINE: seasonal_naive,
    MEAN_BASELINE: training_mean,
    PLAN_BASELINE: planner,
    RIDGE_BASELINE: ridge,
}
