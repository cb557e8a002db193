"""``/siting``: where a project fits in the park (``match``), and several projects assigned at once (``assign``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from planner.analysis import readiness_inputs
from planner.api.bodies import Project
from planner.api.deps import MAX_LIMIT, Park, readiness_run, viewer
from planner.api.state import ParkState
from planner.buildout.unlock import unlocking_works
from planner.siting import SiteIndex, assign, greedy, match, parse_project, parse_projects
from planner.siting.pipeline import pipeline_land
from planner.siting.rules import needed_items

__all__ = ["router", "site_index"]

router = APIRouter(dependencies=[Depends(viewer)])


def site_index(state: ParkState) -> SiteIndex:
    """The park's land and networks indexed for siting (made once per state of the park)."""
    return state.cached("site_index", lambda: SiteIndex.from_store(state.store, run=readiness_run(state)))


@router.post("/siting/match", summary="项目选址 / Match a project to the park's land")
def siting_match(
    project: Annotated[Project, Body(description="a project record (see the README)")],
    state: Park,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> dict[str, Any]:
    """The parcels that fit the project, best first, and why the others do not (422 names a bad field).

    With none today, ``unlock`` lists which works would give it land and at what cost, cheapest first.
    """
    record = parse_project(project.record())  # ProjectError → 422 with each field
    index = site_index(state)
    result = match(index, record)
    out = result.to_dict(limit=limit, rejected=True)
    out["unlock"] = []
    if result.candidates.empty:  # no land today: which works would give it land, and at what cost
        inputs = state.cached("readiness_inputs", lambda: readiness_inputs(state.store))
        targets, _ = pipeline_land(index, [record])
        unlocks = unlocking_works(inputs, readiness_run(state), targets, required=needed_items(index, record))
        out["unlock"] = [u.to_dict(lang) for u in unlocks]
    return out


@router.post("/siting/assign", summary="多项目分配 / Assign several projects exactly")
def siting_assign(
    projects: Annotated[list[Project], Body(min_length=1, max_length=200, description="project records")],
    state: Park,
    top: Annotated[int, Query(ge=1, le=1000)] = 100,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
) -> dict[str, Any]:
    """The best assignment of the projects to parcels, one parcel each, with the greedy total to compare (the status,
    the reasons and the re-check's problems in ``lang``)."""
    batch = parse_projects([p.record() for p in projects])
    index = site_index(state)
    out = assign(index, batch, top=top).to_dict(lang)
    out["greedy_total_score"] = round(greedy(index, batch, top=top).total_score, 4)
    return out
