"""Fit one network model of ``params.models`` on the prepared windows: its context and residual targets
built as its manifest will say (:func:`plancast.models.trained.network_inputs`), its gap channel when
the windows have missing days (:func:`gap_channel_splits`), the manifest beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from plancast.errors import ParamsError
from plancast.features.scaling import Scalers
from plancast.features.splits import Split, Splits
from plancast.features.windows import Windows, feature_columns
from plancast.models.engines import with_gap_channel
from plancast.models.manifest import Manifest
from plancast.models.tabular import network_context_sets
from plancast.models.trained import TrainedModel, network_inputs, residual_splits
from plancast.models.training import TrainResult, train_model
from plancast.params import Params
from plancast.stage import unwrap


@dataclass(frozen=True)
class FittedNetwork:
    """A fitted model ``params.models[name]``: its :class:`Manifest` (no weights files yet: saving names
    them) and the training result (networks by part, the record)."""

    manifest: Manifest
    result: TrainResult

    def model(self) -> TrainedModel:
        """The fitted networks as a :class:`TrainedModel` run by Keras in memory (stage train saves them)."""
        in_memory = {part: "(in memory)" for part in self.result.networks}  # no weights file: the parts it serves
        return TrainedModel.of(replace(self.manifest, weights=in_memory), self.result.networks)


def fit_network(
    params: Params,
    name: str,
    windows: Windows,
    splits: Splits,
    scalers: Scalers,
    daily: pd.DataFrame,
    features: Mapping[str, Any],
    progress: Callable[[str], None] | None = None,
) -> FittedNetwork:
    """Fit model ``name`` of ``params.models`` as ``params.train`` says (scope, seed, target form, context,
    profile season, backend) on ``splits`` of ``windows`` scaled by ``scalers``; ``daily`` feeds the
    context and ``features`` (features.json) names each part's inputs. ``progress`` gets one line per epoch.
    Inputs with missing days (NaN) give the model a gap channel (:func:`gap_channel_splits`); a target
    that is NaN is left out of the loss (:func:`plancast.models.training.fit_one_network`).
    """
    if name not in params.models:
        known = ", ".join(sorted(params.models)) or "none"
        raise ParamsError(f"params.yaml: models.{name}: no such model (known: {known})")
    train = params.train
    period = train.profile_period
    sets, max_horizon = network_context_sets(windows, daily, train.context, period)
    used = np.flatnonzero(np.isin(windows.part, list(scalers.parts)))  # a part without training windows: no scaler
    built = network_inputs(windows.take(used), daily, scalers, sets, max_horizon, period)
    context = None
    if built.context is not None:
        context = {split: built.context[np.searchsorted(used, splits[split].window)] for split in ("train", "val")}
    if train.target == "residual":  # a step series with a profile corrects the profile, as predict_windows does
        profile = None if built.profile is None else _all_windows(built.profile, used, len(windows.part))
        splits = residual_splits(splits, windows, scalers, profile)
    splits, gap_channel = gap_channel_splits(splits)
    result = train_model(
        name, unwrap(params.models[name]), splits, windows.part, scope=train.scope, seed=train.seed,
        progress=progress, backend=train.backend, ray_address=train.ray_address, context=context,
    )  # fmt: skip
    parts = sorted(result.networks)
    manifest = Manifest(
        model=name,
        scope=train.scope,
        lookback=int(windows.inputs.shape[1]),
        delays=tuple(int(delay) for delay in windows.delays),
        columns=feature_columns(features, parts),
        scalers=Scalers(scalers.kind, {part: scalers.parts[part] for part in parts}),
        weights={},
        target=train.target,
        context=sets,
        max_horizon=max_horizon if sets else 0,
        profile_period=period if "profile" in sets else None,
        gap_channel=gap_channel,
    )
    return FittedNetwork(manifest, result)


def gap_channel_splits(splits: Splits) -> tuple[Splits, bool]:
    """``splits`` as the network reads them, and whether it reads them with a gap channel: when any
    split's inputs hold a missing day (NaN), every split's inputs go through
    :func:`~plancast.models.engines.with_gap_channel` (one feature more); otherwise ``splits`` itself.
    The test split counts too, so a model scored on windows with gaps reads them even when its
    training windows had none."""
    parts = (splits.train, splits.val, splits.test)
    if not any(np.isnan(split.inputs).any() for split in parts):
        return splits, False
    return splits.with_splits(*(Split(with_gap_channel(s.inputs), s.targets, s.window) for s in parts)), True


def _all_windows(values: np.ndarray, used: np.ndarray, count: int) -> np.ndarray:
    """``values`` of the windows ``used`` placed at their window numbers among ``count``, NaN elsewhere."""
    placed = np.full((count, *values.shape[1:]), np.nan)
    placed[used] = values
    return placed
