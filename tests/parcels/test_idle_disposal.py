"""The idle-land procedure as a record per parcel (闲置土地处置办法 2012, arts. 5–14).

Art. 5 the investigation notice (调查通知书); art. 9 the determination (认定书); art. 12 the
disposals of land idle for an art. 8 cause — 延长动工开发期限 (最长不得超过一年), 调整土地用途、
规划条件, 政府安排临时使用 (最长不得超过两年), 协议有偿收回, 置换土地 — after which 动工开发时间
按照新约定、规定的时间重新起算 (¶2, except the paid reclaim); art. 14 the fee (20% of the land
price, one year) and reclamation without compensation (two years) of holder-caused idle land.
Limits are periods counted by 民法典 arts. 201–203.

The parcel: contract 2022-01-10, agreed start 2022-06-28; one year ends Wednesday 2023-06-28,
so it is idle from 2023-06-29; two years end Friday 2024-06-28 (reclaimable from 2024-06-29).
"""

from __future__ import annotations

import pandas as pd
import pytest

from planner.config import ParkConfig
from planner.parcels.idle import classify_idle
from planner.parcels.validation import validate_parcels
from planner.vocab import DISPOSAL_STAGES, DISPOSALS
from tests.conftest import GK, grid_parcels

CONFIG = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)
GOVERNMENT = {"delay_cause": ["land_not_delivered"]}


def check(**columns):
    base = {
        "status": ["supplied"],
        "holder": ["某公司"],
        "land_price_wan": [1000.0],
        "contract_date": ["2022-01-10"],
        "agreed_start_date": ["2022-06-28"],
    }
    return validate_parcels(grid_parcels(1, **{**base, **columns}), crs_epsg=GK, park_id="T1")


def parcel(**columns) -> pd.DataFrame:
    result = check(**columns)
    assert result.ok, result.errors
    return result.parcels


def stage(p: pd.DataFrame, as_of: str) -> tuple[str | None, str | None]:
    row = classify_idle(p, as_of, CONFIG).table.loc["P000"]
    return row["disposal_stage"], row["idle_rule"]


def errors(**columns) -> list[tuple[str, str]]:
    return [(q.parcel_id, q.field) for q in check(**columns).errors]


def test_the_words():
    assert DISPOSALS["extend"][0] == "延长动工开发期限" and DISPOSALS["reclaim"][0] == "无偿收回"
    assert DISPOSAL_STAGES["determined"][0] == "已认定待处置"


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2023-06-28", (None, None)),  # not idle yet
        ("2023-06-29", ("to_investigate", "not_started")),  # idle, nothing recorded (art. 5)
        ("2023-07-19", ("to_investigate", "not_started")),  # the day before the notice
        ("2023-07-20", ("investigating", "not_started")),  # the notice's day
        ("2023-08-15", ("determined", "not_started")),  # the 认定书's day (art. 9)
    ],
)
def test_the_procedure_before_a_disposal(as_of, expected):
    p = parcel(idle_notice_date=["2023-07-20"], idle_determined_date=["2023-08-15"], **GOVERNMENT)
    assert stage(p, as_of) == expected


def test_an_extension_restarts_the_rules_from_the_new_start_date():
    # decided 2023-09-01; a new start on Monday 2024-09-02; its year ends Tuesday 2025-09-02
    p = parcel(
        idle_determined_date=["2023-08-15"],
        disposal=["extend"],
        disposal_date=["2023-09-01"],
        restart_date=["2024-09-02"],
        **GOVERNMENT,
    )
    assert stage(p, "2023-08-31") == ("determined", "not_started")  # the day before the decision
    assert stage(p, "2023-09-01") == ("in_disposal", None)  # no longer idle: the start date is set anew
    assert stage(p, "2025-09-02") == ("in_disposal", None)
    row = classify_idle(p, "2025-09-03", CONFIG).table.loc["P000"]
    assert (row["disposal_stage"], row["idle_rule"]) == ("overdue", "not_started")
    assert row["idle_since"] == pd.Timestamp("2025-09-03")
    assert row["idle_fee_wan"] == 0.0  # still an art. 8 cause


def test_started_within_the_extension_closes_the_case():
    p = parcel(
        status=["under_construction"],
        actual_start_date=["2024-10-08"],
        idle_determined_date=["2023-08-15"],
        disposal=["extend"],
        disposal_date=["2023-09-01"],
        restart_date=["2024-09-02"],
        **GOVERNMENT,
    )
    assert stage(p, "2024-10-07") == ("in_disposal", None)
    assert stage(p, "2024-10-08") == ("closed", None)


def test_a_temporary_use_is_under_way_until_its_last_day_then_overdue_without_a_new_start():
    p = parcel(
        idle_determined_date=["2023-08-15"],
        disposal=["temporary_use"],
        disposal_date=["2023-09-01"],
        temporary_use_until=["2025-09-01"],
        **GOVERNMENT,
    )
    assert stage(p, "2025-09-01")[0] == "in_disposal"
    assert stage(p, "2025-09-02")[0] == "overdue"


def test_the_fee_owed_and_paid_of_holder_caused_idle_land():
    record = {"idle_determined_date": ["2023-08-15"], "disposal": ["levy_fee"], "disposal_date": ["2023-09-01"]}
    assert stage(parcel(**record, idle_fee_paid_wan=[100.0]), "2024-01-01") == ("fee_due", "not_started")
    assert stage(parcel(**record, idle_fee_paid_wan=[200.0]), "2024-01-01") == ("fee_paid", "not_started")
    assert stage(parcel(**record, idle_fee_paid_wan=[200.0]), "2024-06-28") == ("fee_paid", "not_started")
    assert stage(parcel(**record, idle_fee_paid_wan=[200.0]), "2024-06-29") == ("reclaimable", "not_started")


def test_a_fee_paid_over_the_fee_owed_is_warned():
    p = parcel(idle_determined_date=["2023-08-15"], disposal=["levy_fee"], disposal_date=["2023-09-01"],
               idle_fee_paid_wan=[250.0])  # fmt: skip
    [warning] = classify_idle(p, "2024-01-01", CONFIG).problems
    assert (warning.parcel_id, warning.field) == ("P000", "idle_fee_paid_wan")
    assert "250.00 万元 paid, more than the 200.00 万元 owed" in warning.message


def test_reclaimed_land_is_closed_and_not_idle_but_its_status_is_asked_for():
    p = parcel(idle_determined_date=["2023-08-15"], disposal=["reclaim"], disposal_date=["2024-07-15"])
    assert stage(p, "2024-07-14") == ("reclaimable", "not_started")
    result = classify_idle(p, "2024-07-15", CONFIG)
    assert (result.table.loc["P000", "disposal_stage"], result.table.loc["P000", "idle_rule"]) == ("closed", None)
    [warning] = result.problems
    assert (warning.parcel_id, warning.field, warning.severity) == ("P000", "status", "warning")


def test_land_idle_and_started_since_owes_its_fee_until_paid():
    started = {"status": ["under_construction"], "actual_start_date": ["2023-09-15"]}
    assert stage(parcel(**started), "2024-01-01") == ("fee_due", None)  # 200 万元 owed from 2023-06-29
    assert stage(parcel(**started, idle_fee_paid_wan=[200.0]), "2024-01-01") == ("closed", None)


def test_land_never_idle_and_without_a_record_has_no_stage():
    assert stage(parcel(agreed_start_date=["2025-06-30"]), "2025-07-01") == (None, None)


@pytest.mark.parametrize(
    ("restart", "ok"),
    # one year from the decision 2023-09-01 ends on Sunday 2024-09-01, moved to Monday 2024-09-02 (民法典 art. 203)
    [("2024-09-01", True), ("2024-09-02", True), ("2024-09-03", False)],
)
def test_an_extension_is_at_most_one_year(restart, ok):
    found = errors(
        idle_determined_date=["2023-08-15"], disposal=["extend"], disposal_date=["2023-09-01"],
        restart_date=[restart], **GOVERNMENT,
    )  # fmt: skip
    assert found == ([] if ok else [("P000", "restart_date")])


@pytest.mark.parametrize(
    ("until", "ok"),
    [("2025-08-31", True), ("2025-09-01", True), ("2025-09-02", False)],  # two years end on Monday 2025-09-01
)
def test_a_temporary_use_is_at_most_two_years(until, ok):
    found = errors(
        idle_determined_date=["2023-08-15"], disposal=["temporary_use"], disposal_date=["2023-09-01"],
        temporary_use_until=[until], **GOVERNMENT,
    )  # fmt: skip
    assert found == ([] if ok else [("P000", "temporary_use_until")])


def test_the_message_names_the_limit_and_the_article():
    [error] = check(
        idle_determined_date=["2023-08-15"], disposal=["extend"], disposal_date=["2023-09-01"],
        restart_date=["2024-12-31"], **GOVERNMENT,
    ).errors  # fmt: skip
    assert error.message == (
        "the new start date 2024-12-31 extends past 2024-09-02, one year from the decision 2023-09-01 "
        "(延长动工开发期限最长不得超过一年, art. 12 (一))"
    )
    assert "parcel 'P000', field `restart_date`" in str(error)


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        ({"idle_notice_date": ["2023-08-20"], "idle_determined_date": ["2023-08-15"]}, "idle_determined_date"),
        ({"idle_determined_date": ["2023-08-15"], "disposal": ["levy_fee"], "disposal_date": ["2023-08-14"]},
         "disposal_date"),
        ({"idle_determined_date": ["2023-08-15"], "disposal": ["levy_fee"]}, "disposal_date"),
        ({"idle_determined_date": ["2023-08-15"], "disposal_date": ["2023-09-01"]}, "disposal"),
        ({"idle_determined_date": ["2023-08-15"], "disposal": ["extend"], "disposal_date": ["2023-09-01"],
          **GOVERNMENT}, "restart_date"),
        ({"idle_determined_date": ["2023-08-15"], "disposal": ["temporary_use"], "disposal_date": ["2023-09-01"],
          **GOVERNMENT}, "temporary_use_until"),
        ({"idle_determined_date": ["2023-08-15"], "disposal": ["levy_fee"], "disposal_date": ["2023-09-01"],
          "restart_date": ["2024-01-01"]}, "restart_date"),
        ({"idle_determined_date": ["2023-08-15"], "disposal": ["reclaim"], "disposal_date": ["2024-07-15"],
          **GOVERNMENT}, "disposal"),
        ({"idle_notice_date": ["2021-12-31"]}, "idle_notice_date"),  # before the contract
        ({"disposal": ["sell"], "disposal_date": ["2023-09-01"]}, "disposal"),  # not a disposal of the rules
    ],
)  # fmt: skip
def test_records_out_of_order_or_against_the_articles_are_refused(columns, field):
    assert ("P000", field) in errors(**columns)


def test_the_chinese_words_are_read_and_an_art_12_disposal_on_holder_caused_land_is_warned():
    result = check(idle_determined_date=["2023-08-15"], disposal=["置换土地"], disposal_date=["2023-09-01"])
    assert result.ok and result.parcels["disposal"].tolist() == ["swap"]
    assert [(q.field, q.severity) for q in result.warnings] == [("disposal", "warning")]
    assert "art. 12 disposals are for idle land of an art. 8 cause" in result.warnings[0].message


def test_a_disposal_without_a_determination_is_warned():
    result = check(disposal=["levy_fee"], disposal_date=["2023-09-01"])
    assert [(q.field, q.severity) for q in result.warnings] == [("idle_determined_date", "warning")]
