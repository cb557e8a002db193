"""The stage of the idle-land procedure in the parcel popups, read from the HTML Chromium builds.

The popup script of the maps (:data:`planner.maps.popups.POPUP_JS`) runs in Chromium on the
details the page holds (:func:`~planner.maps.popups.parcel_properties`) and, for the app and the
tiled maps, on a parcel's properties as ``GET /parcels/{id}`` answers them
(:data:`~planner.maps.popups.TILES_JS`). The stages are derived by the idle-land rules
(闲置土地处置办法 arts. 5–14): idle from 2023-06-29 (agreed start 2022-06-28, one year, art. 2).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

import planner.maps
from planner.maps.popups import POPUP_JS, TILES_JS, page_dictionary, parcel_properties
from planner.parcels.idle import classify_idle
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels
from tests.parcels.test_idle_disposal import CONFIG

CHECKLIST = ("road", "water", "power", "leveled")


def _parcels() -> pd.DataFrame:
    p = validate_parcels(
        grid_parcels(
            3,
            status=["supplied", "supplied", "reserved"],
            holder=["甲公司", "乙公司", None],
            land_price_wan=[1000.0, 1000.0, None],
            contract_date=["2022-01-10", "2022-01-10", None],
            agreed_start_date=["2022-06-28", "2022-06-28", None],
            idle_notice_date=["2023-08-01", "2023-08-01", None],
            idle_determined_date=[None, "2023-10-09", None],
        ),
        crs_epsg=GK,
        park_id="T1",
    ).parcels
    stages = classify_idle(p, "2024-01-01", CONFIG).table["disposal_stage"]
    return p.assign(disposal_stage=p["parcel_id"].map(stages))


def _cells(html: str) -> dict[str, str]:
    """The popup's rows: the Chinese heading → the row's text in Chinese and in English."""
    rows = re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", html)
    zh = lambda cell: "".join(re.findall(r'<span class="zh">(.*?)</span>', cell))  # noqa: E731
    en = lambda cell: "".join(re.findall(r'<span class="en">(.*?)</span>', cell))  # noqa: E731
    return {zh(th): (zh(td), en(td)) for th, td in rows}


def test_the_popups_show_the_disposal_stage_in_chinese_and_english(page):
    p = _parcels()
    assert p["disposal_stage"].tolist()[:2] == ["investigating", "determined"] and pd.isna(p["disposal_stage"].iloc[2])
    props = parcel_properties(p, CHECKLIST)
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=str(Path(planner.maps.__file__).parent / "static" / "leaflet.js"))
    page.add_script_tag(content=POPUP_JS + TILES_JS)
    page.evaluate(f"window.plannerDict = {json.dumps(page_dictionary(CHECKLIST), ensure_ascii=False)}")
    queries = [{k: v[i] for k, v in props.items()} for i in range(len(p))]
    popups = [page.evaluate("q => window.plannerPopup(q)", json.loads(json.dumps(q, default=str))) for q in queries]
    cells = [_cells(html) for html in popups]
    assert cells[0]["处置阶段"] == ("调查中", "investigation notice issued; not yet determined (arts. 5–7)")
    assert cells[1]["处置阶段"][0] == "已认定待处置"
    assert cells[1]["处置阶段"][1].startswith("determined idle (闲置土地认定书, art. 9)")
    assert '<th><span class="zh">处置阶段</span><span class="en">disposal stage</span></th>' in popups[0]
    assert "处置阶段" not in cells[2]  # not idle: no stage
    # the app's popup, built from a parcel as GET /parcels/{id} answers it
    feature = {"parcel_id": "P001", "area_mu": 15.0, "area_m2": 10000.0, "status": "supplied",
               "idle_rule": "not_started", "idle_since": "2023-06-29", "disposal_stage": "determined"}  # fmt: skip
    app = page.evaluate("f => window.plannerPopup(window.plannerFeatureQuery(f, {}))", feature)
    assert _cells(app)["处置阶段"][0] == "已认定待处置"
    assert not page.errors
