"""A realistic, deterministic demo park: 示范产业园（滁州）.

The park lies east of Chuzhou, Anhui (about 118.29°E, 32.25°N, CGCS2000
Gauss–Krüger zone 39, EPSG:4548). It is made up, but built the way parks are
laid out:

- a grid of arterial (40 m right of way) and branch roads (24 m) named 经一路 …
  经十路 (north–south) and 纬一路 … 纬八路 (east–west), turned 8° off north, with
  a link road to a highway interchange (the road network's gateway);
- blocks between the roads (corners cut at junctions) split into parcels of
  about 10 to 800 mu; a river valley with its green corridor in the north-east
  and a village kept out of the north-west corner;
- districts zoned for three leading industries (装备制造, 电子信息, 新能源汽车),
  a heavy-industry (三类) district, logistics by the interchange, and utility
  parcels for the sources;
- six utility networks along the roads, each from its source (a 110 kV and a
  35 kV substation, a waterworks, a sewage plant, a gas station, a telecom
  exchange, a heat plant), reaching only part of the park (the east's 35 kV
  substation has little left); one water main is
  cut off from the rest, and a planned gas main is not in service yet;
- a DEM with two hills and the river valley, so that some parcels are not level;
- every supply status, producing parcels with output, tax and energy figures in
  four performance tiers (so every per-mu class A–D occurs), and supplied parcels
  whose dates make them idle under the 2012 rules (not started, halted,
  reclaimable, and one government-caused delay) as of the build date, with the
  idle columns computed and ``idle_as_of`` recorded;
- declared 七通一平 records that mostly, but not always, match the networks; the
  readiness the networks and the DEM give is computed and written back.

Everything is drawn from one seeded random generator, relative to ``as_of``:
the same seed and date give the same park.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import rasterio
import shapely
from affine import Affine
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box

from planner.analysis import update_idle, update_readiness
from planner.config import LeadingIndustry, ParkConfig
from planner.crs import CGCS2000, gk_epsg, transformer
from planner.infra.layers import line_layer
from planner.store import GeoPackageStore, create_park
from planner.units import M2_PER_MU

__all__ = ["DEFAULT_SEED", "DemoPark", "build_demo", "demo_config", "standard_factories"]

DEFAULT_SEED = 20261122
ORIGIN_LON, ORIGIN_LAT = 118.262, 32.228  # south-west corner of the park
ROTATION_DEG = 8.0
WIDTH_M, HEIGHT_M = 4800.0, 3600.0
DEM_CELL_M = 10.0
PARK_ID = "CZ-DEMO"
BY = "planner demo"

# --- the plan, in local metres: u to the east, v to the north (before rotation) -----------------
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

LEADING = (
    LeadingIndustry("装备制造", ("C34", "C35"), "equipment manufacturing"),
    LeadingIndustry("电子信息", ("C39",), "electronics and information"),
    LeadingIndustry("新能源汽车", ("C36", "C384"), "new-energy vehicles"),
)


@dataclass(frozen=True)
class District:
    """A planning district: its zoning, land use, parcel sizes and typical enterprises."""

    key: str
    name: str
    land_use: str
    zone: str
    classes: tuple[str, ...]
    words: tuple[str, ...]
    size_mu: tuple[float, float]
    tce_per_wan: tuple[float, float]
    kva_mu: tuple[float, float]
    water_mu: tuple[float, float]
    far: tuple[float, float]
    coverage: tuple[float, float]
    invest_mu: tuple[float, float]
    price_mu: tuple[float, float]
    output_scale: float = 1.0
    """Typical output and tax relative to the park's per-mu floors (logistics earns less per mu)."""


DISTRICTS = {
    "equipment": District(
        "equipment",
        "装备制造区",
        "100102",
        "C34,C35",
        ("C3421", "C3441", "C3511", "C3491"),
        ("精密机械", "智能装备", "重工机械", "液压科技"),
        (40, 320),
        (0.03, 0.08),
        (15, 35),
        (1, 3),
        (0.8, 1.4),
        (0.40, 0.55),
        (250, 450),
        (18, 26),
    ),
    "electronics": District(
        "electronics",
        "电子信息区",
        "100101",
        "C39,C40",
        ("C3973", "C3976", "C3982"),
        ("电子科技", "光电", "半导体", "微电子"),
        (12, 110),
        (0.02, 0.05),
        (25, 60),
        (2, 6),
        (1.2, 2.2),
        (0.35, 0.50),
        (350, 700),
        (20, 30),
    ),
    "vehicles": District(
        "vehicles",
        "新能源汽车区",
        "100102",
        "C36,C384",
        ("C3612", "C3670", "C3841"),
        ("新能源汽车", "汽车零部件", "动力电池", "电驱科技"),
        (250, 800),
        (0.03, 0.07),
        (20, 45),
        (1.5, 4),
        (0.8, 1.3),
        (0.45, 0.60),
        (300, 600),
        (18, 26),
    ),
    "heavy": District(
        "heavy",
        "化工建材区",
        "100103",
        "C26,C30",
        ("C2614", "C3021"),
        ("化工", "新材料", "建材", "精细化学"),
        (50, 220),
        (0.3, 0.8),
        (30, 80),
        (4, 12),
        (0.6, 1.0),
        (0.35, 0.50),
        (300, 600),
        (16, 22),
    ),
    "logistics": District(
        "logistics",
        "物流园区",
        "110101",
        "G59",
        ("G5920",),
        ("物流", "供应链", "仓储"),
        (60, 260),
        (0.01, 0.02),
        (4, 10),
        (0.2, 0.6),
        (0.6, 1.2),
        (0.40, 0.60),
        (150, 300),
        (25, 35),
        output_scale=0.45,
    ),
}


def _district_of(u: float, v: float) -> str:
    if u < 520 and 900 <= v <= 2000:
        return "logistics"
    if u < 1600:
        return "equipment"
    if u < 3200:
        return "electronics"
    if u >= 3750 and 900 <= v <= 2000:
        return "heavy"
    return "vehicles"


# sources: (source_id, network, kind, name, (u, v), capacity column, capacity, voltage kV,
#           parcel land use, holder, industry)
SOURCES = [
    ("GW-1", "road", "gateway", "园区高速互通", GATEWAY_UV, None, None, None, None, None, None),
    (
        "SS-110-1",
        "power",
        "substation",
        "经开区110kV变电站",
        (1330, 1250),
        "capacity_kva",
        189_000,
        110,
        "1303",
        "国网滁州供电公司",
        "D4420",
    ),
    (
        "SS-35-2",
        "power",
        "substation",
        "东区35kV变电站",
        (3980, 2260),
        "capacity_kva",
        40_000,
        35,
        "1303",
        "国网滁州供电公司",
        "D4420",
    ),
    (
        "WW-1",
        "water",
        "waterworks",
        "园区第二水厂",
        (260, 2250),
        "capacity_m3d",
        60_000,
        None,
        "1301",
        "滁州市供水有限公司",
        "D4610",
    ),
    (
        "SP-1",
        "drainage",
        "sewage_plant",
        "园区污水处理厂",
        (4560, 2230),
        "capacity_m3d",
        40_000,
        None,
        "1302",
        "滁州市排水有限公司",
        "D4620",
    ),
    (
        "GS-1",
        "gas",
        "gas_station",
        "园区天然气门站",
        (1150, 260),
        "capacity_nm3h",
        20_000,
        None,
        "1304",
        "滁州华润燃气有限公司",
        "D4511",
    ),
    (
        "TE-1",
        "telecom",
        "telecom_exchange",
        "园区通信枢纽局",
        (1900, 1720),
        "capacity_ports",
        60_000,
        None,
        "1306",
        "中国电信滁州分公司",
        "I6311",
    ),
    (
        "HP-1",
        "heat",
        "heat_plant",
        "园区热电联产厂",
        (3480, 1230),
        "capacity_mw",
        150,
        None,
        "1305",
        "滁州热电有限公司",
        "D4430",
    ),
]

# lateral offset of each network from the road centreline (m) and pipe/cable attributes
OFFSETS = {"water": 8.0, "drainage": -8.0, "power": 14.0, "telecom": -14.0, "gas": 4.0, "heat": -4.0}


_TIERS = (  # (share of producing parcels, factor on the per-mu floors)
    (0.36, (1.1, 1.9)),
    (0.30, (0.8, 1.05)),
    (0.21, (0.45, 0.75)),
    (0.13, (0.1, 0.3)),
)


@dataclass
class DemoPark:
    """What :func:`build_demo` wrote."""

    path: Path
    dem_path: Path
    as_of: date
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    area_km2: float = 0.0


def demo_config() -> ParkConfig:
    """The demo park's configuration: 七通一平, three leading industries, national thresholds."""
    return ParkConfig(
        park_id=PARK_ID,
        name="示范产业园（滁州）",
        name_en="Demo Industrial Park (Chuzhou, Anhui)",
        crs_epsg=gk_epsg(ORIGIN_LON),
        leading_industries=LEADING,
        dem="dem.tif",
    )


def build_demo(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    as_of: date | None = None,
    overwrite: bool = True,
) -> DemoPark:
    """Build the demo park into ``out_dir``: ``park.gpkg`` and ``dem.tif``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed).
    seed
        Seed of the random generator; the same seed and ``as_of`` give the same park.
    as_of
        The date the park's records are as of (default: today); idle cases are
        dated relative to it.
    overwrite
        Replace an existing park file.
    """
    as_of = as_of or date.today()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    plan = _Plan(rng)

    config = demo_config()
    frame = _Frame(config.crs_epsg)
    parcels = plan.parcels(as_of)
    dem_path = out / "dem.tif"
    _write_dem(dem_path, plan, frame)

    store_path = out / "park.gpkg"
    store: GeoPackageStore = create_park(store_path, config, overwrite=overwrite)
    store.write_layer("road_lines", frame.to_gk(plan.road_lines()), by=BY)
    for net in OFFSETS:
        store.write_layer(line_layer(net), frame.to_gk(plan.utility_lines(net)), by=BY)
    store.write_layer("sources", frame.to_gk(plan.sources()), by=BY)
    store.write_parcels(frame.to_gk(parcels), by=BY)
    update_idle(store, as_of, by=BY)
    # the DEM is as new as the records: the declared leveling does not override it. Kept to the
    # millisecond: cut to the second, it fell before the parcels' history stamps of the same
    # second, and the leveling then depended on when the clock ticked
    taken = pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")
    store.set_metadata({"dem_date": taken}, by=BY)
    update_readiness(store, by=BY)
    store.write_layer("factories", standard_factories(store.read_parcels()), by=BY)

    stored = store.read_parcels()
    return DemoPark(
        path=store_path,
        dem_path=dem_path,
        as_of=as_of,
        seed=seed,
        counts=store.counts(),
        status_counts=stored["status"].value_counts().to_dict(),
        area_km2=float(stored["area_m2"].sum() / 1e6),
    )


def standard_factories(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Standard factories (标准厂房) on the three largest producing parcels of the electronics district.

    One four-storey building per parcel, its footprint the parcel less a 12 m setback;
    one building let in full, two with free floor area.
    """
    district = parcels["zone_industries"].fillna("").str.contains("C39")
    hosts = parcels[district & (parcels["status"] == "in_production") & (parcels["land_use"] == "100101")]
    hosts = hosts.sort_values(["area_m2", "parcel_id"], ascending=[False, True]).head(3)
    footprint = hosts.geometry.buffer(-12.0, join_style="mitre")
    floors = 4
    floor_area = footprint.area.to_numpy() * floors
    free_share = np.array([0.35, 0.6, 0.0])[: len(hosts)]
    return gpd.GeoDataFrame(
        {
            "factory_id": [f"SF-{i + 1}" for i in range(len(hosts))],
            "name": [f"电子信息标准厂房{'一二三'[i]}期" for i in range(len(hosts))],
            "parcel_id": hosts["parcel_id"].to_numpy(),
            "floors": floors,
            "floor_area_m2": floor_area.round(0),
            "free_floor_area_m2": (floor_area * free_share).round(0),
            "floor_load_kn_m2": 8.0,
        },
        geometry=footprint.to_numpy(),
        crs=parcels.crs,
    )


class _Frame:
    """Local plan metres (u east, v north, turned by ROTATION_DEG) to Gauss–Krüger metres."""

    def __init__(self, epsg: int) -> None:
        self.epsg = epsg
        x0, y0 = transformer(CGCS2000, epsg).transform(ORIGIN_LON, ORIGIN_LAT)
        self.x0, self.y0 = x0, y0
        t = math.radians(ROTATION_DEG)
        self.c, self.s = math.cos(t), math.sin(t)

    def xy(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.x0 + u * self.c - v * self.s, self.y0 + u * self.s + v * self.c

    def uv(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, dy = x - self.x0, y - self.y0
        return dx * self.c + dy * self.s, -dx * self.s + dy * self.c

    def to_gk(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        geoms = shapely.transform(frame.geometry.to_numpy(), lambda uv: np.column_stack(self.xy(uv[:, 0], uv[:, 1])))
        return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms, crs=self.epsg)


class _Plan:
    """The park's layout in local metres, and its records."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.boundary = box(0, 0, WIDTH_M, HEIGHT_M).difference(VILLAGE)
        self.roads = self._roads()
        self.graph = self._road_graph()
        self.noise = [
            (rng.uniform(250, 900), rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi), rng.uniform(0.08, 0.16))
            for _ in range(6)
        ]
        self._lines: dict[str, gpd.GeoDataFrame] = {}

    # -- terrain ---------------------------------------------------------------------------
    def elevation(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Ground elevation (m) at local points: a plain falling to the river, two hills, a valley."""
        u = np.asarray(u, dtype=float)
        v = np.asarray(v, dtype=float)
        z = 24.0 - 0.0009 * u - 0.0004 * v
        z += 36.0 * np.exp(-((u - 4550) ** 2 + (v - 300) ** 2) / (2 * 420.0**2))
        z += 20.0 * np.exp(-((u - 650) ** 2 + (v - 2650) ** 2) / (2 * 260.0**2))
        d = shapely.distance(shapely.points(u.ravel(), v.ravel()), RIVER).reshape(u.shape)
        z -= 7.0 * np.exp(-(d**2) / (2 * 110.0**2))
        for wavelength, a, b, amp in self.noise:
            z += amp * np.sin(2 * math.pi * (u * math.cos(a) + v * math.sin(a)) / wavelength + b)
        return z

    def relief(self, geoms: np.ndarray, n: int = 9) -> np.ndarray:
        """Elevation range (m) over a grid of points inside each polygon."""
        out = np.zeros(len(geoms))
        for i, g in enumerate(geoms):
            minx, miny, maxx, maxy = g.bounds
            uu, vv = np.meshgrid(np.linspace(minx, maxx, n), np.linspace(miny, maxy, n))
            inside = shapely.contains_xy(g, uu, vv)
            z = self.elevation(uu[inside], vv[inside]) if inside.any() else np.zeros(1)
            out[i] = float(z.max() - z.min())
        return out

    # -- roads -----------------------------------------------------------------------------
    def _roads(self) -> list[dict]:
        roads = []
        for name, u, cls, v0, v1 in NS_ROADS:
            roads.append(
                {
                    "name": name,
                    "cls": cls,
                    "axis": "ns",
                    "pos": float(u),
                    "lo": float(v0),
                    "hi": float(v1),
                    "geom": LineString([(u, v0), (u, v1)]),
                }
            )
        for name, v, cls, u0, u1 in EW_ROADS:
            roads.append(
                {
                    "name": name,
                    "cls": cls,
                    "axis": "ew",
                    "pos": float(v),
                    "lo": float(u0),
                    "hi": float(u1),
                    "geom": LineString([(u0, v), (u1, v)]),
                }
            )
        return roads

    def _road_graph(self) -> nx.Graph:
        """Intersections and the road segments between them, with the road of each segment."""
        graph = nx.Graph()
        ns = [r for r in self.roads if r["axis"] == "ns"]
        ew = [r for r in self.roads if r["axis"] == "ew"]
        for road in self.roads:
            others = ew if road["axis"] == "ns" else ns
            stops = {road["lo"], road["hi"]}
            for o in others:
                if o["lo"] <= road["pos"] <= o["hi"] and road["lo"] <= o["pos"] <= road["hi"]:
                    stops.add(o["pos"])
            stops_sorted = sorted(stops)
            for a, b in itertools.pairwise(stops_sorted):
                p = (road["pos"], a) if road["axis"] == "ns" else (a, road["pos"])
                q = (road["pos"], b) if road["axis"] == "ns" else (b, road["pos"])
                graph.add_edge(p, q, road=road["name"], axis=road["axis"], cls=road["cls"], length=b - a)
        return graph

    def road_lines(self) -> gpd.GeoDataFrame:
        rows = []
        for k, road in enumerate(self.roads, start=1):
            rows.append(
                {
                    "line_id": f"RD-{k:02d}",
                    "name": road["name"],
                    "road_class": road["cls"],
                    "width_m": 2 * HALF_WIDTH[road["cls"]],
                    "geometry": road["geom"],
                }
            )
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

    # -- blocks and parcels ----------------------------------------------------------------
    def blocks(self) -> list[Polygon]:
        """Land between the roads, corners cut at junctions, river corridor taken out."""
        lines = [r["geom"] for r in self.roads] + [self.boundary.boundary]
        faces = list(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))).geoms)
        cut = [r["geom"].buffer(HALF_WIDTH[r["cls"]], cap_style="flat") for r in self.roads]
        for node in self.graph.nodes:
            widths = [HALF_WIDTH[d["cls"]] for _, _, d in self.graph.edges(node, data=True)]
            if self.graph.degree(node) >= 2:
                cut.append(Point(node).buffer(max(widths) + 14.0, quad_segs=1))
        cut.append(RIVER.buffer(RIVER_CORRIDOR_HALF_M))
        cut_all = shapely.union_all(cut)
        blocks = []
        for face in faces:
            if not self.boundary.contains(face.representative_point()):
                continue
            land = face.difference(cut_all)
            blocks += [g for g in shapely.get_parts(land) if g.area > 10 * M2_PER_MU]
        blocks.sort(key=lambda g: (round(g.centroid.x, -1), round(g.centroid.y, -1)))
        return blocks

    def _split(
        self, poly: Polygon, rect: tuple[float, float, float, float], lo: float, hi: float, front
    ) -> list[Polygon]:
        """Split a block recursively until parcels are near a drawn size; every parcel keeps road frontage."""
        piece = poly.intersection(box(*rect))
        area_mu = piece.area / M2_PER_MU
        target = math.exp(self.rng.uniform(math.log(lo), math.log(hi)))
        if area_mu <= target and area_mu <= 800:
            return [piece]
        minx, miny, maxx, maxy = rect
        f = self.rng.uniform(0.38, 0.62)
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
            if min(p.area for p in parts) < 10 * M2_PER_MU:
                continue
            if min(p.boundary.intersection(front).length for p in parts) < 30.0:
                continue  # a parcel without road frontage: not laid out that way
            return self._split(poly, halves[0], lo, hi, front) + self._split(poly, halves[1], lo, hi, front)
        return [piece]

    def parcel_shapes(self) -> list[tuple[Polygon, int, int]]:
        """(polygon, block number, number within block) of every parcel."""
        shapes = []
        for b, block in enumerate(self.blocks(), start=1):
            c = block.centroid
            lo, hi = DISTRICTS[_district_of(c.x, c.y)].size_mu
            pieces = self._split(block, block.bounds, lo, hi, block.exterior.buffer(0.01))
            k = 0
            for piece in pieces:
                for part in shapely.get_parts(piece):
                    if part.geom_type == "Polygon" and part.area >= 10 * M2_PER_MU:
                        k += 1
                        shapes.append((shapely.normalize(part).buffer(0), b, k))
        return shapes

    # -- networks --------------------------------------------------------------------------
    def _edges(self, keep) -> list[tuple]:
        return [(p, q, d) for p, q, d in self.graph.edges(data=True) if keep((p[0] + q[0]) / 2, (p[1] + q[1]) / 2, d)]

    def _network_edges(self, net: str) -> tuple[list[tuple], list[tuple]]:
        """Edges of a network in service, and planned edges not in service."""
        if net == "water":
            main = self._edges(lambda u, v, d: u <= 3300 or (v <= 950 and u <= 4300))
            cut_off = self._edges(lambda u, v, d: v == 2500 and u >= 3750)  # built, never connected
            return main + cut_off, []
        if net == "drainage":
            return self._edges(lambda u, v, d: u <= 3750 or v >= 2000), []
        if net == "power":
            # not yet in the south-east hills nor in the new north-east
            return self._edges(
                lambda u, v, d: (
                    not (u > 3200 and v <= 900) and not (v >= 3000 and u > 2700) and not (u < 1100 and v > 2400)
                )
            ), []
        if net == "telecom":
            return self._edges(
                lambda u, v, d: (d["cls"] == "arterial" or u <= 3200) and not (u > 3750 and (v < 900 or v > 2000))
            ), []
        if net == "gas":
            built = self._edges(lambda u, v, d: (v <= 1500 and u <= 3200) or v == 1500)
            planned = self._edges(lambda u, v, d: v == 2000 and u >= 3200)
            return built, planned
        if net == "heat":
            plant = self._nearest_node(SOURCES[-1][4])
            near = nx.single_source_dijkstra_path_length(self.graph, plant, cutoff=1400, weight="length")
            return self._edges(lambda u, v, d: False) + [
                (p, q, d) for p, q, d in self.graph.edges(data=True) if p in near and q in near
            ], []
        raise ValueError(net)

    def _nearest_node(self, uv: tuple[float, float]) -> tuple[float, float]:
        return min(self.graph.nodes, key=lambda n: (n[0] - uv[0]) ** 2 + (n[1] - uv[1]) ** 2)

    def utility_lines(self, net: str) -> gpd.GeoDataFrame:
        if net in self._lines:
            return self._lines[net]
        built, planned = self._network_edges(net)
        offset = OFFSETS[net]
        rows = []
        for in_service, edges in ((True, built), (False, planned)):
            by_road: dict[str, list[LineString]] = {}
            for p, q, d in edges:
                du, dv = (offset, 0.0) if d["axis"] == "ns" else (0.0, offset)
                by_road.setdefault(d["road"], []).append(LineString([(p[0] + du, p[1] + dv), (q[0] + du, q[1] + dv)]))
            for road, segments in sorted(by_road.items()):
                merged = shapely.line_merge(MultiLineString(segments))
                for k, line in enumerate(shapely.get_parts(merged), start=1):
                    rows.append(
                        {
                            "line_id": f"{net[:2].upper()}-{road}-{k}{'' if in_service else '-规划'}",
                            "name": f"{road}{_NET_WORD[net]}",
                            "in_service": in_service,
                            **_line_attrs(net, road),
                            # run on past the junction, so the cross line is met as mains are laid
                            "geometry": _extend(line, abs(offset) + 1.0),
                        }
                    )
        lines = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry")
        for sid, snet, _kind, name, uv, *_ in SOURCES:
            if snet != net:
                continue
            live = lines[lines["in_service"]].geometry.union_all()
            src = Point(uv)
            tap = shapely.ops.nearest_points(src, live)[1]
            feeder = {
                "line_id": f"{net[:2].upper()}-{sid}-出线",
                "name": f"{name}出线",
                "in_service": True,
                **_line_attrs(net, "feeder"),
                "geometry": LineString([src, tap]),
            }
            lines = pd.concat([lines, gpd.GeoDataFrame([feeder], geometry="geometry")], ignore_index=True)
        self._lines[net] = gpd.GeoDataFrame(lines, geometry="geometry")
        return self._lines[net]

    def sources(self) -> gpd.GeoDataFrame:
        rows = []
        for sid, net, kind, name, uv, column, capacity, kv, *_ in SOURCES:
            row = {
                "source_id": sid,
                "network": net,
                "kind": kind,
                "name": name,
                "in_service": True,
                "geometry": Point(uv),
            }
            if column:
                row[column] = float(capacity)
            if kv:
                row["voltage_kv"] = float(kv)
            rows.append(row)
        return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry")

    # -- records ---------------------------------------------------------------------------
    def parcels(self, as_of: date) -> gpd.GeoDataFrame:
        rng = self.rng
        shapes = self.parcel_shapes()
        geoms = np.array([s[0] for s in shapes], dtype=object)
        n = len(geoms)
        centers = shapely.centroid(geoms)
        cu, cv = shapely.get_x(centers), shapely.get_y(centers)
        area_mu = shapely.area(geoms) / M2_PER_MU
        district = np.array([_district_of(u, v) for u, v in zip(cu, cv, strict=True)])
        relief = self.relief(geoms)
        roads = {r["name"]: r for r in self.roads}

        df = pd.DataFrame({"district": district})
        df["parcel_id"] = [_zongdi_code(district[i], s[1], s[2]) for i, s in enumerate(shapes)]
        df["name"] = [self._parcel_name(s[0], s[2], roads) for s in shapes]
        df["land_use"] = [DISTRICTS[d].land_use for d in district]
        df["zone_industries"] = [DISTRICTS[d].zone for d in district]

        # development wave: the west near the interchange first, hills and the far east last
        wave = cu / WIDTH_M + 0.25 * np.clip(relief - 2.0, 0, None) / 10 + rng.normal(0, 0.08, n)
        status = np.where(
            wave < 0.42,
            "in_production",
            np.where(
                wave < 0.52,
                "under_construction",
                np.where(wave < 0.62, "supplied", np.where(wave < 0.80, "reserved", "planned")),
            ),
        )
        status[(relief > 6.0) & (wave > 0.3)] = "planned"
        df["status"] = status

        util = self._utility_parcels(geoms)
        for i, src in util.items():
            name, land_use, holder, industry = src[3], src[8], src[9], src[10]
            df.loc[i, ["land_use", "zone_industries", "status", "holder", "industry"]] = [
                land_use,
                None,
                "in_production",
                holder,
                industry,
            ]
            df.loc[i, "name"] = name
        self._records(df, area_mu, as_of, util)
        self._readiness(df, geoms, relief)
        df["declared_area_mu"] = np.where(df["contract_date"].notna(), np.round(area_mu, 2), np.nan)
        contracted = np.flatnonzero(df["contract_date"].notna().to_numpy())
        for k, pos in enumerate(rng.choice(contracted, size=min(4, len(contracted)), replace=False)):
            df.loc[pos, "declared_area_mu"] = round(area_mu[pos] * (1.018 + 0.01 * k), 2)  # old survey
        df = df.drop(columns=["district"])
        return gpd.GeoDataFrame(df, geometry=geoms)

    def _parcel_name(self, poly: Polygon, k: int, roads: dict) -> str:
        c = poly.centroid
        west = max(
            (r for r in roads.values() if r["axis"] == "ns" and r["pos"] <= c.x and r["lo"] <= c.y <= r["hi"]),
            key=lambda r: r["pos"],
            default=None,
        )
        south = max(
            (r for r in roads.values() if r["axis"] == "ew" and r["pos"] <= c.y and r["lo"] <= c.x <= r["hi"]),
            key=lambda r: r["pos"],
            default=None,
        )
        w = f"{west['name']}以东" if west else "园区西部"
        s = f"{south['name']}以北" if south else "园区南部"
        return f"{w}、{s}{k}号地块"

    def _utility_parcels(self, geoms: np.ndarray) -> dict[int, tuple]:
        """The parcel that holds each source (except the gateway, which lies outside)."""
        tree = shapely.STRtree(geoms)
        chosen: dict[int, tuple] = {}
        for src in SOURCES[1:]:
            pos = int(tree.query_nearest(Point(src[4]))[0])
            while pos in chosen:  # two sources never share a parcel
                others = tree.query_nearest(Point(src[4]).buffer(150), all_matches=True)
                pos = int(next(i for i in others if i not in chosen))
            chosen[pos] = src
        return chosen

    def _records(self, df: pd.DataFrame, area_mu: np.ndarray, as_of: date, util: dict[int, tuple]) -> None:
        rng = self.rng
        n = len(df)
        d0 = pd.Timestamp(as_of)
        cols = {
            c: pd.Series([pd.NaT] * n, dtype="datetime64[ns]")
            for c in (
                "contract_date",
                "agreed_start_date",
                "actual_start_date",
                "agreed_completion_date",
                "halted_since",
            )
        }
        num = {
            c: np.full(n, np.nan)
            for c in (
                "land_price_wan",
                "investment_total_wan",
                "investment_actual_wan",
                "developed_area_m2",
                "floor_area_m2",
                "footprint_m2",
                "output_wan",
                "tax_wan",
                "energy_tce",
                "power_kva",
                "water_m3d",
            )
        }
        holder = df.get("holder", pd.Series([None] * n)).astype(object).tolist()
        industry = df.get("industry", pd.Series([None] * n)).astype(object).tolist()
        supply_mode: list[str | None] = [None] * n
        delay: list[str | None] = [None] * n
        status = df["status"].to_numpy()
        area_m2 = area_mu * M2_PER_MU

        def months(k: float) -> pd.DateOffset:
            return pd.DateOffset(months=round(k))

        supplied_idx = [i for i in range(n) if status[i] == "supplied"]
        building_idx = [i for i in range(n) if status[i] == "under_construction"]
        idle_cases = dict(zip(supplied_idx[:4], ["idle", "reclaim", "government", "idle_late"], strict=False))
        halt_cases = dict(zip(building_idx[:3], ["halted_idle", "halted_recent", "halted_reclaim"], strict=False))

        for i in range(n):
            if i in util:
                src = util[i]
                contract = d0 - months(rng.uniform(60, 140))
                cols["contract_date"][i] = contract
                cols["agreed_start_date"][i] = contract + months(3)
                cols["actual_start_date"][i] = contract + months(4)
                cols["agreed_completion_date"][i] = contract + months(24)
                supply_mode[i] = "allocation"
                num["developed_area_m2"][i] = area_m2[i]
                num["floor_area_m2"][i] = area_m2[i] * rng.uniform(0.3, 0.6)
                num["footprint_m2"][i] = area_m2[i] * rng.uniform(0.2, 0.35)
                num["investment_total_wan"][i] = num["investment_actual_wan"][i] = area_mu[i] * rng.uniform(300, 600)
                holder[i], industry[i] = src[9], src[10]
                continue
            dist = DISTRICTS[df.at[i, "district"]]
            s = status[i]
            if s in ("planned", "reserved"):
                continue
            leased = dist.key == "electronics" and area_mu[i] < 30 and rng.random() < 0.3
            # the idle cases are granted land with a price, so their idle-land fee can be computed
            supply_mode[i] = "lease" if leased and i not in idle_cases and i not in halt_cases else "grant"
            industry[i] = str(rng.choice(dist.classes))
            holder[i] = _company(rng, dist)
            price = area_mu[i] * rng.uniform(*dist.price_mu)
            num["land_price_wan"][i] = round(price, 1) if supply_mode[i] == "grant" else np.nan
            invest = area_mu[i] * rng.uniform(*dist.invest_mu)
            num["investment_total_wan"][i] = round(invest, 0)
            if s == "in_production":
                contract = d0 - months(rng.uniform(30, 150))
            elif s == "under_construction":
                contract = d0 - months(rng.uniform(14, 30))
            else:
                contract = d0 - months(rng.uniform(2, 12))
            agreed_start = contract + months(rng.uniform(3, 6))
            cols["contract_date"][i] = contract
            cols["agreed_start_date"][i] = agreed_start
            cols["agreed_completion_date"][i] = agreed_start + months(rng.uniform(18, 30))
            if s == "supplied":
                case = idle_cases.get(i)
                if case == "idle":  # not started 16 months after the agreed date: idle, fee due
                    cols["contract_date"][i] = d0 - months(22)
                    cols["agreed_start_date"][i] = d0 - months(16)
                elif case == "reclaim":  # over two years: reclaimable
                    cols["contract_date"][i] = d0 - months(36)
                    cols["agreed_start_date"][i] = d0 - months(30)
                elif case == "government":  # delayed: land not delivered as agreed
                    cols["contract_date"][i] = d0 - months(26)
                    cols["agreed_start_date"][i] = d0 - months(20)
                    delay[i] = "land_not_delivered"
                elif case == "idle_late":  # eleven months late: not idle yet
                    cols["contract_date"][i] = d0 - months(17)
                    cols["agreed_start_date"][i] = d0 - months(11)
                if case:
                    cols["agreed_completion_date"][i] = cols["agreed_start_date"][i] + months(24)
                continue
            start = agreed_start + months(rng.uniform(-1, 4))
            start = min(start, d0 - pd.DateOffset(days=30))
            cols["actual_start_date"][i] = start
            if s == "under_construction":
                share = rng.uniform(0.35, 0.8)
                case = halt_cases.get(i)
                if case:
                    share = {"halted_idle": 0.2, "halted_recent": 0.25, "halted_reclaim": 0.15}[case]
                    back = {"halted_idle": 15, "halted_recent": 7, "halted_reclaim": 27}[case]
                    cols["actual_start_date"][i] = d0 - months(back + 6)
                    cols["contract_date"][i] = d0 - months(back + 12)
                    cols["agreed_start_date"][i] = d0 - months(back + 8)
                    cols["agreed_completion_date"][i] = d0 - months(back - 16)
                    cols["halted_since"][i] = d0 - months(back)
                num["developed_area_m2"][i] = round(area_m2[i] * share, 0)
                num["investment_actual_wan"][i] = round(invest * share * rng.uniform(0.8, 1.1), 0)
                if case:
                    num["investment_actual_wan"][i] = round(invest * share * 0.9, 0)
                continue
            # in production: a performance tier around the park's per-mu floors (20 万元 tax, 400 万元 output)
            tier = rng.choice(len(_TIERS), p=[t[0] for t in _TIERS])
            factor = rng.uniform(*_TIERS[tier][1])
            weak = tier == len(_TIERS) - 1
            output = area_mu[i] * 400.0 * dist.output_scale * factor * rng.uniform(0.9, 1.1)
            num["output_wan"][i] = round(output, 0)
            num["tax_wan"][i] = round(area_mu[i] * 20.0 * dist.output_scale * factor * rng.uniform(0.85, 1.15), 1)
            num["energy_tce"][i] = round(output * rng.uniform(*dist.tce_per_wan), 1)
            num["power_kva"][i] = round(area_mu[i] * rng.uniform(*dist.kva_mu), -1)
            num["water_m3d"][i] = round(area_mu[i] * rng.uniform(*dist.water_mu), 0)
            far = rng.uniform(*dist.far) * (rng.uniform(0.5, 0.8) if weak else 1.0)
            num["footprint_m2"][i] = math.floor(area_m2[i] * rng.uniform(*dist.coverage))
            num["floor_area_m2"][i] = max(round(area_m2[i] * far, 0), num["footprint_m2"][i])
            num["developed_area_m2"][i] = math.floor(area_m2[i])
            num["investment_actual_wan"][i] = round(invest * rng.uniform(0.85, 1.0), 0)
        for c, v in cols.items():
            df[c] = v.values
        for c, v in num.items():
            df[c] = v
        df["holder"] = holder
        df["industry"] = industry
        df["supply_mode"] = supply_mode
        df["delay_cause"] = delay
        building = df["status"].isin(["under_construction"]).to_numpy()
        for c in ("power_kva", "water_m3d"):  # planned demand of projects being built
            dist_rows = [DISTRICTS[d] for d in df["district"]]
            rate = np.array([np.mean(dr.kva_mu if c == "power_kva" else dr.water_mu) for dr in dist_rows])
            df.loc[building, c] = np.round(area_mu[building] * rate[building], 0)

    def _readiness(self, df: pd.DataFrame, geoms: np.ndarray, relief: np.ndarray) -> None:
        """Declared 七通一平: what the records say, mostly the truth, sometimes not."""
        rng = self.rng
        n = len(df)
        reach = {
            "road": 30.0,
            "water": 60.0,
            "drainage": 60.0,
            "power": 100.0,
            "telecom": 100.0,
            "gas": 60.0,
            "heat": 60.0,
        }
        developed = df["status"].isin(["under_construction", "in_production"]).to_numpy()
        for item, dist_m in reach.items():
            if item == "road":
                lines = np.array([r["geom"] for r in self.roads], dtype=object)
            else:
                net = self.utility_lines(item)
                lines = net[net["in_service"]].geometry.to_numpy()
            tree = shapely.STRtree(lines)
            _, d = tree.query_nearest(geoms, return_distance=True, all_matches=False)
            near = d <= dist_m
            declared = near.copy()
            # records that say connected where nothing reaches, and outdated ones that say not
            optimistic = ~near & (rng.random(n) < (0.12 if item in ("water", "drainage", "gas") else 0.05))
            stale = near & ~developed & (rng.random(n) < 0.04)
            declared = (declared | optimistic) & ~stale
            unknown = df["status"].eq("planned").to_numpy() & (rng.random(n) < 0.3)
            values = pd.array(declared, dtype="boolean")
            values[unknown] = pd.NA
            df[f"declared_{item}"] = values
        leveled = (relief <= 2.0) | developed
        leveled = leveled ^ (~developed & (rng.random(n) < 0.05))
        df["declared_leveled"] = pd.array(leveled, dtype="boolean")


_NET_WORD = {
    "water": "给水管",
    "drainage": "污水管",
    "power": "10kV电缆",
    "telecom": "通信管道",
    "gas": "中压燃气管",
    "heat": "蒸汽管",
}


def _extend(line: LineString, by: float) -> LineString:
    """The line lengthened by ``by`` metres at both ends, along its end segments."""
    xy = np.asarray(line.coords, dtype=float)
    head = xy[0] - xy[1]
    tail = xy[-1] - xy[-2]
    xy[0] = xy[0] + head / np.linalg.norm(head) * by
    xy[-1] = xy[-1] + tail / np.linalg.norm(tail) * by
    return LineString(xy)


def _line_attrs(net: str, road: str) -> dict:
    feeder = road == "feeder"
    if net == "power":
        return {"voltage_kv": 10.0}
    if net == "water":
        return {"diameter_mm": 600.0 if feeder else 300.0}
    if net == "drainage":
        return {"diameter_mm": 1200.0 if feeder else 800.0}
    if net == "gas":
        return {"diameter_mm": 300.0 if feeder else 200.0}
    if net == "heat":
        return {"diameter_mm": 500.0 if feeder else 300.0}
    return {}


_COUNTY = "341103"  # 滁州市南谯区
_DISTRICT_NO = {"logistics": 1, "equipment": 2, "electronics": 3, "vehicles": 4, "heavy": 5}


def _zongdi_code(district: str, block: int, k: int) -> str:
    """A 19-character 宗地代码: county, 地籍区, 地籍子区, GB (state-owned construction land), number."""
    return f"{_COUNTY}{_DISTRICT_NO[district]:03d}{block:03d}GB{k:05d}"


_FIRMS = (
    "华瑞",
    "恒通",
    "天元",
    "博远",
    "中科",
    "金鼎",
    "凯盛",
    "信德",
    "鸿运",
    "瑞丰",
    "宏达",
    "诚毅",
    "星辰",
    "汇川",
    "启明",
    "明阳",
    "同创",
    "安力",
    "远景",
    "嘉禾",
    "卓越",
    "永固",
    "天合",
    "振华",
)


def _company(rng: np.random.Generator, district: District) -> str:
    prefix = "滁州" if rng.random() < 0.5 else "安徽"
    return f"{prefix}{rng.choice(_FIRMS)}{rng.choice(district.words)}有限公司"


def _write_dem(path: Path, plan: _Plan, frame: _Frame) -> None:
    """The DEM as a GeoTIFF in the park CRS: 10 m cells over the park and a 300 m margin."""
    corners_u = np.array([-800.0, WIDTH_M + 300, WIDTH_M + 300, -800.0])
    corners_v = np.array([-300.0, -300.0, HEIGHT_M + 300, HEIGHT_M + 300])
    x, y = frame.xy(corners_u, corners_v)
    west, east = math.floor(x.min() / DEM_CELL_M) * DEM_CELL_M, math.ceil(x.max() / DEM_CELL_M) * DEM_CELL_M
    south, north = math.floor(y.min() / DEM_CELL_M) * DEM_CELL_M, math.ceil(y.max() / DEM_CELL_M) * DEM_CELL_M
    cols, rows = int((east - west) / DEM_CELL_M), int((north - south) / DEM_CELL_M)
    xs = west + (np.arange(cols) + 0.5) * DEM_CELL_M
    ys = north - (np.arange(rows) + 0.5) * DEM_CELL_M
    gx, gy = np.meshgrid(xs, ys)
    u, v = frame.uv(gx, gy)
    z = plan.elevation(u, v).astype("float32")
    profile = {
        "driver": "GTiff",
        "width": cols,
        "height": rows,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{frame.epsg}",
        "transform": Affine(DEM_CELL_M, 0.0, west, 0.0, -DEM_CELL_M, north),
        "nodata": -9999.0,
        "compress": "deflate",
        "predictor": 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    tmp = path.with_suffix(".tif.part")
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(z, 1)
        dst.update_tags(AREA_OR_POINT="Area", UNITS="m", SOURCE="planner demo (synthetic terrain)")
    tmp.replace(path)
