"""The park store interface: one park's layers, configuration and edit history.

:class:`ParkStore` holds the logic every backend shares: validation before
any write, the comparison of new rows with stored ones (what is inserted,
updated, unchanged, deleted), row versions for edits (no lost updates), and
the history of every change. A backend (GeoPackage now, PostGIS later)
supplies a :class:`Session`: the rows of one transaction, read and written in
canonical dtypes. Callers use only :class:`ParkStore`; a new backend does not
change them.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner.config import ParkConfig
from planner.crs import CGCS2000, check_in_china, transformer
from planner.errors import ParcelNotFoundError, Problem, StoreError, ValidationError, VersionConflictError
from planner.fields import Field, active_geometry, coerce_types, dtype_of, flag
from planner.infra.layers import LINE_FIELDS, SOURCE_FIELDS, check_lines, check_sources, line_layer
from planner.parcels.factories import FACTORY_FIELDS, check_factories
from planner.parcels.schema import FIELDS as PARCEL_FIELDS
from planner.parcels.validation import overlaps, validate_parcels
from planner.vocab import NETWORKS

__all__ = ["LAYERS", "LayerSpec", "ParkStore", "Session", "WriteReport", "layer_frame"]


@dataclass(frozen=True)
class LayerSpec:
    """A feature layer of the store: its fields, id column and geometry type."""

    name: str
    fields: tuple[Field, ...]
    id_column: str
    geometry_type: str
    title_zh: str
    title_en: str

    @property
    def by_name(self) -> Mapping[str, Field]:
        return {f.name: f for f in self.fields}

    @property
    def columns(self) -> list[str]:
        """Attribute columns in order (without the geometry)."""
        return [f.name for f in self.fields if f.kind != "geometry"]


def _layers() -> Mapping[str, LayerSpec]:
    specs = {"parcels": LayerSpec("parcels", PARCEL_FIELDS, "parcel_id", "MULTIPOLYGON", "宗地", "parcels")}
    for net, (zh, en) in NETWORKS.items():
        name = line_layer(net)
        specs[name] = LayerSpec(name, LINE_FIELDS, "line_id", "LINESTRING", f"{zh}管线", f"{en} lines")
    specs["sources"] = LayerSpec("sources", SOURCE_FIELDS, "source_id", "POINT", "源点设施", "sources")
    specs["factories"] = LayerSpec(
        "factories", FACTORY_FIELDS, "factory_id", "MULTIPOLYGON", "标准厂房", "standard factories"
    )
    return MappingProxyType(specs)


LAYERS: Mapping[str, LayerSpec] = _layers()
"""Every feature layer of a park store, by name."""


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

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def repairs(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "repair"]

    def summary(self) -> str:
        return (
            f"{self.layer}: {self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.deleted} deleted; {len(self.warnings)} warning(s), {len(self.repairs)} repair(s)"
        )


def layer_frame(
    spec: LayerSpec, columns: Sequence[Sequence[Any]] | None, geometries: np.ndarray | None, crs: str
) -> gpd.GeoDataFrame:
    """A layer's rows as a backend read them, in canonical dtypes.

    ``columns`` holds the values of each of ``spec.columns`` in order (Python
    values, ``None`` for missing; booleans as ``bool``) and ``geometries`` the shapely geometries;
    ``None`` for both when no row was read.
    """
    if columns is None or geometries is None or len(geometries) == 0:
        frame = pd.DataFrame({c: pd.Series(dtype=dtype_of(spec.by_name[c].kind)) for c in spec.columns})
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(spec.columns, columns, strict=True)})
    frame = coerce_types(frame, spec.by_name)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=crs), crs=crs)


class Session(ABC):
    """The reads and writes of one transaction, in canonical dtypes."""

    @abstractmethod
    def select(
        self,
        layer: str,
        *,
        ids: Sequence[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Rows of ``layer`` (all, or those with the given ids, or meeting the bbox in the park CRS)."""

    @abstractmethod
    def insert(self, layer: str, rows: gpd.GeoDataFrame) -> None: ...

    @abstractmethod
    def update(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        """Replace the stored rows that have the ids of ``rows``."""

    @abstractmethod
    def delete(self, layer: str, ids: Sequence[str]) -> None: ...

    @abstractmethod
    def add_history(self, records: pd.DataFrame) -> None:
        """Append history rows: changed_at, changed_by, layer, feature_id, action, version, changes (JSON)."""

    @abstractmethod
    def read_config(self) -> ParkConfig: ...

    @abstractmethod
    def write_config(self, config: ParkConfig) -> None: ...

    @abstractmethod
    def history(self, *, layer: str | None, feature_id: str | None, parse: bool = True) -> pd.DataFrame:
        """History rows, oldest first; ``changes`` parsed from JSON, or kept as its text (``parse=False``)."""

    @abstractmethod
    def read_metadata(self) -> dict[str, Any]: ...

    @abstractmethod
    def write_metadata(self, values: Mapping[str, Any]) -> None:
        """Set metadata keys (JSON values); other keys stay."""

    @abstractmethod
    def count(self, layer: str) -> int: ...

    @abstractmethod
    def last_change(self) -> int:
        """The id of the newest history row (0 for none): every write adds one, so it moves on every change."""

    @abstractmethod
    def changes_since(self, history_id: int) -> pd.DataFrame:
        """``history_id``, ``layer``, ``feature_id``, ``action`` of the history rows newer than ``history_id``."""


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
            s.add_history(_history_frame([("park_config", config.park_id, "update", None, changes)], by))

    @property
    def crs(self) -> pyproj.CRS:
        return pyproj.CRS.from_epsg(self.config().crs_epsg)

    def metadata(self) -> dict[str, Any]:
        """The park's metadata: what analyses recorded, e.g. ``idle_as_of`` (the date idle land was classified)."""
        with self._transaction(write=False) as s:
            return s.read_metadata()

    def set_metadata(self, values: Mapping[str, Any], *, by: str) -> None:
        """Set metadata keys (JSON values) in one transaction; the change is kept in the history."""
        with self._transaction(write=True) as s:
            _record_metadata(s, values, by)

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
        _spec(name)
        with self._transaction(write=False) as s:
            return s.select(name, ids=ids, bbox=bbox)

    def get_parcel(self, parcel_id: str) -> pd.Series:
        """One parcel as a row (with ``geometry``); :class:`ParcelNotFoundError` if there is none."""
        rows = self.read_parcels(parcel_ids=[parcel_id])
        if rows.empty:
            raise ParcelNotFoundError(f"no parcel has parcel_id {parcel_id!r}")
        return rows.iloc[0]

    def change_stamp(self) -> int:
        """A number that moves whenever anything in the park changes (the newest history row's id).

        Cheap to read (one index lookup): a server checks it to know whether what it cached is stale.
        """
        with self._transaction(write=False) as s:
            return s.last_change()

    def changes_since(self, history_id: int) -> pd.DataFrame:
        """Which features changed after history row ``history_id`` (its ``layer``, ``feature_id``, ``action``)."""
        with self._transaction(write=False) as s:
            return s.changes_since(int(history_id))

    def counts(self) -> dict[str, int]:
        """Number of features in each layer."""
        with self._transaction(write=False) as s:
            return {name: s.count(name) for name in LAYERS}

    def history(self, *, layer: str | None = None, feature_id: str | None = None) -> pd.DataFrame:
        """The history of changes, oldest first, optionally of one layer or feature."""
        with self._transaction(write=False) as s:
            return s.history(layer=layer, feature_id=feature_id)

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

        For an infrastructure layer (lines of a network, ``sources``, ``factories``) the default
        ``mode`` is ``replace``: the layer becomes ``features``. For ``parcels`` this
        is :meth:`write_parcels`, whose default is ``upsert``.
        """
        _spec(name)
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
        spec = _spec(name)
        config = self.config()
        if name == "parcels":
            check = validate_parcels(features, crs_epsg=config.crs_epsg, park_id=config.park_id)
            return check.parcels, check.problems
        what = {"sources": "source", "factories": "standard factory"}.get(name, f"{name.removesuffix('_lines')} line")
        features = active_geometry(features, what=what)
        if features.crs is None:
            problem = Problem(
                "error", None, "geometry", f"the {name} layer has no CRS; set it with `set_crs()`", feature=what
            )
            return features, [problem]
        outside = _outside_china(features, spec.id_column, what)
        features = features.to_crs(config.crs_epsg)
        if name == "sources":
            checked, problems = check_sources(features)
        elif name == "factories":
            checked, problems = check_factories(features)
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
                    report = self._apply(s, name, rows, by=by, mode=mode)
                    report.problems = [p for p in found if p.severity != "error"]
                    reports[name] = report
                if metadata:
                    _record_metadata(s, metadata, by)
                if dry_run:
                    raise _RollBack
        except _RollBack:
            pass
        return reports

    def update_parcel(
        self,
        parcel_id: str,
        changes: Mapping[str, Any],
        *,
        version: int,
        by: str,
    ) -> pd.Series:
        """Edit one parcel, based on the ``version`` the editor saw.

        Returns the stored row; its ``attrs["problems"]`` holds the warnings and
        repairs the edit produced.

        Raises
        ------
        VersionConflictError
            If the parcel changed since ``version``; nothing is written.
        ParcelNotFoundError
            If there is no such parcel.
        ValidationError
            If the edited parcel breaks a rule (named by field).
        """
        spec = LAYERS["parcels"]
        not_editable = [
            k
            for k in changes
            if k in ("parcel_id", "park_id", "version", "updated_at", "updated_by")
            or (k in spec.by_name and spec.by_name[k].origin == "computed")
        ]
        unknown = [k for k in changes if k not in spec.by_name]
        if unknown or not_editable:
            problems = [Problem("error", parcel_id, k, f"`{k}` is not a parcel column") for k in unknown]
            problems += [
                Problem("error", parcel_id, k, f"`{k}` cannot be edited: it is kept by the planner")
                for k in not_editable
            ]
            raise ValidationError(problems)
        config = self.config()
        with self._transaction(write=True) as s:
            current = s.select("parcels", ids=[parcel_id])
            if current.empty:
                raise ParcelNotFoundError(f"no parcel has parcel_id {parcel_id!r}")
            stored_version = int(current["version"].iloc[0])
            if stored_version != int(version):
                raise VersionConflictError(parcel_id, int(version), stored_version)
            edited = current.copy()
            for key, value in changes.items():
                if key == "geometry":
                    edited = edited.set_geometry(gpd.GeoSeries([value], index=edited.index, crs=edited.crs))
                else:
                    edited[key] = pd.Series([value], index=edited.index, dtype=object)
            check = validate_parcels(edited, crs_epsg=config.crs_epsg, park_id=config.park_id)
            check.raise_for_errors()
            self._apply(s, "parcels", check.parcels, by=by, mode="upsert")
            row = s.select("parcels", ids=[parcel_id]).iloc[0]
        row.attrs["problems"] = check.problems  # warnings and repairs, for the caller to show
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
            report = self._apply(s, name, rows, by=by, mode=mode)
            if metadata:
                _record_metadata(s, metadata, by)
        report.problems = [p for p in problems if p.severity != "error"]
        return report

    def _apply(self, s: Session, name: str, rows: gpd.GeoDataFrame, *, by: str, mode: str) -> WriteReport:
        """Insert, update and delete inside ``s``, with versions and history.

        Rows that carry a ``version`` are edits based on that version: if the stored
        row has moved on, the whole write is refused (no lost updates). Rows without
        one overwrite what is stored.
        """
        spec = LAYERS[name]
        key = spec.id_column
        ids = rows[key].astype(str).tolist()
        stored = s.select(name) if mode == "replace" else s.select(name, ids=ids)
        stored = stored.set_index(key, drop=False)
        if name == "parcels" and mode == "upsert":
            overlaps = _overlaps_with_stored(s, rows)
            if any(p.severity == "error" for p in overlaps):
                raise ValidationError(overlaps)
        now = pd.Timestamp(datetime.now(UTC)).floor("ms")
        report = WriteReport(name)
        history: list[tuple[str, str, str, int | None, dict | str]] = []
        bookkeeping = ["version", "updated_at", "updated_by"]

        is_new = ~rows[key].isin(stored.index).to_numpy()
        old_rows = rows[~is_new].reset_index(drop=True)
        before = stored.loc[old_rows[key].to_numpy()].reset_index(drop=True)
        _check_versions(old_rows, before, key)

        new_rows = rows[is_new].copy()
        if len(new_rows):
            new_rows["version"] = pd.array([1] * len(new_rows), dtype="Int64")
            new_rows["updated_at"] = now
            new_rows["updated_by"] = by
            s.insert(name, new_rows)
            values = _jsonable(new_rows.drop(columns=bookkeeping))
            history += [(name, fid, "insert", 1, vals) for fid, vals in zip(new_rows[key], values, strict=True)]
        report.inserted = len(new_rows)

        if len(old_rows):
            after = old_rows.copy()
            same_shape = ~_geometry_differs(before.geometry.to_numpy(), after.geometry.to_numpy())
            if same_shape.any():  # keep the stored shape and its areas: a round trip is not an edit
                after.loc[same_shape, "geometry"] = before.geometry[same_shape].to_numpy()
                for c in spec.columns:
                    if spec.by_name[c].origin == "computed":
                        after.loc[same_shape, c] = before.loc[same_shape, c].to_numpy()
            compare = [c for c in spec.columns if c not in bookkeeping]
            changed_cols = {c: _differs(before[c], after[c]) for c in compare}
            changed_cols["geometry"] = ~same_shape
            changed = np.logical_or.reduce(list(changed_cols.values()))
            if changed.any():
                upd = after[changed].copy()
                upd["version"] = (before.loc[changed, "version"].astype("Int64") + 1).to_numpy()
                upd["updated_at"] = now
                upd["updated_by"] = by
                s.update(name, gpd.GeoDataFrame(upd, geometry="geometry", crs=rows.crs))
                history += _update_history(name, key, before, after, changed_cols, changed, upd["version"])
                report.changes = {
                    str(after[key].iloc[pos]): [c for c, mask in changed_cols.items() if mask[pos]]
                    for pos in np.flatnonzero(changed)
                }
            report.updated = int(changed.sum())
            report.unchanged = int((~changed).sum())

        if mode == "replace":
            gone = stored[~stored[key].isin(rows[key])].reset_index(drop=True)
            if len(gone):
                s.delete(name, gone[key].tolist())
                values = _jsonable(gone.drop(columns=bookkeeping[1:]))
                history += [
                    (name, fid, "delete", int(v) if pd.notna(v) else None, vals)
                    for fid, v, vals in zip(gone[key], gone["version"], values, strict=True)
                ]
            report.deleted = len(gone)
        if history:
            s.add_history(_history_frame(history, by, now))
        return report


class _RollBack(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a transaction to roll a dry run back."""


def _check_versions(rows: pd.DataFrame, stored: pd.DataFrame, key: str) -> None:
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
        return [Problem("error", None, "geometry", message, feature=what)]
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
    )


def _spec(name: str) -> LayerSpec:
    try:
        return LAYERS[name]
    except KeyError:
        msg = f"`layer` was {name!r} but is expected to be one of {', '.join(LAYERS)}"
        raise ValueError(msg) from None


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise "not equal", where two missing values are equal."""
    a_na, b_na = a.isna().to_numpy(dtype=bool), b.isna().to_numpy(dtype=bool)
    both = ~a_na & ~b_na
    out = a_na != b_na
    if both.any():
        av, bv = a.to_numpy(dtype=object)[both], b.to_numpy(dtype=object)[both]
        out[both] = av != bv
    return out


SAME_SHAPE_TOLERANCE_M = 1e-4
"""Vertices that moved less than 0.1 mm (a reprojection round trip) leave a shape unchanged."""


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
        text = values.dt.strftime(fmt)
        return text.astype(object).where(text.notna(), None).to_numpy()
    obj = values.astype(object)
    return obj.where(values.notna(), None).to_numpy()


def _jsonable(frame: pd.DataFrame) -> list[str]:
    """Rows as JSON objects, missing values left out; geometry as WKT (mm)."""
    if frame.empty:
        return []
    columns = {c: _plain_column(frame[c]) for c in frame.columns if frame[c].notna().any()}
    names, arrays = list(columns), list(columns.values())
    return (
        [
            json.dumps(
                {k: v for k, v in zip(names, values, strict=True) if v is not None}, ensure_ascii=False, default=str
            )
            for values in zip(*arrays, strict=True)
        ]
        if names
        else ["{}"] * len(frame)
    )


def _update_history(
    name: str,
    key: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    changed_cols: Mapping[str, np.ndarray],
    changed: np.ndarray,
    versions: pd.Series,
) -> list[tuple[str, str, str, int | None, dict | str]]:
    cols = [c for c, mask in changed_cols.items() if mask.any()]
    old = {c: _plain_column(before[c]) for c in cols}
    new = {c: _plain_column(after[c]) for c in cols}
    records: list[tuple[str, str, str, int | None, dict | str]] = []
    for k, pos in enumerate(np.flatnonzero(changed)):
        diff = {c: [old[c][pos], new[c][pos]] for c in cols if changed_cols[c][pos]}
        records.append((name, str(after[key].iloc[pos]), "update", int(versions.iloc[k]), diff))
    return records


def _history_frame(
    records: Sequence[tuple[str, str, str, int | None, dict | str]], by: str, at: pd.Timestamp | None = None
) -> pd.DataFrame:
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


def _record_metadata(s: Session, values: Mapping[str, Any], by: str) -> None:
    """Set metadata keys inside ``s`` and keep what changed in the history."""
    old = s.read_metadata()
    changes = {k: [old.get(k), v] for k, v in values.items() if old.get(k) != v}
    s.write_metadata(values)
    if changes:
        s.add_history(_history_frame([("park_metadata", None, "update", None, changes)], by))
