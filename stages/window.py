"""Stage window: cut each part's daily features into lookback windows with their delayed targets."""

from __future__ import annotations

import pandas as pd

from plancast import catalog
from plancast.artifacts import read_json, write_json
from plancast.errors import ParamsError
from plancast.features.windows import required_rows, window_report
from plancast.stage import StageIO, run_stage


def main(params, io: StageIO) -> None:
    daily = pd.read_parquet(io.read(catalog.DAILY))
    lookback, delays = params.window.lookback, params.window.delays
    windows, report = window_report(daily, read_json(io.read(catalog.FEATURES)), lookback, delays)
    if not report["windows"]:
        longest = int(daily.groupby("part").size().max()) if len(daily) else 0
        raise ParamsError(
            f"window.lookback: no part has the lookback + max(delays) = {required_rows(lookback, delays)} "
            f"days one window needs (longest part: {longest} days); lower window.lookback or window.delays"
        )
    windows.save(io.write(catalog.WINDOWS))
    write_json(io.write(catalog.WINDOW_PARTS), {"parts": report["parts"]})
    write_json(io.write(catalog.WINDOW_METRICS), {key: value for key, value in report.items() if key != "parts"})
    print(
        f"window: {report['windows']} windows {tuple(windows.inputs.shape)}"
        f" from {len(report['parts'])} parts (lookback {lookback}, delays {delays});"
        f" {len(report['skipped'])} parts too short;"
        f" {sum(report['lost_to_gaps'].values())} windows lost to missing days"
    )


if __name__ == "__main__":
    run_stage("window", main)
