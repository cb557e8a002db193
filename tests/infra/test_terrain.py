"""Terrain on a DEM made by hand: a plane rising 5% to the east."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
    with pytest.raises(ValueError, match=r"reprojects it to the park's Gauss–Krüger zone"):
        parcel_terrain(parcels, path)


def _dem(path, z: np.ndarray, west: float, north: float, cell: float) -> None:
    profile = {
        "driver": "GTiff", "width": z.shape[1], "height": z.shape[0], "count": 1, "dtype": "float32",
        "crs": f"EPSG:{GK}", "transform": Affine(cell, 0, west, 0, -cell, north),
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(z.astype("float32"), 1)


def test_cells_count_by_the_share_of_their_area_inside_the_parcel(tmp_path):
    """Worked by hand: a 2 × 2 grid of 10 m cells (1 2 / 3 4) and a 15 × 10 m parcel over the top row."""
    import geopandas as gpd
    from shapely.geometry import box

    path = tmp_path / "dem.tif"
    _dem(path, np.array([[1.0, 2.0], [3.0, 4.0]]), X0, Y0 + 20, 10.0)
    parcels = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(X0, Y0 + 10, X0 + 15, Y0 + 20)], crs=GK)
    t = parcel_terrain(parcels, path).loc["A"]
    # the cell of 1 wholly inside (share 1), the cell of 2 half inside (share 0.5), the bottom row not at all
    assert t["cells"] == pytest.approx(1.5)
    assert t["design_level_m"] == pytest.approx((1 * 1 + 0.5 * 2) / 1.5)  # 4/3 m
    assert t["relief_m"] == pytest.approx(1.0)
    # cut: 0.5 × 100 m² × (2 − 4/3) = 33.3 m³; fill: 1 × 100 m² × (4/3 − 1) = 33.3 m³
    assert t["cut_m3"] == pytest.approx(100 / 3) and t["fill_m3"] == pytest.approx(100 / 3)
    assert not t["relief_reliable"]


def test_a_parcel_smaller_than_a_cell_still_gets_figures_but_is_not_judged(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from planner.config import ParkConfig
    from planner.parcels.readiness import compute_readiness

    path = tmp_path / "dem.tif"
    _dem(path, np.arange(100.0).reshape(10, 10), X0, Y0 + 100, 10.0)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["tiny", "big"], "status": ["reserved"] * 2, "land_use": ["100101"] * 2,
         "declared_leveled": [True, True]},
        geometry=[box(X0 + 12, Y0 + 12, X0 + 17, Y0 + 16), box(X0 + 20, Y0 + 20, X0 + 60, Y0 + 60)],
        crs=GK,
    )  # fmt: skip
    parcels = validate_parcels(parcels, crs_epsg=GK, park_id="T1").parcels
    t = parcel_terrain(parcels, path)
    # the 5 × 4 m parcel lies in one cell (row 8, column 1 from the top: value 81): no cell centre inside it
    assert t.loc["tiny", "cells"] == pytest.approx(0.2)
    assert t.loc["tiny", "design_level_m"] == pytest.approx(81.0) and t.loc["tiny", "relief_m"] == 0.0
    assert not t.loc["tiny", "relief_reliable"] and t.loc["big", "relief_reliable"]
    assert t.loc["big", "cells"] == pytest.approx(16.0)
    config = ParkConfig(park_id="T1", name="t", crs_epsg=GK, checklist=("leveled",))
    result = compute_readiness(parcels.set_index("parcel_id", drop=False), config, {}, t)
    # the tiny parcel's relief of 0 from a fifth of a cell is no judgement: derived unknown, its record decides
    assert pd.isna(result.table.loc["tiny", "leveled"])
    assert result.table.loc["tiny", "ready"]
    assert result.table.loc["big", "leveled"] is False or not result.table.loc["big", "leveled"]  # 50 m of relief
