"""Land idle and then started: the fee liability arose on the first idle day (闲置土地处置办法 arts. 2, 14).

Art. 14 (一): land not started one full year (未动工开发满一年) pays 20% of the land price;
the liability is the first idle day's and a later start does not undo it, so the planner
keeps the idle period (``idle_since`` the first idle day, ``idle_until`` the day before the
start) and the fee. ``idle_rule`` is empty once started: the land is no longer idle.
Art. 2 ¶2 words the halted rule: 开发建设用地面积占应动工开发建设用地总面积不足三分之一或者
已投资额占总投资额不足百分之二十五.
"""

from __future__ import annotations

import pandas as pd

from planner.config import ParkConfig
from planner.parcels.idle import IDLE_COLUMNS, classify_idle
from planner.parcels.schema import label
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels

CONFIG = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)


def parcels(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"status": ["under_construction"] * n, "holder": ["某公司"] * n, "land_price_wan": [1000.0] * n}
    frame = grid_parcels(n, **{**base, **columns})
    return validate_parcels(frame, crs_epsg=GK, park_id="T1").parcels


def started(day: str, **more) -> pd.DataFrame:
    # agreed 2024-06-30: the last day is Monday 2025-06-30, idle from 2025-07-01
    return parcels(contract_date=["2024-01-10"], agreed_start_date=["2024-06-30"], actual_start_date=[day], **more)


def test_started_one_day_late_owes_the_fee_for_one_idle_day():
    result = classify_idle(started("2025-07-02"), "2026-01-05", CONFIG)
    row = result.table.loc["P000"]
    assert row["idle_rule"] is None and pd.isna(row["reclaim_from"])
    assert (row["idle_since"], row["idle_until"]) == (pd.Timestamp("2025-07-01"), pd.Timestamp("2025-07-01"))
    assert row["idle_days"] == 1
    assert row["idle_fee_wan"] == 200.0  # 20% of 1,000 万元
    assert "闲置满1年即应缴闲置费 200.0 万元（第十四条），动工后仍应缴纳" in row["note_zh"]
    assert "owed from the first idle day (art. 14)" in row["note_en"]
    assert result.idle.empty and result.listed.index.tolist() == ["P000"]


def test_started_on_the_first_idle_day_was_idle_that_day():
    # 2025-07-01 is the first idle day: starting then is after the period, so the liability arose
    row = classify_idle(started("2025-07-01"), "2025-12-31", CONFIG).table.loc["P000"]
    assert (row["idle_days"], row["idle_fee_wan"]) == (0, 200.0)
    assert row["idle_until"] == pd.Timestamp("2025-06-30")
    assert row["idle_since"] == pd.Timestamp("2025-07-01")


def test_started_on_the_last_day_owes_nothing():
    row = classify_idle(started("2025-06-30"), "2025-12-31", CONFIG).table.loc["P000"]
    assert pd.isna(row["idle_since"]) and pd.isna(row["idle_fee_wan"]) and row["note_zh"] == ""


def test_an_art_8_cause_keeps_the_period_and_owes_no_fee():
    row = classify_idle(started("2025-09-15", delay_cause=["force_majeure"]), "2025-12-31", CONFIG).table.loc["P000"]
    assert (row["idle_since"], row["idle_until"], row["idle_fee_wan"]) == (
        pd.Timestamp("2025-07-01"),
        pd.Timestamp("2025-09-14"),
        0.0,
    )
    assert "不可抗力（自然灾害等），依第八条第二款，不征闲置费" in row["note_zh"]


def test_the_rows_to_read_list_the_started_land_with_its_fee():
    p = parcels(
        status=["under_construction", "supplied"],
        contract_date=["2024-01-10", "2024-01-10"],
        agreed_start_date=["2024-06-30", "2024-06-30"],
        actual_start_date=["2025-09-15", None],
    )
    rows = classify_idle(p, "2025-12-31", CONFIG).to_frame(p)
    assert rows.index.tolist() == ["P000", "P001"]
    assert rows["idle_rule"].tolist() == [None, "not_started"]
    assert rows["idle_fee_wan"].tolist() == [200.0, 200.0]


def test_the_halted_note_speaks_the_words_of_art_2():
    p = parcels(
        contract_date=["2022-01-10"],
        agreed_start_date=["2022-03-01"],
        actual_start_date=["2022-03-01"],
        halted_since=["2024-06-28"],  # a year ends on Monday 2025-06-30 (28–29 June 2025 is a weekend)
        developed_area_m2=[1000.0],
        investment_total_wan=[8000.0],
        investment_actual_wan=[1000.0],
    )
    row = classify_idle(p, "2025-07-01", CONFIG).table.loc["P000"]
    assert "开发面积不足建设用地总面积三分之一或已投资额占总投资额不足25%" in row["note_zh"]
    assert "0.333" not in row["note_zh"]
    assert "under one third of the construction land or the investment made under 25% of the total" in row["note_en"]


def test_the_labels_of_the_idle_dates():
    assert label("idle_since") == "闲置起始日"  # the first idle day, not a 起算 (the day a period runs from)
    assert label("idle_until") == "闲置截止日"
    assert "idle_until" in IDLE_COLUMNS
