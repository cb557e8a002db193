"""Interactive maps (folium, offline): readiness and its layers, siting results, the investment map."""

from planner.maps.data import MapData
from planner.maps.elements import render_html, save_map
from planner.maps.page import BASEMAPS
from planner.maps.park import investment_map, readiness_map, siting_map, write_maps

__all__ = [
    "BASEMAPS",
    "MapData",
    "investment_map",
    "readiness_map",
    "render_html",
    "save_map",
    "siting_map",
    "write_maps",
]
