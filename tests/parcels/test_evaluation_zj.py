"""Zhejiang-style per-mu evaluation (亩均论英雄): large firms on several indicators, small firms on tax per mu only.

Defaults: benchmarks 20 万元 tax and 400 万元 output per mu, 5 万元 output per tce; Zhejiang weights 0.5 / 0.3 /
0.2 (tax, output, energy); scores capped at 1.2; classes A ≥ 100, B ≥ 80, C ≥ 50, else D; a firm is large (规上)
from 2,000 万元 of annual output. Each test parcel is 100 m × 100 m = 15 mu.
"""

from __future__ import annotations

import numpy as np
import pytest

from planner.config import ParkConfig
from planner.errors import ConfigError
from planner.parcels.evaluation import evaluate
from tests.parcels.test_evaluation import CONFIG, producing

ZHEJIANG = CONFIG.with_changes(thresholds={"eval_method_zhejiang": 1.0})


def parcels():
    return producing(
        tax_wan=[240.0, 360.0, 300.0, 300.0],
        output_wan=[6000.0, 1500.0, 2000.0, 1999.99],
        energy_tce=[1500.0, 300.0, None, None],
        floor_area_m2=[10000.0] * 4,
    )


def test_large_firms_on_three_indicators_and_small_firms_on_tax_alone():
    result = evaluate(parcels(), ZHEJIANG)
    t = result.table
    assert result.scheme == "zhejiang"
    assert result.method_text().startswith("浙江亩均论英雄方法（规上企业多指标、规下企业仅亩均税收）")
    # P002 is on the line (2,000 万元: large), P003 a hair under it (small)
    assert t["firm_class"].tolist() == ["large", "small", "large", "small"]
    assert t["firm_class_zh"].tolist() == ["规上企业", "规下企业", "规上企业", "规下企业"]
    # P000: tax 16/20 = 0.8, output 400/400 = 1, energy 4/5 = 0.8 → 100·(0.5·0.8 + 0.3·1 + 0.2·0.8) = 86
    # P001: small, tax 24/20 = 1.2 (the cap) → 120
    # P002: tax 1, output 133.3/400 = 1/3, no energy (missing: 0) → 100·(0.5 + 0.3/3) = 60
    # P003: small, tax 20/20 = 1 → 100
    np.testing.assert_allclose(t["score"], [86.0, 120.0, 60.0, 100.0])
    assert t["eval_class"].tolist() == ["B", "A", "C", "A"]
    small = t.loc["P001", "explanation_zh"]
    assert small.startswith("规下企业，仅按亩均税收评价；亩均税收 24.0 万元/亩（基准 20）；容积率")
    assert "亩均产值" not in small and "能耗" not in small
    large = t.loc["P002", "explanation_zh"]
    assert large.startswith("规上企业，按亩均税收、亩均产值、单位能耗产值评价；亩均税收 20.0 万元/亩（基准 20）；")
    assert "无能耗数据，能耗得分按缺项计0分" in large and "容积率得分" not in large  # FAR is no Zhejiang indicator


def test_the_national_method_stays_the_default():
    result = evaluate(parcels(), CONFIG)
    t = result.table
    assert result.scheme == "national" and t["firm_class"].isna().all()
    # P001 nationally: 0.45·1.2 + 0.25·(100/400) + 0.15·(5/5) + 0.15·1 (FAR 1 over 0.7) = 0.9025
    assert t.loc["P001", "score"] == pytest.approx(90.25)
    assert t.loc["P001", "eval_class"] == "B"


def test_the_park_sets_the_line_by_land_area():
    """With a land floor of 15 亩 every 15-亩 parcel is large, whatever its output; 14.99 亩 would not be."""
    t = evaluate(
        parcels(), ZHEJIANG.with_changes(thresholds={**ZHEJIANG.thresholds, "eval_zj_large_min_area_mu": 15.0})
    ).table
    assert t["firm_class"].tolist() == ["large"] * 4
    # P003: 100·(0.5·1 + 0.3·(1999.99/15)/400) with no energy = 50 + 30·1999.99/6000
    assert t.loc["P003", "score"] == pytest.approx(50 + 30 * 1999.99 / 6000)
    higher = ZHEJIANG.with_changes(thresholds={**ZHEJIANG.thresholds, "eval_zj_large_min_area_mu": 15.01})
    assert evaluate(parcels(), higher).table["firm_class"].tolist() == ["large", "small", "large", "small"]


def test_the_method_and_weights_are_checked():
    with pytest.raises(ConfigError, match="eval_method_zhejiang"):
        ParkConfig(park_id="T", name="t", crs_epsg=CONFIG.crs_epsg, thresholds={"eval_method_zhejiang": 2.0})
    with pytest.raises(ConfigError, match=r"eval_zj_weight_\*` must add up to 1, got 1.1"):
        ParkConfig(park_id="T", name="t", crs_epsg=CONFIG.crs_epsg, thresholds={"eval_zj_weight_tax": 0.6})
