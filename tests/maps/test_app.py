"""The map page as an app, in a real headless Chromium with no network: legends, search, print, basemaps, English."""

from __future__ import annotations

import io
import re

import geopandas as gpd
import numpy as np
import pytest

from planner.crs import wgs84_to_gcj02
from planner.maps import MapData, readiness_map, siting_map
from planner.maps.basemaps import local_tiles_of_folder
from planner.maps.elements import save_map
from planner.maps.reasons import reason_en
from planner.resources import data_path
from planner.siting import SiteIndex, load_projects, match
from planner.store import open_store
from tests.maps.conftest import artifact
from tests.maps.test_basemaps import RED, tile_folder


@pytest.fixture(scope="module")
def store(demo_park):
    return open_store(demo_park.path)


@pytest.fixture(scope="module")
def data(store):
    return MapData.from_store(store)


@pytest.fixture(scope="module")
def readiness_html(data, tmp_path_factory):
    return save_map(readiness_map(data), tmp_path_factory.mktemp("app") / "readiness.html")


def open_page(page, path):
    page.goto(path.as_uri())
    page.wait_for_function("() => window.plannerApp && window.plannerApp.map", timeout=30_000)


def shown_sections(page) -> set[str]:
    return set(page.eval_on_selector_all(
        "#planner-legend section", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.layer)"
    ))  # fmt: skip


def test_every_layers_legend_appears_when_the_layer_is_switched_on(page, readiness_html):
    open_page(page, readiness_html)
    layers = set(page.evaluate("Object.keys(window.plannerLayers)"))
    expected = {"parcels", "idle", "evaluation", "disagree", "sources", "factories", "boundary", "labels:road"}
    expected |= {f"lines:{n}" for n in ("road", "water", "drainage", "power", "telecom", "gas", "heat")}
    assert layers == expected
    sections = set(page.eval_on_selector_all("#planner-legend section", "els => els.map(e => e.dataset.layer)"))
    assert sections == layers - {"labels:road"}  # every layer but the road names has its legend
    assert shown_sections(page) == {"parcels", "lines:road", "sources", "boundary"}  # the layers on at first
    labels = page.query_selector_all(".leaflet-control-layers-overlays label")
    for label in labels:
        box = label.query_selector("input")
        if not box.is_checked():
            box.click()
    assert shown_sections(page) == sections
    legend = page.inner_text("#planner-legend")
    for text in ("闲置土地", "超期未动工", "亩均评价", "A 优先发展", "登记与计算不符", "燃气管线", "规划或停用",
                 "电力源点", "标准厂房", "生地：缺 1 项", "园区四至"):  # fmt: skip
        assert text in legend, text
    box = page.locator(".leaflet-control-layers-overlays label:has-text('宗地七通一平') input")
    for _ in range(3):  # Leaflet rebuilds its layer list as layers finish loading: a click may meet the old list
        box.click()
        if not box.is_checked():
            break
    assert "parcels" not in shown_sections(page) and "idle" in shown_sections(page)
    page.click("#planner-lang")
    assert "per-mu classes" in page.inner_text("#planner-legend") and "亩均评价" not in page.inner_text(
        "#planner-legend"
    )
    assert page.errors == []


def test_the_title_names_the_park_and_the_datas_date_with_a_metric_scale(page, readiness_html, data):
    open_page(page, readiness_html)
    title = page.inner_text("#planner-title")
    assert (
        data.config.name in title and f"数据日期 {data.as_of}" in title and re.fullmatch(r"\d{4}-\d\d-\d\d", data.as_of)
    )
    scale = page.inner_text(".leaflet-control-scale")
    assert re.fullmatch(r"\d+ k?m", scale.strip()), scale  # metric only: no feet, no miles
    assert "道路名称" in page.inner_text(".leaflet-control-layers")
    roads = set(page.eval_on_selector_all(".planner-road-label", "els => els.map(e => e.textContent)"))
    assert roads == set(data.lines["road"]["name"].dropna())
    sources = page.eval_on_selector_all(".planner-source-label", "els => els.map(e => e.innerText)")
    for zoom in (14, 13):  # the labels of the sources never cover one another
        page.evaluate(f"window.plannerMap.setZoom({zoom}, {{animate: false}})")
        page.wait_for_timeout(200)
        rects = page.eval_on_selector_all(
            ".planner-source-label",
            "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })",
        )
        for i, a in enumerate(rects):
            for b in rects[i + 1 :]:
                assert a[2] <= b[0] + 0.5 or b[2] <= a[0] + 0.5 or a[3] <= b[1] + 0.5 or b[3] <= a[1] + 0.5, (a, b)
    assert len(sources) == len(data.sources)
    left = data.sources.dropna(subset=["capacity"]).iloc[0]
    assert any(str(left["name"]) in s and f"剩余 {left['remaining']:,.0f}" in s for s in sources)


def test_search_finds_a_parcel_by_code_holder_or_road_and_opens_it(page, readiness_html, data):
    open_page(page, readiness_html)
    p = data.parcels.dropna(subset=["holder"]).iloc[7]
    page.fill("#planner-search", p["parcel_id"])
    page.click("#planner-search-hits a >> nth=0")
    page.wait_for_selector(".leaflet-popup-content")
    page.wait_for_timeout(400)  # it stays open (the click on the hit is not the map's)
    assert p["parcel_id"] in page.inner_text(".leaflet-popup-content")
    page.screenshot(path=artifact("app-map.png"))  # README's screenshot (`make screenshots` copies it to docs/)
    page.fill("#planner-search", p["holder"][2:8])
    hits = page.inner_text("#planner-search-hits")
    assert p["parcel_id"] in hits
    page.fill("#planner-search", "纬八路")
    page.press("#planner-search", "Enter")  # the first hit: the road
    page.wait_for_selector(".leaflet-popup-content:has-text('纬八路')")  # the parcel's popup fades out meanwhile
    road = data.lines["road"][data.lines["road"]["name"] == "纬八路"].to_crs(4326).total_bounds
    view = page.evaluate("() => { const b = window.plannerMap.getBounds(); return [b.getWest(), b.getSouth(), "
                         "b.getEast(), b.getNorth()]; }")  # fmt: skip
    assert view[0] <= road[0] and view[1] <= road[1] and view[2] >= road[2] and view[3] >= road[3]
    page.fill("#planner-search", "没有这个宗地")
    assert "没有找到" in page.inner_text("#planner-search-hits")
    assert page.errors == []


def test_the_print_layout_renders_to_pdf_with_the_legend(page, readiness_html, data):
    pypdf = pytest.importorskip("pypdf")
    open_page(page, readiness_html)
    page.click(".leaflet-control-layers-overlays label:has-text('闲置土地') input")
    page.emulate_media(media="print")
    page.evaluate("window.plannerApp.preparePrint('A3')")
    for hidden in (".leaflet-control-layers", ".planner-search", ".planner-basemap", ".leaflet-control-zoom"):
        assert page.eval_on_selector(hidden, "e => getComputedStyle(e).display") == "none", hidden
    for kept in ("#planner-legend", "#planner-north", ".leaflet-control-scale", "#planner-title"):
        assert page.eval_on_selector(kept, "e => getComputedStyle(e).display") != "none", kept
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    artifact("print-a3.pdf").write_bytes(pdf)
    page.screenshot(path=artifact("app-print.png"))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((1190.55, 841.89), abs=1.5)  # A3 landscape, pt
    text = " ".join(reader.pages[0].extract_text().split())
    for words in (data.config.name, "七通一平", "闲置土地", "超期未动工", f"数据日期 {data.as_of}", "N"):
        assert words in text, words
    assert "宗地代码、用地单位或道路" not in text  # the search box is not printed
    assert page.errors == []


def test_basemaps_offline_request_nothing_from_the_internet_and_gaode_shifts_the_overlays(page, data, tmp_path):
    folder = tile_folder(tmp_path / "office-tiles", {(z, x, y): RED for z in (14, 15) for x in range(2 ** z // 2 + 0,
                         2 ** z // 2 + 1) for y in range(3)})  # fmt: skip
    path = save_map(readiness_map(data, local_tiles=local_tiles_of_folder(folder)), tmp_path / "local.html")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    open_page(page, path)
    assert page.evaluate("window.plannerApp.basemap") == "local"  # local tiles given: the page opens on them
    page.select_option("#planner-basemap", "none")
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelector('.leaflet-container').classList.contains('planner-bare')")
    assert (
        page.eval_on_selector(".leaflet-container", "e => getComputedStyle(e).backgroundColor") == "rgb(247, 247, 242)"
    )
    assert asked and all(u.startswith(("file://", "data:")) for u in asked), [u for u in asked if "file:" not in u][:3]
    # Gaode: the overlays move to GCJ-02 on the page, as planner.crs computes it, and back
    first = data.parcels.iloc[0]
    lon, lat = gpd.GeoSeries([first.geometry], crs=data.parcels.crs).to_crs(4326).iloc[0].geoms[0].exterior.coords[0]
    corner = "() => { const l = window.plannerLayers.parcels.getLayers()[0].getLatLngs().flat(3)[0];"
    corner += " return [l.lng, l.lat]; }"
    assert page.evaluate(corner) == pytest.approx([lon, lat], abs=1e-6)
    page.select_option("#planner-basemap", "gaode")
    glon, glat = wgs84_to_gcj02(np.round(lon, 6), np.round(lat, 6))
    assert page.evaluate(corner) == pytest.approx([float(glon), float(glat)], abs=1e-9)
    assert "GCJ-02" in page.inner_text("#planner-basemap-note")
    assert any("autonavi.com" in u for u in asked)  # the test would see a request to the internet
    page.select_option("#planner-basemap", "osm")
    assert page.evaluate(corner) == pytest.approx([lon, lat], abs=1e-6)
    assert page.errors == []


def test_english_covers_the_reasons_in_a_popup(page, readiness_html, data):
    open_page(page, readiness_html)
    p = data.parcels.iloc[0]
    page.fill("#planner-search", p["parcel_id"])
    page.press("#planner-search", "Enter")
    page.click("#planner-lang")
    popup = page.inner_text(".leaflet-popup-content")
    for item in ("water", "power", "road"):
        assert reason_en(p[f"{item}_reason"]) in popup
        assert reason_en(p[f"{item}_reason"]) != p[f"{item}_reason"]
    names = set(data.sources["name"].astype(str)) | {str(p["name"]), str(p["holder"])}
    for name in names:
        popup = popup.replace(name, "")
    assert not re.search(r"[\u4e00-\u9fff]", popup.replace("熟地", "").replace("生地", "")), popup


def test_measuring_a_distance_and_an_area(page, readiness_html):
    geod = pytest.importorskip("pyproj").Geod(ellps="WGS84")
    open_page(page, readiness_html)
    page.click(".planner-measure button[value=distance]")
    box = page.eval_on_selector(
        ".leaflet-container", "e => { const r = e.getBoundingClientRect(); return [r.left, r.top]; }"
    )
    clicks = [(400, 300), (700, 300), (700, 600)]
    for x, y in clicks[:2]:
        page.mouse.click(box[0] + x, box[1] + y)
    to_lonlat = (
        "(pts) => pts.map(p => { const l = window.plannerMap.containerPointToLatLng(p); return [l.lng, l.lat]; })"
    )
    ll = page.evaluate(to_lonlat, [list(c) for c in clicks])
    expected_m = geod.inv(ll[0][0], ll[0][1], ll[1][0], ll[1][1])[2]
    shown = page.inner_text("#planner-measure-out")
    value = float(re.sub(r"[^\d.]", "", shown)) * (1000 if "km" in shown else 1)
    assert value == pytest.approx(expected_m, rel=0.005)  # Leaflet's sphere against the ellipsoid
    assert page.eval_on_selector_all(".leaflet-popup-content", "els => els.length") == 0  # no popup while measuring
    page.click(".planner-measure button[value=area]")
    for x, y in clicks:
        page.mouse.click(box[0] + x, box[1] + y)
    area_m2 = abs(geod.polygon_area_perimeter([p[0] for p in ll], [p[1] for p in ll])[0])
    shown = page.inner_text("#planner-measure-out")
    assert "m²" in shown, shown
    m2 = float(shown.split("m²")[0].replace(",", ""))
    assert m2 == pytest.approx(area_m2, rel=0.006)
    mu = float(re.search(r"([\d,.]+)\s*亩", shown).group(1).replace(",", ""))
    assert mu == pytest.approx(m2 / 666.667, rel=1e-3)


def test_siting_ranks_do_not_overlap(page, data, store, tmp_path):
    project = next(p for p in load_projects(data_path("demo/projects.json")) if p.name == "智能传感器模组项目")
    result = match(SiteIndex.from_store(store), project)
    path = save_map(siting_map(data, result, limit=20), tmp_path / "siting.html")
    open_page(page, path)
    page.evaluate("window.plannerMap.setZoom(13, {animate: false})")  # zoomed out: the ranks crowd
    page.wait_for_timeout(300)
    rects = page.eval_on_selector_all(".planner-rank", "els => els.map(e => { const r = e.getBoundingClientRect();"
                                      " return [r.left, r.top, r.right, r.bottom]; })")  # fmt: skip
    assert len(rects) == 20
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert a[2] <= b[0] + 0.5 or b[2] <= a[0] + 0.5 or a[3] <= b[1] + 0.5 or b[3] <= a[1] + 0.5, (a, b)
    page.screenshot(path=artifact("siting-app.png"))
    # a rejected parcel's reason, in English on the switch
    page.click("#planner-lang")
    page.evaluate("window.plannerLayers.rejected.getLayers()[0].openPopup()")
    first = result.to_frame(limit=20).query("kind == 'rejected'").iloc[0]
    assert reason_en(first["reason"]) != first["reason"]
    assert reason_en(first["reason"]) in page.inner_text(".leaflet-popup-content")
    assert page.errors == []


BESIDE_REASONS = {
    "[计算] 最近的道路线路距地块 300 m，超过服务距离 60 m；高架道路（V）距地块 5 m，不可直接接入",
    "[计算] 最近的道路线路距地块 360 m，超过服务距离 60 m；隧道道路（T）距地块 5 m，不可直接接入",
    "[计算] 道路线路距地块超过 1,200 m，超过服务距离 60 m；高架道路（V）距地块 5 m，不可直接接入",
    "[计算] 最近的给水线路距地块 400 m，超过服务距离 60 m；地上给水线路（P）距地块 10 m，不可直接接入",
}
"""A parcel no line it may tap serves, with the line beside it it may not tap (:mod:`planner.infra.coverage`)."""


def test_the_page_reads_every_reason_as_python_does(page, readiness_html, data, store):
    reasons = {t for c in data.parcels.columns if c.endswith("_reason") for t in data.parcels[c].dropna()}
    index = SiteIndex.from_store(store)
    for project in load_projects(data_path("demo/projects.json")):
        frame = match(index, project).to_frame(limit=20)
        reasons |= set(frame.loc[frame["kind"] == "rejected", "reason"])
    reasons |= (
        BESIDE_REASONS  # the demo has no viaduct: the reasons naming one, as tests/infra/test_level_taps.py has them
    )
    reasons_list = sorted(reasons)
    open_page(page, readiness_html)
    on_page = page.evaluate("(texts) => texts.map(t => window.plannerApp.reasonEn(t))", reasons_list)
    assert on_page == [reason_en(t) for t in reasons_list]
    translated = [t for t in reasons_list if reason_en(t) != t]
    assert len(translated) == len(reasons_list) > 500  # every kind of reason the demo has is known
