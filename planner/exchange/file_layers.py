"""A file's features sorted by store layer: a TXT holds parcels, an OSM file several layers, any other file one.

For a vector file without ``--layer`` the layer follows from the data: OSM power or road
tags, else polygons are parcels and points sources. OSM tags and TXT fields are put on
the layer's schema here, before the field mapping sees the columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.exchange.cad import read_dxf
from planner.exchange.osm import is_osm_power, is_osm_roads, power_sources, read_osm, road_lines_from_highways
from planner.exchange.readers import file_problem, geometry_kinds, read_vector, reason_zh
from planner.exchange.txt import read_txt

__all__ = ["UNREADABLE", "CadOptions", "read_file_layers"]

UNREADABLE = "unreadable"
"""The key of a frame's ``attrs`` holding ``{row: why}`` for its rows whose geometry could not be built."""

_TXT_PRECISION_M = (0.001, 0.1)
"""The range a TXT's 精度 is taken in (m); 0.001 m where it states none or no number."""


def read_file_layers(
    path: Path,
    fmt: str,
    target: str | None,
    *,
    source_layer: str | None,
    encoding: str | None,
    capacity_kva: float | None,
    problems: list[Problem],
    cad: CadOptions | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """The file's features by store layer, with OSM tags and TXT fields already on the schema.

    ``target`` is the store layer asked for (``--layer``), or ``None`` to tell it from the
    data. What is found is appended to ``problems``; a file that cannot be read gives no layer.
    ``cad``: how a DXF drawing is read (:func:`planner.exchange.cad.read_dxf`).
    """
    if fmt == "TXT":
        return _txt_layers(path, target, encoding, problems)
    if fmt == "DXF":
        return _dxf_layers(path, target, cad or CadOptions(), encoding, problems)
    if fmt == "OSM":
        return _osm_layers(path, target, capacity_kva, problems)
    result = read_vector(path, layer=source_layer, encoding=encoding, prefer_layer=target or "parcels")
    problems += result.problems
    if any(p.severity == "error" for p in result.problems):
        return {}
    frame = result.frame
    if not len(frame):
        problems.append(
            file_problem(path, f"layer {result.layer!r} holds no features", zh=f"图层 {result.layer!r} 没有任何要素")
        )
        return {}
    target = target or _layer_of(frame, path, problems)
    if target is None:
        return {}
    osm_roads = target == "road_lines" and is_osm_roads(frame) and "road_class" not in frame.columns
    osm_power = target == "sources" and is_osm_power(frame)
    if target == "boundary" and "boundary_id" not in frame.columns:  # a boundary file seldom numbers its parts
        frame["boundary_id"] = [f"boundary-{k + 1}" for k in range(len(frame))]
    if not (osm_roads or osm_power):
        frame.attrs[UNREADABLE] = result.unreadable  # named by their id once the columns are mapped
        return {target: frame}
    ids = _ids(frame, path)
    if result.unreadable:  # an OSM-derived file names its features by their OSM ids
        rows = sorted(result.unreadable)
        what = "road line" if osm_roads else "source"
        problems += [
            Problem(
                "error",
                str(ids.iloc[k]),
                "geometry",
                result.unreadable[k],
                row=k,
                feature=what,
                zh=reason_zh(result.unreadable[k]),
            )
            for k in rows
        ]
        keep = ~frame.index.isin(rows)
        frame, ids = frame[keep].reset_index(drop=True), ids[keep].reset_index(drop=True)
    if osm_roads:
        frame, found = road_lines_from_highways(frame, ids=ids, what=f"file {path.name!r}")
    else:
        frame, found = power_sources(frame, ids=ids, capacity_kva=capacity_kva, what=f"file {path.name!r}")
    problems += found
    return {target: frame}


def _txt_layers(
    path: Path, target: str | None, encoding: str | None, problems: list[Problem]
) -> dict[str, gpd.GeoDataFrame]:
    """A boundary-coordinate TXT's parcels, with the precision its header states (``precision_m``)."""
    if target not in (None, "parcels"):
        problems.append(
            file_problem(
                path,
                f"a boundary-coordinate TXT holds parcels, not {target}",
                zh=f"界址点坐标 TXT 只含宗地，不含 {target}",
            )
        )
        return {}
    txt = read_txt(path, encoding=encoding)
    problems += txt.problems
    try:
        step = float(txt.header.get("精度", "0.001"))
    except ValueError:
        step = 0.001
    low, high = _TXT_PRECISION_M
    txt.parcels.attrs["precision_m"] = min(max(step, low), high) if np.isfinite(step) else low
    return {"parcels": txt.parcels}


@dataclass(frozen=True)
class CadOptions:
    """How a DXF drawing is read: its CAD layer, ids from the text inside each polygon, the zone ``--crs`` names."""

    cad_layer: str | None = None
    id_from_text: bool = False
    crs: str | int | None = None


def _dxf_layers(
    path: Path, target: str | None, cad: CadOptions, encoding: str | None, problems: list[Problem]
) -> dict[str, gpd.GeoDataFrame]:
    """A DXF drawing's closed polylines and hatches as parcels (or as the park boundary with ``--layer boundary``)."""
    if target not in (None, "parcels", "boundary"):
        message = f"a DXF drawing gives parcels or the park boundary, not {target}"
        problems.append(file_problem(path, message, zh=f"DXF 图只能导入宗地或园区四至，不能导入 {target}"))
        return {}
    parcels = read_dxf(
        path, cad_layer=cad.cad_layer, id_from_text=cad.id_from_text, crs=cad.crs, problems=problems, encoding=encoding
    )
    if parcels is None:
        return {}
    if target == "boundary":
        return {"boundary": parcels.rename(columns={"parcel_id": "boundary_id"})}
    return {"parcels": parcels}


def _osm_layers(
    path: Path, target: str | None, capacity_kva: float | None, problems: list[Problem]
) -> dict[str, gpd.GeoDataFrame]:
    """The layers of an OpenStreetMap file (only ``target`` when one is asked for)."""
    layers, found = read_osm(path, capacity_kva=capacity_kva)
    if target is not None:
        left = [n for n in layers if n != target]
        if left:
            problems.append(
                file_problem(
                    path,
                    f"only {target} imported (--layer); left out: {', '.join(left)}",
                    "warning",
                    zh=f"只导入了 {target}（--layer）；未导入：{'、'.join(left)}",
                )
            )
        found = [p for p in found if p.field != "capacity_kva" or target == "sources"]
        layers = {n: f for n, f in layers.items() if n == target}
        if not layers:
            found.append(
                file_problem(path, f"holds no features for the {target} layer", zh=f"没有 {target} 图层的要素")
            )
    problems += found
    return layers


_KINDS_ZH = {"point": "点", "line": "线", "polygon": "面", "other": "其他"}


def _layer_of(frame: gpd.GeoDataFrame, path: Path, problems: list[Problem]) -> str | None:
    """The store layer a file's features are for, told from their tags and geometries (``None``: cannot tell)."""
    kinds = geometry_kinds(frame)
    if is_osm_power(frame):
        return "sources"
    if is_osm_roads(frame):
        return "road_lines"
    if kinds <= {"polygon"} or ("polygon" in kinds and "parcel_id" in frame.columns):
        return "parcels"
    if kinds == {"point"}:
        return "sources"
    problems.append(
        file_problem(
            path,
            f"holds {' and '.join(sorted(kinds)) or 'no'} geometries; say which layer they are for with "
            "--layer (parcels, roads, water, drainage, power, telecom, gas, heat, sources)",
            zh=f"含{'、'.join(_KINDS_ZH.get(k, k) for k in sorted(kinds)) or '无'}图形：请用 --layer 指定其所属图层"
            "（parcels、roads、water、drainage、power、telecom、gas、heat、sources）",
        )
    )
    return None


def _ids(frame: gpd.GeoDataFrame, path: Path) -> pd.Series:
    """Feature ids for OSM-derived files: their OSM id, else the file name and the feature number."""
    for column in ("osm_id", "@id", "id"):
        if column in frame.columns and frame[column].notna().all():
            return frame[column].astype(str).str.replace("/", "-")
    return pd.Series([f"{path.stem}-{k + 1}" for k in range(len(frame))], index=frame.index)
