"""Schemas and checks of the infrastructure layers a park store holds.

One line layer per network (``road_lines``, ``water_lines``, …, ``heat_lines``)
and one point layer ``sources`` for the places networks are fed from: a highway
gateway for roads, a substation, a waterworks, a sewage plant, a gas station,
a telecom exchange, a heat plant. Each source states its capacity in the unit
of its network, in the column that names the unit (``capacity_kva``,
``capacity_m3d``, …).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import Problem
from planner.fields import Field, allowed_text, check_columns, check_geometry, drop_z, dtype_of, flag
from planner.vocab import CAPACITY_COLUMN, NETWORK_OF_KIND, NETWORKS, ROAD_CLASSES, SOURCE_KINDS, capacity_unit

__all__ = [
    "LEVEL_MAX",
    "LEVEL_MIN",
    "LINE_FIELDS",
    "SOURCE_FIELDS",
    "check_lines",
    "check_sources",
    "line_layer",
    "source_capacity",
]

LEVEL_MIN = -10
"""The lowest level a line may have (OpenStreetMap's ``layer`` runs from -5 to 5)."""
LEVEL_MAX = 10
"""The highest level a line may have."""

_GROUPS = {"identity": ("标识", "identity"), "network": ("管网", "network"), "edits": ("编辑", "edits")}

_EDIT_FIELDS = (
    Field("version", "int", "edits", "版本", "version", origin="managed"),
    Field("updated_at", "datetime", "edits", "更新时间", "updated at", origin="managed"),
    Field("updated_by", "str", "edits", "更新人", "updated by", origin="managed"),
)

LINE_FIELDS: tuple[Field, ...] = (
    Field("line_id", "str", "identity", "线路编号", "line id", required=True),
    Field("name", "str", "identity", "名称", "name"),
    Field("geometry", "geometry", "identity", "线位", "alignment", required=True),
    Field("road_class", "str", "network", "道路等级", "road class", allowed=ROAD_CLASSES),
    Field("width_m", "float", "network", "红线宽度", "right-of-way width", unit="m", min_value=0.0),
    Field("voltage_kv", "float", "network", "电压等级", "voltage", unit="kv", min_value=0.0),
    Field("diameter_mm", "float", "network", "管径", "pipe diameter", unit="mm", min_value=0.0),
    Field(
        "level",
        "int",
        "network",
        "竖向层次",
        "level",
        min_value=LEVEL_MIN,
        max_value=LEVEL_MAX,
        description="Grade separation: 0 (or empty) at grade, positive above ground (bridge, elevated road), "
        "negative below (tunnel, a pipe buried under a crossing). Lines of different levels meet only where an "
        "end of one lies on the other (a ramp, a portal), never where they merely cross.",
    ),
    Field(
        "in_service",
        "bool",
        "network",
        "在用",
        "in service",
        description="False for planned or disused lines; they carry nothing.",
    ),
    Field(
        "planned_date",
        "date",
        "network",
        "计划建成日期",
        "planned completion",
        description="For a planned line (in_service false): when it is to be built.",
    ),
    Field(
        "cost_wan",
        "float",
        "network",
        "投资估算",
        "cost estimate",
        unit="wan_yuan",
        min_value=0.0,
        description="For a planned line: its estimated cost; without it the unit costs of data/unit_costs.csv apply.",
    ),
    *_EDIT_FIELDS,
)

SOURCE_FIELDS: tuple[Field, ...] = (
    Field("source_id", "str", "identity", "设施编号", "source id", required=True),
    Field("network", "str", "network", "所属管网", "network", allowed=NETWORKS, required=True),
    Field("kind", "str", "network", "设施类型", "kind", allowed=SOURCE_KINDS, required=True),
    Field("name", "str", "identity", "名称", "name"),
    Field("geometry", "geometry", "identity", "位置", "location", required=True),
    Field("voltage_kv", "float", "network", "电压等级", "voltage", unit="kv", min_value=0.0),
    Field("capacity_kva", "float", "network", "供电容量", "power capacity", unit="kva", min_value=0.0),
    Field("capacity_m3d", "float", "network", "处理/供水能力", "water capacity", unit="m3/d", min_value=0.0),
    Field("capacity_nm3h", "float", "network", "供气能力", "gas capacity", unit="nm3/h", min_value=0.0),
    Field("capacity_mw", "float", "network", "供热能力", "heat capacity", unit="mw", min_value=0.0),
    Field("capacity_ports", "float", "network", "端口容量", "telecom capacity", unit="ports", min_value=0.0),
    Field("in_service", "bool", "network", "在用", "in service"),
    Field(
        "inferred",
        "bool",
        "network",
        "推断",
        "inferred",
        origin="derived",
        description="True for a road gateway the planner inferred where a main road crosses the park boundary "
        "(no gateway was declared); never taken from a file.",
    ),
    *_EDIT_FIELDS,
)

LINE_FIELD_BY_NAME: Mapping[str, Field] = MappingProxyType({f.name: f for f in LINE_FIELDS})
SOURCE_FIELD_BY_NAME: Mapping[str, Field] = MappingProxyType({f.name: f for f in SOURCE_FIELDS})


def line_layer(network: str) -> str:
    """Store layer name of a network's lines: ``road`` → ``road_lines``."""
    if network not in NETWORKS:
        msg = f"`network` {network!r} is not allowed; allowed: {allowed_text(NETWORKS)}"
        raise ValueError(msg)
    return f"{network}_lines"


def check_lines(lines: gpd.GeoDataFrame, network: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check a network's line layer: ids, values, and line geometries of two or more points.

    MultiLineStrings are split into their parts (ids ``ID-1``, ``ID-2``, …) and
    the split is reported as a repair; every problem names the input row it came from.
    """
    what = f"{network} line"
    lines = lines.reset_index(drop=True)
    geoms = lines.geometry.to_numpy()
    multi = shapely.get_type_id(geoms) == shapely.GeometryType.MULTILINESTRING
    counts = shapely.get_num_geometries(geoms)
    problems = flag(
        lines,
        multi,
        "repair",
        "geometry",
        lambda p: f"MultiLineString split into {counts[p]} lines",
        id_column="line_id",
        what=what,
        zh=lambda p: f"多线（MultiLineString）已拆分为 {counts[p]} 条线",
    )
    origin = np.arange(len(lines))
    if multi.any():
        parts = lines.explode(index_parts=True)
        origin = parts.index.get_level_values(0).to_numpy()
        part_no = parts.index.get_level_values(-1).to_numpy()
        was_multi = multi[origin]
        if "line_id" in parts:
            base = parts["line_id"].astype(object).astype(str).to_numpy()
            ids = parts["line_id"].astype(object).to_numpy().copy()
            ids[was_multi] = [f"{b}-{k + 1}" for b, k in zip(base[was_multi], part_no[was_multi], strict=True)]
            parts["line_id"] = ids
        lines = parts.reset_index(drop=True)
    lines, found = check_columns(lines, LINE_FIELD_BY_NAME, id_column="line_id", what=what)
    found += check_geometry(
        lines, "line_id", allowed=(shapely.GeometryType.LINESTRING,), type_text="LineString", what=what
    )
    geoms = lines.geometry.to_numpy()
    single = shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING
    short = np.zeros(len(lines), dtype=bool)
    short[single] = shapely.length(geoms[single]) <= 0
    # a line of one repeated point: say so, rather than GEOS's "too few points"
    found = [p for p in found if not (p.field == "geometry" and p.row is not None and short[p.row])]
    found += flag(
        lines,
        short,
        "error",
        "geometry",
        "the line has fewer than two distinct points",
        id_column="line_id",
        what=what,
        zh="线的不同点少于两个",
    )
    lines, z_repairs = drop_z(lines, "line_id", what=what)
    found += z_repairs
    for p in found:
        if p.row is not None:
            p.row = int(origin[p.row])
    problems += found
    if network != "road" and "road_class" in lines and lines["road_class"].notna().any():
        problems.append(
            Problem(
                "error",
                None,
                "road_class",
                f"`road_class` is for road lines, not {network} lines",
                feature=what,
                zh=f"`road_class` 只用于道路，不用于{NETWORKS[network][0]}线路",
            )
        )
    return lines, problems


def check_sources(sources: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Check the source points: kind matches network, capacity in its network's column."""
    sources = sources.reset_index(drop=True)
    sources, problems = check_columns(sources, SOURCE_FIELD_BY_NAME, id_column="source_id", what="source")
    problems += check_geometry(
        sources, "source_id", allowed=(shapely.GeometryType.POINT,), type_text="Point", what="source"
    )
    sources, z_repairs = drop_z(sources, "source_id", what="source")
    problems += z_repairs
    for f in SOURCE_FIELDS:
        if f.name not in sources.columns and f.kind != "geometry":
            sources[f.name] = pd.Series([None] * len(sources), index=sources.index, dtype=dtype_of(f.kind))
    kind = sources["kind"].to_numpy(dtype=object)
    net = sources["network"].to_numpy(dtype=object)
    known = pd.notna(kind) & pd.notna(net)
    fed = np.array([NETWORK_OF_KIND.get(k) if isinstance(k, str) else None for k in kind], dtype=object)
    mismatch = known & (fed != net)

    def report(mask: np.ndarray, field: str, message: str | Callable[[int], str], zh: Callable[[int], str]) -> None:
        problems.extend(flag(sources, mask, "error", field, message, id_column="source_id", what="source", zh=zh))

    report(
        mismatch,
        "kind",
        lambda p: f"a {kind[p]} ({SOURCE_KINDS[kind[p]][0]}) feeds the {fed[p]} network, not {net[p]}",
        zh=lambda p: (
            f"{SOURCE_KINDS[kind[p]][0]}（`{kind[p]}`）供{NETWORKS[fed[p]][0]}管网（`{fed[p]}`），不供 `{net[p]}`"
        ),
    )
    refused = {(p.row, p.field) for p in problems if p.severity == "error"}
    for column in sorted({c for c in CAPACITY_COLUMN.values() if c}):
        given = sources[column].notna().to_numpy()
        mine = np.array([CAPACITY_COLUMN[n] == column if isinstance(n, str) else False for n in net])
        wrong = known & ~mismatch & given & ~mine
        report(
            wrong,
            column,
            lambda p: (
                f"a {net[p]} source states its capacity in `{CAPACITY_COLUMN[net[p]] or 'no column'}`, not `{column}`"
            ),
            zh=lambda p: (
                f"{NETWORKS[net[p]][0]}源点的容量"
                + (f"填在 `{CAPACITY_COLUMN[net[p]]}`" if CAPACITY_COLUMN[net[p]] else "无字段可填")
                + f"，不能填在 `{column}`"
            ),
        )
        lacking = known & ~mismatch & ~given & mine
        lacking &= np.array([(r, column) not in refused for r in range(len(sources))], dtype=bool)
        report(
            lacking,
            column,
            lambda p: f"a {kind[p]} ({SOURCE_KINDS[kind[p]][0]}) needs its capacity in `{column}`",
            zh=lambda p: f"{SOURCE_KINDS[kind[p]][0]}（`{kind[p]}`）须在 `{column}` 填写容量",
        )
    return sources, problems


def source_capacity(sources: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Each source's capacity, read from the column of its network, and the unit it is in.

    One row per source (same index as ``sources``): ``capacity`` (NaN where none is stated,
    and for road gateways) and ``unit`` (in ``lang``, ``zh`` or ``en``; empty for roads).

    >>> sources = pd.DataFrame({"network": ["power", "road"], "capacity_kva": [40000.0, None]})
    >>> source_capacity(sources, "en").to_dict("records")
    [{'capacity': 40000.0, 'unit': 'kVA'}, {'capacity': nan, 'unit': ''}]
    """
    capacity = pd.Series(np.nan, index=sources.index, dtype=float)
    unit = pd.Series("", index=sources.index, dtype=object)
    for network, column in CAPACITY_COLUMN.items():
        mine = (sources["network"] == network).to_numpy()
        if column is None or not mine.any():
            continue
        capacity[mine] = sources.loc[mine, column].to_numpy(dtype=float, na_value=np.nan)
        unit[mine] = capacity_unit(network, lang)
    return pd.DataFrame({"capacity": capacity, "unit": unit})
