"""Small planning exports written the way a user's tool writes them, for the tests of plancast.data."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import xlwt

from plancast.params_ingest import IngestParams

PART = "Part Number"
TARGET = "D일 투입예정 수량(D일계획)"
TIME = "CRET_TIME"
H = ["D+1일 투입예정 수량(Total)", "D+2일 투입예정 수량(Total)"]
HEADER = ["Plant", PART, TARGET, *H, "Unit", TIME]

# Three snapshots of two parts on Monday 2021-09-13, file order deliberately not sorted by part or time.
ROWS = [
    ["P100", "Part 95", 113, 0, 274, "EA", 202109131830],
    ["P100", "Part 94", 42, 32, 30, "EA", 202109131830],
    ["P100", "Part 94", 40, 30, 30, "EA", 202109130632],
]

NEGATIVE_HINT = " (set ingest.allow_negative: true for a signed series)"


def write_export(
    path: Path, header: list[Any], rows: list[list[Any]], sheet: str = "Sheet1", encoding: str = "utf-8"
) -> Path:
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
        with open(path, "w", encoding=encoding, newline="") as handle:
            csv.writer(handle).writerows([header, *[["" if v is None else v for v in r] for r in rows]])
    elif path.suffix == ".parquet":
        pd.DataFrame(rows, columns=header).to_parquet(path, index=False)
    return path


def ingest_params(source: str = "in.xls", **kwargs: Any) -> IngestParams:
    return IngestParams(source=source, max_horizon=kwargs.pop("max_horizon", 12), **kwargs)


def expected_rows(file: str, sheet: str) -> pd.DataFrame:
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
