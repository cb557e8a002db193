"""One transaction on a PostGIS park: reading rows as WKB, writing them with ``COPY``.

Rows go in with ``COPY`` in its text format (inserts directly; updates through a temporary
table and one ``UPDATE … FROM``, each only if the row is still at the version before the
new one), geometries as hex EWKB (WKB with the SRID), and come out with ``ST_AsBinary``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, LiteralString

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from planner.config import ParkConfig
from planner.errors import Problem, StoreError, ValidationError, VersionConflictError
from planner.store.layers import LAYERS, LayerSpec, layer_frame
from planner.store.postgis_schema import GEOM, write_config_rows
from planner.store.session import Session

__all__ = ["PostGISSession", "scalar"]

_COPY_BATCH_ROWS = 20_000


def scalar(conn: psycopg.Connection, query: sql.Composed | LiteralString, params: Sequence[Any] = ()) -> Any:
    """The one value of a query that answers one row (``count(*)``, ``max(…)``, ``to_regclass(…)``)."""
    row = conn.execute(query, params).fetchone()
    if row is None:  # an aggregate always answers a row
        msg = "the database answered no row to a query that always has one"
        raise StoreError(msg)
    return row[0]


class PostGISSession(Session):
    """The reads and writes of one transaction on a park's schema (rows in with ``COPY``, out as WKB)."""

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
        """Rows of ``layer`` from the GiST index (``bbox``) and the id index (``ids``), in ``fid`` order."""
        spec = LAYERS[layer]
        query = sql.SQL("SELECT ST_AsBinary({g}), {cols} FROM {t}").format(
            g=sql.Identifier(GEOM),
            cols=sql.SQL(", ").join(map(sql.Identifier, spec.columns)),
            t=self._table(layer),
        )
        where: list[sql.Composable] = []
        params: list[object] = []
        if bbox is not None:
            where.append(sql.SQL("{} && ST_MakeEnvelope(%s, %s, %s, %s, %s)").format(sql.Identifier(GEOM)))
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
        """The number of rows in ``layer``."""
        return int(scalar(self.conn, sql.SQL("SELECT count(*) FROM {}").format(self._table(layer))))

    def last_change(self) -> int:
        """The newest ``history_id`` (0 for none)."""
        query = sql.SQL("SELECT coalesce(max(history_id), 0) FROM {}").format(self._table("history"))
        return int(scalar(self.conn, query))

    def changes_since(self, history_id: int, *, with_changes: bool = False) -> pd.DataFrame:
        """The history rows newer than ``history_id``: id, layer, feature id, action (and changes, JSON text)."""
        columns = ["history_id", "layer", "feature_id", "action"]
        template = sql.SQL(
            "SELECT history_id, layer, feature_id, action{} FROM {} WHERE history_id > %s ORDER BY history_id"
        )
        query = template.format(sql.SQL(", changes::text" if with_changes else ""), self._table("history"))
        rows = self.conn.execute(query, (history_id,)).fetchall()
        return pd.DataFrame(rows, columns=[*columns, *(["changes"] if with_changes else [])])

    # writing
    def _copy(self, table: sql.Composable, spec: LayerSpec, rows: gpd.GeoDataFrame) -> None:
        """``COPY`` the rows (geometry and every column of ``spec``) into ``table``, in batches."""
        names = sql.SQL(", ").join(map(sql.Identifier, [GEOM, *spec.columns]))
        with self.conn.cursor() as cur, cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(table, names)) as copy:
            for start in range(0, len(rows), _COPY_BATCH_ROWS):
                copy.write(_copy_text(spec, rows.iloc[start : start + _COPY_BATCH_ROWS], self.srid))

    def insert(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        """``COPY`` the rows into ``layer``."""
        self._copy(self._table(layer), LAYERS[layer], rows)

    def update(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        """Replace stored rows, each only if it is still at the version before the new one."""
        spec = LAYERS[layer]
        key = sql.Identifier(spec.id_column)
        stage = sql.Identifier("_planner_stage")
        columns = [GEOM, *spec.columns]
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
            current: dict[str, int | None] = dict(
                self.conn.execute(
                    sql.SQL("SELECT {k}, version FROM {t} WHERE {k} = ANY(%s::text[])").format(
                        k=key, t=self._table(layer)
                    ),
                    ([str(i) for i in stale[spec.id_column]],),
                ).fetchall()
            )
            conflicts = [
                (str(fid), int(v) - 1, int(current.get(fid) or 0))
                for fid, v in zip(stale[spec.id_column], stale["version"], strict=True)
            ]
            first, *more = conflicts
            raise VersionConflictError(*first, more=more)
        self.conn.execute(sql.SQL("DROP TABLE {}").format(stage))

    def set_values(self, layer: str, feature_id: str, values: pd.DataFrame, *, version: int | None) -> bool:
        """One ``UPDATE`` of the columns of ``values`` on one feature, if it is at ``version`` (a row lock, no more)."""
        spec = LAYERS[layer]
        query = sql.SQL("UPDATE {t} SET {sets} WHERE {key} = %s AND version IS NOT DISTINCT FROM %s").format(
            t=self._table(layer),
            sets=sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in values.columns),
            key=sql.Identifier(spec.id_column),
        )
        params = [_python_value(values[c].iloc[0], spec.by_name[c].kind) for c in values.columns]
        return self.conn.execute(query, [*params, feature_id, version]).rowcount == 1

    def set_rows(self, layer: str, rows: pd.DataFrame, *, versions: pd.Series) -> int:
        """One ``UPDATE`` run for every row (``executemany``, pipelined), each only if the row is at its version."""
        spec = LAYERS[layer]
        key, names = rows.columns[0], list(rows.columns[1:])
        query = sql.SQL("UPDATE {t} SET {sets} WHERE {key} = %s AND version IS NOT DISTINCT FROM %s").format(
            t=self._table(layer),
            sets=sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in names),
            key=sql.Identifier(spec.id_column),
        )
        columns = [[_python_value(v, spec.by_name[c].kind) for v in rows[c].tolist()] for c in names]
        columns += [[str(v) for v in rows[key]], [_python_value(v, "int") for v in versions.tolist()]]
        with self.conn.cursor() as cursor:
            cursor.executemany(query, list(zip(*columns, strict=True)))
            return cursor.rowcount

    def delete(self, layer: str, ids: Sequence[str]) -> None:
        """Delete the rows of ``layer`` with these ids."""
        spec = LAYERS[layer]
        self.conn.execute(
            sql.SQL("DELETE FROM {} WHERE {} = ANY(%s::text[])").format(
                self._table(layer), sql.Identifier(spec.id_column)
            ),
            ([str(i) for i in ids],),
        )

    def add_history(self, records: pd.DataFrame) -> None:
        """``COPY`` history rows into the ``history`` table."""
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

    def history(self, *, layer: str | None, feature_id: str | None, parse: bool = True, since: int = 0) -> pd.DataFrame:
        """History rows after ``since``, oldest first (``changes`` parsed by psycopg; text with ``parse=False``)."""
        changes = sql.SQL("changes" if parse else "changes::text")  # psycopg parses json values
        query = sql.SQL(
            "SELECT history_id, changed_at, changed_by, layer, feature_id, action, version, {} FROM {}"
        ).format(changes, self._table("history"))
        where, params = [sql.SQL("history_id > %s")], list[object]([int(since)])
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
        """The park's configuration from ``park_config``."""
        rows = self.conn.execute(sql.SQL("SELECT key, value FROM {}").format(self._table("park_config"))).fetchall()
        return ParkConfig.from_dict(dict(rows))

    def write_config(self, config: ParkConfig) -> None:
        """Replace the rows of ``park_config``."""
        write_config_rows(self.conn, self.schema_name, config)

    def read_metadata(self) -> dict[str, Any]:
        """The metadata keys and values, in the order they were first set."""
        query = sql.SQL("SELECT key, value FROM {} ORDER BY id").format(self._table("park_metadata"))
        return dict(self.conn.execute(query).fetchall())

    def write_metadata(self, values: Mapping[str, Any]) -> None:
        """Insert or update metadata keys (JSONB values)."""
        with self.conn.cursor() as cur:
            cur.executemany(
                sql.SQL(
                    "INSERT INTO {} (key, value) VALUES (%s, %s::jsonb) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ).format(self._table("park_metadata")),
                [(k, json.dumps(v, ensure_ascii=False, allow_nan=False)) for k, v in values.items()],
            )


_NULL = "\\N"


def _python_value(value: Any, kind: str) -> Any:
    """One canonical value as psycopg sends it: None for missing, dates as ``date``, times as ``datetime``."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "datetime":
        return pd.Timestamp(value).to_pydatetime()
    converters: dict[str, Any] = {"float": float, "int": int, "bool": bool, "str": str}
    return converters[kind](value)


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
                    zh="文本含空字符（\\x00），PostgreSQL 无法保存：请删去",
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
