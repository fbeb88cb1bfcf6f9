"""Forecast error metrics on arrays of actuals and predictions, in original units (pure NumPy).

Every metric takes ``actual`` and ``prediction`` of the same shape (any shape; they are flattened) and
drops the pairs where either is NaN before computing (``valid_pairs`` counts them). A metric that is
undefined on its input returns NaN explicitly, never inf or a warning: an empty input (no valid pair),
WAPE with all-zero actuals, MASE with a zero or missing scale, skill with a perfect plan. NaN is
written as ``null`` by :func:`plancast.artifacts.write_json`.
"""

from __future__ import annotations

import numpy as np

NAN = float("nan")

METRICS = ("mae", "rmse", "wape", "smape", "mase", "bias", "skill")


def valid_pairs(*arrays: np.ndarray) -> tuple[list[np.ndarray], int]:
    """Flatten equally shaped arrays, keep the positions where all are finite; also count the dropped ones."""
    flat = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    keep = np.logical_and.reduce([np.isfinite(a) for a in flat])
    return [a[keep] for a in flat], int(keep.size - keep.sum())


def mae(actual: np.ndarray, prediction: np.ndarray) -> float:
    """Mean absolute error: mean(|ŷ − y|)."""
    (y, p), _ = valid_pairs(actual, prediction)
    return float(np.mean(np.abs(p - y))) if y.size else NAN


def rmse(actual: np.ndarray, prediction: np.ndarray) -> float:
    """Root mean squared error: sqrt(mean((ŷ − y)²))."""
    (y, p), _ = valid_pairs(actual, prediction)
    return float(np.sqrt(np.mean((p - y) ** 2))) if y.size else NAN


def wape(actual: np.ndarray, prediction: np.ndarray) -> float:
    """Weighted absolute percentage error, as a fraction: sum|ŷ − y| / sum|y|; NaN when every actual is 0."""
    (y, p), _ = valid_pairs(actual, prediction)
    total = np.sum(np.abs(y))
    return float(np.sum(np.abs(p - y)) / total) if total > 0 else NAN


def smape(actual: np.ndarray, prediction: np.ndarray) -> float:
    """Symmetric MAPE, as a fraction in [0, 2]: mean(2|ŷ − y| / (|y| + |ŷ|)), a term is 0 where y = ŷ = 0."""
    (y, p), _ = valid_pairs(actual, prediction)
    if not y.size:
        return NAN
    denominator = np.abs(y) + np.abs(p)
    # Where both are 0 the forecast is exactly right; divide by 1 there instead of 0.
    terms = 2.0 * np.abs(p - y) / np.where(denominator > 0, denominator, 1.0)
    return float(np.mean(terms))


def mase(actual: np.ndarray, prediction: np.ndarray, scale: float | np.ndarray) -> float:
    """Mean absolute scaled error: mean(|ŷ − y| / scale); NaN if a used scale is 0 or missing.

    ``scale`` is the in-sample one-step naive MAE of the training series (:func:`naive_scale`), one
    number, or one per element of ``actual`` (broadcast) so that pooled errors of several parts are
    each scaled by their own part's scale.
    """
    actual = np.asarray(actual, dtype=np.float64)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), actual.shape)
    (y, p, s), _ = valid_pairs(actual, prediction, np.where(np.isfinite(scale), scale, 0.0))
    if not y.size or np.any(s <= 0):
        return NAN
    return float(np.mean(np.abs(p - y) / s))


def bias(actual: np.ndarray, prediction: np.ndarray) -> float:
    """Mean error, positive when the forecast is too high: mean(ŷ − y)."""
    (y, p), _ = valid_pairs(actual, prediction)
    return float(np.mean(p - y)) if y.size else NAN


def skill(actual: np.ndarray, prediction: np.ndarray, plan: np.ndarray) -> float:
    """Skill against the plan: 1 − MAE(ŷ) / MAE(plan), on the positions where y, ŷ and plan all exist.

    1 is perfect, 0 is as good as the planner's own number, negative is worse. NaN when the plan is
    perfect there (MAE(plan) = 0) or no position has all three.
    """
    (y, p, q), _ = valid_pairs(actual, prediction, plan)
    plan_error = np.mean(np.abs(q - y)) if y.size else 0.0
    return float(1.0 - np.mean(np.abs(p - y)) / plan_error) if plan_error > 0 else NAN


def naive_scale(series: np.ndarray) -> float:
    """In-sample one-step naive MAE of a series: mean(|y_t − y_{t−1}|); NaN with fewer than two values."""
    series = np.asarray(series, dtype=np.float64)
    steps = np.diff(series)
    steps = steps[np.isfinite(steps)]
    return float(np.mean(np.abs(steps))) if steps.size else NAN


def score(
    actual: np.ndarray,
    prediction: np.ndarray,
    plan: np.ndarray,
    scale: float | np.ndarray,
) -> dict[str, float | int]:
    """Every metric of :data:`METRICS` for one set of forecasts, plus ``n`` (pairs used) and ``missing``.

    ``missing`` counts the actuals left unscored because the prediction is NaN, e.g. the plan baseline's
    windows whose latest snapshot has no such horizon; a missing actual (a gap, or a target outside the
    split's period) is no pair at all.
    """
    (y, _), _ = valid_pairs(actual, prediction)
    missing = int(np.isfinite(np.asarray(actual, dtype=np.float64)).sum()) - int(y.size)
    return {
        "mae": mae(actual, prediction),
        "rmse": rmse(actual, prediction),
        "wape": wape(actual, prediction),
        "smape": smape(actual, prediction),
        "mase": mase(actual, prediction, scale),
        "bias": bias(actual, prediction),
        "skill": skill(actual, prediction, plan),
        "n": int(y.size),
        "missing": missing,
    }
