"""Stage correlate in memory: r of the actual against each plan horizon."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from plancast.features.correlation import correlation_summary, horizon_correlations, horizon_cross_correlation
from plancast.params_sections import CorrelateParams


@dataclass(frozen=True)
class Correlation:
    """r of the actual against each plan horizon, per part and pooled."""

    table: pd.DataFrame  # data/reports/correlation.csv
    summary: dict[str, Any]  # metrics/correlate.json with "parts" (data/reports/correlate_parts.json)
    cross: pd.DataFrame  # the horizons' cross-correlation, the heatmap's second panel


def correlate(params: CorrelateParams, daily: pd.DataFrame) -> Correlation:
    table = horizon_correlations(daily, params.min_pairs)
    summary = correlation_summary(table, sorted(str(part) for part in daily["part"].unique()))
    return Correlation(table, summary, horizon_cross_correlation(daily, params.min_pairs))
