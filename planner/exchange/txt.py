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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.crs import FIRST_ZONE, LAST_ZONE, gk_epsg
from planner.errors import Problem
from planner.exchange.txt_rings import assemble_rings, parcel_rings
from planner.units import M2_PER_HECTARE, M2_PER_MU

__all__ = ["BODY_SECTION", "HEADER_SECTION", "TxtParcels", "read_txt", "txt_crs"]

HEADER_SECTION = "[属性描述]"
"""The header section: ``key=value`` lines (坐标系, 带号, 精度 …)."""
BODY_SECTION = "[地块坐标]"
"""The parcels section: each parcel's attribute line and point lines."""
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
        """The problems that refuse a parcel or the file."""
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


class _BadFileError(Exception):
    """A finding that refuses the whole file (its message names what is wrong), with its Chinese ``zh``."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the encoding it was read in (the one given, else UTF-8 and then GBK)."""
    superset = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030"}  # GBK read as its superset GB18030
    tried = [superset.get(encoding.lower(), encoding)] if encoding else ["utf-8-sig", "gbk"]
    for enc in tried:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    if encoding:
        msg = f"the file is not valid {encoding} text; try --encoding gbk or --encoding utf-8"
        zh = f"文件不是有效的 {encoding} 文本：请试用 --encoding gbk 或 --encoding utf-8"
    else:
        msg = "the file is neither UTF-8 nor GBK text; give its encoding with --encoding"
        zh = "文件既不是 UTF-8 也不是 GBK 文本：请用 --encoding 给出其编码"
    raise _BadFileError(msg, zh)


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
    problems: list[Problem] = []
    try:
        text, used = _decode(data, encoding)
        if used == "gbk" and not encoding:
            message, zh = "the file is not UTF-8; read as GBK", "文件不是 UTF-8 编码，已按 GBK 读取"
            problems.append(Problem("repair", None, None, message, feature=file_feature, zh=zh))
        header, body = _sections(text)
        degrees, zone = _check_header(header)
        rows, found = _parse_body(body, zone, degrees)
        problems += found
        if zone is None:
            zone = _zone_of_eastings(rows)
            message, zh = f"带号 is missing; zone {zone} taken from the eastings", f"缺少带号：按横坐标取 {zone} 带"
            problems.append(Problem("repair", None, None, message, feature=file_feature, zh=zh))
        problems += _map_sheets(rows, file_feature)
        if not rows and not any(p.severity == "error" for p in problems):
            msg = f"the {BODY_SECTION} section holds no parcel"
            raise _BadFileError(msg, f"{BODY_SECTION} 一节没有地块")
    except _BadFileError as exc:
        refused = Problem("error", None, None, str(exc), feature=file_feature, zh=exc.zh)
        return TxtParcels(gpd.GeoDataFrame({"parcel_id": []}, geometry=gpd.GeoSeries([])), {}, [*problems, refused])
    return TxtParcels(_parcel_frame(rows, txt_crs(zone, degrees=degrees)), header, problems)


def _sections(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """The header's keys and values, and the numbered lines of the body (empty lines left out)."""
    lines = [(k + 1, line.strip()) for k, line in enumerate(text.splitlines())]
    lines = [(k, line) for k, line in lines if line]
    heads = [k for k, (_, line) in enumerate(lines) if line in (HEADER_SECTION, BODY_SECTION)]
    names = [lines[k][1] for k in heads]
    if BODY_SECTION not in names:
        msg = f"no {BODY_SECTION} section: this is not a boundary-coordinate TXT (报部格式) file"
        raise _BadFileError(msg, f"没有 {BODY_SECTION} 一节：这不是界址点坐标 TXT（报部格式）文件")
    if HEADER_SECTION not in names or names.index(HEADER_SECTION) > names.index(BODY_SECTION):
        msg = f"no {HEADER_SECTION} section before {BODY_SECTION}; the file must say its 坐标系, 带号 and units"
        raise _BadFileError(msg, f"{BODY_SECTION} 之前没有 {HEADER_SECTION} 一节：文件须写明坐标系、带号和计量单位")
    start, body = heads[names.index(HEADER_SECTION)], heads[names.index(BODY_SECTION)]
    header: dict[str, str] = {}
    for line_no, line in lines[start + 1 : body]:
        key, sep, value = line.partition("=")
        if not sep:
            msg = f"line {line_no}: {line!r} in {HEADER_SECTION} is not a key=value line"
            raise _BadFileError(msg, f"第 {line_no} 行：{HEADER_SECTION} 中的 {line!r} 不是“键=值”行")
        header[key.strip()] = value.strip()
    return header, lines[body + 1 :]


def _zone_of_eastings(rows: list[dict]) -> int:
    """The zone of a file whose header gives no 带号: the one prefix its parcels' eastings carry."""
    by_zone: dict[int, list[str]] = {}
    for r in rows:
        if r.get("zone"):
            by_zone.setdefault(r["zone"], []).append(str(r["parcel_id"]))
    if len(by_zone) > 1:
        listed = "; ".join(
            f"zone {z}: {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}" for z, ids in by_zone.items()
        )
        msg = (
            f"带号 is missing and the parcels' eastings carry different zone prefixes ({listed}); "
            "a file holds one zone: split it by zone and write 带号=<zone> in each header"
        )
        listed_zh = "；".join(
            f"{z} 带：{'、'.join(ids[:10])}{'……' if len(ids) > 10 else ''}" for z, ids in by_zone.items()
        )
        zh = (
            f"缺少带号，且各地块横坐标的带号不同（{listed_zh}）：一个文件只能含一个投影带，"
            "请按带拆分，并在每个文件头写明 带号=<带号>"
        )
        raise _BadFileError(msg, zh)
    if not by_zone:
        msg = "带号 is missing and the eastings carry no zone prefix; write 带号=<zone> in the header"
        raise _BadFileError(msg, "缺少带号，且横坐标不带带号：请在文件头写明 带号=<带号>")
    return next(iter(by_zone))


def _map_sheets(rows: list[dict], file_feature: str) -> list[Problem]:
    """A warning naming the parcels whose 图幅号 is not kept (the parcel layer has no column for it)."""
    sheets = [(str(r["parcel_id"]), r["map_sheet"]) for r in rows if r.get("map_sheet")]
    if not sheets:
        return []
    listed = ", ".join(f"{pid} ({sheet})" for pid, sheet in sheets[:10]) + (" …" if len(sheets) > 10 else "")
    message = (
        f"图幅号 is given for {len(sheets)} parcel(s) and was not kept: the parcel layer has no column for it: {listed}"
    )
    listed_zh = "、".join(f"{pid}（{sheet}）" for pid, sheet in sheets[:10]) + ("……" if len(sheets) > 10 else "")
    zh = f"{len(sheets)} 宗地块填有图幅号，未保存（宗地图层没有此字段）：{listed_zh}"
    return [Problem("warning", None, None, message, feature=file_feature, zh=zh)]


def _parcel_frame(rows: list[dict], crs: str) -> gpd.GeoDataFrame:
    """The parcels read, in the file's CRS; ``attrs["source_lines"]`` holds each one's line in the file."""
    geoms = [r.pop("geometry") for r in rows]
    for r in rows:
        r.pop("zone", None)
        r.pop("map_sheet", None)
    frame = pd.DataFrame(rows, columns=["parcel_id", "name", "land_use", "declared_area_mu", "line"])
    parcels = gpd.GeoDataFrame(frame.drop(columns=["line"]), geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)
    parcels.attrs["source_lines"] = frame["line"].tolist()
    return parcels


def _check_header(header: Mapping[str, str]) -> tuple[int, int | None]:
    """The zone width (3 or 6 degrees) and the zone (``None`` where 带号 is not given) of a header it accepts."""
    system = header.get("坐标系", "")
    if not any(n.lower() in system.lower() for n in _CGCS2000_NAMES):
        shown = system or "(missing)"
        msg = (
            f"坐标系={shown} is not supported: only 2000国家大地坐标系 (CGCS2000) is; "
            "convert the file to CGCS2000 first (Xi'an 1980 and Beijing 1954 need local parameters)"
        )
        zh = (
            f"不支持 坐标系={system or '（缺）'}：只支持 2000国家大地坐标系（CGCS2000）；"
            "请先将文件转换到 CGCS2000（1980 西安坐标系和 1954 北京坐标系需用当地参数转换）"
        )
        raise _BadFileError(msg, zh)
    projection = header.get("投影类型", "高斯克吕格")
    if projection.replace("-", "").replace("–", "") not in ("高斯克吕格", "高斯-克吕格", "GaussKruger", "高斯投影"):
        msg = f"投影类型={projection} is not supported; expected 高斯克吕格"
        raise _BadFileError(msg, f"不支持 投影类型={projection}：应为高斯克吕格")
    unit = header.get("计量单位", "米")
    if unit not in ("米", "m", "M"):
        msg = f"计量单位={unit} is not supported; coordinates must be in metres (米)"
        raise _BadFileError(msg, f"不支持 计量单位={unit}：坐标须以米为单位")
    degrees_text = header.get("几度分带", "3")
    if degrees_text not in ("3", "6"):
        msg = f"几度分带={degrees_text} is not allowed; use 3 or 6"
        raise _BadFileError(msg, f"不允许 几度分带={degrees_text}：应为 3 或 6")
    degrees = int(degrees_text)
    zone_text = header.get("带号", "").strip()
    if not zone_text:
        return degrees, None
    if not zone_text.isdigit():
        msg = f"带号={zone_text} is not a zone number"
        raise _BadFileError(msg, f"带号={zone_text} 不是带号数字")
    zone = int(zone_text)
    low, high = _zones(degrees)
    if not low <= zone <= high:
        msg = f"带号={zone} is not a {degrees}-degree zone of China; allowed: {low}–{high}"
        raise _BadFileError(msg, f"带号={zone} 不是中国的 {degrees} 度带；允许：{low}–{high}")
    return degrees, zone


def _zones(degrees: int) -> tuple[int, int]:
    """The first and last zone of China in 3- or 6-degree zones."""
    return (FIRST_ZONE, LAST_ZONE) if degrees == 3 else (13, 23)


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
                    zh=f"第 {line_no} 行：{line!r} 位于第一个地块的属性行（以 @ 结尾）之前",
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


class _ParcelNotes:
    """What was found in one parcel's lines: errors refuse the parcel, repairs are reported."""

    def __init__(self, index: int, pid: str | None) -> None:
        self.index, self.pid = index, pid
        self.problems: list[Problem] = []

    def err(self, fieldname: str | None, msg: str, zh: str) -> None:
        """An error: the parcel is refused."""
        self.problems.append(Problem("error", self.pid, fieldname, msg, row=self.index, feature=_WHAT, zh=zh))

    def fix(self, fieldname: str | None, msg: str, zh: str) -> None:
        """A repair the reader made."""
        self.problems.append(Problem("repair", self.pid, fieldname, msg, row=self.index, feature=_WHAT, zh=zh))


def _parcel(
    index: int, line_no: int, attrs: list[str], points: list[tuple[int, list[str]]], zone: int | None, degrees: int
) -> tuple[dict | None, list[Problem]]:
    """One parcel from its attribute line and point lines (geometry in prefixed GK metres), or ``None`` if refused."""
    attrs = attrs + [""] * (8 - len(attrs))
    pid = attrs[2] or None
    notes = _ParcelNotes(index, pid)
    if pid is None:
        notes.err(
            "parcel_id",
            f"line {line_no}: 地块编号 (the third field) is empty",
            f"第 {line_no} 行：地块编号（第三项）为空",
        )
    declared_count, area_ha = _attribute_numbers(attrs, line_no, notes)
    if not points:
        notes.err("geometry", f"line {line_no}: the parcel has no point lines", f"第 {line_no} 行：该地块没有界址点行")
        return None, notes.problems
    parsed = _point_columns(points, line_no, declared_count, notes)
    if parsed is None:
        return None, notes.problems
    labels, ring_no, x_north, y_east = parsed
    placed = _prefixed_eastings(y_east, points, zone, degrees, notes)
    if placed is None:
        return None, notes.problems
    y_east, file_zone = placed
    rings, found = parcel_rings(index, pid, labels, points, ring_no, x_north, y_east)
    notes.problems += found
    if rings is None:
        return None, notes.problems
    geometry, fixes = assemble_rings(rings)
    for fix, fix_zh in fixes:
        notes.fix("geometry", fix, fix_zh)
    if any(p.severity == "error" for p in notes.problems):
        return None, notes.problems  # a parcel with an error is not read (an import leaves it out)
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
        notes.problems,
    )


def _attribute_numbers(attrs: list[str], line_no: int, notes: _ParcelNotes) -> tuple[int | None, float | None]:
    """界址点数 and 地块面积 (hectares) of an attribute line; and 记录图形属性 must be 面."""
    count_text, area_text, kind = attrs[0], attrs[1], attrs[4]
    declared_count = int(count_text) if count_text.isdigit() else None
    if declared_count is None:
        notes.err(
            "geometry",
            f"line {line_no}: 界址点数 {count_text!r} is not a whole number",
            f"第 {line_no} 行：界址点数 {count_text!r} 不是整数",
        )
    area_ha = float(area_text) if _NUMBER.match(area_text) else None
    if area_text and area_ha is None:
        notes.err(
            "declared_area_mu",
            f"line {line_no}: 地块面积 {area_text!r} is not a number of hectares",
            f"第 {line_no} 行：地块面积 {area_text!r} 不是公顷数",
        )
    if kind and kind != "面":
        notes.err(
            "geometry",
            f"line {line_no}: 记录图形属性 is {kind!r}; only 面 (a polygon parcel) can be imported",
            f"第 {line_no} 行：记录图形属性为 {kind!r}；只能导入“面”（面状地块）",
        )
    return declared_count, area_ha


def _point_columns(
    points: list[tuple[int, list[str]]], line_no: int, declared_count: int | None, notes: _ParcelNotes
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray] | None:
    """点号, 圈号, X (northing) and Y (easting) of the point lines; ``None`` if a line is no point line."""
    bad = [(n, p) for n, p in points if len(p) != 4 or not (_NUMBER.match(p[2]) and _NUMBER.match(p[3]))]
    for n, p in bad[:3]:
        notes.err(
            "geometry",
            f"line {n}: {','.join(p)!r} is not a point line 点号,圈号,X,Y with numbers X and Y",
            f"第 {n} 行：{','.join(p)!r} 不是界址点行“点号,圈号,X,Y”（X、Y 须为数字）",
        )
    rings_text = [p[1] for _, p in points if len(p) == 4]
    if bad:
        return None
    if not all(r.isdigit() and int(r) >= 1 for r in rings_text):
        notes.err(
            "geometry",
            f"line {line_no}: 圈号 must be whole numbers 1, 2, …; got {sorted(set(rings_text))}",
            f"第 {line_no} 行：圈号须为整数 1、2……；实为 {sorted(set(rings_text))}",
        )
        return None
    labels = [p[0] for _, p in points]
    ring_no = np.array([int(p[1]) for _, p in points])
    x_north = np.array([float(p[2]) for _, p in points])
    y_east = np.array([float(p[3]) for _, p in points])
    distinct = len({(a, b) for a, b in zip(x_north, y_east, strict=True)})
    if declared_count is not None and declared_count not in (len(points), distinct):
        notes.err(
            "geometry",
            f"line {line_no}: 界址点数 says {declared_count} points, but {len(points)} point lines follow "
            f"({distinct} distinct points)",
            f"第 {line_no} 行：界址点数为 {declared_count}，但其后有 {len(points)} 个界址点行（{distinct} 个不同的点）",
        )
    if ring_no[0] != 1:
        notes.err(
            "geometry",
            f"line {points[0][0]}: the first ring must be 圈号 1 (the outer ring), not {ring_no[0]}",
            f"第 {points[0][0]} 行：第一个环须为圈号 1（外环），不能是 {ring_no[0]}",
        )
    return labels, ring_no, x_north, y_east


def _prefixed_eastings(
    y_east: np.ndarray, points: list[tuple[int, list[str]]], zone: int | None, degrees: int, notes: _ParcelNotes
) -> tuple[np.ndarray, int] | None:
    """The eastings with their zone prefix, and the zone; checked against 带号 (``None``: refused)."""
    prefixes = np.floor(y_east / _PREFIX).astype(int)
    has_prefix = y_east >= _PREFIX
    if has_prefix.any() and not has_prefix.all():
        notes.err(
            "geometry",
            "some eastings carry a zone prefix and some do not; write every Y with its zone prefix",
            "部分横坐标带带号、部分不带：每个 Y 都须带带号",
        )
        return None
    if not has_prefix.all():
        if zone is None:
            notes.err(
                "geometry",
                "the eastings carry no zone prefix and the header gives no 带号",
                "横坐标不带带号，文件头也没有带号",
            )
            return None
        notes.fix(
            "geometry",
            f"eastings without zone prefix: zone {zone} (带号) put in front",
            f"横坐标不带带号：已在前面加上带号 {zone}",
        )
        return y_east + zone * _PREFIX, zone
    seen = sorted(set(prefixes.tolist()))
    if len(seen) != 1:
        notes.err(
            "geometry",
            f"the eastings carry different zone prefixes {seen}; a parcel lies in one zone",
            f"横坐标带有不同的带号 {seen}：一个地块只能位于一个投影带",
        )
        return None
    low, high = _zones(degrees)
    if not low <= seen[0] <= high:
        notes.err(
            "geometry",
            f"line {points[0][0]}: Y {y_east[0]:,.3f} carries the zone prefix {seen[0]}, which is no "
            f"{degrees}-degree zone of China ({low}–{high}); are X and Y swapped? X is the northing, "
            "Y the easting with its zone prefix",
            f"第 {points[0][0]} 行：Y {y_east[0]:,.3f} 带有带号 {seen[0]}，不是中国的 {degrees} 度带（{low}–{high}）："
            "X 与 Y 是否颠倒了？X 为纵坐标（北向），Y 为带带号的横坐标（东向）",
        )
        return None
    if zone is not None and seen[0] != zone:
        notes.err(
            "geometry",
            f"the eastings carry zone prefix {seen[0]} but the header says 带号={zone}; "
            "one of them is wrong (is Y the easting and X the northing?)",
            f"横坐标带有带号 {seen[0]}，但文件头为 带号={zone}：两者必有一错（Y 是否为横坐标、X 是否为纵坐标？）",
        )
        return None
    return y_east, seen[0]
