"""The page around a map: its scripts, basemap, language, title and view, and the controls every map ends with.

The page switches basemaps itself (:mod:`planner.maps.basemaps`): none, OpenStreetMap,
天地图 vector and imagery (key from ``tianditu_key``, ``PLANNER_TIANDITU_KEY`` or typed on the
page), 高德 (GCJ-02: every overlay is shifted on the page — never the stored data) and local
tiles. ``basemap`` is the one the page opens on; by default the local tiles when given, else
none (a light background, not grey, with no internet).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping

import folium
import numpy as np
from branca.element import Element
from jinja2 import Template

from planner.crs import wgs84_to_gcj02
from planner.maps.basemaps import BASEMAPS, LocalTiles
from planner.maps.data import MapData
from planner.maps.elements import Notes, Registry, inline_json, offline_map, page_root
from planner.maps.popups import POPUP_JS, TILES_JS, page_dictionary
from planner.maps.style import CLASS_COLORS, IDLE_COLORS

__all__ = ["BASEMAPS", "AreaFilter", "FirstDraw", "finish_map", "start_map"]

_APPS: weakref.WeakKeyDictionary[folium.Map, dict] = weakref.WeakKeyDictionary()
"""The page settings of each map being built (``start_map`` to ``finish_map``)."""


def _basemap_setup(
    basemap: str | None, key: str | None, local: LocalTiles | None, title: tuple[str, str], as_of: str | None
) -> dict:
    """The page's settings: the basemap it opens on, the Tianditu key, the local tiles, the title and date."""
    chosen = basemap or ("local" if local is not None else "none")
    if chosen not in BASEMAPS:
        msg = f"`basemap` was {chosen!r} but is expected to be one of {', '.join(BASEMAPS)}"
        raise ValueError(msg)
    if chosen == "local" and local is None:
        msg = "`basemap` was 'local' but no local tiles were given (`tiles`: a tile folder or an MBTiles file)"
        raise ValueError(msg)
    return {
        "basemap": chosen,
        "fixed": basemap is not None,
        "drawnGcj": chosen == "gaode",
        "tiandituKey": key or os.environ.get("PLANNER_TIANDITU_KEY") or "",
        "local": None if local is None else {"url": local.url, "name": local.name, "maxZoom": local.max_zoom},
        "title": list(title),
        "asOf": as_of,
    }


def start_map(
    data: MapData,
    *,
    basemap: str | None,
    tianditu_key: str | None,
    lang: str,
    vector_tiles: bool = False,
    local_tiles: LocalTiles | None = None,
    title: tuple[str, str] = ("七通一平", "readiness"),
) -> tuple[folium.Map, list[tuple[str, str]], bool]:
    """An offline map of the park: its scripts, basemap and language, fitted to the park.

    Returns the map, the notes to show on it (the data's), and whether overlays are drawn
    in GCJ-02 (the page opens on Gaode's basemap). ``title`` is what the map shows, after the
    park's name.
    """
    name = data.config.name
    setup = _basemap_setup(basemap, tianditu_key, local_tiles, (f"{name} · {title[0]}", f"{name} · {title[1]}"),
                           data.as_of)  # fmt: skip
    m = offline_map(location=data.centre(), zoom_start=14, vector_tiles=vector_tiles)
    _APPS[m] = setup
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
    gcj = bool(setup["drawnGcj"])
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
    m: folium.Map,
    layers: Mapping[str, Element],
    notes: list[tuple[str, str]],
    meta: dict[str, object],
    *,
    legend: list[dict[str, str]],
    extra: Mapping[str, object] | None = None,
) -> None:
    """What every map ends with: the layer control, the notes (if any), the layer registry for scripts, and the
    page's own controls (``planner-app.js``: title, basemaps, legend of ``legend``'s sections, search, measuring,
    print). ``extra`` adds to the page's settings (``roads`` for the search, ``parcelUrl``)."""
    folium.LayerControl(collapsed=False).add_to(m)
    if notes:
        Notes(notes).add_to(m)
    Registry(layers, meta).add_to(m)
    _App({**_APPS.pop(m), "legend": legend, **(extra or {})}).add_to(m)


class _App(folium.MacroElement):
    """``plannerAppInit(map, settings)``: the page's own controls, once every layer is registered."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.plannerAppInit({{ this._parent.get_name() }}, {{ this.settings }});
        {% endmacro %}
        """
    )

    def __init__(self, settings: dict):
        super().__init__()
        self.settings = inline_json(settings)


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
