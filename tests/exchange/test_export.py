"""Exports never harm a park: not onto a park store, never a half file; filters on analyses that never ran refused."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

from planner.errors import StaleResultError, StoreError
from planner.exchange import export, export_parcels
from planner.store import open_store
from tests.conftest import grid_parcels
from tests.test_cli import run


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def park(store) -> Path:
    store.write_parcels(grid_parcels(3), by="t")
    return Path(store.uri)


def test_exporting_onto_the_park_itself_is_refused(park):
    before = digest(park)
    store = open_store(park)
    with pytest.raises(
        StoreError, match=re.escape("is the park's own store park.gpkg; exporting onto it would destroy the park")
    ):
        export_parcels(store, "gpkg", park)
    with pytest.raises(StoreError, match="own store"):  # the same file by another spelling
        export_parcels(store, "gpkg", park.parent / "." / park.name)
    assert digest(park) == before
    assert len(open_store(park).read_parcels()) == 3


def test_exporting_onto_another_park_store_is_refused(tmp_path, park):
    other = tmp_path / "other" / "park2.gpkg"
    other.parent.mkdir()
    shutil.copy(park, other)
    before = digest(other)
    with pytest.raises(StoreError, match="is a park store; exporting onto it would destroy that park"):
        export_parcels(open_store(park), "gpkg", other)
    assert digest(other) == before


def test_the_cli_refuses_to_export_onto_the_park(park):
    before = digest(park)
    out = run("export", str(park), "--to", "gpkg", "--out", str(park), "--lang", "en")
    assert out.returncode == 1
    assert "would destroy the park" in " ".join(out.stderr.replace("│", " ").split())
    assert digest(park) == before


@pytest.mark.parametrize("fmt", ["txt", "gpkg", "shp"])
def test_a_failed_export_leaves_the_old_file_and_no_half_file(tmp_path, park, monkeypatch, fmt):
    out = tmp_path / "out" / f"parcels.{fmt}"
    export_parcels(open_store(park), fmt, out)
    files = sorted(out.parent.iterdir())
    old = {p.name: digest(p) for p in files}

    def broken(frame, path, *args, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(export, "write_txt", broken)
    monkeypatch.setattr(export.pyogrio, "write_dataframe", broken)
    monkeypatch.setattr(export, "write_geopackage", broken)
    monkeypatch.setattr(export, "write_shapefile", broken)
    with pytest.raises(OSError, match="disk full"):
        export_parcels(open_store(park), fmt, out)
    assert sorted(out.parent.iterdir()) == files  # no temporary folder left behind
    assert {p.name: digest(p) for p in out.parent.iterdir()} == old


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"ready": True}, "readiness (熟地/生地) was never computed for this park"),
        ({"ready": False}, "run `planner readiness` (readiness not computed)"),
        ({"idle": True}, "idle land (闲置土地) was never computed for this park"),
        ({"idle": False}, "run `planner idle` (idle not computed)"),
    ],
)
def test_ready_and_idle_filters_need_the_analysis(tmp_path, park, filters, message):
    with pytest.raises(StaleResultError, match=re.escape(message)):
        export_parcels(open_store(park), "geojson", tmp_path / "x.geojson", **filters)
    assert not (tmp_path / "x.geojson").exists()


def test_ready_and_idle_filters_work_once_computed(tmp_path, demo_park):
    store = open_store(demo_park.path)
    assert {"readiness_at", "idle_as_of"} <= set(store.metadata())
    ready = export_parcels(store, "geojson", tmp_path / "ready.geojson", ready=True)
    idle = export_parcels(store, "geojson", tmp_path / "idle.geojson", idle=True)
    parcels = store.read_parcels()
    assert ready.parcels == int(parcels["ready"].fillna(False).sum())
    assert idle.parcels == int(parcels["idle_rule"].notna().sum())
