"""The siting commands: ``match`` (one project to the park's land) and ``assign`` (several projects at once).

The ranking, the rules and the exact assignment are the library's (:mod:`planner.siting`);
these commands print them and write their JSON and GeoJSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from planner.analysis import ReadinessInputs, ReadinessRun, readiness_inputs, readiness_of
from planner.buildout.unlock import Unlock, unlocking_works
from planner.cli.common import (
    LangOption,
    ParkArg,
    check_outputs,
    console,
    err_console,
    fail,
    language_of,
    open_park,
    print_written,
    tr,
    write_json,
)
from planner.cli.sheets import assign_xlsx, match_xlsx
from planner.errors import PlannerError
from planner.exchange.export import write_geojson
from planner.siting import MatchResult, Project, SiteIndex, assign, greedy, load_projects, match
from planner.siting.match import CRITERIA
from planner.siting.pipeline import pipeline_land
from planner.siting.rules import RULE_LABELS, needed_items

__all__ = ["assign_command", "match_command", "read_projects", "site_index"]


def site_index(park: str, lang: str) -> SiteIndex:
    """Open a park and index it for siting (readiness computed afresh from its networks)."""
    store = open_park(park, lang)
    with console.status(tr(lang, "正在读取园区并核算七通一平…", "Reading the park and its readiness…")):
        try:
            return SiteIndex.from_store(store)
        except PlannerError as exc:
            fail(exc, lang)


def read_projects(path: Path, lang: str) -> list[Project]:
    """The projects of a JSON file, or fail naming the file or the field that is wrong."""
    try:
        return load_projects(path)
    except (PlannerError, FileNotFoundError) as exc:
        fail(exc, lang)


def match_command(
    park: ParkArg,
    project: Annotated[Path, typer.Option("--project", help="项目 JSON / The project as a JSON file.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="显示前 N 个候选 / Show the best N candidates.")] = 10,
    json_file: Annotated[Path | None, typer.Option("--json", help="结果另存 JSON / Write the result as JSON.")] = None,
    geojson: Annotated[
        Path | None,
        typer.Option("--geojson", help="候选与淘汰地块另存 GeoJSON / Write candidates and rejects as GeoJSON."),
    ] = None,
    candidates: Annotated[
        bool,
        typer.Option("--candidates/--drawn-only", help="无地时沿路考虑候选延伸 / Propose extensions along the roads."),
    ] = True,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="结果另存 Excel / Write the result as an Excel workbook.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """为一个招商项目匹配可供熟地，按得分排序并说明理由。

    Match one incoming project to the park's land: hard rules, then a weighted score.
    """
    language = language_of(lang)
    check_outputs(language, json_file, geojson, xlsx)
    projects = read_projects(project, language)
    if len(projects) != 1:
        names = ", ".join(p.name for p in projects)
        several = tr(
            language,
            f"{project} 含 {len(projects)} 个项目（{names}）；多个项目请用 planner assign",
            f"{project} holds {len(projects)} projects ({names}); use `planner assign` for several",
        )
        fail(ValueError(several), language)
    store = open_park(park, language)
    with console.status(tr(language, "正在读取园区并核算七通一平…", "Reading the park and its readiness…")):
        try:
            inputs = readiness_inputs(store)
            before = readiness_of(inputs)
            index = SiteIndex.from_store(store, run=before)
        except PlannerError as exc:
            fail(exc, language)
    result = match(index, projects[0])
    _print_match(result, limit, language)
    unlocks = _unlocks(inputs, before, index, result, candidates, language)
    if json_file:
        write_json({**result.to_dict(), "unlock": [u.to_dict(language) for u in unlocks]}, json_file)
    if geojson:
        write_geojson(result.to_frame(), geojson)
    if xlsx:
        match_xlsx(result, xlsx, language)
    print_written(language, json_file, geojson, xlsx)


def _unlocks(
    inputs: ReadinessInputs, before: ReadinessRun, index: SiteIndex, result: MatchResult, candidates: bool, lang: str
) -> list[Unlock]:
    """With no land today: which works would give the project land, and at what cost (printed)."""
    if not result.candidates.empty:
        return []
    targets, _ = pipeline_land(index, [result.project])
    try:
        unlocks = unlocking_works(
            inputs, before, targets, candidates=candidates, required=needed_items(index, result.project)
        )
    except PlannerError as exc:
        fail(exc, lang)
    if unlocks:
        console.print(tr(lang, "[bold]建设以下工程后可供地：[/bold]", "[bold]Works that would give it land:[/bold]"))
    for u in unlocks:
        console.print(f"[green]•[/green] {u.message(lang)}")
        console.print(f"    {', '.join(u.parcel_ids[:10])}")
    return unlocks


def _print_match(result: MatchResult, limit: int, language: str) -> None:
    """The project, its best candidates, the rejected parcels by rule, near misses and advice."""
    p = result.project
    lo, hi = result.context.lo_mu, result.context.hi_mu
    console.print(
        f"[bold]{p.name}[/bold]  {p.code} {p.industry.name_zh if language == 'zh' else p.industry.name_en}  "
        f"{lo:,.1f}–{hi:,.1f} {tr(language, '亩', 'mu')}  {tr(language, '投资', 'investment')} "
        f"{p.investment_wan:,.0f} {tr(language, '万元', '万元 (10k yuan)')}"
    )
    console.print(_candidate_table(result, limit, language))
    if result.candidates.empty:
        console.print(tr(language, "没有满足全部条件的地块。", "No parcel meets every rule."))
    counts = Table(title=tr(language, "未入选地块：首个不满足的条件", "Rejected parcels by first failed rule"))
    counts.add_column(tr(language, "条件", "rule"))
    counts.add_column(tr(language, "宗数", "parcels"), justify="right")
    for rule, n in result.counts.items():
        if n:
            counts.add_row(RULE_LABELS[rule][0 if language == "zh" else 1], str(n))
    console.print(counts)
    for miss in result.near_misses:
        console.print(f"[yellow]•[/yellow] {miss['message']}: {', '.join(miss['parcel_ids'][:5])}")
        for reason in miss["reasons"][:3]:
            console.print(f"    {reason}")
    if result.standard_factory:
        console.print(f"[yellow]{result.standard_factory['message']}[/yellow]")
        for f in result.standard_factory["factories"]:
            console.print(
                f"    {f['factory_id']} {f['name']}：{tr(language, '空置', 'free')} {f['free_floor_area_m2']:,.0f} m²"
            )
    for note in result.notes:
        console.print(f"[dim]{note}[/dim]")


def _candidate_table(result: MatchResult, limit: int, language: str) -> Table:
    """The best ``limit`` candidates: parcels, area, score, and each criterion's value and score."""
    table = Table(title=tr(language, "候选地块（按得分）", "Candidates, best first"))
    table.add_column("#", justify="right")
    table.add_column(tr(language, "地块", "parcels"), no_wrap=True)
    table.add_column(tr(language, "面积（亩）", "mu"), justify="right")
    table.add_column(tr(language, "得分", "score"), justify="right")
    table.add_column(tr(language, "各项（值 / 得分）", "criteria (value / score)"), overflow="fold")
    for row in result.candidates.head(limit).itertuples(index=False):
        parts = []
        for name, (label_zh, label_en, unit) in CRITERIA.items():
            value = getattr(row, f"{name}_value")
            shown = (
                "—"
                if value is None or not np.isfinite(float(value))
                else f"{float(value):,.2f}".rstrip("0").rstrip(".")
            )
            label = label_zh if language == "zh" else label_en
            parts.append(f"{label} {shown}{unit} / {100 * getattr(row, f'{name}_score'):.0f}")
        table.add_row(
            str(row.rank), "\n".join(row.parcel_ids), f"{row.area_mu:,.1f}", f"{100 * row.score:.1f}", "；".join(parts)
        )
    return table


def assign_command(
    park: ParkArg,
    projects: Annotated[Path, typer.Option("--projects", help="项目列表 JSON / The projects as a JSON list.")],
    top: Annotated[
        int, typer.Option("--top", min=1, help="每个项目参与求解的候选数 / Candidates per project in the solve.")
    ] = 100,
    json_file: Annotated[Path | None, typer.Option("--json", help="结果另存 JSON / Write the result as JSON.")] = None,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="分配地块另存 GeoJSON / Write the assigned parcels as GeoJSON.")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="结果另存 Excel / Write the result as an Excel workbook.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """多个项目竞争同一批土地：在地块不重复、电力与水源容量不超的条件下使总分最高（精确求解）。

    Assign several projects to land, maximising the total score exactly (HiGHS), and compare with greedy.
    """
    language = language_of(lang)
    check_outputs(language, json_file, geojson, xlsx)
    batch = read_projects(projects, language)
    index = site_index(park, language)
    with console.status(tr(language, "正在求解…", "Solving…")):
        exact = assign(index, batch, top=top)
        order = greedy(index, batch, top=top)
    data = exact.to_dict(language)
    console.print(_assignment_table(data, language))
    console.print(
        tr(
            language,
            f"{exact.status_in('zh')}：分配 {data['assigned']}/{len(batch)} 个项目，"
            f"总分 {100 * exact.total_score:.1f}；按顺序贪心总分 {100 * order.total_score:.1f}",
            f"{exact.status_in('en')}: {data['assigned']}/{len(batch)} projects placed, total score "
            f"{100 * exact.total_score:.1f}; greedy in the given order {100 * order.total_score:.1f}",
        )
    )
    for problem in exact.problems:
        err_console.print(f"[red]{tr(language, '复核', 'Re-check')}:[/red] {problem.describe(language)}")
    if json_file:
        data["greedy_total_score"] = round(order.total_score, 4)
        write_json(data, json_file)
    if geojson:
        write_geojson(exact.to_frame(), geojson)
    if xlsx:
        assign_xlsx(exact, xlsx, language)
    print_written(language, json_file, geojson, xlsx)
    if exact.problems:
        raise typer.Exit(1)


def _assignment_table(data: dict[str, Any], language: str) -> Table:
    """Each project and the land it got (or why none), from :meth:`~planner.siting.Assignment.to_dict`."""
    table = Table(title=tr(language, "项目分配（总分最高）", "Assignment (largest total score)"))
    for zh, en in (
        ("项目", "project"),
        ("产业", "industry"),
        ("地块", "parcels"),
        ("面积（亩）", "mu"),
        ("得分", "score"),
    ):
        table.add_column(tr(language, zh, en), overflow="fold")
    for entry in data["assignments"]:
        table.add_row(
            entry["project"],
            entry["industry"],
            "\n".join(entry["parcel_ids"]) or (entry.get("reason") or "—"),
            "" if entry["area_mu"] is None else f"{entry['area_mu']:,.1f}",
            "" if entry["score"] is None else f"{100 * entry['score']:.1f}",
        )
    return table
