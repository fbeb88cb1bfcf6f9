"""What a gap costs: the recommended forecast against the plan on windows with and without a gap."""

import numpy as np
import pandas as pd

from plancast.evaluation import evaluate as evaluation
from plancast.evaluation.gap_skill import COLUMNS, gap_skill, has_gap
from plancast.features.scaling import split_and_scale
from plancast.features.windows import make_windows


def test_gap_skill_scores_both_forecasts_on_the_same_pairs_per_delay_and_inputs():
    nan = np.nan
    actual = np.array([[10.0, 20.0], [10.0, nan], [10.0, 10.0], [10.0, 10.0]])
    recommended = np.array([[11.0, 22.0], [12.0, 9.0], [10.0, 13.0], [14.0, 10.0]])
    plan = np.array([[12.0, 24.0], [nan, 9.0], [12.0, 14.0], [14.0, nan]])
    split = np.array(["test", "test", "test", "val"])
    gap = np.array([False, False, True, True])
    table = gap_skill(actual, recommended, plan, split, gap, [1, 2])
    assert list(table.columns) == COLUMNS
    assert table[["split", "delay", "inputs"]].values.tolist() == [
        [split_name, delay, inputs]
        for split_name in ("val", "test")
        for delay in ("all", "1", "2")
        for inputs in ("complete", "gap")
    ]
    test = table[table["split"] == "test"].set_index(["delay", "inputs"])
    # complete test windows 0, 1: pairs with actual, recommended and plan are (0, D+1), (0, D+2) only
    assert test.loc[("all", "complete")].to_dict() == {
        "split": "test", "windows": 2, "pairs": 2, "recommended_mae": 1.5, "plan_mae": 3.0, "skill": 0.5
    }  # fmt: skip
    # the gap window 2: D+1 MAE 0 against the plan's 2, D+2 3 against 4
    assert test.loc[("1", "gap"), ["pairs", "recommended_mae", "plan_mae", "skill"]].tolist() == [1, 0.0, 2.0, 1.0]
    assert test.loc[("2", "gap"), ["recommended_mae", "plan_mae", "skill"]].tolist() == [3.0, 4.0, 0.25]
    # validation's complete windows: none, so nothing is scored
    val = table[(table["split"] == "val") & (table["inputs"] == "complete")]
    assert val["windows"].tolist() == [0, 0, 0] and val["pairs"].tolist() == [0, 0, 0]
    assert val["skill"].isna().all()


def test_has_gap_marks_windows_whose_inputs_hold_a_nan():
    inputs = np.ones((3, 2, 2))
    inputs[1, 0, 1] = np.nan
    np.testing.assert_array_equal(has_gap(inputs), [False, True, False])


def _daily_with_a_missing_day(days: int = 30) -> pd.DataFrame:
    rows = []
    for part, base in (("A", 10.0), ("B", 200.0)):
        for i, day in enumerate(pd.bdate_range("2025-01-06", periods=days)):
            target = base + (i % 5) * (1 + base / 100)
            rows.append({"part": part, "day": day, "position": i, "present": True, "target": target,
                         "h1": target + 1, "h2": target - 1})  # fmt: skip
    daily = pd.DataFrame(rows)
    missing = (daily["part"] == "A") & daily["position"].isin([20, 26])  # one in validation, one in test
    daily.loc[missing, ["target", "h1", "h2"]] = np.nan
    daily.loc[missing, "present"] = False
    return daily


def test_evaluate_reports_the_gap_windows_apart_and_gives_them_finite_numbers():
    daily = _daily_with_a_missing_day()
    windows = make_windows(daily, {"columns": {p: ["target", "h1"] for p in ("A", "B")}}, 3, [1, 2], gaps="keep")
    splits, scalers, _ = split_and_scale(windows, [0.5, 0.25, 0.25], "standard")
    result = evaluation.evaluate(
        daily, windows, splits, scalers, {}, season_period=5, ridge_alpha=1.0, folds=1,
        rows=None, tabular=(),
    )  # fmt: skip
    table = result.gap_skill.set_index(["split", "delay", "inputs"])
    evaluated = np.concatenate([splits.val.window, splits.test.window])
    gap = has_gap(windows.inputs[evaluated])
    assert gap.any()
    assert table.loc[("val", "all", "gap"), "windows"] + table.loc[("test", "all", "gap"), "windows"] == gap.sum()
    assert table.loc[("test", "all", "gap"), "pairs"] > 0
    # every baseline but the plan gives a number wherever a window has an actual, the gap windows included
    # (a window ending on the gap has no plan for D+2 here: the day before planned only up to h2)
    frame = result.predictions
    scored = frame[frame["actual"].notna() & frame["model"].str.startswith("baseline_")]
    assert scored.loc[scored["model"] != "baseline_plan", "prediction"].notna().all()
