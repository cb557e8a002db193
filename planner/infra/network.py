"""Graphs of a park's networks, built from its line layers.

Lines are joined where they meet: a line ending within :data:`SNAP_M` of another line
gets a short connector to it; then all lines are noded (split where they cross or where
one ends on another), and segment ends closer than a millimetre become one node. Lines of
different ``level`` (a tunnel, an elevated road) meet only where one ends on the other, never
where they merely cross (:mod:`planner.infra.levels`); where every line is at one level, the
noding is the one described here. Each
live source (``in_service``) is tied to the point of its network nearest to it, which
must lie within :data:`SOURCE_SNAP_M`: of the edges of a level a parcel can tap
(:func:`planner.infra.levels.tappable`: a road at grade, a pipe or cable at grade or below)
where one is that near, else of any level (a gateway on the bridge by which a road enters
the park over a river). The result keeps the edges as geometries (for
tap points and maps), as a ``networkx`` graph (the modelling API) and as a
``scipy.sparse`` matrix (for bulk shortest paths).

Bad networks are reported, never silently zero: an empty layer, a network without
a live source, a source off its network, and the pieces no source reaches.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
import shapely
import shapely.ops

from planner.errors import Problem
from planner.infra.levels import level_nodes, level_pieces, line_levels, tappable
from planner.infra.noding import AxisNoding, axis_noded, opened_rings
from planner.infra.owners import ends_of, grid_nodes, line_coords, line_ends, middles, noded_owners, owners
from planner.infra.snapround import SnapNoding, snap_noded
from planner.vocab import CAPACITY_COLUMN, NETWORK_OF_KIND, NETWORKS

__all__ = ["SNAP_M", "SOURCE_SNAP_M", "Network", "build_network", "source_distances", "source_tree"]

SNAP_M = 1.0
"""A line ending this close to another line is joined to it (m)."""
SOURCE_SNAP_M = 50.0
"""A source farther than this from every line of its network is off the network (m)."""
_EPS = 1e-9  # scipy drops explicit zeros: a zero-length link gets this weight
_GRID_M = 0.001
Coords = tuple[np.ndarray, np.ndarray]
"""Lines as their vertices (x, y) one after the other, and where each line's begin
(:func:`planner.infra.owners.line_coords`)."""
_MADE_AGAIN = ("edge_tree", "graph", "tap_edges", "untappable_edges", "tap_lookup")  # not sent: quicker made again


@dataclass
class Network:
    """One network as a graph.

    ``edges``: one row per noded segment (``line_id``, ``u``, ``v``, ``length_m``,
    ``level``, geometry); ``nodes``: (N, 2) coordinates; ``sources``: the live sources tied to the
    network (``source_id``, ``kind``, ``name``, ``capacity``, ``edge`` and ``pos_m``, the
    tie point as an edge and the distance along it from its ``u`` end).
    """

    name: str
    edges: gpd.GeoDataFrame
    nodes: np.ndarray
    sources: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The network's Chinese name (``给水``)."""
        return NETWORKS[self.name][0]

    @cached_property
    def graph(self) -> nx.Graph:
        """The network as a ``networkx`` graph: nodes carry ``xy``, edges ``length_m`` and ``line_id``."""
        g = nx.Graph()
        g.add_nodes_from((i, {"xy": tuple(xy)}) for i, xy in enumerate(self.nodes))
        for u, v, length, line_id in zip(
            self.edges["u"], self.edges["v"], self.edges["length_m"], self.edges["line_id"], strict=True
        ):
            if not g.has_edge(u, v) or g[u][v]["length_m"] > length:
                g.add_edge(int(u), int(v), length_m=float(length), line_id=line_id)
        return g

    def __getstate__(self) -> dict[str, object]:
        """Sent to another process (or kept on disk) without the tree and the ``networkx`` graph: they are quicker made
        again there; the edges' lines as coordinate arrays (shapely's ragged arrays), quicker to write and read than
        the WKB a GeoDataFrame pickles."""
        state = {k: v for k, v in vars(self).items() if k not in (*_MADE_AGAIN, "edge_coords", "edge_ends")}
        coords = self.edge_coords if self.edges.geometry.name == "geometry" and len(self.edges) else None
        if coords is not None:
            frame = pd.DataFrame(self.edges.drop(columns="geometry"))
            state["edges"] = (frame, (shapely.GeometryType.LINESTRING, coords[0], (coords[1],)), self.edges.crs)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        """The network as it was sent (see :meth:`__getstate__`)."""
        edges = state["edges"]
        if isinstance(edges, tuple):
            frame, ragged, crs = edges
            state["edges"] = gpd.GeoDataFrame(frame, geometry=shapely.from_ragged_array(*ragged), crs=crs)
            state["edge_ends"] = ends_of(ragged[1], ragged[2][0])  # not the vertices: they are held by GEOS
        vars(self).update(state)

    @cached_property
    def edge_coords(self) -> Coords | None:
        """The edges' lines as :func:`planner.infra.owners.line_coords` (vertices, offsets), or None where an edge is
        not a linestring in 2-D; sent with the network in their place. Kept from the noding until the graph is
        written (:class:`planner.infra.graphs.GraphCache`), else made from GEOS when asked for."""
        geoms = self.edges.geometry.to_numpy()
        if (shapely.get_type_id(geoms) != 1).any() or shapely.has_z(geoms).any():
            return None
        return line_coords(geoms)

    @cached_property
    def edge_ends(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each edge's first and last point (x, y) and its number of vertices (as
        :func:`planner.infra.owners.line_ends`)."""
        coords = self.edge_coords
        return line_ends(self.edges.geometry.to_numpy()) if coords is None else ends_of(*coords)

    @cached_property
    def edge_tree(self) -> shapely.STRtree:
        """An STRtree of the edges' geometries (in the order of ``edges``)."""
        return shapely.STRtree(self.edges.geometry.to_numpy())

    @cached_property
    def tap_edges(self) -> tuple[np.ndarray, shapely.STRtree]:
        """The rows of the edges a parcel or a source may tie to (:func:`planner.infra.levels.tappable`), in their
        order, and an STRtree of theirs (the edges' tree where every edge may be tied to)."""
        level = self.edges["level"].to_numpy() if "level" in self.edges else np.zeros(len(self.edges), dtype=np.int64)
        rows = np.flatnonzero(tappable(self.name, level))
        if len(rows) == len(self.edges):
            return rows, self.edge_tree
        return rows, shapely.STRtree(self.edges.geometry.to_numpy()[rows])

    @cached_property
    def untappable_edges(self) -> tuple[np.ndarray, shapely.STRtree | None]:
        """The rows of the edges a parcel may not tap (a viaduct, a road tunnel, a pipe above grade), in their order,
        and an STRtree of theirs (None where there are none, as in most parks)."""
        rows, _ = self.tap_edges
        if len(rows) == len(self.edges):
            return np.zeros(0, dtype=np.int64), None
        others = np.setdiff1d(np.arange(len(self.edges)), rows)
        return others, shapely.STRtree(self.edges.geometry.to_numpy()[others])

    @cached_property
    def components(self) -> np.ndarray:
        """Connected-component label of each node."""
        n = len(self.nodes)
        matrix = scipy.sparse.coo_matrix((np.ones(len(self.edges)), (self.edges["u"], self.edges["v"])), shape=(n, n))
        labels: np.ndarray = scipy.sparse.csgraph.connected_components(matrix, directed=False)[1]
        return labels


def build_network(
    name: str,
    lines: gpd.GeoDataFrame,
    sources: gpd.GeoDataFrame | None = None,
    *,
    snap_m: float = SNAP_M,
    noder: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Network | None:
    """Build the graph of network ``name`` from its line layer and the park's sources.

    Returns ``None`` when the layer holds no line at all (readiness then uses the
    declared values). A layer whose lines are all out of service gives a network
    without edges: it exists, and reaches nothing. ``noder``: gives the same segments as
    the noding on the 1 mm grid, faster for its case (see :mod:`planner.buildout.noding`).
    """
    problems: list[Problem] = []
    if lines.crs is None or not lines.crs.is_projected:
        msg = f"the {name} lines need a projected CRS (the park's Gauss–Krüger zone); use `to_crs()`"
        raise ValueError(msg)
    if not len(lines):
        return None
    live = lines[lines["in_service"].fillna(True).astype(bool)] if "in_service" in lines else lines
    geoms = live.geometry.to_numpy()
    usable = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    usable[usable] = shapely.length(geoms[usable]) > 0
    live, geoms = live[usable], geoms[usable]
    if not len(live):
        problems.append(
            Problem(
                "warning",
                None,
                None,
                f"no {name} line is in service: the network reaches nothing",
                feature=f"{name} network",
                zh=f"没有在用的{NETWORKS[name][0]}线路：该管网不通达任何地方",
            )
        )
        empty = gpd.GeoDataFrame(
            {
                "line_id": pd.Series(dtype=object),
                "u": pd.Series(dtype=int),
                "v": pd.Series(dtype=int),
                "length_m": pd.Series(dtype=float),
                "level": pd.Series(dtype=np.int64),
            },
            geometry=gpd.GeoSeries([], crs=lines.crs),
            crs=lines.crs,
        )
        return Network(name, empty, np.zeros((0, 2)), _empty_sources(), problems)
    line_ids = live["line_id"].astype(str).to_numpy() if "line_id" in live else np.arange(len(live)).astype(str)

    levels = line_levels(live)
    if (levels != levels[0]).any():  # grade-separated lines: noded level by level, joined where one ends on another
        segments, owner, nodes, u, v, tree, level = _by_level(name, geoms, levels, sources, snap_m, noder)
        length = shapely.length(segments)
        coords = None
    else:
        segments, owner, nodes, u, v, tree, length, coords = _at_grade(name, geoms, levels[0], sources, snap_m, noder)
        level = np.full(len(segments), levels[0])
    edges = gpd.GeoDataFrame(
        {"line_id": line_ids[owner], "u": u, "v": v, "length_m": length, "level": level},
        geometry=segments,
        crs=lines.crs,
    ).reset_index(drop=True)
    network = Network(name, edges, nodes, _empty_sources(), problems)
    if tree is not None:  # the tree of these very segments, in this order: the edges' tree
        network.__dict__["edge_tree"] = tree
    if coords is not None:  # their vertices, as the noding gave them (for a write: see GraphCache), and their ends
        network.__dict__["edge_coords"] = coords
        network.__dict__["edge_ends"] = ends_of(*coords)
    network.sources = _tie_sources(network, sources, problems)
    _report_pieces(network, problems)
    return network


def _at_grade(
    name: str,
    geoms: np.ndarray,
    level: int,
    sources: gpd.GeoDataFrame | None,
    snap_m: float,
    noder: Callable[[np.ndarray], np.ndarray] | None,
) -> tuple[
    np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, shapely.STRtree | None, np.ndarray, Coords | None
]:
    """Lines of one ``level`` noded together: segments, each one's line, nodes, ends (u, v), the segments' tree,
    lengths, and the segments' vertices (:func:`planner.infra.owners.line_coords`) where numpy noded them (lines
    in 2-D)."""
    connectors = _connectors(geoms, snap_m)
    # snap-rounded noding on a 1 mm grid: ends that touch a line to within float noise are noded on it
    joined = np.concatenate([geoms, connectors])
    noded, how = _noded(joined, noder)
    points = _source_points(name, sources) if tappable(name, np.array([level]))[0] else np.array([], dtype=object)
    opened, ring = opened_rings(noded)
    segments, origin, tree = _split_at(opened, points)
    length = shapely.length(segments)
    coords = line_coords(segments)
    starts, ends, count = ends_of(*coords)
    mid = None
    if isinstance(how, AxisNoding):
        owner = how.owners(len(geoms), how.line[ring[origin]], length)
    elif how is not None:  # snap rounding: the middles of every piece tell which are sure
        mid = middles(segments, starts, ends, count)
        owner = noded_owners(joined, len(geoms), how.line[ring[origin]], mid)
    else:
        owner = np.full(len(segments), -1)
    ask = owner < 0  # the others are sure from the noding alone
    owner[ask] = owners(geoms, middles(segments[ask], starts[ask], ends[ask], count[ask]) if mid is None else mid[ask])
    nodes, inverse = grid_nodes(np.vstack([starts, ends]))
    kept = coords if how is not None else None  # GEOS's noding may keep a Z
    return segments, owner, nodes, inverse[: len(segments)], inverse[len(segments) :], tree, length, kept


def _by_level(
    name: str,
    geoms: np.ndarray,
    levels: np.ndarray,
    sources: gpd.GeoDataFrame | None,
    snap_m: float,
    noder: Callable[[np.ndarray], np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, shapely.STRtree | None, np.ndarray]:
    """Lines of several levels noded (see :mod:`planner.infra.levels`): the segments, each one's line, the nodes, each
    segment's two nodes, the segments' tree if one was made, and each segment's level."""
    pieces = level_pieces(geoms, levels, snap_m, lambda group: _noded(group, noder)[0], owners)
    may_tie = tappable(name, pieces.level)
    segments, origin, tree = _split_at(pieces.pieces, _source_points(name, sources), may_tie)
    starts, ends, _ = line_ends(segments)
    nodes, u, v = level_nodes(starts, ends, pieces.level[origin], pieces.joins)
    return segments, pieces.owner[origin], nodes, u, v, tree, pieces.level[origin]


def _noded(
    joined: np.ndarray, noder: Callable[[np.ndarray], np.ndarray] | None
) -> tuple[np.ndarray, AxisNoding | SnapNoding | None]:
    """The lines noded on the 1 mm grid: by numpy (:mod:`planner.infra.noding` where they all run along the axes on the
    grid, else :mod:`planner.infra.snapround`), by GEOS only for what neither takes (curves, Z)."""
    if noder is not None:
        noded = noder(joined)
        return noded[shapely.length(noded) > 0], None
    axis = axis_noded(joined)
    if axis is not None:
        return axis.pieces, axis
    snapped = snap_noded(joined)  # any straight-segment lines: GEOS's snap rounding, by numpy
    if snapped is not None:
        return snapped.pieces, snapped
    noded = shapely.get_parts(shapely.union_all(joined, grid_size=_GRID_M))
    return noded[shapely.length(noded) > 0], None


def _source_points(name: str, sources: gpd.GeoDataFrame | None) -> np.ndarray:
    if sources is None or not len(sources):
        return np.array([], dtype=object)
    mine = sources[sources["network"] == name]
    if "in_service" in mine:
        mine = mine[mine["in_service"].fillna(True).astype(bool)]
    points: np.ndarray = mine.geometry.to_numpy()
    present: np.ndarray = points[~shapely.is_missing(points)]
    return present


def _split_at(
    segments: np.ndarray, points: np.ndarray, may_tie: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, shapely.STRtree | None]:
    """Segments cut where a source ties on (within :data:`SOURCE_SNAP_M`), so every source sits on a node.

    ``may_tie``: the segments of a level a parcel can tap (all where not given), which a source
    ties to first (:func:`_ties`). Returns the segments, for each the one of ``segments`` it is (a
    part of), and the STRtree of the segments returned if one was made (where none was cut).
    """
    if not len(points) or not len(segments):
        return segments, np.arange(len(segments)), None
    tree = shapely.STRtree(segments)
    rows = np.arange(len(segments)) if may_tie is None else np.flatnonzero(may_tie)
    tap_tree = tree if len(rows) == len(segments) else shapely.STRtree(segments[rows])
    seg, offset = _ties(points, tree, rows, tap_tree)
    found = np.flatnonzero(offset <= SOURCE_SNAP_M)
    seg = seg[found]
    cuts: dict[int, list[float]] = {}
    for k, s_ in zip(found, seg, strict=True):
        pos = shapely.line_locate_point(segments[s_], points[k])
        if 1e-3 < pos < shapely.length(segments[s_]) - 1e-3:
            cuts.setdefault(int(s_), []).append(float(pos))
    if not cuts:
        return segments, np.arange(len(segments)), tree
    pieces, of = [], []
    for s_, positions in cuts.items():
        marks = [0.0, *sorted(set(positions)), float(shapely.length(segments[s_]))]
        pieces += [shapely.ops.substring(segments[s_], a, b) for a, b in itertools.pairwise(marks)]
        of += [s_] * (len(marks) - 1)
    keep = np.ones(len(segments), dtype=bool)
    keep[list(cuts)] = False
    origin = np.concatenate([np.flatnonzero(keep), np.array(of, dtype=np.int64)])
    return np.concatenate([segments[keep], np.array(pieces, dtype=object)]), origin, None


def _connectors(geoms: np.ndarray, snap_m: float) -> np.ndarray:
    """Short links from line ends to lines they stop short of (undershoots within ``snap_m``)."""
    ends = np.concatenate([shapely.get_point(geoms, 0), shapely.get_point(geoms, -1)])
    own = np.concatenate([np.arange(len(geoms)), np.arange(len(geoms))])
    tree = shapely.STRtree(geoms)
    e, g = tree.query(ends, predicate="dwithin", distance=snap_m)
    other = own[e] != g
    e, g = e[other], g[other]
    d = shapely.distance(ends[e], geoms[g])
    gap = (d > 0) & (d <= snap_m)
    if not gap.any():
        return np.array([], dtype=object)
    e, g = e[gap], g[gap]
    targets = shapely.line_interpolate_point(geoms[g], shapely.line_locate_point(geoms[g], ends[e]))
    links: np.ndarray = shapely.linestrings(
        np.stack([shapely.get_coordinates(ends[e]), shapely.get_coordinates(targets)], axis=1)
    )
    return links


def _empty_sources() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_id": pd.Series(dtype=object),
            "kind": pd.Series(dtype=object),
            "name": pd.Series(dtype=object),
            "capacity": pd.Series(dtype=float),
            "edge": pd.Series(dtype=int),
            "pos_m": pd.Series(dtype=float),
            "offset_m": pd.Series(dtype=float),
        }
    )


def _tie_sources(network: Network, sources: gpd.GeoDataFrame | None, problems: list[Problem]) -> pd.DataFrame:
    name = network.name
    mine = sources[(sources["network"] == name)] if sources is not None and len(sources) else None
    if mine is not None and "in_service" in mine:
        mine = mine[mine["in_service"].fillna(True).astype(bool)]
    if mine is None or not len(mine):
        problems.append(
            Problem(
                "warning",
                None,
                None,
                f"the {name} network ({NETWORKS[name][0]}) has no live source: nothing it reaches is connected; "
                + _how_to_add_source(name),
                feature=f"{name} network",
                zh=f"{NETWORKS[name][0]}管网（`{name}`）没有在用的源点：其通达之处均未接通；请用 "
                f"`planner import 园区 sources.geojson --layer sources` 导入源点（network `{name}`，kind "
                f"`{next(k for k, n in NETWORK_OF_KIND.items() if n == name)}`）"
                + (
                    "，或用 `planner import 园区 boundary.geojson --layer boundary` 导入园区四至后重新运行 "
                    "`planner readiness`：将在主要道路与四至相交处推断出入口"
                    if name == "road"
                    else ""
                ),
            )
        )
        return _empty_sources()
    points = mine.geometry.to_numpy()
    edge, offset = _ties(points, network.edge_tree, *network.tap_edges)
    off = offset > SOURCE_SNAP_M
    for sid, d in zip(mine["source_id"].to_numpy()[off], offset[off], strict=True):
        problems.append(
            Problem(
                "error",
                str(sid),
                "geometry",
                f"the source is {d:,.0f} m from the nearest {name} line; "
                f"a source must lie within {SOURCE_SNAP_M:g} m of its network",
                feature="source",
                zh=f"源点距最近的{NETWORKS[name][0]}线路 {d:,.0f} 米：源点须位于其管网 {SOURCE_SNAP_M:g} 米以内",
            )
        )
    keep = ~off
    geoms = network.edges.geometry.to_numpy()[edge[keep]]
    column = CAPACITY_COLUMN[name]
    capacity = mine[column].to_numpy(dtype=float, na_value=np.nan)[keep] if column else np.full(keep.sum(), np.nan)
    return pd.DataFrame(
        {
            "source_id": mine["source_id"].to_numpy()[keep],
            "kind": mine["kind"].to_numpy()[keep],
            "name": mine["name"].to_numpy()[keep],
            "capacity": capacity,
            "edge": edge[keep],
            "pos_m": shapely.line_locate_point(geoms, points[keep]),
            "offset_m": offset[keep],
        }
    )


def _ties(
    points: np.ndarray, tree: shapely.STRtree, rows: np.ndarray, tap_tree: shapely.STRtree
) -> tuple[np.ndarray, np.ndarray]:
    """The edge each source point ties to, and its distance (m): the nearest edge of a level a parcel can tap
    (``rows`` of the edges of ``tree``, in ``tap_tree``) where one lies within :data:`SOURCE_SNAP_M`, else the
    nearest edge of any level (a gateway on the bridge by which a road enters the park over a river)."""
    edge = np.full(len(points), -1, dtype=np.int64)
    offset = np.full(len(points), np.inf)
    if len(rows):
        (at, found), d = tap_tree.query_nearest(points, return_distance=True, all_matches=False)
        edge[at], offset[at] = rows[found], d
    rest = np.flatnonzero(offset > SOURCE_SNAP_M)
    if len(rest) and len(rows) < len(tree.geometries):
        (at, found), d = tree.query_nearest(points[rest], return_distance=True, all_matches=False)
        nearer = d < offset[rest[at]]
        edge[rest[at[nearer]]], offset[rest[at[nearer]]] = found[nearer], d[nearer]
    return edge, offset


def _how_to_add_source(network: str) -> str:
    """The command that adds a source to ``network`` (for roads, also the boundary that lets gateways be inferred)."""
    kind = next(k for k, n in NETWORK_OF_KIND.items() if n == network)
    add = f"add one with `planner import PARK sources.geojson --layer sources` (network {network}, kind {kind})"
    if network != "road":
        return add
    return (
        f"{add}, or import the park boundary with `planner import PARK boundary.geojson --layer boundary` and run "
        "`planner readiness` again: gateways are then inferred where the main roads cross it"
    )


def _report_pieces(network: Network, problems: list[Problem]) -> None:
    """Pieces of the network that no live source reaches (one problem per piece, in the order of the pieces)."""
    if not len(network.sources):
        return
    comp = network.components
    u = network.edges["u"].to_numpy()
    fed = comp[u[network.sources["edge"].to_numpy()]]
    edge_comp = comp[u]
    cut = np.flatnonzero(~np.isin(edge_comp, fed))
    if not len(cut):
        return
    # the cut-off edges grouped by piece, each group in the edges' order (its length sums as pandas would)
    cut = cut[np.argsort(edge_comp[cut], kind="stable")]
    sorted_comp = edge_comp[cut]
    bounds = np.append(np.flatnonzero(np.r_[True, sorted_comp[1:] != sorted_comp[:-1]]), len(cut))
    line_ids = network.edges["line_id"].to_numpy()[cut]
    lengths = network.edges["length_m"].to_numpy()[cut]
    for start, stop in itertools.pairwise(bounds):
        ids = sorted(set(line_ids[start:stop].tolist()))
        problems.append(
            Problem(
                "warning",
                None,
                None,
                f"{len(ids)} line(s) of {lengths[start:stop].sum() / 1000:,.2f} km are cut off from every source: "
                f"{', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}",
                feature=f"{network.name} network",
                zh=f"{len(ids)} 条线路（共 {lengths[start:stop].sum() / 1000:,.2f} 公里）与所有源点都不连通："
                f"{'、'.join(ids[:5])}{'……' if len(ids) > 5 else ''}",
            )
        )


def _undirected(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, size: int) -> scipy.sparse.csr_matrix:
    """A sparse matrix keeping the shortest of parallel links (a plain ``tocsr`` would add them up)."""
    a, b = np.minimum(rows, cols), np.maximum(rows, cols)
    frame = pd.DataFrame({"a": a, "b": b, "w": weights}).groupby(["a", "b"], sort=False)["w"].min().reset_index()
    return scipy.sparse.csr_matrix(
        (frame["w"].to_numpy(), (frame["a"].to_numpy(), frame["b"].to_numpy())), shape=(size, size)
    )


def source_distances(network: Network) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) along the network from the nearest live source to every node, and that source's row.

    One multi-source Dijkstra on a ``scipy.sparse`` matrix: each source is a virtual
    node joined to the two ends of the edge it is tied to, at its position along it.
    Unreached nodes get ``inf`` and source ``-1``.
    """
    dist, source, _ = source_tree(network)
    return dist, source


def source_tree(network: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`source_distances` and the shortest-path tree: each node's predecessor toward its source.

    The predecessor is a node of the network, or ``-1`` where the node is the tie point's
    neighbour (the path starts at the source there) or is unreached.
    """
    n = len(network.nodes)
    s = len(network.sources)
    if s == 0:
        return np.full(n, np.inf), np.full(n, -1), np.full(n, -1)
    e = network.edges
    src_edge = network.sources["edge"].to_numpy()
    pos = network.sources["pos_m"].to_numpy(dtype=float)
    length = e["length_m"].to_numpy()[src_edge]
    virtual = np.arange(n, n + s)
    rows = np.concatenate([e["u"].to_numpy(), virtual, virtual])
    cols = np.concatenate([e["v"].to_numpy(), e["u"].to_numpy()[src_edge], e["v"].to_numpy()[src_edge]])
    weights = np.maximum(np.concatenate([e["length_m"].to_numpy(), pos, length - pos]), _EPS)
    matrix = _undirected(rows, cols, weights, n + s)
    dist, pred, origin = scipy.sparse.csgraph.dijkstra(
        matrix, directed=False, indices=virtual, min_only=True, return_predecessors=True
    )
    source = np.where(origin[:n] >= 0, origin[:n] - n, -1)
    before = pred[:n]
    return dist[:n], source, np.where((before >= 0) & (before < n), before, -1)
