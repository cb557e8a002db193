"""民法典 art. 203 in the idle-land periods: a last day on a rest day moves to the next working day.

Art. 201: the start day is not counted; art. 202: a period in years ends on the
corresponding day; art. 203: 期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的
最后一日. Rest days are weekends and the State Council's holidays; a weekend day made a
working day (调休上班) is a working day. Every expected date is worked out by hand from the
calendar and the notices:

- 2025 (国办发明电〔2024〕12号): 国庆节、中秋节 10月1日（周三）至8日（周三）放假调休，共8天；
  9月28日（周日）、10月11日（周六）上班.
- 2024 (国办发明电〔2023〕7号): 国庆节 10月1日至7日放假调休；9月29日（周日）、10月12日（周六）上班.
- 2026 (国办发明电〔2025〕7号): 元旦 1月1日（周四）至3日（周六）放假调休；1月4日（周日）上班.

Weekdays: 2025-06-27 Friday, 28 Saturday, 29 Sunday, 30 Monday; 2027-01-02 Saturday.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from planner.config import ParkConfig
from planner.parcels.idle import classify_idle, period_end
from planner.parcels.periods import holiday_calendar, period_ends
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels

CONFIG = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)


def parcels(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"status": ["supplied"] * n, "holder": ["某公司"] * n, "land_price_wan": [1000.0] * n}
    frame = grid_parcels(n, **{**base, **columns})
    return validate_parcels(frame, crs_epsg=GK, park_id="T1").parcels


def test_the_calendar_names_the_years_it_holds_and_its_source():
    calendar = holiday_calendar()
    assert calendar.first_year == 2004
    assert calendar.last_year >= 2026
    assert calendar.source.startswith("chinesecalendar ")
    assert calendar.covers(date(2026, 12, 31)) and not calendar.covers(date(2003, 12, 31))
    assert "国务院节假日安排 2004–" in calendar.describe("zh")


@pytest.mark.parametrize(
    ("day", "rest"),
    [
        ("2025-09-27", True),  # Saturday
        ("2025-09-28", False),  # Sunday, 调休上班
        ("2025-09-30", False),  # Tuesday, the eve
        ("2025-10-01", True),
        ("2025-10-06", True),  # 中秋节, a Monday
        ("2025-10-08", True),  # the last day off
        ("2025-10-09", False),
        ("2025-10-11", False),  # Saturday, 调休上班
        ("2025-10-12", True),  # Sunday
    ],
)
def test_rest_days_of_national_day_2025(day, rest):
    assert holiday_calendar().is_rest_day(date.fromisoformat(day)) == rest


@pytest.mark.parametrize(
    ("start", "last"),
    [
        ("2024-06-27", "2025-06-27"),  # Friday: stays
        ("2024-06-28", "2025-06-30"),  # Saturday → Monday
        ("2024-06-29", "2025-06-30"),  # Sunday → Monday (the issue's case)
        ("2024-06-30", "2025-06-30"),  # Monday: stays
        ("2024-09-27", "2025-09-28"),  # Saturday → Sunday 9-28, a make-up working day
        ("2024-09-28", "2025-09-28"),  # the make-up Sunday is a working day: stays
        ("2024-09-30", "2025-09-30"),  # the day before National Day: stays
        ("2024-10-01", "2025-10-09"),  # first day of the holiday
        ("2024-10-04", "2025-10-09"),  # a Saturday inside it
        ("2024-10-08", "2025-10-09"),  # its last day
        ("2024-10-09", "2025-10-09"),  # the day after: a working day, stays
        ("2024-10-11", "2025-10-11"),  # Saturday made a working day: stays
        ("2024-10-12", "2025-10-13"),  # Sunday → Monday
        ("2025-01-01", "2026-01-04"),  # 元旦 2026 (Thu–Sat) → Sunday 1-4, a make-up working day
        ("2024-02-29", "2025-02-28"),  # no 29 February (art. 202): Friday the 28th
    ],
)
def test_a_last_day_on_a_rest_day_moves_to_the_next_working_day(start, last):
    assert period_end(pd.Timestamp(start), years=1) == pd.Timestamp(last)


def test_without_holidays_the_period_stops_at_art_202():
    ends = period_ends(pd.Series(pd.to_datetime(["2024-10-01", None])), years=1, holidays=False)
    assert ends.last_day.iloc[0] == pd.Timestamp("2025-10-01")
    assert pd.isna(ends.last_day.iloc[1])
    assert not ends.weekends_only.any()


def test_a_missing_start_has_no_end():
    ends = period_ends(pd.Series(pd.to_datetime([None, "2024-06-29"])), years=1)
    assert pd.isna(ends.last_day.iloc[0])
    assert ends.last_day.iloc[1] == pd.Timestamp("2025-06-30")
    assert ends.weekends_only.tolist() == [False, False]


@pytest.mark.parametrize(
    ("as_of", "idle"),
    [("2025-06-29", False), ("2025-06-30", False), ("2025-07-01", True)],  # the moved last day, the day after
)
def test_the_issues_case_land_agreed_to_start_on_2024_06_29(as_of, idle):
    p = parcels(contract_date=["2024-01-10"], agreed_start_date=["2024-06-29"])
    row = classify_idle(p, as_of, CONFIG).table.loc["P000"]
    assert (row["idle_rule"] == "not_started") == idle
    if idle:
        assert row["idle_since"] == pd.Timestamp("2025-07-01")
        assert row["reclaim_from"] == pd.Timestamp("2026-06-30")  # two years end on Monday 2026-06-29
        assert not row["weekends_only"]


def test_two_years_from_2024_06_29_end_on_monday_2026_06_29():
    # 2026-06-29 is a Monday: the two-year period is not moved, reclamation from the 30th
    p = parcels(contract_date=["2024-01-10"], agreed_start_date=["2024-06-29"])
    row = classify_idle(p, "2026-06-30", CONFIG).table.loc["P000"]
    assert row["reclaim_from"] == pd.Timestamp("2026-06-30")
    assert "已满2年，自 2026-06-30 起可无偿收回" in row["note_zh"]


def test_started_on_the_moved_last_day_is_in_time():
    p = parcels(
        status=["under_construction", "under_construction"],
        contract_date=["2024-01-10", "2024-01-10"],
        agreed_start_date=["2024-06-29", "2024-06-29"],
        actual_start_date=["2025-06-30", "2025-07-01"],
    )
    table = classify_idle(p, "2025-12-31", CONFIG).table
    assert table.loc["P000", "idle_rule"] is None and pd.isna(table.loc["P000", "resumed_on"])
    assert table.loc["P001", "resumed_on"] == pd.Timestamp("2025-07-01")  # one day idle


@pytest.mark.parametrize(
    ("agreed", "first_idle_day"),
    [
        ("2024-09-30", "2025-10-01"),  # last day Tuesday 9-30, a working day
        ("2024-10-01", "2025-10-10"),  # last day 10-01 → 10-09
        ("2024-10-08", "2025-10-10"),
        ("2024-10-09", "2025-10-10"),  # last day 10-09 itself
        ("2024-10-10", "2025-10-11"),
    ],
)
def test_national_day_2025_moves_the_first_idle_day(agreed, first_idle_day):
    p = parcels(contract_date=["2024-01-10"], agreed_start_date=[agreed])
    first = pd.Timestamp(first_idle_day)
    assert classify_idle(p, first - pd.Timedelta(days=1), CONFIG).idle.empty
    row = classify_idle(p, first, CONFIG).table.loc["P000"]
    assert (row["idle_rule"], row["idle_since"], row["idle_days"]) == ("not_started", first, 0)


def test_national_day_moves_the_halt_and_the_reclamation_too():
    # halted 2024-10-01: one full year ends 2025-10-01 → 10-09; two years from 2023-10-01 end 2025-10-01 → 10-09
    p = parcels(
        status=["under_construction", "supplied"],
        contract_date=["2022-01-10", "2022-01-10"],
        agreed_start_date=["2022-03-01", "2023-10-01"],
        actual_start_date=["2022-03-01", None],
        halted_since=["2024-10-01", None],
        developed_area_m2=[1000.0, None],
        investment_total_wan=[8000.0, None],
        investment_actual_wan=[1000.0, None],
    )
    table = classify_idle(p, "2025-10-10", CONFIG).table
    assert (table.loc["P000", "idle_rule"], table.loc["P000", "idle_since"]) == ("halted", pd.Timestamp("2025-10-10"))
    # 2024 National Day: 10-01 to 10-07 off, so one year from 2023-10-01 ends on Tuesday 2024-10-08
    assert table.loc["P001", "idle_since"] == pd.Timestamp("2024-10-09")
    assert table.loc["P001", "reclaim_from"] == pd.Timestamp("2025-10-10")
    assert classify_idle(p, "2025-10-09", CONFIG).table.loc["P000", "idle_rule"] is None


def test_beyond_the_calendar_only_weekends_move_and_the_result_says_so():
    # one year from 2026-01-02 ends on Saturday 2027-01-02: no 2027 notice held, moved past the weekend only
    p = parcels(contract_date=["2025-12-01", "2025-12-01"], agreed_start_date=["2026-01-02", "2026-01-06"])
    result = classify_idle(p, "2027-01-06", CONFIG)
    row = result.table.loc["P000"]
    assert row["idle_since"] == pd.Timestamp("2027-01-05")  # Monday 1-04 is the last day
    assert row["weekends_only"]
    assert "仅按周末顺延" in row["note_zh"] and "weekends only" in row["note_en"]
    [warning] = [q for q in result.problems if q.parcel_id == "P000"]
    assert (warning.severity, warning.field) == ("warning", "idle_since")
    assert "民法典 art. 203" in warning.message and "chinesecalendar" in warning.message
    assert result.table.loc["P001", "idle_rule"] is None  # Wednesday 2027-01-06 is its last day
    assert not any(q.parcel_id == "P001" for q in result.problems)  # not idle: its dates are shown nowhere


def test_a_reclamation_date_beyond_the_calendar_is_flagged_while_the_idle_date_is_not():
    # one year from 2025-12-31 ends on Thursday 2026-12-31 (held); two years on 2027-12-31 (not held)
    p = parcels(contract_date=["2025-12-01"], agreed_start_date=["2025-12-31"])
    result = classify_idle(p, "2027-01-01", CONFIG)
    row = result.table.loc["P000"]
    assert row["idle_since"] == pd.Timestamp("2027-01-01")
    assert row["reclaim_from"] == pd.Timestamp("2028-01-01")  # Friday 2027-12-31 stays
    assert row["weekends_only"]
    assert [q.field for q in result.problems] == ["idle_since"]


def test_years_before_the_calendar_are_weekends_only_too():
    ends = period_ends(pd.Series(pd.to_datetime(["2002-06-28", "2005-06-28"])), years=1)
    assert ends.last_day.tolist() == [pd.Timestamp("2003-06-30"), pd.Timestamp("2006-06-28")]  # Sat → Mon
    assert ends.weekends_only.tolist() == [True, False]


def test_dates_inside_the_calendar_raise_no_warning():
    p = parcels(contract_date=["2024-01-10"], agreed_start_date=["2024-06-29"])
    assert classify_idle(p, "2025-07-01", CONFIG).problems == []
