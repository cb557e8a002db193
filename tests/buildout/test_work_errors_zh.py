"""A refused work or plan option reads in Chinese (the default) and in English, naming the work and the field.

Each message is written out by hand; the Chinese passes the checker of ``tests/test_problems_zh.py``
(Chinese characters, no English sentence outside backticks and quotes).
"""

from __future__ import annotations

from datetime import date

import pytest

from planner.buildout.costs import UnitCosts
from planner.buildout.plan import PlanOptions
from planner.buildout.works import given_works
from planner.errors import WorkError
from tests.buildout.park import inputs_of, knapsack_park, two_network_park
from tests.buildout.test_plan import plan_of
from tests.conftest import GK
from tests.test_cli import run
from tests.test_problems_zh import untranslated


def _refusal(call) -> WorkError:
    with pytest.raises(WorkError) as refused:
        call()
    problem = refused.value.problem
    assert untranslated(problem) is None, problem.zh
    assert problem.message == str(refused.value)
    return refused.value


def test_a_works_file_s_refusals_in_chinese(tmp_path):
    sources = inputs_of(two_network_park(tmp_path / "t.gpkg")).sources
    costs = UnitCosts.load()
    cases = [
        ({"work_id": "U1", "source_id": "SS-9", "capacity_added": 5.0},
         "source_id", "工程 'U1'：`source_id` 'SS-9' 不是园区的源点；源点有：GW、WW、SS"),
        ({"work_id": "U1", "source_id": "SS", "capacity_added": 0},
         "capacity_added", "工程 'U1'：`capacity_added` 须为大于 0 的数字，收到 0"),
        ({"work_id": "U1", "source_id": "SS", "capacity_added": 5, "cost_wan": -1},
         "cost_wan", "工程 'U1'：`cost_wan` 须为不小于 0 的数字，收到 -1"),
        ({"work_id": "U1", "source_id": "SS", "capacity_added": 5, "planned_date": "2027-13-01"},
         "planned_date", "工程 'U1'：`planned_date` '2027-13-01' 不是日期；请写作 YYYY-MM-DD"),
        ({"work_id": "U1", "source_id": "GW", "capacity_added": 5}, "source_id", "工程 'U1'：道路源点没有可扩的容量"),
        ({"work_id": "U1", "kind": "line", "source_id": "SS", "capacity_added": 5},
         "kind", "工程 'U1'：`kind` 为 'line'；工程文件只给出源点扩容（`upgrade`），线路请画在管网图层中"),
    ]  # fmt: skip
    for record, field, zh in cases:
        refused = _refusal(lambda record=record: given_works([record], sources, costs, GK))
        assert (refused.work_id, refused.field) == ("U1", field)
        assert refused.text("zh") == zh
        assert refused.text("en") == str(refused) and str(refused).startswith("work 'U1': ")
        assert refused.problem.describe("zh") == f"工程 'U1'，字段 `{field}`：{zh}"
    twice = [{"work_id": "U1", "source_id": "SS", "capacity_added": 5}] * 2
    assert _refusal(lambda: given_works(twice, sources, costs, GK)).text("zh") == "工程 'U1'：`work_id` 重复"


@pytest.mark.parametrize(("options", "field", "zh"), [
    ({"budget_wan": 0}, "budget_wan", "`budget_wan` 须为大于 0 的万元数，收到 0"),
    ({"budget_wan": 2e8}, "budget_wan",
     "`budget_wan` 最多 100,000,000 万元（1 万亿元，多于任何单个项目或企业），收到 200,000,000"),
    ({"budget_wan": 10, "years": 31}, "years", "`years` 须为 1 至 30 的整数，收到 31"),
    ({"budget_wan": 10, "start": date(1900, 1, 1)}, "start", "`start` 须为 1990 至 2100 年间的日期，收到 1900-01-01"),
    ({"budget_wan": 10, "revenue_share": 2.0}, "revenue_share", "`revenue_share` 须大于 0 且不大于 1，收到 2.0"),
])  # fmt: skip
def test_a_plan_s_options_refused_in_chinese(options, field, zh):
    refused = _refusal(PlanOptions(**options).check)
    assert (refused.field, refused.text("zh")) == (field, zh)
    assert refused.problem.describe("zh") == f"字段 `{field}`：{zh}"
    assert refused.text("en").startswith(f"`{field}` must be")


def test_a_unit_cost_and_the_land_price_refused_in_chinese(tmp_path):
    refused = _refusal(lambda: UnitCosts.load({"water:DN301": 1.0}))
    assert refused.text("zh").startswith(
        "`unit_costs.water:DN301` 不是单价表中的一行；已有：`road:branch`、`road:secondary`"
    )
    refused = _refusal(lambda: plan_of(knapsack_park(tmp_path / "k.gpkg"), 10, years=2, revenue=True))
    assert refused.text("zh") == "没有出让宗地记有 `land_price_wan`：请给出每亩地价（`price_per_mu_wan`）"


def test_the_cli_says_a_refused_plan_in_chinese_unless_asked_for_english(tmp_path):
    park = knapsack_park(tmp_path / "k.gpkg").uri
    zh = run("plan", park, "--budget-wan", "0")
    assert zh.returncode == 1
    assert "`budget_wan` 须为大于 0 的万元数，收到 0" in " ".join(zh.stderr.split())
    en = run("plan", park, "--budget-wan", "0", "--lang", "en")
    assert en.returncode == 1
    assert "`budget_wan` must be a number of 万元 > 0, got 0" in " ".join(en.stderr.split())
