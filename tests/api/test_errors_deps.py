"""The error table and the dependencies on their own (the handlers on a tiny app of their own)."""

from __future__ import annotations

import pytest
import requests
from fastapi import FastAPI

from planner.api.deps import ParcelFilters, Status, parse_bbox
from planner.api.errors import DEFAULT_STATUS_CODES, ApiError, add_exception_handlers, api_error_of
from planner.api.routes.infra import Network
from planner.errors import (
    ConfigError,
    CRSError,
    FilterError,
    ParcelNotFoundError,
    PlannerError,
    Problem,
    StaleResultError,
    StoreError,
    StoreLockedError,
    ValidationError,
    VersionConflictError,
)
from planner.siting import ProjectError
from planner.vocab import NETWORKS, STATUSES
from tests.api.conftest import serve


def test_the_enums_are_the_shared_words():
    assert [s.value for s in Status] == list(STATUSES)
    assert [n.value for n in Network] == list(NETWORKS)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (ParcelNotFoundError("no parcel 'X'"), 404),
        (VersionConflictError("X", 2, 3), 409),
        (StaleResultError("readiness is stale"), 409),
        (StoreLockedError("the park is locked"), 503),
        (ValidationError([Problem("error", "X", "status", "bad")]), 422),
        (ProjectError([Problem("error", None, "land_mu", "bad")], what="project"), 422),  # a ValidationError
        (FilterError("`industry` bad"), 400),
        (ConfigError("bad"), 400),
        (CRSError("no CRS"), 400),  # a PlannerError and a ValueError: the table's ValueError, not PlannerError's 500
        (StoreError("disk full"), 503),  # the store cannot be written now: said plainly, not a 500
        (PlannerError("odd"), 500),
    ],
)
def test_the_most_specific_class_of_an_error_decides_its_status(error, status):
    assert api_error_of(error, DEFAULT_STATUS_CODES).status == status


def test_what_an_error_tells_beyond_its_status():
    conflict = api_error_of(VersionConflictError("X", 2, 3), DEFAULT_STATUS_CODES)
    assert conflict.headers == {"ETag": '"3"'} and conflict.field == "If-Match"
    locked = api_error_of(StoreLockedError("the park is locked"), DEFAULT_STATUS_CODES)
    assert locked.headers == {"Retry-After": "2"} and locked.message == "the park is locked; try again"
    refused = api_error_of(ValidationError([Problem("error", "X", "status", "bad")]), DEFAULT_STATUS_CODES)
    assert refused.field == "status" and refused.problems[0]["parcel_id"] == "X"
    assert api_error_of(StoreError("disk full"), DEFAULT_STATUS_CODES).message == "disk full"  # the CLI's words


@pytest.fixture(scope="module")
def raising():
    """A server whose one route raises the error named by ``?error=`` (and wants a whole number ``n``)."""
    errors = {
        "api": ApiError(400, "`bbox` bad", field="bbox"),
        "refused": ValidationError([]),
        "value": ValueError("secret detail"),
    }
    app = FastAPI()
    add_exception_handlers(app)

    @app.get("/x")
    def x(error: str, n: int = 0) -> dict:
        raise errors[error]

    url, server, thread = serve(app)
    yield lambda **params: requests.get(f"{url}/x", params=params, timeout=30)
    server.should_exit = True
    thread.join(timeout=10)


def test_every_refusal_has_the_one_error_body(raising):
    body = raising(error="api").json()
    assert body == {"error": {"status": 400, "message": "`bbox` bad", "field": "bbox"}}
    refused = raising(error="refused")
    assert refused.status_code == 422 and refused.json()["error"]["problems"] == []
    invalid = raising(error="api", n="a")
    error = invalid.json()["error"]
    assert invalid.status_code == 422 and error["field"] == "n" and error["problems"][0]["field"] == "n"
    assert "(got 'a')" in error["message"]
    plain = raising(error="value")  # not a planner error: the catch-all, naming only the class
    assert plain.status_code == 500 and "secret" not in plain.text and "ValueError" in plain.text


def test_a_box_far_from_the_zone_is_nothing_and_a_bad_one_names_bbox():
    assert parse_bbox("0,0,1,1", 4548) is None  # EPSG:4548: the zone of 117°E
    assert parse_bbox("116.9,31.9,117.1,32.1", 4548).area == pytest.approx(0.2 * 0.2 * 111e3**2 * 0.85, rel=0.1)
    with pytest.raises(ApiError, match="min > max") as raised:
        parse_bbox("118,32,117,33", 4548)
    assert raised.value.field == "bbox"


def test_filters_given_are_the_ones_asked_for():
    assert ParcelFilters().given() == {}
    given = ParcelFilters(ready=False, status=Status.reserved, min_area_mu=0.0).given()
    assert given == {"ready": False, "status": "reserved", "min_area_mu": 0.0}
