"""Batch assignment: several projects compete for the same land and the same substations.

Each project's candidates come from :func:`planner.siting.match.match` (every rule
passed, scored). :func:`assign` picks at most one candidate per project so that the
total score is the largest possible, with

- every parcel used at most once (a combined group uses all of its parcels);
- on every power, water and sewage source, the loads the assigned projects add stay
  within the capacity it has left;

solved exactly as a 0–1 integer program by HiGHS (``scipy.optimize.milp``) over the
``top`` best candidates of each project. :func:`greedy` is the order-based way
(each project in turn takes its best candidate still free) that the exact answer is
compared with; :func:`recheck` verifies an assignment against the rules again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.errors import Problem
from planner.siting.match import MatchResult, _room, _score, match
from planner.siting.project import Project, ProjectError
from planner.siting.rules import AREA_RULES, RULE_LABELS, RuleContext, area_fits, rules_for
from planner.siting.site import SiteIndex

__all__ = ["Assignment", "assign", "greedy", "recheck"]


@dataclass
class Assignment:
    """Which candidate each project gets (``None``: none), the total score, and how it was found."""

    method: str
    projects: list[Project]
    chosen: dict[str, dict[str, Any] | None]
    total_score: float
    status: str
    """How it was found, in Chinese (``最优解（每个项目的前 100 个候选）``); in English :attr:`status_en`."""
    matches: dict[str, MatchResult] = field(repr=False)
    problems: list[Problem] = field(default_factory=list)
    """What :func:`recheck` found wrong (empty: the assignment holds), each in Chinese and English."""
    status_en: str = ""

    def status_in(self, lang: str = "zh") -> str:
        """How the assignment was found, in ``lang``."""
        return self.status_en if lang == "en" and self.status_en else self.status

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The assignment as JSON-ready values: each project's parcels and score, or why it got none; the status, the
        reasons and the problems of the re-check in ``lang``."""
        assignments = []
        for project in self.projects:
            pick = self.chosen[project.name]
            entry: dict[str, Any] = {"project": project.name, "industry": project.code}
            if pick is None:
                entry.update(parcel_ids=[], area_mu=None, score=None, reason=self._why_none(project, lang))
            else:
                entry.update(
                    parcel_ids=list(pick["parcel_ids"]),
                    area_mu=round(pick["area_mu"], 2),
                    score=round(pick["score"], 4),
                    rank=pick["rank"],
                )
            assignments.append(entry)
        return {
            "method": self.method,
            "status": self.status_in(lang),
            "total_score": round(self.total_score, 4),
            "assigned": sum(1 for v in self.chosen.values() if v is not None),
            "assignments": assignments,
            "problems": [p.describe(lang) for p in self.problems],
        }

    def _why_none(self, project: Project, lang: str = "zh") -> str:
        """Why ``project`` got no land, in ``lang`` (the standard-factory advice is Chinese only: see
        :func:`planner.maps.reasons.reason_en`)."""
        result = self.matches[project.name]
        if result.standard_factory is not None:
            message: str = result.standard_factory["message"]
            return message
        if result.candidates.empty:
            return "没有满足全部供地条件的地块" if lang == "zh" else "no parcel meets every condition of supply"
        if lang == "zh":
            return "候选地块已分配给总分更高的其他项目，或电力/水源容量不足以同时满足"
        return (
            "its candidates went to other projects for a higher total score, or the power or water sources cannot "
            "serve them all"
        )

    def parcels_of(self) -> dict[str, tuple[str, ...]]:
        """The parcels each assigned project gets, by project name."""
        return {name: tuple(pick["parcel_ids"]) for name, pick in self.chosen.items() if pick is not None}

    def to_frame(self) -> gpd.GeoDataFrame:
        """The placed projects as features, in the order given: one row per project that got land.

        Columns ``project`` (its name), ``industry`` (its GB/T 4754 code), ``parcel_ids``
        (comma-separated), ``area_mu``, ``score`` (0–1), and as geometry the union of the
        parcels, in the park's CRS (``None`` where the index holds no shapes).
        """
        rows: list[dict[str, Any]] = []
        shapes: list[shapely.Geometry | None] = []
        for project in self.projects:
            pick = self.chosen[project.name]
            if pick is None:
                continue
            rows.append(
                {
                    "project": project.name,
                    "industry": project.code,
                    "parcel_ids": ",".join(pick["parcel_ids"]),
                    "area_mu": round(pick["area_mu"], 2),
                    "score": round(pick["score"], 4),
                }
            )
            geometry = self.matches[project.name].index.geometry  # None: an index of points without shapes
            shapes.append(None if geometry is None else shapely.union_all(geometry[list(pick["members"])]))
        crs = next((m.index.config.crs_epsg for m in self.matches.values()), None)
        return gpd.GeoDataFrame(rows, geometry=shapes, crs=crs)


@dataclass
class _Options:
    """All candidates of all projects as flat arrays: one row per (project, candidate)."""

    project: np.ndarray
    score: np.ndarray
    members: list[tuple[int, ...]]
    rows: list[dict[str, Any]]
    source: dict[str, np.ndarray]
    load: dict[str, np.ndarray]


def _options(index: SiteIndex, projects: Sequence[Project], matches: dict[str, MatchResult], top: int) -> _Options:
    project, score, members, rows = [], [], [], []
    lefts = {net: index.remaining_at(net) for net in index.sources}
    source: dict[str, list[int]] = {net: [] for net in index.sources}
    load: dict[str, list[float]] = {net: [] for net in index.sources}
    for p, proj in enumerate(projects):
        result = matches[proj.name]
        head = result.candidates.head(top)
        for row in head.itertuples(index=False):
            group = tuple(row.members)
            project.append(p)
            score.append(float(row.score))
            members.append(group)
            rows.append(
                {"parcel_ids": tuple(row.parcel_ids), "area_mu": float(row.area_mu), "score": float(row.score)}
                | {"rank": int(row.rank)}
            )
            for net in index.sources:
                left = lefts[net]
                best = group[int(np.argmax(left[list(group)]))] if left is not None else -1  # connects where most room
                if left is None or left[best] == -np.inf:  # no model, or the network serves none of its parcels
                    source[net].append(-1)
                    load[net].append(0.0)
                    continue
                source[net].append(int(index.source[net][best]))
                load[net].append(float(result.context.load_for(net, np.array([row.area_mu]))[0]))
    return _Options(
        np.array(project, dtype=np.int64),
        np.array(score),
        members,
        rows,
        {k: np.array(v, dtype=np.int64) for k, v in source.items()},
        {k: np.array(v) for k, v in load.items()},
    )


def _matches(index: SiteIndex, projects: Sequence[Project]) -> dict[str, MatchResult]:
    names = [p.name for p in projects]
    if len(set(names)) != len(names):
        msg = "names more than one project; each project needs its own name"
        zh = "多个项目同名：每个项目须有自己的名称"
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise ProjectError(
            [Problem("error", n, "name", msg, feature="project", zh=zh) for n in repeated], what="projects"
        )
    return {p.name: match(index, p) for p in projects}


def assign(
    index: SiteIndex,
    projects: Sequence[Project],
    *,
    top: int = 100,
    time_limit_s: float = 60.0,
) -> Assignment:
    """Assign projects to land to maximise the total score, exactly (HiGHS), over each project's ``top`` candidates."""
    matches = _matches(index, projects)
    opts = _options(index, projects, matches, top)
    n = len(opts.score)
    chosen: dict[str, dict[str, Any] | None] = {p.name: None for p in projects}
    if n == 0:
        return Assignment("exact", list(projects), chosen, 0.0, "没有候选地块", matches)
    blocks, upper = [], []
    # one candidate per project
    blocks.append(sp.csr_array((np.ones(n), (opts.project, np.arange(n))), shape=(len(projects), n)))
    upper.append(np.ones(len(projects)))
    # one use per parcel
    var = np.repeat(np.arange(n), [len(m) for m in opts.members])
    parcel = np.concatenate([np.asarray(m, dtype=np.int64) for m in opts.members])
    used, row = np.unique(parcel, return_inverse=True)
    blocks.append(sp.csr_array((np.ones(len(var)), (row, var)), shape=(len(used), n)))
    upper.append(np.ones(len(used)))
    # the load added on each source within what it has left
    for net, src in opts.source.items():
        table = index.sources[net]
        limited = (src >= 0) & ~np.isnan(table.capacity[np.maximum(src, 0)]) if len(table.ids) else src >= 0
        if not limited.any():
            continue
        keys, row = np.unique(src[limited], return_inverse=True)
        blocks.append(sp.csr_array((opts.load[net][limited], (row, np.flatnonzero(limited))), shape=(len(keys), n)))
        upper.append(table.remaining[keys])
    a = sp.vstack(blocks, format="csr")
    result = milp(
        c=-opts.score,
        constraints=LinearConstraint(a, -np.inf, np.concatenate(upper)),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if result.x is None:
        failed = Assignment("exact", list(projects), chosen, 0.0, f"求解失败：{result.message}", matches)
        failed.status_en = f"the solver failed: {result.message}"
        return failed
    picked = np.flatnonzero(result.x > 0.5)
    for v in picked:
        chosen[projects[opts.project[v]].name] = opts.rows[v] | {"members": opts.members[v]}
    total = float(opts.score[picked].sum())
    status = f"最优解（每个项目的前 {top} 个候选）" if result.status == 0 else f"时限内最好解（{result.message}）"
    out = Assignment("exact", list(projects), chosen, total, status, matches)
    out.status_en = (
        f"optimal (the {top} best candidates of each project)"
        if result.status == 0
        else f"the best found within the time limit ({result.message})"
    )
    out.problems = recheck(index, out)
    return out


def greedy(index: SiteIndex, projects: Sequence[Project], *, top: int = 100) -> Assignment:
    """Each project in the given order takes its best candidate still free and within capacity."""
    matches = _matches(index, projects)
    opts = _options(index, projects, matches, top)
    taken: set[int] = set()
    left = {net: table.remaining.copy() for net, table in index.sources.items()}
    chosen: dict[str, dict[str, Any] | None] = {p.name: None for p in projects}
    total = 0.0
    for p, proj in enumerate(projects):
        for v in np.flatnonzero(opts.project == p):  # already best first
            if taken.intersection(opts.members[v]):
                continue
            fits = all(
                opts.source[net][v] < 0
                or np.isnan(index.sources[net].capacity[opts.source[net][v]])
                or left[net][opts.source[net][v]] >= opts.load[net][v] - 1e-9
                for net in opts.source
            )
            if not fits:
                continue
            taken.update(opts.members[v])
            for net in opts.source:
                if opts.source[net][v] >= 0:
                    left[net][opts.source[net][v]] -= opts.load[net][v]
            chosen[proj.name] = opts.rows[v] | {"members": opts.members[v]}
            total += opts.score[v]
            break
    out = Assignment(
        "greedy", list(projects), chosen, total, "按顺序贪心", matches, status_en="greedy, in the given order"
    )
    out.problems = recheck(index, out)
    return out


def recheck(index: SiteIndex, assignment: Assignment) -> list[Problem]:
    """Check an assignment again from the chosen parcels alone, independently of how it was found.

    For each project: the rules are evaluated afresh on its parcels (every rule for one
    parcel; for a group every rule but area and capacity on each member, and those on the
    combined area), and its score recomputed. Then over all projects: no parcel given
    twice, and on every source the loads added stay within what it has left. Each finding names
    the project (or the parcel, the source) in Chinese and English.
    """
    problems = []
    seen: dict[int, str] = {}
    added: dict[tuple[str, int], float] = {}
    position = pd.Index(index.ids)
    for project in assignment.projects:
        pick = assignment.chosen[project.name]
        if pick is None:
            continue
        ids = tuple(pick["parcel_ids"])
        members = position.get_indexer(list(ids))
        if (members < 0).any():
            problems.append(
                _problem(
                    project.name, f"parcel(s) {','.join(ids)} are not in the park", f"地块 {','.join(ids)} 不在园区中"
                )
            )
            continue
        ctx = RuleContext.of(index, project)
        problems += _recheck_project(ctx, ids, members, pick["score"])
        for i in members:
            if i in seen:
                who = f"{seen[i]} 和 {project.name}"
                problems.append(
                    _problem(
                        index.ids[i],
                        f"given to both {seen[i]} and {project.name}",
                        f"同时分配给 {who}",
                        feature="parcel",
                    )
                )
            seen[int(i)] = project.name
        for (net, src), load in _loads_added(ctx, members).items():
            added[(net, src)] = added.get((net, src), 0.0) + load
    for (net, src), load in added.items():
        table = index.sources[net]
        if load > table.remaining[src] + 1e-6:
            left = f"{table.remaining[src]:,.0f}"
            problems.append(
                _problem(
                    str(table.names[src]),
                    f"the load added, {load:,.0f}, is over the {left} left",
                    f"新增负荷 {load:,.0f} 超过剩余容量 {left}",
                    feature="source",
                )
            )
    return problems


_GROUP_LABELS = {
    "area": ("合并面积不符", "combined area out of range"),
    "capacity": ("合并后容量不足", "capacity short"),
}


def _problem(who: str, en: str, zh: str, *, feature: str = "project") -> Problem:
    """A finding of the re-check about a project (or a parcel, a source), in English and Chinese."""
    return Problem("error", who, None, en, feature=feature, zh=zh)


def _recheck_project(ctx: RuleContext, ids: tuple[str, ...], members: np.ndarray, score: float) -> list[Problem]:
    """The rules the parcels ``ids`` (at ``members``) fail for the project, and a score that differs from ``score``."""
    index, project = ctx.index, ctx.project
    tests = {rule.name: rule.test(ctx)[members] for rule in rules_for(index, project)}
    area = float(index.area_mu[members].sum())
    if len(members) == 1:
        failed = [name for name, ok in tests.items() if not ok.all()]
    else:
        failed = [
            n for n, ok in tests.items() if n not in AREA_RULES and not n.startswith("capacity_") and not ok.all()
        ]
        if not area_fits(ctx, np.array([area]))[0]:
            failed.append("area")
        if not _room(ctx, members[None, :], np.array([area]))[0]:
            failed.append("capacity")
    problems = []
    if failed:
        labels = [RULE_LABELS.get(name) or _GROUP_LABELS.get(name) or (name, name) for name in failed]
        where = ",".join(ids)
        problems.append(
            _problem(
                project.name,
                f"parcel(s) {where} fail: {'; '.join(en for _, en in labels)}",
                f"地块 {where} 不满足：{'、'.join(zh for zh, _ in labels)}",
            )
        )
    again = float(_score(ctx, [tuple(int(i) for i in members)])["score"].iloc[0])
    if abs(again - score) > 1e-9:
        problems.append(
            _problem(
                project.name,
                f"the score {score:.4f} differs from the re-check's {again:.4f}",
                f"得分 {score:.4f} 与复核得分 {again:.4f} 不符",
            )
        )
    return problems


def _loads_added(ctx: RuleContext, members: np.ndarray) -> dict[tuple[str, int], float]:
    """The load a project puts on each limited source: where the member with most room on each network connects."""
    index = ctx.index
    area = float(index.area_mu[members].sum())
    added: dict[tuple[str, int], float] = {}
    for net in index.sources:
        left = index.remaining_at(net)
        if left is None:
            continue
        best = int(members[int(np.argmax(left[members]))])
        src = int(index.source[net][best])
        if src >= 0 and not np.isnan(index.sources[net].capacity[src]):
            added[(net, src)] = float(ctx.load_for(net, np.array([area]))[0])
    return added
