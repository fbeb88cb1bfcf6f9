"""The common stage edge: a missing input names the file and the stage that makes it, in one line."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from plancast.errors import InputDataError
from plancast.stage import require_inputs

ROOT = Path(__file__).resolve().parents[1]


def test_require_inputs_names_the_first_missing_file_and_its_stage(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("present.npz").write_bytes(b"x")
    require_inputs({"present.npz": "window"})
    with pytest.raises(InputDataError, match=r"^missing.json: not found \(run `dvc repro split_scale` first\)$"):
        require_inputs({"present.npz": "window", "missing.json": "split_scale"})


@pytest.mark.parametrize(
    ("stage", "args", "missing", "producer"),
    [
        ("daily_last", [], "data/interim/snapshots.parquet", "ingest"),
        ("train", ["lstm"], "data/prepared/splits.npz", "split_scale"),
        ("evaluate", [], "data/interim/daily.parquet", "daily_last"),
        ("forecast", [], "data/interim/daily.parquet", "daily_last"),
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
