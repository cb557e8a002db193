"""The numpy kernels for straight edges and convex parcels against GEOS, the way coverage used before them."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from planner.infra.stretch import ASK, FAR, FOUND, convex_rings, ring_distance, spliced_rings, zone_stretch
from planner.infra.tap_pairs import _pairs, _stretch, parcel_shapes

X0, Y0 = 620_000.0, 3_570_000.0  # Gauss–Krüger magnitudes, as in the parks


def geos_stretch(segment: LineString, parcel, d: float) -> tuple[bool, float, float]:
    """Within ``d`` (GEOS ``dwithin``) and the stretch as coverage computes it with GEOS buffers."""
    within = bool(shapely.dwithin(segment, parcel, d))
    a, b = _stretch(np.array([segment]), np.array([parcel]), np.array([0]), d)
    return within, float(a[0]), float(b[0])


def kernel(segment: LineString, parcel, d: float) -> tuple[int, float, float, float]:
    rings = convex_rings(np.array([parcel]))
    assert rings.count[0] > 0, "the parcel must qualify"
    xy = shapely.get_coordinates(segment)
    lo, hi, state = zone_stretch(xy[:1], xy[-1:], rings, np.array([0]), d)
    dist = ring_distance(xy[:1], xy[-1:], rings, np.array([0]))
    return int(state[0]), float(lo[0]), float(hi[0]), float(dist[0])


def agrees(segment: LineString, parcel, d: float) -> int:
    """Assert the kernel agrees with GEOS wherever it answers; return its outcome."""
    state, lo, hi, dist = kernel(segment, parcel, d)
    assert dist == pytest.approx(float(shapely.distance(segment, parcel)), abs=1e-7)
    within, a, b = geos_stretch(segment, parcel, d)
    if state == FAR:
        assert not within
    elif state == FOUND:
        assert within
        assert lo == pytest.approx(a, abs=1e-6)
        assert hi == pytest.approx(b, abs=1e-6)
    return state


def geoms_frame(geoms: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=geoms, crs=4548)


def square(x: float, y: float, side: float):
    return box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side)


def seg(*xy: tuple[float, float]) -> LineString:
    return LineString([(X0 + x, Y0 + y) for x, y in xy])


# hand-made cases around the square 0–100 × 0–100 with d = 40 (its zone's sides lie at -40 and 140)


def test_a_segment_inside_the_zone_is_all_stretch():
    assert agrees(seg((10, -20), (90, -20)), square(0, 0, 100), 40) == FOUND
    assert kernel(seg((10, -20), (90, -20)), square(0, 0, 100), 40)[1:3] == pytest.approx((0.0, 80.0))


def test_a_segment_across_the_parcel_has_distance_zero_and_crosses_the_whole_zone():
    state, lo, hi, dist = kernel(seg((-100, 50), (200, 50)), square(0, 0, 100), 40)
    assert (state, dist) == (FOUND, 0.0)
    assert (lo, hi) == pytest.approx((60.0, 240.0))  # from x = -40 to x = 140
    agrees(seg((-100, 50), (200, 50)), square(0, 0, 100), 40)


def test_a_segment_through_a_corner_fan_enters_on_a_chord():
    # the line x = -30 passes the corner (0, 0) 30 m away: the circle gives y = -√(40² − 30²) = -26.46;
    # the chords of the fan lie a little inside, so the stretch starts a little later
    state, lo, _, _ = kernel(seg((-30, -200), (-30, 50)), square(0, 0, 100), 40)
    assert state == FOUND
    assert 200 - 26.46 < lo < 200 - 26.46 + 0.5
    agrees(seg((-30, -200), (-30, 50)), square(0, 0, 100), 40)


def test_a_segment_ending_on_the_zone_touches_it_at_a_point_and_is_left_to_geos():
    assert agrees(seg((50, -100), (50, -40)), square(0, 0, 100), 40) == ASK


def test_a_segment_along_the_zone_side_is_left_to_geos():
    assert agrees(seg((20, -40), (80, -40)), square(0, 0, 100), 40) == ASK


def test_a_segment_between_chord_and_circle_is_within_but_has_no_stretch_and_is_left_to_geos():
    # the fan at the corner (0, 0) turns from 180° to 270° in 16 chords; the 8th faces 180° + 7.5 × 5.625° and lies
    # 40·cos(π/64) = 39.952 m from the corner. A segment across that direction 39.98 m out is within 40 m of the
    # parcel but outside the polygon zone
    mu = np.radians(180 + 7.5 * 5.625)
    centre = 39.98 * np.array([np.cos(mu), np.sin(mu)])
    across = np.array([-np.sin(mu), np.cos(mu)])
    segment = seg(tuple(centre - 3 * across), tuple(centre + 3 * across))
    assert shapely.dwithin(segment, square(0, 0, 100), 40)
    assert shapely.intersection(segment, shapely.buffer(square(0, 0, 100), 40, quad_segs=16)).is_empty
    assert agrees(segment, square(0, 0, 100), 40) == ASK


def test_a_zero_length_segment_is_left_to_geos():
    state, *_ = kernel(seg((50, -20), (50, -20)), square(0, 0, 100), 40)
    assert state == ASK


def test_a_segment_beyond_the_zone_is_far():
    assert agrees(seg((-100, -41), (200, -41)), square(0, 0, 100), 40) == FAR
    assert agrees(seg((-60, -60), (-29, -29)), square(0, 0, 100), 40) == FAR  # toward the corner, short of it


def test_which_parcels_qualify():
    from shapely.geometry import MultiPolygon, Polygon

    parcels = np.array(
        [
            square(0, 0, 100),
            MultiPolygon([square(0, 0, 100)]),  # one part: yes
            Polygon([(0, 0), (100, 0), (100, 100), (50, 40), (0, 100)]),  # not convex
            MultiPolygon([square(0, 0, 10), square(50, 0, 10)]),  # two parts
            square(0, 0, 100).difference(square(40, 40, 10)),  # a hole
            Polygon([(0, 0), (50, 0.001), (100, 0), (100, 100), (0, 100)]),  # a corner too flat for a fan
            Point(0, 0).buffer(50, quad_segs=16),  # 64 corners
            Polygon([(0, 0), (100, 0), (100, 100), (0, 100)]).reverse(),  # clockwise: yes
        ],
        dtype=object,
    )
    assert (convex_rings(parcels).count > 0).tolist() == [True, True, False, False, False, False, False, True]


_RING_FIELDS = ("count", "start", "x", "y", "ux", "uy", "side", "steps", "inc")


def test_spliced_rings_are_those_made_anew_for_the_changed_parcels():
    """Parcels edited in a kept park (one turned concave, one made convex, a pentagon made a triangle, the first and
    the last): their corners spliced in are, array for array, those convex_rings gives for the whole park anew."""
    from shapely.geometry import Polygon

    concave = Polygon([(0, 0), (100, 0), (100, 100), (50, 40), (0, 100)])
    pentagon = Polygon([(0, 0), (60, 0), (80, 40), (30, 80), (-10, 40)])
    before = np.array([square(0, 0, 100), concave, pentagon, square(500, 0, 50), square(900, 0, 20)], dtype=object)
    after = before.copy()
    after[0] = Polygon([(0, 0), (100, 0), (0, 100)])  # three corners where there were four
    after[1] = square(200, 0, 30)  # was concave (no corners): now four
    after[2] = concave  # was a pentagon: now none
    after[4] = square(900, 0, 20).reverse()  # clockwise: its corners turned counter-clockwise
    rows = np.array([4, 0, 1, 2])  # in no order
    got = spliced_rings(convex_rings(before), rows, convex_rings(after[rows]))
    fresh = convex_rings(after)
    assert got.count.tolist() == [3, 4, 0, 4, 4]
    for name in _RING_FIELDS:
        assert np.array_equal(getattr(got, name), getattr(fresh, name)), name


def test_spliced_parcel_shapes_are_those_made_anew():
    """The shapes kept between runs with a few parcels moved: the same envelopes, grown boxes, circles and corners
    as made anew for the whole park."""
    rng = np.random.default_rng(5)
    corners = zip(rng.uniform(0, 1e4, 300), rng.uniform(0, 1e4, 300), rng.uniform(5, 90, 300), strict=True)
    geoms = np.array(
        [square(x, y, side) for x, y, side in corners],
        dtype=object,
    )
    kept = parcel_shapes(geoms_frame(geoms))
    kept.boxes(40.0)
    kept.circle()
    rows = np.array([299, 7, 0, 150])
    moved = geoms.copy()
    moved[299] = shapely.affinity.rotate(geoms[299], 10)
    for row in (7, 0, 150):
        moved[row] = shapely.affinity.translate(geoms[row], 1.5, -2.0)
    got = kept.spliced(rows, parcel_shapes(geoms_frame(moved[rows])))
    fresh = parcel_shapes(geoms_frame(moved))
    assert np.array_equal(got.bounds, fresh.bounds)
    assert shapely.equals(got.boxes(40.0), fresh.boxes(40.0)).all()
    assert all(np.array_equal(a, b) for a, b in zip(got.circle(), fresh.circle(), strict=True))
    for name in _RING_FIELDS:
        assert np.array_equal(getattr(got.rings, name), getattr(fresh.rings, name)), name
    assert not np.array_equal(got.bounds, kept.bounds)  # the kept shapes are left as they were


# random segments and convex parcels


@st.composite
def parcels_and_segments(draw):
    kind = draw(st.sampled_from(["box", "rotated", "hull"]))
    if kind == "box":
        w, h = draw(st.floats(1, 300)), draw(st.floats(1, 300))
        parcel = box(X0, Y0, X0 + w, Y0 + h)
    elif kind == "rotated":
        w, h = draw(st.floats(1, 300)), draw(st.floats(1, 300))
        parcel = shapely.affinity.rotate(box(X0, Y0, X0 + w, Y0 + h), draw(st.floats(0, 360)), origin=(X0, Y0))
    else:
        points = draw(st.lists(st.tuples(st.floats(0, 300), st.floats(0, 300)), min_size=3, max_size=12))
        parcel = shapely.convex_hull(shapely.multipoints([(X0 + x, Y0 + y) for x, y in points]))
        assume(parcel.geom_type == "Polygon")
    if draw(st.booleans()):
        parcel = parcel.reverse()
    d = draw(st.sampled_from([40.0, 60.0]) | st.floats(1, 150))
    minx, miny, maxx, maxy = parcel.bounds
    lo_x, hi_x, lo_y, hi_y = minx - 2 * d, maxx + 2 * d, miny - 2 * d, maxy + 2 * d
    a = (draw(st.floats(lo_x, hi_x)), draw(st.floats(lo_y, hi_y)))
    style = draw(st.sampled_from(["free", "horizontal", "vertical", "from corner"]))
    if style == "horizontal":
        b = (draw(st.floats(lo_x, hi_x)), a[1])
    elif style == "vertical":
        b = (a[0], draw(st.floats(lo_y, hi_y)))
    elif style == "from corner":  # starts on a parcel corner: runs through the zone from inside
        corner = shapely.get_coordinates(parcel)[draw(st.integers(0, len(shapely.get_coordinates(parcel)) - 2))]
        a, b = tuple(corner), (draw(st.floats(lo_x, hi_x)), draw(st.floats(lo_y, hi_y)))
    else:
        b = (draw(st.floats(lo_x, hi_x)), draw(st.floats(lo_y, hi_y)))
    assume(a != b)
    return parcel, LineString([a, b]), d


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(parcels_and_segments())
def test_random_segments_and_convex_parcels_agree_with_geos(case):
    parcel, segment, d = case
    assume(convex_rings(np.array([parcel])).count[0] > 0)
    agrees(segment, parcel, d)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_pairs_of_a_random_park_are_those_and_stretches_geos_gives(seed):
    # straight and bent lines, convex and other parcels: every pair as the dwithin query and the GEOS stretch give
    rng = np.random.default_rng(seed)
    d = float(rng.choice([20.0, 40.0, 60.0]))
    lines = []
    for _ in range(12):
        points = X0 + rng.uniform(0, 600, (int(rng.integers(2, 5)), 2))
        points[:, 1] += Y0 - X0
        if rng.random() < 0.4:  # a straight axis-parallel street
            axis = int(rng.integers(0, 2))
            points = points[:2].copy()
            points[1, axis] = points[0, axis]
        lines.append(LineString(points))
    parcels = []
    for _ in range(15):
        x, y = rng.uniform(0, 500, 2)
        w, h = rng.uniform(5, 120, 2)
        shape = box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)
        roll = rng.random()
        if roll < 0.3:
            shape = shapely.affinity.rotate(shape, float(rng.uniform(0, 90)))
        elif roll < 0.45:  # an L: not convex
            shape = shape.difference(box(X0 + x + w / 2, Y0 + y + h / 2, X0 + x + w + 1, Y0 + y + h + 1))
        parcels.append(shape)
    edges = np.array(lines, dtype=object)
    geoms = np.array(parcels, dtype=object)
    tree = shapely.STRtree(edges)
    got = _pairs(tree, edges, parcel_shapes(geoms_frame(geoms)), d)
    want_p, want_e = tree.query(geoms, predicate="dwithin", distance=d)
    order = np.lexsort((want_e, want_p))  # each parcel's pairs in the order of the edges
    want_p, want_e = want_p[order], want_e[order]
    np.testing.assert_array_equal(got.parcel, want_p)
    np.testing.assert_array_equal(got.edge, want_e)
    a, b = _stretch(edges[want_e], geoms, want_p, d)
    np.testing.assert_allclose(got.a, a, atol=1e-6)
    np.testing.assert_allclose(got.b, b, atol=1e-6)
    rows = np.arange(len(want_p))
    np.testing.assert_allclose(got.distance(rows), shapely.distance(edges[want_e], geoms[want_p]), atol=1e-7)
    taps = got.point_at(rows, (a + b) / 2)
    np.testing.assert_allclose(
        taps, shapely.get_coordinates(shapely.line_interpolate_point(edges[want_e], (a + b) / 2)), atol=1e-6
    )


def _coverage_both_ways(monkeypatch, network, parcels, **settings):
    """Coverage as computed, and with nothing dropped before it is settled."""
    import planner.infra.coverage as coverage
    import planner.infra.tap_pairs as tap_pairs

    pruned = coverage.network_coverage(network, parcels, **settings)
    with monkeypatch.context() as m:
        m.setattr(tap_pairs._Along, "bound", lambda self, edge: np.full(len(edge), -np.inf))
        whole = coverage.network_coverage(network, parcels, **settings)
    return pruned, whole


def test_dropping_pairs_that_cannot_win_changes_nothing_in_the_demo_park(demo_park, monkeypatch):
    import pandas as pd

    from planner.infra.network import build_network
    from planner.store import open_store
    from planner.vocab import NETWORK_ITEMS

    store = open_store(demo_park.path)
    config, parcels, sources = store.config(), store.read_parcels(), store.read_layer("sources")
    for net in NETWORK_ITEMS:
        network = build_network(net, store.read_layer(f"{net}_lines"), sources)
        pruned, whole = _coverage_both_ways(monkeypatch, network, parcels, **config.networks[net])
        pd.testing.assert_frame_equal(pruned.table, whole.table)
        pd.testing.assert_frame_equal(pruned.sources, whole.sources)


# monkeypatch is undone after each example (monkeypatch.context), so sharing the fixture is safe
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_dropping_pairs_that_cannot_win_changes_nothing_in_random_parks(seed, monkeypatch):
    import geopandas as gpd
    import pandas as pd

    from planner.infra.network import build_network
    from planner.parcels.validation import validate_parcels

    rng = np.random.default_rng(seed)
    step = float(rng.choice([60.0, 100.0, 150.0]))
    ticks = np.arange(0, 7) * step
    lines = [LineString([(X0 + x, Y0), (X0 + x, Y0 + ticks[-1])]) for x in ticks]
    lines += [LineString([(X0, Y0 + y), (X0 + ticks[-1], Y0 + y)]) for y in ticks]
    lines += [LineString(X0 + rng.uniform(0, ticks[-1], (3, 2)) * [1, 1] + [0, Y0 - X0])]  # a bent one
    keep = rng.random(len(lines)) < 0.8
    frame = gpd.GeoDataFrame(
        {"line_id": [f"L{i}" for i in range(int(keep.sum()))]}, geometry=list(np.array(lines)[keep]), crs=4548
    )
    picks = rng.choice(len(ticks), (2, 2))
    sources = gpd.GeoDataFrame(
        {
            "source_id": ["S0", "S1"],
            "network": "water",
            "kind": "waterworks",
            "name": ["S0", "S1"],
            "capacity_m3d": [1e6, 1e6],
            "in_service": True,
        },
        geometry=[Point(X0 + ticks[a], Y0 + ticks[b] * 0) for a, b in picks],
        crs=4548,
    )
    network = build_network("water", frame, sources)
    shapes = []
    for i in range(20):
        x, y = rng.uniform(0, ticks[-1] - 20, 2)
        w, h = rng.uniform(5, step, 2)
        shape = box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)
        if i % 4 == 1:
            shape = shapely.affinity.rotate(shape, float(rng.uniform(0, 90)))
        shapes.append(shape)
    shapes = [g for i, g in enumerate(shapes) if not any(g.intersects(o) for o in shapes[:i])]
    parcels = validate_parcels(
        gpd.GeoDataFrame(
            {"parcel_id": [f"P{i}" for i in range(len(shapes))], "status": "reserved"}, geometry=shapes, crs=4548
        ),
        crs_epsg=4548,
        park_id="T1",
    ).parcels
    d = float(rng.choice([20.0, 40.0, 60.0]))
    pruned, whole = _coverage_both_ways(
        monkeypatch, network, parcels, service_distance_m=d, service_radius_m=float(rng.choice([300.0, 5000.0]))
    )
    pd.testing.assert_frame_equal(pruned.table, whole.table)
