"""The tile index follows edits: only the edited parcels' entries change, and the tiles are a fresh build's."""

from __future__ import annotations

import shutil

import geopandas as gpd
import pytest
import shapely

from planner.api.routes.tiles import ParkTiles
from planner.api.state import ParkState
from planner.maps.tiles import ParcelTiles
from planner.maps.tiles_overview import Overview
from planner.store import open_store
from tests.maps.mvt import decode
from tests.maps.test_tiles import tile_xy


def without_ids(data: bytes) -> list[dict]:
    """The features of a tile in order, without the feature ids (positions in the index, not the parcels')."""
    return [{k: v for k, v in f.items() if k != "id"} for f in decode(data)["parcels"]["features"]] if data else []


def tiles_of(parcels: gpd.GeoDataFrame, z: int) -> list[tuple[int, int, int]]:
    w, s, e, n = parcels.to_crs(4326).total_bounds
    (x0, y0), (x1, y1) = tile_xy(w, n, z), tile_xy(e, s, z)
    return [(z, x, y) for x in range(int(x0), int(x1) + 1) for y in range(int(y0), int(y1) + 1)]


def moved(parcels: gpd.GeoDataFrame, parcel_id: str, dx: float) -> gpd.GeoDataFrame:
    """The parcel shrunk by ``dx`` metres on its east side (its neighbours untouched), reserved, and lacking gas."""
    row = parcels.loc[[parcel_id]].copy()
    minx, miny, maxx, maxy = row.geometry.iloc[0].bounds
    row["geometry"] = [row.geometry.iloc[0].intersection(shapely.box(minx, miny, maxx - dx, maxy))]
    row["status"], row["ready"], row["missing"] = "reserved", False, "gas"
    return row


@pytest.fixture
def park(demo_park):
    store = open_store(demo_park.path)
    parcels = store.read_parcels().set_index("parcel_id", drop=False).sort_index()
    parcels.index.name = None
    yield store, parcels
    store.close()


@pytest.mark.parametrize("z", [13, 15])
def test_after_an_edit_the_tiles_are_a_fresh_builds_and_the_others_stay_cut(park, z):
    _, parcels = park
    tiles = ParcelTiles.from_parcels(parcels)
    every = tiles_of(parcels, z)
    before = {t: tiles.tile(*t) for t in every}
    edited = parcels.index[len(parcels) // 2]
    gone = parcels.index[len(parcels) // 3]
    row = moved(parcels, edited, 30.0)
    new = parcels.loc[[gone]].copy()
    new["parcel_id"] = new.index = ["ZZ-NEW-0001"]  # a new parcel where one was removed
    changed = gpd.GeoDataFrame(gpd.pd.concat([row, new]), crs=parcels.crs)
    dropped = tiles.update(changed, removed=[gone])
    after = parcels.drop(index=[gone]).copy()
    after.loc[edited] = row.loc[edited]
    after = gpd.GeoDataFrame(gpd.pd.concat([after, new]).sort_index(), crs=parcels.crs)
    fresh = ParcelTiles.from_parcels(after)
    differs = 0
    for t in every:
        got = tiles.tile(*t)
        assert without_ids(got) == without_ids(fresh.encode(*t)), t
        differs += got != before[t]
    assert differs >= 1 and 1 <= dropped <= 8  # the tiles of two places; all the others served as cut before
    assert tiles.hits >= len(every) - dropped
    assert len(tiles) == len(after)


def test_the_servers_tiles_follow_an_edit_without_a_rebuild(demo_park, tmp_path):
    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    store = open_store(tmp_path / "park.gpkg")
    state = ParkState(store)
    from planner.api.routes.tiles import parcel_tiles

    tiles = parcel_tiles(state)
    parcels = state.current()
    z = 15
    every = tiles_of(parcels, z)
    for t in every:
        tiles.tile(*t)
    target = parcels.index[10]
    version = int(parcels.loc[target, "version"])
    store.update_parcel(target, {"status": "in_production", "tax_wan": 1.0, "output_wan": 1.0}, version=version,
                        by="test")  # fmt: skip
    again = parcel_tiles(state)
    assert again is tiles  # followed, not built again
    fresh = ParkTiles.of(store, store.read_parcels().set_index("parcel_id", drop=False).sort_index())
    for t in every:
        assert without_ids(again.tile(*t)) == without_ids(fresh.encode(*t)), t
    store.close()


def test_the_page_and_the_tiles_share_one_evaluation_of_the_classes(demo_park, tmp_path, monkeypatch):
    """The per-mu classes are worked out once per state of the park, for the tiles and the page alike."""
    from planner.api.routes import tiles as routes
    from planner.parcels.evaluation import evaluate

    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    store = open_store(tmp_path / "park.gpkg")
    calls = []
    real = routes._classes
    monkeypatch.setattr(routes, "_classes", lambda *a: calls.append(1) or real(*a))
    state = ParkState(store)
    routes.parcel_tiles(state)
    first = routes.eval_classes(state)
    assert len(calls) == 1
    producing = first.index[0]
    row = store.get_parcel(producing)
    store.update_parcel(producing, {"tax_wan": 0.01, "output_wan": 0.01}, version=int(row["version"]), by="test")
    routes.parcel_tiles(state)  # follows the edit: the classes worked out again, once
    after = routes.eval_classes(state)
    assert len(calls) == 2
    fresh = evaluate(store.read_parcels(), store.config()).classes["eval_class"]
    assert after.sort_index().equals(fresh.astype(object).sort_index()) and after[producing] == "D"
    store.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_overview_follows_edits_as_one_made_anew(demo_park, tmp_path, seed):
    """Random parcels of the demo park edited (readiness, per-mu figures, outline shrunk about its centre): the
    overview the server kept, burnt again only where they lie, cuts every tile at zooms 6–11 as one made anew."""
    import numpy as np

    from planner.api.routes.tiles import overview

    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    store = open_store(tmp_path / "park.gpkg")
    state = ParkState(store)
    kept = overview(state)
    parcels = state.current()
    every = [t for z in range(6, 12) for t in tiles_of(parcels, z)]
    before = {t: kept.tile(*t) for t in every}  # every zoom's raster made before the edits
    rng = np.random.default_rng(seed)
    for target in rng.choice(parcels.index.to_numpy(), size=4, replace=False):
        row = store.get_parcel(target)
        kind = int(rng.integers(3))
        if kind == 0:
            changes = {"ready": not bool(row["ready"]), "missing": None if not row["ready"] else "gas,heat"}
        elif kind == 1:
            changes = {"status": "in_production", "tax_wan": float(rng.uniform(0.01, 500)), "output_wan": 1.0}
        else:
            shape = shapely.affinity.scale(row.geometry, *[float(rng.uniform(0.4, 0.9))] * 2)
            changes = {"geometry": shape}
            if row["footprint_m2"] == row["footprint_m2"] and row["footprint_m2"] > shape.area * 0.9:
                changes["footprint_m2"] = shape.area * 0.5  # the buildings must still fit
            if row["floor_area_m2"] == row["floor_area_m2"] and row["floor_area_m2"] > shape.area:
                changes["floor_area_m2"] = shape.area  # keep the plot ratio checks quiet
        store.update_parcel(target, changes, version=int(row["version"]), by="test")
    state.sync()
    assert overview(state) is kept  # followed, not made again
    fresh = store.read_parcels().set_index("parcel_id", drop=False).sort_index()
    anew = Overview.from_tiles(ParkTiles.of(store, fresh))
    for t in every:
        assert kept.tile(*t) == anew.tile(*t), t
    assert sum(kept.tile(*t) != before[t] for t in every) >= 1
    store.close()
