"""Site leveling (场地平整) from a DEM: relief, slope and the earthwork to level each parcel.

Each DEM cell counts for a parcel by the share of its area inside the parcel (its coverage
fraction, computed exactly with shapely: cells wholly inside count 1, cells on the boundary
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
import rasterio
import rasterio.features
import shapely
from affine import Affine

__all__ = ["MIN_RELIABLE_CELLS", "cell_coverage", "parcel_terrain"]

MIN_RELIABLE_CELLS = 4.0
"""Cells (counted by share) a parcel must cover for its relief to be judged: a 2 × 2 block, the least that shows
the ground falling either way."""
_CHUNK = 2_000_000
"""Parcel–cell pairs worked out at once (bounds the memory of a big park on a fine DEM)."""


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
    parcel, row, col, share = cell_coverage(parcels.geometry.to_numpy(), transform, z.shape)
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
    geoms: np.ndarray, transform: Affine, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (geometry, cell) pair of a north-up grid where the cell overlaps the geometry, with the share of the
    cell's area inside it (1.0 for a cell wholly inside): arrays ``geometry``, ``row``, ``col``, ``share``.

    The cells a boundary passes through (found along it at a quarter of a cell) get their share
    exactly, from the intersection with a cell box; the cells within (their centre inside, no
    boundary through them: ``rasterio.features.rasterize``) count whole.
    """
    if transform.b != 0 or transform.d != 0 or transform.e >= 0:
        msg = "the DEM's grid is rotated or not north-up; warp it to a north-up grid (gdalwarp) first"
        raise ValueError(msg)
    rows, cols = shape
    cw, ch, x0, y0 = transform.a, -transform.e, transform.c, transform.f
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    # the cells each boundary passes through: its vertices after densifying to a quarter cell
    lines = shapely.segmentize(shapely.boundary(geoms[present]), min(cw, ch) / 4)
    xy, at = shapely.get_coordinates(lines, return_index=True)
    col_b = np.floor((xy[:, 0] - x0) / cw).astype(np.int64)
    row_b = np.floor((y0 - xy[:, 1]) / ch).astype(np.int64)
    on = (col_b >= 0) & (col_b < cols) & (row_b >= 0) & (row_b < rows)
    key = np.unique(present[at[on]] * (rows * cols) + row_b[on] * cols + col_b[on])
    edge_owner, cell = key // (rows * cols), key % (rows * cols)
    edge_row, edge_col = cell // cols, cell % cols
    share = np.empty(len(key))
    shapely.prepare(geoms[present])
    for start in range(0, len(key), _CHUNK):
        part = slice(start, start + _CHUNK)
        r, c = edge_row[part], edge_col[part]
        boxes = shapely.box(x0 + c * cw, y0 - (r + 1) * ch, x0 + (c + 1) * cw, y0 - r * ch)
        share[part] = shapely.area(shapely.intersection(geoms[edge_owner[part]], boxes)) / (cw * ch)
    labels = rasterio.features.rasterize(
        ((geoms[k], int(k) + 1) for k in present), out_shape=shape, transform=transform, fill=0, dtype="int32"
    )
    inner_row, inner_col = np.nonzero(labels)
    inner_owner = labels[inner_row, inner_col].astype(np.int64) - 1
    inner_key = inner_owner * (rows * cols) + inner_row * cols + inner_col
    whole = ~np.isin(inner_key, key)
    return (
        np.concatenate([edge_owner, inner_owner[whole]]),
        np.concatenate([edge_row, inner_row[whole]]).astype(np.int64),
        np.concatenate([edge_col, inner_col[whole]]).astype(np.int64),
        np.concatenate([share, np.ones(int(whole.sum()))]),
    )
