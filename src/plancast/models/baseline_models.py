"""The baselines a route may give the planner, as models of the days after the data: their formulas on any
window, and what each needs kept, as JSON numbers, for stage forecast and the served model.

Stage evaluate scores the baselines (:mod:`plancast.evaluation.baselines`) and, for those its route
chooses, fits what each needs on every window with a known target up to the training cut, as the tabular
models are refitted for the forecast (:func:`fit_baselines`):

- ``baseline_last``: nothing (the window's newest present target);
- ``baseline_seasonal``: the season period m (the part's target m·ceil(d/m) rows before the target day);
- ``baseline_mean``: each part's mean target;
- ``baseline_ridge``: the Ridge's numbers (:class:`~plancast.models.gap_ridge.GapRidge` on the window
  scaled by the part's scalers, pooled over parts);
- ``baseline_auto_ets``: each part's AutoETS fit (:mod:`plancast.models.statistical`).

:meth:`BaselineFits.predict` forecasts windows (windows, delays) in the parts' units; for a recursive
forecast (a plain series) :meth:`BaselineFits.predict_steps` the next N steps, the Ridge feeding each
step back as the newest input as a network does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from plancast.features.scaling import Scalers
from plancast.features.windows import Windows, rows_by_part
from plancast.models.gap_ridge import GapRidge
from plancast.models.statistical import EtsFit, ets_windows, fit_ets
from plancast.names import (
    ETS_BASELINE,
    LAST_BASELINE,
    MEAN_BASELINE,
    RIDGE_BASELINE,
    SEASONAL_BASELINE,
    SERVED_BASELINES,
)


def part_series(daily: pd.DataFrame, column: str = "target") -> dict[str, np.ndarray]:
    """One column of the daily table per part, in row (day) order: {part: (rows,)}."""
    ordered = daily.sort_values(["part", "day"], kind="stable")
    return {str(part): rows[column].to_numpy() for part, rows in ordered.groupby("part", sort=True)}


def newest_present(targets: np.ndarray) -> np.ndarray:
    """The newest value of each window's target inputs (windows, lookback) that is not NaN: (windows,), NaN
    for a window without any."""
    target = np.asarray(targets, np.float64)
    known = ~np.isnan(target)
    newest = target.shape[1] - 1 - np.argmax(known[:, ::-1], axis=1)
    return np.where(known.any(axis=1), target[np.arange(len(target)), newest], np.nan)


def seasonal_values(
    series: Mapping[str, np.ndarray],
    part: np.ndarray,
    end_row: np.ndarray,
    delays: np.ndarray,
    period: int,
    last: np.ndarray,
) -> np.ndarray:
    """Seasonal naive (windows, delays): ŷ(t) = y(t − m·ceil(d/m)) for target row t = end_row + d, period m.

    The lag is the smallest multiple of m that reaches back to the window's last row or before, so the
    forecast only uses what was known at ``end_row``; NaN where that row would precede the series. Where
    that row is a day without a value (a gap), the window's ``last`` (windows, delays) value.
    """
    delays = np.asarray(delays, dtype=np.int64)
    lag = period * -(-delays // period)
    source = np.asarray(end_row)[:, None] + delays[None, :] - lag[None, :]
    prediction = np.full(source.shape, np.nan)
    # Every part's series end to end, each window's rows offset to its part's: one gather for all parts.
    names, code = np.unique(part, return_inverse=True)
    values = [np.asarray(series[str(name)], dtype=np.float64) for name in names]
    start = np.cumsum([0, *(len(v) for v in values)])[:-1].astype(np.int64)
    known = source >= 0
    if known.any():
        prediction[known] = np.concatenate(values)[(start[code.reshape(-1)][:, None] + source)[known]]
    return np.where(known & np.isnan(prediction), last, prediction)


def part_means(part: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """Each part's mean target over its windows (windows, delays), a missing one left out; a part without any
    target is left out."""
    means = {}
    for name, rows in rows_by_part(np.asarray(part).astype(str)).items():
        own = np.asarray(targets[rows], np.float64)
        own = own[~np.isnan(own)]
        if own.size:
            means[str(name)] = float(own.mean())
    return means


def window_design(windows: Windows, scalers: Scalers) -> np.ndarray:
    """The Ridge baseline's design: each window scaled by its part's feature scalers (float32, like the
    networks'), flat: (windows, lookback·features)."""
    scaled = scalers.inputs(windows.inputs, windows.part).astype(np.float32)
    return np.asarray(scaled, dtype=np.float64).reshape(len(windows.part), -1)


_KEYS = {  # what each baseline's fit holds (BaselineFits.to_json)
    LAST_BASELINE: set(),
    SEASONAL_BASELINE: {"season_period"},
    MEAN_BASELINE: {"means"},
    RIDGE_BASELINE: {"alpha", "means", "width", "fits"},
    ETS_BASELINE: {"parts"},
}


@dataclass(frozen=True)
class BaselineFits:
    """What the routed baselines need to forecast (module doc): ``names`` the baselines kept, ``season_period``
    (seasonal naive), ``means`` (part -> training mean), ``ridge`` and ``ets`` (part -> fit); a baseline not
    kept has its field empty."""

    names: tuple[str, ...] = ()
    season_period: int | None = None
    means: dict[str, float] = field(default_factory=dict)
    ridge: GapRidge | None = None
    ets: dict[str, EtsFit] = field(default_factory=dict)

    def predict(self, name: str, windows: Windows, daily: pd.DataFrame, scalers: Scalers) -> np.ndarray:
        """Baseline ``name``'s forecast of ``windows``' delays: (windows, delays), the parts' units; ``daily``
        the table the windows were cut from (rows as their ``end_row``), ``scalers`` the parts' scalers."""
        if name not in self.names:
            raise ValueError(f"{name!r} is not one of the baselines kept ({', '.join(self.names) or 'none'})")
        count, delays = len(windows.part), np.asarray(windows.delays, np.int64)
        last = np.repeat(newest_present(windows.inputs[:, :, 0])[:, None], len(delays), axis=1)
        if name == LAST_BASELINE:
            return last
        if name == SEASONAL_BASELINE:
            return seasonal_values(part_series(daily), windows.part, windows.end_row, delays, self.season_period, last)
        if name == MEAN_BASELINE:
            mean = np.array([self.means.get(str(part), np.nan) for part in windows.part], np.float64)
            return np.repeat(mean.reshape(count, 1), len(delays), axis=1)
        if name == RIDGE_BASELINE:
            return scalers.unscale_targets(self.ridge.predict(window_design(windows, scalers)), windows.part)
        return ets_windows(self.ets, part_series(daily), windows.part, windows.end_row, delays)

    def predict_steps(
        self, name: str, windows: Windows, daily: pd.DataFrame, scalers: Scalers, steps: int
    ) -> np.ndarray:
        """The recursive forecast of ``steps`` steps from one-step windows (inputs ``[target]``, delays [1]):
        (windows, steps). Last value, seasonal naive, the mean and ETS fed back their own forecast give their
        own multi-step forecast; the Ridge takes each step's forecast as the newest input of the next."""
        ahead = np.arange(1, steps + 1, dtype=np.int64)
        if name != RIDGE_BASELINE:
            return self.predict(name, replace(windows, delays=ahead), daily, scalers)
        window = np.asarray(windows.inputs, np.float64).copy()
        forecast = np.empty((len(windows.part), steps))
        for step in range(steps):
            forecast[:, step] = self.predict(name, replace(windows, inputs=window), daily, scalers)[:, 0]
            window = np.concatenate([window[:, 1:], forecast[:, step, None, None]], axis=1)
        return forecast

    def to_json(self) -> dict[str, dict[str, Any]]:
        """{name: its numbers} of every baseline kept (recommendation.json's ``baselines``)."""
        numbers: dict[str, dict[str, Any]] = {
            LAST_BASELINE: {},
            SEASONAL_BASELINE: {"season_period": self.season_period},
            MEAN_BASELINE: {"means": dict(sorted(self.means.items()))},
            RIDGE_BASELINE: self.ridge.to_json() if self.ridge is not None else {},
            ETS_BASELINE: {"parts": {part: fit.to_json() for part, fit in sorted(self.ets.items())}},
        }
        return {name: numbers[name] for name in self.names}

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, Any]]) -> BaselineFits:
        """The fits :meth:`to_json` wrote; an unknown name or a malformed fit raises ValueError (or KeyError,
        TypeError)."""
        unknown = sorted(set(data) - set(SERVED_BASELINES))
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a baseline a route may give ({', '.join(SERVED_BASELINES)})")
        for name, numbers in data.items():
            extra = sorted(set(numbers) - _KEYS[name])
            if extra:
                raise ValueError(f"{name}: {extra[0]!r} is not a key of its fit ({', '.join(sorted(_KEYS[name]))})")
        period = data.get(SEASONAL_BASELINE, {}).get("season_period")
        if SEASONAL_BASELINE in data and (type(period) is not int or period < 1):
            raise ValueError(f"season_period must be a positive integer (got {period!r})")
        means = {str(p): float(v) for p, v in data.get(MEAN_BASELINE, {}).get("means", {}).items()}
        ridge = GapRidge.from_json(data[RIDGE_BASELINE]) if RIDGE_BASELINE in data else None
        ets = {str(p): EtsFit.from_json(fit) for p, fit in data.get(ETS_BASELINE, {}).get("parts", {}).items()}
        return cls(tuple(name for name in SERVED_BASELINES if name in data), period, means, ridge, ets)


def fit_baselines(
    names: Sequence[str],
    windows: Windows,
    daily: pd.DataFrame,
    scalers: Scalers,
    season_period: int,
    ridge_alpha: float,
) -> BaselineFits:
    """What the baselines ``names`` (of :data:`SERVED_BASELINES`; others ignored) need for the days after the
    data, fitted on every window of a part with scalers (a training window) and its known targets, and
    on each part's whole ``daily`` target (AutoETS, season ``season_period``)."""
    kept = tuple(name for name in SERVED_BASELINES if name in names)
    fitted = windows.take(np.flatnonzero(np.isin(windows.part, list(scalers.parts))))
    targets = np.asarray(fitted.targets, np.float64)
    ridge = None
    if RIDGE_BASELINE in kept:
        scaled = scalers.targets(targets, fitted.part).astype(np.float32).astype(np.float64)
        ridge = GapRidge(ridge_alpha).fit(window_design(fitted, scalers), scaled)
    ets: dict[str, EtsFit] = {}
    if ETS_BASELINE in kept:
        for part, values in part_series(daily).items():
            fit = fit_ets(values, season_period)
            if fit is not None:
                ets[part] = fit
    means = part_means(fitted.part, targets) if MEAN_BASELINE in kept else {}
    return BaselineFits(kept, season_period if SEASONAL_BASELINE in kept else None, means, ridge, ets)
