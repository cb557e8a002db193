"""The `planner` command, run as a user runs it: the installed entry point in a subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import shape

from planner.store import open_store
from planner.vocab import IDLE_RULES

PLANNER = shutil.which("planner", path=str(Path(sys.executable).parent)) or "planner"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run([PLANNER, *args], capture_output=True, text=True, env=environ, timeout=300)


def test_help_reads_in_chinese_and_english():
    out = run("--help")
    assert out.returncode == 0
    assert "工业园区土地与基础设施规划工具" in out.stdout
    assert "Land and infrastructure planner for Chinese industrial parks" in out.stdout
    demo = run("demo", "--help")
    assert demo.returncode == 0
    for text in ("生成示范园区", "Build the demo park", "--no-serve", "--as-of", "YYYY-MM-DD", "--seed"):
        assert text in demo.stdout, text


def test_version():
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("planner 0.")


def test_demo_builds_a_park(tmp_path):
    out = run("demo", "--no-serve", "--out", str(tmp_path), "--maps", str(tmp_path / "maps"), "--as-of", "2026-06-30")
    assert out.returncode == 0, out.stderr
    maps = sorted(p.name for p in (tmp_path / "maps").glob("*.html"))
    assert maps[:2] == ["investment.html", "readiness.html"] and "siting-1.html" in maps
    assert "宗地（按供地状态）" in out.stdout
    assert "熟地（七通一平）" in out.stdout
    assert "闲置土地" in out.stdout
    assert "经开区110kV变电站" in out.stdout
    store = open_store(tmp_path / "park.gpkg")
    assert len(store.read_parcels()) >= 300
    assert (tmp_path / "dem.tif").is_file()
    assert "no HTTP API" not in out.stdout and "尚无 HTTP 服务" not in out.stdout  # --no-serve only builds
    assert "地图" in out.stdout


def test_demo_in_english(tmp_path):
    out = run(
        "demo", "--no-serve", "--out", str(tmp_path), "--maps", str(tmp_path / "maps"), "--as-of", "2026-06-30",
        "--seed", "3", env={"PLANNER_LANG": "en"},
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Parcels by supply status" in out.stdout
    page = (tmp_path / "maps" / "readiness.html").read_text(encoding="utf-8")
    assert "document.body.classList.add('lang-en')" in page  # the maps open in English


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--as-of", "2026-13-01"], "'2026-13-01' is not a date; write it as YYYY-MM-DD"),
        (
            ["map", "park.gpkg", "--basemap", "bing"],
            "'bing' is not a basemap; allowed: none, osm, tianditu, tianditu_img, gaode, local",
        ),
        (
            ["map", "park.gpkg", "--tiles", "nowhere"],
            "is not a folder of tiles ({z}/{x}/{y}.png); an MBTiles file needs",
        ),
        (["demo", "--lang", "fr"], "'fr' is not a language; use zh"),
        (["demo", "--seed", "many"], "Invalid value for '--seed': Input should be a valid integer"),
    ],
)
def test_bad_options_are_named(tmp_path, args, message):
    out = run(*args, "--out", str(tmp_path / "x"))
    assert out.returncode == 2
    assert message in " ".join(out.stderr.replace("│", " ").split())
    assert not (tmp_path / "x" / "park.gpkg").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--basemap", "bing"], "'bing' is not a basemap; allowed: none, osm, tianditu, tianditu_img, gaode, local"),
        (["--basemap", "local"], "'local' needs local tiles: give --tiles PATH too"),
        (["--tiles", "nowhere"], "is neither a tile folder nor an MBTiles file"),
    ],
)
def test_serve_names_a_bad_basemap_option(tmp_path, args, message):  # the options `map` declares, the same way
    out = run("serve", str(tmp_path / "park.gpkg"), *args)
    assert out.returncode == 2
    assert message in " ".join(out.stderr.replace("│", " ").split())


@pytest.fixture
def park_copy(tmp_path, demo_park):
    target = tmp_path / "park.gpkg"
    shutil.copy(demo_park.path, target)
    return target


def test_idle_writes_the_columns_the_date_and_the_files(park_copy, tmp_path):
    csv, geojson = tmp_path / "idle.csv", tmp_path / "idle.geojson"
    out = run("idle", str(park_copy), "--as-of", "2026-12-31", "--csv", str(csv), "--geojson", str(geojson))
    assert out.returncode == 0, out.stderr
    assert "闲置土地（截至 2026-12-31）" in out.stdout
    store = open_store(park_copy)
    assert store.metadata()["idle_as_of"] == "2026-12-31"
    parcels = store.read_parcels()
    idle = parcels[parcels["idle_rule"].notna()]
    assert set(idle["idle_rule"]) == {"not_started", "halted"}
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    table = pd.read_csv(csv, encoding="utf-8-sig", dtype=str).set_index("宗地代码")
    assert {"闲置起始日", "土地闲置费（万元）", "说明", "闲置期间起算日"} <= set(table.columns)
    assert all(c.isascii() is False for c in table.columns)  # every heading in Chinese
    now = table.loc[idle["parcel_id"]]
    assert set(now["闲置情形"]) == {IDLE_RULES["not_started"][0], IDLE_RULES["halted"][0]}  # labels, not codes
    fees = idle.set_index("parcel_id")["idle_fee_wan"].astype(float).round(2).fillna(-1)
    assert now["土地闲置费（万元）"].astype(float).fillna(-1).tolist() == fees.loc[now.index].tolist()
    assert now["土地闲置费（万元）"].str.len().max() <= len("99999.99")  # 2 decimals, not 14
    since = idle.set_index("parcel_id")["idle_since"].dt.strftime("%Y-%m-%d")
    assert now["闲置起始日"].tolist() == since.loc[now.index].tolist()
    data = json.loads(geojson.read_text(encoding="utf-8"))
    assert "crs" not in data  # RFC 7946
    assert len(data["features"]) == len(idle)
    shapes = gpd.read_file(geojson)
    bounds = shapes.geometry.bounds
    assert bounds["minx"].between(118.2, 118.4).all()
    assert bounds["maxy"].between(32.2, 32.3).all()
    for polygon in shapes.geometry.explode():
        assert polygon.exterior.is_ccw  # right-hand rule
    assert store.history(layer="park_metadata")["changes"].iloc[-1]["idle_as_of"][1] == "2026-12-31"


def test_commands_take_a_postgis_park(demo_park, postgis_url):
    from planner.store import copy_park
    from planner.store.postgis import drop_park

    store = copy_park(demo_park.path, postgis_url)
    url = store.location
    try:
        out = run("idle", url, "--as-of", "2026-12-31", "--lang", "en")
        assert out.returncode == 0, out.stderr
        assert "Idle land as of 2026-12-31" in out.stdout
        assert store.metadata()["idle_as_of"] == "2026-12-31"
        ready = run("ready", url, "--min-mu", "30", "--lang", "en")
        assert ready.returncode == 0, ready.stderr
    finally:
        store.close()
        drop_park(url)


def test_stats_prints_and_writes_indicators_and_the_evaluation(park_copy, tmp_path):
    js, csv, ev = tmp_path / "s.json", tmp_path / "s.csv", tmp_path / "ev.csv"
    out = run("stats", str(park_copy), "--json", str(js), "--csv", str(csv), "--evaluation", str(ev))
    assert out.returncode == 0, out.stderr
    assert "土地开发率（%）" in out.stdout
    assert "亩均效益评价（通用方法（亩均税收、亩均产值、单位能耗产值、容积率），按综合得分绝对值分类）" in out.stdout
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["idle_as_of"] == "2026-06-30"
    assert 0 < data["parks"]["CZ-DEMO"]["land_development_rate_pct"] < 100
    assert set(data["evaluation"]) == {"A", "B", "C", "D"}
    assert all(n > 0 for n in data["evaluation"].values())
    table = pd.read_csv(csv, encoding="utf-8-sig", dtype=str).set_index("园区编号")
    assert table.index.tolist() == ["CZ-DEMO", "ALL"]
    assert all(not c.isascii() for c in table.columns)  # every heading in Chinese
    rate = data["parks"]["CZ-DEMO"]["land_development_rate_pct"]
    assert float(table.loc["CZ-DEMO", "土地开发率（%）"]) == round(rate, 1)
    area = data["parks"]["CZ-DEMO"]["park_area_ha"]
    assert float(table.loc["CZ-DEMO", "园区土地面积（宗地合计）（ha）"]) == round(area, 4)
    evaluation = pd.read_csv(ev, encoding="utf-8-sig", dtype=str)
    assert evaluation["评价说明"].str.contains("综合得分").all()
    assert set(evaluation["低效用地"]) <= {"是", "否"} and set(evaluation["评价类别"]) == {"A", "B", "C", "D"}
    area_mu = evaluation["宗地面积（亩）"]
    assert (area_mu.str.split(".").str[1].str.len() <= 4).all()
    assert (evaluation["亩均税收（万元/亩）"].dropna().str.split(".").str[1].str.len() <= 2).all()
    english = run("stats", str(park_copy), "--csv", str(csv), "--lang", "en")
    assert english.returncode == 0, english.stderr
    assert pd.read_csv(csv, encoding="utf-8-sig").columns[:3].tolist() == [
        "park id",
        "parcels",
        "park area (all parcels) (ha)",
    ]
    assert "全国国家级开发区2019监测" in out.stdout
    english = run("stats", str(park_copy), "--as-of", "2027-12-31", "--lang", "en")
    assert "land development rate (%)" in english.stdout
    assert "idle as of 2027-12-31" in english.stdout


def test_stats_explain_shows_each_formula_with_its_figures_and_source(park_copy):
    out = run("stats", str(park_copy), "--explain")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "指标的计算与依据" in text
    assert "分子: 已达到供地条件的土地面积（已供应，及已收储且三通一平） = " in text
    assert "分母: 园区土地面积（宗地合计） = " in text
    assert "依据: 开发区土地集约利用评价规程（2014年度试行）：土地开发率" in text
    english = run("stats", str(park_copy), "--explain", "--lang", "en")
    assert "numerator: area available for supply" in english.stdout


def test_idle_and_stats_name_a_missing_park(tmp_path):
    for command in ("idle", "stats"):
        out = run(command, str(tmp_path / "nowhere.gpkg"))
        assert out.returncode == 1
        assert "no park store at" in out.stderr


def test_idle_refuses_an_impossible_date(park_copy):
    before = park_copy.read_bytes()
    out = run("idle", str(park_copy), "--as-of", "2026-02-30")
    assert out.returncode == 2
    assert "'2026-02-30' is not a date; write it as YYYY-MM-DD" in " ".join(out.stderr.replace("│", " ").split())
    assert park_copy.read_bytes() == before


def test_readiness_and_ready_land_over_a_size(park_copy, demo_park):
    shutil.copy(demo_park.dem_path, park_copy.parent / "dem.tif")
    out = run("readiness", str(park_copy))
    assert out.returncode == 0, out.stderr
    assert "七通一平（按园区清单）" in out.stdout
    assert "熟地" in out.stdout
    listed = run("ready", str(park_copy), "--min-mu", "30", "--lang", "en")
    assert listed.returncode == 0, listed.stderr
    parcels = open_store(park_copy).read_parcels()
    expected = parcels[parcels["ready"].astype(bool) & (parcels["area_mu"] >= 30)]
    assert f"{len(expected)} parcels, {expected['area_mu'].sum():,.1f} mu" in listed.stdout
    for pid in expected["parcel_id"]:
        assert pid[:12] in listed.stdout
    bad = run("ready", str(park_copy), "--min-mu", "50", "--max-mu", "10")
    assert bad.returncode == 2
    assert "is empty or negative" in " ".join(bad.stderr.replace("│", " ").split())


def test_stats_of_a_park_never_classified_has_no_idle_rate(tmp_path):
    from planner.config import ParkConfig
    from planner.store import create_park
    from tests.conftest import grid_parcels

    store = create_park(tmp_path / "p.gpkg", ParkConfig(park_id="T1", name="测试园区", crs_epsg=4548))
    store.write_parcels(
        grid_parcels(
            3,
            status=["supplied", "reserved", "planned"],
            holder=["甲", None, None],
            contract_date=["2020-01-01", None, None],
        ),
        by="a",
    )
    out_json = tmp_path / "s.json"
    out = run("stats", str(store.path), "--json", str(out_json), "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "idle as of never classified" in " ".join(out.stdout.split())
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["idle_as_of"] is None
    assert data["parks"]["T1"]["idle_land_rate_pct"] is None


def test_match_prints_the_ranking_and_writes_json_and_geojson(park_copy, tmp_path):
    projects = json.loads(Path("data/demo/projects.json").read_text(encoding="utf-8"))
    one = tmp_path / "p.json"
    one.write_text(json.dumps(projects[0], ensure_ascii=False), encoding="utf-8")
    out_json, out_geo = tmp_path / "m.json", tmp_path / "m.geojson"
    out = run("match", str(park_copy), "--project", str(one), "--json", str(out_json), "--geojson", str(out_geo))
    assert out.returncode == 0, out.stderr
    assert "智能传感器模组项目" in out.stdout and "候选地块（按得分）" in out.stdout
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert {"candidates", "rejected", "counts", "standard_factory", "near_misses"} <= set(data)
    best = data["candidates"][0]
    assert set(best) >= {"parcel_ids", "area_mu", "score", "criteria"}
    assert len(data["candidates"]) + len(data["rejected"]) >= 414  # every parcel is accounted for
    assert sum(data["counts"].values()) == len(data["rejected"])
    geo = json.loads(out_geo.read_text(encoding="utf-8"))
    assert "crs" not in geo
    kinds = pd.Series([f["properties"]["kind"] for f in geo["features"]]).value_counts()
    assert kinds["rejected"] == len(data["rejected"])
    point = shape(geo["features"][0]["geometry"]).representative_point()
    assert 118 < point.x < 119 and 32 < point.y < 33


def test_assign_places_the_sample_projects(park_copy, tmp_path):
    out_json = tmp_path / "a.json"
    out = run("assign", str(park_copy), "--projects", "data/demo/projects.json", "--json", str(out_json))
    assert out.returncode == 0, out.stderr
    assert "最优解" in out.stdout and "按顺序贪心总分" in out.stdout
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert data["method"] == "exact" and data["problems"] == []
    assert data["total_score"] >= data["greedy_total_score"]
    assert len(data["assignments"]) == 8


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (
            {"name": "x", "industry": "C99", "land_mu": 10, "investment_wan": 9000},
            ("字段 `industry`", "field `industry`"),
        ),
        (
            {"name": "x", "industry": "C36", "land_mu": [20, 10], "investment_wan": 9000},
            ("字段 `land_mu`", "field `land_mu`"),
        ),
        ({"name": "x", "industry": "C36", "land_mu": 10, "investment_wan": 9000, "power_mva": 8}, ("power_kva",) * 2),
    ],
)
def test_match_names_the_bad_field_of_a_project(park_copy, tmp_path, record, message):
    """In Chinese by default, in English with ``--lang en``: the project and its field named either way."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(record), encoding="utf-8")
    for lang, expected in zip(("zh", "en"), message, strict=True):
        out = run("match", str(park_copy), "--project", str(bad), "--lang", lang)
        assert out.returncode == 1
        assert expected in out.stderr
        assert "Traceback" not in out.stderr


def test_map_writes_the_maps_with_a_siting_map(park_copy, tmp_path):
    projects = json.loads(Path("data/demo/projects.json").read_text(encoding="utf-8"))
    one = tmp_path / "p.json"
    one.write_text(json.dumps(projects[:2], ensure_ascii=False), encoding="utf-8")
    out = run("map", str(park_copy), "--out", str(tmp_path / "m"), "--project", str(one), "--basemap", "none")
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in (tmp_path / "m").glob("*.html"))
    assert names == ["investment.html", "readiness.html", "siting-1.html", "siting-2.html"]
    page = (tmp_path / "m" / "siting-1.html").read_text(encoding="utf-8")
    assert "智能传感器模组项目" in page  # Chinese stays readable in the file, not \\u-escaped
    assert "cdn.jsdelivr" not in page and "<script src=" not in page  # Leaflet is inline: the map works offline


def test_serve_answers_over_http_until_stopped(park_copy, tmp_path):
    import socket

    import requests

    from tests.conftest import wait_for_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"editor-token-0123456789": {"user": "张工", "role": "editor"}}), encoding="utf-8")
    environ = {**os.environ, "COLUMNS": "200"}
    server = subprocess.Popen(
        [PLANNER, "serve", str(park_copy), "--port", str(port), "--tokens", str(tokens)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ,
    )  # fmt: skip
    try:
        health = wait_for_server(f"http://127.0.0.1:{port}", server, path="/health")
        assert health.json()["parks"] == ["CZ-DEMO"]
        ready = requests.get(f"http://127.0.0.1:{port}/parcels", params={"ready": "true", "min_area_mu": 100}).json()
        assert ready["numberMatched"] >= 1
        me = requests.get(f"http://127.0.0.1:{port}/me", headers={"Authorization": "Bearer editor-token-0123456789"})
        assert me.json()["user"] == "张工"
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    assert "1 个令牌" in out and "editor-token" not in out + err  # tokens are counted, never printed
    # the access log on standard error: method, path, status, time, user
    assert re.search(r"GET /me 200 [0-9.]+ ms user=张工", err), err
    assert re.search(r"GET /parcels 200 [0-9.]+ ms user=-", err), err
