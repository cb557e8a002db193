"""The park store interface: one park's layers, configuration and edit history.

:class:`ParkStore` holds the logic every backend shares: validation before
any write, the comparison of new rows with stored ones (what is inserted,
updated, unchanged, deleted), row versions for edits (no lost updates), and
the history of every change (:mod:`planner.store.changes`). A backend (GeoPackage,
PostGIS) supplies a :class:`~planner.store.session.Session`: the rows of one
transaction, read and written in canonical dtypes. Callers use only
:class:`ParkStore`; a new backend does not change them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner.config import ParkConfig
from planner.crs import CGCS2000, check_in_china, transformer
from planner.errors import ParcelNotFoundError, Problem, StoreError, ValidationError, VersionConflictError, feature_zh
from planner.fields import active_geometry, check_columns, dtype_of, flag
from planner.infra.layers import check_lines, check_sources
from planner.inputs import not_finite
from planner.parcels.boundary import check_boundary
from planner.parcels.factories import check_factories
from planner.parcels.validation import WHOLE_PARCEL_COLUMNS, check_row_rules, validate_parcels
from planner.store.changes import (
    ColumnEdit,
    WriteReport,
    apply_columns,
    apply_edit,
    apply_rows,
    check_versions,
    history_frame,
    prepare_columns,
    prepare_edit,
    record_metadata,
)
from planner.store.layers import LAYERS, layer_spec
from planner.store.plain import plain_values
from planner.store.session import Session

__all__ = ["Derived", "ParkStore"]


@dataclass
class Derived:
    """Derived parcel columns an analysis worked out for an edit, to be written in the edit's own transaction.

    ``columns``: the rows to write (:func:`~planner.store.changes.prepare_columns` over the parcels as the edit
    leaves them: the edited one at its next version); ``metadata``: keys to set with them, and ``stamp_keys`` those
    set to the change stamp of the edit. They are written only if the store is still at change stamp ``at``
    (what they were worked out from); ``written`` says whether they were, ``stamps`` the change stamps around.
    """

    at: int
    columns: ColumnEdit | None
    metadata: dict[str, Any] = field(default_factory=dict)
    stamp_keys: tuple[str, ...] = ()
    written: bool = False
    stamps: tuple[int, int] | None = None


class ParkStore(ABC):
    """One park: parcels, infrastructure layers, configuration and history.

    Every write is one transaction: it is validated first, and if anything
    fails (bad input, a lock, a full disk) the store is left exactly as it was.
    """

    uri: str

    # -- backend ---------------------------------------------------------------
    @abstractmethod
    def _transaction(self, *, write: bool) -> AbstractContextManager[Session]:
        """A session inside one transaction; committed on success, rolled back on any error."""

    def close(self) -> None:  # noqa: B027 - backends without resources need not override
        """Release resources (connections); the store can be opened again."""

    def __enter__(self) -> ParkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def folder(self) -> Path | None:
        """Folder of a file-based store (where the DEM lies), or ``None``."""
        return None

    # -- configuration ---------------------------------------------------------
    def config(self) -> ParkConfig:
        """The park's configuration."""
        with self._transaction(write=False) as s:
            return s.read_config()

    def set_config(self, config: ParkConfig, *, by: str) -> None:
        """Replace the configuration (park id and CRS cannot change); the change is kept in the history."""
        with self._transaction(write=True) as s:
            old = s.read_config()
            if (config.park_id, config.crs_epsg) != (old.park_id, old.crs_epsg):
                msg = (
                    f"a store keeps its park_id and CRS ({old.park_id!r}, EPSG:{old.crs_epsg}); "
                    f"got ({config.park_id!r}, EPSG:{config.crs_epsg}); create a new park instead"
                )
                raise StoreError(msg)
            before, after = old.to_dict(), config.to_dict()
            changes = {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}
            if not changes:
                return
            s.write_config(config)
            s.add_history(history_frame([("park_config", config.park_id, "update", None, changes)], by))

    @property
    def crs(self) -> pyproj.CRS:
        """The park's storage CRS (its Gauss–Krüger zone)."""
        return pyproj.CRS.from_epsg(self.config().crs_epsg)

    def metadata(self) -> dict[str, Any]:
        """The park's metadata: what analyses recorded, e.g. ``idle_as_of`` (the date idle land was classified)."""
        with self._transaction(write=False) as s:
            return s.read_metadata()

    def set_metadata(self, values: Mapping[str, Any], *, by: str) -> None:
        """Set metadata keys (JSON values) in one transaction; the change is kept in the history."""
        with self._transaction(write=True) as s:
            record_metadata(s, values, by)

    # -- reading ---------------------------------------------------------------
    def read_parcels(
        self,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        parcel_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Parcels in the park CRS, every schema column in canonical dtype.

        ``bbox`` is ``(minx, miny, maxx, maxy)`` in the park CRS and uses the spatial index.
        """
        return self.read_layer("parcels", bbox=bbox, ids=parcel_ids)

    def read_layer(
        self,
        name: str,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """A layer's features (``parcels``, ``road_lines`` … ``heat_lines``, ``sources``)."""
        layer_spec(name)
        with self._transaction(write=False) as s:
            return s.select(name, ids=ids, bbox=bbox)

    def get_parcel(self, parcel_id: str) -> pd.Series:
        """One parcel as a row (with ``geometry``); :class:`ParcelNotFoundError` if there is none."""
        rows = self.read_parcels(parcel_ids=[parcel_id])
        if rows.empty:
            msg = f"no parcel has parcel_id {parcel_id!r}"
            raise ParcelNotFoundError(msg)
        return rows.iloc[0]

    def change_stamp(self) -> int:
        """A number that moves whenever anything in the park changes (the newest history row's id).

        Cheap to read (one index lookup): a server checks it to know whether what it cached is stale.
        """
        with self._transaction(write=False) as s:
            return s.last_change()

    def changes_since(self, history_id: int, *, with_changes: bool = False) -> pd.DataFrame:
        """Which features changed after history row ``history_id``: ``layer``, ``feature_id``, ``action``, ``changes``.

        ``with_changes`` adds ``changes``, the history's JSON text (the old and new value of each changed column).
        """
        with self._transaction(write=False) as s:
            return s.changes_since(int(history_id), with_changes=with_changes)

    def counts(self) -> dict[str, int]:
        """Number of features in each layer."""
        with self._transaction(write=False) as s:
            return {name: s.count(name) for name in LAYERS}

    def history(self, *, layer: str | None = None, feature_id: str | None = None, since: int = 0) -> pd.DataFrame:
        """The history of changes after history row ``since``, oldest first, optionally of one layer or feature."""
        with self._transaction(write=False) as s:
            return s.history(layer=layer, feature_id=feature_id, since=since)

    # -- writing ---------------------------------------------------------------
    def write_parcels(
        self,
        parcels: gpd.GeoDataFrame,
        *,
        by: str,
        mode: str = "upsert",
        metadata: Mapping[str, Any] | None = None,
    ) -> WriteReport:
        """Validate and write parcels in one transaction.

        Parameters
        ----------
        parcels
            Parcel input with a CRS; areas are computed, never taken from it.
        by
            Who writes (kept in ``updated_by`` and the history).
        mode
            ``upsert`` inserts new parcels and updates changed ones; ``replace``
            also deletes stored parcels absent from ``parcels``.
        metadata
            Metadata keys to set in the same transaction (e.g. the date derived
            columns hold for).

        Raises
        ------
        ValidationError
            If any record is refused; nothing is written.
        """
        config = self.config()
        check = validate_parcels(parcels, crs_epsg=config.crs_epsg, park_id=config.park_id)
        check.raise_for_errors()
        return self._write("parcels", check.parcels, check.problems, by=by, mode=mode, metadata=metadata)

    def write_layer(self, name: str, features: gpd.GeoDataFrame, *, by: str, mode: str | None = None) -> WriteReport:
        """Validate and write a layer in one transaction.

        For an infrastructure layer (lines of a network, ``sources``, ``factories``, ``boundary``) the default
        ``mode`` is ``replace``: the layer becomes ``features``. For ``parcels`` this
        is :meth:`write_parcels`, whose default is ``upsert``.
        """
        layer_spec(name)
        if name == "parcels":
            return self.write_parcels(features, by=by, mode=mode or "upsert")
        checked, problems = self.check_layer(name, features)
        if any(p.severity == "error" for p in problems):
            raise ValidationError(problems, what=f"{name} layer")
        return self._write(name, checked, problems, by=by, mode=mode or "replace")

    def check_layer(self, name: str, features: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Problem]]:
        """Validate features for layer ``name`` without writing: the rows as they would be stored, and the problems.

        Parcels go through :func:`~planner.parcels.validation.validate_parcels`; lines and
        sources through the checks of :mod:`planner.infra.layers`. Nothing raises for bad
        records: errors are among the problems.
        """
        spec = layer_spec(name)
        config = self.config()
        if name == "parcels":
            check = validate_parcels(features, crs_epsg=config.crs_epsg, park_id=config.park_id)
            return check.parcels, check.problems
        what = {"sources": "source", "factories": "standard factory", "boundary": "park boundary"}.get(
            name, f"{name.removesuffix('_lines')} line"
        )
        features = active_geometry(features, what=what)
        if features.crs is None:
            problem = Problem(
                "error", None, "geometry", f"the {name} layer has no CRS; set it with `set_crs()`", feature=what,
                zh=f"`{name}` 图层没有坐标系：请用 `set_crs()` 设定",
            )  # fmt: skip
            return features, [problem]
        outside = _outside_china(features, spec.id_column, what)
        features = features.to_crs(config.crs_epsg)
        if name == "sources":
            checked, problems = check_sources(features)
        elif name == "factories":
            checked, problems = check_factories(features)
        elif name == "boundary":
            checked, problems = check_boundary(features)
        else:
            checked, problems = check_lines(features, name.removesuffix("_lines"))
        for f in spec.fields:
            if f.name not in checked.columns:
                checked[f.name] = pd.Series([None] * len(checked), index=checked.index, dtype=dtype_of(f.kind))
        if "in_service" in checked:
            checked["in_service"] = checked["in_service"].fillna(True)
        checked = gpd.GeoDataFrame(checked[[*spec.columns, "geometry"]], geometry="geometry", crs=config.crs_epsg)
        return checked, outside + problems

    def write_layers(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        *,
        by: str,
        mode: str = "upsert",
        metadata: Mapping[str, Any] | None = None,
        dry_run: bool = False,
    ) -> dict[str, WriteReport]:
        """Validate several layers, then write them all in one transaction (an import).

        Every layer is checked before anything is written; if any record of any layer
        is refused, :class:`ValidationError` lists every problem and nothing is written.
        ``mode`` applies to each layer (``upsert`` or ``replace``). ``dry_run`` goes through
        the whole write, with every check the real one makes (versions, overlaps with stored
        parcels), and then rolls the transaction back: the reports say what the write would do.
        """
        checked: dict[str, tuple[gpd.GeoDataFrame, list[Problem]]] = {}
        problems: list[Problem] = []
        for name, features in layers.items():
            rows, found = self.check_layer(name, features)
            checked[name] = (rows, found)
            problems += found
        if any(p.severity == "error" for p in problems):
            raise ValidationError(problems, what=" and ".join(f"{name} layer" for name in layers))
        if mode not in ("upsert", "replace"):
            msg = f"`mode` was {mode!r} but is expected to be 'upsert' or 'replace'"
            raise ValueError(msg)
        reports: dict[str, WriteReport] = {}
        try:
            with self._transaction(write=True) as s:
                for name, (rows, found) in checked.items():
                    report = apply_rows(s, name, rows, by=by, mode=mode)
                    report.problems = [p for p in found if p.severity != "error"]
                    reports[name] = report
                if metadata:
                    record_metadata(s, metadata, by)
                if dry_run:
                    raise _RollBack
        except _RollBack:
            pass
        return reports

    def write_columns(
        self, before: gpd.GeoDataFrame, values: pd.DataFrame, *, by: str, metadata: Mapping[str, Any] | None = None
    ) -> WriteReport:
        """Write derived parcel columns back (a result): ``values`` for the parcels of ``before``, row by row.

        ``before`` holds the parcels as read (with their ``version``), ``values`` the new values of
        derived columns (:data:`~planner.store.layers.LAYERS` origin ``derived``), aligned with it.
        Only the rows where a value differs are written, in one transaction with ``metadata``: those
        columns, the next version, and a history row each, as :meth:`write_parcels` would; nothing
        else of them is checked again (no shape, no overlap: an analysis writes what it computed).
        The report's ``written`` holds the rows as stored, ``stamps`` the change stamps around it.

        Raises
        ------
        VersionConflictError
            If a parcel changed since it was read; nothing is written.
        """
        spec = LAYERS["parcels"]
        inputs = [c for c in values.columns if spec.by_name[c].origin != "derived"] if len(values.columns) else []
        if inputs:
            msg = f"write_columns writes derived columns only; {inputs} are not derived parcel columns"
            raise ValueError(msg)
        edit = prepare_columns("parcels", before, values, by=by)
        report = WriteReport("parcels")
        with self._transaction(write=True) as s:
            first = s.last_change()
            if edit is not None and not apply_columns(s, edit):
                stored = s.select("parcels", ids=edit.before["parcel_id"].tolist()).set_index("parcel_id")
                check_versions(edit.before, stored.reindex(edit.before["parcel_id"]), "parcel_id")
                raise VersionConflictError(str(edit.before["parcel_id"].iloc[0]), 0, 0)  # a row gone (a race)
            if metadata:
                record_metadata(s, metadata, by)
            report.stamps = (first, s.last_change())
        if edit is not None:
            report.updated, report.written = len(edit.after), edit.after
            report.changes = dict.fromkeys(edit.after["parcel_id"].astype(str), edit.columns)
        report.unchanged = len(before) - report.updated
        return report

    def update_parcel(
        self,
        parcel_id: str,
        changes: Mapping[str, Any],
        *,
        version: int,
        by: str,
        derive: Callable[[gpd.GeoDataFrame], Derived | None] | None = None,
    ) -> pd.Series:
        """Edit one parcel, based on the ``version`` the editor saw.

        ``derive``, given, is called with the parcel as the edit leaves it (before the write) and may
        return the derived columns to write in the same transaction (:class:`Derived`; an edit of the
        shape, codes or area calls it not); ``attrs["derived"]`` holds what it returned.

        Returns the stored row; its ``attrs["problems"]`` holds the warnings and
        repairs the edit produced, ``attrs["crs"]`` the CRS of its geometry.

        An edit of columns other than the shape, codes and declared area is checked column by
        column and then by the rules between the parcel's columns
        (:func:`~planner.parcels.validation.check_row_rules`), and only the edited columns are
        written: milliseconds. An edit of those goes through the whole parcel's validation,
        overlaps with its neighbours found through the spatial index.

        Raises
        ------
        VersionConflictError
            If the parcel changed since ``version``; nothing is written.
        ParcelNotFoundError
            If there is no such parcel.
        ValidationError
            If the edited parcel breaks a rule (named by field).
        """
        _check_edit(parcel_id, changes)
        if changes.keys() & WHOLE_PARCEL_COLUMNS:
            return self._update_whole_parcel(parcel_id, changes, version=version, by=by)
        # everything but the write is done outside the write transaction, on the row at ``version``
        # (its content is fixed by its version: any change bumps it), so writers hold the lock for
        # one UPDATE and one history row
        with self._transaction(write=False) as s:
            current = _stored_at(s, parcel_id, version)
        values, problems = _checked_values(parcel_id, changes)
        edited = current.copy()
        for name in values.columns:
            edited[name] = values[name].set_axis(edited.index)
        problems += check_row_rules(pd.DataFrame(edited))  # its columns: no geometry is read
        problems.sort(key=lambda p: {"error": 0, "warning": 1, "repair": 2}[p.severity])
        if any(p.severity == "error" for p in problems):
            raise ValidationError(problems)
        edit = prepare_edit("parcels", current, values, by=by)
        derived = None if edit is None or derive is None else derive(edit.after)
        if edit is not None:
            with self._transaction(write=True) as s:
                first = s.last_change()
                if not apply_edit(s, edit):
                    _stored_at(s, parcel_id, version)  # says what happened: gone, or moved on
                    raise VersionConflictError(parcel_id, int(version), int(version) + 1)
                if derived is not None and derived.at == first:  # nobody wrote since they were worked out
                    _write_derived(s, derived, by)
        after = current if edit is None else edit.after
        row = after.iloc[0]
        row.attrs["derived"] = derived
        row.attrs["problems"] = problems  # warnings and repairs, for the caller to show
        row.attrs["crs"] = after.crs
        return row

    def _update_whole_parcel(self, parcel_id: str, changes: Mapping[str, Any], *, version: int, by: str) -> pd.Series:
        """An edit of the parcel's shape, codes or declared area: the whole parcel validated again, overlaps too."""
        config = self.config()
        with self._transaction(write=True) as s:
            current = _stored_at(s, parcel_id, version)
            edited = current.copy()
            for key, value in changes.items():
                if key == "geometry":
                    edited = edited.set_geometry(gpd.GeoSeries([value], index=edited.index, crs=edited.crs))
                else:
                    edited[key] = pd.Series([value], index=edited.index, dtype=object)
            check = validate_parcels(edited, crs_epsg=config.crs_epsg, park_id=config.park_id)
            check.raise_for_errors()
            apply_rows(s, "parcels", check.parcels, by=by, mode="upsert")
            stored = s.select("parcels", ids=[parcel_id])
        row = stored.iloc[0]
        row.attrs["problems"] = check.problems  # warnings and repairs, for the caller to show
        row.attrs["crs"] = stored.crs
        return row

    def _write(
        self,
        name: str,
        rows: gpd.GeoDataFrame,
        problems: list[Problem],
        *,
        by: str,
        mode: str,
        metadata: Mapping[str, Any] | None = None,
    ) -> WriteReport:
        if mode not in ("upsert", "replace"):
            msg = f"`mode` was {mode!r} but is expected to be 'upsert' or 'replace'"
            raise ValueError(msg)
        with self._transaction(write=True) as s:
            report = apply_rows(s, name, rows, by=by, mode=mode)
            if metadata:
                record_metadata(s, metadata, by)
        report.problems = [p for p in problems if p.severity != "error"]
        return report


def _check_edit(parcel_id: str, changes: Mapping[str, Any]) -> None:
    """Refuse, by name, columns that are no parcel column, are kept by the planner, or values that are no number."""
    spec = LAYERS["parcels"]
    not_editable = [
        k
        for k in changes
        if k in ("parcel_id", "park_id", "version", "updated_at", "updated_by")
        or (k in spec.by_name and spec.by_name[k].origin == "computed")
    ]
    unknown = [k for k in changes if k not in spec.by_name]
    not_finite_values = [k for k, v in changes.items() if not_finite(v) and k not in unknown]
    if unknown or not_editable or not_finite_values:
        problems = [
            Problem("error", parcel_id, k, f"`{k}` is not a parcel column", zh=f"`{k}` 不是宗地的字段") for k in unknown
        ]
        problems += [
            Problem(
                "error",
                parcel_id,
                k,
                f"`{k}` cannot be edited: it is kept by the planner",
                zh=f"`{k}` 不能修改：由规划系统维护",
            )
            for k in not_editable
        ]
        problems += [
            Problem(
                "error", parcel_id, k, f"{changes[k]!r} is no value (JSON NaN/Infinity); send null to clear it",
                zh=f"{changes[k]!r} 不是有效的值（JSON 的 NaN/Infinity）：如要清空，请发送 null",
            )
            for k in not_finite_values
        ]  # fmt: skip
        raise ValidationError(problems)


def _checked_values(parcel_id: str, changes: Mapping[str, Any]) -> tuple[pd.DataFrame, list[Problem]]:
    """The edited values parsed and checked each by its field (one row, canonical dtypes); errors raise.

    Text given as it is stored is taken without pandas (:func:`~planner.store.plain.plain_values`).
    """
    plain = plain_values(parcel_id, changes)
    if plain is not None:
        return plain, []
    fields = LAYERS["parcels"].by_name
    given = pd.DataFrame({"parcel_id": [parcel_id], **{k: pd.Series([v], dtype=object) for k, v in changes.items()}})
    values, problems = check_columns(
        given, {k: fields[k] for k in ["parcel_id", *changes]}, id_column="parcel_id", what="parcel"
    )
    if any(p.severity == "error" for p in problems):
        raise ValidationError(problems)
    return values[list(changes)], problems


def _stored_at(s: Session, parcel_id: str, version: int) -> gpd.GeoDataFrame:
    """The stored parcel (one row), if it is at ``version``; else the conflict, or that there is no such parcel."""
    current = s.select("parcels", ids=[parcel_id])
    if current.empty:
        msg = f"no parcel has parcel_id {parcel_id!r}"
        raise ParcelNotFoundError(msg)
    stored_version = int(current["version"].iloc[0])
    if stored_version != int(version):
        raise VersionConflictError(parcel_id, int(version), stored_version)
    return current


class _RollBack(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a transaction to roll a dry run back."""


def _outside_china(features: gpd.GeoDataFrame, id_column: str, what: str) -> list[Problem]:
    """An error for each feature with a vertex outside China (each feature checked, not only the layer's middle)."""
    geoms = features.geometry.to_numpy()
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if not len(present):
        return []
    xy, owner = shapely.get_coordinates(geoms[present], return_index=True)
    try:
        with np.errstate(all="ignore"):
            lon, lat = transformer(pyproj.CRS(features.crs).to_wkt(), f"EPSG:{CGCS2000}").transform(xy[:, 0], xy[:, 1])
    except pyproj.exceptions.ProjError as exc:
        message = f"the {what}s' CRS ({pyproj.CRS(features.crs).name}) cannot be transformed to CGCS2000 ({exc})"
        zh = f"{feature_zh(what)}的坐标系（「{pyproj.CRS(features.crs).name}」）无法转换到 CGCS2000（「{exc}」）"
        return [Problem("error", None, "geometry", message, feature=what, zh=zh)]
    lon, lat = np.asarray(lon), np.asarray(lat)
    bad = np.isfinite(lon) & np.isfinite(lat) & ~check_in_china(lon, lat)  # NaN is the layer check's to report
    first = np.full(len(features), -1)
    rows = present[owner[bad]][::-1]
    first[rows] = np.flatnonzero(bad)[::-1]  # the first vertex outside, for the message
    return flag(
        features,
        first >= 0,
        "error",
        "geometry",
        lambda p: (
            f"the {what} reaches lon {lon[first[p]]:.4f}, lat {lat[first[p]]:.4f}, outside China; "
            "is the CRS right (zone, zone prefix, axis order)?"
        ),
        id_column=id_column,
        what=what,
        zh=lambda p: (
            f"{feature_zh(what)}延伸到经度 {lon[first[p]]:.4f}、纬度 {lat[first[p]]:.4f}，在中国境外："
            "坐标系是否正确（投影带、带号前缀、坐标轴顺序）？"
        ),
    )


def _write_derived(s: Session, derived: Derived, by: str) -> None:
    """Write ``derived`` inside the edit's transaction ``s``, just after the edit (all or, with it, nothing)."""
    stamp = s.last_change()
    if derived.columns is not None and not apply_columns(s, derived.columns):
        first = str(derived.columns.before["parcel_id"].iloc[0])
        raise VersionConflictError(first, 0, 0)  # a row moved on though the stamp did not: the edit is not made
    record_metadata(s, {**derived.metadata, **dict.fromkeys(derived.stamp_keys, stamp)}, by)
    derived.written, derived.stamps = True, (stamp, s.last_change())
