"""Seed A with the wave's phase as a second input: does knowing where in the 30-step cycle the target
falls bring a network to the ideal?

Seed A's best network chosen on validation scores 4.02 test MAE (issue 9 asks for <= 2.75; the ideal,
the wave plus the noise's median, 2.48). One suspect: from a 30-step window the network must first
work out the phase. This gives it the phase outright (sin and cos of 2 pi x / 30 for the target step,
concatenated to the recurrent output before the head, as ``train.context`` does for plan data), on the
pipeline's cut (windows 70/10/20 in time, min-max fitted on the training steps), with its training
(Adam 0.002, batch 16, early stopping on validation loss, patience 50, best weights restored, seed 42),
and prints validation and test MAE beside the window-only network and the ideal forecast.

    python benchmarks/seed_a_phase.py [--cells lstm gru] [--inputs window phase phase_relu] [--loss mse]
    python benchmarks/seed_a_phase.py --inputs window --target seasonal   # learn y(t) - y(t - 30)

``--target seasonal`` trains on the correction to the seasonal naive forecast (the value one cycle
back, the window's first step), in scaled units, and adds it back before scoring.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from plancast.data.sample import seed_a_series

PERIOD, LOOKBACK, POINTS, SEED = 30, 30, 361, 2022


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["lstm", "gru"], choices=["lstm", "gru"])
    parser.add_argument("--inputs", nargs="+", default=["window", "phase", "phase_relu"],
                        choices=["window", "phase", "phase_relu"])  # fmt: skip
    parser.add_argument("--loss", default="mse", choices=["mse", "mae"])
    parser.add_argument("--target", default="level", choices=["level", "seasonal"])
    args = parser.parse_args()
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    series = seed_a_series(POINTS, SEED)
    x, y = series["x"].to_numpy(), series["time_cos"].to_numpy()
    windows = len(y) - LOOKBACK
    train, val = int(windows * 0.7), int(windows * 0.1)
    parts = {"train": slice(0, train), "val": slice(train, train + val), "test": slice(train + val, windows)}
    low, high = y[: train + LOOKBACK].min(), y[: train + LOOKBACK].max()
    scaled = (y - low) / (high - low)
    inputs = np.stack([scaled[i : i + LOOKBACK] for i in range(windows)])[..., None]
    steps = x[LOOKBACK:]
    reference = inputs[:, 0, 0] if args.target == "seasonal" else np.zeros(windows)  # y(t - 30), scaled
    targets = scaled[LOOKBACK:] - reference
    phase = np.stack([np.sin(2 * np.pi * steps / PERIOD), np.cos(2 * np.pi * steps / PERIOD)], axis=1)
    wave = 20 * np.cos(2 * np.pi * (steps % PERIOD) / PERIOD)
    ideal = np.where(steps % PERIOD < PERIOD / 2, wave, wave + 10)  # the wave plus the noise's median (20 x 0.5)
    actual = y[LOOKBACK:]
    print(f"ideal forecast: val MAE {np.abs(ideal - actual)[parts['val']].mean():.3f}, "
          f"test MAE {np.abs(ideal - actual)[parts['test']].mean():.3f}")  # fmt: skip
    print(f"target {args.target}\ncell  input       val MAE  test MAE  epochs")
    for cell in args.cells:
        for kind in args.inputs:
            keras.utils.set_random_seed(42)
            window = keras.Input((LOOKBACK, 1))
            hidden = (keras.layers.LSTM if cell == "lstm" else keras.layers.GRU)(30)(window)
            model_inputs = [window]
            if kind != "window":
                context = keras.Input((2,))
                hidden = keras.layers.Concatenate()([hidden, context])
                model_inputs.append(context)
                if kind == "phase_relu":
                    hidden = keras.layers.Dense(16, activation="relu")(hidden)
            network = keras.Model(model_inputs, keras.layers.Dense(1)(hidden))
            network.compile(keras.optimizers.Adam(0.002), loss=args.loss)

            def feed(part: str, kind: str = kind) -> list[np.ndarray]:
                rows = parts[part]
                return [inputs[rows]] if kind == "window" else [inputs[rows], phase[rows]]

            stop = keras.callbacks.EarlyStopping(patience=50, restore_best_weights=True)
            history = network.fit(feed("train"), targets[parts["train"]], epochs=400, batch_size=16, verbose=0,
                                  validation_data=(feed("val"), targets[parts["val"]]), callbacks=[stop])  # fmt: skip
            mae = {}
            for part in ("val", "test"):
                forecast = (network.predict_on_batch(feed(part))[:, 0] + reference[parts[part]]) * (high - low) + low
                mae[part] = np.abs(forecast - actual[parts[part]]).mean()
            epochs = len(history.history["loss"])
            print(f"{cell:<5} {kind:<10} {mae['val']:8.3f}  {mae['test']:8.3f}  {epochs:6d}", flush=True)


if __name__ == "__main__":
    main()
