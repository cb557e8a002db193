"""The ``map`` command: the interactive maps (readiness, investment, siting) as offline HTML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli.common import (
    BasemapOption,
    LangOption,
    ParkArg,
    TilesOption,
    console,
    fail,
    language_of,
    open_park,
    tr,
)
from planner.cli.siting import read_projects, site_index
from planner.errors import PlannerError
from planner.maps import MapData, write_maps
from planner.maps.basemaps import local_tiles_of_folder
from planner.siting import MatchResult, match

__all__ = ["map_command"]


def map_command(  # noqa: PLR0913 - a typer command takes each of its command-line options as a parameter
    park: ParkArg,
    out: Annotated[Path, typer.Option("--out", help="输出目录 / Folder for the HTML maps.")] = Path("maps"),
    project: Annotated[
        Path | None, typer.Option("--project", help="另绘该项目的选址图 / Also draw the siting map of this project.")
    ] = None,
    min_mu: Annotated[
        float, typer.Option("--min-mu", min=0, help="招商地图最小面积（亩）/ Least area on the investment map.")
    ] = 0.0,
    basemap: BasemapOption = None,
    tianditu_key: Annotated[
        str | None, typer.Option("--tianditu-key", envvar="PLANNER_TIANDITU_KEY", help="天地图密钥 / Tianditu key.")
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan", help="在七通一平图上绘出建设计划（planner plan --json）/ Draw a build-out plan's works."
        ),
    ] = None,
    tiles: TilesOption = None,
    lang: LangOption = None,
) -> None:
    """绘制交互地图（七通一平、招商地图、项目选址），离线可用的 HTML。

    Draw the interactive maps (readiness with its layers, investment map, siting) as offline HTML.
    """
    language = language_of(lang)
    local = None
    if tiles is not None:
        try:
            local = local_tiles_of_folder(tiles)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--tiles") from None
    drawn_plan = _read_plan(plan, language) if plan is not None else None
    results: list[MatchResult] = []
    if project is not None:
        projects = read_projects(project, language)
        index = site_index(park, language)
        results = [match(index, p) for p in projects]
    store = open_park(park, language)
    with console.status(tr(language, "正在绘制地图…", "Drawing the maps…")):
        try:
            written = write_maps(
                MapData.from_store(store), out, results=results, min_mu=min_mu, basemap=basemap,
                tianditu_key=tianditu_key, lang=language, plan=drawn_plan, local_tiles=local,
            )  # fmt: skip
        except (PlannerError, OSError) as exc:
            fail(exc, language)
    for path in written:
        console.print(f"{tr(language, '已写入', 'Wrote')} {path} ({path.stat().st_size / 1e6:,.1f} MB)")


def _read_plan(path: Path, language: str) -> dict[str, Any]:
    """A build-out plan written by ``planner plan --json``, or fail naming the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        fail(ValueError(tr(language, f"无法读取计划文件 {path}：{exc}", f"cannot read the plan file {path}: {exc}")),
             language)  # fmt: skip
    if not isinstance(data, dict) or not isinstance(data.get("works"), list):
        wrong = tr(language, f"{path} 不是建设计划（planner plan --json）的 JSON：缺少 works",
                   f"{path} is not a plan written by `planner plan --json`: no `works` list")  # fmt: skip
        fail(ValueError(wrong), language)
    return data
