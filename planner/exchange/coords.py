"""Sanity checks of incoming coordinates, with fixes where the cause is unambiguous.

Files from surveyors and web maps go wrong in a few known ways, each caught here with a
message that says what the coordinates look like and how to fix it:

- no CRS (a Shapefile without ``.prj``): lon/lat degrees in China → EPSG:4490; eastings
  with a zone prefix → that zone's Gauss–Krüger CRS (EPSG:4513–4533); eastings without
  prefix → the park's zone, if there is a park;
- lat/lon swapped (or X/Y swapped, as surveyors write northing first);
- projected metres labelled as geographic degrees;
- a Gauss–Krüger easting with a zone prefix the CRS does not have, or without one it has;
- coordinates outside China;
- a CRS that cannot be brought to CGCS2000 accurately: a local (engineering) CRS, or a
  datum other than CGCS2000/WGS84 (Xi'an 1980, Beijing 1954 need local parameters);
- GCJ-02 offsets (web maps of Gaode/Tencent): detected by comparing the features with
  the park's road network where there is one (features within the network's extent
  that lie much nearer the roads once shifted back, by no more than the shift can
  explain); otherwise by the explicit ``from_gcj02``; ``not_gcj02`` skips the check.

A fix is applied when asked for (``accept_fixes``, or the explicit option the message
names), and then reported as a repair; otherwise the finding refuses the import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from planner.crs import (
    CGCS2000,
    FIRST_ZONE,
    LAST_ZONE,
    check_in_china,
    gcj02_to_wgs84,
    gk_epsg,
    is_gk_epsg,
    transformer,
    wgs84_to_gcj02,
    zone_of_epsg,
)
from planner.errors import CRSError, Problem
from planner.exchange.crs_check import crs_problem

__all__ = ["CoordinateCheck", "check_coordinates", "crs_problem", "gcj02_distances", "middle_longitude"]

_PREFIX = 1_000_000.0
_NORTHING = (250_000.0, 6_200_000.0)  # 2.3°N to 56°N, metres from the equator
_EASTING = (50_000.0, 950_000.0)  # within a 3- or 6-degree zone, false easting 500 km
GCJ02_RATIO = 0.5
"""Shifted back from GCJ-02, features must sit at most this fraction of their distance to the roads."""
GCJ02_MIN_GAIN_M = 20.0
GCJ02_INSIDE = 0.5
"""At least this share of the features' points must lie within the road network's extent to judge GCJ-02 by it."""
_SAMPLE = 4000


@dataclass
class CoordinateCheck:
    """The frame with its CRS settled (and fixes applied), and the findings."""

    frame: gpd.GeoDataFrame
    problems: list[Problem]
    outside_china: bool = False
    """The features lie wholly outside China: the file is refused by its location before anything else."""

    @property
    def ok(self) -> bool:
        """No finding refuses the frame."""
        return not any(p.severity == "error" for p in self.problems)


class _Findings:
    """The frame as the checks go (fixes applied where accepted) and what they found."""

    def __init__(self, frame: gpd.GeoDataFrame, name: str, *, accept_fixes: bool) -> None:
        self.frame = frame
        self.feature = f"file {name!r}"
        self.accept_fixes = accept_fixes
        self.problems: list[Problem] = []
        self.outside_china = False

    def note(self, severity: str, message: str, zh: str) -> None:
        """A finding about the whole file, in English and Chinese."""
        self.problems.append(Problem(severity, None, None, message, feature=self.feature, zh=zh))

    def propose(self, message: str, zh: str, fix: str, epsg: int | None, swap: bool) -> None:
        """A finding with an unambiguous fix: applied with ``accept_fixes``, else it refuses the file."""
        if not self.accept_fixes:
            self.note(
                "error",
                f"{message}; rerun with {fix} (or --accept-fixes to take this fix)",
                f"{zh}：请加 {fix} 重新运行（或用 --accept-fixes 采用此修正）",
            )
            return
        if swap:
            self.frame = _swap(self.frame)
        if epsg is not None:
            self.frame = self.frame.set_crs(epsg, allow_override=True)
        self.note(
            "repair",
            f"{message}; fixed ({fix}, accepted with --accept-fixes)",
            f"{zh}：已修正（{fix}，经 --accept-fixes 采用）",
        )

    @property
    def refused(self) -> bool:
        """Whether a finding refuses the file."""
        return any(p.severity == "error" for p in self.problems)

    def result(self) -> CoordinateCheck:
        """The frame as it now is, and the findings."""
        return CoordinateCheck(self.frame, self.problems, self.outside_china)


def check_coordinates(
    frame: gpd.GeoDataFrame,
    *,
    name: str,
    park_epsg: int | None = None,
    roads: gpd.GeoDataFrame | None = None,
    swap_axes: bool = False,
    from_gcj02: bool = False,
    not_gcj02: bool = False,
    accept_fixes: bool = False,
) -> CoordinateCheck:
    """Check and, where asked, fix the coordinates of ``frame`` (CRS as the file states it).

    Parameters
    ----------
    frame
        Features as read; its CRS may be missing.
    name
        The file's name, for messages.
    park_epsg
        The park's storage CRS, if the park exists (its zone is the likely one of eastings
        without prefix).
    roads
        The park's road lines (park CRS), to detect GCJ-02 offsets.
    swap_axes
        Swap x and y before anything else (lat/lon or northing/easting given first).
    from_gcj02
        The lon/lat are GCJ-02: move them to WGS84/CGCS2000.
    not_gcj02
        The coordinates are not GCJ-02: skip the comparison with the roads.
    accept_fixes
        Apply the fix each finding proposes (reported as a repair) instead of refusing.
    """
    found = _Findings(frame, name, accept_fixes=accept_fixes)
    xy = _coordinates(frame)
    if not len(xy):
        return found.result()
    if swap_axes:
        found.frame = _swap(found.frame)
        xy = xy[:, ::-1]
        found.note("repair", "x and y swapped, as asked (--swap-axes)", "已按要求交换 x 与 y（--swap-axes）")
    x, y = float(np.median(xy[:, 0])), float(np.median(xy[:, 1]))
    crs = pyproj.CRS(found.frame.crs) if found.frame.crs is not None else None
    problem = crs_problem(crs) if crs is not None else None
    if problem is not None:
        found.note("error", *problem)
        return found.result()
    if crs is None:
        _check_without_crs(found, x, y, park_epsg)
    elif crs.is_geographic:
        _check_degrees(found, x, y, park_epsg)
    else:
        _check_gauss_kruger(found, crs.to_epsg(), xy, x, y)
    # the CRS is settled: the features must lie in China
    if found.refused or not _check_in_china(found):
        return found.result()
    if from_gcj02:
        found.frame, moved = _from_gcj02(found.frame)
        found.note(
            "repair",
            f"moved from GCJ-02 (web-map coordinates) to CGCS2000/WGS84, by {moved:,.0f} m (median)",
            f"已由 GCJ-02（网络地图坐标）转换到 CGCS2000/WGS84，移动 {moved:,.0f} 米（中位数）",
        )
    elif roads is not None and len(roads) and not not_gcj02:
        _check_gcj02(found, roads)
    return found.result()


def _in_china(lon: float, lat: float) -> bool:
    return bool(check_in_china(np.asarray(lon), np.asarray(lat)))


def _check_without_crs(found: _Findings, x: float, y: float, park_epsg: int | None) -> None:
    """A file without CRS: the CRS its coordinates fit, proposed."""
    guess = _guess(x, y, park_epsg)
    if guess is None:
        found.note(
            "error",
            f"the file has no CRS (a Shapefile without .prj?) and its coordinates (x {x:,.3f}, y {y:,.3f}) "
            "fit no CRS used in China; give it with --crs (4490 for CGCS2000 lon/lat, 4527 for zone 39 "
            "with prefix, …)",
            f"文件没有坐标系（Shapefile 缺 .prj？），其坐标（x {x:,.3f}，y {y:,.3f}）不符合中国使用的任何坐标系："
            "请用 --crs 给出（CGCS2000 经纬度为 4490，带带号的 39 带为 4527……）",
        )
        return
    epsg, swap, text, text_zh = guess
    found.propose(
        f"the file has no CRS (a Shapefile without .prj?); its coordinates look like {text}",
        f"文件没有坐标系（Shapefile 缺 .prj？）；其坐标看来是{text_zh}",
        _fix_text(epsg, swap),
        epsg,
        swap,
    )


def _check_degrees(found: _Findings, x: float, y: float, park_epsg: int | None) -> None:
    """A geographic CRS: lat/lon swapped, metres labelled as degrees, or a place outside China."""
    if not _in_china(x, y) and _in_china(y, x):
        found.propose(
            f"the coordinates look like lat/lon swapped: lon {x:.6f}, lat {y:.6f} lies outside China, "
            f"lon {y:.6f}, lat {x:.6f} inside",
            f"坐标似乎经纬度颠倒了：经度 {x:.6f}、纬度 {y:.6f} 在中国境外，经度 {y:.6f}、纬度 {x:.6f} 则在境内",
            "--swap-axes",
            None,
            True,
        )
    elif abs(x) > 180 or abs(y) > 90:
        guess = _guess(x, y, park_epsg)
        text = f"the CRS says degrees (lon/lat) but the coordinates are metres (x {x:,.1f}, y {y:,.1f})"
        zh = f"坐标系为经纬度（度），但坐标是米（x {x:,.1f}，y {y:,.1f}）"
        if guess is None or guess[0] == CGCS2000:
            found.note("error", f"{text}; give the right CRS with --crs", f"{zh}：请用 --crs 给出正确的坐标系")
        else:
            epsg, swap, what, what_zh = guess
            found.propose(f"{text}; they look like {what}", f"{zh}；看来是{what_zh}", _fix_text(epsg, swap), epsg, swap)
    elif not _in_china(x, y):
        _note_outside(found, x, y)


def _check_gauss_kruger(found: _Findings, epsg: int | None, xy: np.ndarray, x: float, y: float) -> None:
    """A Gauss–Krüger CRS: a zone prefix the eastings have and the CRS not (or the other way), or X and Y swapped."""
    if epsg is None or not is_gk_epsg(epsg):
        return
    zone, prefixed = zone_of_epsg(epsg)
    if prefixed:
        _check_prefixed(found, epsg, zone, xy, x, y)
        return
    if x >= FIRST_ZONE * _PREFIX:
        prefix = int(x // _PREFIX)
        if FIRST_ZONE <= prefix <= LAST_ZONE:
            fixed = gk_epsg(zone=prefix, prefixed=True)
            found.propose(
                f"the eastings carry the zone prefix {prefix} (x {x:,.1f}) but EPSG:{epsg} has none",
                f"横坐标带有带号 {prefix}（x {x:,.1f}），但 EPSG:{epsg} 不带带号",
                f"--crs {fixed}",
                fixed,
                False,
            )
    elif _NORTHING[0] <= x <= _NORTHING[1] and _EASTING[0] <= y <= _EASTING[1]:
        found.propose(
            f"x {x:,.1f} looks like a northing and y {y:,.1f} like an easting: X and Y are swapped "
            "(surveyors write the northing first)",
            f"x {x:,.1f} 看来是纵坐标（北向），y {y:,.1f} 是横坐标（东向）：X 与 Y 颠倒了（测绘习惯纵坐标在前）",
            "--swap-axes",
            None,
            True,
        )


def _check_prefixed(found: _Findings, epsg: int, zone: int, xy: np.ndarray, x: float, y: float) -> None:
    """A Gauss–Krüger CRS with zone prefix: eastings without it, of another zone, or X and Y swapped."""
    if _EASTING[0] <= x <= _EASTING[1]:
        fixed = gk_epsg(zone=zone, prefixed=False)
        found.propose(
            f"the eastings have no zone prefix (x {x:,.1f}) but EPSG:{epsg} expects zone {zone}'s prefix",
            f"横坐标不带带号（x {x:,.1f}），但 EPSG:{epsg} 要求带 {zone} 带的带号",
            f"--crs {fixed}",
            fixed,
            False,
        )
        return
    if y >= FIRST_ZONE * _PREFIX and _NORTHING[0] <= x <= _NORTHING[1]:
        found.propose(
            f"x {x:,.1f} looks like a northing and y {y:,.1f} like a prefixed easting: X and Y are swapped",
            f"x {x:,.1f} 看来是纵坐标，y {y:,.1f} 是带带号的横坐标：X 与 Y 颠倒了",
            "--swap-axes",
            None,
            True,
        )
        return
    prefixes = np.unique(np.floor(xy[:, 0] / _PREFIX).astype(int))
    other = [int(k) for k in prefixes if k != zone]
    if len(prefixes) > 1:
        found.note(
            "error",
            f"the eastings carry different zone prefixes {', '.join(map(str, prefixes))}; EPSG:{epsg} "
            f"is zone {zone}: split the file by zone and import each part with its zone's --crs",
            f"横坐标带有不同的带号 {'、'.join(map(str, prefixes))}，而 EPSG:{epsg} 为 {zone} 带："
            "请按投影带拆分文件，各部分用其所在带的 --crs 分别导入",
        )
    elif other and FIRST_ZONE <= other[0] <= LAST_ZONE:
        fixed = gk_epsg(zone=other[0], prefixed=True)
        found.propose(
            f"the eastings carry the zone prefix {other[0]} (x {x:,.1f}) but EPSG:{epsg} is zone {zone} "
            f"(prefix {zone})",
            f"横坐标带有带号 {other[0]}（x {x:,.1f}），但 EPSG:{epsg} 为 {zone} 带（带号 {zone}）",
            f"--crs {fixed}",
            fixed,
            False,
        )
    elif other:
        found.note(
            "error",
            f"the eastings (x {x:,.1f}) carry the prefix {other[0]}, which is no zone of China "
            f"({FIRST_ZONE}–{LAST_ZONE}), but EPSG:{epsg} is zone {zone}; are X and Y swapped?",
            f"横坐标（x {x:,.1f}）带有前缀 {other[0]}，不是中国的投影带（{FIRST_ZONE}–{LAST_ZONE}），"
            f"而 EPSG:{epsg} 为 {zone} 带：X 与 Y 是否颠倒了？",
        )


def _check_in_china(found: _Findings) -> bool:
    """Whether the features, in their settled CRS, lie in China (else a finding says where they fall)."""
    lon, lat = _lon_lat(found.frame)
    if not len(lon) or not np.isfinite(lon).any():
        return False
    mlon, mlat = float(np.nanmedian(lon)), float(np.nanmedian(lat))
    if _in_china(mlon, mlat):
        return True
    _note_outside(found, mlon, mlat)
    return False


def _note_outside(found: _Findings, mlon: float, mlat: float) -> None:
    """The features lie (mostly or wholly) outside China: said with where they fall and what to check."""
    lon, lat = _lon_lat(found.frame)
    keep = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[keep], lat[keep]
    inside = check_in_china(lon, lat) if len(lon) else np.zeros(0, dtype=bool)
    crs = found.frame.crs
    where = f"in {crs.name if crs else 'its CRS'} the features fall around lon {mlon:.4f}, lat {mlat:.4f}"
    where_zh = f"按{f'「{crs.name}」' if crs else '其坐标系'}，要素位于经度 {mlon:.4f}、纬度 {mlat:.4f} 附近"
    if not inside.any():
        found.outside_china = True
        span = f" (lon {lon.min():.4f} to {lon.max():.4f}, lat {lat.min():.4f} to {lat.max():.4f})" if len(lon) else ""
        found.note(
            "error",
            f"the file lies wholly outside China: {where}{span}, and none of its points lies in China; the "
            "planner imports parks in China. If the coordinates are right, the file is not of a park in China; "
            "if not, give the file's CRS with --crs (or --swap-axes for swapped axes)",
            f"文件完全在中国境外：{where_zh}"
            + (
                f"（经度 {lon.min():.4f} 至 {lon.max():.4f}，纬度 {lat.min():.4f} 至 {lat.max():.4f}）"
                if len(lon)
                else ""
            )
            + "，没有一个点在中国境内；规划系统只导入中国的园区。如坐标无误，该文件不是中国园区的数据；"
            "否则请用 --crs 给出文件的坐标系（坐标轴颠倒用 --swap-axes）",
        )
        return
    found.note(
        "error",
        f"{where}, outside China, and only {inside.mean():.0%} of their points lie in China; is the CRS right "
        "(zone, zone prefix, axis order)? give it with --crs",
        f"{where_zh}，在中国境外，只有 {inside.mean():.0%} 的点在中国境内：坐标系是否正确"
        "（投影带、带号前缀、坐标轴顺序）？请用 --crs 给出",
    )


def _check_gcj02(found: _Findings, roads: gpd.GeoDataFrame) -> None:
    """GCJ-02 offsets, told by the park's roads: the features lie much nearer them once shifted back."""
    as_is, fixed, shift, inside = _gcj02_evidence(found.frame, roads)
    if not (
        np.isfinite(as_is)
        and fixed <= GCJ02_RATIO * as_is
        and as_is - fixed >= GCJ02_MIN_GAIN_M
        and as_is <= shift / (1.0 - GCJ02_RATIO)  # a shift of `shift` m cannot explain more
        and inside >= GCJ02_INSIDE
    ):
        return
    message = (
        f"the features look like GCJ-02 web-map coordinates: their points lie {as_is:,.0f} m (median) from "
        f"the park's roads, and {fixed:,.0f} m once shifted back from GCJ-02 (by {shift:,.0f} m); "
        "if they are not GCJ-02, rerun with --not-gcj02"
    )
    zh = (
        f"要素看来是 GCJ-02 网络地图坐标：其点距园区道路 {as_is:,.0f} 米（中位数），按 GCJ-02 反算回去"
        f"（移动 {shift:,.0f} 米）后为 {fixed:,.0f} 米；如不是 GCJ-02，请加 --not-gcj02 重新运行"
    )
    if found.accept_fixes:
        found.frame, moved = _from_gcj02(found.frame)
        found.note(
            "repair",
            f"{message}; moved to CGCS2000/WGS84 by {moved:,.0f} m (accepted with --accept-fixes)",
            f"{zh}；已转换到 CGCS2000/WGS84，移动 {moved:,.0f} 米（经 --accept-fixes 采用）",
        )
    else:
        found.note(
            "error",
            f"{message}; rerun with --from-gcj02 (or --accept-fixes to take this fix)",
            f"{zh}；请加 --from-gcj02 重新运行（或用 --accept-fixes 采用此修正）",
        )


def _fix_text(epsg: int | None, swap: bool) -> str:
    parts = ([f"--crs {epsg}"] if epsg is not None else []) + (["--swap-axes"] if swap else [])
    return " ".join(parts)


def _guess(x: float, y: float, park_epsg: int | None) -> tuple[int, bool, str, str] | None:
    """(EPSG, swap, description, its Chinese) of the CRS coordinates around ``(x, y)`` most likely are in."""
    if _in_china(x, y):
        text = f"lon/lat degrees in China (lon {x:.4f}, lat {y:.4f}): CGCS2000, EPSG:{CGCS2000}"
        return CGCS2000, False, text, f"中国境内的经纬度（经度 {x:.4f}，纬度 {y:.4f}）：CGCS2000，EPSG:{CGCS2000}"
    if _in_china(y, x):
        text = f"lat/lon degrees, latitude first (lat {x:.4f}, lon {y:.4f})"
        return CGCS2000, True, text, f"纬度在前的经纬度（纬度 {x:.4f}，经度 {y:.4f}）"
    for (e, n), swap in (((x, y), False), ((y, x), True)):
        if not _NORTHING[0] <= n <= _NORTHING[1]:
            continue
        prefix = int(e // _PREFIX)
        order = ", northing first" if swap else ""
        order_zh = "，纵坐标在前" if swap else ""
        if FIRST_ZONE <= prefix <= LAST_ZONE and _EASTING[0] <= e - prefix * _PREFIX <= _EASTING[1]:
            epsg = gk_epsg(zone=prefix, prefixed=True)
            text = f"CGCS2000 3-degree Gauss–Krüger metres with zone prefix {prefix}{order}: EPSG:{epsg}"
            return epsg, swap, text, f"带带号 {prefix} 的 CGCS2000 3 度带高斯–克吕格坐标（米）{order_zh}：EPSG:{epsg}"
        if _EASTING[0] <= e <= _EASTING[1] and park_epsg is not None:
            zone, _ = zone_of_epsg(park_epsg)
            return (
                park_epsg,
                swap,
                f"Gauss–Krüger metres without zone prefix{order}; if in the park's zone {zone}: EPSG:{park_epsg}",
                f"不带带号的高斯–克吕格坐标（米）{order_zh}；如在园区所在的 {zone} 带：EPSG:{park_epsg}",
            )
    return None


def _coordinates(frame: gpd.GeoDataFrame) -> np.ndarray:
    geoms = frame.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)
    xy = shapely.get_coordinates(geoms[present])
    return xy[np.isfinite(xy).all(axis=1)]


def _swap(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = frame.geometry.to_numpy()
    swapped = shapely.transform(geoms, lambda xy: xy[:, ::-1])
    return frame.set_geometry(gpd.GeoSeries(swapped, index=frame.index, crs=frame.crs))


def _lon_lat(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    xy = _coordinates(frame)
    if len(xy) > _SAMPLE:
        xy = xy[np.linspace(0, len(xy) - 1, _SAMPLE).astype(int)]
    with np.errstate(all="ignore"):
        lon, lat = transformer(pyproj.CRS(frame.crs).to_wkt(), f"EPSG:{CGCS2000}").transform(xy[:, 0], xy[:, 1])
    return np.asarray(lon), np.asarray(lat)


def _from_gcj02(frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, float]:
    """The frame in CGCS2000 lon/lat, moved from GCJ-02; and the median move in metres."""
    lonlat = frame.to_crs(CGCS2000)
    geoms = lonlat.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)

    def back(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))

    moved_geoms = geoms.copy()
    moved_geoms[present] = shapely.transform(geoms[present], back)
    xy = shapely.get_coordinates(geoms[present])[:_SAMPLE]
    to = back(xy)
    dist = pyproj.Geod(ellps="GRS80").inv(xy[:, 0], xy[:, 1], to[:, 0], to[:, 1])[2]
    out = lonlat.set_geometry(gpd.GeoSeries(moved_geoms, index=frame.index, crs=CGCS2000))
    return out, float(np.median(dist)) if len(dist) else 0.0


def _gcj02_evidence(frame: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Median distance (m) to the roads as is and shifted back from GCJ-02, the median shift (m), and the share
    of the features' points that lie within the road network's extent (its convex hull)."""
    lon, lat = _lon_lat(frame)
    keep = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[keep], lat[keep]
    lines = roads.geometry.to_numpy()
    lines = lines[~shapely.is_missing(lines) & ~shapely.is_empty(lines)]
    if not len(lon) or not len(lines):
        return float("nan"), float("nan"), float("nan"), 0.0
    to_park = transformer(f"EPSG:{CGCS2000}", pyproj.CRS(roads.crs).to_wkt())
    tree = shapely.STRtree(lines)
    px, py = to_park.transform(lon, lat)
    bx, by = to_park.transform(*gcj02_to_wgs84(lon, lat))
    as_is = tree.query_nearest(shapely.points(px, py), return_distance=True, all_matches=False)[1]
    fixed = tree.query_nearest(shapely.points(bx, by), return_distance=True, all_matches=False)[1]
    hull = shapely.convex_hull(shapely.geometrycollections(lines))
    inside = shapely.contains_xy(hull, np.asarray(px), np.asarray(py))
    shift = np.hypot(np.asarray(bx) - px, np.asarray(by) - py)
    return float(np.median(as_is)), float(np.median(fixed)), float(np.median(shift)), float(inside.mean())


def gcj02_distances(frame: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> tuple[float, float]:
    """Median distance (m) of the features' points to ``roads``: as they are, and shifted back from GCJ-02."""
    lon, lat = _lon_lat(frame)
    keep = np.isfinite(lon) & np.isfinite(lat)
    lon, lat = lon[keep], lat[keep]
    if not len(lon):
        return float("nan"), float("nan")
    lines = roads.geometry.to_numpy()
    lines = lines[~shapely.is_missing(lines) & ~shapely.is_empty(lines)]
    tree = shapely.STRtree(lines)
    to_park = transformer(f"EPSG:{CGCS2000}", pyproj.CRS(roads.crs).to_wkt())

    def median_distance(lo: np.ndarray, la: np.ndarray) -> float:
        px, py = to_park.transform(lo, la)
        _, dist = tree.query_nearest(shapely.points(px, py), return_distance=True, all_matches=False)
        return float(np.median(dist))

    return median_distance(lon, lat), median_distance(*gcj02_to_wgs84(lon, lat))


def to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in lon/lat shifted to GCJ-02, as a web map would show it (for overlays and tests)."""
    lonlat = frame.to_crs(CGCS2000)
    geoms = lonlat.geometry.to_numpy()
    present = ~shapely.is_missing(geoms)
    out = geoms.copy()
    out[present] = shapely.transform(geoms[present], lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    return lonlat.set_geometry(gpd.GeoSeries(out, index=frame.index, crs=CGCS2000))


def middle_longitude(frames: Iterable[gpd.GeoDataFrame]) -> float:
    """The median CGCS2000 longitude of the finite points of ``frames`` (to choose a new park's zone)."""
    lons = []
    for frame in frames:
        geoms = frame.geometry.to_numpy()
        present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        if not present.any() or frame.crs is None:
            continue
        xy = shapely.get_coordinates(geoms[present])
        xy = xy[np.isfinite(xy).all(axis=1)]
        lon, _ = transformer(pyproj.CRS(frame.crs).to_wkt(), f"EPSG:{CGCS2000}").transform(xy[:, 0], xy[:, 1])
        lons.append(np.asarray(lon))
    if not lons or not np.concatenate(lons).size:
        msg = "the file has no coordinates to choose the park's Gauss–Krüger zone from"
        raise CRSError(msg)
    return float(np.nanmedian(np.concatenate(lons)))
