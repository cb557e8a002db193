"""A parcel edit of its own idle-land inputs committed with its idle land, on every backend.

The idle-land rules judge each parcel by its own columns, the park's configuration and the day
(:func:`planner.parcels.idle.classify_idle`), so an edit of a parcel's ``status``, dates, amounts or
disposal record, made through :meth:`planner.api.recompute.Recomputes.edit` (as ``PATCH /parcels/{id}``
makes it) on a park whose idle land was classified, carries that parcel's classification in its own
transaction (the idle stamp is the edit's own history row): idle land never reads "stale" after it, and
what is stored is what a whole-park classification gives. A ``status`` edit carries its readiness too.
"""

from __future__ import annotations

import pandas as pd
import pytest

from planner.analysis import freshness, update_idle, update_readiness
from planner.api.recompute import Recomputes
from planner.parcels.idle import IDLE_COLUMNS, classify_idle
from planner.store import GeoPackageStore, open_store
from tests.buildout.park import line, parcel, source, write_park
from tests.conftest import grid_parcels, writer_between
from tests.store.test_edit_with_readiness import _edit

AS_OF = "2024-01-01"


def _whole_park(store) -> pd.DataFrame:
    """Idle land of the whole park as stored now, classified from a new store object (nothing kept), by parcel."""
    other = open_store(store.path) if isinstance(store, GeoPackageStore) else open_store(store.location)
    try:
        return classify_idle(other.read_parcels(), other.metadata()["idle_as_of"], other.config()).table
    finally:
        other.close()


def _edit_stamp(store, pid: str, column: str) -> int:
    """The history id of the last edit of ``pid``'s ``column`` (not the results written after it)."""
    history = store.history(feature_id=pid)
    ids = [h for h, changes in zip(history["history_id"], history["changes"], strict=True) if column in changes]
    return int(max(ids))


def _check_whole_park(store) -> None:
    """The stored idle columns of every parcel are those of a whole-park classification."""
    want = _whole_park(store)
    stored = store.read_parcels().set_index("parcel_id")
    for column in IDLE_COLUMNS:
        w, g = want[column].reindex(stored.index).astype(object), stored[column].astype(object)
        assert all((pd.isna(a) and pd.isna(b)) or a == b for a, b in zip(w, g, strict=True)), (column, w, g)


def _dated_park(park_uri):
    """A substation along a power line, three parcels beside it; readiness computed, idle land as of 2024-01-01.

    P1 (supplied, 1,000 万元) was to start on 2022-06-28: one year ends Wednesday 2023-06-28, so it is idle
    (not started) from 2023-06-29, owing 20% of its price, 200 万元.
    """
    producing = parcel("P0", 15, 10, 10.0, status="in_production")
    producing |= {"power_kva": 1000.0, "holder": "甲", "contract_date": "2020-10-01",
                  "agreed_start_date": "2021-01-01", "actual_start_date": "2021-03-01"}  # fmt: skip
    supplied = parcel("P1", 15, 150, 20.0, status="supplied")
    supplied |= {"holder": "乙", "land_price_wan": 1000.0, "contract_date": "2022-01-10",
                 "agreed_start_date": "2022-06-28"}  # fmt: skip
    parcels = [producing, supplied, parcel("P2", 15, 300, 5.0)]
    sources = [source("SS", "substation", "power", 6, 0, capacity_kva=1000.0)]
    store = write_park(park_uri, parcels, {"power": [line("E1", (6, 0), (6, 800))]}, sources, checklist=("power",))
    update_idle(store, AS_OF, by="test")
    return store


def test_each_idle_input_edit_is_committed_with_its_idle_land_and_equals_a_whole_park_run(park_uri):
    store = _dated_park(park_uri)
    assert store.get_parcel("P1")["idle_rule"] == "not_started"
    recomputes = Recomputes(store)
    edits = [
        # started on 2023-09-01: idle from 2023-06-29 to 2023-08-31, the fee still owed; a status: readiness too
        ("P1", {"status": "under_construction", "actual_start_date": "2023-09-01"}),
        # supplied land to start on 2022-06-28: idle from 2023-06-29, 20% of 500 万元
        ("P2", {"status": "supplied", "holder": "丙", "contract_date": "2022-01-10",
                "agreed_start_date": "2022-06-28", "land_price_wan": 500.0}),
        ("P1", {"idle_fee_paid_wan": 200.0}),  # a record alone: not a readiness input
        ("P2", {"status": "reserved", "contract_date": None}),  # no longer supplied: not idle
    ]  # fmt: skip
    hand = [
        ("P1", None, "2023-06-29", "2023-08-31", 200.0),
        ("P2", "not_started", "2023-06-29", None, 100.0),
        ("P1", None, "2023-06-29", "2023-08-31", 200.0),
        ("P2", None, None, None, None),
    ]
    for (pid, changes), (_, rule, since, until, fee) in zip(edits, hand, strict=True):
        _, inline = _edit(recomputes, pid, changes)
        assert inline, changes
        for result in ("idle", "readiness"):
            fresh = freshness(store, result)
            assert fresh.current, fresh.message()
        # the idle stamp is the edit's own history row: the edit and its idle land in one transaction
        assert int(store.metadata()["idle_stamp"]) == _edit_stamp(store, pid, next(iter(changes)))
        row = store.get_parcel(pid)
        got = (row["idle_rule"], row["idle_since"], row["idle_until"], row["idle_fee_wan"])
        want = (rule, *(pd.Timestamp(d) if d else None for d in (since, until)), fee)
        assert all((pd.isna(w) and pd.isna(g)) or w == g for w, g in zip(want, got, strict=True)), (changes, got)
        _check_whole_park(store)
    assert store.metadata()["idle_as_of"] == AS_OF
    _, report = update_idle(store, AS_OF, by="test")
    assert report.updated == 0  # the edits left nothing to write
    assert update_readiness(store, by="test").report.updated == 0


@pytest.fixture
def idle_park(store):
    """Two supplied parcels to start on 2022-06-28 and four reserved; idle land as of 2024-01-01, no readiness."""
    store.write_parcels(
        grid_parcels(
            6,
            status=["supplied", "supplied", *["reserved"] * 4],
            holder=["甲", "乙", None, None, None, None],
            land_price_wan=[1000.0, 600.0, None, None, None, None],
            contract_date=["2022-01-10", "2022-01-10", None, None, None, None],
            agreed_start_date=["2022-06-28", "2022-06-28", None, None, None, None],
        ),
        by="setup",
    )
    update_idle(store, AS_OF, by="setup")
    return store


def test_an_idle_input_edit_made_after_another_writer_is_followed_by_the_run(idle_park):
    """A writer between the idle land worked out and the edit's transaction: the edit alone, then the run."""
    store = idle_park
    recomputes = Recomputes(store)
    _, inline = _edit(recomputes, "P000", {"agreed_start_date": "2023-03-01"})  # alone: with its idle land
    assert inline and store.get_parcel("P000")["idle_rule"] is None  # a year from 2023-03-01: not yet
    with writer_between(store, "P001", {"agreed_start_date": "2023-03-01"}):  # an idle input of another parcel
        version = int(store.get_parcel("P000")["version"])
        row, notes = recomputes.edit("P000", {"status": "reserved"}, version=version, user="test")
    assert not row.attrs["derived"].written and notes == []
    assert freshness(store, "idle").current  # the run after it, which saw the other writer's edit too
    assert store.get_parcel("P001")["idle_rule"] is None
    _check_whole_park(store)


def test_an_edit_while_idle_land_is_stale_takes_the_two_steps(idle_park):
    store = idle_park
    other = store.get_parcel("P001")  # an edit committed without its recomputation (a server that died)
    store.update_parcel("P001", {"agreed_start_date": "2023-03-01"}, version=int(other["version"]), by="other")
    assert not freshness(store, "idle").current
    version = int(store.get_parcel("P000")["version"])
    row, notes = Recomputes(store).edit("P000", {"status": "reserved"}, version=version, user="test")
    assert row.attrs["derived"] is None and notes == []  # not tried: the whole park classified after it
    assert freshness(store, "idle").current
    assert store.get_parcel("P000")["idle_rule"] is None and store.get_parcel("P001")["idle_rule"] is None
    _check_whole_park(store)
