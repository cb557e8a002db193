"""HTTP API: ``GET /parcels?ready=true&min_area_mu=100&limit=100`` on a 1,000,000-parcel park (issue 6).

    python -m bench.api --parcels 1000000 [--requests 100] [--server postgresql://…] [--keep DIR]

Builds a synthetic park (columns of adjoining rectangular parcels of 10–400 亩, about
20% ready land) in a GeoPackage through the store (validation, history, versions), copies
it into a throwaway PostGIS database with ``copy_park`` (COPY; then ``VACUUM ANALYZE``, as
autovacuum would do after a bulk load), and serves each with
``create_app`` under uvicorn in a process of its own, so that its memory is measured
apart (``VmHWM`` of ``/proc/<pid>/status``). The first request loads the park (the load
time); then ``--requests`` requests over one keep-alive connection give the median and
95th percentile. The same query is done the two other ways, per request, on the same
data: geopandas reading the GeoPackage (SQL with the filter, order and limit, then
``to_crs(4326)`` and GeoJSON), and PostGIS SQL (``json_agg(ST_AsGeoJSON(…))``). The bench
checks that all four return the same parcel ids in the same order.

``--keep DIR`` keeps the GeoPackage in DIR and the database (``planner_bench_api``) and
reuses them on the next run with the same ``--parcels``; without it both are removed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import requests
import shapely
from psycopg import sql

from bench.siting import PER_COLUMN, synthetic_park
from bench.siting import config as park_config
from planner.parcels.readiness import READINESS_COLUMNS, compute_readiness
from planner.store import copy_park, create_park, open_store
from planner.store.postgis import list_parks, redact
from planner.vocab import CHECKLIST_ITEMS

SERVER = os.environ.get("PLANNER_TEST_POSTGIS_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DATABASE = "planner_bench_api"
QUERY = {"ready": "true", "min_area_mu": "100", "limit": "100"}
GPKG_SQL = "SELECT * FROM parcels WHERE ready = 1 AND area_mu >= 100 ORDER BY parcel_id LIMIT 100"
POSTGIS_SQL = """
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.parcel_id), '[]')
) FROM (
    SELECT {columns}, ST_Transform(p.geom, 4326) AS geom FROM {table} p
    WHERE p.ready AND p.area_mu >= 100 ORDER BY p.parcel_id LIMIT 100
) t
"""
"""Every column but the stored ``geom`` (``{columns}``), which is replaced by its WGS84 transform."""


def ready_park(n: int, seed: int = 5) -> gpd.GeoDataFrame:
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


# --- the data -------------------------------------------------------------------------------------------------


def build_gpkg(path: Path, n: int) -> float:
    """The synthetic park written through the store into a new GeoPackage; seconds taken."""
    t = time.perf_counter()
    frame = ready_park(n)
    made = time.perf_counter() - t
    store = create_park(path, park_config(), overwrite=True)
    t = time.perf_counter()
    store.write_parcels(frame, by="bench")
    # readiness was computed from these very rows: recorded as of the write, so the API answers `ready=` (not a 409)
    now = pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")
    store.set_metadata({"readiness_at": now, "readiness_stamp": store.change_stamp()}, by="bench")
    written = time.perf_counter() - t
    store.close()
    print(
        f"park: {n:,} parcels made in {made:.1f} s, written through the store (validation, history) in {written:.1f} s"
    )
    return written


def database_url(server: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{DATABASE}", parts.query, ""))


def ensure_database(server: str) -> str:
    url = database_url(server)
    with psycopg.connect(server, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url


def drop_database(server: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))


def parcel_count(location: str | Path) -> int:
    try:
        store = open_store(location)
    except Exception:
        return -1
    with store:
        return store.counts()["parcels"]


# --- the server -------------------------------------------------------------------------------------------------


def serve(location: str, port: int) -> None:
    """Run in the server process: the API over one store, under uvicorn."""
    import uvicorn

    from planner.api import create_app

    app = create_app(open_store(location))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mib(pid: int) -> dict[str, float]:
    """``VmRSS`` and ``VmHWM`` (peak resident memory) of a process, MiB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def timed_runs(fn: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return runs


def bench_api(location: str, repeat: int) -> dict:
    """Start a server over ``location``, load the park with the first request, time ``repeat`` more."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen([sys.executable, "-m", "bench.api", "--serve", location, "--port", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        with requests.Session() as session:
            for _ in range(600):
                with contextlib.suppress(requests.ConnectionError):
                    if session.get(url + "/health", timeout=5).ok:
                        break
                if proc.poll() is not None:
                    raise RuntimeError(f"the server over {redact(location)} exited ({proc.returncode})")
                time.sleep(0.1)
            started = memory_mib(proc.pid)
            t = time.perf_counter()
            first = session.get(url + "/parcels", params=QUERY, timeout=600)
            load = time.perf_counter() - t
            first.raise_for_status()
            loaded = memory_mib(proc.pid)
            for _ in range(5):  # warm: the connection, the caches a running server has
                session.get(url + "/parcels", params=QUERY, timeout=60).raise_for_status()

            def once() -> None:
                got = session.get(url + "/parcels", params=QUERY, timeout=60)
                got.raise_for_status()
                got.content  # noqa: B018 - the whole body, as a client reads it

            runs = timed_runs(once, repeat)
            body = session.get(url + "/parcels", params=QUERY, timeout=60).json()
            after = memory_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "runs": runs,
        "load_s": load,
        "ids": [f["id"] for f in body["features"]],
        "matched": body["numberMatched"],
        "bytes": len(first.content),
        "rss_started": started["VmRSS"],
        "rss_loaded": loaded["VmRSS"],
        "peak": after["VmHWM"],
    }


# --- the two other ways -----------------------------------------------------------------------------------------


def geopandas_request(gpkg: Path) -> tuple[str, list[str]]:
    """One request the geopandas way: read the matching rows from the GeoPackage, WGS84, GeoJSON text."""
    frame = pyogrio.read_dataframe(gpkg, sql=GPKG_SQL)
    text = frame.to_crs(4326).to_json(na="null", drop_id=True, default=str)  # default: the timestamps
    return text, frame["parcel_id"].tolist()


def postgis_query(conn: psycopg.Connection, schema: str) -> str:
    """:data:`POSTGIS_SQL` for the park in ``schema``."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = 'parcels' "
            "AND column_name <> 'geom' ORDER BY ordinal_position",
            (schema,),
        )
    ]
    columns = sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(c)) for c in names)
    table = sql.SQL("{}.parcels").format(sql.Identifier(schema))
    return sql.SQL(POSTGIS_SQL).format(columns=columns, table=table).as_string(conn)


def postgis_request(conn: psycopg.Connection, query: str) -> tuple[dict, list[str]]:
    """One request the PostGIS way: one SQL statement returning the FeatureCollection as JSON."""
    (doc,) = conn.execute(query).fetchone()
    return doc, [f["properties"]["parcel_id"] for f in doc["features"]]


# --- the run ----------------------------------------------------------------------------------------------------


def summary(runs: list[float]) -> tuple[float, float]:
    ms = np.array(runs) * 1000
    return float(np.median(ms)), float(np.percentile(ms, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per way (at least 50)")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server for the PostGIS copy")
    parser.add_argument("--keep", type=Path, help="keep the GeoPackage here and the database; reuse them")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    n, repeat = args.parcels, max(args.requests, 50)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="planner-bench-api-"))
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / f"park-{n}.gpkg"
    try:
        if parcel_count(gpkg) != n:
            build_gpkg(gpkg, n)
        else:
            print(f"park: {n:,} parcels reused from {gpkg}")
        url = ensure_database(args.server)
        location = f"{url}?park=BENCH"
        if "BENCH" not in list_parks(url) or parcel_count(location) != n:
            t = time.perf_counter()
            copy_park(gpkg, url, overwrite=True).close()
            print(f"copied into PostGIS ({redact(url)}) with copy_park in {time.perf_counter() - t:.1f} s")
        run(gpkg, location, repeat)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
            drop_database(args.server)


def run(gpkg: Path, location: str, repeat: int) -> None:
    pg = open_store(location)
    schema = pg.schema
    table = sql.SQL("{}.parcels").format(sql.Identifier(schema))
    url = location.split("?", maxsplit=1)[0]
    pg.close()

    with psycopg.connect(url, autocommit=True) as conn:  # as autovacuum does after a bulk load: statistics, and
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(table))  # the visibility map of index-only scans
    load_before = os.getloadavg()[0]
    results = {}
    for backend, where in (("gpkg", str(gpkg)), ("postgis", location)):
        results[backend] = bench_api(where, repeat)
        print(f"API on {backend}: served and loaded; {repeat} requests timed")

    geopandas_request(gpkg)  # warm: the file in the page cache, GDAL's driver loaded
    gpd_runs = timed_runs(lambda: geopandas_request(gpkg), repeat)
    gpd_text, gpd_ids = geopandas_request(gpkg)

    with psycopg.connect(url, autocommit=True) as conn:
        query = postgis_query(conn, schema)
        postgis_request(conn, query)
        sql_runs = timed_runs(lambda: postgis_request(conn, query), repeat)
        sql_doc, sql_ids = postgis_request(conn, query)
        count = sql.SQL("SELECT count(*) FROM {} WHERE ready AND area_mu >= 100").format(table).as_string(conn)
        counted_runs = timed_runs(lambda: (postgis_request(conn, query), conn.execute(count).fetchone()), repeat)
        indexed = conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = %s AND indexname = 'parcels_ready_area_mu'", (schema,)
        ).fetchone()[0]
        plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query)]
        matched = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE ready AND area_mu >= 100").format(table)
        ).fetchone()[0]
        total, ready = conn.execute(
            sql.SQL("SELECT count(*), count(*) FILTER (WHERE ready) FROM {}").format(table)
        ).fetchone()

    ways = {
        "API on GeoPackage": results["gpkg"]["ids"],
        "API on PostGIS": results["postgis"]["ids"],
        "geopandas per request": gpd_ids,
        "PostGIS SQL": sql_ids,
    }
    first = next(iter(ways.values()))
    assert len(first) == 100, f"expected 100 parcels, got {len(first)}"
    for way, ids in ways.items():
        assert ids == first, f"{way} returns other parcels than the API on GeoPackage"
    for backend in ("gpkg", "postgis"):
        assert results[backend]["matched"] == matched, (backend, results[backend]["matched"], matched)
    assert len(json.loads(gpd_text)["features"]) == len(sql_doc["features"]) == 100

    print()
    print(f"park: {total:,} parcels, {ready:,} ready ({100 * ready / total:.1f}%), {matched:,} ready of ≥ 100 亩")
    print(f"query: GET /parcels?ready=true&min_area_mu=100&limit=100 — {results['gpkg']['bytes']:,} bytes of GeoJSON")
    print("answers: the same 100 parcel ids, in the same order, all four ways; numberMatched equals SQL count(*)")
    api_gpkg, api_pg = summary(results["gpkg"]["runs"]), summary(results["postgis"]["runs"])
    rows = [
        ("API on GeoPackage", api_gpkg, None),
        ("API on PostGIS", api_pg, None),
        ("geopandas per request (GeoPackage)", summary(gpd_runs), api_gpkg[0]),
        ("PostGIS SQL (ST_AsGeoJSON)", summary(sql_runs), api_pg[0]),
        ("PostGIS SQL + count(*) as numberMatched", summary(counted_runs), api_pg[0]),
    ]
    print(f"{'way':<36} {'median ms':>10} {'p95 ms':>8} {'baseline/API':>13}")
    for way, (median, p95), versus in rows:
        ratio = f"{median / versus:12.1f}×" if versus else f"{'—':>13}"
        print(f"{way:<36} {median:10.2f} {p95:8.2f} {ratio}")
    print(f"(ratios: geopandas vs the API on GeoPackage, SQL vs the API on PostGIS; {repeat} requests each)")
    print(
        "the API answers numberMatched too; the page-only ways do not ("
        + ("the partial index parcels_ready_area_mu serves the count)" if indexed else "no partial index: a scan)")
    )
    for backend, label in (("gpkg", "GeoPackage"), ("postgis", "PostGIS")):
        r = results[backend]
        print(
            f"server on {label}: park load (first request) {r['load_s']:.1f} s; resident memory "
            f"{r['rss_started']:,.0f} MiB started, {r['rss_loaded']:,.0f} MiB loaded, peak {r['peak']:,.0f} MiB"
        )
    print(f"load average (1 min) {load_before:.1f} before the API runs, {os.getloadavg()[0]:.1f} at the end")
    goal = "met" if max(api_gpkg[0], api_pg[0]) < 20 else "NOT met"
    print(f"goal: median under 20 ms on both backends — {goal}")
    print("PostGIS plan (EXPLAIN ANALYZE):")
    for line in plan:
        print("   ", line)
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
