"""Which parcels a network serves: tap points, distances along the network, capacity.

For every parcel and network, :func:`network_coverage` gives

- the **tap point** (a point *on an edge*, not a node), the **lateral distance** from
  the parcel to that edge (``distance_m``), and the **network distance** from the nearest
  live source to the tap point along the network, with the serving source — see
  :mod:`planner.infra.taps`;
- the serving source's **load** (the demand of producing and building parcels it
  serves: their declared ``power_kva`` / ``water_m3d``, else a per-mu default by
  industry from ``data/demand_per_mu.csv``; sewage is 85% of water) and what is left —
  see :mod:`planner.infra.demand`.

A parcel is connected when the lateral distance is within the service distance, the
network distance within the service radius, and the source has capacity left (or the
parcel is already one of its loads). Otherwise the reason says which condition failed; a
parcel with no line it may tap within the service distance but one it may not (a viaduct,
:func:`planner.infra.levels.tappable`) has that line named too.
For roads the source is the highway gateway: a parcel with frontage on a road that
leads to it is connected, and the reason gives the distance by road.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planner.infra.demand import add_loads, demand, network_demand, source_loads
from planner.infra.network import Network
from planner.infra.taps import ParcelShapes, network_taps, parcel_shapes
from planner.vocab import CAPACITY_UNITS, STARTED_STATUSES

__all__ = [
    "SOURCES_KEY",
    "Coverage",
    "ParcelShapes",
    "add_loads",
    "demand",
    "network_coverage",
    "network_taps",
    "parcel_shapes",
    "reasons_with_sources",
    "served_coverage",
    "source_figures",
    "source_loads",
    "with_source_figures",
]

_BESIDE = ("beside_id", "beside_m", "beside_level")
"""The columns of :func:`network_taps` naming a line a parcel may not tap beside it: read into its reason only."""


@dataclass
class Coverage:
    """One network's service of every parcel (index ``parcel_id``).

    Columns: ``connected`` (bool), ``distance_m`` (lateral), ``network_m`` (along the
    network from the serving source to the tap point), ``source_id``, ``line_id`` (of
    the tapped edge), ``tap_x``/``tap_y``, ``reason`` (Chinese), ``failed`` (the first
    condition that failed: ``distance``, ``unreached``, ``radius``, ``capacity``, or
    empty). ``sources``: each source's capacity, load and remaining capacity.

    ``serial`` names this coverage (unique, kept through pickling); ``since``, for a coverage
    worked out from an earlier one of the same parcels (:mod:`planner.infra.park`), is that
    one's serial and the rows (positions) that may differ from it: the others are the same.
    """

    network: str
    table: pd.DataFrame
    sources: pd.DataFrame
    serial: int = field(default_factory=lambda: uuid.uuid4().int)
    since: tuple[int, np.ndarray] | None = None


def network_coverage(
    network: Network,
    parcels: pd.DataFrame,
    *,
    service_distance_m: float,
    service_radius_m: float,
    power_factor: float = 1.0,
    shapes: ParcelShapes | None = None,
) -> Coverage:
    """Tap points, distances, serving sources and capacity of ``network`` for every parcel.

    ``power_factor`` turns installed kVA into substation load (the park's
    ``power_coincidence_factor``). ``shapes``: :func:`parcel_shapes` of these
    parcels, to share between networks (computed here if not given).

    Three steps, each of which :mod:`planner.province` also runs on its own, a piece
    of the park at a time: :func:`network_taps` (per parcel), :func:`source_loads`
    (a sum over the park's parcels) and :func:`served_coverage` (per parcel again).
    """
    p = parcels.reset_index(drop=True)
    if not len(network.edges):  # a layer whose lines are all out of service reaches nothing
        return _nothing(network, p)
    taps = network_taps(network, p, service_distance_m=service_distance_m, shapes=shapes)
    loads = source_loads(network, p, taps, service_radius_m=service_radius_m, power_factor=power_factor)
    return served_coverage(
        network,
        p,
        taps,
        loads,
        service_distance_m=service_distance_m,
        service_radius_m=service_radius_m,
        power_factor=power_factor,
    )


def served_coverage(
    network: Network,
    parcels: pd.DataFrame,
    taps: pd.DataFrame,
    loads: np.ndarray,
    *,
    service_distance_m: float,
    service_radius_m: float,
    power_factor: float = 1.0,
) -> Coverage:
    """The coverage of ``parcels`` from their :func:`network_taps` and the park's :func:`source_loads`."""
    p = parcels.reset_index(drop=True)
    out = taps.drop(columns=["near"])
    near = taps["near"].to_numpy(dtype=bool)
    reached = near & np.isfinite(out["network_m"].to_numpy())
    in_radius = reached & (out["network_m"].to_numpy() <= service_radius_m)
    src = out["source"].to_numpy()
    consuming = p["status"].isin(STARTED_STATUSES).to_numpy()
    _, expected = network_demand(network, p, power_factor)
    capacity = network.sources["capacity"].to_numpy(dtype=float)
    remaining = capacity - loads
    has_capacity = np.isnan(capacity)  # roads, or a capacity not stated: not limited
    # a parcel not yet drawing needs room for its expected load (per-mu default × area)
    full = np.zeros(len(p), dtype=bool)
    ok = in_radius & (src >= 0)
    full[ok] = ~has_capacity[src[ok]] & (remaining[src[ok]] < expected[ok]) & ~consuming[ok]
    out["connected"] = in_radius & ~full
    out["failed"] = np.select([~near, ~reached, ~in_radius, full], ["distance", "unreached", "radius", "capacity"], "")
    source_ids = network.sources["source_id"].to_numpy()
    # ids as Python objects whatever they hold (None where there is none): the same dtype for any rows
    ids = np.where(src >= 0, source_ids[np.maximum(src, 0)] if len(source_ids) else None, None)
    out["source_id"] = pd.Series(ids, index=out.index, dtype=object)
    out["line_id"] = pd.Series(out["line_id"].to_numpy(dtype=object), index=out.index, dtype=object)
    out["reason"] = _reasons(network, out, service_distance_m, service_radius_m, expected)
    sources = network.sources[["source_id", "kind", "name", "capacity"]].copy()
    sources["load"] = loads
    sources["remaining"] = remaining
    table = out.drop(columns=["source", *(c for c in _BESIDE if c in out)]).set_index("parcel_id")
    table["network_m"] = table["network_m"].where(np.isfinite(table["network_m"]))
    table["distance_m"] = table["distance_m"].where(np.isfinite(table["distance_m"]))  # beyond the search: unknown
    return Coverage(network.name, table, sources.set_index("source_id"))


def _nothing(network: Network, p: pd.DataFrame) -> Coverage:
    """Coverage of a network with no line in service: nothing is connected."""
    table = pd.DataFrame(
        {
            "connected": False,
            "distance_m": np.nan,
            "network_m": np.nan,
            "source_id": None,
            "line_id": None,
            "tap_x": np.nan,
            "tap_y": np.nan,
            "failed": "distance",
            "reason": f"没有在用的{network.label}线路",
        },
        index=pd.Index(p["parcel_id"].to_numpy(), name="parcel_id"),
    )
    sources = pd.DataFrame(
        columns=["kind", "name", "capacity", "load", "remaining"], index=pd.Index([], name="source_id")
    )
    return Coverage(network.name, table, sources)


def _reasons(
    network: Network,
    out: pd.DataFrame,
    service_distance_m: float,
    service_radius_m: float,
    expected: np.ndarray,
) -> pd.api.extensions.ExtensionArray:
    """The reason of each parcel's result, in Chinese: built per kind of result, each distinct figure formatted once.

    A reason reads the parcel's own figures and its source's name alone (``expected``: what a parcel not yet
    drawing needs): the source's load and what is left of it are with the sources, joined where a planner
    reads the reason (:func:`with_source_figures`). The texts are joined by Arrow into the string array
    pandas keeps (no Python string a parcel)."""
    label = network.label
    unit = CAPACITY_UNITS[network.name][0] if network.name in CAPACITY_UNITS else ""
    names = pa.array(network.sources["name"].to_numpy().astype(str).tolist(), type=pa.string())
    failed = out["failed"].to_numpy()
    lateral = out["distance_m"].to_numpy(dtype=float)
    along = out["network_m"].to_numpy(dtype=float)
    src = out["source"].to_numpy()
    line_id = pa.array(out["line_id"].to_numpy(dtype=object, na_value="None"), type=pa.string())
    # a capacity failure names the source and what this parcel needs; the source's load and what is left of it
    # are kept with the sources (``Coverage.sources``), not in each parcel's text: a load edit moves no other text
    parts: list[tuple[np.ndarray, pa.Array]] = []
    beyond = f"，超过服务距离 {service_distance_m:g} m"
    rows = np.flatnonzero((failed == "distance") & np.isinf(lateral))
    parts.append((rows, _join(rows, f"{label}线路距地块超过 {20 * service_distance_m:,.0f} m{beyond}")))
    rows = np.flatnonzero((failed == "distance") & ~np.isinf(lateral))
    parts.append((rows, _join(rows, f"最近的{label}线路距地块 ", _figures(lateral[rows], ",.0f"), " m" + beyond)))
    rows = np.flatnonzero(failed == "unreached")
    lateral_text = _figures(lateral[rows], ",.0f")
    parts.append(
        (rows, _join(rows, f"{label}线路（", line_id.take(rows), "）距地块 ", lateral_text, " m，但未接通任何源点"))
    )
    rows = np.flatnonzero(failed == "radius")
    far = _figures(along[rows] / 1000, ",.1f")
    parts.append(
        (
            rows,
            _join(
                rows,
                f"经{label}网络至",
                names.take(src[rows]),
                " ",
                far,
                f" km，超过服务半径 {service_radius_m / 1000:g} km",
            ),
        )
    )
    rows = np.flatnonzero(failed == "capacity")
    need = _figures(expected[rows], ",.0f")
    parts.append((rows, _join(rows, names.take(src[rows]), "容量不足：剩余容量不够本地块所需 ", need, f" {unit}")))
    rows = np.flatnonzero(failed == "")
    far, near, name = _figures(along[rows] / 1000, ",.1f"), _figures(lateral[rows], ",.0f"), names.take(src[rows])
    if network.name == "road":
        parts.append(
            (rows, _join(rows, "临路（", line_id.take(rows), "，", near, " m），经道路 ", far, " km 至", name))
        )
    else:
        parts.append((rows, _join(rows, f"{label}线路距地块 ", near, " m，经网络 ", far, " km 至", name)))
    order = np.concatenate([rows for rows, _ in parts])
    texts = pa.concat_arrays([texts for _, texts in parts]).take(np.argsort(order, kind="stable"))
    if "beside_m" in out:  # the network has lines a parcel may not tap: one beside a parcel is named
        texts = _beside(network, out, texts)
    return pd.array(texts, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _join(rows: np.ndarray, *parts: str | pa.Array) -> pa.Array:
    """The texts of ``rows``: ``parts`` (fixed words, or Arrow strings one a row) joined, by Arrow."""
    if all(isinstance(p, str) for p in parts):  # the same text for every row
        return pa.repeat(pa.scalar("".join(parts), type=pa.string()), len(rows))
    text: pa.Array = pc.binary_join_element_wise(*(p if isinstance(p, pa.Array) else pa.scalar(p) for p in parts), "")
    return text


def _beside(network: Network, out: pd.DataFrame, texts: pa.Array) -> pa.Array:
    """``texts`` (every parcel's reason, in ``out``'s order) where no line they may tap is near (``failed`` on
    distance) with the line within the service distance they may not tap added, if any (``beside_*`` of
    :func:`network_taps`): its kind, id and distance.

    A road at another level than the ground (an elevated road, a tunnel) has no frontage; a pipe or cable above
    grade takes no service connection (:func:`planner.infra.levels.tappable`).
    """
    apart = out["beside_m"].to_numpy(dtype=float)
    rows = np.flatnonzero((out["failed"].to_numpy() == "distance") & ~np.isnan(apart))
    if not len(rows):
        return texts
    level = out["beside_level"].to_numpy()[rows]
    if network.name == "road":
        kind = np.where(level > 0, "高架道路", "隧道道路").astype(object)
    else:
        kind = np.full(len(rows), f"地上{network.label}线路", dtype=object)
    ids = pa.array(out["beside_id"].to_numpy(dtype=object, na_value="None")[rows], type=pa.string())
    figures = _figures(apart[rows], ",.0f")
    kinds = pa.array(kind, type=pa.string())
    added = _join(rows, texts.take(rows), "；", kinds, "（", ids, "）距地块 ", figures, " m，不可直接接入")
    at = np.arange(len(texts))
    at[rows] = len(texts) + np.arange(len(rows))
    return pa.concat_arrays([texts, added]).take(at)


def _figures(values: np.ndarray, spec: str) -> pa.Array:
    """``format(value, spec)`` of each value (``spec``: ``",.0f"`` or ``",.1f"``) as Arrow strings.

    Each distinct figure is formatted once: the values are first rounded as ``format``
    rounds them (to even on exact halves, as ``np.rint`` does); a value whose tenths may
    sit on a half once multiplied by 10 is formatted from itself.
    """
    if spec == ",.0f":
        rounded = np.rint(values)
    else:
        tenths = values * 10
        with np.errstate(invalid="ignore"):  # inf: formatted from itself
            near_half = ~(np.abs(tenths - np.floor(tenths) - 0.5) >= 1e-9 * np.maximum(1.0, np.abs(tenths)))
        rounded = np.where(near_half, values, np.rint(tenths) / 10)
    distinct, inverse = np.unique(rounded, return_inverse=True)
    return pa.array([format(v, spec) for v in distinct.tolist()], type=pa.string()).take(inverse.ravel())


def with_source_figures(reasons: pd.Series, sources: pd.DataFrame, unit: str) -> pd.Series:
    """Parcels' reasons (as stored) with their serving source's load and what is left of it joined, as read.

    ``sources``: ``name``, ``capacity``, ``load`` and ``remaining`` of each source with a capacity (a
    network's ``Coverage.sources``, or as kept with the stored readiness). A connected parcel's reason,
    which ends with its source's name, gets ``，剩余 <left> <unit>``; a capacity failure gets the
    source's load and capacity. Other reasons are as they were.
    """
    limited = sources[pd.to_numeric(sources["capacity"], errors="coerce").notna()]
    if not len(limited) or not len(reasons):
        return reasons
    figures = limited[["name", "capacity", "load", "remaining"]].itertuples(index=False)
    served: dict[str, str] = {}
    full: dict[str, str] = {}
    for name, cap, load, left in figures:
        served.setdefault(str(name), f"，剩余 {left:,.0f} {unit}")
        full.setdefault(str(name), f"（负荷 {load:,.0f} / 能力 {cap:,.0f} {unit}，剩余 {max(left, 0):,.0f}）")
    text = reasons.astype(object).where(reasons.notna(), "").astype(str)
    body = text.str.removeprefix("[计算] ")
    # the name a connected reason ends with (after its last 至), or the one a capacity failure starts with
    suffix = body.str.rpartition("至")[2].map(served)
    head = body.str.partition("容量不足：")
    suffix = suffix.fillna(head[0].where(head[1] != "").map(full)).fillna("")
    return (text + suffix).where(reasons.notna(), reasons.astype(object))


SOURCES_KEY = "readiness_sources"
"""The metadata key of each network's sources with a capacity as readiness last found them: ``[source_id, name,
capacity, load, remaining]`` each (a parcel's reason names its source; these figures are joined where it is read)."""


def source_figures(coverage: Mapping[str, Coverage]) -> dict[str, list[list[object]]]:
    """The capacity, load and what is left of each source with a capacity, by network, as kept in the metadata."""
    out: dict[str, list[list[object]]] = {}
    for net, cov in coverage.items():
        s = cov.sources
        limited = s[pd.to_numeric(s["capacity"], errors="coerce").notna()] if len(s) else s
        if len(limited):
            figures = limited[["name", "capacity", "load", "remaining"]].itertuples()
            out[net] = [[str(sid), str(name), float(c), float(load), float(r)] for sid, name, c, load, r in figures]
    return out


def readiness_metadata(coverage: Mapping[str, Coverage]) -> dict[str, object]:
    """What a readiness run's write sets in the park's metadata beside its columns: its time, its sources' figures."""
    stamp = pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")
    return {"readiness_at": stamp, SOURCES_KEY: source_figures(coverage)}


def reasons_with_sources(parcels: pd.DataFrame, metadata: Mapping[str, object]) -> pd.DataFrame:
    """``parcels`` with each network's ``<item>_reason`` joined with its source's load and what is left of it.

    The figures are those stored with the readiness (``metadata``: the park store's), as a planner
    reads a parcel (:func:`with_source_figures`); the parcels are not changed.
    """
    kept = metadata.get(SOURCES_KEY) or {}
    if not isinstance(kept, dict) or not kept:
        return parcels
    out = parcels.copy()
    for net, rows in kept.items():
        column = f"{net}_reason"
        if column in out and rows:
            sources = pd.DataFrame(rows, columns=["source_id", "name", "capacity", "load", "remaining"])
            out[column] = with_source_figures(out[column], sources, CAPACITY_UNITS.get(net, ("",))[0])
    return out
