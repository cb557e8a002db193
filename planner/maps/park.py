"""The planner's maps: readiness with its layers, siting results, and the investment map (招商地图).

Each builder returns a :class:`folium.Map` whose HTML works offline
(:func:`planner.maps.elements.offline_map`). Parcels are coloured by readiness —
熟地 green, 生地 from light to dark by how many checklist items they lack, grey where
readiness was never computed (:mod:`planner.maps.style`) — with a popup (Chinese, English on
the switch) giving area in mu and m², status, land use, zoning, each checklist item with its
distance and reason, idle land and the per-mu class (:mod:`planner.maps.popups`). Layers a
planner toggles (:mod:`planner.maps.layers`): idle land, per-mu classes, each network and its
sources with capacity and what is left, roads by class, parcels whose records disagree with
the networks, standard factories. The page around them — basemap, language, view — is
:mod:`planner.maps.page`.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from planner.codes import industry_admits, split_codes
from planner.config import LeadingIndustry
from planner.maps.basemaps import LocalTiles
from planner.maps.data import MapData
from planner.maps.elements import bilingual, save_map
from planner.maps.labels import RoadLabels, road_index
from planner.maps.layers import (
    Layers,
    factory_layers,
    inline_parcel_layers,
    layer_name,
    network_layers,
    offer_layer,
    plan_layers,
    polygons,
    share_parcels,
    tiled_parcel_layers,
    wgs84,
)
from planner.maps.legend import data_sections, section
from planner.maps.page import AreaFilter, FirstDraw, finish_map, start_map
from planner.maps.popups import parcel_properties
from planner.maps.reasons import reason_en
from planner.maps.style import CANDIDATE, READY_COLOR, REJECTED, UNLOCKED_FILL
from planner.siting.match import MatchResult
from planner.siting.rules import RULE_LABELS

__all__ = ["investment_map", "readiness_map", "siting_map", "write_maps"]

_INDUSTRY_PALETTE = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00"]
_RULE_PALETTE = ["#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec", "#f2f2f2",
                 "#b3e2cd", "#fdcdac", "#cbd5e8", "#f4cae4", "#e6f5c9", "#fff2ae", "#f1e2cc", "#cccccc"]  # fmt: skip


def readiness_map(  # noqa: PLR0913 - keyword-only options of the page, each with its default
    data: MapData,
    *,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    lang: str = "zh",
    tiles_url: str | None = None,
    parcel_url: str | None = None,
    max_inline_parcels: int | None = None,
    plan: Mapping[str, Any] | None = None,
    local_tiles: LocalTiles | None = None,
    search_url: str | None = None,
) -> folium.Map:
    """The park map: parcels by readiness, and the layers a planner toggles.

    With ``plan`` (a build-out plan's JSON, ``planner plan --json``) its works are drawn
    dashed in their network's colour and the parcels they make ready highlighted, in the legend.

    A park of more than ``max_inline_parcels`` parcels (default: the park's threshold
    ``map_max_inline_parcels``, 5,000) draws its parcels, idle land and per-mu classes from
    the vector tiles at ``tiles_url`` (a template with ``{z}/{x}/{y}``, e.g. the API's
    ``tiles/{z}/{x}/{y}.mvt?park=…``; ``gcj=true`` is added for Gaode), and a click on a
    parcel fetches its details from ``parcel_url`` (``{id}`` is replaced) for the popup.
    Without ``tiles_url`` such a park's map draws no parcels and says why in its notes. Its
    search box asks ``search_url`` (the API's ``search?park=…``; ``q`` is added) for parcels by
    code, holder or name and roads by name, since the page holds none of the parcels' records.
    """
    p = data.parcels
    limit = int(data.config.threshold("map_max_inline_parcels") if max_inline_parcels is None else max_inline_parcels)
    if limit < 0:
        msg = f"`max_inline_parcels` must be 0 or more, got {limit}"
        raise ValueError(msg)
    tiled = len(p) > limit
    m, notes, gcj = start_map(
        data, basemap=basemap, tianditu_key=tianditu_key, lang=lang, vector_tiles=tiled and tiles_url is not None,
        local_tiles=local_tiles,
    )  # fmt: skip
    layers: Layers = {}
    if tiled:
        layers |= tiled_parcel_layers(m, data, notes, limit, tiles_url, parcel_url, gcj)
    elif len(p):
        layers |= inline_parcel_layers(m, data, notes, gcj)
    layers |= network_layers(m, data, gcj)
    layers |= factory_layers(m, data, gcj)
    extra = _road_names(m, data, gcj, layers)
    legend = data_sections(layers, data)
    if plan is not None:
        added, rows = plan_layers(m, data, plan, gcj)
        layers |= added
        for key in added:
            kept = [r for r in rows if (key == "plan:unlocked") == (r[0] == UNLOCKED_FILL)]
            legend.append(section(key, ("建设计划", "build-out plan"),
                                  [("fill" if key == "plan:unlocked" else "dashed", *r) for r in kept]))  # fmt: skip
    meta = {"kind": "readiness", "parcels": len(p), "park": data.config.park_id,
            "drawn": "tiles" if tiled and tiles_url else "none" if tiled else "inline"}  # fmt: skip
    finish_map(
        m,
        layers,
        notes,
        meta,
        legend=legend,
        extra={**extra, "parcelUrl": parcel_url if tiled else None, "searchUrl": search_url if tiled else None},
    )
    if not (tiled and tiles_url):
        FirstDraw().add_to(m)
    return m


def _leading_industry(zone: object, leading: Sequence[LeadingIndustry]) -> int:
    """The position of the first leading industry a parcel's zoning admits (or admits it); past the end: none."""
    codes = split_codes(zone) if isinstance(zone, str) else []
    for k, li in enumerate(leading):
        if any(industry_admits(z, c) or industry_admits(c, z) for z in codes for c in li.codes):
            return k
    return len(leading)


def investment_map(
    data: MapData,
    *,
    min_mu: float = 0.0,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    lang: str = "zh",
    local_tiles: LocalTiles | None = None,
) -> folium.Map:
    """招商地图: ready reserved land by leading industry, with a minimum-area filter on the page."""
    m, notes, gcj = start_map(data, basemap=basemap, tianditu_key=tianditu_key, lang=lang, local_tiles=local_tiles,
                              title=("招商地图", "investment map"))  # fmt: skip
    p = data.parcels
    offer = p[(p["status"] == "reserved") & p["ready"].fillna(False).astype(bool)]
    leading = data.config.leading_industries
    which = np.array([_leading_industry(z, leading) for z in offer["zone_industries"]], dtype=int)
    colors = np.array([*_INDUSTRY_PALETTE[: len(leading)], "#999999"], dtype=object)
    names = [(li.name_zh, li.name_en or li.name_zh) for li in leading] + [("其他/未限定", "other or any")]
    layers: Layers = {}
    if len(offer):
        share_parcels(m, parcel_properties(offer, data.config.checklist))
        tips = [
            f"{pid} {a:,.1f} 亩 {names[k][0]}"
            for pid, a, k in zip(offer["parcel_id"], offer["area_mu"], which, strict=True)
        ]
        layer = offer_layer(offer, colors[which], tips, gcj)
        layer.add_to(m)
        layers["offer"] = layer
        AreaFilter(layer, min_mu).add_to(m)
    else:
        notes.append(("没有可供应的熟地（储备且七通一平）", "No ready land in the reserve"))
    legend = [section("offer", ("招商地图：可供熟地", "ready land by leading industry"),
                      [("fill", colors[k], *names[k]) for k in range(len(names))])]  # fmt: skip
    layers |= network_layers(m, data, gcj)
    extra = _road_names(m, data, gcj, layers)
    legend += data_sections(layers, data)
    finish_map(m, layers, notes, {"kind": "investment", "parcels": len(offer), "min_mu": min_mu}, legend=legend,
               extra=extra)  # fmt: skip
    return m


def siting_map(
    data: MapData,
    result: MatchResult,
    *,
    limit: int = 20,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    lang: str = "zh",
    local_tiles: LocalTiles | None = None,
) -> folium.Map:
    """A project's candidates numbered by rank (groups as one), and the rejected parcels by first failed rule."""
    pr = result.project
    m, notes, gcj = start_map(data, basemap=basemap, tianditu_key=tianditu_key, lang=lang, local_tiles=local_tiles,
                              title=(f"选址：{pr.name}", f"siting: {pr.name}"))  # fmt: skip
    frame = result.to_frame(limit=limit)
    layers: Layers = {}
    rejected = frame[frame["kind"] == "rejected"]
    rules = list(dict.fromkeys(rejected["rule"]))
    color_of = {r: _RULE_PALETTE[k % len(_RULE_PALETTE)] for k, r in enumerate(rules)}
    if len(rejected):
        pops = [
            f'<div class="planner-popup"><b>{html.escape(pid)}</b> {a:,.1f} 亩<br>'
            f"{bilingual(*RULE_LABELS[rule])}：{bilingual(reason, reason_en(reason))}</div>"
            for pid, a, rule, reason in zip(rejected["parcel_ids"], rejected["area_mu"], rejected["rule"],
                                            rejected["reason"], strict=True)
        ]  # fmt: skip
        layer = polygons(
            layer_name("未入选（首个不满足条件）", "rejected (first failed rule)"), rejected,
            fill=rejected["rule"].map(color_of).to_numpy(), popups=pops, tips=list(rejected["parcel_ids"]),
            style=REJECTED, gcj=gcj,
        )  # fmt: skip
        layer.add_to(m)
        layers["rejected"] = layer
    cands = frame[frame["kind"] != "rejected"]
    if len(cands):
        pops = [
            f'<div class="planner-popup"><b>#{int(r)}</b> {html.escape(ids)}<br>'
            f"{bilingual('面积', 'area')} {a:,.1f} 亩；{bilingual('得分', 'score')} {100 * s:.1f}</div>"
            for r, ids, a, s in zip(cands["rank"], cands["parcel_ids"], cands["area_mu"], cands["score"], strict=True)
        ]
        layer = polygons(
            layer_name("候选地块（按得分）", "candidates (by score)"), cands,
            fill=np.where(cands["kind"] == "group", "#66bd63", READY_COLOR).astype(object), popups=pops,
            tips=[f"#{int(r)}" for r in cands["rank"]], style=CANDIDATE, gcj=gcj,
        )  # fmt: skip
        layer.add_to(m)
        layers["candidates"] = layer
        points = wgs84(gpd.GeoDataFrame(geometry=cands.geometry.representative_point(), crs=cands.crs), gcj)
        ranks = folium.FeatureGroup(name=layer_name("名次", "ranks"))
        for r, point in zip(cands["rank"], points, strict=True):
            folium.Marker(
                (point.y, point.x), icon=folium.DivIcon(html=f'<div class="planner-rank">{int(r)}</div>', icon_size=(22, 22),
                                                        icon_anchor=(11, 11)),
            ).add_to(ranks)  # fmt: skip
        ranks.add_to(m)
    else:
        notes.append(("没有满足全部条件的地块", "No parcel meets every rule"))
    legend = [
        section("candidates", (f"{pr.name}（{pr.code}）", f"{pr.name} ({pr.code})"),
                [("fill", READY_COLOR, "候选地块（编号为名次）", "candidate (numbered by rank)"),
                 ("fill", "#66bd63", "合并地块组", "combined group")]),
        section("rejected", ("未入选：首个不满足的条件", "rejected: first failed rule"),
                [("fill", color_of[r], *RULE_LABELS[r]) for r in rules]),
    ]  # fmt: skip
    layers |= network_layers(m, data, gcj)
    extra = _road_names(m, data, gcj, layers)
    legend += data_sections(layers, data)
    notes += [(n, reason_en(n)) for n in result.notes]
    finish_map(m, layers, notes, {"kind": "siting", "project": pr.name, "candidates": len(cands)}, legend=legend,
               extra=extra)  # fmt: skip
    return m


def _road_names(m: folium.Map, data: MapData, gcj: bool, layers: Layers) -> dict[str, Any]:
    """The road names on the map (a layer, ``labels:road``), and the roads for the page's search."""
    labels, roads = road_index(data, gcj)
    if labels:
        layer = RoadLabels(labels, name=layer_name("道路名称", "road names"))
        layer.add_to(m)
        layers["labels:road"] = layer
    return {"roads": roads}


def write_maps(  # noqa: PLR0913 - keyword-only options of the pages, each with its default
    data: MapData,
    folder: str | os.PathLike[str],
    *,
    results: Sequence[MatchResult] = (),
    min_mu: float = 0.0,
    basemap: str | None = None,
    tianditu_key: str | None = None,
    lang: str = "zh",
    plan: Mapping[str, Any] | None = None,
    local_tiles: LocalTiles | None = None,
) -> list[Path]:
    """Write ``readiness.html`` (with ``plan``'s works), ``investment.html`` and one ``siting-<n>.html`` per result."""
    folder = Path(folder)
    page = {"basemap": basemap, "tianditu_key": tianditu_key, "lang": lang, "local_tiles": local_tiles}
    written = [
        save_map(readiness_map(data, plan=plan, **page), folder / "readiness.html"),  # type: ignore[arg-type]
        save_map(investment_map(data, min_mu=min_mu, **page), folder / "investment.html"),  # type: ignore[arg-type]
    ]
    for k, result in enumerate(results, start=1):
        written.append(save_map(siting_map(data, result, **page), folder / f"siting-{k}.html"))  # type: ignore[arg-type]
    return written
