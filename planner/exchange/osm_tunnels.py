"""Tunnels and utility lines in OpenStreetMap: what each is for a park's networks.

A ``tunnel=*`` tag says where a way runs, not what it is; what it carries decides:

- a road in a tunnel (``highway=*`` with ``tunnel`` other than ``no``: a river crossing, an
  underpass 地道) is a road link like any other and goes into ``road_lines`` with its class;
  the tunnels among the roads are counted in the report;
- a power cable in a tunnel (``power=cable``) is a power line (see :mod:`.osm`);
- a pipeline (``man_made=pipeline``, in a tunnel or buried) is a line of the network its
  ``substance`` names (:data:`SUBSTANCE_NETWORKS`; ``diameter`` in mm);
- a utility tunnel (综合管廊: a tunnel way that is none of the above) carries the networks its
  ``utility=*`` names (``utility=power;water;telecom``, :data:`UTILITY_NETWORKS`): it becomes
  one line in each of their layers, with its OSM id;
- the rest is left out and reported with the OSM ids: railway and waterway tunnels (culverts)
  are no network of the park, and a utility tunnel whose networks OSM does not state cannot be
  given to one.

Every line gets a ``level`` (竖向层次, :func:`osm_levels`): OSM's ``layer`` where it is a whole
number, else +1 on a bridge (``bridge=*`` other than ``no``: a viaduct, an elevated road 高架),
-1 in a tunnel (``tunnel=*`` other than ``no`` and ``building_passage``), else 0. A road under a
roof (``covered=yes``) or through a building (``tunnel=building_passage``) stays at grade: it
meets the streets it crosses. Lines of different levels are joined only where one ends on the
other (a ramp, a portal), so a river tunnel is no longer joined to the roads it passes under.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.infra.layers import LEVEL_MAX, LEVEL_MIN, line_layer

__all__ = [
    "SUBSTANCE_NETWORKS",
    "UTILITY_NETWORKS",
    "is_tunnel",
    "level_notes",
    "osm_levels",
    "tunnel_notes",
    "utility_lines",
]

SUBSTANCE_NETWORKS = {
    "water": "water",
    "drinking_water": "water",
    "sewage": "drainage",
    "wastewater": "drainage",
    "rainwater": "drainage",
    "gas": "gas",
    "natural_gas": "gas",
    "hot_water": "heat",
    "steam": "heat",
    "heat": "heat",
}
"""``man_made=pipeline`` ``substance`` values that a park's networks carry, and their network."""

UTILITY_NETWORKS = {
    "power": "power",
    "electricity": "power",
    "water": "water",
    "sewerage": "drainage",
    "sewage": "drainage",
    "drainage": "drainage",
    "stormwater": "drainage",
    "telecom": "telecom",
    "communication": "telecom",
    "gas": "gas",
    "heating": "heat",
    "heat": "heat",
}
"""``utility=*`` values (``;``-separated) of a utility tunnel, and the network each names."""

_LISTED = 10
"""At most this many OSM ids are named in one note of what was left out."""


def is_tunnel(tunnel: pd.Series) -> np.ndarray:
    """Which ways run in a tunnel: a ``tunnel`` tag other than ``no``."""
    return np.asarray((tunnel.notna() & (tunnel.astype("string") != "no")).to_numpy(dtype=bool), dtype=bool)


def osm_levels(layer: pd.Series, bridge: pd.Series, tunnel: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each way's level, and whether it came from its ``layer`` tag.

    ``layer`` where it is a whole number (the first of ``;``-separated values; kept within
    :data:`~planner.infra.layers.LEVEL_MIN` … :data:`~planner.infra.layers.LEVEL_MAX`), else +1
    on a bridge, -1 in a tunnel (not a ``building_passage``), else 0.
    """
    text = layer.astype("string").str.split(";").str[0].str.strip()
    number = pd.to_numeric(text, errors="coerce").astype("float64")
    tagged = (number.notna() & (number == np.round(number))).to_numpy(dtype=bool)
    on_bridge = (bridge.notna() & (bridge.astype("string") != "no")).to_numpy(dtype=bool)
    below = is_tunnel(tunnel) & (tunnel.astype("string") != "building_passage").fillna(True).to_numpy(dtype=bool)
    guessed = np.where(on_bridge, 1, np.where(below, -1, 0))
    given = np.clip(np.nan_to_num(number.to_numpy(), nan=0.0), LEVEL_MIN, LEVEL_MAX).astype(np.int64)
    return np.where(tagged, given, guessed).astype(np.int64), tagged


def level_notes(layers: dict[str, gpd.GeoDataFrame], tagged: dict[str, np.ndarray], what: str) -> list[Problem]:
    """A note per line layer with lines off grade: how many above and below, and how many from ``layer``."""
    notes = []
    for name, frame in layers.items():
        if "level" not in frame:
            continue
        level = frame["level"].to_numpy(dtype=np.int64)
        above, below = int((level > 0).sum()), int((level < 0).sum())
        if not above and not below:
            continue
        from_tag = int(tagged[name].sum()) if name in tagged else 0
        notes.append(
            Problem(
                "repair",
                None,
                "level",
                f"{above} line(s) above grade (level > 0: bridge=* or layer) and {below} below (level < 0: tunnel=* "
                f"or layer), {from_tag} of all the levels from the layer tag; lines of different levels are joined "
                "only where one ends on the other (a ramp, a portal), not where they cross",
                feature=f"{what}: {name}",
                zh=f"{above} 条线位于地面以上（`level` > 0：bridge=* 或 layer），{below} 条位于地面以下（`level` < 0："
                f"tunnel=* 或 layer），其中 {from_tag} 条的层次取自 layer 标签；"
                "不同层次的线只在一条线的端点落在另一条线上处（匝道、洞口）相连，交叉处不相连",
            )
        )
    return notes


def _networks(values: pd.Series, table: dict[str, str]) -> list[list[str]]:
    """Per way, the networks its ``;``-separated values name (in the order of :data:`~planner.vocab.NETWORKS`)."""
    out = []
    for value in values:
        named = {table[v.strip()] for v in str(value).split(";") if v.strip() in table} if value is not None else set()
        out.append(sorted(named))
    return out


def utility_lines(
    lines: gpd.GeoDataFrame, tags: dict[str, pd.Series], ids: np.ndarray, what: str
) -> tuple[dict[str, gpd.GeoDataFrame], list[Problem]]:
    """Pipelines and utility tunnels as lines of the networks they carry, and notes on the tunnels left out.

    ``tags``: the ways' ``highway``, ``power``, ``man_made``, ``substance``, ``utility``,
    ``tunnel``, ``railway``, ``waterway``, ``name`` and ``diameter`` values.
    """
    tunnel = is_tunnel(tags["tunnel"])
    pipeline = (tags["man_made"] == "pipeline").to_numpy(dtype=bool)
    carried = tags["highway"].notna().to_numpy(dtype=bool) | tags["power"].notna().to_numpy(dtype=bool)
    utility_tunnel = tunnel & ~carried & ~pipeline
    utility_tunnel &= tags["railway"].isna().to_numpy(dtype=bool) & tags["waterway"].isna().to_numpy(dtype=bool)
    nets: list[list[str]] = [[] for _ in range(len(lines))]
    for k, named in zip(
        np.flatnonzero(pipeline), _networks(tags["substance"][pipeline], SUBSTANCE_NETWORKS), strict=True
    ):
        nets[k] = named
    for k, named in zip(
        np.flatnonzero(utility_tunnel), _networks(tags["utility"][utility_tunnel], UTILITY_NETWORKS), strict=True
    ):
        nets[k] = named
    rows = [(k, net) for k, named in enumerate(nets) for net in named]
    out: dict[str, gpd.GeoDataFrame] = {}
    level, _tagged = osm_levels(tags["layer"], tags["bridge"], tags["tunnel"])
    diameter = pd.to_numeric(tags["diameter"].astype("string").str.extract(r"(\d+(?:\.\d+)?)")[0], errors="coerce")
    for net in sorted({net for _k, net in rows}):
        take = np.array([k for k, n in rows if n == net])
        out[line_layer(net)] = gpd.GeoDataFrame(
            {
                "line_id": ids[take],
                "name": tags["name"].to_numpy(dtype=object)[take],
                "diameter_mm": diameter.to_numpy(dtype=float)[take],
                "level": level[take],
                "in_service": True,
            },
            geometry=lines.geometry.to_numpy()[take],
            crs=lines.crs,
        )
    has_net = np.array([bool(n) for n in nets], dtype=bool)
    left = {
        "a utility tunnel (综合管廊) whose networks OSM does not state: tag it utility=power;water;… to import it": (
            utility_tunnel & ~has_net
        ),
        "a pipeline of a substance no network of the park carries (substance=*)": pipeline & ~has_net,
        "a railway in a tunnel: no network of the park": tunnel & tags["railway"].notna().to_numpy(dtype=bool),
        "a waterway in a tunnel or culvert: no network of the park": (
            tunnel & tags["waterway"].notna().to_numpy(dtype=bool) & tags["railway"].isna().to_numpy(dtype=bool)
        ),
    }
    problems = [_left_out(ids[mask], why, what) for why, mask in left.items() if mask.any()]
    for net in sorted({net for _k, net in rows}):
        layer = out[line_layer(net)]
        in_tunnels = int(np.isin(layer["line_id"].to_numpy(), ids[utility_tunnel]).sum())
        pipes = len(layer) - in_tunnels
        parts = ([f"{in_tunnels} utility tunnel(s) (综合管廊, utility=*)"] if in_tunnels else []) + (
            [f"{pipes} pipeline(s) (man_made=pipeline, substance=*)"] if pipes else []
        )
        parts_zh = ([f"{in_tunnels} 段综合管廊（utility=*）"] if in_tunnels else []) + (
            [f"{pipes} 条管道（man_made=pipeline，substance=*）"] if pipes else []
        )
        message = f"{' and '.join(parts)} read as {net} lines"
        zh = f"{'和'.join(parts_zh)}读作 `{net}` 管线"
        problems.append(Problem("repair", None, "network", message, feature=what, zh=zh))
    return out, problems


_LEFT_OUT_ZH = {
    "a utility tunnel (综合管廊) whose networks OSM does not state: tag it utility=power;water;… to import it": (
        "综合管廊未注明所容管线（OSM 无 utility 标签）：加 utility=power;water;… 后可导入"
    ),
    "a pipeline of a substance no network of the park carries (substance=*)": (
        "管道输送的介质（substance=*）不属园区任何管网"
    ),
    "a railway in a tunnel: no network of the park": "隧道中的铁路：不属园区任何管网",
    "a waterway in a tunnel or culvert: no network of the park": "隧道或涵洞中的水道：不属园区任何管网",
}
"""The Chinese of each reason a way is left out (the keys are the English reasons of :func:`utility_lines`)."""


def _left_out(ids: np.ndarray, why: str, what: str) -> Problem:
    """One note for the ways left out for one reason, naming their OSM ids (the first :data:`_LISTED`)."""
    named = ", ".join(f"way {str(i).removeprefix('osm-w')}" for i in ids[:_LISTED])
    more = f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else ""
    named_zh = "、".join(f"way {str(i).removeprefix('osm-w')}" for i in ids[:_LISTED])
    more_zh = f" 等另 {len(ids) - _LISTED} 条" if len(ids) > _LISTED else ""
    message = f"{len(ids)} way(s) left out, {why}: OSM {named}{more}"
    zh = f"未导入 {len(ids)} 条 way：{_LEFT_OUT_ZH[why]}：OSM {named_zh}{more_zh}"
    return Problem("warning", None, "tunnel", message, feature=what, zh=zh)


def tunnel_notes(roads: gpd.GeoDataFrame, tunnel: pd.Series, road_ids: np.ndarray, what: str) -> list[Problem]:
    """A note of the road ways in tunnels imported as road links (none: no note)."""
    in_tunnel = is_tunnel(tunnel)
    if not in_tunnel.any():
        return []
    kept = np.isin(roads["line_id"].to_numpy(), road_ids[in_tunnel])
    count = int(kept.sum())
    if not count:
        return []
    below = int((roads["level"].to_numpy(dtype=np.int64)[kept] < 0).sum()) if "level" in roads else 0
    message = (
        f"{count} road way(s) in tunnels (tunnel=*) imported as road links with their class, {below} of them below "
        "grade (level < 0): the network joins those to other roads only where one ends on the other (at a portal), "
        "not to the roads they pass under"
    )
    zh = (
        f"{count} 条隧道中的道路（tunnel=*）按其等级作为道路导入，其中 {below} 条位于地面以下（`level` < 0）：路网只在"
        "一条线的端点落在另一条线上处（洞口）把它们与其他道路相连，不与其上方经过的道路相连"
    )
    return [Problem("repair", None, "tunnel", message, feature=what, zh=zh)]
