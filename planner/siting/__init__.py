"""Siting: match incoming projects to ready land by size, industry zoning and infrastructure.

``SiteIndex.from_store(store)`` indexes a park once; ``match(index, project)`` ranks
its land for one project; ``assign(index, projects)`` shares it among several,
exactly. Projects are read with ``load_projects(path)`` or ``parse_project(dict)``.
"""

from planner.siting.assign import Assignment, assign, greedy, recheck
from planner.siting.match import MatchResult, match
from planner.siting.project import Project, ProjectError, load_projects, parse_project, parse_projects
from planner.siting.site import SiteIndex

__all__ = [
    "Assignment",
    "MatchResult",
    "Project",
    "ProjectError",
    "SiteIndex",
    "assign",
    "greedy",
    "load_projects",
    "match",
    "parse_project",
    "parse_projects",
    "recheck",
]
