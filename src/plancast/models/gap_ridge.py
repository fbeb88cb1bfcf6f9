"""Ridge regression on a design with gaps (``window.gaps: keep``): each NaN input imputed by its column's
training mean, each delay fitted on the rows whose target is known; the window Ridge model and the
Ridge baseline both use it. A fit kept for the forecast is JSON numbers (:meth:`GapRidge.to_json`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scikit-learn is imported where a model is fitted
    from sklearn.linear_model import Ridge


class GapRidge:
    """Ridge(alpha) on a design with gaps: ŷ = W·x̃ + b, x̃ the design with each NaN replaced by its
    column's training mean (0 for a column without a training value), fitted per delay on the training
    rows whose target is known.

    The delays whose targets are known on the same rows share one multi-output fit: without a missing
    target that is one fit of every delay, a plain Ridge's. A delay without a known training target
    predicts NaN.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha
        self.means = np.empty(0)
        self.fits: list[tuple[list[int], Ridge | Coefficients]] = []
        self.width = 0

    def _filled(self, design: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(design), self.means, design)

    def fit(self, design: np.ndarray, targets: np.ndarray) -> GapRidge:
        """Fit on ``design`` (rows, columns) and ``targets`` (rows, delays), NaN where unknown."""
        from sklearn.linear_model import Ridge

        known_columns = ~np.isnan(design).all(axis=0)
        self.means = np.zeros(design.shape[1])
        if known_columns.any():
            self.means[known_columns] = np.nanmean(design[:, known_columns], axis=0)
        design, known = self._filled(design), np.isfinite(targets)
        groups: dict[bytes, list[int]] = {}
        for column in range(targets.shape[1]):
            groups.setdefault(known[:, column].tobytes(), []).append(column)
        self.fits, self.width = [], targets.shape[1]
        for columns in groups.values():
            rows = known[:, columns[0]]
            if rows.any():  # take keeps the targets C-ordered, as given: Ridge's sums then have the same bits
                own = targets[rows].take(columns, axis=1)
                self.fits.append((columns, Ridge(alpha=self.alpha).fit(design[rows], own)))
        return self

    def predict(self, design: np.ndarray) -> np.ndarray:
        """(rows, delays) for ``design`` (rows, columns)."""
        prediction = np.full((len(design), self.width), np.nan)
        if len(design):
            filled = self._filled(design)
            for columns, model in self.fits:
                prediction[:, columns] = model.predict(filled).reshape(len(design), -1)
        return prediction

    def to_json(self) -> dict[str, Any]:
        """The fit as numbers: alpha, the imputed column means, the width, and per group of delays its
        columns, coefficients (delays, columns) and intercepts."""
        groups = []
        for columns, model in self.fits:
            coef = np.asarray(model.coef_, np.float64).reshape(len(columns), -1)
            intercept = np.ravel(model.intercept_).tolist()
            groups.append({"delays": list(columns), "coef": coef.tolist(), "intercept": intercept})
        return {"alpha": self.alpha, "means": self.means.tolist(), "width": self.width, "fits": groups}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GapRidge:
        """The fit :meth:`to_json` wrote, predicting with its numbers (no scikit-learn)."""
        model = cls(float(data["alpha"]))
        model.means, model.width = np.asarray(data["means"], np.float64), int(data["width"])
        for group in data["fits"]:
            columns = [int(column) for column in group["delays"]]
            fit = Coefficients(group["coef"], group["intercept"])
            if fit.coef_.shape != (len(columns), len(model.means)) or any(not 0 <= c < model.width for c in columns):
                raise ValueError(f"a Ridge fit of delays {columns} has coefficients {fit.coef_.shape}")
            model.fits.append((columns, fit))
        return model


class Coefficients:
    """A Ridge fit read back as numbers: ``predict(X) = X @ coef.T + intercept``, scikit-learn's formula."""

    def __init__(self, coef: Any, intercept: Any) -> None:
        self.coef_ = np.asarray(coef, np.float64)
        self.intercept_ = np.asarray(intercept, np.float64)

    def predict(self, design: np.ndarray) -> np.ndarray:
        return np.asarray(design, np.float64) @ self.coef_.T + self.intercept_
