"""What any input value must be before a layer's own checks, on every path (API, import, library).

Text holds characters only: no NUL (``\\x00``), which neither SQLite's C API nor PostgreSQL
can keep, and no lone surrogate (``\\ud800``…``\\udfff``, half of a UTF-16 pair), which is
no character and cannot be written as UTF-8. A yes/no value is not text or a number
(``holder: true`` is refused, never stored as ``"True"``). A number is finite, and within the
plausible range of its unit (:data:`PLAUSIBLE`): a 10^21 kVA load is a typing error, not a
factory. These are refused with the field named, never silently changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import pandas as pd

__all__ = ["PLAUSIBLE", "Plausible", "bad_text", "flag_fault", "is_flag", "not_finite", "plausible_why", "text_fault"]


class Plausible(tuple[float, str]):
    """The largest plausible value of a unit, and why: ``Plausible((1e7, "…"))``."""

    __slots__ = ()

    @property
    def most(self) -> float:
        """The largest value allowed."""
        return self[0]

    @property
    def why(self) -> str:
        """What the bound is measured against, for messages and the field dictionary."""
        return self[1]


PLAUSIBLE: Mapping[str, Plausible] = MappingProxyType(
    {
        "m2": Plausible((1e8, "100 km², larger than any park")),
        "mu": Plausible((150_000.0, "100 km² (150,000 亩), larger than any park")),
        "wan_yuan": Plausible((1e8, "1 万亿元 (10^12 yuan), more than any single project or enterprise")),
        "kva": Plausible((1e7, "10,000 MVA, more than the largest 1000 kV substation (about 6,000 MVA)")),
        "kv": Plausible((1100.0, "1100 kV, the highest transmission voltage in service (UHV DC)")),
        "m3/d": Plausible((1e7, "10 million m³/day, more than a megacity's whole water supply")),
        "nm3/h": Plausible((1e7, "10 million Nm³/h, more than a national trunk pipeline")),
        "mw": Plausible((1e5, "100,000 MW, more than the largest power station (22,500 MW)")),
        "ports": Plausible((1e7, "10 million ports, more than a city's telecom exchanges")),
        "mm": Plausible((1e4, "10,000 mm, wider than the widest pipe or tunnel")),
        "m": Plausible((1e5, "100 km, longer than any distance inside a park")),
        "m3": Plausible((1e9, "10^9 m³ of earth, more than any park's leveling")),
        "tce": Plausible((1e8, "10^8 t of standard coal a year, more than the largest steel group")),
        "kn/m2": Plausible((1000.0, "1000 kN/m², far above any floor load (industrial floors carry 5–50)")),
        "pct": Plausible((100.0, "100%, the whole")),
    }
)
"""The largest plausible value of each unit (by the unit keys of :data:`planner.fields.UNITS`).

Generous on purpose: a bound refuses slips of the keyboard or of a unit (W for kW, 元 for
万元, a number with exponent 21), never a real park's value.
"""

_WHY_ZH: Mapping[str, str] = MappingProxyType(
    {
        "m2": "100 平方公里，大于任何园区",
        "mu": "100 平方公里（150,000 亩），大于任何园区",
        "wan_yuan": "1 万亿元，多于任何单个项目或企业",
        "kva": "10,000 MVA，大于最大的 1000 kV 变电站（约 6,000 MVA）",
        "kv": "1100 kV，在运最高输电电压（特高压直流）",
        "m3/d": "每日 1000 万立方米，多于一座特大城市的全部供水",
        "nm3/h": "每小时 1000 万标准立方米，多于一条国家干线管道",
        "mw": "100,000 MW，大于最大的电站（22,500 MW）",
        "ports": "1000 万端口，多于一座城市的全部通信局所",
        "mm": "10,000 毫米，宽于最宽的管道或隧道",
        "m": "100 公里，长于园区内的任何距离",
        "m3": "10^9 立方米土方，多于任何园区的场地平整",
        "tce": "每年 10^8 吨标准煤，多于最大的钢铁集团",
        "kn/m2": "1000 kN/m²，远高于任何楼面荷载（工业楼面为 5–50）",
        "pct": "100%，即全部",
    }
)


def plausible_why(unit: str, lang: str = "en") -> str:
    """What the plausible bound of ``unit`` is measured against, in ``lang`` (``zh`` or ``en``)."""
    return _WHY_ZH[unit] if lang == "zh" else PLAUSIBLE[unit].why


_SURROGATE = re.compile("[\ud800-\udfff]")


def text_fault(text: str, lang: str = "en") -> str | None:
    """Why ``text`` cannot be stored (a NUL or a lone surrogate, with its position), or None; in ``lang``."""
    if "\x00" in text:
        if lang == "zh":
            return "文本含空字符（\\x00），任何数据库都无法保存：请删去"
        return "the text contains a NUL character (\\x00), which no store can keep; remove it"
    found = _SURROGATE.search(text)
    if found:
        code = f"U+{ord(found.group()):04X}"
        if lang == "zh":
            return (
                f"文本第 {found.start()} 位含孤立代理字符（{code}），是 UTF-16 字符对的一半，不是字符："
                "请以有效的 Unicode（UTF-8）发送"
            )
        return (
            f"the text contains a lone surrogate ({code}) at position {found.start()}, half of a UTF-16 pair "
            "and no character; send the text as valid Unicode (UTF-8)"
        )
    return None


def bad_text(values: pd.Series) -> np.ndarray:
    """Where ``values`` (any dtype) holds text with a NUL or a lone surrogate."""
    if not len(values) or not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((isinstance(v, str) and text_fault(v) is not None for v in values.to_numpy(dtype=object)),
                       bool, len(values))  # fmt: skip


def is_flag(values: pd.Series) -> np.ndarray:
    """Where ``values`` holds a yes/no value (Python, NumPy or pandas boolean)."""
    if pd.api.types.is_bool_dtype(values):
        return values.notna().to_numpy(dtype=bool)
    if values.dtype != object or not len(values):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((isinstance(v, bool | np.bool_) for v in values.to_numpy(dtype=object)), bool, len(values))


_KIND_TEXT = {"str": "text", "float": "a number", "int": "a whole number", "date": "a date", "datetime": "a time"}
_KIND_ZH = {"str": "文本", "float": "数字", "int": "整数", "date": "日期", "datetime": "时间", "bool": "是/否"}


def flag_fault(value: object, kind: str, lang: str = "en") -> str:
    """Why a yes/no ``value`` cannot be a field of ``kind`` (``"str"``, ``"float"`` …), in ``lang``."""
    if lang == "zh":
        return f"{value!r} 是“是/否”值，不是{_KIND_ZH.get(kind, kind)}：请填写{_KIND_ZH.get(kind, kind)}"
    return f"{value!r} is a yes/no value, not {_KIND_TEXT.get(kind, kind)}; give {_KIND_TEXT.get(kind, kind)}"


def not_finite(value: object) -> bool:
    """Whether ``value`` is a float NaN or infinity (JSON ``NaN``/``Infinity``), which no field may be set to."""
    return isinstance(value, float | np.floating) and not math.isfinite(float(value))
