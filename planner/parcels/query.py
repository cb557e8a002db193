"""Selecting parcels by the filters the CLI, the exports and the HTTP API share.

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> parcels = gpd.GeoDataFrame(
...     {"parcel_id": ["A", "B"], "area_mu": [120.0, 40.0], "ready": [True, None], "status": ["reserved"] * 2},
...     geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1)], crs=4548)
>>> filter_parcels(parcels, ready=True, min_area_mu=100).parcel_id.tolist()
['A']
>>> filter_parcels(parcels, ready=False).parcel_id.tolist()  # not computed counts as not ready
['B']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypedDict, Unpack, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.codes import industry_code_problem, land_use_codes
from planner.errors import FilterError
from planner.fields import allowed_text
from planner.vocab import STATUSES

__all__ = ["FILTERS", "FilterColumns", "ParcelFilters", "filter_parcels", "industry_prefixes", "normalized_filters",
           "parcel_filter_mask"]  # fmt: skip


class FilterColumns:
    """The columns the filters test, as numpy arrays made once for a parcel frame and kept.

    A server that answers many requests over the same parcels keeps one of these beside
    them (and a new one when the parcels change), so a request over a million parcels
    compares arrays instead of converting pandas columns. Each array is made on first use.
    """

    def __init__(self, parcels: pd.DataFrame) -> None:
        self.parcels = parcels
        self._arrays: dict[str, np.ndarray] = {}
        self._statuses: tuple[np.ndarray, pd.Index] | None = None

    def _array(self, name: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if name not in self._arrays:
            self._arrays[name] = make()
        return self._arrays[name]

    def area_mu(self) -> np.ndarray:
        """``area_mu`` as floats (NaN where missing)."""
        return self._array("area_mu", lambda: self.parcels["area_mu"].to_numpy(dtype=float, na_value=np.nan))

    def ready(self) -> np.ndarray:
        """Ready land (熟地); a parcel whose readiness was never computed is not."""
        return self._array("ready", lambda: self.parcels["ready"].astype("boolean").fillna(False).to_numpy(dtype=bool))

    def idle(self) -> np.ndarray:
        """Classified idle (``idle_rule`` set)."""
        return self._array("idle", lambda: self.parcels["idle_rule"].notna().to_numpy(dtype=bool))

    def status_in(self, codes: Sequence[str]) -> np.ndarray:
        """Whether the status is one of ``codes``: the column factorised once, then compared as integers."""
        if self._statuses is None:
            self._statuses = pd.factorize(self.parcels["status"])
        positions, uniques = self._statuses
        wanted = np.flatnonzero(uniques.isin(list(codes)))
        return np.isin(positions, wanted)


class ParcelFilters(TypedDict, total=False):
    """The filters of :func:`filter_parcels` by name; each may be left out (or ``None``) for "any"."""

    ready: bool | None
    min_area_mu: float | None
    max_area_mu: float | None
    status: str | Sequence[str] | None
    industry: str | None
    land_use: str | None
    idle: bool | None
    bbox: tuple[float, float, float, float] | None


FILTERS: tuple[str, ...] = tuple(ParcelFilters.__annotations__)
"""The names of the filters, in the order :func:`parcel_filter_mask` applies them."""


def filter_parcels(parcels: gpd.GeoDataFrame, **filters: Unpack[ParcelFilters]) -> gpd.GeoDataFrame:
    """The parcels that meet every filter given (``None`` means "any").

    Parameters
    ----------
    parcels
        A parcel layer as the store returns it.
    ready
        ``True``: ready land (熟地) only; ``False``: raw land (生地), including parcels whose
        readiness was never computed.
    min_area_mu, max_area_mu
        Bounds on ``area_mu`` (亩), inclusive.
    status
        A status code or a list of them (``reserved``; Chinese labels such as ``储备`` too).
    industry
        A GB/T 4754-2017 code with section letter (``C36``, ``C3670``): parcels whose holder's
        industry lies within it, or whose zoning (``zone_industries``) admits it.
    land_use
        A 用地用海分类 code or its Chinese name; a shorter code covers its subclasses
        (``1001`` 工业用地 covers 100101–100103).
    idle
        ``True``: parcels classified idle (``idle_rule`` set); ``False``: the others.
    bbox
        ``(minx, miny, maxx, maxy)`` in the CRS of ``parcels``: parcels that meet the box.

    Raises
    ------
    FilterError
        A filter value that is not allowed; the message names the filter and what is allowed.
    TypeError
        A filter that does not exist.
    """
    return parcels[parcel_filter_mask(parcels, **filters)]


def parcel_filter_mask(
    parcels: gpd.GeoDataFrame, *, columns: FilterColumns | None = None, **filters: Unpack[ParcelFilters]
) -> np.ndarray:
    """Boolean mask of :func:`filter_parcels` (same arguments).

    ``columns``: the :class:`FilterColumns` of ``parcels`` kept from an earlier call, if any.
    """
    unknown = [name for name in filters if name not in FILTERS]
    if unknown:
        msg = f"unknown filter(s) {', '.join(unknown)}; the filters are {', '.join(FILTERS)}"
        raise TypeError(msg)
    if columns is None:
        columns = FilterColumns(parcels)
    elif columns.parcels is not parcels:
        msg = "`columns` were made for another parcel frame"
        raise ValueError(msg)
    keep = _area_mask(columns, filters.get("min_area_mu"), filters.get("max_area_mu"))
    ready, idle, status = filters.get("ready"), filters.get("idle"), filters.get("status")
    if ready is not None:
        keep &= columns.ready() == bool(ready)
    if idle is not None:
        keep &= columns.idle() == bool(idle)
    if status is not None:
        keep &= columns.status_in(_statuses(status))
    industry, land_use, bbox = filters.get("industry"), filters.get("land_use"), filters.get("bbox")
    if industry is not None:
        keep &= _industry_mask(parcels, industry)
    if land_use is not None:
        code = _land_use_code(land_use)
        keep &= parcels["land_use"].astype("string").str.startswith(code).fillna(False).to_numpy(dtype=bool)
    if bbox is not None:
        keep &= _bbox_mask(parcels, bbox)
    return keep


def normalized_filters(**filters: Unpack[ParcelFilters]) -> ParcelFilters:
    """The filters given (``None`` left out), checked as :func:`filter_parcels` checks them and in canonical form.

    For a backend that filters elsewhere (SQL): ``status`` becomes a list of codes, ``land_use``
    a code, ``industry`` an upper-case code. Raises :class:`FilterError` as :func:`filter_parcels` does.
    """
    unknown = [name for name in filters if name not in FILTERS]
    if unknown:
        msg = f"unknown filter(s) {', '.join(unknown)}; the filters are {', '.join(FILTERS)}"
        raise TypeError(msg)
    given: dict[str, object] = {k: v for k, v in filters.items() if v is not None}
    _check_area_bounds(filters.get("min_area_mu"), filters.get("max_area_mu"))
    if "status" in given:
        given["status"] = _statuses(filters["status"])  # type: ignore[arg-type]
    if "industry" in given:
        code = str(given["industry"]).strip().upper()
        problem = industry_code_problem(code)
        if problem:
            msg = f"`industry` was {given['industry']!r}: {problem}"
            raise FilterError(msg)
        given["industry"] = code
    if "land_use" in given:
        given["land_use"] = _land_use_code(str(given["land_use"]))
    return cast(ParcelFilters, given)


def industry_prefixes(code: str) -> list[str]:
    """The zone codes that admit industry ``code``: its prefixes of three or more characters."""
    return [code[:k] for k in range(3, len(code) + 1)]


def _area_mask(columns: FilterColumns, min_area_mu: float | None, max_area_mu: float | None) -> np.ndarray:
    """The parcels within the bounds on ``area_mu``; bounds that are no number of mu ≥ 0, or cross, refused."""
    _check_area_bounds(min_area_mu, max_area_mu)
    keep = np.ones(len(columns.parcels), dtype=bool)
    if min_area_mu is not None:
        keep &= columns.area_mu() >= min_area_mu
    if max_area_mu is not None:
        keep &= columns.area_mu() <= max_area_mu
    return keep


def _check_area_bounds(min_area_mu: float | None, max_area_mu: float | None) -> None:
    """Refuse bounds on ``area_mu`` that are no number of mu ≥ 0, or that cross."""
    for name, value in (("min_area_mu", min_area_mu), ("max_area_mu", max_area_mu)):
        if value is not None and (not np.isfinite(value) or value < 0):
            msg = f"`{name}` was {value} but must be a number of mu (亩) ≥ 0"
            raise FilterError(msg)
    if min_area_mu is not None and max_area_mu is not None and max_area_mu < min_area_mu:
        msg = f"`max_area_mu` {max_area_mu:g} is below `min_area_mu` {min_area_mu:g}: no parcel can match"
        raise FilterError(msg)


def _bbox_mask(parcels: gpd.GeoDataFrame, bbox: tuple[float, float, float, float]) -> np.ndarray:
    """The parcels that meet the box ``(minx, miny, maxx, maxy)``, found with the spatial index."""
    if len(bbox) != 4 or not bbox[0] <= bbox[2] or not bbox[1] <= bbox[3]:
        msg = f"`bbox` was {bbox!r} but must be (minx, miny, maxx, maxy) with min ≤ max"
        raise FilterError(msg)
    hit = np.zeros(len(parcels), dtype=bool)
    hit[parcels.sindex.query(shapely.box(*bbox), predicate="intersects")] = True
    return hit


def _statuses(status: str | Sequence[str]) -> list[str]:
    values = [status] if isinstance(status, str) else list(status)
    by_label = {labels[0]: code for code, labels in STATUSES.items()}
    out = []
    for value in values:
        code = by_label.get(value, value)
        if code not in STATUSES:
            msg = f"`status` was {value!r} but is expected to be one of {allowed_text(STATUSES)}"
            raise FilterError(msg)
        out.append(code)
    return out


def _industry_mask(parcels: gpd.GeoDataFrame, industry: str) -> np.ndarray:
    code = industry.strip().upper()
    problem = industry_code_problem(code)
    if problem:
        msg = f"`industry` was {industry!r}: {problem}"
        raise FilterError(msg)
    held = parcels["industry"].astype("string").str.startswith(code).fillna(False).to_numpy(dtype=bool)
    # a zone code admits ``code`` when it is one of the code's prefixes of three or more characters
    prefixes = "|".join(re.escape(p) for p in industry_prefixes(code))
    zoned = (
        parcels["zone_industries"]
        .astype("string")
        .str.contains(rf"(?:^|,)\s*(?:{prefixes})\s*(?:,|$)", regex=True)
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    mask: np.ndarray = held | zoned
    return mask


def _land_use_code(land_use: str) -> str:
    codes = land_use_codes()
    value = land_use.strip()
    if value in codes.index:
        return value
    by_name = {name: code for code, name in codes["name_zh"].items()}
    if value in by_name:
        return str(by_name[value])
    msg = (
        f"`land_use` was {land_use!r} but is expected to be a 用地用海分类 code or name, e.g. 1001 (工业用地), "
        "100101 (一类工业用地); see data/land_use_codes.csv"
    )
    raise FilterError(msg)
