"""A parcel's shape is read by readiness (its taps, frontage and terrain, its area for a default load) and its
area by idle land (the developed third): an edit of either leaves the stored result stale until it runs again."""

from __future__ import annotations

import shapely

from planner.analysis import freshness, update_readiness
from planner.api.recompute import Recomputes
from tests.store.test_readiness_incremental import _check_same, _random_park


def test_a_moved_shape_makes_readiness_stale_until_it_runs_again(park_uri):
    store = _random_park(park_uri, 1)
    update_readiness(store, by="test")
    pid = store.read_parcels()["parcel_id"].tolist()[0]
    row = store.get_parcel(pid)
    # moved 7 m east and 3 m north: the planar area is the same, only the shape (and its ellipsoidal area) changed
    moved = shapely.affinity.translate(row.geometry, xoff=7.0, yoff=3.0)
    store.update_parcel(pid, {"geometry": moved}, version=int(row["version"]), by="test")
    stale = freshness(store)
    assert not stale.current
    assert stale.changed == "parcels" and pid in stale.detail and "geometry" in stale.detail
    _check_same(store, update_readiness(store, by="test"))
    assert freshness(store).current


def test_an_edit_of_a_shape_or_an_area_runs_readiness_and_idle_land_again():
    assert Recomputes.needed({"geometry"})
    assert Recomputes.needed({"area_m2"}) and Recomputes.needed({"area_mu"})
    assert not Recomputes.needed({"holder"})
