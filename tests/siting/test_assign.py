"""Batch assignment: exact (HiGHS) against greedy, against brute force, and within source capacity."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from planner.siting.assign import assign, greedy, recheck
from planner.siting.match import match
from planner.siting.project import ProjectError, parse_projects
from planner.siting.site import SiteIndex
from tests.siting.match_helpers import power_park
from tests.siting.park import project, rect, site
from tests.test_problems_zh import untranslated

# every criterion but area fit is the same for every parcel here: readiness 1, capacity .5, road .5,
# chain 0, earthwork 1 (declared leveled, no DEM), single parcel 1 → score = .25 × fit + .475
BASE = 0.20 + 0.15 * 0.5 + 0.10 * 0.5 + 0.10 + 0.05


def test_greedy_in_order_is_worse_than_the_exact_assignment():
    index = site([rect(0, 100), rect(500, 60)])
    # A (first) fits both and slightly prefers P0; B fits only P0
    a = project(name="A", land_mu=[55, 110], investment_wan=30000)
    b = project(name="B", land_mu=[90, 110], investment_wan=30000)
    projects = parse_projects([a, b])
    fit_a0, fit_a1 = 1 - 17.5 / 82.5, 1 - 22.5 / 82.5
    assert match(index, projects[0]).candidates["score"].tolist() == pytest.approx(
        [0.25 * fit_a0 + BASE, 0.25 * fit_a1 + BASE]
    )
    g = greedy(index, projects)
    assert g.parcels_of() == {"A": ("P0",)}
    assert g.total_score == pytest.approx(0.25 * fit_a0 + BASE)
    exact = assign(index, projects)
    assert exact.parcels_of() == {"A": ("P1",), "B": ("P0",)}
    assert exact.total_score == pytest.approx(0.25 * fit_a1 + BASE + 0.25 * 1.0 + BASE)
    assert exact.status.startswith("最优解")
    assert exact.problems == [] and g.problems == []
    out = exact.to_dict()
    assert out["assigned"] == 2
    assert [x["parcel_ids"] for x in out["assignments"]] == [["P1"], ["P0"]]


def brute_force(index, projects) -> float:
    """The best total score over every way to give each project one candidate or none, parcels used once."""
    options = [[None, *match(index, p).candidates.itertuples(index=False)] for p in projects]
    best = 0.0
    for combo in itertools.product(*options):
        picked = [c for c in combo if c is not None]
        used = [i for c in picked for i in c.members]
        if len(used) == len(set(used)):
            best = max(best, sum(c.score for c in picked))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_the_exact_assignment_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    areas = rng.uniform(20, 90, 7).round(1)
    # strips side by side, some touching (groups possible), some apart
    x = np.cumsum(np.where(rng.random(7) < 0.5, 100.0, 400.0))
    index = site([rect(xi, mu) for xi, mu in zip(x, areas, strict=True)])
    records = []
    for k in range(3):
        lo = float(round(rng.uniform(20, 80)))
        records.append(project(name=f"项目{k}", land_mu=[lo, lo + float(round(rng.uniform(10, 60)))]))
    projects = parse_projects(records)
    exact = assign(index, projects)
    assert exact.problems == []
    assert exact.total_score == pytest.approx(brute_force(index, projects), abs=1e-9)
    assert greedy(index, projects).total_score <= exact.total_score + 1e-9


def test_the_load_on_a_source_stays_within_what_it_has_left(tmp_path):
    # 100 kVA left; each project adds 200 × 0.45 = 90 kVA: only one of them can have power there
    store = power_park(tmp_path, 1000.0)
    index = SiteIndex.from_store(store)
    twins = parse_projects(
        [project(name=n, land_mu=15, investment_wan=8000, power_kva=200) for n in ("甲", "乙")]
        + [project(name="丙", land_mu=15, investment_wan=8000, power_kva=20)]
    )
    # P1 is the only parcel the line serves; alone each project fits there
    assert all(list(match(index, p).candidates["parcel_ids"]) == [("P1",)] for p in twins)
    exact = assign(index, twins)
    assert len(exact.parcels_of()) == 1
    assert exact.problems == []
    # 丙's 9 kVA would fit beside either twin, but P1 is the only parcel: the best single score wins
    assert exact.total_score == pytest.approx(max(match(index, p).candidates["score"].iloc[0] for p in twins))


def test_recheck_finds_a_parcel_given_twice_and_an_overloaded_source(tmp_path):
    store = power_park(tmp_path, 1000.0)
    index = SiteIndex.from_store(store)
    twins = parse_projects([project(name=n, land_mu=15, investment_wan=8000, power_kva=200) for n in ("甲", "乙")])
    exact = assign(index, twins)
    (winner,) = exact.parcels_of()
    loser = next(p.name for p in twins if p.name != winner)
    exact.chosen[loser] = dict(exact.chosen[winner])
    found = recheck(index, exact)
    # P1 is seen first with 甲 (the first project), then with 乙
    assert found[0].describe("zh") == "宗地 'P1'：同时分配给 甲 和 乙"
    assert str(found[0]) == "parcel 'P1': given to both 甲 and 乙"
    # each twin adds 200 kVA × 0.45 = 90 kVA: 180 on the 100 left
    assert found[1].describe("zh") == "源点 '园区变电站'：新增负荷 180 超过剩余容量 100"
    assert found[1].describe("en") == "source '园区变电站': the load added, 180, is over the 100 left"
    assert all(untranslated(p) is None for p in found)
    # the answer in either language
    assert exact.to_dict()["problems"] == []  # the assignment as solved: nothing wrong
    exact.problems = found
    assert exact.to_dict("en")["problems"][1] == "source '园区变电站': the load added, 180, is over the 100 left"
    assert exact.to_dict()["problems"][1] == "源点 '园区变电站'：新增负荷 180 超过剩余容量 100"


def test_the_status_and_the_reasons_in_chinese_and_english():
    index = site([rect(0, 100)])
    a = project(name="A", land_mu=[55, 110], investment_wan=30000)
    b = project(name="B", land_mu=[90, 110], investment_wan=30000)  # both want P0, the only parcel
    c = project(name="C", land_mu=[500, 600], investment_wan=90000)  # no parcel is large enough
    exact = assign(index, parse_projects([a, b, c]), top=100)
    zh, en = exact.to_dict(), exact.to_dict("en")
    assert zh["status"] == "最优解（每个项目的前 100 个候选）"
    assert en["status"] == "optimal (the 100 best candidates of each project)"
    why = {e["project"]: e.get("reason") for e in zh["assignments"]}
    why_en = {e["project"]: e.get("reason") for e in en["assignments"]}
    loser = next(n for n in ("A", "B") if exact.chosen[n] is None)
    assert why[loser] == "候选地块已分配给总分更高的其他项目，或电力/水源容量不足以同时满足"
    assert why_en[loser].startswith("its candidates went to other projects for a higher total score")
    assert (why["C"], why_en["C"]) == ("没有满足全部供地条件的地块", "no parcel meets every condition of supply")
    assert greedy(index, parse_projects([a, b, c])).status_in("en") == "greedy, in the given order"


def test_projects_of_the_same_name_are_refused_naming_the_name():
    index = site([rect(0, 100)])
    one = parse_projects([project(name="A", land_mu=[55, 110], investment_wan=30000)])[0]
    with pytest.raises(ProjectError) as refused:
        assign(index, [one, one])
    assert (
        refused.value.text("zh")
        == "项目记录有 1 处问题：\n  - 项目 'A'，字段 `name`：多个项目同名：每个项目须有自己的名称"
    )


def test_the_assignment_as_features_shows_each_placed_project_on_its_land():
    shapes = [rect(0, 100), rect(500, 60)]
    index = site(shapes)
    a = project(name="A", land_mu=[55, 110], investment_wan=30000)
    b = project(name="B", land_mu=[90, 110], investment_wan=30000)
    exact = assign(index, parse_projects([a, b]))
    frame = exact.to_frame()
    assert frame.columns.tolist() == ["project", "industry", "parcel_ids", "area_mu", "score", "geometry"]
    assert frame[["project", "industry", "parcel_ids"]].values.tolist() == [["A", "C3670", "P1"], ["B", "C3670", "P0"]]
    assert frame["area_mu"].tolist() == pytest.approx([60.0, 100.0])
    assert frame["score"].tolist() == [round(exact.chosen[n]["score"], 4) for n in ("A", "B")]
    assert frame.geometry.iloc[0].equals(shapes[1]) and frame.geometry.iloc[1].equals(shapes[0])
    assert frame.crs.to_epsg() == index.config.crs_epsg
    # greedy places A on P0 and leaves B without land: B has no row
    assert greedy(index, parse_projects([a, b])).to_frame()["project"].tolist() == ["A"]
