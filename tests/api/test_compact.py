"""`/parcels` on a GeoPackage from compact columns and the R-tree: the parcels, order and page of the loaded park."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import shapely

from planner.api.compact import CompactParcels
from planner.api.geojson import feature_collection
from planner.api.rows import Rows
from planner.parcels.query import normalized_filters, parcel_filter_mask
from planner.store import open_store

FILTERS = [
    {},
    {"ready": True},
    {"ready": False, "min_area_mu": 20},
    {"min_area_mu": 10, "max_area_mu": 60},
    {"status": "in_production"},
    {"status": ["planned", "reserved"]},
    {"industry": "C36"},
    {"industry": "C3670"},
    {"land_use": "1001"},
    {"idle": True},
    {"idle": False, "status": "supplied"},
]
SORTS = ["parcel_id", "-parcel_id", "area_mu", "-area_mu", "name", "-name", "status", "-status", "updated_at",
         "-updated_at"]  # fmt: skip


@pytest.fixture(scope="module")
def park(demo_park, tmp_path_factory):
    folder = tmp_path_factory.mktemp("compact")
    shutil.copy(demo_park.path, folder / "park.gpkg")
    store = open_store(folder / "park.gpkg")
    loaded = store.read_parcels().set_index("parcel_id", drop=False).sort_index()
    loaded.index.name = None
    yield store, loaded, CompactParcels(store)
    store.close()


def expected_order(loaded, found: np.ndarray, sort: str) -> np.ndarray:
    """The loaded park's order: pandas' stable sort, missing values last, ties by ``parcel_id``."""
    key = sort.lstrip("-")
    keys = loaded[list(dict.fromkeys([key, "parcel_id"]))].iloc[found].set_axis(found)
    keys = keys.sort_values([key, "parcel_id"], ascending=[not sort.startswith("-"), True], kind="stable")
    return keys.index.to_numpy()


@pytest.mark.parametrize("filters", FILTERS, ids=[json.dumps(f) for f in FILTERS])
def test_compact_filters_and_sorts_are_the_loaded_parks(park, filters):
    _, loaded, kept = park
    want = np.flatnonzero(parcel_filter_mask(loaded, **filters))
    got = np.flatnonzero(kept.mask(normalized_filters(**filters)))
    assert got.tolist() == want.tolist()
    assert len(want) or filters.get("idle")  # each filter finds parcels in the demo park (idle land: maybe not)
    for sort in SORTS:
        assert kept.sorted(got, sort).tolist() == expected_order(loaded, want, sort).tolist(), sort


def test_a_box_finds_what_the_loaded_park_finds(park):
    _, loaded, kept = park
    minx, miny, maxx, maxy = loaded.total_bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    area = shapely.Point(cx, cy).buffer((maxx - minx) / 5)
    want = np.flatnonzero(shapely.intersects(loaded.geometry.to_numpy(), area))
    got = kept.within(area)
    assert 0 < len(got) < len(loaded) and got.tolist() == want.tolist()
    assert kept.within(shapely.box(0, 0, 1, 1)).tolist() == []


def test_the_page_is_written_as_from_the_loaded_park(park):
    _, loaded, kept = park
    found = kept.sorted(np.flatnonzero(kept.mask(normalized_filters(min_area_mu=5))), "-area_mu")
    at = found[7:57]
    assert kept.page_features(at) == feature_collection(Rows(loaded), at)["features"]


def test_compact_columns_hold_far_less_than_the_park(park):
    _, loaded, kept = park
    assert len(kept) == len(loaded)
    assert kept.nbytes() - kept.parcel_id.nbytes < 60 * len(kept)  # 39 bytes a parcel beside its id
    widest = max(len(i) for i in loaded["parcel_id"])
    assert kept.parcel_id.dtype == np.dtype(f"<U{widest}")  # the ids as text just wide enough, no object each


def test_compact_columns_follow_an_edit_as_a_fresh_read(demo_park, tmp_path):
    from planner.api.collections import compact
    from planner.api.state import ParkState

    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    store = open_store(tmp_path / "park.gpkg")
    state = ParkState(store)
    state.sync()
    kept = compact(state)
    supplied = normalized_filters(status="supplied")
    before = kept.found(supplied, None, "name")
    assert kept.found(supplied, None, "name") is before  # kept for the same question
    ids = kept.parcel_id[[3, 40]].tolist()
    for pid, name in zip(ids, ["新的名字甲", "新的名字乙"], strict=True):
        version = int(store.get_parcel(pid)["version"])
        store.update_parcel(pid, {"name": name, "status": "supplied"}, version=version, by="test")
    state.sync()
    assert compact(state) is kept and kept.stamp == store.change_stamp()  # followed, not read again
    fresh = CompactParcels(store)
    loaded = store.read_parcels().set_index("parcel_id", drop=False).sort_index()
    assert kept.parcel_id.tolist() == fresh.parcel_id.tolist()
    after = kept.found(supplied, None, "name")  # asked again of the edited park, not the kept answer
    assert after.tolist() == expected_order(loaded, np.flatnonzero(loaded["status"] == "supplied"), "name").tolist()
    assert set(kept.parcel_id[after]) - set(kept.parcel_id[before]) == set(ids)
    for filters in FILTERS:
        got = np.flatnonzero(kept.mask(normalized_filters(**filters)))
        assert got.tolist() == np.flatnonzero(fresh.mask(normalized_filters(**filters))).tolist(), filters
        for sort in SORTS:
            assert kept.sorted(got, sort).tolist() == expected_order(loaded, got, sort).tolist(), (filters, sort)
    store.close()


def test_compact_columns_follow_edits_made_after_the_stamp_they_are_given(demo_park, tmp_path):
    # under load, more edits are committed between the history read that names the changed parcels and the
    # columns' own read: they are followed too, up to the newer stamp, not answered by building them again
    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    store = open_store(tmp_path / "park.gpkg")
    kept = CompactParcels(store)
    first, second = kept.parcel_id[[5, 17]].tolist()
    store.update_parcel(first, {"status": "supplied"}, version=int(store.get_parcel(first)["version"]), by="test")
    told = store.change_stamp()  # what a follower read: `first` changed, up to here
    store.update_parcel(second, {"name": "后来的名字"}, version=int(store.get_parcel(second)["version"]), by="test")
    assert kept.refresh(None, [first], told)
    assert kept.stamp == store.change_stamp() > told
    fresh = CompactParcels(store)
    assert kept.parcel_id.tolist() == fresh.parcel_id.tolist()
    for name in ("status", "name"):
        values, fresh_values = kept.coded[name], fresh.coded[name]
        assert values.uniques[values.codes].tolist() == fresh_values.uniques[fresh_values.codes].tolist(), name
    at = kept.parcel_id.tolist().index(second)
    assert kept.coded["name"].uniques[kept.coded["name"].codes[at]] == "后来的名字"
    store.close()


def test_an_empty_park_has_an_empty_page(tmp_path):
    from planner.config import ParkConfig
    from planner.store import create_park
    from tests.conftest import GK

    store = create_park(tmp_path / "empty.gpkg", ParkConfig(park_id="T1", name="空园区", crs_epsg=GK))
    kept = CompactParcels(store)
    found = kept.sorted(np.flatnonzero(kept.mask(normalized_filters(ready=True))), "-area_mu")
    assert len(kept) == 0 and found.tolist() == [] and kept.page_features(found) == []
    assert kept.within(shapely.box(0, 0, 1e7, 1e7)).tolist() == []
    store.close()


def test_odd_stored_values_are_written_as_the_loaded_park_writes_them(demo_park, tmp_path):
    """Values another client may store: infinite floats, a whole number, a missing and a false boolean, a date,
    a time with a zone. The page (floats read through SQL, other kinds a column at a time) writes each as the
    loaded park does."""
    import sqlite3

    from planner.store.gpkg_format import register_functions

    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    with open_store(tmp_path / "park.gpkg") as store:
        pids = sorted(store.read_parcels()["parcel_id"])[:3]
    sets = [
        ("land_price_wan = 9e999, investment_total_wan = 2, ready = NULL", pids[0]),
        ("land_price_wan = -9e999, contract_date = '2024-03-05'", pids[1]),
        ("updated_at = '2026-01-02T03:04:05+08:00', road = 0", pids[2]),
    ]
    with sqlite3.connect(tmp_path / "park.gpkg") as conn:  # plain SQL, history off (its JSON has no infinity)
        register_functions(conn)
        conn.execute("INSERT INTO planner_writer (id) VALUES (1)")
        for values, pid in sets:
            conn.execute(f"UPDATE parcels SET {values} WHERE parcel_id = ?", (pid,))
        conn.execute("DELETE FROM planner_writer")
    with open_store(tmp_path / "park.gpkg") as store:
        loaded = store.read_parcels().set_index("parcel_id", drop=False).sort_index()
        loaded.index.name = None
        kept = CompactParcels(store)
        at = np.arange(5)
        got = kept.page_features(at)
        assert got == feature_collection(Rows(loaded), at)["features"]
    props = {f["id"]: f["properties"] for f in got}
    assert props[pids[0]]["land_price_wan"] is None and props[pids[1]]["land_price_wan"] is None  # infinite: missing
    assert props[pids[0]]["investment_total_wan"] == 2.0 and isinstance(props[pids[0]]["investment_total_wan"], float)
    assert props[pids[0]]["ready"] is None and props[pids[2]]["road"] is False
    assert props[pids[1]]["contract_date"] == "2024-03-05"
    assert props[pids[2]]["updated_at"] == "2026-01-01T19:04:05+00:00"


def test_a_new_parcel_with_a_longer_id_widens_the_followed_ids(demo_park, tmp_path):
    from planner.api.collections import compact
    from planner.api.state import ParkState

    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    store = open_store(tmp_path / "park.gpkg")
    state = ParkState(store)
    state.sync()
    kept = compact(state)
    width = kept.parcel_id.dtype.itemsize // 4
    new = store.read_parcels().iloc[[0]].copy()
    new_id = "新" * (width + 5)  # sorts after every ASCII id
    new["parcel_id"] = new_id
    new["geometry"] = shapely.affinity.translate(new.geometry.iloc[0], 50_000, 0)  # away from every parcel
    store.write_parcels(new, by="test")
    state.sync()
    assert compact(state) is kept  # followed, not read again
    assert kept.parcel_id.tolist() == CompactParcels(store).parcel_id.tolist()
    assert kept.parcel_id[-1] == new_id and len(kept.parcel_id[-1]) == width + 5  # not cut to the old width
    found = np.flatnonzero(kept.mask(normalized_filters()))
    assert kept.page_features(found[-1:])[0]["id"] == new_id
    store.close()
