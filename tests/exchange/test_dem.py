"""A real DEM as planners get it: an SRTM 3-arc-second window in lon/lat (tests/data/dem), imported into a park.

The window is moved into China (82° east, the same latitudes: 117.25–117.45°E, 31.47–31.67°N,
zone 39) by its geotransform alone, in a temporary copy. The area-weighted mean elevation of
parcels is checked against an independent computation on the source grid: the DEM sampled
bilinearly (scipy, on the lon/lat cell centres) at 2 m steps across each parcel.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from affine import Affine
from scipy.interpolate import RegularGridInterpolator
from shapely.geometry import box

from planner.analysis import update_readiness
from planner.config import ParkConfig
from planner.errors import ValidationError
from planner.exchange import import_dem
from planner.infra.terrain import MIN_RELIABLE_CELLS, parcel_terrain
from planner.store import create_park, open_store
from tests.test_cli import run

SRTM = Path(__file__).resolve().parents[1] / "data" / "dem" / "srtm3_n31e035_window.tif"
SHIFT_DEG = 82.0
GK39 = 4548


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> Path:
    """The SRTM window 82° east, in China: the same cells, its geotransform shifted."""
    path = tmp_path_factory.mktemp("dem") / "srtm_moved.tif"
    with rasterio.open(SRTM) as src:
        profile = src.profile.copy()
        t = src.transform
        profile["transform"] = Affine(t.a, t.b, t.c + SHIFT_DEG, t.d, t.e, t.f)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(src.read(1), 1)
    return path


def _park(folder: Path, sizes_m: list[float]) -> tuple[Path, gpd.GeoDataFrame]:
    """A park in zone 39 with square parcels of the given sides, in a row across the DEM's middle."""
    to_gk = pyproj.Transformer.from_crs(4326, GK39, always_xy=True)
    x, y = to_gk.transform(117.33, 31.58)
    squares, at = [], x
    for side in sizes_m:
        squares.append(box(at, y, at + side, y + side))
        at += side + 50
    n = len(sizes_m)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"D{k + 1:02d}" for k in range(n)], "status": ["reserved"] * n, "land_use": ["100101"] * n,
         "declared_leveled": [True] * n},
        geometry=squares,
        crs=GK39,
    )  # fmt: skip
    path = folder / "park.gpkg"
    with create_park(path, ParkConfig(park_id="DEM", name="高程测试园区", crs_epsg=GK39)) as store:
        store.write_parcels(parcels, by="test")
    return path, parcels


def _sampled_mean(parcel, step_m: float = 2.0) -> float:
    """The mean of the source DEM, bilinear between its lon/lat cell centres, at ``step_m`` across the parcel."""
    with rasterio.open(SRTM) as src:
        z = src.read(1).astype(float)
        t = src.transform
    lon = t.c + SHIFT_DEG + (np.arange(z.shape[1]) + 0.5) * t.a
    lat = t.f + (np.arange(z.shape[0]) + 0.5) * t.e
    surface = RegularGridInterpolator((lat[::-1], lon), z[::-1])
    x0, y0, x1, y1 = parcel.bounds
    gx, gy = np.meshgrid(np.arange(x0 + step_m / 2, x1, step_m), np.arange(y0 + step_m / 2, y1, step_m))
    to_lonlat = pyproj.Transformer.from_crs(GK39, 4326, always_xy=True)
    plon, plat = to_lonlat.transform(gx.ravel(), gy.ravel())
    return float(surface(np.column_stack([plat, plon])).mean())


def test_a_real_srtm_dem_in_lon_lat_is_reprojected_and_kept_with_the_park(moved, tmp_path):
    park, parcels = _park(tmp_path, [600.0, 400.0, 250.0])
    report = import_dem(park, moved, taken="2000-02-22")
    assert report.written == tmp_path / "dem.tif" and report.source_crs == "EPSG:4326"
    # 3″ of latitude is 92.6 m, 3″ of longitude at 31.6°N 78.9 m: the cells are square, about as large as the source's
    assert 75.0 <= report.cell_m <= 95.0
    with open_store(park) as store:
        assert store.config().dem == "dem.tif"
        meta = store.metadata()
    assert meta["dem_source"] == "srtm_moved.tif" and meta["dem_date"] == "2000-02-22"
    assert meta["dem_cell_m"] == report.cell_m and meta["dem_source_crs"] == "EPSG:4326"
    with rasterio.open(report.written) as dem:
        assert dem.crs.to_epsg() == GK39 and dem.res == (report.cell_m, report.cell_m)
    terrain = parcel_terrain(parcels, report.written)
    for pid, geom in zip(parcels["parcel_id"], parcels.geometry, strict=True):
        expected = _sampled_mean(geom)
        # the warp samples the same bilinear surface at the new cell centres: the means agree within a metre
        # (the ground is real: the window runs from the Dead Sea shore, −416 m, up to 629 m)
        assert terrain.loc[pid, "design_level_m"] == pytest.approx(expected, abs=1.0)
        print(f"{pid}: weighted mean {terrain.loc[pid, 'design_level_m']:.2f} m, sampled {expected:.2f} m")
        # the shares of the cells add up to the parcel's area in cells
        assert terrain.loc[pid, "cells"] == pytest.approx(geom.area / report.cell_m**2)
    assert list(terrain["relief_reliable"]) == [a / report.cell_m**2 >= MIN_RELIABLE_CELLS for a in parcels.area]


def test_every_small_parcel_gets_terrain_figures_and_the_smallest_are_flagged(moved, tmp_path):
    park, _parcels = _park(tmp_path, [20.0, 35.0, 60.0, 300.0])  # 0.6 to 135 mu, against ~85 m cells
    import_dem(park, moved, taken="2000-02-22")
    with open_store(park) as store:
        first = store.get_parcel("D01")
        store.update_parcel("D01", {"declared_leveled": None}, version=int(first["version"]), by="test")
        run_ = update_readiness(store, by="test")
        stored = store.read_parcels().set_index("parcel_id")
    terrain = run_.readiness.table
    assert stored["relief_m"].notna().all()  # none left without a figure, however small
    flagged = {p.parcel_id for p in run_.problems if p.field == "leveled" and "not judged leveled" in p.message}
    assert flagged == {"D01", "D02", "D03"}  # under 4 cells of ~85 m (D01–D03: 0.05–0.5)
    # not judged from the DEM: the record decides (D02, D03 declared leveled), and without one it stays unknown
    assert stored.loc["D02", "leveled"] and stored.loc["D03", "leveled"]
    assert terrain.loc["D01", "leveled"] is pd.NA and not stored.loc["D01", "ready"]
    assert stored.loc["D04", "relief_m"] > 0  # the 300 m parcel is judged on its own relief


def test_a_dem_outside_china_is_refused_and_the_park_unchanged(tmp_path):
    park, _ = _park(tmp_path, [300.0])
    with pytest.raises(ValidationError, match="outside China"):
        import_dem(park, SRTM)  # the window where it is: 35°E, the Dead Sea
    with open_store(park) as store:
        assert store.config().dem is None
    assert not (tmp_path / "dem.tif").exists()


def test_the_import_command_takes_a_dem(moved, tmp_path):
    park, _ = _park(tmp_path, [300.0])
    shown = run("import", str(park), str(moved), "--dem-date", "2000-02-22", "--lang", "en")
    assert shown.returncode == 0, shown.stderr
    assert "DEM: srtm_moved.tif (EPSG:4326)" in shown.stdout and "taken 2000-02-22" in shown.stdout


def test_a_postgis_park_keeps_its_dem_in_its_folder(moved, tmp_path, postgis_url):
    from tests.store.conftest import drop_all_parks

    config = ParkConfig(park_id="DEMPG", name="高程测试园区", crs_epsg=GK39)
    _gpkg, parcels = _park(tmp_path, [300.0])
    try:
        with create_park(postgis_url, config) as store:
            store.write_parcels(parcels, by="test")
            uri = store.location
        with pytest.raises(ValidationError, match="keeps its DEM in a folder"):
            import_dem(uri, moved)
        checked = import_dem(uri, moved, folder=tmp_path / "pg", taken="2000-02-22", dry_run=True)
        assert checked.written == tmp_path / "pg" / "dem.tif" and not (tmp_path / "pg").exists()
        with open_store(uri, folder=tmp_path / "pg") as store:
            assert "dem_source" not in store.metadata() and store.config().dem is None
        report = import_dem(uri, moved, folder=tmp_path / "pg", taken="2000-02-22")
        assert report.written == tmp_path / "pg" / "dem.tif"
        with open_store(uri, folder=tmp_path / "pg") as store:
            assert store.metadata()["dem_cell_m"] == report.cell_m
            run_ = update_readiness(store, by="test")
        assert run_.readiness.table.loc["D01", "relief_m"] > 0
    finally:
        drop_all_parks(postgis_url)


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file of the park's folder and the SHA-256 of its bytes."""
    import hashlib

    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_dry_run_reports_what_it_would_write_and_writes_nothing(moved, tmp_path):
    park, _ = _park(tmp_path, [600.0, 400.0])
    before = _snapshot(tmp_path)
    assert list(before) == ["park.gpkg"]
    checked = import_dem(park, moved, taken="2000-02-22", dry_run=True)
    assert _snapshot(tmp_path) == before  # the GeoPackage byte for byte, and no dem.tif
    assert checked.dry_run and checked.written == tmp_path / "dem.tif"
    with open_store(park) as store:
        assert store.config().dem is None and "dem_source" not in store.metadata()
    done = import_dem(park, moved, taken="2000-02-22")
    # the dry run's figures are those of the import it stands for
    assert not done.dry_run and done.written == checked.written
    assert (done.cell_m, done.shape, done.elevation_m, done.date) == (
        checked.cell_m, checked.shape, checked.elevation_m, checked.date
    )  # fmt: skip
    assert _snapshot(tmp_path)["park.gpkg"] != before["park.gpkg"] and "dem.tif" in _snapshot(tmp_path)


def test_the_import_command_s_dry_run_leaves_the_park_and_its_dem_as_they_were(moved, tmp_path):
    park, _ = _park(tmp_path, [300.0])
    run("import", str(park), str(moved), "--dem-date", "2000-02-22")
    before = _snapshot(tmp_path)
    with open_store(park) as store:
        meta = store.metadata()
    assert set(before) == {"park.gpkg", "dem.tif"} and meta["dem_date"] == "2000-02-22"
    shown = run("import", str(park), str(moved), "--dem-date", "2021-01-01", "--dry-run", "--lang", "en")
    assert shown.returncode == 0, shown.stderr
    assert "→ (would write)" in shown.stdout and "taken 2021-01-01" in shown.stdout
    assert "Checked only (--dry-run); nothing was written" in shown.stdout
    assert _snapshot(tmp_path) == before  # neither the GeoPackage nor the DEM kept before changed
    with open_store(park) as store:
        assert store.metadata()["dem_date"] == "2000-02-22"
    shown = run("import", str(park), str(SRTM), "--dry-run", "--lang", "en")  # refused as it would be without it
    assert shown.returncode != 0 and "outside China" in shown.stdout + shown.stderr
    assert _snapshot(tmp_path) == before
