"""The store's CPU for one plain edit: ``update_parcel`` of ``holder`` (and of ``status``), one parcel at a time.

    python -m bench.plain_edit [--parcels 10000] [--edits 200] [--postgis URL] [--profile FILE]

The park is the one of :mod:`bench.load` (:func:`bench.api_park.build_gpkg`), in a GeoPackage, or copied
into PostGIS (``--postgis``). On one open store, as the server keeps it, ``--edits`` parcels are edited
one after the other (each at the version it is at): their holder, then their status (``planned`` and
back to what it was). Printed: CPU milliseconds per ``update_parcel`` call (this process: the server's
share of a PATCH) and wall, with the load average. Run it on the code before for the peer.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

from bench.api_park import build_gpkg
from planner.store import copy_park, open_store


def _per_call(store, edits: list[tuple[str, dict]]) -> tuple[float, float]:
    """CPU and wall milliseconds per ``update_parcel`` of ``edits`` (each at its parcel's current version)."""
    parcels = store.read_parcels()
    versions = dict(zip(parcels["parcel_id"], parcels["version"], strict=True))
    cpu, wall = time.process_time(), time.perf_counter()
    for pid, changes in edits:
        versions[pid] = int(store.update_parcel(pid, changes, version=int(versions[pid]), by="bench")["version"])
    return (time.process_time() - cpu) / len(edits) * 1000, (time.perf_counter() - wall) / len(edits) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--postgis", default=None, help="copy the park into this PostgreSQL database and edit it there")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the holder edits into FILE")
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="bench-plain-edit-")) / "park.gpkg"
    build_gpkg(path, args.parcels)
    try:
        location = _postgis(path, args.postgis) if args.postgis else path
        _run(location, args)
    finally:
        if args.postgis:
            with psycopg.connect(args.postgis, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_DATABASE)))


_DATABASE = f"bench_plain_edit_{os.getpid()}"


def _postgis(gpkg: Path, server: str) -> str:
    """The park copied into a new database of its own on ``server`` (dropped after the run)."""
    url = f"{server.split('?', maxsplit=1)[0].rsplit('/', maxsplit=1)[0]}/{_DATABASE}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_DATABASE)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    copy_park(gpkg, url, overwrite=True).close()
    return f"{url}?park=BENCH"


def _run(location: str | Path, args: argparse.Namespace) -> None:
    """The edits, timed, on the park at ``location``."""
    with open_store(location) as store:
        parcels = store.read_parcels().iloc[: args.edits]
        ids, statuses = parcels["parcel_id"].tolist(), parcels["status"].tolist()
        stamp = time.time()
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        holder = _per_call(store, [(pid, {"holder": f"企业{stamp}-{k}"}) for k, pid in enumerate(ids)])
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)
        other = ["planned" if s != "planned" else "reserved" for s in statuses]
        there = _per_call(store, [(pid, {"status": s}) for pid, s in zip(ids, other, strict=True)])
        back = _per_call(store, [(pid, {"status": s}) for pid, s in zip(ids, statuses, strict=True)])
    backend = "PostGIS" if args.postgis else "GeoPackage"
    print(
        f"{backend}, {args.parcels:,} parcels, {len(ids)} edits each: update_parcel of holder "
        f"{holder[0]:.1f} ms CPU ({holder[1]:.1f} ms wall) per call; of status {there[0]:.1f} / {back[0]:.1f} ms CPU "
        f"({there[1]:.1f} / {back[1]:.1f} ms wall); load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
