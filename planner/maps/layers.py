"""The layers of the maps: parcels (inline or from vector tiles), idle land, per-mu classes, networks, factories.

Each builder adds its layers to a map and returns them by name (the names of
``window.plannerLayers``). Geometries go to the page as RFC 7946 GeoJSON in WGS84
lon/lat, shifted to GCJ-02 where the basemap is Gaode's.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
from branca.element import Element
from folium.utilities import JsCode
from jinja2 import Template

from planner.crs import wgs84_to_gcj02
from planner.infra.gateways import is_inferred
from planner.maps.data import MapData
from planner.maps.elements import bilingual, inline_json, page_root
from planner.maps.popups import fmt, parcel_properties
from planner.maps.style import (
    CLASS_COLORS,
    DISAGREE,
    EVALUATION,
    FACTORY,
    IDLE,
    IDLE_COLORS,
    NET_COLORS,
    PARCEL,
    PLAN_DASH,
    ROAD_WEIGHTS,
    UNLOCKED,
    UNLOCKED_FILL,
    PolygonStyle,
    readiness_color,
)
from planner.vocab import CAPACITY_UNITS, CHECKLIST_ITEMS, NETWORKS, SOURCE_KINDS

__all__ = [
    "factory_layers",
    "inline_parcel_layers",
    "layer_name",
    "network_layers",
    "offer_layer",
    "polygons",
    "share_parcels",
    "tiled_parcel_layers",
    "wgs84",
]

Layers = dict[str, Element]
"""Layers by their name in ``window.plannerLayers``."""


# --- geometry to GeoJSON ------------------------------------------------------------------------------------


def wgs84(frame: gpd.GeoDataFrame, gcj: bool) -> np.ndarray:
    """The frame's geometries in WGS84 lon/lat (to the micro-degree), shifted to GCJ-02 with ``gcj``."""
    geoms = frame.to_crs(4326).geometry.to_numpy()
    if gcj:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    return shapely.transform(geoms, lambda xy: np.round(xy, 6))


def _collection(frame: gpd.GeoDataFrame, properties: dict[str, object], gcj: bool) -> dict:
    """An RFC 7946 FeatureCollection of ``frame``'s geometries with ``properties`` (arrays of the frame's length)."""
    props = pd.DataFrame(properties)
    geoms = wgs84(frame, gcj)
    out = gpd.GeoDataFrame(props.reset_index(drop=True), geometry=list(geoms), crs=4326)
    return json.loads(out.to_json(drop_id=True, na="null"))


# --- polygons drawn inline ----------------------------------------------------------------------------------


_BIND = JsCode(
    """function (feature, layer) {
        var q = feature.properties.q;
        if (feature.properties.qi !== undefined) { q = window.plannerParcels[feature.properties.qi]; }
        layer.bindPopup(q ? function () { return window.plannerPopup(q); } : feature.properties.popup, {maxWidth: 460});
        if (feature.properties.tip) {  // tooltips are plain text: names come from imports and edits
          var tip = document.createElement('span'), text = String(feature.properties.tip), mu = / 亩$/.test(text);
          tip.textContent = mu ? text.slice(0, -2) : text;
          if (mu) { tip.insertAdjacentHTML('beforeend', '<span class="zh"> 亩</span><span class="en"> mu</span>'); }
          layer.bindTooltip(tip, {sticky: true});
        }
    }"""
)


_BIND_SOURCE = JsCode(
    """function (feature, layer) {
        layer.bindPopup(feature.properties.popup, {maxWidth: 460});
        // the label is HTML made on the server with every name escaped
        layer.bindTooltip(feature.properties.label, {permanent: true, direction: 'right', offset: [8, 0],
                                                     className: 'planner-source-label'});
    }"""
)
"""A source: its popup, and a label always shown with its name and the capacity it has left."""


def layer_name(zh: str, en: str) -> str:
    """A layer's name in the layer control: Chinese or English, as the page's language."""
    return bilingual(zh, en)


def share_parcels(m: folium.Map, props: dict[str, list]) -> None:
    """Put each parcel's popup details in the page once (``window.plannerParcels``); layers refer to them by position."""
    keys = list(props)
    rows = [dict(zip(keys, values, strict=True)) for values in zip(*props.values(), strict=True)]
    page_root(m).header.add_child(
        folium.Element(f"<script>window.plannerParcels = {inline_json(rows)};</script>"), name="planner_parcels"
    )


def polygons(
    name: str,
    frame: gpd.GeoDataFrame,
    *,
    fill: np.ndarray,
    tips: list[str],
    style: PolygonStyle,
    gcj: bool,
    popups: list[str] | None = None,
    parcels: list[int] | None = None,
) -> folium.GeoJson:
    """A layer of polygons, each with its fill colour, tooltip and popup.

    The popup is its HTML (``popups``), or the position of the parcel's details in
    ``window.plannerParcels`` (``parcels``), built on click.
    """
    props: dict[str, object] = {"fill": fill, "tip": tips}
    if parcels is not None:  # positions in window.plannerParcels (the page's one copy of each parcel's details)
        props["qi"] = parcels
    else:
        props["popup"] = popups
    data = _collection(frame, props, gcj)
    look = {"color": style.color, "weight": style.weight, "fillOpacity": style.fill_opacity, "className": style.css}
    if style.dash:
        look["dashArray"] = style.dash
    return folium.GeoJson(
        data,
        name=name,
        show=style.show,
        style_function=lambda f, look=look: {**look, "fillColor": f["properties"]["fill"]},
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        on_each_feature=_BIND,
        zoom_on_click=False,
    )


def _disagree_tips(data: MapData, sub: pd.DataFrame) -> list[str]:
    """Tooltips of parcels whose records disagree with the networks: the items that disagree."""
    items = data.disagree.groupby("parcel_id")["item"].agg(lambda s: "、".join(CHECKLIST_ITEMS[i][0] for i in s))
    return [f"{pid}：{items.get(pid, '')}" for pid in sub["parcel_id"]]


def _disagreeing(data: MapData) -> np.ndarray:
    """Which parcels' records disagree with the networks."""
    ids = set(data.disagree["parcel_id"]) if len(data.disagree) else set()
    return data.parcels["parcel_id"].isin(ids).to_numpy()


class _InlineParcels:
    """A park's parcels drawn inline: one copy of each parcel's details in the page, layers of subsets of them."""

    def __init__(self, m: folium.Map, data: MapData, gcj: bool) -> None:
        self.m, self.data, self.gcj = m, data, gcj
        p = data.parcels
        share_parcels(m, parcel_properties(p, data.config.checklist))
        self.positions = list(range(len(p)))
        self.tips = [
            f"{pid} {n or ''} {a:,.1f} 亩" for pid, n, a in zip(p["parcel_id"], p["name"], p["area_mu"], strict=True)
        ]

    def add(
        self, name: str, mask: np.ndarray, fill: np.ndarray, style: PolygonStyle, tips: list[str] | None = None
    ) -> folium.GeoJson:
        """A layer of the parcels where ``mask`` holds, added to the map."""
        rows = np.flatnonzero(mask)
        layer = polygons(
            name,
            self.data.parcels[mask],
            fill=fill,
            parcels=[self.positions[i] for i in rows],
            tips=tips if tips is not None else [self.tips[i] for i in rows],
            style=style,
            gcj=self.gcj,
        )
        layer.add_to(self.m)
        return layer


def inline_parcel_layers(m: folium.Map, data: MapData, notes: list[tuple[str, str]], gcj: bool) -> Layers:
    """The parcels by readiness, idle land, per-mu classes and disagreeing records, drawn inline."""
    p = data.parcels
    draw = _InlineParcels(m, data, gcj)
    every = np.ones(len(p), dtype=bool)
    name = layer_name("宗地七通一平", "parcels by readiness")
    layers: Layers = {"parcels": draw.add(name, every, readiness_color(p["ready"], p["missing"]), PARCEL)}
    idle = p["idle_rule"].notna().to_numpy()
    if idle.any():
        fill = p[idle]["idle_rule"].map(IDLE_COLORS).fillna("#7b3294").to_numpy()
        layers["idle"] = draw.add(layer_name("闲置土地", "idle land"), idle, fill, IDLE)
    else:
        notes.append(("没有闲置土地", "No idle land"))
    classed = p["eval_class"].notna().to_numpy()
    if classed.any():
        fill = p[classed]["eval_class"].map(CLASS_COLORS).to_numpy()
        layers["evaluation"] = draw.add(layer_name("亩均评价", "per-mu classes"), classed, fill, EVALUATION)
    differ = _disagreeing(data)
    if differ.any():
        layers["disagree"] = draw.add(
            layer_name("登记与计算不符", "records disagree with networks"),
            differ,
            np.full(int(differ.sum()), "#ffffff", dtype=object),
            DISAGREE,
            tips=_disagree_tips(data, p[differ]),
        )
    return layers


# --- parcels drawn from vector tiles ------------------------------------------------------------------------


class _TileParcels(folium.map.Layer):
    """Parcels drawn from vector tiles (``window.plannerTileLayer``): ``kind`` parcels, idle or evaluation."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = window.plannerTileLayer({{ this._parent.get_name() }}, {{ this.url | tojson }},
            {{ this.parcel_url | tojson }}, {{ this.kind | tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, url: str, parcel_url: str | None, kind: str, *, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "TileParcels"
        self.url, self.parcel_url, self.kind = url, parcel_url, kind


def _with_query(url: str, extra: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def tiled_parcel_layers(
    m: folium.Map,
    data: MapData,
    notes: list[tuple[str, str]],
    limit: int,
    tiles_url: str | None,
    parcel_url: str | None,
    gcj: bool,
) -> Layers:
    """A large park's parcels: from vector tiles (parcels, idle land, per-mu classes), or a note saying why not."""
    p = data.parcels
    if tiles_url is None:
        notes.append((f"园区有 {len(p):,} 宗地，超过地图内嵌上限 {limit:,} 宗：本图不画宗地（否则文件过大）。"
                      "请用 planner serve 打开地图（按矢量瓦片绘制），或调高阈值 map_max_inline_parcels",
                      f"The park has {len(p):,} parcels, over the map's inline limit of {limit:,}: this map draws no "
                      "parcels (the file would be too large). Open the map with `planner serve` (drawn from vector "
                      "tiles), or raise the threshold map_max_inline_parcels"))  # fmt: skip
        return {}
    for key in ("{z}", "{x}", "{y}"):
        if key not in tiles_url:
            msg = f"`tiles_url` {tiles_url!r} lacks {key}; e.g. 'tiles/{{z}}/{{x}}/{{y}}.mvt?park=P1'"
            raise ValueError(msg)
    if parcel_url is not None and "{id}" not in parcel_url:
        msg = f"`parcel_url` {parcel_url!r} lacks {{id}}; e.g. 'parcels/{{id}}?park=P1'"
        raise ValueError(msg)
    url = _with_query(tiles_url, "gcj=true") if gcj else tiles_url
    layers: Layers = {}
    tiled = _TileParcels(url, parcel_url, "parcels", name=layer_name("宗地七通一平", "parcels by readiness"))
    tiled.add_to(m)
    layers["parcels"] = tiled
    if p["idle_rule"].notna().any():
        tiled = _TileParcels(url, parcel_url, "idle", name=layer_name("闲置土地", "idle land"), show=False)
        tiled.add_to(m)
        layers["idle"] = tiled
    else:
        notes.append(("没有闲置土地", "No idle land"))
    if p["eval_class"].notna().any():
        tiled = _TileParcels(url, parcel_url, "evaluation", name=layer_name("亩均评价", "per-mu classes"), show=False)
        tiled.add_to(m)
        layers["evaluation"] = tiled
    layers |= _tiled_disagree_layer(m, data, notes, limit, gcj)
    return layers


def _tiled_disagree_layer(m: folium.Map, data: MapData, notes: list[tuple[str, str]], limit: int, gcj: bool) -> Layers:
    """A large park's parcels whose records disagree with the networks, inline while they are few enough."""
    p = data.parcels
    differ = _disagreeing(data)
    if differ.sum() > limit:
        notes.append((f"登记与计算不符的宗地有 {int(differ.sum()):,} 宗，超过内嵌上限，未画出",
                      f"{int(differ.sum()):,} parcels whose records disagree with the networks: over the inline "
                      "limit, not drawn"))  # fmt: skip
        return {}
    if not differ.any():
        return {}
    sub = p[differ]
    share_parcels(m, parcel_properties(sub, data.config.checklist))
    layer = polygons(
        layer_name("登记与计算不符", "records disagree with networks"), sub,
        fill=np.full(len(sub), "#ffffff", dtype=object), parcels=list(range(len(sub))),
        tips=_disagree_tips(data, sub), style=DISAGREE, gcj=gcj,
    )  # fmt: skip
    layer.add_to(m)
    return {"disagree": layer}


# --- networks and factories ---------------------------------------------------------------------------------


def network_layers(m: folium.Map, data: MapData, gcj: bool) -> Layers:
    """Each network's lines (dashed where planned or disused), and the sources with their capacity and what is left."""
    layers: Layers = {}
    for net, frame in data.lines.items():
        if not frame.empty:
            layer = _line_layer(net, frame, gcj)
            layer.add_to(m)
            layers[f"lines:{net}"] = layer
    if len(data.sources):
        layer = _source_layer(data.sources, gcj)
        layer.add_to(m)
        layers["sources"] = layer
    if data.boundary is not None and len(data.boundary):
        layer = _boundary_layer(data.boundary, gcj)
        layer.add_to(m)
        layers["boundary"] = layer
    return layers


def _boundary_layer(boundary: gpd.GeoDataFrame, gcj: bool) -> folium.GeoJson:
    """The park boundary (园区四至) as a dashed outline; drawn round the parcels where none was imported."""
    hull = (boundary["origin"] == "hull").to_numpy()
    tips = [
        "园区范围（宗地凹包）park boundary (concave hull of the parcels)" if h else f"{n or i} 园区范围 park boundary"
        for i, n, h in zip(boundary["boundary_id"], boundary["name"], hull, strict=True)
    ]
    outline = boundary.set_geometry(boundary.geometry.boundary)
    popups = [f'<div class="planner-popup">{html.escape(t)}</div>' for t in tips]
    collection = _collection(outline, {"popup": popups, "tip": tips}, gcj)
    return folium.GeoJson(
        collection,
        name=layer_name("园区范围", "park boundary"),
        style_function=lambda f: {"color": "#6a3d9a", "weight": 2.5, "opacity": 0.9, "dashArray": "10 6",
                                  "className": "park-boundary"},
        on_each_feature=_BIND,
    )  # fmt: skip


def _line_layer(net: str, frame: gpd.GeoDataFrame, gcj: bool) -> folium.GeoJson:
    """A network's lines: roads weighted by class, planned or disused lines dashed."""
    zh, en = NETWORKS[net]
    service = frame["in_service"].fillna(True).astype(bool).to_numpy()
    klass = frame["road_class"].astype(object).where(frame["road_class"].notna(), "").to_numpy()
    tips = [
        f"{i} {n or ''}" + ("" if s else "（规划/停用 planned or disused）")
        for i, n, s in zip(frame["line_id"], frame["name"], service, strict=True)
    ]
    collection = _collection(
        frame,
        {
            "popup": [f'<div class="planner-popup">{html.escape(t)}</div>' for t in tips],
            "tip": tips,
            "service": service,
            "weight": [ROAD_WEIGHTS.get(k, 2) if net == "road" else 2.5 for k in klass],
        },
        gcj,
    )
    return folium.GeoJson(
        collection,
        name=layer_name(f"{zh}管线", f"{en} lines"),
        show=net == "road",
        style_function=lambda f, c=NET_COLORS[net], net=net: {
            "color": c,
            "weight": f["properties"]["weight"],
            "opacity": 0.9,
            "dashArray": None if f["properties"]["service"] else "6 6",
            "className": f"line line-{net}",
        },
        on_each_feature=_BIND,
    )


def plan_layers(m: folium.Map, data: MapData, plan: Mapping[str, Any], gcj: bool) -> tuple[Layers, list]:
    """A build-out plan (``planner plan --json``): its works dashed in their network's colour, the parcels they unlock.

    Returns the layers and the legend rows (colour, Chinese, English). Works without a
    geometry (none recorded) are left out; parcels not in the park are left out.
    """
    works = [w for w in plan.get("works", []) if isinstance(w, Mapping) and w.get("geometry")]
    layers: Layers = {}
    rows: list[tuple[str, str, str]] = []
    if works:
        frame = gpd.GeoDataFrame(
            geometry=[shapely.geometry.shape(w["geometry"]) for w in works], crs=4326
        )  # fmt: skip
        nets = [str(w.get("network")) for w in works]
        tips = [" ".join(str(v) for v in (f"#{w.get('order', '')}", w.get("work_id"), w.get("name"), w.get("quarter"),
                                          f"{fmt(w.get('cost_wan'))} 万元") if v) for w in works]  # fmt: skip
        collection = _collection(frame, {"popup": [f'<div class="planner-popup">{html.escape(t)}</div>' for t in tips],
                                         "tip": tips, "color": [NET_COLORS.get(n, "#000000") for n in nets],
                                         "net": nets}, gcj)  # fmt: skip
        layer = folium.GeoJson(
            collection, name=layer_name("计划工程", "planned works"),
            style_function=lambda f: {"color": f["properties"]["color"], "weight": 4, "opacity": 0.95,
                                      "dashArray": PLAN_DASH, "className": f"plan-work work-{f['properties']['net']}"},
            on_each_feature=_BIND,
        )  # fmt: skip
        layer.add_to(m)
        layers["plan:works"] = layer
        rows += [(NET_COLORS[n], f"计划工程：{NETWORKS[n][0]}（虚线）", f"planned works: {NETWORKS[n][1]} (dashed)")
                 for n in dict.fromkeys(nets) if n in NETWORKS]  # fmt: skip
    p = data.parcels
    unlocked = p[p["parcel_id"].isin([str(i) for i in plan.get("newly_ready", [])])]
    if len(unlocked):
        layer = polygons(
            layer_name("计划建成后成为熟地", "made ready by the plan"), unlocked,
            fill=np.full(len(unlocked), UNLOCKED_FILL, dtype=object),
            tips=[f"{i} {a:,.1f} 亩" for i, a in zip(unlocked["parcel_id"], unlocked["area_mu"], strict=True)],
            popups=[f'<div class="planner-popup"><b>{html.escape(str(i))}</b> {a:,.1f} 亩</div>'
                    for i, a in zip(unlocked["parcel_id"], unlocked["area_mu"], strict=True)],
            style=UNLOCKED, gcj=gcj,
        )  # fmt: skip
        layer.add_to(m)
        layers["plan:unlocked"] = layer
        rows.append((UNLOCKED_FILL, "计划建成后成为熟地", "made ready by the plan"))
    return layers, rows


def _source_layer(src: gpd.GeoDataFrame, gcj: bool) -> folium.GeoJson:
    """The sources as circles by network; nearly full ones (under 10% left) faded."""
    popups, fills, radius, opacity, labels = [], [], [], [], []
    inferred = is_inferred(src)
    for net, kind, sid, name, cap, load, left, guess in zip(
        *(src[c] for c in ("network", "kind", "source_id", "name", "capacity", "load", "remaining")),
        inferred,
        strict=True,
    ):
        kind_zh, kind_en = SOURCE_KINDS.get(kind, (kind, kind))
        unit = bilingual(*CAPACITY_UNITS[net]) if net in CAPACITY_UNITS else ""
        lines = [f"<b>{html.escape(str(name or sid))}</b> {bilingual(kind_zh, kind_en)}"]
        if guess:
            lines.append(bilingual("推断：主要道路与园区范围的交点，未登记出入口",
                                   "inferred: a main road crosses the park boundary; no gateway declared"))  # fmt: skip
        if pd.notna(cap):
            lines.append(f"{bilingual('能力', 'capacity')} {cap:,.0f} {unit}")
            lines.append(f"{bilingual('负荷', 'load')} {fmt(load, ',.0f')} {unit}")
            lines.append(f"{bilingual('剩余', 'left')} {fmt(left, ',.0f')} {unit}")
        popups.append(f'<div class="planner-popup">{"<br>".join(lines)}</div>')
        title = html.escape(str(name or sid))
        labels.append(f"{title} {bilingual('剩余', 'left')} {fmt(left, ',.0f')} {unit}" if pd.notna(cap) else title)
        fills.append(NET_COLORS.get(net, "#777777"))
        radius.append(9 if kind in ("substation", "waterworks", "gateway") else 7)
        nearly_full = pd.notna(cap) and pd.notna(left) and cap > 0 and left / cap < 0.1
        opacity.append(0.35 if nearly_full else 0.95)
    collection = _collection(
        src,
        {"popup": popups, "label": labels,
         "fill": fills, "radius": radius, "opacity": opacity, "net": src["network"].to_numpy(),
         "inferred": inferred},
        gcj,
    )  # fmt: skip
    return folium.GeoJson(
        collection,
        name=layer_name("源点设施（容量/剩余）", "sources (capacity / left)"),
        marker=folium.CircleMarker(radius=8, fill=True, weight=1.5, color="#000000"),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "radius": f["properties"]["radius"],
            "fillOpacity": f["properties"]["opacity"],
            "dashArray": "3 3" if f["properties"]["inferred"] else None,
            "className": f"source source-{f['properties']['net']}"
            + (" inferred" if f["properties"]["inferred"] else ""),
        },
        on_each_feature=_BIND_SOURCE,
    )


def offer_layer(offer: gpd.GeoDataFrame, fill: np.ndarray, tips: list[str], gcj: bool) -> folium.GeoJson:
    """Ready land for supply (the investment map): each parcel's details by position, its area for the page's filter."""
    collection = _collection(
        offer,
        {"fill": fill, "qi": list(range(len(offer))), "tip": tips, "area_mu": offer["area_mu"].round(2).to_numpy()},
        gcj,
    )
    return folium.GeoJson(
        collection,
        name=layer_name("可供熟地", "ready land for supply"),
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#222222",
            "weight": 1,
            "fillOpacity": 0.8,
            "className": "offer",
        },
        on_each_feature=_BIND,
    )


def factory_layers(m: folium.Map, data: MapData, gcj: bool) -> Layers:
    """The standard factories, blue where floor area is free."""
    if not len(data.factories):
        return {}
    f = data.factories
    pops = [
        f'<div class="planner-popup"><b>{html.escape(str(n or i))}</b><br>'
        f"{bilingual('建筑面积', 'floor area')} {fa:,.0f} m²<br>{bilingual('空置', 'free')} {fr:,.0f} m²</div>"
        for i, n, fa, fr in zip(f["factory_id"], f["name"], f["floor_area_m2"], f["free_floor_area_m2"], strict=True)
    ]
    free = f["free_floor_area_m2"].fillna(0).to_numpy() > 0
    layer = polygons(
        layer_name("标准厂房（空置面积）", "standard factories (free floor area)"), f,
        fill=np.where(free, "#3288bd", "#878787").astype(object), popups=pops,
        tips=[str(n or i) for i, n in zip(f["factory_id"], f["name"], strict=True)], style=FACTORY, gcj=gcj,
    )  # fmt: skip
    layer.add_to(m)
    return {"factories": layer}
