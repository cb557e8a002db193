"""`bench.api --copies K`: the GeoPackage and the PostGIS park made K times as large hold the same parcels."""

from __future__ import annotations

import sqlite3

import numpy as np
import shapely

from bench.api_park import build_gpkg, copy_shift_m, replicate_gpkg, replicate_postgis
from planner.api.compact import CompactParcels
from planner.store import copy_park, open_store


def test_both_parks_made_three_times_as_large_hold_the_same_parcels(tmp_path, postgis_url):
    base, big = tmp_path / "park.gpkg", tmp_path / "big.gpkg"
    build_gpkg(base, 300)
    shift = copy_shift_m(base)
    with open_store(base) as store:
        built = store.read_parcels().set_index("parcel_id")
        stamp = store.change_stamp()
    _, miny, _, maxy = built.total_bounds
    assert shift == float(np.ceil(maxy - miny) + 1000) and shift.is_integer()
    replicate_gpkg(base, big, 3, shift)
    copy_park(base, postgis_url, overwrite=True).close()
    location = f"{postgis_url}?park=BENCH"
    replicate_postgis(location, 3, shift)

    with open_store(big) as g, open_store(location) as p:
        assert g.change_stamp() == stamp  # no history added: the readiness recorded stays current
        ours = g.read_parcels().set_index("parcel_id").sort_index()
        theirs = p.read_parcels().set_index("parcel_id").sort_index()
        kept = CompactParcels(g)
    assert len(ours) == 900 and ours.index.tolist() == theirs.index.tolist()
    assert shapely.equals_exact(ours.geometry.to_numpy(), theirs.geometry.to_numpy(), tolerance=0).all()
    for k in (1, 2):  # each copy: x as built, y moved k × shift to the same double
        moved = ours.loc[[f"{i}-{k}" for i in built.index]]
        a, b = shapely.get_coordinates(built.geometry.to_numpy()), shapely.get_coordinates(moved.geometry.to_numpy())
        assert (b[:, 0] == a[:, 0]).all() and (b[:, 1] == a[:, 1] + k * shift).all()
        assert (moved["area_mu"].to_numpy() == built["area_mu"].to_numpy()).all()
    with sqlite3.connect(big) as conn:  # the R-tree holds every copy's box
        assert conn.execute("SELECT count(*) FROM rtree_parcels_geom").fetchone() == (900,)
    top = shapely.box(*ours.loc[[f"{built.index[0]}-2"]].total_bounds).centroid.buffer(1.0)
    assert kept.parcel_id[kept.within(top)].tolist() == [f"{built.index[0]}-2"]
