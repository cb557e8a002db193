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
Every store call is one transaction: a read on its thread's own connection (readers
never wait for writers), a write on the store's write connection, one at a time. A write first
takes the park's advisory lock (``pg_advisory_xact_lock``), so writers of one
park go one at a time: the version check, the overlap check with stored
parcels and the new ids of one write all see what the writer before it
committed. Updates are also conditional (``WHERE version = <the version read>``)
and their row count is checked, so a writer that bypasses the planner cannot
be overwritten either. Any error rolls the whole transaction back. Edits by
other clients (QGIS, psql) are versioned by a trigger that takes the same lock
(:mod:`planner.store.triggers`); a park made before it gets it in its next write.
Rows go in with ``COPY`` (inserts directly; updates through a temporary table
and one ``UPDATE … FROM``), geometries as EWKB (WKB with the SRID), and come out
with ``ST_AsBinary`` (:mod:`planner.store.postgis_session`); the tables are made by
:mod:`planner.store.postgis_schema`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import psycopg
from psycopg import sql

from planner.config import ParkConfig
from planner.errors import StoreError, StoreLockedError
from planner.failpoints import reach
from planner.store.base import ParkStore
from planner.store.failures import plainly
from planner.store.layers import LAYERS
from planner.store.postgis_schema import (
    ADDED_LAYERS,
    add_columns_ddl,
    add_layers_ddl,
    add_mercator_ddl,
    add_tile_columns_ddl,
    lacks_mercator,
    lacks_tile_columns,
    missing_columns,
    schema_ddl,
    write_config_rows,
)
from planner.store.postgis_session import PostGISSession, scalar
from planner.store.session import Session
from planner.store.triggers import PG_FLAG, install_pg, pg_triggers_sql

__all__ = ["PostGISStore", "create_park", "drop_park", "is_postgis_uri", "list_parks", "redact"]

_LOCK_CLASS = 0x504C  # advisory-lock class of the planner ("PL"); the key is the hash of the schema
_LOCK_TIMEOUT_S = 10.0
_SCHEMES = ("postgresql://", "postgres://")


def is_postgis_uri(uri: str | os.PathLike[str]) -> bool:
    """Whether ``uri`` names a PostgreSQL database (``postgresql://…``) rather than a file."""
    return str(uri).startswith(_SCHEMES)


def _unsplit(scheme: str, netloc: str, path: str, query: str) -> str:
    """A URL from its parts, always with ``//`` (``postgresql:///db``, ``postgresql://?service=x``: libpq's forms)."""
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


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
    return _unsplit(parts.scheme, netloc, parts.path, urlencode(query, safe="*"))


def _split_uri(uri: str) -> tuple[str, str | None]:
    """The libpq connection URL and the ``park`` parameter of a store location."""
    if not is_postgis_uri(uri):
        msg = f"{redact(uri)!r} is not a PostgreSQL location; it starts with postgresql://"
        raise StoreError(msg)
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    parks = [v for k, v in query if k == "park"]
    if len(parks) > 1:
        msg = f"{redact(uri)!r} names more than one park; give one `park=` parameter"
        raise StoreError(msg)
    conninfo = _unsplit(parts.scheme, parts.netloc, parts.path, urlencode([(k, v) for k, v in query if k != "park"]))
    return conninfo, (parks[0] if parks else None)


def _with_park(uri: str, park_id: str) -> str:
    conninfo, _ = _split_uri(uri)
    parts = urlsplit(conninfo)
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("park", park_id)]
    return _unsplit(parts.scheme, parts.netloc, parts.path, urlencode(query))


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
        msg = f"cannot connect to {shown}: {text}"
        raise StoreError(msg) from None
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
    msg = f"the database {shown} has no PostGIS; {hint}"
    raise StoreError(msg)


def _registry_exists(conn: psycopg.Connection) -> bool:
    return bool(scalar(conn, "SELECT to_regclass('planner.parks') IS NOT NULL"))


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
        msg = f"{shown} names park {park!r}, but the configuration is of park {config.park_id!r}"
        raise StoreError(msg)
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
                    msg = (
                        f"park {config.park_id!r} already exists in {redact(conninfo)}; pass overwrite=True "
                        "(CLI: --overwrite) to replace it"
                    )
                    raise StoreError(msg)
                if row:
                    _drop_schema(conn, config.park_id, row[0])
                schema = _schema_name(conn, config.park_id)
                conn.execute(schema_ddl(schema, config.crs_epsg))
                conn.execute(pg_triggers_sql(schema, _LOCK_CLASS))
                conn.execute(
                    "INSERT INTO planner.parks (park_id, schema_name, name, crs_epsg) VALUES (%s, %s, %s, %s)",
                    (config.park_id, schema, config.name, config.crs_epsg),
                )
                write_config_rows(conn, schema, config)
        except psycopg.Error as exc:
            msg = f"creating park {config.park_id!r} in {shown} failed: {_message(exc)}"
            raise StoreError(msg) from None
    return PostGISStore(_with_park(uri, config.park_id))


def drop_park(uri: str) -> None:
    """Delete the park named by ``uri`` (``?park=``): its schema with every table, and its registry row.

    Close the park's open stores first: their connections would wait on it.
    """
    conninfo, park = _split_uri(uri)
    if park is None:
        msg = f"{redact(uri)} names no park; add ?park=<park_id>"
        raise StoreError(msg)
    with _connect(conninfo, redact(uri)) as conn, conn.transaction():
        row = conn.execute("SELECT schema_name FROM planner.parks WHERE park_id = %s", (park,)).fetchone()
        if row is None:
            msg = f"no park {park!r} in {redact(conninfo)}"
            raise StoreError(msg)
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (_LOCK_CLASS,))
        _drop_schema(conn, park, row[0])


def _drop_schema(conn: psycopg.Connection, park_id: str, schema: str) -> None:
    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    conn.execute("DELETE FROM planner.parks WHERE park_id = %s", (park_id,))


class PostGISStore(ParkStore):
    """A park kept in a schema of a PostgreSQL/PostGIS database; see the module notes.

    Parameters
    ----------
    uri
        ``postgresql://user[:password]@host[:port]/database[?park=<park_id>]``.
    folder
        Folder of the park's files that a database does not hold (the DEM named in
        the configuration), or ``None``.

    The store keeps one connection for writes, opened on first use and used by one
    write at a time (writers in several threads queue for it), and one connection per
    thread for reads (:meth:`reader`), so reads never wait for a write. :meth:`close`
    releases them.
    """

    def __init__(self, uri: str, *, folder: str | os.PathLike[str] | None = None) -> None:
        self._conninfo, park = _split_uri(str(uri))
        shown_db = redact(self._conninfo)
        self._folder = Path(folder) if folder is not None else None
        self._lock = threading.RLock()
        self._conn: psycopg.Connection | None = None
        self._readers = threading.local()
        self._readers_lock = threading.Lock()
        self._reader_conns: list[psycopg.Connection] = []
        self._triggers_seen = False
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
            schemas: dict[str, str] = dict(parks)
            held = ", ".join(repr(p) for p in schemas) or "none"
            if park is None:
                if len(schemas) != 1:
                    msg = f"{shown_db} holds {len(schemas)} parks ({held}); name one with ?park=<park_id>"
                    raise StoreError(msg)
                park = next(iter(schemas))
            if park not in schemas:
                msg = (
                    f"no park {park!r} in {shown_db} (parks held: {held}); create one with create_park() or copy_park()"
                )
                raise StoreError(msg)
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
            msg = f"reading {shown_db} failed: {_message(exc)}"
            raise StoreError(msg) from None
        missing = sorted({"park_config", "park_metadata", "history", *LAYERS} - found - set(ADDED_LAYERS))
        if missing:
            msg = f"park {park!r} in {shown_db} lacks the table(s) {', '.join(missing)}"
            raise StoreError(msg)
        self._upgrade(conn, shown_db, [name for name in ADDED_LAYERS if name not in found])

    def _upgrade(self, conn: psycopg.Connection, shown_db: str, added: list[str]) -> None:
        """A park made by an earlier version: add the layers and columns it lacks, empty, in one transaction
        (under the lock)."""
        try:
            if not (
                added
                or missing_columns(conn, self.schema)
                or lacks_mercator(conn, self.schema)
                or lacks_tile_columns(conn, self.schema)
            ):
                return
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.schema))
                have = {
                    r[0]
                    for r in conn.execute(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.schema,)
                    )
                }
                added = [name for name in added if name not in have]  # another opener may have added them meanwhile
                if added:
                    srid = conn.execute(
                        sql.SQL("SELECT value FROM {}.park_config WHERE key = 'crs_epsg'").format(
                            sql.Identifier(self.schema)
                        )
                    ).fetchone()
                    conn.execute(add_layers_ddl(self.schema, added, int(srid[0]) if srid else 4490))
                columns = missing_columns(conn, self.schema)
                if columns:
                    conn.execute(add_columns_ddl(self.schema, columns))
                generated = False  # the tiles' generated columns: the edit triggers must skip them too
                if lacks_mercator(conn, self.schema):
                    conn.execute(add_mercator_ddl(self.schema))
                    generated = True
                if lacks_tile_columns(conn, self.schema):
                    conn.execute(add_tile_columns_ddl(self.schema))
                    generated = True
                if generated:
                    conn.execute(pg_triggers_sql(self.schema, _LOCK_CLASS))
        except psycopg.Error as exc:
            msg = f"park {self.park_id!r} in {shown_db}: cannot add the columns of this version: {_message(exc)}"
            raise StoreError(msg) from None

    def __repr__(self) -> str:
        return f"PostGISStore({self.uri!r})"

    @property
    def location(self) -> str:
        """The full location, password included, to open the park again; never print it (print :attr:`uri`)."""
        return _with_park(self._conninfo, self.park_id)

    @property
    def folder(self) -> Path | None:
        """The folder given when the store was opened (where the DEM lies), or ``None``."""
        return self._folder

    def _connection(self, shown: str | None = None) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = _connect(self._conninfo, shown or str(getattr(self, "uri", redact(self._conninfo))))
        return self._conn

    def change_stamp(self) -> int:
        """As :meth:`ParkStore.change_stamp`, in one statement and one round trip (autocommit: its own snapshot).

        A server asks before every answer; a transaction around it would cost three more round trips.
        """
        query = sql.SQL("SELECT coalesce(max(history_id), 0) FROM {}.history").format(sql.Identifier(self.schema))
        try:
            return int(scalar(self.reader(), query))
        except psycopg.Error as exc:
            msg = f"reading {self.uri} failed ({plainly(_message(exc))})"
            raise StoreError(msg) from None

    @contextmanager
    def writers_held(self) -> Iterator[None]:
        """Hold back this process's writers of the park for a moment: a read that must see one state of it.

        Writers wait for the lock they queue on anyway; writers in other processes are not held.
        """
        with self._lock:
            yield

    def reader(self) -> psycopg.Connection:
        """This thread's own connection for single read statements (autocommit, times in UTC), made on first use.

        A server answering from the database runs its queries on these, so requests in several
        threads do not wait for each other on the store's one connection; :meth:`close` closes them.
        """
        conn: psycopg.Connection | None = getattr(self._readers, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = _connect(self._conninfo, self.uri)
            self._readers.conn = conn
            with self._readers_lock:  # not the writers' lock: a reader never waits for a write
                self._reader_conns.append(conn)
        return conn

    def close(self) -> None:
        """Close the store's connections; they are opened again on the next call."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            with self._readers_lock:
                for conn in self._reader_conns:
                    conn.close()
                self._reader_conns.clear()

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Session]:
        """One transaction: a read on this thread's own connection, a write on the store's one, one writer at a time.

        Readers never wait for writers (each reads the last committed state, repeatable within
        its transaction). Writers in this process queue on the store's lock, then take the
        park's advisory lock (which writers in other processes and the edit triggers take too),
        so a write is a short transaction that never meets another writer in the database.
        """
        if not write:
            with self._read_transaction() as session:
                yield session
            return
        with self._lock:
            conn = self._connection()
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{_LOCK_TIMEOUT_S}s")))
                    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.schema))
                    # the flag that keeps the triggers off the planner's own writes (planner.store.triggers)
                    conn.execute("SELECT set_config(%s, 'on', true)", (PG_FLAG,))
                    if not self._triggers_seen:
                        self._triggers_seen = not install_pg(conn, self.schema, _LOCK_CLASS)
                    yield PostGISSession(conn, self.schema, getattr(self, "_srs_id", None))
                    reach("store.commit.before")
                reach("store.commit.after")
            except psycopg.errors.LockNotAvailable:
                msg = f"park {self.park_id!r} in {self.uri} is locked by another writer; nothing was written"
                raise StoreLockedError(msg) from None
            except psycopg.Error as exc:
                msg = f"writing {self.uri} failed ({plainly(_message(exc))}); nothing was written"
                raise StoreError(msg) from None

    @contextmanager
    def _read_transaction(self) -> Iterator[Session]:
        try:
            conn = self.reader()
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield PostGISSession(conn, self.schema, getattr(self, "_srs_id", None))
        except psycopg.Error as exc:
            msg = f"reading {self.uri} failed ({plainly(_message(exc))})"
            raise StoreError(msg) from None
