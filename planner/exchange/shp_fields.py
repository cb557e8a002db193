"""The land bureau's Shapefile columns: a short Chinese name with its unit for every parcel column.

A Shapefile (dBASE) column name holds at most 10 bytes; in GB18030 a Chinese character takes
2, an ASCII letter 1. So each name below is a whole word of at most 5 characters, or fewer
characters and an ASCII unit (``m2``, ``m3``, ``kVA``); a unit in Chinese (亩, 万元, 吨标煤)
counts as characters. No name is a label cut mid-word; they are unique, and the import
reads them back (:func:`planner.exchange.mapping.known_names`).

Abbreviations: ``登记`` = the value as declared (登记), ``计算`` = as the planner computed
it; ``距离m`` = straight distance to the nearest network, ``网距m`` = distance along the
network (网络距离); ``日`` ends a date column's name (签订日 = 签订日期).

``SHAPEFILE_DECIMALS`` rounds each unit to its meaning: 亩 to 4 decimals (0.07 m²), money
(万元) to 2 (100 yuan), m² and m³ to 2, metres to 1, shares (%) to 4 (a share just over its
cap, 7.004% against 7%, must not read as the cap), the rest to 2.
"""

from __future__ import annotations

__all__ = ["SHAPEFILE_DECIMALS", "SHAPEFILE_FIELDS"]

# fmt: off
SHAPEFILE_FIELDS: dict[str, str] = {
    "parcel_id": "宗地代码", "park_id": "园区编号", "name": "地块名称",
    "area_m2": "宗地面积m2", "area_mu": "宗地面积亩", "ellipsoid_area_m2": "椭球面积m2",
    "declared_area_mu": "登记面积亩", "land_use": "用地分类", "zone_industries": "准入产业",
    "status": "供地状态", "supply_mode": "供地方式", "holder": "使用权人", "industry": "所属行业",
    "contract_date": "合同签订日", "agreed_start_date": "约定动工日", "actual_start_date": "实际动工日",
    "agreed_completion_date": "约定竣工日", "halted_since": "停工日期",
    "land_price_wan": "地价万元", "investment_total_wan": "总投资万元", "investment_actual_wan": "已投资万元",
    "developed_area_m2": "已开发m2", "delay_cause": "闲置原因",
    "declared_road": "通路登记", "road": "通路计算", "road_distance_m": "通路距离m",
    "road_network_m": "通路网距m", "road_reason": "通路说明",
    "declared_water": "给水登记", "water": "给水计算", "water_distance_m": "给水距离m",
    "water_network_m": "给水网距m", "water_reason": "给水说明",
    "declared_drainage": "排水登记", "drainage": "排水计算", "drainage_distance_m": "排水距离m",
    "drainage_network_m": "排水网距m", "drainage_reason": "排水说明",
    "declared_power": "通电登记", "power": "通电计算", "power_distance_m": "通电距离m",
    "power_network_m": "通电网距m", "power_reason": "通电说明",
    "declared_telecom": "电信登记", "telecom": "电信计算", "telecom_distance_m": "电信距离m",
    "telecom_network_m": "电信网距m", "telecom_reason": "电信说明",
    "declared_gas": "燃气登记", "gas": "燃气计算", "gas_distance_m": "燃气距离m",
    "gas_network_m": "燃气网距m", "gas_reason": "燃气说明",
    "declared_heat": "热力登记", "heat": "热力计算", "heat_distance_m": "热力距离m",
    "heat_network_m": "热力网距m", "heat_reason": "热力说明",
    "declared_leveled": "平整登记", "leveled": "平整计算", "relief_m": "场地高差m", "earthwork_m3": "土方量m3",
    "ready": "熟地", "missing": "缺项", "idle_rule": "闲置情形", "idle_since": "闲置起始日",
    "idle_until": "闲置截止日", "idle_fee_wan": "闲置费万元", "reclaim_from": "无偿收回日",
    "disposal_stage": "处置阶段", "idle_notice_date": "调查通知日", "idle_determined_date": "闲置认定日",
    "disposal": "处置方式", "disposal_date": "处置决定日", "restart_date": "重新动工日",
    "temporary_use_until": "临时使用至", "idle_fee_paid_wan": "已缴费万元",
    "floor_area_m2": "建筑面积m2", "footprint_m2": "基底面积m2", "admin_share_pct": "行政生活%",
    "green_ratio_pct": "绿地率%", "output_wan": "产值万元", "tax_wan": "税收万元",
    "energy_tce": "能耗吨标煤", "power_kva": "负荷kVA", "water_m3d": "日用水m3",
}
# fmt: on
"""Parcel column → its Shapefile name (at most 10 bytes in GB18030)."""

SHAPEFILE_DECIMALS: dict[str, int] = {"mu": 4, "wan_yuan": 2, "m2": 2, "m3": 2, "m": 1, "pct": 4}
"""Decimals a number of each unit keeps in the bureau's formats; a unit not listed keeps 2."""
