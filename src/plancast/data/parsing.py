"""Cells -> values: quantities and part ids, one cell or a column; the column machinery times share.

Each column is parsed vectorized (pandas / NumPy / Arrow) on a fast path that accepts only what the
scalar parsers below would accept with the same value; the few cells it refuses go through the scalar
parser, which is the one authority on what a cell means and words the reason for a bad one.

Time cells are read by :mod:`plancast.data.times`, on the same machinery.
"""

from __future__ import annotations

import contextlib
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype

from plancast.data.reading import is_blank

_NUMBER_TEXT = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
NUMBER = re.compile(_NUMBER_TEXT)
_NUMBER_ASCII = f"^{_NUMBER_TEXT}$"  # the same for Arrow's RE2, where \d is ASCII only
_NON_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)
_NUMERIC_PART = re.compile(r"(\d+)\.0*")  # '101.0', '101.' -> '101'; leading zeros are the part's own
ASCII_DIGITS = re.compile(r"[0-9]+")  # a numeric part id, as leading_zero_clash compares them


def grouped_number(separator: str) -> str:
    """Regex of a number written with thousands ``separator`` in well-formed groups: 1,200 / 12,345.5."""
    return rf"^[+-]?\d{{1,3}}([{separator}]\d{{3}})+(\.\d*)?$"


# ------------------------------------------------------------------------------------- scalar parsers


def parse_quantity(
    value: Any, allow_negative: bool = False, thousands: str = "", max_quantity: float = math.inf
) -> float | tuple[str, str]:
    """A quantity cell as a float (>= 0 unless ``allow_negative``), or ``(kind, reason)`` saying why not.

    With ``thousands`` (e.g. ``","``) text in well-formed groups (``1,200``, ``12,345.5``) is read
    without the separators; ``1,2`` stays not a number. A magnitude above ``max_quantity``
    (``ingest.max_quantity``) is no plan: 1e308 would pass as finite and break the scaler later.
    """
    if is_blank(value):
        return "blank", "blank quantity"
    if isinstance(value, str):
        text = value.strip()
        if _NON_FINITE.fullmatch(text):
            return "not_finite", f"quantity {text!r} is not finite"
        if thousands and re.fullmatch(grouped_number(thousands), text):
            text = text.replace(thousands, "")
        if not NUMBER.fullmatch(text):
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
    if abs(number) > max_quantity:
        return "too_large", (
            f"quantity {number:g} is beyond ingest.max_quantity = {max_quantity:g} (no plan holds that many; "
            "raise the param if it is real)"
        )
    return number + 0.0  # no -0.0 in the output


def parse_part(value: Any, digits: int | str | None = None) -> str | tuple[str, str]:
    """A part cell as its id, or ``(kind, reason)``. Numeric-looking ids are one spelling:
    ``101``, ``' 101 '``, ``'101.0'`` and the number 101.0 are all ``'101'``; with ``digits``
    (``ingest.part_digits``, a number) a numeric id is padded with zeros to that many digits
    (``'0101'`` for 4), so a number that lost its zeros in Excel is the part it was."""
    if is_blank(value):
        return "blank", "blank part"
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        name = str(int(value))
    else:
        text = str(value).strip()
        whole = _NUMERIC_PART.fullmatch(text)
        name = whole.group(1) if whole else text
    if isinstance(digits, int) and ASCII_DIGITS.fullmatch(name):
        return name.zfill(digits)
    return name


# -------------------------------------------------------------------------------- vectorized columns


@dataclass(frozen=True)
class Parsed:
    """One column parsed: ``values`` ``(n,)``, ``ok`` ``(n,)`` bool, and ``problems`` row -> (kind, reason)
    for every row that is not ok."""

    values: np.ndarray
    ok: np.ndarray
    problems: dict[int, tuple[str, str]]


def cell_types(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def arrow_text(cells: np.ndarray) -> pa.Array:
    return pc.utf8_trim_whitespace(pa.array(cells, type=pa.string()))


def blank_cells(cells: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: which cells are blank (None or whitespace text), as :func:`reading.is_blank` says."""
    is_text, is_number = cell_types(cells)
    blank = np.zeros(len(cells), dtype=bool)
    if is_text.any():
        at = np.flatnonzero(is_text)
        blank[at] = pc.equal(pc.utf8_length(arrow_text(cells[at])), 0).to_numpy(zero_copy_only=False)
    other = np.flatnonzero(~is_text & ~is_number)
    blank[other] = [is_blank(value) for value in cells[other]]
    return blank


def parse_refused(values: np.ndarray, ok: np.ndarray, cells: np.ndarray, parse: Any) -> Parsed:
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


def cell_numbers(cells: np.ndarray, thousands: str = "") -> np.ndarray:
    """The number in each cell ``(n,)`` as float64, NaN where there is none: number cells as they are,
    text that reads as a number (``thousands`` separators removed where grouped right). A cell the
    vectorised path cannot take (hundreds of digits, a huge integer) stays NaN for the scalar parser."""
    values = np.full(len(cells), np.nan)
    is_text, is_number = cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        text = arrow_text(cells[at])
        if thousands:
            grouped = pc.match_substring_regex(text, grouped_number(thousands))
            text = pc.if_else(grouped, pc.replace_substring(text, thousands, ""), text)
        kept = pc.if_else(pc.match_substring_regex(text, _NUMBER_ASCII), text, pa.scalar(None, pa.string()))
        with contextlib.suppress(pa.ArrowInvalid):
            values[at] = pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False)
    if is_number.any():
        at = np.flatnonzero(is_number)
        with contextlib.suppress(OverflowError, TypeError, ValueError):
            values[at] = np.asarray(cells[at], dtype=np.float64)
    return values


def parse_quantities(
    cells: np.ndarray, allow_negative: bool = False, thousands: str = "", max_quantity: float = math.inf
) -> Parsed:
    """A column of quantity cells ``(n,)`` as float64 (NaN where not ok); see :func:`parse_quantity`."""
    values = cell_numbers(cells, thousands)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(values) & (allow_negative | (values >= 0)) & (np.abs(values) <= max_quantity)
    values = values + 0.0  # no -0.0 in the output
    return parse_refused(values, ok, cells, lambda v: parse_quantity(v, allow_negative, thousands, max_quantity))


def parse_parts(cells: np.ndarray, digits: int | str | None = None) -> tuple[Parsed, dict[str, str]]:
    """A column of part cells ``(n,)`` as ids (object str) and the numeric-looking spellings that were
    normalised, ``{as written: id}`` (e.g. ``{'101.0': '101'}``, ``{'101': '0101'}`` with ``digits``
    4); see :func:`parse_part`."""
    n = len(cells)
    values = np.empty(n, dtype=object)
    ok = np.zeros(n, dtype=bool)
    renamed: dict[str, str] = {}
    is_text, _ = cell_types(cells)
    if is_text.any():
        at = np.flatnonzero(is_text)
        codes, uniques = pd.factorize(cells[at])
        names = [parse_part(value, digits) for value in uniques]
        good = np.array([not isinstance(name, tuple) for name in names], dtype=bool)
        ids = np.empty(len(names), dtype=object)
        for index, name in enumerate(names):  # one per distinct spelling, not per row
            ids[index] = None if isinstance(name, tuple) else name
        values[at] = ids[codes]
        ok[at] = good[codes]
        for raw, name in zip(uniques, names, strict=True):
            if not isinstance(name, tuple) and raw != name and name.isdigit():
                renamed[raw] = name
    parsed = parse_refused(values, ok, cells, lambda value: parse_part(value, digits))
    for index in np.flatnonzero(~is_text & parsed.ok):
        raw, name = cells[index], parsed.values[index]
        if isinstance(raw, int | float | np.integer | np.floating) and not isinstance(raw, bool) and str(raw) != name:
            renamed[str(raw)] = name
    return parsed, renamed
