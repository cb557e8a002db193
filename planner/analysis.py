"""The analyses run on a park store: readiness and idle land, written back, and whether what is stored is current.

This layer sits above the store (which keeps a park and knows no rules) and below siting,
the maps, the exports, the API and the CLI, which all ask it the same questions:

- :func:`update_readiness` models the park's networks and DEM and writes 七通一平 back;
  with ``write=False`` it is the network model of the park as it is now, for siting and
  the maps;
- :func:`update_idle` classifies idle land as of a date and writes it back;
- :func:`freshness` answers "can the stored readiness / idle land answer as current, and
  if not, why" — one answer for every interface (:meth:`Freshness.require` raises
  :class:`~planner.errors.StaleResultError`, which the API answers with 409);
- :func:`recompute_after_edit` runs them again after a committed edit of their inputs;
- :func:`land_indicators` gives the park's land indicators with idle land as stored or as of a date.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.config import ParkConfig
from planner.errors import PlannerError, Problem, StaleResultError, VersionConflictError
from planner.failpoints import reach
from planner.frames import by_parcel
from planner.infra.coverage import Coverage, readiness_metadata
from planner.infra.gateways import declared_gateways, gateway_keys, gateway_notes, infer_gateways, is_inferred
from planner.infra.graphs import GraphCache, safe_file_name
from planner.infra.layers import line_layer
from planner.infra.park import park_coverage
from planner.infra.terrain import MIN_RELIABLE_CELLS, parcel_terrain
from planner.parcels.boundary import park_boundary
from planner.parcels.disposal import RECORD_COLUMNS
from planner.parcels.idle import IDLE_COLUMNS, IdleResult, classify_idle
from planner.parcels.readiness import READINESS_COLUMNS, ReadinessResult, compute_readiness, readiness_kept
from planner.store import ParkStore, WriteReport
from planner.store.kept import KeptLayers, KeptRows
from planner.vocab import CHECKLIST_ITEMS, NETWORK_ITEMS, NETWORK_LAYERS

__all__ = [
    "IDLE_INPUTS",
    "READINESS_INPUTS",
    "Freshness",
    "ReadinessInputs",
    "ReadinessRun",
    "Result",
    "freshness",
    "graph_cache",
    "kept_layers",
    "readiness_inputs",
    "readiness_of",
    "recompute_after_edit",
    "road_gateways",
    "store_gateways",
    "update_idle",
    "update_readiness",
]

READINESS_INPUTS = frozenset(
    {f"declared_{item}" for item in CHECKLIST_ITEMS}
    | {"status", "industry", "power_kva", "water_m3d"}
    | {"geometry", "area_m2", "area_mu"}
)
"""Parcel columns readiness reads: the declared values, what sets a parcel's load on its sources (its area
times the default per mu where no load is declared), and its shape (its taps, frontage and terrain)."""

IDLE_INPUTS = frozenset(
    {
        "status", "supply_mode", "contract_date", "agreed_start_date", "actual_start_date", "agreed_completion_date",
        "halted_since", "land_price_wan", "investment_total_wan", "investment_actual_wan", "developed_area_m2",
        "delay_cause", "area_m2", *RECORD_COLUMNS,
    }
)  # fmt: skip
"""Parcel columns the idle-land rules read (the disposal record too: it sets the stage and may restart the rules)."""

READINESS_LAYERS = ("park_config", "sources", "boundary", *(line_layer(net) for net in NETWORK_ITEMS))
"""Layers whose change makes stored readiness stale."""

IDLE_LAYERS = ("park_config",)
"""Layers whose change makes stored idle land stale (the configuration holds the park's idle rules)."""

Result = Literal["readiness", "idle"]
"""The stored results :func:`freshness` answers for."""
_RESULTS: dict[str, tuple[str, str, str, str]] = {
    # result: metadata key, Chinese name, English name, the command that computes it
    "readiness": ("readiness_at", "七通一平", "readiness (熟地/生地)", "planner readiness"),
    "idle": ("idle_as_of", "闲置土地", "idle land (闲置土地)", "planner idle"),
}
_STAMP_KEYS = {"readiness": "readiness_stamp", "idle": "idle_stamp"}
"""The metadata key of the change stamp (history id) each result's inputs were read at."""
_INPUTS = {"readiness": (READINESS_INPUTS, READINESS_LAYERS), "idle": (IDLE_INPUTS, IDLE_LAYERS)}


def update_idle(store: ParkStore, as_of: date | str | pd.Timestamp, *, by: str) -> tuple[IdleResult, WriteReport]:
    """Classify the park's idle land as of ``as_of`` and write the idle columns back.

    The columns of :data:`~planner.parcels.idle.IDLE_COLUMNS` (the rule, the first and last
    idle days, the fee, the reclamation date, the disposal stage) are set for every parcel
    (cleared where they do not apply), and the date is kept
    in the park's metadata as ``idle_as_of``, all in one transaction. Rows carry the
    version they were read at, so an edit made meanwhile refuses the write.
    """
    stamp = store.change_stamp()  # before reading: any change after it shows in freshness()
    parcels = _read(store, "parcels")["parcels"]
    result = classify_idle(parcels, as_of, store.config())
    metadata = {"idle_as_of": result.as_of.date().isoformat(), _STAMP_KEYS["idle"]: stamp}
    report = _write_back(store, parcels, result.table, tuple(IDLE_COLUMNS), by, metadata)
    return result, report


@dataclass
class ReadinessRun:
    """What :func:`update_readiness` computed: readiness, each network's coverage, and the problems found."""

    readiness: ReadinessResult
    coverage: dict[str, Coverage]
    problems: list[Problem] = field(default_factory=list)
    report: WriteReport | None = None
    gateways: gpd.GeoDataFrame | None = None
    """The road gateways inferred on the park boundary (:func:`road_gateways`), where none is declared."""


@dataclass
class ReadinessInputs:
    """What readiness reads of a park: configuration, parcels, sources, each network's lines and the terrain.

    :func:`readiness_inputs` reads them from a store; :func:`readiness_of` runs the network
    model and the checklist on them. A scenario (:mod:`planner.buildout`) changes a copy of
    them — lines put in service, sources upgraded, parcels leveled — and runs the same model.
    """

    config: ParkConfig
    parcels: gpd.GeoDataFrame
    sources: gpd.GeoDataFrame
    lines: dict[str, gpd.GeoDataFrame]
    terrain: pd.DataFrame | None = None
    """Relief, slope and earthwork of each parcel from the DEM (:func:`~planner.infra.terrain.parcel_terrain`)."""
    dem_date: pd.Timestamp | None = None
    leveled_on: pd.Series | None = None
    """When each parcel's record came to declare it leveled (by ``parcel_id``), for records newer than the DEM."""
    problems: list[Problem] = field(default_factory=list)
    gateways: gpd.GeoDataFrame | None = None
    """The road gateways inferred on the park boundary (with the roads each stands for), where none is declared."""


@dataclass
class _Kept:
    """What readiness keeps of one open store between runs: its graphs, and the layers it read."""

    graphs: GraphCache = field(default_factory=GraphCache)
    layers: KeptLayers = field(default_factory=KeptLayers)
    """The parcels and the layers readiness reads, as last read, refreshed by what changed since."""
    terrain: KeptRows = field(default_factory=KeptRows)
    history: dict[str, tuple[int, pd.DataFrame | None]] = field(default_factory=dict)
    written: object | None = None
    """The kept readiness (``graphs.readiness``) last written back whole: stored as it says, but for the
    parcels changed since (``layers.changed_ids("readiness")``)."""


_KEPT: weakref.WeakKeyDictionary[ParkStore, _Kept] = weakref.WeakKeyDictionary()
"""Per open store object (kept as long as it is): a server's store keeps its graphs from request to request."""


def graph_cache(store: ParkStore) -> GraphCache:
    """The graphs readiness keeps for ``store`` between runs (:class:`~planner.infra.graphs.GraphCache`).

    Kept in memory with the store object, and on disk beside the park (:data:`GRAPHS_FOLDER` in
    its folder, per park) so that another process — a server started again, a CLI command —
    reads a network's graph instead of building it while its lines and sources are the same.
    """
    return _kept(store).graphs


GRAPHS_FOLDER = ".planner-graphs"
"""The folder beside a park's store where readiness keeps each network's graph (safe to delete)."""


def _kept(store: ParkStore) -> _Kept:
    kept = _KEPT.get(store)
    if kept is None:
        folder = None if store.folder is None else store.folder / GRAPHS_FOLDER / safe_file_name(store.config().park_id)
        kept = _KEPT.setdefault(store, _Kept(GraphCache(folder)))
    return kept


def kept_layers(store: ParkStore) -> KeptLayers:
    """The layers readiness and idle land keep of ``store`` between runs (refreshed by what changed since)."""
    return _kept(store).layers


def _read(store: ParkStore, *names: str) -> dict[str, gpd.GeoDataFrame]:
    """Layers of the park as stored now, from what was kept of ``store`` (:class:`~planner.store.kept.KeptLayers`):
    only what a history row after the last read names is read again (the graph cache checks the lines anyway)."""
    return _kept(store).layers.read(store, names)


def readiness_inputs(store: ParkStore, *, progress: Callable[[str], None] | None = None) -> ReadinessInputs:
    """Read what readiness needs of the park in ``store``; the DEM named in its configuration gives the terrain.

    The DEM path is relative to the store's folder; the metadata key ``dem_date`` says when it
    was taken (records declaring a parcel leveled after that date prevail). A line layer no
    edit touched since the last read of this store object is not read again.
    """
    step = progress or (lambda _name: None)
    config = store.config()
    layers = _read(store, "parcels", "sources", *(line_layer(net) for net in NETWORK_ITEMS))
    parcels = layers["parcels"]
    lines = {net: layers[line_layer(net)] for net in NETWORK_ITEMS}
    inputs = ReadinessInputs(config, parcels, layers["sources"], lines)
    gateways = road_gateways(store, parcels=parcels, sources=inputs.sources, roads=inputs.lines["road"])
    if gateways is not None:
        inputs.gateways, notes = gateways
        kept = inputs.sources[~is_inferred(inputs.sources)]
        inputs.sources = pd.concat([kept, inputs.gateways[kept.columns.intersection(inputs.gateways.columns)]])
        inputs.sources = inputs.sources.reset_index(drop=True)
        inputs.problems += notes
    step("terrain")
    if config.dem and store.folder is not None and (store.folder / config.dem).is_file():
        dem = store.folder / config.dem  # the terrain made again only for parcels whose shape changed
        key = (str(dem), dem.stat().st_mtime_ns, dem.stat().st_size)
        inputs.terrain = _kept(store).terrain.get(key, parcels, lambda p: parcel_terrain(p, dem))
        inputs.problems += _terrain_notes(inputs.terrain)
        recorded = store.metadata().get("dem_date")  # unknown: records cannot be newer than the DEM
        inputs.dem_date = pd.Timestamp(recorded) if recorded else None
    else:
        inputs.problems.append(
            Problem(
                "warning",
                None,
                None,
                "no DEM: leveling uses the declared values",
                feature="terrain",
                zh="没有高程数据（DEM）：场地平整按登记值判断",
            )
        )
    if inputs.dem_date is not None:
        inputs.leveled_on = _declared_true_since(store, "declared_leveled")
    return inputs


def _terrain_notes(terrain: pd.DataFrame) -> list[Problem]:
    """The parcels the DEM covers with too few cells for their relief to be judged, one warning each."""
    few = terrain[terrain["cells"].gt(0) & ~terrain["relief_reliable"].astype(bool)]
    return [
        Problem(
            "warning",
            str(pid),
            "leveled",
            f"the DEM covers the parcel with {cells:.1f} cell(s), fewer than the {MIN_RELIABLE_CELLS:g} a relief "
            "needs: not judged leveled from the DEM; its record decides",
            feature="parcel",
            zh=f"高程数据只覆盖该宗地 {cells:.1f} 个格网，少于判断高差所需的 {MIN_RELIABLE_CELLS:g} 个："
            "不按高程数据判断是否场地平整，以登记为准",
        )
        for pid, cells in zip(few.index, few["cells"], strict=True)
    ]


def road_gateways(
    store: ParkStore,
    *,
    parcels: gpd.GeoDataFrame | None = None,
    sources: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, list[Problem]] | None:
    """The road gateways inferred on the park boundary, and the notes saying so; ``None`` where none is needed.

    Gateways are inferred (:func:`~planner.infra.gateways.infer_gateways`) when the road network
    has lines in service but no live gateway a record declared; the boundary is the stored
    one, else the concave hull of the parcels (:func:`~planner.parcels.boundary.park_boundary`).
    The layers not given are read from ``store``.
    """
    sources = _read(store, "sources")["sources"] if sources is None else sources
    roads = _read(store, "road_lines")["road_lines"] if roads is None else roads
    live = roads["in_service"].fillna(True).astype(bool).to_numpy() if len(roads) else np.zeros(0, dtype=bool)
    if not live.any() or declared_gateways(sources).any():
        return None
    parcels = _read(store, "parcels")["parcels"] if parcels is None else parcels
    boundary = park_boundary(_read(store, "boundary")["boundary"], parcels)
    origin = str(boundary["origin"].iloc[0]) if len(boundary) else None
    gateways = infer_gateways(roads, boundary)
    return gateways, gateway_notes(gateways, origin)


def store_gateways(store: ParkStore, *, by: str) -> gpd.GeoDataFrame | None:
    """Keep the park's inferred road gateways current in its ``sources`` layer (written only if they changed).

    The inferred gateways are replaced by the ones the roads and the boundary give now, and
    removed once a gateway is declared. Returns the inferred gateways (``None``: none needed).
    """
    sources = _read(store, "sources")["sources"]
    gateways = road_gateways(store, sources=sources)
    inferred = is_inferred(sources)
    new = gateways[0] if gateways is not None else sources.iloc[:0]
    old = sources[inferred]
    same = gateway_keys(old) == gateway_keys(new)
    if not same:
        kept = sources[~inferred]
        rows = pd.concat([kept, new[[c for c in kept.columns if c in new.columns]]]).reset_index(drop=True)
        store.write_layer("sources", gpd.GeoDataFrame(rows, geometry="geometry", crs=sources.crs), by=by)
    return gateways[0] if gateways is not None else None


def readiness_of(
    inputs: ReadinessInputs,
    *,
    progress: Callable[[str], None] | None = None,
    reuse: Mapping[str, Coverage | None] | None = None,
    graphs: GraphCache | None = None,
) -> ReadinessRun:
    """七通一平 readiness of the park ``inputs`` describe: each network modelled, then the checklist.

    Each network with lines in service is modelled (:mod:`planner.infra.network`,
    :mod:`planner.infra.coverage`; a big park's networks in several processes, see
    :func:`planner.infra.park.park_coverage`). ``reuse``: the coverage of networks known
    not to have changed (``None`` for a network without lines), taken as it is. ``graphs``:
    graphs and taps kept from earlier runs, reused where their inputs are the same.
    """
    step = progress or (lambda _name: None)
    config = inputs.config
    reuse = reuse or {}
    problems: list[Problem] = list(inputs.problems)
    coverage: dict[str, Coverage] = {}
    tables: dict[str, pd.DataFrame | None] = {}
    settings = {net: config.networks[net] for net in NETWORK_ITEMS}
    runs = park_coverage(
        inputs.parcels,
        {net: lines for net, lines in inputs.lines.items() if net not in reuse},
        inputs.sources,
        settings,
        power_factor=config.threshold("power_coincidence_factor"),
        progress=step,
        cache=graphs,
    )
    for net in NETWORK_ITEMS:
        if net in reuse:
            known = reuse[net]
            tables[net] = None if known is None else known.table
            if known is not None:
                coverage[net] = known
            continue
        network = runs[net]
        if network.coverage is None:
            problems.append(
                Problem(
                    "warning",
                    None,
                    None,
                    f"the {net} layer has no line in service: readiness uses the declared values",
                    feature=f"{net} network",
                    zh=f"{NETWORK_LAYERS[net][0]}没有在用的线路：熟地判断按登记值",
                )
            )
            tables[net] = None
            continue
        problems += network.problems
        coverage[net] = network.coverage
        tables[net] = network.coverage.table
    step("readiness")
    if graphs is None:
        result = compute_readiness(
            inputs.parcels, config, tables, inputs.terrain, dem_date=inputs.dem_date, leveled_on=inputs.leveled_on
        )
    else:  # worked out again only for the rows whose inputs changed since the last run with these graphs
        tagged = {
            net: None if table is None else (table, coverage[net].serial, coverage[net].since)
            for net, table in tables.items()
        }
        result, graphs.readiness = readiness_kept(
            graphs.readiness,
            inputs.parcels,
            config,
            tagged,
            inputs.terrain,
            dem_date=inputs.dem_date,
            leveled_on=inputs.leveled_on,
        )
    return ReadinessRun(result, coverage, problems, gateways=inputs.gateways)


def update_readiness(
    store: ParkStore,
    *,
    by: str,
    progress: Callable[[str], None] | None = None,
    write: bool = True,
) -> ReadinessRun:
    """Compute 七通一平 readiness from the park's networks and DEM and write it back in one transaction.

    :func:`readiness_inputs` then :func:`readiness_of`. ``progress`` is called with the name
    of each step. The time is kept in the park's metadata as ``readiness_at``. With
    ``write=False`` nothing is written: the network model of the park as it is now. The
    graphs and taps are kept with the store object (:func:`graph_cache`) for the next run.
    """
    if write:
        store_gateways(store, by=by)
    inputs_at = store.change_stamp()  # before reading: any change after it shows in freshness()
    inputs = readiness_inputs(store, progress=progress)
    kept = _kept(store)
    previous = kept.graphs.readiness
    run = readiness_of(inputs, progress=progress, graphs=kept.graphs)
    if write:
        metadata = {**readiness_metadata(run.coverage), _STAMP_KEYS["readiness"]: inputs_at}
        rows = _rows_to_compare(kept, previous, inputs.parcels)
        kept.written = None  # until this write is made
        run.report = _write_back(store, inputs.parcels, run.readiness.table, READINESS_COLUMNS, by, metadata, rows)
        kept.written = kept.graphs.readiness
    return run


def _rows_to_compare(kept: _Kept, previous: object, parcels: gpd.GeoDataFrame) -> np.ndarray | None:
    """The positions of the parcels whose stored readiness may differ from the new result; None: any may.

    When the last result was written back whole, a parcel's stored readiness can differ from the new
    one only where the new run worked it out again, or where the parcel changed since (by any writer).
    """
    since = kept.layers.changed_ids("readiness")
    rows = kept.graphs.readiness.rows if kept.graphs.readiness is not None else None
    if previous is None or previous is not kept.written or since is None or rows is None:
        return None
    at = pd.Index(parcels["parcel_id"].to_numpy(dtype=object)).get_indexer(np.array(list(since), dtype=object))
    return np.union1d(rows, at[at >= 0])


def _write_back(
    store: ParkStore,
    parcels: gpd.GeoDataFrame,
    table: pd.DataFrame,
    columns: tuple[str, ...],
    by: str,
    metadata: dict[str, object],
    rows: np.ndarray | None = None,
) -> WriteReport:
    """A result's ``columns`` (``table`` by ``parcel_id``) written over ``parcels`` as read: the rows that differ.

    ``rows``: the positions that may differ (the others known to be stored as the result says); None: all.
    The rows written are put in the parcels kept for ``store``, so the next run reads none of them again.
    """
    before = parcels if rows is None else parcels.iloc[rows]
    values = by_parcel(table, columns, before)
    report = store.write_columns(before, values, by=by, metadata=metadata)
    report.unchanged += len(parcels) - len(before)
    _kept(store).layers.wrote(report.written, report.stamps, track="readiness" if "ready" in columns else None)
    return report


def _declared_true_since(store: ParkStore, column: str) -> pd.Series:
    """When each parcel's ``column`` last became true, from the edit history (by ``parcel_id``).

    The history rows read before for ``store`` are not read again: only those after the last one seen."""
    seen, hits = _kept(store).history.get(column, (0, None))
    if seen > store.change_stamp():  # the history went back: read it all
        seen, hits = 0, None
    history = store.history(layer="parcels", since=seen)

    def became_true(change: dict, action: str) -> bool:
        value = change.get(column)
        if action == "insert":
            return value is True
        return isinstance(value, list) and len(value) == 2 and value[1] is True and value[0] is not True

    mask = [became_true(c, a) for c, a in zip(history["changes"], history["action"], strict=True)]
    new = history.loc[np.array(mask, dtype=bool), ["feature_id", "changed_at"]]
    hits = new if hits is None else pd.concat([hits, new], ignore_index=True)
    _kept(store).history[column] = (int(history["history_id"].max()) if len(history) else seen, hits)
    if seen == 0 and history.empty:
        return pd.Series(dtype="datetime64[ns, UTC]")
    return hits.groupby("feature_id")["changed_at"].max()


@dataclass(frozen=True)
class Freshness:
    """Whether a stored result can answer as current: when it was computed, and what changed since."""

    result: Result
    computed_at: str | None
    """When it was computed (readiness) or the date it is as of (idle land); None: never computed."""
    changed: str | None = None
    """The input layer that changed after it was computed, if one did."""
    detail: str = ""
    """Which feature and column of it changed (``parcel 'P001': power_kva``), where known."""

    @property
    def current(self) -> bool:
        """Computed, and no input changed since."""
        return self.computed_at is not None and self.changed is None

    def message(self, lang: str = "en") -> str:
        """Why the stored result cannot answer (empty when it can), in ``lang`` (``zh`` or ``en``)."""
        _key, zh, en, command = _RESULTS[self.result]
        if self.computed_at is None:
            if lang == "zh":
                return f"尚未计算{zh}：先运行 {command}"
            return f"{en} was never computed for this park: run `{command}` ({self.result} not computed)"
        if self.changed is not None:
            what = f"（{self.detail}）" if self.detail else ""
            if lang == "zh":
                return f"{self.changed} 图层{what}在{zh}计算（{self.computed_at}）之后有改动：请重新运行 {command}"
            what = f" ({self.detail})" if self.detail else ""
            return (
                f"the {self.changed} layer{what} changed after {self.result} was computed ({self.computed_at}): "
                f"run `{command}` again before asking for it ({self.result} is stale)"
            )
        return ""

    def require(self) -> None:
        """Raise :class:`~planner.errors.StaleResultError` unless the stored result is current."""
        if not self.current:
            raise StaleResultError(self.message())


def freshness(store: ParkStore, result: Result = "readiness") -> Freshness:
    """Can the stored ``result`` (``readiness`` or ``idle``) answer as current?

    A result records the park's change stamp (the newest history id) it read its inputs at,
    in the same transaction as it is written; every edit adds its history rows in the same
    transaction as the edit. So the result is stale when a history row after its stamp
    touches an input: the configuration, the sources or a network's lines (readiness), or a
    parcel inserted, deleted, or updated in a column the result reads (:data:`READINESS_INPUTS`,
    :data:`IDLE_INPUTS`) — by any writer, even one that died before recomputing. A park
    computed before stamps were kept is judged by time (readiness) or is current (idle land).
    """
    if result not in _RESULTS:
        msg = f"`result` was {result!r} but is expected to be one of {', '.join(_RESULTS)}"
        raise ValueError(msg)
    meta = store.metadata()
    at = meta.get(_RESULTS[result][0])
    stamp = meta.get(_STAMP_KEYS[result])
    if at is not None and stamp is not None:
        return _changed_since(store, result, at, int(stamp))
    if at is None or result == "idle":
        return Freshness(result, at)
    computed = pd.Timestamp(at)
    for layer in READINESS_LAYERS:
        history = store.history(layer=layer)
        if len(history) and history["changed_at"].max() > computed:
            return Freshness(result, at, layer)
    return Freshness(result, at)


def _changed_since(store: ParkStore, result: Result, at: str, stamp: int) -> Freshness:
    """The first change after history row ``stamp`` that touches an input of ``result``, as its freshness."""
    columns, layers = _INPUTS[result]
    changes = store.changes_since(stamp, with_changes=True)
    touched = changes[changes["layer"].isin(layers)]
    if len(touched):
        return Freshness(result, at, str(touched["layer"].iloc[0]))
    parcels = changes[changes["layer"] == "parcels"]
    # only rows that are no update, or whose JSON names an input column, are read further (a result's own write
    # after its stamp — readiness's derived columns of every parcel — is not parsed row by row)
    named = parcels["changes"].fillna("").str.contains("|".join(re.escape(f'"{c}"') for c in sorted(columns)))
    parcels = parcels[(parcels["action"] != "update").to_numpy() | named.to_numpy(dtype=bool)]
    for row in parcels.itertuples(index=False):  # the changes since the result: few, not the park's rows
        if row.action != "update":
            done = {"insert": "inserted", "delete": "deleted"}.get(str(row.action), str(row.action))
            return Freshness(result, at, "parcels", f"parcel {row.feature_id!r} {done}")
        hit = sorted(set(json.loads(row.changes)) & columns)
        if hit:
            return Freshness(result, at, "parcels", f"parcel {row.feature_id!r}: {', '.join(hit)}")
    return Freshness(result, at)


def recompute_after_edit(store: ParkStore, user: str, changed: set[str]) -> list[str]:
    """After a committed edit: readiness and idle land again where the edit touched what they read.

    As the park last computed them (idle land as of the same date). Never raises: the edit
    stands, and a recomputation that cannot be made now is said in a note (Chinese).
    """
    notes = []
    meta = store.metadata()
    steps: list[tuple[str, Callable[[], object]]] = []
    if "readiness_at" in meta and changed & READINESS_INPUTS:
        steps.append(("七通一平", lambda: update_readiness(store, by=user)))
    if "idle_as_of" in meta and changed & IDLE_INPUTS:
        steps.append(("闲置土地", lambda: update_idle(store, meta["idle_as_of"], by=user)))
    if steps:
        reach("analysis.recompute.before")
    for name, step in steps:
        for attempt in range(2):
            try:
                step()
                break
            except VersionConflictError:
                if attempt:
                    notes.append(f"另一编辑同时修改了园区：{name}未能重算，请稍后运行 planner readiness / planner idle")
            except PlannerError as exc:
                notes.append(f"{name}未能重算（{type(exc).__name__}: {exc}）；修改已保存")
                break
    return notes
