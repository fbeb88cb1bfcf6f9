"""Stage window: cut each part's daily features into lookback windows with their delayed targets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plancast.artifacts import read_json, save_npz, write_json
from plancast.errors import ParamsError
from plancast.params import Params
from plancast.stage import require_inputs, run_stage
from plancast.windows import make_windows, required_rows, window_report

DAILY = Path("data/interim/daily.parquet")
FEATURES = Path("data/features/features.json")
WINDOWS = Path("data/windows/windows.npz")
METRICS = Path("metrics/window.json")
PART_DETAIL = Path("data/reports/window_parts.json")  # per part, out of metrics: keeps `dvc exp show` short


def main(params: Params) -> None:
    require_inputs({DAILY: "daily_last", FEATURES: "select_features"})
    daily = pd.read_parquet(DAILY)
    lookback, delays = params.window.lookback, params.window.delays
    windows = make_windows(daily, read_json(FEATURES), lookback, delays)
    report = window_report(daily, windows, lookback, delays)
    if not report["windows"]:
        longest = int(daily.groupby("part").size().max()) if len(daily) else 0
        raise ParamsError(
            f"window.lookback: no part has the lookback + max(delays) = {required_rows(lookback, delays)} "
            f"days one window needs (longest part: {longest} days); lower window.lookback or window.delays"
        )
    save_npz(WINDOWS, **windows)
    write_json(PART_DETAIL, {"parts": report["parts"]})
    write_json(METRICS, {key: value for key, value in report.items() if key != "parts"})
    print(
        f"window: {report['windows']} windows {tuple(windows['inputs'].shape)}"
        f" from {len(report['parts'])} parts (lookback {lookback}, delays {delays});"
        f" {len(report['skipped'])} parts too short"
    )


if __name__ == "__main__":
    run_stage(main)
