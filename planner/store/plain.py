"""The values of a plain edit read without pandas: texts and codes given as they are stored.

An edit of a parcel's holder, name or status (``PATCH /parcels/{id}``) is mostly text that needs
no reading: :func:`plain_values` returns it as :func:`planner.fields.check_columns` would
(stripped, a blank as missing, an allowed code as it is), in microseconds. Any other value
(a number, a date, a Chinese label read as its code, text a store cannot keep, a yes/no
value) returns None: the caller checks it with :func:`~planner.fields.check_columns`, whose
findings (each in English and Chinese) are the reference this path must agree with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from planner.inputs import text_fault
from planner.store.layers import LAYERS

__all__ = ["plain_values"]


def plain_values(parcel_id: object, changes: Mapping[str, Any]) -> pd.DataFrame | None:
    """The edited values (one row, canonical dtypes) if each is text needing no reading; else None.

    A value qualifies when its field is text (``str``), it is None or a ``str`` a store can keep,
    and, for a field of allowed values, it is missing or one of the codes as written. The id qualifies
    when it is such a text and not blank (:func:`~planner.fields.check_columns` finds nothing in it).
    """
    if not changes or not _keepable(parcel_id) or not str(parcel_id).strip():
        return None
    fields = LAYERS["parcels"].by_name
    values: dict[str, pd.Series] = {}
    for name, value in changes.items():
        f = fields[name]
        if f.kind != "str" or not (value is None or _keepable(value)):
            return None
        text = None if value is None else value.strip() or None
        if text is None and f.required:
            return None  # "a value is required": the reference says it
        if text is not None and f.allowed is not None and text not in f.allowed:
            return None  # a label read as its code (a repair), or a value refused: the reference says which
        values[name] = pd.Series([text], dtype=object)
    return pd.DataFrame(values)


def _keepable(value: object) -> bool:
    """A ``str`` with no NUL and no lone surrogate."""
    return isinstance(value, str) and text_fault(value) is None
