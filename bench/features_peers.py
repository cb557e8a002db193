"""The headline features query on a PostGIS park already loaded: the planner's server, the one-statement peer, tipg.

    python -m bench.features_peers 'postgresql://…/DB?park=BENCH' [--tipg-venv DIR] [--requests 100]

``bench.api`` builds its park and database itself; this runs the same servers over any PostGIS park
(``bench.api --keep DIR`` leaves one, as does ``copy_park``), each in a process of its own as there:
``GET /parcels?ready=true&min_area_mu=100&limit=100`` on the planner's server, the same rows as one
SQL statement behind a small Starlette server (:mod:`bench.api_peers`), and tipg (OGC API Features
on FastAPI and asyncpg) with the same filter, sort and limit. tipg pins other versions of FastAPI and
Starlette than the planner's, so it runs from a virtual environment of its own::

    python -m venv /tmp/tipg-venv && /tmp/tipg-venv/bin/pip install tipg uvicorn

given with ``--tipg-venv`` (or ``PLANNER_TIPG_VENV``); without one, or when tipg does not import
there, tipg is left out and the bench says why. tipg is not a dependency of the planner.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

from bench.api import QUERY, Server, api_argv, mark_readiness, measure, postgis_query, start_server, stop, summary
from bench.api_peers import tipg_command
from planner.store import open_store

__all__ = ["tipg_missing"]


def tipg_missing(venv: Path | None) -> str | None:
    """Why tipg cannot run from ``venv`` (None: it can)."""
    if venv is None:
        return "no virtual environment with tipg given (--tipg-venv DIR or PLANNER_TIPG_VENV)"
    python = venv / "bin" / "python"
    if not python.exists():
        return f"{python} does not exist"
    done = subprocess.run([str(python), "-c", "import tipg, uvicorn"], capture_output=True, text=True, check=False)
    if done.returncode:
        return f"tipg or uvicorn does not import in {venv}: {done.stderr.strip().splitlines()[-1:]}"
    return None


def cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children (the servers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("location", help="postgresql://…/DB?park=ID")
    parser.add_argument("--tipg-venv", type=Path, default=os.environ.get("PLANNER_TIPG_VENV") or None)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    repeat = max(args.requests, 20)
    pg = open_store(args.location)
    mark_readiness(pg)  # a copied park's stamps are the copy's: its readiness as computed now
    schema, url = pg.schema, args.location.split("?", maxsplit=1)[0]
    pg.close()
    why = tipg_missing(Path(args.tipg_venv) if args.tipg_venv else None)
    print(f"load average at the start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM ANALYZE {}.parcels").format(sql.Identifier(schema)))
        query_file = Path(f"/tmp/planner-features-peer-{os.getpid()}.sql")
        query_file.write_text(postgis_query(conn, schema))
        total = conn.execute(sql.SQL("SELECT count(*) FROM {}.parcels").format(sql.Identifier(schema))).fetchone()[0]
    _, env = api_argv(args.location)
    running: list[Server] = []
    try:
        running.append(start_server("API on PostGIS", *api_argv(args.location), "/parcels", QUERY))
        peer = [sys.executable, "-m", "bench.api_peers", url, str(query_file), "{port}"]
        running.append(start_server("one-statement Starlette peer", peer, env, "/parcels", {}))
        if why is None:
            argv, tipg_env = tipg_command(Path(args.tipg_venv), url, schema, 0)
            argv[argv.index("--port") + 1] = "{port}"
            params = {"filter-lang": "cql2-text", "filter": "ready=true AND area_mu>=100", "sortby": "parcel_id",
                      "limit": "100"}  # fmt: skip
            running.append(
                start_server("tipg (OGC API Features)", argv, tipg_env, f"/collections/{schema}.parcels/items", params)
            )
        c, t = cpu_s(), time.perf_counter()
        measure(running, repeat, gzip=())
        spent = (cpu_s() - c, time.perf_counter() - t)
    finally:
        stop(running)
        query_file.unlink(missing_ok=True)
    results = {s.name: s.out for s in running}
    ids = {n: [f.get("properties", {}).get("parcel_id") or f["id"] for f in r["body"]["features"]] for n, r in
           results.items()}  # fmt: skip
    first = ids["API on PostGIS"]
    for name, got in ids.items():
        assert got == first, f"{name} returns other parcels than the API on PostGIS"
    print(f"\npark: {total:,} parcels; GET /parcels?ready=true&min_area_mu=100&limit=100, the same {len(first)} ids "
          "in the same order every way")  # fmt: skip
    print(f"{'way':<32} {'median ms':>10} {'p95 ms':>8} {'req/s ×4':>9} {'peak MiB':>9} {'server CPU ms/req':>18}")
    for name, r in results.items():
        median, p95, _ = summary(r["runs"])
        print(f"{name:<32} {median:10.2f} {p95:8.2f} {r['rate_4']:9.0f} {r['peak']:9.0f} {r['cpu_ms']:18.2f}")
    print(f"all timed interleaved (one request to each in turn): {spent[1]:.1f} s wall, {spent[0]:.1f} s CPU here")
    if why is not None:
        print(f"tipg: not run — {why}")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"({repeat} requests each over one keep-alive connection, uncompressed; then 4 clients)")


if __name__ == "__main__":
    main()
