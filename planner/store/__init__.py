"""Where a park lives: a GeoPackage file (embedded default) or a PostGIS database; one interface for both.

A location is a ``.gpkg`` path or a ``postgresql://user@host:port/database?park=<park_id>`` URL.
The store keeps a park and knows no rules: the analyses that read and write it live above it
(:mod:`planner.analysis`).
"""

from planner.store.base import ParkStore
from planner.store.changes import WriteReport
from planner.store.copy import copy_park
from planner.store.geopackage import GeoPackageStore
from planner.store.layers import LAYERS, LayerSpec
from planner.store.location import create_park, open_store
from planner.store.postgis import PostGISStore

__all__ = [
    "LAYERS",
    "GeoPackageStore",
    "LayerSpec",
    "ParkStore",
    "PostGISStore",
    "WriteReport",
    "copy_park",
    "create_park",
    "open_store",
]
