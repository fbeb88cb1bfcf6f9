"""Tests of the working-day calendar, against days counted by hand on a 2025 wall calendar.

January 2025: Wed 1 (New Year), Fri 10, Sat 11, Sun 12, Mon 13, Tue 14, Fri 17, Mon 20.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from plancast.data.calendar import Calendar
from plancast.errors import ParamsError
from plancast.params_sections import DailyParams

BUSINESS = Calendar.from_params(DailyParams())
MONDAY_OFF = Calendar.from_params(DailyParams(holidays=[date(2025, 1, 13)]))
EVERY_DAY = Calendar.from_params(DailyParams(calendar="every_day", holidays=[date(2025, 1, 13)]))


def days(*isos: str) -> np.ndarray:
    return np.array(isos, dtype="datetime64[D]")


def test_is_working_weekends_and_holidays() -> None:
    probe = days("2025-01-10", "2025-01-11", "2025-01-12", "2025-01-13", "2025-01-14")
    assert BUSINESS.is_working(probe).tolist() == [True, False, False, True, True]
    assert MONDAY_OFF.is_working(probe).tolist() == [True, False, False, False, True]
    assert EVERY_DAY.is_working(probe).tolist() == [True, True, True, False, True]


def test_shift_friday_plus_one_is_monday_or_tuesday_after_a_holiday() -> None:
    friday = days("2025-01-10")
    assert BUSINESS.shift(friday, 1).tolist() == days("2025-01-13").tolist()
    assert MONDAY_OFF.shift(friday, 1).tolist() == days("2025-01-14").tolist()
    assert MONDAY_OFF.shift(friday, 5).tolist() == days("2025-01-20").tolist()  # Tue..Fri, then Mon
    assert BUSINESS.shift(days("2025-01-11"), 0).tolist() == days("2025-01-13").tolist()  # Saturday rolls on
    assert (
        BUSINESS.shift(days("2025-01-13", "2025-01-14"), np.array([-1, 2])).tolist()
        == days("2025-01-10", "2025-01-16").tolist()
    )


def test_position_counts_working_days_from_the_origin() -> None:
    probe = days("2025-01-10", "2025-01-13", "2025-01-14", "2025-01-20", "2025-01-09")
    assert BUSINESS.position(probe, "2025-01-10").tolist() == [0, 1, 2, 6, -1]
    assert MONDAY_OFF.position(probe, "2025-01-10").tolist() == [0, 1, 1, 5, -1]
    assert EVERY_DAY.position(probe, "2025-01-10").tolist() == [0, 3, 3, 9, -1]  # 13th off: as the 14th


def test_working_days_between_both_ends_included() -> None:
    assert (
        MONDAY_OFF.working_days("2025-01-10", "2025-01-15").tolist()
        == days("2025-01-10", "2025-01-14", "2025-01-15").tolist()
    )
    assert len(BUSINESS.working_days("2025-01-11", "2025-01-12")) == 0


def test_days_to_next_holiday() -> None:
    probe = days("2025-01-10", "2025-01-13", "2025-01-14")
    assert MONDAY_OFF.days_to_next_holiday(probe).tolist() == [3, 0, -1]
    assert BUSINESS.days_to_next_holiday(probe).tolist() == [-1, -1, -1]


def test_country_holidays_for_the_data_years() -> None:
    pytest.importorskip("holidays")
    korea = Calendar.from_params(DailyParams(country="KR"), years=[2025])
    assert "2025-01-01" in korea.holidays and "2025-10-03" in korea.holidays  # New Year, National Foundation
    assert not korea.is_working(days("2025-01-01"))[0]
    assert "is a holiday (daily.country KR: " in korea.why_not_working(np.datetime64("2025-01-01"))
    with pytest.raises(ParamsError, match=r"^daily.country: 'XX' is not a country code"):
        Calendar.from_params(DailyParams.model_construct(calendar="business", holidays=[], country="XX"), [2025])


def test_reasons_name_the_weekday_and_the_holiday() -> None:
    assert BUSINESS.why_not_working(np.datetime64("2025-01-11")) == "2025-01-11 is a Saturday"
    assert MONDAY_OFF.why_not_working(np.datetime64("2025-01-13")) == (
        "2025-01-13 (Monday) is a holiday (daily.holidays)"
    )
