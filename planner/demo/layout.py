"""The demo park's layout: its outline, the road grid, the blocks between the roads and the parcels.

The plan is drawn in local metres, ``u`` to the east and ``v`` to the north, and then turned
8° off north and placed east of Chuzhou by :class:`Frame`:

- a grid of arterial (40 m right of way) and branch roads (24 m) named 经一路 … 经十路
  (north–south) and 纬一路 … 纬八路 (east–west), with a link road to a highway interchange
  (the road network's gateway);
- blocks between the roads, corners cut at junctions, split into parcels of about 10 to
  800 mu that each keep road frontage; a river valley with its green corridor in the
  north-east and a village kept out of the north-west corner.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from planner.crs import CGCS2000, transformer
from planner.demo.districts import DISTRICTS, district_of
from planner.units import M2_PER_MU

__all__ = [
    "GATEWAY_UV",
    "HEIGHT_M",
    "ORIGIN_LON",
    "RIVER",
    "WIDTH_M",
    "Frame",
    "Layout",
    "Road",
    "zongdi_code",
]

ORIGIN_LON, ORIGIN_LAT = 118.262, 32.228  # south-west corner of the park
ROTATION_DEG = 8.0
WIDTH_M, HEIGHT_M = 4800.0, 3600.0

# (name, position, class, from, to)
NS_ROADS = [
    ("经一路", 0, "arterial", 0, 3000),
    ("经二路", 520, "branch", 0, 2000),
    ("经三路", 1050, "branch", 0, 3600),
    ("经四路", 1600, "arterial", 0, 3600),
    ("经五路", 2150, "branch", 0, 3000),
    ("经六路", 2700, "branch", 0, 3600),
    ("经七路", 3200, "arterial", 0, 3600),
    ("经八路", 3750, "branch", 900, 2500),
    ("经九路", 4300, "branch", 900, 3600),
    ("经十路", 4800, "arterial", 0, 3600),
]
EW_ROADS = [
    ("纬一路", 0, "arterial", 0, 4800),
    ("纬二路", 450, "branch", 0, 3200),
    ("纬三路", 900, "branch", 0, 4800),
    ("纬四路", 1500, "arterial", 0, 4800),
    ("纬五路", 2000, "branch", 0, 4800),
    ("纬六路", 2500, "branch", 1600, 4800),
    ("纬七路", 3000, "arterial", 0, 4800),
    ("纬八路", 3600, "branch", 1050, 4800),
]
HALF_WIDTH = {"arterial": 20.0, "branch": 12.0}
VILLAGE = box(-1, 3000, 1050, 3601)  # kept out of the park
RIVER = LineString([(2300, 3950), (2900, 3550), (3500, 3200), (4200, 2750), (4700, 2500), (5300, 2250)])
RIVER_CORRIDOR_HALF_M = 70.0
GATEWAY_UV = (-700.0, 1500.0)
HIGHWAY = LineString([(-700, -1500), (-700, 1500), (-650, 4600)])

MIN_PARCEL_MU = 10
MAX_PARCEL_MU = 800
CORNER_CUT_M = 14.0
"""How far beyond the widest road's edge a block's corner is cut at a junction."""
MIN_FRONTAGE_M = 30.0
"""The road frontage every parcel keeps when a block is split."""

_COUNTY = "341103"  # 滁州市南谯区
_DISTRICT_NO = {"logistics": 1, "equipment": 2, "electronics": 3, "vehicles": 4, "heavy": 5}


@dataclass(frozen=True)
class Road:
    """A road of the grid: along ``axis`` (``ns`` or ``ew``) at ``pos``, from ``lo`` to ``hi`` (local metres)."""

    name: str
    cls: str
    axis: str
    pos: float
    lo: float
    hi: float
    geom: LineString


class Frame:
    """Local plan metres (u east, v north, turned by ROTATION_DEG) to Gauss–Krüger metres."""

    def __init__(self, epsg: int) -> None:
        self.epsg = epsg
        x0, y0 = transformer(CGCS2000, epsg).transform(ORIGIN_LON, ORIGIN_LAT)
        self.x0, self.y0 = x0, y0
        t = math.radians(ROTATION_DEG)
        self.c, self.s = math.cos(t), math.sin(t)

    def xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gauss–Krüger coordinates of local points."""
        return self.x0 + u * self.c - v * self.s, self.y0 + u * self.s + v * self.c

    def uv(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Local coordinates of Gauss–Krüger points."""
        dx, dy = x - self.x0, y - self.y0
        return dx * self.c + dy * self.s, -dx * self.s + dy * self.c

    def to_gk(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """A layer drawn in local metres, placed in the park's CRS."""
        geoms = shapely.transform(frame.geometry.to_numpy(), lambda uv: np.column_stack(self.xy(uv[:, 0], uv[:, 1])))
        return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms, crs=self.epsg)


class Layout:
    """The park's outline, its road grid and the parcels between the roads, in local metres."""

    def __init__(self) -> None:
        self.boundary = box(0, 0, WIDTH_M, HEIGHT_M).difference(VILLAGE)
        self.roads = _roads()
        self.graph = _road_graph(self.roads)

    def road_lines(self) -> gpd.GeoDataFrame:
        """The ``road_lines`` layer: the grid, the highway and the link road to its interchange."""
        rows = [
            {
                "line_id": f"RD-{k:02d}",
                "name": road.name,
                "road_class": road.cls,
                "width_m": 2 * HALF_WIDTH[road.cls],
                "geometry": road.geom,
            }
            for k, road in enumerate(self.roads, start=1)
        ]
        rows.append(
            {"line_id": "RD-HW", "name": "滁马高速", "road_class": "highway", "width_m": 35.0, "geometry": HIGHWAY}
        )
        rows.append(
            {
                "line_id": "RD-LK",
                "name": "园区连接线",
                "road_class": "link",
                "width_m": 32.0,
                "geometry": LineString([GATEWAY_UV, (0.0, 1500.0)]),
            }
        )
        frame = pd.DataFrame(rows)
        frame["in_service"] = True
        return gpd.GeoDataFrame(frame, geometry="geometry")

    def blocks(self) -> list[Polygon]:
        """Land between the roads, corners cut at junctions, river corridor taken out."""
        lines = [r.geom for r in self.roads] + [self.boundary.boundary]
        faces = list(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))).geoms)
        cut = [r.geom.buffer(HALF_WIDTH[r.cls], cap_style="flat") for r in self.roads]
        for node in self.graph.nodes:
            widths = [HALF_WIDTH[d["cls"]] for _, _, d in self.graph.edges(node, data=True)]
            if self.graph.degree(node) >= 2:
                cut.append(Point(node).buffer(max(widths) + CORNER_CUT_M, quad_segs=1))
        cut.append(RIVER.buffer(RIVER_CORRIDOR_HALF_M))
        cut_all = shapely.union_all(cut)
        blocks = []
        for face in faces:
            if not self.boundary.contains(face.representative_point()):
                continue
            land = face.difference(cut_all)
            blocks += [g for g in shapely.get_parts(land) if g.area > MIN_PARCEL_MU * M2_PER_MU]
        blocks.sort(key=lambda g: (round(g.centroid.x, -1), round(g.centroid.y, -1)))
        return blocks

    def parcel_shapes(self, rng: np.random.Generator) -> list[tuple[Polygon, int, int]]:
        """(polygon, block number, number within block) of every parcel, sized by its district."""
        shapes = []
        for b, block in enumerate(self.blocks(), start=1):
            c = block.centroid
            lo, hi = DISTRICTS[district_of(c.x, c.y)].size_mu
            pieces = _split(rng, block, block.bounds, lo, hi, block.exterior.buffer(0.01))
            k = 0
            for piece in pieces:
                for part in shapely.get_parts(piece):
                    if part.geom_type == "Polygon" and part.area >= MIN_PARCEL_MU * M2_PER_MU:
                        k += 1
                        shapes.append((shapely.normalize(part).buffer(0), b, k))
        return shapes

    def parcel_table(self, shapes: list[tuple[Polygon, int, int]], district: np.ndarray) -> pd.DataFrame:
        """Each parcel's district, 宗地代码, name by its roads, and the land use and zoning of its district."""
        df = pd.DataFrame({"district": district})
        df["parcel_id"] = [zongdi_code(district[i], s[1], s[2]) for i, s in enumerate(shapes)]
        df["name"] = [self.parcel_name(s[0], s[2]) for s in shapes]
        df["land_use"] = [DISTRICTS[d].land_use for d in district]
        df["zone_industries"] = [DISTRICTS[d].zone for d in district]
        return df

    def parcel_name(self, poly: Polygon, k: int) -> str:
        """A parcel's name by the roads west and south of it: ``经三路以东、纬二路以北2号地块``."""
        c = poly.centroid
        west = max(
            (r for r in self.roads if r.axis == "ns" and r.pos <= c.x and r.lo <= c.y <= r.hi),
            key=lambda r: r.pos,
            default=None,
        )
        south = max(
            (r for r in self.roads if r.axis == "ew" and r.pos <= c.y and r.lo <= c.x <= r.hi),
            key=lambda r: r.pos,
            default=None,
        )
        w = f"{west.name}以东" if west else "园区西部"
        s = f"{south.name}以北" if south else "园区南部"
        return f"{w}、{s}{k}号地块"

    def nearest_node(self, uv: tuple[float, float]) -> tuple[float, float]:
        """The road junction or road end nearest a local point."""
        return min(self.graph.nodes, key=lambda n: (n[0] - uv[0]) ** 2 + (n[1] - uv[1]) ** 2)


def zongdi_code(district: str, block: int, k: int) -> str:
    """A 19-character 宗地代码: county, 地籍区, 地籍子区, GB (state-owned construction land), number."""
    return f"{_COUNTY}{_DISTRICT_NO[district]:03d}{block:03d}GB{k:05d}"


def _roads() -> list[Road]:
    ns = [
        Road(name, cls, "ns", float(u), float(v0), float(v1), LineString([(u, v0), (u, v1)]))
        for name, u, cls, v0, v1 in NS_ROADS
    ]
    ew = [
        Road(name, cls, "ew", float(v), float(u0), float(u1), LineString([(u0, v), (u1, v)]))
        for name, v, cls, u0, u1 in EW_ROADS
    ]
    return ns + ew


def _road_graph(roads: list[Road]) -> nx.Graph:
    """Intersections and the road segments between them, with the road of each segment."""
    graph = nx.Graph()
    ns = [r for r in roads if r.axis == "ns"]
    ew = [r for r in roads if r.axis == "ew"]
    for road in roads:
        others = ew if road.axis == "ns" else ns
        stops = {road.lo, road.hi}
        for o in others:
            if o.lo <= road.pos <= o.hi and road.lo <= o.pos <= road.hi:
                stops.add(o.pos)
        for a, b in itertools.pairwise(sorted(stops)):
            p = (road.pos, a) if road.axis == "ns" else (a, road.pos)
            q = (road.pos, b) if road.axis == "ns" else (b, road.pos)
            graph.add_edge(p, q, road=road.name, axis=road.axis, cls=road.cls, length=b - a)
    return graph


def _split(
    rng: np.random.Generator,
    poly: Polygon,
    rect: tuple[float, float, float, float],
    lo: float,
    hi: float,
    front: Polygon,
) -> list[Polygon]:
    """Split a block recursively until parcels are near a drawn size; every parcel keeps road frontage."""
    piece = poly.intersection(box(*rect))
    area_mu = piece.area / M2_PER_MU
    target = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if area_mu <= target and area_mu <= MAX_PARCEL_MU:
        return [piece]
    minx, miny, maxx, maxy = rect
    f = rng.uniform(0.38, 0.62)
    across = minx + f * (maxx - minx)
    along = miny + f * (maxy - miny)
    options = [
        [(minx, miny, across, maxy), (across, miny, maxx, maxy)],
        [(minx, miny, maxx, along), (minx, along, maxx, maxy)],
    ]
    if maxx - minx < maxy - miny:
        options.reverse()
    for halves in options:
        parts = [poly.intersection(box(*h)) for h in halves]
        if min(p.area for p in parts) < MIN_PARCEL_MU * M2_PER_MU:
            continue
        if min(p.boundary.intersection(front).length for p in parts) < MIN_FRONTAGE_M:
            continue  # a parcel without road frontage: not laid out that way
        return _split(rng, poly, halves[0], lo, hi, front) + _split(rng, poly, halves[1], lo, hi, front)
    return [piece]
