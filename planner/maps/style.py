"""How the maps look: the colours of readiness, idle land, per-mu classes and networks, and the polygon styles."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "CANDIDATE",
    "CLASS_COLORS",
    "DISAGREE",
    "EVALUATION",
    "FACTORY",
    "IDLE",
    "IDLE_COLORS",
    "MISSING_COLORS",
    "NET_COLORS",
    "PARCEL",
    "READINESS_LEGEND",
    "READY_COLOR",
    "REJECTED",
    "ROAD_WEIGHTS",
    "UNKNOWN_COLOR",
    "PolygonStyle",
    "readiness_color",
]

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

READINESS_LEGEND = [
    (READY_COLOR, "熟地", "ready (熟地)"),
    (MISSING_COLORS[0], "生地：缺 1 项", "raw: 1 item missing"),
    (MISSING_COLORS[1], "生地：缺 2 项", "raw: 2 items missing"),
    (MISSING_COLORS[2], "生地：缺 3–4 项", "raw: 3–4 items missing"),
    (MISSING_COLORS[3], "生地：缺 5 项及以上", "raw: 5 or more missing"),
    (UNKNOWN_COLOR, "未计算", "not computed"),
]
"""The readiness legend: colour, Chinese and English label."""


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


@dataclass(frozen=True)
class PolygonStyle:
    """How a polygon layer is drawn: its CSS class (for tests and scripts), outline and fill opacity."""

    css: str
    show: bool = True
    weight: float = 0.8
    color: str = "#333333"
    dash: str | None = None
    fill_opacity: float = 0.7


PARCEL = PolygonStyle("parcel")
IDLE = PolygonStyle("idle", show=False, weight=2.5, color="#4a1486", fill_opacity=0.8)
EVALUATION = PolygonStyle("eval", show=False, fill_opacity=0.8)
DISAGREE = PolygonStyle("disagree", show=False, weight=2.5, color="#d7191c", dash="5 4", fill_opacity=0.15)
FACTORY = PolygonStyle("factory", show=False, weight=1.5, color="#08519c", fill_opacity=0.8)
REJECTED = PolygonStyle("rejected", weight=0.6, color="#777777", fill_opacity=0.6)
CANDIDATE = PolygonStyle("candidate", weight=2.5, color="#00441b", fill_opacity=0.85)
UNLOCKED = PolygonStyle("unlocked", weight=3.0, color="#ffd700", fill_opacity=0.5)
UNLOCKED_FILL = "#fff3a0"
PLAN_DASH = "10 6"
