"""Stage correlate: how well each plan horizon tracks the actual, per part and pooled, with a heatmap."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plancast.artifacts import write_csv, write_json
from plancast.correlation import correlation_summary, horizon_correlations, horizon_cross_correlation
from plancast.params import Params
from plancast.plots import correlation_heatmap, save_figure
from plancast.stage import require_inputs, run_stage

DAILY = Path("data/interim/daily.parquet")
TABLE = Path("data/reports/correlation.csv")
METRICS = Path("metrics/correlate.json")
PART_DETAIL = Path("data/reports/correlate_parts.json")  # per part, out of metrics: keeps `dvc exp show` short
HEATMAP = Path("plots/correlation_heatmap.png")


def main(params: Params) -> None:
    require_inputs({DAILY: "daily_last"})
    daily = pd.read_parquet(DAILY)
    min_pairs = params.correlate.min_pairs
    table = horizon_correlations(daily, min_pairs)
    summary = correlation_summary(table, sorted(str(part) for part in daily["part"].unique()))
    write_csv(TABLE, table)
    write_json(PART_DETAIL, {"parts": summary["parts"]})
    write_json(METRICS, {key: value for key, value in summary.items() if key != "parts"})
    save_figure(correlation_heatmap(table, horizon_cross_correlation(daily, min_pairs)), HEATMAP)
    best = summary["best_horizon"]
    best_text = f"best pooled {best} (r = {summary['pooled'][best]:.2f})" if best else "no defined correlation"
    horizons = table["horizon"].nunique()
    print(f"correlate: {len(summary['parts'])} parts x {horizons} horizons; {best_text}")


if __name__ == "__main__":
    run_stage(main)
