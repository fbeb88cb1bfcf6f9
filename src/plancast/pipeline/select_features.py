"""Stage select_features in memory: each part's input columns."""

from __future__ import annotations

from typing import Any

import pandas as pd

from plancast.features.selection import select_horizons
from plancast.params_sections import SelectFeaturesParams


def select_features(params: SelectFeaturesParams, correlation: pd.DataFrame, parts: list[str]) -> dict[str, Any]:
    """features.json: each part's input columns. ``parts`` come from the daily table, since a series
    without horizons has no correlation rows."""
    return select_horizons(
        correlation, params.method, params.basis, params.top_k, params.threshold, params.horizons, parts=parts
    )
