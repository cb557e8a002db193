"""`planner map --plan`: a build-out plan's works drawn dashed in their network's colour, the parcels they unlock.

On the knapsack park (tests/buildout/park.py) 10 万元 builds spurs B and C (250 m each, worked out
by hand in tests/buildout/test_plan.py) and makes parcels B and C ready.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
import shapely.geometry

from planner.maps.style import NET_COLORS, PLAN_DASH
from tests.buildout.park import knapsack_park
from tests.conftest import GK
from tests.maps.conftest import draw_knapsack_plan
from tests.test_cli import run


@pytest.fixture
def drawn(tmp_path):
    plan, html = draw_knapsack_plan(tmp_path)
    return json.loads(plan.read_text(encoding="utf-8")), html.read_text("utf-8")


def test_the_plan_json_carries_each_work_in_wgs84(drawn):
    plan, _ = drawn
    shapes = {w["work_id"]: shapely.geometry.shape(w["geometry"]) for w in plan["works"]}
    assert sorted(shapes) == ["SPUR-B", "SPUR-C"]
    lengths = gpd.GeoSeries(list(shapes.values()), crs=4326).to_crs(GK).length
    assert lengths.to_numpy() == pytest.approx([250.0, 250.0], abs=0.5)  # 0→250 m north of the trunk road


def test_the_map_draws_the_works_dashed_and_the_parcels_they_unlock(drawn):
    plan, page = drawn
    for zh, en in (("计划工程", "planned works"), ("计划建成后成为熟地", "made ready by the plan")):
        assert re.search(f"{zh}[^,]{{0,60}}{en}", page)  # the layer's name in both languages
    assert "plan-work work-road" in page and f'"dashArray": "{PLAN_DASH}"' in page
    assert NET_COLORS["road"] in page
    assert "计划工程：道路（虚线）" in page  # the legend entry
    tips = set(re.findall(r'"tip": "([^"]*)"', page))
    # the two spurs chosen, in order, in the quarters of a one-year plan from 2026-07-01 (half the spend each)
    assert {t for t in tips if t.startswith("#")} == {"#1 SPUR-B 2026Q4 5.0 万元", "#2 SPUR-C 2027Q2 5.0 万元"}
    assert {"B 8.0 亩", "C 8.0 亩"} <= tips and "A 10.0 亩" not in tips  # the unlocked parcels' layer
    assert sorted(plan["newly_ready"]) == ["B", "C"]


def test_a_file_that_is_not_a_plan_is_named(tmp_path):
    park = knapsack_park(tmp_path / "k.gpkg").uri
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    out = run("map", park, "--plan", str(bad), "--out", str(tmp_path / "m"), "--lang", "en")
    assert out.returncode == 1
    assert "is not a plan written by `planner plan --json`: no `works` list" in " ".join(out.stderr.split())
