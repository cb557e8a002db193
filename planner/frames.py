"""Table helpers every layer may use: pandas frames handled the way the planner keeps them."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["spliced"]


def spliced(old: pd.DataFrame, rows: np.ndarray, part: pd.DataFrame) -> pd.DataFrame | None:
    """``old`` with its rows at positions ``rows`` replaced by those of ``part``; None if a column's dtype differs.

    Arrays that take a value per row cheaply (numpy, masked, object) are copied and set; text in Arrow
    (where setting rows rebuilds the array) is taken from the old and new values at once.
    """
    if list(part.columns) != list(old.columns) or not all(part.dtypes == old.dtypes):
        return None
    pick = None
    columns = {}
    for column in old.columns:
        before, values = old[column], part[column]
        if isinstance(before.dtype, pd.StringDtype) and before.dtype.storage == "pyarrow":
            if len(rows) < len(old) and _same_text(before.array.take(rows), values.array):
                # the rows hold the same text: the old array as it is (its Arrow data is never changed in place)
                columns[column] = pd.Series(before.array.copy(), index=old.index, dtype=before.dtype, copy=False)
                continue
            if pick is None:
                pick = np.arange(len(old))
                pick[rows] = len(old) + np.arange(len(rows))
            both = pd.concat([before.reset_index(drop=True), values.reset_index(drop=True)], ignore_index=True)
            array = both.array.take(pick)
        else:
            array = before.array.copy()
            array[rows] = values.array
        columns[column] = pd.Series(array, index=old.index, dtype=before.dtype, copy=False)
    return pd.DataFrame(columns, index=old.index)


def _same_text(a: pd.api.extensions.ExtensionArray, b: pd.api.extensions.ExtensionArray) -> bool:
    """Whether two text arrays of the same length hold the same values, missing where the other is missing."""
    missing = np.asarray(a.isna())
    if not np.array_equal(missing, np.asarray(b.isna())):
        return False
    same = np.asarray(pd.Series(a)[~missing].to_numpy(dtype=object) == pd.Series(b)[~missing].to_numpy(dtype=object))
    return bool(same.all())
