"""Table helpers every layer may use: pandas frames handled the way the planner keeps them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["one_chunk", "spliced"]


def one_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the Arrow data of each column in one piece (the same frame if it is so already).

    ``pd.concat`` leaves Arrow columns in several chunks, and taking a few rows from chunked Arrow
    text costs some twenty times what it costs from one array (a table of 100,000 rows kept
    from run to run is taken from at every edit; see :data:`_MAX_CHUNKS`).
    """
    pieces = {
        column: _combined(frame[column].array)
        for column in frame.columns
        if _is_arrow(frame[column].dtype) and frame[column].array.__arrow_array__().num_chunks > 1
    }
    if not pieces:
        return frame
    out = frame.copy(deep=False)
    for column, array in pieces.items():
        out[column] = pd.Series(array, index=frame.index, dtype=frame[column].dtype, copy=False)
    return out


def by_parcel(table: pd.DataFrame, columns: list[str] | tuple[str, ...], rows: pd.DataFrame) -> pd.DataFrame:
    """``table``'s ``columns`` (indexed by ``parcel_id``) for each of ``rows``' parcels, on ``rows``' index."""
    return table[list(columns)].reindex(rows["parcel_id"]).set_axis(rows.index)


def _is_arrow(dtype: object) -> bool:
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def _combined(array: pd.api.extensions.ExtensionArray) -> pd.api.extensions.ExtensionArray:
    """Arrow text ``array`` in one chunk."""
    return pd.array(pa.chunked_array([array.__arrow_array__().combine_chunks()]), dtype=array.dtype)


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
        if _is_arrow(before.dtype):
            if len(rows) < len(old) and _same_text(before.array.take(rows), values.array):
                # the rows hold the same text: the old array as it is (its Arrow data is never changed in place)
                columns[column] = pd.Series(before.array.copy(), index=old.index, dtype=before.dtype, copy=False)
                continue
            if len(rows) <= _FEW_ROWS and bool(np.all(np.diff(rows) > 0)):
                array = _patched(before.array, rows, values.array)
            else:
                if pick is None:
                    pick = np.arange(len(old))
                    pick[rows] = len(old) + np.arange(len(rows))
                both = pd.concat([before.reset_index(drop=True), values.reset_index(drop=True)], ignore_index=True)
                array = _combined(both.array).take(pick)
        else:
            array = before.array.copy()
            array[rows] = values.array
        columns[column] = pd.Series(array, index=old.index, dtype=before.dtype, copy=False)
    return pd.DataFrame(columns, index=old.index)


_FEW_ROWS = 64
"""Up to this many rows, Arrow text is spliced from slices of the old and new arrays, not taken row by row."""


_MAX_CHUNKS = 32
"""Arrow text spliced from slices is kept in its slices up to this many chunks, then joined into one. Measured
(pyarrow 26, 100,000 rows): taking 10 rows from 65 chunks costs 0.7 ms, from one 0.03 ms; joining a column of
reasons into one inside a readiness run after a parcel edit cost 20 ms, 17 columns 0.35 s of a 0.65 s run."""


def _patched(
    old: pd.api.extensions.ExtensionArray, rows: np.ndarray, new: pd.api.extensions.ExtensionArray
) -> pd.api.extensions.ExtensionArray:
    """Arrow text ``old`` with the values at positions ``rows`` (ascending) those of ``new``: slices of the two, no
    text copied, joined into one chunk once they are more than :data:`_MAX_CHUNKS`."""
    before = old.__arrow_array__()
    after = new.__arrow_array__().cast(before.type)
    pieces, start = [], 0
    for k, row in enumerate(rows.tolist()):
        pieces += [*before.slice(start, row - start).chunks, *after.slice(k, 1).chunks]
        start = row + 1
    pieces += before.slice(start).chunks
    pieces = [piece for piece in pieces if len(piece)]
    if len(pieces) > _MAX_CHUNKS:
        pieces = [pa.concat_arrays(pieces)]
    return pd.array(pa.chunked_array(pieces, type=before.type), dtype=old.dtype)


def _same_text(a: pd.api.extensions.ExtensionArray, b: pd.api.extensions.ExtensionArray) -> bool:
    """Whether two text arrays of the same length hold the same values, missing where the other is missing."""
    missing = np.asarray(a.isna())
    if not np.array_equal(missing, np.asarray(b.isna())):
        return False
    same = np.asarray(pd.Series(a)[~missing].to_numpy(dtype=object) == pd.Series(b)[~missing].to_numpy(dtype=object))
    return bool(same.all())
