import importlib.util

import numpy as np
import pytest

from plancast.models.networks import KerasNetwork
from plancast.models.onnx import OnnxNetwork, export_onnx, onnx_networks

pytestmark = pytest.mark.tf

LOOKBACK, FEATURES = 6, 2


def _network(kind: str):
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow(11)
    layers = keras.layers
    recurrent = {
        "lstm": lambda: [layers.LSTM(5)],
        "lstm_sigmoid": lambda: [layers.LSTM(5, activation="sigmoid")],
        "gru": lambda: [layers.GRU(5)],
        "lstm_gru": lambda: [layers.LSTM(5, return_sequences=True), layers.GRU(4)],
        "hand_lstm": lambda: _hand_lstm_layers(),
    }[kind]()
    return keras.Sequential([keras.Input((LOOKBACK, FEATURES)), *recurrent, layers.Dense(2)])


def _hand_lstm_layers():
    from plancast.models.cells import hand_lstm_layer

    return [
        hand_lstm_layer(4, activation="relu", dropout=0.2, return_sequences=True, name="hand_1"),
        hand_lstm_layer(4, activation="relu", dropout=0.2, name="hand_2"),
    ]


KINDS = [
    "lstm",
    "lstm_sigmoid",
    "gru",
    "lstm_gru",
    pytest.param(
        "hand_lstm",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("plancast.models.cells") is None, reason="no plancast.models.cells"
        ),
    ),
]


@pytest.mark.parametrize("kind", KINDS)
def test_onnx_runtime_matches_keras(kind, tmp_path):
    model = _network(kind)
    export_onnx(model, tmp_path / "model.onnx")  # before any call: a freshly loaded model is never called
    onnx_network, keras_network = OnnxNetwork(tmp_path / "model.onnx"), KerasNetwork(model)
    inputs = np.random.default_rng(0).normal(size=(7, LOOKBACK, FEATURES))
    for batch in (inputs, inputs[:1]):  # the batch size stays free
        np.testing.assert_allclose(onnx_network.predict_batch(batch), keras_network.predict_batch(batch), atol=1e-5)


def test_recursive_forecast_agrees_between_engines(tmp_path):
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow(5)
    model = keras.Sequential([keras.Input((LOOKBACK, 1)), keras.layers.LSTM(5), keras.layers.Dense(1)])
    export_onnx(model, tmp_path / "model.onnx")
    window = np.random.default_rng(2).normal(size=(3, LOOKBACK, 1))
    gain, shift = np.array([1.0, 0.5, 2.0]), np.array([0.0, 0.1, -0.3])
    expected = KerasNetwork(model).predict_recursive(window, gain, shift, 20)
    got = OnnxNetwork(tmp_path / "model.onnx").predict_recursive(window, gain, shift, 20)
    assert got.shape == (3, 20)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_two_exports_of_one_model_are_byte_identical(tmp_path):
    model = _network("lstm_gru")
    export_onnx(model, tmp_path / "a.onnx")
    export_onnx(model, tmp_path / "b.onnx")
    assert (tmp_path / "a.onnx").read_bytes() == (tmp_path / "b.onnx").read_bytes()


def test_onnx_networks_exports_every_network_of_a_model(tmp_path):
    shared = _network("gru")
    models = {"Part 1": _network("gru"), "Part/2": shared, "Part 3": shared}
    opened = onnx_networks(models, tmp_path)
    assert sorted(opened) == ["Part 1", "Part 3", "Part/2"]
    # the network shared by parts 2 and 3 is exported once, under the first of its keys
    assert sorted(path.name for path in tmp_path.iterdir()) == ["000-Part_1.onnx", "001-Part_3.onnx"]
    assert opened["Part 3"] is opened["Part/2"]
    inputs = np.zeros((2, LOOKBACK, FEATURES))
    for key, model in models.items():
        np.testing.assert_allclose(
            opened[key].predict_batch(inputs), KerasNetwork(model).predict_batch(inputs), atol=1e-5
        )
    in_memory = onnx_networks({"global": models["Part 1"]})  # no folder: files removed, sessions kept
    np.testing.assert_allclose(in_memory["global"].predict_batch(inputs), opened["Part 1"].predict_batch(inputs))


def test_a_network_with_a_context_input_agrees_between_engines(tmp_path):
    from plancast.models.networks import build_network
    from plancast.params import ModelSpec
    from plancast.runtime import import_tensorflow

    import_tensorflow(5)
    spec = ModelSpec.model_validate({"layers": [{"type": "gru", "units": 4}], "head": [6]})  # a non-linear head
    model = build_network(spec, LOOKBACK, FEATURES, outputs=2, context=7)
    assert model.get_layer("head_hidden_0").get_config()["activation"] == "relu"
    assert [tuple(shape) for shape in model.input_shape] == [(None, LOOKBACK, FEATURES), (None, 7)]
    export_onnx(model, tmp_path / "model.onnx")
    rng = np.random.default_rng(3)
    inputs, context = rng.normal(size=(5, LOOKBACK, FEATURES)), rng.normal(size=(5, 7))
    got = OnnxNetwork(tmp_path / "model.onnx").predict_batch(inputs, context)
    want = KerasNetwork(model).predict_batch(inputs, context)
    np.testing.assert_allclose(got, want, atol=1e-5)
    # the context matters: other plans, other forecasts
    assert not np.allclose(KerasNetwork(model).predict_batch(inputs, context + 1.0), want)


def test_an_export_takes_every_input_the_keras_model_has(tmp_path):
    # networks may take a second input beside the window (plan-vintage context): the file keeps both
    import onnxruntime

    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow(3)
    windows, context = keras.Input((LOOKBACK, FEATURES), name="windows"), keras.Input((2, 3), name="context")
    hidden = keras.layers.Concatenate()([keras.layers.LSTM(4)(windows), keras.layers.Flatten()(context)])
    model = keras.Model([windows, context], keras.layers.Dense(2)(hidden))
    export_onnx(model, tmp_path / "model.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [value.name for value in session.get_inputs()] == ["windows", "context"]
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(5, LOOKBACK, FEATURES)).astype(np.float32), rng.normal(size=(5, 2, 3)).astype(np.float32)
    got = session.run(None, {"windows": a, "context": b})[0]
    np.testing.assert_allclose(got, model.predict_on_batch([a, b]), atol=1e-5)


def test_write_onnx_exports_each_weights_file_of_a_model_folder_byte_stably(tmp_path):
    from plancast.features.scaling import PartScaler, Scalers
    from plancast.models.networks import Manifest, save_model
    from plancast.models.onnx import write_onnx
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow(6)

    def network():
        windows = keras.Input((LOOKBACK, FEATURES), name="windows")
        return keras.Model(windows, keras.layers.Dense(2)(keras.layers.GRU(3)(windows)))

    parts = {"P1": network(), "P 2": network()}
    scaler = PartScaler(np.zeros(FEATURES), np.ones(FEATURES), 0.0, 1.0)
    columns = {part: ["target", "h1"] for part in parts}
    manifest = Manifest(
        "m", "per_part", LOOKBACK, (1, 2), columns, Scalers("standard", dict.fromkeys(parts, scaler)), {}
    )
    save_model(tmp_path / "m", manifest, parts)
    written = write_onnx(tmp_path / "m")
    assert sorted(path.name for path in written) == ["p1.onnx", "p_2.onnx"]  # beside p1.weights.h5, p_2.weights.h5
    first = {path.name: path.read_bytes() for path in written}
    assert {path.name: path.read_bytes() for path in write_onnx(tmp_path / "m")} == first
    inputs = np.random.default_rng(1).normal(size=(3, LOOKBACK, FEATURES))
    for part, file in (("P1", "p1.onnx"), ("P 2", "p_2.onnx")):
        np.testing.assert_allclose(
            OnnxNetwork(tmp_path / "m" / file).predict_batch(inputs),
            KerasNetwork(parts[part]).predict_batch(inputs),
            atol=1e-5,
        )


def test_load_model_on_onnx_runs_trains_files_without_tensorflow_and_names_a_missing_one(tmp_path):
    import subprocess
    import sys

    from plancast.errors import InputDataError
    from plancast.features.scaling import PartScaler, Scalers
    from plancast.models.networks import Manifest, load_model, save_model
    from plancast.models.onnx import write_onnx
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow(8)
    windows = keras.Input((LOOKBACK, FEATURES), name="windows")
    network = keras.Model(windows, keras.layers.Dense(2)(keras.layers.LSTM(3)(windows)))
    scaler = PartScaler(np.zeros(FEATURES), np.ones(FEATURES), 0.0, 1.0)
    manifest = Manifest(
        "m", "global", LOOKBACK, (1, 2), {"P1": ["target", "h1"]}, Scalers("standard", {"P1": scaler}), {}
    )
    save_model(tmp_path / "m", manifest, {"global": network})
    write_onnx(tmp_path / "m")
    inputs = np.random.default_rng(2).normal(size=(4, LOOKBACK, FEATURES))
    np.save(tmp_path / "inputs.npy", inputs)
    want = load_model(tmp_path / "m", "keras").predict_scaled(inputs, np.array(["P1"] * 4))
    script = f"""
import sys
import numpy as np
from plancast.models.networks import load_model
model = load_model({str(tmp_path / "m")!r}, "onnx")
got = model.predict_scaled(np.load({str(tmp_path / "inputs.npy")!r}), np.array(["P1"] * 4))
assert not {{"tensorflow", "keras"}} & set(sys.modules), "TensorFlow imported"
np.save({str(tmp_path / "got.npy")!r}, got)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_allclose(np.load(tmp_path / "got.npy"), want, atol=1e-5)

    (tmp_path / "m" / "global.onnx").unlink()
    with pytest.raises(InputDataError, match=r"global\.onnx: not found \(rerun `dvc repro train@m`\)"):
        load_model(tmp_path / "m", "onnx")
