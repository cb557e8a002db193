"""The industry catalogue siting uses: names, land class, leading-industry names, needs, industry chain.

``data/industries.csv`` lists GB/T 4754-2017 codes with the section letter — every
manufacturing division (``C13`` … ``C43``), the classes parks often recruit
(``C3670`` automotive parts, ``C3841`` lithium-ion batteries, …), and logistics and
R&D divisions — each with:

- the industrial land class it needs: ``M1``/``M2``/``M3`` (一/二/三类工业用地,
  GB 50137-2011) or ``W1``–``W3`` (物流仓储用地);
- the 主导产业 names parks use for it (装备制造, 电子信息, 生物医药, 新材料, 新能源汽车, …);
- the networks beyond the usual ones it needs (``gas``, ``heat``);
- the divisions or classes of its industry chain (上下游), for the neighbour criterion.

A code not in the table takes the row of its longest listed prefix: ``C3660``
(a group's class) takes ``C36``. The land classes of divisions follow
``../shared/reference/manufacturing_divisions.csv`` (a planning judgement a project
may override with its own ``land_class``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from planner.codes import industry_code_problem
from planner.resources import data_path

__all__ = ["Industry", "catalogue", "industry", "land_class_of_use"]

_USE_CLASS = {
    "1001": "M",  # 工业用地 of unstated class (level 2, e.g. from 三调 0601): admitted, its class to be confirmed
    "100101": "M1",
    "100102": "M2",
    "100103": "M3",
    "110101": "W1",
    "110102": "W2",
    "110103": "W3",
}


@dataclass(frozen=True)
class Industry:
    """One industry code with what siting needs to know of it."""

    code: str
    name_zh: str
    name_en: str
    land_class: str
    leading: tuple[str, ...]
    needs: tuple[str, ...]
    chain: tuple[str, ...]
    listed_as: str
    """The catalogue row it came from (the code itself, or its longest listed prefix)."""

    @property
    def division(self) -> str:
        """The GB/T 4754 division of the industry (``C36``)."""
        return self.code[:3]


@lru_cache(maxsize=1)
def catalogue() -> pd.DataFrame:
    """The catalogue table, indexed by code."""
    table = pd.read_csv(data_path("industries.csv"), dtype=str, keep_default_na=False)
    return table.set_index("code")


def _split(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(";") if part)


def industry(code: str) -> Industry:
    """The catalogue entry of ``code`` (its own row, or its longest listed prefix).

    Raises ``ValueError`` naming the code when it is not a GB/T 4754-2017 code or no
    prefix of it is listed.

    >>> industry("C3660").land_class, industry("C3660").listed_as
    ('M2', 'C36')
    """
    problem = industry_code_problem(code)
    if problem:
        raise ValueError(problem)
    table = catalogue()
    for length in range(len(code), 2, -1):
        key = code[:length]
        if key in table.index:
            row = table.loc[key]
            return Industry(
                code=code,
                name_zh=row["name_zh"] if key == code else f"{row['name_zh']}（{code}）",
                name_en=row["name_en"],
                land_class=row["land_class"],
                leading=_split(row["leading"]),
                needs=_split(row["needs"]),
                chain=_split(row["chain"]),
                listed_as=key,
            )
    listed = sorted({c[0] for c in table.index})
    msg = (
        f"industry {code!r} is a valid GB/T 4754-2017 code but the siting catalogue (data/industries.csv) "
        f"lists no row for it or its division; listed sections: {', '.join(listed)}"
    )
    raise ValueError(msg)


def land_class_of_use(land_use: pd.Series) -> pd.Series:
    """The land class (``M1`` … ``W3``) of each land-use code, or ``""`` for other land.

    >>> land_class_of_use(pd.Series(["100102", "1101", "110101", "0701"])).tolist()
    ['M2', '', 'W1', '']
    """
    return land_use.astype(object).map(_USE_CLASS).fillna("").astype(object)
