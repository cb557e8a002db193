"""The planner's maps: readiness with its layers, siting results, and the investment map (招商地图).

Each builder returns a :class:`folium.Map` whose HTML works offline
(:func:`planner.maps.elements.offline_map`). Parcels are coloured by readiness —
熟地 green, 生地 from light to dark by how many checklist items they lack, grey where
readiness was never computed — with a popup (Chinese, English on the switch) giving
area in mu and m², status, land use, zoning, each checklist item with its distance
and reason, idle land and the per-mu class. Layers a planner toggles: idle land,
per-mu classes, each network and its sources with capacity and what is left, roads by
class, parcels whose records disagree with the networks, standard factories.

Basemaps: OpenStreetMap (default), Tianditu (key from ``tianditu_key`` or
``PLANNER_TIANDITU_KEY``), Gaode (its tiles are in GCJ-02, so every overlay is
shifted to GCJ-02 — never the stored data), or none.
"""

from __future__ import annotations

import html
import os

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.utilities import JsCode
from jinja2 import Template

from planner.crs import wgs84_to_gcj02
from planner.maps.data import MapData
from planner.maps.elements import Legend, Notes, Registry, bilingual, inline_json, offline_map
from planner.vocab import CAPACITY_UNITS, CHECKLIST_ITEMS, EVAL_CLASSES, IDLE_RULES, NETWORKS, SOURCE_KINDS, STATUSES

__all__ = [
    "BASEMAPS",
    "MISSING_COLORS",
    "READY_COLOR",
    "UNKNOWN_COLOR",
    "investment_map",
    "readiness_color",
    "readiness_map",
    "siting_map",
]

BASEMAPS = ("osm", "tianditu", "gaode", "none")
READY_COLOR = "#1a9641"
MISSING_COLORS = ("#a6d96a", "#fdae61", "#f46d43", "#d73027")
"""生地 lacking 1, 2, 3–4, and 5 or more checklist items."""
UNKNOWN_COLOR = "#bdbdbd"
NET_COLORS = {
    "road": "#4d4d4d",
    "water": "#1f78b4",
    "drainage": "#6a3d9a",
    "power": "#e31a1c",
    "telecom": "#ff7f00",
    "gas": "#b15928",
    "heat": "#f768a1",
}
IDLE_COLORS = {"not_started": "#7b3294", "halted": "#c2a5cf"}
CLASS_COLORS = {"A": "#1a9850", "B": "#91cf60", "C": "#fee08b", "D": "#d73027"}
ROAD_WEIGHTS = {"highway": 6, "arterial": 4, "secondary": 3, "branch": 2, "link": 3}


def readiness_color(ready: pd.Series, missing: pd.Series) -> np.ndarray:
    """Fill colour of each parcel: ready, raw by the number of items it lacks, or unknown.

    >>> readiness_color(pd.Series([True, False, False, None]), pd.Series([None, "gas", "gas,heat,power", None])).tolist()
    ['#1a9641', '#a6d96a', '#f46d43', '#bdbdbd']
    """
    n = missing.fillna("").astype(str).map(lambda s: len([x for x in s.split(",") if x])).to_numpy()
    known = ready.notna().to_numpy()
    is_ready = ready.fillna(False).astype(bool).to_numpy()
    raw = np.select([n <= 1, n == 2, n <= 4], list(MISSING_COLORS[:3]), MISSING_COLORS[3])
    return np.where(~known, UNKNOWN_COLOR, np.where(is_ready, READY_COLOR, raw)).astype(object)


# --- geometry to GeoJSON ------------------------------------------------------------------------------------


def _wgs84(frame: gpd.GeoDataFrame, gcj: bool) -> np.ndarray:
    geoms = frame.to_crs(4326).geometry.to_numpy()
    if gcj:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))
    return shapely.transform(geoms, lambda xy: np.round(xy, 6))


def _collection(frame: gpd.GeoDataFrame, properties: dict[str, object], gcj: bool) -> dict:
    """An RFC 7946 FeatureCollection of ``frame``'s geometries with ``properties`` (arrays of the frame's length)."""
    props = pd.DataFrame(properties)
    geoms = _wgs84(frame, gcj)
    out = gpd.GeoDataFrame(props.reset_index(drop=True), geometry=list(geoms), crs=4326)
    import json

    return json.loads(out.to_json(drop_id=True, na="null"))


# --- basemaps -----------------------------------------------------------------------------------------------


def _basemap(m: folium.Map, basemap: str, key: str | None, notes: list[tuple[str, str]]) -> bool:
    """Add the basemap; return whether overlays must be shifted to GCJ-02."""
    if basemap not in BASEMAPS:
        msg = f"`basemap` was {basemap!r} but is expected to be one of {', '.join(BASEMAPS)}"
        raise ValueError(msg)
    if basemap == "osm":
        folium.TileLayer(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            attr="© OpenStreetMap contributors",
            name="OpenStreetMap",
            max_zoom=19,
        ).add_to(m)
    elif basemap == "tianditu":
        key = key or os.environ.get("PLANNER_TIANDITU_KEY")
        if not key:
            notes.append(("天地图需要密钥（tianditu_key 或 PLANNER_TIANDITU_KEY），本图不显示底图",
                          "Tianditu needs a key (tianditu_key or PLANNER_TIANDITU_KEY): no basemap shown"))  # fmt: skip
            return False
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(
                f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                f"&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                f"&TILECOL={{x}}&tk={key}",
                attr="© 天地图 Tianditu",
                name=name,
                subdomains="01234567",
                max_zoom=18,
                overlay=layer == "cva",
            ).add_to(m)
    elif basemap == "gaode":
        folium.TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
            attr="© 高德地图 AutoNavi (GCJ-02; overlays shifted to match)",
            name="高德地图",
            subdomains="1234",
            max_zoom=18,
        ).add_to(m)
        notes.append(("高德底图为 GCJ-02 坐标：图上叠加要素已相应偏移，存储数据未改动",
                      "Gaode tiles are in GCJ-02: the overlays are shifted to match; stored data is unchanged"))  # fmt: skip
        return True
    else:
        notes.append(("未加载底图", "No basemap"))
    return False


# --- popups ---------------------------------------------------------------------------------------------------


def _fmt(value: object, spec: str = ",.1f") -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else format(value, spec)


def _clean(values: pd.Series) -> list:
    """Values as JSON-ready Python objects: NaN, NA and NaT become None."""
    obj = values.astype(object)
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in obj]


def parcel_properties(parcels: pd.DataFrame, checklist: tuple[str, ...]) -> dict[str, list]:
    """Compact per-parcel properties from which the page builds each popup (:data:`POPUP_JS`).

    ``it`` holds, per checklist item, ``[held, distance_m, reason]`` (held: the derived value
    where the networks computed one, else the declared one).
    """
    p = parcels
    items = []
    for item in checklist:
        derived = p[item] if item in p else pd.Series(pd.NA, index=p.index)
        held = derived.astype("boolean").fillna(p[f"declared_{item}"].astype("boolean"))
        dist = p[f"{item}_distance_m"] if f"{item}_distance_m" in p else pd.Series(np.nan, index=p.index)
        if item == "leveled":
            reason = p["relief_m"].map(lambda r: None if pd.isna(r) else f"高差 relief {r:.1f} m")
        else:
            reason = p[f"{item}_reason"]
        items.append(list(zip(_clean(held), [None if pd.isna(d) else round(float(d)) for d in dist], _clean(reason),
                              strict=True)))  # fmt: skip
    idle_since = pd.to_datetime(p["idle_since"]).dt.strftime("%Y-%m-%d")
    reclaim = pd.to_datetime(p["reclaim_from"]).dt.strftime("%Y-%m-%d")
    idle = [
        None if not isinstance(rule, str) else [rule, since, fee, back]
        for rule, since, fee, back in zip(
            _clean(p["idle_rule"]), _clean(idle_since), _clean(p["idle_fee_wan"].round(1)), _clean(reclaim), strict=True
        )
    ]
    return {
        "p": list(p["parcel_id"]),
        "n": _clean(p["name"]),
        "a": list(p["area_mu"].round(2)),
        "m2": list(p["area_m2"].round(0)),
        "s": _clean(p["status"]),
        "lu": _clean(p["land_use"]),
        "z": _clean(p["zone_industries"]),
        "h": _clean(p["holder"]),
        "r": _clean(p["ready"].astype("boolean")),
        "it": [list(row) for row in zip(*items, strict=True)] if items else [[] for _ in range(len(p))],
        "idle": idle,
        "ec": _clean(p["eval_class"]) if "eval_class" in p else [None] * len(p),
    }


POPUP_JS = """
window.plannerPopup = function (q) {
  var D = window.plannerDict, esc = function (t) {
    return String(t).replace(/[&<>"]/g, function (c) { return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; });
  };
  var two = function (pair) { return '<span class="zh">' + esc(pair[0]) + '</span><span class="en">' + esc(pair[1]) + '</span>'; };
  var row = function (label, value) { return '<tr><th>' + two(label) + '</th><td>' + value + '</td></tr>'; };
  var num = function (x, d) { return x === null ? '—' : Number(x).toLocaleString('zh-CN', {maximumFractionDigits: d}); };
  var rows = [row(['面积', 'area'], num(q.a, 1) + ' 亩 / ' + num(q.m2, 0) + ' m²'),
    row(['状态', 'status'], two(D.status[q.s] || [q.s, q.s])),
    row(['用地', 'land use'], esc(q.lu || '—') + ' ' + two(D.landUse[q.lu] || ['', ''])),
    row(['准入产业', 'zoning'], esc(q.z || '—'))];
  if (q.h) { rows.push(row(['用地单位', 'holder'], esc(q.h))); }
  rows.push(row(['七通一平', 'readiness'], q.r === null ? two(['未计算', 'not computed']) :
    (q.r ? '<b class="ok">' + two(['熟地', 'ready (熟地)']) + '</b>' : '<b class="no">' + two(['生地', 'raw (生地)']) + '</b>')));
  D.checklist.forEach(function (item, k) {
    var v = q.it[k] || [null, null, null], detail = [];
    if (v[1] !== null) { detail.push(num(v[1], 0) + ' m'); }
    if (v[2]) { detail.push(esc(v[2])); }
    rows.push(row(D.items[item], (v[0] ? '<span class="ok">✓</span> ' : '<span class="no">✗</span> ') + detail.join('；')));
  });
  if (q.idle) {
    rows.push(row(['闲置', 'idle'], two(D.idle[q.idle[0]] || [q.idle[0], q.idle[0]]) + '，' + esc(q.idle[1] || '—') + ' 起'));
    if (q.idle[2] !== null) { rows.push(row(['闲置费', 'idle fee'], num(q.idle[2], 1) + ' 万元')); }
    if (q.idle[3]) { rows.push(row(['可无偿收回', 'reclaimable from'], esc(q.idle[3]))); }
  }
  if (q.ec) { rows.push(row(['亩均评价', 'per-mu class'], two(D.classes[q.ec]))); }
  return '<div class="planner-popup"><b>' + esc(q.p) + '</b> ' + esc(q.n || '') + '<table>' + rows.join('') + '</table></div>';
};
"""
"""Builds a parcel's popup from :func:`parcel_properties` (both languages; the page shows one)."""

TILES_JS = """
// VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.9 no longer has; 1.9 keeps the map from
// handling a click on a canvas by itself (the canvas is marked _leaflet_disable_events), so nothing is needed
if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function () {}; }
window.plannerFeatureQuery = function (f, tile) {
  var D = window.plannerDict, given = function (v) { return v === undefined ? null : v; };
  var it = D.checklist.map(function (item) {
    var held = given(f[item]);
    if (held === null) { held = given(f['declared_' + item]); }
    var d = given(f[item + '_distance_m']);
    var reason = item === 'leveled' ? (f.relief_m === null || f.relief_m === undefined ? null :
      '高差 relief ' + Number(f.relief_m).toFixed(1) + ' m') : given(f[item + '_reason']);
    return [held, d === null ? null : Math.round(d), reason || null];
  });
  var round = function (x, k) { return x === null || x === undefined ? null : Math.round(x * Math.pow(10, k)) / Math.pow(10, k); };
  return {p: f.parcel_id, n: given(f.name), a: round(f.area_mu, 2), m2: round(f.area_m2, 0), s: given(f.status),
    lu: given(f.land_use), z: given(f.zone_industries), h: given(f.holder), r: given(f.ready), it: it,
    idle: f.idle_rule ? [f.idle_rule, given(f.idle_since), round(f.idle_fee_wan, 1), given(f.reclaim_from)] : null,
    ec: (tile && tile.eval_class) || null};
};
window.plannerTileStyles = {
  parcels: function (q) { return {fill: true, fillColor: q.fill, fillOpacity: 0.7, color: '#333333', weight: 0.8, opacity: 1}; },
  idle: function (q) { return q.idle_rule ? {fill: true, fillColor: (window.plannerIdleColors[q.idle_rule] || '#7b3294'),
    fillOpacity: 0.8, color: '#4a1486', weight: 2.5, opacity: 1} : []; },
  evaluation: function (q) { return q.eval_class ? {fill: true, fillColor: window.plannerClassColors[q.eval_class],
    fillOpacity: 0.8, color: '#333333', weight: 0.8, opacity: 1} : []; }
};
window.plannerTileLayer = function (map, url, parcelUrl, kind) {
  // a crowded tile's features are groups of parcels that look alike (no parcel_id; ``parcels`` counts them)
  var groups = 0;
  var layer = L.vectorGrid.protobuf(url, {
    rendererFactory: L.canvas.tile, interactive: true, maxZoom: 22, vectorTileLayerStyles: {parcels: window.plannerTileStyles[kind]},
    getFeatureId: function (f) { return f.properties.parcel_id !== undefined ? 'p:' + f.properties.parcel_id : 'g:' + (groups++); }
  });
  layer.plannerKind = kind;
  layer.plannerDrawn = function () {  // parcels drawn: each parcel once, however many tiles it is on
    var ids = {}, grouped = 0;
    for (var key in layer._vectorTiles) {
      var fs = layer._vectorTiles[key]._features;
      for (var id in fs) { if (id.charAt(0) === 'p') { ids[id] = true; } else { grouped += fs[id].feature.properties.parcels || 0; } }
    }
    return Object.keys(ids).length + grouped;
  };
  layer.on('load', function () {
    if (kind === 'parcels' && window.plannerFirstDraw === undefined) {
      requestAnimationFrame(function () { requestAnimationFrame(function () {
        if (window.plannerFirstDraw === undefined) { window.plannerFirstDraw = performance.now(); }
      }); });
    }
  });
  layer.on('click', function (e) {
    var q = e.layer.properties, esc = function (t) { return String(t).replace(/[&<>"]/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; }); };
    if (q.parcel_id === undefined) {
      L.popup({maxWidth: 300}).setLatLng(e.latlng).setContent('<div class="planner-popup">' +
        '<span class="zh">此处宗地过密，请放大后点击单宗地查看详情</span>' +
        '<span class="en">Parcels are too dense here: zoom in and click one for its details</span></div>').openOn(map);
      return;
    }
    var head = '<div class="planner-popup"><b>' + esc(q.parcel_id) + '</b> ' +
      Number(q.area_mu).toLocaleString('zh-CN', {maximumFractionDigits: 1}) + ' 亩<br>';
    var popup = L.popup({maxWidth: 460}).setLatLng(e.latlng)
      .setContent(head + (parcelUrl ? '<span class="zh">正在读取…</span><span class="en">loading…</span>' : '') + '</div>')
      .openOn(map);
    if (!parcelUrl) { return; }
    fetch(parcelUrl.replace('{id}', encodeURIComponent(q.parcel_id)), {headers: {Accept: 'application/geo+json'}})
      .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
      .then(function (f) { popup.setContent(window.plannerPopup(window.plannerFeatureQuery(f.properties, q))); })
      .catch(function (err) {
        popup.setContent(head + '<span class="zh">详情读取失败（' + esc(err.message) + '）</span>' +
          '<span class="en">could not load the details (' + esc(err.message) + ')</span></div>');
      });
  });
  return layer;
};
"""
"""Draws parcels from the API's vector tiles (VectorGrid on canvas); a click fetches ``GET /parcels/{id}``
and builds the same popup as the inline maps (:data:`POPUP_JS`) from the Feature's properties."""


def _dictionary(checklist: tuple[str, ...]) -> dict:
    return {
        "status": {k: list(v) for k, v in STATUSES.items()},
        "landUse": {k: list(v) for k, v in _land_use_names().items()},
        "items": {k: list(v) for k, v in CHECKLIST_ITEMS.items()},
        "checklist": list(checklist),
        "idle": {k: list(v) for k, v in IDLE_RULES.items()},
        "classes": {k: [f"{k} {zh}", f"{k} {en}"] for k, (zh, en) in EVAL_CLASSES.items()},
    }


def _land_use_names() -> dict[str, tuple[str, str]]:
    from planner.codes import land_use_codes

    table = land_use_codes()
    return {code: (row.name_zh, row.name_en) for code, row in table.iterrows()}


# --- layers ------------------------------------------------------------------------------------------------


_BIND = JsCode(
    """function (feature, layer) {
        var q = feature.properties.q;
        if (feature.properties.qi !== undefined) { q = window.plannerParcels[feature.properties.qi]; }
        layer.bindPopup(q ? function () { return window.plannerPopup(q); } : feature.properties.popup, {maxWidth: 460});
        if (feature.properties.tip) {  // tooltips are plain text: names come from imports and edits
          var tip = document.createElement('span');
          tip.textContent = feature.properties.tip;
          layer.bindTooltip(tip, {sticky: true});
        }
    }"""
)


def _share_parcels(m: folium.Map, props: dict[str, list]) -> None:
    """Put each parcel's popup details in the page once (``window.plannerParcels``); layers refer to them by position."""
    keys = list(props)
    rows = [dict(zip(keys, values, strict=True)) for values in zip(*props.values(), strict=True)]
    m.get_root().header.add_child(
        folium.Element(f"<script>window.plannerParcels = {inline_json(rows)};</script>"), name="planner_parcels"
    )


def _polygons(
    name: str,
    frame: gpd.GeoDataFrame,
    *,
    fill: np.ndarray,
    tips: list[str],
    popups: list[str] | None = None,
    parcels: list[int] | None = None,
    gcj: bool,
    css: str,
    show: bool = True,
    weight: float = 0.8,
    color: str = "#333333",
    dash: str | None = None,
    fill_opacity: float = 0.7,
) -> folium.GeoJson:
    props: dict[str, object] = {"fill": fill, "tip": tips}
    if parcels is not None:  # positions in window.plannerParcels (the page's one copy of each parcel's details)
        props["qi"] = parcels
    else:
        props["popup"] = popups
    data = _collection(frame, props, gcj)
    style = {"color": color, "weight": weight, "fillOpacity": fill_opacity, "className": css}
    if dash:
        style["dashArray"] = dash
    return folium.GeoJson(
        data,
        name=name,
        show=show,
        style_function=lambda f, style=style: {**style, "fillColor": f["properties"]["fill"]},
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        on_each_feature=_BIND,
        zoom_on_click=False,
    )


def _layer_name(zh: str, en: str) -> str:
    return f"{zh} / {en}"


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


class _FirstDraw(folium.MacroElement):
    """``window.plannerFirstDraw``: ``performance.now()`` once the inline layers are painted (for benchmarks)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        requestAnimationFrame(function () { requestAnimationFrame(function () {
          if (window.plannerFirstDraw === undefined) { window.plannerFirstDraw = performance.now(); }
        }); });
        {% endmacro %}
        """
    )


def _with_query(url: str, extra: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{extra}"


def _network_layers(m: folium.Map, data: MapData, gcj: bool, lang: str) -> dict[str, object]:
    layers: dict[str, object] = {}
    for net, frame in data.lines.items():
        zh, en = NETWORKS[net]
        if frame.empty:
            continue
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
        layer = folium.GeoJson(
            collection,
            name=_layer_name(f"{zh}管线", f"{en} lines"),
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
        layer.add_to(m)
        layers[f"lines:{net}"] = layer
    if len(data.sources):
        src = data.sources
        popups, fills, radius, opacity = [], [], [], []
        for net, kind, sid, name, cap, load, left in src[
            ["network", "kind", "source_id", "name", "capacity", "load", "remaining"]
        ].itertuples(index=False):
            kind_zh, kind_en = SOURCE_KINDS.get(kind, (kind, kind))
            unit = bilingual(*CAPACITY_UNITS[net]) if net in CAPACITY_UNITS else ""
            lines = [f"<b>{html.escape(str(name or sid))}</b> {bilingual(kind_zh, kind_en)}"]
            if pd.notna(cap):
                lines.append(f"{bilingual('能力', 'capacity')} {cap:,.0f} {unit}")
                lines.append(f"{bilingual('负荷', 'load')} {_fmt(load, ',.0f')} {unit}")
                lines.append(f"{bilingual('剩余', 'left')} {_fmt(left, ',.0f')} {unit}")
            popups.append(f'<div class="planner-popup">{"<br>".join(lines)}</div>')
            fills.append(NET_COLORS.get(net, "#777777"))
            radius.append(9 if kind in ("substation", "waterworks", "gateway") else 7)
            nearly_full = pd.notna(cap) and pd.notna(left) and cap > 0 and left / cap < 0.1
            opacity.append(0.35 if nearly_full else 0.95)
        collection = _collection(
            src,
            {"popup": popups, "tip": [str(n or i) for i, n in zip(src["source_id"], src["name"], strict=True)],
             "fill": fills, "radius": radius, "opacity": opacity, "net": src["network"].to_numpy()},
            gcj,
        )  # fmt: skip
        layer = folium.GeoJson(
            collection,
            name=_layer_name("源点设施（容量/剩余）", "sources (capacity / left)"),
            marker=folium.CircleMarker(radius=8, fill=True, weight=1.5, color="#000000"),
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "radius": f["properties"]["radius"],
                "fillOpacity": f["properties"]["opacity"],
                "className": f"source source-{f['properties']['net']}",
            },
            on_each_feature=_BIND,
        )
        layer.add_to(m)
        layers["sources"] = layer
    return layers


def _common(data: MapData, *, basemap: str, tianditu_key: str | None, lang: str, vector_tiles: bool = False):
    m = offline_map(location=data.centre(), zoom_start=14, vector_tiles=vector_tiles)
    m.get_root().header.add_child(
        folium.Element(
            f"<script>window.plannerDict = {inline_json(_dictionary(data.config.checklist))};{POPUP_JS}</script>"
        ),
        name="planner_popup_js",
    )
    if vector_tiles:
        colours = f"window.plannerIdleColors = {inline_json(IDLE_COLORS)}; window.plannerClassColors = {inline_json(CLASS_COLORS)};"
        m.get_root().header.add_child(folium.Element(f"<script>{colours}{TILES_JS}</script>"), name="planner_tiles_js")
    notes = list(data.notes)
    gcj = _basemap(m, basemap, tianditu_key, notes)
    if lang == "en":
        m.get_root().html.add_child(folium.Element("<script>document.body.classList.add('lang-en');</script>"))
    bounds = data.bounds_wgs84()
    if bounds:
        if gcj:
            (s, w), (n, e) = bounds
            (w, e), (s, n) = wgs84_to_gcj02(np.array([w, e]), np.array([s, n]))
            bounds = [[float(s), float(w)], [float(n), float(e)]]
        _FitBounds(bounds).add_to(m)
    return m, notes, gcj


class _FitBounds(folium.MacroElement):
    """Fit the view to the park at once: an animated zoom would have tile layers fetch the tiles of the
    starting zoom first (then throw them away)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.fitBounds({{ this.bounds | tojson }}, {animate: false});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]):
        super().__init__()
        self.bounds = bounds


def readiness_map(
    data: MapData,
    *,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    lang: str = "zh",
    tiles_url: str | None = None,
    parcel_url: str | None = None,
    max_inline_parcels: int | None = None,
) -> folium.Map:
    """The park map: parcels by readiness, and the layers a planner toggles.

    A park of more than ``max_inline_parcels`` parcels (default: the park's threshold
    ``map_max_inline_parcels``, 5,000) draws its parcels, idle land and per-mu classes from
    the vector tiles at ``tiles_url`` (a template with ``{z}/{x}/{y}``, e.g. the API's
    ``tiles/{z}/{x}/{y}.mvt?park=…``; ``gcj=true`` is added for Gaode), and a click on a
    parcel fetches its details from ``parcel_url`` (``{id}`` is replaced) for the popup.
    Without ``tiles_url`` such a park's map draws no parcels and says why in its notes.
    """
    p = data.parcels
    limit = int(data.config.threshold("map_max_inline_parcels") if max_inline_parcels is None else max_inline_parcels)
    if limit < 0:
        raise ValueError(f"`max_inline_parcels` must be 0 or more, got {limit}")
    tiled = len(p) > limit
    m, notes, gcj = _common(
        data, basemap=basemap, tianditu_key=tianditu_key, lang=lang, vector_tiles=tiled and tiles_url is not None
    )
    layers: dict[str, object] = {}
    checklist = data.config.checklist
    if tiled:
        layers |= _tiled_parcel_layers(m, data, notes, limit, tiles_url, parcel_url, gcj)
    elif len(p):
        fill = readiness_color(p["ready"], p["missing"])
        _share_parcels(m, parcel_properties(p, checklist))
        popups = list(range(len(p)))
        tips = [
            f"{pid} {n or ''} {a:,.1f} 亩" for pid, n, a in zip(p["parcel_id"], p["name"], p["area_mu"], strict=True)
        ]
        parcels = _polygons(
            _layer_name("宗地七通一平", "parcels by readiness"), p, fill=fill, parcels=popups, tips=tips, gcj=gcj,
            css="parcel",
        )  # fmt: skip
        parcels.add_to(m)
        layers["parcels"] = parcels
        idle = p["idle_rule"].notna().to_numpy()
        if idle.any():
            sub = p[idle]
            layer = _polygons(
                _layer_name("闲置土地", "idle land"), sub,
                fill=sub["idle_rule"].map(IDLE_COLORS).fillna("#7b3294").to_numpy(),
                parcels=[popups[i] for i in np.flatnonzero(idle)], tips=[tips[i] for i in np.flatnonzero(idle)],
                gcj=gcj, css="idle", show=False, weight=2.5, color="#4a1486", fill_opacity=0.8,
            )  # fmt: skip
            layer.add_to(m)
            layers["idle"] = layer
        else:
            notes.append(("没有闲置土地", "No idle land"))
        classed = p["eval_class"].notna().to_numpy()
        if classed.any():
            sub = p[classed]
            layer = _polygons(
                _layer_name("亩均评价", "per-mu classes"), sub,
                fill=sub["eval_class"].map(CLASS_COLORS).to_numpy(),
                parcels=[popups[i] for i in np.flatnonzero(classed)], tips=[tips[i] for i in np.flatnonzero(classed)],
                gcj=gcj, css="eval", show=False, fill_opacity=0.8,
            )  # fmt: skip
            layer.add_to(m)
            layers["evaluation"] = layer
        ids = set(data.disagree["parcel_id"]) if len(data.disagree) else set()
        differ = p["parcel_id"].isin(ids).to_numpy()
        if differ.any():
            sub = p[differ]
            items = data.disagree.groupby("parcel_id")["item"].agg(
                lambda s: "、".join(CHECKLIST_ITEMS[i][0] for i in s)
            )
            layer = _polygons(
                _layer_name("登记与计算不符", "records disagree with networks"), sub,
                fill=np.full(len(sub), "#ffffff", dtype=object),
                parcels=[popups[i] for i in np.flatnonzero(differ)],
                tips=[f"{pid}：{items.get(pid, '')}" for pid in sub["parcel_id"]],
                gcj=gcj, css="disagree", show=False, weight=2.5, color="#d7191c", dash="5 4", fill_opacity=0.15,
            )  # fmt: skip
            layer.add_to(m)
            layers["disagree"] = layer
    layers |= _network_layers(m, data, gcj, lang)
    if len(data.factories):
        f = data.factories
        pops = [
            f'<div class="planner-popup"><b>{html.escape(str(n or i))}</b><br>'
            f"{bilingual('建筑面积', 'floor area')} {fa:,.0f} m²<br>{bilingual('空置', 'free')} {fr:,.0f} m²</div>"
            for i, n, fa, fr in zip(
                f["factory_id"], f["name"], f["floor_area_m2"], f["free_floor_area_m2"], strict=True
            )
        ]
        free = f["free_floor_area_m2"].fillna(0).to_numpy() > 0
        layer = _polygons(
            _layer_name("标准厂房（空置面积）", "standard factories (free floor area)"), f,
            fill=np.where(free, "#3288bd", "#878787").astype(object), popups=pops,
            tips=[str(n or i) for i, n in zip(f["factory_id"], f["name"], strict=True)],
            gcj=gcj, css="factory", show=False, weight=1.5, color="#08519c", fill_opacity=0.8,
        )  # fmt: skip
        layer.add_to(m)
        layers["factories"] = layer
    Legend(
        ("七通一平", "readiness"),
        [
            (READY_COLOR, "熟地", "ready (熟地)"),
            (MISSING_COLORS[0], "生地：缺 1 项", "raw: 1 item missing"),
            (MISSING_COLORS[1], "生地：缺 2 项", "raw: 2 items missing"),
            (MISSING_COLORS[2], "生地：缺 3–4 项", "raw: 3–4 items missing"),
            (MISSING_COLORS[3], "生地：缺 5 项及以上", "raw: 5 or more missing"),
            (UNKNOWN_COLOR, "未计算", "not computed"),
        ],
    ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if notes:
        Notes(notes).add_to(m)
    meta = {"kind": "readiness", "parcels": len(p), "park": data.config.park_id,
            "drawn": "tiles" if tiled and tiles_url else "none" if tiled else "inline"}  # fmt: skip
    Registry(layers, meta).add_to(m)
    if not (tiled and tiles_url):
        _FirstDraw().add_to(m)
    return m


def _tiled_parcel_layers(
    m: folium.Map,
    data: MapData,
    notes: list[tuple[str, str]],
    limit: int,
    tiles_url: str | None,
    parcel_url: str | None,
    gcj: bool,
) -> dict[str, object]:
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
            raise ValueError(f"`tiles_url` {tiles_url!r} lacks {key}; e.g. 'tiles/{{z}}/{{x}}/{{y}}.mvt?park=P1'")
    if parcel_url is not None and "{id}" not in parcel_url:
        raise ValueError(f"`parcel_url` {parcel_url!r} lacks {{id}}; e.g. 'parcels/{{id}}?park=P1'")
    url = _with_query(tiles_url, "gcj=true") if gcj else tiles_url
    layers: dict[str, object] = {}
    layer = _TileParcels(url, parcel_url, "parcels", name=_layer_name("宗地七通一平", "parcels by readiness"))
    layer.add_to(m)
    layers["parcels"] = layer
    if p["idle_rule"].notna().any():
        layer = _TileParcels(url, parcel_url, "idle", name=_layer_name("闲置土地", "idle land"), show=False)
        layer.add_to(m)
        layers["idle"] = layer
    else:
        notes.append(("没有闲置土地", "No idle land"))
    if p["eval_class"].notna().any():
        name = _layer_name("亩均评价", "per-mu classes")
        layer = _TileParcels(url, parcel_url, "evaluation", name=name, show=False)
        layer.add_to(m)
        layers["evaluation"] = layer
    ids = set(data.disagree["parcel_id"]) if len(data.disagree) else set()
    differ = p["parcel_id"].isin(ids).to_numpy()
    if differ.sum() > limit:
        notes.append((f"登记与计算不符的宗地有 {int(differ.sum()):,} 宗，超过内嵌上限，未画出",
                      f"{int(differ.sum()):,} parcels whose records disagree with the networks: over the inline "
                      "limit, not drawn"))  # fmt: skip
    elif differ.any():
        sub = p[differ]
        _share_parcels(m, parcel_properties(sub, data.config.checklist))
        items = data.disagree.groupby("parcel_id")["item"].agg(lambda s: "、".join(CHECKLIST_ITEMS[i][0] for i in s))
        layer = _polygons(
            _layer_name("登记与计算不符", "records disagree with networks"), sub,
            fill=np.full(len(sub), "#ffffff", dtype=object), parcels=list(range(len(sub))),
            tips=[f"{pid}：{items.get(pid, '')}" for pid in sub["parcel_id"]],
            gcj=gcj, css="disagree", show=False, weight=2.5, color="#d7191c", dash="5 4", fill_opacity=0.15,
        )  # fmt: skip
        layer.add_to(m)
        layers["disagree"] = layer
    return layers


def investment_map(
    data: MapData,
    *,
    min_mu: float = 0.0,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    lang: str = "zh",
) -> folium.Map:
    """招商地图: ready reserved land by leading industry, with a minimum-area filter on the page."""
    m, notes, gcj = _common(data, basemap=basemap, tianditu_key=tianditu_key, lang=lang)
    p = data.parcels
    offer = p[(p["status"] == "reserved") & p["ready"].fillna(False).astype(bool)]
    leading = data.config.leading_industries
    palette = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00"]
    from planner.codes import industry_admits, split_codes

    def industry_of(zone: object) -> int:
        codes = split_codes(zone) if isinstance(zone, str) else []
        for k, li in enumerate(leading):
            if any(industry_admits(z, c) or industry_admits(c, z) for z in codes for c in li.codes):
                return k
        return len(leading)

    which = np.array([industry_of(z) for z in offer["zone_industries"]], dtype=int)
    colors = np.array([*palette[: len(leading)], "#999999"], dtype=object)
    names = [(li.name_zh, li.name_en or li.name_zh) for li in leading] + [("其他/未限定", "other or any")]
    layers: dict[str, object] = {}
    if len(offer):
        _share_parcels(m, parcel_properties(offer, data.config.checklist))
        popups = list(range(len(offer)))
        tips = [
            f"{pid} {a:,.1f} 亩 {names[k][0]}"
            for pid, a, k in zip(offer["parcel_id"], offer["area_mu"], which, strict=True)
        ]
        collection = _collection(
            offer,
            {"fill": colors[which], "qi": popups, "tip": tips, "area_mu": offer["area_mu"].round(2).to_numpy()},
            gcj,
        )
        layer = folium.GeoJson(
            collection,
            name=_layer_name("可供熟地", "ready land for supply"),
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "color": "#222222",
                "weight": 1,
                "fillOpacity": 0.8,
                "className": "offer",
            },
            on_each_feature=_BIND,
        )
        layer.add_to(m)
        layers["offer"] = layer
        _AreaFilter(layer, min_mu).add_to(m)
    else:
        notes.append(("没有可供应的熟地（储备且七通一平）", "No ready land in the reserve"))
    Legend(
        ("招商地图：可供熟地", "ready land by leading industry"), [(colors[k], *names[k]) for k in range(len(names))]
    ).add_to(m)
    layers |= _network_layers(m, data, gcj, lang)
    folium.LayerControl(collapsed=False).add_to(m)
    if notes:
        Notes(notes).add_to(m)
    Registry(layers, {"kind": "investment", "parcels": len(offer), "min_mu": min_mu}).add_to(m)
    return m


class _AreaFilter(folium.MacroElement):
    """An input on the page: parcels under the minimum area (亩) are hidden."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var layer = {{ this.layer }};
          function apply(min) {
            layer.eachLayer(function (l) {
              var show = l.feature.properties.area_mu >= min;
              l.setStyle({opacity: show ? 1 : 0, fillOpacity: show ? 0.8 : 0});
              if (l.getElement()) { l.getElement().style.pointerEvents = show ? '' : 'none'; }
              l.options.interactive = show;
            });
            window.plannerShown = layer.getLayers().filter(function (l) { return l.feature.properties.area_mu >= min; }).length;
          }
          var Filter = L.Control.extend({
            options: {position: 'topleft'},
            onAdd: function () {
              var div = L.DomUtil.create('div', 'planner-box');
              div.innerHTML = '<span class="zh">最小面积（亩）</span><span class="en">least area (mu)</span> ' +
                '<input id="planner-min-mu" type="number" min="0" step="10" style="width:70px" value="{{ this.min_mu }}">';
              L.DomEvent.disableClickPropagation(div);
              div.querySelector('input').addEventListener('input', function () { apply(+this.value || 0); });
              return div;
            }
          });
          new Filter().addTo({{ this._parent.get_name() }});
          apply({{ this.min_mu }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.GeoJson, min_mu: float):
        super().__init__()
        self.layer = layer.get_name()
        self.min_mu = float(min_mu)


def siting_map(
    data: MapData,
    result,
    *,
    limit: int = 20,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    lang: str = "zh",
) -> folium.Map:
    """A project's candidates numbered by rank (groups as one), and the rejected parcels by first failed rule."""
    from planner.siting.rules import RULE_LABELS

    m, notes, gcj = _common(data, basemap=basemap, tianditu_key=tianditu_key, lang=lang)
    frame = result.to_frame(limit=limit)
    layers: dict[str, object] = {}
    rejected = frame[frame["kind"] == "rejected"]
    rules = list(dict.fromkeys(rejected["rule"]))
    palette = ["#fbb4ae", "#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#ffffcc", "#e5d8bd", "#fddaec", "#f2f2f2",
               "#b3e2cd", "#fdcdac", "#cbd5e8", "#f4cae4", "#e6f5c9", "#fff2ae", "#f1e2cc", "#cccccc"]  # fmt: skip
    color_of = {r: palette[k % len(palette)] for k, r in enumerate(rules)}
    if len(rejected):
        pops = [
            f'<div class="planner-popup"><b>{html.escape(pid)}</b> {a:,.1f} 亩<br>'
            f"{bilingual(*RULE_LABELS[rule])}：{html.escape(reason)}</div>"
            for pid, a, rule, reason in zip(rejected["parcel_ids"], rejected["area_mu"], rejected["rule"],
                                            rejected["reason"], strict=True)
        ]  # fmt: skip
        layer = _polygons(
            _layer_name("未入选（首个不满足条件）", "rejected (first failed rule)"), rejected,
            fill=rejected["rule"].map(color_of).to_numpy(), popups=pops, tips=list(rejected["parcel_ids"]),
            gcj=gcj, css="rejected", weight=0.6, color="#777777", fill_opacity=0.6,
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
        layer = _polygons(
            _layer_name("候选地块（按得分）", "candidates (by score)"), cands,
            fill=np.where(cands["kind"] == "group", "#66bd63", READY_COLOR).astype(object), popups=pops,
            tips=[f"#{int(r)}" for r in cands["rank"]], gcj=gcj, css="candidate", weight=2.5, color="#00441b",
            fill_opacity=0.85,
        )  # fmt: skip
        layer.add_to(m)
        layers["candidates"] = layer
        points = _wgs84(gpd.GeoDataFrame(geometry=cands.geometry.representative_point(), crs=cands.crs), gcj)
        ranks = folium.FeatureGroup(name=_layer_name("名次", "ranks"))
        for r, point in zip(cands["rank"], points, strict=True):
            folium.Marker(
                (point.y, point.x), icon=folium.DivIcon(html=f'<div class="planner-rank">{int(r)}</div>', icon_size=(22, 22),
                                                        icon_anchor=(11, 11)),
            ).add_to(ranks)  # fmt: skip
        ranks.add_to(m)
    else:
        notes.append(("没有满足全部条件的地块", "No parcel meets every rule"))
    rows = [
        (READY_COLOR, "候选地块（编号为名次）", "candidate (numbered by rank)"),
        ("#66bd63", "合并地块组", "combined group"),
    ]
    rows += [(color_of[r], *RULE_LABELS[r]) for r in rules]
    p = result.project
    Legend((f"{p.name}（{p.code}）", f"{p.name} ({p.code})"), rows).add_to(m)
    layers |= _network_layers(m, data, gcj, lang)
    folium.LayerControl(collapsed=False).add_to(m)
    notes += [(n, n) for n in result.notes]
    if notes:
        Notes(notes).add_to(m)
    Registry(layers, {"kind": "siting", "project": p.name, "candidates": len(cands)}).add_to(m)
    return m


def write_maps(
    data: MapData,
    folder,
    *,
    results=(),
    min_mu: float = 0.0,
    basemap: str = "osm",
    tianditu_key: str | None = None,
    lang: str = "zh",
) -> list:
    """Write ``readiness.html``, ``investment.html`` and one ``siting-<n>.html`` per match result into ``folder``."""
    from pathlib import Path

    from planner.maps.elements import save_map

    folder = Path(folder)
    options = {"basemap": basemap, "tianditu_key": tianditu_key, "lang": lang}
    written = [
        save_map(readiness_map(data, **options), folder / "readiness.html"),
        save_map(investment_map(data, min_mu=min_mu, **options), folder / "investment.html"),
    ]
    for k, result in enumerate(results, start=1):
        written.append(save_map(siting_map(data, result, **options), folder / f"siting-{k}.html"))
    return written
