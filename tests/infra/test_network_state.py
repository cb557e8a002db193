"""A network sent to another process or kept on disk comes back the same, to the last coordinate."""

from __future__ import annotations

import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity

from bench.readiness import synthetic
from planner.infra.graphs import GraphCache, network_fingerprint
from planner.infra.network import Network, build_network


def _same(got: Network, want: Network) -> None:
    assert isinstance(got.edges, gpd.GeoDataFrame)
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.edges.drop(columns="geometry")),
        pd.DataFrame(want.edges.drop(columns="geometry")),
    )
    assert list(got.edges.columns) == list(want.edges.columns)
    assert got.edges.crs == want.edges.crs
    assert shapely.equals_identical(got.edges.geometry.to_numpy(), want.edges.geometry.to_numpy()).all()
    np.testing.assert_array_equal(got.nodes, want.nodes)
    pd.testing.assert_frame_equal(got.sources, want.sources)
    assert [str(p) for p in got.problems] == [str(p) for p in want.problems]


def test_a_network_pickles_to_the_same_graph() -> None:
    _, layers, sources = synthetic(400)
    for name in ("road", "gas"):
        network = build_network(name, layers[name], sources)
        assert network is not None
        network.edge_tree  # noqa: B018 - made, and not sent
        back = pickle.loads(pickle.dumps(network, protocol=pickle.HIGHEST_PROTOCOL))
        _same(back, network)
        assert "edge_tree" not in vars(back)
        # a bent edge (a ring main's half) goes as it is too
        ring = gpd.GeoDataFrame(
            {"line_id": ["R"], "in_service": [True]},
            geometry=[shapely.LineString([(0, 0), (100, 0), (100, 100), (0, 100), (0, 0)])],
            crs=4545,
        )
        bent = build_network("road", ring)
        assert bent is not None
        _same(pickle.loads(pickle.dumps(bent)), bent)


def test_the_fingerprint_sees_every_input_the_graph_reads() -> None:
    """The same inputs give the same fingerprint; a change of any value build_network reads gives another."""
    _, layers, sources = synthetic(400)
    lines = layers["water"]
    base = network_fingerprint("water", lines, sources)
    assert network_fingerprint("water", lines.copy(), sources.copy()) == base
    changed = []
    for column, value in (("line_id", "water-x"), ("in_service", False), ("in_service", None)):
        edited = lines.copy()
        edited[column] = edited[column].astype(object)
        edited.loc[edited.index[3], column] = value
        changed.append(network_fingerprint("water", edited, sources))
    moved = lines.copy()
    moved.loc[moved.index[3], "geometry"] = shapely.affinity.translate(moved.geometry.iloc[3], xoff=0.001)
    changed.append(network_fingerprint("water", moved, sources))
    smaller = sources.copy()
    smaller.loc[smaller["network"] == "water", "capacity_m3d"] = 10.0
    changed.append(network_fingerprint("water", lines, smaller))
    renamed = sources.copy()
    renamed.loc[renamed["network"] == "water", "name"] = "另一水厂"
    changed.append(network_fingerprint("water", lines, renamed))
    other = sources.copy()  # another network's source: not read by this one
    other.loc[other["network"] == "gas", "name"] = "另一气源"
    assert network_fingerprint("water", lines, other) == base
    assert len({base, *changed}) == len(changed) + 1


def test_the_vertices_kept_from_the_noding_are_the_edges() -> None:
    """The vertices a network keeps from its noding (sent in place of its lines, and read for the taps' lookup) are
    its edges' own, by GEOS's ``to_ragged_array``: on a slanted park whose sources cut edges, and after a pickle."""
    _, layers, sources = synthetic(400, rotate_deg=17)
    cut = 0
    for name in ("road", "water", "gas"):
        network = build_network(name, layers[name], sources)
        assert network is not None
        assert "edge_coords" in vars(network)  # kept from the noding, not made again
        geoms = network.edges.geometry.to_numpy()
        kind, coords, (offsets,) = shapely.to_ragged_array(geoms)
        assert kind == shapely.GeometryType.LINESTRING
        back = pickle.loads(pickle.dumps(network))
        assert "edge_ends" in vars(back)  # read with the lines; their vertices are not held twice
        assert "edge_coords" not in vars(back)
        for got in (network, back):
            assert got.edge_coords is not None
            np.testing.assert_array_equal(got.edge_coords[0], coords)
            np.testing.assert_array_equal(got.edge_coords[1], offsets)
            first, last, count = got.edge_ends
            np.testing.assert_array_equal(first, shapely.get_coordinates(shapely.get_point(geoms, 0)))
            np.testing.assert_array_equal(last, shapely.get_coordinates(shapely.get_point(geoms, -1)))
            np.testing.assert_array_equal(count, shapely.get_num_points(geoms))
        unfed = build_network(name, layers[name])  # no source: no edge cut at one
        assert unfed is not None
        cut += len(network.edges) - len(unfed.edges)
    assert cut > 0  # some source ties in an edge's middle


def test_lines_in_3d_keep_their_z_when_sent() -> None:
    """GEOS nodes lines with a Z (numpy does not): the network keeps no 2-D vertices of them, and its edges come back
    from a pickle with their Z."""
    lines = gpd.GeoDataFrame(
        {"line_id": ["A", "B"], "in_service": [True, True]},
        geometry=[shapely.LineString([(0, 0, 5), (100, 0, 5)]), shapely.LineString([(50, -50, 5), (50, 50, 5)])],
        crs=4545,
    )
    network = build_network("road", lines)
    assert network is not None
    assert network.edge_coords is None
    assert shapely.has_z(network.edges.geometry.to_numpy()).all()
    back = pickle.loads(pickle.dumps(network))
    _same(back, network)
    assert shapely.has_z(back.edges.geometry.to_numpy()).all()
    np.testing.assert_array_equal(back.edge_ends[2], [2, 2, 2, 2])


def test_a_graph_kept_on_disk_holds_no_second_copy_of_its_vertices(tmp_path) -> None:
    """The vertices the noding gave are kept for the graph's write, and no longer; the graph read back is the same."""
    _, layers, sources = synthetic(400, rotate_deg=17)
    cache = GraphCache(tmp_path)
    network = cache.network("water", layers["water"], sources)
    assert network is not None
    assert cache.builds["water"] == 1
    assert "edge_coords" not in vars(network)
    again = GraphCache(tmp_path).network("water", layers["water"], sources)
    assert again is not None
    _same(again, network)
    np.testing.assert_array_equal(again.edge_ends[0], network.edge_ends[0])
