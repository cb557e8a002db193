"""七通一平 readiness: which parcels are ready land (熟地), and what the others lack.

For each item of the park's checklist (七通一平 by default; 三通/五通一平 by
configuration), readiness uses the value *derived* by the network model where the
park has a layer for that network, and the value its records *declare* otherwise
(DESIGN.md, declared vs derived). The reason of each item says which it used:
``[计算]`` (derived) or ``[登记]`` (declared). A parcel is ready when every item holds;
an unknown value does not hold. Where both a declared and a derived value exist and
they differ, the parcel is listed as a disagreement — records that say 七通一平
where the pipe never arrives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from planner.config import ParkConfig
from planner.frames import one_chunk, spliced
from planner.vocab import NETWORK_ITEMS, NETWORK_LAYERS

__all__ = [
    "READINESS_COLUMNS",
    "KeptReadiness",
    "ReadinessResult",
    "compute_readiness",
    "readiness_again",
    "readiness_kept",
]

READINESS_COLUMNS = (
    *(c for item in NETWORK_ITEMS for c in (item, f"{item}_distance_m", f"{item}_network_m", f"{item}_reason")),
    "leveled",
    "relief_m",
    "earthwork_m3",
    "ready",
    "missing",
)
"""The derived parcel columns this module fills."""


@dataclass
class ReadinessResult:
    """``table``: the derived columns by ``parcel_id``; ``disagreements``: parcel, item, declared, derived, reason."""

    table: pd.DataFrame
    disagreements: pd.DataFrame
    used: dict[str, str]
    """For each checklist item, ``derived`` or ``declared``."""
    keys: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Each disagreement's place in the order of a whole run (see :func:`readiness_again`); made when first needed."""

    @property
    def ready(self) -> pd.Index:
        """The ids of the ready parcels (熟地)."""
        return self.table.index[self.table["ready"].fillna(False).to_numpy(dtype=bool)]

    def by_item(self, parcels: pd.DataFrame, checklist: Sequence[str]) -> pd.DataFrame:
        """How each checklist item stands: the value readiness used, and how many parcels hold it and fail it.

        ``parcels`` is the parcel layer readiness was computed on (it holds the declared values).
        One row per item of ``checklist`` (index ``item``): ``used`` (``derived`` or
        ``declared``), ``holds`` and ``fails`` (parcels whose used value is true; the rest,
        an unknown value included; a parcel the DEM cannot judge fails ``leveled`` here, though
        readiness takes its record) and ``disagree`` (parcels whose records disagree with the
        network model).
        """
        disagree = self.disagreements["item"].value_counts()
        rows = []
        for item in checklist:
            used = self.used[item]
            values = (self.table[item] if used == "derived" else parcels[f"declared_{item}"]).astype("boolean")
            values = values.fillna(False)
            holds = int(values.sum())
            rows.append((item, used, holds, len(values) - holds, int(disagree.get(item, 0))))
        return pd.DataFrame(rows, columns=["item", "used", "holds", "fails", "disagree"]).set_index("item")


def compute_readiness(
    parcels: pd.DataFrame,
    config: ParkConfig,
    coverage: Mapping[str, pd.DataFrame | None],
    terrain: pd.DataFrame | None = None,
    *,
    dem_date: pd.Timestamp | None = None,
    leveled_on: pd.Series | None = None,
    reuse: Mapping[str, _Item] | None = None,
) -> ReadinessResult:
    """Readiness of every parcel.

    Parameters
    ----------
    parcels
        The parcel layer (with the ``declared_*`` columns).
    config
        The park's checklist and leveling thresholds.
    coverage
        For each network, its coverage table by ``parcel_id`` (``connected``,
        ``distance_m``, ``reason``), or ``None`` where the park has no layer for it.
    terrain
        ``relief_m``, ``slope_pct``, ``earthwork_m3`` by ``parcel_id`` from the DEM, or
        ``None`` without a DEM.
    dem_date, leveled_on
        When the DEM was taken, and when each parcel's record came to declare it
        leveled (by ``parcel_id``, from the edit history): a parcel declared leveled
        after the DEM was taken counts as leveled whatever the DEM shows. A parcel
        the DEM does not cover (off it, or smaller than a cell) takes its declared value.
    reuse
        Networks' items taken as they are, not worked out: :func:`readiness_kept` passes
        those of its last result whose inputs did not change (a line edit changes one network's).
    """
    reuse = reuse or {}
    p = parcels.set_index("parcel_id", drop=False)
    ids = p.index
    items = {
        item: reuse[item] if item in reuse else _network_item(p, item, coverage.get(item)) for item in NETWORK_ITEMS
    }
    items["leveled"] = _leveled(p, config, terrain, dem_date=dem_date, leveled_on=leveled_on)
    out = pd.DataFrame(index=ids)
    for found in items.values():
        for column, values in found.columns.items():
            out[column] = values
    holds = {
        item: pd.Series(items[item].value, index=ids).astype("boolean").fillna(False).to_numpy(dtype=bool)
        for item in config.checklist
    }
    ok = np.logical_and.reduce(list(holds.values()))
    out["ready"] = pd.array(ok, dtype="boolean")
    out["missing"] = pd.Series(_missing(holds, len(p)), index=ids, dtype=object)
    rows = [found.disagreements for found in items.values() if found.disagreements is not None]
    disagreements = (
        one_chunk(pd.concat(rows, ignore_index=True))
        if rows
        else pd.DataFrame(columns=["parcel_id", "item", "declared", "derived", "reason"])
    )
    # each disagreement's place in this order (see _disagreement_keys), known here without looking the ids up
    keys = [
        rank * (len(ids) + 1) + found.disagree_at
        for rank, found in enumerate(items.values())
        if found.disagreements is not None and found.disagree_at is not None
    ]
    known = np.concatenate(keys).astype(np.int64) if keys and len(keys) == len(rows) else None
    return ReadinessResult(out, disagreements, {item: found.used for item, found in items.items()}, known)


Tagged = tuple[pd.DataFrame, int, tuple[int, np.ndarray] | None]
"""A network's coverage table with its tag and, if it was worked out from an earlier table, that one's tag and the
rows (positions) that may differ from it (:class:`planner.infra.coverage.Coverage`'s ``serial`` and ``since``)."""


@dataclass
class KeptReadiness:
    """A park's last readiness and what it was computed from, to work out the next one for the rows that changed."""

    config: ParkConfig
    ids: np.ndarray
    declared: dict[str, np.ndarray]
    terrain: pd.DataFrame | None
    dem_date: pd.Timestamp | None
    leveled_on: pd.Series | None
    tags: dict[str, int | None]
    result: ReadinessResult
    rows: np.ndarray | None = None
    """The rows (positions) that may differ from the last result (the others are as they were); None: any may."""


AGAIN_SHARE = 0.2
"""Beyond this share of the parcels changed, readiness is worked out for all at once: splicing the rows into the last
result costs about four times a whole run per row (98,458 rows of 100,000: 2.0 s against 0.45 s)."""


def readiness_kept(
    kept: KeptReadiness | None,
    parcels: pd.DataFrame,
    config: ParkConfig,
    coverage: Mapping[str, Tagged | None],
    terrain: pd.DataFrame | None = None,
    *,
    dem_date: pd.Timestamp | None = None,
    leveled_on: pd.Series | None = None,
) -> tuple[ReadinessResult, KeptReadiness]:
    """:func:`compute_readiness`, worked out again only for the rows whose inputs changed since ``kept``.

    A row's readiness reads its declared values and its row of each coverage table (and of
    the terrain): where the parcels (ids, in order), the configuration, the terrain and the
    dates are those of ``kept`` and each table is the kept one or says which of its rows
    changed since, only the rows changed are worked out (:func:`readiness_again`); else all.
    Where more than :data:`AGAIN_SHARE` of the rows changed (a line edit upstream of most
    parcels), all rows are worked out, but the items of the networks whose table and declared
    values are those of ``kept`` are taken from the last result, not worked out again.
    Returns the result (the same as :func:`compute_readiness` gives) and what to keep for next time.
    """
    ids = parcels["parcel_id"].to_numpy(dtype=object)
    declared = {item: _codes(parcels[f"declared_{item}"]) for item in (*NETWORK_ITEMS, "leveled")}
    tags = {net: None if found is None else found[1] for net, found in coverage.items()}
    tables = {net: None if found is None else found[0] for net, found in coverage.items()}
    rows = None if kept is None else _rows_changed(kept, ids, declared, config, coverage)
    same = (  # the rows not in ``rows`` come out as they were
        kept is not None
        and rows is not None
        and kept.dem_date == dem_date
        and _same_frame(kept.terrain, terrain)
        and _same_frame(kept.leveled_on, leveled_on)
    )
    result = None
    if same and kept is not None and rows is not None and len(rows) <= len(ids) * AGAIN_SHARE:
        if not len(rows):
            result = kept.result
        else:
            result = readiness_again(
                kept.result, parcels, config, tables, terrain, rows=rows, dem_date=dem_date, leveled_on=leveled_on
            )
    if result is None:
        rows = rows if same else None  # many rows changed: all worked out, the others known to come out the same
        reuse = _unchanged_items(kept, declared, tags) if kept is not None and rows is not None else None
        result = compute_readiness(
            parcels, config, tables, terrain, dem_date=dem_date, leveled_on=leveled_on, reuse=reuse
        )
    return result, KeptReadiness(config, ids, declared, terrain, dem_date, leveled_on, tags, result, rows)


def _unchanged_items(
    kept: KeptReadiness, declared: Mapping[str, np.ndarray], tags: Mapping[str, int | None]
) -> dict[str, _Item]:
    """The networks' items as the last result has them, of the networks derived whose declared values and coverage
    table (by tag) are those of ``kept`` (its parcels, configuration, terrain and dates are these)."""
    last = kept.result
    same = [
        item
        for item in NETWORK_ITEMS
        if last.used.get(item) == "derived"
        and tags.get(item) is not None
        and tags.get(item) == kept.tags.get(item)
        and np.array_equal(declared[item], kept.declared[item])
    ]
    if not same:
        return {}
    n = len(last.table)
    keys = _disagreement_keys(last)
    rank = {item: k for k, item in enumerate(last.used)}
    table, out = last.table, {}
    for item in same:
        columns = {
            column: table[column].array if column == f"{item}_reason" else table[column].to_numpy()
            for column in (item, f"{item}_distance_m", f"{item}_network_m", f"{item}_reason")
        }
        mine = np.flatnonzero(keys // (n + 1) == rank[item])  # a whole run's order: by item, then by parcel
        disagreements = last.disagreements.take(mine).reset_index(drop=True)
        out[item] = _Item(columns, "derived", table[item], disagreements, keys[mine] % (n + 1))
    return out


def _codes(values: pd.Series) -> np.ndarray:
    """A declared value as 0 (false), 1 (true) or 2 (unknown)."""
    flags = values.astype("boolean")
    codes: np.ndarray = flags.fillna(False).to_numpy(dtype=np.int8) + 2 * flags.isna().to_numpy(dtype=np.int8)
    return codes


def _same_frame(a: pd.DataFrame | pd.Series | None, b: pd.DataFrame | pd.Series | None) -> bool:
    if a is None or b is None:
        return a is b
    return a is b or (type(a) is type(b) and a.equals(b) and a.index.equals(b.index))


def _rows_changed(
    kept: KeptReadiness,
    ids: np.ndarray,
    declared: Mapping[str, np.ndarray],
    config: ParkConfig,
    coverage: Mapping[str, Tagged | None],
) -> np.ndarray | None:
    """The rows whose inputs changed since ``kept`` (positions), or None if all may have."""
    if config != kept.config or len(ids) != len(kept.ids) or not np.array_equal(ids, kept.ids):
        return None
    if set(coverage) != set(kept.tags):
        return None
    changed = np.zeros(len(ids), dtype=bool)
    for item, codes in declared.items():
        changed |= codes != kept.declared[item]
    for net, found in coverage.items():
        before = kept.tags[net]
        if found is None or before is None:
            if found is not None or before is not None:
                return None
            continue
        _table, tag, since = found
        if tag == before:
            continue
        if since is None or since[0] != before:
            return None
        changed[since[1]] = True
    return np.flatnonzero(changed)


def readiness_again(
    before: ReadinessResult,
    parcels: pd.DataFrame,
    config: ParkConfig,
    coverage: Mapping[str, pd.DataFrame | None],
    terrain: pd.DataFrame | None = None,
    *,
    rows: np.ndarray,
    dem_date: pd.Timestamp | None = None,
    leveled_on: pd.Series | None = None,
) -> ReadinessResult | None:
    """:func:`compute_readiness` of ``parcels`` worked out again for the rows (positions) ``rows`` only.

    ``before`` is the readiness of the same parcels, in the same order, under the same
    configuration; the rows not in ``rows`` must be those whose inputs did not change. The
    result is the one :func:`compute_readiness` gives for all. None where a column would
    change its dtype (then work out all).
    """
    read = ["parcel_id", *(f"declared_{item}" for item in (*NETWORK_ITEMS, "leveled"))]  # all the checklist reads
    some = pd.DataFrame({column: parcels[column].array[rows] for column in read})
    if any(table is not None and len(table) != len(parcels) for table in coverage.values()):
        return None  # not the tables of these parcels, row for row
    tables = {net: None if table is None else table.iloc[rows] for net, table in coverage.items()}
    part = compute_readiness(some, config, tables, terrain, dem_date=dem_date, leveled_on=leveled_on)
    if part.used != before.used:
        return None
    table = spliced(before.table, rows, part.table)
    if table is None:
        return None
    # the disagreements: the other rows' as they were, these rows' anew, by item then parcel as a whole run has them
    n, m = len(table), len(rows)
    key = _disagreement_keys(before)
    mine = np.zeros(n, dtype=bool)
    mine[rows] = True
    gone = mine[key % (n + 1)]
    part_key = _disagreement_keys(part)
    new_key = part_key // (m + 1) * (n + 1) + rows[part_key % (m + 1)]
    in_place = _disagreements_in_place(before.disagreements, key, gone, part.disagreements, new_key)
    if in_place is not None:
        return ReadinessResult(table, in_place, before.used, key)
    found = [part.disagreements] if len(part.disagreements) else []  # none: its empty columns' dtypes say nothing
    merged = one_chunk(pd.concat([before.disagreements[~gone], *found], ignore_index=True))
    if any(merged[c].dtype != before.disagreements[c].dtype for c in merged.columns if len(before.disagreements)):
        return None
    merged_key = np.concatenate([key[~gone], new_key])
    order = np.argsort(merged_key, kind="stable")
    return ReadinessResult(table, merged.take(order).reset_index(drop=True), before.used, merged_key[order])


def _disagreements_in_place(
    before: pd.DataFrame, key: np.ndarray, gone: np.ndarray, part: pd.DataFrame, part_key: np.ndarray
) -> pd.DataFrame | None:
    """The disagreements of the last run with those of the rows worked out again put in their places.

    Only where these rows disagree on the same items as before (most edits change no disagreement,
    or only its reason): then no row moves, and the others' are not taken again. None otherwise.
    """
    at = np.flatnonzero(gone)
    if len(at) != len(part) or not np.array_equal(key[at], part_key):
        return None
    if not len(at):
        return before
    if list(part.columns) != list(before.columns):
        return None
    # text held as Python objects before (the ids, as a whole run's concat leaves them) stays so
    objects = {c: object for c in before.columns if before[c].dtype == object and part[c].dtype != object}
    return spliced(before, at, part.astype(objects).reset_index(drop=True))


def _disagreement_keys(result: ReadinessResult) -> np.ndarray:
    """Each disagreement's place in a whole run's order: its item's rank × (parcels + 1) + its parcel's position."""
    if result.keys is not None:
        return result.keys
    rank = {item: k for k, item in enumerate(result.used)}
    items = result.disagreements["item"].map(rank).to_numpy(dtype=np.int64)
    ids = pd.Index(np.asarray(result.table.index, dtype=object))  # hashed as Python text, not Arrow's
    found = np.asarray(result.disagreements["parcel_id"], dtype=object)
    result.keys = items * (len(ids) + 1) + ids.get_indexer(found)
    return result.keys


def _missing(holds: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """The items each parcel fails, comma-separated in checklist order (None where none): one text per combination."""
    failing = np.zeros(n, dtype=np.int64)
    for k, value in enumerate(holds.values()):
        failing |= (~value).astype(np.int64) << k
    combos, inverse = np.unique(failing, return_inverse=True)
    names = list(holds)
    texts = [",".join(name for k, name in enumerate(names) if combo >> k & 1) or None for combo in combos.tolist()]
    return np.array(texts, dtype=object)[inverse.ravel()]


@dataclass
class _Item:
    """One checklist item of every parcel: its derived columns, the value readiness uses, and where they disagree."""

    columns: dict[str, Any]
    """The derived parcel columns of the item (``power``, ``power_distance_m``, ``power_network_m``, …), in order."""
    used: str
    """``derived`` or ``declared``."""
    value: pd.Series
    disagreements: pd.DataFrame | None = None
    disagree_at: np.ndarray | None = None
    """The positions of the parcels of ``disagreements``, row for row."""


def _network_item(p: pd.DataFrame, item: str, coverage: pd.DataFrame | None) -> _Item:
    """A network's item: derived from its coverage where the park has the network, declared otherwise."""
    declared = p[f"declared_{item}"].astype("boolean")
    if coverage is None:
        said = declared.map({True: "登记为已通", False: "登记为未通"}).fillna("无登记").astype(str)
        columns = {
            item: pd.array([pd.NA] * len(p), dtype="boolean"),
            f"{item}_distance_m": np.nan,
            f"{item}_network_m": np.nan,
            f"{item}_reason": ("[登记] 无" + NETWORK_LAYERS[item][0] + "，" + said).array,
        }
        return _Item(columns, "declared", p[f"declared_{item}"])
    cov = coverage if _same_ids(coverage.index, p.index) else coverage.reindex(p.index)
    derived = pd.Series(cov["connected"].array, index=p.index).astype("boolean")
    reason = ("[计算] " + cov["reason"].fillna("").astype(str)).array  # kept in its string array: no copy
    columns = {
        item: derived.to_numpy(),
        f"{item}_distance_m": cov["distance_m"].to_numpy(dtype=float),
        f"{item}_network_m": cov["network_m"].to_numpy(dtype=float),
        f"{item}_reason": reason,
    }
    return _Item(columns, "derived", derived, *_disagree(p.index, item, declared, derived, reason))


def _same_ids(a: pd.Index, b: pd.Index) -> bool:
    """Whether two indexes hold the same ids in the same order (as Python objects: cheaper than ``reindex``)."""
    return a is b or (len(a) == len(b) and np.array_equal(a.to_numpy(dtype=object), b.to_numpy(dtype=object)))


def _leveled(
    p: pd.DataFrame,
    config: ParkConfig,
    terrain: pd.DataFrame | None,
    *,
    dem_date: pd.Timestamp | None,
    leveled_on: pd.Series | None,
) -> _Item:
    """Site leveling: derived from the DEM's relief and slope where the DEM covers the parcel, declared otherwise."""
    declared = p["declared_leveled"].astype("boolean")
    if terrain is None:
        columns = {"leveled": pd.array([pd.NA] * len(p), dtype="boolean"), "relief_m": np.nan, "earthwork_m3": np.nan}
        return _Item(columns, "declared", declared)
    ids = p.index
    t = terrain.reindex(ids)
    # a slope the DEM cannot give (cells beside nodata) does not fail a flat parcel
    flat = (t["relief_m"] <= config.threshold("leveled_relief_max_m")) & (
        (t["slope_pct"] <= config.threshold("leveled_slope_max_pct")) | t["slope_pct"].isna()
    )
    # a relief from too few cells (a parcel smaller than the DEM can show) is no judgement: the record decides
    reliable = t["relief_reliable"].fillna(False).astype(bool) if "relief_reliable" in t else t["relief_m"].notna()
    derived = pd.Series(flat.to_numpy(), index=ids, dtype="boolean").where(t["relief_m"].notna() & reliable)
    if dem_date is not None and leveled_on is not None:
        since = pd.to_datetime(leveled_on.reindex(ids), utc=True).dt.tz_localize(None)
        taken = pd.Timestamp(dem_date)
        taken = taken.tz_convert(None) if taken.tzinfo else taken
        after = (since > taken).fillna(False).to_numpy(dtype=bool)
        derived = derived.where(~(declared.fillna(False).to_numpy(dtype=bool) & after), True)
    columns = {
        "leveled": derived.to_numpy(),
        "relief_m": t["relief_m"].to_numpy(dtype=float),
        "earthwork_m3": t["earthwork_m3"].to_numpy(dtype=float),
    }
    disagreements, at = _disagree(ids, "leveled", declared, derived, pd.Series("", index=ids))
    # parcels the DEM does not cover (off it, or smaller than a cell): their records decide
    return _Item(columns, "derived", derived.fillna(declared), disagreements, at)


def _disagree(
    ids: pd.Index, item: str, declared: pd.Series, derived: pd.Series, reason: pd.Series | ExtensionArray
) -> tuple[pd.DataFrame, np.ndarray]:
    """The parcels whose declared and derived values of ``item`` are both known and differ, and their positions."""
    both = declared.notna().to_numpy() & derived.notna().to_numpy()
    differ = both & (declared.fillna(False).to_numpy(dtype=bool) != derived.fillna(False).to_numpy(dtype=bool))
    frame = pd.DataFrame(
        {
            "parcel_id": ids[differ],
            "item": item,
            # both known where they differ: plain booleans, whatever else the column holds
            "declared": declared.to_numpy(dtype=bool, na_value=False)[differ],
            "derived": derived.to_numpy(dtype=bool, na_value=False)[differ],
            "reason": reason[differ] if isinstance(reason, ExtensionArray) else np.asarray(reason)[differ],
        }
    )
    return frame, np.flatnonzero(differ)
