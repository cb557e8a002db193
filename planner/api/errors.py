"""The API's refusals: one error body, one table from the planner's errors to HTTP statuses, and their handlers.

Every refusal answers ``{"error": {"status", "message", "field", "problems"?}}`` — the
message names the field and what is allowed, and never carries a stack trace. It is in
Chinese, or in English when the request asks (``?lang=en`` or ``Accept-Language: en``; see
:mod:`planner.api.messages`):

- :class:`ApiError`, raised by the routes and their dependencies (a bad ``bbox``, an unknown
  park, a missing token …);
- the planner's own errors, answered by :data:`DEFAULT_STATUS_CODES` (the most specific class
  of the exception wins: its method resolution order is walked against the table), with the
  header or the list of problems some of them carry;
- the framework's own refusals (a body that is no JSON in UTF-8, an unknown path 404, a method
  the path does not allow 405 with every method it does in ``Allow``);
- FastAPI's request validation (422, each problem with its field; a refused code lists the
  codes allowed, with their labels where the field has them: ``规划（planned）、储备（reserved）…``;
  a body of the wrong kind as a whole is named ``请求正文`` / ``the request body``), and anything
  else (500, naming only the error's class).

A store that cannot be read or written (a read-only or full disk, a lock held too long, a lost
database connection) answers 503 with the store's own words — the ones the CLI prints — and
is logged on the ``planner.api`` logger, as every 500 is (with its traceback, for the operator).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as FrameworkError
from starlette.routing import Match

from planner.api.messages import Text, language, pydantic_problem, text_in
from planner.errors import (
    ConfigError,
    FilterError,
    ParcelNotFoundError,
    PlannerError,
    StaleResultError,
    StoreError,
    StoreLockedError,
    ValidationError,
    VersionConflictError,
    WorkError,
)
from planner.fields import allowed_text
from planner.parcels.schema import FIELDS as PARCEL_FIELDS

__all__ = [
    "DEFAULT_STATUS_CODES",
    "ERROR_RESPONSES",
    "ApiError",
    "ErrorAnswer",
    "add_exception_handlers",
    "allowed_methods",
    "api_error_of",
    "error_response",
    "framework_refusal",
    "invalid_request",
]


log = logging.getLogger("planner.api")
"""Where the API says what failed on the server's side (503 and 500), for the operator."""


class _ErrorJSON(JSONResponse):
    """The error body as JSON; text that cannot be UTF-8 (a lone surrogate echoed back) is ``\\u``-escaped."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


class ApiError(Exception):
    """A refused request: HTTP status, the field it concerns, the message (and the problems of a 422).

    ``message`` is a :class:`~planner.api.messages.Text` (Chinese and English), or English text
    (the planner's own errors) whose Chinese :func:`~planner.api.messages.chinese` gives.
    """

    def __init__(
        self,
        status: int,
        message: str | Text,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        problems: list[dict[str, Any]] | None = None,
        problems_zh: list[dict[str, Any]] | None = None,
    ):
        super().__init__(str(message))
        self.status, self.text, self.field = status, message, field
        self.message = str(message)  # English: for logs
        self.headers = dict(headers or {})
        self.problems = problems
        self.problems_zh = problems_zh
        """The problems in Chinese, where they differ from ``problems`` (English)."""

    def problems_in(self, lang: str) -> list[dict[str, Any]] | None:
        """The problems in ``lang``: the Chinese ones where there are, else ``problems``."""
        return self.problems_zh if lang == "zh" and self.problems_zh is not None else self.problems


def error_response(
    status: int,
    message: str | Text,
    *,
    lang: str = "zh",
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    """The error body ``{"error": {"status", "message", "field", "problems"?}}`` in ``lang``, with its status and
    headers."""
    error: dict[str, Any] = {"status": status, "message": text_in(message, lang, status), "field": field}
    if problems is not None:
        error["problems"] = problems
    return _ErrorJSON({"error": error}, status_code=status, headers=dict(headers) if headers else None)


# --- the planner's errors ---------------------------------------------------------------------------------------


def _nothing_more(exc: Exception) -> dict[str, Any]:
    """No header, field or problems: the status and the error's message say it all."""
    return {}


@dataclass(frozen=True)
class ErrorAnswer:
    """How the API answers one class of the planner's errors: its status, and what else it tells the client."""

    status: int
    details: Callable[[Any], dict[str, Any]] = _nothing_more
    """Keyword arguments of :class:`ApiError` beyond the status and the message (``field``, ``headers``, …)."""


def _version_conflict(exc: VersionConflictError) -> dict[str, Any]:
    """The version the parcel is at now, as the ETag to base the edit on."""
    return {"field": "If-Match", "headers": {"ETag": f'"{exc.current}"'}}


def _store_locked(exc: StoreLockedError) -> dict[str, Any]:
    """Another writer holds the park: try again shortly."""
    text = str(exc) if str(exc).endswith("try again") else f"{exc}; try again"
    return {"message": text, "headers": {"Retry-After": "2"}}


def _store_failed(exc: StoreError) -> dict[str, Any]:
    """The store cannot be read or written now (disk, lock, connection): its own words, and when to try again."""
    return {"headers": {"Retry-After": "30"}}


def _refused(exc: ValidationError) -> dict[str, Any]:
    """Every problem of a record refused by validation, in English and Chinese; the first one's field."""
    problems = [p.as_dict() for p in exc.errors]
    return {
        "message": Text(exc.text("zh"), str(exc)),
        "field": problems[0]["field"] if problems else None,
        "problems": problems,
        "problems_zh": [p.as_dict("zh") for p in exc.errors],
    }


def _work_refused(exc: WorkError) -> dict[str, Any]:
    """A work or a plan's option not allowed: its message in Chinese and English, and its field."""
    return {"message": Text(exc.text("zh"), str(exc)), "field": exc.field}


DEFAULT_STATUS_CODES: dict[type[Exception], ErrorAnswer] = {
    ParcelNotFoundError: ErrorAnswer(404),
    VersionConflictError: ErrorAnswer(409, _version_conflict),
    StaleResultError: ErrorAnswer(409),
    StoreLockedError: ErrorAnswer(503, _store_locked),
    StoreError: ErrorAnswer(503, _store_failed),
    ValidationError: ErrorAnswer(422, _refused),
    WorkError: ErrorAnswer(400, _work_refused),
    FilterError: ErrorAnswer(400),
    ConfigError: ErrorAnswer(400),
    ValueError: ErrorAnswer(400),  # a planner error that is also a ValueError (CRSError …): a value not allowed
}
"""The answer to each of the planner's errors; any other :class:`~planner.errors.PlannerError` is a 500."""


def api_error_of(exc: PlannerError, status_codes: Mapping[type[Exception], ErrorAnswer]) -> ApiError:
    """The refusal answering ``exc``: the entry of its most specific class in ``status_codes``, else a 500."""
    for cls in type(exc).__mro__:
        answer = status_codes.get(cls)
        if answer is not None:
            details = {"message": str(exc)} | answer.details(exc)
            return ApiError(answer.status, **details)
    return ApiError(500, f"the park store failed: {type(exc).__name__}")


# --- FastAPI's validation ---------------------------------------------------------------------------------------


_CHOICES = re.compile(r"\^(-\?)?\(([\w|]+)\)\$")
"""A query pattern that is a choice of words (``^-?(parcel_id|area_mu)$``), whose words a refusal lists."""
_QUOTED = re.compile(r"'([^']*)'")
_UNION_TAG = re.compile(r"float|int|str|bool|date|[\w-]+\[.*\]")
"""The member of a union pydantic puts in a problem's location (``land_mu.float``, ``land_mu.list[float]``)."""
_LABELLED = {f.name: f.allowed for f in PARCEL_FIELDS if f.allowed}
"""The columns whose codes have labels (``status``: 规划、储备 …), by name."""


def _allowed(err: Mapping[str, Any], name: str | None, lang: str) -> str | None:
    """What a refused choice (pydantic's ``literal_error``, ``enum``) allows, in ``lang``: the codes with their labels
    where the field's codes have them (``规划（planned）、储备（reserved）…``), else the codes; ``None`` if not a
    choice of text."""
    if err.get("type") not in ("literal_error", "enum"):
        return None
    codes = _QUOTED.findall(str(err.get("ctx", {}).get("expected", "")))
    if not codes:
        return None
    choices = _LABELLED.get(str(name).rsplit(".", 1)[-1])
    if choices is not None and set(codes) == set(choices):
        return allowed_text(choices, lang)
    return ("、" if lang == "zh" else ", ").join(codes)


def _problem(err: Mapping[str, Any], lang: str = "en") -> dict[str, Any]:
    """One problem FastAPI found in a request: the field (without its location) and what is wrong with it."""
    where = [str(part) for part in err.get("loc", ()) if part not in ("query", "path", "body", "header")]
    where = [part for part in where if not _UNION_TAG.fullmatch(part)]
    name = ".".join(where) or None
    text = err.get("msg", "invalid value")
    if err.get("type") == "string_type" and isinstance(err.get("input"), bool):
        text = f"{err['input']} is a yes/no value, not text"
    choices = _CHOICES.fullmatch(str(err.get("ctx", {}).get("pattern", "")))
    allowed = _allowed(err, name, lang)
    if lang == "zh":
        words = allowed
        if choices:
            words = "、".join(choices.group(2).split("|")) + ("（前加 - ：降序）" if choices.group(1) else "")
        return {"field": name, "message": pydantic_problem(err, text, words)}
    if allowed is not None:
        text = f"allowed: {allowed}"
    if err.get("type") == "string_pattern_mismatch" and choices:  # a pattern that is a list of words: say them
        text = f"allowed: {', '.join(choices.group(2).split('|'))}" + (
            " (- first: descending)" if choices.group(1) else ""
        )
    allowed = None if err.get("type") in ("literal_error", "enum") else err.get("ctx", {}).get("expected")
    if allowed and str(allowed) not in text:  # pydantic's message may list them already: say them once
        text += f"; allowed: {allowed}"
    given = err.get("input")
    if given is not None and not isinstance(given, dict | list):
        text += f" (got {str(given)[:80]!r})"
    return {"field": name, "message": text}


def invalid_request(exc: RequestValidationError, lang: str = "en") -> ApiError:
    """The 422 of a request FastAPI refused, naming the first problem's field and listing every problem (in
    ``lang``)."""
    problems = [_problem(err, lang) for err in exc.errors()]
    en = [_problem(err) for err in exc.errors()] if lang != "en" else problems
    first = problems[0] if problems else {"field": None, "message": "invalid request"}
    first_en = en[0] if en else first
    if first["field"] is None:  # the body (or the query) as a whole: a list where an object is wanted …
        text = Text(f"请求正文：{first['message']}", f"the request body: {first_en['message']}")
    else:
        text = Text(f"`{first['field']}`：{first['message']}", f"`{first_en['field']}`: {first_en['message']}")
    return ApiError(422, text, field=first["field"], problems=problems)


# --- the handlers -----------------------------------------------------------------------------------------------


def _respond(error: ApiError, request: Request) -> JSONResponse:
    lang = language(request)
    return error_response(
        error.status, error.text, lang=lang, field=error.field, headers=error.headers,
        problems=error.problems_in(lang),
    )  # fmt: skip


def add_exception_handlers(
    app: FastAPI, status_codes: Mapping[type[Exception], ErrorAnswer] = DEFAULT_STATUS_CODES
) -> None:
    """Answer every refusal with the error body: :class:`ApiError`, validation, the planner's errors, the rest."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _respond(exc, request)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _respond(invalid_request(exc, language(request)), request)

    @app.exception_handler(FrameworkError)
    async def framework_error(request: Request, exc: FrameworkError) -> JSONResponse:
        return _respond(framework_refusal(request, exc), request)

    @app.exception_handler(PlannerError)
    async def planner_error(request: Request, exc: PlannerError) -> JSONResponse:
        error = api_error_of(exc, status_codes)
        if error.status >= 500:
            log.error("%s %s answered %d: %s", request.method, request.url.path, error.status, error.message)
        return _respond(error, request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:  # never a stack trace to the client
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        name = type(exc).__name__
        text = Text(f"服务器内部错误（{name}）；未完成的请求没有改动任何数据",
                    f"internal error ({name}); the request changed nothing it could not finish")  # fmt: skip
        return error_response(500, text, lang=language(request))


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers at the request's path (``GET, HEAD, PATCH``)."""
    methods: set[str] = set()
    scope = {**request.scope, "method": ""}
    routes = list(request.app.router.routes)
    while routes:  # included routers hold their routes in turn (FastAPI ≥ 0.150 behind `original_router`)
        route = routes.pop()
        inner = getattr(route, "routes", None) or getattr(getattr(route, "original_router", None), "routes", None)
        if inner:
            routes += list(inner)
        elif route.matches(scope)[0] is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return sorted(methods, key=lambda m: order.index(m) if m in order else len(order))


def framework_refusal(request: Request, exc: FrameworkError) -> ApiError:
    """The framework's own refusal (no route, a method not allowed, a body that is not JSON) in the one shape."""
    path = request.url.path
    if exc.status_code == 404:
        text = Text(
            f"{path!r} 处没有资源；接口列表见 /docs", f"no resource at {path!r}; the routes are listed at /docs"
        )
        return ApiError(404, text, field="path")
    if exc.status_code == 405:
        allowed = ", ".join(allowed_methods(request))
        text = Text(f"{path!r} 不接受 {request.method}；允许：{allowed}",
                    f"{request.method} is not allowed on {path!r}; allowed: {allowed}")  # fmt: skip
        return ApiError(405, text, field="method", headers={"Allow": allowed})
    if exc.status_code == 400 and "parsing the body" in str(exc.detail):
        text = Text("请求体不是 UTF-8 的 JSON 文本（RFC 8259）；请发送一个 JSON 对象",
                    "the request body is not JSON text in UTF-8 (RFC 8259); send a JSON object")  # fmt: skip
        return ApiError(400, text, field="body")
    return ApiError(exc.status_code, str(exc.detail), headers=exc.headers)


# --- the OpenAPI document ---------------------------------------------------------------------------------------

_ERROR_BODY = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
                "problems": {"type": "array"},
            },
            "required": ["status", "message"],
        }
    },
    "required": ["error"],
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"schema": _ERROR_BODY}}}
    for status, text in (
        (400, "a filter or value not allowed (the message names the field and what is allowed)"),
        (401, "a token is needed"),
        (403, "the token's role may not do this"),
        (404, "no such parcel or park"),
        (409, "the parcel changed since the version the edit was based on, or a result not computed yet"),
        (413, "the request body is too large"),
        (422, "a value of the wrong type or out of range, or a record refused by validation"),
        (428, "an edit without the version it is based on (If-Match)"),
        (405, "the method is not allowed on this path (`Allow` lists those that are)"),
        (503, "the park is busy with another write, or its store cannot be read or written now; try again"),
    )
}
"""The error answers every operation may give, in the OpenAPI document."""
