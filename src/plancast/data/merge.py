"""Merge: every sheet's validated rows as one snapshot per part and snapshot time.

Daily exports overlap (each day's file repeats recent snapshots), so one snapshot — a part at a
snapshot time — may come several times:

- the same values again: one snapshot; the repeats are counted as ``rows_merged``;
- different values (a revision): ``on_conflict: latest_file`` keeps the row from the later file
  (``file_order: name`` = the path in natural order, ``export_9`` before ``export_10``;
  ``last_snapshot`` = the file's latest snapshot time, ties by name; within a file the later row), the
  others are ``rows_superseded`` and each is listed in ``conflicts`` with both values;
  ``on_conflict: error`` stops naming both places.

:func:`plancast.data.ingest.canonical_snapshots` gathers the rows (:func:`gather`), orders them
(:func:`revision_order`), merges them (:func:`merge_overlaps`) and keeps the winners as the snapshot
table (:func:`snapshot_frame`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from plancast.data.reading import RawSheet, where
from plancast.data.validation import SheetRows
from plancast.errors import InputDataError
from plancast.params_ingest import IngestParams

CONFLICT_COLUMNS = [
    "part",
    "snapshot_time",
    "kept_file",
    "kept_sheet",
    "kept_row",
    "dropped_file",
    "dropped_sheet",
    "dropped_row",
    "differences",
]


@dataclass(frozen=True)
class Merged:
    """What :func:`merge_overlaps` found: the rows kept, the identical repeats, the superseded revisions."""

    keep: np.ndarray  # (n,) bool: the row that stands for its snapshot
    merged: int
    conflicts: pd.DataFrame
    conflicting_snapshots: int


def _format_value(value: float) -> str:
    return f"{value:.15g}"


def _show_time(value: Any) -> str:
    return str(value) if isinstance(value, int | np.integer) else str(np.datetime64(value, "s")).replace("T", " ")


def gather(
    validated: list[SheetRows], horizons: int, step: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every sheet's rows in one set of arrays: part (object, one str per distinct id), time, quantities
    ``(n, 1 + horizons)``, sheet index, source row. Each sheet's arrays are let go once copied
    (``validated`` keeps its counts and rejects), so the rows are not held twice."""
    n = sum(len(rows.part) for rows in validated)
    part = np.empty(n, dtype=object)
    times = np.empty(n, dtype=np.int64 if step else "datetime64[us]")
    quantities = np.empty((n, horizons + 1), dtype=np.float64)
    sheet_index = np.empty(n, dtype=np.int64)
    source_row = np.empty(n, dtype=np.int64)
    ids: dict[str, str] = {}
    at = 0
    for index, rows in enumerate(validated):
        m = len(rows.part)
        codes, distinct = pd.factorize(rows.part)
        part[at : at + m] = np.array([ids.setdefault(name, name) for name in distinct], dtype=object)[codes]
        times[at : at + m] = rows.time
        quantities[at : at + m] = rows.quantities.reshape(m, horizons + 1)
        sheet_index[at : at + m] = rows.sheet_index
        source_row[at : at + m] = rows.source_row
        at += m
        empty = {name: getattr(rows, name)[:0].copy() for name in ("part", "time", "quantities", "source_row")}
        validated[index] = replace(rows, **empty)  # copies: a view would keep the whole array alive
    return part, times, quantities, sheet_index, source_row


def _file_ranks(
    files: list[str], sheet_file: np.ndarray, sheet_index: np.ndarray, times: np.ndarray, file_order: str
) -> np.ndarray:
    """``(files,)`` rank of each file: by name (``files`` come in natural order), or by its latest
    snapshot time then name."""
    if file_order == "name":
        return np.arange(len(files))
    latest = pd.Series(times.view(np.int64)).groupby(sheet_file[sheet_index]).max()
    floor = int(latest.min()) if len(latest) else 0
    key = [(latest.get(i, floor), i) for i in range(len(files))]
    ranks = np.empty(len(files), dtype=np.int64)
    ranks[sorted(range(len(files)), key=key.__getitem__)] = np.arange(len(files))
    return ranks


def revision_order(
    files: list[str],
    file_of_sheet: np.ndarray,
    sheet_index: np.ndarray,
    source_row: np.ndarray,
    times: np.ndarray,
    file_order: str,
) -> np.ndarray:
    """``(n,)`` each row's rank in the order revisions come: by file (``file_order``; ``file_of_sheet``
    ``(sheets,)`` is each sheet's index in ``files``), then sheet, then row. A snapshot keeps its last."""
    ranks = _file_ranks(files, file_of_sheet, sheet_index, times, file_order)
    order = ranks[file_of_sheet[sheet_index]] * (len(file_of_sheet) + 1) + sheet_index
    order = np.lexsort((source_row, order))
    rank_of_row = np.empty(len(order), dtype=np.int64)
    rank_of_row[order] = np.arange(len(order))
    return rank_of_row


def merge_overlaps(
    part: np.ndarray,
    times: np.ndarray,
    quantities: np.ndarray,
    order: np.ndarray,
    place: Any,
    params: IngestParams,
) -> Merged:
    """Collapse repeats of a snapshot (same part + time): identical values merge; a revision keeps the
    row latest in ``order`` ``(n,)`` (file rank, then sheet, then row) under ``on_conflict: latest_file``.

    ``place(i)`` gives ``(file, sheet, row, names)`` of row i, ``names`` its quantity column headers.
    """
    n = len(part)
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return Merged(keep, 0, pd.DataFrame(columns=CONFLICT_COLUMNS), 0)
    part_code, _ = pd.factorize(part)
    sort = np.lexsort((order, times.view(np.int64), part_code))
    key_part, key_time = part_code[sort], times.view(np.int64)[sort]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (key_part[1:] != key_part[:-1]) | (key_time[1:] != key_time[:-1])
    group = np.cumsum(new_group) - 1
    last = np.flatnonzero(np.append(new_group[1:], True))  # the last row of each group, in sorted order
    winner = last[group]
    # A row's values against its group's winner; only repeats need the comparison (a winner is itself).
    repeat = np.flatnonzero(np.arange(n) != winner)
    same = np.ones(n, dtype=bool)
    same[repeat] = (quantities[sort[repeat]] == quantities[sort[winner[repeat]]]).all(axis=1)
    keep[sort] = np.arange(n) == winner
    merged = int((same & (np.arange(n) != winner)).sum())
    dropped = np.flatnonzero(~same)
    rows = []
    for i in dropped:
        old, new = sort[i], sort[winner[i]]
        old_file, old_sheet, old_row, _ = place(old)
        new_file, new_sheet, new_row, names = place(new)
        differs = np.flatnonzero(quantities[old] != quantities[new])
        canonical = ["target", *(f"h{k}" for k in range(1, quantities.shape[1]))]
        if params.on_conflict == "error":
            j = int(differs[0])
            raise InputDataError(
                f"{where(old_file, old_sheet, old_row)} and {where(new_file, new_sheet, new_row)}: two different "
                f"snapshots of part {part[old]!r} at {_show_time(times[old])}: column {names[j]!r} is "
                f"{_format_value(quantities[old, j])} vs {_format_value(quantities[new, j])} (ingest.on_conflict: "
                "error; set latest_file to keep the later file's)"
            )
        text = "; ".join(
            f"{canonical[j]}: {_format_value(quantities[old, j])} -> {_format_value(quantities[new, j])}"
            for j in differs
        )
        rows.append((part[old], times[old], new_file, new_sheet, new_row, old_file, old_sheet, old_row, text))
        keep[old] = False
    conflicts = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    if rows:
        conflicts = conflicts.sort_values(["part", "snapshot_time", "dropped_file", "dropped_sheet", "dropped_row"])
        conflicts = conflicts.reset_index(drop=True)
    conflicts = conflicts.astype({"kept_row": np.int64, "dropped_row": np.int64})
    return Merged(keep, merged, conflicts, len(np.unique(group[dropped])))


def snapshot_frame(
    part: np.ndarray,
    times: np.ndarray,
    quantities: np.ndarray,
    sheet_index: np.ndarray,
    row: np.ndarray,
    sheets: Sequence[RawSheet],
    keep: np.ndarray,
) -> pd.DataFrame:
    """The kept rows (``keep`` ``(n,)``) as the snapshot table, sorted by part and snapshot time.

    Sorted before the frame is built (a part and time is one row after merging, so the order is the one
    a sort of the frame gives): each column is copied once, in order, the quantities straight into the
    frame's block, rather than a frame built and then copied again by ``sort_values``.
    """
    rows = np.flatnonzero(keep)
    codes, names = pd.factorize(part[rows])
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))  # str order, as pandas sorts
    rows = rows[np.lexsort((times[rows].view(np.int64), rank[codes]))]
    del codes
    canonical = ["target", *(f"h{k}" for k in range(1, quantities.shape[1]))]
    # (columns, rows) C-ordered: the frame's one float block as it is, each column contiguous for Arrow.
    block = np.take(quantities.T, rows, axis=1)
    frame = pd.DataFrame(block.T, columns=canonical, copy=False)
    frame.insert(0, "part", pd.Series(part[rows], dtype="str"))
    frame.insert(1, "snapshot_time", times[rows])
    of_sheet = sheet_index[rows]
    frame["source_file"] = pd.array([sheet.file for sheet in sheets], dtype="str").take(of_sheet)
    frame["sheet"] = pd.array([sheet.sheet for sheet in sheets], dtype="str").take(of_sheet)
    frame["source_row"] = row[rows].astype(np.int64)
    return frame
