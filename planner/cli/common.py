"""What every command shares: the language, the consoles, the park argument, opening a park, printing errors.

Messages a planner reads are in Chinese by default; ``--lang en`` (or ``PLANNER_LANG=en``)
switches them to English. A planner error is printed as one line, without a traceback,
and ends the command with exit status 1; a bad option ends it with status 2 (typer's).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from planner.errors import PlannerError, Problem
from planner.maps.basemaps import BASEMAPS
from planner.store import ParkStore, open_store

__all__ = [
    "AsOfOption",
    "BasemapOption",
    "LangOption",
    "ParkArg",
    "TilesOption",
    "check_outputs",
    "console",
    "err_console",
    "fail",
    "language_of",
    "open_park",
    "parse_date",
    "parse_day",
    "print_problems",
    "print_written",
    "tr",
    "write_json",
]

console = Console()
"""Where the commands print their results (standard output)."""
err_console = Console(stderr=True)
"""Where they print errors (standard error)."""

LangOption = Annotated[
    str | None, typer.Option("--lang", help="输出语言 zh 或 en / Output language: zh or en (env PLANNER_LANG).")
]
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


def _basemap_choice(value: str | None) -> str | None:
    """``--basemap`` as given, if it names a basemap."""
    if value is not None and value not in BASEMAPS:
        msg = f"'{value}' is not a basemap; allowed: {', '.join(BASEMAPS)}"
        raise typer.BadParameter(msg, param_hint="--basemap")
    return value


BasemapOption = Annotated[
    str | None,
    typer.Option(
        "--basemap",
        callback=_basemap_choice,
        help="打开时的底图 none | osm | tianditu | tianditu_img | gaode | local"
        "（默认：有 --tiles 用本地瓦片，否则无底图；页面上可切换）/ The basemap the page opens on "
        "(default: local tiles with --tiles, else none; the page switches).",
    ),
]
TilesOption = Annotated[
    Path | None,
    typer.Option(
        "--tiles",
        help="本地底图：瓦片目录 {z}/{x}/{y}.png，serve 另可用 MBTiles 文件（无互联网时）/ Local basemap: "
        "a tile folder {z}/{x}/{y}.png, or for `serve` an MBTiles file too (for offices with no internet).",
    ),
]


def language_of(lang: str | None) -> str:
    """The language to print in: ``--lang``, else ``PLANNER_LANG``, else Chinese (``zh`` or ``en``)."""
    value = (lang or os.environ.get("PLANNER_LANG") or "zh").lower()
    if value not in ("zh", "en"):
        msg = f"'{value}' is not a language; use zh (中文) or en (English)"
        raise typer.BadParameter(msg, param_hint="--lang")
    return value


def tr(lang: str, zh: str, en: str) -> str:
    """The text ``zh`` or ``en``, whichever ``lang`` asks for."""
    return zh if lang == "zh" else en


def fail(exc: Exception, lang: str) -> NoReturn:
    """Print a planner error as one line, without a traceback, and exit with status 1."""
    text = exc.text(lang) if isinstance(exc, PlannerError) else str(exc)  # a refused record, a work: in ``lang``
    err_console.print(f"[red]{tr(lang, '错误', 'Error')}:[/red] {text}")
    raise typer.Exit(1) from None


def parse_date(as_of: str | None) -> date | None:
    """The date of an ``--as-of`` option (``None`` when it is not given); a bad date is a bad option."""
    try:
        return date.fromisoformat(as_of) if as_of else None
    except ValueError:
        msg = f"'{as_of}' is not a date; write it as YYYY-MM-DD (e.g. 2026-06-30)"
        raise typer.BadParameter(msg, param_hint="--as-of") from None


def parse_day(as_of: str | None) -> date:
    """The date of an ``--as-of`` option, today when it is not given."""
    return parse_date(as_of) or date.today()


def open_park(park: str, lang: str) -> ParkStore:
    """Open the park's store, or fail with the store's message."""
    try:
        return open_store(park)
    except PlannerError as exc:
        fail(exc, lang)


def print_problems(problems: Sequence[object], lang: str, *, limit: int = 20) -> None:
    """List the record problems found (the first ``limit``, and how many more there are)."""
    if not problems:
        return
    console.print(f"[yellow]{tr(lang, '记录问题', 'Record problems')} ({len(problems)}):[/yellow]")
    for problem in problems[:limit]:
        console.print(f"  - {problem.describe(lang) if isinstance(problem, Problem) else problem}", markup=False)
    if len(problems) > limit:
        console.print(f"  … {tr(lang, '另有', 'and')} {len(problems) - limit} {tr(lang, '条', 'more')}")


def check_outputs(lang: str, *paths: Path | None) -> None:
    """Refuse, before any work, output files whose folder does not exist."""
    for path in paths:
        if path is not None and not path.parent.is_dir():
            fail(
                FileNotFoundError(
                    tr(lang, f"输出文件夹不存在：{path.parent}", f"output folder does not exist: {path.parent}")
                ),
                lang,
            )


def write_json(data: object, path: Path) -> None:
    """Write ``data`` as indented UTF-8 JSON, Chinese as it is (not ``\\u``-escaped)."""
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def print_written(lang: str, *paths: Path | None) -> None:
    """Say which files were written (nothing when none was asked for)."""
    written = [str(path) for path in paths if path]
    if written:
        console.print(f"{tr(lang, '已写入', 'Wrote')} {' '.join(written)}")
