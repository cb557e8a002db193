"""Writing what the analyses derive back into a park store, in one transaction each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from planner.errors import Problem
from planner.infra.coverage import Coverage
from planner.infra.layers import line_layer
from planner.infra.park import park_coverage
from planner.infra.terrain import parcel_terrain
from planner.parcels.idle import IDLE_COLUMNS, IdleResult, classify_idle
from planner.parcels.readiness import READINESS_COLUMNS, ReadinessResult, compute_readiness
from planner.parcels.schema import NETWORK_ITEMS
from planner.store.base import ParkStore, WriteReport

__all__ = ["ReadinessRun", "update_idle", "update_readiness"]


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


@dataclass
class ReadinessRun:
    """What :func:`update_readiness` computed: readiness, each network's coverage, and the problems found."""

    readiness: ReadinessResult
    coverage: dict[str, Coverage]
    problems: list[Problem] = field(default_factory=list)
    report: WriteReport | None = None


def update_readiness(
    store: ParkStore,
    *,
    by: str,
    progress: Callable[[str], None] | None = None,
    write: bool = True,
) -> ReadinessRun:
    """Compute 七通一平 readiness from the park's networks and DEM and write it back in one transaction.

    Each network with lines in service is modelled (:mod:`planner.infra.network`,
    :mod:`planner.infra.coverage`; a big park's networks in several processes, see
    :func:`planner.infra.park.park_coverage`); the DEM named in the configuration (relative to
    the store's folder) gives the leveling; the metadata key ``dem_date`` says when it
    was taken (records declaring a parcel leveled after that date prevail).
    ``progress`` is called with the name of each step. The time is kept in the park's
    metadata as ``readiness_at``.
    """
    step = progress or (lambda _name: None)
    config = store.config()
    parcels = store.read_parcels()
    sources = store.read_layer("sources")
    problems: list[Problem] = []
    coverage: dict[str, Coverage] = {}
    tables: dict[str, pd.DataFrame | None] = {}
    settings = {net: config.networks[net] for net in NETWORK_ITEMS}
    lines = {net: store.read_layer(line_layer(net)) for net in NETWORK_ITEMS}
    runs = park_coverage(
        parcels,
        lines,
        sources,
        settings,
        power_factor=config.threshold("power_coincidence_factor"),
        progress=step,
    )
    for net, network in runs.items():
        if network.coverage is None:
            problems.append(
                Problem(
                    "warning",
                    None,
                    None,
                    f"the {net} layer has no line in service: readiness uses the declared values",
                    feature=f"{net} network",
                )
            )
            tables[net] = None
            continue
        problems += network.problems
        coverage[net] = network.coverage
        tables[net] = network.coverage.table
    step("terrain")
    terrain = None
    dem_date = None
    if config.dem and store.folder is not None and (store.folder / config.dem).is_file():
        terrain = parcel_terrain(parcels, store.folder / config.dem)
        recorded = store.metadata().get("dem_date")  # unknown: records cannot be newer than the DEM
        dem_date = pd.Timestamp(recorded) if recorded else None
    else:
        problems.append(Problem("warning", None, None, "no DEM: leveling uses the declared values", feature="terrain"))
    step("readiness")
    leveled_on = _declared_true_since(store, "declared_leveled") if dem_date is not None else None
    result = compute_readiness(parcels, config, tables, terrain, dem_date=dem_date, leveled_on=leveled_on)
    run = ReadinessRun(result, coverage, problems)
    if write:
        table = result.table.reindex(parcels["parcel_id"])
        for column in READINESS_COLUMNS:
            parcels[column] = table[column].to_numpy()
        stamp = pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")
        run.report = store.write_parcels(parcels, by=by, metadata={"readiness_at": stamp})
    return run


def _declared_true_since(store: ParkStore, column: str) -> pd.Series:
    """When each parcel's ``column`` last became true, from the edit history (by ``parcel_id``)."""
    history = store.history(layer="parcels")
    if history.empty:
        return pd.Series(dtype="datetime64[ns, UTC]")

    def became_true(change: dict, action: str) -> bool:
        value = change.get(column)
        if action == "insert":
            return value is True
        return isinstance(value, list) and len(value) == 2 and value[1] is True and value[0] is not True

    mask = [became_true(c, a) for c, a in zip(history["changes"], history["action"], strict=True)]
    hits = history[mask]
    return hits.groupby("feature_id")["changed_at"].max()
