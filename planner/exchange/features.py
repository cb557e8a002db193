"""What an import keeps and what it leaves out, feature by feature.

A feature whose geometry cannot be read or repaired, or that the store refuses, is left out
of an import (severity :data:`LEFT_OUT`) while the rest goes in; these helpers tell such
problems from those about the whole file, name the layer a problem is about, count what was
left out, and clean the geometries an import can repair (repeated points, GeoJSON ring order).
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.codes import gb21010_codes, gb21010_to_2023, land_use_codes
from planner.errors import Problem
from planner.exchange.readers import file_problem
from planner.fields import feature_ids, flag

__all__ = [
    "LEFT_OUT",
    "LEFT_OUT_NOTE",
    "LEFT_OUT_NOTE_ZH",
    "NAN_REASON",
    "as_error",
    "clean_geometries",
    "convert_land_use",
    "crs_zh",
    "layer_of",
    "left_out",
    "left_out_counts",
    "names_a_feature",
    "planned_status",
    "settle_ids",
    "unique",
    "unusable_geometries",
    "what_of",
]

LEFT_OUT = "left out"
"""The severity of a feature the import left out (it could not be read or was refused) while the rest went in."""


def unique(problems: list[Problem]) -> list[Problem]:
    """Each finding once: a duplicate id is flagged on every row that has it, with the same words."""
    seen: set[tuple] = set()
    out = []
    for p in problems:
        key = (p.severity, p.feature, p.parcel_id, p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def left_out_counts(problems: list[Problem]) -> dict[str, int]:
    """How many features of each layer the problems leave out (each once, by id, else by row)."""
    seen = {
        (layer_of(p.feature), p.parcel_id if p.parcel_id is not None else f"#{p.row}")
        for p in problems
        if p.severity == LEFT_OUT
    }
    counts: dict[str, int] = {}
    for layer, _ in seen:
        counts[layer] = counts.get(layer, 0) + 1
    return counts


LEFT_OUT_NOTE = " — left out of the import; correct it in the file and import it again"
LEFT_OUT_NOTE_ZH = "——该要素未导入：请在文件中改正后再导入"


def as_error(problem: Problem) -> Problem:
    """A left-out feature as an error of a refused file (other problems as they are)."""
    if problem.severity != LEFT_OUT:
        return problem
    message = problem.message.removesuffix(LEFT_OUT_NOTE)
    zh = problem.zh.removesuffix(LEFT_OUT_NOTE_ZH) if problem.zh else None
    return Problem("error", problem.parcel_id, problem.field, message, row=problem.row, feature=problem.feature, zh=zh)


def left_out(problem: Problem, row: int | None, osm_name: str | None) -> Problem:
    """An error about one feature as that feature left out of the import (the rest goes in).

    ``osm_name`` names an OpenStreetMap feature (``OSM way 123``) where the message does not yet.
    """
    message, zh = problem.message, problem.zh
    if osm_name is not None and not message.startswith("OSM "):
        message = f"{osm_name}: {message}"
        kind, _, number = osm_name.removeprefix("OSM ").partition(" ")
        zh = f"OSM {_OSM_KIND_ZH.get(kind, kind)} {number}：{zh}" if zh else zh
    return Problem(
        LEFT_OUT,
        problem.parcel_id,
        problem.field,
        f"{message}{LEFT_OUT_NOTE}",
        row=problem.row if row is None else row,
        feature=problem.feature,
        zh=f"{zh}{LEFT_OUT_NOTE_ZH}" if zh else None,
    )


_OSM_KIND_ZH = {"node": "节点", "way": "路径", "relation": "关系"}


def crs_zh(message: str) -> str:
    """The Chinese of a :class:`~planner.errors.CRSError` a new park's zone raises (the longitude outside China)."""
    found = re.match(r"longitude (\S+) is outside China \((\S+)°E to (\S+)°E\)", message)
    if found:
        lon, west, east = found.groups()
        return (
            f"经度 {lon} 在中国境外（{west}°E 至 {east}°E）：请检查坐标是否为以度为单位的经纬度，是否颠倒或为投影坐标"
        )
    return f"坐标系有误：「{message}」"


def names_a_feature(problem: Problem) -> bool:
    """Whether a problem is about one feature of the file (by id or row), not the file, a column or the mapping."""
    return (problem.parcel_id is not None or problem.row is not None) and not problem.feature.startswith(
        ("file", "mapping file")
    )


def layer_of(what: str) -> str:
    """The store layer of a feature called ``what`` in messages (the inverse of :func:`_what`)."""
    if what == "parcel":
        return "parcels"
    if what == "source":
        return "sources"
    if what == "standard factory":
        return "factories"
    line = what.removesuffix(" line")
    return "road_lines" if line == "road" else f"{line}_lines"


NAN_REASON = "the geometry has NaN or infinite coordinates"


def unusable_geometries(frame: gpd.GeoDataFrame, unreadable: dict[int, str]) -> dict[int, str]:
    """Position → why, for the features whose geometry cannot be used or repaired.

    Those GEOS could not build (``unreadable``, from the reader), those with NaN or infinite
    coordinates, and polygons with a ring of fewer than 3 distinct points.
    """
    index = {label: pos for pos, label in enumerate(frame.index)}
    reasons = {index[row]: why for row, why in unreadable.items() if row in index}
    geoms = frame.geometry.to_numpy()
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if not len(present):
        return reasons
    coords, owner = shapely.get_coordinates(geoms[present], return_index=True)
    for pos in np.unique(present[owner[~np.isfinite(coords).all(axis=1)]]):
        reasons.setdefault(int(pos), NAN_REASON)
    polygonal = present[np.isin(shapely.get_type_id(geoms[present]), [3, 6])]
    parts, part_owner = shapely.get_parts(geoms[polygonal], return_index=True)
    rings, ring_owner = shapely.get_rings(parts, return_index=True)
    counts = shapely.get_num_coordinates(rings)
    first = np.r_[0, np.flatnonzero(np.diff(ring_owner)) + 1] if len(rings) else np.array([], dtype=int)
    number = np.arange(len(rings)) - np.repeat(first, np.diff(np.r_[first, len(rings)])) + 1
    for k in np.flatnonzero(counts < 4):
        pos = int(polygonal[part_owner[ring_owner[k]]])
        distinct = max(int(counts[k]) - 1, 0)
        reasons.setdefault(
            pos,
            f"ring {number[k]} has {distinct} distinct point(s); a ring needs at least 3 "
            "(and the first repeated at the end)",
        )
    return reasons


def what_of(layer: str) -> str:
    """What a feature of ``layer`` is called in messages: parcel, source, road line …"""
    return (
        "parcel" if layer == "parcels" else "source" if layer == "sources" else f"{layer.removesuffix('_lines')} line"
    )


def clean_geometries(frame: gpd.GeoDataFrame, id_column: str, fmt: str, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Repeated points removed and, for GeoJSON, clockwise exterior rings reoriented; each reported per feature."""
    geoms = frame.geometry.to_numpy()
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    usable[np.unique(owner[~np.isfinite(coords).all(axis=1)])] = False  # NaN is the validator's to report
    what = "parcel" if id_column == "parcel_id" else "feature"
    out = geoms.copy()
    before = shapely.get_num_coordinates(geoms[usable])
    cleaned = shapely.remove_repeated_points(geoms[usable], tolerance=0.0)
    after = shapely.get_num_coordinates(cleaned)
    repeated = np.zeros(len(frame), dtype=bool)
    repeated[np.flatnonzero(usable)[after < before]] = True
    removed = np.zeros(len(frame), dtype=int)
    removed[usable] = before - after
    out[usable] = cleaned
    problems += flag(
        frame,
        repeated,
        "repair",
        "geometry",
        lambda p: (
            f"{removed[p]} repeated point(s) removed (a point the same as the one before, e.g. a doubled closing point)"
        ),
        id_column=id_column,
        what=what,
        zh=lambda p: f"删去了 {removed[p]} 个重复点（与前一点相同的点，如重复的闭合点）",
    )
    polygonal = usable & np.isin(shapely.get_type_id(out), [3, 6])
    if fmt == "GeoJSON" and polygonal.any():
        oriented = shapely.orient_polygons(out[polygonal])
        turned = np.zeros(len(frame), dtype=bool)
        turned[np.flatnonzero(polygonal)] = ~shapely.equals_exact(oriented, out[polygonal], tolerance=0.0)
        problems += flag(
            frame,
            turned,
            "repair",
            "geometry",
            "ring orientation: RFC 7946 GeoJSON wants exterior rings counter-clockwise and holes clockwise; reoriented",
            id_column=id_column,
            what=what,
            zh="环的方向：RFC 7946 GeoJSON 要求外环逆时针、内环（洞）顺时针，已调整",
        )
        out[polygonal] = oriented
    return frame.set_geometry(gpd.GeoSeries(out, index=frame.index, crs=frame.crs))


def convert_land_use(
    frame: gpd.GeoDataFrame, system: str, file: str
) -> tuple[gpd.GeoDataFrame, list[Problem], list[Problem]]:
    """Parcels' GB/T 21010-2017 (三调) land-use codes in 用地用海分类 (2023), by ``data/land_use_gb21010.csv``.

    Returns the frame, the notes on the file (each conversion with its count; codes of both
    systems read as 用地用海分类), and an error per parcel whose code the crosswalk cannot convert.
    """
    if "land_use" not in frame.columns:
        return frame, [], []
    conversion = gb21010_to_2023(frame["land_use"], system)
    if not conversion.converted and not conversion.unconverted.any():
        return frame, [], []
    gb, ours = gb21010_codes(), land_use_codes()
    frame = frame.copy()
    frame["land_use"] = conversion.values
    notes = []
    for code, (new, count) in conversion.converted.items():
        unstated = (
            "; the class (一/二/三类工业用地, 100101–100103) is not stated: confirm it before supplying the land"
            if new == "1001"
            else ""
        )
        notes.append(
            Problem(
                "repair",
                None,
                "land_use",
                f"GB/T 21010-2017 (三调) code {code!r} {gb.loc[code, 'gb21010_name']} converted to 用地用海分类 "
                f"{new} {ours.loc[new, 'name_zh']} for {count} parcel(s) (crosswalk data/land_use_gb21010.csv)"
                + unstated,
                feature=file,
                zh=f"{count} 宗地块的 GB/T 21010-2017（三调）代码 {code!r} {gb.loc[code, 'gb21010_name']} 已按对照表 "
                f"data/land_use_gb21010.csv 转为用地用海分类 {new} {ours.loc[new, 'name_zh']}"
                + ("；未写明工业用地类别（一/二/三类，100101–100103）：供地前请确认" if new == "1001" else ""),
            )
        )
    if conversion.kept_as_2023:
        listed = ", ".join(conversion.kept_as_2023)
        notes.append(
            Problem(
                "warning",
                None,
                "land_use",
                f"the file mixes GB/T 21010-2017 and 用地用海分类 codes; {listed} (codes of both) were read as "
                "用地用海分类: give --land-use-codes gb21010 to read every code as GB/T 21010",
                feature=file,
                zh=f"文件混用了 GB/T 21010-2017 与用地用海分类代码；{listed.replace(', ', '、')}"
                "（两者共有的代码）按用地用海分类读取："
                "如全部按 GB/T 21010 读取，请给出 --land-use-codes gb21010",
            )
        )
    text = frame["land_use"].astype("string").str.strip()
    errors = flag(
        frame,
        conversion.unconverted,
        "error",
        "land_use",
        lambda p: (
            f"GB/T 21010-2017 (三调) code {text.iloc[p]!r} ({gb.loc[str(text.iloc[p]), 'gb21010_name']}) has no "
            "one-to-one 用地用海分类 code in the crosswalk data/land_use_gb21010.csv; give its 用地用海分类 code "
            f"with a mapping file (values: land_use: {{{str(text.iloc[p])!r}: <code>}})"
        ),
        zh=lambda p: (
            f"GB/T 21010-2017（三调）代码 {text.iloc[p]!r}（{gb.loc[str(text.iloc[p]), 'gb21010_name']}）在对照表 "
            "data/land_use_gb21010.csv 中没有一一对应的用地用海分类代码：请用字段对照文件给出其用地用海分类代码"
            f"（`values: land_use: {{{str(text.iloc[p])!r}: <代码>}}`）"
        ),
    )
    return frame, notes, errors


def settle_ids(
    frame: gpd.GeoDataFrame, id_column: str, prefix: str | None, *, lines: bool, file: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Ids where a file has none, and line ids a file repeats, made with ``--make-ids PREFIX``; or the refusal.

    Without ``prefix`` a file lacking its id column, or a line layer repeating ids, is refused
    with the option named. With it, a feature without id gets ``PREFIX`` and its order in the
    file, zero-padded (``DK001``), and a repeated line id (an OpenStreetMap way split by
    clipping) gets ``-1``, ``-2`` … in file order; both are reported.
    """
    ids = pd.Series(feature_ids(frame, id_column) if id_column in frame else [None] * len(frame), index=frame.index)
    missing = ids.isna().to_numpy()
    repeated = (ids.notna() & ids.duplicated(keep=False)).to_numpy() if lines else np.zeros(len(frame), dtype=bool)
    found: list[Problem] = []
    if prefix is None:
        return frame, _id_refusals(frame, ids, repeated, id_column, file)
    frame = frame.copy()
    rows = frame.index.to_numpy()
    width = max(3, len(str(int(rows.max()) + 1))) if len(rows) else 3
    made = ids.copy().astype(object)
    if missing.any():
        made[missing] = [f"{prefix}{row + 1:0{width}d}" for row in rows[missing]]
        found.append(
            Problem(
                "repair",
                None,
                id_column,
                f"{int(missing.sum())} feature(s) without `{id_column}` given ids {made[missing].iloc[0]} … "
                f"(--make-ids {prefix}: the prefix and the feature's order in the file)",
                feature=file,
                zh=f"{int(missing.sum())} 个要素没有 `{id_column}`，已编号为 {made[missing].iloc[0]} 等"
                f"（--make-ids {prefix}：前缀加要素在文件中的顺序）",
            )
        )
    if repeated.any():
        number = ids[repeated].groupby(ids[repeated]).cumcount() + 1
        made[repeated] = ids[repeated].astype(str) + "-" + number.astype(str)
        groups = ids[repeated].value_counts()
        found.append(
            Problem(
                "repair",
                None,
                id_column,
                f"{len(groups)} repeated line id(s) numbered in file order (--make-ids): "
                + ", ".join(f"{i!r} ×{n} → {i}-1 … {i}-{n}" for i, n in groups.head(5).items())
                + (" …" if len(groups) > 5 else ""),
                feature=file,
                zh=f"{len(groups)} 个重复的线编号已按文件顺序编号（--make-ids）："
                + "、".join(f"{i!r} ×{n} → {i}-1 … {i}-{n}" for i, n in groups.head(5).items())
                + ("……" if len(groups) > 5 else ""),
            )
        )
    frame[id_column] = made.to_numpy(dtype=object)
    return frame, found


def _id_refusals(
    frame: gpd.GeoDataFrame, ids: pd.Series, repeated: np.ndarray, id_column: str, file: str
) -> list[Problem]:
    """Without ``--make-ids``: a file lacking its id column, or a line layer repeating ids, is refused."""
    found: list[Problem] = []
    if id_column not in frame.columns:
        found.append(
            Problem(
                "error",
                None,
                id_column,
                f"the file has no id column (`{id_column}`); name its id column with a mapping file "
                f"(--mapping, columns: {{<column>: {id_column}}}), or make ids with --make-ids PREFIX "
                "(PREFIX and the feature's order in the file: DK001, DK002, …)",
                feature=file,
                zh=f"文件没有编号字段（`{id_column}`）：请用字段对照文件指明其编号字段"
                f"（--mapping，`columns: {{<字段>: {id_column}}}`），或用 --make-ids 前缀 自动编号"
                "（前缀加要素在文件中的顺序：DK001、DK002……）",
            )
        )
    if repeated.any():
        shown = ", ".join(map(repr, pd.unique(ids[repeated])[:10]))
        found.append(
            Problem(
                "error",
                None,
                id_column,
                f"{int(repeated.sum())} lines share {len(pd.unique(ids[repeated]))} id(s) ({shown}; a way split by "
                "clipping repeats its id); give --make-ids PREFIX to number them -1, -2, … in file order",
                feature=file,
                zh=f"{int(repeated.sum())} 条线共用 {len(pd.unique(ids[repeated]))} 个编号"
                f"（{shown.replace(', ', '、')}；"
                "被裁切的道路会重复其编号）：请给出 --make-ids 前缀，按文件顺序编为 -1、-2……",
            )
        )
    return found


def planned_status(frame: gpd.GeoDataFrame, old: np.ndarray, path: Path, problems: list[Problem]) -> gpd.GeoDataFrame:
    """A file without ``status``: its new parcels are ``planned`` (规划; those in the park, ``old``, keep theirs)."""
    new = ~old
    if "status" not in frame.columns:
        frame["status"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    planned = new & frame["status"].isna().to_numpy(dtype=bool)
    frame.loc[planned, "status"] = "planned"
    if planned.any():
        kept = " (parcels already in the park keep theirs)" if old.any() else ""
        kept_zh = "（园区已有的宗地保持原状态）" if old.any() else ""
        problems.append(
            file_problem(
                path,
                f"has no supply status (`status`): {int(planned.sum())} new parcel(s) imported as planned "
                f"(规划){kept}; give another with a mapping file's defaults",
                severity="repair",
                zh=f"没有供地状态（`status`）：{int(planned.sum())} 宗新宗地按规划（`planned`）导入{kept_zh}；"
                "如需其他状态，请在字段对照文件的 `defaults` 中给出",
            )
        )
    return frame
