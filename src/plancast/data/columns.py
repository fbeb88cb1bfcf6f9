"""Sheet header -> column positions: the required part, time and target columns and the horizons h1 .. hK.

A header that lacks a required column is an error of one line naming the closest header ('Part Numbr'
for 'Part Number') or the columns found. A sheet with none of the required columns (notes, a summary) is
skipped; one with data rows and some of them is a near miss that stops ingest (:func:`near_miss`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np

from plancast.data.parsing import blank_cells
from plancast.data.reading import RawSheet, where
from plancast.errors import InputDataError, ParamsError
from plancast.params_ingest import IngestParams


@dataclass(frozen=True)
class Columns:
    """Positions in a sheet's header: part (None for a single series), time, target, h1 .. hK."""

    part: int | None
    time: int
    target: int
    horizons: list[int]


def required_columns(params: IngestParams) -> list[str]:
    """The column names every sheet must have: part (unless a single series), time, target."""
    names = [params.part_column] if params.part_column is not None else []
    return [*names, params.time_column, params.target_column]


def _required_keys(params: IngestParams) -> list[tuple[str, str]]:
    keys = ["ingest.part_column"] if params.part_column is not None else []
    return list(zip(required_columns(params), [*keys, "ingest.time_column", "ingest.target_column"], strict=True))


def closest_header(name: str, sheet: RawSheet, params: IngestParams) -> str | None:
    """The header of ``sheet`` most like ``name`` (difflib, case ignored), if one is close: 'Part Numbr'
    for 'Part Number'. The other required columns and the horizon columns are no candidates."""
    pattern = re.compile(params.horizon_pattern)
    taken = set(required_columns(params))
    candidates = {h.casefold(): h for h in sheet.header if h and h not in taken and not pattern.search(h)}
    match = difflib.get_close_matches(name.casefold(), list(candidates), n=1, cutoff=0.6)
    return candidates[match[0]] if match else None


def _no_column(sheet: RawSheet, name: str, key: str, params: IngestParams, detail: str = "") -> str:
    closest = closest_header(name, sheet, params)
    if closest is not None:
        hint = f"closest header: {closest!r}"
    else:
        hint = "columns found: " + ", ".join(repr(header) for header in sheet.header if header)
    return f"{where(sheet.file, sheet.sheet)}: no column {name!r} ({key}){detail}; {hint}"


def _column_index(sheet: RawSheet, name: str, key: str, params: IngestParams) -> int:
    positions = [i for i, header in enumerate(sheet.header) if header == name]
    if not positions:
        raise InputDataError(_no_column(sheet, name, key, params))
    if len(positions) > 1:
        numbers = " and ".join(str(i + 1) for i in positions[:2])
        raise InputDataError(
            f"{where(sheet.file, sheet.sheet)}: column {name!r} ({key}) appears twice (columns {numbers})"
        )
    return positions[0]


def missing_column(sheet: RawSheet, params: IngestParams) -> str | None:
    """The error for the first required column ``sheet`` lacks, or None when it has them all."""
    for name, key in _required_keys(params):
        if name not in sheet.header:
            return _no_column(sheet, name, key, params)
    return None


def data_rows(sheet: RawSheet) -> int:
    """How many rows below the header hold any cell."""
    blank = np.ones(sheet.rows, dtype=bool)
    for j in range(sheet.cells.shape[1]):
        blank &= blank_cells(sheet.cells[:, j])
    return int((~blank).sum())


def near_miss(sheet: RawSheet, params: IngestParams) -> str | None:
    """The error for a sheet that must not be skipped though it lacks a required column, or None.

    A sheet with none of the part, time and target columns (notes, a summary) is skipped and listed;
    one with data rows and some of them is an export whose header is off ('Part Numbr'): skipping it
    would lose its rows without a word, under ``on_bad_rows: quarantine`` too (a sheet is not a row).
    """
    present = [name for name, _ in _required_keys(params) if name in sheet.header]
    missing = [(name, key) for name, key in _required_keys(params) if name not in sheet.header]
    if not present or not missing:
        return None
    rows = data_rows(sheet)
    if not rows:
        return None
    has = " and ".join(repr(name) for name in present)
    name, key = missing[0]
    return _no_column(sheet, name, key, params, f" in a sheet of {rows} data rows with {has}")


def resolve_columns(sheet: RawSheet, params: IngestParams) -> Columns:
    """Positions of the part, time, target and horizon columns in ``sheet``'s header."""
    part = None
    if params.part_column is not None:
        part = _column_index(sheet, params.part_column, "ingest.part_column", params)
    time_at = _column_index(sheet, params.time_column, "ingest.time_column", params)
    target = _column_index(sheet, params.target_column, "ingest.target_column", params)
    by_k: dict[int, int] = {}
    pattern = re.compile(params.horizon_pattern)
    at = where(sheet.file, sheet.sheet)
    for index, header in enumerate(sheet.header):
        match = pattern.search(header) if index not in (part, time_at, target) else None
        if match is None or params.max_horizon == 0:
            continue
        try:
            k = int(match.group(1))
        except (TypeError, ValueError):
            raise ParamsError(
                f"ingest.horizon_pattern: group 1 matched {match.group(1)!r} in column {header!r} of {at}, "
                "not a whole number"
            ) from None
        if not 1 <= k <= params.max_horizon:
            continue
        if k in by_k:
            raise InputDataError(
                f"{at}: columns {sheet.header[by_k[k]]!r} and {header!r} are both horizon {k} (ingest.horizon_pattern)"
            )
        by_k[k] = index
    if not by_k and params.max_horizon > 0 and params.part_column is not None:
        found = ", ".join(repr(header) for header in sheet.header if header)
        raise InputDataError(
            f"{at}: no column matches ingest.horizon_pattern {params.horizon_pattern!r} (set ingest.max_horizon: 0 "
            f"for a file without plans); columns found: {found}"
        )
    missing = [k for k in range(1, len(by_k) + 1) if k not in by_k]
    if missing:
        raise InputDataError(
            f"{at}: no column for horizon {missing[0]} although horizons up to {max(by_k)} are there "
            f"(ingest.horizon_pattern {params.horizon_pattern!r})"
        )
    return Columns(part=part, time=time_at, target=target, horizons=[by_k[k] for k in range(1, len(by_k) + 1)])
