"""Hand-built parks for the build-out tests: a trunk road from a gateway, parcels off it, planned spurs.

Every figure is chosen so that the best plan can be worked out by hand: the road network's
service distance is 30 m, so a parcel 10 m beside a road is connected and one 200 m off it is not.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

from planner.analysis import readiness_inputs
from planner.config import ParkConfig
from planner.store import create_park
from planner.units import M2_PER_MU
from tests.conftest import GK, X0, Y0

DEPTH_M = 100.0


def parcel(pid: str, x: float, y: float, area_mu: float, status: str = "reserved") -> dict:
    """A parcel ``area_mu`` 亩 large, DEPTH_M deep, its south-west corner at (X0 + x, Y0 + y)."""
    width = area_mu * M2_PER_MU / DEPTH_M
    return {"parcel_id": pid, "status": status, "land_use": "100101",
            "geometry": box(X0 + x, Y0 + y, X0 + x + width, Y0 + y + DEPTH_M)}  # fmt: skip


def line(line_id: str, *points: tuple[float, float], in_service: bool = True, cost_wan: float | None = None) -> dict:
    return {"line_id": line_id, "in_service": in_service, "cost_wan": cost_wan,
            "geometry": LineString([(X0 + x, Y0 + y) for x, y in points])}  # fmt: skip


def source(source_id: str, kind: str, network: str, x: float, y: float, **capacity: float) -> dict:
    return {"source_id": source_id, "kind": kind, "network": network, "name": source_id, "in_service": True,
            "geometry": Point(X0 + x, Y0 + y), **capacity}  # fmt: skip


def write_park(path, parcels: list[dict], lines: dict[str, list[dict]], sources: list[dict], checklist=("road",)):
    """A park store at ``path`` with these layers and checklist; readiness computed and written."""
    from planner.analysis import update_readiness

    config = ParkConfig(park_id="BUILD", name="建设测试园区", crs_epsg=GK, checklist=tuple(checklist))
    store = create_park(path, config, overwrite=True)
    store.write_layer("sources", gpd.GeoDataFrame(pd.DataFrame(sources), geometry="geometry", crs=GK), by="test")
    for net, rows in lines.items():
        store.write_layer(f"{net}_lines", gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=GK), by="test")
    store.write_parcels(gpd.GeoDataFrame(pd.DataFrame(parcels), geometry="geometry", crs=GK), by="test")
    update_readiness(store, by="test")
    return store


GATEWAY = source("GW", "gateway", "road", 0, 0)
TRUNK = line("TRUNK", (0, 0), (1000, 0))


def knapsack_park(path):
    """Three parcels 200 m north of the trunk road, each reached only by a planned spur of its own.

    A: 10 亩 by a spur costing 6 万元 (10/6 = 1.67 亩 per 万元); B and C: 8 亩 each by spurs of 5 万元
    (1.6 亩 per 万元). With 10 万元 the best plan builds B's and C's spurs (16 亩); taking the best
    ratio first, greedy builds A's (10 亩) and has 4 万元 left, too little for another spur.
    """
    parcels = [parcel("A", 110, 200, 10), parcel("B", 410, 200, 8), parcel("C", 710, 200, 8),
               parcel("NEAR", 110, 10, 5, status="supplied")]  # fmt: skip
    roads = [TRUNK,
             line("SPUR-A", (100, 0), (100, 250), in_service=False, cost_wan=6.0),
             line("SPUR-B", (400, 0), (400, 250), in_service=False, cost_wan=5.0),
             line("SPUR-C", (700, 0), (700, 250), in_service=False, cost_wan=5.0)]  # fmt: skip
    return write_park(path, parcels, {"road": roads}, [GATEWAY])


def chain_park(path):
    """A parcel at the far end of two planned road sections in a row: the second needs the first.

    D (12 亩) lies beside the second section only (x 1410–1490, 10 m north of it); the first
    section (1000–1300, 40 万元) is its prerequisite; the second (1300–1600) costs 30 万元.
    """
    parcels = [parcel("D", 1410, 10, 12)]
    roads = [TRUNK,
             line("SEC-1", (1000, 0), (1300, 0), in_service=False, cost_wan=40.0),
             line("SEC-2", (1300, 0), (1600, 0), in_service=False, cost_wan=30.0)]  # fmt: skip
    return write_park(path, parcels, {"road": roads}, [GATEWAY])


def two_network_park(path):
    """A parcel beside the trunk road that lacks water and power: the two mains only pay together.

    The water main and the power cable run along the road to x = 250; E (15 亩, x 400–500) needs
    the planned water main (250→550, 100 万元) and the planned cable (250→550, 60 万元). Alone
    either readies nothing; with 160 万元 both are built and E is ready.
    """
    parcels = [parcel("E", 400, 15, 15)]
    lines = {
        "road": [TRUNK],
        "water": [line("W-1", (0, -8), (250, -8)), line("W-2", (250, -8), (550, -8), in_service=False, cost_wan=100.0)],
        "power": [line("E-1", (0, -14), (250, -14)),
                  line("E-2", (250, -14), (550, -14), in_service=False, cost_wan=60.0)],
    }  # fmt: skip
    sources = [GATEWAY, source("WW", "waterworks", "water", 0, -8, capacity_m3d=10000.0),
               source("SS", "substation", "power", 0, -14, capacity_kva=40000.0)]  # fmt: skip
    return write_park(path, parcels, lines, sources, checklist=("road", "water", "power"))


def inputs_of(store):
    return readiness_inputs(store)


def gas_park(path):
    """Three parcels beside the road waiting for the gas main along 纬三路, and a fourth beyond its end.

    The gas main is in service from the gas station to x = 200; the planned 纬三路燃气管线
    (G-2, 200→1400, 1.2 km, 180 万元) passes F1, F2, F3 (15 亩 each, x 400, 700, 1000); FAR (15 亩,
    x 1700) also needs its extension G-3 (1400→1900, 0.5 km, 80 万元), which needs G-2. So the
    cheapest answer is G-2 alone, 3 parcels, 45 亩, 180 万元; the next G-2 and G-3, 4 parcels,
    60 亩, 1.7 km, 260 万元. The parcels are 二类工业用地 (M2), for siting.
    """
    parcels = [dict(parcel(pid, x, 15, 15), land_use="100102")
               for pid, x in (("F1", 400), ("F2", 700), ("F3", 1000), ("FAR", 1700))]  # fmt: skip
    main = dict(line("G-2", (200, -8), (1400, -8), in_service=False, cost_wan=180.0), name="纬三路燃气管线")
    east = dict(line("G-3", (1400, -8), (1900, -8), in_service=False, cost_wan=80.0), name="纬三路燃气管线东延")
    gas = [line("G-1", (0, -8), (200, -8)), main, east]
    lines = {"road": [line("TRUNK", (0, 0), (2000, 0))], "gas": gas}
    sources = [GATEWAY, source("GS", "gas_station", "gas", 0, -8, capacity_nm3h=100000.0)]
    return write_park(path, parcels, lines, sources, checklist=("road", "gas"))
