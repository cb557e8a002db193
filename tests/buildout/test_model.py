"""The needs model against its reference, on random parks; the fast noding against GEOS noding every line.

The reference (``tests/buildout/reference_model.py``) is the model before its speed-up: every
network built with GEOS noding all its lines, one network after the other. The parks are
random road grids, each utility network along part of them at an offset off the millimetre
grid, planned lines among them, sources of little capacity (so that upgrades are proposed)
and parcels of every status.
"""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import planner.buildout.reach
from planner.analysis import ReadinessInputs, readiness_of
from planner.buildout.candidates import candidate_lines, road_segments, unsplit
from planner.buildout.costs import UnitCosts
from planner.buildout.model import parcel_needs
from planner.buildout.noding import axis_lines_noded, node_lines, noded
from planner.buildout.plan import default_targets, plan_needs
from planner.buildout.works import concat_works, drawn_works
from planner.config import ParkConfig
from planner.infra.graphs import GraphCache
from planner.parcels.validation import validate_parcels
from planner.vocab import CAPACITY_COLUMN, NETWORK_ITEMS
from tests.buildout import reference_candidates, reference_model

X0, Y0 = 520_000.0, 3_500_000.0
KIND = {"power": "substation", "water": "waterworks", "drainage": "sewage_plant", "gas": "gas_station",
        "heat": "heat_plant", "telecom": "telecom_exchange", "road": "gateway"}  # fmt: skip


def random_park(seed: int, *, grid: bool = False) -> ReadinessInputs:
    """A random park: a road grid, the utility networks along parts of it, sources, about 80 parcels.

    ``grid``: every line on the millimetre grid (and so along the axes on it: noded without GEOS).
    """
    rng = np.random.default_rng(seed)
    xs = np.cumsum(np.r_[0.0, rng.uniform(70, 160, rng.integers(5, 9))])
    ys = np.cumsum(np.r_[0.0, rng.uniform(70, 160, rng.integers(5, 9))])
    mm = (lambda v: np.round(v, 3)) if grid else (lambda v: v)
    layers, sources = {}, []
    for net in NETWORK_ITEMS:
        road = net == "road"
        offset = 0.0 if road else float(rng.uniform(-12, 12))
        cut_x = xs[-1] if road else xs[-1] * rng.uniform(0.2, 1.0)
        cut_y = ys[-1] if road else ys[-1] * rng.uniform(0.2, 1.0)
        rows = [((x + offset, 0.0), (x + offset, cut_y)) for x in xs if x <= cut_x]
        rows += [((offset, y + offset), (cut_x, y + offset)) for y in ys if y <= cut_y]
        live = [True] * len(rows)
        if not road and rng.random() < 0.7:  # a planned main beyond the network
            y = ys[rng.integers(len(ys))] + offset
            rows.append(((cut_x, y), (cut_x + rng.uniform(50, 300), y)))
            live.append(False)
        layers[net] = gpd.GeoDataFrame(
            {"line_id": [f"{net}-{i}" for i in range(len(rows))], "in_service": live,
             "cost_wan": [None if ok else float(rng.uniform(20, 200)) for ok in live],
             "planned_date": [None if ok else pd.Timestamp("2027-06-30") for ok in live]},
            geometry=[shapely.LineString([(mm(X0 + a), mm(Y0 + b)) for a, b in r]) for r in rows], crs=4545,
        )  # fmt: skip
        for j in range(1 if road else int(rng.integers(1, 3))):
            y = ys[rng.integers(len(ys))] if road else rng.uniform(0, cut_y)
            row = {"source_id": f"{net}-S{j}", "network": net, "kind": KIND[net], "name": f"{net} {j}",
                   "in_service": True, "geometry": shapely.Point(X0 + offset, Y0 + y)}  # fmt: skip
            if CAPACITY_COLUMN.get(net):
                row[CAPACITY_COLUMN[net]] = float(rng.choice([1e9, rng.uniform(1, 100)]))
            sources.append(row)
    cells = [(x, y) for x in xs[:-1] for y in ys[:-1]]
    picks = rng.choice(len(cells), size=min(len(cells), 80), replace=False)
    geoms, status = [], []
    for k in picks:
        x, y = cells[k]
        margin = rng.uniform(8, 30)
        geoms.append(shapely.box(X0 + x + margin, Y0 + y + margin, X0 + x + 60 - margin / 2, Y0 + y + 60))
        status.append(rng.choice(["reserved", "reserved", "supplied", "in_production"]))
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i:03d}" for i in range(len(geoms))], "status": status, "land_use": "100102",
         "industry": "C3421", **{f"declared_{n}": n == "road" for n in NETWORK_ITEMS}, "declared_leveled": True},
        geometry=geoms, crs=4545,
    )  # fmt: skip
    parcels = validate_parcels(parcels, crs_epsg=4545, park_id="RAND").parcels
    radius = float(rng.choice([1e7, 1e7, rng.uniform(800, 2000)]))
    checklist = ("road", *rng.choice([n for n in NETWORK_ITEMS if n != "road"], 3, replace=False))
    config = ParkConfig(
        park_id="RAND", name="随机园区", crs_epsg=4545, checklist=checklist,
        networks={n: {"service_distance_m": 40.0, "service_radius_m": radius} for n in NETWORK_ITEMS},
    )  # fmt: skip
    sources_frame = gpd.GeoDataFrame(pd.DataFrame(sources), geometry="geometry", crs=4545)
    return ReadinessInputs(config, parcels, sources_frame, layers)


def _described(needs) -> dict:
    """What needs say, independent of the order of rows: works and prerequisites, targets, blocked, clauses."""
    ids = needs.works["work_id"].astype(str).to_numpy()
    requires = dict(zip(ids, needs.works["requires"], strict=True))
    parcels = needs.targets.index.to_numpy()
    options: dict[int, set[str]] = {}
    for clause, work in zip(needs.option_clause, needs.option_work, strict=True):
        options.setdefault(int(clause), set()).add(ids[work])
    clauses = Counter((parcels[p], frozenset(options.get(c, set()))) for c, p in enumerate(needs.clause_parcel))
    blocked = set(zip(needs.blocked["parcel_id"], needs.blocked["item"], strict=True))
    costs = dict(zip(ids, np.round(needs.works["cost_wan"].to_numpy(dtype=float), 6), strict=True))
    return {"requires": requires, "targets": dict(needs.targets), "blocked": blocked, "clauses": clauses,
            "costs": costs}  # fmt: skip


def _works(inputs: ReadinessInputs) -> gpd.GeoDataFrame:
    costs = UnitCosts.load(inputs.config.unit_costs)
    drawn, _ = drawn_works(inputs.lines, costs)
    return concat_works([drawn, candidate_lines(inputs.lines, costs)], inputs.parcels.crs)


@pytest.mark.parametrize(("seed", "grid"), [(0, False), (1, False), (3, False), (7, False), (8, False), (9, False),
                                           (0, True), (2, True), (5, True), (7, True)])  # fmt: skip
def test_needs_are_those_of_the_reference_model(seed, grid):
    """On the millimetre grid too: the lines then run along the axes on it, noded without GEOS."""
    inputs = random_park(seed, grid=grid)
    before = readiness_of(inputs)
    works = _works(inputs)
    if grid:  # some networks with their candidates (bent where tied) are noded without GEOS
        axis = [
            axis_lines_noded(
                np.concatenate(
                    [layer.geometry.to_numpy(), works.geometry[(works["network"] == net) & (works["kind"] == "line")]]
                )
            )
            for net, layer in inputs.lines.items()
            if (works["network"] == net).any()
        ]
        assert any(a is not None and (shapely.get_num_coordinates(a) > 2).any() for a in axis)
    costs = UnitCosts.load(inputs.config.unit_costs)
    weights = default_targets(inputs.parcels)
    new = parcel_needs(inputs, before, works.copy(), weights, costs)
    old = reference_model.parcel_needs(inputs, before, works.copy(), weights, costs)
    got, want = _described(new), _described(old)
    assert got == want
    assert sum(got["clauses"].values()) > 0  # the park gives the model something to find
    assert any(r is not None for r in got["requires"].values())


def test_networks_worked_out_in_several_processes_give_the_same_needs(monkeypatch):
    inputs = random_park(7)
    before = readiness_of(inputs)
    works = _works(inputs)
    costs = UnitCosts.load(inputs.config.unit_costs)
    weights = default_targets(inputs.parcels)
    alone = parcel_needs(inputs, before, works.copy(), weights, costs)
    monkeypatch.setattr(planner.buildout.reach, "PARALLEL_PARCELS", 0)
    monkeypatch.setattr(planner.buildout.reach, "_cores", lambda: 2)
    together = parcel_needs(inputs, before, works.copy(), weights, costs)
    assert _described(together) == _described(alone)
    assert len(alone.clause_parcel) > 0


def _segments(geoms: np.ndarray) -> list[tuple]:
    """Each segment as its vertices (rounded to 0.1 mm), in the order given."""
    return [tuple(map(tuple, np.round(shapely.get_coordinates(g), 4))) for g in geoms]


def _segment_set(geoms: np.ndarray) -> list[tuple]:
    """The segments whatever their order and direction."""
    return sorted(min(c, c[::-1]) for c in _segments(geoms))


def _lines(*coords) -> np.ndarray:
    return np.array([shapely.LineString(c) for c in coords], dtype=object)


@pytest.mark.parametrize(
    "geoms",
    [
        # a grid of road segments meeting at their ends, a main crossing two of them, a tie ending on the main
        _lines(
            [(0, 0), (100, 0)],
            [(100, 0), (200, 0)],
            [(100, 0), (100, 100)],
            [(0, 100), (100, 100)],
            [(50, -20), (50, 150)],
            [(150, 40.0004), (150.0003, 0.0002)],
            [(150, 40.0004), (150, 100)],
        ),
        # collinear overlap, an end a hair off another line, a crossing at a shared vertex, a bent line
        _lines(
            [(0, 0), (10, 0)],
            [(5, 0), (15, 0)],
            [(20, 0.0004), (20, 10)],
            [(15, 5), (25, 5)],
            [(30, 0), (40, 0)],
            [(40, 0), (40, 10), (50, 10)],
            [(35, -5), (45, 5)],
        ),
        # lines nearly along one another, meeting at an end only, at a tiny angle
        _lines([(0, 0), (100, 0)], [(0, 0), (100, 0.002)], [(0, 0), (100, 50)], [(100, 50), (200, 50)]),
    ],
)
def test_node_lines_gives_the_segments_geos_gives(geoms):
    """Lines overlapping one another, too: the same segments, their order left to GEOS."""
    want = shapely.get_parts(shapely.union_all(geoms, grid_size=0.001))
    assert _segment_set(node_lines(geoms)) == _segment_set(want)


@pytest.mark.parametrize("seed", range(4))
def test_node_lines_on_random_road_segments_and_mains_in_the_order_geos_gives(seed):
    """Where no lines overlap, in GEOS's order too: each line's pieces in the order of the lines."""
    rng = np.random.default_rng(seed)
    xs, ys = np.arange(0, 1200, 120.0), np.arange(0, 960, 120.0)
    roads = [((x, y), (x + 120, y)) for x in xs[:-1] for y in ys] + [
        ((x, y), (x, y + 120)) for x in xs for y in ys[:-1]
    ]
    keep = rng.random(len(roads)) < 0.6
    mains = [((rng.uniform(0, 1100), 0), (rng.uniform(0, 1100), 960)) for _ in range(5)]
    mains += [((0, y + rng.choice([8.0, 3.3, 0.02])), (1100, y)) for y in rng.choice(ys, 3)]
    ties = [((x + 0.25, y + 7.123456), (x, y)) for x, y in zip(rng.choice(xs, 6), rng.choice(ys, 6), strict=True)]
    geoms = _lines(*[r for r, k in zip(roads, keep, strict=True) if k], *mains, *ties)
    want = shapely.get_parts(shapely.union_all(geoms, grid_size=0.001))
    got = node_lines(geoms)
    assert _segments(got) == _segments(want)
    assert len(got) > len(geoms)  # the mains are noded where they cross the roads


@pytest.mark.parametrize("seed", [0, 3, 8])
def test_candidates_are_those_of_the_reference(seed):
    inputs = random_park(seed)
    costs = UnitCosts.load(inputs.config.unit_costs)
    got = candidate_lines(inputs.lines, costs)
    want = reference_candidates.candidate_lines(inputs.lines, costs)
    assert len(got) > 20
    assert got["work_id"].tolist() == want["work_id"].tolist()
    assert got["name"].tolist() == want["name"].tolist()
    assert shapely.equals_exact(got.geometry.to_numpy(), want.geometry.to_numpy(), tolerance=0).all()
    assert np.array_equal(got["cost_wan"].to_numpy(), want["cost_wan"].to_numpy())
    assert (shapely.get_num_coordinates(got.geometry.to_numpy()) > 2).any()  # some candidates are tied


def _road_built(inputs: ReadinessInputs) -> tuple[GraphCache, object]:
    graphs = GraphCache()
    readiness_of(inputs, graphs=graphs)
    return graphs, graphs.network("road", inputs.lines["road"], inputs.sources)


@pytest.mark.parametrize("seed", [0, 3])
def test_the_road_segments_are_those_of_readiness_kept_road_network_where_no_gateway_cuts_one(seed):
    inputs = random_park(seed)  # the gateway on the west road, at a junction: it cuts no segment
    graphs, built = _road_built(inputs)
    assert unsplit(built)
    want = road_segments(inputs.lines["road"])
    got = road_segments(inputs.lines["road"], built=built)
    assert got["line_id"].tolist() == want["line_id"].tolist()
    assert shapely.equals_exact(got.geometry.to_numpy(), want.geometry.to_numpy(), tolerance=0).all()
    # the needs with the kept graphs are the needs without them
    alone, _ = plan_needs(inputs, readiness_of(inputs))
    kept, _ = plan_needs(inputs, readiness_of(inputs, graphs=graphs), graphs=graphs)
    assert _described(kept) == _described(alone)


def test_a_gateway_that_cuts_a_road_segment_has_the_roads_noded_again():
    inputs = random_park(0)
    gateway = inputs.sources["network"] == "road"
    (y,) = shapely.get_y(inputs.sources.geometry[gateway]).to_numpy()
    inputs.sources.loc[gateway, "geometry"] = shapely.Point(X0, y + 20.0)  # on the west road, between junctions
    _, built = _road_built(inputs)
    assert not unsplit(built)
    assert len(built.edges) == len(road_segments(inputs.lines["road"])) + 1  # one segment cut in two
    want = road_segments(inputs.lines["road"])
    got = road_segments(inputs.lines["road"], built=built)
    assert shapely.equals_exact(got.geometry.to_numpy(), want.geometry.to_numpy(), tolerance=0).all()


def _axis_network(rng: np.random.Generator) -> np.ndarray:
    """Random lines along the axes on the millimetre grid: road segments, mains across them, tied candidates.

    The candidates are as candidate_lines draws them: a tie from a main (which may run back along the
    road), then the road segment; some bent lines cross themselves or close into a ring.
    """
    xs, ys = np.arange(0, 960, 120.0) + 0.004, np.arange(0, 720, 120.0)
    roads = [[(x, y), (x + 120, y)] for x in xs[:-1] for y in ys] + [
        [(x, y), (x, y + 120)] for x in xs for y in ys[:-1]
    ]
    keep = rng.random(len(roads)) < 0.5
    off = float(rng.choice([0.0, 4.0, -3.999, 7.125]))
    mains = [[(x + off, 0.0), (x + off, 600.0)] for x in rng.choice(xs, 3)]
    mains += [[(0.0, y + off), (840.0, y + off)] for y in rng.choice(ys, 2)]
    ties = []
    for x, y in zip(rng.choice(xs[:-1], 12), rng.choice(ys[:-1], 12), strict=True):
        tie = float(rng.choice([off or 2.0, 4.0, -4.0, 0.5]))
        if rng.random() < 0.5:  # a vertical road segment, tied from the side or from along it
            start = (x + tie, y) if rng.random() < 0.5 else (x, y + tie)
            ties.append([start, (x, y), (x, y + 120)])
        else:
            ties.append([(x, y + tie), (x, y), (x + 120, y)])
    loops = [[(x, y), (x + 120, y), (x + 120, y + 120), (x + 60, y + 120), (x + 60, y - 60)] for x, y in
             zip(rng.choice(xs[:-2], 2), rng.choice(ys[1:-2], 2), strict=True)]  # fmt: skip
    loops.append([(xs[1], ys[1]), (xs[2], ys[1]), (xs[2], ys[2]), (xs[1], ys[2]), (xs[1], ys[1])])
    loops.append([(1000.0, 1000.0), (1100.0, 1000.0), (1100.0, 1100.0)])  # alone: it keeps its bend
    lines = [r for r, k in zip(roads, keep, strict=True) if k] + mains + ties + loops
    lines = [lines[i] for i in rng.permutation(len(lines))]
    return np.array([shapely.LineString(np.round(np.array(c) + np.array([520_000.0, 3_500_000.0]), 3)) for c in lines])


@pytest.mark.parametrize("seed", range(12))
def test_axis_lines_noded_gives_geos_segments_in_geos_order(seed):
    """Bent lines along the axes (tied candidates, loops): the same pieces as GEOS, each with its vertices, in order."""
    geoms = _axis_network(np.random.default_rng(seed))
    want = shapely.get_parts(shapely.union_all(geoms, grid_size=0.001))
    got = axis_lines_noded(geoms)
    assert got is not None
    assert _segments(got) == _segments(want)
    assert (shapely.get_num_coordinates(got) > 2).any()  # some pieces keep a bend
    assert _segments(noded(geoms)) == _segments(want)


def test_axis_lines_noded_leaves_other_lines_to_geos():
    """A slanted segment, an end off the grid, a repeated vertex: None; noded() then gives node_lines' segments."""
    slanted = _lines([(0, 0), (10, 0), (10, 10)], [(0, 0), (5, 5.5)])
    off_grid = _lines([(0, 0), (10, 0), (10, 10.0004)], [(5, -5), (5, 5)])
    repeated = _lines([(0, 0), (10, 0), (10, 0), (10, 10)], [(5, -5), (5, 5)])
    for geoms in (slanted, off_grid, repeated):
        assert axis_lines_noded(geoms) is None
        assert _segments(noded(geoms)) == _segments(node_lines(geoms))
    straight = _lines([(0, 0), (10, 0)], [(5, -5), (5, 5)])  # single segments: axis_noded's pieces as they are
    assert _segments(axis_lines_noded(straight)) == _segments(
        shapely.get_parts(shapely.union_all(straight, grid_size=0.001))
    )
