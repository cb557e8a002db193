"""What each target parcel needs to become 熟地: for every checklist item it fails, the works that would make it hold.

The needs are read off the network model itself. For each network the works touch, the
network is built with every work in service (:func:`~planner.infra.network.build_network`)
and its coverage computed (:func:`~planner.infra.coverage.network_coverage`), as readiness
computes it; one multi-source Dijkstra gives the shortest-path tree from the sources
(:func:`~planner.infra.network.source_tree`). Along that tree:

- a work's **prerequisite** (``requires``) is the last work on the way from the source to
  the work's nearest point; building a work and its chain of prerequisites links it to a source;
- an edge of the network is reached once the last work on the way to it is built (none:
  it is reached now), no farther along the network than a bound worked out along the chain;
- a parcel failing the item gets it when one of the edges within the service distance of
  it is reached within the service radius — an *or* over the works those edges need — and
  its serving source has room for its expected load (else an upgrade of that source).

A parcel is 熟地 only when every item holds, so its needs are an *and* of such clauses
(:class:`Needs`). The bound is conservative: building the works a parcel needs connects it
in the model; the plan is verified on the model after all (:mod:`planner.buildout.plan`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis import ReadinessInputs, ReadinessRun
from planner.buildout.clauses import Clauses
from planner.buildout.costs import UnitCosts
from planner.buildout.depth import by_depth, chain_depth
from planner.buildout.reach import NetworkJob, network_needs
from planner.buildout.scenario import holds
from planner.buildout.works import concat_works, leveling_works
from planner.vocab import CHECKLIST_ITEMS, STARTED_STATUSES

__all__ = ["Needs", "parcel_needs"]


@dataclass
class Needs:
    """The target parcels and what each needs: clauses (an *or* over works), all of which must hold.

    ``targets``: weight of each target parcel that works can make ready (index ``parcel_id``);
    ``area_mu`` in the same order. ``clause_parcel[c]``: the target (position) of clause ``c``;
    ``option_clause``, ``option_work``: the works (rows of ``works``) that satisfy each clause.
    ``blocked``: target parcels no work considered can make ready, with the item and why.
    """

    works: gpd.GeoDataFrame
    targets: pd.Series
    area_mu: np.ndarray
    clause_parcel: np.ndarray
    option_clause: np.ndarray
    option_work: np.ndarray
    blocked: pd.DataFrame
    requires: np.ndarray = field(init=False)
    """The row of each work's prerequisite (``-1``: none)."""
    _depth: np.ndarray | None = field(init=False, default=None, repr=False)
    _levels: list[np.ndarray] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        # as plain objects: pandas' string columns convert to and fro on every step
        ids = pd.Index(np.array([str(w) for w in self.works["work_id"].to_numpy(dtype=object)], dtype=object))
        if not ids.is_unique:
            msg = "the works' ids (`work_id`) must be unique"
            raise ValueError(msg)
        need = self.works["requires"].to_numpy(dtype=object, na_value=None)
        named = np.flatnonzero(~pd.isna(need))
        self.requires = np.full(len(need), -1, dtype=int)
        self.requires[named] = ids.get_indexer(np.array([str(n) for n in need[named]], dtype=object))

    def depth(self) -> np.ndarray:
        """How many prerequisites lie before each work (0: it needs none)."""
        if self._depth is None:
            self._depth = chain_depth(self.requires)
        return self._depth.copy()

    def levels(self) -> list[np.ndarray]:
        """The works (rows) by :meth:`depth`: those needing none first, then those needing one of them, …"""
        if self._levels is None:
            self._levels = by_depth(self.depth())
        return list(self._levels)

    def ready_with(self, built: np.ndarray) -> np.ndarray:
        """Which targets are ready with the works ``built`` (a mask over ``works``, closed under prerequisites)."""
        met = np.zeros(len(self.clause_parcel), dtype=bool)
        met[self.option_clause[built[self.option_work]]] = True
        unmet = np.bincount(self.clause_parcel[~met], minlength=len(self.targets))
        return unmet == 0


def parcel_needs(
    inputs: ReadinessInputs,
    before: ReadinessRun,
    works: gpd.GeoDataFrame,
    weights: pd.Series,
    costs: UnitCosts,
) -> Needs:
    """What each target parcel (``weights``, by ``parcel_id``, not ready now) needs of ``works``.

    Upgrades are proposed for the sources short of room for a target parcel, and leveling
    works for target parcels the DEM finds not level; they join the works table returned.
    """
    table = before.readiness.table
    ready = table["ready"].fillna(False).astype(bool)
    weights = weights[weights.index.isin(table.index[~ready.reindex(table.index).to_numpy()])]
    weights = weights[weights > 0]
    ids = weights.index.to_numpy()
    works = works.reset_index(drop=True)
    # which items each target fails, and for the networks among them, the network's needs (several at once)
    failing = {item: ids[~holds(table.reindex(ids), item)] for item in inputs.config.checklist}
    failing = {item: f for item, f in failing.items() if len(f)}
    lines = works[works["kind"] == "line"]
    modelled = {
        item
        for item in failing
        if item != "leveled" and (before.readiness.used[item] != "declared" or (lines["network"] == item).any())
    }
    consuming = inputs.parcels["status"].isin(STARTED_STATUSES).to_numpy()
    job = NetworkJob(inputs, works, costs, np.flatnonzero(consuming | inputs.parcels["parcel_id"].isin(ids).to_numpy()))
    reached = network_needs(job, {item: f for item, f in failing.items() if item in modelled})
    clauses = Clauses()
    extra: list[gpd.GeoDataFrame] = []
    for item, ids_failing in failing.items():
        if item == "leveled":
            extra.append(_leveling(inputs, works, ids_failing, costs, clauses))
        elif item not in modelled:
            clauses.block(ids_failing, item, f"无{CHECKLIST_ITEMS[item][0][1:]}管网图层，登记为未通")
        else:
            got = reached[item]
            clauses.extend(got.clauses)
            rows = works.index[(works["network"] == item) & (works["kind"] == "line")]
            if got.requires is not None and len(rows):
                works.loc[rows, "requires"] = got.requires
            extra.append(got.upgrades)
    added = [w for w in extra if len(w)]
    if added:
        works = concat_works([works, *added], works.crs)
    works = _with_requires(works)
    return _needs(works, weights, inputs, clauses)


def _needs(works: gpd.GeoDataFrame, weights: pd.Series, inputs: ReadinessInputs, clauses: Clauses) -> Needs:
    """The clauses as arrays over the works table; parcels blocked on any item are no targets."""
    blocked = (
        pd.concat(clauses.blocked, ignore_index=True)
        if clauses.blocked
        else pd.DataFrame(columns=["parcel_id", "item", "reason"])
    )
    keep = weights[~weights.index.isin(blocked["parcel_id"])]
    position = pd.Series(np.arange(len(keep)), index=keep.index)
    row_of = pd.Series(np.arange(len(works)), index=works["work_id"].astype(str).to_numpy())
    sizes = np.array([len(p) for p in clauses.parcel], dtype=int)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else np.zeros(0, dtype=int)
    parcels = np.concatenate(clauses.parcel) if clauses.parcel else np.zeros(0, dtype=object)
    clause = (
        np.concatenate([c + o for c, o in zip(clauses.option_clause, offsets, strict=True)])
        if clauses.parcel
        else np.zeros(0, dtype=int)
    )
    work = np.concatenate(clauses.option_work) if clauses.parcel else np.zeros(0, dtype=object)
    at = position.reindex(parcels).to_numpy(dtype=float)
    kept = ~np.isnan(at)  # clauses of parcels that are targets (not blocked on another item)
    renumber = np.cumsum(kept) - 1
    used = kept[clause]
    area = inputs.parcels.set_index("parcel_id")["area_mu"].reindex(keep.index).to_numpy(dtype=float)
    return Needs(
        works,
        keep,
        area,
        at[kept].astype(int),
        renumber[clause[used]].astype(int),
        row_of.reindex(work[used].astype(str)).to_numpy(dtype=int),
        blocked,
    )


def _leveling(
    inputs: ReadinessInputs, works: gpd.GeoDataFrame, failing: np.ndarray, costs: UnitCosts, clauses: Clauses
) -> gpd.GeoDataFrame:
    """Leveling works for the parcels not level: given ones, else one per parcel from its DEM earthwork."""
    given = set(works.loc[works["kind"] == "leveling", "parcel_id"].astype(str))
    earth = inputs.terrain["earthwork_m3"] if inputs.terrain is not None else pd.Series(dtype=float)
    earth = earth.reindex([p for p in failing if p not in given])
    new = leveling_works(inputs.parcels, earth.dropna(), costs, works.crs)
    have = given | set(new["parcel_id"].astype(str))
    ok = np.array([p in have for p in failing], dtype=bool)
    clauses.add_flat(
        failing[ok], np.arange(int(ok.sum())), np.array([f"leveling-{p}" for p in failing[ok]], dtype=object)
    )
    clauses.block(failing[~ok], "leveled", "无DEM土方量，无法估算场地平整费用")
    return new


def _with_requires(works: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The works table with a prerequisite that is not a work of the table cleared."""
    known = pd.Index(works["work_id"].to_numpy(dtype=object, na_value=None)).astype(str)
    needed = works["requires"].to_numpy(dtype=object, na_value=None)
    # as plain objects: an isin over the table's string columns is slow
    named = np.array([str(r) for r in needed], dtype=object)
    kept = np.where(known.get_indexer(named) >= 0, needed, None)
    works["requires"] = pd.Series(kept, index=works.index, dtype=object)
    return works
