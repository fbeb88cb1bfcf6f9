"""Batch size of a network (default hand_lstm, Seed B's batch 4): validation MAE and training time per
batch size, on samples we did not tune to. How ``models.hand_lstm.batch_size`` was chosen:

    python benchmarks/network_batch.py [--model hand_lstm] [--batches 4 16 32] [--samples default:2026 sharp:7 trend:7]

Each sample is made with the library (``target_form.sample_params``: the bundled sample's knobs,
planner noisy or sharp, or every part trending) and prepared as the stages do (``plan_skill.prepare``);
the network is trained as stage train does (``plan_skill.train_networks``: window and plan context,
the params' epochs and early stopping) at each batch size and scored by evaluate (no tabular models:
only the network and the baselines). The pick is on validation MAE; test is printed, never used.
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
            ).summary  # fmt: skip
            print(
                f"{sample:<8} {seed:>5} {batch:>6}  {seconds:7.1f}  "
                f"{summary['val'][args.model]['mae']:7.2f}  {summary['test'][args.model]['mae']:8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
