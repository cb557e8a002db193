"""Exports with filters read only the parcels that meet them: the same parcels and files as filtering the whole park."""

from __future__ import annotations

from datetime import date

import pytest

from planner.exchange.export import _export, export_parcels, matching_parcels
from planner.infra.coverage import reasons_with_sources
from planner.parcels.query import filter_parcels
from tests.api.conftest import park_copy

FILTERS = [
    {"status": "in_production"},
    {"min_area_mu": 30, "status": ["reserved", "supplied"]},
    {"industry": "C36"},
    {"land_use": "1001", "idle": False},
]


@pytest.fixture(params=["gpkg", "postgis"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def store(backend, demo_park, tmp_path, request):
    store = park_copy(backend, demo_park, tmp_path, request)
    yield store
    store.close()
    if backend == "postgis":
        from tests.store.conftest import drop_all_parks

        drop_all_parks(request.getfixturevalue("postgis_url"))


def test_filtered_parcels_are_those_of_the_whole_park(store):
    whole = store.read_parcels()
    for filters in FILTERS:
        want = filter_parcels(whole, **filters).reset_index(drop=True)
        got = matching_parcels(store, **filters)
        assert 0 < len(got) < len(whole), filters
        assert got.reset_index(drop=True).equals(want), filters


@pytest.mark.parametrize("fmt", ["csv", "geojson", "txt"])
def test_filtered_export_files_are_those_of_the_whole_park(store, tmp_path, fmt):
    filters = {"min_area_mu": 30, "status": ["reserved", "supplied"]}
    got = tmp_path / f"got.{fmt}"
    export_parcels(store, fmt, got, produced_on=date(2026, 6, 30), **filters)
    want = tmp_path / "want" / f"got.{fmt}"
    want.parent.mkdir()
    whole = filter_parcels(store.read_parcels(), **filters)
    whole = reasons_with_sources(whole, store.metadata())  # as every export: each reason with what its source has left
    _export(store.config(), whole, fmt, want, crs="4490", produced_on=date(2026, 6, 30), labels="zh")
    assert got.read_bytes() == want.read_bytes()
