"""``/docs``: Swagger UI served from the files the ``swagger-ui-bundle-v2`` wheel ships, so it opens with no network.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, which leaves a park office with no
internet a blank page. Here the page and its scripts come from this server
(``/docs/assets/…``); the bearer scheme declared by :data:`planner.api.deps.bearer` gives the
page its *Authorize* button, and the token entered there is kept only for the browser tab.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

__all__ = ["ASSETS_URL", "add_docs"]

ASSETS_URL = "/docs/assets"
"""Where Swagger UI's scripts and styles are served."""


def add_docs(app: FastAPI, *, docs_url: str = "/docs") -> None:
    """Serve Swagger UI at ``docs_url`` with its files from the installed bundle (no CDN)."""
    folder = Path(str(swagger_ui_path))
    app.mount(ASSETS_URL, StaticFiles(directory=folder), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} · 接口文档 / API docs",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": False, "displayRequestDuration": True},
        )
