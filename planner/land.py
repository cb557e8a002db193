"""The park's land indicators (土地开发率, 供应率, 工业用地率 …) as the park stores its idle land, or as of a day.

Built on :func:`planner.parcels.indicators.park_indicators`, which holds the formulas and their sources;
this module reads the store and decides which idle land they count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from planner.parcels.idle import classify_idle
from planner.parcels.indicators import park_indicators
from planner.store import ParkStore

__all__ = ["LandIndicators", "land_indicators"]


@dataclass
class LandIndicators:
    """The land indicators of each park and of all (:func:`~planner.parcels.indicators.park_indicators`).

    ``table`` has one row per park and a last row ``ALL`` (index ``park_id``).
    """

    table: pd.DataFrame
    idle_as_of: str | None
    """The day idle land was judged as of (``YYYY-MM-DD``); None: never classified (idle area and rate are NaN)."""

    def of_park(self, park_id: str) -> pd.Series:
        """The indicators of ``park_id``, or of all parks where the table has no row for it."""
        return self.table.loc[park_id if park_id in self.table.index else "ALL"]


def land_indicators(
    store: ParkStore, parcels: pd.DataFrame | None = None, *, as_of: date | str | pd.Timestamp | None = None
) -> LandIndicators:
    """The park's land indicators, with idle land as the park stores it or as of ``as_of``.

    Without ``as_of``, idle land is what :func:`update_idle` last wrote (the park's
    ``idle_as_of``); with it, idle land is classified afresh as of that day and nothing is
    written. A park whose idle land was never classified gets no idle area and no idle rate
    (NaN) rather than a false 0%. ``parcels``: the park's parcel layer, if already read.
    """
    parcels = store.read_parcels() if parcels is None else parcels
    if as_of is None:
        idle = parcels["idle_rule"].notna()
        basis = store.metadata().get("idle_as_of")
    else:
        result = classify_idle(parcels, as_of, store.config())
        idle = pd.Series(result.table["idle_rule"].reindex(parcels["parcel_id"]).notna().to_numpy(), parcels.index)
        basis = result.as_of.date().isoformat()
    table = park_indicators(parcels, idle=idle)
    if basis is None:  # idle land never classified: no rate, rather than a false 0%
        table[["idle_area_ha", "idle_land_rate_pct"]] = float("nan")
    return LandIndicators(table, basis)
