"""Vector tiles cut by PostGIS (``ST_AsMVT``): the layer, properties and crowded-tile groups of :mod:`.tiles`.

On a PostGIS park the server need not hold the parcels to draw them: each tile is one
statement, ``ST_AsMVTGeom`` of the parcels meeting the tile and its buffer, written by
``ST_AsMVT`` next to the data. The parcels are read in the tiles' CRS: ``geom_3857``, their
outline in Web Mercator that PostgreSQL keeps from ``geom`` (a stored generated column, with
its own GiST index; :data:`planner.store.postgis_schema.GEOM_3857`), so a tile transforms
nothing: the statement holds no ``ST_Transform`` at all (PostGIS would set up its PROJ
transform anew for each statement, about 0.5 ms). The tiles carry what the planner's
own encoder writes (:class:`planner.maps.tiles.ParcelTiles`), so the app draws them
unchanged: layer ``parcels``, extent 4096, buffer 64, each feature ``parcel_id``, ``fill``
(the readiness colour, a ``CASE`` on ``ready`` and the stored number of items ``missing``
names, :data:`~planner.store.postgis_schema.MISSING_COUNT`, as
:func:`planner.maps.style.readiness_color` buckets it), ``area_mu`` (2 decimals), ``status``,
``ready`` and, where set, ``idle_rule`` and ``eval_class``. Parcels smaller than a screen
pixel both ways are left out (by their stored Web Mercator box,
:data:`~planner.store.postgis_schema.BOX_3857`); a tile of more than ``merge_above`` parcels
carries groups of up to 64 parcels of one look (``fill``, ``idle_rule``, ``eval_class``, and
``parcels`` counting those whose centre lies in the tile), in ``parcel_id`` order as the
encoder makes them. A tile without groups holds its features in the order the index finds
them, as bare ``ST_AsMVT`` writes them (the encoder's are in ``parcel_id`` order; the map draws
no parcel over another). So a plain tile is bare ``ST_AsMVT`` over stored columns, the size test
and the classes aside.

The per-mu classes are not stored: they are worked out once per state of the park from
the few columns the evaluation reads (:class:`ParkClasses`, which also keeps every parcel's
box), and each tile's statement is given the classes of the parcels whose box meets it, if
any (else the statement has no join). The same boxes count a tile's parcels before its
statement: none, and no statement runs; more than ``merge_above``, and the statement that
counts what it draws and groups it runs instead.

Gaode's GCJ-02 shift has no PostGIS transform: those tiles are cut by the planner's encoder
from the parcels read for the tile alone (:meth:`PostGISTiles.shifted`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from psycopg import sql

from planner.config import ParkConfig
from planner.maps.style import MISSING_COLORS, READY_COLOR, UNKNOWN_COLOR
from planner.maps.tiles import BUFFER, EXTENT, LAYER, MERGE_ABOVE, MERGE_CHUNK, SIMPLIFY, ParcelTiles, check_tile
from planner.maps.tiles_overview import OVERVIEW_MAX_ZOOM, Overview
from planner.parcels.evaluation import evaluate
from planner.store.base import ParkStore
from planner.store.columns import BOUNDS, parcel_columns
from planner.store.postgis import PostGISStore
from planner.store.postgis_schema import BOX_3857, GEOM_3857, MISSING_COUNT

__all__ = [
    "EVAL_COLUMNS",
    "ParkClasses",
    "PostGISTiles",
    "crowded_tile_sql",
    "overview_sql",
    "tile_sql",
    "transforming_tile_sql",
]

EVAL_COLUMNS = (
    "holder", "industry", "status", "land_use", "tax_wan", "output_wan", "energy_tce", "floor_area_m2",
    "footprint_m2", "area_m2", "area_mu", "declared_area_mu", "investment_actual_wan",
)  # fmt: skip
"""The columns the per-mu evaluation reads (:func:`planner.parcels.evaluation.evaluate`)."""
_FOLLOW_MOST = 10_000
"""More parcels changed than this: the classes are worked out again for the whole park."""
WORLD_M = 2 * np.pi * 6378137.0
"""The Web Mercator world's width in metres (EPSG:3857)."""


@dataclass(frozen=True)
class ParkClasses:
    """Every parcel's box in the park's CRS (to find a tile's parcels) with its per-mu class (None: not evaluated)."""

    stamp: int
    parcel_ids: np.ndarray
    classes: np.ndarray
    bounds: np.ndarray
    """``(n, 4)``: minx, miny, maxx, maxy in the park's CRS."""

    @classmethod
    def of(cls, store: ParkStore) -> ParkClasses:
        """The classes of the park as stored now (the columns read without geometry, then evaluated)."""
        stamp, frame = parcel_columns(store, EVAL_COLUMNS, bounds=True)
        return cls.evaluated(stamp, frame, store.config())

    @classmethod
    def evaluated(cls, stamp: int, frame: pd.DataFrame, config: ParkConfig) -> ParkClasses:
        """The classes of the parcels of ``frame`` (:data:`EVAL_COLUMNS` and their boxes) read at ``stamp``."""
        if not len(frame):
            return cls(stamp, np.array([], dtype=object), np.array([], dtype=object), np.empty((0, 4), dtype=float))
        table = evaluate(frame, config).classes["eval_class"]
        ids = frame["parcel_id"].to_numpy(dtype=object)
        found = table.reindex(ids).to_numpy(dtype=object)
        found[pd.isna(found)] = None
        return cls(stamp, ids, found, frame[list(BOUNDS)].to_numpy(dtype=float))

    def followed(self, store: ParkStore, changed: list[str], stamp: int) -> ParkClasses | None:
        """The classes after an edit of the parcels ``changed``, those alone evaluated again; None when all must be.

        A parcel's class by absolute score floors depends on its own figures and the park's
        thresholds only; by rank quotas, or after a change of the thresholds, on every parcel.
        """
        config = store.config()
        if config.threshold("eval_rank_quotas") != 0 or len(changed) > _FOLLOW_MOST:
            return None
        if "park_config" in set(store.changes_since(self.stamp)["layer"]):
            return None
        read_at, frame = parcel_columns(store, EVAL_COLUMNS, bounds=True, parcel_ids=changed)
        if read_at != stamp:
            return None
        fresh = ParkClasses.evaluated(read_at, frame, config)
        keep = ~pd.Index(self.parcel_ids).isin(changed)
        return ParkClasses(
            stamp,
            np.concatenate([self.parcel_ids[keep], fresh.parcel_ids]),
            np.concatenate([self.classes[keep], fresh.classes]),
            np.concatenate([self.bounds[keep], fresh.bounds]),
        )

    def series(self) -> pd.Series:
        """The classes of the evaluated parcels by ``parcel_id``."""
        classed = self.classes != None  # noqa: E711 - elementwise, an object array
        return pd.Series(self.classes[classed], index=self.parcel_ids[classed], dtype=object)

    @cached_property
    def _strips(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """The boxes sorted by their west edge, their positions, and the widest box's width: the boxes that may
        meet a box are one slice of them (made on first use: a sort, no geometry, 40 bytes a parcel)."""
        order = np.argsort(self.bounds[:, 0], kind="stable")
        boxes = self.bounds[order]
        widest = float((boxes[:, 2] - boxes[:, 0]).max()) if len(boxes) else 0.0
        return order, np.ascontiguousarray(boxes[:, 0]), boxes, widest

    def meeting(self, box: tuple[float, float, float, float]) -> np.ndarray:
        """The positions of the parcels whose box meets ``box`` (park CRS; edges touching count), ascending."""
        order, west, boxes, widest = self._strips
        lo = int(np.searchsorted(west, box[0] - widest, side="left"))  # further west, none reaches the box
        hi = int(np.searchsorted(west, box[2], side="right"))
        near = boxes[lo:hi]
        hit = (near[:, 2] >= box[0]) & (near[:, 1] <= box[3]) & (near[:, 3] >= box[1])
        return np.sort(order[lo:hi][hit])

    @cached_property
    def sides(self) -> np.ndarray:
        """The longer side of each parcel's box, in the park's CRS units."""
        b = self.bounds
        return np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])

    def within(self, box: tuple[float, float, float, float]) -> tuple[list[str], list[str]]:
        """The ids and classes of the evaluated parcels whose box meets ``box`` (park CRS)."""
        return self.classed(self.meeting(box))

    def classed(self, at: np.ndarray) -> tuple[list[str], list[str]]:
        """The ids and classes of the evaluated parcels among those at positions ``at``."""
        classes = self.classes[at]
        keep = classes != None  # noqa: E711 - elementwise, an object array
        return self.parcel_ids[at][keep].tolist(), classes[keep].tolist()


def _fill(*, stored: bool = True) -> sql.Composable:
    """``readiness_color`` in SQL: unknown, ready, or raw by the number of items ``missing`` names (the stored
    :data:`MISSING_COUNT`; ``stored=False``: ``missing`` parsed, as before that column)."""
    items = (
        sql.SQL("coalesce(p.{}, 0)").format(sql.Identifier(MISSING_COUNT))
        if stored
        else sql.SQL("cardinality(array_remove(string_to_array(coalesce(p.missing, ''), ','), ''))")
    )
    return sql.SQL(  # a simple CASE on the count: worked out once a row, not once a branch
        "CASE WHEN p.ready IS NULL THEN {u} WHEN p.ready THEN {r} ELSE (CASE {n} WHEN 0 THEN {m0} WHEN 1 THEN {m0} "
        "WHEN 2 THEN {m1} WHEN 3 THEN {m2} WHEN 4 THEN {m2} ELSE {m3} END) END"
    ).format(
        u=sql.Literal(UNKNOWN_COLOR),
        r=sql.Literal(READY_COLOR),
        n=items,
        m0=sql.Literal(MISSING_COLORS[0]),
        m1=sql.Literal(MISSING_COLORS[1]),
        m2=sql.Literal(MISSING_COLORS[2]),
        m3=sql.Literal(MISSING_COLORS[3]),
    )


_PLAIN = """
SELECT ST_AsMVT(f, {layer}, {extent}, 'geom') FROM (
    SELECT p.parcel_id, {fill} AS fill, round(p.area_mu * 100) / 100 AS area_mu, p.status, p.ready,
           p.idle_rule, {klass} AS eval_class, ST_AsMVTGeom({drawn}, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), {extent}, {buffer}, true) AS geom
    FROM {table} p
{lateral}{join}    WHERE {meets}
{sized}    {order}
) f
"""
"""A tile of at most ``merge_above`` parcels in its box: one pass over the stored columns (before them: each row
transformed once, in a lateral subquery behind an ``OFFSET 0`` fence), clipped and encoded as it comes, as bare ``ST_AsMVT`` does; no row kept
to be counted first, none sorted."""
_CROWDED = """
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e),
near AS MATERIALIZED (
    SELECT p.parcel_id, {fill} AS fill, round(p.area_mu * 100) / 100 AS area_mu, p.status, p.ready,
           p.idle_rule, {klass} AS eval_class, {m} AS m{box}
    FROM {table} p
{join}    WHERE {meets}
),
t AS (
    SELECT near.*, ST_AsMVTGeom(m, env.e, {extent}, {buffer}, true) AS geom
    FROM near, env
    WHERE {near_size} >= {pixel} / 2 ^ %(z)s
),
drawn AS (SELECT * FROM t WHERE geom IS NOT NULL)
SELECT CASE WHEN (SELECT count(*) FROM drawn) > %(merge_above)s THEN (
    SELECT ST_AsMVT(g, {layer}, {extent}, 'geom') FROM (
        SELECT fill, idle_rule, eval_class, sum(inside)::float8 AS parcels,
               ST_CollectionExtract(ST_Collect(geom ORDER BY parcel_id), 3) AS geom
        FROM (
            SELECT d.parcel_id, d.fill, d.idle_rule, d.eval_class, d.geom,
                   (ST_X(c) >= ST_XMin(env.e) AND ST_X(c) < ST_XMax(env.e)
                    AND ST_Y(c) <= ST_YMax(env.e) AND ST_Y(c) > ST_YMin(env.e))::int AS inside,
                   (row_number() OVER (PARTITION BY d.fill, d.idle_rule, d.eval_class ORDER BY d.parcel_id COLLATE "C")
                    - 1) / {chunk} AS chunk
            FROM drawn d CROSS JOIN env CROSS JOIN LATERAL ST_Centroid(d.m) AS c
        ) r
        GROUP BY fill, idle_rule, eval_class, chunk
        ORDER BY fill, idle_rule, eval_class, chunk
    ) g
) ELSE (
    SELECT ST_AsMVT(f, {layer}, {extent}, 'geom') FROM (
        SELECT parcel_id, fill, area_mu, status, ready, idle_rule, eval_class, geom
        FROM drawn ORDER BY parcel_id COLLATE "C"
    ) f
) END
"""
"""A tile that may be crowded: the parcels drawn kept (materialised) and counted, then written one per feature
or in groups of one look (a group's polygons as one multipolygon: ``ST_Collect`` of a parcel of several parts
and one of one would be a GeometryCollection, which ``ST_AsMVT`` refuses)."""


_MEETS = "p.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin}), {srid})"
"""The parcels of the tile's box and buffer, found as before the stored Web Mercator column: by ``geom``'s index,
through the box of the tile transformed to the park's CRS (its four corners)."""
_MEETS_3857_ONLY = "p.{g} && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin})"
"""The parcels whose Web Mercator box meets the tile's with its buffer (the bare statement's test)."""
_MEETS_3857 = (
    "p.{g} && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {margin}) "
    "AND p.geom && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, {srid})"
)
"""The same parcels found by the index of :data:`GEOM_3857`, in the tile's own CRS; those of that box whose
park-CRS box misses the tile's transformed box (the box of its four corners, passed in: ``west`` … ``north``,
worked out by :meth:`PostGISTiles.corners` with the same PROJ transform, to the last bit) are left out as before,
so the tiles stay byte for byte what they were. No ``ST_Transform`` is left in the statement: PostGIS sets up its
PROJ transform anew for each statement that calls it (about 0.5 ms, the whole of a zoom-16 tile's work)."""


_JOIN = (
    "    LEFT JOIN unnest(%(ids)s::text[], %(classes)s::text[]) AS c(parcel_id, eval_class) "
    "ON c.parcel_id = p.parcel_id\n"
)
"""The per-mu classes of the tile's evaluated parcels (not stored: worked out per state of the park)."""


def _size(box: sql.Composable) -> sql.Composed:
    """The longer side of the Web Mercator box of ``box`` (a stored ``box2d``, or the outline itself)."""
    return sql.SQL("greatest(ST_XMax({b}) - ST_XMin({b}), ST_YMax({b}) - ST_YMin({b}))").format(b=box)


def _formatted(
    text: str,
    schema: str,
    srid: int,
    *,
    stored: bool = True,
    classes: bool = True,
    boxed: bool = True,
    sized: bool = True,
) -> sql.Composed:
    """``text`` with its parts: ``m`` the parcel in Web Mercator (the stored column, or transformed once a row
    behind an ``OFFSET 0`` fence), ``meets`` the test of the tile's box (``boxed``: with the park-CRS box too),
    ``join`` and ``klass`` the classes given (``classes``) or none; with ``stored`` (the stored columns),
    ``fill`` from :data:`MISSING_COUNT`, ``size`` (a parcel's size on screen) from :data:`BOX_3857`, and the
    features of a plain tile in the order the index finds them (as bare ``ST_AsMVT`` writes them: sorting them
    by ``parcel_id``, as before, cost 4–7% of the statement and the map draws no parcel over another)."""
    table = sql.SQL("{}.parcels").format(sql.Identifier(schema))
    literals = {"margin": sql.Literal(BUFFER / EXTENT), "srid": sql.Literal(srid), "g": sql.Identifier(GEOM_3857)}
    meets = (_MEETS_3857 if boxed else _MEETS_3857_ONLY) if stored else _MEETS
    box = sql.Identifier(BOX_3857)
    size = _size(sql.SQL("p.{}").format(box) if stored else sql.SQL("t.m"))
    pixel = sql.Literal(SIMPLIFY / EXTENT * WORLD_M)
    return sql.SQL(text).format(
        sized=sql.SQL("      AND {} >= {} / 2 ^ %(z)s\n").format(size, pixel) if sized else sql.SQL(""),
        near_size=_size(sql.SQL("bx" if stored else "m")),
        box=sql.SQL(", p.{} AS bx").format(box) if stored else sql.SQL(""),
        order=sql.SQL("" if stored else 'ORDER BY p.parcel_id COLLATE "C"'),
        fill=_fill(stored=stored),
        table=table,
        m=sql.SQL("p.{}").format(sql.Identifier(GEOM_3857)) if stored else sql.SQL("ST_Transform(p.geom, 3857)"),
        drawn=sql.SQL("p.{}").format(sql.Identifier(GEOM_3857)) if stored else sql.SQL("t.m"),
        lateral=sql.SQL(
            "" if stored else "    CROSS JOIN LATERAL (SELECT ST_Transform(p.geom, 3857) AS m OFFSET 0) t\n"
        ),
        meets=sql.SQL(meets).format(**literals),
        join=sql.SQL(_JOIN if classes else ""),
        klass=sql.SQL("c.eval_class" if classes else "NULL::text"),
        srid=sql.Literal(srid),
        margin=sql.Literal(BUFFER / EXTENT),
        extent=sql.Literal(EXTENT),
        buffer=sql.Literal(BUFFER),
        pixel=sql.Literal(SIMPLIFY / EXTENT * WORLD_M),
        layer=sql.Literal(LAYER),
        chunk=sql.Literal(MERGE_CHUNK),
    )


def crowded_tile_sql(schema: str, srid: int, *, stored: bool = True) -> sql.Composed:
    """The statement that counts the parcels drawn before writing them, in groups where more than ``merge_above``
    (parameters ``z``, ``x``, ``y``, ``ids``, ``classes``, ``merge_above`` and the park-CRS box ``west`` …)."""
    return _formatted(_CROWDED, schema, srid, stored=stored)


def tile_sql(schema: str, srid: int, *, classes: bool = True, sized: bool = True) -> sql.Composed:
    """The statement of a tile whose box holds at most ``merge_above`` parcels (no group can form), in one pass
    (:data:`_PLAIN`): parameters ``z``, ``x``, ``y`` and, with ``classes``, ``ids`` and ``classes`` (the
    per-mu classes of its evaluated parcels; without, a tile where none is). It writes the bytes the counting
    statement (:func:`crowded_tile_sql`) writes for such a tile; the parcels are counted before, by
    :meth:`ParkClasses.meeting` (no round trip), so only a crowded box takes the counting statement. Without
    ``sized``, the statement leaves out the test of each parcel's size on screen: for a tile none of whose
    parcels can be smaller than a screen pixel (:meth:`ParkClasses.smaller`), it would keep them all."""
    return _formatted(_PLAIN, schema, srid, classes=classes, boxed=False, sized=sized)


def transforming_tile_sql(schema: str, srid: int) -> sql.Composed:
    """The statement of one tile as it was before :data:`GEOM_3857` (each parcel transformed, found through the
    tile's box transformed to the park's CRS): kept to show that the tiles are the same, and in ``bench.tiles``."""
    count = _formatted("(SELECT count(*) FROM {table} p WHERE {meets})", schema, srid, stored=False)
    return sql.SQL("SELECT CASE WHEN {count} <= %(merge_above)s THEN ({plain}) ELSE ({crowded}) END").format(
        count=count,
        plain=_formatted(_PLAIN, schema, srid, stored=False),
        crowded=crowded_tile_sql(schema, srid, stored=False),
    )


def overview_sql(schema: str) -> sql.Composed:
    """The parcels as the overview needs them: look columns and outlines in WGS84, simplified below a zoom-11 pixel.

    The tolerance is a tenth of a zoom-11 screen pixel (about 7.6 m of Web Mercator): the outlines are only
    burnt into that zoom's pixels (by their centres), so it moves no pixel but those a parcel's edge grazes.
    """
    tolerance = WORLD_M / 2**OVERVIEW_MAX_ZOOM / (EXTENT / SIMPLIFY) / 10
    return sql.SQL(
        "SELECT parcel_id, ready, missing, idle_rule, area_mu, status, "
        "ST_AsBinary(ST_Transform(ST_Simplify(ST_Transform(geom, 3857), {tolerance}, true), 4326)) "
        "FROM {table}"
    ).format(tolerance=sql.Literal(tolerance), table=sql.SQL("{}.parcels").format(sql.Identifier(schema)))


class PostGISTiles:
    """The tiles of a PostGIS park, each one statement (no parcel held here but the classes' ids and boxes)."""

    def __init__(self, store: PostGISStore, classes: ParkClasses, *, merge_above: int = MERGE_ABOVE):
        self.store = store
        self.classes = classes
        self.merge_above = merge_above
        self.srid = store.config().crs_epsg
        self._statements: tuple[bytes, ...] | None = None
        crs = pyproj.CRS.from_epsg(self.srid)
        self._metres = crs.is_projected and all(a.unit_name in ("metre", "meter") for a in crs.axis_info)
        self._to_park = pyproj.Transformer.from_crs(3857, self.srid, always_xy=True)

    def refresh(self, parcels: object, changed: list[str], stamp: int) -> bool:
        """Follow an edit of the park (see :meth:`ParkClasses.followed`); False: build again."""
        followed = self.classes.followed(self.store, changed, stamp)
        if followed is None:
            return False
        self.classes = followed
        return True

    def may_hide(self, at: np.ndarray, z: int) -> bool:
        """Whether one of the parcels at ``at`` may be smaller than a screen pixel both ways at zoom ``z`` (so the
        statement must test each parcel's size): a box side under twice a pixel in the park's metres.

        A length in Web Mercator is its length on the ground times sec(latitude) (at least 1); in a Gauss–Krüger
        zone about 1.001 times it at most, and the boxes turn by the meridians' convergence (under 3° in a zone,
        so a box's longer side shrinks by a factor of 0.95 at worst): twice is far on the safe side. A CRS not in
        metres always tests."""
        pixel_m = SIMPLIFY / EXTENT * WORLD_M / 2**z
        return not self._metres or bool((self.classes.sides[at] < 2 * pixel_m).any())

    def _box(self, z: int, x: int, y: int, margin: float) -> tuple[float, float, float, float]:
        """Tile z/x/y widened by ``margin`` of its side, in the park's CRS (its edges densified)."""
        side = WORLD_M / 2**z
        west, north = -WORLD_M / 2 + (x - margin) * side, WORLD_M / 2 - (y - margin) * side
        east, south = west + (1 + 2 * margin) * side, north - (1 + 2 * margin) * side
        box: tuple[float, float, float, float] = self._to_park.transform_bounds(
            west, south, east, north, densify_pts=21
        )
        return box

    def corners(self, z: int, x: int, y: int) -> dict[str, float]:
        """The box in the park's CRS of the four corners of tile z/x/y with its buffer (``ST_TileEnvelope`` with
        its margin, transformed as ``ST_Transform`` transforms a polygon: its vertices alone)."""
        side, margin = WORLD_M / 2**z, BUFFER / EXTENT
        west, north = -WORLD_M / 2 + (x - margin) * side, WORLD_M / 2 - (y - margin) * side
        east, south = -WORLD_M / 2 + (x + 1 + margin) * side, WORLD_M / 2 - (y + 1 + margin) * side
        xs, ys = self._to_park.transform([west, west, east, east], [south, north, north, south])
        return {"west": min(xs), "south": min(ys), "east": max(xs), "north": max(ys)}

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The encoded tile (``b""`` when no parcel shows in it).

        The parcels whose box meets the tile's (widened) are found here (:meth:`ParkClasses.meeting`): none, and
        the tile is empty with no statement; at most ``merge_above``, one statement over the stored columns, with
        the class join only where one of them is evaluated and the test of each parcel's size on screen only where
        one of them may be under a pixel (:meth:`may_hide`); more, the counting statement (groups may form).
        """
        check_tile(z, x, y)
        at = self.classes.meeting(self._box(z, x, y, 2 * BUFFER / EXTENT))  # at least those drawn
        if not len(at):
            return b""
        ids, classes = self.classes.classed(at)
        conn = self.store.reader()
        if self._statements is None:
            schema = self.store.schema
            self._statements = (
                *(
                    tile_sql(schema, self.srid, classes=c, sized=t).as_bytes(conn)
                    for c in (False, True)
                    for t in (False, True)
                ),
                crowded_tile_sql(schema, self.srid).as_bytes(conn),
            )
        params: dict[str, object] = {"z": z, "x": x, "y": y}
        if len(at) > self.merge_above:
            statement = self._statements[4]
            params |= {"ids": ids, "classes": classes, "merge_above": self.merge_above} | self.corners(z, x, y)
        else:
            statement = self._statements[2 * bool(ids) + self.may_hide(at, z)]
            if ids:
                params |= {"ids": ids, "classes": classes}
        row = conn.execute(statement, params, prepare=True).fetchone()  # planned once per connection
        mvt = row[0] if row else None
        return bytes(mvt) if mvt is not None else b""

    def overview(self, *, gcj: bool = False) -> Overview:
        """The park's overview (zooms 0–11) from one read of the parcels' look columns and outlines."""
        rows = self.store.reader().execute(overview_sql(self.store.schema)).fetchall()
        names = ["parcel_id", "ready", "missing", "idle_rule", "area_mu", "status"]
        frame = pd.DataFrame([r[:6] for r in rows], columns=names)
        parcels = gpd.GeoDataFrame(
            frame, geometry=shapely.from_wkb([bytes(r[6]) for r in rows]) if rows else [], crs=4326
        )
        return Overview.from_parcels(parcels, eval_class=self.classes.series(), gcj=gcj)

    def shifted(self, z: int, x: int, y: int) -> bytes:
        """Tile z/x/y shifted to GCJ-02, cut by the planner's encoder from the parcels read for it alone.

        The shift moves parcels in China by up to about 700 m: the parcels are read 2 km around the tile.
        """
        check_tile(z, x, y)
        minx, miny, maxx, maxy = self._box(z, x, y, BUFFER / EXTENT)
        parcels = self.store.read_parcels(bbox=(minx - 2000, miny - 2000, maxx + 2000, maxy + 2000))
        parcels = parcels.sort_values("parcel_id", kind="stable")  # the encoder's order: by parcel_id
        tiles = ParcelTiles.from_parcels(
            parcels, eval_class=self.classes.series(), gcj=True, cache_bytes=0, merge_above=self.merge_above
        )
        return tiles.encode(z, x, y)
