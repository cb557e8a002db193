"""The demo park's supply records: each parcel's status, holder, dates, amounts and performance.

Every supply status occurs. Producing parcels have output, tax and energy figures in four
performance tiers around the park's per-mu floors, so that every per-mu class A–D occurs.
Supplied and halted parcels are dated around the park's idle-land limits (闲置土地处置办法,
2012) so that, as of the build date, some are idle (not started, halted), some reclaimable,
one delayed by the government and some late but not idle yet. The parcels that hold the
networks' sources are allocated land.
"""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.demo.districts import DISTRICTS, District
from planner.demo.layout import WIDTH_M
from planner.units import M2_PER_MU

if TYPE_CHECKING:
    from planner.config import ParkConfig
    from planner.demo.networks import Source

__all__ = [
    "HALT_CASES",
    "IDLE_CASES",
    "assign_source_parcels",
    "company",
    "declare_areas",
    "draw_records",
    "supply_status",
]

STEEP_RELIEF_M = 6.0
"""Parcels this uneven (elevation range, m) stay planned unless they are in the first wave."""

DATE_COLUMNS = ("contract_date", "agreed_start_date", "actual_start_date", "agreed_completion_date", "halted_since")
AMOUNT_COLUMNS = (
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

IDLE_CASES = ("idle", "reclaim", "government", "idle_late")
"""The first supplied parcels, not started: idle (fee due), reclaimable, delayed by the government, not idle yet."""
HALT_CASES = ("halted_idle", "halted_recent", "halted_reclaim")
"""The first parcels under construction, halted: idle, not a year yet, reclaimable."""
_HALT_SHARE = {"halted_idle": 0.2, "halted_recent": 0.25, "halted_reclaim": 0.15}
"""The share a halted project had developed: under the third that would keep it from being idle land."""

_CONTRACT_MONTHS_AGO = {"in_production": (30, 150), "under_construction": (14, 30), "supplied": (2, 12)}

_TIERS = (  # (share of producing parcels, factor on the per-mu floors)
    (0.36, (1.1, 1.9)),
    (0.30, (0.8, 1.05)),
    (0.21, (0.45, 0.75)),
    (0.13, (0.1, 0.3)),
)

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


def supply_status(cu: np.ndarray, relief: np.ndarray, rng: np.random.Generator, relief_max: float) -> np.ndarray:
    """Each parcel's supply status by a development wave.

    The west near the interchange is developed first, land that needs leveling (relief over
    ``relief_max`` metres) and the far east last; steep parcels stay planned.
    """
    n = len(cu)
    wave = cu / WIDTH_M + 0.25 * np.clip(relief - relief_max, 0, None) / 10 + rng.normal(0, 0.08, n)
    status = np.where(
        wave < 0.42,
        "in_production",
        np.where(
            wave < 0.52,
            "under_construction",
            np.where(wave < 0.62, "supplied", np.where(wave < 0.80, "reserved", "planned")),
        ),
    )
    status[(relief > STEEP_RELIEF_M) & (wave > 0.3)] = "planned"
    return status


RESERVE_MIN_MU = 100.0
"""Planned parcels this large, flat and east of 经七路 are taken into the land reserve (收储) for major projects."""


def reserve_large_parcels(
    df: pd.DataFrame, area_mu: np.ndarray, relief: np.ndarray, cu: np.ndarray, cv: np.ndarray, relief_max: float
) -> None:
    """Planned land the park has taken into its reserve for major projects: large flat parcels in the east.

    Made after every draw (planned and reserved land carry the same records, none), so the
    rest of the park is drawn as before.
    """
    take = (
        df["status"].eq("planned").to_numpy()
        & (area_mu >= RESERVE_MIN_MU)
        & (relief <= relief_max)
        & (cu > 3200)
        & (cv < 3000)
    )
    df.loc[take, "status"] = "reserved"


def assign_source_parcels(df: pd.DataFrame, sources: dict[int, Source]) -> None:
    """Give each source's parcel its name, land use and holder; it is in use (投产), with no industry zoning."""
    for i, source in sources.items():
        df.loc[i, ["land_use", "zone_industries", "status", "holder", "industry"]] = [
            source.land_use,
            None,
            "in_production",
            source.holder,
            source.industry,
        ]
        df.loc[i, "name"] = source.name


def draw_records(
    df: pd.DataFrame,
    area_mu: np.ndarray,
    as_of: date,
    sources: dict[int, Source],
    rng: np.random.Generator,
    config: ParkConfig,
) -> None:
    """Draw the supply records of every parcel by its status and district, and write them into ``df``."""
    records = _Records(df, area_mu, as_of, rng, config)
    status = df["status"].to_numpy()
    n = len(df)
    supplied = [i for i in range(n) if status[i] == "supplied"]
    building = [i for i in range(n) if status[i] == "under_construction"]
    idle_cases = dict(zip(supplied[:4], IDLE_CASES, strict=False))
    halt_cases = dict(zip(building[:3], HALT_CASES, strict=False))
    for i in range(n):
        if i in sources:
            records.source_parcel(i, sources[i])
            continue
        s = status[i]
        if s in ("planned", "reserved"):
            continue
        dist = DISTRICTS[df.at[i, "district"]]
        # the idle cases are granted land with a price, so their idle-land fee can be computed
        invest = records.supply(i, dist, leasable=i not in idle_cases and i not in halt_cases)
        agreed_start = records.contract(i, s)
        if s == "supplied":
            records.idle_case(i, idle_cases.get(i))
            continue
        records.start(i, agreed_start)
        if s == "under_construction":
            records.construction(i, invest, halt_cases.get(i))
        else:
            records.production(i, dist, invest)
    records.write(df)
    _planned_demand(df, area_mu)


def declare_areas(df: pd.DataFrame, area_mu: np.ndarray, rng: np.random.Generator) -> None:
    """The area each contract states: the surveyed area, and for four parcels an older, larger survey."""
    df["declared_area_mu"] = np.where(df["contract_date"].notna(), np.round(area_mu, 2), np.nan)
    contracted = np.flatnonzero(df["contract_date"].notna().to_numpy())
    for k, pos in enumerate(rng.choice(contracted, size=min(4, len(contracted)), replace=False)):
        df.loc[pos, "declared_area_mu"] = round(area_mu[pos] * (1.018 + 0.01 * k), 2)  # old survey


def company(rng: np.random.Generator, district: District) -> str:
    """A made-up enterprise of a district: ``滁州华瑞精密机械有限公司``."""
    prefix = "滁州" if rng.random() < 0.5 else "安徽"
    return f"{prefix}{rng.choice(_FIRMS)}{rng.choice(district.words)}有限公司"


def _months(k: float) -> pd.DateOffset:
    return pd.DateOffset(months=round(k))


def _planned_demand(df: pd.DataFrame, area_mu: np.ndarray) -> None:
    """Projects being built state their planned power and water demand: the district's typical rate per mu."""
    building = df["status"].isin(["under_construction"]).to_numpy()
    districts = [DISTRICTS[d] for d in df["district"]]
    for column, ranges in (
        ("power_kva", [d.kva_mu for d in districts]),
        ("water_m3d", [d.water_mu for d in districts]),
    ):
        rate = np.array([np.mean(r) for r in ranges])
        df.loc[building, column] = np.round(area_mu[building] * rate[building], 0)


class _Records:
    """The supply records being drawn, parcel by parcel, in the order the random draws are made."""

    def __init__(
        self, df: pd.DataFrame, area_mu: np.ndarray, as_of: date, rng: np.random.Generator, config: ParkConfig
    ) -> None:
        n = len(df)
        self.rng = rng
        self.d0 = pd.Timestamp(as_of)
        self.area_mu = area_mu
        self.area_m2 = area_mu * M2_PER_MU
        self.dates = {c: pd.Series([pd.NaT] * n, dtype="datetime64[ns]") for c in DATE_COLUMNS}
        self.amounts = {c: np.full(n, np.nan) for c in AMOUNT_COLUMNS}
        self.holder = df.get("holder", pd.Series([None] * n)).astype(object).tolist()
        self.industry = df.get("industry", pd.Series([None] * n)).astype(object).tolist()
        self.supply_mode: list[str | None] = [None] * n
        self.delay: list[str | None] = [None] * n
        self.output_floor = config.threshold("output_min_wan_per_mu")
        self.tax_floor = config.threshold("tax_min_wan_per_mu")
        idle = 12 * round(config.threshold("idle_after_years"))
        reclaim = 12 * round(config.threshold("reclaim_after_years"))
        # months since the agreed start (not started) or since work halted, around the limits
        self.idle_months = {"idle": idle + 4, "reclaim": reclaim + 6, "government": idle + 8, "idle_late": idle - 1}
        self.halt_months = {"halted_idle": idle + 3, "halted_recent": idle - 5, "halted_reclaim": reclaim + 3}

    def source_parcel(self, i: int, source: Source) -> None:
        """A source's parcel: allocated land, long built, fully developed."""
        rng, area_m2 = self.rng, self.area_m2
        contract = self.d0 - _months(rng.uniform(60, 140))
        self.dates["contract_date"][i] = contract
        self.dates["agreed_start_date"][i] = contract + _months(3)
        self.dates["actual_start_date"][i] = contract + _months(4)
        self.dates["agreed_completion_date"][i] = contract + _months(24)
        self.supply_mode[i] = "allocation"
        self.amounts["developed_area_m2"][i] = area_m2[i]
        self.amounts["floor_area_m2"][i] = area_m2[i] * rng.uniform(0.3, 0.6)
        self.amounts["footprint_m2"][i] = area_m2[i] * rng.uniform(0.2, 0.35)
        invest = self.area_mu[i] * rng.uniform(300, 600)
        self.amounts["investment_total_wan"][i] = self.amounts["investment_actual_wan"][i] = invest
        self.holder[i], self.industry[i] = source.holder, source.industry

    def supply(self, i: int, dist: District, *, leasable: bool) -> float:
        """How the land was supplied, to whom, at what price, for what planned investment (returned, 万元)."""
        rng, area_mu = self.rng, self.area_mu
        leased = dist.key == "electronics" and area_mu[i] < 30 and rng.random() < 0.3
        self.supply_mode[i] = "lease" if leased and leasable else "grant"
        self.industry[i] = str(rng.choice(dist.classes))
        self.holder[i] = company(rng, dist)
        price = area_mu[i] * rng.uniform(*dist.price_mu)
        self.amounts["land_price_wan"][i] = round(price, 1) if self.supply_mode[i] == "grant" else np.nan
        invest = area_mu[i] * rng.uniform(*dist.invest_mu)
        self.amounts["investment_total_wan"][i] = round(invest, 0)
        return invest

    def contract(self, i: int, status: str) -> pd.Timestamp:
        """The contract's date and its agreed start and completion; returns the agreed start."""
        rng = self.rng
        contract = self.d0 - _months(rng.uniform(*_CONTRACT_MONTHS_AGO[status]))
        agreed_start = contract + _months(rng.uniform(3, 6))
        self.dates["contract_date"][i] = contract
        self.dates["agreed_start_date"][i] = agreed_start
        self.dates["agreed_completion_date"][i] = agreed_start + _months(rng.uniform(18, 30))
        return agreed_start

    def idle_case(self, i: int, case: str | None) -> None:
        """Date a supplied parcel that has not started to be one of the idle cases."""
        if case is None:
            return
        start_ago = self.idle_months[case]
        self.dates["contract_date"][i] = self.d0 - _months(start_ago + 6)
        agreed_start = self.d0 - _months(start_ago)
        self.dates["agreed_start_date"][i] = agreed_start
        self.dates["agreed_completion_date"][i] = agreed_start + _months(24)
        if case == "government":  # delayed: land not delivered as agreed
            self.delay[i] = "land_not_delivered"

    def start(self, i: int, agreed_start: pd.Timestamp) -> None:
        """The actual start: about the agreed date, and at least a month before the records' date."""
        start = agreed_start + _months(self.rng.uniform(-1, 4))
        self.dates["actual_start_date"][i] = min(start, self.d0 - pd.DateOffset(days=30))

    def construction(self, i: int, invest: float, case: str | None) -> None:
        """A project under construction: part developed and invested; the halted cases dated around the limits."""
        rng, d0 = self.rng, self.d0
        share = rng.uniform(0.35, 0.8)
        if case:
            share = _HALT_SHARE[case]
            back = self.halt_months[case]
            self.dates["actual_start_date"][i] = d0 - _months(back + 6)
            self.dates["contract_date"][i] = d0 - _months(back + 12)
            self.dates["agreed_start_date"][i] = d0 - _months(back + 8)
            self.dates["agreed_completion_date"][i] = d0 - _months(back - 16)
            self.dates["halted_since"][i] = d0 - _months(back)
        self.amounts["developed_area_m2"][i] = round(self.area_m2[i] * share, 0)
        self.amounts["investment_actual_wan"][i] = round(invest * share * rng.uniform(0.8, 1.1), 0)
        if case:
            self.amounts["investment_actual_wan"][i] = round(invest * share * 0.9, 0)

    def production(self, i: int, dist: District, invest: float) -> None:
        """A producing parcel: its performance tier around the park's per-mu floors of output and tax, its buildings."""
        rng, area_mu, area_m2, amounts = self.rng, self.area_mu, self.area_m2, self.amounts
        tier = rng.choice(len(_TIERS), p=[t[0] for t in _TIERS])
        factor = rng.uniform(*_TIERS[tier][1])
        weak = tier == len(_TIERS) - 1
        output = area_mu[i] * self.output_floor * dist.output_scale * factor * rng.uniform(0.9, 1.1)
        amounts["output_wan"][i] = round(output, 0)
        amounts["tax_wan"][i] = round(
            area_mu[i] * self.tax_floor * dist.output_scale * factor * rng.uniform(0.85, 1.15), 1
        )
        amounts["energy_tce"][i] = round(output * rng.uniform(*dist.tce_per_wan), 1)
        amounts["power_kva"][i] = round(area_mu[i] * rng.uniform(*dist.kva_mu), -1)
        amounts["water_m3d"][i] = round(area_mu[i] * rng.uniform(*dist.water_mu), 0)
        far = rng.uniform(*dist.far) * (rng.uniform(0.5, 0.8) if weak else 1.0)
        amounts["footprint_m2"][i] = math.floor(area_m2[i] * rng.uniform(*dist.coverage))
        amounts["floor_area_m2"][i] = max(round(area_m2[i] * far, 0), amounts["footprint_m2"][i])
        amounts["developed_area_m2"][i] = math.floor(area_m2[i])
        amounts["investment_actual_wan"][i] = round(invest * rng.uniform(0.85, 1.0), 0)

    def write(self, df: pd.DataFrame) -> None:
        """Put the records drawn into the parcel table."""
        for c, v in self.dates.items():
            df[c] = v.values
        for c, v in self.amounts.items():
            df[c] = v
        df["holder"] = self.holder
        df["industry"] = self.industry
        df["supply_mode"] = self.supply_mode
        df["delay_cause"] = self.delay
