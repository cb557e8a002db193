"""Reading vector files: GeoJSON, GeoPackage, Shapefile, FlatGeobuf (through pyogrio / GDAL).

Shapefile text is checked before GDAL reads it: the encoding comes from ``--encoding``,
else the ``.cpg``, else the ``.dbf``'s language driver byte; with none of them, UTF-8
and then GBK are tried, and the choice is reported. Text that does not decode in the
encoding the file states is refused with the encoding it does decode in, rather than
read as mojibake.
"""

from __future__ import annotations

import re
import sqlite3
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.raw
import shapely
import shapely.errors

from planner.errors import Problem

__all__ = [
    "FORMATS",
    "ReadResult",
    "file_problem",
    "format_of",
    "is_park_store",
    "read_frame",
    "read_vector",
    "reason_zh",
    "unreadable_reason",
]

FORMATS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".fgb": "FlatGeobuf",
    ".osm": "OSM",
    ".pbf": "OSM",
    ".txt": "TXT",
    ".dxf": "DXF",
}
"""File formats by suffix."""

# dBASE language driver ids of Chinese code pages (byte 29 of the .dbf header)
_LDID = {0x4D: "GBK", 0x4E: "CP949", 0x4F: "BIG5", 0x7A: "GBK"}
_CPG = {
    "936": "GBK",
    "cp936": "GBK",
    "gbk": "GBK",
    "gb2312": "GBK",
    "gb18030": "GB18030",
    "utf-8": "UTF-8",
    "utf8": "UTF-8",
    "65001": "UTF-8",
    "big5": "BIG5",
    "950": "BIG5",
}


@dataclass
class ReadResult:
    """A file's features as read (CRS as the file states it, possibly none) and what was noted."""

    frame: gpd.GeoDataFrame
    format: str
    problems: list[Problem] = field(default_factory=list)
    layer: str | None = None
    unreadable: dict[int, str] = field(default_factory=dict)
    """Row → why its geometry cannot be read (a ring of 2 points, an unclosed ring); the row has no geometry."""


def file_problem(path: Path, message: str, severity: str = "error", *, zh: str | None = None) -> Problem:
    """A finding about a whole file, named by the file (a column it concerns is named in the message); ``zh`` its
    Chinese."""
    return Problem(severity, None, None, message, feature=f"file {path.name!r}", zh=zh)


def format_of(path: Path) -> str | None:
    """The format of a file by its suffix, or ``None``."""
    return FORMATS.get(path.suffix.lower())


def read_vector(
    path: Path,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    prefer_layer: str | None = None,
) -> ReadResult:
    """Read one layer of a vector file.

    Parameters
    ----------
    path
        A ``.geojson``/``.json``, ``.gpkg``, ``.shp`` or ``.fgb`` file.
    layer
        The file's layer to read (a GeoPackage may hold several).
    encoding
        Text encoding of a Shapefile's ``.dbf`` (overrides the ``.cpg``).
    prefer_layer
        Read this layer when the file has it and ``layer`` is not given (a park
        GeoPackage holds ``parcels`` and the network layers).
    """
    fmt = format_of(path) or "?"
    problems: list[Problem] = []
    if fmt == "Shapefile":
        encoding, found = _shapefile_encoding(path, encoding)
        problems += found
        if any(p.severity == "error" for p in found):
            return ReadResult(gpd.GeoDataFrame(geometry=gpd.GeoSeries([])), fmt, problems)
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL's messages vary by driver; the file is named with them
        text = _gdal_text(exc)
        problems.append(file_problem(path, f"cannot be read as {fmt}: {text}", zh=f"无法按 {fmt} 读取：「{text}」"))
        return ReadResult(gpd.GeoDataFrame(geometry=gpd.GeoSeries([])), fmt, problems)
    names = [str(n) for n, _ in layers]
    # a table without geometry (QGIS's layer_styles, a park's history) is never the layer meant
    spatial = [str(n) for n, geometry_type in layers if geometry_type is not None]
    if layer is None:
        if prefer_layer in names:
            layer = prefer_layer
        elif len(names) == 1:
            layer = names[0]
        elif len(spatial) == 1:
            layer = spatial[0]
        else:
            problems.append(
                file_problem(
                    path,
                    f"holds {len(names)} layers ({', '.join(names)}); say which to read with --source-layer",
                    zh=f"含 {len(names)} 个图层（{'、'.join(names)}）：请用 --source-layer 指定读取哪一个",
                )
            )
            return ReadResult(gpd.GeoDataFrame(geometry=gpd.GeoSeries([])), fmt, problems)
    elif layer not in names:
        message = f"has no layer {layer!r}; its layers: {', '.join(names)}"
        problems.append(file_problem(path, message, zh=f"没有图层 {layer!r}；其图层为：{'、'.join(names)}"))
        return ReadResult(gpd.GeoDataFrame(geometry=gpd.GeoSeries([])), fmt, problems)
    try:
        frame, unreadable = read_frame(path, layer=layer, encoding=encoding)
    except Exception as exc:
        text = _gdal_text(exc)
        problems.append(file_problem(path, f"cannot be read as {fmt}: {text}", zh=f"无法按 {fmt} 读取：「{text}」"))
        return ReadResult(gpd.GeoDataFrame(geometry=gpd.GeoSeries([])), fmt, problems)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        message = f"layer {layer!r} has no geometry; a parcel or network layer needs one"
        problems.append(file_problem(path, message, zh=f"图层 {layer!r} 没有图形：宗地或管网图层须有图形"))
        return ReadResult(gpd.GeoDataFrame(geometry=gpd.GeoSeries([])), fmt, problems)
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    if fmt == "GeoPackage" and is_park_store(path):
        problems.append(
            file_problem(
                path, f"read layer {layer!r} of a park store", severity="repair", zh=f"读取了园区库的图层 {layer!r}"
            )
        )
    return ReadResult(frame.reset_index(drop=True), fmt, problems, layer, unreadable)


def read_frame(
    path: Path, *, layer: str | None, encoding: str | None = None
) -> tuple[gpd.GeoDataFrame, dict[int, str]]:
    """One layer of a file, where a feature whose geometry cannot be built comes back without one, with the reason.

    GDAL hands on what a file holds; GEOS refuses to build some of it (a ring of 2
    points, a ring that is not closed), and one such feature would otherwise stop the
    whole file. Those rows get no geometry here, and ``{row: why}`` says which and why.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's warnings (e.g. "Non closed ring detected") become reasons below
        frame = pyogrio.read_dataframe(path, layer=layer, encoding=encoding, fid_as_index=False, on_invalid="ignore")
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame:
        return frame, {}
    missing = np.flatnonzero(shapely.is_missing(frame.geometry.to_numpy()))
    if not len(missing):
        return frame, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wkb = pyogrio.raw.read(path, layer=layer, encoding=encoding, columns=[])[2]
    reasons: dict[int, str] = {}
    for row in missing:
        if row < len(wkb) and wkb[row] is not None:
            reasons[int(row)] = unreadable_reason(wkb[row])
    return frame, reasons


def unreadable_reason(wkb: bytes) -> str:
    """Why GEOS cannot build a geometry, in a planner's words (``""`` if it can)."""
    try:
        shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        text = " ".join(str(exc).split())
    else:
        return ""
    if "closed linestring" in text:
        return "a ring is not closed: its last point is not its first (a ring repeats its first point at the end)"
    count = re.search(r"LinearRing found (\d+)", text)
    if count:
        return f"a ring of {count.group(1)} point(s): a ring needs at least 4 (3 distinct points, then the first again)"
    if "point array must contain" in text:
        return "a line of 1 point: a line needs at least 2"
    return f"its geometry cannot be built ({text[:200]})"


def reason_zh(reason: str) -> str:
    """The Chinese of a reason :func:`unreadable_reason` (or :func:`~planner.exchange.features.unusable_geometries`)
    gives."""
    if reason.startswith("a ring is not closed"):
        return "环未闭合：末点不是首点（环的末尾须重复首点）"
    count = re.match(r"a ring of (\d+) point", reason)
    if count:
        return f"环只有 {count.group(1)} 个点：一个环至少需 4 个点（3 个不同的点，再回到首点）"
    if reason.startswith("a line of 1 point"):
        return "线只有 1 个点：一条线至少需 2 个点"
    if reason == "GDAL gave it no geometry":
        return "GDAL 未读出其图形"
    if reason == "the geometry has NaN or infinite coordinates":
        return "图形坐标含 NaN 或无穷大"
    distinct = re.match(r"ring (\d+) has (\d+) distinct point", reason)
    if distinct:
        return f"第 {distinct.group(1)} 个环只有 {distinct.group(2)} 个不同的点：一个环至少需 3 个（末尾再重复首点）"
    return f"图形无法构建（「{reason.removeprefix('its geometry cannot be built (').removesuffix(')')}」）"


def _gdal_text(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def is_park_store(path: Path) -> bool:
    """Whether ``path`` is a park store: a GeoPackage (SQLite file) with a ``park_config`` table."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'park_config'").fetchone())
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return False


def _shapefile_encoding(path: Path, encoding: str | None) -> tuple[str | None, list[Problem]]:
    """The encoding to read a Shapefile's text in, checked against the ``.dbf`` bytes."""
    found = _dbf_text(path)
    if isinstance(found, Problem):
        return encoding, [found]
    data, text = found
    stated, why = _stated_encoding(path, data, encoding)
    if not stated:
        return _guessed_encoding(path, text)
    stated = _SUPERSET.get(stated.lower(), stated)
    if _decodes(text, stated):
        return stated, []
    other = next((e for e in ("UTF-8", "GBK", "GB18030") if e.lower() != stated.lower() and _decodes(text, e)), None)
    hint = f"; it reads as {other}: give --encoding {other.lower()} (or fix the .cpg)" if other else ""
    where = _first_bad_byte(data, stated)
    hint_zh = f"；按 {other} 可读：请给出 --encoding {other.lower()}（或改正 .cpg）" if other else ""
    why_zh = why.replace("its .cpg", ".cpg 文件").replace("the .dbf's language driver byte", ".dbf 的语言驱动字节")
    why_zh = why_zh.replace(" (", "（").replace(")", "）")
    where_zh = _first_bad_byte(data, stated, "zh")
    zh = f"文本不是 {why_zh} 所声明的有效 {stated} 编码{where_zh}{hint_zh}"
    return None, [file_problem(path, f"text is not valid {stated}, the encoding {why} states{where}{hint}", zh=zh)]


_SUPERSET = {"gbk": "GB18030", "gb2312": "GB18030", "cp936": "GB18030", "936": "GB18030"}
"""GBK is read as GB18030, its superset: every GBK file reads the same, and text beyond GBK (m³) reads too."""


def _first_bad_byte(data: bytes, encoding: str, lang: str = "en") -> str:
    """Where the first byte that does not decode sits in a ``.dbf``: its record (1-based) and field."""
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    fields: list[tuple[str, int, int]] = []  # name, start within the record, length
    start = 1  # the deletion flag
    for k in range(32, header_len - 1, 32):
        if data[k] == 0x0D:
            break
        name = data[k : k + 11].split(b"\x00")[0].decode("latin-1")
        fields.append((name, start, data[k + 16]))
        start += data[k + 16]
    if not record_len:
        return ""
    records = (len(data) - header_len) // record_len
    for r in range(records):
        base = header_len + r * record_len
        for name, offset, length in fields:
            raw = data[base + offset : base + offset + length]
            try:
                raw.decode(encoding)
            except (UnicodeDecodeError, LookupError) as exc:
                bad = raw[exc.start] if isinstance(exc, UnicodeDecodeError) else 0
                if lang == "zh":
                    return f"（第 {r + 1} 条记录字段 {name!r} 中首个无法解码的字节为 0x{bad:02X}）"
                return f" (first bad byte 0x{bad:02X} in record {r + 1}, field {name!r})"
    return ""


def _dbf_text(path: Path) -> tuple[bytes, bytes] | Problem:
    """The ``.dbf`` beside a ``.shp``, and its text (field names and records); a problem if either is cut short."""
    shp = path.read_bytes()
    if len(shp) < 100:
        return file_problem(
            path,
            f"is truncated: a .shp has a 100-byte header, the file has {len(shp)}",
            zh=f"文件不完整：.shp 文件头为 100 字节，该文件只有 {len(shp)} 字节",
        )
    declared = int.from_bytes(shp[24:28], "big") * 2  # file length in 16-bit words
    if len(shp) < declared:
        return file_problem(
            path,
            f"is truncated: its header says {declared} bytes, the file has {len(shp)}",
            zh=f"文件不完整：文件头记载 {declared} 字节，文件只有 {len(shp)} 字节",
        )
    dbf = _sidecar(path, ".dbf")
    if dbf is None:
        return file_problem(
            path,
            "has no .dbf beside it; a Shapefile needs its .shp, .shx and .dbf",
            zh="旁边没有 .dbf 文件：Shapefile 须有 .shp、.shx 和 .dbf",
        )
    data = dbf.read_bytes()
    if len(data) < 32:
        return file_problem(
            path,
            f"{dbf.name} is truncated ({len(data)} bytes); the attributes are lost",
            zh=f"{dbf.name} 不完整（{len(data)} 字节）：属性已丢失",
        )
    header_len = int.from_bytes(data[8:10], "little")
    records, record_len = int.from_bytes(data[4:8], "little"), int.from_bytes(data[10:12], "little")
    if len(data) < header_len + records * record_len:
        size = header_len + records * record_len
        return file_problem(
            path,
            f"{dbf.name} is truncated: its header says {size} bytes, it has {len(data)}",
            zh=f"{dbf.name} 不完整：文件头记载 {size} 字节，实有 {len(data)} 字节",
        )
    # field names (11 bytes at the start of each 32-byte descriptor) and the records
    names = b"".join(data[k : k + 11].rstrip(b"\x00") for k in range(32, max(32, header_len - 1), 32))
    return data, names + data[header_len:]


def _stated_encoding(path: Path, data: bytes, encoding: str | None) -> tuple[str | None, str]:
    """The encoding the user, the ``.cpg`` or the ``.dbf``'s language driver byte states, and who states it."""
    cpg = _sidecar(path, ".cpg")
    if encoding:
        return encoding, "--encoding"
    if cpg is not None:
        raw = cpg.read_text(errors="replace").strip()
        return _CPG.get(raw.lower(), raw), f"its .cpg ({raw})"
    if data[29] in _LDID:
        return _LDID[data[29]], f"the .dbf's language driver byte ({data[29]:#04x})"
    return None, ""


def _guessed_encoding(path: Path, text: bytes) -> tuple[str | None, list[Problem]]:
    """The encoding of a Shapefile that states none: ASCII needs none; else UTF-8 or GBK, whichever decodes."""
    if _decodes(text, "ascii"):
        return None, []
    for candidate in ("UTF-8", "GBK"):
        if _decodes(text, candidate):
            note = f"has no .cpg; its text was read as {candidate} (the only encoding it decodes in of UTF-8 and GBK)"
            zh = f"没有 .cpg 文件：其文本按 {candidate} 读取（UTF-8 与 GBK 中只有它能解码）"
            return candidate, [file_problem(path, note, severity="repair", zh=zh)]
    message = "text is neither UTF-8 nor GBK; give its encoding with --encoding"
    return None, [file_problem(path, message, zh="文本既不是 UTF-8 也不是 GBK：请用 --encoding 给出其编码")]


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None


def geometry_kinds(frame: gpd.GeoDataFrame) -> set[str]:
    """The geometry families present: ``polygon``, ``line``, ``point``."""
    geoms = frame.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    ids = np.unique(shapely.get_type_id(geoms[present]))
    families = {0: "point", 4: "point", 1: "line", 2: "line", 5: "line", 3: "polygon", 6: "polygon"}
    return {families.get(int(i), "other") for i in ids}
