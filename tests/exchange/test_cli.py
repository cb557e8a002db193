"""`planner import` and `planner export` as a user runs them."""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import pandas as pd

from planner.store import open_store
from tests.exchange.test_txt import DATA
from tests.test_cli import run


def test_import_then_export_through_the_cli(tmp_path):
    park = tmp_path / "park.gpkg"
    out = run(
        "import", str(park), str(DATA / "two_parcels_hole.txt"), "--park-id", "CLI", "--report", str(tmp_path / "r.csv")
    )
    assert out.returncode == 0, out.stderr
    assert "已新建园区并写入" in out.stdout and "修复与提示" in out.stdout
    assert open_store(park).config().park_id == "CLI"
    report = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "imported as planned" in report
    geo = tmp_path / "p.geojson"
    out = run("export", str(park), "--to", "geojson", "--out", str(geo), "--min-mu", "10", "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "Exported 1 parcels" in out.stdout
    data = json.loads(geo.read_text(encoding="utf-8"))
    assert [f["properties"]["parcel_id"] for f in data["features"]] == ["DK-01"]
    txt = tmp_path / "p.txt"
    out = run("export", str(park), "--to", "txt", "--out", str(txt), "--status", "planned")
    assert out.returncode == 0, out.stderr
    assert "已导出 2 宗地" in out.stdout and "EPSG:4527" in out.stdout


def test_a_refused_import_names_the_problem_and_leaves_the_park(tmp_path):
    park = tmp_path / "park.gpkg"
    run("import", str(park), str(DATA / "two_parcels_hole.txt"))
    before = hashlib.sha256(park.read_bytes()).hexdigest()
    bad = tmp_path / "bad.txt"
    bad.write_bytes((DATA / "two_parcels_hole.txt").read_bytes().replace(b"10,0.9600", b"11,0.9600"))
    out = run("import", str(park), str(bad), "--strict", "--lang", "en")
    assert out.returncode == 1
    text = " ".join(out.stdout.replace("│", " ").replace("┃", " ").split())
    assert "界址点数 says 11 points, but 10 point lines follow" in text
    assert "import refused: 1 error(s); nothing was written, the park is as it was" in " ".join(out.stderr.split())
    assert hashlib.sha256(park.read_bytes()).hexdigest() == before


def test_a_bad_feature_is_left_out_and_listed(tmp_path):
    park = tmp_path / "park.gpkg"
    run("import", str(park), str(DATA / "two_parcels_hole.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_bytes((DATA / "two_parcels_hole.txt").read_bytes().replace(b"10,0.9600", b"11,0.9600"))
    out = run("import", str(park), str(bad), "--lang", "en", "--report", str(tmp_path / "r.csv"))
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.replace("│", " ").replace("┃", " ").split())
    assert "Features left out (1): the rest went in; correct them and import again" in text
    assert "parcels 2 1 0 0 1 0" in text  # read 2, left out 1, unchanged 1
    assert "界址点数 says 11 points, but 10 point lines follow" in text
    report = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "left out,parcel," in report


def test_bad_options_are_named(tmp_path):
    park = tmp_path / "park.gpkg"
    out = run("import", str(park), str(DATA / "two_parcels_hole.txt"), "--layer", "pipes")
    assert out.returncode == 2
    assert "`layer` was 'pipes'" in " ".join(out.stderr.replace("│", " ").split())
    run("import", str(park), str(DATA / "two_parcels_hole.txt"))
    out = run("export", str(park), "--to", "kml", "--out", str(tmp_path / "x.kml"))
    assert out.returncode == 2 and "'kml' is not an export format" in " ".join(out.stderr.replace("│", " ").split())
    out = run("export", str(park), "--to", "geojson", "--out", str(tmp_path / "x.geojson"), "--crs", "gk")
    assert out.returncode == 2 and "geojson is always WGS84 (RFC 7946)" in " ".join(
        out.stderr.replace("│", " ").split()
    )
    out = run("export", str(park), "--to", "gpkg", "--out", str(tmp_path / "x.gpkg"), "--status", "sold")
    assert out.returncode == 1 and "`status` was 'sold'" in out.stderr


def test_dry_run_and_not_gcj02_through_the_cli(tmp_path):
    park = tmp_path / "park.gpkg"
    run("import", str(park), str(DATA / "two_parcels_hole.txt"))
    before = hashlib.sha256(park.read_bytes()).hexdigest()
    out = run("import", str(park), str(DATA / "two_parcels_hole.txt"), "--dry-run", "--not-gcj02", "--lang", "en")
    assert out.returncode == 0, out.stderr
    assert "Checked only (--dry-run); nothing was written." in out.stdout
    row = " ".join(out.stdout.split("│ parcels ", 1)[1].split("\n", 1)[0].replace("│", " ").split())
    assert row == "2 0 0 0 2 0"  # read, left out, inserted, updated, unchanged, deleted: what the import would do
    assert hashlib.sha256(park.read_bytes()).hexdigest() == before


def _walkthrough_files(tmp_path):
    """A planner's files: parcel SH001 supplied (已供) naming no holder; new parcels with no supply status."""
    from shapely.geometry import box

    from tests.conftest import X0, Y0

    geoms = [box(X0 + 200 * k, Y0, X0 + 200 * k + 100, Y0 + 100) for k in range(4)]
    supplied = gpd.GeoDataFrame(
        {"parcel_id": ["SH001", "SH002"], "status": ["supplied", "reserved"], "contract_date": ["2024-01-05", None]},
        geometry=geoms[:2],
        crs=4548,
    )
    planned = gpd.GeoDataFrame({"parcel_id": ["N1", "N2"]}, geometry=geoms[2:], crs=4548)
    supplied.to_file(tmp_path / "宗地.geojson", driver="GeoJSON")
    planned.to_file(tmp_path / "新增.geojson", driver="GeoJSON")
    return tmp_path / "宗地.geojson", tmp_path / "新增.geojson"


def _table(out) -> str:
    return " ".join(out.stdout.replace("│", " ").replace("┃", " ").split())


def test_the_problem_table_reads_in_chinese_and_in_english(tmp_path):
    park = tmp_path / "park.gpkg"
    supplied, planned = _walkthrough_files(tmp_path)
    wide = {"COLUMNS": "400"}
    out = run("import", str(park), str(supplied), "--dry-run", "--report", str(tmp_path / "r.csv"), env=wide)
    assert out.returncode == 0, out.stderr
    text = _table(out)
    assert "修复与提示" in text and "类别 要素 字段 说明" in text
    assert "提示 宗地 SH001 holder 宗地为已供（`supplied`），但未填写土地使用权人" in text
    assert "names no holder" not in text
    report = pd.read_csv(tmp_path / "r.csv", encoding="utf-8-sig")
    holder = report[report["field"] == "holder"].iloc[0]
    assert holder["message"] == "the parcel is supplied (已供) but names no holder"
    assert holder["message_zh"] == "宗地为已供（`supplied`），但未填写土地使用权人"
    out = run("import", str(park), str(planned), "--dry-run", env=wide)
    assert (
        "修复 文件 '新增.geojson' 没有供地状态（`status`）：2 宗新宗地按规划（`planned`）导入；"
        "如需其他状态，请在字段对照文件的 `defaults` 中给出" in _table(out)
    )
    out = run("import", str(park), str(supplied), "--dry-run", "--lang", "en", env=wide)
    text = _table(out)
    assert "Repairs and warnings" in text and "kind feature field message" in text
    assert "warning parcel SH001 holder the parcel is supplied (已供) but names no holder" in text
    assert "未填写土地使用权人" not in text
    out = run("import", str(park), str(planned), "--dry-run", env={**wide, "PLANNER_LANG": "en"})
    assert "file '新增.geojson' has no supply status (`status`): 2 new parcel(s) imported as planned" in _table(out)


def test_a_refused_import_prints_its_problems_in_chinese(tmp_path):
    park = tmp_path / "park.gpkg"
    run("import", str(park), str(DATA / "two_parcels_hole.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_bytes((DATA / "two_parcels_hole.txt").read_bytes().replace(b"10,0.9600", b"11,0.9600"))
    out = run("import", str(park), str(bad), "--strict", env={"COLUMNS": "400"})
    assert out.returncode == 1
    text = _table(out)
    assert "宗地 DK-01 geometry 第 13 行：界址点数为 11，但其后有 10 个界址点行（8 个不同的点）" in text
    assert "says 11 points" not in text
    assert "导入被拒绝：1 个错误，未写入任何数据，园区保持原样" in " ".join(out.stderr.split())
