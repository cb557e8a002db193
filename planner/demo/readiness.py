"""The demo park's declared 七通一平: what the parcel records say is connected and leveled.

The records mostly, but not always, match what the networks and the DEM give: some say a
network is connected where none reaches, some are outdated and say not where one now does,
and planned parcels often have no record. A declaration is judged by the park's own rules,
the service distance of each network and the relief limit of site leveling, so the
readiness computed afterwards disagrees with them only where the records are wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from planner.vocab import NETWORK_ITEMS

if TYPE_CHECKING:
    from planner.config import ParkConfig
    from planner.demo.networks import Networks

__all__ = ["declare_readiness"]

OPTIMISTIC_SHARE = {"water": 0.12, "drainage": 0.12, "gas": 0.12}
"""Share of records that say a network is connected where none reaches (pipes are the ones often overstated)."""
OPTIMISTIC_SHARE_OTHER = 0.05
STALE_SHARE = 0.04
"""Share of records of undeveloped parcels that still say not connected where a network now reaches."""
UNKNOWN_SHARE = 0.3
"""Share of planned parcels with no record of a network."""
LEVELED_WRONG_SHARE = 0.05
"""Share of undeveloped parcels whose leveling record is wrong."""


def declare_readiness(
    df: pd.DataFrame,
    geoms: np.ndarray,
    relief: np.ndarray,
    networks: Networks,
    config: ParkConfig,
    rng: np.random.Generator,
) -> None:
    """Write ``declared_<item>`` of each network and ``declared_leveled`` into the parcel table ``df``."""
    n = len(df)
    developed = df["status"].isin(["under_construction", "in_production"]).to_numpy()
    planned = df["status"].eq("planned").to_numpy()
    for item in NETWORK_ITEMS:
        near = _distance_to(item, geoms, networks) <= config.networks[item]["service_distance_m"]
        # records that say connected where nothing reaches, and outdated ones that say not
        optimistic = ~near & (rng.random(n) < OPTIMISTIC_SHARE.get(item, OPTIMISTIC_SHARE_OTHER))
        stale = near & ~developed & (rng.random(n) < STALE_SHARE)
        declared = (near | optimistic) & ~stale
        unknown = planned & (rng.random(n) < UNKNOWN_SHARE)
        values = pd.array(declared, dtype="boolean")
        values[unknown] = pd.NA
        df[f"declared_{item}"] = values
    leveled = (relief <= config.threshold("leveled_relief_max_m")) | developed
    leveled = leveled ^ (~developed & (rng.random(n) < LEVELED_WRONG_SHARE))
    df["declared_leveled"] = pd.array(leveled, dtype="boolean")


def _distance_to(item: str, geoms: np.ndarray, networks: Networks) -> np.ndarray:
    """Distance (m) from each parcel to the nearest line of a network in service (for roads: the road grid)."""
    if item == "road":
        lines = np.array([r.geom for r in networks.layout.roads], dtype=object)
    else:
        net = networks.lines(item)
        lines = net[net["in_service"]].geometry.to_numpy()
    _, d = shapely.STRtree(lines).query_nearest(geoms, return_distance=True, all_matches=False)
    return d
