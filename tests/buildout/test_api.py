"""``GET /plan`` and ``POST /plan`` over a hand-built park: the plan worked out by hand, bad input named (4xx)."""

from __future__ import annotations

import pytest
import requests

from planner.api import create_app
from tests.api.conftest import serve
from tests.buildout.park import knapsack_park, two_network_park


@pytest.fixture
def live(tmp_path):
    store = knapsack_park(tmp_path / "k.gpkg")
    url, server, thread = serve(create_app(store))
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_get_plan_answers_the_best_plan(live):
    """10 万元: spurs B and C (16 亩), as tests/buildout/test_plan.py works out; labels in English on asking."""
    answer = requests.get(f"{live}/plan", params={"budget_wan": 10, "candidates": "false", "lang": "en"}, timeout=120)
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert sorted(w["work_id"] for w in plan["works"]) == ["SPUR-B", "SPUR-C"]
    assert {w["kind_label"] for w in plan["works"]} == {"line"}
    assert sorted(plan["newly_ready"]) == ["B", "C"] and plan["method"] == "milp" and plan["gap"] == 0
    again = requests.get(f"{live}/plan", params={"budget_wan": 6, "candidates": "false"}, timeout=120).json()
    assert [w["work_id"] for w in again["works"]] == ["SPUR-A"] and again["works"][0]["kind_label"] == "管线/道路"


@pytest.mark.parametrize(("params", "field"), [({"budget_wan": 0}, "budget_wan"), ({}, "budget_wan"),
                                               ({"budget_wan": 5, "years": 0}, "years")])  # fmt: skip
def test_a_bad_option_is_named(live, params, field):
    answer = requests.get(f"{live}/plan", params=params, timeout=60)
    assert answer.status_code == 422
    assert field in answer.text


def test_post_plan_with_an_upgrade_naming_no_source_is_refused(tmp_path):
    store = two_network_park(tmp_path / "t.gpkg")
    url, server, thread = serve(create_app(store))
    try:
        body = {"budget_wan": 200, "candidates": False,
                "works": [{"work_id": "U1", "source_id": "NOPE", "capacity_added": 100}]}  # fmt: skip
        answer = requests.post(f"{url}/plan", json=body, timeout=120)  # Chinese, the default
        assert answer.status_code == 400
        assert answer.json()["error"]["field"] == "source_id"
        assert answer.json()["error"]["message"] == "工程 'U1'：`source_id` 'NOPE' 不是园区的源点；源点有：GW、WW、SS"
        english = requests.post(f"{url}/plan?lang=en", json=body, timeout=120).json()["error"]["message"]
        assert english.startswith("work 'U1': `source_id` 'NOPE' is not a source of the park")
        body["works"] = [{"work_id": "U1", "source_id": "SS", "capacity_added": 100}]
        plan = requests.post(f"{url}/plan", json=body, timeout=120).json()
        assert sorted(w["work_id"] for w in plan["works"]) == ["E-2", "W-2"]  # the upgrade is not needed
        assert plan["newly_ready"] == ["E"]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
