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


def test_a_delay_leaves_the_robust_choice_only_on_firm_validation_evidence():
    """Issue 27 item 5: a small validation set cannot rank candidates delay by delay."""
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, (400, 2))
    errors = {
        "baseline_plan": noise * 3,
        "a": noise,  # the best over both delays
        "b": np.column_stack([noise[:, 0] * 2.0, noise[:, 1] * 0.5]),  # far better at delay 2 only
    }
    assert r.route(errors, [1, 2]) == {1: "a", 2: "b"}
    assert r.robust_route(errors, [1, 2]) == {1: "a", 2: "a"}
    chosen, own, firmness = r.firm_route(errors, [1, 2])
    assert own == r.route(errors, [1, 2])
    assert chosen == {1: "a", 2: "b"} and firmness[1] == 1.0 and firmness[2] >= 0.99  # 400 windows: firm

    ones = np.ones(6)
    few = {  # b is 3% better than a at delay 2 on six windows, by luck of two of them: not firm
        "baseline_plan": np.column_stack([ones * 3, ones * 3]),
        "a": np.column_stack([ones, ones]),
        "b": np.column_stack([ones * 1.5, [0.2, 1.8, 0.3, 1.7, 0.5, 1.3]]),
    }
    assert r.route(few, [1, 2])[2] == "b"
    chosen, own, firmness = r.firm_route(few, [1, 2])
    assert own[2] == "b"
    assert chosen == r.robust_route(few, [1, 2]) and firmness[2] < 0.9
    assert r.firm_route(few, [1, 2]) == (chosen, own, firmness)  # seeded: the same route every run


def test_the_route_is_never_worse_on_validation_than_the_best_baseline():
    """Issue 28: with the baselines among the candidates, the routed errors' MAE pooled over the delays is at
    most the best baseline's, however few the windows and however the delays disagree."""
    for seed in range(20):
        rng = np.random.default_rng(seed)
        windows, delays = int(rng.integers(5, 200)), [1, 2, 3]
        errors = {
            name: rng.normal(0, 1, (windows, len(delays))) * rng.uniform(0.5, 2.0, len(delays))
            for name in ("baseline_last", "baseline_seasonal", "baseline_ridge", "lstm", "boosted")
        }
        chosen, _, _ = r.firm_route(errors, delays)
        routed_errors = r.routed(errors, chosen, delays)
        best_baseline = min(np.abs(errors[name]).mean() for name in errors if name.startswith("baseline_"))
        assert np.abs(routed_errors).mean() <= best_baseline + 1e-12, seed


def test_the_plan_stays_first_on_ties_with_a_baseline():
    errors = {"baseline_last": np.array([[1.0, -2.0], [2.0, 1.0]]), "lstm": np.array([[3.0, 3.0], [3.0, 3.0]])}
    errors[PLAN_BASELINE] = errors["baseline_last"].copy()  # the same errors: the planner's own number is given
    assert r.firm_route(errors, [1, 2])[0] == {1: PLAN_BASELINE, 2: PLAN_BASELINE}
