"""A copied park keeps what its change stamps say: current stays current, stale stays stale (planner.store.copy)."""

from __future__ import annotations

from planner.analysis import freshness, update_readiness
from planner.store import copy_park
from tests.conftest import grid_parcels
from tests.store.test_external_edits import _sql


def test_a_copy_keeps_its_stamps_when_the_source_history_has_gaps(store, tmp_path):
    store.write_parcels(grid_parcels(3), by="张工")
    store.write_parcels(grid_parcels(3, status=["planned"] * 3), by="张工")  # more history before the result
    update_readiness(store, by="规划科")
    stamp = int(store.metadata()["readiness_stamp"])
    current = copy_park(store, tmp_path / "current.gpkg")
    assert freshness(current).current
    row = store.get_parcel("P001")
    store.update_parcel("P001", {"status": "supplied"}, version=int(row["version"]), by="张工")
    # ids before the stamp left unused, as a rolled-back write leaves them: the copy numbers its rows afresh
    _sql(store, f"DELETE FROM history WHERE history_id < {stamp}")
    assert store.change_stamp() - stamp <= stamp - 1  # renumbered naively, the edit would fall before the stamp
    stale = freshness(store)
    assert not stale.current and stale.detail == "parcel 'P001': status"
    copied = copy_park(store, tmp_path / "stale.gpkg")
    assert copied.history()["history_id"].tolist() == list(range(1, len(store.history()) + 1))
    assert freshness(copied) == stale
    assert int(copied.metadata()["readiness_stamp"]) == 1  # the result's own row is now the copy's first
