"""Does the recommended forecast beat the planner's own number, on samples we did not tune to?

For each planner regime (``noisy``: D+1 plan r ~ 0.76; ``sharp``: r ~ 0.95) and each seed, this makes
a fresh sample with the bundled sample's hardness knobs (params.yaml's ``sample``: gaps, holidays,
trends, late parts, lot changes), runs the pipeline's own library from ingest to evaluate (calendar,
windows, one calendar cut, the tabular models on the plan vintages refitted per fold, routing on
validation, conformal intervals, Diebold-Mariano) and prints the test figures. ``--networks`` also
trains the params' networks with their plan context as stage train does (minutes a run on two cores;
the route uses them through the combination), and prints the best network against the best tabular
model; without it, 15 s a run with the tabular models alone.

    python benchmarks/plan_skill.py [--seeds 2026 7 11] [--regimes noisy sharp] [--networks] [--each]
                                    [--parts 24] [--days 250]

``--each`` also prints every forecast and baseline: validation MAE, test MAE, skill, skill per fold and
the coverage of its own conformal intervals.

Targets (issue "Beat the planner on any plan data"): recommended vs the plan on the test folds >= +25%
on the sharp planner and >= +35% on the default (noisy) sample, significant at 5% for D+2 and beyond,
never worse than the plan at any delay on validation-chosen routing; conformal coverage within 3
points of 80% and 95%.
"""

from __future__ import annotations

import time

import pandas as pd
from harness import parser, prepare

from plancast.names import RECOMMENDED
from plancast.params import load_params
from plancast.pipeline import run as pipeline


def run(regime: str, seed: int, networks: bool, size: dict) -> tuple:
    params = load_params("params.yaml")
    made = prepare(params, params.sample.model_copy(update={"planner": regime, "seed": seed, **size}))
    daily, windows, prepared = made.daily.training, made.windowed.windows, made.prepared
    names = params.train.models if networks else []  # as stage train fits them (context, target, profile)
    inputs = pipeline.Inputs(daily, windows, prepared, made.features)
    models = {name: pipeline.train(params, name, inputs).model() for name in names}
    evaluation = pipeline.evaluate(params, inputs, models)
    parts = evaluation.parts
    per_delay = parts[(parts["model"] == RECOMMENDED) & (parts["part"] == "pooled") & (parts["delay"] != "all")]
    worst = {split: float(rows["skill"].min()) for split, rows in per_delay.groupby("split")}
    return evaluation.summary.to_json(), worst, evaluation


def print_each(evaluation) -> None:
    """Every forecast's and baseline's validation MAE (what every choice is made on), test MAE, skill,
    skill per fold (mean ± sd) and its own intervals' test coverage (baselines have none), best first."""
    skill = evaluation.folds.groupby("model")["skill"]
    folds = pd.DataFrame({"mean": skill.mean(), "std": skill.std(ddof=0)})  # sd as evaluation.json's (n)
    intervals = evaluation.recommendation.intervals
    scores = evaluation.scores
    order = sorted(scores["test"], key=lambda name: scores["test"][name]["mae"])
    for name in order:
        test = scores["test"][name]
        cover = intervals.get(name, {}).get("coverage", {})
        spread = f"{folds.loc[name, 'mean']:+.3f}±{folds.loc[name, 'std']:.3f}" if name in folds.index else ""
        covered = f"{cover['0.8']:.3f} / {cover['0.95']:.3f}" if cover else "-"
        val = scores["val"].get(name, {}).get("mae", float("nan"))
        print(f"        {name:<18} val MAE {val:7.2f}  test MAE {test['mae']:7.2f}  skill {test['skill']:+.3f}  "
              f"folds {spread:<14} cover 80/95 {covered}", flush=True)  # fmt: skip


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--seeds", type=int, nargs="+", default=[2026, 7])
    arguments.add_argument("--regimes", nargs="+", default=["noisy", "sharp"], choices=["noisy", "sharp"])
    arguments.add_argument("--networks", action="store_true")
    arguments.add_argument("--each", action="store_true", help="also every forecast's skill and interval coverage")
    arguments.add_argument("--parts", type=int, help="the sample's parts (default: params.yaml's sample.parts)")
    arguments.add_argument("--days", type=int, help="the sample's working days (default: sample.days)")
    args = arguments.parse_args()
    size = {key: value for key, value in (("parts", args.parts), ("days", args.days)) if value is not None}
    print(
        "regime  seed  route (d1 d2 d3)                     test skill  folds mean±sd   "
        "p(better) d1 d2 d3            cover 80  cover 95  worst delay: val  test   seconds"
    )
    for regime in args.regimes:
        for seed in args.seeds:
            start = time.perf_counter()
            summary, worst, evaluation = run(regime, seed, args.networks, size)
            rec = summary[RECOMMENDED]
            route = " ".join(rec["route"][key] for key in sorted(rec["route"]))
            p = " ".join(f"{rec['p_better_than_plan'][key]:.1e}" for key in sorted(rec["p_better_than_plan"]))
            print(
                f"{regime:<7} {seed:>5}  {route:<36} {rec['test_skill']:+.3f}      "
                f"{rec['fold_skill_mean']:+.3f}±{rec['fold_skill_std']:.3f}   {p:<28}  "
                f"{rec['coverage_80']:.3f}     {rec['coverage_95']:.3f}     {worst['val']:+.3f}  {worst['test']:+.3f}"
                f"  {time.perf_counter() - start:6.1f}",
                flush=True,
            )
            network, tabular = summary.get("best_network"), summary.get("best_tabular")
            if network and tabular:
                mine, theirs = summary["network"]["test_mae"], summary["tabular"]["test_mae"]
                print(
                    f"        best network on validation {network}: test MAE {mine:.2f}, skill "
                    f"{summary['network']['test_skill']:+.3f}; best tabular {tabular}: {theirs:.2f}; "
                    f"network vs tabular {mine / theirs - 1:+.1%}",
                    flush=True,
                )
            if args.each:
                print_each(evaluation)


if __name__ == "__main__":
    main()
