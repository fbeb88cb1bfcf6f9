"""The ingest section of ``params.yaml``: how a user's export maps onto the canonical snapshot table.

Its own module beside :mod:`plancast.params_sections` as the section a user edits for their own data,
with the checks of the files it names (a source inside the project, a glob that stays inside it).
"""

from __future__ import annotations

import codecs
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from plancast.params_sections import KeyedError, Section, null_or_checked


class IngestParams(Section):
    """Maps a user's export onto the canonical snapshot table."""

    source: str = "data/raw/plan_sample.xls"
    pattern: str = "*"
    sheets: list[str] = []
    xls_engine: Literal["calamine", "xlrd"] = "calamine"
    part_column: str | None = "Part Number"
    part_name: str = "series"
    time_column: str = "CRET_TIME"
    time_format: str = "%Y%m%d%H%M"
    target_column: str = "D일 투입예정 수량(D일계획)"
    horizon_pattern: str = r"^D\+(\d+)일"
    max_horizon: Annotated[int, Field(strict=True, ge=0, le=60)] = 12
    parts: list[str] = []
    allow_negative: bool = False  # quantities are >= 0; a signed series (Seed A's wave) sets true
    on_bad_rows: Literal["error", "quarantine"] = "error"
    encoding: str = "auto"  # CSV text: auto = UTF-8 (BOM or not), else cp949; or a codec name
    thousands: Literal["", ",", " ", "'", "_"] = ","  # '1,200' -> 1200; '' = no separator
    header_row: Literal["auto"] | int = "auto"  # auto = the first row naming the part/time/target columns
    on_conflict: Literal["latest_file", "error"] = "latest_file"
    file_order: Literal["name", "last_snapshot"] = "name"
    # the plant's time zone, where a snapshot's day is taken: null = each stamp's own wall clock; an IANA
    # name (Asia/Seoul): stamps with a zone are converted to it first. Stamps without a zone are local.
    timezone: str | None = None
    # numeric part numbers padded with zeros to this many digits ('101' -> '0101' for 4); null = as
    # written, and two numbers that differ only by leading zeros stop ingest; distinct = two parts
    part_digits: Literal["distinct"] | int | None = None
    # the largest quantity magnitude a plan can hold; a cell beyond it is a bad row (1e308 is no plan)
    max_quantity: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 1e9

    @field_validator("source")
    @classmethod
    def _inside_project(cls, value: str) -> str:
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError("must be a path inside the project (relative, no '..')")
        return value

    @field_validator("pattern")
    @classmethod
    def _relative_glob(cls, value: str) -> str:
        reason = pattern_problem(value)
        if reason:
            raise ValueError(reason)
        return value

    @field_validator("header_row", mode="before")
    @classmethod
    def _auto_or_row(cls, value: object) -> object:
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        raise ValueError(f"must be auto or a row number >= 1, as the spreadsheet shows it (got {value!r})")

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str) -> str:
        if value == "auto":
            return value
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"must be auto or a codec Python knows, e.g. utf-8, cp949 (got {value!r})") from None
        return value

    @field_validator("part_digits", mode="before")
    @classmethod
    def _digits(cls, value: object) -> object:
        if value is None or value == "distinct":
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 40:
            return value
        raise ValueError("must be null (as written), distinct, or a number of digits 1 .. 40")

    @field_validator("max_quantity", mode="before")
    @classmethod
    def _not_a_boolean(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("must be a number > 0, e.g. 1e9")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return null_or_checked(value, _check_zone)

    @field_validator("horizon_pattern")
    @classmethod
    def _one_group(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"is not a valid regular expression ({exc})") from None
        if compiled.groups < 1:
            raise ValueError("needs one group that captures k, e.g. '^D\\+(\\d+)'")
        return value

    @model_validator(mode="after")
    def _distinct_columns(self) -> IngestParams:
        """One column cannot be two of part, time and target (a time read as quantities, or the reverse)."""
        named = [("part_column", self.part_column), ("time_column", self.time_column)]
        named.append(("target_column", self.target_column))
        for i, (key, column) in enumerate(named):
            for other, other_column in named[:i]:
                if column is not None and column == other_column:
                    message = f"names the same column as ingest.{other} ({column!r}); each must be its own column"
                    raise KeyedError(key, message, relative=True)
        return self


def pattern_problem(pattern: str) -> str | None:
    """Why ``ingest.pattern`` could reach outside ``ingest.source`` (absolute, ``..``), or None."""
    if not pattern:
        return "must not be empty (use '*' for every file)"
    posix = pattern.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        return f"must be a glob relative to ingest.source, not an absolute path (got {pattern!r})"
    if ".." in posix.split("/"):
        return f"must not contain '..': files are read only from inside ingest.source (got {pattern!r})"
    return None


def _check_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be an IANA time zone name such as Asia/Seoul or UTC, or null") from None
