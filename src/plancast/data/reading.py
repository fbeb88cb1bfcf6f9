"""Files -> raw sheets: each sheet's cells as read (which files: :mod:`plancast.data.sources`).

Reading converts nothing (validation judges every cell, so a bad one is reported where it is): a sheet
becomes its header and a ``(rows, width)`` grid of raw cell values. Decisions worth knowing:

- The header is the first row naming the part, time and target columns (``header_row: auto``, among
  the first :data:`HEADER_SEARCH_ROWS` rows; when none does, the row naming most of them, else the
  first non-blank row, whose missing column the error then names), or row N (``header_row: N``,
  1-based). Header cells are stripped. A Parquet file's header is its column names.
- A file that holds nothing (0 bytes, or no sheet with a cell) is an error, not a file to pass over:
  it is most often an export that failed, and its day would be missing without a word.
- ``.xls`` is read by ``xls_engine`` (calamine or xlrd), ``.xlsx`` by calamine. CSV text is decoded
  with ``encoding`` (``auto``: UTF-8 with or without BOM, else cp949, the usual Korean Windows
  encoding); the codec used is kept on the sheet for the metrics.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from plancast.errors import InputDataError

FORMATS = (".xls", ".xlsx", ".csv", ".parquet")
AUTO_ENCODINGS = ("utf-8", "cp949")  # tried in this order; a UTF-8 BOM is recognised first
HEADER_SEARCH_ROWS = 100  # a title block above the header is a few rows; this bounds the search


@dataclass(frozen=True)
class RawSheet:
    """One sheet (or CSV / Parquet file) as read: raw cell values, nothing converted.

    ``cells`` is ``(rows, width)`` object with ``width >= len(header)``; row ``i`` is the sheet's row
    ``header_row + 1 + i`` (1-based, as a spreadsheet shows it). Short rows are padded with ``""``;
    ``lengths`` ``(rows,)`` is how many cells each row really had. ``encoding`` is the codec a CSV was
    decoded with (``""`` for binary formats).
    """

    file: str
    sheet: str
    header: list[str]
    header_row: int
    cells: np.ndarray
    lengths: np.ndarray
    encoding: str = ""

    @property
    def rows(self) -> int:
        return int(self.cells.shape[0])


def where(file: str, sheet: str, row: int | None = None, column: str | None = None) -> str:
    """``file, sheet S, row R, column 'C'`` with the parts that apply."""
    text = file
    if sheet:
        text += f", sheet {sheet}"
    if row is not None:
        text += f", row {row}"
    if column is not None:
        text += f", column {column!r}"
    return text


def one_line(exc: BaseException) -> str:
    """``exc`` in one line for an error message: its type and its text with the line breaks folded."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _unreadable_sheet(file: str, sheet: str, exc: BaseException) -> str:
    return f"{file}, sheet {sheet}: cannot read the sheet ({one_line(exc)})"


# -------------------------------------------------------------------------------------- header, grid


def is_blank(value: Any) -> bool:
    """A cell with nothing in it: None, or text of whitespace only (a number is never blank)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return False


def is_blank_row(row: Sequence[Any]) -> bool:
    return all(is_blank(value) for value in row)


def header_text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def find_header(
    rows: Sequence[Sequence[Any]], header_row: int | Literal["auto"], required: Sequence[str]
) -> int | None:
    """0-based index of the header among ``rows``, or None when the sheet has none (no cells at all).

    ``auto``: the first row naming every ``required`` column; else the first naming the most of them (a
    header with one name off, 'Part Numbr', is still the header, and its missing column is named); else
    the first non-blank row."""
    if header_row != "auto":
        return header_row - 1 if header_row <= len(rows) else None
    first = best = None
    most = 0
    wanted = set(required)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if is_blank_row(row):
            continue
        if first is None:
            first = index
        named = len(wanted & {header_text(cell) for cell in row}) if wanted else 0
        if wanted and named == len(wanted):
            return index
        if named > most:
            best, most = index, named
    if best is not None:
        return best
    if first is None:
        first = next((i for i, row in enumerate(rows) if not is_blank_row(row)), None)
    return first


def _as_matrix(rows: Sequence[Sequence[Any]], width: int) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` as a ``(rows, width')`` object grid padded with ``""``, and each row's own length."""
    lengths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
    width = max(width, int(lengths.max(initial=0)))
    if len(rows) and (lengths == width).all():
        matrix = np.empty((len(rows), width), dtype=object)
        matrix[:] = rows  # assigning into an object grid keeps each cell as the Python value it is
        return matrix, lengths
    matrix = np.full((len(rows), width), "", dtype=object)
    for index, row in enumerate(rows):
        matrix[index, : len(row)] = row
    return matrix, lengths


def sheet_from_rows(
    file: str,
    sheet: str,
    rows: Sequence[Sequence[Any]],
    header_row: int | Literal["auto"] = "auto",
    required: Sequence[str] = (),
    encoding: str = "",
) -> RawSheet | None:
    """Split a sheet's rows into header and data grid; None for a sheet without a header."""
    index = find_header(rows, header_row, required)
    if index is None:
        return None
    header = [header_text(cell) for cell in rows[index]]
    cells, lengths = _as_matrix(rows[index + 1 :], len(header))
    return RawSheet(file, sheet, header, index + 1, cells, lengths, encoding)


# ------------------------------------------------------------------------------------------- readers


def _select_sheets(file: str, available: list[str], wanted: Sequence[str]) -> list[str]:
    for name in wanted:
        if name not in available:
            raise InputDataError(
                f"{file}, sheet {name}: no such sheet (ingest.sheets); sheets found: {', '.join(available)}"
            )
    return list(wanted) if wanted else list(available)


def _read_calamine(file: str, sheets: Sequence[str]) -> list[tuple[str, list[list[Any]]]]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(file)
    except (CalamineError, OSError, ValueError) as exc:
        raise InputDataError(f"{file}: cannot read the workbook ({one_line(exc)})") from None
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


def _read_xlrd(file: str, sheets: Sequence[str]) -> list[tuple[str, list[list[Any]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file, on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError, IndexError, KeyError) as exc:
        # xlrd reports some corrupt files through assertion / index errors of its record parser.
        raise InputDataError(f"{file}: cannot read the workbook ({one_line(exc)})") from None
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


def decode_text(file: str, data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """``(text, codec)``: ``data`` decoded as ``encoding``, or for ``auto`` the first codec that fits."""
    if encoding != "auto":
        codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        try:
            return data.decode(codec), encoding
        except UnicodeDecodeError as exc:
            raise InputDataError(f"{file}: not {encoding} text (byte {exc.start}; ingest.encoding)") from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputDataError(f"{file}: not UTF-8 text after its BOM (byte {exc.start})") from None
    first_failure = None
    for codec in AUTO_ENCODINGS:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            first_failure = first_failure or exc
    raise InputDataError(
        f"{file}: neither UTF-8 nor cp949 text (byte {first_failure.start}); name the codec in ingest.encoding"
    )


def _csv_rows_slow(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _read_csv(file: str, encoding: str, header_row: int | Literal["auto"], required: Sequence[str]) -> RawSheet | None:
    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise InputDataError(f"{file}: cannot read as CSV ({one_line(exc)})") from None
    text, codec = decode_text(file, data, encoding)
    try:
        # pandas' C tokenizer is the fast path; it takes its width from the first line, so it is exact
        # when the header is that line (a longer row later is a ParserError and goes the slow way).
        frame = pd.read_csv(
            io.StringIO(text), header=None, dtype=object, na_filter=False, skip_blank_lines=False, engine="c"
        )
        grid = frame.to_numpy(dtype=object)
    except pd.errors.EmptyDataError:
        return None
    except (pd.errors.ParserError, ValueError, csv.Error):
        grid = None
    if grid is not None:
        index = find_header(grid, header_row, required)
        if index == 0:
            header = [header_text(cell) for cell in grid[0]]
            cells = grid[1:]
            lengths = np.full(len(cells), cells.shape[1], dtype=np.int64)
            return RawSheet(file, "", header, 1, cells, lengths, codec)
    try:
        rows = _csv_rows_slow(text)
    except csv.Error as exc:
        raise InputDataError(f"{file}: cannot read as CSV ({one_line(exc)})") from None
    return sheet_from_rows(file, "", rows, header_row, required, codec)


def _read_parquet(file: str) -> RawSheet | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputDataError(f"{file}: cannot read as Parquet ({one_line(exc)})") from None
    if table.num_columns == 0:
        return None
    cells = np.empty((table.num_rows, table.num_columns), dtype=object)
    for index, column in enumerate(table.columns):
        cells[:, index] = column.to_pylist()
    header = [header_text(name) for name in table.column_names]
    return RawSheet(file, "", header, 1, cells, np.full(table.num_rows, table.num_columns, dtype=np.int64))


def read_sheets(
    file: str,
    sheets: Sequence[str] = (),
    xls_engine: str = "calamine",
    *,
    encoding: str = "auto",
    header_row: int | Literal["auto"] = "auto",
    required: Sequence[str] = (),
) -> list[RawSheet]:
    """Every sheet of ``file`` (only ``sheets`` when given) as raw cells; sheets without cells are left out,
    and a file without any (0 bytes, blank lines only, empty sheets only) is an InputDataError.

    ``required`` are the column names ``header_row: auto`` looks for (part, time, target).
    """
    suffix = Path(file).suffix.lower()
    if suffix not in FORMATS:
        expected = ", ".join(FORMATS)
        raise InputDataError(f"{file}: unsupported file type {suffix or '(none)'!r} (expected {expected})")
    if not Path(file).is_file():
        raise InputDataError(f"{file}: no such file")
    if Path(file).stat().st_size == 0:
        raise InputDataError(f"{file}: the file is empty (0 bytes): a failed export? export it again or remove it")
    if suffix in (".csv", ".parquet"):
        sheet = _read_csv(file, encoding, header_row, required) if suffix == ".csv" else _read_parquet(file)
        found = [sheet] if sheet is not None else []
    else:
        reader = _read_xlrd if suffix == ".xls" and xls_engine == "xlrd" else _read_calamine
        grids = reader(file, sheets)
        raw = (sheet_from_rows(file, name, grid, header_row, required) for name, grid in grids)
        found = [sheet for sheet in raw if sheet is not None]
    if not found:
        raise InputDataError(f"{file}: no cell in any sheet read: a failed export? export it again or remove it")
    return found
