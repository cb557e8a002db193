"""Readiness after a parcel edit, worked out again for the rows the edit can reach, on every backend.

Each edit (a declared power load, a declared item, a status, a shape) goes through the store,
then readiness runs with the graphs and the last result kept (:func:`planner.analysis.update_readiness`
on the same store object) and writes back. The result must be exactly what a fresh run (a new
store object, nothing kept) gives, the rows written what a fresh run would write; and the
rows worked out again must be those the edit can reach: the edited parcel and the parcels
served by a source whose load it changed.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import shapely

from planner.analysis import _declared_true_since, _kept, graph_cache, readiness_inputs, readiness_of, update_readiness
from planner.parcels.readiness import READINESS_COLUMNS
from planner.store import GeoPackageStore, copy_park, open_store
from tests.buildout.park import line, parcel, source, write_park

NETS = ("road", "water", "power")


EDITS = (
    {"power_kva": 2500.0},
    {"status": "under_construction"},
    {"declared_water": False},
    {"declared_road": True, "water_m3d": 60.0},
    {"status": "reserved", "power_kva": None},
)
"""Edits of readiness inputs, one of each kind: a load, a status, a declared item, two at once, a load cleared."""


def _fresh(store):
    """Readiness from a new store object: nothing kept, every row worked out."""
    if isinstance(store, GeoPackageStore):
        other = open_store(store.path)
    else:
        other = open_store(store.location, folder=store.folder)  # where its DEM lies
    try:
        return readiness_of(readiness_inputs(other)), other.read_parcels()
    finally:
        other.close()


def _check_same(store, run) -> None:
    """``run`` (incremental, written) equals a fresh full run, and the stored columns are the fresh ones."""
    fresh, stored = _fresh(store)
    pd.testing.assert_frame_equal(run.readiness.table, fresh.readiness.table, check_exact=True)
    pd.testing.assert_frame_equal(run.readiness.disagreements, fresh.readiness.disagreements, check_exact=True)
    assert set(run.coverage) == set(fresh.coverage)
    for net, coverage in fresh.coverage.items():
        pd.testing.assert_frame_equal(run.coverage[net].table, coverage.table, check_exact=True)
        pd.testing.assert_frame_equal(run.coverage[net].sources, coverage.sources, check_exact=True)
    table = fresh.readiness.table.reindex(stored["parcel_id"])
    for column in READINESS_COLUMNS:  # what is stored is what a full run gives
        want, got = table[column].astype(object).to_numpy(), stored[column].astype(object).to_numpy()
        assert all((pd.isna(w) and pd.isna(g)) or w == g for w, g in zip(want, got, strict=True)), column


def _edit(store, pid: str, changes: dict) -> None:
    row = store.get_parcel(pid)
    store.update_parcel(pid, changes, version=int(row["version"]), by="test")


def _random_park(park_uri, seed: int):
    """A grid of roads with water and power mains beside them, four sources of tight capacity, random parcels."""
    rng = np.random.default_rng(seed)
    roads, water, power = [], [], []
    for k in range(5):  # a 4 × 4 block grid, 200 m blocks
        at = 200.0 * k
        roads += [line(f"R-H{k}", (0, at), (800, at)), line(f"R-V{k}", (at, 0), (at, 800))]
        water += [line(f"W-H{k}", (0, at - 6), (800, at - 6))]
        power += [line(f"E-V{k}", (at + 6, 0), (at + 6, 800))]
    sources = [
        source("GW", "gateway", "road", 0, 0),
        source("WW1", "waterworks", "water", 0, -6, capacity_m3d=float(rng.uniform(50, 400))),
        source("WW2", "waterworks", "water", 0, 594, capacity_m3d=float(rng.uniform(50, 400))),
        source("SS1", "substation", "power", 6, 0, capacity_kva=float(rng.uniform(2000, 20000))),
        source("SS2", "substation", "power", 606, 800, capacity_kva=float(rng.uniform(2000, 20000))),
    ]
    parcels = []
    statuses = ["reserved", "supplied", "under_construction", "in_production"]
    for bx in range(4):
        for by_ in range(4):
            if rng.random() < 0.25:
                continue
            x, y = 200.0 * bx + 15 + rng.uniform(0, 20), 200.0 * by_ + 12 + rng.uniform(0, 40)
            p = parcel(f"P{bx}{by_}", x, y, float(rng.uniform(5, 20)), status=str(rng.choice(statuses)))
            if rng.random() < 0.5:
                p["power_kva"] = float(rng.uniform(100, 3000))
            if rng.random() < 0.5:
                p["water_m3d"] = float(rng.uniform(5, 80))
            p["declared_water"] = bool(rng.random() < 0.5)
            parcels.append(p)
    return write_park(park_uri, parcels, {"road": roads, "water": water, "power": power}, sources, checklist=NETS)


@pytest.mark.parametrize("seed", [1, 2])
def test_each_edit_recomputes_what_it_reaches_and_equals_a_full_run(park_uri, seed):
    store = _random_park(park_uri, seed)
    first = update_readiness(store, by="test")
    kept = graph_cache(store)
    _check_same(store, first)
    parcels = store.read_parcels()
    rng = np.random.default_rng(seed)
    ids = parcels["parcel_id"].tolist()
    edits = EDITS
    for changes in edits:
        pid = str(rng.choice(ids))
        before = {net: first.coverage[net] for net in NETS}
        _edit(store, pid, changes)
        run = update_readiness(store, by="test")
        _check_same(store, run)
        position = ids.index(pid)
        # the checklist worked out again only for the edited parcel and the rows whose coverage changed
        reached = {position}.union(*(set(c.since[1].tolist()) for c in run.coverage.values() if c.since is not None))
        assert kept.readiness.rows is not None and set(kept.readiness.rows.tolist()) <= reached
        for net in NETS:  # worked out again: the edited parcel and those of a source whose load moved that it turns
            coverage = run.coverage[net]
            if coverage is before[net]:
                continue
            assert coverage.since is not None and coverage.since[0] == before[net].serial
            moved = before[net].sources["load"].to_numpy() != coverage.sources["load"].to_numpy()
            served = (
                before[net].table["source_id"].isin(coverage.sources.index[moved]).to_numpy()
                | coverage.table["source_id"].isin(coverage.sources.index[moved]).to_numpy()
            )
            may = set(np.flatnonzero(served | (np.arange(len(ids)) == position)).tolist())
            old, new = before[net].table, coverage.table
            turned = np.flatnonzero(
                (old["failed"].to_numpy() != new["failed"].to_numpy())
                | (old["reason"].to_numpy() != new["reason"].to_numpy())
            )
            assert set(turned.tolist()) <= set(coverage.since[1].tolist()) <= may
        first = run
    # a shape: the parcel tapped again on every network, no graph built
    builds = dict(kept.builds)
    tapped = sum(kept.tapped.values())
    pid = ids[0]
    row = store.get_parcel(pid)
    _edit(store, pid, {"geometry": shapely.affinity.translate(row.geometry, xoff=7.0, yoff=3.0)})
    run = update_readiness(store, by="test")
    assert dict(kept.builds) == builds
    assert sum(kept.tapped.values()) == tapped + len(NETS)
    _check_same(store, run)
    store.close()


def test_the_demo_park_after_edits_equals_a_full_run(demo_park, park_uri, tmp_path):
    shutil.copy(demo_park.path.parent / "dem.tif", tmp_path / "dem.tif")  # its DEM beside it: the terrain too
    store = copy_park(demo_park.path, park_uri, folder=tmp_path)
    update_readiness(store, by="test")
    parcels = store.read_parcels()
    producing = parcels[parcels["status"] == "in_production"]["parcel_id"].tolist()
    reserved = parcels[parcels["status"] == "reserved"]["parcel_id"].tolist()
    edits = [
        (producing[0], {"power_kva": 5000.0}),
        (reserved[0], {"status": "under_construction"}),
        (reserved[1], {"declared_gas": True}),
        (producing[1], {"water_m3d": 900.0, "declared_heat": False}),
    ]
    for pid, changes in edits:
        _edit(store, pid, changes)
        run = update_readiness(store, by="test")
        _check_same(store, run)
        assert graph_cache(store).readiness.rows is not None
        assert any(c.since is not None and len(c.since[1]) < len(parcels) for c in run.coverage.values())
    # a record declaring a parcel leveled after the DEM was taken prevails: the history after the last run is read
    for value in (False, True):
        _edit(store, reserved[3], {"declared_leveled": value})
        _check_same(store, update_readiness(store, by="test"))
    fresh = open_store(store.path) if isinstance(store, GeoPackageStore) else None
    if fresh is not None:  # the kept hits equal a whole read of the history
        pd.testing.assert_series_equal(
            _declared_true_since(store, "declared_leveled"), _declared_true_since(fresh, "declared_leveled")
        )
        assert reserved[3] in _declared_true_since(store, "declared_leveled").index
        fresh.close()
    terrain = _kept(store).terrain  # the DEM's terrain made once, then for no parcel (no shape changed)
    assert terrain.made == len(parcels)
    row = store.get_parcel(reserved[2])
    _edit(store, reserved[2], {"geometry": shapely.affinity.scale(row.geometry, 0.9, 0.9)})
    _check_same(store, update_readiness(store, by="test"))
    assert terrain.made == len(parcels) + 1  # the terrain of the reshaped parcel alone made again
    store.close()


def test_stored_readiness_changed_by_another_client_is_written_back(park_uri):
    """Rows compared after an edit are those the run worked out again and those changed since: a derived
    column set by plain SQL (or a run not written) is still put right by the next run."""
    from tests.store.test_external_edits import _sql

    store = _random_park(park_uri, 3)
    update_readiness(store, by="test")
    parcels = store.read_parcels()
    unready = parcels[~parcels["ready"].astype(bool)]["parcel_id"].tolist()
    ready = parcels[parcels["ready"].astype(bool)]["parcel_id"].tolist()
    assert unready and ready
    _sql(store, f"UPDATE parcels SET ready = TRUE, missing = '' WHERE parcel_id = '{unready[0]}'")
    _edit(store, ready[0], {"declared_water": False})
    run = update_readiness(store, by="test")
    _check_same(store, run)
    assert not bool(store.get_parcel(unready[0])["ready"])
    # a run not written moves the kept result on (a load far over the source's capacity: the parcels not yet
    # drawing on it fail), so the next written run, which works out one row again, still compares every row
    served = parcels["power_reason"].fillna("").str.contains("经网络").to_numpy()
    drawing = parcels[served & parcels["status"].isin(["under_construction", "in_production"])]["parcel_id"].tolist()
    _edit(store, drawing[0], {"power_kva": 1e6, "water_m3d": 1e5})
    unwritten = update_readiness(store, by="test", write=False)
    assert (
        unwritten.readiness.table["power_reason"] != store.read_parcels().set_index("parcel_id")["power_reason"]
    ).any()
    _edit(store, unready[-1], {"declared_road": True})
    _check_same(store, update_readiness(store, by="test"))
    store.close()
