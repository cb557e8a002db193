"""Writing what the analyses derive back into a park store, in one transaction each."""

from __future__ import annotations

from datetime import date

import pandas as pd

from planner.parcels.idle import IDLE_COLUMNS, IdleResult, classify_idle
from planner.store.base import ParkStore, WriteReport

__all__ = ["update_idle"]


def update_idle(store: ParkStore, as_of: date | str | pd.Timestamp, *, by: str) -> tuple[IdleResult, WriteReport]:
    """Classify the park's idle land as of ``as_of`` and write the idle columns back.

    The columns ``idle_rule``, ``idle_since``, ``idle_fee_wan``, ``reclaim_from`` are
    set for every parcel (cleared where a parcel is not idle), and the date is kept
    in the park's metadata as ``idle_as_of``, all in one transaction. Rows carry the
    version they were read at, so an edit made meanwhile refuses the write.
    """
    parcels = store.read_parcels()
    result = classify_idle(parcels, as_of, store.config())
    table = result.table.reindex(parcels["parcel_id"])
    for column in IDLE_COLUMNS:
        parcels[column] = table[column].to_numpy()
    report = store.write_parcels(parcels, by=by, metadata={"idle_as_of": result.as_of.date().isoformat()})
    return result, report
