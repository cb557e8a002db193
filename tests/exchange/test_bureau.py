"""The land bureau's Shapefile as it is read: whole-word names with units, Date fields, 是/否, labels, rounding."""

from __future__ import annotations

import subprocess

import pandas as pd
import pyogrio
import pytest

from planner.exchange import export_parcels
from planner.exchange.export import export_columns
from planner.exchange.mapping import SHAPEFILE_ENCODING, cut_shapefile_names, known_names, shapefile_names
from planner.exchange.shp_fields import SHAPEFILE_FIELDS
from planner.parcels.schema import FIELDS
from tests.conftest import grid_parcels, require_tool

SIDE_M = 40.123  # 1609.855129 m² = 2.4147826935 mu: rounded to 1609.86 m² and 2.4148 mu by hand


@pytest.fixture
def bureau_park(store):
    parcels = grid_parcels(
        3,
        size=SIDE_M,
        status=["in_production", "reserved", "supplied"],
        supply_mode=["grant", None, "lease"],
        land_price_wan=[123.456, None, 0.004],
        investment_total_wan=[1000.005001, None, None],
        contract_date=pd.to_datetime(["2018-05-06", None, "2020-12-31"]),
        declared_heat=pd.array([True, False, None], dtype="boolean"),
        holder=["某某新材料有限公司", None, None],
        admin_share_pct=[7.0, None, 7.004],
        green_ratio_pct=[20.0, None, 15.5],
    )
    store.write_parcels(parcels, by="t")
    return store


def test_every_name_in_the_table_is_whole_short_and_unique():
    assert set(SHAPEFILE_FIELDS) == set(export_columns())  # every exported column has a chosen name
    names = list(SHAPEFILE_FIELDS.values())
    assert len(set(names)) == len(names)
    for column, name in SHAPEFILE_FIELDS.items():
        assert 0 < len(name.encode(SHAPEFILE_ENCODING)) <= 10, (column, name)
    # the names the old exports cut mid-word are gone; the units are in the names
    assert {"场地平整登", "建筑基底面"}.isdisjoint(names)
    assert SHAPEFILE_FIELDS["area_m2"] == "宗地面积m2" and SHAPEFILE_FIELDS["area_mu"] == "宗地面积亩"
    assert shapefile_names(FIELDS) == {**cut_shapefile_names(FIELDS), **SHAPEFILE_FIELDS}


def test_the_import_reads_the_new_names_and_the_old_cut_ones():
    known = known_names(FIELDS)
    assert known["场地平整计"] == "leveled" and known["平整计算"] == "leveled"
    assert known["宗地面积"] == "area_m2" and known["宗地面积m2"] == "area_m2"
    # no name means one column in the old exports and another in the new ones
    old, new = cut_shapefile_names(FIELDS), shapefile_names(FIELDS)
    by_old, by_new = {v: k for k, v in old.items()}, {v: k for k, v in new.items()}
    assert all(by_old[n] == by_new[n] for n in set(by_old) & set(by_new))
    assert all(known[n] == column for column, n in new.items())


def test_the_bureau_shapefile_read_back_with_pyogrio(tmp_path, bureau_park):
    out = tmp_path / "宗地.shp"
    export_parcels(bureau_park, "shp", out, crs="gk")
    assert out.with_suffix(".cpg").read_text().strip() == "GB18030"
    info = pyogrio.read_info(out, encoding=SHAPEFILE_ENCODING)
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert types["合同签订日"] == "OFTDate" and types["闲置起始日"] == "OFTDate"
    assert types["宗地面积亩"] == "OFTReal" and types["热力登记"] == "OFTString"
    frame = pyogrio.read_dataframe(out, encoding=SHAPEFILE_ENCODING).set_index("宗地代码").loc[["P000", "P001", "P002"]]
    assert frame["供地状态"].tolist() == ["投产", "储备", "已供"]
    assert frame["供地方式"].tolist()[::2] == ["出让", "租赁"] and pd.isna(frame["供地方式"].iloc[1])
    assert frame["热力登记"].tolist()[:2] == ["是", "否"] and pd.isna(frame["热力登记"].iloc[2])
    assert frame["合同签订日"].iloc[0] == pd.Timestamp("2018-05-06") and pd.isna(frame["合同签订日"].iloc[1])
    assert frame["宗地面积亩"].tolist() == [2.4148] * 3
    assert frame["宗地面积m2"].tolist() == [1609.86] * 3
    assert frame["地价万元"].iloc[0] == 123.46 and frame["地价万元"].iloc[2] == 0.0
    assert frame["总投资万元"].iloc[0] == 1000.01
    assert frame["使用权人"].iloc[0] == "某某新材料有限公司"
    assert frame["用地分类"].tolist() == ["100101"] * 3  # the land-use code stays a code
    # the shares the 2008 caps are checked on (国土资发〔2008〕24号): % to 4 decimals, so that 7.004% over the
    # 7% cap does not read as 7.00
    assert types["行政生活%"] == "OFTReal" and types["绿地率%"] == "OFTReal"
    assert frame["行政生活%"].iloc[0] == 7.0 and frame["行政生活%"].iloc[2] == 7.004
    assert pd.isna(frame["行政生活%"].iloc[1])
    assert frame["绿地率%"].tolist()[::2] == [20.0, 15.5]


def test_the_bureau_shapefile_read_back_with_ogrinfo(tmp_path, bureau_park):
    ogrinfo = require_tool("ogrinfo")
    out = tmp_path / "parcels.shp"
    export_parcels(bureau_park, "shp", out, crs="gk", status="in_production")
    text = subprocess.run(
        [ogrinfo, "-ro", "-al", str(out)], capture_output=True, check=True, env={"LC_ALL": "C.UTF-8"}
    ).stdout.decode("utf-8")
    assert "合同签订日: Date (10.0)" in text
    assert "合同签订日 (Date) = 2018/05/06" in text
    assert "供地状态 (String) = 投产" in text and "热力登记 (String) = 是" in text
    assert "宗地面积亩 (Real) = 2.4148" in text


def test_labels_codes_keeps_the_codes_and_the_numbers(tmp_path, bureau_park):
    out = tmp_path / "codes.shp"
    export_parcels(bureau_park, "shp", out, labels="codes")
    frame = pyogrio.read_dataframe(out, encoding=SHAPEFILE_ENCODING).set_index("宗地代码").sort_index()
    assert frame["供地状态"].tolist() == ["in_production", "reserved", "supplied"]
    assert frame["热力登记"].iloc[0] in ("True", "1", 1, True)
    assert frame["地价万元"].iloc[0] == 123.456
    assert frame["合同签订日"].iloc[0] == pd.Timestamp("2018-05-06")  # dates are dates either way


def test_labels_must_be_zh_or_codes(tmp_path, bureau_park):
    with pytest.raises(ValueError, match="`labels` was 'en' but is expected to be zh"):
        export_parcels(bureau_park, "shp", tmp_path / "x.shp", labels="en")
    assert not (tmp_path / "x.shp").exists()


def test_missing_items_and_ready_are_written_as_words():
    import geopandas as gpd
    from shapely import box

    from planner.exchange.shp_write import bureau_values

    frame = gpd.GeoDataFrame(
        {"missing": ["gas,heat", None], "ready": pd.array([False, True], dtype="boolean")},
        geometry=[box(0, 0, 1, 1)] * 2,
    )
    values = bureau_values(frame, "zh")
    assert values["missing"].tolist() == ["通燃气、通热力", None]
    assert values["ready"].tolist() == ["生地", "熟地"]
    assert bureau_values(frame, "codes")["missing"].tolist() == ["gas,heat", None]


def test_the_bureau_csv_has_chinese_headers_labels_and_rounded_numbers(tmp_path, bureau_park):
    out = tmp_path / "宗地.csv"
    export_parcels(bureau_park, "csv", out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel in China opens it ungarbled
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str).set_index("宗地代码").sort_index()
    assert table["宗地面积（亩）"].tolist() == ["2.4148"] * 3
    assert table["宗地面积（平方米）"].tolist() == ["1609.86"] * 3
    assert table.loc["P000", "土地价款（万元）"] == "123.46" and table.loc["P002", "土地价款（万元）"] == "0.0"
    assert table["供地状态"].tolist() == ["投产", "储备", "已供"]
    assert table.loc["P000", "通热力（登记）"] == "是" and table.loc["P001", "通热力（登记）"] == "否"
    assert table.loc["P000", "合同签订日期"] == "2018-05-06"
    assert table.loc["P000", "用地分类"].startswith("100101 ")  # the code with its name
    assert "geometry" not in table.columns and "version" not in table.columns


def test_the_csv_with_codes_keeps_names_codes_and_numbers(tmp_path, bureau_park):
    out = tmp_path / "parcels.csv"
    export_parcels(bureau_park, "csv", out, labels="codes")
    table = pd.read_csv(out, encoding="utf-8-sig", dtype=str).set_index("parcel_id").sort_index()
    assert table["status"].tolist() == ["in_production", "reserved", "supplied"]
    assert table.loc["P000", "land_price_wan"] == "123.456"
    assert table.loc["P000", "contract_date"] == "2018-05-06"


def test_the_cli_writes_the_bureau_formats_and_names_bad_options(tmp_path, bureau_park):
    from tests.test_cli import run

    park = bureau_park.uri
    out = run("export", str(park), "--to", "csv", "--out", str(tmp_path / "p.csv"), "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "供地状态" in (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    out = run("export", str(park), "--to", "shp", "--out", str(tmp_path / "p.shp"), "--labels", "codes")
    assert out.returncode == 0, out.stderr
    frame = pyogrio.read_dataframe(tmp_path / "p.shp", encoding=SHAPEFILE_ENCODING)
    assert "in_production" in set(frame["供地状态"])
    out = run("export", str(park), "--to", "shp", "--out", str(tmp_path / "x.shp"), "--labels", "en")
    text = " ".join(out.stderr.replace("│", " ").split())
    assert out.returncode == 2 and "'en' is not allowed; use zh (Chinese labels) or codes" in text
    out = run("export", str(park), "--to", "csv", "--out", str(tmp_path / "x.csv"), "--crs", "gk")
    text = " ".join(out.stderr.replace("│", " ").split())
    assert out.returncode == 2 and "csv is always without geometry; --crs is for gpkg and shp" in text
    assert not (tmp_path / "x.shp").exists() and not (tmp_path / "x.csv").exists()


def test_the_bureau_csv_heads_the_shares_with_their_label_and_unit(tmp_path, bureau_park):
    out = tmp_path / "宗地.csv"
    export_parcels(bureau_park, "csv", out)
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"宗地代码": str}).set_index("宗地代码").sort_index()
    assert frame["行政办公及生活服务设施用地所占比重（%）"].tolist()[::2] == [7.0, 7.004]
    assert frame["绿地率（%）"].tolist()[::2] == [20.0, 15.5]
