"""The bundled sample written to disk: the export as one Excel 97 ``.xls`` or as one file per working day
(CSV or ``.xlsx``), and Seed A's wave as CSV.

The rows come from :mod:`plancast.data.sample`; every writer here stamps no clock, so the same rows give
the same bytes.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlwt

from plancast.artifacts import atomic_path, write_csv
from plancast.data.sample import daily_exports
from plancast.params_sections import SampleParams

XLS_MAX_ROWS = 65_536  # rows per Excel 97 sheet, header included
NO_EXPORTS_NOTE = ".readme"  # hidden: ingest skips names that start with "."
NO_EXPORTS_TEXT = (
    "No daily exports here: sample.layout is one_file, so the sample's export is one file beside this folder.\n"
    "Set sample.layout: daily_files in params.yaml for one export per working day in this folder.\n"
)


def write_daily_exports(files: list[tuple[int, pd.DataFrame]], folder: str | Path, file_format: str) -> None:
    """Write each day's rows to ``folder/YYYYMMDD.csv`` (or ``.xlsx``); the folder is replaced as a whole.

    CSV: UTF-8, ``\n`` line ends. xlsx: xlsxwriter with a fixed creation date, so the bytes depend on
    the rows only. With no file the folder holds only the hidden :data:`NO_EXPORTS_NOTE`: it is a DVC
    output in both layouts, and DVC warns "is empty" on every run that saves an empty folder.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        if not files:
            (staging / NO_EXPORTS_NOTE).write_text(NO_EXPORTS_TEXT, encoding="utf-8", newline="\n")
        for day, rows in files:
            path = staging / f"{day}.{file_format}"
            if file_format == "csv":
                rows.to_csv(path, index=False, lineterminator="\n")
            else:
                _write_xlsx(rows, path)
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    import xlsxwriter  # only the xlsx daily layout needs it

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"created": datetime(2000, 1, 1)})  # xlsxwriter would stamp the clock
    sheet = workbook.add_worksheet("Sheet1")
    sheet.write_row(0, 0, [str(column) for column in frame.columns])
    for i, record in enumerate(frame.to_numpy(dtype=object).tolist(), start=1):
        sheet.write_row(i, 0, record)
    workbook.close()


def write_export(frame: pd.DataFrame, params: SampleParams, path: str | Path) -> int:
    """Write the export in ``params.layout``: one ``.xls`` at ``path``, or daily files in folder ``path``.

    Returns the number of files written.
    """
    if params.layout == "one_file":
        write_plan_xls(frame, path)
        return 1
    files = daily_exports(frame, params)
    write_daily_exports(files, path, params.daily_format)
    return len(files)


def write_plan_xls(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as an Excel 97 ``.xls`` (xlwt), headers in row 1, numbers as numbers.

    More rows than one sheet holds continue on ``Sheet2``, ``Sheet3`` ... The bytes depend on the
    frame only (xlwt stamps no time), so two runs give identical files.
    """
    per_sheet = XLS_MAX_ROWS - 1
    workbook = xlwt.Workbook(encoding="utf-8")
    columns = [str(column) for column in frame.columns]
    records = frame.to_numpy(dtype=object).tolist()
    for number, first in enumerate(range(0, max(len(records), 1), per_sheet), start=1):
        sheet = workbook.add_sheet(f"Sheet{number}")
        for j, header in enumerate(columns):
            sheet.write(0, j, header)
        for i, record in enumerate(records[first : first + per_sheet], start=1):
            for j, value in enumerate(record):
                sheet.write(i, j, value.item() if isinstance(value, np.generic) else value)
    with atomic_path(path) as tmp:
        workbook.save(str(tmp))


def write_seed_a_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write Seed A's wave as CSV with every float in its shortest exact form (``repr``)."""
    write_csv(path, frame.assign(time_cos=[repr(float(value)) for value in frame["time_cos"]]))
