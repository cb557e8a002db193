"""The idle-land disposal record (闲置土地处置办法 arts. 5–14) in the store, on GeoPackage and PostGIS.

The record is columns of the parcel layer: written and read in one transaction with the
rest of the parcel, versioned and kept in the history; a record against the articles is
refused naming the parcel and the field, and leaves the store exactly as it was;
:func:`planner.analysis.update_idle` writes the stage.
"""

from __future__ import annotations

import pandas as pd
import pytest

from planner.analysis import update_idle
from planner.errors import ValidationError
from tests.conftest import grid_parcels
from tests.store.conftest import snapshot

RECORD = {
    "idle_notice_date": "2023-07-20",
    "idle_determined_date": "2023-08-15",
    "disposal": "levy_fee",
    "disposal_date": "2023-09-01",
    "idle_fee_paid_wan": 120.5,
}


def supplied():
    # agreed 2022-06-28: idle from 2023-06-29 (one year ends Wednesday 2023-06-28); fee 20% of 1,000 万元
    return grid_parcels(
        2,
        status=["supplied", "reserved"],
        holder=["甲公司", None],
        land_price_wan=[1000.0, None],
        contract_date=["2022-01-10", None],
        agreed_start_date=["2022-06-28", None],
    )


def test_the_record_round_trips_and_is_in_the_history(store):
    store.write_parcels(supplied(), by="a")
    row = store.update_parcel("P000", {**RECORD, "disposal": "征缴土地闲置费"}, version=1, by="张工")
    assert row["disposal"] == "levy_fee"  # the Chinese word read as its code
    back = store.get_parcel("P000")
    assert back["idle_determined_date"] == pd.Timestamp("2023-08-15")
    assert back["disposal_date"] == pd.Timestamp("2023-09-01")
    assert back["idle_fee_paid_wan"] == 120.5
    assert pd.isna(back["restart_date"]) and pd.isna(back["temporary_use_until"])
    changes = store.history(feature_id="P000").iloc[-1]["changes"]
    assert changes["disposal"] == [None, "levy_fee"] and changes["idle_fee_paid_wan"] == [None, 120.5]


def test_the_stage_is_written_with_the_idle_columns(store):
    store.write_parcels(supplied(), by="a")
    store.update_parcel("P000", RECORD, version=1, by="张工")
    update_idle(store, "2024-01-01", by="planner idle")
    row = store.get_parcel("P000")
    assert (row["idle_rule"], row["idle_fee_wan"], row["disposal_stage"]) == ("not_started", 200.0, "fee_due")
    update_idle(store, "2024-06-29", by="planner idle")  # two years from 2022-06-28 end on Friday 2024-06-28
    assert store.get_parcel("P000")["disposal_stage"] == "reclaimable"
    assert pd.isna(store.get_parcel("P001")["disposal_stage"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"idle_determined_date": "2023-08-15", "disposal": "extend", "disposal_date": "2023-09-01",
          "delay_cause": "不可抗力", "restart_date": "2024-09-03"}, "restart_date"),  # over one year (art. 12 (一))
        ({"idle_notice_date": "2023-08-20", "idle_determined_date": "2023-08-15"}, "idle_determined_date"),
    ],
)  # fmt: skip
def test_a_record_against_the_articles_is_refused_and_changes_nothing(store, changes, field):
    store.write_parcels(supplied(), by="a")
    before = snapshot(store)
    with pytest.raises(ValidationError) as caught:
        store.update_parcel("P000", changes, version=1, by="张工")
    assert [(q.parcel_id, q.field) for q in caught.value.problems if q.severity == "error"] == [("P000", field)]
    assert snapshot(store) == before
