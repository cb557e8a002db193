"""Each land-supply rule on hand-built parks whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.config import LeadingIndustry
from planner.siting.match import match
from planner.siting.project import parse_project
from planner.siting.rules import RuleContext, needed_items, rules_for
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
    zones = ["C36", "C3670", "C3672", "C39,C40", None]
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
    assert "低于单独供地门槛 5,000 万元" in r.standard_factory["message"]
    assert match(index, parse_project(project(investment_wan=5000))).standard_factory is None


@pytest.mark.parametrize("investment", [4999.0, 0.0])
def test_standard_factory_advice_says_when_there_is_none(investment):
    r = match(site(row(1)), parse_project(project(investment_wan=investment)))
    assert r.standard_factory["factories"] == []
    assert r.standard_factory["message"].endswith("园区尚未登记标准厂房")
