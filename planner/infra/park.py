"""All networks of a park at once: each network's graph and its coverage of the parcels.

The networks are independent of one another, so a big park has them worked out in
several processes (one per core, at most one per network); the results are the same
as one after the other. What every network needs of the parcels' shapes
(:func:`planner.infra.taps.parcel_shapes`) is made once, before the processes start.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import Problem
from planner.frames import spliced
from planner.infra.coverage import Coverage, network_coverage, served_coverage, source_loads
from planner.infra.demand import network_demand
from planner.infra.graphs import GraphCache, KeptNetwork, Served, network_fingerprint, shape_hashes
from planner.infra.network import Network, build_network
from planner.infra.taps import ParcelShapes, parcel_shapes
from planner.vocab import STARTED_STATUSES

__all__ = ["PARALLEL_PARCELS", "NetworkRun", "park_coverage"]

PARALLEL_PARCELS = 20_000
"""Parks with at least this many parcels have their networks worked out in several processes."""


@dataclass
class NetworkRun:
    """One network of a park: the problems its model found, its number of edges, and its coverage.

    ``coverage`` is ``None`` when the layer holds no line at all (readiness then uses
    the declared values).
    """

    name: str
    problems: list[Problem]
    edges: int
    coverage: Coverage | None


@dataclass
class _Job:
    parcels: pd.DataFrame
    lines: Mapping[str, gpd.GeoDataFrame]
    sources: gpd.GeoDataFrame | None
    settings: Mapping[str, Mapping[str, float]]
    power_factor: float
    cache: GraphCache | None = None

    @cached_property
    def shapes(self) -> ParcelShapes:
        if self.cache is None:
            return parcel_shapes(self.parcels)
        return self.cache.parcel_shapes(self.parcels, self.hashes)  # kept while the shapes are the same

    @cached_property
    def fingerprints(self) -> dict[str, str]:
        return {name: network_fingerprint(name, lines, self.sources) for name, lines in self.lines.items()}

    @cached_property
    def consuming(self) -> np.ndarray:
        """Whether each parcel draws on its sources already (by its status), for every network alike."""
        return np.asarray(self.parcels["status"].isin(STARTED_STATUSES).to_numpy(), dtype=bool)

    @cached_property
    def ids(self) -> pd.Index:
        """The parcels' ids as an index, made once for all networks' taps (text stays text)."""
        return pd.Index(self.parcels["parcel_id"].array)

    @cached_property
    def hashes(self) -> np.ndarray:
        geoms = self.parcels.geometry.to_numpy()
        return shape_hashes(geoms) if self.cache is None else self.cache.shape_hashes(geoms)

    def run(self, name: str) -> NetworkRun:
        if self.cache is not None:
            return self._run_kept(name, self.cache)
        network = build_network(name, self.lines[name], self.sources)
        if network is None:
            return NetworkRun(name, [], 0, None)
        settings = self.settings[name]
        coverage = network_coverage(
            network,
            self.parcels,
            service_distance_m=settings["service_distance_m"],
            service_radius_m=settings["service_radius_m"],
            power_factor=self.power_factor,
            shapes=self.shapes,
        )
        return NetworkRun(name, network.problems, len(network.edges), coverage)

    def _run_kept(self, name: str, cache: GraphCache) -> NetworkRun:
        """The run of network ``name`` with its graph and taps from ``cache`` where they are kept.

        Where the network, its settings and the parcels (ids, in their order) are those of the
        last run, only the rows that can have changed are worked out again (see :func:`_served_again`).
        """
        last = cache.served(name)  # the graph built again forgets it: the rows that stay the same are found from it
        network = cache.network(name, self.lines[name], self.sources, fingerprint=self.fingerprints.get(name))
        if network is None:
            return NetworkRun(name, [], 0, None)
        settings = self.settings[name]
        if not len(network.edges):
            coverage = network_coverage(
                network, self.parcels, service_distance_m=settings["service_distance_m"], service_radius_m=0.0
            )
            return NetworkRun(name, list(network.problems), 0, coverage)
        shapes = None if cache.has_taps(name, settings["service_distance_m"]) else self.shapes
        taps = cache.taps(
            name,
            self.parcels,
            service_distance_m=settings["service_distance_m"],
            shapes=shapes,
            hashes=self.hashes,
            ids=self.ids,
        )
        need, expected = network_demand(network, self.parcels, self.power_factor)
        loads = source_loads(
            network,
            self.parcels,
            taps,
            service_radius_m=settings["service_radius_m"],
            power_factor=self.power_factor,
            need=need,
            consuming=self.consuming,
        )
        served = Served(
            _served_key(self.fingerprints.get(name), settings, self.power_factor),
            self.parcels["parcel_id"].to_numpy(dtype=object),
            need,
            expected,
            self.consuming,
            loads,
        )
        before = cache.served(name)
        fresh = cache.fresh.get(name)
        rows = (
            None
            if before is None or before.coverage is None or fresh is None
            else _rows_again(before, served, fresh, taps, network.sources["capacity"].to_numpy(dtype=float))
        )
        if before is not None and rows is not None and not len(rows):
            served.coverage = before.coverage  # nothing changed that this network's coverage reads
        elif before is not None and rows is not None:
            served.coverage = _served_again(network, self, taps, served, before, rows)
        if served.coverage is None:
            served.coverage = served_coverage(
                network,
                self.parcels,
                taps,
                loads,
                service_distance_m=settings["service_distance_m"],
                service_radius_m=settings["service_radius_m"],
                power_factor=self.power_factor,
            )
            if last is not None and last.coverage is not None and np.array_equal(last.ids, served.ids):
                served.coverage.since = _rows_differing(last.coverage, served.coverage)
        cache.keep_served(name, served)
        return NetworkRun(name, list(network.problems), len(network.edges), served.coverage)


def _served_key(fingerprint: str | None, settings: Mapping[str, float], power_factor: float) -> str:
    """What a network's coverage depends on alike for every row: the graph, the settings, the power factor."""
    return f"{fingerprint}|{sorted(settings.items())!r}|{power_factor!r}"


def _rows_again(
    before: Served, now: Served, fresh: np.ndarray, taps: pd.DataFrame, capacity: np.ndarray
) -> np.ndarray | None:
    """The rows whose coverage may differ from the last run's (positions), or None if every row may.

    A row's coverage depends on its tap, its demands, whether it draws already, and whether its
    serving source has room for it (its reason names the source, not what is left of it): the rows
    tapped anew, those whose own inputs changed, and the rows of a source whose load changed for
    which the room left now says otherwise (``capacity``: each source's, NaN where unlimited).
    """
    if before.key != now.key or len(before.ids) != len(now.ids) or not np.array_equal(before.ids, now.ids):
        return None
    changed = np.zeros(len(now.ids), dtype=bool)
    changed[fresh] = True
    changed |= _differ(before.need, now.need) | _differ(before.expected, now.expected)
    changed |= before.consuming != now.consuming
    moved = np.flatnonzero(_differ(before.loads, now.loads))
    if len(moved):
        src = taps["source"].to_numpy()
        hit = np.flatnonzero(np.isin(src, moved))
        s, need = src[hit], now.expected[hit]
        # the capacity verdict as served_coverage makes it, before and now (NaN capacity: never full)
        with np.errstate(invalid="ignore"):
            flips = (capacity[s] - before.loads[s] < need) != (capacity[s] - now.loads[s] < need)
        changed[hit[flips]] = True
    return np.flatnonzero(changed)


def _differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise "not the same number", NaN the same as NaN (and -0.0 not the same as 0.0: it prints otherwise)."""
    same: np.ndarray = (a == b) & (np.signbit(a) == np.signbit(b))
    differ: np.ndarray = ~(same | (np.isnan(a) & np.isnan(b)))
    return differ


def _rows_differing(before: Coverage, now: Coverage) -> tuple[int, np.ndarray] | None:
    """Which rows (positions) of ``now`` differ from ``before``, a coverage of the same parcels (as ``since`` says it).

    After a network is built again (a line edit) every row is worked out again; most come out as
    they were, and what reads the coverage (the checklist, the rows written) need take only those
    that do not. None where the tables are not alike (columns, dtypes, parcels in their order).
    """
    a, b = before.table, now.table
    if list(a.columns) != list(b.columns) or not a.index.equals(b.index) or not a.dtypes.equals(b.dtypes):
        return None
    differ = np.zeros(len(b), dtype=bool)
    for column in b.columns:
        x, y = a[column], b[column]
        if x.dtype.kind == "f":
            differ |= _differ(x.to_numpy(), y.to_numpy())
            continue
        both_missing = x.isna().to_numpy(dtype=bool) & y.isna().to_numpy(dtype=bool)
        same = pd.Series(x.array).eq(pd.Series(y.array)).fillna(False).to_numpy(dtype=bool)  # missing: not equal
        differ |= ~(same | both_missing)
    return before.serial, np.flatnonzero(differ)


def _served_again(
    network: Network, job: _Job, taps: pd.DataFrame, served: Served, before: Served, rows: np.ndarray
) -> Coverage | None:
    """The coverage of the last run with ``rows`` worked out again (the others as they were).

    None where a column's dtype would not stay as it is (a whole run decides it then).
    """
    settings = job.settings[network.name]
    assert before.coverage is not None
    # only the columns coverage reads, taken for these rows (not every column of the parcels)
    read = [c for c in ("parcel_id", "status", "industry", "area_mu", "power_kva", "water_m3d") if c in job.parcels]
    part = served_coverage(
        network,
        pd.DataFrame({c: job.parcels[c].array[rows] for c in read}),
        taps.iloc[rows],
        served.loads,
        service_distance_m=settings["service_distance_m"],
        service_radius_m=settings["service_radius_m"],
        power_factor=job.power_factor,
    )
    table = spliced(before.coverage.table, rows, part.table)
    if table is None:  # a dtype these values may change (text with or without None): a whole run decides it
        return None
    return Coverage(network.name, table, part.sources, since=(before.coverage.serial, rows))


_WORKER: dict[str, _Job] = {}
"""The job of this worker process, under ``"job"``: set once as the process starts, by :func:`_start`."""


def _start(job: _Job) -> None:
    _WORKER["job"] = job


def _run(name: str) -> NetworkRun:
    return _WORKER["job"].run(name)


def _run_and_send(name: str) -> tuple[NetworkRun, KeptNetwork | None, bool, int, bool]:
    """Run network ``name`` in a worker, and send back what its cache made of it, for the parent to keep."""
    job = _WORKER["job"]
    cache = job.cache
    assert cache is not None
    builds, tapped, loaded = cache.builds[name], cache.tapped[name], cache.loaded[name]
    run = job.run(name)
    built = cache.builds[name] > builds
    return run, cache.export(name), built, cache.tapped[name] - tapped, cache.loaded[name] > loaded


def park_coverage(
    parcels: pd.DataFrame,
    lines: Mapping[str, gpd.GeoDataFrame],
    sources: gpd.GeoDataFrame | None,
    settings: Mapping[str, Mapping[str, float]],
    *,
    power_factor: float = 1.0,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    cache: GraphCache | None = None,
) -> dict[str, NetworkRun]:
    """Build each network of ``lines`` (by name) and its coverage of ``parcels``.

    ``settings[name]`` holds the network's ``service_distance_m`` and
    ``service_radius_m``; ``power_factor`` turns installed kVA into substation load.
    ``workers``: processes to use; by default one per available core (at most one per
    network) for parks of :data:`PARALLEL_PARCELS` parcels or more, else none.
    ``progress(name)`` is called for each network in the order of ``lines``: as it
    starts when one process does all, as it is collected otherwise.

    ``cache``: graphs and taps kept from earlier runs (:class:`~planner.infra.graphs.GraphCache`),
    reused where their inputs are the same and updated with what this run makes; only the
    networks to build anew are worked out in several processes.
    """
    step = progress or (lambda _name: None)
    p = parcels.reset_index(drop=True)
    job = _Job(p, lines, sources, settings, power_factor, cache)
    names = list(lines)
    heavy = names if cache is None else [name for name in names if cache.stale(name, job.fingerprints[name])]
    if workers is None:
        workers = min(len(heavy), _cores()) if len(p) >= PARALLEL_PARCELS else 1
    if workers <= 1 or len(heavy) <= 1:
        out = {}
        for name in names:
            step(name)
            out[name] = job.run(name)
        return out
    if cache is not None:
        job.hashes  # noqa: B018 - made once, before the processes start, and shared with them
    # fork shares the parcels and lines with the processes without copying them; elsewhere they are pickled
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    # the longest networks first, so that the processes finish together
    longest = sorted(names, key=lambda name: -float(shapely.length(lines[name].geometry.to_numpy()).sum()))
    job.shapes  # noqa: B018 - made once, before the processes start, and shared with them
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(job,)) as pool:
        if cache is None:
            plain = {name: pool.submit(_run, name) for name in longest}
            return {name: _stepped(plain[name].result(), step) for name in names}
        sent = {name: pool.submit(_run_and_send, name) for name in longest if name in heavy}
        out = {}
        for name in names:
            if name in sent:
                run, kept, built, tapped, loaded = sent[name].result()
                cache.install(name, kept, built=built, tapped=tapped, loaded=loaded)
                out[name] = run
            else:  # kept: worked out in this process, while the others build
                out[name] = job.run(name)
            step(name)
    return out


def _stepped(run: NetworkRun, step: Callable[[str], None]) -> NetworkRun:
    step(run.name)
    return run


def _cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
