"""Where a park lives: a GeoPackage file (embedded default); one interface for every backend."""

from __future__ import annotations

import os
from pathlib import Path

from planner.errors import StoreError
from planner.store.base import LAYERS, LayerSpec, ParkStore, WriteReport
from planner.store.geopackage import GeoPackageStore, create_park

__all__ = ["LAYERS", "GeoPackageStore", "LayerSpec", "ParkStore", "WriteReport", "create_park", "open_store"]


def open_store(uri: str | os.PathLike[str]) -> ParkStore:
    """Open a park store by its location: a ``.gpkg`` path."""
    text = str(uri)
    if text.startswith(("postgresql://", "postgres://")):
        raise StoreError("PostGIS stores are not supported by this version; give a .gpkg path")
    if Path(text).suffix.lower() != ".gpkg":
        raise StoreError(f"cannot tell the store type of {text!r}; a GeoPackage park store ends in .gpkg")
    return GeoPackageStore(text)
