"""Any table of results as a CSV or a workbook a planner hands on: labelled headers with units, labels, rounding.

The ``--csv`` outputs of ``planner idle`` and ``planner stats`` (indicators and the per-mu
evaluation) go through :func:`write_table_csv`, as ``planner export --to csv`` goes through
:func:`~planner.exchange.csv_write.write_csv`: a parcel column is headed by its label with its unit
(``宗地面积（亩）``) and its codes, yes/no and dates are written as words
(:func:`~planner.exchange.sheet.labelled_column`); another column by the heading its caller gives, or
one of :data:`HEADERS`; numbers are rounded to their meaning (亩 and 公顷 to 4 decimals, 万元 to 2,
m to 1: :func:`decimals_of`); UTF-8 with a byte-order mark (:func:`~planner.exchange.sheet.csv_bytes`).
``lang="en"`` gives English headers and labels. The ``--xlsx`` outputs of ``ready``, ``idle``, ``match``,
``assign`` and ``stats`` are the same tables as an Excel workbook, one worksheet per table
(:func:`write_table_xlsx`, :func:`~planner.exchange.sheet.xlsx_book`): numbers as numbers, dates as dates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exchange.sheet import csv_bytes, labelled_column, xlsx_book
from planner.exchange.shp_fields import SHAPEFILE_DECIMALS
from planner.parcels.schema import FIELD_BY_NAME, label

__all__ = ["HEADERS", "SheetSpec", "decimals_of", "readable_table", "write_table_csv", "write_table_xlsx"]

HEADERS: dict[str, tuple[str, str]] = {
    "parcels": ("宗地数（宗）", "parcels"),
    "industrial_lacking_floor_area": ("缺建筑面积的已建工业宗地（宗）", "built industrial parcels lacking floor area"),
    "industrial_lacking_investment": ("缺投资额的已建工业宗地（宗）", "built industrial parcels lacking investment"),
    "industrial_lacking_tax": ("缺税收的已建工业宗地（宗）", "built industrial parcels lacking tax"),
    "idle_days": ("闲置天数（天）", "idle days"),
    "note": ("说明", "note"),
    "reference_date": ("闲置期间起算日", "period runs from"),
    "resumed_on": ("恢复动工日", "resumed on"),
    "weekends_only": ("仅按周末顺延", "weekends only (no holiday calendar)"),
    "tax_per_mu_wan": ("亩均税收（万元/亩）", "tax per mu (万元/mu)"),
    "output_per_mu_wan": ("亩均产值（万元/亩）", "output per mu (万元/mu)"),
    "output_per_tce_wan": ("单位能耗产值（万元/吨标煤）", "output per tce (万元/tce)"),
    "far": ("容积率", "floor-area ratio"),
    "far_min": ("容积率下限", "least floor-area ratio"),
    "building_coverage_pct": ("建筑系数（%）", "building coverage (%)"),
    "score": ("综合得分", "score"),
    "eval_class": ("评价类别", "class"),
    "class_zh": ("评价类别名称", "class name"),
    "low_efficiency": ("低效用地", "low efficiency"),
    "firm_class": ("企业类别代码", "firm class"),
    "firm_class_zh": ("企业类别", "firm class name"),
    "admin_over_cap": ("行政办公及生活服务设施用地超上限", "administration and living land over its cap"),
    "green_over_cap": ("绿地率超上限", "green ratio over its cap"),
    "unchecked": ("未核验指标", "indicators not checked"),
    "explanation": ("评价说明", "explanation"),
    "rank": ("名次", "rank"),
    "parcel_ids": ("地块", "parcels"),
    "score_100": ("得分（满分100）", "score (of 100)"),
    "project": ("项目", "project"),
    "project_industry": ("产业代码", "industry code"),
    "rule": ("首个不满足的条件", "first failed rule"),
    "reason": ("原因", "reason"),
}
"""Headings of the columns of results that are not parcel columns (Chinese, English)."""

_SUFFIX_DECIMALS = (("_mu", 4), ("_ha", 4), ("_wan", 2), ("_m2", 2), ("_m3", 2), ("_m", 1), ("_pct", 1))
_YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}


def decimals_of(name: str) -> int:
    """Decimals a number in column ``name`` keeps: by the unit of a parcel column, else by its name's unit suffix."""
    spec = FIELD_BY_NAME.get(name)
    if spec is not None and spec.unit:
        return SHAPEFILE_DECIMALS.get(spec.unit, 2)
    return next((d for suffix, d in _SUFFIX_DECIMALS if name.endswith(suffix)), 2)


def readable_table(
    frame: pd.DataFrame, *, lang: str = "zh", headers: Mapping[str, tuple[str, str]] | None = None
) -> pd.DataFrame:
    """``frame`` (its named index first, as a column) as the CSV holds it, in ``lang`` (``zh`` or ``en``)."""
    known = {**HEADERS, **(headers or {})}
    k = 0 if lang == "zh" else 1
    rows = frame.reset_index() if frame.index.name is not None else frame.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for name in map(str, rows.columns):
        values = rows[name]
        if pd.api.types.is_bool_dtype(values) and name not in FIELD_BY_NAME:
            yes, no = _YES_NO[lang]
            values = values.map(lambda v: None if pd.isna(v) else (yes if bool(v) else no)).astype(object)
        elif pd.api.types.is_datetime64_any_dtype(values) and name not in FIELD_BY_NAME:  # a day, not a time
            values = values.map(lambda v: None if pd.isna(v) else v.date()).astype(object)
        elif pd.api.types.is_float_dtype(values):
            values = pd.Series(np.round(values.astype("float64"), decimals_of(name)))
        elif name in FIELD_BY_NAME:
            values = labelled_column(rows, name, lang)
        heading = label(name, lang) if name in FIELD_BY_NAME else known.get(name, (name, name))[k]
        out[heading] = values
    return pd.DataFrame(out)


def write_table_csv(
    frame: pd.DataFrame, out: str | Path, *, lang: str = "zh", headers: Mapping[str, tuple[str, str]] | None = None
) -> Path:
    """Write :func:`readable_table` of ``frame`` to ``out`` as UTF-8 CSV with a BOM."""
    Path(out).write_bytes(csv_bytes(readable_table(frame, lang=lang, headers=headers)))
    return Path(out)


@dataclass(frozen=True)
class SheetSpec:
    """One worksheet of a workbook: its title, the table (as for :func:`readable_table`), notes under it."""

    title: str
    frame: pd.DataFrame
    headers: Mapping[str, tuple[str, str]] | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def write_table_xlsx(sheets: Sequence[SheetSpec], out: str | Path, *, lang: str = "zh") -> Path:
    """Write each of ``sheets`` as :func:`readable_table` to one worksheet of an Excel workbook at ``out``."""
    book = [(s.title, readable_table(s.frame, lang=lang, headers=s.headers), s.notes) for s in sheets]
    Path(out).write_bytes(xlsx_book(book))
    return Path(out)
