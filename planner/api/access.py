"""The access log: one line per request — method, path, status, time in ms, user — never the token.

Lines go to the ``planner.api.access`` logger at INFO, e.g.
``GET /parcels 200 12.4 ms user=张工`` (``user=-`` without a known token). The path is logged
without its query string, and the user is the name the tokens file gives the token; the
``Authorization`` header itself is never written anywhere.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner.api.auth import find_token

__all__ = ["AccessLog", "access_log", "configure_access_log"]

access_log = logging.getLogger("planner.api.access")
"""The logger every request's line goes to (INFO)."""


def _user(scope: Scope) -> str:
    """The name of the token the request sends, ``-`` for none or an unknown one."""
    header = next((v for k, v in scope.get("headers", ()) if k == b"authorization"), None)
    if header is None:
        return "-"
    app: Any = scope.get("app")
    tokens = getattr(getattr(app, "state", None), "tokens", None) or {}
    token = find_token(tokens, header.decode("latin-1"))
    return token.user if token is not None else "?"


class AccessLog:
    """ASGI middleware writing the access line of each HTTP request as its answer's last part is sent."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, note the status it is answered with, and log the line when done."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an answer that never started is a failure
        logged = False

        def log() -> None:
            nonlocal logged
            logged = True
            if access_log.isEnabledFor(logging.INFO):
                took_ms = (time.perf_counter() - start) * 1000
                path = scope.get("root_path", "") + scope.get("path", "")
                access_log.info("%s %s %d %.1f ms user=%s", scope["method"], path, status, took_ms, _user(scope))

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body", False) and not logged:
                log()  # before the last of the body leaves: the line is written by the time the client has it
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            if not logged:
                log()


def configure_access_log() -> None:
    """Write the access log to standard error at INFO, unless the operator configured the logger already."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        access_log.addHandler(handler)
    if access_log.level == logging.NOTSET:
        access_log.setLevel(logging.INFO)
