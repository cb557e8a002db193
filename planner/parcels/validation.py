"""Validation of parcel input: every problem names the parcel and the field.

:func:`validate_parcels` parses and checks a parcel layer against the schema
and the rules below, reprojects it to the park's Gauss–Krüger zone and computes
its areas. It never raises for bad records: it returns the problems, each an
``error`` (the write is refused), a ``warning`` (stored, worth a look) or a
``repair`` (the input was changed and the change is reported). The store calls
:meth:`ParcelCheck.raise_for_errors` before it writes anything.

Rules checked, beyond types and allowed values (:mod:`planner.fields`):

- geometry: present, non-empty, Polygon or MultiPolygon, finite, valid, inside
  China; Z values dropped (reported); parcels far outside their zone warned;
- ``parcel_id`` present and unique; ``park_id`` the store's park;
- ``land_use`` a code of ``data/land_use_codes.csv``; ``industry`` and
  ``zone_industries`` GB/T 4754-2017 codes with section letter;
- dates in order: no start (agreed or actual) before the contract, no agreed
  completion before the agreed start, no halt before the actual start;
- the idle-land disposal record against 闲置土地处置办法 arts. 5–14
  (:func:`planner.parcels.disposal.check_disposals`);
- quantities: no money or area below zero; no building footprint larger than
  the parcel;
- status against dates: supplied land has a contract; land under construction
  or producing has started (warnings);
- declared areas more than 1% off the computed ones (warning);
- parcels that overlap each other by more than 1 m² (error; smaller overlaps,
  the noise of digitising, are warnings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner.codes import industry_code_problem, land_use_codes, split_codes
from planner.crs import CGCS2000, central_meridian, check_in_china, transformer, zone_of_epsg
from planner.errors import Problem, ValidationError
from planner.fields import active_geometry, check_columns, check_geometry, drop_z, dtype_of, flag, problem_rows
from planner.parcels.area import compute_areas
from planner.parcels.disposal import check_disposals
from planner.parcels.row_rules import check_dates, check_quantities, check_status
from planner.parcels.schema import FIELD_BY_NAME, FIELDS, coerce_types

__all__ = [
    "DECLARED_AREA_TOLERANCE",
    "OVERLAP_ERROR_M2",
    "WHOLE_PARCEL_COLUMNS",
    "ParcelCheck",
    "check_row_rules",
    "overlaps",
    "validate_parcels",
]

DECLARED_AREA_TOLERANCE = 0.01
"""A declared area more than 1% off the computed one is reported."""
OVERLAP_ERROR_M2 = 1.0
"""Two parcels overlapping by more than this are refused."""
_ZONE_HALF_WIDTH_DEG = 1.5
_ZONE_SLACK_DEG = 0.5


@dataclass
class ParcelCheck:
    """The checked parcels (canonical dtypes, park CRS, areas computed) and the problems found."""

    parcels: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)

    def by_severity(self, severity: str) -> list[Problem]:
        """The problems of one severity: ``error``, ``warning`` or ``repair``."""
        return [p for p in self.problems if p.severity == severity]

    @property
    def errors(self) -> list[Problem]:
        """The errors: the parcels are refused while there is one."""
        return self.by_severity("error")

    @property
    def warnings(self) -> list[Problem]:
        """The warnings: stored, but worth a look."""
        return self.by_severity("warning")

    @property
    def repairs(self) -> list[Problem]:
        """The repairs: input changed, and the change reported."""
        return self.by_severity("repair")

    @property
    def ok(self) -> bool:
        """No error: the parcels can be written."""
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise :class:`ValidationError` listing every error, if there is one."""
        if self.errors:
            raise ValidationError(self.problems)

    def report(self) -> pd.DataFrame:
        """The problems as a table (severity, parcel_id, row, field, message)."""
        columns = ["severity", "parcel_id", "row", "field", "message"]
        return pd.DataFrame([p.as_dict() for p in self.problems], columns=columns)


def validate_parcels(
    parcels: gpd.GeoDataFrame,
    *,
    crs_epsg: int,
    park_id: str | None = None,
) -> ParcelCheck:
    """Parse and check parcel input, reproject it to ``crs_epsg`` and compute its areas.

    Parameters
    ----------
    parcels
        Parcel input with a CRS (any: CGCS2000 or WGS84 lon/lat, a Gauss–Krüger zone).
    crs_epsg
        The park's storage CRS (EPSG:4534–4554).
    park_id
        The store's park: an empty ``park_id`` is set to it (reported), another one refused.

    Returns
    -------
    ParcelCheck
        All schema columns in schema order; refused values set to missing.
    """
    zone, _ = zone_of_epsg(crs_epsg)
    parcels = active_geometry(parcels, what="parcel")
    if parcels.crs is None:
        msg = (
            "the parcels have no CRS; set it with `set_crs()`: EPSG:4490 for CGCS2000 lon/lat, "
            f"EPSG:{crs_epsg} for the park's Gauss–Krüger zone"
        )
        zh = (
            "宗地没有坐标系：请用 `set_crs()` 设定，CGCS2000 经纬度为 EPSG:4490，"
            f"园区所在的高斯–克吕格投影带为 EPSG:{crs_epsg}"
        )
        return ParcelCheck(parcels, [Problem("error", None, "geometry", msg, zh=zh)])
    given_park_id = "park_id" in parcels.columns

    out, problems = check_columns(parcels, FIELD_BY_NAME, id_column="parcel_id", what="parcel")
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=parcels.crs)
    for f in FIELDS:
        if f.name not in out.columns:
            out[f.name] = pd.Series([None] * len(out), index=out.index, dtype=dtype_of(f.kind))
    problems += check_geometry(out, "parcel_id", allowed=_POLYGONAL, type_text="Polygon or MultiPolygon", what="parcel")
    bad_geometry = np.zeros(len(out), dtype=bool)
    bad_geometry[problem_rows(p for p in problems if p.field == "geometry" and p.severity == "error")] = True
    out, z_repairs = drop_z(out, "parcel_id", what="parcel")
    problems += z_repairs
    geoms = out.geometry.to_numpy().copy()
    usable = ~shapely.is_missing(geoms) & ~bad_geometry
    geoms[~usable] = None
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=parcels.crs))

    out, crs_problems = _to_park_crs(out, crs_epsg, usable)
    problems += crs_problems
    problems += _check_zone(out, zone)

    problems += _check_park(out, park_id, report_fill=given_park_id)
    problems += _check_codes(out)
    areas = compute_areas(out.geometry)
    problems += _replace_computed(out, areas)
    for name in areas.columns:
        out[name] = areas[name]
    problems += check_row_rules(out)
    problems += _check_overlaps(out)

    out = coerce_types(out[[f.name for f in FIELDS if f.kind != "geometry"] + ["geometry"]])
    out["geometry"] = _as_multipolygons(out.geometry.to_numpy())
    problems.sort(
        key=lambda p: ({"error": 0, "warning": 1, "repair": 2}[p.severity], p.row if p.row is not None else -1)
    )
    return ParcelCheck(gpd.GeoDataFrame(out, geometry="geometry", crs=f"EPSG:{crs_epsg}"), problems)


_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def _as_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Polygons as one-part MultiPolygons, the parcel layer's single geometry type."""
    geoms = geoms.copy()
    polys = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
    if polys.any():
        geoms[polys] = shapely.multipolygons(geoms[polys], indices=np.arange(int(polys.sum())))
    return geoms


_OUTSIDE_HINTS = {
    "swapped": (
        "; the coordinates look like lat/lon swapped: the longitude comes first",
        "：坐标似乎经纬度颠倒了，应经度在前",
    ),
    "projected": ("; projected coordinates given as degrees?", "：是否把投影坐标当作了经纬度？"),
    "": ("", ""),
}
"""What a parcel in degrees outside China may be, in English and Chinese (no guess: nothing)."""


def _outside_china(lon: float, lat: float, lang: str) -> str:
    """A parcel at ``lon``, ``lat`` (degrees) lies outside China, in ``lang``: with the likely slip (axes swapped,
    projected numbers given as degrees)."""
    swapped = bool(check_in_china(np.asarray(lat), np.asarray(lon)))
    guess = "swapped" if swapped else "projected" if abs(lon) > 180 or abs(lat) > 90 else ""
    en, zh = _OUTSIDE_HINTS[guess]
    if lang == "zh":
        return f"宗地位于经度 {lon:.6f}、纬度 {lat:.6f}，在中国境外{zh}"
    return f"the parcel at lon {lon:.6f}, lat {lat:.6f} lies outside China{en}"


def _to_park_crs(out: gpd.GeoDataFrame, crs_epsg: int, usable: np.ndarray) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    problems: list[Problem] = []
    crs = pyproj.CRS(out.crs)
    geoms = out.geometry.to_numpy().copy()
    if crs.is_geographic:
        centers = shapely.centroid(geoms[usable])
        lon, lat = shapely.get_x(centers), shapely.get_y(centers)
        lon, lat = _spread(lon, usable), _spread(lat, usable)
        outside = usable & ~check_in_china(lon, lat)

        def where(pos: int) -> str:
            return _outside_china(lon[pos], lat[pos], "en")

        def where_zh(pos: int) -> str:
            return _outside_china(lon[pos], lat[pos], "zh")

        problems += flag(out, outside, "error", "geometry", where, zh=where_zh)
        geoms[outside] = None
    if crs.to_epsg() != crs_epsg:
        keep = ~shapely.is_missing(geoms)
        to_park = transformer(crs.to_wkt(), f"EPSG:{crs_epsg}")
        geoms[keep] = shapely.transform(geoms[keep], lambda xy: np.column_stack(to_park.transform(xy[:, 0], xy[:, 1])))
        finite = np.ones(len(geoms), dtype=bool)
        finite[keep] = np.isfinite(shapely.bounds(geoms[keep])).all(axis=1)
        problems += flag(
            out,
            ~finite,
            "error",
            "geometry",
            f"the geometry cannot be projected to EPSG:{crs_epsg}; "
            "is the input CRS right (zone, zone prefix, axis order)?",
            zh=f"图形无法投影到 EPSG:{crs_epsg}：输入的坐标系是否正确（投影带、带号前缀、坐标轴顺序）？",
        )
        geoms[~finite] = None
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=f"EPSG:{crs_epsg}"))
    if not crs.is_geographic:
        problems += _check_projected_in_china(out)
    return out, problems


def _lon_lat(out: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """CGCS2000 lon/lat of each parcel's centroid (NaN where there is no geometry)."""
    geoms = out.geometry.to_numpy()
    keep = ~shapely.is_missing(geoms)
    centers = shapely.centroid(geoms[keep])
    lon, lat = transformer(out.crs.to_wkt(), f"EPSG:{CGCS2000}").transform(
        shapely.get_x(centers), shapely.get_y(centers)
    )
    return _spread(lon, keep), _spread(lat, keep)


def _spread(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Values for the rows where ``where`` holds, NaN elsewhere."""
    out = np.full(len(where), np.nan)
    out[where] = values
    return out


def _check_projected_in_china(out: gpd.GeoDataFrame) -> list[Problem]:
    lon, lat = _lon_lat(out)
    outside = np.isfinite(lon) & ~check_in_china(lon, lat)
    return flag(
        out,
        outside,
        "error",
        "geometry",
        lambda p: (
            f"the parcel falls at lon {lon[p]:.4f}, lat {lat[p]:.4f}, outside China; "
            "is the input CRS right (zone, zone prefix, axis order)?"
        ),
        zh=lambda p: (
            f"宗地落在经度 {lon[p]:.4f}、纬度 {lat[p]:.4f}，在中国境外："
            "输入的坐标系是否正确（投影带、带号前缀、坐标轴顺序）？"
        ),
    )


def _check_zone(out: gpd.GeoDataFrame, zone: int) -> list[Problem]:
    lon, _ = _lon_lat(out)
    cm = central_meridian(zone)
    off = np.abs(lon - cm)
    far = np.isfinite(off) & (off > _ZONE_HALF_WIDTH_DEG + _ZONE_SLACK_DEG)
    return flag(
        out,
        far,
        "warning",
        "geometry",
        lambda p: (
            f"the parcel lies {off[p]:.2f}° from the zone's central meridian {cm:g}°E (zone {zone} spans ±1.5°); "
            "its planar area carries a large projection scale"
        ),
        zh=lambda p: f"宗地距投影带中央经线 {cm:g}°E {off[p]:.2f}°（{zone} 带范围为 ±1.5°）：其平面面积的投影变形较大",
    )


def _check_park(out: gpd.GeoDataFrame, park_id: str | None, *, report_fill: bool) -> list[Problem]:
    if park_id is None:
        return []
    problems = []
    empty = out["park_id"].isna() if "park_id" in out else pd.Series(True, index=out.index)
    if empty.any():
        out.loc[empty, "park_id"] = park_id
    if empty.any() and report_fill:
        problems.append(
            Problem(
                "repair",
                None,
                "park_id",
                f"`park_id` was empty for {int(empty.sum())} parcel(s) and was set to {park_id!r}",
                zh=f"{int(empty.sum())} 宗地块的 `park_id` 为空，已填为 {park_id!r}",
            )
        )
    other = (out["park_id"].notna() & (out["park_id"] != park_id)).to_numpy()
    foreign = out["park_id"].to_numpy()
    problems += flag(
        out,
        other,
        "error",
        "park_id",
        lambda p: f"park {foreign[p]!r} is not this store's park {park_id!r}",
        zh=lambda p: f"园区 {foreign[p]!r} 不是本数据库的园区 {park_id!r}",
    )
    out.loc[other, "park_id"] = park_id
    return problems


Note = tuple[str, str]
"""A note in English and in Chinese."""
Verdict = tuple[str | None, Note | None, Note | None]
"""What to store of a code, the note of a repair, the error (each ``None`` where there is none)."""


def _land_use_verdict(value: str) -> Verdict:
    """(code to store, repair note, error) for one land-use value."""
    codes = land_use_codes()
    if value in codes.index:
        return value, None, None
    by_name = {name: code for code, name in codes["name_zh"].items()}
    if value in by_name:
        return (
            by_name[value],
            (f"{value!r} read as code {by_name[value]}", f"{value!r} 读作代码 {by_name[value]}"),
            None,
        )
    return (
        None,
        None,
        (
            f"{value!r} is not a 用地用海分类 code; industrial land is 100101 (一类), 100102 (二类), "
            "100103 (三类); see data/land_use_codes.csv",
            f"{value!r} 不是用地用海分类代码：工业用地为 100101（一类）、100102（二类）、100103（三类），"
            "详见 data/land_use_codes.csv",
        ),
    )


def _industry_verdict(value: str, *, single: bool) -> Verdict:
    """(codes to store, repair note, error) for one industry or zoning value."""
    parts = split_codes(value)
    if not parts:
        return None, (f"{value!r} holds no code and was left empty", f"{value!r} 不含代码，已留空"), None
    if single and len(parts) != 1:
        return None, None, (f"{value!r} must be one industry code, e.g. C3670", f"{value!r} 须为一个行业代码，如 C3670")
    bad = [p for p in parts if industry_code_problem(p)]
    if bad:
        en = "; ".join(str(industry_code_problem(p)) for p in bad)
        return None, None, (en, "；".join(str(industry_code_problem(p, "zh")) for p in bad))
    normal = ",".join(parts)
    note = (f"{value!r} written as {normal!r}", f"{value!r} 写作 {normal!r}")
    return normal, (note if normal != value else None), None


_JUDGES: Mapping[str, Callable[[str], Verdict]] = {
    "land_use": _land_use_verdict,
    "industry": partial(_industry_verdict, single=True),
    "zone_industries": partial(_industry_verdict, single=False),
}
"""How each code column's values are judged."""

WHOLE_PARCEL_COLUMNS = frozenset({"geometry", "park_id", "declared_area_mu", *_JUDGES})
"""Columns whose check needs more than the value and the parcel's other columns: its shape and areas,
the code tables. An edit of any other columns is checked by :func:`planner.fields.check_columns` on
those columns and :func:`check_row_rules` on the edited parcel, which is what :func:`validate_parcels`
checks of them."""


def check_row_rules(parcels: pd.DataFrame) -> list[Problem]:
    """The rules between the columns of each parcel, on parcels already in canonical dtypes (a stored one, edited).

    Dates in order, the idle-land procedure, status against its records, quantities against
    the area: the checks :func:`validate_parcels` makes after each value's own, other than
    codes, areas, geometry and overlaps.
    """
    return [*check_dates(parcels), *check_disposals(parcels), *check_status(parcels), *check_quantities(parcels)]


def _check_codes(out: gpd.GeoDataFrame) -> list[Problem]:
    """Land-use and industry codes, judged once per distinct value and reported per parcel."""
    problems: list[Problem] = []
    for name, judge in _JUDGES.items():
        values = out[name]
        verdicts = {v: judge(v) for v in pd.unique(values.dropna())}
        stored = values.map(lambda v: verdicts[v][0] if v in verdicts else None)
        for severity, k in (("repair", 1), ("error", 2)):
            notes = values.map(lambda v: verdicts[v][k] if v in verdicts else None)
            problems += flag(
                out, notes.notna().to_numpy(), severity, name, lambda p: notes.iloc[p][0], zh=lambda p: notes.iloc[p][1]
            )
        out[name] = stored.astype(object).where(stored.notna(), None)
    return problems


def _replace_computed(out: gpd.GeoDataFrame, areas: pd.DataFrame) -> list[Problem]:
    problems = []
    for name in areas.columns:
        given = pd.to_numeric(out[name], errors="coerce").to_numpy(dtype=float)
        computed = areas[name].to_numpy()
        differs = np.isfinite(given) & np.isfinite(computed) & (np.abs(given - computed) > 1e-4 * np.abs(computed))
        problems += flag(
            out,
            differs,
            "repair",
            name,
            lambda p: (
                f"{given[p]:.6g} from the input replaced by the computed {computed[p]:.6g} "
                "(areas come from the geometry)"
            ),
            zh=lambda p: f"输入的 {given[p]:.6g} 已改为计算值 {computed[p]:.6g}（面积由图形计算）",
        )
    declared = out["declared_area_mu"].to_numpy(dtype=float)
    computed = areas["area_mu"].to_numpy()
    off = (
        np.isfinite(declared)
        & np.isfinite(computed)
        & (np.abs(declared - computed) > DECLARED_AREA_TOLERANCE * computed)
    )
    problems += flag(
        out,
        off,
        "warning",
        "declared_area_mu",
        lambda p: (
            f"declared {declared[p]:.2f} mu differs from the computed {computed[p]:.2f} mu "
            f"by {100 * (declared[p] - computed[p]) / computed[p]:+.1f}% (over 1%)"
        ),
        zh=lambda p: (
            f"申报面积 {declared[p]:.2f} 亩与计算面积 {computed[p]:.2f} 亩相差 "
            f"{100 * (declared[p] - computed[p]) / computed[p]:+.1f}%（超过 1%）"
        ),
    )
    return problems


def _check_overlaps(out: gpd.GeoDataFrame) -> list[Problem]:
    geoms = out.geometry.to_numpy()
    usable = ~shapely.is_missing(geoms) & shapely.is_valid(geoms)
    ids = out["parcel_id"].to_numpy(dtype=object)
    valid = geoms.copy()
    valid[~usable] = None  # invalid shapes are refused already; GEOS cannot relate them
    return overlaps(valid, ids, valid, ids, within=True)


def overlaps(
    geoms: np.ndarray, ids: np.ndarray, others: np.ndarray, other_ids: np.ndarray, *, within: bool = False
) -> list[Problem]:
    """Parcels of ``geoms`` whose interiors overlap parcels of ``others``, found with a spatial index.

    An overlap over :data:`OVERLAP_ERROR_M2` is an error, a smaller one a warning
    (the noise of digitising). ``within=True`` compares a layer with itself, each
    pair once. The problem's row is the position in ``geoms``.
    """
    if not len(geoms) or not len(others):
        return []
    mine, theirs = shapely.STRtree(others).query(geoms, predicate="intersects")
    if within:
        keep = mine < theirs
        mine, theirs = mine[keep], theirs[keep]
    inside = shapely.relate_pattern(geoms[mine], others[theirs], "T********")
    mine, theirs = mine[inside], theirs[inside]
    area = shapely.area(shapely.intersection(geoms[mine], others[theirs]))
    return [
        Problem(
            "error" if a > OVERLAP_ERROR_M2 else "warning",
            ids[m],
            "geometry",
            f"overlaps parcel {other_ids[t] if other_ids[t] is not None else f'in row {t}'!r} by {a:.2f} m²",
            row=int(m),
            zh=f"与宗地 {other_ids[t] if other_ids[t] is not None else f'第 {t} 行'!r} 重叠 {a:.2f} 平方米",
        )
        for m, t, a in zip(mine, theirs, area, strict=True)
        if a > 1e-6
    ]
