"""Read a planning export (.xls, .xlsx, .csv, .parquet; one file or a folder of them) into the canonical
snapshot table: one row per part per snapshot with its target and plans ``h1`` .. ``hK``.

Reading keeps every cell's raw value (no dtype guessing); :func:`canonical_snapshots` then validates
each value itself, so a bad cell is reported with its file, sheet, row (as a spreadsheet shows it,
header = row 1) and column, and either stops the run (``on_bad_rows: error``) or is quarantined with
its reason (``on_bad_rows: quarantine``). Nothing is dropped silently: fully blank rows and rows of
parts left out by ``ingest.parts`` are counted in the metrics.

Decisions worth knowing:
- The header is the first non-blank row of a sheet; its cells are stripped of surrounding whitespace.
  A sheet with no cells at all holds no rows and is passed over.
- Horizon columns are the headers where ``horizon_pattern`` matches (``re.search``); group 1 is k.
  Only k = 1..``max_horizon`` is kept and the kept set must be 1..K without gaps, the same in every
  sheet. No horizon column at all is accepted when ``max_horizon`` is 0 or the file is one series
  (``part_column: null``, e.g. Seed A's wave); a multi-part plan export without one is an error.
- ``.xls`` is read by ``xls_engine`` (calamine or xlrd, called directly); ``.xlsx`` always by
  calamine. CSV is UTF-8 (a BOM is tolerated) with commas. Hidden files (``.name``) and Excel lock
  files (``~$name``) in a source folder are skipped; the folder is not searched recursively unless
  ``pattern`` says so (``**/``).
- Paths are used as given, relative to the working directory (the repo root under DVC); symlinks are
  followed, which is harmless since ingest only reads them and writes nothing but its fixed outputs.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from plancast.errors import InputDataError, ParamsError
from plancast.params import IngestParams

FORMATS = (".xls", ".xlsx", ".csv", ".parquet")
REJECT_KINDS = ("blank", "not_a_number", "negative", "not_finite", "bad_time", "duplicate", "extra_cells")
REJECT_COLUMNS = ["source_file", "sheet", "source_row", "column", "reason"]

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NON_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)
_WHOLE_FLOAT_TEXT = re.compile(r"([+-]?\d+)\.0*")


@dataclass(frozen=True)
class RawSheet:
    """One sheet (or CSV / Parquet file) as read: raw cell values, nothing converted.

    ``rows[i]`` is the sheet's row ``header_row + 1 + i`` (1-based, as a spreadsheet shows it).
    """

    file: str
    sheet: str
    header: list[str]
    header_row: int
    rows: list[list[Any]]


@dataclass(frozen=True)
class IngestResult:
    """The canonical snapshot table, the rejected rows and the counts for ``metrics/ingest.json``."""

    snapshots: pd.DataFrame
    rejects: pd.DataFrame
    metrics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Columns:
    part: int | None
    time: int
    target: int
    horizons: list[int]  # position of h1 .. hK


def _where(file: str, sheet: str, row: int | None = None, column: str | None = None) -> str:
    """``file, sheet S, row R, column 'C'`` with the parts that apply."""
    text = file
    if sheet:
        text += f", sheet {sheet}"
    if row is not None:
        text += f", row {row}"
    if column is not None:
        text += f", column {column!r}"
    return text


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _unreadable_sheet(file: str, sheet: str, exc: BaseException) -> str:
    return f"{file}, sheet {sheet}: cannot read the sheet ({_one_line(exc)})"


# ---------------------------------------------------------------------------------------------- reading


def source_files(source: str, pattern: str) -> list[str]:
    """The files to read: ``source`` itself, or the files in folder ``source`` matching ``pattern``.

    Paths come back as given (POSIX separators), a folder's files sorted by their path.
    """
    path = Path(source)
    if path.is_file():
        return [PurePosixPath(path).as_posix()]
    if not path.exists():
        raise InputDataError(f"{source}: no such file or folder (ingest.source)")
    if not path.is_dir():
        raise InputDataError(f"{source}: not a regular file or folder (ingest.source)")
    try:
        matches = list(path.glob(pattern))
    except ValueError as exc:
        raise ParamsError(f"ingest.pattern: {pattern!r} is not a usable glob ({exc})") from None
    files = sorted(
        PurePosixPath(match).as_posix()
        for match in matches
        if match.is_file() and not match.name.startswith((".", "~$"))
    )
    if not files:
        raise InputDataError(f"{source}: no file in the folder matches ingest.pattern {pattern!r}")
    return files


def _header_and_rows(file: str, sheet: str, grid: Sequence[Sequence[Any]]) -> RawSheet | None:
    """Split a grid of cells into header (first non-blank row) and data rows; None for an empty grid."""
    for index, row in enumerate(grid):
        if not _is_blank_row(row):
            header = [_header_text(cell) for cell in row]
            rows = [list(cells) for cells in grid[index + 1 :]]
            return RawSheet(file=file, sheet=sheet, header=header, header_row=index + 1, rows=rows)
    return None


def _header_text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def _select_sheets(file: str, available: list[str], wanted: list[str]) -> list[str]:
    for name in wanted:
        if name not in available:
            raise InputDataError(
                f"{file}, sheet {name}: no such sheet (ingest.sheets); sheets found: {', '.join(available)}"
            )
    return list(wanted) if wanted else list(available)


def _read_calamine(file: str, sheets: list[str]) -> list[tuple[str, list[list[Any]]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(file)
    except (CalamineError, OSError, ValueError) as exc:
        raise InputDataError(f"{file}: cannot read the workbook ({_one_line(exc)})") from None
    with workbook:
        names = _select_sheets(file, list(workbook.sheet_names), sheets)
        grids = []
        for name in names:
            try:
                # skip_empty_area=False keeps leading blank rows, so row numbers match the sheet's.
                grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except (CalamineError, OSError, ValueError) as exc:
                raise InputDataError(_unreadable_sheet(file, name, exc)) from None
            grids.append((name, grid))
    return grids


def _xlrd_cell(cell_type: int, value: Any, datemode: int) -> Any:
    import xlrd

    if cell_type in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell_type == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return value
    if cell_type == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if cell_type == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERROR")
    return value


def _read_xlrd(file: str, sheets: list[str]) -> list[tuple[str, list[list[Any]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file, on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError, IndexError, KeyError) as exc:
        # xlrd reports some corrupt files through assertion / index errors of its record parser.
        raise InputDataError(f"{file}: cannot read the workbook ({_one_line(exc)})") from None
    try:
        names = _select_sheets(file, book.sheet_names(), sheets)
        grids = []
        for name in names:
            try:
                sheet = book.sheet_by_name(name)
            except (xlrd.XLRDError, AssertionError, IndexError, KeyError, ValueError) as exc:
                raise InputDataError(_unreadable_sheet(file, name, exc)) from None
            grid = [
                [
                    _xlrd_cell(kind, value, book.datemode)
                    for kind, value in zip(sheet.row_types(r), sheet.row_values(r), strict=True)
                ]
                for r in range(sheet.nrows)
            ]
            grids.append((name, grid))
    finally:
        book.release_resources()
    return grids


def _read_csv(file: str) -> list[list[Any]]:
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise InputDataError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    except (csv.Error, OSError) as exc:
        raise InputDataError(f"{file}: cannot read as CSV ({_one_line(exc)})") from None


def _read_parquet(file: str) -> list[list[Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputDataError(f"{file}: cannot read as Parquet ({_one_line(exc)})") from None
    columns = table.to_pydict()
    return [list(columns), *(list(row) for row in zip(*columns.values(), strict=True))]


def read_sheets(file: str, sheets: Sequence[str] = (), xls_engine: str = "calamine") -> list[RawSheet]:
    """Every sheet of ``file`` (only ``sheets`` when given) as raw cells; empty sheets are left out."""
    suffix = Path(file).suffix.lower()
    if suffix not in FORMATS:
        expected = ", ".join(FORMATS)
        raise InputDataError(f"{file}: unsupported file type {suffix or '(none)'!r} (expected {expected})")
    if not Path(file).is_file():
        raise InputDataError(f"{file}: no such file")
    if suffix in (".csv", ".parquet"):
        grid = _read_csv(file) if suffix == ".csv" else _read_parquet(file)
        sheet = _header_and_rows(file, "", grid)
        return [sheet] if sheet is not None else []
    if suffix == ".xls" and xls_engine == "xlrd":
        grids = _read_xlrd(file, list(sheets))
    else:
        grids = _read_calamine(file, list(sheets))
    raw = (_header_and_rows(file, name, grid) for name, grid in grids)
    return [sheet for sheet in raw if sheet is not None]


def read_source(params: IngestParams) -> tuple[list[str], list[RawSheet]]:
    """The files named by ``ingest.source`` / ``pattern`` and all their non-empty sheets, in order."""
    files = source_files(params.source, params.pattern)
    sheets = [sheet for file in files for sheet in read_sheets(file, params.sheets, params.xls_engine)]
    return files, sheets


# ------------------------------------------------------------------------------------------- validation


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return False


def _is_blank_row(row: Iterable[Any]) -> bool:
    return all(_is_blank(value) for value in row)


def parse_quantity(value: Any, allow_negative: bool = False) -> float | tuple[str, str]:
    """A quantity cell as a float (>= 0 unless ``allow_negative``), or ``(kind, reason)`` saying why not."""
    if _is_blank(value):
        return "blank", "blank quantity"
    if isinstance(value, str):
        text = value.strip()
        if _NON_FINITE.fullmatch(text):
            return "not_finite", f"quantity {text!r} is not finite"
        if not _NUMBER.fullmatch(text):
            return "not_a_number", f"{text!r} is not a number"
        number = float(text)
    elif isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return "not_a_number", f"{value!r} is not a number"
    else:
        number = float(value)
    if not math.isfinite(number):
        return "not_finite", f"quantity {number!r} is not finite"
    if number < 0 and not allow_negative:
        return "negative", f"negative quantity {number:g} (set ingest.allow_negative: true for a signed series)"
    return number + 0.0  # no -0.0 in the output


def parse_part(value: Any) -> str | tuple[str, str]:
    """A part cell as its name (a whole number written as one: 94.0 -> '94'), or ``(kind, reason)``."""
    if _is_blank(value):
        return "blank", "blank part"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_time(value: Any, time_format: str) -> datetime | int | tuple[str, str]:
    """A time cell as a datetime (or an int with ``time_format: step``), or ``(kind, reason)``.

    Numbers are read through their digits, so 202109131830, 202109131830.0 and '202109131830.0'
    all parse with ``%Y%m%d%H%M``; cells Excel stores as dates are taken as they are.
    """
    if _is_blank(value):
        return "blank", "blank time"
    if time_format == "step":
        return _parse_step(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool | time | timedelta):
        return "bad_time", f"{value!r} is not a time"
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    try:
        return datetime.strptime(text, time_format)
    except ValueError:
        whole = _WHOLE_FLOAT_TEXT.fullmatch(text)
        if whole:
            try:
                return datetime.strptime(whole.group(1), time_format)
            except ValueError:
                pass
    return "bad_time", f"cannot parse {text!r} with format {time_format}"


def _parse_step(value: Any) -> int | tuple[str, str]:
    if isinstance(value, bool):
        return "bad_time", f"{value!r} is not an integer step"
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    text = str(value).strip()
    whole = _WHOLE_FLOAT_TEXT.fullmatch(text)
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if whole:
        return int(whole.group(1))
    return "bad_time", f"{text!r} is not an integer step"


def _column_index(sheet: RawSheet, name: str, key: str) -> int:
    positions = [i for i, header in enumerate(sheet.header) if header == name]
    where = _where(sheet.file, sheet.sheet)
    if not positions:
        found = ", ".join(repr(header) for header in sheet.header if header)
        raise InputDataError(f"{where}: no column {name!r} ({key}); columns found: {found}")
    if len(positions) > 1:
        numbers = " and ".join(str(i + 1) for i in positions[:2])
        raise InputDataError(f"{where}: column {name!r} ({key}) appears twice (columns {numbers})")
    return positions[0]


def _resolve_columns(sheet: RawSheet, params: IngestParams) -> _Columns:
    """Positions of the part, time, target and horizon columns in ``sheet``'s header."""
    part = None
    if params.part_column is not None:
        part = _column_index(sheet, params.part_column, "ingest.part_column")
    time_at = _column_index(sheet, params.time_column, "ingest.time_column")
    target = _column_index(sheet, params.target_column, "ingest.target_column")
    by_k: dict[int, int] = {}
    pattern = re.compile(params.horizon_pattern)
    for index, header in enumerate(sheet.header):
        match = pattern.search(header) if index not in (part, time_at, target) else None
        if match is None or params.max_horizon == 0:
            continue
        try:
            k = int(match.group(1))
        except (TypeError, ValueError):
            raise ParamsError(
                f"ingest.horizon_pattern: group 1 matched {match.group(1)!r} in column {header!r} of "
                f"{_where(sheet.file, sheet.sheet)}, not a whole number"
            ) from None
        if not 1 <= k <= params.max_horizon:
            continue
        if k in by_k:
            raise InputDataError(
                f"{_where(sheet.file, sheet.sheet)}: columns {sheet.header[by_k[k]]!r} and {header!r} "
                f"are both horizon {k} (ingest.horizon_pattern)"
            )
        by_k[k] = index
    if not by_k and params.max_horizon > 0 and params.part_column is not None:
        found = ", ".join(repr(header) for header in sheet.header if header)
        raise InputDataError(
            f"{_where(sheet.file, sheet.sheet)}: no column matches ingest.horizon_pattern "
            f"{params.horizon_pattern!r} (set ingest.max_horizon: 0 for a file without plans); "
            f"columns found: {found}"
        )
    count = len(by_k)
    missing = [k for k in range(1, count + 1) if k not in by_k]
    if missing:
        raise InputDataError(
            f"{_where(sheet.file, sheet.sheet)}: no column for horizon {missing[0]} although horizons up "
            f"to {max(by_k)} are there (ingest.horizon_pattern {params.horizon_pattern!r})"
        )
    return _Columns(part=part, time=time_at, target=target, horizons=[by_k[k] for k in range(1, count + 1)])


@dataclass
class _Collector:
    """Accumulates kept rows and rejects across sheets, in reading order."""

    horizons: int
    parts: list[str] = field(default_factory=list)
    times: list[Any] = field(default_factory=list)
    quantities: list[list[float]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    rejects: list[tuple[str, str, int, str, str]] = field(default_factory=list)
    reject_kinds: list[str] = field(default_factory=list)
    seen: dict[tuple[str, Any], tuple[str, str, int]] = field(default_factory=dict)
    parts_found: set[str] = field(default_factory=set)
    rows_read: int = 0
    rows_blank: int = 0
    rows_other_parts: int = 0


def _parse_column(values: list[Any], parse: Any) -> list[Any]:
    cache: dict[Any, Any] = {}
    parsed = []
    for value in values:
        try:
            key = (type(value), value)
            hash(key)
        except TypeError:
            parsed.append(parse(value))
            continue
        if key not in cache:
            cache[key] = parse(value)
        parsed.append(cache[key])
    return parsed


def _first_problem(names: list[str], values: list[Any]) -> tuple[str, str, str] | None:
    """``(column, kind, reason)`` of the first value that failed to parse, or None."""
    for name, value in zip(names, values, strict=True):
        if isinstance(value, tuple):
            return (name, *value)
    return None


def _collect_sheet(sheet: RawSheet, columns: _Columns, params: IngestParams, out: _Collector) -> None:
    width = len(sheet.header)
    rows = [row + [""] * (width - len(row)) if len(row) < width else row for row in sheet.rows]
    blank = [_is_blank_row(row) for row in rows]

    def cells(index: int | None) -> list[Any]:
        return [row[index] for row in rows] if index is not None else [params.part_name] * len(rows)

    part_values = _parse_column(cells(columns.part), parse_part)
    time_values = _parse_column(cells(columns.time), lambda v: parse_time(v, params.time_format))
    quantity_columns = [columns.target, *columns.horizons]

    def quantity(value: Any) -> float | tuple[str, str]:
        return parse_quantity(value, params.allow_negative)

    quantity_values = [_parse_column(cells(index), quantity) for index in quantity_columns]
    quantity_names = [sheet.header[index] for index in quantity_columns]
    wanted = set(params.parts)

    for r, row in enumerate(rows):
        if blank[r]:
            out.rows_blank += 1
            continue
        source_row = sheet.header_row + 1 + r
        out.rows_read += 1

        def reject(column: str, kind: str, reason: str, source_row: int = source_row) -> None:
            out.rejects.append((sheet.file, sheet.sheet, source_row, column, reason))
            out.reject_kinds.append(kind)

        part = part_values[r]
        if isinstance(part, tuple):
            reject(params.part_column or "", *part)
            continue
        out.parts_found.add(part)
        if wanted and part not in wanted:
            out.rows_other_parts += 1
            continue
        stamp = time_values[r]
        if isinstance(stamp, tuple):
            reject(params.time_column, *stamp)
            continue
        problem = _first_problem(quantity_names, [values[r] for values in quantity_values])
        if problem is not None:
            reject(*problem)
            continue
        extra = [value for value in row[width:] if not _is_blank(value)]
        if extra:
            reject("", "extra_cells", f"the row has {len(row)} cells but the header has {width}")
            continue
        first = out.seen.get((part, stamp))
        if first is not None:
            shown = stamp.isoformat(sep=" ") if isinstance(stamp, datetime) else stamp
            reject(
                params.time_column,
                "duplicate",
                f"duplicate snapshot of part {part!r} at {shown} (first at {_where(*first)})",
            )
            continue
        out.seen[(part, stamp)] = (sheet.file, sheet.sheet, source_row)
        out.parts.append(part)
        out.times.append(stamp)
        out.quantities.append([values[r] for values in quantity_values])
        out.files.append(sheet.file)
        out.sheets.append(sheet.sheet)
        out.rows.append(source_row)


def _snapshot_frame(out: _Collector, step: bool) -> pd.DataFrame:
    quantities = np.asarray(out.quantities, dtype=np.float64).reshape(len(out.parts), out.horizons + 1)
    frame = pd.DataFrame(
        {
            "part": pd.Series(out.parts, dtype="str"),
            "snapshot_time": np.asarray(out.times, dtype=np.int64 if step else "datetime64[us]"),
            "target": quantities[:, 0],
            **{f"h{k}": quantities[:, k] for k in range(1, out.horizons + 1)},
            "source_file": pd.Series(out.files, dtype="str"),
            "sheet": pd.Series(out.sheets, dtype="str"),
            "source_row": np.asarray(out.rows, dtype=np.int64),
        }
    )
    return frame.sort_values(["part", "snapshot_time"], kind="stable").reset_index(drop=True)


def canonical_snapshots(sheets: Sequence[RawSheet], params: IngestParams, files: int | None = None) -> IngestResult:
    """Validate raw sheets into the canonical table ``(snapshots, 3 + K + 3)`` plus rejects and metrics.

    Columns: part, snapshot_time, target, h1..hK, source_file, sheet, source_row; sorted by part, then
    snapshot_time. A bad row (blank / non-numeric / negative / non-finite quantity, unparseable time,
    blank part, extra cells, or a repeat of an earlier part + snapshot_time) raises
    :class:`InputDataError` naming file, sheet, row and column under ``on_bad_rows: error``; under
    ``quarantine`` it becomes a row of ``rejects`` and the rest go on.
    """
    resolved = [(sheet, _resolve_columns(sheet, params)) for sheet in sheets]
    horizon_counts = {len(columns.horizons) for _, columns in resolved}
    if len(horizon_counts) > 1:
        first_sheet, first_columns = resolved[0]
        for sheet, columns in resolved[1:]:
            if len(columns.horizons) != len(first_columns.horizons):
                raise InputDataError(
                    f"{_where(sheet.file, sheet.sheet)}: has horizons 1..{len(columns.horizons)} but "
                    f"{_where(first_sheet.file, first_sheet.sheet)} has 1..{len(first_columns.horizons)}"
                )
    horizons = horizon_counts.pop() if horizon_counts else 0

    out = _Collector(horizons=horizons)
    for sheet, columns in resolved:
        _collect_sheet(sheet, columns, params, out)
        if params.on_bad_rows == "error" and out.rejects:
            file, sheet_name, row, column, reason = out.rejects[0]
            raise InputDataError(f"{_where(file, sheet_name, row, column or None)}: {reason}")

    missing = [part for part in params.parts if part not in out.parts_found]
    if missing:
        raise ParamsError(
            f"ingest.parts: part {missing[0]!r} does not appear in {params.source} (column {params.part_column!r})"
        )
    if not out.parts:
        first = out.rejects[0] if out.rejects else None
        detail = f"; first rejected: {_where(*first[:3], first[3] or None)}: {first[4]}" if first else ""
        counts = f"{out.rows_read} data rows, {len(out.rejects)} rejected"
        raise InputDataError(f"{params.source}: no valid snapshots ({counts}){detail}")

    snapshots = _snapshot_frame(out, params.time_format == "step")
    rejects = pd.DataFrame(out.rejects, columns=REJECT_COLUMNS).astype({"source_row": np.int64})
    by_kind = {kind: out.reject_kinds.count(kind) for kind in REJECT_KINDS}
    metrics = {
        "files": files if files is not None else len({sheet.file for sheet in sheets}),
        "sheets": len(sheets),
        "rows_read": out.rows_read,
        "rows_blank": out.rows_blank,
        "rows_other_parts": out.rows_other_parts,
        "rows_kept": len(snapshots),
        "rows_rejected": len(rejects),
        "rejects_by_reason": by_kind,
        "parts": int(snapshots["part"].nunique()),
        "horizons": horizons,
        "xls_engine": params.xls_engine,
        "on_bad_rows": params.on_bad_rows,
    }
    return IngestResult(snapshots=snapshots, rejects=rejects, metrics=metrics)


def ingest(params: IngestParams) -> IngestResult:
    """Read ``ingest.source`` and return its canonical snapshot table, rejects and metrics."""
    files, sheets = read_source(params)
    return canonical_snapshots(sheets, params, files=len(files))
