"""七通一平 readiness of a synthetic park: N parcels, seven networks on a road grid.

    python -m bench.readiness --parcels 100000

The road grid has about twice as many edges as there are parcels (200,000 road
edges for 100,000 parcels); each utility network runs along part of it. Baseline: the
naive way, one networkx Dijkstra per parcel from its nearest node to the nearest
source, timed on a sample and extrapolated to every parcel and network.

Then readiness again with the graphs and the last result kept
(:class:`planner.infra.graphs.GraphCache`, as a server keeps them with its store;
:func:`planner.analysis.readiness_of`): after a parcel edit (only the rows it can reach
worked out again), and after one road line moved; their peer is the cold run.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import os
import resource
import tempfile
import time
from dataclasses import replace

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planner.analysis import ReadinessInputs, readiness_of
from planner.config import ParkConfig
from planner.infra.graphs import GraphCache
from planner.infra.network import build_network
from planner.infra.park import park_coverage
from planner.parcels.validation import validate_parcels
from planner.vocab import NETWORK_ITEMS

X0, Y0 = 520_000.0, 3_500_000.0
STEP = 120.0
CAPACITY = {
    "power": ("substation", "capacity_kva"),
    "water": ("waterworks", "capacity_m3d"),
    "drainage": ("sewage_plant", "capacity_m3d"),
    "gas": ("gas_station", "capacity_nm3h"),
    "heat": ("heat_plant", "capacity_mw"),
    "telecom": ("telecom_exchange", "capacity_ports"),
    "road": ("gateway", None),
}


def synthetic(
    n_parcels: int, seed: int = 3, rotate_deg: float = 0.0
) -> tuple[gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """The park: parcels, the seven networks' lines and their sources.

    ``rotate_deg``: the whole park (parcels, lines and sources together) turned by this angle,
    counter-clockwise, about its centre in its Gauss–Krüger zone's plane: the same park, the
    same areas and distances, but its lines slanted, so that they are noded by GEOS
    (``union_all`` on the 1 mm grid) like surveyed networks rather than by the numpy noder of
    lines that run along the axes (:mod:`planner.infra.noding`). A multiple of 90° other than
    0 would draw an axis grid again and is refused.
    """
    if rotate_deg % 90.0 == 0.0 and rotate_deg != 0.0:
        msg = f"rotate_deg={rotate_deg}: a multiple of 90° draws the lines along the axes again"
        raise ValueError(msg)
    parcels, layers, sources = _axis_park(n_parcels, seed)
    if rotate_deg:
        side = math.ceil(math.sqrt(n_parcels)) + 1
        centre = (X0 + side * STEP / 2, Y0 + side * STEP / 2)
        turn = _rotation(rotate_deg, centre)
        for frame in (parcels, *layers.values(), sources):
            turned = shapely.transform(frame.geometry.to_numpy(), turn)
            frame[frame.geometry.name] = gpd.GeoSeries(turned, index=frame.index, crs=frame.crs)
    return parcels, layers, sources


def _rotation(degrees: float, centre: tuple[float, float]):
    """A function turning an (n, 2) array of coordinates by ``degrees`` counter-clockwise about ``centre``."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    cx, cy = centre

    def turn(xy: np.ndarray) -> np.ndarray:
        dx, dy = xy[:, 0] - cx, xy[:, 1] - cy
        return np.column_stack([cx + dx * cos - dy * sin, cy + dx * sin + dy * cos])

    return turn


def axis_parallel(lines: gpd.GeoDataFrame) -> bool:
    """Whether every line is one horizontal or vertical segment with its ends on the 1 mm grid: the lines
    :func:`planner.infra.noding.axis_noded` nodes without GEOS."""
    geoms = lines.geometry.to_numpy()
    if (shapely.get_num_coordinates(geoms) != 2).any():
        return False
    xy = shapely.get_coordinates(geoms).reshape(len(geoms), 2, 2)
    on_grid = bool((np.rint(xy * 1000.0) / 1000.0 == xy).all())
    along = (xy[:, 0, 0] == xy[:, 1, 0]) | (xy[:, 0, 1] == xy[:, 1, 1])
    return on_grid and bool(along.all())


def _axis_park(n_parcels: int, seed: int) -> tuple[gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n_parcels)) + 1  # grid lines per direction; cells hold the parcels
    coords = np.arange(side + 1) * STEP
    layers = {}
    for k, net in enumerate(NETWORK_ITEMS):
        offset = 0.0 if net == "road" else 4.0 * (k - 3)
        share = 1.0 if net in ("road", "power", "water") else 0.7 if net in ("drainage", "telecom") else 0.4
        cut = coords[-1] * share
        verticals = [shapely.linestrings([(X0 + x + offset, Y0), (X0 + x + offset, Y0 + cut)]) for x in coords]
        horizontals = [
            shapely.linestrings([(X0, Y0 + y + offset), (X0 + cut, Y0 + y + offset)]) for y in coords if y <= cut
        ]
        geoms = verticals + horizontals
        layers[net] = gpd.GeoDataFrame({"line_id": [f"{net}-{i}" for i in range(len(geoms))]}, geometry=geoms, crs=4545)
        layers[net]["in_service"] = True
    cells = rng.choice(side * side, size=n_parcels, replace=False)
    cx, cy = (cells % side) * STEP, (cells // side) * STEP
    margin = 12.0 + rng.uniform(0, 20, n_parcels)
    geoms = shapely.box(X0 + cx + margin, Y0 + cy + margin, X0 + cx + STEP - margin, Y0 + cy + STEP - margin)
    status = rng.choice(["reserved", "supplied", "in_production"], n_parcels, p=[0.4, 0.2, 0.4])
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"B{i:07d}" for i in range(n_parcels)],
            "status": status,
            "land_use": "100102",
            "industry": "C3421",
            **{f"declared_{net}": True for net in NETWORK_ITEMS},
            "declared_leveled": True,
        },
        geometry=geoms,
        crs=4545,
    )
    rows = []
    for net, (kind, column) in CAPACITY.items():
        for j in range(4):  # four sources per network, on the grid's west edge
            y = coords[(j + 1) * len(coords) // 5]
            row = {
                "source_id": f"{net}-S{j}",
                "network": net,
                "kind": kind,
                "name": f"{net} {j}",
                "in_service": True,
                "geometry": shapely.Point(
                    X0 + (0.0 if net == "road" else 4.0 * (NETWORK_ITEMS.index(net) - 3)), Y0 + y
                ),
            }
            if column:
                row[column] = 1e9
            rows.append(row)
    sources = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=4545)
    return parcels, layers, sources


def naive_seconds(net, parcels: gpd.GeoDataFrame, sample: int) -> float:
    """One networkx Dijkstra per parcel (from the node nearest the parcel), on a sample, per parcel."""
    graph = net.graph
    source_nodes = set(net.edges["u"].to_numpy()[net.sources["edge"].to_numpy()])
    node_tree = shapely.STRtree(shapely.points(net.nodes))
    picks = parcels.geometry.to_numpy()[:sample]
    start = time.perf_counter()
    for geom in picks:
        node = int(node_tree.query_nearest(geom)[0])
        lengths = nx.single_source_dijkstra_path_length(graph, node, weight="length_m")
        min((lengths[s] for s in source_nodes if s in lengths), default=math.inf)
    return (time.perf_counter() - start) / sample


def _after_edits(
    inputs: ReadinessInputs, kept: GraphCache, profile: str | None = None, profile_line: str | None = None
) -> dict[str, tuple[float, float, int, int, int]]:
    """Readiness again with the graphs and the last result kept: after a parcel edit, then after a line edit.

    The parcel edit changes a readiness input (one parcel starts building: its status and
    its declared power) and moves another parcel's boundary by a metre; the line edit moves
    one road line (the largest network) by 2 m. Returns seconds, CPU seconds, graphs built,
    parcel taps found and the rows whose checklist was worked out again. ``profile``,
    ``profile_line``: a file to write a cProfile (CPU time) of the parcel edit's run, of the line edit's run to.
    """
    edited = inputs.parcels.copy()
    edited.loc[edited.index[10], ["status", "power_kva"]] = ["under_construction", 800.0]
    edited.loc[edited.index[20], "geometry"] = shapely.affinity.translate(edited.geometry.iloc[20], xoff=1.0)
    roads = inputs.lines["road"].copy()
    roads.loc[roads.index[5], "geometry"] = shapely.affinity.translate(roads.geometry.iloc[5], xoff=2.0)
    out = {}
    for label, frame, lines in (
        ("after a parcel edit (all 7 graphs kept)", edited, inputs.lines),
        ("after a road line edit (the road graph built again)", edited, {**inputs.lines, "road": roads}),
    ):
        builds, tapped = sum(kept.builds.values()), sum(kept.tapped.values())
        cpu = _cpu_seconds()
        to = profile if lines is inputs.lines else profile_line
        profiler = cProfile.Profile(time.process_time) if to else None
        if profiler:
            profiler.enable()
        start = time.perf_counter()
        readiness_of(replace(inputs, parcels=frame, lines=lines), graphs=kept)
        seconds = time.perf_counter() - start
        cpu = _cpu_seconds() - cpu
        if profiler:
            profiler.disable()
            profiler.dump_stats(to)
        rows = kept.readiness.rows
        again = len(frame) if rows is None else len(rows)
        out[label] = (seconds, cpu, sum(kept.builds.values()) - builds, sum(kept.tapped.values()) - tapped, again)
    return out


def _load() -> str:
    """The load average over 1, 5 and 15 minutes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes (s)."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20, help="parcels timed the naive way")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--rotate",
        type=float,
        default=0.0,
        metavar="DEG",
        help="turn the whole park by DEG degrees about its centre: slanted lines, noded by GEOS as surveyed ones are",
    )
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the cold run (CPU time) to FILE")
    parser.add_argument(
        "--profile-edit", metavar="FILE", help="write a cProfile of the run after the parcel edit (CPU time) to FILE"
    )
    parser.add_argument(
        "--profile-line", metavar="FILE", help="write a cProfile of the run after the line edit (CPU time) to FILE"
    )
    args = parser.parse_args()
    parcels, layers, sources = synthetic(args.parcels, seed=args.seed, rotate_deg=args.rotate)
    axis = [net for net in NETWORK_ITEMS if axis_parallel(layers[net])]
    print(
        f"park turned by {args.rotate:g}° (seed {args.seed}); networks drawn along the axes on the 1 mm grid "
        f"(noded by numpy): {len(axis)} of {len(NETWORK_ITEMS)}; load average {_load()}"
    )
    parcels = validate_parcels(parcels, crs_epsg=4545, park_id="BENCH").parcels
    config = ParkConfig(
        park_id="BENCH",
        name="基准园区",
        crs_epsg=4545,
        networks={n: {"service_distance_m": 40.0, "service_radius_m": 1e7} for n in NETWORK_ITEMS},
    )
    folder = tempfile.TemporaryDirectory(prefix="bench-graphs-")
    kept = GraphCache(folder.name)  # as a store keeps it, in memory and on disk (planner.analysis.graph_cache)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler:
        profiler.enable()
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    # the power factor readiness_of uses, so that the checklist takes the coverage kept here (before 2026-12-07 the
    # bench left the default 1.0 here: the cold run worked every network's coverage out twice)
    factor = config.threshold("power_coincidence_factor")
    runs = park_coverage(
        parcels, layers, sources, config.networks, power_factor=factor, workers=args.workers, cache=kept
    )
    build_and_cover = time.perf_counter() - start
    inputs = ReadinessInputs(config, parcels, sources, layers)
    result = readiness_of(inputs, graphs=kept).readiness  # the checklist (the coverage is kept: not worked out again)
    total = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_start
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    # another process (a server started again, a CLI command): the graphs read from disk, the taps found anew
    restart = GraphCache(folder.name)
    cpu_restart, start = _cpu_seconds(), time.perf_counter()
    readiness_of(inputs, graphs=restart)
    restart_s, cpu_restart = time.perf_counter() - start, _cpu_seconds() - cpu_restart
    warm = _after_edits(inputs, kept, args.profile_edit, args.profile_line)
    folder.cleanup()
    road_edges = runs["road"].edges
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    # the naive way walks the graphs: build the two it is timed on again (not part of the run)
    built = {net: build_network(net, layers[net], sources) for net in ("road", "water")}
    per_parcel = np.mean([naive_seconds(built[n], parcels, args.sample) for n in ("road", "water")])
    naive_total = per_parcel * len(parcels) * len(NETWORK_ITEMS)
    print(
        f"parcels {len(parcels):,}; road edges {road_edges:,}; edges in all networks "
        f"{sum(run.edges for run in runs.values()):,}"
    )
    print(
        f"graphs + coverage of 7 networks: {build_and_cover:.2f} s; readiness total: {total:.2f} s "
        f"({cpu:.2f} s of CPU in all processes); ready parcels {int(result.table['ready'].sum()):,}"
    )
    print(
        f"naive (one networkx Dijkstra per parcel, {args.sample} sampled, extrapolated to 7 networks): "
        f"{naive_total:,.0f} s ({per_parcel * 1000:.1f} ms per parcel and network)"
    )
    print(
        f"ratio: {naive_total / total:,.0f}× faster; peak resident memory {peak:,.0f} MiB"
        + (f" (each worker process at most {worker_peak:,.0f} MiB)" if worker_peak else "")
    )
    print(
        f"in a new process (graphs read from disk: {sum(restart.loaded.values())} read, "
        f"{sum(restart.builds.values())} built): {restart_s:.2f} s ({cpu_restart:.2f} s of CPU); "
        f"peer: the cold run {total:.2f} s ({cpu:.2f} s of CPU), {cpu / cpu_restart:.1f}× faster in CPU"
    )
    for label, (seconds, cpu_s, builds, tapped, again) in warm.items():
        print(
            f"{label}: {seconds:.2f} s ({cpu_s:.2f} s of CPU; graphs built {builds}, parcel taps found {tapped:,}, "
            f"checklist worked out again for {again:,} parcels); "
            f"peer: the cold run {total:.2f} s ({cpu:.2f} s of CPU), {total / seconds:.1f}× faster "
            f"({cpu / cpu_s:.1f}× in CPU)"
        )
    print(f"load average at the end: {_load()}")


if __name__ == "__main__":
    main()
