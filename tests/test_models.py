"""Params -> network, the saved model folder, and which modules may import TensorFlow."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from plancast.errors import InputDataError, ParamsError
from plancast.models.store import part_slugs
from plancast.params import parse_params
from plancast.params_sections import ModelSpec

ROOT = Path(__file__).resolve().parents[1]
NON_TF_MODULES = [
    "plancast.data.sample",
    "plancast.data.sample_files",
    "plancast.data.sources",
    "plancast.data.reading",
    "plancast.data.parsing",
    "plancast.data.times",
    "plancast.data.columns",
    "plancast.data.validation",
    "plancast.data.calendar_checks",
    "plancast.data.calendar",
    "plancast.data.merge",
    "plancast.data.ingest",
    "plancast.catalog",
    "plancast.stage",
    "plancast.data.daily",
    "plancast.features.correlation",
    "plancast.features.selection",
    "plancast.features.windows",
    "plancast.features.split",
    "plancast.features.scaling",
    "plancast.features.cold_start",
    "plancast.latest_window",
    "plancast.models.gap_ridge",
    "plancast.params_sections",
    "plancast.params_ingest",
    "plancast.params",
    "plancast.artifacts",
    "plancast.evaluation.metrics",
    "plancast.evaluation.baselines",
    "plancast.reporting.plot_style",
    "plancast.reporting.plots",
    "plancast.reporting.evaluation_plots",
    "plancast.reporting.pr_report",
    "plancast.experiments",
    # ours: TensorFlow only inside their functions
    "plancast.runtime",
    "plancast.models.networks",
    "plancast.models.manifest",
    "plancast.models.engines",
    "plancast.models.trained",
    "plancast.models.store",
    "plancast.models.training",
    "plancast.evaluation.evaluate",
    "plancast.forecasting",
    "plancast.models.onnx",
    # what a Ray worker imports for evaluate's tasks (plancast.cluster imports Ray in its function only)
    "plancast.cluster",
    "plancast.evaluation.backtest",
]
NON_TF_STAGES = [
    "make_sample",
    "ingest",
    "daily_last",
    "correlate",
    "select_features",
    "window",
    "split_scale",
    "train",
    "evaluate",  # importing the stage script: TensorFlow only once main runs
    "forecast",
]


def _spec(*layers: dict, **training) -> ModelSpec:
    return ModelSpec.model_validate({"layers": list(layers), **training})


@pytest.fixture(scope="module")
def keras():
    from plancast.runtime import import_tensorflow

    return import_tensorflow(seed=0)[1]


def test_no_library_module_imports_itself_through_others():
    """The import graph (function-level imports included) has no cycle; in models/ the engines and the
    ONNX exporter stand alone and the store sits above them: store -> networks, manifest, onnx, trained (tabular);
    trained -> engines, manifest, tabular with gap_ridge (a model builds its own context)."""
    from plancast.dvc_yaml import library_closure

    for path in sorted((ROOT / "src" / "plancast").rglob("*.py")):
        assert path.relative_to(ROOT).as_posix() not in library_closure(path), f"{path.name} is in an import cycle"

    def models(name: str) -> set[str]:
        closure = library_closure(ROOT / "src" / "plancast" / "models" / f"{name}.py")
        return {Path(p).stem for p in closure if p.startswith("src/plancast/models/") and not p.endswith("__init__.py")}

    assert models("onnx") == models("engines") == models("manifest") == set()
    assert models("trained") == {"engines", "manifest", "tabular", "gap_ridge"}
    assert models("store") == {"cells", "engines", "manifest", "networks", "onnx", "tabular", "gap_ridge", "trained"}


def test_non_tf_modules_and_stages_import_no_tensorflow_and_no_ray():
    modules = [name for name in NON_TF_MODULES if importlib.util.find_spec(name) is not None]
    stages = [str(ROOT / "stages" / f"{name}.py") for name in NON_TF_STAGES]
    stages = [path for path in stages if Path(path).is_file()]
    assert "plancast.models.networks" in modules and any(path.endswith("train.py") for path in stages)
    script = f"""
import importlib, importlib.util, sys
def check(what):
    leaked = sorted({{"tensorflow", "keras", "ray"}} & set(sys.modules))  # Ray: only under train.backend: ray
    if leaked:
        sys.exit(f"importing {{what}} imported {{leaked}}")
for name in {modules!r}:
    importlib.import_module(name)
    check(name)
for path in {stages!r}:
    spec = importlib.util.spec_from_file_location("stage_under_test", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    check(path)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda layers: layers[0].update(type="transformer"), "models.lstm_gru.layers.0.type"),
        (lambda layers: layers[1].update(units=-3), "models.lstm_gru.layers.1.units"),
        (
            lambda layers: layers[0].update(return_sequences=False),
            "models.lstm_gru.layers.0.return_sequences",
        ),
        (lambda layers: layers[1].update(return_sequences=True), "models.lstm_gru.layers.1.return_sequences"),
    ],
)
def test_schema_names_the_bad_layer_key(change, key):
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    change(raw["models"]["lstm_gru"]["layers"])
    with pytest.raises(ParamsError, match="^" + re.escape(f"params.yaml: {key}: ")):
        parse_params(raw)


def test_part_slugs_are_lowercase_and_unique():
    slugs = part_slugs(["Part 94", "part-94", "###", "global", "Part 95", "Part 94"])
    assert slugs == {
        "###": "part",
        "Part 94": "part_94",
        "Part 95": "part_95",
        "global": "global_2",
        "part-94": "part_94_2",
    }


@pytest.mark.tf
@pytest.mark.parametrize(("layer_type", "class_name"), [("lstm", "LSTM"), ("gru", "GRU"), ("hand_lstm", "PlanLSTM")])
def test_build_network_maps_each_layer_type(keras, layer_type, class_name):
    spec = _spec(
        {"type": layer_type, "units": 3, "activation": "relu", "dropout": 0.1, "return_sequences": True},
        {"type": layer_type, "units": 2},
        loss="mae",
        optimizer="rmsprop",
        learning_rate=0.01,
    )
    from plancast.models.networks import build_network

    network = build_network(spec, lookback=4, features=2, outputs=3)
    recurrent = [layer for layer in network.layers if layer.name.startswith(layer_type)]
    assert [layer.name for layer in recurrent] == [f"{layer_type}_0", f"{layer_type}_1"]
    assert all(type(layer).__name__ == class_name for layer in recurrent)
    first = recurrent[0].cell if layer_type == "hand_lstm" else recurrent[0]
    assert first.units == 3 and first.activation.__name__ == "relu" and first.dropout == pytest.approx(0.1)
    if layer_type == "hand_lstm":
        from plancast.models.cells import PlanLSTMCell

        assert isinstance(recurrent[0].cell, PlanLSTMCell)
    head = network.get_layer("head")
    assert head.units == 3 and head.activation.__name__ == "linear"
    assert network.output_shape == (None, 3) and network.input_shape == (None, 4, 2)
    assert network.loss == "mean_absolute_error"
    assert type(network.optimizer).__name__ == "RMSprop"
    assert float(network.optimizer.learning_rate) == pytest.approx(0.01)


def _trained_like(keras, spec: ModelSpec, seed: int):
    """A built network with distinctive weights (no training needed to test saving)."""
    from plancast.models.networks import build_network

    keras.utils.set_random_seed(seed)
    network = build_network(spec, lookback=3, features=2, outputs=2)
    network.set_weights([w + seed for w in network.get_weights()])
    return network


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _manifest(scope: str, parts: list[str], lookback: int = 3, features: int = 2):
    from plancast.features.scaling import PartScaler, Scalers
    from plancast.models.manifest import Manifest

    scaler = PartScaler(np.zeros(features), np.ones(features), 0.0, 1.0)
    columns = {part: ["target", *(f"h{k}" for k in range(1, features))] for part in parts}
    return Manifest("m", scope, lookback, (1, 3), columns, Scalers("standard", dict.fromkeys(parts, scaler)), {})


@pytest.mark.tf
def test_global_model_saves_and_loads_one_shared_network(keras, tmp_path):
    from plancast.models.store import load_model, read_manifest, save_model

    spec = _spec({"type": "hand_lstm", "units": 3, "dropout": 0.2})
    network = _trained_like(keras, spec, seed=1)
    windows = np.random.default_rng(0).normal(size=(4, 3, 2)).astype("float32")
    manifest = save_model(
        tmp_path / "m", _manifest("global", ["Part 1", "Part 2"]), {"Part 1": network, "Part 2": network}
    )
    assert manifest.weights == {"Part 1": "global.weights.h5", "Part 2": "global.weights.h5"}
    assert manifest.lookback == 3 and manifest.delays == (1, 3) and manifest.columns["Part 1"] == ["target", "h1"]
    assert sorted(_files(tmp_path / "m")) == ["global.weights.h5", "manifest.json", "network.json"]
    assert read_manifest(tmp_path / "m").to_json() == manifest.to_json()
    model = load_model(tmp_path / "m")
    assert model.networks["Part 1"] is model.networks["Part 2"]
    part = np.array(["Part 1", "Part 2", "Part 1", "Part 2"])
    np.testing.assert_allclose(model.predict(windows, part), network.predict(windows, verbose=0), atol=1e-6)


@pytest.mark.tf
def test_per_part_model_round_trips_and_rewrites_byte_identically(keras, tmp_path):
    import h5py

    from plancast.models.store import load_model, save_model

    spec = _spec({"type": "lstm", "units": 2, "return_sequences": True}, {"type": "gru", "units": 2})
    networks = {"Part 94": _trained_like(keras, spec, seed=1), "Part 95": _trained_like(keras, spec, seed=2)}
    networks["Part 94"].fit(np.zeros((2, 3, 2)), np.zeros((2, 2)), verbose=0)  # gives it optimizer state
    manifest = _manifest("per_part", sorted(networks))
    save_model(tmp_path / "a", manifest, networks)
    save_model(tmp_path / "b", manifest, networks)
    first = _files(tmp_path / "a")
    assert sorted(first) == ["manifest.json", "network.json", "part_94.weights.h5", "part_95.weights.h5"]
    assert first == _files(tmp_path / "b")
    with h5py.File(tmp_path / "a" / "part_94.weights.h5", "r") as weights:
        assert "optimizer" not in weights  # inference weights only

    loaded = load_model(tmp_path / "a")
    assert loaded.manifest.weights == {"Part 94": "part_94.weights.h5", "Part 95": "part_95.weights.h5"}
    windows = np.random.default_rng(1).normal(size=(3, 3, 2)).astype("float32")
    for part, network in networks.items():
        got = loaded.predict_scaled(windows, np.array([part] * 3))
        np.testing.assert_allclose(got, network.predict(windows, verbose=0), atol=1e-6)
    assert loaded.networks["Part 94"] is not loaded.networks["Part 95"]

    # Saving again with another scope leaves no stale per-part files behind.
    save_model(tmp_path / "a", _manifest("global", sorted(networks)), dict.fromkeys(networks, networks["Part 94"]))
    assert sorted(_files(tmp_path / "a")) == ["global.weights.h5", "manifest.json", "network.json"]
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".")]


@pytest.mark.tf
def test_load_model_names_the_missing_file(keras, tmp_path):
    from plancast.models.store import load_model, save_model

    with pytest.raises(InputDataError, match=r"manifest\.json: not found"):
        load_model(tmp_path / "nothing")
    network = _trained_like(keras, _spec({"type": "gru", "units": 2}), seed=3)
    save_model(tmp_path / "m", _manifest("per_part", ["P"]), {"P": network})
    (tmp_path / "m" / "p.weights.h5").unlink()
    with pytest.raises(InputDataError, match=r"p\.weights\.h5: weights file named in manifest\.json is missing"):
        load_model(tmp_path / "m")


def test_part_slugs_are_bounded_and_collision_free_for_long_names():
    long_a, long_b = "x" * 300, "x" * 299 + "y"
    slugs = part_slugs([long_a, long_b, "Part 1"])
    assert all(len(slug) <= 48 for slug in slugs.values())
    assert len(set(slugs.values())) == 3 and slugs["Part 1"] == "part_1"


def test_reference_is_the_latest_plan_else_the_last_value():
    from plancast.models.trained import reference_forecast

    plan = np.array([[5.0, np.nan], [7.0, 8.0]])
    inputs = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])
    np.testing.assert_array_equal(reference_forecast(plan, inputs), [[5.0, 2.0], [7.0, 8.0]])


def test_residual_splits_hold_the_scaled_correction_that_to_raw_adds_back():
    from plancast.features.scaling import PartScaler, Scalers
    from plancast.features.splits import Split, Splits
    from plancast.features.windows import Windows
    from plancast.models.trained import TrainedModel, reference_forecast, residual_splits

    # Two parts with different scalers; window 1 has no plan for delay 2 (the last value stands in).
    targets = np.array([[12.0, 14.0], [30.0, 33.0], [50.0, 45.0]])
    plan = np.array([[10.0, 15.0], [28.0, np.nan], [np.nan, 40.0]])
    inputs = np.array([[[9.0], [11.0]], [[25.0], [27.0]], [[44.0], [48.0]]])
    part = np.array(["A", "A", "B"])
    windows = Windows(inputs, targets, plan, part, np.arange(3), np.arange(3), np.array([1, 2]),
                      np.array(["target"]), np.arange(3))  # fmt: skip
    scalers = Scalers("standard", {"A": PartScaler(np.zeros(1), np.ones(1), 20.0, 5.0),
                                   "B": PartScaler(np.zeros(1), np.ones(1), 40.0, 10.0)})  # fmt: skip
    level = scalers.targets(targets, part).astype(np.float32)
    splits = Splits(Split(inputs[:2], level[:2], np.array([0, 1])), Split(inputs[2:], level[2:], np.array([2])),
                    Split(inputs[:0], level[:0], np.array([], np.int64)))  # fmt: skip
    residual = residual_splits(splits, windows, scalers)

    np.testing.assert_allclose(residual.train.targets, [[0.4, -0.2], [0.4, 1.2]], atol=1e-6)
    np.testing.assert_allclose(residual.val.targets, [[0.2, 0.5]], atol=1e-6)
    assert residual.train.targets.dtype == np.float32 and residual.test.targets.shape == (0, 2)
    assert residual.train.inputs is splits.train.inputs
    np.testing.assert_array_equal(residual.val.window, splits.val.window)

    class Echo:  # a "network" that outputs exactly the residual training targets
        def predict_batch(self, batch):
            return np.concatenate([residual.train.targets, residual.val.targets])

    manifest = _manifest("global", ["A", "B"], lookback=2, features=1)
    manifest = type(manifest)(**{**manifest.__dict__, "delays": (1, 2), "scalers": scalers, "target": "residual"})
    echo = Echo()
    model = TrainedModel.of(manifest, {"A": echo, "B": echo})
    reference = reference_forecast(windows.plan, windows.inputs)
    np.testing.assert_allclose(model.to_raw(model.predict_scaled(inputs, part), part, reference), targets, atol=1e-4)


def test_a_residual_model_adds_its_output_to_the_scaled_reference():
    from plancast.models.trained import TrainedModel

    class Zero:
        def predict_batch(self, inputs):
            return np.zeros((len(inputs), 1))

    manifest = _manifest("global", ["P"])
    level = TrainedModel.of(manifest, {"P": Zero()})
    residual = TrainedModel.of(type(manifest)(**{**manifest.__dict__, "target": "residual"}), {"P": Zero()})
    inputs, part, reference = np.zeros((2, 3, 2)), np.array(["P", "P"]), np.array([[10.0], [20.0]])
    np.testing.assert_array_equal(level.predict(inputs, part, reference), [[0.0], [0.0]])
    np.testing.assert_array_equal(residual.predict(inputs, part, reference), [[10.0], [20.0]])
    with pytest.raises(ValueError, match="residual"):
        residual.predict(inputs, part)


@pytest.mark.tf
def test_a_non_linear_head_sits_between_the_context_and_the_output(keras, tmp_path):
    from plancast.models.manifest import Manifest
    from plancast.models.networks import build_network
    from plancast.models.store import load_model, save_model

    keras.utils.set_random_seed(4)
    spec = _spec({"type": "gru", "units": 3}, head=[5, 4])
    network = build_network(spec, lookback=3, features=2, outputs=2, context=6)
    names = [layer.name for layer in network.layers]
    assert names[-4:] == ["with_context", "head_hidden_0", "head_hidden_1", "head"]
    assert network.get_layer("head_hidden_0").get_config()["units"] == 5
    assert network.get_layer("head").get_config()["activation"] == "linear"
    linear = build_network(_spec({"type": "gru", "units": 3}), lookback=3, features=2, outputs=2, context=6)
    assert not any(name.startswith("head_hidden") for name in (layer.name for layer in linear.layers))
    manifest = Manifest(**{**_manifest("global", ["A"]).__dict__, "context": ("vintages",), "max_horizon": 12})
    save_model(tmp_path / "m", manifest, {"A": network})
    loaded = load_model(tmp_path / "m")
    rng = np.random.default_rng(5)
    windows, context = rng.normal(size=(3, 3, 2)).astype("float32"), rng.normal(size=(3, 6)).astype("float32")
    np.testing.assert_allclose(
        loaded.predict_scaled(windows, np.array(["A"] * 3), context),
        network.predict([windows, context], verbose=0),
        atol=1e-6,
    )


def test_a_head_width_must_be_positive():
    with pytest.raises(ValueError, match="head"):
        _spec({"type": "gru", "units": 3}, head=[0])


@pytest.mark.tf
def test_a_model_with_a_context_input_round_trips_in_safe_mode(keras, tmp_path):
    from plancast.models.manifest import Manifest
    from plancast.models.networks import build_network
    from plancast.models.store import load_model, save_model

    keras.utils.set_random_seed(4)
    network = build_network(_spec({"type": "lstm", "units": 3}), lookback=3, features=2, outputs=2, context=5)
    base = _manifest("global", ["A", "B"])
    manifest = Manifest(**{**base.__dict__, "context": ("vintages", "flags"), "max_horizon": 12})
    save_model(tmp_path / "m", manifest, {"A": network, "B": network})
    loaded = load_model(tmp_path / "m")
    assert loaded.manifest.context == ("vintages", "flags") and loaded.manifest.max_horizon == 12
    rng = np.random.default_rng(2)
    windows, context = rng.normal(size=(4, 3, 2)).astype("float32"), rng.normal(size=(4, 5)).astype("float32")
    part = np.array(["A", "B", "A", "B"])
    want = network.predict([windows, context], verbose=0)
    np.testing.assert_allclose(loaded.predict_scaled(windows, part, context), want, atol=1e-6)
    with pytest.raises(ValueError, match="recursive"):
        loaded.predict_recursive(windows[:, :, :1], part, 2)


def test_the_gap_channel_zeroes_missing_values_and_marks_each_step():
    from plancast.models.engines import with_gap_channel

    nan = np.nan
    inputs = np.array([[[0.5, 2.0], [nan, nan], [1.5, nan]]], np.float32)  # a missing day, a missing plan
    read = with_gap_channel(inputs)
    np.testing.assert_array_equal(read, [[[0.5, 2.0, 1.0], [0.0, 0.0, 0.0], [1.5, 0.0, 0.0]]])
    assert read.dtype == np.float32
    np.testing.assert_array_equal(with_gap_channel(np.ones((2, 3, 1))), np.ones((2, 3, 2)))


def test_the_reference_skips_missing_days_to_the_last_known_value():
    from plancast.models.trained import reference_forecast

    nan = np.nan
    plan = np.array([[5.0, nan], [nan, nan], [nan, 6.0]])
    inputs = np.array([[[1.0], [nan]], [[nan], [nan]], [[3.0], [4.0]]])  # window 1 knows no target
    np.testing.assert_array_equal(reference_forecast(plan, inputs), [[5.0, 1.0], [nan, nan], [4.0, 6.0]])


def test_a_residual_pair_without_a_reference_has_a_nan_target():
    from plancast.features.scaling import PartScaler, Scalers
    from plancast.features.splits import Split, Splits
    from plancast.features.windows import Windows
    from plancast.models.trained import residual_splits

    nan = np.nan
    inputs = np.array([[[nan], [nan]], [[2.0], [nan]]])
    targets, plan = np.array([[3.0, 4.0], [5.0, nan]]), np.array([[nan, 1.0], [nan, nan]])
    windows = Windows(inputs, targets, plan, np.array(["A", "A"]), np.arange(2), np.arange(2), np.array([1, 2]),
                      np.array(["target"]), np.arange(2))  # fmt: skip
    scalers = Scalers("standard", {"A": PartScaler(np.zeros(1), np.ones(1), 0.0, 1.0)})
    split = Split(inputs.astype(np.float32), targets.astype(np.float32), np.array([0, 1]))
    empty = Split(inputs[:0], targets[:0], np.array([], np.int64))
    residual = residual_splits(Splits(split, empty, empty), windows, scalers)
    # window 0: no plan for delay 1 and no known value; window 1: the last known value 2, a missing target
    np.testing.assert_array_equal(residual.train.targets, [[nan, 3.0], [3.0, nan]])


def test_the_manifest_writes_the_gap_channel_only_when_the_model_has_one(tmp_path):
    from plancast.models.manifest import Manifest
    from plancast.models.store import MANIFEST_FILE, read_manifest

    plain = _manifest("global", ["A"])
    assert "gap_channel" not in plain.to_json()  # a model trained without gaps: the manifest it always had
    assert Manifest.from_json(plain.to_json()).gap_channel is False
    gaps = Manifest(**{**plain.__dict__, "gap_channel": True})
    assert gaps.to_json()["gap_channel"] is True and Manifest.from_json(gaps.to_json()).gap_channel is True
    (tmp_path / MANIFEST_FILE).write_text(json.dumps({**gaps.to_json(), "gap_channel": "yes"}))
    with pytest.raises(InputDataError, match=r"manifest\.json: not a plancast model manifest .*gap_channel"):
        read_manifest(tmp_path)


def test_a_gap_channel_model_reads_missing_days_through_the_channel():
    from plancast.models.trained import TrainedModel

    seen = []

    class Record:  # a "network" that keeps what it was given
        def predict_batch(self, inputs):
            seen.append(inputs)
            return np.zeros((len(inputs), 2))

    base = _manifest("global", ["P"])
    inputs, part = np.full((1, 3, 2), 2.0), np.array(["P"])
    inputs[0, 1, 1] = np.nan
    TrainedModel.of(base, {"P": Record()}).predict(inputs, part)
    TrainedModel.of(type(base)(**{**base.__dict__, "gap_channel": True}), {"P": Record()}).predict(inputs, part)
    assert seen[0].shape == (1, 3, 2) and np.isnan(seen[0][0, 1, 1])  # without the channel, as it always was
    np.testing.assert_array_equal(seen[1][0], [[2.0, 2.0, 1.0], [2.0, 0.0, 0.0], [2.0, 2.0, 1.0]])


def test_a_gap_channel_model_forecasts_recursively_through_the_channel():
    from plancast.models.trained import TrainedModel

    seen = []

    class Record:  # a "network" that keeps what it was given and forecasts 3
        def predict_batch(self, inputs, context=None):
            seen.append(inputs.copy())
            return np.full((len(inputs), 1), 3.0)

    base = _manifest("global", ["P"], features=1)
    model = TrainedModel.of(type(base)(**{**base.__dict__, "gap_channel": True}), {"P": Record()})
    window = np.array([[[1.0], [np.nan], [2.0]]])
    np.testing.assert_array_equal(model.predict_recursive(window, np.array(["P"]), 2), [[3.0, 3.0]])
    np.testing.assert_array_equal(seen[0][0], [[1.0, 1.0], [0.0, 0.0], [2.0, 1.0]])
    np.testing.assert_array_equal(seen[1][0], [[0.0, 0.0], [2.0, 1.0], [3.0, 1.0]])  # the forecast fed back, known
