"""The demo park's networks: the lines of each utility network along the roads, and their sources.

Six utility networks run along the roads, each fed from its source (a 110 kV and a 35 kV
substation, a waterworks, a sewage plant, a gas station, a telecom exchange, a heat plant)
and each reaching only part of the park: the east's 35 kV substation has little left, one
water main is cut off from the rest. Planned works are drawn with their dates and costs: the
gas main up 经七路 and along 纬五路 and an extension of the steam mains, neither in service yet (the
east substation's upgrade is a works file, ``data/demo/works.json``). The road network is fed
from the highway interchange (its gateway).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import nearest_points

from planner.demo.layout import GATEWAY_UV, Layout
from planner.vocab import CAPACITY_COLUMN, NETWORK_OF_KIND

__all__ = ["OFFSETS", "SOURCES", "Networks", "Source"]

Node = tuple[float, float]
Edge = tuple[Node, Node, dict[str, Any]]


@dataclass(frozen=True)
class Source:
    """A source a network is fed from, at local point ``uv``, with the parcel that holds it (if any)."""

    source_id: str
    kind: str
    name: str
    uv: tuple[float, float]
    capacity: float | None = None
    """In the unit of its network (:data:`planner.vocab.CAPACITY_UNITS`)."""
    voltage_kv: float | None = None
    land_use: str | None = None
    holder: str | None = None
    industry: str | None = None

    @property
    def network(self) -> str:
        """The network the source feeds."""
        return NETWORK_OF_KIND[self.kind]


SOURCES = (  # id, kind, name, (u, v), capacity, voltage (kV), land use, holder and industry of its parcel
    Source("GW-1", "gateway", "园区高速互通", GATEWAY_UV),
    Source(
        "SS-110-1", "substation", "经开区110kV变电站", (1330, 1250), 189_000, 110, "1303", "国网滁州供电公司", "D4420"
    ),
    Source("SS-35-2", "substation", "东区35kV变电站", (3980, 2260), 41_000, 35, "1303", "国网滁州供电公司", "D4420"),
    Source("WW-1", "waterworks", "园区第二水厂", (260, 2250), 60_000, None, "1301", "滁州市供水有限公司", "D4610"),
    Source("SP-1", "sewage_plant", "园区污水处理厂", (4560, 2230), 40_000, None, "1302", "滁州市排水有限公司", "D4620"),
    Source("GS-1", "gas_station", "园区天然气门站", (1150, 260), 20_000, None, "1304", "滁州华润燃气有限公司", "D4511"),
    Source(
        "TE-1", "telecom_exchange", "园区通信枢纽局", (1900, 1720), 60_000, None, "1306", "中国电信滁州分公司", "I6311"
    ),
    Source("HP-1", "heat_plant", "园区热电联产厂", (3480, 1230), 150, None, "1305", "滁州热电有限公司", "D4430"),
)
"""The park's sources; every one but the gateway stands on a parcel of its own."""

OFFSETS = {"water": 8.0, "drainage": -8.0, "power": 14.0, "telecom": -14.0, "gas": 4.0, "heat": -4.0}
"""Lateral offset (m) of each utility network from the road centreline."""

_NET_WORD = {
    "water": "给水管",
    "drainage": "污水管",
    "power": "10kV电缆",
    "telecom": "通信管道",
    "gas": "中压燃气管",
    "heat": "蒸汽管",
}
"""What the lines of each network are called: 经三路给水管."""

_PIPE_MM = {"water": (300.0, 600.0), "drainage": (800.0, 1200.0), "gas": (200.0, 300.0), "heat": (300.0, 500.0)}
"""Pipe diameters (mm) of each piped network: (mains along the roads, a source's feeder)."""

HEAT_MAINS_M = 2000.0
"""How far along the roads from the heat plant its steam mains are laid."""
HEAT_PLANNED_M = 2600.0
"""How far along the roads the planned extension of the steam mains reaches (not in service yet): in the south-west."""

PLANNED = {"gas": ("2027-06-30", 150.0), "heat": ("2027-12-31", 600.0)}
"""The planned lines of each network: their planned date and cost (万元 per km, from the park's 概算)."""


class Networks:
    """The lines and sources of every network, laid along a layout's roads."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._lines: dict[str, gpd.GeoDataFrame] = {}

    def lines(self, net: str) -> gpd.GeoDataFrame:
        """The lines of a utility network: mains merged per road, planned ones not in service, each source's feeder."""
        if net in self._lines:
            return self._lines[net]
        built, planned = _NETWORK_EDGES[net](self.layout)
        rows = _main_rows(net, built, in_service=True) + _planned_rows(net, planned)
        lines = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry")
        for source in SOURCES:
            if source.network == net:
                feeder = _feeder_row(net, source, lines[lines["in_service"]].geometry.union_all())
                lines = pd.concat([lines, gpd.GeoDataFrame([feeder], geometry="geometry")], ignore_index=True)
        self._lines[net] = gpd.GeoDataFrame(lines, geometry="geometry")
        return self._lines[net]

    def sources(self) -> gpd.GeoDataFrame:
        """The ``sources`` layer: each source with its capacity in its network's column."""
        rows = []
        for source in SOURCES:
            row: dict[str, Any] = {
                "source_id": source.source_id,
                "network": source.network,
                "kind": source.kind,
                "name": source.name,
                "in_service": True,
                "geometry": Point(source.uv),
            }
            column = CAPACITY_COLUMN[source.network]
            if column and source.capacity:
                row[column] = float(source.capacity)
            if source.voltage_kv:
                row["voltage_kv"] = float(source.voltage_kv)
            rows.append(row)
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry")

    @staticmethod
    def source_parcels(geoms: np.ndarray) -> dict[int, Source]:
        """The parcel that holds each source (except the gateway, which lies outside), by parcel position."""
        tree = shapely.STRtree(geoms)
        chosen: dict[int, Source] = {}
        for source in SOURCES:
            if source.land_use is None:
                continue
            pos = int(tree.query_nearest(Point(source.uv))[0])
            while pos in chosen:  # two sources never share a parcel
                others = tree.query_nearest(Point(source.uv).buffer(150), all_matches=True)
                pos = int(next(i for i in others if i not in chosen))
            chosen[pos] = source
        return chosen


def _main_rows(net: str, edges: list[Edge], *, in_service: bool) -> list[dict[str, Any]]:
    """The mains of a network: its road segments, offset from the centreline and merged per road."""
    offset = OFFSETS[net]
    by_road: dict[str, list[LineString]] = {}
    for p, q, d in edges:
        du, dv = (offset, 0.0) if d["axis"] == "ns" else (0.0, offset)
        by_road.setdefault(d["road"], []).append(LineString([(p[0] + du, p[1] + dv), (q[0] + du, q[1] + dv)]))
    rows = []
    for road, segments in sorted(by_road.items()):
        merged = shapely.line_merge(MultiLineString(segments))
        for k, line in enumerate(shapely.get_parts(merged), start=1):
            rows.append(
                {
                    "line_id": f"{net[:2].upper()}-{road}-{k}{'' if in_service else '-规划'}",
                    "name": f"{road}{_NET_WORD[net]}",
                    "in_service": in_service,
                    **_line_attrs(net, feeder=False),
                    # run on past the junction, so the cross line is met as mains are laid
                    "geometry": _extend(line, abs(offset) + 1.0),
                }
            )
    return rows


def _planned_rows(net: str, edges: list[Edge]) -> list[dict[str, Any]]:
    """The planned mains of a network: not in service, with their planned date and cost (rounded to 万元)."""
    rows = _main_rows(net, edges, in_service=False)
    if rows:
        day, per_km = PLANNED[net]
        for row in rows:
            row["planned_date"] = pd.Timestamp(day)
            row["cost_wan"] = float(round(row["geometry"].length / 1000 * per_km))
    return rows


def _feeder_row(net: str, source: Source, live: shapely.Geometry) -> dict[str, Any]:
    """The line from a source to the nearest point of its network in service."""
    src = Point(source.uv)
    tap = nearest_points(src, live)[1]
    return {
        "line_id": f"{net[:2].upper()}-{source.source_id}-出线",
        "name": f"{source.name}出线",
        "in_service": True,
        **_line_attrs(net, feeder=True),
        "geometry": LineString([src, tap]),
    }


def _line_attrs(net: str, *, feeder: bool) -> dict[str, float]:
    """A line's voltage or pipe diameter."""
    if net == "power":
        return {"voltage_kv": 10.0}
    if net in _PIPE_MM:
        main, feed = _PIPE_MM[net]
        return {"diameter_mm": feed if feeder else main}
    return {}


def _extend(line: LineString, by: float) -> LineString:
    """The line lengthened by ``by`` metres at both ends, along its end segments."""
    xy = np.asarray(line.coords, dtype=float)
    head = xy[0] - xy[1]
    tail = xy[-1] - xy[-2]
    xy[0] = xy[0] + head / np.linalg.norm(head) * by
    xy[-1] = xy[-1] + tail / np.linalg.norm(tail) * by
    return LineString(xy)


# --- where each network runs: (edges in service, planned edges not in service) -------------------------------


def _edges(layout: Layout, keep: Callable[[float, float, dict[str, Any]], bool]) -> list[Edge]:
    """The road segments whose midpoint ``(u, v)`` and attributes pass ``keep``."""
    return [(p, q, d) for p, q, d in layout.graph.edges(data=True) if keep((p[0] + q[0]) / 2, (p[1] + q[1]) / 2, d)]


def _water_edges(layout: Layout) -> tuple[list[Edge], list[Edge]]:
    main = _edges(layout, lambda u, v, _: u <= 3300 or (v <= 1500 and u <= 4300))
    cut_off = _edges(layout, lambda u, v, _: v == 2500 and u >= 3750)  # built, never connected
    return main + cut_off, []


def _drainage_edges(layout: Layout) -> tuple[list[Edge], list[Edge]]:
    return _edges(layout, lambda u, v, _: u <= 3750 or v >= 2000 or (v == 1500 and u <= 4300)), []


def _power_edges(layout: Layout) -> tuple[list[Edge], list[Edge]]:
    # not yet in the south-east hills nor in the new north-east
    return _edges(
        layout,
        lambda u, v, _: not (u > 3200 and v <= 900) and not (v >= 3000 and u > 2700) and not (u < 1100 and v > 2400),
    ), []


def _telecom_edges(layout: Layout) -> tuple[list[Edge], list[Edge]]:
    return _edges(
        layout, lambda u, v, d: (d["cls"] == "arterial" or u <= 3200) and not (u > 3750 and (v < 900 or v > 2000))
    ), []


def _gas_edges(layout: Layout) -> tuple[list[Edge], list[Edge]]:
    built = _edges(layout, lambda u, v, _: (v <= 1500 and u <= 3200) or v == 1500)
    # the planned gas main: up 经七路 from 纬四路, then along 纬五路 east of 经五路
    planned = _edges(layout, lambda u, v, _: (v == 2000 and u >= 2150) or (u == 3200 and 1500 < v < 2000))
    return built, planned


def _heat_edges(layout: Layout) -> tuple[list[Edge], list[Edge]]:
    plant = next(s for s in SOURCES if s.kind == "heat_plant")
    start = layout.nearest_node(plant.uv)
    near = nx.single_source_dijkstra_path_length(layout.graph, start, cutoff=HEAT_PLANNED_M, weight="length")
    built, planned = [], []
    for p, q, d in layout.graph.edges(data=True):
        farther = max(near.get(p, np.inf), near.get(q, np.inf))
        if farther <= HEAT_MAINS_M:
            built.append((p, q, d))
        elif farther <= HEAT_PLANNED_M and 2700 <= (p[0] + q[0]) / 2 <= 3200 and (p[1] + q[1]) / 2 <= 900:
            planned.append((p, q, d))  # the extension south-west: 纬二路, 经六路 and 纬一路 west of 经七路
    return built, planned


_NETWORK_EDGES: dict[str, Callable[[Layout], tuple[list[Edge], list[Edge]]]] = {
    "water": _water_edges,
    "drainage": _drainage_edges,
    "power": _power_edges,
    "telecom": _telecom_edges,
    "gas": _gas_edges,
    "heat": _heat_edges,
}
