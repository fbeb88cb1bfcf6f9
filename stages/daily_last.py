"""Stage daily_last: keep each part's last snapshot of every day (rows become days)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plancast.artifacts import write_json, write_parquet
from plancast.daily import check_snapshots, daily_summary, last_snapshot_per_day
from plancast.params import Params
from plancast.stage import require_inputs, run_stage

SNAPSHOTS = Path("data/interim/snapshots.parquet")
DAILY = Path("data/interim/daily.parquet")
METRICS = Path("metrics/daily_last.json")
PART_DETAIL = Path("data/reports/daily_last_parts.json")  # per part, out of metrics: keeps `dvc exp show` short


def main(params: Params) -> None:
    require_inputs({SNAPSHOTS: "ingest"})
    snapshots = pd.read_parquet(SNAPSHOTS)
    check_snapshots(snapshots, str(SNAPSHOTS))
    daily = last_snapshot_per_day(snapshots)
    summary = daily_summary(snapshots, daily)
    write_parquet(DAILY, daily)
    write_json(PART_DETAIL, {"parts": summary["parts"]})
    write_json(METRICS, {key: value for key, value in summary.items() if key != "parts"})
    print(
        f"daily_last: {summary['total_snapshots']} snapshots -> {summary['total_days']} part-days "
        f"({summary['part_count']} parts, {summary['first_day']} .. {summary['last_day']})"
    )


if __name__ == "__main__":
    run_stage(main)
