"""``/export/{fmt}`` over real HTTP: the bureau's CSV and Shapefile read back and compared with ``/parcels``."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import quote

import pandas as pd
import pyogrio

from planner.exchange.mapping import SHAPEFILE_ENCODING

STATUS_ZH = {"reserved": "储备", "supplied": "已供", "in_production": "投产", "idle": "闲置"}


def parcels_json(served) -> dict[str, dict]:
    body = served.get("/parcels", params={"limit": 1000}).json()
    return {f["properties"]["parcel_id"]: f["properties"] for f in body["features"]}


def test_the_csv_has_its_bom_chinese_headers_and_the_parcels_values(small_api):
    got = small_api.get("/export/csv")
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = got.headers["content-disposition"]
    assert 'filename="T1-parcels.csv"' in disposition and f"filename*=UTF-8''{quote('T1-宗地.csv')}" in disposition
    assert got.content.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(got.content), encoding="utf-8-sig", dtype=str).set_index("宗地代码")
    stored = parcels_json(small_api)
    assert sorted(table.index) == sorted(stored) == [f"P{i:03d}" for i in range(6)]
    for pid, props in stored.items():
        assert float(table.loc[pid, "宗地面积（亩）"]) == round(props["area_mu"], 4)
        assert round(props["area_mu"], 4) == 15.0  # 100 m × 100 m = 10 000 m² = 15 亩
        assert table.loc[pid, "供地状态"] == STATUS_ZH[props["status"]] == "储备"
        assert float(table.loc[pid, "土地价款（万元）"]) == props["land_price_wan"] == 500.0
    assert "geometry" not in table.columns


def test_the_csv_with_codes_keeps_schema_names_and_codes(small_api):
    got = small_api.get("/export/csv", params={"labels": "codes", "status": "reserved"})
    assert got.status_code == 200, got.text
    table = pd.read_csv(io.BytesIO(got.content), encoding="utf-8-sig", dtype=str).set_index("parcel_id")
    stored = parcels_json(small_api)
    assert set(table["status"]) == {"reserved"} and len(table) == 6
    for pid, props in stored.items():
        assert float(table.loc[pid, "area_mu"]) == props["area_mu"]


def test_the_shapefile_zip_read_in_gb18030(small_api, tmp_path):
    got = small_api.get("/export/shp", params={"crs": "gk"})
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert f"filename*=UTF-8''{quote('T1-宗地.shp.zip')}" in got.headers["content-disposition"]
    archive = tmp_path / "x.zip"
    archive.write_bytes(got.content)
    members = zipfile.ZipFile(archive).namelist()
    assert "T1-parcels.cpg" in members
    shp = next(m for m in members if m.endswith(".shp"))
    frame = pyogrio.read_dataframe(f"/vsizip/{archive}/{shp}", encoding=SHAPEFILE_ENCODING).set_index("宗地代码")
    stored = parcels_json(small_api)
    assert sorted(frame.index) == sorted(stored)
    for pid, props in stored.items():
        assert frame.loc[pid, "宗地面积亩"] == round(props["area_mu"], 4)
        assert frame.loc[pid, "供地状态"] == STATUS_ZH[props["status"]]
    assert frame.geometry.area.round(3).tolist() == [10000.0] * 6  # in the Gauss–Krüger zone asked for
    codes = small_api.get("/export/shp", params={"labels": "codes"})
    (tmp_path / "c.zip").write_bytes(codes.content)
    old = pyogrio.read_dataframe(f"/vsizip/{tmp_path / 'c.zip'}/{shp}", encoding=SHAPEFILE_ENCODING)
    assert set(old["供地状态"]) == {"reserved"}


def test_bad_labels_and_crs_are_refused_as_the_cli_refuses_them(small_api):
    got = small_api.get("/export/shp", params={"labels": "en"})
    assert got.status_code == 400
    error = got.json()["error"]
    assert error["field"] == "labels" and error["message"] == "'en' is not allowed; use zh (Chinese labels) or codes"
    got = small_api.get("/export/csv", params={"crs": "gk"})
    error = got.json()["error"]
    assert got.status_code == 400 and error["field"] == "crs"
    assert error["message"] == "csv is always without geometry; crs is for gpkg and shp"
    got = small_api.get("/export/gpkg", params={"crs": "3857"})
    assert got.status_code == 400 and got.json()["error"]["message"].startswith("'3857' is not allowed")
