"""The recommended forecast from several: a combination of two, and a route choosing one per delay.

Pure array functions shared by evaluation (which chooses on validation) and forecasting (which
applies the choice to the days after the data), so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def combination(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal-weight combination: ŷ = (a + b) / 2, or the one that exists where the other is NaN."""
    stacked = np.stack([np.asarray(a, np.float64), np.asarray(b, np.float64)])
    both = np.isfinite(stacked).all(axis=0)
    return np.where(both, stacked.mean(axis=0), np.where(np.isfinite(stacked[0]), stacked[0], stacked[1]))


def routed(
    predictions: Mapping[str, np.ndarray],
    route: Mapping[int, str],
    delays: Sequence[int],
    part: np.ndarray | None = None,
    part_route: Mapping[tuple[str, int], str] | None = None,
) -> np.ndarray:
    """The recommended forecast: column d from ``predictions[route[d]]`` (or the part's own choice in
    ``part_route``, with ``part`` (windows,)): (windows, delays)."""
    first = next(iter(predictions.values()))
    result = np.full(np.shape(first), np.nan)
    labels = None if part is None else np.asarray(part).astype(str)
    for column, delay in enumerate(delays):
        result[:, column] = np.asarray(predictions[route[int(delay)]], np.float64)[:, column]
        for (name, own_delay), candidate in (part_route or {}).items():
            if own_delay == int(delay) and labels is not None:
                rows = labels == name
                result[rows, column] = np.asarray(predictions[candidate], np.float64)[rows, column]
    return result
