"""Opening and creating a park store by its location: a ``.gpkg`` path or a ``postgresql://`` URL."""

from __future__ import annotations

import os
from pathlib import Path

from planner.config import ParkConfig
from planner.errors import StoreError
from planner.store.base import ParkStore
from planner.store.geopackage import GeoPackageStore
from planner.store.geopackage import create_park as create_geopackage
from planner.store.postgis import PostGISStore, is_postgis_uri, redact
from planner.store.postgis import create_park as create_postgis

__all__ = ["create_park", "open_store"]


def open_store(uri: str | os.PathLike[str], *, folder: str | os.PathLike[str] | None = None) -> ParkStore:
    """Open a park store by its location: a ``.gpkg`` path or a ``postgresql://…?park=<park_id>`` URL.

    ``folder`` is where a PostGIS park's files lie (the DEM its configuration names);
    a GeoPackage's folder is the one it lies in.
    """
    text = str(uri)
    if is_postgis_uri(text):
        return PostGISStore(text, folder=folder)
    if Path(text).suffix.lower() != ".gpkg":
        msg = (
            f"cannot tell the store type of {redact(text)!r}; a GeoPackage park store ends in .gpkg, "
            "a PostGIS one starts with postgresql://"
        )
        raise StoreError(msg)
    return GeoPackageStore(text)


def create_park(uri: str | os.PathLike[str], config: ParkConfig, *, overwrite: bool = False) -> ParkStore:
    """Create a new, empty park at ``uri``: a ``.gpkg`` path or a ``postgresql://`` URL (see :func:`open_store`)."""
    if is_postgis_uri(uri):
        return create_postgis(str(uri), config, overwrite=overwrite)
    return create_geopackage(uri, config, overwrite=overwrite)
