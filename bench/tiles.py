"""Vector tiles over HTTP at zooms 12–16: cut, cached, and 304; beside PostGIS ``ST_AsMVT`` of the same tiles.

    python -m bench.tiles GPKG POSTGIS_URL [--repeat 20]

``GPKG`` is a park GeoPackage (``bench.api --keep DIR`` leaves one) and ``POSTGIS_URL`` the same
park in PostGIS (``postgresql://…?park=BENCH``). The API serves the GeoPackage under uvicorn in
a thread; for each zoom the 3 × 3 tiles around the park's centre are asked for once (cut: the
first also builds the tile index, timed apart), then ``--repeat`` times each (cached), then
with their ETag (304). The peer: ``ST_AsMVT`` of the same tiles (``ST_AsMVTGeom`` of the
parcels meeting the tile plus its buffer, the same four plain properties), one statement per
tile, on one connection, no server; each tile is timed ``--repeat`` times.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import geopandas as gpd
import psycopg
import requests
from psycopg import sql

from bench.maps import serve
from planner.api import create_app
from planner.maps.tiles import BUFFER, EXTENT
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


def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    """The slippy-map formulas: fractional tile column and row."""
    n = 2**z
    return (lon + 180.0) / 360.0 * n, (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n


def tiles_around(lon: float, lat: float, z: int) -> list[tuple[int, int, int]]:
    fx, fy = tile_xy(lon, lat, z)
    return [(z, int(fx) + dx, int(fy) + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def ms(runs: list[float]) -> float:
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gpkg")
    parser.add_argument("postgis")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    store = open_store(args.gpkg)
    parcels = store.read_parcels()
    centre = gpd.GeoSeries([parcels.union_all().centroid], crs=parcels.crs).to_crs(4326).iloc[0]
    srid = store.config().crs_epsg
    del parcels
    url, server, thread = serve(create_app(store))
    pg = open_store(args.postgis)
    table = sql.SQL("{}.parcels").format(sql.Identifier(pg.schema))
    pg.close()
    query = sql.SQL(MVT_SQL).format(
        extent=sql.Literal(EXTENT), buffer=sql.Literal(BUFFER), margin=sql.Literal(BUFFER / EXTENT), table=table
    )
    print(f"{'zoom':>4} {'cut ms':>8} {'cached ms':>10} {'304 ms':>8} {'ST_AsMVT ms':>12} {'KB':>6} {'MVT KB':>7}")
    with requests.Session() as session, psycopg.connect(args.postgis.split("?")[0], autocommit=True) as conn:
        t = time.perf_counter()
        session.get(f"{url}/tiles/14/0/0.mvt", timeout=600)  # the tile index, built once per state of the park
        print(f"tile index built (first tile): {time.perf_counter() - t:.2f} s")
        for z in range(12, 17):
            cut, cached, same, peer, size, peer_size = [], [], [], [], [], []
            for z_, x, y in tiles_around(centre.x, centre.y, z):
                path = f"{url}/tiles/{z_}/{x}/{y}.mvt"
                t = time.perf_counter()
                first = session.get(path, timeout=60)
                cut.append(time.perf_counter() - t)
                size.append(len(first.content))
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    session.get(path, timeout=60).content  # noqa: B018 - the whole body
                    cached.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    assert session.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
                    same.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    (mvt,) = conn.execute(query, {"z": z_, "x": x, "y": y, "srid": srid}).fetchone()
                    peer.append(time.perf_counter() - t)
                peer_size.append(len(mvt or b""))
            print(
                f"{z:>4} {ms(cut):8.2f} {ms(cached):10.2f} {ms(same):8.2f} {ms(peer):12.2f} "
                f"{statistics.mean(size) / 1024:6.1f} {statistics.mean(peer_size) / 1024:7.1f}"
            )
    server.should_exit = True
    thread.join(timeout=10)
    print("(medians over the 3 × 3 tiles around the centre; cut: each tile's first request, the index already built)")


if __name__ == "__main__":
    main()
