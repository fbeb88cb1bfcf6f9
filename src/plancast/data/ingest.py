"""Ingest: read ``ingest.source``, validate it, merge overlapping exports into one canonical snapshot table.

Daily exports overlap (each day's file repeats recent snapshots): how their repeats and revisions merge
into one snapshot per part and time is :mod:`plancast.data.merge`'s.

What is not a bad row stops ingest under ``on_bad_rows: quarantine`` too, since no row count would
show it: a file that holds nothing, a sheet with data rows and some but not all of the part, time and
target columns (its header is off), and two part numbers that differ only by leading zeros
(``ingest.part_digits`` says whether they are one part). A sheet with none of those columns (notes, a
summary) is skipped, counted (``sheets_skipped_count``) and named with the reason (``sheets_skipped`` in
``data/reports/ingest_sources.json``).

Accounting (tested): ``rows_read = rows_kept + rows_rejected + rows_merged + rows_superseded +
rows_other_parts``, where ``rows_read`` counts the non-blank data rows of every sheet read.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from plancast.data.calendar_checks import check_calendar
from plancast.data.columns import Columns, missing_column, near_miss, required_columns, resolve_columns
from plancast.data.merge import CONFLICT_COLUMNS, gather, merge_overlaps, revision_order, snapshot_frame
from plancast.data.reading import RawSheet, read_sheets, where
from plancast.data.sources import source_files
from plancast.data.validation import (
    REJECT_COLUMNS,
    REJECT_KINDS,
    Reject,
    SheetRows,
    leading_zero_clash,
    renumbered,
    validate_sheet,
)
from plancast.errors import InputDataError, ParamsError
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams

if TYPE_CHECKING:
    from plancast.data.file_cache import CacheStats, FileCache


@dataclass(frozen=True)
class IngestResult:
    """The canonical snapshot table, rejected rows, superseded revisions and the counts for the metrics.

    ``snapshots``: ``(snapshots, 3 + K + 3)`` — part, snapshot_time, target, h1..hK, source_file, sheet,
    source_row; one row per part and snapshot_time, sorted by both. ``rejects``: REJECT_COLUMNS.
    ``conflicts``: CONFLICT_COLUMNS, one row per superseded row.
    """

    snapshots: pd.DataFrame
    rejects: pd.DataFrame
    conflicts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CONFLICT_COLUMNS))
    metrics: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)  # data/reports/ingest_sources.json: grows with files
    cache: CacheStats | None = None  # files from the parsed-file cache; not in metrics (same result)


class _ReadRows:
    """The rows of sheets validated as their file was read (or taken from the cache), by (file, sheet).

    Validating each file as soon as it is read keeps one file's raw cells in memory at a time rather than
    the whole year's (an object per cell: ~5 GB at 10,000 parts x 260 daily files).
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], SheetRows] = {}

    def validate(self, sheet: RawSheet, columns: Columns, params: IngestParams, sheet_index: int) -> SheetRows:
        """The rows of ``sheet`` validated when read, renumbered to ``sheet_index``; else validated now."""
        rows = self.rows.pop((sheet.file, sheet.sheet), None)
        if rows is None:
            return validate_sheet(sheet, columns, params, sheet_index)
        return renumbered(rows, sheet_index)


def _without_cells(sheet: RawSheet) -> RawSheet:
    return replace(sheet, cells=np.empty((0, sheet.cells.shape[1]), dtype=object), lengths=np.empty(0, np.int64))


def _validate_read(sheet: RawSheet, params: IngestParams) -> tuple[RawSheet, SheetRows | None]:
    """A sheet just read: its rows as :func:`canonical_snapshots` validates them (sheet index -1) and the
    sheet without its cells; or, for a sheet it does not validate, None: one lacking a required column
    (skipped, or an error there; its cells are not needed unless it has data rows and some required
    columns: that error needs its rows) or whose columns do not resolve (an error raised there in its
    turn, after the errors of every sheet before it; its cells are kept)."""
    if missing_column(sheet, params) is not None:
        return (sheet if near_miss(sheet, params) else _without_cells(sheet)), None
    try:
        columns = resolve_columns(sheet, params)
    except (InputDataError, ParamsError):
        return sheet, None
    return _without_cells(sheet), validate_sheet(sheet, columns, params, -1)


def read_files(
    files: Sequence[str], params: IngestParams, cache: FileCache | None = None
) -> tuple[list[RawSheet], _ReadRows]:
    """All sheets of ``files`` in order (headers; cells only where a sheet was not validated) and the
    validated rows of the others. Reads those files and no other (``params.source`` is not looked at).

    With ``cache``, a file cached under its current bytes is not read: its sheets' headers and rows come
    from the cache; a file read is written to the cache once validated.
    """
    required = required_columns(params)
    sheets: list[RawSheet] = []
    read = _ReadRows()
    for file in files:
        cached = cache.sheets(file) if cache is not None else None
        if cached is not None:
            for sheet in cached:
                rows = cache.take(sheet)
                if rows is not None:
                    read.rows[file, sheet.sheet] = rows
            sheets.extend(cached)
            continue
        raw = read_sheets(
            file,
            params.sheets,
            params.xls_engine,
            encoding=params.encoding,
            header_row=params.header_row,
            required=required,
        )
        validated = [_validate_read(sheet, params) for sheet in raw]
        del raw  # the cells: only those of sheets not validated are kept
        for sheet, rows in validated:
            if rows is not None:
                read.rows[file, sheet.sheet] = rows
        if cache is not None:
            cache.remember(file, validated)
        sheets.extend(sheet for sheet, _ in validated)
    return sheets, read


def _usable_sheets(sheets: Sequence[RawSheet], params: IngestParams) -> tuple[list[RawSheet], list[str]]:
    """Sheets with the required columns, and why each other one was skipped. A sheet named in
    ``ingest.sheets`` must have them; so must at least one sheet, and so must a sheet with data rows and
    some of them (:func:`plancast.data.columns.near_miss`)."""
    usable, skipped = [], []
    for sheet in sheets:
        problem = missing_column(sheet, params)
        if problem is None:
            usable.append(sheet)
        elif params.sheets:
            raise InputDataError(problem)
        elif (miss := near_miss(sheet, params)) is not None:
            raise InputDataError(miss)
        else:
            skipped.append(problem)
    if skipped and not usable:
        raise InputDataError(skipped[0])
    return usable, skipped


def _resolve_all(sheets: Sequence[RawSheet], params: IngestParams) -> tuple[list[Columns], int]:
    """Each sheet's columns and the one horizon count K they share."""
    resolved = [resolve_columns(sheet, params) for sheet in sheets]
    for sheet, columns in zip(sheets[1:], resolved[1:], strict=True):
        if len(columns.horizons) != len(resolved[0].horizons):
            raise InputDataError(
                f"{where(sheet.file, sheet.sheet)}: has horizons 1..{len(columns.horizons)} but "
                f"{where(sheets[0].file, sheets[0].sheet)} has 1..{len(resolved[0].horizons)}"
            )
    return resolved, len(resolved[0].horizons) if resolved else 0


def _return_freed_memory() -> None:
    """Give the heap pages freed so far back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    The sheets' rows are many arrays of a few MB, which glibc serves from its heap, and freed heap pages
    stay in the process while anything above them lives: ~0.7 GB of the peak at 10,000 parts x 260 files.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)


def _raise_first(rejects: list[Reject]) -> None:
    raise InputDataError(min(rejects, key=lambda reject: reject.order).message())


def ingest(
    params: IngestParams,
    daily: DailyParams | None = None,
    root: str | None = None,
    cache_dir: str | Path | None = None,
) -> IngestResult:
    """Read ``ingest.source`` (files inside ``root``, default the working directory) and return its
    canonical snapshot table, rejects, conflicts and metrics. See :mod:`plancast.data.merge` for merging.

    ``cache_dir``: a :class:`plancast.data.file_cache.FileCache` folder; only files new or changed since
    the last run are read and validated (the result is the same). A failed run leaves it as it was.
    """
    if cache_dir is None:
        return ingest_files(source_files(params.source, params.pattern, root), params, daily)
    from plancast.data.file_cache import FileCache

    cache = FileCache(cache_dir, params)
    try:
        files = source_files(params.source, params.pattern, root)
        sheets, read = read_files(files, params, cache)
        result = canonical_snapshots(sheets, params, daily, files, validate=read.validate)
    except BaseException:
        cache.discard()
        raise
    return replace(result, cache=cache.save())


def ingest_files(files: Sequence[str], params: IngestParams, daily: DailyParams | None = None) -> IngestResult:
    """The canonical tables of ``files`` (in that order: a revision in a later file wins under
    ``file_order: name``), read and validated as :func:`ingest` reads ``ingest.source``'s; ``params.source``
    only names them in messages."""
    sheets, read = read_files(files, params)
    return canonical_snapshots(sheets, params, daily, files, validate=read.validate)


def canonical_snapshots(
    all_sheets: Sequence[RawSheet],
    params: IngestParams,
    daily: DailyParams | None = None,
    files: Sequence[str] | None = None,
    validate: Callable[[RawSheet, Columns, IngestParams, int], SheetRows] = validate_sheet,
) -> IngestResult:
    """Validate, check and merge raw sheets into the canonical tables; ``files`` are all files read, in
    name order (default: the sheets' files). ``validate``: how a sheet becomes rows (a cache's lookup)."""
    daily = daily if daily is not None else DailyParams()
    files = list(files) if files is not None else list(dict.fromkeys(sheet.file for sheet in all_sheets))
    sheets, skipped = _usable_sheets(all_sheets, params)
    resolved, horizons = _resolve_all(sheets, params)

    validated: list[SheetRows] = []
    for index, (sheet, columns) in enumerate(zip(sheets, resolved, strict=True)):
        rows = validate(sheet, columns, params, index)
        if params.on_bad_rows == "error" and rows.rejects:
            _raise_first(rows.rejects)
        validated.append(rows)
    found = set().union(*(rows.parts_found for rows in validated))
    missing = [part for part in params.parts if part not in found]
    if missing:
        raise ParamsError(
            f"ingest.parts: part {missing[0]!r} does not appear in {params.source} (column {params.part_column!r})"
        )

    step = params.time_format == "step"
    part, times, quantities, sheet_index, source_row = gather(validated, horizons, step)
    _return_freed_memory()
    clash = leading_zero_clash(part, sheet_index, source_row, sheets, params)
    if clash is not None:
        raise InputDataError(clash)
    file_of_sheet = np.array([files.index(sheet.file) for sheet in sheets], dtype=np.int64)
    names_of_sheet = [
        [sheet.header[j] for j in [columns.target, *columns.horizons]]
        for sheet, columns in zip(sheets, resolved, strict=True)
    ]

    def place(i: int) -> tuple[str, str, int, list[str]]:
        s = int(sheet_index[i])
        return sheets[s].file, sheets[s].sheet, int(source_row[i]), names_of_sheet[s]

    checked = check_calendar(times, part, sheet_index, source_row, sheets, params, daily)
    if params.on_bad_rows == "error" and checked.rejects:
        _raise_first(checked.rejects)
    rejects = [reject for rows in validated for reject in rows.rejects] + checked.rejects
    ok = checked.ok
    if not ok.all():  # usually every row passes: no copies then
        part, times, quantities, sheet_index, source_row = (
            part[ok],
            times[ok],
            quantities[ok],
            sheet_index[ok],
            source_row[ok],
        )

    order = revision_order(files, file_of_sheet, sheet_index, source_row, times, params.file_order)
    merged = merge_overlaps(part, times, quantities, order, place, params)
    keep = merged.keep

    if not keep.any():
        first = min(rejects, key=lambda reject: reject.order) if rejects else None
        detail = f"; first rejected: {first.message()}" if first else ""
        read = sum(rows.rows_read for rows in validated)
        raise InputDataError(f"{params.source}: no valid snapshots ({read} data rows, {len(rejects)} rejected){detail}")

    snapshots = snapshot_frame(part, times, quantities, sheet_index, source_row, sheets, keep)
    rejects.sort(key=lambda reject: reject.order)
    reject_frame = pd.DataFrame(
        [(r.file, r.sheet, r.row, r.column, r.reason) for r in rejects], columns=REJECT_COLUMNS
    ).astype({"source_row": np.int64})
    renamed: dict[str, str] = {}
    for rows in validated:
        renamed.update(rows.renamed_parts)
    superseded = len(merged.conflicts)
    metrics = {
        "files": len(files),
        "sheets": len(sheets),
        "sheets_skipped_count": len(skipped),
        "rows_read": sum(rows.rows_read for rows in validated),
        "rows_blank": sum(rows.rows_blank for rows in validated),
        "rows_other_parts": sum(rows.rows_other_parts for rows in validated),
        "rows_kept": len(snapshots),
        "rows_rejected": len(rejects),
        "rows_merged": merged.merged,
        "rows_superseded": superseded,
        "conflicts": merged.conflicting_snapshots,
        "part_ids_normalised": len(renamed),
        "parts": int(snapshots["part"].nunique()),
        "horizons": horizons,
    }
    # What grows with the files and parts, and the count per reason, go to a report, not to DVC's metrics
    # (one column each in `dvc exp show`); the settings that shaped the counts are params.
    sources = {
        "sheets_read": [where(sheet.file, sheet.sheet) for sheet in sheets],
        "sheets_skipped": skipped,
        "encodings": {sheet.file: sheet.encoding for sheet in all_sheets if sheet.encoding},
        "part_ids_normalised": dict(sorted(renamed.items())),
        "rejects_by_reason": {kind: sum(r.kind == kind for r in rejects) for kind in REJECT_KINDS},
    }
    return IngestResult(
        snapshots=snapshots, rejects=reject_frame, conflicts=merged.conflicts, metrics=metrics, sources=sources
    )
