"""What a parcel and a source may tie to across levels: a road only at grade, a pipe or cable at grade or below.

Each case is small and worked out by hand (the figures in the comments); the distances along
the network are also checked against a plain ``networkx`` Dijkstra on a graph drawn by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.infra.coverage import network_coverage, network_taps
from planner.infra.levels import tappable
from planner.infra.network import build_network
from planner.maps.reasons import reason_en
from tests.conftest import X0, Y0
from tests.infra.test_levels import _distance_at, _gateway, _hand_dijkstra, _lines
from tests.infra.test_network import WATERWORKS, parcels, sources

W = {"service_distance_m": 60.0, "service_radius_m": 5000.0}
REACH_30 = (60**2 - 30**2) ** 0.5  # how far along a line 30 m from a parcel's side it stays within 60 m: 51.96 m
ARC_M = 0.1  # the service zone round a parcel's corner is a buffer of 16 segments a quarter: up to 0.08 m short

# the gateway at (500, -600) on the street S; a viaduct V (level 1) lands on S's north end (500, -500) and runs north
# over the street A (along y=0), without a ramp there; A is reached the long way, by B round the west
VIADUCT = [
    ("S", 0, [(500, -600), (500, -500)]),
    ("V", 1, [(500, -500), (500, 500)]),
    ("B", 0, [(500, -600), (0, -600), (0, 0)]),
    ("A", 0, [(0, 0), (1000, 0)]),
]


def test_a_parcel_beside_a_viaduct_taps_the_street_under_it():
    network = build_network("road", _lines(VIADUCT), _gateway(500, -600))
    # the parcel x 510–550, y 30–70: 10 m east of the viaduct, 30 m north of A
    cov = network_coverage(network, parcels((510, 30, 40)), **W).table
    assert cov.loc["P0", "connected"]
    assert cov.loc["P0", "line_id"] == "A"
    assert cov.loc["P0", "distance_m"] == pytest.approx(30.0)
    # A is within 60 m of the parcel from x = 510 − 51.96 on; the tap there, nearest the gateway by B (500 + 600 m)
    assert cov.loc["P0", "tap_x"] - X0 == pytest.approx(510 - REACH_30, abs=ARC_M)
    assert cov.loc["P0", "tap_y"] - Y0 == pytest.approx(0.0, abs=1e-6)
    along = 500 + 600 + 510 - REACH_30  # 1,558.04 m
    assert cov.loc["P0", "network_m"] == pytest.approx(along, abs=ARC_M)
    hand = [((500, -600), (0, -600)), ((0, -600), (0, 0)), ((0, 0), (510 - REACH_30, 0))]
    assert _hand_dijkstra(hand, (500, -600), (510 - REACH_30, 0)) == pytest.approx(along)
    # the same lines all at grade: the parcel taps V at y = 30 − √(60² − 10²), 100 + 470.84 m from the gateway
    flat = network_coverage(build_network("road", _lines(VIADUCT).assign(level=0), _gateway(500, -600)),
                            parcels((510, 30, 40)), **W).table  # fmt: skip
    assert flat.loc["P0", "line_id"] == "V"
    assert flat.loc["P0", "network_m"] == pytest.approx(100 + 500 + 30 - (60**2 - 10**2) ** 0.5, abs=ARC_M)


def test_a_parcel_whose_only_road_near_is_a_viaduct_is_not_connected_by_road():
    # the street B from the gateway (0, 0) to (1000, 0), where the viaduct V (level 1) lands and runs north
    rows = [("B", 0, [(0, 0), (1000, 0)]), ("V", 1, [(1000, 0), (1000, 800)])]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    cov = network_coverage(network, parcels((1010, 400, 40)), **W).table
    assert not cov.loc["P0", "connected"]
    assert cov.loc["P0", "failed"] == "distance"
    # the nearest road at grade is B's end (1000, 0): from the parcel's corner (1010, 400), √(10² + 400²) = 400.12 m
    assert cov.loc["P0", "distance_m"] == pytest.approx(np.hypot(10, 400))
    # and the viaduct 10 m from its west side (x = 1000) is named: a planner sees there is a road, with no frontage
    assert cov.loc["P0", "reason"] == (
        "最近的道路线路距地块 400 m，超过服务距离 60 m；高架道路（V）距地块 10 m，不可直接接入"
    )
    assert reason_en(cov.loc["P0", "reason"]) == (
        "the nearest road line is 400 m from the parcel, beyond the service distance of 60 m; "
        "the elevated road (V) 10 m from the parcel cannot be tapped (it has no frontage)"
    )
    # at grade the viaduct would serve it: 1,000 m along B, 400 − √(60² − 10²) up V
    flat = network_coverage(build_network("road", _lines(rows).assign(level=0), _gateway(0, 0)),
                            parcels((1010, 400, 40)), **W).table  # fmt: skip
    assert flat.loc["P0", "connected"]
    assert flat.loc["P0", "network_m"] == pytest.approx(1000 + 400 - (60**2 - 10**2) ** 0.5, abs=ARC_M)


def test_the_reason_of_a_parcel_no_street_serves_names_the_viaduct_or_tunnel_beside_it():
    # the street B from the gateway (0, 0) east to (1000, 0); the viaduct V (level 1) lands on its end and runs north;
    # the road tunnel T (level -1) leaves the gateway south
    rows = [("B", 0, [(0, 0), (1000, 0)]), ("V", 1, [(1000, 0), (1000, 800)]), ("T", -1, [(0, 0), (0, -800)])]
    squares = {
        "P0": (1005, 300, 40),  # 5 m east of V; B's end (1000, 0) is √(5² + 300²) = 300.04 m from its corner
        "P1": (100, 10, 40),  # 10 m north of B
        "P2": (1005, 30, 40),  # 5 m east of V, and √(5² + 30²) = 30.41 m from B's end: served by B
        "P3": (-45, -400, 40),  # 5 m west of T; B's start (0, 0) is √(5² + 360²) = 360.03 m from its corner
        "P4": (1100, 300, 40),  # 100 m east of V, beyond the service distance: V is not named
    }
    p = parcels(*squares.values())
    cov = network_coverage(build_network("road", _lines(rows), _gateway(0, 0)), p, **W).table
    reason = cov["reason"]
    assert reason["P0"] == "最近的道路线路距地块 300 m，超过服务距离 60 m；高架道路（V）距地块 5 m，不可直接接入"
    assert reason["P3"] == "最近的道路线路距地块 360 m，超过服务距离 60 m；隧道道路（T）距地块 5 m，不可直接接入"
    assert reason["P4"] == "最近的道路线路距地块 316 m，超过服务距离 60 m"  # √(100² + 300²) = 316.23 m
    assert cov.loc["P2", "connected"] and cov.loc["P2", "distance_m"] == pytest.approx(np.hypot(5, 30))
    assert reason_en(reason["P3"]) == (
        "the nearest road line is 360 m from the parcel, beyond the service distance of 60 m; "
        "the road tunnel (T) 5 m from the parcel cannot be tapped (it has no frontage)"
    )
    # the parcels a street serves read as in the park without V and T, and so do the columns of the table
    street = network_coverage(build_network("road", _lines(rows[:1]), _gateway(0, 0)), p, **W).table
    assert reason[["P1", "P2"]].tolist() == street["reason"][["P1", "P2"]].tolist()
    assert reason["P1"].startswith("临路（B，10 m）") and reason["P2"].startswith("临路（B，30 m）")
    assert list(cov.columns) == list(street.columns)
    # a park whose only road is the viaduct (the gateway on it): no line tapped, the viaduct named
    bridge = network_coverage(build_network("road", _lines(rows[1:2]), _gateway(1000, 0)), p, **W).table
    assert bridge.loc["P0", "reason"] == (
        "道路线路距地块超过 1,200 m，超过服务距离 60 m；高架道路（V）距地块 5 m，不可直接接入"
    )


def test_a_network_without_lines_a_parcel_may_not_tap_has_no_columns_for_them():
    rows = [("B", 0, [(0, 0), (1000, 0)]), ("C", None, [(1000, 0), (1000, 800)])]  # an empty level is at grade
    network = build_network("road", _lines(rows), _gateway(0, 0))
    assert network.untappable_edges[1] is None
    taps = network_taps(network, parcels((1005, 300, 40)), service_distance_m=60.0)
    assert list(taps.columns) == ["parcel_id", "distance_m", "network_m", "source", "line_id", "tap_x", "tap_y", "near"]


def test_a_gateway_ties_to_the_street_not_the_viaduct_over_it():
    # the gateway 5 m from the viaduct V (level 1, along x = 5) and 20 m from the street A (along y = 20)
    rows = [("A", 0, [(-500, 20), (500, 20)]), ("V", 1, [(5, -500), (5, 500)])]
    network = build_network("road", _lines(rows), _gateway(0, 0))
    tie = network.sources.iloc[0]
    assert network.edges["line_id"].iloc[tie["edge"]] == "A"
    assert tie["offset_m"] == pytest.approx(20.0)
    # A is cut at the tie (0, 20): its east end is 500 m along it; the viaduct, not joined to A, is unreached
    assert _distance_at(network, 500, 20) == pytest.approx(500.0)
    assert _distance_at(network, 5, 500) == np.inf
    # no street within 50 m: the gateway is on the viaduct (a road entering the park on a bridge), and ties to it
    rows = [("A", 0, [(-500, 80), (500, 80)]), ("V", 1, [(5, -500), (5, 500)])]
    bridge = build_network("road", _lines(rows), _gateway(0, 0)).sources.iloc[0]
    assert bridge["offset_m"] == pytest.approx(5.0)
    # beyond 50 m of every line, it is off the network
    far = build_network("road", _lines(rows), _gateway(-100, -300))
    assert not len(far.sources)
    error = next(p for p in far.problems if p.feature == "source")
    # the nearest line of any level: V at x = 5, 105 m east
    assert error.zh.startswith("源点距最近的道路线路 105 米")


def test_a_parcel_taps_a_pipe_in_a_utility_tunnel_but_not_one_on_a_bridge():
    # the works at (0, 0); a main M at grade along y = 0 to (1000, 0); a pipe P from M's end north to (1000, 800)
    def served(level):
        rows = [("M", 0, [(0, 0), (1000, 0)]), ("P", level, [(1000, 0), (1000, 800)])]
        network = build_network("water", _lines(rows), sources(WATERWORKS))
        return network_coverage(network, parcels((1010, 400, 40)), **W).table.loc["P0"]

    tunnel = served(-1)  # a utility tunnel (综合管廊): a service connection goes down to it
    assert tunnel["connected"]
    assert tunnel["network_m"] == pytest.approx(1000 + 400 - (60**2 - 10**2) ** 0.5, abs=ARC_M)
    bridge = served(1)  # a pipe on a bridge: not tapped; the main at grade is √(10² + 400²) m away
    assert not bridge["connected"]
    assert bridge["distance_m"] == pytest.approx(np.hypot(10, 400))
    assert (
        bridge["reason"] == "最近的给水线路距地块 400 m，超过服务距离 60 m；地上给水线路（P）距地块 10 m，不可直接接入"
    )
    assert reason_en(bridge["reason"]) == (
        "the nearest water supply line is 400 m from the parcel, beyond the service distance of 60 m; "
        "the water supply line (P) 10 m from the parcel is above grade and cannot be tapped"
    )


def test_tappable_levels():
    levels = np.array([-2, -1, 0, 1, 3])
    assert tappable("road", levels).tolist() == [False, False, True, False, False]
    for pipe in ("water", "drainage", "power", "telecom", "gas", "heat"):
        assert tappable(pipe, levels).tolist() == [True, True, True, False, False]
