"""Tests of ingest end to end: every format into one canonical table, overlapping daily exports merged,
revisions resolved and listed, sheets skipped, the accounting identity, and the stage's outputs."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import yaml
from export_files import (
    HEADER,
    NEGATIVE_HINT,
    ROWS,
    expected_rows,
    ingest_params,
    write_export,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plancast.data.calendar import Calendar
from plancast.data.columns import required_columns
from plancast.data.daily import last_snapshot_per_day, lay_on_calendar
from plancast.data.ingest import IngestResult, canonical_snapshots, ingest
from plancast.data.merge import CONFLICT_COLUMNS
from plancast.data.reading import read_sheets
from plancast.data.sample import plan_snapshots
from plancast.data.sample_files import write_plan_xls
from plancast.data.sources import source_files
from plancast.errors import InputDataError, ParamsError, PlancastError
from plancast.features.windows import make_windows
from plancast.params import Params, parse_params
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams, SampleParams
from plancast.stage import invoke

REPO = Path(__file__).resolve().parents[1]


def accounted(metrics: dict[str, Any]) -> bool:
    """The identity ingest keeps: every non-blank data row read ends in exactly one count."""
    return metrics["rows_read"] == (
        metrics["rows_kept"]
        + metrics["rows_rejected"]
        + metrics["rows_merged"]
        + metrics["rows_superseded"]
        + metrics["rows_other_parts"]
    )


# -------------------------------------------------------------------------------------------- formats


@pytest.mark.parametrize(("suffix", "sheet"), [(".xls", "Sheet1"), (".xlsx", "Sheet1"), (".csv", ""), (".parquet", "")])
def test_each_format_round_trips(tmp_path, monkeypatch, suffix: str, sheet: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path(f"in{suffix}"), HEADER, ROWS)
    result = ingest(ingest_params(f"in{suffix}"))
    pd.testing.assert_frame_equal(result.snapshots, expected_rows(f"in{suffix}", sheet))
    assert result.rejects.columns.tolist() == ["source_file", "sheet", "source_row", "column", "reason"]
    assert result.rejects.empty and result.conflicts.empty
    assert result.conflicts.columns.tolist() == CONFLICT_COLUMNS
    assert result.metrics["rows_read"] == 3 and result.metrics["rows_kept"] == 3
    assert result.metrics["parts"] == 2 and result.metrics["horizons"] == 2


@pytest.mark.parametrize("engine", ["calamine", "xlrd"])
def test_xls_engines_read_the_same(tmp_path, monkeypatch, engine: str) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("in.xls"), HEADER, ROWS)
    result = ingest(ingest_params("in.xls", xls_engine=engine))
    pd.testing.assert_frame_equal(result.snapshots, expected_rows("in.xls", "Sheet1"))


def test_csv_with_bom_and_padded_headers(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = [",".join(f" {h} " for h in HEADER)] + [",".join(str(v) for v in row) for row in ROWS]
    Path("in.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("utf-8"))
    pd.testing.assert_frame_equal(ingest(ingest_params("in.csv")).snapshots, expected_rows("in.csv", ""))


def test_time_as_int_float_and_text_in_one_file(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rows = [r.copy() for r in ROWS]
    rows[0][-1] = "202109131830.0"
    rows[1][-1] = 202109131830.0
    write_export(Path("in.xlsx"), HEADER, rows)
    pd.testing.assert_frame_equal(ingest(ingest_params("in.xlsx")).snapshots, expected_rows("in.xlsx", "Sheet1"))


def test_sample_export_both_engines_same_table_with_12_korean_horizons(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    frame = plan_snapshots(SampleParams(parts=3, days=20, seed=5))
    write_plan_xls(frame, "plan.xls")
    by_calamine = ingest(ingest_params("plan.xls", xls_engine="calamine"))
    by_xlrd = ingest(ingest_params("plan.xls", xls_engine="xlrd"))
    pd.testing.assert_frame_equal(by_calamine.snapshots, by_xlrd.snapshots)
    table = by_calamine.snapshots
    assert table.columns.tolist() == [
        "part", "snapshot_time", "target", *(f"h{k}" for k in range(1, 13)), "source_file", "sheet", "source_row",
    ]  # fmt: skip
    assert len(table) == len(frame)
    first = table[table["source_row"] == 2].iloc[0]
    assert first["part"] == frame["Part Number"].iloc[0]
    assert first["snapshot_time"] == datetime.strptime(str(frame["CRET_TIME"].iloc[0]), "%Y%m%d%H%M")
    assert first["target"] == frame["D일 투입예정 수량(D일계획)"].iloc[0]
    assert first["h12"] == frame["D+12일 투입예정 수량"].iloc[0]


# ------------------------------------------------------------------------------------- folders, sheets


def test_folder_of_daily_exports_read_in_name_order(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/2021-09-14.csv"), HEADER, [["P100", "Part 94", 5, 1, 2, "EA", 202109141700]])
    write_export(Path("exports/2021-09-13.xlsx"), HEADER, ROWS)
    Path("exports/notes.txt").write_text("not an export")
    result = ingest(ingest_params("exports", pattern="2021-*"))
    table = result.snapshots
    assert table["source_file"].tolist() == [
        "exports/2021-09-13.xlsx", "exports/2021-09-13.xlsx", "exports/2021-09-14.csv", "exports/2021-09-13.xlsx",
    ]  # fmt: skip
    assert table["target"].tolist() == [40.0, 42.0, 5.0, 113.0]
    assert result.metrics["files"] == 2 and result.metrics["sheets"] == 2
    with pytest.raises(InputDataError, match=r"^exports/notes.txt: unsupported file type '.txt'"):
        ingest(ingest_params("exports", pattern="*"))


def _workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
    book.save(path)


def test_every_sheet_or_only_the_listed_ones(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _workbook(
        Path("book.xlsx"),
        {"Sep": [HEADER, *ROWS[:2]], "Oct": [HEADER, ["P100", "Part 94", 7, 8, 9, "EA", 202110010632]], "Empty": []},
    )
    every = ingest(ingest_params("book.xlsx"))
    assert every.snapshots["sheet"].tolist() == ["Sep", "Oct", "Sep"]
    assert every.metrics["sheets"] == 2  # the empty sheet holds no rows
    only = ingest(ingest_params("book.xlsx", sheets=["Oct"]))
    assert only.snapshots["target"].tolist() == [7.0]
    with pytest.raises(InputDataError, match=r"^book.xlsx, sheet Nov: no such sheet \(ingest.sheets\)"):
        ingest(ingest_params("book.xlsx", sheets=["Nov"]))


def test_an_info_sheet_is_skipped_and_listed_unless_named(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _workbook(Path("book.xlsx"), {"Plan": [HEADER, *ROWS], "Info": [["Exported by", "MES 4.2"], ["Rows", 3]]})
    result = ingest(ingest_params("book.xlsx"))
    assert result.sources["sheets_read"] == ["book.xlsx, sheet Plan"]
    assert result.sources["sheets_skipped"] == [
        "book.xlsx, sheet Info: no column 'Part Number' (ingest.part_column); columns found: 'Exported by', 'MES 4.2'"
    ]
    assert result.metrics["sheets_skipped_count"] == 1
    assert result.metrics["rows_kept"] == 3
    with pytest.raises(InputDataError, match=r"^book.xlsx, sheet Info: no column 'Part Number'"):
        ingest(ingest_params("book.xlsx", sheets=["Plan", "Info"]))


@pytest.mark.parametrize("mode", ["error", "quarantine"])
def test_a_sheet_whose_header_is_off_stops_ingest(tmp_path, monkeypatch, mode: str) -> None:
    """Issue 22 case 4: a file whose header said 'Part Numbr' appeared only under sheets_skipped and the
    run succeeded without its rows. A sheet with data rows and some of the part, time and target
    columns is an export, not notes: it stops ingest (a lost sheet is not a bad row: quarantine too)."""
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/a.csv"), HEADER, ROWS)
    write_export(Path("exports/b.xlsx"), ["Plant", "Part Numbr", *HEADER[2:]], ROWS)
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("exports", on_bad_rows=mode))
    assert str(caught.value) == (
        "exports/b.xlsx, sheet Sheet1: no column 'Part Number' (ingest.part_column) in a sheet of 3 data rows with "
        "'CRET_TIME' and 'D일 투입예정 수량(D일계획)'; closest header: 'Part Numbr'"
    )
    # a notes sheet (none of the columns) and a header-only sheet with one off are still skipped, and counted
    _workbook(
        Path("exports/b.xlsx"),
        {"Plan": [HEADER, *ROWS], "Notes": [["Exported by", "MES 4.2"]], "Empty plan": [["Part Numbr", "CRET_TIME"]]},
    )
    result = ingest(ingest_params("exports", on_bad_rows=mode))
    assert result.metrics["sheets_skipped_count"] == 2
    assert result.sources["sheets_skipped"] == [
        "exports/b.xlsx, sheet Notes: no column 'Part Number' (ingest.part_column); columns found: 'Exported by', "
        "'MES 4.2'",
        "exports/b.xlsx, sheet Empty plan: no column 'Part Number' (ingest.part_column); closest header: 'Part Numbr'",
    ]


def test_parts_filter_and_a_listed_part_that_never_appears(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("in.csv"), HEADER, [*ROWS, ["P100", "Part 96", "oops", 0, 0, "EA", 202109131830]])
    result = ingest(ingest_params("in.csv", parts=["Part 95"]))
    assert result.snapshots["part"].tolist() == ["Part 95"]
    assert result.metrics["rows_other_parts"] == 3  # Part 96's bad row is not ours to judge
    assert accounted(result.metrics)
    with pytest.raises(ParamsError, match=r"^ingest.parts: part 'Part 9' does not appear in in.csv"):
        ingest(ingest_params("in.csv", parts=["Part 95", "Part 9"]))


# -------------------------------------------------------------------------------- overlapping exports


def test_the_same_snapshot_in_two_daily_files_is_one_snapshot(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/a.csv"), HEADER, ROWS[:2])
    write_export(Path("exports/b.csv"), HEADER, ROWS[1:])
    result = ingest(ingest_params("exports"))  # on_bad_rows: error, and nothing is bad
    assert len(result.snapshots) == 3 and result.rejects.empty and result.conflicts.empty
    assert result.metrics["rows_read"] == 4 and result.metrics["rows_merged"] == 1
    kept = result.snapshots.set_index(["part", "snapshot_time"]).loc[("Part 94", datetime(2021, 9, 13, 18, 30))]
    assert (kept["source_file"], kept["source_row"]) == ("exports/b.csv", 2)  # the later file stands for it
    assert accounted(result.metrics)


def test_a_revision_in_a_later_file_wins_and_is_listed(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    revised = ["P100", "Part 94", 43, 32, 31, "EA", 202109131830]
    write_export(Path("exports/b.csv"), HEADER, [revised, ROWS[2]])
    write_export(Path("exports/a.csv"), HEADER, ROWS)
    result = ingest(ingest_params("exports", on_bad_rows="quarantine"))
    table = result.snapshots
    late = table.loc[(table["part"] == "Part 94") & (table["target"] > 41), ["target", "h2", "source_file"]]
    assert late.values.tolist() == [[43.0, 31.0, "exports/b.csv"]]
    assert result.rejects.empty  # a revision is not a bad row
    assert result.conflicts.values.tolist() == [
        ["Part 94", pd.Timestamp("2021-09-13 18:30"), "exports/b.csv", "", 2, "exports/a.csv", "", 3,
         "target: 42 -> 43; h2: 30 -> 31"],
    ]  # fmt: skip
    m = result.metrics
    assert (m["rows_read"], m["rows_kept"], m["rows_merged"], m["rows_superseded"], m["conflicts"]) == (5, 3, 1, 1, 1)
    assert accounted(m)
    with pytest.raises(InputDataError) as caught:
        ingest(ingest_params("exports", on_conflict="error"))
    assert str(caught.value) == (
        "exports/a.csv, row 3 and exports/b.csv, row 2: two different snapshots of part 'Part 94' at "
        "2021-09-13 18:30:00: column 'D일 투입예정 수량(D일계획)' is 42 vs 43 (ingest.on_conflict: error; "
        "set latest_file to keep the later file's)"
    )


def test_file_order_by_last_snapshot_and_within_a_file_the_later_row(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    # z_old.csv sorts last by name but holds the older snapshots; new.csv holds a later day.
    write_export(Path("exports/z_old.csv"), HEADER, [["P100", "Part 1", 10, 1, 1, "EA", 202109130600]])
    write_export(
        Path("exports/new.csv"),
        HEADER,
        [["P100", "Part 1", 11, 1, 1, "EA", 202109130600], ["P100", "Part 1", 5, 1, 1, "EA", 202109140600]],
    )
    by_name = ingest(ingest_params("exports"))
    by_last = ingest(ingest_params("exports", file_order="last_snapshot"))
    assert by_name.snapshots["target"].tolist() == [10.0, 5.0]
    assert by_last.snapshots["target"].tolist() == [11.0, 5.0]
    write_export(Path("one/in.csv"), HEADER, [["P100", "Part 1", 10, 1, 1, "EA", 202109130600]] * 2)
    rows = [["P100", "Part 1", 10, 1, 1, "EA", 202109130600], ["P100", "Part 1", 12, 1, 1, "EA", 202109130600]]
    write_export(Path("two/in.csv"), HEADER, rows)
    assert ingest(ingest_params("one")).metrics["rows_merged"] == 1
    assert ingest(ingest_params("two")).snapshots["target"].tolist() == [12.0]


def test_the_later_of_export_9_and_export_10_wins(tmp_path, monkeypatch) -> None:
    """Issue 22 case 3: under file_order: name, export_9 sorted after export_10 as text and its older
    revision won. Files go in natural order: export_10 is the later file."""
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/export_9.csv"), HEADER, [["P100", "Part 1", 10, 1, 1, "EA", 202109130600]])
    write_export(Path("exports/export_10.csv"), HEADER, [["P100", "Part 1", 12, 1, 1, "EA", 202109130600]])
    result = ingest(ingest_params("exports"))
    assert result.snapshots[["target", "source_file"]].values.tolist() == [[12.0, "exports/export_10.csv"]]
    assert result.conflicts[["kept_file", "dropped_file"]].values.tolist() == [
        ["exports/export_10.csv", "exports/export_9.csv"]
    ]


def test_part_numbers_that_differ_only_by_leading_zeros_stop_ingest(tmp_path, monkeypatch) -> None:
    """Issue 22 case 3: '0101' in one file and 101 in another (a number that lost its zeros in Excel)
    became two parts without a word. Ingest stops naming both; ingest.part_digits says which it is."""
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/a.csv"), HEADER, [["P100", "0101", 10, 1, 1, "EA", 202109130600], ROWS[0]])
    write_export(Path("exports/b.xlsx"), HEADER, [ROWS[1], ["P100", 101, 11, 1, 1, "EA", 202109140600]])
    for mode in ("error", "quarantine"):
        with pytest.raises(InputDataError) as caught:
            ingest(ingest_params("exports", on_bad_rows=mode))
        assert str(caught.value) == (
            "part numbers '0101' (exports/a.csv, row 2) and '101' (exports/b.xlsx, sheet Sheet1, row 3) differ only "
            "by leading zeros (a number that lost its zeros in a spreadsheet?): set ingest.part_digits: 4 to pad "
            "numeric part numbers to 4 digits (one part), or ingest.part_digits: distinct (two parts)"
        )
    one = ingest(ingest_params("exports", part_digits=4))
    assert one.snapshots.loc[one.snapshots["part"] == "0101", "target"].tolist() == [10.0, 11.0]
    assert one.sources["part_ids_normalised"] == {"101.0": "0101"} and one.metrics["parts"] == 3  # a number cell
    two = ingest(ingest_params("exports", part_digits="distinct"))
    assert sorted(two.snapshots["part"].unique()) == ["0101", "101", "Part 94", "Part 95"]


# ---------------------------------------------------------------------------------------- fuzzed exports

ODD_PARTS = ["Part 1", " Part 1 ", "101", "101.0", 101.0, "부품-A", "", "n/a"]
ODD_TIMES = ["202109131830", 202109141830.0, "2021-13-45", "", "209906220617", "202109181200", "noon", "20210915183"]
ODD_QUANTITIES = [0, 42, "1,200", "12,345.5", "1,2", "n/a", "", -3, "inf", " 7 ", 3.5, "오류"]


@st.composite
def messy_exports(draw: st.DrawFn) -> list[tuple[str, list[list[Any]], str]]:
    """A few daily files ``(name, rows, encoding)``: repeats of earlier rows, revisions and odd cells."""
    pool: list[list[Any]] = []
    files = []
    for index in range(draw(st.integers(1, 3))):
        rows = []
        for _ in range(draw(st.integers(0, 5))):
            if pool and draw(st.booleans()):
                row = list(draw(st.sampled_from(pool)))
                if draw(st.booleans()):
                    row[2] = draw(st.integers(0, 2000))  # a revision of the target
            else:
                day = draw(st.integers(13, 17))
                quantities = draw(st.lists(st.integers(0, 900), min_size=3, max_size=3))
                row = ["P100", f"Part {draw(st.integers(1, 2))}", *quantities, "EA", 202109000000 + day * 10000 + 600]
                if draw(st.integers(0, 3)) == 0:
                    row[1] = draw(st.sampled_from(ODD_PARTS))
                if draw(st.integers(0, 3)) == 0:
                    row[6] = draw(st.sampled_from(ODD_TIMES))
                if draw(st.integers(0, 3)) == 0:
                    row[draw(st.integers(2, 4))] = draw(st.sampled_from(ODD_QUANTITIES))
            pool.append(row)
            rows.append(row)
        if draw(st.integers(0, 4)) == 0:
            rows.insert(draw(st.integers(0, len(rows))), [None] * 7)  # a blank row
        files.append((f"day{index}.csv", rows, draw(st.sampled_from(["utf-8", "cp949", "utf-8-sig"]))))
    return files


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=messy_exports(),
    mode=st.sampled_from(["error", "quarantine"]),
    order=st.sampled_from(["name", "last_snapshot"]),
)
def test_messy_exports_end_in_a_clean_error_or_an_exact_account(tmp_path, monkeypatch, files, mode, order) -> None:
    monkeypatch.chdir(tmp_path)
    folder = Path(f"in_{abs(hash(str(files))) % 10**9}")
    for name, rows, encoding in files:
        write_export(folder / name, HEADER, rows, encoding=encoding)
    params = ingest_params(folder.as_posix(), on_bad_rows=mode, file_order=order)
    try:
        result = ingest(params)
    except PlancastError as exc:
        assert "\n" not in str(exc)
        with pytest.raises(PlancastError, match=f"^{re.escape(str(exc))}$"):
            every_cell_first(params)  # the same error, whichever file is read first
        return
    same_result(result, every_cell_first(params))
    m = result.metrics
    assert accounted(m)
    assert m["rows_rejected"] == len(result.rejects) == sum(result.sources["rejects_by_reason"].values())
    assert m["rows_superseded"] == len(result.conflicts)
    assert not result.snapshots.duplicated(["part", "snapshot_time"]).any()
    assert mode == "quarantine" or result.rejects.empty
    # on to the calendar and the windows: a day without a snapshot is a row, and no window spans it
    daily = lay_on_calendar(last_snapshot_per_day(result.snapshots), Calendar(weekmask="1111111"))
    columns = {str(part): ["target"] for part in daily["part"].unique()}
    windows = make_windows(daily, {"columns": columns}, 2, [1])
    days = daily[daily["present"]]
    present = {(str(part), int(position)) for part, position in zip(days["part"], days["position"], strict=True)}
    for part, position in zip(windows.part, windows.position, strict=True):
        assert all((str(part), int(position) + step) in present for step in (-1, 0, 1))


def every_cell_first(params: IngestParams) -> IngestResult:
    """Ingest as it was before it validated each file as it read it: every file's cells, then validation."""
    files = source_files(params.source, params.pattern)
    required = required_columns(params)
    sheets = [sheet for file in files for sheet in read_sheets(file, encoding=params.encoding, required=required)]
    return canonical_snapshots(sheets, params, files=files)


def same_result(result: IngestResult, expected: IngestResult) -> None:
    pd.testing.assert_frame_equal(result.snapshots, expected.snapshots)
    pd.testing.assert_frame_equal(result.rejects, expected.rejects)
    pd.testing.assert_frame_equal(result.conflicts, expected.conflicts)
    assert result.metrics == expected.metrics
    assert result.sources["rejects_by_reason"] == expected.sources["rejects_by_reason"]


def test_errors_keep_their_order_though_each_file_is_validated_as_it_is_read(tmp_path, monkeypatch) -> None:
    """A bad row in the first file, a header error in the second: the header error comes first, as when
    every file was read before any row was judged (the column checks run over all sheets first)."""
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/a.csv"), HEADER, [*ROWS, ["P100", "Part 94", "x", 1, 1, "EA", 202109130900]])
    twice = [*HEADER[:4], HEADER[3], *HEADER[5:]]  # D+1 twice instead of D+1, D+2
    write_export(Path("exports/b.csv"), twice, ROWS)
    with pytest.raises(InputDataError, match=r"exports/b\.csv: columns .* are both horizon 1"):
        ingest(ingest_params("exports"))
    Path("exports/b.csv").unlink()
    with pytest.raises(InputDataError, match=r"exports/a\.csv, row 5, column .*: 'x' is not a number"):
        ingest(ingest_params("exports"))
    params = ingest_params("exports", on_bad_rows="quarantine")
    same_result(ingest(params), every_cell_first(params))


# ------------------------------------------------------------------------------------------------ stage


def _stage():
    spec = importlib.util.spec_from_file_location("ingest_stage", REPO / "stages" / "ingest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage_outputs_are_byte_identical_across_runs(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("data/raw/in.xls"), HEADER, [*ROWS, ["P100", "Part 94", "?", 1, 1, "EA", 202109140632]])
    write_export(Path("data/raw/later.csv"), HEADER, [["P100", "Part 95", 114, 0, 274, "EA", 202109131830]])
    params = Params.model_construct(ingest=ingest_params("data/raw", on_bad_rows="quarantine"), daily=DailyParams())
    stage = _stage()
    invoke("ingest", stage.main, params)
    interim = ["data/interim/snapshots.parquet", "data/interim/rejects.csv", "data/interim/conflicts.csv"]
    outputs = [*interim, "metrics/ingest.json"]
    first = [Path(p).read_bytes() for p in outputs]
    invoke("ingest", stage.main, params)
    assert [Path(p).read_bytes() for p in outputs] == first
    # The second run reads both files from the parsed-file cache: same bytes, rejects included.
    assert capsys.readouterr().out.splitlines() == [
        "ingest: 3 snapshots of 2 parts (2 horizons) from 2 file(s); 1 rejected, 0 repeats merged, "
        f"1 superseded by a later file; {parsed} file(s) parsed, {2 - parsed} from the cache"
        for parsed in (2, 0)
    ]
    assert Path("data/interim/rejects.csv").read_text(encoding="utf-8").splitlines() == [
        "source_file,sheet,source_row,column,reason",
        "data/raw/in.xls,Sheet1,5,D일 투입예정 수량(D일계획),'?' is not a number",
    ]
    assert Path("data/interim/conflicts.csv").read_text(encoding="utf-8").splitlines() == [
        ",".join(CONFLICT_COLUMNS),
        "Part 95,2021-09-13 18:30:00,data/raw/later.csv,,2,data/raw/in.xls,Sheet1,2,target: 113 -> 114",
    ]


def _run_ingest_stage(folder: Path, ingest_yaml: str) -> subprocess.CompletedProcess[str]:
    """``python stages/ingest.py`` in ``folder`` with the smallest valid params.yaml around ``ingest_yaml``
    (the schema wants one model to train)."""
    (folder / "params.yaml").write_text(
        "ingest:\n" + ingest_yaml + "train:\n  models: [m]\nmodels:\n  m:\n    layers: [{type: lstm, units: 1}]\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PLANCAST_PARAMS"}
    return subprocess.run(
        [sys.executable, str(REPO / "stages" / "ingest.py")], cwd=folder, capture_output=True, text=True, env=env
    )


def test_stage_bad_input_is_one_line_and_exit_2(tmp_path) -> None:
    write_export(tmp_path / "data/raw/in.csv", HEADER, [[*ROWS[0][:2], -4, *ROWS[0][3:]]])
    done = _run_ingest_stage(tmp_path, "  source: data/raw/in.csv\n")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: data/raw/in.csv, row 2, column 'D일 투입예정 수량(D일계획)': negative quantity -4"
        + NEGATIVE_HINT
        + "\n"
    )


def test_stage_empty_export_is_one_line_and_exit_2(tmp_path) -> None:
    write_export(tmp_path / "data/raw/exports/20251103.csv", HEADER, ROWS)
    (tmp_path / "data/raw/exports/20251104.csv").write_bytes(b"")
    done = _run_ingest_stage(tmp_path, "  source: data/raw/exports\n  on_bad_rows: quarantine\n")
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: data/raw/exports/20251104.csv: the file is empty (0 bytes): a failed export? export it again or "
        "remove it\n"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ingest: {timezone: Seoul}", "ingest.timezone: must be an IANA time zone name such as Asia/Seoul or UTC, "
         "or null (got 'Seoul')"),
        ("ingest: {max_quantity: .inf}", "ingest.max_quantity: Input should be a finite number (got inf)"),
        ("ingest: {max_quantity: 0}", "ingest.max_quantity: Input should be greater than 0 (got 0)"),
        ("ingest: {max_quantity: true}", "ingest.max_quantity: must be a number > 0, e.g. 1e9 (got True)"),
        ("ingest: {part_digits: 0}", "ingest.part_digits: must be null (as written), distinct, or a number of "
         "digits 1 .. 40 (got 0)"),
        ("ingest: {part_digits: keep}", "ingest.part_digits: must be null (as written), distinct, or a number of "
         "digits 1 .. 40 (got 'keep')"),
        ("daily: {stray_share: 1.5}", "daily.stray_share: Input should be less than or equal to 1 (got 1.5)"),
    ],
)  # fmt: skip
def test_ingest_params_are_checked_with_their_key(line: str, message: str) -> None:
    with pytest.raises(ParamsError) as caught:
        parse_params(yaml.safe_load(line))
    assert str(caught.value) == f"params.yaml: {message}"
    good = parse_params(yaml.safe_load("ingest: {timezone: Asia/Seoul, part_digits: 6, max_quantity: 1.0e+12}"))
    assert (good.ingest.timezone, good.ingest.part_digits, good.ingest.max_quantity) == ("Asia/Seoul", 6, 1e12)
    assert (IngestParams().timezone, IngestParams().part_digits, IngestParams().max_quantity) == (None, None, 1e9)
    assert DailyParams().stray_share == 0.5


def test_stage_absolute_pattern_is_one_line_and_exit_2(tmp_path) -> None:
    (tmp_path / "data/raw/x").mkdir(parents=True)
    (tmp_path / "params.yaml").write_text(
        "ingest:\n  source: data/raw/x\n  pattern: /etc/*\n"
        "train:\n  models: [m]\nmodels:\n  m:\n    layers: [{type: lstm, units: 1}]\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "PLANCAST_PARAMS"}
    done = subprocess.run(
        [sys.executable, str(REPO / "stages" / "ingest.py")], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: params.yaml: ingest.pattern: must be a glob relative to ingest.source")
    assert done.stderr.count("\n") == 1
