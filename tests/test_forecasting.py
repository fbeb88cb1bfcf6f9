from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from plancast import forecasting, latest_window
from plancast.data.calendar import Calendar
from plancast.errors import InputDataError, ParamsError
from plancast.features.cold_start import with_new_parts
from plancast.features.scaling import Scalers
from plancast.models.manifest import Manifest
from plancast.models.recommended import Recommendation
from plancast.models.trained import TrainedModel

BUSINESS = Calendar()


def test_future_days_are_working_days_on_the_calendar():
    friday = np.datetime64("2025-01-10T00:00:00", "ns")
    days = forecasting.future_days(friday, np.array([1, 2, 3]), BUSINESS)
    np.testing.assert_array_equal(days, np.array(["2025-01-13", "2025-01-14", "2025-01-15"], dtype="datetime64[ns]"))
    assert days.dtype == friday.dtype
    holiday = Calendar(holidays=("2025-01-13",), holiday_names=("daily.holidays",))
    np.testing.assert_array_equal(
        forecasting.future_days(friday, np.array([1]), holiday), np.array(["2025-01-14"], dtype="datetime64[ns]")
    )


def test_future_steps_of_a_step_series():
    np.testing.assert_array_equal(forecasting.future_days(np.int64(360), np.array([1, 50]), BUSINESS), [361, 410])


TARGET_ONLY_JSON = {
    "parts": {
        "A": {"feature_offset": [1.0], "feature_scale": [2.0], "target_offset": 0.5, "target_scale": 3.0},
        "B": {"feature_offset": [-1.0], "feature_scale": [0.5], "target_offset": 2.0, "target_scale": 1.5},
    },
}
SCALERS_JSON = {
    "kind": "standard",
    "parts": {
        "A": {
            "feature_offset": [1.0, 0.0],
            "feature_scale": [2.0, 1.0],
            "target_offset": 0.5,
            "target_scale": 3.0,
        },
        "B": {
            "feature_offset": [0.0, 0.0],
            "feature_scale": [1.0, 1.0],
            "target_offset": 0.0,
            "target_scale": 1.0,
        },
    },
}


TARGET_ONLY = Scalers.from_json(TARGET_ONLY_JSON)
SCALERS = Scalers.from_json(SCALERS_JSON)
COLUMNS = {"A": ["target", "h1"], "B": ["target", "h1"]}


def trained(networks: dict, scope: str = "global", lookback: int = 3, delays=(1, 2), columns=None, scalers=SCALERS):
    manifest = Manifest("net", scope, lookback, tuple(delays), columns or COLUMNS, scalers, {"A": "w", "B": "w"})
    return TrainedModel.of(manifest, networks)


def _daily() -> pd.DataFrame:
    days = pd.bdate_range("2025-01-06", periods=5)  # Mon .. Fri
    return pd.DataFrame(
        {
            "part": ["A"] * 5 + ["B"] * 5,
            "day": list(days) * 2,
            "target": np.arange(10.0),
            "h1": np.arange(10.0) + 100,  # no h2: the plan for 2 days ahead is unknown
        }
    )


class Constant:
    """A network that answers fixed scaled predictions (one column per delay) and counts its calls."""

    def __init__(self, values: list[float]) -> None:
        self.values, self.calls = np.asarray(values), 0

    def predict_batch(self, inputs: np.ndarray) -> np.ndarray:
        self.calls += 1
        return np.tile(self.values, (len(inputs), 1))


def test_latest_windows_take_the_manifests_last_rows():
    latest = forecasting.model_latest(_daily(), trained({"A": None, "B": None}, lookback=2), BUSINESS)
    inputs = latest.windows.inputs
    np.testing.assert_array_equal(latest.part, ["A", "B"])
    np.testing.assert_allclose(inputs[0], [[3.0, 103.0], [4.0, 104.0]])  # A's rows 3 and 4, raw
    # scaled like training: target (3 - 1)/2, (4 - 1)/2; h1 103, 104 unscaled
    np.testing.assert_allclose(SCALERS.inputs(inputs, latest.part)[0], [[1.0, 103.0], [1.5, 104.0]])
    assert latest.last_day[0] == np.datetime64("2025-01-10")
    assert latest.skipped == {}


def test_latest_windows_name_each_part_without_one_by_the_one_skip_rule():
    daily = _daily().assign(present=True)
    daily.loc[8, "h1"] = np.nan  # B's plan of 2025-01-09
    latest = latest_window.latest_windows(daily, 3, [1, 2], {"B": ["target", "h1"]}, BUSINESS, not_trained="new")
    assert len(latest.part) == 0 and latest.windows.inputs.shape == (0, 3, 2)
    assert latest.skipped == {"A": "new", "B": "no value of h1 on 2025-01-09, inside its latest 3 days"}


def test_direct_forecast_batches_parts_and_dates_each_delay():
    network = Constant([0.0, 1.0])
    frame, skipped = forecasting.forecast(_daily(), {"net": trained({"A": network, "B": network})}, BUSINESS)
    assert skipped == {}
    assert network.calls == 1
    assert list(frame.columns) == forecasting.COLUMNS
    assert len(frame) == 2 * 2
    a = frame[frame["part"] == "A"]
    np.testing.assert_array_equal(a["forecast"], [0.5, 3.5])  # scaled 0, 1 -> 0·3 + 0.5, 1·3 + 0.5
    np.testing.assert_array_equal(a["day"], pd.to_datetime(["2025-01-13", "2025-01-14"]))
    assert a["plan"].iloc[0] == 104.0 and np.isnan(a["plan"].iloc[1])
    assert list(a["step_ahead"]) == [1, 2] and set(frame["method"]) == {"direct"}


def test_recursive_forecast_with_plan_inputs_is_a_params_error():
    models = {"net": trained({"A": Constant([0.0]), "B": Constant([0.0])}, delays=[1])}
    with pytest.raises(ParamsError, match=r"^forecast\.recursive_steps: .*part 'A' has target, h1"):
        forecasting.forecast(_daily(), models, BUSINESS, 5)


def test_feedback_maps_a_scaled_target_to_the_scaled_input():
    gain, shift = SCALERS.feedback(np.array(["A"]))
    scaled_target = 2.0
    raw = scaled_target * 3.0 + 0.5
    assert gain[0] * scaled_target + shift[0] == pytest.approx((raw - 1.0) / 2.0)


def test_forecast_summary_holds_the_recommended_total_and_counts_however_many_models_and_parts():
    def frame(models: list[str], parts: int) -> pd.DataFrame:
        rows = [
            ("direct", f"P{part}", model, step, day, 1.0 + step, 10.0 if step == 1 else np.nan)
            for part in range(parts)
            for model in models
            for step, day in ((1, "2025-01-13"), (2, "2025-01-14"))
        ]
        return pd.DataFrame(rows, columns=["method", "part", "model", "step_ahead", "day", "forecast", "plan"]).assign(
            day=lambda f: pd.to_datetime(f["day"])
        )

    skipped = {"Q": "no snapshot on 2025-01-09, inside its latest 3 days"}
    summary = forecasting.forecast_summary(frame(["m", "recommended"], 1), skipped)
    assert summary == {
        "parts": 1,
        "parts_without_forecast": 1,
        "direct": {"steps": 2, "last_day": "2025-01-14", "total": 5.0, "plan_total": 10.0},
    }
    wide = forecasting.forecast_summary(frame(["m", "n", "o", "p", "recommended"], 30), skipped)
    assert set(wide) == set(summary) and set(wide["direct"]) == set(summary["direct"])
    assert forecasting.forecast_summary(frame(["m"], 1), {})["direct"]["total"] is None  # nothing recommended


def _step_by_step(model, window: np.ndarray, gain: float, shift: float, steps: int) -> np.ndarray:
    """The notebook's way, as a reference: call the model on each step's window."""
    window = window.astype(np.float32).copy()
    out = []
    for _ in range(steps):
        predicted = float(np.asarray(model(window[None]))[0, 0])
        out.append(predicted)
        window = np.concatenate([window[1:], [[predicted * gain + shift]]]).astype(np.float32)
    return np.array(out)


@pytest.mark.tf
@pytest.mark.parametrize("scope", ["global", "per_part"])
def test_recursive_forecast_equals_step_by_step_reference(scope):
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow(7)
    lookback, steps = 5, 12
    rng = np.random.default_rng(1)
    daily = pd.DataFrame(
        {"part": ["A"] * 20 + ["B"] * 20, "day": list(range(20)) * 2, "target": rng.normal(3.0, 2.0, 40)}
    )

    def network():
        return keras.Sequential([keras.Input((lookback, 1)), keras.layers.LSTM(4), keras.layers.Dense(1)])

    shared = network()
    networks = {"A": shared, "B": shared} if scope == "global" else {"A": network(), "B": network()}
    columns = {"A": ["target"], "B": ["target"]}
    model = trained(networks, scope, lookback, [1], columns, TARGET_ONLY)
    frame, _ = forecasting.forecast(daily, {"lstm": model}, BUSINESS, recursive_steps=steps)

    recursive = frame[frame["method"] == "recursive"]
    assert len(recursive) == 2 * steps
    assert list(recursive["day"][:3]) == [20, 21, 22]
    gain, shift = TARGET_ONLY.feedback(np.array(["A", "B"]))
    for i, part in enumerate(["A", "B"]):
        scaler = TARGET_ONLY_JSON["parts"][part]
        raw = daily[daily["part"] == part]["target"].to_numpy()[-lookback:]
        window = ((raw - scaler["feature_offset"][0]) / scaler["feature_scale"][0])[:, None]
        model = networks[part]
        expected = _step_by_step(model, window, gain[i], shift[i], steps) * scaler["target_scale"]
        expected += scaler["target_offset"]
        got = recursive[recursive["part"] == part]["forecast"].to_numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5)
    # The first recursive step is the direct one-step forecast.
    direct = frame[frame["method"] == "direct"]["forecast"].to_numpy()
    np.testing.assert_allclose(recursive[recursive["step_ahead"] == 1]["forecast"], direct, atol=1e-5)


def test_parts_without_a_forecast_are_named_with_the_reason():
    daily = _daily().assign(present=True)
    daily.loc[8, "present"] = False  # B's day 2025-01-09 had no snapshot
    daily.loc[8, ["target", "h1"]] = np.nan
    short = pd.DataFrame(
        {"part": "C", "day": pd.to_datetime(["2025-01-10"]), "target": 1.0, "h1": 2.0, "present": True}
    )
    daily = pd.concat([daily, short, short.assign(part="D")], ignore_index=True)
    network = Constant([0.0, 1.0])
    manifest = trained({"A": network, "B": network}).manifest
    model = TrainedModel.of(Manifest(**{**manifest.__dict__, "columns": {**COLUMNS, "C": ["target", "h1"]}}),
                            {"A": network, "B": network, "C": network})  # fmt: skip
    frame, skipped = forecasting.forecast(daily, {"net": model}, BUSINESS)
    assert set(frame["part"]) == {"A"}
    assert skipped == {
        "B": "no snapshot on 2025-01-09, inside its latest 3 days",
        "C": "1 days, fewer than window.lookback = 3",
        "D": "no training windows, and too few days of its own (window.lookback) for a cold start",
    }


class Recording(Constant):
    """A network with a second input: records the context it was given."""

    def predict_batch(self, inputs: np.ndarray, context: np.ndarray | None = None) -> np.ndarray:
        self.context = context
        return super().predict_batch(inputs)


def test_a_network_with_a_context_gets_the_latest_plans_of_each_target_day():
    network = Recording([0.0, 1.0])
    manifest = Manifest(
        "net", "global", 3, (1, 2), COLUMNS, SCALERS, {"A": "w", "B": "w"}, context=("vintages",), max_horizon=1
    )
    model = TrainedModel.of(manifest, {"A": network, "B": network})
    frame, _ = forecasting.forecast(_daily(), {"net": model}, BUSINESS)
    assert network.calls == 1 and len(frame) == 4
    # delay 1: h1 of the last row (A 104, B 109) by the target scaler; delay 2: no vintage (K = 1) -> 0, unknown
    np.testing.assert_allclose(network.context, [[(104 - 0.5) / 3, 0, 1, 0], [109.0, 0, 1, 0]], rtol=1e-6)
    with pytest.raises(ValueError, match="takes the context vintages"):
        TrainedModel.of(manifest, {"A": network, "B": network}).predict_scaled(np.zeros((1, 3, 2)), np.array(["A"]))


def test_every_models_rows_get_its_own_intervals_by_delay_and_part():
    frame = pd.DataFrame({
        "method": ["direct", "direct", "direct", "recursive", "direct", "direct"],
        "part": ["A", "B", "A", "A", "A", "A"],
        "model": ["lstm", "lstm", "boosted", "lstm", "recommended", "gru"],
        "step_ahead": [1, 2, 2, 1, 1, 1],
        "forecast": [10.0, 3.0, 20.0, 10.0, 12.0, 5.0],
    })  # fmt: skip
    recommendation = Recommendation(
        route={1: "lstm", 2: "lstm"},
        plan="baseline_plan",
        best_network="lstm",
        best_tabular="boosted",
        levels=[0.8, 0.95],
        delays=[1, 2],
        scales={"A": 2.0, "B": 1.0},
        half_widths={"0.8": [3.0, 3.0], "0.95": [4.0, 4.0]},  # the recommended forecast's
        intervals={
            "lstm": {"half_widths": {"0.8": [1.0, 4.0], "0.95": [2.0, 5.0]}},
            "boosted": {"half_widths": {"0.8": [0.5, 1.5], "0.95": [1.0, 2.0]}},
            "recommended": {"half_widths": {"0.8": [3.0, 3.0], "0.95": [4.0, 4.0]}},
        },
    )
    got = forecasting.with_intervals(frame, recommendation, floor=0.0)
    # B's 3 - 4 stops at the floor; the recursive step and gru (no half-widths) stay empty
    np.testing.assert_array_equal(got["lower_80"], [8.0, 0.0, 17.0, np.nan, 6.0, np.nan])
    np.testing.assert_array_equal(got["upper_80"], [12.0, 7.0, 23.0, np.nan, 18.0, np.nan])
    np.testing.assert_array_equal(got["lower_95"], [6.0, 0.0, 16.0, np.nan, 4.0, np.nan])
    np.testing.assert_array_equal(got["upper_95"], [14.0, 8.0, 24.0, np.nan, 20.0, np.nan])
    assert "lower_80" not in frame  # the caller's frame is left as it was
    # a report older than per-model intervals is named, with what to do
    older = {k: v for k, v in recommendation.to_json().items() if k != "intervals"}
    with pytest.raises(InputDataError, match=r"recommendation\.json: no 'intervals' .*rerun `dvc repro evaluate`"):
        Recommendation.from_json(older)
    assert Recommendation.from_json(recommendation.to_json()) == recommendation


def _stray_day_daily() -> pd.DataFrame:
    """Issue 22 case 5: one row dated weeks after the data stretches every part's calendar, so each part's
    latest days are missing (A has the stray day itself, B nothing after 2025-01-10)."""
    days = pd.bdate_range("2025-01-06", periods=8)  # Mon 6 .. Wed 15; the data ends on Fri 10
    rng = np.random.default_rng(5)
    frames = []
    for part in ("A", "B"):
        values = {column: rng.uniform(5, 9, 8) for column in ("target", "h1", "h2")}
        frame = pd.DataFrame({"part": part, "day": days, **values})
        frame["present"] = frame["day"] <= "2025-01-10"
        if part == "A":
            frame.loc[7, "present"] = True  # the stray day
        frame.loc[~frame["present"], ["target", "h1", "h2"]] = np.nan
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).assign(position=np.tile(np.arange(8), 2))


@pytest.mark.parametrize("context", [(), ("vintages",), ("vintages", "flags", "consensus", "profile", "calendar")])
def test_no_part_with_a_latest_window_gives_an_empty_forecast_naming_every_part(context):
    network = Recording([0.0, 1.0])
    manifest = Manifest(
        "net", "global", 3, (1, 2), COLUMNS, SCALERS, {"A": "w", "B": "w"}, context=context, max_horizon=1
    )
    model = TrainedModel.of(manifest, {"A": network})
    frame, skipped = forecasting.forecast(_stray_day_daily(), {"net": model}, BUSINESS)
    assert network.calls == 0 and len(frame) == 0 and list(frame.columns) == forecasting.COLUMNS
    assert skipped == {
        "A": "no snapshot on 2025-01-14, inside its latest 3 days",
        "B": "no snapshot on 2025-01-15, inside its latest 3 days",
    }
    assert forecasting.without_forecast(skipped)["kind"].tolist() == ["no snapshot", "no snapshot"]


def test_a_missing_input_value_in_the_latest_window_is_named_not_forecast_as_nan():
    daily = _daily().assign(present=True)
    daily.loc[8, "h1"] = np.nan  # B's plan of 2025-01-09 is missing though the day had a snapshot
    network = Constant([0.0, 1.0])
    frame, skipped = forecasting.forecast(daily, {"net": trained({"A": network, "B": network})}, BUSINESS)
    assert set(frame["part"]) == {"A"} and frame["forecast"].notna().all()
    assert skipped == {"B": "no value of h1 on 2025-01-09, inside its latest 3 days"}
    assert forecasting.without_forecast(skipped).to_dict("records") == [
        {"part": "B", "kind": "no value of h1", "reason": skipped["B"]}
    ]


def test_the_recommended_forecast_of_no_latest_window_is_empty():
    from plancast.features.scaling import fit_scalers
    from plancast.features.windows import make_windows

    full = _stray_day_daily().assign(present=True)
    full = full.fillna({"target": 7.0, "h1": 7.0, "h2": 7.0})
    windows = make_windows(full, {"columns": COLUMNS}, 2, [1, 2])
    scalers = fit_scalers(windows.inputs, windows.targets, windows.part, np.arange(len(windows.part)), "standard")
    tabular = forecasting.fit_tabular(full, windows, scalers, ["plan_linear", "boosted"])
    recommendation = Recommendation(
        {1: "boosted", 2: "plan_linear"}, "baseline_plan", None, "boosted", [], {}, [1, 2], {}, {}
    )
    latest = latest_window.latest_windows(_stray_day_daily(), 2, [1, 2], COLUMNS, BUSINESS, windows.feature_names)
    rows = forecasting.recommended_forecast(_stray_day_daily(), latest, scalers, {}, tabular, recommendation, BUSINESS)
    assert len(rows) == 0 and set(forecasting.COLUMNS) <= set(rows.columns)


def test_a_new_part_is_forecast_by_a_global_model_from_its_own_days():
    """Issue 24: a part without training windows but with lookback days of its own gets a forecast."""
    daily = pd.concat([_daily(), _daily().loc[:4].assign(part="N", target=[10.0, 20, 30, 40, 50], h1=1.0)])
    new = with_new_parts(daily, COLUMNS, SCALERS, {"A": 6.0, "B": 2.0}, lookback=3)
    assert new.columns["N"] == ["target", "h1"] and new.days == {"N": 5}
    scaler = new.scalers.parts["N"]
    assert scaler.target_offset == 30.0 and scaler.target_scale == pytest.approx(np.std([10, 20, 30, 40, 50]))
    assert new.scales["N"] == pytest.approx(np.median([6.0 / 3.0, 2.0 / 1.0]) * scaler.target_scale)
    network = Constant([0.0, 1.0])
    model = trained({"A": network, "B": network}).with_new_parts(new.columns, new.scalers)
    frame, skipped = forecasting.forecast(daily, {"net": model}, BUSINESS)
    mine = frame[frame["part"] == "N"]
    # scaled 0 and 1 back through N's own scaler: its mean, and its mean plus one spread
    np.testing.assert_allclose(mine["forecast"], [30.0, 30.0 + scaler.target_scale])
    assert skipped == {}


def test_a_new_part_too_young_or_without_shared_inputs_has_no_cold_start():
    daily = pd.concat([_daily(), _daily().loc[:1].assign(part="N")])
    assert "N" not in with_new_parts(daily, COLUMNS, SCALERS, {}, lookback=3).columns  # 2 days < lookback
    per_part = {"A": ["target", "h1"], "B": ["target"]}  # per-part feature selection: no one list of inputs
    young = pd.concat([_daily(), _daily().loc[:4].assign(part="N")])
    assert "N" not in with_new_parts(young, per_part, SCALERS, {}, lookback=3).columns


def test_a_per_part_model_has_no_network_for_a_new_part():
    model = trained({"A": Constant([0.0, 1.0]), "B": Constant([0.0, 1.0])}, scope="per_part")
    columns = {**COLUMNS, "N": ["target", "h1"]}
    scalers = Scalers(SCALERS.kind, {**SCALERS.parts, "N": SCALERS.parts["A"]})
    assert model.with_new_parts(columns, scalers) is model


def test_latest_windows_under_keep_take_a_gap_as_nan_and_skip_only_a_part_without_any_snapshot():
    daily = _daily().assign(present=True, h2=np.arange(10.0) + 200)
    daily.loc[4, ["target", "h1", "h2"]] = np.nan  # A's last day, 2025-01-10, without a snapshot
    daily.loc[4, "present"] = False
    daily.loc[[7, 8, 9], ["target", "h1", "h2"]] = np.nan  # B's last three days without any
    daily.loc[[7, 8, 9], "present"] = False
    columns = {"A": ["target", "h1"], "B": ["target", "h1"]}
    latest = latest_window.latest_windows(daily, 3, [1, 2], columns, BUSINESS, gaps="keep")
    np.testing.assert_array_equal(latest.part, ["A"])
    np.testing.assert_array_equal(latest.windows.inputs[0], [[2.0, 102.0], [3.0, 103.0], [np.nan, np.nan]])
    # the plan for Monday is Thursday's h2 (the newest known); for Tuesday Thursday would need h3
    np.testing.assert_array_equal(latest.windows.plan[0], [203.0, np.nan])
    assert latest.last_day[0] == np.datetime64("2025-01-10")
    assert latest.skipped == {"B": "no snapshot in its latest 3 days (2025-01-08 to 2025-01-10)"}
    assert forecasting.reason_kind(latest.skipped["B"]) == "no snapshot in its latest 3 days"
    # drop keeps today's rule: both parts skipped, each for its last missing day
    dropped = latest_window.latest_windows(daily, 3, [1, 2], columns, BUSINESS)
    assert dropped.skipped == {
        "A": "no snapshot on 2025-01-10, inside its latest 3 days",
        "B": "no snapshot on 2025-01-10, inside its latest 3 days",
    }


def test_the_recommended_recursive_forecast_is_the_routed_networks_or_baselines_own():
    from plancast.features.windows import make_windows
    from plancast.models.baseline_models import fit_baselines

    rng = np.random.default_rng(2)
    daily = pd.DataFrame(
        {"part": ["A"] * 30 + ["B"] * 30, "day": list(range(30)) * 2, "target": rng.normal(3.0, 2.0, 60).cumsum()}
    )
    columns = {"A": ["target"], "B": ["target"]}
    windows = make_windows(daily, {"columns": columns}, 5, [1])
    latest = latest_window.latest_windows(daily, 5, [1], columns, BUSINESS, windows.feature_names)
    fits = fit_baselines(["baseline_ridge"], windows, daily, TARGET_ONLY, 5, 1.0)
    widths = {"0.8": [1.0], "0.95": [2.0]}
    recommendation = Recommendation(
        route={1: "baseline_ridge"}, plan="baseline_plan", best_network=None, best_tabular=None,
        levels=[0.8, 0.95], half_widths=widths, delays=[1], scales={"A": 1.0, "B": 1.0}, intervals={},
        baselines=fits.to_json(),
    )  # fmt: skip
    networks = pd.DataFrame(
        {"method": "recursive", "part": "A", "model": "lstm", "step_ahead": [1, 2], "day": [30, 31],
         "forecast": [5.0, 6.0], "plan": np.nan}
    )  # fmt: skip
    rows = forecasting.recommended_recursive(daily, networks, latest, TARGET_ONLY, recommendation, 4, BUSINESS)
    assert set(rows["model"]) == {"recommended"} and set(rows["method"]) == {"recursive"}
    assert list(rows["day"]) == [30, 31, 32, 33] * 2
    np.testing.assert_allclose(
        rows["forecast"].to_numpy().reshape(2, 4),
        fits.predict_steps("baseline_ridge", latest.windows, daily, TARGET_ONLY, 4),
    )
    to_network = replace(recommendation, route={1: "lstm"}, baselines={})
    rows = forecasting.recommended_recursive(daily, networks, latest, TARGET_ONLY, to_network, 2, BUSINESS)
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), networks.assign(model="recommended"))
    with pytest.raises(InputDataError, match=r"routes to 'gru', which has no recursive forecast"):
        forecasting.recommended_recursive(
            daily, networks, latest, TARGET_ONLY, replace(to_network, route={1: "gru"}), 2, BUSINESS
        )
