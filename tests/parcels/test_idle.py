"""Idle land under the 2012 rules, with periods counted as the Civil Code counts them.

Every expected date below is worked out by hand: a period starting on day D ends on
the same day one year later (the last day of February for 29 February), moved to the
next working day when that day is a weekend or public holiday (民法典 art. 203; the
cases of that rule are in ``test_idle_calendar.py``), and the land is idle from the
day after. The dates here are chosen to end on working days.
"""

from __future__ import annotations

import pandas as pd
import pytest

from planner.config import ParkConfig
from planner.parcels.idle import classify_idle, period_end
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels

CONFIG = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)


def parcels(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"status": ["supplied"] * n, "holder": ["某公司"] * n, "land_price_wan": [1000.0] * n}
    frame = grid_parcels(n, **{**base, **columns})  # 100 m × 100 m = 10,000 m² each
    return validate_parcels(frame, crs_epsg=GK, park_id="T1").parcels


def classify(frame: pd.DataFrame, as_of: str):
    return classify_idle(frame, as_of, CONFIG)


def test_the_period_ends_on_the_corresponding_day():
    assert period_end(pd.Timestamp("2024-06-30"), years=1) == pd.Timestamp("2025-06-30")
    assert period_end(pd.Timestamp("2024-02-29"), years=1) == pd.Timestamp("2025-02-28")
    assert period_end(pd.Timestamp("2024-02-29"), years=4) == pd.Timestamp("2028-02-29")
    assert period_end(pd.Timestamp("2023-12-31"), years=2) == pd.Timestamp("2025-12-31")
    with pytest.raises(ValueError, match="whole years"):
        period_end(pd.Timestamp("2024-01-01"), years=1.5)


def test_the_issues_example_2024_06_30_is_idle_on_2025_07_01():
    p = parcels(contract_date=["2024-01-10"], agreed_start_date=["2024-06-30"])
    assert classify(p, "2025-06-30").idle.empty
    result = classify(p, "2025-07-01")
    row = result.table.loc["P000"]
    assert row["idle_rule"] == "not_started"
    assert row["idle_since"] == pd.Timestamp("2025-07-01")
    assert row["idle_days"] == 0
    assert row["idle_fee_wan"] == pytest.approx(200.0)  # 20% of 1,000 万元
    assert row["reclaim_from"] == pd.Timestamp("2026-07-01")


@pytest.mark.parametrize(
    ("days_after", "idle"),
    [(364, False), (365, False), (366, True)],  # 2025-03-03 + 365 days = Tuesday 2026-03-03, the last day
)
def test_364_365_366_days_in_a_common_year(days_after, idle):
    p = parcels(contract_date=["2024-12-01"], agreed_start_date=["2025-03-03"])
    as_of = pd.Timestamp("2025-03-03") + pd.Timedelta(days=days_after)
    assert (not classify(p, as_of).idle.empty) == idle


@pytest.mark.parametrize(
    ("days_after", "idle"),
    [(365, False), (366, False), (367, True)],  # 2023-03-01 + 366 days = 2024-03-01 (2024 is a leap year)
)
def test_365_366_367_days_across_29_february(days_after, idle):
    p = parcels(contract_date=["2023-01-01"], agreed_start_date=["2023-03-01"])
    as_of = pd.Timestamp("2023-03-01") + pd.Timedelta(days=days_after)
    assert (not classify(p, as_of).idle.empty) == idle


def test_a_start_agreed_on_29_february():
    # no 29 February in 2025: the period ends on 28 February, idle from 1 March
    p = parcels(contract_date=["2024-01-02"], agreed_start_date=["2024-02-29"])
    assert classify(p, "2025-02-28").idle.empty
    row = classify(p, "2025-03-01").table.loc["P000"]
    assert row["idle_since"] == pd.Timestamp("2025-03-01")
    assert row["reclaim_from"] == pd.Timestamp("2026-03-01")


def test_started_on_the_last_allowed_day_is_not_idle():
    p = parcels(
        status=["under_construction"],
        contract_date=["2024-01-10"],
        agreed_start_date=["2024-06-30"],
        actual_start_date=["2025-06-30"],
    )
    result = classify(p, "2026-06-30")
    assert result.idle.empty
    assert pd.isna(result.table.loc["P000", "resumed_on"])


def test_idle_and_then_resumed():
    p = parcels(
        status=["under_construction"],
        contract_date=["2024-01-10"],
        agreed_start_date=["2024-06-30"],
        actual_start_date=["2025-09-15"],
    )
    during = classify(p, "2025-09-14").table.loc["P000"]
    assert during["idle_rule"] == "not_started"
    assert during["idle_days"] == 75  # 2025-07-01 to 2025-09-14
    after = classify(p, "2025-09-15").table.loc["P000"]
    assert after["idle_rule"] is None
    assert after["resumed_on"] == pd.Timestamp("2025-09-15")
    # idle 2025-07-01 to 2025-09-14 (31 + 31 + 14 = 76 days), the fee owed since the first idle day
    assert (after["idle_since"], after["idle_until"]) == (pd.Timestamp("2025-07-01"), pd.Timestamp("2025-09-14"))
    assert (after["idle_days"], after["idle_fee_wan"]) == (76, 200.0)
    assert "2025-07-01 至 2025-09-14 闲置76天，2025-09-15 已动工" in after["note_zh"]


def test_two_years_makes_it_reclaimable():
    # two years from 2022-06-28 end on Friday 2024-06-28 (one year on Wednesday 2023-06-28)
    p = parcels(contract_date=["2022-01-10"], agreed_start_date=["2022-06-28"])
    row = classify(p, "2024-06-29").table.loc["P000"]
    assert row["idle_since"] == pd.Timestamp("2023-06-29")
    assert row["reclaim_from"] == pd.Timestamp("2024-06-29")
    assert "已满2年" in row["note_zh"]
    assert "reclaimable without compensation since 2024-06-29" in row["note_en"]


def test_a_government_caused_delay_is_idle_but_pays_no_fee_and_is_not_reclaimed():
    p = parcels(contract_date=["2022-01-10"], agreed_start_date=["2022-06-30"], delay_cause=["land_not_delivered"])
    row = classify(p, "2025-01-01").table.loc["P000"]
    assert row["idle_rule"] == "not_started"
    assert row["idle_fee_wan"] == 0.0
    assert pd.isna(row["reclaim_from"])
    assert row["delay_cause"] == "land_not_delivered"
    assert "政府原因（未按约定交付土地），不征闲置费、不无偿收回" in row["note_zh"]


HALT = {
    "status": ["under_construction"],
    "contract_date": ["2022-01-10"],
    "agreed_start_date": ["2022-03-01"],
    "actual_start_date": ["2022-03-01"],
    "halted_since": ["2024-06-30"],
    "investment_total_wan": [8000.0],
}


@pytest.mark.parametrize(
    ("developed_m2", "invested_wan", "idle"),
    [
        (3000.0, 4000.0, True),  # developed under 1/3 of 10,000 m²
        (10_000 / 3, 4000.0, False),  # exactly 1/3: not under it
        (5000.0, 1999.0, True),  # investment under 25% of 8,000 万元
        (5000.0, 2000.0, False),  # exactly 25%: not under it
        (3333.0, 2000.0, True),  # developed under 1/3 suffices
    ],
)
def test_halted_under_a_third_or_a_quarter(developed_m2, invested_wan, idle):
    p = parcels(**HALT, developed_area_m2=[developed_m2], investment_actual_wan=[invested_wan])
    row = classify(p, "2025-07-01").table.loc["P000"]
    assert (row["idle_rule"] == "halted") == idle
    if idle:
        assert row["idle_since"] == pd.Timestamp("2025-07-01")
        assert row["reclaim_from"] == pd.Timestamp("2026-07-01")
    assert classify(p, "2025-06-30").idle.empty  # halted 2024-06-30: a full year ends on 2025-06-30


def test_bad_records_are_reported_per_parcel_and_not_counted():
    p = parcels(
        contract_date=["2022-01-10", "2022-01-10", "2022-01-10"],
        agreed_start_date=["2022-03-01", "2022-03-01", "2022-03-01"],
    )
    p.loc[0, "actual_start_date"] = pd.Timestamp("2021-01-01")  # before the contract
    p.loc[0, "status"] = "under_construction"
    p.loc[1, "investment_total_wan"] = -50.0
    p.loc[2, "land_price_wan"] = float("nan")
    result = classify(p, "2024-01-01")
    found = {(q.parcel_id, q.field, q.severity) for q in result.problems}
    assert found == {
        ("P000", "actual_start_date", "error"),
        ("P001", "investment_total_wan", "error"),
        ("P002", "land_price_wan", "error"),
    }
    assert list(result.idle.index) == ["P002"]  # idle, its fee unknown
    assert pd.isna(result.table.loc["P002", "idle_fee_wan"])
    assert "no land price is recorded" in next(q.message for q in result.problems if q.parcel_id == "P002")


def test_unsupplied_land_is_never_idle():
    p = parcels(status=["reserved"], holder=[None], agreed_start_date=["2020-01-01"])
    assert classify(p, "2026-01-01").idle.empty


def test_the_park_may_set_its_own_rules():
    strict = CONFIG.with_changes(thresholds={**CONFIG.thresholds, "idle_fee_rate": 0.1, "reclaim_after_years": 3.0})
    p = parcels(contract_date=["2022-01-10"], agreed_start_date=["2022-06-30"])
    row = classify_idle(p, "2024-07-01", strict).table.loc["P000"]
    assert row["idle_fee_wan"] == pytest.approx(100.0)
    assert row["reclaim_from"] == pd.Timestamp("2025-07-01")


def test_notes_speak_the_parks_own_rules():
    rules = CONFIG.with_changes(thresholds={**CONFIG.thresholds, "idle_after_years": 2.0, "reclaim_after_years": 3.0})
    p = parcels(contract_date=["2020-01-10"], agreed_start_date=["2020-06-30"])
    row = classify_idle(p, "2024-01-01", rules).table.loc["P000"]
    assert row["idle_since"] == pd.Timestamp("2022-07-01")
    assert row["reclaim_from"] == pd.Timestamp("2023-07-01")
    assert row["note_zh"].startswith("约定动工日 2020-06-30 起满2年未动工，自 2022-07-01 起闲置")
    assert "已满3年，自 2023-07-01 起可无偿收回" in row["note_zh"]
    assert row["note_en"].startswith("not started 2 year(s) after 2020-06-30")


def test_years_must_be_whole():
    from planner.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"`thresholds.idle_after_years` must be a whole number of years ≥ 1, got 1.5"
    ):
        CONFIG.with_changes(thresholds={**CONFIG.thresholds, "idle_after_years": 1.5})


def test_building_or_producing_without_a_start_date_is_refused_not_charged():
    p = parcels(status=["in_production"], contract_date=["2020-01-01"], agreed_start_date=["2020-06-30"])
    result = classify(p, "2026-01-01")
    assert result.idle.empty
    [problem] = [q for q in result.problems if q.severity == "error"]
    assert (problem.parcel_id, problem.field) == ("P000", "actual_start_date")
    assert "has no actual start date; the parcel is left out of the idle-land count" in problem.message


def test_supplied_land_without_an_agreed_start_date_is_reported():
    p = parcels(contract_date=["2020-01-01"])
    result = classify(p, "2026-01-01")
    assert result.idle.empty
    assert [(q.parcel_id, q.field, q.severity) for q in result.problems] == [("P000", "agreed_start_date", "warning")]


def test_a_missing_figure_is_named_by_its_own_column():
    p = parcels(**HALT, developed_area_m2=[5000.0], investment_actual_wan=[None])
    result = classify(p, "2025-07-01")
    assert result.idle.empty  # 1/3 developed; the investment cannot be told
    [problem] = result.problems
    assert (problem.parcel_id, problem.field) == ("P000", "investment_actual_wan")
    assert "`investment_actual_wan` is missing" in problem.message


def test_the_idle_rows_name_the_holder_and_keep_the_note_in_one_language():
    p = parcels(
        contract_date=["2024-01-10", "2024-01-10"],
        agreed_start_date=["2024-06-30", "2025-06-30"],
        holder=["甲公司", "乙公司"],
        name=["一号地块", "二号地块"],
    )
    result = classify(p, "2025-07-01")
    rows = result.to_frame(p, "en")
    assert rows.index.tolist() == ["P000"]  # P001 has a year left
    row = rows.loc["P000"]
    assert (row["name"], row["holder"], row["land_price_wan"]) == ("一号地块", "甲公司", 1000.0)
    assert row["area_mu"] == pytest.approx(15.0)  # 10,000 m²
    assert row["note"] == result.table.loc["P000", "note_en"]
    assert row["note"].startswith("not started 1 year(s) after 2024-06-30")
    assert "note_zh" not in rows and "note_en" not in rows
    assert rows.columns[-4:].tolist() == ["name", "holder", "area_mu", "land_price_wan"]
    assert result.to_frame(p, "zh").loc["P000", "note"] == result.table.loc["P000", "note_zh"]


def test_the_idle_features_carry_the_classification_not_the_stored_columns():
    p = parcels(contract_date=["2024-01-10", "2024-01-10"], agreed_start_date=["2024-06-30", "2025-06-30"])
    assert p["idle_rule"].isna().all()  # never written back
    features = classify(p, "2025-07-01").to_geoframe(p)
    assert features.columns.tolist() == [
        "parcel_id", "name", "holder", "area_mu", "area_m2", "status", "idle_rule", "idle_since", "idle_until",
        "idle_fee_wan", "reclaim_from", "disposal_stage", "delay_cause", "geometry", "idle_days", "note",
    ]  # fmt: skip
    assert features["parcel_id"].tolist() == ["P000"]
    row = features.iloc[0]
    assert (row["idle_rule"], row["idle_since"], row["idle_days"]) == ("not_started", pd.Timestamp("2025-07-01"), 0)
    assert row["idle_fee_wan"] == pytest.approx(200.0)
    assert row["note"].startswith("约定动工日 2024-06-30 起满1年未动工")
    assert features.crs == p.crs
    assert row["geometry"].equals(p.geometry.iloc[0])
