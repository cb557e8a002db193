"""The tables of a park in its PostgreSQL schema: the statements that make them, and the configuration rows.

See :mod:`planner.store.postgis` for the layout: the feature tables (``fid`` identity key, the
feature id ``UNIQUE NOT NULL``, ``geom`` typed with the park SRID and GiST-indexed), the
``park_config``, ``park_metadata`` and ``history`` tables, and their Chinese and English
labels as comments.
"""

from __future__ import annotations

import json

import psycopg
from psycopg import sql

from planner.config import ParkConfig
from planner.fields import Field
from planner.store.layers import LAYERS, LayerSpec

__all__ = [
    "ADDED_LAYERS",
    "GEOM",
    "add_columns_ddl",
    "add_layers_ddl",
    "missing_columns",
    "schema_ddl",
    "write_config_rows",
]

_SQL_TYPES = {
    "str": "text",
    "float": "double precision",
    "int": "bigint",
    "bool": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}
GEOMETRY_TYPES = {"MULTIPOLYGON": "MultiPolygon", "LINESTRING": "LineString", "POINT": "Point"}
GEOM = "geom"
"""The geometry column of every feature table."""


def schema_ddl(schema: str, srid: int) -> sql.Composed:
    """One script: the park schema, its tables, indexes and column comments."""
    s = sql.Identifier(schema)
    parts: list[sql.Composable] = [sql.SQL("CREATE SCHEMA {}").format(s)]
    for spec in LAYERS.values():
        parts += _feature_table_ddl(s, spec, srid)
    # ready land (熟地) by size, the planner's first question: counted and found through the ready rows alone
    parts.append(sql.SQL("CREATE INDEX parcels_ready_area_mu ON {}.parcels (area_mu) WHERE ready").format(s))
    parts += [
        sql.SQL(
            "CREATE TABLE {}.park_config (key text PRIMARY KEY, value jsonb NOT NULL);"
            "CREATE TABLE {}.park_metadata (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "key text UNIQUE NOT NULL, value jsonb NOT NULL);"
            "CREATE TABLE {}.history (history_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "changed_at timestamptz NOT NULL, changed_by text NOT NULL, layer text NOT NULL, feature_id text, "
            "action text NOT NULL, version integer, changes json NOT NULL);"
            "CREATE INDEX ON {}.history (layer, feature_id)"
        ).format(s, s, s, s)
    ]
    for table, title, text in (
        ("park_config", "园区配置", "park configuration (JSON values)"),
        ("history", "编辑历史", "edit history: who changed what, when"),
        ("park_metadata", "园区元数据", "park metadata: dates and notes of analyses (JSON values)"),
    ):
        parts.append(
            sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(s, sql.Identifier(table), sql.Literal(f"{title} / {text}"))
        )
    return sql.SQL(";\n").join(parts)


def _feature_table_ddl(s: sql.Identifier, spec: LayerSpec, srid: int) -> list[sql.Composable]:
    """A feature table: typed columns, the GiST index of its geometry, its title and column comments."""
    t = sql.Identifier(spec.name)
    columns = [
        sql.SQL("{} {}{}").format(
            sql.Identifier(f.name),
            sql.SQL(_SQL_TYPES[f.kind]),
            sql.SQL(" UNIQUE NOT NULL" if f.name == spec.id_column else ""),
        )
        for f in spec.fields
        if f.kind != "geometry"
    ]
    geometry = sql.SQL("geometry({}, {})").format(sql.SQL(GEOMETRY_TYPES[spec.geometry_type]), sql.Literal(srid))
    out: list[sql.Composable] = [
        sql.SQL("CREATE TABLE {}.{} (fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {} {}, {})").format(
            s, t, sql.Identifier(GEOM), geometry, sql.SQL(", ").join(columns)
        ),
        sql.SQL("CREATE INDEX {} ON {}.{} USING gist ({})").format(
            sql.Identifier(f"{spec.name}_{GEOM}_gist"), s, t, sql.Identifier(GEOM)
        ),
        sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(s, t, sql.Literal(f"{spec.title_zh} / {spec.title_en}")),
    ]
    out += [_comment(s, t, f) for f in spec.fields]
    return out


def _comment(s: sql.Identifier, t: sql.Identifier, f: Field) -> sql.Composable:
    """The column's labels, description and allowed codes as its comment."""
    name = GEOM if f.kind == "geometry" else f.name
    text = f"{f.label('zh')} / {f.label('en')}" + (f". {f.description}" if f.description else "")
    if f.allowed:
        text += "; allowed: " + ", ".join(f"{code} ({zh})" for code, (zh, _) in f.allowed.items())
    elif f.kind in ("int", "float") and f.max_value is not None:  # a stated range (a line's level: -10 to 10)
        text += f"; allowed: {f.allowed_range()}"
    return sql.SQL("COMMENT ON COLUMN {}.{}.{} IS {}").format(s, t, sql.Identifier(name), sql.Literal(text))


ADDED_LAYERS = ("boundary",)
"""Layers added after PostGIS parks were first made: a park without them is upgraded when opened."""


def add_layers_ddl(schema: str, names: list[str], srid: int) -> sql.Composed:
    """One script adding the feature tables ``names`` (empty) to the park in ``schema``."""
    s = sql.Identifier(schema)
    parts: list[sql.Composable] = []
    for name in names:
        parts += _feature_table_ddl(s, LAYERS[name], srid)
    return sql.SQL(";\n").join(parts)


def missing_columns(conn: psycopg.Connection, schema: str) -> list[tuple[LayerSpec, Field]]:
    """Columns of the layers that a park made by an earlier version lacks."""
    rows = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s", (schema,)
    ).fetchall()
    have = {(table, column) for table, column in rows}
    tables = {table for table, _ in have}
    return [
        (spec, f)
        for spec in LAYERS.values()
        if spec.name in tables
        for f in spec.fields
        if f.kind != "geometry" and (spec.name, f.name) not in have
    ]


def add_columns_ddl(schema: str, columns: list[tuple[LayerSpec, Field]]) -> sql.Composed:
    """One script adding ``columns`` (only ever added, so an earlier version still reads the tables) with comments."""
    s = sql.Identifier(schema)
    parts: list[sql.Composable] = []
    for spec, f in columns:
        t = sql.Identifier(spec.name)
        parts.append(
            sql.SQL("ALTER TABLE {}.{} ADD COLUMN IF NOT EXISTS {} {}").format(
                s, t, sql.Identifier(f.name), sql.SQL(_SQL_TYPES[f.kind])
            )
        )
        parts.append(_comment(s, t, f))
    return sql.SQL(";\n").join(parts)


def write_config_rows(conn: psycopg.Connection, schema: str, config: ParkConfig) -> None:
    """Replace the rows of the park's ``park_config`` table (one per key, JSON values)."""
    table = sql.SQL("{}.park_config").format(sql.Identifier(schema))
    conn.execute(sql.SQL("DELETE FROM {}").format(table))
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s::jsonb)").format(table),
            [(k, json.dumps(v, ensure_ascii=False, allow_nan=False)) for k, v in config.to_dict().items()],
        )
