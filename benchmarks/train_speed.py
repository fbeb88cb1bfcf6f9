"""How long training takes: every model of params.yaml on the prepared sample, and Seed A both ways.

Run from the repository root, after ``dvc repro split_scale`` (for the first part):

    python benchmarks/train_speed.py [--models lstm gru ...] [--skip-pipeline] [--skip-seed-a]

1. Each model in ``train.models`` trained as stage train does (``plancast.pipeline.train``: its context,
   target form and scope from params, on the files split_scale wrote): seconds, epochs, seconds per epoch.
2. Seed A's four networks on its wave (min-max over the whole series, 30 values -> the next), trained
   the notebook's way (``fit`` on every window, 4 epochs, batch 1) and the stage's way
   (``fit_one_network``, stage train's fit of one network: the model's batch size and early stopping on
   a time-ordered 70/10/20 split, ``split_scale.fractions``): seconds, epochs, and notebook / stage time ratio.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from harness import parser

from plancast import catalog
from plancast.artifacts import load_npz, read_json
from plancast.features.scaling import Scalers
from plancast.features.splits import Splits
from plancast.features.windows import Windows
from plancast.models.training import fit_one_network
from plancast.params import Params, load_params
from plancast.params_sections import ModelSpec
from plancast.pipeline import run as pipeline

SEED_A_MODELS = ("lstm_sigmoid", "lstm", "gru", "lstm_gru")
SEED_A_LOOKBACK = 30
NOTEBOOK_EPOCHS = 4
NOTEBOOK_BATCH = 1


def pipeline_times(params: Params, names: list[str]) -> None:
    """Train each named model as stage train does and print its time."""
    needed = [
        Path(entry.path)
        for entry in (catalog.SPLITS, catalog.WINDOWS, catalog.SCALERS, catalog.TRAINING_DAILY, catalog.FEATURES)
    ]
    if not all(path.is_file() for path in needed):
        print(f"[pipeline] {', '.join(map(str, needed))}: run `dvc repro split_scale` first; skipped")
        return
    splits = Splits.from_arrays(load_npz(catalog.SPLITS.path))
    prepared = pipeline.Prepared(splits, Scalers.from_json(read_json(catalog.SCALERS.path)))
    windows, daily = Windows.load(catalog.WINDOWS.path), pd.read_parquet(catalog.TRAINING_DAILY.path)
    features = read_json(catalog.FEATURES.path)
    print(
        f"[pipeline] scope {params.train.scope}, {len(splits.train.window)} training windows "
        f"{splits.train.inputs.shape[1:]}, {len(splits.val.window)} validation windows"
    )
    for name in names:
        result = pipeline.train(params, name, pipeline.Inputs(daily, windows, prepared, features)).result
        epochs = sum(len(run.loss) for run in result.runs)
        best = result.metrics()["best_val_loss"]
        print(
            f"[pipeline] {name:<13} {result.seconds:7.1f} s  {epochs:4d} epochs  "
            f"{result.seconds / epochs:6.2f} s/epoch  batch {params.models[name].batch_size}  "
            f"best val_loss {'none' if best is None else f'{best:.4f}'}"
        )


def seed_a_windows(series: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Min-max the whole series, then ``(windows, 30, 1)`` inputs and the next value ``(windows, 1)``."""
    scaled = ((series - series.min()) / (series.max() - series.min())).astype("float32")
    inputs = np.lib.stride_tricks.sliding_window_view(scaled[:-1], SEED_A_LOOKBACK)[..., None]
    return np.ascontiguousarray(inputs), scaled[SEED_A_LOOKBACK:, None]


def seed_a_comparison(params: Params) -> None:
    """Seed A's networks trained the notebook's way and the stage's way; print both times."""
    from plancast.data.sample import seed_a_series
    from plancast.models.networks import build_network
    from plancast.runtime import import_tensorflow

    wave = seed_a_series(params.sample.seed_a_points, params.sample.seed_a_seed)["time_cos"].to_numpy()
    inputs, targets = seed_a_windows(wave)
    n = len(inputs)
    train_end = int(params.split_scale.fractions[0] * n)
    val_end = int((params.split_scale.fractions[0] + params.split_scale.fractions[1]) * n)
    print(
        f"[seed A] {n} windows of {SEED_A_LOOKBACK} -> next value; "
        f"stage split {train_end}/{val_end - train_end}/{n - val_end}"
    )
    for name in SEED_A_MODELS:
        if name not in params.models:
            print(f"[seed A] {name}: not under models in params.yaml; skipped")
            continue
        spec = params.models[name]
        notebook_spec = ModelSpec.model_validate({**spec.model_dump(), "loss": "mse", "optimizer": "adam"})
        import_tensorflow(params.train.seed)
        network = build_network(notebook_spec, SEED_A_LOOKBACK, 1, 1)
        started = time.perf_counter()
        network.fit(inputs, targets, epochs=NOTEBOOK_EPOCHS, batch_size=NOTEBOOK_BATCH, verbose=0)
        notebook = time.perf_counter() - started

        started = time.perf_counter()
        _, run = fit_one_network(
            spec,
            inputs[:train_end],
            targets[:train_end],
            inputs[train_end:val_end],
            targets[train_end:val_end],
            seed=params.train.seed,
        )
        stage = time.perf_counter() - started
        print(
            f"[seed A] {name:<13} notebook {notebook:6.1f} s = {NOTEBOOK_EPOCHS} epochs x "
            f"{notebook / NOTEBOOK_EPOCHS:5.2f} s (batch {NOTEBOOK_BATCH}, {n} windows) | "
            f"stage {stage:6.1f} s = {len(run.loss)} epochs x {stage / len(run.loss):5.2f} s "
            f"(batch {spec.batch_size}, {train_end} windows, kept epoch {run.kept_epoch}) | "
            f"notebook/stage {notebook / stage:5.2f}"
        )


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--models", nargs="*", help="models to time (default: train.models)")
    arguments.add_argument("--skip-pipeline", action="store_true")
    arguments.add_argument("--skip-seed-a", action="store_true")
    args = arguments.parse_args()
    params = load_params()
    if not args.skip_pipeline:
        pipeline_times(params, args.models or list(params.train.models))
    if not args.skip_seed_a:
        seed_a_comparison(params)


if __name__ == "__main__":
    main()
