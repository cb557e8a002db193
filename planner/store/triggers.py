"""Triggers that version an edit made by any other client: QGIS, ``ogr2ogr``, plain SQL.

The planner writes ``version``, ``updated_at``, ``updated_by`` and the ``history`` rows of
its own edits itself (:mod:`planner.store.changes`). An edit from any other client goes
through the triggers made here, on every feature table of a park, for ``INSERT``,
``UPDATE`` and ``DELETE``: the row gets its next version (1 when inserted), the time, and
who wrote it (``'external'`` in a GeoPackage, the database user in PostGIS), and the
history a row with the old and new values, in the same transaction as the edit. The newest
history id is the park's change stamp, so a running server re-reads the row before its next
answer and a result computed before the edit (readiness, idle land) is known to be stale.

How the two coexist, never counting an edit twice: **the planner raises a flag inside its
own write transactions, and the triggers do nothing while it is up.**

- GeoPackage: the flag is a row of the table ``planner_writer``, inserted after
  ``BEGIN IMMEDIATE`` and deleted before ``COMMIT``. SQLite has one writer at a time and no
  other connection sees an uncommitted row, so only the planner's own statements see it
  (a rollback or a crash takes it away with the rest). The triggers use only SQL that every
  SQLite client has (``json_*``, ``hex``, ``strftime``; no function the planner registers),
  since QGIS and GDAL fire them. Geometries go into the history as the hex of their
  GeoPackage blob (plain SQLite has no WKT). An ``UPDATE`` that changes no column but the
  bookkeeping ones is not an edit (nor are the triggers' own updates of the bookkeeping,
  whatever ``recursive_triggers`` says).
- PostGIS: the flag is the setting ``planner.writing``, set with ``SET LOCAL`` (so for the
  transaction only). An outside statement takes the park's advisory write lock, the one the
  planner's writers take, in a statement trigger before it locks any row (as the planner's
  writers take it before theirs: no deadlock between the two), so writers of a park still go one
  at a time and the history ids come in commit order. The row trigger takes it again (a no-op
  once held), so a table whose statement trigger a client dropped is still versioned in order.

A client that sets the flag itself bypasses the triggers; that is its choice. Parks made
before the triggers get them in their next write transaction (:func:`install_gpkg`,
:func:`install_pg`).
"""

from __future__ import annotations

import sqlite3

import psycopg
from psycopg import sql

from planner.store.layers import LAYERS, LayerSpec

__all__ = ["PG_FLAG", "TRIGGER_VERSION", "gpkg_triggers_sql", "install_gpkg", "install_pg", "pg_triggers_sql"]

TRIGGER_VERSION = 2
"""Part of every trigger's name: a park whose triggers are of another version gets them made again.

2: the parcels' ``<item>_network_m`` columns (a GeoPackage trigger names every column it versions).
"""

GPKG_FLAG = "planner_writer"
PG_FLAG = "planner.writing"
_BOOKKEEPING = ("version", "updated_at", "updated_by")
_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
_PREFIX = f"planner_v{TRIGGER_VERSION}_"


def _data_columns(spec: LayerSpec) -> list[str]:
    return [c for c in spec.columns if c not in _BOOKKEEPING]


def _union(parts: list[str]) -> str:
    return " UNION ALL ".join(parts)


def gpkg_triggers_sql(spec: LayerSpec, geom: str = "geom") -> list[str]:
    """The ``INSERT``, ``UPDATE`` and ``DELETE`` triggers of one GeoPackage feature table."""
    t, key = f'"{spec.name}"', f'"{spec.id_column}"'
    cols = [f'"{c}"' for c in _data_columns(spec)]
    idle = f"NOT EXISTS (SELECT 1 FROM {GPKG_FLAG})"
    g = f'"{geom}"'
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in [*cols, g])
    diff = _union(
        [f"SELECT '{c[1:-1]}' AS k, json_array(OLD.{c}, NEW.{c}) AS v WHERE OLD.{c} IS NOT NEW.{c}" for c in cols]
        + [f"SELECT 'geometry', json_array(hex(OLD.{g}), hex(NEW.{g})) WHERE OLD.{g} IS NOT NEW.{g}"]
    )

    def values(row: str, extra: list[str]) -> str:
        return _union(
            [f"SELECT '{c[1:-1]}' AS k, json_quote({row}.{c}) AS v WHERE {row}.{c} IS NOT NULL" for c in cols]
            + extra
            + [f"SELECT 'geometry', json_quote(hex({row}.{g})) WHERE {row}.{g} IS NOT NULL"]
        )

    history = "INSERT INTO history (changed_at, changed_by, layer, feature_id, action, version, changes) SELECT"
    stamp = f"UPDATE gpkg_contents SET last_change = {_NOW} WHERE table_name IN ('{spec.name}', 'history');"
    bump = f"UPDATE {t} SET version = {{v}}, updated_at = {_NOW}, updated_by = 'external' WHERE fid = NEW.fid;"
    name = f'"{_PREFIX}{spec.name}'
    return [
        f"""CREATE TRIGGER {name}_insert" AFTER INSERT ON {t} WHEN {idle}
        BEGIN {bump.format(v="1")}
        {history} {_NOW}, 'external', '{spec.name}', NEW.{key}, 'insert', 1,
          coalesce(json_group_object(k, json(v)), '{{}}') FROM ({values("NEW", [])});
        {stamp} END""",
        f"""CREATE TRIGGER {name}_update" AFTER UPDATE ON {t} WHEN {idle} AND ({changed})
        BEGIN {bump.format(v="coalesce(OLD.version, 0) + 1")}
        {history} {_NOW}, 'external', '{spec.name}', NEW.{key}, 'update', coalesce(OLD.version, 0) + 1,
          coalesce(json_group_object(k, json(v)), '{{}}') FROM ({diff});
        {stamp} END""",
        f"""CREATE TRIGGER {name}_delete" AFTER DELETE ON {t} WHEN {idle}
        BEGIN
        {history} {_NOW}, 'external', '{spec.name}', OLD.{key}, 'delete', OLD.version,
          coalesce(json_group_object(k, json(v)), '{{}}')
          FROM ({values("OLD", ["SELECT 'version', json_quote(OLD.version) WHERE OLD.version IS NOT NULL"])});
        {stamp} END""",
    ]


def install_gpkg(conn: sqlite3.Connection, layers: list[str] | None = None) -> bool:
    """Make the flag table and the triggers of ``layers`` (all) inside the open transaction, if they are not there.

    Returns whether anything was made. Triggers of another :data:`TRIGGER_VERSION` are dropped first.
    """
    names = layers if layers is not None else list(LAYERS)
    have = {
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'planner_v%'")
    }
    want = {f"{_PREFIX}{n}_{op}" for n in names for op in ("insert", "update", "delete")}
    flag = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (GPKG_FLAG,)).fetchone()
    if flag and want <= have:
        return False
    conn.execute(f"CREATE TABLE IF NOT EXISTS {GPKG_FLAG} (id INTEGER PRIMARY KEY)")
    for old in have - want:
        conn.execute(f'DROP TRIGGER "{old}"')
    for n in names:
        for statement in gpkg_triggers_sql(LAYERS[n]):
            if statement.split('"')[1] not in have:
                conn.execute(statement)
    return True


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.planner_external_edit() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    old_j jsonb; new_j jsonb; diff jsonb; fid text; v integer;
    skip constant text[] := ARRAY['fid', 'geom', 'geom_3857', 'missing_count', 'box_3857', 'version',
                                  'updated_at', 'updated_by'];
BEGIN
    IF coalesce(current_setting({flag}, true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP <> 'INSERT' THEN old_j := to_jsonb(OLD) - skip; END IF;
    IF TG_OP <> 'DELETE' THEN new_j := to_jsonb(NEW) - skip; END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)) INTO diff
          FROM jsonb_each(new_j) n JOIN jsonb_each(old_j) o ON o.key = n.key WHERE o.value IS DISTINCT FROM n.value;
        IF ST_AsEWKB(OLD.geom) IS DISTINCT FROM ST_AsEWKB(NEW.geom) THEN
            diff := coalesce(diff, '{{}}'::jsonb)
                || jsonb_build_object('geometry', jsonb_build_array(ST_AsText(OLD.geom, 3), ST_AsText(NEW.geom, 3)));
        END IF;
        IF diff IS NULL THEN RETURN NEW; END IF;  -- the bookkeeping alone: not an edit
        v := coalesce(OLD.version, 0) + 1;
    ELSIF TG_OP = 'INSERT' THEN
        diff := jsonb_strip_nulls(new_j || jsonb_build_object('geometry', ST_AsText(NEW.geom, 3)));
        v := 1;
    ELSE
        diff := jsonb_strip_nulls(
            old_j || jsonb_build_object('geometry', ST_AsText(OLD.geom, 3), 'version', OLD.version));
        v := OLD.version;
    END IF;
    PERFORM pg_advisory_xact_lock({lock_class}, hashtext(TG_TABLE_SCHEMA));
    fid := coalesce(new_j, old_j) ->> TG_ARGV[0];
    EXECUTE format('INSERT INTO %I.history (changed_at, changed_by, layer, feature_id, action, version, changes) '
                   'VALUES (now(), current_user, %L, $1, %L, $2, $3::json)',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME, lower(TG_OP))
        USING fid, v, diff::text;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    NEW.version := v;
    NEW.updated_at := now();
    NEW.updated_by := current_user;
    RETURN NEW;
END
$fn$"""


_PG_LOCK_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.planner_external_lock() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF coalesce(current_setting({flag}, true), '') <> 'on' THEN
        PERFORM pg_advisory_xact_lock({lock_class}, hashtext(TG_TABLE_SCHEMA));
    END IF;
    RETURN NULL;
END
$fn$"""
"""An outside statement takes the park's lock before it locks any row. Taken by the row trigger alone, after the
row's lock, it made a deadlock with a planner write holding the park's lock and then updating the same row (seen in
``tests/api/test_concurrent_edits.py``: PostgreSQL aborted the outside edit)."""


def pg_triggers_sql(schema: str, lock_class: int) -> sql.Composed:
    """The trigger functions of a park's schema and their two triggers on every feature table, the row trigger
    that versions an edit and the statement trigger that takes the park's lock first (replacing older ones).

    Triggers of an earlier :data:`TRIGGER_VERSION` are dropped, so that an edit is never versioned twice.
    """
    s = sql.Identifier(schema)
    parts: list[sql.Composable] = [
        sql.SQL(text).format(schema=s, flag=sql.Literal(PG_FLAG), lock_class=sql.Literal(int(lock_class)))
        for text in (_PG_FUNCTION, _PG_LOCK_FUNCTION)
    ]
    name, lock = sql.Identifier(f"{_PREFIX}external_edit"), sql.Identifier(f"{_PREFIX}external_lock")
    earlier = [sql.Identifier(f"planner_v{v}_external_edit") for v in range(1, TRIGGER_VERSION)]
    for spec in LAYERS.values():
        t = sql.Identifier(spec.name)
        parts += [sql.SQL("DROP TRIGGER IF EXISTS {} ON {}.{}").format(old, s, t) for old in earlier]
        parts.append(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}.{}").format(name, s, t))
        parts.append(
            sql.SQL(
                "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OR DELETE ON {}.{} FOR EACH ROW "
                "EXECUTE FUNCTION {}.planner_external_edit({})"
            ).format(name, s, t, s, sql.Literal(spec.id_column))
        )
        parts.append(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}.{}").format(lock, s, t))
        parts.append(
            sql.SQL(
                "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OR DELETE ON {}.{} FOR EACH STATEMENT "
                "EXECUTE FUNCTION {}.planner_external_lock()"
            ).format(lock, s, t, s)
        )
    return sql.SQL(";\n").join(parts)


def install_pg(conn: psycopg.Connection, schema: str, lock_class: int) -> bool:
    """Make the triggers of the park in ``schema`` inside the open transaction, if any feature table lacks them."""
    row = conn.execute(
        "SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND g.tgname IN (%s, %s)",
        (schema, f"{_PREFIX}external_edit", f"{_PREFIX}external_lock"),
    ).fetchone()
    count = row[0] if row else 0
    if count >= 2 * len(LAYERS):
        return False
    conn.execute(pg_triggers_sql(schema, lock_class))
    return True
