import math

import numpy as np
import pytest

from plancast.evaluation import intervals


def test_conformal_quantile_is_the_finite_sample_rank():
    scores = np.arange(1.0, 10.0)  # n = 9
    assert intervals.conformal_quantile(scores, 0.8) == 8.0  # ceil(10·0.8) = 8th smallest
    assert intervals.conformal_quantile(scores, 0.95) == math.inf  # ceil(9.5) = 10 > 9
    assert intervals.conformal_quantile(np.arange(1.0, 20.0), 0.95) == 19.0  # ceil(19) = 19


def test_part_scales_use_the_plan_error_else_the_fallback():
    part = np.array(["a", "a", "b"])
    actual = np.array([[10.0], [20.0], [5.0]])
    plan = np.array([[12.0], [16.0], [5.0]])
    assert intervals.part_scales(part, actual, plan, {"a": 9.0, "b": 7.0, "c": 3.0}) == {"a": 3.0, "b": 7.0, "c": 3.0}


def test_interval_is_prediction_plus_minus_quantile_times_scale():
    conformal = intervals.Conformal({0.8: np.array([1.0, 2.0])}, np.array([5, 5]))
    lower, upper = conformal.interval(np.array([[10.0, 10.0]]), np.array([3.0]), 0.8)
    np.testing.assert_array_equal(lower, [[7.0, 4.0]])
    np.testing.assert_array_equal(upper, [[13.0, 16.0]])
    assert intervals.coverage(np.array([8.0, 20.0]), lower[0], upper[0]) == 0.5


@pytest.mark.parametrize("level", intervals.LEVELS)
def test_coverage_is_nominal_on_exchangeable_data(level):
    rng = np.random.default_rng(3)
    n = 4000
    scale = rng.choice([1.0, 10.0, 100.0], size=n)  # three parts of very different size
    prediction = rng.normal(size=(n, 2)) * scale[:, None]
    actual = prediction + rng.standard_t(4, size=(n, 2)) * scale[:, None]
    calibration, test = slice(0, 1000), slice(1000, n)
    conformal = intervals.calibrate(actual[calibration], prediction[calibration], scale[calibration])
    lower, upper = conformal.interval(prediction[test], scale[test], level)
    for d in range(2):
        assert intervals.coverage(actual[test, d], lower[:, d], upper[:, d]) == pytest.approx(level, abs=0.03)
