"""The common stage edge: declared params and files only, and a missing input named in one line."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plancast import catalog
from plancast.errors import InputDataError
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
    assert io.write(catalog.EVALUATE_METRICS) == Path("metrics/evaluate.json")
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
