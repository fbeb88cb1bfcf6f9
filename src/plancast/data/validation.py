"""Raw sheets -> validated rows: column mapping, every cell parsed, every bad row given its reason.

Each column is parsed vectorized (pandas / NumPy / Arrow) on a fast path that accepts only what the
scalar parsers below would accept with the same value; the few cells it refuses go through the scalar
parser, which is the one authority on what a cell means and words the reason for a bad one.

A row is judged in this order, and its first problem is its reason: blank part, (a part left out by
``ingest.parts`` is counted, not judged), time, target, h1 .. hK, cells beyond the header. Then, over
all files together, the calendar checks: a day far outside the data's main time range, and a day that
is not a working day of the ``daily`` calendar.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from plancast.data.calendar import Calendar
from plancast.data.reading import RawSheet, is_blank
from plancast.errors import InputDataError, ParamsError
from plancast.params import DailyParams, IngestParams

REJECT_KINDS = (
    "blank",
    "not_a_number",
    "negative",
    "not_finite",
    "bad_time",
    "extra_cells",
    "outside_time_range",
    "not_working_day",
)
REJECT_COLUMNS = ["source_file", "sheet", "source_row", "column", "reason"]

_NUMBER_TEXT = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_NUMBER = re.compile(_NUMBER_TEXT)
_NUMBER_ASCII = f"^{_NUMBER_TEXT}$"  # the same for Arrow's RE2, where \d is ASCII only
_NON_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)
_WHOLE_FLOAT_TEXT = re.compile(r"([+-]?\d+)\.0*")
_NUMERIC_PART = re.compile(r"(\d+)\.0*")  # '101.0', '101.' -> '101'; leading zeros are the part's own
_STEP_ASCII = r"^[+-]?\d{1,18}$"  # fits int64
_EXACT_FLOAT = 2.0**53  # whole floats below this are exact integers


def grouped_number(separator: str) -> str:
    """Regex of a number written with thousands ``separator`` in well-formed groups: 1,200 / 12,345.5."""
    return rf"^[+-]?\d{{1,3}}([{separator}]\d{{3}})+(\.\d*)?$"


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


# ------------------------------------------------------------------------------------- scalar parsers


def parse_quantity(value: Any, allow_negative: bool = False, thousands: str = "") -> float | tuple[str, str]:
    """A quantity cell as a float (>= 0 unless ``allow_negative``), or ``(kind, reason)`` saying why not.

    With ``thousands`` (e.g. ``","``) text in well-formed groups (``1,200``, ``12,345.5``) is read
    without the separators; ``1,2`` stays not a number.
    """
    if is_blank(value):
        return "blank", "blank quantity"
    if isinstance(value, str):
        text = value.strip()
        if _NON_FINITE.fullmatch(text):
            return "not_finite", f"quantity {text!r} is not finite"
        if thousands and re.fullmatch(grouped_number(thousands), text):
            text = text.replace(thousands, "")
        if not _NUMBER.fullmatch(text):
            return "not_a_number", f"{value.strip()!r} is not a number"
        number = float(text)
    elif isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return "not_a_number", f"{value!r} is not a number"
    else:
        try:
            number = float(value)
        except OverflowError:
            return "not_finite", f"quantity {value!r} is too large"
    if not math.isfinite(number):
        return "not_finite", f"quantity {number!r} is not finite"
    if number < 0 and not allow_negative:
        return "negative", f"negative quantity {number:g} (set ingest.allow_negative: true for a signed series)"
    return number + 0.0  # no -0.0 in the output


def parse_part(value: Any) -> str | tuple[str, str]:
    """A part cell as its id, or ``(kind, reason)``. Numeric-looking ids are one spelling:
    ``101``, ``' 101 '``, ``'101.0'`` and the number 101.0 are all ``'101'``."""
    if is_blank(value):
        return "blank", "blank part"
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    whole = _NUMERIC_PART.fullmatch(text)
    return whole.group(1) if whole else text


def parse_time(value: Any, time_format: str) -> datetime | int | tuple[str, str]:
    """A time cell as a datetime (or an int with ``time_format: step``), or ``(kind, reason)``.

    Numbers are read through their digits, so 202109131830, 202109131830.0 and '202109131830.0'
    all parse with ``%Y%m%d%H%M``; cells Excel stores as dates are taken as they are.
    """
    if is_blank(value):
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
        return _naive(datetime.strptime(text, time_format))
    except ValueError:
        whole = _WHOLE_FLOAT_TEXT.fullmatch(text)
        if whole:
            try:
                return _naive(datetime.strptime(whole.group(1), time_format))
            except ValueError:
                pass
    return "bad_time", f"cannot parse {text!r} with format {time_format}"


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def _parse_step(value: Any) -> int | tuple[str, str]:
    step = _read_step(value)
    if isinstance(step, int) and not -(2**63) <= step < 2**63:
        return "bad_time", f"step {step} is out of range"
    return step


def _read_step(value: Any) -> int | tuple[str, str]:
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


# -------------------------------------------------------------------------------- vectorized columns


@dataclass(frozen=True)
class Parsed:
    """One column parsed: ``values`` ``(n,)``, ``ok`` ``(n,)`` bool, and ``problems`` row -> (kind, reason)
    for every row that is not ok."""

    values: np.ndarray
    ok: np.ndarray
    problems: dict[int, tuple[str, str]]


def _cell_types(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(is_text, is_number)`` ``(n,)`` masks; cells that are neither (None, dates, bools) are left to the
    scalar parsers. A column of one kind is recognised in C, without a Python loop."""
    n = len(cells)
    kind = infer_dtype(cells, skipna=False) if n else "empty"
    if kind == "string":
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    if kind in ("integer", "floating", "mixed-integer-float"):
        return np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    types = [type(value) for value in cells]
    is_text = np.fromiter((issubclass(t, str) for t in types), dtype=bool, count=n)
    is_number = np.fromiter(
        (issubclass(t, int | float | np.integer | np.floating) and not issubclass(t, bool | np.bool_) for t in types),
        dtype=bool,
        count=n,
    )
    return is_text, is_number


def _arrow_text(cells: np.ndarray) -> pa.Array:
    return pc.utf8_trim_whitespace(pa.array(cells, type=pa.string()))


def blank_cells(cells: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: which cells are blank (None or whitespace text), as :func:`reading.is_blank` says."""
    is_text, is_number = _cell_types(cells)
    blank = np.zeros(len(cells), dtype=bool)
    if is_text.any():
        at = np.flatnonzero(is_text)
        blank[at] = pc.equal(pc.utf8_length(_arrow_text(cells[at])), 0).to_numpy(zero_copy_only=False)
    other = np.flatnonzero(~is_text & ~is_number)
    blank[other] = [is_blank(value) for value in cells[other]]
    return blank


def _finish(values: np.ndarray, ok: np.ndarray, cells: np.ndarray, parse: Any) -> Parsed:
    """Send every cell the fast path refused through the scalar ``parse``; it has the last word."""
    problems: dict[int, tuple[str, str]] = {}
    cache: dict[tuple[type, Any], Any] = {}
    for index in np.flatnonzero(~ok):
        value = cells[index]
        try:
            key = (type(value), value)
            result = cache[key] if key in cache else cache.setdefault(key, parse(value))
        except TypeError:  # unhashable
            result = parse(value)
        if isinstance(result, tuple):
            problems[int(index)] = result
        else:
            values[index] = result
            ok[index] = True
    return Parsed(values, ok, problems)


def parse_quantities(cells: np.ndarray, allow_negative: bool = False, thousands: str = "") -> Parsed:
    """A column of quantity cells ``(n,)`` as float64 (NaN where not ok); see :func:`parse_quantity`."""
    n = len(cells)
    values = np.full(n, np.nan)
    is_text, is_number = _cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        text = _arrow_text(cells[at])
        if thousands:
            grouped = pc.match_substring_regex(text, grouped_number(thousands))
            text = pc.if_else(grouped, pc.replace_substring(text, thousands, ""), text)
        number_like = pc.match_substring_regex(text, _NUMBER_ASCII)
        kept = pc.if_else(number_like, text, pa.scalar(None, pa.string()))
        with contextlib.suppress(pa.ArrowInvalid):  # e.g. hundreds of digits: the scalar parser takes them
            values[at] = pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False)
    if is_number.any():
        at = np.flatnonzero(is_number)
        with contextlib.suppress(OverflowError, TypeError, ValueError):  # a huge integer: the scalar parser
            values[at] = np.asarray(cells[at], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values) & (allow_negative | (values >= 0))
    values = values + 0.0  # no -0.0 in the output
    return _finish(values, ok, cells, lambda v: parse_quantity(v, allow_negative, thousands))


def parse_parts(cells: np.ndarray) -> tuple[Parsed, dict[str, str]]:
    """A column of part cells ``(n,)`` as ids (object str) and the numeric-looking spellings that were
    normalised, ``{as written: id}`` (e.g. ``{'101.0': '101'}``); see :func:`parse_part`."""
    n = len(cells)
    values = np.empty(n, dtype=object)
    ok = np.zeros(n, dtype=bool)
    renamed: dict[str, str] = {}
    is_text, _ = _cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        codes, uniques = pd.factorize(cells[at])
        names = [parse_part(value) for value in uniques]
        good = np.array([not isinstance(name, tuple) for name in names], dtype=bool)
        ids = np.empty(len(names), dtype=object)
        for index, name in enumerate(names):  # one per distinct spelling, not per row
            ids[index] = None if isinstance(name, tuple) else name
        values[at] = ids[codes]
        ok[at] = good[codes]
        for raw, name in zip(uniques, names, strict=True):
            if not isinstance(name, tuple) and raw != name and name.isdigit():
                renamed[raw] = name
    parsed = _finish(values, ok, cells, parse_part)
    for index in np.flatnonzero(~is_text & parsed.ok):
        raw, name = cells[index], parsed.values[index]
        if isinstance(raw, float | np.floating) and str(raw) != name:
            renamed[str(raw)] = name
    return parsed, renamed


def parse_times(cells: np.ndarray, time_format: str) -> Parsed:
    """A column of time cells ``(n,)`` as datetime64[us] (or int64 steps with ``time_format: step``)."""
    if time_format == "step":
        return _parse_steps(cells)
    n = len(cells)
    values = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    ok = np.zeros(n, dtype=bool)
    texts = np.full(n, None, dtype=object)
    is_text, is_number = _cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        texts[at] = _arrow_text(cells[at]).to_numpy(zero_copy_only=False)
    if is_number.any():
        at = np.flatnonzero(is_number)
        numbers, whole = _whole_numbers(cells[at])
        texts[at[whole]] = numbers[whole].astype(np.int64).astype(str).astype(object)
    has_text = np.flatnonzero(pd.notna(texts))
    if len(has_text):
        codes, uniques = pd.factorize(texts[has_text])
        try:
            stamps = pd.to_datetime(pd.Index(uniques, dtype=object), format=time_format, errors="coerce")
        except (ValueError, TypeError):
            stamps = None  # a format pandas does not take: the scalar parser reads every cell
        if stamps is not None and stamps.tz is None:
            # Accept only a text that is exactly how the format writes its time: then strptime reads
            # the same; anything looser ('2021-9-1', '….0') goes to the scalar parser.
            same = np.asarray(stamps.strftime(time_format), dtype=object) == np.asarray(uniques, dtype=object)
            good = np.asarray(stamps.notna()) & same
            parsed = np.asarray(stamps.as_unit("us").to_numpy(dtype="datetime64[us]"))
            values[has_text] = parsed[codes]
            ok[has_text] = good[codes]
    return _finish(values, ok, cells, lambda v: _as_us(parse_time(v, time_format)))


def _whole_numbers(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Numeric cells as float64 (NaN where unreadable) and which of them are whole numbers a float holds
    exactly (times and steps are read through their digits)."""
    try:
        numbers = np.asarray(cells, dtype=np.float64)
    except (OverflowError, TypeError, ValueError):
        numbers = np.full(len(cells), np.nan)
    return numbers, np.isfinite(numbers) & (np.abs(numbers) < _EXACT_FLOAT) & (numbers == np.floor(numbers))


def _as_us(value: Any) -> Any:
    return value if isinstance(value, tuple) else np.datetime64(value, "us")


def _parse_steps(cells: np.ndarray) -> Parsed:
    n = len(cells)
    values = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    is_text, is_number = _cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        text = _arrow_text(cells[at])
        good = pc.match_substring_regex(text, _STEP_ASCII)
        kept = pc.if_else(good, text, pa.scalar(None, pa.string()))
        try:
            numbers = pc.cast(kept, pa.int64())
            ok[at] = good.to_numpy(zero_copy_only=False)
            values[at] = numbers.fill_null(0).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:
            pass  # e.g. '+5' on an Arrow that refuses the sign: the scalar parser reads them
    if is_number.any():
        at = np.flatnonzero(is_number)
        numbers, whole = _whole_numbers(cells[at])
        values[at[whole]] = numbers[whole].astype(np.int64)
        ok[at[whole]] = True
    return _finish(values, ok, cells, lambda value: parse_time(value, "step"))


# ------------------------------------------------------------------------------------ column mapping


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


def _column_index(sheet: RawSheet, name: str, key: str) -> int:
    positions = [i for i, header in enumerate(sheet.header) if header == name]
    at = where(sheet.file, sheet.sheet)
    if not positions:
        found = ", ".join(repr(header) for header in sheet.header if header)
        raise InputDataError(f"{at}: no column {name!r} ({key}); columns found: {found}")
    if len(positions) > 1:
        numbers = " and ".join(str(i + 1) for i in positions[:2])
        raise InputDataError(f"{at}: column {name!r} ({key}) appears twice (columns {numbers})")
    return positions[0]


def missing_column(sheet: RawSheet, params: IngestParams) -> str | None:
    """The error for the first required column ``sheet`` lacks, or None when it has them all."""
    keys = ["ingest.part_column"] if params.part_column is not None else []
    for name, key in zip(required_columns(params), [*keys, "ingest.time_column", "ingest.target_column"], strict=True):
        if name not in sheet.header:
            try:
                _column_index(sheet, name, key)
            except InputDataError as exc:
                return str(exc)
    return None


def resolve_columns(sheet: RawSheet, params: IngestParams) -> Columns:
    """Positions of the part, time, target and horizon columns in ``sheet``'s header."""
    part = None
    if params.part_column is not None:
        part = _column_index(sheet, params.part_column, "ingest.part_column")
    time_at = _column_index(sheet, params.time_column, "ingest.time_column")
    target = _column_index(sheet, params.target_column, "ingest.target_column")
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


# ------------------------------------------------------------------------------------------ row checks


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
        parts, renamed = parse_parts(cells[:, columns.part])
    wanted = np.ones(n, dtype=bool)
    if params.parts:
        wanted = pd.Series(parts.values).isin(params.parts).to_numpy() | ~parts.ok
    judged = ~blank & wanted
    times = parse_times(cells[:, columns.time], params.time_format)
    quantity_at = [columns.target, *columns.horizons]
    quantities = [parse_quantities(cells[:, j], params.allow_negative, params.thousands) for j in quantity_at]
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


# ------------------------------------------------------------------------------------- calendar checks


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
    sheet_index: np.ndarray,
    source_row: np.ndarray,
    sheets: Sequence[RawSheet],
    params: IngestParams,
    daily: DailyParams,
) -> CalendarCheck:
    """Calendar checks over all rows ``(n,)``: far outside the main range, then not a working day.

    Row i comes from ``sheets[sheet_index[i]]``, row ``source_row[i]``. A step series
    (``time_format: step``) has no weekdays: only the gap check runs, in steps.
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
    if step:
        return CalendarCheck(ok, rejects, None)
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
    return CalendarCheck(ok, rejects, calendar)


def _year(day: int) -> int:
    return int(np.datetime64(day, "D").astype(object).year)
