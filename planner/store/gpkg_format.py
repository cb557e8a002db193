"""The bytes and tables of an OGC GeoPackage (1.3), written with the standard library.

The park store writes GeoPackages through :mod:`sqlite3` so that every write,
across layers, history and configuration, is one SQLite transaction. This
module holds what that needs from the standard (OGC 12-128r18):

- the geometry blob: a ``GP`` header (version, flags, srs_id, envelope) followed
  by ISO WKB, built for whole arrays of geometries at once;
- the SQL functions the R-tree triggers call (``ST_IsEmpty``, ``ST_MinX`` …),
  registered on every connection, as the standard asks of SQL implementations;
- the DDL of the core tables, of a feature table with its R-tree spatial index
  (extension ``gpkg_rtree_index``) and of the schema extension
  (``gpkg_data_columns`` with Chinese titles, enum constraints that GDAL and
  QGIS show as coded-value lists).
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterable, Sequence

import numpy as np
import pyproj
import shapely

__all__ = [
    "APPLICATION_ID",
    "USER_VERSION",
    "core_tables_sql",
    "decode_geometries",
    "encode_geometries",
    "feature_table_sql",
    "register_functions",
]

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0

_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
_HEADER = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4")])
_HEADER_ENV = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("env", "<f8", (4,))])


def encode_geometries(geoms: np.ndarray, srs_id: int) -> list[bytes | None]:
    """GeoPackage blobs of an array of shapely geometries (``None`` stays ``None``).

    Non-empty geometries carry their envelope ``[minx, maxx, miny, maxy]`` (flags
    ``0b011``: little endian, xy envelope); empty ones set the empty flag.
    """
    geoms = np.asarray(geoms, dtype=object)
    out: list[bytes | None] = [None] * len(geoms)
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return out
    idx = np.flatnonzero(present)
    values = geoms[idx]
    empty = shapely.is_empty(values)
    wkb = shapely.to_wkb(values, byte_order=1, flavor="iso", output_dimension=2)
    header = np.zeros(len(values), dtype=_HEADER_ENV)
    header["magic"] = b"GP"
    header["flags"] = np.where(empty, 0b10001, 0b00011)
    header["srs_id"] = srs_id
    bounds = shapely.bounds(values)
    header["env"] = bounds[:, [0, 2, 1, 3]]
    raw = header.tobytes()
    size = _HEADER_ENV.itemsize
    small = _HEADER.itemsize
    for k, i in enumerate(idx):
        head = raw[k * size : (k + 1) * size] if not empty[k] else raw[k * size : k * size + small]
        out[i] = head + wkb[k]
    return out


def decode_geometries(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Shapely geometries of GeoPackage blobs (``None`` for NULL)."""
    wkb = [None if b is None else b[8 + _ENVELOPE_BYTES[(b[3] >> 1) & 7] :] for b in blobs]
    return shapely.from_wkb(np.array(wkb, dtype=object))


def _envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """``(minx, maxx, miny, maxy)`` of a blob, from its header or else its WKB."""
    if blob is None or (blob[3] >> 4) & 1:
        return None
    code = (blob[3] >> 1) & 7
    if code:
        order = "<" if blob[3] & 1 else ">"
        return struct.unpack_from(f"{order}4d", blob, 8)
    minx, miny, maxx, maxy = shapely.from_wkb(blob[8:]).bounds
    return (minx, maxx, miny, maxy)


def _is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(bool((blob[3] >> 4) & 1) or _envelope(blob) is None)


def register_functions(conn: sqlite3.Connection) -> None:
    """Register ``ST_IsEmpty``, ``ST_MinX``, ``ST_MaxX``, ``ST_MinY``, ``ST_MaxY`` on ``conn``."""

    def part(i: int):
        def fn(blob: bytes | None) -> float | None:
            env = _envelope(blob)
            return None if env is None else env[i]

        return fn

    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for i, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, part(i), deterministic=True)


def core_tables_sql(srs: Iterable[int]) -> list[tuple[str, tuple]]:
    """Statements creating the required GeoPackage tables and SRS rows."""
    stmts: list[tuple[str, tuple]] = [
        (
            """CREATE TABLE gpkg_spatial_ref_sys (
                srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
                organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
            (),
        ),
        (
            """CREATE TABLE gpkg_contents (
                table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
                description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
                (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
                srs_id INTEGER,
                CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
            (),
        ),
        (
            """CREATE TABLE gpkg_geometry_columns (
                table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
                srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
                CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
                CONSTRAINT uk_gc_table_name UNIQUE (table_name),
                CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
                CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
            (),
        ),
        (
            """CREATE TABLE gpkg_extensions (
                table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
                scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
            (),
        ),
        (
            """CREATE TABLE gpkg_tile_matrix_set (
                table_name TEXT NOT NULL PRIMARY KEY, srs_id INTEGER NOT NULL, min_x DOUBLE NOT NULL,
                min_y DOUBLE NOT NULL, max_x DOUBLE NOT NULL, max_y DOUBLE NOT NULL)""",
            (),
        ),
        (
            """CREATE TABLE gpkg_tile_matrix (
                table_name TEXT NOT NULL, zoom_level INTEGER NOT NULL, matrix_width INTEGER NOT NULL,
                matrix_height INTEGER NOT NULL, tile_width INTEGER NOT NULL, tile_height INTEGER NOT NULL,
                pixel_x_size DOUBLE NOT NULL, pixel_y_size DOUBLE NOT NULL,
                CONSTRAINT pk_ttm PRIMARY KEY (table_name, zoom_level))""",
            (),
        ),
        (
            """CREATE TABLE gpkg_data_columns (
                table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
                mime_type TEXT, constraint_name TEXT,
                CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
                CONSTRAINT gdc_tn UNIQUE (table_name, name))""",
            (),
        ),
        (
            """CREATE TABLE gpkg_data_column_constraints (
                constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC,
                min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, description TEXT,
                CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))""",
            (),
        ),
    ]
    rows = [
        ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
        ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
    ]
    for code in sorted({4326, *srs}):
        crs = pyproj.CRS.from_epsg(code)
        rows.append((crs.name, code, "EPSG", code, crs.to_wkt("WKT1_GDAL"), crs.name))
    stmts += [("INSERT INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", row) for row in rows]
    schema_ext = "http://www.geopackage.org/spec/#extension_schema"
    stmts += [
        (
            "INSERT INTO gpkg_extensions VALUES (?,?,?,?,?)",
            ("gpkg_data_columns", None, "gpkg_schema", schema_ext, "read-write"),
        ),
        (
            "INSERT INTO gpkg_extensions VALUES (?,?,?,?,?)",
            ("gpkg_data_column_constraints", None, "gpkg_schema", schema_ext, "read-write"),
        ),
    ]
    return stmts


def feature_table_sql(
    table: str, columns: Sequence[tuple[str, str]], *, geometry_type: str, srs_id: int, geom: str = "geom"
) -> list[str]:
    """DDL of a feature table with an R-tree index and the standard's triggers.

    ``columns`` are ``(name, sql_type)`` pairs after ``fid`` and the geometry.
    """
    cols = ",\n  ".join(f'"{name}" {sql_type}' for name, sql_type in columns)
    rtree = f"rtree_{table}_{geom}"
    t, c, i = f'"{table}"', f'"{geom}"', '"fid"'
    return [
        f'CREATE TABLE {t} (\n  "fid" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  {c} {geometry_type},\n  {cols})',
        f'CREATE VIRTUAL TABLE "{rtree}" USING rtree(id, minx, maxx, miny, maxy)',
        f"""CREATE TRIGGER "{rtree}_insert" AFTER INSERT ON {t}
            WHEN (new.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))
            BEGIN INSERT OR REPLACE INTO "{rtree}" VALUES (NEW.{i},
              ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})); END""",
        f"""CREATE TRIGGER "{rtree}_update1" AFTER UPDATE OF {c} ON {t}
            WHEN OLD.{i} = NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
            BEGIN INSERT OR REPLACE INTO "{rtree}" VALUES (NEW.{i},
              ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})); END""",
        f"""CREATE TRIGGER "{rtree}_update2" AFTER UPDATE OF {c} ON {t}
            WHEN OLD.{i} = NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
            BEGIN DELETE FROM "{rtree}" WHERE id = OLD.{i}; END""",
        f"""CREATE TRIGGER "{rtree}_update3" AFTER UPDATE ON {t}
            WHEN OLD.{i} != NEW.{i} AND (NEW.{c} NOTNULL AND NOT ST_IsEmpty(NEW.{c}))
            BEGIN DELETE FROM "{rtree}" WHERE id = OLD.{i}; INSERT OR REPLACE INTO "{rtree}" VALUES (NEW.{i},
              ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c})); END""",
        f"""CREATE TRIGGER "{rtree}_update4" AFTER UPDATE ON {t}
            WHEN OLD.{i} != NEW.{i} AND (NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))
            BEGIN DELETE FROM "{rtree}" WHERE id IN (OLD.{i}, NEW.{i}); END""",
        f"""CREATE TRIGGER "{rtree}_delete" AFTER DELETE ON {t} WHEN old.{c} NOT NULL
            BEGIN DELETE FROM "{rtree}" WHERE id = OLD.{i}; END""",
    ]
