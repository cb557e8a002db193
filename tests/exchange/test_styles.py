"""QGIS default styles in the park GeoPackage and its export: ``layer_styles`` rows with well-formed QML."""

from __future__ import annotations

import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from contextlib import closing

import pyogrio
import pytest

from planner.exchange import export_parcels
from planner.maps.style import IDLE_COLORS, MISSING_COLORS, READY_COLOR, UNKNOWN_COLOR
from planner.store.gpkg_format import register_functions
from planner.vocab import IDLE_RULES
from tests.conftest import grid_parcels, require_tool

COLUMNS = (
    "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName", "styleQML", "styleSLD",
    "useAsDefault", "description", "owner", "ui", "update_time",
)  # fmt: skip


def _rgb(hex_colour: str) -> str:
    return ",".join(str(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))


def _styles(path, table):
    with closing(sqlite3.connect(path)) as conn:
        have = [r[1] for r in conn.execute("PRAGMA table_info(layer_styles)")]
        rows = conn.execute(
            "SELECT styleName, styleQML, useAsDefault, f_geometry_column FROM layer_styles WHERE f_table_name = ?",
            (table,),
        ).fetchall()
    assert set(COLUMNS) <= set(have)
    return {name: (ET.fromstring(qml), bool(default), geom) for name, qml, default, geom in rows}


def _fill_colours(root: ET.Element) -> dict[str, str]:
    """Each category's value and the fill colour of its symbol (R,G,B)."""
    symbols = {
        s.get("name"): s.find("layer/Option/Option[@name='color']").get("value").rsplit(",", 1)[0]
        for s in root.iter("symbol")
    }
    return {c.get("value"): symbols[c.get("symbol")] for c in root.iter("category")}


def _check(styles: dict, *, ready: str, missing: str, idle_rule: str, parcel_id: str) -> None:
    assert sum(default for _, default, _ in styles.values()) == 1
    readiness, default, geom = styles["七通一平（熟地/生地）"]
    assert default and geom == "geom"
    attr = readiness.find("renderer-v2").get("attr")
    assert readiness.find("renderer-v2").get("type") == "categorizedSymbol"
    assert f'"{ready}"' in attr and f'"{missing}"' in attr
    colours = _fill_colours(readiness)
    assert colours == {
        "熟地": _rgb(READY_COLOR),
        "生地：缺 1 项": _rgb(MISSING_COLORS[0]),
        "生地：缺 2 项": _rgb(MISSING_COLORS[1]),
        "生地：缺 3–4 项": _rgb(MISSING_COLORS[2]),
        "生地：缺 5 项及以上": _rgb(MISSING_COLORS[3]),
        "未计算": _rgb(UNKNOWN_COLOR),
    }  # the web map's readiness legend
    idle, default, _ = styles["闲置土地"]
    assert not default and idle.find("renderer-v2").get("attr") == idle_rule
    colours = _fill_colours(idle)
    assert set(colours) == {*IDLE_RULES, ""}
    assert all(colours[rule] == _rgb(IDLE_COLORS[rule]) for rule in IDLE_RULES)
    for root in (readiness, idle):
        assert root.get("labelsEnabled") == "1"
        assert root.find("labeling/settings/text-style").get("fieldName") == parcel_id
        assert root.find("labeling/settings/text-style/text-buffer").get("bufferDraw") == "1"
        for layer in root.iter("layer"):  # each fill's colour as an Option and as a prop, as QGIS 3.22 writes it
            option = layer.find("Option/Option[@name='color']").get("value")
            assert layer.find("prop[@k='color']").get("v") == option


def test_the_park_store_opens_styled(store):
    store.write_parcels(grid_parcels(2), by="t")
    styles = _styles(store.path, "parcels")
    _check(styles, ready="ready", missing="missing", idle_rule="idle_rule", parcel_id="parcel_id")
    readiness = styles["七通一平（熟地/生地）"][0]
    aliases = {a.get("field"): a.get("name") for a in readiness.iter("alias")}
    assert aliases["area_mu"] == "宗地面积（亩）" and aliases["ready"] == "熟地"  # titles QGIS 3.22 shows


def test_the_geopackage_export_opens_styled(store, tmp_path):
    store.write_parcels(grid_parcels(2), by="t")
    out = tmp_path / "out.gpkg"
    export_parcels(store, "gpkg", out)
    _check(_styles(out, "宗地"), ready="熟地", missing="缺项", idle_rule="闲置情形", parcel_id="宗地代码")


@pytest.mark.parametrize("which", ["store", "export"])
def test_gdal_lists_layer_styles_as_a_table_without_a_warning(store, tmp_path, which):
    store.write_parcels(grid_parcels(2), by="t")
    path = store.path
    if which == "export":
        path = tmp_path / "out.gpkg"
        export_parcels(store, "gpkg", path)
    out = subprocess.run([require_tool("ogrinfo"), "-so", str(path)], capture_output=True, text=True, check=True)
    assert "layer_styles (None)" in out.stdout
    assert "warning" not in out.stderr.lower(), out.stderr


def test_the_bureau_shapefile_has_its_default_style_beside_it(store, tmp_path):
    parcels = grid_parcels(2)
    store.write_parcels(parcels, by="t")
    with closing(sqlite3.connect(store.path)) as conn:  # as readiness writes them: one ready, one lacking two items
        register_functions(conn)  # the R-tree triggers call them
        conn.execute("UPDATE parcels SET ready = 1, missing = NULL WHERE parcel_id = 'P000'")
        conn.execute("UPDATE parcels SET ready = 0, missing = 'gas,heat' WHERE parcel_id = 'P001'")
        conn.commit()
    out = tmp_path / "bureau" / "宗地.shp"
    export_parcels(store, "shp", out)
    root = ET.fromstring(out.with_suffix(".qml").read_text(encoding="utf-8"))
    attr = root.find("renderer-v2").get("attr")
    assert "\"熟地\" = '熟地'" in attr and "string_to_array(\"缺项\", '、')" in attr  # the labels the file holds
    assert root.find("labeling/settings/text-style").get("fieldName") == "宗地代码"
    assert {a.get("field"): a.get("name") for a in root.iter("alias")}["宗地面积亩"] == "宗地面积（亩）"
    back = pyogrio.read_dataframe(out, encoding="GB18030").set_index("宗地代码")
    assert back.loc["P000", "熟地"] == "熟地" and back.loc["P001", "熟地"] == "生地"
    assert back.loc["P001", "缺项"].split("、") == ["通燃气", "通热力"]  # 2 items: the category 生地：缺 2 项
    codes = tmp_path / "codes" / "宗地.shp"
    export_parcels(store, "shp", codes, labels="codes")
    assert not codes.with_suffix(".qml").exists()  # the style reads labels; a file of codes gets none


def test_the_geojson_export_s_style_is_the_park_s_default_for_the_columns_it_holds(store):
    """One function makes both (``park_parcel_styles``): the same renderer and labels; the titles of the columns the
    export holds, each as the park's GeoPackage titles it."""
    from planner.exchange.export import export_columns, geojson_style

    store.write_parcels(grid_parcels(2), by="t")
    park = _styles(store.path, "parcels")["七通一平（熟地/生地）"][0]
    export = ET.fromstring(geojson_style())

    def titles(root):
        return {a.get("field"): a.get("name") for a in root.iter("alias")}

    assert titles(export) == {c: titles(park)[c] for c in export_columns()}
    assert len(titles(park)) > len(titles(export))  # the park's own columns (versions, stamps) are not exported
    for root in (park, export):
        root.remove(root.find("aliases"))
    assert ET.tostring(export) == ET.tostring(park)
