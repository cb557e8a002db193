"""The PostGIS park store: many parks in one PostgreSQL database, shared by many users.

Location: ``postgresql://user[:password]@host[:port]/database?park=<park_id>``
(``park`` may be left out when the database holds one park). Passwords are
never shown: :attr:`PostGISStore.uri` and every message carry the location
with the password replaced by ``***``.

Layout
------
One PostgreSQL schema per park, listed in the registry table ``planner.parks``
(park id → schema). A schema per park, not a ``park_id`` column in shared
tables, because each park is stored in its own Gauss–Krüger zone: a geometry
column has one SRID (``geometry(MultiPolygon, 4548)``), so parks in different
zones cannot share a typed column, its GiST index or its SRID check. A schema
also drops, dumps (``pg_dump -n``) and grants as one unit, and every query of
one park stays inside small tables. ``GET /parcels?park=`` looks the schema up
in ``planner.parks``; a query across parks is a ``UNION ALL`` over schemas,
each transformed to a common CRS.

In each park schema: the feature tables ``parcels``, ``road_lines`` …
``heat_lines`` and ``sources`` (``fid`` identity primary key, the feature id
``UNIQUE NOT NULL``, ``geom`` typed with the park SRID and GiST-indexed, the
``version`` column of optimistic concurrency; ``parcels`` also a partial index of
``area_mu`` over the ready parcels, for "ready land of at least N 亩"), and ``park_config``,
``park_metadata`` (JSONB values) and ``history`` (who, when, what, with the
old and new values as JSON). Columns carry their Chinese and English labels as
comments, which QGIS and psql show.

Transactions
------------
Every store call is one transaction on the store's connection. A write first
takes the park's advisory lock (``pg_advisory_xact_lock``), so writers of one
park go one at a time: the version check, the overlap check with stored
parcels and the new ids of one write all see what the writer before it
committed. Updates are also conditional (``WHERE version = <the version read>``)
and their row count is checked, so a writer that bypasses the planner cannot
be overwritten either. Any error rolls the whole transaction back.
Rows go in with ``COPY`` (inserts directly; updates through a temporary table
and one ``UPDATE … FROM``), geometries as EWKB (WKB with the SRID), and come out
with ``ST_AsBinary``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from planner.config import ParkConfig
from planner.errors import Problem, StoreError, StoreLockedError, ValidationError, VersionConflictError
from planner.store.base import LAYERS, LayerSpec, ParkStore, Session, layer_frame

__all__ = ["PostGISStore", "create_park", "drop_park", "is_postgis_uri", "list_parks", "redact"]

_SQL_TYPES = {
    "str": "text",
    "float": "double precision",
    "int": "bigint",
    "bool": "boolean",
    "date": "date",
    "datetime": "timestamptz",
}
_GEOMETRY_TYPES = {"MULTIPOLYGON": "MultiPolygon", "LINESTRING": "LineString", "POINT": "Point"}
_GEOM = "geom"
_REGISTRY = "planner"
_LOCK_CLASS = 0x504C  # advisory-lock class of the planner ("PL"); the key is the hash of the schema
_LOCK_TIMEOUT_S = 10.0
_COPY_BATCH_ROWS = 20_000
_SCHEMES = ("postgresql://", "postgres://")


def is_postgis_uri(uri: str | os.PathLike[str]) -> bool:
    """Whether ``uri`` names a PostgreSQL database (``postgresql://…``) rather than a file."""
    return str(uri).startswith(_SCHEMES)


def redact(uri: str) -> str:
    """``uri`` with its password (in the user part or a ``password=`` parameter) replaced by ``***``."""
    parts = urlsplit(uri)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), parts.fragment))


def _split_uri(uri: str) -> tuple[str, str | None]:
    """The libpq connection URL and the ``park`` parameter of a store location."""
    if not is_postgis_uri(uri):
        raise StoreError(f"{redact(uri)!r} is not a PostgreSQL location; it starts with postgresql://")
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    parks = [v for k, v in query if k == "park"]
    if len(parks) > 1:
        raise StoreError(f"{redact(uri)!r} names more than one park; give one `park=` parameter")
    conninfo = urlunsplit(
        (parts.scheme, parts.netloc, parts.path, urlencode([(k, v) for k, v in query if k != "park"]), "")
    )
    return conninfo, (parks[0] if parks else None)


def _with_park(uri: str, park_id: str) -> str:
    conninfo, _ = _split_uri(uri)
    parts = urlsplit(conninfo)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("park", park_id)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def _message(exc: psycopg.Error) -> str:
    """The server's (or libpq's) own words, without the statement or connection string."""
    diag = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    lines = (primary or str(exc)).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _connect(conninfo: str, shown: str) -> psycopg.Connection:
    try:
        conn = psycopg.connect(conninfo, autocommit=True, application_name="planner", connect_timeout=10)
    except psycopg.Error as exc:
        text = _message(exc)
        password = urlsplit(conninfo).password
        if password:
            text = text.replace(password, "***")
        raise StoreError(f"cannot connect to {shown}: {text}") from None
    conn.execute("SET TIME ZONE 'UTC'")
    return conn


def _require_postgis(conn: psycopg.Connection, shown: str) -> None:
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        return
    available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    hint = (
        "run `CREATE EXTENSION postgis` in it (needs the CREATE privilege on the database)"
        if available
        else "install PostGIS on the server (Debian: apt-get install postgresql-15-postgis-3), "
        "then run `CREATE EXTENSION postgis` in the database"
    )
    raise StoreError(f"the database {shown} has no PostGIS; {hint}")


def _registry_exists(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT to_regclass('planner.parks') IS NOT NULL").fetchone()[0]


def list_parks(uri: str) -> list[str]:
    """The park ids held in the database at ``uri``, in the order they were created."""
    conninfo, _ = _split_uri(uri)
    with _connect(conninfo, redact(uri)) as conn:
        if not _registry_exists(conn):
            return []
        return [r[0] for r in conn.execute("SELECT park_id FROM planner.parks ORDER BY created_at, park_id")]


def _schema_name(conn: psycopg.Connection, park_id: str) -> str:
    """``park_`` and the id in lower-case letters, digits and ``_`` (unique; short enough for PostgreSQL)."""
    slug = re.sub(r"[^a-z0-9]+", "_", park_id.lower()).strip("_")[:40] or "park"
    name, k = f"park_{slug}", 1
    while conn.execute(
        "SELECT 1 FROM pg_namespace WHERE nspname = %s UNION ALL SELECT 1 FROM planner.parks WHERE schema_name = %s",
        (name, name),
    ).fetchone():
        k += 1
        name = f"park_{slug}_{k}"
    return name


def create_park(uri: str, config: ParkConfig, *, overwrite: bool = False) -> PostGISStore:
    """Create a new park in the PostgreSQL database at ``uri``, with every layer empty.

    The schema, its tables and the registry row are made in one transaction: a
    failure leaves the database as it was. ``uri`` may carry ``?park=``; it must
    then be the configuration's ``park_id``.

    Raises
    ------
    StoreError
        If the database has no PostGIS, or the park exists and ``overwrite`` is false.
    """
    conninfo, park = _split_uri(uri)
    shown = redact(uri)
    if park is not None and park != config.park_id:
        raise StoreError(f"{shown} names park {park!r}, but the configuration is of park {config.park_id!r}")
    with _connect(conninfo, shown) as conn:
        _require_postgis(conn, shown)
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_CLASS,))
                conn.execute(
                    """CREATE SCHEMA IF NOT EXISTS planner;
                    CREATE TABLE IF NOT EXISTS planner.parks (
                        park_id text PRIMARY KEY, schema_name text UNIQUE NOT NULL, name text NOT NULL,
                        crs_epsg integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
                    COMMENT ON TABLE planner.parks IS '园区登记 / the parks of this database and their schemas'"""
                )
                row = conn.execute(
                    "SELECT schema_name FROM planner.parks WHERE park_id = %s", (config.park_id,)
                ).fetchone()
                if row and not overwrite:
                    raise StoreError(
                        f"park {config.park_id!r} already exists in {redact(conninfo)}; pass overwrite=True "
                        "(CLI: --overwrite) to replace it"
                    )
                if row:
                    _drop_schema(conn, config.park_id, row[0])
                schema = _schema_name(conn, config.park_id)
                conn.execute(_schema_ddl(schema, config.crs_epsg))
                conn.execute(
                    "INSERT INTO planner.parks (park_id, schema_name, name, crs_epsg) VALUES (%s, %s, %s, %s)",
                    (config.park_id, schema, config.name, config.crs_epsg),
                )
                _write_config_rows(conn, schema, config)
        except psycopg.Error as exc:
            raise StoreError(f"creating park {config.park_id!r} in {shown} failed: {_message(exc)}") from None
    return PostGISStore(_with_park(uri, config.park_id))


def drop_park(uri: str) -> None:
    """Delete the park named by ``uri`` (``?park=``): its schema with every table, and its registry row.

    Close the park's open stores first: their connections would wait on it.
    """
    conninfo, park = _split_uri(uri)
    if park is None:
        raise StoreError(f"{redact(uri)} names no park; add ?park=<park_id>")
    with _connect(conninfo, redact(uri)) as conn, conn.transaction():
        row = conn.execute("SELECT schema_name FROM planner.parks WHERE park_id = %s", (park,)).fetchone()
        if row is None:
            raise StoreError(f"no park {park!r} in {redact(conninfo)}")
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_CLASS,))
        _drop_schema(conn, park, row[0])


def _drop_schema(conn: psycopg.Connection, park_id: str, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    conn.execute("DELETE FROM planner.parks WHERE park_id = %s", (park_id,))


def _schema_ddl(schema: str, srid: int) -> sql.Composed:
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
    geometry = sql.SQL("geometry({}, {})").format(sql.SQL(_GEOMETRY_TYPES[spec.geometry_type]), sql.Literal(srid))
    out: list[sql.Composable] = [
        sql.SQL("CREATE TABLE {}.{} (fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, {} {}, {})").format(
            s, t, sql.Identifier(_GEOM), geometry, sql.SQL(", ").join(columns)
        ),
        sql.SQL("CREATE INDEX {} ON {}.{} USING gist ({})").format(
            sql.Identifier(f"{spec.name}_{_GEOM}_gist"), s, t, sql.Identifier(_GEOM)
        ),
        sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(s, t, sql.Literal(f"{spec.title_zh} / {spec.title_en}")),
    ]
    for f in spec.fields:
        name = _GEOM if f.kind == "geometry" else f.name
        text = f"{f.label('zh')} / {f.label('en')}" + (f". {f.description}" if f.description else "")
        if f.allowed:
            text += "; allowed: " + ", ".join(f"{code} ({zh})" for code, (zh, _) in f.allowed.items())
        out.append(sql.SQL("COMMENT ON COLUMN {}.{}.{} IS {}").format(s, t, sql.Identifier(name), sql.Literal(text)))
    return out


def _write_config_rows(conn: psycopg.Connection, schema: str, config: ParkConfig) -> None:
    table = sql.SQL("{}.park_config").format(sql.Identifier(schema))
    conn.execute(sql.SQL("DELETE FROM {}").format(table))
    with conn.cursor() as cur:
        cur.executemany(
            sql.SQL("INSERT INTO {} (key, value) VALUES (%s, %s::jsonb)").format(table),
            [(k, json.dumps(v, ensure_ascii=False, allow_nan=False)) for k, v in config.to_dict().items()],
        )


class PostGISStore(ParkStore):
    """A park kept in a schema of a PostgreSQL/PostGIS database; see the module notes.

    Parameters
    ----------
    uri
        ``postgresql://user[:password]@host[:port]/database[?park=<park_id>]``.
    folder
        Folder of the park's files that a database does not hold (the DEM named in
        the configuration), or ``None``.

    The store keeps one connection, opened on first use and used by one
    transaction at a time (calls from several threads wait for each other); open
    one store per worker for parallel work. :meth:`close` releases it.
    """

    def __init__(self, uri: str, *, folder: str | os.PathLike[str] | None = None) -> None:
        self._conninfo, park = _split_uri(str(uri))
        shown_db = redact(self._conninfo)
        self._folder = Path(folder) if folder is not None else None
        self._lock = threading.RLock()
        self._conn: psycopg.Connection | None = None
        conn = self._connection(shown_db)
        try:
            self._find_park(conn, park, shown_db)
            self._srs_id = self.config().crs_epsg
        except BaseException:
            self.close()
            raise

    def _find_park(self, conn: psycopg.Connection, park: str | None, shown_db: str) -> None:
        try:
            _require_postgis(conn, shown_db)
            parks = (
                conn.execute("SELECT park_id, schema_name FROM planner.parks ORDER BY created_at, park_id").fetchall()
                if _registry_exists(conn)
                else []
            )
            schemas = dict(parks)
            held = ", ".join(repr(p) for p in schemas) or "none"
            if park is None:
                if len(schemas) != 1:
                    raise StoreError(f"{shown_db} holds {len(schemas)} parks ({held}); name one with ?park=<park_id>")
                park = next(iter(schemas))
            if park not in schemas:
                raise StoreError(
                    f"no park {park!r} in {shown_db} (parks held: {held}); create one with create_park() or copy_park()"
                )
            self.park_id = park
            self.schema = schemas[park]
            self.uri = redact(_with_park(self._conninfo, park))
            found = {
                r[0]
                for r in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.schema,)
                )
            }
        except psycopg.Error as exc:
            raise StoreError(f"reading {shown_db} failed: {_message(exc)}") from None
        missing = sorted({"park_config", "park_metadata", "history", *LAYERS} - found)
        if missing:
            raise StoreError(f"park {park!r} in {shown_db} lacks the table(s) {', '.join(missing)}")

    def __repr__(self) -> str:
        return f"PostGISStore({self.uri!r})"

    @property
    def location(self) -> str:
        """The full location, password included, to open the park again; never print it (print :attr:`uri`)."""
        return _with_park(self._conninfo, self.park_id)

    @property
    def folder(self) -> Path | None:
        return self._folder

    def _connection(self, shown: str | None = None) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = _connect(self._conninfo, shown or getattr(self, "uri", redact(self._conninfo)))
        return self._conn

    def change_stamp(self) -> int:
        """As :meth:`ParkStore.change_stamp`, in one statement and one round trip (autocommit: its own snapshot).

        A server asks before every answer; a transaction around it would cost three more round trips.
        """
        query = sql.SQL("SELECT coalesce(max(history_id), 0) FROM {}.history").format(sql.Identifier(self.schema))
        with self._lock:
            try:
                return int(self._connection().execute(query).fetchone()[0])
            except psycopg.Error as exc:
                raise StoreError(f"reading {self.uri} failed ({_message(exc)})") from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Session]:
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction():
                    if write:
                        conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{_LOCK_TIMEOUT_S}s")))
                        conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.schema))
                    else:
                        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield _PgSession(conn, self.schema, getattr(self, "_srs_id", None))
            except psycopg.errors.LockNotAvailable:
                raise StoreLockedError(
                    f"park {self.park_id!r} in {self.uri} is locked by another writer; nothing was written"
                ) from None
            except psycopg.Error as exc:
                what = "writing" if write else "reading"
                tail = "; nothing was written" if write else ""
                raise StoreError(f"{what} {self.uri} failed ({_message(exc)}){tail}") from None


class _PgSession(Session):
    def __init__(self, conn: psycopg.Connection, schema: str, srid: int | None) -> None:
        self.conn = conn
        self.schema_name = schema
        self.schema = sql.Identifier(schema)
        self.srid = srid

    def _table(self, name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(self.schema, sql.Identifier(name))

    # reading
    def select(
        self,
        layer: str,
        *,
        ids: Sequence[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        spec = LAYERS[layer]
        query = sql.SQL("SELECT ST_AsBinary({g}), {cols} FROM {t}").format(
            g=sql.Identifier(_GEOM),
            cols=sql.SQL(", ").join(map(sql.Identifier, spec.columns)),
            t=self._table(layer),
        )
        where: list[sql.Composable] = []
        params: list[object] = []
        if bbox is not None:
            where.append(sql.SQL("{} && ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(sql.Identifier(_GEOM)))
            params += [*(float(v) for v in bbox), self.srid]
        if ids is not None:
            where.append(sql.SQL("{} = ANY(%s::text[])").format(sql.Identifier(spec.id_column)))
            params.append([str(i) for i in ids])
        if where:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
        query += sql.SQL(" ORDER BY fid")
        with self.conn.cursor(binary=True) as cur:
            rows = cur.execute(query, params).fetchall()
        crs = f"EPSG:{self.srid}"
        if not rows:
            return layer_frame(spec, None, None, crs)
        columns = list(zip(*rows, strict=True))
        geoms = shapely.from_wkb(np.array(columns[0], dtype=object))
        return layer_frame(spec, columns[1:], geoms, crs)

    def count(self, layer: str) -> int:
        return int(self.conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._table(layer))).fetchone()[0])

    def last_change(self) -> int:
        query = sql.SQL("SELECT coalesce(max(history_id), 0) FROM {}").format(self._table("history"))
        return int(self.conn.execute(query).fetchone()[0])

    def changes_since(self, history_id: int) -> pd.DataFrame:
        query = sql.SQL(
            "SELECT history_id, layer, feature_id, action FROM {} WHERE history_id > %s ORDER BY history_id"
        ).format(self._table("history"))
        rows = self.conn.execute(query, (history_id,)).fetchall()
        return pd.DataFrame(rows, columns=["history_id", "layer", "feature_id", "action"])

    # writing
    def _copy(self, table: sql.Composable, spec: LayerSpec, rows: gpd.GeoDataFrame) -> None:
        """``COPY`` the rows (geometry and every column of ``spec``) into ``table``, in batches."""
        names = sql.SQL(", ").join(map(sql.Identifier, [_GEOM, *spec.columns]))
        with self.conn.cursor() as cur, cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, names)) as copy:
            for start in range(0, len(rows), _COPY_BATCH_ROWS):
                copy.write(_copy_text(spec, rows.iloc[start : start + _COPY_BATCH_ROWS], self.srid))

    def insert(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        self._copy(self._table(layer), LAYERS[layer], rows)

    def update(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        """Replace stored rows, each only if it is still at the version before the new one."""
        spec = LAYERS[layer]
        key = sql.Identifier(spec.id_column)
        stage = sql.Identifier("_planner_stage")
        columns = [_GEOM, *spec.columns]
        self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(stage))
        self.conn.execute(
            sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                stage, sql.SQL(", ").join(map(sql.Identifier, columns)), self._table(layer)
            )
        )
        self._copy(stage, spec, rows)
        with self.conn.cursor() as cur:
            cur.execute(
                sql.SQL(
                    "UPDATE {t} AS t SET {sets} FROM {stage} AS s "
                    "WHERE t.{key} = s.{key} AND t.version IS NOT DISTINCT FROM s.version - 1 RETURNING t.{key}"
                ).format(
                    t=self._table(layer),
                    sets=sql.SQL(", ").join(
                        sql.SQL("{c} = s.{c}").format(c=sql.Identifier(c)) for c in columns if c != spec.id_column
                    ),
                    stage=stage,
                    key=key,
                )
            )
            done = {r[0] for r in cur.fetchall()}
        if len(done) < len(rows):
            stale = rows[~rows[spec.id_column].isin(done)]
            current = dict(
                self.conn.execute(
                    sql.SQL("SELECT {k}, version FROM {t} WHERE {k} = ANY(%s::text[])").format(
                        k=key, t=self._table(layer)
                    ),
                    ([str(i) for i in stale[spec.id_column]],),
                ).fetchall()
            )
            conflicts = [
                (str(fid), int(v) - 1, int(current[fid]) if current.get(fid) is not None else 0)
                for fid, v in zip(stale[spec.id_column], stale["version"], strict=True)
            ]
            first, *more = conflicts
            raise VersionConflictError(*first, more=more)
        self.conn.execute(sql.SQL("DROP TABLE {}").format(stage))

    def delete(self, layer: str, ids: Sequence[str]) -> None:
        spec = LAYERS[layer]
        self.conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = ANY(%s::text[])").format(
                self._table(layer), sql.Identifier(spec.id_column)
            ),
            ([str(i) for i in ids],),
        )

    def add_history(self, records: pd.DataFrame) -> None:
        kinds = {
            "changed_at": "datetime",
            "changed_by": "str",
            "layer": "str",
            "feature_id": "str",
            "action": "str",
            "version": "int",
            "changes": "str",
        }
        columns = [_text_column(records[c], kind) for c, kind in kinds.items()]
        query = sql.SQL("COPY {} ({}) FROM STDIN").format(
            self._table("history"), sql.SQL(", ").join(map(sql.Identifier, kinds))
        )
        with self.conn.cursor() as cur, cur.copy(query) as copy:
            copy.write(_lines(columns))

    def history(self, *, layer: str | None, feature_id: str | None, parse: bool = True) -> pd.DataFrame:
        changes = sql.SQL("changes" if parse else "changes::text")  # psycopg parses json values
        query = sql.SQL(
            "SELECT history_id, changed_at, changed_by, layer, feature_id, action, version, {} FROM {}"
        ).format(changes, self._table("history"))
        where, params = [], []
        if layer is not None:
            where.append(sql.SQL("layer = %s"))
            params.append(layer)
        if feature_id is not None:
            where.append(sql.SQL("feature_id = %s"))
            params.append(feature_id)
        if where:
            query += sql.SQL(" WHERE ") + sql.SQL(" AND ").join(where)
        names = ["history_id", "changed_at", "changed_by", "layer", "feature_id", "action", "version", "changes"]
        rows = self.conn.execute(query + sql.SQL(" ORDER BY history_id"), params).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=names)
        frame["history_id"] = frame["history_id"].astype("int64")
        frame["changed_at"] = pd.to_datetime(frame["changed_at"], utc=True)
        frame["version"] = frame["version"].astype("Int64")
        return frame

    def read_config(self) -> ParkConfig:
        rows = self.conn.execute(sql.SQL("SELECT key, value FROM {}").format(self._table("park_config"))).fetchall()
        return ParkConfig.from_dict(dict(rows))

    def write_config(self, config: ParkConfig) -> None:
        _write_config_rows(self.conn, self.schema_name, config)

    def read_metadata(self) -> dict[str, Any]:
        query = sql.SQL("SELECT key, value FROM {} ORDER BY id").format(self._table("park_metadata"))
        return dict(self.conn.execute(query).fetchall())

    def write_metadata(self, values: Mapping[str, Any]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {} (key, value) VALUES (%s, %s::jsonb) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ).format(self._table("park_metadata")),
                [(k, json.dumps(v, ensure_ascii=False, allow_nan=False)) for k, v in values.items()],
            )


_NULL = "\\N"


def _copy_text(spec: LayerSpec, rows: gpd.GeoDataFrame, srid: int | None) -> str:
    """Rows in the text format of ``COPY``: tab-separated, ``\\N`` for missing, geometry as hex EWKB."""
    if rows.empty:
        return ""
    geoms = rows.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)
    geom_text = np.full(len(geoms), _NULL, dtype=object)
    if present.any():
        with_srid = shapely.set_srid(geoms[present], srid or 0)
        geom_text[present] = shapely.to_wkb(with_srid, hex=True, include_srid=True, output_dimension=2)
    columns = [geom_text.tolist()]
    columns += [_text_column(rows[c], spec.by_name[c].kind) for c in spec.columns]
    _refuse_nul(spec, rows, columns[1:])
    return _lines(columns)


def _refuse_nul(spec: LayerSpec, rows: pd.DataFrame, columns: Sequence[list[str]]) -> None:
    """PostgreSQL text cannot hold the NUL character: name each feature and field that has one."""
    problems = []
    what = "parcel" if spec.name == "parcels" else "source" if spec.name == "sources" else "line"
    for name, values in zip(spec.columns, columns, strict=True):
        if spec.by_name[name].kind == "str" and "\x00" in "".join(values):
            problems += [
                Problem(
                    "error",
                    str(fid),
                    name,
                    "the text holds a NUL character (\\x00), which PostgreSQL cannot store; remove it",
                    feature=what,
                )
                for fid, value in zip(rows[spec.id_column], values, strict=True)
                if "\x00" in value
            ]
    if problems:
        raise ValidationError(problems, what=f"{spec.name} layer")


def _lines(columns: Sequence[list[str]]) -> str:
    """``COPY`` text of columns of text values: a line per row, the values separated by tabs."""
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _escape(text: str) -> str:
    """Backslash, tab, newline and carriage return written as ``COPY`` text escapes."""
    return text.translate(_ESCAPES)


def _text_column(values: pd.Series, kind: str) -> list[str]:
    """A column as ``COPY`` text values (``\\N`` for missing), converted for the whole column at once."""
    missing = values.isna().to_numpy(dtype=bool)
    out = np.full(len(values), _NULL, dtype=object)
    keep = ~missing
    if not keep.any():
        return out.tolist()
    present = values[keep]
    if kind == "str":
        text = present.astype(str).to_numpy(dtype=object)
        joined = "".join(text)  # one scan in C: most columns need no escaping
        if any(char in joined for char in "\\\t\n\r"):
            text = np.array([_escape(v) for v in text], dtype=object)
        out[keep] = text
    elif kind == "float":
        out[keep] = present.to_numpy(dtype="float64").astype(str)
    elif kind == "int":
        out[keep] = present.to_numpy(dtype="int64").astype(str)
    elif kind == "bool":
        out[keep] = np.where(present.to_numpy(dtype=bool), "t", "f")
    elif kind == "date":
        days = pd.to_datetime(present).to_numpy(dtype="datetime64[D]")
        out[keep] = np.datetime_as_string(days, unit="D")
    elif kind == "datetime":
        utc = pd.to_datetime(present, utc=True).dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
        out[keep] = np.char.add(np.datetime_as_string(utc, unit="us"), "+00").astype(object)
    else:
        msg = f"no COPY text for field kind {kind!r}"
        raise ValueError(msg)
    return out.tolist()
