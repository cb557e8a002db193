"""Parcel areas, computed from geometry and never taken from input.

- ``area_m2``: planar area in the park's CGCS2000 Gauss–Krüger zone (the shoelace
  formula on the projected coordinates), the convention of land-supply contracts
  and boundary-coordinate files.
- ``area_mu``: ``area_m2 / (10000/15)``.
- ``ellipsoid_area_m2``: area on the CGCS2000 ellipsoid, as national land surveys
  report it. It is computed in vectorised passes through Lambert azimuthal
  equal-area projections on GRS80 centred near the parcels (authalic
  projections, so planar area there is ellipsoidal area); it agrees with
  ``pyproj.Geod(ellps="GRS80")`` to about 1e-9 relative for park-sized parcels,
  which the tests check parcel by parcel.

The two differ by the Gauss–Krüger scale: ``k ≈ 1 + (Δλ·cos φ)²/2`` along
a parcel ``Δλ`` from the central meridian, so the planar area is larger by
about ``2(k − 1)``, up to roughly 0.05% at the edge of a 3-degree zone.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.crs import CGCS2000, equal_area_crs, transformer
from planner.errors import CRSError
from planner.units import M2_PER_MU

__all__ = ["compute_areas", "ellipsoid_area_m2"]


def compute_areas(geometry: gpd.GeoSeries) -> pd.DataFrame:
    """``area_m2``, ``area_mu`` and ``ellipsoid_area_m2`` of each geometry.

    Parameters
    ----------
    geometry
        Polygons in a projected CRS (the park's Gauss–Krüger zone).

    Returns
    -------
    pandas.DataFrame
        One row per geometry, same index; NaN where a geometry is missing.
    """
    if geometry.crs is None or not geometry.crs.is_projected:
        msg = "areas need geometries in the park's projected Gauss–Krüger CRS; use `to_crs()` first"
        raise CRSError(msg)
    values = geometry.to_numpy()
    area_m2 = shapely.area(values)
    area_m2 = np.where(shapely.is_missing(values), np.nan, area_m2)
    return pd.DataFrame(
        {
            "area_m2": area_m2,
            "area_mu": area_m2 / M2_PER_MU,
            "ellipsoid_area_m2": ellipsoid_area_m2(geometry),
        },
        index=geometry.index,
    )


_CELL_DEG = 0.5


def ellipsoid_area_m2(geometry: gpd.GeoSeries) -> np.ndarray:
    """Area of each geometry on the GRS80/CGCS2000 ellipsoid, in m².

    Each geometry is measured in a Lambert azimuthal equal-area projection
    centred on the 0.5° cell that holds its centroid: the centre depends on the
    parcel alone, not on the batch it came with, so a parcel's area is the same
    whichever parcels are written with it; geometries of one cell are projected
    together.
    """
    if geometry.crs is None:
        msg = "`geometry` must have a CRS to compute ellipsoidal areas"
        raise CRSError(msg)
    values = geometry.to_numpy()
    present = ~shapely.is_missing(values) & ~shapely.is_empty(values)
    out = np.full(len(values), np.nan)
    out[~shapely.is_missing(values) & shapely.is_empty(values)] = 0.0
    if not present.any():
        return out
    idx = np.flatnonzero(present)
    wkt = geometry.crs.to_wkt()
    centers = shapely.centroid(values[idx])
    lon, lat = transformer(wkt, f"EPSG:{CGCS2000}").transform(shapely.get_x(centers), shapely.get_y(centers))
    cells = np.column_stack([np.floor(lon / _CELL_DEG), np.floor(lat / _CELL_DEG)])
    unique, group = np.unique(cells, axis=0, return_inverse=True)
    for g, (cx, cy) in enumerate(unique):
        members = idx[group.ravel() == g]
        laea = equal_area_crs((cx + 0.5) * _CELL_DEG, (cy + 0.5) * _CELL_DEG)
        to_laea = transformer(wkt, laea.to_wkt())
        projected = shapely.transform(
            values[members], lambda xy, t=to_laea: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))
        )
        out[members] = shapely.area(projected)
    return out
