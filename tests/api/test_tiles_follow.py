"""PostGIS tiles follow an edit: the per-mu classes of the edited parcels alone worked out again, as a fresh read."""

from __future__ import annotations

import pytest

from planner.api.routes.tiles import tile_source
from planner.api.state import ParkState
from planner.maps.postgis_tiles import ParkClasses
from tests.api.conftest import park_copy


@pytest.fixture
def state(demo_park, tmp_path, request):
    store = park_copy("postgis", demo_park, tmp_path, request)
    yield ParkState(store)
    store.close()
    from tests.store.conftest import drop_all_parks

    drop_all_parks(request.getfixturevalue("postgis_url"))


def test_classes_follow_an_edit_as_a_fresh_evaluation(state):
    store = state.store
    state.sync()
    tile_source(state)
    tiles = state.derived["tiles:postgis"]
    before = tiles.classes.series()
    producing = before.index[0]
    row = store.get_parcel(producing)
    # a producing parcel paying next to no tax and output falls to class D
    store.update_parcel(producing, {"tax_wan": 0.01, "output_wan": 0.01}, version=int(row["version"]), by="test")
    state.sync()
    tile_source(state)
    assert state.derived["tiles:postgis"] is tiles  # followed, not built again
    got = tiles.classes.series().sort_index()
    assert got.equals(ParkClasses.of(store).series().sort_index())
    assert got[producing] == "D" and (got.drop(producing) == before.drop(producing).sort_index()).all()
