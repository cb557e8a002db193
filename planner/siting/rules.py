"""The land-supply rules a parcel must pass for a project, in the order they are checked.

Each rule is a function of a :class:`RuleContext` (the park's index, the project and
the loads it brings) returning, for every parcel, whether it passes; its docstring
names the rule's source. Thresholds come from the park's configuration
(:class:`planner.config.ParkConfig`). :func:`explain` writes, for parcels that failed
a rule, the Chinese sentence an investment officer reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.codes import industry_admits
from planner.infra.demand import SEWAGE_SHARE, demand
from planner.parcels.evaluation import far_minimum
from planner.siting.controls import investment_floor
from planner.siting.project import Project
from planner.siting.site import CAPACITY_NETWORKS, SiteIndex
from planner.units import M2_PER_MU, figures
from planner.vocab import CHECKLIST_ITEMS, STATUSES, capacity_unit

__all__ = [
    "AREA_RULES",
    "BASE_NEEDS",
    "RULE_LABELS",
    "Rule",
    "RuleContext",
    "area_fits",
    "explain",
    "needed_items",
    "rules_for",
    "standard_factory_text",
    "unchecked_controls",
    "unstated_class_notes",
]

BASE_NEEDS = ("road", "water", "drainage", "power", "telecom", "leveled")
"""Checklist items every industrial project needs; gas and heat only where its industry or the project says so."""

_SOURCE_ZH = {"power": "供电", "water": "供水", "drainage": "污水处理"}


@dataclass(frozen=True)
class Rule:
    """A land-supply rule: its name (``ready_gas``), Chinese and English labels, and the test."""

    name: str
    label_zh: str
    label_en: str
    test: Callable[[RuleContext], np.ndarray]


@dataclass
class RuleContext:
    """What the rules look at: the park, the project, its land range and its load on each capacity network."""

    index: SiteIndex
    project: Project
    lo_mu: float
    hi_mu: float
    stated_load: dict[str, float | None]
    """The project's load on each capacity network as it states it (``None``: not stated)."""
    per_mu_load: dict[str, float]
    """The industry's default load per mu, for what the project does not state."""

    @classmethod
    def of(cls, index: SiteIndex, project: Project) -> RuleContext:
        """The context of ``project`` in the park of ``index``: its land range and its loads."""
        config = index.config
        if project.land_min_mu == project.land_max_mu:  # "about N 亩"
            lo = project.target_mu * (1 - config.threshold("siting_area_under_fraction"))
            hi = project.target_mu * (1 + config.threshold("siting_area_over_fraction"))
        else:
            lo, hi = project.land_min_mu, project.land_max_mu
        stated, per_mu = project_loads(index, project)
        return cls(index, project, lo, hi, stated, per_mu)

    def floor(self, key: str) -> float:
        """A threshold of the park (its floors of investment, output and tax per mu, …)."""
        return self.index.config.threshold(key)

    def load_for(self, net: str, area_mu: np.ndarray) -> np.ndarray:
        """The project's load on ``net`` if it takes land of ``area_mu`` (stated, or per-mu default × area)."""
        stated = self.stated_load[net]
        area = np.asarray(area_mu, dtype=float)
        return np.full(area.shape, stated) if stated is not None else self.per_mu_load[net] * area

    @property
    def load(self) -> dict[str, np.ndarray]:
        """The project's load on each capacity network for each parcel of the park."""
        return {net: self.load_for(net, self.index.area_mu) for net in CAPACITY_NETWORKS}


def project_loads(index: SiteIndex, project: Project) -> tuple[dict[str, float | None], dict[str, float]]:
    """The project's load on power, water and drainage sources: as stated, and the per-mu defaults.

    Power: the stated installed ``power_kva`` times the park's coincidence factor (the
    load a substation carries, as for the parcels already served); water: ``water_m3d``;
    drainage: 85% of the water. A figure the project does not state is the industry's
    per-mu default (``data/demand_per_mu.csv``) times the area it takes.
    """
    factor = index.config.threshold("power_coincidence_factor")
    one = pd.DataFrame({"industry": [project.code], "area_mu": [1.0], "power_kva": [np.nan], "water_m3d": [np.nan]})
    per_mu = {net: float(demand(one, net, power_factor=factor)[0]) for net in CAPACITY_NETWORKS}
    stated = {
        "power": None if project.power_kva is None else project.power_kva * factor,
        "water": project.water_m3d,
        "drainage": None if project.water_m3d is None else project.water_m3d * SEWAGE_SHARE,
    }
    return stated, per_mu


def needed_items(index: SiteIndex, project: Project) -> tuple[str, ...]:
    """The checklist items the project needs, in checklist order.

    The park's checklist items among :data:`BASE_NEEDS`, plus gas and heat where the
    industry's catalogue row or the project's ``needs`` ask for them (even when the
    park's checklist is shorter).
    """
    wanted = {i for i in BASE_NEEDS if i in index.config.checklist}
    wanted |= {i for i in (*project.industry.needs, *project.needs) if i in CHECKLIST_ITEMS}
    return tuple(i for i in CHECKLIST_ITEMS if i in wanted)


def in_leading_industry(index: SiteIndex, project: Project) -> list[str]:
    """The park's leading industries (主导产业) the project belongs to, by their codes or catalogue names."""
    return [
        li.name_zh
        for li in index.config.leading_industries
        if any(industry_admits(code, project.code) for code in li.codes) or li.name_zh in project.industry.leading
    ]


# --- the rules -----------------------------------------------------------------------------------------------


def standard_factory(ctx: RuleContext) -> np.ndarray:
    """A project under the park's investment floor gets no parcel of its own (``standard_factory_below_wan``).

    Source: a park's (or province's) own rule, not a national one. The national text,
    工业项目建设用地控制指标 (国土资发〔2008〕24号) art. 五, sends projects suited to multi-storey
    standard factories (适合多层标准厂房生产的工业项目) to them and supplies them no separate land
    in principle, but names no amount; parks commonly draw the line at 5000 万元 of fixed
    investment, the default here. The message says it is the park's rule (园区规定).
    """
    ok = ctx.project.investment_wan >= ctx.floor("standard_factory_below_wan")
    return np.full(len(ctx.index), ok)


def available(ctx: RuleContext) -> np.ndarray:
    """Only banked land (``reserved`` 储备) can be supplied.

    Source: 土地储备管理办法 (自然资规〔2017〕17号): land is supplied from the reserve, as
    净地 with its ownership settled; planned land is not yet acquired, supplied land is taken.
    """
    return ctx.index.available


def land_class(ctx: RuleContext) -> np.ndarray:
    """The parcel's land class is the project's or a heavier one of the same family, never a lighter one.

    Source: GB 50137-2011 城市用地分类与规划建设用地标准 (一/二/三类工业用地 M1–M3, 物流仓储 W1–W3)
    and DESIGN.md: a project may use land of its class or a heavier one, never a lighter one.
    Industrial land of unstated class (the level-2 code 1001 工业用地, as 三调 0601 converts) is
    admitted for any industrial project; :func:`unstated_class_notes` says its class must be
    confirmed before the land is supplied.
    """
    need = ctx.project.land_class
    fits: np.ndarray = (ctx.index.class_family == need[0]) & (ctx.index.class_level >= int(need[1]))
    if need[0] == "M":
        fits |= (ctx.index.class_family == "M") & (ctx.index.class_level == 0)
    return fits


def unstated_class_notes(ctx: RuleContext, candidates: np.ndarray) -> list[str]:
    """A note naming the candidate parcels of industrial land whose class (一/二/三类) is not stated."""
    at = candidates[(ctx.index.class_family[candidates] == "M") & (ctx.index.class_level[candidates] == 0)]
    if not len(at):
        return []
    ids = "、".join(str(i) for i in ctx.index.ids[at][:10]) + ("等" if len(at) > 10 else "")
    return [
        f"{len(at)} 宗候选地块为工业用地（1001）但未注明一/二/三类（{ids}）：供地前须核实用地类别是否满足项目所需"
        f"{_class_zh(ctx.project.land_class)}"
    ]


def zoning(ctx: RuleContext) -> np.ndarray:
    """The parcel's zoning admits the industry; a parcel without zoning takes the park's leading industries.

    Source: the park's detailed plan (控制性详细规划) and industry plan: a parcel zoned
    ``C36`` admits ``C3670``; where a parcel lists no industries, the park's leading
    industries (主导产业, at most three) decide; a park without any admits every industry.
    """
    admits = ctx.index.zoning_admits(ctx.project.code)
    leading_ok = not ctx.index.config.leading_industries or bool(in_leading_industry(ctx.index, ctx.project))
    return admits & (ctx.index.zoned() | leading_ok)


def area_min(ctx: RuleContext, area_mu: np.ndarray | None = None) -> np.ndarray:
    """The parcel is at least the project's land need (the range's minimum; for "about N 亩", N less a margin).

    Source: 节约集约利用土地规定 (国土资源部令第61号, 2014; 2019 revised): land is supplied by
    the project's approved need; the margin is ``siting_area_under_fraction``.
    """
    return _area(ctx, area_mu) >= ctx.lo_mu - 1e-9


def area_max(ctx: RuleContext, area_mu: np.ndarray | None = None) -> np.ndarray:
    """The parcel is no larger than the project's land need (the range's maximum, or N plus a margin).

    Source: 节约集约利用土地规定 (2014; 2019 revised) — no more land than the project needs;
    the margin is ``siting_area_over_fraction``.
    """
    return _area(ctx, area_mu) <= ctx.hi_mu + 1e-9


def investment_intensity(ctx: RuleContext, area_mu: np.ndarray | None = None) -> np.ndarray:
    """Fixed investment per mu on the parcel is at least the floor of :func:`investment_floor`.

    Source: 工业项目建设用地控制指标 (国土资发〔2008〕24号) art. 四(一) and 表1, 投资强度 by region
    class and industry, where the park names its class; the park's own floor
    (``investment_intensity_min_wan_per_mu``) otherwise or where it is stricter. A parcel
    so large that the project falls under it fails.
    """
    area = _area(ctx, area_mu)
    floor = investment_floor(ctx.project.code, ctx.index.config).wan_per_mu
    return ctx.project.investment_wan >= floor * area - 1e-9


def far_planned(ctx: RuleContext, area_mu: np.ndarray | None = None) -> np.ndarray:
    """The project's planned floor area on the parcel gives at least its industry's minimum FAR.

    Source: 工业项目建设用地控制指标 (国土资发〔2008〕24号) art. 四(二) and 表2 容积率控制指标 (e.g.
    塑料制品业 C292 ≥ 1.0, 橡胶制品业 C291 ≥ 0.8). Not checked without ``floor_area_m2``.
    """
    area = _area(ctx, area_mu)
    minimum = float(far_minimum(pd.Series([ctx.project.code]))[0])
    if ctx.project.floor_area_m2 is None or not np.isfinite(minimum):
        return np.ones(area.shape, dtype=bool)
    ok: np.ndarray = ctx.project.floor_area_m2 >= minimum * area * M2_PER_MU - 1e-6
    return ok


def building_coverage(ctx: RuleContext) -> np.ndarray:
    """The planned building coverage (建筑系数) is at least ``building_coverage_min`` (30%).

    Source: 工业项目建设用地控制指标 (国土资发〔2008〕24号) art. 四(三): 建筑系数应不低于 30%.
    Not checked without ``building_coverage_pct`` (the match notes say so).
    """
    value = ctx.project.building_coverage_pct
    ok = value is None or value >= 100 * ctx.floor("building_coverage_min") - 1e-9
    return np.full(len(ctx.index), ok)


def admin_share(ctx: RuleContext) -> np.ndarray:
    """Administration and living-service land is at most ``admin_living_share_max`` (7%) of the project's land.

    Source: 工业项目建设用地控制指标 (国土资发〔2008〕24号) art. 四(四): 行政办公及生活服务设施用地面积
    不得超过工业项目总用地面积的 7%. Not checked without ``admin_share_pct``.
    """
    value = ctx.project.admin_share_pct
    ok = value is None or value <= 100 * ctx.floor("admin_living_share_max") + 1e-9
    return np.full(len(ctx.index), ok)


def green_ratio(ctx: RuleContext) -> np.ndarray:
    """The planned green ratio (绿地率) is at most ``green_ratio_max`` (20%).

    Source: 工业项目建设用地控制指标 (国土资发〔2008〕24号), 控制指标应用说明: 工业企业内部一般不得安排
    绿地，因生产工艺等特殊要求需要安排的，绿地率不得超过 20%. Not checked without ``green_ratio_pct``.
    """
    value = ctx.project.green_ratio_pct
    ok = value is None or value <= 100 * ctx.floor("green_ratio_max") + 1e-9
    return np.full(len(ctx.index), ok)


_CONTROL_FIELDS = {
    "floor_area_m2": "容积率（按计划建筑面积）",
    "building_coverage_pct": "建筑系数 ≥ 30%",
    "admin_share_pct": "行政办公及生活服务设施用地 ≤ 7%",
    "green_ratio_pct": "绿地率 ≤ 20%",
}


def unchecked_controls(project: Project) -> list[str]:
    """The 2008 control indicators not checked because the project does not state its planned figure."""
    return [
        f"项目未提供 {name}，未核验{label}（工业项目建设用地控制指标，国土资发〔2008〕24号）"
        for name, label in _CONTROL_FIELDS.items()
        if getattr(project, name) is None
    ]


def output_per_mu(ctx: RuleContext, area_mu: np.ndarray | None = None) -> np.ndarray:
    """Expected output per mu at least the park's floor (``output_min_wan_per_mu``); not checked without ``output_wan``.

    Source: the 亩均效益 / 标准地 rules of the provinces (e.g. 浙江省 "标准地" 2018): parks set
    output and tax floors per mu in the land-supply conditions.
    """
    area = _area(ctx, area_mu)
    if ctx.project.output_wan is None:
        return np.ones(area.shape, dtype=bool)
    return ctx.project.output_wan >= ctx.floor("output_min_wan_per_mu") * area - 1e-9


def tax_per_mu(ctx: RuleContext, area_mu: np.ndarray | None = None) -> np.ndarray:
    """Expected tax per mu at least the park's floor (``tax_min_wan_per_mu``); not checked without ``tax_wan``.

    Source: as :func:`output_per_mu` (标准地 conditions, e.g. ≥ 20 万元 tax per mu).
    """
    area = _area(ctx, area_mu)
    if ctx.project.tax_wan is None:
        return np.ones(area.shape, dtype=bool)
    return ctx.project.tax_wan >= ctx.floor("tax_min_wan_per_mu") * area - 1e-9


def _area(ctx: RuleContext, area_mu: np.ndarray | None) -> np.ndarray:
    """The areas an area rule judges: ``area_mu`` where given (a combined group's), else every parcel's."""
    return ctx.index.area_mu if area_mu is None else np.asarray(area_mu, dtype=float)


_AREA_TESTS = (area_min, area_max, investment_intensity, far_planned, output_per_mu, tax_per_mu)
AREA_RULES = tuple(test.__name__ for test in _AREA_TESTS)
"""Rules that depend on the area taken: for a combined group they are checked on the group's area."""


def area_fits(ctx: RuleContext, area_mu: np.ndarray) -> np.ndarray:
    """Whether each area of ``area_mu`` (a combined group's) passes every rule of :data:`AREA_RULES`."""
    ok = np.ones(np.shape(area_mu), dtype=bool)
    for test in _AREA_TESTS:
        ok &= test(ctx, area_mu)
    return ok


def _ready(item: str) -> Callable[[RuleContext], np.ndarray]:
    def test(ctx: RuleContext) -> np.ndarray:
        return ctx.index.held[item]

    test.__doc__ = f"""The parcel has {CHECKLIST_ITEMS[item][1]} ({CHECKLIST_ITEMS[item][0]}) as the project needs.

    Source: DESIGN.md (熟地; declared vs derived): the network model's value where the
    park has a {item} layer, the records' otherwise ("净地" supply with 七通一平).
    """
    return test


def _capacity(net: str) -> Callable[[RuleContext], np.ndarray]:
    def test(ctx: RuleContext) -> np.ndarray:
        table = ctx.index.sources.get(net)
        if table is None:  # no network model: capacity unknown, not checked
            return np.ones(len(ctx.index), dtype=bool)
        left = ctx.index.remaining_at(net)
        if left is None:
            return np.ones(len(ctx.index), dtype=bool)
        # a parcel the network does not serve (−inf) fails the readiness rule, not this one
        load = ctx.load_for(net, ctx.index.area_mu)
        room: np.ndarray = (left == -np.inf) | (left >= load - 1e-9)
        return room

    test.__doc__ = f"""The {net} source serving the parcel has capacity left for the project's demand.

    Source: DESIGN.md (Networks): a parcel is served only while its source has capacity
    left; the project's demand is its stated figure (power × the coincidence factor) or
    the industry's per-mu default.
    """
    return test


RULE_LABELS: dict[str, tuple[str, str]] = {
    "standard_factory": (
        "投资额低于园区单独供地门槛（园区规定）",
        "investment under the park's separate-parcel floor (a park rule)",
    ),
    "available": ("非储备可供地", "not available (not reserved)"),
    "land_class": ("用地类别不符", "land class not compatible"),
    "zoning": ("产业准入不符", "industry not admitted"),
    "area_min": ("面积不足", "too small"),
    "area_max": ("面积过大", "too large"),
    "investment_intensity": ("投资强度不达标", "investment intensity under the floor"),
    "output_per_mu": ("亩均产出不达标", "output per mu under the floor"),
    "tax_per_mu": ("亩均税收不达标", "tax per mu under the floor"),
    "far_planned": ("计划容积率低于行业下限", "planned FAR under the industry's minimum"),
    "building_coverage": ("建筑系数低于30%", "building coverage under 30%"),
    "admin_share": ("行政办公及生活服务设施用地超过7%", "administration and living land over 7%"),
    "green_ratio": ("绿地率超过20%", "green ratio over 20%"),
    **{f"ready_{i}": (f"未{CHECKLIST_ITEMS[i][0]}", f"no {CHECKLIST_ITEMS[i][1]}") for i in CHECKLIST_ITEMS},
    **{f"capacity_{n}": (f"{_SOURCE_ZH[n]}容量不足", f"{n} capacity short") for n in CAPACITY_NETWORKS},
}
"""Chinese and English labels of every rule, by name."""

_FIXED = (standard_factory, available, land_class, zoning, area_min, area_max)
_FLOORS = (investment_intensity, far_planned, output_per_mu, tax_per_mu, building_coverage, admin_share, green_ratio)


def rules_for(index: SiteIndex, project: Project) -> list[Rule]:
    """The rules for ``project`` in the order they are checked."""
    funcs: list[tuple[str, Callable[[RuleContext], np.ndarray]]] = [(f.__name__, f) for f in (*_FIXED, *_FLOORS)]
    funcs += [(f"ready_{item}", _ready(item)) for item in needed_items(index, project)]
    funcs += [(f"capacity_{net}", _capacity(net)) for net in CAPACITY_NETWORKS]
    return [Rule(name, *RULE_LABELS[name], test) for name, test in funcs]


def explain(ctx: RuleContext, rule: str, at: np.ndarray) -> list[str]:
    """Why the parcels at positions ``at`` fail ``rule``, in Chinese, with their figures."""
    if rule in _WHY:
        return _WHY[rule](ctx, at)
    if rule in _PER_MU:
        return _why_per_mu(ctx, rule, at)
    if rule.startswith("ready_"):
        return _why_not_ready(ctx, rule.removeprefix("ready_"), at)
    if rule.startswith("capacity_"):
        return _why_no_capacity(ctx, rule.removeprefix("capacity_"), at)
    msg = f"unknown rule {rule!r}; known: {', '.join(RULE_LABELS)}"
    raise KeyError(msg)


def standard_factory_text(ctx: RuleContext) -> str:
    """Why a project under the park's separate-parcel floor gets no parcel: the park's rule, with its figures."""
    shown, limit = figures(ctx.project.investment_wan, ctx.floor("standard_factory_below_wan"), decimals=0)
    return (
        f"项目投资 {shown} 万元，低于园区规定的单独供地门槛 {limit} 万元（园区规定；国家控制指标要求"
        "适合多层标准厂房的项目进入标准厂房、原则上不单独供地，未定金额）：宜入驻标准厂房"
    )


def _why_standard_factory(ctx: RuleContext, at: np.ndarray) -> list[str]:
    return [standard_factory_text(ctx)] * len(at)


def _why_not_available(ctx: RuleContext, at: np.ndarray) -> list[str]:
    return [f"地块状态为{STATUSES.get(s, (s,))[0]}，只有储备地可供应" for s in ctx.index.status[at]]


def _why_land_class(ctx: RuleContext, at: np.ndarray) -> list[str]:
    need = ctx.project.land_class
    return [
        f"地块为{_class_zh(c)}，项目需要{_class_zh(need)}或更重的同类用地"
        if c
        else f"地块不是工业或物流仓储用地，项目需要{_class_zh(need)}"
        for c in ctx.index.land_class[at]
    ]


def _why_zoning(ctx: RuleContext, at: np.ndarray) -> list[str]:
    ix, pr = ctx.index, ctx.project
    zones = [ix.zones[k] for k in ix.zone_key[at]]
    leading = "、".join(li.name_zh for li in ix.config.leading_industries)
    return [
        f"地块准入产业为 {'、'.join(z)}，不含 {pr.code}（{pr.industry.name_zh}）"
        if z
        else f"{pr.code}（{pr.industry.name_zh}）不属于园区主导产业（{leading}），地块无单独准入规定"
        for z in zones
    ]


def _why_too_small(ctx: RuleContext, at: np.ndarray) -> list[str]:
    return [f"面积 {a:,.1f} 亩，小于需求下限 {ctx.lo_mu:,.1f} 亩" for a in ctx.index.area_mu[at]]


def _why_too_large(ctx: RuleContext, at: np.ndarray) -> list[str]:
    return [f"面积 {a:,.1f} 亩，大于需求上限 {ctx.hi_mu:,.1f} 亩" for a in ctx.index.area_mu[at]]


def _why_far(ctx: RuleContext, at: np.ndarray) -> list[str]:
    minimum = float(far_minimum(pd.Series([ctx.project.code]))[0])
    floor_m2 = float(ctx.project.floor_area_m2 or 0.0)
    texts = []
    for a in ctx.index.area_mu[at]:
        shown, limit = figures(floor_m2 / (a * M2_PER_MU), minimum, decimals=2)
        texts.append(f"计划容积率 {shown}，低于 {ctx.project.code} 的下限 {limit}（2008年控制指标表2）")
    return texts


def _why_ratio(name: str, field: str, key: str, word: str) -> Callable[[RuleContext, np.ndarray], list[str]]:
    def why(ctx: RuleContext, at: np.ndarray) -> list[str]:
        shown, limit = figures(float(getattr(ctx.project, field)), 100 * ctx.floor(key))
        return [f"{name} {shown}%，{word} {limit}%（2008年控制指标）"] * len(at)

    return why


_WHY: dict[str, Callable[[RuleContext, np.ndarray], list[str]]] = {
    "far_planned": _why_far,
    "building_coverage": _why_ratio("建筑系数", "building_coverage_pct", "building_coverage_min", "低于下限"),
    "admin_share": _why_ratio("行政办公及生活服务设施用地", "admin_share_pct", "admin_living_share_max", "超过上限"),
    "green_ratio": _why_ratio("绿地率", "green_ratio_pct", "green_ratio_max", "超过上限"),
    "standard_factory": _why_standard_factory,
    "available": _why_not_available,
    "land_class": _why_land_class,
    "zoning": _why_zoning,
    "area_min": _why_too_small,
    "area_max": _why_too_large,
}
_PER_MU = {
    "investment_intensity": ("investment_wan", "investment_intensity_min_wan_per_mu", "投资强度"),
    "output_per_mu": ("output_wan", "output_min_wan_per_mu", "亩均产出"),
    "tax_per_mu": ("tax_wan", "tax_min_wan_per_mu", "亩均税收"),
}
"""For each per-mu rule: the project's figure, the park's floor and the Chinese name of the indicator."""


def _why_per_mu(ctx: RuleContext, rule: str, at: np.ndarray) -> list[str]:
    figure, key, name = _PER_MU[rule]
    total = getattr(ctx.project, figure)
    floor, which = ctx.floor(key), "园区下限"
    if rule == "investment_intensity":
        found = investment_floor(ctx.project.code, ctx.index.config)
        floor, which = found.wan_per_mu, found.rule_zh
    texts = []
    for a in ctx.index.area_mu[at]:
        shown, limit = figures(total / a, floor)
        texts.append(f"{name} {shown} 万元/亩，低于{which} {limit} 万元/亩（地块相对项目过大）")
    return texts


def _why_not_ready(ctx: RuleContext, item: str, at: np.ndarray) -> list[str]:
    texts = ctx.index.reason[item][at]
    label = CHECKLIST_ITEMS[item][0]
    return [f"{label}未满足：{t}" if isinstance(t, str) and t else f"{label}未满足" for t in texts]


def _why_no_capacity(ctx: RuleContext, net: str, at: np.ndarray) -> list[str]:
    ix = ctx.index
    table, pos, load = ix.sources[net], ix.source[net][at], ctx.load_for(net, ix.area_mu[at])
    unit = capacity_unit(net)
    return [
        f"{table.names[s]}剩余 {max(table.remaining[s], 0):,.0f} {unit}，不足本项目的 {q:,.0f} {unit}"
        if s >= 0
        else f"没有接通的{_SOURCE_ZH[net]}源点"
        for s, q in zip(pos, load, strict=True)
    ]


def _class_zh(code: str) -> str:
    names = {"M": "类工业用地", "W": "类物流仓储用地"}
    if code == "M":
        return "工业用地（1001，未注明一/二/三类）"
    return f"{'一二三'[int(code[1]) - 1]}{names[code[0]]}（{code}）" if len(code) == 2 else "未细分的用地"
