"""The siting answer for a project with no ready land: which works would give it land, at what cost.

On :func:`tests.buildout.park.gas_park`, worked out by hand: no parcel has gas today; the planned
纬三路燃气管线 (1.2 km, 180 万元) gives F1, F2, F3 (3 × 15 亩); with its extension (0.5 km, 80 万元)
FAR too (4 parcels, 60 亩, 1.7 km, 260 万元).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import requests

from planner.analysis import readiness_of
from planner.api import create_app
from planner.buildout.unlock import unlocking_works
from tests.api.conftest import serve
from tests.buildout.park import gas_park, inputs_of
from tests.test_cli import run

PROJECT = {"name": "燃气用户项目", "industry": "C3670", "land_mu": 15, "investment_wan": 9000, "needs": ["gas"]}


def _targets(inputs) -> pd.Series:
    return pd.Series(inputs.parcels["area_mu"].to_numpy(dtype=float), index=inputs.parcels["parcel_id"].to_numpy())


@pytest.mark.parametrize("candidates", [False, True])
def test_the_cheapest_works_that_give_land_come_first(tmp_path, candidates):
    inputs = inputs_of(gas_park(tmp_path / "g.gpkg"))
    unlocks = unlocking_works(inputs, readiness_of(inputs), _targets(inputs), candidates=candidates)
    assert [list(u.works["work_id"]) for u in unlocks] == [["G-2"], ["G-2", "G-3"]]
    first, second = unlocks
    assert first.parcel_ids == ["F1", "F2", "F3"] and first.area_mu == pytest.approx(45.0)
    assert first.cost_wan == 180.0 and first.length_km == pytest.approx(1.2)
    assert first.message("zh") == "建成 纬三路燃气管线 后，3 宗地块（共 45 亩）满足条件：1.2 公里，约 180 万元"
    assert (
        first.message("en")
        == "3 parcels (45 mu) qualify after gas line 纬三路燃气管线 is built: 1.2 km, about 180 万元"
    )
    assert second.parcel_ids == ["F1", "F2", "F3", "FAR"] and second.area_mu == pytest.approx(60.0)
    assert second.cost_wan == 260.0 and second.length_km == pytest.approx(1.7)
    assert second.to_dict("en")["works"][1]["label"] == "gas line 纬三路燃气管线东延"


def test_no_target_and_a_limit(tmp_path):
    inputs = inputs_of(gas_park(tmp_path / "g.gpkg"))
    before = readiness_of(inputs)
    assert unlocking_works(inputs, before, pd.Series(dtype=float)) == []
    only = unlocking_works(inputs, before, _targets(inputs), candidates=False, limit=1)
    assert [u.parcel_ids for u in only] == [["F1", "F2", "F3"]]


def test_match_tells_a_project_without_land_which_works_would_give_it(tmp_path):
    park = gas_park(tmp_path / "g.gpkg").uri
    project = tmp_path / "p.json"
    project.write_text(json.dumps(PROJECT, ensure_ascii=False), encoding="utf-8")
    out = run("match", park, "--project", str(project), "--drawn-only", "--json", str(tmp_path / "m.json"))
    assert out.returncode == 0, out.stderr
    assert "建成 纬三路燃气管线 后，3 宗地块（共 45 亩）满足条件：1.2 公里，约 180 万元" in " ".join(out.stdout.split())
    data = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert data["candidates"] == []
    assert [(u["parcels"], u["cost_wan"], u["length_km"]) for u in data["unlock"]] == [(3, 180.0, 1.2),
                                                                                       (4, 260.0, 1.7)]  # fmt: skip


def test_the_siting_api_answers_with_the_works(tmp_path):
    url, server, thread = serve(create_app(gas_park(tmp_path / "g.gpkg")))
    try:
        answer = requests.post(f"{url}/siting/match", params={"lang": "en"}, json=PROJECT, timeout=120)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert answer.status_code == 200, answer.text
    unlock = answer.json()["unlock"]
    assert (
        unlock[0]["message"]
        == "3 parcels (45 mu) qualify after gas line 纬三路燃气管线 is built: 1.2 km, about 180 万元"
    )
    assert unlock[0]["parcel_ids"] == ["F1", "F2", "F3"] and unlock[1]["cost_wan"] == 260.0


def test_the_answer_asks_for_the_whole_checklist_and_the_project_needs_beyond_it(tmp_path):
    """Ready means every item: the park's whole checklist, and the project's needs where the checklist is shorter.

    On gas_park the checklist is road and gas: a project that does not ask for gas still gets
    land only after the gas main (G-2, 180 万元) — the parcels must be 熟地. A park whose checklist
    is the road alone has every parcel ready by the road; a project asking for gas is told the
    same works, since its parcels lack gas.
    """
    from planner.siting import SiteIndex, parse_project
    from planner.siting.pipeline import pipeline_land
    from planner.siting.rules import needed_items
    from tests.buildout.park import GATEWAY, line, parcel, source, write_park

    inputs = inputs_of(gas_park(tmp_path / "g.gpkg"))
    no_gas = unlocking_works(inputs, readiness_of(inputs), _targets(inputs), candidates=False, required=("road",))
    assert [list(u.works["work_id"]) for u in no_gas] == [["G-2"], ["G-2", "G-3"]]

    parcels = [dict(parcel(pid, x, 15, 15), land_use="100102")
               for pid, x in (("F1", 400), ("F2", 700), ("F3", 1000), ("FAR", 1700))]  # fmt: skip
    main = dict(line("G-2", (200, -8), (1400, -8), in_service=False, cost_wan=180.0), name="纬三路燃气管线")
    lines = {"road": [line("TRUNK", (0, 0), (2000, 0))], "gas": [line("G-1", (0, -8), (200, -8)), main]}
    sources = [GATEWAY, source("GS", "gas_station", "gas", 0, -8, capacity_nm3h=100000.0)]
    store = write_park(tmp_path / "road.gpkg", parcels, lines, sources, checklist=("road",))
    short = inputs_of(store)
    before = readiness_of(short)
    assert set(before.readiness.ready) == {"F1", "F2", "F3", "FAR"}  # by the park's checklist: the road
    project = parse_project(PROJECT)
    index = SiteIndex.from_store(store, run=before)
    needs = needed_items(index, project)
    assert "gas" in needs
    targets, _ = pipeline_land(index, [project])
    assert unlocking_works(short, before, targets, candidates=False) == []  # the park's checklist alone: all ready
    unlocks = unlocking_works(short, before, targets, candidates=False, required=needs)
    assert [list(u.works["work_id"]) for u in unlocks] == [["G-2"]]
    assert unlocks[0].parcel_ids == ["F1", "F2", "F3"] and unlocks[0].cost_wan == 180.0
