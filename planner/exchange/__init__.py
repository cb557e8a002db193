"""Import and export: GeoJSON, GeoPackage, Shapefile, FlatGeobuf, OpenStreetMap and the land bureau's TXT.

- :func:`import_file` (:mod:`.importer`): read, map, check coordinates, validate, write in one transaction;
- :func:`export_parcels` (:mod:`.export`): filtered parcels as RFC 7946 GeoJSON, or in CGCS2000 for the land bureau;
- :func:`read_txt` / :func:`write_txt` (:mod:`.txt`, :mod:`.txt_write`): the boundary-coordinate TXT (报部格式);
- :func:`read_osm` (:mod:`.osm`): roads, industrial land and power from OpenStreetMap;
- :func:`check_coordinates` (:mod:`.coords`): swapped axes, zone prefixes, GCJ-02 and other coordinate mistakes.
"""

from planner.exchange.coords import check_coordinates
from planner.exchange.dem import DemReport, import_dem
from planner.exchange.export import EXPORT_FORMATS, ExportReport, export_parcels, write_geojson
from planner.exchange.importer import ImportReport, import_file
from planner.exchange.osm import read_osm
from planner.exchange.txt import read_txt
from planner.exchange.txt_write import write_txt

__all__ = [
    "EXPORT_FORMATS",
    "DemReport",
    "ExportReport",
    "ImportReport",
    "check_coordinates",
    "export_parcels",
    "import_dem",
    "import_file",
    "read_osm",
    "read_txt",
    "write_geojson",
    "write_txt",
]
