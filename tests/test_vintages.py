import numpy as np
import pandas as pd
import pytest

from plancast.features import vintages as v
from plancast.features.windows import Windows


def _daily(rows=6, present=None, part="a"):
    # h{j} at row r = 100 r + j: every vintage names its row and horizon.
    frame = pd.DataFrame(
        {
            "part": part,
            "day": np.arange(rows),
            "position": np.arange(rows),
            "present": True if present is None else present,
            "target": np.arange(rows) * 1.0,
        }
    )
    for j in (1, 2, 3):
        frame[f"h{j}"] = 100.0 * np.arange(rows) + j
    return frame


def test_vintages_read_each_plan_made_for_the_target_day_newest_first():
    got = v.vintages(_daily(), np.array(["a"]), np.array([3]), np.array([1, 2]), max_horizon=4)
    assert got.shape == (1, 2, 4)
    # delay 1, target row 4: h1@3, h2@2, h3@1; delay 2, target row 5: h1 unknown, h2@3, h3@2; h4 not in data.
    np.testing.assert_array_equal(got[0, 0], [301, 202, 103, np.nan])
    np.testing.assert_array_equal(got[0, 1], [np.nan, 302, 203, np.nan])


def test_a_missing_day_takes_the_newer_vintage_and_rows_before_the_series_are_nan():
    daily = _daily(present=[True, True, False, True, True, True])
    daily.loc[2, ["h1", "h2", "h3"]] = np.nan
    got = v.vintages(daily, np.array(["a", "a"]), np.array([3, 1]), np.array([1, 2]), max_horizon=3)
    np.testing.assert_array_equal(got[0, 0], [301, 301, 103])
    np.testing.assert_array_equal(got[0, 1], [np.nan, 302, 302])
    # end_row 1, delay 1: h1@1, h2@0, h3@-1 (before the data).
    np.testing.assert_array_equal(got[1, 0], [101, 2, np.nan])


def test_vintages_keep_parts_apart_and_newest_equals_the_plan():
    daily = pd.concat([_daily(part="a"), _daily(part="b").assign(h1=lambda f: f.h1 + 5000)])
    got = v.vintages(daily, np.array(["b", "a"]), np.array([2, 2]), np.array([1]), max_horizon=3)
    np.testing.assert_array_equal(got[:, 0, 0], [5201, 201])


def test_lots_are_the_running_mode_of_nonzero_far_plans():
    daily = pd.DataFrame(
        {
            "part": "a",
            "day": np.arange(4),
            "target": 0.0,
            "h1": 1.0,
            "h2": [30.0, 0.0, 50.0, 50.0],
            "h3": [0.0, 30.0, 50.0, 0.0],
        }
    )
    got = v.lots(daily)["a"]
    # row 0: {30:1}; row 1: {30:2}; row 2: {30:2, 50:2} tie keeps 30; row 3: {50:3}.
    np.testing.assert_array_equal(got, [30, 30, 30, 50])
    np.testing.assert_array_equal(v.window_lots({"a": got}, np.array(["a"]), np.array([3])), [50])


def test_lots_are_nan_until_a_nonzero_far_plan():
    daily = pd.DataFrame({"part": "a", "day": [0, 1], "target": 0.0, "h1": [0.0, 7.0], "h2": [0.0, 0.0]})
    np.testing.assert_array_equal(v.lots(daily)["a"], [np.nan, 7.0])


def test_context_features_name_and_compute_every_column():
    vint = np.array([[[np.nan, 30.0, 0.0]]])  # one window, one delay, K = 3
    features, names = v.context_features(vint, np.array([30.0]), np.array([[0.0]]), np.array([[5.0]]))
    assert names == [
        "vintage_1",
        "vintage_2",
        "vintage_3",
        "zero_1",
        "zero_2",
        "zero_3",
        "lot_1",
        "lot_2",
        "lot_3",
        "revised_1",
        "revised_2",
        "firm_mean",
        "firm_median",
        "firm_newest",
        "firm_weighted",
        "firm_count",
        "season_mean",
        "weekday_sin",
        "weekday_cos",
        "days_to_holiday",
    ]
    # 30 is the lot and 0 a zero: placeholders both, so no firm vintage (consensus NaN, count 0)
    nan = np.nan
    np.testing.assert_allclose(
        features[0, 0],
        [nan, 30, 0, nan, 0, 1, nan, 1, 0, nan, 1, nan, nan, nan, nan, 0, nan, 0.0, 1.0, 0.5],
        atol=1e-12,
    )
    only, names = v.context_features(vint, np.array([30.0]), np.array([[0.0]]), np.array([[5.0]]), {"calendar"})
    assert only.shape == (1, 1, 3) and names == ["weekday_sin", "weekday_cos", "days_to_holiday"]
    with pytest.raises(ValueError, match="unknown feature set 'plans'"):
        v.context_features(vint, np.array([30.0]), np.array([[0.0]]), np.array([[5.0]]), {"plans"})


def test_firm_vintages_are_revised_estimates_and_the_consensus_sums_them_up():
    # lead:    1   2   3   4  5     lot 30
    plans = [52, 52, 48, 30, 0]  # j=1 kept from j=2 (no new estimate); j=4 the lot, j=5 zero: placeholders
    vint = np.array(
        [
            [plans, [np.nan, *plans[1:]]],  # delay 2 cannot see j = 1: same firm vintages j = 2, 3
            [[0, 30, 30, 0, 0], [np.nan, 30, 0, 0, 0]],  # placeholders only
        ],
        dtype=float,
    )
    lot = np.array([30.0, 30.0])
    np.testing.assert_array_equal(v.firm(vint, lot)[0, 0], [False, True, True, False, False])
    np.testing.assert_array_equal(v.firm(vint, lot)[0, 1], [False, True, True, False, False])
    assert not v.firm(vint, lot)[1].any()
    result = v.consensus(vint, lot)
    weighted = (52 / 2 + 48 / 3) / (1 / 2 + 1 / 3)
    for delay in (0, 1):
        np.testing.assert_allclose(result[0, delay], [50.0, 50.0, 52.0, weighted, 2.0])
    np.testing.assert_array_equal(result[1, :, 4], [0.0, 0.0])
    assert np.isnan(result[1, :, :4]).all()
    # Before the lot is known (NaN), a 30 counts as an estimate; the oldest vintage is a fresh decision.
    np.testing.assert_array_equal(v.firm(vint[:1, :1], np.array([np.nan]))[0, 0], [False, True, True, True, False])
    assert v.consensus(np.full((0, 2, 5), np.nan), np.empty(0)).shape == (0, 2, 5)


def test_season_profile_is_the_mean_of_the_last_same_weekdays_known_at_the_origin():
    days = pd.bdate_range("2025-01-06", periods=15)  # Monday; rows 0..14, weekday = row % 5
    present = np.ones(15, bool)
    present[8] = False  # the second Thursday never exported: a gap, not a zero
    daily = pd.DataFrame({"part": "a", "day": days, "position": np.arange(15), "present": present,
                          "target": 10.0 * np.arange(15)})  # fmt: skip
    weekday = np.array([[0.0, 3.0, np.nan, 5.0]])  # Monday, Thursday, unknown, Saturday
    got = v.season_profile(daily, np.array(["a"]), np.array([12]), weekday, seasons=2)
    # Mondays known at row 12: rows 0, 5, 10 -> the last two 50, 100; Thursdays: row 3 only (8 missing,
    # 13 after the origin); no Saturday in the data.
    np.testing.assert_array_equal(got, [[75.0, 30.0, np.nan, np.nan]])
    np.testing.assert_array_equal(
        v.season_profile(daily, np.array(["a"]), np.array([0]), weekday[:, :2]), [[0.0, np.nan]]
    )
    # A period does not change calendar days: the season is the week.
    np.testing.assert_array_equal(v.season_profile(daily, np.array(["a"]), np.array([12]), weekday, 3, 2), got)
    features, names = v.context_features(np.full((1, 4, 2), np.nan), np.array([np.nan]), weekday, np.zeros((1, 4)),
                                         ["profile"], got)  # fmt: skip
    assert names == ["season_mean"] and np.array_equal(features[..., 0], got, equal_nan=True)


def test_season_profile_of_a_step_series_uses_its_period_and_none_without_one():
    steps = pd.DataFrame({"part": "a", "day": np.arange(10, 22), "position": np.arange(12), "present": True,
                          "target": np.arange(12) ** 2.0})  # fmt: skip
    # steps 10..21, period 4: phase = step % 4; at row 9 (step 19) the phase-1 steps known are 13, 17
    # (rows 3, 7: 9, 49) and phase 3: 11, 15, 19 (rows 1, 5, 9: 1, 25, 81 -> the last two 25, 81)
    phase = v.phases(np.array([[21, 23, -1]]), 4)
    np.testing.assert_array_equal(phase, [[1.0, 3.0, np.nan]])
    got = v.season_profile(steps, np.array(["a"]), np.array([9]), phase, period=4, seasons=2)
    np.testing.assert_array_equal(got, [[29.0, 53.0, np.nan]])
    assert np.isnan(v.season_profile(steps, np.array(["a"]), np.array([9]), phase)).all()  # no period: none
    assert np.isnan(v.phases(np.arange(5))).all()
    np.testing.assert_array_equal(v.phases(np.array(["2025-01-06", "NaT"], "datetime64[D]")), [0.0, np.nan])


def test_target_calendar_weekday_and_days_to_a_missing_weekday():
    # Mon 2024-01-01 .. Fri 01-12 minus Wed 01-10 (a holiday); positions count working days.
    days = np.array(
        [
            d
            for d in np.arange("2024-01-01", "2024-01-13", dtype="datetime64[D]")
            if (d.astype(int) + 3) % 7 < 5 and d != np.datetime64("2024-01-10")
        ]
    )
    windows = Windows(
        np.zeros((2, 1, 1)),
        np.zeros((2, 2)),
        np.zeros((2, 2)),
        np.array(["a", "a"]),
        np.array([0, 6]),
        np.array([0, 6]),
        np.array([1, 2]),
        np.array(["target"]),
        days,
    )
    calendar = v.target_calendar(windows)
    # window 0: targets Tue 01-02 (pos 1), Wed 01-03 (pos 2); holiday Wed 01-10 -> next working day pos 7.
    np.testing.assert_array_equal(calendar.weekday, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(calendar.days_to_holiday[0], [6, 5])
    # window 1 targets pos 7 (Thu 01-11), 8 (Fri 01-12): no holiday ahead -> the cap.
    np.testing.assert_array_equal(calendar.days_to_holiday[1], [10, 10])


def test_target_calendar_without_holidays_is_the_cap_everywhere():
    days = np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[D]")
    windows = Windows(
        np.zeros((1, 1, 1)),
        np.zeros((1, 2)),
        np.zeros((1, 2)),
        np.array(["a"]),
        np.array([0]),
        np.array([0]),
        np.array([1, 3]),
        np.array(["target"]),
        days,
    )
    calendar = v.target_calendar(windows)
    np.testing.assert_array_equal(calendar.weekday, [[1, np.nan]])  # position 3 is beyond the data
    np.testing.assert_array_equal(calendar.days_to_holiday, [[10, 10]])
