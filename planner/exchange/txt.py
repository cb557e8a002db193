"""The land bureau's boundary-coordinate TXT (勘测定界界址点坐标交换格式, "报部格式").

A file has two sections::

    [属性描述]
    坐标系=2000国家大地坐标系
    几度分带=3
    投影类型=高斯克吕格
    计量单位=米
    带号=39
    精度=0.001
    [地块坐标]
    5,0.0400,P001,一号地块,面,,一类工业用地,100101,@
    J1,1,3570100.000,39620000.000
    …

Each parcel is one attribute line — 界址点数 (the number of point lines that follow),
地块面积 (hectares), 地块编号, 地块名称, 记录图形属性 (面), 图幅号, 地块用途, 地类编码,
ending in ``@`` — then its point lines ``点号,圈号,X,Y``: X is the northing, Y the easting
with the zone number in front (``39620000.000`` in zone 39). 圈号 1 is the outer ring,
2, 3, … the holes (or further parts of a multi-part parcel: a ring inside an outer ring
is its hole, unless it also lies in one of that ring's holes, where it is another part — an
island; a ring outside every other is another part). Each ring is closed by repeating its first
point. Outer rings run clockwise, as surveyors number boundary points.

:func:`read_txt` reports, per parcel, what it repaired and what it refused; it never
raises for a bad record. :func:`write_txt` writes what :func:`read_txt` reads back
identically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.codes import land_use_codes
from planner.crs import FIRST_ZONE, LAST_ZONE, gk_epsg, zone_of_epsg
from planner.errors import Problem
from planner.units import M2_PER_HECTARE, M2_PER_MU

__all__ = ["TxtParcels", "read_txt", "txt_crs", "write_txt"]

_HEADER = "[属性描述]"
_BODY = "[地块坐标]"
_CGCS2000_NAMES = ("2000国家大地坐标系", "CGCS2000", "2000坐标系", "国家2000坐标系", "2000中国大地坐标系")
_PREFIX = 1_000_000.0
_WHAT = "parcel"


@dataclass
class TxtParcels:
    """Parcels read from a TXT file, in the file's CRS, with the header and the problems found."""

    parcels: gpd.GeoDataFrame
    header: dict[str, str]
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def txt_crs(zone: int, *, degrees: int = 3) -> str:
    """The CRS of a TXT file's coordinates: CGCS2000 Gauss–Krüger with zone prefix.

    3-degree zones are EPSG:4513–4533; 6-degree zones (central meridian ``6·zone − 3``)
    are given as a PROJ string, since their EPSG twins are rarely what files mean.
    """
    if degrees == 3:
        return f"EPSG:{gk_epsg(zone=zone, prefixed=True)}"
    cm = 6 * zone - 3
    return (
        f"+proj=tmerc +lat_0=0 +lon_0={cm} +k=1 +x_0={zone * _PREFIX + 500000:.0f} +y_0=0 +ellps=GRS80 "
        "+units=m +no_defs +type=crs"
    )


def _decode(data: bytes, encoding: str | None, name: str) -> tuple[str | None, str | None, Problem | None]:
    """(text, encoding used, error)."""
    tried = [encoding] if encoding else ["utf-8-sig", "gbk"]
    for enc in tried:
        try:
            return data.decode(enc), enc, None
        except (UnicodeDecodeError, LookupError):
            continue
    if encoding:
        msg = f"the file is not valid {encoding} text; try --encoding gbk or --encoding utf-8"
    else:
        msg = "the file is neither UTF-8 nor GBK text; give its encoding with --encoding"
    return None, None, Problem("error", None, None, msg, feature=f"file {name!r}")


def read_txt(source: str | Path | bytes, *, encoding: str | None = None, name: str | None = None) -> TxtParcels:
    """Read a boundary-coordinate TXT file.

    Parameters
    ----------
    source
        A path, or the file's bytes.
    encoding
        The text encoding; by default UTF-8 (with or without BOM) is tried, then GBK.
    name
        The file's name, for messages (taken from ``source`` when it is a path).

    Returns
    -------
    TxtParcels
        Columns ``parcel_id`` (地块编号), ``name``, ``land_use`` (地类编码, else 地块用途),
        ``declared_area_mu`` (地块面积 × 15); CRS Gauss–Krüger with zone prefix.
    """
    if isinstance(source, bytes):
        data, name = source, name or "TXT"
    else:
        path = Path(source)
        data, name = path.read_bytes(), name or path.name
    file_feature = f"file {name!r}"
    text, used, problem = _decode(data, encoding, name)
    empty = gpd.GeoDataFrame({"parcel_id": []}, geometry=gpd.GeoSeries([]))
    if problem:
        return TxtParcels(empty, {}, [problem])
    problems: list[Problem] = []
    if used == "gbk" and not encoding:
        problems.append(Problem("repair", None, None, "the file is not UTF-8; read as GBK", feature=file_feature))
    lines = [(k + 1, line.strip()) for k, line in enumerate(text.splitlines())]
    lines = [(k, line) for k, line in lines if line]

    def fail(msg: str) -> TxtParcels:
        return TxtParcels(empty, {}, [*problems, Problem("error", None, None, msg, feature=file_feature)])

    heads = [k for k, (_, line) in enumerate(lines) if line in (_HEADER, _BODY)]
    names = [lines[k][1] for k in heads]
    if _BODY not in names:
        return fail(f"no {_BODY} section: this is not a boundary-coordinate TXT (报部格式) file")
    if _HEADER not in names or names.index(_HEADER) > names.index(_BODY):
        return fail(f"no {_HEADER} section before {_BODY}; the file must say its 坐标系, 带号 and units")
    start, body = heads[names.index(_HEADER)], heads[names.index(_BODY)]
    header: dict[str, str] = {}
    for line_no, line in lines[start + 1 : body]:
        key, sep, value = line.partition("=")
        if not sep:
            return fail(f"line {line_no}: {line!r} in {_HEADER} is not a key=value line")
        header[key.strip()] = value.strip()
    zone_degrees, error = _check_header(header)
    if error:
        return fail(error)
    degrees, zone = zone_degrees
    rows, found = _parse_body(lines[body + 1 :], zone, degrees)
    problems += found
    if zone is None:
        by_zone: dict[int, list[str]] = {}
        for r in rows:
            if r.get("zone"):
                by_zone.setdefault(r["zone"], []).append(str(r["parcel_id"]))
        if len(by_zone) > 1:
            listed = "; ".join(
                f"zone {z}: {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}" for z, ids in by_zone.items()
            )
            return fail(
                f"带号 is missing and the parcels' eastings carry different zone prefixes ({listed}); "
                "a file holds one zone: split it by zone and write 带号=<zone> in each header"
            )
        zone = next(iter(by_zone), None)
        if zone is None:
            return fail("带号 is missing and the eastings carry no zone prefix; write 带号=<zone> in the header")
        problems.append(
            Problem("repair", None, None, f"带号 is missing; zone {zone} taken from the eastings", feature=file_feature)
        )
    sheets = [(str(r["parcel_id"]), r["map_sheet"]) for r in rows if r.get("map_sheet")]
    if sheets:
        listed = ", ".join(f"{pid} ({sheet})" for pid, sheet in sheets[:10]) + (" …" if len(sheets) > 10 else "")
        problems.append(
            Problem(
                "warning",
                None,
                None,
                f"图幅号 is given for {len(sheets)} parcel(s) and was not kept: the parcel layer has no column "
                f"for it: {listed}",
                feature=file_feature,
            )
        )
    if not rows and not any(p.severity == "error" for p in problems):
        return fail(f"the {_BODY} section holds no parcel")
    crs = txt_crs(zone, degrees=degrees)
    geoms = [r.pop("geometry") for r in rows]
    for r in rows:
        r.pop("zone", None)
        r.pop("map_sheet", None)
    frame = pd.DataFrame(rows, columns=["parcel_id", "name", "land_use", "declared_area_mu", "line"])
    parcels = gpd.GeoDataFrame(frame.drop(columns=["line"]), geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    parcels.attrs["source_lines"] = frame["line"].tolist()
    return TxtParcels(parcels, header, problems)


def _check_header(header: Mapping[str, str]) -> tuple[tuple[int, int | None], str | None]:
    system = header.get("坐标系", "")
    if not any(n.lower() in system.lower() for n in _CGCS2000_NAMES):
        shown = system or "(missing)"
        return (3, None), (
            f"坐标系={shown} is not supported: only 2000国家大地坐标系 (CGCS2000) is; "
            "convert the file to CGCS2000 first (Xi'an 1980 and Beijing 1954 need local parameters)"
        )
    projection = header.get("投影类型", "高斯克吕格")
    if projection.replace("-", "").replace("–", "") not in ("高斯克吕格", "高斯-克吕格", "GaussKruger", "高斯投影"):
        return (3, None), f"投影类型={projection} is not supported; expected 高斯克吕格"
    unit = header.get("计量单位", "米")
    if unit not in ("米", "m", "M"):
        return (3, None), f"计量单位={unit} is not supported; coordinates must be in metres (米)"
    degrees_text = header.get("几度分带", "3")
    if degrees_text not in ("3", "6"):
        return (3, None), f"几度分带={degrees_text} is not allowed; use 3 or 6"
    degrees = int(degrees_text)
    zone_text = header.get("带号", "").strip()
    if not zone_text:
        return (degrees, None), None
    if not zone_text.isdigit():
        return (degrees, None), f"带号={zone_text} is not a zone number"
    zone = int(zone_text)
    low, high = (FIRST_ZONE, LAST_ZONE) if degrees == 3 else (13, 23)
    if not low <= zone <= high:
        return (degrees, None), f"带号={zone} is not a {degrees}-degree zone of China; allowed: {low}–{high}"
    return (degrees, zone), None


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _parse_body(lines: list[tuple[int, str]], zone: int | None, degrees: int) -> tuple[list[dict], list[Problem]]:
    """Parcels of the 地块坐标 section: one dict per parcel (geometry in prefixed GK metres)."""
    problems: list[Problem] = []
    rows: list[dict] = []
    blocks: list[tuple[int, list[str], list[tuple[int, list[str]]]]] = []
    for line_no, line in lines:
        parts = [p.strip() for p in line.split(",")]
        if line.endswith("@"):
            if parts[-1] == "@":
                parts = parts[:-1]
            else:
                parts[-1] = parts[-1].removesuffix("@").strip()
            blocks.append((line_no, parts, []))
        elif not blocks:
            problems.append(
                Problem(
                    "error",
                    None,
                    None,
                    f"line {line_no}: {line!r} comes before the first parcel's attribute line (ending in @)",
                    feature="file",
                )
            )
        else:
            blocks[-1][2].append((line_no, parts))
    for index, (line_no, attrs, points) in enumerate(blocks):
        row, found = _parcel(index, line_no, attrs, points, zone, degrees)
        problems += found
        if row is not None:
            rows.append(row)
    return rows, problems


def _parcel(
    index: int, line_no: int, attrs: list[str], points: list[tuple[int, list[str]]], zone: int | None, degrees: int
) -> tuple[dict | None, list[Problem]]:
    problems: list[Problem] = []
    attrs = attrs + [""] * (8 - len(attrs))
    pid = attrs[2] or None

    def err(fieldname: str | None, msg: str) -> None:
        problems.append(Problem("error", pid, fieldname, msg, row=index, feature=_WHAT))

    def fix(fieldname: str | None, msg: str) -> None:
        problems.append(Problem("repair", pid, fieldname, msg, row=index, feature=_WHAT))

    if pid is None:
        err("parcel_id", f"line {line_no}: 地块编号 (the third field) is empty")
    count_text, area_text, kind = attrs[0], attrs[1], attrs[4]
    declared_count = int(count_text) if count_text.isdigit() else None
    if declared_count is None:
        err("geometry", f"line {line_no}: 界址点数 {count_text!r} is not a whole number")
    area_ha = float(area_text) if _NUMBER.match(area_text) else None
    if area_text and area_ha is None:
        err("declared_area_mu", f"line {line_no}: 地块面积 {area_text!r} is not a number of hectares")
    if kind and kind != "面":
        err("geometry", f"line {line_no}: 记录图形属性 is {kind!r}; only 面 (a polygon parcel) can be imported")
    if not points:
        err("geometry", f"line {line_no}: the parcel has no point lines")
        return None, problems
    bad = [(n, p) for n, p in points if len(p) != 4 or not (_NUMBER.match(p[2]) and _NUMBER.match(p[3]))]
    for n, p in bad[:3]:
        err("geometry", f"line {n}: {','.join(p)!r} is not a point line 点号,圈号,X,Y with numbers X and Y")
    rings_text = [p[1] for _, p in points if len(p) == 4]
    if bad:
        return None, problems
    if not all(r.isdigit() and int(r) >= 1 for r in rings_text):
        err("geometry", f"line {line_no}: 圈号 must be whole numbers 1, 2, …; got {sorted(set(rings_text))}")
        return None, problems
    labels = [p[0] for _, p in points]
    ring_no = np.array([int(p[1]) for _, p in points])
    x_north = np.array([float(p[2]) for _, p in points])
    y_east = np.array([float(p[3]) for _, p in points])
    distinct = len({(a, b) for a, b in zip(x_north, y_east, strict=True)})
    if declared_count is not None and declared_count not in (len(points), distinct):
        err(
            "geometry",
            f"line {line_no}: 界址点数 says {declared_count} points, but {len(points)} point lines follow "
            f"({distinct} distinct points)",
        )
    if ring_no[0] != 1:
        err("geometry", f"line {points[0][0]}: the first ring must be 圈号 1 (the outer ring), not {ring_no[0]}")
    # the zone: from the eastings' prefix, checked against 带号
    prefixes = np.floor(y_east / _PREFIX).astype(int)
    has_prefix = y_east >= _PREFIX
    if has_prefix.any() and not has_prefix.all():
        err("geometry", "some eastings carry a zone prefix and some do not; write every Y with its zone prefix")
        return None, problems
    file_zone = zone
    if has_prefix.all():
        seen = sorted(set(prefixes.tolist()))
        if len(seen) != 1:
            err("geometry", f"the eastings carry different zone prefixes {seen}; a parcel lies in one zone")
            return None, problems
        low, high = (FIRST_ZONE, LAST_ZONE) if degrees == 3 else (13, 23)
        if not low <= seen[0] <= high:
            err(
                "geometry",
                f"line {points[0][0]}: Y {y_east[0]:,.3f} carries the zone prefix {seen[0]}, which is no "
                f"{degrees}-degree zone of China ({low}–{high}); are X and Y swapped? X is the northing, "
                "Y the easting with its zone prefix",
            )
            return None, problems
        if zone is not None and seen[0] != zone:
            err(
                "geometry",
                f"the eastings carry zone prefix {seen[0]} but the header says 带号={zone}; "
                "one of them is wrong (is Y the easting and X the northing?)",
            )
            return None, problems
        file_zone = seen[0]
    else:
        if zone is None:
            err("geometry", "the eastings carry no zone prefix and the header gives no 带号")
            return None, problems
        y_east = y_east + zone * _PREFIX
        fix("geometry", f"eastings without zone prefix: zone {zone} (带号) put in front")
    rings, found = _rings(index, pid, labels, points, ring_no, x_north, y_east)
    problems += found
    if rings is None:
        return None, problems
    geometry, notes = _assemble(rings)
    for note in notes:
        fix("geometry", note)
    return (
        {
            "parcel_id": pid,
            "name": attrs[3] or None,
            "land_use": attrs[7] or attrs[6] or None,
            "declared_area_mu": None if area_ha is None else area_ha * M2_PER_HECTARE / M2_PER_MU,
            "line": line_no,
            "zone": file_zone,
            "map_sheet": attrs[5] or None,
            "geometry": geometry,
        },
        problems,
    )


def _rings(
    index: int,
    pid: str | None,
    labels: list[str],
    points: list[tuple[int, list[str]]],
    ring_no: np.ndarray,
    x_north: np.ndarray,
    y_east: np.ndarray,
) -> tuple[list[np.ndarray] | None, list[Problem]]:
    """The closed rings of a parcel as (n, 2) easting/northing arrays, in 圈号 order."""
    problems: list[Problem] = []
    rings = []
    order = list(dict.fromkeys(ring_no.tolist()))
    if sorted(order) != order or any(ring_no[1:] < ring_no[:-1]):
        problems.append(
            Problem(
                "error",
                pid,
                "geometry",
                f"the points of a ring must follow each other, rings in order 1, 2, …; got 圈号 {order}",
                row=index,
                feature=_WHAT,
            )
        )
        return None, problems
    for r in order:
        at = np.flatnonzero(ring_no == r)
        xy = np.column_stack([y_east[at], x_north[at]])
        first, last = at[0], at[-1]
        if not np.array_equal(xy[0], xy[-1]):
            problems.append(
                Problem(
                    "error",
                    pid,
                    "geometry",
                    f"ring {r} is not closed: its last point {labels[last]} (line {points[last][0]}) is not its "
                    f"first point {labels[first]} (line {points[first][0]}); repeat the first point at the end",
                    row=index,
                    feature=_WHAT,
                )
            )
            continue
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
        dropped = [labels[at[k]] for k in np.flatnonzero(~keep)]
        if dropped:
            problems.append(
                Problem(
                    "repair",
                    pid,
                    "geometry",
                    f"ring {r}: repeated point(s) {', '.join(dropped)} removed (a duplicate of the point before)",
                    row=index,
                    feature=_WHAT,
                )
            )
        xy = xy[keep]
        if len(xy) < 4:
            problems.append(
                Problem(
                    "error",
                    pid,
                    "geometry",
                    f"ring {r} has {len(xy) - 1} distinct points; a ring needs at least 3",
                    row=index,
                    feature=_WHAT,
                )
            )
            continue
        rings.append(xy)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return rings, problems


def _assemble(rings: list[np.ndarray]) -> tuple[shapely.Geometry, list[str]]:
    """Outer rings and holes into a (Multi)Polygon, by nesting parity.

    A ring inside an odd number of the parcel's other rings is a hole of the innermost outer
    ring around it; inside an even number (none, or an outer ring and one of its holes) it is
    an outer ring: another part, e.g. an island in a hole of the first part.
    """
    notes = []
    lines = np.array([shapely.linearrings(xy) for xy in rings])
    inside = shapely.contains(shapely.polygons(lines)[:, None], lines[None, :])  # [j, k]: ring k inside ring j
    np.fill_diagonal(inside, False)
    depth = inside.sum(axis=0)
    outer = (depth % 2 == 0) | ~(inside & (depth % 2 == 0)[:, None]).any(axis=0)  # crossing rings: left as parts
    holes: dict[int, list[np.ndarray]] = {int(k): [] for k in np.flatnonzero(outer)}
    for k in np.flatnonzero(~outer):
        hosts = np.flatnonzero(inside[:, k] & outer)
        holes[int(hosts[np.argmax(depth[hosts])])].append(rings[k])
    for k in np.flatnonzero(outer):
        if shapely.is_ccw(lines[k]):
            notes.append(f"ring {k + 1} ran counter-clockwise; outer rings run clockwise in this format")
    polygons = [shapely.polygons(rings[k], holes=holes[k] or None) for k in holes]
    geom = polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)
    return shapely.orient_polygons(geom), notes


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
    out_crs = gk_epsg(zone=zone, prefixed=True)
    frame = parcels.to_crs(out_crs)
    decimals = max(0, -int(np.floor(np.log10(precision_m) + 1e-9)))
    names = land_use_codes()["name_zh"].to_dict()
    head = [
        _HEADER,
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
        _BODY,
    ]
    body: list[str] = []
    area_ha = parcels["area_m2"].to_numpy(dtype=float) / M2_PER_HECTARE if "area_m2" in parcels else None
    geoms = frame.geometry.to_numpy()
    for k, geom in enumerate(geoms):
        geom = shapely.orient_polygons(geom, exterior_cw=True)
        polygons = shapely.get_parts(geom)
        lines: list[str] = []
        ring_no = 0
        point_no = 0
        for polygon in polygons:
            holes = shapely.get_interior_ring(polygon, range(shapely.get_num_interior_rings(polygon)))
            rings = [shapely.get_exterior_ring(polygon), *holes]
            for ring in rings:
                ring_no += 1
                xy = shapely.get_coordinates(ring)[:-1]
                first = point_no + 1
                for x, y in xy:
                    point_no += 1
                    lines.append(f"J{point_no},{ring_no},{y:.{decimals}f},{x:.{decimals}f}")
                lines.append(f"J{first},{ring_no},{xy[0, 1]:.{decimals}f},{xy[0, 0]:.{decimals}f}")
        row = parcels.iloc[k]
        ha = area_ha[k] if area_ha is not None else shapely.area(parcels.geometry.iloc[k]) / M2_PER_HECTARE
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
        attrs = [
            str(len(lines)),
            f"{ha:.4f}",
            texts["parcel_id"],
            texts["name"],
            "面",
            "",
            names.get(code, ""),
            code,
            "@",
        ]
        body.append(",".join(attrs))
        body += lines
    text = "\r\n".join([*head, *body]) + "\r\n"
    path = Path(path)
    path.write_bytes(text.encode(encoding))
    return path


def _clean(value: object) -> str:
    """A text field for a comma-separated line: full-width commas, no line breaks."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).replace(",", "，").replace("\r", " ").replace("\n", " ").strip()
