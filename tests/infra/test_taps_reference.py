"""Taps on the benchmark's park against a plain GEOS computation, pair by pair.

The park of ``bench.readiness`` (a street grid, utilities on part of it, most parcels of two
networks unreached): every parcel's tap, lateral and network distance and serving source as
:func:`planner.infra.taps.network_taps` finds them (numpy kernels, pruned pairs, distances
measured once) equal those of every parcel–edge pair within the service distance worked out
with GEOS alone (its buffer, intersection and distance) under the same rules.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.readiness import synthetic
from planner.infra.network import Network, build_network, source_distances
from planner.infra.taps import TIE_M, network_taps

D = 40.0


def _reference(network: Network, parcels: pd.DataFrame, d: float = D) -> pd.DataFrame:
    """Each parcel's tap by GEOS, every pair within the service distance considered."""
    geoms = parcels.geometry.to_numpy()
    edges = network.edges
    lines = edges.geometry.to_numpy()
    dist, origin = source_distances(network)
    u, v, length = edges["u"].to_numpy(), edges["v"].to_numpy(), edges["length_m"].to_numpy()
    p, e = shapely.STRtree(lines).query(geoms, predicate="dwithin", distance=d)
    inside = shapely.intersection(lines[e], shapely.buffer(geoms[p], d, quad_segs=16))
    coords, owner = shapely.get_coordinates(inside, return_index=True)
    pos = shapely.line_locate_point(lines[e[owner]], shapely.points(coords))
    span = pd.DataFrame({"k": owner, "pos": pos}).groupby("k")["pos"].agg(["min", "max"]).reindex(range(len(p)))
    nearest = shapely.line_locate_point(lines[e], shapely.get_point(shapely.shortest_line(lines[e], geoms[p]), 0))
    a, b = span["min"].fillna(pd.Series(nearest)).to_numpy(), span["max"].fillna(pd.Series(nearest)).to_numpy()
    via_u, via_v = dist[u[e]] + a, dist[v[e]] + (length[e] - b)
    use_u = via_u <= via_v + TIE_M
    along = np.where(use_u, via_u, via_v)
    lateral = shapely.distance(lines[e], geoms[p])
    rows = []
    for k in range(len(parcels)):
        mine = np.flatnonzero(p == k)  # in the order of the edges
        if not len(mine):
            far = shapely.distance(geoms[k], lines).min()
            rows.append((far if far <= 20 * d else np.inf, np.inf, -1, None, np.nan, np.nan, False))
            continue
        mine = mine[np.argsort(e[mine], kind="stable")]
        tied = mine[along[mine] <= along[mine].min() + TIE_M]
        best = tied[lateral[tied] <= lateral[tied].min() + TIE_M][0]
        tap = shapely.line_interpolate_point(lines[e[best]], a[best] if use_u[best] else b[best])
        source = origin[u[e[best]]] if use_u[best] else origin[v[e[best]]]
        line_id = edges["line_id"].iloc[e[best]]
        rows.append((lateral[best], along[best], source, line_id, tap.x, tap.y, True))
    columns = ["distance_m", "network_m", "source", "line_id", "tap_x", "tap_y", "near"]
    return pd.DataFrame(rows, columns=columns)


@pytest.mark.parametrize("rotate_deg", [0.0, 17.0])
@pytest.mark.parametrize("name", ["road", "water", "gas"])
def test_taps_of_the_bench_park_equal_geos_pair_by_pair(name: str, rotate_deg: float) -> None:
    """Also the park turned 17°: its lines slanted (noded by planner.infra.snapround), the gas mains beyond the
    cross streets long single edges whose envelopes meet the grown envelopes of parcels they pass far from."""
    parcels, layers, sources = synthetic(300, seed=5, rotate_deg=rotate_deg)
    network = build_network(name, layers[name], sources)
    assert network is not None
    got = network_taps(network, parcels, service_distance_m=D)
    want = _reference(network, parcels)
    unreached = (~np.isfinite(got["network_m"])).sum()
    assert unreached == 0 if name == "road" else unreached > 0  # water mains stop short of their works' street
    assert got["line_id"].fillna("").tolist() == want["line_id"].fillna("").tolist()  # "": no tap
    assert list(got["source"]) == list(want["source"])
    assert list(got["near"]) == list(want["near"])
    for column in ("distance_m", "network_m", "tap_x", "tap_y"):
        np.testing.assert_allclose(got[column], want[column], rtol=0, atol=1e-6)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rotate_deg=st.floats(1.0, 89.0),
    name=st.sampled_from(["road", "water", "drainage", "gas"]),
    d=st.sampled_from([20.0, 40.0, 60.0]),
)
def test_taps_of_a_random_slanted_park_equal_geos_pair_by_pair(seed: int, rotate_deg: float, name: str, d: float):
    """A random turn and random parcels: the probes in rounds (a parcel whose edge nearest a source, leaving its
    nearest corner, passes beyond the service distance), the long slanted edges looked up in pieces."""
    parcels, layers, sources = synthetic(150, seed=seed, rotate_deg=rotate_deg)
    network = build_network(name, layers[name], sources)
    assert network is not None
    got = network_taps(network, parcels, service_distance_m=d)
    want = _reference(network, parcels, d)
    assert got["line_id"].fillna("").tolist() == want["line_id"].fillna("").tolist()
    assert list(got["source"]) == list(want["source"])
    assert list(got["near"]) == list(want["near"])
    for column in ("distance_m", "network_m", "tap_x", "tap_y"):
        np.testing.assert_allclose(got[column], want[column], rtol=0, atol=1e-6)


@pytest.mark.parametrize("d", [20.0, 40.0])
def test_the_edges_lookup_kept_between_calls_gives_each_parcels_taps_as_before(d: float) -> None:
    """Tapped one by one after all were tapped (as after a parcel edit), the network keeping its edges' lookup per
    service distance: each parcel's taps are its row of the whole run, equal to GEOS's, and the lookup is not sent
    with the network (pickled for another process or the disk)."""
    parcels, layers, sources = synthetic(300, seed=8, rotate_deg=17.0)
    network = build_network("gas", layers["gas"], sources)
    assert network is not None
    whole = network_taps(network, parcels, service_distance_m=d)
    kept = vars(network)["tap_lookup"]
    assert d in kept and kept[d].pieces is not None  # long slanted gas mains: looked up in pieces
    for at in (0, 17, 150, 299):
        one = network_taps(network, parcels.iloc[[at]], service_distance_m=d)
        assert vars(network)["tap_lookup"][d] is kept[d]  # made once
        pd.testing.assert_frame_equal(one, whole.iloc[[at]].reset_index(drop=True), check_exact=True)
    want = _reference(network, parcels, d)
    assert whole["line_id"].fillna("").tolist() == want["line_id"].fillna("").tolist()
    assert "tap_lookup" not in vars(pickle.loads(pickle.dumps(network)))
