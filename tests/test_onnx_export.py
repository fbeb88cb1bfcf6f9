import importlib.util

import numpy as np
import pytest

from plancast.models.engines import KerasNetwork, Recursion, recursive_forecast, step_by_step
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
    from plancast.models.cells import PlanLSTM

    return [
        PlanLSTM(4, activation="relu", dropout=0.2, return_sequences=True, name="hand_1"),
        PlanLSTM(4, activation="relu", dropout=0.2, name="hand_2"),
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
    recursion = Recursion(window, gain, shift, 20)
    expected = recursive_forecast(KerasNetwork(model), recursion)  # Keras' XLA graph
    got = recursive_forecast(OnnxNetwork(tmp_path / "model.onnx"), recursion)  # step_by_step
    assert got.shape == (3, 20)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # the one numpy loop over Keras' predict_batch is the XLA graph's loop
    np.testing.assert_allclose(step_by_step(KerasNetwork(model), recursion), expected, atol=1e-5)


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
    from plancast.params_sections import ModelSpec
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
    from plancast.models.manifest import Manifest
    from plancast.models.store import save_model, write_onnx
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
    from plancast.models.manifest import Manifest
    from plancast.models.store import load_model, save_model, write_onnx
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
from plancast.models.store import load_model
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


@pytest.mark.parametrize("residual", [False, True])
def test_a_seasonal_recursive_forecast_follows_the_profile_step_by_step(residual, tmp_path):
    """A network whose second input is the season profile: both engines' loops equal a plain step-by-step
    loop that recomputes the profile from the series with each forecast appended, and the first step's
    profile is the one training computed (season_profile)."""
    import pandas as pd

    from plancast.features.vintages import phases, season_profile
    from plancast.models.engines import season_history
    from plancast.models.networks import build_network
    from plancast.params_sections import ModelSpec

    period, seasons, steps = 3, 2, 7
    spec = ModelSpec.model_validate({"layers": [{"type": "lstm", "units": 3}], "epochs": 1})
    network = build_network(spec, lookback=4, features=1, outputs=1, context=1)
    export_onnx(network, tmp_path / "model.onnx")
    series = np.random.default_rng(3).normal(size=(2, 20))
    series[1, 14] = np.nan  # a gap among the same-phase values the profile averages: skipped
    history = season_history(series, period, seasons)
    ones, zeros = np.ones(2), np.zeros(2)
    window = series[:, -4:, None].astype(np.float32)

    def next_profile(values):  # the mean of the last `seasons` known values at the next step's phase
        same = [row[len(row) % period :: period] for row in values]
        return np.array([s[np.isfinite(s)][-seasons:].mean() for s in same], np.float32)

    extended, want, step_window = series.copy(), [], window.copy()
    for _ in range(steps):
        profile = next_profile(extended)
        out = KerasNetwork(network).predict_batch(step_window, profile[:, None])[:, 0] + (profile if residual else 0)
        want.append(out)
        extended = np.concatenate([extended, out[:, None]], axis=1)
        step_window = np.concatenate([step_window[:, 1:], out[:, None, None].astype(np.float32)], axis=1)
    want = np.stack(want, axis=1)
    recursion = Recursion(window, ones, zeros, steps, history, residual)
    keras_got = recursive_forecast(KerasNetwork(network), recursion)
    onnx_got = recursive_forecast(OnnxNetwork(tmp_path / "model.onnx"), recursion)
    numpy_got = step_by_step(KerasNetwork(network), recursion)
    np.testing.assert_allclose(keras_got, want, atol=1e-5)
    np.testing.assert_allclose(onnx_got, want, atol=1e-5)
    np.testing.assert_allclose(numpy_got, want, atol=1e-5)

    # The first step's profile is training's: season_profile of the next step (20) at the last row (19).
    daily = pd.DataFrame({"part": np.repeat(["a", "b"], 20), "day": np.tile(np.arange(20), 2),
                          "position": np.tile(np.arange(20), 2), "present": np.isfinite(series).ravel(),
                          "target": np.nan_to_num(series).ravel()})  # fmt: skip
    first = season_profile(daily, np.array(["a", "b"]), np.array([19, 19]), phases(np.full((2, 1), 20), period),
                           period, seasons)  # fmt: skip
    np.testing.assert_allclose(first[:, 0], next_profile(series), rtol=1e-6)
    assert np.isfinite(series[1, 11]) and not np.isfinite(series[1, 14])  # b's mean reaches past its gap


def test_a_residual_recursive_forecast_without_profile_corrects_the_last_value(tmp_path):
    """A plain series' residual network: each step's ŷ is the output plus the window's last value in
    target units ((input - shift) / gain), in both engines."""
    from plancast.models.networks import build_network
    from plancast.params_sections import ModelSpec

    spec = ModelSpec.model_validate({"layers": [{"type": "gru", "units": 3}], "epochs": 1})
    network = build_network(spec, lookback=4, features=1, outputs=1)
    export_onnx(network, tmp_path / "model.onnx")
    window = np.random.default_rng(4).normal(size=(2, 4, 1)).astype(np.float32)
    gain, shift = np.array([2.0, 0.5]), np.array([0.25, -1.0])
    want, step_window = [], window.copy()
    for _ in range(6):
        last = (step_window[:, -1, 0] - shift) / gain
        out = KerasNetwork(network).predict_batch(step_window)[:, 0] + last
        want.append(out)
        step_window = np.concatenate([step_window[:, 1:], (out * gain + shift)[:, None, None].astype(np.float32)], 1)
    want = np.stack(want, axis=1)
    for engine in KerasNetwork(network), OnnxNetwork(tmp_path / "model.onnx"):
        np.testing.assert_allclose(
            recursive_forecast(engine, Recursion(window, gain, shift, 6, residual=True)), want, atol=1e-5
        )


@pytest.mark.parametrize("residual", [False, True])
def test_a_recursive_forecast_reads_missing_days_through_the_gap_channel(residual, tmp_path):
    """A gap-channel network's recursion: the window's missing days go in as 0 with the channel at 0,
    each forecast fed back as a known day; a residual network corrects the last known value. Both
    engines' loops equal a plain loop over with_gap_channel."""
    from plancast.models.engines import with_gap_channel
    from plancast.models.networks import build_network
    from plancast.params_sections import ModelSpec

    spec = ModelSpec.model_validate({"layers": [{"type": "lstm", "units": 3}], "epochs": 1})
    network = build_network(spec, lookback=4, features=2, outputs=1)  # the target and its gap channel
    export_onnx(network, tmp_path / "model.onnx")
    window = np.random.default_rng(6).normal(size=(3, 4, 1)).astype(np.float32)
    window[0, 1], window[1, -1], window[2, -2:] = np.nan, np.nan, np.nan
    gain, shift = np.array([2.0, 0.5, 1.0]), np.array([0.25, -1.0, 0.0])
    want, step_window = [], window.copy()
    for _ in range(5):
        out = KerasNetwork(network).predict_batch(with_gap_channel(step_window))[:, 0]
        if residual:
            newest = np.array([row[np.isfinite(row)][-1] for row in step_window[:, :, 0]])
            out = out + (newest - shift) / gain
        want.append(out)
        step_window = np.concatenate([step_window[:, 1:], (out * gain + shift)[:, None, None].astype(np.float32)], 1)
    want = np.stack(want, axis=1)
    recursion = Recursion(window, gain, shift, 5, residual=residual, gap_channel=True)
    assert np.isfinite(want).all()
    for engine in KerasNetwork(network), OnnxNetwork(tmp_path / "model.onnx"):
        np.testing.assert_allclose(recursive_forecast(engine, recursion), want, atol=1e-5)
    np.testing.assert_allclose(step_by_step(KerasNetwork(network), recursion), want, atol=1e-5)
