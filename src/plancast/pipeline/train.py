"""Stage train in memory: one network model of ``params.models`` fitted on the prepared windows."""

from __future__ import annotations

from collections.abc import Callable

from plancast import catalog
from plancast.errors import InputDataError
from plancast.models.fit import FittedNetwork, fit_network
from plancast.params import Params
from plancast.pipeline.split_scale import Inputs


def train(params: Params, name: str, inputs: Inputs, progress: Callable[[str], None] | None = None) -> FittedNetwork:
    """Model ``name`` fitted as ``params.train`` says (:func:`plancast.models.fit.fit_network`) on the
    prepared windows of ``inputs``; ``FittedNetwork.model()`` runs it in memory, stage train saves it."""
    prepared = inputs.prepared
    if prepared.splits is None or prepared.splits.train.window.size == 0:
        raise InputDataError(
            f"{catalog.SPLITS.path}: no training windows "
            "(every part has fewer than window.lookback + max(delays) rows?)"
        )
    return fit_network(
        params, name, inputs.windows, prepared.splits, prepared.scalers, inputs.daily, inputs.features, progress
    )
