"""Training: scopes, early stopping, progress lines, DVCLive curves, and run-to-run byte identity."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from plancast.features.splits import Split, Splits
from plancast.models.curves import log_curves
from plancast.models.training import TRAINING_COLUMNS, NetworkRun, TrainResult, epoch_curves
from plancast.params_sections import ModelSpec

ROOT = Path(__file__).resolve().parents[1]


def _run(label: str, loss: list[float], val_loss: list[float], windows_val: int = 1, kept: int = 1) -> NetworkRun:
    return NetworkRun(label, 0, 10, windows_val if val_loss else 0, loss, val_loss, kept, "early stopping")


def _splits(parts: dict[str, tuple[int, int]], lookback: int = 3, seed: int = 0):
    """Splits where the target is the last input's first feature; ``parts``: part -> (train, val) windows."""
    rng = np.random.default_rng(seed)
    names, splits = [], {}
    for split, column in (("train", 0), ("val", 1)):
        inputs, targets, index = [], [], []
        for part, counts in parts.items():
            x = rng.normal(size=(counts[column], lookback, 2)).astype("float32")
            inputs.append(x)
            targets.append(np.stack([x[:, -1, 0], x[:, -1, 0]], axis=1))
            index.extend(range(len(names), len(names) + counts[column]))
            names.extend([part] * counts[column])
        splits[split] = Split(np.concatenate(inputs), np.concatenate(targets), np.array(index, dtype=np.int64))
    empty = Split(splits["val"].inputs[:0], splits["val"].targets[:0], np.empty(0, np.int64))
    return Splits(splits["train"], splits["val"], empty), np.array(names)


def _spec(**training) -> ModelSpec:
    layers = training.pop("layers", [{"type": "lstm", "units": 3}])
    return ModelSpec.model_validate({"layers": layers, "learning_rate": 0.05, **training})


def test_epoch_curves_average_runs_and_carry_a_stopped_run_forward():
    runs = [_run("A", [1.0, 2.0, 3.0], [4.0, 2.0, 6.0]), _run("B", [3.0, 5.0], [])]
    assert epoch_curves(runs) == {"train/loss": [2.0, 3.5, 4.0], "val/loss": [4.0, 2.0, 6.0]}
    assert epoch_curves([_run("A", [1.0], [])]) == {"train/loss": [1.0]}


def test_per_part_metrics_pool_the_best_validation_loss_by_windows():
    runs = [
        _run("A", [0.9, 0.8, 0.7], [0.5, 0.2, 0.4], windows_val=1, kept=2),
        _run("B", [0.9, 0.8], [1.0, 0.6], windows_val=3, kept=2),
    ]
    metrics = TrainResult("m", "per_part", 5, "mae", {}, runs, 1.234, 17).metrics()
    assert metrics["best_val_loss"] == pytest.approx((0.2 * 1 + 0.6 * 3) / 4)
    assert (metrics["epochs_run"], metrics["windows_train"], metrics["windows_val"]) == (5, 20, 4)
    assert metrics["parts"]["A"] == {
        "seed": 0,
        "windows_train": 10,
        "windows_val": 1,
        "epochs_run": 3,
        "kept_epoch": 2,
        "best_epoch": 2,
        "best_val_loss": 0.2,
        "kept_val_loss": 0.2,
        "final_loss": 0.7,
        "early_stopping": "early stopping",
    }
    assert metrics["parameters"] == 17 and metrics["loss"] == "mae"
    assert not [key for key in metrics if "second" in key]  # outputs hold no timings
    # stage evaluate's training table reads these keys from either scope (per_part once lacked kept_epoch)
    global_metrics = TrainResult("m", "global", 5, "mae", {}, runs[:1], 1.0, 17).metrics()
    for record in (metrics, global_metrics):
        assert set(TRAINING_COLUMNS) - {"model"} <= set(record)
    assert metrics["kept_epoch"] is None and global_metrics["kept_epoch"] == 2


@pytest.mark.tf
def test_early_stopping_keeps_the_best_epoch_weights():
    from plancast.models.training import fit_one_network

    splits, _ = _splits({"P": (32, 8)})
    # Validation wants the opposite sign: the better the fit, the worse the validation loss.
    val_targets = -splits.val.targets
    network, run = fit_one_network(
        _spec(epochs=20, patience=2, batch_size=8),
        splits.train.inputs,
        splits.train.targets,
        splits.val.inputs,
        val_targets,
        seed=3,
    )
    assert run.kept_epoch == int(np.argmin(run.val_loss)) + 1
    assert len(run.loss) == run.kept_epoch + 2 < 20
    assert run.stopping == "early stopping"
    restored = network.evaluate(splits.val.inputs, val_targets, verbose=0)
    assert restored == pytest.approx(run.val_loss[run.kept_epoch - 1], rel=1e-5)


@pytest.mark.tf
def test_without_patience_or_validation_all_epochs_run():
    from plancast.models.training import fit_one_network

    splits, _ = _splits({"P": (12, 4)})
    train = (splits.train.inputs, splits.train.targets)
    _, plain = fit_one_network(_spec(epochs=3, patience=0), *train, splits.val.inputs, splits.val.targets, seed=1)
    assert (len(plain.loss), len(plain.val_loss), plain.kept_epoch) == (3, 3, 3)
    assert plain.stopping == "off: patience 0"
    empty = splits.val.inputs[:0], splits.val.targets[:0]
    _, blind = fit_one_network(_spec(epochs=3, patience=5), *train, *empty, seed=1)
    assert (len(blind.loss), blind.val_loss, blind.kept_epoch) == (3, [], 3)
    assert blind.stopping == "off: no validation windows"
    assert blind.metrics()["best_val_loss"] is None


@pytest.mark.tf
def test_train_model_scopes_parts_seeds_and_progress(tmp_path):
    from plancast.models.training import train_model

    # Part 3 has only a validation window: no training windows, so no network.
    splits, window_parts = _splits({"Part 1": (6, 2), "Part 2": (4, 0), "Part 3": (0, 1)})
    lines: list[str] = []
    spec = _spec(epochs=2, patience=0, batch_size=4)
    per_part = train_model("m", spec, splits, window_parts, "per_part", 42, progress=lines.append)
    log_curves(tmp_path / "live", epoch_curves(per_part.runs))
    assert sorted(per_part.networks) == ["Part 1", "Part 2"]
    assert per_part.networks["Part 1"] is not per_part.networks["Part 2"]
    assert [(r.label, r.seed, r.windows_train, r.windows_val) for r in per_part.runs] == [
        ("Part 1", 42, 6, 2),
        ("Part 2", 43, 4, 0),
    ]
    assert len(lines) == 4
    assert re.fullmatch(r"m Part 1 epoch 1/2 loss \d+\.\d{5} val_loss \d+\.\d{5}", lines[0])
    assert re.fullmatch(r"m Part 2 epoch 2/2 loss \d+\.\d{5}", lines[3])
    assert (tmp_path / "live" / "plots" / "metrics" / "val" / "loss.tsv").is_file()
    assert per_part.metrics()["early_stopping"] == "off: no validation windows, off: patience 0"

    whole = train_model("m", spec, splits, window_parts, "global", 42, progress=None)
    assert sorted(whole.networks) == ["Part 1", "Part 2"]
    assert whole.networks["Part 1"] is whole.networks["Part 2"]
    assert [(r.label, r.windows_train, r.windows_val) for r in whole.runs] == [("global", 10, 3)]
    assert whole.metrics()["parameters"] == whole.networks["Part 1"].count_params()


_DETERMINISM_SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from test_training import _spec, _splits
from plancast.features.scaling import Scalers
from plancast.models.manifest import Manifest
from plancast.models.store import save_model
from plancast.models.curves import log_curves
from plancast.models.training import epoch_curves, train_model

out = Path(sys.argv[1])
splits, parts = _splits({"A": (12, 4), "B": (8, 4)}, seed=7)
spec = _spec(
    layers=[{"type": "hand_lstm", "units": 3, "dropout": 0.2, "recurrent_dropout": 0.2}],
    epochs=3, patience=1, batch_size=4,
)
result = train_model("hand", spec, splits, parts, "per_part", 11, progress=None)
log_curves(out / "live", epoch_curves(result.runs))
save_model(out / "model", Manifest("hand", "per_part", 3, (1, 2), {}, Scalers("standard", {}), {}), result.networks)
metrics = result.metrics()
(out / "metrics.json").write_text(json.dumps(metrics, sort_keys=True))
"""


@pytest.mark.tf
def test_two_processes_write_byte_identical_models(tmp_path):
    runs = [tmp_path / "one", tmp_path / "two"]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _DETERMINISM_SCRIPT, str(out), str(ROOT / "tests")],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in runs
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.strip().splitlines()[-3:]

    def contents(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    first, second = contents(runs[0]), contents(runs[1])
    assert {"model/a.weights.h5", "model/b.weights.h5", "live/plots/metrics/val/loss.tsv"} <= set(first)
    assert first == second


_BACKEND_SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_training import _spec, _splits
from plancast.features.scaling import Scalers
from plancast.models.manifest import Manifest
from plancast.models.store import save_model
from plancast.models.training import train_model

out, backend = Path(sys.argv[1]), sys.argv[2]
if backend == "ray":
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
splits, parts = _splits({"A": (12, 4), "B": (8, 4), "C": (10, 4)}, seed=7)
spec = _spec(layers=[{"type": "lstm", "units": 3, "dropout": 0.2}], epochs=3, patience=1, batch_size=4)
result = train_model("m", spec, splits, parts, "per_part", 11, progress=None, backend=backend)
save_model(out / "model", Manifest("m", "per_part", 3, (1, 2), {}, Scalers("standard", {}), {}), result.networks)
(out / "metrics.json").write_text(json.dumps(result.metrics(), sort_keys=True))
"""


@pytest.mark.tf
@pytest.mark.ray
def test_ray_backend_writes_the_same_weights_as_local(tmp_path):
    pytest.importorskip("ray")
    outs = {backend: tmp_path / backend for backend in ("local", "ray")}
    for backend, out in outs.items():
        done = subprocess.run(
            [sys.executable, "-c", _BACKEND_SCRIPT, str(out), backend, str(ROOT / "tests")],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.strip().splitlines()[-3:]

    def contents(out: Path) -> dict[str, bytes]:
        return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    local, ray = contents(outs["local"]), contents(outs["ray"])
    assert {"model/a.weights.h5", "model/b.weights.h5", "model/c.weights.h5", "metrics.json"} <= set(local)
    assert ray == local
    assert json.loads(local["metrics.json"])["networks"] == 3


@pytest.mark.tf
def test_the_masked_loss_leaves_nan_targets_out():
    from plancast.models.networks import masked_loss
    from plancast.runtime import import_tensorflow

    tf, _ = import_tensorflow()
    y_true = tf.constant([[1.0, np.nan], [3.0, 4.0]])
    y_pred = tf.Variable([[2.0, 5.0], [3.0, 2.0]])
    with tf.GradientTape() as tape:
        loss = masked_loss("mean_absolute_error")(y_true, y_pred)  # per window: the mean over its delays
    np.testing.assert_allclose(loss.numpy(), [(1.0 + 0.0) / 2, (0.0 + 2.0) / 2])
    gradient = tape.gradient(loss, y_pred).numpy()
    assert np.isfinite(gradient).all() and gradient[0, 1] == 0.0  # the missing pair pulls no weight
    for name in ("mean_squared_error", "huber"):
        known = tf.constant([[1.0, 2.0], [3.0, 4.0]])
        np.testing.assert_array_equal(masked_loss(name)(known, y_pred), tf.keras.losses.get(name)(known, y_pred))


@pytest.mark.tf
def test_nan_targets_mask_the_loss_and_none_leave_keras_own():
    from plancast.models.training import fit_one_network

    splits, _ = _splits({"P": (16, 4)})
    spec = _spec(epochs=2, patience=1, batch_size=8, loss="mae")
    plain, _ = fit_one_network(spec, splits.train.inputs, splits.train.targets, splits.val.inputs,
                               splits.val.targets, seed=1)  # fmt: skip
    assert plain.loss == "mean_absolute_error"  # no NaN target: the loss it always was
    targets_val = splits.val.targets.copy()
    targets_val[0, 1] = np.nan
    masked, run = fit_one_network(spec, splits.train.inputs, splits.train.targets, splits.val.inputs, targets_val,
                                  seed=1)  # fmt: skip
    assert masked.loss.__name__ == "masked_mean_absolute_error"
    assert np.isfinite(run.loss).all() and np.isfinite(run.val_loss).all()


def _gap_windows(seed: int = 3):
    """Windows of two parts (lookback 4, target and h1, delays 1 and 2) with missing days in the
    inputs and missing targets, identity-scaled, split 24/8/8; window 39 knows no target and no plan."""
    from plancast.features.scaling import PartScaler, Scalers
    from plancast.features.windows import Windows

    rng = np.random.default_rng(seed)
    count, lookback = 40, 4
    inputs = rng.normal(size=(count, lookback, 2))
    inputs[rng.random((count, lookback)) < 0.15] = np.nan  # a missing day: every input unknown
    inputs[5, -1] = np.nan  # the last day missing: the reference is the day before
    inputs[39, :, 0] = np.nan
    targets = np.stack([inputs[:, -1, 0] * 0.5, inputs[:, -1, 1]], axis=1)
    targets = np.where(np.isfinite(targets), targets, rng.normal(size=targets.shape))
    targets[rng.random(targets.shape) < 0.2] = np.nan
    targets[[0, 30], 0] = np.nan  # a missing target in the train and the val split
    plan = np.where(rng.random((count, 2)) < 0.5, rng.normal(size=(count, 2)), np.nan)
    plan[39] = np.nan
    part = np.where(np.arange(count) % 2, "B", "A")
    windows = Windows(inputs, targets, plan, part, np.arange(count), np.arange(count), np.array([1, 2]),
                      np.array(["target", "h1"]), np.arange(count + 2))  # fmt: skip
    scaler = PartScaler(np.zeros(2), np.ones(2), 0.0, 1.0)
    return windows, Scalers("standard", {"A": scaler, "B": scaler})


def _gap_splits(windows):
    from plancast.features.splits import Split, Splits

    def split(rows):
        return Split(windows.inputs[rows].astype(np.float32), windows.targets[rows].astype(np.float32), rows)

    return Splits(split(np.arange(24)), split(np.arange(24, 32)), split(np.arange(32, 40)))


def _fit_tiny(windows, scalers, target: str):
    import pandas as pd
    import yaml

    from plancast.models.fit import fit_network
    from plancast.params import parse_params

    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["models"] = {"tiny": {"layers": [{"type": "gru", "units": 3}], "loss": "mae", "epochs": 3, "batch_size": 8}}
    raw["train"] |= {"models": ["tiny"], "context": [], "target": target}
    daily = pd.DataFrame({"part": ["A", "B"], "day": [0, 0], "target": [0.0, 0.0], "h1": [0.0, 0.0]})
    features = {"columns": {"A": ["target", "h1"], "B": ["target", "h1"]}}
    return fit_network(parse_params(raw), "tiny", windows, _gap_splits(windows), scalers, daily, features), daily


@pytest.mark.tf
def test_a_network_trained_on_windows_with_gaps_reads_them_through_its_gap_channel(tmp_path):
    from plancast.models.store import load_model, read_manifest, save_model, write_onnx

    windows, scalers = _gap_windows()
    fitted, daily = _fit_tiny(windows, scalers, "residual")
    assert fitted.manifest.gap_channel
    network = fitted.result.networks["A"]
    assert network.input_shape == (None, 4, 3)  # the two inputs and the gap channel
    assert network.loss.__name__ == "masked_mean_absolute_error"
    assert np.isfinite(fitted.result.runs[0].loss).all() and np.isfinite(fitted.result.runs[0].val_loss).all()
    save_model(tmp_path / "m", fitted.manifest, fitted.result.networks)
    write_onnx(tmp_path / "m")
    assert read_manifest(tmp_path / "m").gap_channel

    keras_forecast = load_model(tmp_path / "m").predict_windows(windows, daily)
    onnx_forecast = load_model(tmp_path / "m", "onnx").predict_windows(windows, daily)
    np.testing.assert_allclose(onnx_forecast, keras_forecast, atol=1e-5)
    np.testing.assert_allclose(fitted.model().predict_windows(windows, daily), keras_forecast, atol=1e-6)
    unknown = np.zeros_like(keras_forecast, bool)
    unknown[39] = True  # no plan and no known value: no reference to correct
    assert np.isfinite(keras_forecast[~unknown]).all() and np.isnan(keras_forecast[unknown]).all()


@pytest.mark.tf
def test_a_network_trained_without_gaps_has_no_gap_channel():
    from dataclasses import replace

    windows, scalers = _gap_windows()
    filled = replace(windows, inputs=np.where(np.isfinite(windows.inputs), windows.inputs, 0.0),
                     targets=np.where(np.isfinite(windows.targets), windows.targets, 0.0))  # fmt: skip
    fitted, _ = _fit_tiny(filled, scalers, "level")
    assert not fitted.manifest.gap_channel and "gap_channel" not in fitted.manifest.to_json()
    assert fitted.result.networks["A"].input_shape == (None, 4, 2)
    assert fitted.result.networks["A"].loss == "mean_absolute_error"  # Keras' own: as trained before gaps
