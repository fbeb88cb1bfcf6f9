"""Time reading the sample ``.xls`` with calamine vs xlrd, raw and through ingest (best of 5).

Run from the repo root: ``python benchmarks/ingest_engines.py [path.xls] [--repeats 5]``. Without a path it reads
``data/raw/plan_sample.xls`` (written by ``python stages/make_sample.py``), or, when that file is not
there, a sample generated from the default ``sample`` params into a temporary folder.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import pandas as pd
import xlrd
from harness import parser, seconds
from python_calamine import CalamineWorkbook

from plancast.data.ingest import canonical_snapshots
from plancast.data.reading import read_sheets
from plancast.data.sample import plan_snapshots, write_plan_xls
from plancast.params_ingest import IngestParams
from plancast.params_sections import SampleParams

DEFAULT_PATH = Path("data/raw/plan_sample.xls")


def raw_calamine(path: str) -> int:
    with CalamineWorkbook.from_path(path) as workbook:
        grids = [workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names]
    return sum(len(grid) for grid in grids)


def raw_xlrd(path: str) -> int:
    book = xlrd.open_workbook(path, on_demand=True)
    rows = 0
    for name in book.sheet_names():
        sheet = book.sheet_by_name(name)
        rows += len([sheet.row_values(r) for r in range(sheet.nrows)])
    book.release_resources()
    return rows


def pandas_read(path: str, engine: str) -> int:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The xlrd engine is deprecated")  # pandas 3
        frames = pd.read_excel(path, sheet_name=None, engine=engine, dtype=object)
    return sum(len(frame) for frame in frames.values())


def through_ingest(path: str, engine: str) -> int:
    params = IngestParams(source="benchmark.xls", xls_engine=engine)  # source only names it in messages
    return len(canonical_snapshots(read_sheets(path, xls_engine=engine), params).snapshots)


def main() -> None:
    arguments = parser(__doc__)
    arguments.add_argument("path", nargs="?", type=Path, help=f"an .xls export (default {DEFAULT_PATH})")
    arguments.add_argument("--repeats", type=int, default=5, help="each case's time is the best of these")
    args = arguments.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.path or DEFAULT_PATH
        if args.path is None and not path.is_file():
            path = Path(folder) / "plan_sample.xls"
            write_plan_xls(plan_snapshots(SampleParams()), path)
            print(f"({DEFAULT_PATH} not found: generated the default sample into a temporary folder)")
        name = str(path)
        rows = raw_calamine(name) - 1
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB, {rows:,} data rows; best of {args.repeats}, seconds")
        cases = [
            ("raw calamine (python_calamine to_python)", lambda: raw_calamine(name)),
            ("raw xlrd (open_workbook + row_values)", lambda: raw_xlrd(name)),
            ("pandas read_excel engine=calamine", lambda: pandas_read(name, "calamine")),
            ("pandas read_excel engine=xlrd", lambda: pandas_read(name, "xlrd")),
            ("ingest read_sheets, calamine", lambda: len(read_sheets(name, xls_engine="calamine"))),
            ("ingest read_sheets, xlrd", lambda: len(read_sheets(name, xls_engine="xlrd"))),
            ("ingest read + validate, calamine", lambda: through_ingest(name, "calamine")),
            ("ingest read + validate, xlrd", lambda: through_ingest(name, "xlrd")),
        ]
        width = max(len(label) for label, _ in cases)
        for label, function in cases:
            print(f"  {label:<{width}}  {min(seconds(function) for _ in range(args.repeats)):7.3f}")


if __name__ == "__main__":
    main()
