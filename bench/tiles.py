"""Vector tiles over HTTP at zooms 9–16: cut, cached, and 304, on both backends; beside bare ``ST_AsMVT``.

    python -m bench.tiles GPKG POSTGIS_URL [--repeat 20]

``GPKG`` is a park GeoPackage (``bench.api --keep DIR`` leaves one) and ``POSTGIS_URL`` the same
park in PostGIS (``postgresql://…?park=BENCH``). The API serves each under uvicorn in a thread
(the GeoPackage's tiles cut by the planner's encoder, the PostGIS park's by ``ST_AsMVT``); for
each zoom the 3 × 3 tiles around the park's centre are asked for once (cut: the first tile also
builds the tile index or the per-mu classes, timed apart), then ``--repeat`` times each (cached:
the whole body read, gzip accepted as browsers do), then with their ETag (304). The peer: bare
``ST_AsMVT`` of the same tiles (``ST_AsMVTGeom`` of the parcels meeting the tile plus its buffer,
four plain properties), one statement per tile, on one connection, no server; each tile is timed
``--repeat`` times. At zooms 12–16 the planner's statement alone (``PostGISTiles.tile``), its
statement of before the stored Web Mercator outline (each parcel transformed), and bare ``ST_AsMVT``
on that stored outline (``geom_3857``: what the column alone gives) are timed in turn with the bare
statement: wall time, the PostgreSQL backend's CPU time (``/proc/PID/schedstat``, a server on this
machine) and this thread's. Beside them the fair peer (``same``): bare ``ST_AsMVT`` carrying the same
properties as the planner's tile (:data:`MVT_SAME_SQL`; a peer of fewer properties is another tile), on
the planner's own connection, the two timed in turn, each first in every other turn (the statement run
first on a tile's pages costs about 10% more). Last, the tile index after an edit: one parcel's entries
replaced (``ParcelTiles.update``) against the index built again from scratch.

At zooms 9–11 the server answers with the overview (:mod:`planner.maps.tiles_overview`: each look's
pixels, made once per change stamp; its first tile, which makes it, is timed apart), the peer with
every parcel as at the deeper zooms. CPU is user + system time of this process (the servers run in
its threads; PostgreSQL's own work is not in it), beside wall time.
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import resource
import statistics
import time

import geopandas as gpd
import psycopg
import requests
from psycopg import sql

from bench.maps import serve
from planner.api import create_app
from planner.maps.postgis_tiles import ParkClasses, PostGISTiles, transforming_tile_sql
from planner.maps.style import MISSING_COLORS, READY_COLOR, UNKNOWN_COLOR
from planner.maps.tiles import BUFFER, EXTENT, ParcelTiles
from planner.maps.tiles_overview import OVERVIEW_MAX_ZOOM, Overview
from planner.store import open_store

MVT_SQL = """
SELECT ST_AsMVT(q, 'parcels', {extent}, 'geom') FROM (
    SELECT parcel_id, area_mu, status, ready,
           ST_AsMVTGeom(
               ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {extent}, {buffer}, true
           ) AS geom
    FROM {table}
    WHERE geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin}), %(srid)s)
) q
"""
MVT_3857_SQL = """
SELECT ST_AsMVT(q, 'parcels', {extent}, 'geom') FROM (
    SELECT parcel_id, area_mu, status, ready,
           ST_AsMVTGeom(geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {extent}, {buffer}, true) AS geom
    FROM {table}
    WHERE geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin})
) q
"""
"""The bare statement on the stored, indexed Web Mercator outline (``geom_3857``) the planner's statement uses:
what is left of the planner's cost over it is its own work, not the column's."""
MVT_SAME_SQL = """
SELECT ST_AsMVT(q, 'parcels', {extent}, 'geom') FROM (
    SELECT p.parcel_id, {fill} AS fill, round(p.area_mu * 100) / 100 AS area_mu, p.status, p.ready, p.idle_rule,
           {klass} AS eval_class,
           ST_AsMVTGeom(p.geom_3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {extent}, {buffer}, true) AS geom
    FROM {table} p{join}
    WHERE p.geom_3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin})
) q
"""
"""The fair peer: bare ``ST_AsMVT`` carrying the same properties as the planner's tile, from the stored columns
(the readiness colour a ``CASE`` on the stored ``missing_count``, as :func:`planner.maps.style.readiness_color`
buckets it; ``area_mu`` to 2 decimals; the per-mu classes, which are not stored, given as the planner gives them:
joined from the tile's evaluated parcels where it has any). No size-on-screen test, no groups."""


def same_sql(table: sql.Composable, *, classes: bool) -> sql.Composed:
    """:data:`MVT_SAME_SQL` with or without the class join."""
    colours = [sql.Literal(c) for c in (UNKNOWN_COLOR, READY_COLOR, *MISSING_COLORS)]
    fill = sql.SQL(
        "CASE WHEN p.ready IS NULL THEN {} WHEN p.ready THEN {} ELSE (CASE coalesce(p.missing_count, 0) "
        "WHEN 0 THEN {} WHEN 1 THEN {} WHEN 2 THEN {} WHEN 3 THEN {} WHEN 4 THEN {} ELSE {} END) END"
    ).format(*colours[:3], colours[2], colours[3], colours[4], colours[4], colours[5])
    join = " LEFT JOIN unnest(%(ids)s::text[], %(classes)s::text[]) AS c(parcel_id, eval_class) USING (parcel_id)"
    return sql.SQL(MVT_SAME_SQL).format(
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        margin=sql.Literal(BUFFER / EXTENT),
        table=table,
        fill=fill,
        klass=sql.SQL("c.eval_class" if classes else "NULL::text"),
        join=sql.SQL(join if classes else ""),
    )


def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    """The slippy-map formulas: fractional tile column and row."""
    n = 2**z
    return (lon + 180.0) / 360.0 * n, (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n


def tiles_around(lon: float, lat: float, z: int) -> list[tuple[int, int, int]]:
    fx, fy = tile_xy(lon, lat, z)
    return [(z, int(fx) + dx, int(fy) + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def cpu_s() -> float:
    """User + system CPU seconds of this process so far."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def server_cpu_s(conn: psycopg.Connection) -> float:
    """CPU seconds of the PostgreSQL backend serving ``conn``: its time on a CPU from /proc (``schedstat``, in
    nanoseconds; a server on this machine; NaN otherwise)."""
    try:
        with open(f"/proc/{conn.info.backend_pid}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except OSError:
        return math.nan


def timed_statement(conn: psycopg.Connection, run, out: dict[str, list[float]], name: str) -> None:
    """Run one statement (``run()``): its wall time, its backend's CPU time and this thread's CPU time (the
    client's own work: psycopg, and for the planner the tile's classes and boxes) appended to ``out``."""
    c, here, t = server_cpu_s(conn), time.thread_time(), time.perf_counter()
    run()
    out[name].append(time.perf_counter() - t)
    out[name + " cpu"].append(server_cpu_s(conn) - c)
    out[name + " client"].append(time.thread_time() - here)


def ms(runs: list[float]) -> float:
    return statistics.median(runs) * 1000


def timed_tiles(session: requests.Session, url: str, tiles: list, repeat: int) -> dict[str, list[float]]:
    """Each tile cut (its first request), then cached, then 304: seconds per request, and the tiles' bytes."""
    out: dict[str, list[float]] = {"cut": [], "cached": [], "304": [], "bytes": [], "cut_cpu": [], "cached_cpu": []}
    for z, x, y in tiles:
        path = f"{url}/tiles/{z}/{x}/{y}.mvt"
        t, c = time.perf_counter(), cpu_s()
        first = session.get(path, timeout=600, headers={"Accept-Encoding": "identity"})
        out["cut"].append(time.perf_counter() - t)
        out["cut_cpu"].append(cpu_s() - c)
        out["bytes"].append(len(first.content))
        for _ in range(repeat):
            t, c = time.perf_counter(), cpu_s()
            session.get(path, timeout=60).content  # noqa: B018 - the whole body
            out["cached"].append(time.perf_counter() - t)
            out["cached_cpu"].append(cpu_s() - c)
            t = time.perf_counter()
            assert session.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
            out["304"].append(time.perf_counter() - t)
    return out


def index_update(parcels: gpd.GeoDataFrame, centre) -> tuple[float, float, float, float]:
    """Seconds to build the encoder's tile index of ``parcels`` and to replace one parcel's entries in it; then the
    overview's: made from scratch (with its first zoom-11 tile) and following that edit (with the same tile)."""
    t = time.perf_counter()
    tiles = ParcelTiles.from_parcels(parcels)
    built = time.perf_counter() - t
    z, x, y = tiles_around(centre.x, centre.y, OVERVIEW_MAX_ZOOM)[4]
    overview = Overview.from_tiles(tiles)
    overview.tile(z, x, y)
    row = parcels.iloc[[len(parcels) // 2]].copy()
    row["geometry"] = row.geometry.buffer(-2.0)
    row["status"] = "supplied"
    t = time.perf_counter()
    tiles.update(row)
    updated = time.perf_counter() - t
    t = time.perf_counter()
    overview.refresh(True, [str(row["parcel_id"].iloc[0])], 0)
    overview.tile(z, x, y)
    followed = time.perf_counter() - t
    t = time.perf_counter()
    Overview.from_tiles(tiles).tile(z, x, y)
    return built, updated, time.perf_counter() - t, followed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gpkg")
    parser.add_argument("postgis")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    store = open_store(args.gpkg)
    parcels = store.read_parcels()
    centre = gpd.GeoSeries([parcels.union_all().centroid], crs=parcels.crs).to_crs(4326).iloc[0]
    srid = store.config().crs_epsg
    pg = open_store(args.postgis)
    table = sql.SQL("{}.parcels").format(sql.Identifier(pg.schema))
    urls = {"GeoPackage": serve(create_app(store)), "PostGIS": serve(create_app(pg))}
    query = sql.SQL(MVT_SQL).format(
        extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), margin=sql.Literal(BUFFER / EXTENT), table=table
    )
    print(f"load average at the start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    statement = PostGISTiles(pg, ParkClasses.of(pg))  # the planner's statement alone, no HTTP, no cache
    reader = pg.reader()
    earlier = transforming_tile_sql(pg.schema, statement.srid).as_bytes(reader)

    def earlier_tile(z: int, x: int, y: int) -> None:
        """The planner's statement of before the stored outline (each parcel transformed), its parameters."""
        ids, classes = statement.classes.within(statement._box(z, x, y, 2 * BUFFER / EXTENT))
        params = {"z": z, "x": x, "y": y, "ids": ids, "classes": classes, "merge_above": statement.merge_above}
        reader.execute(earlier, params | statement.corners(z, x, y), prepare=True).fetchone()

    query_3857 = sql.SQL(MVT_3857_SQL).format(
        extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), margin=sql.Literal(BUFFER / EXTENT), table=table
    )
    runs: dict[str, list[float]] = collections.defaultdict(list)
    rows, statements = [], []
    with requests.Session() as session, psycopg.connect(args.postgis.split("?")[0], autocommit=True) as conn:
        same = {k: same_sql(table, classes=k).as_bytes(reader) for k in (False, True)}

        def same_tile(z: int, x: int, y: int) -> None:
            """The fair peer on the planner's own connection: the same properties, the classes joined as the
            planner joins them (where any)."""
            ids, classes = statement.classes.within(statement._box(z, x, y, 2 * BUFFER / EXTENT))
            params = {"z": z, "x": x, "y": y, "ids": ids, "classes": classes}
            reader.execute(same[bool(ids)], params, prepare=True).fetchone()

        for name, (url, _, _) in urls.items():
            t = time.perf_counter()
            session.get(f"{url}/tiles/14/0/0.mvt", timeout=600)  # the tile index or the classes, once per state
            print(f"{name}: first tile (tile index / per-mu classes built) {time.perf_counter() - t:.2f} s")
            t, c = time.perf_counter(), cpu_s()
            session.get(f"{url}/tiles/9/0/0.mvt", timeout=600)  # the overview, once per state
            print(f"{name}: first overview tile (the overview made) {time.perf_counter() - t:.2f} s, "
                  f"CPU {cpu_s() - c:.2f} s")  # fmt: skip
        for z in range(9, 17):
            tiles = tiles_around(centre.x, centre.y, z)
            ways = {name: timed_tiles(session, url, tiles, args.repeat) for name, (url, _, _) in urls.items()}
            peer, peer_size = [], []
            for z_, x, y in tiles:
                for turn in range(args.repeat):  # the statements in turn: the same load on each
                    timed_statement(
                        conn, lambda: conn.execute(query, {"z": z_, "x": x, "y": y, "srid": srid}), runs, "bare"
                    )
                    peer.append(runs["bare"][-1])
                    if z_ > OVERVIEW_MAX_ZOOM:
                        params = {"z": z_, "x": x, "y": y}
                        timed_statement(conn, lambda: conn.execute(query_3857, params, prepare=True), runs, "bare 3857")
                        pair = [
                            (lambda: same_tile(z_, x, y), "same"),
                            (lambda: statement.tile(z_, x, y), "planner"),
                        ]
                        for run, name in pair[:: 1 if turn % 2 else -1]:  # each first in every other turn
                            timed_statement(reader, run, runs, name)
                        timed_statement(reader, lambda: earlier_tile(z_, x, y), runs, "earlier")
                (mvt,) = conn.execute(query, {"z": z_, "x": x, "y": y, "srid": srid}).fetchone()
                peer_size.append(len(mvt or b""))
            rows.append((z, ways, peer, peer_size))
            if z > OVERVIEW_MAX_ZOOM:
                statements.append((z, {k: list(v) for k, v in runs.items()}))
            runs.clear()
    print()
    print(f"{'zoom':>4} {'backend':>10} {'cut ms':>8} {'CPU ms':>7} {'cached ms':>10} {'CPU ms':>7} {'304 ms':>8} "
          f"{'KB':>6} {'ST_AsMVT ms':>12} {'MVT KB':>7} {'cut / ST_AsMVT':>15}")  # fmt: skip
    for z, ways, peer, peer_size in rows:
        for name, w in ways.items():
            print(
                f"{z:>4} {name:>10} {ms(w['cut']):8.2f} {ms(w['cut_cpu']):7.2f} {ms(w['cached']):10.2f} "
                f"{statistics.mean(w['cached_cpu']) * 1000:7.2f} {ms(w['304']):8.2f} "
                f"{statistics.mean(w['bytes']) / 1024:6.1f} {ms(peer):12.2f} {statistics.mean(peer_size) / 1024:7.1f} "
                f"{ms(w['cut']) / ms(peer):14.2f}×"
            )
    print()
    print("the planner's PostGIS statement alone (PostGISTiles.tile: classes of the tile, one statement; no HTTP, no")
    print("cache), the planner's statement of before the stored outline, bare ST_AsMVT, and bare ST_AsMVT on the")
    print("stored outline, each tile's four timed in turn: median wall ms; the PostgreSQL backend's CPU ms and this")
    print("thread's CPU ms (the client: psycopg, and the planner's classes and boxes of the tile), medians")
    names = ("planner", "same", "earlier", "bare", "bare 3857")
    print('("same": bare ST_AsMVT with the planner\'s properties from the stored columns, the fair peer; server CPU')
    print(' also as the mean, the medians being a few scheduler ticks; ratios of means to "same" and to "bare")')
    print(f"{'zoom':>4} {'statement':>10} {'wall ms':>8} {'server CPU ms':>14} {'mean':>6} {'client CPU ms':>14} "
          f"{'wall / bare':>12} {'server CPU / bare':>18} {'CPU / same':>11} {'CPU+client / same':>18}")  # fmt: skip
    for z, r in statements:
        for n in names:
            cpu, same_cpu = statistics.mean(r[n + " cpu"]), statistics.mean(r["same cpu"])
            both = cpu + statistics.mean(r[n + " client"])
            print(
                f"{z:>4} {n:>10} {ms(r[n]):8.2f} {ms(r[n + ' cpu']):14.2f} {cpu * 1000:6.2f} "
                f"{ms(r[n + ' client']):14.2f} {ms(r[n]) / ms(r['bare']):11.2f}× "
                f"{cpu / statistics.mean(r['bare cpu']):17.2f}× {cpu / same_cpu:10.2f}× "
                f"{both / (same_cpu + statistics.mean(r['same client'])):17.2f}×"
            )
    for _, server, thread in urls.values():
        server.should_exit = True
        thread.join(timeout=10)
    built, updated, made, followed = index_update(parcels, centre)
    print(f"tile index of {len(parcels):,} parcels: built {built:.2f} s; one parcel edited, its entries replaced "
          f"{updated * 1000:.1f} ms ({built / updated:,.0f}× faster than building it again)")  # fmt: skip
    print(f"overview after that edit, with a zoom-11 tile: made anew {made:.2f} s; followed (its box burnt again) "
          f"{followed * 1000:.1f} ms ({made / followed:,.0f}× faster)")  # fmt: skip
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print("(medians over the 3 × 3 tiles around the centre; cut: each tile's first request, the index already built;")
    print(" zooms 9–11: the overview; ST_AsMVT: the bare statement of every parcel, no HTTP, no cache)")
    print(f"this process: CPU {cpu_s():.1f} s (user + system) in {time.perf_counter() - started:.1f} s wall")


if __name__ == "__main__":
    main()
