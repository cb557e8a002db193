"""Noding lines of several levels: grade-separated lines meet only where one ends on the other.

A line's ``level`` (:data:`planner.infra.layers.LINE_FIELDS`) is 0 at grade (also where it is
empty), positive above ground (a bridge, an elevated road), negative below (a tunnel, a pipe
buried under a crossing). :func:`~planner.infra.network.build_network` nodes the lines of
each level among themselves exactly as it nodes a park whose lines are all at one level
(crossings split, ends on a line join, undershoots within the snap distance get a
connector). Lines of different levels are joined only where an end of one lies on the
other, within the snap distance (a ramp ending on the street, a tunnel's portal on its
approach road): the other line is cut there, and the two levels' nodes at that point are
one node. An end that meets a line of its own level as well is that level's junction and
joins no other level (the streets meeting above a tunnel, an elevated road drawn as two
lines meeting right over a street), unless it meets the other line's end too (end to end:
a portal, a landing). Where two lines of different levels merely cross, neither is cut and their nodes
stay apart, even at the very same point.

What a parcel may tap (:func:`tappable`): a parcel's service connection is made on the ground. A road is tapped only
at grade (level 0): an elevated road (高架) or a bridge has no frontage, nor has a road tunnel
(地道) — the parcel beside either is served by the streets at grade, or not at all. Pipes and
cables (water, drainage, power, telecom, gas, heat) lie below grade by nature and a service
connection goes down to them: they are tapped at grade and at every level below (a pipe buried
under a crossing, a utility tunnel 综合管廊, which OpenStreetMap puts at -1), but not above
grade (a pipe carried on a bridge, a line on a pipe rack given a positive level). A source (a
substation, a water works, a road gateway) is on the ground too and ties to a line of those
levels where one lies within the source's snap distance, else to the nearest line of any level:
a road often enters a park on a bridge over the river at its boundary, and the gateway inferred
there is on the bridge (:mod:`planner.infra.network`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
import shapely
import shapely.ops

from planner.infra.noding import open_rings

__all__ = ["JOIN_M", "LevelPieces", "level_nodes", "level_pieces", "line_levels", "nearest_within", "tappable"]

JOIN_M = 0.01
"""Nodes of different levels this close to a join point are one node (m; the noding grid moves a point < 1 mm)."""


def line_levels(lines: pd.DataFrame) -> np.ndarray:
    """Each line's level as integers: the ``level`` column, empty (or absent) as 0."""
    if "level" not in lines:
        return np.zeros(len(lines), dtype=np.int64)
    values = pd.to_numeric(lines["level"], errors="coerce").astype("float64").fillna(0.0)
    levels: np.ndarray = np.round(values.to_numpy()).astype(np.int64)
    return levels


def tappable(network: str, levels: np.ndarray) -> np.ndarray:
    """Which lines (or edges) of ``levels`` on network ``network`` a parcel may tap (and a source ties to first).

    Roads at grade only (level 0); the other networks at grade or below (level <= 0).
    """
    levels = np.asarray(levels)
    out: np.ndarray = levels == 0 if network == "road" else levels <= 0
    return out


def nearest_within(
    tree: shapely.STRtree, rows: np.ndarray, geoms: np.ndarray, distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Of each of ``geoms``, the nearest of the tree's geometries within ``distance_m`` (of a parcel: the untappable
    edge beside it, named in its reason): its row (of ``rows``, one per geometry of the tree; -1 where none is
    that near; between equally near ones, the lowest row) and the distance (m; NaN where none)."""
    at, apart = np.full(len(geoms), -1, dtype=np.int64), np.full(len(geoms), np.nan)
    (g, e), d = tree.query_nearest(geoms, max_distance=distance_m, return_distance=True, all_matches=True)
    if len(g):
        first = np.full(len(geoms), np.iinfo(np.int64).max)
        np.minimum.at(first, g, rows[e])
        at[g], apart[g] = first[g], d  # all matches of a geometry are equally near
    return at, apart


@dataclass
class LevelPieces:
    """The noded pieces of lines of several levels: each piece's level and line (-1: a connector), and the joins."""

    pieces: np.ndarray
    level: np.ndarray
    owner: np.ndarray
    joins: np.ndarray
    """(J, 4): x, y, and the two levels joined at that point."""


def level_pieces(
    geoms: np.ndarray,
    levels: np.ndarray,
    snap_m: float,
    noded: Callable[[np.ndarray], np.ndarray],
    owners: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> LevelPieces:
    """Node ``geoms`` level by level and cut each where a line of another level ends on it.

    ``noded``: the network's noding of one level's lines (with their connectors); ``owners``:
    the line of a list of lines each piece's middle (x, y) lies on. The pieces come level by level,
    lowest first, each level's in the order its noding gives them.
    """
    links, link_level, cut_xy, cut_level, joins = _links(geoms, levels, snap_m)
    pieces, piece_level, owner = [], [], []
    for level in np.unique(levels):
        mine = np.flatnonzero(levels == level)
        group = np.concatenate([geoms[mine], links[link_level == level]])
        part = noded(group)
        part = open_rings(part[shapely.length(part) > 0])
        at = cut_level == level
        if at.any():
            part = _cut(part, shapely.points(cut_xy[at]))
        middles = shapely.get_coordinates(shapely.line_interpolate_point(part, 0.5, normalized=True))
        pieces.append(part)
        piece_level.append(np.full(len(part), level))
        owner.append(mine[owners(geoms[mine], middles)])
    return LevelPieces(np.concatenate(pieces), np.concatenate(piece_level), np.concatenate(owner), joins)


def _links(
    geoms: np.ndarray, levels: np.ndarray, snap_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Connectors (with their level), the points where lines of another level must be cut, and the joins.

    An end of a line within ``snap_m`` of a line of its own level gets a connector at that
    level (as the one-level noding gives it). An end within ``snap_m`` of a line of another
    level is a join: that line is cut at the point of it nearest to the end, a connector of the
    end's level runs from the end to that point (where they are apart), and the two levels meet
    there; but not where the end meets a line of its own level too (a street's junction, or
    an elevated road drawn as several lines, right over a street or a tunnel), unless it meets
    the other line's end (a tunnel's portal where the road goes on at grade).
    """
    ends = np.concatenate([shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)])
    own = np.concatenate([np.arange(len(geoms)), np.arange(len(geoms))])
    e, g = shapely.STRtree(geoms).query(ends, predicate="dwithin", distance=snap_m)
    other = own[e] != g
    e, g = e[other], g[other]
    d = shapely.distance(ends[e], geoms[g])
    same = levels[own[e]] == levels[g]
    targets = shapely.line_interpolate_point(geoms[g], shapely.line_locate_point(geoms[g], ends[e]))
    gap = (d > 0) & (d <= snap_m)
    link = gap  # a connector where apart: of the end's level
    links = (
        shapely.linestrings(
            np.stack([shapely.get_coordinates(ends[e[link]]), shapely.get_coordinates(targets[link])], axis=1)
        )
        if link.any()
        else np.array([], dtype=object)
    )
    link_level = levels[own[e[link]]]
    near = d <= snap_m
    # an end that meets a line of its own level is a junction of that level: the other levels pass over or under it,
    # unless it meets the other line's end (a portal, a landing: the road goes on at another level)
    own_junction = np.zeros(len(ends), dtype=bool)
    own_junction[e[same & near]] = True
    first, last = shapely.get_point(geoms[g], 0), shapely.get_point(geoms[g], -1)
    end_to_end = np.minimum(shapely.distance(ends[e], first), shapely.distance(ends[e], last)) <= snap_m
    cross = ~same & near & (~own_junction[e] | end_to_end)
    cut_xy = shapely.get_coordinates(targets[cross])
    joins = np.column_stack([cut_xy, levels[own[e[cross]]], levels[g[cross]]])
    return np.asarray(links, dtype=object), link_level, cut_xy, levels[g[cross]], joins


def _cut(segments: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``segments`` cut at each of ``points`` lying within :data:`JOIN_M` of one (not at its ends)."""
    found, seg = shapely.STRtree(segments).query(points, predicate="dwithin", distance=JOIN_M)
    cuts: dict[int, list[float]] = {}
    for k, s in zip(found, seg, strict=True):
        pos = float(shapely.line_locate_point(segments[s], points[k]))
        if JOIN_M < pos < float(shapely.length(segments[s])) - JOIN_M:
            cuts.setdefault(int(s), []).append(pos)
    if not cuts:
        return segments
    out: list[object] = []
    for s, geom in enumerate(segments):
        if s not in cuts:
            out.append(geom)
            continue
        marks = [0.0, *sorted(set(cuts[s])), float(shapely.length(geom))]
        out += [shapely.ops.substring(geom, a, b) for a, b in itertools.pairwise(marks)]
    return np.array(out, dtype=object)


def level_nodes(
    starts: np.ndarray, ends: np.ndarray, level: np.ndarray, joins: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nodes of segments of several levels: ends on the same millimetre and level are one node, and so are the
    nodes of the two levels of a join (within :data:`JOIN_M` of its point).

    Returns the nodes' coordinates (sorted by x, then y, then level) and each segment's two nodes.
    """
    n = len(starts)
    keys = np.column_stack([np.round(np.vstack([starts, ends]), 3), np.concatenate([level, level])])
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if len(joins):
        points = shapely.points(unique[:, :2])
        j, node = shapely.STRtree(points).query(shapely.points(joins[:, :2]), predicate="dwithin", distance=JOIN_M)
        party = (unique[node, 2] == joins[j, 2]) | (unique[node, 2] == joins[j, 3])
        j, node = j[party], node[party]
        # every node of a join is tied to the join's first node: one component
        first = pd.Series(node).groupby(j).transform("min").to_numpy()
        m = len(unique)
        ties = scipy.sparse.coo_matrix((np.ones(len(node)), (node, first)), shape=(m, m))
        label = scipy.sparse.csgraph.connected_components(ties, directed=False)[1]
        # each component is its first node; nodes renumbered in their order
        head = pd.Series(np.arange(m)).groupby(label).transform("min").to_numpy()
        kept, renumber = np.unique(head, return_inverse=True)
        unique, inverse = unique[kept], renumber.reshape(-1)[inverse]
    return unique[:, :2], inverse[:n], inverse[n:]
