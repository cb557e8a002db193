"""Scenario readiness: the park as if some works were built, run through the same network model.

:func:`apply_works` changes a copy of the park's readiness inputs
(:class:`~planner.analysis.ReadinessInputs`) as building the works would: a planned line is put
in service, a candidate extension is added to its network's layer, in service, a source gets
its capacity added, a leveled parcel is recorded as leveled after the DEM was taken (as
``planner plan --apply-to`` records it in the copy of the park). :func:`scenario_readiness`
then runs :func:`~planner.analysis.readiness_of` — the very model ``planner readiness`` runs —
on the networks the works touch, and says which parcels change, per item, and why.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis import ReadinessInputs, ReadinessRun, readiness_of
from planner.vocab import CAPACITY_COLUMN, NETWORK_ITEMS

__all__ = ["Built", "Scenario", "apply_works", "build_works", "changed_items", "holds", "scenario_readiness"]


@dataclass
class Built:
    """The layers as building some works leaves them (:func:`build_works`): only those the works change."""

    lines: dict[str, gpd.GeoDataFrame]
    """Each network layer a line work changes, with every line of it."""
    sources: gpd.GeoDataFrame | None
    """The sources with the capacity the upgrades add (``None``: no upgrade)."""
    leveled: list[str]
    """The parcels a leveling work levels."""


def build_works(
    lines: Mapping[str, gpd.GeoDataFrame],
    sources: gpd.GeoDataFrame,
    works: gpd.GeoDataFrame,
    *,
    completed: Mapping[str, str | pd.Timestamp] | None = None,
) -> Built:
    """The park's layers as building ``works`` leaves them: the one rule of :func:`apply_works` and the park's copy.

    A planned (drawn) line is put in service, a candidate extension added to its network's
    layer, in service, with its cost; a source gets the capacity its upgrades add; leveled
    parcels are listed. ``completed``: the date each work is completed (``work_id`` → date),
    kept as the line's ``planned_date`` (where not given, a drawn line keeps its own).
    """
    dates = {str(k): pd.Timestamp(v) for k, v in (completed or {}).items()}
    out: dict[str, gpd.GeoDataFrame] = {}
    for net, mine in works[works["kind"] == "line"].groupby("network", sort=False):
        layer = lines[str(net)].copy()
        drawn = mine[mine["origin"] == "drawn"]
        if len(drawn):
            put = layer["line_id"].astype(str).isin(drawn["line_id"].astype(str)).to_numpy()
            layer["in_service"] = layer["in_service"].astype("boolean")
            layer.loc[put, "in_service"] = True
            if dates and "planned_date" in layer:
                when = layer.loc[put, "line_id"].astype(str).map(dates)
                layer.loc[put, "planned_date"] = when.where(when.notna(), layer.loc[put, "planned_date"])
        new = mine[mine["origin"] != "drawn"]
        if len(new):
            columns = {"line_id": new["line_id"].to_numpy(), "name": new["name"].to_numpy(), "in_service": True,
                       "cost_wan": new["cost_wan"].to_numpy(dtype=float)}  # fmt: skip
            if dates:
                columns["planned_date"] = new["work_id"].astype(str).map(dates).to_numpy()
            rows = gpd.GeoDataFrame(columns, geometry=new.geometry.to_numpy(), crs=layer.crs)
            layer = pd.concat([layer, rows], ignore_index=True)
        out[str(net)] = gpd.GeoDataFrame(layer, geometry="geometry", crs=lines[str(net)].crs)
    upgrades = works[works["kind"] == "upgrade"]
    upgraded = None
    if len(upgrades):
        upgraded = sources.copy()
        added = upgrades.groupby("source_id")["capacity_added"].sum()
        for network, column in CAPACITY_COLUMN.items():
            if column is None:
                continue
            rows = (upgraded["network"] == network) & upgraded["source_id"].isin(added.index)
            if rows.any():
                more = upgraded.loc[rows, "source_id"].map(added).to_numpy(dtype=float)
                upgraded.loc[rows, column] = upgraded.loc[rows, column].astype(float).fillna(0.0).to_numpy() + more
    leveled = sorted(set(works.loc[works["kind"] == "leveling", "parcel_id"].astype(str)))
    return Built(out, upgraded, leveled)


def apply_works(inputs: ReadinessInputs, works: gpd.GeoDataFrame, *, at: pd.Timestamp | None = None) -> ReadinessInputs:
    """A copy of ``inputs`` with ``works`` built (:func:`build_works`; the inputs themselves are left as they are).

    ``at``: when leveling is recorded (default now); the DEM's date is put just before it
    where the park records none, so that the record prevails, as it does in the copy.
    """
    out = copy.copy(inputs)
    built = build_works(inputs.lines, inputs.sources, works)
    out.lines = {**inputs.lines, **built.lines}
    if built.sources is not None:
        out.sources = built.sources
    if built.leveled:
        out = _leveled(out, set(built.leveled), at)
    return out


def _leveled(out: ReadinessInputs, leveled: set[str], at: pd.Timestamp | None) -> ReadinessInputs:
    """Record ``leveled`` parcels as declared leveled at ``at``, after the DEM was taken."""
    when = pd.Timestamp.now(tz="UTC") if at is None else pd.Timestamp(at)
    when = when.tz_localize("UTC") if when.tzinfo is None else when
    parcels = out.parcels.copy()
    mask = parcels["parcel_id"].astype(str).isin(leveled).to_numpy()
    parcels["declared_leveled"] = parcels["declared_leveled"].astype("boolean")
    parcels.loc[mask, "declared_leveled"] = True
    out.parcels = parcels
    if out.terrain is not None:
        out.dem_date = out.dem_date if out.dem_date is not None else when - pd.Timedelta(milliseconds=1)
        since = out.leveled_on.copy() if out.leveled_on is not None else pd.Series(dtype="datetime64[ns, UTC]")
        since = since[~since.index.isin(leveled)]
        out.leveled_on = pd.concat([since, pd.Series(when, index=pd.Index(sorted(leveled), name="feature_id"))])
    return out


@dataclass
class Scenario:
    """Readiness before and after some works: the runs, and what changed (:func:`changed_items`)."""

    before: ReadinessRun
    after: ReadinessRun
    changes: pd.DataFrame
    """One row per parcel and item whose value changed: ``parcel_id``, ``item``, ``before``, ``after``,
    ``work_id`` (the work it is owed to, where one is), ``reason`` (the model's, after)."""
    newly_ready: list[str] = field(default_factory=list)
    no_longer_ready: list[str] = field(default_factory=list)


def scenario_readiness(
    inputs: ReadinessInputs, works: gpd.GeoDataFrame, before: ReadinessRun | None = None
) -> Scenario:
    """Readiness of the park as if ``works`` were built, beside readiness as it is (``before``, computed if not given).

    The networks no work touches keep the coverage of ``before``; the others are modelled again.
    """
    before = before or readiness_of(inputs)
    after_inputs = apply_works(inputs, works)
    touched = set(works.loc[works["kind"].isin(["line", "upgrade"]), "network"])
    reuse = {net: before.coverage.get(net) for net in NETWORK_ITEMS if net not in touched}
    after = readiness_of(after_inputs, reuse=reuse)
    was = before.readiness.table["ready"].fillna(False).astype(bool)
    now = after.readiness.table["ready"].fillna(False).astype(bool).reindex(was.index)
    return Scenario(
        before,
        after,
        changed_items(inputs, before, after, works),
        newly_ready=was.index[now & ~was].tolist(),
        no_longer_ready=was.index[was & ~now].tolist(),
    )


def changed_items(
    inputs: ReadinessInputs, before: ReadinessRun, after: ReadinessRun, works: gpd.GeoDataFrame
) -> pd.DataFrame:
    """Each parcel and checklist item whose value changed, the work it is owed to and the model's reason."""
    rows = []
    b, a = before.readiness.table, after.readiness.table.reindex(before.readiness.table.index)
    line_work = {
        (n, str(i)): str(w)
        for n, i, w in zip(works["network"], works["line_id"], works["work_id"], strict=True)
        if i is not None
    }
    upgrade_work = dict(zip(works["source_id"].dropna(), works.loc[works["source_id"].notna(), "work_id"], strict=True))
    level_work = dict(zip(works["parcel_id"].dropna(), works.loc[works["parcel_id"].notna(), "work_id"], strict=True))
    for item in inputs.config.checklist:
        was, now = holds(b, item), holds(a, item)
        changed = np.flatnonzero(was != now)
        if not len(changed):
            continue
        ids = b.index.to_numpy()[changed]
        if item == "leveled":
            owed = [level_work.get(pid) for pid in ids]
            reason = ["场地平整（已记录平整）" if level_work.get(pid) else "" for pid in ids]
        else:
            cov = after.coverage.get(item)
            table = cov.table.reindex(ids) if cov is not None else None
            owed = _owed(item, table, line_work, upgrade_work) if table is not None else [None] * len(ids)
            reason = a[f"{item}_reason"].to_numpy()[changed].tolist()
        rows.append(pd.DataFrame({"parcel_id": ids, "item": item, "before": was[changed], "after": now[changed],
                                  "work_id": owed, "reason": reason}))  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=["parcel_id", "item", "before", "after", "work_id", "reason"])
    return pd.concat(rows, ignore_index=True)


def holds(table: pd.DataFrame, item: str) -> np.ndarray:
    """Whether ``item`` holds for each parcel, as readiness judged it (it is not among the parcel's ``missing``)."""
    missing = table["missing"].fillna("").astype(str).to_numpy(dtype=object)
    # few distinct lists of missing items: each is split once
    codes, lists = pd.factorize(missing)
    held = np.array([item not in str(text).split(",") for text in lists], dtype=bool)
    out: np.ndarray = held[codes]
    return out


def _owed(
    item: str, table: pd.DataFrame, line_work: dict[tuple[str, str], str], upgrade_work: dict[str, str]
) -> list[str | None]:
    """The work each changed parcel's connection is owed to: the work it taps, else the upgraded source serving it."""
    out: list[str | None] = []
    for line_id, source_id in zip(table["line_id"], table["source_id"], strict=True):
        work = line_work.get((item, str(line_id))) if line_id is not None else None
        if work is None and source_id is not None:
            work = upgrade_work.get(str(source_id))
        out.append(work)
    return out
