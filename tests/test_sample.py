"""Tests of the synthetic data: Seed B's export schema, the planner regimes, the hardness knobs, the
daily-files layout and Seed A's wave."""

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

from plancast.data import sample, sample_files
from plancast.data.sample import daily_exports, plan_columns, plan_snapshots, seed_a_series, trend_factor, working_days
from plancast.data.sample_files import write_daily_exports, write_export, write_plan_xls, write_seed_a_csv
from plancast.data.sources import source_files
from plancast.errors import InputDataError
from plancast.params import Params, load_params, parse_params
from plancast.params_sections import SampleParams
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
ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "stages" / "make_sample.py"


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
    monkeypatch.setattr(sample_files, "XLS_MAX_ROWS", 11)  # 10 data rows per sheet
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


def _stage_module():
    spec = importlib.util.spec_from_file_location("make_sample_stage", STAGE)
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    return make_sample


def test_stage_writes_both_files(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    params = Params.model_construct(sample=SampleParams(parts=2, days=20, seed_a_points=60))
    invoke("make_sample", _stage_module().main, params)
    out = capsys.readouterr().out
    assert "of 2 parts over 20 working days" in out
    assert len(pd.read_csv(tmp_path / "data/raw/seed_a.csv")) == 60
    book = xlrd.open_workbook(str(tmp_path / "data/raw/plan_sample.xls"))
    assert book.sheet_by_index(0).row_values(0) == plan_columns()
    assert book.sheet_by_index(0).nrows > 40
    # the layout not chosen: no rows, and no empty folder for DVC to warn about; ingest reads nothing there
    exports = tmp_path / "data/raw/plan_exports"
    assert [path.name for path in exports.iterdir()] == [".readme"]
    assert "sample.layout: daily_files" in (exports / ".readme").read_text()
    with pytest.raises(InputDataError, match="no file in the folder matches"):
        source_files(str(exports), "*")


def test_stage_daily_files_layout_fills_the_folder(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    sample_params = SampleParams(parts=2, days=20, seed_a_points=60, layout="daily_files")
    invoke("make_sample", _stage_module().main, Params.model_construct(sample=sample_params))
    assert "data/raw/plan_exports/ (20 daily files)" in capsys.readouterr().out
    assert len(list((tmp_path / "data/raw/plan_exports").glob("*.csv"))) == 20
    assert xlrd.open_workbook(str(tmp_path / "data/raw/plan_sample.xls")).sheet_by_index(0).nrows == 1


# ------------------------------------------------------------------ planner regimes and hardness knobs


def _calendar_r(frame: pd.DataFrame, params: SampleParams, k: int) -> float:
    """Pooled r of the actual with the plan made k working days earlier, z-scored within each part.

    Pairs by working-day index, so a day without a row is a gap and never bridged.
    """
    calendar = [int(d.strftime("%Y%m%d")) for d in working_days(params.start, params.days, params.holidays)]
    index = {day: t for t, day in enumerate(calendar)}
    daily = _daily_last(frame)
    products = []
    for _, part in daily.groupby("Part Number"):
        grid = np.full((len(calendar), 13), np.nan)
        grid[[index[d] for d in part["day"]]] = part[QUANTITIES].to_numpy(dtype=float)
        actual, plan = grid[k:, 0], grid[:-k, k]
        keep = np.isfinite(actual) & np.isfinite(plan)
        a, p = actual[keep], plan[keep]
        products.append((a - a.mean()) / a.std() * (p - p.mean()) / p.std())
    return float(np.concatenate(products).mean())


MODERATE = SampleParams(parts=40, days=120, seed=11)


def test_sharp_planner_d1_correlates_above_0_9_noisy_between_0_65_and_0_85() -> None:
    noisy = plan_snapshots(MODERATE)
    sharp_params = MODERATE.model_copy(update={"planner": "sharp"})
    sharp = plan_snapshots(sharp_params)
    assert _calendar_r(sharp, sharp_params, 1) >= 0.9
    assert 0.65 <= _calendar_r(noisy, MODERATE, 1) <= 0.85
    # far plans stay placeholders in both regimes: something left to learn from the vintages
    assert _calendar_r(sharp, sharp_params, 12) < 0.3 and _calendar_r(noisy, MODERATE, 12) < 0.3
    # the planner changes the plans only: same snapshots, same actuals
    assert sharp["CRET_TIME"].equals(noisy["CRET_TIME"]) and sharp["Part Number"].equals(noisy["Part Number"])
    assert _daily_last(sharp)[QUANTITIES[0]].tolist() == _daily_last(noisy)[QUANTITIES[0]].tolist()


def test_biased_planner_plans_high_by_the_bias() -> None:
    params = SampleParams(parts=30, days=60, seed=3, planner="sharp", planner_bias=0.3)
    daily = _daily_last(plan_snapshots(params))
    actual = daily.groupby("Part Number")[QUANTITIES[0]].apply(lambda s: s.iloc[1:].sum())
    d1 = daily.groupby("Part Number")[QUANTITIES[1]].apply(lambda s: s.iloc[:-1].sum())
    assert d1.sum() / actual.sum() == pytest.approx(1.3, abs=0.05)  # the sharp D+1 is always an estimate


def test_a_planner_biased_from_a_day_changes_only_the_plans_made_from_it_on() -> None:
    plain = SampleParams(parts=30, days=60, seed=3, planner="sharp")
    day = working_days(plain.start, plain.days)[30]
    base = plan_snapshots(plain)
    biased = plan_snapshots(plain.model_copy(update={"planner_bias": 0.3, "bias_from": day}))
    made_before = base["CRET_TIME"] < int(f"{day:%Y%m%d}") * 10_000  # every plan in these rows is older
    assert biased[made_before].equals(base[made_before]) and not biased.equals(base)
    last = _daily_last(biased)
    assert last[QUANTITIES[0]].tolist() == _daily_last(base)[QUANTITIES[0]].tolist()  # the actuals stay
    actual = last.groupby("Part Number")[QUANTITIES[0]].apply(lambda s: s.iloc[31:].sum())
    d1 = last.groupby("Part Number")[QUANTITIES[1]].apply(lambda s: s.iloc[30:-1].sum())  # made from day 30 on
    assert d1.sum() / actual.sum() == pytest.approx(1.3, abs=0.05)


def test_missing_days_have_no_row_at_all_and_the_rest_is_unchanged() -> None:
    plain_params = SampleParams(parts=6, days=40, seed=4)
    gappy_params = plain_params.model_copy(update={"missing_days": 0.1})
    plain, gappy = plan_snapshots(plain_params), plan_snapshots(gappy_params)
    part_days = lambda f: set(zip(f["Part Number"], f["CRET_TIME"] // 10_000, strict=True))  # noqa: E731
    assert len(part_days(plain)) == 6 * 40
    missing = part_days(plain) - part_days(gappy)
    assert part_days(gappy) <= part_days(plain)
    assert 0.04 < len(missing) / 240 < 0.16  # 10% of 240 part-days, +-2.5 standard errors
    # a missing day is missing at every snapshot of the day; the rows that remain are the plain ones
    key = ["Part Number", "CRET_TIME"]
    pairs = zip(plain["Part Number"], plain["CRET_TIME"] // 10_000, strict=True)
    rest = plain[[pair not in missing for pair in pairs]]
    pd.testing.assert_frame_equal(
        gappy.sort_values(key).reset_index(drop=True), rest.sort_values(key).reset_index(drop=True)
    )


def test_holidays_and_weekends_have_no_snapshot_and_d_plus_k_skips_them() -> None:
    # Wed 2025-01-08 is a holiday, Sat 2025-01-11 one that changes nothing.
    holidays = [date(2025, 1, 8), date(2025, 1, 11)]
    assert working_days(date(2025, 1, 6), 5, holidays) == [
        date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 9), date(2025, 1, 10), date(2025, 1, 13)
    ]  # fmt: skip
    params = SampleParams(parts=60, days=20, seed=9, planner="sharp", holidays=holidays)
    frame = plan_snapshots(params)
    days = sorted({datetime.strptime(str(t), "%Y%m%d%H%M").date() for t in frame["CRET_TIME"]})
    assert days == working_days(params.start, 20, holidays)
    assert date(2025, 1, 8) not in days and all(day.weekday() < 5 for day in days)
    # The last snapshot of Tue 7th: its D+1 is the plan for Thu 9th (the next working day), D+2 for Fri 10th.
    daily = _daily_last(frame).set_index(["Part Number", "day"])
    tuesday = daily.xs(20250107, level="day")
    actual = {d: daily.xs(d, level="day")[QUANTITIES[0]] for d in (20250109, 20250110)}

    def spread(plan: pd.Series, truth: pd.Series) -> float:
        both = (plan > 0) & (truth > 0)
        return float(np.median(np.abs(np.log(plan[both] / truth[both]))))

    assert spread(tuesday[QUANTITIES[1]], actual[20250109]) < 0.15  # sharp D+1: ~13% log error
    assert spread(tuesday[QUANTITIES[1]], actual[20250110]) > 0.2  # the wrong day is further off
    assert spread(tuesday[QUANTITIES[2]], actual[20250110]) < 0.2


def test_holidays_are_listed_once() -> None:
    with pytest.raises(Exception, match=r"sample.holidays: lists 2025-01-08 more than once"):
        parse_params({"sample": {"holidays": ["2025-01-08", "2025-01-08"]}})


def test_trend_factor_makes_the_last_quarter_1_plus_trend_times_the_first() -> None:
    factor = trend_factor(np.array([1.0, -1.0, 0.0]), 0.4, 8, 8)
    assert factor[0, 6:].mean() / factor[0, :2].mean() == pytest.approx(1.4)
    assert factor[1, 6:].mean() / factor[1, :2].mean() == pytest.approx(1 / 1.4)
    assert factor[2].tolist() == [1.0] * 8


def test_trend_parts_mean_level_moves_by_the_configured_amount() -> None:
    params = SampleParams(parts=20, days=200, seed=5, trend_parts=0.5, trend=1.0)
    daily = _daily_last(plan_snapshots(params))
    ratio = daily.groupby("Part Number")[QUANTITIES[0]].apply(lambda s: s.iloc[150:].mean() / s.iloc[:50].mean())
    trending = ratio[(ratio < 0.7) | (ratio > 1 / 0.7)]
    assert len(trending) == 10  # round(0.5 * 20) parts
    size = np.exp(np.abs(np.log(trending)))  # 2x up or 1/2x down; each part's quarters carry noise
    assert size.between(1.6, 2.5).all() and np.exp(np.log(size).mean()) == pytest.approx(2.0, rel=0.1)
    assert ratio.drop(trending.index).between(0.8, 1.25).all()


def test_late_start_parts_export_from_their_start_on_only() -> None:
    params = SampleParams(parts=8, days=40, seed=6, late_start_parts=0.5)
    frame = plan_snapshots(params)
    calendar = [int(d.strftime("%Y%m%d")) for d in working_days(params.start, 40)]
    first = {}
    for part, rows in frame.groupby("Part Number"):
        days = sorted(set(rows["CRET_TIME"] // 10_000))
        first[part] = calendar.index(days[0])
        assert days == calendar[first[part] :]  # nothing before the start, every day after it
    starts = sorted(first.values())
    assert starts[:4] == [0, 0, 0, 0] and all(20 <= start <= 30 for start in starts[4:])


def test_lot_size_changes_mid_year_for_the_chosen_parts() -> None:
    def modal_far_plan(frame: pd.DataFrame, part: str, days: slice) -> int:
        far = _daily_last(frame).groupby("Part Number").get_group(part)[QUANTITIES[12]].iloc[days]
        return int(far[far > 0].mode().iloc[0])

    base = SampleParams(parts=6, days=100, seed=8)
    steady, changing = plan_snapshots(base), plan_snapshots(base.model_copy(update={"lot_change_parts": 1.0}))
    parts = [f"Part {i}" for i in range(1, 7)]
    early, late = slice(0, 30), slice(70, 100)
    assert all(modal_far_plan(steady, p, early) == modal_far_plan(steady, p, late) for p in parts)
    changed = [modal_far_plan(changing, p, early) != modal_far_plan(changing, p, late) for p in parts]
    assert sum(changed) >= 5


def test_bundled_sample_params_generate_with_their_knobs() -> None:
    params = load_params(ROOT / "params.yaml").sample
    frame = plan_snapshots(params)
    days = {datetime.strptime(str(t), "%Y%m%d%H%M").date() for t in frame["CRET_TIME"]}
    assert not days & set(params.holidays)
    assert len(days) == params.days
    assert frame.groupby("Part Number").size().min() < 0.6 * frame.groupby("Part Number").size().max()  # late starts


# ------------------------------------------------------------------ layout: one file per working day

DAILY = SampleParams(parts=5, days=25, seed=12, layout="daily_files", overlap_parts=0.5, overlap_revisions=0.5)


def test_daily_files_one_per_working_day_with_overlap_later_file_wins(tmp_path) -> None:
    frame = plan_snapshots(DAILY)
    folder = tmp_path / "plan_exports"
    assert write_export(frame, DAILY, folder) == 25
    names = sorted(path.name for path in folder.iterdir())
    assert names == [f"{d:%Y%m%d}.csv" for d in working_days(DAILY.start, 25)]
    files = [pd.read_csv(folder / name) for name in names]
    assert [f.columns.tolist() for f in files] == [plan_columns()] * 25
    overlap = revised = 0
    for previous, (name, rows) in zip([None, *files], zip(names, files, strict=True), strict=False):
        day = int(name[:8])
        own = rows[rows["CRET_TIME"] // 10_000 == day]
        repeats = rows[rows["CRET_TIME"] // 10_000 != day]
        assert len(own) == (frame["CRET_TIME"] // 10_000 == day).sum()
        if previous is None:
            assert repeats.empty
            continue
        # repeats: the previous day's last snapshot, first in the file
        assert rows.index[: len(repeats)].tolist() == repeats.index.tolist()
        assert (repeats["CRET_TIME"] == previous["CRET_TIME"].max()).all()
        key = ["Part Number", "CRET_TIME"]
        earlier = previous.set_index(key).loc[repeats.set_index(key).index]
        assert (earlier[QUANTITIES[1:]].to_numpy() == repeats[QUANTITIES[1:]].to_numpy()).all()
        changed = earlier[QUANTITIES[0]].to_numpy() != repeats[QUANTITIES[0]].to_numpy()
        assert (earlier[QUANTITIES[0]].to_numpy()[changed] > repeats[QUANTITIES[0]].to_numpy()[changed]).all()
        overlap, revised = overlap + len(repeats), revised + changed.sum()
    assert overlap > 20 and 0 < revised < overlap
    # the later file wins: what an ingest resolves is exactly the one-file export
    key = ["Part Number", "CRET_TIME"]
    stacked = pd.concat(files, ignore_index=True).drop_duplicates(key, keep="last")
    pd.testing.assert_frame_equal(
        stacked.sort_values(key).reset_index(drop=True),
        frame.sort_values(key).reset_index(drop=True),
        check_dtype=False,
    )


def test_daily_files_are_byte_identical_across_runs_csv_and_xlsx(tmp_path) -> None:
    pytest.importorskip("xlsxwriter")
    for fmt in ("csv", "xlsx"):
        params = DAILY.model_copy(update={"parts": 2, "days": 20, "daily_format": fmt})
        for run in ("a", "b"):
            write_export(plan_snapshots(params), params, tmp_path / fmt / run)
        first, second = sorted((tmp_path / fmt / "a").iterdir()), sorted((tmp_path / fmt / "b").iterdir())
        assert len(first) == 20 and all(p.suffix == f".{fmt}" for p in first)
        assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    with CalamineWorkbook.from_path(str(first[3])) as workbook:
        grid = workbook.get_sheet_by_name("Sheet1").to_python()
    csv_rows = pd.read_csv(sorted((tmp_path / "csv" / "a").iterdir())[3])
    assert grid[0] == plan_columns()
    assert [[int(v) for v in r[3:16]] + [int(r[-1])] for r in grid[1:]] == csv_rows[
        [*QUANTITIES, "CRET_TIME"]
    ].to_numpy().tolist()


def test_a_day_without_rows_still_gets_its_file(tmp_path) -> None:
    params = DAILY.model_copy(update={"parts": 1, "days": 20})
    frame = plan_snapshots(params)
    dropped = frame[frame["CRET_TIME"] // 10_000 != 20250108]
    files = daily_exports(dropped, params)
    assert len(files) == 20
    assert (dict(files)[20250108]["CRET_TIME"] // 10_000 != 20250108).all()  # at most yesterday's repeats
    write_daily_exports(files, tmp_path / "out", "csv")
    assert sorted(path.name for path in (tmp_path / "out").iterdir())[2] == "20250108.csv"
