"""A real headless Chromium (Debian's package) driven by Playwright, with no network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _chromium() -> str:
    path = os.environ.get("PLANNER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is not installed; .ci/run installs Debian's `chromium`")
        pytest.skip("Chromium is not installed")
    return path


@pytest.fixture(scope="session")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    # nothing leaves the machine: every request but file:// and the test server is refused
    context.route("http*://**", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


def click_parcel(page, parcels, parcel_id: str) -> None:
    """Click the parcel where the page itself draws it (its point inside, through the map's own projection)."""
    import geopandas as gpd

    row = parcels.loc[parcels["parcel_id"] == parcel_id].iloc[0]
    point = gpd.GeoSeries([row.geometry.representative_point()], crs=parcels.crs).to_crs(4326).iloc[0]
    xy = page.evaluate(
        "([lat, lon]) => { const p = window.plannerMap.latLngToContainerPoint([lat, lon]);"
        " const r = window.plannerMap.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top]; }",
        [point.y, point.x],
    )
    page.mouse.click(*xy)


def draw_knapsack_plan(tmp_path: Path) -> tuple[Path, Path]:
    """`planner plan`, then `planner map --plan`, on the knapsack park: the plan JSON and readiness.html.

    10 万元 builds spurs B and C (250 m each, worked out by hand in tests/buildout/test_plan.py) and makes
    parcels B and C (8 亩 each) ready; A (10 亩) stays raw.
    """
    from tests.buildout.park import knapsack_park
    from tests.test_cli import run

    park = knapsack_park(tmp_path / "k.gpkg").uri
    plan = tmp_path / "plan.json"
    out = run("plan", park, "--budget-wan", "10", "--drawn-only", "--start", "2026-07-01", "--json", str(plan))
    assert out.returncode == 0, out.stderr
    out = run("map", park, "--plan", str(plan), "--out", str(tmp_path / "maps"), "--basemap", "none")
    assert out.returncode == 0, out.stderr
    return plan, tmp_path / "maps" / "readiness.html"
