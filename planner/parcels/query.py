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
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.codes import industry_code_problem, land_use_codes
from planner.errors import FilterError
from planner.fields import allowed_text
from planner.vocab import STATUSES

__all__ = ["FilterColumns", "filter_parcels", "parcel_filter_mask"]


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

    def _array(self, name: str, make) -> np.ndarray:
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


def filter_parcels(
    parcels: gpd.GeoDataFrame,
    *,
    ready: bool | None = None,
    min_area_mu: float | None = None,
    max_area_mu: float | None = None,
    status: str | Sequence[str] | None = None,
    industry: str | None = None,
    land_use: str | None = None,
    idle: bool | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
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
    """
    return parcels[
        parcel_filter_mask(
            parcels,
            ready=ready,
            min_area_mu=min_area_mu,
            max_area_mu=max_area_mu,
            status=status,
            industry=industry,
            land_use=land_use,
            idle=idle,
            bbox=bbox,
        )
    ]


def parcel_filter_mask(
    parcels: gpd.GeoDataFrame,
    *,
    ready: bool | None = None,
    min_area_mu: float | None = None,
    max_area_mu: float | None = None,
    status: str | Sequence[str] | None = None,
    industry: str | None = None,
    land_use: str | None = None,
    idle: bool | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    columns: FilterColumns | None = None,
) -> np.ndarray:
    """Boolean mask of :func:`filter_parcels` (same arguments).

    ``columns``: the :class:`FilterColumns` of ``parcels`` kept from an earlier call, if any.
    """
    if columns is None:
        columns = FilterColumns(parcels)
    elif columns.parcels is not parcels:
        raise ValueError("`columns` were made for another parcel frame")
    keep = np.ones(len(parcels), dtype=bool)
    for name, value in (("min_area_mu", min_area_mu), ("max_area_mu", max_area_mu)):
        if value is not None and (not np.isfinite(value) or value < 0):
            raise FilterError(f"`{name}` was {value} but must be a number of mu (亩) ≥ 0")
    if min_area_mu is not None and max_area_mu is not None and max_area_mu < min_area_mu:
        raise FilterError(f"`max_area_mu` {max_area_mu:g} is below `min_area_mu` {min_area_mu:g}: no parcel can match")
    area = columns.area_mu() if min_area_mu is not None or max_area_mu is not None else None
    if min_area_mu is not None:
        keep &= area >= min_area_mu
    if max_area_mu is not None:
        keep &= area <= max_area_mu
    if ready is not None:
        keep &= columns.ready() == bool(ready)
    if idle is not None:
        keep &= columns.idle() == bool(idle)
    if status is not None:
        keep &= columns.status_in(_statuses(status))
    if industry is not None:
        keep &= _industry_mask(parcels, industry)
    if land_use is not None:
        code = _land_use_code(land_use)
        keep &= parcels["land_use"].astype("string").str.startswith(code).fillna(False).to_numpy(dtype=bool)
    if bbox is not None:
        if len(bbox) != 4 or not bbox[0] <= bbox[2] or not bbox[1] <= bbox[3]:
            raise FilterError(f"`bbox` was {bbox!r} but must be (minx, miny, maxx, maxy) with min ≤ max")
        hit = np.zeros(len(parcels), dtype=bool)
        hit[parcels.sindex.query(shapely.box(*bbox), predicate="intersects")] = True
        keep &= hit
    return keep


def _statuses(status: str | Sequence[str]) -> list[str]:
    values = [status] if isinstance(status, str) else list(status)
    by_label = {labels[0]: code for code, labels in STATUSES.items()}
    out = []
    for value in values:
        code = by_label.get(value, value)
        if code not in STATUSES:
            raise FilterError(f"`status` was {value!r} but is expected to be one of {allowed_text(STATUSES)}")
        out.append(code)
    return out


def _industry_mask(parcels: gpd.GeoDataFrame, industry: str) -> np.ndarray:
    code = industry.strip().upper()
    problem = industry_code_problem(code)
    if problem:
        raise FilterError(f"`industry` was {industry!r}: {problem}")
    held = parcels["industry"].astype("string").str.startswith(code).fillna(False).to_numpy(dtype=bool)
    # a zone code admits ``code`` when it is one of the code's prefixes of three or more characters
    prefixes = "|".join(re.escape(code[:k]) for k in range(3, len(code) + 1))
    zoned = (
        parcels["zone_industries"]
        .astype("string")
        .str.contains(rf"(?:^|,)\s*(?:{prefixes})\s*(?:,|$)", regex=True)
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    return held | zoned


def _land_use_code(land_use: str) -> str:
    codes = land_use_codes()
    value = land_use.strip()
    if value in codes.index:
        return value
    by_name = {name: code for code, name in codes["name_zh"].items()}
    if value in by_name:
        return by_name[value]
    msg = (
        f"`land_use` was {land_use!r} but is expected to be a 用地用海分类 code or name, e.g. 1001 (工业用地), "
        "100101 (一类工业用地); see data/land_use_codes.csv"
    )
    raise FilterError(msg)
