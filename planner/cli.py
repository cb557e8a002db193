"""The ``planner`` command: a thin layer over the library (typer + rich).

Messages a planner reads are in Chinese by default; ``--lang en`` (or
``PLANNER_LANG=en``) switches them to English.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from planner import __version__
from planner.errors import PlannerError
from planner.infra.layers import NETWORKS
from planner.parcels.schema import STATUSES

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
            err_console.print(f"[red]{_t(language, '错误', 'Error')}:[/red] {exc}")
            raise typer.Exit(1) from None
    _print_demo(park, language)
    if serve:
        console.print(
            _t(
                language,
                "提示：本版本尚无 HTTP 服务与地图；可用 QGIS 或 ogrinfo 打开上面的 GeoPackage。",
                "Note: this version has no HTTP API or map yet; open the GeoPackage above in QGIS or with ogrinfo.",
            )
        )


def _print_demo(park, lang: str) -> None:
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
