"""Every store backend (GeoPackage, PostGIS): round trips, versions, history, transactions, validation.

Each test runs once per backend (``store`` and ``park_uri`` are parametrised in
``tests/store/conftest.py``); ``snapshot`` reads the whole park with plain SQL to
show that a refused write changed nothing.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.ops
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, MultiLineString, Point, box

from planner.errors import ParcelNotFoundError, StoreError, ValidationError, VersionConflictError
from planner.parcels.validation import validate_parcels
from planner.store import copy_park
from tests.conftest import GK, X0, Y0, grid_parcels
from tests.store.conftest import full_parcels, snapshot

MANAGED = ["version", "updated_at", "updated_by"]


@pytest.fixture
def demo_store(demo_park, store_backend, park_uri, tmp_path):
    """A copy of the demo park (with its DEM) in the backend under test."""
    import shutil

    shutil.copy(demo_park.dem_path, tmp_path / "dem.tif")
    target = tmp_path / "demo.gpkg" if store_backend == "gpkg" else park_uri
    store = copy_park(demo_park.path, target, folder=tmp_path)
    yield store
    store.close()


def test_round_trip_keeps_every_value(store):
    given = full_parcels()
    report = store.write_parcels(given, by="张工")
    assert (report.inserted, report.updated, report.deleted) == (3, 0, 0)
    back = store.read_parcels()
    expected = validate_parcels(given, crs_epsg=GK, park_id="T1").parcels
    assert_geodataframe_equal(back.drop(columns=MANAGED), expected.drop(columns=MANAGED), check_like=False)
    assert back["version"].tolist() == [1, 1, 1]
    assert back["updated_by"].tolist() == ["张工"] * 3
    assert back["updated_at"].notna().all()
    assert back.crs.to_epsg() == GK
    assert back["declared_road"].tolist()[:2] == [True, True] and back["declared_road"].isna().tolist()[2]


def test_upsert_and_replace_count_and_version(store):
    store.write_parcels(grid_parcels(4), by="a")
    again = store.write_parcels(grid_parcels(4), by="b")
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    changed = grid_parcels(
        5,
        status=["reserved", "supplied", "reserved", "reserved", "planned"],
        holder=[None, "某公司", None, None, None],
        contract_date=[None, "2025-01-01", None, None, None],
    )
    report = store.write_parcels(changed, by="c")
    assert (report.inserted, report.updated, report.unchanged, report.deleted) == (1, 1, 3, 0)
    rows = store.read_parcels().set_index("parcel_id")
    assert rows.loc["P001", "version"] == 2 and rows.loc["P001", "updated_by"] == "c"
    assert rows.loc["P000", "version"] == 1 and rows.loc["P000", "updated_by"] == "a"
    replaced = store.write_parcels(changed.iloc[:2], by="d", mode="replace")
    assert (replaced.inserted, replaced.updated, replaced.unchanged, replaced.deleted) == (0, 0, 2, 3)
    assert sorted(store.read_parcels()["parcel_id"]) == ["P000", "P001"]
    with pytest.raises(ValueError, match="`mode` was 'merge'"):
        store.write_parcels(changed, by="d", mode="merge")


def test_history_keeps_who_what_when(store):
    store.write_parcels(grid_parcels(2), by="a")
    store.write_parcels(grid_parcels(2, status=["reserved", "planned"]), by="b")
    store.write_parcels(grid_parcels(1), by="c", mode="replace")
    h = store.history(layer="parcels")
    assert h[["changed_by", "feature_id", "action", "version"]].values.tolist() == [
        ["a", "P000", "insert", 1],
        ["a", "P001", "insert", 1],
        ["b", "P001", "update", 2],
        ["c", "P001", "delete", 2],
    ]
    assert h["changes"].iloc[2] == {"status": ["reserved", "planned"]}
    assert h["changes"].iloc[0]["status"] == "reserved"
    assert h["changes"].iloc[3]["status"] == "planned"  # the deleted row's last values
    assert (h["changed_at"].diff().dropna() >= pd.Timedelta(0)).all()
    assert store.history(feature_id="P000")["action"].tolist() == ["insert"]


def test_versioned_edit(store):
    store.write_parcels(grid_parcels(2), by="a")
    row = store.get_parcel("P000")
    edited = store.update_parcel(
        "P000",
        {"status": "supplied", "holder": "甲公司", "contract_date": "2026-01-05"},
        version=int(row["version"]),
        by="张工",
    )
    assert edited["version"] == 2
    assert edited["status"] == "supplied"
    assert edited["contract_date"] == pd.Timestamp("2026-01-05")
    last = store.history(feature_id="P000").iloc[-1]
    assert (last["action"], last["changed_by"], last["version"]) == ("update", "张工", 2)
    assert last["changes"] == {
        "status": ["reserved", "supplied"],
        "holder": [None, "甲公司"],
        "contract_date": [None, "2026-01-05"],
    }


def test_two_editors_one_wins(store):
    store.write_parcels(grid_parcels(1), by="a")
    seen_by_both = int(store.get_parcel("P000")["version"])
    store.update_parcel("P000", {"name": "甲的名字"}, version=seen_by_both, by="甲")
    before = snapshot(store)
    with pytest.raises(VersionConflictError, match="is at version 2, but the edit was based on version 1"):
        store.update_parcel("P000", {"name": "乙的名字"}, version=seen_by_both, by="乙")
    assert snapshot(store) == before
    assert store.get_parcel("P000")["name"] == "甲的名字"


def test_edit_errors_are_named_and_change_nothing(store):
    store.write_parcels(grid_parcels(3), by="a")
    before = snapshot(store)
    with pytest.raises(ParcelNotFoundError, match="no parcel has parcel_id 'NOPE'"):
        store.update_parcel("NOPE", {"name": "x"}, version=1, by="a")
    with pytest.raises(ValidationError, match=r"parcel 'P000', field `colour`: `colour` is not a parcel column"):
        store.update_parcel("P000", {"colour": "red"}, version=1, by="a")
    with pytest.raises(ValidationError, match=r"field `area_mu`: `area_mu` cannot be edited"):
        store.update_parcel("P000", {"area_mu": 99}, version=1, by="a")
    with pytest.raises(ValidationError, match=r"parcel 'P000', field `status`: 'sold' is not allowed"):
        store.update_parcel("P000", {"status": "sold"}, version=1, by="a")
    with pytest.raises(ValidationError, match=r"parcel 'P000', field `geometry`: overlaps parcel 'P001' by 5000.00 m²"):
        store.update_parcel("P000", {"geometry": box(X0, Y0, X0 + 160, Y0 + 100)}, version=1, by="a")
    assert snapshot(store) == before


def test_geometry_edit_recomputes_area_and_moves_the_index(store):
    store.write_parcels(grid_parcels(2), by="a")
    new = box(X0 - 500, Y0 - 500, X0 - 300, Y0 - 400)
    row = store.update_parcel("P000", {"geometry": new}, version=1, by="a")
    assert row["area_m2"] == 20_000.0
    assert row["area_mu"] == pytest.approx(30.0)
    assert store.read_parcels(bbox=(X0 - 600, Y0 - 600, X0 - 200, Y0 - 300))["parcel_id"].tolist() == ["P000"]
    assert store.read_parcels(bbox=(X0 + 1, Y0 + 1, X0 + 50, Y0 + 50)).empty
    change = store.history(feature_id="P000").iloc[-1]["changes"]
    assert change["area_m2"] == [10_000.0, 20_000.0]
    assert change["geometry"][1].startswith("MULTIPOLYGON")


def test_refused_write_leaves_the_store_as_it_was(store):
    store.write_parcels(grid_parcels(3), by="a")
    before = snapshot(store)
    bad = grid_parcels(5, status=["reserved", "reserved", "sold", "reserved", "reserved"])
    with pytest.raises(ValidationError) as info:
        store.write_parcels(bad, by="b")
    assert [(p.parcel_id, p.field) for p in info.value.errors] == [("P002", "status")]
    assert snapshot(store) == before


def test_bbox_read_uses_the_index_and_matches_a_plain_scan(store):
    rng = np.random.default_rng(1)
    n = 300
    xs, ys = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    parcels = grid_parcels(n, status=["reserved"] * n)
    parcels = parcels.set_geometry(
        gpd.GeoSeries([box(X0 + x, Y0 + y, X0 + x + 40, Y0 + y + 40) for x, y in zip(xs, ys, strict=True)], crs=GK)
    )
    overlapping = parcels.sindex.query(parcels.geometry, predicate="intersects")
    keep = np.setdiff1d(np.arange(n), overlapping[1][overlapping[0] != overlapping[1]])
    parcels = parcels.iloc[keep].reset_index(drop=True)
    store.write_parcels(parcels, by="a")
    query = (X0 + 1000, Y0 + 1500, X0 + 2500, Y0 + 3000)
    got = sorted(store.read_parcels(bbox=query)["parcel_id"])
    b = parcels.geometry.bounds
    hits = (b.maxx >= query[0]) & (b.minx <= query[2]) & (b.maxy >= query[1]) & (b.miny <= query[3])
    assert got == sorted(parcels.loc[hits, "parcel_id"])
    assert 0 < len(got) < len(parcels)


def test_config_change_is_kept_in_history(store, config):
    store.set_config(config.with_changes(checklist=("road", "water", "power", "leveled")), by="管委会")
    assert store.config().checklist == ("road", "water", "power", "leveled")
    h = store.history(layer="park_config")
    assert h["changed_by"].tolist() == ["管委会"]
    assert h["changes"].iloc[0]["checklist"][1] == ["road", "water", "power", "leveled"]
    with pytest.raises(StoreError, match="keeps its park_id and CRS"):
        store.set_config(config.with_changes(crs_epsg=4549), by="x")


# -- infrastructure layers --------------------------------------------------------------------


def test_lines_and_sources_round_trip(store):
    lines = gpd.GeoDataFrame(
        {"line_id": ["W1", "W2"], "name": ["纬一路给水管", "经一路给水管"], "diameter_mm": [300.0, 200.0]},
        geometry=[LineString([(X0, Y0), (X0 + 500, Y0)]), LineString([(X0, Y0), (X0, Y0 + 400)])],
        crs=GK,
    )
    report = store.write_layer("water_lines", lines, by="a")
    assert report.inserted == 2
    back = store.read_layer("water_lines")
    assert back["in_service"].tolist() == [True, True]  # unstated means in service
    assert back.geometry.length.tolist() == [500.0, 400.0]
    sources = gpd.GeoDataFrame(
        {
            "source_id": ["S1"],
            "network": ["power"],
            "kind": ["substation"],
            "capacity_kva": [100_000.0],
            "voltage_kv": [110.0],
        },
        geometry=[Point(X0, Y0)],
        crs=GK,
    )
    store.write_layer("sources", sources.to_crs(4490), by="a")  # reprojected to the park CRS
    back = store.read_layer("sources")
    assert back.crs.to_epsg() == GK
    assert back.geometry.iloc[0].distance(Point(X0, Y0)) < 1e-6


def test_multilines_are_split_and_reported(store):
    lines = gpd.GeoDataFrame(
        {"line_id": ["G1"]},
        geometry=[MultiLineString([[(X0, Y0), (X0 + 10, Y0)], [(X0, Y0 + 5), (X0 + 10, Y0 + 5)]])],
        crs=GK,
    )
    report = store.write_layer("gas_lines", lines, by="a")
    assert sorted(store.read_layer("gas_lines")["line_id"]) == ["G1-1", "G1-2"]
    assert [p.message for p in report.repairs] == ["MultiLineString split into 2 lines"]


@pytest.mark.parametrize(
    ("layer", "frame", "field", "message"),
    [
        (
            "road_lines",
            {"line_id": ["R1"], "geometry": [LineString([(X0, Y0), (X0, Y0)])]},
            "geometry",
            "the line has fewer than two distinct points",
        ),
        (
            "road_lines",
            {"line_id": ["R1"], "geometry": [Point(X0, Y0)]},
            "geometry",
            "a road line must be a LineString, not a Point",
        ),
        (
            "road_lines",
            {"line_id": ["R1"], "road_class": ["motorway"], "geometry": [LineString([(X0, Y0), (X0 + 1, Y0)])]},
            "road_class",
            "'motorway' is not allowed; allowed: highway (高速公路)",
        ),
        (
            "water_lines",
            {"line_id": ["W1"], "road_class": ["branch"], "geometry": [LineString([(X0, Y0), (X0 + 1, Y0)])]},
            "road_class",
            "`road_class` is for road lines, not water lines",
        ),
        (
            "sources",
            {
                "source_id": ["S1"],
                "network": ["water"],
                "kind": ["substation"],
                "capacity_kva": [1.0],
                "geometry": [Point(X0, Y0)],
            },
            "kind",
            "a substation (变电站) feeds the power network, not water",
        ),
        (
            "sources",
            {"source_id": ["S1"], "network": ["power"], "kind": ["substation"], "geometry": [Point(X0, Y0)]},
            "capacity_kva",
            "a substation (变电站) needs its capacity in `capacity_kva`",
        ),
        (
            "sources",
            {
                "source_id": ["S1"],
                "network": ["power"],
                "kind": ["substation"],
                "capacity_kva": [5.0],
                "capacity_m3d": [5.0],
                "geometry": [Point(X0, Y0)],
            },
            "capacity_m3d",
            "a power source states its capacity in `capacity_kva`, not `capacity_m3d`",
        ),
        (
            "sources",
            {
                "source_id": ["S1"],
                "network": ["power"],
                "kind": ["substation"],
                "capacity_kva": [-5.0],
                "geometry": [Point(X0, Y0)],
            },
            "capacity_kva",
            "-5 is below the least allowed value 0",
        ),
    ],
)
def test_bad_infrastructure_is_named_and_not_written(store, layer, frame, field, message):
    before = snapshot(store)
    with pytest.raises(ValidationError) as info:
        store.write_layer(layer, gpd.GeoDataFrame(frame, geometry="geometry", crs=GK), by="a")
    assert [(p.field, p.message.startswith(message)) for p in info.value.errors] == [(field, True)], info.value.errors
    assert snapshot(store) == before


def test_infrastructure_without_crs_or_layer_name_is_refused(store):
    with pytest.raises(ValidationError, match=r"the road_lines layer has no CRS; set it with `set_crs\(\)`"):
        store.write_layer(
            "road_lines", gpd.GeoDataFrame({"line_id": ["R"]}, geometry=[LineString([(0, 0), (1, 1)])]), by="a"
        )
    with pytest.raises(ValueError, match="`layer` was 'rail_lines' but is expected to be one of parcels, road_lines"):
        store.read_layer("rail_lines")


# -- found in review: each of these once went wrong --------------------------------------------


def test_a_bulk_write_based_on_an_old_read_is_refused(store):
    store.write_parcels(grid_parcels(3), by="a")
    seen = store.read_parcels()
    store.update_parcel("P001", {"name": "别人的修改"}, version=1, by="乙")
    before = snapshot(store)
    seen["status"] = "planned"
    with pytest.raises(
        VersionConflictError, match="parcel 'P001' is at version 2, but the edit was based on version 1"
    ):
        store.write_parcels(seen, by="甲")
    assert snapshot(store) == before
    fresh = store.read_parcels()
    fresh["status"] = "planned"
    assert store.write_parcels(fresh, by="甲").updated == 3
    assert store.get_parcel("P001")["name"] == "别人的修改"


def test_a_new_parcel_over_a_stored_one_is_refused(store):
    store.write_parcels(grid_parcels(2), by="a")
    before = snapshot(store)
    twin = grid_parcels(1)
    twin["parcel_id"] = ["NEW"]
    with pytest.raises(ValidationError, match=r"parcel 'NEW', field `geometry`: overlaps parcel 'P000' by 10000.00 m²"):
        store.write_parcels(twin, by="b")
    assert snapshot(store) == before


def test_line_and_paragraph_separators_in_text_are_kept(store):
    odd = "甲\u2028乙\u2029丙\x85丁\n戊\t己\r庚\\N辛\\"  # and what COPY text escapes: tab, CR, backslash
    store.write_parcels(grid_parcels(1, name=[odd], holder=['a":null,b']), by="a")
    assert store.get_parcel("P000")["name"] == odd
    assert store.history(feature_id="P000")["changes"].iloc[0]["holder"] == 'a":null,b'


def test_history_keeps_the_shape_of_inserted_and_deleted_parcels(store):
    store.write_parcels(grid_parcels(2), by="a")
    store.write_parcels(grid_parcels(1), by="b", mode="replace")
    h = store.history(feature_id="P001")
    inserted, deleted = h["changes"].tolist()
    for record in (inserted, deleted):
        shape = shapely.from_wkt(record["geometry"])
        assert shape.equals(box(X0 + 110, Y0, X0 + 210, Y0 + 100))


def test_a_reprojection_round_trip_is_not_an_edit(store):
    store.write_parcels(grid_parcels(3), by="a")
    report = store.write_parcels(store.read_parcels().drop(columns=["version"]).to_crs(4490), by="b")
    assert (report.updated, report.unchanged) == (0, 3)
    assert store.read_parcels()["area_m2"].tolist() == [10_000.0] * 3
    assert store.history()["action"].tolist() == ["insert"] * 3


def test_geometry_columns_by_other_names_and_frames_without_geometry(store):
    lines = gpd.GeoDataFrame(
        {"line_id": ["R1"], "shape": [LineString([(X0, Y0), (X0 + 100, Y0)])]}, geometry="shape", crs=GK
    )
    assert store.write_layer("road_lines", lines, by="a").inserted == 1
    parcels = grid_parcels(1).rename_geometry("boundary")
    assert store.write_parcels(parcels, by="a").inserted == 1
    with pytest.raises(ValidationError, match="the input has no geometry column"):
        store.write_parcels(pd.DataFrame({"parcel_id": ["X"], "status": ["planned"]}), by="a")
    no_active = gpd.GeoDataFrame({"parcel_id": ["X"], "status": ["planned"]})
    with pytest.raises(ValidationError, match="the input has no geometry column"):
        store.write_parcels(no_active, by="a")


def test_messages_name_the_feature_kind_row_and_column(store):
    lines = gpd.GeoDataFrame(
        {"line_id": ["R1", "R2"], "width_m": [30.0, -5.0]},
        geometry=[
            MultiLineString([[(X0, Y0), (X0 + 10, Y0)], [(X0, Y0 + 9), (X0 + 10, Y0 + 9)]]),
            LineString([(X0, Y0 + 20), (X0 + 10, Y0 + 20)]),
        ],
        crs=GK,
    )
    with pytest.raises(ValidationError) as info:
        store.write_layer("road_lines", lines, by="a")
    [error] = info.value.errors
    assert (
        str(error) == "road line 'R2', field `width_m`: -5 is below the least allowed value 0 (it cannot be negative)"
    )
    assert error.row == 1  # the input row, before the MultiLineString in row 0 was split
    no_ids = grid_parcels(1).drop(columns=["parcel_id"])
    with pytest.raises(ValidationError) as info:
        store.write_parcels(no_ids, by="a")
    assert "column `parcel_id`: the required column `parcel_id` is missing" in str(info.value)
    float_ids = grid_parcels(2, parcel_id=[1.0, 1.0])
    with pytest.raises(ValidationError, match=r"parcel '1', field `parcel_id`: parcel_id '1' appears 2 times"):
        store.write_parcels(float_ids, by="a")


def test_z_values_of_lines_and_sources_are_dropped_and_reported(store):
    lines = gpd.GeoDataFrame({"line_id": ["W1"]}, geometry=[LineString([(X0, Y0, 12), (X0 + 50, Y0, 13)])], crs=GK)
    report = store.write_layer("water_lines", lines, by="a")
    assert [str(p) for p in report.repairs] == [
        "water line 'W1', field `geometry`: Z coordinates dropped; a water line is 2D"
    ]
    assert not store.read_layer("water_lines").geometry.iloc[0].has_z


def test_an_edit_returns_its_warnings(store):
    store.write_parcels(grid_parcels(1), by="a")
    row = store.update_parcel("P000", {"status": "已供", "contract_date": "2026-01-01"}, version=1, by="a")
    problems = [str(p) for p in row.attrs["problems"]]
    assert "parcel 'P000', field `holder`: the parcel is supplied (已供) but names no holder" in problems
    assert "parcel 'P000', field `status`: '已供' read as 'supplied'" in problems


def test_the_layer_write_of_parcels_does_not_delete_by_default(store):
    store.write_parcels(grid_parcels(3), by="a")
    report = store.write_layer("parcels", grid_parcels(1), by="b")
    assert (report.deleted, store.counts()["parcels"]) == (0, 3)


def test_metadata_is_set_with_the_write_or_not_at_all(store):
    store.write_parcels(grid_parcels(2), by="a", metadata={"idle_as_of": "2026-06-30"})
    assert store.metadata() == {"idle_as_of": "2026-06-30"}
    before = snapshot(store)
    with pytest.raises(ValidationError):
        store.write_parcels(grid_parcels(2, status=["sold", "reserved"]), by="b", metadata={"idle_as_of": "2027-01-01"})
    assert store.metadata() == {"idle_as_of": "2026-06-30"}
    assert snapshot(store) == before
    assert store.history(layer="park_metadata")["changes"].tolist() == [{"idle_as_of": [None, "2026-06-30"]}]


def test_a_substation_upgrade_and_a_new_main_change_readiness(demo_store):
    from planner.analysis import update_readiness

    store = demo_store
    before = store.read_parcels().set_index("parcel_id")
    full = before.index[before["power_reason"].str.contains("东区35kV变电站容量不足", na=False)]
    assert len(full) > 0
    sources = store.read_layer("sources")
    sources.loc[sources["source_id"] == "SS-35-2", "capacity_kva"] = 80_000.0  # 2 × 40 MVA
    store.write_layer("sources", sources.drop(columns=["version", "updated_at", "updated_by"]), by="供电公司")
    water = store.read_layer("water_lines")
    cut_off = water[water["line_id"] == "WA-纬六路-2"].geometry.iloc[0]
    rest = water[water["line_id"] != "WA-纬六路-2"].geometry.union_all()
    start = shapely.get_point(cut_off, 0)
    link = LineString([start, shapely.ops.nearest_points(start, rest)[1]])  # a new main joins it to the network
    new = gpd.GeoDataFrame(
        {"line_id": ["WA-新建-1"], "name": ["新建连通给水管"], "diameter_mm": [300.0]}, geometry=[link], crs=water.crs
    )
    store.write_layer(
        "water_lines", pd.concat([water.drop(columns=["version", "updated_at", "updated_by"]), new]), by="水务公司"
    )
    unreached = before.index[before["water_reason"].str.contains("但未接通任何源点", na=False)]
    assert len(unreached) > 0
    update_readiness(store, by="规划科")
    after = store.read_parcels().set_index("parcel_id")
    assert after.loc[full, "power"].all()
    assert after.loc[unreached, "water"].all()
    assert store.history(feature_id="SS-35-2")["changes"].iloc[-1]["capacity_kva"] == [41_000.0, 80_000.0]


def test_a_record_leveled_after_the_dem_counts_but_an_unrelated_edit_does_not(demo_store):
    from planner.analysis import update_readiness

    store = demo_store
    p = store.read_parcels().set_index("parcel_id")
    hilly = p.index[~p["leveled"].astype(bool)]
    renamed, graded = hilly[0], hilly[1]
    store.update_parcel(renamed, {"name": "改名地块"}, version=int(p.loc[renamed, "version"]), by="甲")
    store.update_parcel(graded, {"declared_leveled": False}, version=int(p.loc[graded, "version"]), by="乙")
    graded_row = store.get_parcel(graded)
    store.update_parcel(graded, {"declared_leveled": True}, version=int(graded_row["version"]), by="乙")
    update_readiness(store, by="规划科")
    after = store.read_parcels().set_index("parcel_id")
    assert not after.loc[renamed, "leveled"]  # a new name is not a graded site
    assert after.loc[graded, "leveled"]  # graded after the DEM was taken


def test_set_metadata_alone_keeps_its_history(store):
    store.set_metadata({"dem_date": "2026-06-30T00:00:00+00:00"}, by="测绘院")
    store.set_metadata({"dem_date": "2026-06-30T00:00:00+00:00"}, by="测绘院")  # no change, no history row
    assert store.metadata() == {"dem_date": "2026-06-30T00:00:00+00:00"}
    h = store.history(layer="park_metadata")
    assert h["changed_by"].tolist() == ["测绘院"]
    assert h["changes"].iloc[0] == {"dem_date": [None, "2026-06-30T00:00:00+00:00"]}


def test_a_dry_run_goes_through_the_write_and_rolls_it_back(store):
    store.write_parcels(grid_parcels(2), by="t")
    before = snapshot(store)
    incoming = grid_parcels(3, status=["reserved", "supplied", "planned"], holder=[None, "甲", None])
    incoming.loc[1, "contract_date"] = "2025-01-01"
    reports = store.write_layers({"parcels": incoming}, by="t", dry_run=True)
    assert (reports["parcels"].inserted, reports["parcels"].updated, reports["parcels"].unchanged) == (1, 1, 1)
    assert reports["parcels"].changes == {"P001": ["status", "holder", "contract_date"]}
    assert snapshot(store) == before
    # the checks the write makes against what is stored (overlaps) refuse a dry run too
    over = grid_parcels(1).assign(parcel_id=["NEW"])
    with pytest.raises(ValidationError, match="overlaps parcel 'P000'"):
        store.write_layers({"parcels": over}, by="t", dry_run=True)
    assert snapshot(store) == before


def test_lines_and_sources_outside_china_are_refused_each_by_name(store):
    lines = gpd.GeoDataFrame(
        {"line_id": ["R1", "R2"], "road_class": ["arterial", "arterial"]},
        geometry=[LineString([(118.27, 32.24), (118.28, 32.24)]), LineString([(118.27, 32.24), (139.7, 35.69)])],
        crs=4490,
    )
    _, problems = store.check_layer("road_lines", lines)
    outside = [p for p in problems if "outside China" in p.message]
    assert [(p.parcel_id, p.field) for p in outside] == [("R2", "geometry")]
    assert "the road line reaches lon 139.7000, lat 35.6900" in outside[0].message
    sources = gpd.GeoDataFrame(
        {"source_id": ["S1", "S2"], "kind": ["substation"] * 2, "capacity_kva": [63000.0] * 2},
        geometry=[Point(118.27, 32.24), Point(2.35, 48.85)],
        crs=4490,
    )
    with pytest.raises(ValidationError, match=r"source .S2., field `geometry`: the source reaches lon 2\.3500"):
        store.write_layer("sources", sources, by="t")


def test_a_list_or_an_object_is_no_single_value(store):
    before = snapshot(store)
    frame = grid_parcels(2, name=[{"zh": "甲"}, ["a", "b"]])
    with pytest.raises(ValidationError) as info:
        store.write_parcels(frame, by="test")
    assert [(p.parcel_id, p.field) for p in info.value.errors] == [("P000", "name"), ("P001", "name")]
    assert "a dict is not a single value" in info.value.errors[0].message
    assert snapshot(store) == before


def test_the_change_stamp_moves_with_every_write_of_any_writer(store, park_uri):
    from planner.store import open_store

    other = open_store(park_uri)  # another writer, with a connection of its own
    try:
        first = store.change_stamp()
        other.write_parcels(grid_parcels(3), by="b")
        second = store.change_stamp()
        assert second > first and second == other.change_stamp()
        other.update_parcel("P001", {"holder": "某公司"}, version=1, by="b")
        third = store.change_stamp()
        assert third > second and third == other.change_stamp() == store.change_stamp()
        assert store.changes_since(second)["feature_id"].tolist() == ["P001"]
    finally:
        other.close()


def test_a_few_rows_are_read_as_pandas_casts_read_many(store):
    """Up to 200 rows each column is built directly; more go through pandas' casts: the same values, the same dtypes."""
    from planner.store.layers import _FEW_ROWS

    others = grid_parcels(_FEW_ROWS + 50, holder=["某公司"] * (_FEW_ROWS + 50))
    others["parcel_id"] = [f"Q{i:03d}" for i in range(len(others))]
    others = others.set_geometry(others.geometry.translate(yoff=1000.0))  # beside the three, not over them
    store.write_parcels(pd.concat([full_parcels(), others], ignore_index=True), by="setup")
    everything = store.read_parcels().set_index("parcel_id", drop=False)
    ids = ["P000", "P001", "P002", "Q007", f"Q{_FEW_ROWS + 49:03d}"]  # every column kind, some missing
    few = store.read_parcels(parcel_ids=ids).set_index("parcel_id", drop=False)
    assert len(everything) > _FEW_ROWS >= len(few) == len(ids)
    assert_geodataframe_equal(few, everything.loc[few.index])
