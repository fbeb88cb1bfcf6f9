"""Training time per epoch: the hand-written LSTM (plancast.models.cells) against Keras' LSTM, same network.

Run from the repository root (the figures are noisy on a shared machine: both networks are timed in
this one process, interleaved, and the median of ``--repeats`` epochs is printed, as wall-clock time
and as CPU time, which other processes on the machine disturb less):

    python benchmarks/cell_speed.py [--cases 8x2/4 30x1/32] [--windows 4000 50000] [--repeats 5]
                                    [--jit off on] [--steps-per-execution 32]

A case ``UxL/B`` is ``L`` stacked layers of ``U`` units trained at batch ``B``: ``Input(10, 4) -> LSTM(U,
relu, dropout 0.2) x L -> Dense(3)`` (every layer but the last returns sequences), Adam, MAE, fed
through a shuffled, batched tf.data pipeline as ``plancast.training.fit_network`` feeds it. ``8x2/4``
is Seed B's network (params.yaml ``models.hand_lstm``); ``30x1/32`` is the size of ``models.lstm``.
The two networks of a case differ only in the recurrent layer: ``keras.layers.LSTM`` or ours
(``hand_lstm_layer``). ``--jit on`` compiles both with ``jit_compile=True`` (XLA); ``off`` is what
``plancast.models.build_network`` does. Keras refuses XLA while TensorFlow's op determinism is on
(``plancast.runtime`` turns it on), warns and compiles without it: the ``xla`` column says what Keras
actually did. ``--steps-per-execution`` is ``model.compile``'s argument of that name (batches per
call of the compiled train step; build_network uses 32).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import warnings

import numpy as np

LOOKBACK, FEATURES, OUTPUTS = 10, 4, 3
SEED = 0


def case(text: str) -> tuple[int, int, int]:
    """``"8x2/4"`` -> (units 8, layers 2, batch 4)."""
    shape, batch = text.split("/")
    units, layers = shape.split("x")
    return int(units), int(layers), int(batch)


def network(keras, kind: str, units: int, layers: int, jit: bool, steps_per_execution: int):
    """The case's stack with Keras' LSTM (``keras``) or ours (``hand``), compiled like build_network."""
    from plancast.models.cells import hand_lstm_layer

    options = {"activation": "relu", "dropout": 0.2}
    recurrent = []
    for index in range(layers):
        sequences = index < layers - 1
        if kind == "keras":
            recurrent.append(keras.layers.LSTM(units, return_sequences=sequences, **options))
        else:
            recurrent.append(hand_lstm_layer(units, return_sequences=sequences, name=f"hand_{index}", **options))
    model = keras.Sequential([keras.Input((LOOKBACK, FEATURES)), *recurrent, keras.layers.Dense(OUTPUTS)])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="mean_absolute_error",
        jit_compile=jit,
        steps_per_execution=steps_per_execution,
    )
    return model


def epoch_seconds(model, batches) -> tuple[float, float]:
    """Wall-clock and CPU seconds (all of this process's threads) of one training epoch."""
    wall, cpu = time.perf_counter(), time.process_time()
    model.fit(batches, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=case, nargs="+", default=[case("8x2/4"), case("30x1/32")])
    parser.add_argument("--windows", type=int, nargs="+", default=[4000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jit", nargs="+", choices=["off", "on"], default=["off"])
    parser.add_argument("--steps-per-execution", type=int, nargs="+", default=[32])
    arguments = parser.parse_args()

    from plancast.runtime import import_tensorflow

    tf, keras = import_tensorflow(SEED)
    rng = np.random.default_rng(SEED)
    print(
        f"windows ({LOOKBACK}, {FEATURES}) -> LSTM(units, relu, dropout 0.2) x layers -> Dense({OUTPUTS}), Adam, MAE; "
        f"median of {arguments.repeats} interleaved epochs after one warm-up epoch"
    )
    print(
        f"{'windows':>7} {'units':>5} {'layers':>6} {'batch':>5} {'xla':>4} {'steps/exec':>10}"
        f" {'keras s/epoch':>13} {'hand s/epoch':>12} {'hand/keras':>10}"
        f" | {'keras cpu s':>11} {'hand cpu s':>10} {'hand/keras':>10}"
    )
    for windows, (units, layers, batch), jit, steps in itertools.product(
        arguments.windows, arguments.cases, arguments.jit, arguments.steps_per_execution
    ):
        inputs = rng.normal(size=(windows, LOOKBACK, FEATURES)).astype("float32")
        targets = rng.normal(size=(windows, OUTPUTS)).astype("float32")
        batches = (
            tf.data.Dataset.from_tensor_slices((inputs, targets))
            .shuffle(len(inputs), seed=SEED, reshuffle_each_iteration=True)
            .batch(batch)
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*jit_compile.*")
            models = {kind: network(keras, kind, units, layers, jit == "on", steps) for kind in ("keras", "hand")}
        xla = "/".join(sorted({"on" if model.jit_compile else "off" for model in models.values()}))
        for model in models.values():
            epoch_seconds(model, batches)  # traces (and compiles) the train step
        times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in models}
        for _ in range(arguments.repeats):
            for kind, model in models.items():
                times[kind].append(epoch_seconds(model, batches))
        keras_s, hand_s = (statistics.median(wall for wall, _ in times[kind]) for kind in ("keras", "hand"))
        keras_cpu, hand_cpu = (statistics.median(cpu for _, cpu in times[kind]) for kind in ("keras", "hand"))
        print(
            f"{windows:>7} {units:>5} {layers:>6} {batch:>5} {xla:>4} {steps:>10}"
            f" {keras_s:13.2f} {hand_s:12.2f} {hand_s / keras_s:10.2f}"
            f" | {keras_cpu:11.2f} {hand_cpu:10.2f} {hand_cpu / keras_cpu:10.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
