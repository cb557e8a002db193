"""An import that updates stored features changes only what the file supplies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from planner.exchange import export_parcels, import_file
from planner.parcels.schema import FIELD_BY_NAME
from planner.store import open_store
from tests.conftest import grid_parcels

BOOKKEEPING = ["version", "updated_at", "updated_by"]


def unchanged(before: pd.DataFrame, after: pd.DataFrame, columns: list[str]) -> list[str]:
    """The columns of ``columns`` where some row differs (two missing values are equal)."""
    differ = []
    for column in columns:
        a, b = before[column], after[column]
        same = (a.isna() & b.isna()) | (a.astype(object) == b.astype(object))
        if not same.all():
            differ.append(column)
    return differ


@pytest.fixture
def park(tmp_path, demo_park) -> Path:
    path = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, path)
    return path


def test_reimporting_a_txt_keeps_every_column_the_txt_does_not_have(tmp_path, park):
    store = open_store(park)
    before = store.read_parcels().set_index("parcel_id")
    # the demo park has statuses, holders, contract dates, investment, readiness and idle land
    assert before["status"].nunique() > 2 and before["holder"].notna().sum() > 50
    assert before["ready"].notna().all() and before["idle_rule"].notna().any()
    export_parcels(store, "txt", tmp_path / "all.txt")
    report = import_file(park, tmp_path / "all.txt")
    after = store.read_parcels().set_index("parcel_id").loc[before.index]
    # a TXT holds the shape, 地块名称, 地类编码 and 地块面积 (declared); every other column is as it was
    supplied = {"name", "land_use", "declared_area_mu"}
    others = [c for c in before.columns if c not in supplied | {"geometry", *BOOKKEEPING}]
    assert unchanged(before, after, others) == []
    assert unchanged(before, after, ["name", "land_use"]) == []
    # the shapes come back to the file's millimetre: the stored ones are kept, no edit
    assert shapely.equals_exact(before.geometry.to_numpy(), after.geometry.to_numpy(), tolerance=0).all()
    # what changed, per parcel: only the declared area the TXT states (the demo declares none)
    changes = report.changes()
    assert set(changes["columns"]) == {"declared_area_mu"}
    assert report.layers["parcels"].updated == len(changes)
    # 地块面积 is the area of the boundary the export wrote (millimetre vertices), to 4 decimals of a hectare: within
    # half a unit of the 4th decimal and what moving each vertex by up to 0.71 mm (√2 × 0.5 mm) can change an area
    # bounded by the perimeter, of the stored area
    stated = after["declared_area_mu"]
    bound_mu = 0.00005 * 15 + before.geometry.length * 0.5e-3 * 2**0.5 / (10000 / 15) + 1e-9
    assert (abs(stated - before["area_mu"]) <= bound_mu).all()
    assert sorted(changes["feature_id"]) == sorted(before.index[before["declared_area_mu"] != stated])
    assert not any("imported as planned" in p.message for p in report.problems)


def test_a_geojson_with_some_columns_updates_only_those(tmp_path, park):
    store = open_store(park)
    before = store.read_parcels().set_index("parcel_id")
    chosen = before[before["holder"].notna()].head(30)
    frame = chosen.reset_index()[["parcel_id", "holder", "geometry"]].copy()
    frame["holder"] = "新业主有限公司"
    path = tmp_path / "holders.geojson"
    export = frame.to_crs(4326)
    pyogrio.write_dataframe(export, path, driver="GeoJSON", layer_options={"COORDINATE_PRECISION": "8"})
    report = import_file(park, path)
    after = store.read_parcels().set_index("parcel_id").loc[before.index]
    others = [c for c in before.columns if c not in {"holder", "geometry", *BOOKKEEPING}]
    assert unchanged(before, after, others) == []
    assert (after.loc[chosen.index, "holder"] == "新业主有限公司").all()
    assert unchanged(before.drop(chosen.index), after.drop(chosen.index), ["holder"]) == []
    # 8 decimals of a degree move a vertex by under a millimetre: the stored shapes stay
    assert shapely.equals_exact(before.geometry.to_numpy(), after.geometry.to_numpy(), tolerance=0).all()
    assert report.layers["parcels"].updated == 30
    assert report.changes()["columns"].tolist() == ["holder"] * 30
    assert sorted(report.changes()["feature_id"]) == sorted(chosen.index)


def test_the_planned_default_goes_to_new_parcels_only(tmp_path, store):
    store.write_parcels(grid_parcels(2, status=["supplied", "reserved"], holder=["甲公司", None]), by="t")
    incoming = grid_parcels(3)[["parcel_id", "geometry"]]  # P000, P001 stored; P002 new; no status
    incoming["name"] = ["一", "二", "三"]
    path = tmp_path / "names.gpkg"
    pyogrio.write_dataframe(incoming, path)
    report = import_file(Path(store.uri), path)
    after = store.read_parcels().set_index("parcel_id")
    assert after["status"].to_dict() == {"P000": "supplied", "P001": "reserved", "P002": "planned"}
    assert after.loc["P000", "holder"] == "甲公司"
    assert after["name"].tolist() == ["一", "二", "三"]
    note = next(p.message for p in report.problems if "imported as planned" in p.message)
    assert "1 new parcel(s) imported as planned" in note
    assert report.layers["parcels"].inserted == 1 and report.layers["parcels"].updated == 2


def test_a_mapping_default_for_a_missing_column_goes_to_new_parcels_only(tmp_path, store):
    store.write_parcels(grid_parcels(1, status=["supplied"], holder=["甲公司"]), by="t")
    incoming = grid_parcels(2)[["parcel_id", "geometry"]]
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(incoming, path)
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"defaults": {"status": "reserved"}}), encoding="utf-8")
    import_file(Path(store.uri), path, mapping=mapping)
    after = store.read_parcels().set_index("parcel_id")
    assert after["status"].to_dict() == {"P000": "supplied", "P001": "reserved"}
    assert after.loc["P000", "holder"] == "甲公司"


def test_a_column_the_file_has_but_leaves_empty_is_cleared(tmp_path, store):
    """What the file supplies is what the parcel becomes: an empty holder in a holder column clears it."""
    store.write_parcels(grid_parcels(1, holder=["甲公司"], name=["一"]), by="t")
    incoming = grid_parcels(1)[["parcel_id", "geometry"]]
    incoming["holder"] = [None]
    path = tmp_path / "clear.gpkg"
    pyogrio.write_dataframe(incoming, path)
    report = import_file(Path(store.uri), path)
    after = store.read_parcels().set_index("parcel_id")
    assert pd.isna(after.loc["P000", "holder"]) and after.loc["P000", "name"] == "一"
    assert report.changes()["columns"].tolist() == ["holder"]


def test_derived_columns_of_a_file_are_not_imported(tmp_path, store):
    store.write_parcels(grid_parcels(1), by="t")
    incoming = grid_parcels(2)[["parcel_id", "status", "geometry"]]
    incoming["ready"] = [True, True]
    incoming["missing"] = ["", ""]
    incoming["idle_rule"] = ["halted", "halted"]
    path = tmp_path / "derived.gpkg"
    pyogrio.write_dataframe(incoming, path)
    report = import_file(Path(store.uri), path)
    after = store.read_parcels()
    assert after[["ready", "missing", "idle_rule"]].isna().all().all()
    dropped = [p for p in report.problems if "is derived by the planner" in p.message]
    assert sorted(p.field for p in dropped) == ["idle_rule", "missing", "ready"]  # once per column
    assert all(FIELD_BY_NAME[p.field].origin == "derived" for p in dropped)
