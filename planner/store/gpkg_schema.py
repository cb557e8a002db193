"""What GDAL and QGIS read about a GeoPackage's columns: titles, field domains (the schema extension).

The GeoPackage schema extension (OGC 12-128r18, §F.9) holds, per column, a human-readable
name, title and description (``gpkg_data_columns``) and a constraint
(``gpkg_data_column_constraints``): an ``enum`` of allowed codes, each with its description, or
a ``range`` of numbers. GDAL (≥ 3.3) reads the constraints as *field domains* (``ogrinfo``
lists them: ``domain name=parcels_status_values``; ``ogrinfo -fielddomain NAME`` shows the codes),
and GDAL ≥ 3.7 reads ``name`` as the field's alternative name, which QGIS shows as its alias.
pyogrio has no API to write field domains, and the GDAL Python bindings are not a dependency,
so the park store and the GeoPackage export write these rows with :mod:`sqlite3`, as the
standard lays them out.

:func:`column_docs` says what each column gets:

- ``name`` and ``title``: the Chinese label with its unit (``宗地面积（亩）``); ``description``:
  the column's schema name, English label and description (``area_mu: area (mu). …``);
- an ``enum`` for a column with allowed codes (供地状态, 处置阶段 …), for the land-use code
  (用地用海分类, or GB/T 21010 in an export that writes those codes), for a yes/no column
  (each 七通一平 item: ``1`` 是, ``0`` 否; 熟地: ``1`` 熟地, ``0`` 生地);
- a ``range`` for a number with a unit: from its least allowed value (0 when none is set) to its
  plausible bound (:attr:`planner.fields.Field.most`).

Written as GeoPackage 1.3 (:data:`GPKG_VERSION`): GDAL 3.6 (Debian 12, the QGIS 3.22 LTR it
ships) warns that a 1.4 file "may only be partially supported".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from planner.codes import gb21010_codes, land_use_codes
from planner.fields import Field
from planner.vocab import CHECKLIST_ITEMS

__all__ = ["GPKG_VERSION", "ColumnDoc", "column_docs", "ensure_schema_tables", "write_column_docs"]

GPKG_VERSION = "1.3"
"""The GeoPackage version the exports are written as (GDAL's ``VERSION`` creation option)."""

_SCHEMA_EXTENSION = "http://www.geopackage.org/spec/#extension_schema"
_READY = {"1": "熟地 / ready", "0": "生地 / raw"}
_YES_NO = {"1": "是 / yes", "0": "否 / no"}


@dataclass(frozen=True)
class ColumnDoc:
    """One column as the schema extension describes it."""

    field: str
    column: str
    name: str
    title: str
    description: str
    enum: Mapping[str, str] | None = None
    range: tuple[float, float] | None = None


def _land_use_enum(system: str) -> dict[str, str]:
    if system == "gb21010":
        table = gb21010_codes()
        return {str(code): f"{row['gb21010_name']}（GB/T 21010-2017）" for code, row in table.iterrows()}
    table = land_use_codes()
    return {str(code): f"{row['name_zh']} / {row['name_en']}" for code, row in table.iterrows()}


def _enum_of(f: Field, land_use: str) -> dict[str, str] | None:
    """The codes a column allows, each with its description; None for a column without codes."""
    if f.allowed:
        return {code: f"{zh} / {en}" for code, (zh, en) in f.allowed.items()}
    if f.name == "land_use":
        return _land_use_enum(land_use)
    if f.kind == "bool":
        item = f.name.removeprefix("declared_")
        if f.name == "ready":
            return dict(_READY)
        if item in CHECKLIST_ITEMS:
            zh, en = CHECKLIST_ITEMS[item]
            return {"1": f"{zh}：是 / {en}: yes", "0": f"{zh}：否 / {en}: no"}
        return dict(_YES_NO)
    return None


def column_docs(
    fields: Iterable[Field], *, columns: Mapping[str, str] | None = None, land_use: str = "2023"
) -> list[ColumnDoc]:
    """What the schema extension says of each of ``fields`` (not the geometry).

    ``columns`` maps a field to the column it is written as (an export's Chinese labels), by
    default its name; a field it leaves out is skipped. ``land_use``: ``2023`` (用地用海分类) or
    ``gb21010``, the codes the ``land_use`` column holds.
    """
    docs = []
    for f in fields:
        if f.kind == "geometry" or (columns is not None and f.name not in columns):
            continue
        title = f.label("zh")
        text = f"{f.name}: {f.label('en')}. {f.description}".strip()
        span = None
        if f.kind in ("float", "int") and (f.unit is not None or f.max_value is not None) and f.most is not None:
            span = (f.min_value if f.min_value is not None else 0.0, f.most)
        column = columns[f.name] if columns is not None else f.name
        docs.append(ColumnDoc(f.name, column, title, title, text, _enum_of(f, land_use), span))
    return docs


def ensure_schema_tables(conn: sqlite3.Connection) -> None:
    """Create the schema extension's two tables, and register them, where a file lacks them."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS gpkg_data_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
            mime_type TEXT, constraint_name TEXT,
            CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
            CONSTRAINT gdc_tn UNIQUE (table_name, name))"""
    )
    conn.execute(
        """CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
            constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC,
            min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
            CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"""
    )
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        conn.execute(
            "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
            "VALUES (?, NULL, 'gpkg_schema', ?, 'read-write')",
            (table, _SCHEMA_EXTENSION),
        )


def write_column_docs(conn: sqlite3.Connection, table: str, docs: Iterable[ColumnDoc], *, prefix: str) -> None:
    """Write ``docs`` of ``table``'s columns; constraints are named ``{prefix}_{field}_values`` or ``_range``.

    A column's earlier title and constraint are replaced. The caller holds the transaction.
    """
    for doc in docs:
        constraint = None
        if doc.enum:
            constraint = f"{prefix}_{doc.field}_values"
            conn.execute("DELETE FROM gpkg_data_column_constraints WHERE constraint_name = ?", (constraint,))
            conn.executemany(
                "INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, value, description) "
                "VALUES (?, 'enum', ?, ?)",
                [(constraint, code, text) for code, text in doc.enum.items()],
            )
        elif doc.range:
            constraint = f"{prefix}_{doc.field}_range"
            conn.execute("DELETE FROM gpkg_data_column_constraints WHERE constraint_name = ?", (constraint,))
            conn.execute(
                "INSERT INTO gpkg_data_column_constraints (constraint_name, constraint_type, value, min, "
                "min_is_inclusive, max, max_is_inclusive, description) VALUES (?, 'range', NULL, ?, 1, ?, 1, ?)",
                (constraint, doc.range[0], doc.range[1], f"{doc.title}: {doc.range[0]:g}–{doc.range[1]:g}"),
            )
        conn.execute(
            "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description, "
            "constraint_name) VALUES (?,?,?,?,?,?)",
            (table, doc.column, doc.name, doc.title, doc.description, constraint),
        )
