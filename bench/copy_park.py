"""PostGIS store: copy a park GeoPackage → PostGIS and back (COPY), and write/read N parcels through the store.

    python -m bench.copy_park --parcels 100000 [--server postgresql://postgres@127.0.0.1:5432/postgres]

The server (default ``PLANNER_TEST_POSTGIS_URL`` or the local one) gets a throwaway
database with PostGIS, dropped at the end. Prints seconds and rows per second
(all features of every layer plus history rows) for the demo park and for N
synthetic parcels; baseline: the same frame written with GDAL (pyogrio) into a
GeoPackage.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pyogrio
from psycopg import sql

from bench.store import synthetic_parcels
from planner.config import ParkConfig
from planner.demo import build_demo
from planner.parcels.validation import validate_parcels
from planner.store import copy_park, create_park, open_store
from planner.store.postgis import drop_park, redact

SERVER = os.environ.get("PLANNER_TEST_POSTGIS_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def rows_of(store) -> int:
    return sum(store.counts().values()) + len(store.history())


def report(label: str, rows: int, seconds: float) -> None:
    print(f"{label:<44} {rows:>10,} {seconds:9.2f} {rows / seconds:12,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, nargs="+", default=[100_000])
    parser.add_argument("--server", default=SERVER)
    args = parser.parse_args()
    name = f"planner_bench_{os.getpid()}"
    parts = urlsplit(args.server)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    with psycopg.connect(args.server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE EXTENSION postgis")
            print(f"server {redact(args.server)}, database {name}")
            print(f"{'step':<44} {'rows':>10} {'seconds':>9} {'rows/s':>12}")
            with tempfile.TemporaryDirectory() as tmp:
                run(Path(tmp), url, args.parcels)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:,.0f} MiB")
    print("rows: features of every layer plus history rows; copy_park = one read transaction + one COPY transaction")


def run(folder: Path, url: str, sizes: list[int]) -> None:
    demo = build_demo(folder / "demo", as_of=date(2026, 6, 30))
    source = open_store(demo.path)
    n = rows_of(source)
    t = time.perf_counter()
    pg = copy_park(source, url)
    report("demo park: GeoPackage → PostGIS", n, time.perf_counter() - t)
    t = time.perf_counter()
    copy_park(pg, folder / "demo-back.gpkg")
    report("demo park: PostGIS → GeoPackage", n, time.perf_counter() - t)
    pg.close()
    drop_park(f"{url}?park={demo_config_id(source)}")
    for size in sizes:
        config = ParkConfig(park_id=f"BENCH{size}", name="基准园区", crs_epsg=4548)
        frame = synthetic_parcels(size)
        gpkg = create_park(folder / f"bench{size}.gpkg", config)
        gpkg.write_parcels(frame, by="bench")
        n = rows_of(gpkg)
        t = time.perf_counter()
        pg = copy_park(gpkg, url)
        report(f"{size:,} parcels: GeoPackage → PostGIS", n, time.perf_counter() - t)
        t = time.perf_counter()
        copy_park(pg, folder / f"back{size}.gpkg")
        report(f"{size:,} parcels: PostGIS → GeoPackage", n, time.perf_counter() - t)
        t = time.perf_counter()
        pg.read_parcels()
        report(f"{size:,} parcels: read all from PostGIS", size, time.perf_counter() - t)
        pg.close()
        drop_park(f"{url}?park={config.park_id}")
        fresh = create_park(url, config)
        t = time.perf_counter()
        fresh.write_parcels(frame, by="bench")
        report(f"{size:,} parcels: write_parcels into PostGIS", size, time.perf_counter() - t)
        t = time.perf_counter()
        fresh.write_parcels(fresh.read_parcels().assign(status="planned"), by="bench")
        report(f"{size:,} parcels: read + update all in PostGIS", size, time.perf_counter() - t)
        fresh.close()
        drop_park(f"{url}?park={config.park_id}")
        checked = validate_parcels(frame, crs_epsg=4548, park_id=config.park_id).parcels
        t = time.perf_counter()
        pyogrio.write_dataframe(checked, folder / f"gdal{size}.gpkg", layer="parcels")
        report(f"{size:,} parcels: baseline GDAL write (GeoPackage)", size, time.perf_counter() - t)


def demo_config_id(store) -> str:
    return store.config().park_id


if __name__ == "__main__":
    main()
