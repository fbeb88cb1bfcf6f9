import math

import numpy as np
import pytest

from plancast.evaluation import metrics

# Hand-worked example: errors ŷ − y = 0, −1, 2, 1 (the first pair is 0 and 0).
ACTUAL = np.array([0.0, 2.0, 4.0, 0.0])
PREDICTION = np.array([0.0, 1.0, 6.0, 1.0])
PLAN = np.array([1.0, 2.0, 2.0, 0.0])  # plan errors 1, 0, 2, 0 -> MAE 0.75

pytestmark = pytest.mark.filterwarnings("error")  # no RuntimeWarning from 0/0 anywhere


def test_metrics_match_hand_computed_values_with_zero_actuals():
    assert metrics.mae(ACTUAL, PREDICTION) == 1.0
    assert metrics.rmse(ACTUAL, PREDICTION) == pytest.approx(math.sqrt(6 / 4))
    assert metrics.wape(ACTUAL, PREDICTION) == pytest.approx(4 / 6)
    # terms: 0 (both zero), 2·1/3, 2·2/10, 2·1/1
    assert metrics.smape(ACTUAL, PREDICTION) == pytest.approx((0 + 2 / 3 + 0.4 + 2) / 4)
    assert metrics.bias(ACTUAL, PREDICTION) == 0.5
    assert metrics.mase(ACTUAL, PREDICTION, 2.0) == 0.5
    assert metrics.skill(ACTUAL, PREDICTION, PLAN) == pytest.approx(1 - 1 / 0.75)


def test_mase_scales_each_element_by_its_own_part():
    assert metrics.mase([0.0, 0.0], [2.0, 3.0], np.array([2.0, 1.0])) == 2.0


def test_naive_scale_is_mean_absolute_one_step_change():
    assert metrics.naive_scale(np.array([1.0, 3.0, 2.0, 2.0])) == 1.0
    assert math.isnan(metrics.naive_scale(np.array([5.0])))


def test_undefined_metrics_are_nan_not_inf():
    zeros = np.zeros(3)
    assert math.isnan(metrics.wape(zeros, np.ones(3)))
    assert metrics.smape(zeros, zeros) == 0.0  # 0/0 terms are a perfect forecast, not undefined
    assert math.isnan(metrics.mase(ACTUAL, PREDICTION, 0.0))
    assert math.isnan(metrics.mase(ACTUAL, PREDICTION, np.array([1.0, 1.0, np.nan, 1.0])))
    assert math.isnan(metrics.skill(ACTUAL, PREDICTION, ACTUAL))  # a perfect plan: nothing to beat
    empty = np.array([])
    for name in ("mae", "rmse", "wape", "smape", "bias"):
        assert math.isnan(getattr(metrics, name)(empty, empty)), name
    assert math.isnan(metrics.mase(empty, empty, 1.0))
    assert math.isnan(metrics.skill(empty, empty, empty))


def test_missing_values_are_dropped_pairwise_and_counted():
    prediction = PREDICTION.copy()
    prediction[2] = np.nan
    plan = PLAN.copy()
    plan[1] = np.nan
    result = metrics.score(ACTUAL, prediction, plan, 2.0)
    # pairs 0, 1, 3: |e| = 0, 1, 1
    assert result["mae"] == pytest.approx(2 / 3)
    assert result["wape"] == pytest.approx(2 / 2)
    assert result["mase"] == pytest.approx(1 / 3)
    assert (result["n"], result["missing"]) == (3, 1)
    # skill on positions 0 and 3 only (all three present): model MAE 0.5, plan MAE 0.5
    assert result["skill"] == pytest.approx(0.0)
    assert set(result) == {*metrics.METRICS, "n", "missing"}


def test_score_accepts_two_dimensional_windows_by_delays():
    actual = np.array([[1.0, 2.0], [3.0, 4.0]])
    result = metrics.score(actual, actual + 1.0, actual, np.ones_like(actual))
    assert (result["mae"], result["bias"], result["n"], result["missing"]) == (1.0, 1.0, 4, 0)
    assert math.isnan(result["skill"])
