import numpy as np
import pandas as pd
import pytest

from plancast.evaluation import baselines
from plancast.features.scaling import PartScaler, Scalers
from plancast.features.splits import Split, Splits
from plancast.features.windows import Windows
from plancast.models.baseline_models import part_series
from plancast.names import is_baseline


def _history(
    inputs=None, targets=None, plan=None, part=None, end_row=None, delays=(1,), train=(), series=None, scalers=None,
    train_inputs=None, train_targets=None, period=5, alpha=1.0,
) -> baselines.History:  # fmt: skip
    n = len(part)
    delays = np.asarray(delays)
    inputs = np.zeros((n, 1, 1)) if inputs is None else np.asarray(inputs, dtype=float)
    targets = np.zeros((n, len(delays))) if targets is None else np.asarray(targets, dtype=float)
    plan = np.full((n, len(delays)), np.nan) if plan is None else np.asarray(plan, dtype=float)
    end_row = np.zeros(n, np.int64) if end_row is None else np.asarray(end_row)
    windows = Windows(inputs, targets, plan, np.asarray(part), end_row, end_row, delays, np.array(["target"]),
                      np.arange(20))  # fmt: skip
    train = np.asarray(train, dtype=np.int64)
    train_inputs = inputs[train] if train_inputs is None else np.asarray(train_inputs)
    train_targets = targets[train] if train_targets is None else np.asarray(train_targets)
    empty = Split(np.empty((0, *inputs.shape[1:])), np.empty((0, len(delays))), np.empty(0, np.int64))
    splits = Splits(Split(train_inputs, train_targets, train), empty, empty)
    return baselines.History(windows, splits, scalers or Scalers("standard", {}), series or {}, period, alpha)


def _unit(part: str, target_offset: float = 0.0, target_scale: float = 1.0, features: int = 1) -> PartScaler:
    return PartScaler(np.zeros(features), np.ones(features), target_offset, target_scale)


def test_every_baseline_has_the_one_call_shape_and_a_formula():
    history = _history(part=np.array(["a", "a"]), train=[0], series={"a": np.arange(5.0)},
                       scalers=Scalers("standard", {"a": _unit("a")}))  # fmt: skip
    for name, baseline in baselines.BASELINES.items():
        assert is_baseline(name)
        assert baseline(history, np.array([1])).shape == (1, 1), name
        assert "ŷ" in baseline.__doc__.splitlines()[0], name


def test_part_series_orders_rows_by_day_within_each_part():
    daily = pd.DataFrame({"part": ["b", "a", "a"], "day": [1, 2, 1], "target": [7.0, 5.0, 4.0]})
    series = part_series(daily)
    assert list(series) == ["a", "b"]
    np.testing.assert_array_equal(series["a"], [4.0, 5.0])


def test_last_value_repeats_the_target_of_the_last_row():
    inputs = np.array([[[1.0, 9.0], [2.0, 9.0]], [[3.0, 9.0], [4.0, 9.0]]])  # (2 windows, lookback 2, 2)
    history = _history(inputs=inputs, part=np.array(["a", "a"]), delays=[1, 3])
    np.testing.assert_array_equal(baselines.last_value(history, np.array([0, 1])), [[2.0, 2.0], [4.0, 4.0]])


def test_seasonal_naive_looks_back_whole_periods_to_known_rows():
    series = {"a": np.arange(10.0) * 10, "b": np.arange(10.0) + 100}
    history = _history(part=np.array(["a", "b", "a"]), end_row=[5, 5, 1], delays=[1, 2, 3], series=series, period=2)
    prediction = baselines.seasonal_naive(history, np.array([0, 1, 2]))
    # period 2: delay 1 and 2 look back 2 rows, delay 3 looks back 4 rows.
    # a, end 5: targets rows 6, 7, 8 <- rows 4, 5, 4
    np.testing.assert_array_equal(prediction[0], [40.0, 50.0, 40.0])
    np.testing.assert_array_equal(prediction[1], [104.0, 105.0, 104.0])
    # a, end 1: rows 2, 3, 4 <- rows 0, 1, 0
    np.testing.assert_array_equal(prediction[2], [0.0, 10.0, 0.0])


def test_seasonal_naive_is_nan_before_the_series_starts():
    history = _history(part=np.array(["a"]), end_row=[1], series={"a": np.arange(5.0)}, period=5)
    assert np.isnan(baselines.seasonal_naive(history, np.array([0]))[0, 0])  # row 2 would need row -3


def test_training_mean_is_per_part_mean_of_training_targets():
    targets = np.array([[1.0, 3.0], [5.0, 7.0], [10.0, 20.0], [100.0, 100.0], [0.0, 0.0]])
    history = _history(targets=targets, part=np.array(["a", "a", "a", "b", "c"]), delays=[1, 2], train=[0, 1, 3])
    prediction = baselines.training_mean(history, np.arange(5))
    np.testing.assert_array_equal(prediction[:4], [[4.0, 4.0]] * 3 + [[100.0, 100.0]])
    assert np.isnan(prediction[4]).all()  # part c has no training window


def test_planner_returns_the_plan_with_its_gaps():
    plan = np.array([[3.0, np.nan]])
    history = _history(plan=plan, part=np.array(["a"]), delays=[1, 2])
    result = baselines.planner(history, np.array([0]))
    np.testing.assert_array_equal(result, plan)
    assert result is not history.windows.plan


def test_ridge_fits_scaled_windows_and_unscales_per_part():
    rng = np.random.default_rng(0)
    train_inputs = rng.normal(size=(40, 3, 2))
    weights = np.array([0.5, 0.0, -1.0, 0.0, 2.0, 0.25])
    train_targets = (train_inputs.reshape(40, -1) @ weights)[:, None]
    inputs = rng.normal(size=(2, 3, 2))
    scalers = Scalers("standard", {"a": _unit("a", 10.0, 2.0, 2), "b": _unit("b", 0.0, 1.0, 2)})
    history = _history(inputs=inputs, part=np.array(["a", "b"]), scalers=scalers, train_inputs=train_inputs,
                       train_targets=train_targets, alpha=1e-8)  # fmt: skip
    prediction = baselines.ridge(history, np.array([0, 1]))
    scaled = inputs.reshape(2, -1).astype(np.float32).astype(float) @ weights
    assert prediction.shape == (2, 1)
    np.testing.assert_allclose(prediction[:, 0], [scaled[0] * 2.0 + 10.0, scaled[1]], atol=1e-5)


def test_ridge_alpha_shrinks_towards_the_mean():
    history = _history(
        inputs=np.array([[[1.0]]]), part=np.array(["a"]), scalers=Scalers("standard", {"a": _unit("a")}),
        train_inputs=np.array([[[-1.0]], [[1.0]]]), train_targets=np.array([[-1.0], [1.0]]), alpha=2.0,
    )  # fmt: skip
    # w = sum(xy) / (sum(x²) + alpha) = 2 / 4
    assert baselines.ridge(history, np.array([0]))[0, 0] == pytest.approx(0.5)


def test_every_baseline_gives_a_number_for_a_window_with_a_gap():
    nan = np.nan
    # window 0 misses its last day, window 1 its middle one; windows 1 and 2 train, 2 without its D+2 target
    inputs = np.array([[[1.0], [2.0], [nan]], [[4.0], [nan], [6.0]], [[7.0], [8.0], [9.0]]])
    targets = np.array([[10.0, 11.0], [12.0, 13.0], [20.0, nan]])
    plan = np.array([[9.0, 8.0], [7.0, 6.0], [5.0, 4.0]])  # the windows' newest known plans
    series = {"a": np.array([0.0, 1.0, 2.0, nan, 4.0, 5.0, 6.0, 7.0])}  # row 3: a day without a snapshot
    history = _history(
        inputs=inputs, targets=targets, plan=plan, part=np.array(["a"] * 3), end_row=[4, 6, 7], delays=[1, 2],
        train=[1, 2], series=series, scalers=Scalers("standard", {"a": _unit("a")}), period=2,
    )  # fmt: skip
    window = np.array([0, 1])
    # last value: the last present value in the window
    np.testing.assert_array_equal(baselines.last_value(history, window), [[2.0, 2.0], [6.0, 6.0]])
    # seasonal (period 2): end 4 -> rows 3 (missing: the last present value, 2) and 4; end 6 -> rows 5, 6
    np.testing.assert_array_equal(baselines.seasonal_naive(history, window), [[2.0, 4.0], [5.0, 6.0]])
    # mean: of the part's known training targets (nanmean)
    np.testing.assert_array_equal(baselines.training_mean(history, window), [[15.0, 15.0], [15.0, 15.0]])
    np.testing.assert_array_equal(baselines.planner(history, window), plan[:2])
    assert np.isfinite(baselines.ridge(history, window)).all()
