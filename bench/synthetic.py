"""A synthetic province of industrial parks for the benchmarks: 10,000 to 1,000,000 parcels.

    python -m bench.synthetic --parcels 100000       # make one and print what it holds

Parks of about ``PER_PARK`` parcels sit on a jittered grid over 114.6°E–119.4°E,
29.6°N–34.4°N (an Anhui-sized province), so they fall in three CGCS2000 3-degree
Gauss–Krüger zones (38, 39 and 40: central meridians 114°, 117° and 120°E). Each park
is laid out and stored in the zone of its centre, as a park store keeps it (a park by a
zone's edge reaches a little over it, as real parks do):

- shapes as in :func:`bench.siting.synthetic_park`: columns 200 m deep of adjoining
  rectangular parcels of 10–400 亩 (log-normal about 40 亩), here back to back in pairs
  with a 30 m road between pairs and between rows of columns, the park roughly square;
- attributes as in :func:`bench.land.realistic` and the siting bench: every supply
  status, districts of three columns with their land class (一/二/三类工业用地) and zoning,
  holders, contract, agreed and actual start dates spread over 2021–2026, some halted
  projects, land price, investment, developed area, output, tax, energy and floor area
  for producing parcels, and declared 七通一平 records;
- ``area_m2`` / ``area_mu`` from the geometry in the park's own zone.

Everything comes from one seed: the same ``n`` and seed give the same province.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.crs import CGCS2000, gk_epsg, gk_zone, transformer
from planner.units import M2_PER_MU
from planner.vocab import CHECKLIST_ITEMS

__all__ = ["PER_PARK", "SIZES", "Park", "Province", "province", "validated"]

SIZES = (10_000, 100_000, 1_000_000)
PER_PARK = 2_000
"""Parcels per park (the last park takes the rest): about 70 km² of parcels, a large development zone."""
WEST, SOUTH, EAST, NORTH = 114.6, 29.6, 119.4, 34.4
PER_COLUMN = 6
DEPTH_M = 200.0
ROAD_M = 30.0

STATUSES = np.array(["planned", "reserved", "supplied", "under_construction", "in_production"], dtype=object)
STATUS_P = [0.05, 0.2, 0.1, 0.15, 0.5]
# districts of three columns: zoning, the industry of the firms there, the land class
ZONES = np.array(["C39,C40", "C36,C384", "C34,C35", "C26,C30", "C27", ""], dtype=object)
ZONE_INDUSTRY = np.array(["C3982", "C3670", "C3421", "C2651", "C2720", "C3311"], dtype=object)
ZONE_LAND_USE = np.array(["100101", "100102", "100102", "100103", "100102", "100102"], dtype=object)
SUPPLIED = ("supplied", "under_construction", "in_production")


@dataclass
class Park:
    """One synthetic park: its id, zone and parcels (in its own Gauss–Krüger CRS, ``crs_epsg``)."""

    park_id: str
    name: str
    lon: float
    lat: float
    zone: int
    crs_epsg: int
    parcels: gpd.GeoDataFrame


@dataclass
class Province:
    """Parks across several Gauss–Krüger zones."""

    parks: list[Park]
    seed: int

    def __len__(self) -> int:
        return sum(len(p.parcels) for p in self.parks)

    @property
    def zones(self) -> dict[int, int]:
        """Parcels per Gauss–Krüger zone."""
        out: dict[int, int] = {}
        for park in self.parks:
            out[park.zone] = out.get(park.zone, 0) + len(park.parcels)
        return dict(sorted(out.items()))

    def frame(self) -> pd.DataFrame:
        """Every park's parcels in one table, without geometry (the zones differ): for per-park statistics."""
        return pd.concat([pd.DataFrame(p.parcels.drop(columns="geometry")) for p in self.parks], ignore_index=True)

    def lonlat(self) -> gpd.GeoDataFrame:
        """Every parcel in one layer in CGCS2000 lon/lat (EPSG:4490), with ``park_id``."""
        parts = [p.parcels.to_crs(CGCS2000) for p in self.parks]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=CGCS2000)


def province(n: int, *, seed: int = 11, per_park: int = PER_PARK) -> Province:
    """``n`` parcels in ``ceil(n / per_park)`` parks over at least two Gauss–Krüger zones."""
    if n < 1:
        raise ValueError(f"`n` was {n} but a province needs at least one parcel")
    rng = np.random.default_rng(seed)
    count = math.ceil(n / per_park)
    sizes = [per_park] * (count - 1) + [n - per_park * (count - 1)]
    lon, lat = _centres(count, rng)
    parks = []
    start = 0
    for k, (size, x, y) in enumerate(zip(sizes, lon, lat, strict=True)):
        park_id = f"P{k:04d}"
        epsg = gk_epsg(float(x))
        frame = _park(size, park_id, float(x), float(y), epsg, rng, first=start)
        parks.append(Park(park_id, f"合成园区{k + 1}号", float(x), float(y), gk_zone(float(x)), epsg, frame))
        start += size
    return Province(parks, seed)


def validated(made: Province) -> pd.DataFrame:
    """Every park's parcels as its store would hold them (schema columns, canonical types), in one table."""
    from planner.parcels.validation import validate_parcels

    parts = []
    for park in made.parks:
        check = validate_parcels(park.parcels, crs_epsg=park.crs_epsg, park_id=park.park_id)
        errors = [p for p in check.problems if p.severity == "error"]
        if errors:
            raise ValueError(f"synthetic park {park.park_id}: {errors[:3]}")
        parts.append(pd.DataFrame(check.parcels.drop(columns="geometry")))
    return pd.concat(parts, ignore_index=True)


def _centres(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Park centres on a jittered grid over the province; the first parks spread over its whole width (every zone)."""
    cols = max(2, math.ceil(math.sqrt(count * (EAST - WEST) / (NORTH - SOUTH))))
    rows = math.ceil(count / cols)
    dx, dy = (EAST - WEST) / cols, (NORTH - SOUTH) / max(rows, 1)
    k = np.arange(count)
    # spread the first parks over the whole width: column order 0, cols-1, 1, cols-2, … for each row
    order = np.array([c for pair in zip(range(cols), range(cols - 1, -1, -1), strict=True) for c in pair])
    order = pd.unique(order)
    col = order[k % cols]
    row = k // cols
    lon = WEST + (col + 0.5) * dx + rng.uniform(-0.1, 0.1, count) * dx
    lat = SOUTH + (row + 0.5) * dy + rng.uniform(-0.1, 0.1, count) * dy
    return lon, lat


def _park(
    n: int, park_id: str, lon: float, lat: float, epsg: int, rng: np.random.Generator, *, first: int
) -> gpd.GeoDataFrame:
    geoms = _shapes(n, lon, lat, epsg, rng)
    col = np.arange(n) // PER_COLUMN
    district = (col // 3) % len(ZONES)
    status = rng.choice(STATUSES, n, p=STATUS_P)
    supplied = np.isin(status, SUPPLIED)
    started = np.isin(status, ["under_construction", "in_production"])
    producing = status == "in_production"
    area_m2 = shapely.area(geoms)
    area_mu = area_m2 / M2_PER_MU
    land_use = np.where(district == 0, rng.choice(["100101", "100102"], n), ZONE_LAND_USE[district])
    logistics = rng.random(n) < 0.04  # a few warehouses among the factories
    land_use = np.where(logistics, "1101", land_use)

    agreed = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 2000, n), unit="D")
    contract = agreed - pd.to_timedelta(rng.integers(60, 240, n), unit="D")
    actual = agreed + pd.to_timedelta(rng.integers(-20, 200, n), unit="D")
    halted = started & ~producing & (rng.random(n) < 0.15)
    halted_since = actual + pd.to_timedelta(rng.integers(60, 500, n), unit="D")
    price = area_mu * rng.uniform(12, 40, n)  # 万元: 12–40 万元 per 亩
    total = area_mu * rng.uniform(150, 700, n)
    built_share = np.where(producing, 1.0, np.where(started, rng.uniform(0.05, 0.9, n), 0.0))
    output = area_mu * rng.lognormal(np.log(300), 0.7, n)
    floor = area_m2 * rng.uniform(0.6, 1.8, n)

    def when(values: pd.DatetimeIndex, mask: np.ndarray) -> pd.Series:
        return pd.Series(values).where(mask).reset_index(drop=True)

    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"{park_id}-{first + i:07d}" for i in range(n)],
            "park_id": park_id,
            "name": [f"{i + 1}号地块" for i in range(n)],
            "area_m2": area_m2,
            "area_mu": area_mu,
            "land_use": land_use,
            "zone_industries": np.where(ZONES[district] == "", None, ZONES[district]),
            "status": status,
            "supply_mode": np.where(supplied, "grant", None),
            "holder": np.where(supplied, [f"合成{park_id}企业{i}有限公司" for i in range(n)], None),
            "industry": np.where(supplied, np.where(logistics, "G5920", ZONE_INDUSTRY[district]), None),
            "contract_date": when(contract, supplied),
            "agreed_start_date": when(agreed, supplied),
            "actual_start_date": when(actual, started),
            "halted_since": when(halted_since, halted),
            "land_price_wan": np.where(supplied, price.round(1), np.nan),
            "investment_total_wan": np.where(supplied, total.round(0), np.nan),
            "investment_actual_wan": np.where(started, (total * built_share).round(0), np.nan),
            "developed_area_m2": np.where(started, (area_m2 * built_share).round(0), np.nan),
            "floor_area_m2": np.where(producing, floor.round(0), np.nan),
            "footprint_m2": np.where(producing, (area_m2 * rng.uniform(0.3, 0.6, n)).round(0), np.nan),
            "output_wan": np.where(producing, output.round(0), np.nan),
            "tax_wan": np.where(producing, (output * rng.uniform(0.01, 0.08, n)).round(1), np.nan),
            "energy_tce": np.where(producing, (output / rng.uniform(2, 20, n)).round(1), np.nan),
            **{
                f"declared_{item}": rng.random(n) < {"gas": 0.55, "heat": 0.45, "leveled": 0.8}.get(item, 0.9)
                for item in CHECKLIST_ITEMS
            },
        },
        geometry=geoms,
        crs=epsg,
    )


def _shapes(n: int, lon: float, lat: float, epsg: int, rng: np.random.Generator) -> np.ndarray:
    """Columns of adjoining parcels, back to back in pairs, roads between pairs and rows; centred on (lon, lat)."""
    mu = np.clip(rng.lognormal(np.log(40), 0.8, n), 10, 400)
    height = mu * M2_PER_MU / DEPTH_M
    col = np.arange(n) // PER_COLUMN
    ncols = int(col[-1]) + 1
    top = np.cumsum(height)
    ends = top[PER_COLUMN - 1 :: PER_COLUMN]
    base = np.repeat(np.concatenate([[0.0], ends]), PER_COLUMN)[:n]
    y_lo = np.concatenate([[0.0], top[:-1]]) - base  # the neighbour's top, the same float: parcels adjoin
    y_hi = top - base
    col_height = np.bincount(col, weights=height, minlength=ncols)
    pair_w = 2 * DEPTH_M + ROAD_M

    def rows_of(per_row: int) -> np.ndarray:  # height of each row of columns, with its road
        return np.maximum.reduceat(col_height, np.arange(0, ncols, per_row)) + ROAD_M

    # columns per row (even: pairs stay whole) that make the park about as wide as it is tall
    per_row = min(range(2, ncols + 2, 2), key=lambda k: abs(min(k, ncols) / 2 * pair_w - rows_of(k).sum()))
    row = np.arange(ncols) // per_row
    row_h = rows_of(per_row)
    row_y = np.concatenate([[0.0], np.cumsum(row_h)[:-1]])
    in_row = np.arange(ncols) % per_row
    col_x = (in_row // 2) * pair_w + (in_row % 2) * DEPTH_M
    x = col_x[col]
    y = row_y[row[col]]
    east, north = transformer(f"EPSG:{CGCS2000}", f"EPSG:{epsg}").transform(lon, lat)
    x0 = east - (x.min() + x.max() + DEPTH_M) / 2  # the park's extent centred on (lon, lat)
    y0 = north - (y_lo.min() + (y + y_hi).max()) / 2
    return shapely.box(x0 + x, y0 + y + y_lo, x0 + x + DEPTH_M, y0 + y + y_hi)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    for n in args.parcels:
        t = time.perf_counter()
        made = province(n, seed=args.seed)
        seconds = time.perf_counter() - t
        frame = made.frame()
        print(
            f"{len(made):,} parcels in {len(made.parks)} parks ({seconds:.1f} s); parcels per Gauss–Krüger zone: "
            + ", ".join(f"zone {z} (EPSG:{gk_epsg(zone=z)}) {c:,}" for z, c in made.zones.items())
        )
        print(
            f"  {frame['area_mu'].sum() / 1500:,.0f} km² of parcels, {frame['area_mu'].median():.0f} 亩 median; "
            + ", ".join(f"{s} {c:,}" for s, c in frame["status"].value_counts().items())
        )


if __name__ == "__main__":
    main()
