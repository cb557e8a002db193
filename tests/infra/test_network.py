"""Network model on small networks whose answers are worked out by hand, and on the demo park."""

from __future__ import annotations

import heapq

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from planner.infra.coverage import network_coverage, with_source_figures
from planner.infra.network import build_network, source_distances
from planner.parcels.validation import validate_parcels
from planner.store import open_store
from tests.conftest import GK, X0, Y0

W = {"service_distance_m": 60.0, "service_radius_m": 5000.0}


def lines(*coords: list[tuple[float, float]], ids: list[str] | None = None, in_service=None) -> gpd.GeoDataFrame:
    geoms = [LineString([(X0 + x, Y0 + y) for x, y in c]) for c in coords]
    frame = {"line_id": ids or [f"L{i}" for i in range(len(geoms))]}
    if in_service is not None:
        frame["in_service"] = in_service
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=GK)


def sources(*rows: tuple) -> gpd.GeoDataFrame:
    """(source_id, network, kind, x, y, capacity column, capacity)"""
    data = [
        {"source_id": r[0], "network": r[1], "kind": r[2], "name": r[0], r[5]: r[6], "in_service": True} for r in rows
    ]
    geoms = [Point(X0 + r[3], Y0 + r[4]) for r in rows]
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=geoms, crs=GK)


def parcels(*squares: tuple[float, float, float], **columns) -> gpd.GeoDataFrame:
    """Squares (x, y, side) relative to X0, Y0."""
    n = len(squares)
    base = {"parcel_id": [f"P{i}" for i in range(n)], "status": ["reserved"] * n, "land_use": ["100102"] * n}
    geoms = [box(X0 + x, Y0 + y, X0 + x + s, Y0 + y + s) for x, y, s in squares]
    frame = gpd.GeoDataFrame({**base, **columns}, geometry=geoms, crs=GK)
    return validate_parcels(frame, crs_epsg=GK, park_id="T1").parcels


WATERWORKS = ("WW", "water", "waterworks", 0, 0, "capacity_m3d", 10_000.0)


def test_a_parcel_40_m_from_a_main_cut_off_from_its_waterworks_is_not_connected():
    net = build_network("water", lines([(0, 0), (1000, 0)], [(2000, 0), (3000, 0)]), sources(WATERWORKS))
    p = parcels((500, 40, 100), (2500, 40, 100))
    cov = network_coverage(net, p, **W).table
    assert cov.loc["P0", "connected"]
    # the main is within 60 m of the parcel from x = 500 − √(60² − 40²) = 455.28 on: the tap nearest the works
    assert cov.loc["P0", "network_m"] == pytest.approx(500 - (60**2 - 40**2) ** 0.5, abs=0.5)
    assert not cov.loc["P1", "connected"]
    assert cov.loc["P1", "failed"] == "unreached"
    assert cov.loc["P1", "distance_m"] == pytest.approx(40.0)
    assert cov.loc["P1", "reason"] == "给水线路（L1）距地块 40 m，但未接通任何源点"
    assert [p.message for p in net.problems] == ["1 line(s) of 1.00 km are cut off from every source: L1"]


def test_a_full_substation_makes_a_near_parcel_unconnected():
    power = lines([(0, 0), (2000, 0)])
    src = sources(("SS", "power", "substation", 0, 0, "capacity_kva", 1000.0))
    # P0 produces and draws 950 kVA; P1 (15 mu, C34 default 40 kVA/mu = 600 kVA) finds 50 kVA left
    p = parcels(
        (100, 10, 100),
        (300, 10, 100),
        status=["in_production", "reserved"],
        industry=["C3421", "C3421"],
        power_kva=[950.0, None],
        holder=["甲", None],
        contract_date=["2020-01-01", None],
        actual_start_date=["2020-06-01", None],
    )
    cov = network_coverage(build_network("power", power, src), p, service_distance_m=100, service_radius_m=5000)
    assert cov.sources.loc["SS", "load"] == pytest.approx(950.0)
    assert cov.table.loc["P0", "connected"]  # already one of the loads
    assert not cov.table.loc["P1", "connected"]
    assert cov.table.loc["P1", "failed"] == "capacity"
    # the parcel's reason names the source and what the parcel needs (15 mu × 40 kVA/mu); the source's load and
    # what is left of it are with the sources, joined where the reason is read
    assert cov.table.loc["P1", "reason"] == "SS容量不足：剩余容量不够本地块所需 600 kVA"
    shown = with_source_figures(cov.table["reason"], cov.sources, "kVA")
    assert shown["P1"] == "SS容量不足：剩余容量不够本地块所需 600 kVA（负荷 950 / 能力 1,000 kVA，剩余 50）"
    assert shown["P0"] == cov.table.loc["P0", "reason"] + "，剩余 50 kVA"
    bigger = sources(("SS", "power", "substation", 0, 0, "capacity_kva", 2000.0))
    cov = network_coverage(build_network("power", power, bigger), p, service_distance_m=100, service_radius_m=5000)
    assert cov.table.loc["P1", "connected"]


def test_a_tap_in_the_middle_of_a_long_edge_connects():
    # one straight 4 km main, no node near the parcel: the tap is on the edge, 2000 − √(60² − 30²) = 1948.04 m along
    net = build_network("water", lines([(0, 0), (4000, 0)]), sources(WATERWORKS))
    assert len(net.nodes) == 2
    cov = network_coverage(net, parcels((2000, 30, 100)), **W).table.loc["P0"]
    assert cov["connected"]
    assert cov["distance_m"] == pytest.approx(30.0)
    assert cov["tap_x"] == pytest.approx(X0 + 2000 - (60**2 - 30**2) ** 0.5, abs=0.5)
    assert cov["network_m"] == pytest.approx(2000 - (60**2 - 30**2) ** 0.5, abs=0.5)


def test_crossings_t_junctions_and_near_misses_are_joined():
    net = build_network(
        "water",
        lines(
            [(0, 0), (1000, 0)],  # main
            [(500, -300), (500, 300)],  # crosses the main at (500, 0)
            [(800, 300), (800, 0.6)],  # stops 0.6 m short of the main: joined
            [(200, 300), (200, 5)],  # stops 5 m short: not joined
        ),
        sources(WATERWORKS),
    )
    dist, _ = source_distances(net)
    reach = {tuple(np.round(xy - [X0, Y0], 1)): d for xy, d in zip(net.nodes, dist, strict=True)}
    assert reach[(500.0, 300.0)] == pytest.approx(800.0)
    assert reach[(800.0, 300.0)] == pytest.approx(800.0 + 300.0, abs=1e-6)
    assert np.isinf(reach[(200.0, 300.0)])
    assert any("cut off" in p.message and "L3" in p.message for p in net.problems)


def test_planned_lines_carry_nothing():
    net = build_network(
        "gas",
        lines([(0, 0), (1000, 0)], [(1000, 0), (2000, 0)], in_service=[True, False]),
        sources(("GS", "gas", "gas_station", 0, 0, "capacity_nm3h", 500.0)),
    )
    assert set(net.edges["line_id"]) == {"L0"}
    cov = network_coverage(net, parcels((1500, 20, 100)), **W).table.loc["P0"]
    assert cov["failed"] == "distance"


def test_service_radius():
    net = build_network("water", lines([(0, 0), (9000, 0)]), sources(WATERWORKS))
    cov = network_coverage(net, parcels((1000, 10, 100), (8000, 10, 100)), **W).table
    assert cov.loc["P0", "connected"]
    assert cov.loc["P1", "failed"] == "radius"
    assert cov.loc["P1", "reason"] == "经给水网络至WW 7.9 km，超过服务半径 5 km"  # 8000 − √(60² − 10²) m


@pytest.mark.parametrize(
    ("lines_frame", "src", "message"),
    [
        (lines([(0, 0), (10, 0)]), None, "the water network (给水) has no live source"),
        (
            lines([(0, 0), (1000, 0)]),
            sources(("WW", "water", "waterworks", 500, 400, "capacity_m3d", 10.0)),
            "the source is 400 m from the nearest water line; a source must lie within 50 m of its network",
        ),
    ],
)
def test_bad_networks_are_named(lines_frame, src, message):
    net = build_network("water", lines_frame, src)
    assert any(message in str(p) for p in net.problems), [str(p) for p in net.problems]
    cov = network_coverage(net, parcels((400, 10, 100)), **W).table.loc["P0"]
    assert not cov["connected"]  # never a silent yes


def test_an_empty_layer_has_no_network_and_a_geographic_one_is_refused():
    empty = lines([(0, 0), (10, 0)]).iloc[:0]
    assert build_network("water", empty, sources(WATERWORKS)) is None
    with pytest.raises(ValueError, match="projected CRS"):
        build_network("water", lines([(0, 0), (10, 0)]).to_crs(4490), sources(WATERWORKS))


def plain_dijkstra(edges: pd.DataFrame, starts: dict[int, float], n: int) -> np.ndarray:
    """Textbook Dijkstra with a heap over an adjacency list (independent of scipy and networkx)."""
    adjacency: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for u, v, w in zip(edges["u"], edges["v"], edges["length_m"], strict=True):
        adjacency[u].append((v, w))
        adjacency[v].append((u, w))
    best = np.full(n, np.inf)
    heap = [(d, node) for node, d in starts.items()]
    for d, node in heap:
        best[node] = min(best[node], d)
    heapq.heapify(heap)
    while heap:
        d, node = heapq.heappop(heap)
        if d > best[node]:
            continue
        for other, w in adjacency[node]:
            if d + w < best[other]:
                best[other] = d + w
                heapq.heappush(heap, (d + w, other))
    return best


@pytest.mark.parametrize("name", ["road", "water", "power", "gas"])
def test_demo_network_distances_equal_a_plain_dijkstra(demo_park, name):
    store = open_store(demo_park.path)
    net = build_network(name, store.read_layer(f"{name}_lines"), store.read_layer("sources"))
    dist, _ = source_distances(net)
    starts: dict[int, float] = {}
    for edge, pos in zip(net.sources["edge"], net.sources["pos_m"], strict=True):
        row = net.edges.iloc[edge]
        for node, d in ((row["u"], pos), (row["v"], row["length_m"] - pos)):
            starts[node] = min(starts.get(node, np.inf), d)
    expected = plain_dijkstra(net.edges, starts, len(net.nodes))
    np.testing.assert_allclose(dist, expected, rtol=1e-9, atol=1e-6)
    assert np.isfinite(dist).mean() > 0.9


def test_a_source_partway_along_a_main_serves_both_ways():
    net = build_network(
        "water", lines([(0, 0), (4000, 0)]), sources(("WW", "water", "waterworks", 2000, 0, "capacity_m3d", 1e4))
    )
    cov = network_coverage(net, parcels((2100, 30, 100), (1000, 30, 100)), **W).table
    # P0's frontage starts at 2100 − 51.96: within 60 m of the works' own point, 48.04 m along
    assert cov.loc["P0", "network_m"] == pytest.approx(100 - (60**2 - 30**2) ** 0.5, abs=0.5)
    assert cov.loc["P1", "network_m"] == pytest.approx(2000 - 1100 - (60**2 - 30**2) ** 0.5, abs=0.5)


def test_a_ring_main_is_kept():
    ring = [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)]
    net = build_network(
        "water", lines(ring, [(-500, 0), (0, 0)]), sources(("WW", "water", "waterworks", -500, 0, "capacity_m3d", 1e4))
    )
    cov = network_coverage(net, parcels((450, 1030, 100)), **W).table.loc["P0"]
    assert cov["connected"]
    # from the works 500 m to the ring, then 1000 up a side and 450 − √(60² − 30²) along the top
    assert cov["network_m"] == pytest.approx(500 + 1000 + 450 - (60**2 - 30**2) ** 0.5, abs=0.5)


def test_the_tap_edge_is_chosen_after_the_stretch_is_known():
    # main 0–3000 with a branch ending on it at 1010; works at 3000; parcel 1000–1100 across the main
    net = build_network(
        "water",
        lines([(0, 0), (3000, 0)], [(1010, 0), (1010, 500)]),
        sources(("WW", "water", "waterworks", 3000, 0, "capacity_m3d", 1e4)),
    )
    cov = network_coverage(net, parcels((1000, -50, 100)), **W).table.loc["P0"]
    assert cov["network_m"] == pytest.approx(3000 - 1100 - 60, abs=0.5)  # the far end of the stretch: 1160


def test_a_multipolygon_parcel_taps_its_part_nearest_the_source():
    from shapely.geometry import MultiPolygon

    net = build_network("water", lines([(0, 0), (4000, 0)]), sources(WATERWORKS))
    two = MultiPolygon([box(X0 + 500, Y0 + 30, X0 + 600, Y0 + 130), box(X0 + 3000, Y0 - 50, X0 + 3100, Y0 + 50)])
    p = validate_parcels(
        gpd.GeoDataFrame({"parcel_id": ["M"], "status": ["reserved"]}, geometry=[two], crs=GK),
        crs_epsg=GK,
        park_id="T1",
    ).parcels
    cov = network_coverage(net, p, service_distance_m=60, service_radius_m=2000).table.loc["M"]
    assert cov["connected"]
    assert cov["network_m"] == pytest.approx(500 - (60**2 - 30**2) ** 0.5, abs=0.5)


def test_a_layer_with_no_line_in_service_reaches_nothing():
    net = build_network(
        "gas",
        lines([(0, 0), (1000, 0)], in_service=[False]),
        sources(("GS", "gas", "gas_station", 0, 0, "capacity_nm3h", 500.0)),
    )
    assert net is not None
    assert "no gas line is in service" in str(net.problems[0])
    cov = network_coverage(net, parcels((500, 10, 100)), **W).table.loc["P0"]
    assert not cov["connected"]
    assert cov["reason"] == "没有在用的燃气线路"


def test_a_parcel_symmetric_between_two_streets_taps_one_of_them():
    # a diagonal main from the works at (-1000, -1000) to a corner at (0, 0), where two streets leave, east and
    # north; a square parcel 100-200 × 100-200 lies symmetric between them. Both taps are 100 − √(120² − 100²)
    # = 33.67 m from the corner, 1000·√2 + 33.67 = 1447.88 m from the works, 100 m from the parcel: equally near.
    net = build_network(
        "water",
        lines([(-1000, -1000), (0, 0)], [(0, 0), (1000, 0)], [(0, 0), (0, 1000)], ids=["M", "E", "N"]),
        sources(("WW", "water", "waterworks", -1000, -1000, "capacity_m3d", 1e4)),
    )
    row = network_coverage(net, parcels((100, 100, 100)), service_distance_m=120, service_radius_m=5000).table.loc["P0"]
    assert row["network_m"] == pytest.approx(1000 * 2**0.5 + 100 - (120**2 - 100**2) ** 0.5, abs=0.5)
    assert row["distance_m"] == pytest.approx(100.0, abs=1e-6)
    taps = {"E": (X0 + 33.67, Y0), "N": (X0, Y0 + 33.67)}
    assert (row["tap_x"], row["tap_y"]) == pytest.approx(taps[row["line_id"]], abs=0.5)


def test_taps_within_a_micrometre_are_ties_broken_laterally_then_by_order():
    from planner.infra.taps import TIE_M, _best

    parcel = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3, 3])
    along = np.array([10.0, 10.0 + 0.5 * TIE_M, 10.0 + 2 * TIE_M, 7.0, 7.0, np.inf, np.inf, np.inf, 5.0 + 0.3e-9, 5.0])
    lateral = np.array([30.0, 20.0, 5.0, 12.0, 12.0 + 0.5 * TIE_M, 9.0, 3.0, 4.0, 1.0, 2.0])
    # parcel 0: rows 0 and 1 tie along (row 2 is 2 µm farther), row 1 is laterally nearer;
    # parcel 1: a tie along and laterally: the first; parcel 2: unreached: the laterally nearest;
    # parcel 3: 0.3 nm apart along is a tie (rounding noise), row 8 is laterally nearer
    chosen, nearest = _best(parcel, along, lambda rows: lateral[rows])
    np.testing.assert_array_equal(chosen, [1, 3, 6, 8])
    np.testing.assert_array_equal(nearest, [20.0, 12.0, 3.0, 1.0])


def test_a_parcel_midway_between_two_works_taps_the_end_of_its_frontage_toward_the_edge_start():
    # one main 0–2000 with a works at each end; the parcel 950–1050 × 30–130 is midway: its frontage within 60 m
    # runs from 1000 − 50 − √(60² − 30²) = 898.04 to 1101.96, 898.04 m from either works — a tie; the tap goes to
    # the end toward the edge's start, and the works there serves it
    net = build_network(
        "water",
        lines([(0, 0), (2000, 0)]),
        sources(
            ("W1", "water", "waterworks", 0, 0, "capacity_m3d", 1e4),
            ("W2", "water", "waterworks", 2000, 0, "capacity_m3d", 1e4),
        ),
    )
    assert len(net.edges) == 1
    row = network_coverage(net, parcels((950, 30, 100)), **W).table.loc["P0"]
    frontage = 50 + (60**2 - 30**2) ** 0.5
    assert row["network_m"] == pytest.approx(1000 - frontage, abs=0.5)
    start_x = shapely.get_x(shapely.get_point(net.edges.geometry.iloc[0], 0)) - X0
    assert row["tap_x"] - X0 == pytest.approx(1000 - frontage if start_x == 0 else 1000 + frontage, abs=0.5)
    assert row["source_id"] == ("W1" if start_x == 0 else "W2")


def test_figures_in_reasons_are_formatted_as_format_does():
    from planner.infra.coverage import _figures

    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            rng.uniform(0, 20_000, 5000),
            np.arange(0, 3000) / 2,  # exact halves: to even
            np.arange(0, 30000) / 20,  # halves of tenths, most not exact in binary
            [0.05, 0.15, 0.25, 0.35, 1.45, 2.675, 1234.55, 1e6 + 0.05, np.inf],
        ]
    )
    for spec in (",.0f", ",.1f"):
        assert _figures(values, spec).to_pylist() == [format(v, spec) for v in values.tolist()]
