"""Tests of reading: which files are read (and which are refused), formats, encodings, where the header is."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest
from export_files import HEADER, PART, ROWS, TARGET, TIME, ingest_params, write_export

from plancast.data.ingest import ingest
from plancast.data.reading import decode_text, natural_key, read_sheets, source_files
from plancast.errors import InputDataError, ParamsError

REQUIRED = [PART, TIME, TARGET]


# ------------------------------------------------------------------------------------------------ files


def test_folder_files_by_pattern_sorted_without_hidden_or_lock_files(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/2021-09-14.csv"), HEADER, ROWS)
    write_export(Path("exports/2021-09-13.xlsx"), HEADER, ROWS)
    Path("exports/.~lock.csv").write_text("junk")
    Path("exports/~$2021-09-13.xlsx").write_text("junk")
    assert source_files("exports", "*.csv") == ["exports/2021-09-14.csv"]
    assert source_files("exports", "2021-*") == ["exports/2021-09-13.xlsx", "exports/2021-09-14.csv"]


def test_folder_files_in_natural_order(tmp_path, monkeypatch) -> None:
    """Issue 22 case 3: export_9 sorted after export_10 as text, so under file_order: name the older
    revision won. Digit runs compare as numbers; export_09 and export_9 tie and go by text."""
    monkeypatch.chdir(tmp_path)
    for name in ("export_10.csv", "export_9.csv", "export_09.csv", "export_100.csv", "export_2a.csv", "Export_1.csv"):
        write_export(Path("exports") / name, HEADER, ROWS)
    assert source_files("exports", "*") == [
        "exports/Export_1.csv", "exports/export_2a.csv", "exports/export_09.csv", "exports/export_9.csv",
        "exports/export_10.csv", "exports/export_100.csv",
    ]  # fmt: skip
    assert sorted(["b/x10", "b/x9", "a10/x", "a9/x"], key=natural_key) == ["a9/x", "a10/x", "b/x9", "b/x10"]


def test_missing_source_and_empty_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputDataError, match=r"^nope.xls: no such file or folder \(ingest.source\)$"):
        source_files("nope.xls", "*")
    Path("empty").mkdir()
    with pytest.raises(InputDataError, match=r"^empty: no file in the folder matches ingest.pattern '\*.xls'$"):
        source_files("empty", "*.xls")


@pytest.mark.parametrize("pattern", ["../../../../elsewhere/*", "sub/../../*", "/etc/*", "/abs/x.csv"])
def test_pattern_that_leaves_the_source_is_a_one_line_params_error(tmp_path, monkeypatch, pattern) -> None:
    monkeypatch.chdir(tmp_path)
    Path("data/raw/x").mkdir(parents=True)
    with pytest.raises(ParamsError, match=r"^ingest.pattern: ") as caught:
        source_files("data/raw/x", pattern)
    assert "\n" not in str(caught.value)
    with pytest.raises(ParamsError, match=r"^ingest.pattern: "):  # also when params were not validated
        ingest(ingest_params("data/raw/x").model_copy(update={"pattern": pattern}))


def test_link_to_a_file_outside_the_project_is_refused_without_its_content(tmp_path, monkeypatch) -> None:
    outside = tmp_path / "elsewhere"
    project = tmp_path / "project"
    write_export(outside / "secret.csv", ["top secret line", "x"], [["1", "2"]])
    (project / "data/raw/x").mkdir(parents=True)
    os.symlink(outside / "secret.csv", project / "data/raw/x/export.csv")
    os.symlink(outside, project / "data/raw/linked_folder")
    monkeypatch.chdir(project)
    for source in ("data/raw/x", "data/raw/x/export.csv", "data/raw/linked_folder"):
        with pytest.raises(InputDataError, match=r"refused: it resolves .* outside the project folder") as caught:
            ingest(ingest_params(source))
        assert "top secret line" not in str(caught.value) and "\n" not in str(caught.value)


def test_link_inside_the_project_is_read(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("data/raw/real.csv"), HEADER, ROWS)
    Path("data/raw/x").mkdir()
    os.symlink(tmp_path / "data/raw/real.csv", "data/raw/x/link.csv")
    assert ingest(ingest_params("data/raw/x")).metrics["rows_kept"] == 3


# ---------------------------------------------------------------------------------------------- formats


@pytest.mark.parametrize(("suffix", "sheet"), [(".xls", "Sheet1"), (".xlsx", "Sheet1"), (".csv", ""), (".parquet", "")])
def test_each_format_keeps_raw_cells_and_sheet_row_numbers(tmp_path, suffix: str, sheet: str) -> None:
    path = write_export(tmp_path / f"in{suffix}", HEADER, ROWS)
    (raw,) = read_sheets(str(path), required=REQUIRED)
    assert (raw.sheet, raw.header, raw.header_row) == (sheet, HEADER, 1)
    assert raw.cells.shape == (3, 7)
    assert raw.cells[0, 1] == "Part 95"
    assert float(raw.cells[0, 2]) == 113  # a number in a workbook, text in a CSV: validation reads both
    assert raw.encoding == ("utf-8" if suffix == ".csv" else "")


def test_csv_row_longer_than_the_header_keeps_its_length(tmp_path) -> None:
    lines = [",".join(HEADER)] + [",".join(str(v) for v in r) for r in ROWS]
    lines[2] += ",surprise"
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw,) = read_sheets(str(tmp_path / "in.csv"))
    assert raw.cells.shape == (3, 8) and raw.lengths.tolist() == [7, 8, 7]
    assert raw.cells[1, 7] == "surprise" and raw.cells[0, 7] == ""


@pytest.mark.parametrize(("name", "engine"), [("bad.xls", "calamine"), ("bad.xls", "xlrd"), ("bad.xlsx", "calamine")])
def test_corrupt_workbook_is_one_line(tmp_path, name: str, engine: str) -> None:
    (tmp_path / name).write_bytes(b"this is not a workbook" * 50)
    with pytest.raises(InputDataError, match=r"bad.xlsx?: cannot read the workbook \(") as caught:
        read_sheets(str(tmp_path / name), xls_engine=engine)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("suffix", [".csv", ".xls", ".xlsx", ".parquet"])
def test_a_0_byte_file_is_an_error_not_a_file_passed_over(tmp_path, monkeypatch, suffix: str) -> None:
    """Issue 22 case 4: a 0-byte CSV next to good data appeared nowhere: not in the rows, not in the
    metrics. A file that holds nothing is most often a failed export; its day must not go missing
    silently, under on_bad_rows: quarantine too (a whole file is not a bad row)."""
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/a.csv"), HEADER, ROWS)
    Path(f"exports/b{suffix}").write_bytes(b"")
    for mode in ("error", "quarantine"):
        with pytest.raises(InputDataError) as caught:
            ingest(ingest_params("exports", on_bad_rows=mode))
        assert str(caught.value) == (
            f"exports/b{suffix}: the file is empty (0 bytes): a failed export? export it again or remove it"
        )


def test_a_file_without_a_single_cell_is_an_error(tmp_path) -> None:
    (tmp_path / "blank.csv").write_text("\n \n\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.create_sheet("Other")
    book.save(tmp_path / "empty.xlsx")
    for name in ("blank.csv", "empty.xlsx"):
        with pytest.raises(InputDataError) as caught:
            read_sheets(str(tmp_path / name), required=REQUIRED)
        assert str(caught.value) == (
            f"{tmp_path / name}: no cell in any sheet read: a failed export? export it again or remove it"
        )


def test_corrupt_parquet_and_unsupported_type(tmp_path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 nonsense")
    with pytest.raises(InputDataError, match=r"bad.parquet: cannot read as Parquet \("):
        read_sheets(str(tmp_path / "bad.parquet"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputDataError, match=r"notes.txt: unsupported file type '.txt'"):
        read_sheets(str(tmp_path / "notes.txt"))


# -------------------------------------------------------------------------------------------- encodings


def test_auto_encoding_utf8_bom_and_cp949() -> None:
    text = "부품,수량\n"
    assert decode_text("f.csv", text.encode("utf-8")) == (text, "utf-8")
    assert decode_text("f.csv", b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode_text("f.csv", text.encode("cp949")) == (text, "cp949")
    assert decode_text("f.csv", text.encode("cp949"), "cp949") == (text, "cp949")
    with pytest.raises(InputDataError, match=r"^f.csv: not utf-8 text \(byte 0; ingest.encoding\)$"):
        decode_text("f.csv", text.encode("cp949"), "utf-8")
    with pytest.raises(InputDataError, match=r"^f.csv: neither UTF-8 nor cp949 text \(byte \d+\); name the codec"):
        decode_text("f.csv", b"\xff\xfe\xff\x00\x80\x80", "auto")


def test_cp949_export_is_read_and_its_encoding_reported(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_export(Path("exports/a.csv"), HEADER, [[*ROWS[0][:5], "개", ROWS[0][6]]], encoding="cp949")
    write_export(Path("exports/b.csv"), HEADER, ROWS[1:], encoding="utf-8-sig")
    result = ingest(ingest_params("exports"))
    assert result.sources["encodings"] == {"exports/a.csv": "cp949", "exports/b.csv": "utf-8-sig"}
    assert result.metrics["rows_kept"] == 3


# ----------------------------------------------------------------------------------------------- header


def _titled_xlsx(path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Plan"
    ws.append(["Daily input plan, exported 2021-09-13"])
    ws.append([])
    ws.append(["Plant: P100", "", TARGET])  # names the target but not the part: not the header
    for row in [HEADER, *ROWS]:
        ws.append(row)
    book.save(path)


def test_header_row_auto_skips_a_title_block_and_n_names_it(tmp_path) -> None:
    _titled_xlsx(tmp_path / "in.xlsx")
    (auto,) = read_sheets(str(tmp_path / "in.xlsx"), required=REQUIRED)
    assert (auto.header_row, auto.header, auto.cells.shape[0]) == (4, HEADER, 3)
    (fourth,) = read_sheets(str(tmp_path / "in.xlsx"), header_row=4)
    assert fourth.header == HEADER
    (first,) = read_sheets(str(tmp_path / "in.xlsx"), header_row=1)
    assert first.header[0] == "Daily input plan, exported 2021-09-13"


def test_header_row_auto_finds_a_header_with_one_name_off_below_a_title(tmp_path) -> None:
    """A header naming two of the three required columns is the header, not the title above it, so the
    error names the column that is off ('Part Numbr') instead of skipping the sheet as notes."""
    near = ["Plant", "Part Numbr", *HEADER[2:]]
    lines = ["Daily input plan", ",".join(near)] + [",".join(str(v) for v in r) for r in ROWS]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw,) = read_sheets(str(tmp_path / "in.csv"), required=REQUIRED)
    assert (raw.header_row, raw.header, raw.rows) == (2, near, 3)


def test_header_row_auto_in_csv_below_a_title_line(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    lines = ["Daily input plan", ",".join(HEADER)] + [",".join(str(v) for v in r) for r in ROWS]
    Path("in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest(ingest_params("in.csv"))
    assert sorted(result.snapshots["source_row"].tolist()) == [3, 4, 5]
    with pytest.raises(InputDataError, match=r"^in.csv: no column 'Part Number' \(ingest.part_column\)"):
        ingest(ingest_params("in.csv", header_row=1))


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
    result = ingest(ingest_params("in.xlsx"))
    assert sorted(result.snapshots["source_row"].tolist()) == [4, 6]
    assert result.metrics["rows_blank"] == 1
