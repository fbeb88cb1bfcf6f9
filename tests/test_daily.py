"""Daily-last: the latest snapshot of each part and day, checked against Seed B's printed first rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from plancast.data.calendar import Calendar
from plancast.data.daily import (
    check_snapshots,
    daily_summary,
    horizon_columns,
    last_snapshot_per_day,
    lay_on_calendar,
)
from plancast.errors import InputDataError

BUSINESS = Calendar()  # Monday to Friday, no holidays

HORIZONS = [f"h{k}" for k in range(1, 13)]

# Seed B's printed daily rows: (time of the last snapshot, [D, D+1 .. D+12]); Part 95 on the same days.
SEED_B_TIMES = [
    "2021-09-13 18:30",
    "2021-09-14 17:30",
    "2021-09-15 16:33",
    "2021-09-16 17:06",
    "2021-09-17 06:32",
]
SEED_B_ROWS = {
    "Part 94": [
        [42, 32, 30, 30, 30, 38, 0, 30, 30, 30, 30, 30, 0],
        [40, 30, 30, 30, 50, 45, 30, 30, 30, 30, 30, 0, 0],
        [40, 30, 30, 47, 43, 51, 0, 0, 0, 30, 30, 0, 30],
        [47, 30, 0, 53, 42, 39, 0, 0, 30, 30, 0, 30, 30],
        [46, 30, 30, 44, 37, 51, 0, 30, 30, 0, 30, 30, 30],
    ],
    "Part 95": [
        [113, 0, 274, 274, 270, 251, 0, 218, 78, 35, 167, 277, 0],
        [209, 296, 275, 276, 280, 193, 204, 109, 28, 158, 277, 0, 0],
        [209, 267, 240, 267, 340, 331, 0, 0, 0, 277, 249, 0, 233],
        [288, 244, 0, 282, 241, 267, 0, 0, 277, 242, 0, 242, 164],
        [276, 277, 246, 320, 241, 354, 0, 250, 273, 0, 277, 277, 215],
    ],
}


def _snapshot(part: str, time: str, values: list[float]) -> dict[str, object]:
    return {"part": part, "snapshot_time": pd.Timestamp(time), "target": float(values[0])} | {
        name: float(v) for name, v in zip(HORIZONS, values[1:], strict=True)
    }


def seed_b_snapshots(seed: int = 0) -> pd.DataFrame:
    """Seed B's printed last-of-day rows, plus earlier snapshots of the same days with other values."""
    rng = np.random.default_rng(seed)
    records = []
    for part, rows in SEED_B_ROWS.items():
        for time, values in zip(SEED_B_TIMES, rows, strict=True):
            records.append(_snapshot(part, time, values))
            day = pd.Timestamp(time).normalize()
            last = pd.Timestamp(time)
            # earlier the same day (one at midnight exactly), all with different numbers
            for earlier in sorted({day, day + (last - day) / 2, last - pd.Timedelta(minutes=1)}):
                if earlier < last:
                    records.append(_snapshot(part, str(earlier), [v + 1000 for v in values]))
    frame = pd.DataFrame(records)
    frame = frame.assign(source_file="plan.xls", sheet="Sheet1", source_row=np.arange(len(frame)) + 2)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def test_seed_b_last_snapshot_of_each_day_is_the_printed_row() -> None:
    daily = last_snapshot_per_day(seed_b_snapshots())

    assert list(daily.columns) == ["part", "day", "snapshot_time", "snapshots", "target", *HORIZONS]
    assert list(daily["part"]) == ["Part 94"] * 5 + ["Part 95"] * 5
    for part, rows in SEED_B_ROWS.items():
        got = daily[daily["part"] == part]
        assert got[["target", *HORIZONS]].to_numpy().tolist() == [[float(v) for v in r] for r in rows]
        assert list(got["snapshot_time"]) == [pd.Timestamp(t) for t in SEED_B_TIMES]
        assert list(got["day"]) == [pd.Timestamp(t[:10]) for t in SEED_B_TIMES]
    # 18:30 -> 00:00, 09:15, 18:29 earlier; 06:32 -> 00:00, 03:16, 06:31 earlier: 4 snapshots every day
    assert daily["snapshots"].tolist() == [4] * 10
    assert daily["snapshots"].dtype == np.int64


def test_row_order_does_not_matter() -> None:
    first = last_snapshot_per_day(seed_b_snapshots(seed=1))
    second = last_snapshot_per_day(seed_b_snapshots(seed=2))
    pd.testing.assert_frame_equal(first, second)


def test_equal_times_keep_the_row_that_comes_last_and_days_split_at_midnight() -> None:
    snapshots = pd.DataFrame(
        {
            "part": ["A", "A", "A", "A"],
            "snapshot_time": pd.to_datetime(
                ["2024-03-01 23:59", "2024-03-01 23:59", "2024-03-02 00:00", "2024-03-02 00:01"]
            ),
            "target": [1.0, 2.0, 3.0, 4.0],
        }
    )
    daily = last_snapshot_per_day(snapshots)
    assert daily["target"].tolist() == [2.0, 4.0]
    assert daily["snapshots"].tolist() == [2, 2]
    assert horizon_columns(daily) == []


def test_integer_steps_are_already_days_and_duplicates_keep_the_last() -> None:
    snapshots = pd.DataFrame(
        {
            "part": ["series"] * 4,
            "snapshot_time": np.array([2, 0, 1, 1], dtype=np.int64),
            "target": [20.0, 0.0, 10.0, 11.0],
        }
    )
    daily = last_snapshot_per_day(snapshots)
    assert daily["day"].tolist() == [0, 1, 2]
    assert daily["day"].dtype == np.int64
    assert daily["target"].tolist() == [0.0, 11.0, 20.0]
    assert daily["snapshots"].tolist() == [1, 2, 1]


def test_horizon_columns_are_sorted_numerically() -> None:
    frame = pd.DataFrame(columns=["part", "h10", "h2", "h1", "hx", "target", "h0"])
    assert horizon_columns(frame) == [1, 2, 10]
    daily = last_snapshot_per_day(
        pd.DataFrame(
            {
                "part": ["A"],
                "snapshot_time": [pd.Timestamp("2024-01-01 08:00")],
                "target": [1.0],
                "h10": [3.0],
                "h2": [2.0],
            }
        )
    )
    assert list(daily.columns) == ["part", "day", "snapshot_time", "snapshots", "target", "h2", "h10"]


def test_summary_counts_days_expected_present_and_missing_per_part() -> None:
    snapshots = seed_b_snapshots()
    snapshots = snapshots[~((snapshots["part"] == "Part 95") & (snapshots["snapshot_time"].dt.day == 15))]
    summary = daily_summary(snapshots, lay_on_calendar(last_snapshot_per_day(snapshots), BUSINESS))
    assert summary["parts"]["Part 94"] == {
        "days_expected": 5, "days_present": 5, "days_missing": 0, "missing_days": [],
        "snapshots": 20, "first_day": "2021-09-13", "last_day": "2021-09-17",
    }  # fmt: skip
    assert summary["parts"]["Part 95"]["missing_days"] == ["2021-09-15"]
    assert (summary["days_expected"], summary["days_present"], summary["days_missing"]) == (10, 9, 1)
    assert summary["parts_with_missing_days"] == 1
    assert summary["total_snapshots"] == 36
    assert (summary["first_day"], summary["last_day"]) == ("2021-09-13", "2021-09-17")
    assert summary["horizons"] == 12


def _daily(part: str, days: list[str], targets: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"part": part, "day": pd.to_datetime(days), "snapshot_time": pd.to_datetime(days), "snapshots": 1,
         "target": targets, "h1": [t + 1 for t in targets]}
    )  # fmt: skip


def test_a_missing_working_day_is_an_explicit_row_never_bridged() -> None:
    # Friday 10th, then Tuesday 14th: Monday 13th had no export.
    daily = _daily("A", ["2025-01-09", "2025-01-10", "2025-01-14"], [1.0, 2.0, 4.0])
    laid = lay_on_calendar(daily, BUSINESS)
    assert laid["day"].dt.strftime("%a %d").tolist() == ["Thu 09", "Fri 10", "Mon 13", "Tue 14"]
    assert laid["position"].tolist() == [0, 1, 2, 3]
    assert laid["present"].tolist() == [True, True, False, True]
    assert np.isnan(laid["target"].iloc[2]) and np.isnan(laid["h1"].iloc[2])
    assert laid["snapshots"].tolist() == [1, 1, 0, 1]
    # with Monday a holiday, Friday -> Tuesday is consecutive
    holiday = Calendar(holidays=("2025-01-13",), holiday_names=("daily.holidays",))
    assert lay_on_calendar(daily, holiday)["present"].all()


def test_every_part_runs_to_the_last_day_of_the_data_on_one_position_scale() -> None:
    daily = pd.concat([
        _daily("A", ["2025-01-06", "2025-01-07", "2025-01-08"], [1.0, 2.0, 3.0]),
        _daily("B", ["2025-01-07"], [5.0]),  # starts late, stops early
    ])  # fmt: skip
    laid = lay_on_calendar(daily, BUSINESS)
    b = laid[laid["part"] == "B"]
    assert b["position"].tolist() == [1, 2] and b["present"].tolist() == [True, False]
    assert laid.groupby("part")["position"].max().tolist() == [2, 2]


def test_integer_steps_are_their_own_calendar() -> None:
    daily = pd.DataFrame({"part": "s", "day": np.array([3, 4, 6]), "snapshot_time": np.array([3, 4, 6]),
                          "snapshots": 1, "target": [1.0, 2.0, 3.0]})  # fmt: skip
    laid = lay_on_calendar(daily, BUSINESS)
    assert laid["day"].tolist() == [3, 4, 5, 6] and laid["position"].tolist() == [0, 1, 2, 3]
    assert laid["present"].tolist() == [True, True, False, True]


def test_a_row_on_a_non_working_day_names_the_part_and_day() -> None:
    with pytest.raises(InputDataError, match=r"part 'A' has a snapshot on 2025-01-11 is a Saturday"):
        lay_on_calendar(_daily("A", ["2025-01-10", "2025-01-11"], [1.0, 2.0]), BUSINESS)


def test_bad_snapshot_tables_name_the_file_and_column() -> None:
    good = seed_b_snapshots()
    with pytest.raises(InputDataError, match=r"^snap\.parquet: column 'target' is missing"):
        check_snapshots(good.drop(columns="target"), "snap.parquet")
    with_gap = good.assign(snapshot_time=good["snapshot_time"].where(good.index != 3))
    with pytest.raises(InputDataError, match="'snapshot_time' has 1 empty value"):
        check_snapshots(with_gap, "snap.parquet")
    with pytest.raises(InputDataError, match="must be datetime or integer"):
        check_snapshots(good.assign(snapshot_time="202109131830"), "snap.parquet")
    check_snapshots(good, "snap.parquet")


def _chuseok_2024() -> pd.DataFrame:
    """Two parts on the working days of 2024-09-09 .. 2024-09-20; nothing on Chuseok (16-18 Sept), A not
    on the 12th either (a gap of one part, not a holiday)."""
    days = pd.bdate_range("2024-09-09", "2024-09-20")
    chuseok = pd.to_datetime(["2024-09-16", "2024-09-17", "2024-09-18"])
    records = [
        _snapshot(part, f"{day:%Y-%m-%d} 17:00", [10.0] * 13)
        for part in ("A", "B")
        for day in days.difference(chuseok)
        if not (part == "A" and day == pd.Timestamp("2024-09-12"))
    ]
    return pd.DataFrame(records)


def test_years_without_any_holiday_get_one_line_with_the_fix() -> None:
    from plancast.params_sections import DailyParams
    from plancast.pipeline.daily_last import daily_last

    snapshots = _chuseok_2024()
    listed_2025 = daily_last(DailyParams(holidays=[date(2025, 1, 28)]), snapshots)
    assert listed_2025.hint == (
        "daily.holidays lists days of 2025 only and daily.country is empty: the public holidays of 2024 count "
        "as working days; 3 working day(s) of 2024 have no snapshot of any part (first 2024-09-16); set "
        "daily.country (e.g. KR) or list 2024's holidays in daily.holidays"
    )
    assert listed_2025.summary["days_missing"] == 7  # it still runs: 3 holidays x 2 parts + A's gap
    assert daily_last(DailyParams(), snapshots).hint.startswith("daily.holidays is empty and daily.country is empty")
    assert daily_last(DailyParams(holidays=[date(2024, 9, 16)]), snapshots).hint is None  # 2024 is looked after
    assert daily_last(DailyParams(calendar="every_day"), snapshots).hint is None  # open every day, no closures
    with_country = daily_last(DailyParams(country="KR"), snapshots)
    assert with_country.hint is None
    assert with_country.summary["days_missing"] == 1  # only A's gap: Chuseok is not a working day
