"""A parcel edit and the results it changes (readiness, idle land), committed together in one transaction.

An edit of a parcel's own readiness inputs (its load: ``power_kva``, ``water_m3d``, ``industry``; its
``status``; a declared item) reaches few rows: the parcel itself, and the parcels of the sources
serving it whose capacity verdict the new load turns (their reasons name the source, not what is left
of it). With the graphs, taps and last result :func:`planner.analysis.update_readiness` keeps for
the store, those rows are worked out again from the kept coverage — no graph, no tap search, a sum
over the parcels of the sources served — and written with the edit, so that no reader sees the edit
without its readiness (:func:`edit_with_results`).

An edit of a parcel's own idle-land inputs (its ``status``, dates, amounts, disposal record) reaches
one row: the idle-land rules judge each parcel by its own columns, the park's configuration and the
day idle land is classified as of (:func:`~planner.parcels.idle.classify_idle`), so that parcel alone is
classified again as of the stored ``idle_as_of`` and written with the edit, as a whole-park run would
write it. A ``status`` edit is both: both results go with it.

Where that cannot be (a stored result stale or, for readiness, not the one kept, another writer in
between, an edit of the shape), the edit is left to the two steps of :mod:`planner.api.recompute`:
commit, then the run, with ``freshness`` saying "stale" meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis import (
    _STAMP_KEYS,
    IDLE_INPUTS,
    READINESS_INPUTS,
    _kept,
    _rows_to_compare,
    freshness,
    readiness_inputs,
    readiness_of,
)
from planner.frames import by_parcel
from planner.infra.coverage import readiness_metadata
from planner.parcels.idle import IDLE_COLUMNS, classify_idle
from planner.parcels.readiness import READINESS_COLUMNS
from planner.parcels.validation import WHOLE_PARCEL_COLUMNS
from planner.store import ParkStore
from planner.store.base import Derived
from planner.store.changes import prepare_columns

__all__ = ["edit_with_results", "inline_applies"]

_BOOKKEEPING = ("version", "updated_at", "updated_by")


@dataclass(frozen=True)
class _Touched:
    """Which stored results an edit of some columns changes: readiness, idle land (each only where computed)."""

    readiness: bool
    idle: bool

    @classmethod
    def of(cls, store: ParkStore, changed: set[str]) -> _Touched:
        meta = store.metadata()
        readiness = "readiness_at" in meta and bool(changed & READINESS_INPUTS)
        return cls(readiness, "idle_as_of" in meta and bool(changed & IDLE_INPUTS))


def inline_applies(store: ParkStore, changed: set[str]) -> bool:
    """Whether an edit of ``changed`` can have the results it changes worked out and written with it (see the
    module notes).

    It changes a stored result, none of its columns is the shape (nor a code or area, checked with the whole
    parcel), and each result it changes is current (readiness: and the one kept for ``store``). Columns
    neither reads (a ``holder`` set with the ``status``) go with the others.
    """
    if not changed or changed & WHOLE_PARCEL_COLUMNS:
        return False
    touched = _Touched.of(store, changed)
    if not (touched.readiness or touched.idle):
        return False
    if touched.readiness:
        kept = _kept(store)
        if kept.written is None or kept.written is not kept.graphs.readiness or not freshness(store).current:
            return False
    return not touched.idle or freshness(store, "idle").current


def edit_with_results(
    store: ParkStore, parcel_id: str, changes: Mapping[str, Any], *, version: int, by: str
) -> pd.Series:
    """:meth:`~planner.store.base.ParkStore.update_parcel`, with the readiness and idle land it changes written in
    its transaction.

    ``attrs["derived"].written`` on the row returned says whether the results went with it; where not,
    the edit is committed alone and the caller runs them again as after any edit.
    """
    kept = _kept(store)
    touched = _Touched.of(store, set(changes))

    def derive(after: gpd.GeoDataFrame) -> Derived | None:
        # the change stamp first (readiness takes it as it reads its inputs): the results are written only if
        # nothing was written after it, so all they read after it (metadata, configuration) is what they meet
        if touched.readiness:
            readiness = _readiness_rows(store, parcel_id, changes, after, version)
            if readiness is None:
                return None
            at, before, values, metadata = readiness
            keys = [_STAMP_KEYS["readiness"]]
        else:
            at, before, values, metadata, keys = store.change_stamp(), after, pd.DataFrame(index=after.index), {}, []
        if touched.idle:
            idle = _idle_values(store, after, before)
            if idle is None:
                return None
            values = values.join(idle)
            keys.append(_STAMP_KEYS["idle"])
        return Derived(at, prepare_columns("parcels", before, values, by=by), metadata, tuple(keys))

    def derive_or_not(after: gpd.GeoDataFrame) -> Derived | None:
        try:
            return derive(after)
        except Exception:  # the edit stands alone, and the run after it says what it meets
            if touched.readiness:
                kept.written = None  # the kept result may have moved on: the next run compares every row
            return None

    row = store.update_parcel(parcel_id, changes, version=version, by=by, derive=derive_or_not)
    derived = row.attrs.get("derived")
    if touched.readiness and derived is not None and derived.written:
        kept.written = kept.graphs.readiness  # stored as it says, but for the parcels changed since (this edit's)
    return row


def _readiness_rows(
    store: ParkStore, parcel_id: str, changes: Mapping[str, Any], after: gpd.GeoDataFrame, version: int
) -> tuple[int, gpd.GeoDataFrame, pd.DataFrame, dict[str, Any]] | None:
    """The readiness the edit (``after``) changes, from what is kept for ``store``: the change stamp it was worked
    out at, the rows that may differ as the edit leaves them, their readiness columns and the metadata to set.

    None where the kept parcels are not those the edit was made on.
    """
    kept = _kept(store)
    inputs = readiness_inputs(store)
    at = kept.layers.stamp
    parcels = inputs.parcels
    found = np.flatnonzero(parcels["parcel_id"].to_numpy(dtype=object) == parcel_id)  # no index of all ids
    pos = int(found[0]) if len(found) else -1
    if at is None or pos < 0 or int(parcels["version"].iloc[pos]) != int(version):
        return None  # the kept parcels are not those the edit was made on
    edited = _with_row(parcels, pos, after, [*changes, *_BOOKKEEPING])
    inputs.parcels = edited
    previous = kept.graphs.readiness
    run = readiness_of(inputs, graphs=kept.graphs)
    rows = _rows_to_compare(kept, previous, edited)  # while the written result is known
    kept.written = None  # until the edit's transaction writes it
    rows = np.arange(len(edited)) if rows is None else np.union1d(rows, [pos])
    before = edited.iloc[rows]
    values = by_parcel(run.readiness.table, READINESS_COLUMNS, before)
    return at, before, values, readiness_metadata(run.coverage)


def _idle_values(store: ParkStore, after: gpd.GeoDataFrame, before: pd.DataFrame) -> pd.DataFrame | None:
    """The idle columns of ``before``'s rows: the edited parcel (``after``) classified again as of the stored
    ``idle_as_of``, the others as they are; None where the stored idle land is not current.

    Called after the change stamp the edit's results are worked out at was taken: what it reads (the metadata,
    the configuration, the history since idle land was classified) is refused with them if it moved on.
    """
    as_of = store.metadata().get("idle_as_of")
    if as_of is None or not freshness(store, "idle").current:
        return None
    table = classify_idle(after, as_of, store.config()).table
    values = before[list(IDLE_COLUMNS)].copy()
    mine = (before["parcel_id"] == after["parcel_id"].iloc[0]).to_numpy()
    edited = by_parcel(table, IDLE_COLUMNS, before[mine])
    for column in IDLE_COLUMNS:
        values[column] = values[column].astype(object)
        values.loc[mine, column] = edited[column].astype(object).to_numpy()
    return values


def _with_row(parcels: gpd.GeoDataFrame, pos: int, after: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """``parcels`` (not changed) with the ``columns`` of the row at ``pos`` as ``after`` has them."""
    out = parcels.copy(deep=False)
    for column in dict.fromkeys(columns):
        values = parcels[column].array.copy()
        values[pos] = after[column].iloc[0]
        out[column] = values
    return out
