"""The page around a map: its scripts, basemap, language and view, and the controls every map ends with.

Basemaps: OpenStreetMap (default), Tianditu (key from ``tianditu_key`` or
``PLANNER_TIANDITU_KEY``), Gaode (its tiles are in GCJ-02, so every overlay is
shifted to GCJ-02 — never the stored data), or none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import folium
import numpy as np
from branca.element import Element
from jinja2 import Template

from planner.crs import wgs84_to_gcj02
from planner.maps.data import MapData
from planner.maps.elements import Notes, Registry, inline_json, offline_map, page_root
from planner.maps.popups import POPUP_JS, TILES_JS, page_dictionary
from planner.maps.style import CLASS_COLORS, IDLE_COLORS

__all__ = ["BASEMAPS", "AreaFilter", "FirstDraw", "add_basemap", "finish_map", "start_map"]

BASEMAPS = ("osm", "tianditu", "gaode", "none")


def add_basemap(m: folium.Map, basemap: str, key: str | None, notes: list[tuple[str, str]]) -> bool:
    """Add the basemap (a note where there is none); return whether overlays must be shifted to GCJ-02."""
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


def start_map(
    data: MapData, *, basemap: str, tianditu_key: str | None, lang: str, vector_tiles: bool = False
) -> tuple[folium.Map, list[tuple[str, str]], bool]:
    """An offline map of the park: its scripts, basemap and language, fitted to the park.

    Returns the map, the notes to show on it (the data's and the basemap's), and whether
    overlays must be shifted to GCJ-02 (for Gaode's basemap).
    """
    m = offline_map(location=data.centre(), zoom_start=14, vector_tiles=vector_tiles)
    page_root(m).header.add_child(
        folium.Element(
            f"<script>window.plannerDict = {inline_json(page_dictionary(data.config.checklist))};{POPUP_JS}</script>"
        ),
        name="planner_popup_js",
    )
    if vector_tiles:
        colours = (
            f"window.plannerIdleColors = {inline_json(IDLE_COLORS)}; "
            f"window.plannerClassColors = {inline_json(CLASS_COLORS)};"
        )
        page_root(m).header.add_child(folium.Element(f"<script>{colours}{TILES_JS}</script>"), name="planner_tiles_js")
    notes = list(data.notes)
    gcj = add_basemap(m, basemap, tianditu_key, notes)
    if lang == "en":
        page_root(m).html.add_child(folium.Element("<script>document.body.classList.add('lang-en');</script>"))
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


def finish_map(
    m: folium.Map, layers: Mapping[str, Element], notes: list[tuple[str, str]], meta: dict[str, object]
) -> None:
    """What every map ends with: the layer control, the notes (if any), and the layer registry for scripts."""
    folium.LayerControl(collapsed=False).add_to(m)
    if notes:
        Notes(notes).add_to(m)
    Registry(layers, meta).add_to(m)


class FirstDraw(folium.MacroElement):
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


class AreaFilter(folium.MacroElement):
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
