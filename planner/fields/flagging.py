"""One finding for each row of a frame that fails a check (:func:`flag`), and the geometry checks every layer shares.

Each :class:`~planner.errors.Problem` names the feature by its id (or its input row) and the field, in
English and in Chinese. The package re-exports these; they sit below it so that it stays short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import Problem, ValidationError, feature_zh

__all__ = [
    "Message",
    "active_geometry",
    "check_geometry",
    "drop_z",
    "feature_ids",
    "flag",
    "geos_reason_zh",
    "problem_rows",
]

Message = str | Callable[[int], str]
"""A problem's text, or a function of the row position that writes it."""

_GEOM_ZH = {
    "LineString": "线（LineString）",
    "Point": "点（Point）",
    "Polygon or MultiPolygon": "面（Polygon 或 MultiPolygon）",
}


def feature_ids(df: pd.DataFrame, id_column: str) -> np.ndarray:
    """Ids as the text they are stored as, ``None`` where missing or blank (vectorised)."""
    return _ids(df, id_column)


def _ids(df: pd.DataFrame, id_column: str) -> np.ndarray:
    """Ids as the text they are stored as, ``None`` where missing or blank (vectorised)."""
    if id_column not in df.columns:
        return np.full(len(df), None, dtype=object)
    if len(df) == 1 and df[id_column].dtype == object:  # one row (an edit's): _texts' path for objects, unrolled
        value = df[id_column].iloc[0]
        text = None if pd.isna(value) else _text(value)
        return np.array([text or None], dtype=object)
    text = _texts(df[id_column])
    return text.where(text != "", None).to_numpy(dtype=object)


def _texts(values: pd.Series) -> pd.Series:
    """A column as stripped text (object dtype, ``None`` for missing); whole floats lose their ``.0``.

    String and number columns take a vectorised path; mixed object columns go value by value.
    """
    if pd.api.types.is_string_dtype(values) and values.dtype != object:
        return _objects(values.astype("string").str.strip())
    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        text = values.astype("string").str.replace(r"^(-?\d+)\.0$", r"\1", regex=True)
        return _objects(text)
    return _objects(values.astype(object).where(values.notna(), None).map(_text))


def _objects(values: pd.Series) -> pd.Series:
    """An object column with ``None`` (not NaN) for missing values."""
    values = values.astype(object)
    return values.where(values.notna(), None)


def _text(value: object) -> str | None:
    """A cell as text; a whole float such as ``100101.0`` (a code read as a number) as ``"100101"``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def flag(
    df: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    severity: str,
    field: str | None,
    message: Message,
    *,
    id_column: str = "parcel_id",
    what: str = "parcel",
    zh: Message | None = None,
) -> list[Problem]:
    """One :class:`Problem` for each row where ``mask`` holds, naming the ``what`` by its id and ``field``.

    ``message`` (English) and ``zh`` (Chinese) are texts, or functions of the row position that write them.
    """
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(rows):
        return []
    ids = _ids(df, id_column)
    return [
        Problem(
            severity,
            ids[pos],
            field,
            _written(message, int(pos)),
            row=int(pos),
            feature=what,
            zh=None if zh is None else _written(zh, int(pos)),
        )
        for pos in rows
    ]


def _written(message: Message, pos: int) -> str:
    """A message of :func:`flag` for the row at ``pos``: the text, or what the function writes."""
    return message(pos) if callable(message) else message


def problem_rows(problems: Iterable[Problem]) -> np.ndarray:
    """The input rows (positions) of ``problems``, for those that name one."""
    return np.array([p.row for p in problems if p.row is not None], dtype=np.int64)


_GEOS_ZH = {
    "Ring Self-intersection": "环自相交",
    "Self-intersection": "自相交",
    "Too few points": "点数过少",
    "Hole lies outside shell": "洞（内环）位于外环之外",
    "Nested holes": "洞相互嵌套",
    "Nested shells": "外环相互嵌套",
    "Interior is disconnected": "内部不连通",
    "Duplicate Rings": "环重复",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环未闭合",
}


def geos_reason_zh(reason: str) -> str:
    """GEOS's reason a shape is invalid, in Chinese: ``Self-intersection[1 2]`` → ``自相交（1 2）``."""
    name, _, where = reason.partition("[")
    zh = _GEOS_ZH.get(name.strip())
    if zh is None:
        return f"「{reason}」"
    return f"{zh}（{where.rstrip(']')}）" if where else zh


def check_geometry(
    df: gpd.GeoDataFrame,
    id_column: str,
    *,
    allowed: tuple[int, ...],
    type_text: str,
    what: str,
) -> list[Problem]:
    """Missing, empty, wrong-type, non-finite and invalid geometries, each reported by id and row."""
    geoms = df.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    present = ~missing & ~empty
    wrong = present & ~np.isin(shapely.get_type_id(geoms), allowed)
    finite = np.ones(len(df), dtype=bool)
    if present.any():
        coords, rows = shapely.get_coordinates(geoms[present], return_index=True)
        bad_rows = np.unique(rows[~np.isfinite(coords).all(axis=1)])
        finite[np.flatnonzero(present)[bad_rows]] = False
    invalid = present & ~wrong & finite
    invalid[invalid] = ~shapely.is_valid(geoms[invalid])

    def found(mask: np.ndarray, message: Message, zh: Message) -> list[Problem]:
        return flag(df, mask, "error", "geometry", message, id_column=id_column, what=what, zh=zh)

    what_zh = feature_zh(what)
    return [
        *found(missing, "the geometry is missing", "缺少图形"),
        *found(empty, "the geometry is empty", "图形为空"),
        *found(
            wrong,
            lambda p: f"a {what} must be a {type_text}, not a {geoms[p].geom_type}",
            lambda p: f"{what_zh}须为{_GEOM_ZH.get(type_text, type_text)}，不能是 {geoms[p].geom_type}",
        ),
        *found(present & ~finite, "the geometry has NaN or infinite coordinates", "图形坐标含 NaN 或无穷大"),
        *found(
            invalid,
            lambda p: f"the geometry is invalid: {shapely.is_valid_reason(geoms[p])}",
            lambda p: f"图形无效：{geos_reason_zh(shapely.is_valid_reason(geoms[p]))}",
        ),
    ]


def drop_z(df: gpd.GeoDataFrame, id_column: str, *, what: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Geometries made 2D; each one that had Z values is reported as a repair."""
    geoms = df.geometry.to_numpy()
    has_z = np.zeros(len(df), dtype=bool)
    present = ~shapely.is_missing(geoms)
    has_z[present] = shapely.has_z(geoms[present])
    if not has_z.any():
        return df, []
    problems = flag(
        df,
        has_z,
        "repair",
        "geometry",
        f"Z coordinates dropped; a {what} is 2D",
        id_column=id_column,
        what=what,
        zh=f"已去掉 Z 坐标：{feature_zh(what)}为二维图形",
    )
    geoms = geoms.copy()
    geoms[has_z] = shapely.force_2d(geoms[has_z])
    return df.set_geometry(gpd.GeoSeries(geoms, index=df.index, crs=df.crs)), problems


def active_geometry(df: object, *, what: str) -> gpd.GeoDataFrame:
    """``df`` as a GeoDataFrame whose geometry column is named ``geometry``.

    Raises
    ------
    ValidationError
        If ``df`` is not a GeoDataFrame or has no active geometry column.
    """
    if not isinstance(df, gpd.GeoDataFrame) or df._geometry_column_name not in df.columns:
        problem = Problem(
            "error",
            None,
            "geometry",
            "the input has no geometry column; give a GeoDataFrame with its geometry set (`set_geometry()`)",
            feature=what,
            zh="输入没有图形列：请给出已设定图形列的 GeoDataFrame（`set_geometry()`）",
        )
        raise ValidationError([problem], what=f"{what} input")
    frame: gpd.GeoDataFrame = df
    if frame.geometry.name != "geometry":
        frame = frame.rename_geometry("geometry")
    return frame.reset_index(drop=True)
