import re

import pandas as pd

from planner.parcels import schema

# The columns of DESIGN.md (The parcel layer), typed out by hand.
DESIGN_COLUMNS = [
    *("parcel_id", "park_id", "name", "geometry"),
    *("area_m2", "area_mu", "ellipsoid_area_m2", "declared_area_mu"),
    *("land_use", "zone_industries"),
    *("status", "supply_mode", "holder", "industry", "contract_date", "agreed_start_date", "actual_start_date"),
    *("agreed_completion_date", "halted_since", "land_price_wan", "investment_total_wan", "investment_actual_wan"),
    *("developed_area_m2", "delay_cause"),
    *("declared_leveled", "leveled", "relief_m", "earthwork_m3", "ready", "missing"),
    *("idle_rule", "idle_since", "idle_fee_wan", "reclaim_from"),
    # issue 16 (to be added to DESIGN.md, The parcel layer: idle): land idle and started since, the disposal record
    *("idle_until", "disposal_stage", "idle_notice_date", "idle_determined_date", "disposal", "disposal_date"),
    *("restart_date", "temporary_use_until", "idle_fee_paid_wan"),
    # issue 16: the 2008 caps checked in the evaluation (admin ≤ 7%, green ≤ 20%)
    *("admin_share_pct", "green_ratio_pct"),
    *("floor_area_m2", "footprint_m2", "output_wan", "tax_wan", "energy_tce", "power_kva", "water_m3d"),
    *("version", "updated_at", "updated_by"),
]
ITEMS = ["road", "water", "drainage", "power", "telecom", "gas", "heat"]
for _item in ITEMS:
    DESIGN_COLUMNS += [f"declared_{_item}", _item, f"{_item}_distance_m", f"{_item}_network_m", f"{_item}_reason"]


def test_every_design_column_is_in_the_schema_and_nothing_else():
    assert sorted(schema.FIELD_BY_NAME) == sorted(DESIGN_COLUMNS)


def test_every_column_has_a_chinese_and_an_english_label():
    for f in schema.FIELDS:
        assert re.search(r"[\u4e00-\u9fff]", f.label_zh), f.name
        assert f.label_en and f.label_en.isascii(), f.name


SUFFIX_UNIT = {
    "_m2": "m2",
    "_mu": "mu",
    "_wan": "wan_yuan",
    "_kva": "kva",
    "_m3d": "m3/d",
    "_m3": "m3",
    "_tce": "tce",
    "_m": "m",
    "_pct": "pct",
}


def test_the_unit_in_a_name_is_the_unit_of_the_field():
    for f in schema.FIELDS:
        suffix = next((s for s in SUFFIX_UNIT if f.name.endswith(s)), None)
        if suffix:
            assert f.unit == SUFFIX_UNIT[suffix], f.name
            assert f.kind == "float", f.name
        else:
            assert f.unit is None, f.name


def test_money_and_quantities_cannot_be_negative():
    for f in schema.FIELDS:
        if f.unit and f.origin == "input":
            assert f.min_value == 0.0, f.name


def test_labels_carry_units():
    assert schema.label("area_mu") == "宗地面积（亩）"
    assert schema.label("power_kva", "en") == "power demand (kVA)"
    assert schema.label("land_price_wan") == "土地价款（万元）"


def test_field_dictionary_lists_allowed_values_with_labels():
    table = schema.field_dictionary()
    status = table.set_index("name").loc["status"]
    assert (
        status["allowed"] == "planned=规划; reserved=储备; supplied=已供; under_construction=在建; in_production=投产"
    )
    assert len(table) == len(schema.FIELDS)
    english = schema.field_dictionary("en").set_index("name")
    assert english.loc["supply_mode", "allowed"].startswith("grant=grant")


def test_empty_parcels_have_canonical_dtypes():
    empty = schema.empty_parcels(4548)
    assert empty.crs.to_epsg() == 4548
    assert empty["area_mu"].dtype == "float64"
    assert empty["contract_date"].dtype == "datetime64[ns]"
    assert empty["declared_power"].dtype == "boolean"
    assert empty["version"].dtype == "Int64"
    assert str(empty["updated_at"].dtype) == "datetime64[ns, UTC]"
    assert list(empty.columns) == [f.name for f in schema.FIELDS if f.kind != "geometry"] + ["geometry"]


def test_coerce_types():
    raw = pd.DataFrame({"area_mu": ["1.5"], "contract_date": ["2024-06-30"], "declared_road": [True], "name": [None]})
    out = schema.coerce_types(raw)
    assert out["area_mu"].iloc[0] == 1.5
    assert out["contract_date"].iloc[0] == pd.Timestamp("2024-06-30")
    assert out["name"].iloc[0] is None
