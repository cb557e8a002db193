"""Periods in years as the Civil Code counts them (民法典 arts. 201–203), with the official holiday calendar.

- Art. 201: a period counted in years, months or days does not count its first day
  (开始的当日不计入，自下一日开始计算).
- Art. 202: a period in years or months ends on the corresponding day of the last month, or
  on that month's last day where it has none (到期月的对应日为期间的最后一日；没有对应日的，
  月末日为期间的最后一日): one year from 2024-02-29 ends on 2025-02-28.
- Art. 203: a last day that is a statutory rest day (法定休假日) moves to the day after the
  rest days end (以法定休假日结束的次日为期间的最后一日), which is the next working day. Rest
  days are weekends and the public holidays of the State Council's notice for the year
  (国务院办公厅关于某年部分节假日安排的通知); a weekend day the notice makes a working day
  (调休上班, e.g. Sunday 2025-09-28 and Saturday 2025-10-11) is a working day.

The holiday calendar is the ``chinesecalendar`` package (import name ``chinese_calendar``,
MIT), which transcribes those notices year by year; :func:`holiday_calendar` says which years
it holds. Outside them no notice is known, so only weekends are rest days there, and every
result counted that way says so (:attr:`PeriodEnds.weekends_only`): it is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib.metadata import PackageNotFoundError, version

import chinese_calendar
import numpy as np
import pandas as pd

__all__ = ["HolidayCalendar", "PeriodEnds", "holiday_calendar", "period_end", "period_ends"]

_SATURDAY = 5


@dataclass(frozen=True)
class HolidayCalendar:
    """The years of the State Council's holiday notices the planner holds, and their source."""

    first_year: int
    last_year: int
    source: str
    """The package and version the notices come from (``chinesecalendar 1.11.0``)."""

    def covers(self, day: date) -> bool:
        """Whether the year of ``day`` is one whose holiday notice the calendar holds."""
        return self.first_year <= day.year <= self.last_year

    def is_rest_day(self, day: date) -> bool:
        """A weekend day or public holiday, not a make-up working day; weekends only where the calendar has no year.

        >>> cal = holiday_calendar()
        >>> cal.is_rest_day(date(2025, 10, 8)), cal.is_rest_day(date(2025, 10, 11))  # 国庆, 调休上班 (Saturday)
        (True, False)
        """
        if self.covers(day):
            return not chinese_calendar.is_workday(day)
        return day.weekday() >= _SATURDAY

    def describe(self, lang: str = "zh") -> str:
        """Which years the calendar holds and where from, in ``lang`` (``zh`` or ``en``)."""
        if lang == "zh":
            return f"国务院节假日安排 {self.first_year}–{self.last_year} 年（{self.source}）"
        return f"State Council holiday notices {self.first_year}–{self.last_year} ({self.source})"


@cache
def holiday_calendar() -> HolidayCalendar:
    """The holiday calendar of the installed ``chinesecalendar``: the years its notices cover.

    >>> holiday_calendar().first_year
    2004
    """
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    try:
        source = f"chinesecalendar {version('chinesecalendar')}"
    except PackageNotFoundError:  # pragma: no cover - imported from a checkout without metadata
        source = "chinesecalendar"
    return HolidayCalendar(years[0], years[-1], source)


@cache
def _last_day(day: date) -> tuple[date, bool]:
    """Art. 203 on one last day: it, or the day after the rest days that hold it; and whether only weekends were known.

    The second value is true when a day looked at lies in a year the calendar does not hold.
    """
    calendar = holiday_calendar()
    weekends_only = not calendar.covers(day)
    while calendar.is_rest_day(day):
        day += timedelta(days=1)
        weekends_only |= not calendar.covers(day)
    return day, weekends_only


@dataclass(frozen=True)
class PeriodEnds:
    """The last days of periods, and which of them were moved (or kept) knowing weekends only."""

    last_day: pd.Series
    """The last day of each period (``datetime64``; NaT where the start is missing)."""
    weekends_only: np.ndarray
    """True where a day art. 203 looked at lies outside the holiday calendar's years: only weekends were rest days."""


def period_ends(start: pd.Series, *, years: float, holidays: bool = True) -> PeriodEnds:
    """The last day of a period of ``years`` starting on each day of ``start`` (民法典 arts. 201–203).

    The start day is not counted (art. 201); the period ends on the corresponding day
    ``years`` later, or the month's last day where there is none (art. 202); a last day
    on a rest day moves to the next working day (art. 203), with the State Council's
    holiday notices where :func:`holiday_calendar` holds the year and weekends only
    elsewhere (``weekends_only``). ``holidays=False`` stops at art. 202.
    """
    whole = int(years)
    if whole != years:
        msg = f"`years` was {years} but periods are counted in whole years"
        raise ValueError(msg)
    raw = pd.to_datetime(start) + pd.DateOffset(years=whole)
    if not holidays:
        return PeriodEnds(raw, np.zeros(len(raw), dtype=bool))
    values = raw.to_numpy(dtype="datetime64[ns]")
    valid = ~np.isnat(values)
    days = np.unique(values[valid])  # art. 203 worked out once per distinct day, then looked up
    ends = [_last_day(pd.Timestamp(day).date()) for day in days]
    at = np.searchsorted(days, values[valid])
    last = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    last[valid] = np.array([np.datetime64(end, "ns") for end, _ in ends], dtype="datetime64[ns]")[at]
    flagged = np.zeros(len(values), dtype=bool)
    flagged[valid] = np.array([only for _, only in ends], dtype=bool)[at]
    return PeriodEnds(pd.Series(last, index=raw.index, name=raw.name), flagged)


def period_end(start: pd.Series | pd.Timestamp, *, years: float) -> pd.Series | pd.Timestamp:
    """Last day of a period of ``years`` starting on ``start`` (民法典 arts. 201–203), as :func:`period_ends`.

    >>> period_end(pd.Timestamp("2024-06-30"), years=1)  # a Monday
    Timestamp('2025-06-30 00:00:00')
    >>> period_end(pd.Timestamp("2024-06-29"), years=1)  # Sunday 2025-06-29 moves to Monday
    Timestamp('2025-06-30 00:00:00')
    >>> period_end(pd.Timestamp("2024-10-01"), years=1)  # 国庆 2025-10-01 to 08: the 9th
    Timestamp('2025-10-09 00:00:00')
    >>> period_end(pd.Timestamp("2024-02-29"), years=1)  # no 29 February: the month's last day (a Friday)
    Timestamp('2025-02-28 00:00:00')
    """
    if isinstance(start, pd.Series):
        return period_ends(start, years=years).last_day
    return period_ends(pd.Series([start]), years=years).last_day.iloc[0]
