"""A plant's exports and a servable folder fitted on them, for the tests of serving from export files.

Two daily-export CSVs in the planning system's schema (two parts, 70 working days, two snapshots a day,
the second file repeating the first's last three days with one revised target), read by stage
ingest's and daily_last's code, and the recommended forecast (boosted trees at delay 1, the corrected
plan at delay 2) fitted on that daily table and saved as stage forecast saves it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from export_files import PART, TARGET, TIME, write_export

from plancast.features.scaling import fit_scalers
from plancast.features.windows import make_windows
from plancast.forecasting import fit_tabular
from plancast.models.recommended import Recommendation
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams, ReportParams
from plancast.pipeline.daily_last import daily_last
from plancast.pipeline.ingest import ingest
from plancast.serving import save_recommended

PARTS, DAYS, LOOKBACK, DELAYS = ("A-100", "B-200"), 70, 5, [1, 2]
HORIZONS = [f"D+{k}일 투입예정 수량(Total)" for k in (1, 2, 3)]
HEADER = [PART, TARGET, *HORIZONS, "Unit", TIME]
EXPORTS = ("exports/export_1.csv", "exports/export_2.csv")  # relative to the plant's folder, as ingest names them
READING = IngestParams(source="exports", max_horizon=3)  # the planning system's schema: ingest's defaults


@dataclass(frozen=True)
class Plant:
    """``root``: the folder holding ``exports/``; ``daily``: what stages ingest and daily_last make of
    them; ``folder``: the servable folder fitted on it."""

    root: Path
    daily: pd.DataFrame
    folder: Path


def export_rows() -> list[list[object]]:
    """Each part's snapshots: 06:30 (preliminary) and 18:30 (the day's last) on every working day."""
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2025-01-06", periods=DAYS)
    rows = []
    for part in PARTS:
        level = rng.uniform(40, 90)
        target = np.round(level + 12 * np.sin(np.arange(DAYS + 3) / 4) + rng.normal(0, 4, DAYS + 3))
        for i, day in enumerate(days):
            plans = [int(target[i + k] + rng.normal(0, 3 * k)) for k in (1, 2, 3)]
            stamp = int(day.strftime("%Y%m%d"))
            rows.append([part, int(target[i]) + 5, *plans, "EA", stamp * 10000 + 630])
            rows.append([part, int(target[i]), *plans, "EA", stamp * 10000 + 1830])
    return rows


def write_exports(root: Path) -> None:
    """The two daily exports: the second repeats the first's last three days, one target revised."""
    rows = sorted(export_rows(), key=lambda row: row[-1])
    cut = len(rows) // 2
    repeated = [list(row) for row in rows[cut - 6 : cut]]
    repeated[-1][1] += 7  # a revision: the later file wins
    write_export(root / EXPORTS[0], HEADER, rows[:cut])
    write_export(root / EXPORTS[1], HEADER, [*repeated, *rows[cut:]])


def pipeline_daily(root: Path, reading: IngestParams = READING) -> pd.DataFrame:
    """Stage ingest's and daily_last's table of ``root/exports``."""
    with contextlib.chdir(root):
        snapshots = ingest(reading, DailyParams()).snapshots
    return daily_last(DailyParams(), snapshots).table


def fitted_folder(daily: pd.DataFrame, folder: Path, reading: IngestParams = READING) -> Path:
    """The recommended forecast fitted on ``daily``, saved as stage forecast saves it."""
    columns = {part: ["target", "h1", "h2"] for part in PARTS}
    windows = make_windows(daily, {"columns": columns}, LOOKBACK, DELAYS)
    train = np.flatnonzero(windows.position < 45)
    scalers = fit_scalers(windows.inputs, windows.targets, windows.part, train, "standard")
    tabular = fit_tabular(daily, windows, scalers, ["plan_linear", "boosted"])
    widths = {"0.8": [4.0, 5.0], "0.95": [8.0, 10.0]}
    recommendation = Recommendation(
        route={1: "boosted", 2: "plan_linear"}, plan="baseline_plan", best_network=None, best_tabular="boosted",
        levels=[0.8, 0.95], half_widths=widths, delays=DELAYS, scales=dict.fromkeys(PARTS, 1.0),
        intervals={"recommended": {"half_widths": widths}},
    )  # fmt: skip
    trust = pd.DataFrame(
        {
            "part": ["pooled", "pooled"], "horizon": [1, 2], "label": ["D+1", "D+2"], "pairs": [40, 40],
            "plan_mae": [6.0, 8.0], "plan_bias": [0.5, 1.0], "relative_plan_mae": [0.1, 0.12],
            "recommended_mae": [4.5, 7.0], "plan_mae_same_windows": [6.0, 8.0], "beats_plan": [True, True],
        }
    )  # fmt: skip
    save_recommended(
        folder, recommendation, windows, columns, scalers, 3, DailyParams(), tabular, {},
        reading=reading, trust=trust, report=ReportParams(),
    )  # fmt: skip
    return folder


def plant(root: Path) -> Plant:
    """The exports written under ``root`` and a servable folder fitted on them, in ``root/served``
    (outside ``root/exports``)."""
    write_exports(root)
    daily = pipeline_daily(root)
    return Plant(root, daily, fitted_folder(daily, root / "served"))
