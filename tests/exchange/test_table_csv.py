"""Tables of results as CSV: labelled headers with units, labels, rounded numbers, a BOM; English on request."""

from __future__ import annotations

import pandas as pd

from planner.exchange.table_csv import decimals_of, write_table_csv


def _results() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "parcel_id": ["P1", "P2"],
            "status": ["in_production", "reserved"],
            "area_mu": [2.41478912345678, 10.0],
            "tax_per_mu_wan": [1.23456789, None],
            "low_efficiency": [True, False],
            "reference_date": pd.to_datetime(["2025-03-30", None]),
            "custom_m": [12.345, 1.0],
        }
    )
    return frame.set_index("parcel_id")


def test_a_table_of_results_is_written_as_a_planner_reads_it(tmp_path):
    out = write_table_csv(_results(), tmp_path / "r.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "宗地代码,供地状态,宗地面积（亩）,亩均税收（万元/亩）,低效用地,闲置期间起算日,custom_m"
    assert lines[1] == "P1,投产,2.4148,1.23,是,2025-03-30,12.3"  # 亩 to 4, 万元 to 2, m to 1
    assert lines[2] == "P2,储备,10.0,,否,,1.0"


def test_english_headers_and_labels_with_lang_en(tmp_path):
    out = write_table_csv(_results(), tmp_path / "r.csv", lang="en", headers={"custom_m": ("自定", "custom (m)")})
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:2] == ["parcel id", "supply status"] and lines[0].endswith(
        "low efficiency,period runs from,custom (m)"
    )
    assert lines[1].split(",")[1] == "in production" and lines[1].split(",")[4] == "yes"


def test_decimals_follow_the_unit():
    names = ("area_mu", "land_price_wan", "area_m2", "relief_m", "x_ha", "rate_pct", "far")
    assert [decimals_of(n) for n in names] == [4, 2, 2, 1, 4, 1, 2]
