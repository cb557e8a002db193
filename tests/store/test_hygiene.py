"""Input hygiene through the library, on both backends: one gate refuses what no store can keep.

Text with a NUL or a lone surrogate, a yes/no value given for text or a number, NaN and
infinity, and numbers out of the plausible range of their unit are refused with the parcel
and the field named, and the store is left exactly as it was.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.errors import ValidationError
from planner.exchange import import_file
from planner.fields import Field
from planner.inputs import PLAUSIBLE
from planner.parcels.factories import FACTORY_FIELDS
from planner.parcels.schema import FIELDS as PARCEL_FIELDS
from planner.store.layers import LAYERS
from tests.conftest import grid_parcels
from tests.store.conftest import snapshot


def test_a_bulk_write_refuses_each_bad_value_by_parcel_and_field(store):
    store.write_parcels(grid_parcels(6), by="setup")
    before = snapshot(store)
    frame = grid_parcels(
        6,
        holder=["a\ud800c", "\x00甲", True, "乙", "丙", "丁"],
        power_kva=[1.0, 2.0, 3.0, 1.18e21, np.bool_(True), 5.0],
        name=pd.Series(["一", "二", "三", "四", "五", "六\udfff"], dtype=object),
    )
    with pytest.raises(ValidationError) as info:
        store.write_parcels(frame, by="test")
    found = {(p.parcel_id, p.field): p.message for p in info.value.errors}
    assert "lone surrogate (U+D800) at position 1" in found[("P000", "holder")]
    assert "NUL character" in found[("P001", "holder")]
    assert found[("P002", "holder")].startswith("True is a yes/no value, not text")
    assert "allowed: 0 to 10,000,000 kVA" in found[("P003", "power_kva")]
    assert "yes/no value, not a number" in found[("P004", "power_kva")]
    assert "U+DFFF" in found[("P005", "name")]
    assert len(found) == 6
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"land_price_wan": float("nan")}, "land_price_wan", "send null to clear it"),
        ({"holder": float("inf")}, "holder", "JSON NaN/Infinity"),
        ({"holder": "x\ud83dy"}, "holder", "lone surrogate (U+D83D)"),
        ({"holder": False}, "holder", "yes/no value, not text"),
        ({"investment_total_wan": 2e8}, "investment_total_wan", "allowed: 0 to 100,000,000 10,000 yuan"),
        ({"declared_area_mu": 1e6}, "declared_area_mu", "150,000 mu"),
    ],
)
def test_an_edit_refuses_what_no_store_can_keep(store, changes, field, says):
    store.write_parcels(grid_parcels(2, land_price_wan=[300.0, 300.0]), by="setup")
    before = snapshot(store)
    with pytest.raises(ValidationError) as info:
        store.update_parcel("P001", changes, version=1, by="test")
    error = info.value.errors[0]
    assert (error.parcel_id, error.field) == ("P001", field) and says in error.message, error.message
    assert snapshot(store) == before


def test_an_import_refuses_a_flag_as_text_and_an_implausible_load(store, tmp_path):
    source = tmp_path / "in.geojson"
    square = [[[118.27, 32.245], [118.271, 32.245], [118.271, 32.246], [118.27, 32.246], [118.27, 32.245]]]
    props = {"parcel_id": "N1", "status": "reserved", "holder": True, "power_kva": 1.18e21}
    source.write_text(
        json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": square}}
        ]}),
        encoding="utf-8",
    )  # fmt: skip
    before = snapshot(store)
    park = store.path if hasattr(store, "path") else store.location
    with pytest.raises(ValidationError) as info:
        import_file(park, source)
    fields = {p.field for p in info.value.errors}
    assert {"holder", "power_kva"} <= fields
    assert snapshot(store) == before


def test_every_numeric_input_has_a_plausible_range_said_in_its_message():
    fields: list[Field] = [*PARCEL_FIELDS, *FACTORY_FIELDS, *(f for spec in LAYERS.values() for f in spec.fields)]
    for f in fields:
        if f.kind in ("float", "int") and f.origin == "input":
            assert f.most is not None and f.most < 1e13, f.name
            assert f.min_value is not None, f.name
            assert "to" in f.allowed_range()
    assert set(PLAUSIBLE) >= {f.unit for f in fields if f.unit}
