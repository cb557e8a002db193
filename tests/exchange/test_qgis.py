"""QGIS itself opens the park and each export styled, with Chinese titles, without a warning.

The probe (``qgis_probe.py``) runs in the system's Python with Debian's ``python3-qgis`` (QGIS 3.22, the
LTR Debian 12 ships, with its GDAL 3.6); the tests compare what QGIS shows with the files as pyogrio reads
them: every feature, and each category of the default style holding the parcels counted here from the
``ready`` and ``missing`` columns by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import pyogrio
import pytest

from planner.exchange import export_parcels
from planner.store import open_store

PROBE = Path(__file__).with_name("qgis_probe.py")
SYSTEM_PYTHON = "/usr/bin/python3"
READY, ONE, TWO, THREE_FOUR, FIVE, UNKNOWN = (
    "熟地", "生地：缺 1 项", "生地：缺 2 项", "生地：缺 3–4 项", "生地：缺 5 项及以上", "未计算",
)  # fmt: skip


@cache
def _has_pyqgis() -> bool:
    if not Path(SYSTEM_PYTHON).exists() or Path(SYSTEM_PYTHON).resolve() == Path(sys.executable).resolve():
        return False
    done = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, check=False)
    return done.returncode == 0


def _qgis(tmp_path: Path, *uris: str) -> dict:
    """What QGIS sees of each layer (see ``qgis_probe.py``)."""
    if not _has_pyqgis():
        if os.environ.get("CI") == "true":
            pytest.fail("PyQGIS (Debian's python3-qgis) is not installed; .ci/run installs it")
        pytest.skip("PyQGIS (Debian's python3-qgis) is not installed")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [SYSTEM_PYTHON, str(PROBE), *uris], capture_output=True, text=True, env=env, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _readiness_class(ready, missing, separator: str) -> str:
    """The category a parcel belongs in, worked out here: 熟地, or 生地 by how many items it lacks."""
    if ready is None:
        return UNKNOWN
    if ready is True or ready == "熟地":
        return READY
    n = len(missing.split(separator)) if missing else 0
    return ONE if n <= 1 else TWO if n == 2 else THREE_FOUR if n <= 4 else FIVE


def _expected(path: Path, layer: str | None, ready: str, missing: str, separator: str, bools: bool) -> Counter:
    frame = pyogrio.read_dataframe(path, layer=layer, columns=[ready, missing], read_geometry=False)
    if bools:
        values = [None if v is None or v != v else bool(v) for v in frame[ready].astype(object)]
    else:
        values = [None if v is None or v != v else v for v in frame[ready].astype(object)]
    missing_values = [m if isinstance(m, str) else None for m in frame[missing]]
    counts = Counter(_readiness_class(r, m, separator) for r, m in zip(values, missing_values, strict=True))
    return Counter({k: counts.get(k, 0) for k in (READY, ONE, TWO, THREE_FOUR, FIVE, UNKNOWN)})


def _check_default(seen: dict, expected: Counter) -> None:
    assert seen["valid"]
    default = seen["default"]
    assert default["type"] == "categorizedSymbol" and "eval_error" not in default
    assert default["counts"] == dict(expected) and default["unmatched"] == 0
    assert seen["labels"]


@pytest.fixture(scope="module")
def exports(demo_park, tmp_path_factory):
    out = tmp_path_factory.mktemp("qgis")
    store = open_store(demo_park.path)
    files = {"gpkg": out / "宗地.gpkg", "shp": out / "shp" / "宗地.shp", "geojson": out / "宗地.geojson"}
    for fmt, path in files.items():
        export_parcels(store, fmt, path)
    return files


def test_qgis_opens_the_park_styled_with_chinese_titles(demo_park, tmp_path):
    layers = pyogrio.list_layers(demo_park.path)
    spatial = [str(name) for name, geometry in layers if geometry]
    seen = _qgis(tmp_path, *(f"{demo_park.path}|layername={name}" for name in spatial))
    assert seen["qgis"].startswith("3.22") and seen["warnings"] == []
    for name in spatial:
        layer = seen["layers"][f"{demo_park.path}|layername={name}"]
        assert layer["valid"], name
        assert layer["count"] == pyogrio.read_info(demo_park.path, layer=name)["features"], name
        assert layer["crs"] == "EPSG:4548", name
    parcels = seen["layers"][f"{demo_park.path}|layername=parcels"]
    expected = _expected(demo_park.path, "parcels", "ready", "missing", ",", bools=True)
    assert expected[READY] > 0 and expected[ONE] > 0 and expected[TWO] > 0  # the demo park has each kind
    _check_default(parcels, expected)
    assert parcels["aliases"]["area_mu"] == "宗地面积（亩）" and parcels["aliases"]["ready"] == "熟地"
    stored = parcels["stored"]
    assert set(stored) == {"七通一平（熟地/生地）", "闲置土地"}  # both styles, each applies
    assert stored["七通一平（熟地/生地）"]["counts"] == dict(expected)
    idle = pyogrio.read_dataframe(demo_park.path, layer="parcels", columns=["idle_rule"], read_geometry=False)
    by_rule = Counter(r if isinstance(r, str) else "" for r in idle["idle_rule"])
    assert stored["闲置土地"]["applied"] and stored["闲置土地"]["unmatched"] == 0
    assert {k: v for k, v in stored["闲置土地"]["counts"].items() if v} == dict(by_rule)
    assert by_rule["not_started"] > 0 and by_rule["halted"] > 0


def test_qgis_opens_each_export_styled(exports, tmp_path):
    gpkg, shp, geojson = exports["gpkg"], exports["shp"], exports["geojson"]
    uris = {"gpkg": f"{gpkg}|layername=宗地", "shp": str(shp), "geojson": str(geojson)}
    seen = _qgis(tmp_path, *uris.values())
    assert seen["warnings"] == []
    layers = {fmt: seen["layers"][uri] for fmt, uri in uris.items()}
    for fmt, path in exports.items():
        assert layers[fmt]["count"] == pyogrio.read_info(path, layer=0)["features"], fmt
    assert layers["gpkg"]["crs"] == layers["shp"]["crs"] == "EPSG:4490" and layers["geojson"]["crs"] == "EPSG:4326"
    _check_default(layers["gpkg"], _expected(gpkg, "宗地", "熟地", "缺项", ",", bools=True))
    assert set(layers["gpkg"]["stored"]) == {"七通一平（熟地/生地）", "闲置土地"}
    _check_default(layers["shp"], _expected(shp, None, "熟地", "缺项", "、", bools=False))  # labels: 熟地/生地
    assert layers["shp"]["aliases"]["宗地面积亩"] == "宗地面积（亩）"
    _check_default(layers["geojson"], _expected(geojson, None, "ready", "missing", ",", bools=True))
    assert layers["geojson"]["aliases"]["area_mu"] == "宗地面积（亩）"
    assert layers["geojson"]["aliases"]["parcel_id"] == "宗地代码"
