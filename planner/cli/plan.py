"""The ``plan`` command: which works to build first so that the most land becomes 熟地 (变生地为熟地).

The plan is the library's (:func:`planner.buildout.plan.make_plan`): works chosen under the
budget, exact (HiGHS) or greedy with its bound, verified on the network model. This command
prints it, writes its JSON and the works as GeoJSON, and with ``--apply-to`` a copy of the
park with the works built, for ``planner readiness`` to check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from planner.analysis import graph_cache, readiness_inputs, readiness_of
from planner.buildout.apply import apply_to_store
from planner.buildout.plan import Plan, PlanOptions, make_plan, plan_needs
from planner.cli.common import (
    LangOption,
    ParkArg,
    check_outputs,
    console,
    fail,
    language_of,
    open_park,
    parse_date,
    print_problems,
    print_written,
    tr,
    write_json,
)
from planner.cli.siting import read_projects
from planner.errors import PlannerError
from planner.exchange.export import write_geojson
from planner.siting import SiteIndex
from planner.siting.pipeline import pipeline_land
from planner.store import ParkStore

__all__ = ["plan_command"]


def plan_command(  # noqa: PLR0913 - a typer command takes each of its command-line options as a parameter
    park: ParkArg,
    budget_wan: Annotated[float, typer.Option("--budget-wan", help="总预算（万元）/ The whole budget (万元).")],
    years: Annotated[int, typer.Option("--years", help="规划年数 / Years the plan spans.")] = 1,
    budget_per_year_wan: Annotated[
        float | None, typer.Option("--budget-per-year-wan", help="每年预算（万元）/ The most spent in a year.")
    ] = None,
    pipeline: Annotated[
        Path | None,
        typer.Option("--pipeline", help="招商项目 JSON：按其所需用地加权 / Weigh the land these projects need."),
    ] = None,
    works: Annotated[
        Path | None, typer.Option("--works", help="源点扩容工程 JSON / Source upgrades (a JSON list).")
    ] = None,
    revenue: Annotated[
        bool, typer.Option("--revenue", help="滚动开发：熟地出让收入投入后续年度 / Land revenue funds later years.")
    ] = False,
    price_per_mu_wan: Annotated[
        float | None, typer.Option("--price-per-mu-wan", help="每亩出让价（万元）/ Land price per 亩.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="起始日期 YYYY-MM-DD，默认今天 / When the plan starts.")
    ] = None,
    candidates: Annotated[
        bool, typer.Option("--candidates/--drawn-only", help="沿路生成候选延伸 / Propose extensions along the roads.")
    ] = True,
    json_file: Annotated[Path | None, typer.Option("--json", help="计划另存 JSON / Write the plan as JSON.")] = None,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="工程另存 GeoJSON（WGS84）/ Write the works as GeoJSON.")
    ] = None,
    apply_to: Annotated[
        str | None, typer.Option("--apply-to", help="写出建成后的园区副本 / Write the park as after the works.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """在预算内选择先建哪些道路、管线、扩容与平整工程，使最多土地成为熟地。

    Choose which works to build first, within the budget, so that the most land becomes ready (熟地).
    """
    language = language_of(lang)
    check_outputs(language, json_file, geojson, Path(apply_to) if apply_to and "://" not in apply_to else None)
    day = parse_date(start)
    given = _read_works(works, language) if works else []
    projects = read_projects(pipeline, language) if pipeline else None
    store = open_park(park, language)
    options = PlanOptions(
        budget_wan=budget_wan, years=years, budget_per_year_wan=budget_per_year_wan, start=day, revenue=revenue,
        price_per_mu_wan=price_per_mu_wan, candidates=candidates,
    )  # fmt: skip
    try:
        with console.status(tr(language, "正在核算七通一平并求解…", "Modelling the networks and solving…")):
            result = _plan(store, options, given, projects)
        written = _write(result, store, json_file, geojson, apply_to, language)
    except PlannerError as exc:
        fail(exc, language)
    _print(result, language)
    print_problems(result.problems, language)
    print_written(language, *written)


def _plan(store: ParkStore, options: PlanOptions, given: list[dict[str, Any]], projects: list | None) -> Plan:
    inputs = readiness_inputs(store)
    graphs = graph_cache(store)  # the graphs readiness kept beside the park: the road network is not noded again
    before = readiness_of(inputs, graphs=graphs)
    targets, serves = None, None
    if projects is not None:
        index = SiteIndex.from_store(store, run=before)
        targets, serves = pipeline_land(index, projects)
    demand = [(p.earliest_start, p.target_mu) for p in projects or []]
    prepared = plan_needs(inputs, before, targets=targets, given=given, candidates=options.candidates, graphs=graphs)
    return make_plan(
        inputs, options, targets=targets, given=given, before=before, projects=serves, demand=demand, prepared=prepared
    )


def _read_works(path: Path, language: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(ValueError(tr(language, f"无法读取工程文件 {path}：{exc}", f"cannot read the works file {path}: {exc}")),
             language)  # fmt: skip
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        fail(ValueError(tr(language, f"{path} 应为工程对象的列表", f"{path} must be a JSON list of works")), language)
    return data


def _write(
    result: Plan, store: ParkStore, json_file: Path | None, geojson: Path | None, apply_to: str | None, language: str
) -> list[Any]:
    if json_file:
        write_json(result.to_dict(language), json_file)
    if geojson and result.chosen is not None:
        frame = result.chosen.drop(columns=["planned_date"]).merge(
            result.works[["work_id", "order", "year", "quarter", "completed", "area_mu"]], on="work_id"
        )
        write_geojson(frame, geojson)
    if apply_to and result.chosen is not None:
        completed = dict(zip(result.works["work_id"], result.works["completed"], strict=True))
        apply_to_store(store, result.chosen, apply_to, completed=completed, overwrite=True)
    return [json_file, geojson, apply_to]


def _print(result: Plan, language: str) -> None:
    table = Table(title=tr(language, "建设计划：工程按顺序", "Build-out plan: the works in order"))
    for zh, en in (("#", "#"), ("工程", "work"), ("管网", "network"), ("费用（万元）", "cost (万元)"),
                   ("长度（m）", "length (m)"), ("季度", "quarter"), ("新增熟地（亩）", "ready (亩)"),
                   ("万元/亩", "万元 per 亩")):  # fmt: skip
        table.add_column(tr(language, zh, en), justify="right" if zh not in ("工程", "管网") else "left")
    data = result.to_dict(language)
    for row in data["works"]:
        per_mu = row["wan_per_mu"]
        table.add_row(str(row["order"]), f"{row['work_id']} {row['name'] or ''}", row["network_label"],
                      f"{row['cost_wan']:,.1f}", f"{row['length_m']:,.0f}", row["quarter"], f"{row['area_mu']:,.1f}",
                      "—" if per_mu is None else f"{per_mu:,.1f}")  # fmt: skip
    console.print(table)
    gap = "—" if data["gap"] is None else f"{100 * data['gap']:.2f}%"
    console.print(
        tr(
            language,
            f"{_method(data['method'], 'zh')}，差距上界 {gap}；费用 {data['cost_wan']:,.1f} 万元，新增熟地 "
            f"{len(data['newly_ready'])} 宗 {data['newly_ready_area_mu']:,.1f} 亩（已在网络模型上复核）；"
            f"贪心 {data['greedy_objective']:,.1f}",
            f"{_method(data['method'], 'en')}, gap at most {gap}; cost {data['cost_wan']:,.1f} 万元, newly ready "
            f"{len(data['newly_ready'])} parcels, {data['newly_ready_area_mu']:,.1f} 亩 (verified on the network "
            f"model); greedy {data['greedy_objective']:,.1f}",
        )
    )
    forecast = pd.DataFrame(data["forecast"])
    if "demand_mu" in forecast:
        console.print(_demand_table(forecast, data["demand_later_mu"], language))
        return
    shown = forecast[forecast["parcels"] > 0] if len(forecast) else forecast
    for row in shown.itertuples(index=False):
        console.print(f"  {row.quarter}: +{row.area_mu:,.1f} {tr(language, '亩', 'mu')} → {row.cumulative_mu:,.1f}")


def _demand_table(forecast: pd.DataFrame, later_mu: float, language: str) -> Table:
    """The ready land forecast by quarter beside the pipeline's demand (亩), and the shortfall."""
    table = Table(
        title=tr(language, "熟地供应与招商需求（按季度，亩）", "Ready land and pipeline demand by quarter (亩)"),
        caption=tr(language, f"计划期后需求 {later_mu:,.1f} 亩", f"demand after the plan: {later_mu:,.1f} 亩"),
    )
    for zh, en in (("季度", "quarter"), ("新增熟地", "made ready"), ("累计熟地", "ready so far"),
                   ("需求", "demand"), ("累计需求", "demand so far"), ("缺口", "shortfall")):  # fmt: skip
        table.add_column(tr(language, zh, en), justify="left" if zh == "季度" else "right")
    for row in forecast.itertuples(index=False):
        table.add_row(row.quarter, f"{row.area_mu:,.1f}", f"{row.cumulative_mu:,.1f}", f"{row.demand_mu:,.1f}",
                      f"{row.cumulative_demand_mu:,.1f}", f"{row.shortfall_mu:,.1f}")  # fmt: skip
    return table


def _method(method: str, language: str) -> str:
    zh = {
        "milp": "精确求解（HiGHS）",
        "milp (time limit)": "精确求解（HiGHS，限时）",
        "greedy": "贪心（附线性松弛上界）",
    }
    return zh.get(method, method) if language == "zh" else method
