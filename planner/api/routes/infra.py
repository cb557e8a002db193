"""``/infra``: the park's source facilities with what is left of their capacity, and each network's lines."""

from __future__ import annotations

from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends

from planner.api.deps import Park, readiness_run, viewer
from planner.api.geojson import GeoJSONResponse, feature_collection
from planner.infra.layers import line_layer
from planner.maps.data import MapData
from planner.vocab import NETWORKS

__all__ = ["Network", "router"]

router = APIRouter(dependencies=[Depends(viewer)])


class Network(str, Enum):  # noqa: UP042 - FastAPI documents str enums as allowed values
    """The networks whose lines may be asked for."""

    # the codes of planner.vocab.NETWORKS, written out for the type checker (tests/api/test_errors_deps.py compares)
    road = "road"
    water = "water"
    drainage = "drainage"
    power = "power"
    telecom = "telecom"
    gas = "gas"
    heat = "heat"


@router.get(
    "/infra/sources",
    response_class=GeoJSONResponse,
    summary="源点设施 / Sources with capacity, load and what is left (GeoJSON)",
)
def sources(state: Park) -> GeoJSONResponse:
    """The source facilities with their capacity, the load on them and what is left, from the park as it is now."""

    def build() -> dict[str, Any]:
        data = MapData.from_store(state.store, run=readiness_run(state))
        return feature_collection(data.sources, park=state.park_id)

    return GeoJSONResponse(state.cached("sources", build))


@router.get("/infra/{network}", response_class=GeoJSONResponse, summary="管网线路 / A network's lines (GeoJSON)")
def network_lines(network: Network, state: Park) -> GeoJSONResponse:
    """The lines of one network, with its Chinese and English labels."""
    lines = state.cached(f"lines:{network.value}", lambda: state.store.read_layer(line_layer(network.value)))
    zh, en = NETWORKS[network.value]
    body = feature_collection(lines, park=state.park_id, network=network.value, label=zh, label_en=en)
    return GeoJSONResponse(body)
