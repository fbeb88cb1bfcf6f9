"""At a factory's scale: one training epoch of a network and the direct forecast of every part.

Makes N parts x D working days with the bundled sample's generator (params.yaml's ``sample`` knobs),
runs the library from the daily table to the windows and the calendar cut, then times, for each
network named: one training epoch over every part's training windows (tf.data from arrays, the params'
batch size, ``steps_per_execution`` as the pipeline compiles it; the first, tracing epoch reported
apart) and the direct forecast of all parts' latest windows in one call (median of warm runs).

    python benchmarks/scale_models.py [--parts 2000] [--days 260] [--models lstm hand_lstm] [--runs 7]

Targets (issue "A factory's scale"): one epoch of the default network <= 30 s and the direct forecast of
all parts <= 100 ms warm, at 2,000 parts x 260 days on this 2-core machine.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
from harness import parser, seconds, warm_median

from plancast.data.sample import HORIZONS, PART_HEADER, TARGET_HEADER, TIME_HEADER, horizon_header, plan_snapshots
from plancast.params import load_params
from plancast.pipeline import run as pipeline  # the data stages in memory: pipeline.run, pipeline.ingest, ...


def snapshots(params, parts: int, days: int):
    import pandas as pd

    frame = plan_snapshots(params.sample.model_copy(update={"parts": parts, "days": days}))
    renamed = {
        PART_HEADER: "part",
        TARGET_HEADER: "target",
        **{horizon_header(k): f"h{k}" for k in range(1, HORIZONS + 1)},
    }
    table = frame.rename(columns=renamed)
    table["snapshot_time"] = pd.to_datetime(table[TIME_HEADER].astype(str), format="%Y%m%d%H%M")
    return table[["part", "snapshot_time", "target", *(f"h{k}" for k in range(1, HORIZONS + 1))]].astype(
        {"target": float, **{f"h{k}": float for k in range(1, HORIZONS + 1)}}
    )


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--parts", type=int, default=2000)
    arguments.add_argument("--days", type=int, default=260)
    arguments.add_argument("--models", nargs="+", default=["lstm", "hand_lstm"])
    arguments.add_argument("--runs", type=int, default=7)
    args = arguments.parse_args()
    params = load_params("params.yaml")

    start = time.perf_counter()
    daily = pipeline.daily_last(params.daily, snapshots(params, args.parts, args.days)).table
    columns = {str(part): ["target", "h1", "h2", "h3"] for part in daily["part"].unique()}
    windows = pipeline.window(params.window, daily, {"columns": columns}).windows
    prepared = pipeline.split_scale(params.split_scale, windows, params.window.gaps)
    splits, scalers = prepared.splits, prepared.scalers
    print(
        f"{args.parts} parts x {args.days} days: {len(windows.part):,} windows, train {len(splits.train.window):,}; "
        f"data prepared in {time.perf_counter() - start:.1f} s"
    )

    from plancast.features.windows import feature_columns
    from plancast.models.manifest import Manifest
    from plancast.models.networks import build_network
    from plancast.models.trained import TrainedModel, reference_forecast
    from plancast.runtime import import_tensorflow

    tf, _ = import_tensorflow(params.train.seed)
    latest = np.flatnonzero(np.r_[windows.part[1:] != windows.part[:-1], True])  # each part's last window
    for name in args.models:
        spec = params.models[name]
        network = build_network(spec, windows.inputs.shape[1], windows.inputs.shape[2], len(windows.delays))
        batches = (
            tf.data.Dataset.from_tensor_slices((splits.train.inputs, splits.train.targets))
            .shuffle(len(splits.train.inputs), seed=0)
            .batch(spec.batch_size)
        )
        epoch = partial(network.fit, batches, epochs=1, verbose=0, shuffle=False)  # the dataset shuffles
        epochs = [seconds(epoch) for _ in range(3)]
        manifest = Manifest(name, "global", windows.inputs.shape[1], tuple(int(d) for d in windows.delays),
                            feature_columns({"columns": columns}, sorted(scalers.parts)), scalers, {})  # fmt: skip
        model = TrainedModel.of(manifest, dict.fromkeys(scalers.parts, network))
        inputs, part = windows.inputs[latest], windows.part[latest]
        known = np.isin(part, list(scalers.parts))
        inputs, part = inputs[known], part[known]
        reference = reference_forecast(windows.plan[latest][known], inputs)
        _, warm = warm_median(partial(model.predict, inputs, part, reference), args.runs)  # the first warms
        print(
            f"  {name:<10} batch {spec.batch_size:>3}: epoch {epochs[1]:6.1f} s, {epochs[2]:6.1f} s "
            f"(first, tracing: {epochs[0]:.1f} s); direct forecast of {len(part):,} parts "
            f"{1000 * warm:7.1f} ms (median of {args.runs} warm runs)",
            flush=True,
        )


if __name__ == "__main__":
    main()
