"""What each target parcel needs of one network: the network built with every work, its tree and coverage.

For each network the works touch, the network is built with every work in service
(:func:`~planner.infra.network.build_network`, noded by :func:`~planner.buildout.noding.noded`)
and its coverage computed (:func:`~planner.infra.coverage.network_coverage`), as readiness
computes it; one multi-source Dijkstra gives the shortest-path tree from the sources
(:func:`~planner.infra.network.source_tree`), read per work and per edge by :class:`_Tree`
(see :mod:`planner.buildout.model`). The networks are independent of one another: a big
park has them worked out in several processes, as readiness does
(:func:`~planner.infra.park.park_coverage`), with the same results as one after the other.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis import ReadinessInputs
from planner.buildout.clauses import Clauses
from planner.buildout.costs import UnitCosts
from planner.buildout.depth import by_depth, chain_depth
from planner.buildout.noding import noded
from planner.buildout.scenario import apply_works
from planner.buildout.works import work_frame
from planner.infra.coverage import Coverage, ParcelShapes, network_coverage, parcel_shapes
from planner.infra.demand import network_demand
from planner.infra.network import Network, build_network, source_tree
from planner.infra.park import PARALLEL_PARCELS
from planner.vocab import CAPACITY_COLUMN, CHECKLIST_ITEMS, STARTED_STATUSES

__all__ = ["NetworkJob", "NetworkNeeds", "network_needs"]


@dataclass
class NetworkNeeds:
    """What one network gives: its clauses and blocked parcels, each line work's prerequisite, the upgrades proposed."""

    clauses: Clauses
    requires: np.ndarray | None
    """The prerequisite (work id or ``None``) of each of the network's line works, in the order of the works table
    (``None``: the network has no edge, its works' prerequisites are left as they are)."""
    upgrades: gpd.GeoDataFrame


@dataclass
class NetworkJob:
    """What working out a network's needs reads: the park, its works and unit costs; the parcels modelled.

    ``modelled``: the rows of ``inputs.parcels`` whose coverage is needed — those drawing on
    a source (its load) and the targets; their shapes are made once for every network.
    """

    inputs: ReadinessInputs
    works: gpd.GeoDataFrame
    costs: UnitCosts
    modelled: np.ndarray

    @cached_property
    def parcels(self) -> pd.DataFrame:
        """The parcels modelled, numbered from 0."""
        return self.inputs.parcels.reset_index(drop=True).iloc[self.modelled].reset_index(drop=True)

    @cached_property
    def shapes(self) -> ParcelShapes:
        """The shapes of the parcels modelled (:func:`~planner.infra.coverage.parcel_shapes`)."""
        return parcel_shapes(self.parcels)

    def run(self, net: str, failing: np.ndarray) -> NetworkNeeds:
        """The clauses of ``net`` for the ``failing`` parcels (ids); the source upgrades proposed for them."""
        works, clauses = self.works, Clauses()
        mine = works[(works["network"] == net) & (works["kind"] == "line")]
        built = apply_works(self.inputs, mine).lines[net]
        network = build_network(net, built, self.inputs.sources, noder=noded)
        settings = self.inputs.config.networks[net]
        if network is None or not len(network.edges):
            clauses.block(failing, net, f"无在用或规划的{CHECKLIST_ITEMS[net][0][1:]}线路")
            return NetworkNeeds(clauses, None, work_frame([], works.crs))
        power_factor = self.inputs.config.threshold("power_coincidence_factor")
        parcels = self.parcels
        coverage = network_coverage(
            network,
            parcels,
            service_distance_m=settings["service_distance_m"],
            service_radius_m=settings["service_radius_m"],
            power_factor=power_factor,
            shapes=self.shapes,
        )
        tree = _Tree.of(network, mine)
        work_ids = mine["work_id"].astype(str).to_numpy().astype(object)
        requires: np.ndarray | None = None
        if len(mine):
            requires = work_ids[np.maximum(tree.requires, 0)]
            requires[tree.requires < 0] = None
        at = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].to_numpy()).reindex(failing).to_numpy()
        geoms = parcels.geometry.to_numpy()[at]
        rows, taps = network.tap_edges  # the edges of a level a parcel can tap
        hit, edge = taps.query(geoms, predicate="dwithin", distance=settings["service_distance_m"])
        edge = rows[edge]
        close = tree.bound[edge] <= settings["service_radius_m"]
        hit, edge = hit[close], edge[close]
        keys = tree.key[edge]
        free = np.zeros(len(failing), dtype=bool)
        free[hit[keys < 0]] = True
        options = pd.DataFrame({"p": hit[keys >= 0], "w": keys[keys >= 0]}).drop_duplicates()
        options = options.sort_values("p", kind="stable")  # by parcel, each parcel's works in the order found
        linked = free.copy()
        linked[options["p"].to_numpy()] = True
        needing = np.flatnonzero(~free & linked)
        wanted = options[~free[options["p"].to_numpy()]]
        clauses.add_flat(
            failing[needing], np.searchsorted(needing, wanted["p"].to_numpy()), work_ids[wanted["w"].to_numpy()]
        )
        reasons = coverage.table["reason"].reindex(failing[~linked]).fillna("").to_numpy()
        clauses.block(failing[~linked], net, ["即使建成全部候选工程仍不能接通：" + r for r in reasons])
        room = _Room(network, parcels, coverage, self.inputs.sources, power_factor)
        upgrades = room.needs(works, net, failing[linked], at[linked], self.costs, clauses)
        return NetworkNeeds(clauses, requires, upgrades)


def network_needs(job: NetworkJob, failing: dict[str, np.ndarray]) -> dict[str, NetworkNeeds]:
    """:meth:`NetworkJob.run` for each network of ``failing`` (its failing parcels); a big park's in several processes.

    As :func:`~planner.infra.park.park_coverage`: one process per core, at most one per
    network, for parks of :data:`~planner.infra.park.PARALLEL_PARCELS` parcels or more.
    """
    names = list(failing)
    workers = min(len(names), _cores()) if len(job.inputs.parcels) >= PARALLEL_PARCELS else 1
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return {net: job.run(net, failing[net]) for net in names}
    job.shapes  # noqa: B018 - made once, before the processes start, and shared with them
    # the networks with the most line works first, so that the processes finish together
    line_works = job.works.loc[job.works["kind"] == "line", "network"].value_counts()
    longest = sorted(names, key=lambda net: -int(line_works.get(net, 0)))
    context = multiprocessing.get_context("fork")  # shares the park with the processes without copying it
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(job,)) as pool:
        sent = {net: pool.submit(_run, net, failing[net]) for net in longest}
        return {net: sent[net].result() for net in names}


_WORKER: dict[str, NetworkJob] = {}
"""The job of this worker process, under ``"job"``: set once as the process starts, by :func:`_start`."""


def _start(job: NetworkJob) -> None:
    _WORKER["job"] = job


def _run(net: str, failing: np.ndarray) -> NetworkNeeds:
    return _WORKER["job"].run(net, failing)


def _cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class _Room:
    """The room left at each source of a network built with every work, and each parcel's expected load."""

    network: Network
    parcels: pd.DataFrame
    coverage: Coverage
    sources: gpd.GeoDataFrame
    power_factor: float

    def needs(
        self, works: gpd.GeoDataFrame, net: str, ids: np.ndarray, at: np.ndarray, costs: UnitCosts, clauses: Clauses
    ) -> gpd.GeoDataFrame:
        """Clauses for the parcels whose serving source lacks room for them: an upgrade of that source.

        A given upgrade of the source that adds enough serves; where none is given, one is
        proposed, adding the largest shortfall (rounded up) at the unit cost of capacity.
        """
        crs = works.crs
        if CAPACITY_COLUMN.get(net) is None or not len(ids):
            return work_frame([], crs)
        _, expected = network_demand(self.network, self.parcels, self.power_factor)
        src = self.coverage.table["source_id"].reindex(ids).to_numpy()
        consuming = self.parcels["status"].isin(STARTED_STATUSES).to_numpy()[at]
        rest = self.coverage.sources["remaining"]
        left = pd.Series(rest.to_numpy(dtype=float), index=rest.index.astype(str)).reindex(src.astype(str)).to_numpy()
        short = ~consuming & pd.notna(src) & np.isfinite(left) & (left < expected[at])
        if not short.any():
            return work_frame([], crs)
        given = works[(works["kind"] == "upgrade") & (works["network"] == net)]
        frame = pd.DataFrame({"parcel_id": ids[short], "source_id": src[short].astype(str),
                              "shortfall": expected[at][short] - left[short]})  # fmt: skip
        new_rows: list[dict[str, object]] = []
        options: list[tuple[str, np.ndarray]] = []
        for source_id, group in frame.groupby("source_id", sort=True):
            mine = given[given["source_id"].astype(str) == source_id]
            if not len(mine):
                row = self._proposed(str(source_id), float(group["shortfall"].max()), net, costs)
                if row is not None:
                    new_rows.append(row)
                    mine = pd.DataFrame([row])
            added = mine["capacity_added"].to_numpy(dtype=float) if len(mine) else np.zeros(0)
            for pid, gap in zip(group["parcel_id"], group["shortfall"], strict=True):
                enough = (
                    mine["work_id"].astype(str).to_numpy()[added >= gap] if len(mine) else np.zeros(0, dtype=object)
                )
                options.append((pid, enough))
        clauses.add(np.array([p for p, o in options if len(o)], dtype=object), [o for _, o in options if len(o)])
        lacking = np.array([p for p, o in options if not len(o)], dtype=object)
        clauses.block(lacking, net, "源点容量不足，且无足够的扩容工程或扩容单价")
        return work_frame(new_rows, crs)

    def _proposed(self, source_id: str, shortfall: float, net: str, costs: UnitCosts) -> dict[str, object] | None:
        """An upgrade of ``source_id`` adding ``shortfall`` rounded up, at the unit cost of capacity (None: no cost)."""
        per_unit = costs.per_capacity(net)
        if not np.isfinite(per_unit):
            return None
        added = _round_up(shortfall)
        row = self.sources[self.sources["source_id"].astype(str) == source_id].iloc[0]
        return {"work_id": f"upgrade-{source_id}", "kind": "upgrade", "origin": "candidate", "network": net,
                "name": f"{row['name'] or source_id}扩容", "length_m": 0.0, "cost_wan": added * per_unit,
                "cost_basis": costs.basis(net, "source", "expansion"), "source_id": source_id,
                "capacity_added": added, "geometry": row.geometry}  # fmt: skip


def _round_up(value: float) -> float:
    """``value`` rounded up to two significant figures (a capacity to add)."""
    if value <= 0:
        return 0.0
    step = 10 ** (np.floor(np.log10(value)) - 1)
    return float(np.ceil(value / step) * step)


@dataclass
class _Tree:
    """The shortest-path tree of a network built with every work, read per work and per edge.

    ``requires``: each work's prerequisite (position among the works, ``-1`` none);
    ``key``: for each edge, the work that must be built for it to be reached (``-1``: reached now);
    ``bound``: how far along the network from a source any point of the edge then lies, at most (m).
    """

    requires: np.ndarray
    key: np.ndarray
    bound: np.ndarray

    @classmethod
    def of(cls, network: Network, works: pd.DataFrame) -> _Tree:
        """Read the tree of ``network`` for ``works`` (its line works, whose ``line_id`` names their edges)."""
        edges = network.edges
        n_works = len(works)
        u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
        length = edges["length_m"].to_numpy(dtype=float)
        position = pd.Series(np.arange(n_works), index=works["line_id"].astype(str).to_numpy())
        work = position.reindex(edges["line_id"].astype(str).to_numpy()).fillna(-1).to_numpy(dtype=int)
        dist, source, pred = source_tree(network)
        own = _own(network, work, dist, source, pred)
        last = _nearest_ancestor(own, pred)
        # each work's entry: its node nearest a source; its prerequisite, the last work on the way there
        ends = pd.DataFrame({"w": np.r_[work, work], "node": np.r_[u, v]})
        ends = ends[ends["w"] >= 0]
        ends["d"] = dist[ends["node"].to_numpy()]
        entry = np.full(n_works, -1)
        if len(ends):
            first = ends.sort_values(["d", "node"], kind="stable").drop_duplicates("w")
            entry[first["w"].to_numpy()] = first["node"].to_numpy()
        has = entry >= 0
        requires = np.full(n_works, -1)
        requires[has] = last[entry[has]]
        self_loop = requires == np.arange(n_works)
        requires[self_loop] = -1
        requires[has & ~np.isfinite(dist[np.maximum(entry, 0)])] = -1
        span = np.bincount(work[work >= 0], weights=length[work >= 0], minlength=n_works)
        entry_d = np.where(has, dist[np.maximum(entry, 0)], np.inf)
        reach = _chain_bounds(requires, entry_d, span)
        reach, entry_d = np.r_[reach, 0.0], np.r_[entry_d, 0.0]  # row -1: no work
        node_bound = np.where(last < 0, dist, reach[last] + dist - entry_d[last])
        node_bound = np.where(np.isfinite(dist), node_bound, np.inf)
        near_u = node_bound[u] <= node_bound[v]
        a = np.where(near_u, u, v)
        key = np.where(work >= 0, work, last[a])
        bound = np.where(work >= 0, reach[work], node_bound[a] + length)
        return cls(requires, key, bound)


def _own(network: Network, work: np.ndarray, dist: np.ndarray, source: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The work of the tree edge into each node (``-1``: an existing edge, or the node is a source's)."""
    edges = network.edges
    lo = np.minimum(edges["u"].to_numpy(), edges["v"].to_numpy())
    hi = np.maximum(edges["u"].to_numpy(), edges["v"].to_numpy())
    shortest = (
        pd.DataFrame({"lo": lo, "hi": hi, "len": edges["length_m"].to_numpy(), "e": np.arange(len(edges))})
        .sort_values("len", kind="stable")
        .drop_duplicates(["lo", "hi"])
    )
    index = pd.MultiIndex.from_arrays([shortest["lo"].to_numpy(), shortest["hi"].to_numpy()])
    nodes = np.arange(len(dist))
    inner = pred >= 0
    own = np.full(len(dist), -1)
    at = index.get_indexer(
        pd.MultiIndex.from_arrays([np.minimum(pred[inner], nodes[inner]), np.maximum(pred[inner], nodes[inner])])
    )
    own[inner] = np.where(at >= 0, work[shortest["e"].to_numpy()[np.maximum(at, 0)]], -1)
    # a node reached straight from a source's tie point: along the edge the source is tied to
    root = ~inner & np.isfinite(dist) & (dist > 1e-6) & (source >= 0)
    if root.any() and len(network.sources):
        tie = network.sources["edge"].to_numpy()[source[root]]
        own[root] = work[tie]
    return own


def _nearest_ancestor(own: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """For each node, the nearest work on its way to a source (itself included), by pointer jumping."""
    value, up = own.copy(), pred.copy()
    while True:
        open_ = (value < 0) & (up >= 0)
        if not open_.any():
            return value
        value[open_] = value[up[open_]]
        up[open_] = up[up[open_]]


def _chain_bounds(requires: np.ndarray, entry_d: np.ndarray, span: np.ndarray) -> np.ndarray:
    """How far from a source any point of each work lies, at most, once it and its prerequisites are built (m)."""
    reach = np.full(len(requires), np.nan)
    roots = requires < 0
    reach[roots] = entry_d[roots] + span[roots]
    try:
        levels = by_depth(chain_depth(requires))
    except ValueError:  # a cycle of prerequisites cannot happen on a tree; be safe
        return _chain_bounds_slowly(requires, entry_d, span)
    for todo in levels[1:]:  # each level from the one before: the works it requires
        r = requires[todo]
        reach[todo] = reach[r] + (entry_d[todo] - entry_d[r]) + span[todo]
    return reach


def _chain_bounds_slowly(requires: np.ndarray, entry_d: np.ndarray, span: np.ndarray) -> np.ndarray:
    """:func:`_chain_bounds` a step at a time over every work, where the prerequisites close a cycle (``inf`` there)."""
    reach = np.full(len(requires), np.nan)
    roots = requires < 0
    reach[roots] = entry_d[roots] + span[roots]
    while np.isnan(reach).any():
        todo = np.isnan(reach) & ~np.isnan(reach[np.maximum(requires, 0)]) & (requires >= 0)
        if not todo.any():
            reach[np.isnan(reach)] = np.inf
            break
        r = requires[todo]
        reach[todo] = reach[r] + (entry_d[todo] - entry_d[r]) + span[todo]
    return reach
