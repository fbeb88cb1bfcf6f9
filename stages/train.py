"""Stage train@<name>: fit model ``models.<name>`` on the prepared windows and save it.

Usage: ``python stages/train.py <name>`` (DVC runs one per entry of ``train.models``). Writes the
model folder ``models/<name>/``: the networks, their manifest (lookback, each part's input columns,
delays and scalers: the one source for evaluation and forecasting), ``training.json`` (epochs, losses)
and DVCLive's loss curves under ``live/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from plancast import catalog
from plancast.artifacts import load_npz, read_json, write_json
from plancast.errors import InputDataError, ParamsError
from plancast.features.scaling import Scalers, Splits
from plancast.features.windows import Windows, feature_columns
from plancast.models.curves import LIVE, log_curves
from plancast.models.manifest import Manifest
from plancast.models.store import save_model, write_onnx
from plancast.models.tabular import network_context_sets, tabular_rows
from plancast.models.trained import residual_splits
from plancast.models.training import epoch_curves, print_line, train_model
from plancast.stage import StageIO, run_stage, unwrap

RECORD = "training.json"


def main(params, io: StageIO, name: str) -> None:
    if name not in params.models:
        known = ", ".join(sorted(params.models)) or "none"
        raise ParamsError(f"params.yaml: models.{name}: no such model (known: {known})")
    splits = Splits.from_arrays(load_npz(io.read(catalog.SPLITS)))
    windows = Windows.load(io.read(catalog.WINDOWS))
    scalers = Scalers.from_json(read_json(io.read(catalog.SCALERS)))
    if splits.train.window.size == 0:
        raise InputDataError(
            f"{catalog.SPLITS.path}: no training windows "
            "(every part has fewer than window.lookback + max(delays) rows?)"
        )
    scope = params.train.scope
    target = params.train.target
    daily = pd.read_parquet(io.read(catalog.DAILY))
    period = params.train.profile_period
    sets, max_horizon = network_context_sets(windows, daily, params.train.context, period)
    context = rows = None
    if sets:
        rows = tabular_rows(windows, daily, scalers, max_horizon, profile_period=period)
        context = {split: rows.take(splits[split].window).network_context(sets) for split in ("train", "val")}
    if target == "residual":  # a step series with a profile corrects the profile, as evaluate and forecast do
        profile = None if rows is None else rows.reference_profile(sets, period)
        splits = residual_splits(splits, windows, scalers, profile)
    result = train_model(
        name, unwrap(params.models[name]), splits, windows.part, scope=scope, seed=params.train.seed,
        progress=print_line, backend=params.train.backend, ray_address=params.train.ray_address, context=context,
    )  # fmt: skip
    parts = sorted(result.networks)
    columns = feature_columns(read_json(io.read(catalog.FEATURES)), parts)
    manifest = Manifest(
        model=name,
        scope=scope,
        lookback=int(windows.inputs.shape[1]),
        delays=tuple(int(delay) for delay in windows.delays),
        columns=columns,
        scalers=Scalers(scalers.kind, {part: scalers.parts[part] for part in parts}),
        weights={},
        target=target,
        context=sets,
        max_horizon=max_horizon if sets else 0,
        profile_period=period if "profile" in sets else None,
    )
    record = result.metrics()

    def extra(folder: Path) -> None:
        write_json(folder / RECORD, record)
        log_curves(folder / LIVE, epoch_curves(result.runs))

    save_model(io.write(catalog.MODEL, name), manifest, result.networks, extra=extra)
    write_onnx(io.write(catalog.MODEL, name))  # <weights>.onnx: servable without TensorFlow
    best = record["best_val_loss"]
    print(
        f"train {name}: {result.scope}, {record['networks']} network(s) of {result.parameters} parameters, "
        f"{record['epochs_run']} epochs, best val_loss {'none' if best is None else f'{best:.4f}'}, "
        f"{result.seconds:.1f} s -> {catalog.MODEL.at(name)}/"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python stages/train.py <model name from params.yaml `models`>")
    run_stage("train", lambda params, io: main(params, io, sys.argv[1]), item=sys.argv[1])
