"""The GeoPackage park store: one ``.gpkg`` file per park, opens in QGIS.

Layers ``parcels``, ``road_lines`` … ``heat_lines`` and ``sources`` are
GeoPackage feature tables in the park's Gauss–Krüger CRS, each with an R-tree
spatial index; ``park_config`` and ``history`` are attribute tables. Columns
carry their Chinese labels as titles (``gpkg_data_columns``) and allowed codes
as enum constraints, which QGIS shows as aliases and value lists.

Writes go through :mod:`sqlite3` in one ``BEGIN IMMEDIATE`` … ``COMMIT``: a
failure anywhere rolls the whole write back, and the file is left as it was.
The rollback journal (not WAL) keeps the park a single file. Edits by other
clients (QGIS, GDAL, sqlite3) are versioned by triggers (:mod:`planner.store.triggers`);
a park made before them gets them in its next write.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from planner.config import ParkConfig
from planner.errors import StoreError, StoreLockedError
from planner.failpoints import reach
from planner.fields import Field
from planner.store.base import ParkStore
from planner.store.failures import plainly
from planner.store.gpkg_format import (
    APPLICATION_ID,
    USER_VERSION,
    core_tables_sql,
    feature_table_sql,
    register_functions,
)
from planner.store.gpkg_schema import column_docs, write_column_docs
from planner.store.gpkg_session import GEOM, GpkgSession, write_config_rows
from planner.store.gpkg_styles import park_parcel_styles, write_layer_styles
from planner.store.layers import LAYERS, LayerSpec
from planner.store.session import Session
from planner.store.triggers import GPKG_FLAG, install_gpkg

__all__ = ["GeoPackageStore", "create_park"]

_SQL_TYPES = {
    "str": "TEXT",
    "float": "REAL",
    "int": "INTEGER",
    "bool": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
}
_LOCK_TIMEOUT_S = 10.0
"""SQLite's busy timeout: how long a statement waits for another process's writer (QGIS, GDAL) to finish."""
_T = TypeVar("_T")
_QUEUE_TIMEOUT_S = 120.0
"""How long a write waits for the writers before it in this process (they commit in milliseconds)."""

_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_queue(path: Path) -> threading.Lock:
    """The one lock of the writers of ``path`` in this process (every store open on the file shares it)."""
    key = os.path.realpath(path)
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.Lock())


def create_park(path: str | os.PathLike[str], config: ParkConfig, *, overwrite: bool = False) -> GeoPackageStore:
    """Create the GeoPackage of a new park, with every layer empty.

    The file is built beside its target and moved into place only when complete,
    so a failure leaves no half-made park.

    Raises
    ------
    StoreError
        If ``path`` exists and ``overwrite`` is false.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        msg = f"a park store is a .gpkg file; got {str(path)!r}"
        raise StoreError(msg)
    if path.exists() and not overwrite:
        msg = f"{path} already exists; pass overwrite=True (CLI: --overwrite) to replace it"
        raise StoreError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg.part", dir=path.parent)
    os.close(fd)
    os.unlink(tmp)
    try:
        conn = sqlite3.connect(tmp, isolation_level=None)
        register_functions(conn)
        try:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {USER_VERSION}")
            conn.execute("BEGIN")
            for sql, params in core_tables_sql([config.crs_epsg]):
                conn.execute(sql, params)
            for spec in LAYERS.values():
                _create_feature_table(conn, spec, config.crs_epsg)
            conn.execute(
                "CREATE TABLE park_config (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT UNIQUE NOT NULL, "
                "value TEXT NOT NULL)"
            )
            conn.execute(
                """CREATE TABLE history (
                    history_id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, changed_at DATETIME NOT NULL,
                    changed_by TEXT NOT NULL, layer TEXT NOT NULL, feature_id TEXT, action TEXT NOT NULL,
                    version INTEGER, changes TEXT NOT NULL)"""
            )
            conn.execute("CREATE INDEX history_feature ON history (layer, feature_id)")
            conn.execute(
                "CREATE TABLE park_metadata (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, key TEXT UNIQUE NOT NULL, "
                "value TEXT NOT NULL)"
            )
            for table, title, text in (
                ("park_config", "园区配置", "park configuration (JSON values)"),
                ("history", "编辑历史", "edit history: who changed what, when"),
                ("park_metadata", "园区元数据", "park metadata: dates and notes of analyses (JSON values)"),
            ):
                conn.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?,?,?,?)",
                    (table, "attributes", table, f"{title} / {text}"),
                )
            write_config_rows(conn, config)
            _style_parcels(conn)
            install_gpkg(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()
        for stale in (f"{path}-journal", f"{path}-wal", f"{path}-shm"):  # never replayed into the new park
            if os.path.exists(stale):
                os.unlink(stale)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return GeoPackageStore(path)


def _create_feature_table(conn: sqlite3.Connection, spec: LayerSpec, srs_id: int) -> None:
    columns = [
        (f.name, _SQL_TYPES[f.kind] + (" NOT NULL" if f.name == spec.id_column else ""))
        for f in spec.fields
        if f.kind != "geometry"
    ]
    for sql in feature_table_sql(spec.name, columns, geometry_type=spec.geometry_type, srs_id=srs_id, geom=GEOM):
        conn.execute(sql)
    conn.execute(f'CREATE UNIQUE INDEX "{spec.name}_{spec.id_column}" ON "{spec.name}" ("{spec.id_column}")')
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?,?,?,?,?)",
        (spec.name, "features", spec.name, f"{spec.title_zh} / {spec.title_en}", srs_id),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?,?,?,?,0,0)", (spec.name, GEOM, spec.geometry_type, srs_id)
    )
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?,?,?,?,?)",
        (spec.name, GEOM, "gpkg_rtree_index", "http://www.geopackage.org/spec120/#extension_rtree", "write-only"),
    )
    for f in spec.fields:
        if f.kind != "geometry":
            _describe_column(conn, spec, f)


def _describe_column(conn: sqlite3.Connection, spec: LayerSpec, f: Field) -> None:
    """The column's Chinese title and description (``gpkg_data_columns``) and its domain (:mod:`.gpkg_schema`)."""
    write_column_docs(conn, spec.name, column_docs([f]), prefix=spec.name)


def _style_parcels(conn: sqlite3.Connection) -> None:
    """The parcels' QGIS default styles (:mod:`.gpkg_styles`), their columns titled in Chinese."""
    spec = LAYERS["parcels"]
    write_layer_styles(conn, spec.name, GEOM, park_parcel_styles(spec.fields))


def _described_before(conn: sqlite3.Connection) -> bool:
    """A park made before its columns had domains for land use, yes/no and ranges, and before its styles."""
    styled = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'").fetchone()
    land_use = conn.execute(
        "SELECT constraint_name FROM gpkg_data_columns WHERE table_name = 'parcels' AND column_name = 'land_use'"
    ).fetchone()
    return styled is None or land_use is None or land_use[0] is None


def _describe_again(conn: sqlite3.Connection) -> None:
    """Every column's title and domain written again, and the styles: a park made by an earlier version."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for spec in LAYERS.values():
        if spec.name in tables:
            have = {r[1] for r in conn.execute(f'PRAGMA table_info("{spec.name}")')}
            fields = [f for f in spec.fields if f.name in have]
            write_column_docs(conn, spec.name, column_docs(fields), prefix=spec.name)
    _style_parcels(conn)


def _missing_columns(conn: sqlite3.Connection) -> list[tuple[LayerSpec, Field]]:
    """Columns of the layers that a park made by an earlier version lacks."""
    missing = []
    for spec in LAYERS.values():
        have = {r[1] for r in conn.execute(f'PRAGMA table_info("{spec.name}")')}
        if have:  # a layer missing altogether is made whole by _ADDED_LAYERS
            missing += [(spec, f) for f in spec.fields if f.kind != "geometry" and f.name not in have]
    return missing


_ADDED_LAYERS = ("factories", "boundary")
"""Layers added after the first release: a park without them is upgraded when opened."""


class GeoPackageStore(ParkStore):
    """A park kept in one GeoPackage file; see the module notes."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.uri = str(self.path)
        self._stamp_lock = threading.Lock()
        self._stamp_conn: sqlite3.Connection | None = None
        self._stamp_file: tuple[int, int] | None = None
        self._kept = threading.local()
        self._kept_all: list[sqlite3.Connection] = []
        if not self.path.is_file():
            msg = f"no park store at {self.path}; create one with `planner demo` or create_park()"
            raise StoreError(msg)
        try:
            # read-write, so that SQLite rolls back a hot journal left by a writer that died
            conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True)
            try:
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            msg = f"{self.path} is not a GeoPackage (SQLite says: {exc})"
            raise StoreError(msg) from None
        if app_id != APPLICATION_ID:
            msg = f"{self.path} is not a GeoPackage (application_id {app_id:#x})"
            raise StoreError(msg)
        missing = sorted({"park_config", "park_metadata", "history", *LAYERS} - tables - set(_ADDED_LAYERS))
        if missing:
            msg = f"{self.path} is a GeoPackage but not a park store: it lacks {', '.join(missing)}"
            raise StoreError(msg)
        self._srs_id = self.config().crs_epsg
        self._upgrade([name for name in _ADDED_LAYERS if name not in tables])

    def _upgrade(self, added: list[str]) -> None:
        """A park made by an earlier version: add the layers and columns it lacks, empty, in one transaction.

        Columns are only ever added (``ALTER TABLE … ADD COLUMN``), so an earlier version still
        reads the file: it names the columns it knows. The edit triggers are made again for the
        new columns (:data:`planner.store.triggers.TRIGGER_VERSION`).
        """
        conn = self._connect()
        try:
            columns = _missing_columns(conn)
            describe = _described_before(conn)
            if not added and not columns and not describe:
                return
            conn.execute("BEGIN IMMEDIATE")
            if describe:
                _describe_again(conn)
            for name in added:
                _create_feature_table(conn, LAYERS[name], self._srs_id)
            for spec, f in columns:
                conn.execute(f'ALTER TABLE "{spec.name}" ADD COLUMN "{f.name}" {_SQL_TYPES[f.kind]}')
                _describe_column(conn, spec, f)
            if columns:  # the triggers name every column they version: made again with the new ones
                install_gpkg(conn)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            what = ", ".join([*added, *(f"{spec.name}.{f.name}" for spec, f in columns)])
            msg = f"{self.path}: cannot add the layer(s) or column(s) {what} of this version: {exc}"
            raise StoreError(msg) from None
        finally:
            conn.close()

    @property
    def folder(self) -> Path:
        """The folder the GeoPackage lies in (where the DEM lies)."""
        return self.path.parent

    def change_stamp(self) -> int:
        """As :meth:`ParkStore.change_stamp`, on a connection kept open for it: a server asks before every answer.

        One statement, so one read transaction of its own (it sees every committed write); the
        connection is opened again if the file was replaced, and holds no lock between calls.
        """
        with self._stamp_lock:
            try:
                info = os.stat(self.path)
                if self._stamp_conn is None or self._stamp_file != (info.st_dev, info.st_ino):
                    self._close_stamp()
                    self._stamp_conn = sqlite3.connect(
                        self.path, timeout=_LOCK_TIMEOUT_S, isolation_level=None, check_same_thread=False
                    )
                    self._stamp_file = (info.st_dev, info.st_ino)
                rows = self._stamp_conn.execute("SELECT coalesce(max(history_id), 0) FROM history").fetchall()
            except (OSError, sqlite3.Error) as exc:
                self._close_stamp()
                msg = f"reading {self.path} failed ({exc})"
                raise StoreError(msg) from None
        return int(rows[0][0])

    def _close_stamp(self) -> None:
        if self._stamp_conn is not None:
            self._stamp_conn.close()
        self._stamp_conn = self._stamp_file = None

    def close(self) -> None:
        """Close the connections kept for :meth:`change_stamp` and for each thread's transactions."""
        with self._stamp_lock:
            self._close_stamp()
            for conn in self._kept_all:
                conn.close()
            self._kept_all.clear()
            self._kept = threading.local()

    def __getstate__(self) -> dict[str, Any]:  # a copy in another process opens its own connections
        state = self.__dict__.copy()
        state.update(_stamp_lock=None, _stamp_conn=None, _stamp_file=None, _kept=None, _kept_all=[])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._stamp_lock = threading.Lock()
        self._kept = threading.local()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_LOCK_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        register_functions(conn)
        return conn

    def _thread_connection(self) -> sqlite3.Connection:
        """This thread's connection, kept between transactions (SQLite reads the schema once, not per call).

        Opened again if the file was replaced (a park made anew at the same path). It holds no
        lock between transactions.
        """
        info = os.stat(self.path)
        kept = getattr(self._kept, "conn", None)
        if kept is not None and self._kept.file == (info.st_dev, info.st_ino):
            return kept
        if kept is not None:
            self._drop_thread_connection()
        conn = self._connect()
        self._kept.conn, self._kept.file = conn, (info.st_dev, info.st_ino)
        with self._stamp_lock:
            self._kept_all.append(conn)
        return conn

    def _drop_thread_connection(self) -> None:
        """Close this thread's kept connection (after a failure, whatever state it is in)."""
        conn = getattr(self._kept, "conn", None)
        self._kept.conn = None
        if conn is not None:
            with self._stamp_lock:
                if conn in self._kept_all:
                    self._kept_all.remove(conn)
            conn.close()

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Session]:
        """One transaction on this thread's connection; a write waits its turn among this process's writers.

        Writers in this process queue on one lock per file, so they never meet SQLite's "database is
        locked"; a writer of another process (QGIS, GDAL) is waited for up to the busy timeout.
        Readers are not queued: they see the last committed state (the rollback journal keeps a
        reader out only while a commit writes its pages).
        """
        if not write:
            with self._session(write=False) as session:
                yield session
            return
        queue = _writer_queue(self.path)
        if not queue.acquire(timeout=_QUEUE_TIMEOUT_S):
            msg = f"{self.path}: the writers before this one took over {_QUEUE_TIMEOUT_S:.0f} s; nothing was written"
            raise StoreLockedError(msg)
        try:
            with self._session(write=True) as session:
                yield session
        finally:
            queue.release()

    @contextmanager
    def writers_held(self) -> Iterator[None]:
        """Hold back this process's writers of the file for a moment: a read that must see one state of the park.

        Writers queue on this lock anyway; writers in other processes (QGIS, GDAL) are not held.
        """
        queue = _writer_queue(self.path)
        if not queue.acquire(timeout=_QUEUE_TIMEOUT_S):
            msg = f"{self.path}: the writers took over {_QUEUE_TIMEOUT_S:.0f} s; try again"
            raise StoreLockedError(msg)
        try:
            yield
        finally:
            queue.release()

    def _failure(self, exc: sqlite3.DatabaseError, what: str) -> StoreError:
        """The error to raise for a failed transaction: a lock held by another writer, or what happened, plainly."""
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
            return StoreLockedError(f"{self.path} is locked by another writer ({exc}); nothing was written")
        return StoreError(f"{what} {self.path} failed ({plainly(exc)}); nothing was written")

    def read_only(self, read: Callable[[], _T]) -> _T:
        """``read`` (a read on a read-only connection), made again once if it met a hot journal.

        A write cut short (a writer that died, a disk error) leaves its journal *hot* until a connection
        that may write reads the file: SQLite then plays it back. A read-only connection cannot, and
        fails with ``SQLITE_READONLY_ROLLBACK`` ("attempt to write a readonly database"). Then the
        journal is rolled back here, with this process's access, and ``read`` made again; where the
        file cannot be written (a read-only disk) the second error is raised. Under load SQLite also says
        so, now and then, of a journal that a writer of this process deletes at that moment (seen once in
        eighteen runs of eight editors and an outside writer: the journal was gone when looked for); the
        read made again finds it gone.
        """
        try:
            return read()
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_READONLY_ROLLBACK:
                raise
        self._roll_back_journal()
        return read()

    def read_parcels_only(self, read: Callable[[], _T]) -> _T:
        """:meth:`read_only`, a failure said as :class:`~planner.errors.StoreError` (reading the parcels of this park
        failed, with SQLite's words): the server's read-only readers of the parcels all read through it."""
        try:
            return self.read_only(read)
        except sqlite3.Error as exc:
            msg = f"reading the parcels of {self.path} failed ({exc})"
            raise StoreError(msg) from None

    def _roll_back_journal(self) -> None:
        """Play back the journal a failed write left (a full disk, an I/O error), now, with this process's access.

        After an I/O error SQLite leaves the rollback to the next connection that reads the file.
        Until then the journal is *hot*, and a client that may only read (``ogrinfo -ro``, a
        read-only share) cannot open the park at all. A read on a new read-write connection
        rolls it back: the file is as before the write, and the journal gone.
        """
        journal = Path(f"{self.path}-journal")
        try:
            if not journal.exists() or journal.stat().st_size == 0:
                return
            conn = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=_LOCK_TIMEOUT_S)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                conn.close()
        except (OSError, sqlite3.Error):
            pass  # it stays hot: the next connection that may write rolls it back, as SQLite always does

    @contextmanager
    def _session(self, *, write: bool) -> Iterator[Session]:
        what = "writing" if write else "reading"
        try:
            conn = self._thread_connection()
        except (OSError, sqlite3.Error) as exc:
            msg = f"{what} {self.path} failed ({plainly(exc)}); nothing was written"
            raise StoreError(msg) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(_LOCK_TIMEOUT_S * 1000)}")  # as now set, on a kept connection
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:
                msg = f"{self.path} is locked by another writer ({exc}); try again"
                raise StoreLockedError(msg) from None
            session = GpkgSession(conn, getattr(self, "_srs_id", None))
            try:
                if write:  # the flag that keeps the triggers off the planner's own writes (planner.store.triggers)
                    install_gpkg(conn)
                    conn.execute(f"INSERT OR REPLACE INTO {GPKG_FLAG} (id) VALUES (1)")
                yield session
                if write:
                    for layer in session.touched:
                        session.update_extent(layer)
                    for layer in session.edited - session.touched:
                        session.mark_changed(layer)
                    conn.execute(f"DELETE FROM {GPKG_FLAG}")
                    reach("store.commit.before")
                conn.execute("COMMIT")
                if write:
                    reach("store.commit.after")
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already (a disk error)
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.DatabaseError as exc:  # OperationalError among them
            self._drop_thread_connection()  # whatever state the failure left it in: the next call opens another
            if write:
                self._roll_back_journal()
            raise self._failure(exc, what) from None
        except BaseException:
            if conn.in_transaction:  # the rollback itself failed: never reuse the connection
                self._drop_thread_connection()
            raise
