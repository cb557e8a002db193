"""Matching one project to the park's land: hard rules first, then a weighted score.

:func:`match` checks every parcel against the land-supply rules
(:mod:`planner.siting.rules`), keeps those that pass every rule as candidates, and
forms combined groups of adjacent available parcels, each too small alone, whose
combined area fits. Every candidate gets a score in [0, 1] from weighted criteria
(weights in the park's ``siting_weight_*`` thresholds):

============== =========================================================================
area_fit        1 − |area − target| / target (target: the stated 亩, or the range's middle)
readiness       share of the park's checklist items the land has (beyond the needed ones: margin)
capacity        headroom left at the serving power/water/sewage sources after the project,
                as a multiple of its demand (2× or more scores 1); unknown without a network
road            1 − road distance to the highway gateway / ``siting_road_scale_m``
chain           producing or building parcels of the same industry chain within
                ``siting_chain_radius_m`` (``siting_chain_full_count``, 20 by default, or more scores 1)
earthwork       1 − mean cut-and-fill depth to level / ``siting_earthwork_scale_m``
single_parcel   1 for one parcel, 0.5 for a pair, 0 for three (combining means more procedure)
============== =========================================================================

Every parcel that is no candidate has its first failed rule and the reason in
Chinese; counts per rule, and the parcels one network item or one capacity short of
qualifying ("3 parcels would qualify once gas reaches them") are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.siting.project import Project
from planner.siting.rules import (
    AREA_RULES,
    RULE_LABELS,
    Rule,
    RuleContext,
    area_fits,
    explain,
    in_leading_industry,
    rules_for,
    standard_factory_text,
    unchecked_controls,
    unstated_class_notes,
)
from planner.siting.site import CAPACITY_NETWORKS, SiteIndex
from planner.vocab import CHECKLIST_ITEMS, network_label

__all__ = ["CRITERIA", "MatchResult", "match"]

CRITERIA: dict[str, tuple[str, str, str]] = {
    "area_fit": ("面积匹配", "area fit", "亩"),
    "readiness": ("配套完备", "readiness", "项"),
    "capacity": ("容量余量", "capacity headroom", "倍"),
    "road": ("至高速出入口", "road to the gateway", "km"),
    "chain": ("产业链邻居", "industry-chain neighbours", "家"),
    "earthwork": ("平整土方", "earthwork to level", "m"),
    "single_parcel": ("整宗供地", "single parcel", "宗"),
}
"""Criteria of the score: Chinese label, English label, unit of the value shown."""


@dataclass
class MatchResult:
    """The answer for one project.

    ``candidates``: one row per candidate (a parcel or a combined group), best first,
    with ``parcel_ids`` (a tuple), ``members`` (positions in the index), ``area_mu``,
    ``score`` (0–1), and ``<criterion>_value`` / ``<criterion>_score`` columns.
    ``first_failed``: for every parcel the position in ``rules`` of the first rule it
    fails (−1: it passes all). ``counts``: parcels per first failed rule.
    """

    project: Project
    index: SiteIndex = field(repr=False)
    context: RuleContext = field(repr=False)
    rules: list[Rule]
    passes: np.ndarray = field(repr=False)
    first_failed: np.ndarray = field(repr=False)
    candidates: pd.DataFrame
    counts: dict[str, int]
    near_misses: list[dict[str, Any]]
    standard_factory: dict[str, Any] | None
    notes: list[str]

    @property
    def rule_names(self) -> list[str]:
        """The names of the rules, in the order they were checked."""
        return [r.name for r in self.rules]

    def rejected(self, *, reasons: bool = True) -> pd.DataFrame:
        """Every parcel that is no candidate on its own: ``parcel_id``, ``rule``, ``label`` and ``reason`` (Chinese)."""
        at = np.flatnonzero(self.first_failed >= 0)
        rule_of = np.array(self.rule_names, dtype=object)[self.first_failed[at]]
        out = pd.DataFrame({"parcel_id": self.index.ids[at], "rule": rule_of})
        out["label"] = [RULE_LABELS[r][0] for r in rule_of]
        if reasons:
            text = np.empty(len(at), dtype=object)
            for name in pd.unique(rule_of):
                mine = rule_of == name
                text[mine] = explain(self.context, name, at[mine])
            out["reason"] = text
        return out

    def to_dict(self, *, limit: int | None = None, rejected: bool = True) -> dict[str, Any]:
        """The result as JSON-ready values (``candidates`` best first, up to ``limit``)."""
        weights = _weights(self.index)
        rows = self.candidates if limit is None else self.candidates.head(limit)
        candidates = []
        for row in rows.itertuples(index=False):
            criteria = [
                {
                    "name": name,
                    "label": CRITERIA[name][0],
                    "label_en": CRITERIA[name][1],
                    "weight": weights[name],
                    "value": _plain(getattr(row, f"{name}_value")),
                    "unit": CRITERIA[name][2],
                    "score": round(float(getattr(row, f"{name}_score")), 4),
                }
                for name in CRITERIA
            ]
            candidates.append(
                {
                    "rank": int(row.rank),
                    "parcel_ids": list(row.parcel_ids),
                    "area_mu": round(float(row.area_mu), 2),
                    "score": round(float(row.score), 4),
                    "criteria": criteria,
                }
            )
        out: dict[str, Any] = {
            "project": self.project.as_dict(),
            "park_id": self.index.config.park_id,
            "land_range_mu": [round(self.context.lo_mu, 2), round(self.context.hi_mu, 2)],
            "needs": [r.name.removeprefix("ready_") for r in self.rules if r.name.startswith("ready_")],
            "leading_industries": in_leading_industry(self.index, self.project),
            "candidates": candidates,
            "counts": self.counts,
            "near_misses": self.near_misses,
            "standard_factory": self.standard_factory,
            "notes": self.notes,
        }
        if rejected:
            table = self.rejected()
            out["rejected"] = table.to_dict(orient="records")
        return out

    def to_frame(self, *, limit: int | None = None) -> gpd.GeoDataFrame:
        """Candidates (numbered; a group as one feature) and rejected parcels with their first failed rule."""
        if self.index.geometry is None:
            msg = "the park was indexed without geometry; build the SiteIndex from a GeoDataFrame"
            raise ValueError(msg)
        geoms = self.index.geometry
        rows = self.candidates if limit is None else self.candidates.head(limit)
        shapes = [shapely.union_all(geoms[list(m)]) for m in rows["members"]]
        cand = pd.DataFrame(
            {
                "kind": np.where(rows["members"].map(len) > 1, "group", "candidate"),
                "rank": rows["rank"].to_numpy(),
                "parcel_ids": [",".join(ids) for ids in rows["parcel_ids"]],
                "area_mu": rows["area_mu"].round(2).to_numpy(),
                "score": rows["score"].round(4).to_numpy(),
                "rule": None,
                "reason": None,
            }
        )
        rej = self.rejected()
        at = pd.Index(self.index.ids).get_indexer(rej["parcel_id"])
        rej_frame = pd.DataFrame(
            {
                "kind": "rejected",
                "rank": None,
                "parcel_ids": rej["parcel_id"].to_numpy(),
                "area_mu": self.index.area_mu[at].round(2),
                "score": None,
                "rule": rej["rule"].to_numpy(),
                "reason": rej["reason"].to_numpy(),
            }
        )
        frame = pd.concat([cand, rej_frame], ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry=[*shapes, *geoms[at]], crs=self.index.config.crs_epsg)


def match(index: SiteIndex, project: Project, *, exclude: np.ndarray | None = None) -> MatchResult:
    """Check ``project`` against every parcel of ``index`` and rank the candidates.

    ``exclude``: positions of parcels already taken (e.g. by an earlier assignment); they
    fail the availability rule.
    """
    ctx = RuleContext.of(index, project)
    rules = rules_for(index, project)
    passes = np.vstack([rule.test(ctx) for rule in rules]) if len(index) else np.zeros((len(rules), 0), dtype=bool)
    if exclude is not None and len(exclude):
        passes[[r.name for r in rules].index("available"), exclude] = False
    fails = ~passes
    any_fail = fails.any(axis=0)
    first = np.where(any_fail, fails.argmax(axis=0), -1)
    names = [r.name for r in rules]
    counts = {name: int(c) for name, c in zip(names, np.bincount(first[any_fail], minlength=len(rules)), strict=True)}

    singles = np.flatnonzero(~any_fail)
    groups = _groups(ctx, passes, names)
    members = [(int(i),) for i in singles] + groups
    candidates = _score(ctx, members)
    return MatchResult(
        project=project,
        index=index,
        context=ctx,
        rules=rules,
        passes=passes,
        first_failed=first,
        candidates=candidates,
        counts=counts,
        near_misses=_near_misses(ctx, rules, fails),
        standard_factory=_standard_factory(ctx, passes, names),
        notes=_notes(index, project, groups) + unstated_class_notes(ctx, singles),
    )


def _notes(index: SiteIndex, project: Project, groups: list[tuple[int, ...]]) -> list[str]:
    """What an officer should know beside the candidates: the project's own notes, leading industry, what is unknown."""
    notes = [*project.notes, *unchecked_controls(project)]
    leading = in_leading_industry(index, project)
    if index.config.leading_industries:
        notes.append(
            f"项目属于园区主导产业：{'、'.join(leading)}"
            if leading
            else f"项目不属于园区主导产业（{'、'.join(li.name_zh for li in index.config.leading_industries)}）"
        )
    notes.extend(
        f"园区无{network_label(net)}管网模型：{network_label(net)}容量未核实"
        for net in CAPACITY_NETWORKS
        if net not in index.sources
    )
    if "rail" in project.needs:
        notes.append("项目需要铁路专用线：园区未建铁路图层，请人工核实候选地块的接轨条件")
    if groups:
        notes.append(f"另有 {len(groups)} 组相邻地块单宗面积不足、合并后满足面积要求")
    return notes


def _weights(index: SiteIndex) -> dict[str, float]:
    return {name: index.config.threshold(f"siting_weight_{name}") for name in CRITERIA}


def _groups(ctx: RuleContext, passes: np.ndarray, names: list[str]) -> list[tuple[int, ...]]:
    """Minimal groups of 2–3 adjacent parcels, each too small alone, that fit together.

    Every member passes every rule but those of area and capacity; the group passes the
    area rules on its combined area, and the capacity rules with the project's load on
    the combined area at the member whose source has most room (it connects there).
    A group is minimal: no adjacent pair within a triple already reaches the least area.
    """
    index = ctx.index
    most = int(index.config.threshold("siting_group_max_parcels"))
    if most < 2 or not len(index.pairs):
        return []
    skip = np.array([n in AREA_RULES or n.startswith("capacity_") for n in names])
    eligible = passes[~skip].all(axis=0) & ~passes[names.index("area_min")]
    pairs = index.pairs[eligible[index.pairs[:, 0]] & eligible[index.pairs[:, 1]]]
    if not len(pairs):
        return []
    found: list[np.ndarray] = [pairs]
    if most >= 3:
        both = np.vstack([pairs, pairs[:, ::-1]])
        edges = pd.DataFrame({"a": both[:, 0], "b": both[:, 1]})
        paths = edges.merge(edges.rename(columns={"a": "b", "b": "c"}), on="b")
        paths = paths[paths["a"] < paths["c"]]
        if len(paths):
            triples = np.unique(np.sort(paths[["a", "b", "c"]].to_numpy(), axis=1), axis=0)
            # minimal: no touching pair inside the triple reaches the least area on its own
            n = len(index)
            touching = np.unique(pairs[:, 0].astype(np.int64) * n + pairs[:, 1])
            enough = np.zeros(len(triples), dtype=bool)
            for i, j in ((0, 1), (1, 2), (0, 2)):
                a, b = triples[:, i], triples[:, j]
                pair_area = index.area_mu[a] + index.area_mu[b]
                enough |= np.isin(a.astype(np.int64) * n + b, touching) & (pair_area >= ctx.lo_mu - 1e-9)
            found.append(triples[~enough])
    groups: list[tuple[int, ...]] = []
    for members in found:
        area = index.area_mu[members].sum(axis=1)
        fits = area_fits(ctx, area) & _room(ctx, members, area)
        groups += [tuple(int(i) for i in row) for row in members[fits]]
    return groups


def _room(ctx: RuleContext, members: np.ndarray, area_mu: np.ndarray) -> np.ndarray:
    """Whether, on every capacity network, the member whose source has most room can take the group's load."""
    ok = np.ones(len(members), dtype=bool)
    for net in CAPACITY_NETWORKS:
        left = ctx.index.remaining_at(net)
        if left is None:
            continue
        best = left[members].max(axis=1)
        ok &= (best == -np.inf) | (best >= ctx.load_for(net, area_mu) - 1e-9)  # −inf: the network serves none
    return ok


def _score(ctx: RuleContext, members: list[tuple[int, ...]]) -> pd.DataFrame:
    """Criteria and weighted score of each candidate (a tuple of parcel positions), best first."""
    index, config = ctx.index, ctx.index.config
    k = max((len(m) for m in members), default=1)
    m = np.full((len(members), k), -1, dtype=np.int64)
    for row, group in enumerate(members):
        m[row, : len(group)] = group
    valid = m >= 0
    at = np.where(valid, m, 0)
    size = valid.sum(axis=1)

    area = np.where(valid, index.area_mu[at], 0.0).sum(axis=1)
    target = ctx.project.target_mu
    area_score = np.clip(1 - np.abs(area - target) / target, 0, 1)

    checklist = index.config.checklist
    share = np.mean([index.held[item] for item in checklist], axis=0) if len(index) else np.zeros(0)
    ready_value = np.where(valid, share[at], np.inf).min(axis=1) * len(checklist)
    ready_score = ready_value / len(checklist)

    cap_value = np.full(len(members), np.inf)  # headroom after the project, as a multiple of its demand
    known = False
    for net in index.sources:
        left = index.remaining_at(net)
        if left is None:
            continue
        known = True
        best = np.where(valid, left[at], -np.inf).max(axis=1)  # the project connects at its best member
        load = ctx.load_for(net, area)
        multiple = np.where(load > 0, (best - load) / np.where(load > 0, load, 1), np.inf)
        cap_value = np.minimum(cap_value, np.where(best == -np.inf, np.inf, multiple))  # not served: not counted
    cap_score = np.clip(cap_value / 2, 0, 1) if known else np.full(len(members), 0.5)

    road = np.where(valid, np.nan_to_num(index.road_m[at], nan=np.inf), np.inf).min(axis=1)
    scale = config.threshold("siting_road_scale_m")
    road_score = np.where(np.isfinite(road), 1 - np.clip(road / scale, 0, 1), 0.5)

    chain_divisions = (ctx.project.code[:3], *(c[:3] for c in ctx.project.industry.chain))
    used = np.unique(m[valid])
    per = np.zeros(len(index), dtype=np.int64)
    per[used] = index.chain_count(chain_divisions, used, config.threshold("siting_chain_radius_m"))
    chain = np.where(valid, per[at], 0).max(axis=1)
    chain_score = np.clip(chain / config.threshold("siting_chain_full_count"), 0, 1)

    earth = np.where(valid, index.earthwork_m3[at], 0.0)
    earth_known = np.where(valid, ~np.isnan(index.earthwork_m3[at]), True).all(axis=1)
    depth = np.nansum(earth, axis=1) / np.where(valid, index.area_m2[at], 0.0).sum(axis=1)
    leveled = np.where(valid, index.held["leveled"][at], True).all(axis=1)
    earth_scale = config.threshold("siting_earthwork_scale_m")
    earth_score = np.where(earth_known, 1 - np.clip(depth / earth_scale, 0, 1), np.where(leveled, 1.0, 0.5))

    single_score = np.select([size == 1, size == 2], [1.0, 0.5], 0.0)

    table = pd.DataFrame(
        {
            "members": members,
            "parcel_ids": [tuple(index.ids[list(g)]) for g in members],
            "area_mu": area,
            "area_fit_value": area,
            "area_fit_score": area_score,
            "readiness_value": ready_value,
            "readiness_score": ready_score,
            "capacity_value": cap_value,
            "capacity_score": cap_score,
            "road_value": road / 1000,
            "road_score": road_score,
            "chain_value": chain,
            "chain_score": chain_score,
            "earthwork_value": np.where(earth_known, depth, np.nan),
            "earthwork_score": earth_score,
            "single_parcel_value": size,
            "single_parcel_score": single_score,
        }
    )
    weights = _weights(index)
    table["score"] = sum(weights[name] * table[f"{name}_score"] for name in CRITERIA) if len(table) else 0.0
    table = table.sort_values(["score", "area_mu"], ascending=[False, True], kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _near_misses(ctx: RuleContext, rules: list[Rule], fails: np.ndarray) -> list[dict[str, Any]]:
    """Parcels that fail only one readiness or capacity rule: what one main or one upgrade would open up."""
    out = []
    only_one = fails.sum(axis=0) == 1
    for row, rule in enumerate(rules):
        if not rule.name.startswith(("ready_", "capacity_")):
            continue
        at = np.flatnonzero(only_one & fails[row])
        if not len(at):
            continue
        at = at[np.argsort(-ctx.index.area_mu[at], kind="stable")]
        what = (
            f"{CHECKLIST_ITEMS[rule.name.removeprefix('ready_')][0]}"
            if rule.name.startswith("ready_")
            else f"{RULE_LABELS[rule.name][0].removesuffix('不足')}扩容"
        )
        out.append(
            {
                "rule": rule.name,
                "label": rule.label_zh,
                "count": len(at),
                "area_mu": round(float(ctx.index.area_mu[at].sum()), 2),
                "parcel_ids": list(ctx.index.ids[at[:20]]),
                "reasons": explain(ctx, rule.name, at[:20]),
                "message": f"{len(at)} 宗地块仅差{what}：{what}落实后即满足全部条件",
            }
        )
    return out


def _standard_factory(ctx: RuleContext, passes: np.ndarray, names: list[str]) -> dict[str, Any] | None:
    """For a project under the separate-parcel floor: standard factories with free floor area it may use."""
    limit = ctx.floor("standard_factory_below_wan")
    if ctx.project.investment_wan >= limit:
        return None
    factories = ctx.index.factories
    advice: dict[str, Any] = {
        "message": standard_factory_text(ctx),
        "factories": [],
    }
    if factories is None or factories.empty:
        advice["message"] += "；园区尚未登记标准厂房"
        return advice
    f = factories[factories["free_floor_area_m2"].fillna(0) > 0]
    need = ctx.project.floor_area_m2
    if need is not None:
        f = f[f["free_floor_area_m2"] >= need]
    # the factory's parcel must suit the project's land class and zoning
    pos = pd.Index(ctx.index.ids).get_indexer(f["parcel_id"].astype(object))
    suits = np.ones(len(f), dtype=bool)
    for rule in ("land_class", "zoning"):
        row = passes[names.index(rule)]
        suits &= np.where(pos >= 0, row[np.maximum(pos, 0)] if len(row) else True, True)
    f = f[suits].sort_values("free_floor_area_m2", ascending=False)
    advice["factories"] = [
        {
            "factory_id": r.factory_id,
            "name": r.name,
            "parcel_id": r.parcel_id,
            "floor_area_m2": float(r.floor_area_m2),
            "free_floor_area_m2": float(r.free_floor_area_m2),
        }
        for r in f.itertuples(index=False)
    ]
    if not advice["factories"]:
        advice["message"] += "；目前没有空置面积合适的标准厂房"
    return advice


def _plain(value: Any) -> Any:
    """A JSON-ready number: rounded, with infinities and NaN as ``None``."""
    if isinstance(value, np.integer | int):
        return int(value)
    value = float(value)
    return round(value, 3) if np.isfinite(value) else None
