"""Project records: values checked field by field, with messages naming the field and what is allowed."""

from __future__ import annotations

import json
from datetime import date

import pytest

from planner.siting.project import ProjectError, load_projects, parse_project, parse_projects
from tests.siting.park import project


def test_a_valid_project_is_read_with_its_catalogue_entry():
    p = parse_project(project(land_mu=[100, 140], power_kva=8000, water_m3d=500, earliest_start="2027年3月1日"))
    assert (p.land_min_mu, p.land_max_mu, p.target_mu) == (100.0, 140.0, 120.0)
    assert p.industry.name_zh == "汽车零部件及配件制造"
    assert p.land_class == "M2"
    assert "新能源汽车" in p.industry.leading
    assert p.earliest_start == date(2027, 3, 1)
    assert p.notes == ()


def test_a_class_not_listed_takes_its_division_row():
    p = parse_project(project(industry="C3660"))
    assert p.industry.listed_as == "C36"
    assert p.land_class == "M2"
    assert p.industry.name_zh == "汽车制造业（C3660）"


def test_a_project_may_override_the_land_class():
    assert parse_project(project(land_class="M3")).land_class == "M3"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"industry": "C99"}, "industry", "division 99 is not in section C"),
        ({"industry": "X12"}, "industry", "is not a GB/T 4754-2017 code"),
        ({"industry": 36}, "industry", "must be a GB/T 4754-2017 code"),
        ({"land_mu": -5}, "land_mu", "must be > 0 亩"),
        ({"land_mu": [140, 100]}, "land_mu", "min 140 is more than its max 100"),
        ({"land_mu": [100]}, "land_mu", "a range must be [min, max]"),
        ({"land_mu": "120亩"}, "land_mu", "must be a plain number of 亩"),
        ({"power_kva": "8 MVA"}, "power_kva", "must be a plain number of kVA"),
        ({"power_mva": 8}, "power_mva", "write power_kva (kVA; 1 MVA = 1000 kVA)"),
        ({"water_m3h": 20}, "water_m3h", "water_m3d (m³ per day; 1 m³/h = 24 m³/d)"),
        ({"investment_wan": float("nan")}, "investment_wan", "must be a number of 万元"),
        ({"needs": ["gas", "steam"]}, "needs", "['steam'] not allowed; allowed: road, water"),
        ({"earliest_start": "03/01/2027"}, "earliest_start", "write a date such as 2027-03-01"),
        ({"land_class": "M4"}, "land_class", "allowed: M1, M2, M3, W1, W2, W3"),
        ({"colour": "red"}, "colour", "is not a project field; allowed: name, industry"),
        ({"name": "  "}, "name", "must be a non-empty text"),
    ],
)
def test_bad_values_are_named_with_what_is_allowed(change, field, says):
    with pytest.raises(ProjectError) as caught:
        parse_project(project(**change))
    assert [p.field for p in caught.value.errors] == [field]
    assert says in caught.value.errors[0].message
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_reported_at_once_and_names_the_project():
    with pytest.raises(ProjectError) as caught:
        parse_project({"name": "甲", "industry": "C99", "land_mu": [150, 100], "power_mva": 8})
    fields = [p.field for p in caught.value.errors]
    assert fields == ["power_mva", "investment_wan", "industry", "land_mu"]
    assert "project '甲', field `land_mu`" in str(caught.value)


def test_power_far_too_small_for_the_land_is_noted_as_maybe_mva():
    p = parse_project(project(land_mu=120, power_kva=8))
    assert p.notes == ("power_kva 8 is under 1 kVA per 亩 for 120 亩: if it was meant in MVA, write 8000",)


def test_a_list_reports_problems_by_row_and_repeated_names():
    with pytest.raises(ProjectError) as caught:
        parse_projects([project(), project(), {"industry": "C36"}, 3])
    where = [(p.row, p.parcel_id, p.field) for p in caught.value.errors]
    assert (2, None, "name") in where
    assert (3, None, None) in where
    assert (None, "测试项目", "name") in where


def test_files_bad_json_and_bad_encoding(tmp_path):
    good = tmp_path / "p.json"
    good.write_text(json.dumps([project(name="甲"), project(name="乙")], ensure_ascii=False), encoding="utf-8")
    assert [p.name for p in load_projects(good)] == ["甲", "乙"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "甲",', encoding="utf-8")
    with pytest.raises(ProjectError, match="is not valid JSON"):
        load_projects(broken)
    gbk = tmp_path / "gbk.json"
    gbk.write_bytes(json.dumps(project(name="汽车"), ensure_ascii=False).encode("gbk"))
    with pytest.raises(ProjectError, match="is not UTF-8 text"):
        load_projects(gbk)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_projects(tmp_path / "none.json")


def test_a_project_may_not_ask_for_lighter_land_than_its_industry_needs():
    with pytest.raises(ProjectError) as caught:
        parse_project(project(industry="C2651", land_class="M1"))
    assert caught.value.errors[0].field == "land_class"
    assert "allowed: M3" in caught.value.errors[0].message
    with pytest.raises(ProjectError, match="allowed: M2, M3"):
        parse_project(project(industry="C3670", land_class="W1"))


def test_a_folder_given_as_a_project_file_is_named(tmp_path):
    with pytest.raises(ProjectError, match="cannot be read"):
        load_projects(tmp_path)


def test_control_shares_are_percent_of_the_land():
    from planner.siting.project import ProjectError, parse_project
    from tests.siting.park import project

    p = parse_project(project(building_coverage_pct=45.0, admin_share_pct=6.5, green_ratio_pct=0.0))
    assert (p.building_coverage_pct, p.admin_share_pct, p.green_ratio_pct) == (45.0, 6.5, 0.0)
    assert p.as_dict()["admin_share_pct"] == 6.5
    with pytest.raises(ProjectError, match=r"admin_share_pct.*from 0 to 100"):
        parse_project(project(admin_share_pct=120.0))
