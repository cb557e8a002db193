"""The feature layers of a park store: each layer's fields, id column and geometry type.

Every backend keeps the same layers (:data:`LAYERS`) and hands their rows back in the same
canonical dtypes (:func:`layer_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from planner.fields import Field, coerce_types, dtype_of
from planner.infra.layers import LINE_FIELDS, SOURCE_FIELDS, line_layer
from planner.parcels.boundary import BOUNDARY_FIELDS
from planner.parcels.factories import FACTORY_FIELDS
from planner.parcels.schema import FIELDS as PARCEL_FIELDS
from planner.vocab import NETWORKS

__all__ = ["LAYERS", "LayerSpec", "attribute_frame", "layer_frame", "layer_spec"]


@dataclass(frozen=True)
class LayerSpec:
    """A feature layer of the store: its fields, id column and geometry type."""

    name: str
    fields: tuple[Field, ...]
    id_column: str
    geometry_type: str
    title_zh: str
    title_en: str

    @cached_property
    def by_name(self) -> Mapping[str, Field]:
        """The layer's fields by name (made once; read-only)."""
        return MappingProxyType({f.name: f for f in self.fields})

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
    specs["boundary"] = LayerSpec(
        "boundary", BOUNDARY_FIELDS, "boundary_id", "MULTIPOLYGON", "园区范围", "park boundary"
    )
    return MappingProxyType(specs)


LAYERS: Mapping[str, LayerSpec] = _layers()
"""Every feature layer of a park store, by name."""


def layer_spec(name: str) -> LayerSpec:
    """The layer called ``name``; ``ValueError`` naming the layers there are if there is none."""
    try:
        return LAYERS[name]
    except KeyError:
        msg = f"`layer` was {name!r} but is expected to be one of {', '.join(LAYERS)}"
        raise ValueError(msg) from None


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
    frame = attribute_frame(spec, spec.columns, columns)
    crs_object = _crs(crs)  # parsed once: pyproj reads a CRS's text in a millisecond, an edit's row in less
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=crs_object), crs=crs_object)


@lru_cache(maxsize=64)
def _crs(crs: str) -> pyproj.CRS:
    """The CRS of ``crs`` (``EPSG:4545``, a backend's text), parsed once."""
    return pyproj.CRS.from_user_input(crs)


def attribute_frame(spec: LayerSpec, names: Sequence[str], columns: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """Some of a layer's columns (``names``, their values in ``columns``) in canonical dtypes, without geometry.

    Each column is built in one step from the values read. A column whose values are not what
    its kind stores (text in a number column, written by another client) goes through
    :func:`planner.fields.coerce_types`, which says what is wrong.
    """
    if not len(columns) or not len(columns[0]):
        return pd.DataFrame({c: pd.Series(dtype=dtype_of(spec.by_name[c].kind)) for c in names})
    if len(columns[0]) > _FEW_ROWS:  # many rows: pandas' casts of whole columns are quicker than these checks
        return coerce_types(
            pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(names, columns, strict=True)}), spec.by_name
        )
    typed: dict[str, Any] = {}
    texts: dict[str, np.ndarray] = {}
    odd: dict[str, Sequence[Any]] = {}
    for name, values in zip(names, columns, strict=True):
        kind = spec.by_name[name].kind
        try:
            if kind == "str":
                texts[name] = _texts(values)
            else:
                typed[name] = _typed(values, kind)
        except (TypeError, ValueError):
            odd[name] = values
    # arrays, not Series (no index to align); the text columns in one block of dtype object, which pandas
    # keeps (from separate arrays it would infer its string dtype)
    parts = [pd.DataFrame(typed)]
    if texts:
        parts.append(pd.DataFrame(np.column_stack(list(texts.values())), columns=list(texts), dtype=object))
    if odd:
        parts.append(coerce_types(pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in odd.items()}), spec.by_name))
    frame = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return frame[list(names)] if list(frame.columns) != list(names) else frame


_FEW_ROWS = 200
"""Up to this many rows, each column is built directly (one row, an edit's, in milliseconds)."""

_NO_TEXT = (int, float, bool, np.number)


def _texts(values: Sequence[Any]) -> np.ndarray:
    """A text column read from a store as an object array (raises on a number stored in it)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    if any(isinstance(v, _NO_TEXT) for v in array):
        raise TypeError
    return array


def _typed(values: Sequence[Any], kind: str) -> Any:
    """One column of values read from a store as its canonical array (raises on values of another kind)."""
    if kind == "float":
        if any(isinstance(v, str | bool) for v in values):
            raise TypeError
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    if kind == "int":
        if any(isinstance(v, str | float) for v in values):
            raise TypeError
        return pd.array(list(values), dtype="Int64")
    if kind == "bool":
        if any(v is not None and not isinstance(v, bool | int | np.integer | np.bool_) for v in values):
            raise TypeError
        missing = np.array([v is None for v in values], dtype=bool)  # the array built directly: pd.array infers
        return pd.arrays.BooleanArray(np.array([v is not None and bool(v) for v in values], dtype=bool), missing)
    if kind == "date":
        if any(isinstance(v, str) and len(v) != _DAY_TEXT for v in values):
            raise ValueError  # not YYYY-MM-DD: let pandas read it
        days = np.array([None if v is None else v for v in values], dtype="datetime64[D]")
        return days.astype("datetime64[ns]")
    return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601").astype("datetime64[ns, UTC]")


_DAY_TEXT = len("2024-06-30")
