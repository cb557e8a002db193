/* The park planner's map page: basemap switcher (GCJ-02 shift for Gaode), legends of the layers that are on,
   title, metric scale, north arrow, search, measuring, print layout, reasons in English, siting markers kept apart.
   Licence: the planner's (this file is part of it). No network is needed: every basemap is optional. */
(function () {
  'use strict';
  var esc = function (t) {
    return String(t).replace(/[&<>"]/g, function (c) { return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; });
  };
  var two = function (zh, en) { return '<span class="zh">' + esc(zh) + '</span><span class="en">' + esc(en) + '</span>'; };
  var hooks = {};
  var app = window.plannerApp = {
    on: function (event, fn) { (hooks[event] = hooks[event] || []).push(fn); },
    emit: function (event, arg) { (hooks[event] || []).forEach(function (fn) { fn(arg); }); }
  };

  // --- WGS-84 → GCJ-02 (the published formula, as planner.crs.wgs84_to_gcj02) ---------------------------
  var A = 6378245.0, EE = 0.00669342162296594323;
  function inside(lon, lat) { return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271; }
  function delta(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0, wave = (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dlat += wave + (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    dlat += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    var dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dlon += wave + (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    dlon += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    return [(dlon * 180.0) / (A / sq * Math.cos(rad) * Math.PI), (dlat * 180.0) / ((A * (1 - EE)) / (magic * sq) * Math.PI)];
  }
  app.toGcj = function (lon, lat) {
    if (!inside(lon, lat)) { return [lon, lat]; }
    var d = delta(lon, lat);
    return [lon + d[0], lat + d[1]];
  };
  app.toWgs = function (glon, glat) {  // the formula has no inverse: a fixed-point iteration, as gcj02_to_wgs84
    if (!inside(glon, glat)) { return [glon, glat]; }
    var lon = glon, lat = glat;
    for (var k = 0; k < 6; k++) { var f = app.toGcj(lon, lat); lon -= f[0] - glon; lat -= f[1] - glat; }
    return [lon, lat];
  };

  // --- overlays moved between WGS-84 and GCJ-02 --------------------------------------------------------
  function mapLatLngs(ll, fn) {
    if (Array.isArray(ll)) { return ll.map(function (x) { return mapLatLngs(x, fn); }); }
    var p = fn(ll.lng, ll.lat);
    return L.latLng(p[1], p[0]);
  }
  function placeLayer(layer, gcj, drawnGcj) {
    if (layer.plannerKind) {  // parcels from vector tiles: the server shifts them
      var url = layer._url.replace(/[?&]gcj=true/, function (m) { return m.charAt(0) === '?' ? '?' : ''; }).replace('?&', '?');
      if (gcj) { url += (url.indexOf('?') < 0 ? '?' : (/[?&]$/.test(url) ? '' : '&')) + 'gcj=true'; }
      if (url !== layer._url) { layer.setUrl(url); }
      return;
    }
    if (layer.eachLayer && !layer.getLatLngs) { layer.eachLayer(function (l) { placeLayer(l, gcj, drawnGcj); }); return; }
    var fn = gcj === drawnGcj ? null : (gcj ? app.toGcj : app.toWgs);
    if (layer.getLatLngs) {
      if (!layer._plannerDrawn) { layer._plannerDrawn = layer.getLatLngs(); }
      layer.setLatLngs(fn ? mapLatLngs(layer._plannerDrawn, fn) : layer._plannerDrawn);
    } else if (layer.getLatLng) {
      if (!layer._plannerDrawn) { layer._plannerDrawn = layer.getLatLng(); }
      layer.setLatLng(fn ? mapLatLngs(layer._plannerDrawn, fn) : layer._plannerDrawn);
    }
  }
  app.shift = function (gcj) {
    if (gcj === app.gcj) { return; }
    Object.keys(window.plannerLayers || {}).forEach(function (name) { placeLayer(window.plannerLayers[name], gcj, app.cfg.drawnGcj); });
    app.gcj = gcj;
  };

  // --- basemaps ----------------------------------------------------------------------------------------
  var TDT = 'https://t{s}.tianditu.gov.cn/{l}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={l}&STYLE=default' +
    '&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}';
  function tdt(layers, key) {
    return layers.map(function (l) {
      return L.tileLayer(TDT.replace(/\{l\}/g, l).replace('{tk}', encodeURIComponent(key)),
        {subdomains: '01234567', maxZoom: 18, attribution: '© 天地图 Tianditu'});
    });
  }
  app.basemaps = {
    none: {zh: '无底图', en: 'none', make: function () { return []; }},
    osm: {zh: 'OpenStreetMap', en: 'OpenStreetMap', make: function () {
      return [L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {maxZoom: 19, attribution: '© OpenStreetMap contributors'})];
    }},
    tianditu: {zh: '天地图矢量', en: 'Tianditu vector', key: true, make: function (key) { return tdt(['vec', 'cva'], key); }},
    tianditu_img: {zh: '天地图影像', en: 'Tianditu imagery', key: true, make: function (key) { return tdt(['img', 'cia'], key); }},
    gaode: {zh: '高德地图（GCJ-02）', en: 'Gaode (GCJ-02)', gcj: true, make: function () {
      return [L.tileLayer('https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}',
        {subdomains: '1234', maxZoom: 18, attribution: '© 高德地图 AutoNavi'})];
    }},
    local: {zh: '本地瓦片', en: 'local tiles', make: function () {
      return app.cfg.local ? [L.tileLayer(app.cfg.local.url, {maxZoom: app.cfg.local.maxZoom || 19, minZoom: 0,
        attribution: esc(app.cfg.local.name || '')})] : [];
    }}
  };
  var current = [];
  function tiandituKey() {
    var el = document.getElementById('planner-tdt-key');
    return (el && el.value.trim()) || app.cfg.tiandituKey || '';
  }
  app.setBasemap = function (name) {
    var def = app.basemaps[name] || app.basemaps.none, note = document.getElementById('planner-basemap-note');
    current.forEach(function (l) { app.map.removeLayer(l); });
    var key = tiandituKey(), text = null;
    document.getElementById('planner-tdt').style.display = def.key ? '' : 'none';
    if (def.key && !key) {
      current = [];
      text = two('天地图需要密钥（tianditu_key、PLANNER_TIANDITU_KEY 或在此填写），本图不显示底图',
        'Tianditu needs a key (tianditu_key, PLANNER_TIANDITU_KEY or typed here): no basemap shown');
    } else {
      current = def.make(key);
      current.forEach(function (l) { l.addTo(app.map); l.bringToBack(); });
    }
    if (def.gcj) {
      text = two('高德底图为 GCJ-02 坐标：图上叠加要素已相应偏移，存储数据未改动',
        'Gaode tiles are in GCJ-02: the overlays are shifted to match; stored data is unchanged');
    }
    app.shift(!!def.gcj);
    note.innerHTML = text || '';
    note.style.display = text ? '' : 'none';
    app.map.getContainer().classList.toggle('planner-bare', name === 'none' || !current.length);
    app.basemap = name;
    try { window.localStorage.setItem('plannerBasemap', name); if (key) { window.localStorage.setItem('plannerTdtKey', key); } } catch (e) { /* private mode */ }
    app.emit('basemap', name);
  };
  function basemapControl() {
    var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-box planner-basemap');
      var opts = Object.keys(app.basemaps).filter(function (k) { return k !== 'local' || app.cfg.local; }).map(function (k) {
        var b = app.basemaps[k];
        return '<option value="' + k + '" data-zh="' + esc(b.zh) + '" data-en="' + esc(b.en) + '">' + esc(b.zh) + '</option>';
      });
      div.innerHTML = two('底图', 'basemap') + ' <select id="planner-basemap">' + opts.join('') + '</select>' +
        '<div id="planner-tdt" style="display:none">' + two('天地图密钥', 'Tianditu key') +
        ' <input id="planner-tdt-key" size="14" autocomplete="off"></div><div id="planner-basemap-note" class="planner-notes"></div>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var select = div.querySelector('select');
      select.addEventListener('change', function () { app.setBasemap(this.value); });
      div.querySelector('input').addEventListener('change', function () { app.setBasemap(select.value); });
      return div;
    }});
    new C().addTo(app.map);
  }

  // --- legends of the layers that are on ------------------------------------------------------------------
  app.updateLegend = function () {
    var box = document.getElementById('planner-legend'), shown = 0;
    if (!box) { return; }
    box.querySelectorAll('[data-layer]').forEach(function (sec) {
      var layer = (window.plannerLayers || {})[sec.getAttribute('data-layer')];
      var on = !!layer && app.map.hasLayer(layer);
      sec.style.display = on ? '' : 'none';
      shown += on ? 1 : 0;
    });
    box.style.display = shown ? '' : 'none';
  };
  function legendControl() {
    var C = L.Control.extend({options: {position: 'bottomright'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-box planner-legend');
      div.id = 'planner-legend';
      div.innerHTML = app.cfg.legend.map(function (s) {
        return '<section data-layer="' + esc(s.layer) + '">' + s.html + '</section>';
      }).join('');
      L.DomEvent.disableScrollPropagation(div);
      return div;
    }});
    new C().addTo(app.map);
    app.map.on('overlayadd overlayremove layeradd layerremove', function () { setTimeout(app.updateLegend, 0); });
    app.updateLegend();
  }

  // --- title, north arrow, metric scale ------------------------------------------------------------------
  function titleControl() {
    var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-box planner-title');
      div.id = 'planner-title';
      div.innerHTML = '<b>' + two(app.cfg.title[0], app.cfg.title[1]) + '</b><br>' +
        two('数据日期 ' + (app.cfg.asOf || '—'), 'data as of ' + (app.cfg.asOf || '—')) +
        '<span class="planner-print-only"> · ' + two('打印于 ', 'printed ') + new Date().toISOString().slice(0, 10) + '</span>';
      return div;
    }});
    new C().addTo(app.map);
    var N = L.Control.extend({options: {position: 'bottomleft'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-north');
      div.id = 'planner-north';
      div.title = '北 / north';
      div.innerHTML = '<svg width="28" height="40" viewBox="0 0 28 40"><polygon points="14,2 24,30 14,24 4,30" fill="#222"/>' +
        '<text x="14" y="39" text-anchor="middle" font-size="11" font-weight="bold">N</text></svg>';
      return div;
    }});
    new N().addTo(app.map);
    L.control.scale({imperial: false, metric: true, maxWidth: 160}).addTo(app.map);
  }

  // --- search: parcel code, holder, name, road -----------------------------------------------------------
  var index = null;
  function buildIndex() {
    index = [];
    var parcels = window.plannerParcels || [], holders = {};
    Object.keys(window.plannerLayers || {}).forEach(function (name) {
      var layer = window.plannerLayers[name];
      if (!layer.eachLayer || name.indexOf('lines:') === 0) { return; }
      layer.eachLayer(function (l) {
        var qi = l.feature && l.feature.properties.qi;
        if (qi !== undefined && !holders[qi]) { holders[qi] = {layer: layer, part: l}; }
      });
    });
    parcels.forEach(function (q, k) {
      if (holders[k]) { index.push({kind: 'parcel', key: [q.p, q.h || '', q.n || ''].join(' ').toLowerCase(), label: q.p + ' ' + (q.n || q.h || ''), at: holders[k]}); }
    });
    (app.cfg.roads || []).forEach(function (r) {
      index.push({kind: 'road', key: r[0].toLowerCase(), label: r[0], road: r});
    });
  }
  app.search = function (text) {
    if (index === null) { buildIndex(); }
    var t = String(text).trim().toLowerCase();
    if (!t) { return []; }
    var exact = index.filter(function (e) { return e.kind === 'parcel' && e.key.split(' ')[0] === t; });
    return exact.concat(index.filter(function (e) { return e.key.indexOf(t) >= 0 && exact.indexOf(e) < 0; })).slice(0, 12);
  };
  app.open = function (hit) {
    if (hit.kind === 'parcel') {
      if (!app.map.hasLayer(hit.at.layer)) { app.map.addLayer(hit.at.layer); }
      app.map.fitBounds(hit.at.part.getBounds(), {maxZoom: 16, animate: false});
      hit.at.part.openPopup();
    } else if (hit.kind === 'tiled') {
      return app.openTiledParcel(hit.id).then(function () { app.emit('open', hit); });
    } else if (hit.kind === 'road') {
      var b = hit.road[1], sw = [b[0], b[1]], ne = [b[2], b[3]];
      if (hit.wgs84 && app.gcj) { sw = app.toGcj(b[1], b[0]).reverse(); ne = app.toGcj(b[3], b[2]).reverse(); }
      else if (!hit.wgs84 && app.gcj !== app.cfg.drawnGcj) { var f = app.gcj ? app.toGcj : app.toWgs; sw = f(b[1], b[0]).reverse(); ne = f(b[3], b[2]).reverse(); }
      app.map.fitBounds([sw, ne], {maxZoom: 17, animate: false});
      L.popup().setLatLng(L.latLngBounds(sw, ne).getCenter()).setContent('<div class="planner-popup"><b>' + esc(hit.road[0]) +
        '</b> ' + two('道路', 'road') + '</div>').openOn(app.map);
    }
    app.emit('open', hit);
  };
  app.openTiledParcel = function (id) {  // a large park's parcel, by its exact code, from the API
    var url = app.cfg.parcelUrl;
    if (!url) { return Promise.resolve(false); }
    return fetch(url.replace('{id}', encodeURIComponent(id)), {headers: {Accept: 'application/geo+json'}})
      .then(function (r) { if (!r.ok) { return false; } return r.json().then(function (f) {
        var shape = L.geoJSON(f, {style: {color: '#000', weight: 3, fillOpacity: 0}}).addTo(app.map);
        if (app.gcj) { placeLayer(shape, true, false); }
        app.map.fitBounds(shape.getBounds(), {maxZoom: 17, animate: false});
        L.popup({maxWidth: 460}).setLatLng(shape.getBounds().getCenter())
          .setContent(window.plannerPopup(window.plannerFeatureQuery(f.properties, {}))).openOn(app.map);
        app.map.once('popupclose', function () { app.map.removeLayer(shape); });
        return true;
      }); });
  };
  app.searchServer = function (text) {  // GET /search: parcels by code, holder or name, roads by name (WGS84 extents)
    var url = app.cfg.searchUrl;
    return fetch(url + (url.indexOf('?') < 0 ? '?' : '&') + 'q=' + encodeURIComponent(String(text).trim()) + '&limit=12')
      .then(function (r) { return r.ok ? r.json() : {hits: []}; })
      .then(function (body) {
        return body.hits.map(function (h) {
          var b = h.bbox, box = [b[1], b[0], b[3], b[2]];  // [s, w, n, e] as the page's roads
          if (h.kind === 'road') { return {kind: 'road', label: h.name, road: [h.name, box], wgs84: true}; }
          return {kind: 'tiled', label: h.parcel_id + ' ' + (h.name || h.holder || ''), id: h.parcel_id, holder: h.holder};
        });
      }, function () { return []; });
  };
  function searchControl() {
    var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-box planner-search');
      div.innerHTML = '<input id="planner-search" type="search" autocomplete="off" data-zh="宗地代码、用地单位或道路" ' +
        'data-en="parcel code, holder or road" placeholder="宗地代码、用地单位或道路"><div id="planner-search-hits"></div>';
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      var input = div.querySelector('input'), list = div.querySelector('#planner-search-hits'), hits = [], timer = null;
      var render = function () {
        list.innerHTML = hits.map(function (h, k) {
          return '<a href="#" data-k="' + k + '">' + (h.kind === 'road' ? two('道路 ', 'road ') : '') + esc(h.label) + '</a>';
        }).join('') + (input.value.trim() && !hits.length ? '<i>' + two('没有找到', 'nothing found') + '</i>' : '');
      };
      var show = function () {
        hits = app.search(input.value);
        if (app.cfg.searchUrl && input.value.trim()) {  // a large park: the page holds no parcel records, the API does
          clearTimeout(timer);
          var asked = input.value;
          timer = setTimeout(function () {
            app.searchServer(asked).then(function (found) { if (input.value === asked) { hits = found; render(); app.emit('searched', found); } });
          }, 200);
          return;
        }
        render();
      };
      input.addEventListener('input', show);
      input.addEventListener('keydown', function (e) {
        if (e.key !== 'Enter') { return; }
        if (hits.length) { app.open(hits[0]); list.innerHTML = ''; return; }
        app.openTiledParcel(input.value.trim()).then(function (ok) { list.innerHTML = ok ? '' : '<i>' + two('没有找到', 'nothing found') + '</i>'; });
      });
      list.addEventListener('click', function (e) {
        var a = e.target.closest('a');
        if (!a) { return; }
        L.DomEvent.stop(e);  // the link is gone once clicked: the map must not take the click for its own (closing the popup)
        app.open(hits[+a.getAttribute('data-k')]);
        list.innerHTML = '';
      });
      return div;
    }});
    new C().addTo(app.map);
  }

  // --- measuring: distance and area -----------------------------------------------------------------------
  app.geodesicAreaM2 = function (latlngs) {  // on the sphere, as Leaflet.draw's L.GeometryUtil.geodesicArea
    var area = 0, R = 6378137, d2r = Math.PI / 180, n = latlngs.length;
    for (var i = 0; i < n; i++) {
      var p1 = latlngs[i], p2 = latlngs[(i + 1) % n];
      area += ((p2.lng - p1.lng) * d2r) * (2 + Math.sin(p1.lat * d2r) + Math.sin(p2.lat * d2r));
    }
    return Math.abs(area * R * R / 2);
  };
  function measureControl() {
    var mode = null, points = [], shape = null, out;
    var fmtNum = function (x, d) { return Number(x).toLocaleString('zh-CN', {maximumFractionDigits: d}); };
    var redraw = function () {
      if (shape) { app.map.removeLayer(shape); shape = null; }
      if (!points.length) { out.innerHTML = ''; return; }
      if (mode === 'area' && points.length > 2) {
        shape = L.polygon(points, {color: '#e6550d', weight: 2, dashArray: '4 4', interactive: false}).addTo(app.map);
        var m2 = app.geodesicAreaM2(points);
        out.innerHTML = fmtNum(m2, 0) + ' m² · ' + fmtNum(m2 / (10000 / 15), 2) + two(' 亩', ' mu');
      } else {
        shape = L.polyline(points, {color: '#e6550d', weight: 3, dashArray: '4 4', interactive: false}).addTo(app.map);
        var m = 0;
        for (var k = 1; k < points.length; k++) { m += app.map.distance(points[k - 1], points[k]); }
        out.innerHTML = m >= 1000 ? fmtNum(m / 1000, 3) + ' km' : fmtNum(m, 1) + ' m';
      }
      out.setAttribute('data-value', out.textContent);
    };
    app.measure = function (which) {
      mode = mode === which ? null : which;
      points = [];
      redraw();
      app.map.getContainer().classList.toggle('planner-measuring', mode !== null);
      document.querySelectorAll('.planner-measure button').forEach(function (b) { b.classList.toggle('on', b.value === mode); });
    };
    var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-box planner-measure');
      div.innerHTML = '<button type="button" value="distance">' + two('测距', 'distance') + '</button> ' +
        '<button type="button" value="area">' + two('测面', 'area') + '</button> <span id="planner-measure-out"></span>';
      out = div.querySelector('#planner-measure-out');
      L.DomEvent.disableClickPropagation(div);
      div.querySelectorAll('button').forEach(function (b) { b.addEventListener('click', function () { app.measure(b.value); }); });
      return div;
    }});
    new C().addTo(app.map);
    app.map.on('click', function (e) { if (mode) { points.push(e.latlng); redraw(); } });
    app.map.on('popupopen', function () { if (mode) { app.map.closePopup(); } });
  }

  // --- print ----------------------------------------------------------------------------------------------
  app.preparePrint = function (paper) {
    var style = document.getElementById('planner-page-size');
    if (!style) { style = document.createElement('style'); style.id = 'planner-page-size'; document.head.appendChild(style); }
    style.textContent = '@page { size: ' + (paper || 'A4') + ' landscape; margin: 8mm; }';
    document.body.setAttribute('data-paper', paper || 'A4');
    app.map.invalidateSize({animate: false});
  };
  function printControl() {
    var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
      var div = L.DomUtil.create('div', 'planner-box planner-print');
      div.innerHTML = '<select id="planner-paper"><option>A4</option><option>A3</option></select> ' +
        '<button type="button" id="planner-print">' + two('打印 / PDF', 'print / PDF') + '</button>';
      L.DomEvent.disableClickPropagation(div);
      div.querySelector('button').addEventListener('click', function () {
        app.preparePrint(div.querySelector('select').value);
        setTimeout(function () { window.print(); }, 300);
      });
      return div;
    }});
    new C().addTo(app.map);
    if (window.matchMedia) { window.matchMedia('print').addListener(function () { app.map.invalidateSize({animate: false}); }); }
  }

  // --- reasons in English ---------------------------------------------------------------------------------
  app.reasonEn = function (text) {
    var R = window.plannerDict.reasons, words = R.words, rules = R.rules, head = '';
    R.prefixes.forEach(function (p) { if (text.indexOf(p[0]) === 0) { head = p[1]; text = text.slice(p[0].length); } });
    return head + translate(text, rules, words);
  };
  function translate(text, rules, words) {
    for (var k = 0; k < rules.length; k++) {
      var m = new RegExp('^' + rules[k][0] + '$').exec(text);
      if (m) {
        return rules[k][1].replace(/\{(\d)(r?)\}/g, function (_, i, r) {
          var v = m[+i] || '';
          return r ? app.reasonEn(v) : (Object.prototype.hasOwnProperty.call(words, v) ? words[v] : v);
        });
      }
    }
    return text;
  }

  // --- siting ranks kept apart ----------------------------------------------------------------------------
  app.declutter = function () {
    var icons = Array.prototype.slice.call(document.querySelectorAll('.planner-rank'));
    icons.sort(function (a, b) { return +a.textContent - +b.textContent; });
    var placed = [], size = 24;
    var steps = [[0, 0]];
    for (var ring = 1; ring <= 6; ring++) {
      for (var a = 0; a < 8 * ring; a++) { var t = 2 * Math.PI * a / (8 * ring); steps.push([Math.round(Math.cos(t) * size * ring), Math.round(Math.sin(t) * size * ring)]); }
    }
    icons.forEach(function (el) {
      el.style.transform = '';
      var r = el.getBoundingClientRect();
      for (var s = 0; s < steps.length; s++) {
        var x = r.left + steps[s][0], y = r.top + steps[s][1];
        var free = placed.every(function (p) { return Math.abs(p[0] - x) >= size || Math.abs(p[1] - y) >= size; });
        if (free) {
          placed.push([x, y]);
          el.style.transform = steps[s][0] || steps[s][1] ? 'translate(' + steps[s][0] + 'px,' + steps[s][1] + 'px)' : '';
          break;
        }
      }
    });
  };

  app.declutterLabels = function () {  // the sources' labels: one pushed below another it would cover
    var labels = Array.prototype.slice.call(document.querySelectorAll('.planner-source-label'));
    labels.forEach(function (el) { el.style.marginTop = ''; });
    var placed = [];
    labels.map(function (el) { return {el: el, r: el.getBoundingClientRect()}; })
      .sort(function (a, b) { return a.r.top - b.r.top; })
      .forEach(function (item) {
        var r = item.r, top = r.top, moved = true;
        while (moved) {
          moved = false;
          for (var k = 0; k < placed.length; k++) {
            var p = placed[k];
            if (r.left < p.right && r.right > p.left && top < p.bottom && top + r.height > p.top) { top = p.bottom + 1; moved = true; }
          }
        }
        if (top !== r.top) { item.el.style.marginTop = (top - r.top) + 'px'; }
        placed.push({left: r.left, right: r.right, top: top, bottom: top + r.height});
      });
  };

  // --- language of inputs and options ---------------------------------------------------------------------
  function relabel() {
    var en = document.body.classList.contains('lang-en');
    document.querySelectorAll('[data-zh][data-en]').forEach(function (el) {
      var t = el.getAttribute(en ? 'data-en' : 'data-zh');
      if (el.tagName === 'INPUT') { el.placeholder = t; } else { el.textContent = t; }
    });
  }

  window.plannerAppInit = function (map, cfg) {
    app.map = map;
    app.cfg = cfg;
    app.gcj = !!cfg.drawnGcj;
    titleControl();
    searchControl();
    measureControl();
    basemapControl();
    printControl();
    legendControl();
    var stored = null;
    try { stored = window.localStorage.getItem('plannerBasemap'); if (!document.getElementById('planner-tdt-key').value) {
      document.getElementById('planner-tdt-key').value = window.localStorage.getItem('plannerTdtKey') || ''; } } catch (e) { /* private mode */ }
    var first = cfg.fixed || !stored || !app.basemaps[stored] || (stored === 'local' && !cfg.local) ? cfg.basemap : stored;
    document.getElementById('planner-basemap').value = first;
    app.setBasemap(first);
    new MutationObserver(relabel).observe(document.body, {attributes: true, attributeFilter: ['class']});
    relabel();
    if (document.querySelector('.planner-rank')) { app.declutter(); map.on('zoomend moveend', app.declutter); }
    app.declutterLabels();
    map.on('zoomend overlayadd', function () { setTimeout(app.declutterLabels, 0); });
    app.emit('ready', app);
  };
})();
