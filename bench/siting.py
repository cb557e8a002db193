"""Siting: one project against N parcels, and a batch of projects assigned exactly.

    python -m bench.siting --parcels 1000000 --assign-parcels 100000 --projects 200

The park is synthetic: columns of adjoining rectangular parcels (10–400 亩) with the
statuses, land classes, zoning, readiness and per-source capacities of a real park
(power, water and sewage sources each serving a district). Goals (issue 5): one
project against 1,000,000 parcels in under 200 ms after the park is loaded; 200
projects against 100,000 parcels assigned exactly in under 30 s.

Baseline for matching: the same hard rules checked the naive way, one parcel at a time
in Python (on a sample, extrapolated; the bench checks both find the same parcels).
"""

from __future__ import annotations

import argparse
import resource
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from bench.store import timed
from planner.config import LeadingIndustry, ParkConfig
from planner.infra.coverage import Coverage
from planner.siting import SiteIndex, assign, greedy, match, parse_project
from planner.siting.rules import RuleContext, rules_for
from planner.siting.site import CAPACITY_NETWORKS
from planner.vocab import CHECKLIST_ITEMS

ZONES = np.array(["C39,C40", "C36,C384", "C34,C35", "C26,C30", "C27", ""], dtype=object)
ZONE_INDUSTRY = np.array(["C3982", "C3670", "C3421", "C2651", "C2720", "C3311"], dtype=object)
PARCELS_PER_SOURCE = 4000
PER_COLUMN = 40


def synthetic_park(n: int, seed: int = 5) -> tuple[gpd.GeoDataFrame, dict[str, Coverage]]:
    """``n`` parcels in columns 200 m wide (parcels adjoin within a column), and coverage of three networks."""
    rng = np.random.default_rng(seed)
    mu = np.clip(rng.lognormal(np.log(40), 0.8, n), 10, 400)
    height = mu * (10000 / 15) / 200.0
    col = np.arange(n) // PER_COLUMN
    top = np.cumsum(height)
    base = np.repeat(np.concatenate([[0.0], top[PER_COLUMN - 1 :: PER_COLUMN]]), PER_COLUMN)[:n]
    y_lo = np.concatenate([[0.0], top[:-1]]) - base  # the same float as the neighbour's top: parcels adjoin exactly
    y_hi = top - base
    x0 = 620_000.0 + (col % 300) * 220.0
    y_block = 3_570_000.0 + (col // 300) * 40_000.0  # 300 columns side by side, then the next row of them
    geoms = shapely.box(x0, y_block + y_lo, x0 + 200.0, y_block + y_hi)
    status = rng.choice(
        ["planned", "reserved", "supplied", "under_construction", "in_production"], n, p=[0.05, 0.2, 0.1, 0.15, 0.5]
    )
    zone_k = (col // 3) % len(ZONES)  # districts of three columns
    land_use = np.where(
        zone_k == 3, "100103", np.where(np.isin(zone_k, [1, 2, 4]), "100102", rng.choice(["100101", "100102"], n))
    )
    frame = gpd.GeoDataFrame(
        {
            "parcel_id": [f"B{i:07d}" for i in range(n)],
            "status": status,
            "land_use": land_use,
            "zone_industries": np.where(ZONES[zone_k] == "", None, ZONES[zone_k]),
            "industry": np.where(np.isin(status, ["under_construction", "in_production"]), ZONE_INDUSTRY[zone_k], None),
        },
        geometry=geoms,
        crs=4548,
    )
    frame["area_m2"] = shapely.area(geoms)
    frame["area_mu"] = frame["area_m2"] * 15 / 10000
    share = {"gas": 0.55, "heat": 0.45, "leveled": 0.8}
    for item in CHECKLIST_ITEMS:
        frame[f"declared_{item}"] = rng.random(n) < share.get(item, 0.85)
    frame["earthwork_m3"] = frame["area_m2"] * rng.uniform(0, 1.2, n)
    coverage = {}
    district = np.arange(n) // PARCELS_PER_SOURCE
    k = int(district.max()) + 1
    unit = {"power": (60_000.0, "kVA"), "water": (30_000.0, "m³/d"), "drainage": (25_000.0, "m³/d")}
    for net in CAPACITY_NETWORKS:
        ids = np.array([f"{net[:2].upper()}-{j}" for j in range(k)], dtype=object)
        capacity = np.full(k, unit[net][0])
        remaining = capacity * rng.uniform(0.02, 0.6, k)
        reach = frame[f"declared_{net}"].to_numpy()
        table = pd.DataFrame(
            {
                "connected": reach,
                "failed": np.where(reach, "", "distance"),
                "source_id": np.where(reach, ids[district], None),
                "network_m": np.where(reach, rng.uniform(200, 6000, n), np.nan),
            },
            index=frame["parcel_id"].to_numpy(),
        )
        sources = pd.DataFrame(
            {"name": [f"源点{j}" for j in range(k)], "capacity": capacity, "remaining": remaining}, index=ids
        )
        coverage[net] = Coverage(net, table, sources)
    road = pd.DataFrame({"network_m": rng.uniform(300, 15_000, n)}, index=frame["parcel_id"].to_numpy())
    coverage["road"] = Coverage("road", road, pd.DataFrame())
    return frame, coverage


def config() -> ParkConfig:
    return ParkConfig(
        park_id="BENCH",
        name="基准园区",
        crs_epsg=4548,
        leading_industries=(
            LeadingIndustry("电子信息", ("C39",)),
            LeadingIndustry("新能源汽车", ("C36", "C384")),
            LeadingIndustry("装备制造", ("C34", "C35")),
        ),
    )


PROJECT = {
    "name": "汽车零部件",
    "industry": "C3670",
    "land_mu": [100, 140],
    "investment_wan": 60000,
    "output_wan": 80000,
    "tax_wan": 3000,
    "power_kva": 8000,
    "water_m3d": 500,
}


def naive_rules(index: SiteIndex, project, sample: np.ndarray) -> np.ndarray:
    """The same hard rules, one parcel at a time in plain Python."""
    ctx = RuleContext.of(index, project)
    names = [r.name for r in rules_for(index, project)]
    cfg = index.config
    out = np.zeros(len(sample), dtype=bool)
    for k, i in enumerate(sample):
        if project.investment_wan < cfg.threshold("standard_factory_below_wan") or index.status[i] != "reserved":
            continue
        have = index.land_class[i]
        if not have or have[0] != project.land_class[0] or have < project.land_class:
            continue
        zone = index.zones[index.zone_key[i]]
        if zone and not any(project.code.startswith(z) for z in zone):
            continue
        area = index.area_mu[i]
        if not ctx.lo_mu - 1e-9 <= area <= ctx.hi_mu + 1e-9:
            continue
        if project.investment_wan < cfg.threshold("investment_intensity_min_wan_per_mu") * area - 1e-9:
            continue
        if project.output_wan < cfg.threshold("output_min_wan_per_mu") * area - 1e-9:
            continue
        if project.tax_wan < cfg.threshold("tax_min_wan_per_mu") * area - 1e-9:
            continue
        if not all(index.held[n.removeprefix("ready_")][i] for n in names if n.startswith("ready_")):
            continue
        ok = True
        for net in CAPACITY_NETWORKS:
            pos = index.source[net][i]
            load = ctx.load_for(net, np.array([area]))[0]
            if pos >= 0 and index.sources[net].remaining[pos] < load - 1e-9:
                ok = False
        out[k] = ok
    return out


def random_projects(count: int, seed: int = 9) -> list:
    rng = np.random.default_rng(seed)
    records = []
    for j in range(count):
        k = rng.integers(0, len(ZONE_INDUSTRY) - 1)
        lo = float(round(rng.uniform(20, 150)))
        records.append(
            {
                "name": f"项目{j:03d}",
                "industry": ZONE_INDUSTRY[k],
                "land_mu": [lo, round(lo * rng.uniform(1.2, 1.6))],
                "investment_wan": round(lo * rng.uniform(300, 600)),
                "power_kva": round(lo * rng.uniform(20, 60)),
                "water_m3d": round(lo * rng.uniform(1, 5)),
            }
        )
    return [parse_project(r) for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--assign-parcels", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cfg = config()

    t = time.perf_counter()
    frame, coverage = synthetic_park(args.parcels)
    made = time.perf_counter() - t
    t = time.perf_counter()
    index = SiteIndex.build(frame, cfg, coverage=coverage)
    loaded = time.perf_counter() - t
    print(f"park: {len(index):,} parcels ({made:.1f} s to make), index built in {loaded:.1f} s (the load step)")
    project = parse_project(PROJECT)
    match(index, project)  # warm the zoning and chain caches as a running server would have them
    once = timed(lambda: match(index, project), args.repeat)
    result = match(index, project)
    sample = np.random.default_rng(1).choice(len(index), size=min(20_000, len(index)), replace=False)
    t = time.perf_counter()
    slow = naive_rules(index, project, sample)
    naive_s = (time.perf_counter() - t) * len(index) / len(sample)
    fast = result.first_failed[sample] == -1
    assert (slow == fast).all(), "the naive rules disagree with match()"
    print(
        f"match one project: {once * 1000:.0f} ms median of {args.repeat} (goal < 200 ms); "
        f"{len(result.candidates):,} candidates ({int((result.candidates['members'].map(len) > 1).sum()):,} groups); "
        f"naive per-parcel rules {naive_s:.1f} s extrapolated from {len(sample):,}: ratio {naive_s / once:,.0f}×"
    )
    del index, frame, coverage, result

    frame, coverage = synthetic_park(args.assign_parcels, seed=6)
    index = SiteIndex.build(frame, cfg, coverage=coverage)
    projects = random_projects(args.projects)
    t = time.perf_counter()
    exact = assign(index, projects)
    exact_s = time.perf_counter() - t
    t = time.perf_counter()
    order = greedy(index, projects)
    greedy_s = time.perf_counter() - t
    assert not exact.problems, exact.problems[:3]
    print(
        f"assign {len(projects)} projects to {len(index):,} parcels exactly: {exact_s:.1f} s (goal < 30 s), "
        f"{exact.status}, {len(exact.parcels_of())} placed, total score {exact.total_score:.3f}; "
        f"greedy in order {greedy_s:.1f} s, {len(order.parcels_of())} placed, total {order.total_score:.3f} "
        f"({100 * (exact.total_score / order.total_score - 1):+.1f}% for the exact solve)"
    )
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
