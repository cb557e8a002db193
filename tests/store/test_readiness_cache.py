"""Graphs kept between readiness runs (planner.infra.graphs, planner.analysis.graph_cache), on every backend.

The park: a trunk road from a gateway at x = 0, three parcels 10 m north of it (A at
x 110, B at 410, C at 710), a water main 5 m south of the road in two sections, W1
(0–500 m, from the waterworks at x = 0) and W2 (500–1000 m). Water's service distance is
60 m: every parcel is 15 m from its section; the road's 30 m: every parcel is 10 m from it.
Each edit is checked two ways: what the kept graphs give equals what a new store object
(nothing kept) gives, and the builds and taps counted say what was made again.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from planner.analysis import graph_cache, readiness_inputs, readiness_of, update_readiness
from planner.store import GeoPackageStore, open_store
from tests.buildout.park import line, parcel, source, write_park
from tests.conftest import GK, X0, Y0
from tests.store.test_external_edits import _sql

PARCELS = [parcel("A", 110, 10, 10), parcel("B", 410, 10, 10), parcel("C", 710, 10, 10)]
ROADS = [line("TRUNK", (0, 0), (1000, 0))]
WATER = [line("W1", (0, -5), (500, -5)), line("W2", (500, -5), (1000, -5))]
SOURCES = [source("GW", "gateway", "road", 0, 0), source("WW", "waterworks", "water", 0, -5, capacity_m3d=1e6)]


def _park(park_uri):
    """The park at ``park_uri`` (a .gpkg path, or the test database), readiness computed and written."""
    return write_park(park_uri, PARCELS, {"road": ROADS, "water": WATER}, SOURCES, checklist=("road", "water"))


def _fresh(store):
    """Readiness from a new store object: nothing kept, every graph built and every parcel tapped."""
    other = open_store(store.path if isinstance(store, GeoPackageStore) else store.location)
    try:
        return readiness_of(readiness_inputs(other))
    finally:
        other.close()


def _same(run, fresh) -> None:
    pd.testing.assert_frame_equal(run.readiness.table, fresh.readiness.table)
    for net, coverage in fresh.coverage.items():
        pd.testing.assert_frame_equal(run.coverage[net].table, coverage.table)


def test_kept_graphs_answer_as_a_fresh_run_after_each_kind_of_edit(park_uri):
    store = _park(park_uri)
    first = update_readiness(store, by="test", write=False)
    kept = graph_cache(store)
    assert dict(kept.builds) == {"road": 1, "water": 1}  # the other five layers hold no line
    assert dict(kept.tapped) == {"road": 3, "water": 3}
    assert first.readiness.table["water"].tolist() == [True, True, True]
    _same(first, _fresh(store))

    # a parcel's records: every graph and every tap kept
    row = store.get_parcel("A")
    store.update_parcel("A", {"status": "supplied"}, version=int(row["version"]), by="test")
    run = update_readiness(store, by="test", write=False)
    assert dict(kept.builds) == {"road": 1, "water": 1}
    assert dict(kept.tapped) == {"road": 3, "water": 3}
    _same(run, _fresh(store))

    # a line edited with plain SQL (the triggers move the change stamp): water built again, the road kept
    _sql(store, "UPDATE water_lines SET in_service = FALSE WHERE line_id = 'W2'")
    run = update_readiness(store, by="test", write=False)
    assert dict(kept.builds) == {"road": 1, "water": 2}
    assert dict(kept.tapped) == {"road": 3, "water": 6}  # a new water graph: every parcel tapped on it
    assert run.readiness.table["water"].tolist() == [True, True, False]  # C's section is out of service
    assert run.readiness.table.loc["C", "water_reason"].startswith("[计算] 最近的给水线路距地块")
    _same(run, _fresh(store))

    # a parcel's shape: only that parcel tapped again, no graph built
    row = store.get_parcel("B")
    moved = shapely.affinity.translate(row.geometry, yoff=100.0)  # now 110 m from the road, 115 m from W1
    store.update_parcel("B", {"geometry": moved}, version=int(row["version"]), by="test")
    run = update_readiness(store, by="test", write=False)
    assert dict(kept.builds) == {"road": 1, "water": 2}
    assert dict(kept.tapped) == {"road": 4, "water": 7}
    assert run.readiness.table["road"].tolist() == [True, False, True]
    _same(run, _fresh(store))

    # a line edited through the store: W2 back in service and longer
    lines = store.read_layer("water_lines")
    lines["in_service"] = True
    lines.loc[lines["line_id"] == "W2", "geometry"] = shapely.LineString([(X0 + 500, Y0 - 5), (X0 + 1200, Y0 - 5)])
    store.write_layer("water_lines", gpd.GeoDataFrame(lines, geometry="geometry", crs=GK), by="test")
    run = update_readiness(store, by="test", write=False)
    assert dict(kept.builds) == {"road": 1, "water": 3}
    assert run.readiness.table["water"].tolist() == [True, False, True]
    _same(run, _fresh(store))
    store.close()


def test_a_source_edited_with_sql_builds_its_network_again(park_uri):
    store = _park(park_uri)
    update_readiness(store, by="test", write=False)
    kept = graph_cache(store)
    _sql(store, "UPDATE sources SET in_service = FALSE WHERE source_id = 'WW'")
    run = update_readiness(store, by="test", write=False)
    assert dict(kept.builds) == {"road": 1, "water": 2}
    assert run.readiness.table["water"].tolist() == [False, False, False]  # no live waterworks
    _same(run, _fresh(store))
    store.close()


def test_graphs_kept_on_disk_are_read_by_another_process_until_a_line_changes(tmp_path):
    """A new store object (as a new process has) reads the graphs a first one built; an SQL edit of a line is seen."""
    store = _park(tmp_path / "park.gpkg")
    update_readiness(store, by="test", write=False)
    assert dict(graph_cache(store).builds) == {"road": 1, "water": 1}
    store.close()

    again = open_store(tmp_path / "park.gpkg")  # nothing kept in memory
    run = update_readiness(again, by="test", write=False)
    kept = graph_cache(again)
    assert dict(kept.builds) == {} and dict(kept.loaded) == {"road": 1, "water": 1}
    nothing_kept = readiness_of(readiness_inputs(again))  # no graph cache at all
    _same(run, nothing_kept)

    _sql(again, "UPDATE water_lines SET in_service = FALSE WHERE line_id = 'W2'")
    again.close()
    third = open_store(tmp_path / "park.gpkg")
    run = update_readiness(third, by="test", write=False)
    kept = graph_cache(third)
    assert dict(kept.builds) == {"water": 1} and dict(kept.loaded) == {"road": 1}  # the water graph on disk is stale
    assert run.readiness.table["water"].tolist() == [True, True, False]
    _same(run, readiness_of(readiness_inputs(third)))
    third.close()


def test_a_folder_that_cannot_take_graphs_keeps_none_and_fails_nothing(tmp_path):
    """Graphs kept where no folder can be made (a file is in the way): built, used, nothing written, no error."""
    from planner.infra.graphs import GraphCache
    from planner.infra.layers import line_layer

    store = _park(tmp_path / "park.gpkg")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the graphs would go")
    cache = GraphCache(blocker / "graphs")
    network = cache.network("water", store.read_layer(line_layer("water")), store.read_layer("sources"))
    assert network is not None and len(network.edges) == 2 and dict(cache.builds) == {"water": 1}
    assert blocker.is_file() and not list(tmp_path.rglob("*.part"))  # nothing half-written left behind
    store.close()
