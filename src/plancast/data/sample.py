"""The bundled synthetic data: a plan-snapshot export in Seed B's schema and Seed A's wave.

The export imitates a planning system: every working day (Mon-Fri) the system writes 1-3 snapshots,
each holding, for every part, the quantity planned for today (day D, the target) and for each of the
next 12 working days (D+1 .. D+12, so "k days ahead" is exactly k rows ahead after daily-last).
Far plans are placeholders (the part's lot size or zero) that persist from one snapshot to the next;
as a day approaches its plan is revised toward what really goes in, and the day's last snapshot holds
the actual. Everything is drawn from one seeded generator, so the same params give the same bytes.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import xlwt

from plancast.artifacts import atomic_path, write_csv
from plancast.params import SampleParams

HORIZONS = 12
PART_HEADER = "Part Number"
TARGET_HEADER = "D일 투입예정 수량(D일계획)"
TIME_HEADER = "CRET_TIME"
TIME_FORMAT = "%Y%m%d%H%M"
XLS_MAX_ROWS = 65_536  # rows per Excel 97 sheet, header included

# Times of day at which the planning system writes a snapshot (Seed B shows 06:32, 16:33, 17:06, 18:30).
SNAPSHOT_TIMES = ((6, 32), (9, 15), (13, 2), (16, 33), (17, 6), (17, 30), (18, 30))

# Per lead k (index 0 unused, 1..12): chance that the plan for a day is revised at that lead rather
# than kept from the previous day's snapshot, and chance that a revision is informed (an estimate of
# the actual) rather than a placeholder. Tuned so that the horizon-aligned correlation of the actual
# with the D+k plan falls like Seed B's: ~0.7 at D+1, ~0.4 at D+3..5, ~0.15 at D+10..12.
_REVISE = np.array([0.0, 0.9, 0.75, 0.55, 0.55, 0.55, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 1.0])
_INFORMED = np.array([0.0, 0.9, 0.85, 0.65, 0.7, 0.75, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.2])
# Log-scale error of an informed estimate made k days ahead.
_ESTIMATE_SIGMA = 0.2 + 0.03 * np.arange(HORIZONS + 1)


def horizon_header(k: int) -> str:
    """Seed B's header of the D+k plan column: '(Total)' for k = 1..4 only."""
    suffix = "(Total)" if k <= 4 else ""
    return f"D+{k}일 투입예정 수량{suffix}"


def plan_columns() -> list[str]:
    """Column order of the export: three ignored extras, the 14 plan columns, an extra, CRET_TIME."""
    horizons = [horizon_header(k) for k in range(1, HORIZONS + 1)]
    return ["Plant", "Line", PART_HEADER, TARGET_HEADER, *horizons, "Unit", TIME_HEADER]


def working_days(start: date, count: int) -> list[date]:
    """The first ``count`` Mondays-to-Fridays on or after ``start``."""
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _lot_size(rng: np.random.Generator, base: float) -> int:
    """A part's placeholder quantity: usually a round number near its level, sometimes an odd lot."""
    size = base * rng.uniform(0.8, 1.4)
    if rng.random() < 0.7:
        step = 10 if size < 200 else 50
        return int(max(step, step * round(size / step)))
    return int(max(1, round(size)))


def _actuals(rng: np.random.Generator, n_days: int, weekdays: np.ndarray, stoppages: np.ndarray) -> dict:
    """One part's level, lot size and actual daily input over ``n_days`` working days."""
    base = float(np.exp(rng.uniform(np.log(15.0), np.log(300.0))))
    weekly = np.clip(1.0 + rng.normal(0.0, 0.3, 5), 0.3, 1.8)
    shocks = np.empty(n_days)
    shocks[0] = rng.normal()
    for t in range(1, n_days):
        shocks[t] = 0.4 * shocks[t - 1] + rng.normal() * np.sqrt(1 - 0.4**2)
    level = base * weekly[weekdays]
    actual = np.round(level * np.exp(0.3 * shocks))
    actual[stoppages | (rng.random(n_days) < 0.03)] = 0.0
    return {"base": base, "level": level, "lot": _lot_size(rng, base), "actual": actual}


def _plans(rng: np.random.Generator, part: dict) -> np.ndarray:
    """Plan of each day at each lead: ``(days, 13)``, column k = plan made k working days ahead.

    Column 0 is the actual. A plan first appears at lead 12; at each shorter lead it is either kept
    (placeholders persist, so neighbouring far horizons agree) or revised, to an informed estimate
    whose error shrinks with the lead, or to a placeholder (the lot size or zero).
    """
    actual, level, lot = part["actual"], part["level"], part["lot"]
    n_days = actual.size
    plans = np.zeros((n_days, HORIZONS + 1))
    plans[:, 0] = actual
    for k in range(HORIZONS, 0, -1):
        # A stoppage is known a few days ahead; further out the planner only knows the usual level.
        known = actual if k <= 3 else np.where(actual > 0, actual, level)
        estimate = np.round(known * np.exp(rng.normal(0.0, _ESTIMATE_SIGMA[k], n_days)))
        placeholder = np.where(rng.random(n_days) < 0.7, float(lot), 0.0)
        revised = np.where(rng.random(n_days) < _INFORMED[k], estimate, placeholder)
        previous = plans[:, k + 1] if k < HORIZONS else revised
        plans[:, k] = np.where(rng.random(n_days) < _REVISE[k], revised, previous)
    return plans


def plan_snapshots(params: SampleParams) -> pd.DataFrame:
    """A plan-snapshot export: one row per part per snapshot, columns as :func:`plan_columns`.

    ``params.days`` working days from ``params.start``, 1-3 snapshots a day at shared times, rows of a
    day in shuffled order. Quantities are int64; ``CRET_TIME`` is the int64 ``%Y%m%d%H%M`` number.
    """
    rng = np.random.default_rng(params.seed)
    # Plans reach 12 days past the last snapshot day, so actuals are drawn for those days too.
    days = working_days(params.start, params.days + HORIZONS)
    weekdays = np.array([day.weekday() for day in days])
    stoppages = rng.random(len(days)) < 0.01  # plant-wide days off
    parts = [f"Part {i}" for i in range(1, params.parts + 1)]
    lines = [f"L{1 + rng.integers(4)}" for _ in parts]
    plans = [_plans(rng, _actuals(rng, len(days), weekdays, stoppages)) for _ in parts]

    n_snapshots = rng.choice([1, 2, 3], size=params.days, p=[0.25, 0.5, 0.25])
    horizon_index = np.arange(1, HORIZONS + 1)
    blocks = []
    for t in range(params.days):
        chosen = np.sort(rng.choice(len(SNAPSHOT_TIMES), size=n_snapshots[t], replace=False))
        rows = []
        for order, time_index in enumerate(chosen):
            hour, minute = SNAPSHOT_TIMES[time_index]
            stamp = int(days[t].strftime("%Y%m%d")) * 10_000 + hour * 100 + minute
            is_last = order == len(chosen) - 1
            for p, part_plans in enumerate(plans):
                if is_last:
                    target = part_plans[t, 0]
                    horizons = part_plans[t + horizon_index, horizon_index]
                else:
                    # Before the day's last snapshot: yesterday's view, half-way revised toward today.
                    target = np.round(0.5 * (part_plans[t, 0] + part_plans[t, 1]))
                    lead = np.minimum(horizon_index + 1, HORIZONS)
                    horizons = part_plans[t + horizon_index, lead]
                rows.append(["P100", lines[p], parts[p], target, *horizons, "EA", stamp])
        blocks.extend(rows[i] for i in rng.permutation(len(rows)))

    frame = pd.DataFrame(blocks, columns=plan_columns())
    quantity_columns = [TARGET_HEADER, *(horizon_header(k) for k in horizon_index)]
    frame[quantity_columns] = frame[quantity_columns].astype(np.int64)
    frame[TIME_HEADER] = frame[TIME_HEADER].astype(np.int64)
    return frame


def write_plan_xls(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as an Excel 97 ``.xls`` (xlwt), headers in row 1, numbers as numbers.

    More rows than one sheet holds continue on ``Sheet2``, ``Sheet3`` ... The bytes depend on the
    frame only (xlwt stamps no time), so two runs give identical files.
    """
    per_sheet = XLS_MAX_ROWS - 1
    workbook = xlwt.Workbook(encoding="utf-8")
    columns = [str(column) for column in frame.columns]
    records = frame.to_numpy(dtype=object).tolist()
    for number, first in enumerate(range(0, max(len(records), 1), per_sheet), start=1):
        sheet = workbook.add_sheet(f"Sheet{number}")
        for j, header in enumerate(columns):
            sheet.write(0, j, header)
        for i, record in enumerate(records[first : first + per_sheet], start=1):
            for j, value in enumerate(record):
                sheet.write(i, j, value.item() if isinstance(value, np.generic) else value)
    with atomic_path(path) as tmp:
        workbook.save(str(tmp))


def seed_a_series(points: int, seed: int) -> pd.DataFrame:
    """Seed A's wave: ``x`` = 0..points-1 (int64) and ``time_cos`` (float64), shape (points, 2).

    ``phase = (x % 30) / 30``; ``time_cos = 20 cos(2 pi phase)`` for ``phase < 0.5``, else
    ``20 (cos(2 pi phase) + u[x])`` with ``u`` one draw of ``points`` from NumPy's legacy generator
    seeded with ``seed`` (the same stream as ``np.random.seed(seed); np.random.random(points)``).
    """
    x = np.arange(points, dtype=np.int64)
    u = np.random.RandomState(seed).random_sample(points)
    phase = (x % 30) / 30
    wave = np.cos(2 * np.pi * phase)
    time_cos = np.where(phase < 0.5, 20 * wave, 20 * (wave + u))
    return pd.DataFrame({"x": x, "time_cos": time_cos})


def write_seed_a_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write Seed A's wave as CSV with every float in its shortest exact form (``repr``)."""
    write_csv(path, frame.assign(time_cos=[repr(float(value)) for value in frame["time_cos"]]))
