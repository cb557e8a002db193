"""The shortcut of a plain ``GET /parcels``: the same answers as FastAPI's route, which it leaves everything else to."""

from __future__ import annotations

import logging

import pytest
import requests

import planner.api.routes.parcels as parcels_route
from planner.api import create_app
from planner.api.deps import Status
from planner.api.routes.parcels import PLAIN_READERS, plain_query
from tests.api.conftest import TOKENS, serve


def test_a_plain_query_is_read_as_fastapi_reads_it():
    assert plain_query(b"ready=true&min_area_mu=100&limit=100") == {"ready": True, "min_area_mu": 100.0, "limit": 100}
    assert plain_query(b"") == {}
    got = plain_query(b"max_area_mu=12.5&status=in_production&industry=C36&sort=-area_mu&offset=0&idle=false")
    assert got == {"max_area_mu": 12.5, "status": Status.in_production, "industry": "C36", "sort": "-area_mu",
                   "offset": 0, "idle": False}  # fmt: skip
    assert plain_query(b"park=%E5%9B%AD1&bbox=120.1%2C30.2%2C120.3%2C30.4&labels=true") == {
        "park": "园1", "bbox": "120.1,30.2,120.3,30.4", "labels": True
    }  # fmt: skip
    assert plain_query(b"limit=1000&offset=10000000") == {"limit": 1000, "offset": 10_000_000}


@pytest.mark.parametrize(
    "query",
    [
        "ready=yes",  # FastAPI reads it as true: left to FastAPI, not misread
        "ready=True",
        "limit=0",
        "limit=1001",
        "limit=010",
        "offset=10000001",
        "offset=-1",
        "min_area_mu=-1",
        "min_area_mu=1e3",
        "min_area_mu=nan",
        "status=sold",
        "industry=C36123456",  # over 8 characters
        "sort=area",
        "limit=10&limit=20",  # repeated
        "industry=",  # blank
        "colour=red",  # unknown
    ],
)
def test_anything_else_is_left_to_fastapi(query):
    assert plain_query(query.encode()) is None


def test_the_shortcut_reads_exactly_the_route_s_query_parameters(demo_park):
    from planner.store import open_store

    spec = create_app(open_store(demo_park.path)).openapi()
    declared = spec["paths"]["/parcels"]["get"]["parameters"]
    assert {p["name"] for p in declared if p["in"] == "query"} == set(PLAIN_READERS)


ASKED = [
    ({"limit": 3}, 200),
    ({"limit": 2, "offset": 1, "sort": "-area_mu", "labels": "true"}, 200),
    ({"min_area_mu": 1, "max_area_mu": 100, "status": "reserved"}, 200),
    ({"land_use": "100101", "limit": 1000}, 200),
    ({"bbox": "0,0,1,1"}, 200),  # outside the park's zone: nothing
    ({"min_area_mu": 20, "max_area_mu": 5}, 400),  # refused by the route: FastAPI answers it
    ({"ready": "true"}, 409),  # readiness never computed: FastAPI answers it
    ({"idle": "false", "park": "T1"}, 200),
    ({"park": "T9"}, 404),  # not served: FastAPI answers it
    ({"limit": 0}, 422),
]


@pytest.mark.parametrize(("query", "status"), ASKED, ids=[str(k) for k in range(len(ASKED))])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_the_shortcut_answers_as_fastapi_does(small_api, query, status, encoding, monkeypatch):
    seen = []

    def noted(query_string):
        seen.append(plain_query(query_string))
        return seen[-1]

    monkeypatch.setattr(parcels_route, "plain_query", noted)
    headers = {"Accept-Encoding": encoding}
    short = small_api.get("/parcels", params=query, headers=headers)
    full = small_api.get("/parcels", params=query | {"colour": "red"}, headers=headers)  # FastAPI ignores it
    assert (seen[0] is not None) == (query != {"limit": 0}) and seen[1] is None  # the shortcut read the first
    assert short.status_code == full.status_code == status
    assert short.content == full.content
    names = ("content-type", "content-length", "content-encoding", "etag", "vary", "www-authenticate")
    assert {n: short.headers.get(n) for n in names} == {n: full.headers.get(n) for n in names}


def test_the_shortcut_answers_304_to_the_etag_and_logs_each_request_once(small_api, caplog):
    caplog.set_level(logging.INFO, logger="planner.api.access")
    first = small_api.get("/parcels", params={"limit": 2})
    assert first.status_code == 200 and first.headers["content-type"] == "application/geo+json"
    assert first.json()["numberMatched"] == 6 and [f["id"] for f in first.json()["features"]] == ["P000", "P001"]
    again = small_api.get("/parcels", params={"limit": 2}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
    refused = small_api.get("/parcels", params={"min_area_mu": 20, "max_area_mu": 5})  # the shortcut gives way
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "max_area_mu"
    lines = [r.getMessage() for r in caplog.records if r.name == "planner.api.access"]
    assert [line.split(" ms ")[0].rsplit(" ", 1)[0] for line in lines] == [
        "GET /parcels 200", "GET /parcels 304", "GET /parcels 400"
    ]  # fmt: skip


def test_reading_with_a_token_needed_is_left_to_fastapi(demo_park, tmp_path):
    import shutil

    from planner.store import open_store

    shutil.copy(demo_park.path, tmp_path / "park.gpkg")
    store = open_store(tmp_path / "park.gpkg")
    url, server, thread = serve(create_app(store, tokens=TOKENS, read_needs_token=True))
    try:
        refused = requests.get(url + "/parcels", params={"limit": 1}, timeout=60)
        assert refused.status_code == 401 and refused.json()["error"]["field"] == "Authorization"
        token = {"Authorization": "Bearer viewer-token-0123456789"}
        assert requests.get(url + "/parcels", params={"limit": 1}, headers=token, timeout=60).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
