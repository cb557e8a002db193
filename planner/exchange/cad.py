"""Parcels from a surveyor's CAD drawing (DXF from AutoCAD or 南方CASS), through GDAL's DXF driver.

A 勘测定界 drawing holds each parcel as a closed polyline (LWPOLYLINE or POLYLINE with its
closed flag, or whose last vertex is its first) or a HATCH, and its number as a TEXT or
MTEXT inside it. :func:`read_dxf` turns the closed ones into parcels; open polylines are
listed and left out. ``cad_layer`` keeps the entities of one CAD layer (the drawing's
宗地 layer). With ``id_from_text`` each parcel takes its id from the one text inside it (a
text inside nested polygons belongs to the smallest); a polygon with no text, or with
several, is listed and left out. Otherwise the id is the entity handle (``dxf-2A``).

Text is read in the encoding the drawing states (:func:`dxf_encoding`; ``--encoding gbk`` for
an older drawing whose header says otherwise). A DXF states no CRS: its coordinates are
taken as CGCS2000 3-degree Gauss–Krüger of the zone ``crs`` names (an EPSG code of a zone,
4513–4554, or the zone number, 25–45). Eastings of eight digits before the decimal point
carry the zone prefix (``39xxxxxx.xx``): it is detected and must be the zone's, and the
prefixed EPSG (4513–4533) is then used. Without ``crs`` the prefix alone names the zone.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from planner.crs import FIRST_ZONE, LAST_ZONE, gk_epsg, zone_of_epsg
from planner.errors import Problem
from planner.exchange.readers import file_problem

__all__ = ["dxf_encoding", "read_dxf"]

_PREFIXED_EASTING = 1e7
"""Eastings at or above this (eight digits before the decimal point) carry the zone prefix."""
_SAME_M = 0.01
"""A HATCH within this of a closed polyline is the same parcel drawn twice."""


def read_dxf(
    path: Path,
    *,
    cad_layer: str | None,
    id_from_text: bool,
    crs: str | int | None,
    problems: list[Problem],
    encoding: str | None = None,
) -> gpd.GeoDataFrame | None:
    """The parcels of a DXF drawing, with ``parcel_id`` and the CAD ``layer`` they come from (``None``: refused).

    What is found is appended to ``problems``: a feature left out is an error naming it (the
    importer leaves it out and lists it), a problem of the whole file an error naming the file.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.set_gdal_config_options({"DXF_ENCODING": dxf_encoding(path, encoding)})
            try:
                frame = pyogrio.read_dataframe(path, on_invalid="ignore")
            finally:
                pyogrio.set_gdal_config_options({"DXF_ENCODING": None})
    except Exception as exc:  # GDAL's messages vary; the file is named with them
        why = " ".join(str(exc).split())[:300]
        problems.append(file_problem(path, f"cannot be read as DXF: {why}", zh=f"无法按 DXF 读取：「{why}」"))
        return None
    if cad_layer is not None:
        layers = sorted(set(frame["Layer"].dropna().astype(str)))
        frame = frame[frame["Layer"] == cad_layer]
        if not len(frame):
            problems.append(
                file_problem(
                    path,
                    f"has no entity on CAD layer {cad_layer!r}; its layers: {', '.join(layers)}",
                    zh=f"CAD 图层 {cad_layer!r} 上没有图元；其图层为：{'、'.join(layers)}",
                )
            )
            return None
    epsg = _gk_crs(path, frame, crs, problems)
    if epsg is None:
        return None
    polygons, handles = _closed_shapes(frame, problems)
    if not len(polygons):
        message = "holds no closed polyline or hatch to make a parcel of"
        problems.append(file_problem(path, message, zh="没有可作为宗地的闭合多段线或填充"))
        return None
    ids = _ids_from_text(frame, polygons, handles, problems) if id_from_text else [f"dxf-{h}" for h in handles]
    keep = np.array([i is not None for i in ids], dtype=bool)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": np.array(ids, dtype=object)[keep], "cad_layer": polygons["Layer"].to_numpy()[keep]},
        geometry=gpd.GeoSeries(polygons.geometry.to_numpy()[keep]),
        crs=epsg,
    )
    return parcels.drop(columns="cad_layer")


_CODEPAGES = {"ANSI_936": "CP936", "ANSI_950": "CP950", "ANSI_1252": "CP1252", "ANSI_932": "CP932"}


def dxf_encoding(path: Path, encoding: str | None = None) -> str | None:
    """The text encoding of a DXF: ``encoding`` if given; UTF-8 from AutoCAD 2007 (``AC1021``) on, as
    the format says; else the header's ``$DWGCODEPAGE`` (``ANSI_936`` is GBK, what 南方CASS writes);
    ``None``: GDAL's choice.
    """
    if encoding:
        return "CP936" if encoding.lower() in ("gbk", "gb2312", "cp936", "gb18030") else encoding
    with path.open("rb") as f:
        head = f.read(65536).decode("latin-1")
    lines = [line.strip() for line in head.splitlines()]
    values = {lines[k]: lines[k + 2] for k in range(len(lines) - 2) if lines[k] in ("$ACADVER", "$DWGCODEPAGE")}
    version = values.get("$ACADVER", "")
    if version.startswith("AC") and version[2:].isdigit() and int(version[2:]) >= 1021:
        return "UTF-8"
    return _CODEPAGES.get(values.get("$DWGCODEPAGE", "").upper())


def _gk_crs(path: Path, frame: gpd.GeoDataFrame, crs: str | int | None, problems: list[Problem]) -> int | None:
    """The EPSG code of the drawing's coordinates: the zone ``crs`` names, prefixed if the eastings carry it."""
    xy = shapely.get_coordinates(frame.geometry.to_numpy())
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not len(xy):
        problems.append(file_problem(path, "holds no coordinates", zh="没有坐标"))
        return None
    easting = float(np.median(xy[:, 0]))
    prefix = int(easting // 1e6) if easting >= _PREFIXED_EASTING else None
    zone, named = _zone_named(path, crs, problems)
    if not named:
        return None
    if prefix is not None and not FIRST_ZONE <= prefix <= LAST_ZONE:
        problems.append(
            file_problem(
                path,
                f"eastings start with {prefix}, which is no 3-degree zone of China (25–45); X and Y swapped?",
                zh=f"横坐标以 {prefix} 开头，不是中国的 3 度带（25–45）：X 与 Y 是否颠倒了？",
            )
        )
        return None
    if zone is None:
        if prefix is None:
            problems.append(
                file_problem(
                    path,
                    "a DXF states no CRS and its eastings carry no zone prefix: name the 3-degree Gauss–Krüger zone "
                    "with --crs (the zone number, e.g. --crs 39, or its EPSG code, e.g. --crs 4545)",
                    zh="DXF 未写明坐标系，横坐标也不带带号：请用 --crs 指明 3 度带高斯–克吕格投影带"
                    "（带号，如 --crs 39，或其 EPSG 代码，如 --crs 4545）",
                )
            )
            return None
        zone = prefix
    elif prefix is not None and prefix != zone:
        problems.append(
            file_problem(
                path,
                f"its eastings carry the zone prefix {prefix} but --crs names zone {zone}; give --crs {prefix} "
                "(or the EPSG code of that zone)",
                zh=f"横坐标带有带号 {prefix}，但 --crs 指明的是 {zone} 带：请给出 --crs {prefix}（或该带的 EPSG 代码）",
            )
        )
        return None
    if prefix is not None:
        problems.append(
            file_problem(
                path,
                f"eastings carry the zone prefix {prefix}: read as CGCS2000 3-degree Gauss–Krüger zone {zone} with "
                f"prefix (EPSG:{gk_epsg(zone=zone, prefixed=True)})",
                "repair",
                zh=f"横坐标带有带号 {prefix}：按带带号的 CGCS2000 3 度带高斯–克吕格 {zone} 带读取"
                f"（EPSG:{gk_epsg(zone=zone, prefixed=True)}）",
            )
        )
    return gk_epsg(zone=zone, prefixed=prefix is not None)


def _zone_named(path: Path, crs: str | int | None, problems: list[Problem]) -> tuple[int | None, bool]:
    """The 3-degree zone ``--crs`` names (a zone number or the EPSG code of a zone; ``None`` if not given), and
    whether ``crs`` is usable."""
    if crs is None:
        return None, True
    text = str(crs).strip()
    if text.isdigit() and FIRST_ZONE <= int(text) <= LAST_ZONE:
        return int(text), True
    try:
        epsg = pyproj.CRS.from_user_input(int(text) if text.isdigit() else text).to_epsg()
        zone, _prefixed = zone_of_epsg(int(epsg)) if epsg is not None else (None, False)
    except (pyproj.exceptions.CRSError, ValueError, TypeError):
        zone = None
    if zone is None:
        problems.append(
            file_problem(
                path,
                f"--crs {text!r} names no 3-degree zone: a DXF is read as CGCS2000 3-degree Gauss–Krüger, so give "
                "the zone number (25–45) or its EPSG code (4513–4554)",
                zh=f"--crs {text!r} 不是 3 度带：DXF 按 CGCS2000 3 度带高斯–克吕格读取，请给出带号（25–45）"
                "或其 EPSG 代码（4513–4554）",
            )
        )
    return zone, zone is not None


def _closed_shapes(frame: gpd.GeoDataFrame, problems: list[Problem]) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The closed polylines and hatches as polygons, with their entity handles; each open polyline reported."""
    geoms = frame.geometry.to_numpy()
    kind = shapely.get_type_id(geoms)
    handles = frame["EntityHandle"].astype(str).to_numpy() if "EntityHandle" in frame else np.arange(len(frame))
    line = kind == shapely.GeometryType.LINESTRING
    ring = np.zeros(len(frame), dtype=bool)
    ring[line] = shapely.is_closed(geoms[line]) & (shapely.get_num_coordinates(geoms[line]) >= 4)
    subclass = frame["SubClasses"].astype(str).to_numpy() if "SubClasses" in frame else np.full(len(frame), "")
    polyline = np.char.find(subclass.astype(str), "Polyline") >= 0
    problems.extend(
        Problem(
            "error",
            f"dxf-{handles[k]}",
            "geometry",
            f"an open polyline on CAD layer {frame['Layer'].iloc[k]!r} (its last vertex is not its first): "
            "not a parcel boundary; close it in the drawing",
            feature="parcel",
            zh=f"CAD 图层 {frame['Layer'].iloc[k]!r} 上的多段线未闭合（末点不是首点）：不是宗地界线，请在图中闭合",
        )
        for k in np.flatnonzero(line & ~ring & polyline)
    )
    polygonal = np.isin(kind, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    shapes = np.empty(len(frame), dtype=object)
    # a closed LineString as a ring: its coordinates, in 2D (CAD elevations are no part of a parcel's shape)
    shapes[ring] = [shapely.Polygon(shapely.get_coordinates(g)) for g in geoms[ring]]
    shapes[polygonal] = shapely.force_2d(geoms[polygonal])
    take = ring | polygonal
    if polygonal.any() and ring.any():  # a hatch filling a closed polyline: the polyline is the parcel
        tree = shapely.STRtree(shapes[ring])
        for k in np.flatnonzero(polygonal):
            near = tree.query(shapes[k], predicate="intersects")
            if any(shapely.hausdorff_distance(shapes[k], shapes[ring][j]) <= _SAME_M for j in near):
                take[k] = False
    out = gpd.GeoDataFrame(
        {"Layer": frame["Layer"].to_numpy()[take]}, geometry=gpd.GeoSeries(shapes[take]), crs=None
    ).reset_index(drop=True)
    return out, [str(h) for h in handles[take]]


def _ids_from_text(
    frame: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, handles: list[str], problems: list[Problem]
) -> list[str | None]:
    """Each polygon's id from the one text inside it (a text in nested polygons counts for the smallest)."""
    is_text = frame.geometry.geom_type.eq("Point").to_numpy() & frame["Text"].notna().to_numpy()
    texts = frame[is_text]
    labels = texts["Text"].astype(str).str.replace(r"\s+", " ", regex=True).str.strip().to_numpy()
    geoms = polygons.geometry.to_numpy()
    pairs = shapely.STRtree(geoms).query(texts.geometry.to_numpy(), predicate="within") if len(texts) else None
    owner = np.full(len(texts), -1)
    if pairs is not None and pairs.shape[1]:
        area = shapely.area(geoms)
        order = np.lexsort((area[pairs[1]], pairs[0]))  # per text, its smallest polygon first
        text_at, poly_at = pairs[0][order], pairs[1][order]
        first = np.r_[True, text_at[1:] != text_at[:-1]]
        owner[text_at[first]] = poly_at[first]
    ids: list[str | None] = []
    inside_of = [[str(t) for t in labels[owner == k] if str(t)] for k in range(len(polygons))]
    uses = pd.Series([i[0] for i in inside_of if len(i) == 1]).value_counts()
    for k, inside in enumerate(inside_of):
        where = f"on CAD layer {polygons['Layer'].iloc[k]!r}"
        where_zh = f"CAD 图层 {polygons['Layer'].iloc[k]!r} 上"
        if len(inside) == 1 and uses[inside[0]] == 1:
            ids.append(inside[0])
            continue
        if len(inside) == 1:
            ids.append(None)
            problems.append(
                Problem(
                    "error",
                    f"dxf-{handles[k]}",
                    "parcel_id",
                    f"a closed polyline {where} whose text {inside[0]!r} labels {uses[inside[0]]} polygons: "
                    "an id names one parcel",
                    feature="parcel",
                    zh=f"{where_zh}的闭合多段线内的文字 {inside[0]!r} 标注了 {uses[inside[0]]} 个多边形："
                    "一个编号只能对应一宗地",
                )
            )
            continue
        ids.append(None)
        why = (
            f"a closed polyline {where} with no text inside (--id-from-text takes the id from a TEXT or MTEXT "
            "inside each polygon)"
            if not inside
            else f"a closed polyline {where} with {len(inside)} texts inside ({', '.join(map(repr, inside[:5]))}): "
            "which is its id cannot be told"
        )
        why_zh = (
            f"{where_zh}的闭合多段线内没有文字（--id-from-text 以多边形内的 TEXT 或 MTEXT 为编号）"
            if not inside
            else f"{where_zh}的闭合多段线内有 {len(inside)} 处文字（{'、'.join(map(repr, inside[:5]))}）："
            "无法判断哪个是编号"
        )
        problems.append(Problem("error", f"dxf-{handles[k]}", "parcel_id", why, feature="parcel", zh=why_zh))
    return ids
