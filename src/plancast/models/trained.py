"""A trained model in memory: its :class:`~plancast.models.manifest.Manifest` and one engine per part,
predicting in raw units (one call for all windows, or recursively step by step); the inputs a network
takes beside its windows (:func:`network_inputs`, built from the daily table as its manifest says) and
the reference a residual network corrects.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.daily import part_targets
from plancast.features.scaling import Scalers
from plancast.features.splits import Split, Splits
from plancast.features.vintages import PROFILE_WEEKS
from plancast.features.windows import Windows, rows_by_part
from plancast.models.engines import (
    Network,
    Recursion,
    as_networks,
    last_known,
    recursive_forecast,
    season_history,
    with_gap_channel,
)
from plancast.models.manifest import GLOBAL, Manifest
from plancast.models.tabular import tabular_rows


@dataclass(frozen=True)
class NetworkInputs:
    """What a network takes beside its windows: ``context`` float32 (windows, width), its second input
    (:meth:`~plancast.models.tabular.TabularRows.network_context`), None without one; ``profile`` raw
    (windows, delays), the season profile a residual network's reference falls back on, None if none."""

    context: np.ndarray | None
    profile: np.ndarray | None


def network_inputs(
    windows: Windows,
    daily: pd.DataFrame,
    scalers: Scalers,
    sets: Collection[str],
    max_horizon: int,
    profile_period: int | None,
) -> NetworkInputs:
    """The :class:`NetworkInputs` of ``windows``: the context ``sets`` read from ``daily`` (vintages up
    to ``max_horizon``, the profile on ``profile_period``'s season), scaled by ``scalers``. The one place
    they are built: stage train fits on them, :meth:`TrainedModel.predict_windows` predicts with them."""
    if not sets:
        return NetworkInputs(None, None)
    rows = tabular_rows(windows, daily, scalers, max_horizon, profile_period=profile_period)
    return NetworkInputs(rows.network_context(sets), rows.reference_profile(sets, profile_period))


@dataclass(frozen=True)
class TrainedModel:
    """A trained model: its :class:`Manifest` and a :class:`Network` per part (one shared when global).

    Every method takes all windows at once: a global model runs them in one call, a per-part model one
    call per part.
    """

    manifest: Manifest
    networks: Mapping[str, Network]

    @classmethod
    def of(cls, manifest: Manifest, networks: Mapping[str, Any]) -> TrainedModel:
        """Wrap Keras models (or ready :class:`Network` engines) by part."""
        return cls(manifest, as_networks(networks))

    def with_new_parts(self, columns: Mapping[str, list[str]], scalers: Scalers) -> TrainedModel:
        """This model also for the parts of ``columns`` it was not trained on (a new part's cold start),
        each scaled by its scaler in ``scalers``: a global network reads any part alike; a per-part model
        has no network for them and stays as it is."""
        new = sorted(part for part in columns if part not in self.manifest.columns and part in scalers.parts)
        if self.manifest.scope != GLOBAL or not new or not self.networks:
            return self
        manifest, network = self.manifest, next(iter(self.networks.values()))
        file = next(iter(manifest.weights.values()))
        scaler = {**manifest.scalers.parts, **{part: scalers.parts[part] for part in new}}
        return TrainedModel(
            replace(
                manifest,
                columns={**manifest.columns, **{part: list(columns[part]) for part in new}},
                scalers=Scalers(manifest.scalers.kind, scaler),
                weights={**manifest.weights, **dict.fromkeys(new, file)},
            ),
            {**self.networks, **dict.fromkeys(new, network)},
        )

    def _by_network(self, part: np.ndarray, run: Callable[[Network, np.ndarray], np.ndarray]) -> np.ndarray:
        """``run(network, rows)`` (rows, outputs) for the rows of each network, stacked: (windows, outputs)."""
        part = np.asarray(part).astype(str)
        if self.manifest.scope == GLOBAL:
            distinct = {id(network): network for network in self.networks.values()}
            if len(distinct) != 1:
                raise ValueError(f"a global model has one network, got {len(distinct)}")
            return run(next(iter(distinct.values())), np.arange(len(part)))
        chunks = []
        for name, rows in rows_by_part(part).items():
            if name not in self.networks:
                raise KeyError(f"no network for part {name!r} in a per_part model")
            chunks.append((rows, run(self.networks[name], rows)))
        width = chunks[0][1].shape[1] if chunks else 0
        stacked = np.full((len(part), width), np.nan)
        for rows, values in chunks:
            stacked[rows] = values
        return stacked

    def predict_scaled(self, inputs: np.ndarray, part: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        """Scaled predictions (windows, delays) for scaled inputs (windows, lookback, features), NaN on
        missing days, and, when the manifest names a context, its (windows, width) second input. A model
        with a gap channel reads the inputs through :func:`~plancast.models.engines.with_gap_channel`."""
        if bool(self.manifest.context) != (context is not None):
            need = f"the context {', '.join(self.manifest.context)}" if self.manifest.context else "no context"
            raise ValueError(f"model {self.manifest.model} takes {need} beside the windows")
        if self.manifest.gap_channel:
            inputs = with_gap_channel(inputs)
        if context is None:
            return self._by_network(part, lambda network, rows: network.predict_batch(inputs[rows]))
        return self._by_network(part, lambda network, rows: network.predict_batch(inputs[rows], context[rows]))

    def to_raw(self, scaled: np.ndarray, part: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """Network outputs (windows, delays) in raw units; a residual network's output is added to the
        scaled ``reference`` (windows, delays, raw: :func:`reference_forecast`) first."""
        scalers = self.manifest.scalers
        if self.manifest.target == "residual":
            if reference is None:
                raise ValueError(f"model {self.manifest.model} is residual: its forecast needs the reference")
            scaled = np.asarray(scaled, np.float64) + scalers.targets(reference, part)
        return scalers.unscale_targets(scaled, part)

    def predict(
        self,
        inputs: np.ndarray,
        part: np.ndarray,
        reference: np.ndarray | None = None,
        context: np.ndarray | None = None,
    ) -> np.ndarray:
        """Predictions (windows, delays) in raw units for raw inputs (windows, lookback, features) and, for
        a model with a context, :meth:`~plancast.models.tabular.TabularRows.network_context`'s array."""
        scaled = self.manifest.scalers.inputs(inputs, part).astype(np.float32)
        return self.to_raw(self.predict_scaled(scaled, part, context), part, reference)

    def network_inputs(self, windows: Windows, daily: pd.DataFrame) -> NetworkInputs:
        """:func:`network_inputs` of ``windows`` as this model's manifest says (context sets, vintages'
        reach, profile season, scalers)."""
        manifest = self.manifest
        return network_inputs(
            windows, daily, manifest.scalers, manifest.context, manifest.max_horizon, manifest.profile_period
        )

    def predict_windows(self, windows: Windows, daily: pd.DataFrame) -> np.ndarray:
        """Predictions (windows, delays) in raw units of raw ``windows``, their context and a residual
        network's reference (:func:`reference_forecast`) built from ``daily`` as the manifest says."""
        built = self.network_inputs(windows, daily)
        reference = reference_forecast(windows.plan, windows.inputs, built.profile)
        return self.predict(windows.inputs, windows.part, reference, built.context)

    def predict_windows_recursive(self, windows: Windows, daily: pd.DataFrame, steps: int) -> np.ndarray:
        """:meth:`predict_recursive` of each part's one window (parts, steps), raw units; the season
        profile (a model with a context) read off each part's targets in ``daily``."""
        targets = part_targets(daily, windows.part) if self.manifest.context else None
        return self.predict_recursive(windows.inputs, windows.part, steps, targets)

    def predict_recursive(
        self, inputs: np.ndarray, part: np.ndarray, steps: int, targets: np.ndarray | None = None
    ) -> np.ndarray:
        """Recursive ``steps``-step forecast (parts, steps) in raw units from raw (parts, lookback, 1) windows.

        A model whose context is the season profile alone (a step series with ``train.profile_period``)
        also needs ``targets`` (parts, rows): each part's raw targets up to its last row, NaN where
        absent; the profile then follows the forecast step by step. Any other context (plans of the target
        days) is unknown for the later steps: ValueError. A residual network corrects the profile where one
        is known, else the window's last value (a plan's later steps are unknown too: params refuse a
        residual recursive forecast on plan data).
        """
        manifest = self.manifest
        seasonal = manifest.context == ("profile",) and manifest.profile_period is not None
        if manifest.context and not seasonal:
            raise ValueError(
                f"model {manifest.model} reads the plans of each target day (context), which a recursive "
                "forecast does not have for its later steps"
            )
        residual = manifest.target == "residual"
        if seasonal and targets is None:
            raise ValueError(
                f"model {manifest.model} reads the season profile: its recursive forecast needs the targets"
            )
        scalers = manifest.scalers
        scaled = scalers.inputs(inputs, part).astype(np.float32)
        gain, shift = scalers.feedback(part)
        history = None
        if seasonal:
            history = season_history(scalers.targets(targets, part), int(manifest.profile_period), PROFILE_WEEKS)
        predicted = self._by_network(
            part,
            lambda network, rows: recursive_forecast(
                network,
                Recursion(
                    scaled[rows],
                    gain[rows],
                    shift[rows],
                    steps,
                    None if history is None else history[rows],
                    residual,
                    manifest.gap_channel,
                ),
            ),
        )
        return scalers.unscale_targets(predicted, part)


def reference_forecast(plan: np.ndarray, inputs: np.ndarray, profile: np.ndarray | None = None) -> np.ndarray:
    """What a residual network corrects: the latest plan for each target day, else the season profile
    (given for a step series with ``train.profile_period``), else the window's last known value.

    ``plan`` (windows, delays) raw, NaN where the data has no such horizon; ``inputs`` raw (windows,
    lookback, features) with the target as feature 0, NaN on missing days (the last known value skips
    them); ``profile`` (windows, delays) raw, NaN where unknown
    (:meth:`plancast.models.tabular.TabularRows.profile`). Returns (windows, delays), NaN where none of
    the three is known.
    """
    plan = np.asarray(plan, np.float64)
    last = last_known(np.asarray(inputs, np.float64)[:, :, 0])[:, None]
    if profile is not None:
        profile = np.asarray(profile, np.float64)
        last = np.where(np.isfinite(profile), profile, last)
    return np.where(np.isfinite(plan), plan, last)


def residual_splits(splits: Splits, windows: Windows, scalers: Scalers, profile: np.ndarray | None = None) -> Splits:
    """The splits with targets turned into corrections of the reference (:func:`reference_forecast`: the
    latest plan, else the season ``profile`` (windows, delays) raw of all ``windows`` when given, else the
    last known value), in the same scaled units: target_s - reference_s. What stage train fits a
    ``train.target: residual`` network on; :meth:`TrainedModel.to_raw` adds the reference back. A pair
    whose reference is unknown (no plan, no profile, no known value in the window) has no correction to
    learn: its target is NaN like a missing one, and training leaves it out of the loss
    (:func:`plancast.models.networks.masked_loss`)."""

    def corrected(split: Split) -> Split:
        index = split.window
        seasonal = None if profile is None else profile[index]
        reference = reference_forecast(windows.plan[index], windows.inputs[index], seasonal)
        scaled = scalers.targets(reference, windows.part[index]).astype(np.float32)
        return Split(split.inputs, (split.targets - scaled).astype(np.float32), index)

    return splits.with_splits(corrected(splits.train), corrected(splits.val), corrected(splits.test))
