"""DEM import and site-leveling figures per parcel: a real SRTM window and a larger synthetic raster, against peers.

    python -m bench.dem                      # the SRTM window (2,000 parcels) and a synthetic 1° raster (10,000)
    python -m bench.dem --quick              # the SRTM window, 300 parcels, one run
    python -m bench.dem --source synthetic --parcels 20000 --cells 3600

The DEMs are in lon/lat as planners get them: the real SRTM 3″ window of ``tests/data/dem``
(240 × 240 cells) moved into China by its geotransform (82° east, as ``tests/exchange/test_dem.py``
does), or a synthetic 1″ raster (``--cells`` square, smooth hills and noise, int16 metres, made
with rasterio). A park in Gauss–Krüger zone 39 gets square parcels of 20–400 m a side on a
jittered grid over the middle of the DEM (the smallest under one cell).

Timed (median of ``--repeat`` runs, wall and CPU seconds of this process):

- ``import``: :func:`planner.exchange.import_dem` — reproject to the zone (bilinear), cut to the
  parcels with a margin, write the GeoTIFF, record it in the park; peer: the bare
  ``rasterio.warp.reproject`` onto the same grid in memory (what ``gdalwarp`` alone does);
- ``terrain``: :func:`planner.infra.terrain.parcel_terrain` — exact coverage shares, relief,
  slope, cut and fill for every parcel; peers: ``exactextract`` alone (coverage-weighted mean,
  min and max per parcel: the zonal statistics without slope and earthwork), and a
  ``rasterio.mask`` loop per parcel (cell centres inside, what rasterstats does; timed on a
  sample, extrapolated), which leaves parcels smaller than a cell with no figure at all.

Agreement is printed beside the times: the largest difference between our design level and
exactextract's weighted mean, and how many parcels the mask loop leaves without a figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.mask
import rasterio.warp
from affine import Affine
from exactextract import exact_extract
from shapely.geometry import box

from planner.config import ParkConfig
from planner.exchange import import_dem
from planner.infra.terrain import parcel_terrain
from planner.store import create_park

ROOT = Path(__file__).resolve().parent.parent
SRTM = ROOT / "tests" / "data" / "dem" / "srtm3_n31e035_window.tif"
SHIFT_DEG = 82.0
GK39 = 4548


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds (user + system of this process) of ``repeat`` runs of ``fn``."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_SELF)
        t = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def srtm_moved(folder: Path) -> Path:
    """The real SRTM window, 82° east (in China): the same cells, the geotransform shifted."""
    path = folder / "srtm_moved.tif"
    with rasterio.open(SRTM) as src:
        profile = src.profile.copy()
        t = src.transform
        profile["transform"] = Affine(t.a, t.b, t.c + SHIFT_DEG, t.d, t.e, t.f)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(src.read(1), 1)
    return path


def synthetic(folder: Path, cells: int, seed: int = 7) -> Path:
    """A ``cells`` × ``cells`` lon/lat DEM of 1″ cells at 117°E, 31.5°N: smooth hills (0–300 m) and 2 m noise."""
    rng = np.random.default_rng(seed)
    step = 1.0 / 3600.0
    x = np.linspace(0.0, 6.0 * np.pi, cells)
    hills = 150.0 + 80.0 * np.sin(x)[None, :] * np.cos(0.7 * x)[:, None] + 60.0 * np.sin(2.3 * x + 1.0)[:, None]
    z = (hills + rng.normal(0.0, 2.0, (cells, cells))).astype("int16")
    path = folder / f"synthetic_{cells}.tif"
    profile = {
        "driver": "GTiff", "width": cells, "height": cells, "count": 1, "dtype": "int16", "crs": "EPSG:4326",
        "transform": Affine(step, 0.0, 117.0, 0.0, -step, 31.5 + cells * step), "nodata": -32768,
        "compress": "deflate", "tiled": True,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)
    return path


def parcels_over(dem: Path, n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` square parcels of 20–400 m a side on a jittered grid over the middle 70% of the DEM, in zone 39."""
    with rasterio.open(dem) as src:
        left, bottom, right, top = rasterio.warp.transform_bounds(src.crs, f"EPSG:{GK39}", *src.bounds)
    rng = np.random.default_rng(seed)
    side_n = int(np.ceil(np.sqrt(n)))
    width, height = 0.7 * (right - left), 0.7 * (top - bottom)
    spacing = min(width, height) / side_n
    x0, y0 = (left + right) / 2 - spacing * side_n / 2, (bottom + top) / 2 - spacing * side_n / 2
    k = np.arange(n)
    sides = rng.uniform(20.0, min(400.0, 0.8 * spacing), n)
    xs = x0 + (k % side_n) * spacing + rng.uniform(0, spacing - sides)
    ys = y0 + (k // side_n) * spacing + rng.uniform(0, spacing - sides)
    geoms = [box(x, y, x + s, y + s) for x, y, s in zip(xs, ys, sides, strict=True)]
    return gpd.GeoDataFrame(
        {"parcel_id": [f"D{i + 1:06d}" for i in k], "status": "reserved", "land_use": "100101"},
        geometry=geoms,
        crs=GK39,
    )


def bare_warp(src_path: Path, dem_path: Path) -> np.ndarray:
    """The peer of the import: ``rasterio.warp.reproject`` onto the grid the import wrote, in memory only."""
    with rasterio.open(dem_path) as done:
        transform, shape = done.transform, done.shape
    z = np.full(shape, np.nan, dtype="float32")
    with rasterio.open(src_path) as src:
        rasterio.warp.reproject(
            source=rasterio.band(src, 1),
            destination=z,
            dst_transform=transform,
            dst_crs=f"EPSG:{GK39}",
            dst_nodata=np.nan,
            resampling=rasterio.warp.Resampling.bilinear,
        )
    return z


def mask_loop(parcels: gpd.GeoDataFrame, dem_path: Path) -> np.ndarray:
    """Mean, min and max per parcel the rasterstats way: ``rasterio.mask`` each parcel, cells whose centre is inside."""
    out = np.full((len(parcels), 3), np.nan)
    with rasterio.open(dem_path) as dem:
        for i, geom in enumerate(parcels.geometry):
            z, _ = rasterio.mask.mask(dem, [geom], crop=True, filled=True, nodata=np.nan)
            z = z[0][np.isfinite(z[0])]
            if len(z):
                out[i] = (z.mean(), z.min(), z.max())
    return out


def exactextract_alone(parcels: gpd.GeoDataFrame, dem_path: Path) -> np.ndarray:
    """Coverage-weighted mean, min and max per parcel from ``exactextract`` on the DEM file."""
    found = exact_extract(str(dem_path), parcels[["parcel_id", "geometry"]], ["mean", "min", "max"], output="pandas")
    return found[["mean", "min", "max"]].to_numpy(dtype=float)


def run(name: str, src: Path, n: int, repeat: int, sample: int, folder: Path) -> None:
    parcels = parcels_over(src, n)
    park = folder / f"{name}.gpkg"
    with create_park(park, ParkConfig(park_id="DEMBENCH", name="高程基准园区", crs_epsg=GK39)) as store:
        store.write_parcels(parcels, by="bench")
    with rasterio.open(src) as s:
        source = f"{s.width}×{s.height} cells of {s.res[0] * 3600:.0f}″ ({s.crs})"
    print(f"\n{name}: {source}, {n:,} parcels of 20–400 m a side")
    ours_import = timed(lambda: import_dem(park, src, taken="2000-02-22"), repeat)
    report = import_dem(park, src, taken="2000-02-22")
    dem = report.written
    print(f"  imported: {report.shape[1]}×{report.shape[0]} cells of {report.cell_m:g} m in EPSG:{GK39}")
    peer_import = timed(lambda: bare_warp(src, dem), repeat)
    _row("import (warp, cut, write, record)", ours_import, "bare rasterio.warp.reproject", peer_import)
    ours_t = timed(lambda: parcel_terrain(parcels, dem), repeat)
    terrain = parcel_terrain(parcels, dem)
    exact_t = timed(lambda: exactextract_alone(parcels, dem), repeat)
    exact = exactextract_alone(parcels, dem)
    take = np.random.default_rng(3).choice(n, size=min(sample, n), replace=False)
    mask_wall, mask_cpu = timed(lambda: mask_loop(parcels.iloc[take], dem), 1)
    masked = mask_loop(parcels, dem) if n <= sample else mask_loop(parcels.iloc[take], dem)
    scale = n / len(take)
    _row("terrain: relief, slope, earthwork", ours_t, "exactextract alone (mean/min/max)", exact_t)
    _row("", ours_t, f"rasterio.mask loop (×{scale:.1f} of {len(take):,})", (mask_wall * scale, mask_cpu * scale))
    level = terrain["design_level_m"].to_numpy()
    diff = np.nanmax(np.abs(level - exact[:, 0]))
    reliable = int(terrain["relief_reliable"].sum())
    print(
        f"  agreement: design level vs exactextract's weighted mean, largest difference {diff:.2e} m; "
        f"ours gives every parcel a figure ({int(np.isfinite(level).sum()):,} of {n:,}, "
        f"{n - reliable:,} flagged under 4 cells); the mask loop leaves "
        f"{int(np.isnan(masked[:, 0]).sum()):,} of {len(masked):,} without one"
    )


def _row(what: str, ours: tuple[float, float], peer_what: str, peer: tuple[float, float]) -> None:
    ratio = peer[0] / ours[0] if ours[0] else float("nan")
    cpu_ratio = peer[1] / ours[1] if ours[1] else float("nan")
    print(
        f"  {what:<36} {ours[0]:8.3f} s wall {ours[1]:8.3f} s CPU | {peer_what:<38} {peer[0]:8.3f} s wall "
        f"{peer[1]:8.3f} s CPU | ratio {ratio:6.2f} (CPU {cpu_ratio:6.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", nargs="+", choices=["srtm", "synthetic"], default=["srtm", "synthetic"])
    parser.add_argument("--parcels", type=int, nargs="+", help="per source (default: 2,000 SRTM, 10,000 synthetic)")
    parser.add_argument("--cells", type=int, default=3600, help="the synthetic DEM's side in 1″ cells")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=1000, help="parcels timed with the mask loop")
    parser.add_argument("--quick", action="store_true", help="the SRTM window, 300 parcels, one run")
    args = parser.parse_args()
    if args.quick:
        args.source, args.parcels, args.repeat, args.sample = ["srtm"], [300], 1, 300
    defaults = {"srtm": 2000, "synthetic": 10_000}
    counts = args.parcels or [defaults[s] for s in args.source]
    if len(counts) == 1:
        counts = counts * len(args.source)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("ratio: peer s / ours s (above 1: ours is faster); CPU: user + system seconds of this process")
    with tempfile.TemporaryDirectory(prefix="bench-dem-") as tmp:
        folder = Path(tmp)
        for name, n in zip(args.source, counts, strict=True):
            sub = folder / name
            sub.mkdir()
            src = srtm_moved(sub) if name == "srtm" else synthetic(sub, args.cells)
            run(name, src, n, args.repeat, args.sample, sub)
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
