"""What the server keeps of each park between requests, and how it stays current.

A :class:`ParkState` holds the park's parcels in memory and the store's change stamp
(the newest history row). Before answering it reads the stamp — one index lookup, one
statement — and, if the stamp moved, re-reads only the features the history says
changed (a full reload when many did). So every answer reflects every committed write,
by this server or any other writer, and a quiet park costs no reading at all.

For each state of the parcels it also keeps, once, their columns as numpy arrays
(:meth:`ParkState.snapshot`): the ones the filters test, and the ones answers are made
of, so a request over a million parcels compares arrays and converts only its page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

import geopandas as gpd
import pandas as pd

from planner.api.recompute import Recomputes
from planner.api.rows import Rows
from planner.api.tilecache import TileCache
from planner.frames import spliced
from planner.parcels.query import FilterColumns
from planner.store.base import ParkStore

__all__ = ["ParkState", "Snapshot"]

T = TypeVar("T")

_FULL_RELOAD_SHARE = 0.2
"""Re-read everything when more than this share of the parcels changed."""


@dataclass
class ParkState:
    """One park the server answers for: its store and what is cached of it."""

    store: ParkStore
    park_id: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock)
    stamp: int = -1
    parcels: gpd.GeoDataFrame | None = None
    derived: dict[str, Any] = field(default_factory=dict)
    """Things computed from the whole park (site index, maps, infra layers), dropped when it changes."""
    reloads: int = 0
    kept: Snapshot | None = None
    """What :meth:`snapshot` made of :attr:`parcels`."""
    tiles: TileCache = field(default_factory=TileCache)
    """The vector tiles cut so far, by (z, x, y, shift, change stamp)."""
    recomputes: Recomputes = field(init=False)
    """Readiness and idle land run again after edits, one run at a time (:mod:`planner.api.recompute`)."""

    def __post_init__(self) -> None:
        self.park_id = self.park_id or self.store.config().park_id
        self.recomputes = Recomputes(self.store)

    def sync(self) -> int:
        """The store's change stamp now; what was kept of an earlier state is refreshed or dropped.

        Parcels not loaded are not loaded here: the routes that answer from the database (the
        parcel queries on PostGIS, one parcel by id) keep the server's memory independent of the park.
        """
        with self.lock:
            stamp = self.store.change_stamp()
            if stamp != self.stamp:
                if self.parcels is not None:
                    self._refresh(self.parcels, stamp)
                else:
                    self._follow_unloaded(stamp)
            return self.stamp

    def _follow_unloaded(self, stamp: int) -> None:
        """The park moved to ``stamp`` while not loaded: what follows edits is given the parcels the history names."""
        following = any(callable(getattr(v, "refresh", None)) for v in self.derived.values())
        changes = self.store.changes_since(self.stamp) if following and self.stamp >= 0 else None
        if changes is None or changes.empty:
            self.derived.clear()
            self.stamp = stamp
            return
        newest = int(changes["history_id"].max())
        self._follow([str(i) for i in changes[changes["layer"] == "parcels"]["feature_id"].dropna().unique()], newest)
        self.stamp = newest

    def current(self) -> gpd.GeoDataFrame:
        """The parcels as stored now (sorted by ``parcel_id``, index ``parcel_id``)."""
        with self.lock:
            if self.parcels is None:
                self._reload(self.store.change_stamp())
            else:
                self.sync()
            assert self.parcels is not None  # for the type checker: _refresh keeps or reloads them
            return self.parcels

    def cached(self, key: str, build: Callable[[], T], *, synced: bool = False) -> T:
        """A park-wide derived value, built once per state of the park (``key`` names what ``build`` makes).

        ``synced``: the caller has just called :meth:`sync` for this request (one stamp read per request).
        """
        with self.lock:
            if not synced:
                self.sync()
            if key not in self.derived:
                self.derived[key] = build()
            return self.derived[key]

    def _reload(self, stamp: int) -> None:
        parcels = self.store.read_parcels()
        self.parcels = self._prepare(parcels)
        self.stamp = stamp
        self.derived.clear()
        self.reloads += 1

    def _refresh(self, parcels: gpd.GeoDataFrame, stamp: int) -> None:
        """Re-read what changed since :attr:`stamp` into ``parcels`` (the kept ones), or everything if much did."""
        changes = self.store.changes_since(self.stamp)
        if changes.empty:  # the stamp moved but the rows it names are gone: be safe
            self._reload(stamp)
            return
        newest = int(changes["history_id"].max())
        parcels_changed = changes[changes["layer"] == "parcels"]["feature_id"].dropna().unique()
        others = set(changes["layer"]) - {"parcels"}
        if len(parcels_changed) > _FULL_RELOAD_SHARE * max(len(parcels), 1):
            self._reload(newest)
            return
        if len(parcels_changed):
            fresh = self._prepare(self.store.read_parcels(parcel_ids=list(parcels_changed)))
            self.parcels = _merged(parcels, fresh, parcels_changed)
        if len(parcels_changed) or others:
            self._follow([str(i) for i in parcels_changed], newest)
        self.stamp = newest

    def _follow(self, changed: list[str], stamp: int) -> None:
        """Drop what was derived of the earlier state, but for the values that follow edits themselves.

        A value with a ``refresh(parcels, changed_ids, stamp)`` method (the tile index, the compact columns)
        is given the parcels now (None when not loaded), the ids that changed and the stamp they are of, and
        kept if it says it is current again.
        """
        following = {k: v for k, v in self.derived.items() if callable(getattr(v, "refresh", None))}
        self.derived.clear()
        for key, value in following.items():
            if value.refresh(self.parcels, changed, stamp):
                self.derived[key] = value

    @staticmethod
    def _prepare(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        frame = parcels.set_index("parcel_id", drop=False).sort_index()
        frame.index.name = None
        return frame

    def snapshot(self) -> Snapshot:
        """The parcels as stored now, with their filter columns and answer columns (made once per state)."""
        with self.lock:
            parcels = self.current()
            if self.kept is None or self.kept.parcels is not parcels:
                self.kept = Snapshot(parcels, FilterColumns(parcels), Rows(parcels))
            return self.kept


def _merged(parcels: gpd.GeoDataFrame, fresh: gpd.GeoDataFrame, changed: Any) -> gpd.GeoDataFrame:
    """``parcels`` with the rows of the ``changed`` ids as in ``fresh`` (gone where ``fresh`` lacks them), sorted.

    Rows edited in place (the usual case: an edit, a result written back) are set where they were
    (:func:`planner.frames.spliced`); inserts and deletes go through a sort.
    """
    if set(fresh.index) == set(changed) and fresh.index.isin(parcels.index).all():
        at = parcels.index.get_indexer(fresh.index)
        frame = spliced(pd.DataFrame(parcels), at, pd.DataFrame(fresh))
        if frame is not None:
            return gpd.GeoDataFrame(frame, geometry="geometry", crs=parcels.crs)
    kept = parcels.drop(index=[i for i in changed if i in parcels.index])
    merged = pd.concat([kept, fresh]) if len(fresh) else kept
    return gpd.GeoDataFrame(merged.sort_index(), geometry="geometry", crs=parcels.crs)


class Snapshot(NamedTuple):
    """The parcels of one state of the park, and what is made of them once for every request."""

    parcels: gpd.GeoDataFrame
    filters: FilterColumns
    """The columns the filters test, as numpy arrays."""
    rows: Rows
    """The columns as numpy arrays, ready to turn a page of positions into GeoJSON."""
