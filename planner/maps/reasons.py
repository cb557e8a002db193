"""The reasons of the readiness checklist in English, for the page's English switch.

Reasons are stored in Chinese (``planner.infra.coverage``, ``planner.parcels.readiness``);
each kind of sentence is one pattern here, so the page (``planner-app.js``) and
:func:`reason_en` read them the same way. A reason no pattern knows is shown as stored.
Names (of sources, lines) stay as they were recorded.
"""

from __future__ import annotations

import re

from planner.vocab import CAPACITY_UNITS, NETWORK_LAYERS, NETWORKS

__all__ = ["REASONS", "reason_en"]

_N = r"([\d,.]+)"
_RULES: list[tuple[str, str]] = [
    (r"没有在用的(\S+?)线路", "no {1} line in service"),
    (rf"(\S+?)线路距地块超过 {_N} m，超过服务距离 ([\d.e+]+) m",
     "{1} lines are over {2} m from the parcel, beyond the service distance of {3} m"),
    (rf"最近的(\S+?)线路距地块 {_N} m，超过服务距离 ([\d.e+]+) m",
     "the nearest {1} line is {2} m from the parcel, beyond the service distance of {3} m"),
    (rf"(\S+?)线路（(.+)）距地块 {_N} m，但未接通任何源点", "{1} line ({2}) is {3} m from the parcel but reaches no source"),
    (rf"经(\S+?)网络至(.+) {_N} km，超过服务半径 ([\d.e+]+) km",
     "{3} km through the {1} network to {2}, beyond the service radius of {4} km"),
    (rf"(.+)容量不足：负荷 {_N} / 能力 {_N} (\S*)，剩余 {_N} 不够本地块",
     "{1} lacks capacity: load {2} / capacity {3} {4}, {5} left is not enough for this parcel"),
    (rf"临路（(.+)，{_N} m），经道路 {_N} km 至(.+)", "on a road ({1}, {2} m), {3} km by road to {4}"),
    (rf"(\S+?)线路距地块 {_N} m，经网络 {_N} km 至(.+)，剩余 {_N} (\S+)",
     "{1} line {2} m from the parcel, {3} km through the network to {4}, {5} {6} left"),
    (rf"(\S+?)线路距地块 {_N} m，经网络 {_N} km 至(.+)", "{1} line {2} m from the parcel, {3} km through the network to {4}"),
    (r"无(\S+?)，(登记为已通|登记为未通|无登记)", "no {1}, {2}"),
    (r"高差 relief ([\d.]+) m", "relief {1} m"),
]  # fmt: skip

_WORDS: dict[str, str] = {
    **dict(NETWORKS.values()),
    **dict(NETWORK_LAYERS.values()),
    **dict(CAPACITY_UNITS.values()),
    "登记为已通": "declared connected",
    "登记为未通": "declared not connected",
    "无登记": "not declared",
}

REASONS = {"rules": _RULES, "words": _WORDS, "prefixes": [["[计算] ", "[computed] "], ["[登记] ", "[declared] "]]}
"""What the page's ``plannerApp.reasonEn`` reads (``window.plannerDict.reasons``)."""

_COMPILED = [(re.compile(f"^{pattern}$"), template) for pattern, template in _RULES]


def reason_en(text: str) -> str:
    """A stored reason in English, as the page shows it.

    >>> reason_en("[计算] 最近的给水线路距地块 350 m，超过服务距离 200 m")
    '[computed] the nearest water supply line is 350 m from the parcel, beyond the service distance of 200 m'
    """
    head = ""
    for zh, en in REASONS["prefixes"]:
        if text.startswith(zh):
            head, text = en, text[len(zh) :]
    for pattern, template in _COMPILED:
        found = pattern.match(text)
        if found:
            groups = found.groups()
            return head + re.sub(
                r"\{(\d)\}", lambda m: _WORDS.get(groups[int(m.group(1)) - 1], groups[int(m.group(1)) - 1]), template
            )
    return head + text
