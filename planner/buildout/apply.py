"""A copy of the park as it would be after some works: ``planner plan --apply-to AFTER.gpkg``.

The copy (:func:`~planner.store.copy.copy_park`, history and all) gets the works written as
edits of its own: planned lines put in service (with the date the plan completes them),
candidate extensions added to their network's layer in service, sources upgraded, leveled
parcels recorded as leveled (after the DEM was taken). Anyone can then run
``planner readiness AFTER.gpkg`` and check that exactly the promised parcels are ready.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from planner.buildout.scenario import build_works
from planner.infra.layers import line_layer
from planner.store import ParkStore
from planner.store.copy import copy_park

__all__ = ["apply_to_store"]

BY = "planner plan"
_BOOKKEEPING = ("version", "updated_at", "updated_by")


def apply_to_store(
    store: ParkStore,
    works: gpd.GeoDataFrame,
    dst: str | os.PathLike[str],
    *,
    completed: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> ParkStore:
    """Copy the park in ``store`` to ``dst`` and build ``works`` in the copy; return the copy.

    The works are built as :func:`~planner.buildout.scenario.apply_works` builds them for the
    scenario (:func:`~planner.buildout.scenario.build_works`, one rule for both), then written.

    ``completed``: the date each work is completed (``work_id`` → ``YYYY-MM-DD``), kept as the
    line's ``planned_date``. The DEM named in the configuration is copied beside a GeoPackage copy.
    """
    after = copy_park(store, dst, overwrite=overwrite, folder=store.folder)
    config = store.config()
    if config.dem and store.folder is not None and (store.folder / config.dem).is_file() and after.folder is not None:
        target = after.folder / config.dem
        if target.resolve() != (store.folder / config.dem).resolve():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(store.folder / config.dem, target)
    touched = sorted(set(works.loc[works["kind"] == "line", "network"].astype(str)))
    layers = {net: after.read_layer(line_layer(net)).drop(columns=list(_BOOKKEEPING)) for net in touched}
    sources = after.read_layer("sources").drop(columns=list(_BOOKKEEPING))
    built = build_works(layers, sources, works, completed=completed)
    for net, layer in built.lines.items():
        after.write_layer(line_layer(net), layer, by=BY)
    if built.sources is not None:
        after.write_layer("sources", built.sources, by=BY)
    leveled = built.leveled
    if leveled:
        if after.metadata().get("dem_date") is None:  # the records of leveling must be newer than the DEM
            after.set_metadata({"dem_date": pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")}, by=BY)
        parcels = after.read_parcels(parcel_ids=leveled)
        parcels["declared_leveled"] = True
        after.write_parcels(parcels, by=BY)
    return after
