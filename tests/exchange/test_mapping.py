"""Field-mapping files: columns renamed, and `values` translated alike for integer, float and text columns."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import yaml
from shapely.geometry import box

from planner.exchange import import_file
from planner.exchange.mapping import FieldMapping, apply_mapping, load_mapping
from planner.parcels.schema import FIELDS
from planner.store import open_store
from tests.conftest import X0, Y0

NORTH = Y0 + 1000.0

MAPPING_YAML = """\
columns:
  DKBH: parcel_id
  DKMC: name
  YDLX: land_use
  GYZT: status
values:
  land_use: {1: "100101", 2: "100102", 3: "100103"}
  GYZT: {0: planned, 1: reserved, 2: supplied}
defaults:
  park_id: T1
"""


def surveyed(kind: str) -> gpd.GeoDataFrame:
    """Three parcels as a surveyor's layer has them: class and status as `kind` (int, float or text) codes."""
    codes = {"int": [1, 2, 3], "float": [1.0, 2.0, 3.0], "text": ["1", "2", "3"]}[kind]
    status = {"int": [1, 1, 0], "float": [1.0, 1.0, 0.0], "text": ["1", "1", "0"]}[kind]
    geoms = [box(X0 + i * 150, NORTH, X0 + i * 150 + 100, NORTH + 100) for i in range(3)]
    return gpd.GeoDataFrame(
        {"DKBH": ["S1", "S2", "S3"], "DKMC": ["甲", "乙", "丙"], "YDLX": codes, "GYZT": status},
        geometry=geoms,
        crs=4527,  # another projection than the park's: zone 39 with prefix
    ).pipe(lambda f: f.set_geometry(f.geometry.translate(39_000_000.0)))


@pytest.fixture
def park(store):
    return Path(store.uri)


@pytest.mark.parametrize("kind", ["int", "float", "text"])
@pytest.mark.parametrize("suffix", [".shp", ".gpkg", ".geojson"])
def test_values_translate_integer_float_and_text_columns(tmp_path, park, kind, suffix):
    path = tmp_path / f"survey{suffix}"
    frame = surveyed(kind)
    pyogrio.write_dataframe(frame.to_crs(4326) if suffix == ".geojson" else frame, path)
    read = pyogrio.read_dataframe(path)
    expected_dtype = {"int": "int", "float": "float", "text": "object"}[kind]
    assert expected_dtype in str(read["YDLX"].dtype) or (kind == "text" and read["YDLX"].dtype == "str")
    mapping = tmp_path / "fields.yaml"
    mapping.write_text(MAPPING_YAML, encoding="utf-8")
    report = import_file(park, path, mapping=mapping)
    assert not report.left_out, [str(p) for p in report.left_out]
    parcels = open_store(park).read_parcels().set_index("parcel_id")
    assert parcels.loc[["S1", "S2", "S3"], "land_use"].tolist() == ["100101", "100102", "100103"]
    assert parcels.loc[["S1", "S2", "S3"], "status"].tolist() == ["reserved", "reserved", "planned"]
    assert parcels.loc[["S1", "S2", "S3"], "name"].tolist() == ["甲", "乙", "丙"]
    messages = [str(p) for p in report.problems]
    assert any("`land_use`: 3 value(s) translated by the mapping file" in m for m in messages), messages


def test_keys_written_as_numbers_or_text_are_one_value():
    frame = gpd.GeoDataFrame({"YDLX": [1, 2, 3, 4]}, geometry=[box(0, 0, 1, 1)] * 4, crs=4548)
    mapping = FieldMapping(columns={"YDLX": "land_use"}, values={"land_use": {"1": "100101", "2.0": "100102"}})
    out, problems = apply_mapping(frame, FIELDS, mapping, what="parcel")
    assert out["land_use"].tolist() == ["100101", "100102", 3, 4]
    kept = [p for p in problems if p.severity == "warning" and p.field == "land_use"]
    assert len(kept) == 1
    expected = "2 value(s) of `land_use` are not in the mapping's `values` table and were kept as they are: "
    expected += "3 (1), 4 (1)"
    assert expected in kept[0].message


def test_text_is_matched_as_text():
    """A land-bureau code keeps its leading zero: the text "0601" is not the number 601."""
    frame = gpd.GeoDataFrame({"DLBM": ["0601", "601"]}, geometry=[box(0, 0, 1, 1)] * 2, crs=4548)
    mapping = FieldMapping(columns={"DLBM": "land_use"}, values={"DLBM": {"0601": "100101"}})
    out, _ = apply_mapping(frame, FIELDS, mapping, what="parcel")
    assert out["land_use"].tolist() == ["100101", "601"]


def test_yaml_and_json_mapping_files_read_alike(tmp_path):
    data = yaml.safe_load(MAPPING_YAML)
    (tmp_path / "m.yaml").write_text(MAPPING_YAML, encoding="utf-8")
    (tmp_path / "m.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    from_yaml, found_yaml = load_mapping(tmp_path / "m.yaml")
    from_json, found_json = load_mapping(tmp_path / "m.json")
    assert not found_yaml and not found_json
    assert from_yaml == from_json
    assert from_yaml is not None and from_yaml.values["land_use"]["1"] == "100101"


def test_the_readme_example_is_a_mapping_file_that_imports(tmp_path, park):
    """The README's full example of a mapping file is one the planner reads, and imports the layer it describes."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```yaml\n# fields.yaml")
    text = readme[start + len("```yaml\n") : readme.index("```", start + 7)]
    path = tmp_path / "fields.yaml"
    path.write_text(text, encoding="utf-8")
    mapping, found = load_mapping(path)
    assert not found, [str(p) for p in found]
    assert mapping is not None
    assert set(mapping.columns.values()) >= {"parcel_id", "land_use", "status"}
    assert mapping.values and mapping.defaults
    geoms = [box(X0 + i * 150, NORTH, X0 + i * 150 + 100, NORTH + 100) for i in range(4)]
    layer = gpd.GeoDataFrame(
        {
            "DKBH": ["K1", "K2", "K3", "K4"],
            "DKMC": ["一号", "二号", "三号", "四号"],
            "YDLX": [1, 2, 3, 9],
            "GYZT": ["储备地", "已出让", "规划", None],
            "SRF": [None, "甲公司", None, None],
            "ZDMJ": [15.0, 15.0, 15.0, 15.0],
        },
        geometry=geoms,
        crs=4548,
    )
    shp = tmp_path / "宗地.shp"
    pyogrio.write_dataframe(layer, shp, encoding="GBK")
    report = import_file(park, shp, mapping=path, accept_fixes=True)
    assert not report.left_out, [str(p) for p in report.left_out]
    parcels = open_store(park).read_parcels().set_index("parcel_id").loc[["K1", "K2", "K3", "K4"]]
    assert parcels["land_use"].tolist() == ["100101", "100102", "100103", "1101"]
    assert parcels["status"].tolist() == ["reserved", "supplied", "planned", "planned"]
    assert parcels["holder"].tolist()[1] == "甲公司"


def test_import_help_points_to_the_mapping_format():
    from tests.test_cli import run

    out = run("import", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.replace("│", " ").split())
    assert "Field-mapping files" in text and "--mapping" in text and "--strict" in text
