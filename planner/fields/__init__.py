"""Typed columns and the checks every layer's input goes through.

A :class:`Field` names a column with its kind, unit, allowed values and labels;
:func:`check_columns` turns raw input (strings from a CSV, Chinese labels,
``"是"``/``"否"``) into canonical dtypes and reports, per row and field, what it
repaired and what it refused. The parcel layer (:mod:`planner.parcels.schema`)
and the infrastructure layers (:mod:`planner.infra.layers`) build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from types import MappingProxyType

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import Problem, feature_zh
from planner.fields.flagging import (
    Message,
    _ids,
    _objects,
    _texts,
    active_geometry,
    check_geometry,
    drop_z,
    feature_ids,
    flag,
    problem_rows,
)
from planner.inputs import PLAUSIBLE, bad_text, flag_fault, is_flag, plausible_why, text_fault
from planner.vocab import Choices

__all__ = [
    "KINDS",
    "ORIGINS",
    "UNITS",
    "Field",
    "active_geometry",
    "allowed_text",
    "check_columns",
    "check_geometry",
    "coerce_types",
    "dictionary_table",
    "drop_z",
    "dtype_of",
    "empty_frame",
    "feature_ids",
    "flag",
    "parse_date",
    "problem_rows",
]

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
        "kn/m2": ("千牛/平方米", "kN/m²"),
        "pct": ("%", "%"),
    }
)

KINDS = ("str", "float", "int", "bool", "date", "datetime", "geometry")
ORIGINS = ("input", "computed", "derived", "managed")

_DTYPES: Mapping[str, str | type] = {
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
    ``min_value`` is the least allowed number (0 for money and quantities), ``max_value`` the
    largest (by default the plausible bound of the unit, :data:`planner.inputs.PLAUSIBLE`).
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
    max_value: float | None = None
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

    @property
    def most(self) -> float | None:
        """The largest value an input may give: ``max_value``, else the plausible bound of the unit."""
        if self.max_value is not None:
            return self.max_value
        return PLAUSIBLE[self.unit].most if self.unit is not None and self.unit in PLAUSIBLE else None

    def allowed_range(self, lang: str = "en") -> str:
        """The numbers allowed, for messages: ``0 to 10,000,000 kVA (10,000 MVA, …)``, in ``lang``."""
        unit = f" {UNITS[self.unit][0 if lang == 'zh' else 1]}" if self.unit else ""
        plausible = PLAUSIBLE.get(self.unit or "")
        if self.max_value is not None or plausible is None:
            why = ""
        else:
            why = f"（{plausible_why(self.unit or '', 'zh')}）" if lang == "zh" else f" ({plausible.why})"
        joint = " 至 " if lang == "zh" else " to "
        return f"{self.min_value or 0:,g}{joint}{self.most:,.0f}{unit}{why}"

    def label(self, lang: str = "zh") -> str:
        """The column's label, with its unit, in Chinese (``zh``) or English (``en``)."""
        text = self.label_zh if lang == "zh" else self.label_en
        if self.unit:
            unit = UNITS[self.unit][0 if lang == "zh" else 1]
            text = f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})"
        return text


def dtype_of(kind: str) -> str | type:
    """The canonical pandas dtype of a field kind (``"float"`` → ``float64``)."""
    return _DTYPES[kind]


def allowed_text(choices: Choices, lang: str = "en") -> str:
    """Allowed codes with their Chinese labels, for messages: ``planned (规划), reserved (储备)``; in Chinese
    ``规划（planned）、储备（reserved）``."""
    if lang == "zh":
        return "、".join(f"{labels[0]}（{code}）" for code, labels in choices.items())
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
                "max_value": f.most,
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
    the feature (``what`` and its id from ``id_column``, or its input row when
    the id is missing) and the field. Unparsable values are refused (``error``)
    and set to missing in the returned frame; allowed values given by their
    Chinese label are turned into their code (``repair``).
    """
    found = _Found(df, id_column, what)
    out = df.copy()
    geometry_name = df.geometry.name if isinstance(df, gpd.GeoDataFrame) and df._geometry_column_name in df else None
    inputs = ", ".join(f.name for f in fields.values() if f.origin == "input")
    for col in [c for c in df.columns if c not in fields and c != geometry_name]:
        message = (
            f"`{col}` is not a column of the {what} layer; rename it to "
            f"one of the schema's columns ({inputs}) or drop it"
        )
        names = "、".join(f"`{f.name}`" for f in fields.values() if f.origin == "input")
        zh = f"`{col}` 不是{feature_zh(what)}图层的字段：请改为规定的字段之一（{names}）或删去"
        found.problems.append(Problem("error", None, str(col), message, feature=what, zh=zh))
    for name, f in fields.items():
        if f.kind == "geometry":
            continue
        if name not in out.columns:
            if f.required:
                message, zh = f"the required column `{name}` is missing", f"缺少必填字段 `{name}`"
                found.problems.append(Problem("error", None, name, message, feature=what, zh=zh))
            continue
        out[name] = _check_field(out[name], f, found)
    if id_column in out.columns:
        _check_unique_ids(out, id_column, found)
    return out, found.problems


@dataclass
class _Found:
    """The problems :func:`check_columns` finds, each naming the feature of ``df`` by its id."""

    df: pd.DataFrame
    id_column: str
    what: str
    problems: list[Problem] = dataclass_field(default_factory=list)

    def add(
        self, mask: np.ndarray | pd.Series, severity: str, field: str, message: Message, zh: Message | None = None
    ) -> None:
        """One problem for each row where ``mask`` holds."""
        self.problems.extend(
            flag(self.df, mask, severity, field, message, id_column=self.id_column, what=self.what, zh=zh)
        )


def _check_field(raw: pd.Series, f: Field, found: _Found) -> pd.Series:
    """One column parsed to the field's kind; the values refused are reported and left missing."""
    shown = raw.astype(object).to_numpy()
    raw = _refuse_unstorable(raw, shown, f, found)
    given = _given(raw)
    if raw.dtype == object and len(raw):  # a list or an object (from JSON) is no single value
        compound = np.fromiter((isinstance(v, dict | list | tuple | set) for v in shown), bool, len(shown))
        if compound.any():
            found.add(
                compound,
                "error",
                f.name,
                lambda p: f"a {type(shown[p]).__name__} is not a single value; give one {f.kind} value",
                lambda p: f"{type(shown[p]).__name__} 不是单个值：请填写一个{_KIND_ZH.get(f.kind, f.kind)}",
            )
            raw = raw.where(~compound, None)
            given = given & ~compound
    if f.kind == "str":
        parsed, given = _check_text(raw, given, shown, f, found)
    elif f.kind in ("float", "int"):
        parsed = _check_number(raw, given, shown, f, found)
    elif f.kind == "bool":
        parsed = _check_bool(raw, given, shown, f, found)
    else:  # date, datetime
        parsed = _parse_dates(raw.where(given, None), utc=f.kind == "datetime")
        found.add(
            given & parsed.isna(),
            "error",
            f.name,
            lambda p: f"{shown[p]!r} is not a date between {_FIRST_YEAR} and {_LAST_YEAR}; write it as YYYY-MM-DD",
            lambda p: f"{shown[p]!r} 不是 {_FIRST_YEAR} 至 {_LAST_YEAR} 年间的日期：请写作 YYYY-MM-DD",
        )
    if f.required:
        found.add(~given.to_numpy(dtype=bool), "error", f.name, "a value is required", "此项必填")
    return parsed


def _refuse_unstorable(raw: pd.Series, shown: np.ndarray, f: Field, found: _Found) -> pd.Series:
    """Text with a NUL or a lone surrogate, and yes/no values for a field that is not yes/no: refused, left missing."""
    bad = bad_text(raw)
    found.add(bad, "error", f.name, lambda p: str(text_fault(shown[p])), lambda p: str(text_fault(str(shown[p]), "zh")))
    flags = is_flag(raw) if f.kind != "bool" else np.zeros(len(raw), dtype=bool)
    found.add(
        flags, "error", f.name, lambda p: flag_fault(shown[p], f.kind), lambda p: flag_fault(shown[p], f.kind, "zh")
    )
    return raw.astype(object).where(~(bad | flags), None) if bad.any() or flags.any() else raw


def _check_text(
    raw: pd.Series, given: pd.Series, shown: np.ndarray, f: Field, found: _Found
) -> tuple[pd.Series, pd.Series]:
    """A text column: Chinese labels of allowed values read as their codes (NUL was refused before).

    Returns the parsed column and which values are given (an empty text is not).
    """
    parsed = _texts(raw.where(given))
    parsed = parsed.where(parsed != "", None)
    given = parsed.notna()
    allowed = f.allowed
    if allowed is not None:
        codes, bad, repaired = _choices(parsed, allowed)
        before = parsed.to_numpy(dtype=object)
        after = codes.to_numpy(dtype=object)
        found.add(
            repaired,
            "repair",
            f.name,
            lambda p: f"{before[p]!r} read as {after[p]!r}",
            lambda p: f"{before[p]!r} 读作 {after[p]!r}",
        )
        found.add(
            bad,
            "error",
            f.name,
            lambda p: f"{shown[p]!r} is not allowed; allowed: {allowed_text(allowed)}",
            lambda p: f"{shown[p]!r} 不是允许的值；允许：{allowed_text(allowed, 'zh')}",
        )
        parsed = _objects(codes).where(~bad, None)
    return parsed, given


def _check_number(raw: pd.Series, given: pd.Series, shown: np.ndarray, f: Field, found: _Found) -> pd.Series:
    """A number column: text that is no number, infinities, fractions of an integer and values below the least."""
    numbers = pd.to_numeric(raw.astype(object).where(given, None).map(_number_text), errors="coerce")
    numbers = numbers.astype("float64")
    values = numbers.to_numpy()
    found.add(
        given & numbers.isna(),
        "error",
        f.name,
        lambda p: f"{shown[p]!r} is not a number",
        lambda p: f"{shown[p]!r} 不是数字",
    )
    infinite = np.isinf(values)
    found.add(infinite, "error", f.name, "the value is infinite", "数值为无穷大")
    numbers[infinite] = np.nan
    if f.kind == "int":
        fractional = (numbers.notna() & (numbers != np.round(numbers))).to_numpy()
        found.add(
            fractional,
            "error",
            f.name,
            lambda p: f"{values[p]} is not a whole number",
            lambda p: f"{values[p]} 不是整数",
        )
        numbers[fractional] = np.nan
    least = f.min_value
    if least is not None:
        low = (numbers < least).to_numpy()
        hint = " (it cannot be negative)" if least == 0 else ""
        hint_zh = "（不能为负数）" if least == 0 else ""
        found.add(
            low,
            "error",
            f.name,
            lambda p: f"{values[p]:g} is below the least allowed value {least:g}{hint}",
            lambda p: f"{values[p]:g} 小于允许的最小值 {least:g}{hint_zh}",
        )
        numbers[low] = np.nan
    most = f.most if f.origin == "input" else None
    if most is not None:  # computed and derived values are the planner's own, not input
        high = (numbers > most).to_numpy()
        found.add(
            high,
            "error",
            f.name,
            lambda p: f"{values[p]:g} is not plausible; allowed: {f.allowed_range()}",
            lambda p: f"{values[p]:g} 不合常理；允许：{f.allowed_range('zh')}",
        )
        numbers[high] = np.nan
    return numbers.astype(_DTYPES[f.kind])


def _check_bool(raw: pd.Series, given: pd.Series, shown: np.ndarray, f: Field, found: _Found) -> pd.Series:
    """A yes/no column: ``true``/``false`` and their Chinese and short forms (``是``/``否``, ``y``/``n``)."""
    text = _texts(raw.where(given)).str.lower()
    parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    parsed[text.isin(_TRUE).to_numpy()] = True
    parsed[text.isin(_FALSE).to_numpy()] = False
    found.add(
        given & parsed.isna(),
        "error",
        f.name,
        lambda p: f"{shown[p]!r} is not a yes/no value; use true/false (是/否)",
        lambda p: f"{shown[p]!r} 不是“是/否”值：请填写 是/否（true/false）",
    )
    return parsed


def _check_unique_ids(out: pd.DataFrame, id_column: str, found: _Found) -> None:
    """Ids that appear more than once, each reported with the input rows that share it."""
    ids = pd.Series(_ids(out, id_column))
    dup = (ids.notna() & ids.duplicated(keep=False)).to_numpy()
    rows_of = pd.Series(np.arange(len(ids)))[dup].groupby(ids[dup].to_numpy()).apply(list).to_dict()
    found.add(
        dup,
        "error",
        id_column,
        lambda p: (
            f"{id_column} {ids[p]!r} appears {len(rows_of[ids[p]])} times "
            f"(input rows {', '.join(map(str, rows_of[ids[p]]))}); ids must be unique"
        ),
        lambda p: (
            f"`{id_column}` {ids[p]!r} 出现 {len(rows_of[ids[p]])} 次"
            f"（输入第 {'、'.join(map(str, rows_of[ids[p]]))} 行）：编号须唯一"
        ),
    )


def _given(col: pd.Series) -> pd.Series:
    """Values present: not NA and not a blank string."""
    present = col.notna()
    if col.dtype == object or pd.api.types.is_string_dtype(col):
        blank = col.astype("string").str.strip().eq("").fillna(False)
        present &= ~blank.to_numpy(dtype=bool)
    return present.astype(bool)


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


_FIRST_YEAR, _LAST_YEAR = 1900, 2200
_KIND_ZH = {"str": "文本", "float": "数字", "int": "整数", "date": "日期", "datetime": "时间", "bool": "是/否值"}
_DATE_TEXT = r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"


def _parse_dates(values: pd.Series, *, utc: bool) -> pd.Series:
    """Dates from ISO text (``2024-06-30``, ``2024/6/30``, ``2024年6月30日``) or date objects.

    Numbers (an Excel serial, ``20200105``) and day-first or month-first text
    (``05/01/2020``) are ambiguous and become missing, as do dates outside
    1900–2200; the caller reports them.
    """
    obj = values.astype(object)
    is_text = obj.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    is_number = obj.map(lambda v: isinstance(v, (int, float, np.number)) and not isinstance(v, bool)).to_numpy(
        dtype=bool
    )
    text = pd.Series(obj.where(is_text, None), dtype="string").str.strip()
    text = text.str.replace("年", "-").str.replace("月", "-").str.replace("日", "")
    iso = text.str.match(_DATE_TEXT).fillna(False).to_numpy(dtype=bool)
    keep = obj.where(~is_number & ~is_text, None)
    keep[iso] = text[iso].astype(object).to_numpy()
    parsed = pd.to_datetime(keep, errors="coerce", format="mixed", utc=True)
    plausible = (parsed >= pd.Timestamp(f"{_FIRST_YEAR}-01-01", tz="UTC")) & (
        parsed < pd.Timestamp(f"{_LAST_YEAR + 1}-01-01", tz="UTC")
    )
    parsed = parsed.where(plausible)
    if utc:
        return parsed.astype("datetime64[ns, UTC]")
    return parsed.dt.tz_localize(None).astype("datetime64[ns]").dt.normalize()


def parse_date(value: object) -> date:
    """One date from ISO or Chinese text (``2027-03-01``, ``2027年3月1日``) or a date; ``ValueError`` otherwise.

    >>> parse_date("2027年3月1日")
    datetime.date(2027, 3, 1)
    """
    parsed = _parse_dates(pd.Series([value], dtype=object), utc=False).iloc[0]
    if pd.isna(parsed):
        msg = f"{value!r} is not a date between {_FIRST_YEAR} and {_LAST_YEAR} written year first"
        raise ValueError(msg)
    return parsed.date()
