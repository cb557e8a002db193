"""The park as siting sees it: one array per fact a land-supply rule or a criterion needs.

:class:`SiteIndex` is built once per park (from a store, or from frames) and then
answers any number of projects with vectorised numpy: the status, land class,
zoning, area, readiness items, serving sources with their remaining capacity, road
distance to the gateway and earthwork of every parcel; which available parcels
touch (for combined groups); where the producing parcels of each industry are (for
the industry-chain criterion); and the standard factories with free floor area.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from planner.analysis import ReadinessRun, update_readiness
from planner.codes import split_codes
from planner.config import ParkConfig
from planner.errors import Problem
from planner.infra.coverage import Coverage
from planner.siting.industries import land_class_of_use
from planner.vocab import CHECKLIST_ITEMS, NETWORK_ITEMS, STARTED_STATUSES

if TYPE_CHECKING:
    from planner.store import ParkStore

__all__ = ["CAPACITY_NETWORKS", "SiteIndex"]

CAPACITY_NETWORKS = ("power", "water", "drainage")
"""Networks whose sources' remaining capacity a project's demand is checked against."""


@dataclass
class SourceTable:
    """One network's sources: ids, names, capacity and what is left after the present loads."""

    ids: np.ndarray
    names: np.ndarray
    capacity: np.ndarray
    remaining: np.ndarray

    @classmethod
    def of(cls, coverage: Coverage) -> SourceTable:
        """The sources of a network's coverage."""
        table = coverage.sources
        return cls(
            ids=table.index.to_numpy(dtype=object),
            names=table["name"].astype(object).fillna("").to_numpy(),
            capacity=table["capacity"].to_numpy(dtype=float, na_value=np.nan),
            remaining=table["remaining"].to_numpy(dtype=float, na_value=np.nan),
        )


@dataclass
class SiteIndex:
    """Arrays over the park's parcels (position ``i`` is one parcel) and what siting needs beside them."""

    config: ParkConfig
    ids: np.ndarray
    area_mu: np.ndarray
    area_m2: np.ndarray
    status: np.ndarray
    land_class: np.ndarray
    zone_key: np.ndarray
    """Index into ``zones`` of each parcel's zoning (``zones[k]`` a tuple of codes; ``()`` for none)."""
    zones: list[tuple[str, ...]]
    division: np.ndarray
    """The occupant's GB/T 4754 division (``C36``) where a parcel has one, else ``""``."""
    consuming: np.ndarray
    x: np.ndarray
    y: np.ndarray
    held: dict[str, np.ndarray]
    """Each checklist item's value as readiness uses it (derived where a network exists, declared otherwise)."""
    reason: dict[str, np.ndarray]
    source: dict[str, np.ndarray]
    """Position of each parcel's serving source in ``sources[net]`` (−1: none), for capacity networks."""
    sources: dict[str, SourceTable]
    road_m: np.ndarray
    """Distance by road from the gateway to the parcel's tap point (NaN: unknown)."""
    earthwork_m3: np.ndarray
    pairs: np.ndarray
    """Adjacent pairs ``(i, j)``, ``i < j``, among available (reserved) parcels."""
    factories: pd.DataFrame = field(default_factory=pd.DataFrame)
    geometry: np.ndarray | None = None
    problems: list[Problem] = field(default_factory=list)
    """What building the index found (networks without lines, no DEM, …)."""
    available: np.ndarray = field(init=False, repr=False)
    """Reserved (储备) parcels: the land that can be supplied."""
    class_family: np.ndarray = field(init=False, repr=False)
    """Land-class family of each parcel: ``M`` or ``W``, else ``""``; ``class_level`` its 1–3 (0: none)."""
    class_level: np.ndarray = field(init=False, repr=False)
    _trees: dict[str, cKDTree] = field(default_factory=dict, repr=False)
    _zoning: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _remaining: dict[str, np.ndarray | None] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.available = self.status == "reserved"
        codes = pd.Series(self.land_class, dtype=object).fillna("")
        self.class_family = codes.str[:1].to_numpy(dtype=object)
        self.class_level = pd.to_numeric(codes.str[1:], errors="coerce").fillna(0).to_numpy(dtype=np.int8)
        where = self.consuming & np.isfinite(self.x) & np.isfinite(self.y)
        for division in pd.unique(self.division[where]):
            if division:
                mine = where & (self.division == division)
                self._trees[division] = cKDTree(np.column_stack([self.x[mine], self.y[mine]]))

    def __len__(self) -> int:
        return len(self.ids)

    def remaining_at(self, net: str) -> np.ndarray | None:
        """Capacity left at each parcel's serving source on ``net`` (inf: not limited; −inf: not served), or None."""
        if net not in self._remaining:
            table = self.sources.get(net)
            if table is None or not len(table.ids):
                self._remaining[net] = None
            else:
                pos = self.source[net]
                p = np.maximum(pos, 0)
                left = np.where(np.isnan(table.capacity[p]), np.inf, table.remaining[p])
                self._remaining[net] = np.where(pos >= 0, left, -np.inf)
        return self._remaining[net]

    @classmethod
    def build(
        cls,
        parcels: pd.DataFrame,
        config: ParkConfig,
        *,
        coverage: Mapping[str, Coverage] | None = None,
        factories: pd.DataFrame | None = None,
    ) -> SiteIndex:
        """Index ``parcels`` (with their readiness columns) and the networks' ``coverage``.

        Readiness items hold where the derived value (network model, DEM) says so, and
        where a park has no model for an item, where the records declare it. For power,
        water and drainage with a network model, an item holds where the network reaches
        the parcel: whether the serving source has room is decided by the project's own
        demand (the capacity rules), not by the per-mu default readiness assumes.
        Without a network's coverage its sources' capacity is unknown and not checked.
        """
        p = parcels.reset_index(drop=True)
        for column in ("zone_industries", "industry", "earthwork_m3"):  # optional: absent means unknown
            if column not in p:
                p[column] = None
        ids = p["parcel_id"].astype(object).to_numpy()
        zone_text = p["zone_industries"].astype(object).where(p["zone_industries"].notna(), "").astype(str)
        zone_key, zone_values = pd.factorize(zone_text.to_numpy())
        industry = p["industry"].astype(object).where(p["industry"].notna(), "").astype(str)
        held, reason = _checklist_items(p)
        coverage = coverage or {}
        sources: dict[str, SourceTable] = {}
        source_pos: dict[str, np.ndarray] = {}
        for net in CAPACITY_NETWORKS:
            cov = coverage.get(net)
            if cov is not None:
                sources[net] = SourceTable.of(cov)
                held[net], source_pos[net] = _served(cov, ids)
        road = coverage.get("road")
        road_m = (
            road.table["network_m"].reindex(ids).to_numpy(dtype=float, na_value=np.nan)
            if road is not None
            else np.full(len(p), np.nan)
        )
        geoms, x, y = _centres(p)
        status = p["status"].astype(object).to_numpy()
        pairs = (
            _adjacent(
                geoms,
                status == "reserved",
                config.threshold("siting_adjacent_max_m"),
                config.threshold("siting_adjacent_min_shared_m"),
            )
            if geoms is not None
            else np.zeros((0, 2), dtype=np.int64)
        )
        return cls(
            config=config,
            ids=ids,
            area_mu=p["area_mu"].to_numpy(dtype=float, na_value=np.nan),
            area_m2=p["area_m2"].to_numpy(dtype=float, na_value=np.nan),
            status=status,
            land_class=land_class_of_use(p["land_use"]).to_numpy(),
            zone_key=zone_key,
            zones=[tuple(split_codes(text)) for text in zone_values],
            division=industry.str[:3].to_numpy(dtype=object),
            consuming=np.isin(status, STARTED_STATUSES),
            x=x,
            y=y,
            held=held,
            reason=reason,
            source=source_pos,
            sources=sources,
            road_m=road_m,
            earthwork_m3=p["earthwork_m3"].to_numpy(dtype=float, na_value=np.nan),
            pairs=pairs,
            factories=factories if factories is not None else pd.DataFrame(),
            geometry=geoms,
        )

    @classmethod
    def from_store(
        cls,
        store: ParkStore,
        *,
        progress: Callable[[str], None] | None = None,
        run: ReadinessRun | None = None,
    ) -> SiteIndex:
        """Index a park store: its parcels, readiness computed afresh from its networks, its standard factories.

        ``run``: a :class:`~planner.analysis.ReadinessRun` already made of this store, to use instead.
        """
        if run is None:
            run = update_readiness(store, by="siting", write=False, progress=progress)
        parcels = store.read_parcels()
        table = run.readiness.table.reindex(parcels["parcel_id"])
        for column in table.columns:
            parcels[column] = table[column].to_numpy()
        index = cls.build(parcels, store.config(), coverage=run.coverage, factories=store.read_layer("factories"))
        index.problems = run.problems
        return index

    def chain_count(self, divisions: tuple[str, ...], at: np.ndarray, radius_m: float) -> np.ndarray:
        """How many producing or building parcels of ``divisions`` have their centre within ``radius_m`` of ``at``.

        One k-d tree per division, built with the index, so the first project of an industry
        costs no more than the next.
        """
        counts = np.zeros(len(at), dtype=np.int64)
        if not len(at):
            return counts
        points = np.column_stack([self.x[at], self.y[at]])
        known = np.isfinite(points).all(axis=1)
        for division in sorted(set(divisions)):
            tree = self._trees.get(division)
            if tree is not None and known.any():
                counts[known] += np.asarray(tree.query_ball_point(points[known], r=radius_m, return_length=True))
        # a producing parcel of the chain does not count itself
        own = self.consuming[at] & np.isin(self.division[at], list(divisions))
        chain: np.ndarray = counts - own
        return chain

    def zoning_admits(self, code: str) -> np.ndarray:
        """For each parcel, whether its zoning admits ``code`` (a parcel zoned ``C36`` admits ``C3670``).

        Parcels without a zoning admit every code here; the leading-industry rule decides for them.
        """
        cached = self._zoning.get(code)
        if cached is None:
            per_zone = np.array([any(code.startswith(z) for z in zone) if zone else True for zone in self.zones])
            cached = per_zone.astype(bool)[self.zone_key] if len(per_zone) else np.ones(len(self), dtype=bool)
            self._zoning[code] = cached
        return cached

    def zoned(self) -> np.ndarray:
        """Whether each parcel has a zoning (a list of allowed industries)."""
        has = np.array([bool(zone) for zone in self.zones], dtype=bool)
        return has[self.zone_key] if len(has) else np.zeros(len(self), dtype=bool)


def _checklist_items(p: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each checklist item's value as readiness uses it (derived, else declared; unknown: not held), and its reason."""
    held: dict[str, np.ndarray] = {}
    reason: dict[str, np.ndarray] = {}
    for item in CHECKLIST_ITEMS:
        derived = p[item] if item in p else pd.Series(pd.NA, index=p.index)
        declared = p[f"declared_{item}"]
        value = derived.astype("boolean").fillna(declared.astype("boolean"))
        held[item] = value.fillna(False).to_numpy(dtype=bool)
        text = p[f"{item}_reason"] if f"{item}_reason" in p else pd.Series(None, index=p.index, dtype=object)
        reason[item] = text.astype(object).to_numpy()
    return held, reason


def _served(coverage: Coverage, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which parcels the network reaches, and the position of each one's serving source (−1: none).

    The network reaches the parcel; whether its source has room is the project's own demand to decide.
    """
    table = coverage.table
    failed = table["failed"].reindex(ids)
    reach = (table["connected"].reindex(ids).fillna(False).astype(bool) | (failed == "capacity")).to_numpy()
    serving = table["source_id"].reindex(ids).where(reach)
    return reach, pd.Index(coverage.sources.index).get_indexer(serving.to_numpy(dtype=object))


def _centres(p: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """The parcels' geometries (``None`` without) and a point inside each: from the geometry, else columns x, y."""
    if isinstance(p, gpd.GeoDataFrame):
        geoms: np.ndarray = p.geometry.to_numpy()
        centre = shapely.point_on_surface(geoms)  # missing or empty geometry: NaN, never a shifted row
        return geoms, shapely.get_x(centre), shapely.get_y(centre)
    if {"x", "y"} <= set(p.columns):
        return None, p["x"].to_numpy(dtype=float), p["y"].to_numpy(dtype=float)
    msg = "parcels need a geometry (a GeoDataFrame) or the columns x and y of a point inside each parcel"
    raise ValueError(msg)


def _adjacent(geoms: np.ndarray, available: np.ndarray, within_m: float, shared_m: float) -> np.ndarray:
    """Pairs of available parcels that share at least ``shared_m`` of boundary (within ``within_m`` of each other).

    Parcels that only touch at a corner, or face each other across a road, are not adjacent.
    """
    where = np.flatnonzero(available & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if len(where) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    tree = shapely.STRtree(geoms[where])
    a, b = tree.query(geoms[where], predicate="dwithin", distance=within_m)
    keep = a < b
    a, b = where[a[keep]], where[b[keep]]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[a]), shapely.buffer(geoms[b], within_m)))
    ok = shared >= shared_m
    pairs: np.ndarray = np.column_stack([a[ok], b[ok]]).astype(np.int64)
    return pairs


assert set(CAPACITY_NETWORKS) <= set(NETWORK_ITEMS)
