"""The parcel layer's columns: type, unit, allowed values and labels.

This field dictionary is the contract of ``../shared/DESIGN.md`` (The parcel
layer) in code. The store builds its tables from it, validation checks input
against it, and the maps and exports take their Chinese labels from it.

Each field has an ``origin``:

- ``input``: from the park's records (a survey, a contract, the readiness a
  record declares);
- ``computed``: always computed by the planner from the geometry; an input value
  is replaced and the difference reported (areas are never trusted);
- ``derived``: written by the planner's analyses (network readiness, idle land);
- ``managed``: bookkeeping kept by the store (version, who and when).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import geopandas as gpd
import pandas as pd

from planner.fields import Field, allowed_text, dictionary_table, empty_frame
from planner.fields import coerce_types as _coerce
from planner.vocab import (
    CHECKLIST_ITEMS,
    DELAY_CAUSES,
    DISPOSAL_STAGES,
    DISPOSALS,
    IDLE_RULES,
    NETWORK_ITEMS,
    STATUSES,
    SUPPLY_MODES,
)

__all__ = [
    "FIELDS",
    "FIELD_BY_NAME",
    "GROUPS",
    "Field",
    "allowed_text",
    "coerce_types",
    "column_names",
    "empty_parcels",
    "field_dictionary",
    "label",
]


GROUPS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "identity": ("标识", "identity"),
        "area": ("面积", "area"),
        "planning": ("规划", "planning"),
        "supply": ("供地", "supply"),
        "readiness": ("七通一平", "readiness"),
        "idle": ("闲置", "idle land"),
        "performance": ("效益", "performance"),
        "edits": ("编辑", "edits"),
    }
)


def _fields() -> list[Field]:
    fields = [
        # identity
        Field(
            "parcel_id",
            "str",
            "identity",
            "宗地代码",
            "parcel id",
            required=True,
            description="Unique; the 19-character 宗地代码 where known.",
        ),
        Field("park_id", "str", "identity", "园区编号", "park id"),
        Field("name", "str", "identity", "地块名称", "name"),
        Field(
            "geometry",
            "geometry",
            "identity",
            "宗地范围",
            "boundary",
            required=True,
            description="Polygon or MultiPolygon, stored in the park's Gauss–Krüger zone.",
        ),
        # area
        Field(
            "area_m2",
            "float",
            "area",
            "宗地面积",
            "area",
            unit="m2",
            origin="computed",
            description="Planar area in the park's CGCS2000 Gauss–Krüger zone (shoelace).",
        ),
        Field(
            "area_mu",
            "float",
            "area",
            "宗地面积",
            "area",
            unit="mu",
            origin="computed",
            description="area_m2 / (10000/15).",
        ),
        Field(
            "ellipsoid_area_m2",
            "float",
            "area",
            "椭球面积",
            "ellipsoidal area",
            unit="m2",
            origin="computed",
            description="Area on the CGCS2000 (GRS80) ellipsoid.",
        ),
        Field(
            "declared_area_mu",
            "float",
            "area",
            "登记面积",
            "declared area",
            unit="mu",
            min_value=0.0,
            description="Area stated by the source; >1% off the computed area is reported.",
        ),
        # planning
        Field(
            "land_use",
            "str",
            "planning",
            "用地分类",
            "land use",
            description="用地用海分类 code (100101/100102/100103 一/二/三类工业用地, 1101 物流仓储用地, …).",
        ),
        Field(
            "zone_industries",
            "str",
            "planning",
            "准入产业",
            "allowed industries",
            description="GB/T 4754-2017 codes with section letter, comma-separated (C36 admits C3670).",
        ),
        # supply
        Field("status", "str", "supply", "供地状态", "supply status", allowed=STATUSES, required=True),
        Field("supply_mode", "str", "supply", "供地方式", "supply mode", allowed=SUPPLY_MODES),
        Field("holder", "str", "supply", "土地使用权人", "land-use right holder"),
        Field(
            "industry",
            "str",
            "supply",
            "所属行业",
            "industry",
            description="GB/T 4754-2017 code of the holder's industry (C3670).",
        ),
        Field("contract_date", "date", "supply", "合同签订日期", "contract date"),
        Field("agreed_start_date", "date", "supply", "约定动工日期", "agreed start date"),
        Field("actual_start_date", "date", "supply", "实际动工日期", "actual start date"),
        Field("agreed_completion_date", "date", "supply", "约定竣工日期", "agreed completion date"),
        Field("halted_since", "date", "supply", "停工日期", "halted since"),
        Field("land_price_wan", "float", "supply", "土地价款", "land price", unit="wan_yuan", min_value=0.0),
        Field(
            "investment_total_wan",
            "float",
            "supply",
            "总投资额",
            "total investment",
            unit="wan_yuan",
            min_value=0.0,
            description="Total investment excluding land price and taxes (闲置土地处置办法 art. 2).",
        ),
        Field(
            "investment_actual_wan",
            "float",
            "supply",
            "已完成投资额",
            "investment made",
            unit="wan_yuan",
            min_value=0.0,
        ),
        Field("developed_area_m2", "float", "supply", "已开发面积", "developed area", unit="m2", min_value=0.0),
        Field(
            "delay_cause",
            "str",
            "supply",
            "闲置原因",
            "cause of delay (art. 8)",
            allowed=DELAY_CAUSES,
            description=(
                "A cause of delay of 闲置土地处置办法 art. 8: the government's (¶1) or force majeure (¶2); "
                "empty when the holder caused it."
            ),
        ),
    ]
    for item in NETWORK_ITEMS:
        zh, en = CHECKLIST_ITEMS[item]
        fields += [
            Field(f"declared_{item}", "bool", "readiness", f"{zh}（登记）", f"{en} (declared)"),
            Field(item, "bool", "readiness", f"{zh}（计算）", f"{en} (derived)", origin="derived"),
            Field(
                f"{item}_distance_m",
                "float",
                "readiness",
                f"{zh}距离",
                f"{en} distance",
                unit="m",
                min_value=0.0,
                origin="derived",
            ),
            Field(
                f"{item}_network_m",
                "float",
                "readiness",
                f"{zh}网络距离",
                f"{en} distance along the network",
                unit="m",
                min_value=0.0,
                origin="derived",
                description="Distance along the network from the serving source to the parcel's tap point.",
            ),
            Field(f"{item}_reason", "str", "readiness", f"{zh}说明", f"{en} reason", origin="derived"),
        ]
    fields += [
        Field("declared_leveled", "bool", "readiness", "场地平整（登记）", "site leveled (declared)"),
        Field("leveled", "bool", "readiness", "场地平整（计算）", "site leveled (derived)", origin="derived"),
        Field("relief_m", "float", "readiness", "场地高差", "relief", unit="m", min_value=0.0, origin="derived"),
        Field(
            "earthwork_m3",
            "float",
            "readiness",
            "平整土方量",
            "earthwork to level",
            unit="m3",
            min_value=0.0,
            origin="derived",
        ),
        Field(
            "ready",
            "bool",
            "readiness",
            "熟地",
            "ready (serviced)",
            origin="derived",
            description="True when every item of the park's checklist holds (熟地).",
        ),
        Field(
            "missing",
            "str",
            "readiness",
            "缺项",
            "missing items",
            origin="derived",
            description="Checklist items that fail, comma-separated.",
        ),
        # idle
        Field("idle_rule", "str", "idle", "闲置情形", "idle rule", allowed=IDLE_RULES, origin="derived"),
        Field(
            "idle_since",
            "date",
            "idle",
            "闲置起始日",
            "first idle day",
            origin="derived",
            description="The first day the land is idle: the day after the one-year period ends (art. 2).",
        ),
        Field(
            "idle_until",
            "date",
            "idle",
            "闲置截止日",
            "last idle day",
            origin="derived",
            description="Land idle and started since: its last idle day (the day before the start); its fee is owed.",
        ),
        Field(
            "idle_fee_wan",
            "float",
            "idle",
            "土地闲置费",
            "idle-land fee",
            origin="derived",
            unit="wan_yuan",
            min_value=0.0,
        ),
        Field("reclaim_from", "date", "idle", "可无偿收回日期", "reclaimable from", origin="derived"),
        Field(
            "disposal_stage",
            "str",
            "idle",
            "处置阶段",
            "disposal stage",
            allowed=DISPOSAL_STAGES,
            origin="derived",
            description="Where the parcel stands in the idle-land procedure (闲置土地处置办法 arts. 5–14).",
        ),
        Field(
            "idle_notice_date",
            "date",
            "idle",
            "闲置土地调查通知书日期",
            "investigation notice date",
            description="闲置土地调查通知书 (art. 5).",
        ),
        Field(
            "idle_determined_date",
            "date",
            "idle",
            "闲置土地认定书日期",
            "determination date",
            description="闲置土地认定书 (art. 9).",
        ),
        Field(
            "disposal",
            "str",
            "idle",
            "处置方式",
            "disposal",
            allowed=DISPOSALS,
            description="The disposal decided: art. 12 for an art. 8 cause, art. 14 for the holder's.",
        ),
        Field("disposal_date", "date", "idle", "处置决定日期", "disposal decided on"),
        Field(
            "restart_date",
            "date",
            "idle",
            "重新约定动工日期",
            "new agreed start date",
            description="The start date the disposal sets anew (art. 12 ¶2); the idle-land rules run from it.",
        ),
        Field(
            "temporary_use_until",
            "date",
            "idle",
            "临时使用截止日",
            "temporary use until",
            description="The last day of a temporary use (at most two years, art. 12 (三)).",
        ),
        Field("idle_fee_paid_wan", "float", "idle", "已缴闲置费", "idle-land fee paid", unit="wan_yuan", min_value=0.0),
        # performance
        Field("floor_area_m2", "float", "performance", "建筑面积", "floor area", unit="m2", min_value=0.0),
        Field("footprint_m2", "float", "performance", "建筑基底面积", "building footprint", unit="m2", min_value=0.0),
        Field(
            "admin_share_pct",
            "float",
            "performance",
            "行政办公及生活服务设施用地所占比重",
            "administration and living-service land share",
            unit="pct",
            min_value=0.0,
            max_value=100.0,
            description=(
                "Administration and living-service land, % of the parcel (国土资发〔2008〕24号 art. 四(四): ≤ 7%)."
            ),
        ),
        Field(
            "green_ratio_pct",
            "float",
            "performance",
            "绿地率",
            "green ratio",
            unit="pct",
            min_value=0.0,
            max_value=100.0,
            description="Green land, % of the parcel (国土资发〔2008〕24号, 应用说明: ≤ 20%).",
        ),
        Field("output_wan", "float", "performance", "年产值", "annual output", unit="wan_yuan", min_value=0.0),
        Field("tax_wan", "float", "performance", "年税收", "annual tax", unit="wan_yuan", min_value=0.0),
        Field("energy_tce", "float", "performance", "年综合能耗", "annual energy use", unit="tce", min_value=0.0),
        Field("power_kva", "float", "performance", "用电负荷", "power demand", unit="kva", min_value=0.0),
        Field("water_m3d", "float", "performance", "用水量", "water demand", unit="m3/d", min_value=0.0),
        # edits
        Field("version", "int", "edits", "版本", "version", origin="managed"),
        Field("updated_at", "datetime", "edits", "更新时间", "updated at", origin="managed"),
        Field("updated_by", "str", "edits", "更新人", "updated by", origin="managed"),
    ]
    return fields


FIELDS: tuple[Field, ...] = tuple(_fields())
FIELD_BY_NAME: Mapping[str, Field] = MappingProxyType({f.name: f for f in FIELDS})


def column_names(*, origin: str | None = None, geometry: bool = True) -> list[str]:
    """Column names in schema order, optionally only those of one ``origin``."""
    return [f.name for f in FIELDS if (origin is None or f.origin == origin) and (geometry or f.kind != "geometry")]


def label(name: str, lang: str = "zh") -> str:
    """Chinese (``zh``) or English (``en``) label of a column, with its unit.

    >>> label("area_mu")
    '宗地面积（亩）'
    >>> label("area_mu", "en")
    'area (mu)'
    """
    try:
        return FIELD_BY_NAME[name].label(lang)
    except KeyError:
        msg = f"`{name}` is not a parcel column; see planner.parcels.schema.FIELDS"
        raise KeyError(msg) from None


def field_dictionary(lang: str = "zh") -> pd.DataFrame:
    """The parcel field dictionary: name, label, kind, unit, allowed values, group, origin."""
    return dictionary_table(FIELDS, GROUPS, lang)


def empty_parcels(crs: object) -> gpd.GeoDataFrame:
    """An empty parcel layer with every column in its canonical dtype."""
    return gpd.GeoDataFrame(empty_frame(FIELDS), geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def coerce_types(df: pd.DataFrame) -> pd.DataFrame:
    """Cast the parcel columns present in ``df`` to their canonical dtypes."""
    return _coerce(df, FIELD_BY_NAME)
