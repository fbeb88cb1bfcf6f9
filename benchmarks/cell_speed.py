"""Training time per epoch: the hand-written LSTM (plancast.cells) against Keras' LSTM, same network.

Run from the repository root (the figures are noisy on a shared machine: both networks are timed in
this one process, interleaved, and the median of ``--repeats`` epochs is printed, as wall-clock time
and as CPU time, which other processes on the machine disturb less):

    python benchmarks/cell_speed.py [--batches 4 32 256] [--windows 4000] [--repeats 5] [--jit off on]
                                    [--steps-per-execution 1 32]

Network (Seed B's stack): ``Input(10, 4) -> LSTM(8, relu, dropout 0.2, return_sequences) ->
LSTM(8, relu, dropout 0.2) -> Dense(3)``, Adam, MAE, fed through a shuffled, batched tf.data
pipeline as ``plancast.training.fit_network`` feeds it. ``--jit on`` compiles both networks with
``jit_compile=True`` (XLA); ``off`` is what ``plancast.models.build_network`` does today. Keras
refuses XLA while TensorFlow's op determinism is on (``plancast.runtime`` turns it on), warns and
compiles without it: the ``xla`` column says what Keras actually did. ``--steps-per-execution`` is
``model.compile``'s argument of that name (batches per call of the compiled train step).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
import warnings

import numpy as np

LOOKBACK, FEATURES, OUTPUTS, UNITS = 10, 4, 3, 8
SEED = 0


def network(keras, kind: str, jit: bool, steps_per_execution: int):
    """Seed B's stack with Keras' LSTM (``keras``) or ours (``hand``), compiled like build_network."""
    from plancast.cells import hand_lstm_layer

    options = {"activation": "relu", "dropout": 0.2}
    if kind == "keras":
        recurrent = [
            keras.layers.LSTM(UNITS, return_sequences=True, **options),
            keras.layers.LSTM(UNITS, **options),
        ]
    else:
        recurrent = [
            hand_lstm_layer(UNITS, return_sequences=True, name="hand_0", **options),
            hand_lstm_layer(UNITS, name="hand_1", **options),
        ]
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
    parser.add_argument("--batches", type=int, nargs="+", default=[4, 32, 256])
    parser.add_argument("--windows", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jit", nargs="+", choices=["off", "on"], default=["off"])
    parser.add_argument("--steps-per-execution", type=int, nargs="+", default=[1])
    arguments = parser.parse_args()

    from plancast.runtime import import_tensorflow

    tf, keras = import_tensorflow(SEED)
    rng = np.random.default_rng(SEED)
    inputs = rng.normal(size=(arguments.windows, LOOKBACK, FEATURES)).astype("float32")
    targets = rng.normal(size=(arguments.windows, OUTPUTS)).astype("float32")
    print(
        f"{arguments.windows} windows {inputs.shape[1:]}, LSTM({UNITS}) x2 relu dropout 0.2 -> Dense({OUTPUTS}), "
        f"Adam, MAE; median of {arguments.repeats} interleaved epochs after one warm-up epoch"
    )
    print(
        f"{'xla':>4} {'steps/exec':>10} {'batch':>6} {'keras ms/epoch':>15} {'hand ms/epoch':>14} {'hand/keras':>11}"
        f" | {'keras cpu ms':>12} {'hand cpu ms':>11} {'hand/keras':>10}"
    )
    for jit, steps, batch in itertools.product(arguments.jit, arguments.steps_per_execution, arguments.batches):
        batches = (
            tf.data.Dataset.from_tensor_slices((inputs, targets))
            .shuffle(len(inputs), seed=SEED, reshuffle_each_iteration=True)
            .batch(batch)
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*jit_compile.*")
            models = {kind: network(keras, kind, jit == "on", steps) for kind in ("keras", "hand")}
        xla = "/".join(sorted({"on" if model.jit_compile else "off" for model in models.values()}))
        for model in models.values():
            epoch_seconds(model, batches)  # traces (and compiles) the train step
        times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in models}
        for _ in range(arguments.repeats):
            for kind, model in models.items():
                times[kind].append(epoch_seconds(model, batches))
        keras_ms, hand_ms = (1000 * statistics.median(wall for wall, _ in times[kind]) for kind in ("keras", "hand"))
        keras_cpu, hand_cpu = (1000 * statistics.median(cpu for _, cpu in times[kind]) for kind in ("keras", "hand"))
        print(
            f"{xla:>4} {steps:>10} {batch:>6} {keras_ms:15.0f} {hand_ms:14.0f} {hand_ms / keras_ms:11.2f}"
            f" | {keras_cpu:12.0f} {hand_cpu:11.0f} {hand_cpu / keras_cpu:10.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
