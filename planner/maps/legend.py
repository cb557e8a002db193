"""The legend of each layer: the page shows the sections of the layers that are on (``planner-app.js``).

A section is keyed by the layer's name in ``window.plannerLayers``; its rows are a swatch
(a filled square, a line, solid or dashed, a dot, or an outline) and a label in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from planner.infra.gateways import is_inferred
from planner.maps.data import MapData
from planner.maps.elements import bilingual
from planner.maps.style import (
    CLASS_COLORS,
    DISAGREE,
    IDLE_COLORS,
    NET_COLORS,
    READINESS_LEGEND,
)
from planner.vocab import EVAL_CLASSES, IDLE_RULES, NETWORKS

__all__ = ["Row", "data_sections", "section"]

Row = tuple[str, str, str, str]
"""(swatch kind: ``fill``, ``line``, ``dashed``, ``dot`` or ``outline``; colour; Chinese; English)."""


def section(layer: str, title: tuple[str, str], rows: Iterable[Row]) -> dict[str, str]:
    """A legend section for the layer named ``layer``: its title and rows as HTML."""
    body = []
    for kind, color, zh, en in rows:
        css = {"fill": "", "line": " line", "dashed": " line dashed", "dot": " dot", "outline": " outline"}[kind]
        look = f"border-color:{color}" if kind in ("line", "dashed", "outline") else f"background:{color}"
        body.append(f'<div><span class="planner-swatch{css}" style="{look}"></span>{bilingual(zh, en)}</div>')
    return {"layer": layer, "html": f"<h4>{bilingual(*title)}</h4>{''.join(body)}"}


def data_sections(layers: Mapping[str, object], data: MapData) -> list[dict[str, str]]:
    """The sections of the park's own layers among ``layers``: readiness, idle land, classes, networks, sources…"""
    out = []
    if "parcels" in layers:
        out.append(
            section("parcels", ("七通一平", "readiness"), [("fill", c, zh, en) for c, zh, en in READINESS_LEGEND])
        )
    if "idle" in layers:
        rows = [("fill", IDLE_COLORS[k], *IDLE_RULES[k]) for k in IDLE_COLORS]
        out.append(section("idle", ("闲置土地", "idle land"), rows))
    if "evaluation" in layers:
        rows = [("fill", CLASS_COLORS[k], f"{k} {zh}", f"{k} {en}") for k, (zh, en) in EVAL_CLASSES.items()]
        out.append(section("evaluation", ("亩均评价", "per-mu classes"), rows))
    if "disagree" in layers:
        rows = [("outline", DISAGREE.color, "登记与计算不符（悬停看项目）", "records disagree (hover for the items)")]
        out.append(section("disagree", ("登记与计算不符", "records disagree with networks"), rows))
    for net, (zh, en) in NETWORKS.items():
        if f"lines:{net}" in layers:
            rows = [
                ("line", NET_COLORS[net], "在用", "in service"),
                ("dashed", NET_COLORS[net], "规划或停用", "planned or disused"),
            ]
            out.append(section(f"lines:{net}", (f"{zh}管线", f"{en} lines"), rows))
    if "sources" in layers:
        nets = [n for n in NETWORKS if n in set(data.sources["network"])]
        rows = [("dot", NET_COLORS[n], f"{NETWORKS[n][0]}源点", f"{NETWORKS[n][1]} source") for n in nets]
        rows.append(("dot", "#bbbbbb", "淡色：剩余不足 10%", "faded: under 10% left"))
        if is_inferred(data.sources).any():
            rows.append(
                ("outline", NET_COLORS["road"], "虚线圈：推断的道路出入口", "dashed ring: inferred road gateway")
            )
        out.append(section("sources", ("源点设施（标注剩余容量）", "sources (labelled with what is left)"), rows))
    if "boundary" in layers:
        rows = [("dashed", "#6a3d9a", "园区四至", "park boundary")]
        out.append(section("boundary", ("园区范围", "park boundary"), rows))
    if "factories" in layers:
        rows = [("fill", "#3288bd", "有空置面积", "floor area free"), ("fill", "#878787", "无空置", "none free")]
        out.append(section("factories", ("标准厂房", "standard factories"), rows))
    return out
