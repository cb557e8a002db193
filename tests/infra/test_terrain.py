"""Terrain on a DEM made by hand: a plane rising 5% to the east."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

from planner.infra.terrain import parcel_terrain
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, X0, Y0, grid_parcels


def test_a_plane_rising_five_percent(tmp_path):
    path = tmp_path / "dem.tif"
    west, north, cell = X0 - 100, Y0 + 300, 2.0
    cols, rows = 600, 200
    xs = west + (np.arange(cols) + 0.5) * cell
    z = np.tile(10.0 + 0.05 * (xs - X0), (rows, 1)).astype("float32")
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{GK}",
        "transform": Affine(cell, 0, west, 0, -cell, north),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z, 1)
    parcels = validate_parcels(grid_parcels(2), crs_epsg=GK, park_id="T1").parcels  # 100 m squares, 10 m apart
    t = parcel_terrain(parcels, path)
    # cell centres from 1 m to 99 m across: relief 0.05 × 98 = 4.9 m; slope 5%
    assert t.loc["P000", "relief_m"] == pytest.approx(4.9, abs=1e-3)
    assert t.loc["P000", "slope_pct"] == pytest.approx(5.0, abs=1e-6)
    # balanced cut and fill of a plane: area × slope × width / 4 = 10,000 × 0.05 × 100 / 4 = 12,500 m³
    assert t.loc["P000", "earthwork_m3"] == pytest.approx(12_500, rel=0.02)
    assert t.loc["P000", "cut_m3"] == pytest.approx(t.loc["P000", "fill_m3"])
    assert t.loc["P001", "design_level_m"] == pytest.approx(10.0 + 0.05 * 160, abs=1e-3)  # mean over 110–210 m


def test_a_dem_in_another_crs_is_refused(tmp_path):
    path = tmp_path / "dem.tif"
    profile = {
        "driver": "GTiff",
        "width": 2,
        "height": 2,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4490",
        "transform": Affine(0.001, 0, 118.3, 0, -0.001, 32.3),
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.zeros((2, 2), dtype="float32"), 1)
    parcels = validate_parcels(grid_parcels(1), crs_epsg=GK, park_id="T1").parcels
    with pytest.raises(ValueError, match="reproject the DEM to the park's Gauss–Krüger zone"):
        parcel_terrain(parcels, path)
