"""The ``serve`` command: the HTTP API and the map for one or more parks, in uvicorn worker processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
import uvicorn

from planner.api.auth import load_tokens
from planner.api.routes.page import BASEMAP_ENV, BASEMAP_TILES_ENV
from planner.api.serve import READ_TOKEN_ENV, stores_from
from planner.cli.common import BasemapOption, LangOption, TilesOption, console, err_console, fail, language_of, tr
from planner.errors import ConfigError, PlannerError
from planner.maps.basemaps import TileSource
from planner.store.postgis import is_postgis_uri

__all__ = ["run_server", "serve"]


def serve(  # noqa: PLR0913 - a typer command takes each of its command-line options as a parameter
    parks: Annotated[
        list[str],
        typer.Argument(
            help="园区 GeoPackage 或 postgresql://…（密码请放在 PGPASSWORD、~/.pgpass 或服务文件中）/ Park "
            "GeoPackages or a postgresql:// URL (all its parks); keep its password in PGPASSWORD, ~/.pgpass or a "
            "service file (postgresql://?service=NAME), not on the command line."
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
    read_token: Annotated[
        bool,
        typer.Option(
            "--read-token", help="读取也需令牌（查看者及以上）/ Reads need a token too (a viewer's or above)."
        ),
    ] = False,
    tiles: TilesOption = None,
    basemap: BasemapOption = None,
    lang: LangOption = None,
) -> None:
    """启动 HTTP 服务与地图（/ 为地图，/docs 为接口文档）。

    Serve the HTTP API and the map (/ is the map, /docs the API documentation).
    """
    language = language_of(lang)
    if tiles is not None:
        try:
            TileSource(tiles)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--tiles") from None
        os.environ[BASEMAP_TILES_ENV] = str(tiles.resolve())
    elif basemap == "local":
        msg = "'local' needs local tiles: give --tiles PATH too"
        raise typer.BadParameter(msg, param_hint="--basemap")
    if basemap is not None:
        os.environ[BASEMAP_ENV] = basemap
    run_server(parks, host=host, port=port, workers=workers, tokens=tokens, language=language, read_token=read_token)


def run_server(
    parks: list[str],
    *,
    host: str,
    port: int,
    workers: int,
    tokens: Path | None,
    language: str,
    read_token: bool = False,
) -> None:
    """Check the parks and the tokens open, say where the map is, and serve until stopped (Ctrl+C).

    The worker processes find the parks and the tokens file in the environment
    (``PLANNER_SERVE_PARKS``, ``PLANNER_SERVE_TOKENS``): see :mod:`planner.api.serve`.
    Tokens are counted, never printed.
    """
    try:
        found = load_tokens(tokens)
        if read_token and not any(t.may("viewer") for t in found.values()):
            msg = tr(
                language,
                "--read-token 需要至少一个令牌（--tokens 或 PLANNER_API_TOKENS），否则无人能读取",
                "--read-token needs at least one token (--tokens or PLANNER_API_TOKENS), or no one could read",
            )
            raise ConfigError(msg)
        stores = stores_from(parks)
    except (PlannerError, OSError) as exc:
        fail(exc, language)
    if any(is_postgis_uri(p) and (urlsplit(p).password or "password=" in urlsplit(p).query) for p in parks):
        err_console.print(
            tr(
                language,
                "[yellow]注意：地址中的密码会出现在进程列表中；请改用 PGPASSWORD、~/.pgpass 或服务文件[/yellow]",
                "[yellow]Note: a password in the URL shows in process listings; use PGPASSWORD, ~/.pgpass or a "
                "service file instead[/yellow]",
            )
        )
    names = ", ".join(s.config().park_id for s in stores)
    url = f"http://{host}:{port}/"
    console.print(
        tr(
            language,
            f"园区 {names}；{len(found)} 个令牌{'，读取需令牌' if read_token else ''}；地图 {url} ，"
            f"接口文档 {url}docs（Ctrl+C 停止）",
            f"parks {names}; {len(found)} token(s){', reads need one' if read_token else ''}; map at {url}, "
            f"API docs at {url}docs (Ctrl+C stops)",
        )
    )
    os.environ["PLANNER_SERVE_PARKS"] = "\n".join(parks)
    if tokens is not None:
        os.environ["PLANNER_SERVE_TOKENS"] = str(tokens)
    os.environ[READ_TOKEN_ENV] = "1" if read_token else "0"
    uvicorn.run("planner.api.serve:app", host=host, port=port, workers=workers, log_level="warning", factory=True)
