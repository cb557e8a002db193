"""The ``planner`` command: a thin layer over the library (typer + rich).

Messages a planner reads are in Chinese by default; ``--lang en`` (or
``PLANNER_LANG=en``) switches them to English.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from planner import __version__
from planner.analysis import freshness
from planner.errors import PlannerError
from planner.vocab import NETWORKS, STATUSES

app = typer.Typer(
    name="planner",
    help=(
        "工业园区土地与基础设施规划工具：宗地、七通一平、闲置土地、项目选址。\n\n"
        "Land and infrastructure planner for Chinese industrial parks: parcels, "
        "七通一平 readiness, idle land, project siting."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


def _lang(lang: str | None) -> str:
    value = (lang or os.environ.get("PLANNER_LANG") or "zh").lower()
    if value not in ("zh", "en"):
        raise typer.BadParameter(f"'{value}' is not a language; use zh (中文) or en (English)", param_hint="--lang")
    return value


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _fail(exc: Exception, lang: str) -> NoReturn:
    """Print a planner error as one line, without a traceback, and exit with status 1."""
    err_console.print(f"[red]{_t(lang, '错误', 'Error')}:[/red] {exc}")
    raise typer.Exit(1) from None


def _version(value: bool) -> None:
    if value:
        console.print(f"planner {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本 / Show the version.")
    ] = False,
) -> None:
    """工业园区土地与基础设施规划工具 / Land and infrastructure planner for Chinese industrial parks."""


LangOption = Annotated[
    str | None, typer.Option("--lang", help="输出语言 zh 或 en / Output language: zh or en (env PLANNER_LANG).")
]


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="输出目录 / Output folder for park.gpkg and dem.tif.")] = Path(
        "data/demo"
    ),
    seed: Annotated[int, typer.Option("--seed", help="随机种子 / Random seed (same seed, same park).")] = 20261122,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="数据截止日期 YYYY-MM-DD，默认今天 / Date the records are as of (default today)."),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option("--serve/--no-serve", help="生成后启动服务 / Serve the API and map after building."),
    ] = True,
    maps: Annotated[
        Path, typer.Option("--maps", help="地图输出目录 / Folder for the HTML maps (readiness, investment, siting).")
    ] = Path("maps"),
    lang: LangOption = None,
) -> None:
    """生成示范园区（宗地、路网、管网、源点、高程）。

    Build the demo park: parcels, roads, utility networks, sources, DEM.
    """
    from planner.demo import build_demo

    language = _lang(lang)
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise typer.BadParameter(
            f"'{as_of}' is not a date; write it as YYYY-MM-DD (e.g. 2026-06-30)", param_hint="--as-of"
        ) from None
    with console.status(_t(language, "正在生成示范园区…", "Building the demo park…")):
        try:
            park = build_demo(out, seed=seed, as_of=day)
        except PlannerError as exc:
            _fail(exc, language)
    _print_demo(park, language)
    with console.status(_t(language, "正在绘制地图…", "Drawing the maps…")):
        written = _demo_maps(park.path, maps, language)
    console.print(f"{_t(language, '地图', 'Maps')}: {'  '.join(str(p) for p in written)}")
    if serve:
        _run_server([str(park.path)], host="127.0.0.1", port=8000, workers=1, tokens=None, language=language)


# text, not Path: a Path would fold the `//` of a postgresql:// URL
ParkArg = Annotated[
    str,
    typer.Argument(
        help="园区：GeoPackage 文件或 PostGIS 地址 / The park: a .gpkg file or a postgresql://…?park=<park_id> URL."
    ),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="截止日期 YYYY-MM-DD，默认今天 / Date to judge as of (default today).")
]


def _day(as_of: str | None) -> date:
    try:
        return date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise typer.BadParameter(
            f"'{as_of}' is not a date; write it as YYYY-MM-DD (e.g. 2026-06-30)", param_hint="--as-of"
        ) from None


def _open(park: str, lang: str):
    from planner.store import open_store

    try:
        return open_store(park)
    except PlannerError as exc:
        _fail(exc, lang)


def _print_problems(problems, lang: str, *, limit: int = 20) -> None:
    if not problems:
        return
    console.print(f"[yellow]{_t(lang, '记录问题', 'Record problems')} ({len(problems)}):[/yellow]")
    for problem in problems[:limit]:
        console.print(f"  - {problem}")
    if len(problems) > limit:
        console.print(f"  … {_t(lang, '另有', 'and')} {len(problems) - limit} {_t(lang, '条', 'more')}")


@app.command()
def idle(
    park: ParkArg,
    as_of: AsOfOption = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="另存 CSV / Also write a CSV file.")] = None,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="另存 GeoJSON（WGS84）/ Also write RFC 7946 GeoJSON.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="操作人 / Who runs it (kept in the history).")] = "planner idle",
    lang: LangOption = None,
) -> None:
    """认定闲置土地（2012年《闲置土地处置办法》）并写回宗地图层。

    Classify idle land under the 2012 rules and write the idle columns back.
    """
    from planner.analysis import update_idle
    from planner.vocab import DELAY_CAUSES, IDLE_RULES

    language = _lang(lang)
    day = _day(as_of)
    store = _open(park, language)
    try:
        result, report = update_idle(store, day, by=by)
    except PlannerError as exc:
        _fail(exc, language)
    parcels = store.read_parcels().set_index("parcel_id")
    idle_rows = result.idle.join(parcels[["name", "holder", "area_mu", "land_price_wan"]])
    table = Table(title=_t(language, f"闲置土地（截至 {day}）", f"Idle land as of {day}"))
    heads = (
        ("宗地代码", "parcel"),
        ("使用权人", "holder"),
        ("面积（亩）", "mu"),
        ("情形", "rule"),
        ("闲置起算", "idle since"),
        ("天数", "days"),
        ("闲置费（万元）", "fee (万元)"),
        ("可无偿收回", "reclaimable from"),
        ("政府原因", "government cause"),
    )
    for zh, en in heads:
        table.add_column(_t(language, zh, en), overflow="fold")
    i = 0 if language == "zh" else 1
    for pid, row in idle_rows.iterrows():
        table.add_row(
            pid,
            row["holder"] or "",
            f"{row['area_mu']:,.1f}",
            IDLE_RULES[row["idle_rule"]][0] if language == "zh" else row["idle_rule"].replace("_", " "),
            f"{row['idle_since']:%Y-%m-%d}",
            str(row["idle_days"]),
            "—" if pd.isna(row["idle_fee_wan"]) else f"{row['idle_fee_wan']:,.1f}",
            "—" if pd.isna(row["reclaim_from"]) else f"{row['reclaim_from']:%Y-%m-%d}",
            DELAY_CAUSES[row["government_cause"]][i] if row["government_cause"] else "",
        )
    console.print(table)
    console.print(
        _t(
            language,
            f"闲置 {len(idle_rows)} 宗，{idle_rows['area_mu'].sum():,.1f} 亩；应征闲置费 "
            f"{idle_rows['idle_fee_wan'].sum():,.1f} 万元；已写回 {report.updated} 宗",
            f"{len(idle_rows)} idle parcels, {idle_rows['area_mu'].sum():,.1f} mu; idle-land fees "
            f"{idle_rows['idle_fee_wan'].sum():,.1f} 万元; {report.updated} parcels updated",
        )
    )
    _print_problems(result.problems, language)
    note = "note_zh" if language == "zh" else "note_en"
    if csv:
        out = idle_rows.drop(columns=["note_en" if language == "zh" else "note_zh"]).rename(columns={note: "note"})
        out.to_csv(csv, encoding="utf-8-sig", date_format="%Y-%m-%d")
    if geojson:
        frame = store.read_parcels()
        frame = frame[frame["idle_rule"].notna()]
        keep = [
            "parcel_id",
            "name",
            "holder",
            "area_mu",
            "area_m2",
            "status",
            "idle_rule",
            "idle_since",
            "idle_fee_wan",
            "reclaim_from",
            "delay_cause",
            "geometry",
        ]
        out = frame[keep].merge(
            result.table[["idle_days", note]].rename(columns={note: "note"}), left_on="parcel_id", right_index=True
        )
        for column in ("idle_since", "reclaim_from"):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        from planner.exchange.export import write_geojson

        write_geojson(out, geojson)
    if csv or geojson:
        console.print(f"{_t(language, '已写入', 'Wrote')} {' '.join(str(f) for f in (csv, geojson) if f)}")


@app.command()
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
    lang: LangOption = None,
) -> None:
    """园区土地集约利用指标、亩均效益评价与数据一致性检查。

    Park land indicators, the per-mu evaluation and consistency checks.
    """
    import json

    from planner.parcels.evaluation import consistency_checks, evaluate
    from planner.parcels.idle import classify_idle
    from planner.parcels.indicators import INDICATORS, NATIONAL_2019, park_indicators
    from planner.vocab import EVAL_CLASSES

    language = _lang(lang)
    store = _open(park, language)
    parcels = store.read_parcels()
    config = store.config()
    if as_of:
        day = _day(as_of)
        result = classify_idle(parcels, day, config)
        idle_mask = parcels["parcel_id"].map(result.table["idle_rule"].notna()).fillna(False).to_numpy(dtype=bool)
        basis = str(day)
    else:
        idle_mask = parcels["idle_rule"].notna().to_numpy()
        basis = store.metadata().get("idle_as_of")
    table_data = park_indicators(parcels, idle=idle_mask)
    if basis is None:  # idle land never classified: no rate, rather than a false 0%
        table_data[["idle_area_ha", "idle_land_rate_pct"]] = float("nan")
    row = table_data.loc[config.park_id] if config.park_id in table_data.index else table_data.loc["ALL"]
    table = Table(
        title=_t(
            language,
            f"{config.name} 土地集约利用指标（闲置认定：{basis or '未认定'}）",
            f"{config.name_en or config.name}: land indicators (idle as of {basis or 'never classified'})",
        )
    )
    for head in (
        _t(language, "指标", "indicator"),
        _t(language, "本园区", "park"),
        _t(language, "全国开发区2019", "national 2019"),
    ):
        table.add_column(head, overflow="fold")
    for ind in INDICATORS:
        value = row[ind.name]
        national = NATIONAL_2019.get(ind.name)
        table.add_row(
            ind.label_zh if language == "zh" else ind.label_en,
            "—" if pd.isna(value) else f"{value:,.2f}",
            "" if national is None else f"{national:,.2f}",
        )
    console.print(table)
    lacking = {k: int(row[f"industrial_lacking_{k}"]) for k in ("floor_area", "investment", "tax")}
    if any(lacking.values()):
        console.print(
            _t(
                language,
                "注：已建工业用地中缺少数据的宗数（相应指标偏低）：",
                "Note: built industrial parcels lacking figures (the indicators are understated): ",
            )
            + ", ".join(f"{k} {v}" for k, v in lacking.items() if v)
        )
    evaluated = evaluate(parcels, config)
    counts = evaluated.counts()
    console.print(
        _t(language, "亩均效益评价：", "Per-mu evaluation: ")
        + _t(language, "，", ", ").join(
            f"{c} {EVAL_CLASSES[c][0 if language == 'zh' else 1]} {n}" for c, n in counts.items()
        )
        + _t(
            language,
            f"；低效用地 {int(evaluated.table['low_efficiency'].sum())} 宗",
            f"; low-efficiency land: {int(evaluated.table['low_efficiency'].sum())} parcels",
        )
    )
    findings = consistency_checks(parcels)
    _print_problems(evaluated.problems + findings, language)
    if csv:
        table_data.to_csv(csv, encoding="utf-8-sig")
    if json_file:
        payload = {"idle_as_of": basis, "parks": json.loads(table_data.to_json(orient="index")), "evaluation": counts}
        json_file.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    if evaluation:
        explanation = "explanation_zh" if language == "zh" else "explanation_en"
        out = evaluated.table.drop(columns=["explanation_en" if language == "zh" else "explanation_zh"])
        out.rename(columns={explanation: "explanation"}).to_csv(evaluation, encoding="utf-8-sig")
    written = [str(f) for f in (csv, json_file, evaluation) if f]
    if written:
        console.print(f"{_t(language, '已写入', 'Wrote')} {' '.join(written)}")


@app.command()
def readiness(
    park: ParkArg,
    by: Annotated[str, typer.Option("--by", help="操作人 / Who runs it (kept in the history).")] = "planner readiness",
    lang: LangOption = None,
) -> None:
    """按路网、管网与高程计算七通一平（熟地/生地）并写回宗地图层。

    Compute 七通一平 readiness from the networks and the DEM and write it back.
    """
    from rich.progress import Progress

    from planner.analysis import update_readiness
    from planner.vocab import CHECKLIST_ITEMS

    language = _lang(lang)
    store = _open(park, language)
    steps = [*CHECKLIST_ITEMS.keys(), "terrain", "readiness"]
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(_t(language, "计算七通一平", "Computing readiness"), total=len(steps))

        def advance(name: str) -> None:
            bar.update(task, advance=1, description=name)

        try:
            run = update_readiness(store, by=by, progress=advance)
        except PlannerError as exc:
            _fail(exc, language)
    config = store.config()
    parcels = store.read_parcels()
    table = Table(title=_t(language, "七通一平（按园区清单）", "Readiness by checklist item"))
    for head in (
        _t(language, "项目", "item"),
        _t(language, "依据", "from"),
        _t(language, "满足", "holds"),
        _t(language, "不满足", "fails"),
        _t(language, "登记不符", "records disagree"),
    ):
        table.add_column(head)
    disagree = run.readiness.disagreements["item"].value_counts()
    for item in config.checklist:
        zh, en = CHECKLIST_ITEMS[item]
        used = run.readiness.used[item]
        column = item if used == "derived" else f"declared_{item}"
        values = parcels[column].astype("boolean")
        table.add_row(
            zh if language == "zh" else en,
            _t(language, "计算" if used == "derived" else "登记", used),
            str(int(values.fillna(False).sum())),
            str(int((~values.fillna(False)).sum())),
            str(int(disagree.get(item, 0))),
        )
    console.print(table)
    ready = parcels[parcels["ready"].fillna(False).astype(bool)]
    console.print(
        _t(
            language,
            f"熟地 {len(ready)} 宗，{ready['area_mu'].sum():,.1f} 亩；生地 {len(parcels) - len(ready)} 宗",
            f"ready land: {len(ready)} parcels, {ready['area_mu'].sum():,.1f} mu; raw: {len(parcels) - len(ready)}",
        )
    )
    for cov in run.coverage.values():
        for sid, row in cov.sources.iterrows():
            if row["capacity"] == row["capacity"]:
                console.print(
                    f"  {row['name']} ({sid}): {_t(language, '负荷', 'load')} {row['load']:,.0f} / "
                    f"{row['capacity']:,.0f}, {_t(language, '剩余', 'left')} {row['remaining']:,.0f}"
                )
    _print_problems(run.problems, language)


@app.command()
def ready(
    park: ParkArg,
    min_mu: Annotated[float, typer.Option("--min-mu", help="最小面积（亩）/ Least area in mu.")] = 0.0,
    max_mu: Annotated[float | None, typer.Option("--max-mu", help="最大面积（亩）/ Largest area in mu.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="供地状态，如 reserved / Supply status, e.g. reserved.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """列出熟地（七通一平均满足）。

    List the ready parcels (熟地), optionally by size in mu and status.
    """
    from planner.vocab import STATUSES

    language = _lang(lang)
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"'{status}' is not a status; allowed: {', '.join(STATUSES)}", param_hint="--status")
    if min_mu < 0 or (max_mu is not None and max_mu < min_mu):
        raise typer.BadParameter(f"the range {min_mu}–{max_mu} mu is empty or negative", param_hint="--min-mu/--max-mu")
    store = _open(park, language)
    parcels = store.read_parcels()
    state = freshness(store, "readiness")
    if not state.current:
        err_console.print(state.message(language))
        raise typer.Exit(1)
    from planner.parcels.query import filter_parcels

    rows = filter_parcels(parcels, ready=True, min_area_mu=min_mu, max_area_mu=max_mu, status=status)
    rows = rows.sort_values("area_mu", ascending=False)
    table = Table(title=_t(language, f"熟地 ≥ {min_mu:g} 亩", f"Ready land ≥ {min_mu:g} mu"))
    for head in (
        _t(language, "宗地代码", "parcel"),
        _t(language, "名称", "name"),
        _t(language, "面积（亩）", "mu"),
        _t(language, "状态", "status"),
        _t(language, "用地", "land use"),
        _t(language, "准入产业", "zoning"),
    ):
        table.add_column(head, overflow="fold")
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
        _t(
            language,
            f"共 {len(rows)} 宗，{rows['area_mu'].sum():,.1f} 亩",
            f"{len(rows)} parcels, {rows['area_mu'].sum():,.1f} mu",
        )
    )


_SEVERITY = {
    "error": ("拒绝", "refused", "red"),
    "warning": ("提示", "warning", "yellow"),
    "repair": ("修复", "repaired", "cyan"),
}


def _problem_table(problems, lang: str, *, title: str, limit: int = 50) -> Table:
    table = Table(title=title, show_lines=False)
    for zh, en in (("类别", "kind"), ("要素", "feature"), ("字段", "field"), ("说明", "message")):
        table.add_column(_t(lang, zh, en), overflow="fold")
    order = {"error": 0, "warning": 1, "repair": 2}
    for p in sorted(problems, key=lambda p: order.get(p.severity, 3))[:limit]:
        zh, en, colour = _SEVERITY.get(p.severity, (p.severity, p.severity, "white"))
        if p.parcel_id is not None:
            who = f"{p.feature} {p.parcel_id}"
        elif p.row is not None:
            who = f"{p.feature} #{p.row}"
        else:
            who = p.feature
        table.add_row(f"[{colour}]{_t(lang, zh, en)}[/{colour}]", who, p.field or "", p.message)
    if len(problems) > limit:
        table.caption = _t(
            lang,
            f"另有 {len(problems) - limit} 条，用 --report 导出全部",
            f"{len(problems) - limit} more; --report writes them all",
        )
    return table


def _write_report(problems, path: Path) -> None:
    columns = ["severity", "feature", "parcel_id", "row", "field", "message"]
    frame = pd.DataFrame([p.as_dict() for p in problems], columns=columns).rename(columns={"parcel_id": "feature_id"})
    frame.to_csv(path, index=False, encoding="utf-8-sig")


@app.command("import")
def import_(
    park: ParkArg,
    file: Annotated[
        Path, typer.Argument(help="要导入的文件 / The file to import (GeoJSON, GPKG, SHP, FGB, OSM, TXT).")
    ],
    layer: Annotated[
        str | None,
        typer.Option(
            "--layer",
            help="目标图层 / Target layer: parcels, roads, water, drainage, power, telecom, gas, heat, sources "
            "(default: from the data).",
        ),
    ] = None,
    source_layer: Annotated[
        str | None, typer.Option("--source-layer", help="读取文件中的图层 / The file's layer to read (GeoPackage).")
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option("--crs", help="文件坐标系，如 4490、4527 / The file's CRS (overrides .prj), e.g. 4490, 4527."),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="文本编码 gbk 或 utf-8 / Text encoding of SHP or TXT (gbk, utf-8).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="字段对照文件 JSON/YAML / Field-mapping file (JSON or YAML).")
    ] = None,
    from_gcj02: Annotated[
        bool,
        typer.Option("--from-gcj02", help="坐标为 GCJ-02（高德/腾讯）/ Coordinates are GCJ-02 (Gaode/Tencent maps)."),
    ] = False,
    not_gcj02: Annotated[
        bool,
        typer.Option(
            "--not-gcj02", help="坐标不是 GCJ-02，跳过检测 / The coordinates are not GCJ-02: skip the GCJ-02 check."
        ),
    ] = False,
    swap_axes: Annotated[
        bool, typer.Option("--swap-axes", help="交换 x、y / Swap x and y (lat/lon or northing/easting given first).")
    ] = False,
    accept_fixes: Annotated[
        bool, typer.Option("--accept-fixes", help="采用建议的坐标修正 / Apply the coordinate fixes the checks propose.")
    ] = False,
    capacity_kva: Annotated[
        float | None,
        typer.Option(
            "--capacity-kva", help="未注明容量的变电站按此容量 / Capacity (kVA) assumed for substations without one."
        ),
    ] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="以文件内容替换图层 / Replace the layer(s) instead of adding and updating."),
    ] = False,
    park_id: Annotated[
        str | None, typer.Option("--park-id", help="新建园区的编号 / Id of a park the import creates.")
    ] = None,
    park_name: Annotated[
        str | None, typer.Option("--park-name", help="新建园区的名称 / Name of a park the import creates.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只检查不写入 / Check only; write nothing.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="问题清单另存 CSV / Write every problem found as CSV.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="操作人 / Who imports (kept in the history).")] = "planner import",
    lang: LangOption = None,
) -> None:
    """导入宗地、路网、管网或源点（GeoJSON、GeoPackage、Shapefile、FlatGeobuf、OSM、报部TXT）。

    Import parcels, roads, networks or sources; validated first, written in one transaction.
    """
    from planner.errors import ValidationError
    from planner.exchange.importer import import_file, target_layer

    language = _lang(lang)
    if layer is not None:
        try:
            target_layer(layer)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--layer") from None
    if capacity_kva is not None and capacity_kva <= 0:
        raise typer.BadParameter(
            f"{capacity_kva:g} kVA is not a capacity; give a number above 0", param_hint="--capacity-kva"
        )
    try:
        result = import_file(
            park,
            file,
            layer=layer,
            source_layer=source_layer,
            crs=crs,
            encoding=encoding,
            mapping=mapping,
            from_gcj02=from_gcj02,
            not_gcj02=not_gcj02,
            swap_axes=swap_axes,
            accept_fixes=accept_fixes,
            capacity_kva=capacity_kva,
            mode="replace" if replace else "upsert",
            park_id=park_id,
            park_name=park_name,
            by=by,
            dry_run=dry_run,
        )
    except ValidationError as exc:
        console.print(
            _problem_table(
                exc.problems,
                language,
                title=_t(language, f"导入 {file.name}：问题", f"Import of {file.name}: problems"),
            )
        )
        if report:
            _write_report(exc.problems, report)
        errors = len(exc.errors)
        _fail(
            Exception(
                _t(
                    language,
                    f"导入被拒绝：{errors} 个错误，未写入任何数据，园区保持原样",
                    f"import refused: {errors} error(s); nothing was written, the park is as it was",
                )
            ),
            language,
        )
    except PlannerError as exc:
        _fail(exc, language)
    table = Table(title=_t(language, f"导入 {file.name}", f"Import of {file.name}"))
    for zh, en in (
        ("图层", "layer"),
        ("读入", "read"),
        ("新增", "inserted"),
        ("更新", "updated"),
        ("未变", "unchanged"),
        ("删除", "deleted"),
    ):
        table.add_column(_t(language, zh, en), justify="left" if en == "layer" else "right")
    for name, count in result.read.items():
        w = result.layers.get(name)
        table.add_row(
            name,
            str(count),
            *(str(getattr(w, k)) if w else "—" for k in ("inserted", "updated", "unchanged", "deleted")),
        )
    console.print(table)
    changes = result.changes()
    if len(changes):
        shown = 20
        lines = [f"  {row.layer} {row.feature_id}: {row.columns}" for row in changes.head(shown).itertuples()]
        more = (
            [_t(language, f"  另有 {len(changes) - shown} 个要素", f"  and {len(changes) - shown} more")]
            if len(changes) > shown
            else []
        )
        title = _t(language, "更新的要素及变化的字段：", "Updated features and the columns that changed:")
        console.print("\n".join([title, *lines, *more]), markup=False)
    if result.problems:
        console.print(
            _problem_table(result.problems, language, title=_t(language, "修复与提示", "Repairs and warnings"))
        )
    if report:
        _write_report(result.problems, report)
    if dry_run:
        console.print(_t(language, "仅检查（--dry-run），未写入。", "Checked only (--dry-run); nothing was written."))
    else:
        console.print(
            _t(
                language,
                f"{'已新建园区并' if result.created else '已'}写入 {park}（{result.seconds:.1f} 秒）",
                f"{'Created the park and wrote' if result.created else 'Wrote'} {park} ({result.seconds:.1f} s)",
            )
        )


@app.command("export")
def export(
    park: ParkArg,
    to: Annotated[str, typer.Option("--to", help="格式 geojson、gpkg、shp、txt / Format: geojson, gpkg, shp or txt.")],
    out: Annotated[Path, typer.Option("--out", help="输出文件 / The file to write.")],
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs",
            help="gpkg/shp 坐标系：4490（经纬度）或 gk（带带号的高斯-克吕格）/ CRS of gpkg and shp: 4490 or gk.",
        ),
    ] = None,
    ready_only: Annotated[
        bool | None, typer.Option("--ready/--not-ready", help="只导出熟地/生地 / Only ready (熟地) or raw (生地) land.")
    ] = None,
    min_mu: Annotated[float | None, typer.Option("--min-mu", help="最小面积（亩）/ Least area in mu.")] = None,
    max_mu: Annotated[float | None, typer.Option("--max-mu", help="最大面积（亩）/ Largest area in mu.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="供地状态 / Supply status, e.g. reserved.")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="行业代码 / GB/T 4754 code, e.g. C36.")] = None,
    land_use: Annotated[str | None, typer.Option("--land-use", help="用地分类代码 / Land-use code, e.g. 1001.")] = None,
    idle_only: Annotated[
        bool | None, typer.Option("--idle/--not-idle", help="只导出闲置/非闲置土地 / Only idle or not idle land.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """导出宗地：GeoJSON（WGS84）、GeoPackage/Shapefile（CGCS2000，中文字段）、报部TXT。

    Export parcels: RFC 7946 GeoJSON, or CGCS2000 GeoPackage, Shapefile and TXT for the land bureau.
    """
    from planner.exchange.export import EXPORT_FORMATS, export_parcels

    language = _lang(lang)
    if to not in EXPORT_FORMATS:
        raise typer.BadParameter(
            f"'{to}' is not an export format; allowed: {', '.join(EXPORT_FORMATS)}", param_hint="--to"
        )
    if crs is not None and to in ("geojson", "txt"):
        fixed = "WGS84 (RFC 7946)" if to == "geojson" else "Gauss–Krüger with zone prefix (报部格式)"
        raise typer.BadParameter(f"{to} is always {fixed}; --crs is for gpkg and shp", param_hint="--crs")
    if crs is not None and crs not in ("4490", "gk"):
        raise typer.BadParameter(
            f"'{crs}' is not allowed; use 4490 (CGCS2000 lon/lat) or gk (Gauss–Krüger)", param_hint="--crs"
        )
    store = _open(park, language)
    try:
        result = export_parcels(
            store,
            to,
            out,
            crs=crs or "4490",
            ready=ready_only,
            min_area_mu=min_mu,
            max_area_mu=max_mu,
            status=status,
            industry=industry,
            land_use=land_use,
            idle=idle_only,
        )
    except PlannerError as exc:
        _fail(exc, language)
    for note in result.notes:
        console.print(f"[yellow]{note}[/yellow]")
    console.print(
        _t(
            language,
            f"已导出 {result.parcels} 宗地 → {result.path}（{result.crs}）",
            f"Exported {result.parcels} parcels to {result.path} ({result.crs})",
        )
    )


def _site_index(park: Path, lang: str):
    """Open a park and index it for siting (readiness computed afresh from its networks)."""
    from planner.siting import SiteIndex

    store = _open(park, lang)
    with console.status(_t(lang, "正在读取园区并核算七通一平…", "Reading the park and its readiness…")):
        try:
            return SiteIndex.from_store(store)
        except PlannerError as exc:
            _fail(exc, lang)


def _check_outputs(lang: str, *paths: Path | None) -> None:
    """Refuse, before any work, output files whose folder does not exist."""
    for path in paths:
        if path is not None and not Path(path).parent.is_dir():
            _fail(
                FileNotFoundError(
                    _t(
                        lang,
                        f"输出文件夹不存在：{Path(path).parent}",
                        f"output folder does not exist: {Path(path).parent}",
                    )
                ),
                lang,
            )


def _write_json(data: object, path: Path) -> None:
    import json

    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


@app.command(name="match")
def match_command(
    park: ParkArg,
    project: Annotated[Path, typer.Option("--project", help="项目 JSON / The project as a JSON file.")],
    limit: Annotated[int, typer.Option("--limit", min=1, help="显示前 N 个候选 / Show the best N candidates.")] = 10,
    json_file: Annotated[Path | None, typer.Option("--json", help="结果另存 JSON / Write the result as JSON.")] = None,
    geojson: Annotated[
        Path | None,
        typer.Option("--geojson", help="候选与淘汰地块另存 GeoJSON / Write candidates and rejects as GeoJSON."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """为一个招商项目匹配可供熟地，按得分排序并说明理由。

    Match one incoming project to the park's land: hard rules, then a weighted score.
    """
    from planner.siting import load_projects, match
    from planner.siting.match import CRITERIA
    from planner.siting.rules import RULE_LABELS

    language = _lang(lang)
    _check_outputs(language, json_file, geojson)
    try:
        projects = load_projects(project)
    except (PlannerError, FileNotFoundError) as exc:
        _fail(exc, language)
    if len(projects) != 1:
        names = ", ".join(p.name for p in projects)
        _fail(
            ValueError(
                _t(
                    language,
                    f"{project} 含 {len(projects)} 个项目（{names}）；多个项目请用 planner assign",
                    f"{project} holds {len(projects)} projects ({names}); use `planner assign` for several",
                )
            ),
            language,
        )
    index = _site_index(park, language)
    result = match(index, projects[0])
    p = result.project
    zh = language == "zh"
    lo, hi = result.context.lo_mu, result.context.hi_mu
    console.print(
        f"[bold]{p.name}[/bold]  {p.code} {p.industry.name_zh if zh else p.industry.name_en}  "
        f"{lo:,.1f}–{hi:,.1f} {_t(language, '亩', 'mu')}  {_t(language, '投资', 'investment')} "
        f"{p.investment_wan:,.0f} {_t(language, '万元', '万元 (10k yuan)')}"
    )
    table = Table(title=_t(language, "候选地块（按得分）", "Candidates, best first"))
    table.add_column("#", justify="right")
    table.add_column(_t(language, "地块", "parcels"), no_wrap=True)
    table.add_column(_t(language, "面积（亩）", "mu"), justify="right")
    table.add_column(_t(language, "得分", "score"), justify="right")
    table.add_column(_t(language, "各项（值 / 得分）", "criteria (value / score)"), overflow="fold")
    for row in result.candidates.head(limit).itertuples(index=False):
        parts = []
        for name, (label_zh, label_en, unit) in CRITERIA.items():
            value = getattr(row, f"{name}_value")
            shown = (
                "—"
                if value is None or not np.isfinite(float(value))
                else f"{float(value):,.2f}".rstrip("0").rstrip(".")
            )
            parts.append(f"{label_zh if zh else label_en} {shown}{unit} / {100 * getattr(row, f'{name}_score'):.0f}")
        table.add_row(
            str(row.rank), "\n".join(row.parcel_ids), f"{row.area_mu:,.1f}", f"{100 * row.score:.1f}", "；".join(parts)
        )
    console.print(table)
    if result.candidates.empty:
        console.print(_t(language, "没有满足全部条件的地块。", "No parcel meets every rule."))
    counts = Table(title=_t(language, "未入选地块：首个不满足的条件", "Rejected parcels by first failed rule"))
    counts.add_column(_t(language, "条件", "rule"))
    counts.add_column(_t(language, "宗数", "parcels"), justify="right")
    for rule, n in result.counts.items():
        if n:
            counts.add_row(RULE_LABELS[rule][0 if zh else 1], str(n))
    console.print(counts)
    for miss in result.near_misses:
        console.print(f"[yellow]•[/yellow] {miss['message']}: {', '.join(miss['parcel_ids'][:5])}")
        for reason in miss["reasons"][:3]:
            console.print(f"    {reason}")
    if result.standard_factory:
        console.print(f"[yellow]{result.standard_factory['message']}[/yellow]")
        for f in result.standard_factory["factories"]:
            console.print(
                f"    {f['factory_id']} {f['name']}：{_t(language, '空置', 'free')} {f['free_floor_area_m2']:,.0f} m²"
            )
    for note in result.notes:
        console.print(f"[dim]{note}[/dim]")
    if json_file:
        _write_json(result.to_dict(), json_file)
    if geojson:
        from planner.exchange.export import write_geojson

        write_geojson(result.to_frame(), geojson)
    if json_file or geojson:
        console.print(f"{_t(language, '已写入', 'Wrote')} {' '.join(str(f) for f in (json_file, geojson) if f)}")


@app.command(name="assign")
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
    lang: LangOption = None,
) -> None:
    """多个项目竞争同一批土地：在地块不重复、电力与水源容量不超的条件下使总分最高（精确求解）。

    Assign several projects to land, maximising the total score exactly (HiGHS), and compare with greedy.
    """
    from planner.siting import assign, greedy, load_projects

    language = _lang(lang)
    _check_outputs(language, json_file, geojson)
    try:
        batch = load_projects(projects)
    except (PlannerError, FileNotFoundError) as exc:
        _fail(exc, language)
    index = _site_index(park, language)
    with console.status(_t(language, "正在求解…", "Solving…")):
        exact = assign(index, batch, top=top)
        order = greedy(index, batch, top=top)
    table = Table(title=_t(language, "项目分配（总分最高）", "Assignment (largest total score)"))
    for head in (
        _t(language, "项目", "project"),
        _t(language, "产业", "industry"),
        _t(language, "地块", "parcels"),
        _t(language, "面积（亩）", "mu"),
        _t(language, "得分", "score"),
    ):
        table.add_column(head, overflow="fold")
    data = exact.to_dict()
    for entry in data["assignments"]:
        table.add_row(
            entry["project"],
            entry["industry"],
            "\n".join(entry["parcel_ids"]) or (entry.get("reason") or "—"),
            "" if entry["area_mu"] is None else f"{entry['area_mu']:,.1f}",
            "" if entry["score"] is None else f"{100 * entry['score']:.1f}",
        )
    console.print(table)
    console.print(
        _t(
            language,
            f"{exact.status}：分配 {data['assigned']}/{len(batch)} 个项目，总分 {100 * exact.total_score:.1f}；"
            f"按顺序贪心总分 {100 * order.total_score:.1f}",
            f"{exact.status}: {data['assigned']}/{len(batch)} projects placed, total score "
            f"{100 * exact.total_score:.1f}; greedy in the given order {100 * order.total_score:.1f}",
        )
    )
    for problem in exact.problems:
        err_console.print(f"[red]{_t(language, '复核', 'Re-check')}:[/red] {problem}")
    if json_file:
        data["greedy_total_score"] = round(order.total_score, 4)
        _write_json(data, json_file)
    if geojson:
        from planner.exchange.export import write_geojson

        write_geojson(_assignment_frame(index, exact), geojson)
    if json_file or geojson:
        console.print(f"{_t(language, '已写入', 'Wrote')} {' '.join(str(f) for f in (json_file, geojson) if f)}")
    if exact.problems:
        raise typer.Exit(1)


def _assignment_frame(index, assignment):
    import geopandas as gpd
    import shapely

    rows, shapes = [], []
    for project in assignment.projects:
        pick = assignment.chosen[project.name]
        if pick is None:
            continue
        members = list(pick["members"])
        rows.append(
            {
                "project": project.name,
                "industry": project.code,
                "parcel_ids": ",".join(pick["parcel_ids"]),
                "area_mu": round(pick["area_mu"], 2),
                "score": round(pick["score"], 4),
            }
        )
        shapes.append(shapely.union_all(index.geometry[members]))
    return gpd.GeoDataFrame(rows, geometry=shapes, crs=index.config.crs_epsg)


def _demo_maps(path: Path, folder: Path, lang: str) -> list[Path]:
    """The demo's maps: readiness, investment, and the siting of each sample project that finds land."""
    from planner.maps import MapData, write_maps
    from planner.resources import data_path
    from planner.siting import SiteIndex, load_projects, match
    from planner.store import open_store

    store = open_store(path)
    index = SiteIndex.from_store(store)
    results = [
        r for r in (match(index, p) for p in load_projects(data_path("demo/projects.json"))) if len(r.candidates)
    ]
    return write_maps(MapData.from_store(store), folder, results=results, min_mu=30, lang=lang)


@app.command(name="map")
def map_command(
    park: ParkArg,
    out: Annotated[Path, typer.Option("--out", help="输出目录 / Folder for the HTML maps.")] = Path("maps"),
    project: Annotated[
        Path | None, typer.Option("--project", help="另绘该项目的选址图 / Also draw the siting map of this project.")
    ] = None,
    min_mu: Annotated[
        float, typer.Option("--min-mu", min=0, help="招商地图最小面积（亩）/ Least area on the investment map.")
    ] = 0.0,
    basemap: Annotated[
        str,
        typer.Option(
            "--basemap", help="底图 osm | tianditu | gaode | none / Basemap (Gaode shifts overlays to GCJ-02)."
        ),
    ] = "osm",
    tianditu_key: Annotated[
        str | None, typer.Option("--tianditu-key", envvar="PLANNER_TIANDITU_KEY", help="天地图密钥 / Tianditu key.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """绘制交互地图（七通一平、招商地图、项目选址），离线可用的 HTML。

    Draw the interactive maps (readiness with its layers, investment map, siting) as offline HTML.
    """
    from planner.maps import BASEMAPS, MapData, write_maps

    language = _lang(lang)
    if basemap not in BASEMAPS:
        raise typer.BadParameter(
            f"'{basemap}' is not a basemap; allowed: {', '.join(BASEMAPS)}", param_hint="--basemap"
        )
    results = []
    if project is not None:
        from planner.siting import load_projects, match

        try:
            projects = load_projects(project)
        except (PlannerError, FileNotFoundError) as exc:
            _fail(exc, language)
        index = _site_index(park, language)
        results = [match(index, p) for p in projects]
    store = _open(park, language)
    with console.status(_t(language, "正在绘制地图…", "Drawing the maps…")):
        try:
            written = write_maps(
                MapData.from_store(store), out, results=results, min_mu=min_mu, basemap=basemap,
                tianditu_key=tianditu_key, lang=language,
            )  # fmt: skip
        except (PlannerError, OSError) as exc:
            _fail(exc, language)
    for path in written:
        console.print(f"{_t(language, '已写入', 'Wrote')} {path} ({path.stat().st_size / 1e6:,.1f} MB)")


@app.command()
def serve(
    parks: Annotated[
        list[str],
        typer.Argument(
            help="园区 GeoPackage 或 postgresql://… / Park GeoPackages or a postgresql:// URL (all its parks)."
        ),
    ],
    host: Annotated[str, typer.Option("--host", help="监听地址 / Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口 / Port.")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="工作进程数 / Worker processes.")] = 1,
    tokens: Annotated[
        Path | None,
        typer.Option(
            "--tokens", help="令牌文件 JSON（另可用 PLANNER_API_TOKENS）/ Tokens file (or PLANNER_API_TOKENS)."
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """启动 HTTP 服务与地图（/ 为地图，/docs 为接口文档）。

    Serve the HTTP API and the map (/ is the map, /docs the API documentation).
    """
    _run_server(parks, host=host, port=port, workers=workers, tokens=tokens, language=_lang(lang))


def _run_server(parks: list[str], *, host: str, port: int, workers: int, tokens: Path | None, language: str) -> None:
    import os

    import uvicorn

    from planner.api.auth import load_tokens
    from planner.api.serve import stores_from

    try:
        found = load_tokens(tokens)
        stores = stores_from(parks)
    except (PlannerError, OSError) as exc:
        _fail(exc, language)
    names = ", ".join(s.config().park_id for s in stores)
    url = f"http://{host}:{port}/"
    console.print(
        _t(
            language,
            f"园区 {names}；{len(found)} 个令牌；地图 {url} ，接口文档 {url}docs（Ctrl+C 停止）",
            f"parks {names}; {len(found)} token(s); map at {url}, API docs at {url}docs (Ctrl+C stops)",
        )
    )
    os.environ["PLANNER_SERVE_PARKS"] = "\n".join(parks)
    if tokens is not None:
        os.environ["PLANNER_SERVE_TOKENS"] = str(tokens)
    uvicorn.run("planner.api.serve:app", host=host, port=port, workers=workers, log_level="warning", factory=True)


def _print_demo(park, lang: str) -> None:
    from planner.config import checklist_name
    from planner.store import open_store

    store = open_store(park.path)
    config = store.config()
    parcels = store.read_parcels()
    console.print(
        f"[bold]{config.name if lang == 'zh' else config.name_en}[/bold]  "
        f"{_t(lang, '坐标系', 'CRS')} EPSG:{config.crs_epsg}  "
        f"{_t(lang, '数据截止', 'as of')} {park.as_of.isoformat()}  {_t(lang, '种子', 'seed')} {park.seed}"
    )
    table = Table(title=_t(lang, "宗地（按供地状态）", "Parcels by supply status"))
    table.add_column(_t(lang, "状态", "status"))
    table.add_column(_t(lang, "宗数", "parcels"), justify="right")
    table.add_column(_t(lang, "面积（亩）", "area (mu)"), justify="right")
    for code, (zh, en) in STATUSES.items():
        rows = parcels[parcels["status"] == code]
        table.add_row(zh if lang == "zh" else en, str(len(rows)), f"{rows['area_mu'].sum():,.1f}")
    table.add_row(_t(lang, "合计", "total"), str(len(parcels)), f"{parcels['area_mu'].sum():,.1f}")
    console.print(table)
    ready = parcels[parcels["ready"].fillna(False).astype(bool)]
    idle = parcels[parcels["idle_rule"].notna()]
    console.print(
        _t(
            lang,
            f"熟地（{checklist_name(config.checklist)}）{len(ready)} 宗 {ready['area_mu'].sum():,.1f} 亩；"
            f"闲置土地 {len(idle)} 宗 {idle['area_mu'].sum():,.1f} 亩",
            f"ready land: {len(ready)} parcels, {ready['area_mu'].sum():,.1f} mu; "
            f"idle land: {len(idle)} parcels, {idle['area_mu'].sum():,.1f} mu",
        )
    )
    layers = Table(title=_t(lang, "图层", "Layers"))
    layers.add_column(_t(lang, "图层", "layer"))
    layers.add_column(_t(lang, "要素数", "features"), justify="right")
    for name, count in park.counts.items():
        layers.add_row(name, str(count))
    console.print(layers)
    sources = store.read_layer("sources")
    src = Table(title=_t(lang, "源点设施", "Sources"))
    for head in (
        _t(lang, "编号", "id"),
        _t(lang, "名称", "name"),
        _t(lang, "管网", "network"),
        _t(lang, "能力", "capacity"),
    ):
        src.add_column(head)
    units = {
        "capacity_kva": "kVA",
        "capacity_m3d": "m³/d",
        "capacity_nm3h": "Nm³/h",
        "capacity_mw": "MW",
        "capacity_ports": _t(lang, "端口", "ports"),
    }
    for _, row in sources.iterrows():
        cap = next((f"{row[c]:,.0f} {u}" for c, u in units.items() if row[c] == row[c]), "—")
        net = NETWORKS[row["network"]][0 if lang == "zh" else 1]
        src.add_row(row["source_id"], row["name"], net, cap)
    console.print(src)
    console.print(f"{_t(lang, '已写入', 'Wrote')} {park.path}  {park.dem_path}")
