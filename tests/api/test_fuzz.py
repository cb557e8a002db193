"""Schemathesis fuzzes the API against its own OpenAPI document (a bounded number of examples)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    status_code_conformance,
)

from planner.api import create_app  # noqa: E402
from tests.api.conftest import EDITOR, TOKENS, park_copy, serve  # noqa: E402


@pytest.fixture(scope="module")
def live(demo_park, tmp_path_factory, request):
    store = park_copy("gpkg", demo_park, tmp_path_factory.mktemp("fuzz"), request)
    url, server, thread = serve(create_app(store, tokens=TOKENS, max_body_bytes=200_000))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def not_a_server_error(ctx, response, case):
    """No 5xx, and never a stack trace in what the client reads."""
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.content[:300]!r}"
    assert b"Traceback" not in response.content  # bytes: downloads are binary (GeoPackage, zip) or GBK text


def test_the_api_holds_against_its_openapi(live):
    schema = schemathesis.openapi.from_url(f"{live}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert (
        len(operations) == 22
    )  # every route of the API, the map at /, the vector tiles, the desk, the search and the local basemap included
    for operation in operations:

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case):
            # with an editor's token, so that edits get past authentication into validation and versions
            case.call_and_validate(
                headers=EDITOR,
                checks=[not_a_server_error, status_code_conformance, content_type_conformance],
                timeout=120,
            )

        check()
