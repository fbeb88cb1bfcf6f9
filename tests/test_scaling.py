"""Per-part scalers fitted on training windows only, and the splits scaled by them."""

from __future__ import annotations

import numpy as np
import pytest
from test_split import DAYS, at

from plancast.errors import InputDataError, ParamsError
from plancast.features.scaling import Scalers, fit_scalers, split_and_scale
from plancast.features.splits import Splits
from plancast.features.windows import Windows


def tiny_windows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Part A: 4 windows of lookback 2 and 2 features; part B: 4 windows with larger numbers."""
    a_inputs = np.array(
        [
            [[1.0, 10.0], [3.0, 10.0]],
            [[3.0, 10.0], [5.0, 10.0]],
            [[5.0, 10.0], [7.0, 10.0]],
            [[7.0, 10.0], [9.0, 10.0]],
        ]
    )
    a_targets = np.array([[2.0, 4.0], [6.0, 8.0], [10.0, 12.0], [14.0, 16.0]])
    inputs = np.concatenate([a_inputs, 100 * a_inputs + 5])
    targets = np.concatenate([a_targets, 100 * a_targets])
    return inputs, targets, np.array(["A"] * 4 + ["B"] * 4)


def test_standard_scaler_by_hand_on_training_windows_only() -> None:
    inputs, targets, labels = tiny_windows()
    train = np.array([0, 1, 4, 5])  # first two windows of each part
    scalers = fit_scalers(inputs, targets, labels, train, "standard")
    a = scalers.parts["A"]
    # feature 0 over A's training windows and time steps: 1 3 3 5 -> mean 3, std sqrt(2) (ddof 0)
    assert a.feature_offset == pytest.approx([3.0, 10.0])
    assert a.feature_scale == pytest.approx([np.sqrt(2.0), 1.0])  # feature 1 is constant: scale 1
    # target over both delays: 2 4 6 8 -> mean 5, std sqrt(5)
    assert (a.target_offset, a.target_scale) == pytest.approx((5.0, np.sqrt(5.0)))
    b = scalers.parts["B"]
    assert b.feature_offset == pytest.approx([305.0, 1005.0])
    assert b.target_scale == pytest.approx(100 * np.sqrt(5.0))
    assert scalers.kind == "standard"
    assert Scalers.from_json(scalers.to_json()).to_json() == scalers.to_json()


def test_changing_a_test_value_does_not_change_the_scaler() -> None:
    inputs, targets, labels = tiny_windows()
    train = np.array([0, 1, 4, 5])
    before = fit_scalers(inputs, targets, labels, train, "standard").to_json()
    inputs[3] += 1000.0
    targets[7] -= 1000.0
    assert fit_scalers(inputs, targets, labels, train, "standard").to_json() == before


def test_minmax_maps_the_training_range_to_0_1() -> None:
    inputs, targets, labels = tiny_windows()
    train = np.array([0, 1, 4, 5])
    scalers = fit_scalers(inputs, targets, labels, train, "minmax")
    assert scalers.parts["A"].feature_offset == pytest.approx([1.0, 10.0])
    assert scalers.parts["A"].feature_scale == pytest.approx([4.0, 1.0])
    scaled_inputs = scalers.inputs(inputs[train], labels[train])
    scaled_targets = scalers.targets(targets[train], labels[train])
    assert scaled_inputs[..., 0].min() == 0.0 and scaled_inputs[..., 0].max() == 1.0
    assert scaled_targets.min() == 0.0 and scaled_targets.max() == 1.0
    # later windows may leave [0, 1]: A's last target 16 -> (16 - 2) / 6
    assert scalers.targets(targets[[3]], labels[[3]])[0, 1] == pytest.approx(14 / 6)


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_inverse_undoes_transform(kind: str) -> None:
    inputs, targets, labels = tiny_windows()
    scalers = fit_scalers(inputs, targets, labels, np.array([0, 1, 4, 5]), kind)
    scaled = scalers.targets(targets, labels)
    np.testing.assert_allclose(scalers.unscale_targets(scaled, labels), targets, rtol=1e-12)
    np.testing.assert_allclose(scalers.unscale_targets(scaled[:, 0], labels), targets[:, 0], rtol=1e-12)


def test_split_and_scale_writes_float32_splits_and_skips_parts_without_training() -> None:
    inputs, targets, labels = tiny_windows()
    inputs = np.concatenate([inputs, inputs[:1]])
    targets = np.concatenate([targets, targets[:1]])
    labels = np.append(labels, "C")  # starts late: its one window is in the test period
    # each part's windows end every other day, delays 1 and 2: targets on days 1 .. 8;
    # validation from day 1 + int(0.5 * 8) = 5, test from 1 + int(0.75 * 8) = 7
    positions = np.array([0, 2, 4, 6, 0, 2, 4, 6, 6])
    windows = Windows(inputs, targets, targets * np.nan, labels, positions, positions, np.array([1, 2]),
                      np.array(["target", "h1"]), DAYS)  # fmt: skip

    splits, scalers, report = split_and_scale(windows, [0.5, 0.25, 0.25], "standard")
    arrays = splits.to_arrays()

    assert sorted(scalers.parts) == ["A", "B"]
    assert report["parts"]["skipped"] == {"C": "1 window(s), none of them with every target before validation starts"}
    assert report["parts_skipped"] == 1
    assert report["cut"] == {"validation_start": "2025-01-11", "test_start": "2025-01-13",
                             "first_target": "2025-01-07", "last_target": "2025-01-14"}  # fmt: skip
    assert report["parts"]["windows"] == {
        "A": {"train": 2, "val": 1, "test": 1},
        "B": {"train": 2, "val": 1, "test": 1},
    }
    assert report["totals"] == {"train": 4, "val": 2, "test": 2}
    assert arrays["window_train"].tolist() == [0, 1, 4, 5]
    assert arrays["window_val"].tolist() == [2, 6]
    assert arrays["window_test"].tolist() == [3, 7]
    assert arrays["inputs_train"].dtype == np.float32 and arrays["inputs_train"].shape == (4, 2, 2)
    assert arrays["targets_test"].dtype == np.float32 and arrays["targets_test"].shape == (2, 2)
    # A's first target 2 with mean 5, std sqrt(5)
    assert arrays["targets_train"][0, 0] == pytest.approx(-3 / np.sqrt(5.0), rel=1e-6)


def test_per_delay_a_target_counts_only_in_the_split_of_its_day_and_never_scales_on_a_later_day() -> None:
    inputs, targets, labels = tiny_windows()
    positions = np.array([0, 3, 4, 6, 0, 3, 4, 6])  # targets on days 1 .. 8: validation from 5, test from 7
    windows = Windows(inputs, targets, targets * np.nan, labels, positions, positions, np.array([1, 2]),
                      np.array(["target", "h1"]), DAYS)  # fmt: skip

    splits, scalers, _ = split_and_scale(windows, [0.5, 0.25, 0.25], "standard", per_delay=True)

    assert splits.cut.tolist() == [5, 7]
    # the window ending on day 3 has targets on days 4 and 5: one training, one validation target
    assert splits.train.window.tolist() == [0, 1, 4, 5] and splits.val.window.tolist() == [1, 2, 5, 6]
    assert splits.test.window.tolist() == [3, 7]  # targets on days 7 and 8
    rows = windows.position[splits.train.window][:, None] + np.array([1, 2])
    assert (np.isnan(splits.train.targets) == (rows >= 5)).all()
    train = np.asarray(windows.targets[splits.train.window], np.float64)
    known = np.where(rows < 5, train, np.nan)
    a = labels[splits.train.window] == "A"
    assert scalers.parts["A"].target_offset == pytest.approx(np.nanmean(known[a]))
    again = Splits.from_arrays(splits.to_arrays())
    assert again.cut.tolist() == [5, 7]
    np.testing.assert_array_equal(again.actual("train", windows), known)


def _valued(part: list[str], target: list[float], feature: list[float]) -> Windows:
    """One-day windows with the given target and input feature (h1) values, one per position."""
    n = len(part)
    inputs = np.stack([np.array(target, float), np.array(feature, float)], axis=1)[:, None, :]
    return Windows(inputs, np.array(target, float)[:, None], np.zeros((n, 1)), np.array(part),
                   np.zeros(n, np.int64), np.arange(n, dtype=np.int64), np.array([1]),
                   np.array(["target", "h1"]), DAYS)  # fmt: skip


def test_a_quantity_near_the_float_limit_is_named_never_written_as_a_null_scaler() -> None:
    # issue 22 case 6: 1e308 passed ingest; its mean overflowed and scalers.json got null
    target = [1.0, 2.0, 1e308, 3.0, 2.0, 1.0, 2.0, 3.0, 1.0, 2.0]
    windows = _valued(["P1"] * 10, target, [5.0] * 10)
    with pytest.raises(InputDataError) as info:
        split_and_scale(windows, [0.7, 0.1, 0.2], "standard")
    assert str(info.value) == (
        "split_scale: part 'P1', column target: its training values span 1 .. 1e+308, too wide for a finite "
        "standard scaler (offset 1.42857e+307, scale inf); check these quantities in the export"
    )


def test_a_value_its_finite_scaler_takes_beyond_float32_is_named() -> None:
    # minmax over 0 .. 1 in training; a test value of 1e300 scales to 1e300, beyond float32
    windows = _valued(["P1"] * 10, [0.0, 1.0] * 5, [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1e300, 1.0])
    with pytest.raises(InputDataError) as info:
        split_and_scale(windows, [0.7, 0.1, 0.2], "minmax")
    assert str(info.value) == (
        "split_scale: part 'P1', column h1: its values span 0 .. 1e+300, which its minmax scaler "
        "(offset 0, scale 1) takes beyond float32 in the test windows; check these quantities in the export"
    )


def test_a_step_as_a_cut_on_a_dated_series_names_the_key() -> None:
    # issue 22 case 7: an integer cut on a dated series ended in "2025-11-04 < NaT"
    windows = at(["A"] * 20, list(range(20)))
    with pytest.raises(ParamsError) as info:
        split_and_scale(windows, [0.7, 0.1, 0.2], "standard", test_start=15)
    assert str(info.value) == (
        "split_scale.test_start: must be a day such as '2025-04-16', as the data is indexed by calendar days (got 15)"
    )


def test_a_validation_period_no_window_fits_in_is_refused_naming_the_key() -> None:
    # issue 22 case 7: an empty validation split reached train, which failed with a traceback
    windows = at(["A"] * 20, list(range(20)), delays=(1, 2, 3))  # each window's targets span 3 days
    with pytest.raises(ParamsError) as info:
        split_and_scale(windows, [0.7, 0.1, 0.2], "standard", "2025-01-20", "2025-01-22")
    assert str(info.value) == (
        "split_scale.test_start: leaves no validation window between 2025-01-20 and the test period (2025-01-22); "
        "a window needs its 3 target day(s) (delays 1, 2, 3) inside one period, so make validation longer"
    )
    with pytest.raises(ParamsError) as info:
        split_and_scale(windows, [0.7, 0.1, 0.2], "standard", "2025-01-07")
    assert str(info.value) == (
        "split_scale.validation_start: leaves no training window: no part has a window with every target before "
        "validation starts (2025-01-07, first target 2025-01-07); start validation later"
    )


def test_a_null_scaler_written_before_the_check_is_named_when_read() -> None:
    # issue 22 case 6: train died on scalers.json's null with "TypeError: float() ... NoneType"
    data = {"kind": "standard", "parts": {"P1": {"feature_offset": [0.0], "feature_scale": [None],
                                                  "target_offset": 0.0, "target_scale": 1.0}}}  # fmt: skip
    with pytest.raises(InputDataError) as info:
        Scalers.from_json(data)
    assert str(info.value) == "scalers of part 'P1': feature_scale is null, not a number; rerun `dvc repro split_scale`"


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_a_gap_is_left_out_of_the_fit_and_without_one_the_bits_are_todays(kind: str) -> None:
    rng = np.random.default_rng(3)
    inputs = np.round(rng.normal(500, 120, size=(300, 10, 3)))
    targets = np.round(rng.normal(500, 120, size=(300, 3)))
    labels, train = np.array(["A"] * 300), np.arange(240)
    # today's formula (mean/std or min/max - min, ptp for the zero-spread test), bit for bit
    features, target = inputs[train].reshape(-1, 3), targets[train].ravel()
    if kind == "standard":
        offset, scale, t_offset, t_scale = features.mean(0), features.std(0), target.mean(), target.std()
    else:
        offset, scale = features.min(0), features.max(0) - features.min(0)
        t_offset, t_scale = target.min(), target.max() - target.min()
    fitted = fit_scalers(inputs, targets, labels, train, kind).parts["A"]
    assert fitted.feature_offset.tobytes() == offset.tobytes() and fitted.feature_scale.tobytes() == scale.tobytes()
    assert (fitted.target_offset, fitted.target_scale) == (t_offset, t_scale)

    gapped, missing = inputs.copy(), targets.copy()
    gapped[5, 3:6, :] = np.nan  # three days without a snapshot
    missing[7, 1] = np.nan
    with_gaps = fit_scalers(gapped, missing, labels, train, kind).parts["A"]
    known = gapped[train].reshape(-1, 3)
    known = known[~np.isnan(known).any(axis=1)]
    expected = known.mean(0) if kind == "standard" else known.min(0)
    np.testing.assert_allclose(with_gaps.feature_offset, expected, rtol=1e-12)
    known_target = missing[train].ravel()
    known_target = known_target[~np.isnan(known_target)]
    expected = known_target.std() if kind == "standard" else np.ptp(known_target)
    assert with_gaps.target_scale == pytest.approx(expected, rel=1e-12)


def test_a_column_without_any_training_value_scales_by_one() -> None:
    inputs, targets, labels = tiny_windows()
    inputs[:, :, 1] = np.nan  # h1 never known
    a = fit_scalers(inputs, targets, labels, np.array([0, 1, 4, 5]), "standard").parts["A"]
    assert a.feature_offset.tolist() == pytest.approx([3.0, 0.0]) and a.feature_scale[1] == 1.0


def test_split_scale_keeps_a_gap_nan_and_still_names_an_overflow() -> None:
    target = [0.0, 1.0] * 5
    windows = _valued(["P1"] * 10, target, [0.0, 1.0, 0.0, 1.0, np.nan, 1.0, 0.0, 1.0, 1e300, 1.0])
    windows.targets[2, 0] = np.nan  # a (window, delay) pair without a target
    with pytest.raises(InputDataError, match=r"^split_scale: part 'P1', column h1: its values span 0 \.\. 1e\+300"):
        split_and_scale(windows, [0.7, 0.1, 0.2], "minmax")
    windows.inputs[8, 0, 1] = 1.0  # no overflow left: the gaps pass, NaN where they were
    splits, scalers, _ = split_and_scale(windows, [0.7, 0.1, 0.2], "minmax")
    assert scalers.parts["P1"].feature_scale.tolist() == [1.0, 1.0]
    assert np.isnan(splits.train.inputs[4, 0, 1]) and np.isnan(splits.train.targets[2, 0])
    assert np.isfinite(np.delete(splits.train.inputs[:, 0, 1], 4)).all()
