"""A line layer's ``level`` read from GeoJSON (by name, by its Chinese label, through a mapping file), checked, kept,
and given back in the network's GeoJSON."""

from __future__ import annotations

import json

import pandas as pd
import pyproj

from planner.api.geojson import feature_collection
from planner.exchange import import_file
from planner.store import create_park, open_store
from tests.conftest import GK, X0, Y0


def _write(path, column, values):
    to_wgs = pyproj.Transformer.from_crs(GK, 4326, always_xy=True)
    features = []
    for k, value in enumerate(values):
        a, b = to_wgs.transform(X0, Y0 + 100 * k), to_wgs.transform(X0 + 500, Y0 + 100 * k)
        properties = {"line_id": f"R{k}", column: value}
        features.append(
            {"type": "Feature", "properties": properties, "geometry": {"type": "LineString", "coordinates": [a, b]}}
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def _refused(report):
    return [p for p in report.problems if p.severity in ("error", "left out")]


def _levels(park):
    lines = open_store(park).read_layer("road_lines").sort_values("line_id")
    return dict(
        zip(lines["line_id"], [None if v is pd.NA else int(v) for v in lines["level"].astype("Int64")], strict=True)
    )


def test_a_level_is_read_by_its_name_its_chinese_label_or_a_mapping(tmp_path, config):
    park = tmp_path / "park.gpkg"
    create_park(park, config).close()
    report = import_file(park, _write(tmp_path / "a.geojson", "level", [1, -2, None]), layer="road_lines")
    assert not _refused(report)
    assert _levels(park) == {"R0": 1, "R1": -2, "R2": None}
    report = import_file(
        park, _write(tmp_path / "b.geojson", "竖向层次", [0, 3, -1]), layer="road_lines", mode="upsert"
    )
    assert not _refused(report)
    assert _levels(park) == {"R0": 0, "R1": 3, "R2": -1}
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  CENG: level\n", encoding="utf-8")
    report = import_file(
        park, _write(tmp_path / "c.geojson", "CENG", [-1, 0, 2]), layer="road_lines", mapping=mapping, mode="upsert"
    )
    assert not _refused(report)
    assert _levels(park) == {"R0": -1, "R1": 0, "R2": 2}
    # the network's GeoJSON (the API's /infra/road) carries it
    body = feature_collection(open_store(park).read_layer("road_lines"))
    assert sorted(f["properties"]["level"] for f in body["features"]) == [-1, 0, 2]


def test_a_level_out_of_range_or_not_whole_is_refused_naming_the_line(tmp_path, config):
    park = tmp_path / "park.gpkg"
    create_park(park, config).close()
    report = import_file(park, _write(tmp_path / "a.geojson", "level", [1.5, 40, -1]), layer="road_lines")
    messages = {(p.parcel_id, p.field): p.message for p in _refused(report)}
    assert ("R0", "level") in messages and "whole number" in messages[("R0", "level")]
    assert ("R1", "level") in messages and "-10 to 10" in messages[("R1", "level")]
    assert ("R2", "level") not in messages
