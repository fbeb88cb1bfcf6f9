"""Calendar checks over the validated rows of all files together; a row that fails one is a reject.

The checks: a day far outside the data's main time range, a day that is not a working day of the
``daily`` calendar, and a stray block of days cut off from the data by a working week without any export
(see :func:`check_calendar`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from plancast.data.calendar import Calendar
from plancast.data.reading import RawSheet
from plancast.data.validation import Reject
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams

# A working week or more without any export at all: longer than a missing export day or a bridge day
# between holidays; a block of days beyond such a stretch must hold its share of the parts (check_calendar).
STRAY_GAP_WORKING_DAYS = 5


def day_clusters(days: np.ndarray, max_gap: int) -> tuple[np.ndarray, np.ndarray]:
    """Split the sorted distinct ``days`` ``(d,)`` (int) where consecutive ones are more than ``max_gap``
    apart: ``(distinct days, cluster id of each)``."""
    distinct = np.unique(days)
    cluster = np.concatenate([[0], np.cumsum(np.diff(distinct) > max_gap)]) if len(distinct) else distinct
    return distinct, cluster.astype(np.int64)


def main_range(days: np.ndarray, max_gap: int) -> tuple[np.ndarray, int, int]:
    """``(inside (n,) bool, first, last)``: rows in the cluster of days holding the most rows (ties: the
    earliest), and that cluster's first and last day."""
    distinct, cluster = day_clusters(days, max_gap)
    if not len(distinct):
        return np.ones(0, dtype=bool), 0, 0
    row_cluster = cluster[np.searchsorted(distinct, days)]
    counts = np.bincount(row_cluster)
    best = int(np.argmax(counts))
    members = distinct[cluster == best]
    return row_cluster == best, int(members[0]), int(members[-1])


@dataclass(frozen=True)
class CalendarCheck:
    """Which of ``n`` rows pass the calendar checks, the rejects for the others, and the calendar used."""

    ok: np.ndarray
    rejects: list[Reject]
    calendar: Calendar | None


def check_calendar(
    times: np.ndarray,
    part: np.ndarray,
    sheet_index: np.ndarray,
    source_row: np.ndarray,
    sheets: Sequence[RawSheet],
    params: IngestParams,
    daily: DailyParams,
) -> CalendarCheck:
    """Calendar checks over all rows ``(n,)``: far outside the main range, not a working day, stray.

    Row i is a snapshot of ``part[i]`` from ``sheets[sheet_index[i]]``, row ``source_row[i]``. A step
    series (``time_format: step``) has no weekdays: its steps are its working days.

    - **Far outside**: days are split where more than ``daily.max_gap_days`` calendar days pass between
      two of them; the cluster holding the most rows is the data's range, a row in any other is a typo
      (``209906220617`` among 2021 data).
    - **Not a working day** of the ``daily`` calendar.
    - **Stray**: the export days left are split into blocks where a working week or more
      (:data:`STRAY_GAP_WORKING_DAYS`) passes without any export at all; the block holding the most rows
      is the main one. Another block is stray when it holds fewer distinct parts than ``daily.stray_share``
      of the parts the main block exports on a typical (median) day: one row dated 39 days after the
      data ends (a wrong date) would otherwise lay every part's calendar up to that day, all of them
      missing. A plant shutdown passes: after it every part is exported again. ``stray_share: 0`` keeps
      every block.
    """

    def reject(i: int, kind: str, reason: str) -> Reject:
        sheet = sheets[int(sheet_index[i])]
        row = int(source_row[i])
        return Reject((int(sheet_index[i]), row), sheet.file, sheet.sheet, row, params.time_column, kind, reason)

    step = params.time_format == "step"
    days = times.astype(np.int64) if step else times.astype("datetime64[D]").astype(np.int64)
    inside, first, last = main_range(days, daily.max_gap_days)
    ok = inside.copy()
    rejects = []

    def show(day: int) -> str:
        return str(day) if step else str(np.datetime64(day, "D"))

    unit = "steps" if step else "days"
    for i in np.flatnonzero(~inside):
        reason = (
            f"snapshot {'step' if step else 'day'} {show(int(days[i]))} is far outside the data's main range "
            f"{show(first)} .. {show(last)} (more than daily.max_gap_days = {daily.max_gap_days} {unit} apart)"
        )
        rejects.append(reject(i, "outside_time_range", reason))
    calendar = None
    if not step:
        years = range(_year(first), _year(last) + 1) if len(days) else range(0)
        calendar = Calendar.from_params(daily, years)
        working = calendar.is_working(days.astype("datetime64[D]"))
        for i in np.flatnonzero(inside & ~working):
            reason = (
                f"snapshot day {calendar.why_not_working(np.datetime64(int(days[i]), 'D'))}, not a working day of "
                f"daily.calendar: {daily.calendar} (change daily.calendar, daily.holidays or daily.country)"
            )
            rejects.append(reject(i, "not_working_day", reason))
        ok &= working
    for block in stray_blocks(days, part, ok, calendar, daily.stray_share):
        for i in block.rows:
            rejects.append(reject(i, "stray_day", block.reason(show(int(days[i])), show, step, daily.stray_share)))
        ok[block.rows] = False
    return CalendarCheck(ok, rejects, calendar)


@dataclass(frozen=True)
class StrayBlock:
    """A block of export days cut off from the main block by ``idle`` working days (steps) without any
    export, ``after`` it or before it, holding ``parts`` distinct parts where the main block
    (``main_first`` .. ``main_last``) exports ``typical`` a day. ``rows``: indices into the rows checked."""

    rows: np.ndarray
    first: int
    last: int
    parts: int
    idle: int
    after: bool
    main_first: int
    main_last: int
    typical: float

    def reason(self, day: str, show: Callable[[int], str], step: bool, share: float) -> str:
        unit = "steps" if step else "working days"
        holds = "holds" if self.first == self.last else f"its block {show(self.first)} .. {show(self.last)} holds"
        return (
            f"snapshot {'step' if step else 'day'} {day} comes {'after' if self.after else 'before'} {self.idle} "
            f"{unit} without any export and {holds} {self.parts} part{'s' if self.parts != 1 else ''}, where the "
            f"data's main block {show(self.main_first)} .. {show(self.main_last)} exports {self.typical:g} a "
            f"{'step' if step else 'day'}: a wrong date? (daily.stray_share = {share:g}; 0 keeps such blocks)"
        )


def stray_blocks(
    days: np.ndarray, part: np.ndarray, ok: np.ndarray, calendar: Calendar | None, share: float
) -> list[StrayBlock]:
    """The stray blocks among the rows ``ok`` ``(n,)`` (see :func:`check_calendar`): ``days`` ``(n,)``
    int (days since 1970, or steps without ``calendar``), ``part`` ``(n,)`` their parts."""
    at = np.flatnonzero(ok)
    if share <= 0 or not len(at):
        return []
    distinct = np.unique(days[at])
    if calendar is None:
        idle = np.diff(distinct) - 1
    else:
        as_day = distinct.astype("datetime64[D]")
        idle = calendar.position(as_day[1:], as_day[:-1]) - 1  # working days strictly between
    idle = np.concatenate([[0], idle]).astype(np.int64)  # before each distinct day
    block_of_day = np.cumsum(idle >= STRAY_GAP_WORKING_DAYS)
    blocks = int(block_of_day[-1]) + 1
    if blocks == 1:  # the usual case: no stretch without exports, nothing more to count
        return []
    of_row = np.searchsorted(distinct, days[at])
    block = block_of_day[of_row]
    main = int(np.argmax(np.bincount(block, minlength=blocks)))
    codes, names = pd.factorize(part[at])
    width = max(len(names), 1)
    exported = np.unique(of_row[block == main] * width + codes[block == main])  # (day, part) pairs
    typical = float(np.median(np.unique(exported // width, return_counts=True)[1]))
    parts = np.bincount(np.unique(block * width + codes) // width, minlength=blocks)  # distinct parts a block
    main_days = distinct[block_of_day == main]
    strays = []
    for b in np.flatnonzero(parts < share * typical):
        if b == main:
            continue
        days_of_block = np.flatnonzero(block_of_day == b)
        after = b > main
        # the stretch on the main block's side: before the block's first day, or after its last day
        idle_days = idle[days_of_block[0]] if after else idle[days_of_block[-1] + 1]
        strays.append(
            StrayBlock(
                rows=at[block == b],
                first=int(distinct[days_of_block[0]]),
                last=int(distinct[days_of_block[-1]]),
                parts=int(parts[b]),
                idle=int(idle_days),
                after=bool(after),
                main_first=int(main_days[0]),
                main_last=int(main_days[-1]),
                typical=typical,
            )
        )
    return strays


def _year(day: int) -> int:
    return int(np.datetime64(day, "D").astype(object).year)
