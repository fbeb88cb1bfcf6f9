import numpy as np
import pytest
from scipy import stats

from plancast.evaluation.significance import daily_loss_differential, diebold_mariano, newey_west_variance


def test_loss_differential_is_averaged_across_parts_per_day():
    # day 0: parts with |a|-|b| = 1 and 3 -> 2; day 1: one part, -1.
    d = daily_loss_differential(np.array([2.0, -3.0, 0.0]), np.array([1.0, 0.0, 1.0]), np.array([0, 0, 1]))
    np.testing.assert_array_equal(d, [2.0, -1.0])


def test_hand_computed_statistic():
    # d = [1, -1, 2, 0, 3]: mean 1, deviations [0, -2, 1, -1, 2], γ0 = 10/5 = 2, γ1 = -5/5 = -1;
    # h = 2 -> one lag, Bartlett weight 1/2: LRV = 2 + 2·0.5·(-1) = 1; var(d̄) = 1/5;
    # DM = 1/sqrt(0.2) = 2.2361; HLN factor sqrt((5 + 1 - 4 + 2/5)/5) = sqrt(0.48) -> S = 1.5492.
    a = np.array([1.0, 0.0, -2.0, 0.0, 3.0])  # |a| - |b| = d
    b = np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    assert newey_west_variance(np.array([1.0, -1.0, 2.0, 0.0, 3.0]), 1) == pytest.approx(1.0)
    statistic, p = diebold_mariano(a, b, np.arange(5), horizon=2)
    assert statistic == pytest.approx(np.sqrt(5) * np.sqrt(0.48))
    assert p == pytest.approx(2 * stats.t.sf(np.sqrt(5 * 0.48), 4))
    _, p_one = diebold_mariano(a, b, np.arange(5), horizon=2, alternative="a_better")
    assert p_one == pytest.approx(stats.t.cdf(np.sqrt(5 * 0.48), 4))  # a is worse: large p


def test_identical_errors_give_zero_and_p_one():
    errors = np.random.default_rng(0).normal(size=50)
    assert diebold_mariano(errors, -errors, np.arange(50), horizon=3) == (0.0, 1.0)


def test_a_clearly_better_forecast_has_a_small_p():
    rng = np.random.default_rng(1)
    day = np.repeat(np.arange(100), 3)  # 3 parts a day
    a, b = rng.normal(size=300), 2 * rng.normal(size=300)
    statistic, p = diebold_mariano(a, b, day, horizon=1)
    assert statistic < 0 and p < 0.001
    assert diebold_mariano(a, b, day, horizon=1, alternative="a_better")[1] < 0.001
    assert diebold_mariano(b, a, day, horizon=1, alternative="a_better")[1] > 0.999
