"""Stage window: cut each part's daily features (the training table's) into lookback windows with their
delayed targets."""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import read_json, write_json
from plancast.pipeline.window import window
from plancast.stage import StageIO, run_stage, unwrap


def main(params, io: StageIO) -> None:
    daily = pd.read_parquet(io.read(catalog.TRAINING_DAILY))
    choice = unwrap(params.window)
    windowed = window(choice, daily, read_json(io.read(catalog.FEATURES)), params.train.until)
    windows, report = windowed.windows, windowed.report
    windows.save(io.write(catalog.WINDOWS))
    write_json(io.write(catalog.WINDOW_PARTS), report["parts"])
    write_json(io.write(catalog.WINDOW_METRICS), {key: value for key, value in report.items() if key != "parts"})
    kept = (
        f"; {report['kept_with_gaps']} kept with a gap in their inputs (NaN),"
        f" {report['pairs_without_target']} (window, delay) pairs without a target"
        if choice.gaps == "keep"
        else ""
    )
    print(
        f"window: {report['windows']} windows {tuple(windows.inputs.shape)}"
        f" from {len(report['parts']['windows'])} parts (lookback {choice.lookback}, delays {choice.delays});"
        f" {report['parts_skipped']} parts too short;"
        f" {report['lost_to_gaps']} windows lost to missing days{kept}"
    )


if __name__ == "__main__":
    run_stage("window", main)
