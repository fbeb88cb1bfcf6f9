"""Prediction intervals by split conformal prediction, per delay, with residuals scaled per part.

Residuals of held-out windows never used to fit (validation; for a test fold also the earlier folds'
residuals already known, :func:`rolling_coverage`; for the forecast every held-out one) are divided by a
per-part scale, so one quantile serves parts of any size; the scale is the part's mean absolute error
of the planner's number on its training windows (how wrong a number is usually for this part),
falling back to the part's target scale where that is zero or unknown. With exchangeable windows the
interval covers the truth with probability at least 1 − alpha (Vovk et al.; Lei et al. 2018).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from plancast.features.windows import rows_by_part
from plancast.names import is_baseline

LEVELS = (0.8, 0.95)


def part_scales(
    part: np.ndarray, actual: np.ndarray, plan: np.ndarray, fallback: Mapping[str, float]
) -> dict[str, float]:
    """Each part's scale: mean |plan − actual| over its windows (all delays); ``fallback[part]`` if 0 or NaN.

    ``part`` (windows,); ``actual``, ``plan`` (windows, delays), usually the training windows.
    """
    part = np.asarray(part).astype(str)
    error = np.abs(np.asarray(plan, np.float64) - np.asarray(actual, np.float64))
    scales = {}
    by_part = rows_by_part(part)
    for name in sorted(set(by_part) | set(fallback)):
        own = error[by_part.get(name, np.empty(0, np.int64))]
        own = own[np.isfinite(own)]
        value = float(own.mean()) if own.size else math.nan
        scales[name] = value if np.isfinite(value) and value > 0 else float(fallback.get(name, 1.0))
    return scales


def window_scale(scales: Mapping[str, float], part: np.ndarray) -> np.ndarray:
    """Each window's part scale: (windows,)."""
    return np.asarray([scales[str(name)] for name in np.asarray(part)], np.float64)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ⌈(n+1)·level⌉-th smallest score (the finite-sample split-conformal quantile); inf when that
    exceeds n, NaN without scores."""
    scores = np.sort(np.asarray(scores, np.float64)[np.isfinite(scores)])
    if not scores.size:
        return math.nan
    rank = math.ceil((scores.size + 1) * level - 1e-12)
    return float(scores[rank - 1]) if rank <= scores.size else math.inf


@dataclass(frozen=True)
class Conformal:
    """Calibrated half-widths in scale units: ``quantiles[level]`` (delays,), from ``count`` (delays,)
    calibration windows per delay."""

    quantiles: dict[float, np.ndarray]
    count: np.ndarray

    def interval(self, prediction: np.ndarray, scale: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper = ŷ ∓ q_level,d · scale: each (windows, delays)."""
        half = self.quantiles[level][None, :] * np.asarray(scale, np.float64)[:, None]
        prediction = np.asarray(prediction, np.float64)
        return prediction - half, prediction + half


def calibrate(
    actual: np.ndarray, prediction: np.ndarray, scale: np.ndarray, levels: Sequence[float] = LEVELS
) -> Conformal:
    """Quantiles of |actual − prediction| / scale per delay on the calibration windows.

    ``actual``, ``prediction`` (windows, delays); ``scale`` (windows,), each window's part scale.
    """
    actual = np.asarray(actual, np.float64)
    scores = np.abs(actual - np.asarray(prediction, np.float64)) / np.asarray(scale, np.float64)[:, None]
    quantiles = {
        float(level): np.array([conformal_quantile(scores[:, d], level) for d in range(scores.shape[1])])
        for level in levels
    }
    return Conformal(quantiles, np.isfinite(scores).sum(axis=0).astype(np.int64))


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside [lower, upper], over the positions where all three exist."""
    actual, lower, upper = (np.asarray(x, np.float64).ravel() for x in (actual, lower, upper))
    keep = ~(np.isnan(actual) | np.isnan(lower) | np.isnan(upper))
    if not keep.any():
        return math.nan
    return float(np.mean((actual[keep] >= lower[keep]) & (actual[keep] <= upper[keep])))


def known_before(calibration: np.ndarray, fold: np.ndarray, target_day: np.ndarray, start: float) -> np.ndarray:
    """Which (window, delay) residuals a fold starting on day ``start`` may calibrate on: every
    ``calibration`` window's (validation), and each earlier test fold's whose actual was known before
    ``start`` (its target day < start). ``calibration``, ``fold`` (windows,), ``fold`` -1 outside test;
    ``target_day`` (windows, delays). Returns (windows, delays) bool."""
    tested = (np.asarray(fold) >= 0)[:, None] & (np.asarray(target_day) < start)
    return np.asarray(calibration, bool)[:, None] | tested


def rolling_coverage(
    actual: np.ndarray,
    prediction: np.ndarray,
    scale: np.ndarray,
    calibration: np.ndarray,
    fold: np.ndarray,
    target_day: np.ndarray,
    fold_start: np.ndarray,
    levels: Sequence[float] = LEVELS,
) -> dict[float, float]:
    """Test coverage when each test fold's intervals are calibrated as a planner's would be on its first
    day: on validation plus the residuals of the earlier folds already known then (:func:`known_before`).

    The first fold sees validation alone; later folds also see the weeks just before them, so intervals
    follow a change in how hard the weeks are instead of keeping validation's width (the backtest's
    counterpart of refitting the tabular models per fold). Arrays as :func:`known_before`; ``fold_start``
    (folds,) each fold's first day. Returns {level: share of test actuals covered}, NaN without any.
    """
    actual, prediction = np.asarray(actual, np.float64), np.asarray(prediction, np.float64)
    fold = np.asarray(fold)
    lower = {level: np.full(actual.shape, np.nan) for level in levels}
    upper = {level: np.full(actual.shape, np.nan) for level in levels}
    for number, start in enumerate(np.asarray(fold_start)):
        usable = known_before(calibration, fold, target_day, float(start))
        fit = calibrate(np.where(usable, actual, np.nan), prediction, scale, levels)
        rows = fold == number
        for level in levels:
            lower[level][rows], upper[level][rows] = fit.interval(prediction[rows], np.asarray(scale)[rows], level)
    tested = fold >= 0
    return {level: coverage(actual[tested], lower[level][tested], upper[level][tested]) for level in levels}


def model_intervals(
    actual: np.ndarray, predictions: Mapping[str, np.ndarray], scale: np.ndarray, in_val: np.ndarray,
    in_test: np.ndarray, fold: np.ndarray, target_day: np.ndarray, fold_start: np.ndarray,
) -> dict[str, dict[str, dict[str, Any]]]:  # fmt: skip
    """Every forecast's own split-conformal intervals: per model, the half-widths per level and delay
    (scale units) and the share of test actuals they cover.

    Test fold k is covered by intervals calibrated on validation plus the residuals of the earlier folds
    known before it began (:func:`~plancast.evaluation.intervals.rolling_coverage`); the half-widths a
    forecast is given are calibrated the same way at its origin, on every held-out residual (validation
    and test). ``coverage_validation_only`` keeps the coverage of intervals calibrated on validation alone.
    ``{model: {"half_widths": {"0.8": [delays], ...}, "coverage": {"0.8": share, ...}, ...}}`` for the
    networks, tabular models, the combination and the recommended forecast (baselines are yardsticks, not
    forecasts a planner is given). A half-width is NaN where a model has no held-out forecast.
    ``fold`` (windows,): test fold, -1 elsewhere; ``target_day`` (windows, delays); ``fold_start`` (folds,).
    """
    result = {}
    held_out = in_val | in_test
    for name, values in predictions.items():
        if is_baseline(name):
            continue
        served = calibrate(actual[held_out], values[held_out], scale[held_out])
        validated = calibrate(actual[in_val], values[in_val], scale[in_val])
        rolling = rolling_coverage(actual, values, scale, in_val, fold, target_day, fold_start)
        result[name] = {
            "half_widths": {str(level): served.quantiles[level].tolist() for level in LEVELS},
            "coverage": {str(level): rolling[level] for level in LEVELS},
            "coverage_validation_only": {
                str(level): coverage(actual[in_test], *validated.interval(values[in_test], scale[in_test], level))
                for level in LEVELS
            },
        }
    return dict(sorted(result.items()))
