"""The served model forecasts straight from export files, read and checked as stage ingest reads them."""

import contextlib
import os

import pandas as pd
import pytest
from export_files import write_export
from served_folder import EXPORTS, HEADER, PARTS, READING, export_rows, fitted_folder, pipeline_daily, plant

from plancast.errors import InputDataError
from plancast.params_sections import DailyParams
from plancast.pipeline.daily_last import daily_last
from plancast.pipeline.ingest import ingest
from plancast.serving import load_recommended


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    return plant(tmp_path_factory.mktemp("plant"))


@pytest.fixture(scope="module")
def model(fitted):
    return load_recommended(fitted.folder)


@pytest.fixture
def in_plant(fitted):
    with contextlib.chdir(fitted.root):
        yield fitted.root


def _tree(root):
    return sorted((path.relative_to(root).as_posix(), path.stat().st_mtime_ns) for path in root.rglob("*"))


def test_the_exports_forecast_as_the_pipelines_daily_table_does(fitted, model, in_plant):
    before = _tree(in_plant)
    rows = model.forecast_exports(list(EXPORTS))
    pd.testing.assert_frame_equal(rows, model.forecast(fitted.daily))
    assert sorted(set(rows["part"])) == list(PARTS) and len(rows) == 4
    assert _tree(in_plant) == before  # reads the two files, writes nothing


def test_files_go_in_natural_order_whatever_order_they_are_given(fitted, model, in_plant):
    # export_2 repeats export_1's last snapshots with one target revised: the later file must win
    served = model.serve_exports([EXPORTS[1], EXPORTS[0]])
    pd.testing.assert_frame_equal(served.rows, model.forecast(fitted.daily))
    assert served.as_of == fitted.daily["day"].max() and served.skipped == {}


def test_one_export_alone_is_read_as_ingest_reads_it(model, in_plant):
    snapshots = ingest(READING.model_copy(update={"source": EXPORTS[1]}), DailyParams()).snapshots
    expected = model.forecast(daily_last(DailyParams(), snapshots).table)
    pd.testing.assert_frame_equal(model.forecast_exports([in_plant / EXPORTS[1]]), expected)


@pytest.mark.parametrize(
    ("row", "column", "value"),
    [(17, -1, 202613451830), (30, 1, "many"), (8, 2, -5)],
    ids=["time", "target-text", "negative-plan"],
)
def test_a_bad_cell_stops_with_ingests_own_line(model, in_plant, row, column, value):
    rows = sorted(export_rows(), key=lambda r: r[-1])
    rows[row][column] = value
    bad = write_export(in_plant / "bad/export_3.csv", HEADER, rows)
    with pytest.raises(InputDataError) as served:
        model.forecast_exports(["bad/export_3.csv"])
    with pytest.raises(InputDataError) as staged:
        ingest(READING.model_copy(update={"source": "bad/export_3.csv"}), DailyParams())
    assert str(served.value) == str(staged.value)  # the same line: file, row (as a spreadsheet shows it), column
    assert str(served.value).startswith(f"bad/export_3.csv, row {row + 2}, column ") and "\n" not in str(served.value)
    bad.unlink()


@pytest.mark.parametrize(
    ("paths", "message"),
    [
        ([], "no export file given (name one or more .xls, .xlsx, .csv or .parquet files)"),
        (["exports/none.csv"], "exports/none.csv: no such file"),
        (["served/recommended.json"], "served/recommended.json: unsupported file type '.json' (expected .xls, "),
        (["exports"], "exports: unsupported file type '(none)'"),
    ],
    ids=["none", "missing", "not-an-export", "a-folder"],
)
def test_a_path_that_is_not_an_export_file_is_refused_in_one_line(model, in_plant, paths, message):
    with pytest.raises(InputDataError) as refused:
        model.forecast_exports(paths)
    assert str(refused.value).startswith(message)


def test_only_the_files_given_are_read(fitted, model, in_plant):
    junk = write_export(in_plant / "exports/export_0.csv", ["x"], [["not an export"]])  # beside the given ones
    try:
        pd.testing.assert_frame_equal(model.forecast_exports(list(EXPORTS)), model.forecast(fitted.daily))
    finally:
        junk.unlink()


def test_under_quarantine_bad_rows_are_left_out_and_returned(fitted, tmp_path):
    reading = READING.model_copy(update={"on_bad_rows": "quarantine"})
    model = load_recommended(fitted_folder(fitted.daily, tmp_path / "served", reading))
    rows = sorted(export_rows(), key=lambda r: r[-1])
    rows[0][1] = "n/a"  # part A's first 06:30 snapshot: its 18:30 one is the day's last
    write_export(tmp_path / "exports/export_1.csv", HEADER, rows)
    with contextlib.chdir(tmp_path):
        served = model.serve_exports(["exports/export_1.csv"])
    assert served.rejects[["source_file", "source_row", "column"]].values.tolist() == [
        ["exports/export_1.csv", 2, "D일 투입예정 수량(D일계획)"]
    ]
    pd.testing.assert_frame_equal(served.rows, model.forecast(pipeline_daily(tmp_path, reading)))


def test_no_tensorflow_is_imported_to_serve_exports(fitted):
    import subprocess
    import sys

    code = (
        "import sys\nfrom plancast.serving import load_recommended\n"
        f"load_recommended({str(fitted.folder)!r}).forecast_exports({[str(fitted.root / e) for e in EXPORTS]!r})\n"
        "import plancast.cli, plancast.service\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'sklearn') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert ran.stdout.strip() == "[]"
