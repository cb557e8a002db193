"""Importing a file into a park: read, map columns, check coordinates, validate, write once.

:func:`import_file` reads any format of :data:`~planner.exchange.readers.FORMATS`
(:mod:`planner.exchange.file_layers`), maps its columns onto the layer's schema
(:mod:`planner.exchange.mapping`), checks its coordinates (:mod:`planner.exchange.coords`),
merges it with what the park holds (:mod:`planner.exchange.merge`), validates every feature
with the store's own checks, and writes all layers in one transaction.

An import keeps what is good: a feature that cannot be read or repaired (a ring of 2 points,
an unclosed ring, NaN coordinates, a value the store refuses) is left out and listed with its
id (an OpenStreetMap feature by its type and id) and why, and the rest goes in. Only what
concerns the whole file refuses it: it cannot be read, it lies wholly outside China (said
first), its CRS is wrong, a layer or column is missing, its ids are missing or repeated, or
nothing in it could be imported. ``strict=True`` refuses the whole file for any one feature.
A refused import raises :class:`~planner.errors.ValidationError` listing each problem by
feature and field, and leaves the park as it was (a park the import would have created is not
left behind). What was repaired, assumed or left out is reported.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, Unpack

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from planner.config import ParkConfig
from planner.crs import gk_epsg
from planner.errors import CRSError, Problem, ValidationError
from planner.exchange.coords import check_coordinates, middle_longitude
from planner.exchange.features import (
    LEFT_OUT,
    as_error,
    clean_geometries,
    convert_land_use,
    crs_zh,
    layer_of,
    left_out,
    left_out_counts,
    names_a_feature,
    planned_status,
    settle_ids,
    unique,
    unusable_geometries,
    what_of,
)
from planner.exchange.file_layers import UNREADABLE, CadOptions, read_file_layers
from planner.exchange.mapping import FieldMapping, apply_mapping, load_mapping
from planner.exchange.merge import drop_derived, keep_stored, precision_m, same_within_precision, stored_rows
from planner.exchange.osm import osm_name
from planner.exchange.readers import FORMATS, file_problem, format_of, reason_zh
from planner.fields import flag
from planner.store import LAYERS, ParkStore, WriteReport, create_park, open_store
from planner.store.postgis import is_postgis_uri, redact
from planner.vocab import NETWORKS

__all__ = ["LAYER_NAMES", "LEFT_OUT", "ImportOptions", "ImportReport", "import_file", "target_layer"]

_ATTEMPTS = 3
"""How often the write is tried again without the features the store refused (each try drops them all)."""

LAYER_NAMES: dict[str, str] = {
    "parcels": "parcels",
    "sources": "sources",
    "boundary": "boundary",
    **{net: f"{net}_lines" for net in NETWORKS},
    "roads": "road_lines",
    **{f"{net}_lines": f"{net}_lines" for net in NETWORKS},
}
"""Names ``--layer`` accepts → the store layer."""


class ImportOptions(TypedDict, total=False):
    """The keyword options of :func:`import_file` (described there); each may be left out."""

    layer: str | None
    source_layer: str | None
    crs: str | int | None
    encoding: str | None
    mapping: str | Path | FieldMapping | None
    from_gcj02: bool
    not_gcj02: bool
    swap_axes: bool
    accept_fixes: bool
    capacity_kva: float | None
    mode: str
    park_id: str | None
    park_name: str | None
    by: str
    dry_run: bool
    strict: bool
    land_use_codes: str
    make_ids: str | None
    cad_layer: str | None
    id_from_text: bool


@dataclass
class ImportReport:
    """What an import did: features read and written per layer, and what was repaired or left out."""

    source: Path
    park: Path | str
    """The park GeoPackage, or the PostGIS location with its password shown as ``***``."""
    created: bool
    read: dict[str, int]
    layers: dict[str, WriteReport] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def left_out(self) -> list[Problem]:
        """The features left out (each named by id, or input row, with why), while the rest went in."""
        return self.by_severity(LEFT_OUT)

    def left_out_counts(self) -> dict[str, int]:
        """How many features of each layer were left out (one may be left out for several reasons)."""
        return left_out_counts(self.problems)

    def by_severity(self, severity: str) -> list[Problem]:
        """The problems of one severity: ``left out``, ``warning`` or ``repair``."""
        return [p for p in self.problems if p.severity == severity]

    def changes(self) -> pd.DataFrame:
        """Each updated feature and the columns that changed: layer, feature_id, columns."""
        rows = [
            (layer, fid, ", ".join(columns))
            for layer, report in self.layers.items()
            for fid, columns in report.changes.items()
        ]
        return pd.DataFrame(rows, columns=["layer", "feature_id", "columns"])

    def table(self) -> pd.DataFrame:
        """The problems as a table: severity, feature, id, input row, field, message."""
        return pd.DataFrame(
            [p.as_dict() for p in self.problems],
            columns=["severity", "feature", "parcel_id", "row", "field", "message"],
        ).rename(columns={"parcel_id": "feature_id"})


def target_layer(name: str) -> str:
    """The store layer for a ``--layer`` value (``roads`` → ``road_lines``)."""
    try:
        return LAYER_NAMES[name]
    except KeyError:
        allowed = "parcels, roads, " + ", ".join(n for n in NETWORKS if n != "road") + ", sources, boundary"
        msg = f"`layer` was {name!r} but is expected to be one of {allowed}"
        raise ValueError(msg) from None


def import_file(park: str | Path, path: str | Path, **options: Unpack[ImportOptions]) -> ImportReport:
    """Import a file into the park at ``park`` (created if it does not exist).

    The options are keywords (:class:`ImportOptions`), each described here.

    Parameters
    ----------
    park
        The park GeoPackage, or a PostGIS park ``postgresql://…?park=<park_id>`` (its password
        best in ``PGPASSWORD``, ``~/.pgpass`` or a service file). If the GeoPackage does not
        exist, a park is created in the Gauss–Krüger zone of the data (``park_id`` and
        ``park_name`` default to its name); a PostGIS park must exist.
    path
        GeoJSON, GeoPackage, Shapefile, FlatGeobuf, OSM (.osm/.pbf), boundary TXT or DXF (:mod:`~.cad`).
    layer
        Target layer: ``parcels``, ``roads`` (or any network: ``water``, ``power``, …),
        ``sources``, ``boundary`` (the park boundary, 园区四至: polygons). By default from
        the data: polygons are parcels, points sources, an OSM file fills every layer it has data for.
    source_layer
        The layer of a GeoPackage file to read.
    crs
        The file's CRS, overriding what it states (EPSG code or any pyproj text); a DXF's zone (39 or EPSG).
    cad_layer, id_from_text
        A DXF's CAD layer to read; whether each parcel's id is the text inside it.
    encoding
        Text encoding of a Shapefile or TXT file (``gbk``, ``utf-8``).
    mapping
        A field-mapping file (JSON/YAML) or :class:`FieldMapping`.
    from_gcj02, not_gcj02, swap_axes, accept_fixes
        Coordinate fixes and overrides (see :func:`planner.exchange.coords.check_coordinates`).
    capacity_kva
        Capacity assumed for substations whose source states none (OpenStreetMap).
    mode
        ``upsert`` (default): add new features and update those with the same id;
        ``replace``: the imported layers become the file's features. A feature already
        in the park keeps its stored values of the columns the file does not have
        (a TXT updates geometry, name, land use and declared area, nothing else); the
        ``planned`` status assumed for a file without ``status`` goes to new parcels only.
        Columns the planner derives (readiness, idle land) are never taken from a file.
    dry_run
        Check everything the import would check, with the same write rolled back: nothing
        is written, and the report's counts say what the import would do.
    make_ids
        A prefix: features without id get it and their order in the file (``DK001``), and
        line ids the file repeats get ``-1``, ``-2`` … (both reported). Without it such a
        file is refused, the refusal naming this option.
    land_use_codes
        How the parcels' land-use codes are read: ``auto`` (default; GB/T 21010-2017 codes such
        as ``0601`` are converted to 用地用海分类, each conversion reported), ``2023`` or ``gb21010``.
    strict
        All or nothing: a feature that cannot be read or is refused refuses the whole file
        (by default it is left out, listed in :attr:`ImportReport.left_out`, and the rest goes in).

    Raises
    ------
    ValidationError
        The import was refused; ``problems`` lists every error, warning and repair.
    StoreError
        The park cannot be opened or written.
    """
    unknown = sorted(set(options) - ImportOptions.__optional_keys__)
    if unknown:
        msg = f"import_file() got an unexpected keyword argument {unknown[0]!r}"
        raise TypeError(msg)
    started = time.perf_counter()
    run = _Import(park, Path(path), options)
    try:
        checked = run.checked_layers()
        report = run.write(checked)
    finally:
        if run.store is not None:
            run.store.close()
    report.seconds = time.perf_counter() - started
    return report


class _Import:
    """One import: the file, the park (if it exists), the options, and every problem found on the way."""

    def __init__(self, park: str | Path, path: Path, options: ImportOptions) -> None:
        postgis = is_postgis_uri(park)  # a URL stays text: a Path would fold its '//' and show its password
        self.park: Path = Path(park) if not postgis else Path()
        self.path, self.options = path, options
        self.strict = bool(options.get("strict", False))
        self.problems: list[Problem] = []
        self.file_rows: dict[str, np.ndarray] = {}
        """Per layer, the file's row of each feature handed to the store (to name what it refuses)."""
        layer = options.get("layer")
        self.target = target_layer(layer) if layer else None
        self.fmt = self._format()
        self.store: ParkStore | None = open_store(park) if postgis or self.park.exists() else None
        self.shown: Path | str = redact(str(park)) if postgis else self.park
        self.config = self.store.config() if self.store is not None else None
        self.mapping = self._mapping()

    def refuse(self, extra: list[Problem] | None = None) -> ValidationError:
        """The error that refuses the import, with every problem found so far (and ``extra``).

        A feature that would have been left out is, with the whole file refused, one of its errors.
        """
        problems = [as_error(p) for p in [*self.problems, *(extra or [])]]
        return ValidationError(unique(problems), what=f"import of {self.path.name}")

    def _refuse_on_errors(self) -> None:
        if any(p.severity == "error" for p in self.problems):
            raise self.refuse()

    def _format(self) -> str:
        """The file's format; refused if it is missing, empty or of a format the planner does not import."""
        path = self.path
        if not path.is_file():
            missing = not path.exists()
            message, zh = ("does not exist", "不存在") if missing else ("is not a file", "不是文件")
            raise self.refuse([file_problem(path, message, zh=zh)])
        fmt = format_of(path)
        if fmt is None:
            allowed = ", ".join(sorted(FORMATS))
            message = f"is not a format the planner imports (by its suffix); allowed: {allowed}"
            zh = f"不是可导入的格式（按扩展名）；允许：{'、'.join(sorted(FORMATS))}"
            raise self.refuse([file_problem(path, message, zh=zh)])
        if path.stat().st_size == 0:
            raise self.refuse([file_problem(path, "is empty (0 bytes)", zh="文件为空（0 字节）")])
        return fmt

    def _mapping(self) -> FieldMapping | None:
        """The field mapping given, or read from its file (refused if the file has a problem)."""
        mapping = self.options.get("mapping")
        if isinstance(mapping, FieldMapping) or mapping is None:
            return mapping
        field_mapping, found = load_mapping(Path(mapping))
        self.problems += found
        if found:
            raise self.refuse()
        return field_mapping

    def _given_crs(self) -> pyproj.CRS | None:
        """The CRS given with ``--crs``, overriding the file's."""
        crs = self.options.get("crs")
        if crs is None:
            return None
        try:
            return pyproj.CRS.from_user_input(int(crs) if str(crs).isdigit() else crs)
        except (pyproj.exceptions.CRSError, ValueError) as exc:
            zh = f"--crs {crs!r} 不是可识别的坐标系（「{exc}」）"
            message = f"--crs {crs!r} is not a CRS pyproj knows ({exc})"
            raise self.refuse([file_problem(self.path, message, zh=zh)]) from None

    def checked_layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Every layer of the file, read, mapped, with its coordinates checked and merged with the park's rows."""
        options = self.options
        frames = read_file_layers(
            self.path,
            self.fmt,
            self.target,
            source_layer=options.get("source_layer"),
            encoding=options.get("encoding"),
            capacity_kva=options.get("capacity_kva"),
            problems=self.problems,
            cad=CadOptions(options.get("cad_layer"), bool(options.get("id_from_text", False)), options.get("crs")),
        )
        self.problems = [self._left_out(p) for p in self.problems]  # features the reader could not take
        self._refuse_on_errors()
        roads = self.store.read_layer("road_lines") if self.store is not None else None
        given_crs = self._given_crs() if self.fmt != "DXF" else None  # a DXF's zone is read with the drawing
        precision = precision_m(self.fmt, frames)
        checked: dict[str, gpd.GeoDataFrame] = {}
        for name, frame in frames.items():
            layer = self._checked_layer(name, frame, given_crs, roads, precision)
            if layer is not None and len(layer):
                self.file_rows[name] = layer.index.to_numpy()
                checked[name] = layer.reset_index(drop=True)
        self._refuse_on_errors()
        if not checked:
            raise self._nothing_left()
        return checked

    def _left_out(self, problem: Problem, row: int | None = None) -> Problem:
        """An error about one feature as that feature left out (the rest goes in); an error still if strict.

        ``row`` is the feature's row in the file, where the problem knows only its place in a layer.
        """
        if self.strict or problem.severity != "error" or not names_a_feature(problem):
            if row is None:
                return problem
            return Problem(
                problem.severity, problem.parcel_id, problem.field, problem.message, row=row, feature=problem.feature,
                zh=problem.zh,
            )  # fmt: skip
        fid = problem.parcel_id or ""
        return left_out(problem, row, osm_name(fid) if fid.startswith("osm-") else None)

    def _nothing_left(self) -> ValidationError:
        """The refusal of a file none of whose features could be imported: each named, with why."""
        return self.refuse(
            [
                file_problem(
                    self.path,
                    "holds no feature that could be imported; each is listed with why",
                    zh="没有可导入的要素；各要素及原因见列表",
                )
            ]
        )

    def _checked_layer(
        self,
        name: str,
        frame: gpd.GeoDataFrame,
        given_crs: pyproj.CRS | None,
        roads: gpd.GeoDataFrame | None,
        precision: float | None,
    ) -> gpd.GeoDataFrame | None:
        """One layer of the file ready to write, or ``None`` if its coordinates are refused."""
        spec, path, options = LAYERS[name], self.path, self.options
        unreadable = dict(frame.attrs.get(UNREADABLE, {}))
        frame = clean_geometries(frame, spec.id_column, self.fmt, self.problems)
        frame, found = apply_mapping(frame, spec.fields, self.mapping, what=what_of(name))
        self.problems += found
        frame = self._without_unusable(name, frame, unreadable)
        frame, found = settle_ids(
            frame, spec.id_column, options.get("make_ids"), lines=name.endswith("_lines"), file=f"file {path.name!r}"
        )
        self.problems += found
        if name == "parcels":
            frame, notes, errors = convert_land_use(frame, options.get("land_use_codes", "auto"), f"file {path.name!r}")
            self.problems += notes
            rows = frame.index.to_numpy()
            self.problems += [self._left_out(p, row=int(rows[p.row])) for p in errors if p.row is not None]
            frame = frame[~np.isin(np.arange(len(frame)), [p.row for p in errors if p.row is not None])]
        from_defaults = set(frame.attrs.get("defaults_only", ()))
        frame = drop_derived(frame, spec, path, self.problems)
        if given_crs is not None:
            frame = self._override_crs(frame, given_crs)
        check = check_coordinates(
            frame,
            name=path.name,
            park_epsg=self.config.crs_epsg if self.config else None,
            roads=roads if self.fmt != "OSM" and name != "sources" else None,
            swap_axes=options.get("swap_axes", False),
            from_gcj02=options.get("from_gcj02", False),
            not_gcj02=options.get("not_gcj02", False),
            accept_fixes=options.get("accept_fixes", False),
        )
        if check.outside_china:  # said first, and alone: nothing else about the file matters
            raise ValidationError(
                [p for p in check.problems if p.severity == "error"], what=f"import of {self.path.name}"
            )
        self.problems += check.problems
        if not check.ok:
            return None
        frame = check.frame
        supplied = {c for c in frame.columns if c != frame.geometry.name and c not in from_defaults}
        stored = stored_rows(self.store, name, frame)
        frame, old = keep_stored(frame, spec, stored, supplied, path, self.problems)
        if name == "parcels" and "status" not in supplied | from_defaults:
            frame = planned_status(frame, old, self.path, self.problems)
        return same_within_precision(frame, spec, stored, old, precision, self.fmt, path, self.problems)

    def _without_unusable(self, name: str, frame: gpd.GeoDataFrame, unreadable: dict[int, str]) -> gpd.GeoDataFrame:
        """The frame without the features whose geometry cannot be used, each reported by id (left out or refused)."""
        reasons = unusable_geometries(frame, unreadable)
        if not reasons:
            return frame
        bad = np.zeros(len(frame), dtype=bool)
        bad[list(reasons)] = True
        found = flag(
            frame,
            bad,
            "error",
            "geometry",
            lambda p: reasons[p],
            id_column=LAYERS[name].id_column,
            what=what_of(name),
            zh=lambda p: reason_zh(reasons[p]),
        )
        rows = frame.index.to_numpy()
        self.problems += [self._left_out(p, row=int(rows[p.row])) for p in found if p.row is not None]
        return frame[~bad]

    def _override_crs(self, frame: gpd.GeoDataFrame, given_crs: pyproj.CRS) -> gpd.GeoDataFrame:
        """The frame in the CRS given with ``--crs`` (reported where it replaces the file's own)."""
        if frame.crs is not None and pyproj.CRS(frame.crs) != given_crs:
            self.problems.append(
                file_problem(
                    self.path,
                    f"its CRS ({pyproj.CRS(frame.crs).name}) replaced by --crs {self.options.get('crs')}",
                    "repair",
                    zh=f"其坐标系（「{pyproj.CRS(frame.crs).name}」）已按 --crs {self.options.get('crs')} 替换",
                )
            )
        return frame.set_crs(given_crs, allow_override=True)

    def _park_config(self, checked: dict[str, gpd.GeoDataFrame]) -> ParkConfig:
        """The park's configuration, or a new park's (its zone from the data)."""
        if self.config is not None:
            return self.config
        try:
            return _new_park_config(self.park, checked, self.options.get("park_id"), self.options.get("park_name"))
        except CRSError as exc:
            raise self.refuse([file_problem(self.path, str(exc), zh=crs_zh(str(exc)))]) from None

    def write(self, checked: dict[str, gpd.GeoDataFrame]) -> ImportReport:
        """Write every layer in one transaction (or, for a dry run, write and roll back); the report."""
        config = self._park_config(checked)
        mode, by = self.options.get("mode", "upsert"), self.options.get("by", "planner import")
        if self.options.get("dry_run", False):
            reports, checked = self._dry_run(checked, config, mode, by)
            return self._report(checked, reports, created=False, dry_run=True)
        created = self.store is None
        if mode == "replace" and self.store is not None:
            self._refuse_deleting(self.store)
        store = self.store if self.store is not None else create_park(self.park, config)
        try:
            reports, checked = self._write_keeping_good(store, checked, mode=mode, by=by, dry_run=False)
        except BaseException:
            if created:
                self._discard(store)
            raise
        return self._report(checked, reports, created=created, dry_run=False)

    def _write_keeping_good(
        self, store: ParkStore, checked: dict[str, gpd.GeoDataFrame], *, mode: str, by: str, dry_run: bool
    ) -> tuple[dict[str, WriteReport], dict[str, gpd.GeoDataFrame]]:
        """The write, tried again without the features the store refuses (unless strict); the reports and layers."""
        for _ in range(_ATTEMPTS):
            try:
                return store.write_layers(checked, by=by, mode=mode, dry_run=dry_run), checked
            except ValidationError as exc:
                checked = self._without_refused(store, checked, exc.problems, mode)
        raise self.refuse()

    def _without_refused(
        self, store: ParkStore, checked: dict[str, gpd.GeoDataFrame], problems: list[Problem], mode: str
    ) -> dict[str, gpd.GeoDataFrame]:
        """The layers without the features the store refused, each left out and reported.

        The whole import is refused instead if strict, if an error names no feature (or a
        feature's id: missing or repeated ids are the file's), if ``replace`` would delete
        a stored feature the file holds but could not give, or if nothing is left.
        """
        errors = [p for p in problems if p.severity == "error"]
        refused: dict[str, set[int]] = {}
        whole = self.strict
        for p in errors:
            name = layer_of(p.feature)
            if name not in checked or p.row is None or p.field == LAYERS[name].id_column:
                whole = True
                break
            refused.setdefault(name, set()).add(p.row)
        if whole:
            raise self.refuse(problems)
        out: dict[str, gpd.GeoDataFrame] = {}
        for name, frame in checked.items():
            bad = np.zeros(len(frame), dtype=bool)
            bad[sorted(refused.get(name, ()))] = True
            rows = self.file_rows[name]
            self.problems += [
                self._left_out(p, row=int(rows[p.row]))
                for p in errors
                if p.row is not None and layer_of(p.feature) == name
            ]
            kept = frame[~bad].reset_index(drop=True)
            self.file_rows[name] = rows[~bad]
            if len(kept):
                out[name] = kept
        if mode == "replace":
            self._refuse_deleting(store)
        if not out:
            raise self._nothing_left()
        return out

    def _refuse_deleting(self, store: ParkStore) -> None:
        """Refuse a ``replace`` that would delete stored features the file holds but could not give."""
        left: dict[str, set[str]] = {}
        for p in self.problems:
            if p.severity == LEFT_OUT and p.parcel_id is not None:
                left.setdefault(layer_of(p.feature), set()).add(str(p.parcel_id))
        for name, ids in left.items():
            key = LAYERS[name].id_column
            stored = store.read_layer(name, ids=sorted(ids))
            if not len(stored):
                continue
            held = ", ".join(map(repr, stored[key].astype(str).tolist()[:10]))
            message = (
                f"--replace would delete {len(stored)} stored feature(s) that the file holds but could not give "
                f"({held}); correct them in the file, or import without --replace"
            )
            zh = (
                f"--replace 将删除 {len(stored)} 个已存的要素，它们在文件中但无法读取（{held.replace(', ', '、')}）："
                "请在文件中改正，或不用 --replace 导入"
            )
            raise self.refuse([file_problem(self.path, message, zh=zh)])

    def _dry_run(
        self, checked: dict[str, gpd.GeoDataFrame], config: ParkConfig, mode: str, by: str
    ) -> tuple[dict[str, WriteReport], dict[str, gpd.GeoDataFrame]]:
        """The write, with every check the real one makes, rolled back (in a scratch park if there is none)."""
        with tempfile.TemporaryDirectory() as tmp:
            check_store = self.store or create_park(Path(tmp) / "park.gpkg", config)
            try:
                return self._write_keeping_good(check_store, checked, mode=mode, by=by, dry_run=True)
            finally:
                if self.store is None:
                    check_store.close()

    def _discard(self, store: ParkStore) -> None:
        """Remove the park this import created: a refused import leaves nothing behind."""
        store.close()
        self.park.unlink(missing_ok=True)

    def _report(
        self, checked: dict[str, gpd.GeoDataFrame], reports: dict[str, WriteReport], *, created: bool, dry_run: bool
    ) -> ImportReport:
        for report in reports.values():
            self.problems += report.problems
        left = left_out_counts(self.problems)
        read = {name: len(frame) + left.get(name, 0) for name, frame in checked.items()}
        for name, count in left.items():
            read.setdefault(name, count)
        return ImportReport(self.path, self.shown, created, read, reports, unique(self.problems), dry_run=dry_run)


def _new_park_config(
    park: Path, frames: dict[str, gpd.GeoDataFrame], park_id: str | None, park_name: str | None
) -> ParkConfig:
    """A new park's configuration: its Gauss–Krüger zone from the data's middle longitude."""
    lon = middle_longitude(frames.values())
    if park_id is None and "parcels" in frames and "park_id" in frames["parcels"]:
        given = frames["parcels"]["park_id"].dropna().astype(str).unique()
        park_id = str(given[0]) if len(given) == 1 else None  # the park the parcels say they belong to
    fallback = re.sub(r"[^\w.-]", "_", park.stem).lstrip("_.-") or "park"  # a file name may hold spaces
    return ParkConfig(park_id=park_id or fallback, name=park_name or park.stem, crs_epsg=gk_epsg(lon))
