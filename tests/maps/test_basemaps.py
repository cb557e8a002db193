"""Local basemap tiles (a folder, an MBTiles file) and their route; the reasons in English."""

from __future__ import annotations

import sqlite3
import struct
import zlib
from pathlib import Path

import pytest
import requests

from planner.api import create_app
from planner.api.routes.page import serve_local_tiles
from planner.maps.basemaps import TileSource, local_tiles_of_folder
from planner.maps.reasons import reason_en
from planner.store import create_park
from tests.api.conftest import serve
from tests.conftest import grid_parcels


def png(rgb: tuple[int, int, int]) -> bytes:
    """A 1×1 PNG of one colour (written by hand: the test needs no imaging library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, *rgb])))
        + chunk(b"IEND", b"")
    )


def tile_folder(root: Path, tiles: dict[tuple[int, int, int], bytes]) -> Path:
    for (z, x, y), data in tiles.items():
        path = root / str(z) / str(x) / f"{y}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def mbtiles(path: Path, tiles: dict[tuple[int, int, int], bytes], fmt: str = "png") -> Path:
    """An MBTiles file (rows counted from the south, as the spec says) holding ``tiles`` given as XYZ."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "office"), ("format", fmt)])
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, 2**z - 1 - y, d) for (z, x, y), d in tiles.items()]
        )
    return path


RED, BLUE = png((255, 0, 0)), png((0, 0, 255))


def test_a_tile_folder_is_read_by_z_x_y(tmp_path):
    folder = tile_folder(tmp_path / "office", {(3, 6, 2): RED, (5, 26, 12): BLUE})
    source = TileSource(folder)
    assert source.tile(3, 6, 2) == RED and source.tile(5, 26, 12) == BLUE
    assert source.tile(3, 6, 3) is None and source.tile(3, 8, 2) is None  # absent; x beyond 2**3 - 1
    assert source.media_type == "image/png" and source.max_zoom == 5
    local = local_tiles_of_folder(folder)
    assert local.url == f"{folder.resolve().as_uri()}/{{z}}/{{x}}/{{y}}.png" and local.max_zoom == 5


def test_an_mbtiles_file_is_read_with_its_rows_from_the_south(tmp_path):
    # zoom 2 has rows 0..3: XYZ row 0 (the north) is stored as TMS row 3
    source = TileSource(mbtiles(tmp_path / "office.mbtiles", {(2, 3, 0): RED, (2, 3, 3): BLUE}))
    assert source.tile(2, 3, 0) == RED and source.tile(2, 3, 3) == BLUE
    assert source.tile(2, 3, 1) is None
    assert source.max_zoom == 2 and source.media_type == "image/png"


def test_what_is_not_tiles_is_refused_by_name(tmp_path):
    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    with pytest.raises(ValueError, match="is not an MBTiles file"):
        TileSource(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="holds 'pbf' tiles; a basemap needs one of png"):
        TileSource(mbtiles(tmp_path / "vector.mbtiles", {(0, 0, 0): b"x"}, fmt="pbf"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no tiles"):
        TileSource(tmp_path / "empty")
    with pytest.raises(ValueError, match="neither a tile folder nor an MBTiles file"):
        TileSource(tmp_path / "missing")


def test_the_server_serves_its_local_tiles_and_says_when_it_has_none(tmp_path, config):
    store = create_park(tmp_path / "park.gpkg", config)
    store.write_parcels(grid_parcels(2), by="test")
    app = create_app(store)
    url, server, thread = serve(app)
    try:
        answer = requests.get(f"{url}/basemap/0/0/0", timeout=30)
        assert answer.status_code == 404 and "planner serve --tiles" in answer.text
        answer = requests.get(f"{url}/?basemap=local", timeout=30)
        assert (
            answer.status_code == 400 and "服务没有本地瓦片" in answer.json()["error"]["message"]
        )  # Chinese: the default
        answer = requests.get(f"{url}/?basemap=local", headers={"Accept-Language": "en"}, timeout=30)
        assert answer.status_code == 400 and "no local tiles" in answer.json()["error"]["message"]
        serve_local_tiles(app, str(mbtiles(tmp_path / "office.mbtiles", {(1, 1, 0): RED})))
        answer = requests.get(f"{url}/basemap/1/1/0", timeout=30)
        assert answer.status_code == 200 and answer.content == RED and answer.headers["content-type"] == "image/png"
        assert requests.get(f"{url}/basemap/1/0/0", timeout=30).status_code == 404
        page = requests.get(f"{url}/", timeout=60)
        assert page.status_code == 200 and '"basemap":"local"' in page.text and "basemap/{z}/{x}/{y}" in page.text
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("[计算] 给水线路距地块 12 m，经网络 2.3 km 至园区第二水厂，剩余 30,955 m³/日",
         "[computed] water supply line 12 m from the parcel, 2.3 km through the network to 园区第二水厂, "
         "30,955 m³/d left"),
        ("[计算] 最近的电力线路距地块 1,350 m，超过服务距离 200 m",
         "[computed] the nearest power line is 1,350 m from the parcel, beyond the service distance of 200 m"),
        ("[计算] 最近的道路线路距地块 312 m，超过服务距离 40 m；高架道路（L7）距地块 5 m，不可直接接入",
         "[computed] the nearest road line is 312 m from the parcel, beyond the service distance of 40 m; the "
         "elevated road (L7) 5 m from the parcel cannot be tapped (it has no frontage)"),
        ("[计算] 热力线路距地块超过 4,000 m，超过服务距离 200 m；地上热力线路（H-2）距地块 36 m，不可直接接入",
         "[computed] heat lines are over 4,000 m from the parcel, beyond the service distance of 200 m; the heat "
         "line (H-2) 36 m from the parcel is above grade and cannot be tapped"),
        ("[计算] 经燃气网络至门站 5.5 km，超过服务半径 5 km",
         "[computed] 5.5 km through the gas network to 门站, beyond the service radius of 5 km"),
        ("[计算] 东区变电站容量不足：负荷 9,000 / 能力 8,000 kVA，剩余 0 不够本地块",
         "[computed] 东区变电站 lacks capacity: load 9,000 / capacity 8,000 kVA, 0 left is not enough for this parcel"),
        ("[计算] 临路（RD-01，12 m），经道路 1.2 km 至高速出入口",
         "[computed] on a road (RD-01, 12 m), 1.2 km by road to 高速出入口"),
        ("[计算] 没有在用的热力线路", "[computed] no heat line in service"),
        ("[登记] 无燃气管网图层，登记为未通", "[declared] no gas network layer, declared not connected"),
        ("高差 relief 2.5 m", "relief 2.5 m"),
        ("说明不明的理由", "说明不明的理由"),  # a reason no pattern knows is shown as stored
        ("地块状态为已供，只有储备地可供应", "the parcel is supplied: only reserved land can be supplied"),
        ("面积 12.5 亩，小于需求下限 30.0 亩", "area 12.5 mu, under the least area needed, 30.0 mu"),
        ("通燃气未满足：[计算] 没有在用的燃气线路", "gas not met: [computed] no gas line in service"),
        ("地块为一类工业用地（M1），项目需要二类工业用地（M2）或更重的同类用地",
         "the parcel is industrial land class 1 (M1); the project needs industrial land class 2 (M2) or a heavier "
         "class of the kind"),
        ("亩均税收 19.0 万元/亩，低于园区下限 20 万元/亩（地块相对项目过大）",
         "tax per mu 19.0 × 10,000 yuan/mu, under the park's floor 20 × 10,000 yuan/mu (the parcel is too large for "
         "the project)"),
        ("绿地率 25%，超过上限 20%（2008年控制指标）",
         "green ratio 25%, over the cap of 20% (2008 control indicators)"),
        ("另有 4 组相邻地块单宗面积不足、合并后满足面积要求",
         "4 more groups of neighbouring parcels are each too small but large enough together"),
        ("项目未提供 green_ratio_pct，未核验绿地率 ≤ 20%（工业项目建设用地控制指标，国土资发〔2008〕24号）",
         "the project gives no green_ratio_pct: green ratio ≤ 20% not checked (control indicators of industrial "
         "land, 国土资发〔2008〕24号)"),
        ("园区第二水厂剩余 100 m³/日，不足本项目的 300 m³/日",
         "园区第二水厂 has 100 m³/d left, less than this project's 300 m³/d"),
    ],
)  # fmt: skip
def test_reasons_read_in_english(zh, en):
    assert reason_en(zh) == en


def test_planner_serve_names_a_tiles_path_that_is_not_tiles(tmp_path, demo_park):
    from tests.test_cli import run

    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    out = run("serve", str(demo_park.path), "--tiles", str(tmp_path / "notes.txt"))
    assert out.returncode == 2
    assert "is not an MBTiles file (SQLite with tables metadata and tiles)" in " ".join(
        out.stderr.replace("│", " ").split()
    )


def test_the_served_page_opens_on_its_local_mbtiles_and_asks_nothing_of_the_internet(page, tmp_path, config):
    store = create_park(tmp_path / "park.gpkg", config)
    store.write_parcels(grid_parcels(4), by="test")
    tiles = mbtiles(tmp_path / "office.mbtiles", {})
    app = create_app(store)
    serve_local_tiles(app, str(tiles))
    url, server, thread = serve(app)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    try:
        page.goto(url + "/")
        page.wait_for_function("() => window.plannerApp && window.plannerApp.basemap === 'local'", timeout=60_000)
        page.wait_for_timeout(500)
        wanted = sorted({tuple(int(v) for v in u.split("/basemap/")[1].split("/")) for u in asked if "/basemap/" in u})
        assert wanted  # the page asked the server for the tiles in view (none held yet: 404)
        with sqlite3.connect(tiles) as db:  # now the office's file holds them
            db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, 2**z - 1 - y, RED) for z, x, y in wanted])
        page.evaluate("() => window.plannerMap.eachLayer(l => { if (l.redraw && l._url) { l.redraw(); } })")
        page.wait_for_function(f"() => document.querySelectorAll('img.leaflet-tile-loaded').length >= {len(wanted)}")
        assert all(u.startswith(url) for u in asked), [u for u in asked if not u.startswith(url)][:3]
        assert page.errors == []
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_worker_finds_its_local_tiles_where_planner_serve_puts_them(tmp_path, config, monkeypatch):
    from planner.api.routes.page import BASEMAP_TILES_ENV

    store = create_park(tmp_path / "park.gpkg", config)
    folder = tile_folder(tmp_path / "tiles", {(2, 1, 3): BLUE})
    monkeypatch.setenv(BASEMAP_TILES_ENV, str(folder))  # as `planner serve --tiles` sets it for its workers
    url, server, thread = serve(create_app(store))
    try:
        answer = requests.get(f"{url}/basemap/2/1/3", timeout=30)
        assert answer.status_code == 200 and answer.content == BLUE
    finally:
        server.should_exit = True
        thread.join(timeout=10)
