"""Per-mu evaluation: scores and classes worked out by hand.

Defaults: benchmarks 20 万元 tax and 400 万元 output per mu, 5 万元 output per tce;
weights 0.45 / 0.25 / 0.15 / 0.15 (tax, output, energy, FAR); scores capped at 1.2
(FAR at 1); classes A ≥ 100, B ≥ 80, C ≥ 50, else D. Each test parcel is
100 m × 100 m = 10,000 m² = 15 mu.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.config import ParkConfig
from planner.parcels.evaluation import consistency_checks, evaluate, far_minimum
from planner.parcels.evaluation_text import explain_one
from planner.parcels.validation import validate_parcels
from tests.conftest import GK, grid_parcels

CONFIG = ParkConfig(park_id="T1", name="测试园区", crs_epsg=GK)


def producing(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "status": ["in_production"] * n,
        "holder": [f"企业{i}" for i in range(n)],
        "land_use": ["100102"] * n,
        "industry": ["C3421"] * n,
        "contract_date": ["2018-01-01"] * n,
        "actual_start_date": ["2018-06-01"] * n,
    }
    return validate_parcels(grid_parcels(n, **{**base, **columns}), crs_epsg=GK, park_id="T1").parcels


def test_far_minimum_by_division():
    got = far_minimum(pd.Series(["C3670", "C39", "C2614", "G5920", None, "C4310"]))
    np.testing.assert_array_equal(got, [0.7, 1.0, 0.6, np.nan, np.nan, np.nan])  # C43 has no 2008 minimum


def test_scores_and_classes_by_hand():
    p = producing(
        tax_wan=[300.0, 270.0, 150.0, 30.0, 900.0],
        output_wan=[6000.0, 5400.0, 3000.0, 600.0, 12000.0],
        energy_tce=[1200.0, 1080.0, 600.0, 600.0, 1200.0],
        floor_area_m2=[10000.0, 10000.0, 5000.0, 10000.0, 20000.0],
        footprint_m2=[4000.0, 4000.0, 4000.0, 4000.0, 5000.0],
    )
    t = evaluate(p, CONFIG).table
    # P000: every indicator at its benchmark (FAR 1.0 over the minimum 0.7 scores 1) → 100
    # P001: 0.45·0.9 + 0.25·0.9 + 0.15·1 + 0.15·1 = 0.93 → 93
    # P002: 0.45·0.5 + 0.25·0.5 + 0.15·1 + 0.15·(0.5/0.7) → 60.714…
    # P003: 0.45·0.1 + 0.25·0.1 + 0.15·0.2 + 0.15·1 = 0.25 → 25
    # P004: tax 3×, output 2×, energy 2× are capped at 1.2: 0.45·1.2 + 0.25·1.2 + 0.15·1.2 + 0.15·1 → 117
    np.testing.assert_allclose(t["score"], [100.0, 93.0, 100 * (0.225 + 0.125 + 0.15 + 0.15 * 0.5 / 0.7), 25.0, 117.0])
    assert t["eval_class"].tolist() == ["A", "B", "C", "D", "A"]
    assert t["class_zh"].tolist() == ["优先发展", "提升发展", "调整转型", "整治淘汰", "优先发展"]
    assert t["low_efficiency"].tolist() == [False, False, True, True, False]  # P002: FAR 0.5 < 0.7
    np.testing.assert_allclose(t["tax_per_mu_wan"], [20.0, 18.0, 10.0, 2.0, 60.0])
    np.testing.assert_allclose(t["output_per_tce_wan"], [5.0, 5.0, 5.0, 1.0, 10.0])
    np.testing.assert_allclose(t["far"], [1.0, 1.0, 0.5, 1.0, 2.0])
    assert t.loc["P002", "explanation_zh"] == (
        "亩均税收 10.0 万元/亩（基准 20）；亩均产值 200 万元/亩（基准 400）；单位能耗产值 5.0 万元/吨标煤（基准 5）；"
        "容积率 0.50（C34 行业下限 0.7，低于行业下限）；建筑系数 40.0%（下限 30%，达标）；"
        "无行政办公及生活服务设施用地比重数据，未核验7%上限；无绿地率数据，未核验20%上限；"
        "综合得分 60.7 → C 类 调整转型；列为低效用地"
    )
    assert t.loc["P003", "explanation_en"].endswith("score 25.0 → class D (rectify or phase out); low-efficiency land")


def test_missing_energy_counts_as_missing():
    """Missing energy data scores 0 on energy (weight 0.15) instead of re-weighting the rest: 45 + 25 + 15 = 85."""
    p = producing(tax_wan=[300.0], output_wan=[6000.0], floor_area_m2=[10000.0], footprint_m2=[4000.0])
    t = evaluate(p, CONFIG).table
    assert t.loc["P000", "score"] == pytest.approx(85.0)
    assert t.loc["P000", "eval_class"] == "B"  # with energy data at its benchmark it would be an A (100)
    assert "无能耗数据，能耗得分按缺项计0分" in t.loc["P000", "explanation_zh"]


def test_an_industry_without_a_far_minimum_is_not_scored_on_far():
    """C43 has no 2008 FAR minimum: FAR does not apply and the rest is weighted (0.45·0.5 + 0.25·0.5 + 0.15)/0.85."""
    p = producing(industry=["C4310"], tax_wan=[150.0], output_wan=[3000.0], energy_tce=[600.0], floor_area_m2=[2000.0])
    row = evaluate(p, CONFIG).table.loc["P000"]
    assert row["score"] == pytest.approx(100 * 0.5 / 0.85)


def test_logistics_land_is_scored_against_logistics_floors():
    """Logistics land (1101xx) is not held to manufacturing floors: without the park's logistics floors it is not
    scored (a warning says so); with them (tax 10, output 100 万元/亩) tax 10/10 and output 200/100 (capped 1.2)
    weigh (0.45·1 + 0.25·1.2) / 0.70 — energy per tce and the 2008 FAR minimum do not apply to it."""
    record = {"industry": ["G5920"], "land_use": ["110101"], "tax_wan": [150.0], "output_wan": [3000.0],
              "energy_tce": [600.0], "floor_area_m2": [2000.0], "footprint_m2": [2000.0]}  # fmt: skip
    p = producing(**record)
    default = evaluate(p, CONFIG)
    assert default.table.empty
    (warning,) = default.problems
    assert warning.field == "land_use" and "not scored against manufacturing floors" in warning.message
    park = CONFIG.with_changes(
        thresholds={"eval_logistics_tax_min_wan_per_mu": 10.0, "eval_logistics_output_min_wan_per_mu": 100.0}
    )
    row = evaluate(p, park).table.loc["P000"]
    assert row["score"] == pytest.approx(100 * 0.75 / 0.70)
    assert row["eval_class"] == "A"
    assert "能耗" not in row["explanation_zh"]


def test_rank_quotas_class_the_top_fifth_a_and_the_bottom_twentieth_d():
    """Rank quotas (A the top 20%, D the bottom 5%): of 20 parcels 4 are A and 1 is D; the rest B (≥ 80) or C."""
    n = 20
    tax = [float(20 * 15 * (1 - 0.04 * i)) for i in range(n)]  # tax per mu 20, 19.2, … falling by 0.8
    p = producing(tax_wan=tax, output_wan=[6000.0] * n, energy_tce=[1200.0] * n, floor_area_m2=[10000.0] * n)
    park = CONFIG.with_changes(thresholds={"eval_rank_quotas": 1.0})
    result = evaluate(p, park)
    cls = result.table["eval_class"].tolist()
    # score 100 − 45·0.04·i: ≥ 80 while i ≤ 11
    assert cls == ["A"] * 4 + ["B"] * 8 + ["C"] * 7 + ["D"]
    assert result.method == "rank_quotas"
    assert (
        result.method_text()
        == "通用方法（亩均税收、亩均产值、单位能耗产值、容积率），按排名配额分类（A类为前列、D类为末位）"
    )
    assert result.table["explanation_zh"].str.contains("（按排名配额）").all()
    absolute = evaluate(p, CONFIG)
    assert absolute.method == "absolute"
    assert absolute.table["eval_class"].tolist() == ["A"] + ["B"] * 11 + ["C"] * 8


def test_park_thresholds_change_the_classes():
    strict = CONFIG.with_changes(thresholds={**CONFIG.thresholds, "tax_min_wan_per_mu": 40.0})
    p = producing(
        tax_wan=[300.0], output_wan=[6000.0], energy_tce=[1200.0], floor_area_m2=[10000.0], footprint_m2=[4000.0]
    )
    row = evaluate(p, strict).table.loc["P000"]
    assert row["score"] == pytest.approx(77.5)  # 0.45·0.5 + 0.25 + 0.15 + 0.15: an A at the national floor
    assert row["eval_class"] == "C"


def test_only_producing_industrial_parcels_are_evaluated_and_gaps_are_reported():
    p = producing(
        status=["in_production", "in_production", "under_construction", "in_production"],
        land_use=["100102", "100102", "100102", "1303"],
        tax_wan=[300.0, None, 10.0, 50.0],
        output_wan=[6000.0, 5000.0, 10.0, 900.0],
        energy_tce=[1200.0, 1.0, 1.0, 1.0],
        floor_area_m2=[1.0e4, 1.0e4, 1.0e4, 1.0e4],
        footprint_m2=[4e3, 4e3, 4e3, 4e3],
    )
    result = evaluate(p, CONFIG)
    assert list(result.table.index) == ["P000"]
    assert [(q.parcel_id, q.field, q.message) for q in result.problems] == [
        ("P001", "tax_wan", "a producing parcel without annual tax cannot be evaluated per mu")
    ]
    assert result.counts() == {"A": 1, "B": 0, "C": 0, "D": 0}


def test_consistency_checks_name_the_odd_figures():
    p = producing(
        tax_wan=[300.0] * 5,
        output_wan=[6000.0, 6000.0, 6000.0, 6000.0, 6000.0],
        energy_tce=[600.0, 550.0, 650.0, 600.0, 100.0],  # 10 万元/tce for four; 60 for the last: 6× the median 10
        floor_area_m2=[10000.0, 10000.0, 10000.0, 10000.0, 1000.0],
        footprint_m2=[4000.0, 4000.0, 4000.0, 4000.0, 1000.0],
        investment_total_wan=[5000.0] * 5,
        investment_actual_wan=[5000.0] * 5,  # 5,000 元/m² for four, 50,000 元/m² for the last
        declared_area_mu=[15.0, 15.0, 15.3, 15.0, 15.0],
    )
    found = {(q.parcel_id, q.field): q.message for q in consistency_checks(p)}
    assert set(found) == {("P004", "energy_tce"), ("P004", "investment_actual_wan"), ("P002", "declared_area_mu")}
    assert found[("P004", "energy_tce")] == (
        "output 6,000 万元 on 100.0 tce is 60.0 万元/tce, 6.0× the median 10.0 of comparable parcels: "
        "check output or energy use"
    )
    assert "50,000 元/m², 10.0× the park median 5,000 元/m²" in found[("P004", "investment_actual_wan")]
    assert found[("P002", "declared_area_mu")].startswith("declared 15.30 mu differs from the computed 15.00 mu")


def test_output_without_energy_and_investment_without_floor_area():
    p = producing(tax_wan=[300.0], output_wan=[6000.0], investment_total_wan=[5000.0], investment_actual_wan=[4000.0])
    found = {(q.parcel_id, q.field): q.message for q in consistency_checks(p)}
    assert found == {
        ("P000", "energy_tce"): "output 6,000 万元 with no energy use recorded",
        ("P000", "floor_area_m2"): "investment 4,000 万元 made but no floor area recorded",
    }


def test_a_parcel_without_floor_area_is_not_scored_on_far():
    p = producing(tax_wan=[300.0], output_wan=[6000.0], energy_tce=[1200.0])
    row = evaluate(p, CONFIG).table.loc["P000"]
    assert row["score"] == pytest.approx(85.0)  # tax, output and energy at their benchmarks; FAR missing scores 0
    assert "无建筑面积数据，容积率得分按缺项计0分" in row["explanation_zh"]
    assert "达标" not in row["explanation_zh"]
    assert not row["low_efficiency"]


def test_building_coverage_of_producing_parcels_at_the_floor():
    """国土资发〔2008〕24号 art. 四(三): 建筑系数 ≥ 30% — 3,000 m² of footprint on 10,000 m² meets it, 2,999 m² not."""
    p = producing(
        tax_wan=[300.0, 300.0, 300.0],
        output_wan=[6000.0] * 3,
        floor_area_m2=[10000.0] * 3,
        footprint_m2=[3000.0, 2999.0, None],
    )
    t = evaluate(p, CONFIG).table
    np.testing.assert_allclose(t["building_coverage_pct"].iloc[:2], [30.0, 29.99])
    assert "建筑系数 30.0%（下限 30%，达标）" in t.loc["P000", "explanation_zh"]
    assert "建筑系数 29.99%（下限 30%，低于下限）" in t.loc["P001", "explanation_zh"]
    assert "无建筑基底面积数据，未核验建筑系数" in t.loc["P002", "explanation_zh"]
    assert "no administration and living share recorded, the 7% cap not checked" in t.loc["P000", "explanation_en"]
    assert "无绿地率数据，未核验20%上限" in t.loc["P000", "explanation_zh"]
    assert t.loc["P002", "unchecked"] == "building_coverage_pct,admin_share_pct,green_ratio_pct"


def test_the_evaluation_reads_in_one_language():
    p = producing(tax_wan=[300.0], output_wan=[6000.0], floor_area_m2=[10000.0], footprint_m2=[4000.0])
    result = evaluate(p, CONFIG)
    zh, en = result.to_frame("zh"), result.to_frame("en")
    assert zh.loc["P000", "explanation"] == result.table.loc["P000", "explanation_zh"]
    assert en.loc["P000", "explanation"] == result.table.loc["P000", "explanation_en"]
    assert "无能耗数据，能耗得分按缺项计0分" in zh.loc["P000", "explanation"]
    for frame in (zh, en):
        assert not {"explanation_zh", "explanation_en"} & set(frame.columns)
        assert len(frame.columns) == len(result.table.columns) - 1


def test_explanations_written_for_all_at_once_read_as_one_parcel_at_a_time():
    """The vectorised writer against the one-parcel writer, on figures that sit on a rounding half, read as their
    limit when rounded (FAR 0.69999 beside 0.7, coverage 29.996% beside 30%), lack energy or floor area."""
    rng = np.random.default_rng(7)
    n = 60
    tax = rng.uniform(0, 600, n).round(2)
    tax[:4] = [0.75 * 15, 0.25 * 15, 0.35 * 15, 1.05 * 15]  # tax per mu 0.75, 0.25, 0.35, 1.05: halves
    floor = rng.uniform(2_000, 20_000, n)
    floor[4:8] = [6_999.9, 7_000.0, 6_999.0, np.nan]  # FAR 0.69999 (reads 0.70), 0.7, 0.6999, none
    footprint = rng.uniform(1_000, 6_000, n)
    footprint[8:10] = [2_999.6, np.nan]  # coverage 29.996% (reads 30.0)
    energy = rng.uniform(100, 2_000, n)
    energy[10:12] = np.nan
    industry = rng.choice(["C3421", "C3670", "C4310", "C2614"], n)
    industry[4:8] = "C3421"  # FAR minimum 0.7
    admin = rng.uniform(0, 12, n)
    admin[12:15] = [6.99996, 7.00004, np.nan]  # reads 7.0 under the cap, over it; none
    green = rng.uniform(5, 30, n)
    green[15:17] = [20.00004, np.nan]
    p = producing(tax_wan=tax, output_wan=rng.uniform(100, 9_000, n), energy_tce=energy, floor_area_m2=floor,
                  footprint_m2=footprint, industry=industry, admin_share_pct=admin, green_ratio_pct=green)  # fmt: skip
    zhejiang = CONFIG.with_changes(thresholds={"eval_method_zhejiang": 1.0})
    for config in (CONFIG, CONFIG.with_changes(thresholds={"eval_rank_quotas": 1.0}), zhejiang):
        result = evaluate(p, config)
        assert len(result.classes) == n
        bench = {**result.benchmarks, "coverage": result.coverage_min_pct}
        for lang in ("zh", "en"):
            written = result.explanations(lang)
            one_by_one = [
                explain_one(row, bench, pos, lang, result.method)
                for pos, row in enumerate(result.classes.reset_index().itertuples())
            ]
            assert written.tolist() == one_by_one
    assert "容积率 0.69999（C34 行业下限 0.7，低于行业下限）" in result.explanations("zh", ["P004"]).iloc[0]
    assert "建筑系数 29.996%（下限 30%，低于下限）" in result.explanations("zh", ["P008"]).iloc[0]
    assert result.to_frame("en").loc["P005", "explanation"] == result.explanations("en").loc["P005"]
    with pytest.raises(KeyError, match="no evaluation of parcel"):
        result.explanations("zh", ["nope"])


def test_the_2008_caps_on_admin_and_green_land_at_the_boundary():
    """国土资发〔2008〕24号 art. 四(四): 行政办公及生活服务设施用地 ≤ 7% of the land; its 应用说明: 绿地率 ≤ 20%.

    Exactly 7% and 20% meet the caps; 7.0001% and 20.0001% (a hair over) do not, and are not shown as 7.0
    and 20.0 beside them; a parcel that records neither lists both as unchecked.
    """
    p = producing(
        tax_wan=[300.0] * 3,
        output_wan=[6000.0] * 3,
        floor_area_m2=[10000.0] * 3,
        footprint_m2=[4000.0] * 3,
        admin_share_pct=[7.0, 7.0001, None],
        green_ratio_pct=[20.0, 20.0001, None],
    )
    t = evaluate(p, CONFIG).table
    assert t["admin_over_cap"].tolist() == [False, True, pd.NA]
    assert t["green_over_cap"].tolist() == [False, True, pd.NA]
    assert (
        "行政办公及生活服务设施用地 7.0%（上限 7%，达标）；绿地率 20.0%（上限 20%，达标）"
        in t.loc["P000", "explanation_zh"]
    )
    assert "行政办公及生活服务设施用地 7.0001%（上限 7%，超过上限）" in t.loc["P001", "explanation_zh"]
    assert "green ratio 20.0001% (cap 20%, over it)" in t.loc["P001", "explanation_en"]
    assert t["unchecked"].tolist() == ["", "", "admin_share_pct,green_ratio_pct"]
    assert "无行政办公及生活服务设施用地比重数据，未核验7%上限" in t.loc["P002", "explanation_zh"]
    # a park's own stricter cap (5%): 7% is over it
    strict = evaluate(p, CONFIG.with_changes(thresholds={"admin_living_share_max": 0.05})).table
    assert strict["admin_over_cap"].tolist() == [True, True, pd.NA]
    assert "（上限 5%，超过上限）" in strict.loc["P000", "explanation_zh"]
