"""Page pieces the maps share: offline Leaflet, a legend, notes, a language switch, a layer registry.

Every map is one self-contained HTML file: Leaflet (BSD-2-Clause) and
Leaflet.VectorGrid (for vector tiles) are shipped in ``planner/maps/static/`` and
inlined, so a map opens with no network at all (a basemap then simply shows no
tiles). Text a planner reads is written twice, ``<span class="zh">`` and
``<span class="en">``; a control on the map switches between them.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

__all__ = [
    "Legend",
    "Notes",
    "Registry",
    "bilingual",
    "inline_json",
    "offline_map",
    "page_root",
    "render_html",
    "save_map",
]

_STATIC = Path(__file__).resolve().parent / "static"

_CSS = """
body:not(.lang-en) .en, body.lang-en .zh { display: none; }
.planner-box { background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); font: 12px/1.45 "PingFang SC","Microsoft YaHei",sans-serif; }
.planner-box h4 { margin: 0 0 4px; font-size: 13px; }
.planner-swatch { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -2px;
  border: 1px solid #555; }
.planner-popup table { border-collapse: collapse; font-size: 12px; }
.planner-popup th { text-align: left; padding: 1px 8px 1px 0; color: #555; font-weight: normal; white-space: nowrap; }
.planner-popup td { padding: 1px 0; }
.planner-popup .ok { color: #1a9641; } .planner-popup .no { color: #d73027; }
.planner-notes { max-width: 340px; color: #8a4b00; }
.planner-rank { background: #1a9641; color: #fff; border-radius: 50%; text-align: center; font: bold 12px/22px sans-serif;
  width: 22px; height: 22px; box-shadow: 0 0 0 2px #fff; }
"""


@cache
def _asset(name: str) -> str:
    return (_STATIC / name).read_text(encoding="utf-8")


def page_root(m: folium.Map) -> Figure:
    """The page a map is drawn on (its ``header`` and ``html`` take the page's own scripts and styles)."""
    root = m.get_root()
    if not isinstance(root, Figure):
        msg = f"the map is not on a page of its own (its root is a {type(root).__name__})"
        raise TypeError(msg)
    return root


def offline_map(*, location: tuple[float, float], zoom_start: int = 14, vector_tiles: bool = False) -> folium.Map:
    """A folium map whose Leaflet is inlined (no CDN): it draws with no network."""
    m = folium.Map(location=location, zoom_start=zoom_start, tiles=None, control_scale=False, prefer_canvas=False)
    m.default_js = []
    m.default_css = []
    header = page_root(m).header
    header.add_child(Element(f"<style>{_asset('leaflet.css')}</style>"), name="leaflet_css")
    header.add_child(Element(f"<style>{_CSS}{_asset('planner-app.css')}</style>"), name="planner_css")
    header.add_child(Element(f"<script>{_asset('leaflet.js')}</script>"), name="leaflet_js")
    header.add_child(Element(f"<script>{_asset('planner-app.js')}</script>"), name="planner_app_js")
    if vector_tiles:
        header.add_child(
            Element(f"<script>{_asset('Leaflet.VectorGrid.bundled.min.js')}</script>"), name="vectorgrid_js"
        )
    m.add_child(_LanguageSwitch())
    return m


def inline_json(value: object) -> str:
    """JSON to put inside a ``<script>``: readable UTF-8, with ``</`` escaped so it cannot close the script."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


_ESCAPED = re.compile(r"\\u([0-9a-fA-F]{4})")


def render_html(m: folium.Map) -> str:
    """The map's HTML, with the ``\\uXXXX`` escapes folium writes for Chinese text turned back into UTF-8.

    Only letters beyond ASCII are unescaped (never ``<``, ``>``, ``&`` or quotes, nor the line
    separators U+2028/2029 or surrogate halves), so the scripts mean exactly the same: a third
    of the size for Chinese labels.
    """

    def back(match: re.Match) -> str:
        code = int(match.group(1), 16)
        if code < 0x80 or 0xD800 <= code <= 0xDFFF or code in (0x2028, 0x2029):
            return match.group(0)
        return chr(code)

    return _ESCAPED.sub(back, m.get_root().render())


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write the map as one self-contained UTF-8 HTML file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(m), encoding="utf-8")
    return path


def bilingual(zh: str, en: str) -> str:
    """Both texts, the page shows the one of its language."""
    return f'<span class="zh">{html.escape(zh)}</span><span class="en">{html.escape(en)}</span>'


class _LanguageSwitch(MacroElement):
    """A control (top right) that switches every label and popup between 中文 and English."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var Switch = L.Control.extend({
            options: {position: 'topright'},
            onAdd: function () {
              var div = L.DomUtil.create('div', 'planner-box planner-lang');
              div.innerHTML = '<a href="#" id="planner-lang">English</a>';
              L.DomEvent.disableClickPropagation(div);
              div.firstChild.onclick = function (e) {
                e.preventDefault();
                var en = document.body.classList.toggle('lang-en');
                this.textContent = en ? '中文' : 'English';
              };
              return div;
            }
          });
          new Switch().addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )


class Legend(MacroElement):
    """A legend box: a title and rows of (colour, Chinese label, English label)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var Legend = L.Control.extend({
            options: {position: '{{ this.position }}'},
            onAdd: function () {
              var div = L.DomUtil.create('div', 'planner-box planner-legend');
              div.innerHTML = {{ this.html | tojson }};
              return div;
            }
          });
          new Legend().addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: tuple[str, str], rows: list[tuple[str, str, str]], *, position: str = "bottomright"):
        super().__init__()
        self.position = position
        body = "".join(
            f'<div><span class="planner-swatch" style="background:{color}"></span>{bilingual(zh, en)}</div>'
            for color, zh, en in rows
        )
        self.html = f"<h4>{bilingual(*title)}</h4>{body}"


class Notes(MacroElement):
    """Notes on the map (top left): what is missing or was replaced, so an empty layer is never a mystery."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
          var Notes = L.Control.extend({
            options: {position: 'bottomleft'},
            onAdd: function () {
              var div = L.DomUtil.create('div', 'planner-box planner-notes');
              div.id = 'planner-notes';
              div.innerHTML = {{ this.html | tojson }};
              return div;
            }
          });
          new Notes().addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, notes: list[tuple[str, str]]):
        super().__init__()
        self.html = "".join(f"<div>• {bilingual(zh, en)}</div>" for zh, en in notes)


class Registry(MacroElement):
    """``window.plannerLayers[name]`` for each named layer, and ``window.plannerMap``: for scripts and tests."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.plannerMap = {{ this._parent.get_name() }};
        window.plannerLayers = window.plannerLayers || {};
        {% for name, var in this.layers %}window.plannerLayers[{{ name | tojson }}] = {{ var }};
        {% endfor %}
        window.plannerMeta = {{ this.meta }};
        {% endmacro %}
        """
    )

    def __init__(self, layers: Mapping[str, Element], meta: dict):
        super().__init__()
        self.layers = [(name, layer.get_name()) for name, layer in layers.items()]
        self.meta = inline_json(meta)  # a park id or project name must not end the script
