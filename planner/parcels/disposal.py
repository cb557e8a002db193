"""The disposal of idle land as a record per parcel (闲置土地处置办法, 国土资源部令第53号, 2012, arts. 5–14).

A parcel's record, columns of the parcel layer (group ``idle``):

- ``idle_notice_date``: the 闲置土地调查通知书 (art. 5: the bureau investigates suspected idle
  land within 30 days and notifies the holder);
- ``idle_determined_date``: the 闲置土地认定书 (art. 9: land found idle on investigation is
  determined so);
- ``disposal`` and ``disposal_date``: the disposal chosen and the day it was decided — for an
  art. 8 cause (the government's, force majeure) one of art. 12: 延长动工开发期限 (``extend``),
  调整土地用途、规划条件 (``adjust``), 政府安排临时使用 (``temporary_use``), 协议有偿收回
  (``paid_reclaim``), 置换土地 (``swap``); for holder-caused idle land one of art. 14:
  征缴土地闲置费 (``levy_fee``), 无偿收回 (``reclaim``);
- ``restart_date``: the start date the disposal sets anew (art. 12 ¶2: 除前款第四项规定外，动工
  开发时间按照新约定、规定的时间重新起算; the plan approved and carried out, art. 13). The
  idle-land rules then run from it (:func:`planner.parcels.idle.classify_idle`);
- ``temporary_use_until``: the last day of a temporary use;
- ``idle_fee_paid_wan``: the idle-land fee paid (万元); the fee owed is ``idle_fee_wan``.

:func:`check_disposals` refuses records that break the articles, naming the parcel and the
field; :func:`disposal_stages` says where each parcel stands in the procedure
(:data:`planner.vocab.DISPOSAL_STAGES`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.errors import Problem
from planner.fields import flag
from planner.parcels.periods import period_end
from planner.vocab import DISPOSALS

__all__ = ["CLOSING", "RECORD_COLUMNS", "RESTARTING", "check_disposals", "disposal_stages"]

RECORD_COLUMNS = (
    "idle_notice_date",
    "idle_determined_date",
    "disposal",
    "disposal_date",
    "restart_date",
    "temporary_use_until",
    "idle_fee_paid_wan",
)
"""The columns of a parcel's disposal record."""

RESTARTING = ("extend", "adjust", "temporary_use")
"""Disposals after which the start date is set anew (art. 12 ¶2; not a paid reclaim, art. 12 (四))."""
CLOSING = ("paid_reclaim", "swap", "reclaim")
"""Disposals that take the land from the holder: the case ends on the day they are decided."""
_ART_12 = ("extend", "adjust", "temporary_use", "paid_reclaim", "swap")
_ART_14 = ("levy_fee", "reclaim")
_EXTEND_YEARS = 1  # art. 12 (一): 延长动工开发期限最长不得超过一年
_TEMPORARY_YEARS = 2  # art. 12 (三): 临时使用期限最长不得超过两年


def _day(value: pd.Timestamp) -> str:
    return f"{value:%Y-%m-%d}"


def _disposal_zh(code: object) -> str:
    """A disposal as a message names it in Chinese: ``延长动工开发期限（`extend`）``."""
    label = DISPOSALS.get(str(code), (None,))[0]
    return f"「{label}」（`{code}`）" if label else f"`{code}`"


_RECORDS = (
    "idle_notice_date", "idle_determined_date", "disposal", "disposal_date", "restart_date", "temporary_use_until",
)  # fmt: skip
"""The procedure's records: with none of them a parcel breaks no article (a comparison with a missing date is False)."""


def check_disposals(p: pd.DataFrame) -> list[Problem]:
    """Records of the idle-land procedure that break its articles: errors and warnings by parcel and field.

    Errors: the determination before the investigation notice or the contract (arts. 5, 9);
    a disposal without its date or a date without a disposal; a disposal before the
    determination; an extension or adjustment without the new start date (art. 12 ¶2); an
    extension whose new start date is more than one year after the decision (art. 12 (一));
    a temporary use without its last day, or longer than two years from the decision (art.
    12 (三)); a new start date before the decision, or set by a disposal that sets none;
    the fee or reclamation of art. 14 on land with an art. 8 cause (art. 14 applies 除本办法
    第八条规定情形外). Warnings: a disposal with no determination recorded; an art. 12
    disposal on land with no art. 8 cause (art. 12 is for those; art. 14 for the holder's).
    Periods are counted as :func:`~planner.parcels.periods.period_end` counts them.
    """
    if not any(p[c].notna().any() for c in _RECORDS):  # every check below needs one of them
        return []
    notice, determined = p["idle_notice_date"], p["idle_determined_date"]
    disposal, decided = p["disposal"], p["disposal_date"]
    restart, until = p["restart_date"], p["temporary_use_until"]
    cause = p["delay_cause"].notna()
    extend_limit = period_end(decided, years=_EXTEND_YEARS)
    temporary_limit = period_end(decided, years=_TEMPORARY_YEARS)
    sets_start = disposal.isin(RESTARTING)
    d = _disposal_zh
    errors = [
        ("idle_notice_date", notice < p["contract_date"], lambda i: f"the investigation notice {_day(notice.iloc[i])} "
         f"is before the contract date {_day(p['contract_date'].iloc[i])}",
         lambda i: f"调查通知书 {_day(notice.iloc[i])} 早于合同签订日期 {_day(p['contract_date'].iloc[i])}"),
        ("idle_determined_date", determined < notice, lambda i: f"the 认定书 {_day(determined.iloc[i])} "
         f"is before the investigation notice {_day(notice.iloc[i])} (arts. 5, 9)",
         lambda i: f"闲置土地认定书 {_day(determined.iloc[i])} 早于调查通知书 {_day(notice.iloc[i])}"
         "（第五条、第九条）"),
        ("disposal_date", disposal.notna() & decided.isna(), lambda i: f"the disposal {disposal.iloc[i]!r} is undated",
         lambda i: f"处置{d(disposal.iloc[i])}没有日期"),
        ("disposal", disposal.isna() & decided.notna(), lambda i: f"a disposal date {_day(decided.iloc[i])} without a "
         "disposal; set `disposal`", lambda i: f"有处置日期 {_day(decided.iloc[i])} 而无处置方式：请填写 `disposal`"),
        ("disposal_date", decided < determined, lambda i: f"the disposal {_day(decided.iloc[i])} is before the "
         f"determination {_day(determined.iloc[i])} (arts. 9, 12–14)",
         lambda i: f"处置日期 {_day(decided.iloc[i])} 早于认定日期 {_day(determined.iloc[i])}"
         "（第九条、第十二至十四条）"),
        ("restart_date", disposal.isin(("extend", "adjust")) & restart.isna(), lambda i: f"the disposal "
         f"{disposal.iloc[i]!r} sets a new start date (art. 12 ¶2); `restart_date` is empty",
         lambda i: f"处置{d(disposal.iloc[i])}须约定新的动工开发日期（第十二条第二款）；`restart_date` 为空"),
        ("restart_date", (disposal == "extend") & (restart > extend_limit), lambda i: f"the new start date "
         f"{_day(restart.iloc[i])} extends past {_day(extend_limit.iloc[i])}, one year from the decision "
         f"{_day(decided.iloc[i])} (延长动工开发期限最长不得超过一年, art. 12 (一))",
         lambda i: f"新的动工日期 {_day(restart.iloc[i])} 晚于 {_day(extend_limit.iloc[i])}，即处置决定 "
         f"{_day(decided.iloc[i])} 起一年（延长动工开发期限最长不得超过一年，第十二条第（一）项）"),
        ("restart_date", restart < decided, lambda i: f"the new start date {_day(restart.iloc[i])} is before the "
         f"disposal {_day(decided.iloc[i])}",
         lambda i: f"新的动工日期 {_day(restart.iloc[i])} 早于处置日期 {_day(decided.iloc[i])}"),
        ("restart_date", restart.notna() & ~sets_start, lambda i: f"the disposal {disposal.iloc[i]!r} sets no "
         "new start date (art. 12 ¶2: only extend, adjust and temporary_use do); clear `restart_date`",
         lambda i: f"处置{d(disposal.iloc[i])}不约定新的动工日期（第十二条第二款：只有延长动工开发期限、"
         "调整土地用途和规划条件、临时使用才约定）：请清空 `restart_date`"),
        ("temporary_use_until", (disposal == "temporary_use") & until.isna(), lambda i: "a temporary use needs its "
         "last day (`temporary_use_until`, at most two years, art. 12 (三))",
         lambda i: "临时使用须写明截止日期（`temporary_use_until`，最长两年，第十二条第（三）项）"),
        ("temporary_use_until", (disposal == "temporary_use") & (until > temporary_limit), lambda i: f"the "
         f"temporary use to {_day(until.iloc[i])} runs past {_day(temporary_limit.iloc[i])}, two years from "
         f"{_day(decided.iloc[i])} (临时使用期限最长不得超过两年, art. 12 (三))",
         lambda i: f"临时使用至 {_day(until.iloc[i])}，超过 {_day(decided.iloc[i])} 起两年的 "
         f"{_day(temporary_limit.iloc[i])}（临时使用期限最长不得超过两年，第十二条第（三）项）"),
        ("temporary_use_until", until.notna() & (disposal != "temporary_use"), lambda i: "a last day of temporary "
         f"use for the disposal {disposal.iloc[i]!r}; only temporary_use has one",
         lambda i: f"处置{d(disposal.iloc[i])}填有临时使用截止日期；只有临时使用（`temporary_use`）才有"),
        ("temporary_use_until", until <= decided, lambda i: f"the temporary use ends {_day(until.iloc[i])}, not after "
         f"it was decided on {_day(decided.iloc[i])}",
         lambda i: f"临时使用截止于 {_day(until.iloc[i])}，不晚于处置决定日期 {_day(decided.iloc[i])}"),
        ("disposal", disposal.isin(_ART_14) & cause, lambda i: f"the disposal {disposal.iloc[i]!r} (art. 14) is for "
         f"holder-caused idle land, but the parcel records the art. 8 cause {p['delay_cause'].iloc[i]!r}; clear "
         "`delay_cause` if the bureau did not accept it",
         lambda i: f"处置{d(disposal.iloc[i])}（第十四条）适用于使用权人原因造成的闲置土地，但该宗地记有第八条的原因 "
         f"{p['delay_cause'].iloc[i]!r}：如国土部门未予认可，请清空 `delay_cause`"),
    ]  # fmt: skip
    problems: list[Problem] = []
    for column, mask, text, text_zh in errors:
        problems += flag(p, np.asarray(pd.Series(mask).fillna(False), dtype=bool), "error", column, text, zh=text_zh)
    problems += _disposal_warnings(p, disposal, determined, cause)
    return problems


def _disposal_warnings(p: pd.DataFrame, disposal: pd.Series, determined: pd.Series, cause: pd.Series) -> list[Problem]:
    """A disposal with no determination recorded; an art. 12 disposal on land with no art. 8 cause."""
    problems: list[Problem] = []
    warnings = [
        ("idle_determined_date", disposal.notna() & determined.isna(), "a disposal is recorded but no "
         "determination (闲置土地认定书, art. 9)", "记有处置，但没有认定（闲置土地认定书，第九条）"),
        ("disposal", disposal.isin(_ART_12) & ~cause, "art. 12 disposals are for idle land of an art. 8 cause "
         "(the government's, force majeure); the parcel records none, and holder-caused idle land pays the fee "
         "and is reclaimed after two years (art. 14)", "第十二条的处置适用于第八条原因（政府原因、不可抗力）造成的"
         "闲置土地；该宗地未记录此类原因，而使用权人原因造成的闲置土地应缴纳闲置费，满两年无偿收回（第十四条）"),
    ]  # fmt: skip
    for column, mask, message, message_zh in warnings:
        problems += flag(
            p, np.asarray(pd.Series(mask).fillna(False), dtype=bool), "warning", column, message, zh=message_zh
        )
    return problems


def disposal_stages(p: pd.DataFrame, table: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Where each parcel stands in the procedure as of ``day`` (a code of :data:`~planner.vocab.DISPOSAL_STAGES`).

    ``p`` is the parcel layer (positional rows) and ``table`` its idle classification, row for
    row (``idle_rule``, ``idle_since``, ``idle_fee_wan``, ``reclaim_from``, ``delay_cause``).
    Records dated after ``day`` have not happened yet. In order: a closing disposal
    (``paid_reclaim``, ``swap``, ``reclaim``) → ``closed``; idle two full years and
    holder-caused → ``reclaimable`` (art. 14 (二)); idle again after a disposal set a new
    start, or a temporary use over with no new start → ``overdue``; a disposal of art. 12
    under way (the year from its new start not passed; a temporary use not over) →
    ``in_disposal``; a fee levied (``levy_fee``) on land still idle, or owed by land idle and
    started since, and not fully paid → ``fee_due``; the fee levied and paid, still idle → ``fee_paid``;
    else the last step recorded: ``determined``, ``investigating``, or ``to_investigate``;
    land idle before and started since with nothing owed → ``closed``. ``None`` where the
    parcel never was idle and has no record.
    """

    def on(column: str) -> np.ndarray:
        dates = p[column]
        return np.asarray((dates <= day).fillna(False), dtype=bool)

    idle_now = table["idle_rule"].notna().to_numpy()
    was_idle = table["idle_since"].notna().to_numpy() & ~idle_now
    decided = on("disposal_date")
    disposal = p["disposal"].where(decided, None)
    closing = disposal.isin(CLOSING).to_numpy()
    restarting = disposal.isin(RESTARTING).to_numpy()
    started = on("actual_start_date")
    temporary_over = (
        (disposal == "temporary_use").to_numpy()
        & np.asarray((p["temporary_use_until"] < day).fillna(False), dtype=bool)
        & p["restart_date"].isna().to_numpy()
    )
    owed = table["idle_fee_wan"].fillna(0.0).to_numpy(dtype=float)
    paid = p["idle_fee_paid_wan"].fillna(0.0).to_numpy(dtype=float)
    outstanding = owed - paid > 0.005  # half a 元 in 万元
    levied = (disposal == "levy_fee").to_numpy()
    reclaimable = idle_now & np.asarray((table["reclaim_from"] <= day).fillna(False), dtype=bool)
    pending = idle_now | ~(was_idle | restarting)  # a case whose last step is a notice or a determination
    conditions = [
        (closing, "closed"),
        (reclaimable, "reclaimable"),
        ((idle_now & restarting & p["restart_date"].notna().to_numpy()) | (temporary_over & ~started), "overdue"),
        (restarting & ~started, "in_disposal"),
        ((was_idle | (idle_now & levied)) & outstanding, "fee_due"),
        (idle_now & levied, "fee_paid"),
        (pending & on("idle_determined_date"), "determined"),
        (pending & on("idle_notice_date"), "investigating"),
        (idle_now, "to_investigate"),
        (was_idle | restarting, "closed"),
    ]
    stages = np.full(len(p), None, dtype=object)
    for mask, stage in reversed(conditions):  # the first condition that holds wins
        stages[mask] = stage
    return stages
