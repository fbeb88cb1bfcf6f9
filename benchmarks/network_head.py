"""A linear or a non-linear head on the networks: validation and test MAE, both planner regimes.

The networks read the window through their recurrent layers and the plan context (every plan made
for the target day, with its zero/lot/revised flags and the calendar) through a second input that is
concatenated before the head. With a linear head (``head: []``) a flag can only shift the forecast;
the boosted trees also let it switch a vintage on or off. ``models.<name>.head: [units, ...]`` puts
Dense(units, relu) layers before the output. This trains each network with each head on fresh samples
(params.yaml's sample knobs, both regimes, several seeds), through the library as stage train does,
and prints each one's validation and test MAE beside the boosted trees' (the best tabular model).
The default is chosen on VALIDATION: the head whose validation MAE is lower in most (sample, network)
pairs; test is printed for the record.

    python benchmarks/network_head.py [--heads none 32 64] [--models lstm_gru gru] [--seeds 2026 7]
"""

from __future__ import annotations

import argparse
import time

from plan_skill import prepare, train_networks

from plancast.evaluation.evaluate import evaluate
from plancast.params import load_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heads", nargs="+", default=["none", "32"], help="none, or units joined by commas")
    parser.add_argument("--models", nargs="+", default=["lstm_gru", "gru"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 7])
    parser.add_argument("--regimes", nargs="+", default=["noisy", "sharp"], choices=["noisy", "sharp"])
    args = parser.parse_args()
    heads = {text: [] if text == "none" else [int(u) for u in text.split(",")] for text in args.heads}
    print("regime  seed  model      head      val MAE  test MAE   (boosted val / test)   seconds")
    for regime in args.regimes:
        for seed in args.seeds:
            params = load_params("params.yaml")
            data = prepare(params, params.sample.model_copy(update={"planner": regime, "seed": seed}))
            boosted = ""
            for text, units in heads.items():
                start = time.perf_counter()
                models = {name: params.models[name].model_copy(update={"head": units}) for name in args.models}
                trained = train_networks(params.model_copy(update={"models": {**params.models, **models}}), data,
                                         args.models)  # fmt: skip
                summary = evaluate(
                    data.daily, data.windows, data.splits, data.scalers, trained, params.evaluate.season_period,
                    params.evaluate.ridge_alpha, rows=data.rows, tabular=[] if boosted else ["boosted"],
                    folds=params.evaluate.folds,
                ).summary.to_json()  # fmt: skip
                if not boosted:  # the trees do not depend on the head: fitted once per sample
                    boosted = f"({summary['val']['boosted']['mae']:.2f} / {summary['test']['boosted']['mae']:.2f})"
                for name in args.models:
                    val, test = summary["val"][name]["mae"], summary["test"][name]["mae"]
                    print(f"{regime:<7} {seed:>5}  {name:<10} {text:<9} {val:8.2f}  {test:8.2f}   {boosted:<22} "
                          f"{time.perf_counter() - start:6.0f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
