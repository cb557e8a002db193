"""Each land-supply rule on hand-built parks whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.config import LeadingIndustry
from planner.siting.match import match
from planner.siting.project import parse_project
from planner.siting.rules import RULE_LABELS, RuleContext, explain, needed_items, rules_for
from tests.siting.park import config, project, rect, site


def verdict(index, record, rule):
    """Whether each parcel passes ``rule`` for the project."""
    p = parse_project(record)
    ctx = RuleContext.of(index, p)
    (found,) = [r for r in rules_for(index, p) if r.name == rule]
    return found.test(ctx).tolist()


def row(n: int) -> list:
    return [rect(200 * i, 100) for i in range(n)]


def test_only_reserved_land_is_available():
    index = site(row(5), status=["planned", "reserved", "supplied", "under_construction", "in_production"])
    assert verdict(index, project(), "available") == [False, True, False, False, False]


def test_land_class_same_or_heavier_of_the_same_family():
    uses = ["100101", "100102", "100103", "110101", "0701", "1001"]
    index = site(row(6), land_use=uses)
    # M2 project: M2 and M3 yes; M1 lighter; logistics and housing no; industrial land of unstated class (1001)
    # is admitted for any industrial project, its class to be confirmed (issue 19)
    assert verdict(index, project(industry="C3670"), "land_class") == [False, True, True, False, False, True]
    # M3 chemicals never on M1/M2
    assert verdict(index, project(industry="C2651"), "land_class") == [False, False, True, False, False, True]
    # M1 electronics anywhere industrial; warehousing (G59, W1) only on logistics land
    assert verdict(index, project(industry="C3973"), "land_class") == [True, True, True, False, False, True]
    assert verdict(index, project(industry="G59"), "land_class") == [False, False, False, True, False, False]


def test_zoning_by_prefix_and_by_leading_industries_where_a_parcel_has_none():
    zones = ["C36", "C3670", "C3660", "C39,C40", None]
    plain = site(row(5), zone_industries=zones)
    assert verdict(plain, project(industry="C3670"), "zoning") == [True, True, False, False, True]
    led = config(leading_industries=(LeadingIndustry("电子信息", ("C39",)),))
    index = site(row(5), park=led, zone_industries=zones)
    # the unzoned parcel takes the park's leading industries: electronics only
    assert verdict(index, project(industry="C3670"), "zoning") == [True, True, False, False, False]
    assert verdict(index, project(industry="C3973"), "zoning") == [False, False, False, True, True]
    # a leading industry named as the catalogue names it counts too (新能源汽车 lists C3670)
    by_name = config(leading_industries=(LeadingIndustry("新能源汽车", ("C3612",)),))
    index = site(row(5), park=by_name, zone_industries=zones)
    assert verdict(index, project(industry="C3670"), "zoning")[4] is True


def test_area_by_range_and_by_an_about_value():
    shapes = [rect(200 * i, mu) for i, mu in enumerate([89.9, 90.0, 100.0, 125.0, 125.1])]
    index = site(shapes)
    assert np.allclose(index.area_mu, [89.9, 90.0, 100.0, 125.0, 125.1])
    # "about 100 亩": 100 × (1 − 0.10) … 100 × (1 + 0.25)
    assert verdict(index, project(land_mu=100), "area_min") == [False, True, True, True, True]
    assert verdict(index, project(land_mu=100), "area_max") == [True, True, True, True, False]
    assert verdict(index, project(land_mu=[100, 125]), "area_min") == [False, False, True, True, True]


def test_per_mu_floors_cap_the_parcel_size():
    shapes = [rect(200 * i, mu) for i, mu in enumerate([80.0, 120.0, 121.0])]
    index = site(shapes)
    # 30,000 万元 at ≥ 250 万元/亩 allows at most 120 亩
    record = project(land_mu=[80, 130], investment_wan=30000)
    assert verdict(index, record, "investment_intensity") == [True, True, False]
    # output 48,000 at ≥ 400/亩: at most 120 亩; tax 2,000 at ≥ 20/亩: at most 100 亩
    record |= {"output_wan": 48000, "tax_wan": 2000}
    assert verdict(index, record, "output_per_mu") == [True, True, False]
    assert verdict(index, record, "tax_per_mu") == [True, False, False]
    # not stated, not checked
    assert verdict(index, project(land_mu=[80, 130]), "tax_per_mu") == [True, True, True]


def test_a_failing_value_is_never_shown_as_its_floor():
    """工业项目建设用地控制指标 (2008) 投资强度 at the park's floor (250 万元/亩): exactly the floor passes,
    a hair under fails, and the message shows enough decimals to tell the two apart."""
    index = site([rect(0, 100.0)])
    assert verdict(index, project(investment_wan=25000), "investment_intensity") == [True]
    record = project(investment_wan=24999)
    assert verdict(index, record, "investment_intensity") == [False]
    ctx = RuleContext.of(index, parse_project(record))
    assert explain(ctx, "investment_intensity", np.array([0])) == [
        "投资强度 249.99 万元/亩，低于园区下限 250 万元/亩（地块相对项目过大）"
    ]
    tiny = RuleContext.of(index, parse_project(project(investment_wan=24999.9)))
    assert explain(tiny, "investment_intensity", np.array([0]))[0].startswith("投资强度 249.999 万元/亩")


def test_the_5000_wan_rule_is_the_parks_own():
    """The national text (国土资发〔2008〕24号 art. 五) names no amount: the message calls it the park's rule."""
    ctx = RuleContext.of(site([rect(0, 100.0)]), parse_project(project(investment_wan=4999.6)))
    (text,) = explain(ctx, "standard_factory", np.array([0]))
    assert text.startswith("项目投资 4,999.6 万元，低于园区规定的单独供地门槛 5,000 万元（园区规定")
    assert "按规定" not in text
    assert "园区规定" in RULE_LABELS["standard_factory"][0]


def test_needs_from_the_checklist_the_industry_and_the_project():
    index = site(row(1))
    names = lambda record: needed_items(index, parse_project(record))  # noqa: E731
    assert names(project(industry="C3973")) == ("road", "water", "drainage", "power", "telecom", "gas", "leveled")
    assert names(project(industry="C3911")) == ("road", "water", "drainage", "power", "telecom", "leveled")
    assert names(project(industry="C2651")) == (
        "road", "water", "drainage", "power", "telecom", "gas", "heat", "leveled"
    )  # fmt: skip
    assert names(project(industry="C3911", needs=["heat"]))[-2:] == ("heat", "leveled")
    # a 三通一平 park still checks gas for a project that needs it
    short = site(row(1), park=config(checklist=("road", "water", "power", "leveled")))
    assert needed_items(short, parse_project(project(industry="C3973"))) == (
        "road", "water", "power", "gas", "leveled"
    )  # fmt: skip


def test_a_missing_needed_item_fails_and_says_why():
    index = site(row(3), declared_gas=[True, False, None], declared_heat=[False, False, False])
    r = match(index, parse_project(project(industry="C3973", land_mu=[90, 110])))
    assert r.rule_names.count("ready_heat") == 0  # heat is not needed: its absence fails nothing
    rejected = r.rejected().set_index("parcel_id")
    assert list(r.candidates["parcel_ids"]) == [("P0",)]
    assert rejected.loc["P1", "rule"] == "ready_gas"
    assert rejected.loc["P2", "rule"] == "ready_gas"  # unknown does not hold
    assert rejected.loc["P1", "reason"] == "通燃气未满足"


def test_a_project_under_the_floor_gets_standard_factories_not_land():
    factories = pd.DataFrame(
        {
            "factory_id": ["F1", "F2", "F3", "F4"],
            "name": ["一期", "二期", "三期", "四期"],
            "parcel_id": ["P0", "P0", "P1", "P2"],
            "floor_area_m2": [10000.0, 8000.0, 6000.0, 9000.0],
            "free_floor_area_m2": [3000.0, 1000.0, 6000.0, 5000.0],
        }
    )
    index = site(row(3), land_use=["100101", "100102", "100102"], zone_industries=[None, None, "C39"])
    index.factories = factories
    small = parse_project(project(investment_wan=4999, floor_area_m2=2500))
    r = match(index, small)
    assert r.counts["standard_factory"] == 3
    assert r.candidates.empty
    # F2 has too little free area; F1 stands on M1 land (lighter than M2); F4's parcel is zoned for C39
    assert [f["factory_id"] for f in r.standard_factory["factories"]] == ["F3"]
    assert "项目投资 4,999 万元，低于园区规定的单独供地门槛 5,000 万元（园区规定" in r.standard_factory["message"]
    assert "按规定" not in r.standard_factory["message"]
    assert match(index, parse_project(project(investment_wan=5000))).standard_factory is None


@pytest.mark.parametrize("investment", [4999.0, 0.0])
def test_standard_factory_advice_says_when_there_is_none(investment):
    r = match(site(row(1)), parse_project(project(investment_wan=investment)))
    assert r.standard_factory["factories"] == []
    assert r.standard_factory["message"].endswith("园区尚未登记标准厂房")


def test_plastics_and_rubber_have_their_own_far_minimum():
    """国土资发〔2008〕24号 表2: 塑料制品业 (2002 division 30, now C292) ≥ 1.0, 橡胶制品业 (29, now C291) ≥ 0.8.

    A 100 亩 parcel is 66,666.67 m²: plastics need 66,666.67 m² of floor area on it, rubber 53,333.33 m².
    """
    index = site([rect(0, 100.0)])
    plastics = project(industry="C2927", floor_area_m2=66666.67)
    assert verdict(index, plastics, "far_planned") == [True]  # exactly the minimum (to the cent of a m²)
    under = project(industry="C2927", floor_area_m2=66000.0)
    assert verdict(index, under, "far_planned") == [False]
    ctx = RuleContext.of(index, parse_project(under))
    assert explain(ctx, "far_planned", np.array([0])) == ["计划容积率 0.99，低于 C2927 的下限 1（2008年控制指标表2）"]
    assert verdict(index, project(industry="C2911", floor_area_m2=53333.34), "far_planned") == [True]
    assert verdict(index, project(industry="C2911", floor_area_m2=53000.0), "far_planned") == [False]
    assert verdict(index, project(industry="C2927"), "far_planned") == [True]  # no planned floor area: not checked


@pytest.mark.parametrize(
    ("field", "rule", "at_limit", "over", "text"),
    [
        ("building_coverage_pct", "building_coverage", 30.0, 29.99, "建筑系数 29.99%，低于下限 30%"),
        ("admin_share_pct", "admin_share", 7.0, 7.01, "行政办公及生活服务设施用地 7.01%，超过上限 7%"),
        ("green_ratio_pct", "green_ratio", 20.0, 20.01, "绿地率 20.01%，超过上限 20%"),
    ],
)
def test_coverage_admin_and_green_at_their_limits(field, rule, at_limit, over, text):
    """国土资发〔2008〕24号 art. 四(三)(四) and 应用说明: 建筑系数 ≥ 30%, 行政办公及生活服务设施 ≤ 7%, 绿地率 ≤ 20%."""
    index = site(row(2))
    assert verdict(index, project(**{field: at_limit}), rule) == [True, True]
    assert verdict(index, project(**{field: over}), rule) == [False, False]
    ctx = RuleContext.of(index, parse_project(project(**{field: over})))
    assert explain(ctx, rule, np.array([0]))[0].startswith(text)
    assert verdict(index, project(), rule) == [True, True]  # not stated: not checked


def test_unstated_control_figures_are_noted_as_not_checked():
    r = match(site(row(1)), parse_project(project(building_coverage_pct=40.0, floor_area_m2=80000.0)))
    notes = " ".join(r.notes)
    assert "项目未提供 admin_share_pct，未核验行政办公及生活服务设施用地 ≤ 7%" in notes
    assert "项目未提供 green_ratio_pct，未核验绿地率 ≤ 20%" in notes
    assert "building_coverage_pct" not in notes and "floor_area_m2" not in notes


def test_investment_floor_by_region_class_where_the_2008_table_gives_one(monkeypatch):
    """国土资发〔2008〕24号 表1 sets 投资强度 by region class and division; the stricter of it and the park's applies.

    The figure below is a test value (6,000 万元/公顷 = 400 万元/亩), not the published one.
    """
    from planner.siting import controls

    table = pd.DataFrame({f"class_{k}": [np.nan] for k in range(1, 8)}, index=pd.Index(["C36"], name="code_2017"))
    table.loc["C36", "class_3"] = 6000.0
    monkeypatch.setattr(controls, "investment_table", lambda: table)
    park = config(thresholds={"investment_region_class": 3.0})
    index = site([rect(0, 100.0)], park=park)
    assert verdict(index, project(investment_wan=40000), "investment_intensity") == [True]  # exactly 400/亩
    record = project(investment_wan=39999)
    assert verdict(index, record, "investment_intensity") == [False]
    ctx = RuleContext.of(index, parse_project(record))
    assert explain(ctx, "investment_intensity", np.array([0])) == [
        "投资强度 399.99 万元/亩，低于2008年控制指标（三类地区，C36）下限 400 万元/亩（地块相对项目过大）"
    ]
    # a park floor stricter than the table's wins, and the message names it
    strict = site([rect(0, 100.0)], park=config(thresholds={"investment_region_class": 3.0,
                                                           "investment_intensity_min_wan_per_mu": 450.0}))  # fmt: skip
    ctx = RuleContext.of(strict, parse_project(project(investment_wan=44999)))
    assert explain(ctx, "investment_intensity", np.array([0]))[0].startswith(
        "投资强度 449.99 万元/亩，低于园区下限 450"
    )
    # without a region class the park's floor applies alone
    assert verdict(site([rect(0, 100.0)]), project(investment_wan=25000), "investment_intensity") == [True]
