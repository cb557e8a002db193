"""Matching: scores worked out by hand, combined groups, rejections with reasons, capacity from a real network."""

from __future__ import annotations

import numpy as np
import pytest

from planner.siting.match import match
from planner.siting.project import parse_project
from planner.siting.site import SiteIndex
from tests.conftest import GK
from tests.siting.match_helpers import power_park
from tests.siting.park import M2_PER_MU, config, project, rect, site

# default weights: area .25, readiness .20, capacity .15, road .10, chain .15, earthwork .10, single parcel .05


def test_the_best_single_parcel_loses_to_a_combined_pair():
    # A: 105 亩 alone, without gas and heat (not needed: readiness 6/8) and 1 m of earthwork per m²;
    # B1 + B2: 50 + 50 亩 side by side, fully serviced and flat; C: 50 亩 on its own, too small
    shapes = [rect(0, 105), rect(500, 50), rect(600, 50), rect(1000, 50)]
    index = site(
        shapes,
        declared_gas=[False, True, True, True],
        declared_heat=[False, True, True, True],
        earthwork_m3=[105 * M2_PER_MU, 0.0, 0.0, 0.0],
    )
    r = match(index, parse_project(project(land_mu=[90, 110])))
    c = r.candidates
    assert list(c["parcel_ids"]) == [("P1", "P2"), ("P0",)]
    # pair: area 1, readiness 1, capacity and road unknown .5, chain 0, earthwork 1, two parcels .5
    assert c.loc[0, "score"] == pytest.approx(0.25 + 0.20 + 0.075 + 0.05 + 0 + 0.10 + 0.025)
    # A: area 1 − 5/100, readiness 6/8, earthwork 1 m deep scores 0
    assert c.loc[1, "score"] == pytest.approx(0.25 * 0.95 + 0.20 * 0.75 + 0.075 + 0.05 + 0 + 0 + 0.05)
    assert c.loc[0, "area_mu"] == pytest.approx(100.0)
    assert c.loc[1, "readiness_value"] == 6
    assert c.loc[1, "earthwork_value"] == pytest.approx(1.0)
    rejected = r.rejected().set_index("parcel_id")
    assert list(rejected.index) == ["P1", "P2", "P3"]  # alone, every one of them is too small
    assert rejected.loc["P3", "reason"] == "面积 50.0 亩，小于需求下限 90.0 亩"
    assert r.counts["area_min"] == 3
    d = r.to_dict()
    assert d["candidates"][0]["parcel_ids"] == ["P1", "P2"]
    assert [x["name"] for x in d["candidates"][0]["criteria"]] == [
        "area_fit", "readiness", "capacity", "road", "chain", "earthwork", "single_parcel"
    ]  # fmt: skip
    assert sum(x["weight"] for x in d["candidates"][0]["criteria"]) == pytest.approx(1.0)


def test_groups_are_minimal_and_only_of_adjacent_parcels():
    # four 40 亩 strips side by side, one apart; the project needs 70–90 亩
    shapes = [rect(0, 40), rect(100, 40), rect(200, 40), rect(600, 40)]
    r = match(site(shapes), parse_project(project(land_mu=[70, 90], investment_wan=50000)))
    # pairs P0+P1 and P1+P2 fit; P0+P1+P2 (120 亩) is too large; P3 touches nothing
    assert sorted(r.candidates["parcel_ids"]) == [("P0", "P1"), ("P1", "P2")]
    # with 100–130 亩 a triple is needed, and it is the only group
    r = match(site(shapes), parse_project(project(land_mu=[100, 130], investment_wan=50000)))
    assert list(r.candidates["parcel_ids"]) == [("P0", "P1", "P2")]
    assert r.candidates.loc[0, "single_parcel_score"] == 0.0
    # a park that does not combine parcels
    none = site(shapes, park=config(thresholds={"siting_group_max_parcels": 1.0}))
    assert match(none, parse_project(project(land_mu=[70, 90], investment_wan=50000))).candidates.empty


def test_a_group_must_pass_the_per_mu_floors_on_its_combined_area():
    shapes = [rect(0, 40), rect(100, 40)]
    # 80 亩 at 250 万元/亩 needs 20,000 万元
    assert match(site(shapes), parse_project(project(land_mu=[70, 90], investment_wan=19999))).candidates.empty
    assert len(match(site(shapes), parse_project(project(land_mu=[70, 90], investment_wan=20000))).candidates) == 1


def test_chain_neighbours_are_counted_within_the_radius():
    # candidate P0 at the origin; producing parcels of the chain at 500 m and 1,500 m; another industry at 300 m
    shapes = [rect(0, 100), rect(500, 10), rect(1500, 10), rect(300, 10)]
    index = site(
        shapes,
        status=["reserved", "in_production", "in_production", "in_production"],
        industry=[None, "C3360", "C3670", "C1311"],
    )
    r = match(index, parse_project(project(land_mu=100)))
    # C33 is in C3670's chain; the C3670 neighbour is too far (centres 1,500 m apart); food is no kin
    assert r.candidates.loc[0, "chain_value"] == 1
    assert r.candidates.loc[0, "chain_score"] == pytest.approx(1 / 20)


def test_exclude_makes_parcels_unavailable():
    r = match(site([rect(0, 100), rect(500, 100)]), parse_project(project()), exclude=np.array([0]))
    assert list(r.candidates["parcel_ids"]) == [("P1",)]
    assert r.rejected().set_index("parcel_id").loc["P0", "rule"] == "available"


def test_near_misses_name_the_one_thing_missing():
    shapes = [rect(0, 100), rect(500, 100), rect(1000, 100)]
    index = site(
        shapes,
        declared_gas=[False, False, True],
        declared_road=[True, False, True],
        gas_reason=["[登记] 无燃气管网图层，登记为未通", None, None],
    )
    r = match(index, parse_project(project(industry="C3973", land_mu=100)))
    assert [x["parcel_ids"] for x in r.near_misses] == [["P0"]]  # P1 lacks road and gas: two things
    miss = r.near_misses[0]
    assert miss["rule"] == "ready_gas"
    assert miss["message"] == "1 宗地块仅差通燃气：通燃气落实后即满足全部条件"
    assert miss["reasons"] == ["通燃气未满足：[登记] 无燃气管网图层，登记为未通"]


def test_the_projects_own_demand_decides_capacity(tmp_path):
    # 1,000 kVA less P0's 2,000 × 0.45 = 900 kVA leaves 100 kVA
    store = power_park(tmp_path, 1000.0)
    index = SiteIndex.from_store(store)
    assert index.sources["power"].remaining.tolist() == pytest.approx([100.0])
    fits = match(index, parse_project(project(land_mu=15, investment_wan=8000, power_kva=222)))  # 99.9 kVA
    assert list(fits.candidates["parcel_ids"]) == [("P1",)]
    # headroom: (100 − 99.9) / 99.9
    assert fits.candidates.loc[0, "capacity_value"] == pytest.approx((100 - 222 * 0.45) / (222 * 0.45))
    short = match(index, parse_project(project(land_mu=15, investment_wan=8000, power_kva=300)))  # 135 kVA
    rejected = short.rejected().set_index("parcel_id")
    assert rejected.loc["P1", "rule"] == "capacity_power"
    assert rejected.loc["P1", "reason"] == "园区变电站剩余 100 kVA，不足本项目的 135 kVA"
    # P2 is 500 m from the line: no power at all, whatever the capacity
    assert rejected.loc["P2", "rule"] == "ready_power"
    assert "超过服务距离 100 m" in rejected.loc["P2", "reason"]
    misses = {m["rule"]: m for m in short.near_misses}
    assert misses["capacity_power"]["parcel_ids"] == ["P1"]
    assert misses["capacity_power"]["message"] == "1 宗地块仅差供电容量扩容：供电容量扩容落实后即满足全部条件"
    assert misses["ready_power"]["parcel_ids"] == ["P2"]
    # without a stated figure the per-mu default counts: C3670 → 40 kVA/亩 × 15 亩 × 0.45 = 270 kVA > 100
    default = match(index, parse_project(project(land_mu=15, investment_wan=8000)))
    assert default.rejected().set_index("parcel_id").loc["P1", "rule"] == "capacity_power"


def test_a_geojson_frame_of_candidates_and_rejects():
    index = site([rect(0, 100), rect(500, 30)])
    frame_ = match(index, parse_project(project())).to_frame()
    assert list(frame_["kind"]) == ["candidate", "rejected"]
    assert frame_.crs.to_epsg() == GK
    assert frame_.loc[1, "rule"] == "area_min"


def test_a_group_takes_the_projects_load_on_its_combined_area(tmp_path):
    # 100 kVA left; C3670's default 40 kVA/亩 × 0.45 = 18 kVA per 亩 when the project states no power
    store = power_park(tmp_path, 1000.0)
    index = SiteIndex.from_store(store)
    members = np.array([[1, 2]])
    from planner.siting.match import _room
    from planner.siting.rules import RuleContext

    ctx = RuleContext.of(index, parse_project(project(land_mu=[25, 35], investment_wan=9000)))
    # P1 is served by the substation (100 kVA left); P2 by nothing: the group connects at P1, 30 亩 × 18 = 540 kVA
    assert not _room(ctx, members, np.array([30.0]))[0]
    small = RuleContext.of(index, parse_project(project(land_mu=[25, 35], investment_wan=9000, power_kva=200)))
    assert _room(small, members, np.array([30.0]))[0]  # 200 × 0.45 = 90 kVA fits


def test_a_triple_whose_smallest_member_is_in_the_middle_is_offered():
    # 30 + 5 + 30 亩 in a row: the outer two do not touch, so the triple is minimal
    shapes = [rect(0, 30), rect(100, 5), rect(200, 30)]
    r = match(site(shapes), parse_project(project(land_mu=[55, 80], investment_wan=20000)))
    assert list(r.candidates["parcel_ids"]) == [("P0", "P1", "P2")]


def test_parcels_touching_at_a_corner_or_across_a_road_are_not_adjacent():
    corner = [rect(0, 40), rect(100, 40, y=40 * M2_PER_MU / 100)]  # the second starts where the first ends, diagonally
    across = [rect(0, 40), rect(100.5, 40)]  # half a metre apart, sides facing: within the 1 m tolerance
    assert len(site(corner).pairs) == 0
    assert len(site(across).pairs) == 1


def test_capacity_of_a_network_outside_the_checklist_still_counts_in_the_batch(tmp_path):
    from planner.siting.assign import assign

    store = power_park(tmp_path, 1000.0)
    short = config(checklist=("road", "water", "leveled"))  # power is not on this park's checklist
    store.set_config(short, by="test")
    index = SiteIndex.from_store(store)
    twins = [parse_project(project(name=n, land_mu=15, investment_wan=8000, power_kva=200)) for n in ("甲", "乙")]
    # each fits P1 (90 of 100 kVA) alone; together they would need 180
    assert all(("P1",) in set(match(index, p).candidates["parcel_ids"]) for p in twins)
    exact = assign(index, twins)
    assert exact.problems == []
    assert sum(1 for ids in exact.parcels_of().values() if "P1" in ids) <= 1
