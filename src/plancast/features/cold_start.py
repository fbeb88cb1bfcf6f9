"""The cold start of a part with no training window (a new part, or one that began exporting after
validation started): its inputs and scaler from its own days known at the forecast origin, and its
interval scale, so that the global models forecast it beside the trained parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plancast.features.scaling import Scalers, history_scaler


@dataclass(frozen=True)
class NewParts:
    """What the forecast knows of every part it can forecast, the parts without a training window included.

    ``columns`` and ``scalers``: each part's inputs and scaler, a new part's scaler fitted on its own days
    (:func:`plancast.features.scaling.history_scaler`); ``scales``: each part's interval scale, a new
    part's its target scale times the trained parts' median ratio of interval scale to target scale;
    ``days``: each new part's days of history its scaler saw.
    """

    columns: dict[str, list[str]]
    scalers: Scalers
    scales: dict[str, float]
    days: dict[str, int]


def with_new_parts(
    daily: pd.DataFrame,
    columns: Mapping[str, Sequence[str]],
    scalers: Scalers,
    scales: Mapping[str, float],
    lookback: int,
) -> NewParts:
    """The cold start of the parts of ``daily`` with no training window (no scaler in ``scalers``): new
    parts, or parts that started exporting after validation began.

    A new part reads the inputs every trained part reads (one list: with per-part feature selection a new
    part has none, and stays without a forecast), scaled by its own days known at the origin: its present
    rows with every input known. It needs at least ``lookback`` such days (fewer: no scaler, and
    :func:`latest_windows` says why). The rule was chosen on validation (docs/decisions.md, "cold start").
    """
    trained = {part: list(names) for part, names in columns.items() if part in scalers.parts}
    kept = dict(scalers.parts)
    shared = {tuple(names) for names in trained.values()}
    ratios = [
        scales[p] / scalers.parts[p].target_scale for p in trained if p in scales and scalers.parts[p].target_scale
    ]
    ratio = float(np.median(ratios)) if ratios else 1.0
    all_scales, days, known = dict(scales), {}, dict(trained)
    if len(shared) == 1:
        names = list(next(iter(shared)))
        for name, rows in daily.groupby("part", sort=True):
            part = str(name)
            if part in kept or any(column not in rows for column in names):
                continue
            present = rows["present"].to_numpy(bool) if "present" in rows else np.ones(len(rows), bool)
            values = rows[names].to_numpy(np.float64)[present]
            target = rows["target"].to_numpy(np.float64)[present]
            usable = np.isfinite(values).all(axis=1) & np.isfinite(target)
            values, target = values[usable], target[usable]
            if len(values) < lookback:
                continue
            kept[part] = history_scaler(values, target, scalers.kind)
            known[part], days[part] = names, len(values)
            all_scales[part] = ratio * kept[part].target_scale
    return NewParts(known, Scalers(scalers.kind, kept), all_scales, days)
