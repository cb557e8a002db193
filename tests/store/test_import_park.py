"""``planner import`` into a park of either backend, by its path or its ``postgresql://`` URL.

A dry run goes through the real write inside the real park's transaction and rolls it back
(never an empty stand-in), so a file that overlaps stored parcels is refused by a dry run
exactly as by the import itself, and the park is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyproj
import pytest

from planner.errors import ValidationError
from planner.exchange import import_file
from tests.conftest import X0, Y0, grid_parcels
from tests.store.conftest import snapshot

PLANNER = shutil.which("planner", path=str(Path(sys.executable).parent)) or "planner"
ROOT = Path(__file__).resolve().parents[2]


def _file(tmp_path: Path, pid: str, x0: float) -> Path:
    """One parcel 100 m square at ``x0`` (EPSG:4548), written as RFC 7946 GeoJSON (lon/lat)."""
    to_lonlat = pyproj.Transformer.from_crs(4548, 4326, always_xy=True)
    ring = [
        to_lonlat.transform(x, y) for x, y in ((x0, Y0), (x0 + 100, Y0), (x0 + 100, Y0 + 100), (x0, Y0 + 100), (x0, Y0))
    ]
    feature = {"type": "Feature", "properties": {"parcel_id": pid, "status": "reserved", "land_use": "100101"},
               "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}}  # fmt: skip
    path = tmp_path / f"{pid}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


def _park(store) -> str:
    return str(store.path) if hasattr(store, "path") else store.location


def test_a_dry_run_checks_against_the_stored_parcels_and_writes_nothing(store, tmp_path):
    store.write_parcels(grid_parcels(3), by="setup")  # P000…P002 from X0, 110 m apart
    before = snapshot(store)
    overlapping = _file(tmp_path, "NEW1", X0 + 150)  # over P001 (X0+110 … X0+210)
    with pytest.raises(ValidationError) as info:
        import_file(_park(store), overlapping, dry_run=True)
    assert any("P001" in p.message and "overlap" in p.message for p in info.value.errors), info.value
    clear = import_file(_park(store), _file(tmp_path, "NEW2", X0 + 1000), dry_run=True)
    assert clear.dry_run and clear.layers["parcels"].inserted == 1
    assert snapshot(store) == before
    done = import_file(_park(store), _file(tmp_path, "NEW2", X0 + 1000))
    assert done.layers["parcels"].inserted == 1 and len(store.read_parcels()) == 4


def test_the_cli_imports_into_a_postgis_url_and_never_shows_its_password(store, tmp_path):
    if hasattr(store, "path"):
        pytest.skip("a GeoPackage has no password")
    store.write_parcels(grid_parcels(3), by="setup")
    parts = urlsplit(store.location)
    secret = "Pw-never-shown-42"  # the test server trusts local connections: any password opens it
    netloc = f"{parts.username or 'postgres'}:{secret}@{parts.hostname}:{parts.port or 5432}"
    url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "PLANNER_LANG": "en"}

    def run(*args: str) -> tuple[int, str]:
        done = subprocess.run([PLANNER, "import", url, *args], capture_output=True, text=True, env=env, timeout=300)
        return done.returncode, " ".join((done.stdout + done.stderr).split())

    code, text = run(str(_file(tmp_path, "NEW1", X0 + 150)), "--dry-run")
    assert code == 1 and "P001" in text and secret not in text, text
    code, text = run(str(_file(tmp_path, "NEW2", X0 + 1000)))
    assert code == 0 and secret not in text and "postgresql://postgres:***@" in text, text
    assert "NEW2" in set(store.read_parcels()["parcel_id"])
