"""The province path on Dask gives the single-machine results, row by row.

The province: four parks in three Gauss–Krüger zones (EPSG:4547, 4548, 4549), about
3,000 parcels, each park with its own checklist, service distances and radii, idle
years and tax floor; networks with lines out of service, sources short of capacity, a
park whose gas lines are all out of service and one without a heat layer
(:func:`bench.province.synthetic_province`).
"""

from __future__ import annotations

import dask
import numpy as np
import pandas as pd
import pytest

from bench.province import AS_OF, synthetic_province
from planner.infra.coverage import add_loads
from planner.parcels.readiness import READINESS_COLUMNS
from planner.province import (
    ParkData,
    Province,
    differences,
    halo_m,
    local_evaluation,
    local_idle,
    local_readiness,
    province_evaluation,
    province_frame,
    province_idle,
    province_readiness,
)

PARTITIONS = 6


@pytest.fixture(scope="module")
def province() -> Province:
    return synthetic_province(4, 3000, seed=11)


@pytest.fixture(scope="module")
def reference(province: Province) -> dict[str, pd.DataFrame]:
    return {
        "readiness": local_readiness(province),
        "idle": local_idle(province, AS_OF),
        "evaluation": local_evaluation(province),
    }


def test_the_province_has_what_the_comparison_needs(province, reference):
    assert len({park.config.crs_epsg for park in province.parks}) == 3
    assert len({park.config.checklist for park in province.parks}) == 3
    table = reference["readiness"]
    assert list(table.columns) == list(READINESS_COLUMNS)
    assert table.index.names == ["park_id", "parcel_id"]
    assert len(table) == len(province)
    reasons = pd.concat([table[f"{net}_reason"] for net in ("power", "water", "gas", "heat", "road")])
    for words in (
        "容量不足",
        "超过服务半径",
        "未接通任何源点",
        "超过服务距离",
        "没有在用",
        "无热力管网图层",
        "经网络",
        "临路",
    ):
        assert reasons.str.contains(words).any(), words
    assert 0 < table["ready"].sum() < len(table)
    assert reference["idle"]["idle_rule"].notna().sum() > 20
    assert set(reference["evaluation"]["eval_class"]) == {"A", "B", "C", "D"}
    # the Hilbert partitions cut parks: some park is in several partitions, some partition has several parks
    ddf = province_frame(province, PARTITIONS)
    assert ddf.npartitions == PARTITIONS
    parks = [set(part["park_id"]) for part in dask.compute(*ddf.to_delayed(), scheduler="sync")]
    assert max(len(here) for here in parks) >= 2
    assert max(sum(park.park_id in here for here in parks) for park in province.parks) >= 2


def test_readiness_on_dask_is_the_single_machine_readiness(province, reference):
    got = province_readiness(province, partitions=PARTITIONS)
    assert differences(reference["readiness"], got) == []


def test_idle_land_on_dask_is_the_single_machine_idle_land(province, reference):
    got = province_idle(province, AS_OF, partitions=PARTITIONS)
    assert differences(reference["idle"], got) == []


def test_evaluation_on_dask_is_the_single_machine_evaluation(province, reference):
    got = province_evaluation(province, partitions=PARTITIONS)
    assert differences(reference["evaluation"], got) == []


def test_without_the_halo_the_results_differ(province, reference):
    # the comparison can fail: edges near a partition's parcels but outside its bounds are needed
    got = province_readiness(province, partitions=PARTITIONS, halo=lambda _d: 0.0)
    found = differences(reference["readiness"], got)
    assert any(line.startswith("water_distance_m") for line in found)
    # one service distance is not enough either: the distance to a network beyond reach looks 20 times as far
    short = province_readiness(province, partitions=PARTITIONS, halo=lambda d: d * 1.01)
    assert any("_distance_m" in line for line in differences(reference["readiness"], short))
    assert halo_m(40.0) == 801.0


def test_one_partition_and_many_give_the_same(province, reference):
    one = province_readiness(province, partitions=1)
    assert differences(reference["readiness"], one) == []
    many = province_idle(province, AS_OF, partitions=17)
    assert differences(reference["idle"], many) == []


@pytest.mark.cluster
def test_on_a_local_cluster_of_two_processes_by_its_address(province, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    ) as cluster:
        address = cluster.scheduler_address
        assert differences(reference["readiness"], province_readiness(province, client=address, partitions=5)) == []
        with distributed.Client(address) as client:
            assert differences(reference["idle"], province_idle(province, AS_OF, client=client, partitions=5)) == []
            got = province_evaluation(province, client=client, partitions=5)
            assert differences(reference["evaluation"], got) == []


def test_loads_added_in_pieces_are_those_of_the_whole_park():
    rng = np.random.default_rng(2)
    rows = np.arange(1000)
    src = rng.integers(0, 3, 1000)
    need = rng.uniform(0, 1, 1000) * 10.0 ** rng.integers(-8, 8, 1000)  # rounding depends on the order
    whole = np.zeros(3)
    np.add.at(whole, src, need)
    pieces = [np.column_stack([rows[k::4], src[k::4], need[k::4]]) for k in range(4)]
    assert add_loads(pieces[::-1], 3).tolist() == whole.tolist()  # to the last bit
    assert add_loads([], 2).tolist() == [0.0, 0.0]


def test_differences_names_what_differs():
    index = pd.MultiIndex.from_tuples([("A", "1"), ("A", "2")], names=["park_id", "parcel_id"])
    left = pd.DataFrame(
        {"x": [1.0, np.nan], "ok": pd.array([True, pd.NA], dtype="boolean"), "why": ["a", None]}, index=index
    )
    assert differences(left, left.copy()) == []
    near = left.assign(x=[1.0 + 1e-12, np.nan])
    assert differences(left, near) == []
    far = left.assign(x=[1.0 + 1e-6, np.nan])
    assert differences(left, far)[0].startswith("x: 1 row(s) differ")
    assert differences(left, left.assign(ok=pd.array([True, False], dtype="boolean")))[0].startswith("ok:")
    assert differences(left, left.assign(why=["a", "b"]))[0].startswith("why:")
    assert differences(left, left.iloc[::-1])[0].startswith("rows differ")


def test_a_province_refuses_a_park_twice_and_parcels_in_another_crs(province):
    park = province.parks[0]
    with pytest.raises(ValueError, match="repeat"):
        Province([park, park])
    moved = ParkData(park.config, park.parcels.to_crs(4490), park.lines, park.sources)
    with pytest.raises(ValueError, match="EPSG:4490"):
        Province([moved])
