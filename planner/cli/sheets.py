"""The ``--xlsx`` workbooks of ``ready``, ``idle``, ``match``, ``assign`` and ``stats``: what each command printed.

Each function builds the command's tables from the library's results and writes them with the
one shared writer, :func:`planner.exchange.table_csv.write_table_xlsx`: Chinese headers with
units (``宗地面积（亩）``), labels not codes (``投产``, ``100101 一类工业用地``), numbers rounded as
the Shapefile and CSV exports round them (亩 to 4 decimals, 万元 to 2), dates as dates.
Scores are out of 100, as printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from planner.exchange.table_csv import SheetSpec, write_table_xlsx
from planner.siting import Assignment, MatchResult
from planner.siting.match import CRITERIA
from planner.siting.rules import RULE_LABELS

__all__ = ["assign_xlsx", "match_xlsx", "ready_xlsx", "write_sheets"]

READY_COLUMNS = ("parcel_id", "name", "area_mu", "status", "land_use", "zone_industries")
"""The columns of ``planner ready``'s table and workbook."""


def write_sheets(sheets: Sequence[SheetSpec], out: Path, lang: str) -> None:
    """Write ``sheets`` to the workbook ``out`` in ``lang``."""
    write_table_xlsx(sheets, out, lang=lang)


def ready_xlsx(rows: pd.DataFrame, out: Path, lang: str, *, title: str) -> None:
    """``planner ready``: the ready parcels, largest first."""
    write_sheets([SheetSpec(title, rows[list(READY_COLUMNS)].reset_index(drop=True))], out, lang)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None


def _criteria_headers() -> dict[str, tuple[str, str]]:
    headers = {}
    for name, (zh, en, unit) in CRITERIA.items():
        headers[f"{name}_value"] = (f"{zh}（{unit}）", f"{en} ({unit})")
        headers[f"{name}_score"] = (f"{zh}得分", f"{en} score")
    return headers


def match_xlsx(result: MatchResult, out: Path, lang: str) -> None:
    """``planner match``: the candidates best first with each criterion's value and score; the parcels left out."""
    k = 0 if lang == "zh" else 1
    rows = []
    for row in result.candidates.itertuples(index=False):
        entry: dict[str, Any] = {
            "rank": int(row.rank),
            "parcel_ids": "、".join(row.parcel_ids),
            "area_mu": float(row.area_mu),
            "score_100": 100 * float(row.score),
        }
        for name in CRITERIA:
            entry[f"{name}_value"] = _number(getattr(row, f"{name}_value"))
            entry[f"{name}_score"] = 100 * float(getattr(row, f"{name}_score"))
        rows.append(entry)
    columns = ["rank", "parcel_ids", "area_mu", "score_100", *_criteria_headers()]
    candidates = pd.DataFrame(rows, columns=columns)
    rejected = result.rejected()
    left_out = pd.DataFrame(
        {
            "parcel_id": rejected["parcel_id"].astype(str),
            "rule": [RULE_LABELS[r][k] for r in rejected["rule"]],
            "reason": rejected["reason"],
        }
    )
    titles = (("候选地块", "candidates"), ("未入选地块", "rejected parcels"))
    write_sheets(
        [
            SheetSpec(titles[0][k], candidates, _criteria_headers(), notes=result.notes),
            SheetSpec(titles[1][k], left_out),
        ],
        out,
        lang,
    )


def assign_xlsx(exact: Assignment, out: Path, lang: str) -> None:
    """``planner assign``: each project and the land it got, or why none."""
    data = exact.to_dict(lang)
    rows = []
    for entry in data["assignments"]:
        pick = exact.chosen[entry["project"]]
        rows.append(
            {
                "project": entry["project"],
                "project_industry": entry["industry"],
                "parcel_ids": "、".join(entry["parcel_ids"]),
                "area_mu": np.nan if pick is None else float(pick["area_mu"]),
                "score_100": np.nan if pick is None else 100 * float(pick["score"]),
                "reason": entry.get("reason"),
            }
        )
    frame = pd.DataFrame(rows, columns=["project", "project_industry", "parcel_ids", "area_mu", "score_100", "reason"])
    write_sheets([SheetSpec("项目分配" if lang == "zh" else "assignment", frame)], out, lang)
