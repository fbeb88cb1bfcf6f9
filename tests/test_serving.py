"""The recommended forecast as a servable folder: the tabular models' files, the folder, its loader."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from plancast.data.calendar import Calendar
from plancast.errors import InputDataError
from plancast.features.scaling import fit_scalers
from plancast.features.windows import make_windows
from plancast.forecasting import INTERVAL_COLUMNS, fit_tabular, recommended_forecast
from plancast.models.tabular_export import OnnxTrees, trees_to_onnx
from plancast.params import DailyParams
from plancast.serving import load_recommended, save_recommended


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
RECOMMENDATION = {
    "route": {"1": "boosted", "2": "plan_linear"},  # both kinds of tabular model, one per delay
    "plan": "baseline_plan",
    "best_network": None,
    "best_tabular": "boosted",
    "delays": DELAYS,
    "levels": [0.8, 0.95],
    "half_widths": {"0.8": [0.5, 0.6], "0.95": [1.0, 1.3]},
    "scales": {"A": 3.0, "B": 4.0},
}


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
    frame = recommended_forecast(daily, windows, columns, scalers, {}, tabular, RECOMMENDATION, Calendar())
    folder = tmp_path_factory.mktemp("serving") / "recommended"
    args = (RECOMMENDATION, windows, columns, scalers, 3, DailyParams(), tabular, {})
    save_recommended(folder, *args)
    again = folder.parent / "again"
    save_recommended(again, *args)
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
    assert files == ["boosted-d1.onnx", "boosted-d2.onnx", "plan_linear.json", "recommended.json", "scalers.json"]
    for name in files:
        assert (folder / name).read_bytes() == (again / name).read_bytes(), name


def _tamper(folder, name):
    data = bytearray((folder / name).read_bytes())
    data[len(data) // 2] ^= 1
    (folder / name).write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: _tamper(f, "boosted-d2.onnx"), r"boosted-d2\.onnx: changed since stage forecast wrote it"),
        (lambda f: _tamper(f, "plan_linear.json"), r"plan_linear\.json: changed since stage forecast wrote it"),
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
