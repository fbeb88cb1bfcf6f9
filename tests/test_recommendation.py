import numpy as np

from plancast.evaluation import recommendation as r
from plancast.names import PLAN_BASELINE


def test_route_picks_the_lowest_validation_mae_per_delay_ties_to_the_plan():
    errors = {
        "boosted": np.array([[1.0, 3.0], [-1.0, 1.0]]),  # MAE 1, 2
        PLAN_BASELINE: np.array([[2.0, 2.0], [0.0, -2.0]]),  # MAE 1, 2
        "linear": np.array([[3.0, 1.0], [1.0, np.nan]]),  # scored on common rows: delay 2 row 0 only -> 1
    }
    # delay 1: boosted 1, plan 1, linear 2 -> tie, plan first. delay 2 (row 0): boosted 3, plan 2, linear 1.
    assert r.route(errors, [1, 2]) == {1: PLAN_BASELINE, 2: "linear"}


def test_routed_takes_each_delay_from_its_candidate_and_parts_from_their_own():
    predictions = {"a": np.array([[1.0, 2.0], [3.0, 4.0]]), "b": np.array([[10.0, 20.0], [30.0, 40.0]])}
    np.testing.assert_array_equal(r.routed(predictions, {1: "a", 2: "b"}, [1, 2]), [[1, 20], [3, 40]])
    own = r.routed(predictions, {1: "a", 2: "b"}, [1, 2], np.array(["p", "q"]), {("q", 1): "b"})
    np.testing.assert_array_equal(own, [[1, 20], [30, 40]])


def test_route_per_part_only_for_parts_with_enough_windows():
    errors = {PLAN_BASELINE: np.array([[1.0], [1.0], [1.0]]), "m": np.array([[0.0], [0.0], [5.0]])}
    part = np.array(["p", "p", "q"])
    assert r.route_per_part(errors, part, [1], min_windows=2) == {("p", 1): "m"}
    assert r.route_per_part(errors, part, [1], min_windows=0) == {}


def test_combination_is_the_mean_or_the_one_that_exists():
    np.testing.assert_array_equal(r.combination(np.array([1.0, np.nan, 2.0]), np.array([3.0, 4.0, np.nan])), [2, 4, 2])
