"""Stage window in memory: the lookback windows and their delayed targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from plancast.data.training_cut import day_label
from plancast.errors import ParamsError
from plancast.features.windows import Windows, required_rows, window_report
from plancast.params_sections import TrainUntil, WindowParams


@dataclass(frozen=True)
class Windowed:
    windows: Windows  # data/windows/windows.npz: inputs (windows, lookback, features)
    report: dict[str, Any]  # metrics/window.json with "parts" (data/reports/window_parts.json)


def window(params: WindowParams, daily: pd.DataFrame, features: dict[str, Any], until: TrainUntil = None) -> Windowed:
    """The lookback windows of the training table ``daily`` (``window.gaps`` says what becomes of one
    touching a missing day); one line naming train.until (when ``until`` cut the table) or window.lookback
    if no part is long enough for one."""
    windows, report = window_report(daily, features, params.lookback, params.delays, params.gaps)
    if not report["windows"]:
        longest = int(daily.groupby("part").size().max()) if len(daily) else 0
        needed = required_rows(params.lookback, params.delays)
        if until is not None and len(daily):
            days = f"{day_label(daily['day'].min())} .. {day_label(daily['day'].max())}"
            raise ParamsError(
                f"train.until: {day_label(until)} leaves the days {days} to train on, where no part has the "
                f"lookback + max(delays) = {needed} days one window needs (longest part: {longest} days); "
                "move train.until later, or lower window.lookback or window.delays"
            )
        raise ParamsError(
            f"window.lookback: no part has the lookback + max(delays) = {needed} "
            f"days one window needs (longest part: {longest} days); lower window.lookback or window.delays"
        )
    return Windowed(windows, report)
