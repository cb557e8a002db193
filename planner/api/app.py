"""The HTTP API (FastAPI): parcels, idle land, statistics, networks, siting, exports, the map.

``create_app(stores)`` serves one or more parks (GeoPackage or PostGIS stores).
Answers are JSON, or RFC 7946 GeoJSON (WGS84 lon/lat, right-hand rule, no ``crs``
member) with every area in 亩 and m². Bad requests get a 4xx whose message names the
field and what is allowed — never a 500 with a stack trace. Writes need a token
(``Authorization: Bearer …``) of an editor, and the version the edit is based on
(``If-Match``); a row changed meanwhile answers 409. ``/docs`` is Swagger UI from bundled files
(no CDN), and every request is logged on ``planner.api.access`` (never its token).

The routes live in :mod:`planner.api.routes` (one router per resource), what they share
in :mod:`planner.api.deps`, and the answers to errors in :mod:`planner.api.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner import __version__
from planner.api.access import AccessLog
from planner.api.auth import Token
from planner.api.docs import add_docs
from planner.api.errors import ERROR_RESPONSES, add_exception_handlers, error_response
from planner.api.kept_tiles import KeptTiles
from planner.api.messages import Text, language_of_scope
from planner.api.routes import desk, export, idle, infra, page, parcels, plan, search, siting, stats, tiles
from planner.api.routes.parcels import PlainParcels
from planner.api.state import ParkState
from planner.errors import ConfigError
from planner.store.base import ParkStore

__all__ = ["GZIP_MIN_BYTES", "create_app"]

GZIP_MIN_BYTES = 1024
"""Answers at least this large are gzipped for clients that accept it (a page of parcels: about 6× smaller)."""
_GZIP_LEVEL = 1
"""zlib's fastest level: most of the saving (a page of 100 parcels, 172 KB → about 30 KB) for about 1 ms."""

_DESCRIPTION = (
    "宗地、七通一平、闲置土地、统计、管网、招商选址与成果导出。Parcels, readiness (七通一平), idle land, "
    "statistics, networks, siting and exports for Chinese industrial parks. GeoJSON is RFC 7946 (WGS84)."
)
_ROUTERS = (desk.router, parcels.router, idle.router, stats.router, infra.router, siting.router, plan.router,
            export.router, tiles.router, search.router, page.router)  # fmt: skip


class _BodyLimit:
    """Refuse request bodies over the limit (413), by their declared length or as they arrive.

    Plain ASGI (not Starlette's ``BaseHTTPMiddleware``, which streams every answer through a
    task and a queue): a request without a body costs one header lookup.
    """

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400/413 for a body that is too large or declares no valid length; else pass the request on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in ("GET", "HEAD") and not any(k == b"content-length" for k, _ in scope["headers"]):
            await self.app(scope, receive, send)  # the reads: no body to measure, nothing to look up
            return
        declared = Headers(scope=scope).get("content-length")
        refusal = None
        lang = language_of_scope(scope)
        if declared is not None:
            if not declared.isdigit():
                text = Text("Content-Length 须为整数字节数", "Content-Length must be a whole number of bytes")
                refusal = error_response(400, text, lang=lang, field="Content-Length")
            elif int(declared) > self.limit:
                text = Text(
                    f"请求体有 {int(declared):,} 字节；最多允许 {self.limit:,} 字节",
                    f"the request body is {int(declared):,} bytes; at most {self.limit:,} are allowed",
                )
                refusal = error_response(413, text, lang=lang)
        elif method in ("POST", "PATCH", "PUT"):
            body, more = b"", True
            while more:
                message = await receive()
                if message["type"] != "http.request":  # the client left
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.limit:
                    text = Text(f"请求体超过 {self.limit:,} 字节", f"the request body is over {self.limit:,} bytes")
                    refusal = error_response(413, text, lang=lang)
                    break
            if refusal is None:
                receive = _replay(body, receive)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read already, then whatever the client sends next (its leaving)."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _park_states(stores: ParkStore | Sequence[ParkStore]) -> dict[str, ParkState]:
    """The state of each park by its id; the ids must differ."""
    stores = [stores] if isinstance(stores, ParkStore) else list(stores)
    if not stores:
        msg = "the API needs at least one park store"
        raise ConfigError(msg)
    parks: dict[str, ParkState] = {}
    for store in stores:
        state = ParkState(store)
        if state.park_id in parks:
            msg = f"two stores hold park {state.park_id!r}; serve each park once"
            raise ConfigError(msg)
        parks[state.park_id] = state
    return parks


def create_app(
    stores: ParkStore | Sequence[ParkStore],
    *,
    tokens: Mapping[str, Token] | None = None,
    max_body_bytes: int = 1_000_000,
    read_needs_token: bool = False,
) -> FastAPI:
    """The API over ``stores`` (one park each; park ids must differ).

    ``tokens`` maps each secret to its :class:`~planner.api.auth.Token`; writes need an
    editor's, and reading needs a viewer's too when ``read_needs_token``. Request bodies
    over ``max_body_bytes`` are refused (413).
    """
    parks = _park_states(stores)
    app = FastAPI(responses=ERROR_RESPONSES, title="园区规划器 API · Park planner API", version=__version__,
                  description=_DESCRIPTION, docs_url=None, redoc_url=None)  # fmt: skip
    app.state.parks = parks  # the ParkState of each park, for the routes, benchmarks and operators' scripts
    app.state.tokens = dict(tokens or {})
    app.state.read_needs_token = read_needs_token
    for router in _ROUTERS:
        app.include_router(router)
    add_docs(app)  # Swagger UI from the installed bundle: /docs opens with no network
    desk.add_assets(app)  # the desk's scripts beside the map, and the charting library, served from the package
    # gzip next to the routes, where it sees each answer whole (its size)
    app.add_middleware(PlainParcels)  # innermost: the usual page of parcels without FastAPI's per-request work
    app.add_middleware(KeptTiles)  # likewise a tile kept at the park's stamp, or its 304
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=_GZIP_LEVEL)
    app.add_middleware(_BodyLimit, limit=max_body_bytes)
    app.add_middleware(AccessLog)  # outermost: every answer is logged, refusals of the body limit too
    add_exception_handlers(app)
    return app
