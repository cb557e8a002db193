"""Parcel areas across a province: each park in its own Gauss–Krüger zone (:mod:`bench.synthetic`).

    python -m bench.areas --parcels 10000 100000 1000000

Ours: :func:`planner.parcels.area.compute_areas` park by park — the planar area in the
park's zone (contracts, TXT files) and the area on the CGCS2000 ellipsoid (land surveys).
Baselines for the ellipsoidal area:

- the naive way, ``pyproj.Geod(ellps="GRS80").geometry_area_perimeter`` one parcel at a
  time on lon/lat (timed on a sample, extrapolated);
- plain geopandas, the whole province at once in one equal-area CRS (Albers for China,
  ``to_crs(...).area``).

Both are compared with ours (largest relative difference); so is the usual mistake,
Web Mercator ``to_crs(3857).area``.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd
import pyproj
import shapely

from bench.store import timed
from bench.synthetic import province
from planner.crs import CGCS2000
from planner.parcels.area import compute_areas

ALBERS_CHINA = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +ellps=GRS80 +units=m +no_defs"


def ours(made) -> pd.DataFrame:
    return pd.concat([compute_areas(p.parcels.geometry) for p in made.parks], ignore_index=True)


def naive_geod(lonlat: np.ndarray) -> np.ndarray:
    geod = pyproj.Geod(ellps="GRS80")
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) for g in lonlat])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=2_000, help="parcels timed the naive way")
    args = parser.parse_args()
    print(f"{'parcels':>9} {'step':<46} {'median s':>9} {'baseline s':>11} {'ratio':>7} {'max rel diff':>13}")
    for n in args.parcels:
        t = time.perf_counter()
        made = province(n)
        made_s = time.perf_counter() - t
        zones = ", ".join(f"zone {z}: {c:,}" for z, c in made.zones.items())
        print(f"{n:>9,} province: {len(made.parks)} parks ({zones}), made in {made_s:.1f} s")
        ours_s = timed(lambda m=made: ours(m), args.repeat)
        areas = ours(made)
        lonlat = made.lonlat()
        sample = np.random.default_rng(1).choice(n, size=min(args.sample, n), replace=False)
        t = time.perf_counter()
        geod = naive_geod(lonlat.geometry.to_numpy()[sample])
        naive_s = (time.perf_counter() - t) * n / len(sample)
        ellipsoid = areas["ellipsoid_area_m2"].to_numpy()
        geod_diff = np.max(np.abs(geod - ellipsoid[sample]) / geod)
        albers_s = timed(lambda g=lonlat: g.to_crs(ALBERS_CHINA).area, args.repeat)
        albers = lonlat.to_crs(ALBERS_CHINA).area.to_numpy()
        albers_diff = np.max(np.abs(albers - ellipsoid) / ellipsoid)
        assert geod_diff < 1e-6, f"our ellipsoidal areas differ from Geod's by up to {geod_diff:.1e}"
        assert albers_diff < 1e-6, f"our ellipsoidal areas differ from the Albers ones by up to {albers_diff:.1e}"
        mercator = shapely.area(lonlat.to_crs(3857).geometry.to_numpy())
        mercator_err = np.median(mercator / ellipsoid - 1)
        planar_diff = np.max(np.abs(areas["area_m2"].to_numpy() - ellipsoid) / ellipsoid)
        print(
            f"{n:>9,} {'ours: planar (own zone) + ellipsoidal, per park':<46} {ours_s:9.3f} {'—':>11} {'—':>7} "
            f"{planar_diff:13.1e}"
        )
        print(
            f"{n:>9,} {'  vs Geod per parcel (extrapolated)':<46} {ours_s:9.3f} {naive_s:11.3f} "
            f"{naive_s / ours_s:7.1f} {geod_diff:13.1e}"
        )
        print(
            f"{n:>9,} {'  vs geopandas, one Albers CRS for the province':<46} {ours_s:9.3f} {albers_s:11.3f} "
            f"{albers_s / ours_s:7.2f} {albers_diff:13.1e}"
        )
        print(f"{n:>9,} Web Mercator areas (never used) are off by {100 * mercator_err:+.0f}% (median)")
        del made, areas, lonlat
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    print(
        "ratio: baseline s / ours s (above 1: ours is faster); max rel diff: against our ellipsoidal area "
        "(first row: the planar area in the park's zone, the Gauss–Krüger scale)"
    )
    print(f"lon/lat in EPSG:{CGCS2000}; Geod on GRS80 (the CGCS2000 ellipsoid)")


if __name__ == "__main__":
    main()
