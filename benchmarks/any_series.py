"""Issue 28: on real plain series and Seed A, the recommended forecast's test MAE against the best baseline.

Usage: python benchmarks/any_series.py [--series elnino realgdp nile danish_lry seed_a] [--models lstm_gru ...]

Each series is one part without a plan, set up as configs/seed_a_validated.yaml sets up Seed A (its
networks and training, the residual target, minmax scaling, 70/10/20, a recursive forecast) plus
``evaluate.statistical: [auto_ets]`` and, on a real series, ``evaluate.tabular: [boosted]``; its lookback is two
seasons (at least 8) and its season its calendar's (benchmarks/data/README.md), both fixed beforehand.
One run of ingest .. forecast per series (``plancast.pipeline.run``) gives both routes, each chosen on
validation: *before*, among the networks, the trees and their combination (the route before baselines
were candidates); *after*, the pipeline's own (the baselines too). Test MAE on the windows all of them score.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from plancast.data.sample import seed_a_series, write_seed_a_csv
from plancast.evaluation.recommendation import firm_route
from plancast.experiments import read_config
from plancast.names import COMBINATION, ETS_BASELINE, LAST_BASELINE, RECOMMENDED, RIDGE_BASELINE, SEASONAL_BASELINE
from plancast.params import load_params, with_overrides
from plancast.pipeline import run as pipeline

BASELINES = (LAST_BASELINE, SEASONAL_BASELINE, RIDGE_BASELINE, ETS_BASELINE)  # the yardsticks
REAL = {"elnino": 12, "realgdp": 4, "nile": 1, "danish_lry": 4}  # series -> season (steps)
SEED_A = "data/raw/seed_a.csv"


def overrides(series: str, models: list[str] | None) -> dict:
    shape = dict(read_config("configs/seed_a_validated.yaml")[1]) | {"evaluate.statistical": ["auto_ets"]}
    if models:
        shape["train.models"] = models
    if series == "seed_a":  # as validated: no trees
        return shape
    season = REAL[series]
    return shape | {
        "evaluate.tabular": ["boosted"],
        "ingest.source": f"benchmarks/data/{series}.csv", "ingest.part_name": series, "ingest.target_column": series,
        "window.lookback": max(8, 2 * season), "evaluate.season_period": season, "forecast.recursive_steps": 8,
    }  # fmt: skip


def by_window(frame, split: str) -> dict[str, np.ndarray]:
    """{model: (windows, 1)} predictions of ``split`` (delay 1), and the actuals under key ``actual``."""
    rows = frame[frame["split"] == split].pivot_table(index="window", columns="model", values="prediction")
    actual = frame[frame["split"] == split].groupby("window")["actual"].first().reindex(rows.index)
    return {"actual": actual.to_numpy()[:, None], **{m: rows[m].to_numpy()[:, None] for m in rows.columns}}


def measure(series: str, models: list[str] | None) -> dict:
    params = with_overrides(load_params(), overrides(series, models), series)
    started = time.perf_counter()
    made = pipeline.run(params, until="forecast")
    evaluation, networks = made.evaluation, list(params.train.models)
    val, test = by_window(evaluation.predictions, "val"), by_window(evaluation.predictions, "test")
    before = [*networks, *params.evaluate.tabular, *([COMBINATION] if COMBINATION in val else [])]
    route_before, _, _ = firm_route({m: val["actual"] - val[m] for m in before}, [1])
    compared = [RECOMMENDED, route_before[1], *BASELINES]
    common = np.logical_and.reduce([np.isfinite(test[m][:, 0]) for m in [*compared, "actual"]])
    mae = {m: float(np.mean(np.abs(test["actual"][common, 0] - test[m][common, 0]))) for m in compared}
    best = min(BASELINES, key=mae.get)
    known = np.logical_and.reduce([np.isfinite(val[m][:, 0]) for m in [*compared, "actual"]])
    on_val = {m: float(np.mean(np.abs(val["actual"][known, 0] - val[m][known, 0]))) for m in compared}
    recursive = made.forecast.frame.query("method == 'recursive' and model == @RECOMMENDED")
    return {
        "series": series, "windows": int(common.sum()), "before": mae[route_before[1]], "route_before": route_before[1],
        "after": mae[RECOMMENDED], "route_after": evaluation.recommendation.route[1], "best": mae[best],
        "best_name": best, "steps": len(recursive), "seconds": time.perf_counter() - started,
        "val": f"{on_val[RECOMMENDED]:.4g} / {min(on_val[m] for m in BASELINES):.4g}",
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="+", default=[*REAL, "seed_a"], choices=[*REAL, "seed_a"])
    parser.add_argument("--models", nargs="+", help="train.models (default: Seed A's validated four)")
    args = parser.parse_args()
    if "seed_a" in args.series and not Path(SEED_A).exists():  # stage make_sample's wave
        sample = load_params().sample
        write_seed_a_csv(seed_a_series(sample.seed_a_points, sample.seed_a_seed), SEED_A)
    print(
        "| series | test windows | before: route, MAE | after: route, MAE | best baseline, MAE | after / best "
        "| validation: after / best baseline |"
    )
    print("|---|---|---|---|---|---|---|")
    for series in args.series:
        r = measure(series, args.models)
        print(
            f"| {r['series']} | {r['windows']} | {r['route_before']} {r['before']:.4g} | {r['route_after']} "
            f"{r['after']:.4g} | {r['best_name']} {r['best']:.4g} | {r['after'] / r['best']:.3f} | {r['val']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
