"""How much the plan vintages add: tabular models against the planner's own number on a sample.

Run from the repository root (nothing is read or written; the table goes to stdout):

    PYTHONPATH=src python benchmarks/vintage_skill.py [--seed 2026] [--parts 24] [--days 250]

Builds the sample export (``plancast.data.sample.plan_snapshots``), daily-last, windows of
[target, h1, h2, h3] with lookback 10 and delays 1-3, one calendar cut 70/10/20 with standard
scaling, then fits PlanLinear, Boosted (absolute and squared error) and the window Ridge on the
training windows and prints MAE and skill against the plan (1 − MAE/MAE_plan) per delay and pooled on
validation and test, the recommendation routed on validation, the Diebold-Mariano test on the test
windows of the candidate best on validation against the plan, per delay, the test coverage of the
routed forecast's conformal intervals (calibrated on validation), and a digest of the test
predictions (equal across runs: the models are deterministic).
"""

from __future__ import annotations

import argparse
import hashlib

import numpy as np
import pandas as pd

from plancast.data.daily import last_snapshot_per_day
from plancast.data.sample import (
    HORIZONS,
    PART_HEADER,
    TARGET_HEADER,
    TIME_FORMAT,
    TIME_HEADER,
    horizon_header,
    plan_snapshots,
)
from plancast.evaluation.intervals import LEVELS, calibrate, coverage, part_scales, window_scale
from plancast.evaluation.metrics import mae
from plancast.evaluation.recommendation import combination, route, routed
from plancast.evaluation.significance import diebold_mariano
from plancast.features.scaling import split_and_scale
from plancast.features.windows import make_windows
from plancast.models.tabular import Boosted, PlanLinear, WindowRidge, tabular_rows
from plancast.names import PLAN_BASELINE
from plancast.params import SampleParams

LOOKBACK = 10
DELAYS = (1, 2, 3)
FEATURES = ("target", "h1", "h2", "h3")
FRACTIONS = (0.7, 0.1, 0.2)


def sample_daily(params: SampleParams) -> pd.DataFrame:
    """The sample export as the daily table, every part on every working day (position, present)."""
    export = plan_snapshots(params)
    names = {PART_HEADER: "part", TARGET_HEADER: "target", TIME_HEADER: "snapshot_time"}
    names |= {horizon_header(k): f"h{k}" for k in range(1, HORIZONS + 1)}
    snapshots = export.rename(columns=names)[list(names.values())]
    snapshots["snapshot_time"] = pd.to_datetime(snapshots["snapshot_time"].astype(str), format=TIME_FORMAT)
    snapshots[["target", *(f"h{k}" for k in range(1, HORIZONS + 1))]] = snapshots[
        ["target", *(f"h{k}" for k in range(1, HORIZONS + 1))]
    ].astype(np.float64)
    daily = last_snapshot_per_day(snapshots)
    return daily.assign(position=daily.groupby("part").cumcount().astype(np.int64), present=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SampleParams().seed)
    parser.add_argument("--parts", type=int, default=SampleParams().parts)
    parser.add_argument("--days", type=int, default=SampleParams().days)
    args = parser.parse_args()
    params = SampleParams(seed=args.seed, parts=args.parts, days=args.days)
    daily = sample_daily(params)
    parts = sorted(daily["part"].unique())
    windows = make_windows(daily, {"columns": {p: list(FEATURES) for p in parts}}, LOOKBACK, DELAYS)
    splits, scalers, _ = split_and_scale(windows, FRACTIONS, "standard")
    rows = tabular_rows(windows, daily, scalers, max_horizon=HORIZONS)
    index = {name: splits[name].window for name in ("train", "val", "test")}
    train = rows.take(index["train"])
    models = {
        "plan_linear": PlanLinear(alpha=1.0),
        "boosted_abs": Boosted(loss="absolute_error"),
        "boosted_sq": Boosted(loss="squared_error"),
        "ridge_window": WindowRidge(alpha=1.0),
    }
    predictions: dict[str, dict[str, np.ndarray]] = {split: {PLAN_BASELINE: windows.plan[index[split]]}
                                                     for split in ("val", "test")}  # fmt: skip
    for name, model in models.items():
        model.fit(train)
        for split in ("val", "test"):
            predictions[split][name] = model.predict(rows.take(index[split]))
    for split in ("val", "test"):
        predictions[split]["boosted_abs+plan_linear"] = combination(
            predictions[split]["boosted_abs"], predictions[split]["plan_linear"]
        )
    actual = {split: windows.targets[index[split]] for split in ("val", "test")}
    errors = {split: {n: actual[split] - p for n, p in predictions[split].items()} for split in ("val", "test")}
    chosen = route(errors["val"], DELAYS)
    for split in ("val", "test"):
        predictions[split]["routed"] = routed(predictions[split], chosen, DELAYS)

    counts = "/".join(str(len(index[split])) for split in ("train", "val", "test"))
    print(f"sample seed={params.seed} parts={params.parts} days={params.days}; windows train/val/test = {counts}; "
          f"lookback {LOOKBACK}, delays {DELAYS}")  # fmt: skip
    print(f"routed on validation: {chosen}")
    header = f"{'split':5} {'model':24}" + "".join(f" {'MAE d' + str(d):>9} {'skill':>7}" for d in DELAYS)
    print(header + f" {'MAE all':>9} {'skill':>7}")
    for split in ("val", "test"):
        plan = predictions[split][PLAN_BASELINE]
        for name, prediction in predictions[split].items():
            cells = []
            for column in range(len(DELAYS)):
                y, p, b = actual[split][:, column], prediction[:, column], plan[:, column]
                cells.append(f" {mae(y, p):9.3f} {1 - mae(y, p) / mae(y, b):+7.3f}")
            pooled = mae(actual[split], prediction)
            print(
                f"{split:5} {name:24}"
                + "".join(cells)
                + f" {pooled:9.3f} {1 - pooled / mae(actual[split], plan):+7.3f}"
            )
    print("Diebold-Mariano on test (absolute error, per-day panel, HLN), best-on-validation model vs the plan:")
    day = windows.position[index["test"]]
    val_scores = {n: [mae(actual["val"][:, c], p[:, c]) for c in range(len(DELAYS))]
                  for n, p in predictions["val"].items() if n not in (PLAN_BASELINE, "routed")}  # fmt: skip
    for column, delay in enumerate(DELAYS):
        best = min(val_scores, key=lambda n: val_scores[n][column])
        a = errors["test"].get(best, actual["test"] - predictions["test"][best])[:, column]
        b = errors["test"][PLAN_BASELINE][:, column]
        statistic, p_two = diebold_mariano(a, b, day + delay, horizon=delay)
        _, p_one = diebold_mariano(a, b, day + delay, horizon=delay, alternative="a_better")
        print(f"  delay {delay}: {best:24} DM {statistic:+7.3f}  p two-sided {p_two:.2e}  p better {p_one:.2e}")
    fallback = {part: scaler.target_scale for part, scaler in scalers.parts.items()}
    scales = part_scales(windows.part[index["train"]], windows.targets[index["train"]],
                         windows.plan[index["train"]], fallback)  # fmt: skip
    conformal = calibrate(actual["val"], predictions["val"]["routed"], window_scale(scales, windows.part[index["val"]]))
    test_scale = window_scale(scales, windows.part[index["test"]])
    for level in LEVELS:
        lower, upper = conformal.interval(predictions["test"]["routed"], test_scale, level)
        shares = [coverage(actual["test"][:, c], lower[:, c], upper[:, c]) for c in range(len(DELAYS))]
        print(f"conformal {level:.0%} interval of routed (calibrated on val), test coverage per delay: "
              + " ".join(f"{share:.3f}" for share in shares))  # fmt: skip
    digest = hashlib.sha256(b"".join(predictions["test"][n].tobytes() for n in models)).hexdigest()[:16]
    print(f"test predictions sha256: {digest}")


if __name__ == "__main__":
    main()
