"""``/plan``: the build-out plan — which works to build first so that the most land becomes 熟地 (read-only).

``GET /plan?budget_wan=…`` plans for the park's reserved land; ``POST /plan`` takes the same
options in a body, with a pipeline of projects (the land they need is weighed instead) and
source upgrades. Nothing is written: the plan is computed on the park as it is now, by the
network model readiness uses (:func:`planner.buildout.plan.make_plan`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from planner.analysis import graph_cache, readiness_inputs
from planner.api.bodies import Project, Upgrade
from planner.api.deps import Park, readiness_run, viewer
from planner.api.routes.siting import site_index
from planner.api.state import ParkState
from planner.buildout.model import Needs
from planner.buildout.plan import PlanOptions, make_plan, plan_needs
from planner.errors import Problem
from planner.siting import parse_projects
from planner.siting.pipeline import pipeline_land

__all__ = ["PlanQuery", "PlanRequest", "router"]

router = APIRouter(dependencies=[Depends(viewer)])

TIME_LIMIT_S = 10.0
"""The longest HiGHS searches for a plan the API answers."""


class PlanQuery(BaseModel):
    """The options of a plan: the budget (万元), over how many years, from when, and how."""

    model_config = {"extra": "forbid"}

    budget_wan: float = Field(gt=0, description="the whole budget (万元)")
    years: int = Field(1, ge=1, le=30, description="years the plan spans")
    budget_per_year_wan: float | None = Field(None, gt=0, description="the most spent in a year (万元)")
    revenue: bool = Field(False, description="滚动开发: land revenue of newly ready land funds later years")
    price_per_mu_wan: float | None = Field(None, gt=0, description="land price per 亩 (default: the park's median)")
    start: date | None = Field(None, description="when the plan starts (default today)")
    candidates: bool = Field(True, description="propose extensions along the roads where none are drawn")
    lang: Literal["zh", "en"] = Field("zh", description="labels in Chinese or English")

    def options(self) -> PlanOptions:
        """The library's options; HiGHS gets at most :data:`TIME_LIMIT_S` (the greedy with its bound after that)."""
        return PlanOptions(self.budget_wan, self.years, self.budget_per_year_wan, self.start, self.revenue,
                           self.price_per_mu_wan, candidates=self.candidates, time_limit_s=TIME_LIMIT_S)  # fmt: skip


class PlanRequest(PlanQuery):
    """A plan's options, with a pipeline of projects whose land is weighed and source upgrades to consider."""

    pipeline: list[Project] = Field(default_factory=list, max_length=200, description="project records")
    works: list[Upgrade] = Field(default_factory=list, max_length=1000, description="source upgrades")


def _plan(state: ParkState, request: PlanQuery, projects: list[dict[str, Any]], works: list[dict[str, Any]]) -> dict:
    """The plan of the park as it is now (its readiness inputs read once per state of the park)."""
    inputs = state.cached("readiness_inputs", lambda: readiness_inputs(state.store))
    before = readiness_run(state)
    graphs = graph_cache(state.store)  # the graphs the park's readiness kept: the candidates reuse its road network
    targets, serves, demand = None, None, []
    if projects:
        batch = parse_projects(projects)
        targets, serves = pipeline_land(site_index(state), batch)
        demand = [(p.earliest_start, p.target_mu) for p in batch]

    def needs() -> tuple[Needs, list[Problem]]:
        return plan_needs(inputs, before, targets=targets, given=works, candidates=request.candidates, graphs=graphs)

    # the park's reserved land: what it needs is the same for every budget, so kept for the state of the park
    shared = not projects and not works
    prepared = state.cached(f"plan_needs:{request.candidates}", needs) if shared else needs()
    plan = make_plan(inputs, request.options(), targets=targets, given=works, before=before, projects=serves,
                     prepared=prepared, demand=demand)  # fmt: skip
    return plan.to_dict(request.lang)


@router.get("/plan", summary="建设计划（变生地为熟地）/ Build-out plan: which works first")
def plan_get(state: Park, query: Annotated[PlanQuery, Query()]) -> dict[str, Any]:
    """The works in order with cost, length, year and quarter, the parcels made ready, the forecast by quarter."""
    return state.cached(f"plan:{query.model_dump_json()}", lambda: _plan(state, query, [], []))


@router.post("/plan", summary="建设计划（含招商项目与扩容工程）/ Build-out plan for a pipeline of projects")
def plan_post(state: Park, request: PlanRequest) -> dict[str, Any]:
    """As ``GET /plan``, weighing the land the ``pipeline`` projects need, with the ``works`` given (read-only)."""
    return _plan(state, request, [p.record() for p in request.pipeline], [w.record() for w in request.works])
