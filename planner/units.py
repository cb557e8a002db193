"""Area units used in Chinese land administration.

1 亩 (mu) = 10000/15 m² ≈ 666.67 m², 1 hectare (公顷) = 15 mu = 10 000 m².
Functions accept scalars or NumPy arrays and return the same shape.

>>> mu_to_m2(15)
10000.0
>>> m2_to_mu(666.6666666666666)
1.0
>>> hectare_to_mu(2)
30.0
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

__all__ = [
    "M2_PER_HECTARE",
    "M2_PER_MU",
    "MU_PER_HECTARE",
    "figures",
    "hectare_to_m2",
    "hectare_to_mu",
    "m2_to_hectare",
    "m2_to_mu",
    "mu_to_hectare",
    "mu_to_m2",
]

M2_PER_MU = 10000.0 / 15.0
"""Square metres in one 亩 (mu): exactly 10000/15."""
M2_PER_HECTARE = 10000.0
MU_PER_HECTARE = 15.0

Number = TypeVar("Number", float, np.ndarray)


def m2_to_mu(area_m2: Number) -> Number:
    """Square metres to mu (亩)."""
    return area_m2 / M2_PER_MU


def mu_to_m2(area_mu: Number) -> Number:
    """Mu (亩) to square metres."""
    return area_mu * M2_PER_MU


def m2_to_hectare(area_m2: Number) -> Number:
    """Square metres to hectares (公顷)."""
    return area_m2 / M2_PER_HECTARE


def hectare_to_m2(area_ha: Number) -> Number:
    """Hectares (公顷) to square metres."""
    return area_ha * M2_PER_HECTARE


def mu_to_hectare(area_mu: Number) -> Number:
    """Mu (亩) to hectares: 15 mu make a hectare."""
    return area_mu / MU_PER_HECTARE


def hectare_to_mu(area_ha: Number) -> Number:
    """Hectares to mu (亩)."""
    return area_ha * MU_PER_HECTARE


def figures(value: float, limit: float, *, decimals: int = 1) -> tuple[str, str]:
    """``value`` and ``limit`` as texts that never show a value different from its limit as the limit.

    The limit is written as it is set (``250``, ``0.8``, ``5,000``); the value with
    ``decimals`` decimals, or as many more as it takes (up to 6) for it not to read as
    the limit — a failing 249.99 is not shown as 250.0 beside a floor of 250.

    >>> figures(249.99, 250)
    ('249.99', '250')
    >>> figures(4999.6, 5000, decimals=0)
    ('4,999.6', '5,000')
    >>> figures(0.79, 0.8, decimals=2)
    ('0.79', '0.8')
    >>> figures(260.0, 250)
    ('260.0', '250')
    """
    shown_limit = _plain(limit)
    for d in range(decimals, 7):
        text = f"{value:,.{d}f}"
        if value == limit or float(text.replace(",", "")) != float(shown_limit.replace(",", "")):
            return text, shown_limit
    return f"{value:,.6f}", shown_limit


def _plain(number: float) -> str:
    """A set figure with the decimals it has (up to 6): ``250``, ``0.8``, ``5,000``, ``1.25``."""
    for d in range(7):
        if round(number, d) == round(number, 6):
            return f"{number:,.{d}f}"
    return f"{number:,.6f}"
