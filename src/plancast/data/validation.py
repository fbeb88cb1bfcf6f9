"""Raw sheets -> validated rows: every cell that matters parsed, every bad row given its reason.

A row is judged in this order, and its first problem is its reason: blank part, (a part left out by
``ingest.parts`` is counted, not judged), time, target, h1 .. hK, cells beyond the header. The cells are
read by :mod:`plancast.data.parsing` (times by :mod:`plancast.data.times`), the columns found by
:mod:`plancast.data.columns`. Over all files together, part numbers that differ only by leading zeros
stop ingest (:func:`leading_zero_clash`), then the calendar checks follow (:mod:`plancast.data.calendar_checks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from plancast.data.columns import Columns
from plancast.data.parsing import ASCII_DIGITS, Parsed, blank_cells, parse_parts, parse_quantities
from plancast.data.reading import RawSheet, where
from plancast.data.times import parse_times
from plancast.params_ingest import IngestParams

REJECT_KINDS = (
    "blank",
    "not_a_number",
    "negative",
    "not_finite",
    "too_large",
    "bad_time",
    "extra_cells",
    "outside_time_range",
    "not_working_day",
    "stray_day",
)
REJECT_COLUMNS = ["source_file", "sheet", "source_row", "column", "reason"]


@dataclass(frozen=True)
class Reject:
    """A bad row: where it is (``order`` sorts rejects into reading order), the column, why."""

    order: tuple[int, int]
    file: str
    sheet: str
    row: int
    column: str
    kind: str
    reason: str

    def message(self) -> str:
        return f"{where(self.file, self.sheet, self.row, self.column or None)}: {self.reason}"


@dataclass
class SheetRows:
    """The rows of one sheet that passed the cell checks, ``(n,)`` each, quantities ``(n, 1 + K)``
    (target, h1..hK); plus its rejects and counts."""

    sheet_index: int
    part: np.ndarray
    time: np.ndarray
    quantities: np.ndarray
    source_row: np.ndarray
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    rows_blank: int = 0
    rows_other_parts: int = 0
    parts_found: set[str] = field(default_factory=set)
    renamed_parts: dict[str, str] = field(default_factory=dict)


def renumbered(rows: SheetRows, sheet_index: int) -> SheetRows:
    """``rows`` of a sheet validated under another index (e.g. -1, before the sheets were counted), as
    :func:`validate_sheet` gives them for ``sheet_index``: the same arrays, rejects ordered by the new one."""
    rejects = [Reject((sheet_index, r.row), r.file, r.sheet, r.row, r.column, r.kind, r.reason) for r in rows.rejects]
    return replace(rows, sheet_index=sheet_index, rejects=rejects)


def validate_sheet(sheet: RawSheet, columns: Columns, params: IngestParams, sheet_index: int = 0) -> SheetRows:
    """Parse every cell of ``sheet`` that matters; keep good rows, give each bad row its first reason."""
    cells = sheet.cells
    n, width = cells.shape[0], len(sheet.header)
    blank = np.ones(n, dtype=bool)
    for j in range(cells.shape[1]):
        blank &= blank_cells(cells[:, j])
    if columns.part is None:
        parts = Parsed(np.full(n, params.part_name, dtype=object), np.ones(n, dtype=bool), {})
        renamed: dict[str, str] = {}
    else:
        parts, renamed = parse_parts(cells[:, columns.part], params.part_digits)
    wanted = np.ones(n, dtype=bool)
    if params.parts:
        wanted = pd.Series(parts.values).isin(params.parts).to_numpy() | ~parts.ok
    judged = ~blank & wanted
    times = parse_times(cells[:, columns.time], params.time_format, params.timezone)
    quantity_at = [columns.target, *columns.horizons]
    quantities = [
        parse_quantities(cells[:, j], params.allow_negative, params.thousands, params.max_quantity) for j in quantity_at
    ]
    extra = np.zeros(n, dtype=bool)
    for j in range(width, cells.shape[1]):
        extra |= ~blank_cells(cells[:, j])

    good = parts.ok & times.ok & ~extra
    for parsed in quantities:
        good &= parsed.ok
    out = SheetRows(
        sheet_index=sheet_index,
        part=parts.values[judged & good],
        time=times.values[judged & good],
        quantities=np.column_stack([q.values for q in quantities])[judged & good]
        if quantities
        else np.zeros((int((judged & good).sum()), 0)),
        source_row=(sheet.header_row + 1 + np.flatnonzero(judged & good)).astype(np.int64),
        rows_read=int((~blank).sum()),
        rows_blank=int(blank.sum()),
        rows_other_parts=int((~blank & ~wanted).sum()),
        parts_found=set(parts.values[~blank & parts.ok].tolist()),
        renamed_parts=renamed,
    )
    names = [sheet.header[j] for j in quantity_at]
    for r in np.flatnonzero(judged & ~good):
        row = sheet.header_row + 1 + int(r)
        if not parts.ok[r]:
            column, (kind, reason) = params.part_column or "", parts.problems[r]
        elif not times.ok[r]:
            column, (kind, reason) = params.time_column, times.problems[r]
        else:
            bad = next((i for i, q in enumerate(quantities) if not q.ok[r]), None)
            if bad is not None:
                column, (kind, reason) = names[bad], quantities[bad].problems[r]
            else:
                column, kind = "", "extra_cells"
                reason = f"the row has {int(sheet.lengths[r])} cells but the header has {width}"
        out.rejects.append(Reject((sheet_index, row), sheet.file, sheet.sheet, row, column, kind, reason))
    return out


# ------------------------------------------------------------------------------------------ part numbers


def leading_zero_clash(
    part: np.ndarray, sheet_index: np.ndarray, source_row: np.ndarray, sheets: Sequence[RawSheet], params: IngestParams
) -> str | None:
    """The error for two part numbers that differ only by leading zeros, or None.

    ``part`` ``(n,)`` are the ids of the rows kept, in reading order (row i from
    ``sheets[sheet_index[i]]``, row ``source_row[i]``). ``0101`` in one export and ``101`` in another is
    most often one part whose number lost its zeros in a spreadsheet; it may also be two parts. Which,
    only the user knows: ``ingest.part_digits: N`` pads numbers to N digits (one part),
    ``part_digits: distinct`` keeps both (two parts). Until then ingest stops rather than guess.
    """
    if params.part_digits == "distinct" or not len(part):
        return None
    codes, names = pd.factorize(part)
    spellings: dict[str, list[int]] = {}
    for code, name in enumerate(names):
        if ASCII_DIGITS.fullmatch(name):
            spellings.setdefault(name.lstrip("0"), []).append(code)
    clashes = [found for found in spellings.values() if len(found) > 1]
    if not clashes:
        return None
    _, first_row = np.unique(codes, return_index=True)  # where each id first appears, in reading order
    found = min(clashes, key=lambda group: sorted(first_row[group])[1])  # the clash that shows first
    first, second = sorted(found, key=lambda code: first_row[code])[:2]

    def place(code: int) -> str:
        i = first_row[code]
        sheet = sheets[int(sheet_index[i])]
        return f"{names[code]!r} ({where(sheet.file, sheet.sheet, int(source_row[i]))})"

    digits = max(len(names[code]) for code in found)
    return (
        f"part numbers {place(first)} and {place(second)} differ only by leading zeros (a number that lost its "
        f"zeros in a spreadsheet?): set ingest.part_digits: {digits} to pad numeric part numbers to {digits} "
        "digits (one part), or ingest.part_digits: distinct (two parts)"
    )
