"""Tests of validation: every cell parsed (fast path = scalar parser), column mapping, bad rows and the
calendar checks, each with its one-line reason."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xlwt
from export_files import HEADER, NEGATIVE_HINT, ROWS, TIME, ingest_params, write_export
from hypothesis import given, settings
from hypothesis import strategies as st

from plancast.data.calendar import Calendar
from plancast.data.daily import last_snapshot_per_day, lay_on_calendar
from plancast.data.ingest import ingest
from plancast.data.parsing import parse_part, parse_parts, parse_quantities, parse_quantity
from plancast.data.times import parse_time, parse_times
from plancast.errors import InputDataError
from plancast.params_sections import DailyParams

FMT = "%Y%m%d%H%M"
EXPECTED = " (expected e.g. 202511031430)"  # how FMT writes a time, in every bad_time reason


# ------------------------------------------------------------------------------------------ scalar parsers


def test_parse_quantity_accepts_numbers_and_says_why_not() -> None:
    assert parse_quantity(42) == 42.0
    assert parse_quantity(" 7.5 ") == 7.5
    assert parse_quantity("1e2") == 100.0
    assert str(parse_quantity(-0.0)) == "0.0"
    assert parse_quantity("") == ("blank", "blank quantity")
    assert parse_quantity(None)[0] == "blank"
    assert parse_quantity("abc") == ("not_a_number", "'abc' is not a number")
    assert parse_quantity(True)[0] == "not_a_number"
    assert parse_quantity(datetime(2021, 1, 1))[0] == "not_a_number"
    assert parse_quantity(-3) == ("negative", "negative quantity -3" + NEGATIVE_HINT)
    assert parse_quantity(float("nan"))[0] == "not_finite"
    assert parse_quantity("inf") == ("not_finite", "quantity 'inf' is not finite")
    assert parse_quantity(-2.5, allow_negative=True) == -2.5


def test_thousands_separators_in_well_formed_groups_only() -> None:
    assert parse_quantity("1,200", thousands=",") == 1200.0
    assert parse_quantity(" 12,345.5 ", thousands=",") == 12345.5
    assert parse_quantity("1,234,567", thousands=",") == 1234567.0
    assert parse_quantity("1,2", thousands=",") == ("not_a_number", "'1,2' is not a number")
    assert parse_quantity("1,2000", thousands=",")[0] == "not_a_number"
    assert parse_quantity("1,200", thousands="") == ("not_a_number", "'1,200' is not a number")
    assert parse_quantity("1 200", thousands=" ") == 1200.0
    cells = np.array(["1,200", "999", "12,345.5", "1,2", "-1,000", 1500.0], dtype=object)
    parsed = parse_quantities(cells, allow_negative=False, thousands=",")
    assert parsed.ok.tolist() == [True, True, True, False, False, True]
    assert parsed.values[parsed.ok].tolist() == [1200.0, 999.0, 12345.5, 1500.0]
    assert parsed.problems[4] == ("negative", "negative quantity -1000" + NEGATIVE_HINT)


def test_parse_time_reads_ints_floats_strings_and_dates() -> None:
    expected = datetime(2021, 9, 13, 18, 30)
    for value in (202109131830, 202109131830.0, "202109131830", " 202109131830.0 ", np.int64(202109131830)):
        assert parse_time(value, FMT) == expected, value
    assert parse_time(expected, FMT) == expected  # a cell Excel stores as a date
    assert parse_time("2021-13-45", FMT) == ("bad_time", "cannot parse '2021-13-45' with format %Y%m%d%H%M" + EXPECTED)
    assert parse_time(202113451830.0, FMT) == (
        "bad_time",
        "cannot parse '202113451830' with format %Y%m%d%H%M" + EXPECTED,
    )
    assert parse_time("", FMT) == ("blank", "blank time")
    assert parse_time(True, FMT)[0] == "bad_time"
    assert parse_time(3, "step") == 3
    assert parse_time("12.0", "step") == 12
    assert parse_time("1.5", "step") == ("bad_time", "'1.5' is not an integer step")


def test_numeric_looking_part_ids_are_one_spelling() -> None:
    assert parse_part(" Part 94 ") == "Part 94"
    assert parse_part(94.0) == "94"
    assert parse_part("101.0") == "101"
    assert parse_part(" 101 ") == "101"
    assert parse_part("0101") == "0101"  # leading zeros belong to the id
    assert parse_part("101.5") == "101.5"
    assert parse_part("  ") == ("blank", "blank part")
    parsed, renamed = parse_parts(np.array(["101", "101.0", " 101 ", 101.0, 101, "Part 9", ""], dtype=object))
    assert parsed.values[:6].tolist() == ["101"] * 5 + ["Part 9"]
    assert parsed.ok.tolist() == [True] * 6 + [False]
    assert renamed == {"101.0": "101", " 101 ": "101"}


# ------------------------------------------------------------------------------ fast path = scalar parser

CELLS = st.one_of(
    st.integers(-5, 3000),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(["", " ", "n/a", "1,200", "1,2", "12,345.5", " 7 ", "1e3", "-0", "inf", "nan", ".5", "1.",
                     "202109131830", "202109131830.0", "20210913183", "2021-09-13", "+5", "١٢", "0x10",
                     "20210913", "45964.6", "1e308", 45964.6, 1e308, 20210913]),
    st.booleans(),
    st.none(),
    st.just(datetime(2021, 9, 13, 18, 30)),
    st.just(datetime(2021, 9, 13, 8, 30, tzinfo=timezone(timedelta(hours=9)))),
    st.integers(202101010000, 202112312359),
    st.floats(40000, 50000),
    st.text(max_size=6),
)  # fmt: skip


def _same(fast, scalar) -> bool:
    if isinstance(scalar, tuple):
        return fast == scalar
    return fast == scalar or (isinstance(scalar, float) and np.isnan(scalar) and np.isnan(fast))


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(CELLS, max_size=12),
    thousands=st.sampled_from(["", ","]),
    signed=st.booleans(),
    zone=st.sampled_from([None, "Asia/Seoul", "UTC"]),
    bound=st.sampled_from([math.inf, 1e9, 500.0]),
)
def test_vectorized_parsers_agree_with_the_scalar_ones(cells, thousands, signed, zone, bound) -> None:
    column = np.empty(len(cells), dtype=object)
    column[:] = cells
    quantities = parse_quantities(column, signed, thousands, bound)
    times = parse_times(column, FMT, zone)
    serials = parse_times(column, "excel", zone)
    steps = parse_times(column, "step")
    for i, value in enumerate(cells):
        q = parse_quantity(value, signed, thousands, bound)
        assert (quantities.problems[i] if not quantities.ok[i] else float(quantities.values[i])) == q, value
        for fmt, parsed in ((FMT, times), ("excel", serials)):
            t = parse_time(value, fmt, zone)
            got = parsed.problems[i] if not parsed.ok[i] else parsed.values[i].astype(datetime)
            assert got == t, (fmt, value)
        s = parse_time(value, "step")
        assert (steps.problems[i] if not steps.ok[i] else int(steps.values[i])) == s, value


# ---------------------------------------------------------------------------------------------- times


def test_a_date_without_its_time_is_a_bad_row_not_another_time(tmp_path, monkeypatch) -> None:
    """Issue 22 case 1: strptime reads '20251103' with %Y%m%d%H%M as 2025-01-01 00:03 (one-digit month,
    day, hour and minute), and a whole export collapsed into two days. Where numeric fields touch, each
    must be written at its full width; a separator keeps the short forms (Excel's h:mm writes 8:30)."""
    reason = "cannot parse '20251103' with format %Y%m%d%H%M" + EXPECTED
    assert parse_time("20251103", FMT) == ("bad_time", reason)
    assert parse_time(20251103, FMT) == ("bad_time", reason)
    assert parse_time("20251103.0", FMT) == ("bad_time", "cannot parse '20251103.0' with format %Y%m%d%H%M" + EXPECTED)
    assert parse_time("2025110314", FMT)[0] == "bad_time"
    assert parse_time("202511031430", FMT) == datetime(2025, 11, 3, 14, 30)
    assert parse_time("2025-11-3 8:30", "%Y-%m-%d %H:%M") == datetime(2025, 11, 3, 8, 30)
    assert parse_time("2025113 8:30", "%Y%m%d %H:%M") == (
        "bad_time", "cannot parse '2025113 8:30' with format %Y%m%d %H:%M (expected e.g. 20251103 14:30)"
    )  # fmt: skip
    monkeypatch.chdir(tmp_path)
    write_export(Path("in.xlsx"), HEADER, [ROWS[0], [*ROWS[1][:6], "20210913"], [*ROWS[2][:6], 20210913]])
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.xlsx"))
    assert str(caught.value) == (
        "in.xlsx, sheet Sheet1, row 3, column 'CRET_TIME': cannot parse '20210913' with format %Y%m%d%H%M"
        " (expected e.g. 202511031430)"
    )
    result = ingest(ingest_params("in.xlsx", on_bad_rows="quarantine"))
    assert result.rejects[["source_row", "reason"]].values.tolist() == [
        [3, "cannot parse '20210913' with format %Y%m%d%H%M" + EXPECTED],
        [4, "cannot parse '20210913' with format %Y%m%d%H%M" + EXPECTED],
    ]
    assert result.snapshots["snapshot_time"].tolist() == [pd.Timestamp("2021-09-13 18:30")]


def test_a_stamp_with_a_zone_keeps_the_plants_day(tmp_path, monkeypatch) -> None:
    """Issue 22 case 2: Parquet stamps in Asia/Seoul were converted to UTC before the day was taken, so
    Monday 08:30 became Sunday 23:30 (a bad row) and Tuesday's morning snapshot became Monday's last."""
    monkeypatch.chdir(tmp_path)
    seoul = [pd.Timestamp(t, tz="Asia/Seoul") for t in ("2025-11-03 08:30", "2025-11-03 18:30", "2025-11-04 07:00")]
    rows = [["P100", "Part 1", 10 + i, 1, 2, "EA", stamp] for i, stamp in enumerate(seoul)]
    write_export(Path("seoul.parquet"), HEADER, rows)
    local = [pd.Timestamp("2025-11-03 08:30"), pd.Timestamp("2025-11-03 18:30"), pd.Timestamp("2025-11-04 07:00")]
    result = ingest(ingest_params("seoul.parquet"))  # timezone: null, each stamp's own wall clock
    assert result.snapshots["snapshot_time"].tolist() == local and result.rejects.empty
    assert ingest(ingest_params("seoul.parquet", timezone="Asia/Seoul")).snapshots["snapshot_time"].tolist() == local
    daily = last_snapshot_per_day(result.snapshots)
    assert daily[["day", "target"]].values.tolist() == [
        [pd.Timestamp("2025-11-03"), 11.0],
        [pd.Timestamp("2025-11-04"), 12.0],
    ]
    # The same instants stored in UTC: their own wall clock is UTC's; ingest.timezone names the plant's.
    write_export(Path("utc.parquet"), HEADER, [[*row[:6], row[6].tz_convert("UTC")] for row in rows])
    assert ingest(ingest_params("utc.parquet", timezone="Asia/Seoul")).snapshots["snapshot_time"].tolist() == local
    with pytest.raises(
        InputDataError, match=r"^utc.parquet, row 2, column 'CRET_TIME': snapshot day 2025-11-02 is a Sunday"
    ):
        ingest(ingest_params("utc.parquet"))


def _xls_with_date_cells(path: Path, stamps: list[Any], date_format: str | None) -> None:
    """An .xls whose time column holds datetimes the way Excel keeps them: serial day numbers, shown as
    dates by a date format (or, without one, as the plain numbers an export without styles writes)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    style = xlwt.easyxf(num_format_str=date_format) if date_format else xlwt.Style.default_style
    for j, name in enumerate(HEADER):
        sheet.write(0, j, name)
    for i, stamp in enumerate(stamps, start=1):
        for j, value in enumerate(["P100", "Part 1", 10 + i, 1, 2, "EA"]):
            sheet.write(i, j, value)
        sheet.write(i, 6, stamp, style)
    book.save(str(path))


MONDAY_MORNING = datetime(2025, 11, 3, 8, 30)  # 45964.3541666... in Excel's 1900 date system
TIME_FORMS = {
    "format text": ("in.csv", ["202511030830"], {}),
    "format digits as a number": ("in.xlsx", [202511030830], {}),
    "date cell (xls, calamine)": ("xls:yyyy-mm-dd hh:mm", [MONDAY_MORNING], {}),
    "date cell (xls, xlrd)": ("xls:yyyy-mm-dd hh:mm", [MONDAY_MORNING], {"xls_engine": "xlrd"}),
    "date cell (xlsx)": ("in.xlsx", [MONDAY_MORNING], {"timezone": "Asia/Seoul"}),
    "serial number, time_format excel": ("xls:", [MONDAY_MORNING], {"time_format": "excel"}),
    "serial number text, time_format excel": ("in.csv", ["45964.3541666667"], {"time_format": "excel"}),
    "Parquet timestamp without a zone": ("in.parquet", [pd.Timestamp(MONDAY_MORNING)], {"timezone": "Asia/Seoul"}),
    "ISO text with its offset": ("in.csv", ["2025-11-03T08:30:00+09:00"], {"time_format": "%Y-%m-%dT%H:%M:%S%z"}),
    "ISO text in UTC, timezone Asia/Seoul": (
        "in.csv", ["2025-11-02T23:30:00Z"], {"time_format": "%Y-%m-%dT%H:%M:%S%z", "timezone": "Asia/Seoul"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("form", list(TIME_FORMS))
def test_each_time_form_is_read_to_the_plants_day(tmp_path, monkeypatch, form: str) -> None:
    """Issue 22 case 2: every form a time comes in lands on Monday 2025-11-03 08:30, the plant's wall clock."""
    monkeypatch.chdir(tmp_path)
    name, stamps, params = TIME_FORMS[form]
    if name.startswith("xls:"):
        name = "in.xls"
        _xls_with_date_cells(Path(name), stamps, TIME_FORMS[form][0][4:] or None)
    else:
        write_export(Path(name), HEADER, [["P100", "Part 1", 11, 1, 2, "EA", stamp] for stamp in stamps])
    result = ingest(ingest_params(name, **params))
    assert result.snapshots["snapshot_time"].tolist() == [pd.Timestamp(MONDAY_MORNING)]


def test_a_plain_serial_number_names_the_format_that_reads_it(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _xls_with_date_cells(Path("in.xls"), [MONDAY_MORNING], None)  # no date format: the cell is 45964.354...
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.xls"))
    assert str(caught.value) == (
        "in.xls, sheet Sheet1, row 2, column 'CRET_TIME': cannot parse '45964.354166666664' with format "
        "%Y%m%d%H%M (expected e.g. 202511031430; an Excel date kept as a number? set ingest.time_format: excel)"
    )
    assert parse_time(12.5, "excel") == (
        "bad_time",
        "'12.5' is not an Excel date number (ingest.time_format: excel; expected e.g. 45964.6 for 2025-11-03 14:24, "
        "61 .. 2958465)",
    )
    assert parse_time(45964.6, "excel") == datetime(2025, 11, 3, 14, 24)


# ------------------------------------------------------------------------------------------ column mapping


def test_missing_column_is_named_with_the_columns_found(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("in.xls"), [h for h in HEADER if h != TIME], [r[:-1] for r in ROWS])
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.xls"))
    assert str(caught.value) == (
        "in.xls, sheet Sheet1: no column 'CRET_TIME' (ingest.time_column) in a sheet of 3 data rows with "
        "'Part Number' and 'D일 투입예정 수량(D일계획)'; columns found: 'Plant', "
        "'Part Number', 'D일 투입예정 수량(D일계획)', 'D+1일 투입예정 수량(Total)', "
        "'D+2일 투입예정 수량(Total)', 'Unit'"
    )


def test_horizon_columns_duplicate_gap_or_absent(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("dup.csv"), [*HEADER, "D+2일 계획"], [[*r, 1] for r in ROWS])
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("dup.csv"))
    assert str(caught.value) == (
        "dup.csv: columns 'D+2일 투입예정 수량(Total)' and 'D+2일 계획' are both horizon 2 (ingest.horizon_pattern)"
    )
    write_export(Path("gap.csv"), [h for h in HEADER if not h.startswith("D+1")], [r[:3] + r[4:] for r in ROWS])
    with pytest.raises(InputDataError, match=r"^gap.csv: no column for horizon 1 although horizons up to 2"):
        ingest(ingest_params("gap.csv"))
    write_export(Path("none.csv"), [h for h in HEADER if not h.startswith("D+")], [r[:3] + r[5:] for r in ROWS])
    with pytest.raises(InputDataError, match=r"^none.csv: no column matches ingest.horizon_pattern"):
        ingest(ingest_params("none.csv"))
    assert ingest(ingest_params("none.csv", max_horizon=0)).metrics["horizons"] == 0


def test_max_horizon_keeps_the_first_k(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("in.csv"), HEADER, ROWS)
    result = ingest(ingest_params("in.csv", max_horizon=1))
    assert [c for c in result.snapshots.columns if c.startswith("h")] == ["h1"]


# ---------------------------------------------------------------------------------------------- bad rows


def test_bad_cell_names_file_sheet_row_and_column(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [r.copy() for r in ROWS] + [r.copy() for r in ROWS]
    for i, row in enumerate(rows[3:]):
        row[-1] = 202109140000 + i
    rows[4][-1] = "2021-13-45"
    rows[5][3] = -1
    write_export(Path("in.xls"), HEADER, rows)
    for engine in ("calamine", "xlrd"):
        with pytest.raises(InputDataError) as caught:
            ingest(ingest_params("in.xls", xls_engine=engine))
        assert str(caught.value) == (
            "in.xls, sheet Sheet1, row 6, column 'CRET_TIME': cannot parse '2021-13-45' with format %Y%m%d%H%M"
            " (expected e.g. 202511031430)"
        )
    result = ingest(ingest_params("in.xls", on_bad_rows="quarantine"))
    assert result.rejects.values.tolist() == [
        ["in.xls", "Sheet1", 6, "CRET_TIME", "cannot parse '2021-13-45' with format %Y%m%d%H%M" + EXPECTED],
        ["in.xls", "Sheet1", 7, "D+1일 투입예정 수량(Total)", "negative quantity -1" + NEGATIVE_HINT],
    ]
    assert result.metrics["rows_rejected"] == 2 and result.metrics["rows_kept"] == 4
    assert result.sources["rejects_by_reason"]["bad_time"] == 1
    assert result.sources["rejects_by_reason"]["negative"] == 1


def test_a_quantity_no_plan_can_hold_is_a_bad_row(tmp_path, monkeypatch) -> None:
    """Issue 22 case 6: 1e308 passed ingest as finite, then the scaler's JSON held null and train died."""
    bound = " is beyond ingest.max_quantity = 1e+09 (no plan holds that many; raise the param if it is real)"
    monkeypatch.chdir(tmp_path)
    rows = [ROWS[0], [*ROWS[1][:2], 1e308, *ROWS[1][3:]], [*ROWS[2][:3], "2,000,000,000", *ROWS[2][4:]]]
    write_export(Path("in.xlsx"), HEADER, rows)
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.xlsx"))
    assert str(caught.value) == (
        "in.xlsx, sheet Sheet1, row 3, column 'D일 투입예정 수량(D일계획)': quantity 1e+308" + bound
    )
    result = ingest(ingest_params("in.xlsx", on_bad_rows="quarantine"))
    assert result.rejects[["source_row", "column", "reason"]].values.tolist() == [
        [3, "D일 투입예정 수량(D일계획)", "quantity 1e+308" + bound],
        [4, "D+1일 투입예정 수량(Total)", "quantity 2e+09" + bound],
    ]
    assert result.sources["rejects_by_reason"]["too_large"] == 2 and result.metrics["rows_kept"] == 1
    assert ingest(ingest_params("in.xlsx", max_quantity=1e308)).metrics["rows_kept"] == 3
    assert parse_quantity(1e308, max_quantity=1e9) == ("too_large", "quantity 1e+308" + bound)
    assert parse_quantity("-2e9", allow_negative=True, max_quantity=1e9) == ("too_large", "quantity -2e+09" + bound)
    assert parse_quantity(1e9, max_quantity=1e9) == 1e9
    assert parse_quantity(-4, max_quantity=1) == ("negative", "negative quantity -4" + NEGATIVE_HINT)  # first reason


def test_values_of_a_thousand_and_more_are_kept_not_quarantined(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [[*ROWS[0][:2], "1,200", "12,345.5", "999", *ROWS[0][5:]], ROWS[1]]
    write_export(Path("in.csv"), HEADER, rows)
    result = ingest(ingest_params("in.csv", on_bad_rows="quarantine"))
    assert result.rejects.empty
    assert result.snapshots.loc[result.snapshots["part"] == "Part 95", ["target", "h1", "h2"]].values.tolist() == [
        [1200.0, 12345.5, 999.0]
    ]
    with pytest.raises(InputDataError, match=r"column 'D일 투입예정 수량\(D일계획\)': '1,200' is not a number$"):
        ingest(ingest_params("in.csv", thousands=""))


def test_part_101_and_101_0_are_one_part_and_the_mapping_is_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [[r[0], part, *r[2:]] for r, part in zip(ROWS, ["101", "101.0", " 101 "], strict=True)]
    rows[1][-1] = 202109131200
    write_export(Path("in.csv"), HEADER, rows)
    result = ingest(ingest_params("in.csv"))
    assert result.snapshots["part"].tolist() == ["101"] * 3
    assert result.sources["part_ids_normalised"] == {"101.0": "101", " 101 ": "101"}
    assert result.metrics["parts"] == 1


def test_extra_cells_beyond_the_header_in_csv(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [",".join(HEADER)] + [",".join(str(v) for v in r) for r in ROWS]
    lines[2] += ",surprise"
    Path("in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"^in.csv, row 3: the row has 8 cells but the header has 7$"):
        ingest(ingest_params("in.csv"))


def test_all_rows_rejected_is_an_error(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("in.csv"), HEADER, [[*r[:2], "x", *r[3:]] for r in ROWS])
    with pytest.raises(InputDataError, match=r"^in.csv: no valid snapshots \(3 data rows, 3 rejected\); first"):
        ingest(ingest_params("in.csv", on_bad_rows="quarantine"))


def test_single_series_without_horizons(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("seed_a.csv"), ["x", "time_cos"], [[0, 20.0], [1, 19.5], [2, 18.25]])
    params = ingest_params(
        "seed_a.csv", part_column=None, part_name="wave", time_column="x", time_format="step",
        target_column="time_cos",
    )  # fmt: skip
    table = ingest(params).snapshots
    assert table.columns.tolist() == ["part", "snapshot_time", "target", "source_file", "sheet", "source_row"]
    assert table["part"].tolist() == ["wave"] * 3
    assert table["snapshot_time"].dtype == np.int64
    assert table["target"].tolist() == [20.0, 19.5, 18.25]


# --------------------------------------------------------------------------------------- calendar checks


def _dated(stamps: list[int]) -> list[list]:
    return [["P100", "Part 1", 10 + i, 1, 2, "EA", stamp] for i, stamp in enumerate(stamps)]


def test_a_weekend_or_holiday_snapshot_is_a_bad_row(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    # Fri 2021-09-17, Sat 18, Mon 20, Tue 21 (Chuseok, Korean public holidays 20-22 September)
    write_export(Path("in.csv"), HEADER, _dated([202109170600, 202109181200, 202109200600, 202109210600]))
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.csv"))
    assert str(caught.value) == (
        "in.csv, row 3, column 'CRET_TIME': snapshot day 2021-09-18 is a Saturday, not a working day of "
        "daily.calendar: business (change daily.calendar, daily.holidays or daily.country)"
    )
    every_day = ingest(ingest_params("in.csv"), DailyParams(calendar="every_day"))
    assert every_day.metrics["rows_kept"] == 4
    holiday = ingest(ingest_params("in.csv", on_bad_rows="quarantine"), DailyParams(holidays=[date(2021, 9, 21)]))
    assert holiday.rejects["source_row"].tolist() == [3, 5]
    assert "2021-09-21 (Tuesday) is a holiday (daily.holidays)" in holiday.rejects["reason"].iloc[1]
    assert holiday.sources["rejects_by_reason"]["not_working_day"] == 2
    pytest.importorskip("holidays")
    korea = ingest(ingest_params("in.csv", on_bad_rows="quarantine"), DailyParams(country="KR"))
    assert korea.rejects["source_row"].tolist() == [3, 4, 5]
    assert "2021-09-21 (Tuesday) is a holiday (daily.country KR: " in korea.rejects["reason"].iloc[2]


def test_a_typo_far_outside_the_data_range_is_a_bad_row(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    stamps = [202109130600, 202109140600, 209906220617, 202109150600]  # 2099-06-22 is a Monday
    write_export(Path("in.csv"), HEADER, _dated(stamps))
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.csv"))
    assert str(caught.value) == (
        "in.csv, row 4, column 'CRET_TIME': snapshot day 2099-06-22 is far outside the data's main range "
        "2021-09-13 .. 2021-09-15 (more than daily.max_gap_days = 60 days apart)"
    )
    kept = ingest(ingest_params("in.csv", on_bad_rows="quarantine"))
    assert kept.sources["rejects_by_reason"]["outside_time_range"] == 1 and kept.metrics["rows_kept"] == 3
    wide = ingest(ingest_params("in.csv"), DailyParams(max_gap_days=40000))
    assert wide.metrics["rows_kept"] == 4


def test_step_series_checks_only_the_gap_in_steps(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("wave.csv"), ["x", "y"], [[5, 1.0], [6, 2.0], [7, 3.0], [900, 4.0]])
    params = ingest_params(
        "wave.csv", part_column=None, time_column="x", time_format="step", target_column="y", on_bad_rows="quarantine"
    )
    result = ingest(params, DailyParams(max_gap_days=10))
    assert result.snapshots["snapshot_time"].tolist() == [5, 6, 7]  # 5 and 6 would be weekend days, were they days
    assert result.rejects["reason"].tolist() == [
        "snapshot step 900 is far outside the data's main range 5 .. 7 (more than daily.max_gap_days = 10 steps apart)"
    ]


def _every_working_day(parts: list[str], first: str, last: str) -> list[list]:
    days = Calendar().working_days(np.datetime64(first), np.datetime64(last))
    stamp = [int(str(day).replace("-", "") + "0600") for day in days]
    return [["P100", part, 10, 1, 2, "EA", s] for s in stamp for part in parts]


def test_a_stray_day_is_a_bad_row_and_a_shutdown_is_not(tmp_path, monkeypatch) -> None:
    """Issue 22 case 5: one row dated 39 days after the data ends (inside daily.max_gap_days) laid every
    part's calendar up to it: 804 missing days, then the forecast died on empty latest windows."""
    monkeypatch.chdir(tmp_path)
    parts = ["Part 1", "Part 2", "Part 3", "Part 4"]
    data = _every_working_day(parts, "2025-10-06", "2025-10-17")  # rows 2 .. 41
    stray = ["P100", "Part 1", 10, 1, 2, "EA", 202511250600]  # Tuesday, 39 days after Friday 2025-10-17
    write_export(Path("in.csv"), HEADER, [*data, stray])
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.csv"))
    assert str(caught.value) == (
        "in.csv, row 42, column 'CRET_TIME': snapshot day 2025-11-25 comes after 26 working days without any "
        "export and holds 1 part, where the data's main block 2025-10-06 .. 2025-10-17 exports 4 a day: a wrong "
        "date? (daily.stray_share = 0.5; 0 keeps such blocks)"
    )
    early = ["P100", "Part 2", 10, 1, 2, "EA", 202509010600]  # Monday, 35 days before the data
    write_export(Path("both.csv"), HEADER, [early, *data, stray])
    result = ingest(ingest_params("both.csv", on_bad_rows="quarantine"))
    assert result.rejects[["source_row", "reason"]].values.tolist() == [
        [2, "snapshot day 2025-09-01 comes before 24 working days without any export and holds 1 part, where the "
            "data's main block 2025-10-06 .. 2025-10-17 exports 4 a day: a wrong date? (daily.stray_share = 0.5; "
            "0 keeps such blocks)"],
        [43, "snapshot day 2025-11-25 comes after 26 working days without any export and holds 1 part, where the "
             "data's main block 2025-10-06 .. 2025-10-17 exports 4 a day: a wrong date? (daily.stray_share = 0.5; "
             "0 keeps such blocks)"],
    ]  # fmt: skip
    assert result.sources["rejects_by_reason"]["stray_day"] == 2 and result.metrics["rows_kept"] == 40
    laid = lay_on_calendar(last_snapshot_per_day(result.snapshots), Calendar())
    assert len(laid) == 40 and laid["present"].all()  # no part's calendar stretched: not one missing day
    # a shutdown: after the same break every part is exported again, and the block stays
    restart = _every_working_day(parts, "2025-11-25", "2025-11-26")
    write_export(Path("shutdown.csv"), HEADER, [*data, *restart])
    assert ingest(ingest_params("shutdown.csv")).metrics["rows_kept"] == 48
    kept = ingest(ingest_params("in.csv"), DailyParams(stray_share=0.0))
    assert kept.metrics["rows_kept"] == 41
