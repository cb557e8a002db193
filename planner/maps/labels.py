"""Road names on the map, and the roads the page's search finds.

A road recorded in several lines under one name is labelled once, at the middle of its
longest line; the search fits the view to all of its lines.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import shapely
from jinja2 import Template

from planner.maps.data import MapData
from planner.maps.elements import inline_json
from planner.maps.layers import wgs84

__all__ = ["RoadLabels", "road_index"]


def _named_roads(data: MapData) -> gpd.GeoDataFrame:
    roads = data.lines.get("road")
    if roads is None or roads.empty:
        return gpd.GeoDataFrame(columns=["name", "geometry"], geometry="geometry", crs=4326)
    named = roads[roads["name"].notna() & (roads["name"].astype(str).str.strip() != "")]
    return named[["name", "geometry"]]


def road_index(data: MapData, gcj: bool) -> tuple[list[list], list[list]]:
    """(labels, search entries): ``[lat, lon, name]`` at each named road's longest line, ``[name, [s, w, n, e]]``."""
    named = _named_roads(data)
    if named.empty:
        return [], []
    longest = named.assign(length_m=named.geometry.length).sort_values("length_m").groupby("name").tail(1)
    middles = gpd.GeoDataFrame(
        {"name": longest["name"].astype(str)},
        geometry=shapely.line_interpolate_point(longest.geometry.to_numpy(), 0.5, normalized=True),
        crs=named.crs,
    )
    points = wgs84(middles, gcj)
    labels = [[float(p.y), float(p.x), n] for p, n in zip(points, middles["name"], strict=True)]
    whole = gpd.GeoDataFrame(geometry=wgs84(named, gcj), crs=4326).assign(name=named["name"].astype(str).to_numpy())
    bounds = whole.dissolve("name").bounds
    entries = [[str(n), [round(b.miny, 6), round(b.minx, 6), round(b.maxy, 6), round(b.maxx, 6)]]
               for n, b in bounds.iterrows()]  # fmt: skip
    return labels, entries


class RoadLabels(folium.map.Layer):
    """The road names as text on the map (a layer of its own, on by default); names are shown as text, never run."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup({{ this.labels }}.map(function (r) {
          var span = document.createElement('span');
          span.textContent = r[2];
          var icon = L.divIcon({className: 'planner-road-label', html: span, iconSize: null});
          return L.marker([r[0], r[1]], {icon: icon, interactive: false, keyboard: false});
        }));
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[list], *, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "RoadLabels"
        self.labels = inline_json(labels)
