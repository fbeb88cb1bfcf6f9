"""Stage daily_last: keep each part's last snapshot of every day (rows become days)."""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import write_json, write_parquet
from plancast.data.daily import check_snapshots, daily_summary, last_snapshot_per_day
from plancast.stage import StageIO, run_stage


def main(params, io: StageIO) -> None:
    source = io.read(catalog.SNAPSHOTS)
    snapshots = pd.read_parquet(source)
    check_snapshots(snapshots, str(source))
    daily = last_snapshot_per_day(snapshots)
    summary = daily_summary(snapshots, daily)
    write_parquet(io.write(catalog.DAILY), daily)
    write_json(io.write(catalog.DAILY_PARTS), {"parts": summary["parts"]})
    write_json(io.write(catalog.DAILY_METRICS), {key: value for key, value in summary.items() if key != "parts"})
    print(
        f"daily_last: {summary['total_snapshots']} snapshots -> {summary['total_days']} part-days "
        f"({summary['part_count']} parts, {summary['first_day']} .. {summary['last_day']})"
    )


if __name__ == "__main__":
    run_stage("daily_last", main)
