"""A province: readiness, idle land and per-mu evaluation of many parks, on Dask partitions.

DESIGN.md (Where it grows past one machine): batch work over a whole province runs on
dask-geopandas partitions with the same functions as the single-machine path, and gives
the same results. A :class:`Province` is a list of parks (:class:`ParkData`: the
configuration, parcels, network lines, sources and DEM of each, each park in its own
Gauss–Krüger zone). Two paths compute the same tables, keyed by ``park_id`` and
``parcel_id``:

- single machine (the reference): :func:`local_readiness`, :func:`local_idle`,
  :func:`local_evaluation` — a loop over the parks calling
  :func:`planner.infra.park.park_coverage` and
  :func:`planner.parcels.readiness.compute_readiness`,
  :func:`planner.parcels.idle.classify_idle`, :func:`planner.parcels.evaluation.evaluate`;
- Dask: :func:`province_readiness`, :func:`province_idle`, :func:`province_evaluation`,
  on the local threaded scheduler, a ``distributed.Client`` (a ``LocalCluster`` or any
  cluster) or a scheduler address.

How the Dask path splits the work (:func:`province_frame`):

1. The parcels of all parks become one dask-geopandas frame in the order of the Hilbert
   distance of their centres in CGCS2000 lon/lat (EPSG:4490, used only for the order),
   cut into partitions along it: a partition holds the parcels of one neighbourhood, of
   one park or a few. Each parcel keeps its shape in its park's CRS, so every figure is
   computed on the same coordinates as on one machine.
2. Per park and network, one task builds the network and runs the one multi-source
   Dijkstra from its sources (:func:`planner.infra.network.source_distances`): a
   parcel's distance along the network depends on the whole connected network back to
   the source, so it is never computed on a piece of it.
3. Per partition and park present in it, the park's network is cut to the edges within
   a halo of the partition's parcels — 20 service distances plus 1 m: the farthest a
   parcel's figures look (the tap within the service distance; how far the network is
   from a parcel beyond it, up to 20 service distances) — with the distances of step 2
   at their nodes. The partition's taps, lateral and network distances
   (:func:`planner.infra.coverage.network_taps`) are then those of the whole park.
4. The sources' loads are park-wide sums of the consuming parcels' demand: each
   partition gives its parcels' shares (:func:`planner.infra.coverage.source_loads`),
   and one reduction per park and network adds them in the parcels' order
   (:func:`planner.infra.coverage.add_loads`), as one machine adds them, to the last bit.
5. Per partition again: capacity, reasons (:func:`planner.infra.coverage.served_coverage`),
   the DEM's leveling and readiness (:func:`~planner.parcels.readiness.compute_readiness`).

Idle land and per-mu evaluation are per parcel given its park's configuration: one task
per partition, calling :func:`~planner.parcels.idle.classify_idle` and
:func:`~planner.parcels.evaluation.evaluate` on each park's parcels in it.

The one difference a partition could make — the tie between two taps equally good to
the micrometre, once settled by the order of an R-tree's answer — is settled by the
order of the park's edges (:mod:`planner.infra.coverage`), the same in any piece.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.config import ParkConfig
from planner.crs import transformer
from planner.infra.coverage import (
    add_loads,
    network_coverage,
    network_taps,
    parcel_shapes,
    served_coverage,
    source_loads,
)
from planner.infra.network import Network, build_network, source_distances
from planner.infra.park import NetworkRun, park_coverage
from planner.infra.terrain import parcel_terrain
from planner.parcels.evaluation import evaluate
from planner.parcels.idle import classify_idle
from planner.parcels.readiness import READINESS_COLUMNS, compute_readiness
from planner.vocab import NETWORK_ITEMS

__all__ = [
    "HALO_SERVICE_DISTANCES",
    "ParkData",
    "Province",
    "differences",
    "halo_m",
    "local_evaluation",
    "local_idle",
    "local_readiness",
    "province_evaluation",
    "province_frame",
    "province_idle",
    "province_readiness",
]

HALO_SERVICE_DISTANCES = 20
"""A parcel's coverage looks this many service distances around it (how far the network is, beyond reach)."""
PARCELS_PER_PARTITION = 25_000
"""Default size of a partition."""
ORDER_CRS = 4490  # CGCS2000 lon/lat: the parcels' order along the Hilbert curve, across zones
_KEYS = ["park_id", "parcel_id"]


def halo_m(service_distance_m: float) -> float:
    """How far around a partition's parcels a network's edges are kept (m): 20 service distances and 1 m."""
    return HALO_SERVICE_DISTANCES * service_distance_m + 1.0


@dataclass
class ParkData:
    """One park of a province: its configuration, parcels, network lines and sources, and DEM.

    ``parcels``: the parcel layer as the store reads it, in the park's CRS
    (``config.crs_epsg``); ``lines``: line layer by network name (a network without a
    layer: readiness uses the declared values); ``dem``: a GeoTIFF in the park's CRS,
    readable by every worker. (A DEM cell belongs to the parcel its centre falls in; a
    centre exactly on the edge between two parcels of different partitions would count
    for both on Dask, for one on one machine. The tests compare provinces without DEMs.)
    """

    config: ParkConfig
    parcels: gpd.GeoDataFrame
    lines: Mapping[str, gpd.GeoDataFrame] = field(default_factory=dict)
    sources: gpd.GeoDataFrame | None = None
    dem: str | Path | None = None

    @property
    def park_id(self) -> str:
        """The park's id, from its configuration."""
        return self.config.park_id

    def network_settings(self) -> dict[str, Mapping[str, float]]:
        """The service distance and radius of each network the park has lines of."""
        return {net: self.config.networks[net] for net in self.lines}


@dataclass
class Province:
    """Many parks, each in its own CRS, with its own checklist and thresholds."""

    parks: list[ParkData]

    def __post_init__(self) -> None:
        ids = [park.park_id for park in self.parks]
        if len(set(ids)) != len(ids):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            msg = f"each park of a province needs its own `park_id`; these repeat: {repeated}"
            raise ValueError(msg)
        for park in self.parks:
            epsg = park.parcels.crs.to_epsg() if park.parcels.crs is not None else None
            if epsg != park.config.crs_epsg:
                msg = (
                    f"the parcels of park {park.park_id} are in EPSG:{epsg}, "
                    f"its configuration says EPSG:{park.config.crs_epsg}"
                )
                raise ValueError(msg)

    def __len__(self) -> int:
        return sum(len(park.parcels) for park in self.parks)

    @property
    def configs(self) -> dict[str, ParkConfig]:
        """Each park's configuration, by park id."""
        return {park.park_id: park.config for park in self.parks}

    def keys(self) -> pd.MultiIndex:
        """``(park_id, parcel_id)`` of every parcel: parks in order, each park's parcels in order."""
        return pd.MultiIndex.from_arrays(
            [
                np.concatenate([np.full(len(p.parcels), p.park_id, dtype=object) for p in self.parks]),
                np.concatenate([p.parcels["parcel_id"].to_numpy(dtype=object) for p in self.parks]),
            ],
            names=_KEYS,
        )


# --- the single-machine path: the reference ---------------------------------------------------------------


def park_readiness(park: ParkData) -> pd.DataFrame:
    """Readiness of one park's parcels (:data:`~planner.parcels.readiness.READINESS_COLUMNS`), on one machine."""
    config = park.config
    runs = park_coverage(
        park.parcels,
        park.lines,
        park.sources,
        park.network_settings(),
        power_factor=config.threshold("power_coincidence_factor"),
    )
    tables = {net: _coverage_table(runs.get(net)) for net in NETWORK_ITEMS}
    terrain = parcel_terrain(park.parcels, park.dem) if park.dem is not None else None
    return _keyed(compute_readiness(park.parcels, config, tables, terrain).table[list(READINESS_COLUMNS)], park)


def _coverage_table(run: NetworkRun | None) -> pd.DataFrame | None:
    """A network's coverage table, or ``None`` where the park has no line of it in service."""
    return run.coverage.table if run is not None and run.coverage is not None else None


def local_readiness(province: Province) -> pd.DataFrame:
    """Readiness of every parcel of the province, park after park (the reference of :func:`province_readiness`)."""
    return pd.concat([park_readiness(park) for park in province.parks])


def local_idle(province: Province, as_of: date | str | pd.Timestamp) -> pd.DataFrame:
    """Idle land as of ``as_of`` (:class:`~planner.parcels.idle.IdleResult` ``table``), park after park."""
    return pd.concat([_keyed(classify_idle(p.parcels, as_of, p.config).table, p) for p in province.parks])


def local_evaluation(province: Province) -> pd.DataFrame:
    """Per-mu evaluation of the producing parcels, park after park."""
    return pd.concat([_keyed(evaluate(p.parcels, p.config).table, p) for p in province.parks])


def _keyed(table: pd.DataFrame, park: ParkData | str) -> pd.DataFrame:
    park_id = park if isinstance(park, str) else park.park_id
    out = table.copy()
    out.index = pd.MultiIndex.from_arrays(
        [np.full(len(table), park_id, dtype=object), table.index.to_numpy(dtype=object)], names=_KEYS
    )
    return out


# --- the Dask path ---------------------------------------------------------------------------------------


def province_frame(province: Province, partitions: int | None = None) -> Any:
    """The province's parcels as a dask-geopandas frame in Hilbert order, ``partitions`` partitions.

    The active geometry is each parcel's centre (of its envelope) in CGCS2000 lon/lat,
    the key of the order; ``_shape`` holds the parcel in its park's CRS and ``_row``
    its position among the park's parcels. Default: one partition per
    :data:`PARCELS_PER_PARTITION` parcels.
    """
    dask = _dask()
    frames = []
    for park in province.parks:
        p = park.parcels.reset_index(drop=True)
        shapes = p.geometry.to_numpy()
        b = shapely.bounds(shapes)
        lon, lat = transformer(park.config.crs_epsg, ORDER_CRS).transform(
            (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        )
        f = pd.DataFrame(p.drop(columns=p.geometry.name))
        f["park_id"] = park.park_id
        f["_row"] = np.arange(len(p))
        f["_shape"] = pd.Series(shapes, dtype=object)
        frames.append(gpd.GeoDataFrame(f, geometry=shapely.points(lon, lat), crs=ORDER_CRS))
    frame = pd.concat(frames, ignore_index=True)
    n = partitions or max(1, math.ceil(len(frame) / PARCELS_PER_PARTITION))
    # the parcels are here already: their order along the curve is one sort, and the partitions are cut
    # from it without a shuffle (what spatial_shuffle(by="hilbert") makes of parcels read by the workers)
    frame.index = pd.Index(frame.geometry.hilbert_distance(), name="hilbert_distance")
    frame = frame.sort_index(kind="stable")
    n = min(n, max(len(frame), 1))
    # cut at equal counts, never inside a run of equal distances (so the divisions hold)
    cuts = [0, *np.searchsorted(frame.index.to_numpy(), frame.index.to_numpy()[np.arange(1, n) * len(frame) // n])]
    cuts = sorted({*cuts, len(frame)})
    chunks = [frame.iloc[a:b] for a, b in itertools.pairwise(cuts) if b > a] or [frame]
    divisions = [*(c.index[0] for c in chunks), chunks[-1].index[-1]] if len(frame) else [None, None]
    token = uuid.uuid4().hex  # the chunks are named, not hashed: hashing the parcels takes longer than the work
    parts = [dask.delayed(c, name=f"province-parcels-{token}-{i}") for i, c in enumerate(chunks)]
    with _dask_settings():
        ddf = dask.dataframe.from_delayed(parts, meta=frame.iloc[:0], divisions=tuple(divisions), verify_meta=False)
    geo = _dask_geopandas()
    return geo.from_dask_dataframe(ddf) if not isinstance(ddf, geo.GeoDataFrame) else ddf


def _dask() -> ModuleType:
    """``dask`` with ``dask.dataframe``: the optional ``scale`` extra, imported when the Dask path runs."""
    import dask.dataframe  # noqa: PLC0415 - the optional `scale` extra; the single-machine path runs without it

    return dask


def _dask_geopandas() -> ModuleType:
    """``dask_geopandas``: the optional ``scale`` extra, imported when the Dask path runs."""
    import dask_geopandas  # noqa: PLC0415 - the optional `scale` extra; the single-machine path runs without it

    return dask_geopandas


@contextmanager
def _dask_settings() -> Iterator[None]:
    dask = _dask()
    # object columns (the parcels' shapes) stay objects; shuffles by tasks, which carry any Python object
    with dask.config.set({"dataframe.convert-string": False, "dataframe.shuffle.method": "tasks"}):
        yield


@contextmanager
def _scheduler(client: Any) -> Iterator[Any]:
    """A ``distributed.Client`` (connected to ``client`` when it is an address), or ``None`` for the local threads."""
    if isinstance(client, str):
        import distributed  # noqa: PLC0415 - the optional `scale` extra; only a scheduler address needs it

        with distributed.Client(client) as connected:
            yield connected
    else:
        yield client


def _compute(client: Any, *things: Any) -> tuple:
    with _dask_settings():
        if client is None:
            return _dask().compute(*things, scheduler="threads")
        return tuple(client.gather(client.compute(list(things))))


def _persist(client: Any, ddf: Any) -> Any:
    with _dask_settings():
        return ddf.persist(scheduler="threads") if client is None else client.persist(ddf)


def _per_partition(
    province: Province, client: Any, partitions: int | None, work: Callable[..., pd.DataFrame], *args: Any
) -> pd.DataFrame:
    """``work(partition, configs, *args)`` on each partition, the tables put together in the province's order."""
    delayed = _dask().delayed
    with _scheduler(client) as c, _dask_settings():
        ddf = province_frame(province, partitions)
        configs = province.configs
        tasks = [delayed(work)(part, configs, *args) for part in ddf.to_delayed()]
        tables = _compute(c, *tasks)
    return _in_order(province, tables)


def _in_order(province: Province, tables: tuple[pd.DataFrame, ...]) -> pd.DataFrame:
    """The partitions' tables as one, in the order of the single-machine path (parks, then their parcels)."""
    table = pd.concat(tables)
    order = province.keys()
    return table.loc[order[order.isin(table.index)]]


def _park_parcels(group: pd.DataFrame, epsg: int) -> gpd.GeoDataFrame:
    """A park's parcels of a partition as the park's layer: in its CRS, in the park's order."""
    g = group.sort_values("_row", kind="stable")
    frame = pd.DataFrame(g.drop(columns=[g.geometry.name, "_shape"])).reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(g["_shape"].to_numpy(), crs=epsg), crs=epsg)


def _groups(part: pd.DataFrame, configs: Mapping[str, ParkConfig]) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
    for park_id, group in part.groupby("park_id", sort=True):
        yield str(park_id), _park_parcels(group, configs[str(park_id)].crs_epsg)


def _idle_part(part: pd.DataFrame, configs: Mapping[str, ParkConfig], as_of: Any) -> pd.DataFrame:
    tables = [_keyed(classify_idle(p, as_of, configs[pid]).table, pid) for pid, p in _groups(part, configs)]
    return pd.concat(tables) if tables else pd.DataFrame()


def _evaluation_part(part: pd.DataFrame, configs: Mapping[str, ParkConfig]) -> pd.DataFrame:
    tables = [_keyed(evaluate(p, configs[pid]).table, pid) for pid, p in _groups(part, configs)]
    return pd.concat(tables) if tables else pd.DataFrame()


def province_idle(
    province: Province, as_of: date | str | pd.Timestamp, *, client: Any = None, partitions: int | None = None
) -> pd.DataFrame:
    """:func:`local_idle` on Dask partitions: the same table.

    ``client``: ``None`` (the local threaded scheduler), a ``distributed.Client``, or a
    scheduler address such as ``"tcp://10.0.0.5:8786"``.
    """
    return _per_partition(province, client, partitions, _idle_part, pd.Timestamp(as_of))


def province_evaluation(province: Province, *, client: Any = None, partitions: int | None = None) -> pd.DataFrame:
    """:func:`local_evaluation` on Dask partitions: the same table (``client`` as in :func:`province_idle`)."""
    return _per_partition(province, client, partitions, _evaluation_part)


@dataclass
class _ParkNetwork:
    """A park's network (or the part of it near some parcels) with the distances from its sources at its nodes.

    ``network`` is ``None`` where the layer holds no line; ``edges`` counts the whole
    park network's edges (none in service: nothing is reached, anywhere).
    """

    network: Network | None
    dist: np.ndarray
    origin: np.ndarray
    edges: int


def _build(name: str, lines: gpd.GeoDataFrame, sources: gpd.GeoDataFrame | None) -> _ParkNetwork:
    network = build_network(name, lines, sources)
    if network is None:
        return _ParkNetwork(None, np.zeros(0), np.zeros(0, dtype=int), 0)
    dist, origin = source_distances(network)
    return _ParkNetwork(network, dist, origin, len(network.edges))


def _clip(whole: _ParkNetwork, bounds: tuple[float, float, float, float], halo: float) -> _ParkNetwork:
    """The edges whose envelope comes within ``halo`` of ``bounds``, in their order, and their nodes' distances."""
    network = whole.network
    if network is None or not whole.edges:
        return whole
    x0, y0, x1, y1 = bounds
    hit = np.unique(network.edge_tree.query(shapely.box(x0 - halo, y0 - halo, x1 + halo, y1 + halo)))
    edges = network.edges.iloc[hit].reset_index(drop=True)
    k = len(hit)
    nodes, inverse = np.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]), return_inverse=True)
    edges["u"], edges["v"] = inverse[:k], inverse[k:]
    part = Network(network.name, edges, network.nodes[nodes], network.sources, [])
    return _ParkNetwork(part, whole.dist[nodes], whole.origin[nodes], whole.edges)


def _bounds_part(part: pd.DataFrame) -> dict[str, tuple[float, float, float, float]]:
    """Each park's parcels' bounds in the partition (in the park's CRS)."""
    out = {}
    for park_id, group in part.groupby("park_id", sort=True):
        b = shapely.bounds(group["_shape"].to_numpy())
        out[str(park_id)] = (float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max()))
    return out


def _taps_part(
    part: pd.DataFrame, configs: Mapping[str, ParkConfig], nets: Mapping[str, Mapping[str, _ParkNetwork]]
) -> dict[tuple[str, str], tuple[pd.DataFrame, np.ndarray, int]]:
    """Taps of the partition's parcels on each network of their park, and their shares of the sources' loads."""
    out = {}
    for park_id, parcels in _groups(part, configs):
        config = configs[park_id]
        shapes = parcel_shapes(parcels)
        for name, piece in nets.get(park_id, {}).items():
            if piece.network is None or not piece.edges:
                continue
            settings = config.networks[name]
            taps = network_taps(
                piece.network,
                parcels,
                service_distance_m=settings["service_distance_m"],
                shapes=shapes,
                distances=(piece.dist, piece.origin),
            )
            share = source_loads(
                piece.network,
                parcels,
                taps,
                service_radius_m=settings["service_radius_m"],
                power_factor=config.threshold("power_coincidence_factor"),
                rows=parcels["_row"].to_numpy(),
            )
            out[park_id, name] = (taps, share, len(piece.network.sources))
    return out


def _readiness_part(
    part: pd.DataFrame,
    configs: Mapping[str, ParkConfig],
    nets: Mapping[str, Mapping[str, _ParkNetwork]],
    taps: Mapping[tuple[str, str], tuple[pd.DataFrame, np.ndarray, int]],
    loads: Mapping[str, Mapping[str, np.ndarray]],
    dems: Mapping[str, str | Path | None],
) -> pd.DataFrame:
    """Coverage, leveling and readiness of the partition's parcels, park by park."""
    tables = []
    for park_id, parcels in _groups(part, configs):
        config = configs[park_id]
        coverage: dict[str, pd.DataFrame | None] = dict.fromkeys(NETWORK_ITEMS)
        for name, piece in nets.get(park_id, {}).items():
            if piece.network is None:
                continue
            settings = config.networks[name]
            distance, radius = settings["service_distance_m"], settings["service_radius_m"]
            factor = config.threshold("power_coincidence_factor")
            if not piece.edges:  # no line in service: nothing is reached
                coverage[name] = network_coverage(
                    piece.network, parcels, service_distance_m=distance, service_radius_m=radius, power_factor=factor
                ).table
                continue
            cov = served_coverage(
                piece.network,
                parcels,
                taps[park_id, name][0],
                loads[park_id][name],
                service_distance_m=distance,
                service_radius_m=radius,
                power_factor=factor,
            )
            coverage[name] = cov.table
        dem = dems.get(park_id)
        terrain = parcel_terrain(parcels, dem) if dem is not None else None
        table = compute_readiness(parcels, config, coverage, terrain).table[list(READINESS_COLUMNS)]
        tables.append(_keyed(table, park_id))
    return pd.concat(tables) if tables else pd.DataFrame(columns=list(READINESS_COLUMNS))


def province_readiness(
    province: Province,
    *,
    client: Any = None,
    partitions: int | None = None,
    halo: Callable[[float], float] = halo_m,
) -> pd.DataFrame:
    """:func:`local_readiness` on Dask partitions: the same table (see the module notes for the steps).

    ``client``: ``None`` (the local threaded scheduler), a ``distributed.Client`` (a
    ``LocalCluster``'s or any), or a scheduler address. ``partitions``: how many
    (default: one per :data:`PARCELS_PER_PARTITION` parcels). ``halo(service_distance_m)``:
    how far around a partition its park's edges are kept (:func:`halo_m`; less gives
    other results, which the tests show).
    """
    delayed = _dask().delayed
    with _scheduler(client) as c, _dask_settings():
        ddf = _persist(c, province_frame(province, partitions))
        parts = ddf.to_delayed()
        (bounds,) = _compute(c, [delayed(_bounds_part)(part) for part in parts])

        whole = {
            (park.park_id, name): delayed(_build, pure=False)(name, park.lines[name], park.sources)
            for park in province.parks
            for name in park.lines
        }
        nets: list[dict[str, dict[str, Any]]] = []
        for box in bounds:
            here: dict[str, dict[str, Any]] = {}
            for park_id, b in box.items():
                config = province.configs[park_id]
                here[park_id] = {
                    name: delayed(_clip)(whole[park_id, name], b, halo(config.networks[name]["service_distance_m"]))
                    for (pid, name) in whole
                    if pid == park_id
                }
            nets.append(here)
        configs = province.configs
        taps = [delayed(_taps_part)(part, configs, here) for part, here in zip(parts, nets, strict=True)]
        loads: dict[str, dict[str, Any]] = {}
        for park_id, name in whole:
            pieces = [delayed(_pick)(t, (park_id, name)) for t, box in zip(taps, bounds, strict=True) if park_id in box]
            if pieces:
                loads.setdefault(park_id, {})[name] = delayed(_loads_of)(pieces)
        dems = {park.park_id: park.dem for park in province.parks}
        tasks = [
            delayed(_readiness_part)(part, configs, here, t, {pid: loads.get(pid, {}) for pid in here}, dems)
            for part, here, t in zip(parts, nets, taps, strict=True)
        ]
        tables = _compute(c, *tasks)
    return _in_order(province, tables)


def _pick(taps: Mapping[tuple[str, str], Any], key: tuple[str, str]) -> Any:
    return taps.get(key)


def _loads_of(pieces: list[tuple[pd.DataFrame, np.ndarray, int] | None]) -> np.ndarray | None:
    """A park network's loads, from the shares of the partitions (none: the network has no edge)."""
    given = [p for p in pieces if p is not None]
    return add_loads([share for _, share, _ in given], given[0][2]) if given else None


def differences(left: pd.DataFrame, right: pd.DataFrame, *, rtol: float = 1e-9) -> list[str]:
    """Where two tables differ, row by row: the same rows in the same order, the same columns, equal values.

    Booleans, texts and dates must be equal (missing where the other is missing); floats
    equal within ``rtol`` (relative). Returns one line per differing column (empty: the same).
    """
    if list(left.columns) != list(right.columns):
        return [f"columns differ: {list(left.columns)} vs {list(right.columns)}"]
    if not left.index.equals(right.index):
        missing = left.index.difference(right.index)
        extra = right.index.difference(left.index)
        return [f"rows differ: {len(missing)} missing ({list(missing[:3])}), {len(extra)} extra ({list(extra[:3])})"]
    out = []
    for column in left.columns:
        a, b = left[column], right[column]
        if pd.api.types.is_float_dtype(a.dtype) and pd.api.types.is_float_dtype(b.dtype):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            both_nan = np.isnan(x) & np.isnan(y)
            with np.errstate(invalid="ignore"):
                same = both_nan | (x == y) | (np.abs(x - y) <= rtol * np.maximum(np.abs(x), np.abs(y)))
        else:
            na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
            same = na_a & na_b
            both = np.flatnonzero(~na_a & ~na_b)
            x, y = a.astype(object).to_numpy()[both], b.astype(object).to_numpy()[both]
            same[both] = np.array([bool(p == q) for p, q in zip(x, y, strict=True)], dtype=bool)
        bad = np.flatnonzero(~same)
        if len(bad):
            i = bad[0]
            out.append(f"{column}: {len(bad)} row(s) differ, first {left.index[i]}: {a.iloc[i]!r} vs {b.iloc[i]!r}")
    return out
