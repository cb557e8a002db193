"""The served app's desk in a real headless Chromium with no network: /docs, the table, the dashboard, editing."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import requests

from planner.api import create_app
from planner.maps.style import readiness_color
from tests.api.conftest import TOKENS, park_copy, serve
from tests.maps.conftest import artifact, click_parcel

EDITOR_TOKEN, EDITOR2_TOKEN, VIEWER_TOKEN = list(TOKENS)
PID = "341103003016GB00002"  # supplied in the demo park


@pytest.fixture
def served(demo_park, tmp_path, request):
    store = park_copy("gpkg", demo_park, tmp_path, request)
    url, server, thread = serve(create_app(store, tokens=TOKENS))
    yield url, store
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


def _offline(context) -> None:
    context.route("http*://**", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())


def _desk(page, url: str, token: str | None = None):
    page.goto(url + "/")
    page.wait_for_function("() => window.plannerDesk && window.plannerDesk.ready", timeout=30_000)
    assert page.evaluate("() => window.echarts === undefined")  # nothing fetched before the desk opens
    page.click("#desk-open")
    page.wait_for_selector("#desk-table tbody tr", timeout=30_000)
    if token:
        page.click("#desk header button[data-pane=sign]")
        page.fill("#desk-token", token)
        page.click("#desk-sign button[type=submit]")
        page.wait_for_selector("#desk-sign-msg .ok", timeout=10_000)
    return page


def _open_parcel(page, pid: str) -> None:
    page.evaluate("id => window.plannerDesk.openParcel(id)", pid)
    page.wait_for_function("id => document.querySelector('#pane-parcel h3')?.textContent.includes(id)", arg=pid)


def test_docs_render_offline_with_authorize(page, served):
    url, _ = served
    page.goto(url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert page.locator("button.authorize").count() == 1
    page.click("button.authorize")
    page.wait_for_selector(".modal-ux input", timeout=5_000)
    assert "token" in page.inner_text(".modal-ux")
    assert page.locator(".opblock-summary-path:has-text('/parcels/{parcel_id}')").count() >= 2
    assert page.errors == []


def test_an_editor_changes_a_status_and_the_table_dashboard_and_map_show_it(page, served):
    url, store = served
    before = store.get_parcel(PID)
    assert before["status"] == "supplied"
    _desk(page, url, EDITOR_TOKEN)
    page.click("#desk header button[data-pane=dash]")
    page.wait_for_function("() => window.plannerDesk.data.status", timeout=30_000)
    counts = dict(page.evaluate("() => window.plannerDesk.data.status.rows"))
    assert page.evaluate("() => window.plannerDesk.data.classes.rows.length") > 0
    page.set_viewport_size({"width": 1400, "height": 2000})  # tall enough to show every chart
    page.wait_for_function("() => Object.values(window.plannerDesk.charts).every(c => c.getWidth() > 0)")
    page.evaluate("() => Object.values(window.plannerDesk.charts).forEach(c => c.resize())")
    page.screenshot(path=artifact("desk-dashboard.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_parcel(page, PID)
    page.select_option("#desk-edit select[name=status]", "under_construction")
    page.click("#desk-save")
    page.wait_for_selector("#desk-saved", timeout=60_000)
    assert store.get_parcel(PID)["status"] == "under_construction"
    # the map, without a reload: the parcel's details, its readiness colour as now computed, its popup
    live = """id => { const k = window.plannerParcels.findIndex(q => q.p === id); let fill = null;
        window.plannerLayers.parcels.eachLayer(l => {
          if (l.feature.properties.qi === k) { fill = l.options.fillColor; } });
        return {status: window.plannerParcels[k].s, fill: fill, changed: window.plannerDesk.mapChanged}; }"""
    page.wait_for_function("id => window.plannerDesk.mapChanged && window.plannerDesk.mapChanged.id === id", arg=PID)
    drawn = page.evaluate(live, PID)
    saved = store.read_parcels(parcel_ids=[PID])
    assert drawn["status"] == "under_construction"
    assert drawn["fill"] == readiness_color(saved["ready"], saved["missing"])[0] == drawn["changed"]["fill"]
    page.click("#desk-close")
    click_parcel(page, store.read_parcels(), PID)
    page.wait_for_selector(".leaflet-popup-content .planner-popup", timeout=10_000)
    popup = page.inner_text(".leaflet-popup-content")
    assert "在建" in popup and "已供" not in popup
    page.click("#desk-open")
    assert "在建" in page.inner_text("#pane-parcel dd[data-field=status]")
    assert "张工" in page.inner_text("#desk-history")
    # the dashboard: one parcel moved from 已供 to 在建
    page.wait_for_function(
        "n => window.plannerDesk.data.status.rows[2][1] === n", arg=counts["已供"] - 1, timeout=30_000
    )
    after = dict(page.evaluate("() => window.plannerDesk.data.status.rows"))
    assert after["在建"] == counts["在建"] + 1 and after["已供"] == counts["已供"] - 1
    # the table, filtered to 在建 and to this parcel's code
    page.click("#desk header button[data-pane=table]")
    page.select_option("#desk-filters select[name=status]", "under_construction")
    page.click("#desk-filters button[type=submit]")
    page.fill("#desk-filters input[name=min_area_mu]", "0")
    page.wait_for_function(
        "n => document.querySelector('#desk-count').textContent.includes(String(n))", arg=after["在建"], timeout=10_000
    )
    page.click("#desk-table th[data-sort=updated_at]")
    page.click("#desk-table th[data-sort=updated_at]")  # newest first
    page.wait_for_function("id => document.querySelector('#desk-table tbody tr')?.dataset.id === id", arg=PID)
    assert "在建" in page.inner_text(f"#desk-table tr[data-id='{PID}'] td.status")
    page.mouse.move(300, 880)
    page.screenshot(path=artifact("desk-table.png"))
    # the map as served now: its popup for the parcel says 在建
    page.goto(url + "/")
    page.wait_for_function("() => window.plannerDesk && window.plannerDesk.ready", timeout=30_000)
    click_parcel(page, store.read_parcels(), PID)  # the desk is closed after a reload: the map is clear
    page.wait_for_selector(".leaflet-popup-content", timeout=10_000)
    popup = page.inner_text(".leaflet-popup-content")
    assert popup and "在建" in popup and "已供" not in popup
    # the popup opens the parcel in the desk: the signed-in editor's form and the history
    page.click(".leaflet-popup-content .desk-open-parcel")
    page.wait_for_selector("#desk-edit", timeout=10_000)
    assert page.input_value("#desk-edit select[name=status]") == "under_construction"
    assert "张工" in page.inner_text("#desk-history")
    assert page.errors == []


def test_two_editors_change_the_same_parcel_and_the_second_sees_the_conflict(browser, page, served):
    url, store = served
    first = _desk(page, url, EDITOR_TOKEN)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    _offline(context)
    second = _desk(context.new_page(), url, EDITOR2_TOKEN)
    _open_parcel(first, PID)
    _open_parcel(second, PID)  # both start from the same version
    first.fill("#desk-edit input[name=holder]", "甲公司")
    first.click("#desk-save")
    first.wait_for_selector("#desk-saved", timeout=60_000)
    second.fill("#desk-edit input[name=land_price_wan]", "1234.5")
    second.click("#desk-save")
    second.wait_for_selector("#desk-conflict", timeout=60_000)
    conflict = second.inner_text("#desk-conflict")
    assert "张工" in conflict and "甲公司" in conflict and "1234.5" in conflict.replace(",", "")
    assert second.input_value("#desk-edit input[name=land_price_wan]") == "1234.5"  # the second's change is kept
    assert second.input_value("#desk-edit input[name=holder]") == "甲公司"  # over the first's, now in the form
    assert store.get_parcel(PID)["holder"] == "甲公司"
    second.screenshot(path=artifact("desk-conflict.png"))
    second.click("#desk-save")  # saved on the latest version: only the second's own field is sent
    second.wait_for_selector("#desk-saved", timeout=60_000)
    now = store.get_parcel(PID)
    assert now["holder"] == "甲公司" and now["land_price_wan"] == 1234.5  # nothing lost
    context.close()


def test_a_viewer_sees_no_edit_form(page, served):
    url, _ = served
    _desk(page, url, VIEWER_TOKEN)
    _open_parcel(page, PID)
    assert "王科长" in page.inner_text("#desk-who") and "查看" in page.inner_text("#desk-who")
    visible = "sel => Array.from(document.querySelectorAll(sel)).filter(e => e.offsetParent !== null).length"
    assert (
        page.evaluate(visible, "#desk .en") == 0 and page.evaluate(visible, "#desk .zh") > 0
    )  # one language at a time
    page.click("#desk header button[data-pane=table]")
    assert page.evaluate(visible, "#desk .en") == 0 and page.evaluate(visible, "#desk-filters .zh") > 0
    page.click("#planner-lang")
    assert page.evaluate(visible, "#desk .zh") == 0 and page.evaluate(visible, "#desk-filters .en") > 0
    page.click("#planner-lang")
    page.click("#desk header button[data-pane=parcel]")
    page.click("#planner-lang")  # the page's language switch: the desk follows
    assert page.evaluate(visible, "#desk .zh") == 0 and page.evaluate(visible, "#desk .en") > 0
    assert "viewer" in page.inner_text("#desk-who") and "查看" not in page.inner_text("#desk-who")
    assert "supply status" in page.inner_text("#pane-parcel") and "Parcels" in page.inner_text("#desk header")
    page.click("#planner-lang")
    assert page.locator("#desk-edit").count() == 0 and page.locator("#desk-save").count() == 0
    page.reload()
    page.wait_for_function("() => window.plannerDesk && window.plannerDesk.ready", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#desk-who').textContent.includes('王科长')")
    _open_parcel(page, PID)
    assert page.locator("#desk-edit").count() == 0
    signed_out = _desk(page, url)
    signed_out.click("#desk header button[data-pane=sign]")
    signed_out.click("#desk-signout")
    signed_out.wait_for_function("() => document.querySelector('#desk-who').textContent.includes('未登录')")
    _open_parcel(signed_out, PID)
    assert signed_out.locator("#desk-edit").count() == 0


def test_each_chart_downloads_as_png_and_its_data_as_excel(page, served):
    url, _ = served
    _desk(page, url)
    page.click("#desk header button[data-pane=dash]")
    page.wait_for_function(
        "() => window.plannerDesk.data.idle && window.plannerDesk.data.idle.rows.length", timeout=30_000
    )
    with page.expect_download() as png:
        page.click("button[data-png=idle]")
    image = Path(png.value.path()).read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 5_000
    with page.expect_download() as sheet:
        page.click("button[data-xlsx=idle]")
    assert sheet.value.suggested_filename == "闲置土地与闲置费.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(sheet.value.path()).read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    # worked out here from /idle, independently of the page: area and fees by disposal stage
    idle = requests.get(url + "/idle", timeout=60).json()
    by_stage: dict[str, list[float]] = {}
    for f in idle["features"]:
        p = f["properties"]
        sums = by_stage.setdefault(p["disposal_stage_zh"] or "未定", [0.0, 0.0, 0.0])
        sums[0] += p["area_mu"] or 0
        sums[1] += p["idle_fee_wan"] or 0
        sums[2] += p["idle_fee_paid_wan"] or 0
    assert rows[0] == ("处置阶段", "面积（亩）", "闲置费（万元）", "已缴（万元）")
    table = {r[0]: r[1:] for r in rows[1 : 1 + len(by_stage)]}
    assert set(table) == set(by_stage)
    for stage, sums in by_stage.items():
        assert table[stage] == pytest.approx([round(v, 2) for v in sums], abs=0.006)
    assert sum(v[0] for v in table.values()) == pytest.approx(idle["area_mu"], abs=0.02)
    # ready land by size band: the bands add up to the ready land /stats counts
    bands = page.evaluate("() => window.plannerDesk.data.bands.rows")
    ready = requests.get(url + "/stats", timeout=60).json()["ready"]
    assert sum(b[1] for b in bands) == ready["parcels"]
    assert sum(b[2] for b in bands) == pytest.approx(ready["area_mu"], abs=0.05)
    assert page.errors == []


def test_with_two_parks_the_desk_asks_for_the_pages_park(page, demo_park, tmp_path, request):
    from planner.config import ParkConfig
    from planner.store import create_park
    from tests.conftest import GK, grid_parcels

    demo = park_copy("gpkg", demo_park, tmp_path, request)
    small = create_park(tmp_path / "small.gpkg", ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK))
    small.write_parcels(grid_parcels(6, land_price_wan=[500.0] * 6), by="setup")
    url, server, thread = serve(create_app([demo, small], tokens=TOKENS))
    try:
        page.goto(url + "/?park=T1")
        page.wait_for_function("() => window.plannerDesk && window.plannerDesk.ready", timeout=30_000)
        page.click("#desk-open")
        page.wait_for_function("() => document.querySelectorAll('#desk-table tbody tr').length === 6", timeout=30_000)
        ids = page.eval_on_selector_all("#desk-table tbody tr", "rows => rows.map(r => r.dataset.id)")
        assert ids == [f"P{i:03d}" for i in range(6)]
        with page.expect_download() as sheet:
            page.click("#desk-xlsx")
        book = openpyxl.load_workbook(io.BytesIO(Path(sheet.value.path()).read_bytes()))
        assert [r[0] for r in book.active.iter_rows(min_row=2, max_row=7, values_only=True)] == ids
        assert sheet.value.suggested_filename == "T1-宗地表.xlsx"
        # only the map's view: the page zooms in on the first two parcels; the API, asked for that box, agrees
        page.evaluate("() => window.plannerMap.setZoom(window.plannerMap.getZoom() + 2)")
        page.check("#desk-filters input[name=view_only]")
        page.click("#desk-filters button[type=submit]")
        page.wait_for_function("() => document.querySelectorAll('#desk-table tbody tr').length < 6", timeout=10_000)
        bounds = page.evaluate(
            "() => { const b = window.plannerMap.getBounds();"
            " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
        )
        box = ",".join(f"{v:.6f}" for v in bounds)
        answer = requests.get(url + "/parcels", params={"park": "T1", "bbox": box}, timeout=60).json()
        shown = page.eval_on_selector_all("#desk-table tbody tr", "rows => rows.map(r => r.dataset.id)")
        assert shown == [f["id"] for f in answer["features"]] and 0 < len(shown) < 6
        assert page.errors == []
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        demo.close()
        small.close()
