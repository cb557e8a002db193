"""Field mapping: foreign column names onto a layer's schema.

Columns are recognised without a mapping file when they carry a schema name
(``parcel_id``), its Chinese or English label with or without unit
(``宗地代码``, ``宗地面积（亩）``), or the short Shapefile name the exports write
(:func:`shapefile_names`). Anything else needs a mapping file, JSON or YAML::

    columns:            # source column: schema column
      DKBH: parcel_id
      DKMC: name
      YDXZ: land_use
    values:             # optional: source value → stored value, per schema column
      status: {储备地: reserved, 已出让: supplied}
    defaults:           # optional: a value for every feature where the column is missing or empty
      status: reserved  # (a column the file lacks: for new features only; stored ones keep theirs)

Columns the schema does not know are left out of the import and each is reported;
bookkeeping columns (``version``, ``updated_at``, ``updated_by``) are the store's and
are left out too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

from planner.errors import Problem, feature_zh
from planner.exchange.shp_fields import SHAPEFILE_FIELDS
from planner.fields import Field
from planner.parcels.schema import FIELD_BY_NAME as PARCEL_FIELDS

__all__ = ["FieldMapping", "apply_mapping", "cut_shapefile_names", "known_names", "load_mapping", "shapefile_names"]

_SHAPEFILE_FIELD_BYTES = 10
SHAPEFILE_ENCODING = "GB18030"
"""Shapefiles are written in GB18030 (with a .cpg): GBK for every GBK character, and lossless for the rest (m³)."""


@dataclass
class FieldMapping:
    """Source column → schema column, value maps and defaults."""

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)


def load_mapping(path: Path) -> tuple[FieldMapping | None, list[Problem]]:
    """Read a mapping file (``.json``, ``.yaml``/``.yml``); problems name the file and the key."""
    feature = f"mapping file {path.name!r}"

    def bad(msg: str, zh: str) -> tuple[None, list[Problem]]:
        return None, [Problem("error", None, None, msg, feature=feature, zh=zh)]

    if not path.is_file():
        return bad("does not exist", "不存在")
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    try:
        data = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except Exception as exc:  # YAML and JSON raise different types; both are named
        why = " ".join(str(exc).split())[:200]
        return bad(f"cannot be parsed: {why}", f"无法解析：「{why}」")
    if not isinstance(data, dict):
        return bad(
            "must be a mapping with the keys columns, values, defaults",
            "须为含 `columns`、`values`、`defaults` 键的映射",
        )
    unknown = sorted(set(data) - {"columns", "values", "defaults"})
    if unknown:
        return bad(
            f"has unknown key(s) {', '.join(unknown)}; allowed: columns, values, defaults",
            f"含未知的键 {'、'.join(f'`{k}`' for k in unknown)}；允许：`columns`、`values`、`defaults`",
        )
    columns = data.get("columns") or {}
    values = data.get("values") or {}
    defaults = data.get("defaults") or {}
    for key, item in (("columns", columns), ("values", values), ("defaults", defaults)):
        if not isinstance(item, dict):
            return bad(
                f"`{key}` must be a mapping, not {type(item).__name__}",
                f"`{key}` 须为映射，不能是 {type(item).__name__}",
            )
    if not all(isinstance(v, str) for v in columns.values()):
        return bad(
            "`columns` maps source column names to schema column names (texts)",
            "`columns` 应将文件的字段名对应到规定的字段名（文本）",
        )
    if not all(isinstance(v, dict) for v in values.values()):
        return bad(
            "`values` maps a schema column to a table of source value → stored value",
            "`values` 应为每个规定字段给出“文件中的值 → 存储的值”对照表",
        )
    return (
        FieldMapping(
            {str(k): v for k, v in columns.items()},
            {str(k): {str(a): b for a, b in v.items()} for k, v in values.items()},
            {str(k): v for k, v in defaults.items()},
        ),
        [],
    )


def shapefile_names(fields: Iterable[Field]) -> dict[str, str]:
    """Short Chinese column names for Shapefiles (at most 10 bytes, 2 per Chinese character), unique and stable.

    A parcel column takes its name from the documented table
    :data:`~planner.exchange.shp_fields.SHAPEFILE_FIELDS` (whole words with their units);
    any other column the names of :func:`cut_shapefile_names`.

    >>> from planner.parcels.schema import FIELDS
    >>> names = shapefile_names(FIELDS)
    >>> names["parcel_id"], names["area_m2"], names["area_mu"], names["declared_road"]
    ('宗地代码', '宗地面积m2', '宗地面积亩', '通路登记')
    """
    fields = [f for f in fields if f.kind != "geometry"]
    cut = cut_shapefile_names(fields)
    out: dict[str, str] = {}
    for f in fields:
        tabled = SHAPEFILE_FIELDS.get(f.name) if PARCEL_FIELDS.get(f.name) is f else None
        out[f.name] = tabled if tabled is not None and tabled not in out.values() else cut[f.name]
    return out


def cut_shapefile_names(fields: Iterable[Field]) -> dict[str, str]:
    """The names exports wrote before the table (still read on import): labels cut to 10 bytes.

    The Chinese label without unit and brackets, cut to 10 bytes; if that name is taken,
    the label with its unit; then a number at the end.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for f in fields:
        if f.kind == "geometry":
            continue
        plain = _cut(f.label_zh.replace("（", "").replace("）", ""))
        with_unit = _cut(f.label("zh").replace("（", "").replace("）", ""))
        candidates = [plain, with_unit]
        k = 2
        while all(c in used for c in candidates):
            suffix = str(k)
            candidates.append(_cut(plain, _SHAPEFILE_FIELD_BYTES - len(suffix)) + suffix)
            k += 1
        name = next(c for c in candidates if c not in used)
        out[f.name] = name
        used.add(name)
    return out


def _cut(text: str, limit: int = _SHAPEFILE_FIELD_BYTES) -> str:
    while len(text.encode(SHAPEFILE_ENCODING)) > limit:
        text = text[:-1]
    return text


def known_names(fields: Iterable[Field]) -> dict[str, str]:
    """Every name a column of ``fields`` is recognised by → the schema name."""
    fields = [f for f in fields if f.kind != "geometry"]
    out: dict[str, str] = {}
    plain_count = pd.Series([f.label_zh for f in fields]).value_counts()
    for old, f in zip(cut_shapefile_names(fields).values(), fields, strict=True):
        out[old] = f.name
    for short, f in zip(shapefile_names(fields).values(), fields, strict=True):
        out[short] = f.name
    for f in fields:
        out[f.label("en")] = f.name
        if plain_count[f.label_zh] == 1:
            out[f.label_zh] = f.name
        out[f.label("zh")] = f.name
    for f in fields:
        out[f.name] = f.name
    return out


_BOOKKEEPING = ("version", "updated_at", "updated_by")


class _Notes:
    """What the mapping found, each naming the layer (``what``) and the column."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.problems: list[Problem] = []

    def __call__(self, severity: str, column: str | None, msg: str, zh: str) -> None:
        self.problems.append(Problem(severity, None, column, msg, feature=self.what, zh=zh))


def apply_mapping(
    frame: gpd.GeoDataFrame,
    fields: Iterable[Field],
    mapping: FieldMapping | None,
    *,
    what: str,
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Rename the columns of ``frame`` onto the schema of ``fields``; leave out and report the rest."""
    fields = list(fields)
    schema = {f.name: f for f in fields if f.kind != "geometry"}
    note = _Notes(what)
    mapping = mapping or FieldMapping()
    geometry = frame.geometry.name
    rename = _renames(frame, schema, known_names(fields), mapping, note)
    dropped = [c for c in frame.columns if c != geometry and c not in rename]
    out = frame[[*rename, geometry]].rename(columns=rename)
    for column in dropped:
        if column in _BOOKKEEPING:
            note(
                "warning",
                str(column),
                f"`{column}` is kept by the store; the file's values were not imported",
                f"`{column}` 由数据库维护：文件中的值未导入",
            )
        else:
            note(
                "warning",
                str(column),
                f"`{column}` is not a column of the {what} layer and was not imported; "
                "map it with a field-mapping file (--mapping) to keep it",
                f"`{column}` 不是{feature_zh(what)}图层的字段，未导入：如需保留，请用字段对照文件（--mapping）对应",
            )
    _translate_values(out, mapping, note)
    _fill_defaults(out, schema, mapping, note)
    result = gpd.GeoDataFrame(out, geometry=geometry, crs=frame.crs)
    # columns only a mapping default supplies: the importer gives them to new features only
    result.attrs["defaults_only"] = [t for t in mapping.defaults if t in schema and t not in rename.values()]
    return result, note.problems


def _renames(
    frame: gpd.GeoDataFrame, schema: dict[str, Field], names: dict[str, str], mapping: FieldMapping, note: _Notes
) -> dict[str, str]:
    """Source column → schema column: the mapping file's first, then the names the schema recognises."""
    geometry = frame.geometry.name
    rename: dict[str, str] = {}
    for source, target in mapping.columns.items():
        if target not in schema:
            note(
                "error",
                source,
                f"the mapping sends `{source}` to `{target}`, which is not a column of the {note.what} "
                f"layer; allowed: {', '.join(schema)}",
                f"字段对照将 `{source}` 对应到 `{target}`，但它不是{feature_zh(note.what)}图层的字段；"
                f"允许：{'、'.join(f'`{c}`' for c in schema)}",
            )
        elif source not in frame.columns:
            note(
                "error",
                source,
                f"the mapping names the column `{source}`, which the file does not have; "
                f"its columns: {', '.join(str(c) for c in frame.columns if c != geometry)}",
                f"字段对照中的字段 `{source}` 在文件中不存在；文件的字段："
                + "、".join(f"`{c}`" for c in frame.columns if c != geometry),
            )
        else:
            rename[source] = target
    for column in frame.columns:
        known = names.get(str(column))
        if column != geometry and column not in rename and known is not None:
            rename[column] = known
    targets = pd.Series(list(rename.values()))
    for target in targets[targets.duplicated()].unique():
        sources = [s for s, t in rename.items() if t == target]
        note(
            "error",
            target,
            f"columns {', '.join(map(repr, sources))} all map to `{target}`; keep one",
            f"字段 {'、'.join(map(repr, sources))} 都对应到 `{target}`：请只保留一个",
        )
    return rename


def _translate_values(out: pd.DataFrame, mapping: FieldMapping, note: _Notes) -> None:
    """Source values → stored values, per column, as the mapping's ``values`` say (in place).

    A table is keyed by the schema column or by the source column the mapping sends to it.
    Text is matched as text (``"0601"`` is not ``"601"``); a number in an integer or float
    column is matched by its value, so ``3``, ``3.0`` and a key written ``"3"`` or ``3.0``
    are one value. Values the table does not hold are kept as they are and reported.
    """
    for key, table in mapping.values.items():
        target = key if key in out.columns else mapping.columns.get(key, key)
        if target not in out.columns:
            note(
                "error",
                key,
                f"the mapping has values for `{key}`, which the import has no column for",
                f"字段对照给出了 `{key}` 的值对照，但导入的数据没有这个字段",
            )
            continue
        values = out[target].astype(object)
        numbers = {n: v for k, v in table.items() if (n := _number(k)) is not None}
        mapped = [_lookup(v, table, numbers) for v in values]
        hit = pd.Series([m is not _MISSING for m in mapped], index=out.index)
        given = values.notna() & values.astype(str).str.strip().ne("")
        if hit.any():
            out[target] = values.where(~hit, pd.Series(mapped, index=out.index, dtype=object))
            note(
                "repair",
                target,
                f"{int(hit.sum())} value(s) translated by the mapping file",
                f"{int(hit.sum())} 个值已按字段对照文件转换",
            )
        missed = values[given & ~hit]
        if len(missed):
            counts = missed.map(_shown).value_counts()
            listed = ", ".join(f"{v} ({n})" for v, n in counts.head(10).items()) + (" …" if len(counts) > 10 else "")
            note(
                "warning",
                target,
                f"{len(missed)} value(s) of `{target}` are not in the mapping's `values` table and were kept as "
                f"they are: {listed}; add them to the table to translate them",
                f"`{target}` 有 {len(missed)} 个值不在字段对照的 `values` 表中，按原值保留："
                + "、".join(f"{v}（{n}）" for v, n in counts.head(10).items())
                + ("……" if len(counts) > 10 else "")
                + "；如需转换，请加入该表",
            )


_MISSING = object()


def _number(value: object) -> float | None:
    """A key or value as a number, where it is one (``"3"``, ``3``, ``3.0`` → 3.0); ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value) if np.isfinite(value) else None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _lookup(value: object, table: Mapping[str, object], numbers: Mapping[float, object]) -> object:
    """The stored value a source value maps to, or ``_MISSING``: text by its text, a number by its value."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return _MISSING
    if isinstance(value, str):
        return table.get(value, table.get(value.strip(), _MISSING))
    number = _number(value)
    if number is not None:
        return numbers.get(number, _MISSING)
    return table.get(str(value), _MISSING)


def _shown(value: object) -> str:
    """A source value as a message shows it (``3`` for an integral float)."""
    number = _number(value) if not isinstance(value, str) else None
    if number is not None and number.is_integer():
        return str(int(number))
    return repr(value) if isinstance(value, str) else str(value)


def _fill_defaults(out: pd.DataFrame, schema: dict[str, Field], mapping: FieldMapping, note: _Notes) -> None:
    """The mapping's ``defaults`` where a column is missing or empty (in place)."""
    for target, value in mapping.defaults.items():
        if target not in schema:
            note(
                "error",
                target,
                f"the mapping has a default for `{target}`, which is not a column of the {note.what} layer",
                f"字段对照给出了 `{target}` 的默认值，但它不是{feature_zh(note.what)}图层的字段",
            )
            continue
        if target not in out.columns:
            out[target] = pd.Series([value] * len(out), index=out.index, dtype=object)
            filled = len(out)
        else:
            empty = out[target].isna() | out[target].astype(str).str.strip().eq("")
            filled = int(empty.sum())
            out[target] = out[target].astype(object).where(~empty, value)
        if filled:
            note(
                "repair",
                target,
                f"{filled} feature(s) without `{target}` set to {value!r} (mapping default)",
                f"{filled} 个要素没有 `{target}`，已填为 {value!r}（字段对照的默认值）",
            )
