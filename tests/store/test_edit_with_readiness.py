"""A parcel edit of its own readiness inputs committed with its readiness, on every backend.

Each edit goes through :meth:`planner.api.recompute.Recomputes.edit` (as ``PATCH /parcels/{id}``
does) on a store whose readiness was computed: the edit and the readiness it changes are written in
one transaction (the readiness stamp is the edit's own history row), the stored result is what a
fresh full run gives column by column, and only the rows whose values change are written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from planner.analysis import freshness, update_readiness
from planner.api.recompute import Recomputes
from planner.infra.coverage import SOURCES_KEY
from planner.parcels.validation import WHOLE_PARCEL_COLUMNS
from tests.buildout.park import line, parcel, source, write_park
from tests.conftest import writer_between
from tests.store.test_readiness_incremental import EDITS, _check_same, _fresh, _random_park

NETS = ("road", "water", "power")


def _edit(recomputes: Recomputes, pid: str, changes: dict):
    """The edit through ``recomputes``; the row as stored, and whether its readiness went with it."""
    version = int(recomputes.store.get_parcel(pid)["version"])
    row, notes = recomputes.edit(pid, changes, version=version, user="test")
    assert notes == []
    derived = row.attrs.get("derived")
    return row, derived is not None and derived.written


def _edit_stamp(store, pid: str, column: str) -> int:
    """The history id of the last edit of ``pid``'s ``column`` (not the readiness written after it)."""
    history = store.history(layer="parcels", feature_id=pid)
    # ``changes`` holds each row's changed columns (a mapping; None for a row without)
    return max(
        int(h)
        for h, changes in zip(history["history_id"], history["changes"], strict=True)
        if column in (changes or {})
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_each_edit_is_committed_with_its_readiness_and_equals_a_full_run(park_uri, seed):
    store = _random_park(park_uri, seed)
    update_readiness(store, by="test")
    recomputes = Recomputes(store)
    ids = store.read_parcels()["parcel_id"].tolist()
    rng = np.random.default_rng(seed)
    edits = [*EDITS, {"industry": "C2614"}]
    for changes in edits:
        pid = str(rng.choice(ids))
        _, inline = _edit(recomputes, pid, changes)
        # no other writer: the readiness went with the edit; a code (the industry) is checked with the whole
        # parcel, its shape too: committed alone, then the run
        assert inline == (not changes.keys() & WHOLE_PARCEL_COLUMNS), changes
        fresh = freshness(store)
        assert fresh.current, fresh.message()
        # the readiness stamp is the edit's own history row: the edit and its readiness in one transaction
        assert int(store.metadata()["readiness_stamp"]) == _edit_stamp(store, pid, next(iter(changes)))
        full, stored = _fresh(store)
        table = full.readiness.table.reindex(stored["parcel_id"])
        for column in table.columns:
            want, got = table[column].astype(object).to_numpy(), stored[column].astype(object).to_numpy()
            assert all((pd.isna(w) and pd.isna(g)) or w == g for w, g in zip(want, got, strict=True)), (changes, column)
    assert update_readiness(store, by="test").report.updated == 0  # the edits left nothing to write
    # a shape moved: no inline path (the taps are searched again); the edit, then the run, equal to a full run
    pid = ids[0]
    row = store.get_parcel(pid)
    moved = shapely.affinity.translate(row.geometry, xoff=7.0, yoff=3.0)
    store.update_parcel(pid, {"geometry": moved}, version=int(row["version"]), by="test")
    _check_same(store, update_readiness(store, by="test"))


def _na(value) -> bool:
    return value is None or value != value


def _flip_park(park_uri):
    """One substation of 1,000 kVA along a power line; P0 draws on it, P1 (20 mu) and P2 (5 mu) wait for room.

    With the coincidence factor 0.45 and the default 40 kVA/mu: P0 declared 1,000 kVA loads 450, leaving
    550; P1 needs 20 × 40 × 0.45 = 360 and P2 5 × 40 × 0.45 = 90: both fit.
    """
    power = [line("E1", (6, 0), (6, 800))]
    producing = parcel("P0", 15, 10, 10.0, status="in_production")
    producing["power_kva"] = 1000.0
    parcels = [producing, parcel("P1", 15, 150, 20.0), parcel("P2", 15, 300, 5.0)]
    sources = [source("SS", "substation", "power", 6, 0, capacity_kva=1000.0)]
    return write_park(park_uri, parcels, {"power": power}, sources, checklist=("power",))


def test_a_load_edit_turns_the_verdict_of_another_parcel_of_its_source(park_uri):
    store = _flip_park(park_uri)
    update_readiness(store, by="test")
    before = store.read_parcels().set_index("parcel_id")
    assert before["power"].astype(bool).tolist() == [True, True, True]
    recomputes = Recomputes(store)
    # P0 to 1,500 kVA: load 675, 325 left, under P1's 360 (P2's 90 still fits)
    _, inline = _edit(recomputes, "P0", {"power_kva": 1500.0})
    assert inline
    after = store.read_parcels().set_index("parcel_id")
    assert after["power"].astype(bool).tolist() == [True, False, True]
    assert after.loc["P1", "power_reason"] == "[计算] SS容量不足：剩余容量不够本地块所需 360 kVA"
    assert not bool(after.loc["P1", "ready"]) and after.loc["P1", "missing"] == "power"
    # the rows written: P0's edit (its own readiness the same) and P1's turn; P2 untouched
    assert after.loc["P0", "power_reason"] == before.loc["P0", "power_reason"]
    assert (after["version"] - before["version"]).tolist() == [1, 1, 0]
    ((sid, _name, capacity, load, left),) = store.metadata()[SOURCES_KEY]["power"]
    assert (sid, capacity, load, left) == ("SS", 1000.0, pytest.approx(675.0), pytest.approx(325.0))
    assert freshness(store).current
    # and back: P1 fits again
    _, inline = _edit(recomputes, "P0", {"power_kva": 1000.0})
    assert inline and store.read_parcels().set_index("parcel_id")["power"].astype(bool).tolist() == [True] * 3
    _check_same(store, update_readiness(store, by="test"))


def test_an_edit_made_after_another_writer_is_followed_by_the_run(park_uri):
    """A writer between the readiness worked out and the edit's transaction: the edit alone, then the run."""
    store = _flip_park(park_uri)
    update_readiness(store, by="test")
    recomputes = Recomputes(store)
    with writer_between(store, "P2", {"holder": "乙"}):  # another writer commits meanwhile
        version = int(store.get_parcel("P0")["version"])
        row, notes = recomputes.edit("P0", {"power_kva": 1500.0}, version=version, user="test")
    assert not row.attrs["derived"].written and notes == []
    assert freshness(store).current  # the run after it
    after = store.read_parcels().set_index("parcel_id")
    assert after["power"].astype(bool).tolist() == [True, False, True]
    _check_same(store, update_readiness(store, by="test"))
