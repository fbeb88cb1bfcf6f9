"""Is one forecast really better than another? The Diebold-Mariano test on a panel of parts.

Errors of many parts on the same target day are not independent (a plant-wide stoppage hits all), so
the absolute-error loss differential is first averaged across parts per target day, giving one series
over days; its mean is tested with a Newey-West (Bartlett) long-run variance over ``horizon - 1`` lags
(a forecast ``horizon`` days ahead has errors autocorrelated up to that lag) and the
Harvey-Leybourne-Newbold small-sample correction, against Student's t with n - 1 degrees of freedom.
Bartlett weights keep the variance non-negative where Diebold and Mariano's rectangular window can go
to zero or below on short series.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from scipy import stats

from plancast.names import PLAN_BASELINE

Alternative = Literal["two-sided", "a_better"]


def daily_loss_differential(errors_a: np.ndarray, errors_b: np.ndarray, day: np.ndarray) -> np.ndarray:
    """d_t = mean over the parts' windows with target day t of (|e_a| − |e_b|), days ascending: (days,).

    ``errors_a``, ``errors_b``, ``day`` (windows,); pairs where either error is NaN are dropped.
    """
    a, b, day = (np.asarray(x).ravel() for x in (errors_a, errors_b, day))
    keep = np.isfinite(a.astype(np.float64)) & np.isfinite(b.astype(np.float64))
    differential = np.abs(a[keep].astype(np.float64)) - np.abs(b[keep].astype(np.float64))
    days, index = np.unique(day[keep], return_inverse=True)
    totals = np.bincount(index, weights=differential, minlength=len(days))
    return totals / np.bincount(index, minlength=len(days))


def newey_west_variance(series: np.ndarray, lags: int) -> float:
    """Long-run variance γ0 + 2 Σ_{k=1..L} (1 − k/(L+1)) γk, autocovariances γk with divisor n."""
    deviation = np.asarray(series, np.float64) - np.mean(series)
    n = deviation.size
    variance = float(deviation @ deviation) / n
    for k in range(1, min(lags, n - 1) + 1):
        variance += 2 * (1 - k / (lags + 1)) * float(deviation[k:] @ deviation[:-k]) / n
    return variance


def diebold_mariano(
    errors_a: np.ndarray,
    errors_b: np.ndarray,
    day: np.ndarray,
    horizon: int,
    alternative: Alternative = "two-sided",
) -> tuple[float, float]:
    """HLN-corrected DM statistic: S = d̄ / sqrt(LRV/n) · sqrt((n + 1 − 2h + h(h−1)/n) / n), and its p-value.

    ``errors_a``, ``errors_b`` (windows,): actual − forecast of a and b; ``day`` (windows,): each
    window's target day (any sortable label); ``horizon`` h >= 1. A negative statistic means a has
    the smaller absolute error. ``alternative``: "two-sided" (a and b differ) or "a_better" (a has the
    smaller expected loss; p = P(t <= S)). Identical losses give (0, 1); a constant non-zero
    differential gives ±inf and p 0 (or 1 one-sided the wrong way). NaN with fewer than 2 days.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1 (got {horizon})")
    differential = daily_loss_differential(errors_a, errors_b, day)
    n = differential.size
    if n < 2:
        return float("nan"), float("nan")
    mean = float(np.mean(differential))
    variance = newey_west_variance(differential, horizon - 1) / n
    if variance <= 0:
        statistic = 0.0 if mean == 0 else float(np.sign(mean) * np.inf)
    else:
        correction = np.sqrt(max(n + 1 - 2 * horizon + horizon * (horizon - 1) / n, 0.0) / n)
        statistic = mean / np.sqrt(variance) * correction
    if alternative == "a_better":
        return float(statistic), float(stats.t.cdf(statistic, n - 1))
    if alternative != "two-sided":
        raise ValueError(f"alternative must be 'two-sided' or 'a_better' (got {alternative!r})")
    return float(statistic), float(min(1.0, 2 * stats.t.sf(abs(statistic), n - 1)))


def p_better_than_plan(
    actual: np.ndarray,
    recommended: np.ndarray,
    plan: np.ndarray,
    in_test: np.ndarray,
    target_day: np.ndarray,
    delays: np.ndarray,
    route: Mapping[int, str],
) -> dict[int, float]:
    """{delay: the p value of :func:`diebold_mariano` that the recommended forecast beats the plan} on the
    test windows (``in_test``, (windows,)); NaN where the plan has no number or is the delay's ``route``.

    ``actual``, ``recommended``, ``plan`` and ``target_day`` (the calendar position of each target) are
    (windows, delays).
    """
    significance = {}
    for column, delay in enumerate(delays):
        errors_rec = (actual - recommended)[in_test, column]
        errors_plan = (actual - plan)[in_test, column]
        if np.isfinite(errors_plan).any() and route[int(delay)] != PLAN_BASELINE:
            _, p_value = diebold_mariano(errors_rec, errors_plan, target_day[in_test, column], int(delay), "a_better")
        else:
            p_value = float("nan")
        significance[int(delay)] = p_value
    return significance
