"""A bag of boosted trees against one: validation and test MAE on fresh samples of both planner regimes.

The boosted trees (``evaluate.tabular: boosted``) are the best tabular model. Averaging several trees
fitted with a random half (or 80%) of the columns at each split (scikit-learn's ``max_features``, a
different ``random_state`` per member), or several configurations, is the usual way to take variance
out of boosted trees. This runs the library from ingest to evaluate as the stages do (plan_skill's
``prepare``), with each variant registered as ``boosted`` for the run (refitted at every test fold like
the default), and prints validation and test MAE, the test skill against the plan and the seconds.
A variant would become the default only if it wins on VALIDATION; the cost (members x the fit time,
evaluate at 2,000 parts) counts too.

    python benchmarks/boosted_bag.py --regimes noisy --seeds 2026 7 [--variants base bag_half bag_80 configs]
    python benchmarks/boosted_bag.py --seeds 2026 --variants base lr_0.025 lr_0.1 iter_600 leaf_50 nodes_15 l2_10
    python benchmarks/boosted_bag.py --once     # the default trees fitted once, on the training days only
    python benchmarks/boosted_bag.py --variants base --seeds 2026 7 11 --context flags calendar
                                                # the trees without the consensus and the weekday profile
    python benchmarks/boosted_bag.py --variants base --seeds 2026 7 11 --profile-weeks 4
                                                # the weekday profile over the last 4 same weekdays

``--once`` scores the trees as the networks are trained: fitted on the training windows only, never
refitted at a test fold (evaluate refits them on every window before each fold), so the test MAE can be
set beside the networks' like for like.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from plan_skill import prepare

from plancast.data.daily import horizon_columns
from plancast.evaluation.evaluate import evaluate
from plancast.features.vintages import PROFILE_WEEKS
from plancast.models import tabular
from plancast.models.tabular import CONTEXT_SETS, Boosted, TabularRows, tabular_rows
from plancast.params import Params, load_params


class Bag:
    """The mean of its members' forecasts."""

    def __init__(self, members: list[Boosted]) -> None:
        self.members = members

    def fit(self, train: TabularRows) -> Bag:
        for member in self.members:
            member.fit(train)
        return self

    def predict(self, rows: TabularRows) -> np.ndarray:
        return np.mean([member.predict(rows) for member in self.members], axis=0)


def feature_bag(share: float, members: int) -> Callable[[int], Bag]:
    def make(seed: int) -> Bag:
        bag = [Boosted(seed=seed + index) for index in range(members)]
        for member in bag:
            member.params["max_features"] = share
        return Bag(bag)

    return make


CONFIGS = [{}, {"learning_rate": 0.1}, {"max_iter": 600}, {"min_samples_leaf": 50}, {"max_leaf_nodes": 15}]
VARIANTS: dict[str, Callable[[int], object]] = {
    "base": lambda seed: Boosted(seed=seed),
    "bag_half": feature_bag(0.5, 5),
    "bag_80": feature_bag(0.8, 5),
    "configs": lambda seed: Bag([Boosted(seed=seed, **config) for config in CONFIGS]),
}
SINGLE = {
    "lr_0.025": {"learning_rate": 0.025},
    "lr_0.1": {"learning_rate": 0.1},
    "iter_600": {"max_iter": 600},
    "leaf_50": {"min_samples_leaf": 50},
    "nodes_15": {"max_leaf_nodes": 15},
    "l2_10": {"l2_regularization": 10.0},
}
VARIANTS.update({name: (lambda seed, c=config: Boosted(seed=seed, **c)) for name, config in SINGLE.items()})
DEFAULT_VARIANTS = ["base", "bag_half", "bag_80", "configs"]  # the single settings (the grid) on request


def fitted_once(params: Params, regimes: list[str], seeds: list[int]) -> None:
    print("regime  seed  trees fitted once: val MAE  test MAE  (plan val / test)")
    for regime in regimes:
        for seed in seeds:
            data = prepare(params, params.sample.model_copy(update={"planner": regime, "seed": seed}))
            index = {split: data.splits[split].window for split in ("train", "val", "test")}
            trees = Boosted(seed=params.train.seed).fit(data.rows.take(index["train"]))
            mae = {}
            for split in ("val", "test"):
                actual, plan = data.windows.targets[index[split]], data.windows.plan[index[split]]
                forecast = trees.predict(data.rows.take(index[split]))
                known = np.isfinite(actual) & np.isfinite(forecast)
                mae[split] = (np.abs(actual - forecast)[known].mean(), np.abs(actual - plan)[known].mean())
            print(f"{regime:<7} {seed:>5}  {mae['val'][0]:26.3f}  {mae['test'][0]:8.3f}  "
                  f"({mae['val'][1]:.2f} / {mae['test'][1]:.2f})", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regimes", nargs="+", default=["noisy", "sharp"], choices=["noisy", "sharp"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 7])
    parser.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS, choices=list(VARIANTS))
    parser.add_argument("--once", action="store_true", help="the default trees fitted on the training days only")
    parser.add_argument("--context", nargs="*", default=list(CONTEXT_SETS), choices=list(CONTEXT_SETS),
                        help="the context sets beside window and vintages (default: all)")  # fmt: skip
    parser.add_argument("--profile-weeks", type=int, default=PROFILE_WEEKS,
                        help=f"same weekdays the weekday profile averages (default {PROFILE_WEEKS})")  # fmt: skip
    args = parser.parse_args()
    params = load_params("params.yaml")
    if args.once:
        fitted_once(params, args.regimes, args.seeds)
        return
    default = tabular.TABULAR_MODELS["boosted"]
    print("regime  seed  variant    val MAE  test MAE  test skill  seconds")
    for regime in args.regimes:
        for seed in args.seeds:
            data = prepare(params, params.sample.model_copy(update={"planner": regime, "seed": seed}))
            horizons = len(horizon_columns(data.daily))
            rows = tabular_rows(data.windows, data.daily, data.scalers, horizons, args.context, args.profile_weeks)
            for name in args.variants:
                start = time.perf_counter()
                tabular.TABULAR_MODELS["boosted"] = VARIANTS[name]
                try:
                    summary = evaluate(
                        data.daily, data.windows, data.splits, data.scalers, {}, params.evaluate.season_period,
                        params.evaluate.ridge_alpha, rows=rows, tabular=["boosted"],
                        folds=params.evaluate.folds,
                    ).summary.to_json()  # fmt: skip
                finally:
                    tabular.TABULAR_MODELS["boosted"] = default
                val, test = summary["val"]["boosted"]["mae"], summary["test"]["boosted"]["mae"]
                skill = 1 - test / summary["test"]["baseline_plan"]["mae"]
                print(f"{regime:<7} {seed:>5}  {name:<9} {val:8.3f}  {test:8.3f}  {skill:+10.3f}  "
                      f"{time.perf_counter() - start:7.0f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
