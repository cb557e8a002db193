"""/stats and /idle from the few columns they read: the same answers as from the loaded park, on both backends."""

from __future__ import annotations

import math

import pytest

from planner.api.deps import ParcelFilters, select
from planner.api.geojson import feature_collection
from planner.api.routes.idle import idle_parcels
from planner.api.routes.stats import park_stats, park_stats_of
from planner.api.state import ParkState
from tests.api.conftest import park_copy


@pytest.fixture
def state(backend, demo_park, tmp_path, request):
    store = park_copy(backend, demo_park, tmp_path, request)
    yield ParkState(store)
    store.close()
    if backend == "postgis":
        from tests.store.conftest import drop_all_parks

        drop_all_parks(request.getfixturevalue("postgis_url"))


def same(a, b) -> bool:
    """Equal, NaN equal to NaN (an indicator without figures)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def test_stats_from_columns_are_the_loaded_parks(state):
    got = park_stats(state)
    assert state.parcels is None  # the park was not loaded for it
    want = park_stats_of(state, state.current())
    assert same(got, want)
    assert got["parcels"] == len(state.current()) and sum(got["evaluation"].values()) > 0
    assert any(i["value"] is not None for i in got["indicators"])


def test_idle_land_from_its_column_is_the_loaded_parks(state):
    got = idle_parcels(state)
    assert state.parcels is None
    want = select(state, ParcelFilters(idle=True))
    assert len(got) == len(want) > 0
    assert feature_collection(got) == feature_collection(want)
