"""Zhejiang-style per-mu evaluation (亩均论英雄, 浙江): large firms on several indicators, small ones on tax.

Zhejiang's 亩均效益综合评价 (浙江省人民政府 关于深化"亩均论英雄"改革的指导意见, 2018, and the
provincial 评价办法 after it) scores 规模以上 firms on several indicators per mu — 亩均税收,
亩均增加值, 单位能耗增加值, 单位排放增加值, 全员劳动生产率, R&D 经费支出占主营业务收入之比 —
and 规模以下 firms on 亩均税收 alone. The parcel layer holds tax, output and energy use: a large
firm is scored here on tax per mu, output per mu (the layer's stand-in for value added per mu)
and output per tce (for value added per tce), weighted by ``eval_zj_weight_*``; a small firm on
tax per mu only. Each indicator scores ``min(value / benchmark, cap)`` against the park's floors,
as in the national method; the classes follow the same floors (or rank quotas).

A firm is large (规上) when its annual output reaches ``eval_zj_large_min_output_wan``
(2,000 万元, the statistical line of 规模以上工业企业 on 主营业务收入, output standing in for
revenue) or, where the park sets ``eval_zj_large_min_area_mu`` above 0, its land reaches it.
The park chooses the method with ``eval_method_zhejiang`` (0: the national method, the default).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner.config import ParkConfig

__all__ = ["FIRM_CLASSES", "firm_classes", "zhejiang_score"]

FIRM_CLASSES: Mapping[str, tuple[str, str]] = {
    "large": ("规上企业", "large firm (above the line)"),
    "small": ("规下企业", "small firm (below the line)"),
}
"""The classes a firm is scored as under the Zhejiang method (Chinese, English)."""

_WEIGHTS = {"tax": "eval_zj_weight_tax", "output": "eval_zj_weight_output", "energy": "eval_zj_weight_energy"}


def firm_classes(p: pd.DataFrame, config: ParkConfig) -> np.ndarray:
    """``large`` or ``small`` for each parcel (by its annual output, or its land where the park sets a floor)."""
    output = p["output_wan"].to_numpy(dtype=float, na_value=np.nan)
    area_mu = p["area_mu"].to_numpy(dtype=float)
    by_output = output >= config.threshold("eval_zj_large_min_output_wan")
    min_area = config.threshold("eval_zj_large_min_area_mu")
    by_area = (area_mu >= min_area) if min_area > 0 else np.zeros(len(p), dtype=bool)
    return np.where(by_output | by_area, "large", "small").astype(object)


def zhejiang_score(
    benchmarks: Mapping[str, tuple[np.ndarray, float | np.ndarray, float]], large: np.ndarray, config: ParkConfig
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The score of every parcel, and the benchmarks that applied to each (NaN where an indicator is not scored).

    Large firms: ``100 · Σ wᵢ·min(valueᵢ / benchmarkᵢ, cap) / Σ wᵢ`` over tax, output and
    energy where a benchmark is set (a missing figure scores 0); small firms:
    ``100 · min(tax / benchmark, cap)``.
    """
    cap = config.threshold("eval_score_cap")
    n = len(large)
    weighted, weights = np.zeros(n), np.zeros(n)
    applied: dict[str, np.ndarray] = {}
    for key, (value, benchmark, _national_weight) in benchmarks.items():
        if key not in _WEIGHTS:  # FAR is no Zhejiang indicator (its 2008 floor is still checked)
            applied[key] = np.full(n, np.nan)
            continue
        bench = np.broadcast_to(np.asarray(benchmark, dtype=float), (n,))
        bench = np.where(large | (key == "tax"), bench, np.nan)  # small firms: tax per mu only
        applied[key] = bench
        weight = np.where(large, config.threshold(_WEIGHTS[key]), 1.0 if key == "tax" else 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.minimum(value / bench, cap)
        applies = np.isfinite(bench) & (bench > 0)
        weighted += np.where(applies & np.isfinite(s), weight * s, 0.0)
        weights += np.where(applies, weight, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score: np.ndarray = 100.0 * weighted / weights
    return score, applied
