"""One calendar cut for all parts, and which windows each period holds."""

from __future__ import annotations

import numpy as np
import pytest

from plancast.errors import ParamsError
from plancast.features.split import calendar_cut, in_period, split_by_date
from plancast.features.windows import Windows

DAYS = np.arange(np.datetime64("2025-01-06"), np.datetime64("2025-01-06") + 200).astype("datetime64[D]")


def at(part: list[str], position: list[int], delays=(1,), days=DAYS) -> Windows:
    """Windows of the given parts ending at the given calendar positions (values irrelevant here)."""
    n, d = len(part), len(delays)
    zeros = np.zeros((n, d))
    return Windows(np.zeros((n, 1, 1)), zeros, zeros, np.array(part), np.zeros(n, np.int64),
                   np.array(position, np.int64), np.array(delays), np.array(["target"]), days)  # fmt: skip


def test_seed_b_44_windows_split_30_5_9() -> None:
    # lookback 3, delay 3: windows end on rows 2 .. 45, targets on rows 5 .. 48
    windows = at(["Part 94"] * 44, list(range(2, 46)), delays=(3,))
    cut = calendar_cut(windows, [0.7, 0.1, 0.2])
    train, val, test, straddle = split_by_date(windows, cut)
    assert (len(train), len(val), len(test)) == (30, 5, 9)
    assert train.tolist() == list(range(30)) and train.dtype == np.int64
    assert straddle == {"train|validation": 0, "validation|test": 0}


def test_split_points_survive_float_rounding() -> None:
    # (0.7 + 0.1) * 10 is 7.999999999999999 in floats; int() of it would put 7, not 8, before test
    cut = calendar_cut(at(["A"] * 10, list(range(10))), [0.7, 0.1, 0.2])
    assert (cut.first_target, cut.validation_start, cut.test_start, cut.last_target) == (1, 8, 9, 10)


def test_one_calendar_cut_for_all_parts_so_a_late_part_never_trains_on_the_test_period() -> None:
    # A runs all 20 days; B starts late, inside A's test period.
    windows = at(["A"] * 20 + ["B"] * 4, [*range(20), *range(16, 20)])
    train, val, test, _ = split_by_date(windows, calendar_cut(windows, [0.7, 0.1, 0.2]))
    parts = windows.part
    assert set(parts[train]) == {"A"}  # none of B's windows trains a global model
    assert set(parts[test]) == {"A", "B"}
    last_train_target = (windows.position[train] + 1).max()
    assert last_train_target < windows.position[val].min() + 1  # no training target after validation starts


def test_windows_whose_targets_straddle_a_cut_belong_to_no_split() -> None:
    windows = at(["A"] * 20, list(range(20)), delays=(1, 2, 3))
    cut = calendar_cut(windows, [0.5, 0.25, 0.25])
    train, val, test, straddle = split_by_date(windows, cut)
    assert straddle == {"train|validation": 2, "validation|test": 2}
    assert len(train) + len(val) + len(test) + 4 == 20
    high = windows.position + 3
    assert (high[train] < cut.validation_start).all() and (windows.position[test] + 1 >= cut.test_start).all()


def test_per_delay_a_straddling_window_counts_each_target_in_the_split_of_its_day() -> None:
    windows = at(["A"] * 20, list(range(20)), delays=(1, 2, 3))
    cut = calendar_cut(windows, [0.5, 0.25, 0.25])
    train, val, test, straddle = split_by_date(windows, cut, per_delay=True)
    assert straddle == {"train|validation": 2, "validation|test": 2}  # counted alike, but kept
    assert sorted({*train, *val, *test}) == list(range(20))  # no window is lost at a cut
    first, last = windows.position + 1, windows.position + 3
    assert (first[train] < cut.validation_start).all() and (last[test] >= cut.test_start).all()
    both = np.intersect1d(train, val)
    assert len(both) == 2
    counted = in_period(windows, both, cut.validation_start, cut.test_start)
    days = windows.position[both][:, None] + np.array([1, 2, 3])
    assert (counted == ((days >= cut.validation_start) & (days < cut.test_start))).all()
    assert counted.any(axis=1).all() and not counted.all()


def test_split_days_given_in_params_override_the_fractions() -> None:
    windows = at(["A"] * 30, list(range(30)))
    cut = calendar_cut(windows, [0.7, 0.1, 0.2], validation_start="2025-01-26", test_start="2025-01-30")
    assert (cut.validation_start, cut.test_start) == (20, 24)
    with pytest.raises(ParamsError, match=r"^split_scale\.test_start: the test period must not start before"):
        calendar_cut(windows, [0.7, 0.1, 0.2], validation_start="2025-01-30", test_start="2025-01-26")


def test_a_fold_refits_on_every_target_known_before_it_and_none_after() -> None:
    from plancast.evaluation.backtest import known_before

    windows = at(["A"] * 20, list(range(20)), delays=(1, 2, 3))
    windows.targets[:] = windows.position[:, None] + np.array([1.0, 2.0, 3.0])  # each target is its own day
    everyone = np.ones(20, bool)
    whole, whole_targets = known_before(windows, 12, False, everyone)
    assert whole.tolist() == list(range(9))  # last target (position + 3) before day 12
    train, targets = known_before(windows, 12, True, everyone)
    assert train.tolist() == list(range(11))  # first target (position + 1) before day 12
    assert np.nanmax(targets) == 11 and np.isnan(targets).sum() == 3  # windows 9, 10: days 12, 13 and 12 unknown
    assert np.isfinite(whole_targets).all()
