"""Stage split_scale in memory: one calendar cut, scalers fitted on training rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from plancast.features.scaling import Scalers, split_and_scale
from plancast.features.splits import Splits
from plancast.features.windows import Windows
from plancast.params_sections import SplitScaleParams


@dataclass(frozen=True)
class Prepared:
    splits: Splits | None  # data/prepared/splits.npz: scaled train/val/test windows (None: not read, forecast)
    scalers: Scalers  # data/prepared/scalers.json
    # metrics/split_scale.json with "parts" (data/reports/split_scale_parts.json); empty when read back from files
    report: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Inputs:
    """What the stages after split_scale read: the daily table (train and evaluate: the training table
    data/interim/training_daily.parquet; forecast: every day, data/interim/daily.parquet), the windows, the
    prepared splits and scalers, and features.json (each part's inputs; empty where not read)."""

    daily: pd.DataFrame
    windows: Windows
    prepared: Prepared
    features: Mapping[str, Any] = field(default_factory=dict)


def split_scale(params: SplitScaleParams, windows: Windows, gaps: str = "drop") -> Prepared:
    """The one calendar cut's splits and the scalers; ``gaps`` (``window.gaps``) ``keep`` counts each target
    in the split of its own day, ``drop`` a window whole in one split."""
    splits, scalers, report = split_and_scale(
        windows, params.fractions, params.scaler, params.validation_start, params.test_start, gaps == "keep"
    )
    return Prepared(splits, scalers, report)
