"""Stage split_scale in memory: one calendar cut, scalers fitted on training rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from plancast.features.scaling import Scalers, Splits, split_and_scale
from plancast.features.windows import Windows
from plancast.params_sections import SplitScaleParams


@dataclass(frozen=True)
class Prepared:
    splits: Splits  # data/prepared/splits.npz: scaled train/val/test windows
    scalers: Scalers  # data/prepared/scalers.json
    # metrics/split_scale.json with "parts" (data/reports/split_scale_parts.json); empty when read back from files
    report: dict[str, Any] = field(default_factory=dict)


def split_scale(params: SplitScaleParams, windows: Windows) -> Prepared:
    splits, scalers, report = split_and_scale(
        windows, params.fractions, params.scaler, params.validation_start, params.test_start
    )
    return Prepared(splits, scalers, report)
