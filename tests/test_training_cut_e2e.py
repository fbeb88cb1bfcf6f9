"""End to end, the morning run: a new day's export after ``train.until`` reruns ingest, daily_last, forecast
and monitor only (the real `dvc` on a temporary git repo), and moving the cut retrains.

The project (tests/e2e_project.py's ``morning_project``): the tiny sample as the planning system delivers it
(``sample.layout: daily_files``: one CSV a working day) copied into the user's export folder but for its
last day; the models are trained up to three working days before the last day copied.
"""

from __future__ import annotations

import pandas as pd
import pytest
from e2e_project import Morning, Project

pytestmark = pytest.mark.e2e

TRAINING_DAILY = "data/interim/training_daily.parquet"


@pytest.fixture(scope="module")
def morning(morning_run, tmp_path_factory) -> Morning:
    return morning_run.copy_to(tmp_path_factory.mktemp("plancast_cut") / "project")


def _forecast_days(project: Project) -> pd.Series:
    return pd.to_datetime(pd.read_csv(project.path / "data/reports/forecast.csv")["day"])


def test_a_new_day_after_the_cut_reruns_the_forecast_and_no_training(morning):
    project, days = morning.project, morning.days
    kept = ("metrics/summary.json", "models/lstm/manifest.json", "models/lstm/global.weights.h5", TRAINING_DAILY)
    before = {path: (project.path / path).read_bytes() for path in kept}
    assert _forecast_days(project).min() == days[-1]  # the day after the data: the held-back one
    morning.deliver()

    assert project.repro() == {"ingest", "daily_last", "forecast", "monitor"}
    assert {path: (project.path / path).read_bytes() for path in kept} == before
    assert pd.read_parquet(project.path / "data/interim/daily.parquet")["day"].max() == days[-1]
    assert _forecast_days(project).min() > days[-1]  # from the newest day, by the models of the cut
    assert "up to date" in project.dvc("status").stdout
    project.commit("the new day's forecast")


def test_moving_the_cut_retrains(morning):
    project = morning.project
    project.set_params({"train.until": f"{morning.days[-1]:%Y-%m-%d}"})  # as `dvc exp run -S` writes it
    assert project.repro("daily_last") == {"daily_last"}
    assert pd.read_parquet(project.path / TRAINING_DAILY)["day"].max() == morning.days[-1]
    status = project.dvc("status").stdout  # what `dvc repro` runs next: the stages that read the cut's days
    changed = {line.rstrip(":") for line in status.splitlines() if line and not line[0].isspace()}
    assert {"correlate", "select_features", "window", "train@lstm", "evaluate"} <= changed, status
    assert "forecast" not in changed  # until the new models are made
