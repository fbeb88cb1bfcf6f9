"""The hand-written LSTM cell: same numbers as Keras' LSTM, it learns, it saves, dropout only in training,
the same trained weights whatever the thread count."""

from __future__ import annotations

import doctest
import importlib.util
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.tf

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def keras():
    from plancast.runtime import import_tensorflow

    return import_tensorflow(seed=0)[1]


@pytest.fixture(scope="module")
def cells(keras):
    import plancast.models.cells

    return plancast.models.cells


def _windows(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_outputs_equal_keras_lstm_with_copied_weights(keras, cells, activation, return_sequences):
    windows = _windows((8, 6, 3))
    reference = keras.layers.LSTM(5, activation=activation, return_sequences=return_sequences)
    ours = cells.PlanLSTM(5, activation=activation, return_sequences=return_sequences)
    reference(windows)
    ours(windows)
    # Random weights, not the initial ones, so every gate block (and the forget bias) matters.
    weights = [w + 0.3 * _windows(w.shape, seed=i + 1) for i, w in enumerate(reference.get_weights())]
    reference.set_weights(weights)
    ours.set_weights(weights)
    expected = np.asarray(reference(windows))
    got = np.asarray(ours(windows))
    assert got.shape == ((8, 6, 5) if return_sequences else (8, 5))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_weights_have_keras_layout_and_forget_bias_one(keras, cells):
    layer = cells.PlanLSTM(4, name="rec")
    layer(_windows((2, 3, 7)))
    cell = layer.cell
    assert isinstance(layer, cells.PlanLSTM) and isinstance(cell, cells.PlanLSTMCell)
    assert not isinstance(cell, keras.layers.LSTMCell)
    assert cell.name == "rec_cell"
    assert [tuple(w.shape) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)] == [
        (7, 16),
        (4, 16),
        (16,),
    ]
    np.testing.assert_array_equal(np.asarray(cell.bias), [0] * 4 + [1] * 4 + [0] * 8)


def test_one_step_matches_gate_equations_by_hand(keras, cells):
    cell = cells.PlanLSTMCell(1)
    cell.build((None, 1))
    # kernel, recurrent kernel, bias per gate (input, forget, cell, output)
    cell.set_weights([np.array([[1.0, 2.0, 3.0, 4.0]]), np.array([[0.5, 0.5, 0.5, 0.5]]), np.zeros(4)])
    h, (h_state, c) = cell(np.array([[1.0]], "float32"), [np.array([[2.0]], "float32"), np.array([[1.0]], "float32")])

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    i, f, g, o = sigmoid(1 + 1), sigmoid(2 + 1), np.tanh(3 + 1), sigmoid(4 + 1)
    c_expected = f * 1.0 + i * g
    np.testing.assert_allclose(np.asarray(c), [[c_expected]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(h), [[o * np.tanh(c_expected)]], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(h), np.asarray(h_state))


def test_loss_falls_on_a_toy_problem(keras, cells):
    keras.utils.set_random_seed(1)
    windows = _windows((64, 5, 1), seed=3)
    targets = windows[:, -1, :]  # remember the last value
    model = keras.Sequential([keras.Input((5, 1)), cells.PlanLSTM(4), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    loss = model.fit(windows, targets, epochs=8, batch_size=16, verbose=0, shuffle=False).history["loss"]
    assert loss[-1] < 0.5 * loss[0]


def test_get_config_round_trips(keras, cells):
    cell = cells.PlanLSTMCell(
        3, activation="relu", recurrent_activation="hard_sigmoid", dropout=0.1, recurrent_dropout=0.2, seed=7
    )
    config = cell.get_config()
    assert {"units", "activation", "recurrent_activation", "dropout", "recurrent_dropout", "seed"} <= set(config)
    assert cells.PlanLSTMCell.from_config(config).get_config() == config
    serialized = keras.saving.serialize_keras_object(cell)
    assert serialized["registered_name"] == "plancast>PlanLSTMCell"
    revived = keras.saving.deserialize_keras_object(serialized, safe_mode=True)
    assert isinstance(revived, cells.PlanLSTMCell) and revived.get_config() == config


def test_saved_model_loads_in_safe_mode_without_custom_objects(keras, cells, tmp_path):
    model = keras.Sequential(
        [keras.Input((4, 2)), cells.PlanLSTM(3, activation="relu", dropout=0.2), keras.layers.Dense(1)]
    )
    windows = _windows((5, 4, 2))
    path = tmp_path / "hand.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded.layers[0].cell, cells.PlanLSTMCell)
    np.testing.assert_array_equal(np.asarray(loaded(windows)), np.asarray(model(windows)))


def _gate_free_layer(cells, **dropout):
    """A layer whose hidden state is zero unless its (single) input feature gets through."""
    layer = cells.PlanLSTM(2, return_sequences=True, **dropout)
    layer(_windows((1, 1, 1)))
    # Input drives only the candidate g; with input 0, g = tanh(0) = 0, so c and h stay 0.
    kernel = np.array([[0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0]])
    layer.set_weights([kernel, np.full((2, 8), 0.1), np.zeros(8)])
    return layer


def test_dropout_masks_act_only_in_training_and_once_per_sequence(keras, cells):
    layer = _gate_free_layer(cells, dropout=0.5)
    windows = np.ones((200, 6, 1), "float32")
    inference = np.asarray(layer(windows, training=False))
    assert np.all(inference != 0)
    np.testing.assert_array_equal(inference, np.asarray(layer(windows)))

    trained = np.asarray(layer(windows, training=True))
    zero_steps = np.all(trained == 0, axis=2)  # (windows, lookback): the input was dropped
    # One mask per sequence: a window's input is dropped at every step or at none.
    assert np.all(zero_steps.all(axis=1) | ~zero_steps.any(axis=1))
    dropped = zero_steps.all(axis=1).mean()
    assert 0.3 < dropped < 0.7
    # Kept inputs are scaled by 1 / (1 - rate), so their outputs differ from inference too.
    kept = ~zero_steps.all(axis=1)
    assert np.all(trained[kept] != inference[kept])


def test_recurrent_dropout_spares_the_first_step(keras, cells):
    layer = _gate_free_layer(cells, recurrent_dropout=0.5)
    windows = np.ones((50, 4, 1), "float32")
    inference = np.asarray(layer(windows, training=False))
    trained = np.asarray(layer(windows, training=True))
    # Step 1 sees h = 0, which no mask changes; later steps see a masked h.
    np.testing.assert_allclose(trained[:, 0], inference[:, 0], rtol=1e-6)
    assert np.any(np.abs(trained[:, 1:] - inference[:, 1:]) > 1e-4)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"units": 0}, "units"),
        ({"units": 2, "dropout": 1.0}, "dropout"),
        ({"units": 2, "recurrent_dropout": -0.1}, "recurrent_dropout"),
    ],
)
@pytest.mark.parametrize("layer", ["PlanLSTMCell", "PlanLSTM"])
def test_invalid_arguments_are_refused(cells, arguments, message, layer):
    with pytest.raises(ValueError, match=message):
        getattr(cells, layer)(**arguments)


def test_module_uses_only_public_keras(cells):
    source = inspect.getsource(cells)
    assert "keras.src" not in source and "from keras" not in source


def test_docstring_examples_run(cells):
    results = doctest.testmod(cells, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted >= 6
    assert results.failed == 0


def test_initial_state_is_zeros_of_units(keras, cells):
    cell = cells.PlanLSTMCell(5)
    h, c = cell.get_initial_state(batch_size=3)
    for state in (h, c):
        np.testing.assert_array_equal(np.asarray(state), np.zeros((3, 5), "float32"))


def test_layer_config_round_trips_with_its_cell_options(keras, cells):
    layer = cells.PlanLSTM(3, activation="relu", dropout=0.2, recurrent_dropout=0.1, return_sequences=True, name="rec")
    config = layer.get_config()
    assert config["return_sequences"] is True and config["units"] == 3 and config["name"] == "rec"
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer), safe_mode=True)
    assert isinstance(revived, cells.PlanLSTM) and revived.get_config() == config
    assert revived.cell.name == "rec_cell" and revived.cell.dropout == 0.2 and revived.cell.recurrent_dropout == 0.1


def test_network_config_and_weights_reload_in_safe_mode(keras, cells, tmp_path):
    # As the pipeline saves a network: its serialized config as JSON plus a .weights.h5 file.
    model = keras.Sequential(
        [
            keras.Input((4, 2)),
            cells.PlanLSTM(3, activation="relu", dropout=0.2, return_sequences=True, name="hand_0"),
            cells.PlanLSTM(3, activation="relu", dropout=0.2, name="hand_1"),
            keras.layers.Dense(2),
        ]
    )
    model.save_weights(tmp_path / "net.weights.h5")
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    loaded = keras.saving.deserialize_keras_object(config, safe_mode=True)
    loaded.load_weights(tmp_path / "net.weights.h5")
    assert [type(layer).__name__ for layer in loaded.layers] == ["PlanLSTM", "PlanLSTM", "Dense"]
    windows = _windows((5, 4, 2))
    np.testing.assert_array_equal(np.asarray(loaded(windows)), np.asarray(model(windows)))


def test_cell_still_runs_inside_keras_rnn(keras, cells):
    # Configs saved before PlanLSTM existed wrap the cell in keras.layers.RNN; they still load and agree to
    # the bit: each step of the layer adds up z as the cell does.
    windows = _windows((4, 5, 3))
    ours = cells.PlanLSTM(4, return_sequences=True)
    rnn = keras.layers.RNN(cells.PlanLSTMCell(4), return_sequences=True)
    ours(windows)
    rnn(windows)
    rnn.set_weights(ours.get_weights())
    np.testing.assert_array_equal(np.asarray(rnn(windows)), np.asarray(ours(windows)))


def test_dropout_masks_follow_keras_global_seed(keras, cells):
    def trained_output():
        keras.utils.set_random_seed(5)
        layer = cells.PlanLSTM(3, dropout=0.3, recurrent_dropout=0.3)
        windows = _windows((16, 4, 2))
        return [np.asarray(layer(windows, training=True)) for _ in range(2)]

    first, second = trained_output(), trained_output()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert np.any(first[0] != first[1])  # a new draw per call


def test_lookback_must_be_fixed(keras, cells):
    with pytest.raises(ValueError, match="lookback"):
        cells.PlanLSTM(2)(keras.Input((None, 3)))


def test_xla_compiled_call_matches(keras, cells):
    # The recursive forecast runs networks inside tf.function(jit_compile=True).
    import tensorflow as tf

    layer = cells.PlanLSTM(4, activation="relu", dropout=0.2, return_sequences=True)
    windows = _windows((3, 5, 2))
    expected = np.asarray(layer(windows))
    compiled = tf.function(lambda batch: layer(batch), jit_compile=True)
    np.testing.assert_allclose(np.asarray(compiled(windows)), expected, rtol=0, atol=1e-6)


@pytest.mark.skipif(
    importlib.util.find_spec("tf2onnx") is None or importlib.util.find_spec("onnxruntime") is None,
    reason="no tf2onnx or onnxruntime",
)
def test_onnx_export_matches_keras(keras, cells, tmp_path):
    import warnings

    import onnxruntime
    import tensorflow as tf

    keras.utils.set_random_seed(2)
    model = keras.Sequential(
        [
            keras.Input((6, 2)),
            cells.PlanLSTM(4, activation="relu", dropout=0.2, recurrent_dropout=0.2, return_sequences=True),
            cells.PlanLSTM(4, activation="relu", dropout=0.2),
            keras.layers.Dense(2),
        ]
    )
    signature = [tf.TensorSpec((None, 6, 2), tf.float32, name="windows")]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)
        model.export(str(tmp_path / "hand.onnx"), format="onnx", verbose=False, input_signature=signature)
    session = onnxruntime.InferenceSession(str(tmp_path / "hand.onnx"), providers=["CPUExecutionProvider"])
    for windows in (_windows((7, 6, 2)), _windows((1, 6, 2))):  # the batch size stays free
        (got,) = session.run(None, {session.get_inputs()[0].name: windows})
        np.testing.assert_allclose(got, np.asarray(model(windows)), rtol=0, atol=1e-5)


# Trains one PlanLSTM network with TensorFlow's intra-op pool at argv[1] threads; prints its weights' sha256.
# 32 windows x 12 steps = 384 rows: with 2 threads Eigen cuts a contraction over more than 320 rows into
# blocks, with 1 thread on a 32 KiB (or larger) L1 cache it does not.
_TRAIN_WITH_THREADS = """
import hashlib, sys
import numpy as np
from plancast.runtime import import_tensorflow
tf, keras = import_tensorflow(seed=3)
tf.config.threading.set_intra_op_parallelism_threads(int(sys.argv[1]))
from plancast.models.cells import PlanLSTM
rng = np.random.default_rng(0)
windows = rng.normal(size=(128, 12, 32)).astype("float32")
targets = windows[:, -1, :1] + 0.1 * rng.normal(size=(128, 1)).astype("float32")
network = keras.Sequential([keras.Input((12, 32)), PlanLSTM(64, activation="relu", dropout=0.2), keras.layers.Dense(1)])
network.compile(optimizer="adam", loss="mae")
network.fit(windows, targets, batch_size=32, epochs=2, shuffle=False, verbose=0)
print(hashlib.sha256(b"".join(w.tobytes() for w in network.get_weights())).hexdigest())
"""


@pytest.mark.slow  # two TensorFlow processes, ~12 s side by side
def test_trained_weights_do_not_depend_on_the_thread_count():
    # A network trained on another machine must be the same bits (issue 27): one matmul over all
    # windows x lookback rows gave a kernel gradient whose sum order followed the threads (and the cache).
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-c", _TRAIN_WITH_THREADS]
    runs = [subprocess.Popen([*command, threads], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for threads in ("1", "2")]  # fmt: skip
    digests = []
    for run in runs:
        stdout, stderr = run.communicate(timeout=300)
        assert run.returncode == 0, stderr
        digests.append(stdout.split()[-1])
    assert digests[0] == digests[1]
