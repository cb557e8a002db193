"""Code lists the parcel layer checks against.

- ``land_use``: the 用地用海分类 codes of ``data/land_use_codes.csv``; the land of
  工矿仓储用地 (GB/T 21010-2017 class 06) is :func:`is_industrial_storage`; files of the land
  bureau carry GB/T 21010-2017 (三调, 土地利用现状分类) codes, converted by the crosswalk
  ``data/land_use_gb21010.csv`` (:func:`gb21010_to_2023`).
- ``industry`` and ``zone_industries``: GB/T 4754-2017 codes written with their
  section letter: ``C36`` (division 大类), ``C367`` (group 中类), ``C3670``
  (class 小类). A code is valid when its two-digit division lies in its section's range
  (``data/industry_sections.csv``: C is 13–43) and, where the full classification is
  shipped (``data/gbt4754_2017.csv``: every section, division, group and class, with
  ``code,level,name_zh``), when it is in it at the level it is given: ``C3699`` is
  refused, for C36 has no group 369. A zone code admits every code that starts with it,
  so ``C36`` admits ``C3670``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from planner.resources import data_path

__all__ = [
    "INDUSTRIAL_STORAGE_PREFIXES",
    "LAND_USE_SYSTEMS",
    "CodeConversion",
    "gb21010_codes",
    "gb21010_to_2023",
    "industry_admits",
    "industry_code_problem",
    "industry_codes",
    "industry_sections",
    "is_industrial_storage",
    "land_use_codes",
    "split_codes",
    "to_gb21010",
]

INDUSTRIAL_STORAGE_PREFIXES = ("10", "11")
"""用地用海分类 codes of 工矿仓储用地: ``10`` 工矿用地 (1001 工业, 1002 采矿, 1003 盐田) and ``11``
仓储用地 (1101 物流仓储, 1102 储备库), the land of GB/T 21010-2017 class 06 工矿仓储用地
(0601 工业, 0602 采矿, 0603 盐田, 0604 仓储)."""

_INDUSTRY_RE = re.compile(r"^([A-T])(\d{2})(\d{1,2})?$")
_SEPARATORS = re.compile(r"[,，、;；\s]+")


@lru_cache(maxsize=1)
def land_use_codes() -> pd.DataFrame:
    """The land-use code table, indexed by code (a string: ``"100101"``)."""
    table = pd.read_csv(data_path("land_use_codes.csv"), dtype=str, keep_default_na=False)
    return table.set_index("code")


def is_industrial_storage(land_use: pd.Series) -> np.ndarray:
    """Whether each land-use code is 工矿仓储用地 (industrial, mining and storage land).

    Source: GB/T 21010-2017 土地利用现状分类, class 06 工矿仓储用地 (工业、采矿、盐田、仓储),
    the class the development-zone evaluation (开发区土地集约利用评价规程, 2014) takes for
    工业用地率 and the industrial floor-area ratio; in 用地用海分类 (2023) it is 10 工矿用地 and
    11 仓储用地, so 储备库 (1102) and 采矿 (1002) are in it. A code that is only ``1`` is not.

    >>> is_industrial_storage(pd.Series(["100102", "1002", "1102", "110101", "0901", None])).tolist()
    [True, True, True, True, False, False]
    """
    codes = land_use.astype(object).where(land_use.notna(), "").astype(str)
    return np.asarray(codes.str.startswith(INDUSTRIAL_STORAGE_PREFIXES), dtype=bool)


@lru_cache(maxsize=1)
def industry_sections() -> pd.DataFrame:
    """GB/T 4754-2017 sections A–T with their first and last division numbers."""
    table = pd.read_csv(data_path("industry_sections.csv"), dtype={"section": str})
    return table.set_index("section")


@lru_cache(maxsize=1)
def industry_codes() -> pd.DataFrame | None:
    """GB/T 4754-2017 to the class level, indexed by code with section letter: ``level`` and ``name_zh``.

    ``None`` where ``data/gbt4754_2017.csv`` is not shipped: codes are then checked to the division only.
    """
    try:
        path = data_path("gbt4754_2017.csv")
    except FileNotFoundError:
        return None
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return table.set_index("code")


def industry_code_problem(code: str, lang: str = "en") -> str | None:
    """Why ``code`` is not a GB/T 4754-2017 code with section letter (in ``lang``), or ``None`` if it is.

    Checked to the level given: a class (``C3670``) must be a class of the classification,
    a group (``C367``) a group; the message names the nearest valid codes.

    >>> industry_code_problem("C3670") is None
    True
    >>> industry_code_problem("C12")
    'division 12 is not in section C (manufacturing has divisions 13–43)'
    """
    match = _INDUSTRY_RE.match(code)
    if match is None:
        if lang == "zh":
            return (
                f"{code!r} 不是 GB/T 4754-2017 行业代码：请写门类字母加 2–4 位数字，"
                "如 C36（大类）、C367（中类）、C3670（小类）"
            )
        return (
            f"{code!r} is not a GB/T 4754-2017 code; write the section letter and 2–4 digits, "
            "e.g. C36 (division), C367 (group), C3670 (class)"
        )
    section, division = match.group(1), int(match.group(2))
    row = industry_sections().loc[section]
    if not row.first_division <= division <= row.last_division:
        if lang == "zh":
            return (
                f"大类 {division:02d} 不属于门类 {section}"
                f"（{row.get('name_zh', row.name_en)}的大类为 {row.first_division:02d}–{row.last_division:02d}）"
            )
        return (
            f"division {division:02d} is not in section {section} "
            f"({row.name_en} has divisions {row.first_division:02d}–{row.last_division:02d})"
        )
    table = industry_codes()
    if table is None or code in table.index:
        return None
    return _unknown_code(code, table, lang)


_LEVELS = {3: "division", 4: "group", 5: "class"}
_LEVELS_ZH = {3: "大类", 4: "中类", 5: "小类"}


def _unknown_code(code: str, table: pd.DataFrame, lang: str = "en") -> str:
    """The message for a well-formed code the classification lacks: what is missing, and the nearest codes."""
    parent = next(code[:n] for n in range(len(code) - 1, 0, -1) if code[:n] in table.index)
    missing = code[: len(parent) + 1]
    same_level = table.index[table["level"] == _LEVELS[len(code)]]
    siblings = [c for c in same_level if c.startswith(parent)] or [c for c in same_level if c[0] == code[0]]
    nearest = sorted(siblings, key=lambda c: (abs(int(c[1:]) - int(code[1:])), c))[:3]
    if lang == "zh":
        return (
            f"{code!r} 不是 GB/T 4754-2017 的{_LEVELS_ZH[len(code)]}：{parent} {table.loc[parent, 'name_zh']}"
            f"下没有{_LEVELS_ZH[len(missing)]} {missing}；最接近的有效代码：{'、'.join(nearest)}"
        )
    what = f"{parent} {table.loc[parent, 'name_zh']} has no {_LEVELS[len(missing)]} {missing}"
    return f"{code!r} is not a {_LEVELS[len(code)]} of GB/T 4754-2017: {what}; nearest valid: {', '.join(nearest)}"


def split_codes(text: str) -> list[str]:
    """Split a list of codes written with commas, 、, ；, or spaces; upper-cased, order kept.

    >>> split_codes("c36、C39， G59")
    ['C36', 'C39', 'G59']
    """
    return [part.upper() for part in _SEPARATORS.split(text.strip()) if part]


def industry_admits(zone_code: str, code: str) -> bool:
    """Whether a parcel zoned for ``zone_code`` admits an industry ``code``.

    >>> industry_admits("C36", "C3670"), industry_admits("C3670", "C36"), industry_admits("C3", "C39")
    (True, False, False)
    """
    return len(zone_code) >= 3 and code.startswith(zone_code)


LAND_USE_SYSTEMS = ("auto", "2023", "gb21010")
"""How a file's land-use codes are read: told from the codes, 用地用海分类 (2023), or GB/T 21010-2017."""


@lru_cache(maxsize=1)
def gb21010_codes() -> pd.DataFrame:
    """The GB/T 21010-2017 second-level classes, indexed by code, with the 用地用海分类 code each converts to.

    ``code_2023`` is empty where the crosswalk has no one-to-one row the planner ships.
    """
    table = pd.read_csv(data_path("land_use_gb21010.csv"), dtype=str, keep_default_na=False)
    return table.set_index("gb21010_code")


@dataclass
class CodeConversion:
    """Land-use codes after conversion: the values, what was converted, and what could not be."""

    values: pd.Series
    converted: dict[str, tuple[str, int]] = field(default_factory=dict)
    """GB/T 21010 code → (用地用海分类 code, number of features)."""
    unconverted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """Features whose GB/T 21010 code has no 用地用海分类 code in the crosswalk."""
    kept_as_2023: list[str] = field(default_factory=list)
    """Codes of a mixed file that are codes of both systems, read as 用地用海分类."""


def gb21010_to_2023(values: pd.Series, system: str = "auto") -> CodeConversion:
    """Land-use codes in 用地用海分类 (2023): GB/T 21010-2017 codes converted by the crosswalk.

    ``system`` ``"2023"`` converts nothing; ``"gb21010"`` reads every code as GB/T 21010
    (``1001`` is then 铁路用地, converted to 1201); ``"auto"`` converts when the file
    holds codes that are GB/T 21010 codes and not 用地用海分类 ones (``0601``): every
    code if all are GB/T 21010 codes, else only those (codes of both systems are then
    read as 用地用海分类, and listed in ``kept_as_2023``).

    >>> c = gb21010_to_2023(pd.Series(["0601", "0604", "1001"]))
    >>> c.values.tolist(), c.converted["1001"]
    (['1001', '11', '1201'], ('1201', 1))
    >>> gb21010_to_2023(pd.Series(["1001", "100101"])).values.tolist()
    ['1001', '100101']
    """
    if system not in LAND_USE_SYSTEMS:
        msg = f"`land_use_codes` was {system!r} but is expected to be one of {', '.join(LAND_USE_SYSTEMS)}"
        raise ValueError(msg)
    text = values.astype("string").str.strip()
    present = (text.notna() & text.ne("")).fillna(False).astype(bool)
    codes = set(text[present].unique())
    gb = gb21010_codes()
    ours = set(land_use_codes().index)
    in_gb = {c for c in codes if c in gb.index}
    if system == "2023" or (system == "auto" and not (in_gb - ours)):
        return CodeConversion(values, unconverted=np.zeros(len(values), dtype=bool))
    whole = system == "gb21010" or in_gb == codes
    convert = in_gb if whole else in_gb - ours
    kept = [] if whole else sorted(in_gb & ours)
    table = gb.loc[sorted(convert), "code_2023"]
    targets = table[table != ""]
    hit = present & text.isin(list(targets.index)).fillna(False).astype(bool)
    missing = (present & text.isin(list(table[table == ""].index)).fillna(False).astype(bool)).to_numpy()
    out = values.astype(object).where(~hit, text.map(targets).astype(object))
    counts = text[hit].value_counts()
    converted = {str(c): (str(targets[c]), int(n)) for c, n in counts.items()}
    return CodeConversion(out, converted, missing, kept)


def to_gb21010(values: pd.Series) -> tuple[pd.Series, list[str]]:
    """用地用海分类 codes as GB/T 21010-2017 codes (for the land bureau), by the crosswalk read backwards.

    A code takes the GB/T 21010 class of its longest prefix in the crosswalk: ``100102``
    (二类工业用地) is ``0601`` 工业用地, ``110101`` is ``0604`` 仓储用地. Codes without one
    are left empty and returned, so that the caller can say so.

    >>> out, missing = to_gb21010(pd.Series(["100102", "110101", "1201", "1207", None]))
    >>> out.tolist(), missing
    (['0601', '0604', '1001', None, None], ['1207'])
    """
    table = gb21010_codes()
    back = {row.code_2023: code for code, row in table[table["code_2023"] != ""].iterrows()}
    text = values.astype("string").str.strip()
    lookup: dict[str, str | None] = {}
    for code in text.dropna().unique():
        prefixes = [code[:k] for k in range(len(code), 1, -1)]
        lookup[str(code)] = next((back[c] for c in prefixes if c in back), None)
    out = text.map(lookup).astype(object)
    out = out.where(out.notna(), None)
    missing = sorted(c for c, v in lookup.items() if v is None and c)
    return out, missing
