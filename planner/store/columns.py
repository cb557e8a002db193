"""A few parcel columns of the whole park, without the geometry, and the change stamp they were read at.

A server that must answer for the whole park (the per-mu classes of the tiles, statistics)
needs a handful of columns, not the 80 columns and the polygons of every parcel: this reads
only those, in one snapshot with the change stamp, sorted by ``parcel_id`` (code points, as
Python sorts), in the store's canonical dtypes — the same values ``read_parcels`` gives.
Bounding boxes in the park's CRS come from the spatial index's boxes where asked for
(``bounds``): PostGIS's ``ST_XMin`` … of each geometry's kept box, the GeoPackage's R-tree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import pandas as pd
from psycopg import sql

from planner.errors import StoreError
from planner.fields import coerce_types
from planner.store.base import ParkStore
from planner.store.geopackage import GeoPackageStore
from planner.store.layers import LAYERS
from planner.store.postgis import PostGISStore
from planner.store.postgis_schema import GEOM

__all__ = ["BOUNDS", "parcel_columns"]

BOUNDS = ("minx", "miny", "maxx", "maxy")
"""The names of the bounding-box columns :func:`parcel_columns` adds with ``bounds``."""


def parcel_columns(
    store: ParkStore, columns: Sequence[str], *, bounds: bool = False, parcel_ids: Sequence[str] | None = None
) -> tuple[int, pd.DataFrame]:
    """The change stamp and ``columns`` of every parcel (``parcel_id`` first, sorted by it), in one snapshot.

    ``bounds`` adds each parcel's bounding box in the park's CRS (``minx`` … ``maxy``, float);
    ``parcel_ids`` reads those parcels only (by the id's index).
    """
    fields = LAYERS["parcels"].by_name
    names = list(dict.fromkeys(["parcel_id", *columns]))
    unknown = [c for c in names if c not in fields or fields[c].kind == "geometry"]
    if unknown:
        msg = f"no parcel column(s) {unknown}"
        raise ValueError(msg)
    if isinstance(store, PostGISStore):
        stamp, rows = _postgis(store, names, bounds, parcel_ids)
    elif isinstance(store, GeoPackageStore):
        stamp, rows = _geopackage(store, names, bounds, parcel_ids)
    else:
        msg = f"cannot read columns of a {type(store).__name__}"
        raise TypeError(msg)
    every = [*names, *(BOUNDS if bounds else ())]
    data: list[tuple] = list(zip(*rows, strict=True)) if rows else [() for _ in every]
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(every, data, strict=True)})
    for c in names:
        if fields[c].kind == "bool":
            frame[c] = [None if v is None else bool(v) for v in frame[c]]  # SQLite's 0/1
    frame = coerce_types(frame, fields)
    for c in BOUNDS if bounds else ():
        frame[c] = frame[c].to_numpy(dtype=float)
    return stamp, frame


def _postgis(
    store: PostGISStore, names: list[str], bounds: bool, parcel_ids: Sequence[str] | None
) -> tuple[int, list[tuple]]:
    cols = [sql.SQL("p.{}").format(sql.Identifier(c)) for c in names]
    if bounds:
        g = sql.Identifier(GEOM)
        cols += [sql.SQL("{}(p.{})").format(sql.SQL(f), g) for f in ("ST_XMin", "ST_YMin", "ST_XMax", "ST_YMax")]
    where = sql.SQL("WHERE p.parcel_id = ANY(%s::text[])" if parcel_ids is not None else "")
    query = sql.SQL('SELECT {} FROM {}.parcels p {} ORDER BY p.parcel_id COLLATE "C"').format(
        sql.SQL(", ").join(cols), sql.Identifier(store.schema), where
    )
    stamp_query = sql.SQL("SELECT coalesce(max(history_id), 0) FROM {}.history").format(sql.Identifier(store.schema))
    conn = store.reader()
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            (stamp,) = conn.execute(stamp_query).fetchone() or (0,)
            rows = conn.execute(query, [list(map(str, parcel_ids))] if parcel_ids is not None else None).fetchall()
    except Exception as exc:
        msg = f"reading the parcels of {store.uri} failed ({exc})"
        raise StoreError(msg) from None
    return int(stamp), rows


def _geopackage(
    store: GeoPackageStore, names: list[str], bounds: bool, parcel_ids: Sequence[str] | None
) -> tuple[int, list[tuple]]:
    cols = ", ".join(f't."{c}"' for c in names)
    join = ""
    if bounds:
        cols += ", r.minx, r.miny, r.maxx, r.maxy"
        join = ' LEFT JOIN "rtree_parcels_geom" r ON r.id = t.fid'

    def read() -> tuple[int, list[tuple]]:
        conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN")  # one snapshot: the stamp and the rows
            (stamp,) = conn.execute("SELECT coalesce(max(history_id), 0) FROM history").fetchone()
            if parcel_ids is None:
                rows = conn.execute(f'SELECT {cols} FROM "parcels" t{join}').fetchall()
            else:
                rows = []
                ids = list(map(str, parcel_ids))
                for k in range(0, len(ids), 5000):
                    chunk = ids[k : k + 5000]
                    where = f' WHERE t."parcel_id" IN ({", ".join("?" * len(chunk))})'
                    rows += conn.execute(f'SELECT {cols} FROM "parcels" t{join}{where}', chunk).fetchall()
            conn.execute("COMMIT")
        finally:
            conn.close()
        return stamp, rows

    stamp, rows = store.read_parcels_only(read)  # a hot journal rolled back first
    rows.sort(key=lambda r: r[0])  # parcel_id by code point, as Python and PostGIS (COLLATE "C") sort
    return int(stamp), rows
