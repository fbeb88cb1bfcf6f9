"""Windows (Seed B and Seed A shapes), and the chain daily -> correlate -> features -> windows -> split."""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from plancast.artifacts import load_npz, write_parquet
from plancast.data.daily import last_snapshot_per_day
from plancast.errors import ParamsError
from plancast.features.correlation import horizon_correlations
from plancast.features.scaling import split_and_scale
from plancast.features.selection import select_horizons
from plancast.features.windows import make_windows, window_report
from plancast.params import Params, parse_params
from plancast.stage import invoke

ROOT = Path(__file__).resolve().parents[1]


def numbered_daily(part: str, days: int, horizons: list[int]) -> pd.DataFrame:
    """Row t: target = 100 t, h{k} = 100 t + k, so every value says where it came from."""
    t = np.arange(days, dtype=np.float64)
    columns = {"target": 100 * t} | {f"h{k}": 100 * t + k for k in horizons}
    return pd.DataFrame({"part": part, "day": pd.date_range("2021-09-13", periods=days)} | columns)


def same_columns(parts: list[str], columns: list[str]) -> dict[str, object]:
    return {"columns": {part: columns for part in parts}}


def test_seed_b_49_days_lookback_3_delay_3_gives_44_windows_of_3_by_4() -> None:
    daily = numbered_daily("Part 94", 49, list(range(1, 13)))
    windows = make_windows(daily, same_columns(["Part 94"], ["target", "h3", "h4", "h5"]), 3, [3])

    assert windows.inputs.shape == (44, 3, 4)
    assert windows.inputs.dtype == np.float64
    # window 0 = rows 0..2 of D, D+3, D+4, D+5; its target is row 5's D
    np.testing.assert_array_equal(windows.inputs[0], [[0, 3, 4, 5], [100, 103, 104, 105], [200, 203, 204, 205]])
    assert windows.targets.shape == (44, 1)
    assert windows.targets[0, 0] == 500.0
    assert windows.targets[-1, 0] == 4800.0  # the last window ends at row 45, its target is row 48
    assert windows.plan[0, 0] == 203.0  # the D+3 plan made on row 2 for row 5
    assert windows.end_row.tolist() == list(range(2, 46))
    assert windows.end_row.dtype == np.int64
    assert windows.delays.tolist() == [3]
    assert windows.feature_names.tolist() == ["target", "h3", "h4", "h5"]
    assert set(windows.part.tolist()) == {"Part 94"}


def seed_a_daily() -> pd.DataFrame:
    """Seed A's wave: 361 steps, cos with uniform noise on the second half of each 30-step cycle."""
    x = np.arange(361)
    phase = (x % 30) / 30
    noise = np.random.RandomState(2022).random_sample(361)
    y = np.where(phase < 0.5, 20 * np.cos(2 * np.pi * phase), 20 * (np.cos(2 * np.pi * phase) + noise))
    return pd.DataFrame({"part": "series", "day": x.astype(np.int64), "target": y})


def test_seed_a_361_points_lookback_30_gives_331_one_step_windows() -> None:
    daily = seed_a_daily()
    windows = make_windows(daily, same_columns(["series"], ["target"]), 30, [1])

    assert windows.inputs.shape == (331, 30, 1)
    y = daily["target"].to_numpy()
    np.testing.assert_array_equal(windows.inputs[7, :, 0], y[7:37])
    np.testing.assert_array_equal(windows.targets[:, 0], y[windows.end_row + 1])
    assert windows.end_row[0] == 29
    assert np.isnan(windows.plan).all()  # a single series has no planner's number


def test_several_delays_plan_columns_and_part_order() -> None:
    daily = pd.concat([numbered_daily("B", 8, [1, 2]), numbered_daily("A", 6, [1, 2]), numbered_daily("C", 4, [1, 2])])
    windows = make_windows(daily.iloc[::-1], same_columns(["A", "B", "C"], ["target", "h1"]), 2, [1, 3])

    # A: 6 rows -> 6 - 2 - 3 + 1 = 2 windows, B: 4, C: 4 rows < 2 + 3, none
    assert windows.part.tolist() == ["A", "A", "B", "B", "B", "B"]
    assert windows.end_row.tolist() == [1, 2, 1, 2, 3, 4]
    np.testing.assert_array_equal(windows.targets[:2], [[200, 400], [300, 500]])
    np.testing.assert_array_equal(windows.plan[:2, 0], [101, 201])  # h1 at end_row
    assert np.isnan(windows.plan[:, 1]).all()  # there is no h3 column

    same, report = window_report(daily, same_columns(["A", "B", "C"], ["target", "h1"]), 2, [1, 3])
    assert same.end_row.tolist() == windows.end_row.tolist()
    assert report["parts"]["windows"] == {"A": 2, "B": 4}
    assert report["parts"]["skipped"] == {"C": "4 days, fewer than lookback + max(delays) = 5"}
    assert report["parts_skipped"] == 1
    assert report["parts"]["shape"] == {"inputs": [6, 2, 2], "targets": [6, 2]}


def test_windows_with_missing_values_are_left_out_and_counted() -> None:
    daily = numbered_daily("A", 10, [1])
    daily.loc[4, "h1"] = np.nan  # inside the inputs of windows ending at rows 4, 5, 6
    windows = make_windows(daily, same_columns(["A"], ["target", "h1"]), 3, [1])
    assert windows.end_row.tolist() == [2, 3, 7, 8]
    _, report = window_report(daily, same_columns(["A"], ["target", "h1"]), 3, [1])
    assert report["parts"]["dropped_incomplete"] == {"A": 3} and report["parts"]["lost_to_gaps"] == {}
    assert report["dropped_incomplete"] == 3 and report["lost_to_gaps"] == 0


def test_no_window_spans_a_missing_day_and_the_lost_ones_are_counted() -> None:
    daily = numbered_daily("A", 10, [1]).assign(position=np.arange(10), present=True)
    daily.loc[5, ["target", "h1"]] = np.nan
    daily.loc[5, "present"] = False  # row 5 is a working day without a snapshot
    windows, report = window_report(daily, same_columns(["A"], ["target", "h1"]), 3, [1])
    # windows end at rows 2..8; those with row 5 among inputs (ends 5, 6, 7) or as target (end 4) are lost
    assert windows.end_row.tolist() == [2, 3, 8]
    assert report["parts"]["lost_to_gaps"] == {"A": 4} and report["parts"]["dropped_incomplete"] == {}
    assert report["lost_to_gaps"] == 4 and report["dropped_incomplete"] == 0
    assert windows.position.tolist() == [2, 3, 8]


def test_per_part_feature_lists_of_different_length_name_the_basis() -> None:
    daily = pd.concat([numbered_daily("A", 10, [1, 2]), numbered_daily("B", 10, [1, 2])])
    features = {"columns": {"A": ["target", "h1"], "B": ["target", "h1", "h2"]}}
    with pytest.raises(ParamsError, match=r"^select_features\.basis: .*basis: pooled or method: top_k"):
        make_windows(daily, features, 3, [1])
    same_width = make_windows(daily, {"columns": {"A": ["target", "h1"], "B": ["target", "h2"]}}, 3, [1])
    assert same_width.feature_names.tolist() == ["target", "h1|h2"]


def synthetic_snapshots(parts: dict[str, int], seed: int = 7) -> pd.DataFrame:
    """Two snapshots a day; the plan for k days ahead is the actual plus noise that grows with k."""
    rng = np.random.default_rng(seed)
    records = []
    for part, days in parts.items():
        actual = rng.normal(100, 20, size=days + 4)
        for t, day in enumerate(pd.date_range("2025-01-06", periods=days)):
            for hour, final in ((8, False), (17, True)):
                plans = {f"h{k}": actual[t + k] + rng.normal(0, 6 * k) for k in range(1, 5)}
                target = actual[t] if final else actual[t] + 50
                records.append({"part": part, "snapshot_time": day + pd.Timedelta(hours=hour), "target": target})
                records[-1] |= plans
    frame = pd.DataFrame(records)
    return frame.assign(source_file="plan.xls", sheet="Sheet1", source_row=np.arange(len(frame)) + 2)


def test_library_chain_from_snapshots_to_scaled_splits() -> None:
    daily = last_snapshot_per_day(synthetic_snapshots({"P1": 40, "P2": 40, "P3": 6}))
    table = horizon_correlations(daily, min_pairs=10)
    features = select_horizons(table, "top_k", "pooled", 2, 0.3, [], parts=sorted(daily["part"].unique()))
    assert features["columns"]["P3"] == ["target", "h1", "h2"]  # the least noisy plans correlate best
    windows = make_windows(daily, features, 5, [1, 2])
    assert windows.inputs.shape == (2 * 34, 5, 3)  # P3's 6 days are too few for 5 + 2
    arrays, scalers, report = split_and_scale(windows, [0.7, 0.1, 0.2], "standard")
    # targets on days 5 .. 39 (35): validation from day 5 + int(0.7 * 35) = 29, test from 5 + int(0.8 * 35) = 33;
    # the windows ending on days 27 and 31 straddle a cut
    assert report["totals"] == {"train": 2 * 23, "val": 2 * 3, "test": 2 * 6}
    assert report["straddling_a_cut"] == {"train|validation": 2, "validation|test": 2}
    assert sorted(scalers.parts) == ["P1", "P2"]
    assert abs(arrays.train.targets.mean()) < 1e-5  # standardised on exactly these windows


def load_stage(name: str):
    spec = importlib.util.spec_from_file_location(f"stage_{name}", ROOT / "stages" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STAGES = ["daily_last", "correlate", "select_features", "window", "split_scale"]
OUTPUTS = [
    "data/interim/daily.parquet",
    "data/interim/training_daily.parquet",
    "metrics/daily_last.json",
    "data/reports/correlation.csv",
    "metrics/correlate.json",
    "plots/correlation_heatmap.png",
    "data/features/features.json",
    "data/windows/windows.npz",
    "metrics/window.json",
    "data/prepared/splits.npz",
    "data/prepared/scalers.json",
    "metrics/split_scale.json",
    "data/reports/daily_last_parts.json",
    "data/reports/correlate_parts.json",
    "data/reports/window_parts.json",
    "data/reports/split_scale_parts.json",
]


def chain_params(**sections: dict[str, object]) -> Params:
    """params.yaml with ``sections``' keys set, trained on every day (its cut is a day of the bundled sample)."""
    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["train"]["until"] = None
    for section, values in sections.items():
        raw[section] = raw.get(section, {}) | values
    return parse_params(raw)


def run_chain(folder: Path, snapshots: pd.DataFrame, params: Params, monkeypatch) -> dict[str, bytes]:
    monkeypatch.chdir(folder)
    write_parquet("data/interim/snapshots.parquet", snapshots)
    for name in STAGES:
        invoke(name, load_stage(name).main, params)
    return {path: (folder / path).read_bytes() for path in OUTPUTS}


def test_stage_chain_is_byte_identical_across_runs(tmp_path, monkeypatch, capsys) -> None:
    snapshots = synthetic_snapshots({"P1": 30, "P2": 30, "P3": 5})  # P3 stops exporting after 5 days
    params = chain_params(
        window={"lookback": 4, "delays": [1, 2], "gaps": "drop"},  # drop: a window touching a gap is counted lost
        select_features={"top_k": 2},
        daily={"calendar": "every_day", "holidays": []},
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = run_chain(tmp_path / "a", snapshots, params, monkeypatch)
    second = run_chain(tmp_path / "b", snapshots.iloc[::-1], params, monkeypatch)
    assert first == second
    correlate_metrics = json.loads(first["metrics/correlate.json"])
    pooled = pd.read_csv(io.BytesIO(first["data/reports/correlation.csv"])).query("part == 'pooled'")
    best_r = pooled.set_index("label").loc[correlate_metrics["best_horizon"], "correlation"]
    assert correlate_metrics["best_r"] == pytest.approx(best_r, abs=1e-6)  # one r per horizon: correlation.csv's

    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 * (len(STAGES) + 1)  # a line each, daily_last's two: the table and the training cut
    assert printed[:2] == [
        "daily_last: 130 snapshots -> 65 part-days on the calendar (3 parts, 2025-01-06 .. 2025-02-04); "
        "25 working days without a snapshot in 1 parts",
        "daily_last: training table up to 2025-02-04 (train.until: the data's last day): 90 part-days",
    ]
    window_metrics = json.loads(first["metrics/window.json"])
    # P3's 30 calendar days hold 25 windows, every one touching the days it sent nothing
    assert window_metrics["lost_to_gaps"] == 25 and window_metrics["parts_skipped"] == 0
    # per-part detail stays out of `dvc exp show`: no metric is keyed by a part
    assert not {"P1", "P2", "P3"} & set(_keys(window_metrics)), window_metrics
    window_parts = json.loads(first["data/reports/window_parts.json"])
    assert window_parts["windows"] == {"P1": 25, "P2": 25, "P3": 0}
    assert window_parts["lost_to_gaps"] == {"P3": 25} and window_parts["skipped"] == {}
    splits = load_npz(tmp_path / "a" / "data/prepared/splits.npz")
    assert splits["inputs_train"].shape == (2 * 17, 4, 3)  # 30 - 4 - 2 + 1 = 25 windows; int(0.7 * 25) = 17
    scalers = json.loads(first["data/prepared/scalers.json"])
    assert sorted(scalers["parts"]) == ["P1", "P2"]


def test_stage_chain_on_a_single_series_without_horizons(tmp_path, monkeypatch) -> None:
    daily = seed_a_daily()
    snapshots = pd.DataFrame(
        {
            "part": "series",
            "snapshot_time": daily["day"],
            "target": daily["target"],
            "source_file": "seed_a.csv",
        }
    ).assign(sheet="", source_row=np.arange(len(daily), dtype=np.int64) + 2)
    params = chain_params(window={"lookback": 30, "delays": [1]})
    outputs = run_chain(tmp_path, snapshots, params, monkeypatch)

    assert outputs["data/reports/correlation.csv"] == b"part,horizon,label,correlation,pairs\n"
    assert json.loads(outputs["metrics/correlate.json"]) == {"best_horizon": None, "best_r": None}
    assert json.loads(outputs["data/reports/correlate_parts.json"]) == {"parts": {"series": {}}}
    assert outputs["plots/correlation_heatmap.png"].startswith(b"\x89PNG")
    assert json.loads(outputs["data/features/features.json"])["columns"] == {"series": ["target"]}
    assert json.loads(outputs["data/reports/window_parts.json"])["shape"]["inputs"] == [331, 30, 1]
    assert json.loads(outputs["metrics/split_scale.json"])["totals"] == {"train": 231, "val": 33, "test": 67}


def test_rows_by_part_is_what_comparing_each_part_selects():
    from plancast.features.windows import rows_by_part

    part = np.array(["b", "a", "b", "c", "a", "b"])
    groups = rows_by_part(part)
    assert list(groups) == ["a", "b", "c"]
    for name, rows in groups.items():
        np.testing.assert_array_equal(rows, np.flatnonzero(part == name))
    assert rows_by_part(np.array([], dtype=str)) == {}


def _keys(node: object) -> list[str]:
    """Every key of a JSON tree, at any depth."""
    if isinstance(node, dict):
        return [key for key, value in node.items() for key in (key, *_keys(value))]
    if isinstance(node, list):
        return [key for value in node for key in _keys(value)]
    return []


def gap_daily() -> pd.DataFrame:
    """10 calendar days of part A (numbered as :func:`numbered_daily`, horizons 1 and 2); row 5 has no snapshot."""
    daily = numbered_daily("A", 10, [1, 2]).assign(position=np.arange(10), present=True)
    daily.loc[5, ["target", "h1", "h2"]] = np.nan
    daily.loc[5, "present"] = False
    return daily


def test_keep_keeps_a_window_with_a_gap_its_missing_inputs_and_target_nan() -> None:
    windows, report = window_report(gap_daily(), same_columns(["A"], ["target", "h1"]), 3, [1, 2], gaps="keep")
    # windows end at rows 2..7; each has a snapshot in its lookback and a target at a delay at least
    assert windows.end_row.tolist() == [2, 3, 4, 5, 6, 7]
    at = {int(end): i for i, end in enumerate(windows.end_row)}
    # the window ending on the missing row 5: its last step NaN, never the neighbour's value
    np.testing.assert_array_equal(windows.inputs[at[5]], [[300, 301], [400, 401], [np.nan, np.nan]])
    np.testing.assert_array_equal(windows.inputs[at[7]][0], [np.nan, np.nan])  # rows 5, 6, 7
    # the missing target is NaN for its (window, delay) alone: end 4 -> rows 5 (missing), 6; end 3 -> 4, 5
    np.testing.assert_array_equal(windows.targets[at[4]], [np.nan, 600])
    np.testing.assert_array_equal(windows.targets[at[3]], [400, np.nan])
    # the plan of a window ending on the gap is the newest known for the day: row 4's h2 for row 6 (and
    # none for row 7, which row 4 would have planned as h3)
    np.testing.assert_array_equal(windows.plan[at[5]], [402, np.nan])
    np.testing.assert_array_equal(windows.plan[at[4]], [401, 402])  # as drop's: h{delay} at end_row
    assert "kept_with_gaps" in report and report["lost_to_gaps"] == 0 and report["dropped_incomplete"] == 0
    assert report["kept_with_gaps"] == 3 and report["pairs_without_target"] == 2  # ends 5, 6, 7; ends 3, 4
    assert report["parts"]["kept_with_gaps"] == {"A": 3} and report["parts"]["pairs_without_target"] == {"A": 2}


def test_keep_leaves_out_a_window_without_any_target_or_any_snapshot_in_its_lookback() -> None:
    daily = numbered_daily("A", 12, [1]).assign(position=np.arange(12), present=True)
    daily.loc[[4, 5, 6], ["target", "h1"]] = np.nan
    daily.loc[[4, 5, 6], "present"] = False  # three days in a row without a snapshot
    daily.loc[9, "target"] = np.nan  # a snapshot without the target value
    windows, report = window_report(daily, same_columns(["A"], ["target", "h1"]), 2, [1], gaps="keep")
    # ends 1..10: ends 3, 4, 5 have their one target on a missing day, ends 5 and 6 no snapshot in their
    # lookback; end 8's target day has a snapshot but no target value
    assert windows.end_row.tolist() == [1, 2, 7, 9, 10]
    assert report["lost_to_gaps"] == 4 and report["dropped_incomplete"] == 1
    assert np.isfinite(windows.targets).all()


def test_drop_is_the_default_and_keep_changes_nothing_without_a_gap() -> None:
    daily = pd.concat([numbered_daily("A", 9, [1, 2]), numbered_daily("B", 7, [1, 2])])
    features = same_columns(["A", "B"], ["target", "h1", "h2"])
    default, report = window_report(daily, features, 3, [1, 2])
    dropped, same = window_report(daily, features, 3, [1, 2], gaps="drop")
    kept, kept_report = window_report(daily, features, 3, [1, 2], gaps="keep")
    for field in dataclasses.fields(default):
        np.testing.assert_array_equal(getattr(dropped, field.name), getattr(default, field.name))
        np.testing.assert_array_equal(getattr(kept, field.name), getattr(default, field.name))
    # drop's report keeps its keys, no more (metrics/window.json byte for byte)
    assert report == same and "kept_with_gaps" not in report and "kept_with_gaps" not in report["parts"]
    assert kept_report["kept_with_gaps"] == 0 and kept_report["pairs_without_target"] == 0
    # on a gap drop's windows are what they were
    windows = make_windows(gap_daily(), same_columns(["A"], ["target", "h1"]), 3, [1, 2])
    assert windows.end_row.tolist() == [2] and np.isfinite(windows.inputs).all()
