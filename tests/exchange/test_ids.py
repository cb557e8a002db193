"""Ids: --make-ids PREFIX where a file has none, -1, -2 for line ids a file repeats; without it the refusal names it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from planner.errors import ValidationError
from planner.exchange import import_file
from planner.store import open_store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def square(lon: float) -> list:
    lat, d = 32.245, 0.001
    return [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]]


def geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture
def park(store):
    from tests.conftest import grid_parcels

    store.write_parcels(grid_parcels(3), by="t")
    return Path(store.uri)


def test_a_file_without_ids_gets_prefix_and_order(tmp_path, park):
    features = [
        {"type": "Feature", "properties": {"status": "reserved"}, "geometry": {"type": "Polygon", "coordinates": sq}}
        for sq in (square(118.270), square(118.275), square(118.280))
    ]
    path = geojson(tmp_path / "noid.geojson", features)
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path)
    assert "make ids with --make-ids PREFIX" in str(refused.value)
    assert digest(park) == before
    report = import_file(park, path, make_ids="DK")
    assert sorted(open_store(park).read_parcels()["parcel_id"]) == ["DK001", "DK002", "DK003", "P000", "P001", "P002"]
    assert any("3 feature(s) without `parcel_id` given ids DK001" in p.message for p in report.problems)
    # the same file again: the same ids, so an update, not new parcels
    again = import_file(park, path, make_ids="DK")
    assert again.layers["parcels"].inserted == 0


def test_repeated_line_ids_are_numbered_in_file_order(tmp_path, park):
    """An OSM way split in two by clipping keeps its id on both pieces: osm-w7-1 and osm-w7-2."""
    lines = [
        ("osm-w7", [[118.270, 32.240], [118.275, 32.240]]),
        ("osm-w8", [[118.270, 32.241], [118.280, 32.241]]),
        ("osm-w7", [[118.276, 32.240], [118.280, 32.240]]),
    ]
    features = [
        {
            "type": "Feature",
            "properties": {"line_id": lid, "road_class": "branch"},
            "geometry": {"type": "LineString", "coordinates": coords},
        }
        for lid, coords in lines
    ]
    path = geojson(tmp_path / "clipped.geojson", features)
    before = digest(park)
    with pytest.raises(ValidationError) as refused:
        import_file(park, path, layer="roads")
    assert "2 lines share 1 id(s) ('osm-w7'" in str(refused.value)
    assert "give --make-ids PREFIX to number them -1, -2" in str(refused.value)
    assert digest(park) == before
    report = import_file(park, path, layer="roads", make_ids="R")
    stored = open_store(park).read_layer("road_lines").set_index("line_id")
    assert sorted(stored.index) == ["osm-w7-1", "osm-w7-2", "osm-w8"]
    assert stored.loc["osm-w7-1"].geometry.length < stored.loc["osm-w8"].geometry.length
    assert any("'osm-w7' ×2 → osm-w7-1 … osm-w7-2" in p.message for p in report.problems)
