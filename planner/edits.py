"""A parcel edit and the readiness it changes, committed together in one transaction.

An edit of a parcel's own readiness inputs (its load: ``power_kva``, ``water_m3d``, ``industry``; its
``status``; a declared item) reaches few rows: the parcel itself, and the parcels of the sources
serving it whose capacity verdict the new load turns (their reasons name the source, not what is left
of it). With the graphs, taps and last result :func:`planner.analysis.update_readiness` keeps for
the store, those rows are worked out again from the kept coverage — no graph, no tap search, a sum
over the parcels of the sources served — and written with the edit, so that no reader sees the edit
without its readiness (:func:`edit_with_readiness`).

Where that cannot be (the stored readiness stale or not the one kept, another writer in between, an
edit of idle-land inputs while idle land is kept, an edit of the shape), the edit is left to the
two steps of :mod:`planner.api.recompute`: commit, then the run, with ``freshness`` saying "stale"
meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from planner.parcels.readiness import READINESS_COLUMNS
from planner.parcels.validation import WHOLE_PARCEL_COLUMNS
from planner.store import ParkStore
from planner.store.base import Derived
from planner.store.changes import prepare_columns

__all__ = ["edit_with_readiness", "inline_applies"]

_BOOKKEEPING = ("version", "updated_at", "updated_by")


def inline_applies(store: ParkStore, changed: set[str]) -> bool:
    """Whether an edit of ``changed`` can have its readiness worked out and written with it (see the module notes).

    Its columns are readiness inputs of the parcel alone (not its shape), idle land does not read them (or is
    not kept), and the stored readiness is current and the one kept for ``store``.
    """
    if not changed or not changed <= READINESS_INPUTS or changed & WHOLE_PARCEL_COLUMNS:
        return False
    meta = store.metadata()
    if "readiness_at" not in meta or ("idle_as_of" in meta and changed & IDLE_INPUTS):
        return False
    kept = _kept(store)
    if kept.written is None or kept.written is not kept.graphs.readiness:
        return False
    return freshness(store, "readiness").current


def edit_with_readiness(
    store: ParkStore, parcel_id: str, changes: Mapping[str, Any], *, version: int, by: str
) -> pd.Series:
    """:meth:`~planner.store.base.ParkStore.update_parcel`, with the readiness it changes written in its transaction.

    ``attrs["derived"].written`` on the row returned says whether the readiness went with it; where not,
    the edit is committed alone and the caller runs readiness again as after any edit.
    """
    kept = _kept(store)

    def derive(after: gpd.GeoDataFrame) -> Derived | None:
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
        columns = prepare_columns("parcels", before, values, by=by)
        return Derived(at, columns, readiness_metadata(run.coverage), (_STAMP_KEYS["readiness"],))

    def derive_or_not(after: gpd.GeoDataFrame) -> Derived | None:
        try:
            return derive(after)
        except Exception:  # the edit stands alone, and the run after it says what it meets
            kept.written = None  # the kept result may have moved on: the next run compares every row
            return None

    row = store.update_parcel(parcel_id, changes, version=version, by=by, derive=derive_or_not)
    derived = row.attrs.get("derived")
    if derived is not None and derived.written:
        kept.written = kept.graphs.readiness  # stored as it says, but for the parcels changed since (this edit's)
    return row


def _with_row(parcels: gpd.GeoDataFrame, pos: int, after: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """``parcels`` (not changed) with the ``columns`` of the row at ``pos`` as ``after`` has them."""
    out = parcels.copy(deep=False)
    for column in dict.fromkeys(columns):
        values = parcels[column].array.copy()
        values[pos] = after[column].iloc[0]
        out[column] = values
    return out
