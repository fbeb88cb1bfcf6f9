"""The working-day calendar: which days a factory works, and counting days on it.

Everything is vectorized over NumPy ``datetime64[D]`` arrays through NumPy's own business-day
functions (``np.busdaycalendar``, ``np.is_busday``, ``np.busday_offset``, ``np.busday_count``), so the
daily stage can put positions and shifts on a million rows without a Python loop.

Example:

>>> cal = Calendar.from_params(DailyParams(holidays=[date(2025, 1, 13)]))
>>> str(cal.shift(np.datetime64("2025-01-10"), 1))   # Friday + 1 working day, Monday is a holiday
'2025-01-14'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from plancast.errors import ParamsError
from plancast.params_sections import DailyParams

WEEKMASKS = {"business": "1111100", "every_day": "1111111"}  # Monday first, as NumPy reads them
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def as_days(days: object) -> np.ndarray:
    """Dates, datetimes, ISO strings or datetime64 of any unit as ``datetime64[D]`` (time of day dropped)."""
    return np.asarray(days).astype("datetime64[D]")


def weekday_name(day: np.datetime64) -> str:
    """``'Saturday'`` for 2025-01-11."""
    return WEEKDAYS[int((day.astype("datetime64[D]").astype(np.int64) - 4) % 7)]  # 1970-01-01 was a Thursday


@dataclass(frozen=True)
class Calendar:
    """Working days: the week's working days (``weekmask``, Monday first) less the holidays.

    ``holidays`` are sorted ISO days; ``holiday_names`` gives each one's origin for messages
    (``'daily.holidays'`` or the country's name for it, e.g. ``"KR: New Year's Day"``).
    """

    weekmask: str = WEEKMASKS["business"]
    holidays: tuple[str, ...] = ()
    holiday_names: tuple[str, ...] = ()

    @classmethod
    def from_params(cls, params: DailyParams, years: Iterable[int] = ()) -> Calendar:
        """The calendar of ``daily`` params; ``years`` are the years the data spans (for ``country``)."""
        named: dict[str, str] = {}
        if params.country is not None:
            named.update(country_holidays(params.country, years))
        for day in params.holidays:
            named[day.isoformat()] = "daily.holidays"
        ordered = sorted(named)
        return cls(
            weekmask=WEEKMASKS[params.calendar],
            holidays=tuple(ordered),
            holiday_names=tuple(named[day] for day in ordered),
        )

    @cached_property
    def _busdaycal(self) -> np.busdaycalendar:
        return np.busdaycalendar(weekmask=self.weekmask, holidays=np.array(self.holidays, dtype="datetime64[D]"))

    @cached_property
    def _holiday_days(self) -> np.ndarray:
        return np.array(self.holidays, dtype="datetime64[D]")

    def is_working(self, days: object) -> np.ndarray:
        """``(n,)`` bool: whether each day of ``days`` ``(n,)`` is a working day."""
        return np.is_busday(as_days(days), busdaycal=self._busdaycal)

    def working_days(self, first: object, last: object) -> np.ndarray:
        """``(m,)`` datetime64[D]: every working day from ``first`` to ``last``, both included."""
        first, last = as_days(first), as_days(last)
        count = max(int(np.busday_count(first, last + 1, busdaycal=self._busdaycal)), 0)
        return np.busday_offset(first, np.arange(count), roll="forward", busdaycal=self._busdaycal)

    def position(self, days: object, origin: object) -> np.ndarray:
        """``(n,)`` int64: how many working days lie in ``[origin, day)`` — the k-th working day index.

        A working ``origin`` is position 0, the next working day 1; a non-working day has the position of
        the working day after it; days before ``origin`` count negative.
        """
        return np.busday_count(as_days(origin), as_days(days), busdaycal=self._busdaycal).astype(np.int64)

    def shift(self, days: object, k: object) -> np.ndarray:
        """``(n,)`` datetime64[D]: the k-th working day after each day (a non-working day rolls forward)."""
        return np.busday_offset(as_days(days), np.asarray(k), roll="forward", busdaycal=self._busdaycal)

    def days_to_next_holiday(self, days: object) -> np.ndarray:
        """``(n,)`` int64: calendar days from each day to the next holiday (0 on a holiday); -1 when the
        calendar holds no holiday on or after it. Weekends are not holidays."""
        days = as_days(days)
        at = np.searchsorted(self._holiday_days, days, side="left")
        found = at < len(self._holiday_days)
        nearest = self._holiday_days[np.minimum(at, max(len(self._holiday_days) - 1, 0))] if self.holidays else days
        return np.where(found, (nearest - days).astype(np.int64), -1)

    def why_not_working(self, day: np.datetime64) -> str:
        """``'2025-01-11 is a Saturday'`` or ``'2025-01-01 (Wednesday) is a holiday (daily.holidays)'``."""
        iso = str(day.astype("datetime64[D]"))
        if iso in self.holidays:
            origin = self.holiday_names[self.holidays.index(iso)]
            return f"{iso} ({weekday_name(day)}) is a holiday ({origin})"
        return f"{iso} is a {weekday_name(day)}"


def country_holidays(country: str, years: Iterable[int]) -> dict[str, str]:
    """ISO day -> ``'KR: <name>'`` for the public holidays of ``country`` in ``years`` (``holidays`` package)."""
    years = sorted(set(years))
    if not years:
        return {}
    try:
        import holidays
    except ImportError:
        raise ParamsError(
            "daily.country: needs the Python package `holidays` (pip install holidays), or null"
        ) from None
    try:
        table = holidays.country_holidays(country, years=years)
    except NotImplementedError:
        raise ParamsError(f"daily.country: {country!r} is not a country code the holidays package knows") from None
    return {day.isoformat(): f"daily.country {country}: {name}" for day, name in sorted(table.items())}
