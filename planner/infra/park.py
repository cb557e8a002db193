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

import geopandas as gpd
import pandas as pd
import shapely

from planner.errors import Problem
from planner.infra.coverage import Coverage, network_coverage
from planner.infra.network import build_network
from planner.infra.taps import ParcelShapes, parcel_shapes

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
    shapes: ParcelShapes
    lines: Mapping[str, gpd.GeoDataFrame]
    sources: gpd.GeoDataFrame | None
    settings: Mapping[str, Mapping[str, float]]
    power_factor: float

    def run(self, name: str) -> NetworkRun:
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


_WORKER: dict[str, _Job] = {}
"""The job of this worker process, under ``"job"``: set once as the process starts, by :func:`_start`."""


def _start(job: _Job) -> None:
    _WORKER["job"] = job


def _run(name: str) -> NetworkRun:
    return _WORKER["job"].run(name)


def park_coverage(
    parcels: pd.DataFrame,
    lines: Mapping[str, gpd.GeoDataFrame],
    sources: gpd.GeoDataFrame | None,
    settings: Mapping[str, Mapping[str, float]],
    *,
    power_factor: float = 1.0,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, NetworkRun]:
    """Build each network of ``lines`` (by name) and its coverage of ``parcels``.

    ``settings[name]`` holds the network's ``service_distance_m`` and
    ``service_radius_m``; ``power_factor`` turns installed kVA into substation load.
    ``workers``: processes to use; by default one per available core (at most one per
    network) for parks of :data:`PARALLEL_PARCELS` parcels or more, else none.
    ``progress(name)`` is called for each network in the order of ``lines``: as it
    starts when one process does all, as it is collected otherwise.
    """
    step = progress or (lambda _name: None)
    names = list(lines)
    p = parcels.reset_index(drop=True)
    job = _Job(p, parcel_shapes(p), lines, sources, settings, power_factor)
    if workers is None:
        workers = min(len(names), _cores()) if len(p) >= PARALLEL_PARCELS else 1
    if workers <= 1 or len(names) <= 1:
        out = {}
        for name in names:
            step(name)
            out[name] = job.run(name)
        return out
    # fork shares the parcels and lines with the processes without copying them; elsewhere they are pickled
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    # the longest networks first, so that the processes finish together
    longest = sorted(names, key=lambda name: -float(shapely.length(lines[name].geometry.to_numpy()).sum()))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(job,)) as pool:
        futures = {name: pool.submit(_run, name) for name in longest}
        out = {}
        for name in names:
            out[name] = futures[name].result()
            step(name)
    return out


def _cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
