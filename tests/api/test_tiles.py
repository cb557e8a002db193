"""Vector tiles over real HTTP, on both backends: what a tile holds, bad tile addresses, an edit seen at once."""

from __future__ import annotations

import geopandas as gpd
import pytest

from tests.api.conftest import EDITOR
from tests.maps.mvt import decode
from tests.maps.test_tiles import tile_xy

STEEL_PARCEL = "341103003026GB00009"
"""Reserved, lacking gas and heat; a steel works (C3110, 150 kVA per 亩) there would overload 东区35kV."""


def parcel_tile(api, parcel_id: str, z: int) -> tuple[int, int]:
    """The tile holding a point of the parcel, from its stored geometry and the slippy-map formulas."""
    row = api.store.get_parcel(parcel_id)
    point = gpd.GeoSeries([row.geometry.representative_point()], crs=api.store.crs).to_crs(4326).iloc[0]
    fx, fy = tile_xy(point.x, point.y, z)
    return int(fx), int(fy)


def properties_in(api, z: int, x: int, y: int, **params) -> dict[str, dict]:
    got = api.get(f"/tiles/{z}/{x}/{y}.mvt", params=params)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return {f["properties"]["parcel_id"]: f["properties"] for f in decode(got.content)["parcels"]["features"]}


def test_a_tile_holds_the_parcels_with_their_readiness_colour(api):
    x, y = parcel_tile(api, STEEL_PARCEL, 15)
    props = properties_in(api, 15, x, y)
    mine = props[STEEL_PARCEL]
    row = api.store.get_parcel(STEEL_PARCEL)
    assert mine["fill"] == "#fdae61" and row["missing"] == "gas,heat"  # two items missing
    assert mine["status"] == "reserved" and mine["ready"] is False
    assert mine["area_mu"] == pytest.approx(round(float(row["area_mu"]), 2))
    producing = [p for p in props.values() if p["status"] == "in_production"]
    assert producing and all(p.get("eval_class") in "ABCD" for p in producing if "eval_class" in p)
    # nothing there: no content
    empty = api.get("/tiles/10/0/0.mvt")
    assert empty.status_code == 204 and empty.content == b""
    # Gaode's GCJ-02 tiles hold the same parcels, shifted
    assert STEEL_PARCEL in properties_in(api, 12, *parcel_tile(api, STEEL_PARCEL, 12), gcj="true")


@pytest.mark.parametrize(
    ("path", "status", "field", "says"),
    [
        ("/tiles/25/0/0.mvt", 422, "z", "less than or equal to 24"),
        ("/tiles/-1/0/0.mvt", 422, "z", "greater than or equal to 0"),
        ("/tiles/3/8/0.mvt", 400, "x", "at zoom 3 it must be 0 … 7"),
        ("/tiles/3/0/9.mvt", 400, "y", "at zoom 3 it must be 0 … 7"),
        ("/tiles/3/0/a.mvt", 422, "y", "valid integer"),
        ("/tiles/3/0/0.mvt?park=nowhere", 404, "park", "not served here"),
    ],
)
def test_bad_tile_addresses_name_the_field(api, path, status, field, says):
    got = api.get(path)
    assert got.status_code == status, got.text
    error = got.json()["error"]
    assert error["field"] == field and says in error["message"]


def test_an_edit_changes_the_next_tile(api):
    z = 16
    x, y = parcel_tile(api, STEEL_PARCEL, z)
    before = properties_in(api, z, x, y)[STEEL_PARCEL]
    assert properties_in(api, z, x, y)[STEEL_PARCEL] == before  # cut once, then served as kept
    version = api.get(f"/parcels/{STEEL_PARCEL}").json()["properties"]["version"]
    done = api.patch(
        f"/parcels/{STEEL_PARCEL}", json={"industry": "C3110"}, headers=EDITOR | {"If-Match": f'"{version}"'}
    )
    assert done.status_code == 200, done.text
    assert done.json()["properties"]["missing"] == "power,gas,heat"  # the substation cannot take a steel works
    after = properties_in(api, z, x, y)[STEEL_PARCEL]
    assert (before["fill"], after["fill"]) == ("#fdae61", "#f46d43")  # two items missing, then three


def test_a_large_park_is_served_as_a_tiled_map(api):
    small = api.get("/", params={"basemap": "none"}).text
    config = api.store.config()
    api.store.set_config(config.with_changes(thresholds={**config.thresholds, "map_max_inline_parcels": 10}), by="test")
    tiled = api.get("/", params={"basemap": "none"}).text
    assert "window.plannerParcels = " in small and "window.plannerParcels = " not in tiled
    assert '"tiles/{z}/{x}/{y}.mvt?park=CZ-DEMO"' in tiled and '"parcels/{id}?park=CZ-DEMO"' in tiled
    assert len(tiled.encode()) < len(small.encode()) - 300_000


def test_low_zooms_serve_the_overview_counting_every_parcel_once(api):
    """At zoom 9 the demo park lies on one or two tiles: merged looks, no parcel ids, the 414 parcels counted."""
    parcels = api.store.read_parcels()
    w, s, e, n = parcels.to_crs(4326).total_bounds
    (x0, y0), (x1, y1) = tile_xy(w, n, 9), tile_xy(e, s, 9)
    counted = 0.0
    for x in range(int(x0), int(x1) + 1):
        for y in range(int(y0), int(y1) + 1):
            got = api.get(f"/tiles/9/{x}/{y}.mvt")
            assert got.status_code in (200, 204), got.text
            features = decode(got.content)["parcels"]["features"] if got.status_code == 200 else []
            assert all("parcel_id" not in f["properties"] and f["id"] is None for f in features)
            counted += sum(f["properties"]["parcels"] for f in features)
            assert len(got.content) < 8_000  # the 414 parcels' own outlines take about 10 KB at this zoom
    assert counted == len(parcels) == 414
