"""Stage monitor's library: the log written once per origin, the history merged (idempotent, no day twice,
none lost), live skill and the retrain rule by hand, and the morning runs replayed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plancast.data.sample import plan_snapshots, working_days
from plancast.data.sample_files import write_plan_xls
from plancast.evaluation.monitor import (
    HISTORY_COLUMNS,
    KEY,
    Backtest,
    entry_name,
    history,
    live_skill,
    log_entry,
    merge_history,
    monitor_metrics,
    status_line,
    with_entry,
)
from plancast.params import load_params, with_overrides
from plancast.params_sections import MonitorParams
from plancast.pipeline import run as pipeline
from plancast.pipeline.monitor import empty_history, empty_log, monitor
from plancast.pipeline.replay import replay

ROOT = Path(__file__).resolve().parents[1]
DAYS = pd.bdate_range("2025-03-03", periods=8)  # Monday 3 .. Wednesday 12 March


def _daily(last: int, first: int = 0, target: float = 10.0) -> pd.DataFrame:
    """Parts A and B on DAYS[first .. last], every actual ``target`` (B's on DAYS[1] missing: a gap)."""
    days = DAYS[first : last + 1]
    frame = pd.DataFrame({
        "part": np.repeat(["A", "B"], len(days)), "day": np.tile(days, 2), "present": True, "target": target,
    })  # fmt: skip
    gap = (frame["part"] == "B") & (frame["day"] == DAYS[1])
    frame.loc[gap, ["present", "target"]] = [False, np.nan]
    return frame


def _forecast(origin: int, value: float = 12.0, plan: float = 15.0) -> pd.DataFrame:
    """forecast.csv's rows made at DAYS[origin]: the recommended forecast and another model, delays 1 and 2."""
    rows = [
        {"method": "direct", "part": part, "model": model, "step_ahead": k, "day": DAYS[origin + k],
         "forecast": value if model == "recommended" else -1.0, "plan": plan}
        for part in ("B", "A") for model in ("lstm", "recommended") for k in (2, 1)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _backtest(skill: float = 0.5, spread: float = 0.0, bias: float = 0.0, error: float = 0.5) -> Backtest:
    return Backtest((skill - spread, skill + spread), {1: skill, 2: skill}, {1: bias, 2: bias}, {1: error, 2: error})


def test_the_log_entry_is_the_recommended_forecast_by_part_and_delay_named_by_its_origin():
    entry = log_entry(_forecast(2), DAYS[2])
    assert list(entry.columns) == ["part", "origin", "day", "delay", "forecast", "plan"]
    assert entry[["part", "delay"]].values.tolist() == [["A", 1], ["A", 2], ["B", 1], ["B", 2]]
    assert (entry["forecast"] == 12.0).all() and (entry["origin"] == DAYS[2]).all()
    assert entry.loc[0, "day"] == DAYS[3] and entry_name(DAYS[2]) == "2025-03-05.csv" and entry_name(7) == "7.csv"


def test_an_origin_is_logged_once_the_first_record_stands():
    log, added = with_entry(empty_log(), log_entry(_forecast(2), DAYS[2]))
    again, added_again = with_entry(log, log_entry(_forecast(2, value=99.0), DAYS[2]))  # newer models, same day
    assert added and not added_again and again.equals(log) and (again["forecast"] == 12.0).all()


def test_history_holds_the_forecasts_whose_day_has_an_actual_with_both_errors():
    log, _ = with_entry(empty_log(), log_entry(_forecast(0), DAYS[0]))
    table = history(log, _daily(last=1))  # B's DAYS[1] is a gap; DAYS[2] has not come yet
    assert list(table.columns) == HISTORY_COLUMNS
    assert table[["part", "day", "delay"]].values.tolist() == [["A", DAYS[1], 1]]
    assert table.loc[0, ["actual", "error", "plan_error"]].tolist() == [10.0, 2.0, 5.0]


def test_merging_the_history_is_idempotent_counts_no_day_twice_and_loses_none():
    log, _ = with_entry(empty_log(), log_entry(_forecast(0), DAYS[0]))
    first, new = merge_history(empty_history(), history(log, _daily(last=2)))
    assert new == 3 and len(first) == 3  # A at DAYS[1] and DAYS[2], B at DAYS[2]
    again, new_again = merge_history(first, history(log, _daily(last=2)))
    assert new_again == 0 and again.equals(first)
    # a revised actual wins; a day whose export has left the daily table keeps its row
    revised, new = merge_history(first, history(log, _daily(last=2, first=2, target=11.0)))
    assert new == 0 and len(revised) == 3 and not revised.duplicated(KEY).any()
    kept = revised.set_index(["part", "day"])
    assert kept.loc[("A", DAYS[1]), "actual"] == 10.0 and kept.loc[("A", DAYS[2]), "actual"] == 11.0


def _table(ours: list[float], plans: list[float], delay: int = 1, first: int = 0) -> pd.DataFrame:
    """One part's history at ``delay`` on consecutive days: forecast and plan errors as given, actual 10."""
    n = len(ours)
    day = DAYS[first + delay : first + delay + n]
    return pd.DataFrame({
        "part": "A", "origin": DAYS[first : first + n], "day": day, "delay": delay,
        "forecast": 10.0 + np.array(ours), "plan": 10.0 + np.array(plans), "actual": 10.0,
        "error": ours, "plan_error": plans,
    })[HISTORY_COLUMNS]  # fmt: skip


def test_live_skill_is_one_minus_mae_over_the_plans_on_each_days_window():
    table = _table(ours=[1.0, -3.0, 3.0, 3.0], plans=[2.0, -2.0, 2.0, 2.0])  # days 1 .. 4
    days, horizons = live_skill(table, _backtest(), MonitorParams(days=3, consecutive=2))
    # windows of 3 days: {1}: 1 - 1/2; {1, 2}: 1 - 4/4; {1, 2, 3}: 1 - 7/6; {2, 3, 4}: 1 - 9/6
    assert days["live_skill"].tolist() == pytest.approx([0.5, 0.0, -1 / 6, -0.5])
    assert days["days"].tolist() == [1, 2, 3, 3]
    # judged without the window's day that tells most against an alarm (days before the first are empty):
    # {1, 2} without 2: 1 - 1/2; {1, 2, 3} without 2 or 3: 1 - 4/4; {2, 3, 4} without any: 1 - 6/4
    assert days["judged_skill"].tolist() == pytest.approx([0.5, 0.5, 0.0, -0.5])
    # below the band (0.5, no spread) once the window is full: alarms on days 3 and 4, retrain on the 2nd
    assert days["alarm"].tolist() == [False, False, True, True]
    assert days["retrain"].tolist() == [False, False, False, True]
    # the plan's bias over a full window, (2 - 2 + 2) / 30 or (-2 + 2 + 2) / 30, against the backtest's 0,
    # over its error 0.5
    assert days["plan_shift"].tolist() == pytest.approx([np.nan, np.nan, 2 / 15, 2 / 15], nan_ok=True)
    assert horizons.to_dict("records") == [
        {"delay": 1, "label": "D+1", "days": 3, "live_skill": pytest.approx(-0.5), "backtest_skill": 0.5,
         "plan_shift": pytest.approx(2 / 15)}
    ]  # fmt: skip


def test_no_single_day_raises_the_alarm():
    table = _table(ours=[1.0, 1.0, 9.0, 1.0, 1.0], plans=[2.0, 2.0, 2.0, 2.0, 2.0])  # day 3: a stoppage we missed
    days, _ = live_skill(table, _backtest(), MonitorParams(days=3, consecutive=1))
    assert (days["live_skill"].iloc[2:] < 0.5).all()  # every window holding day 3 is below the band
    assert days["judged_skill"].iloc[2:].tolist() == pytest.approx([0.5, 0.5, 0.5]) and not days["alarm"].any()


def test_the_skill_alarm_waits_until_every_delays_window_is_full():
    near = _table(ours=[5.0, 5.0, 5.0], plans=[1.0, 1.0, 1.0], delay=1)  # days 1 .. 3: far worse than the plan
    far = _table(ours=[1.0], plans=[1.0], delay=2, first=2)  # day 4 only
    days, _ = live_skill(pd.concat([near, far]), _backtest(), MonitorParams(days=2))
    assert days["days"].tolist() == [0, 0, 0, 1] and not days["alarm"].any()
    days, _ = live_skill(near, _backtest(), MonitorParams(days=2))
    assert days["alarm"].tolist() == [False, True, True]


def test_a_planner_turning_biased_raises_the_alarm_though_our_skill_holds():
    table = _table(ours=[1.0, 1.0, 1.0, 1.0], plans=[2.0, 10.0, 10.0, 10.0])  # the plans turn high
    rule = MonitorParams(days=2, consecutive=2, plan_shift=0.4)
    days, horizons = live_skill(table, _backtest(bias=0.2), rule)
    # bias over the windows {1, 2}: 12/20, then 20/20: shift (0.6 - 0.2) / 0.5, then (1 - 0.2) / 0.5
    assert days["plan_shift"].tolist() == pytest.approx([np.nan, 0.8, 1.6, 1.6], nan_ok=True)
    # judged without one day: {1, 2} without 2 is the old planner's 2/10, a shift of 0
    assert days["judged_shift"].tolist() == pytest.approx([np.nan, 0.0, 1.6, 1.6], nan_ok=True)
    assert (days["live_skill"].iloc[1:] >= 0.5).all()
    assert days["alarm"].tolist() == [False, False, True, True]
    assert days["retrain"].tolist() == [False, False, False, True]
    assert monitor_metrics(days) == {"live_skill": 0.9, "plan_shift": pytest.approx(1.6), "retrain": True}
    assert status_line(days, horizons, rule) == (
        "live skill (last 2 days to 2025-03-07): +0.90 (backtest +0.50 band +0.50); "
        "plan bias shift 1.60 at D+1 (limit 0.4); retrain: yes"
    )
    assert status_line(days.iloc[:3], horizons, rule).endswith("retrain: no (1 of 2 alarm days)")


def test_the_backtest_is_read_from_backtest_csv_and_the_horizon_trust_tables_pooled_rows():
    folds = pd.DataFrame({"model": ["recommended", "recommended", "lstm"], "fold": [1, 2, 1], "skill": [0.3, 0.5, 0.9]})
    trust = pd.DataFrame({
        "part": ["A", "pooled", "pooled"], "horizon": [1, 1, 2], "plan_mae": [9.0, 4.0, 8.0],
        "plan_bias": [9.0, 2.0, -4.0], "relative_plan_mae": [0.9, 0.2, 0.4],
        "recommended_mae": [1.0, 3.0, 4.0], "plan_mae_same_windows": [1.0, 4.0, 8.0],
    })  # fmt: skip
    backtest = Backtest.from_reports(folds, trust)
    assert backtest.fold_mean == pytest.approx(0.4) and backtest.fold_spread == pytest.approx(0.1)
    assert backtest.lower_band(2.0) == pytest.approx(0.2)
    assert backtest.skill == {1: pytest.approx(0.25), 2: pytest.approx(0.5)}
    # mean actual = plan_mae / relative_plan_mae = 20: bias 2 / 20, -4 / 20
    assert backtest.plan_bias == {1: pytest.approx(0.1), 2: pytest.approx(-0.2)}
    assert backtest.plan_error == {1: 0.2, 2: 0.4}


def test_the_morning_runs_log_each_origin_once_and_rerunning_changes_nothing():
    rule, backtest = MonitorParams(days=2), _backtest()
    first = monitor(rule, empty_log(), _forecast(2), _daily(last=2), empty_history(), backtest)
    assert first.logged and first.origin == DAYS[2] and first.history.empty and first.days.empty
    second = monitor(rule, first.log, _forecast(3), _daily(last=3), first.history, backtest)
    assert second.logged and second.new_errors == 2  # A and B at DAYS[3], forecast at DAYS[2]
    # the same export again (`dvc repro -f`): nothing new, the same tables
    again = monitor(rule, second.log, _forecast(3), _daily(last=3), second.history, backtest)
    assert not again.logged and again.new_errors == 0
    assert again.log.equals(second.log) and again.history.equals(second.history) and again.days.equals(second.days)
    # an experiment's other models at the same origin: the morning's record stands
    other = monitor(rule, second.log, _forecast(3, value=50.0), _daily(last=3), second.history, backtest)
    assert not other.logged and other.log.equals(second.log) and other.history.equals(second.history)
    # the log and history read back from CSV (ISO days as text) merge as the in-memory ones do
    text = monitor(rule, second.log.astype({"origin": str, "day": str}), _forecast(3), _daily(last=3),
                   second.history.astype({"origin": str, "day": str}), backtest)  # fmt: skip
    assert text.history.equals(second.history) and not text.logged
    # the exports of the first days gone: their errors stay in the history
    later = monitor(rule, second.log, _forecast(4), _daily(last=4, first=4), second.history, backtest)
    assert len(later.history) == len(second.history) + 4 and later.new_errors == 4


def test_the_replayed_mornings_judge_each_day_as_that_mornings_run_did(tmp_path):
    base = load_params(ROOT / "params.yaml")
    overrides = {"sample.parts": 4, "sample.days": 70, "window.delays": [1, 2, 3], "evaluate.folds": 1}
    params = with_overrides(base, {**overrides, "evaluate.tabular": ["plan_linear"], "monitor.days": 3})
    days = working_days(params.sample.start, params.sample.days, params.sample.holidays)
    params = with_overrides(params, {"train.until": days[-9].isoformat()})
    write_plan_xls(plan_snapshots(params.sample), tmp_path / "plan.xls")
    source = str(tmp_path / "plan.xls")
    ingested = pipeline.ingest(params.ingest.model_copy(update={"source": source}), params.daily, tmp_path)
    made = pipeline.run(params, until="split_scale", ingested=ingested)
    inputs = pipeline.Inputs(made.daily.training, made.windowed.windows, made.prepared, made.features)
    evaluation = pipeline.evaluate(params, inputs, {})
    backtest = Backtest.from_reports(evaluation.folds, evaluation.horizon_trust)
    every_day = pipeline.Inputs(made.daily.table, made.windowed.windows, made.prepared, made.features)
    origins = [pd.Timestamp(day) for day in days[-9:]]
    tabular = pipeline.train_tabular(params, inputs)
    runs = list(replay(params, every_day, {}, evaluation.recommendation, tabular, backtest, origins))
    assert [run.origin for run in runs] == origins and all(run.logged for run in runs)
    last = runs[-1]
    assert last.log.groupby("origin")["part"].count().tolist() == [4 * 3] * 9  # every part, three delays
    assert not last.history.duplicated(KEY).any() and last.history["day"].max() == origins[-1]
    for run in runs[1:]:  # each morning's verdict on its own last day stands in the last run's table
        mine = run.days.iloc[-1]
        assert last.days.set_index("day").loc[mine["day"]].equals(mine.drop("day"))


def test_a_series_without_a_recommended_forecast_logs_nothing():
    daily = pd.DataFrame({"part": "series", "day": np.arange(5, dtype=np.int64), "present": True, "target": 1.0})
    frame = pd.DataFrame({
        "method": "recursive", "part": "series", "model": "lstm", "step_ahead": [1, 2], "day": [5, 6],
        "forecast": 1.0, "plan": np.nan,
    })  # fmt: skip
    made = monitor(MonitorParams(), empty_log(), frame, daily, empty_history(), Backtest((), {}, {}, {}))
    assert not made.logged and made.entry.empty and made.history.empty and made.days.empty
    assert status_line(made.days, made.horizons, MonitorParams()).endswith("retrain: not judged")
    assert monitor_metrics(made.days) == {"live_skill": None, "plan_shift": None, "retrain": False}
