"""A park's layers kept in memory between reads, current at a change stamp, refreshed by what the history names.

An analysis run again after every edit (readiness) would read the whole park each time: 3 s at
100,000 parcels, for an edit of one row. :class:`KeptLayers` keeps the layers it read of one open
store together with the change stamp (the newest history id) taken *before* reading them. The
next read takes the stamp again, one index lookup; if it moved, the history rows after the kept
stamp say which features changed (edits by this process, another process, QGIS or plain SQL alike:
the triggers write their rows), and only those parcels are read again, by id, and put in place of
the kept rows (:func:`planner.frames.spliced`). A layer other than the parcels that any row
touched is read again whole (they are small beside the parcels, and read only when touched).

The result is what a full read gives, row for row, in the same order and dtypes: parcels are
read in ``fid`` order, which an update keeps; an insert or a delete of a parcel, many parcels
changed at once, a history that no longer reaches the kept stamp, or a part whose dtypes differ
from the kept frame's are answered by a full read instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.frames import spliced

if TYPE_CHECKING:
    from planner.store.base import ParkStore

__all__ = ["FULL_READ_SHARE", "KeptLayers", "KeptRows"]

FULL_READ_SHARE = 0.2
"""Read the parcels whole again when more than this share of them changed."""


class KeptLayers:
    """The layers of one open store as last read, and the change stamp they are current at."""

    def __init__(self) -> None:
        self.stamp: int | None = None
        """The change stamp taken before the kept frames were read (or refreshed)."""
        self.frames: dict[str, gpd.GeoDataFrame] = {}
        self.full_reads: dict[str, int] = {}
        """How many times each layer was read whole (for tests and benchmarks)."""
        self.rows_read = 0
        """Parcels read again by id, in all refreshes."""
        self._tracked: dict[str, set[str] | None] = {}
        self._ids: tuple[gpd.GeoDataFrame, pd.Index] | None = None
        """The kept parcels frame and the index of its ids (the same while rows are only updated in place)."""
        self._lock = threading.Lock()

    def track(self, key: str) -> None:
        """From now on, gather under ``key`` the ids of the parcels any change reaches (:meth:`changed_ids`)."""
        with self._lock:
            self._tracked[key] = set()

    def changed_ids(self, key: str) -> set[str] | None:
        """The parcels changed since :meth:`track` was last called for ``key`` (by any writer but this one's
        :meth:`wrote`); None when not known (never tracked, or the parcels were read whole since)."""
        with self._lock:
            ids = self._tracked.get(key)
            return None if ids is None else set(ids)

    def read(self, store: ParkStore, names: Iterable[str]) -> dict[str, gpd.GeoDataFrame]:
        """The layers ``names`` of ``store`` as stored now (each one a frame the caller may change: a lazy copy)."""
        names = list(names)
        with self._lock:
            stamp = store.change_stamp()
            if self.stamp is not None and stamp != self.stamp:
                self._follow(store, stamp)
            self.stamp = stamp
            for name in names:
                if name not in self.frames:
                    if name == "parcels":
                        self._tracked = dict.fromkeys(self._tracked)
                    self.frames[name] = store.read_layer(name)
                    self.full_reads[name] = self.full_reads.get(name, 0) + 1
            return {name: self.frames[name].copy(deep=False) for name in names}

    def wrote(
        self, written: gpd.GeoDataFrame | None, stamps: tuple[int, int] | None, *, track: str | None = None
    ) -> None:
        """Take in this process's own write of parcel rows (``written``, as stored), made between ``stamps``.

        When the kept frames were current just before it (nobody wrote in between), the rows are put
        in place and the stamp moves past the write: the next read reads none of them again; and
        ``track`` (a key of :meth:`track`) starts gathering the changes after it, at once.
        Otherwise nothing is done, and the next read re-reads them like any change.
        """
        with self._lock:
            parcels = self.frames.get("parcels")
            if stamps is None or self.stamp != stamps[0] or parcels is None:
                return
            if written is not None and len(written):
                at = self._positions(parcels, written["parcel_id"])
                frame = None if (at < 0).any() else self._spliced(parcels, at, written)
                if frame is None:
                    return
                self.frames["parcels"] = frame
            self.stamp = stamps[1]
            if track is not None:
                self._tracked[track] = set()

    def _positions(self, parcels: gpd.GeoDataFrame, ids: pd.Series) -> np.ndarray:
        """Where the parcels ``ids`` are in ``parcels`` (-1: not there); the ids' index is kept while rows stay put."""
        if self._ids is None or self._ids[0] is not parcels:
            self._ids = (parcels, pd.Index(parcels["parcel_id"].to_numpy(dtype=object)))
        return self._ids[1].get_indexer(np.asarray(ids, dtype=object))

    def _spliced(self, parcels: gpd.GeoDataFrame, at: np.ndarray, part: pd.DataFrame) -> gpd.GeoDataFrame | None:
        """``parcels`` with the rows at ``at`` replaced by ``part`` (the same ids: their index is kept)."""
        frame = spliced(pd.DataFrame(parcels), at, pd.DataFrame(part))
        if frame is None:
            return None
        out = gpd.GeoDataFrame(frame, geometry="geometry", crs=parcels.crs)
        if self._ids is not None and self._ids[0] is parcels:
            self._ids = (out, self._ids[1])
        return out

    def forget(self) -> None:
        """Drop every kept frame (the next read reads them whole)."""
        with self._lock:
            self.frames.clear()
            self.stamp = None
            self._tracked = dict.fromkeys(self._tracked)

    def _follow(self, store: ParkStore, stamp: int) -> None:
        """Bring the kept frames from :attr:`stamp` to ``stamp``: changed parcels read again, touched layers dropped."""
        assert self.stamp is not None
        changes = store.changes_since(self.stamp) if stamp > self.stamp else pd.DataFrame()
        if changes.empty:  # the stamp went back, or the history rows it names are gone: nothing can be trusted
            self.frames.clear()
            self._tracked = dict.fromkeys(self._tracked)
            return
        touched = set(changes["layer"].dropna())
        for name in touched - {"parcels"}:
            self.frames.pop(name, None)
        parcels = self.frames.get("parcels")
        if "parcels" not in touched or parcels is None:
            return
        rows = changes[changes["layer"] == "parcels"]
        ids = rows["feature_id"].dropna().astype(str).unique()
        for gathered in self._tracked.values():
            if gathered is not None:
                gathered.update(ids.tolist())
        fresh = None
        if (rows["action"] == "update").all() and len(ids) <= FULL_READ_SHARE * max(len(parcels), 1):
            fresh = self._refreshed(store, parcels, ids)
        if fresh is None:
            del self.frames["parcels"]
        else:
            self.frames["parcels"] = fresh

    def _refreshed(self, store: ParkStore, parcels: gpd.GeoDataFrame, ids: np.ndarray) -> gpd.GeoDataFrame | None:
        """``parcels`` with the rows of ``ids`` read again; None where a full read must answer instead."""
        part = store.read_parcels(parcel_ids=list(ids))
        self.rows_read += len(part)
        at = self._positions(parcels, part["parcel_id"])
        if len(part) != len(ids) or (at < 0).any():  # a parcel gone or come without a history row saying so
            return None
        return self._spliced(parcels, at, part)


class KeptRows:
    """A table of one row per parcel (index ``parcel_id``) kept with the shapes it was made from.

    :meth:`get` makes it again only for the parcels whose shape changed since (exactly: any vertex),
    when the ``key`` of what else it depends on (a file's path, size and time) is the same; a table of
    per-parcel results, each depending on its parcel's shape alone (the terrain from a DEM).
    """

    def __init__(self) -> None:
        self._key: object = None
        self._ids: np.ndarray | None = None
        self._shapes: np.ndarray | None = None
        self._table: pd.DataFrame | None = None
        self.made = 0
        """Parcels the table was made for, in all calls (for tests and benchmarks)."""

    def get(
        self, key: object, parcels: gpd.GeoDataFrame, make: Callable[[gpd.GeoDataFrame], pd.DataFrame]
    ) -> pd.DataFrame:
        """``make(parcels)``, made again only for the parcels whose shape changed since the last call."""
        ids, shapes = parcels["parcel_id"].to_numpy(dtype=object), parcels.geometry.to_numpy()
        table = None
        old_ids, old_shapes = self._ids, self._shapes
        same = self._table is not None and self._key == key and old_ids is not None and old_shapes is not None
        if same and old_ids is not None and len(ids) == len(old_ids) and (ids == old_ids).all():
            moved = np.flatnonzero(~shapely.equals_exact(shapes, old_shapes, tolerance=0.0))
            table = self._table if not len(moved) else self._again(parcels, moved, make)
        if table is None:
            table = make(parcels)
            self.made += len(parcels)
        self._key, self._ids, self._shapes, self._table = key, ids, shapes, table
        return table.copy(deep=False)

    def _again(
        self, parcels: gpd.GeoDataFrame, moved: np.ndarray, make: Callable[[gpd.GeoDataFrame], pd.DataFrame]
    ) -> pd.DataFrame | None:
        assert self._table is not None
        part = make(parcels.iloc[moved])
        self.made += len(moved)
        at = self._table.index.get_indexer(part.index)
        if len(part) != len(moved) or (at < 0).any():
            return None
        return spliced(self._table, at, part)
