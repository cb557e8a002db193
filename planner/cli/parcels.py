"""The parcel commands: ``readiness`` (七通一平), ``idle`` (闲置土地), ``ready`` (熟地) and ``stats`` (indicators).

Each runs the library (:mod:`planner.analysis`, :mod:`planner.parcels`) and prints what it
found; the tables and files they write are the library's frames.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import Progress
from rich.table import Table

from planner.analysis import ReadinessRun, freshness, update_idle, update_readiness
from planner.cli.common import (
    AsOfOption,
    LangOption,
    ParkArg,
    check_outputs,
    console,
    err_console,
    fail,
    language_of,
    open_park,
    parse_date,
    parse_day,
    print_problems,
    print_written,
    tr,
)
from planner.cli.sheets import ready_xlsx, write_sheets
from planner.config import ParkConfig
from planner.errors import PlannerError
from planner.exchange.export import write_geojson
from planner.exchange.table_csv import SheetSpec, write_table_csv
from planner.land import land_indicators
from planner.parcels.evaluation import EvaluationResult, consistency_checks, evaluate
from planner.parcels.indicators import FIGURES, INDICATORS, NATIONAL_2019, NATIONAL_2019_LABEL, explain
from planner.parcels.query import filter_parcels
from planner.store import ParkStore
from planner.vocab import (
    CHECKLIST_ITEMS,
    DELAY_CAUSES,
    DISPOSAL_STAGES,
    EVAL_CLASSES,
    IDLE_RULES,
    ROAD_CLASSES,
    STATUSES,
)

__all__ = ["idle", "readiness", "ready", "stats"]


def readiness(
    park: ParkArg,
    by: Annotated[str, typer.Option("--by", help="操作人 / Who runs it (kept in the history).")] = "planner readiness",
    as_json: Annotated[
        bool,
        typer.Option("--json", help="以 JSON 输出结果与推断的出入口 / Print the result and inferred gateways as JSON."),
    ] = False,
    lang: LangOption = None,
) -> None:
    """按路网、管网与高程计算七通一平（熟地/生地）并写回宗地图层。

    Compute 七通一平 readiness from the networks and the DEM and write it back. Where the road
    network declares no gateway, gateways are inferred where the main roads cross the park
    boundary (imported with --layer boundary, else the parcels' concave hull) and listed.
    """
    language = language_of(lang)
    store = open_park(park, language)
    run = _update_readiness(store, by, language)
    config = store.config()
    parcels = store.read_parcels()
    if as_json:
        typer.echo(json.dumps(_readiness_json(run, parcels, store.crs), ensure_ascii=False, indent=2))
        return
    table = Table(title=tr(language, "七通一平（按园区清单）", "Readiness by checklist item"))
    for zh, en in (
        ("项目", "item"),
        ("依据", "from"),
        ("满足", "holds"),
        ("不满足", "fails"),
        ("登记不符", "records disagree"),
    ):
        table.add_column(tr(language, zh, en))
    for item, row in run.readiness.by_item(parcels, config.checklist).iterrows():
        table.add_row(
            CHECKLIST_ITEMS[str(item)][0 if language == "zh" else 1],
            tr(language, "计算" if row["used"] == "derived" else "登记", row["used"]),
            str(row["holds"]),
            str(row["fails"]),
            str(row["disagree"]),
        )
    console.print(table)
    ready = parcels[parcels["ready"].fillna(False).astype(bool)]
    console.print(
        tr(
            language,
            f"熟地 {len(ready)} 宗，{ready['area_mu'].sum():,.1f} 亩；生地 {len(parcels) - len(ready)} 宗",
            f"ready land: {len(ready)} parcels, {ready['area_mu'].sum():,.1f} mu; raw: {len(parcels) - len(ready)}",
        )
    )
    for cov in run.coverage.values():
        for sid, row in cov.sources.iterrows():
            if row["capacity"] == row["capacity"]:
                console.print(
                    f"  {row['name']} ({sid}): {tr(language, '负荷', 'load')} {row['load']:,.0f} / "
                    f"{row['capacity']:,.0f}, {tr(language, '剩余', 'left')} {row['remaining']:,.0f}"
                )
    _print_gateways(run, language)
    print_problems(run.problems, language)


def _print_gateways(run: ReadinessRun, language: str) -> None:
    """The road gateways inferred on the park boundary, with their roads."""
    if run.gateways is None or not len(run.gateways):
        return
    table = Table(title=tr(language, "推断的道路出入口（未登记出入口）", "Road gateways inferred (none declared)"))
    for zh, en in (("编号", "id"), ("道路", "roads"), ("等级", "class"), ("线路", "lines")):
        table.add_column(tr(language, zh, en))
    for sid, roads, klass, lines in run.gateways[["source_id", "roads", "road_class", "line_ids"]].itertuples(
        index=False
    ):
        label = ROAD_CLASSES[klass][0 if language == "zh" else 1] if isinstance(klass, str) else ""
        table.add_row(str(sid), str(roads), label, str(lines))
    console.print(table)


def _readiness_json(run: ReadinessRun, parcels: pd.DataFrame, crs: object) -> dict:
    """The readiness run as JSON: ready land, each inferred gateway (lon/lat) with its roads, and the problems."""
    ready = parcels[parcels["ready"].fillna(False).astype(bool)]
    gateways = []
    if run.gateways is not None and len(run.gateways):
        lonlat = run.gateways.to_crs(4326)
        for row, point in zip(run.gateways.itertuples(index=False), lonlat.geometry, strict=True):
            gateways.append(
                {
                    "source_id": row.source_id,
                    "name": row.name,
                    "roads": row.roads.split("、"),
                    "line_ids": row.line_ids.split(", "),
                    "road_class": row.road_class,
                    "inferred": True,
                    "lon": round(point.x, 7),
                    "lat": round(point.y, 7),
                }
            )
    return {
        "parcels": len(parcels),
        "ready_parcels": len(ready),
        "ready_area_mu": round(float(ready["area_mu"].sum()), 4),
        "gateways": gateways,
        "problems": [p.as_dict() for p in run.problems],
    }


def _update_readiness(store: ParkStore, by: str, language: str) -> ReadinessRun:
    """Run readiness with a progress bar, one step per network, then the terrain and the verdict."""
    steps = [*CHECKLIST_ITEMS.keys(), "terrain", "readiness"]
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(tr(language, "计算七通一平", "Computing readiness"), total=len(steps))

        def advance(name: str) -> None:
            bar.update(task, advance=1, description=name)

        try:
            return update_readiness(store, by=by, progress=advance)
        except PlannerError as exc:
            fail(exc, language)


def idle(
    park: ParkArg,
    as_of: AsOfOption = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="另存 CSV / Also write a CSV file.")] = None,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="另存 GeoJSON（WGS84）/ Also write RFC 7946 GeoJSON.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="操作人 / Who runs it (kept in the history).")] = "planner idle",
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="结果另存 Excel / Write the result as an Excel workbook.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """认定闲置土地（2012年《闲置土地处置办法》）并写回宗地图层。

    Classify idle land under the 2012 rules and write the idle columns back.
    """
    language = language_of(lang)
    check_outputs(language, csv, geojson, xlsx)
    day = parse_day(as_of)
    store = open_park(park, language)
    try:
        result, report = update_idle(store, day, by=by)
    except PlannerError as exc:
        fail(exc, language)
    parcels = store.read_parcels()
    rows = result.to_frame(parcels, language)
    console.print(_idle_table(rows, day, language))
    idle_now = rows[rows["idle_rule"].notna()]
    area, fees, started = idle_now["area_mu"].sum(), rows["idle_fee_wan"].sum(), len(rows) - len(idle_now)
    console.print(
        tr(
            language,
            f"闲置 {len(idle_now)} 宗，{area:,.1f} 亩；曾闲置已动工 {started} 宗；应征闲置费 {fees:,.1f} 万元；"
            f"已写回 {report.updated} 宗",
            f"{len(idle_now)} idle parcels, {area:,.1f} mu; {started} idle before and started since; "
            f"idle-land fees {fees:,.1f} 万元; {report.updated} parcels updated",
        )
    )
    print_problems(result.problems, language)
    if csv:
        write_table_csv(rows, csv, lang=language)
    if geojson:
        write_geojson(result.to_geoframe(parcels, language), geojson)
    if xlsx:
        title = tr(language, f"闲置土地（截至 {day}）", f"idle land as of {day}")
        write_sheets([SheetSpec(title, rows)], xlsx, language)
    print_written(language, csv, geojson, xlsx)


def _idle_table(rows: pd.DataFrame, day: date, language: str) -> Table:
    """The idle parcels: holder, area, which rule, since when, the fee, when reclaimable, an art. 8 cause."""
    table = Table(title=tr(language, f"闲置土地（截至 {day}）", f"Idle land as of {day}"))
    heads = (
        ("宗地代码", "parcel"),
        ("使用权人", "holder"),
        ("面积（亩）", "mu"),
        ("情形", "rule"),
        ("闲置起始日", "first idle day"),
        ("天数", "days"),
        ("闲置费（万元）", "fee (万元)"),
        ("可无偿收回", "reclaimable from"),
        ("闲置原因（第八条）", "cause (art. 8)"),
        ("处置阶段", "stage"),
    )
    for zh, en in heads:
        table.add_column(tr(language, zh, en), overflow="fold")
    i = 0 if language == "zh" else 1
    for pid, row in rows.iterrows():
        table.add_row(
            str(pid),
            row["holder"] or "",
            f"{row['area_mu']:,.1f}",
            _rule_cell(row["idle_rule"], row["idle_until"], language),
            f"{row['idle_since']:%Y-%m-%d}",
            str(row["idle_days"]),
            "—" if pd.isna(row["idle_fee_wan"]) else f"{row['idle_fee_wan']:,.1f}",
            "—" if pd.isna(row["reclaim_from"]) else f"{row['reclaim_from']:%Y-%m-%d}",
            DELAY_CAUSES[row["delay_cause"]][i] if row["delay_cause"] else "",
            DISPOSAL_STAGES[row["disposal_stage"]][i] if row["disposal_stage"] else "",
        )
    return table


def _rule_cell(rule: str | None, until: pd.Timestamp, language: str) -> str:
    """The art. 2 rule of idle land, or, for land started since, until when it was idle."""
    if rule is None:
        return tr(language, f"已动工（闲置至 {until:%Y-%m-%d}）", f"started (idle until {until:%Y-%m-%d})")
    return IDLE_RULES[rule][0] if language == "zh" else rule.replace("_", " ")


def ready(
    park: ParkArg,
    min_mu: Annotated[float, typer.Option("--min-mu", help="最小面积（亩）/ Least area in mu.")] = 0.0,
    max_mu: Annotated[float | None, typer.Option("--max-mu", help="最大面积（亩）/ Largest area in mu.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="供地状态，如 reserved / Supply status, e.g. reserved.")
    ] = None,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="结果另存 Excel / Write the result as an Excel workbook.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """列出熟地（七通一平均满足）。

    List the ready parcels (熟地), optionally by size in mu and status.
    """
    language = language_of(lang)
    if status is not None and status not in STATUSES:
        msg = f"'{status}' is not a status; allowed: {', '.join(STATUSES)}"
        raise typer.BadParameter(msg, param_hint="--status")
    if min_mu < 0 or (max_mu is not None and max_mu < min_mu):
        msg = f"the range {min_mu}–{max_mu} mu is empty or negative"
        raise typer.BadParameter(msg, param_hint="--min-mu/--max-mu")
    check_outputs(language, xlsx)
    store = open_park(park, language)
    parcels = store.read_parcels()
    state = freshness(store, "readiness")
    if not state.current:
        err_console.print(state.message(language))
        raise typer.Exit(1)
    rows = filter_parcels(parcels, ready=True, min_area_mu=min_mu, max_area_mu=max_mu, status=status)
    rows = rows.sort_values("area_mu", ascending=False)
    table = Table(title=tr(language, f"熟地 ≥ {min_mu:g} 亩", f"Ready land ≥ {min_mu:g} mu"))
    heads = (("宗地代码", "parcel"), ("名称", "name"), ("面积（亩）", "mu"), ("状态", "status"), ("用地", "land use"))
    for zh, en in (*heads, ("准入产业", "zoning")):
        table.add_column(tr(language, zh, en), overflow="fold")
    for _, row in rows.iterrows():
        table.add_row(
            row["parcel_id"],
            row["name"] or "",
            f"{row['area_mu']:,.1f}",
            STATUSES[row["status"]][0 if language == "zh" else 1],
            row["land_use"] or "",
            row["zone_industries"] or "",
        )
    console.print(table)
    console.print(
        tr(
            language,
            f"共 {len(rows)} 宗，{rows['area_mu'].sum():,.1f} 亩",
            f"{len(rows)} parcels, {rows['area_mu'].sum():,.1f} mu",
        )
    )
    if xlsx:
        ready_xlsx(rows, xlsx, language, title=tr(language, f"熟地 ≥ {min_mu:g} 亩", f"ready land ≥ {min_mu:g} mu"))
        print_written(language, xlsx)


def stats(
    park: ParkArg,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="按此日期认定闲置，默认用已写回的结果 / Judge idle land as of this date "
            "(default: the stored idle columns).",
        ),
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="指标另存 CSV / Write the indicators as CSV.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="指标另存 JSON / Write them as JSON.")] = None,
    evaluation: Annotated[
        Path | None,
        typer.Option("--evaluation", help="亩均评价明细 CSV / Write the per-enterprise evaluation as CSV."),
    ] = None,
    explain_: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="列出每项指标的公式、分子分母数值与依据 / Show each indicator's formula, figures and source.",
        ),
    ] = False,
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="结果另存 Excel / Write the result as an Excel workbook.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """园区土地集约利用指标、亩均效益评价与数据一致性检查。

    Park land indicators, the per-mu evaluation and consistency checks.
    """
    language = language_of(lang)
    check_outputs(language, csv, json_file, evaluation, xlsx)
    store = open_park(park, language)
    parcels = store.read_parcels()
    config = store.config()
    indicators = land_indicators(store, parcels, as_of=parse_date(as_of))
    row = indicators.of_park(config.park_id)
    console.print(_indicator_table(row, config, indicators.idle_as_of, language))
    if explain_:
        _print_explanation(row, language)
    lacking = {k: int(row[f"industrial_lacking_{k}"]) for k in ("floor_area", "investment", "tax")}
    if any(lacking.values()):
        console.print(
            tr(
                language,
                "注：已建工业用地中缺少数据的宗数（相应指标偏低）：",
                "Note: built industrial parcels lacking figures (the indicators are understated): ",
            )
            + ", ".join(f"{k} {v}" for k, v in lacking.items() if v)
        )
    evaluated = evaluate(parcels, config)
    _print_evaluation(evaluated, language)
    print_problems(evaluated.problems + consistency_checks(parcels), language)
    if csv:
        write_table_csv(indicators.table, csv, lang=language, headers=_indicator_headers())
    if json_file:
        parks = json.loads(indicators.table.to_json(orient="index"))
        payload = {"idle_as_of": indicators.idle_as_of, "parks": parks, "evaluation": evaluated.counts()}
        json_file.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    if evaluation:
        write_table_csv(evaluated.to_frame(language), evaluation, lang=language)
    if xlsx:
        sheets = [
            SheetSpec(tr(language, "土地集约利用指标", "land indicators"), indicators.table, _indicator_headers()),
            SheetSpec(tr(language, "亩均效益评价", "per-mu evaluation"), evaluated.to_frame(language)),
        ]
        write_sheets(sheets, xlsx, language)
    print_written(language, csv, json_file, evaluation, xlsx)


def _indicator_headers() -> dict[str, tuple[str, str]]:
    """Headings of the indicator table's columns: each figure with its unit, each indicator by its label."""
    headers = {f.name: (f"{f.label_zh}（{f.unit}）", f"{f.label_en} ({f.unit})") for f in FIGURES}
    return headers | {i.name: (i.label_zh, i.label_en) for i in INDICATORS}


def _indicator_table(row: pd.Series, config: ParkConfig, basis: str | None, language: str) -> Table:
    """The park's indicators beside the national figures of 2019."""
    table = Table(
        title=tr(
            language,
            f"{config.name} 土地集约利用指标（闲置认定：{basis or '未认定'}）",
            f"{config.name_en or config.name}: land indicators (idle as of {basis or 'never classified'})",
        )
    )
    for zh, en in (("指标", "indicator"), ("本园区", "park"), NATIONAL_2019_LABEL):
        table.add_column(tr(language, zh, en), overflow="fold")
    for ind in INDICATORS:
        value = row[ind.name]
        national = NATIONAL_2019.get(ind.name)
        table.add_row(
            ind.label_zh if language == "zh" else ind.label_en,
            "—" if pd.isna(value) else f"{value:,.2f}",
            "" if national is None else f"{national:,.2f}",
        )
    return table


def _print_explanation(row: pd.Series, language: str) -> None:
    """Each indicator's formula, the figures it divides and its source, one block per indicator."""
    console.print(tr(language, "指标的计算与依据：", "How each indicator is computed, and its source:"))
    names = (("公式", "formula"), ("分子", "numerator"), ("分母", "denominator"), ("依据", "source"))
    for line in explain(row, language).itertuples(index=False):
        console.print(f"{line.indicator} = {line.value}", markup=False, highlight=False)
        for (zh, en), text in zip(names, (line.formula, line.numerator, line.denominator, line.source), strict=True):
            console.print(f"  {tr(language, zh, en)}: {text}", markup=False, highlight=False)


def _print_evaluation(evaluated: EvaluationResult, language: str) -> None:
    """One line: parcels per class A to D, and the low-efficiency land."""
    low = int(evaluated.table["low_efficiency"].sum())
    classes = tr(language, "，", ", ").join(
        f"{c} {EVAL_CLASSES[c][0 if language == 'zh' else 1]} {n}" for c, n in evaluated.counts().items()
    )
    console.print(
        tr(
            language,
            f"亩均效益评价（{evaluated.method_text('zh')}）：",
            f"Per-mu evaluation ({evaluated.method_text('en')}): ",
        )
        + classes
        + tr(language, f"；低效用地 {low} 宗", f"; low-efficiency land: {low} parcels")
    )
