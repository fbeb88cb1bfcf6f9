"""Stage daily_last: each part's last snapshot of every working day, laid on the calendar (gaps explicit), and
the training table: its days up to ``train.until``, what correlate .. evaluate read."""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import write_json, write_parquet
from plancast.data.training_cut import day_label
from plancast.pipeline.daily_last import daily_last
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    source = io.read(catalog.SNAPSHOTS)
    snapshots = pd.read_parquet(source)
    until = params.train.until
    daily = daily_last(unwrap(params.daily), snapshots, str(source), until)
    summary = daily.summary
    write_parquet(io.write(catalog.DAILY), daily.table)
    write_parquet(io.write(catalog.TRAINING_DAILY), daily.training)
    write_json(io.write(catalog.DAILY_PARTS), {"parts": summary["parts"]})
    write_json(io.write(catalog.DAILY_METRICS), {key: value for key, value in summary.items() if key != "parts"})
    print(
        f"daily_last: {summary['total_snapshots']} snapshots -> {summary['days_present']} part-days on the calendar "
        f"({summary['part_count']} parts, {summary['first_day']} .. {summary['last_day']}); "
        f"{summary['days_missing']} working days without a snapshot in {summary['parts_with_missing_days']} parts"
    )
    cut = "none (no data)" if daily.until is None else day_label(daily.until)
    rule = "the data's last day" if until is None else until
    print(f"daily_last: training table up to {cut} (train.until: {rule}): {len(daily.training)} part-days")
    if daily.hint:
        print(f"daily_last: {daily.hint}")


if __name__ == "__main__":
    run_stage("daily_last", main)
