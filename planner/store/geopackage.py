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

import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

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
    decode_geometries,
    encode_geometries,
    feature_table_sql,
    register_functions,
)
from planner.store.gpkg_schema import column_docs, write_column_docs
from planner.store.gpkg_styles import parcel_styles, write_layer_styles
from planner.store.layers import LAYERS, LayerSpec, layer_frame
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
_GEOM = "geom"
_LOCK_TIMEOUT_S = 10.0


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
            _write_config_rows(conn, config)
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
    for sql in feature_table_sql(spec.name, columns, geometry_type=spec.geometry_type, srs_id=srs_id, geom=_GEOM):
        conn.execute(sql)
    conn.execute(f'CREATE UNIQUE INDEX "{spec.name}_{spec.id_column}" ON "{spec.name}" ("{spec.id_column}")')
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES (?,?,?,?,?)",
        (spec.name, "features", spec.name, f"{spec.title_zh} / {spec.title_en}", srs_id),
    )
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?,?,?,?,0,0)", (spec.name, _GEOM, spec.geometry_type, srs_id)
    )
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?,?,?,?,?)",
        (spec.name, _GEOM, "gpkg_rtree_index", "http://www.geopackage.org/spec120/#extension_rtree", "write-only"),
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
    columns = {c: c for c in ("ready", "missing", "idle_rule", "parcel_id")}
    aliases = {f.name: f.label("zh") for f in spec.fields if f.kind != "geometry"}
    write_layer_styles(conn, spec.name, _GEOM, parcel_styles(columns, aliases))


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


def _write_config_rows(conn: sqlite3.Connection, config: ParkConfig) -> None:
    conn.execute("DELETE FROM park_config")
    conn.executemany(
        "INSERT INTO park_config (key, value) VALUES (?, ?)",
        [(k, json.dumps(v, ensure_ascii=False, allow_nan=False)) for k, v in config.to_dict().items()],
    )


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
        """Close the connection kept for :meth:`change_stamp`."""
        with self._stamp_lock:
            self._close_stamp()

    def __getstate__(self) -> dict[str, Any]:  # a copy in another process opens its own connection
        state = self.__dict__.copy()
        state.update(_stamp_lock=None, _stamp_conn=None, _stamp_file=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._stamp_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=_LOCK_TIMEOUT_S, isolation_level=None)
        register_functions(conn)
        return conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Session]:
        conn = self._connect()
        try:
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            except sqlite3.OperationalError as exc:
                msg = f"{self.path} is locked by another writer ({exc}); try again"
                raise StoreLockedError(msg) from None
            session = _GpkgSession(conn, getattr(self, "_srs_id", None))
            try:
                if write:  # the flag that keeps the triggers off the planner's own writes (planner.store.triggers)
                    install_gpkg(conn)
                    conn.execute(f"INSERT OR REPLACE INTO {GPKG_FLAG} (id) VALUES (1)")
                yield session
                if write:
                    for layer in session.touched:
                        session.update_extent(layer)
                    conn.execute(f"DELETE FROM {GPKG_FLAG}")
                    reach("store.commit.before")
                conn.execute("COMMIT")
                if write:
                    reach("store.commit.after")
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already (a disk error)
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                msg = f"{self.path} is locked by another writer ({exc}); nothing was written"
                raise StoreLockedError(msg) from None
            msg = f"{'writing' if write else 'reading'} {self.path} failed ({plainly(exc)}); nothing was written"
            raise StoreError(msg) from None
        except sqlite3.DatabaseError as exc:
            msg = f"{'writing' if write else 'reading'} {self.path} failed ({plainly(exc)}); nothing was written"
            raise StoreError(msg) from None
        finally:
            conn.close()


class _GpkgSession(Session):
    def __init__(self, conn: sqlite3.Connection, srs_id: int | None) -> None:
        self.conn = conn
        self.srs_id = srs_id
        self.touched: set[str] = set()

    # reading
    def select(
        self,
        layer: str,
        *,
        ids: Sequence[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        spec = LAYERS[layer]
        cols = ", ".join(f't."{c}"' for c in spec.columns)
        sql = f'SELECT t."{_GEOM}", {cols} FROM "{layer}" t'
        params: list[object] = []
        where = []
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            sql += f' JOIN "rtree_{layer}_{_GEOM}" r ON r.id = t.fid'
            where.append("r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?")
            params += [minx, maxx, miny, maxy]
        if ids is not None:
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS _ids (id TEXT PRIMARY KEY)")
            self.conn.execute("DELETE FROM _ids")
            self.conn.executemany("INSERT OR IGNORE INTO _ids VALUES (?)", ((str(i),) for i in ids))
            where.append(f't."{spec.id_column}" IN (SELECT id FROM _ids)')
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY t.fid"
        rows = self.conn.execute(sql, params).fetchall()
        crs = f"EPSG:{self.srs_id}"
        if not rows:
            return layer_frame(spec, None, None, crs)
        columns = list(zip(*rows, strict=True))
        values = [
            [None if v is None else bool(v) for v in column] if spec.by_name[c].kind == "bool" else column  # 0/1
            for c, column in zip(spec.columns, columns[1:], strict=True)
        ]
        return layer_frame(spec, values, decode_geometries(columns[0]), crs)

    def count(self, layer: str) -> int:
        return int(self.conn.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0])

    def last_change(self) -> int:
        return int(self.conn.execute("SELECT coalesce(max(history_id), 0) FROM history").fetchone()[0])

    def changes_since(self, history_id: int, *, with_changes: bool = False) -> pd.DataFrame:
        columns = ["history_id", "layer", "feature_id", "action", *(["changes"] if with_changes else [])]
        rows = self.conn.execute(
            f"SELECT {', '.join(columns)} FROM history WHERE history_id > ? ORDER BY history_id", (history_id,)
        ).fetchall()
        return pd.DataFrame(rows, columns=columns)

    # writing
    def _values(self, spec: LayerSpec, rows: gpd.GeoDataFrame, columns: Sequence[str]) -> list[list]:
        if self.srs_id is None:  # only the first read of a store (its configuration) comes before its CRS is known
            msg = "a GeoPackage park store writes rows only once it knows its CRS"
            raise StoreError(msg)
        values: list[list] = [encode_geometries(rows.geometry.to_numpy(), self.srs_id)]
        values += [_sql_column(rows[c], spec.by_name[c].kind) for c in columns]
        return values

    def insert(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        spec = LAYERS[layer]
        columns = [c for c in spec.columns if rows[c].notna().any()]  # the rest stay NULL
        names = ", ".join(f'"{c}"' for c in [_GEOM, *columns])
        marks = ", ".join("?" * (len(columns) + 1))
        values = self._values(spec, rows, columns)
        self.conn.executemany(f'INSERT INTO "{layer}" ({names}) VALUES ({marks})', zip(*values, strict=True))
        self.touched.add(layer)

    def update(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        spec = LAYERS[layer]
        sets = ", ".join(f'"{c}" = ?' for c in [_GEOM, *spec.columns])
        values = self._values(spec, rows, spec.columns)
        values.append([str(v) for v in rows[spec.id_column]])
        self.conn.executemany(f'UPDATE "{layer}" SET {sets} WHERE "{spec.id_column}" = ?', zip(*values, strict=True))
        self.touched.add(layer)

    def delete(self, layer: str, ids: Sequence[str]) -> None:
        spec = LAYERS[layer]
        self.conn.executemany(f'DELETE FROM "{layer}" WHERE "{spec.id_column}" = ?', ((str(i),) for i in ids))
        self.touched.add(layer)

    def update_extent(self, layer: str) -> None:
        ext = self.conn.execute(
            f'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_{layer}_{_GEOM}"'
        ).fetchone()
        self.conn.execute(
            "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, "
            "last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
            (*ext, layer),
        )

    def add_history(self, records: pd.DataFrame) -> None:
        at = _iso_datetimes(records["changed_at"])
        self.conn.executemany(
            "INSERT INTO history (changed_at, changed_by, layer, feature_id, action, version, changes) "
            "VALUES (?,?,?,?,?,?,?)",
            zip(
                at,
                records["changed_by"],
                records["layer"],
                records["feature_id"],
                records["action"],
                _sql_column(records["version"], "int"),
                records["changes"],
                strict=True,
            ),
        )
        self.conn.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = 'history'"
        )

    def history(self, *, layer: str | None, feature_id: str | None, parse: bool = True) -> pd.DataFrame:
        sql = "SELECT history_id, changed_at, changed_by, layer, feature_id, action, version, changes FROM history"
        where, params = [], []
        if layer is not None:
            where.append("layer = ?")
            params.append(layer)
        if feature_id is not None:
            where.append("feature_id = ?")
            params.append(feature_id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        frame = pd.read_sql_query(sql + " ORDER BY history_id", self.conn, params=params)
        frame["changed_at"] = pd.to_datetime(frame["changed_at"], utc=True, format="ISO8601")
        frame["version"] = frame["version"].astype("Int64")
        if parse:
            frame["changes"] = frame["changes"].map(json.loads)
        return frame

    def read_config(self) -> ParkConfig:
        data = {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM park_config")}
        return ParkConfig.from_dict(data)

    def read_metadata(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM park_metadata ORDER BY id")}

    def write_metadata(self, values: Mapping[str, Any]) -> None:
        self.conn.executemany(
            "INSERT INTO park_metadata (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(k, json.dumps(v, ensure_ascii=False, allow_nan=False)) for k, v in values.items()],
        )
        self.conn.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
            "WHERE table_name = 'park_metadata'"
        )

    def write_config(self, config: ParkConfig) -> None:
        _write_config_rows(self.conn, config)
        self.conn.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') "
            "WHERE table_name = 'park_config'"
        )


def _iso_datetimes(values: pd.Series) -> pd.Series:
    """UTC timestamps as GeoPackage DATETIME text, ``YYYY-MM-DDTHH:MM:SS.sssZ``."""
    utc = pd.to_datetime(values, utc=True)
    return utc.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"


def _sql_column(values: pd.Series, kind: str) -> list:
    """A column as Python values SQLite stores: ISO text for dates, 0/1 for booleans, None for missing."""
    missing = values.isna().to_numpy(dtype=bool)
    if kind == "date":
        text = values.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    elif kind == "datetime":
        text = _iso_datetimes(values).to_numpy(dtype=object)
    elif kind == "bool":
        text = values.astype("boolean").fillna(False).astype(int).to_numpy(dtype=object)
    elif kind == "int":
        text = values.astype("Int64").fillna(0).astype("int64").to_numpy(dtype=object)
    elif kind == "float":
        text = values.astype("float64").to_numpy(dtype=object)
    else:
        text = values.to_numpy(dtype=object)
    out = text.tolist()
    for i in np.flatnonzero(missing):
        out[i] = None
    return out
