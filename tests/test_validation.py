"""Tests of validation: every cell parsed (fast path = scalar parser), column mapping, bad rows and the
calendar checks, each with its one-line reason."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from export_files import HEADER, NEGATIVE_HINT, ROWS, TIME, ingest_params, write_export
from hypothesis import given, settings
from hypothesis import strategies as st

from plancast.data.ingest import ingest
from plancast.data.validation import (
    parse_part,
    parse_parts,
    parse_quantities,
    parse_quantity,
    parse_time,
    parse_times,
)
from plancast.errors import InputDataError
from plancast.params import DailyParams

FMT = "%Y%m%d%H%M"


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
    assert parse_time("2021-13-45", FMT) == ("bad_time", "cannot parse '2021-13-45' with format %Y%m%d%H%M")
    assert parse_time(202113451830.0, FMT) == ("bad_time", "cannot parse '202113451830' with format %Y%m%d%H%M")
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
                     "202109131830", "202109131830.0", "20210913183", "2021-09-13", "+5", "١٢", "0x10"]),
    st.booleans(),
    st.none(),
    st.just(datetime(2021, 9, 13, 18, 30)),
    st.integers(202101010000, 202112312359),
    st.text(max_size=6),
)  # fmt: skip


def _same(fast, scalar) -> bool:
    if isinstance(scalar, tuple):
        return fast == scalar
    return fast == scalar or (isinstance(scalar, float) and np.isnan(scalar) and np.isnan(fast))


@settings(max_examples=150, deadline=None)
@given(cells=st.lists(CELLS, max_size=12), thousands=st.sampled_from(["", ","]), signed=st.booleans())
def test_vectorized_parsers_agree_with_the_scalar_ones(cells, thousands, signed) -> None:
    column = np.empty(len(cells), dtype=object)
    column[:] = cells
    quantities = parse_quantities(column, signed, thousands)
    times = parse_times(column, FMT)
    steps = parse_times(column, "step")
    for i, value in enumerate(cells):
        q = parse_quantity(value, signed, thousands)
        assert (quantities.problems[i] if not quantities.ok[i] else float(quantities.values[i])) == q, value
        t = parse_time(value, FMT)
        got = times.problems[i] if not times.ok[i] else times.values[i].astype(datetime)
        assert got == t, value
        s = parse_time(value, "step")
        assert (steps.problems[i] if not steps.ok[i] else int(steps.values[i])) == s, value


# ------------------------------------------------------------------------------------------ column mapping


def test_missing_column_is_named_with_the_columns_found(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("in.xls"), [h for h in HEADER if h != TIME], [r[:-1] for r in ROWS])
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("in.xls"))
    assert str(caught.value) == (
        "in.xls, sheet Sheet1: no column 'CRET_TIME' (ingest.time_column); columns found: 'Plant', "
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
        )
    result = ingest(ingest_params("in.xls", on_bad_rows="quarantine"))
    assert result.rejects.values.tolist() == [
        ["in.xls", "Sheet1", 6, "CRET_TIME", "cannot parse '2021-13-45' with format %Y%m%d%H%M"],
        ["in.xls", "Sheet1", 7, "D+1일 투입예정 수량(Total)", "negative quantity -1" + NEGATIVE_HINT],
    ]
    assert result.metrics["rows_rejected"] == 2 and result.metrics["rows_kept"] == 4
    assert result.metrics["rejects_by_reason"]["bad_time"] == 1
    assert result.metrics["rejects_by_reason"]["negative"] == 1


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
    assert result.metrics["part_ids_normalised"] == {"101.0": "101", " 101 ": "101"}
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
    assert holiday.metrics["rejects_by_reason"]["not_working_day"] == 2
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
    assert kept.metrics["rejects_by_reason"]["outside_time_range"] == 1 and kept.metrics["rows_kept"] == 3
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
