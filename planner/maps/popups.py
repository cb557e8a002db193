"""What a click on the map shows: each parcel's popup details, and the scripts that build the popups.

The page holds each parcel's details once, compactly (:func:`parcel_properties`), and the
words to show them with (:func:`page_dictionary`); :data:`POPUP_JS` builds a popup in both
languages from them. A park drawn from vector tiles fetches a parcel's details on click
(:data:`TILES_JS`) and builds the same popup.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.codes import land_use_codes
from planner.maps.reasons import REASONS
from planner.maps.style import MISSING_COLORS, READY_COLOR, UNKNOWN_COLOR
from planner.vocab import CHECKLIST_ITEMS, DISPOSAL_STAGES, EVAL_CLASSES, IDLE_RULES, STATUSES

__all__ = ["POPUP_JS", "TILES_JS", "fmt", "page_dictionary", "parcel_properties"]


def fmt(value: object, spec: str = ",.1f") -> str:
    """A number for a popup, ``—`` where it is missing."""
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else format(value, spec)


def _clean(values: pd.Series) -> list:
    """Values as JSON-ready Python objects: NaN, NA and NaT become None."""
    obj = values.astype(object)
    return [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v for v in obj]


def parcel_properties(parcels: pd.DataFrame, checklist: tuple[str, ...]) -> dict[str, list]:
    """Compact per-parcel properties from which the page builds each popup (:data:`POPUP_JS`).

    ``it`` holds, per checklist item, ``[held, distance_m, reason]`` (held: the derived value
    where the networks computed one, else the declared one); ``ds`` the stage of the idle-land
    procedure (``disposal_stage``, 闲置土地处置办法 arts. 5–14), shown in Chinese with English.
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
        "ds": _clean(p["disposal_stage"]) if "disposal_stage" in p else [None] * len(p),
    }


POPUP_JS = """
window.plannerPopup = function (q) {
  var D = window.plannerDict, esc = function (t) {
    return String(t).replace(/[&<>"]/g, function (c) { return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; });
  };
  var two = function (pair) { return '<span class="zh">' + esc(pair[0]) + '</span><span class="en">' + esc(pair[1]) + '</span>'; };
  var row = function (label, value) { return '<tr><th>' + two(label) + '</th><td>' + value + '</td></tr>'; };
  var num = function (x, d) { return x === null ? '—' : Number(x).toLocaleString('zh-CN', {maximumFractionDigits: d}); };
  var rows = [row(['面积', 'area'], num(q.a, 1) + two([' 亩', ' mu']) + ' / ' + num(q.m2, 0) + ' m²'),
    row(['状态', 'status'], two(D.status[q.s] || [q.s, q.s])),
    row(['用地', 'land use'], esc(q.lu || '—') + ' ' + two(D.landUse[q.lu] || ['', ''])),
    row(['准入产业', 'zoning'], esc(q.z || '—'))];
  if (q.h) { rows.push(row(['用地单位', 'holder'], esc(q.h))); }
  rows.push(row(['七通一平', 'readiness'], q.r === null ? two(['未计算', 'not computed']) :
    (q.r ? '<b class="ok">' + two(['熟地', 'ready (熟地)']) + '</b>' : '<b class="no">' + two(['生地', 'raw (生地)']) + '</b>')));
  D.checklist.forEach(function (item, k) {
    var v = q.it[k] || [null, null, null], detail = [];
    if (v[1] !== null) { detail.push(num(v[1], 0) + ' m'); }
    if (v[2]) { detail.push(window.plannerApp ? two([v[2], window.plannerApp.reasonEn(v[2])]) : esc(v[2])); }
    rows.push(row(D.items[item], (v[0] ? '<span class="ok">✓</span> ' : '<span class="no">✗</span> ') + detail.join('；')));
  });
  if (q.idle) {
    rows.push(row(['闲置', 'idle'], two(D.idle[q.idle[0]] || [q.idle[0], q.idle[0]]) + '，' + two([(q.idle[1] || '—') + ' 起', 'since ' + (q.idle[1] || '—')])));
    if (q.idle[2] !== null) { rows.push(row(['闲置费', 'idle fee'], num(q.idle[2], 1) + two([' 万元', ' × 10,000 yuan']))); }
    if (q.idle[3]) { rows.push(row(['可无偿收回', 'reclaimable from'], esc(q.idle[3]))); }
  }
  if (q.ds) { rows.push(row(['处置阶段', 'disposal stage'], two(D.stages[q.ds] || [q.ds, q.ds]))); }
  if (q.ec) { rows.push(row(['亩均评价', 'per-mu class'], two(D.classes[q.ec]))); }
  return '<div class="planner-popup"><b>' + esc(q.p) + '</b> ' + esc(q.n || '') + '<table>' + rows.join('') + '</table></div>';
};
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
    ec: (tile && tile.eval_class) || null, ds: given(f.disposal_stage)};
};
window.plannerReadinessColor = function (ready, missing) {  // as planner.maps.style.readiness_color
  var C = window.plannerDict.colors, n = String(missing || '').split(',').filter(function (x) { return x; }).length;
  if (ready === null || ready === undefined) { return C.unknown; }
  if (ready) { return C.ready; }
  return C.missing[n <= 1 ? 0 : n === 2 ? 1 : n <= 4 ? 2 : 3];
};
"""
"""Builds a parcel's popup from :func:`parcel_properties` (both languages; the page shows one), the same details
from a GeoJSON Feature's properties (``plannerFeatureQuery``: a tile's parcel, a parcel just edited), and the
readiness colour of a parcel (``plannerReadinessColor``)."""

TILES_JS = """
// VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.9 no longer has; 1.9 keeps the map from
// handling a click on a canvas by itself (the canvas is marked _leaflet_disable_events), so nothing is needed
if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function () {}; }
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
      Number(q.area_mu).toLocaleString('zh-CN', {maximumFractionDigits: 1}) + ' <span class="zh">亩</span><span class="en">mu</span><br>';
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


def page_dictionary(checklist: tuple[str, ...]) -> dict:
    """The words the popups show (``window.plannerDict``): statuses, land uses, checklist items, idle rules, the
    stages of the idle-land procedure, classes."""
    return {
        "status": {k: list(v) for k, v in STATUSES.items()},
        "landUse": {k: list(v) for k, v in _land_use_names().items()},
        "items": {k: list(v) for k, v in CHECKLIST_ITEMS.items()},
        "checklist": list(checklist),
        "idle": {k: list(v) for k, v in IDLE_RULES.items()},
        "stages": {k: list(v) for k, v in DISPOSAL_STAGES.items()},
        "classes": {k: [f"{k} {zh}", f"{k} {en}"] for k, (zh, en) in EVAL_CLASSES.items()},
        "reasons": REASONS,
        "colors": {"ready": READY_COLOR, "missing": list(MISSING_COLORS), "unknown": UNKNOWN_COLOR},
    }


def _land_use_names() -> dict[str, tuple[str, str]]:
    table = land_use_codes()
    return {code: (row.name_zh, row.name_en) for code, row in table.iterrows()}
