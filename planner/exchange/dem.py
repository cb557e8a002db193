"""A DEM as planners have it (SRTM, ASTER GDEM, a survey's grid; any CRS, any raster format GDAL reads) into a park.

:func:`import_dem` reprojects it to the park's Gauss–Krüger zone (``rasterio.warp``, bilinear,
cells about as large as the source's, rounded to the decimetre), cuts it to the park (its
parcels and boundary with :data:`MARGIN_M` around them) and writes it beside the park as
``dem.tif``, which the configuration then names (``dem``) — where readiness has always read the
park's DEM. The park's metadata records where it came from (``dem_source``), when it was
taken (``dem_date``: given, else the raster's own date tag, else the file's date), its cell
size (``dem_cell_m``) and its CRS as delivered (``dem_source_crs``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.warp
from affine import Affine
from rasterio.enums import Resampling

from planner.crs import check_in_china
from planner.errors import Problem, ValidationError
from planner.exchange.readers import file_problem
from planner.store import ParkStore, open_store
from planner.store.postgis import is_postgis_uri

__all__ = ["DEM_FILE", "DEM_SUFFIXES", "MARGIN_M", "DemReport", "import_dem", "is_dem"]

DEM_FILE = "dem.tif"
"""The name of the park's DEM beside its GeoPackage (or in a PostGIS park's folder)."""
MARGIN_M = 500.0
"""How far beyond the parcels and the boundary the imported DEM reaches (m)."""
DEM_SUFFIXES = frozenset({".tif", ".tiff", ".img", ".asc", ".hgt", ".dt0", ".dt1", ".dt2", ".bil", ".vrt", ".nc"})
"""Raster suffixes ``planner import`` reads as a DEM."""


@dataclass
class DemReport:
    """What a DEM import did: the file written, its grid, and where it came from."""

    source: Path
    written: Path
    source_crs: str
    cell_m: float
    shape: tuple[int, int]
    elevation_m: tuple[float, float]
    date: str
    problems: list[Problem]
    dry_run: bool = False
    """True: checked and warped only; ``written`` is where the DEM would go, and nothing was written."""


def is_dem(path: str | Path) -> bool:
    """Whether ``path`` is a raster ``planner import`` reads as a DEM (by its suffix)."""
    return Path(path).suffix.lower() in DEM_SUFFIXES


def import_dem(
    park: str | Path,
    path: str | Path,
    *,
    taken: date | str | None = None,
    folder: str | Path | None = None,
    by: str = "planner import",
    dry_run: bool = False,
) -> DemReport:
    """Reproject the DEM at ``path`` to the park's zone and keep it with the park (see the module notes).

    ``taken``: when the DEM was taken (records declaring a parcel leveled after it prevail over
    it). ``folder``: where a PostGIS park keeps its files. The park must exist (its zone
    decides the grid). Raises :class:`ValidationError` naming the file and what is wrong; the
    park is unchanged then. ``dry_run``: every check and the warp, and the report of what would be
    written (``written`` the file it would be, ``dry_run`` true); nothing is written, the park and
    its folder are left as they are.
    """
    path = Path(path)
    store = open_store(park, folder=folder) if is_postgis_uri(park) else open_store(park)
    try:
        target = _target_folder(store, path)
        return _import(store, path, target, taken, by, dry_run=dry_run)
    finally:
        store.close()


def _target_folder(store: ParkStore, path: Path) -> Path:
    if store.folder is None:
        message = "a PostGIS park keeps its DEM in a folder: give the park's folder (open_store(..., folder=…))"
        zh = "PostGIS 园区的高程数据保存在文件夹中：请给出园区的文件夹（open_store(..., folder=…)）"
        raise ValidationError([file_problem(path, message, zh=zh)], what=f"import of {path.name}")
    return store.folder


def _import(
    store: ParkStore, path: Path, folder: Path, taken: date | str | None, by: str, *, dry_run: bool
) -> DemReport:
    what = f"import of {path.name}"
    problems: list[Problem] = []
    epsg = store.config().crs_epsg
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        zh = f"无法按栅格读取：「{exc}」"
        raise ValidationError([file_problem(path, f"cannot be read as a raster: {exc}", zh=zh)], what=what) from None
    with src:
        if src.crs is None:
            message = "states no CRS; give the DEM its CRS (e.g. gdal_edit.py -a_srs EPSG:4326) and import it again"
            zh = "未写明坐标系：请为高程数据设定坐标系（如 gdal_edit.py -a_srs EPSG:4326）后再导入"
            raise ValidationError([file_problem(path, message, zh=zh)], what=what)
        _refuse_outside_china(src, path, what)
        transform, width, height = _grid(src, epsg, _extent(store))
        z = np.full((height, width), np.nan, dtype="float32")
        rasterio.warp.reproject(
            source=rasterio.band(src, 1),
            destination=z,
            dst_transform=transform,
            dst_crs=f"EPSG:{epsg}",
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        source_crs = src.crs.to_string()
        tags = src.tags()
    if not np.isfinite(z).any():
        message = "does not cover the park: no cell of it lies under the parcels or the boundary"
        zh = "未覆盖园区：没有一个格网位于宗地或园区四至之内"
        raise ValidationError([file_problem(path, message, zh=zh)], what=what)
    day = _taken(taken, tags, path)
    cell = float(transform.a)
    if dry_run:
        written = folder / DEM_FILE
    else:
        written = _write(folder / DEM_FILE, z, transform, epsg, path.name, day)
        store.set_config(dataclasses.replace(store.config(), dem=DEM_FILE), by=by)
        store.set_metadata(
            {"dem_source": path.name, "dem_date": day, "dem_cell_m": cell, "dem_source_crs": source_crs}, by=by
        )
    problems.append(
        file_problem(
            path,
            f"reprojected from {source_crs} to EPSG:{epsg}, {cell:g} m cells (bilinear)",
            "repair",
            zh=f"已由 {source_crs} 重投影到 EPSG:{epsg}，格网 {cell:g} 米（双线性插值）",
        )
    )
    finite = z[np.isfinite(z)]
    return DemReport(
        path,
        written,
        source_crs,
        cell,
        (height, width),
        (float(finite.min()), float(finite.max())),
        day,
        problems,
        dry_run=dry_run,
    )


def _refuse_outside_china(src: rasterio.DatasetReader, path: Path, what: str) -> None:
    """Refuse a DEM whose middle lies outside China, by its location."""
    b = src.bounds
    lon, lat = rasterio.warp.transform(src.crs, "EPSG:4490", [(b.left + b.right) / 2], [(b.bottom + b.top) / 2])
    if not check_in_china(np.asarray(lon), np.asarray(lat)).all():
        message = f"lies outside China (its middle is lon {lon[0]:.4f}, lat {lat[0]:.4f}); is its CRS right?"
        zh = f"位于中国境外（其中心为经度 {lon[0]:.4f}、纬度 {lat[0]:.4f}）：坐标系是否正确？"
        raise ValidationError([file_problem(path, message, zh=zh)], what=what)


def _extent(store: ParkStore) -> tuple[float, float, float, float] | None:
    """The park's parcels and boundary, with the margin, in its CRS (``None``: the park has neither)."""
    frames = [store.read_layer("parcels"), store.read_layer("boundary")]
    bounds = [f.total_bounds for f in frames if len(f)]
    if not bounds:
        return None
    b = np.array(bounds)
    return (b[:, 0].min() - MARGIN_M, b[:, 1].min() - MARGIN_M, b[:, 2].max() + MARGIN_M, b[:, 3].max() + MARGIN_M)


def _grid(src: rasterio.DatasetReader, epsg: int, extent: tuple[float, float, float, float] | None) -> tuple:
    """The park-zone grid: cells about as large as the source's (to the decimetre), over the park or the whole DEM."""
    dst_crs = pyproj.CRS.from_epsg(epsg)
    default, _width, _height = rasterio.warp.calculate_default_transform(
        src.crs, dst_crs, src.width, src.height, *src.bounds
    )
    cell = max(round(abs(default.a), 1), 0.1)
    left, bottom, right, top = rasterio.warp.transform_bounds(src.crs, dst_crs, *src.bounds)
    if extent is not None:
        left, bottom = max(left, extent[0]), max(bottom, extent[1])
        right, top = min(right, extent[2]), min(top, extent[3])
        if right <= left or top <= bottom:  # the DEM misses the park: the warp says so (no cell)
            left, bottom, right, top = extent
    west, north = math.floor(left / cell) * cell, math.ceil(top / cell) * cell
    cols, rows = max(1, math.ceil((right - west) / cell)), max(1, math.ceil((north - bottom) / cell))
    return Affine(cell, 0.0, west, 0.0, -cell, north), cols, rows


def _taken(taken: date | str | None, tags: dict[str, str], path: Path) -> str:
    """When the DEM was taken: given, else the raster's ``TIFFTAG_DATETIME``, else the file's date (ISO date)."""
    if taken is not None:
        return date.fromisoformat(str(taken)[:10]).isoformat()
    stamp = tags.get("TIFFTAG_DATETIME", "")
    if len(stamp) >= 10 and stamp[:4].isdigit():
        return stamp[:10].replace(":", "-")
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date().isoformat()


def _write(target: Path, z: np.ndarray, transform: Affine, epsg: int, source: str, day: str) -> Path:
    """The DEM as a tiled, compressed GeoTIFF, written beside ``target`` and moved into place when complete."""
    profile = {
        "driver": "GTiff", "width": z.shape[1], "height": z.shape[0], "count": 1, "dtype": "float32",
        "crs": f"EPSG:{epsg}", "transform": transform, "nodata": np.nan, "compress": "deflate",
        "tiled": z.shape[0] >= 256 and z.shape[1] >= 256,
    }  # fmt: skip
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".tif.part", dir=target.parent)
    os.close(fd)
    try:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(z, 1)
            dst.update_tags(DEM_SOURCE=source, DEM_DATE=day)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
