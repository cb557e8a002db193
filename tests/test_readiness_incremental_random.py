"""Readiness worked out again after random edits equals a whole run, on random synthetic parks (no store).

The park is `bench.readiness`'s grid of seven networks with a few hundred parcels, its sources'
capacity cut so that loads matter. Each round edits a few random parcels (declared loads,
statuses, declared items, a shape moved) and compares readiness with the graphs and the last
result kept against a run with nothing kept: tables, disagreements and coverage identical.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import shapely

from bench.readiness import synthetic
from planner.analysis import ReadinessInputs, readiness_of
from planner.config import ParkConfig
from planner.infra.graphs import GraphCache
from planner.parcels.validation import validate_parcels
from planner.vocab import NETWORK_ITEMS

STATUSES = ["reserved", "supplied", "under_construction", "in_production"]


def _same(run, whole) -> None:
    pd.testing.assert_frame_equal(run.readiness.table, whole.readiness.table, check_exact=True)
    pd.testing.assert_frame_equal(run.readiness.disagreements, whole.readiness.disagreements, check_exact=True)
    for net, coverage in whole.coverage.items():
        pd.testing.assert_frame_equal(run.coverage[net].table, coverage.table, check_exact=True)
        pd.testing.assert_frame_equal(run.coverage[net].sources, coverage.sources, check_exact=True)


def _with_levels(lines):
    """``lines`` with the road and water lines above grade but every fifth (at grade), some roads in tunnels."""
    out = dict(lines)
    for net in ("road", "water"):
        level = np.ones(len(out[net]), dtype=np.int64)
        level[::5] = 0
        if net == "road":
            level[1::3] = -1
        out[net] = out[net].assign(level=level)
    return out


@pytest.mark.parametrize(("seed", "levels"), [(5, False), (6, False), (7, False), (8, True)])
def test_random_edits_give_what_a_whole_run_gives(seed, levels):
    rng = np.random.default_rng(seed)
    parcels, lines, sources = synthetic(300, seed=seed)
    parcels = validate_parcels(parcels, crs_epsg=4545, park_id="BENCH").parcels
    lines = _with_levels(lines) if levels else lines
    for column in ("capacity_kva", "capacity_m3d", "capacity_nm3h", "capacity_mw", "capacity_ports"):
        sources[column] = sources[column] * 0 + rng.uniform(20, 3000, len(sources))  # loads matter
    networks = {
        n: {"service_distance_m": 40.0, "service_radius_m": float(rng.uniform(800, 3000))} for n in NETWORK_ITEMS
    }
    config = ParkConfig(park_id="BENCH", name="随机园区", crs_epsg=4545, networks=networks)
    inputs = ReadinessInputs(config, parcels, sources, lines)
    kept = GraphCache()
    first = readiness_of(inputs, graphs=kept)
    _same(first, readiness_of(inputs))
    if levels:  # the reasons name the lines a parcel may not tap beside it
        named = first.readiness.table[["road_reason", "water_reason"]].stack().str.contains("不可直接接入")
        assert named.sum() > 0
    worked_again = 0
    for _round in range(6):
        frame = inputs.parcels.copy()
        for at in rng.choice(len(frame), size=3, replace=False):
            kind = rng.integers(4)
            if kind == 0:
                frame.loc[frame.index[at], "power_kva"] = float(rng.uniform(50, 2000))
            elif kind == 1:
                frame.loc[frame.index[at], "status"] = str(rng.choice(STATUSES))
            elif kind == 2:
                net = str(rng.choice(NETWORK_ITEMS))
                frame.loc[frame.index[at], f"declared_{net}"] = bool(rng.integers(2))
            else:
                moved = shapely.affinity.translate(frame.geometry.iloc[at], xoff=float(rng.uniform(-5, 5)))
                frame.loc[frame.index[at], "geometry"] = moved
        inputs = replace(inputs, parcels=frame)
        run = readiness_of(inputs, graphs=kept)
        rows = kept.readiness.rows
        worked_again += len(frame) if rows is None else len(rows)
        _same(run, readiness_of(inputs))
    assert worked_again < 6 * len(parcels)  # some rows were kept, not all worked out again


def _rows_that_differ(before, after) -> set[int]:
    """The parcels (positions) whose coverage row of some network differs between two whole runs, by pandas."""
    rows: set[int] = set()
    for net, coverage in after.coverage.items():
        a, b = before.coverage[net].table, coverage.table
        same = (a == b) | (a.isna() & b.isna())
        rows |= set(np.flatnonzero(~same.to_numpy(dtype=bool).all(axis=1)).tolist())
    return rows


@pytest.mark.parametrize("seed", [11, 12])
def test_line_edits_work_out_again_only_the_rows_whose_coverage_changed(seed):
    """A line moved: its network is built and tapped again, but the checklist is worked out only where a row changed."""
    rng = np.random.default_rng(seed)
    parcels, lines, sources = synthetic(300, seed=seed, rotate_deg=17.0)
    parcels = validate_parcels(parcels, crs_epsg=4545, park_id="BENCH").parcels
    networks = {n: {"service_distance_m": 40.0, "service_radius_m": 2500.0} for n in NETWORK_ITEMS}
    config = ParkConfig(park_id="BENCH", name="随机园区", crs_epsg=4545, networks=networks)
    inputs = ReadinessInputs(config, parcels, sources, lines)
    kept = GraphCache()
    readiness_of(inputs, graphs=kept)
    whole = readiness_of(inputs)
    some_kept = False
    for _round in range(4):
        net = str(rng.choice(NETWORK_ITEMS))
        layer = inputs.lines[net].copy()
        at = int(rng.integers(len(layer)))
        moved = shapely.affinity.translate(layer.geometry.iloc[at], xoff=float(rng.uniform(-30, 30)))
        layer.loc[layer.index[at], "geometry"] = moved
        inputs = replace(inputs, lines={**inputs.lines, net: layer})
        builds = kept.builds[net]
        run = readiness_of(inputs, graphs=kept)
        assert kept.builds[net] == builds + 1  # the network was built again
        again = readiness_of(inputs)
        _same(run, again)
        rows = kept.readiness.rows
        worked = set(range(len(parcels))) if rows is None else set(rows.tolist())
        assert worked == _rows_that_differ(whole, again)
        some_kept |= len(worked) < len(parcels)
        whole = again
    assert some_kept


def test_a_network_changed_for_most_rows_takes_the_other_items_as_they_were(monkeypatch):
    """More than a fifth of the rows changed in one network (a line edit upstream of most parcels), after a run that
    spliced a few rows in: the checklist is worked out for all, the items of the networks whose table and declared
    values did not change taken from the last result (the items worked out are counted). The result is
    compute_readiness's, value for value; a network whose declared values changed is worked out again."""
    import planner.parcels.readiness as readiness

    parcels, lines, sources = synthetic(300, seed=4)
    parcels = validate_parcels(parcels, crs_epsg=4545, park_id="BENCH").parcels
    networks = {n: {"service_distance_m": 40.0, "service_radius_m": 2500.0} for n in NETWORK_ITEMS}
    config = ParkConfig(park_id="BENCH", name="随机园区", crs_epsg=4545, networks=networks)
    run = readiness_of(ReadinessInputs(config, parcels, sources, lines))
    tables = {net: coverage.table for net, coverage in run.coverage.items()}
    _, kept = readiness.readiness_kept(None, parcels, config, {net: (t, 1, None) for net, t in tables.items()})
    water = tables["water"].copy()  # a few rows changed: spliced into the last result
    few = np.array([3, 50, 51])
    water.iloc[few, water.columns.get_loc("connected")] = ~water["connected"].to_numpy(dtype=bool)[few]
    water.iloc[few, water.columns.get_loc("reason")] = "改过"
    tables["water"] = water
    tagged = {net: (t, 1, None) for net, t in tables.items()} | {"water": (water, 2, (1, few))}
    spliced_in, kept = readiness.readiness_kept(kept, parcels, config, tagged)
    assert kept.rows.tolist() == few.tolist()  # spliced, not worked out for all
    road = tables["road"].copy()
    flip = np.arange(0, len(road), 2)  # half the rows: beyond the share spliced row by row
    road.iloc[flip, road.columns.get_loc("connected")] = ~road["connected"].to_numpy(dtype=bool)[flip]
    road.iloc[flip, road.columns.get_loc("reason")] = "改过"
    edited = parcels.copy()
    edited.loc[edited.index[7], "declared_gas"] = not bool(edited["declared_gas"].iloc[7])
    changed = {**tables, "road": road}
    worked: list[str] = []
    item = readiness._network_item
    monkeypatch.setattr(readiness, "_network_item", lambda p, name, cov: worked.append(name) or item(p, name, cov))
    tagged = {net: (t, 1, None) for net, t in changed.items()} | {
        "water": (water, 2, None),
        "road": (road, 2, (1, flip)),
    }
    got, _ = readiness.readiness_kept(kept, edited, config, tagged)
    assert sorted(worked) == ["gas", "road"]
    worked.clear()
    whole = readiness.compute_readiness(edited, config, changed)
    assert len(worked) == len(NETWORK_ITEMS)
    pd.testing.assert_frame_equal(got.table, whole.table, check_exact=True)
    pd.testing.assert_frame_equal(got.disagreements, whole.disagreements, check_exact=True)
    assert (got.table["road"] != spliced_in.table["road"]).sum() == len(flip)
    assert (got.table["water"] != run.readiness.table["water"]).sum() == len(few)  # the spliced rows, as spliced
