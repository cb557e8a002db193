"""The needs model as it was before its speed-up (planner/buildout/model.py at commit 4d70585), kept as the reference.

``tests/buildout/test_model.py`` checks that :func:`planner.buildout.model.parcel_needs` (the
networks noded by :func:`planner.buildout.noding.node_lines`, worked out in several processes)
finds what this one finds: every network built by ``build_network`` with GEOS noding every line,
one after the other. Only the module's docstring is new.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.analysis import ReadinessInputs, ReadinessRun
from planner.buildout.costs import UnitCosts
from planner.buildout.scenario import apply_works, holds
from planner.buildout.works import concat_works, leveling_works, work_frame
from planner.infra.coverage import Coverage, network_coverage
from planner.infra.demand import network_demand
from planner.infra.network import Network, build_network, source_tree
from planner.vocab import CAPACITY_COLUMN, CHECKLIST_ITEMS, STARTED_STATUSES

__all__ = ["parcel_needs"]


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

    def __post_init__(self) -> None:
        position = pd.Series(np.arange(len(self.works)), index=self.works["work_id"].astype(str).to_numpy())
        req = self.works["requires"]
        self.requires = np.where(req.notna(), position.reindex(req.astype(str)).fillna(-1).to_numpy(), -1).astype(int)

    def depth(self) -> np.ndarray:
        """How many prerequisites lie before each work (0: it needs none)."""
        depth = np.zeros(len(self.requires), dtype=int)
        up = self.requires.copy()
        while (up >= 0).any():
            depth[up >= 0] += 1
            up = np.where(up >= 0, self.requires[np.maximum(up, 0)], -1)
        return depth

    def levels(self) -> list[np.ndarray]:
        """The works (rows) by :meth:`depth`: those needing none first, then those needing one of them, …"""
        depth = self.depth()
        return [np.flatnonzero(depth == d) for d in range(int(depth.max(initial=0)) + 1)]

    def ready_with(self, built: np.ndarray) -> np.ndarray:
        """Which targets are ready with the works ``built`` (a mask over ``works``, closed under prerequisites)."""
        met = np.zeros(len(self.clause_parcel), dtype=bool)
        met[self.option_clause[built[self.option_work]]] = True
        unmet = np.bincount(self.clause_parcel[~met], minlength=len(self.targets))
        return unmet == 0


@dataclass
class _Clauses:
    """Clauses gathered item by item, as flat arrays: each clause's parcel, and each option's clause and work id."""

    parcel: list[np.ndarray] = field(default_factory=list)
    option_clause: list[np.ndarray] = field(default_factory=list)
    option_work: list[np.ndarray] = field(default_factory=list)
    blocked: list[pd.DataFrame] = field(default_factory=list)

    def add(self, parcels: np.ndarray, options: list[np.ndarray]) -> None:
        """One clause per parcel, satisfied by any of its options (work ids)."""
        lengths = np.fromiter((len(o) for o in options), dtype=int, count=len(options))
        works = np.concatenate([np.asarray(o, dtype=object) for o in options]) if options else np.zeros(0, dtype=object)
        self.add_flat(parcels, np.repeat(np.arange(len(options)), lengths), works)

    def add_flat(self, parcels: np.ndarray, clause: np.ndarray, works: np.ndarray) -> None:
        """One clause per parcel; option ``k`` (work id ``works[k]``) satisfies clause ``clause[k]``."""
        self.parcel.append(np.asarray(parcels, dtype=object))
        self.option_clause.append(np.asarray(clause, dtype=int))
        self.option_work.append(np.asarray(works, dtype=object))

    def block(self, ids: np.ndarray, item: str, reasons: np.ndarray | list[str] | str) -> None:
        if len(ids):
            self.blocked.append(pd.DataFrame({"parcel_id": ids, "item": item, "reason": reasons}))


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
    clauses = _Clauses()
    extra: list[gpd.GeoDataFrame] = []
    for item in inputs.config.checklist:
        failing = ids[~holds(table.reindex(ids), item)]
        if not len(failing):
            continue
        if item == "leveled":
            extra.append(_leveling(inputs, works, failing, costs, clauses))
            continue
        mine = works[(works["network"] == item) & (works["kind"] == "line")]
        if before.readiness.used[item] == "declared" and not len(mine):
            clauses.block(failing, item, f"无{CHECKLIST_ITEMS[item][0][1:]}管网图层，登记为未通")
            continue
        extra.append(_network_needs(inputs, before, works, item, failing, costs, clauses))
    added = [w for w in extra if len(w)]
    if added:
        works = concat_works([works, *added], works.crs)
    works = _with_requires(works)
    return _needs(works, weights, inputs, clauses)


def _needs(works: gpd.GeoDataFrame, weights: pd.Series, inputs: ReadinessInputs, clauses: _Clauses) -> Needs:
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
    inputs: ReadinessInputs, works: gpd.GeoDataFrame, failing: np.ndarray, costs: UnitCosts, clauses: _Clauses
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


def _network_needs(
    inputs: ReadinessInputs,
    before: ReadinessRun,
    works: gpd.GeoDataFrame,
    net: str,
    failing: np.ndarray,
    costs: UnitCosts,
    clauses: _Clauses,
) -> gpd.GeoDataFrame:
    """The clauses of ``net`` for the ``failing`` parcels; the source upgrades proposed for them."""
    mine = works[(works["network"] == net) & (works["kind"] == "line")]
    built = apply_works(inputs, mine).lines[net]
    network = build_network(net, built, inputs.sources)
    settings = inputs.config.networks[net]
    if network is None or not len(network.edges):
        clauses.block(failing, net, f"无在用或规划的{CHECKLIST_ITEMS[net][0][1:]}线路")
        return work_frame([], works.crs)
    power_factor = inputs.config.threshold("power_coincidence_factor")
    parcels = inputs.parcels.reset_index(drop=True)
    coverage = network_coverage(
        network,
        parcels,
        service_distance_m=settings["service_distance_m"],
        service_radius_m=settings["service_radius_m"],
        power_factor=power_factor,
    )
    tree = _Tree.of(network, mine)
    work_ids = mine["work_id"].astype(str).to_numpy().astype(object)
    if len(mine):
        works.loc[mine.index, "requires"] = np.where(tree.requires < 0, None, work_ids[np.maximum(tree.requires, 0)])
    at = pd.Series(np.arange(len(parcels)), index=parcels["parcel_id"].to_numpy()).reindex(failing).to_numpy()
    geoms = parcels.geometry.to_numpy()[at]
    hit, edge = network.edge_tree.query(geoms, predicate="dwithin", distance=settings["service_distance_m"])
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
    room = _Room(network, parcels, coverage, inputs.sources, power_factor)
    return room.needs(works, net, failing[linked], at[linked], costs, clauses)


@dataclass
class _Room:
    """The room left at each source of a network built with every work, and each parcel's expected load."""

    network: Network
    parcels: pd.DataFrame
    coverage: Coverage
    sources: gpd.GeoDataFrame
    power_factor: float

    def needs(
        self, works: gpd.GeoDataFrame, net: str, ids: np.ndarray, at: np.ndarray, costs: UnitCosts, clauses: _Clauses
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
    while np.isnan(reach).any():
        todo = np.isnan(reach) & ~np.isnan(reach[np.maximum(requires, 0)]) & (requires >= 0)
        if not todo.any():  # a cycle of prerequisites cannot happen on a tree; be safe
            reach[np.isnan(reach)] = np.inf
            break
        r = requires[todo]
        reach[todo] = reach[r] + (entry_d[todo] - entry_d[r]) + span[todo]
    return reach


def _with_requires(works: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The works table with a prerequisite that is not a work of the table cleared."""
    known = set(works["work_id"].astype(str))
    works["requires"] = works["requires"].where(works["requires"].astype(str).isin(known), None)
    return works
