"""The rings of one parcel of a boundary-coordinate TXT (报部格式): closed, in 圈号 order, nested into a shape.

Part of :mod:`planner.exchange.txt`; each finding in English and Chinese.
"""

from __future__ import annotations

import numpy as np
import shapely

from planner.errors import Problem

__all__ = ["assemble_rings", "parcel_rings"]

_WHAT = "parcel"


def parcel_rings(
    index: int,
    pid: str | None,
    labels: list[str],
    points: list[tuple[int, list[str]]],
    ring_no: np.ndarray,
    x_north: np.ndarray,
    y_east: np.ndarray,
) -> tuple[list[np.ndarray] | None, list[Problem]]:
    """The closed rings of a parcel as (n, 2) easting/northing arrays, in 圈号 order."""
    problems: list[Problem] = []
    rings = []
    order = list(dict.fromkeys(ring_no.tolist()))
    if sorted(order) != order or any(ring_no[1:] < ring_no[:-1]):
        problems.append(
            Problem(
                "error",
                pid,
                "geometry",
                f"the points of a ring must follow each other, rings in order 1, 2, …; got 圈号 {order}",
                row=index,
                feature=_WHAT,
                zh=f"同一环的点须相连，各环按 1、2……的顺序；实为圈号 {order}",
            )
        )
        return None, problems
    for r in order:
        at = np.flatnonzero(ring_no == r)
        xy = np.column_stack([y_east[at], x_north[at]])
        first, last = at[0], at[-1]
        if not np.array_equal(xy[0], xy[-1]):
            problems.append(
                Problem(
                    "error",
                    pid,
                    "geometry",
                    f"ring {r} is not closed: its last point {labels[last]} (line {points[last][0]}) is not its "
                    f"first point {labels[first]} (line {points[first][0]}); repeat the first point at the end",
                    row=index,
                    feature=_WHAT,
                    zh=f"第 {r} 个环未闭合：末点 {labels[last]}（第 {points[last][0]} 行）不是首点 {labels[first]}"
                    f"（第 {points[first][0]} 行）：请在末尾重复首点",
                )
            )
            continue
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(xy[1:] != xy[:-1], axis=1)
        dropped = [labels[at[k]] for k in np.flatnonzero(~keep)]
        if dropped:
            problems.append(
                Problem(
                    "repair",
                    pid,
                    "geometry",
                    f"ring {r}: repeated point(s) {', '.join(dropped)} removed (a duplicate of the point before)",
                    row=index,
                    feature=_WHAT,
                    zh=f"第 {r} 个环：删去了重复点 {'、'.join(dropped)}（与前一点相同）",
                )
            )
        xy = xy[keep]
        if len(xy) < 4:
            problems.append(
                Problem(
                    "error",
                    pid,
                    "geometry",
                    f"ring {r} has {len(xy) - 1} distinct points; a ring needs at least 3",
                    row=index,
                    feature=_WHAT,
                    zh=f"第 {r} 个环只有 {len(xy) - 1} 个不同的点：一个环至少需 3 个",
                )
            )
            continue
        rings.append(xy)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return rings, problems


def assemble_rings(rings: list[np.ndarray]) -> tuple[shapely.Geometry, list[tuple[str, str]]]:
    """Outer rings and holes into a (Multi)Polygon, by nesting parity.

    A ring inside an odd number of the parcel's other rings is a hole of the innermost outer
    ring around it; inside an even number (none, or an outer ring and one of its holes) it is
    an outer ring: another part, e.g. an island in a hole of the first part.
    """
    lines = np.array([shapely.linearrings(xy) for xy in rings])
    inside = shapely.contains(shapely.polygons(lines)[:, None], lines[None, :])  # [j, k]: ring k inside ring j
    np.fill_diagonal(inside, False)
    depth = inside.sum(axis=0)
    outer = (depth % 2 == 0) | ~(inside & (depth % 2 == 0)[:, None]).any(axis=0)  # crossing rings: left as parts
    holes: dict[int, list[np.ndarray]] = {int(k): [] for k in np.flatnonzero(outer)}
    for k in np.flatnonzero(~outer):
        hosts = np.flatnonzero(inside[:, k] & outer)
        holes[int(hosts[np.argmax(depth[hosts])])].append(rings[k])
    notes = [
        (
            f"ring {k + 1} ran counter-clockwise; outer rings run clockwise in this format",
            f"第 {k + 1} 个环为逆时针；此格式的外环为顺时针，已调整",
        )
        for k in np.flatnonzero(outer)
        if shapely.is_ccw(lines[k])
    ]
    polygons = [shapely.polygons(rings[k], holes=holes[k] or None) for k in holes]
    geom = polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)
    return shapely.orient_polygons(geom), notes
