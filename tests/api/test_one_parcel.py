"""One parcel (``GET /parcels/{id}``) and an edit's answer, read without a frame: the same JSON as from one.

Both are now written straight from the stored row (SQLite's values or PostgreSQL's JSON, as a page of
``/parcels`` is); they must give, value for value, what the route gave when it made a frame of the row
and wrote it with :func:`~planner.api.geojson.feature_collection`, which is worked out here independently.
"""

from __future__ import annotations

import json

import pytest

from planner.api.geojson import feature_collection
from planner.api.routes.idle import stage_label
from planner.infra.coverage import reasons_with_sources
from tests.api.conftest import EDITOR


def from_frame(store, pid: str) -> dict:
    """The parcel as the route wrote it from a frame of its row (JSON round trip: what a client reads), each
    reason with what its source has left (kept with the readiness)."""
    row = reasons_with_sources(store.read_parcels(parcel_ids=[pid]).reset_index(drop=True), store.metadata())
    feature = feature_collection(row)["features"][0]
    feature["properties"]["disposal_stage_zh"] = stage_label(row["disposal_stage"]).iloc[0]
    return json.loads(json.dumps(feature, ensure_ascii=False))


def test_one_parcel_is_written_as_from_its_frame(api):
    ids = sorted(api.store.read_parcels()["parcel_id"])
    idle = [f["id"] for f in api.get("/parcels", params={"idle": "true", "limit": 3}).json()["features"]]
    for pid in {*ids[:: max(len(ids) // 12, 1)], *idle}:  # a spread of parcels, idle ones (a disposal stage) too
        got = api.get(f"/parcels/{pid}")
        assert got.status_code == 200
        assert got.json() == from_frame(api.store, pid), pid
        assert got.headers["etag"] == f'"{got.json()["properties"]["version"]}"'


@pytest.mark.parametrize("body", [{"holder": "新主体有限公司"}, {"power_kva": 4321.5}])
def test_an_edits_answer_is_the_stored_row_as_from_its_frame(api, body):
    pid = "341103003016GB00002"
    version = api.get(f"/parcels/{pid}").headers["etag"]
    done = api.patch(f"/parcels/{pid}", json=body, headers=EDITOR | {"If-Match": version})
    assert done.status_code == 200, done.text
    answer = done.json()
    assert isinstance(answer.pop("notes"), list)
    expected = from_frame(api.store, pid)
    del expected["properties"]["disposal_stage_zh"]  # the edit's answer never carried the label
    assert answer == expected
    assert done.headers["etag"] == f'"{expected["properties"]["version"]}"' != version
    ((column, value),) = body.items()
    assert answer["properties"][column] == value


def test_an_unknown_parcel_is_still_404(api):
    missing = api.get("/parcels/NOPE")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "parcel_id"
