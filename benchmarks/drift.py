"""Does the retrain flag catch a drifting planner, and stay down on the unchanged sample?

Trains up to ``--live`` working days before the sample's last day (``train.until``), replays those mornings
in memory (``plancast.pipeline.replay``) on the unchanged sample and on one whose plans from half-way on are
``--bias`` high (``sample.planner_bias``, ``sample.bias_from``); prints the working days to the flag, the
unchanged sample's flags (target: none) and a ``monitor.days`` x ``monitor.consecutive`` grid.

    python benchmarks/drift.py [--bias 0.15] [--live 50] [--networks] [--seed 2026] [--parts 24] [--days 250]
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from harness import parser

from plancast.data.sample import plan_snapshots, working_days
from plancast.data.sample_files import write_plan_xls
from plancast.evaluation.monitor import Backtest, live_skill
from plancast.evaluation.summary import route_text
from plancast.params import load_params, with_overrides
from plancast.pipeline import run as pipeline
from plancast.pipeline.replay import replay


def daily_of(params, sample):
    """The daily table of the sample ``sample``, as stages ingest and daily_last make it."""
    with tempfile.TemporaryDirectory() as folder:
        write_plan_xls(plan_snapshots(sample), path := Path(folder) / "plan.xls")
        ingested = pipeline.ingest(params.ingest.model_copy(update={"source": str(path)}), params.daily, folder)
    return ingested, pipeline.daily_last(params.daily, ingested.snapshots, until=params.train.until)


def flag_days(days, start, every):
    """(working days from ``start`` to the first retrain day or None, retrain days before ``start``)."""
    raised = [day.date() for day in days.loc[days["retrain"].astype(bool), "day"]]
    late = [day for day in raised if day >= start]
    return (every.index(late[0]) - every.index(start) if late else None), len(raised) - len(late)


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--bias", type=float, default=0.15)
    arguments.add_argument("--live", type=int, default=50, help="working days replayed after the cut")
    arguments.add_argument("--networks", action="store_true", help="also train params.yaml's networks")
    for key in ("seed", "parts", "days"):
        arguments.add_argument(f"--{key}", type=int, help=f"sample.{key} (default: params.yaml's)")
    args = arguments.parse_args()
    base = load_params("params.yaml")
    sample = base.sample.model_copy(update={key: value for key, value in vars(args).items() if key in
                                            ("seed", "parts", "days") and value is not None})  # fmt: skip
    every = working_days(sample.start, sample.days, sample.holidays)
    cut, start = every[-args.live - 1], every[-args.live // 2]
    params = with_overrides(base, {"train.until": cut.isoformat()})
    ingested, plain = daily_of(params, sample)
    made = pipeline.run(params, until="split_scale", ingested=ingested)
    inputs = pipeline.Inputs(made.daily.training, made.windowed.windows, made.prepared, made.features)
    names = params.train.models if args.networks else []
    models = {name: pipeline.train(params, name, inputs).model() for name in names}
    evaluation, tabular = pipeline.evaluate(params, inputs, models), pipeline.train_tabular(params, inputs)
    backtest = Backtest.from_reports(evaluation.folds, evaluation.horizon_trust)
    print(f"trained up to {cut} ({', '.join(names) or 'tabular models only'}); route "
          f"{route_text(evaluation.summary.recommended.route)}")  # fmt: skip
    _, biased = daily_of(params, sample.model_copy(update={"planner_bias": args.bias, "bias_from": start}))
    assert biased.training.equals(plain.training), "the bias must start after the training cut"
    origins = [day for day in plain.table["day"].unique() if day >= plain.until]
    print(f"backtest folds {backtest.fold_mean:+.3f} ± {backtest.fold_spread:.3f}; {len(origins)} mornings replayed")
    histories = {}
    for name, daily in (("unchanged", plain.table), (f"plans {args.bias:+.0%} from {start}", biased.table)):
        *_, last = replay(
            params, replace(inputs, daily=daily), models, evaluation.recommendation, tabular, backtest, origins
        )
        histories[name] = last.history
        full, lower = last.days[last.days["days"] >= params.monitor.days], backtest.lower_band(params.monitor.band)
        after, before = flag_days(last.days, start, every)
        print(
            f"{name}: retrain {'never raised' if after is None else f'raised {after} working days after {start}'}"
            f" ({before} retrain days before it); judged skill >= {full['judged_skill'].min():+.3f} (live "
            f"{full['live_skill'].min():+.3f} .. {full['live_skill'].max():+.3f}, band {lower:+.3f}); "
            f"judged plan shift <= {last.days['judged_shift'].max():.2f} (limit {params.monitor.plan_shift:g})"
        )
    print("monitor.days x monitor.consecutive: working days to the flag after the bias | flags on the unchanged")
    for days in (5, 7, 10, 15, 20):
        rules = [params.monitor.model_copy(update={"days": days, "consecutive": k}) for k in (1, 2, 3)]
        judged = [[live_skill(history, backtest, rule)[0] for history in histories.values()] for rule in rules]
        cells = [(flag_days(biased, start, every)[0], int(unchanged["retrain"].sum())) for unchanged, biased in judged]
        print(
            f"  N={days:<3} "
            + "   ".join(f"K={k}: {'-' if a is None else a:>2} | {u}" for k, (a, u) in enumerate(cells, 1))
        )


if __name__ == "__main__":
    main()
