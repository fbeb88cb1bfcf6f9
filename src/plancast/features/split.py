"""One calendar cut for all parts: where validation and test start, and which windows each period holds.

The cut is two days on the one calendar of all parts (validation starts, test starts), so no part
trains on days that are another part's test period. A window belongs to the split that holds every one
of its target days; a window whose targets straddle a cut belongs to none (it is counted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from plancast.errors import ParamsError
from plancast.features.windows import Windows


@dataclass(frozen=True)
class Cut:
    """One calendar cut for all parts, as positions on the calendar (daily ``position``).

    Targets on positions ``< validation_start`` are training targets, ``validation_start ..
    test_start - 1`` validation, ``>= test_start`` test. ``first_target``/``last_target``: the span of
    all windows' target days the fractions were taken of.
    """

    validation_start: int
    test_start: int
    first_target: int
    last_target: int


def _split_point(fraction: float, count: int) -> int:
    # int(f * n), but (0.7 + 0.1) * 10 is 7.999999999999999 in floats; the 1e-9 keeps it at 8.
    return min(count, math.floor(fraction * count + 1e-9))


def _position_of(windows: Windows, day: object, key: str) -> int:
    """The calendar position of a cut day given in params (the first working day on or after it)."""
    days = windows.days
    dated = np.issubdtype(days.dtype, np.datetime64)
    step = isinstance(day, int | np.integer) and not isinstance(day, bool)
    if dated and not step:
        value = np.datetime64(day, "D")
    elif not dated and step:
        value = np.int64(day)
    elif dated:
        raise ParamsError(
            f"split_scale.{key}: must be a day such as '{day_label(np.asarray(days[len(days) // 2]))}', as the data "
            f"is indexed by calendar days (got {day!r})"
        )
    else:
        raise ParamsError(f"split_scale.{key}: {day} is a date, but the data is indexed by integer steps")
    return int(np.searchsorted(days, value, side="left"))


def calendar_cut(
    windows: Windows, fractions: Sequence[float], validation_start: object = None, test_start: object = None
) -> Cut:
    """Where validation and test start: the given days, else the fractions of all windows' target days.

    With n target days from the earliest to the latest target of any window, validation starts
    ``int(f_train * n)`` days in and test ``int((f_train + f_val) * n)`` days in (Seed B: 44 -> 30/5/9).
    """
    delays = np.asarray(windows.delays, dtype=np.int64)
    if not len(windows.position):
        return Cut(0, 0, 0, -1)
    first = int(windows.position.min() + delays.min())
    last = int(windows.position.max() + delays.max())
    span = last - first + 1
    validation = first + _split_point(float(fractions[0]), span)
    test = first + _split_point(float(fractions[0]) + float(fractions[1]), span)
    if validation_start is not None:
        validation = _position_of(windows, validation_start, "validation_start")
    if test_start is not None:
        test = _position_of(windows, test_start, "test_start")
    if test < validation:
        given = "test_start" if test_start is not None else "validation_start"
        raise ParamsError(
            f"split_scale.{given}: the test period must not start before validation (test from "
            f"{day_text(windows, test)}, validation from {day_text(windows, validation)})"
        )
    return Cut(validation, test, first, last)


def day_text(windows: Windows, position: int) -> str:
    """A cut position as people read it: its day, or where it lies beyond the data."""
    if position >= len(windows.days):
        return f"after the data ends ({day_label(np.asarray(windows.days[-1]))})"
    return str(day_label(np.asarray(windows.days[position])))


def split_by_date(
    windows: Windows, cut: Cut, per_delay: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """Window indices of train, validation and test at ``cut``, and how many straddle each cut.

    Whole windows (``per_delay`` False, ``window.gaps: drop``): a window is in a split when all its
    target days (``position + delay``) are; training windows have every target before validation
    starts, so no training target lies in or after it, and a window straddling a cut is in none.
    Per delay (``window.gaps: keep``): a window is in every split that holds one of its target days,
    and there counts only those targets (:func:`in_period`), so that twelve delays cost the near
    delays no window at a cut; the straddling windows are counted all the same.
    """
    delays = np.asarray(windows.delays, dtype=np.int64)
    low = windows.position + (delays.min() if delays.size else 0)
    high = windows.position + (delays.max() if delays.size else 0)
    straddle = {
        "train|validation": int(((low < cut.validation_start) & (high >= cut.validation_start)).sum()),
        "validation|test": int(
            ((low < cut.test_start) & (high >= cut.test_start) & (low >= cut.validation_start)).sum()
        ),
    }
    if per_delay:
        train = low < cut.validation_start
        val = (high >= cut.validation_start) & (low < cut.test_start)
        test = high >= cut.test_start
    else:
        train = high < cut.validation_start
        val = (low >= cut.validation_start) & (high < cut.test_start)
        test = low >= cut.test_start
    return (*(np.flatnonzero(mask).astype(np.int64) for mask in (train, val, test)), straddle)


def in_period(windows: Windows, index: np.ndarray, start: int, end: int | None = None) -> np.ndarray:
    """(len(index), delays) True where the window's target day (``position + delay``) lies in ``[start,
    end)``: the targets a window counts in a split (or a fold) that holds only those days."""
    day = windows.position[np.asarray(index, np.int64)][:, None] + np.asarray(windows.delays, np.int64)[None, :]
    inside = day >= start
    return inside if end is None else inside & (day < end)


def day_label(day: np.ndarray) -> str | int | None:
    """A calendar day as the split report writes it: ``YYYY-MM-DD``, or the step of a step series; None
    beyond the data (NaT, step -1)."""
    value = day.item() if isinstance(day, np.ndarray) else day
    if isinstance(value, int):
        return value if value >= 0 else None
    return None if value is None else str(np.datetime64(value, "D"))
