"""Site leveling (场地平整) from a DEM: relief, slope and the earthwork to level each parcel.

For each parcel, from the DEM cells whose centres fall inside it:

- ``relief_m``: highest minus lowest elevation;
- ``slope_pct``: mean slope of those cells (rise over run × 100, from the elevation
  gradient);
- ``design_level_m``: the level that balances cut and fill, the mean elevation;
- ``cut_m3`` / ``fill_m3``: the volume above / below the design level (cell area ×
  height), and ``earthwork_m3`` = cut + fill, the earth to move.

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

__all__ = ["parcel_terrain"]


def parcel_terrain(parcels: gpd.GeoDataFrame, dem_path: str | Path) -> pd.DataFrame:
    """Relief, mean slope and earthwork of each parcel (index ``parcel_id``; NaN where no cell falls inside).

    Raises
    ------
    ValueError
        If the DEM's CRS is not the parcels' CRS.
    """
    with rasterio.open(dem_path) as dem:
        if dem.crs is None or dem.crs.to_epsg() != parcels.crs.to_epsg():
            msg = (
                f"the DEM {dem_path} is in {dem.crs}, the parcels in EPSG:{parcels.crs.to_epsg()}; "
                "reproject the DEM to the park's Gauss–Krüger zone (gdalwarp -t_srs)"
            )
            raise ValueError(msg)
        z = dem.read(1, masked=True).astype("float64").filled(np.nan)
        transform = dem.transform
        cell_w, cell_h = abs(transform.a), abs(transform.e)
    labels = rasterio.features.rasterize(
        ((geom, i + 1) for i, geom in enumerate(parcels.geometry) if geom is not None and not geom.is_empty),
        out_shape=z.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    dz_dy, dz_dx = np.gradient(z, cell_h, cell_w)
    slope = np.hypot(dz_dx, dz_dy) * 100.0
    inside = (labels > 0) & np.isfinite(z)
    cells = pd.DataFrame({"parcel": labels[inside] - 1, "z": z[inside], "slope": slope[inside]})
    grouped = cells.groupby("parcel")
    stats = grouped["z"].agg(["min", "max", "mean", "count"])
    stats["slope_pct"] = grouped["slope"].mean()
    cells["level"] = cells["parcel"].map(stats["mean"])
    area = cell_w * cell_h
    cells["cut"] = np.clip(cells["z"] - cells["level"], 0, None) * area
    cells["fill"] = np.clip(cells["level"] - cells["z"], 0, None) * area
    volumes = cells.groupby("parcel")[["cut", "fill"]].sum()
    out = pd.DataFrame(index=pd.RangeIndex(len(parcels)))
    out["relief_m"] = stats["max"] - stats["min"]
    out["slope_pct"] = stats["slope_pct"]
    out["design_level_m"] = stats["mean"]
    out["cut_m3"] = volumes["cut"]
    out["fill_m3"] = volumes["fill"]
    out["earthwork_m3"] = out["cut_m3"] + out["fill_m3"]
    out["cells"] = stats["count"].reindex(out.index).fillna(0).astype(int)
    out.index = parcels["parcel_id"].to_numpy()
    out.index.name = "parcel_id"
    return out
