"""The reasons of the readiness checklist in English, for the page's English switch.

Reasons are stored in Chinese (``planner.infra.coverage``, ``planner.parcels.readiness``);
each kind of sentence is one pattern here, so the page (``planner-app.js``) and
:func:`reason_en` read them the same way. A reason no pattern knows is shown as stored.
Names (of sources, lines) stay as they were recorded.
"""

from __future__ import annotations

import re

from planner.vocab import CAPACITY_UNITS, CHECKLIST_ITEMS, NETWORK_LAYERS, NETWORKS, STATUSES

__all__ = ["REASONS", "reason_en"]

_N = r"([\d,.]+)"
_RULES: list[tuple[str, str]] = [
    (r"没有在用的(\S+?)线路", "no {1} line in service"),
    # a line beside the parcel it may not tap (planner.infra.coverage._beside), after the reason of the distance
    (rf"(.+)；(高架道路|隧道道路)（(.+)）距地块 {_N} m，不可直接接入",
     "{1r}; the {2} ({3}) {4} m from the parcel cannot be tapped (it has no frontage)"),
    (rf"(.+)；地上(\S+?)线路（(.+)）距地块 {_N} m，不可直接接入",
     "{1r}; the {2} line ({3}) {4} m from the parcel is above grade and cannot be tapped"),
    (rf"(\S+?)线路距地块超过 {_N} m，超过服务距离 ([\d.e+]+) m",
     "{1} lines are over {2} m from the parcel, beyond the service distance of {3} m"),
    (rf"最近的(\S+?)线路距地块 {_N} m，超过服务距离 ([\d.e+]+) m",
     "the nearest {1} line is {2} m from the parcel, beyond the service distance of {3} m"),
    (rf"(\S+?)线路（(.+)）距地块 {_N} m，但未接通任何源点", "{1} line ({2}) is {3} m from the parcel but reaches no source"),
    (rf"经(\S+?)网络至(.+) {_N} km，超过服务半径 ([\d.e+]+) km",
     "{3} km through the {1} network to {2}, beyond the service radius of {4} km"),
    (rf"(.+)容量不足：剩余容量不够本地块所需 {_N} (\S*)（负荷 {_N} / 能力 {_N} (\S*)，剩余 {_N}）",
     "{1} lacks capacity: {6} left is not enough for the {2} {3} this parcel needs (load {4} / capacity {5} {3})"),
    (rf"(.+)容量不足：剩余容量不够本地块所需 {_N} (\S*)",
     "{1} lacks capacity: what is left is not enough for the {2} {3} this parcel needs"),
    (rf"(.+)容量不足：负荷 {_N} / 能力 {_N} (\S*)，剩余 {_N} 不够本地块",
     "{1} lacks capacity: load {2} / capacity {3} {4}, {5} left is not enough for this parcel"),
    (rf"临路（(.+)，{_N} m），经道路 {_N} km 至(.+)", "on a road ({1}, {2} m), {3} km by road to {4}"),
    (rf"(\S+?)线路距地块 {_N} m，经网络 {_N} km 至(.+)，剩余 {_N} (\S+)",
     "{1} line {2} m from the parcel, {3} km through the network to {4}, {5} {6} left"),
    (rf"(\S+?)线路距地块 {_N} m，经网络 {_N} km 至(.+)", "{1} line {2} m from the parcel, {3} km through the network to {4}"),
    (r"无(\S+?)，(登记为已通|登记为未通|无登记)", "no {1}, {2}"),
    (r"高差 relief ([\d.]+) m", "relief {1} m"),
    # siting: why a parcel was left out (planner.siting.rules)
    (r"地块状态为(\S+)，只有储备地可供应", "the parcel is {1}: only reserved land can be supplied"),
    (rf"面积 {_N} 亩，小于需求下限 {_N} 亩", "area {1} mu, under the least area needed, {2} mu"),
    (rf"面积 {_N} 亩，大于需求上限 {_N} 亩", "area {1} mu, over the most area wanted, {2} mu"),
    (r"地块准入产业为 (.+)，不含 (\S+?)（(.+)）", "the parcel's zoning admits {1}, not {2} ({3})"),
    (r"(\S+?)（(.+)）不属于园区主导产业（(.+)），地块无单独准入规定",
     "{1} ({2}) is not among the park's leading industries ({3}) and the parcel has no zoning of its own"),
    (r"(\S+?)未满足：(.+)", "{1} not met: {2r}"),
    (r"(\S+?)未满足", "{1} not met"),
    (rf"(.+)剩余 {_N} (\S+)，不足本项目的 {_N} (\S+)", "{1} has {2} {3} left, less than this project's {4} {5}"),
    (r"没有接通的(\S+?)源点", "no connected {1} source"),
    (r"地块为(.+?)，项目需要(.+)或更重的同类用地", "the parcel is {1}; the project needs {2} or a heavier class of the kind"),
    (rf"(\S+?) {_N} 万元/亩，低于(.+?) {_N} 万元/亩（地块相对项目过大）",
     "{1} {2} × 10,000 yuan/mu, under {3} {4} × 10,000 yuan/mu (the parcel is too large for the project)"),
    (rf"(\S+?) {_N}%，(低于下限|超过上限) {_N}%（2008年控制指标）", "{1} {2}%, {3} {4}% (2008 control indicators)"),
    (rf"计划容积率 {_N}，低于 (\S+?) 的下限 {_N}（2008年控制指标表2）",
     "planned floor-area ratio {1}, under {2}'s least {3} (2008 control indicators, table 2)"),
    # siting: the notes beside the candidates (planner.siting.match, planner.siting.rules)
    (r"项目未提供 (\S+)，未核验(.+)（工业项目建设用地控制指标，国土资发〔2008〕24号）",
     "the project gives no {1}: {2} not checked (control indicators of industrial land, 国土资发〔2008〕24号)"),
    (r"项目属于园区主导产业：(.+)", "the project is in the park's leading industries: {1}"),
    (r"项目不属于园区主导产业（(.+)）", "the project is not in the park's leading industries ({1})"),
    (r"园区无(\S+?)管网模型：(\S+?)容量未核实", "the park has no {1} network model: {2} capacity not checked"),
    (r"项目需要铁路专用线：园区未建铁路图层，请人工核实候选地块的接轨条件",
     "the project needs a rail siding: the park has no rail layer, check the candidates' rail access by hand"),
    (r"另有 (\d+) 组相邻地块单宗面积不足、合并后满足面积要求",
     "{1} more groups of neighbouring parcels are each too small but large enough together"),
    (r"(\d+) 宗候选地块为工业用地（1001）但未注明一/二/三类（(.+)）：供地前须核实用地类别是否满足项目所需(.+)",
     "{1} candidate parcels are industrial land (1001) of no stated class ({2}): check before supply that the class "
     "suits the project's {3}"),
    (r"地块不是工业或物流仓储用地，项目需要(.+)", "the parcel is not industrial or logistics land; the project needs {1}"),
    (rf"项目投资 {_N} 万元，低于园区规定的单独供地门槛 {_N} 万元（园区规定；国家控制指标要求适合多层标准厂房的项目进入"
     "标准厂房、原则上不单独供地，未定金额）：宜入驻标准厂房",
     "the project invests {1} × 10,000 yuan, under the park's floor for a parcel of its own, {2} × 10,000 yuan (the "
     "park's rule; the national control indicators send projects fit for multi-storey standard factories there and, "
     "as a rule, give them no parcel, without a set amount): a standard factory suits it"),
]  # fmt: skip

_WORDS: dict[str, str] = {
    **dict(NETWORKS.values()),
    **dict(NETWORK_LAYERS.values()),
    **dict(CAPACITY_UNITS.values()),
    "登记为已通": "declared connected",
    "登记为未通": "declared not connected",
    "无登记": "not declared",
    **dict(STATUSES.values()),
    **dict(CHECKLIST_ITEMS.values()),
    **{
        f"{'一二三'[k]}类{zh}（{c}{k + 1}）": f"{en} class {k + 1} ({c}{k + 1})"
        for k in range(3)
        for c, zh, en in (("M", "工业用地", "industrial land"), ("W", "物流仓储用地", "logistics land"))
    },
    "未细分的用地": "land of no finer class",
    "工业用地（1001，未注明一/二/三类）": "industrial land (1001, class not stated)",
    "投资强度": "investment intensity",
    "亩均产出": "output per mu",
    "亩均税收": "tax per mu",
    "园区下限": "the park's floor",
    "建筑系数": "building coverage",
    "行政办公及生活服务设施用地": "land for offices and living services",
    "绿地率": "green ratio",
    "低于下限": "under the floor of",
    "超过上限": "over the cap of",
    "容积率（按计划建筑面积）": "floor-area ratio (by the planned floor area)",
    "建筑系数 ≥ 30%": "building coverage ≥ 30%",
    "行政办公及生活服务设施用地 ≤ 7%": "land for offices and living services ≤ 7%",
    "绿地率 ≤ 20%": "green ratio ≤ 20%",
    "高架道路": "elevated road",
    "隧道道路": "road tunnel",
    "供电": "power",
    "供水": "water",
    "污水处理": "sewage treatment",
}

REASONS = {"rules": _RULES, "words": _WORDS, "prefixes": [["[计算] ", "[computed] "], ["[登记] ", "[declared] "]]}
"""What the page's ``plannerApp.reasonEn`` reads (``window.plannerDict.reasons``)."""

_COMPILED = [(re.compile(f"^{pattern}$"), template) for pattern, template in _RULES]


def reason_en(text: str) -> str:
    """A stored reason in English, as the page shows it.

    >>> reason_en("[计算] 最近的给水线路距地块 350 m，超过服务距离 200 m")
    '[computed] the nearest water supply line is 350 m from the parcel, beyond the service distance of 200 m'
    """
    head = ""
    for zh, en in REASONS["prefixes"]:
        if text.startswith(zh):
            head, text = en, text[len(zh) :]
    return head + _translate(text)


def _translate(text: str) -> str:
    """``text`` by the first rule it matches; ``{n}`` is a group (a known word in English), ``{nr}`` a reason."""
    for pattern, template in _COMPILED:
        found = pattern.match(text)
        if found:
            groups = found.groups()

            def fill(m: re.Match, groups: tuple = groups) -> str:
                value = groups[int(m.group(1)) - 1]
                return reason_en(value) if m.group(2) else _WORDS.get(value, value)

            return re.sub(r"\{(\d)(r?)\}", fill, template)
    return text
