"""The park of ``bench.api``: built through the store, and made K times as large in each backend alike.

A park of ``n`` parcels is written into a GeoPackage through the store (validation, history,
versions; :func:`build_gpkg`). ``--copies K`` makes a park K times as large without building
it through the store (whose build of 1,000,000 parcels needs about 7 GiB and, on a loaded
machine, more than an hour): the parcels again, K − 1 times, each copy shifted north by the
same whole number of metres (:func:`copy_shift_m`) with ids ``<id>-<k>`` — in a copy of the
GeoPackage (:func:`replicate_gpkg`: the shapes translated by shapely and written as GeoPackage
blobs, the R-tree kept by its triggers) and in PostGIS (:func:`replicate_postgis`:
``ST_Translate`` in SQL). Both add the same number to the same doubles, so the two parks hold
the same parcels. The planner's edit triggers are held off (its own flag), so the copies add
no history: the park's change stamp, and the readiness recorded at it, stay those of the
park built through the store.
"""

from __future__ import annotations

import math
import shutil
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from bench.siting import PER_COLUMN, synthetic_park
from bench.siting import config as park_config
from planner.parcels.readiness import READINESS_COLUMNS, compute_readiness
from planner.store import create_park, open_store
from planner.store.base import ParkStore
from planner.store.gpkg_format import decode_geometries, encode_geometries, register_functions
from planner.store.layers import LAYERS
from planner.store.triggers import GPKG_FLAG, PG_FLAG
from planner.vocab import CHECKLIST_ITEMS

__all__ = [
    "build_gpkg",
    "copy_shift_m",
    "mark_readiness",
    "ready_park",
    "replicate_gpkg",
    "replicate_postgis",
]

_BATCH = 20_000
"""Parcels read, shifted and written at a time by :func:`replicate_gpkg`."""


def ready_park(n: int, seed: int = 5) -> pd.DataFrame:
    """``n`` parcels (bench.siting's synthetic park) with readiness computed by the planner: about 20% ready (熟地).

    The park has no network layer, so readiness comes from the declared values
    (:func:`planner.parcels.readiness.compute_readiness`, as ``planner readiness`` runs it).
    """
    frame, _ = synthetic_park(n, seed=seed)
    frame["geometry"] = _within_china(frame.geometry.to_numpy())
    rng = np.random.default_rng(seed + 1)
    serviced = rng.random(n) < 0.125  # plus the parcels whose every declared item holds: about 20% in all
    for item in CHECKLIST_ITEMS:
        frame[f"declared_{item}"] = frame[f"declared_{item}"].to_numpy() | serviced
    table = compute_readiness(frame, park_config(), {}).table.reindex(frame["parcel_id"])
    for column in READINESS_COLUMNS:
        frame[column] = table[column].to_numpy()
    return frame


def _within_china(geoms: np.ndarray) -> np.ndarray:
    """bench.siting's columns laid out 500 to a row and the rows close together (its 1,000,000 parcels reach
    Siberia): each parcel moves with its column, so parcels still adjoin exactly within a column."""
    minx, miny, maxx, maxy = shapely.bounds(geoms).T
    col = np.arange(len(geoms)) // PER_COLUMN
    old_x, old_y = 620_000.0 + (col % 300) * 220.0, 3_570_000.0 + (col // 300) * 40_000.0
    pitch = float((maxy - old_y).max()) + 200.0
    x, y = 620_000.0 + (col % 500) * 220.0, 3_570_000.0 + (col // 500) * pitch
    return shapely.box(x + (minx - old_x), y + (miny - old_y), x + (maxx - old_x), y + (maxy - old_y))


def build_gpkg(path: Path, n: int) -> float:
    """The synthetic park written through the store into a new GeoPackage; seconds taken."""
    t = time.perf_counter()
    frame = ready_park(n)
    made = time.perf_counter() - t
    store = create_park(path, park_config(), overwrite=True)
    t = time.perf_counter()
    store.write_parcels(frame, by="bench")
    written = time.perf_counter() - t
    mark_readiness(store)  # computed from these very rows: the API answers `ready=` (not a 409)
    store.close()
    print(
        f"park: {n:,} parcels made in {made:.1f} s, written through the store (validation, history) in {written:.1f} s"
    )
    return written


def mark_readiness(store: ParkStore) -> None:
    """Record the synthetic park's readiness columns as computed now, at the store's state (as a run would)."""
    now = pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")
    store.set_metadata({"readiness_at": now, "readiness_stamp": store.change_stamp()}, by="bench")


# --- K times as large -------------------------------------------------------------------------------------------


def copy_shift_m(gpkg: Path) -> float:
    """How far north each copy moves from the one before: the park's height (exact, from its shapes), rounded up to
    a whole metre, plus 1 km. A whole number, so that shapely and PostGIS shift every coordinate to the same double."""
    with sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True) as conn:
        blobs = [r[0] for r in conn.execute('SELECT "geom" FROM "parcels"')]
    _, miny, _, maxy = shapely.total_bounds(decode_geometries(blobs))
    return float(math.ceil(maxy - miny) + 1000)


def _columns() -> list[str]:
    return [c for c in LAYERS["parcels"].columns if c != "parcel_id"]


def replicate_gpkg(base: Path, path: Path, copies: int, shift_m: float) -> None:
    """``path``: the GeoPackage ``base`` with its parcels ``copies`` times (see the module notes)."""
    t = time.perf_counter()
    part = path.with_suffix(".part")
    shutil.copyfile(base, part)
    columns = _columns()
    names = ", ".join(f'"{c}"' for c in ["parcel_id", "geom", *columns])
    read = f'SELECT {names} FROM "parcels" ORDER BY fid'
    insert = f'INSERT INTO "parcels" ({names}) VALUES ({", ".join("?" * (len(columns) + 2))})'
    conn = sqlite3.connect(part, isolation_level=None)
    try:
        register_functions(conn)  # the R-tree's triggers call ST_MinX …
        (srs_id,) = conn.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'parcels'").fetchone()
        rows = conn.execute(read).fetchall()
        for k in range(1, copies):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"INSERT OR REPLACE INTO {GPKG_FLAG} (id) VALUES (1)")  # the edit triggers held off
            for start in range(0, len(rows), _BATCH):
                batch = rows[start : start + _BATCH]
                shapes = decode_geometries([r[1] for r in batch])
                moved = encode_geometries(_north(shapes, k * shift_m), srs_id)
                conn.executemany(insert, [(f"{r[0]}-{k}", g, *r[2:]) for r, g in zip(batch, moved, strict=True)])
            conn.execute(f"DELETE FROM {GPKG_FLAG}")
            conn.execute("COMMIT")
        conn.execute(
            "UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) = "
            '(SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_parcels_geom") '
            "WHERE table_name = 'parcels'"
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    part.replace(path)
    for extra in ("-wal", "-shm"):
        Path(f"{part}{extra}").unlink(missing_ok=True)
    print(f"GeoPackage park made {copies} times as large ({path.name}) in {time.perf_counter() - t:.1f} s")


def _north(shapes: np.ndarray, dy: float) -> np.ndarray:
    """``shapes`` moved ``dy`` metres north: ``y + dy`` for every vertex (``x`` as it was), as ``ST_Translate`` does."""
    shift = np.array([0.0, dy])
    moved: np.ndarray = shapely.transform(shapes, lambda coords: coords + shift)
    return moved


def replicate_postgis(location: str, copies: int, shift_m: float) -> None:
    """The PostGIS park made ``copies`` times as large: its parcels again, shifted north, with new ids (SQL)."""
    t = time.perf_counter()
    with open_store(location) as store:
        schema = store.schema
    table = sql.SQL("{}.parcels").format(sql.Identifier(schema))
    columns = _columns()
    with psycopg.connect(location.split("?", maxsplit=1)[0], autocommit=True) as conn:
        conn.execute("SELECT set_config(%s, 'on', false)", (PG_FLAG,))
        conn.execute(
            sql.SQL(
                "INSERT INTO {t} (parcel_id, geom, {c}) SELECT p.parcel_id || '-' || k, "
                "ST_Translate(p.geom, 0, k * %s::float8), {pc} FROM {t} p, generate_series(1, %s) k"
            ).format(
                t=table,
                c=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                pc=sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(c)) for c in columns),
            ),
            (shift_m, copies - 1),
        )
    print(f"PostGIS park made {copies} times as large in SQL in {time.perf_counter() - t:.1f} s")
