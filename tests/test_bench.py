"""The benchmark suite's synthetic province, its runner, and the load benchmark at its quick size on GeoPackage."""

from __future__ import annotations

import math
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
    assert "PostGIS" not in out
    runs, _, peer = out.partition("GeoPackage, peer:")
    assert "the same edits as plain SQL UPDATEs" in peer and "the peer's p50" in peer, out
    _, _, both = runs.partition("GeoPackage, paced:")
    paced, _, saturated = both.partition("GeoPackage, saturated:")
    assert paced and saturated, out  # both ways, paced first
    offered = re.match(r" [\d.]+ s, ([\d.]+) requests per second offered, ([\d.]+) answered", paced)
    assert offered, out
    assert float(offered[1]) == 2 * 2 / 5 + 2 / 1  # --quick: 2 editors (a read and a PATCH each 5 s), 2 readers
    assert "the throughput" in saturated.splitlines()[0]
    for ours in (paced, saturated):
        rows = {line[:22].strip(): line[22:].split() for line in ours.splitlines() if line[:22].strip()}
        for kind in ("read", "plain edit", "readiness-input edit"):
            assert kind in rows, out
        assert int(rows["read"][0]) > 0
        assert rows["errors"][0].isdigit(), out  # counted and printed; zero is a goal the figures are read against
        history = re.search(r"history rows = successful edits: (\d+) = (\d+): (\S+)", ours)
        assert history, out
        rows_written, edits_ok = int(history[1]), int(history[2])
        # the edits answered 200 are those timed, and each left one history row naming its column
        assert edits_ok == int(rows["plain edit"][0]) + int(rows["readiness-input edit"][0])
        assert edits_ok > 0
        assert rows_written == edits_ok
        assert history[3] == "agree"
    assert "NOT met" in paced or " met" in paced
    assert "judged paced" in saturated and "NOT met" not in saturated


@pytest.fixture(scope="module")
def turned():
    """The readiness park of ``bench.readiness`` at 2,000 parcels, as drawn and turned by 17° about its centre."""
    from bench.readiness import synthetic
    from planner.analysis import ReadinessInputs, readiness_of
    from planner.config import ParkConfig
    from planner.parcels.validation import validate_parcels
    from planner.vocab import NETWORK_ITEMS

    config = ParkConfig(
        park_id="BENCH",
        name="基准园区",
        crs_epsg=4545,
        networks={n: {"service_distance_m": 40.0, "service_radius_m": 1e7} for n in NETWORK_ITEMS},
    )
    out = {}
    for degrees in (0.0, 17.0):
        parcels, layers, sources = synthetic(2_000, rotate_deg=degrees)
        parcels = validate_parcels(parcels, crs_epsg=4545, park_id="BENCH").parcels
        out[degrees] = (parcels, layers, sources, readiness_of(ReadinessInputs(config, parcels, sources, layers)))
    return out


def test_the_turned_park_is_the_same_park_with_slanted_lines(turned):
    from bench.readiness import STEP, X0, Y0, axis_parallel, synthetic
    from planner.infra.noding import axis_noded

    (flat, flat_lines, flat_sources, _), (slant, slant_lines, slant_sources, _) = turned[0.0], turned[17.0]
    # areas unchanged: each parcel a rectangle whose sides are worked out from the unturned box
    minx, miny, maxx, maxy = shapely.bounds(flat.geometry.to_numpy()).T
    by_hand = (maxx - minx) * (maxy - miny)
    np.testing.assert_allclose(shapely.area(slant.geometry.to_numpy()), by_hand, rtol=1e-9)
    np.testing.assert_allclose(slant["area_m2"], flat["area_m2"], rtol=1e-9)
    np.testing.assert_allclose(slant["area_mu"], flat["area_mu"], rtol=1e-9)
    # turned about the park's centre by 17°: a parcel's centroid by hand
    side = math.ceil(math.sqrt(2_000)) + 1
    cx, cy = X0 + side * STEP / 2, Y0 + side * STEP / 2
    c, s = math.cos(math.radians(17)), math.sin(math.radians(17))
    x, y = (minx + maxx) / 2 - cx, (miny + maxy) / 2 - cy
    got = shapely.get_coordinates(shapely.centroid(slant.geometry.to_numpy()))
    np.testing.assert_allclose(got, np.column_stack([cx + x * c - y * s, cy + x * s + y * c]), atol=1e-6, rtol=0)
    for net, lines in flat_lines.items():
        np.testing.assert_allclose(slant_lines[net].length, lines.length, rtol=1e-12)
        # the planner's own test of the numpy noder's case: every layer drawn flat, none turned
        assert axis_parallel(lines) and axis_noded(lines.geometry.to_numpy()) is not None
        assert not axis_parallel(slant_lines[net]) and axis_noded(slant_lines[net].geometry.to_numpy()) is None
    # each source as far from each line as before (on it, or off the end of a network cut short)
    for net in flat_lines:
        gaps = [
            shapely.distance(
                frame.loc[frame["network"] == net].geometry.to_numpy()[:, None],
                lines[net].geometry.to_numpy()[None, :],
            )
            for frame, lines in ((flat_sources, flat_lines), (slant_sources, slant_lines))
        ]
        np.testing.assert_allclose(gaps[1], gaps[0], atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="90"):
        synthetic(100, rotate_deg=90.0)


def test_the_turned_park_has_the_same_readiness_but_where_distances_tie(turned):
    """Readiness per parcel is the same; where figures differ it is between taps that tie in the flat park.

    GEOS nodes the slanted lines by snap rounding on the 1 mm grid, which moves each crossing by up to
    0.7 mm: lengths along the network change by millimetres. In the flat park every figure is exact, and a
    parcel often has two taps at the same distance along the network (halfway between two sources, or a
    crossing reached along two streets), which the flat run breaks by the lateral distance, then by the order
    found; turned, the millimetres decide instead. So: the same flags, the same distances along the network
    to 2 cm, and a lateral distance that differs only where the turned run took a tap that was no nearer
    laterally (the flat run took the laterally nearest of the tied ones).
    """
    from planner.vocab import NETWORK_ITEMS

    (_, _, _, flat), (_, _, _, slant) = turned[0.0], turned[17.0]
    a, b = flat.readiness.table, slant.readiness.table
    assert a.index.equals(b.index)
    assert (a["ready"] == b["ready"]).all() and 0 < int(a["ready"].sum()) < len(a)
    assert a["missing"].fillna("").tolist() == b["missing"].fillna("").tolist()
    for net in NETWORK_ITEMS:
        p, q = flat.coverage[net].table, slant.coverage[net].table
        assert (p["connected"] == q["connected"]).all(), net
        assert p["failed"].fillna("").tolist() == q["failed"].fillna("").tolist(), net
        assert (p["network_m"].isna() == q["network_m"].isna()).all(), net
        along = (p["network_m"] - q["network_m"]).abs()
        assert along.max() < 0.02, net
        assert (p["distance_m"].isna() == q["distance_m"].isna()).all(), net  # no line within reach: NaN
        lateral = q["distance_m"] - p["distance_m"]
        same = (lateral.abs() < 0.002) | p["distance_m"].isna()
        # where they differ: the parcel is reached (a tie along the network) and the flat run's tap the nearer
        assert (p["network_m"].notna() | same).all(), net
        assert (same | (lateral > 0)).all(), net
        # such ties along the network are few (telecom, gas, heat: a parcel halfway between two sources); far more
        # often the same figures come from another line, a tie too: the parcels are square and centred in square
        # cells, so a tap on one street has its mirror image on the crossing street, at the same distances, and the
        # run takes the first found, in the noder's order (GEOS's for slanted lines)
        assert (~same).sum() <= 0.01 * len(p), net


@pytest.mark.parametrize("module", sorted(p.stem for p in (Path(__file__).parents[1] / "bench").glob("*.py")))
def test_every_benchmark_module_imports(module):
    """Each benchmark still imports what it names from the planner (they run outside `make test`)."""
    import importlib

    importlib.import_module(f"bench.{module}")
