"""plancast.pipeline: the data stages in memory give what the stage scripts write; overrides change them;
the whole pipeline runs in memory through forecast."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from plancast import catalog
from plancast.artifacts import load_npz, read_json, round_floats
from plancast.errors import ParamsError
from plancast.features.splits import Splits
from plancast.features.windows import Windows
from plancast.names import PLAN_BASELINE, RECOMMENDED
from plancast.params import apply_overrides, load_params, with_overrides
from plancast.pipeline import run as pipeline

ROOT = Path(__file__).resolve().parents[1]
TINY = {"sample.parts": 3, "sample.days": 45, "window.lookback": 5, "window.delays": [1, 2], "train.until": None}
SCRIPTS = ("make_sample", *pipeline.STAGES[: pipeline.STAGES.index("split_scale") + 1])


def _as_written(data: object, digits: int = 6) -> object:
    """``data`` as write_json writes it and read_json reads it back."""
    return json.loads(json.dumps(round_floats(data, digits), sort_keys=True))


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A folder where make_sample and the six data stage scripts ran on the tiny sample."""
    folder = tmp_path_factory.mktemp("pipeline")
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    (folder / "params.yaml").write_text(yaml.safe_dump(apply_overrides(raw, TINY)), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")}
    for script in SCRIPTS:
        result = subprocess.run(
            [sys.executable, str(ROOT / "stages" / f"{script}.py")], cwd=folder, env=env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"{script}: {result.stderr}"
    return folder


def test_the_in_memory_run_equals_what_the_stage_scripts_write(project, monkeypatch):
    monkeypatch.chdir(project)
    made = pipeline.run(load_params(project / "params.yaml"))
    at = project.joinpath

    pd.testing.assert_frame_equal(made.ingested.snapshots, pd.read_parquet(at(catalog.SNAPSHOTS.path)))
    assert _as_written(made.ingested.metrics) == read_json(at(catalog.INGEST_METRICS.path))
    pd.testing.assert_frame_equal(made.daily.table, pd.read_parquet(at(catalog.DAILY.path)))
    pd.testing.assert_frame_equal(made.daily.training, pd.read_parquet(at(catalog.TRAINING_DAILY.path)))
    assert _as_written(made.daily.summary["parts"]) == read_json(at(catalog.DAILY_PARTS.path))["parts"]
    written = pd.read_csv(at(catalog.CORRELATION.path), dtype={"part": str})
    pd.testing.assert_frame_equal(made.correlation.table, written, check_dtype=False, rtol=1e-5)
    assert _as_written(made.correlation.summary["parts"]) == read_json(at(catalog.CORRELATION_PARTS.path))["parts"]
    assert _as_written(made.features) == read_json(at(catalog.FEATURES.path))

    windows = Windows.load(at(catalog.WINDOWS.path))
    for field in dataclasses.fields(Windows):
        np.testing.assert_array_equal(getattr(made.windowed.windows, field.name), getattr(windows, field.name))
    assert _as_written(made.windowed.report["parts"]) == read_json(at(catalog.WINDOW_PARTS.path))

    splits = Splits.from_arrays(load_npz(at(catalog.SPLITS.path))).to_arrays()
    for name, array in made.prepared.splits.to_arrays().items():
        np.testing.assert_array_equal(array, splits[name], err_msg=name)
    assert _as_written(made.prepared.scalers.to_json(), 17) == read_json(at(catalog.SCALERS.path))
    metrics = {key: value for key, value in made.prepared.report.items() if key != "parts"}
    assert _as_written(metrics) == read_json(at(catalog.SPLIT_METRICS.path))


def test_a_prefix_stops_where_asked(project, monkeypatch):
    monkeypatch.chdir(project)
    made = pipeline.run(load_params(project / "params.yaml"), until="daily_last")
    assert made.daily is not None and made.correlation is None and made.prepared is None
    assert made.daily.training_parts == ["Part 1", "Part 2", "Part 3"]


def test_a_lookback_override_changes_the_windows_shape(project, monkeypatch):
    monkeypatch.chdir(project)
    params = load_params(project / "params.yaml")
    ingested = pipeline.ingest(params.ingest, params.daily)
    base = pipeline.run(params, until="window", ingested=ingested).windowed.windows
    longer = pipeline.run(with_overrides(params, {"window.lookback": 7}), until="window", ingested=ingested)
    inputs = longer.windowed.windows.inputs
    assert base.inputs.shape[1:] == (5, base.inputs.shape[2]) and inputs.shape[1:] == (7, base.inputs.shape[2])
    # two more days of history per window: two fewer windows per part wherever no gap intervenes
    assert inputs.shape[0] <= base.inputs.shape[0] - 2 * 3


def test_a_cut_keeps_the_later_days_out_of_training_only(project, monkeypatch):
    monkeypatch.chdir(project)
    params = load_params(project / "params.yaml")
    ingested = pipeline.ingest(params.ingest, params.daily)
    every_day = pipeline.run(params, until="window", ingested=ingested)
    days = sorted(every_day.daily.table["day"].unique())
    cut = pd.Timestamp(days[-6])  # five working days before the data ends
    made = pipeline.run(with_overrides(params, {"train.until": f"{cut:%Y-%m-%d}"}), until="window", ingested=ingested)
    pd.testing.assert_frame_equal(made.daily.table, every_day.daily.table)  # what the forecast reads
    assert made.daily.until == cut and made.daily.training["day"].max() == cut
    windows = made.windowed.windows
    assert windows.days[windows.position.max() + max(windows.delays)] == cut  # the latest target: the cut
    assert len(windows.part) == len(every_day.windowed.windows.part) - 5 * 3  # five days fewer, three parts


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"window.lookbak": 7}, "overrides: window.lookbak: is not a known parameter"),
        ({"windw.lookback": 7}, "overrides: windw: is not a section of params.yaml"),
        ({"window.lookback": 0}, "overrides: window.lookback: Input should be greater than or equal to 1 (got 0)"),
    ],
)
def test_a_bad_override_is_one_line_naming_its_key(overrides, line):
    with pytest.raises(ParamsError) as info:
        with_overrides(load_params(ROOT / "params.yaml"), overrides)
    assert str(info.value) == line


def test_overrides_leave_the_rest_and_the_original_untouched():
    params = load_params(ROOT / "params.yaml")
    changed = with_overrides(params, {"window.delays": [1, 3], "models.lstm.epochs": 2})
    assert changed.window.delays == [1, 3] and changed.models["lstm"].epochs == 2
    assert params.window.delays != [1, 3] or params.models["lstm"].epochs != 2
    assert changed.split_scale == params.split_scale and with_overrides(params, {}) == params


def test_a_name_that_is_not_a_stage_is_refused():
    with pytest.raises(ValueError, match="until: 'plots' is not a stage"):
        pipeline.run(load_params(ROOT / "params.yaml"), until="plots")


@pytest.mark.slow
def test_the_whole_pipeline_runs_in_memory_to_the_recommended_forecast(project, monkeypatch):
    """Train (one tiny network, Keras in memory), evaluate and forecast with no file written."""
    monkeypatch.chdir(project)
    params = with_overrides(
        load_params(project / "params.yaml"),
        {"train.models": ["lstm"], "models.lstm.epochs": 1, "evaluate.folds": 1},
    )
    lines: list[str] = []
    made = pipeline.run(params, until="forecast", progress=lines.append)
    assert list(made.models) == ["lstm"] and lines  # one line per epoch
    assert "evaluate: test fold 1/1: boosted fitted on" in " ".join(lines)  # and evaluate's, per step
    assert made.models["lstm"].manifest.delays == (1, 2)
    assert {"lstm", PLAN_BASELINE, RECOMMENDED} <= set(made.evaluation.scores["test"])
    frame = made.forecast.frame
    recommended = frame[frame["model"] == RECOMMENDED]
    assert sorted(recommended["part"].unique()) == ["Part 1", "Part 2", "Part 3"]
    assert sorted(recommended["step_ahead"].unique()) == [1, 2]
    assert recommended["forecast"].notna().all() and (recommended["lower_95"] <= recommended["upper_95"]).all()
    assert not (project / "models").exists()  # nothing written
