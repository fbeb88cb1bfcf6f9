"""Networks averaged over training seeds: does a seed ensemble close the gap to the boosted trees?

A small network's validation MAE moves by 1-4% from one training seed to the next. Averaging the
forecasts of networks trained with several seeds (the same data, params and cut; only ``train.seed``
differs) is the cheapest ensemble. This trains ``--models`` with each of ``--train-seeds`` on fresh
samples (params.yaml's sample knobs, both planner regimes, ``--seeds``), through the library as stage
train does, and prints each seed's validation and test MAE, the mean forecast's, and the boosted trees'
(fitted at every fold as in evaluate). A seed ensemble would be adopted only if it wins on VALIDATION.

    python benchmarks/network_seeds.py [--models lstm_gru] [--train-seeds 42 43 44] [--regimes noisy sharp]
"""

from __future__ import annotations

import argparse

import numpy as np
from plan_skill import prepare, train_networks

from plancast.evaluation.evaluate import evaluate
from plancast.params import load_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["lstm_gru"])
    parser.add_argument("--train-seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 7])
    parser.add_argument("--regimes", nargs="+", default=["noisy", "sharp"], choices=["noisy", "sharp"])
    args = parser.parse_args()
    params = load_params("params.yaml")
    print("regime  seed  model      train seed   val MAE  test MAE")
    for regime in args.regimes:
        for seed in args.seeds:
            data = prepare(params, params.sample.model_copy(update={"planner": regime, "seed": seed}))
            forecasts: dict[str, list[np.ndarray]] = {name: [] for name in args.models}
            truth, boosted = None, None
            for train_seed in args.train_seeds:
                run = params.model_copy(update={"train": params.train.model_copy(update={"seed": train_seed})})
                trained = train_networks(run, data, args.models)
                result = evaluate(
                    data.daily, data.windows, data.splits, data.scalers, trained, params.evaluate.season_period,
                    params.evaluate.ridge_alpha, rows=data.rows, tabular=[] if boosted else ["boosted"],
                    folds=params.evaluate.folds,
                )  # fmt: skip
                table = result.predictions.sort_values(["split", "window", "delay"], kind="stable")
                if boosted is None:
                    boosted = {split: result.summary.to_json()[split]["boosted"]["mae"] for split in ("val", "test")}
                for name in args.models:
                    rows = table[(table["model"] == name) & table["split"].isin(["val", "test"])]
                    if truth is None:
                        truth = rows[["split", "actual"]].reset_index(drop=True)
                    forecasts[name].append(rows["prediction"].to_numpy())
                    print(f"{regime:<7} {seed:>5}  {name:<10} {train_seed:>10}  "
                          f"{result.summary.val[name]['mae']:8.2f}  {result.summary.test[name]['mae']:8.2f}",
                          flush=True)  # fmt: skip
            for name in args.models:
                mean = np.mean(forecasts[name], axis=0)
                error = np.abs(truth["actual"].to_numpy() - mean)
                known = np.isfinite(error)
                mae = {split: error[known & (truth["split"] == split).to_numpy()].mean() for split in ("val", "test")}
                print(f"{regime:<7} {seed:>5}  {name:<10} {'mean of ' + str(len(args.train_seeds)):>10}  "
                      f"{mae['val']:8.2f}  {mae['test']:8.2f}   boosted {boosted['val']:.2f} / {boosted['test']:.2f}",
                      flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
