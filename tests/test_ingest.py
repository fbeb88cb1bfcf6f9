"""Tests of ingest: every format, folders, sheets, column mapping and the handling of bad rows."""

from __future__ import annotations

import csv
import importlib.util
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plancast.data.sample import plan_snapshots, write_plan_xls
from plancast.errors import InputDataError, ParamsError
from plancast.ingest import (
    canonical_snapshots,
    ingest,
    parse_part,
    parse_quantity,
    parse_time,
    read_sheets,
    source_files,
)
from plancast.params import IngestParams, Params, SampleParams
from plancast.stage import invoke

REPO = Path(__file__).resolve().parents[1]
PART = "Part Number"
TARGET = "D일 투입예정 수량(D일계획)"
TIME = "CRET_TIME"
H = ["D+1일 투입예정 수량(Total)", "D+2일 투입예정 수량(Total)"]
HEADER = ["Plant", PART, TARGET, *H, "Unit", TIME]

# Three snapshots of two parts, file order deliberately not sorted by part or time.
ROWS = [
    ["P100", "Part 95", 113, 0, 274, "EA", 202109131830],
    ["P100", "Part 94", 42, 32, 30, "EA", 202109131830],
    ["P100", "Part 94", 40, 30, 30, "EA", 202109130632],
]

NEGATIVE_HINT = " (set ingest.allow_negative: true for a signed series)"


def _write(path: Path, header: list[Any], rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    """Write a table in the format named by the file's extension, the way a user's tool would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".xls":
        book = xlwt.Workbook(encoding="utf-8")
        ws = book.add_sheet(sheet)
        for i, row in enumerate([header, *rows]):
            for j, value in enumerate(row):
                if value is not None:
                    ws.write(i, j, value)
        book.save(str(path))
    elif path.suffix == ".xlsx":
        book = openpyxl.Workbook()
        ws = book.active
        ws.title = sheet
        for row in [header, *rows]:
            ws.append(row)
        book.save(path)
    elif path.suffix == ".csv":
        with open(path, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *[["" if v is None else v for v in r] for r in rows]])
    elif path.suffix == ".parquet":
        pd.DataFrame(rows, columns=header).to_parquet(path, index=False)
    return path


def _params(source: str = "in.xls", **kwargs: Any) -> IngestParams:
    return IngestParams(source=source, max_horizon=kwargs.pop("max_horizon", 12), **kwargs)


def _expected(file: str, sheet: str) -> pd.DataFrame:
    """The canonical table of ROWS, worked out by hand: sorted by part then time."""
    return pd.DataFrame(
        {
            "part": pd.Series(["Part 94", "Part 94", "Part 95"], dtype="str"),
            "snapshot_time": np.array(
                ["2021-09-13T06:32", "2021-09-13T18:30", "2021-09-13T18:30"], dtype="datetime64[us]"
            ),
            "target": [40.0, 42.0, 113.0],
            "h1": [30.0, 32.0, 0.0],
            "h2": [30.0, 30.0, 274.0],
            "source_file": pd.Series([file] * 3, dtype="str"),
            "sheet": pd.Series([sheet] * 3, dtype="str"),
            "source_row": np.array([4, 3, 2], dtype=np.int64),
        }
    )


# ------------------------------------------------------------------------------------------ value parsing


def test_parse_quantity_accepts_numbers_and_says_why_not() -> None:
    assert parse_quantity(42) == 42.0
    assert parse_quantity(" 7.5 ") == 7.5
    assert parse_quantity("1e2") == 100.0
    assert str(parse_quantity(-0.0)) == "0.0"
    assert parse_quantity("") == ("blank", "blank quantity")
    assert parse_quantity(None)[0] == "blank"
    assert parse_quantity("abc") == ("not_a_number", "'abc' is not a number")
    assert parse_quantity("1,234")[0] == "not_a_number"
    assert parse_quantity(True)[0] == "not_a_number"
    assert parse_quantity(datetime(2021, 1, 1))[0] == "not_a_number"
    assert parse_quantity(-3) == ("negative", "negative quantity -3" + NEGATIVE_HINT)
    assert parse_quantity(float("nan"))[0] == "not_finite"
    assert parse_quantity("inf") == ("not_finite", "quantity 'inf' is not finite")


def test_parse_time_reads_ints_floats_strings_and_dates() -> None:
    expected = datetime(2021, 9, 13, 18, 30)
    fmt = "%Y%m%d%H%M"
    for value in (202109131830, 202109131830.0, "202109131830", " 202109131830.0 ", np.int64(202109131830)):
        assert parse_time(value, fmt) == expected, value
    assert parse_time(expected, fmt) == expected  # a cell Excel stores as a date
    assert parse_time("2021-13-45", fmt) == ("bad_time", "cannot parse '2021-13-45' with format %Y%m%d%H%M")
    assert parse_time(202113451830.0, fmt) == (
        "bad_time",
        "cannot parse '202113451830' with format %Y%m%d%H%M",
    )
    assert parse_time("", fmt) == ("blank", "blank time")
    assert parse_time(True, fmt)[0] == "bad_time"


def test_parse_time_step_and_part_names() -> None:
    assert parse_time(3, "step") == 3
    assert parse_time(3.0, "step") == 3
    assert parse_time("12", "step") == 12
    assert parse_time("12.0", "step") == 12
    assert parse_time("1.5", "step") == ("bad_time", "'1.5' is not an integer step")
    assert parse_part(" Part 94 ") == "Part 94"
    assert parse_part(94.0) == "94"
    assert parse_part("  ") == ("blank", "blank part")


# -------------------------------------------------------------------------------------------- formats


@pytest.mark.parametrize(("suffix", "sheet"), [(".xls", "Sheet1"), (".xlsx", "Sheet1"), (".csv", ""), (".parquet", "")])
def test_each_format_round_trips(tmp_path, monkeypatch, suffix: str, sheet: str) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path(f"in{suffix}"), HEADER, ROWS)
    result = ingest(_params(f"in{suffix}"))
    pd.testing.assert_frame_equal(result.snapshots, _expected(f"in{suffix}", sheet))
    assert result.rejects.columns.tolist() == ["source_file", "sheet", "source_row", "column", "reason"]
    assert result.rejects.empty
    assert result.metrics["rows_read"] == 3 and result.metrics["rows_kept"] == 3
    assert result.metrics["parts"] == 2 and result.metrics["horizons"] == 2


@pytest.mark.parametrize("engine", ["calamine", "xlrd"])
def test_xls_engines_read_the_same(tmp_path, monkeypatch, engine: str) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("in.xls"), HEADER, ROWS)
    result = ingest(_params("in.xls", xls_engine=engine))
    pd.testing.assert_frame_equal(result.snapshots, _expected("in.xls", "Sheet1"))


def test_csv_with_bom_and_padded_headers(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [",".join(f" {h} " for h in HEADER)] + [",".join(str(v) for v in row) for row in ROWS]
    Path("in.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8"))
    pd.testing.assert_frame_equal(ingest(_params("in.csv")).snapshots, _expected("in.csv", ""))


def test_time_as_int_float_and_text_in_one_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [r.copy() for r in ROWS]
    rows[0][-1] = "202109131830.0"
    rows[1][-1] = 202109131830.0
    _write(Path("in.xlsx"), HEADER, rows)
    pd.testing.assert_frame_equal(ingest(_params("in.xlsx")).snapshots, _expected("in.xlsx", "Sheet1"))


def test_sample_export_both_engines_same_table_with_12_korean_horizons(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    frame = plan_snapshots(SampleParams(parts=3, days=20, seed=5))
    write_plan_xls(frame, "plan.xls")
    by_calamine = ingest(_params("plan.xls", xls_engine="calamine"))
    by_xlrd = ingest(_params("plan.xls", xls_engine="xlrd"))
    pd.testing.assert_frame_equal(by_calamine.snapshots, by_xlrd.snapshots)
    table = by_calamine.snapshots
    assert table.columns.tolist() == [
        "part",
        "snapshot_time",
        "target",
        *(f"h{k}" for k in range(1, 13)),
        "source_file",
        "sheet",
        "source_row",
    ]
    assert len(table) == len(frame)
    # row 2 of the sheet is the frame's first row: check it cell by cell
    first = table[table["source_row"] == 2].iloc[0]
    assert first["part"] == frame["Part Number"].iloc[0]
    assert first["snapshot_time"] == datetime.strptime(str(frame["CRET_TIME"].iloc[0]), "%Y%m%d%H%M")
    assert first["target"] == frame["D일 투입예정 수량(D일계획)"].iloc[0]
    assert first["h5"] == frame["D+5일 투입예정 수량"].iloc[0]
    assert first["h12"] == frame["D+12일 투입예정 수량"].iloc[0]
    assert table[["part", "snapshot_time"]].equals(
        table[["part", "snapshot_time"]].sort_values(["part", "snapshot_time"]).reset_index(drop=True)
    )


def test_max_horizon_keeps_the_first_k(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("in.csv"), HEADER, ROWS)
    result = ingest(_params("in.csv", max_horizon=1))
    assert [c for c in result.snapshots.columns if c.startswith("h")] == ["h1"]
    assert ingest(_params("in.csv", max_horizon=0)).metrics["horizons"] == 0


# ------------------------------------------------------------------------------------- folders, sheets


def test_folder_of_daily_exports_read_in_name_order(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("exports/2021-09-14.csv"), HEADER, [["P100", "Part 94", 5, 1, 2, "EA", 202109141700]])
    _write(Path("exports/2021-09-13.xlsx"), HEADER, ROWS)
    Path("exports/.~lock.csv").write_text("junk")
    Path("exports/notes.txt").write_text("not an export")
    assert source_files("exports", "*.csv") == ["exports/2021-09-14.csv"]
    assert source_files("exports", "2021-*") == ["exports/2021-09-13.xlsx", "exports/2021-09-14.csv"]
    result = ingest(_params("exports", pattern="2021-*"))
    table = result.snapshots
    assert table["source_file"].tolist() == [
        "exports/2021-09-13.xlsx",
        "exports/2021-09-13.xlsx",
        "exports/2021-09-14.csv",
        "exports/2021-09-13.xlsx",
    ]
    assert table["target"].tolist() == [40.0, 42.0, 5.0, 113.0]
    assert result.metrics["files"] == 2 and result.metrics["sheets"] == 2
    with pytest.raises(InputDataError, match=r"^exports/notes.txt: unsupported file type '.txt'"):
        ingest(_params("exports", pattern="*"))


def test_same_snapshot_in_two_daily_files_is_a_duplicate(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("exports/a.csv"), HEADER, ROWS[:2])
    _write(Path("exports/b.csv"), HEADER, ROWS[1:])
    reason = "duplicate snapshot of part 'Part 94' at 2021-09-13 18:30:00 (first at exports/a.csv, row 3)"
    with pytest.raises(InputDataError) as caught:
        ingest(_params("exports"))
    assert str(caught.value) == f"exports/b.csv, row 2, column 'CRET_TIME': {reason}"
    result = ingest(_params("exports", on_bad_rows="quarantine"))
    assert result.rejects.values.tolist() == [["exports/b.csv", "", 2, "CRET_TIME", reason]]
    assert result.metrics["rejects_by_reason"]["duplicate"] == 1
    assert len(result.snapshots) == 3


def _two_sheet_workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Sep"
    for row in [HEADER, *ROWS[:2]]:
        first.append(row)
    second = book.create_sheet("Oct")
    for row in [HEADER, ["P100", "Part 94", 7, 8, 9, "EA", 202110010632]]:
        second.append(row)
    book.create_sheet("Empty")
    book.save(path)


def test_every_sheet_or_only_the_listed_ones(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _two_sheet_workbook(Path("book.xlsx"))
    every = ingest(_params("book.xlsx"))
    assert every.snapshots["sheet"].tolist() == ["Sep", "Oct", "Sep"]
    assert every.metrics["sheets"] == 2  # the empty sheet holds no rows
    only = ingest(_params("book.xlsx", sheets=["Oct"]))
    assert only.snapshots["target"].tolist() == [7.0]
    with pytest.raises(InputDataError, match=r"^book.xlsx, sheet Nov: no such sheet \(ingest.sheets\)"):
        ingest(_params("book.xlsx", sheets=["Nov"]))


def test_header_below_blank_rows_keeps_sheet_row_numbers(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "S"
    ws.append([])
    ws.append([])
    for row in [HEADER, ROWS[0], [], ROWS[1]]:
        ws.append(row)
    book.save("in.xlsx")
    result = ingest(_params("in.xlsx"))
    assert sorted(result.snapshots["source_row"].tolist()) == [4, 6]
    assert result.metrics["rows_blank"] == 1


def test_single_series_without_horizons(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("seed_a.csv"), ["x", "time_cos"], [[0, 20.0], [1, 19.5], [2, 18.25]])
    params = IngestParams(
        source="seed_a.csv", part_column=None, part_name="wave", time_column="x", time_format="step",
        target_column="time_cos",
    )  # fmt: skip
    table = ingest(params).snapshots
    assert table.columns.tolist() == ["part", "snapshot_time", "target", "source_file", "sheet", "source_row"]
    assert table["part"].tolist() == ["wave"] * 3
    assert table["snapshot_time"].dtype == np.int64
    assert table["target"].tolist() == [20.0, 19.5, 18.25]


def test_parts_filter_and_a_listed_part_that_never_appears(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("in.csv"), HEADER, [*ROWS, ["P100", "Part 96", "oops", 0, 0, "EA", 202109131830]])
    result = ingest(_params("in.csv", parts=["Part 95"]))
    assert result.snapshots["part"].tolist() == ["Part 95"]
    assert result.metrics["rows_other_parts"] == 3  # Part 96's bad row is not ours to judge
    with pytest.raises(ParamsError, match=r"^ingest.parts: part 'Part 9' does not appear in in.csv"):
        ingest(_params("in.csv", parts=["Part 95", "Part 9"]))


# -------------------------------------------------------------------------------------- errors in full


def test_missing_source_and_empty_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputDataError, match=r"^nope.xls: no such file or folder \(ingest.source\)$"):
        ingest(_params("nope.xls"))
    Path("empty").mkdir()
    with pytest.raises(InputDataError, match=r"^empty: no file in the folder matches ingest.pattern '\*.xls'$"):
        ingest(_params("empty", pattern="*.xls"))


@pytest.mark.parametrize(("name", "engine"), [("bad.xls", "calamine"), ("bad.xls", "xlrd"), ("bad.xlsx", "calamine")])
def test_corrupt_workbook_is_one_line(tmp_path, monkeypatch, name: str, engine: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path(name).write_bytes(b"this is not a workbook" * 50)
    with pytest.raises(InputDataError, match=rf"^{name}: cannot read the workbook \(") as caught:
        ingest(_params(name, xls_engine=engine))
    assert "\n" not in str(caught.value)


def test_corrupt_parquet_and_non_utf8_csv(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.parquet").write_bytes(b"PAR1 nonsense")
    with pytest.raises(InputDataError, match=r"^bad.parquet: cannot read as Parquet \("):
        ingest(_params("bad.parquet"))
    Path("bad.csv").write_bytes("Part Number,CRET_TIME\n부품,1\n".encode("cp949"))
    with pytest.raises(InputDataError, match=r"^bad.csv: not UTF-8 text \(byte \d+\)$"):
        ingest(_params("bad.csv"))


def test_missing_column_is_named_with_the_columns_found(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("in.xls"), [h for h in HEADER if h != TIME], [r[:-1] for r in ROWS])
    with pytest.raises(InputDataError) as caught:
        ingest(_params("in.xls"))
    assert str(caught.value) == (
        "in.xls, sheet Sheet1: no column 'CRET_TIME' (ingest.time_column); columns found: 'Plant', "
        "'Part Number', 'D일 투입예정 수량(D일계획)', 'D+1일 투입예정 수량(Total)', "
        "'D+2일 투입예정 수량(Total)', 'Unit'"
    )


def test_horizon_columns_duplicate_gap_or_absent(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("dup.csv"), [*HEADER, "D+2일 계획"], [[*r, 1] for r in ROWS])
    with pytest.raises(InputDataError) as caught:
        ingest(_params("dup.csv"))
    assert str(caught.value) == (
        "dup.csv: columns 'D+2일 투입예정 수량(Total)' and 'D+2일 계획' are both horizon 2 (ingest.horizon_pattern)"
    )
    _write(Path("gap.csv"), [h for h in HEADER if not h.startswith("D+1")], [r[:3] + r[4:] for r in ROWS])
    with pytest.raises(InputDataError, match=r"^gap.csv: no column for horizon 1 although horizons up to 2"):
        ingest(_params("gap.csv"))
    _write(Path("none.csv"), [h for h in HEADER if not h.startswith("D+")], [r[:3] + r[5:] for r in ROWS])
    with pytest.raises(InputDataError, match=r"^none.csv: no column matches ingest.horizon_pattern"):
        ingest(_params("none.csv"))
    assert ingest(_params("none.csv", max_horizon=0)).metrics["horizons"] == 0


def test_bad_cell_names_file_sheet_row_and_column(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [r.copy() for r in ROWS] + [r.copy() for r in ROWS]
    for i, row in enumerate(rows[3:]):
        row[-1] = 202109140000 + i
    rows[4][-1] = "2021-13-45"
    rows[5][3] = -1
    _write(Path("in.xls"), HEADER, rows)
    for engine in ("calamine", "xlrd"):
        with pytest.raises(InputDataError) as caught:
            ingest(_params("in.xls", xls_engine=engine))
        assert str(caught.value) == (
            "in.xls, sheet Sheet1, row 6, column 'CRET_TIME': cannot parse '2021-13-45' with format %Y%m%d%H%M"
        )
    result = ingest(_params("in.xls", on_bad_rows="quarantine"))
    assert result.rejects.values.tolist() == [
        ["in.xls", "Sheet1", 6, "CRET_TIME", "cannot parse '2021-13-45' with format %Y%m%d%H%M"],
        ["in.xls", "Sheet1", 7, "D+1일 투입예정 수량(Total)", "negative quantity -1" + NEGATIVE_HINT],
    ]
    assert result.metrics["rows_rejected"] == 2 and result.metrics["rows_kept"] == 4
    assert result.metrics["rejects_by_reason"]["bad_time"] == 1
    assert result.metrics["rejects_by_reason"]["negative"] == 1


def test_extra_cells_beyond_the_header_in_csv(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [",".join(HEADER)] + [",".join(str(v) for v in r) for r in ROWS]
    lines[2] += ",surprise"
    Path("in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"^in.csv, row 3: the row has 8 cells but the header has 7$"):
        ingest(_params("in.csv"))


def test_all_rows_rejected_is_an_error(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("in.csv"), HEADER, [[*r[:2], "x", *r[3:]] for r in ROWS])
    with pytest.raises(InputDataError, match=r"^in.csv: no valid snapshots \(3 data rows, 3 rejected\); first"):
        ingest(_params("in.csv", on_bad_rows="quarantine"))


# ---------------------------------------------------------------------------------- malformed tables


CHECKED = [PART, TIME, TARGET, *H]  # the order in which a row's cells are judged
BREAKERS = {
    PART: ["blank"],
    TIME: ["blank", "2021-13-45", "noon"],
    TARGET: ["blank", "abc", -5, "inf"],
    H[0]: ["blank", "x1", -1],
    H[1]: ["blank", "-", -0.5, "nan"],
}


@st.composite
def malformed_tables(draw: st.DrawFn) -> tuple[list[list[Any]], list[int], str | None]:
    """A small valid table with bad cells and repeated rows injected, and the rows to be rejected.

    Returns the rows, the 0-based indices of the rows that must be rejected, and the column the first
    of them must be rejected for.
    """
    n_parts = draw(st.integers(1, 3))
    n_times = draw(st.integers(1, 4))
    rows = []
    for p in range(n_parts):
        for t in range(n_times):
            stamp = 202109130600 + 10000 * t + p  # distinct times; a part's row count is n_times
            form = draw(st.sampled_from(["int", "float", "text"]))
            time_value = {"int": stamp, "float": float(stamp), "text": f"{stamp}"}[form]
            quantities = draw(st.lists(st.integers(0, 500), min_size=3, max_size=3))
            rows.append(["P100", f"Part {p + 1}", *quantities, "EA", time_value])
    for source, position in draw(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 99)), max_size=3)):
        rows.insert(position % (len(rows) + 1), list(rows[source % len(rows)]))
    broken: dict[int, set[str]] = {}
    for index, column in draw(st.lists(st.tuples(st.integers(0, 99), st.sampled_from(CHECKED)), max_size=4)):
        r = index % len(rows)
        value = draw(st.sampled_from(BREAKERS[column]))
        rows[r][HEADER.index(column)] = None if value == "blank" else value
        broken.setdefault(r, set()).add(column)
    rejected, first_column, seen = [], None, set()
    for r, row in enumerate(rows):
        if r in broken:
            column = next(c for c in CHECKED if c in broken[r])
        else:
            key = (row[1], int(float(row[-1])))
            column = TIME if key in seen else None
            seen.add(key)
        if column is not None:
            rejected.append(r)
            first_column = first_column or column
    return rows, rejected, first_column


def _check_malformed(path: Path, rows: list[list[Any]], rejected: list[int], first_column: str | None) -> None:
    sheets = read_sheets(str(path))
    name = path.name
    kept = len(rows) - len(rejected)
    for mode in ("error", "quarantine"):
        params = IngestParams(source=name, on_bad_rows=mode)
        if kept == 0 or (mode == "error" and rejected):
            with pytest.raises(InputDataError) as caught:
                canonical_snapshots(sheets, params)
            message = str(caught.value)
            assert "\n" not in message
            if mode == "error":
                assert f", row {rejected[0] + 2}, column {first_column!r}: " in message
            continue
        result = canonical_snapshots(sheets, params)
        assert result.rejects["source_row"].tolist() == [r + 2 for r in rejected]
        assert len(result.snapshots) == kept
        assert result.metrics["rows_read"] == len(rows)
        assert result.metrics["rows_rejected"] == len(rejected)
        assert sum(result.metrics["rejects_by_reason"].values()) == len(rejected)
        good = [r + 2 for r in range(len(rows)) if r not in rejected]
        assert sorted(result.snapshots["source_row"].tolist()) == good


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(table=malformed_tables())
def test_malformed_csv_is_a_clean_error_or_an_exact_quarantine(tmp_path, table) -> None:
    rows, rejected, first_column = table
    path = _write(tmp_path / "in.csv", HEADER, rows)
    _check_malformed(path, rows, rejected, first_column)


@FAST
@given(table=malformed_tables())
def test_malformed_xlsx_is_a_clean_error_or_an_exact_quarantine(tmp_path, table) -> None:
    rows, rejected, first_column = table
    path = _write(tmp_path / "in.xlsx", HEADER, rows)
    _check_malformed(path, rows, rejected, first_column)


# ------------------------------------------------------------------------------------------------ stage


def _stage():
    spec = importlib.util.spec_from_file_location("ingest_stage", REPO / "stages" / "ingest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage_outputs_are_byte_identical_across_runs(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    _write(Path("data/raw/in.xls"), HEADER, [*ROWS, ["P100", "Part 94", "?", 1, 1, "EA", 202109140632]])
    params = Params.model_construct(ingest=_params("data/raw/in.xls", on_bad_rows="quarantine"))
    stage = _stage()
    invoke("ingest", stage.main, params)
    outputs = ["data/interim/snapshots.parquet", "data/interim/rejects.csv", "metrics/ingest.json"]
    first = [Path(p).read_bytes() for p in outputs]
    invoke("ingest", stage.main, params)
    assert [Path(p).read_bytes() for p in outputs] == first
    assert capsys.readouterr().out.splitlines()[0] == (
        "ingest: 3 snapshots of 2 parts (2 horizons) from 1 file(s); 1 rejected"
    )
    assert Path("data/interim/rejects.csv").read_text(encoding="utf-8").splitlines() == [
        "source_file,sheet,source_row,column,reason",
        "data/raw/in.xls,Sheet1,5,D일 투입예정 수량(D일계획),'?' is not a number",
    ]
    back = pd.read_parquet("data/interim/snapshots.parquet")
    pd.testing.assert_frame_equal(back, _expected("data/raw/in.xls", "Sheet1"), check_dtype=False)


def test_stage_bad_input_is_one_line_and_exit_2(tmp_path) -> None:
    _write(tmp_path / "data/raw/in.csv", HEADER, [[*ROWS[0][:2], -4, *ROWS[0][3:]]])
    # the smallest valid params.yaml: the schema wants one model to train
    (tmp_path / "params.yaml").write_text(
        "ingest:\n  source: data/raw/in.csv\n"
        "train:\n  models: [m]\nmodels:\n  m:\n    layers: [{type: lstm, units: 1}]\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PLANCAST_PARAMS"}
    done = subprocess.run(
        [sys.executable, str(REPO / "stages" / "ingest.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: data/raw/in.csv, row 2, column 'D일 투입예정 수량(D일계획)': negative quantity -4"
        + NEGATIVE_HINT
        + "\n"
    )


def test_negative_values_pass_only_when_the_series_is_signed() -> None:
    assert parse_quantity(-2.5)[0] == "negative"
    assert "ingest.allow_negative" in parse_quantity(-2.5)[1]
    assert parse_quantity(-2.5, allow_negative=True) == -2.5
