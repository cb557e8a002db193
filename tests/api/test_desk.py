"""The desk's API over real HTTP: the parcel table as Excel and CSV, a chart's data as Excel, /me, the access log."""

from __future__ import annotations

import csv
import io
import logging
from datetime import date

import openpyxl
import pytest

from planner.vocab import STATUSES
from tests.api.conftest import EDITOR, VIEWER


def _book(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content)).active


def test_the_xlsx_holds_what_the_api_answers_labelled_with_units(api):
    params = {"status": "supplied", "min_area_mu": 20, "sort": "-area_mu"}
    answer = api.get("/parcels", params=params | {"limit": 1000}).json()
    got = api.get("/parcels.xlsx", params=params)
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = _book(got.content)
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("宗地代码", "地块名称", "土地使用权人", "供地状态")
    assert "宗地面积（亩）" in header and "土地价款（万元）" in header
    body = rows[1 : 1 + answer["numberMatched"]]
    features = [f["properties"] for f in answer["features"]]
    assert len(body) == len(features) == answer["numberMatched"] > 0
    col = {name: k for k, name in enumerate(header)}
    for row, props in zip(body, features, strict=True):  # the same parcels in the same order (largest first)
        assert row[col["宗地代码"]] == props["parcel_id"]
        assert row[col["供地状态"]] == STATUSES["supplied"][0] == "已供"  # the label, not the code
        assert row[col["宗地面积（亩）"]] == pytest.approx(props["area_mu"])
        assert row[col["土地价款（万元）"]] == props["land_price_wan"]
        assert row[col["熟地"]] == {True: "熟地", False: "生地", None: None}[props["ready"]]
        given = props["contract_date"]
        assert (row[col["合同签订日期"]].date() if row[col["合同签订日期"]] else None) == (
            date.fromisoformat(given) if given else None
        )
    areas = [r[col["宗地面积（亩）"]] for r in body]
    assert areas == sorted(areas, reverse=True) and min(areas) >= 20


def test_the_xlsx_in_english_and_the_csv_match(api):
    english = list(
        _book(api.get("/parcels.xlsx", params={"status": "reserved", "lang": "en"}).content).iter_rows(values_only=True)
    )
    assert english[0][:4] == ("parcel id", "name", "land-use right holder", "supply status")
    assert {r[3] for r in english[1:] if r and r[0] and r[1] is not None} == {STATUSES["reserved"][1]}
    got = api.get("/parcels.csv", params={"status": "reserved"})
    assert got.content.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8 Chinese right
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    count = api.get("/parcels", params={"status": "reserved", "limit": 1}).json()["numberMatched"]
    assert len(rows) == count + 1 and rows[0][0] == "宗地代码" and {r[3] for r in rows[1:]} == {"储备"}


def test_the_table_refuses_what_parcels_refuses(api):
    bad = api.get("/parcels.xlsx", params={"status": "sold"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    message = bad.json()["error"]["message"]
    assert message.count("planned (规划)") == 1  # the allowed values are said once, with their labels
    sort = api.get("/parcels", params={"sort": "holder"}).json()["error"]
    assert sort["field"] == "sort" and sort["message"] == (
        "`sort`: allowed: parcel_id, area_mu, name, status, updated_at (- first: descending) (got 'holder')"
    )
    inverted = api.get("/parcels.csv", params={"min_area_mu": 50, "max_area_mu": 10})
    assert inverted.status_code == 400 and inverted.json()["error"]["field"] == "max_area_mu"


def test_a_charts_data_comes_back_as_excel(api):
    sheet = {"title": "闲置土地", "columns": ["处置阶段", "面积（亩）"], "rows": [["待调查", 189.74], ["调查中", 12.5]]}
    got = api.post("/sheet.xlsx", json=sheet)
    assert got.status_code == 200
    rows = list(_book(got.content).iter_rows(values_only=True))
    assert rows[:3] == [("处置阶段", "面积（亩）"), ("待调查", 189.74), ("调查中", 12.5)]
    ragged = api.post("/sheet.xlsx", json=sheet | {"rows": [["待调查"]]})
    assert ragged.status_code == 422 and ragged.json()["error"]["field"] == "rows"


def test_me_names_the_user_and_role(api):
    assert api.get("/me", headers=EDITOR).json() == {"user": "张工", "role": "editor", "may_edit": True}
    assert api.get("/me", headers=VIEWER).json()["may_edit"] is False
    assert api.get("/me").status_code == 401


def test_the_access_log_has_the_user_and_never_the_token(api, caplog):
    caplog.set_level(logging.INFO, logger="planner.api.access")
    pid = api.get("/parcels", params={"limit": 1}).json()["features"][0]["id"]
    version = api.get(f"/parcels/{pid}").json()["properties"]["version"]
    done = api.patch(f"/parcels/{pid}", json={"holder": "日志测试公司"}, headers=EDITOR | {"If-Match": f'"{version}"'})
    assert done.status_code == 200
    api.get("/parcels/NOPE", headers=VIEWER)
    lines = [r.getMessage() for r in caplog.records if r.name == "planner.api.access"]
    edit = [line for line in lines if line.startswith(f"PATCH /parcels/{pid} 200 ")]
    assert len(edit) == 1 and edit[0].endswith("user=张工") and " ms " in edit[0]
    assert any(line.startswith("GET /parcels/NOPE 404 ") and line.endswith("user=王科长") for line in lines)
    assert any(line.startswith("GET /parcels 200 ") and line.endswith("user=-") for line in lines)
    text = "\n".join(lines) + "\n".join(str(r.args) for r in caplog.records)
    assert "token" not in text.lower() and "0123456789" not in text


def test_the_openapi_declares_bearer_and_typed_bodies(api):
    spec = api.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["token"] == spec["components"]["securitySchemes"]["token"] | {
        "type": "http",
        "scheme": "bearer",
    }
    edit = spec["paths"]["/parcels/{parcel_id}"]["patch"]["requestBody"]["content"]["application/json"]["schema"]
    model = spec["components"]["schemas"][edit["$ref"].split("/")[-1]]
    status = model["properties"]["status"]["anyOf"][0]
    assert set(status["enum"]) == set(STATUSES)
    assert "number" in str(model["properties"]["land_price_wan"]) and "date" in str(
        model["properties"]["contract_date"]
    )
    match = spec["paths"]["/siting/match"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert match["$ref"].endswith("/Project")


def test_text_no_workbook_can_hold_is_refused_by_place(api):
    sheet = {"title": "图表", "columns": ["名称", "面积（亩）"], "rows": [["甲", 1.0], ["乙\x07", 2.0]]}
    got = api.post("/sheet.xlsx", json=sheet)
    assert got.status_code == 422, got.text
    error = got.json()["error"]
    assert error["field"] == "rows" and "`rows[1][0]`" in error["message"] and "U+0007" in error["message"]
    assert api.post("/sheet.xlsx", json=sheet | {"rows": [], "title": "a\x1fb"}).json()["error"]["field"] == "title"
