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
from plancast.features.scaling import Scalers
from plancast.features.splits import Splits
from plancast.features.windows import Windows
from plancast.models.curves import LIVE, log_curves
from plancast.models.store import save_model, write_onnx
from plancast.models.training import epoch_curves, print_line
from plancast.pipeline.split_scale import Inputs, Prepared
from plancast.pipeline.train import train
from plancast.stage import StageIO, run_stage

RECORD = "training.json"


def main(params, io: StageIO, name: str) -> None:
    splits = Splits.from_arrays(load_npz(io.read(catalog.SPLITS)))
    scalers = Scalers.from_json(read_json(io.read(catalog.SCALERS)))
    daily, windows = pd.read_parquet(io.read(catalog.TRAINING_DAILY)), Windows.load(io.read(catalog.WINDOWS))
    inputs = Inputs(daily, windows, Prepared(splits, scalers), read_json(io.read(catalog.FEATURES)))
    fitted = train(params, name, inputs, progress=print_line)
    manifest, result = fitted.manifest, fitted.result
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
