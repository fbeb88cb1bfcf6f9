"""End to end, the live record (stage monitor, the real `dvc` on a temporary git repo): each morning logs its
origin once; the log and the history survive a second run on the same export, `dvc exp run` and `dvc
checkout`. The project: tests/e2e_project.py's ``morning_project`` (daily exports, the last one held back).
"""

from __future__ import annotations

import pandas as pd
import pytest
from e2e_project import Morning, Project

pytestmark = pytest.mark.e2e

LOG = "data/monitor/forecasts"
HISTORY = "data/monitor/history.csv"


@pytest.fixture(scope="module")
def morning(morning_run, tmp_path_factory) -> Morning:
    return morning_run.copy_to(tmp_path_factory.mktemp("plancast_monitor") / "project")


def _monitor_files(project: Project) -> dict[str, bytes]:
    folder = project.path / "data/monitor"
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*.csv"))}


def test_each_morning_logs_its_origin_once_and_the_same_export_twice_counts_no_day_twice(morning):
    project, days = morning.project, morning.days
    assert [path.stem for path in sorted((project.path / LOG).glob("*.csv"))] == [f"{days[-2]:%Y-%m-%d}"]
    morning.deliver()
    assert project.repro() == {"ingest", "daily_last", "forecast", "monitor"}
    assert [path.stem for path in sorted((project.path / LOG).glob("*.csv"))] == [f"{d:%Y-%m-%d}" for d in days[-2:]]
    history = pd.read_csv(project.path / HISTORY, parse_dates=["origin", "day"])
    # the new day's actuals against the forecasts made the morning before, one row per part
    assert set(zip(history["origin"], history["delay"], history["day"], strict=True)) == {(days[-2], 1, days[-1])}
    assert not history.duplicated(["part", "origin", "delay"]).any() and history["error"].notna().all()
    before = _monitor_files(project)
    assert "up to date" in project.dvc("status").stdout  # the same export again: nothing to run
    printed = project.dvc("repro", "-f", "-s", "monitor").stdout  # and forced: the same bytes
    assert "logged before (kept)" in printed and "retrain:" in printed
    assert _monitor_files(project) == before
    project.commit("the new day")


def test_an_experiment_leaves_the_mornings_record_as_it_was(morning):
    project = morning.project
    before = _monitor_files(project)
    forecast = (project.path / "data/reports/forecast.csv").read_bytes()
    ran = project.dvc("exp", "run", "-S", "evaluate.tabular=[]").stdout  # other models, the same origin
    assert "Running stage 'monitor'" in ran
    assert (project.path / "data/reports/forecast.csv").read_bytes() != forecast
    assert _monitor_files(project) == before  # the record is what the morning forecast
    project.run("git", "reset", "-q", "--hard")
    project.dvc("checkout", "--force")
    assert _monitor_files(project) == before and "up to date" in project.dvc("status").stdout


def test_dvc_checkout_of_an_older_lock_leaves_the_log_and_the_history_alone(morning):
    project, days = morning.project, morning.days
    before = _monitor_files(project)
    project.run("git", "checkout", "HEAD~1", "--", "dvc.lock")  # the morning before the new day's
    project.dvc("checkout")
    assert pd.read_parquet(project.path / "data/interim/daily.parquet")["day"].max() == days[-2]
    assert _monitor_files(project) == before
    project.run("git", "checkout", "HEAD", "--", "dvc.lock")
    project.dvc("checkout")
    assert _monitor_files(project) == before and "up to date" in project.dvc("status").stdout
