"""闲置土地处置办法 art. 8 ¶2: idle land caused by force majeure is handled as the government's causes of ¶1.

"因自然灾害等不可抗力导致土地闲置的，依照前款规定办理": such land is idle land (art. 2),
disposed of under arts. 12–13, and art. 14 (the 20% fee after one year, reclamation without
compensation after two) applies only 除本办法第八条规定情形外. The code is ``force_majeure``,
its label 不可抗力, accepted on input as the other causes' labels are.
"""

from __future__ import annotations

import pandas as pd

from planner.config import ParkConfig
from planner.parcels.idle import classify_idle
from planner.parcels.validation import validate_parcels
from planner.vocab import DELAY_CAUSES
from tests.conftest import GK, grid_parcels

CONFIG = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)


def supplied(**columns) -> pd.DataFrame:
    base = {
        "status": ["supplied"],
        "holder": ["某公司"],
        "land_price_wan": [1000.0],
        "contract_date": ["2022-01-10"],
        "agreed_start_date": ["2022-06-28"],  # one year ends Wednesday 2023-06-28, two years Friday 2024-06-28
    }
    return grid_parcels(1, **{**base, **columns})


def test_the_code_and_its_label():
    assert DELAY_CAUSES["force_majeure"][0] == "不可抗力"


def test_force_majeure_is_idle_land_without_fee_or_reclamation():
    p = validate_parcels(supplied(delay_cause=["force_majeure"]), crs_epsg=GK, park_id="T1").parcels
    row = classify_idle(p, "2024-06-29", CONFIG).table.loc["P000"]
    assert row["idle_rule"] == "not_started"  # still idle land, to be disposed of
    assert row["idle_since"] == pd.Timestamp("2023-06-29")
    assert row["idle_fee_wan"] == 0.0  # the holder would owe 200 万元 (20% of 1,000)
    assert pd.isna(row["reclaim_from"])  # two full years on 2024-06-28, yet no reclamation
    assert row["delay_cause"] == "force_majeure"
    assert "不可抗力（自然灾害等），依第八条第二款，不征闲置费、不无偿收回" in row["note_zh"]
    assert "force majeure" in row["note_en"] and "no fee, no reclamation (art. 8)" in row["note_en"]


def test_the_same_land_without_the_cause_pays_and_is_reclaimable():
    p = validate_parcels(supplied(), crs_epsg=GK, park_id="T1").parcels
    row = classify_idle(p, "2024-06-29", CONFIG).table.loc["P000"]
    assert row["idle_fee_wan"] == 200.0
    assert row["reclaim_from"] == pd.Timestamp("2024-06-29")


def test_the_chinese_label_is_read_as_the_code_on_input():
    check = validate_parcels(supplied(delay_cause=["不可抗力"]), crs_epsg=GK, park_id="T1")
    assert check.ok
    assert check.parcels["delay_cause"].tolist() == ["force_majeure"]
    [repair] = check.repairs
    assert (repair.parcel_id, repair.field) == ("P000", "delay_cause")


def test_a_cause_not_in_art_8_is_refused_naming_the_allowed_ones():
    check = validate_parcels(supplied(delay_cause=["资金不足"]), crs_epsg=GK, park_id="T1")
    [error] = check.errors
    assert (error.parcel_id, error.field) == ("P000", "delay_cause")
    assert "force_majeure (不可抗力)" in error.message


def test_an_edit_takes_the_chinese_label(store):
    store.write_parcels(supplied(), by="a")
    row = store.update_parcel("P000", {"delay_cause": "不可抗力"}, version=1, by="张工")
    assert row["delay_cause"] == "force_majeure"
    assert store.history(feature_id="P000").iloc[-1]["changes"] == {"delay_cause": [None, "force_majeure"]}
