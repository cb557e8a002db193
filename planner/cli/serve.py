"""The ``serve`` command: the HTTP API and the map for one or more parks, in uvicorn worker processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from planner.api.auth import load_tokens
from planner.api.serve import stores_from
from planner.cli.common import LangOption, console, fail, language_of, tr
from planner.errors import PlannerError

__all__ = ["run_server", "serve"]


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
    run_server(parks, host=host, port=port, workers=workers, tokens=tokens, language=language_of(lang))


def run_server(parks: list[str], *, host: str, port: int, workers: int, tokens: Path | None, language: str) -> None:
    """Check the parks and the tokens open, say where the map is, and serve until stopped (Ctrl+C).

    The worker processes find the parks and the tokens file in the environment
    (``PLANNER_SERVE_PARKS``, ``PLANNER_SERVE_TOKENS``): see :mod:`planner.api.serve`.
    Tokens are counted, never printed.
    """
    try:
        found = load_tokens(tokens)
        stores = stores_from(parks)
    except (PlannerError, OSError) as exc:
        fail(exc, language)
    names = ", ".join(s.config().park_id for s in stores)
    url = f"http://{host}:{port}/"
    console.print(
        tr(
            language,
            f"园区 {names}；{len(found)} 个令牌；地图 {url} ，接口文档 {url}docs（Ctrl+C 停止）",
            f"parks {names}; {len(found)} token(s); map at {url}, API docs at {url}docs (Ctrl+C stops)",
        )
    )
    os.environ["PLANNER_SERVE_PARKS"] = "\n".join(parks)
    if tokens is not None:
        os.environ["PLANNER_SERVE_TOKENS"] = str(tokens)
    uvicorn.run("planner.api.serve:app", host=host, port=port, workers=workers, log_level="warning", factory=True)
