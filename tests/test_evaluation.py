import numpy as np
import pandas as pd
import pytest

from plancast.errors import ParamsError
from plancast.evaluation import evaluate as evaluation
from plancast.evaluation.baselines import BASELINES
from plancast.evaluation.intervals import conformal_quantile
from plancast.evaluation.report_tables import report_tables
from plancast.evaluation.summary import EvaluationSummary, Pooled, RecommendedScore
from plancast.features.scaling import Scalers, split_and_scale
from plancast.features.windows import make_windows
from plancast.models.engines import KerasNetwork
from plancast.models.manifest import Manifest
from plancast.models.trained import TrainedModel
from plancast.names import ETS_BASELINE, PLAN_BASELINE


def trained(scope: str, networks: dict, scalers: Scalers | None = None) -> TrainedModel:
    """A TrainedModel around test networks (its manifest's scalers: identity unless given)."""
    manifest = Manifest("net", scope, 3, (1, 2), {}, scalers or Scalers("standard", {}), dict.fromkeys(networks, "w"))
    return TrainedModel.of(manifest, networks)


# Four windows, delays 1 and 2: A and B each have one validation and one test window.
ACTUAL = np.array([[1.0, 2.0], [3.0, 4.0], [10.0, 20.0], [30.0, 40.0]])
ERRORS = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, -2.0], [2.0, 2.0]])
PLAN = np.array([[1.0, 2.0], [np.nan, 5.0], [12.0, 20.0], [30.0, 40.0]])
SPLIT = np.array(["val", "test", "val", "test"])
PART = np.array(["A", "A", "B", "B"])
DELAYS = np.array([1, 2])
SCALES = {"A": 1.0, "B": 2.0}


def _scored():
    predictions = {"net": ACTUAL + ERRORS, "baseline_plan": PLAN}
    return evaluation.evaluate_predictions(ACTUAL, predictions, PLAN, SPLIT, PART, DELAYS, SCALES)


def test_pooled_metrics_match_hand_computed_values():
    summary, _ = _scored()
    val, test = summary["val"]["net"], summary["test"]["net"]
    assert (val["mae"], val["bias"]) == (0.75, -0.25)
    _, table = _scored()
    pooled = table.query("split == 'val' and model == 'net' and part == 'pooled' and delay == 'all'").iloc[0]
    assert pooled["mase"] == 0.5  # |e| / scale: 1/1, 0/1, 0/2, 2/2 (the CSV keeps every metric)
    assert val["skill"] == pytest.approx(1 - 0.75 / 0.5)  # plan errors 0, 0, 2, 0
    assert test["mae"] == 1.0
    # skill on the three test positions that have a plan: model 0, 2, 2 vs plan 1, 0, 0
    assert test["skill"] == pytest.approx(1 - (4 / 3) / (1 / 3))
    assert set(val) == set(evaluation.SUMMARY_METRICS)
    assert summary["test"]["baseline_plan"]["skill"] == 0.0


def test_part_table_has_pooled_per_part_and_per_delay_rows():
    _, table = _scored()
    # 2 splits x 2 models x (pooled, A, B) x (all, 1, 2)
    assert len(table) == 2 * 2 * 3 * 3
    assert list(table.columns[:4]) == ["split", "model", "part", "delay"]
    row = table.query("split == 'val' and model == 'net' and part == 'B' and delay == '2'").iloc[0]
    assert (row["mae"], row["bias"], row["mase"], row["n"]) == (2.0, -2.0, 1.0, 1)
    plan_row = table.query("split == 'test' and model == 'baseline_plan' and part == 'A' and delay == 'all'")
    assert (plan_row["n"].item(), plan_row["missing"].item()) == (1, 1)


def test_a_single_delay_gets_no_per_delay_rows():
    summary, table = evaluation.evaluate_predictions(
        ACTUAL[:, :1], {"net": ACTUAL[:, :1]}, PLAN[:, :1], SPLIT, PART, DELAYS[:1], SCALES
    )
    assert set(table["delay"]) == {"all"}
    assert summary["val"]["net"]["mae"] == 0.0


def test_best_model_is_lowest_finite_metric_of_the_split():
    summary = {"val": {"b": {"mae": 2.0}, "a": {"mae": 2.0}, "c": {"mae": float("nan")}, "d": {"mae": 3.0}}}
    assert evaluation.best_model(summary, "val.mae") == "a"
    assert evaluation.best_model({"val": {"c": {"mae": float("nan")}}}, "val.mae") is None
    with pytest.raises(ValueError, match="best_by"):
        evaluation.best_model(summary, "val.skill")


def test_naive_scales_use_rows_up_to_the_last_training_target():
    series = {"A": np.array([0.0, 1.0, 3.0, 6.0, 100.0]), "B": np.array([5.0, 5.0, 7.0])}
    part = np.array(["A", "A", "A", "B"])
    end_row = np.array([0, 1, 2, 0])
    # A's training windows end at rows 0 and 1, so rows 0..2 with delay 1: steps 1, 2
    scales = evaluation.naive_scales(series, part, end_row, np.array([0, 1, 3]), np.array([1]))
    assert scales == {"A": 1.5, "B": 0.0}


class Recording:
    """A network that answers constant scaled predictions and records the batch sizes it was called with."""

    def __init__(self, value: float = 0.0, outputs: int = 2) -> None:
        self.value, self.outputs, self.calls = value, outputs, []

    def predict_batch(self, inputs: np.ndarray) -> np.ndarray:
        self.calls.append(len(inputs))
        return np.full((len(inputs), self.outputs), self.value)


def test_predict_scaled_calls_each_network_once_with_all_its_windows():
    inputs = np.zeros((5, 3, 1))
    part = np.array(["A", "B", "A", "B", "A"])
    network = Recording(1.0)
    assert trained("global", {"global": network}).predict_scaled(inputs, part).shape == (5, 2)
    assert network.calls == [5]
    shared = Recording(1.0)
    trained("global", {"A": shared, "B": shared}).predict_scaled(inputs, part)
    assert shared.calls == [5]
    per_part = {"A": Recording(1.0), "B": Recording(2.0)}
    prediction = trained("per_part", per_part).predict_scaled(inputs, part)
    np.testing.assert_array_equal(prediction[:, 0], [1.0, 2.0, 1.0, 2.0, 1.0])
    assert (per_part["A"].calls, per_part["B"].calls) == ([3], [2])


def _pipeline_inputs(parts: tuple[str, ...] = ("A", "B"), days: int = 14, delays=(1, 2), per_delay: bool = False):
    days = pd.bdate_range("2025-01-06", periods=days)
    rows = []
    for index, part in enumerate(parts):
        base = {"A": 10.0, "B": 200.0}.get(part, 50.0 + 10 * index)
        for i, day in enumerate(days):
            target = base + (i % 5) * (1 + base / 100)
            rows.append({"part": part, "day": day, "target": target, "h1": target + 1, "h2": target - 1})
    daily = pd.DataFrame(rows)
    windows = make_windows(daily, {"columns": {part: ["target", "h1"] for part in parts}}, 3, list(delays))
    splits, scalers, _ = split_and_scale(windows, [0.5, 0.25, 0.25], "standard", per_delay=per_delay)
    return daily, windows, splits, scalers


def test_per_delay_every_target_is_scored_once_in_the_split_of_its_day():
    from plancast.models.tabular import tabular_rows

    daily, windows, splits, scalers = _pipeline_inputs(days=40, per_delay=True)
    rows = tabular_rows(windows, daily, scalers, 0)
    result = evaluation.evaluate(
        daily, windows, splits, scalers, {}, season_period=5, ridge_alpha=1.0, rows=rows, tabular=["boosted"]
    )
    frame = result.predictions
    boosted = frame[frame.model == "boosted"]
    assert not boosted.duplicated(["part", "window", "delay"]).any()  # a window in two splits: each target once
    target = windows.position[boosted.window.to_numpy()] + boosted.delay.to_numpy()
    validation_start, test_start = splits.cut.tolist()
    expected = np.where(target >= test_start, "test", "val")
    assert (boosted.split.to_numpy() == expected).all() and (target >= validation_start).all()
    later = windows.position[splits.val.window] + 2 >= test_start  # validation windows with a test target
    assert later.any() and np.isin(splits.val.window[later], splits.test.window).all()
    assert boosted.prediction.notna().all()


def test_evaluate_scores_networks_and_baselines_on_the_same_windows():
    daily, windows, splits, scalers = _pipeline_inputs()
    zero = Recording(0.0)
    models = {"zero": trained("global", {"A": zero, "B": zero}, scalers)}  # shared, as load_model gives it
    result = evaluation.evaluate(daily, windows, splits, scalers, models, season_period=5, ridge_alpha=1.0)

    evaluated = len(splits.val.window) + len(splits.test.window)
    assert zero.calls == [evaluated]
    names = ["zero", "baseline_last", "baseline_seasonal", "baseline_mean", "baseline_plan", "baseline_ridge",
             "recommended"]  # fmt: skip
    assert list(result.scores["val"]) == names
    assert set(result.summary.to_json()) == {
        "best_model",
        "best_network",
        "best_tabular",
        "best_by",
        "recommended",
        "plan",
        "network",
        "tabular",
    }
    assert result.summary.best_by == "val.mae"
    # A standard-scaled 0 is the part's training target mean, which is the training-mean baseline.
    assert result.scores["test"]["zero"] == result.scores["test"]["baseline_mean"]
    # The data repeats every 5 working days exactly, so seasonal naive is perfect and wins.
    assert result.scores["test"]["baseline_seasonal"]["mae"] == 0.0
    assert result.summary.best_model == "baseline_seasonal"
    assert result.summary.best_network == "zero"
    assert result.summary.network.test_mae == result.scores["test"]["zero"]["mae"]
    assert result.summary.plan.val_mae == result.scores["val"]["baseline_plan"]["mae"]
    assert result.summary.plan.test_skill == 0.0 and result.summary.tabular == Pooled(None, None, None)
    # h1 at end_row is target(end_row) + 1, not the next day's target: check one value by hand
    first = result.predictions.query("model == 'baseline_plan' and delay == 1").iloc[0]
    end_row = windows.end_row[first["window"]]
    assert first["prediction"] == daily.query("part == @first.part")["target"].iloc[end_row] + 1

    frame = result.predictions
    assert len(frame) == evaluated * 2 * len(names)
    assert list(frame.columns) == [
        "split", "model", "part", "window", "end_day", "target_day", "delay", "actual", "prediction"
    ]  # fmt: skip
    row = frame.iloc[0]
    part_days = daily.query("part == @row.part")["day"].reset_index(drop=True)
    end_row = windows.end_row[row["window"]]
    assert row["end_day"] == part_days[end_row]
    assert row["target_day"] == part_days[end_row + row["delay"]]
    assert row["actual"] == windows.targets[row["window"], 0]


def test_model_names_may_not_look_like_baselines():
    daily, windows, splits, scalers = _pipeline_inputs()
    models = {"baseline_plan": trained("global", {"global": Recording()}, scalers)}
    with pytest.raises(ParamsError, match=r"^train\.models: "):
        evaluation.evaluate(daily, windows, splits, scalers, models, season_period=5, ridge_alpha=1.0)


def test_day_at_looks_up_rows_within_each_part():
    daily = pd.DataFrame({"part": ["B", "A", "A", "B"], "day": [10, 2, 1, 11], "target": 0.0})
    days = evaluation.day_at(daily, np.array(["A", "B"]), np.array([[0, 1], [1, 0]]))
    np.testing.assert_array_equal(days, [[1, 2], [11, 10]])


@pytest.mark.tf
def test_keras_network_predicts_all_windows_like_the_model():
    from plancast.runtime import import_tensorflow

    _, keras = import_tensorflow(3)
    model = keras.Sequential([keras.Input((4, 2)), keras.layers.GRU(3), keras.layers.Dense(2)])
    inputs = np.random.default_rng(0).normal(size=(6, 4, 2))
    expected = np.asarray(model(inputs.astype(np.float32)))
    np.testing.assert_allclose(KerasNetwork(model).predict_batch(inputs), expected, atol=1e-6)


def test_report_tables_compare_each_network_with_the_plan_per_part():
    daily, windows, splits, scalers = _pipeline_inputs()
    zero = Recording(0.0)
    models = {"zero": trained("global", {"A": zero, "B": zero}, scalers)}
    result = evaluation.evaluate(daily, windows, splits, scalers, models, season_period=5, ridge_alpha=1.0)
    tables = report_tables(result, ["zero"])

    kinds = dict(zip(tables.by_model["model"], tables.by_model["kind"], strict=True))
    assert kinds["zero"] == "network" and kinds["baseline_plan"] == "baseline" and len(kinds) == 7
    assert kinds["recommended"] == "recommended"
    zero_row = tables.by_model.set_index("model").loc["zero"]
    assert zero_row["test_mae"] == result.scores["test"]["zero"]["mae"]
    assert zero_row["val_bias"] == result.scores["val"]["zero"]["bias"]
    assert sorted(tables.by_part["part"]) == ["A", "B"]
    per_part = result.parts[(result.parts["split"] == "test") & (result.parts["delay"].astype(str) == "all")]
    plan_a = per_part[(per_part["model"] == "baseline_plan") & (per_part["part"] == "A")]["mae"].item()
    assert tables.by_part.set_index("part").loc["A", "plan_mae"] == plan_a
    assert tables.showcase_part in {"A", "B"}


def test_the_summary_round_trips_and_keeps_the_few_figures_under_short_names():
    recommended = RecommendedScore(
        route={2: "gru", 1: "boosted"}, test_mae=20.0, test_skill=0.3, fold_skill_mean=0.3, fold_skill_std=0.01,
        folds=3, coverage={80: 0.81, 95: 0.95}, p_better_than_plan={1: 0.01, 2: 0.2},
    )  # fmt: skip
    plan, network, tabular = Pooled(30.0, 28.0, 0.0), Pooled(25.0, 22.4, 0.2), Pooled(None, None, None)
    summary = EvaluationSummary("val.mae", "gru", "gru", None, recommended, plan, network, tabular)
    assert EvaluationSummary.from_json(summary.to_json()) == summary
    assert summary.to_json()["recommended"]["coverage_80"] == 0.81
    assert summary.to_json()["plan"] == {"val_mae": 30.0, "test_mae": 28.0, "test_skill": 0.0}
    assert summary.people() == {
        "skill": 0.3, "mae": 20.0, "skill_sd": 0.01, "cover80": 0.81, "cover95": 0.95,
        "route": "boosted D+1, gru D+2", "network": "gru", "network_skill": 0.2, "plan_mae": 28.0,
    }  # fmt: skip


def _keys(data: dict, prefix: str = "") -> set[str]:
    """The dotted keys of a JSON object's values: the columns `dvc exp show` would give it."""
    keys: set[str] = set()
    for key, value in data.items():
        keys |= _keys(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}"}
    return keys


def test_the_summary_has_the_same_figures_for_one_network_or_four_and_two_parts_or_twelve():
    def summary(networks: list[str], parts: tuple[str, ...]) -> EvaluationSummary:
        daily, windows, splits, scalers = _pipeline_inputs(parts)
        models = {
            name: trained("global", dict.fromkeys(parts, Recording(0.1 * number)), scalers)
            for number, name in enumerate(networks)
        }
        result = evaluation.evaluate(daily, windows, splits, scalers, models, season_period=5, ridge_alpha=1.0)
        assert list(result.scores["test"])[: len(networks)] == networks  # every model's: error_by_model.csv
        return result.summary

    few, many = summary(["a"], ("A", "B")), summary(["a", "b", "c", "d"], tuple("ABCDEFGHIJKL"))
    assert _keys(few.to_json()) == _keys(many.to_json())
    assert set(few.people()) == set(many.people())  # metrics/summary.json: DVC's columns


def test_a_series_without_plan_drops_the_models_made_of_plans_alone():
    from plancast.models.tabular import runnable_tabular, tabular_rows

    assert runnable_tabular(["plan_linear", "boosted"], 12) == ["plan_linear", "boosted"]
    assert runnable_tabular(["plan_linear", "boosted"], 0) == ["boosted"]
    days = pd.bdate_range("2025-01-06", periods=40)
    daily = pd.DataFrame({"part": "S", "day": days, "target": np.sin(np.arange(40.0)) * 10 + 20})  # no h columns
    windows = make_windows(daily, {"columns": {"S": ["target"]}}, 3, [1])
    splits, scalers, _ = split_and_scale(windows, [0.6, 0.2, 0.2], "standard")
    rows = tabular_rows(windows, daily, scalers, 0)
    result = evaluation.evaluate(
        daily, windows, splits, scalers, {}, season_period=5, ridge_alpha=1.0, rows=rows,
        tabular=["plan_linear", "boosted"],
    )  # fmt: skip
    assert "boosted" in result.scores["test"] and "plan_linear" not in result.scores["test"]


def test_every_forecast_gets_its_own_intervals_and_their_test_coverage():
    daily, windows, splits, scalers = _pipeline_inputs()
    zero = Recording(0.0)
    models = {"zero": trained("global", {"A": zero, "B": zero}, scalers)}
    # season 3, not the data's 5 (where the seasonal naive would be exact and take every delay)
    result = evaluation.evaluate(daily, windows, splits, scalers, models, season_period=3, ridge_alpha=1.0)

    intervals = result.recommendation.intervals
    assert list(intervals) == ["recommended", "zero"]  # forecasts a planner is given; no baselines
    recommended = result.summary.recommended
    # the recommended forecast's own entry is the one evaluation.json reports
    assert intervals["recommended"]["half_widths"] == result.recommendation.half_widths
    coverage = {"0.8": recommended.coverage[80], "0.95": recommended.coverage[95]}
    assert intervals["recommended"]["coverage"] == coverage
    own = intervals["zero"]
    assert len(own["half_widths"]["0.8"]) == len(windows.delays)
    assert all(a <= b for a, b in zip(own["half_widths"]["0.8"], own["half_widths"]["0.95"], strict=True))
    assert 0.0 <= own["coverage"]["0.8"] <= own["coverage"]["0.95"] <= 1.0
    # each is calibrated on its own errors: the recommended forecast is the plan at D+1 and the Ridge
    # baseline at D+2, so it is narrower than zero's at D+1, where the plan is closer, and at D+2 has the
    # width the Ridge's own held-out errors calibrate to (a routed baseline's interval)
    assert result.recommendation.route == {1: "baseline_plan", 2: "baseline_ridge"}
    assert intervals["recommended"]["half_widths"]["0.8"][0] < own["half_widths"]["0.8"][0]
    frame = result.predictions
    ridge = frame[(frame["model"] == "baseline_ridge") & (frame["delay"] == 2)]
    score = (ridge["actual"] - ridge["prediction"]).abs() / ridge["part"].map(result.recommendation.scales)
    for level in ("0.8", "0.95"):
        want = conformal_quantile(score.to_numpy(), float(level))
        assert intervals["recommended"]["half_widths"][level][1] == pytest.approx(want)


def test_evaluate_reports_each_network_tabular_fit_per_fold_baselines_route_and_intervals():
    from plancast.models.tabular import tabular_rows

    daily, windows, splits, scalers = _pipeline_inputs()
    zero = Recording(0.0)
    models = {"zero": trained("global", {"A": zero, "B": zero}, scalers)}
    rows = tabular_rows(windows, daily, scalers, 2)
    lines: list[str] = []
    result = evaluation.evaluate(
        daily, windows, splits, scalers, models, season_period=5, ridge_alpha=1.0, rows=rows,
        tabular=["plan_linear"], folds=2, progress=lines.append,
    )  # fmt: skip
    # validation's own pick per delay beside the route taken, and how firmly it won (issue 27 item 5)
    assert set(result.own_route) == set(result.recommendation.route) == set(result.firmness)
    assert all(isinstance(name, str) for name in result.own_route.values())
    assert set(result.loose_delays()) <= set(result.own_route)

    evaluated = len(splits.val.window) + len(splits.test.window)
    assert lines[0] == f"network zero: {evaluated} windows scored"
    fits = [line.split(":")[0] for line in lines if "plan_linear fitted on" in line]
    assert fits == ["validation", "test fold 1/2", "test fold 2/2"]
    assert lines[-3].startswith(f"baselines: {evaluated} windows scored by baseline_last, ")
    assert lines[-2].startswith("route chosen per delay on validation; ")
    assert lines[-1] == "intervals: 4 forecasts calibrated over 2 test fold(s)"


def test_the_route_reads_at_a_glance_in_delay_order():
    from plancast.evaluation.summary import route_text

    route = {d: "boosted" for d in range(1, 13)}
    assert route_text(route) == "boosted D+1..12"
    route.update({1: "combination", 2: "combination", 10: "baseline_plan"})
    assert route_text(route) == "combination D+1..2, boosted D+3..9, baseline_plan D+10, boosted D+11..12"


def _plain(values: np.ndarray, lookback: int = 5, fractions=(0.6, 0.2, 0.2)):
    """One plain series (no plan) as evaluate takes it: daily table, windows of [target], splits, scalers."""
    days = pd.bdate_range("2025-01-06", periods=len(values))
    daily = pd.DataFrame({"part": "S", "day": days, "target": values, "position": np.arange(len(values))})
    windows = make_windows(daily, {"columns": {"S": ["target"]}}, lookback, [1, 2])
    splits, scalers, _ = split_and_scale(windows, list(fractions), "standard")
    return daily, windows, splits, scalers


@pytest.mark.parametrize("name", [*sorted(BASELINES.keys() - {PLAN_BASELINE}), ETS_BASELINE])
def test_every_baseline_is_a_route_candidate_and_keeps_its_fit_for_the_forecast(name, monkeypatch):
    """Issue 28: a baseline that is best on validation is what the planner is given."""
    daily, windows, splits, scalers = _plain(50 + np.random.default_rng(1).normal(0, 5, 80).cumsum())

    def truth(*_):  # the baseline made exact on every evaluated window (validation, then test)
        return np.concatenate([splits.actual(split, windows) for split in ("val", "test")])

    if name == ETS_BASELINE:
        monkeypatch.setattr(evaluation, "ets_backtest", truth)
    else:
        monkeypatch.setitem(evaluation.BASELINES, name, truth)
    zero = Recording(0.0)
    models = {"zero": trained("global", {"S": zero}, scalers)}
    result = evaluation.evaluate(
        daily, windows, splits, scalers, models, season_period=5, ridge_alpha=1.0, statistical=["auto_ets"]
    )
    assert result.recommendation.route == {1: name, 2: name}
    assert list(result.recommendation.baselines) == [name]  # its fit, for stage forecast and the served model
    assert result.summary.recommended.test_mae == pytest.approx(0.0)


def test_the_recommended_forecast_is_never_worse_on_validation_than_the_best_baseline():
    rng = np.random.default_rng(3)
    trend = 20 + 0.8 * np.arange(120) + rng.normal(0, 1.5, 120)  # a level leaving the training range
    for values in (trend, 30 + 8 * np.sin(np.arange(120) * 2 * np.pi / 5) + rng.normal(0, 1, 120)):
        daily, windows, splits, scalers = _plain(values)
        constant = Recording(0.0)  # a network that cannot follow the level: the route must not keep it
        models = {"flat": trained("global", {"S": constant}, scalers)}
        result = evaluation.evaluate(
            daily, windows, splits, scalers, models, season_period=5, ridge_alpha=1.0, statistical=["auto_ets"]
        )
        validation = result.scores["val"]
        best = min(v["mae"] for k, v in validation.items() if k.startswith("baseline_") and k != PLAN_BASELINE)
        assert validation["recommended"]["mae"] <= best + 1e-12
        assert validation["recommended"]["mae"] < validation["flat"]["mae"]
        assert result.scores["val"][ETS_BASELINE]["mae"] == pytest.approx(
            result.parts.query("split == 'val' and model == @ETS_BASELINE and part == 'pooled' and delay == 'all'")[
                "mae"
            ].item()
        )
    on_trend = result.parts.query("split == 'test' and part == 'pooled' and delay == 'all'").set_index("model")["n"]
    assert on_trend[ETS_BASELINE] == on_trend["baseline_last"] == on_trend["recommended"]  # the same windows


def test_a_recursive_route_chooses_among_networks_and_baselines_only():
    from plancast.models.tabular import tabular_rows

    daily, windows, splits, scalers = _plain(50 + np.random.default_rng(2).normal(0, 5, 60).cumsum())
    rows = tabular_rows(windows, daily, scalers, 0)
    result = evaluation.evaluate(
        daily, windows, splits, scalers, {}, season_period=5, ridge_alpha=1.0, rows=rows, tabular=["boosted"],
        recursive=True,
    )  # fmt: skip
    assert "boosted" in result.scores["val"]  # scored, but a recursive forecast cannot feed the trees
    assert set(result.recommendation.route.values()) <= set(BASELINES) - {PLAN_BASELINE}
