"""The land a pipeline of projects needs: for each project, the parcels it could take once they are 熟地.

A parcel serves a project of the pipeline when it passes every land-supply rule for it
(:func:`~planner.siting.rules.rules_for`) except readiness and capacity — the rules works can
change. The build-out plan (:mod:`planner.buildout.plan`) weighs these parcels by area, so
that its works make ready the land the projects being courted need.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.siting.project import Project
from planner.siting.rules import RuleContext, rules_for
from planner.siting.site import SiteIndex

__all__ = ["pipeline_land"]


def pipeline_land(index: SiteIndex, projects: Sequence[Project]) -> tuple[pd.Series, dict[str, list[str]]]:
    """The parcels the ``projects`` could take once ready, weighted by area (亩), and the projects each serves.

    Returns the weight of each such parcel (by ``parcel_id``) and, for each, the names of
    the projects it would serve.
    """
    ids = index.ids
    serves: dict[str, list[str]] = {}
    wanted = np.zeros(len(index), dtype=bool)
    for project in projects:
        ctx = RuleContext.of(index, project)
        fixed = [r for r in rules_for(index, project) if not r.name.startswith(("ready_", "capacity_"))]
        ok = np.logical_and.reduce([r.test(ctx) for r in fixed]) if fixed else np.ones(len(index), dtype=bool)
        wanted |= ok
        for pid in ids[ok]:
            serves.setdefault(str(pid), []).append(project.name)
    weights = pd.Series(index.area_mu[wanted], index=ids[wanted].astype(str), dtype=float)
    return weights, serves
