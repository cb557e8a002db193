"""Coordinate reference systems of Chinese land administration.

A park is stored in CGCS2000 3-degree Gauss–Krüger *without* zone prefix
(EPSG:4534–4554: false easting 500 km, central meridian 3°·zone). The land
bureau often wants the *zone-prefixed* twin (EPSG:4513–4533: false easting
zone·10⁶ + 500 km, so an easting reads ``39 512 345.6`` in zone 39). The
geographic CRS is CGCS2000 (EPSG:4490). GeoJSON for the web is WGS84
lon/lat (EPSG:4326); CGCS2000 and WGS84 agree to a few centimetres, so
PROJ's transformation between them is the identity (a ballpark one).

Web maps from Gaode (AMap) and Tencent use GCJ-02, WGS84 shifted by a few
hundred metres by a published obfuscation; :func:`wgs84_to_gcj02` and
:func:`gcj02_to_wgs84` convert (the inverse iterates to a few millimetres).

Zones: zone ``k`` has central meridian ``3·k`` °E, for ``k`` = 25 (75°E) to
45 (135°E), which covers China (73.5°E–135.1°E).

>>> gk_zone(118.3)
39
>>> gk_epsg(118.3)
4548
>>> gk_epsg(118.3, prefixed=True)
4527
>>> zone_of_epsg(4527)
(39, True)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyproj

from planner.errors import CRSError

__all__ = [
    "CGCS2000",
    "CHINA_BOUNDS",
    "FIRST_ZONE",
    "LAST_ZONE",
    "WGS84",
    "central_meridian",
    "check_in_china",
    "equal_area_crs",
    "gcj02_to_wgs84",
    "gk_epsg",
    "gk_zone",
    "is_gk_epsg",
    "transformer",
    "wgs84_to_gcj02",
    "zone_of_epsg",
]

CGCS2000 = 4490
"""EPSG code of CGCS2000 geographic coordinates (lon/lat on the CGCS2000 ellipsoid)."""
WGS84 = 4326
FIRST_ZONE = 25
LAST_ZONE = 45
_PLAIN_BASE = 4534  # EPSG of zone 25 (CM 75°E) without prefix; zones follow in order
_PREFIXED_BASE = 4513  # EPSG of zone 25 with zone prefix

CHINA_BOUNDS = (73.4, 3.3, 135.2, 53.6)
"""Lon/lat box (west, south, east, north) that holds all Chinese territory."""


def gk_zone(lon: float) -> int:
    """The 3-degree Gauss–Krüger zone whose central meridian is nearest ``lon``.

    Parameters
    ----------
    lon
        Longitude in degrees east (CGCS2000 or WGS84).

    Raises
    ------
    CRSError
        If ``lon`` lies outside China's longitudes (73.4°E–135.2°E).
    """
    if not np.isfinite(lon) or not CHINA_BOUNDS[0] <= lon <= CHINA_BOUNDS[2]:
        msg = (
            f"longitude {lon} is outside China ({CHINA_BOUNDS[0]}°E to {CHINA_BOUNDS[2]}°E); "
            "check that the coordinates are lon/lat in degrees and not swapped or projected"
        )
        raise CRSError(msg)
    return min(max(round(lon / 3.0), FIRST_ZONE), LAST_ZONE)


def central_meridian(zone: int) -> float:
    """Central meridian of a 3-degree zone, in degrees east."""
    _check_zone(zone)
    return 3.0 * zone


def gk_epsg(lon: float | None = None, *, zone: int | None = None, prefixed: bool = False) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss–Krüger CRS for a longitude or a zone.

    Parameters
    ----------
    lon
        Longitude in degrees east; the zone is chosen from it (give ``lon`` or ``zone``).
    zone
        The zone number (25–45).
    prefixed
        ``False`` for the park's storage CRS (EPSG:4534–4554, easting without the zone
        number); ``True`` for the land bureau's twin with zone prefix (EPSG:4513–4533).
    """
    if (lon is None) == (zone is None):
        msg = "give exactly one of `lon` (degrees east) or `zone` (25–45)"
        raise CRSError(msg)
    if zone is None:
        zone = gk_zone(float(lon))  # type: ignore[arg-type]
    _check_zone(zone)
    return (_PREFIXED_BASE if prefixed else _PLAIN_BASE) + zone - FIRST_ZONE


def zone_of_epsg(epsg: int) -> tuple[int, bool]:
    """The zone and whether it is zone-prefixed, for a CGCS2000 3-degree GK EPSG code."""
    if _PLAIN_BASE <= epsg <= _PLAIN_BASE + LAST_ZONE - FIRST_ZONE:
        return FIRST_ZONE + epsg - _PLAIN_BASE, False
    if _PREFIXED_BASE <= epsg <= _PREFIXED_BASE + LAST_ZONE - FIRST_ZONE:
        return FIRST_ZONE + epsg - _PREFIXED_BASE, True
    msg = (
        f"EPSG:{epsg} is not a CGCS2000 3-degree Gauss–Krüger CRS; expected EPSG:4534–4554 "
        "(no zone prefix) or EPSG:4513–4533 (zone prefix)"
    )
    raise CRSError(msg)


def is_gk_epsg(epsg: int | None) -> bool:
    """True for EPSG:4513–4554, the CGCS2000 3-degree Gauss–Krüger codes."""
    return epsg is not None and _PREFIXED_BASE <= epsg <= _PLAIN_BASE + LAST_ZONE - FIRST_ZONE


def equal_area_crs(lon: float, lat: float) -> pyproj.CRS:
    """A Lambert azimuthal equal-area CRS on GRS80 centred at ``(lon, lat)``.

    The projection is authalic: planar areas in it equal areas on the ellipsoid.
    Centred on a park, the straight projected edges of a parcel lie within
    micrometres of the geodesics, so the planar area matches
    ``pyproj.Geod(ellps="GRS80")`` to about 1e-9 relative (CGCS2000's ellipsoid
    has GRS80's shape).
    """
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat:.9f} +lon_0={lon:.9f} +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


@lru_cache(maxsize=1024)  # a province: about two per park (its zone, with and without prefix)
def transformer(src: int | str, dst: int | str) -> pyproj.Transformer:
    """A cached ``pyproj.Transformer`` from ``src`` to ``dst`` in x=lon/easting order.

    Where PROJ knows exactly one operation between the two (a zone and CGCS2000 or WGS84: the usual
    case), the transformer is made from that operation's pipeline: the same operation, but pyproj gives
    each thread its own copy of a transformer, made again on the thread's first use, and a pipeline is
    made in a fraction of a millisecond where ``from_crs`` searches the PROJ database again (about
    250 ms): in a server, whose thread pool starts threads as the load asks, that was most of the CPU
    an edit or a page cost. Otherwise (several operations, chosen per point by PROJ) ``from_crs``'s own.
    """
    found = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    try:
        group = pyproj.transformer.TransformerGroup(src, dst, always_xy=True)
    except pyproj.exceptions.ProjError:
        return found
    only = group.transformers[0] if len(group.transformers) == 1 and not group.unavailable_operations else None
    if only is None or not found.definition or only.definition != found.definition:
        return found
    return pyproj.Transformer.from_pipeline(found.definition)


def check_in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Boolean mask of the lon/lat pairs that fall inside China's bounding box."""
    west, south, east, north = CHINA_BOUNDS
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def _check_zone(zone: int) -> None:
    if not FIRST_ZONE <= zone <= LAST_ZONE:
        msg = f"zone {zone} is not a CGCS2000 3-degree zone used in China; allowed: {FIRST_ZONE}–{LAST_ZONE}"
        raise CRSError(msg)


# GCJ-02 (国测局坐标, "Mars coordinates"): the widely published forward formula
# (Krasovsky 1940 ellipsoid constants), applied inside China only.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)  # where the published algorithm applies the offset


def _gcj_inside(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    west, south, east, north = _GCJ_BOX
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees of lon, lat) at a WGS84 point."""
    x, y = lon - 105.0, lat - 35.0
    sx = np.sqrt(np.abs(x))
    wave = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx
    dlat += wave * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx
    dlon += wave * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 lon/lat (degrees) to GCJ-02, as Gaode and Tencent maps show them.

    Points outside China are returned unchanged, as the published algorithm does.

    >>> lon, lat = wgs84_to_gcj02(116.391, 39.907)
    >>> round(float(lon) - 116.391, 4), round(float(lat) - 39.907, 4)
    (0.0062, 0.0014)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_delta(lon, lat)
    inside = _gcj_inside(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(
    lon: np.ndarray | float, lat: np.ndarray | float, *, iterations: int = 6
) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 lon/lat (degrees) back to WGS84.

    The forward formula has no closed inverse; a fixed-point iteration on it
    converges to well under a millimetre in a few steps (the offset changes by
    about 1e-5 of the distance moved).
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        wlon = wlon - (flon - glon)
        wlat = wlat - (flat - glat)
    inside = _gcj_inside(glon, glat)
    return np.where(inside, wlon, glon), np.where(inside, wlat, glat)
