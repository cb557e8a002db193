"""The maps in a real headless Chromium: what the page draws, counted from the page itself."""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import numpy as np
import pytest

from planner.crs import wgs84_to_gcj02
from planner.maps import MapData, investment_map, readiness_map, siting_map
from planner.maps.elements import save_map
from planner.maps.style import MISSING_COLORS, READY_COLOR, UNKNOWN_COLOR
from planner.resources import data_path
from planner.siting import SiteIndex, load_projects, match
from planner.store import create_park, open_store
from tests.conftest import grid_parcels
from tests.maps.conftest import artifact, click_parcel


@pytest.fixture(scope="module")
def store(demo_park):
    return open_store(demo_park.path)


@pytest.fixture(scope="module")
def data(store):
    return MapData.from_store(store)


def fills(page, css: str) -> Counter:
    """Fill colours of the drawn paths of class ``css``, read from the SVG in the page."""
    return Counter(page.eval_on_selector_all(f"path.{css}", "els => els.map(e => e.getAttribute('fill'))"))


def open_map(page, path, css: str):
    page.goto(path.as_uri())
    page.wait_for_function(f"() => document.querySelectorAll('path.{css}').length > 0", timeout=30_000)


def expected_colours(parcels) -> Counter:
    """By hand from the stored columns: ready green; raw by the number of items missing."""
    out = Counter()
    for ready, missing in zip(parcels["ready"], parcels["missing"], strict=True):
        n = len([m for m in (missing or "").split(",") if m])
        if ready is None or ready is np.nan or str(ready) == "<NA>":
            out[UNKNOWN_COLOR] += 1
        elif bool(ready):
            out[READY_COLOR] += 1
        else:
            out[MISSING_COLORS[0 if n <= 1 else 1 if n == 2 else 2 if n <= 4 else 3]] += 1
    return out


def test_the_readiness_map_draws_every_parcel_in_its_colour_and_opens_a_popup(page, data, store, tmp_path):
    path = save_map(readiness_map(data, basemap="none"), tmp_path / "readiness.html")
    open_map(page, path, "parcel")
    parcels = store.read_parcels()
    assert page.eval_on_selector_all("path.parcel", "els => els.length") == len(parcels) == 414
    drawn = fills(page, "parcel")
    assert drawn == expected_colours(parcels)
    assert drawn[READY_COLOR] == int(parcels["ready"].fillna(False).astype(bool).sum()) > 0
    # click the largest ready parcel where the page itself puts it on the screen
    ready = parcels[parcels["ready"].fillna(False).astype(bool)].sort_values("area_m2").iloc[-1]
    click_parcel(page, parcels, ready["parcel_id"])
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    popup = page.inner_text(".leaflet-popup-content")
    assert ready["parcel_id"] in popup
    assert "熟地" in popup and "亩" in popup and "通给水" in popup
    assert "ready (熟地)" not in popup  # English is hidden until switched
    page.click("#planner-lang")
    assert "ready (熟地)" in page.inner_text(".leaflet-popup-content")
    page.screenshot(path=artifact("readiness-map.png"))
    legend = page.inner_text(".planner-legend")
    assert "raw: 1 item missing" in legend
    assert page.errors == []


def test_layers_a_planner_toggles_are_in_the_layer_control(page, data, tmp_path):
    path = save_map(readiness_map(data, basemap="none"), tmp_path / "layers.html")
    open_map(page, path, "parcel")
    names = page.eval_on_selector_all(
        ".leaflet-control-layers-overlays label", "els => els.map(e => e.innerText.trim())"
    )
    for expected in ("闲置土地", "亩均评价", "给水管线", "电力管线", "源点设施", "登记与计算不符", "标准厂房"):
        assert any(expected in n for n in names), (expected, names)
    # idle land is hidden until switched on: then the 5 idle parcels of the demo draw
    assert page.eval_on_selector_all("path.idle", "els => els.length") == 0
    page.click(".leaflet-control-layers-overlays label:has-text('闲置土地') input")
    page.wait_for_function("() => document.querySelectorAll('path.idle').length > 0")
    assert (
        page.eval_on_selector_all("path.idle", "els => els.length") == int(data.parcels["idle_rule"].notna().sum()) == 5
    )


def test_the_investment_map_filters_by_area_on_the_page(page, data, tmp_path):
    path = save_map(investment_map(data, min_mu=30, basemap="none"), tmp_path / "invest.html")
    open_map(page, path, "offer")
    p = data.parcels
    offer = p[(p["status"] == "reserved") & p["ready"].fillna(False).astype(bool)]
    assert page.eval_on_selector_all("path.offer", "els => els.length") == len(offer)
    visible = "els => els.filter(e => e.getAttribute('fill-opacity') !== '0').length"
    assert page.eval_on_selector_all("path.offer", visible) == int((offer["area_mu"] >= 30).sum())
    page.fill("#planner-min-mu", "0")
    assert page.eval_on_selector_all("path.offer", visible) == len(offer)
    assert page.errors == []


def test_the_siting_map_numbers_the_candidates(page, data, store, tmp_path):
    project = next(p for p in load_projects(data_path("demo/projects.json")) if p.name == "智能传感器模组项目")
    result = match(SiteIndex.from_store(store), project)
    path = save_map(siting_map(data, result, limit=10, basemap="none"), tmp_path / "siting.html")
    open_map(page, path, "candidate")
    assert page.eval_on_selector_all("path.candidate", "els => els.length") == 10
    ranks = page.eval_on_selector_all(".planner-rank", "els => els.map(e => +e.innerText)")
    assert sorted(ranks) == list(range(1, 11))
    assert page.eval_on_selector_all("path.rejected", "els => els.length") == len(result.rejected())
    page.screenshot(path=artifact("siting-map.png"))


def test_gaode_overlays_are_shifted_to_gcj02(page, data, tmp_path):
    path = save_map(readiness_map(data, basemap="gaode"), tmp_path / "gaode.html")
    open_map(page, path, "parcel")
    first = data.parcels.iloc[0]
    lon, lat = gpd.GeoSeries([first.geometry], crs=data.parcels.crs).to_crs(4326).iloc[0].geoms[0].exterior.coords[0]
    drawn = page.evaluate(
        "() => { const l = window.plannerLayers.parcels.getLayers()[0].getLatLngs().flat(3)[0];"
        " return [l.lng, l.lat]; }"
    )
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert drawn == pytest.approx([float(glon), float(glat)], abs=2e-6)
    assert abs(drawn[0] - lon) * 94_000 > 100  # a few hundred metres east of WGS84 here
    assert "GCJ-02" in page.inner_text("#planner-basemap-note")


def test_a_park_without_readiness_or_layers_or_a_basemap_key_still_draws_with_notes(
    page, tmp_path, monkeypatch, config
):
    monkeypatch.delenv("PLANNER_TIANDITU_KEY", raising=False)
    store = create_park(tmp_path / "bare.gpkg", config)
    store.write_parcels(grid_parcels(4), by="test")
    path = save_map(readiness_map(MapData.from_store(store), basemap="tianditu"), tmp_path / "bare.html")
    open_map(page, path, "parcel")
    assert fills(page, "parcel") == Counter({UNKNOWN_COLOR: 4})
    notes = page.inner_text("#planner-notes")
    assert "尚未计算七通一平" in notes and "没有给水管线图层" in notes
    assert "天地图需要密钥" in page.inner_text("#planner-basemap-note")
    assert page.errors == []


def test_names_with_markup_are_shown_as_text_never_run(page, tmp_path, config):
    store = create_park(tmp_path / "x.gpkg", config)
    evil = '<img src=x onerror="window.__xss=1">'
    store.write_parcels(grid_parcels(2, name=[evil, "</script><script>window.__xss=2</script>"]), by="test")
    data = MapData.from_store(store)
    data.parcels["name"] = [evil, "</script><script>window.__xss=2</script>"]
    path = save_map(readiness_map(data, basemap="none"), tmp_path / "evil.html")
    open_map(page, path, "parcel")
    shown = []  # what each parcel's tooltip and popup read, whichever ends up on top
    for element in page.query_selector_all("path.parcel"):
        element.hover()
        element.click(force=True)
        shown.append(page.evaluate(
            "() => [...document.querySelectorAll('.leaflet-tooltip-pane, .leaflet-popup-pane')]"
            ".map(e => e.innerText).join('\\n')"
        ))  # fmt: skip
    assert page.evaluate("() => window.__xss === undefined")
    assert any(evil in text for text in shown), shown
    assert page.errors == []
