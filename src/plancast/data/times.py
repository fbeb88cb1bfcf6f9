"""Time cells -> snapshot times: the wall clock, time zones, Excel serials and steps, one cell or a column.

As in :mod:`plancast.data.parsing`, each column is parsed vectorized on a fast path that accepts only
what the scalar :func:`parse_time` would accept with the same value; it has the last word on the rest.

Times are read to the plant's wall clock, where a snapshot's day is taken (``ingest.timezone``):

- text in ``time_format`` (``202511031430``), or a whole number with those digits: as written. Where two
  numeric fields touch (``%Y%m%d%H%M``) each must have its full width, or ``20251103`` would read as
  2025-01-01 00:03; fields a separator bounds may be shorter (``2025-11-3 8:30`` with ``%Y-%m-%d %H:%M``,
  as Excel writes ``h:mm``);
- a date cell of a workbook (Excel keeps a serial number such as 45964.6 behind a date format; the
  readers give its wall clock, 2025-11-03 14:24), a date, a Parquet timestamp without a zone: as it is;
- a stamp with a zone (a Parquet timestamp with one, text read with ``%z`` such as
  ``2025-11-03T08:30:00+09:00``): its own wall clock (``timezone: null``), or converted to
  ``ingest.timezone`` first;
- a plain number (an Excel date kept without a date format: 45964.6): with ``time_format: excel`` a
  serial day of Excel's 1900 date system (2025-11-03 14:24, to the millisecond); else a bad time;
- anything else (a bool, a time of day without a date) is a bad time.
"""

from __future__ import annotations

import functools
import math
import re
import zoneinfo
from datetime import date, datetime, time, timedelta
from datetime import timezone as fixed_offset
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from plancast.data.parsing import NUMBER, Parsed, arrow_text, cell_numbers, cell_types, parse_refused
from plancast.data.reading import is_blank

_WHOLE_FLOAT_TEXT = re.compile(r"([+-]?\d+)\.0*")
_STEP_ASCII = r"^[+-]?\d{1,18}$"  # fits int64
_EXACT_FLOAT = 2.0**53  # whole floats below this are exact integers
# strptime's numeric fields and their full width
_FIELD_WIDTHS = {"Y": 4, "G": 4, "y": 2, "m": 2, "d": 2, "H": 2, "I": 2, "M": 2, "S": 2, "j": 3, "U": 2, "W": 2,
                 "V": 2, "f": 6, "u": 1, "w": 1}  # fmt: skip
_EXAMPLE_TIME = datetime(2025, 11, 3, 14, 30, tzinfo=fixed_offset(timedelta(hours=9)))  # shown in bad_time reasons
EXCEL_FORMAT = "excel"  # time_format for Excel serial day numbers
# Serial 0 of Excel's 1900 date system; its 1900-02-29 that never was puts serials below 61 a day off,
# so only 61 (1900-03-01) .. 2958465 (9999-12-31) are read.
EXCEL_EPOCH = np.datetime64("1899-12-30", "ms")
EXCEL_SERIALS = (61.0, 2958466.0)
_MS_PER_DAY = 86_400_000


# ------------------------------------------------------------------------------------- scalar parsers


def parse_time(value: Any, time_format: str, timezone: str | None = None) -> datetime | int | tuple[str, str]:
    """A time cell as a naive datetime on the plant's wall clock (or an int with ``time_format: step``),
    or ``(kind, reason)``; the module docstring lists what each form becomes.

    Numbers are read through their digits, so 202109131830, 202109131830.0 and '202109131830.0'
    all parse with ``%Y%m%d%H%M``; cells Excel stores as dates are taken as they are. A stamp with a
    zone keeps its own wall clock, or with ``timezone`` (``ingest.timezone``) is converted to it.
    """
    if is_blank(value):
        return "blank", "blank time"
    if time_format == "step":
        return _parse_step(value)
    if isinstance(value, datetime):
        return wall_clock(value, timezone)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, bool | time | timedelta):
        return "bad_time", f"{value!r} is not a time"
    if time_format == EXCEL_FORMAT:
        return _parse_excel(value)
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    whole = _WHOLE_FLOAT_TEXT.fullmatch(text)
    rule = _width_rule(time_format)
    for candidate in (text, whole.group(1)) if whole else (text,):
        if rule is not None and not rule.fullmatch(candidate):
            continue
        try:
            return wall_clock(datetime.strptime(candidate, time_format), timezone)
        except ValueError:
            pass
    expected = _expected(time_format)
    if isinstance(value, int | float | np.integer | np.floating) and EXCEL_SERIALS[0] <= value < EXCEL_SERIALS[1]:
        expected = f"{expected[:-1]}; an Excel date kept as a number? set ingest.time_format: excel)"
    return "bad_time", f"cannot parse {text!r} with format {time_format}{expected}"


def _parse_excel(value: Any) -> datetime | tuple[str, str]:
    """An Excel serial day number (a number, or text of one) as its wall-clock time, to the millisecond."""
    if isinstance(value, str):
        text = value.strip()
        serial = float(text) if NUMBER.fullmatch(text) else math.nan
    elif isinstance(value, int | float | np.integer | np.floating):
        text, serial = str(value + 0), float(value)  # + 0: -0.0 reads as 0.0, as a cached 0.0 would
    else:
        text, serial = repr(value), math.nan
    if not EXCEL_SERIALS[0] <= serial < EXCEL_SERIALS[1]:
        return "bad_time", (
            f"{text!r} is not an Excel date number (ingest.time_format: excel; expected e.g. 45964.6 for "
            "2025-11-03 14:24, 61 .. 2958465)"
        )
    return datetime(1899, 12, 30) + timedelta(milliseconds=round(serial * _MS_PER_DAY))


def wall_clock(value: datetime, timezone: str | None = None) -> datetime:
    """``value`` without its zone, on the wall clock where its day is taken: its own (``timezone`` None)
    or ``timezone``'s; a naive ``value`` is already local. Never UTC: 08:30 in Seoul is 23:30 UTC the
    day before, and the day is the plant's."""
    if value.tzinfo is None:
        return value
    if timezone is not None:
        value = value.astimezone(zoneinfo.ZoneInfo(timezone))
    return value.replace(tzinfo=None)


@functools.lru_cache(maxsize=32)
def _width_rule(time_format: str) -> re.Pattern[str] | None:
    """What a text must match before strptime reads it, where numeric fields touch; None if none do.

    strptime takes ``%m`` as one or two digits, so in ``%Y%m%d%H%M`` only the width says where a field
    ends: ``20251103`` would read as 2025-01-01 00:03. A numeric field next to another digit must be
    written at its full width (``\\d{2}`` for ``%m``); one a separator bounds keeps strptime's reading.
    """
    tokens = re.findall(r"%.|%$|[^%]+", time_format, flags=re.DOTALL)
    kinds = [token[1] if token.startswith("%") and len(token) == 2 and token != "%%" else "" for token in tokens]
    texts = ["%" if token == "%%" else token for token in tokens]

    def digit_at(index: int, end: bool) -> bool:
        if not 0 <= index < len(tokens):
            return False
        if kinds[index]:
            return kinds[index] in _FIELD_WIDTHS
        return texts[index][-1 if end else 0].isdigit()

    pattern, fixed = [], False
    for index, (kind, text) in enumerate(zip(kinds, texts, strict=True)):
        if kind in _FIELD_WIDTHS and (digit_at(index - 1, True) or digit_at(index + 1, False)):
            pattern.append(rf"\d{{{_FIELD_WIDTHS[kind]}}}")
            fixed = True
        elif kind:
            pattern.append(".*?")  # strptime judges the rest
        else:
            pattern.append("".join(r"\s+" if part.isspace() else re.escape(part) for part in re.split(r"(\s+)", text)))
    return re.compile("".join(pattern), re.IGNORECASE) if fixed else None


@functools.lru_cache(maxsize=32)
def _expected(time_format: str) -> str:
    """`` (expected e.g. 202511031430)``: how ``time_format`` writes a time, for a bad_time reason."""
    try:
        return f" (expected e.g. {_EXAMPLE_TIME.strftime(time_format)})"
    except ValueError:
        return ""


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


def parse_times(cells: np.ndarray, time_format: str, timezone: str | None = None) -> Parsed:
    """A column of time cells ``(n,)`` as datetime64[us] (or int64 steps with ``time_format: step``).

    Each distinct text is read once: by pandas where it is exactly how ``time_format`` writes a time,
    else by :func:`parse_time` (a stamp with a zone, a field a separator bounds written short)."""
    if time_format == "step":
        return _parse_steps(cells)
    if time_format == EXCEL_FORMAT:
        return _parse_excel_serials(cells, timezone)
    n = len(cells)
    values = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    ok = np.zeros(n, dtype=bool)
    texts = np.full(n, None, dtype=object)
    is_text, is_number = cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        texts[at] = arrow_text(cells[at]).to_numpy(zero_copy_only=False)
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
        parsed = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[us]")
        good = np.zeros(len(uniques), dtype=bool)
        if stamps is not None and stamps.tz is None:
            # Accept only a text that is exactly how the format writes its time: then strptime reads
            # the same; anything looser ('2021-9-1', '….0') or with a zone goes to the scalar parser.
            same = np.asarray(stamps.strftime(time_format), dtype=object) == np.asarray(uniques, dtype=object)
            good = np.asarray(stamps.notna()) & same
            parsed = stamps.as_unit("us").to_numpy(dtype="datetime64[us]").copy()
        for index in np.flatnonzero(~good):  # one scalar parse per distinct text, not per row
            result = parse_time(uniques[index], time_format, timezone)
            if not isinstance(result, tuple):
                parsed[index], good[index] = np.datetime64(result, "us"), True
        values[has_text] = parsed[codes]
        ok[has_text] = good[codes]
    return parse_refused(values, ok, cells, lambda v: _as_us(parse_time(v, time_format, timezone)))


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


def _parse_excel_serials(cells: np.ndarray, timezone: str | None) -> Parsed:
    """A column of Excel serial day numbers ``(n,)`` as datetime64[us]; see :func:`_parse_excel`."""
    serials = cell_numbers(cells)
    with np.errstate(invalid="ignore"):
        ok = (serials >= EXCEL_SERIALS[0]) & (serials < EXCEL_SERIALS[1])
    milliseconds = np.round(np.where(ok, serials, 0.0) * _MS_PER_DAY).astype(np.int64)
    values = (EXCEL_EPOCH + milliseconds.astype("timedelta64[ms]")).astype("datetime64[us]")
    values[~ok] = np.datetime64("NaT")
    return parse_refused(values, ok, cells, lambda v: _as_us(parse_time(v, EXCEL_FORMAT, timezone)))


def _parse_steps(cells: np.ndarray) -> Parsed:
    n = len(cells)
    values = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    is_text, is_number = cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        text = arrow_text(cells[at])
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
    return parse_refused(values, ok, cells, lambda value: parse_time(value, "step"))
