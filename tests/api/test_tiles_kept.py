"""Kept tiles answered before FastAPI (:mod:`planner.api.kept_tiles`), on both backends, over real HTTP.

The shortcut must answer exactly as the route does (body and headers), only for a tile kept at the
stamp the park is at now, and never after an edit by anyone: the next request then goes to the route,
which follows the edit and cuts the tile again.
"""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from bench.maps import serve
from planner.api import create_app
from planner.api.kept_tiles import tile_address
from tests.api.conftest import TOKENS, park_copy
from tests.api.test_tiles import STEEL_PARCEL, parcel_tile
from tests.maps.mvt import decode

SAME = ("content-type", "content-encoding", "etag", "cache-control", "vary", "content-length")


@pytest.fixture
def served(backend, demo_park, tmp_path, request):
    """The demo park's copy served over HTTP, with the app (to reach the park's state)."""
    store = park_copy(backend, demo_park, tmp_path, request)
    app = create_app(store, tokens=TOKENS, max_body_bytes=200_000)
    url, server, thread = serve(app)
    yield url, app, store
    server.should_exit = True
    thread.join(timeout=10)
    store.close()
    if backend == "postgis":
        from tests.store.conftest import drop_all_parks

        drop_all_parks(request.getfixturevalue("postgis_url"))


@pytest.mark.parametrize(
    ("path", "query", "address"),
    [
        ("/tiles/16/53000/27000.mvt", b"", (16, 53000, 27000, False, None)),
        ("/tiles/0/0/0.mvt", b"gcj=true&park=CZ-DEMO", (0, 0, 0, True, "CZ-DEMO")),
        ("/tiles/3/7/7.mvt", b"gcj=false", (3, 7, 7, False, None)),
        ("/tiles/3/8/0.mvt", b"", None),  # no such tile at zoom 3: the route's 400 names x
        ("/tiles/03/1/1.mvt", b"", None),  # a leading zero: FastAPI reads it, the shortcut does not
        ("/tiles/25/0/0.mvt", b"", None),  # deeper than the tiles go (24)
        ("/tiles/3/1/1.mvt", b"gcj=1", None),  # FastAPI's other spellings of a boolean
        ("/tiles/3/1/1.mvt", b"gcj=true&gcj=false", None),
        ("/tiles/3/1/1.mvt", b"lang=en", None),
        ("/tiles/3/1/1.mvt", b"park=", None),
        ("/tiles/3/1/1.png", b"", None),
    ],
)
def test_only_a_plain_tile_address_is_read(path, query, address):
    assert tile_address(path, query) == address


def test_a_kept_tile_is_answered_before_the_route_as_the_route_answers_it(served, monkeypatch):
    url, app, store = served
    state = next(iter(app.state.parks.values()))
    x, y = parcel_tile_of(store, 16)
    path = f"{url}/tiles/16/{x}/{y}.mvt"
    for accept in ("gzip", "identity"):
        cut = requests.get(f"{path}?gcj=false", headers={"Accept-Encoding": accept}, timeout=60)
        kept = requests.get(path, headers={"Accept-Encoding": accept}, timeout=60)
        assert cut.status_code == kept.status_code == 200
        assert cut.content == kept.content and {h: cut.headers.get(h) for h in SAME} == {
            h: kept.headers.get(h) for h in SAME
        }
    assert (cut.headers.get("content-encoding"), kept.headers["cache-control"]) == (None, "no-cache")

    def refuse() -> int:
        raise AssertionError("the route answered")

    monkeypatch.setattr(state, "sync", refuse)  # from here only the shortcut may answer
    again = requests.get(path, headers={"Accept-Encoding": "identity"}, timeout=60)
    assert again.status_code == 200 and again.content == cut.content
    unchanged = requests.get(path, headers={"If-None-Match": cut.headers["etag"]}, timeout=60)
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == cut.headers["etag"]
    assert unchanged.headers["cache-control"] == "no-cache"


def test_a_tile_kept_before_an_edit_is_never_answered_after_it(served, backend):
    url, _, store = served
    x, y = parcel_tile_of(store, 16)
    path = f"{url}/tiles/16/{x}/{y}.mvt"
    before = requests.get(path, timeout=60)
    assert requests.get(path, timeout=60).content == before.content  # kept
    assert fill_of(before) == "#fdae61"  # two items missing
    row = store.read_parcels().set_index("parcel_id", drop=False).loc[[STEEL_PARCEL]]
    store.write_columns(row, pd.DataFrame({"ready": [True], "missing": [None]}, index=row.index), by="another")
    after = requests.get(path, timeout=60)
    assert fill_of(after) == "#1a9641" and after.headers["etag"] != before.headers["etag"]
    stale = requests.get(path, headers={"If-None-Match": before.headers["etag"]}, timeout=60)
    assert stale.status_code == 200 and stale.content == after.content
    if backend == "postgis":  # another client's plain SQL, through the edit triggers
        from tests.store.conftest import pg_connect

        with pg_connect(store) as conn:
            conn.execute(
                f'UPDATE "{store.schema}".parcels SET ready = false, missing = %s WHERE parcel_id = %s',
                ("gas,heat,power,water,road", STEEL_PARCEL),
            )
        assert fill_of(requests.get(path, timeout=60)) == "#d73027"  # five items missing


def test_a_server_that_needs_a_token_to_read_answers_no_kept_tile_without_one(backend, demo_park, tmp_path, request):
    store = park_copy(backend, demo_park, tmp_path, request)
    url, server, thread = serve(create_app(store, tokens=TOKENS, read_needs_token=True))
    try:
        x, y = parcel_tile_of(store, 16)
        token = {"Authorization": f"Bearer {next(iter(TOKENS))}"}
        assert requests.get(f"{url}/tiles/16/{x}/{y}.mvt", headers=token, timeout=60).status_code == 200
        assert requests.get(f"{url}/tiles/16/{x}/{y}.mvt", timeout=60).status_code == 401
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()
        if backend == "postgis":
            from tests.store.conftest import drop_all_parks

            drop_all_parks(request.getfixturevalue("postgis_url"))


def parcel_tile_of(store, z: int) -> tuple[int, int]:
    class _Api:
        pass

    api = _Api()
    api.store = store
    return parcel_tile(api, STEEL_PARCEL, z)


def fill_of(answer: requests.Response) -> str:
    assert answer.status_code == 200, answer.text
    features = decode(answer.content)["parcels"]["features"]
    return next(f["properties"]["fill"] for f in features if f["properties"]["parcel_id"] == STEEL_PARCEL)
