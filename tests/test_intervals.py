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


def test_a_fold_calibrates_on_validation_and_what_was_known_before_it_began():
    calibration = np.array([True, False, False, False])
    fold = np.array([-1, 0, 0, 1])
    target_day = np.array([[5, 6], [10, 11], [19, 21], [20, 21]])  # delays 1 and 2
    usable = intervals.known_before(calibration, fold, target_day, 20.0)  # fold 1 begins on day 20
    # validation always; fold 0's residuals only where their actual fell before day 20; fold 1's never
    np.testing.assert_array_equal(usable, [[True, True], [True, True], [True, False], [False, False]])
    assert not intervals.known_before(calibration, fold, target_day, 10.0)[1:].any()  # the first fold: none


def test_rolling_calibration_follows_weeks_harder_than_validation():
    """Validation errors of size 1, test errors of size 3 in three folds: intervals calibrated on
    validation alone cover far too little; calibrated on what each fold knew, the later folds recover.
    The first fold's intervals are validation's in both."""
    rng = np.random.default_rng(5)
    n_val, n_fold = 400, 400
    n = n_val + 3 * n_fold
    fold = np.repeat([-1, 0, 1, 2], [n_val, n_fold, n_fold, n_fold])
    target_day = np.arange(n)[:, None] + np.array([[1]])
    size = np.where(fold < 0, 1.0, 3.0)[:, None]
    prediction = np.zeros((n, 1))
    actual = rng.normal(size=(n, 1)) * size
    scale = np.ones(n)
    calibration = fold < 0
    starts = np.array([n_val, n_val + n_fold, n_val + 2 * n_fold]) + 1
    rolling = intervals.rolling_coverage(actual, prediction, scale, calibration, fold, target_day, starts)
    fit = intervals.calibrate(actual[calibration], prediction[calibration], scale[calibration])
    tested = fold >= 0
    static = intervals.coverage(actual[tested], *fit.interval(prediction[tested], scale[tested], 0.8))
    assert static < 0.45 < rolling[0.8]  # validation alone: ~0.33; rolling: ~(0.33 + 0.6 + 0.7) / 3
    first = fold == 0
    first_static = intervals.coverage(actual[first], *fit.interval(prediction[first], scale[first], 0.8))
    first_rolling = intervals.rolling_coverage(actual[fold < 1], prediction[fold < 1], scale[fold < 1],
                                               calibration[fold < 1], fold[fold < 1], target_day[fold < 1],
                                               starts[:1])  # fmt: skip
    assert first_rolling[0.8] == first_static
