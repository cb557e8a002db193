"""The benchmark suite's synthetic province, its runner, and the load benchmark at its quick size on GeoPackage."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

from bench.__main__ import BY_NAME, main
from bench.synthetic import province, validated
from planner.crs import CGCS2000, gk_epsg, transformer
from planner.units import M2_PER_MU

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def made():
    return province(10_000)


def test_the_province_has_the_parcels_asked_for_in_parks_of_several_zones(made):
    assert len(made) == 10_000
    assert [len(p.parcels) for p in made.parks] == [2_000] * 5
    assert len(made.zones) >= 2
    assert sum(made.zones.values()) == 10_000
    ids = np.concatenate([p.parcels["parcel_id"].to_numpy() for p in made.parks])
    assert len(set(ids)) == len(ids)
    for park in made.parks:
        assert park.crs_epsg == gk_epsg(park.lon) == park.parcels.crs.to_epsg()
        assert (park.parcels["park_id"] == park.park_id).all()


def test_the_last_park_takes_the_rest():
    small = province(4_500, per_park=2_000)
    assert [len(p.parcels) for p in small.parks] == [2_000, 2_000, 500]


def test_each_park_lies_in_its_own_zone_and_apart_from_the_others(made):
    boxes = []
    for park in made.parks:
        minx, miny, maxx, maxy = park.parcels.total_bounds  # the park's extent is centred on its lon/lat
        lon, lat = transformer(f"EPSG:{park.crs_epsg}", f"EPSG:{CGCS2000}").transform(
            (minx + maxx) / 2, (miny + maxy) / 2
        )
        assert lon == pytest.approx(park.lon, abs=1e-6)
        assert lat == pytest.approx(park.lat, abs=1e-6)
        west, south, east, north = park.parcels.to_crs(CGCS2000).total_bounds
        cm = 3 * park.zone
        assert abs(park.lon - cm) <= 1.5
        # a park by a zone's edge may reach over it, as real parks do; it is stored in the zone of its centre
        assert max(abs(west - cm), abs(east - cm)) <= 1.5 + 0.1
        boxes.append(shapely.box(west, south, east, north))
    tree = shapely.STRtree(boxes)
    left, right = tree.query(boxes, predicate="intersects")
    assert (left == right).all()  # no two parks overlap


def test_areas_come_from_the_geometry_in_the_park_zone(made):
    for park in made.parks:
        p = park.parcels
        # the parcels are rectangles in the zone's plane: width × height by hand
        minx, miny, maxx, maxy = shapely.bounds(p.geometry.to_numpy()).T
        np.testing.assert_allclose(p["area_m2"], (maxx - minx) * (maxy - miny), rtol=1e-12)
        np.testing.assert_allclose(p["area_mu"], p["area_m2"] / M2_PER_MU, rtol=1e-12)
        assert p["area_mu"].between(10 - 1e-6, 400 + 1e-6).all()


def test_every_park_validates_as_its_store_would_take_it(made):
    frame = validated(made)  # raises on any error, overlaps included
    assert len(frame) == 10_000
    assert set(frame["status"]) == {"planned", "reserved", "supplied", "under_construction", "in_production"}
    producing = frame["status"] == "in_production"
    assert frame.loc[producing, ["output_wan", "tax_wan", "energy_tce", "floor_area_m2"]].notna().all().all()
    assert frame.loc[~producing, "output_wan"].isna().all()
    assert set(frame["land_use"]) >= {"100101", "100102", "100103", "1101"}


def test_the_same_seed_gives_the_same_province(made):
    again = province(10_000)
    other = province(10_000, seed=12)
    first = made.parks[0].parcels
    assert first.equals(again.parks[0].parcels)
    assert not first.geometry.geom_equals(other.parks[0].parcels.geometry).all()


def test_the_runner_lists_and_selects(capsys):
    assert main(["--dry-run", "--quick", "store", "areas"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{sys.executable} -m bench.store --parcels 10000 --repeat 1",
        f"{sys.executable} -m bench.areas --parcels 10000 --repeat 1 --sample 500",
    ]
    assert main(["--dry-run"]) == 0
    everything = capsys.readouterr().out
    assert "bench.siting" in everything
    assert "copy_park" not in everything  # needs a PostGIS server: only when named
    assert "--parcels 10000 100000 1000000" in everything
    with pytest.raises(SystemExit):
        main(["no_such_bench"])
    assert set(BY_NAME) >= {"synthetic", "store", "land", "areas", "readiness", "siting"}


def test_the_runner_runs_a_benchmark_in_its_own_process(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "synthetic", "--quick"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "10,000 parcels in 5 parks" in done.stdout
    assert "machine:" in done.stdout
    assert "synthetic  ok" in done.stdout


def test_the_load_benchmark_prints_its_table_and_loses_no_edit(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_TEST_POSTGIS_URL"}  # the GeoPackage only
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "GeoPackage:" in out
    assert "PostGIS:" not in out
    ours, _, peer = out.partition("GeoPackage, peer:")
    assert "the same edits as plain SQL UPDATEs" in peer and "the peer's p50" in peer, out
    rows = {line[:22].strip(): line[22:].split() for line in ours.splitlines() if line[:22].strip()}
    for kind in ("read", "plain edit", "readiness-input edit"):
        assert kind in rows, out
    assert int(rows["read"][0]) > 0
    assert rows["errors"][0].isdigit(), out  # counted and printed; zero is a goal the figures are read against
    history = re.search(r"history rows = successful edits: (\d+) = (\d+): (\S+)", out)
    assert history, out
    rows_written, edits_ok = int(history[1]), int(history[2])
    # the edits answered 200 are those timed, and each left one history row naming its column
    assert edits_ok == int(rows["plain edit"][0]) + int(rows["readiness-input edit"][0])
    assert edits_ok > 0
    assert rows_written == edits_ok
    assert history[3] == "agree"
