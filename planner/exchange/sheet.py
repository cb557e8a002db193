"""The parcel table as a planner reads it — labels, not codes; units in the headers — as Excel (.xlsx) or CSV.

:func:`parcel_table` turns stored parcels into the table the desk shows and exports: each
column headed by its label with its unit (``宗地面积（亩）``), each code by its label
(``in_production`` → ``投产``, ``110101`` → ``110101 一类物流仓储用地``), yes/no by 是/否, the
items missing by their names (``通燃气、通热力``). English on request (``lang="en"``).
:func:`xlsx_bytes` writes any such table with openpyxl (a header row that stays in view, a filter,
numbers as numbers, dates as dates); :func:`csv_bytes` writes it as UTF-8 with a BOM, which Excel
in China opens without garbling.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from planner.codes import land_use_codes
from planner.parcels.schema import FIELD_BY_NAME, label
from planner.vocab import CHECKLIST_ITEMS

__all__ = [
    "TABLE_COLUMNS",
    "csv_bytes",
    "labelled_column",
    "parcel_table",
    "sheet_name",
    "unwritable",
    "xlsx_book",
    "xlsx_bytes",
]

TABLE_COLUMNS = (
    "parcel_id", "name", "holder", "status", "supply_mode", "land_use", "industry", "area_mu", "ready",
    "missing", "idle_rule", "disposal_stage", "land_price_wan", "investment_total_wan", "investment_actual_wan",
    "contract_date", "agreed_start_date", "actual_start_date", "agreed_completion_date", "idle_fee_wan",
    "idle_fee_paid_wan", "tax_wan", "output_wan", "version", "updated_at", "updated_by",
)  # fmt: skip
"""The columns of the parcel table, in order (the API's ``/parcels`` names)."""

_YES_NO = {"zh": ("是", "否"), "en": ("yes", "no")}
_READY = {"zh": ("熟地", "生地"), "en": ("ready", "raw")}


def _missing_label(text: object, lang: str) -> str | None:
    """The names of the items a parcel lacks (``gas,heat`` → ``通燃气、通热力``)."""
    if not isinstance(text, str) or not text:
        return None
    k = 0 if lang == "zh" else 1
    names = [CHECKLIST_ITEMS[c][k] if c in CHECKLIST_ITEMS else c for c in text.split(",") if c]
    return ("、" if lang == "zh" else ", ").join(names)


def _land_use_label(values: pd.Series, lang: str) -> pd.Series:
    """Each land-use code with its name (``110101 一类物流仓储用地``); a code not in the table as it is."""
    names = land_use_codes()["name_zh" if lang == "zh" else "name_en"]
    named = values.map(names)
    return values.where(named.isna(), values.astype(str) + " " + named.astype(str)).astype(object)


def labelled_column(parcels: pd.DataFrame, name: str, lang: str) -> pd.Series:
    """One column with its codes, yes/no and items as words."""
    values = parcels[name]
    spec = FIELD_BY_NAME.get(name)
    k = 0 if lang == "zh" else 1
    if name == "ready":
        yes, no = _READY[lang]
        return values.map(lambda v: None if pd.isna(v) else (yes if bool(v) else no)).astype(object)
    if name == "missing":
        return values.map(lambda v: _missing_label(v, lang)).astype(object)
    if name == "land_use":
        return _land_use_label(values, lang)
    if spec is not None and spec.allowed:
        choices = spec.allowed
        return values.map(lambda v: choices[v][k] if isinstance(v, str) and v in choices else v).astype(object)
    if spec is not None and spec.kind == "date":
        return pd.to_datetime(values, errors="coerce").map(lambda v: None if pd.isna(v) else v.date()).astype(object)
    if spec is not None and spec.kind == "bool":
        yes, no = _YES_NO[lang]
        return values.map(lambda v: None if pd.isna(v) else (yes if bool(v) else no)).astype(object)
    return values


def parcel_table(parcels: pd.DataFrame, *, lang: str = "zh", columns: Sequence[str] = TABLE_COLUMNS) -> pd.DataFrame:
    """The parcels as the desk's table: headed by label and unit, codes as labels (``lang``: ``zh`` or ``en``)."""
    frame = parcels.reset_index(drop=True) if "parcel_id" in parcels.columns else parcels.reset_index()
    out = {label(name, lang): labelled_column(frame, name, lang) for name in columns if name in frame.columns}
    return pd.DataFrame(out)


def sheet_name(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in title).strip() or "Sheet1"
    return cleaned[:31]


def unwritable(text: str) -> str | None:
    """What in ``text`` no workbook can hold (a control character, a lone surrogate), described; None if nothing."""
    bad = ILLEGAL_CHARACTERS_RE.search(text)
    if bad:
        return f"control character U+{ord(bad.group()):04X} cannot be written to a worksheet"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"lone surrogate U+{ord(text[exc.start]):04X} is not text"
    return None


def _text(value: str) -> str:
    """Text a worksheet can hold: a character it cannot is written as U+FFFD (stored text is never refused here)."""
    if unwritable(value) is None:
        return value
    cleaned = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return cleaned.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate: ?


def _cell(value: Any) -> Any:
    """A value as openpyxl writes it: numbers and dates as such, a missing value empty, the rest as text."""
    if value is None or (not isinstance(value, str | bytes | list | tuple | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, bool | int | float | date):
        return value
    if hasattr(value, "item"):  # a NumPy scalar
        return value.item()
    return _text(str(value))


def _fill_sheet(sheet: Any, table: pd.DataFrame, title: str, notes: Sequence[str]) -> None:
    """One worksheet: a bold header row frozen in view with a filter, the rows, then ``notes`` under them."""
    sheet.title = sheet_name(_text(title))
    sheet.append([_text(str(c)) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    if len(table.columns):
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table) + 1}"
    for k, name in enumerate(table.columns, start=1):  # wide enough for the header (CJK counts twice)
        width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(name)) + 2
        sheet.column_dimensions[get_column_letter(k)].width = max(10, min(width, 40))
    if notes:
        sheet.append([])
        for note in notes:
            sheet.append([_text(note)])


def xlsx_book(sheets: Sequence[tuple[str, pd.DataFrame, Sequence[str]]]) -> bytes:
    """A workbook of one worksheet per ``(title, table, notes)``, in order (see :func:`xlsx_bytes`)."""
    book = Workbook()
    first = book.active
    assert first is not None
    for k, (title, table, notes) in enumerate(sheets):
        _fill_sheet(first if k == 0 else book.create_sheet(), table, title, notes)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(table: pd.DataFrame, *, title: str = "Sheet1", notes: Sequence[str] = ()) -> bytes:
    """``table`` as an Excel workbook: a bold header row frozen in view with a filter, then ``notes`` under it."""
    return xlsx_book([(title, table, notes)])


def csv_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as CSV in UTF-8 with a byte-order mark (Excel then reads the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([str(c) for c in table.columns])
    for row in table.itertuples(index=False):
        writer.writerow(["" if _cell(v) is None else _cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
