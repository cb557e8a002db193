"""A province on Dask: readiness, idle land and per-mu evaluation of many parks, against one machine.

    python -m bench.province --parcels 200000 --parks 8

The province is synthetic (:func:`synthetic_province`): parks in three Gauss–Krüger
zones, each a road grid with six utility networks along parts of it (some lines out of
service), sources with limited capacity, parcels of every status. The single-machine
path (one park after the other, :func:`planner.province.local_readiness`) is timed
against the Dask path (:func:`planner.province.province_readiness`) on a
``distributed.LocalCluster`` of 1 and 2 worker processes, and the bench checks both give
the same tables row by row.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.config import CHECKLIST_PRESETS, ParkConfig
from planner.parcels.validation import validate_parcels
from planner.province import (
    ParkData,
    Province,
    differences,
    local_evaluation,
    local_idle,
    local_readiness,
    province_evaluation,
    province_idle,
    province_readiness,
)
from planner.vocab import NETWORK_ITEMS

STEP = 120.0
ZONES = (4547, 4548, 4549)  # CGCS2000 3-degree Gauss–Krüger, central meridians 114°, 117°, 120°E
INDUSTRIES = np.array(["C3421", "C3670", "C3982", "C2651", "C2720", "C3311", "C1713", "C3911"], dtype=object)
CAPACITY = {
    "power": ("substation", "capacity_kva", "power_kva_per_mu"),
    "water": ("waterworks", "capacity_m3d", "water_m3d_per_mu"),
    "drainage": ("sewage_plant", "capacity_m3d", "water_m3d_per_mu"),
    "gas": ("gas_station", "capacity_nm3h", None),
    "heat": ("heat_plant", "capacity_mw", None),
    "telecom": ("telecom_exchange", "capacity_ports", None),
    "road": ("gateway", None, None),
}
AS_OF = "2026-06-30"


def synthetic_park(park_id: str, epsg: int, n: int, *, origin: tuple[float, float], seed: int) -> ParkData:
    """A park of ``n`` parcels on a 120 m road grid with seven networks, in ``epsg`` with its corner at ``origin``."""
    rng = np.random.default_rng(seed)
    x0, y0 = origin
    side = math.ceil(math.sqrt(n / 0.8)) + 1  # four cells in five hold a parcel
    coords = np.arange(side + 1) * STEP
    lines = {}
    for k, net in enumerate(NETWORK_ITEMS):
        if net == "heat" and seed % 4 == 3:
            continue  # a park without a heat layer: its records decide
        offset = 0.0 if net == "road" else 4.0 * (k - 3)
        share = 1.0 if net in ("road", "power", "water") else 0.75 if net in ("drainage", "telecom") else 0.45
        cut = coords[-1] * share
        low, high = offset, cut + offset
        geoms = [shapely.linestrings([(x0 + x + offset, y0 + low), (x0 + x + offset, y0 + high)]) for x in coords]
        geoms += [
            shapely.linestrings([(x0 + low, y0 + y + offset), (x0 + high, y0 + y + offset)]) for y in coords if y <= cut
        ]
        # a few service lanes, diagonal across a cell: bent edges, and taps that are not on the grid
        for _ in range(max(1, side // 4)):
            i, j = rng.integers(0, max(1, int(side * share) - 1), 2)
            a = (x0 + coords[i] + offset, y0 + coords[j] + offset)
            geoms.append(shapely.linestrings([a, (a[0] + STEP / 2, a[1] + STEP / 3), (a[0] + STEP, a[1] + STEP)]))
        layer = gpd.GeoDataFrame(
            {"line_id": [f"{park_id}-{net}-{i}" for i in range(len(geoms))]}, geometry=geoms, crs=epsg
        )
        layer["in_service"] = rng.random(len(layer)) > (0.03 if net != "gas" or seed % 4 != 2 else 1.1)
        lines[net] = layer
    cells = rng.choice(side * side, size=n, replace=False)
    cx, cy = x0 + (cells % side) * STEP, y0 + (cells // side) * STEP
    margin = 10.0 + rng.uniform(0, 22, n)
    geoms = shapely.box(cx + margin, cy + margin, cx + STEP - margin, cy + STEP - margin)
    bent = rng.random(n) < 0.05  # an L: not convex, settled by GEOS
    geoms[bent] = shapely.difference(
        geoms[bent], shapely.box(cx[bent] + 60, cy[bent] + 60, cx[bent] + 200, cy[bent] + 200)
    )
    status = rng.choice(
        ["planned", "reserved", "supplied", "under_construction", "in_production"], n, p=[0.1, 0.3, 0.15, 0.1, 0.35]
    )
    supplied = np.isin(status, ["supplied", "under_construction", "in_production"])
    started = np.isin(status, ["under_construction", "in_production"]) | (supplied & (rng.random(n) < 0.3))
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n), unit="D")
    agreed = day + pd.to_timedelta(rng.integers(60, 400, n), unit="D")
    actual = agreed + pd.to_timedelta(rng.integers(-30, 500, n), unit="D")
    halted = actual + pd.to_timedelta(rng.integers(100, 900, n), unit="D")
    producing = status == "in_production"
    area = shapely.area(geoms)
    frame = gpd.GeoDataFrame(
        {
            "parcel_id": [f"{park_id}-{i:06d}" for i in range(n)],
            "status": status,
            "supply_mode": np.where(supplied, "出让", None),
            "holder": np.where(supplied, [f"企业{i}" for i in range(n)], None),
            "land_use": rng.choice(["100101", "100102", "100103", "1101"], n, p=[0.3, 0.4, 0.2, 0.1]),
            "industry": np.where(supplied, rng.choice(INDUSTRIES, n), None),
            "contract_date": np.where(supplied, day.strftime("%Y-%m-%d"), None),
            "agreed_start_date": np.where(supplied, agreed.strftime("%Y-%m-%d"), None),
            "actual_start_date": np.where(started, actual.strftime("%Y-%m-%d"), None),
            "halted_since": np.where(
                started & (status == "under_construction") & (rng.random(n) < 0.4), halted.strftime("%Y-%m-%d"), None
            ),
            "land_price_wan": np.where(supplied, np.round(area * 15 / 10000 * rng.uniform(8, 30, n), 2), np.nan),
            "investment_total_wan": np.where(
                supplied, np.round(area * 15 / 10000 * rng.uniform(150, 600, n), 1), np.nan
            ),
            "investment_actual_wan": np.where(
                started, np.round(area * 15 / 10000 * rng.uniform(10, 500, n), 1), np.nan
            ),
            "developed_area_m2": np.where(started, np.round(area * rng.uniform(0.05, 1, n), 1), np.nan),
            "delay_cause": np.where(supplied & (rng.random(n) < 0.05), "plan_revised", None),
            "power_kva": np.where(producing & (rng.random(n) < 0.5), np.round(rng.uniform(200, 6000, n)), np.nan),
            "water_m3d": np.where(producing & (rng.random(n) < 0.5), np.round(rng.uniform(20, 900, n)), np.nan),
            "output_wan": np.where(
                producing, np.round(area * 15 / 10000 * rng.lognormal(np.log(400), 0.6, n), 1), np.nan
            ),
            "tax_wan": np.where(producing, np.round(area * 15 / 10000 * rng.lognormal(np.log(20), 0.7, n), 2), np.nan),
            "energy_tce": np.where(producing & (rng.random(n) < 0.9), np.round(rng.uniform(100, 5000, n), 1), np.nan),
            "floor_area_m2": np.where(producing, np.round(area * rng.uniform(0.4, 1.8, n), 1), np.nan),
            **{f"declared_{net}": rng.random(n) < 0.8 for net in NETWORK_ITEMS},
            "declared_leveled": rng.random(n) < 0.85,
        },
        geometry=geoms,
        crs=epsg,
    )
    parcels = validate_parcels(frame, crs_epsg=epsg, park_id=park_id).parcels
    rows = []
    for net, (kind, column, _per_mu) in CAPACITY.items():
        if net not in lines:
            continue
        offset = 0.0 if net == "road" else 4.0 * (NETWORK_ITEMS.index(net) - 3)
        share = 1.0 if net in ("road", "power", "water") else 0.75 if net in ("drainage", "telecom") else 0.45
        for j in range(3):  # three sources per network on the grid's west edge
            y = coords[(j + 1) * int(len(coords) * share) // 4]
            row = {
                "source_id": f"{park_id}-{net}-S{j}",
                "network": net,
                "kind": kind,
                "name": f"{net}{j}号",
                "in_service": True,
                "geometry": shapely.Point(x0 + offset, y0 + y + offset),
            }
            if column:
                # tight: one source in three runs out before serving every parcel it reaches
                row[column] = float(rng.uniform(0.5, 3.0) * n * (40 if net in ("power",) else 5))
            rows.append(row)
    sources = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=epsg)
    reach = side * STEP
    networks = {
        net: {"service_distance_m": 30.0 + 10.0 * (seed % 3), "service_radius_m": reach * (0.6 + 0.2 * (seed % 2))}
        for net in NETWORK_ITEMS
    }
    checklist = CHECKLIST_PRESETS[("七通一平", "五通一平", "三通一平")[seed % 3]]
    thresholds = {"idle_after_years": 1.0 + (seed % 2), "tax_min_wan_per_mu": 15.0 + 5 * (seed % 3)}
    config = ParkConfig(park_id=park_id, name=f"园区{park_id}", crs_epsg=epsg, checklist=checklist, networks=networks)
    config = config.with_changes(thresholds={**config.thresholds, **thresholds})
    return ParkData(config, parcels, lines, sources)


def synthetic_province(parks: int, parcels: int, *, seed: int = 11) -> Province:
    """``parks`` parks of about ``parcels / parks`` parcels each, spread over three zones (20 km apart in each)."""
    out = []
    for k in range(parks):
        epsg = ZONES[k % len(ZONES)]
        size = max(1, round(parcels / parks * (0.6 + 0.8 * ((k * 7919) % parks) / max(parks - 1, 1))))
        origin = (430_000.0 + 9_000.0 * (k // len(ZONES)), 3_350_000.0 + 31_000.0 * (k // len(ZONES)))
        out.append(synthetic_park(f"P{k:02d}", epsg, size, origin=origin, seed=seed + k))
    return Province(out)


def _peak_mib() -> float:
    """This process's peak resident memory (MiB), from VmHWM: getrusage's ru_maxrss survives exec, so a
    worker process spawned by a big client would report the client's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=200_000)
    parser.add_argument("--parks", type=int, default=8)
    parser.add_argument("--partitions", type=int, default=None, help="default: one per 25,000 parcels")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="LocalCluster sizes to time")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    province = synthetic_province(args.parks, args.parcels)
    print(
        f"province: {len(province):,} parcels in {len(province.parks)} parks; "
        f"built in {time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    want = local_readiness(province)
    local_s = time.perf_counter() - start
    start = time.perf_counter()
    want_idle, want_eval = local_idle(province, AS_OF), local_evaluation(province)
    local_land_s = time.perf_counter() - start
    print(
        f"single machine: readiness {local_s:.1f} s; idle + evaluation {local_land_s:.1f} s; "
        f"peak {_peak_mib():,.0f} MiB"
    )
    for workers in args.workers:
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            start = time.perf_counter()
            got = province_readiness(province, client=client, partitions=args.partitions)
            dask_s = time.perf_counter() - start
            start = time.perf_counter()
            got_idle = province_idle(province, AS_OF, client=client, partitions=args.partitions)
            got_eval = province_evaluation(province, client=client, partitions=args.partitions)
            land_s = time.perf_counter() - start
            memory = client.run(_peak_mib)
        problems = differences(want, got) + differences(want_idle, got_idle) + differences(want_eval, got_eval)
        print(
            f"dask, LocalCluster of {workers} worker process(es): readiness {dask_s:.1f} s "
            f"({local_s / dask_s:.2f}× one machine); idle + evaluation {land_s:.1f} s; "
            f"peak per worker {max(memory.values()):,.0f} MiB; client peak {_peak_mib():,.0f} MiB; "
            + ("same tables row by row" if not problems else f"DIFFERENT: {problems}")
        )


if __name__ == "__main__":
    main()
