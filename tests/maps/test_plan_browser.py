"""`planner map --plan` in a real browser: the works drawn dashed, the parcels they unlock highlighted, the legend.

On the knapsack park (tests/buildout/park.py) 10 万元 builds spurs B and C (250 m each, worked out by
hand in tests/buildout/test_plan.py) and makes parcels B and C (8 亩 each) ready; A (10 亩) stays raw.
"""

from __future__ import annotations

import pytest

from planner.maps.style import NET_COLORS, PLAN_DASH, UNLOCKED_FILL
from tests.maps.conftest import draw_knapsack_plan


@pytest.fixture
def plan_map(tmp_path):
    return draw_knapsack_plan(tmp_path)[1]


def test_the_browser_draws_the_works_dashed_and_highlights_the_unlocked_parcels(page, plan_map):
    page.goto(plan_map.as_uri())
    page.wait_for_function("() => document.querySelectorAll('path.plan-work').length > 0", timeout=30_000)
    works = page.eval_on_selector_all(
        "path.plan-work", "els => els.map(e => [e.getAttribute('stroke'), e.getAttribute('stroke-dasharray')])"
    )
    assert works == [[NET_COLORS["road"], PLAN_DASH]] * 2  # spurs B and C, dashed in the road network's colour
    # each drawn: a path of some length on the screen, not a point
    sizes = page.eval_on_selector_all("path.plan-work", "els => els.map(e => e.getBBox().height)")
    assert min(sizes) > 5
    unlocked = page.eval_on_selector_all("path.unlocked", "els => els.map(e => e.getAttribute('fill'))")
    assert unlocked == [UNLOCKED_FILL] * 2  # B and C; A is not made ready by the plan
    legend = " ".join(page.inner_text(".planner-legend").split())
    assert "计划工程：道路（虚线）" in legend and "计划建成后成为熟地" in legend
    colours = page.eval_on_selector_all(
        ".planner-legend .planner-swatch",
        "els => els.map(e => getComputedStyle(e).backgroundColor)",
    )
    assert "rgb(255, 243, 160)" in colours  # UNLOCKED_FILL #fff3a0 as the browser computes it
    assert not page.errors
