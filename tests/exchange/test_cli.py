"""`planner import` and `planner export` as a user runs them."""

from __future__ import annotations

import hashlib
import json

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
    text = " ".join(out.stdout.replace("│", " ").split())
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
    text = " ".join(out.stdout.replace("│", " ").split())
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
