"""The ``demo`` command: build the demo park, draw its maps, and serve it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.table import Table

from planner.cli.common import LangOption, console, fail, language_of, parse_date, tr
from planner.cli.serve import run_server
from planner.config import checklist_name
from planner.demo import build_demo
from planner.errors import PlannerError
from planner.infra.layers import source_capacity
from planner.maps import MapData, write_maps
from planner.resources import data_path
from planner.siting import SiteIndex, load_projects, match
from planner.store import ParkStore, open_store
from planner.vocab import STATUSES, network_label

if TYPE_CHECKING:
    from planner.demo import DemoPark

__all__ = ["demo"]


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
    language = language_of(lang)
    day = parse_date(as_of)
    with console.status(tr(language, "正在生成示范园区…", "Building the demo park…")):
        try:
            park = build_demo(out, seed=seed, as_of=day)
        except PlannerError as exc:
            fail(exc, language)
    _print_demo(park, language)
    with console.status(tr(language, "正在绘制地图…", "Drawing the maps…")):
        written = _demo_maps(park.path, maps, language)
    console.print(f"{tr(language, '地图', 'Maps')}: {'  '.join(str(p) for p in written)}")
    if serve:
        run_server([str(park.path)], host="127.0.0.1", port=8000, workers=1, tokens=None, language=language)


def _demo_maps(path: Path, folder: Path, lang: str) -> list[Path]:
    """The demo's maps: readiness, investment, and the siting of each sample project that finds land."""
    store = open_store(path)
    index = SiteIndex.from_store(store)
    results = [
        r for r in (match(index, p) for p in load_projects(data_path("demo/projects.json"))) if len(r.candidates)
    ]
    return write_maps(MapData.from_store(store), folder, results=results, min_mu=30, lang=lang)


def _print_demo(park: DemoPark, lang: str) -> None:
    """What the demo built: the park, its parcels by status, ready and idle land, its layers and sources."""
    store = open_store(park.path)
    config = store.config()
    parcels = store.read_parcels()
    console.print(
        f"[bold]{config.name if lang == 'zh' else config.name_en}[/bold]  "
        f"{tr(lang, '坐标系', 'CRS')} EPSG:{config.crs_epsg}  "
        f"{tr(lang, '数据截止', 'as of')} {park.as_of.isoformat()}  {tr(lang, '种子', 'seed')} {park.seed}"
    )
    table = Table(title=tr(lang, "宗地（按供地状态）", "Parcels by supply status"))
    table.add_column(tr(lang, "状态", "status"))
    table.add_column(tr(lang, "宗数", "parcels"), justify="right")
    table.add_column(tr(lang, "面积（亩）", "area (mu)"), justify="right")
    for code, (zh, en) in STATUSES.items():
        rows = parcels[parcels["status"] == code]
        table.add_row(zh if lang == "zh" else en, str(len(rows)), f"{rows['area_mu'].sum():,.1f}")
    table.add_row(tr(lang, "合计", "total"), str(len(parcels)), f"{parcels['area_mu'].sum():,.1f}")
    console.print(table)
    ready = parcels[parcels["ready"].fillna(False).astype(bool)]
    idle = parcels[parcels["idle_rule"].notna()]
    console.print(
        tr(
            lang,
            f"熟地（{checklist_name(config.checklist)}）{len(ready)} 宗 {ready['area_mu'].sum():,.1f} 亩；"
            f"闲置土地 {len(idle)} 宗 {idle['area_mu'].sum():,.1f} 亩",
            f"ready land: {len(ready)} parcels, {ready['area_mu'].sum():,.1f} mu; "
            f"idle land: {len(idle)} parcels, {idle['area_mu'].sum():,.1f} mu",
        )
    )
    layers = Table(title=tr(lang, "图层", "Layers"))
    layers.add_column(tr(lang, "图层", "layer"))
    layers.add_column(tr(lang, "要素数", "features"), justify="right")
    for name, count in park.counts.items():
        layers.add_row(name, str(count))
    console.print(layers)
    console.print(_source_table(store, lang))
    console.print(f"{tr(lang, '已写入', 'Wrote')} {park.path}  {park.dem_path}")


def _source_table(store: ParkStore, lang: str) -> Table:
    """The park's sources: id, name, network, and capacity in the network's unit."""
    table = Table(title=tr(lang, "源点设施", "Sources"))
    for zh, en in (("编号", "id"), ("名称", "name"), ("管网", "network"), ("能力", "capacity")):
        table.add_column(tr(lang, zh, en))
    sources = store.read_layer("sources")
    capacity = source_capacity(sources, lang)
    columns = (sources["source_id"], sources["name"], sources["network"], capacity["capacity"], capacity["unit"])
    for source_id, name, network, amount, unit in zip(*columns, strict=True):
        shown = "—" if pd.isna(amount) else f"{amount:,.0f} {unit}"
        table.add_row(source_id, name, network_label(network, lang), shown)
    return table
