"""Park land indicators (开发区土地集约利用评价), per park and for all parks.

The formulas follow the development-zone intensive land-use evaluation
(开发区土地集约利用评价规程), measured on the parcel layer. Areas are sums of
``area_m2``; the park's land is the land of its parcels (roads and green space
that are not parcels are not counted). The classes of land:

- available for supply (已达到供地条件): status ``reserved``, ``supplied``,
  ``under_construction`` or ``in_production`` (储备 land is banked and can be supplied);
- supplied (已供应): ``supplied``, ``under_construction``, ``in_production``;
- built (已建成): ``in_production``;
- industrial (工业用地): land use 1001xx (一/二/三类工业) or 1101xx (物流仓储).

Each indicator is a column whose name carries its unit (``_pct``, ``_wan_per_ha``,
``_wan_per_mu``; a floor-area ratio has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.parcels.evaluation import is_industrial
from planner.units import M2_PER_HECTARE, M2_PER_MU
from planner.vocab import SUPPLIED_STATUSES

__all__ = ["INDICATORS", "NATIONAL_2019", "Indicator", "park_indicators"]

_AVAILABLE = ("reserved", *SUPPLIED_STATUSES)


@dataclass(frozen=True)
class Indicator:
    """One indicator: its column, labels and formula."""

    name: str
    label_zh: str
    label_en: str
    formula: str


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "land_development_rate_pct",
        "土地开发率（%）",
        "land development rate (%)",
        "available-for-supply area / park area × 100",
    ),
    Indicator(
        "supply_rate_pct", "土地供应率（%）", "land supply rate (%)", "supplied area / available-for-supply area × 100"
    ),
    Indicator("built_up_rate_pct", "土地建成率（%）", "built-up rate (%)", "built area / supplied area × 100"),
    Indicator(
        "industrial_land_share_pct",
        "工业用地率（%）",
        "industrial land share (%)",
        "built industrial area / built area × 100",
    ),
    Indicator("far_overall", "综合容积率", "overall floor-area ratio", "floor area on built land / built area"),
    Indicator(
        "far_industrial",
        "工业用地综合容积率",
        "industrial floor-area ratio",
        "floor area on built industrial land / built industrial area",
    ),
    Indicator(
        "building_coverage_industrial_pct",
        "工业用地建筑系数（%）",
        "industrial building coverage (%)",
        "building footprint on built industrial land / built industrial area × 100",
    ),
    Indicator(
        "investment_intensity_industrial_wan_per_ha",
        "工业用地固定资产投入强度（万元/公顷）",
        "fixed-asset investment intensity on industrial land (10,000 yuan/ha)",
        "investment made on built industrial land / built industrial area in ha",
    ),
    Indicator(
        "investment_intensity_industrial_wan_per_mu",
        "工业用地固定资产投入强度（万元/亩）",
        "fixed-asset investment intensity on industrial land (10,000 yuan/mu)",
        "investment made on built industrial land / built industrial area in mu",
    ),
    Indicator(
        "tax_per_industrial_land_wan_per_ha",
        "工业用地地均税收（万元/公顷）",
        "tax per industrial land (10,000 yuan/ha)",
        "tax of built industrial land / built industrial area in ha",
    ),
    Indicator(
        "tax_per_industrial_land_wan_per_mu",
        "工业用地亩均税收（万元/亩）",
        "tax per industrial land (10,000 yuan/mu)",
        "tax of built industrial land / built industrial area in mu",
    ),
    Indicator(
        "tax_per_land_wan_per_ha",
        "综合地均税收（万元/公顷）",
        "tax per built land (10,000 yuan/ha)",
        "tax of all built land / built area in ha",
    ),
    Indicator("idle_land_rate_pct", "闲置土地率（%）", "idle land rate (%)", "idle area / supplied area × 100"),
)

NATIONAL_2019 = {
    "land_development_rate_pct": 89.46,
    "supply_rate_pct": 92.68,
    "built_up_rate_pct": 92.77,
    "industrial_land_share_pct": 48.52,
    "far_overall": 0.98,
    "far_industrial": 0.93,
    "investment_intensity_industrial_wan_per_ha": 8984.3,
    "tax_per_industrial_land_wan_per_ha": 678.99,
}
"""National development-zone monitoring 2019 (shared/reference/README.md), for comparison."""


def park_indicators(parcels: pd.DataFrame, *, idle: pd.Series | None = None) -> pd.DataFrame:
    """The indicators of each park in ``parcels`` and of all of them together.

    Parameters
    ----------
    parcels
        The parcel layer; ``park_id`` groups the parks.
    idle
        Boolean per parcel (aligned with ``parcels``): idle as of the evaluation date.
        By default, parcels whose ``idle_rule`` is set.

    Returns
    -------
    pandas.DataFrame
        One row per park and a last row ``ALL`` (index ``park_id``): the areas
        behind the rates (``*_area_ha``), every indicator of :data:`INDICATORS`, and
        how many built industrial parcels lack the floor area, investment or tax
        the indicators sum (``industrial_lacking_*``). A ratio whose denominator is
        zero, or whose figures no parcel states, is NaN.
    """
    p = parcels.reset_index(drop=True).copy()
    p["_idle"] = (p["idle_rule"].notna() if idle is None else pd.Series(idle).reset_index(drop=True)).to_numpy()
    p["park_id"] = p["park_id"].fillna("")
    rows = {park: _indicators(group) for park, group in p.groupby("park_id", sort=True)}
    rows["ALL"] = _indicators(p)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "park_id"
    return table


def _indicators(p: pd.DataFrame) -> dict[str, float]:
    area = p["area_m2"].to_numpy(dtype=float)
    status = p["status"]
    available = status.isin(_AVAILABLE).to_numpy()
    supplied = status.isin(SUPPLIED_STATUSES).to_numpy()
    built = (status == "in_production").to_numpy()
    industrial = is_industrial(p["land_use"]) & built
    idle = p["_idle"].to_numpy(dtype=bool) & supplied

    def total(column: str, mask: np.ndarray) -> float:
        """Sum over ``mask``; NaN when no parcel there states a value (missing is not zero)."""
        values = p[column].to_numpy(dtype=float, na_value=np.nan)[mask]
        return float(np.nansum(values)) if np.isfinite(values).any() else float("nan")

    def lacking(column: str, mask: np.ndarray) -> int:
        return int(np.isnan(p[column].to_numpy(dtype=float, na_value=np.nan)[mask]).sum())

    def ratio(a: float, b: float, scale: float = 1.0) -> float:
        return a / b * scale if b > 0 else float("nan")

    park, avail, supp, built_m2, ind_m2 = (
        float(area[m].sum()) for m in (np.ones(len(p), bool), available, supplied, built, industrial)
    )
    idle_m2 = float(area[idle].sum())
    return {
        "parcels": len(p),
        "park_area_ha": park / M2_PER_HECTARE,
        "available_area_ha": avail / M2_PER_HECTARE,
        "supplied_area_ha": supp / M2_PER_HECTARE,
        "built_area_ha": built_m2 / M2_PER_HECTARE,
        "industrial_built_area_ha": ind_m2 / M2_PER_HECTARE,
        "idle_area_ha": idle_m2 / M2_PER_HECTARE,
        "land_development_rate_pct": ratio(avail, park, 100),
        "supply_rate_pct": ratio(supp, avail, 100),
        "built_up_rate_pct": ratio(built_m2, supp, 100),
        "industrial_land_share_pct": ratio(ind_m2, built_m2, 100),
        "far_overall": ratio(total("floor_area_m2", built), built_m2),
        "far_industrial": ratio(total("floor_area_m2", industrial), ind_m2),
        "building_coverage_industrial_pct": ratio(total("footprint_m2", industrial), ind_m2, 100),
        "investment_intensity_industrial_wan_per_ha": ratio(
            total("investment_actual_wan", industrial), ind_m2, M2_PER_HECTARE
        ),
        "investment_intensity_industrial_wan_per_mu": ratio(
            total("investment_actual_wan", industrial), ind_m2, M2_PER_MU
        ),
        "tax_per_industrial_land_wan_per_ha": ratio(total("tax_wan", industrial), ind_m2, M2_PER_HECTARE),
        "tax_per_industrial_land_wan_per_mu": ratio(total("tax_wan", industrial), ind_m2, M2_PER_MU),
        "tax_per_land_wan_per_ha": ratio(total("tax_wan", built), built_m2, M2_PER_HECTARE),
        "idle_land_rate_pct": ratio(idle_m2, supp, 100),
        # built industrial parcels without the figure an indicator sums: it is understated by them
        "industrial_lacking_floor_area": lacking("floor_area_m2", industrial),
        "industrial_lacking_investment": lacking("investment_actual_wan", industrial),
        "industrial_lacking_tax": lacking("tax_wan", industrial),
    }
