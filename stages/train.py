"""Stage train@<name>: fit model ``models.<name>`` on the prepared windows and save it.

Usage: ``python stages/train.py <name>`` (DVC runs one per entry of ``train.models``).
Reads ``data/prepared/splits.npz`` and ``data/windows/windows.npz`` (each window's part and the delays);
writes ``models/<name>/``, ``dvclive/train/<name>/`` and ``metrics/train/<name>.json``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from plancast.artifacts import load_npz, write_json
from plancast.errors import InputDataError, ParamsError
from plancast.models import save_networks
from plancast.params import Params
from plancast.stage import require_inputs, run_stage
from plancast.training import print_line, train_model

SPLITS = Path("data/prepared/splits.npz")
WINDOWS = Path("data/windows/windows.npz")


def main(params: Params, name: str | None = None) -> None:
    name = _model_name(params, name)
    require_inputs({SPLITS: "split_scale", WINDOWS: "window"})
    splits, windows = load_npz(SPLITS), load_npz(WINDOWS)
    if splits["window_train"].size == 0:
        raise InputDataError(
            f"{SPLITS}: no training windows (every part has fewer than window.lookback + max(delays) rows?)"
        )
    result = train_model(
        name,
        params.models[name],
        splits,
        windows["part"],
        scope=params.train.scope,
        seed=params.train.seed,
        log_dir=Path("dvclive/train") / name,
        progress=print_line,
    )
    delays = [int(delay) for delay in np.asarray(windows["delays"])]
    save_networks(Path("models") / name, name, params.train.scope, delays, result.networks)
    metrics = result.metrics()
    write_json(Path("metrics/train") / f"{name}.json", metrics)
    best = metrics["best_val_loss"]
    print(
        f"train {name}: {result.scope}, {metrics['networks']} network(s) of {result.parameters} parameters, "
        f"{metrics['epochs_run']} epochs, best val_loss {'none' if best is None else f'{best:.4f}'}, "
        f"{result.seconds:.1f} s -> models/{name}/"
    )


def _model_name(params: Params, name: str | None) -> str:
    if name is None:
        if len(sys.argv) != 2:
            raise ParamsError("usage: python stages/train.py <model name from params.yaml `models`>")
        name = sys.argv[1]
    if name not in params.models:
        known = ", ".join(sorted(params.models)) or "none"
        raise ParamsError(f"params.yaml: models.{name}: no such model (known: {known})")
    return name


if __name__ == "__main__":
    run_stage(main)
