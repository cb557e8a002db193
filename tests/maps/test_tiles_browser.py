"""A large park's map in a real headless Chromium: parcels drawn from the API's vector tiles, a popup on click."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from planner.api import create_app
from planner.store import open_store
from tests.api.conftest import serve
from tests.maps.conftest import artifact, click_parcel
from tests.maps.test_browser import expected_colours


@pytest.fixture(params=["gpkg", "postgis"])
def served(demo_park, tmp_path, request):
    """A copy of the demo park whose inline limit is 10 parcels, so its map at / is tiled; served by uvicorn.

    On PostGIS the tiles are cut by the database (``ST_AsMVT``): the page draws them as the encoder's.
    """
    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    shutil.copy(demo_park.dem_path, tmp_path / "dem.tif")
    if request.param == "gpkg":
        store = open_store(tmp_path / "park.gpkg")
    else:
        from planner.store.copy import copy_park

        store = copy_park(tmp_path / "park.gpkg", request.getfixturevalue("postgis_url"), overwrite=True,
                          folder=tmp_path)  # fmt: skip
    config = store.config()
    store.set_config(config.with_changes(thresholds={**config.thresholds, "map_max_inline_parcels": 10}), by="test")
    url, server, thread = serve(create_app(store))
    yield url, store
    server.should_exit = True
    thread.join(timeout=10)
    store.close()
    if request.param == "postgis":
        from tests.store.conftest import drop_all_parks

        drop_all_parks(request.getfixturevalue("postgis_url"))


def test_a_large_parks_map_draws_every_parcel_from_tiles_and_opens_a_popup(page, served):
    url, store = served
    tiles = []
    page.on("response", lambda r: tiles.append(r.status) if ".mvt" in r.url else None)
    page.goto(url + "/?basemap=none")
    page.wait_for_function("() => window.plannerFirstDraw !== undefined", timeout=60_000)
    assert page.evaluate("window.plannerMeta.drawn") == "tiles"
    assert page.eval_on_selector_all("path.parcel", "els => els.length") == 0  # no inline parcels
    parcels = store.read_parcels()
    assert page.evaluate("window.plannerLayers.parcels.plannerDrawn()") == len(parcels) == 414
    assert tiles and set(tiles) <= {200, 204}
    # the colour each drawn feature was given, read from VectorGrid's own registry of drawn features
    drawn = page.evaluate(
        """() => { const out = {}; const layer = window.plannerLayers.parcels;
        for (const key in layer._vectorTiles) { const fs = layer._vectorTiles[key]._features;
          for (const id in fs) { out[id] = fs[id].feature.options.fillColor; } }
        return out; }"""
    )
    assert Counter(drawn.values()) == expected_colours(parcels)
    # a click on the largest ready parcel, where the page puts it: its popup, built from GET /parcels/{id}
    ready = parcels[parcels["ready"].fillna(False).astype(bool)].sort_values("area_m2").iloc[-1]
    click_parcel(page, parcels, ready["parcel_id"])
    page.wait_for_selector(".leaflet-popup-content table", timeout=10_000)  # the full popup, once fetched
    popup = page.inner_text(".leaflet-popup-content")
    assert ready["parcel_id"] in popup
    assert "熟地" in popup and "通给水" in popup and f"{ready['area_mu']:,.1f} 亩" in popup
    page.screenshot(path=artifact("readiness-map-tiles.png"))
    # idle land from the same tiles: the 5 idle parcels of the demo
    page.click(".leaflet-control-layers-overlays label:has-text('闲置土地') input")
    page.wait_for_function("() => window.plannerLayers.idle.plannerDrawn() > 0", timeout=30_000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.plannerLayers.idle.plannerDrawn()") == int(parcels["idle_rule"].notna().sum()) == 5
    assert page.errors == []


def test_a_large_parks_search_finds_a_parcel_by_its_code_and_gaode_asks_for_shifted_tiles(page, served):
    url, store = served
    page.goto(url + "/")
    page.wait_for_function("() => window.plannerFirstDraw !== undefined", timeout=60_000)
    assert page.evaluate("window.plannerApp.basemap") == "none"  # no local tiles: no basemap, never grey
    parcel = store.read_parcels().sort_values("parcel_id").iloc[100]["parcel_id"]
    page.fill("#planner-search", parcel)
    page.press("#planner-search", "Enter")  # not in the page: fetched from GET /parcels/{id}
    page.wait_for_selector(".leaflet-popup-content table", timeout=10_000)
    assert parcel in page.inner_text(".leaflet-popup-content")
    assert "parcels" in page.eval_on_selector_all(
        "#planner-legend section", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.layer)"
    )
    page.select_option("#planner-basemap", "gaode")
    assert page.evaluate("window.plannerLayers.parcels._url").endswith("&gcj=true")
    page.select_option("#planner-basemap", "none")
    assert "gcj" not in page.evaluate("window.plannerLayers.parcels._url")
    assert page.errors == []


def test_a_large_parks_search_finds_a_parcel_by_its_holder_and_a_road_by_name_from_the_api(page, served):
    url, store = served
    page.goto(url + "/?basemap=none")
    page.wait_for_function("() => window.plannerFirstDraw !== undefined", timeout=60_000)
    assert page.evaluate("window.plannerParcels") is None  # the page holds no parcel records to search
    parcels = store.read_parcels()
    held = parcels[parcels["holder"].notna()].sort_values("parcel_id")
    holder = held["holder"].iloc[0]
    mine = sorted(held.loc[held["holder"] == holder, "parcel_id"])
    page.fill("#planner-search", holder)
    page.wait_for_selector("#planner-search-hits a", timeout=30_000)
    listed = page.eval_on_selector_all("#planner-search-hits a", "els => els.map(e => e.textContent.split(' ')[0])")
    assert listed[: len(mine)] == mine  # each parcel of that holder, by code (at most 12 shown)
    page.click("#planner-search-hits a >> nth=0")
    page.wait_for_selector(".leaflet-popup-content table", timeout=30_000)  # its full popup, from GET /parcels/{id}
    popup = page.inner_text(".leaflet-popup-content")
    assert mine[0] in popup and holder in popup
    # a road by its name: the map fits the road's lines and says its name
    roads = store.read_layer("road_lines")
    road = sorted(roads["name"].dropna().unique())[0]
    page.fill("#planner-search", "")
    page.fill("#planner-search", road)
    page.wait_for_selector(f"#planner-search-hits a:has-text('{road}')", timeout=30_000)
    page.click(f"#planner-search-hits a:has-text('{road}')")
    page.wait_for_function(
        "name => document.querySelector('.leaflet-popup-content')?.textContent.includes(name)", arg=road
    )
    lines = roads[roads["name"] == road].to_crs(4326).total_bounds
    view = page.evaluate(
        "() => { const b = window.plannerMap.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    assert view[0] <= lines[0] and view[1] <= lines[1] and view[2] >= lines[2] and view[3] >= lines[3]
    assert page.errors == []
