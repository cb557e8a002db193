"""Writing rows into a transaction: what is inserted, updated, unchanged or deleted, with versions and history.

:func:`apply_rows` compares new rows with the stored ones, refuses an edit based on a
version that has moved on (no lost updates), writes what changed and keeps every change in
the history (who, when, the old and new values as JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import Problem, ValidationError, VersionConflictError
from planner.fields import coerce_types
from planner.parcels.validation import overlaps
from planner.store.layers import LAYERS, LayerSpec

if TYPE_CHECKING:
    from planner.store.session import Session

__all__ = [
    "SAME_SHAPE_TOLERANCE_M",
    "ColumnEdit",
    "Edit",
    "HistoryRecord",
    "WriteReport",
    "apply_columns",
    "apply_edit",
    "apply_rows",
    "check_versions",
    "history_frame",
    "prepare_columns",
    "prepare_edit",
    "record_metadata",
]

HistoryRecord = tuple[str, str | None, str, int | None, dict[str, Any] | str]
"""A change for the history: layer, feature id, action, version, changes (a dict, or its JSON text)."""

SAME_SHAPE_TOLERANCE_M = 1e-4
"""Vertices that moved less than 0.1 mm (a reprojection round trip) leave a shape unchanged."""

_BOOKKEEPING = ["version", "updated_at", "updated_by"]


@dataclass
class WriteReport:
    """What a write did: counts per action, and the warnings and repairs reported."""

    layer: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    problems: list[Problem] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)
    """For each updated feature (by id), the columns that changed (``geometry`` for its shape)."""
    written: gpd.GeoDataFrame | None = None
    """The updated rows as stored (by :meth:`~planner.store.base.ParkStore.write_columns`), for whoever keeps them."""
    stamps: tuple[int, int] | None = None
    """The change stamps just before and just after the write, in its transaction (its history rows between)."""

    @property
    def warnings(self) -> list[Problem]:
        """The warnings among the problems."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def repairs(self) -> list[Problem]:
        """The repairs among the problems."""
        return [p for p in self.problems if p.severity == "repair"]

    def summary(self) -> str:
        """One line: the counts of each action, warnings and repairs."""
        return (
            f"{self.layer}: {self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted; {len(self.warnings)} warning(s), {len(self.repairs)} repair(s)"
        )


@dataclass(frozen=True)
class _Stamp:
    """Who writes, and when (the same for every row and history record of one write)."""

    by: str
    at: pd.Timestamp


def apply_rows(s: Session, name: str, rows: gpd.GeoDataFrame, *, by: str, mode: str) -> WriteReport:
    """Insert, update and delete inside ``s``, with versions and history.

    Rows that carry a ``version`` are edits based on that version: if the stored
    row has moved on, the whole write is refused (no lost updates). Rows without
    one overwrite what is stored. ``mode`` ``replace`` also deletes the stored rows
    absent from ``rows``.
    """
    spec = LAYERS[name]
    key = spec.id_column
    ids = rows[key].astype(str).tolist()
    stored = s.select(name) if mode == "replace" else s.select(name, ids=ids)
    stored = stored.set_index(key, drop=False)
    if name == "parcels" and mode == "upsert":
        found = _overlaps_with_stored(s, rows)
        if any(p.severity == "error" for p in found):
            raise ValidationError(found)
    stamp = _Stamp(by, pd.Timestamp(datetime.now(UTC)).floor("ms"))
    report = WriteReport(name)

    is_new = ~rows[key].isin(stored.index).to_numpy()
    old_rows = rows[~is_new].reset_index(drop=True)
    before = stored.loc[old_rows[key].to_numpy()].reset_index(drop=True)
    check_versions(old_rows, before, key)

    history = _insert_new(s, spec, rows[is_new].copy(), report, stamp)
    if len(old_rows):
        history += _update_changed(s, spec, before, old_rows, report, stamp)
    if mode == "replace":
        history += _delete_gone(s, spec, stored[~stored[key].isin(rows[key])].reset_index(drop=True), report)
    if history:
        s.add_history(history_frame(history, by, stamp.at))
    return report


@dataclass
class Edit:
    """An edit of one feature made ready before its transaction: what to write and its history row."""

    layer: str
    feature_id: str
    version: int | None
    """The version it is based on: the write applies only if the feature is still at it."""
    after: gpd.GeoDataFrame
    """The feature's row as it will be stored (one row)."""
    changed: list[str]
    history: pd.DataFrame

    def values(self) -> pd.DataFrame:
        """The columns to write: the changed ones and the bookkeeping."""
        return self.after[[*self.changed, *_BOOKKEEPING]]


def prepare_edit(name: str, before: gpd.GeoDataFrame, values: pd.DataFrame, *, by: str) -> Edit | None:
    """The edit of ``values`` (columns of one feature, one row in canonical dtypes) over ``before``, its row.

    Only the columns whose value differs are written, with the next version, the time and
    ``by``, and one history row (their old and new values), as :func:`apply_rows` would for the
    whole row; None when no value differs. It is all made outside the write transaction:
    :func:`apply_edit` then writes it if the feature is still at ``before``'s version (its row
    then is ``before``, since every change bumps the version).
    """
    spec = LAYERS[name]
    values = values.set_axis(before.index)
    changed = [c for c in values.columns if _differs(before[c], values[c])[0]]
    if not changed:
        return None
    stamp = _Stamp(by, pd.Timestamp(datetime.now(UTC)).floor("ms"))
    old_version = before["version"].iloc[0]
    version = None if pd.isna(old_version) else int(old_version)
    after = before.copy()
    for c in changed:
        after[c] = values[c]
    after["version"] = pd.array([(version or 0) + 1], dtype="Int64")
    after["updated_at"] = pd.Series([stamp.at], index=after.index, dtype="datetime64[ns, UTC]")
    after["updated_by"] = pd.Series([by], index=after.index, dtype=object)
    masks = {c: np.ones(1, dtype=bool) for c in changed}
    records = _update_history(spec, before, after, masks, masks[changed[0]], after["version"])
    fid = str(before[spec.id_column].iloc[0])
    return Edit(name, fid, version, after, changed, history_frame(records, by, stamp.at))


def apply_edit(s: Session, edit: Edit) -> bool:
    """Write a prepared edit inside ``s``: its columns and its history row, if the feature is still at its version.

    Whether it was (False: nothing was written; the feature moved on, or is gone).
    """
    if not s.set_values(edit.layer, edit.feature_id, edit.values(), version=edit.version):
        return False
    s.add_history(edit.history)
    return True


@dataclass
class ColumnEdit:
    """Computed columns of many features made ready before their transaction (a result written back)."""

    layer: str
    before: gpd.GeoDataFrame
    """The changed rows as they were read (their ``version`` the one each update is based on)."""
    after: gpd.GeoDataFrame
    """The changed rows as they will be stored."""
    columns: list[str]
    """The columns that changed in any row (written for every changed row)."""
    history: pd.DataFrame


def prepare_columns(name: str, before: gpd.GeoDataFrame, values: pd.DataFrame, *, by: str) -> ColumnEdit | None:
    """New values of some columns (``values``, aligned with ``before``) for many stored rows; None if none differs.

    Like :func:`prepare_edit` for many rows: only the rows where a value differs are written, each
    with its next version, the time and ``by``, and a history row of the columns that changed in it,
    as :func:`apply_rows` would write them; nothing else of a row is looked at (no shape, no check:
    these are columns the planner computes).
    """
    spec = LAYERS[name]
    values = coerce_types(values, spec.by_name).set_axis(before.index)
    masks = {c: _differs(before[c], values[c]) for c in values.columns}
    changed = np.logical_or.reduce(list(masks.values())) if masks else np.zeros(len(before), dtype=bool)
    if not changed.any():
        return None
    masks = {c: m[changed] for c, m in masks.items() if m[changed].any()}
    old = before[changed]
    after = old.copy()
    for c in masks:
        after[c] = values[c][changed].astype(before[c].dtype)
    stamp = _Stamp(by, pd.Timestamp(datetime.now(UTC)).floor("ms"))
    after["version"] = old["version"].astype("Int64").fillna(0) + 1
    after["updated_at"] = pd.Series(stamp.at, index=after.index, dtype="datetime64[ns, UTC]")
    after["updated_by"] = pd.Series(by, index=after.index, dtype=old["updated_by"].dtype)
    records = _update_history(spec, old, after, masks, np.ones(len(old), dtype=bool), after["version"])
    return ColumnEdit(name, old, after, list(masks), history_frame(records, by, stamp.at))


def apply_columns(s: Session, edit: ColumnEdit) -> bool:
    """Write a prepared :class:`ColumnEdit` inside ``s``, if every row is still at the version it was read at.

    Whether all were (False: some row moved on or is gone; the caller rolls the transaction back).
    """
    key = LAYERS[edit.layer].id_column
    rows = edit.after[[key, *edit.columns, *_BOOKKEEPING]]
    matched = s.set_rows(edit.layer, rows, versions=edit.before["version"])
    if matched != len(rows):
        return False
    s.add_history(edit.history)
    return True


def _insert_new(
    s: Session, spec: LayerSpec, new_rows: gpd.GeoDataFrame, report: WriteReport, stamp: _Stamp
) -> list[HistoryRecord]:
    """Insert rows not stored yet, at version 1."""
    report.inserted = len(new_rows)
    if not len(new_rows):
        return []
    new_rows["version"] = pd.array([1] * len(new_rows), dtype="Int64")
    new_rows["updated_at"] = stamp.at
    new_rows["updated_by"] = stamp.by
    s.insert(spec.name, new_rows)
    values = _jsonable(new_rows.drop(columns=_BOOKKEEPING))
    return [(spec.name, fid, "insert", 1, vals) for fid, vals in zip(new_rows[spec.id_column], values, strict=True)]


def _update_changed(
    s: Session,
    spec: LayerSpec,
    before: pd.DataFrame,
    old_rows: gpd.GeoDataFrame,
    report: WriteReport,
    stamp: _Stamp,
) -> list[HistoryRecord]:
    """Update the stored rows whose values or shape changed, each to its next version."""
    key = spec.id_column
    after = old_rows.copy()
    same_shape = ~_geometry_differs(before.geometry.to_numpy(), after.geometry.to_numpy())
    if same_shape.any():  # keep the stored shape and its areas: a round trip is not an edit
        after.loc[same_shape, "geometry"] = before.geometry[same_shape].to_numpy()
        for c in spec.columns:
            if spec.by_name[c].origin == "computed":
                after.loc[same_shape, c] = before.loc[same_shape, c].to_numpy()
    compare = [c for c in spec.columns if c not in _BOOKKEEPING]
    changed_cols = {c: _differs(before[c], after[c]) for c in compare}
    changed_cols["geometry"] = ~same_shape
    changed = np.logical_or.reduce(list(changed_cols.values()))
    report.updated = int(changed.sum())
    report.unchanged = int((~changed).sum())
    if not changed.any():
        return []
    upd = after[changed].copy()
    upd["version"] = (before.loc[changed, "version"].astype("Int64") + 1).to_numpy()
    upd["updated_at"] = stamp.at
    upd["updated_by"] = stamp.by
    s.update(spec.name, gpd.GeoDataFrame(upd, geometry="geometry", crs=old_rows.crs))
    report.changes = {
        str(after[key].iloc[pos]): [c for c, mask in changed_cols.items() if mask[pos]]
        for pos in np.flatnonzero(changed)
    }
    return _update_history(spec, before, after, changed_cols, changed, upd["version"])


def _delete_gone(s: Session, spec: LayerSpec, gone: gpd.GeoDataFrame, report: WriteReport) -> list[HistoryRecord]:
    """Delete the stored rows a ``replace`` leaves out, keeping their last values in the history."""
    report.deleted = len(gone)
    if not len(gone):
        return []
    key = spec.id_column
    s.delete(spec.name, gone[key].tolist())
    values = _jsonable(gone.drop(columns=_BOOKKEEPING[1:]))
    return [
        (spec.name, fid, "delete", int(v) if pd.notna(v) else None, vals)
        for fid, v, vals in zip(gone[key], gone["version"], values, strict=True)
    ]


def check_versions(rows: pd.DataFrame, stored: pd.DataFrame, key: str) -> None:
    """Refuse rows whose given ``version`` is not the stored one."""
    if "version" not in rows or rows.empty:
        return
    given = pd.to_numeric(rows["version"], errors="coerce")
    current = stored["version"].astype("Int64")
    stale = (given.notna() & (given.to_numpy() != current.to_numpy())).to_numpy(dtype=bool)
    if stale.any():
        conflicts = [(str(rows[key].iloc[p]), int(given.iloc[p]), int(current.iloc[p])) for p in np.flatnonzero(stale)]
        first, *more = conflicts
        raise VersionConflictError(*first, more=more)


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise "not equal", where two missing values are equal."""
    a_na, b_na = a.isna().to_numpy(dtype=bool), b.isna().to_numpy(dtype=bool)
    both = ~a_na & ~b_na
    out = a_na != b_na
    if both.any():
        av, bv = a.to_numpy(dtype=object)[both], b.to_numpy(dtype=object)[both]
        out[both] = av != bv
    return out


def _geometry_differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise "not the same shape": vertices within 0.1 mm, or else topologically equal."""
    missing_a, missing_b = shapely.is_missing(a), shapely.is_missing(b)
    out = missing_a != missing_b
    both = ~missing_a & ~missing_b
    same = np.zeros(len(a), dtype=bool)
    same[both] = shapely.equals_exact(a[both], b[both], tolerance=SAME_SHAPE_TOLERANCE_M)
    check = both & ~same
    if check.any():
        same[check] = shapely.equals(a[check], b[check])
    return out | (both & ~same)


def _plain_column(values: pd.Series) -> np.ndarray:
    """A column as JSON-ready Python values: ISO text for dates, WKT for geometry, None for missing."""
    if isinstance(values.dtype, gpd.array.GeometryDtype):
        geoms = values.to_numpy()
        text = np.full(len(geoms), None, dtype=object)
        present = ~shapely.is_missing(geoms)
        text[present] = shapely.to_wkt(geoms[present], rounding_precision=3)
        return text
    if pd.api.types.is_datetime64_any_dtype(values):
        fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if getattr(values.dt, "tz", None) is not None else "%Y-%m-%d"
        dates = values.dt.strftime(fmt)
        return dates.astype(object).where(dates.notna(), None).to_numpy()
    obj = values.astype(object)
    return obj.where(values.notna(), None).to_numpy()


def _jsonable(frame: pd.DataFrame) -> list[str]:
    """Rows as JSON objects, missing values left out; geometry as WKT (mm)."""
    if frame.empty:
        return []
    columns = {c: _plain_column(frame[c]) for c in frame.columns if frame[c].notna().any()}
    names, arrays = list(columns), list(columns.values())
    if not names:
        return ["{}"] * len(frame)
    return [
        json.dumps({k: v for k, v in zip(names, values, strict=True) if v is not None}, ensure_ascii=False, default=str)
        for values in zip(*arrays, strict=True)
    ]


def _update_history(
    spec: LayerSpec,
    before: pd.DataFrame,
    after: pd.DataFrame,
    changed_cols: Mapping[str, np.ndarray],
    changed: np.ndarray,
    versions: pd.Series,
) -> list[HistoryRecord]:
    """A history record per updated row: each changed column's old and new value."""
    cols = [c for c, mask in changed_cols.items() if mask.any()]
    old = {c: _plain_column(before[c]) for c in cols}
    new = {c: _plain_column(after[c]) for c in cols}
    masks = {c: changed_cols[c].tolist() for c in cols}
    ids = after[spec.id_column].astype(str).tolist()
    numbers = [int(v) for v in versions.tolist()]
    records: list[HistoryRecord] = []
    for k, pos in enumerate(np.flatnonzero(changed).tolist()):
        diff = {c: [old[c][pos], new[c][pos]] for c in cols if masks[c][pos]}
        records.append((spec.name, ids[pos], "update", numbers[k], diff))
    return records


def history_frame(records: Sequence[HistoryRecord], by: str, at: pd.Timestamp | None = None) -> pd.DataFrame:
    """History rows for :meth:`~planner.store.session.Session.add_history` (changes as JSON text)."""
    at = at if at is not None else pd.Timestamp(datetime.now(UTC)).floor("ms")
    return pd.DataFrame(
        {
            "changed_at": [at] * len(records),
            "changed_by": [by] * len(records),
            "layer": [r[0] for r in records],
            "feature_id": [r[1] for r in records],
            "action": [r[2] for r in records],
            "version": pd.array([r[3] for r in records], dtype="Int64"),
            "changes": [
                r[4] if isinstance(r[4], str) else json.dumps(r[4], ensure_ascii=False, default=str) for r in records
            ],
        }
    )


def _overlaps_with_stored(s: Session, rows: gpd.GeoDataFrame) -> list[Problem]:
    """Overlaps of incoming parcels with stored parcels they do not replace (found with the spatial index)."""
    geoms = rows.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return []
    near = s.select("parcels", bbox=tuple(shapely.total_bounds(geoms[present])))
    near = near[~near["parcel_id"].isin(rows["parcel_id"])]
    return overlaps(
        geoms,
        rows["parcel_id"].to_numpy(dtype=object),
        near.geometry.to_numpy(),
        near["parcel_id"].to_numpy(dtype=object),
    )


def record_metadata(s: Session, values: Mapping[str, Any], by: str) -> None:
    """Set metadata keys inside ``s`` and keep what changed in the history."""
    old = s.read_metadata()
    changes = {k: [old.get(k), v] for k, v in values.items() if old.get(k) != v}
    s.write_metadata(values)
    if changes:
        s.add_history(history_frame([("park_metadata", None, "update", None, changes)], by))
