"""Writing the land bureau's boundary-coordinate TXT (报部格式; the format: :mod:`planner.exchange.txt`).

Coordinates in the park's Gauss–Krüger zone with zone prefix, X the northing and Y the
easting, outer rings clockwise and each ring closed by its first point; GBK text with
CRLF line ends. :func:`~planner.exchange.txt.read_txt` reads what :func:`write_txt`
writes back identically.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.codes import land_use_codes
from planner.crs import gk_epsg, zone_of_epsg
from planner.exchange.txt import BODY_SECTION, HEADER_SECTION
from planner.units import M2_PER_HECTARE

__all__ = ["write_txt"]


def write_txt(
    parcels: gpd.GeoDataFrame,
    path: str | Path,
    *,
    crs_epsg: int | None = None,
    produced_on: date | None = None,
    producer: str = "",
    precision_m: float = 0.001,
    encoding: str = "gbk",
    notes: list[str] | None = None,
) -> Path:
    """Write parcels as a boundary-coordinate TXT file (GBK by default, CRLF line ends).

    Parameters
    ----------
    parcels
        Parcels in the park's Gauss–Krüger CRS (as the store returns them).
    crs_epsg
        The park's storage CRS; by default that of ``parcels``.
    produced_on
        数据产生日期 (default today).
    producer
        数据产生单位.
    precision_m
        精度: coordinates are written to this step (0.001 m: millimetres).
    notes
        A list the changes a text needed are appended to, one per parcel and field
        (a comma, which separates the fields of a line, written full-width; line breaks as spaces).
    """
    epsg = crs_epsg or parcels.crs.to_epsg()
    zone, _ = zone_of_epsg(epsg)
    frame = parcels.to_crs(gk_epsg(zone=zone, prefixed=True))
    decimals = max(0, -int(np.floor(np.log10(precision_m) + 1e-9)))
    names = land_use_codes()["name_zh"].to_dict()
    head = [
        HEADER_SECTION,
        "格式版本号=1.01版本",
        f"数据产生单位={producer}",
        f"数据产生日期={(produced_on or date.today()).isoformat()}",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        f"带号={zone}",
        f"精度={precision_m:g}",
        "转换参数=,,,,,,",
        BODY_SECTION,
    ]
    body: list[str] = []
    # 地块面积 is the area of the boundary as written (coordinates at the file's 精度): read back and written again,
    # the same coordinates give the same area line (the stored area, of unrounded vertices, may differ a little)
    written = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, decimals))
    area_ha = shapely.area(written) / M2_PER_HECTARE
    for k, geom in enumerate(frame.geometry.to_numpy()):
        lines = _point_lines(geom, decimals)
        row = parcels.iloc[k]
        body.append(_attribute_line(row, len(lines), float(area_ha[k]), names, notes))
        body += lines
    text = "\r\n".join([*head, *body]) + "\r\n"
    path = Path(path)
    path.write_bytes(text.encode(encoding))
    return path


def _point_lines(geom: shapely.Geometry, decimals: int) -> list[str]:
    """A parcel's point lines ``J<n>,<圈号>,X,Y``: outer rings clockwise, each ring closed by its first point."""
    lines: list[str] = []
    ring_no = 0
    point_no = 0
    for polygon in shapely.get_parts(shapely.orient_polygons(geom, exterior_cw=True)):
        holes = shapely.get_interior_ring(polygon, range(shapely.get_num_interior_rings(polygon)))
        for ring in [shapely.get_exterior_ring(polygon), *holes]:
            ring_no += 1
            xy = shapely.get_coordinates(ring)[:-1]
            first = point_no + 1
            for x, y in xy:
                point_no += 1
                lines.append(f"J{point_no},{ring_no},{y:.{decimals}f},{x:.{decimals}f}")
            lines.append(f"J{first},{ring_no},{xy[0, 1]:.{decimals}f},{xy[0, 0]:.{decimals}f}")
    return lines


def _attribute_line(row: pd.Series, points: int, ha: float, names: Mapping[str, str], notes: list[str] | None) -> str:
    """A parcel's attribute line, ending in ``@``; the changes its texts needed are added to ``notes``."""
    code = row.get("land_use")
    code = code if isinstance(code, str) else ""
    texts = {}
    for column, label in (("parcel_id", "地块编号"), ("name", "地块名称")):
        value = row.get(column)
        texts[column] = _clean(value)
        if notes is not None and isinstance(value, str) and texts[column] != value.strip():
            notes.append(
                f"parcel {row['parcel_id']!r}: {label} {value!r} written as {texts[column]!r} (a comma separates "
                "the fields of a TXT line: written full-width; line breaks as spaces)"
            )
    attrs = [str(points), f"{ha:.4f}", texts["parcel_id"], texts["name"], "面", "", names.get(code, ""), code, "@"]
    return ",".join(attrs)


def _clean(value: object) -> str:
    """A text field for a comma-separated line: full-width commas, no line breaks."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).replace(",", "，").replace("\r", " ").replace("\n", " ").strip()
