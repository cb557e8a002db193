"""The GeoPackage export and the park store as GDAL 3.6 (Debian 12, QGIS 3.22 LTR) reads them: domains, titles, 1.3."""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from datetime import date

import pandas as pd
import pyogrio
import pytest

from planner.exchange import export_parcels
from planner.parcels.schema import FIELD_BY_NAME
from planner.store import open_store
from planner.vocab import STATUSES
from tests.conftest import grid_parcels, require_tool


@pytest.fixture
def small_park(store):
    parcels = grid_parcels(
        3,
        status=["in_production", "reserved", "supplied"],
        land_use=["100101", "100102", "1001"],
        contract_date=pd.to_datetime(["2018-05-06", None, "2020-12-31"]),
        declared_heat=pd.array([True, False, None], dtype="boolean"),
        holder=["某某新材料有限公司", None, None],
    )
    store.write_parcels(parcels, by="t")
    return store


def _ogrinfo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("ogrinfo"), *args], capture_output=True, text=True, check=True)


def _gdal_version() -> str:
    return subprocess.run([require_tool("ogrinfo"), "--version"], capture_output=True, text=True, check=True).stdout


def test_the_export_is_geopackage_1_3_and_gdal_reads_it_without_a_warning(small_park, tmp_path):
    out = tmp_path / "bureau.gpkg"
    export_parcels(small_park, "gpkg", out)
    with closing(sqlite3.connect(out)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
    info = _ogrinfo("-so", str(out), "宗地")
    assert "Warning" not in info.stderr and "warning" not in info.stderr.lower(), (_gdal_version(), info.stderr)
    lines = {line.split(":")[0]: line for line in info.stdout.splitlines() if ": " in line}
    # each coded or numeric column names its domain; dates are dates, yes/no are booleans
    assert "domain name=parcels_status_values" in lines["供地状态"]
    assert "domain name=parcels_land_use_values" in lines["用地分类"]
    assert "Integer(Boolean)" in lines["通热力（登记）"] and "parcels_declared_heat_values" in lines["通热力（登记）"]
    assert "parcels_ready_values" in lines["熟地"]
    assert "Real" in lines["宗地面积（亩）"] and "parcels_area_mu_range" in lines["宗地面积（亩）"]
    assert lines["合同签订日期"].split(": ")[1].startswith("Date ")


def test_the_domains_list_the_codes_with_their_chinese_labels(small_park, tmp_path):
    out = tmp_path / "bureau.gpkg"
    export_parcels(small_park, "gpkg", out)
    status = _ogrinfo(str(out), "-fielddomain", "parcels_status_values").stdout
    assert "Type: coded" in status
    for code, (zh, en) in STATUSES.items():
        assert f"{code}: {zh} / {en}" in status
    heat = _ogrinfo(str(out), "-fielddomain", "parcels_declared_heat_values").stdout
    assert "1: 通热力：是 / heat: yes" in heat and "0: 通热力：否 / heat: no" in heat
    land_use = _ogrinfo(str(out), "-fielddomain", "parcels_land_use_values").stdout
    assert "100101: 一类工业用地" in land_use
    area = _ogrinfo(str(out), "-fielddomain", "parcels_area_mu_range").stdout
    assert "Type: range" in area and "Minimum value: 0" in area
    assert f"Maximum value: {FIELD_BY_NAME['area_mu'].most:g}" in area


def test_titles_names_and_values_read_back(small_park, tmp_path):
    out = tmp_path / "bureau.gpkg"
    export_parcels(small_park, "gpkg", out)
    with closing(sqlite3.connect(out)) as conn:
        row = conn.execute(
            "SELECT name, title, description FROM gpkg_data_columns WHERE table_name = '宗地' "
            "AND column_name = '宗地面积（亩）'"
        ).fetchone()
        extensions = {
            r[0] for r in conn.execute("SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'")
        }
    assert row[0] == row[1] == "宗地面积（亩）" and row[2].startswith("area_mu: area (mu)")
    assert extensions == {"gpkg_data_columns", "gpkg_data_column_constraints"}
    back = pyogrio.read_dataframe(out, layer="宗地").set_index("宗地代码")
    assert back.loc["P000", "供地状态"] == "in_production"  # codes stay codes: the domain names them
    assert back.loc["P000", "通热力（登记）"] is True or back.loc["P000", "通热力（登记）"] == 1
    assert pd.isna(back.loc["P002", "通热力（登记）"])
    assert pd.Timestamp(back.loc["P000", "合同签订日期"]).date() == date(2018, 5, 6)


def test_a_gb21010_export_gets_the_gb21010_domain(small_park, tmp_path):
    out = tmp_path / "gb.gpkg"
    export_parcels(small_park, "gpkg", out, land_use_codes="gb21010")
    land_use = _ogrinfo(str(out), "-fielddomain", "parcels_land_use_values").stdout
    assert "0601: 工业用地" in land_use and "100101" not in land_use
    back = pyogrio.read_dataframe(out, layer="宗地")
    assert set(back["用地分类"]) == {"0601"}


def test_the_park_store_has_the_domains_and_gdal_reads_it_without_a_warning(small_park):
    info = _ogrinfo("-so", str(small_park.path), "parcels")
    assert "warning" not in info.stderr.lower(), info.stderr
    for column, domain in (
        ("land_use", "parcels_land_use_values"),
        ("ready", "parcels_ready_values"),
        ("road", "parcels_road_values"),
        ("area_mu", "parcels_area_mu_range"),
    ):
        assert f"{column}: " in info.stdout and f"domain name={domain}" in info.stdout
    with closing(sqlite3.connect(small_park.path)) as conn:
        title = conn.execute(
            "SELECT name, title FROM gpkg_data_columns WHERE table_name = 'parcels' AND column_name = 'area_mu'"
        ).fetchone()
    assert title == ("宗地面积（亩）", "宗地面积（亩）")


def test_a_park_made_before_the_domains_gets_them_when_opened(small_park):
    path = small_park.path
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("DROP TABLE layer_styles")
        conn.execute("DELETE FROM gpkg_contents WHERE table_name = 'layer_styles'")
        conn.execute("DELETE FROM gpkg_data_column_constraints WHERE constraint_name NOT LIKE '%status%'")
        conn.execute("UPDATE gpkg_data_columns SET constraint_name = NULL WHERE column_name != 'status'")
        conn.commit()
    assert "parcels_land_use_values" not in _ogrinfo("-so", str(path), "parcels").stdout
    store = open_store(path)
    assert len(store.read_parcels()) == 3
    info = _ogrinfo("-so", str(path), "parcels").stdout
    assert "domain name=parcels_land_use_values" in info and "domain name=parcels_area_mu_range" in info
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT count(*) FROM layer_styles WHERE useAsDefault").fetchone()[0] == 1
