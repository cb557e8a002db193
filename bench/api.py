"""HTTP API: ``GET /parcels?ready=true&min_area_mu=100&limit=100`` on a large park, beside its peers (issues 6, 17).

    python -m bench.api --parcels 1000000 [--requests 100] [--server postgresql://…] [--database NAME]
                        [--keep DIR] [--copies K] [--no-gpkg] [--tipg-venv DIR] [--before DIR]

Builds a synthetic park (columns of adjoining rectangular parcels of 10–400 亩, about
20% ready land) in a GeoPackage through the store (validation, history, versions), copies
it into a throwaway PostGIS database with ``copy_park`` (COPY; then ``VACUUM ANALYZE``, as
autovacuum would do after a bulk load), and serves each with ``create_app`` under uvicorn
(httptools, uvloop) in a process of its own, so that its memory is measured apart
(``VmRSS``/``VmHWM`` of ``/proc/<pid>/status``), and its CPU per request (``/proc/<pid>/stat``).
The first request loads what the server keeps; then ``--requests`` requests over one
keep-alive connection per server give the median and 95th percentile (uncompressed, and again
accepting gzip), and 4 clients at once the requests per second. Every server runs at once and
they are timed interleaved (a request to each in turn, the order rotating; 4 clients in four
turns each), so that the machine's load, which moves on a shared machine, falls on every way
alike. The peers, on the same data and query, each in a process of its own the same way:
one SQL statement (``json_agg(ST_AsGeoJSON(…))``, no count) behind a small Starlette
server (:mod:`bench.api_peers`), and tipg (OGC API Features) from ``--tipg-venv``. Without
a server: geopandas reading the GeoPackage per request, and the SQL statement alone. The
bench checks that every way returns the same parcel ids in the same order and that each
``numberMatched`` is SQL's ``count(*)``.

``--copies K``: both parks hold the built park's parcels K times (shifted north, new ids; made
in a copy of the GeoPackage and in SQL, :mod:`bench.api_park`), for parks larger than this
machine can build through the store (``--parcels 100000 --copies 10``: 1,000,000 parcels on
both backends). ``--no-gpkg`` leaves the GeoPackage ways out. ``--keep DIR`` keeps the
GeoPackages in DIR and the database (``--database``, default ``planner_bench_api``) and
reuses them; without it both are removed. ``--before DIR``: the API on PostGIS from another
checkout of the planner too (``git archive <commit> | tar -x -C DIR``), timed interleaved with the rest:
a change of the server weighed against what it replaces under the same load.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg
import pyogrio
import requests
from psycopg import sql

from bench.api_park import build_gpkg, copy_shift_m, mark_readiness, replicate_gpkg, replicate_postgis
from bench.api_peers import IDENTITY, rate, tipg_command
from planner.store import copy_park, open_store
from planner.store.postgis import list_parks, redact

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


def database_url(server: str, database: str = DATABASE) -> str:
    """The URL of ``database`` on ``server``'s PostgreSQL."""
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def ensure_database(server: str, database: str = DATABASE) -> str:
    url = database_url(server, database)
    with psycopg.connect(server, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return url


def drop_database(server: str, database: str = DATABASE) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def parcel_count(location: str | Path) -> int:
    try:
        store = open_store(location)
    except Exception:
        return -1
    with store:
        return store.counts()["parcels"]


# --- the server -------------------------------------------------------------------------------------------------


def serve(location: str, port: int | str) -> None:
    """Run in the server process: the API over one store, under uvicorn."""
    import uvicorn

    from planner.api import create_app

    app = create_app(open_store(location))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


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


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_runs(fn: Callable[[], object], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return runs


@dataclass
class Server:
    """A server started for the bench: its process, where to ask, a keep-alive session, and what was measured."""

    name: str
    proc: subprocess.Popen
    url: str
    params: dict
    session: requests.Session
    out: dict = field(default_factory=dict)

    def get(self, headers: dict | None = None) -> requests.Response:
        got = self.session.get(self.url, params=self.params, headers=headers, timeout=600)
        got.raise_for_status()
        got.content  # noqa: B018 - the whole body, as a client reads it
        return got


def api_argv(location: str) -> tuple[list[str], dict]:
    """The command and environment serving the planner's API over ``location`` (``{port}`` to fill)."""
    argv = [sys.executable, "-m", "bench.api", "--serve", location, "--port", "{port}"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")])))
    return argv, env


def start_server(name: str, argv: list[str], env: dict, path: str, params: dict) -> Server:
    """Start a server (``{port}`` in ``argv``); its first request (loading what it keeps) timed, then 5 to warm it."""
    port = free_port()
    proc = subprocess.Popen([a.replace("{port}", str(port)) for a in argv], env=env)
    session = requests.Session()
    session.headers.update(IDENTITY)
    server = Server(name, proc, f"http://127.0.0.1:{port}{path}", params, session)
    _wait_up(session, f"http://127.0.0.1:{port}", proc)
    started = memory_mib(proc.pid)
    t = time.perf_counter()
    first = server.get()
    server.out.update(load_s=time.perf_counter() - t, bytes=len(first.content), rss_started=started["VmRSS"])
    server.out["rss_loaded"] = memory_mib(proc.pid)["VmRSS"]
    for _ in range(5):  # warm: the connection, the caches a running server has
        server.get()
    return server


def _rotated(servers: list[Server], k: int) -> list[Server]:
    k %= len(servers)
    return servers[k:] + servers[:k]


def measure(servers: list[Server], repeat: int, gzip: tuple[str, ...] = ("gpkg", "postgis")) -> None:
    """Time every server, interleaved: round by round one request to each in turn (the order rotating), so a
    change in the machine's load falls on every way alike; then those in ``gzip`` accepting gzip; then 4 clients
    at once, in 4 turns per server, interleaved likewise. Requests ask for uncompressed answers
    (:data:`bench.api_peers.IDENTITY`), as every way is timed on the same bytes."""
    cpu = {s.name: cpu_s(s.proc.pid) for s in servers}
    for s in servers:
        s.out["runs"] = []
    for i in range(repeat):
        for s in _rotated(servers, i):
            t = time.perf_counter()
            s.get()
            s.out["runs"].append(time.perf_counter() - t)
    for s in servers:
        s.out["cpu_ms"] = (cpu_s(s.proc.pid) - cpu[s.name]) / repeat * 1000
    packing = [s for s in servers if s.name in gzip]
    for s in packing:
        s.out["gzip_runs"] = []
    for i in range(repeat):
        for s in _rotated(packing, i) if packing else []:
            t = time.perf_counter()
            s.get({"Accept-Encoding": "gzip"})
            s.out["gzip_runs"].append(time.perf_counter() - t)
    for s in packing:
        packed = s.session.get(s.url, params=s.params, headers={"Accept-Encoding": "gzip"}, stream=True)
        s.out["gzip_bytes"] = len(packed.raw.read(decode_content=False))
    turns, per_client = 4, max(repeat // 8, 7)
    spent = dict.fromkeys((s.name for s in servers), 0.0)
    for turn in range(turns):
        for s in _rotated(servers, turn):
            spent[s.name] += 4 * per_client / rate(s.url, s.params, clients=4, per_client=per_client)
    for s in servers:
        s.out["rate_4"] = turns * 4 * per_client / spent[s.name]
        s.out["body"] = s.session.get(s.url, params=s.params, timeout=60).json()
        after = memory_mib(s.proc.pid)
        s.out.update(rss_after=after["VmRSS"], peak=after["VmHWM"])


def stop(servers: list[Server]) -> None:
    for s in servers:
        s.session.close()
        s.proc.terminate()
    for s in servers:
        s.proc.wait(timeout=30)


def _wait_up(session: requests.Session, url: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        with contextlib.suppress(requests.ConnectionError):
            if session.get(url + "/health", timeout=5).status_code < 500:
                return
        if proc.poll() is not None:
            msg = f"the server {proc.args!r} exited ({proc.returncode})"
            raise RuntimeError(msg)
        time.sleep(0.1)


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
            "AND column_name NOT IN ('geom', 'geom_3857') ORDER BY ordinal_position",  # the outlines: geom alone
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


def summary(runs: list[float]) -> tuple[float, float, float]:
    """Median, 95th and 99th percentile, ms."""
    ms = np.array(runs) * 1000
    return float(np.median(ms)), float(np.percentile(ms, 95)), float(np.percentile(ms, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per way (at least 50)")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server for the PostGIS copy")
    parser.add_argument("--database", default=DATABASE, help=f"the throwaway database (default {DATABASE})")
    parser.add_argument("--keep", type=Path, help="keep the GeoPackages here and the database; reuse them")
    parser.add_argument(
        "--copies", type=int, default=1, help="both parks hold the built park this many times (shifted north)"
    )
    parser.add_argument("--no-gpkg", action="store_true", help="leave the API on the GeoPackage out")
    parser.add_argument("--tipg-venv", type=Path, help="a virtual environment with tipg, to run it as a peer")
    parser.add_argument("--before", type=Path, help="another checkout of the planner: its API on PostGIS as a way")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    n, copies, repeat = args.parcels, max(args.copies, 1), max(args.requests, 50)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="planner-bench-api-"))
    folder.mkdir(parents=True, exist_ok=True)
    server = args.server
    try:
        gpkg = prepared_parks(folder, n, copies, server, args.database, with_gpkg=not args.no_gpkg)
        location = f"{database_url(server, args.database)}?park=BENCH"
        run(gpkg, location, repeat, args.tipg_venv, with_gpkg=not args.no_gpkg, before=args.before)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
            drop_database(server, args.database)


def prepared_parks(folder: Path, n: int, copies: int, server: str, database: str, *, with_gpkg: bool) -> Path:
    """The park built (or reused) in ``folder``, in PostGIS, and ``copies`` times as large in both; the GeoPackage
    to serve. A park of the right size already there is reused."""
    gpkg = folder / f"park-{n}.gpkg"
    if parcel_count(gpkg) != n:
        build_gpkg(gpkg, n)
    else:
        print(f"park: {n:,} parcels reused from {gpkg}")
    shift = copy_shift_m(gpkg) if copies > 1 else 0.0
    served = gpkg
    if copies > 1 and with_gpkg:
        served = folder / f"park-{n}x{copies}.gpkg"
        if parcel_count(served) != n * copies:
            replicate_gpkg(gpkg, served, copies, shift)
        else:
            print(f"park: {n * copies:,} parcels reused from {served}")
    url = ensure_database(server, database)
    location = f"{url}?park=BENCH"
    if "BENCH" not in list_parks(url) or parcel_count(location) != n * copies:
        t = time.perf_counter()
        copy_park(gpkg, url, overwrite=True).close()
        print(f"copied into PostGIS ({redact(url)}) with copy_park in {time.perf_counter() - t:.1f} s")
        if copies > 1:
            replicate_postgis(location, copies, shift)
    return served


def servers(
    gpkg: Path, location: str, url: str, schema: str, repeat: int, tipg: Path | None, *, with_gpkg: bool = True,
    before: Path | None = None,
) -> dict[str, dict]:  # fmt: skip
    """Each server over the same park, in a process of its own, all running and timed interleaved (:func:`measure`):
    the API on both backends, the peer, tipg."""
    with psycopg.connect(url, autocommit=True) as conn:
        query_file = gpkg.with_suffix(".peer.sql")
        query_file.write_text(postgis_query(conn, schema))
    running: list[Server] = []
    try:
        for backend, where in (("gpkg", str(gpkg)), ("postgis", location))[0 if with_gpkg else 1 :]:
            running.append(start_server(backend, *api_argv(where), "/parcels", QUERY))
            print(f"API on {backend}: started, first request {running[-1].out['load_s']:.1f} s")
        _, env = api_argv(location)
        if before is not None:  # its own bench and planner first on the path, before the working directory
            code = f"import sys; sys.path.insert(0, {str(before)!r}); from bench.api import serve; serve(*sys.argv[1:])"
            argv = [sys.executable, "-c", code, location, "{port}"]
            running.append(start_server("before", argv, env, "/parcels", QUERY))
        peer = [sys.executable, "-m", "bench.api_peers", url, str(query_file), "{port}"]
        running.append(start_server("peer", peer, env, "/parcels", {}))
        if tipg is not None:
            argv, tipg_env = tipg_command(tipg, url, schema, 0)
            argv[argv.index("--port") + 1] = "{port}"
            params = {"filter-lang": "cql2-text", "filter": "ready=true AND area_mu>=100", "sortby": "parcel_id",
                      "limit": "100"}  # fmt: skip
            running.append(start_server("tipg", argv, tipg_env, f"/collections/{schema}.parcels/items", params))
        measure(running, repeat)
        print(f"{', '.join(s.name for s in running)}: {repeat} requests each, interleaved; then 4 clients")
    finally:
        stop(running)
    return {s.name: s.out for s in running}


def _ids(body: dict) -> list[str]:
    return [f.get("properties", {}).get("parcel_id") or f["id"] for f in body["features"]]


def run(
    gpkg: Path, location: str, repeat: int, tipg: Path | None = None, *, with_gpkg: bool = True,
    before: Path | None = None,
) -> None:  # fmt: skip
    pg = open_store(location)
    mark_readiness(pg)  # a copied park's stamps are the copy's
    schema = pg.schema
    table = sql.SQL("{}.parcels").format(sql.Identifier(schema))
    url = location.split("?", maxsplit=1)[0]
    pg.close()

    with psycopg.connect(url, autocommit=True) as conn:  # as autovacuum does after a bulk load: statistics, and
        conn.execute(sql.SQL("VACUUM ANALYZE {}").format(table))  # the visibility map of index-only scans
    load_before = os.getloadavg()[0]
    results = servers(gpkg, location, url, schema, repeat, tipg, with_gpkg=with_gpkg, before=before)
    direct: dict[str, list[float]] = {}
    if with_gpkg:
        geopandas_request(gpkg)  # warm: the file in the page cache, GDAL's driver loaded
        direct["geopandas"] = timed_runs(lambda: geopandas_request(gpkg), repeat)
        _, gpd_ids = geopandas_request(gpkg)

    with psycopg.connect(url, autocommit=True) as conn:
        query = postgis_query(conn, schema)
        postgis_request(conn, query)
        direct["sql"] = timed_runs(lambda: postgis_request(conn, query), repeat)
        _, sql_ids = postgis_request(conn, query)
        plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query)]
        matched = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE ready AND area_mu >= 100").format(table)
        ).fetchone()[0]
        total, ready = conn.execute(
            sql.SQL("SELECT count(*), count(*) FILTER (WHERE ready) FROM {}").format(table)
        ).fetchone()

    ways = {name: _ids(r["body"]) for name, r in results.items()}
    ways["PostGIS SQL"] = sql_ids
    if with_gpkg:
        ways["geopandas per request"] = gpd_ids
    first = ways["postgis"]
    assert len(first) == 100, f"expected 100 parcels, got {len(first)}"
    for way, ids in ways.items():
        assert ids == first, f"{way} returns other parcels than the API on PostGIS"
    for name in ("gpkg", "postgis", "before", "tipg"):
        if name in results:
            assert results[name]["body"]["numberMatched"] == matched, (name, matched)
    report(results, direct, (total, ready, matched), repeat)
    print(f"load average (1 min) {load_before:.1f} before the servers ran, {os.getloadavg()[0]:.1f} at the end")
    print("PostGIS plan of the peer's statement (EXPLAIN ANALYZE):")
    for line in plan:
        print("   ", line)
    print(f"peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


def report(results: dict[str, dict], direct: dict[str, list[float]], counts: tuple[int, int, int], repeat: int) -> None:
    """The table: each way's median and p95, requests/s with 4 clients, its server's memory; and the goals."""
    total, ready, matched = counts
    print()
    print(f"park: {total:,} parcels, {ready:,} ready ({100 * ready / total:.1f}%), {matched:,} ready of ≥ 100 亩")
    r = results["postgis"]
    print(
        f"query: GET /parcels?ready=true&min_area_mu=100&limit=100 — {r['bytes']:,} bytes of GeoJSON "
        f"({r['gzip_bytes']:,} gzipped); the same 100 parcel ids in the same order every way"
    )
    names = {"gpkg": "API on GeoPackage", "postgis": "API on PostGIS", "before": "API on PostGIS, --before",
             "peer": "one-statement Starlette peer", "tipg": "tipg (OGC API Features)"}  # fmt: skip
    head = f"{'way':<34} {'median ms':>10} {'p95 ms':>8} {'p99 ms':>8} {'req/s ×4':>9} {'RSS MiB':>8}"
    print(f"{head} {'peak MiB':>9} {'first s':>8} {'CPU ms':>7}")
    for key, name in names.items():
        if key in results:
            (median, p95, p99), x = summary(results[key]["runs"]), results[key]
            print(
                f"{name:<34} {median:10.2f} {p95:8.2f} {p99:8.2f} {x['rate_4']:9.0f} {x['rss_after']:8.0f} "
                f"{x['peak']:9.0f} "
                f"{x['load_s']:8.2f} {x['cpu_ms']:7.2f}"
            )
    for backend in ("gpkg", "postgis"):
        if backend in results:
            median, p95, p99 = summary(results[backend]["gzip_runs"])
            print(f"{names[backend] + ', gzip':<34} {median:10.2f} {p95:8.2f} {p99:8.2f}")
    for key, name in (("geopandas", "geopandas per request (no server)"), ("sql", "PostGIS SQL (no server)")):
        if key not in direct:
            continue
        median, p95, p99 = summary(direct[key])
        print(f"{name:<34} {median:10.2f} {p95:8.2f} {p99:8.2f}")
    print(f"({repeat} requests each over one keep-alive connection, uncompressed unless gzip; then 4 clients;")
    print(" RSS after them, peak over the server's life; first: the first request, what the server keeps read;")
    print(" CPU: the server process's CPU per request, not the database's)")
    api, peer = results["postgis"], results["peer"]
    ratio = summary(api["runs"])[0] / summary(peer["runs"])[0]
    print(
        f"API on PostGIS / peer: median {ratio:.2f}×, requests/s with 4 clients {api['rate_4'] / peer['rate_4']:.2f}×"
    )
    if "before" in results:
        was = results["before"]
        print(
            f"API on PostGIS / --before: median {summary(api['runs'])[0] / summary(was['runs'])[0]:.2f}×, "
            f"requests/s {api['rate_4'] / was['rate_4']:.2f}×, "
            f"server CPU a request {api['cpu_ms'] / was['cpu_ms']:.2f}×"
        )
    if "tipg" in results:
        print(f"API on PostGIS / tipg: median {summary(api['runs'])[0] / summary(results['tipg']['runs'])[0]:.2f}×")
    else:
        print("tipg: not run (give --tipg-venv DIR, a virtual environment with tipg installed)")
    print(
        f"goals: PostGIS median ≤ peer's {'met' if ratio <= 1 else 'NOT met'}; "
        f"≥ peer's requests/s {'met' if api['rate_4'] >= peer['rate_4'] else 'NOT met'}; "
        f"PostGIS server peak < 1 GiB {'met' if api['peak'] < 1024 else 'NOT met'}"
    )
    if "gpkg" in results:
        gpkg = results["gpkg"]
        print(
            f"goals: GeoPackage median < 20 ms {'met' if summary(gpkg['runs'])[0] < 20 else 'NOT met'}, "
            f"peak < 1.5 GiB {'met' if gpkg['peak'] < 1536 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
