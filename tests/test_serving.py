"""The recommended forecast as a servable folder: the tabular models' files, the folder, its loader."""

import hashlib
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.ensemble import HistGradientBoostingRegressor

from plancast.data.calendar import Calendar
from plancast.errors import InputDataError, PlancastError
from plancast.features.scaling import fit_scalers
from plancast.features.windows import make_windows
from plancast.forecasting import INTERVAL_COLUMNS, fit_tabular, recommended_forecast
from plancast.latest_window import latest_windows
from plancast.models.baseline_models import fit_baselines
from plancast.models.recommended import Recommendation
from plancast.models.tabular_export import OnnxTrees, trees_to_onnx
from plancast.names import ETS_BASELINE, LAST_BASELINE, MEAN_BASELINE, RIDGE_BASELINE, SEASONAL_BASELINE
from plancast.params_ingest import IngestParams
from plancast.params_sections import DailyParams, ReportParams
from plancast.serving import load_recommended, save_recommended
from plancast.serving_daily import DAILY_KEYS
from plancast.serving_manifest import file_sha256


def test_boosted_trees_in_onnx_predict_as_scikit_learn_and_are_byte_stable(tmp_path):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(600, 8))
    inputs[rng.random(inputs.shape) < 0.2] = np.nan  # unknown vintages: NaN goes where each split learned
    target = np.nan_to_num(inputs[:, 0]) * 2 + np.nan_to_num(inputs[:, 1]) ** 2 + np.isnan(inputs[:, 2])
    trees = HistGradientBoostingRegressor(loss="absolute_error", max_iter=60, early_stopping=False, random_state=0)
    trees.fit(inputs, target)
    (tmp_path / "a.onnx").write_bytes(trees_to_onnx(trees, 8))
    assert trees_to_onnx(trees, 8) == (tmp_path / "a.onnx").read_bytes()
    unseen = rng.normal(size=(400, 8))
    unseen[rng.random(unseen.shape) < 0.2] = np.nan
    np.testing.assert_allclose(
        OnnxTrees(tmp_path / "a.onnx").predict(unseen), trees.predict(unseen), rtol=1e-5, atol=1e-6
    )
    with pytest.raises(InputDataError, match=r"a\.onnx: takes 8 columns, the design has 7"):
        OnnxTrees(tmp_path / "a.onnx").predict(unseen[:, :7])


PARTS, DAYS, LOOKBACK, DELAYS = ("A", "B"), 90, 4, [1, 2]
RECOMMENDATION = Recommendation(
    route={1: "boosted", 2: "plan_linear"},  # both kinds of tabular model, one per delay
    plan="baseline_plan",
    best_network=None,
    best_tabular="boosted",
    levels=[0.8, 0.95],
    half_widths={"0.8": [0.5, 0.6], "0.95": [1.0, 1.3]},
    delays=DELAYS,
    scales={"A": 3.0, "B": 4.0},
    intervals={"recommended": {"half_widths": {"0.8": [0.5, 0.6], "0.95": [1.0, 1.3]}}},
)
# horizon_trust.csv of a test period: part A's rows and the pooled rows (ours 3.0 vs the plan's 4.0 at D+1)
TRUST = pd.DataFrame(
    {
        "part": ["A", "A", "pooled", "pooled"], "horizon": [1, 2, 1, 2], "label": ["D+1", "D+2", "D+1", "D+2"],
        "pairs": [10, 10, 20, 20], "plan_mae": [4.0, 5.0, 4.0, 6.5], "plan_bias": [0.5, -1.0, 0.25, -0.5],
        "relative_plan_mae": [0.1, 0.125, 0.1, 0.16], "recommended_mae": [3.0, 4.0, 3.0, 4.5],
        "plan_mae_same_windows": [4.0, 5.0, 4.0, 6.0], "beats_plan": [True, True, True, True],
    }
)  # fmt: skip
# what save_recommended keeps beside the models: how exports are read, the trust table, the workbook's language
KEPT = {"reading": IngestParams(max_horizon=3), "trust": TRUST, "report": ReportParams()}


def _daily() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2025-01-06", periods=DAYS)
    frames = []
    for part in PARTS:
        target = np.round(rng.uniform(20, 60) + 10 * np.sin(np.arange(DAYS) / 3) + rng.normal(0, 4, DAYS))
        frame = pd.DataFrame({"part": part, "day": days, "target": target})
        for k in (1, 2, 3):  # the plan made today for k days on: the truth plus noise growing with k
            frame[f"h{k}"] = np.roll(target, -k) + np.round(rng.normal(0, 3 * k, DAYS))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).assign(present=True, position=np.tile(np.arange(DAYS), len(PARTS)))


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A tiny pipeline's recommended forecast: the forecast stage's rows and the folder it saved."""
    daily = _daily()
    columns = {part: ["target", "h1"] for part in PARTS}
    windows = make_windows(daily, {"columns": columns}, LOOKBACK, DELAYS)
    scalers = fit_scalers(
        windows.inputs, windows.targets, windows.part, np.flatnonzero(windows.position < 60), "standard"
    )
    tabular = fit_tabular(daily, windows, scalers, ["plan_linear", "boosted"])
    latest = latest_windows(daily, LOOKBACK, DELAYS, columns, Calendar(), windows.feature_names)
    frame = recommended_forecast(daily, latest, scalers, {}, tabular, RECOMMENDATION, Calendar())
    folder = tmp_path_factory.mktemp("serving") / "recommended"
    args = (RECOMMENDATION, windows, columns, scalers, 3, DailyParams(), tabular, {})
    save_recommended(folder, *args, **KEPT)
    again = folder.parent / "again"
    save_recommended(again, *args, **KEPT)
    return daily, frame[frame["model"] == "recommended"].reset_index(drop=True), folder, again


def test_the_loaded_folder_forecasts_the_stages_recommended_rows_from_the_daily_table_alone(fitted):
    daily, expected, folder, _ = fitted
    rows = load_recommended(folder).forecast(daily)
    assert len(rows) == len(PARTS) * len(DELAYS)
    pd.testing.assert_frame_equal(
        rows[["method", "part", "model", "step_ahead", "day", "plan"]],
        expected[["method", "part", "model", "step_ahead", "day", "plan"]],
    )
    for column in ["forecast", *INTERVAL_COLUMNS]:
        np.testing.assert_allclose(rows[column], expected[column], rtol=1e-5, atol=1e-6, err_msg=column)


def test_the_folder_holds_only_what_the_route_needs_and_is_byte_stable(fitted):
    _, _, folder, again = fitted
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    onnx = ["boosted-d1.onnx", "boosted-d2.onnx"]
    assert files == [*onnx, "horizon_trust.csv", "plan_linear.json", "recommended.json", "scalers.json"]
    for name in files:
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name


def _tamper(folder, name):
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 1
    (folder / name).write_bytes(bytes(data))


@pytest.mark.parametrize(
    "route", [(LAST_BASELINE, RIDGE_BASELINE), (SEASONAL_BASELINE, MEAN_BASELINE), (ETS_BASELINE, ETS_BASELINE)]
)
def test_a_routed_baseline_is_served_from_its_fit_in_the_folder(route, tmp_path):
    daily = _daily()
    columns = {part: ["target", "h1"] for part in PARTS}
    windows = make_windows(daily, {"columns": columns}, LOOKBACK, DELAYS)
    scalers = fit_scalers(
        windows.inputs, windows.targets, windows.part, np.flatnonzero(windows.position < 60), "standard"
    )
    fits = fit_baselines(route, windows, daily, scalers, 5, 1.0)
    recommendation = replace(
        RECOMMENDATION, route=dict(zip(DELAYS, route, strict=True)), best_tabular=None, baselines=fits.to_json()
    )
    latest = latest_windows(daily, LOOKBACK, DELAYS, columns, Calendar(), windows.feature_names)
    stage = recommended_forecast(daily, latest, scalers, {}, {}, recommendation, Calendar())
    stage = stage[stage["model"] == "recommended"].reset_index(drop=True)
    for column, name in enumerate(route):  # the stage's rows are each routed baseline's formula
        own = fits.predict(name, latest.windows, daily, scalers)[:, column]
        np.testing.assert_allclose(stage.loc[stage["step_ahead"] == DELAYS[column], "forecast"], own)
    folder = tmp_path / "recommended"
    save_recommended(folder, recommendation, windows, columns, scalers, 3, DailyParams(), {}, {}, **KEPT)
    files = sorted(p.name for p in folder.iterdir())
    kept = ["horizon_trust.csv", "recommended.json", "scalers.json"]
    assert files == sorted([*{f"{name}.json" for name in route}, *kept])
    served = load_recommended(folder)
    assert served.recommendation.baselines == json.loads(json.dumps(fits.to_json()))
    rows = served.forecast(daily)
    for column in ["forecast", *INTERVAL_COLUMNS]:
        np.testing.assert_allclose(rows[column], stage[column], rtol=1e-9, err_msg=column)

    _tamper(folder, f"{route[0]}.json")
    with pytest.raises(InputDataError, match=rf"{route[0]}\.json: changed since stage forecast wrote it"):
        load_recommended(folder)
    (folder / f"{route[0]}.json").write_text('{"season_period": "x", "means": 1, "parts": 2, "alpha": []}')
    _edit(folder, lambda m: m["files"].update({f"{route[0]}.json": file_sha256(folder / f"{route[0]}.json")}))
    assert _refused(folder).startswith(f"{folder}/{route[0]}.json: not a plancast {route[0]} fit (")
    _edit(folder, lambda m: m["baselines"].pop(route[0]))
    assert "recommendation.route.1: is none of this folder's models" in _refused(folder)
    with pytest.raises(InputDataError, match=r"routes to 'baseline_\w+', which this pipeline does not have"):
        save_recommended(
            tmp_path / "again", replace(recommendation, baselines={}), windows, columns, scalers, 3, DailyParams(),
            {}, {}, **KEPT,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: _tamper(f, "boosted-d2.onnx"), r"boosted-d2\.onnx: changed since stage forecast wrote it"),
        (lambda f: _tamper(f, "plan_linear.json"), r"plan_linear\.json: changed since stage forecast wrote it"),
        (lambda f: _tamper(f, "horizon_trust.csv"), r"horizon_trust\.csv: changed since stage forecast wrote it"),
        (lambda f: (f / "scalers.json").unlink(), r"scalers\.json: missing \(named in recommended\.json\)"),
        (lambda f: (f / "recommended.json").unlink(), r"recommended\.json: not found"),
        (lambda f: (f / "recommended.json").write_text("{"), r"recommended\.json: not valid JSON"),
        (lambda f: (f / "recommended.json").write_text("{}"), r"recommended\.json: not a plancast recommended model"),
    ],
)
def test_a_missing_or_changed_file_stops_with_one_line_naming_it(fitted, tmp_path, damage, message):
    import shutil

    folder = tmp_path / "recommended"
    shutil.copytree(fitted[2], folder)
    damage(folder)
    with pytest.raises(InputDataError, match=message) as raised:
        load_recommended(folder)
    assert "\n" not in str(raised.value) and str(folder) in str(raised.value)


def test_a_daily_table_without_the_models_inputs_is_refused_in_one_line(fitted):
    daily, _, folder, _ = fitted
    with pytest.raises(InputDataError, match=r"daily table: no column 'h1' \(the recommended model of .* reads"):
        load_recommended(folder).forecast(daily.drop(columns="h1"))


# Issue 22, case 10: the manifest is checked before anything is loaded, on a real folder each time.


def _copy(fitted, tmp_path):
    import shutil

    folder = tmp_path / "recommended"
    shutil.copytree(fitted[2], folder)
    return folder


def _edit(folder, change):
    """Rewrite recommended.json with ``change`` applied (it holds no hash of itself)."""
    manifest = json.loads((folder / "recommended.json").read_text(encoding="utf-8"))
    change(manifest)
    (folder / "recommended.json").write_text(json.dumps(manifest), encoding="utf-8")


def _refused(folder) -> str:
    with pytest.raises(InputDataError) as raised:
        load_recommended(folder)
    assert "\n" not in str(raised.value)
    return str(raised.value)


def test_a_changed_file_whose_hash_was_removed_from_the_list_is_refused(fitted, tmp_path):
    folder = _copy(fitted, tmp_path)
    _edit(folder, lambda manifest: manifest["files"].pop("boosted-d2.onnx"))
    _tamper(folder, "boosted-d2.onnx")
    assert _refused(folder) == (
        f"{folder}/recommended.json: files: no SHA-256 for 'boosted-d2.onnx', which tabular.boosted.files opens "
        "(every file loaded is listed)"
    )


@pytest.mark.parametrize("elsewhere", ["../../../elsewhere", "ABSOLUTE"])
def test_a_network_folder_outside_the_folder_is_refused_before_it_is_opened(fitted, tmp_path, elsewhere):
    # The absolute path short enough to be quoted whole in the line (a pytest-xdist worker's tmp_path is not).
    outside = Path(tempfile.mkdtemp(prefix="elsewhere-")) if elsewhere == "ABSOLUTE" else tmp_path / "elsewhere"
    outside.mkdir(exist_ok=True)
    (outside / "manifest.json").write_text("{}", encoding="utf-8")  # what the loader used to open
    folder = _copy(fitted, tmp_path / "a" / "b")
    path = str(outside) if elsewhere == "ABSOLUTE" else elsewhere
    assert (folder / path).resolve() == outside.resolve()
    _edit(folder, lambda manifest: manifest["networks"].update(lstm=path))
    try:
        assert _refused(folder) == (
            f"{folder}/recommended.json: networks.lstm: must be a path inside the model's folder (relative, "
            f"without '..') (got {path!r})"
        )
    finally:
        if elsewhere == "ABSOLUTE":
            shutil.rmtree(outside)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda m: m["tabular"]["plan_linear"].update(files=["../plan_linear.json"]),
            "tabular.plan_linear.files.0: must be a path inside the model's folder (relative, without '..') "
            "(got '../plan_linear.json')",
        ),
        (
            lambda m: m["files"].update({"../../etc/passwd": "0" * 64}),
            "files: key '../../etc/passwd' must be a path inside the model's folder (relative, without '..')",
        ),
    ],
    ids=["tabular-file", "hashed-file"],
)
def test_a_file_path_leaving_the_folder_is_refused(fitted, tmp_path, change, message):
    folder = _copy(fitted, tmp_path)
    _edit(folder, change)
    assert _refused(folder) == f"{folder}/recommended.json: {message}"


def test_a_listed_file_that_links_outside_the_folder_is_refused(fitted, tmp_path):
    folder = _copy(fitted, tmp_path)
    outside = tmp_path / "outside.json"
    outside.write_bytes((folder / "scalers.json").read_bytes())  # the same bytes: its hash matches
    (folder / "scalers.json").unlink()
    (folder / "scalers.json").symlink_to(outside)
    assert _refused(folder) == (
        f"{folder}/recommended.json: files: 'scalers.json' leads outside {folder} (a symbolic link); "
        "a model's files lie inside it"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda m: m["tabular"]["boosted"]["columns"][0].append(99),
            "tabular.boosted.columns.0.{n}: is not a column of a design {width} wide (got 99)",
        ),
        (
            lambda m: m["tabular"]["boosted"]["columns"][1].append(-1),
            "tabular.boosted.columns.1.{n1}: Input should be greater than or equal to 0 (got -1)",
        ),
        (
            lambda m: m["design"]["daily"].update(country="XX"),
            "design.daily.country: is not a country code the holidays package knows, e.g. KR, US, DE (got 'XX')",
        ),
        (
            lambda m: m["design"].update(lookback=0),
            "design.lookback: Input should be greater than or equal to 1 (got 0)",
        ),
        (lambda m: m["design"].update(lookback="4"), "design.lookback: Input should be a valid integer (got '4')"),
        (
            lambda m: m["design"].update(delays=[1, -2]),
            "design.delays.1: Input should be greater than or equal to 1 (got -2)",
        ),
        (
            lambda m: m["recommendation"]["route"].update({"2": "lstm"}),
            "recommendation.route.2: is none of this folder's models "
            "(baseline_plan, boosted, combination, plan_linear) (got 'lstm')",
        ),
        (
            lambda m: m["recommendation"]["route"].update({"5": "boosted"}),
            "recommendation.route.5: is not one of the delays [1, 2] (got '5')",
        ),
        (
            lambda m: m["recommendation"]["half_widths"].update({"0.8": [0.5]}),
            "recommendation.half_widths.0.8: 1 half-widths for 2 delays (got [0.5])",
        ),
        (lambda m: m.update(format=1), "format 1, this plancast reads format 2"),
        (
            lambda m: m["design"]["ingest"].update(source="/etc/passwd"),
            "design.ingest.source: names no file: the caller gives the exports (got '/etc/passwd')",
        ),
        (
            lambda m: m["design"]["ingest"].update(pattern="../*"),
            "design.ingest.pattern: names no file: the caller gives the exports (got '../*')",
        ),
        (
            lambda m: m["design"]["ingest"].update(timezone="Mars/Base"),
            "design.ingest.timezone: must be an IANA time zone name such as Asia/Seoul or UTC, or null "
            "(got 'Mars/Base')",
        ),
        (
            lambda m: m["design"]["ingest"].update(time_column="Part Number"),
            "design.ingest.time_column: names the same column as ingest.part_column ('Part Number'); "
            "each must be its own column",
        ),
        (
            lambda m: m["report"].update(language="fr"),
            "report.language: Input should be 'en' or 'ko' (got 'fr')",
        ),
    ],
    ids=["column-index", "negative-column", "country", "lookback-0", "lookback-text", "delay", "route", "route-delay",
         "half-widths", "format", "ingest-source", "ingest-pattern", "ingest-zone", "ingest-columns", "language"],
)  # fmt: skip
def test_a_bad_number_or_name_in_the_manifest_is_one_line_naming_the_key_and_value(fitted, tmp_path, change, message):
    folder = _copy(fitted, tmp_path)
    manifest = json.loads((folder / "recommended.json").read_text(encoding="utf-8"))
    used = manifest["tabular"]["boosted"]["columns"]
    _edit(folder, change)
    expected = message.format(n=len(used[0]), n1=len(used[1]), width=manifest["tabular"]["boosted"]["design_width"][0])
    assert _refused(folder) == f"{folder}/recommended.json: {expected}"


def _network_folder(folder, weights):
    """A routed network's folder in the served folder: its manifest listed with its hash, as saved."""
    from plancast.artifacts import read_json
    from plancast.features.scaling import Scalers
    from plancast.models.manifest import Manifest

    scalers = Scalers.from_json(read_json(folder / "scalers.json"))
    network = Manifest(
        model="net", scope="global", lookback=LOOKBACK, delays=tuple(DELAYS), scalers=scalers,
        columns={part: ["target", "h1"] for part in PARTS}, weights={part: weights for part in PARTS},
    )  # fmt: skip
    (folder / "networks" / "net").mkdir(parents=True)
    (folder / "networks/net/manifest.json").write_text(json.dumps(network.to_json()), encoding="utf-8")
    digest = hashlib.sha256((folder / "networks/net/manifest.json").read_bytes()).hexdigest()
    _edit(
        folder,
        lambda m: (m["networks"].update(net="networks/net"), m["files"].update({"networks/net/manifest.json": digest})),
    )


def test_a_networks_onnx_file_must_be_inside_its_folder_and_listed(fitted, tmp_path):
    folder = _copy(fitted, tmp_path / "outside")
    _network_folder(folder, "../../../x.weights.h5")
    assert _refused(folder) == (
        f"{folder}/networks/net/manifest.json: weights.A: must be a path inside the model's folder "
        "(relative, without '..') (got '../../../x.weights.h5')"
    )
    folder = _copy(fitted, tmp_path / "unlisted")
    _network_folder(folder, "global.weights.h5")
    (folder / "networks/net/global.onnx").write_bytes(b"not listed")
    assert _refused(folder) == (
        f"{folder}/recommended.json: files: no SHA-256 for 'networks/net/global.onnx', which "
        "networks/net/manifest.json opens (every file loaded is listed)"
    )


# The serving entry reads a daily table as stage daily_last writes it, or refuses in one line.


@pytest.fixture(scope="module")
def served(fitted):
    return load_recommended(fitted[2])


def _refused_table(model, daily) -> str:
    with pytest.raises(PlancastError) as raised:
        model.forecast(daily)
    assert "\n" not in str(raised.value)
    return str(raised.value)


def test_a_table_without_present_is_refused_not_bridged(fitted, served):
    daily = fitted[0].drop(index=[3, 4])  # two days of part A without a snapshot, no row saying so
    assert _refused_table(served, daily.drop(columns="present")) == (
        f"daily table: no column 'present' (the recommended model of {fitted[2]} reads part, day, position, "
        "present, target, h1, h2, h3, as stage daily_last writes them)"
    )


def test_duplicated_rows_are_refused_not_averaged_into_the_forecast(fitted, served):
    daily = fitted[0]
    doubled = pd.concat([daily, daily[daily["part"] == "B"].tail(3).assign(target=500.0)], ignore_index=True)
    last = pd.Timestamp(daily["day"].max()).date() - pd.Timedelta(days=2)
    assert _refused_table(served, doubled) == (
        f"daily table: part 'B' has 2 rows for {last.isoformat()} (a daily table has one row per part and day)"
    )


def test_a_part_whose_targets_are_all_empty_gets_no_forecast_and_says_why(fitted, served):
    daily = fitted[0].copy()
    daily.loc[daily["part"] == "A", "target"] = np.nan
    result = served.serve(daily)
    assert set(result.rows["part"]) == {"B"}  # was: A's forecasts, finite numbers from no history
    last = pd.Timestamp(daily["day"].max()).date().isoformat()
    assert result.skipped == {"A": f"no value of target on {last}, inside its latest {LOOKBACK} days"}
    pd.testing.assert_frame_equal(result.rows, served.forecast(fitted[0]).query("part == 'B'").reset_index(drop=True))


def test_a_table_without_any_actual_in_the_latest_window_is_refused(fitted, served):
    daily = fitted[0].copy()
    latest = daily["position"] >= DAYS - LOOKBACK  # every part's latest LOOKBACK days: plans, no actuals
    assert _refused_table(served, daily.assign(target=daily["target"].where(~latest))) == (
        f"daily table: no part has a finite target in its latest {LOOKBACK} working days, up to 2025-05-09 "
        "(the actuals every forecast starts from; a table of plans alone has none)"
    )
    one_earlier = daily["position"] >= DAYS - LOOKBACK + 1  # one actual left at the window's start
    assert len(served.forecast(daily.assign(target=daily["target"].where(~one_earlier)))) == 0
    assert set(served.serve(daily.assign(target=daily["target"].where(~one_earlier))).skipped) == {"A", "B"}


def test_the_card_names_the_version_route_and_test_skill_per_delay(fitted, served):
    card = served.card()
    assert card["version"] == hashlib.sha256((fitted[2] / "recommended.json").read_bytes()).hexdigest()
    assert card["route"] == {"1": "boosted", "2": "plan_linear"} and card["delays"] == DELAYS
    assert card["test"] == {  # TRUST's pooled rows: 1 - 3.0 / 4.0 and 1 - 4.5 / 6.0 (on the same windows)
        "1": {"mae": 3.0, "plan_mae": 4.0, "skill": 0.25},
        "2": {"mae": 4.5, "plan_mae": 6.0, "skill": 0.25},
    }
    assert json.loads(json.dumps(card)) == card


GAP = "(a working day without a snapshot is a row with present False, as stage daily_last writes it)"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.assign(target=d["target"].astype(str)), "column 'target' must hold numbers (got dtype str)"),
        (
            lambda d: d.assign(present=d["present"].astype(int)),
            "column 'present' must hold True/False (got dtype int64)",
        ),
        (
            lambda d: d.assign(day=d["day"].dt.strftime("%Y-%m-%d")),
            "column 'day' must hold dates or integer steps (got dtype str)",
        ),
        (
            lambda d: d.assign(part=np.where(d["part"] == "A", 1, 2)),
            "column 'part': row 0 holds 1, not a part id (text)",
        ),
        (lambda d: d.drop(index=10), f"part 'A' has no row for 2025-01-20 {GAP}"),
        (lambda d: d.drop(index=DAYS - 1), f"part 'A' has no row for 2025-05-09 {GAP}"),
        (
            lambda d: d.assign(day=d["day"].where(d.index != 5, pd.Timestamp("2025-01-11"))),
            "part 'A' has a row on a day off: 2025-01-11 is a Saturday "
            "(the model's calendar: recommended.json design.daily)",
        ),
        (
            lambda d: d.assign(position=d["position"].where(d.index != 7, 70)),
            "part 'A' on 2025-01-15: position 70 does not count working days (the model's calendar gives 7)",
        ),
        (
            lambda d: d.assign(h2=d["h2"].where(d.index != 30, np.inf)),
            "part 'A' on 2025-02-17: h2 is inf (a quantity is finite; an unknown one is empty)",
        ),
        (lambda d: d.iloc[:0], "no rows"),
    ],
    ids=["target-text", "present-int", "day-text", "part-number", "row-dropped", "last-row-dropped", "day-off",
         "position", "inf", "empty"],
)  # fmt: skip
def test_a_table_that_is_not_a_daily_table_is_refused_in_one_line(fitted, served, damage, message):
    assert _refused_table(served, damage(fitted[0])) == f"daily table: {message}"


def test_row_order_and_extra_columns_do_not_change_the_forecast(fitted, served):
    daily = fitted[0]
    shuffled = daily.sample(frac=1.0, random_state=0).assign(snapshots=1, note="x")
    pd.testing.assert_frame_equal(served.forecast(shuffled), served.forecast(daily))


# Property: over tables derived from a real daily table, the serving entry answers with finite
# forecasts (naming every other part with a reason) or refuses in one line, never anything else.

NUMBERS = ["target", "h1", "h2", "h3"]
MUTATIONS = [
    "gap", "drop_rows", "duplicate_rows", "nan_values", "inf", "negative", "shuffle", "extra_part", "all_nan_part",
    "off_calendar", "nan_plan", "truncate_part",
]  # fmt: skip


def _mutated(daily: pd.DataFrame, mutation: str, data) -> pd.DataFrame:
    def rows(most: int = 5) -> pd.Index:
        chosen = data.draw(st.lists(st.integers(0, len(daily) - 1), min_size=1, max_size=most, unique=True))
        return daily.index[chosen]

    daily = daily.reset_index(drop=True).copy()
    if daily.empty:
        return daily
    part = data.draw(st.sampled_from(sorted(daily["part"].astype(str).unique())))
    own = daily.index[daily["part"].astype(str) == part]
    if mutation == "gap":  # a working day without a snapshot, as daily_last lays it
        chosen = rows()
        daily.loc[chosen, "present"] = False
        daily.loc[chosen, NUMBERS] = np.nan
    elif mutation == "drop_rows":
        daily = daily.drop(index=rows())
    elif mutation == "duplicate_rows":
        daily = pd.concat([daily, daily.loc[rows(3)]])
    elif mutation == "nan_values":
        daily.loc[rows(), data.draw(st.sampled_from(NUMBERS))] = np.nan
    elif mutation == "inf":
        daily.loc[rows(1), data.draw(st.sampled_from(NUMBERS))] = data.draw(st.sampled_from([np.inf, -np.inf]))
    elif mutation == "negative":
        daily.loc[rows(), "target"] *= -1
    elif mutation == "drop_column":
        daily = daily.drop(columns=data.draw(st.sampled_from(["part", "day", "position", "present", *NUMBERS])))
    elif mutation == "dtype":
        column, kind = data.draw(st.sampled_from([
            ("target", str), ("target", "Int64"), ("target", bool), ("h1", object), ("present", int),
            ("present", object), ("day", str), ("day", "steps"), ("part", "codes"), ("position", float),
        ]))  # fmt: skip
        if kind == "steps":
            daily["day"] = daily["position"]
        elif kind == "codes":
            daily["part"] = daily["part"].astype("category").cat.codes
        elif kind == "Int64":
            values = daily[column].round()
            daily[column] = values.where(np.isfinite(values)).astype("Int64")  # NaN -> <NA>
        else:
            daily[column] = daily[column].astype(kind)
    elif mutation == "shuffle":
        daily = daily.sample(frac=1.0, random_state=data.draw(st.integers(0, 2**16)))
    elif mutation == "extra_part":  # a part the model never saw, maybe shorter than the lookback
        tail = data.draw(st.integers(1, len(own)))
        daily = pd.concat([daily, daily.loc[own[-tail:]].assign(part="C")])
    elif mutation == "all_nan_part":
        daily.loc[own, "target"] = np.nan
        if data.draw(st.booleans()):
            daily.loc[own, ["present", *NUMBERS]] = [False, *[np.nan] * len(NUMBERS)]
    elif mutation == "off_calendar":
        chosen = rows(1)
        daily.loc[chosen, "day"] = daily.loc[chosen, "day"] + pd.Timedelta(days=data.draw(st.integers(1, 6)))
    elif mutation == "nan_plan":  # the plan of the last day does not reach that far
        daily.loc[own[-1], data.draw(st.sampled_from(NUMBERS[1:]))] = np.nan
    elif mutation == "truncate_part":
        daily = daily.drop(index=own[-data.draw(st.integers(1, len(own))) :])
    return daily


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_serving_entry_forecasts_finite_numbers_or_refuses_in_one_line(served, fitted, data):
    daily = fitted[0]
    mutations = data.draw(st.lists(st.sampled_from(MUTATIONS), max_size=3), label="mutations")
    schema = data.draw(st.sampled_from([None, "drop_column", "dtype"]), label="schema")
    for mutation in [*mutations, *([schema] if schema else [])]:  # the rows change first, then the columns
        daily = _mutated(daily, mutation, data)
    absent = {*DAILY_KEYS, *NUMBERS} - set(daily.columns)
    doubled = not absent and daily.duplicated(["part", "day"]).any()
    try:
        result = served.serve(daily)
    except PlancastError as refused:
        message = str(refused)
        assert message.startswith("daily table: ") and "\n" not in message, message
        return
    assert not absent and not doubled  # a table without present bridges gaps; a doubled day moves the forecast
    rows = result.rows
    assert np.isfinite(rows["forecast"].to_numpy(np.float64)).all()
    assert not np.isinf(rows[INTERVAL_COLUMNS].to_numpy(np.float64)).any()
    parts = set(daily["part"])
    assert set(rows["part"]) <= parts and set(result.skipped) <= parts
    for part in parts - set(result.skipped):
        assert sorted(rows.loc[rows["part"] == part, "step_ahead"]) == DELAYS, part
    assert all(isinstance(reason, str) and reason and "\n" not in reason for reason in result.skipped.values())
    base = served.forecast(fitted[0])
    for part in set(rows["part"]):
        assert daily.loc[daily["part"] == part, "target"].notna().any(), part  # no forecast from no history
        if _same_rows(daily, fitted[0], part):  # a part's forecast reads its own rows only
            np.testing.assert_allclose(
                rows.loc[rows["part"] == part, "forecast"], base.loc[base["part"] == part, "forecast"], err_msg=part
            )


def _same_rows(daily: pd.DataFrame, original: pd.DataFrame, part: str) -> bool:
    def own(table: pd.DataFrame) -> pd.DataFrame:
        chosen = table[table["part"] == part].sort_values("day")
        return chosen.reindex(columns=original.columns).reset_index(drop=True)

    try:
        pd.testing.assert_frame_equal(own(daily), own(original))
    except AssertionError:
        return False
    return True


def test_a_day_ahead_without_a_plan_is_named_not_given_as_nan(fitted, tmp_path):
    folder = _copy(fitted, tmp_path)
    _edit(folder, lambda m: m["recommendation"]["route"].update({"2": "baseline_plan"}))  # the plan itself
    daily = fitted[0].copy()
    daily.loc[daily.index[-1], "h2"] = np.nan  # part B's last plan does not reach 2 days ahead
    result = load_recommended(folder).serve(daily)
    assert result.skipped == {"B": "no forecast 2 days ahead: the plan h2 of its last day, 2025-05-09, is empty"}
    assert result.rows[["part", "step_ahead"]].values.tolist() == [["A", 1], ["A", 2], ["B", 1]]
    assert np.isfinite(result.rows["forecast"]).all()


@pytest.mark.tf
def test_a_served_network_keeps_its_gap_channel(fitted, tmp_path):
    """A network trained on windows with missing days is served with its gap channel: the copied
    manifest says so and ONNX Runtime reads a window with a missing day as Keras does."""
    from dataclasses import replace

    from plancast.artifacts import read_json
    from plancast.features.scaling import Scalers
    from plancast.models.engines import with_gap_channel
    from plancast.models.manifest import Manifest
    from plancast.models.networks import build_network
    from plancast.models.store import save_model, write_onnx
    from plancast.params_sections import ModelSpec
    from plancast.runtime import import_tensorflow

    import_tensorflow(2)
    spec = ModelSpec.model_validate({"layers": [{"type": "gru", "units": 3}]})
    network = build_network(spec, LOOKBACK, 3, len(DELAYS))  # target, h1 and the gap channel
    scalers = Scalers.from_json(read_json(fitted[2] / "scalers.json"))
    manifest = Manifest("net", "global", LOOKBACK, tuple(DELAYS), {p: ["target", "h1"] for p in PARTS}, scalers, {},
                        gap_channel=True)  # fmt: skip
    save_model(tmp_path / "net", manifest, dict.fromkeys(PARTS, network))
    write_onnx(tmp_path / "net")
    daily = _daily()
    windows = make_windows(daily, {"columns": {p: ["target", "h1"] for p in PARTS}}, LOOKBACK, DELAYS)
    tabular = fit_tabular(daily, windows, scalers, ["plan_linear"])
    routed = replace(RECOMMENDATION, route={1: "net", 2: "plan_linear"})
    save_recommended(tmp_path / "served", routed, windows, {p: ["target", "h1"] for p in PARTS}, scalers, 3,
                     DailyParams(), tabular, {"net": tmp_path / "net"}, **KEPT)  # fmt: skip
    served = load_recommended(tmp_path / "served").networks["net"]
    assert served.manifest.gap_channel
    inputs = np.random.default_rng(4).normal(size=(2, LOOKBACK, 2)).astype(np.float32)
    inputs[0, 1] = np.nan
    got = served.predict_scaled(inputs, np.array(PARTS))
    np.testing.assert_allclose(got, network.predict(with_gap_channel(inputs), verbose=0), atol=1e-5)
    assert np.isfinite(got).all()


def test_a_folder_saved_under_keep_serves_a_part_whose_latest_days_have_a_gap(fitted, tmp_path):
    daily, _, folder, _ = fitted
    assert "gaps" not in json.loads((folder / "recommended.json").read_text())["design"]  # drop: as before
    assert load_recommended(folder).design.gaps == "drop"
    columns = {part: ["target", "h1"] for part in PARTS}
    windows = make_windows(daily, {"columns": columns}, LOOKBACK, DELAYS, gaps="keep")
    scalers = fit_scalers(
        windows.inputs, windows.targets, windows.part, np.flatnonzero(windows.position < 60), "standard"
    )
    tabular = fit_tabular(daily, windows, scalers, ["plan_linear", "boosted"])
    kept = tmp_path / "kept"
    save_recommended(
        kept, RECOMMENDATION, windows, columns, scalers, 3, DailyParams(), tabular, {}, gaps="keep", **KEPT
    )
    model = load_recommended(kept)
    assert model.design.gaps == "keep"
    gapped = daily.copy()
    second_last = (gapped["part"] == "A") & (gapped["position"] == DAYS - 2)  # A's day before its last
    gapped.loc[second_last, ["target", "h1", "h2", "h3"]] = np.nan
    gapped.loc[second_last, "present"] = False
    served = model.serve(gapped)
    assert served.skipped == {} and sorted(set(served.rows["part"])) == ["A", "B"]
    assert np.isfinite(served.rows["forecast"]).all()
    assert set(load_recommended(folder).serve(gapped).skipped) == {"A"}  # drop's rule: no forecast for A
