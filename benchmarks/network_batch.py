"""Batch size of a network (default hand_lstm, Seed B's batch 4): validation MAE and training time per
batch size, on samples we did not tune to. How ``models.hand_lstm.batch_size`` was chosen:

    python benchmarks/network_batch.py [--model hand_lstm] [--batches 4 16 32] [--samples default:2026 sharp:7 trend:7]

Each sample is made with the library (``target_form.sample_params``: the bundled sample's knobs,
planner noisy or sharp, or every part trending) and prepared as the stages do (``plan_skill.prepare``);
the network is trained as stage train does (``plan_skill.train_networks``: window and plan context,
the params' epochs and early stopping) at each batch size and scored by evaluate (no tabular models:
only the network and the baselines). The pick is on validation MAE; test is printed, never used.

Measured (quiet 2-core machine, 2.5 min in all)::

    sample   seed  batch  train s  val MAE  test MAE
    default   2026      4     18.1    30.28     24.59
    default   2026     16      8.3    30.43     25.13
    default   2026     32      7.9    30.17     24.69
    sharp        7      4     22.6    11.21     14.62
    sharp        7     16      9.9    11.04     14.55
    sharp        7     32      8.0    11.07     14.60
    trend        7      4     19.6    33.63     59.32
    trend        7     16     10.8    33.75     59.43
    trend        7     32      8.1    33.69     58.13

Batch 32 against Seed B's 4 on validation: -0.4%, -1.2%, +0.2%: no worse, and a quarter to an eighth of
the steps (one epoch at 2,000 parts: 7.7 s at 32, 32-41 s at 4). So hand_lstm's default is batch 32
(``configs/seed_b.yaml`` keeps 4). On the default sample's test it is 0.10 worse (24.69 against 24.59).
"""

from __future__ import annotations

import argparse
import time

from plan_skill import prepare, train_networks
from target_form import sample_params

from plancast.evaluation.evaluate import evaluate
from plancast.params import load_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="hand_lstm")
    parser.add_argument("--batches", type=int, nargs="+", default=[4, 16, 32])
    parser.add_argument("--samples", nargs="+", default=["default:2026", "sharp:7", "trend:7"])
    parser.add_argument("--trend", type=float, default=1.5)
    args = parser.parse_args()
    params = load_params("params.yaml")
    print("sample   seed  batch  train s  val MAE  test MAE", flush=True)
    for entry in args.samples:
        sample, seed = entry.split(":")
        data = prepare(params, sample_params(params, sample, int(seed), args.trend))
        for batch in args.batches:
            spec = params.models[args.model].model_copy(update={"batch_size": batch})
            run = params.model_copy(update={"models": {**params.models, args.model: spec}})
            began = time.perf_counter()
            model = train_networks(run, data, [args.model])[args.model]
            seconds = time.perf_counter() - began
            summary = evaluate(
                data.daily, data.windows, data.splits, data.scalers, {args.model: model},
                params.evaluate.season_period, params.evaluate.ridge_alpha, rows=data.rows, tabular=[],
                folds=params.evaluate.folds,
            ).summary.to_json()  # fmt: skip
            print(
                f"{sample:<8} {seed:>5} {batch:>6}  {seconds:7.1f}  "
                f"{summary['val'][args.model]['mae']:7.2f}  {summary['test'][args.model]['mae']:8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
