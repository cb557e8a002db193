"""The API's refusals in Chinese or English: which language a request asks for, and each message in both.

Chinese by default. A request asks for English with ``?lang=en`` (the page's own switch, as
``/?lang=en`` and ``/parcels.xlsx?lang=en``) or with ``Accept-Language`` preferring English over
Chinese (``en``, ``en-US,en;q=0.9``); ``?lang=zh`` keeps Chinese whatever the header says.

The API's own refusals carry both texts (:class:`Text`). The planner's errors (a version
conflict, a missing parcel, a locked store, a refused record …) are written in English by the
layers below; :func:`chinese` gives their Chinese by the rules of :data:`_RULES`, and an
English text no rule knows is shown after a Chinese lead-in naming what kind of refusal it is,
so that a Chinese answer never reads as English alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection
from starlette.types import Scope

__all__ = ["Text", "chinese", "language", "language_of_scope", "pydantic_problem", "text_in"]


@dataclass(frozen=True)
class Text:
    """A message in Chinese and in English."""

    zh: str
    en: str

    def __str__(self) -> str:  # logs and tracebacks read English
        return self.en


def _q(part: str) -> tuple[str, float]:
    """One entry of ``Accept-Language``: its language (lower case) and its weight."""
    name, _, params = part.strip().partition(";")
    weight = 1.0
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
    return name.strip().lower(), weight


def _from_header(header: str | None) -> str:
    """``en`` when ``Accept-Language`` weighs English above Chinese, else ``zh``."""
    if not header:
        return "zh"
    best = {"zh": 0.0, "en": 0.0}
    for part in header.split(","):
        name, weight = _q(part)
        key = name.split("-")[0]
        if key in best:
            best[key] = max(best[key], weight)
    return "en" if best["en"] > best["zh"] else "zh"


def language(request: HTTPConnection) -> str:
    """The language the request asks for: ``?lang=``, else ``Accept-Language``, else Chinese."""
    asked = request.query_params.get("lang")
    if asked in ("zh", "en"):
        return asked
    return _from_header(request.headers.get("accept-language"))


def language_of_scope(scope: Scope) -> str:
    """:func:`language` of a request before it has reached the app (the body limit's refusals)."""
    return language(HTTPConnection(scope))


def text_in(message: str | Text, lang: str, status: int = 400) -> str:
    """``message`` in ``lang``: a :class:`Text`'s own, or the Chinese of an English message by :func:`chinese`."""
    if isinstance(message, Text):
        return message.zh if lang == "zh" else message.en
    return chinese(message, status) if lang == "zh" else message


# --- the planner's English messages in Chinese ------------------------------------------------------------------

_WHERE = (
    (re.compile(r"parcel '([^']*)', field `([^`]*)`"), r"宗地 '\1'，字段 `\2`"),
    (re.compile(r"parcel '([^']*)'"), r"宗地 '\1'"),
    (re.compile(r"parcel in input row (\d+), field `([^`]*)`"), r"输入第 \1 行的宗地，字段 `\2`"),
    (re.compile(r"column `([^`]*)`"), r"字段 `\1`"),
    (re.compile(r"^parcels 中有"), "宗地中有"),
)

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), template)
    for pattern, template in (
        (r"parcel '(.*)' is at version (\d+), but the edit was based on version (\d+); reload the parcel and apply "
         r"the edit again(.*)", r"宗地 '\1' 已是第 \2 版，而此次修改基于第 \3 版：请重新读取该宗地后再修改\4"),
        (r"no parcel has parcel_id '(.*)'", r"没有宗地代码为 '\1' 的宗地"),
        (r"(\d+) problem\(s\) in the (\w+); nothing was written:\n(.*)", r"\2 中有 \1 处问题，未写入任何内容：\n\3"),
        (r"(.*) is locked by another writer \((.*)\); try again(; try again)?",
         r"\1 正由其他写入方占用（\2）：请稍后重试"),
        (r"park '(.*)' in (.*) is locked by another writer; nothing was written(; try again)?",
         r"园区 '\1'（\2）正由其他写入方占用，未写入任何内容：请稍后重试"),
        (r"the park store failed: (\w+)", r"园区数据存储出错：\1"),
    )
)  # fmt: skip

_LEAD_IN = {
    400: "请求的值不被允许",
    401: "需要令牌",
    403: "无此权限",
    404: "未找到",
    409: "与当前数据冲突",
    413: "请求内容过大",
    422: "记录未通过校验",
    428: "缺少所依据的版本",
    500: "服务器内部错误",
    503: "园区数据暂时无法读写，请稍后重试",
}


def chinese(message: str, status: int = 400) -> str:
    """The Chinese of one of the planner's English messages: by a rule, else after a lead-in naming the refusal."""
    for pattern, template in _RULES:
        found = pattern.fullmatch(message)
        if found:
            text = found.expand(template)
            for where, zh in _WHERE:
                text = where.sub(zh, text)
            return text
    return f"{_LEAD_IN.get(status, '请求被拒绝')}：{message}"


# --- FastAPI's (pydantic's) problems ---------------------------------------------------------------------------

_PYDANTIC_ZH = {
    "missing": "缺少此项",
    "extra_forbidden": "不接受此字段",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "finite_number": "须为有限的数字",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "string_type": "须为文本",
    "date_type": "须为日期 YYYY-MM-DD",
    "date_parsing": "须为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "须为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "须为日期 YYYY-MM-DD（不含时刻）",
    "greater_than_equal": "须不小于 {ge}",
    "greater_than": "须大于 {gt}",
    "less_than_equal": "须不大于 {le}",
    "less_than": "须小于 {lt}",
    "string_too_long": "最长 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "enum": "允许的值：{expected}",
    "literal_error": "允许的值：{expected}",
    "list_type": "须为列表",
    "dict_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "json_invalid": "不是有效的 JSON",
}


def pydantic_problem(err: Mapping[str, Any], english: str, allowed_words: str | None) -> str:
    """The Chinese of one problem pydantic found: by its type and context, else a lead-in and ``english``."""
    kind = str(err.get("type", ""))
    ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
    if kind in ("string_pattern_mismatch", "literal_error", "enum") and allowed_words:
        text = f"允许的值：{allowed_words}"
    elif kind in _PYDANTIC_ZH:
        try:
            text = _PYDANTIC_ZH[kind].format(**ctx)
        except KeyError:
            text = _PYDANTIC_ZH[kind].split("{")[0].rstrip("：: ")
    else:
        return f"值不被允许：{english}"
    given = err.get("input")
    if given is not None and not isinstance(given, dict | list) and kind != "missing":
        text += f"（收到 {str(given)[:80]!r}）"
    return text
