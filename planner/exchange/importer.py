"""Importing a file into a park: read, map columns, check coordinates, validate, write once.

:func:`import_file` reads any format of :data:`~planner.exchange.readers.FORMATS`,
maps its columns onto the layer's schema, checks its coordinates
(:mod:`planner.exchange.coords`), validates every feature with the store's own checks,
and writes all layers in one transaction. Nothing is written unless everything
passes: a refused import raises :class:`~planner.errors.ValidationError` listing each
problem by feature and field, and leaves the park as it was (a park the import would
have created is not left behind). What was repaired, assumed or left out is reported.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner.config import ParkConfig
from planner.crs import CGCS2000, gk_epsg, transformer
from planner.errors import CRSError, Problem, ValidationError
from planner.exchange.coords import check_coordinates
from planner.exchange.mapping import FieldMapping, apply_mapping, load_mapping
from planner.exchange.osm import is_osm_power, is_osm_roads, power_sources, read_osm, road_lines_from_highways
from planner.exchange.readers import FORMATS, file_problem, format_of, geometry_kinds, read_vector
from planner.exchange.txt import read_txt
from planner.fields import feature_ids
from planner.store import LAYERS, LayerSpec, ParkStore, WriteReport, create_park, open_store
from planner.vocab import NETWORKS

__all__ = ["LAYER_NAMES", "ImportReport", "import_file", "target_layer"]

LAYER_NAMES: dict[str, str] = {
    "parcels": "parcels",
    "sources": "sources",
    **{net: f"{net}_lines" for net in NETWORKS},
    "roads": "road_lines",
    **{f"{net}_lines": f"{net}_lines" for net in NETWORKS},
}
"""Names ``--layer`` accepts → the store layer."""


@dataclass
class ImportReport:
    """What an import did: features read and written per layer, and what was repaired or left out."""

    source: Path
    park: Path
    created: bool
    read: dict[str, int]
    layers: dict[str, WriteReport] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    def by_severity(self, severity: str) -> list[Problem]:
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
        allowed = "parcels, roads, " + ", ".join(n for n in NETWORKS if n != "road") + ", sources"
        msg = f"`layer` was {name!r} but is expected to be one of {allowed}"
        raise ValueError(msg) from None


def import_file(
    park: str | Path,
    path: str | Path,
    *,
    layer: str | None = None,
    source_layer: str | None = None,
    crs: str | int | None = None,
    encoding: str | None = None,
    mapping: str | Path | FieldMapping | None = None,
    from_gcj02: bool = False,
    not_gcj02: bool = False,
    swap_axes: bool = False,
    accept_fixes: bool = False,
    capacity_kva: float | None = None,
    mode: str = "upsert",
    park_id: str | None = None,
    park_name: str | None = None,
    by: str = "planner import",
    dry_run: bool = False,
) -> ImportReport:
    """Import a file into the park at ``park`` (created if it does not exist).

    Parameters
    ----------
    park
        The park GeoPackage. If it does not exist, a park is created in the
        Gauss–Krüger zone of the data (``park_id`` and ``park_name`` default to its name).
    path
        GeoJSON, GeoPackage, Shapefile, FlatGeobuf, OSM (.osm/.pbf) or boundary-coordinate TXT.
    layer
        Target layer: ``parcels``, ``roads`` (or any network: ``water``, ``power``, …),
        ``sources``. By default from the data: polygons are parcels, points sources, an
        OSM file fills every layer it has data for.
    source_layer
        The layer of a GeoPackage file to read.
    crs
        The file's CRS, overriding what it states (EPSG code or any pyproj text).
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

    Raises
    ------
    ValidationError
        The import was refused; ``problems`` lists every error, warning and repair.
    StoreError
        The park cannot be opened or written.
    """
    started = time.perf_counter()
    park, path = Path(park), Path(path)
    what = f"import of {path.name}"
    problems: list[Problem] = []

    def refuse(extra: list[Problem] | None = None) -> ValidationError:
        return ValidationError(_unique([*problems, *(extra or [])]), what=what)

    target = target_layer(layer) if layer else None
    if not path.is_file():
        raise refuse([file_problem(path, "does not exist" if not path.exists() else "is not a file")])
    fmt = format_of(path)
    if fmt is None:
        allowed = ", ".join(sorted(FORMATS))
        raise refuse([file_problem(path, f"is not a format the planner imports (by its suffix); allowed: {allowed}")])
    if path.stat().st_size == 0:
        raise refuse([file_problem(path, "is empty (0 bytes)")])
    store: ParkStore | None = open_store(park) if park.exists() else None
    config = store.config() if store is not None else None
    field_mapping: FieldMapping | None
    if isinstance(mapping, FieldMapping) or mapping is None:
        field_mapping = mapping
    else:
        field_mapping, found = load_mapping(Path(mapping))
        problems += found
        if found:
            raise refuse()

    frames = _read(path, fmt, target, source_layer, encoding, capacity_kva, problems)
    if any(p.severity == "error" for p in problems):
        raise refuse()
    roads = store.read_layer("road_lines") if store is not None else None
    given_crs: pyproj.CRS | None = None
    if crs is not None:
        try:
            given_crs = pyproj.CRS.from_user_input(int(crs) if str(crs).isdigit() else crs)
        except (pyproj.exceptions.CRSError, ValueError) as exc:
            raise refuse([file_problem(path, f"--crs {crs!r} is not a CRS pyproj knows ({exc})")]) from None
    precision = _precision_m(fmt, frames)
    checked: dict[str, gpd.GeoDataFrame] = {}
    for name, frame in frames.items():
        spec = LAYERS[name]
        frame = _clean_geometries(frame, spec.id_column, fmt, problems)
        frame, found = apply_mapping(frame, spec.fields, field_mapping, what=_what(name))
        problems += found
        from_defaults = set(frame.attrs.get("defaults_only", ()))
        frame = _drop_derived(frame, spec, path, problems)
        if given_crs is not None:
            if frame.crs is not None and pyproj.CRS(frame.crs) != given_crs:
                problems.append(
                    file_problem(path, f"its CRS ({pyproj.CRS(frame.crs).name}) replaced by --crs {crs}", "repair")
                )
            frame = frame.set_crs(given_crs, allow_override=True)
        check = check_coordinates(
            frame,
            name=path.name,
            park_epsg=config.crs_epsg if config else None,
            roads=roads if fmt != "OSM" and name != "sources" else None,
            swap_axes=swap_axes,
            from_gcj02=from_gcj02,
            not_gcj02=not_gcj02,
            accept_fixes=accept_fixes,
        )
        problems += check.problems
        if not check.ok:
            continue
        frame = check.frame
        supplied = {c for c in frame.columns if c != frame.geometry.name and c not in from_defaults}
        stored = _stored_rows(store, name, frame)
        frame, old = _keep_stored(frame, spec, stored, supplied, path, problems)
        if name == "parcels" and "status" not in supplied | from_defaults:
            new = ~old
            if "status" not in frame.columns:
                frame["status"] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
            planned = new & frame["status"].isna().to_numpy(dtype=bool)
            frame.loc[planned, "status"] = "planned"
            if planned.any():
                kept = " (parcels already in the park keep theirs)" if old.any() else ""
                problems.append(
                    file_problem(
                        path,
                        f"has no supply status (`status`): {int(planned.sum())} new parcel(s) imported as planned "
                        f"(规划){kept}; give another with a mapping file's defaults",
                        severity="repair",
                    )
                )
        checked[name] = _same_within_precision(frame, spec, stored, old, precision, fmt, path, problems)
    if any(p.severity == "error" for p in problems):
        raise refuse()

    created = False
    if store is None:
        try:
            config = _new_park_config(park, checked, park_id, park_name)
        except CRSError as exc:
            raise refuse([file_problem(path, str(exc))]) from None
    read = {name: len(frame) for name, frame in checked.items()}
    if dry_run:
        with tempfile.TemporaryDirectory() as tmp:
            check_store = store or create_park(Path(tmp) / "park.gpkg", config)
            try:
                reports = check_store.write_layers(checked, by=by, mode=mode, dry_run=True)
            except ValidationError as exc:
                raise refuse(exc.problems) from None
            finally:
                if store is None:
                    check_store.close()
        for report in reports.values():
            problems += report.problems
        return ImportReport(
            path, park, False, read, reports, _unique(problems), time.perf_counter() - started, dry_run=True
        )
    if store is None:
        store = create_park(park, config)
        created = True
    try:
        reports = store.write_layers(checked, by=by, mode=mode)
    except ValidationError as exc:
        if created:
            store.close()
            park.unlink(missing_ok=True)
        raise refuse(exc.problems) from None
    except BaseException:
        if created:
            store.close()
            park.unlink(missing_ok=True)
        raise
    for report in reports.values():
        problems += report.problems
    return ImportReport(path, park, created, read, reports, _unique(problems), time.perf_counter() - started)


def _unique(problems: list[Problem]) -> list[Problem]:
    """Each finding once: a duplicate id is flagged on every row that has it, with the same words."""
    seen: set[tuple] = set()
    out = []
    for p in problems:
        key = (p.severity, p.feature, p.parcel_id, p.field, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _what(layer: str) -> str:
    return (
        "parcel" if layer == "parcels" else "source" if layer == "sources" else f"{layer.removesuffix('_lines')} line"
    )


def _read(
    path: Path,
    fmt: str,
    target: str | None,
    source_layer: str | None,
    encoding: str | None,
    capacity_kva: float | None,
    problems: list[Problem],
) -> dict[str, gpd.GeoDataFrame]:
    """The file's features by store layer, with OSM tags and TXT fields already on the schema."""
    if fmt == "TXT":
        if target not in (None, "parcels"):
            problems.append(file_problem(path, f"a boundary-coordinate TXT holds parcels, not {target}"))
            return {}
        txt = read_txt(path, encoding=encoding)
        problems += txt.problems
        try:
            step = float(txt.header.get("精度", "0.001"))
        except ValueError:
            step = 0.001
        txt.parcels.attrs["precision_m"] = min(max(step, 0.001), 0.1) if np.isfinite(step) else 0.001
        return {"parcels": txt.parcels}
    if fmt == "OSM":
        layers, found = read_osm(path, capacity_kva=capacity_kva)
        if target is not None:
            left = [n for n in layers if n != target]
            if left:
                problems.append(
                    file_problem(path, f"only {target} imported (--layer); left out: {', '.join(left)}", "warning")
                )
            found = [p for p in found if p.field != "capacity_kva" or target == "sources"]
            layers = {n: f for n, f in layers.items() if n == target}
            if not layers:
                found.append(file_problem(path, f"holds no features for the {target} layer"))
        problems += found
        return layers
    result = read_vector(path, layer=source_layer, encoding=encoding, prefer_layer=target or "parcels")
    problems += result.problems
    if any(p.severity == "error" for p in result.problems):
        return {}
    frame = result.frame
    if not len(frame):
        problems.append(file_problem(path, f"layer {result.layer!r} holds no features"))
        return {}
    kinds = geometry_kinds(frame)
    if target is None:
        if is_osm_power(frame):
            target = "sources"
        elif is_osm_roads(frame):
            target = "road_lines"
        elif kinds <= {"polygon"} or ("polygon" in kinds and "parcel_id" in frame.columns):
            target = "parcels"
        elif kinds == {"point"}:
            target = "sources"
        else:
            problems.append(
                file_problem(
                    path,
                    f"holds {' and '.join(sorted(kinds)) or 'no'} geometries; say which layer they are for with "
                    "--layer (parcels, roads, water, drainage, power, telecom, gas, heat, sources)",
                )
            )
            return {}
    ids = _ids(frame, path)
    if target == "road_lines" and is_osm_roads(frame) and "road_class" not in frame.columns:
        frame, found = road_lines_from_highways(frame, ids=ids, what=f"file {path.name!r}")
        problems += found
    elif target == "sources" and is_osm_power(frame):
        frame, found = power_sources(frame, ids=ids, capacity_kva=capacity_kva, what=f"file {path.name!r}")
        problems += found
    return {target: frame}


def _ids(frame: gpd.GeoDataFrame, path: Path) -> pd.Series:
    """Feature ids for OSM-derived files: their OSM id, else the file name and the feature number."""
    for column in ("osm_id", "@id", "id"):
        if column in frame.columns and frame[column].notna().all():
            return frame[column].astype(str).str.replace("/", "-")
    return pd.Series([f"{path.stem}-{k + 1}" for k in range(len(frame))], index=frame.index)


def _clean_geometries(frame: gpd.GeoDataFrame, id_column: str, fmt: str, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Repeated points removed and, for GeoJSON, clockwise exterior rings reoriented; each reported per feature."""
    from planner.fields import flag

    geoms = frame.geometry.to_numpy()
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    usable[np.unique(owner[~np.isfinite(coords).all(axis=1)])] = False  # NaN is the validator's to report
    what = "parcel" if id_column == "parcel_id" else "feature"
    out = geoms.copy()
    before = shapely.get_num_coordinates(geoms[usable])
    cleaned = shapely.remove_repeated_points(geoms[usable], tolerance=0.0)
    after = shapely.get_num_coordinates(cleaned)
    repeated = np.zeros(len(frame), dtype=bool)
    repeated[np.flatnonzero(usable)[after < before]] = True
    removed = np.zeros(len(frame), dtype=int)
    removed[usable] = before - after
    out[usable] = cleaned
    problems += flag(
        frame,
        repeated,
        "repair",
        "geometry",
        lambda p: (
            f"{removed[p]} repeated point(s) removed (a point the same as the one before, e.g. a doubled closing point)"
        ),
        id_column=id_column,
        what=what,
    )
    polygonal = usable & np.isin(shapely.get_type_id(out), [3, 6])
    if fmt == "GeoJSON" and polygonal.any():
        oriented = shapely.orient_polygons(out[polygonal])
        turned = np.zeros(len(frame), dtype=bool)
        turned[np.flatnonzero(polygonal)] = ~shapely.equals_exact(oriented, out[polygonal], tolerance=0.0)
        problems += flag(
            frame,
            turned,
            "repair",
            "geometry",
            "ring orientation: RFC 7946 GeoJSON wants exterior rings counter-clockwise and holes clockwise; reoriented",
            id_column=id_column,
            what=what,
        )
        out[polygonal] = oriented
    return frame.set_geometry(gpd.GeoSeries(out, index=frame.index, crs=frame.crs))


def _new_park_config(
    park: Path, frames: dict[str, gpd.GeoDataFrame], park_id: str | None, park_name: str | None
) -> ParkConfig:
    """A new park's configuration: its Gauss–Krüger zone from the data's middle longitude."""
    lons = []
    for frame in frames.values():
        geoms = frame.geometry.to_numpy()
        present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        if not present.any() or frame.crs is None:
            continue
        xy = shapely.get_coordinates(geoms[present])
        xy = xy[np.isfinite(xy).all(axis=1)]
        lon, _ = transformer(pyproj.CRS(frame.crs).to_wkt(), f"EPSG:{CGCS2000}").transform(xy[:, 0], xy[:, 1])
        lons.append(np.asarray(lon))
    if not lons or not np.concatenate(lons).size:
        raise CRSError("the file has no coordinates to choose the park's Gauss–Krüger zone from")
    lon = float(np.nanmedian(np.concatenate(lons)))
    if park_id is None and "parcels" in frames and "park_id" in frames["parcels"]:
        given = frames["parcels"]["park_id"].dropna().astype(str).unique()
        park_id = str(given[0]) if len(given) == 1 else None  # the park the parcels say they belong to
    fallback = re.sub(r"[^\w.-]", "_", park.stem).lstrip("_.-") or "park"  # a file name may hold spaces
    return ParkConfig(park_id=park_id or fallback, name=park_name or park.stem, crs_epsg=gk_epsg(lon))


_GEOJSON_PRECISION_M = 2e-3
"""What the 8 decimals of a degree the GeoJSON export writes keep (≤ 1.1 mm per vertex, rounded)."""
_FLOAT_RTOL = 1e-9
"""Numbers within this relative difference of the stored ones are the stored ones (a .dbf keeps ~15 digits)."""


def _precision_m(fmt: str, frames: dict[str, gpd.GeoDataFrame]) -> float | None:
    """How far (m) the format may move a vertex of an unchanged feature: GeoJSON's decimals, a TXT's 精度."""
    if fmt == "GeoJSON":
        return _GEOJSON_PRECISION_M
    if fmt == "TXT" and "parcels" in frames:
        return float(frames["parcels"].attrs.get("precision_m", 0.001))
    return None


def _drop_derived(frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Columns the planner derives (readiness, idle land) are its own: left out of an import, each reported once."""
    derived = [c for c in frame.columns if c in spec.by_name and spec.by_name[c].origin == "derived"]
    for column in derived:
        group = spec.by_name[column].group
        command = {"readiness": "planner readiness", "idle": "planner idle"}.get(group, "the planner's analyses")
        problems.append(
            Problem(
                "warning",
                None,
                column,
                f"`{column}` is derived by the planner ({group}); the file's values were not imported "
                f"({command} computes them)",
                feature=f"file {path.name!r}",
            )
        )
    return frame.drop(columns=derived) if derived else frame


def _ids_of(frame: pd.DataFrame, key: str) -> pd.Series:
    """The ids as the store keeps them (text; None where missing), aligned with ``frame``."""
    if key not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return pd.Series(feature_ids(frame, key), index=frame.index, dtype=object)


def _stored_rows(store: ParkStore | None, name: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The stored features that have the ids of ``frame``, indexed by id (``None`` without a park)."""
    key = LAYERS[name].id_column
    if store is None or key not in frame.columns:
        return None
    ids = _ids_of(frame, key).dropna().unique().tolist()
    if not ids:
        return None
    stored = store.read_layer(name, ids=ids)
    return stored.set_index(key, drop=False) if len(stored) else None


def _keep_stored(
    frame: gpd.GeoDataFrame,
    spec: LayerSpec,
    stored: gpd.GeoDataFrame | None,
    supplied: set[str],
    path: Path,
    problems: list[Problem],
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Features already in the park keep their stored values of the columns the file does not supply.

    The store writes a row as it is given; an import supplies only the file's columns (after
    mapping), so the others are taken from the stored row here. A column only a mapping
    default fills keeps the default for new features only. Returns the frame and which rows
    are already stored.
    """
    key = spec.id_column
    if stored is None:
        return frame, np.zeros(len(frame), dtype=bool)
    ids = _ids_of(frame, key)
    old = ids.isin(stored.index).to_numpy(dtype=bool)
    if not old.any():
        return frame, old
    keep = [
        c
        for c in spec.columns
        if c not in supplied and c not in (key, "park_id") and spec.by_name[c].origin in ("input", "derived")
    ]
    frame = frame.copy()
    for column in keep:
        values = stored[column].reindex(ids.where(old).to_numpy())
        values = pd.Series(values.array, index=frame.index)
        if column in frame.columns:  # filled by a mapping default: that is for new features
            frame[column] = frame[column].astype(object).where(~old, values.astype(object))
        else:
            frame[column] = values
    shown = [c for c in keep if spec.by_name[c].origin == "input"]
    if shown:
        what = "parcel" if key == "parcel_id" else "feature"
        listed = ", ".join(f"`{c}`" for c in shown[:12]) + (f" and {len(shown) - 12} more" if len(shown) > 12 else "")
        problems.append(
            file_problem(
                path,
                f"{int(old.sum())} {what}(s) already in the park keep their stored values of the columns "
                f"the file does not have: {listed}",
                severity="repair",
            )
        )
    return frame, old


def _same_within_precision(
    frame: gpd.GeoDataFrame,
    spec: LayerSpec,
    stored: gpd.GeoDataFrame | None,
    old: np.ndarray,
    precision: float | None,
    fmt: str,
    path: Path,
    problems: list[Problem],
) -> gpd.GeoDataFrame:
    """Stored features the file repeats within its format's precision are given back unchanged.

    A shape whose vertices all lie within ``precision`` of the stored ones (GeoJSON's
    decimals, a TXT's 精度) takes the stored shape, and a number within a relative 1e-9
    of the stored one (a .dbf keeps about 15 digits) the stored number, so that re-importing
    an unchanged export is no edit. The store's own tolerance for edits stays 0.1 mm.
    """
    if stored is None or not old.any():
        return frame
    key = spec.id_column
    ids = _ids_of(frame, key).where(old).to_numpy()
    rows = np.flatnonzero(old)
    before = stored.loc[ids[rows]]
    frame = frame.copy()
    if precision is not None and frame.crs is not None:
        mine = frame.geometry.iloc[rows].to_crs(stored.crs).to_numpy()
        theirs = before.geometry.to_numpy()
        both = ~shapely.is_missing(mine) & ~shapely.is_missing(theirs)
        near = np.zeros(len(rows), dtype=bool)
        with np.errstate(all="ignore"):
            near[both] = shapely.hausdorff_distance(mine[both], theirs[both]) <= precision
            near[both] &= shapely.get_num_geometries(mine[both]) == shapely.get_num_geometries(theirs[both])
            near[both] &= shapely.get_num_interior_rings(mine[both]) == shapely.get_num_interior_rings(theirs[both])
        if near.any():
            back = before.geometry[near].to_crs(frame.crs).to_numpy()
            geoms = frame.geometry.to_numpy().copy()
            geoms[rows[near]] = back
            frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
            problems.append(
                file_problem(
                    path,
                    f"{int(near.sum())} shape(s) within {precision * 1000:g} mm of the stored ones (what {fmt} "
                    "keeps) taken as unchanged",
                    severity="repair",
                )
            )
    for column in frame.columns:
        f = spec.by_name.get(column)
        if f is None or f.kind != "float" or f.origin != "input":
            continue
        given = pd.to_numeric(frame[column].iloc[rows], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        kept = before[column].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(all="ignore"):
            close = np.isfinite(given) & np.isfinite(kept) & (given != kept)
            close &= np.abs(given - kept) <= _FLOAT_RTOL * np.abs(kept)
        if close.any():
            values = frame[column].astype(object).to_numpy().copy()
            values[rows[close]] = kept[close]
            frame[column] = values
    return frame
