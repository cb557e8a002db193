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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pandas as pd

from planner.errors import PlannerError, Problem, StaleResultError, VersionConflictError
from planner.infra.coverage import Coverage
from planner.infra.layers import line_layer
from planner.infra.park import park_coverage
from planner.infra.terrain import parcel_terrain
from planner.parcels.disposal import RECORD_COLUMNS
from planner.parcels.idle import IDLE_COLUMNS, IdleResult, classify_idle
from planner.parcels.indicators import park_indicators
from planner.parcels.readiness import READINESS_COLUMNS, ReadinessResult, compute_readiness
from planner.store import ParkStore, WriteReport
from planner.vocab import CHECKLIST_ITEMS, NETWORK_ITEMS

__all__ = [
    "IDLE_INPUTS",
    "READINESS_INPUTS",
    "Freshness",
    "LandIndicators",
    "ReadinessRun",
    "Result",
    "freshness",
    "land_indicators",
    "recompute_after_edit",
    "update_idle",
    "update_readiness",
]

READINESS_INPUTS = frozenset(
    {f"declared_{item}" for item in CHECKLIST_ITEMS} | {"status", "industry", "power_kva", "water_m3d"}
)
"""Parcel columns readiness reads (the declared values, and what sets a parcel's load on its sources)."""

IDLE_INPUTS = frozenset(
    {
        "status", "supply_mode", "contract_date", "agreed_start_date", "actual_start_date", "agreed_completion_date",
        "halted_since", "land_price_wan", "investment_total_wan", "investment_actual_wan", "developed_area_m2",
        "delay_cause", *RECORD_COLUMNS,
    }
)  # fmt: skip
"""Parcel columns the idle-land rules read (the disposal record too: it sets the stage and may restart the rules)."""

READINESS_LAYERS = ("park_config", "sources", *(line_layer(net) for net in NETWORK_ITEMS))
"""Layers whose change makes stored readiness stale."""

Result = Literal["readiness", "idle"]
"""The stored results :func:`freshness` answers for."""
_RESULTS: dict[str, tuple[str, str, str, str]] = {
    # result: metadata key, Chinese name, English name, the command that computes it
    "readiness": ("readiness_at", "七通一平", "readiness (熟地/生地)", "planner readiness"),
    "idle": ("idle_as_of", "闲置土地", "idle land (闲置土地)", "planner idle"),
}


def update_idle(store: ParkStore, as_of: date | str | pd.Timestamp, *, by: str) -> tuple[IdleResult, WriteReport]:
    """Classify the park's idle land as of ``as_of`` and write the idle columns back.

    The columns of :data:`~planner.parcels.idle.IDLE_COLUMNS` (the rule, the first and last
    idle days, the fee, the reclamation date, the disposal stage) are set for every parcel
    (cleared where they do not apply), and the date is kept
    in the park's metadata as ``idle_as_of``, all in one transaction. Rows carry the
    version they were read at, so an edit made meanwhile refuses the write.
    """
    parcels = store.read_parcels()
    result = classify_idle(parcels, as_of, store.config())
    table = result.table.reindex(parcels["parcel_id"])
    for column in IDLE_COLUMNS:
        parcels[column] = table[column].to_numpy()
    report = store.write_parcels(parcels, by=by, metadata={"idle_as_of": result.as_of.date().isoformat()})
    return result, report


@dataclass
class ReadinessRun:
    """What :func:`update_readiness` computed: readiness, each network's coverage, and the problems found."""

    readiness: ReadinessResult
    coverage: dict[str, Coverage]
    problems: list[Problem] = field(default_factory=list)
    report: WriteReport | None = None


def update_readiness(
    store: ParkStore,
    *,
    by: str,
    progress: Callable[[str], None] | None = None,
    write: bool = True,
) -> ReadinessRun:
    """Compute 七通一平 readiness from the park's networks and DEM and write it back in one transaction.

    Each network with lines in service is modelled (:mod:`planner.infra.network`,
    :mod:`planner.infra.coverage`; a big park's networks in several processes, see
    :func:`planner.infra.park.park_coverage`); the DEM named in the configuration (relative to
    the store's folder) gives the leveling; the metadata key ``dem_date`` says when it
    was taken (records declaring a parcel leveled after that date prevail).
    ``progress`` is called with the name of each step. The time is kept in the park's
    metadata as ``readiness_at``.
    """
    step = progress or (lambda _name: None)
    config = store.config()
    parcels = store.read_parcels()
    sources = store.read_layer("sources")
    problems: list[Problem] = []
    coverage: dict[str, Coverage] = {}
    tables: dict[str, pd.DataFrame | None] = {}
    settings = {net: config.networks[net] for net in NETWORK_ITEMS}
    lines = {net: store.read_layer(line_layer(net)) for net in NETWORK_ITEMS}
    runs = park_coverage(
        parcels,
        lines,
        sources,
        settings,
        power_factor=config.threshold("power_coincidence_factor"),
        progress=step,
    )
    for net, network in runs.items():
        if network.coverage is None:
            problems.append(
                Problem(
                    "warning",
                    None,
                    None,
                    f"the {net} layer has no line in service: readiness uses the declared values",
                    feature=f"{net} network",
                )
            )
            tables[net] = None
            continue
        problems += network.problems
        coverage[net] = network.coverage
        tables[net] = network.coverage.table
    step("terrain")
    terrain = None
    dem_date = None
    if config.dem and store.folder is not None and (store.folder / config.dem).is_file():
        terrain = parcel_terrain(parcels, store.folder / config.dem)
        recorded = store.metadata().get("dem_date")  # unknown: records cannot be newer than the DEM
        dem_date = pd.Timestamp(recorded) if recorded else None
    else:
        problems.append(Problem("warning", None, None, "no DEM: leveling uses the declared values", feature="terrain"))
    step("readiness")
    leveled_on = _declared_true_since(store, "declared_leveled") if dem_date is not None else None
    result = compute_readiness(parcels, config, tables, terrain, dem_date=dem_date, leveled_on=leveled_on)
    run = ReadinessRun(result, coverage, problems)
    if write:
        table = result.table.reindex(parcels["parcel_id"])
        for column in READINESS_COLUMNS:
            parcels[column] = table[column].to_numpy()
        stamp = pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")
        run.report = store.write_parcels(parcels, by=by, metadata={"readiness_at": stamp})
    return run


def _declared_true_since(store: ParkStore, column: str) -> pd.Series:
    """When each parcel's ``column`` last became true, from the edit history (by ``parcel_id``)."""
    history = store.history(layer="parcels")
    if history.empty:
        return pd.Series(dtype="datetime64[ns, UTC]")

    def became_true(change: dict, action: str) -> bool:
        value = change.get(column)
        if action == "insert":
            return value is True
        return isinstance(value, list) and len(value) == 2 and value[1] is True and value[0] is not True

    mask = [became_true(c, a) for c, a in zip(history["changes"], history["action"], strict=True)]
    hits = history[mask]
    return hits.groupby("feature_id")["changed_at"].max()


@dataclass(frozen=True)
class Freshness:
    """Whether a stored result can answer as current: when it was computed, and what changed since."""

    result: Result
    computed_at: str | None
    """When it was computed (readiness) or the date it is as of (idle land); None: never computed."""
    changed: str | None = None
    """The input layer that changed after it was computed, if one did."""

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
            if lang == "zh":
                return f"{self.changed} 图层在{zh}计算（{self.computed_at}）之后有改动：请重新运行 {command}"
            return (
                f"the {self.changed} layer changed after {self.result} was computed ({self.computed_at}): "
                f"run `{command}` again before asking for it ({self.result} is stale)"
            )
        return ""

    def require(self) -> None:
        """Raise :class:`~planner.errors.StaleResultError` unless the stored result is current."""
        if not self.current:
            raise StaleResultError(self.message())


def freshness(store: ParkStore, result: Result = "readiness") -> Freshness:
    """Can the stored ``result`` (``readiness`` or ``idle``) answer as current?

    Readiness is stale when the configuration, the sources or a network's lines changed
    after it was computed (by any writer: the store's history says when). Idle land is
    classified as of a date and is current once classified.
    """
    if result not in _RESULTS:
        msg = f"`result` was {result!r} but is expected to be one of {', '.join(_RESULTS)}"
        raise ValueError(msg)
    key = _RESULTS[result][0]
    at = store.metadata().get(key)
    if at is None or result == "idle":
        return Freshness(result, at)
    computed = pd.Timestamp(at)
    for layer in READINESS_LAYERS:
        history = store.history(layer=layer)
        if len(history) and history["changed_at"].max() > computed:
            return Freshness(result, at, layer)
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


@dataclass
class LandIndicators:
    """The land indicators of each park and of all (:func:`~planner.parcels.indicators.park_indicators`).

    ``table`` has one row per park and a last row ``ALL`` (index ``park_id``).
    """

    table: pd.DataFrame
    idle_as_of: str | None
    """The day idle land was judged as of (``YYYY-MM-DD``); None: never classified (idle area and rate are NaN)."""

    def of_park(self, park_id: str) -> pd.Series:
        """The indicators of ``park_id``, or of all parks where the table has no row for it."""
        return self.table.loc[park_id if park_id in self.table.index else "ALL"]


def land_indicators(
    store: ParkStore, parcels: pd.DataFrame | None = None, *, as_of: date | str | pd.Timestamp | None = None
) -> LandIndicators:
    """The park's land indicators, with idle land as the park stores it or as of ``as_of``.

    Without ``as_of``, idle land is what :func:`update_idle` last wrote (the park's
    ``idle_as_of``); with it, idle land is classified afresh as of that day and nothing is
    written. A park whose idle land was never classified gets no idle area and no idle rate
    (NaN) rather than a false 0%. ``parcels``: the park's parcel layer, if already read.
    """
    parcels = store.read_parcels() if parcels is None else parcels
    if as_of is None:
        idle = parcels["idle_rule"].notna()
        basis = store.metadata().get("idle_as_of")
    else:
        result = classify_idle(parcels, as_of, store.config())
        idle = pd.Series(result.table["idle_rule"].reindex(parcels["parcel_id"]).notna().to_numpy(), parcels.index)
        basis = result.as_of.date().isoformat()
    table = park_indicators(parcels, idle=idle)
    if basis is None:  # idle land never classified: no rate, rather than a false 0%
        table[["idle_area_ha", "idle_land_rate_pct"]] = float("nan")
    return LandIndicators(table, basis)
