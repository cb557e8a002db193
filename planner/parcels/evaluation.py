"""Per-mu evaluation of producing parcels (亩均效益评价, "亩均论英雄") and low-efficiency land.

Each producing industrial parcel gets four indicators:

- ``tax_per_mu_wan`` = ``tax_wan / area_mu`` (亩均税收, 万元/亩);
- ``output_per_mu_wan`` = ``output_wan / area_mu`` (亩均产值, 万元/亩);
- ``output_per_tce_wan`` = ``output_wan / energy_tce`` (单位能耗产值, 万元/吨标准煤);
- ``far`` = ``floor_area_m2 / area_m2`` (容积率), against ``far_min``, the minimum of
  the industry's GB/T 4754 division (or group, C291/C292) in the 2008 land-supply control
  indicators (``data/manufacturing_divisions.csv``, ``data/far_min_2008_groups.csv``).

Beside the score, the 2008 control indicators (国土资发〔2008〕24号) are checked where the parcel
records what they need: ``building_coverage_pct`` = ``footprint_m2 / area_m2`` against
``building_coverage_min`` (建筑系数 ≥ 30%, art. 四(三)); the parcel's ``admin_share_pct``
against ``admin_living_share_max`` (行政办公及生活服务设施用地 ≤ 7% of the land, art. 四(四)) and
its ``green_ratio_pct`` against ``green_ratio_max`` (绿地率 ≤ 20%, 应用说明). A figure on its cap
meets it; one not recorded is listed as unchecked (``unchecked``, and in the explanation).

The park's configuration chooses the method: the national one above (the default), or
Zhejiang's (``eval_method_zhejiang`` = 1, :mod:`planner.parcels.evaluation_zj`), where large
firms (规上) are scored on tax, output and energy per mu and small firms on tax per mu only;
``firm_class`` says which each parcel was scored as, and the result names the method
(:attr:`EvaluationResult.scheme`).

Each indicator scores ``min(value / benchmark, cap)`` (the FAR minimum is a floor to
meet, so its score stops at 1); the benchmarks are the park's
floors (``tax_min_wan_per_mu``, ``output_min_wan_per_mu``,
``eval_output_per_tce_benchmark_wan``) and the industry's FAR minimum. The composite
score is ``100 · Σ wᵢ·scoreᵢ / Σ wᵢ`` over the indicators that can be computed, and
the class follows the park's floors: A 优先发展 (≥ 100 by default), B 提升发展 (≥ 80),
C 调整转型 (≥ 50), D 整治淘汰. A parcel is low-efficiency land (低效用地) when it is
class D or its FAR is under the industry minimum. Every parcel has an explanation in
Chinese and English naming each value, its benchmark and the class, written when asked
for, in the language asked for (:meth:`EvaluationResult.explanations`; the writer,
vectorised, is :mod:`planner.parcels.evaluation_text`, whose ``explain_one`` writes one parcel's
the plain way).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import pandas as pd

from planner.config import ParkConfig
from planner.errors import Problem
from planner.fields import flag, problem_rows
from planner.parcels.evaluation_text import TEXTS as _TEXT
from planner.parcels.evaluation_text import explanations
from planner.parcels.evaluation_zj import FIRM_CLASSES, firm_classes, zhejiang_score
from planner.parcels.validation import DECLARED_AREA_TOLERANCE
from planner.resources import data_path
from planner.vocab import EVAL_CLASSES

__all__ = ["EvaluationResult", "consistency_checks", "evaluate", "far_minimum", "is_industrial"]

_INDUSTRIAL_PREFIXES = ("1001", "1101")
_RATIO_LIMIT = 5.0  # consistency: more than 5× off the median of comparable parcels

Benchmark = float | np.ndarray
"""A benchmark: one figure for every parcel, or one per parcel (the FAR minimum of its industry)."""


def is_industrial(land_use: pd.Series) -> np.ndarray:
    """Industrial land (100101/100102/100103) and logistics-warehousing land (1101xx)."""
    return np.asarray(land_use.fillna("").astype(str).str.startswith(_INDUSTRIAL_PREFIXES), dtype=bool)


@lru_cache(maxsize=1)
def _far_table() -> dict[str, float]:
    """The 2008 minimum FAR by GB/T 4754-2017 code: divisions, and the groups the 2008 table sets apart."""
    table = pd.read_csv(data_path("manufacturing_divisions.csv"), dtype={"code_2017": str})
    groups = pd.read_csv(data_path("far_min_2008_groups.csv"), dtype={"code_2017": str})
    rows = pd.concat([table, groups]).dropna(subset=["far_min_2008"])
    return dict(zip(rows["code_2017"], rows["far_min_2008"].astype(float), strict=True))


def far_minimum(industry: pd.Series) -> np.ndarray:
    """Minimum floor-area ratio of each industry: its group's where the 2008 table sets one, else its division's.

    Source: 工业项目建设用地控制指标 (国土资发〔2008〕24号), 表2 容积率控制指标, by GB/T 4754-2002
    division. 2002's 29 橡胶制品业 (≥ 0.8) and 30 塑料制品业 (≥ 1.0) are one 2017 division, C29:
    C291 takes 0.8 and C292 1.0 (``data/far_min_2008_groups.csv``); a code given only as
    ``C29`` takes the lower, 0.8. NaN where no minimum is set.

    >>> far_minimum(pd.Series(["C2927", "C2911", "C29", "C3670", "G5920", None])).tolist()
    [1.0, 0.8, 0.8, 0.7, nan, nan]
    """
    codes = industry.fillna("").astype(str)
    table = _far_table()
    group = codes.str[:4].map(table)
    division = codes.str[:3].map(table)
    return np.asarray(group.fillna(division).to_numpy(dtype=float, na_value=np.nan), dtype=float)


@dataclass
class EvaluationResult:
    """The evaluation of every producing industrial parcel, and the records that could not be evaluated.

    ``classes`` (index ``parcel_id``): ``holder``, ``industry``, ``area_mu``, the four
    indicators, ``far_min``, ``score``, ``eval_class``, ``class_zh``, ``low_efficiency``.
    The explanations are written when asked for, in the language asked for
    (:meth:`explanations`, :meth:`to_frame`); :attr:`table` adds both languages.
    """

    classes: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    method: str = "absolute"
    """How the classes were set: ``absolute`` (score floors) or ``rank_quotas`` (shares of the ranking)."""
    benchmarks: dict[str, np.ndarray] = field(default_factory=dict)
    """Each row's benchmark of ``tax``, ``output``, ``energy`` and ``far`` (NaN where none applies)."""
    coverage_min_pct: float = 30.0
    """The park's minimum building coverage (%)."""
    scheme: str = "national"
    """Which evaluation method scored the parcels: ``national`` or ``zhejiang`` (亩均论英雄, large and small firms)."""

    def method_text(self, lang: str = "zh") -> str:
        """Which evaluation method and which classing rule applied, in words."""
        zh = {"absolute": "按综合得分绝对值分类", "rank_quotas": "按排名配额分类（A类为前列、D类为末位）"}
        en = {"absolute": "classed by absolute score floors", "rank_quotas": "classed by rank quotas (A top, D bottom)"}
        schemes = {
            "national": (
                "通用方法（亩均税收、亩均产值、单位能耗产值、容积率）",
                "the default method (tax, output, energy, FAR)",
            ),
            "zhejiang": (
                "浙江亩均论英雄方法（规上企业多指标、规下企业仅亩均税收）",
                "Zhejiang's method (large firms on several indicators, small firms on tax per mu)",
            ),
        }[self.scheme]
        if lang == "zh":
            return f"{schemes[0]}，{zh[self.method]}"
        return f"{schemes[1]}, {en[self.method]}"

    def counts(self) -> dict[str, int]:
        """Number of parcels in each class, A to D."""
        counts = self.classes["eval_class"].value_counts()
        return {c: int(counts.get(c, 0)) for c in EVAL_CLASSES}

    def explanations(self, lang: str = "zh", parcel_ids: Sequence[str] | None = None) -> pd.Series:
        """Each parcel's evaluation in words, in ``lang`` (``zh`` or ``en``); only ``parcel_ids`` if given."""
        if lang not in _TEXT:
            msg = f"`lang` was {lang!r} but is expected to be one of {', '.join(_TEXT)}"
            raise ValueError(msg)
        rows = np.arange(len(self.classes))
        if parcel_ids is not None:
            rows = self.classes.index.get_indexer(pd.Index(list(parcel_ids)))
            if (rows < 0).any():
                unknown = [str(pid) for pid, r in zip(parcel_ids, rows, strict=True) if r < 0]
                msg = (
                    f"no evaluation of parcel(s) {', '.join(unknown[:5])}: "
                    "only producing industrial parcels are evaluated"
                )
                raise KeyError(msg)
        bench = {k: v[rows] for k, v in self.benchmarks.items()}
        return explanations(
            self.classes.iloc[rows], bench, self.coverage_min_pct, _TEXT[lang], lang=lang, method=self.method
        )

    @cached_property
    def table(self) -> pd.DataFrame:
        """:attr:`classes` with the explanation in both languages, ``explanation_zh`` and ``explanation_en``."""
        return self.classes.assign(explanation_zh=self.explanations("zh"), explanation_en=self.explanations("en"))

    def to_frame(self, lang: str = "zh") -> pd.DataFrame:
        """The evaluation to read in ``lang`` (``zh`` or ``en``): :attr:`classes` and ``explanation``."""
        return self.classes.assign(explanation=self.explanations(lang))


def evaluate(parcels: pd.DataFrame, config: ParkConfig) -> EvaluationResult:
    """Evaluate producing industrial parcels per mu and class them A–D (see the module notes)."""
    p = parcels.reset_index(drop=True)
    producing = (p["status"] == "in_production").to_numpy() & is_industrial(p["land_use"])
    logistics = _is_logistics(p["land_use"])
    problems = _unjudged(p, producing) + _logistics_unscored(p, producing & logistics, config)
    rows = np.flatnonzero(producing & ~np.isin(np.arange(len(p)), problem_rows(problems)))
    figures = _indicators(p)
    benchmarks = _benchmarks(figures, logistics, config)
    scheme = "zhejiang" if config.threshold("eval_method_zhejiang") == 1 else "national"
    firm = np.full(len(p), None, dtype=object)
    if scheme == "zhejiang":
        firm = firm_classes(p, config)
        score, applied = zhejiang_score(benchmarks, firm == "large", config)
        benchmarks = {k: (v[0], applied[k], v[2]) for k, v in benchmarks.items()}
    else:
        score = _score(benchmarks, config.threshold("eval_score_cap"), len(p))
    cls, method = _classes(score, rows, config)
    low_far = np.isfinite(figures["far_min"]) & (figures["far"] < figures["far_min"])
    low = (cls == "D") | low_far

    table = pd.DataFrame(
        {
            "parcel_id": p["parcel_id"].to_numpy()[rows],
            "holder": p["holder"].to_numpy()[rows],
            "industry": p["industry"].to_numpy()[rows],
            "area_mu": p["area_mu"].to_numpy(dtype=float)[rows],
            **{name: values[rows] for name, values in figures.items()},
            "score": score[rows],
            "eval_class": cls[rows],
            "low_efficiency": low[rows],
            "firm_class": firm[rows],
        }
    )
    table["class_zh"] = table["eval_class"].map({c: labels[0] for c, labels in EVAL_CLASSES.items()})
    table["firm_class_zh"] = table["firm_class"].map({c: labels[0] for c, labels in FIRM_CLASSES.items()})
    caps = {  # % as set (100 × 0.07 is 7.000000000000001 in binary)
        "admin": round(100 * config.threshold("admin_living_share_max"), 9),
        "green": round(100 * config.threshold("green_ratio_max"), 9),
    }
    table = _check_caps(table, caps)
    bench = {k: np.broadcast_to(np.asarray(v[1], dtype=float), (len(p),))[rows] for k, v in benchmarks.items()}
    bench |= {k: np.full(len(rows), v) for k, v in caps.items()}
    coverage_pct = 100 * config.threshold("building_coverage_min")
    return EvaluationResult(table.set_index("parcel_id"), problems, method, bench, coverage_pct, scheme)


_CAPPED = (("admin_share_pct", "admin", "admin_over_cap"), ("green_ratio_pct", "green", "green_over_cap"))
"""The 2008 caps checked in the evaluation: the parcel column, its key in ``caps``, the column of the verdict."""


def _check_caps(table: pd.DataFrame, caps: Mapping[str, float]) -> pd.DataFrame:
    """Each capped share against its cap (国土资发〔2008〕24号 art. 四(四): ≤ 7%; 应用说明: 绿地率 ≤ 20%).

    ``admin_over_cap`` and ``green_over_cap`` are true over the cap, false on or under it and
    missing (NA) where the share is not recorded; ``unchecked`` lists, comma-separated, the
    2008 indicators a parcel's records leave unchecked (``building_coverage_pct``,
    ``admin_share_pct``, ``green_ratio_pct``).
    """
    missing = {"building_coverage_pct": ~np.isfinite(table["building_coverage_pct"].to_numpy(dtype=float))}
    for column, key, verdict in _CAPPED:
        value = table[column].to_numpy(dtype=float)
        over = pd.array(value > caps[key] + 1e-9, dtype="boolean")
        over[~np.isfinite(value)] = pd.NA
        table[verdict] = over
        missing[column] = ~np.isfinite(value)
    names = np.array(list(missing))
    flags = np.column_stack(list(missing.values())) if len(table) else np.zeros((0, len(names)), dtype=bool)
    table["unchecked"] = [",".join(names[row]) for row in flags]
    return table


def _is_logistics(land_use: pd.Series) -> np.ndarray:
    """Logistics and warehousing land (物流仓储用地, 1101xx)."""
    return np.asarray(land_use.fillna("").astype(str).str.startswith("1101"), dtype=bool)


def _benchmarks(
    figures: Mapping[str, np.ndarray], logistics: np.ndarray, config: ParkConfig
) -> dict[str, tuple[np.ndarray, Benchmark, float]]:
    """Each indicator's values, benchmark (per parcel: logistics land has its own floors) and weight.

    Logistics land is scored against the park's logistics floors per mu
    (``eval_logistics_*``), not the manufacturing ones; output per tce and the 2008 FAR
    minimum are manufacturing benchmarks and do not apply to it (left out, not missing).
    """

    def per_parcel(manufacturing: float, logistic: float) -> np.ndarray:
        return np.where(logistics, logistic if logistic > 0 else np.nan, manufacturing)

    return {
        "tax": (
            figures["tax_per_mu_wan"],
            per_parcel(config.threshold("tax_min_wan_per_mu"), config.threshold("eval_logistics_tax_min_wan_per_mu")),
            config.threshold("eval_weight_tax"),
        ),
        "output": (
            figures["output_per_mu_wan"],
            per_parcel(
                config.threshold("output_min_wan_per_mu"), config.threshold("eval_logistics_output_min_wan_per_mu")
            ),
            config.threshold("eval_weight_output"),
        ),
        "energy": (
            figures["output_per_tce_wan"],
            np.where(logistics, np.nan, config.threshold("eval_output_per_tce_benchmark_wan")),
            config.threshold("eval_weight_energy"),
        ),
        "far": (figures["far"], np.where(logistics, np.nan, figures["far_min"]), config.threshold("eval_weight_far")),
    }


def _logistics_unscored(p: pd.DataFrame, rows: np.ndarray, config: ParkConfig) -> list[Problem]:
    """Producing logistics parcels, where the park sets no logistics floors: they are not scored."""
    if (
        config.threshold("eval_logistics_tax_min_wan_per_mu") > 0
        and config.threshold("eval_logistics_output_min_wan_per_mu") > 0
    ):
        return []
    return flag(
        p,
        rows,
        "warning",
        "land_use",
        "logistics land is not scored against manufacturing floors and the park sets no logistics floors "
        "(thresholds eval_logistics_tax_min_wan_per_mu, eval_logistics_output_min_wan_per_mu): not evaluated",
        zh="物流仓储用地不按工业的底线评价，而园区未设物流底线（`eval_logistics_tax_min_wan_per_mu`、"
        "`eval_logistics_output_min_wan_per_mu`）：不参加评价",
    )


def _classes(score: np.ndarray, rows: np.ndarray, config: ParkConfig) -> tuple[np.ndarray, str]:
    """The class of every parcel, by absolute score floors or by rank quotas among ``rows``, and which method applied.

    Rank quotas (some provinces' 亩均评价, e.g. A the top 20%, D the bottom 5%): the evaluated
    parcels are ranked by score (ties by position); the top ``eval_rank_a_share`` are A, the
    bottom ``eval_rank_d_share`` D (each share of the count, rounded down), the rest B or C by
    the B floor. Absolute scores: A, B, C by their floors, D below.
    """
    floors = [config.threshold(f"eval_class_{c}_min_score") for c in "abc"]
    cls = np.select([score >= floors[0], score >= floors[1], score >= floors[2]], ["A", "B", "C"], "D")
    if config.threshold("eval_rank_quotas") == 0:
        return cls, "absolute"
    a_share, d_share = config.threshold("eval_rank_a_share"), config.threshold("eval_rank_d_share")
    n = len(rows)
    order = rows[np.argsort(-np.nan_to_num(score[rows], nan=-np.inf), kind="stable")]
    n_a, n_d = int(np.floor(a_share * n + 1e-9)), int(np.floor(d_share * n + 1e-9))
    ranked = np.where(score >= floors[1], "B", "C").astype(cls.dtype)
    ranked[order[:n_a]] = "A"
    if n_d:
        ranked[order[n - n_d :]] = "D"
    return ranked, "rank_quotas"


def _unjudged(p: pd.DataFrame, producing: np.ndarray) -> list[Problem]:
    """Producing parcels that cannot be evaluated: no annual tax or output, or a negative one."""
    tax = p["tax_wan"].to_numpy(dtype=float, na_value=np.nan)
    output = p["output_wan"].to_numpy(dtype=float, na_value=np.nan)
    return [
        *flag(
            p,
            producing & np.isnan(tax),
            "error",
            "tax_wan",
            "a producing parcel without annual tax cannot be evaluated per mu",
            zh="投产宗地没有年税收，无法进行亩均评价",
        ),
        *flag(
            p,
            producing & np.isnan(output),
            "error",
            "output_wan",
            "a producing parcel without annual output cannot be evaluated per mu",
            zh="投产宗地没有年产值，无法进行亩均评价",
        ),
        *flag(
            p, producing & ~np.isnan(tax) & (tax < 0), "error", "tax_wan", "the annual tax is negative", zh="年税收为负"
        ),
        *flag(
            p,
            producing & ~np.isnan(output) & (output < 0),
            "error",
            "output_wan",
            "the annual output is negative",
            zh="年产值为负",
        ),
    ]


def _indicators(p: pd.DataFrame) -> dict[str, np.ndarray]:
    """The four indicators of every parcel and its industry's FAR minimum (NaN where they cannot be computed)."""
    area_mu = p["area_mu"].to_numpy(dtype=float)
    tax = p["tax_wan"].to_numpy(dtype=float, na_value=np.nan)
    output = p["output_wan"].to_numpy(dtype=float, na_value=np.nan)
    energy = p["energy_tce"].to_numpy(dtype=float, na_value=np.nan)
    floor = p["floor_area_m2"].to_numpy(dtype=float, na_value=np.nan)
    footprint = p["footprint_m2"].to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "tax_per_mu_wan": tax / area_mu,
            "output_per_mu_wan": output / area_mu,
            "output_per_tce_wan": np.where(energy > 0, output / energy, np.nan),
            "far": floor / p["area_m2"].to_numpy(dtype=float),
            "far_min": far_minimum(p["industry"]),
            "building_coverage_pct": 100 * footprint / p["area_m2"].to_numpy(dtype=float),
            "admin_share_pct": _column(p, "admin_share_pct"),
            "green_ratio_pct": _column(p, "green_ratio_pct"),
        }


def _column(p: pd.DataFrame, name: str) -> np.ndarray:
    """A numeric parcel column as floats (NaN where empty, or everywhere if the frame lacks the column)."""
    if name not in p:
        return np.full(len(p), np.nan)
    return np.asarray(p[name].to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _score(benchmarks: Mapping[str, tuple[np.ndarray, Benchmark, float]], cap: float, n: int) -> np.ndarray:
    """The composite score of ``n`` parcels: ``100 · Σ wᵢ·scoreᵢ / Σ wᵢ`` over the indicators that apply.

    An indicator applies where its benchmark is set; a missing figure there scores 0 (it
    is counted as missing, not left out to re-weight the rest). Where no benchmark is set
    (an industry without a 2008 FAR minimum, logistics land's energy) it is left out.
    """
    weighted = np.zeros(n)
    weights = np.zeros(n)
    for key, (value, benchmark, weight) in benchmarks.items():
        bench = np.broadcast_to(np.asarray(benchmark, dtype=float), (n,))
        with np.errstate(divide="ignore", invalid="ignore"):
            # the FAR minimum is a floor to meet, not a target to beat: its score stops at 1
            s = np.minimum(value / bench, 1.0 if key == "far" else cap)
        applies = np.isfinite(bench) & (bench > 0)
        weighted += np.where(applies & np.isfinite(s), weight * s, 0.0)
        weights += np.where(applies, weight, 0.0)
    with np.errstate(invalid="ignore"):
        score: np.ndarray = 100.0 * weighted / weights
    return score


def consistency_checks(parcels: pd.DataFrame) -> list[Problem]:
    """Figures leaders question: each finding is a warning naming the parcel and the field.

    - output that does not match energy use: output per tonne of standard coal more
      than 5× off the median of producing parcels of the same division (or of the
      park when the division has fewer than three), or output without energy use;
    - investment that does not match floor area: investment made per m² of floor
      area more than 5× off the park's median, or investment without floor area;
    - declared areas more than 1% off the computed ones.
    """
    p = parcels.reset_index(drop=True)
    producing = (p["status"] == "in_production").to_numpy() & is_industrial(p["land_use"])
    output = p["output_wan"].to_numpy(dtype=float, na_value=np.nan)
    energy = p["energy_tce"].to_numpy(dtype=float, na_value=np.nan)
    invested = p["investment_actual_wan"].to_numpy(dtype=float, na_value=np.nan)
    floor = p["floor_area_m2"].to_numpy(dtype=float, na_value=np.nan)
    division = p["industry"].fillna("").astype(str).str[:3].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        per_tce = np.where(producing & (energy > 0), output / energy, np.nan)
        per_m2 = np.where(producing & (floor > 0), invested * 1e4 / floor, np.nan)

    reference = _peer_median(per_tce, division)
    ratio = per_tce / reference
    off = np.isfinite(ratio) & ((ratio > _RATIO_LIMIT) | (ratio < 1 / _RATIO_LIMIT))
    park_m2 = np.nanmedian(per_m2) if np.isfinite(per_m2).any() else np.nan
    ratio_m2 = per_m2 / park_m2
    off_m2 = np.isfinite(ratio_m2) & ((ratio_m2 > _RATIO_LIMIT) | (ratio_m2 < 1 / _RATIO_LIMIT))
    return [
        *flag(
            p,
            off,
            "warning",
            "energy_tce",
            lambda i: (
                f"output {output[i]:,.0f} 万元 on {energy[i]:,.1f} tce is {per_tce[i]:,.1f} 万元/tce, "
                f"{ratio[i]:.1f}× the median {reference[i]:,.1f} of comparable parcels: check output or energy use"
            ),
            zh=lambda i: (
                f"产值 {output[i]:,.0f} 万元、能耗 {energy[i]:,.1f} 吨标准煤，即 {per_tce[i]:,.1f} 万元/吨标准煤，"
                f"为同类宗地中位数 {reference[i]:,.1f} 的 {ratio[i]:.1f} 倍：请核对产值或能耗"
            ),
        ),
        *flag(
            p,
            producing & (output > 0) & ~(energy > 0),
            "warning",
            "energy_tce",
            lambda i: f"output {output[i]:,.0f} 万元 with no energy use recorded",
            zh=lambda i: f"产值 {output[i]:,.0f} 万元，却未记录能耗",
        ),
        *flag(
            p,
            off_m2,
            "warning",
            "investment_actual_wan",
            lambda i: (
                f"investment {invested[i]:,.0f} 万元 on {floor[i]:,.0f} m² of floor area is {per_m2[i]:,.0f} 元/m², "
                f"{ratio_m2[i]:.1f}× the park median {park_m2:,.0f} 元/m²: check investment or floor area"
            ),
            zh=lambda i: (
                f"投资 {invested[i]:,.0f} 万元、建筑面积 {floor[i]:,.0f} 平方米，即 {per_m2[i]:,.0f} 元/平方米，"
                f"为园区中位数 {park_m2:,.0f} 元/平方米的 {ratio_m2[i]:.1f} 倍：请核对投资或建筑面积"
            ),
        ),
        *flag(
            p,
            producing & (invested > 0) & ~(floor > 0),
            "warning",
            "floor_area_m2",
            lambda i: f"investment {invested[i]:,.0f} 万元 made but no floor area recorded",
            zh=lambda i: f"已投资 {invested[i]:,.0f} 万元，却未记录建筑面积",
        ),
        *_declared_off(p),
    ]


def _declared_off(p: pd.DataFrame) -> list[Problem]:
    """Declared areas more than 1% off the computed ones."""
    declared = p["declared_area_mu"].to_numpy(dtype=float, na_value=np.nan)
    area_mu = p["area_mu"].to_numpy(dtype=float)
    area_off = np.isfinite(declared) & (np.abs(declared - area_mu) > DECLARED_AREA_TOLERANCE * area_mu)
    return [
        *flag(
            p,
            area_off,
            "warning",
            "declared_area_mu",
            lambda i: (
                f"declared {declared[i]:.2f} mu differs from the computed {area_mu[i]:.2f} mu by "
                f"{100 * (declared[i] - area_mu[i]) / area_mu[i]:+.1f}% (over 1%)"
            ),
            zh=lambda i: (
                f"申报面积 {declared[i]:.2f} 亩与计算面积 {area_mu[i]:.2f} 亩相差 "
                f"{100 * (declared[i] - area_mu[i]) / area_mu[i]:+.1f}%（超过 1%）"
            ),
        ),
    ]


def _peer_median(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Median of ``values`` among the row's group when it has three or more values, else the overall median."""
    frame = pd.DataFrame({"v": values, "g": group})
    counts = frame.groupby("g")["v"].transform("count").to_numpy()
    by_group = frame.groupby("g")["v"].transform("median").to_numpy()
    overall = np.nanmedian(values) if np.isfinite(values).any() else np.nan
    return np.where(counts >= 3, by_group, overall)
