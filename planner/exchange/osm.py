"""OpenStreetMap input (.osm XML, .pbf) through GDAL's OSM driver.

What becomes what:

- ways tagged ``highway=*`` (roads for vehicles) → ``road_lines``: ``road_class`` from the
  highway value (motorway/trunk links → ``link``; motorway → ``highway``; trunk and
  primary → ``arterial``; secondary → ``secondary``; tertiary, residential,
  unclassified, service, living_street → ``branch``), ``width_m`` from ``width``;
  footways, paths, cycleways, steps, tracks, and roads under construction or proposed
  are left out, counted per kind in the report;
- nodes tagged ``highway=motorway_junction`` → ``sources`` (``gateway`` of the road network);
- ``landuse=industrial`` areas → candidate ``parcels`` (status ``planned``, land use 1001 工业用地);
- ``power=substation`` (nodes or areas; an area becomes a point inside it) → ``sources``
  (``substation`` of the power network, ``voltage_kv`` the highest of ``voltage``,
  ``capacity_kva`` from ``rating`` in MVA where tagged);
- ``power=line|minor_line|cable`` ways → ``power_lines`` (``voltage_kv``);
- pipelines (``man_made=pipeline``) → the lines of the network their ``substance`` names, utility
  tunnels (综合管廊) → a line in each network their ``utility=*`` names; roads in tunnels stay roads,
  and railway or waterway tunnels are left out, named in the report (:mod:`.osm_tunnels`);
- every line's ``level`` (竖向层次) from ``layer``, else +1 on a bridge, -1 in a tunnel, else 0
  (:func:`.osm_levels`): an elevated road or a river tunnel meets the other roads only where
  one ends on the other (a ramp, a portal), not where it passes over or under them.

OpenStreetMap rarely states a substation's capacity; the store needs one, so it comes from
``rating`` or from the capacity the user gives (``capacity_kva``), reported per substation.
Ids are ``osm-n<id>`` (nodes), ``osm-w<id>`` (ways), ``osm-r<id>`` (relations).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import Problem
from planner.exchange.osm_tunnels import level_notes, osm_levels, tunnel_notes, utility_lines
from planner.exchange.readers import read_frame, reason_zh

__all__ = [
    "HIGHWAY_CLASSES",
    "SKIPPED_HIGHWAYS",
    "is_osm_power",
    "is_osm_roads",
    "osm_name",
    "power_sources",
    "read_osm",
    "road_lines_from_highways",
]

HIGHWAY_CLASSES = {
    "motorway": "highway",
    "trunk": "arterial",
    "primary": "arterial",
    "secondary": "secondary",
    "tertiary": "branch",
    "unclassified": "branch",
    "residential": "branch",
    "service": "branch",
    "living_street": "branch",
    "road": "branch",
    "motorway_link": "link",
    "trunk_link": "link",
    "primary_link": "link",
    "secondary_link": "link",
    "tertiary_link": "link",
}
"""OSM ``highway`` values that are roads of the network, and their ``road_class``."""

SKIPPED_HIGHWAYS = {
    "footway": "a footway",
    "path": "a path",
    "cycleway": "a cycleway",
    "steps": "steps",
    "pedestrian": "a pedestrian street",
    "track": "a field or forest track",
    "bridleway": "a bridleway",
    "corridor": "an indoor corridor",
    "construction": "a road under construction",
    "proposed": "a proposed road",
    "platform": "a platform",
}

_POWER_LINES = ("line", "minor_line", "cable")
_LINE_TAGS = (
    "highway", "power", "man_made", "substance", "utility", "tunnel", "railway", "waterway", "name", "diameter",
    "layer", "bridge",
)  # fmt: skip


def _tag(frame: pd.DataFrame, key: str) -> pd.Series:
    """A tag's values: its own column where GDAL made one, else parsed from ``other_tags``."""
    if key in frame.columns:
        own = frame[key].astype(object)
    else:
        own = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if "other_tags" in frame.columns:
        found = frame["other_tags"].astype("string").str.extract(rf'"{key}"=>"((?:[^"\\]|\\.)*)"')[0]
        own = own.where(own.notna(), found.astype(object))
    return own.where(own.notna(), None)


def _number(values: pd.Series) -> pd.Series:
    """The first number in each text (``"12 m"`` → 12.0), NaN where none."""
    return pd.to_numeric(values.astype("string").str.extract(r"([-+]?\d+(?:\.\d+)?)")[0], errors="coerce")


def _max_kv(voltage: pd.Series) -> pd.Series:
    """The highest of ``;``-separated volt values, in kV (``500000;220000`` → 500)."""
    parts = voltage.astype("string").str.split(";").explode()
    volts = pd.to_numeric(parts.str.strip(), errors="coerce")
    return (volts.groupby(level=0).max() / 1000.0).reindex(voltage.index)


def _levels(frame: pd.DataFrame) -> np.ndarray:
    """Each way's level (竖向层次) from its ``layer``, ``bridge`` and ``tunnel`` tags (see :func:`.osm_levels`)."""
    return osm_levels(_tag(frame, "layer"), _tag(frame, "bridge"), _tag(frame, "tunnel"))[0]


def _read(path: Path, layer: str) -> tuple[gpd.GeoDataFrame, dict[int, str]]:
    """One layer of GDAL's OSM driver, and ``{row: why}`` for the features whose geometry cannot be built."""
    frame, unreadable = read_frame(path, layer=layer)
    return frame.set_crs(4326, allow_override=True), unreadable


def osm_name(feature_id: str) -> str:
    """An OSM feature as OpenStreetMap names it: ``osm-w123`` → ``OSM way 123``."""
    kinds = {"osm-n": "node", "osm-w": "way", "osm-r": "relation"}
    kind = kinds.get(feature_id[:5])
    return f"OSM {kind} {feature_id[5:]}" if kind else feature_id


_LAYER_WHAT = {"parcels": "parcel", "road_lines": "road line", "power_lines": "power line", "sources": "source"}
_LAYER_ID = {"parcels": "parcel_id", "road_lines": "line_id", "power_lines": "line_id", "sources": "source_id"}


def _unreadable(out: dict[str, gpd.GeoDataFrame], reasons: dict[str, str]) -> list[Problem]:
    """Features of ``out`` whose geometry could not be built: each an error naming its OSM id, and taken out."""
    problems = []
    for name, frame in list(out.items()):
        missing = shapely.is_missing(frame.geometry.to_numpy())
        if not missing.any():
            continue
        ids = frame[_LAYER_ID[name]].astype(str).to_numpy()
        for fid in ids[missing]:
            why = reasons.get(fid, "GDAL gave it no geometry")
            problems.append(
                Problem(
                    "error", fid, "geometry", f"{osm_name(fid)}: {why}", feature=_LAYER_WHAT[name],
                    zh=f"{osm_name(fid)}：{reason_zh(why)}",
                )
            )  # fmt: skip
        out[name] = frame[~missing].reset_index(drop=True)
        if not len(out[name]):
            del out[name]
    return problems


def read_osm(path: Path, *, capacity_kva: float | None = None) -> tuple[dict[str, gpd.GeoDataFrame], list[Problem]]:
    """The layers an OSM file holds for a park, in WGS84, and what was left out or assumed.

    Returns
    -------
    dict
        Store layer name → features with schema columns (only the layers with features).
    list of Problem
        Notes on what was left out (per kind) and on assumed capacities.
    """
    feature = f"file {path.name!r}"
    if path.suffix.lower() == ".osm":
        tail = path.read_bytes()[-256:].rstrip()
        if not tail.endswith(b"</osm>"):
            problem = Problem(
                "error", None, None, "is truncated: the OSM XML does not end with </osm>", feature=feature,
                zh="文件不完整：OSM XML 未以 </osm> 结尾",
            )  # fmt: skip
            return {}, [problem]
    try:
        lines, bad_lines = _read(path, "lines")
        points, bad_points = _read(path, "points")
        areas, bad_areas = _read(path, "multipolygons")
    except Exception as exc:  # GDAL's OSM errors vary; the file is named with them
        text = " ".join(str(exc).split())[:300]
        return {}, [
            Problem(
                "error", None, None, f"cannot be read as OpenStreetMap: {text}", feature=feature,
                zh=f"无法按 OpenStreetMap 读取：「{text}」",
            )
        ]  # fmt: skip
    out, problems = _line_layers(lines, feature)
    area_ids = _area_ids(areas)
    parcels = _industrial_parcels(areas, area_ids)
    if parcels is not None:
        out["parcels"] = parcels
    sources, found = _sources(points, areas, area_ids, capacity_kva, feature)
    problems += found
    if sources is not None:
        out["sources"] = sources
    reasons = {f"osm-w{lines['osm_id'].iloc[k]}": why for k, why in bad_lines.items()}
    reasons |= {f"osm-n{points['osm_id'].iloc[k]}": why for k, why in bad_points.items()}
    reasons |= {str(area_ids[k]): why for k, why in bad_areas.items()}
    unreadable = _unreadable(out, reasons)
    problems += unreadable
    if "parcels" in out:
        problems.append(
            Problem(
                "repair",
                None,
                "status",
                f"{len(out['parcels'])} landuse=industrial area(s) read as candidate parcels: status planned "
                "(规划), land use 1001 (工业用地)",
                feature=feature,
                zh=f"{len(out['parcels'])} 处 landuse=industrial 区域读作候选宗地：供地状态为规划（`planned`），"
                "用地为 1001（工业用地）",
            )
        )
    if not out and not unreadable:
        problems.append(
            Problem(
                "error",
                None,
                None,
                "holds no roads, industrial land, power features or utility lines the planner imports",
                feature=feature,
                zh="没有可导入的道路、工业用地或电力要素",
            )
        )
    return out, problems


def _line_layers(lines: gpd.GeoDataFrame, feature: str) -> tuple[dict[str, gpd.GeoDataFrame], list[Problem]]:
    """The ways' line layers (roads, power lines, pipelines and utility tunnels) with their levels, and the notes."""
    problems: list[Problem] = []
    out: dict[str, gpd.GeoDataFrame] = {}
    way_ids = ("osm-w" + lines["osm_id"].astype(str)).to_numpy(dtype=object)
    roads, found = road_lines_from_highways(lines, ids=pd.Series(way_ids), what=feature)
    problems += found
    if len(roads):
        out["road_lines"] = roads
    tags = {key: _tag(lines, key) for key in _LINE_TAGS}
    problems += tunnel_notes(roads, tags["tunnel"], way_ids, feature)
    utilities, found = utility_lines(lines, tags, way_ids, feature)
    problems += found
    power = _power_lines(lines)
    if power is not None:
        out["power_lines"] = power
    for name, frame in utilities.items():
        out[name] = pd.concat([out[name], frame], ignore_index=True) if name in out else frame
    tagged = dict(zip(way_ids, osm_levels(tags["layer"], tags["bridge"], tags["tunnel"])[1], strict=True))
    from_tag = {n: np.array([tagged.get(i, False) for i in f["line_id"]]) for n, f in out.items() if "level" in f}
    problems += level_notes({n: out[n] for n in from_tag}, from_tag, feature)
    return out, problems


def _power_lines(lines: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Ways tagged ``power=line|minor_line|cable`` as power lines (``None``: there are none)."""
    is_line = _tag(lines, "power").isin(_POWER_LINES).to_numpy()
    if not is_line.any():
        return None
    pl = lines[is_line]
    return gpd.GeoDataFrame(
        {
            "line_id": ("osm-w" + pl["osm_id"].astype(str)).to_numpy(),
            "name": _tag(pl, "name").to_numpy(),
            "voltage_kv": _max_kv(_tag(pl, "voltage")).to_numpy(),
            "level": _levels(pl),
            "in_service": True,
        },
        geometry=pl.geometry.to_numpy(),
        crs=4326,
    )


def _area_ids(areas: gpd.GeoDataFrame) -> np.ndarray:
    """The ids of areas: ``osm-w<id>`` for a closed way, ``osm-r<id>`` for a multipolygon relation."""
    if not len(areas):
        return np.array([], dtype=object)
    return np.where(
        areas["osm_way_id"].notna(),
        "osm-w" + areas["osm_way_id"].astype(str),
        "osm-r" + areas["osm_id"].astype(str),
    )


def _industrial_parcels(areas: gpd.GeoDataFrame, area_ids: np.ndarray) -> gpd.GeoDataFrame | None:
    """``landuse=industrial`` areas as candidate parcels: planned, land use 1001 (``None``: there are none)."""
    industrial = (_tag(areas, "landuse") == "industrial").to_numpy()
    if not industrial.any():
        return None
    ind = areas[industrial]
    return gpd.GeoDataFrame(
        {
            "parcel_id": area_ids[industrial],
            "name": _tag(ind, "name").to_numpy(),
            "land_use": "1001",
            "status": "planned",
        },
        geometry=ind.geometry.to_numpy(),
        crs=4326,
    )


def _sources(
    points: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, area_ids: np.ndarray, capacity_kva: float | None, what: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Substations (nodes and areas) and motorway junctions (road gateways) as sources."""
    problems: list[Problem] = []
    sources = []
    sub_points = points[(_tag(points, "power") == "substation").to_numpy()]
    sub_areas = areas[(_tag(areas, "power") == "substation").to_numpy()]
    sub_area_ids = area_ids[(_tag(areas, "power") == "substation").to_numpy()] if len(areas) else []
    subs = pd.concat(
        [
            sub_points.assign(_id="osm-n" + sub_points["osm_id"].astype(str)),
            sub_areas.assign(_id=sub_area_ids),
        ],
        ignore_index=True,
    )
    if len(subs):
        frame, problems = power_sources(
            gpd.GeoDataFrame(subs, geometry="geometry", crs=4326),
            ids=subs["_id"],
            capacity_kva=capacity_kva,
            what=what,
        )
        sources.append(frame)
    junctions = points[(_tag(points, "highway") == "motorway_junction").to_numpy()]
    if len(junctions):
        sources.append(
            gpd.GeoDataFrame(
                {
                    "source_id": ("osm-n" + junctions["osm_id"].astype(str)).to_numpy(),
                    "network": "road",
                    "kind": "gateway",
                    "name": _tag(junctions, "name").to_numpy(),
                },
                geometry=junctions.geometry.to_numpy(),
                crs=4326,
            )
        )
    return (pd.concat(sources, ignore_index=True) if sources else None), problems


def road_lines_from_highways(
    lines: gpd.GeoDataFrame, *, ids: pd.Series, what: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Road lines from features with an OSM ``highway`` tag; the rest counted per kind."""
    highway = _tag(lines, "highway")
    has = highway.notna().to_numpy()
    road_class = highway.map(HIGHWAY_CLASSES)
    keep = road_class.notna().to_numpy()
    problems = []
    left = highway[has & ~keep].value_counts()
    for value, count in left.items():
        why = SKIPPED_HIGHWAYS.get(value, "not a road class the planner models")
        problems.append(
            Problem(
                "warning",
                None,
                "highway",
                f"{count} way(s) with highway={value} ({why}) left out of the road network",
                feature=what,
                zh=f"{count} 条 highway={value} 的路（「{why}」）未计入路网",
            )
        )
    rows = lines[keep]
    roads = gpd.GeoDataFrame(
        {
            "line_id": pd.Series(ids).to_numpy()[keep],
            "name": _tag(rows, "name").to_numpy(),
            "road_class": road_class[keep].to_numpy(),
            "width_m": _number(_tag(rows, "width")).to_numpy(),
            "level": _levels(rows),
            "in_service": True,
        },
        geometry=rows.geometry.to_numpy(),
        crs=lines.crs,
    )
    return roads, problems


_ASSUMED_ZH = "OpenStreetMap 未写明{name}的容量：按 {kva:,.0f} kVA 计（--capacity-kva）"
_NO_CAPACITY = (
    "OpenStreetMap states no capacity (rating) for {n} substation(s), and a source needs one; give the capacity "
    "to assume with --capacity-kva (kVA), or import only the other layers with --layer"
)
_NO_CAPACITY_ZH = (
    "OpenStreetMap 未写明 {n} 座变电站的容量（rating），而源点须有容量：请用 --capacity-kva 给出假定的容量（kVA），"
    "或用 --layer 只导入其他图层"
)


def power_sources(
    frame: gpd.GeoDataFrame, *, ids: pd.Series, capacity_kva: float | None, what: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Substations as power sources (a polygon becomes a point inside it); other power kinds counted."""
    power = _tag(frame, "power")
    problems = [
        Problem(
            "warning",
            None,
            "power",
            f"{count} feature(s) with power={value} left out: only substations feed the power network",
            feature=what,
            zh=f"{count} 个 power={value} 的要素未导入：只有变电站向电力管网供电",
        )
        for value, count in power[power != "substation"].value_counts().items()
    ]
    subs = frame[(power == "substation").to_numpy()]
    keep_ids = pd.Series(ids).to_numpy()[(power == "substation").to_numpy()]
    geoms = subs.geometry.to_numpy()
    areal = np.isin(shapely.get_type_id(geoms), [3, 6])
    points = geoms.copy()
    points[areal] = shapely.point_on_surface(geoms[areal])
    if areal.any():
        problems.append(
            Problem(
                "repair",
                None,
                "geometry",
                f"{int(areal.sum())} substation area(s) reduced to a point inside each (a source is a point)",
                feature=what,
                zh=f"{int(areal.sum())} 处变电站面已各取其内一点（源点为点）",
            )
        )
    rating = _tag(subs, "rating").astype("string")
    mva = pd.to_numeric(rating.str.extract(r"(\d+(?:\.\d+)?)\s*MVA", expand=False), errors="coerce")
    capacity = (mva * 1000.0).to_numpy(dtype=float)
    lacking = np.isnan(capacity)
    names = _tag(subs, "name").to_numpy()
    if lacking.any():
        if capacity_kva is not None:
            capacity[lacking] = capacity_kva
            for sid, name in zip(keep_ids[lacking], names[lacking], strict=True):
                problems.append(
                    Problem(
                        "warning",
                        str(sid),
                        "capacity_kva",
                        f"OpenStreetMap states no capacity for {name or 'this substation'}; "
                        f"{capacity_kva:,.0f} kVA assumed (--capacity-kva)",
                        feature="source",
                        zh=_ASSUMED_ZH.format(name=name or "该变电站", kva=capacity_kva),
                    )
                )
        else:
            problems.append(
                Problem(
                    "error",
                    None,
                    "capacity_kva",
                    _NO_CAPACITY.format(n=int(lacking.sum())),
                    feature=what,
                    zh=_NO_CAPACITY_ZH.format(n=int(lacking.sum())),
                )
            )
    voltage = _tag(subs, "voltage")
    out = gpd.GeoDataFrame(
        {
            "source_id": keep_ids,
            "network": "power",
            "kind": "substation",
            "name": names,
            "voltage_kv": _max_kv(voltage).to_numpy() if len(subs) else np.array([], dtype=float),
            "capacity_kva": capacity,
            "in_service": True,
        },
        geometry=points,
        crs=frame.crs,
    )
    return out, problems


_OSM_POWER_VALUES = ("substation", "plant", "generator", "line", "minor_line", "cable", "tower", "pole", "transformer")


def is_osm_power(frame: gpd.GeoDataFrame) -> bool:
    """Whether a frame holds OSM power features: a ``power`` column of OSM values (not the parcels' 通电 flag)."""
    return "power" in frame.columns and bool(frame["power"].astype(object).isin(_OSM_POWER_VALUES).any())


def is_osm_roads(frame: gpd.GeoDataFrame) -> bool:
    """Whether a frame holds OSM roads (a ``highway`` column)."""
    return "highway" in frame.columns
