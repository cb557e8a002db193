"""Errors raised by the planner.

Every class is also a built-in exception, so a caller can catch either the
planner's class or the familiar built-in (the habit of ``rasterio.errors``):
``except ValidationError`` and ``except ValueError`` both catch a refused
parcel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CRSError",
    "ConfigError",
    "FilterError",
    "ParcelNotFoundError",
    "PlannerError",
    "Problem",
    "StaleResultError",
    "StoreError",
    "StoreLockedError",
    "ValidationError",
    "VersionConflictError",
    "WorkError",
    "feature_zh",
]


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (``zh`` or ``en``): the English one unless the class has its Chinese."""
        return str(self)


class CRSError(PlannerError, ValueError):
    """A coordinate reference system is missing, unknown or outside China."""


class ConfigError(PlannerError, ValueError):
    """A park configuration value is missing or not allowed."""


class FilterError(PlannerError, ValueError):
    """A filter value (status, area range, industry, …) that is not allowed."""


class WorkError(PlannerError, ValueError):
    """A work (工程) or a build-out plan's input that is not allowed; the message names the work and the field.

    ``message`` is English (logs, ``--lang en``, ``?lang=en``), ``zh`` the same in Chinese, which a
    planner reads (:meth:`text`); :attr:`problem` is the finding as a :class:`Problem`.
    """

    def __init__(
        self, message: str, *, work_id: str | None = None, field: str | None = None, zh: str | None = None
    ) -> None:
        super().__init__(message)
        self.work_id, self.field, self.zh = work_id, field, zh

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``; the English one where no Chinese was written."""
        return self.zh if lang == "zh" and self.zh else str(self)

    @property
    def problem(self) -> Problem:
        """The refusal as a finding about the work (or, without one, the plan's option) and its field."""
        feature = "work" if self.work_id is not None else "plan"
        return Problem("error", self.work_id, self.field, str(self), feature=feature, zh=self.zh)


_FEATURE_ZH = {
    "parcel": "宗地",
    "parcels": "宗地",
    "source": "源点",
    "work": "工程",
    "plan": "建设计划",
    "project": "项目",
    "projects": "项目",
    "project file": "项目文件",
    "line": "线路",
    "road network": "路网",
    "terrain": "地形",
    "park boundary": "园区四至",
    "standard factory": "标准厂房",
    "feature": "要素",
}

_LINE_ZH = {
    "road": "道路",
    "water": "给水管线",
    "drainage": "排水管线",
    "power": "电力线路",
    "telecom": "通信线路",
    "gas": "燃气管线",
    "heat": "热力管线",
}
"""The line of each network (as :data:`planner.vocab.NETWORKS` names them), as a feature."""


def feature_zh(feature: str) -> str:
    """The Chinese name of a kind of feature: ``parcel`` → 宗地, ``power line`` → 电力线路."""
    if feature in _FEATURE_ZH:
        return _FEATURE_ZH[feature]
    for en, zh in (
        ("mapping file ", "字段对照文件 "),
        ("file ", "文件 "),
        ("import of ", "导入 "),
        ("project ", "项目 "),
    ):
        if feature.startswith(en):
            return zh + feature.removeprefix(en)
    network = feature.removesuffix(" line")
    if network != feature and network in _LINE_ZH:
        return _LINE_ZH[network]
    network = feature.removesuffix(" network")
    if network != feature and network in _LINE_ZH:
        return "路网" if network == "road" else _LINE_ZH[network].removesuffix("线路").removesuffix("管线") + "管网"
    return feature


def _what_zh(what: str) -> str:
    """What a :class:`ValidationError` refused, in Chinese: ``import of a.shp`` → 导入 a.shp, ``parcels layer`` →
    `parcels` 图层."""
    parts = []
    for part in what.split(" and "):
        if part.endswith(" layer"):
            parts.append(f"`{part.removesuffix(' layer')}` 图层")
        elif part.endswith(" input"):
            parts.append(f"输入的{feature_zh(part.removesuffix(' input'))}")
        else:
            parts.append(feature_zh(part))
    return "、".join(parts)


class Problem:
    """One finding about one feature (a parcel, a line, a source) and one field.

    ``severity`` is ``"error"`` (the write is refused), ``"warning"`` (stored,
    but worth a look) or ``"repair"`` (the input was changed, e.g. a Chinese
    status name turned into its code, and the change is reported). ``parcel_id``
    holds the feature's id (also readable as ``feature_id``), ``feature`` what
    kind of feature it is, ``row`` its position in the input.

    ``message`` is English (logs, and answers asked in English); ``zh`` the same
    finding in Chinese, which a planner reads (:meth:`text`, :meth:`where`).
    """

    __slots__ = ("feature", "field", "message", "parcel_id", "row", "severity", "zh")

    def __init__(
        self,
        severity: str,
        parcel_id: str | None,
        field: str | None,
        message: str,
        *,
        row: int | None = None,
        feature: str = "parcel",
        zh: str | None = None,
    ) -> None:
        self.severity = severity
        self.parcel_id = parcel_id
        self.field = field
        self.message = message
        self.row = row
        self.feature = feature
        self.zh = zh

    @property
    def feature_id(self) -> str | None:
        """The id of the feature (a parcel, a line, a source, …) the problem is about."""
        return self.parcel_id

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (``zh`` or ``en``); the English one where no Chinese was written."""
        return self.zh if lang == "zh" and self.zh else self.message

    def where(self, lang: str = "en") -> str:
        """Name the feature (or input row) and the field, for messages, in ``lang``."""
        if lang == "zh":
            return self._where_zh()
        if self.parcel_id is not None:
            who = f"{self.feature} {self.parcel_id!r}"
        elif self.row is not None:
            who = f"{self.feature} in input row {self.row}"
        elif self.feature.startswith(("file ", "mapping file ")):
            return f"{self.feature}, column `{self.field}`" if self.field else self.feature
        else:
            return f"column `{self.field}`" if self.field else self.feature
        return f"{who}, field `{self.field}`" if self.field else who

    def _where_zh(self) -> str:
        what = feature_zh(self.feature)
        if self.parcel_id is not None:
            who = f"{what} {self.parcel_id!r}"
        elif self.row is not None:
            who = f"输入第 {self.row} 行的{what}"
        elif self.feature.startswith(("file ", "mapping file ")):
            return f"{what}，字段 `{self.field}`" if self.field else what
        else:
            return f"字段 `{self.field}`" if self.field else what
        return f"{who}，字段 `{self.field}`" if self.field else who

    def describe(self, lang: str = "en") -> str:
        """Where and what, in ``lang``: ``宗地 'SH001'，字段 `holder`：……``."""
        return f"{self.where('zh')}：{self.text('zh')}" if lang == "zh" else str(self)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({self.severity!r}, {self.parcel_id!r}, {self.field!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.as_dict().values()))

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        """The problem as JSON-ready values (severity, feature, parcel_id, row, field, message), ``message`` in
        ``lang``."""
        return {
            "severity": self.severity,
            "feature": self.feature,
            "parcel_id": self.parcel_id,
            "row": self.row,
            "field": self.field,
            "message": self.text(lang),
        }


class ValidationError(PlannerError, ValueError):
    """Input refused; ``problems`` lists every error (and the warnings) found.

    The message shows the first errors, each naming the parcel and the field.
    """

    def __init__(self, problems: Sequence[Problem], *, what: str = "parcels") -> None:
        self.problems = list(problems)
        self.what = what
        errors = [p for p in self.problems if p.severity == "error"]
        shown = "\n".join(f"  - {p}" for p in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} problem(s) in the {what}; nothing was written:\n{shown}{more}")

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``: in Chinese, each problem by its Chinese (:meth:`Problem.describe`)."""
        if lang != "zh":
            return str(self)
        errors = self.errors
        shown = "\n".join(f"  - {p.describe('zh')}" for p in errors[:20])
        more = f"\n  … 另有 {len(errors) - 20} 处" if len(errors) > 20 else ""
        what = _what_zh(self.what)
        found = f"{what} 时发现" if self.what.startswith("import of ") else f"{what}中有"
        return f"{found} {len(errors)} 处问题，未写入任何内容：\n{shown}{more}"

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``error`` (those that refused the input)."""
        return [p for p in self.problems if p.severity == "error"]


class StoreError(PlannerError, OSError):
    """The park store cannot be opened, read or written."""


class StoreLockedError(StoreError):
    """Another writer holds the store; the write was not made."""


class ParcelNotFoundError(PlannerError, KeyError):
    """No parcel has the given ``parcel_id``."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the sentence readable
        return str(self.args[0]) if self.args else "parcel not found"


class VersionConflictError(PlannerError, RuntimeError):
    """Rows changed since the version the edit was based on (no lost updates).

    ``conflicts`` lists ``(parcel_id, expected_version, current_version)``.
    """

    def __init__(
        self, parcel_id: str, expected: int, current: int, *, more: Sequence[tuple[str, int, int]] = ()
    ) -> None:
        self.parcel_id = parcel_id
        self.expected = expected
        self.current = current
        self.conflicts = [(parcel_id, expected, current), *more]
        text = (
            f"parcel {parcel_id!r} is at version {current}, but the edit was based on version "
            f"{expected}; reload the parcel and apply the edit again"
        )
        if more:
            text += f" ({len(more)} more parcel(s) changed meanwhile: {', '.join(repr(m[0]) for m in more[:10])})"
        super().__init__(text)


class StaleResultError(PlannerError, RuntimeError):
    """A derived result (readiness, idle land) was asked for while it is missing or older than an input it reads."""
