"""The bundled synthetic data: a plan-snapshot export in Seed B's schema and Seed A's wave.

The export imitates a planning system: every working day (Mon-Fri minus ``sample.holidays``) the system
writes 1-3 snapshots, each holding, for every part, the quantity planned for today (day D, the target)
and for each of the next 12 working days (D+1 .. D+12: a holiday is skipped, so it shifts which column
refers to which date). Far plans are placeholders (the part's lot size or zero) that persist from one
snapshot to the next; as a day approaches its plan is revised toward what really goes in, and the day's
last snapshot holds the actual. Two planners: ``noisy`` (D+1 correlates ~0.75 with the actual, Seed B's
shape) and ``sharp`` (~0.95 at D+1, far horizons still placeholders).

Hardness knobs (``SampleParams``): parts with no export row on some working days (gaps the pipeline
must not bridge), holidays, parts whose level drifts (the test period leaves the training range), parts
that start exporting late, parts whose lot size changes mid-year, a planner biased high or low (from a
day on, ``bias_from``: a drift the live monitor should catch).

Everything is drawn from one seed; each component (series, plans, knobs, snapshots, file overlap) has
its own child stream, so switching the planner changes the plans only, never the actuals, and the same
params give the same bytes. Arrays are ``(parts, days, ...)``, built without per-row Python loops. The
files are written by :mod:`plancast.data.sample_files`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from plancast.params_sections import SampleParams

HORIZONS = 12
PART_HEADER = "Part Number"
TARGET_HEADER = "D일 투입예정 수량(D일계획)"
TIME_HEADER = "CRET_TIME"
TIME_FORMAT = "%Y%m%d%H%M"

# Times of day at which the planning system writes a snapshot (Seed B shows 06:32, 16:33, 17:06, 18:30).
SNAPSHOT_TIMES = ((6, 32), (9, 15), (13, 2), (16, 33), (17, 6), (17, 30), (18, 30))
_SNAPSHOT_HHMM = np.array([hour * 100 + minute for hour, minute in SNAPSHOT_TIMES], dtype=np.int64)


@dataclass(frozen=True)
class Planner:
    """How a planner revises a day's plan as it approaches; each array is indexed by lead k (0 unused).

    ``revise[k]``: chance the plan is revised at lead k rather than kept from the previous snapshot;
    ``informed[k]``: chance a revision is an estimate of the actual rather than a placeholder;
    ``sigma[k]``: log-scale error of an estimate made k working days ahead.
    """

    revise: np.ndarray
    informed: np.ndarray
    sigma: np.ndarray


_LEADS = np.arange(HORIZONS + 1)
PLANNERS = {
    # Tuned so that the horizon-aligned correlation falls like Seed B's: ~0.75 at D+1, ~0.4 at D+3..5,
    # ~0.15 at D+10..12.
    "noisy": Planner(
        revise=np.array([0.0, 0.9, 0.75, 0.55, 0.55, 0.55, 0.3, 0.25, 0.2, 0.15, 0.12, 0.1, 1.0]),
        informed=np.array([0.0, 0.9, 0.85, 0.65, 0.7, 0.75, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.2]),
        sigma=0.2 + 0.03 * _LEADS,
    ),
    # Firm near plans (~0.95 at D+1) that loosen with the lead; far plans are as placeholder-heavy as the
    # noisy planner's, so the vintages of a day still carry something to learn.
    "sharp": Planner(
        revise=np.array([0.0, 1.0, 0.97, 0.9, 0.8, 0.7, 0.45, 0.35, 0.25, 0.2, 0.15, 0.12, 1.0]),
        informed=np.array([0.0, 1.0, 0.97, 0.9, 0.85, 0.8, 0.55, 0.45, 0.4, 0.35, 0.3, 0.25, 0.25]),
        sigma=0.1 + 0.03 * _LEADS,
    ),
}


def horizon_header(k: int) -> str:
    """Seed B's header of the D+k plan column: '(Total)' for k = 1..4 only."""
    suffix = "(Total)" if k <= 4 else ""
    return f"D+{k}일 투입예정 수량{suffix}"


QUANTITY_HEADERS = [TARGET_HEADER, *(horizon_header(k) for k in range(1, HORIZONS + 1))]


def plan_columns() -> list[str]:
    """Column order of the export: three ignored extras, the 14 plan columns, an extra, CRET_TIME."""
    return ["Plant", "Line", PART_HEADER, *QUANTITY_HEADERS, "Unit", TIME_HEADER]


def working_days(start: date, count: int, holidays: list[date] | tuple[date, ...] = ()) -> list[date]:
    """The first ``count`` Mondays-to-Fridays on or after ``start`` that are not ``holidays``."""
    return [day.astype(date) for day in _working_days(start, count, holidays)]


def _working_days(start: date, count: int, holidays) -> np.ndarray:
    closed = np.array(sorted(holidays), dtype="datetime64[D]")
    first = np.busday_offset(np.datetime64(start, "D"), 0, roll="forward", holidays=closed)
    return np.busday_offset(first, np.arange(count), roll="forward", holidays=closed)


def _yyyymmdd(days: np.ndarray) -> np.ndarray:
    index = pd.DatetimeIndex(days)
    return (index.year * 10_000 + index.month * 100 + index.day).to_numpy(dtype=np.int64)


def _pick(rng: np.random.Generator, count: int, share: float) -> np.ndarray:
    """A mask of exactly ``round(share * count)`` of ``count`` items, drawn at random."""
    mask = np.zeros(count, dtype=bool)
    mask[rng.permutation(count)[: round(share * count)]] = True
    return mask


def _round_lot(size: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Placeholder quantities: usually a round number (step 10, or 50 from 200 up), sometimes an odd lot."""
    step = np.where(size < 200, 10.0, 50.0)
    round_lot = np.maximum(step, step * np.round(size / step))
    return np.where(rng.random(size.shape) < 0.7, round_lot, np.maximum(1.0, np.round(size)))


@dataclass(frozen=True)
class _Series:
    """Every part's true daily input and what a planner knows about it, ``(parts, days)`` each."""

    actual: np.ndarray
    level: np.ndarray
    lot: np.ndarray


def trend_factor(direction: np.ndarray, trend: float, n_days: int, total: int) -> np.ndarray:
    """Level multiplier ``(parts, total)``: ``(1 + trend) ** (t / (0.75 n_days))`` up, its inverse down.

    Geometric, so each day of the last quarter of ``n_days`` is exactly ``1 + trend`` times the day
    three quarters of the span earlier: the last quarter's mean level is ``1 + trend`` times the first's
    (``1 / (1 + trend)`` for a part drifting down). ``direction``: +1, -1 or 0 (no trend) per part.
    """
    t = np.arange(total) / (0.75 * n_days)
    return np.exp(np.log1p(trend) * direction[:, None] * t[None, :])


def _series(params: SampleParams, rng: np.random.Generator, knobs: np.random.Generator, days: np.ndarray) -> _Series:
    n_parts, total = params.parts, days.size
    weekdays = ((days.astype(np.int64) - 4) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
    base = np.exp(rng.uniform(np.log(15.0), np.log(300.0), n_parts))
    weekly = np.clip(1.0 + rng.normal(0.0, 0.3, (n_parts, 5)), 0.3, 1.8)
    noise = rng.normal(size=(n_parts, total))
    shocks = np.empty_like(noise)
    shocks[:, 0] = noise[:, 0]
    for t in range(1, total):  # AR(1), one vector step per day
        shocks[:, t] = 0.4 * shocks[:, t - 1] + noise[:, t] * np.sqrt(1 - 0.4**2)
    stoppages = rng.random(total) < 0.01  # plant-wide days off
    part_off = rng.random((n_parts, total)) < 0.03
    lot = _round_lot(base * rng.uniform(0.8, 1.4, n_parts), rng)

    trending = _pick(knobs, n_parts, params.trend_parts)
    direction = np.where(trending, np.where(knobs.random(n_parts) < 0.5, 1.0, -1.0), 0.0)
    level = base[:, None] * weekly[np.arange(n_parts)[:, None], weekdays[None, :]]
    level = level * trend_factor(direction, params.trend, params.days, total)
    actual = np.round(level * np.exp(0.3 * shocks))
    actual[part_off | stoppages[None, :]] = 0.0

    lots = np.repeat(lot[:, None], total, axis=1)
    changing = _pick(knobs, n_parts, params.lot_change_parts)
    change_day = knobs.integers(int(0.3 * params.days), int(0.7 * params.days) + 1, n_parts)
    new_lot = _round_lot(lot * knobs.choice([0.5, 0.6, 1.5, 2.0], n_parts), knobs)
    after = changing[:, None] & (np.arange(total)[None, :] >= change_day[:, None])
    lots = np.where(after, new_lot[:, None], lots)
    return _Series(actual=actual, level=level, lot=lots)


def _plans(
    series: _Series, planner: Planner, bias: float, rng: np.random.Generator, bias_start: int | None = None
) -> np.ndarray:
    """Plan of each day at each lead: ``(parts, days, 13)``, ``[..., k]`` = plan made k working days ahead.

    ``[..., 0]`` is the actual. A plan first appears at lead 12; at each shorter lead it is either kept
    (placeholders persist, so neighbouring far horizons agree) or revised, to an informed estimate
    whose error shrinks with the lead (times ``1 + bias``: every estimate, or with ``bias_start`` those
    made on that day index or later), or to a placeholder (the lot size or zero).
    """
    actual, level, lot = series.actual, series.level, series.lot
    plans = np.zeros((*actual.shape, HORIZONS + 1))
    plans[..., 0] = actual
    target_day = np.arange(actual.shape[1])
    for k in range(HORIZONS, 0, -1):
        # A stoppage is known a few days ahead; further out the planner only knows the usual level.
        known = actual if k <= 3 else np.where(actual > 0, actual, level)
        error = rng.normal(0.0, 1.0, actual.shape) * planner.sigma[k]
        # a plan for day t at lead k is made on day t - k
        factor = 1.0 + bias if bias_start is None else np.where(target_day - k >= bias_start, 1.0 + bias, 1.0)
        estimate = np.round(known * factor * np.exp(error))
        placeholder = np.where(rng.random(actual.shape) < 0.7, lot, 0.0)
        revised = np.where(rng.random(actual.shape) < planner.informed[k], estimate, placeholder)
        previous = plans[..., k + 1] if k < HORIZONS else revised
        plans[..., k] = np.where(rng.random(actual.shape) < planner.revise[k], revised, previous)
    return plans


def _snapshot_rows(plans: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantities ``(parts, days, 13)`` of the day's last snapshot and of its earlier snapshots.

    The last snapshot holds the actual and, for D+k, the plan made k days ahead. An earlier snapshot
    holds yesterday's view half-way revised toward today: the target between the D+1 plan and the actual,
    and for D+k the plan made k+1 days ahead.
    """
    n_days = plans.shape[1] - HORIZONS
    t = np.arange(n_days)[:, None]
    k = np.arange(1, HORIZONS + 1)[None, :]
    last = np.concatenate([plans[:, :n_days, :1], plans[:, t + k, k]], axis=2)
    target = np.round(0.5 * (plans[:, :n_days, 0] + plans[:, :n_days, 1]))
    lead = np.minimum(k + 1, HORIZONS)
    earlier = np.concatenate([target[..., None], plans[:, t + k, lead]], axis=2)
    return last, earlier


def _present(params: SampleParams, knobs: np.random.Generator) -> np.ndarray:
    """Which part exports a row on which day, ``(parts, days)`` bool: late starts and missing days."""
    n_parts, n_days = params.parts, params.days
    late = _pick(knobs, n_parts, params.late_start_parts)
    first_day = np.where(late, knobs.integers(n_days // 2, (3 * n_days) // 4 + 1, n_parts), 0)
    present = np.arange(n_days)[None, :] >= first_day[:, None]
    missing = knobs.random((n_parts, n_days)) < params.missing_days
    missing[np.arange(n_parts), first_day] = False  # a part's first export day is the day it starts
    return present & ~missing


def part_names(count: int) -> list[str]:
    return [f"Part {i}" for i in range(1, count + 1)]


def plan_snapshots(params: SampleParams) -> pd.DataFrame:
    """A plan-snapshot export: one row per part per snapshot, columns as :func:`plan_columns`.

    ``params.days`` working days from ``params.start`` (Mon-Fri minus ``params.holidays``), 1-3 snapshots
    a day at shared times, rows of a day in shuffled order, a part's row missing on the days it has no
    export. Quantities are int64; ``CRET_TIME`` is the int64 ``%Y%m%d%H%M`` number.
    """
    streams = np.random.SeedSequence(params.seed).spawn(5)
    series_rng, plan_rng, knob_rng, snapshot_rng, _ = (np.random.default_rng(s) for s in streams)
    # Plans reach 12 days past the last snapshot day, so actuals are drawn for those days too.
    days = _working_days(params.start, params.days + HORIZONS, params.holidays)
    lines = np.array([f"L{1 + i}" for i in range(4)])[series_rng.integers(4, size=params.parts)]
    series = _series(params, series_rng, knob_rng, days)
    bias_from = params.bias_from
    bias_start = None if bias_from is None else int(np.searchsorted(days, np.datetime64(bias_from, "D")))
    plans = _plans(series, PLANNERS[params.planner], params.planner_bias, plan_rng, bias_start)
    last, earlier = _snapshot_rows(plans)
    present = _present(params, knob_rng)

    # Snapshot times: each day picks 1-3 of the shared times, kept in time order.
    n_snapshots = snapshot_rng.choice([1, 2, 3], size=params.days, p=[0.25, 0.5, 0.25])
    rank = np.argsort(np.argsort(snapshot_rng.random((params.days, len(SNAPSHOT_TIMES))), axis=1), axis=1)
    snap_day, snap_time = np.nonzero(rank < n_snapshots[:, None])
    snap_last = np.append(snap_day[1:] != snap_day[:-1], True)
    stamps = _yyyymmdd(days[: params.days])[snap_day] * 10_000 + _SNAPSHOT_HHMM[snap_time]

    # One row per (snapshot, part) where the part exports that day; shuffled within each day.
    snap, part = np.nonzero(present[:, snap_day].T)
    day = snap_day[snap]
    order = np.lexsort((snapshot_rng.random(snap.size), day))
    snap, part, day = snap[order], part[order], day[order]
    quantities = np.where(snap_last[snap][:, None], last[part, day], earlier[part, day]).astype(np.int64)

    frame = pd.DataFrame(
        {
            "Plant": np.full(snap.size, "P100", dtype=object),
            "Line": lines[part].astype(object),
            PART_HEADER: np.array(part_names(params.parts), dtype=object)[part],
            **{header: quantities[:, j] for j, header in enumerate(QUANTITY_HEADERS)},
            "Unit": np.full(snap.size, "EA", dtype=object),
            TIME_HEADER: stamps[snap].astype(np.int64),
        }
    )
    return frame


def daily_exports(frame: pd.DataFrame, params: SampleParams) -> list[tuple[int, pd.DataFrame]]:
    """The export cut into one file per working day: ``(yyyymmdd, rows)`` for each of ``params.days``.

    A day's file holds that day's snapshots and, first, for a share ``overlap_parts`` of the parts that
    exported the day before, a repeat of that day's last snapshot (same ``CRET_TIME``), the overlap real
    daily exports have. A share ``overlap_revisions`` of the repeats carry a revision: the earlier file
    holds a preliminary target (higher than the booked one) and the later file the value ``frame`` has,
    so an ingest that lets the later file win reads back exactly ``frame``. A day on which no part
    exported still gets a file (header only).
    """
    rng = np.random.default_rng(np.random.SeedSequence(params.seed).spawn(5)[4])
    calendar = _yyyymmdd(_working_days(params.start, params.days, params.holidays))
    stamps = frame[TIME_HEADER].to_numpy()
    file_index = np.searchsorted(calendar, stamps // 10_000)
    day_last = pd.Series(stamps).groupby(file_index).transform("max").to_numpy()
    repeated = (stamps == day_last) & (file_index < params.days - 1) & (rng.random(len(frame)) < params.overlap_parts)
    revised = repeated & (rng.random(len(frame)) < params.overlap_revisions)

    booked = frame[TARGET_HEADER].to_numpy()
    preliminary = booked + rng.integers(1, booked // 5 + 2)
    originals = frame.assign(**{TARGET_HEADER: np.where(revised, preliminary, booked)})
    repeats = frame[repeated]
    rows = pd.concat([repeats, originals], ignore_index=True)
    # Repeats come first in the next day's file; within each group the export's (shuffled) order holds.
    key = np.concatenate([2 * (file_index[repeated] + 1), 2 * file_index + 1])
    order = np.argsort(key, kind="stable")
    rows, key = rows.iloc[order].reset_index(drop=True), key[order] // 2
    bounds = np.searchsorted(key, np.arange(params.days + 1))
    return [(int(calendar[i]), rows.iloc[bounds[i] : bounds[i + 1]]) for i in range(params.days)]


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
