"""Training time per epoch: the hand-written LSTM (plancast.cells) against Keras' LSTM, same network.

Run from the repository root (the figures are noisy on a shared machine: both networks are timed in
this one process, interleaved, and the median of ``--repeats`` epochs is printed):

    python benchmarks/cell_speed.py [--batches 4 32 256] [--windows 4000] [--repeats 5] [--jit off on]

Network (Seed B's stack): ``Input(10, 4) -> LSTM(8, relu, dropout 0.2, return_sequences) ->
LSTM(8, relu, dropout 0.2) -> Dense(3)``, Adam, MAE, fed through a shuffled, batched tf.data
pipeline as ``plancast.training.fit_network`` feeds it. ``--jit on`` compiles both networks with
``jit_compile=True`` (XLA); ``off`` is what ``plancast.models.build_network`` does today.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

LOOKBACK, FEATURES, OUTPUTS, UNITS = 10, 4, 3, 8
SEED = 0


def network(keras, kind: str, jit: bool):
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
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mean_absolute_error", jit_compile=jit)
    return model


def epoch_seconds(model, batches) -> float:
    started = time.perf_counter()
    model.fit(batches, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[4, 32, 256])
    parser.add_argument("--windows", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jit", nargs="+", choices=["off", "on"], default=["off", "on"])
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
    print(f"{'jit':>4} {'batch':>6} {'keras ms/epoch':>15} {'hand ms/epoch':>14} {'hand/keras':>11}")
    for jit in arguments.jit:
        for batch in arguments.batches:
            batches = (
                tf.data.Dataset.from_tensor_slices((inputs, targets))
                .shuffle(len(inputs), seed=SEED, reshuffle_each_iteration=True)
                .batch(batch)
            )
            models = {kind: network(keras, kind, jit == "on") for kind in ("keras", "hand")}
            for model in models.values():
                epoch_seconds(model, batches)  # traces (and compiles) the train step
            times: dict[str, list[float]] = {kind: [] for kind in models}
            for _ in range(arguments.repeats):
                for kind, model in models.items():
                    times[kind].append(epoch_seconds(model, batches))
            keras_ms, hand_ms = (1000 * statistics.median(times[kind]) for kind in ("keras", "hand"))
            print(f"{jit:>4} {batch:>6} {keras_ms:15.0f} {hand_ms:14.0f} {hand_ms / keras_ms:11.2f}", flush=True)


if __name__ == "__main__":
    main()
