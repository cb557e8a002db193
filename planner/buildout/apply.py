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

from planner.infra.layers import line_layer
from planner.store import ParkStore
from planner.store.copy import copy_park
from planner.vocab import CAPACITY_COLUMN

__all__ = ["apply_to_store"]

BY = "planner plan"


def apply_to_store(
    store: ParkStore,
    works: gpd.GeoDataFrame,
    dst: str | os.PathLike[str],
    *,
    completed: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> ParkStore:
    """Copy the park in ``store`` to ``dst`` and build ``works`` in the copy; return the copy.

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
    dates = {k: pd.Timestamp(v) for k, v in (completed or {}).items()}
    lines = works[works["kind"] == "line"]
    for net, mine in lines.groupby("network", sort=False):
        layer = after.read_layer(line_layer(str(net)))
        drawn = mine[mine["origin"] == "drawn"]
        put = layer["line_id"].astype(str).isin(drawn["line_id"].astype(str)).to_numpy()
        layer.loc[put, "in_service"] = True
        when = layer.loc[put, "line_id"].astype(str).map(dates)
        layer.loc[put, "planned_date"] = when.where(when.notna(), layer.loc[put, "planned_date"])
        new = mine[mine["origin"] != "drawn"]
        rows = gpd.GeoDataFrame(
            {"line_id": new["line_id"].to_numpy(), "name": new["name"].to_numpy(), "in_service": True,
             "cost_wan": new["cost_wan"].to_numpy(dtype=float),
             "planned_date": new["work_id"].astype(str).map(dates).to_numpy()},
            geometry=new.geometry.to_numpy(), crs=layer.crs,
        )  # fmt: skip
        written = pd.concat([layer.drop(columns=["version", "updated_at", "updated_by"]), rows], ignore_index=True)
        after.write_layer(line_layer(str(net)), gpd.GeoDataFrame(written, geometry="geometry", crs=layer.crs), by=BY)
    upgrades = works[works["kind"] == "upgrade"]
    if len(upgrades):
        sources = after.read_layer("sources")
        added = upgrades.groupby("source_id")["capacity_added"].sum()
        for i in sources.index[sources["source_id"].isin(added.index)]:
            column = CAPACITY_COLUMN[sources.at[i, "network"]]
            if column:
                sources.at[i, column] = float(pd.Series([sources.at[i, column]]).fillna(0).iloc[0]) + float(
                    added[sources.at[i, "source_id"]]
                )
        after.write_layer("sources", sources.drop(columns=["version", "updated_at", "updated_by"]), by=BY)
    leveled = works.loc[works["kind"] == "leveling", "parcel_id"].astype(str).tolist()
    if leveled:
        if after.metadata().get("dem_date") is None:  # the records of leveling must be newer than the DEM
            after.set_metadata({"dem_date": pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")}, by=BY)
        parcels = after.read_parcels(parcel_ids=leveled)
        parcels["declared_leveled"] = True
        after.write_parcels(parcels, by=BY)
    return after
