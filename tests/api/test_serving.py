"""The read path over real HTTP: PostGIS answers from the database, gzip, and ETags of the change stamp."""

from __future__ import annotations

import gzip

import psycopg
import pytest
import requests

from planner.api import create_app
from tests.api.conftest import EDITOR, TOKENS, park_copy, serve

QUERIES = [
    {"limit": 1000},
    {"limit": 10, "sort": "-area_mu"},
    {"limit": 7, "offset": 3, "sort": "name"},
    {"limit": 50, "sort": "-updated_at"},
    {"sort": "status", "limit": 1000},
    {"status": "reserved", "limit": 1000},
    {"idle": "true"},
    {"industry": "C39", "limit": 100},
    {"land_use": "100103"},
    {"ready": "false", "min_area_mu": 50, "max_area_mu": 90},
    {"ready": "true", "min_area_mu": 100, "limit": 20, "labels": "true"},
    {"limit": 3, "offset": 410},
]


@pytest.fixture(scope="module")
def both(demo_park, tmp_path_factory, request):
    """The demo park served twice: from a GeoPackage and from PostGIS."""
    urls, servers, stores = {}, [], []
    for backend in ("gpkg", "postgis"):
        store = park_copy(backend, demo_park, tmp_path_factory.mktemp(backend), request)
        app = create_app(store, tokens=TOKENS)
        url, server, thread = serve(app)
        urls[backend] = (url, app)
        servers.append((server, thread))
        stores.append(store)
    yield urls
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
    for store in stores:
        store.close()
    from tests.store.conftest import drop_all_parks

    drop_all_parks(request.getfixturevalue("postgis_url"))


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()))
def test_postgis_answers_as_the_geopackage_does_without_loading_the_park(both, query):
    got = {b: requests.get(url + "/parcels", params=query, timeout=60) for b, (url, _) in both.items()}
    assert got["gpkg"].status_code == got["postgis"].status_code == 200
    assert got["gpkg"].headers["content-type"] == got["postgis"].headers["content-type"] == "application/geo+json"
    # the same members, ids, properties and coordinates (PostGIS transforms and rounds; pyproj and GEOS here)
    assert got["gpkg"].json() == got["postgis"].json()
    assert got["postgis"].json()["numberReturned"] == len(got["postgis"].json()["features"])
    state = next(iter(both["postgis"][1].state.parks.values()))
    assert state.parcels is None and state.reloads == 0  # the server holds no copy of the parcels


def test_paging_on_postgis_covers_every_match_once(both):
    url = both["postgis"][0]
    everything = requests.get(url + "/parcels", params={"limit": 1000, "sort": "-area_mu"}, timeout=60).json()
    ids, offset = [], 0
    while True:
        page = requests.get(url + "/parcels", params={"limit": 97, "offset": offset, "sort": "-area_mu"}, timeout=60)
        body = page.json()
        ids += [f["id"] for f in body["features"]]
        assert body["numberMatched"] == everything["numberMatched"]
        if "next" not in body:
            break
        offset = body["next"]["offset"]
    assert ids == [f["id"] for f in everything["features"]]


def test_large_answers_are_gzipped_for_clients_that_accept_it(small_api):
    plain = small_api.get("/parcels", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = small_api.get("/parcels", headers={"Accept-Encoding": "gzip"}, stream=True)
    assert packed.headers["content-encoding"] == "gzip"
    raw = packed.raw.read(decode_content=False)
    assert len(raw) < len(plain.content) / 3  # six parcels of GeoJSON: repetitive text
    assert gzip.decompress(raw) == plain.content
    small = small_api.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under GZIP_MIN_BYTES: not worth it


def test_the_collection_etag_answers_304_until_an_edit(small_api):
    first = small_api.get("/parcels", params={"status": "reserved"})
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.json()["numberMatched"] == 6
    again = small_api.get("/parcels", params={"status": "reserved"}, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert small_api.get("/parcels", headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert small_api.get("/parcels", headers={"If-None-Match": '"0"'}).status_code == 200
    edit = small_api.patch("/parcels/P001", json={"status": "supplied"}, headers=EDITOR | {"If-Match": '"1"'})
    assert edit.status_code == 200, edit.text
    after = small_api.get("/parcels", params={"status": "reserved"}, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert after.json()["numberMatched"] == 5  # the count kept for the filter is not kept past the edit
    assert "P001" not in [f["id"] for f in after.json()["features"]]


def test_an_edit_by_another_writer_changes_the_etag(small_api):
    etag = small_api.get("/parcels").headers["etag"]
    small_api.store.update_parcel("P002", {"holder": "外部写入"}, version=1, by="另一程序")
    after = small_api.get("/parcels", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert {f["id"]: f["properties"]["holder"] for f in after.json()["features"]}["P002"] == "外部写入"


def test_a_lost_database_connection_answers_503_then_the_next_request_reconnects(small_api):
    if small_api.backend != "postgis":
        pytest.skip("a GeoPackage has no connection to lose")
    assert small_api.get("/parcels").status_code == 200
    database = small_api.store.location.split("?")[0]
    with psycopg.connect(database, autocommit=True) as admin:
        admin.execute(  # this test's database only: the other workers' tests hold sessions on the same server
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'planner' AND datname = current_database()"
        )
    # the store's connection (the change stamp) and this thread's reader (the page) each meet the loss once
    answers = [small_api.get("/parcels", params={"sort": "name"}) for _ in range(3)]
    assert answers[0].status_code == 503, answers[0].text
    assert all("Traceback" not in a.text and a.status_code in (200, 503) for a in answers)
    assert "connection to the database was lost" in answers[0].json()["error"]["message"]
    assert answers[-1].json()["numberMatched"] == 6


def test_a_tile_answers_304_to_its_etag_until_an_edit(small_api):
    from tests.maps.mvt import decode
    from tests.maps.test_tiles import tile_xy

    west, south = small_api.get("/parcels", params={"limit": 1}).json()["features"][0]["geometry"]["coordinates"][0][0][
        0
    ]
    x, y = (int(v) for v in tile_xy(west + 1e-5, south + 1e-5, 16))
    first = small_api.get(f"/tiles/16/{x}/{y}.mvt")
    assert first.status_code == 200 and "P000" in {
        f["properties"]["parcel_id"] for f in decode(first.content)["parcels"]["features"]
    }
    etag = first.headers["etag"]
    again = small_api.get(f"/tiles/16/{x}/{y}.mvt", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["cache-control"] == "no-cache"
    edit = small_api.patch("/parcels/P000", json={"status": "supplied"}, headers=EDITOR | {"If-Match": '"1"'})
    assert edit.status_code == 200, edit.text
    after = small_api.get(f"/tiles/16/{x}/{y}.mvt", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    props = {f["properties"]["parcel_id"]: f["properties"] for f in decode(after.content)["parcels"]["features"]}
    assert props["P000"]["status"] == "supplied"
