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
]


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""


class CRSError(PlannerError, ValueError):
    """A coordinate reference system is missing, unknown or outside China."""


class ConfigError(PlannerError, ValueError):
    """A park configuration value is missing or not allowed."""


class FilterError(PlannerError, ValueError):
    """A filter value (status, area range, industry, …) that is not allowed."""


class WorkError(PlannerError, ValueError):
    """A work (工程) or a build-out plan's input that is not allowed; the message names the work and the field."""

    def __init__(self, message: str, *, work_id: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.work_id, self.field = work_id, field


class Problem:
    """One finding about one feature (a parcel, a line, a source) and one field.

    ``severity`` is ``"error"`` (the write is refused), ``"warning"`` (stored,
    but worth a look) or ``"repair"`` (the input was changed, e.g. a Chinese
    status name turned into its code, and the change is reported). ``parcel_id``
    holds the feature's id (also readable as ``feature_id``), ``feature`` what
    kind of feature it is, ``row`` its position in the input.
    """

    __slots__ = ("feature", "field", "message", "parcel_id", "row", "severity")

    def __init__(
        self,
        severity: str,
        parcel_id: str | None,
        field: str | None,
        message: str,
        *,
        row: int | None = None,
        feature: str = "parcel",
    ) -> None:
        self.severity = severity
        self.parcel_id = parcel_id
        self.field = field
        self.message = message
        self.row = row
        self.feature = feature

    @property
    def feature_id(self) -> str | None:
        """The id of the feature (a parcel, a line, a source, …) the problem is about."""
        return self.parcel_id

    def where(self) -> str:
        """Name the feature (or input row) and the field, for messages."""
        if self.parcel_id is not None:
            who = f"{self.feature} {self.parcel_id!r}"
        elif self.row is not None:
            who = f"{self.feature} in input row {self.row}"
        elif self.feature.startswith(("file ", "mapping file ")):
            return f"{self.feature}, column `{self.field}`" if self.field else self.feature
        else:
            return f"column `{self.field}`" if self.field else self.feature
        return f"{who}, field `{self.field}`" if self.field else who

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

    def as_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready values (severity, feature, parcel_id, row, field, message)."""
        return {
            "severity": self.severity,
            "feature": self.feature,
            "parcel_id": self.parcel_id,
            "row": self.row,
            "field": self.field,
            "message": self.message,
        }


class ValidationError(PlannerError, ValueError):
    """Input refused; ``problems`` lists every error (and the warnings) found.

    The message shows the first errors, each naming the parcel and the field.
    """

    def __init__(self, problems: Sequence[Problem], *, what: str = "parcels") -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        shown = "\n".join(f"  - {p}" for p in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} problem(s) in the {what}; nothing was written:\n{shown}{more}")

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
