"""Tests of reading: formats, encodings, where the header is (which files: test_sources.py)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from export_files import HEADER, PART, ROWS, TARGET, TIME, ingest_params, write_export

from plancast.data.ingest import ingest
from plancast.data.reading import decode_text, read_sheets
from plancast.errors import InputDataError

REQUIRED = [PART, TIME, TARGET]


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
