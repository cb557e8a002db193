"""The 2008 land-supply control indicators a project's plan is checked against (工业项目建设用地控制指标).

Source: 工业项目建设用地控制指标 (国土资发〔2008〕24号), art. 四: a project's land must meet
all four indicators at once — 投资强度 (表1, by region class 一类–七类 and GB/T 4754-2002
division, 万元/公顷), 容积率 (表2, by division), 建筑系数 ≥ 30%, and 行政办公及生活服务设施用地
≤ 7% of the project's land; its 应用说明 caps the green ratio (绿地率) at 20%. The region class
of a park follows its land grade (土地等别); the park's configuration names it
(``investment_region_class``, 1–7; 0: not set).

``data/investment_intensity_2008.csv`` holds 表1 by 2002 division with its 2017 codes; its
figures are left empty until checked against the published text, and an empty figure
is no floor: the park's own floor (``investment_intensity_min_wan_per_mu``) applies, and
the result says which one did.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from planner.config import ParkConfig
from planner.resources import data_path
from planner.units import MU_PER_HECTARE

__all__ = ["REGION_CLASSES", "InvestmentFloor", "investment_floor", "investment_table"]

REGION_CLASSES = ("一类", "二类", "三类", "四类", "五类", "六类", "七类")
"""The region classes of 表1, 一类 (highest land grades) to 七类."""


@dataclass(frozen=True)
class InvestmentFloor:
    """The investment-intensity floor a project meets, and which rule set it."""

    wan_per_mu: float
    rule_zh: str
    rule_en: str


@lru_cache(maxsize=1)
def investment_table() -> pd.DataFrame:
    """表1 of the 2008 control indicators: one row per 2017 code (``C291``, ``C36``), 万元/公顷 by class 1–7."""
    table = pd.read_csv(data_path("investment_intensity_2008.csv"), dtype={"code_2002": str, "code_2017": str})
    table = table.assign(code_2017=table["code_2017"].str.split(";")).explode("code_2017")
    return table.set_index("code_2017")


def investment_floor(code: str, config: ParkConfig) -> InvestmentFloor:
    """The floor of investment per mu for an industry ``code`` in the park: the stricter of the park's and 表1's.

    表1 is read for the park's region class (``investment_region_class``) and the code's
    group (``C291``/``C292``, which the 2008 table sets apart) or division; its
    万元/公顷 are turned into 万元/亩 (÷ 15). Without a region class, or where 表1 gives no
    figure, the park's floor applies alone.

    >>> from planner.config import ParkConfig
    >>> investment_floor("C3670", ParkConfig(park_id="T", name="t", crs_epsg=4548)).rule_zh
    '园区下限'
    """
    park = config.threshold("investment_intensity_min_wan_per_mu")
    region = int(config.threshold("investment_region_class"))
    own = InvestmentFloor(park, "园区下限", "the park's floor")
    if region == 0:
        return own
    table = investment_table()
    key = code[:4] if code[:4] in table.index else code[:3]
    if key not in table.index:
        return own
    per_ha = pd.to_numeric(table.loc[key, f"class_{region}"], errors="coerce")
    if pd.isna(per_ha) or float(per_ha) / MU_PER_HECTARE <= park:
        return own
    label = REGION_CLASSES[region - 1]
    return InvestmentFloor(
        float(per_ha) / MU_PER_HECTARE,
        f"2008年控制指标（{label}地区，{key}）下限",
        f"the 2008 control indicators' floor (region class {region}, {key})",
    )
