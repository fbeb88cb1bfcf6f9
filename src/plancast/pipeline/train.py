"""Stage train in memory: one network model of ``params.models`` fitted on the prepared windows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from plancast import catalog
from plancast.errors import InputDataError
from plancast.features.windows import Windows
from plancast.models.fit import FittedNetwork, fit_network
from plancast.params import Params
from plancast.pipeline.split_scale import Prepared


def train(
    params: Params,
    name: str,
    daily: pd.DataFrame,
    windows: Windows,
    prepared: Prepared,
    features: Mapping[str, Any],
    progress: Callable[[str], None] | None = None,
) -> FittedNetwork:
    """Model ``name`` fitted as ``params.train`` says (:func:`plancast.models.fit.fit_network`) on the
    ``prepared`` windows; ``FittedNetwork.model()`` runs it in memory, stage train saves it."""
    if prepared.splits.train.window.size == 0:
        raise InputDataError(
            f"{catalog.SPLITS.path}: no training windows "
            "(every part has fewer than window.lookback + max(delays) rows?)"
        )
    return fit_network(params, name, windows, prepared.splits, prepared.scalers, daily, features, progress=progress)
