"""Idle land (闲置土地) under the 2012 rules (闲置土地处置办法, 国土资源部令第53号).

Article 2 makes supplied state land idle when

- ``not_started``: it is not started one full year after the start date agreed in
  the land-supply contract or allocation decision (超过约定动工开发日期满一年未动工开发);
- ``halted``: it was started, but the developed area is under one third of the area
  to be developed **or** the investment made is under 25% of the total (land price
  and taxes excluded), and work has been halted for one full year
  (已动工开发但开发面积不足三分之一或已投资额不足百分之二十五，中止开发建设满一年).

Article 14: holder-caused idle land pays an idle-land fee of 20% of the land price
once idle (one year), and may be reclaimed without compensation after two years.
Article 8: delays caused by the government (¶1: land not delivered as agreed, plan or
policy changes, …) or by force majeure (¶2: 因自然灾害等不可抗力导致土地闲置的，依照前款
规定办理; ``delay_cause`` ``force_majeure``) are recorded: the land is still idle land, to be
disposed of under arts. 12–13, but pays no fee and is not reclaimed without compensation
(art. 14 applies 除本办法第八条规定情形外). The park configuration may change the years,
fractions and rate.

Periods are counted as the Civil Code counts them (民法典 arts. 201–203,
:mod:`planner.parcels.periods`): the start day is not counted; a period in years ends
on the corresponding day of the last year, or on the last day of that month where
there is none (a start on 29 February); a last day on a weekend or public holiday
moves to the next working day (make-up working days 调休上班 count as working days).
Land agreed to start on 2024-06-30 has until Monday 2025-06-30 and is idle from
2025-07-01; land agreed to start on 2024-06-29 too, its last day Sunday 2025-06-29
moving to the Monday. The holidays are the State Council's notices for the years the
calendar holds; beyond them only weekends move a last day, and the parcel's row
(``weekends_only``), its note and a warning say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from planner.config import ParkConfig
from planner.errors import Problem
from planner.fields import flag, problem_rows
from planner.parcels.disposal import CLOSING, RESTARTING, disposal_stages
from planner.parcels.periods import holiday_calendar, period_end, period_ends
from planner.vocab import DELAY_CAUSES, STARTED_STATUSES, SUPPLIED_STATUSES

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["IDLE_COLUMNS", "IdleResult", "classify_idle", "period_end"]

IDLE_COLUMNS = ("idle_rule", "idle_since", "idle_until", "idle_fee_wan", "reclaim_from", "disposal_stage")
"""The parcel columns this module derives (DESIGN.md, The parcel layer: idle).

``idle_rule`` is set while the land is idle; ``idle_since`` is the first idle day; land that
was idle and has since started keeps ``idle_since``, its last idle day ``idle_until`` and the
fee it owes (``idle_fee_wan``: the liability arose on the first idle day, art. 14).
"""


@dataclass
class IdleResult:
    """The classification of every supplied parcel as of a date, and the problems found.

    ``table`` has one row per parcel (index ``parcel_id``) with the DESIGN columns
    ``idle_rule``, ``idle_since``, ``idle_until``, ``idle_fee_wan``, ``reclaim_from`` and,
    to explain them, ``idle_days`` (days idle before the date, or before the start of land
    idle and since started), ``reference_date`` (the date the period ran from),
    ``delay_cause`` (the art. 8 cause), ``resumed_on`` and ``note_zh`` / ``note_en``.
    """

    as_of: pd.Timestamp
    table: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def idle(self) -> pd.DataFrame:
        """The parcels idle as of the date."""
        return self.table[self.table["idle_rule"].notna()]

    @property
    def listed(self) -> pd.DataFrame:
        """The parcels idle as of the date, and those idle before it and started since (their fee still owed)."""
        return self.table[self.table["idle_since"].notna()]

    def to_frame(self, parcels: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
        """The idle parcels as rows to read: the classification, its note in ``lang``, and who holds how much land.

        ``parcels`` is the parcel layer the classification was made on. One row per parcel
        of :attr:`listed` (index ``parcel_id``; ``idle_rule`` empty for land started since):
        the columns of :attr:`table` with the note in ``lang`` (``zh`` or ``en``) as ``note``,
        then the parcel's ``name``, ``holder``, ``area_mu`` and ``land_price_wan``.
        """
        note, other = ("note_zh", "note_en") if lang == "zh" else ("note_en", "note_zh")
        rows = self.listed.drop(columns=other).rename(columns={note: "note"})
        return rows.join(parcels.set_index("parcel_id")[["name", "holder", "area_mu", "land_price_wan"]])

    def to_geoframe(self, parcels: gpd.GeoDataFrame, lang: str = "zh") -> gpd.GeoDataFrame:
        """The parcels of :attr:`listed` as features (for GeoJSON): the shape and records, the idle columns and note.

        ``parcels`` is the parcel layer the classification was made on. Rows in the order of
        ``parcels``, with ``parcel_id``, ``name``, ``holder``, ``area_mu``, ``area_m2``,
        ``status``, the idle columns of this classification, ``delay_cause``, the geometry,
        ``idle_days`` and ``note`` (in ``lang``, ``zh`` or ``en``).
        """
        note = "note_zh" if lang == "zh" else "note_en"
        idle = self.listed[[*IDLE_COLUMNS, "idle_days", note]].rename(columns={note: "note"})
        found = parcels[parcels["parcel_id"].isin(idle.index)].drop(columns=list(IDLE_COLUMNS), errors="ignore")
        out = found.merge(idle, left_on="parcel_id", right_index=True)
        columns = ["parcel_id", "name", "holder", "area_mu", "area_m2", "status", *IDLE_COLUMNS, "delay_cause"]
        return out[[*columns, "geometry", "idle_days", "note"]]


def classify_idle(parcels: pd.DataFrame, as_of: date | str | pd.Timestamp, config: ParkConfig) -> IdleResult:
    """Classify supplied parcels as idle or not as of ``as_of``.

    Parameters
    ----------
    parcels
        The parcel layer (canonical dtypes, as the store reads it).
    as_of
        The day the classification holds for.
    config
        The park configuration: ``idle_after_years``, ``reclaim_after_years``,
        ``idle_fee_rate``, ``idle_developed_fraction``, ``idle_investment_fraction``.

    Returns
    -------
    IdleResult
        Parcels whose records cannot be judged (dates out of order, negative
        amounts, building or producing without a start date) are reported in
        ``problems`` by parcel and field and left out; supplied land without an
        agreed start date is reported too. An idle parcel without a land price is
        reported and counted, its fee unknown.
    """
    day = pd.Timestamp(as_of).normalize()
    rules = _IdleRules.of(config)
    records = parcels.reset_index(drop=True)
    p, closed, problems = _as_disposed(records, day)
    supplied = p["status"].isin(SUPPLIED_STATUSES).to_numpy()
    problems += _check_records(p, supplied)
    errors = [q for q in problems if q.severity == "error"]
    judged = supplied & ~closed & ~np.isin(np.arange(len(p)), problem_rows(errors))
    late, resumed, (due1, moot1) = _not_started(p, judged, day, rules)
    not_started = late & ~resumed
    halted, (due2, moot2), unknown = _halted(p, judged, day, rules, not_started)
    problems += unknown

    idle = not_started | halted
    rule = np.full(len(p), None, dtype=object)
    rule[halted] = "halted"
    rule[not_started] = "not_started"
    reference = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
    reference[late] = p["agreed_start_date"][late]
    reference[halted] = p["halted_since"][halted]
    since = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
    since[late] = due1[late]
    since[halted] = due2[halted]
    fees = _Fees.of(p, idle | resumed, rules)  # the fee is owed from the first idle day (art. 14)
    problems += fees.problems
    reclaim, moot3 = _first_idle_day(reference, rules.reclaim_years)
    reclaim = reclaim.where(fees.holder_caused & idle, pd.NaT)
    weekends_only = (late & moot1) | (halted & moot2) | (idle & fees.holder_caused & moot3)
    until = (p["actual_start_date"] - pd.Timedelta(days=1)).where(resumed, pd.NaT)
    ended = pd.Series(day, index=p.index).where(~resumed, p["actual_start_date"])
    problems += _weekends_only_warnings(p, weekends_only)

    table = pd.DataFrame(
        {
            "parcel_id": p["parcel_id"],
            "idle_rule": pd.Series(rule, index=p.index, dtype=object),
            "idle_since": since.where(idle | resumed, pd.NaT),
            "idle_until": until,
            "idle_fee_wan": np.where(idle | resumed, fees.fee_wan, np.nan),
            "reclaim_from": reclaim.where(idle, pd.NaT),
            "idle_days": pd.array(np.where(idle | resumed, (ended - since).dt.days, None), dtype="Int64"),
            "reference_date": reference.where(idle | resumed, pd.NaT),
            "delay_cause": pd.Series(fees.delay_cause, index=p.index, dtype=object),
            "resumed_on": p["actual_start_date"].where(resumed, pd.NaT),
            "weekends_only": weekends_only & (idle | resumed),
        }
    )
    table["disposal_stage"] = disposal_stages(records, table, day)
    problems += _overpaid(records, table)
    table["note_zh"], table["note_en"] = _notes(table, np.flatnonzero(idle | resumed), day, rules)
    return IdleResult(day, table.set_index("parcel_id"), problems)


def _notes(table: pd.DataFrame, explained: np.ndarray, day: pd.Timestamp, rules: _IdleRules) -> np.ndarray:
    """The Chinese and English notes of the rows ``explained`` (words only where there is something to say)."""
    notes = np.full((len(table), 2), "", dtype=object)
    for pos, row in zip(explained, table.iloc[explained].itertuples(), strict=True):
        notes[pos] = _note(row, day, rules)
    return notes.T


def _as_disposed(p: pd.DataFrame, day: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray, list[Problem]]:
    """The records as the disposals decided by ``day`` left them (闲置土地处置办法 arts. 12–14).

    A disposal that sets a new start date (extend, adjust, temporary use: art. 12 ¶2, 动工开发
    时间按照新约定、规定的时间重新起算) makes ``restart_date`` the agreed start date, and a halt
    before it a halt from it: the rules of art. 2 run again from there. A disposal that takes
    the land from the holder (paid reclaim, swap, reclamation) closes the case: the parcel is
    not judged idle after it, and a warning asks for its status to be brought up to date.
    """
    decided = np.asarray((p["disposal_date"] <= day).fillna(False), dtype=bool)
    restarted = decided & p["disposal"].isin(RESTARTING).to_numpy() & p["restart_date"].notna().to_numpy()
    closed = decided & p["disposal"].isin(CLOSING).to_numpy()
    out = p.copy()
    if restarted.any():
        out.loc[restarted, "agreed_start_date"] = p.loc[restarted, "restart_date"]
        halted = restarted & p["halted_since"].notna().to_numpy()
        out.loc[halted, "halted_since"] = p.loc[halted, ["halted_since", "restart_date"]].max(axis=1)
    problems = flag(
        p,
        closed & p["status"].isin(SUPPLIED_STATUSES).to_numpy(),
        "warning",
        "status",
        lambda i: (
            f"the disposal {p['disposal'].iloc[i]!r} of {p['disposal_date'].iloc[i]:%Y-%m-%d} took the land from "
            "the holder, but it is still recorded as supplied: set its status (reserved) and holder"
        ),
        zh=lambda i: (
            f"{p['disposal_date'].iloc[i]:%Y-%m-%d} 的处置（`{p['disposal'].iloc[i]}`）已从使用权人处收回土地，"
            "但仍记为已供：请更新其供地状态（储备，`reserved`）和土地使用权人"
        ),
    )
    return out, closed, problems


def _overpaid(p: pd.DataFrame, table: pd.DataFrame) -> list[Problem]:
    """A warning where the fee paid exceeds the fee owed (art. 14 (一): 20% of the land price, none for art. 8)."""
    paid = p["idle_fee_paid_wan"].to_numpy(dtype=float, na_value=np.nan)
    owed = table["idle_fee_wan"].fillna(0.0).to_numpy(dtype=float)
    return flag(
        p,
        paid - owed > 0.005,
        "warning",
        "idle_fee_paid_wan",
        lambda i: f"{paid[i]:,.2f} 万元 paid, more than the {owed[i]:,.2f} 万元 owed",
        zh=lambda i: f"已缴 {paid[i]:,.2f} 万元，多于应缴的 {owed[i]:,.2f} 万元",
    )


@dataclass(frozen=True)
class _IdleRules:
    """The park's thresholds of the idle-land rules (``idle_after_years`` and the rest)."""

    idle_years: float
    reclaim_years: float
    fee_rate: float
    developed_min: float
    invested_min: float

    @classmethod
    def of(cls, config: ParkConfig) -> _IdleRules:
        """The thresholds of ``config``."""
        return cls(
            idle_years=config.threshold("idle_after_years"),
            reclaim_years=config.threshold("reclaim_after_years"),
            fee_rate=config.threshold("idle_fee_rate"),
            developed_min=config.threshold("idle_developed_fraction"),
            invested_min=config.threshold("idle_investment_fraction"),
        )


def _first_idle_day(start: pd.Series, years: float) -> tuple[pd.Series, np.ndarray]:
    """The day after a period of ``years`` from ``start`` ends (民法典 arts. 201–203); where weekends alone counted."""
    ends = period_ends(start, years=years)
    return ends.last_day + pd.Timedelta(days=1), ends.weekends_only


def _weekends_only_warnings(p: pd.DataFrame, where: np.ndarray) -> list[Problem]:
    """A warning for each parcel whose dates were moved (art. 203) knowing only the weekends of their year."""
    calendar = holiday_calendar()
    return flag(
        p,
        where,
        "warning",
        "idle_since",
        (
            "a period of this parcel ends in a year without a State Council holiday notice in the planner's "
            f"calendar ({calendar.describe('en')}): its last day was moved past weekends only "
            "(民法典 art. 203); check it against the notice once published"
        ),
        zh=(
            f"该宗地的某一期限在规划系统的节假日表（{calendar.describe('zh')}）尚无国务院节假日安排的年份届满："
            "其最后一日只按周末顺延（民法典第二百零三条）；通知公布后请核对"
        ),
    )


_Due = tuple[pd.Series, np.ndarray]
"""The first day a parcel would be idle, and where only weekends were known to count it."""


def _not_started(
    p: pd.DataFrame, judged: np.ndarray, day: pd.Timestamp, rules: _IdleRules
) -> tuple[np.ndarray, np.ndarray, _Due]:
    """Rule 1: not started one full year after the agreed start date.

    Returns the parcels the rule holds for, those of them started since (no longer
    idle), and for every parcel the first day it would be idle.
    """
    agreed, started = p["agreed_start_date"], p["actual_start_date"]
    due, moot = _first_idle_day(agreed, rules.idle_years)
    started_by_then = started.notna() & (started < due)
    late = judged & agreed.notna().to_numpy() & (due <= day).to_numpy() & ~started_by_then.to_numpy()
    resumed = late & started.notna().to_numpy() & (started <= day).to_numpy()
    return late, resumed, (due, moot)


def _halted(
    p: pd.DataFrame, judged: np.ndarray, day: pd.Timestamp, rules: _IdleRules, not_started: np.ndarray
) -> tuple[np.ndarray, _Due, list[Problem]]:
    """Rule 2: started, under 1/3 developed or under 25% invested, and halted one full year.

    Returns the parcels the rule holds for (not those idle by rule 1), for every parcel
    the first day it would be idle, and a warning for each parcel halted long enough
    whose records cannot tell how far it was developed or invested.
    """
    started, halted = p["actual_start_date"], p["halted_since"]
    area = p["area_m2"].to_numpy(dtype=float)
    developed = p["developed_area_m2"].to_numpy(dtype=float, na_value=np.nan)
    invested = p["investment_actual_wan"].to_numpy(dtype=float, na_value=np.nan)
    total = p["investment_total_wan"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        little_developed = developed < rules.developed_min * area
        little_invested = invested < rules.invested_min * total
    due, moot = _first_idle_day(halted, rules.idle_years)
    halted_long = judged & started.notna().to_numpy() & halted.notna().to_numpy() & (due <= day).to_numpy()
    unknown = halted_long & (np.isnan(developed) | np.isnan(area)) & (np.isnan(invested) | np.isnan(total))
    unknown |= (
        halted_long
        & ~(little_developed | little_invested)
        & (np.isnan(developed) | np.isnan(invested) | np.isnan(total))
    )
    missing_column = np.where(
        np.isnan(developed),
        "developed_area_m2",
        np.where(np.isnan(invested), "investment_actual_wan", "investment_total_wan"),
    )
    problems: list[Problem] = []
    for column in ("developed_area_m2", "investment_actual_wan", "investment_total_wan"):
        problems += flag(
            p,
            unknown & (missing_column == column),
            "warning",
            column,
            (
                f"halted for over {rules.idle_years:g} year(s), but `{column}` is missing: whether the parcel is under "
                f"{_share_en(rules.developed_min)} developed or {_share_en(rules.invested_min)} invested cannot be told"
            ),
            zh=(
                f"停工已超过 {rules.idle_years:g} 年，但缺少 `{column}`：无法判断该宗地已开发面积是否不足"
                f"{_share_zh(rules.developed_min)}、已投资额是否不足{_share_zh(rules.invested_min)}"
            ),
        )
    rule = halted_long & (little_developed | little_invested) & ~unknown & ~not_started
    return rule, (due, moot), problems


@dataclass
class _Fees:
    """Who caused each idle parcel's idleness and the idle-land fee it owes (art. 8, art. 14)."""

    delay_cause: np.ndarray
    """The art. 8 cause (``delay_cause``: the government's or force majeure) of an idle parcel, else ``None``."""
    holder_caused: np.ndarray
    fee_wan: np.ndarray
    """The fee: the rate times the land price for holder-caused idle land, 0 for an art. 8 cause, else NaN."""
    problems: list[Problem]

    @classmethod
    def of(cls, p: pd.DataFrame, idle: np.ndarray, rules: _IdleRules) -> _Fees:
        """The fees of the parcels ``idle``; an idle parcel without a land price is reported, its fee unknown."""
        cause = p["delay_cause"].astype(object).where(p["delay_cause"].notna(), None).to_numpy()
        government = idle & pd.notna(cause)
        price = p["land_price_wan"].to_numpy(dtype=float, na_value=np.nan)
        holder_caused = idle & ~government
        problems = flag(
            p,
            holder_caused & np.isnan(price),
            "error",
            "land_price_wan",
            (
                "the parcel is idle, but no land price is recorded: the idle-land fee "
                f"({rules.fee_rate:.0%} of the land price) cannot be computed"
            ),
            zh=f"该宗地已闲置，但未记录土地价款：无法计算土地闲置费（土地价款的 {rules.fee_rate:.0%}）",
        )
        fee = np.round(np.where(holder_caused, rules.fee_rate * price, np.where(government, 0.0, np.nan)), 4)  # 1 yuan
        shown = cause.copy()
        shown[~government] = None
        return cls(shown, holder_caused, fee, problems)


def _check_records(p: pd.DataFrame, supplied: np.ndarray) -> list[Problem]:
    """Records of supplied parcels that cannot be judged: each named by parcel and field."""
    contract, agreed, started = p["contract_date"], p["agreed_start_date"], p["actual_start_date"]
    halted = p["halted_since"]
    problems = []
    checks = [
        ((started < contract).fillna(False), "actual_start_date", "the actual start date is before the contract date",
         "实际动工日期早于合同签订日期"),
        ((agreed < contract).fillna(False), "agreed_start_date", "the agreed start date is before the contract date",
         "约定动工日期早于合同签订日期"),
        ((halted < started).fillna(False), "halted_since", "the halt date is before the actual start date",
         "停工日期早于实际动工日期"),
        (halted.notna() & started.isna(), "halted_since", "a halt date without an actual start date",
         "有停工日期而无实际动工日期"),
        (p["status"].isin(STARTED_STATUSES) & started.isna(), "actual_start_date",
         "the parcel is under construction or producing but has no actual start date",
         "宗地在建或投产，但没有实际动工日期"),
    ]  # fmt: skip
    for column in ("investment_total_wan", "investment_actual_wan", "developed_area_m2", "land_price_wan"):
        values = p[column].to_numpy(dtype=float, na_value=np.nan)
        checks.append((pd.Series(values < 0), column, f"`{column}` is negative", f"`{column}` 为负数"))
    for mask, column, text, text_zh in checks:
        problems += flag(
            p,
            np.asarray(mask, dtype=bool) & supplied,
            "error",
            column,
            f"{text}; the parcel is left out of the idle-land count",
            zh=f"{text_zh}：该宗地不计入闲置土地统计",
        )
    no_date = supplied & p["agreed_start_date"].isna().to_numpy() & p["actual_start_date"].isna().to_numpy()
    problems += flag(
        p,
        no_date,
        "warning",
        "agreed_start_date",
        "supplied land without an agreed start date: whether it is idle cannot be told",
        zh="已供土地没有约定动工日期：无法判断是否闲置",
    )
    return problems


class _IdleRow(Protocol):
    """A row of :attr:`IdleResult.table` (as ``itertuples`` gives it), as :func:`_note` reads it."""

    idle_rule: str | None
    idle_since: pd.Timestamp
    idle_until: pd.Timestamp
    idle_days: int
    idle_fee_wan: float
    reclaim_from: pd.Timestamp
    reference_date: pd.Timestamp
    delay_cause: str | None
    resumed_on: pd.Timestamp
    weekends_only: bool


def _note(row: _IdleRow, day: pd.Timestamp, rules: _IdleRules) -> tuple[str, str]:
    """Chinese and English explanation of one parcel's classification, and of a date counted on weekends only."""
    zh, en = _words(row, day, rules)
    if row.weekends_only and zh:
        calendar = holiday_calendar()
        zh += f"（期间末日超出{calendar.describe('zh')}，仅按周末顺延，待当年安排公布后核对）"
        en += f" (a last day beyond the {calendar.describe('en')}: moved past weekends only, to be checked)"
    return zh, en


def _share_zh(fraction: float) -> str:
    """A share as the regulation writes it: 三分之一 for 1/3, else a percentage (25%).

    >>> _share_zh(1 / 3), _share_zh(0.25)
    ('三分之一', '25%')
    """
    return "三分之一" if abs(fraction - 1 / 3) < 1e-9 else f"{fraction:.0%}"


def _share_en(fraction: float) -> str:
    """A share in English: one third for 1/3, else a percentage."""
    return "one third" if abs(fraction - 1 / 3) < 1e-9 else f"{fraction:.0%}"


def _rule_words(row: _IdleRow, rule: str, rules: _IdleRules) -> tuple[str, str]:
    """Which rule of art. 2 held, from which date, in the regulation's words."""
    years, since = f"{rules.idle_years:g}", f"{row.reference_date:%Y-%m-%d}"
    if rule == "not_started":
        return f"约定动工日 {since} 起满{years}年未动工", f"not started {years} year(s) after {since}"
    return (
        f"{since} 起中止开发建设满{years}年，开发面积不足建设用地总面积{_share_zh(rules.developed_min)}"
        f"或已投资额占总投资额不足{_share_zh(rules.invested_min)}",
        f"halted {years} year(s) from {since}, the developed area under {_share_en(rules.developed_min)} of the "
        f"construction land or the investment made under {_share_en(rules.invested_min)} of the total",
    )


def _cause_words(cause: str) -> tuple[str, str]:
    """An art. 8 cause as the notes name it (¶1 the government's, ¶2 force majeure)."""
    zh, en = DELAY_CAUSES[cause]
    if cause == "force_majeure":
        return "不可抗力（自然灾害等），依第八条第二款", "force majeure (natural disaster and the like)"
    return f"政府原因（{zh}）", f"government-caused ({en})"


def _fee_words(fee_wan: float) -> tuple[str, str]:
    """The idle-land fee of a holder-caused case, or why it is unknown."""
    if np.isnan(fee_wan):
        return "未记录土地价款", "no land price recorded"
    return f"闲置费 {fee_wan:,.1f} 万元", f"idle-land fee {fee_wan:,.1f} 万元"


def _words(row: _IdleRow, day: pd.Timestamp, rules: _IdleRules) -> tuple[str, str]:
    """Chinese and English explanation of one parcel's classification, in the park's own terms.

    Land idle and started since keeps its idle period and the fee it owes: the liability
    arose on the first idle day (art. 14 (一)), whatever happened after.
    """
    reclaim = f"{rules.reclaim_years:g}"
    if pd.isna(row.idle_since):
        return "", ""
    base_zh, base_en = _rule_words(row, row.idle_rule or "not_started", rules)
    since = f"{row.idle_since:%Y-%m-%d}"
    fee_zh, fee_en = _fee_words(row.idle_fee_wan)
    if row.idle_rule is None:  # idle, and started since
        period_zh = f"{since} 至 {row.idle_until:%Y-%m-%d} 闲置{row.idle_days}天，{row.resumed_on:%Y-%m-%d} 已动工"
        period_en = f"idle from {since} to {row.idle_until:%Y-%m-%d} ({row.idle_days} days), started on "
        period_en += f"{row.resumed_on:%Y-%m-%d}"
        if row.delay_cause:
            zh_cause, en_cause = _cause_words(row.delay_cause)
            return (f"{base_zh}，{period_zh}；{zh_cause}，不征闲置费", f"{base_en}; {period_en}; {en_cause}: no fee")
        return (
            f"{base_zh}，{period_zh}；闲置满{rules.idle_years:g}年即应缴{fee_zh}（第十四条），动工后仍应缴纳",
            f"{base_en}; {period_en}; {fee_en} owed from the first idle day (art. 14), starting does not undo it",
        )
    if row.delay_cause:
        zh_cause, en_cause = _cause_words(row.delay_cause)
        return (
            f"{base_zh}，自 {since} 起闲置；{zh_cause}，不征闲置费、不无偿收回，应协商处置",
            f"{base_en}; idle since {since}; {en_cause}: no fee, no reclamation (art. 8)",
        )
    if row.reclaim_from <= day:
        reclaim_zh = f"已满{reclaim}年，自 {row.reclaim_from:%Y-%m-%d} 起可无偿收回"
        reclaim_en = f"reclaimable without compensation since {row.reclaim_from:%Y-%m-%d}"
    else:
        reclaim_zh = f"{row.reclaim_from:%Y-%m-%d} 起可无偿收回"
        reclaim_en = f"reclaimable without compensation from {row.reclaim_from:%Y-%m-%d}"
    return (
        f"{base_zh}，自 {since} 起闲置；{fee_zh}；{reclaim_zh}",
        f"{base_en}; idle since {since}; {fee_en}; {reclaim_en}",
    )
