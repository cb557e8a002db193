"""An incoming project (招商项目): what it is, how much land, money, power and water it needs.

A project is read from JSON (one object, or a list for batch assignment)::

    {"name": "某汽车零部件项目", "industry": "C3670", "land_mu": [100, 140],
     "investment_wan": 60000, "output_wan": 80000, "tax_wan": 3000,
     "power_kva": 8000, "water_m3d": 500, "needs": ["gas"], "earliest_start": "2027-03-01"}

Every value is checked and every problem named by field with what is allowed, all at
once (:class:`ProjectError`, a ``ValueError``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from planner.codes import industry_code_problem
from planner.errors import Problem, ValidationError
from planner.fields import parse_date
from planner.siting.industries import Industry, industry
from planner.vocab import CHECKLIST_ITEMS, LAND_CLASSES

__all__ = ["NEEDS", "Project", "ProjectError", "load_projects", "parse_project", "parse_projects"]

NEEDS = (*CHECKLIST_ITEMS, "rail")
"""What a project may say it needs: checklist items (gas, heat, …) and a rail siding (rail)."""

FIELDS = (
    "name",
    "industry",
    "land_mu",
    "investment_wan",
    "output_wan",
    "tax_wan",
    "power_kva",
    "water_m3d",
    "needs",
    "earliest_start",
    "land_class",
    "floor_area_m2",
    "building_coverage_pct",
    "admin_share_pct",
    "green_ratio_pct",
)
_REQUIRED = ("name", "industry", "land_mu", "investment_wan")
# fields people write in another unit, and what to write instead
_UNIT_HINTS = {
    "power_mva": "power_kva (kVA; 1 MVA = 1000 kVA)",
    "power_kw": "power_kva (kVA, the installed transformer capacity 报装容量)",
    "power_mw": "power_kva (kVA; 1 MW ≈ 1000 kVA)",
    "power": "power_kva (kVA)",
    "water_m3h": "water_m3d (m³ per day; 1 m³/h = 24 m³/d)",
    "water_td": "water_m3d (m³ per day; 1 t/d = 1 m³/d)",
    "water": "water_m3d (m³ per day)",
    "land_m2": "land_mu (亩; 1 亩 = 666.67 m²)",
    "land_ha": "land_mu (亩; 1 公顷 = 15 亩)",
    "area_mu": "land_mu (亩)",
    "land": "land_mu (亩)",
    "investment_yuan": "investment_wan (万元)",
    "investment_yi": "investment_wan (万元; 1 亿元 = 10000 万元)",
    "investment": "investment_wan (万元)",
    "output": "output_wan (万元 per year)",
    "tax": "tax_wan (万元 per year)",
}
_HINT_ZH = {
    "power_mva": "power_kva（kVA；1 MVA = 1000 kVA）",
    "power_kw": "power_kva（kVA，报装容量）",
    "power_mw": "power_kva（kVA；1 MW ≈ 1000 kVA）",
    "power": "power_kva（kVA）",
    "water_m3h": "water_m3d（立方米/日；1 m³/h = 24 m³/d）",
    "water_td": "water_m3d（立方米/日；1 吨/日 = 1 立方米/日）",
    "water": "water_m3d（立方米/日）",
    "land_m2": "land_mu（亩；1 亩 = 666.67 平方米）",
    "land_ha": "land_mu（亩；1 公顷 = 15 亩）",
    "area_mu": "land_mu（亩）",
    "land": "land_mu（亩）",
    "investment_yuan": "investment_wan（万元）",
    "investment_yi": "investment_wan（万元；1 亿元 = 10000 万元）",
    "investment": "investment_wan（万元）",
    "output": "output_wan（万元/年）",
    "tax": "tax_wan（万元/年）",
}
_UNIT_ZH = {"万元 per year": "万元/年", "m³ per day": "立方米/日", "m²": "平方米", "% of the land": "%（占项目用地）"}
_UNIT_IN_TEXT = re.compile(r"(mva|kva|kw|mw|m3|m³|t/d|亩|公顷|万元|亿元|元)", re.IGNORECASE)


class ProjectError(ValidationError):
    """A project record refused; ``problems`` names each field and what is allowed."""

    def __init__(self, problems: Sequence[Problem], *, what: str = "project") -> None:
        super().__init__(problems, what=what)
        errors = self.errors
        shown = "\n".join(f"  - {p}" for p in errors[:20])
        self.args = (f"{len(errors)} problem(s) in the {what}:\n{shown}",)

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``: in Chinese, each problem by its Chinese."""
        if lang != "zh":
            return str(self)
        shown = "\n".join(f"  - {p.describe('zh')}" for p in self.errors[:20])
        return f"项目记录有 {len(self.errors)} 处问题：\n{shown}"


@dataclass(frozen=True)
class Project:
    """A checked project. Quantities in the units their names say."""

    name: str
    industry: Industry
    land_min_mu: float
    land_max_mu: float
    target_mu: float
    investment_wan: float
    output_wan: float | None = None
    tax_wan: float | None = None
    power_kva: float | None = None
    water_m3d: float | None = None
    needs: tuple[str, ...] = ()
    earliest_start: date | None = None
    land_class: str = ""
    floor_area_m2: float | None = None
    building_coverage_pct: float | None = None
    """Planned building coverage (建筑系数), % of the project's land."""
    admin_share_pct: float | None = None
    """Planned administration and living-service land (行政办公及生活服务设施用地), % of the project's land."""
    green_ratio_pct: float | None = None
    """Planned green ratio (绿地率), % of the project's land."""
    notes: tuple[str, ...] = field(default=())
    """Warnings: plausible but odd values (e.g. very little power for the land)."""

    @property
    def code(self) -> str:
        """The project's GB/T 4754-2017 industry code (``C3670``)."""
        return self.industry.code

    def as_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values (the land need as given: one value or a range)."""
        land: float | list[float] = (
            self.target_mu if self.land_min_mu == self.land_max_mu else [self.land_min_mu, self.land_max_mu]
        )
        return {
            "name": self.name,
            "industry": self.code,
            "industry_name": self.industry.name_zh,
            "land_mu": land,
            "investment_wan": self.investment_wan,
            "output_wan": self.output_wan,
            "tax_wan": self.tax_wan,
            "power_kva": self.power_kva,
            "water_m3d": self.water_m3d,
            "needs": list(self.needs),
            "earliest_start": self.earliest_start.isoformat() if self.earliest_start else None,
            "land_class": self.land_class,
            "floor_area_m2": self.floor_area_m2,
            "building_coverage_pct": self.building_coverage_pct,
            "admin_share_pct": self.admin_share_pct,
            "green_ratio_pct": self.green_ratio_pct,
        }


_Report = Callable[[str, str, str], None]
"""How a check reports a bad field: ``error(field, message, message in Chinese)``."""


def _number(value: Any, name: str, unit: str, error: _Report, *, positive: bool = False) -> float:
    """A finite number ≥ 0 (> 0 with ``positive``), or NaN after reporting the field through ``error``."""
    unit_zh = _UNIT_ZH.get(unit, unit)
    if isinstance(value, str) and _UNIT_IN_TEXT.search(value):
        error(
            name,
            f"must be a plain number of {unit}, got {value!r}; write the number alone in {unit}",
            f"须为以{unit_zh}计的数字，实为 {value!r}：请只写以{unit_zh}计的数字",
        )
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        error(name, f"must be a number of {unit}, got {value!r}", f"须为以{unit_zh}计的数字，实为 {value!r}")
        return math.nan
    if value < 0 or (positive and value == 0):
        error(
            name,
            f"must be {'> 0' if positive else '≥ 0'} {unit}, got {value!r}",
            f"须{'大于' if positive else '不小于'} 0 {unit_zh}，实为 {value!r}",
        )
        return math.nan
    return float(value)


def parse_project(data: Mapping[str, Any], *, row: int | None = None) -> Project:
    """Check one project record and return it; raise :class:`ProjectError` naming every bad field."""
    if not isinstance(data, Mapping):
        msg = f"must be a JSON object with {', '.join(_REQUIRED)}, got {type(data).__name__}"
        zh = f"须为含 {'、'.join(f'`{k}`' for k in _REQUIRED)} 的 JSON 对象，实为 {type(data).__name__}"
        problem = Problem("error", None, None, msg, row=row, feature="project", zh=zh)
        raise ProjectError([problem], what="project")
    pid = data.get("name") if isinstance(data.get("name"), str) and data["name"].strip() else None
    who = f"project {pid!r}" if pid else "project"
    problems: list[Problem] = []

    def error(name: str, message: str, zh: str) -> None:
        problems.append(Problem("error", pid, name, message, row=row, feature="project", zh=zh))

    _check_keys(data, error)
    found = _industry_of(data.get("industry"), error)
    lo, hi = _land_range(data.get("land_mu"), error)
    investment = (
        _number(data["investment_wan"], "investment_wan", "万元", error)
        if data.get("investment_wan") is not None
        else math.nan
    )
    optional: dict[str, float | None] = {}
    for key, unit in _OPTIONAL_FIGURES.items():
        value = data.get(key)
        optional[key] = None if value is None else _number(value, key, unit, error)
        if key.endswith("_pct") and (optional[key] or 0) > 100:
            error(
                key,
                f"must be a share of the land from 0 to 100 (%), got {value!r}",
                f"须为占用地的 0 至 100（%），实为 {value!r}",
            )
    needs = _needs(data.get("needs"), error)
    start = _earliest_start(data.get("earliest_start"), error)
    land_class = _land_class(data.get("land_class") or "", found, error)
    if problems:
        raise ProjectError(problems, what=who)

    assert found is not None
    notes = []
    power = optional["power_kva"]
    if power is not None and 0 < power < 1.0 * lo:
        notes.append(
            f"power_kva {power:g} is under 1 kVA per 亩 for {lo:g} 亩: if it was meant in MVA, write {power * 1000:g}"
        )
    target = lo if lo == hi else (lo + hi) / 2  # "about N 亩": the park's thresholds widen it when matching
    return Project(
        name=str(data.get("name")).strip(),
        industry=found,
        land_min_mu=lo,
        land_max_mu=hi,
        target_mu=target,
        investment_wan=investment,
        output_wan=optional["output_wan"],
        tax_wan=optional["tax_wan"],
        power_kva=power,
        water_m3d=optional["water_m3d"],
        needs=tuple(dict.fromkeys(needs)),
        earliest_start=start,
        land_class=land_class or found.land_class,
        floor_area_m2=optional["floor_area_m2"],
        building_coverage_pct=optional["building_coverage_pct"],
        admin_share_pct=optional["admin_share_pct"],
        green_ratio_pct=optional["green_ratio_pct"],
        notes=tuple(notes),
    )


_OPTIONAL_FIGURES = {
    "output_wan": "万元 per year",
    "tax_wan": "万元 per year",
    "power_kva": "kVA",
    "water_m3d": "m³ per day",
    "floor_area_m2": "m²",
    "building_coverage_pct": "% of the land",
    "admin_share_pct": "% of the land",
    "green_ratio_pct": "% of the land",
}
"""The figures a project may state, with their units."""


def _check_keys(data: Mapping[str, Any], error: _Report) -> None:
    """Fields that are no project field (with the one meant where the unit gives it away), missing ones, the name."""
    for key in data:
        if key in _UNIT_HINTS:
            error(key, f"is not a project field; write {_UNIT_HINTS[key]}", f"不是项目字段：请写 {_HINT_ZH[key]}")
        elif key not in FIELDS:
            error(
                key,
                f"is not a project field; allowed: {', '.join(FIELDS)}",
                f"不是项目字段；允许：{'、'.join(f'`{f}`' for f in FIELDS)}",
            )
    for key in _REQUIRED:
        if key not in data or data[key] is None:
            error(key, "is required", "此项必填")
    name = data.get("name")
    if "name" in data and (not isinstance(name, str) or not name.strip()):
        error("name", f"must be a non-empty text, got {name!r}", f"须为非空文本，实为 {name!r}")


def _industry_of(code: Any, error: _Report) -> Industry | None:
    """The industry of a GB/T 4754-2017 code (``None`` where it is missing or not known)."""
    if isinstance(code, str):
        try:
            return industry(code.strip().upper())
        except ValueError as exc:
            zh = industry_code_problem(code.strip().upper(), "zh") or (
                f"行业 {code.strip().upper()!r} 是有效的 GB/T 4754-2017 代码，但选址目录（data/industries.csv）"
                "中没有它或其大类的条目"
            )
            error("industry", str(exc), zh)
    elif code is not None:
        error(
            "industry",
            f"must be a GB/T 4754-2017 code such as 'C36' or 'C3670', got {code!r}",
            f"须为 GB/T 4754-2017 行业代码，如 'C36' 或 'C3670'，实为 {code!r}",
        )
    return None


def _land_range(land: Any, error: _Report) -> tuple[float, float]:
    """The land need in 亩: ``[min, max]``, or one figure as both (NaN where missing or bad)."""
    lo = hi = math.nan
    if isinstance(land, list | tuple):
        if len(land) != 2:
            error(
                "land_mu",
                f"a range must be [min, max] in 亩, got {list(land)!r}",
                f"范围须为 [最小, 最大]（亩），实为 {list(land)!r}",
            )
        else:
            lo = _number(land[0], "land_mu", "亩", error, positive=True)
            hi = _number(land[1], "land_mu", "亩", error, positive=True)
            if lo > hi:
                error(
                    "land_mu",
                    f"the range's min {lo:g} is more than its max {hi:g} 亩; write [min, max]",
                    f"范围的最小值 {lo:g} 大于最大值 {hi:g} 亩：请写作 [最小, 最大]",
                )
    elif land is not None:
        lo = hi = _number(land, "land_mu", "亩", error, positive=True)
    return lo, hi


def _needs(needs: Any, error: _Report) -> list[str]:
    """What the project says it needs, of :data:`NEEDS` (one text or a list)."""
    needs = needs or []
    if isinstance(needs, str):
        needs = [needs]
    if not isinstance(needs, list | tuple) or not all(isinstance(n, str) for n in needs):
        error(
            "needs",
            f"must be a list of {', '.join(NEEDS)}, got {needs!r}",
            f"须为 {'、'.join(f'`{n}`' for n in NEEDS)} 组成的列表，实为 {needs!r}",
        )
        return []
    unknown = [n for n in needs if n not in NEEDS]
    if unknown:
        error(
            "needs",
            f"{unknown} not allowed; allowed: {', '.join(NEEDS)}",
            f"不允许 {unknown}；允许：{'、'.join(f'`{n}`' for n in NEEDS)}",
        )
    return list(needs)


def _earliest_start(value: Any, error: _Report) -> date | None:
    """The earliest start date, written year first."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        error(
            "earliest_start",
            f"{exc}; write a date such as 2027-03-01",
            f"{value!r} 不是 1900 至 2200 年间、年份在前的日期：请写作如 2027-03-01 的日期",
        )
    return None


def _land_class(land_class: Any, found: Industry | None, error: _Report) -> str:
    """The land class asked for: a known one, and never lighter than the industry's (``""``: the industry's)."""
    if land_class and land_class not in LAND_CLASSES:
        error(
            "land_class",
            f"{land_class!r} not allowed; allowed: {', '.join(LAND_CLASSES)}",
            f"不允许 {land_class!r}；允许：{'、'.join(LAND_CLASSES)}",
        )
    if (
        found is not None
        and land_class in LAND_CLASSES
        and (land_class[0] != found.land_class[0] or land_class < found.land_class)
    ):
        heavier = [c for c in LAND_CLASSES if c[0] == found.land_class[0] and c >= found.land_class]
        error(
            "land_class",
            f"{land_class!r} is lighter than or outside {found.land_class}, which {found.code} needs "
            f"(a project never goes on lighter land); allowed: {', '.join(heavier)}",
            f"{land_class!r} 轻于 {found.code} 所需的 {found.land_class} 或不属同类（项目不能落在更轻类别的用地上）；"
            f"允许：{'、'.join(heavier)}",
        )
    return land_class if isinstance(land_class, str) else ""


def parse_projects(data: Any) -> list[Project]:
    """Check a list of projects (or one object); every problem of every project is reported at once."""
    records = data if isinstance(data, list) else [data]
    projects, problems = [], []
    for i, record in enumerate(records):
        try:
            projects.append(parse_project(record, row=i if isinstance(data, list) else None))
        except ProjectError as exc:
            problems += exc.problems
    names = [p.name for p in projects]
    for repeated in sorted({n for n in names if names.count(n) > 1}):
        msg = "names more than one project; each project needs its own name"
        zh = "多个项目同名：每个项目须有自己的名称"
        problems.append(Problem("error", repeated, "name", msg, feature="project", zh=zh))
    if problems:
        raise ProjectError(problems, what="projects")
    return projects


def load_projects(path: str | Path) -> list[Project]:
    """Read projects from a JSON file (one object or a list), with clear messages for a bad file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        msg = f"project file {str(path)!r} does not exist"
        raise FileNotFoundError(msg) from None
    except OSError as exc:
        why = exc.strerror or exc
        problem = Problem("error", None, None, f"cannot be read: {why}", feature=str(path), zh=f"无法读取：「{why}」")
        raise ProjectError([problem], what="project file") from None
    except UnicodeDecodeError:
        message, zh = "is not UTF-8 text; save the JSON file as UTF-8", "不是 UTF-8 文本：请将 JSON 文件存为 UTF-8"
        problem = Problem("error", None, None, message, feature=str(path), zh=zh)
        raise ProjectError([problem], what="project file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(
            "error", None, None, f"is not valid JSON: {exc}", feature=str(path), zh=f"不是有效的 JSON：「{exc}」"
        )
        raise ProjectError([problem], what="project file") from None
    return parse_projects(data)
