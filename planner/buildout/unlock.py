"""The siting answer for a project with no ready land: which works would give it land, and at what cost.

``targets`` are the parcels the project could take once they are 熟地 (for one project,
:func:`planner.siting.pipeline.pipeline_land`; siting and build-out are the same layer, so the
API and the CLI join the two). For each target the cheapest works that make it ready are
read off the network model (:func:`~planner.buildout.solve.cheapest_bundles`); targets sharing
the same works form one answer, which is then verified by construction: the works are applied
to the layers and readiness is run again (:func:`~planner.buildout.scenario.scenario_readiness`).
Only the parcels that run finds ready are reported — e.g. "3 parcels qualify after the gas main
reaches 纬三路: 1.2 km, about 180 万元".
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from planner.analysis import ReadinessInputs, ReadinessRun, readiness_of
from planner.buildout.plan import plan_needs
from planner.buildout.scenario import scenario_readiness
from planner.buildout.solve import cheapest_bundles
from planner.vocab import CHECKLIST_ITEMS, NETWORKS, WORK_KINDS

__all__ = ["Unlock", "unlocking_works"]


@dataclass(frozen=True)
class Unlock:
    """One way to give a project land: the works, their cost and length, and the parcels they make ready."""

    works: pd.DataFrame
    """The works to build, prerequisites first (``work_id``, ``kind``, ``network``, ``name``, ``length_m``, …)."""
    parcel_ids: list[str]
    area_mu: float

    @property
    def cost_wan(self) -> float:
        """What the works cost (万元)."""
        return float(self.works["cost_wan"].sum())

    @property
    def length_km(self) -> float:
        """The length of the lines among the works (km)."""
        lines = self.works[self.works["kind"] == "line"]
        return float(lines["length_m"].fillna(0.0).sum()) / 1000.0

    def message(self, lang: str = "zh") -> str:
        """The answer in words, e.g. 建成 纬三路燃气管线延伸 后，3 宗地块（共 45 亩）满足条件：1.2 公里，约 180 万元."""
        names = [_describe(row, lang) for row in self.works.to_dict("records")]
        n, mu, cost, km = len(self.parcel_ids), _num(self.area_mu), _num(self.cost_wan), _num(self.length_km, 2)
        if lang == "zh":
            length = f"{km} 公里，" if self.length_km > 0 else ""
            return f"建成 {'、'.join(names)} 后，{n} 宗地块（共 {mu} 亩）满足条件：{length}约 {cost} 万元"
        length = f"{km} km, " if self.length_km > 0 else ""
        works = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        parcels = f"{n} parcel{'s' if n != 1 else ''} ({mu} mu) {'qualify' if n != 1 else 'qualifies'}"
        return f"{parcels} after {works} {'is' if len(names) == 1 else 'are'} built: {length}about {cost} 万元"

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """JSON-ready: the message, parcels, area, cost, length and the works."""
        works = [_work(row, lang) for row in self.works.to_dict("records")]
        return {"message": self.message(lang), "parcel_ids": list(self.parcel_ids), "parcels": len(self.parcel_ids),
                "area_mu": round(self.area_mu, 2), "cost_wan": round(self.cost_wan, 2),
                "length_km": round(self.length_km, 3), "works": works}  # fmt: skip


def unlocking_works(
    inputs: ReadinessInputs,
    before: ReadinessRun,
    targets: pd.Series,
    *,
    given: Sequence[Mapping[str, Any]] = (),
    candidates: bool = True,
    limit: int = 3,
    required: Sequence[str] = (),
) -> list[Unlock]:
    """The cheapest ways (at most ``limit``) to make some of ``targets`` (parcels by ``parcel_id``) ready.

    Each answer is one set of works — the cheapest completion of at least one target, with
    its prerequisites — and every target parcel the model run with those works built finds
    ready, cheapest first (ties: the most land first). Targets ready now are no answer.

    Ready means every item of the park's whole checklist holds (熟地), and with them the
    items ``required`` beyond it (the project's needs: gas or heat, where the park's checklist is shorter).
    """
    if not len(targets):
        return []
    inputs, before = _whole_checklist(inputs, before, required)
    needs, _ = plan_needs(inputs, before, targets=targets, given=given, candidates=candidates)
    cost = needs.works["cost_wan"].to_numpy(dtype=float)
    seen: dict[tuple[int, ...], float] = {}
    for bundle in cheapest_bundles(needs):
        if len(bundle):
            seen.setdefault(tuple(int(w) for w in bundle), float(cost[bundle].sum()))
    out: list[Unlock] = []
    for rows in sorted(seen, key=lambda r: (seen[r], len(r))):
        works = needs.works.iloc[_in_order(needs.requires, list(rows))]
        ready = set(scenario_readiness(inputs, works, before).newly_ready)
        ids = [str(p) for p in needs.targets.index if str(p) in ready]
        if not ids:
            continue
        area = float(needs.area_mu[np.isin(needs.targets.index.astype(str), ids)].sum())
        out.append(Unlock(works.drop(columns="geometry").reset_index(drop=True), ids, area))
        if len(out) >= limit:
            break
    return sorted(out, key=lambda u: (u.cost_wan, -u.area_mu))


def _whole_checklist(
    inputs: ReadinessInputs, before: ReadinessRun, required: Sequence[str]
) -> tuple[ReadinessInputs, ReadinessRun]:
    """The inputs and readiness with the park's checklist and the items ``required`` beyond it, all required."""
    park = inputs.config.checklist
    extra = [i for i in required if i not in park]
    if not extra:
        return inputs, before
    unknown = [i for i in extra if i not in CHECKLIST_ITEMS]
    if unknown:
        msg = f"`required` holds {', '.join(map(repr, unknown))}; allowed: {', '.join(CHECKLIST_ITEMS)}"
        raise ValueError(msg)
    wider = copy.copy(inputs)
    wider.config = dataclasses.replace(
        inputs.config, checklist=tuple(i for i in CHECKLIST_ITEMS if i in {*park, *extra})
    )
    return wider, readiness_of(wider, reuse=dict(before.coverage))


def _in_order(requires: np.ndarray, rows: list[int]) -> list[int]:
    """``rows`` with each work after the work it requires."""
    depth = dict.fromkeys(rows, 0)
    for r in rows:
        up = int(requires[r])
        while up >= 0:
            depth[r] += 1
            up = int(requires[up])
    return sorted(rows, key=lambda r: (depth[r], r))


def _work(row: Mapping[str, Any], lang: str) -> dict[str, Any]:
    return {"work_id": str(row["work_id"]), "kind": row["kind"], "network": row["network"],
            "name": None if pd.isna(row["name"]) else str(row["name"]), "label": _describe(row, lang),
            "length_m": None if pd.isna(row["length_m"]) else round(float(row["length_m"]), 1),
            "cost_wan": round(float(row["cost_wan"]), 2)}  # fmt: skip


def _describe(row: Mapping[str, Any], lang: str) -> str:
    i = 0 if lang == "zh" else 1
    if row["kind"] == "line":
        label = (NETWORKS.get(row["network"]) or CHECKLIST_ITEMS[row["network"]])[i]
        name = row["name"] if isinstance(row["name"], str) and row["name"] else str(row["work_id"])
        if i == 1:
            return f"{label} line {name}"
        return name if label in name else f"{label} {name}"
    if row["kind"] == "upgrade":
        return f"{row['source_id']} {WORK_KINDS['upgrade'][i]}"
    return f"{row['parcel_id']} {WORK_KINDS['leveling'][i]}"


def _num(value: float, places: int = 1) -> str:
    return f"{value:,.{places}f}".rstrip("0").rstrip(".")
