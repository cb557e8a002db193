"""planner.frames: rows spliced into a kept table, Arrow text in one chunk or in a few slices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.frames import _MAX_CHUNKS, one_chunk, spliced


def _chunks(series: pd.Series) -> int:
    return series.array.__arrow_array__().num_chunks


def _text(values: list[str | None]) -> pd.Series:
    return pd.Series(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def test_one_chunk_joins_the_chunks_concat_leaves():
    joined = pd.concat([pd.DataFrame({"t": _text(["a", None])}), pd.DataFrame({"t": _text(["c"])})], ignore_index=True)
    assert _chunks(joined["t"]) == 2
    out = one_chunk(joined)
    assert _chunks(out["t"]) == 1
    assert out["t"].dtype == joined["t"].dtype
    assert out["t"].tolist()[0] == "a" and pd.isna(out["t"].tolist()[1]) and out["t"].tolist()[2] == "c"
    assert one_chunk(out) is out  # one piece already: the frame as it is


def test_few_rows_spliced_from_slices_as_setting_them_gives():
    old = pd.DataFrame({"t": _text(["a", "b", "c", "d", "e"]), "x": [1.0, 2.0, 3.0, 4.0, 5.0]})
    part = pd.DataFrame({"t": _text(["B", None]), "x": [20.0, 50.0]})
    out = spliced(old, np.array([1, 4]), part)
    assert out is not None
    assert out["t"].tolist()[:4] == ["a", "B", "c", "d"] and pd.isna(out["t"].iloc[4])
    assert out["x"].tolist() == [1.0, 20.0, 3.0, 4.0, 50.0]
    assert out["t"].dtype == old["t"].dtype
    assert _chunks(out["t"]) == 4  # slices: "a" | "B" | "c", "d" | None (no text copied)
    assert old["t"].tolist() == ["a", "b", "c", "d", "e"]  # the old table is left as it was


def test_rows_spliced_again_and_again_are_joined_into_one_chunk_past_the_limit():
    """Each edit's slices are kept (no text copied) until they are more than ``_MAX_CHUNKS``, then joined."""
    n = 1000
    table = pd.DataFrame({"t": _text([f"o{i}" for i in range(n)])})
    expected = [f"o{i}" for i in range(n)]
    counts = []
    for edit, row in enumerate(range(7, n, 61)):  # 17 edits of one row each, none at either end
        out = spliced(table, np.array([row]), pd.DataFrame({"t": _text([f"e{edit}"])}))
        assert out is not None
        table, expected[row] = out, f"e{edit}"
        assert table["t"].tolist() == expected
        assert table["t"].take([row, 0, n - 1]).tolist() == [f"e{edit}", "o0", f"o{n - 1}"]
        counts.append(_chunks(table["t"]))
    assert counts[:15] == list(range(3, 33, 2))  # two more slices an edit: before, the row, after
    assert counts[15:] == [1, 3]  # 33 slices: joined; then slices again
    assert max(counts) <= _MAX_CHUNKS


def test_many_rows_spliced_in_one_chunk_in_any_order():
    n = 200
    old = pd.concat([pd.DataFrame({"t": _text([f"o{i}" for i in range(n // 2)])})] * 2, ignore_index=True)
    rows = np.arange(n - 1, -1, -2)  # descending, more than a few
    part = pd.DataFrame({"t": _text([f"n{r}" for r in rows])})
    out = spliced(old, rows, part)
    assert out is not None
    expected = [f"o{i % (n // 2)}" for i in range(n)]
    for r in rows:
        expected[r] = f"n{r}"
    assert out["t"].tolist() == expected and _chunks(out["t"]) == 1
