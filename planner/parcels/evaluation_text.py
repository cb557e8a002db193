"""The per-mu evaluation in words, written for many parcels at once, in one language.

Each parcel's explanation lists its indicators with their benchmarks, then its class
(:mod:`planner.parcels.evaluation` holds the rules, :data:`TEXTS` the words). Written one parcel
at a time in Python, a province's explanations took most of its evaluation; here each
distinct figure is formatted once and the texts are put together by Arrow's string
kernels, so the words are those of the one-parcel writer and cost little. Figures that
would read as their limit (:func:`planner.units.figures`) are the few written one by one.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from planner.units import figures
from planner.vocab import EVAL_CLASSES

__all__ = ["TEXTS", "explain_one", "explanations"]

Benchmark = float | np.ndarray
"""A benchmark: one figure for every parcel, or one per parcel."""

TEXTS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "large": "规上企业，按亩均税收、亩均产值、单位能耗产值评价",
        "small": "规下企业，仅按亩均税收评价",
        "tax": "亩均税收 {v:,.1f} 万元/亩（基准 {b:g}）",
        "output": "亩均产值 {v:,.0f} 万元/亩（基准 {b:g}）",
        "energy": "单位能耗产值 {v:,.1f} 万元/吨标煤（基准 {b:g}）",
        "no_energy": "无能耗数据，能耗得分按缺项计0分",
        "far": "容积率 {v}（{d} 行业下限 {b}，{verdict}）",
        "far_low": "低于行业下限",
        "far_ok": "达标",
        "far_free": "容积率 {v:.2f}（行业无下限）",
        "no_far": "无建筑面积数据，容积率得分按缺项计0分",
        "coverage": "建筑系数 {v}%（下限 {b}%，{verdict}）",
        "coverage_low": "低于下限",
        "no_coverage": "无建筑基底面积数据，未核验建筑系数",
        "admin": "行政办公及生活服务设施用地 {v}%（上限 {b}%，{verdict}）",
        "no_admin": "无行政办公及生活服务设施用地比重数据，未核验{b}%上限",
        "green": "绿地率 {v}%（上限 {b}%，{verdict}）",
        "no_green": "无绿地率数据，未核验{b}%上限",
        "over": "超过上限",
        "tail": "综合得分 {score:.1f} → {cls} 类 {label}",
        "low": "；列为低效用地",
        "by_rank": "（按排名配额）",
        "sep": "；",
    },
    "en": {
        "large": "large firm, scored on tax, output and output per tce",
        "small": "small firm, scored on tax per mu only",
        "tax": "tax {v:,.1f} 万元/mu (benchmark {b:g})",
        "output": "output {v:,.0f} 万元/mu (benchmark {b:g})",
        "energy": "output per tce {v:,.1f} 万元 (benchmark {b:g})",
        "no_energy": "no energy data, energy scored 0 as missing",
        "far": "FAR {v} (minimum {b} for {d}, {verdict})",
        "far_low": "below it",
        "far_ok": "met",
        "far_free": "FAR {v:.2f} (no minimum for the industry)",
        "no_far": "no floor area recorded, FAR scored 0 as missing",
        "coverage": "building coverage {v}% (minimum {b}%, {verdict})",
        "coverage_low": "below it",
        "no_coverage": "no footprint recorded, building coverage not checked",
        "admin": "administration and living land {v}% (cap {b}%, {verdict})",
        "no_admin": "no administration and living share recorded, the {b}% cap not checked",
        "green": "green ratio {v}% (cap {b}%, {verdict})",
        "no_green": "no green ratio recorded, the {b}% cap not checked",
        "over": "over it",
        "tail": "score {score:.1f} → class {cls} ({label})",
        "low": "; low-efficiency land",
        "by_rank": " (by rank quotas)",
        "sep": "; ",
    },
}
"""The words of the explanations, by language."""


def _rounded(values: np.ndarray, spec: str) -> np.ndarray:
    """The values rounded as ``format(value, spec)`` rounds them (an ``f`` spec), so that equal texts are one value.

    A value whose last decimal may sit on a half is kept as it is (``format`` rounds the
    exact binary value, which the scaled product may not show); the others are rounded
    to the spec's decimals, which ``format`` then writes as they are.
    """
    if not spec.endswith("f"):
        return values
    decimals = int(spec.rsplit(".", 1)[1][:-1])
    scaled = values * 10.0**decimals
    with np.errstate(invalid="ignore"):
        near_half = ~(np.abs(scaled - np.floor(scaled) - 0.5) >= 1e-9 * np.maximum(1.0, np.abs(scaled)))
    rounded: np.ndarray = np.where(near_half, values, np.rint(scaled) / 10.0**decimals)
    return rounded


def _formatted(values: np.ndarray, spec: str) -> pa.Array:
    """``format(value, spec)`` of each value, each distinct text formatted once."""
    values = np.asarray(values, dtype=float)
    distinct, inverse = np.unique(_rounded(values, spec), return_inverse=True)
    texts = pa.array([format(v, spec) for v in distinct.tolist()], type=pa.string())
    return texts.take(pa.array(inverse.ravel()))


def _fill(template: str, fields: Mapping[str, pa.Array | str], n: int) -> pa.Array:
    """``template.format(**fields)`` row by row: ``fields`` are Arrow string arrays (already formatted) or texts."""
    pieces: list[pa.Array | str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        if literal:
            pieces.append(literal)
        if name is not None:
            pieces.append(fields[name])
    if len(pieces) == 1:
        return pieces[0] if isinstance(pieces[0], pa.Array) else pa.array([pieces[0]] * n, type=pa.string())
    joined: pa.Array = pc.binary_join_element_wise(*[_scalar(p) for p in pieces], _scalar(""))
    return joined


def _limit_figures(value: np.ndarray, limit: np.ndarray, decimals: int) -> tuple[pa.Array, pa.Array]:
    """:func:`planner.units.figures` of each (value, limit) pair: the value and the limit as texts."""
    limits, at = np.unique(limit, return_inverse=True)
    shown_limits = [figures(b, b, decimals=decimals)[1] for b in limits.tolist()]
    limit_read = np.array([float(t.replace(",", "")) for t in shown_limits])[at.ravel()]
    spec = f",.{decimals}f"
    distinct, inverse = np.unique(_rounded(value, spec), return_inverse=True)
    inverse = inverse.ravel()
    plain = [format(v, spec) for v in distinct.tolist()]
    read = np.array([float(t.replace(",", "")) for t in plain])[inverse]
    tricky = np.flatnonzero((read == limit_read) & (value != limit))  # would read as its limit: more decimals
    texts = pa.array(plain + [figures(value[row], limit[row], decimals=decimals)[0] for row in tricky.tolist()])
    inverse[tricky] = len(plain) + np.arange(len(tricky))
    return texts.take(pa.array(inverse)), pa.array(shown_limits, type=pa.string()).take(pa.array(at.ravel()))


def _where(mask: np.ndarray, a: pa.Array | str, b: pa.Array | str | None) -> pa.Array:
    """Row by row ``a`` where ``mask``, else ``b`` (None: no text, left out of the join)."""
    chosen: pa.Array = pc.if_else(pa.array(mask), _scalar(a), _scalar(b))
    return chosen


def _scalar(value: pa.Array | str | None) -> pa.Array | pa.Scalar:
    """An Arrow string scalar of a text (None: a null one); an array as it is."""
    return value if isinstance(value, pa.Array) else pa.scalar(value, pa.string())


def _each(values: np.ndarray, fn: Callable[[object], str]) -> pa.Array:
    """``fn(value)`` of each value, called once per distinct value (None and NaN: ``fn(None)``)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    texts = pa.array([fn(v) for v in distinct.tolist()] + [fn(None)], type=pa.string())
    return texts.take(pa.array(np.where(codes < 0, len(distinct), codes)))


def _far_part(table: pd.DataFrame, far_bench: np.ndarray, t: Mapping[str, str]) -> pa.Array:
    """The FAR part: against the industry minimum, or free of one; a missing floor area where FAR is scored."""
    n = len(table)
    far = table["far"].to_numpy(dtype=float)
    far_min = table["far_min"].to_numpy(dtype=float)
    has_min, has_far = np.isfinite(far_min), np.isfinite(far)
    both = has_min & has_far
    shown, minimum = _limit_figures(far, far_min, 2)  # NaN too: those rows are left out below
    division = table["industry"].to_numpy(dtype=object, na_value=None)
    verdict = _choice(far < far_min, t["far_low"], t["far_ok"])
    fields = {"v": shown, "b": minimum, "d": _each(division, lambda code: str(code)[:3]), "verdict": verdict}
    against = _fill(t["far"], fields, n)
    free = _fill(t["far_free"], {"v": _formatted(far, ".2f")}, n)
    part = _where(both, against, _where(has_far, free, None))
    return _where(~has_far & np.isfinite(far_bench), t["no_far"], part)


def _choice(mask: np.ndarray, yes: str, no: str) -> pa.Array:
    """``yes`` where ``mask``, else ``no``."""
    return pa.array([no, yes], type=pa.string()).take(pa.array(mask.astype(np.int8)))


def _coverage_part(table: pd.DataFrame, minimum_pct: float, t: Mapping[str, str]) -> pa.Array:
    """Building coverage against its minimum, or that it was not checked."""
    n = len(table)
    pct = table["building_coverage_pct"].to_numpy(dtype=float)
    shown, limit = _limit_figures(pct, np.full(n, minimum_pct), 1)
    verdict = _choice(pct < minimum_pct, t["coverage_low"], t["far_ok"])
    text = _fill(t["coverage"], {"v": shown, "b": limit, "verdict": verdict}, n)
    return _where(np.isfinite(pct), text, t["no_coverage"])


def _cap_part(table: pd.DataFrame, key: str, column: str, cap: np.ndarray, t: Mapping[str, str]) -> pa.Array:
    """A share against its 2008 cap (``admin`` or ``green``), or that it was not checked."""
    n = len(table)
    pct = table[column].to_numpy(dtype=float)
    shown, limit = _limit_figures(pct, cap, 1)
    verdict = _choice(pct > cap + 1e-9, t["over"], t["far_ok"])
    text = _fill(t[key], {"v": shown, "b": limit, "verdict": verdict}, n)
    return _where(np.isfinite(pct), text, _fill(t[f"no_{key}"], {"b": limit}, n))


def _tail(table: pd.DataFrame, lang: str, method: str, t: Mapping[str, str]) -> pa.Array:
    """The score, the class and its label, by rank quotas or not, and low-efficiency land."""
    n = len(table)
    cls = table["eval_class"].to_numpy(dtype=object)
    labels = {c: EVAL_CLASSES[c][0 if lang == "zh" else 1] for c in EVAL_CLASSES}
    text = _fill(
        t["tail"],
        {
            "score": _formatted(table["score"].to_numpy(dtype=float), ".1f"),
            "cls": _each(cls, str),
            "label": _each(cls, lambda c: labels.get(str(c), "")),
        },
        n,
    )
    if method == "rank_quotas":
        text = pc.binary_join_element_wise(text, _scalar(t["by_rank"]), "")
    low = table["low_efficiency"].to_numpy(dtype=bool)
    return _where(low, pc.binary_join_element_wise(text, _scalar(t["low"]), ""), text)


def explanations(
    table: pd.DataFrame,
    bench: Mapping[str, np.ndarray],
    coverage_min_pct: float,
    texts: Mapping[str, str],
    *,
    lang: str,
    method: str = "absolute",
) -> pd.Series:
    """The explanation of each row of ``table`` (an evaluation table) in ``lang``, as one text per row.

    ``bench``: each row's benchmark of ``tax``, ``output``, ``energy`` and ``far`` (NaN where
    none applies) and cap of ``admin`` and ``green``; ``texts``: the language's templates (``TEXTS[lang]``).
    """
    n = len(table)
    if not n:
        return pd.Series([], index=table.index, dtype="str")
    t = texts
    tax, output = bench["tax"], bench["output"]
    energy = bench["energy"]
    firm = table["firm_class"].to_numpy(dtype=object) if "firm_class" in table else np.full(n, None, dtype=object)
    parts = [
        _where(firm == "large", t["large"], _where(firm == "small", t["small"], None)),
        _fill(
            t["tax"],
            {"v": _formatted(table["tax_per_mu_wan"].to_numpy(dtype=float), ",.1f"), "b": _formatted(tax, "g")},
            n,
        ),
    ]
    output_text = _fill(
        t["output"],
        {"v": _formatted(table["output_per_mu_wan"].to_numpy(dtype=float), ",.0f"), "b": _formatted(output, "g")},
        n,
    )
    parts.append(_where(np.isfinite(output), output_text, None))
    per_tce = table["output_per_tce_wan"].to_numpy(dtype=float)
    energy_text = _fill(
        t["energy"],
        {"v": _formatted(per_tce, ",.1f"), "b": _formatted(energy, "g")},
        n,
    )
    parts.append(_where(np.isfinite(energy), _where(np.isfinite(per_tce), energy_text, t["no_energy"]), None))
    parts.append(_far_part(table, bench["far"], t))
    parts.append(_coverage_part(table, coverage_min_pct, t))
    parts.append(_cap_part(table, "admin", "admin_share_pct", bench["admin"], t))
    parts.append(_cap_part(table, "green", "green_ratio_pct", bench["green"], t))
    parts.append(_tail(table, lang, method, t))
    joined = pc.binary_join_element_wise(*parts, _scalar(t["sep"]), null_handling="skip")
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=table.index).astype("str")


def _benchmark(bench: Benchmark, pos: int) -> float:
    """The benchmark of the parcel at position ``pos``."""
    return float(bench[pos]) if isinstance(bench, np.ndarray) else float(bench)


class _EvaluationRow(Protocol):
    """A row of an evaluation table (as ``itertuples`` gives it), as :func:`explain_one` reads it."""

    industry: str | None
    tax_per_mu_wan: float
    output_per_mu_wan: float
    output_per_tce_wan: float
    far: float
    far_min: float
    building_coverage_pct: float
    admin_share_pct: float
    green_ratio_pct: float
    score: float
    eval_class: str
    low_efficiency: bool
    firm_class: str | None


def explain_one(
    row: _EvaluationRow, bench: Mapping[str, Benchmark], pos: int, lang: str, method: str = "absolute"
) -> str:
    """One enterprise's evaluation in words, the plain way: each value with its benchmark, then the class."""
    t = TEXTS[lang]
    parts = [t[row.firm_class]] if row.firm_class in ("large", "small") else []
    parts.append(t["tax"].format(v=row.tax_per_mu_wan, b=_benchmark(bench["tax"], pos)))
    if np.isfinite(_benchmark(bench["output"], pos)):
        parts.append(t["output"].format(v=row.output_per_mu_wan, b=_benchmark(bench["output"], pos)))
    if np.isfinite(_benchmark(bench["energy"], pos)):
        parts.append(
            t["energy"].format(v=row.output_per_tce_wan, b=_benchmark(bench["energy"], pos))
            if np.isfinite(row.output_per_tce_wan)
            else t["no_energy"]
        )
    if np.isfinite(row.far_min) and np.isfinite(row.far):
        verdict = t["far_low"] if row.far < row.far_min else t["far_ok"]
        shown, minimum = figures(row.far, row.far_min, decimals=2)
        parts.append(t["far"].format(v=shown, b=minimum, d=str(row.industry)[:3], verdict=verdict))
    elif np.isfinite(row.far):
        parts.append(t["far_free"].format(v=row.far))
    if not np.isfinite(row.far) and np.isfinite(_benchmark(bench["far"], pos)):
        parts.append(t["no_far"])
    if np.isfinite(row.building_coverage_pct):
        low = row.building_coverage_pct < _benchmark(bench["coverage"], pos)
        shown, minimum = figures(row.building_coverage_pct, _benchmark(bench["coverage"], pos))
        parts.append(t["coverage"].format(v=shown, b=minimum, verdict=t["coverage_low"] if low else t["far_ok"]))
    else:
        parts.append(t["no_coverage"])
    for key, value in (("admin", row.admin_share_pct), ("green", row.green_ratio_pct)):
        cap = _benchmark(bench[key], pos)
        if np.isfinite(value):
            shown, limit = figures(value, cap)
            parts.append(t[key].format(v=shown, b=limit, verdict=t["over"] if value > cap + 1e-9 else t["far_ok"]))
        else:
            parts.append(t[f"no_{key}"].format(b=figures(cap, cap)[1]))
    label = EVAL_CLASSES[row.eval_class][0 if lang == "zh" else 1]
    tail = t["tail"].format(score=row.score, cls=row.eval_class, label=label)
    tail += (t["by_rank"] if method == "rank_quotas" else "") + (t["low"] if row.low_efficiency else "")
    return t["sep"].join([*parts, tail])
