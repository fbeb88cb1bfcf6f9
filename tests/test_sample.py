"""Tests of the synthetic data: Seed B's export schema and Seed A's wave."""

from __future__ import annotations

import importlib.util
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlrd
from python_calamine import CalamineWorkbook

from plancast.data import sample
from plancast.data.sample import (
    plan_columns,
    plan_snapshots,
    seed_a_series,
    working_days,
    write_plan_xls,
    write_seed_a_csv,
)
from plancast.params import Params, SampleParams
from plancast.stage import invoke

# Seed B's headers, byte for byte.
SEED_B_HEADERS = [
    "D일 투입예정 수량(D일계획)",
    "D+1일 투입예정 수량(Total)",
    "D+2일 투입예정 수량(Total)",
    "D+3일 투입예정 수량(Total)",
    "D+4일 투입예정 수량(Total)",
    "D+5일 투입예정 수량",
    "D+6일 투입예정 수량",
    "D+7일 투입예정 수량",
    "D+8일 투입예정 수량",
    "D+9일 투입예정 수량",
    "D+10일 투입예정 수량",
    "D+11일 투입예정 수량",
    "D+12일 투입예정 수량",
]
QUANTITIES = SEED_B_HEADERS
SMALL = SampleParams(parts=4, days=30, seed=7)
STAGE = Path(__file__).resolve().parents[1] / "stages" / "make_sample.py"


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return plan_snapshots(SMALL)


@pytest.fixture(scope="module")
def default() -> pd.DataFrame:
    return plan_snapshots(SampleParams())


def _daily_last(frame: pd.DataFrame) -> pd.DataFrame:
    """Last snapshot of each part and day, sorted by part and day (computed here, not by the library)."""
    out = frame.assign(day=frame["CRET_TIME"] // 10_000)
    out = out.sort_values(["Part Number", "CRET_TIME"], kind="stable")
    return out.groupby(["Part Number", "day"], sort=True).tail(1).sort_values(["Part Number", "day"])


def test_headers_are_seed_b_byte_for_byte() -> None:
    columns = plan_columns()
    assert columns[columns.index("Part Number") + 1 : columns.index("Part Number") + 14] == SEED_B_HEADERS
    assert columns[-1] == "CRET_TIME"
    assert [c.encode() for c in columns[3:16]] == [c.encode("utf-8") for c in SEED_B_HEADERS]
    assert {"Plant", "Line", "Unit"} <= set(columns)


def test_working_days_skip_weekends() -> None:
    # 2025-01-09 is a Thursday: Thu, Fri, then Mon-Wed of the next week.
    assert working_days(date(2025, 1, 9), 5) == [
        date(2025, 1, 9),
        date(2025, 1, 10),
        date(2025, 1, 13),
        date(2025, 1, 14),
        date(2025, 1, 15),
    ]
    assert working_days(date(2025, 1, 11), 1) == [date(2025, 1, 13)]  # a Saturday start moves on


def test_same_params_same_frame_other_seed_other_frame(small: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(plan_snapshots(SMALL), small)
    other = plan_snapshots(SMALL.model_copy(update={"seed": 8}))
    assert not other[QUANTITIES].equals(small[QUANTITIES])


def test_every_part_every_working_day_one_to_three_snapshots(small: pd.DataFrame) -> None:
    stamps = pd.to_datetime(small["CRET_TIME"].astype(str), format="%Y%m%d%H%M")
    days = sorted(set(stamps.dt.date))
    assert days == working_days(SMALL.start, SMALL.days)
    per_day = small.assign(day=stamps.dt.date).groupby(["day"])["CRET_TIME"].nunique()
    assert per_day.between(1, 3).all() and set(per_day) == {1, 2, 3}
    per_part_day = small.assign(day=stamps.dt.date).groupby(["Part Number", "day"]).size()
    assert len(per_part_day) == SMALL.parts * SMALL.days
    assert sorted(small["Part Number"].unique()) == sorted(f"Part {i}" for i in range(1, 5))
    assert set(zip(stamps.dt.hour, stamps.dt.minute, strict=True)) <= set(sample.SNAPSHOT_TIMES)
    assert len(small) == per_day.sum() * SMALL.parts


def test_rows_are_not_in_time_order(small: pd.DataFrame) -> None:
    assert (np.diff(small["CRET_TIME"].to_numpy()) < 0).any()


def test_quantities_are_whole_and_non_negative_with_zeros_and_lots(default: pd.DataFrame) -> None:
    values = default[QUANTITIES].to_numpy()
    assert default[QUANTITIES].dtypes.eq(np.int64).all()
    assert values.min() == 0
    daily = _daily_last(default)
    means = daily.groupby("Part Number")[QUANTITIES[0]].mean()
    assert means.min() < 50 and means.max() > 150  # tens to hundreds
    far = daily["D+12일 투입예정 수량"]
    assert 0.1 < (far == 0).mean() < 0.5  # zero placeholders recur far out
    # the part's lot size: one non-zero far-horizon value repeats on a large share of days
    lot_share = (
        daily[far > 0].groupby("Part Number")["D+12일 투입예정 수량"].agg(lambda s: s.value_counts().iloc[0] / len(s))
    )
    assert (lot_share > 0.4).all()


def test_daily_last_target_differs_from_earlier_snapshots_of_the_day(small: pd.DataFrame) -> None:
    ordered = small.assign(day=small["CRET_TIME"] // 10_000).sort_values(["Part Number", "CRET_TIME"])
    earlier = ordered[ordered.duplicated(["Part Number", "day"], keep="last")]
    last = ordered.drop_duplicates(["Part Number", "day"], keep="last")
    joined = earlier.merge(last, on=["Part Number", "day"], suffixes=("_early", "_last"))
    target = QUANTITIES[0]
    assert len(joined) > 0
    assert (joined[f"{target}_early"] != joined[f"{target}_last"]).mean() > 0.5


def test_horizon_aligned_correlation_falls_like_seed_b(default: pd.DataFrame) -> None:
    daily = _daily_last(default)
    actual, plans = [], {k: [] for k in range(1, 13)}
    for _, part in daily.groupby("Part Number"):
        a = part[QUANTITIES[0]].astype(float).reset_index(drop=True)
        actual.append(a)
        for k in range(1, 13):
            plans[k].append(part[QUANTITIES[k]].astype(float).shift(k).reset_index(drop=True))

    def pooled(k: int) -> float:
        zs = [((a - a.mean()) / a.std(), (p - p.mean()) / p.std()) for a, p in zip(actual, plans[k], strict=True)]
        a = pd.concat([z[0] for z in zs], ignore_index=True)
        p = pd.concat([z[1] for z in zs], ignore_index=True)
        return float(a.corr(p))

    corr = {k: pooled(k) for k in range(1, 13)}
    assert 0.6 <= corr[1] <= 0.85
    assert all(0.3 <= corr[k] <= 0.55 for k in (3, 4, 5))
    assert all(0.05 <= corr[k] <= 0.25 for k in (10, 11, 12))
    # far plans are placeholders that persist, so neighbouring far horizons agree
    first = daily[daily["Part Number"] == "Part 1"]
    h10 = first["D+10일 투입예정 수량"].shift(10)
    h11 = first["D+11일 투입예정 수량"].shift(11)
    assert h10.corr(h11) > 0.7


def test_xls_bytes_are_identical_and_read_back_by_both_engines(small: pd.DataFrame, tmp_path) -> None:
    first, second = tmp_path / "a.xls", tmp_path / "b.xls"
    write_plan_xls(small, first)
    write_plan_xls(plan_snapshots(SMALL), second)
    assert first.read_bytes() == second.read_bytes()

    book = xlrd.open_workbook(str(first))
    assert book.sheet_names() == ["Sheet1"]
    sheet = book.sheet_by_index(0)
    assert sheet.row_values(0) == plan_columns()
    assert sheet.nrows == len(small) + 1
    row = sheet.row_values(1)
    assert row[2] == small["Part Number"].iloc[0]
    assert row[-1] == float(small["CRET_TIME"].iloc[0])  # 12 digits survive the double exactly
    assert int(row[-1]) == small["CRET_TIME"].iloc[0]

    with CalamineWorkbook.from_path(str(first)) as workbook:
        grid = workbook.get_sheet_by_name("Sheet1").to_python()
    assert grid[0] == plan_columns()
    assert len(grid) == len(small) + 1
    times = [int(cell) for cell in (r[-1] for r in grid[1:])]
    assert times == small["CRET_TIME"].tolist()
    assert datetime.strptime(str(times[0]), "%Y%m%d%H%M").year == 2025
    quantities = [[int(v) for v in r[3:16]] for r in grid[1:]]
    assert quantities == small[QUANTITIES].to_numpy().tolist()


def test_rows_beyond_one_sheet_continue_on_the_next(small: pd.DataFrame, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sample, "XLS_MAX_ROWS", 11)  # 10 data rows per sheet
    path = tmp_path / "split.xls"
    write_plan_xls(small.head(25), path)
    book = xlrd.open_workbook(str(path))
    assert book.sheet_names() == ["Sheet1", "Sheet2", "Sheet3"]
    assert [book.sheet_by_index(i).nrows for i in range(3)] == [11, 11, 6]
    assert book.sheet_by_index(2).row_values(0) == plan_columns()


def test_seed_a_wave_matches_the_notebook() -> None:
    wave = seed_a_series(361, 2022)
    state = np.random.get_state()
    try:
        np.random.seed(2022)
        u = np.random.random(361)  # the notebook's way, as the oracle
    finally:
        np.random.set_state(state)
    assert wave["x"].tolist() == list(range(361))
    assert wave["x"].dtype == np.int64
    y = wave["time_cos"].to_numpy()
    assert y[0] == 20.0 and y[30] == 20.0
    assert y[7] == pytest.approx(20 * math.cos(2 * math.pi * 7 / 30), rel=1e-14)  # first half: no noise
    assert y[44] == pytest.approx(20 * math.cos(2 * math.pi * 14 / 30), rel=1e-14)
    assert y[15] == pytest.approx(20 * (-1 + u[15]), rel=1e-14)  # phase 0.5 takes u[x]
    assert y[50] == pytest.approx(20 * (math.cos(2 * math.pi * 20 / 30) + u[50]), rel=1e-14)
    assert y[360] == 20.0


def test_seed_a_csv_round_trips_exactly(tmp_path) -> None:
    wave = seed_a_series(40, 3)
    path = tmp_path / "seed_a.csv"
    write_seed_a_csv(wave, path)
    lines = path.read_text().splitlines()
    assert lines[0] == "x,time_cos"
    assert lines[1] == "0,20.0"
    back = pd.read_csv(path)
    assert back["x"].tolist() == list(range(40))
    assert np.array_equal(back["time_cos"].to_numpy(), wave["time_cos"].to_numpy())


def test_stage_writes_both_files(tmp_path, monkeypatch, capsys) -> None:
    spec = importlib.util.spec_from_file_location("make_sample_stage", STAGE)
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    monkeypatch.chdir(tmp_path)
    params = Params.model_construct(sample=SampleParams(parts=2, days=20, seed_a_points=60))
    invoke("make_sample", make_sample.main, params)
    out = capsys.readouterr().out
    assert "of 2 parts over 20 working days" in out
    assert len(pd.read_csv(tmp_path / "data/raw/seed_a.csv")) == 60
    book = xlrd.open_workbook(str(tmp_path / "data/raw/plan_sample.xls"))
    assert book.sheet_by_index(0).row_values(0) == plan_columns()
