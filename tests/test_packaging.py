"""pyproject.toml and environment.yml list the same dependencies with the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*(.*)$")


def _split(requirement: str) -> tuple[str, str]:
    name, spec = _SPEC.match(requirement).groups()
    name = name.split("[")[0]  # extras (uvicorn[standard]) install the same package
    return re.sub(r"[-_.]+", "-", name.lower()), spec.replace(" ", "")


def pip_requirements(pyproject: dict) -> dict[str, str]:
    project = pyproject["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    return dict(_split(r) for r in reqs)


def conda_requirements(environment: dict) -> dict[str, str]:
    out = {}
    for dep in environment["dependencies"]:
        if isinstance(dep, dict):  # a pip: section would list the same packages again
            out.update(dict(_split(r) for r in dep.get("pip", []) if not r.startswith("-")))
            continue
        name, spec = _split(dep)
        if name not in ("python", "pip"):
            out[name] = spec
    return out


def drift(pyproject: dict, environment: dict) -> list[str]:
    pip, conda = pip_requirements(pyproject), conda_requirements(environment)
    problems = [f"{n} is in pyproject.toml but not in environment.yml" for n in sorted(set(pip) - set(conda))]
    problems += [f"{n} is in environment.yml but not in pyproject.toml" for n in sorted(set(conda) - set(pip))]
    problems += [
        f"{n}: pyproject.toml says {pip[n]!r}, environment.yml says {conda[n]!r}"
        for n in sorted(set(pip) & set(conda))
        if pip[n] != conda[n]
    ]
    return problems


def load() -> tuple[dict, dict]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    return pyproject, environment


def test_the_two_dependency_lists_agree():
    pyproject, environment = load()
    assert drift(pyproject, environment) == []
    python = [d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == [f"python{pyproject['project']['requires-python']}"]


def test_the_required_libraries_are_listed():
    pyproject, _ = load()
    names = set(pip_requirements(pyproject))
    assert {
        "geopandas",
        "shapely",
        "pyproj",
        "pyogrio",
        "rasterio",
        "folium",
        "networkx",
        "scipy",
        "fastapi",
        "uvicorn",
        "typer",
        "rich",
        "pytest",
        "dask",
        "distributed",
        "dask-geopandas",
    } <= names


def test_the_scale_extra_is_part_of_dev():
    # CI installs the dev extra and runs the province path on Dask
    pyproject, _ = load()
    extras = pyproject["project"]["optional-dependencies"]
    assert set(extras["scale"]) <= set(extras["dev"])


def test_drift_is_caught():
    pyproject, environment = load()
    environment["dependencies"] = [d for d in environment["dependencies"] if not str(d).startswith("folium")]
    environment["dependencies"] = [
        ("scipy>=1.0" if str(d).startswith("scipy") else d) for d in environment["dependencies"]
    ]
    environment["dependencies"].append("xarray>=2024.1")
    assert drift(pyproject, environment) == [
        "folium is in pyproject.toml but not in environment.yml",
        "xarray is in environment.yml but not in pyproject.toml",
        "scipy: pyproject.toml says '>=1.11', environment.yml says '>=1.0'",
    ]
