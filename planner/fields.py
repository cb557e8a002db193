"""Typed columns and the checks every layer's input goes through.

A :class:`Field` names a column with its kind, unit, allowed values and labels;
:func:`check_columns` turns raw input (strings from a CSV, Chinese labels,
``"是"``/``"否"``) into canonical dtypes and reports, per row and field, what it
repaired and what it refused. The parcel layer (:mod:`planner.parcels.schema`)
and the infrastructure layers (:mod:`planner.infra.layers`) build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    import geopandas as gpd

from planner.errors import Problem

__all__ = [
    "KINDS",
    "ORIGINS",
    "UNITS",
    "Choices",
    "Field",
    "allowed_text",
    "check_columns",
    "check_geometry",
    "coerce_types",
    "dictionary_table",
    "dtype_of",
    "empty_frame",
    "flag",
    "id_at",
]

Choices = Mapping[str, tuple[str, str]]
"""Allowed codes, each with its Chinese and English label."""

UNITS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "m2": ("平方米", "m²"),
        "mu": ("亩", "mu"),
        "wan_yuan": ("万元", "10,000 yuan"),
        "kva": ("千伏安", "kVA"),
        "kv": ("千伏", "kV"),
        "m3/d": ("立方米/日", "m³/day"),
        "nm3/h": ("标准立方米/时", "Nm³/h"),
        "mw": ("兆瓦", "MW"),
        "ports": ("端口", "ports"),
        "mm": ("毫米", "mm"),
        "m": ("米", "m"),
        "m3": ("立方米", "m³"),
        "tce": ("吨标准煤", "t of standard coal"),
    }
)

KINDS = ("str", "float", "int", "bool", "date", "datetime", "geometry")
ORIGINS = ("input", "computed", "derived", "managed")

_DTYPES = {
    "str": object,
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns, UTC]",
}

_TRUE = {"true", "t", "yes", "y", "1", "1.0", "是", "有", "通", "已通", "√"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "否", "无", "未通", "×"}


@dataclass(frozen=True)
class Field:
    """One column of a layer.

    ``unit`` is a key of :data:`UNITS` (the name carries it too: ``area_mu``);
    ``allowed`` maps each allowed code to its Chinese and English labels;
    ``min_value`` is the least allowed number (0 for money and quantities).
    ``origin`` says where values come from: ``input`` (records), ``computed``
    (always computed by the planner, input replaced), ``derived`` (written by an
    analysis), ``managed`` (store bookkeeping).
    """

    name: str
    kind: str
    group: str
    label_zh: str
    label_en: str
    unit: str | None = None
    allowed: Choices | None = None
    min_value: float | None = None
    origin: str = "input"
    description: str = ""
    required: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"field {self.name}: kind {self.kind!r} is not one of {KINDS}"
            raise ValueError(msg)
        if self.origin not in ORIGINS:
            msg = f"field {self.name}: origin {self.origin!r} is not one of {ORIGINS}"
            raise ValueError(msg)
        if self.unit is not None and self.unit not in UNITS:
            msg = f"field {self.name}: unit {self.unit!r} is not one of {sorted(UNITS)}"
            raise ValueError(msg)

    def label(self, lang: str = "zh") -> str:
        """The column's label, with its unit, in Chinese (``zh``) or English (``en``)."""
        text = self.label_zh if lang == "zh" else self.label_en
        if self.unit:
            unit = UNITS[self.unit][0 if lang == "zh" else 1]
            text = f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"
        return text


def dtype_of(kind: str) -> object:
    """The canonical pandas dtype of a field kind (``"float"`` → ``float64``)."""
    return _DTYPES[kind]


def allowed_text(choices: Choices) -> str:
    """Allowed codes with their Chinese labels, for messages: ``planned (规划), reserved (储备)``."""
    return ", ".join(f"{code} ({labels[0]})" for code, labels in choices.items())


def empty_frame(fields: Iterable[Field]) -> pd.DataFrame:
    """An empty frame with every non-geometry field in its canonical dtype."""
    return pd.DataFrame({f.name: pd.Series(dtype=_DTYPES[f.kind]) for f in fields if f.kind != "geometry"})


def dictionary_table(fields: Iterable[Field], groups: Mapping[str, tuple[str, str]], lang: str = "zh") -> pd.DataFrame:
    """A field dictionary: name, label, kind, unit, allowed values, group, origin, description."""
    i = 0 if lang == "zh" else 1
    rows = []
    for f in fields:
        allowed = "; ".join(f"{code}={labels[i]}" for code, labels in f.allowed.items()) if f.allowed else ""
        rows.append(
            {
                "name": f.name,
                "label": f.label(lang),
                "kind": f.kind,
                "unit": UNITS[f.unit][i] if f.unit else "",
                "allowed": allowed,
                "min_value": f.min_value,
                "group": groups[f.group][i],
                "origin": f.origin,
                "description": f.description,
            }
        )
    return pd.DataFrame(rows)


def coerce_types(df: pd.DataFrame, fields: Mapping[str, Field]) -> pd.DataFrame:
    """Cast the columns of ``df`` named in ``fields`` to their canonical dtypes.

    Strings become ``object`` with ``None`` for missing, numbers ``float64``,
    integers ``Int64``, booleans ``boolean``, dates ``datetime64[ns]`` (midnight)
    and timestamps UTC. Values that cannot be cast raise; use
    :func:`check_columns` for input that may be bad.
    """
    out = df.copy()
    for name in out.columns:
        f = fields.get(name)
        if f is None or f.kind == "geometry":
            continue
        col = out[name]
        if f.kind == "str":
            values = col.astype(object)
            out[name] = values.where(pd.notna(values), None)
        elif f.kind in ("float", "int"):
            out[name] = pd.to_numeric(col).astype(_DTYPES[f.kind])
        elif f.kind == "bool":
            out[name] = col.astype("boolean")
        elif f.kind == "date":
            out[name] = pd.to_datetime(col).astype("datetime64[ns]").dt.normalize()
        elif f.kind == "datetime":
            out[name] = pd.to_datetime(col, utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    return out


def check_columns(
    df: pd.DataFrame,
    fields: Mapping[str, Field],
    *,
    id_column: str,
    what: str = "parcel",
) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse and check the attribute columns of ``df`` against ``fields``.

    Returns the frame with canonical dtypes and the problems found, each naming
    the feature (by ``id_column``, or the input row when the id is missing) and
    the field. Unparsable values are refused (``error``) and set to missing in
    the returned frame; allowed values given by their Chinese label are turned
    into their code (``repair``).
    """
    problems: list[Problem] = []
    out = df.copy()
    geometry_name = df.geometry.name if hasattr(df, "geometry") and "geometry" in df else None
    ids = _ids(df, id_column)

    def add(severity: str, rows: Iterable[int], field: str | None, message_of) -> None:
        for pos in rows:
            problems.append(Problem(severity, ids[pos], field, message_of(pos), row=pos))

    known = set(fields)
    unknown = [c for c in df.columns if c not in known and c != geometry_name]
    for col in unknown:
        allowed = ", ".join(f.name for f in fields.values() if f.origin == "input")
        problems.append(
            Problem(
                "error",
                None,
                col,
                f"`{col}` is not a column of the {what} layer; rename it to one of the schema's columns "
                f"({allowed}) or drop it",
                row=None,
            )
        )

    for name, f in fields.items():
        if f.kind == "geometry":
            continue
        if name not in out.columns:
            if f.required:
                problems.append(Problem("error", None, name, f"the required column `{name}` is missing"))
            continue
        raw = out[name]
        given = _given(raw)
        if f.kind == "str":
            parsed = _texts(raw.where(given))
            parsed = parsed.where(parsed != "", None)
            given = parsed.notna()
            if f.allowed is not None:
                parsed, bad, repaired = _choices(parsed, f.allowed)
                label_of = {labels[0]: code for code, labels in f.allowed.items()}
                add(
                    "repair",
                    np.flatnonzero(repaired),
                    name,
                    lambda p, raw=raw: (
                        f"{str(raw.iloc[p]).strip()!r} read as {label_of.get(str(raw.iloc[p]).strip())!r}"
                    ),
                )
                add(
                    "error",
                    np.flatnonzero(bad),
                    name,
                    lambda p, raw=raw, f=f: f"{raw.iloc[p]!r} is not allowed; allowed: {allowed_text(f.allowed)}",
                )
                parsed = _objects(parsed).where(~bad, None)
            out[name] = parsed
        elif f.kind in ("float", "int"):
            numbers = pd.to_numeric(raw.astype(object).where(given, None).map(_number_text), errors="coerce")
            numbers = numbers.astype("float64")
            bad = given & numbers.isna()
            add("error", np.flatnonzero(bad), name, lambda p, raw=raw: f"{raw.iloc[p]!r} is not a number")
            infinite = np.isinf(numbers.to_numpy())
            add("error", np.flatnonzero(infinite), name, lambda p: "the value is infinite")
            numbers[infinite] = np.nan
            if f.kind == "int":
                fractional = numbers.notna() & (numbers != np.round(numbers))
                add(
                    "error",
                    np.flatnonzero(fractional),
                    name,
                    lambda p, numbers=numbers: f"{numbers.iloc[p]} is not a whole number",
                )
                numbers[fractional] = np.nan
            if f.min_value is not None:
                low = numbers < f.min_value
                add(
                    "error",
                    np.flatnonzero(low),
                    name,
                    lambda p, numbers=numbers, f=f: (
                        f"{numbers.iloc[p]:g} is below the least allowed value {f.min_value:g}"
                        + (" (it cannot be negative)" if f.min_value == 0 else "")
                    ),
                )
                numbers[low] = np.nan
            out[name] = numbers.astype(_DTYPES[f.kind])
        elif f.kind == "bool":
            text = raw.astype(object).where(given, None).map(lambda v: None if v is None else str(v).strip().lower())
            parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
            parsed[text.isin(_TRUE).to_numpy()] = True
            parsed[text.isin(_FALSE).to_numpy()] = False
            bad = given & parsed.isna()
            add(
                "error",
                np.flatnonzero(bad),
                name,
                lambda p, raw=raw: f"{raw.iloc[p]!r} is not a yes/no value; use true/false (是/否)",
            )
            out[name] = parsed
        elif f.kind in ("date", "datetime"):
            parsed = _parse_dates(raw.where(given, None), utc=f.kind == "datetime")
            bad = given & parsed.isna()
            add(
                "error",
                np.flatnonzero(bad),
                name,
                lambda p, raw=raw: f"{raw.iloc[p]!r} is not a date; write it as YYYY-MM-DD",
            )
            out[name] = parsed
        if f.required:
            add("error", np.flatnonzero(~given.to_numpy()), name, lambda p: "a value is required")

    if id_column in out.columns:
        idv = out[id_column]
        dup = idv.notna() & idv.duplicated(keep=False)
        if dup.any():
            positions = pd.Series(np.arange(len(idv)))[dup.to_numpy()].groupby(idv[dup].to_numpy()).apply(list)
            for value, rows in positions.items():
                for pos in rows:
                    problems.append(
                        Problem(
                            "error",
                            value,
                            id_column,
                            f"{id_column} {value!r} appears {len(rows)} times "
                            f"(input rows {', '.join(map(str, rows))}); ids must be unique",
                            row=pos,
                        )
                    )
    return out, problems


def _ids(df: pd.DataFrame, id_column: str) -> np.ndarray:
    """Ids as stripped text, ``None`` where missing or blank (vectorised)."""
    if id_column not in df.columns:
        return np.full(len(df), None, dtype=object)
    text = df[id_column].astype("string").str.strip()
    text = text.where(text != "")
    return text.astype(object).where(text.notna(), None).to_numpy()


def _given(col: pd.Series) -> pd.Series:
    """Values present: not NA and not a blank string."""
    present = col.notna()
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        blank = col.astype("string").str.strip().eq("").fillna(False)
        present &= ~blank.to_numpy(dtype=bool)
    return present.astype(bool)


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


def _number_text(value: object) -> object:
    if isinstance(value, str):
        return value.strip().replace(",", "").replace("，", "")
    return value


def _choices(values: pd.Series, choices: Choices) -> tuple[pd.Series, pd.Series, pd.Series]:
    by_label = {labels[0]: code for code, labels in choices.items()}
    present = values.notna()
    is_code = values.isin(list(choices))
    is_label = values.isin(list(by_label))
    repaired = present & ~is_code & is_label
    bad = present & ~is_code & ~is_label
    values = values.where(~repaired, values.map(by_label))
    return values, bad.to_numpy(), repaired.to_numpy()


def _parse_dates(values: pd.Series, *, utc: bool) -> pd.Series:
    text = values.astype(object).map(
        lambda v: v if not isinstance(v, str) else v.strip().replace("年", "-").replace("月", "-").replace("日", "")
    )
    parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
    if utc:
        return parsed.astype("datetime64[ns, UTC]")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[ns]").dt.normalize()


def flag(
    df: pd.DataFrame,
    mask: np.ndarray | pd.Series,
    severity: str,
    field: str | None,
    message: str | Callable[[int], str],
    *,
    id_column: str = "parcel_id",
) -> list[Problem]:
    """One :class:`Problem` for each row where ``mask`` holds, naming the row's id and ``field``.

    ``message`` is a text, or a function of the row position that writes it.
    """
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(rows):
        return []
    ids = _ids(df, id_column)
    return [
        Problem(severity, ids[pos], field, message(int(pos)) if callable(message) else message, row=int(pos))
        for pos in rows
    ]


def id_at(df: pd.DataFrame, id_column: str, pos: int) -> str | None:
    """The id of the feature at row ``pos``, or ``None``."""
    if id_column not in df:
        return None
    value = df[id_column].iloc[pos]
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def check_geometry(
    df: gpd.GeoDataFrame,
    id_column: str,
    *,
    allowed: tuple[int, ...],
    type_text: str,
    what: str,
) -> list[Problem]:
    """Missing, empty, wrong-type, non-finite and invalid geometries, each reported by id and row."""
    problems = []
    geoms = df.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    wrong = ~missing & ~empty & ~np.isin(types, allowed)
    coords_ok = np.ones(len(df), dtype=bool)
    present = ~missing & ~empty
    if present.any():
        coords, rows = shapely.get_coordinates(geoms[present], return_index=True)
        bad_rows = np.unique(rows[~np.isfinite(coords).all(axis=1)])
        coords_ok[np.flatnonzero(present)[bad_rows]] = False
    invalid = present & ~wrong & coords_ok & ~shapely.is_valid(geoms)
    for pos in np.flatnonzero(missing):
        problems.append(
            Problem("error", id_at(df, id_column, pos), "geometry", "the geometry is missing", row=int(pos))
        )
    for pos in np.flatnonzero(empty):
        problems.append(Problem("error", id_at(df, id_column, pos), "geometry", "the geometry is empty", row=int(pos)))
    for pos in np.flatnonzero(wrong):
        problems.append(
            Problem(
                "error",
                id_at(df, id_column, pos),
                "geometry",
                f"a {what} must be a {type_text}, not a {geoms[pos].geom_type}",
                row=int(pos),
            )
        )
    for pos in np.flatnonzero(present & ~coords_ok):
        problems.append(
            Problem(
                "error",
                id_at(df, id_column, pos),
                "geometry",
                "the geometry has NaN or infinite coordinates",
                row=int(pos),
            )
        )
    for pos in np.flatnonzero(invalid):
        problems.append(
            Problem(
                "error",
                id_at(df, id_column, pos),
                "geometry",
                f"the geometry is invalid: {shapely.is_valid_reason(geoms[pos])}",
                row=int(pos),
            )
        )
    return problems
