"""One transaction on a GeoPackage park: rows read and written through :mod:`sqlite3`, in canonical dtypes.

Geometries go in and out as GeoPackage blobs (:mod:`planner.store.gpkg_format`); dates as
ISO text, booleans as 0/1, as QGIS and GDAL read them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config import ParkConfig
from planner.errors import StoreError
from planner.store.gpkg_format import decode_geometries, encode_geometries
from planner.store.layers import LAYERS, LayerSpec, layer_frame
from planner.store.session import Session

__all__ = ["GEOM", "GpkgSession", "write_config_rows"]

GEOM = "geom"
"""The geometry column of every feature table."""

_FEW_IDS = 100
"""Up to this many ids, a read names them in its statement; more go through a temporary table."""


def write_config_rows(conn: sqlite3.Connection, config: ParkConfig) -> None:
    """The configuration's rows, replacing the stored ones (JSON values)."""
    conn.execute("DELETE FROM park_config")
    conn.executemany(
        "INSERT INTO park_config (key, value) VALUES (?, ?)",
        [(k, json.dumps(v, ensure_ascii=False, allow_nan=False)) for k, v in config.to_dict().items()],
    )


class GpkgSession(Session):
    """The reads and writes of one transaction on a GeoPackage park's connection."""

    def __init__(self, conn: sqlite3.Connection, srs_id: int | None) -> None:
        self.conn = conn
        self.srs_id = srs_id
        self.touched: set[str] = set()
        """Layers whose rows were written (their extent is computed again at commit)."""
        self.edited: set[str] = set()
        """Layers whose attributes alone were edited (their ``last_change`` is set at commit)."""

    # reading
    def select(
        self,
        layer: str,
        *,
        ids: Sequence[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Rows of ``layer`` from the R-tree (``bbox``) and the id index (``ids``), in ``fid`` order."""
        spec = LAYERS[layer]
        cols = ", ".join(f't."{c}"' for c in spec.columns)
        sql = f'SELECT t."{GEOM}", {cols} FROM "{layer}" t'
        params: list[object] = []
        where = []
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            sql += f' JOIN "rtree_{layer}_{GEOM}" r ON r.id = t.fid'
            where.append("r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?")
            params += [minx, maxx, miny, maxy]
        if ids is not None and len(ids) <= _FEW_IDS:
            where.append(f't."{spec.id_column}" IN ({", ".join("?" * len(ids))})' if ids else "0")
            params += [str(i) for i in ids]
        elif ids is not None:
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
        """The number of rows in ``layer``."""
        return int(self.conn.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0])

    def last_change(self) -> int:
        """The newest ``history_id`` (0 for none)."""
        return int(self.conn.execute("SELECT coalesce(max(history_id), 0) FROM history").fetchone()[0])

    def changes_since(self, history_id: int, *, with_changes: bool = False) -> pd.DataFrame:
        """The history rows newer than ``history_id``: id, layer, feature id, action (and changes, JSON text)."""
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
        """Insert the rows; columns with no value stay NULL."""
        spec = LAYERS[layer]
        columns = [c for c in spec.columns if rows[c].notna().any()]  # the rest stay NULL
        names = ", ".join(f'"{c}"' for c in [GEOM, *columns])
        marks = ", ".join("?" * (len(columns) + 1))
        values = self._values(spec, rows, columns)
        self.conn.executemany(f'INSERT INTO "{layer}" ({names}) VALUES ({marks})', zip(*values, strict=True))
        self.touched.add(layer)

    def update(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        """Replace the stored rows with the ids of ``rows``."""
        spec = LAYERS[layer]
        sets = ", ".join(f'"{c}" = ?' for c in [GEOM, *spec.columns])
        values = self._values(spec, rows, spec.columns)
        values.append([str(v) for v in rows[spec.id_column]])
        self.conn.executemany(f'UPDATE "{layer}" SET {sets} WHERE "{spec.id_column}" = ?', zip(*values, strict=True))
        self.touched.add(layer)

    def set_values(self, layer: str, feature_id: str, values: pd.DataFrame, *, version: int | None) -> bool:
        """One ``UPDATE`` of the columns of ``values`` on one feature, if it is at ``version``."""
        spec = LAYERS[layer]
        sets = ", ".join(f'"{c}" = ?' for c in values.columns)
        params = [_sql_column(values[c], spec.by_name[c].kind)[0] for c in values.columns]
        cursor = self.conn.execute(
            f'UPDATE "{layer}" SET {sets} WHERE "{spec.id_column}" = ? AND version IS ?', [*params, feature_id, version]
        )
        self.edited.add(layer)
        return cursor.rowcount == 1

    def set_rows(self, layer: str, rows: pd.DataFrame, *, versions: pd.Series) -> int:
        """One ``UPDATE`` statement run for every row (``executemany``), each only if the row is at its version."""
        spec = LAYERS[layer]
        key, names = rows.columns[0], list(rows.columns[1:])
        sets = ", ".join(f'"{c}" = ?' for c in names)
        params = [_sql_column(rows[c], spec.by_name[c].kind) for c in names]
        params += [[str(v) for v in rows[key]], _sql_column(versions, "int")]
        cursor = self.conn.executemany(
            f'UPDATE "{layer}" SET {sets} WHERE "{spec.id_column}" = ? AND version IS ?', zip(*params, strict=True)
        )
        self.edited.add(layer)
        return cursor.rowcount

    def delete(self, layer: str, ids: Sequence[str]) -> None:
        """Delete the rows of ``layer`` with these ids."""
        spec = LAYERS[layer]
        self.conn.executemany(f'DELETE FROM "{layer}" WHERE "{spec.id_column}" = ?', ((str(i),) for i in ids))
        self.touched.add(layer)

    def update_extent(self, layer: str) -> None:
        """The layer's extent and ``last_change`` in ``gpkg_contents``, from its R-tree."""
        ext = self.conn.execute(
            f'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_{layer}_{GEOM}"'
        ).fetchone()
        self.conn.execute(
            "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, "
            "last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?",
            (*ext, layer),
        )

    def mark_changed(self, layer: str) -> None:
        """The layer's ``last_change`` in ``gpkg_contents`` (its extent is unchanged)."""
        self.conn.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?", (layer,)
        )

    def add_history(self, records: pd.DataFrame) -> None:
        """Append history rows (and set the history's ``last_change``)."""
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

    def history(self, *, layer: str | None, feature_id: str | None, parse: bool = True, since: int = 0) -> pd.DataFrame:
        """History rows after ``since``, oldest first (``changes`` parsed from JSON; its text with ``parse=False``)."""
        sql = "SELECT history_id, changed_at, changed_by, layer, feature_id, action, version, changes FROM history"
        where, params = ["history_id > ?"], list[object]([int(since)])
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
        """The park's configuration."""
        data = {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM park_config")}
        return ParkConfig.from_dict(data)

    def read_metadata(self) -> dict[str, Any]:
        """The park's metadata keys and their (JSON) values."""
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM park_metadata ORDER BY id")}

    def write_metadata(self, values: Mapping[str, Any]) -> None:
        """Set metadata keys (JSON values); other keys stay."""
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
        """Replace the park's configuration."""
        write_config_rows(self.conn, config)
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
