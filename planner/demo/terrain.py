"""The demo park's terrain: a plain falling to the river, two hills and the river valley, and its DEM.

Some parcels are therefore not level; the DEM is written as a GeoTIFF in the park's CRS, the
way a park's surveyed DEM would be delivered.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import rasterio
import shapely
from affine import Affine

from planner.demo.layout import HEIGHT_M, RIVER, WIDTH_M

if TYPE_CHECKING:
    from pathlib import Path

    from planner.demo.layout import Frame

__all__ = ["DEM_CELL_M", "Terrain", "write_dem"]

DEM_CELL_M = 10.0
DEM_MARGIN_M = 300.0
"""The DEM reaches this far beyond the park (and to the highway in the west)."""
DEM_WEST_M = -800.0


class Terrain:
    """Ground elevation over the park, with a gentle ripple drawn from the park's random generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.noise = [
            (rng.uniform(250, 900), rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi), rng.uniform(0.08, 0.16))
            for _ in range(6)
        ]

    def elevation(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Ground elevation (m) at local points: a plain falling to the river, two hills, a valley."""
        u = np.asarray(u, dtype=float)
        v = np.asarray(v, dtype=float)
        z = 24.0 - 0.0009 * u - 0.0004 * v
        z += 36.0 * np.exp(-((u - 4550) ** 2 + (v - 300) ** 2) / (2 * 420.0**2))
        z += 20.0 * np.exp(-((u - 650) ** 2 + (v - 2650) ** 2) / (2 * 260.0**2))
        d = shapely.distance(shapely.points(u.ravel(), v.ravel()), RIVER).reshape(u.shape)
        z -= 7.0 * np.exp(-(d**2) / (2 * 110.0**2))
        for wavelength, a, b, amp in self.noise:
            z += amp * np.sin(2 * math.pi * (u * math.cos(a) + v * math.sin(a)) / wavelength + b)
        return z

    def relief(self, geoms: np.ndarray, n: int = 9) -> np.ndarray:
        """Elevation range (m) over a grid of points inside each polygon."""
        out = np.zeros(len(geoms))
        for i, g in enumerate(geoms):
            minx, miny, maxx, maxy = g.bounds
            uu, vv = np.meshgrid(np.linspace(minx, maxx, n), np.linspace(miny, maxy, n))
            inside = shapely.contains_xy(g, uu, vv)
            z = self.elevation(uu[inside], vv[inside]) if inside.any() else np.zeros(1)
            out[i] = float(z.max() - z.min())
        return out


def write_dem(path: Path, terrain: Terrain, frame: Frame) -> None:
    """The DEM as a GeoTIFF in the park CRS: 10 m cells over the park and a 300 m margin."""
    corners_u = np.array([DEM_WEST_M, WIDTH_M + DEM_MARGIN_M, WIDTH_M + DEM_MARGIN_M, DEM_WEST_M])
    corners_v = np.array([-DEM_MARGIN_M, -DEM_MARGIN_M, HEIGHT_M + DEM_MARGIN_M, HEIGHT_M + DEM_MARGIN_M])
    x, y = frame.xy(corners_u, corners_v)
    west, east = math.floor(x.min() / DEM_CELL_M) * DEM_CELL_M, math.ceil(x.max() / DEM_CELL_M) * DEM_CELL_M
    south, north = math.floor(y.min() / DEM_CELL_M) * DEM_CELL_M, math.ceil(y.max() / DEM_CELL_M) * DEM_CELL_M
    cols, rows = int((east - west) / DEM_CELL_M), int((north - south) / DEM_CELL_M)
    xs = west + (np.arange(cols) + 0.5) * DEM_CELL_M
    ys = north - (np.arange(rows) + 0.5) * DEM_CELL_M
    gx, gy = np.meshgrid(xs, ys)
    u, v = frame.uv(gx, gy)
    z = terrain.elevation(u, v).astype("float32")
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{frame.epsg}",
        "transform": Affine(DEM_CELL_M, 0.0, west, 0.0, -DEM_CELL_M, north),
        "nodata": -9999.0,
        "compress": "deflate",
        "predictor": 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    tmp = path.with_suffix(".tif.part")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(z, 1)
        dst.update_tags(AREA_OR_POINT="Area", UNITS="m", SOURCE="planner demo (synthetic terrain)")
    tmp.replace(path)
