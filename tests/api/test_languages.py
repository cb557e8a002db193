"""The API's refusals in Chinese (the default) or English (``?lang=en`` or ``Accept-Language: en``), over real HTTP."""

from __future__ import annotations

import re

import pytest
import requests

from planner.api import create_app
from planner.api.messages import chinese, language_of_scope
from tests.api.conftest import EDITOR, TOKENS, VIEWER, serve

ZH = {"Accept-Language": None}  # no header at all: Chinese, the default
EN = {"Accept-Language": "en"}


@pytest.fixture
def served(tmp_path):
    from planner.config import ParkConfig
    from planner.store import create_park
    from tests.conftest import GK, grid_parcels

    store = create_park(tmp_path / "park.gpkg", ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK))
    store.write_parcels(grid_parcels(6, land_price_wan=[500.0] * 6), by="setup")
    url, server, thread = serve(create_app(store, tokens=TOKENS, max_body_bytes=200_000))
    yield url
    server.should_exit = True
    thread.join(timeout=10)
    store.close()


def _message(answer: requests.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    return answer.json()["error"]["message"]


def _both(method: str, url: str, status: int, **kwargs) -> tuple[str, str]:
    headers = kwargs.pop("headers", {})
    zh = requests.request(method, url, headers={**headers, **ZH}, timeout=120, **kwargs)
    en = requests.request(method, url, headers={**headers, **EN}, timeout=120, **kwargs)
    return _message(zh, status), _message(en, status)


def test_a_missing_parcel_and_an_unknown_path(served):
    assert _both("GET", served + "/parcels/NOPE", 404) == (
        "园区 'T1' 中没有宗地 'NOPE'",
        "no parcel 'NOPE' in park 'T1'",
    )
    assert _both("GET", served + "/nowhere", 404) == (
        "'/nowhere' 处没有资源；接口列表见 /docs",
        "no resource at '/nowhere'; the routes are listed at /docs",
    )
    assert _both("DELETE", served + "/parcels", 405) == (
        "'/parcels' 不接受 DELETE；允许：GET",
        "DELETE is not allowed on '/parcels'; allowed: GET",
    )


def test_a_value_out_of_range_and_a_bad_box(served):
    zh, en = _both("GET", served + "/parcels?limit=0", 422)
    assert zh == "`limit`：须不小于 1（收到 '0'）"
    assert en == "`limit`: Input should be greater than or equal to 1 (got '0')"
    answer = requests.get(served + "/parcels?sort=colour", headers=ZH, timeout=60).json()["error"]
    assert answer["problems"] == [
        {
            "field": "sort",
            "message": "允许的值：parcel_id、area_mu、name、status、updated_at（前加 - ：降序）（收到 'colour'）",
        }
    ]
    zh, en = _both("GET", served + "/parcels?bbox=1,2,3", 400)
    assert zh == "`bbox` 为 '1,2,3'；请写 最小经度,最小纬度,最大经度,最大纬度（WGS84 度）"
    assert en == "`bbox` was '1,2,3'; write minlon,minlat,maxlon,maxlat in degrees (WGS84)"


def test_refusals_of_tokens_and_a_conflict(served):
    body = {"holder": "甲公司"}
    assert _both("PATCH", served + "/parcels/P000", 401, json=body) == (
        "需要令牌：请发送 `Authorization: Bearer <令牌>`",
        "a token is needed: send `Authorization: Bearer <token>`",
    )
    assert _both("PATCH", served + "/parcels/P000", 403, json=body, headers=VIEWER) == (
        "用户 '王科长' 的角色是 查看者（viewer）；此操作需要编辑者（editor）令牌",
        "user '王科长' is a viewer; this needs an editor token",
    )
    version = requests.get(served + "/parcels/P000", timeout=60).headers["ETag"].strip('"')
    saved = requests.patch(served + "/parcels/P000", json=body, headers={**EDITOR, "If-Match": version}, timeout=120)
    assert saved.status_code == 200
    stale = {**EDITOR, "If-Match": version}
    zh, en = _both("PATCH", served + "/parcels/P000", 409, json={"holder": "乙公司"}, headers=stale)
    now = int(version) + 1
    assert zh == f"宗地 'P000' 已是第 {now} 版，而此次修改基于第 {version} 版：请重新读取该宗地后再修改"
    assert en == (
        f"parcel 'P000' is at version {now}, but the edit was based on version {version}; "
        "reload the parcel and apply the edit again"
    )


def test_a_record_refused_by_validation_names_the_parcel_and_field_in_chinese(served):
    current = requests.get(served + "/parcels/P000", timeout=60).headers["ETag"]
    body = {"footprint_m2": 20_000.0}  # the parcel is 100 m × 100 m
    zh, en = _both("PATCH", served + "/parcels/P000", 422, json=body, headers={**EDITOR, "If-Match": current})
    assert zh == (
        "宗地中有 1 处问题，未写入任何内容：\n"
        "  - 宗地 'P000'，字段 `footprint_m2`：建筑基底面积 20000 平方米超过宗地面积 10000 平方米"
    )
    assert en.startswith("1 problem(s) in the parcels; nothing was written:\n  - parcel 'P000', field `footprint_m2`")


def test_the_problems_of_a_refused_record_are_in_the_asked_language(served):
    current = requests.get(served + "/parcels/P000", timeout=60).headers["ETag"]
    body = {"footprint_m2": 20_000.0, "land_use": "9999"}
    url = served + "/parcels/P000"
    headers = {**EDITOR, "If-Match": current}
    zh = requests.patch(url, json=body, headers={**headers, **ZH}, timeout=60)  # EDITOR asks for English
    en = requests.patch(url + "?lang=en", json=body, headers=headers, timeout=60)
    assert zh.status_code == en.status_code == 422
    zh_problems, en_problems = zh.json()["error"]["problems"], en.json()["error"]["problems"]
    assert [set(p) for p in zh_problems] == [set(p) for p in en_problems]  # the same keys
    by_field = {p["field"]: p["message"] for p in zh_problems}
    assert by_field["land_use"].startswith("'9999' 不是用地用海分类代码：工业用地为 100101（一类）")
    assert by_field["footprint_m2"] == "建筑基底面积 20000 平方米超过宗地面积 10000 平方米"
    assert {p["field"]: p["message"] for p in en_problems} == {
        "land_use": "'9999' is not a 用地用海分类 code; industrial land is 100101 (一类), 100102 (二类), "
        "100103 (三类); see data/land_use_codes.csv",
        "footprint_m2": "the building footprint 20000 m² exceeds the parcel's 10000 m²",
    }
    assert all(re.search("[\u4e00-\u9fff]", p["message"]) for p in zh_problems)


@pytest.mark.parametrize(
    ("query", "header", "lang"),
    [
        ("", None, "zh"),
        ("?lang=en", None, "en"),
        ("?lang=zh", "en", "zh"),  # the page's switch wins over the browser's language
        ("", "en-US,en;q=0.9", "en"),
        ("", "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("", "en;q=0.5,zh;q=0.6", "zh"),
        ("", "fr-FR", "zh"),
    ],
)
def test_the_language_asked_for(served, query, header, lang):
    answer = requests.get(served + "/parcels/NOPE" + query, headers={"Accept-Language": header}, timeout=60)
    message = _message(answer, 404)
    assert message == ("园区 'T1' 中没有宗地 'NOPE'" if lang == "zh" else "no parcel 'NOPE' in park 'T1'")
    scope = {"type": "http", "query_string": query[1:].encode(), "headers": []}
    if header:
        scope["headers"] = [(b"accept-language", header.encode())]
    assert language_of_scope(scope) == lang


def test_the_planners_own_messages_in_chinese():
    assert chinese("/x/park.gpkg is locked by another writer (database is locked); try again", 503) == (
        "/x/park.gpkg 正由其他写入方占用（database is locked）：请稍后重试"
    )
    assert chinese("no parcel has parcel_id 'P9'", 404) == "没有宗地代码为 'P9' 的宗地"
    # a message no rule knows: its kind in Chinese first, the English as it is
    assert chinese("`status` 'sold' is not allowed; allowed: planned, reserved", 400) == (
        "请求的值不被允许：`status` 'sold' is not allowed; allowed: planned, reserved"
    )


def test_a_body_too_large_is_refused_in_either_language(served):
    big = "x" * 300_000
    zh, en = _both("POST", served + "/sheet.xlsx", 413, data=big, headers={"Content-Type": "application/json"})
    assert zh == "请求体有 300,000 字节；最多允许 200,000 字节"
    assert en == "the request body is 300,000 bytes; at most 200,000 are allowed"
