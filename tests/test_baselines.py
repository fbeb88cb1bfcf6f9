import numpy as np
import pandas as pd
import pytest

from plancast import baselines


def test_part_series_orders_rows_by_day_within_each_part():
    daily = pd.DataFrame({"part": ["b", "a", "a"], "day": [1, 2, 1], "target": [7.0, 5.0, 4.0]})
    series = baselines.part_series(daily)
    assert list(series) == ["a", "b"]
    np.testing.assert_array_equal(series["a"], [4.0, 5.0])


def test_last_value_repeats_the_target_of_the_last_row():
    inputs = np.array([[[1.0, 9.0], [2.0, 9.0]], [[3.0, 9.0], [4.0, 9.0]]])  # (2 windows, lookback 2, 2)
    np.testing.assert_array_equal(baselines.last_value(inputs, np.array([1, 3])), [[2.0, 2.0], [4.0, 4.0]])


def test_seasonal_naive_looks_back_whole_periods_to_known_rows():
    series = {"a": np.arange(10.0) * 10, "b": np.arange(10.0) + 100}
    part = np.array(["a", "b", "a"])
    end_row = np.array([5, 5, 1])
    delays = np.array([1, 2, 3])
    prediction = baselines.seasonal_naive(series, part, end_row, delays, period=2)
    # period 2: delay 1 and 2 look back 2 rows, delay 3 looks back 4 rows.
    # a, end 5: targets rows 6, 7, 8 <- rows 4, 5, 4
    np.testing.assert_array_equal(prediction[0], [40.0, 50.0, 40.0])
    np.testing.assert_array_equal(prediction[1], [104.0, 105.0, 104.0])
    # a, end 1: rows 2, 3, 4 <- rows 0, 1, 0
    np.testing.assert_array_equal(prediction[2], [0.0, 10.0, 0.0])


def test_seasonal_naive_is_nan_before_the_series_starts():
    prediction = baselines.seasonal_naive(
        {"a": np.arange(5.0)}, np.array(["a"]), np.array([1]), np.array([1]), 5
    )
    assert np.isnan(prediction[0, 0])  # row 2 would need row -3


def test_training_mean_is_per_part_mean_of_training_targets():
    targets = np.array([[1.0, 3.0], [5.0, 7.0], [10.0, 20.0], [100.0, 100.0], [0.0, 0.0]])
    part = np.array(["a", "a", "a", "b", "c"])
    prediction = baselines.training_mean(targets, part, np.array([0, 1, 3]))
    np.testing.assert_array_equal(prediction[:4], [[4.0, 4.0]] * 3 + [[100.0, 100.0]])
    assert np.isnan(prediction[4]).all()  # part c has no training window


def test_planner_returns_the_plan_with_its_gaps():
    plan = np.array([[3.0, np.nan]])
    result = baselines.planner(plan)
    np.testing.assert_array_equal(result, plan)
    assert result is not plan


def test_ridge_fits_scaled_windows_and_unscales_per_part():
    rng = np.random.default_rng(0)
    train_inputs = rng.normal(size=(40, 3, 2))
    weights = np.array([0.5, 0.0, -1.0, 0.0, 2.0, 0.25])
    train_targets = (train_inputs.reshape(40, -1) @ weights)[:, None]
    inputs = rng.normal(size=(2, 3, 2))
    scalers = {
        "parts": {
            "a": {
                "feature_offset": [0, 0],
                "feature_scale": [1, 1],
                "target_offset": 10.0,
                "target_scale": 2.0,
            },
            "b": {
                "feature_offset": [0, 0],
                "feature_scale": [1, 1],
                "target_offset": 0.0,
                "target_scale": 1.0,
            },
        }
    }
    prediction = baselines.ridge(
        train_inputs, train_targets, inputs, np.array(["a", "b"]), scalers, alpha=1e-8
    )
    scaled = inputs.reshape(2, -1) @ weights
    assert prediction.shape == (2, 1)
    np.testing.assert_allclose(prediction[:, 0], [scaled[0] * 2.0 + 10.0, scaled[1]], atol=1e-6)


def test_ridge_alpha_shrinks_towards_the_mean():
    train_inputs = np.array([[[-1.0]], [[1.0]]])
    train_targets = np.array([[-1.0], [1.0]])
    scalers = {"parts": {"a": {"target_offset": 0.0, "target_scale": 1.0}}}
    prediction = baselines.ridge(
        train_inputs, train_targets, np.array([[[1.0]]]), np.array(["a"]), scalers, 2.0
    )
    # w = sum(xy) / (sum(x²) + alpha) = 2 / 4
    assert prediction[0, 0] == pytest.approx(0.5)
