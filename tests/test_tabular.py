import numpy as np
import pandas as pd
import pytest

from plancast.evaluation import baselines
from plancast.features import vintages as vintage_features
from plancast.features.scaling import PartScaler, Scalers
from plancast.features.splits import Split, Splits
from plancast.features.windows import make_windows
from plancast.models import tabular
from plancast.models.gap_ridge import GapRidge


def _scalers(**parts):
    # part -> (target_offset, target_scale); features unscaled.
    return Scalers("standard", {p: PartScaler(np.zeros(1), np.ones(1), o, s) for p, (o, s) in parts.items()})


def _rows(part, vint, targets, scalers, lot=None, context=None, inputs=None):
    n, delays, _ = vint.shape
    return tabular.TabularRows(
        inputs=np.zeros((n, 2, 1)) if inputs is None else inputs, part=np.asarray(part), vintages=vint,
        lot=np.zeros(n) if lot is None else lot, context=np.zeros((n, delays, 0)) if context is None else context,
        context_names=(), targets=targets, delays=np.arange(1, delays + 1), scalers=scalers,
    )  # fmt: skip


def test_plan_linear_recovers_each_parts_correction_and_pools_small_parts():
    rng = np.random.default_rng(0)
    n = 40
    plan = rng.normal(size=(n, 1, 2))
    part = np.array(["a"] * 30 + ["b"] * 10)
    # a: y = 2·v1 + 1 in scaled units (a's scale: offset 10, scale 2); b too few windows for its own fit.
    scalers = _scalers(a=(10.0, 2.0), b=(0.0, 1.0))
    raw_plan = np.where(part[:, None, None] == "a", plan * 2 + 10, plan)
    targets = np.where(part == "a", (2 * plan[:, 0, 0] + 1) * 2 + 10, plan[:, 0, 0])[:, None]
    model = tabular.PlanLinear(alpha=1e-9).fit(_rows(part, raw_plan, targets, scalers))
    assert set(model.per_part[0]) == {"a"}
    np.testing.assert_allclose(model.per_part[0]["a"].coef_, [2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(model.per_part[0]["a"].intercept_, 1.0, atol=1e-6)
    test = _rows(["a", "b"], np.array([[[12.0, 0.0]], [[3.0, 3.0]]]), np.full((2, 1), np.nan), scalers)
    prediction = model.predict(test)
    # a: v1 = (12-10)/2 = 1 -> 2·1 + 1 = 3 scaled -> 3·2 + 10 = 16 raw; b: the pooled fit.
    np.testing.assert_allclose(prediction[0, 0], 16.0, atol=1e-6)
    np.testing.assert_allclose(prediction[1, 0], model.pooled[0].predict([[3.0, 3.0]])[0])


def test_plan_linear_fills_unknown_vintages_with_the_newest():
    scalers = _scalers(a=(0.0, 1.0))
    vint = np.array([[[np.nan, 5.0, np.nan]]])  # delay 2: known vintages j = 2, 3; j = 3 missing -> v2
    rows = _rows(["a"], np.repeat(vint, 1, axis=1), np.full((1, 1), np.nan), scalers)
    rows = tabular.TabularRows(**{**rows.__dict__, "delays": np.array([2])})
    np.testing.assert_array_equal(tabular._known_vintages(rows, 0), [[5.0, 5.0]])


def test_boosted_learns_the_placeholder_flag_and_is_deterministic():
    rng = np.random.default_rng(1)
    n = 400
    plan = rng.normal(size=n)
    placeholder = rng.random(n) < 0.5
    # A placeholder plan says nothing: then the truth is 0; otherwise the plan is right.
    target = np.where(placeholder, 0.0, plan)
    context = placeholder.astype(float)[:, None, None]
    scalers = _scalers(a=(0.0, 1.0))
    rows = _rows(np.full(n, "a"), plan[:, None, None], target[:, None], scalers, context=context)
    train, test = rows.take(np.arange(300)), rows.take(np.arange(300, n))
    first = tabular.Boosted(max_iter=100).fit(train).predict(test)
    second = tabular.Boosted(max_iter=100).fit(train).predict(test)
    np.testing.assert_array_equal(first, second)
    assert np.mean(np.abs(first[:, 0] - target[300:])) < 0.5 * np.mean(np.abs(plan[300:] - target[300:]))
    # Trees fitted on another design (features of another version) say so instead of mis-indexing.
    wider = _rows(np.full(n, "a"), plan[:, None, None], target[:, None], scalers, context=np.repeat(context, 2, -1))
    with pytest.raises(ValueError, match="fitted on 5 design columns, these rows have 6"):
        tabular.Boosted(max_iter=5).fit(train).predict(wider)


def test_window_ridge_matches_the_ridge_baseline():
    days = 40
    daily = pd.DataFrame(
        {
            "part": "a",
            "day": np.arange(days),
            "target": np.sin(np.arange(days)) * 5 + 20,
            "h1": np.cos(np.arange(days)) + 20,
        }
    )
    windows = make_windows(daily, {"columns": {"a": ["target", "h1"]}}, 3, [1, 2])
    train = np.arange(20)
    labels = windows.part
    scalers = Scalers("standard", {"a": PartScaler(np.array([20.0, 20.0]), np.array([3.0, 1.0]), 20.0, 4.0)})
    split = Split(
        scalers.inputs(windows.inputs[train], labels[train]).astype(np.float32),
        scalers.targets(windows.targets[train], labels[train]).astype(np.float32),
        train,
    )
    history = baselines.History(windows, Splits(split, split, split), scalers, {}, 5, 1.0)
    rows = tabular.tabular_rows(windows, daily, scalers, max_horizon=1)
    expected = baselines.ridge(history, np.arange(len(labels)))
    got = tabular.WindowRidge(1.0).fit(rows.take(train)).predict(rows)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert rows.vintages.shape == (len(labels), 2, 1) and rows.context.shape[:2] == (len(labels), 2)


def test_network_context_is_finite_scaled_and_masks_unknown_vintages():
    scalers = _scalers(A=(10.0, 2.0))
    vint = np.array([[[14.0, np.nan], [np.nan, 12.0]]])  # one window, 2 delays, K = 2
    names = ("zero_1", "zero_2", "lot_1", "lot_2", "revised_1", "weekday_sin", "weekday_cos", "days_to_holiday")
    context = np.full((1, 2, len(names)), np.nan)
    context[0, :, 0] = [0.0, 1.0]
    context[0, :, 5] = [0.5, -0.5]
    rows = tabular.TabularRows(
        inputs=np.zeros((1, 2, 1)), part=np.array(["A"]), vintages=vint, lot=np.array([16.0]), context=context,
        context_names=names, targets=np.zeros((1, 2)), delays=np.array([1, 2]), scalers=scalers,
    )  # fmt: skip
    both = rows.network_context(["vintages", "flags", "calendar"])
    assert both.dtype == np.float32 and np.isfinite(both).all()
    # vintages (14 - 10) / 2 = 2 and (12 - 10) / 2 = 1, unknown -> 0, then the known mask
    np.testing.assert_array_equal(rows.network_context(["vintages"])[0], [2, 0, 0, 1, 1, 0, 0, 1])
    flags = rows.network_context(["flags"])[0]
    assert len(flags) == 2 * 5 + 2 and flags[0] == 0.0 and flags[5] == 1.0  # zero_1 of each delay
    np.testing.assert_array_equal(flags[-2:], [3.0, 1.0])  # the lot scaled, and known
    calendar = rows.network_context(["calendar"])[0]
    np.testing.assert_array_equal(calendar, [0.5, 0, 0, -0.5, 0, 0])  # unknown calendar values -> 0
    assert both.shape == (1, 8 + 12 + 6)
    assert rows.network_context([]).shape == (1, 0)


def test_the_consensus_is_scaled_like_a_vintage_and_its_count_is_not():
    scalers = _scalers(A=(10.0, 2.0))
    vint = np.array([[[14.0, 12.0], [np.nan, 12.0]], [[0.0, 0.0], [np.nan, 0.0]]])  # 2 windows, 2 delays, K = 2
    context, names = vintage_features.context_features(
        vint, np.array([np.nan, np.nan]), np.zeros((2, 2)), np.zeros((2, 2)), ["consensus"]
    )
    rows = tabular.TabularRows(
        inputs=np.zeros((2, 2, 1)), part=np.array(["A", "A"]), vintages=vint, lot=np.array([np.nan, np.nan]),
        context=context, context_names=tuple(names), targets=np.zeros((2, 2)), delays=np.array([1, 2]),
        scalers=scalers,
    )  # fmt: skip
    scaled = rows.scaled_context()
    # window 0, delay 1: firm 14 and 12 -> mean 13 -> (13 - 10) / 2; count 2 stays a count
    np.testing.assert_allclose(scaled[0, 0], [1.5, 1.5, 2.0, ((14 + 12 / 2) / 1.5 - 10) / 2, 2.0])
    np.testing.assert_allclose(rows.context[0, 0, :4], [13.0, 13.0, 14.0, (14 + 6) / 1.5])  # raw kept
    network = rows.network_context(["consensus"])
    assert network.shape == (2, 10) and np.isfinite(network).all()
    np.testing.assert_allclose(network[1], 0.0)  # zeros only: no firm vintage -> 0, count 0
    np.testing.assert_allclose(network[0, 5:], [1.0, 1.0, 1.0, 1.0, 1.0])  # delay 2: only 12 -> (12 - 10) / 2
    design = tabular.BoostedDesign(rows).at(0)
    np.testing.assert_allclose(design[0, -5:], scaled[0, 0])
    # The weekday profile is a quantity too: (14 - 10) / 2 = 2; unknown -> 0 for a network.
    context, names = vintage_features.context_features(
        vint, np.array([np.nan, np.nan]), np.zeros((2, 2)), np.zeros((2, 2)), ["profile"],
        np.array([[14.0, np.nan], [10.0, 12.0]]),
    )  # fmt: skip
    rows = tabular.TabularRows(**{**rows.__dict__, "context": context, "context_names": tuple(names)})
    np.testing.assert_allclose(rows.network_context(["profile"]), [[2.0, 0.0], [0.0, 1.0]])
    # a residual network corrects the raw profile only when it reads it on a step series' season
    np.testing.assert_array_equal(rows.reference_profile(["profile"], 30), [[14.0, np.nan], [10.0, 12.0]])
    assert rows.reference_profile(["profile"], None) is None  # dated data: the last value
    assert rows.reference_profile(["vintages"], 30) is None  # the network does not read it


def test_usable_context_follows_the_data():
    assert tabular.usable_context(["calendar", "vintages", "flags"], 12, True) == ("vintages", "flags", "calendar")
    assert tabular.usable_context(["calendar", "consensus"], 12, True) == ("consensus", "calendar")
    assert tabular.usable_context(["consensus"], 0, True) == ()
    assert tabular.usable_context(["vintages", "flags", "calendar"], 0, False) == ()  # a plain step series
    assert tabular.usable_context(["vintages", "calendar"], 0, True) == ("calendar",)


def test_gap_ridge_is_a_plain_ridge_without_a_gap_and_imputes_the_training_mean_with_one():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(4)
    design, targets, later = rng.normal(size=(50, 6)), rng.normal(size=(50, 3)), rng.normal(size=(7, 6))
    plain = Ridge(alpha=1.0).fit(design, targets).predict(later)
    assert GapRidge(1.0).fit(design, targets).predict(later).tobytes() == plain.tobytes()

    gapped, missing = design.copy(), targets.copy()
    gapped[3, 2] = np.nan
    missing[[4, 9], 1] = np.nan  # delay 2 fits on the other 48 windows, delays 1 and 3 on all 50
    model = GapRidge(1.0).fit(gapped, missing)
    filled = gapped.copy()
    filled[3, 2] = np.nanmean(gapped[:, 2])
    known = np.isfinite(missing[:, 1])
    later[0, 2] = np.nan
    imputed = later.copy()
    imputed[0, 2] = filled[:, 2].mean()
    got = model.predict(later)
    np.testing.assert_allclose(got[:, [0, 2]], Ridge(alpha=1.0).fit(filled, missing[:, [0, 2]]).predict(imputed))
    np.testing.assert_allclose(got[:, 1], Ridge(alpha=1.0).fit(filled[known], missing[known, 1]).predict(imputed))


def _gap_daily(days: int = 80) -> pd.DataFrame:
    """Two parts on business days with plans h1..h3; part a misses two days, part b one."""
    rng = np.random.default_rng(5)
    frames = []
    for part, level in (("a", 100.0), ("b", 40.0)):
        actual = level + rng.normal(0, level / 10, size=days + 3)
        frame = pd.DataFrame({"part": part, "day": pd.bdate_range("2025-01-06", periods=days)})
        frame["target"] = actual[:days]
        for k in (1, 2, 3):
            frame[f"h{k}"] = actual[k : days + k] + rng.normal(0, level / 20, size=days)
        frame["position"], frame["present"] = np.arange(days), True
        frames.append(frame)
    daily = pd.concat(frames, ignore_index=True)
    missing = [30, 55, days + 41]  # a's rows 30 and 55, b's row 41
    daily.loc[missing, ["target", "h1", "h2", "h3"]] = np.nan
    daily.loc[missing, "present"] = False
    return daily


def test_tabular_models_give_finite_forecasts_on_windows_with_a_gap():
    from plancast.features.scaling import fit_scalers

    daily = _gap_daily()
    columns = {part: ["target", "h1", "h2"] for part in ("a", "b")}
    windows = make_windows(daily, {"columns": columns}, 5, [1, 2], gaps="keep")
    gap = np.isnan(windows.inputs).any(axis=(1, 2))
    assert gap.sum() >= 10 and np.isnan(windows.targets).any()
    train = np.flatnonzero(windows.position < 60)
    scalers = fit_scalers(windows.inputs, windows.targets, windows.part, train, "standard")
    rows = tabular.tabular_rows(windows, daily, scalers, max_horizon=3)
    models = {
        "plan_linear": tabular.PlanLinear(min_windows=5),
        "boosted": tabular.Boosted(max_iter=20, min_samples_leaf=5),
        "window_ridge": tabular.WindowRidge(1.0),
    }
    for name, model in models.items():
        prediction = model.fit(rows.take(train)).predict(rows)
        assert np.isfinite(prediction).all(), name


def test_fitted_tabular_models_are_saved_once_and_forecast_alike_from_their_files(tmp_path):
    from plancast.models.tabular_export import load_tabular_models, save_tabular_models

    rng = np.random.default_rng(3)
    n = 200
    plan = rng.normal(size=n)
    target = 0.8 * plan + rng.normal(scale=0.1, size=n)
    scalers = _scalers(a=(0.0, 1.0))
    rows = _rows(np.full(n, "a"), plan[:, None, None], target[:, None], scalers)
    fitted = {
        "boosted": tabular.Boosted(max_iter=20).fit(rows),
        "plan_linear": tabular.PlanLinear().fit(rows),
    }
    save_tabular_models(fitted, tmp_path / "one", [1])
    loaded = load_tabular_models(tmp_path / "one")
    for name, model in fitted.items():  # the trees run as float32 ONNX: equal to float32 rounding
        np.testing.assert_allclose(loaded[name].predict(rows), model.predict(rows), rtol=1e-5, atol=1e-5)
    save_tabular_models(loaded, tmp_path / "two", [1])  # what stage forecast saves for serving: the same bytes
    for file in sorted((tmp_path / "one").iterdir()):
        assert (tmp_path / "two" / file.name).read_bytes() == file.read_bytes(), file.name


@pytest.mark.parametrize("boosted_rows", [None, 30], ids=["all-rows", "subsampled"])
def test_a_tabular_model_fitted_at_one_delay_gives_the_same_bits_as_fitted_at_all(boosted_rows):
    """The Ray backtest fits each delay as its own task (:meth:`TabularRows.at_delays`): every model is
    fitted per delay, so a delay's predictions must not depend on the other delays being there, nor on
    which rows a capped fit draws (``evaluate.boosted_rows``)."""
    from plancast.features.scaling import fit_scalers

    daily = _gap_daily()
    columns = {part: ["target", "h1", "h2"] for part in ("a", "b")}
    windows = make_windows(daily, {"columns": columns}, 5, [1, 2, 3], gaps="keep")
    train, later = np.flatnonzero(windows.position < 60), np.flatnonzero(windows.position >= 60)
    scalers = fit_scalers(windows.inputs, windows.targets, windows.part, train, "standard")
    rows = tabular.tabular_rows(windows, daily, scalers, max_horizon=3)
    assert rows.context.shape[2] > 0 and np.isnan(rows.take(train).targets).any()
    for name, make in tabular.TABULAR_MODELS.items():
        whole = make(7, boosted_rows).fit(rows.take(train)).predict(rows.take(later))
        for column in range(3):
            alone = (
                make(7, boosted_rows)
                .fit(rows.take(train).at_delays([column]))
                .predict(rows.take(later).at_delays([column]))
            )
            np.testing.assert_array_equal(alone[:, 0], whole[:, column], err_msg=f"{name} at delay {column + 1}")


def test_boosted_rows_caps_each_delays_fit_and_leaves_smaller_data_alone():
    """``max_rows`` draws that many of a delay's known rows (seeded): the same trees twice, other trees than
    on every row; a cap above the rows known changes no bit."""
    daily = _gap_daily()
    columns = {part: ["target", "h1", "h2"] for part in ("a", "b")}
    windows = make_windows(daily, {"columns": columns}, 5, [1, 2], gaps="keep")
    train, later = np.flatnonzero(windows.position < 60), np.flatnonzero(windows.position >= 60)
    from plancast.features.scaling import fit_scalers

    scalers = fit_scalers(windows.inputs, windows.targets, windows.part, train, "standard")
    rows = tabular.tabular_rows(windows, daily, scalers, max_horizon=2)
    fitted, ahead = rows.take(train), rows.take(later)
    known = int(np.isfinite(fitted.targets).sum(axis=0).max())

    def predicted(max_rows):
        return tabular.Boosted(seed=3, max_rows=max_rows).fit(fitted).predict(ahead)

    every = predicted(None)
    np.testing.assert_array_equal(predicted(known), every)
    np.testing.assert_array_equal(predicted(known - 20), predicted(known - 20))
    assert not np.array_equal(predicted(known - 20), every)


def test_boosted_predicts_in_blocks_the_same_bits_and_fits_without_a_known_target(monkeypatch):
    daily = _gap_daily()
    windows = make_windows(daily, {"columns": {part: ["target", "h1"] for part in ("a", "b")}}, 5, [1], gaps="keep")
    from plancast.features.scaling import fit_scalers

    train = np.flatnonzero(windows.position < 60)
    scalers = fit_scalers(windows.inputs, windows.targets, windows.part, train, "standard")
    rows = tabular.tabular_rows(windows, daily, scalers, max_horizon=1)
    model = tabular.Boosted().fit(rows.take(train))
    whole = model.predict(rows)
    monkeypatch.setattr(tabular, "ROW_BLOCK", 7)  # many blocks, the last one short
    np.testing.assert_array_equal(model.predict(rows), whole)
    unknown = rows.take(train)
    unknown = type(unknown)(**{**vars(unknown), "targets": np.full_like(unknown.targets, np.nan)})
    with pytest.raises(ValueError, match="0 sample"):  # scikit-learn's refusal of no rows, not a reshape's
        tabular.Boosted().fit(unknown)
