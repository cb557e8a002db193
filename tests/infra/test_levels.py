"""Grade-separated lines (``level``): they meet only where one ends on the other, never where they merely cross.

Every case is small and worked out by hand; the distances are also checked against a plain
``networkx`` Dijkstra on a graph built by hand from the same junctions.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from planner.infra.graphs import network_fingerprint
from planner.infra.levels import line_levels
from planner.infra.network import build_network, source_distances
from tests.conftest import GK, X0, Y0


def _lines(rows):
    """rows: (line_id, level, [(x, y), …]) with coordinates relative to (X0, Y0)."""
    return gpd.GeoDataFrame(
        {"line_id": [r[0] for r in rows], "level": pd.array([r[1] for r in rows], dtype="Int64")},
        geometry=[LineString([(X0 + x, Y0 + y) for x, y in r[2]]) for r in rows],
        crs=GK,
    )


def _gateway(x, y):
    return gpd.GeoDataFrame(
        {"source_id": ["G"], "network": ["road"], "kind": ["gateway"], "name": ["G"], "in_service": [True]},
        geometry=[Point(X0 + x, Y0 + y)],
        crs=GK,
    )


def _distance_at(network, x, y):
    """Distance from the sources to the node at (x, y) (relative to X0, Y0); a node must be there."""
    dist, _ = source_distances(network)
    at = np.flatnonzero(np.hypot(network.nodes[:, 0] - X0 - x, network.nodes[:, 1] - Y0 - y) < 1e-6)
    assert len(at), f"no node at ({x}, {y})"
    return float(dist[at].min())


def _hand_dijkstra(edges, source, target):
    g = nx.Graph()
    for a, b in edges:
        g.add_edge(a, b, w=float(np.hypot(a[0] - b[0], a[1] - b[1])))
    return nx.dijkstra_path_length(g, source, target, weight="w")


# a road A along y=0 from a gateway at (0, 0); a tunnel T (level -1) under it from (500, -300) to (500, 300),
# coming up at the end of a street B1–B2 that leaves A at its east end (1000, 0)
TUNNEL = [
    ("A", 0, [(0, 0), (1000, 0)]),
    ("T", -1, [(500, -300), (500, 300)]),
    ("B1", 0, [(1000, 0), (1000, 300)]),
    ("B2", 0, [(1000, 300), (500, 300)]),
]


def test_a_tunnel_is_reached_by_the_detour_not_at_the_crossing():
    network = build_network("road", _lines(TUNNEL), _gateway(0, 0))
    # the tunnel's far (south) end: by A to (1000, 0), B1, B2 to the portal (500, 300), through the tunnel
    detour = 1000 + 300 + 500 + 600
    assert _distance_at(network, 500, -300) == pytest.approx(detour)
    hand = [((0, 0), (1000, 0)), ((1000, 0), (1000, 300)), ((1000, 300), (500, 300)), ((500, 300), (500, -300))]
    assert _hand_dijkstra(hand, (0, 0), (500, -300)) == pytest.approx(detour)
    # neither the road nor the tunnel is cut at the crossing: one edge each
    assert sorted(network.edges["line_id"]) == ["A", "B1", "B2", "T"]
    # at grade, the same lines cross: 500 + 300
    flat = build_network("road", _lines(TUNNEL).assign(level=0), _gateway(0, 0))
    assert _distance_at(flat, 500, -300) == pytest.approx(800)


# an elevated road E (level 1) along y=100 over a street C (level 0) crossing it at x=500; a ramp R (level 1) from E
# at (800, 100) down to the street A along y=0, where it ends
ELEVATED = [
    ("A", 0, [(0, 0), (1000, 0)]),
    ("C", 0, [(500, -200), (500, 400)]),
    ("E", 1, [(0, 100), (1000, 100)]),
    ("R", 1, [(800, 100), (800, 0)]),
]


def test_an_elevated_road_joins_the_streets_at_its_ramp_only():
    network = build_network("road", _lines(ELEVATED), _gateway(0, 0))
    # E's west end: along A to the ramp, up it, back along E (not up C at x=500: no junction there)
    assert _distance_at(network, 0, 100) == pytest.approx(800 + 100 + 800)
    hand = [
        ((0, 0), (500, 0)),
        ((500, 0), (800, 0)),
        ((800, 0), (1000, 0)),
        ((500, -200), (500, 0)),
        ((500, 0), (500, 400)),
        ((800, 0), (800, 100)),
        ((0, 100), (800, 100)),
        ((800, 100), (1000, 100)),
    ]
    assert _hand_dijkstra(hand, (0, 0), (0, 100)) == pytest.approx(1700)
    assert _hand_dijkstra(hand, (0, 0), (500, 400)) == pytest.approx(_distance_at(network, 500, 400))
    # E is cut only where the ramp ends on it, C only where it crosses A; A where C crosses and the ramp ends
    pieces = network.edges.groupby("line_id").size().to_dict()
    assert pieces == {"A": 3, "C": 2, "E": 2, "R": 1}
    # 6 at grade: (0,0) (500,-200) (500,0) (500,400) (800,0) (1000,0); 3 elevated: (0,100) (800,100) (1000,100);
    # the ramp's foot (800,0) is the street's node there, not a tenth
    assert len(network.nodes) == 9


def test_a_ramp_stopping_short_of_the_street_within_the_snap_distance_still_joins():
    rows = [*ELEVATED[:3], ("R", 1, [(800, 100), (800, 0.6)])]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    assert _distance_at(network, 0, 100) == pytest.approx(800 + 0.6 + 99.4 + 800)


def test_a_line_ending_on_another_level_s_line_beyond_the_snap_distance_stays_apart():
    rows = [*ELEVATED[:3], ("R", 1, [(800, 100), (800, 5)])]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    assert _distance_at(network, 0, 100) == np.inf
    assert any("cut off" in p.message for p in network.problems)


def test_crossings_of_two_levels_at_the_same_point_are_two_nodes():
    """Two tunnels crossing each other right under a crossroads: a junction below and one above, not joined."""
    rows = [
        ("A", 0, [(0, 0), (1000, 0)]),
        ("B", 0, [(500, -500), (500, 500)]),
        ("T1", -1, [(0, 10), (1000, -10)]),
        ("T2", -1, [(490, -500), (510, 500)]),
    ]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    at_centre = np.hypot(network.nodes[:, 0] - X0 - 500, network.nodes[:, 1] - Y0).round(6) == 0
    assert at_centre.sum() == 2
    assert np.isinf(_distance_at(network, 1000, -10))  # the tunnels are not reached from the roads
    assert _distance_at(network, 500, 500) == pytest.approx(1000)


def test_a_road_drawn_right_over_a_street_at_another_level_stays_two_lines():
    rows = [("S", 0, [(0, 0), (1000, 0)]), ("V", 1, [(0, 0), (1000, 0)]), ("X", 0, [(400, -100), (400, 100)])]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    assert network.edges.groupby("line_id")["length_m"].sum().to_dict() == pytest.approx(
        {"S": 1000.0, "V": 1000.0, "X": 200.0}
    )
    # V shares both ends with S (an end of each lies on the other): joined there, not at x=400
    assert network.edges.groupby("line_id").size().to_dict() == {"S": 2, "V": 1, "X": 2}
    assert _distance_at(network, 1000, 0) == pytest.approx(1000)


@pytest.mark.parametrize("fill", ["absent", "zero", "null", "below"])
def test_lines_all_at_one_level_are_noded_as_before(fill):
    """Same edges, in the same order, as a layer without the column (random lines, crossings and undershoots).

    ``below``: a water network wholly at level -1 (pipes, which a source ties to below grade too).
    """
    from tests.infra.test_network import sources

    rng = np.random.default_rng(7)
    a = rng.uniform(0, 1000, (60, 2))
    b = a + rng.uniform(-400, 400, (60, 2))
    plain = gpd.GeoDataFrame(
        {"line_id": [f"L{i}" for i in range(60)]},
        geometry=[LineString([(X0 + p[0], Y0 + p[1]), (X0 + q[0], Y0 + q[1])]) for p, q in zip(a, b, strict=True)],
        crs=GK,
    )
    lines = plain.copy()
    if fill != "absent":
        lines["level"] = pd.array([{"zero": 0, "null": None, "below": -1}[fill]] * 60, dtype="Int64")
    name, source = (
        ("water", sources(("WW", "water", "waterworks", *a[0], "capacity_m3d", 1e4)))
        if fill == "below"
        else ("road", _gateway(*a[0]))
    )
    before = build_network(name, plain, source)
    after = build_network(name, lines, source)
    assert after.edges.drop(columns=["geometry", "level"]).equals(before.edges.drop(columns=["geometry", "level"]))
    assert (after.edges["level"] == (-1 if fill == "below" else 0)).all()
    assert (before.edges["level"] == 0).all()
    assert after.edges.geometry.geom_equals_exact(before.edges.geometry, 0).all()
    assert np.array_equal(after.nodes, before.nodes)
    assert after.sources.drop(columns="offset_m").equals(before.sources.drop(columns="offset_m"))
    assert len(after.sources) == 1


def test_a_level_changes_the_fingerprint_and_level_zero_does_not():
    lines = _lines(TUNNEL)
    plain = lines.drop(columns="level")
    flat = network_fingerprint("road", plain, None)
    assert network_fingerprint("road", lines.assign(level=pd.array([0, None, 0, 0], dtype="Int64")), None) == flat
    assert network_fingerprint("road", lines, None) != flat


def test_line_levels_reads_empty_as_at_grade():
    frame = pd.DataFrame({"level": pd.array([None, -1, 2, 0], dtype="Int64")})
    assert line_levels(frame).tolist() == [0, -1, 2, 0]
    assert line_levels(pd.DataFrame({"x": [1, 2]})).tolist() == [0, 0]


def test_streets_meeting_right_over_a_tunnel_do_not_join_it():
    """A street ending on another right above a tunnel: that end is the streets' junction, not a way down."""
    rows = [
        ("A", 0, [(0, 0), (1000, 0)]),
        ("S", 0, [(500, 0), (500, 400)]),  # ends on A at (500, 0)
        ("U", -1, [(400, -300), (600, 300)]),  # a tunnel passing right under the junction (500, 0)
    ]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    assert np.isinf(_distance_at(network, 600, 300))  # U is joined to nothing: S's end is A's junction
    assert network.edges.groupby("line_id").size().to_dict() == {"A": 2, "S": 1, "U": 1}
    assert _distance_at(network, 500, 400) == pytest.approx(900)


def test_an_elevated_road_drawn_as_two_lines_meeting_over_a_street_does_not_join_it():
    rows = [
        ("A", 0, [(500, -500), (500, 500)]),
        ("E1", 1, [(0, 0), (500, 0)]),
        ("E2", 1, [(500, 0), (1000, 0)]),
        ("R", 1, [(1000, 0), (1000, -500)]),  # E2 lands: its ramp R ends on the street B
        ("B", 0, [(500, -500), (1500, -500)]),
    ]
    gateway = _gateway(500, 500)
    network = build_network("road", _lines(rows), gateway)
    # to E1's west end: down A (1000), along B to the ramp (500), up R (500), back along E2 and E1 (1000)
    assert _distance_at(network, 0, 0) == pytest.approx(3000)
    hand = [
        ((500, 500), (500, -500)),
        ((500, -500), (1000, -500)),
        ((1000, -500), (1500, -500)),
        ((1000, -500), (1000, 0)),
        ((1000, 0), (500, 0)),
        ((500, 0), (0, 0)),
    ]
    assert _hand_dijkstra(hand, (500, 500), (0, 0)) == pytest.approx(3000)


def test_a_tunnel_portal_at_a_crossroads_joins_its_approach_road():
    """The tunnel ends where its approach road begins, at a crossroads: end to end, they join."""
    rows = [
        ("A", 0, [(0, 0), (1000, 0)]),
        ("P", 0, [(500, 0), (500, 300)]),  # the approach road, from the crossroads north
        ("Q", 0, [(500, 0), (500, -300)]),
        ("T", -1, [(500, 300), (500, 1000)]),  # the tunnel goes on from P's end
        ("X", -1, [(500, 0), (900, 400)]),  # a second tunnel starting at the crossroads, on A
    ]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    assert _distance_at(network, 500, 1000) == pytest.approx(500 + 300 + 700)
    # X's start meets no line of its own level there: it joins A (a ramp down at the crossroads)
    assert _distance_at(network, 900, 400) == pytest.approx(500 + 400 * 2**0.5)


def test_a_parcel_beside_a_pipe_s_far_end_under_the_main_is_served_by_the_detour():
    """Readiness: a water pipe laid under the main (level -1) feeds a parcel only by way of its other end."""
    from planner.infra.coverage import network_coverage
    from tests.infra.test_network import WATERWORKS, parcels, sources

    pipes = _lines(TUNNEL)
    p = parcels((520, -340, 40))  # 20 m east of the pipe's south end (500, -300)
    # the pipe is within 60 m of the parcel up to y = -300 + √(60² − 20²); the tap is there, nearest the works
    reach = (60**2 - 20**2) ** 0.5
    below = network_coverage(
        build_network("water", pipes, sources(WATERWORKS)), p, service_distance_m=60.0, service_radius_m=5000.0
    ).table
    assert below.loc["P0", "network_m"] == pytest.approx(1000 + 300 + 500 + 300 + 300 - reach, abs=0.5)
    flat = network_coverage(
        build_network("water", pipes.assign(level=0), sources(WATERWORKS)),
        p,
        service_distance_m=60.0,
        service_radius_m=5000.0,
    ).table
    assert flat.loc["P0", "network_m"] == pytest.approx(500 + 300 - reach, abs=0.5)
    hand = [((0, 0), (1000, 0)), ((1000, 0), (1000, 300)), ((1000, 300), (500, 300)), ((500, 300), (500, -300 + reach))]
    assert _hand_dijkstra(hand, (0, 0), (500, -300 + reach)) == pytest.approx(below.loc["P0", "network_m"], abs=0.5)


@pytest.mark.parametrize("rows", [TUNNEL, ELEVATED], ids=["tunnel", "elevated"])
def test_the_build_out_s_noder_nodes_each_level_as_the_network_does(rows):
    """:func:`planner.buildout.noding.node_lines` is given each level's lines in turn: the same network."""
    from planner.buildout.noding import node_lines

    plain = build_network("road", _lines(rows), _gateway(0, 0))
    noded = build_network("road", _lines(rows), _gateway(0, 0), noder=node_lines)
    assert noded.edges.drop(columns="geometry").equals(plain.edges.drop(columns="geometry"))
    assert np.array_equal(noded.nodes, plain.nodes)
    assert np.array_equal(source_distances(noded)[0], source_distances(plain)[0])
