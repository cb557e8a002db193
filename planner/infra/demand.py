"""What parcels need of a network, and the load the parcels served put on each source.

A parcel's demand is its declared figure (``power_kva``; ``water_m3d``, and 85% of it
for sewage) where there is one, else a per-mu default by industry from
``data/demand_per_mu.csv`` times its area. A source's load is the demand of the parcels
it serves that draw on it already: those under construction or producing.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from planner.infra.network import Network
from planner.resources import data_path
from planner.vocab import STARTED_STATUSES

__all__ = ["SEWAGE_SHARE", "add_loads", "demand", "network_demand", "source_loads"]

SEWAGE_SHARE = 0.85
"""Sewage is taken as 85% of the water a parcel uses."""
_DEMAND_COLUMN = {
    "power": "power_kva_per_mu",
    "water": "water_m3d_per_mu",
    "drainage": "water_m3d_per_mu",
    "gas": "gas_nm3h_per_mu",
    "heat": "heat_mw_per_mu",
    "telecom": "telecom_ports_per_mu",
}
_DECLARED = {"power": "power_kva", "water": "water_m3d", "drainage": "water_m3d"}


@lru_cache(maxsize=1)
def _demand_table() -> pd.DataFrame:
    return pd.read_csv(data_path("demand_per_mu.csv"), dtype={"division": str}).set_index("division")


def demand(parcels: pd.DataFrame, network: str, *, power_factor: float = 1.0, declared: bool = True) -> np.ndarray:
    """Each parcel's demand on ``network`` in the unit of its sources' capacity.

    The declared figure where there is one (``power_kva``; ``water_m3d``, and 85% of it
    for drainage), else the industry's default per mu times the parcel's area. Power
    is installed kVA times ``power_factor`` (demand × coincidence factor), the load a
    substation carries. ``declared=False``: the defaults alone (what a parcel not yet
    drawing is expected to need).
    """
    need, expected = _demands(parcels, network, power_factor)
    return need if declared else expected


def _demands(parcels: pd.DataFrame, network: str, power_factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Demand as declared (else by default), and by default alone; see :func:`demand`."""
    table = _demand_table()
    column = _DEMAND_COLUMN[network]
    # the few distinct industries looked up once each, not a string per parcel
    codes, industries = pd.factorize(parcels["industry"].to_numpy(dtype=object, na_value=None))
    division = pd.Index([str(code)[:3] for code in industries], dtype=object)
    default = float(table.loc["default", column])
    per_industry = np.append(division.map(table[column]).to_numpy(dtype=float, na_value=np.nan), default)
    per_mu = np.nan_to_num(per_industry[codes], nan=default)  # code -1 (no industry): the last, the default
    factor = {"drainage": SEWAGE_SHARE, "power": power_factor}.get(network, 1.0)
    expected = per_mu * parcels["area_mu"].to_numpy(dtype=float) * factor
    declared = _DECLARED.get(network)
    if not declared:
        return expected, expected
    given = parcels[declared].to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(given), expected, given * factor), expected


def source_loads(
    network: Network,
    parcels: pd.DataFrame,
    taps: pd.DataFrame,
    *,
    service_radius_m: float,
    power_factor: float = 1.0,
    rows: np.ndarray | None = None,
    need: np.ndarray | None = None,
    consuming: np.ndarray | None = None,
) -> np.ndarray:
    """The load on each source (row of ``network.sources``): the demand of the consuming parcels it serves.

    ``taps``: :func:`network_taps` of ``parcels``. ``rows``, given, is each parcel's
    position among all the park's parcels, and the result is instead ``(position,
    source, demand)`` of each parcel that loads a source: pieces of a park add up to the
    same figures as the whole park with :func:`add_loads`. ``need``: each parcel's demand as declared
    (:func:`network_demand`), ``consuming``: whether each parcel draws already (its status), if made already.
    """
    if need is None:
        need, _ = network_demand(network, parcels, power_factor)
    along = taps["network_m"].to_numpy(dtype=float)
    in_radius = taps["near"].to_numpy(dtype=bool) & np.isfinite(along) & (along <= service_radius_m)
    src = taps["source"].to_numpy()
    if consuming is None:
        consuming = parcels["status"].isin(STARTED_STATUSES).to_numpy()
    served = np.flatnonzero(in_radius & consuming & (src >= 0))
    if rows is not None:
        return np.column_stack([np.asarray(rows, dtype=float)[served], src[served], need[served]])
    loads = np.zeros(len(network.sources))
    np.add.at(loads, src[served], need[served])
    return loads


def add_loads(pieces: list[np.ndarray], sources: int) -> np.ndarray:
    """The loads of ``sources`` sources from the ``(position, source, demand)`` pieces of :func:`source_loads`.

    Added in the order of the parcels' positions, as :func:`source_loads` adds them for
    the whole park, so the sums are the same to the last bit.
    """
    loads = np.zeros(sources)
    if not pieces:
        return loads
    rows = np.concatenate(pieces)
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    np.add.at(loads, rows[:, 1].astype(np.int64), rows[:, 2])
    return loads


def network_demand(network: Network, p: pd.DataFrame, power_factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Each parcel's demand on ``network``: as declared (else by default), and by default alone (:func:`demand`).

    Zero on a network whose sources have no capacity to share (roads).
    """
    if network.name in _DEMAND_COLUMN:
        return _demands(p, network.name, power_factor)
    return np.zeros(len(p)), np.zeros(len(p))
