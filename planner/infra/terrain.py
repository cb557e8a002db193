"""Site leveling (场地平整) from a DEM: relief, slope and the earthwork to level each parcel.

Each DEM cell counts for a parcel by the share of its area inside the parcel (its exact
coverage fraction, from ``exactextract``: cells wholly inside count 1, cells on the boundary
the part inside), so that every parcel the DEM covers gets figures, however small:

- ``relief_m``: highest minus lowest elevation of the cells it touches (any share);
- ``slope_pct``: mean slope of those cells, weighted by share (rise over run × 100, from the
  elevation gradient);
- ``design_level_m``: the level that balances cut and fill, the weighted mean elevation;
- ``cut_m3`` / ``fill_m3``: the volume above / below the design level (share × cell area ×
  height), and ``earthwork_m3`` = cut + fill, the earth to move;
- ``cells``: the cells it covers, counted by share (a parcel of one cell's area covers 1.0);
- ``relief_reliable``: whether it covers at least :data:`MIN_RELIABLE_CELLS` cells. A relief
  from fewer cells cannot show the ground across the parcel (one cell gives a relief of 0):
  such a parcel is not judged leveled from the DEM (its record decides) and is reported.

A parcel counts as leveled when its relief and mean slope are within the park's
``leveled_relief_max_m`` and ``leveled_slope_max_pct``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from affine import Affine
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource

__all__ = ["MIN_RELIABLE_CELLS", "cell_coverage", "parcel_terrain"]

MIN_RELIABLE_CELLS = 4.0
"""Cells (counted by share) a parcel must cover for its relief to be judged: a 2 × 2 block, the least that shows
the ground falling either way."""


def parcel_terrain(parcels: gpd.GeoDataFrame, dem_path: str | Path) -> pd.DataFrame:
    """Relief, mean slope and earthwork of each parcel (index ``parcel_id``; NaN where the DEM does not cover it).

    Raises
    ------
    ValueError
        If the DEM's CRS is not the parcels' CRS, or its grid is rotated.
    """
    with rasterio.open(dem_path) as dem:
        if dem.crs is None or dem.crs.to_epsg() != parcels.crs.to_epsg():
            msg = (
                f"the DEM {dem_path} is in {dem.crs}, the parcels in EPSG:{parcels.crs.to_epsg()}; "
                "import it with `planner import PARK dem.tif`, which reprojects it to the park's Gauss–Krüger zone"
            )
            raise ValueError(msg)
        z = dem.read(1, masked=True).astype("float64").filled(np.nan)
        transform = dem.transform
    cell_w, cell_h = abs(transform.a), abs(transform.e)
    dz_dy, dz_dx = np.gradient(z, cell_h, cell_w)
    slope = np.hypot(dz_dx, dz_dy) * 100.0
    parcel, row, col, share = cell_coverage(
        parcels.geometry.to_numpy(), transform, z.shape, crs=f"EPSG:{parcels.crs.to_epsg()}"
    )
    elevation = z[row, col]
    keep = np.isfinite(elevation) & (share > 0)
    parcel, share, elevation, cell_slope = parcel[keep], share[keep], elevation[keep], slope[row[keep], col[keep]]
    n = len(parcels)
    weight = np.bincount(parcel, share, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.bincount(parcel, share * elevation, minlength=n) / weight
        sloped = np.isfinite(cell_slope)
        slope_w = np.bincount(parcel[sloped], share[sloped], minlength=n)
        mean_slope = np.bincount(parcel[sloped], share[sloped] * cell_slope[sloped], minlength=n) / slope_w
    area = cell_w * cell_h
    above = elevation - level[parcel]
    cut = np.bincount(parcel, share * area * np.clip(above, 0, None), minlength=n)
    fill = np.bincount(parcel, share * area * np.clip(-above, 0, None), minlength=n)
    extremes = pd.DataFrame({"parcel": parcel, "z": elevation}).groupby("parcel")["z"].agg(["min", "max"])
    covered = weight > 0
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["relief_m"] = (extremes["max"] - extremes["min"]).reindex(out.index)
    out["slope_pct"] = np.where(covered & (slope_w > 0), mean_slope, np.nan)
    out["design_level_m"] = np.where(covered, level, np.nan)
    out["cut_m3"] = np.where(covered, cut, np.nan)
    out["fill_m3"] = np.where(covered, fill, np.nan)
    out["earthwork_m3"] = out["cut_m3"] + out["fill_m3"]
    out["cells"] = weight
    out["relief_reliable"] = weight >= MIN_RELIABLE_CELLS
    out.index = parcels["parcel_id"].to_numpy()
    out.index.name = "parcel_id"
    return out


def cell_coverage(
    geoms: np.ndarray, transform: Affine, shape: tuple[int, int], *, crs: str = "EPSG:4326"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (geometry, cell) pair of a north-up grid where the cell overlaps the geometry, with the share of the
    cell's area inside it (1.0 for a cell wholly inside): arrays ``geometry``, ``row``, ``col``, ``share``.

    The shares are exact coverage fractions, from ``exactextract`` (the cells a boundary passes
    through clipped against it, the cells within counted whole). ``crs`` is the grid's and the
    geometries' (one CRS: exactextract needs it named, and reprojects nothing).
    """
    if transform.b != 0 or transform.d != 0 or transform.e >= 0:
        msg = "the DEM's grid is rotated or not north-up; warp it to a north-up grid (gdalwarp) first"
        raise ValueError(msg)
    rows, cols = shape
    west, north = transform.c, transform.f
    east, south = west + cols * transform.a, north + rows * transform.e
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    empty = np.zeros(0, dtype=np.int64)
    if not len(present):
        return empty, empty, empty, np.zeros(0)
    wkt = pyproj.CRS.from_user_input(crs).to_wkt()
    grid = NumPyRasterSource(np.zeros((rows, cols), dtype=np.float32), west, south, east, north, srs_wkt=wkt)
    shapes = gpd.GeoDataFrame({"k": present}, geometry=gpd.GeoSeries(geoms[present]), crs=wkt)
    found = exact_extract(grid, shapes, ["cell_id", "coverage"], output="pandas", include_cols=["k"])
    counts = found["coverage"].map(len).to_numpy()
    if not counts.sum():
        return empty, empty, empty, np.zeros(0)
    owner = np.repeat(found["k"].to_numpy(dtype=np.int64), counts)
    cell = np.concatenate(found["cell_id"].to_numpy()).astype(np.int64)
    share = np.concatenate(found["coverage"].to_numpy()).astype(np.float64)
    return owner, cell // cols, cell % cols, share
