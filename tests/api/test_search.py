"""``GET /search``: parcels by code, holder or name and roads by name, on GeoPackage and on PostGIS (by SQL)."""

from __future__ import annotations

import pytest


def test_a_holder_finds_each_of_its_parcels_with_where_it_is(api):
    parcels = api.store.read_parcels()
    held = parcels[parcels["holder"].notna()]
    holder = held["holder"].value_counts().index[0]  # the holder of most parcels
    part = holder[1:4]  # a piece of the name finds it too
    answer = api.get("/search", params={"q": part, "limit": 100}).json()
    found = [h for h in answer["hits"] if h["kind"] == "parcel"]
    text = part.lower()
    expected = parcels[
        parcels["parcel_id"].str.lower().str.contains(text, regex=False)
        | parcels["holder"].fillna("").str.lower().str.contains(text, regex=False)
        | parcels["name"].fillna("").str.lower().str.contains(text, regex=False)
    ]
    assert sorted(h["parcel_id"] for h in found) == sorted(expected["parcel_id"]) != []
    one = next(h for h in found if h["holder"] == holder)
    row = parcels[parcels["parcel_id"] == one["parcel_id"]].to_crs(4326).iloc[0]
    assert one["bbox"] == pytest.approx(list(row.geometry.bounds), abs=2e-6)


def test_a_code_comes_first_and_a_road_is_found_by_its_name(api):
    parcels = api.store.read_parcels().sort_values("parcel_id")
    code = parcels["parcel_id"].iloc[3]
    hits = api.get("/search", params={"q": code.lower()}).json()["hits"]
    assert hits[0]["parcel_id"] == code
    roads = api.store.read_layer("road_lines")
    name = sorted(roads["name"].dropna().unique())[0]
    hits = api.get("/search", params={"q": name}).json()["hits"]
    road = [h for h in hits if h["kind"] == "road"]
    assert [h["name"] for h in road] == [name]
    whole = roads[roads["name"] == name].to_crs(4326).total_bounds
    assert road[0]["bbox"] == pytest.approx(list(whole), abs=2e-6)


def test_nothing_found_and_text_taken_literally(api):
    assert api.get("/search", params={"q": "%"}).json()["hits"] == []  # no parcel or road holds a percent sign
    assert api.get("/search", params={"q": "没有这样的单位"}).json()["hits"] == []
    refused = api.get("/search", params={"q": ""})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "q"
