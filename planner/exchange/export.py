"""Exporting parcels: RFC 7946 GeoJSON for the web, GeoPackage, Shapefile and TXT for the land bureau.

- ``geojson``: WGS84 lon/lat, right-hand rule, no ``crs`` member, the schema's column names, with
  QGIS's default style beside it (``.qml``, :func:`geojson_style`: readiness colours, labels, Chinese titles);
- ``gpkg``: CGCS2000, geographic (EPSG:4490) or Gauss–Krüger with zone prefix
  (EPSG:4513–4533), columns titled with their Chinese labels and units (``宗地面积（亩）``), field
  domains, Date fields and QGIS default styles, as GeoPackage 1.3 (:mod:`planner.exchange.gpkg_write`);
- ``shp``: the same CRS choice, GB18030 text (GBK-compatible) with a ``.cpg``, short Chinese column names
  with units from a documented table (at most 10 bytes: :mod:`planner.exchange.shp_fields`), dates as
  dates, and by default labels and rounded numbers for the bureau (:mod:`planner.exchange.shp_write`);
- ``csv``: the attributes as a table with Chinese headers and units, labels and rounded numbers,
  UTF-8 with a BOM (:mod:`planner.exchange.csv_write`);
- ``txt``: the boundary-coordinate TXT (:mod:`planner.exchange.txt`), Gauss–Krüger with zone prefix.

Areas are the stored ones, computed in the park's Gauss–Krüger zone, with their units in
the column names. The store's bookkeeping (``version``, ``updated_at``, ``updated_by``) is
not exported.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Unpack

import geopandas as gpd
import pandas as pd
import pyogrio

from planner.analysis import Result, freshness
from planner.codes import to_gb21010
from planner.config import ParkConfig
from planner.crs import CGCS2000, WGS84, gk_epsg, zone_of_epsg
from planner.errors import FilterError, StaleResultError, StoreError
from planner.exchange.csv_write import write_csv
from planner.exchange.gpkg_write import write_geopackage
from planner.exchange.mapping import SHAPEFILE_ENCODING
from planner.exchange.readers import is_park_store
from planner.exchange.shp_write import LABELS, shapefile_style, write_shapefile
from planner.exchange.txt_write import write_txt
from planner.infra.coverage import reasons_with_sources
from planner.parcels.query import ParcelFilters, filter_parcels, parcel_filter_mask
from planner.parcels.schema import FIELDS
from planner.store import ParkStore
from planner.store.columns import parcel_columns
from planner.store.gpkg_styles import park_parcel_styles

__all__ = [
    "EXPORT_FORMATS",
    "FILTER_COLUMNS",
    "ExportReport",
    "export_columns",
    "export_parcels",
    "matching_parcels",
    "write_geojson",
]

EXPORT_FORMATS = ("geojson", "gpkg", "shp", "txt", "csv")
_SHP_TEXT_BYTES = 254
_GEOJSON_DECIMALS = 8  # about 1 mm: shared edges of neighbours stay within the overlap noise on import


@dataclass
class ExportReport:
    """What an export wrote: the file, the number of parcels, the CRS, and notes (e.g. values cut)."""

    path: Path
    parcels: int
    crs: str
    notes: list[str] = field(default_factory=list)


def export_columns() -> list[str]:
    """The parcel columns an export carries (all but the store's bookkeeping), in schema order."""
    return [f.name for f in FIELDS if f.origin != "managed" and f.kind != "geometry"]


def write_geojson(frame: gpd.GeoDataFrame, path: str | Path, *, decimals: int = 7) -> Path:
    """RFC 7946 GeoJSON: WGS84 lon/lat, right-hand rule, no ``crs`` member; dates as ``YYYY-MM-DD``.

    ``decimals`` of a degree: 7 (about 1 cm) by default; exports meant to be imported again use 8.
    """
    frame = frame.to_crs(WGS84)
    for column in frame.columns:
        if column != frame.geometry.name and pd.api.types.is_datetime64_any_dtype(frame[column]):
            tz = getattr(frame[column].dt, "tz", None)
            fmt = "%Y-%m-%dT%H:%M:%SZ" if tz is not None else "%Y-%m-%d"
            text = frame[column].dt.strftime(fmt)
            frame[column] = text.astype(object).where(text.notna(), None)
    pyogrio.write_dataframe(
        frame, path, driver="GeoJSON", layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": str(decimals)}
    )
    return Path(path)


def export_parcels(
    store: ParkStore,
    fmt: str,
    out: str | Path,
    *,
    crs: str = "4490",
    produced_on: date | None = None,
    land_use_codes: str = "2023",
    labels: str = "zh",
    **filters: object,
) -> ExportReport:
    """Export the park's parcels that meet ``filters`` (those of :func:`~planner.parcels.query.filter_parcels`).

    Parameters
    ----------
    fmt
        ``geojson``, ``gpkg``, ``shp``, ``txt`` or ``csv``.
    out
        The file to write (a Shapefile also writes its ``.shx``, ``.dbf``, ``.prj`` and ``.cpg``).
    crs
        For ``gpkg`` and ``shp``: ``4490`` (CGCS2000 lon/lat) or ``gk`` (the park's
        Gauss–Krüger zone with zone prefix). GeoJSON is always WGS84, TXT always ``gk``.
    produced_on
        数据产生日期 of a TXT file (default today).
    land_use_codes
        ``2023`` (用地用海分类, as stored) or ``gb21010``: GB/T 21010-2017 (三调) codes, by the
        crosswalk ``data/land_use_gb21010.csv`` read backwards (a code without one is left
        empty, and the report says which).
    labels
        For ``shp`` and ``csv``: ``zh`` (the bureau's format: 是/否, coded values as their Chinese labels,
        numbers rounded to their meaning) or ``codes`` (stored codes, unrounded numbers);
        see :mod:`planner.exchange.shp_write`.

    Raises
    ------
    FilterError
        A filter value is not allowed, or no parcel meets the filters (nothing is written).
    StaleResultError
        ``ready``/``idle`` is asked for in a park whose readiness/idle land was never
        computed, or whose readiness is older than a change of its inputs (nothing is written).
    StoreError
        ``out`` is the park's own store, or another park store (nothing is written).
    """
    _check_options(fmt, crs=crs, land_use_codes=land_use_codes, labels=labels)
    out = Path(out)
    _refuse_park_store(store, out)
    checks: tuple[tuple[str, Result], ...] = (("ready", "readiness"), ("idle", "idle"))
    for key, result in checks:
        if filters.get(key) is not None:
            state = freshness(store, result)
            if not state.current:
                msg = f"{state.message()}; `{key}` cannot select parcels. Nothing was written"
                raise StaleResultError(msg)
    config = store.config()
    parcels = matching_parcels(store, **filters)  # type: ignore[arg-type]
    if parcels.empty:
        msg = "no parcel meets the filters; nothing was written"
        raise FilterError(msg)
    parcels = reasons_with_sources(parcels, store.metadata())  # each reason with what its source has left
    out.parent.mkdir(parents=True, exist_ok=True)
    # written beside `out` first, then moved over it: a failed export leaves no half file
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        if land_use_codes == "gb21010":
            parcels, note = _in_gb21010(parcels)
        options = {"crs": crs, "labels": labels, "land_use_codes": land_use_codes}
        report = _export(config, parcels, fmt, work / out.name, produced_on=produced_on, **options)
        if land_use_codes == "gb21010":
            report.notes.insert(0, note)
        _remove(out)
        for part in work.iterdir():
            os.replace(part, out.parent / part.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.path = out
    return report


FILTER_COLUMNS = ("area_mu", "ready", "idle_rule", "status", "industry", "zone_industries", "land_use")
"""The parcel columns the filters (but a box) test."""


def matching_parcels(store: ParkStore, **filters: Unpack[ParcelFilters]) -> gpd.GeoDataFrame:
    """The park's parcels that meet ``filters``, as :func:`filter_parcels` of the whole park gives them.

    With filters (but a box) the columns they test are read first, then only the parcels that meet them:
    an export of a few parcels of a large park does not read the park.
    """
    given = {k: v for k, v in filters.items() if v is not None}
    if not given or "bbox" in given:
        return filter_parcels(store.read_parcels(), **filters)
    _, columns = parcel_columns(store, FILTER_COLUMNS)
    mask = parcel_filter_mask(columns, **filters)
    return store.read_parcels(parcel_ids=columns["parcel_id"][mask].tolist())  # in the store's order, as read


def _check_options(fmt: str, *, crs: str, land_use_codes: str, labels: str) -> None:
    """Refuse a format, CRS, code system or labels value that is not allowed."""
    if fmt not in EXPORT_FORMATS:
        msg = f"`fmt` was {fmt!r} but is expected to be one of {', '.join(EXPORT_FORMATS)}"
        raise ValueError(msg)
    if land_use_codes not in ("2023", "gb21010"):
        msg = f"`land_use_codes` was {land_use_codes!r} but is expected to be 2023 or gb21010"
        raise ValueError(msg)
    if labels not in LABELS:
        msg = f"`labels` was {labels!r} but is expected to be zh (Chinese labels) or codes"
        raise ValueError(msg)
    if crs not in ("4490", "gk"):
        msg = f"`crs` was {crs!r} but is expected to be 4490 (CGCS2000 lon/lat) or gk (Gauss–Krüger with zone prefix)"
        raise ValueError(msg)


def _in_gb21010(parcels: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, str]:
    """The parcels with GB/T 21010-2017 land-use codes, and what the conversion did."""
    parcels = parcels.copy()
    stored = parcels["land_use"]
    parcels["land_use"], missing = to_gb21010(stored)
    note = "land_use written as GB/T 21010-2017 (三调) codes (crosswalk data/land_use_gb21010.csv)"
    if missing:
        lost = stored.astype("string").str.strip().isin(missing).fillna(False).astype(bool)
        ids = ", ".join(parcels.loc[lost.to_numpy(), "parcel_id"].astype(str).head(10))
        note += (
            f"; {int(lost.sum())} parcel(s) left without a code, their 用地用海分类 code having no GB/T 21010 class "
            f"in the crosswalk ({', '.join(missing)}): {ids}"
        )
    return parcels, note


def _refuse_park_store(store: ParkStore, out: Path) -> None:
    """Exporting onto the park's own file, or onto any park store, would destroy it."""
    targets = [out.with_suffix(s) for s in _SHAPEFILE_PARTS] if out.suffix.lower() == ".shp" else [out]
    own = Path(store.uri).resolve() if store.folder is not None else None
    for target in targets:
        if own is not None and target.resolve() == own:
            msg = (
                f"--out {out} is the park's own store {own.name}; exporting onto it would destroy the park. "
                "Nothing was written; give another --out"
            )
            raise StoreError(msg)
        if target.is_file() and is_park_store(target):
            msg = (
                f"--out {out} is a park store; exporting onto it would destroy that park. "
                "Nothing was written; give another --out"
            )
            raise StoreError(msg)


def _export(
    config: ParkConfig,
    parcels: gpd.GeoDataFrame,
    fmt: str,
    out: Path,
    *,
    crs: str,
    produced_on: date | None,
    labels: str = "zh",
    land_use_codes: str = "2023",
) -> ExportReport:
    frame = parcels[[*export_columns(), "geometry"]].reset_index(drop=True)
    zone, _ = zone_of_epsg(config.crs_epsg)
    notes: list[str] = []
    if fmt == "csv":
        write_csv(frame, export_columns(), out, labels=labels)
        return ExportReport(out, len(frame), "none (attributes only)", notes)
    if fmt == "geojson":
        write_geojson(frame, out, decimals=_GEOJSON_DECIMALS)
        out.with_suffix(".qml").write_text(geojson_style(), encoding="utf-8")  # QGIS opens it styled
        return ExportReport(out, len(frame), f"EPSG:{WGS84}", notes)
    if fmt == "txt":
        write_txt(frame, out, crs_epsg=config.crs_epsg, produced_on=produced_on, notes=notes)
        return ExportReport(out, len(frame), f"EPSG:{gk_epsg(zone=zone, prefixed=True)}", notes)
    epsg = CGCS2000 if crs == "4490" else gk_epsg(zone=zone, prefixed=True)
    frame = frame.to_crs(epsg)
    if fmt == "gpkg":
        write_geopackage(frame, out, land_use=land_use_codes)
        return ExportReport(out, len(frame), f"EPSG:{epsg}", notes)
    by_name = {f.name: f for f in FIELDS}
    for column in frame.columns:
        f = by_name.get(column)
        if f is None:
            continue
        if f.kind == "bool":  # GDAL takes booleans with NULLs as objects
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
        elif f.kind == "int":
            frame[column] = frame[column].astype("float64")
    for column in export_columns():
        if by_name[column].kind != "str":
            continue
        text = frame[column].astype(object)
        long = text.map(lambda v: isinstance(v, str) and len(v.encode(SHAPEFILE_ENCODING, "replace")) > _SHP_TEXT_BYTES)
        if long.any():
            notes.append(
                f"{int(long.sum())} value(s) of `{column}` are longer than a Shapefile text field "
                f"({_SHP_TEXT_BYTES} bytes) and were cut; the GeoPackage export keeps them whole"
            )
            frame[column] = text.where(~long, text.map(_cut_bytes))
    write_shapefile(frame, out, labels=labels)
    if labels == "zh":  # QGIS opens a file layer with the .qml of its name as its default style
        out.with_suffix(".qml").write_text(shapefile_style(), encoding="utf-8")
    return ExportReport(out, len(frame), f"EPSG:{epsg}", notes)


def geojson_style() -> str:
    """The QML of the readiness style for the GeoJSON export: the park's own column names and codes, as the park
    GeoPackage's default style (:mod:`planner.store.gpkg_styles`), each column titled in Chinese."""
    exported = set(export_columns())
    return next(style for style in park_parcel_styles(f for f in FIELDS if f.name in exported) if style.default).qml


def _cut_bytes(value: str) -> str:
    while len(value.encode(SHAPEFILE_ENCODING, "replace")) > _SHP_TEXT_BYTES:
        value = value[:-1]
    return value


_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qml")


def _remove(path: Path) -> None:
    """An old export at ``path`` (and a Shapefile's sidecars) is replaced, not appended to."""
    suffixes = _SHAPEFILE_PARTS if path.suffix.lower() == ".shp" else (path.suffix,)
    for suffix in suffixes:
        path.with_suffix(suffix).unlink(missing_ok=True)
