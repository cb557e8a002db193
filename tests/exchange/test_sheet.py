"""The parcel table as a planner reads it: labels for codes, units in the headers, Excel and CSV."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd

from planner.exchange.sheet import csv_bytes, parcel_table, sheet_name, xlsx_bytes


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parcel_id": ["A1", "A2"],
            "status": ["in_production", "reserved"],
            "land_use": ["110101", "9999"],  # the second is no code of the table: kept as it is
            "area_mu": [12.5, 30.0],
            "ready": [True, None],
            "missing": [None, "gas,heat"],
            "declared_gas": [True, False],
            "contract_date": [pd.Timestamp("2024-05-30"), pd.NaT],
        }
    )


def _plain(values: list) -> list:
    """Missing values (None, NaN, NaT) as None."""
    return [None if not isinstance(v, str | date) and pd.isna(v) else v for v in values]


def test_codes_become_labels_and_headers_carry_units():
    table = parcel_table(_rows(), columns=["parcel_id", "status", "land_use", "area_mu", "ready", "missing",
                                           "declared_gas", "contract_date"])  # fmt: skip
    assert list(table.columns) == [
        "宗地代码", "供地状态", "用地分类", "宗地面积（亩）", "熟地", "缺项", "通燃气（登记）", "合同签订日期"
    ]  # fmt: skip
    first, second = _plain(table.iloc[0].tolist()), _plain(table.iloc[1].tolist())
    assert first == ["A1", "投产", "110101 一类物流仓储用地", 12.5, "熟地", None, "是", date(2024, 5, 30)]
    assert second[1:3] == ["储备", "9999"] and second[4] is None and second[5] == "通燃气、通热力" and second[6] == "否"
    english = parcel_table(_rows(), lang="en", columns=["status", "missing", "ready"])
    assert list(english.columns) == ["supply status", "missing items", "ready (serviced)"]
    assert _plain(english.iloc[1].tolist())[:2] == ["reserved (banked, can be supplied)", "gas, heat"]


def test_the_workbook_and_the_csv_read_back():
    table = parcel_table(_rows(), columns=["parcel_id", "status", "area_mu", "contract_date"])
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(table, title="宗地表", notes=["CZ-DEMO"]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "宗地表" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:D3"
    assert rows[0] == ("宗地代码", "供地状态", "宗地面积（亩）", "合同签订日期")
    assert rows[1][:3] == ("A1", "投产", 12.5) and rows[1][3].date() == date(2024, 5, 30)
    assert rows[2] == ("A2", "储备", 30, None) and rows[-1] == ("CZ-DEMO", None, None, None)
    text = csv_bytes(table).decode("utf-8")
    assert text.startswith("\ufeff宗地代码,供地状态") and "A2,储备,30.0,\r\n" in text


def test_text_a_workbook_cannot_hold_is_replaced_not_a_failure():
    book = xlsx_bytes(pd.DataFrame({"名称": ["甲\x01乙"]}, dtype=object), title="a/b:c")
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    assert sheet["A2"].value == "甲\ufffd乙" and sheet.title == "a_b_c"
    assert sheet_name("x" * 40) == "x" * 31
