"""The feature layers of a park store: each layer's fields, id column and geometry type.

Every backend keeps the same layers (:data:`LAYERS`) and hands their rows back in the same
canonical dtypes (:func:`layer_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.fields import Field, coerce_types, dtype_of
from planner.infra.layers import LINE_FIELDS, SOURCE_FIELDS, line_layer
from planner.parcels.boundary import BOUNDARY_FIELDS
from planner.parcels.factories import FACTORY_FIELDS
from planner.parcels.schema import FIELDS as PARCEL_FIELDS
from planner.vocab import NETWORKS

__all__ = ["LAYERS", "LayerSpec", "layer_frame", "layer_spec"]


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
        """The layer's fields by name."""
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
    frame = pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(spec.columns, columns, strict=True)})
    frame = coerce_types(frame, spec.by_name)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometries, crs=crs), crs=crs)
