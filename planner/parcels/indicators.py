"""Park land indicators (开发区土地集约利用评价), per park and for all parks.

The formulas follow the development-zone intensive land-use evaluation
(开发区土地集约利用评价规程, 国土资源部, 2014年度试行), measured on the parcel layer. Areas
are sums of ``area_m2``; the park's land is the land of its parcels (roads and green
space that are not parcels are not counted). The classes of land:

- available for supply (已达到供地条件的土地): land that meets the supply conditions —
  acquired and serviced to at least 三通一平 (road, water, power, site leveled;
  :data:`SUPPLY_CONDITION`). Supplied land (``supplied``, ``under_construction``,
  ``in_production``) met them when it was supplied; banked land (``reserved`` 储备)
  counts only where each item of 三通一平 holds (the network model's value where the
  park has that layer, its records' otherwise; unknown does not hold). Planned land
  (``planned``, not yet acquired) and reserved 生地 do not count;
- supplied (已供应): ``supplied``, ``under_construction``, ``in_production``;
- built (已建成): ``in_production``;
- industrial (工矿仓储用地): land use 10xx 工矿用地 (工业 1001, 采矿 1002, 盐田 1003) or
  11xx 仓储用地 (物流仓储 1101, 储备库 1102) — GB/T 21010-2017 class 06
  (:func:`planner.codes.is_industrial_storage`).

Each indicator is a column whose name carries its unit (``_pct``, ``_wan_per_ha``,
``_wan_per_mu``; a floor-area ratio has none), and the figures behind it are columns
too (:data:`FIGURES`): :func:`explain` writes each indicator as its formula with
those figures and its source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.codes import is_industrial_storage
from planner.config import CHECKLIST_PRESETS
from planner.units import M2_PER_HECTARE, M2_PER_MU
from planner.vocab import SUPPLIED_STATUSES

__all__ = [
    "FIGURES",
    "INDICATORS",
    "NATIONAL_2019",
    "NATIONAL_2019_LABEL",
    "SUPPLY_CONDITION",
    "Figure",
    "Indicator",
    "available_for_supply",
    "explain",
    "park_indicators",
]

SUPPLY_CONDITION: tuple[str, ...] = CHECKLIST_PRESETS["三通一平"]
"""The checklist items reserved land must hold to be available for supply (at least 三通一平)."""

_EVALUATION = "开发区土地集约利用评价规程（2014年度试行）"


@dataclass(frozen=True)
class Figure:
    """A figure behind the indicators (an area or a sum), with its labels and unit."""

    name: str
    label_zh: str
    label_en: str
    unit: str


FIGURES: tuple[Figure, ...] = (
    Figure("park_area_ha", "园区土地面积（宗地合计）", "park area (all parcels)", "ha"),
    Figure(
        "available_area_ha",
        "已达到供地条件的土地面积（已供应，及已收储且三通一平）",
        "area available for supply (supplied, or reserved with 三通一平)",
        "ha",
    ),
    Figure("supplied_area_ha", "已供应土地面积", "supplied area", "ha"),
    Figure("built_area_ha", "已建成土地面积（投产）", "built area (in production)", "ha"),
    Figure("built_area_m2", "已建成土地面积（投产）", "built area (in production)", "m²"),
    Figure("industrial_built_area_ha", "已建成工矿仓储用地面积", "built industrial and storage land", "ha"),
    Figure("industrial_built_area_m2", "已建成工矿仓储用地面积", "built industrial and storage land", "m²"),
    Figure("industrial_built_area_mu", "已建成工矿仓储用地面积", "built industrial and storage land", "亩"),
    Figure("idle_area_ha", "闲置土地面积", "idle area", "ha"),
    Figure("floor_area_built_m2", "已建成土地上的总建筑面积", "floor area on built land", "m²"),
    Figure("floor_area_industrial_m2", "工矿仓储用地上的总建筑面积", "floor area on industrial land", "m²"),
    Figure("footprint_industrial_m2", "工矿仓储用地上的建筑基底面积", "building footprint on industrial land", "m²"),
    Figure(
        "investment_industrial_wan", "工矿仓储用地上的累计固定资产投资", "investment made on industrial land", "万元"
    ),
    Figure("tax_industrial_wan", "工矿仓储用地上企业的税收", "tax of industrial land", "万元"),
    Figure("tax_built_wan", "已建成土地上的税收", "tax of built land", "万元"),
)
"""The figures the indicators divide, each a column of :func:`park_indicators`."""

_FIGURE = {f.name: f for f in FIGURES}


@dataclass(frozen=True)
class Indicator:
    """One indicator: its column, labels, formula (numerator / denominator × scale) and source."""

    name: str
    label_zh: str
    label_en: str
    formula: str
    numerator: str
    denominator: str
    scale: float = 1.0
    source: str = _EVALUATION
    formula_zh: str = ""


def _ind(name: str, zh: str, en: str, num: str, den: str, scale: float = 1.0, source: str = _EVALUATION) -> Indicator:
    """An indicator whose formula is written from its figures' labels."""
    tail = " × 100" if scale == 100 else ""
    formula = f"{_FIGURE[num].label_en} / {_FIGURE[den].label_en}{tail}"
    formula_zh = f"{_FIGURE[num].label_zh} ÷ {_FIGURE[den].label_zh}{tail}"
    return Indicator(name, zh, en, formula, num, den, scale, source, formula_zh)


_PER_MU = f"{_EVALUATION}，以亩计（1 公顷 = 15 亩）"
INDICATORS: tuple[Indicator, ...] = (
    _ind(
        "land_development_rate_pct",
        "土地开发率（%）",
        "land development rate (%)",
        "available_area_ha",
        "park_area_ha",
        100,
        f"{_EVALUATION}：土地开发率 = 已达到供地条件的土地面积 / 土地总面积",
    ),
    _ind(
        "supply_rate_pct",
        "土地供应率（%）",
        "land supply rate (%)",
        "supplied_area_ha",
        "available_area_ha",
        100,
        f"{_EVALUATION}：土地供应率 = 已供应土地面积 / 已达到供地条件的土地面积",
    ),
    _ind(
        "built_up_rate_pct",
        "土地建成率（%）",
        "built-up rate (%)",
        "built_area_ha",
        "supplied_area_ha",
        100,
        f"{_EVALUATION}：土地建成率 = 已建成土地面积 / 已供应土地面积",
    ),
    _ind(
        "industrial_land_share_pct",
        "工业用地率（%）",
        "industrial land share (%)",
        "industrial_built_area_ha",
        "built_area_ha",
        100,
        f"{_EVALUATION}：工业用地率 = 工矿仓储用地面积 / 已建成土地面积（工矿仓储用地按 GB/T 21010-2017 第06类）",
    ),
    _ind(
        "far_overall",
        "综合容积率",
        "overall floor-area ratio",
        "floor_area_built_m2",
        "built_area_m2",
        source=f"{_EVALUATION}：综合容积率 = 总建筑面积 / 已建成土地面积",
    ),
    _ind(
        "far_industrial",
        "工业用地综合容积率",
        "industrial floor-area ratio",
        "floor_area_industrial_m2",
        "industrial_built_area_m2",
        source=f"{_EVALUATION}：工业用地综合容积率 = 工矿仓储用地上的总建筑面积 / 已建成工矿仓储用地面积",
    ),
    _ind(
        "building_coverage_industrial_pct",
        "工业用地建筑系数（%）",
        "industrial building coverage (%)",
        "footprint_industrial_m2",
        "industrial_built_area_m2",
        100,
        f"{_EVALUATION}：工业用地建筑系数 = 建筑基底面积 / 已建成工矿仓储用地面积",
    ),
    _ind(
        "investment_intensity_industrial_wan_per_ha",
        "工业用地固定资产投入强度（万元/公顷）",
        "fixed-asset investment intensity on industrial land (10,000 yuan/ha)",
        "investment_industrial_wan",
        "industrial_built_area_ha",
        source=f"{_EVALUATION}：工业用地固定资产投入强度 = 累计固定资产投资 / 已建成工矿仓储用地面积",
    ),
    _ind(
        "investment_intensity_industrial_wan_per_mu",
        "工业用地固定资产投入强度（万元/亩）",
        "fixed-asset investment intensity on industrial land (10,000 yuan/mu)",
        "investment_industrial_wan",
        "industrial_built_area_mu",
        source=_PER_MU,
    ),
    _ind(
        "tax_per_industrial_land_wan_per_ha",
        "工业用地地均税收（万元/公顷）",
        "tax per industrial land (10,000 yuan/ha)",
        "tax_industrial_wan",
        "industrial_built_area_ha",
        source=f"{_EVALUATION}：工业用地地均税收 = 工矿仓储企业税收总额 / 已建成工矿仓储用地面积",
    ),
    _ind(
        "tax_per_industrial_land_wan_per_mu",
        "工业用地亩均税收（万元/亩）",
        "tax per industrial land (10,000 yuan/mu)",
        "tax_industrial_wan",
        "industrial_built_area_mu",
        source=_PER_MU,
    ),
    _ind(
        "tax_per_land_wan_per_ha",
        "综合地均税收（万元/公顷）",
        "tax per built land (10,000 yuan/ha)",
        "tax_built_wan",
        "built_area_ha",
        source=f"{_EVALUATION}：综合地均税收 = 税收总额 / 已建成土地面积",
    ),
    _ind(
        "idle_land_rate_pct",
        "闲置土地率（%）",
        "idle land rate (%)",
        "idle_area_ha",
        "supplied_area_ha",
        100,
        "闲置土地处置办法（国土资源部令第53号，2012）第二条认定闲置土地；比率为本工具按已供应土地计",
    ),
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
"""The 2019 monitoring of national-level development zones (data as of 2018-12-31), for comparison.

Source: shared/reference/README.md (国家级开发区土地集约利用监测统计, 2019).
"""

NATIONAL_2019_LABEL = (
    "全国国家级开发区2019监测(截至2018-12-31)",
    "national-level zones, 2019 monitoring (as of 2018-12-31)",
)
"""The column label of :data:`NATIONAL_2019` (Chinese, English)."""


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
        One row per park and a last row ``ALL`` (index ``park_id``): ``parcels``, every
        figure of :data:`FIGURES`, every indicator of :data:`INDICATORS`, and how many
        built industrial parcels lack the floor area, investment or tax the indicators
        sum (``industrial_lacking_*``). A ratio whose denominator is zero, or whose
        figures no parcel states, is NaN.
    """
    p = parcels.reset_index(drop=True).copy()
    p["_idle"] = (p["idle_rule"].notna() if idle is None else pd.Series(idle).reset_index(drop=True)).to_numpy()
    p["_available"] = available_for_supply(p)
    p["park_id"] = p["park_id"].fillna("")
    rows = {park: _indicators(group) for park, group in p.groupby("park_id", sort=True)}
    rows["ALL"] = _indicators(p)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "park_id"
    return table


def available_for_supply(parcels: pd.DataFrame) -> np.ndarray:
    """Whether each parcel is land available for supply (已达到供地条件的土地).

    Source: 开发区土地集约利用评价规程 (2014年度试行), 土地开发率: land that meets the supply
    conditions — acquired, and serviced to at least 三通一平. Supplied land (已供, 在建,
    投产) met them; reserved land (储备) must hold road, water, power and site leveling
    (each: the network model's value where it exists, the records' otherwise; unknown
    does not hold); planned land is not acquired.
    """
    status = parcels["status"]
    unknown = pd.Series(pd.NA, index=parcels.index)
    serviced = np.ones(len(parcels), dtype=bool)
    for item in SUPPLY_CONDITION:
        derived = parcels.get(item, unknown)
        declared = parcels.get(f"declared_{item}", unknown)
        value = derived.astype("boolean").fillna(declared.astype("boolean"))
        serviced &= value.fillna(False).to_numpy(dtype=bool)
    supplied = status.isin(SUPPLIED_STATUSES).to_numpy()
    return np.asarray(supplied | ((status == "reserved").to_numpy() & serviced), dtype=bool)


def _indicators(p: pd.DataFrame) -> dict[str, float]:
    area = p["area_m2"].to_numpy(dtype=float)
    status = p["status"]
    available = p["_available"].to_numpy(dtype=bool)
    supplied = status.isin(SUPPLIED_STATUSES).to_numpy()
    built = (status == "in_production").to_numpy()
    industrial = is_industrial_storage(p["land_use"]) & built
    idle = p["_idle"].to_numpy(dtype=bool) & supplied

    def total(column: str, mask: np.ndarray) -> float:
        """Sum over ``mask``; NaN when no parcel there states a value (missing is not zero)."""
        values = p[column].to_numpy(dtype=float, na_value=np.nan)[mask]
        return float(np.nansum(values)) if np.isfinite(values).any() else float("nan")

    def lacking(column: str, mask: np.ndarray) -> int:
        return int(np.isnan(p[column].to_numpy(dtype=float, na_value=np.nan)[mask]).sum())

    park_m2, avail_m2, supp_m2, built_m2, ind_m2, idle_m2 = (
        float(area[m].sum()) for m in (np.ones(len(p), bool), available, supplied, built, industrial, idle)
    )
    figures = {
        "park_area_ha": park_m2 / M2_PER_HECTARE,
        "available_area_ha": avail_m2 / M2_PER_HECTARE,
        "supplied_area_ha": supp_m2 / M2_PER_HECTARE,
        "built_area_ha": built_m2 / M2_PER_HECTARE,
        "built_area_m2": built_m2,
        "industrial_built_area_ha": ind_m2 / M2_PER_HECTARE,
        "industrial_built_area_m2": ind_m2,
        "industrial_built_area_mu": ind_m2 / M2_PER_MU,
        "idle_area_ha": idle_m2 / M2_PER_HECTARE,
        "floor_area_built_m2": total("floor_area_m2", built),
        "floor_area_industrial_m2": total("floor_area_m2", industrial),
        "footprint_industrial_m2": total("footprint_m2", industrial),
        "investment_industrial_wan": total("investment_actual_wan", industrial),
        "tax_industrial_wan": total("tax_wan", industrial),
        "tax_built_wan": total("tax_wan", built),
    }
    out: dict[str, float] = {"parcels": len(p), **figures}
    for ind in INDICATORS:
        den = figures[ind.denominator]
        out[ind.name] = figures[ind.numerator] / den * ind.scale if den > 0 else float("nan")
    # built industrial parcels without the figure an indicator sums: it is understated by them
    out["industrial_lacking_floor_area"] = lacking("floor_area_m2", industrial)
    out["industrial_lacking_investment"] = lacking("investment_actual_wan", industrial)
    out["industrial_lacking_tax"] = lacking("tax_wan", industrial)
    return out


def explain(row: Mapping[str, float] | pd.Series, lang: str = "zh") -> pd.DataFrame:
    """Each indicator of one park's row of :func:`park_indicators`, as its formula with its figures and source.

    Returns a frame (index: the indicator's column name) with ``indicator`` (its label),
    ``value``, ``formula``, ``numerator`` and ``denominator`` (each a figure with its
    label, value and unit) and ``source``, in ``lang`` (``zh`` or ``en``).
    """
    zh = lang == "zh"
    rows = {}
    for ind in INDICATORS:
        value = row[ind.name]
        rows[ind.name] = {
            "indicator": ind.label_zh if zh else ind.label_en,
            "value": "—" if pd.isna(value) else f"{value:,.2f}",
            "formula": ind.formula_zh if zh else ind.formula,
            "numerator": _figure_text(ind.numerator, row[ind.numerator], zh),
            "denominator": _figure_text(ind.denominator, row[ind.denominator], zh),
            "source": ind.source,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def _figure_text(name: str, value: float, zh: bool) -> str:
    """A figure as ``label = value unit`` (``未填报`` / ``not stated`` where no parcel states it)."""
    figure = _FIGURE[name]
    label = figure.label_zh if zh else figure.label_en
    if pd.isna(value):
        return f"{label} = {'未填报' if zh else 'not stated'}"
    digits = 0 if figure.unit in ("m²", "万元") else 2
    return f"{label} = {value:,.{digits}f} {figure.unit}"
