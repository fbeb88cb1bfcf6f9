"""Does fitting the boosted trees on a subsample of their rows (``Boosted(max_rows=...)``) cost accuracy?

Makes a sample of ``--parts`` parts x ``--days`` days, runs the data stages in memory, fits the boosted
trees on the training windows with each cap and scores the validation windows (every delay pooled):
validation MAE, its change against all rows, and the fit's seconds. Choices are made on validation only.

    python benchmarks/boosted_rows.py [--parts 200] [--days 260] [--caps 0 100000 50000 20000] [--seed 2026]
"""

from __future__ import annotations

import numpy as np
from harness import parser, prepare, seconds

from plancast.data.daily import horizon_columns
from plancast.models.tabular import Boosted, tabular_rows
from plancast.params import load_params


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("--parts", type=int, default=200)
    arguments.add_argument("--days", type=int, default=260)
    arguments.add_argument("--seed", type=int, default=2026)
    arguments.add_argument("--caps", type=int, nargs="+", default=[0, 100_000, 50_000, 20_000], help="0 = all rows")
    args = arguments.parse_args()
    params = load_params("params.yaml")
    sample = params.sample.model_copy(update={"parts": args.parts, "days": args.days, "seed": args.seed})
    made = prepare(params, sample)
    daily, windows, splits = made.daily.training, made.windowed.windows, made.prepared.splits
    rows = tabular_rows(windows, daily, made.prepared.scalers, len(horizon_columns(daily)))
    train = rows.take(splits.train.window)
    train = type(train)(**{**vars(train), "targets": splits.actual("train", windows)})
    val, actual = rows.take(splits.val.window), splits.actual("val", windows)
    plan = windows.plan[splits.val.window]
    known = np.isfinite(actual)
    plan_mae = np.nanmean(np.abs(plan - actual)[known])
    print(f"{args.parts} parts x {args.days} days (seed {args.seed}): {len(splits.train.window):,} training windows, "
          f"{int(np.isfinite(train.targets).sum(axis=0).max()):,} rows at the fullest delay; "
          f"validation {int(known.sum()):,} targets, plan MAE {plan_mae:.3f}")  # fmt: skip
    base = None
    for cap in args.caps:
        model = Boosted(max_rows=cap or None)
        fit = seconds(lambda model=model: model.fit(train))
        mae = float(np.mean(np.abs(model.predict(val) - actual)[known]))
        base = mae if base is None else base
        print(f"  max_rows {cap or 'all':>7}: validation MAE {mae:.3f} ({mae / base - 1:+.2%}), skill "
              f"{1 - mae / plan_mae:+.3f}, fit {fit:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
