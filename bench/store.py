"""Park store: validate, write and read N parcels; baseline: GDAL (pyogrio) writing and reading the same frame.

    python -m bench.store --parcels 10000 100000

Prints the median of ``--repeat`` runs and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from planner.config import ParkConfig
from planner.parcels.validation import validate_parcels
from planner.store import create_park

X0, Y0 = 620_000.0, 3_570_000.0


def synthetic_parcels(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` rectangular parcels of 10–200 mu on a grid, with typical attribute columns filled."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    cell = 400.0
    w = rng.uniform(80, 380, n)
    h = rng.uniform(80, 380, n)
    x = X0 + (i % side) * cell
    y = Y0 + (i // side) * cell
    geoms = shapely.box(x, y, x + w, y + h)
    status = rng.choice(["planned", "reserved", "supplied", "under_construction", "in_production"], n)
    supplied = np.isin(status, ["supplied", "under_construction", "in_production"])
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"B{k:07d}" for k in i],
            "name": [f"{k}号地块" for k in i],
            "status": status,
            "land_use": rng.choice(["100101", "100102", "100103", "1101"], n),
            "zone_industries": rng.choice(["C34,C35", "C39", "C36,C384", "C26,C30", "G59"], n),
            "holder": np.where(supplied, "某某科技有限公司", None),
            "contract_date": np.where(supplied, "2022-03-01", None),
            "land_price_wan": np.where(supplied, rng.uniform(100, 3000, n).round(1), np.nan),
            "investment_total_wan": np.where(supplied, rng.uniform(5000, 90000, n).round(0), np.nan),
            "declared_road": rng.random(n) < 0.9,
            "declared_water": rng.random(n) < 0.8,
            "declared_power": rng.random(n) < 0.85,
            "output_wan": np.where(status == "in_production", rng.uniform(1e3, 1e5, n).round(0), np.nan),
        },
        geometry=geoms,
        crs=4548,
    )


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = ParkConfig(park_id="BENCH", name="基准园区", crs_epsg=4548)
    print(f"{'parcels':>9} {'step':<34} {'median s':>9} {'baseline s':>11} {'ratio':>7}")
    for n in args.parcels:
        frame = synthetic_parcels(n)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            counter = iter(range(10**6))

            def write() -> None:
                store = create_park(folder / f"w{next(counter)}.gpkg", config)
                store.write_parcels(frame, by="bench")

            validate = timed(lambda: validate_parcels(frame, crs_epsg=4548, park_id="BENCH"), args.repeat)
            write_s = timed(write, args.repeat)
            checked = validate_parcels(frame, crs_epsg=4548, park_id="BENCH").parcels

            def gdal_write() -> None:
                pyogrio.write_dataframe(checked, folder / f"g{next(counter)}.gpkg", layer="parcels")

            gdal_write_s = timed(gdal_write, args.repeat)
            store = create_park(folder / "read.gpkg", config)
            store.write_parcels(frame, by="bench")
            gdal_path = folder / "gdal.gpkg"
            pyogrio.write_dataframe(checked, gdal_path, layer="parcels")
            read_s = timed(store.read_parcels, args.repeat)
            gdal_read_s = timed(lambda: pyogrio.read_dataframe(gdal_path, layer="parcels"), args.repeat)
            minx, miny, maxx, maxy = checked.total_bounds
            box = (minx, miny, minx + (maxx - minx) / 20, miny + (maxy - miny) / 20)
            bbox_s = timed(lambda: store.read_parcels(bbox=box), args.repeat)
            gdal_bbox_s = timed(lambda: pyogrio.read_dataframe(gdal_path, layer="parcels", bbox=box), args.repeat)
            rows = [
                ("validate (areas, codes, overlaps)", validate, None),
                ("write: validate + one transaction", write_s, gdal_write_s),
                ("read all", read_s, gdal_read_s),
                ("read bbox (1/400 of the extent)", bbox_s, gdal_bbox_s),
            ]
            for step, ours, base in rows:
                base_text = f"{base:11.3f}" if base else f"{'—':>11}"
                ratio = f"{ours / base:7.2f}" if base else f"{'—':>7}"
                print(f"{n:>9,} {step:<34} {ours:9.3f} {base_text} {ratio}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:,.0f} MiB")
    print("baseline: GDAL via pyogrio writing/reading the same validated frame (no validation, history or versions)")


if __name__ == "__main__":
    main()
