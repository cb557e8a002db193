"""QGIS default styles kept in a GeoPackage: the ``layer_styles`` table, so that QGIS opens the parcels styled.

QGIS looks for a table ``layer_styles`` (``f_table_catalog``, ``f_table_schema``, ``f_table_name``,
``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``, ``useAsDefault``, ``description``,
``owner``, ``ui``, ``update_time``) in the GeoPackage it opens, and loads the row marked
``useAsDefault`` for the layer; the others are offered under *Styles*. The parcels get two:

- ``七通一平（熟地/生地）`` (the default): 熟地 green; 生地 by the number of 七通一平 items it
  lacks (1, 2, 3–4, 5 or more), as the web map's readiness legend (:mod:`planner.maps.style`);
  未计算 grey;
- ``闲置土地``: each idle rule in its colour (as the web map), land not idle pale.

Both label each parcel with its 宗地代码 (from 1:10,000 in) and give every column its Chinese
title as an alias (QGIS 3.22 with GDAL 3.6 does not read the titles of ``gpkg_data_columns``).
The bureau's Shapefile, which holds labels (熟地/生地, 通燃气、通热力, 超期未动工), gets the
default style as a ``.qml`` beside it, which QGIS loads as a file layer's default style.
The QML is QGIS's style XML, written with :mod:`xml.etree.ElementTree`.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from planner.fields import Field
from planner.vocab import IDLE_RULES

__all__ = [
    "IDLE_COLORS",
    "PARCEL_STYLE_COLUMNS",
    "READINESS_CLASSES",
    "LayerStyle",
    "parcel_styles",
    "park_parcel_styles",
    "readiness_expression",
    "write_layer_styles",
]

READINESS_CLASSES: tuple[tuple[str, str, str], ...] = (
    ("熟地", "26,150,65", "ready"),
    ("生地：缺 1 项", "166,217,106", "raw: 1 item missing"),
    ("生地：缺 2 项", "253,174,97", "raw: 2 items missing"),
    ("生地：缺 3–4 项", "244,109,67", "raw: 3–4 items missing"),
    ("生地：缺 5 项及以上", "215,48,39", "raw: 5 or more missing"),
    ("未计算", "189,189,189", "not computed"),
)
"""The readiness categories: value (and label), fill colour (R,G,B), English; as the web map's legend."""

IDLE_COLORS: Mapping[str, str] = {"not_started": "123,50,148", "halted": "194,165,207"}
"""Fill colour of each idle rule (R,G,B), as the web map's."""
_NOT_IDLE = "240,240,240"
_LABEL_MAX_SCALE = 10000


@dataclass(frozen=True)
class LayerStyle:
    """One row of ``layer_styles``."""

    name: str
    qml: str
    description: str
    default: bool


def _fill(parent: ET.Element, name: str, rgb: str, alpha: str = "255") -> None:
    symbol = ET.SubElement(parent, "symbol", type="fill", name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1", "locked": "0", "pass": "0"})
    options = ET.SubElement(layer, "Option", type="Map")
    props = (
        ("color", f"{rgb},{alpha}"),
        ("outline_color", "35,35,35,255"),
        ("outline_style", "solid"),
        ("outline_width", "0.2"),
        ("outline_width_unit", "MM"),
        ("style", "solid"),
    )
    for key, value in props:
        ET.SubElement(options, "Option", name=key, type="QString", value=value)
    for key, value in props:  # as QGIS up to 3.26 also writes them, for the readers that look for <prop>
        ET.SubElement(layer, "prop", k=key, v=value)


def _categorized(root: ET.Element, attr: str, classes: Sequence[tuple[str, str, str]]) -> None:
    """A categorized renderer on ``attr`` (a field or an expression): (value, label, colour) per class."""
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type="categorizedSymbol",
        attr=attr,
        symbollevels="0",
        enableorderby="0",
        forceraster="0",
        referencescale="-1",
    )
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for k, (value, text, rgb) in enumerate(classes):
        ET.SubElement(categories, "category", symbol=str(k), value=value, label=text, render="true", type="string")
        _fill(symbols, str(k), rgb)


def _labels(root: ET.Element, field: str) -> None:
    """Each parcel labelled with ``field`` (its 宗地代码), from 1:10,000 in."""
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    style = ET.SubElement(
        settings,
        "text-style",
        fieldName=field,
        isExpression="0",
        fontFamily="Noto Sans CJK SC",
        fontSize="8",
        fontSizeUnit="Point",
        textColor="0,0,0,255",
        textOpacity="1",
        namedStyle="Regular",
        multilineAlign="3",
    )
    buffer = ET.SubElement(style, "text-buffer")
    buffer.attrib.update(bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM", bufferColor="255,255,255,255")
    ET.SubElement(settings, "placement", placement="1", placementFlags="10", offsetType="0", priority="5")
    ET.SubElement(
        settings,
        "rendering",
        scaleVisibility="1",
        scaleMin="1",
        scaleMax=str(_LABEL_MAX_SCALE),
        obstacle="1",
        displayAll="0",
        upsidedownLabels="0",
    )


def _aliases(root: ET.Element, aliases: Mapping[str, str]) -> None:
    element = ET.SubElement(root, "aliases")
    for k, (field, name) in enumerate(aliases.items()):
        ET.SubElement(element, "alias", field=field, index=str(k), name=name)


def _qml(attr: str, classes: Sequence[tuple[str, str, str]], label_field: str, aliases: Mapping[str, str]) -> str:
    root = ET.Element(
        "qgis", version="3.22.0-Białowieża", styleCategories="Symbology|Labeling|Fields", labelsEnabled="1"
    )
    _categorized(root, attr, classes)
    _labels(root, label_field)
    _aliases(root, aliases)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def readiness_expression(ready: str, missing: str, *, labelled: bool = False) -> str:
    """The QGIS expression giving each parcel its readiness category (a value of :data:`READINESS_CLASSES`).

    ``labelled``: the file holds 熟地/生地 and the items' names joined by ``、`` (the bureau's Shapefile),
    not a boolean and codes joined by commas.
    """
    r = _quoted(ready)
    ready_test = f"{r} = '熟地'" if labelled else r
    separator = "、" if labelled else ","
    n = f"coalesce(array_length(string_to_array({_quoted(missing)}, '{separator}')), 0)"
    names = [value for value, _, _ in READINESS_CLASSES]
    return (
        f"CASE WHEN {r} IS NULL THEN '{names[5]}' WHEN {ready_test} THEN '{names[0]}' WHEN {n} <= 1 THEN '{names[1]}' "
        f"WHEN {n} = 2 THEN '{names[2]}' WHEN {n} <= 4 THEN '{names[3]}' ELSE '{names[4]}' END"
    )


def parcel_styles(
    columns: Mapping[str, str], aliases: Mapping[str, str], *, labelled: bool = False
) -> list[LayerStyle]:
    """The parcels' styles; ``columns`` maps ``ready``, ``missing``, ``idle_rule`` and ``parcel_id`` to the file's
    column names, ``aliases`` each column of the file to its Chinese title; ``labelled``: the file holds labels,
    not codes (see :func:`readiness_expression`)."""
    readiness = [(value, f"{value} / {en}", rgb) for value, rgb, en in READINESS_CLASSES]
    idle = [
        (zh if labelled else code, f"{zh} / {code}", IDLE_COLORS.get(code, "123,50,148"))
        for code, (zh, _) in IDLE_RULES.items()
    ]
    idle.append(("", "非闲置 / not idle", _NOT_IDLE))
    label = columns["parcel_id"]
    ready_attr = readiness_expression(columns["ready"], columns["missing"], labelled=labelled)
    return [
        LayerStyle(
            "七通一平（熟地/生地）",
            _qml(ready_attr, readiness, label, aliases),
            "熟地/生地，生地按所缺七通一平项数着色；标注宗地代码 / ready land, raw land by items missing; labels",
            True,
        ),
        LayerStyle(
            "闲置土地",
            _qml(columns["idle_rule"], idle, label, aliases),
            "闲置土地按认定情形着色；标注宗地代码 / idle land by rule; labels",
            False,
        ),
    ]


PARCEL_STYLE_COLUMNS = ("ready", "missing", "idle_rule", "parcel_id")
"""The columns the parcels' styles read, under the park's own names (and codes)."""


def park_parcel_styles(fields: Iterable[Field]) -> list[LayerStyle]:
    """The parcels' styles for a file with the park's own column names and codes (the park's GeoPackage, the
    GeoJSON export), each of ``fields`` (but the geometry) titled in Chinese."""
    aliases = {f.name: f.label("zh") for f in fields if f.kind != "geometry"}
    return parcel_styles({c: c for c in PARCEL_STYLE_COLUMNS}, aliases)


def write_layer_styles(
    conn: sqlite3.Connection, table: str, geometry_column: str, styles: Sequence[LayerStyle]
) -> None:
    """Create ``layer_styles`` where missing (registered as an attributes table) and put ``styles`` of ``table``
    in it, replacing the earlier ones of the same names. The caller holds the transaction."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS layer_styles (
            id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, f_table_catalog TEXT(256), f_table_schema TEXT(256),
            f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
            useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
            update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""
    )
    conn.execute(
        "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?,?,?,?)",
        ("layer_styles", "attributes", "layer_styles", "QGIS 图层样式 / QGIS layer styles"),
    )
    for style in styles:
        conn.execute("DELETE FROM layer_styles WHERE f_table_name = ? AND styleName = ?", (table, style.name))
        if style.default:
            conn.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (table,))
        conn.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName, "
            "styleQML, styleSLD, useAsDefault, description, owner, ui) VALUES ('', '', ?, ?, ?, ?, '', ?, ?, ?, NULL)",
            (table, geometry_column, style.name, style.qml, int(style.default), style.description, "planner"),
        )
