"""The API over real HTTP, on both backends: every route, filter and error, concurrent edits."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from tests.api.conftest import EDITOR, EDITOR2, VIEWER


def stored(api):
    """The parcels read independently of the API: plain SQL on the database, or GDAL on the GeoPackage."""
    if api.backend == "gpkg":
        return gpd.read_file(api.store.path, layer="parcels", engine="pyogrio")
    import psycopg

    with psycopg.connect(api.store.location.split("?")[0]) as conn:
        rows = conn.execute(
            f"SELECT parcel_id, area_mu, ready, status, idle_rule FROM {api.store.schema}.parcels"
        ).fetchall()
    import pandas as pd

    return pd.DataFrame(rows, columns=["parcel_id", "area_mu", "ready", "status", "idle_rule"])


@pytest.mark.parametrize("least", [0, 30, 100])
def test_ready_land_over_a_size_is_exactly_the_stored_ready_land(api, least):
    got = api.get("/parcels", params={"ready": "true", "min_area_mu": least, "limit": 1000})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/geo+json")
    body = got.json()
    ids = {f["properties"]["parcel_id"] for f in body["features"]}
    table = stored(api)
    ready = table["ready"].astype("boolean").fillna(False).astype(bool)
    expected = set(table.loc[ready & (table["area_mu"] >= least), "parcel_id"])
    assert ids == expected and body["numberMatched"] == len(expected)
    assert all(f["properties"]["ready"] is True and f["properties"]["area_mu"] >= least for f in body["features"])


def test_geojson_is_rfc_7946(api):
    body = api.get("/parcels", params={"limit": 5}).json()
    assert body["type"] == "FeatureCollection" and "crs" not in body
    for f in body["features"]:
        geom = shape(f["geometry"])
        lon, lat = geom.representative_point().coords[0]
        assert 118.2 < lon < 118.35 and 32.2 < lat < 32.3  # lon/lat of the demo park, in that order
        for poly in geom.geoms:
            assert shapely.is_ccw(poly.exterior)  # right-hand rule: exteriors counterclockwise
        props = f["properties"]
        assert props["area_m2"] == pytest.approx(props["area_mu"] * 10000 / 15, rel=1e-9)


def test_paging_sorting_and_every_filter(api):
    table = stored(api)
    first = api.get("/parcels", params={"limit": 10, "sort": "-area_mu"}).json()
    areas = [f["properties"]["area_mu"] for f in first["features"]]
    assert areas == sorted(areas, reverse=True) and areas[0] == pytest.approx(table["area_mu"].max())
    assert first["next"] == {"offset": 10, "limit": 10} and first["numberMatched"] == len(table)
    second = api.get("/parcels", params={"limit": 10, "offset": 10, "sort": "-area_mu"}).json()
    assert not {f["id"] for f in first["features"]} & {f["id"] for f in second["features"]}
    reserved = api.get("/parcels", params={"status": "reserved", "limit": 1000}).json()
    assert reserved["numberMatched"] == int((table["status"] == "reserved").sum())
    idle = api.get("/parcels", params={"idle": "true"}).json()
    assert idle["numberMatched"] == int(table["idle_rule"].notna().sum()) == 5
    assert api.get("/parcels", params={"industry": "C39", "limit": 1}).json()["numberMatched"] > 0
    assert api.get("/parcels", params={"land_use": "100103", "limit": 1}).json()["numberMatched"] > 0
    one = first["features"][0]
    w, s, e, n = shape(one["geometry"]).representative_point().buffer(1e-5).bounds
    around = api.get("/parcels", params={"bbox": f"{w},{s},{e},{n}"}).json()
    assert one["id"] in {f["id"] for f in around["features"]}
    assert around["numberMatched"] <= 3


@pytest.mark.parametrize(
    ("params", "status", "field", "says"),
    [
        ({"min_area_mu": "abc"}, 422, "min_area_mu", "valid number"),
        ({"min_area_mu": "-1"}, 422, "min_area_mu", "greater than or equal to 0"),
        ({"status": "sold"}, 422, "status", "allowed: planned (规划), reserved (储备)"),
        ({"limit": "0"}, 422, "limit", "greater than or equal to 1"),
        ({"limit": "5000"}, 422, "limit", "less than or equal to 1000"),
        ({"bbox": "118.3,32.3,118.2,32.2"}, 400, "bbox", "min > max"),
        ({"bbox": "a,b,c"}, 400, "bbox", "minlon,minlat,maxlon,maxlat"),
        ({"min_area_mu": "50", "max_area_mu": "10"}, 400, "max_area_mu", "below `min_area_mu`"),
        ({"industry": "C99"}, 400, "industry", "division 99 is not in section C"),
        ({"sort": "holder"}, 422, "sort", "allowed: parcel_id, area_mu, name, status, updated_at"),
        ({"park": "nowhere"}, 404, "park", "not served here"),
        ({"ready": "maybe"}, 422, "ready", "valid boolean"),
    ],
)
def test_bad_requests_name_the_field(api, params, status, field, says):
    got = api.get("/parcels", params=params)
    assert got.status_code == status, got.text
    error = got.json()["error"]
    assert error["field"] == field and says in error["message"]
    assert "Traceback" not in got.text


def test_one_parcel_its_etag_and_an_unknown_one(api):
    pid = api.get("/parcels", params={"limit": 1}).json()["features"][0]["id"]
    got = api.get(f"/parcels/{pid}")
    assert got.status_code == 200 and got.json()["properties"]["parcel_id"] == pid
    assert got.headers["etag"] == f'"{got.json()["properties"]["version"]}"'
    missing = api.get("/parcels/NOPE")
    assert missing.status_code == 404 and "NOPE" in missing.json()["error"]["message"]


def test_edits_need_an_editor_token_and_the_version(api):
    pid = "341103003016GB00002"  # idle: not started
    version = api.get(f"/parcels/{pid}").json()["properties"]["version"]
    body = {"holder": "新主体有限公司"}
    assert api.patch(f"/parcels/{pid}", json=body).status_code == 401
    assert api.patch(f"/parcels/{pid}", json=body, headers=VIEWER).status_code == 403
    no_version = api.patch(f"/parcels/{pid}", json=body, headers=EDITOR)
    assert no_version.status_code == 428 and no_version.json()["error"]["field"] == "If-Match"
    unknown = api.patch(f"/parcels/{pid}", json={"ready": True}, headers=EDITOR | {"If-Match": f'"{version}"'})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "ready"
    done = api.patch(f"/parcels/{pid}", json=body, headers=EDITOR | {"If-Match": f'"{version}"'})
    assert done.status_code == 200, done.text
    assert done.json()["properties"]["holder"] == "新主体有限公司"
    stale = api.patch(f"/parcels/{pid}", json={"holder": "又一家公司"}, headers=EDITOR2 | {"If-Match": f'"{version}"'})
    assert stale.status_code == 409 and "reload the parcel" in stale.json()["error"]["message"]
    history = api.get(f"/parcels/{pid}/history").json()["history"]
    last = [h for h in history if "holder" in h["changes"]][-1]
    assert last["changed_by"] == "张工" and last["changes"]["holder"][1] == "新主体有限公司"


def test_an_edit_recomputes_idle_land_and_readiness(api):
    pid = "341103003016GB00002"  # supplied, not started one year after the agreed start: idle
    before = api.get(f"/parcels/{pid}").json()["properties"]
    assert before["idle_rule"] == "not_started"
    computed = api.store.metadata()["readiness_at"]
    started = np.datetime64(before["agreed_start_date"]) + np.timedelta64(20, "D")
    done = api.patch(
        f"/parcels/{pid}",
        json={"actual_start_date": str(started), "status": "under_construction"},
        headers=EDITOR | {"If-Match": f'"{before["version"]}"'},
    )
    assert done.status_code == 200, done.text
    assert done.json()["properties"]["idle_rule"] is None  # started within the year: no longer idle
    assert api.get("/idle").json()["numberMatched"] == 4
    assert api.store.metadata()["readiness_at"] > computed  # readiness was computed again after the edit


def test_two_editors_at_once_exactly_one_wins(api):
    pid = api.get("/parcels", params={"status": "reserved", "limit": 1}).json()["features"][0]["id"]
    version = api.get(f"/parcels/{pid}").json()["properties"]["version"]
    results = []

    def edit(headers, name):
        results.append(
            api.patch(
                f"/parcels/{pid}", json={"name": name}, headers=headers | {"If-Match": f'"{version}"'}
            ).status_code
        )

    threads = [threading.Thread(target=edit, args=(h, n)) for h, n in ((EDITOR, "甲地块"), (EDITOR2, "乙地块"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]


def test_a_refused_edit_leaves_the_store_unchanged(api):
    from tests.store.conftest import snapshot

    pid = api.get("/parcels", params={"status": "reserved", "limit": 1}).json()["features"][0]["id"]
    version = api.get(f"/parcels/{pid}").json()["properties"]["version"]
    before = snapshot(api.store)
    bad = api.patch(
        f"/parcels/{pid}",
        json={"status": "sold", "agreed_start_date": "31/12/2027"},
        headers=EDITOR | {"If-Match": f'"{version}"'},
    )
    assert bad.status_code == 422
    fields = {p["field"] for p in bad.json()["error"]["problems"]}
    assert {"status", "agreed_start_date"} <= fields
    assert snapshot(api.store) == before


def test_an_oversized_body_is_refused(api):
    got = api.post("/siting/match", data=b"{" + b" " * 300_000 + b"}", headers={"Content-Type": "application/json"})
    assert got.status_code == 413 and "at most 200,000" in got.json()["error"]["message"]


def test_a_write_by_another_writer_is_seen_at_once(api):
    pid = api.get("/parcels", params={"limit": 1}).json()["features"][0]["id"]
    row = api.store.get_parcel(pid)
    api.store.update_parcel(pid, {"name": "直接写入的名称"}, version=int(row["version"]), by="QGIS")
    assert api.get(f"/parcels/{pid}").json()["properties"]["name"] == "直接写入的名称"


def test_idle_stats_networks_sources(api):
    idle = api.get("/idle").json()
    assert idle["numberMatched"] == 5 and idle["idle_as_of"] == "2026-06-30"
    stats = api.get("/stats").json()
    assert stats["parcels"] == 414 and stats["ready"]["parcels"] == int(stored(api)["ready"].fillna(False).sum())
    by_key = {i["key"]: i for i in stats["indicators"]}
    assert len(by_key) >= 9 and by_key["supply_rate_pct"]["label"] == "土地供应率（%）"
    assert by_key["supply_rate_pct"]["national_2019"] == pytest.approx(92.68)
    assert 0 < by_key["supply_rate_pct"]["value"] <= 100
    water = api.get("/infra/water").json()
    assert water["network"] == "water" and len(water["features"]) > 0
    assert api.get("/infra/sewer").status_code == 422
    sources = api.get("/infra/sources").json()
    ss = {f["properties"]["source_id"]: f["properties"] for f in sources["features"]}
    assert ss["SS-35-2"]["capacity"] == 41_000 and ss["SS-35-2"]["remaining"] < 5_000
    assert api.get("/health").json()["status"] == "ok"


def test_siting_over_http(api):
    project = {"name": "智能传感器模组项目", "industry": "C3982", "land_mu": [40, 60], "investment_wan": 25000}
    got = api.post("/siting/match", json=project)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["candidates"] and body["candidates"][0]["score"] >= body["candidates"][-1]["score"]
    bad = api.post("/siting/match", json=project | {"land_mu": [60, 40]})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "land_mu"
    two = [
        project,
        project | {"name": "消费电子整机项目", "industry": "C3919", "land_mu": [20, 35], "investment_wan": 12000},
    ]
    assigned = api.post("/siting/assign", json=two).json()
    assert assigned["problems"] == [] and assigned["total_score"] >= assigned["greedy_total_score"]


def test_exports_download(api, tmp_path):
    got = api.get("/export/geojson", params={"ready": "true"})
    assert got.status_code == 200
    body = got.json()
    assert "crs" not in body and len(body["features"]) == int(stored(api)["ready"].fillna(False).sum())
    shp = api.get("/export/shp", params={"status": "reserved", "crs": "gk"})
    assert shp.status_code == 200 and shp.headers["content-type"] == "application/zip"
    (tmp_path / "x.zip").write_bytes(shp.content)
    frame = gpd.read_file(f"zip://{tmp_path / 'x.zip'}", engine="pyogrio")
    assert len(frame) == int((stored(api)["status"] == "reserved").sum())
    assert api.get("/export/kml").status_code == 422


def test_the_map_is_served_at_the_root(api):
    got = api.get("/", params={"basemap": "none"})
    assert got.status_code == 200 and "window.plannerParcels" in got.text and "leaflet" in got.text.lower()


def test_a_box_far_from_the_park_or_across_it_answers_exactly(api):
    for far in ("119,32,180,90", "-180,-90,-170,90", "0,0,180,1"):
        got = api.get("/parcels", params={"bbox": far})
        assert got.status_code == 200 and got.json()["numberMatched"] == 0, far
    box = (118.2, 32.2, 118.28, 32.25)
    got = api.get("/parcels", params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    table = stored(api) if api.backend == "gpkg" else None
    if table is not None:  # exactly the parcels that meet the box, by GDAL's reading and shapely in WGS84
        wgs = table.to_crs(4326)
        expected = set(wgs.loc[wgs.intersects(shapely.box(*box)), "parcel_id"])
        assert {f["id"] for f in got["features"]} == expected


def test_ready_land_is_refused_while_readiness_is_missing_or_stale(api):
    from planner.config import checklist_from_preset

    config = api.store.config()
    api.store.set_config(config.with_changes(checklist=checklist_from_preset("三通一平")), by="test")
    stale = api.get("/parcels", params={"ready": "true"})
    assert stale.status_code == 409 and "readiness is stale" in stale.json()["error"]["message"]
    assert api.get("/parcels", params={"status": "reserved"}).status_code == 200  # other filters still answer


def test_an_edit_is_kept_and_answered_200_even_when_the_recomputation_cannot_run(api, monkeypatch):
    pid = "341103003016GB00002"
    version = api.get(f"/parcels/{pid}").json()["properties"]["version"]
    done = api.patch(
        f"/parcels/{pid}", json={"holder": "只改名称的公司"}, headers=EDITOR | {"If-Match": f'"{version}"'}
    )
    assert done.status_code == 200 and done.json()["notes"] == []  # the holder touches neither readiness nor idle
    odd = api.patch(f"/parcels/{pid}", json={"holder": "x"}, headers=EDITOR | {"If-Match": "\u00b2"})
    assert odd.status_code == 400 and odd.json()["error"]["field"] == "If-Match"


def test_the_map_needs_a_token_when_reading_does(api):
    from planner.api import create_app
    from tests.api.conftest import TOKENS, serve

    url, server, thread = serve(create_app(api.store, tokens=TOKENS, read_needs_token=True))
    try:
        import requests

        assert requests.get(f"{url}/", params={"basemap": "none"}, timeout=60).status_code == 401
        assert requests.get(f"{url}/parcels", timeout=60).status_code == 401
        assert requests.get(f"{url}/parcels", headers=VIEWER, timeout=60).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_an_edit_records_the_admin_share_and_green_ratio_within_0_to_100(api):
    """The shares the 2008 caps are checked on (国土资发〔2008〕24号): % of the parcel, 0–100, else refused by name."""
    pid = api.get("/parcels", params={"status": "in_production", "limit": 1}).json()["features"][0]["id"]
    version = api.get(f"/parcels/{pid}").json()["properties"]["version"]
    bad = api.patch(f"/parcels/{pid}", json={"admin_share_pct": 100.5}, headers=EDITOR | {"If-Match": f'"{version}"'})
    assert bad.status_code == 422
    assert [p["field"] for p in bad.json()["error"]["problems"]] == ["admin_share_pct"]
    body = {"admin_share_pct": 7.0, "green_ratio_pct": 20.0}
    done = api.patch(f"/parcels/{pid}", json=body, headers=EDITOR | {"If-Match": f'"{version}"'})
    assert done.status_code == 200, done.text
    assert {k: done.json()["properties"][k] for k in body} == body
    assert api.store.get_parcel(pid)["green_ratio_pct"] == 20.0
