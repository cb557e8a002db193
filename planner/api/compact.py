"""``/parcels`` on a GeoPackage without holding the park: compact columns, SQLite's R-tree, the page read by id.

A server over a GeoPackage keeps of the park only what the filters and sorts test, as numpy
arrays (:class:`CompactParcels`): ``parcel_id`` (sorted, fixed-width text; positions are in its order),
``area_mu``, ready and idle as booleans, and ``status``, ``industry``, ``zone_industries``,
``land_use`` and ``name`` as integer codes into their distinct values (a filter tests each
distinct value once, then the codes), ``updated_at`` as nanoseconds. That is about 60 bytes
a parcel beside its id, where the loaded park took about 4 KiB. A box is found with the
GeoPackage's R-tree and decided on the candidates' shapes read for it; the page's rows
(all columns, the polygons) are read by id and written as the loaded park's answer is
(:class:`~planner.api.rows.Rows`), so both give the same bytes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import shapely

from planner.api.rows import geojson_geometries
from planner.fields import coerce_types
from planner.parcels.query import ParcelFilters, industry_prefixes
from planner.store.geopackage import GeoPackageStore
from planner.store.gpkg_format import decode_geometries
from planner.store.layers import LAYERS

__all__ = ["COMPACT_COLUMNS", "CompactParcels", "ParcelFeatures"]

COMPACT_COLUMNS = ("area_mu", "ready", "idle_rule", "status", "industry", "zone_industries", "land_use", "name",
                   "updated_at")  # fmt: skip
"""The columns the filters and sorts of ``/parcels`` read."""
_MISSING = -1
_CODED = ("status", "industry", "zone_industries", "land_use", "name")
_CHUNK = 50_000
"""Rows read and converted at a time when the columns are built."""
_FOUND_KEPT_BYTES = 16 * 2**20
"""The most bytes of positions kept of questions asked (:meth:`CompactParcels.found`)."""
_FOLLOW_SHARE = 0.2
"""Build the columns again when more than this share of the parcels changed."""


def _plain_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns kept as plain arrays, by their names in :class:`CompactParcels`."""
    updated = frame["updated_at"]
    return {
        "area_mu": frame["area_mu"].to_numpy(dtype=float, na_value=np.nan),
        "ready": frame["ready"].astype("boolean").fillna(False).to_numpy(dtype=bool),
        "idle": frame["idle_rule"].notna().to_numpy(dtype=bool),
        "updated_ns": updated.to_numpy(dtype="datetime64[ns]").view(np.int64),
        "updated_missing": updated.isna().to_numpy(dtype=bool),
    }


@dataclass(frozen=True)
class _Coded:
    """A text column as codes into its distinct values (``-1``: missing)."""

    codes: np.ndarray
    uniques: np.ndarray

    @classmethod
    def of(cls, values: pd.Series) -> _Coded:
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        return cls(codes.astype(np.int32), np.asarray(uniques, dtype=object))

    def where(self, test: np.ndarray | list[bool]) -> np.ndarray:
        """Rows whose value passes ``test`` (one boolean per distinct value); missing values never do."""
        ok = np.append(np.asarray(test, dtype=bool), False)  # code -1 takes the last: False
        return ok[self.codes]

    def codes_of(self, values: pd.Series) -> tuple[np.ndarray, _Coded]:
        """Codes of ``values`` into these distinct values, and the column with any new ones appended."""
        known = {v: k for k, v in enumerate(self.uniques)}
        uniques = list(self.uniques)
        codes = np.empty(len(values), dtype=np.int32)
        for i, v in enumerate(values.astype(object)):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                codes[i] = _MISSING
                continue
            if v not in known:
                known[v] = len(uniques)
                uniques.append(v)
            codes[i] = known[v]
        return codes, _Coded(self.codes, np.asarray(uniques, dtype=object))

    def ranks(self) -> np.ndarray:
        """Each row's place in the order of the values (code points, as Python sorts); missing: -1."""
        order = np.argsort(self.uniques.astype(str), kind="stable") if len(self.uniques) else np.array([], int)
        rank = np.empty(len(self.uniques), dtype=np.int64)
        rank[order] = np.arange(len(self.uniques))
        return np.append(rank, -1)[self.codes]


class _Coder:
    """Codes of a text column read a chunk at a time: each chunk's distinct values given the column's codes."""

    def __init__(self) -> None:
        self.known: dict[Any, int] = {}
        self.parts: list[np.ndarray] = []

    def add(self, values: pd.Series) -> None:
        codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
        known = self.known
        mapping = np.array([known.setdefault(u, len(known)) for u in uniques] + [_MISSING], dtype=np.int32)
        self.parts.append(mapping[codes])  # code -1 takes the last: missing

    def coded(self) -> _Coded:
        codes = np.concatenate(self.parts) if self.parts else np.array([], dtype=np.int32)
        return _Coded(codes, np.array(list(self.known), dtype=object))


def _id_array(ids: list[str]) -> np.ndarray:
    """Parcel ids as one fixed-width numpy text array (no Python object per id; numpy orders by code point)."""
    return np.array(ids, dtype=str) if ids else np.array([], dtype="<U1")


def _converted(rows: list[tuple], names: list[str], bools: list[str]) -> pd.DataFrame:
    """Rows as read from SQLite in the store's canonical dtypes (as :func:`planner.store.columns.parcel_columns`)."""
    data = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(names, data, strict=True)})
    for c in bools:
        frame[c] = [None if v is None else bool(v) for v in frame[c]]  # SQLite's 0/1
    return coerce_types(frame, LAYERS["parcels"].by_name)


def _read_columns(
    store: GeoPackageStore,
) -> tuple[int, np.ndarray, dict[str, np.ndarray], dict[str, _Coded]]:
    """The change stamp, the sorted ids, the plain arrays and the coded columns of every parcel, in one snapshot.

    Read :data:`_CHUNK` rows at a time and each chunk converted as :func:`planner.store.columns.parcel_columns`
    converts the whole (the store's canonical dtypes), so that a million parcels never stand as ten million
    Python objects at once. SQLite's ``ORDER BY`` compares text by its UTF-8 bytes: code points, as Python sorts.
    """
    names = ["parcel_id", *COMPACT_COLUMNS]
    bools = [c for c in names if LAYERS["parcels"].by_name[c].kind == "bool"]
    cols = ", ".join(f'"{c}"' for c in names)

    def read() -> tuple[int, list[np.ndarray], dict[str, list[np.ndarray]], dict[str, _Coder]]:
        ids: list[np.ndarray] = []
        plain: dict[str, list[np.ndarray]] = {}
        coders = {c: _Coder() for c in _CODED}
        conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN")  # one snapshot: the stamp and the rows
            (stamp,) = conn.execute("SELECT coalesce(max(history_id), 0) FROM history").fetchone()
            cursor = conn.execute(f'SELECT {cols} FROM "parcels" ORDER BY "parcel_id"')
            while rows := cursor.fetchmany(_CHUNK):
                frame = _converted(rows, names, bools)
                ids.append(_id_array(frame["parcel_id"].tolist()))
                for name, values in _plain_arrays(frame).items():
                    plain.setdefault(name, []).append(values)
                for c in _CODED:
                    coders[c].add(frame[c])
            conn.execute("COMMIT")
        finally:
            conn.close()
        return int(stamp), ids, plain, coders

    stamp, ids, plain, coders = store.read_parcels_only(read)  # a hot journal rolled back first
    if not ids:  # an empty park: the arrays of an empty frame
        empty = _converted([], names, bools)
        ids, plain = [_id_array([])], {k: [v] for k, v in _plain_arrays(empty).items()}
    arrays = {k: np.concatenate(v) for k, v in plain.items()}
    return int(stamp), np.concatenate(ids), arrays, {c: coder.coded() for c, coder in coders.items()}


def _read_changed(
    store: GeoPackageStore, since: int, changed: list[str], conn: sqlite3.Connection
) -> tuple[int, list[str], pd.DataFrame]:
    """In one snapshot: the change stamp, the parcels ``changed`` and those the history names after ``since``
    (sorted ids), and the compact columns of those of them stored (as :func:`_read_columns` converts them)."""
    names = ["parcel_id", *COMPACT_COLUMNS]
    bools = [c for c in names if LAYERS["parcels"].by_name[c].kind == "bool"]
    cols = ", ".join(f'"{c}"' for c in names)

    def read() -> tuple[int, list[str], list[tuple]]:
        conn.execute("BEGIN")
        try:
            (stamp,) = conn.execute("SELECT coalesce(max(history_id), 0) FROM history").fetchone()
            named = conn.execute(
                "SELECT DISTINCT feature_id FROM history WHERE history_id > ? AND layer = 'parcels' "
                "AND feature_id IS NOT NULL",
                (since,),
            ).fetchall()
            ids = sorted({*changed, *(str(r[0]) for r in named)})
            rows = conn.execute(
                f'SELECT {cols} FROM "parcels" WHERE "parcel_id" IN (SELECT value FROM json_each(?)) '
                'ORDER BY "parcel_id"',
                (json.dumps(ids),),
            ).fetchall()
        finally:
            conn.execute("ROLLBACK")
        return stamp, ids, rows

    stamp, ids, rows = store.read_parcels_only(read)  # a hot journal rolled back first
    return int(stamp), ids, _converted(rows, names, bools)


class CompactParcels:
    """The filter and sort columns of a GeoPackage park at one change stamp (see the module notes)."""

    def __init__(self, store: GeoPackageStore):
        self.store = store
        self.stamp, self.parcel_id, plain, self.coded = _read_columns(store)
        for name, values in plain.items():
            setattr(self, name, values)
        self._ranks: dict[str, np.ndarray] = {}
        self.features = ParcelFeatures.of(store)
        self.crs_epsg = self.features.crs_epsg
        self._found: OrderedDict[str, np.ndarray] = OrderedDict()
        self._found_lock = threading.Lock()

    area_mu: np.ndarray
    ready: np.ndarray
    idle: np.ndarray
    updated_ns: np.ndarray
    updated_missing: np.ndarray

    def refresh(self, parcels: object, changed: list[str], stamp: int) -> bool:
        """Follow an edit: the rows of the parcels changed since the columns' stamp read again and put in place
        (new ones inserted in ``parcel_id`` order, removed ones dropped). False (build again) when many changed.

        The parcels ``changed`` (up to ``stamp``) and those the history names after the columns' own stamp are
        read in one snapshot with the history, so the columns are current at that snapshot's stamp, which may
        be past ``stamp`` when edits keep coming (the usual case under load)."""
        if len(changed) > _FOLLOW_SHARE * max(len(self), 1):
            return False
        read_at, ids, fresh = _read_changed(self.store, self.stamp, changed, self.features.conn())
        if read_at < stamp or len(ids) > _FOLLOW_SHARE * max(len(self), 1):
            return False  # the history went back, or too many changed
        self._put(ids, fresh, read_at)
        return True

    def _put(self, changed: list[str], fresh: pd.DataFrame, stamp: int) -> None:
        """The rows ``fresh`` (read at ``stamp``) in place of the parcels ``changed`` (sorted ids)."""
        ids = _id_array(changed)
        at = np.searchsorted(self.parcel_id, ids)
        held = at < len(self)
        held[held] = self.parcel_id[at[held]] == ids[held]
        drop = at[held]
        new_ids = _id_array(fresh["parcel_id"].tolist())
        kept_ids = np.delete(self.parcel_id, drop).astype(np.result_type(self.parcel_id, new_ids))  # wide enough
        into = np.searchsorted(kept_ids, new_ids)
        self.parcel_id = np.insert(kept_ids, into, new_ids)
        for name, values in _plain_arrays(fresh).items():
            setattr(self, name, np.insert(np.delete(getattr(self, name), drop), into, values))
        for column in _CODED:
            codes, grown = self.coded[column].codes_of(fresh[column])
            self.coded[column] = _Coded(np.insert(np.delete(grown.codes, drop), into, codes), grown.uniques)
        self._ranks.clear()
        self._found.clear()
        self.stamp = stamp

    def found(self, given: ParcelFilters, area_wkb: bytes | None, sort: str) -> np.ndarray:
        """The positions of the parcels meeting normalised filters ``given`` and the box ``area_wkb`` (park CRS), in
        the order of ``sort``; kept for the next pages and requests of the same question while the columns are
        current (up to :data:`_FOUND_KEPT_BYTES` of positions)."""
        key = repr((sorted(given.items()), area_wkb, sort))
        kept = self._found.get(key)
        if kept is not None:
            return kept
        found = np.flatnonzero(self.mask(given))
        if area_wkb is not None and len(found):
            found = np.intersect1d(found, self.within(shapely.from_wkb(area_wkb)), assume_unique=True)
        found = self.sorted(found, sort)
        with self._found_lock:
            while self._found and sum(v.nbytes for v in self._found.values()) + found.nbytes > _FOUND_KEPT_BYTES:
                self._found.popitem(last=False)
            if found.nbytes <= _FOUND_KEPT_BYTES:
                self._found[key] = found
        return found

    def _conn(self) -> sqlite3.Connection:
        return self.features.conn()

    def __len__(self) -> int:
        return len(self.parcel_id)

    def nbytes(self) -> int:
        """The bytes of the arrays (the ids as fixed-width text)."""
        arrays = [self.parcel_id, self.area_mu, self.ready, self.idle, self.updated_ns, self.updated_missing]
        arrays += [c.codes for c in self.coded.values()]
        return sum(a.nbytes for a in arrays)

    # -- filters ----------------------------------------------------------------------------------------------

    def mask(self, filters: ParcelFilters) -> np.ndarray:
        """The parcels that meet normalised ``filters`` (as :func:`planner.parcels.query.parcel_filter_mask`)."""
        keep = np.ones(len(self), dtype=bool)
        if filters.get("min_area_mu") is not None:
            keep &= self.area_mu >= float(filters["min_area_mu"])  # type: ignore[arg-type]
        if filters.get("max_area_mu") is not None:
            keep &= self.area_mu <= float(filters["max_area_mu"])  # type: ignore[arg-type]
        if filters.get("ready") is not None:
            keep &= self.ready == bool(filters["ready"])
        if filters.get("idle") is not None:
            keep &= self.idle == bool(filters["idle"])
        if filters.get("status") is not None:
            status = self.coded["status"]
            keep &= status.where(np.isin(status.uniques, list(filters["status"])))  # type: ignore[arg-type]
        if filters.get("industry") is not None:
            code = str(filters["industry"])
            held = self.coded["industry"]
            zone = self.coded["zone_industries"]
            pattern = re.compile(rf"(?:^|,)\s*(?:{'|'.join(re.escape(p) for p in industry_prefixes(code))})\s*(?:,|$)")
            keep &= held.where([str(v).startswith(code) for v in held.uniques]) | zone.where(
                [pattern.search(str(v)) is not None for v in zone.uniques]
            )
        if filters.get("land_use") is not None:
            land_use = self.coded["land_use"]
            keep &= land_use.where([str(v).startswith(str(filters["land_use"])) for v in land_use.uniques])
        return keep

    def within(self, area: shapely.Geometry) -> np.ndarray:
        """Positions of the parcels meeting ``area`` (park CRS): the R-tree's candidates, then their shapes."""
        minx, miny, maxx, maxy = area.bounds
        query = (
            'SELECT t."parcel_id", t."geom" FROM "parcels" t JOIN "rtree_parcels_geom" r ON r.id = t.fid '
            "WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?"
        )
        # a hot journal rolled back first
        rows = self.store.read_parcels_only(lambda: self._conn().execute(query, (minx, maxx, miny, maxy)).fetchall())
        if not rows or not len(self):
            return np.array([], dtype=np.intp)
        ids, blobs = zip(*rows, strict=True)
        hit_ids = _id_array(list(ids))[shapely.intersects(decode_geometries(blobs), area)]
        found = np.searchsorted(self.parcel_id, hit_ids)
        known = found < len(self)
        known[known] = self.parcel_id[found[known]] == hit_ids[known]  # a parcel written since is not here yet
        return np.sort(found[known])

    # -- sorting and pages ------------------------------------------------------------------------------------

    def _key(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """The sort key's values (numbers) and where they are missing."""
        if key == "area_mu":
            return self.area_mu, np.isnan(self.area_mu)
        if key == "updated_at":
            return self.updated_ns, self.updated_missing
        if key not in self._ranks:
            self._ranks[key] = self.coded[key].ranks()
        ranks = self._ranks[key]
        return ranks, ranks < 0

    def sorted(self, found: np.ndarray, sort: str) -> np.ndarray:
        """The positions ``found`` in the order of ``sort`` (``-``: descending), missing last, ties by ``parcel_id``."""
        key = sort.lstrip("-")
        descending = sort.startswith("-")
        if key == "parcel_id":
            return found[::-1] if descending else found
        values, missing = self._key(key)
        v, m = values[found], missing[found]
        signed = -v.astype(float) if descending and key == "area_mu" else (-v if descending else v)
        signed = np.where(m, 0, signed)
        order = np.lexsort((found, signed, m))
        ordered: np.ndarray = found[order]
        return ordered

    def page_features(self, at: np.ndarray) -> list[dict[str, Any]]:
        """The GeoJSON features of the parcels at positions ``at``, in that order (:meth:`ParcelFeatures.read`)."""
        return self.features.read(self.parcel_id[at].tolist())


class ParcelFeatures:
    """Parcels of a GeoPackage park read by id as GeoJSON features, without a frame: one per store (:meth:`of`).

    Each column's value is written as :class:`~planner.api.rows.Rows` writes it of the loaded park
    (:func:`plain` of the canonical dtype), the polygon as RFC 7946. Read by id in one statement; SQLite
    makes the floats REAL and drops the infinite ones (missing, as in the loaded park), the other kinds are
    converted a column at a time (a distinct date or time once), where a frame would cost pandas' work per
    column. It holds nothing of the park's state: every read is of the rows as stored then.
    """

    def __init__(self, store: GeoPackageStore):
        self.store = store
        self.crs_epsg = store.config().crs_epsg
        self._columns = tuple(LAYERS["parcels"].columns)
        self._makers = [_VALUE[LAYERS["parcels"].by_name[c].kind] for c in self._columns]
        self._local = threading.local()

    @classmethod
    def of(cls, store: GeoPackageStore) -> ParcelFeatures:
        """The reader of ``store``'s parcels, made once per open store."""
        with _READERS_LOCK:
            reader = _READERS.get(store)
            if reader is None:
                reader = _READERS[store] = cls(store)
            return reader

    def conn(self) -> sqlite3.Connection:
        """This thread's read-only connection to the park (kept: opening one costs more than a page's read)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.store.path}?mode=ro", uri=True, timeout=30, check_same_thread=False)
            self._local.conn = conn
        return conn

    def read(self, ids: list[str]) -> list[dict[str, Any]]:
        """The features of the parcels ``ids``, in that order; a parcel not stored is left out."""
        if not ids:
            return []
        columns = self._columns
        query = _page_query(columns, len(ids))
        rows = self.store.read_parcels_only(lambda: self.conn().execute(query, ids).fetchall())  # after a hot journal
        at_id = columns.index("parcel_id") + 1
        by_id = {r[at_id]: r for r in rows}
        ordered = [by_id[i] for i in ids if i in by_id]
        if not ordered:
            return []
        geometries = geojson_geometries(decode_geometries([r[0] for r in ordered]), self.crs_epsg)
        values = list(zip(*ordered, strict=True))[1:]
        converted = [convert(list(v)) for convert, v in zip(self._makers, values, strict=True)]
        return [
            {"type": "Feature", "id": props["parcel_id"], "geometry": geometry, "properties": props}
            for geometry, props in zip(
                geometries, (dict(zip(columns, row, strict=True)) for row in zip(*converted, strict=True)), strict=True
            )
        ]


_READERS: weakref.WeakKeyDictionary[GeoPackageStore, ParcelFeatures] = weakref.WeakKeyDictionary()
_READERS_LOCK = threading.Lock()


@lru_cache(maxsize=64)
def _page_query(columns: tuple[str, ...], count: int) -> str:
    """The statement reading ``count`` parcels by id: the shape, then ``columns``, floats finite or NULL."""
    kinds = LAYERS["parcels"].by_name
    cols = ", ".join(
        f'CASE WHEN abs("{c}") < 9e999 THEN CAST("{c}" AS REAL) END' if kinds[c].kind == "float" else f'"{c}"'
        for c in columns
    )  # 9e999 is SQLite's infinity: NULL and ±inf fail the test; a whole number stored as an integer becomes REAL
    return f'SELECT "geom", {cols} FROM "parcels" WHERE "parcel_id" IN ({", ".join("?" * count)})'


@lru_cache(maxsize=4096)
def _date(v: Any) -> str | None:
    """A stored date as the loaded park's ``datetime64`` at midnight answers it: the date alone."""
    return None if v is None else datetime.fromisoformat(str(v)).date().isoformat()


@lru_cache(maxsize=4096)
def _datetime(v: Any) -> str | None:
    """A stored time as the loaded park's UTC ``datetime64`` answers it (a time without zone is UTC)."""
    if v is None:
        return None
    t = datetime.fromisoformat(str(v))
    return (t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)).isoformat()


_BOOL = {None: None, 0: False, 1: True}


def _ints(values: list[Any]) -> list[Any]:
    if all(type(v) is int or v is None for v in values):
        return values
    return [None if v is None else int(v) for v in values]


def _bools(values: list[Any]) -> list[Any]:
    try:
        return [_BOOL[v] for v in values]
    except (KeyError, TypeError):
        return [None if v is None else bool(v) for v in values]


_VALUE: dict[str, Callable[[list[Any]], list[Any]]] = {
    "str": lambda values: values,
    "float": lambda values: values,  # finite floats or NULL as read (see _page_query)
    "int": _ints,
    "bool": _bools,
    "date": lambda values: [_date(v) for v in values],
    "datetime": lambda values: [_datetime(v) for v in values],
}
"""Each kind of column: its stored values, a column of a page, as the answer writes them."""
