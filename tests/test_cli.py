"""``plancast forecast``, the console script, run for real in a subprocess on export files."""

import contextlib
import os
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from served_folder import EXPORTS, plant

from plancast.data.sources import source_files
from plancast.params import load_params
from plancast.serving import load_recommended

ROOT = Path(__file__).resolve().parents[1]


def plancast(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``plancast ARGS`` (as the console script calls :func:`plancast.cli.main`), from this checkout's src."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-c", "from plancast.cli import main; main()", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    return plant(tmp_path_factory.mktemp("plant"))


def test_the_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, function = scripts["plancast"].split(":")
    assert callable(getattr(import_module(module), function))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_forecast_writes_the_served_rows_or_the_workbook(fitted, tmp_path, suffix):
    ran = plancast("forecast", *EXPORTS, "--model", "served", "--out", f"out/forecast{suffix}", cwd=fitted.root)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == f"forecast: 2 part(s), 4 rows -> out/forecast{suffix}\n" and ran.stderr == ""
    model = load_recommended(fitted.folder)
    model.write(model.serve(fitted.daily), tmp_path / f"expected{suffix}")  # the stage's writers, in process
    assert (fitted.root / f"out/forecast{suffix}").read_bytes() == (tmp_path / f"expected{suffix}").read_bytes()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["served/recommended.json"],
            "error: served/recommended.json: unsupported file type '.json' (expected .xls, .xlsx, .csv, .parquet)",
        ),
        ([EXPORTS[0], "--out", "out/f.txt"], "error: --out out/f.txt: must end in .csv or .xlsx"),
        (
            [EXPORTS[0], "--model", "nowhere"],
            "error: nowhere/recommended.json: not found (fetch it: dvc artifacts get <repo> plancast-recommended)",
        ),
    ],
    ids=["not-an-export", "out-suffix", "no-model"],
)
def test_a_users_error_is_one_line_and_status_2_and_writes_nothing(fitted, args, line):
    full = [*args, "--out", "out/bad.csv"] if "--out" not in args else args
    ran = plancast("forecast", *full, *([] if "--model" in args else ["--model", "served"]), cwd=fitted.root)
    assert (ran.returncode, ran.stderr, ran.stdout) == (2, line + "\n", "")
    assert not (fitted.root / "out/bad.csv").exists()


def test_a_bad_cell_names_file_row_and_column(fitted, tmp_path):
    lines = (fitted.root / EXPORTS[1]).read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",2025-13-01"  # the first data row's CRET_TIME
    bad = tmp_path / "export_9.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ran = plancast("forecast", str(bad), "--model", str(fitted.folder), "--out", "x.csv", cwd=tmp_path)
    assert ran.returncode == 2 and not (tmp_path / "x.csv").exists()
    assert ran.stderr.startswith(f"error: {bad}, row 2, column 'CRET_TIME': cannot parse '2025-13-01")
    assert ran.stderr.count("\n") == 1


def test_the_committed_folder_forecasts_the_committed_exports_as_forecast_csv_has_it(tmp_path):
    """After `dvc repro` (or `dvc pull`): the servable folder on the pipeline's own exports gives
    forecast.csv's recommended rows and the very workbook of stage forecast."""
    params = load_params(ROOT / "params.yaml")
    folder, source = ROOT / "serving/recommended", ROOT / params.ingest.source
    if not (folder / "recommended.json").is_file() or not source.exists():
        pytest.skip("serving/recommended or the exports are not here: `dvc pull` or `dvc repro` first")
    with contextlib.chdir(ROOT):  # ingest.source is relative to the project
        exports = [str(ROOT / file) for file in source_files(params.ingest.source, params.ingest.pattern)]
    ran = plancast("forecast", *exports, "--model", str(folder), "--out", str(tmp_path / "x.csv"), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    got = pd.read_csv(tmp_path / "x.csv", dtype={"part": str})
    stage = pd.read_csv(ROOT / "data/reports/forecast.csv", dtype={"part": str})
    expected = stage[stage["model"] == "recommended"].reset_index(drop=True)
    assert list(got.columns) == list(expected.columns) and len(got) == len(expected) > 0
    numbers = ["forecast", "plan", "lower_80", "upper_80", "lower_95", "upper_95"]
    pd.testing.assert_frame_equal(got.drop(columns=numbers), expected.drop(columns=numbers))
    # forecast.csv keeps 6 significant digits; ONNX's float32 trees agree with scikit-learn to ~1e-7
    np.testing.assert_allclose(got[numbers].to_numpy(float), expected[numbers].to_numpy(float), 2e-5, 1e-4)
    ran = plancast("forecast", *exports, "--model", str(folder), "--out", str(tmp_path / "x.xlsx"), cwd=tmp_path)
    assert (tmp_path / "x.xlsx").read_bytes() == (ROOT / "data/reports/forecast.xlsx").read_bytes()
