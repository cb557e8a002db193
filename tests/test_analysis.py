"""One answer to "is stored readiness current?", asked from the library, the API, the CLI and the exports."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from planner.analysis import freshness, update_idle
from planner.api import create_app
from planner.errors import StaleResultError
from planner.exchange.export import export_parcels
from planner.land import land_indicators
from planner.store import open_store
from tests.api.conftest import serve
from tests.conftest import grid_parcels
from tests.test_cli import run


@pytest.fixture
def stale_park(tmp_path, demo_park):
    """A copy of the demo park whose gas main moved 5 m after readiness was computed."""
    target = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, target)
    shutil.copy(demo_park.dem_path, tmp_path / "dem.tif")
    store = open_store(target)
    assert freshness(store).current  # the demo computes readiness last
    lines = store.read_layer("gas_lines")
    lines.geometry = lines.geometry.translate(xoff=5.0)
    store.write_layer("gas_lines", lines, by="test", mode="replace")
    return target


def test_fresh_and_never_computed(tmp_path, demo_park, store):
    fresh = freshness(open_store(demo_park.path))
    assert fresh.current and fresh.changed is None and fresh.message() == ""
    never = freshness(store)
    assert not never.current and never.computed_at is None
    assert never.message() == (
        "readiness (熟地/生地) was never computed for this park: run `planner readiness` (readiness not computed)"
    )
    assert never.message("zh") == "尚未计算七通一平：先运行 planner readiness"
    with pytest.raises(StaleResultError, match="readiness not computed"):
        never.require()
    assert freshness(store, "idle").message() == (
        "idle land (闲置土地) was never computed for this park: run `planner idle` (idle not computed)"
    )
    with pytest.raises(ValueError, match="`result` was 'ready' but is expected to be one of readiness, idle"):
        freshness(store, "ready")  # type: ignore[arg-type]


def test_a_network_changed_after_readiness_gets_one_answer_everywhere(stale_park, tmp_path):
    store = open_store(stale_park)
    state = freshness(store)
    assert not state.current and state.changed == "gas_lines"
    expected = state.message()
    assert expected.startswith("the gas_lines layer changed after readiness was computed (")
    assert expected.endswith("(readiness is stale)")

    # the exports
    with pytest.raises(StaleResultError) as refused:
        export_parcels(store, "geojson", tmp_path / "ready.geojson", ready=True)
    assert str(refused.value).startswith(expected)
    assert not (tmp_path / "ready.geojson").exists()

    # the CLI, in both languages
    en = run("ready", str(stale_park), "--lang", "en")
    assert en.returncode == 1 and expected in " ".join(en.stderr.split())
    zh = run("ready", str(stale_park), "--lang", "zh")
    assert zh.returncode == 1 and state.message("zh") in " ".join(zh.stderr.split())

    # the API
    url, server, thread = serve(create_app(store))
    try:
        import requests

        answer = requests.get(url + "/parcels", params={"ready": "true", "lang": "en"}, timeout=60)
        assert answer.status_code == 409
        assert answer.json()["error"]["message"] == expected
        answer = requests.get(url + "/parcels", params={"ready": "true"}, timeout=60)  # Chinese, the default
        assert answer.json()["error"]["message"] == state.message("zh")
        assert requests.get(url + "/parcels", params={"status": "reserved"}, timeout=60).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_land_indicators_judge_idle_land_as_stored_or_as_of_a_date(store):
    parcels = grid_parcels(  # 1 ha each; P000 is idle from 2021-07-01, P001 from 2022-12-02
        3,
        status=["supplied", "supplied", "reserved"],
        holder=["甲", "乙", None],
        contract_date=["2020-01-01", "2021-01-01", None],
        agreed_start_date=["2020-06-30", "2021-12-01", None],
        land_price_wan=[100.0, 100.0, None],
    )
    store.write_parcels(parcels, by="test")
    never = land_indicators(store)
    assert never.idle_as_of is None
    assert np.isnan(never.of_park("T1")["idle_area_ha"]) and np.isnan(never.of_park("T1")["idle_land_rate_pct"])
    # the rest stands without idle land; the reserved parcel has no 三通一平, so it is not land
    # available for supply (开发区土地集约利用评价规程): 2 ha supplied of 2 ha available
    assert never.of_park("T1")["supply_rate_pct"] == pytest.approx(100.0)

    judged = land_indicators(store, as_of="2022-01-01")
    assert judged.idle_as_of == "2022-01-01"
    assert judged.of_park("T1")[["idle_area_ha", "idle_land_rate_pct"]].tolist() == pytest.approx([1.0, 50.0])
    assert "idle_as_of" not in store.metadata()  # judged, not written
    assert judged.of_park("T9").name == "ALL"  # a park the table has no row for: all parks

    update_idle(store, "2022-01-01", by="test")
    stored = land_indicators(store)
    assert stored.idle_as_of == "2022-01-01"
    pd.testing.assert_frame_equal(stored.table, judged.table)
    later = land_indicators(store, store.read_parcels(), as_of="2023-01-01")
    assert later.of_park("T1")["idle_land_rate_pct"] == pytest.approx(100.0)


def test_the_map_says_when_its_colours_are_stale(stale_park):
    from planner.maps.data import MapData

    store = open_store(stale_park)
    notes = MapData.from_store(store, model_networks=False).notes
    state = freshness(store)
    assert (state.message("zh"), state.message("en")) in notes
