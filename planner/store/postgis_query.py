"""Parcel queries answered by PostGIS: the filters, the count, a sorted page and its GeoJSON in one statement.

A server over a PostGIS park need not hold the park: :func:`parcel_page` turns the parcel
filters (as :func:`planner.parcels.query.normalized_filters` leaves them) into a ``WHERE``
clause the indexes serve (``parcels_ready_area_mu``, the GiST index of ``geom``, the
``parcel_id`` key), and PostgreSQL writes the page's features as RFC 7946 JSON next to the
data: WGS84 (``ST_Transform``), exterior rings counter-clockwise, 7 decimals. Each property
is written as the API writes it from a loaded frame (times in UTC with microseconds, as
``datetime.isoformat``; non-finite numbers as ``null``), so both give the same answer.

>>> print(order_by("-area_mu").as_string())
"area_mu" DESC NULLS LAST, "parcel_id" ASC
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from planner.errors import StoreError
from planner.parcels.query import ParcelFilters, industry_prefixes
from planner.store.failures import plainly
from planner.store.layers import LAYERS
from planner.store.postgis_schema import GEOM

__all__ = [
    "SORT_KEYS",
    "Page",
    "PageAsk",
    "order_by",
    "parcel_features",
    "parcel_page",
    "search_parcels_and_roads",
    "where_clause",
]

SORT_KEYS = ("parcel_id", "area_mu", "name", "status", "updated_at")
"""The columns a page may be sorted by (then by ``parcel_id``)."""

_TEXT_SORT = {"name", "status"}


@dataclass(frozen=True)
class PageAsk:
    """Which page: the sort (``-`` first: descending), its length and start, and whether to count the matches."""

    sort: str = "parcel_id"
    limit: int = 100
    offset: int = 0
    count: bool = True


@dataclass(frozen=True)
class Page:
    """A page of parcels as the database wrote it."""

    matched: int | None
    """How many parcels meet the filters (None: not counted, as asked)."""
    returned: int
    features: bytes
    """The page's GeoJSON features, a JSON array (UTF-8)."""
    stamp: int = -1
    """The park's change stamp (newest history id) in the statement's snapshot: the state the page shows."""


def where_clause(filters: ParcelFilters, area_wkb: bytes | None, srid: int) -> tuple[sql.Composable, dict[str, Any]]:
    """The ``WHERE`` condition on ``p`` (the parcels table) of normalised ``filters`` and a box (WKB, park CRS)."""
    parts: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if filters.get("ready") is not None:
        # ready land (熟地) as the partial index parcels_ready_area_mu states it; never computed counts as raw land
        parts.append(sql.SQL("p.ready" if filters["ready"] else "NOT coalesce(p.ready, false)"))
    for name, op in (("min_area_mu", ">="), ("max_area_mu", "<=")):
        if filters.get(name) is not None:
            parts.append(sql.SQL("p.area_mu {} {}").format(sql.SQL(op), sql.Placeholder(name)))
            params[name] = float(filters[name])  # type: ignore[literal-required]
    if filters.get("idle") is not None:
        parts.append(sql.SQL("p.idle_rule IS NOT NULL" if filters["idle"] else "p.idle_rule IS NULL"))
    if filters.get("status") is not None:
        parts.append(sql.SQL("p.status = ANY(%(status)s::text[])"))
        params["status"] = list(filters["status"])  # type: ignore[arg-type]
    if filters.get("industry") is not None:
        code = str(filters["industry"])
        parts.append(sql.SQL("(starts_with(p.industry, %(industry)s) OR p.zone_industries ~ %(zoned)s)"))
        params["industry"] = code
        params["zoned"] = r"(^|,)\s*(" + "|".join(industry_prefixes(code)) + r")\s*(,|$)"
    if filters.get("land_use") is not None:
        parts.append(sql.SQL("starts_with(p.land_use, %(land_use)s)"))
        params["land_use"] = str(filters["land_use"])
    if area_wkb is not None:
        parts.append(sql.SQL("ST_Intersects(p.{g}, ST_GeomFromWKB(%(area)s, %(srid)s))").format(g=sql.Identifier(GEOM)))
        params["area"] = area_wkb
        params["srid"] = srid
    return (sql.SQL(" AND ").join(parts) if parts else sql.SQL("true")), params


def order_by(sort: str) -> sql.Composable:
    """The ``ORDER BY`` of ``sort`` (``-``: descending), missing values last, ties by ``parcel_id``.

    Text keys compare by code point (``COLLATE "C"``), as Python sorts strings.
    """
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        msg = f"`sort` was {sort!r}; sort by one of {', '.join(SORT_KEYS)} (a leading - for descending)"
        raise ValueError(msg)
    direction = sql.SQL("DESC" if sort.startswith("-") else "ASC")
    if key == "parcel_id":
        return sql.SQL('"parcel_id" {}').format(direction)
    collate = sql.SQL(' COLLATE "C"' if key in _TEXT_SORT else "")
    return sql.SQL('{}{} {} NULLS LAST, "parcel_id" ASC').format(sql.Identifier(key), collate, direction)


def _property(name: str, kind: str) -> sql.Composable:
    """The JSON value of a column as the API writes it from a frame."""
    column = sql.SQL("page.{}").format(sql.Identifier(name))
    if kind == "datetime":  # datetime.isoformat: microseconds only when there are some
        return sql.SQL(
            """to_char({c}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
            """ || CASE WHEN extract(microseconds FROM {c})::bigint %% 1000000 = 0 THEN '' """
            """ELSE to_char({c}, '.US') END || '+00:00'"""
        ).format(c=column)
    if kind == "float":
        return sql.SQL("CASE WHEN {c} IN ('NaN', 'Infinity', '-Infinity') THEN NULL ELSE {c} END").format(c=column)
    return column


def _page_sql(schema: str, where: sql.Composable, order: sql.Composable, count: bool) -> sql.Composed:
    """The statement: the change stamp, the count (or NULL), the page's length, and its features as a JSON array."""
    table = sql.SQL("{}.parcels").format(sql.Identifier(schema))
    history = sql.SQL("{}.history").format(sql.Identifier(schema))
    props = sql.SQL(", ").join(
        sql.SQL("{} AS {}").format(_property(f.name, f.kind), sql.Identifier(f.name))
        for f in LAYERS["parcels"].fields
        if f.kind != "geometry"
    )
    geometry = sql.SQL(
        "CASE WHEN ST_IsEmpty(page.{g}) THEN NULL "
        "ELSE ST_AsGeoJSON(ST_ForcePolygonCCW(ST_Transform(page.{g}, 4326)), 7, 0)::json END"
    ).format(g=sql.Identifier(GEOM))
    counted = sql.SQL("(SELECT count(*) FROM {} p WHERE {})").format(table, where) if count else sql.SQL("NULL::bigint")
    return sql.SQL(
        "WITH page AS (SELECT * FROM {table} p WHERE {where} ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s) "
        "SELECT (SELECT coalesce(max(history_id), 0) FROM {history}), {counted}, (SELECT count(*) FROM page), "
        "coalesce((SELECT json_agg(json_build_object('type', 'Feature', 'id', page.parcel_id, "
        "'geometry', {geometry}, 'properties', (SELECT row_to_json(r) FROM (SELECT {props}) r)) "
        "ORDER BY {order}) FROM page), '[]')::text"
    ).format(table=table, history=history, where=where, order=order, counted=counted, geometry=geometry, props=props)


_STATEMENTS: dict[tuple[Any, ...], bytes] = {}
"""The text of each shape of statement (schema, which filters, box, sort, count): written once, and the same
text each time, so psycopg prepares it after a few uses and PostgreSQL plans it once per connection."""


def _statement(conn: psycopg.Connection, key: tuple[Any, ...], where: sql.Composable) -> bytes:
    text = _STATEMENTS.get(key)
    if text is None:
        schema, sort, count = key[0], key[-2], key[-1]
        text = _page_sql(schema, where, order_by(sort), count).as_bytes(conn)
        if len(_STATEMENTS) < 1024:
            _STATEMENTS[key] = text
    return text


def parcel_page(
    conn: psycopg.Connection,
    schema: str,
    srid: int,
    filters: ParcelFilters,
    *,
    area_wkb: bytes | None = None,
    ask: PageAsk | None = None,
) -> Page:
    """The parcels of ``schema`` that meet ``filters`` (normalised) and the box: a page of them, and their count.

    One statement; ``ask.count`` false leaves the count out (a caller that knows it for this state of the park).
    """
    ask = ask or PageAsk()
    where, params = where_clause(filters, area_wkb, srid)
    shape = (schema, tuple(sorted((k, v if isinstance(v, bool) else None) for k, v in filters.items())))
    text = _statement(conn, (*shape, area_wkb is not None, ask.sort, ask.count), where)
    try:
        row = conn.execute(text, {**params, "limit": ask.limit, "offset": ask.offset}).fetchone()
    except psycopg.Error as exc:
        msg = f"reading the parcels of schema {schema!r} failed ({plainly(exc)})"
        raise StoreError(msg) from None
    if row is None:  # an aggregate always gives a row
        msg = "the parcel query gave no row"
        raise RuntimeError(msg)
    stamp, matched, returned, features = row
    return Page(None if matched is None else int(matched), int(returned), features.encode(), int(stamp))


def parcel_features(conn: psycopg.Connection, schema: str, parcel_ids: list[str]) -> list[dict[str, Any]]:
    """The parcels ``parcel_ids`` of ``schema`` (those stored, by id) as GeoJSON features, written as a page of
    :func:`parcel_page` writes them: one statement, PostgreSQL writing the JSON."""
    where = sql.SQL("p.parcel_id = ANY(%(ids)s::text[])")
    text = _statement(conn, (schema, "by id", "parcel_id", False), where)
    try:
        row = conn.execute(text, {"ids": list(parcel_ids), "limit": len(parcel_ids), "offset": 0}).fetchone()
    except psycopg.Error as exc:
        msg = f"reading the parcels of schema {schema!r} failed ({plainly(exc)})"
        raise StoreError(msg) from None
    features: list[dict[str, Any]] = json.loads(row[3]) if row is not None else []
    return features


def _like(text: str) -> str:
    """``text`` as an ``ILIKE`` pattern that finds it anywhere (its ``%``, ``_`` and ``\\`` taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_parcels_and_roads(conn: psycopg.Connection, schema: str, text: str, limit: int) -> list[tuple]:
    """Parcels whose code, holder or name holds ``text`` (the code itself first), then the roads whose name does.

    Rows ``(kind, parcel_id or road name, name, holder, minlon, minlat, maxlon, maxlat)``, WGS84 extents;
    case-insensitive, at most ``limit`` of each kind.
    """
    s, g = sql.Identifier(schema), sql.Identifier(GEOM)
    statement = sql.SQL(
        "(SELECT 'parcel', parcel_id, name, holder, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM"
        " (SELECT parcel_id, name, holder, ST_Transform({g}, 4326)::box2d AS b, lower(parcel_id) = lower(%(text)s)"
        " AS exact FROM {s}.parcels WHERE parcel_id ILIKE %(like)s OR holder ILIKE %(like)s OR name ILIKE %(like)s"
        " ORDER BY exact DESC, parcel_id LIMIT %(limit)s) AS p)"
        " UNION ALL"
        " (SELECT 'road', name, name, NULL, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM"
        " (SELECT name, ST_Extent(ST_Transform({g}, 4326)) AS b FROM {s}.road_lines WHERE name ILIKE %(like)s"
        " GROUP BY name ORDER BY name LIMIT %(limit)s) AS r)"
    ).format(s=s, g=g)
    try:
        return list(conn.execute(statement, {"text": text, "like": _like(text), "limit": limit}).fetchall())
    except psycopg.Error as exc:
        msg = f"searching the parcels and roads of schema {schema!r} failed ({plainly(exc)})"
        raise StoreError(msg) from None
