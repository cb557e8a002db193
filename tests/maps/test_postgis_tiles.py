"""Tiles cut by PostGIS (``ST_AsMVT``) against the planner's encoder, for the same park, decoded apart.

Both are decoded with the decoder written from the specification (tests/maps/mvt.py): every tile of
the demo park at zooms 12–16 must hold the same parcels with the same properties, and shapes that
agree within a screen pixel along their outline (each simplifies in its own way).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import psycopg
import pytest
import shapely
from psycopg import sql

from planner.maps.postgis_tiles import ParkClasses, PostGISTiles, crowded_tile_sql, tile_sql, transforming_tile_sql
from planner.maps.tiles import BUFFER, EXTENT, MERGE_ABOVE, SIMPLIFY, ParcelTiles
from planner.parcels.evaluation import evaluate
from planner.store import open_store
from planner.store.copy import copy_park
from tests.maps.mvt import decode, signed_area
from tests.maps.test_tiles import tile_xy


@pytest.fixture(scope="module")
def both(demo_park, postgis_url):
    """The demo park's tiles by the planner's encoder (from the GeoPackage) and by PostGIS (from its copy)."""
    gpkg = open_store(demo_park.path)
    parcels = gpkg.read_parcels().set_index("parcel_id", drop=False).sort_index()
    classes = evaluate(parcels.reset_index(drop=True), gpkg.config()).classes["eval_class"]
    pg = copy_park(demo_park.path, postgis_url, overwrite=True, folder=demo_park.path.parent)
    yield parcels, classes, gpkg, pg
    pg.close()
    gpkg.close()
    from tests.store.conftest import drop_all_parks

    drop_all_parks(postgis_url)


def features(data: bytes) -> list[dict]:
    return decode(data)["parcels"]["features"] if data else []


def in_order(data: bytes | None) -> list[tuple]:
    """The tile's features by ``parcel_id`` (a plain tile is written in the order the index finds its parcels):
    each one's properties, type and rings exactly as written."""
    drawn = [(sorted(f["properties"].items()), f.get("type"), f["rings"]) for f in features(bytes(data or b""))]
    return sorted(drawn, key=lambda f: str(dict(f[0]).get("parcel_id")))


def polygon(feature: dict) -> shapely.Geometry:
    """The feature's rings as one (multi)polygon: exterior rings with their holes (the ones after them)."""
    polygons: list[list] = []
    for ring in feature["rings"]:
        if signed_area(ring) > 0 or not polygons:
            polygons.append([ring])
        else:
            polygons[-1].append(ring)
    return shapely.make_valid(shapely.MultiPolygon([shapely.Polygon(r[0], r[1:]) for r in polygons]))


def visible(feature: dict) -> bool:
    """Whether more than a screen pixel of the feature lies in the tile itself (not only in its buffer)."""
    return polygon(feature).intersection(shapely.box(0, 0, EXTENT, EXTENT)).area > SIMPLIFY**2


def park_tiles(parcels, z: int) -> list[tuple[int, int, int]]:
    w, s, e, n = parcels.to_crs(4326).total_bounds
    (x0, y0), (x1, y1) = tile_xy(w, n, z), tile_xy(e, s, z)
    return [(z, x, y) for x in range(int(x0), int(x1) + 1) for y in range(int(y0), int(y1) + 1)]


@pytest.mark.parametrize("z", [12, 13, 14, 15, 16])
def test_postgis_tiles_hold_what_the_encoder_writes(both, z):
    parcels, classes, _, pg = both
    mine = ParcelTiles.from_parcels(parcels, eval_class=classes)
    theirs = PostGISTiles(pg, ParkClasses.of(pg))
    compared = Counter()
    for tile in park_tiles(parcels, z):
        a = {f["properties"]["parcel_id"]: f for f in features(mine.encode(*tile))}
        b = {f["properties"]["parcel_id"]: f for f in features(theirs.tile(*tile))}
        # a parcel grazing the buffer may leave a sliver on one side only: never in the tile itself
        assert not [k for k in set(a) ^ set(b) if visible(a.get(k) or b[k])], tile
        for k in set(a) & set(b):
            pa, pb = a[k]["properties"], b[k]["properties"]
            assert pa.pop("area_mu") == pytest.approx(pb.pop("area_mu"), abs=0.006), (tile, k)
            assert pa == pb, (tile, k)
            ga, gb = polygon(a[k]), polygon(b[k])
            assert ga.symmetric_difference(gb).area <= SIMPLIFY * ga.length + SIMPLIFY**2, (tile, k)
            compared.update(pa.keys())
    # the park shows every kind of property somewhere
    assert compared["parcel_id"] > 50 or z < 14
    if z == 16:
        assert {"fill", "status", "ready", "idle_rule", "eval_class"} <= set(compared)


def test_postgis_classes_are_the_evaluation_of_the_stored_park(both):
    _, classes, _, pg = both
    got = ParkClasses.of(pg).series()
    assert got.sort_index().equals(classes.astype(object).sort_index()) and set(got) <= set("ABCD")


def test_crowded_postgis_tiles_hold_groups_as_the_encoder_makes_them(both):
    parcels, classes, _, pg = both
    mine = ParcelTiles.from_parcels(parcels, eval_class=classes, merge_above=3)
    theirs = PostGISTiles(pg, ParkClasses.of(pg), merge_above=3)
    looks = ("fill", "idle_rule", "eval_class")
    seen = 0
    for tile in park_tiles(parcels, 13):
        a, b = features(mine.encode(*tile)), features(theirs.tile(*tile))
        assert all("parcel_id" not in f["properties"] for f in a + b)

        def counts(fs):
            total = Counter()
            for f in fs:
                total[tuple(f["properties"].get(k) for k in looks)] += f["properties"]["parcels"]
            return total

        assert counts(a) == counts(b), tile
        assert max((len(polygon(f).geoms) for f in b), default=0) <= 64
        seen += int(sum(counts(b).values()))
    assert seen == len(parcels)  # each parcel counted once, in the tile that holds its centre


def test_gcj_tiles_from_postgis_are_the_encoders(both):
    parcels, classes, _, pg = both
    mine = ParcelTiles.from_parcels(parcels, eval_class=classes, gcj=True)
    theirs = PostGISTiles(pg, ParkClasses.of(pg))
    shown = 0
    for tile in park_tiles(parcels, 15):
        a, b = features(mine.encode(*tile)), features(theirs.shifted(*tile))
        key = [(f["properties"]["parcel_id"], f["rings"]) for f in a]
        assert key == [(f["properties"]["parcel_id"], f["rings"]) for f in b], tile
        shown += len(a)
    assert shown > len(parcels)  # parcels on tile edges show twice


def test_an_empty_tile_is_empty(both):
    *_, pg = both
    assert PostGISTiles(pg, ParkClasses.of(pg)).tile(3, 0, 0) == b""
    assert np.asarray(ParkClasses.of(pg).bounds).shape[1] == 4


def test_the_parcels_meeting_a_box_are_those_every_box_compared_finds():
    """The slice of boxes sorted by their west edge (:meth:`ParkClasses.meeting`) against comparing every box,
    on random boxes of very different widths (one 40 times the rest), edges touching included."""
    rng = np.random.default_rng(7)
    west, south = rng.uniform(0, 5000, 2000).round(), rng.uniform(0, 5000, 2000).round()
    width, height = rng.uniform(1, 120, 2000).round(), rng.uniform(1, 120, 2000).round()
    west[17], width[17] = 100.0, 4800.0
    bounds = np.column_stack([west, south, west + width, south + height])
    ids = np.array([f"P{i}" for i in range(2000)], dtype=object)
    classes = ParkClasses(0, ids, np.array([None] * 2000, dtype=object), bounds)
    asked = [(*bounds[i, 2:], *(bounds[i, 2:] + 50)) for i in range(0, 2000, 97)]  # corners touching a box
    for _ in range(200):
        x0, x1 = np.sort(rng.uniform(-200, 5200, 2))
        y0, y1 = np.sort(rng.uniform(-200, 5200, 2))
        asked.append((x0, y0, x1, y1))
    found = 0
    for box in asked:
        b = bounds
        every = np.flatnonzero((b[:, 0] <= box[2]) & (b[:, 2] >= box[0]) & (b[:, 1] <= box[3]) & (b[:, 3] >= box[1]))
        assert classes.meeting(box).tolist() == every.tolist(), box
        found += len(every)
    assert found > 1000 and 17 in classes.meeting((4700.0, south[17], 4701.0, south[17]))


def statement_params(tiles: PostGISTiles, z: int, x: int, y: int) -> dict:
    ids, classes = tiles.classes.within(tiles._box(z, x, y, 2 * BUFFER / EXTENT))
    return {"z": z, "x": x, "y": y, "ids": ids, "classes": classes, "merge_above": tiles.merge_above} | tiles.corners(
        z, x, y
    )


@pytest.mark.parametrize("merge_above", [MERGE_ABOVE, 3])
def test_the_one_pass_statement_writes_the_features_of_the_counting_one(both, merge_above):
    """Where the tile's box holds few parcels (counted in Python from their boxes) the tile is written in one pass
    over the stored columns, without the class join where none of them is evaluated: the same features as the
    statement that counts what it draws first (the one used before, and still for boxes of more)."""
    parcels, _, _, pg = both
    tiles = PostGISTiles(pg, ParkClasses.of(pg), merge_above=merge_above)
    conn = pg.reader()
    joined, bare = tile_sql(pg.schema, tiles.srid).as_bytes(conn), tile_sql(pg.schema, tiles.srid, classes=False)
    bare, counting = bare.as_bytes(conn), crowded_tile_sql(pg.schema, tiles.srid).as_bytes(conn)
    unsized = tile_sql(pg.schema, tiles.srid, sized=False).as_bytes(conn)
    compared = Counter()
    for z in (12, 13, 14, 15, 16):
        for tile in park_tiles(parcels, z):
            params = statement_params(tiles, *tile)
            (b,) = conn.execute(counting, params).fetchone()
            found = len(tiles.classes.meeting(tiles._box(*tile, 2 * BUFFER / EXTENT)))
            if found > merge_above:
                compared["counted"] += 1
                continue
            (a,) = conn.execute(joined, params).fetchone()
            assert in_order(a) == in_order(b), tile
            if not params["ids"]:
                (c,) = conn.execute(bare, params).fetchone()
                assert in_order(c) == in_order(b), tile
                compared["no class"] += 1
            at = tiles.classes.meeting(tiles._box(*tile, 2 * BUFFER / EXTENT))
            if not tiles.may_hide(at, tile[0]):  # no parcel can be under a pixel: the size test left out
                (d,) = conn.execute(unsized, params).fetchone()
                assert in_order(d) == in_order(b), tile
                compared["unsized"] += 1
            compared["drawn" if a else "empty"] += 1
            compared["groups" if a and "parcel_id" not in features(bytes(a))[0]["properties"] else "parcels"] += 1
    least = 20 if merge_above == MERGE_ABOVE else 10  # with 3, most drawn tiles are counted first
    assert compared["drawn"] > least and compared["parcels"] > least and compared["no class"] > 0
    assert compared["unsized"] > least
    assert compared["counted"] > 0 or merge_above == MERGE_ABOVE
    assert compared["groups"] == 0  # a box of no more than merge_above parcels forms no group


def earlier_tiles(pg, parcels, merge_above: int) -> dict[tuple[int, int, int], bytes]:
    """Every tile of the park at 12–16 by the statement of before the stored Web Mercator column."""
    tiles = PostGISTiles(pg, ParkClasses.of(pg), merge_above=merge_above)
    conn = pg.reader()
    earlier = transforming_tile_sql(pg.schema, tiles.srid).as_bytes(conn)
    return {
        tile: bytes(conn.execute(earlier, statement_params(tiles, *tile)).fetchone()[0] or b"")
        for z in (12, 13, 14, 15, 16)
        for tile in park_tiles(parcels, z)
    }


@pytest.mark.parametrize("merge_above", [MERGE_ABOVE, 3])
def test_tiles_from_the_stored_columns_hold_exactly_the_earlier_features(both, merge_above):
    """The statement of before (each parcel transformed, found through the tile's box transformed to the park's
    CRS) and the tiles now (the stored, indexed ``geom_3857``; the park-CRS box worked out in Python): every tile
    of the demo park at 12–16, both with groups and without, the same features, each exactly as written before
    (a plain tile's in the order the index finds them; groups byte for byte)."""
    parcels, _, _, pg = both
    before = earlier_tiles(pg, parcels, merge_above)
    tiles = PostGISTiles(pg, ParkClasses.of(pg), merge_above=merge_above)
    now = {tile: tiles.tile(*tile) for tile in before}
    assert {t: in_order(d) for t, d in now.items()} == {t: in_order(d) for t, d in before.items()}
    grouped_now = {t: d for t, d in now.items() if d and "parcel_id" not in features(d)[0]["properties"]}
    assert grouped_now == {t: before[t] for t in grouped_now}  # groups: byte for byte (their order is the encoder's)
    drawn = [data for data in before.values() if data]
    assert len(drawn) > 40
    grouped = sum("parcel_id" not in features(data)[0]["properties"] for data in drawn)
    assert (grouped > 0) == (merge_above == 3)


def test_a_park_of_the_earlier_layout_gains_the_column_when_opened_and_tiles_the_same(both):
    parcels, _, _, pg = both
    with psycopg.connect(pg.location.split("?")[0], autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER TABLE {}.parcels DROP COLUMN geom_3857").format(sql.Identifier(pg.schema)))
    pg.close()
    before = earlier_tiles(pg, parcels, MERGE_ABOVE)  # the earlier statement on the earlier layout
    with pytest.raises(psycopg.errors.UndefinedColumn):
        PostGISTiles(pg, ParkClasses.of(pg)).tile(*next(iter(before)))
    pg.close()
    with open_store(pg.location) as reopened:
        tiles = PostGISTiles(reopened, ParkClasses.of(reopened))
        assert {tile: in_order(tiles.tile(*tile)) for tile in before} == {t: in_order(d) for t, d in before.items()}
        stale = sql.SQL(
            "SELECT count(*) FROM {}.parcels WHERE ST_AsBinary(geom_3857) IS DISTINCT FROM "
            "ST_AsBinary(ST_Transform(geom, 3857))"
        ).format(sql.Identifier(reopened.schema))
        assert reopened.reader().execute(stale).fetchone()[0] == 0


def test_a_parcel_smaller_than_a_screen_pixel_is_left_out_whichever_statement_cuts_the_tile(both):
    """A parcel shrunk to 5 m × 5 m (by plain SQL): at zoom 12 (a screen pixel is about 38 m of Web Mercator) its
    tile tests sizes and leaves it out, as the counting statement does; at zoom 16 (2.4 m) it is drawn, with no
    size test in the statement. The parcel's shape is put back after."""
    parcels, _, _, pg = both
    pid = str(parcels.index[len(parcels) // 2])
    table = sql.SQL("{}.parcels").format(sql.Identifier(pg.schema))
    with psycopg.connect(pg.location.split("?")[0], autocommit=True) as conn:
        (shape,) = conn.execute(sql.SQL("SELECT geom FROM {} WHERE parcel_id = %s").format(table), (pid,)).fetchone()
        conn.execute(
            sql.SQL(
                "UPDATE {} SET geom = ST_Multi(ST_MakeEnvelope(ST_XMin(geom), ST_YMin(geom), ST_XMin(geom) + 5, "
                "ST_YMin(geom) + 5, ST_SRID(geom))) WHERE parcel_id = %s"
            ).format(table),
            (pid,),
        )
        try:
            tiles = PostGISTiles(pg, ParkClasses.of(pg))
            row = np.array([tiles.classes.parcel_ids.tolist().index(pid)])
            assert tiles.may_hide(row, 12) and not tiles.may_hide(row, 16)
            lon, lat = gpd_point(pg, pid)
            counting = crowded_tile_sql(pg.schema, tiles.srid).as_bytes(pg.reader())
            for z, shown in ((12, False), (16, True)):
                fx, fy = tile_xy(lon, lat, z)
                tile = (z, int(fx), int(fy))
                got = tiles.tile(*tile)
                drawn = {f["properties"].get("parcel_id") for f in features(got)}
                assert (pid in drawn) == shown, tile
                (b,) = pg.reader().execute(counting, statement_params(tiles, *tile)).fetchone()
                assert in_order(got) == in_order(b), tile
        finally:
            conn.execute(sql.SQL("UPDATE {} SET geom = %s WHERE parcel_id = %s").format(table), (shape, pid))


def gpd_point(pg, pid: str) -> tuple[float, float]:
    """A point of the stored parcel in WGS84 (longitude, latitude)."""
    (lon, lat) = (
        pg.reader()
        .execute(
            sql.SQL(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) AS p FROM {} "
                "WHERE parcel_id = %s) q"
            ).format(sql.SQL("{}.parcels").format(sql.Identifier(pg.schema))),
            (pid,),
        )
        .fetchone()
    )
    return lon, lat
