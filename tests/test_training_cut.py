"""The training cut: ``train.until`` resolved to a day, the daily table clipped at it, and the clipped table
unchanged to the byte when only later days arrive."""

from __future__ import annotations

import doctest
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from plancast.artifacts import write_parquet
from plancast.data import training_cut
from plancast.data.calendar import Calendar
from plancast.data.training_cut import cut_day, up_to
from plancast.errors import ParamsError
from plancast.features.windows import window_report
from plancast.params import parse_params
from plancast.params_sections import DailyParams, WindowParams
from plancast.pipeline.daily_last import daily_last
from plancast.pipeline.window import window

BUSINESS = Calendar()  # Monday to Friday, no holidays


def _table(days: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"part": "A", "day": pd.to_datetime(days), "target": np.arange(len(days), dtype=float)})


# 2026-01-05 .. 2026-01-14: Monday .. Wednesday of the next week
TWO_WEEKS = _table(["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", "2026-01-09", "2026-01-12",
                    "2026-01-13", "2026-01-14"])  # fmt: skip


@pytest.mark.parametrize(
    ("until", "calendar", "expected"),
    [
        (None, BUSINESS, "2026-01-14"),  # empty: the data's last day
        (date(2026, 1, 8), BUSINESS, "2026-01-08"),
        (date(2026, 1, 10), BUSINESS, "2026-01-10"),  # a Saturday: the rows up to Friday
        ("weekly", BUSINESS, "2026-01-12"),  # the last day is a Wednesday: that week's Monday
        ("weekly", Calendar(holidays=("2026-01-12",)), "2026-01-13"),  # Monday closed: its first working day
    ],
)
def test_the_cut_is_the_day_given_the_week_s_first_working_day_or_the_last_day(until, calendar, expected):
    assert cut_day(until, TWO_WEEKS, calendar) == pd.Timestamp(expected)


def test_weekly_on_a_monday_is_that_monday_and_moves_once_a_week():
    days = pd.bdate_range("2026-01-05", "2026-01-23")
    cuts = [cut_day("weekly", _table(list(days[: n + 1].astype(str))), BUSINESS) for n in range(len(days))]
    assert [f"{cut:%m-%d}" for cut in cuts] == ["01-05"] * 5 + ["01-12"] * 5 + ["01-19"] * 5


def test_a_step_series_takes_a_step():
    steps = pd.DataFrame({"part": "x", "day": np.arange(10, 20, dtype=np.int64), "target": 1.0})
    assert cut_day(15, steps, BUSINESS) == 15 and cut_day(None, steps, BUSINESS) == 19
    assert up_to(steps, 15)["day"].tolist() == [10, 11, 12, 13, 14, 15]


@pytest.mark.parametrize(
    ("until", "table", "line"),
    [
        (
            date(2026, 1, 15), TWO_WEEKS,
            "train.until: 2026-01-15 is after the data's last day 2026-01-14: give a day from 2026-01-05 to "
            "2026-01-14, or leave it empty for the last day",
        ),
        (
            date(2026, 1, 2), TWO_WEEKS,
            "train.until: 2026-01-02 is before the data's first day 2026-01-05: give a day from 2026-01-05 to "
            "2026-01-14, or leave it empty for the last day",
        ),
        (
            40, TWO_WEEKS,
            "train.until: must be a day such as '2026-01-14', as the data is indexed by calendar days (got 40)",
        ),
        (
            date(2026, 1, 8), pd.DataFrame({"part": "x", "day": np.arange(3, dtype=np.int64)}),
            "train.until: 2026-01-08 is a date, but the data is indexed by integer steps (0 .. 2)",
        ),
        (
            "weekly", pd.DataFrame({"part": "x", "day": np.arange(3, dtype=np.int64)}),
            "train.until: weekly needs calendar days, but the data is indexed by integer steps (0 .. 2): give a "
            "step, or leave it empty for the last one",
        ),
        (
            30, pd.DataFrame({"part": "x", "day": np.arange(3, dtype=np.int64)}),
            "train.until: 30 is after the data's last day 2: give a day from 0 to 2, or leave it empty for the "
            "last day",
        ),
    ],
)  # fmt: skip
def test_a_cut_outside_the_data_or_of_the_wrong_kind_is_one_line_naming_train_until(until, table, line):
    with pytest.raises(ParamsError) as info:
        cut_day(until, table, BUSINESS)
    assert str(info.value) == line


def test_the_training_table_is_the_rows_up_to_the_cut_renumbered():
    clipped = up_to(TWO_WEEKS, pd.Timestamp("2026-01-09"))
    assert clipped["day"].max() == pd.Timestamp("2026-01-09") and clipped.index.tolist() == [0, 1, 2, 3, 4]
    assert up_to(TWO_WEEKS.iloc[:0], None).empty


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-01-12", date(2026, 1, 12)), (date(2026, 1, 12), date(2026, 1, 12)), ("weekly", "weekly"), (120, 120),
     (None, None)],
)  # fmt: skip
def test_train_until_takes_a_day_a_step_weekly_or_empty(value, expected):
    assert parse_params({"train": {"until": value}}).train.until == expected


@pytest.mark.parametrize("value", ["monday", "2026-13-01", True, 1.5, ["2026-01-12"]])
def test_any_other_train_until_is_one_line_naming_the_key_and_the_choices(value):
    with pytest.raises(ParamsError) as info:
        parse_params({"train": {"until": value}})
    assert str(info.value) == (
        "params.yaml: train.until: must be a day (e.g. '2025-12-29'), a step of a step series (an integer), weekly "
        f"(the first working day of the data's last week) or empty (the data's last day) (got {value!r})"
    )


def _snapshots(seed: int = 3) -> pd.DataFrame:
    """Three parts over December 2025 .. January 2026 on Korea's working days, a few days missing; part C
    starts after 2025-12-30, the cut the test below uses; two snapshots a day."""
    rng = np.random.default_rng(seed)
    calendar = Calendar.from_params(DailyParams(country="KR"), [2025, 2026])
    days = calendar.working_days(np.datetime64("2025-12-01"), np.datetime64("2026-01-30"))
    rows = []
    for part, first in (("A", "2025-12-01"), ("B", "2025-12-08"), ("C", "2026-01-05")):
        for day in days[days >= np.datetime64(first)]:
            if rng.random() < 0.1:
                continue  # no export that day: a gap
            for hour in (8, 17):
                values = rng.integers(0, 90, 13).astype(float)
                rows.append({"part": part, "snapshot_time": pd.Timestamp(day) + pd.Timedelta(hours=hour),
                             "target": values[0], **{f"h{k}": values[k] for k in range(1, 13)}})  # fmt: skip
    return pd.DataFrame(rows)


def test_days_after_the_cut_change_no_byte_of_the_training_table(tmp_path: Path):
    # the later days bring a new year (its holidays join the calendar), a new part and more gaps
    snapshots, params = _snapshots(), DailyParams(country="KR")
    cut = date(2025, 12, 30)
    tables = {}
    for last in ("2025-12-31", "2026-01-09", "2026-01-31"):
        known = snapshots[snapshots["snapshot_time"] < pd.Timestamp(last) + pd.Timedelta(days=1)]
        daily = daily_last(params, known, until=cut)
        assert daily.until == pd.Timestamp(cut) and daily.training_parts == ["A", "B"]
        write_parquet(tmp_path / f"{last}.parquet", daily.training)
        tables[last] = (tmp_path / f"{last}.parquet").read_bytes()
    assert len(set(tables.values())) == 1
    full = daily_last(params, snapshots, until=cut)
    assert full.table["day"].max() > pd.Timestamp(cut) and set(full.table["part"]) == {"A", "B", "C"}


def test_the_last_day_as_the_cut_gives_the_daily_table_itself(tmp_path: Path):
    snapshots = _snapshots()
    empty = daily_last(DailyParams(country="KR"), snapshots)
    last = daily_last(DailyParams(country="KR"), snapshots, until=date(2026, 1, 30))
    for name, frame in (("table", empty.table), ("empty", empty.training), ("last", last.training)):
        write_parquet(tmp_path / f"{name}.parquet", frame)
    assert len({(tmp_path / f"{name}.parquet").read_bytes() for name in ("table", "empty", "last")}) == 1


def test_a_cut_that_leaves_no_window_names_train_until_and_the_days():
    training = up_to(TWO_WEEKS.assign(present=True, position=np.arange(8)), pd.Timestamp("2026-01-07"))
    features = {"columns": {"A": ["target"]}}
    assert not window_report(training, features, 5, [1], "drop")[1]["windows"]
    with pytest.raises(ParamsError) as info:
        window(WindowParams(lookback=5, delays=[1]), training, features, until=date(2026, 1, 7))
    assert str(info.value) == (
        "train.until: 2026-01-07 leaves the days 2026-01-05 .. 2026-01-07 to train on, where no part has the "
        "lookback + max(delays) = 6 days one window needs (longest part: 3 days); move train.until later, or "
        "lower window.lookback or window.delays"
    )


def test_the_module_example_runs():
    assert doctest.testmod(training_cut).failed == 0
