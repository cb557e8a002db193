"""The rules between the columns of one parcel: dates in order, the status against its records, quantities.

Part of :func:`planner.parcels.validation.check_row_rules`; each finding in English and in Chinese.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.fields import flag
from planner.vocab import STARTED_STATUSES, STATUSES, SUPPLIED_STATUSES

__all__ = ["check_dates", "check_quantities", "check_status"]

_AREA_SLACK_M2 = 1.0  # recorded building and developed areas are rounded; a square metre over is not an error

_DATE_ORDER = (
    ("agreed_start_date", "contract_date", "the agreed start date {a} is before the contract date {b}",
     "约定动工日期 {a} 早于合同签订日期 {b}"),
    ("actual_start_date", "contract_date", "the actual start date {a} is before the contract date {b}",
     "实际动工日期 {a} 早于合同签订日期 {b}"),
    ("agreed_completion_date", "agreed_start_date",
     "the agreed completion date {a} is before the agreed start date {b}", "约定竣工日期 {a} 早于约定动工日期 {b}"),
    ("halted_since", "actual_start_date", "the halt date {a} is before the actual start date {b}",
     "停工日期 {a} 早于实际动工日期 {b}"),
)  # fmt: skip
_DATES = frozenset(c for pair in _DATE_ORDER for c in pair[:2])


def check_dates(out: pd.DataFrame) -> list[Problem]:
    """Dates out of order (a start before the contract …), and a halt without a start."""
    problems = []
    given = {c for c in _DATES if out[c].notna().any()}  # an order needs both dates (NaT compares False)
    for later, earlier, text, text_zh in _DATE_ORDER:
        if later not in given or earlier not in given:
            continue
        a, b = out[later], out[earlier]
        wrong = (a < b).fillna(False).to_numpy(dtype=bool)
        problems += flag(
            out,
            wrong,
            "error",
            later,
            lambda p: text.format(a=a.iloc[p].date(), b=b.iloc[p].date()),
            zh=lambda p: text_zh.format(a=a.iloc[p].date(), b=b.iloc[p].date()),
        )
    if "halted_since" not in given:
        return problems
    orphan = (out["halted_since"].notna() & out["actual_start_date"].isna()).to_numpy(dtype=bool)
    problems += flag(
        out,
        orphan,
        "error",
        "halted_since",
        "a halt date without an actual start date; work cannot halt before it starts",
        zh="有停工日期而无实际动工日期：未动工不能停工",
    )
    return problems


def check_status(out: pd.DataFrame) -> list[Problem]:
    """A supply status (供地状态) its records do not bear out: supplied with no contract or holder …"""
    status = out["status"]
    if len(out) == 1:
        return _check_one_status(out)
    supplied = status.isin(SUPPLIED_STATUSES)
    checks = [
        (supplied & out["contract_date"].isna(), "contract_date", "the parcel is {status} but has no contract date",
         "宗地{status}，但没有合同签订日期"),
        (status.isin(["planned", "reserved"]) & out["contract_date"].notna(), "status",
         "the parcel is {status} but has a contract date; is it supplied?", "宗地{status}，却有合同日期：是否已供？"),
        (status.isin(STARTED_STATUSES) & out["actual_start_date"].isna(), "actual_start_date",
         "the parcel is {status} but has no actual start date", "宗地{status}，但没有实际动工日期"),
        (supplied & out["holder"].isna(), "holder", "the parcel is {status} but names no holder",
         "宗地{status}，但未填写土地使用权人"),
    ]  # fmt: skip
    return _status_findings(out, [(m.fillna(False).to_numpy(dtype=bool), *rest) for m, *rest in checks])


def _check_one_status(out: pd.DataFrame) -> list[Problem]:
    """:func:`check_status` of one parcel (an edit's), its masks worked out on the row's values, not by pandas."""
    code = out["status"].iloc[0]
    if code is None or code is pd.NA or code not in STATUSES:  # no status, or one no check names: nothing to say
        return []
    missing = {c: bool(pd.isna(out[c].iloc[0])) for c in ("contract_date", "actual_start_date", "holder")}
    supplied = code in SUPPLIED_STATUSES
    checks = [
        (supplied and missing["contract_date"], "contract_date", "the parcel is {status} but has no contract date",
         "宗地{status}，但没有合同签订日期"),
        (code in ("planned", "reserved") and not missing["contract_date"], "status",
         "the parcel is {status} but has a contract date; is it supplied?", "宗地{status}，却有合同日期：是否已供？"),
        (code in STARTED_STATUSES and missing["actual_start_date"], "actual_start_date",
         "the parcel is {status} but has no actual start date", "宗地{status}，但没有实际动工日期"),
        (supplied and missing["holder"], "holder", "the parcel is {status} but names no holder",
         "宗地{status}，但未填写土地使用权人"),
    ]  # fmt: skip
    return _status_findings(out, [(np.array([m]), column, text, zh) for m, column, text, zh in checks])


def _status_findings(out: pd.DataFrame, checks: list[tuple[np.ndarray, str, str, str]]) -> list[Problem]:
    """A warning for each parcel and check whose mask holds, its status named in English and Chinese."""
    problems = []
    codes = out["status"].to_numpy(dtype=object)
    for mask, column, text, text_zh in checks:
        problems += flag(
            out,
            mask,
            "warning",
            column,
            lambda p: text.format(status=f"{codes[p]} ({STATUSES[codes[p]][0]})"),
            zh=lambda p: text_zh.format(status=f"为{STATUSES[codes[p]][0]}（`{codes[p]}`）"),
        )
    return problems


def check_quantities(out: pd.DataFrame) -> list[Problem]:
    """Building areas and investment against the parcel's area and the total investment."""

    def values(name: str) -> np.ndarray:
        return np.asarray(out[name].to_numpy(dtype=float, na_value=np.nan), dtype=float)

    area, footprint, floor = values("area_m2"), values("footprint_m2"), values("floor_area_m2")
    developed = values("developed_area_m2")
    total, actual = values("investment_total_wan"), values("investment_actual_wan")
    with np.errstate(invalid="ignore"):
        return [
            *flag(
                out,
                footprint > area + _AREA_SLACK_M2,
                "error",
                "footprint_m2",
                lambda p: f"the building footprint {footprint[p]:.0f} m² exceeds the parcel's {area[p]:.0f} m²",
                zh=lambda p: f"建筑基底面积 {footprint[p]:.0f} 平方米超过宗地面积 {area[p]:.0f} 平方米",
            ),
            *flag(
                out,
                floor < footprint,
                "warning",
                "floor_area_m2",
                lambda p: f"the floor area {floor[p]:.0f} m² is smaller than the footprint {footprint[p]:.0f} m²",
                zh=lambda p: f"建筑面积 {floor[p]:.0f} 平方米小于基底面积 {footprint[p]:.0f} 平方米",
            ),
            *flag(
                out,
                developed > area + _AREA_SLACK_M2,
                "warning",
                "developed_area_m2",
                lambda p: f"the developed area {developed[p]:.0f} m² exceeds the parcel's {area[p]:.0f} m²",
                zh=lambda p: f"已开发面积 {developed[p]:.0f} 平方米超过宗地面积 {area[p]:.0f} 平方米",
            ),
            *flag(
                out,
                actual > total,
                "warning",
                "investment_actual_wan",
                lambda p: f"investment made {actual[p]:.0f} 万元 exceeds the total investment {total[p]:.0f} 万元",
                zh=lambda p: f"已完成投资 {actual[p]:.0f} 万元超过总投资 {total[p]:.0f} 万元",
            ),
        ]
