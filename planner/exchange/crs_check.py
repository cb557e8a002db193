"""Whether a file's CRS can be brought to CGCS2000 accurately: a local (独立) CRS or another datum cannot.

Part of the coordinate checks of :mod:`planner.exchange.coords`; each reason in English and Chinese.
"""

from __future__ import annotations

import re

import pyproj

from planner.crs import CGCS2000, transformer

__all__ = ["crs_problem"]


def crs_problem(crs: pyproj.CRS) -> tuple[str, str] | None:
    """Why features in ``crs`` cannot be brought to CGCS2000 accurately (in English and Chinese), or ``None``.

    A local (engineering) CRS, 独立坐标系, has no datum to transform from; a datum other
    than CGCS2000 or WGS84 (Xi'an 1980, Beijing 1954, …) has no accurate transformation in
    PROJ for China (tens of metres off) and needs the local parameters first.
    """
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    geodetic = base.geodetic_crs
    if geodetic is None or base.is_engineering:
        return (
            f"the file's CRS ({crs.name}) is a local (engineering) CRS, 独立坐标系, with no datum: it cannot be "
            "transformed to CGCS2000; give the file's real CRS with --crs, or convert it to CGCS2000 with the "
            "local parameters first",
            f"文件的坐标系（「{crs.name}」）是独立坐标系（工程坐标系），没有基准：无法转换到 CGCS2000；"
            "请用 --crs 给出文件实际的坐标系，或先用当地参数将其转换到 CGCS2000",
        )
    datum = geodetic.datum.name if geodetic.datum is not None else ""
    ellipsoid = geodetic.ellipsoid.name if geodetic.ellipsoid is not None else ""
    if not (_DATUMS_OK.search(datum) or (datum.lower().startswith("unknown") and _ELLIPSOIDS_OK.search(ellipsoid))):
        known = next((text for pattern, text in _DATUM_NAMES if pattern.search(datum)), datum or ellipsoid)
        known_zh = next((zh for pattern, _, zh in _DATUM_ZH if pattern.search(datum)), f"「{datum or ellipsoid}」")
        return (
            f"the file's CRS ({crs.name}) is on the {known} datum, not CGCS2000 or WGS84; its transformation "
            "to CGCS2000 is off by tens of metres without the local parameters: convert the file to CGCS2000 "
            "(with the 七参数/四参数 of the area) first, or give the right CRS with --crs if the .prj is wrong",
            f"文件的坐标系（「{crs.name}」）采用{known_zh}基准，不是 CGCS2000 或 WGS84；没有当地参数，其到 CGCS2000 "
            "的转换会偏差数十米：请先用当地的七参数/四参数将文件转换到 CGCS2000，"
            "如 .prj 有误，请用 --crs 给出正确的坐标系",
        )
    try:
        transformer(crs.to_wkt(), f"EPSG:{CGCS2000}")
    except (pyproj.exceptions.ProjError, pyproj.exceptions.CRSError) as exc:
        return (
            f"the file's CRS ({crs.name}) cannot be transformed to CGCS2000 ({' '.join(str(exc).split())}); "
            "give the file's CRS with --crs",
            f"文件的坐标系（「{crs.name}」）无法转换到 CGCS2000（「{' '.join(str(exc).split())}」）："
            "请用 --crs 给出文件的坐标系",
        )
    return None


_DATUMS_OK = re.compile(
    r"china.?2000|cgcs.?2000|china geodetic coordinate system 2000|wgs.?(19)?84|world geodetic system 1984", re.I
)
_ELLIPSOIDS_OK = re.compile(r"grs.?(19)?80|cgcs.?2000|wgs.?(19)?84", re.I)
_DATUM_ZH = (
    (re.compile(r"xi.?an.?1980|xian_1980", re.I), "Xi'an 1980 (西安80)", "1980 西安坐标系（西安80）"),
    (re.compile(r"beijing.?1954", re.I), "Beijing 1954 (北京54)", "1954 北京坐标系（北京54）"),
    (re.compile(r"new.?beijing", re.I), "New Beijing (新北京54)", "新 1954 北京坐标系（新北京54）"),
)
_DATUM_NAMES = tuple((pattern, en) for pattern, en, _ in _DATUM_ZH)
