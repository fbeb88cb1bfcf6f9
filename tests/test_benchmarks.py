"""Every benchmark runs at its smallest size and prints its figures (a smoke test: the numbers are not checked).

Each runs as a user runs it, ``python benchmarks/<name>.py ...`` in a fresh process, with this checkout's
library first on the path. Not run here at all: train_speed's Seed A part (four networks trained to the
end twice, minutes; ``--skip-seed-a``) and scale.py's ``--evaluate`` (an evaluate stage). The ``slow``
ones import TensorFlow (~10 s each); ray_train and ray_evaluate are run with ``--help`` only (Ray is started
for real in tests/test_training.py and on two nodes in tests/test_ray_cluster_e2e.py); the others take ~55 s
together.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA_STAGES = ["make_sample", "ingest", "daily_last", "correlate", "select_features", "window", "split_scale"]


def bench(name: str, *args: str, cwd: Path = ROOT, timeout: float = 300) -> str:
    """Run ``benchmarks/<name>.py args`` in ``cwd``; its stdout (the test fails on a non-zero exit)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("PLANCAST_PARAMS", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{name} {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def small_project(folder: Path, epochs: int = 1) -> Path:
    """A project folder with the bundled params, every network capped at ``epochs``."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    for spec in params["models"].values():
        spec["epochs"] = epochs
    (folder / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True, sort_keys=False), "utf-8")
    return folder


def test_stage_times_and_train_speed(tmp_path: Path) -> None:
    project = small_project(tmp_path)
    out = bench("stage_times", *DATA_STAGES, "--project", str(project))
    assert "split_scale" in out and "total" in out
    out = bench("train_speed", "--models", "lstm", "--skip-seed-a", cwd=project)
    assert "[pipeline] lstm" in out and "s/epoch" in out


def test_scale(tmp_path: Path) -> None:
    out = bench("scale", "--parts", "24", "--days", "60", "--workdir", str(tmp_path))
    assert "split_scale" in out and "a new day's file at 24 parts" in out


def test_plan_skill() -> None:
    out = bench("plan_skill", "--seeds", "2026", "--regimes", "sharp", "--parts", "6", "--days", "80")
    assert out.splitlines()[1].startswith("sharp    2026")


def test_drift() -> None:
    out = bench("drift", "--parts", "4", "--days", "70", "--live", "10")
    assert "unchanged: retrain" in out and re.search(r"N=7 +K=1: +[-\d]+ \| \d+", out), out


@pytest.mark.slow
def test_scale_models() -> None:
    out = bench("scale_models", "--parts", "24", "--days", "60", "--models", "lstm", "--runs", "1")
    assert re.search(r"lstm +batch +\d+: epoch .* direct forecast of \d+ parts", out)


@pytest.mark.slow
def test_forecast_speed() -> None:
    out = bench("forecast_speed", "--steps", "2", "--runs", "1", "--keras-steps", "1")
    assert "onnx runtime (onnx)" in out


def test_ray_train_parses_its_flags() -> None:
    # Only --help: starting Ray costs ~35 s, and tests/test_training.py already trains per-part networks
    # on a real local Ray and checks the weights equal local's; the whole suite must stay under 10 minutes.
    out = bench("ray_train", "--help")
    assert "--workers" in out and "--parts" in out


def test_ray_evaluate_parses_its_flags() -> None:
    # Only --help: it needs a running cluster (its docstring starts one), which the e2e test starts for real.
    out = bench("ray_evaluate", "--help")
    assert "--address" in out and "--runs" in out
