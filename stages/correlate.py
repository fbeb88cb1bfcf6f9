"""Stage correlate: how well each plan horizon tracks the actual, per part and pooled, with a heatmap."""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import write_csv, write_json
from plancast.pipeline.correlate import correlate
from plancast.reporting.plot_style import save_figure
from plancast.reporting.plots import correlation_heatmap
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    daily = pd.read_parquet(io.read(catalog.TRAINING_DAILY))
    correlation = correlate(unwrap(params.correlate), daily)
    table, summary = correlation.table, correlation.summary
    write_csv(io.write(catalog.CORRELATION), table)
    best = summary["best_horizon"]
    # per part and per horizon out of metrics: keeps `dvc exp show` short
    write_json(io.write(catalog.CORRELATION_PARTS), {"parts": summary["parts"]})
    write_json(io.write(catalog.CORRELATION_METRICS), {"best_horizon": best, "best_r": summary["pooled"].get(best)})
    save_figure(correlation_heatmap(table, correlation.cross), io.write(catalog.HEATMAP))
    best_text = f"best pooled {best} (r = {summary['pooled'][best]:.2f})" if best else "no defined correlation"
    horizons = table["horizon"].nunique()
    print(f"correlate: {len(summary['parts'])} parts x {horizons} horizons; {best_text}")


if __name__ == "__main__":
    run_stage("correlate", main)
