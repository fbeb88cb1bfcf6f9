"""Stage monitor: does the model still hold? The morning run's recommended forecast logged at its origin,
the live history of errors, live skill against the backtest's and the retrain flag.

Reads ``data/reports/forecast.csv`` (its recommended rows), the daily table (the origin is its last day;
its actuals) and the backtest (``backtest.csv``'s folds, ``horizon_trust.csv``). Writes the origin's file
into ``data/monitor/forecasts/`` unless one is there (written once: the record of what that morning
forecast), ``data/monitor/history.csv`` (merged into the previous one), ``data/monitor/live_skill.csv``
(per day), ``data/monitor/live_horizons.csv`` (per delay, the last day) and ``metrics/monitor.json``. The
log and the history are ``persist`` outputs that git tracks and DVC never caches: ``dvc repro`` does not
delete them, ``dvc checkout`` does not touch them (docs/monitoring.md).
"""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import write_csv, write_json
from plancast.data.training_cut import day_label
from plancast.evaluation.monitor import (
    Backtest,
    entry_name,
    horizons_line,
    monitor_metrics,
    status_line,
)
from plancast.pipeline.monitor import empty_history, empty_log, monitor
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    frame = pd.read_csv(io.read(catalog.FORECAST), dtype={"part": str})
    daily = pd.read_parquet(io.read(catalog.DAILY))
    folds = pd.read_csv(io.read(catalog.BACKTEST))
    backtest = Backtest.from_reports(folds, pd.read_csv(io.read(catalog.HORIZON_TRUST), dtype={"part": str}))
    folder, kept = io.write(catalog.FORECAST_LOG), io.write(catalog.HISTORY)
    entries = [pd.read_csv(path, dtype={"part": str}) for path in sorted(folder.glob("*.csv"))]
    log = pd.concat(entries, ignore_index=True) if entries else empty_log()
    previous = pd.read_csv(kept, dtype={"part": str}) if kept.is_file() else empty_history()
    rule = unwrap(params.monitor)
    made = monitor(rule, log, frame, daily, previous, backtest)

    if made.logged:
        write_csv(folder / entry_name(made.origin), made.entry)
    folder.mkdir(parents=True, exist_ok=True)  # DVC wants the folder even before the first entry
    write_csv(kept, made.history)
    write_csv(io.write(catalog.LIVE_SKILL), made.days)
    write_csv(io.write(catalog.LIVE_HORIZONS), made.horizons)
    write_json(io.write(catalog.MONITOR_METRICS), monitor_metrics(made.days))
    logged = "logged" if made.logged else "logged before (kept)" if len(made.entry) else "no recommended forecast"
    print(
        f"monitor: origin {day_label(made.origin)} {logged}; {made.log['origin'].nunique()} origin(s) in the log, "
        f"{len(made.history)} errors in the history ({made.new_errors} new)"
    )
    print(f"monitor: {status_line(made.days, made.horizons, rule)}")
    if len(made.horizons):
        print(f"monitor: {horizons_line(made.horizons)}")


if __name__ == "__main__":
    run_stage("monitor", main)
