"""All networks of a park at once: the same results in one process or several."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
import shapely.affinity

from planner.infra.coverage import network_coverage
from planner.infra.graphs import GraphCache, network_fingerprint, shape_hashes
from planner.infra.layers import line_layer
from planner.infra.network import build_network
from planner.infra.park import park_coverage
from planner.store import open_store
from planner.vocab import NETWORK_ITEMS


def _inputs(demo_park):
    """The demo park's parcels, sources, line layers, network settings and power factor."""
    store = open_store(demo_park.path)
    config = store.config()
    lines = {net: store.read_layer(line_layer(net)) for net in NETWORK_ITEMS}
    settings = {net: config.networks[net] for net in NETWORK_ITEMS}
    return (
        store.read_parcels(),
        store.read_layer("sources"),
        lines,
        settings,
        config.threshold("power_coincidence_factor"),
    )


def test_processes_give_the_results_of_one_network_after_the_other(demo_park):
    parcels, sources, lines, settings, factor = _inputs(demo_park)
    seen: list[str] = []
    alone = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=1)
    shared = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=2, progress=seen.append)
    assert seen == list(NETWORK_ITEMS)
    for net in NETWORK_ITEMS:
        network = build_network(net, lines[net], sources)
        direct = network_coverage(
            network,
            parcels,
            service_distance_m=settings[net]["service_distance_m"],
            service_radius_m=settings[net]["service_radius_m"],
            power_factor=factor,
        )
        for run in (alone[net], shared[net]):
            assert run.edges == len(network.edges)
            assert [str(p) for p in run.problems] == [str(p) for p in network.problems]
            pd.testing.assert_frame_equal(run.coverage.table, direct.table)
            pd.testing.assert_frame_equal(run.coverage.sources, direct.sources)


def test_kept_graphs_built_in_processes_are_reused_with_the_same_results(demo_park):
    parcels, sources, lines, settings, factor = _inputs(demo_park)
    alone = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=1)
    kept = GraphCache()
    first = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=2, cache=kept)
    assert dict(kept.builds) == dict.fromkeys(NETWORK_ITEMS, 1)  # built in the workers, kept in this process
    assert dict(kept.tapped) == {net: len(parcels) for net in NETWORK_ITEMS}
    records = parcels.copy()  # an edit of the records alone: no tap, load or demand changes, so no coverage does
    records["declared_water"] = ~records["declared_water"].astype("boolean").fillna(False)
    same = park_coverage(records, lines, sources, settings, power_factor=factor, cache=kept)
    assert all(same[net].coverage is first[net].coverage for net in NETWORK_ITEMS)
    moved = lines["gas"].copy()
    moved.geometry = moved.geometry.translate(xoff=5.0)
    again = park_coverage(parcels, {**lines, "gas": moved}, sources, settings, power_factor=factor, cache=kept)
    assert dict(kept.builds) == {net: 1 + (net == "gas") for net in NETWORK_ITEMS}
    changed = park_coverage(parcels, {**lines, "gas": moved}, sources, settings, power_factor=factor, workers=1)
    for net in NETWORK_ITEMS:
        pd.testing.assert_frame_equal(first[net].coverage.table, alone[net].coverage.table)
        pd.testing.assert_frame_equal(again[net].coverage.table, changed[net].coverage.table)
        assert [str(p) for p in again[net].problems] == [str(p) for p in changed[net].problems]
    assert not again["gas"].coverage.table.equals(alone["gas"].coverage.table)  # the move did change gas


def test_kept_shape_hashes_are_those_of_the_shapes_hashed_anew():
    square = shapely.box(0, 0, 10, 10)
    geoms = np.array([square, shapely.box(20, 0, 30, 10), None, shapely.box(40, 0, 50, 10)], dtype=object)
    cache = GraphCache()
    first = cache.shape_hashes(geoms)
    assert first.tolist() == shape_hashes(geoms).tolist()
    moved = geoms.copy()
    moved[1] = shapely.affinity.translate(geoms[1], xoff=1.0)  # a new shape in row 1
    moved[3] = shapely.box(40, 0, 50, 10)  # a new object of the same shape in row 3
    moved[2] = square  # a row that held none now holds the shape of row 0
    again = cache.shape_hashes(moved)
    assert again.tolist() == shape_hashes(moved).tolist()
    assert again[1] != first[1] and again[3] == first[3] and again[2] == first[0]


def test_graphs_on_disk_are_not_stale_and_read_where_the_run_is(demo_park, tmp_path):
    """A new process's cache (a server started again, a CLI command) finds the graphs the last one wrote: none is
    built, none is worked out in another process, and the results are those of the run that built them."""
    parcels, sources, lines, settings, factor = _inputs(demo_park)
    first = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=1, cache=GraphCache(tmp_path))
    fresh = GraphCache(tmp_path)
    prints = {net: network_fingerprint(net, lines[net], sources) for net in NETWORK_ITEMS}
    assert not any(fresh.stale(net, prints[net]) for net in NETWORK_ITEMS)
    moved = lines["gas"].copy()
    moved.geometry = moved.geometry.translate(xoff=5.0)
    assert fresh.stale("gas", network_fingerprint("gas", moved, sources))  # nothing kept of those lines
    again = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=2, cache=fresh)
    assert dict(fresh.loaded) == dict.fromkeys(NETWORK_ITEMS, 1) and not any(fresh.builds.values())
    for net in NETWORK_ITEMS:
        pd.testing.assert_frame_equal(again[net].coverage.table, first[net].coverage.table)
    gone = GraphCache(tmp_path / "elsewhere")  # no file: every network is built anew
    assert all(gone.stale(net, prints[net]) for net in NETWORK_ITEMS)


def test_kept_parcel_shapes_take_the_edited_parcels_only_and_equal_those_made_anew(demo_park, monkeypatch):
    """After a parcel edit, the shapes kept for the next line edit are spliced: only the edited parcels' are made
    (the calls are counted), and they are, array for array, those made anew for the whole park."""
    import planner.infra.graphs as graphs
    from planner.infra.taps import parcel_shapes

    made: list[int] = []
    monkeypatch.setattr(graphs, "parcel_shapes", lambda frame: made.append(len(frame)) or parcel_shapes(frame))
    parcels = _inputs(demo_park)[0]
    cache = GraphCache()
    cache.parcel_shapes(parcels, cache.shape_hashes(parcels.geometry.to_numpy())).boxes(40.0)
    edited = parcels.copy()
    edited.loc[edited.index[[3, 40]], "geometry"] = shapely.affinity.translate(parcels.geometry.iloc[3], yoff=2.0)
    got = cache.parcel_shapes(edited, cache.shape_hashes(edited.geometry.to_numpy()))
    assert made == [len(parcels), 2]
    fresh = parcel_shapes(edited)
    assert np.array_equal(got.bounds, fresh.bounds) and shapely.equals(got.boxes(40.0), fresh.boxes(40.0)).all()
    for name in ("count", "start", "x", "y", "ux", "uy", "side", "steps", "inc"):
        assert np.array_equal(getattr(got.rings, name), getattr(fresh.rings, name)), name
    moved = edited.copy()  # more than a quarter of the parcels moved: made anew
    moved["geometry"] = moved.geometry.translate(xoff=1.0)
    cache.parcel_shapes(moved, cache.shape_hashes(moved.geometry.to_numpy()))
    assert made == [len(parcels), 2, len(parcels)]
