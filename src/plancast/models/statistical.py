"""AutoETS (statsforecast, Nixtla) per part: a statistical baseline fitted once, forecast from any origin.

A fit is the model AutoETS chose by AICc for a part's series (its components, season length ``m``, smoothing
parameters and initial states). From an origin it is run over the part's values up to that origin with the
fitted parameters (``forward``: the states recomputed, nothing refitted), then forecast ``h`` steps: one
fit per part and training period serves every window, where a refit per origin would cost a fit each.
Days without a value (gaps) are left out of the series the model sees. statsforecast is imported inside
the functions that fit or forecast, so stages that use neither never load it (~1.5 s).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_FIT_VALUES = 10  # fewer present values than this: no fit (AutoETS refuses tiny series)
MIN_FORWARD_VALUES = 2  # fewer values known at an origin: the newest one instead (the last value)


@dataclass(frozen=True)
class EtsFit:
    """One part's fitted ETS model: ``components`` (error, trend, season, damped: e.g. ``AAND``), season length
    ``m``, ``par`` (alpha, beta, gamma, phi, then the initial states; NaN where the model has none) and
    ``n_params``, what statsforecast needs to run it over a series."""

    components: str
    m: int
    par: tuple[float, ...]
    n_params: int

    def to_json(self) -> dict[str, Any]:
        """As JSON numbers (a NaN parameter as null)."""
        par = [float(value) if np.isfinite(value) else None for value in self.par]
        return {"components": self.components, "m": self.m, "par": par, "n_params": self.n_params}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EtsFit:
        components = str(data["components"])
        if not re.fullmatch("[AM][NAM][NAM][ND]", components):
            raise ValueError(f"components {components!r} is not an ETS model such as 'AAND'")
        par = tuple(np.nan if value is None else float(value) for value in data["par"])
        return cls(components, int(data["m"]), par, int(data["n_params"]))

    def _model(self) -> dict[str, Any]:
        return {
            "components": self.components, "m": self.m, "par": np.asarray(self.par, np.float64),
            "n_params": self.n_params, "fit": None,
        }  # fmt: skip

    def forecast(self, history: np.ndarray, horizon: int) -> np.ndarray:
        """The ``horizon`` (h,) steps after ``history`` (the part's values up to the origin, NaN left out), the
        model run over it with its fitted parameters; with fewer than :data:`MIN_FORWARD_VALUES` values, or
        where the model gives no finite number (a multiplicative model meeting a zero), the newest value (NaN
        without any)."""
        values = np.asarray(history, np.float64)
        values = values[np.isfinite(values)]
        if len(values) < MIN_FORWARD_VALUES:
            return np.full(horizon, values[-1] if len(values) else np.nan)
        from statsforecast.ets import forecast_ets, forward_ets

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # a perfect in-sample fit divides by zero in sigma2
            forecast = np.asarray(forecast_ets(forward_ets(self._model(), values), h=horizon)["mean"], np.float64)
        return np.where(np.isfinite(forecast), forecast, values[-1])


def fit_ets(values: np.ndarray, season_length: int) -> EtsFit | None:
    """AutoETS on a part's values in day order (NaN left out), season length ``season_length`` (statsforecast
    fits no season longer than 24, as R's ``ets``); None with fewer than :data:`MIN_FIT_VALUES` values."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    if len(values) < MIN_FIT_VALUES:
        return None
    from statsforecast.models import AutoETS

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        model = AutoETS(season_length=season_length).fit(values).model_
    par = tuple(float(value) for value in model["par"])
    return EtsFit(str(model["components"]), int(model["m"]), par, int(model["n_params"]))


def ets_windows(
    fits: Mapping[str, EtsFit],
    series: Mapping[str, np.ndarray],
    part: np.ndarray,
    end_row: np.ndarray,
    delays: np.ndarray,
) -> np.ndarray:
    """Each window's forecast (windows, delays): its part's fit run over the part's ``series`` up to row
    ``end_row`` (the origin), delay d its d-step forecast; a part without a fit gets NaN."""
    delays = np.asarray(delays, np.int64)
    prediction = np.full((len(part), len(delays)), np.nan)
    horizon = int(delays.max()) if len(delays) else 0
    for i, (name, end) in enumerate(zip(np.asarray(part).astype(str), np.asarray(end_row), strict=True)):
        fit = fits.get(name)
        if fit is not None:
            prediction[i] = fit.forecast(np.asarray(series[name], np.float64)[: int(end) + 1], horizon)[delays - 1]
    return prediction
