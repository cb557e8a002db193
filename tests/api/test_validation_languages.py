"""FastAPI's own refusals of a request body (a bad code, a wrong type, a list for an object) in the API's one error
shape, in Chinese by default and in English with ``?lang=en``, over real HTTP.

The Chinese names the field and lists the allowed codes by their labels (规划、储备 …), with no English sentence
left in it (the checker of ``tests/test_problems_zh.py``).
"""

from __future__ import annotations

import requests

from planner.errors import Problem
from tests.api.conftest import EDITOR
from tests.api.test_languages import ZH, served  # noqa: F401 (a fixture)
from tests.test_problems_zh import untranslated


def _refusal(method: str, url: str, **kwargs) -> tuple[dict, dict]:
    """The error of the Chinese answer (no language asked) and of the English one (``?lang=en``), both 422."""
    headers = kwargs.pop("headers", {})
    zh = requests.request(method, url, headers={**headers, **ZH}, timeout=120, **kwargs)
    en = requests.request(method, url + "?lang=en", headers={**headers, **ZH}, timeout=120, **kwargs)
    assert zh.status_code == en.status_code == 422, (zh.text, en.text)
    assert set(zh.json()) == set(en.json()) == {"error"}  # not FastAPI's {"detail": [...]}
    for answer in (zh, en):
        assert set(answer.json()["error"]) == {"status", "message", "field", "problems"}
    return zh.json()["error"], en.json()["error"]


def _chinese(zh: dict) -> None:
    for problem in zh["problems"]:
        assert untranslated(Problem("error", None, problem["field"], "-", zh=problem["message"])) is None, problem


def test_a_bad_status_in_a_parcel_edit_lists_the_statuses_by_their_chinese_names(served):  # noqa: F811
    url = served + "/parcels/P000"
    current = requests.get(url, timeout=60).headers["ETag"]
    zh, en = _refusal("PATCH", url, json={"status": "sold"}, headers={**EDITOR, "If-Match": current})
    allowed_zh = (
        "规划（planned）、储备（reserved）、已供（supplied）、在建（under_construction）、投产（in_production）"
    )
    assert zh == {
        "status": 422,
        "message": f"`status`：允许的值：{allowed_zh}（收到 'sold'）",
        "field": "status",
        "problems": [{"field": "status", "message": f"允许的值：{allowed_zh}（收到 'sold'）"}],
    }
    allowed_en = "planned (规划), reserved (储备), supplied (已供), under_construction (在建), in_production (投产)"
    assert en["message"] == f"`status`: allowed: {allowed_en} (got 'sold')"
    assert en["problems"] == [{"field": "status", "message": f"allowed: {allowed_en} (got 'sold')"}]
    _chinese(zh)
    # nothing was written: the parcel is at the version it was
    assert requests.get(url, timeout=60).headers["ETag"] == current


def test_a_list_where_an_object_is_wanted_names_the_request_body(served):  # noqa: F811
    url = served + "/parcels/P000"
    current = requests.get(url, timeout=60).headers["ETag"]
    zh, en = _refusal("PATCH", url, json=[1, 2], headers={**EDITOR, "If-Match": current})
    assert zh["message"] == "请求正文：须为 JSON 对象"
    assert zh["field"] is None
    assert en["message"] == "the request body: Input should be a valid dictionary or object to extract fields from"
    _chinese(zh)


def test_a_bad_kind_of_work_in_a_plan_and_a_bad_figure_in_a_project(served):  # noqa: F811
    work = {"kind": "build", "source_id": "SS-1", "capacity_added": 1000}
    zh, en = _refusal("POST", served + "/plan", json={"budget_wan": 100, "works": [work]}, headers=EDITOR)
    assert zh["problems"] == [{"field": "works.0.kind", "message": "允许的值：upgrade（收到 'build'）"}]
    assert en["problems"] == [{"field": "works.0.kind", "message": "allowed: upgrade (got 'build')"}]
    _chinese(zh)
    project = {"name": "甲项目", "industry": "C3982", "land_mu": "lots", "investment_wan": 5000}
    zh, en = _refusal("POST", served + "/siting/match", json=project, headers=EDITOR)
    # land_mu is one figure or [least, most]: both readings refused, each named by the field alone
    assert zh["message"] == "`land_mu`：须为数字（收到 'lots'）"
    assert [p["field"] for p in zh["problems"]] == [p["field"] for p in en["problems"]] == ["land_mu", "land_mu"]
    assert en["message"] == "`land_mu`: Input should be a valid number, unable to parse string as a number (got 'lots')"
    _chinese(zh)
