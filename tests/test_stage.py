"""The common stage edge: declared params and files only, and a missing input named in one line."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plancast import catalog
from plancast.errors import InputDataError
from plancast.features.windows import Windows
from plancast.params import load_params, parse_params
from plancast.stage import ParamsView, StageIO, _Recorder, unwrap

ROOT = Path(__file__).resolve().parents[1]


def _recorder(stage: str, item: str | None = None) -> _Recorder:
    return _Recorder(catalog.STAGES[stage], item)


def test_params_view_records_declared_keys_and_refuses_others():
    recorder = _recorder("window")
    params = ParamsView(parse_params({}), "", recorder)
    assert params.window.lookback == 10
    assert recorder.params == {"window.lookback"}
    with pytest.raises(RuntimeError, match=r"stage window reads params key 'train.seed'"):
        _ = params.train.seed


def test_params_view_expands_the_foreach_item_and_unwraps_whole_sections():
    recorder = _recorder("train", "lstm")
    params = ParamsView(load_params(ROOT / "params.yaml"), "", recorder)
    spec = unwrap(params.models["lstm"])
    assert spec.layers[0].units == 30 and recorder.params == {"models.lstm"}
    with pytest.raises(RuntimeError, match=r"models\.gru"):
        _ = params.models["gru"].epochs


def test_stage_io_hands_out_declared_paths_only_and_names_the_producer(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    io = StageIO(_recorder("evaluate"))
    assert io.write(catalog.SUMMARY_METRICS) == Path("metrics/summary.json")
    with pytest.raises(InputDataError, match=r"^models/gru: not found \(run `dvc repro train@gru` first\)$"):
        io.read(catalog.MODEL, "gru")
    with pytest.raises(RuntimeError, match="does not declare"):
        io.write(catalog.FORECAST)


@pytest.mark.parametrize(
    ("stage", "args", "missing", "producer"),
    [
        ("daily_last", [], "data/interim/snapshots.parquet", "ingest"),
        ("train", ["lstm"], "data/prepared/splits.npz", "split_scale"),
        ("evaluate", [], "models/lstm_sigmoid", "train@lstm_sigmoid"),
        ("forecast", [], "models/lstm_sigmoid", "train@lstm_sigmoid"),
    ],
)
def test_stage_without_its_inputs_exits_2_with_one_line(tmp_path, stage, args, missing, producer):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    result = subprocess.run(
        [sys.executable, str(ROOT / "stages" / f"{stage}.py"), *args],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {missing}: not found (run `dvc repro {producer}` first)"]


def test_trace_records_what_a_stage_read_and_wrote(tmp_path):
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    env = {"PLANCAST_TRACE": str(tmp_path / "trace"), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "stages" / "make_sample.py")], cwd=tmp_path, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    trace = json.loads((tmp_path / "trace" / "make_sample.json").read_text())
    assert trace["reads"] == []
    assert trace["writes"] == ["data/raw/plan_exports", "data/raw/plan_sample.xls", "data/raw/seed_a.csv"]
    assert trace["params"] == ["sample"]


def _run(stage: str, folder: Path) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "params.yaml", folder / "params.yaml")
    return subprocess.run(
        [sys.executable, str(ROOT / "stages" / f"{stage}.py")], cwd=folder, capture_output=True, text=True, check=False
    )


def _windows(folder: Path) -> Path:
    """A valid windows.npz of one part (20 one-day windows), as stage window writes it."""
    n = 20
    values = np.arange(n, dtype=np.float64)
    windows = Windows(values[:, None, None], values[:, None] + 1, np.zeros((n, 1)), np.array(["P1"] * n),
                      np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64), np.array([1]),
                      np.array(["target"]), np.arange(n + 1, dtype=np.int64))  # fmt: skip
    path = folder / catalog.WINDOWS.path
    windows.save(path)
    return path


def _garbage_parquet(folder: Path) -> None:
    (folder / "data/interim").mkdir(parents=True)
    (folder / catalog.TRAINING_DAILY.path).write_bytes(b"PAR1 this is not a table")


def _npz_cut_short(folder: Path) -> None:
    path = _windows(folder)
    path.write_bytes(path.read_bytes()[:100])


def _garbage_json(folder: Path) -> None:
    (folder / "data/interim").mkdir(parents=True)
    pd.DataFrame({"part": ["P1"], "day": [pd.Timestamp("2025-01-06")], "target": [1.0]}).to_parquet(
        folder / catalog.TRAINING_DAILY.path
    )
    (folder / "data/features").mkdir(parents=True)
    (folder / catalog.FEATURES.path).write_text('{"columns": {"P1": ["target"', encoding="utf-8")


@pytest.mark.parametrize(
    ("stage", "make", "line"),
    [
        (
            "correlate",
            _garbage_parquet,
            "data/interim/training_daily.parquet: is not a readable parquet file (ArrowInvalid: Parquet magic bytes "
            "not found in footer. Either the file is corrupted or this is not a parquet file.); rerun `dvc repro "
            "daily_last`",
        ),
        (
            "split_scale",
            _npz_cut_short,
            "data/windows/windows.npz: is not a readable npz file (BadZipFile: File is not a zip file); "
            "rerun `dvc repro window`",
        ),
        (
            "window",
            _garbage_json,
            "data/features/features.json: is not a readable json file (JSONDecodeError: Expecting ',' delimiter: "
            "line 1 column 29 (char 28)); rerun `dvc repro select_features`",
        ),
    ],
)
def test_an_input_that_is_not_its_format_names_the_file_and_its_stage(tmp_path, stage, make, line):
    # issue 22 case 8: a garbage daily table gave an ArrowInvalid traceback
    make(tmp_path)
    result = _run(stage, tmp_path)
    assert (result.returncode, result.stderr.splitlines()) == (2, [f"error: {line}"])


def test_an_output_whose_folder_cannot_be_made_names_the_path(tmp_path):
    _windows(tmp_path)
    (tmp_path / "data/prepared").write_text("a file where the folder of splits.npz goes\n", encoding="utf-8")
    (tmp_path / "metrics").mkdir()
    result = _run("split_scale", tmp_path)
    assert (result.returncode, result.stderr.splitlines()) == (
        2, ["error: data/prepared/splits.npz: cannot be written (File exists)"]
    )  # fmt: skip


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[str]:
    """``folder`` read-only for this process, and the OS's reason a write into it then fails. Root writes
    into a folder without write permission, so as root the folder is made immutable (chattr +i) instead."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield "Permission denied"
        finally:
            folder.chmod(0o755)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)], check=False).returncode:
        pytest.skip("running as root where chattr +i is not available: no folder is read-only")
    try:
        yield "Operation not permitted"
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_read_only_output_folder_names_the_path_and_loses_nothing(tmp_path):
    # issue 22 case 8: an unwritable output folder gave a PermissionError traceback
    _windows(tmp_path)
    assert _run("split_scale", tmp_path).returncode == 0
    prepared = tmp_path / "data/prepared"
    before = {path.name: path.read_bytes() for path in prepared.iterdir()}
    with _read_only(prepared) as reason:
        result = _run("split_scale", tmp_path)
    assert (result.returncode, result.stderr.splitlines()) == (
        2, [f"error: data/prepared/splits.npz: cannot be written ({reason})"]
    )  # fmt: skip
    assert {path.name: path.read_bytes() for path in prepared.iterdir()} == before
