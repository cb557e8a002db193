"""All networks of a park at once: the same results in one process or several."""

from __future__ import annotations

import pandas as pd

from planner.infra.coverage import network_coverage
from planner.infra.layers import line_layer
from planner.infra.network import build_network
from planner.infra.park import park_coverage
from planner.store import open_store
from planner.vocab import NETWORK_ITEMS


def test_processes_give_the_results_of_one_network_after_the_other(demo_park):
    store = open_store(demo_park.path)
    config = store.config()
    parcels = store.read_parcels()
    sources = store.read_layer("sources")
    lines = {net: store.read_layer(line_layer(net)) for net in NETWORK_ITEMS}
    settings = {net: config.networks[net] for net in NETWORK_ITEMS}
    factor = config.threshold("power_coincidence_factor")
    seen: list[str] = []
    alone = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=1)
    shared = park_coverage(parcels, lines, sources, settings, power_factor=factor, workers=2, progress=seen.append)
    assert seen == list(NETWORK_ITEMS)
    for net in NETWORK_ITEMS:
        network = build_network(net, lines[net], sources)
        direct = network_coverage(
            network,
            parcels,
            service_distance_m=settings[net]["service_distance_m"],
            service_radius_m=settings[net]["service_radius_m"],
            power_factor=factor,
        )
        for run in (alone[net], shared[net]):
            assert run.edges == len(network.edges)
            assert [str(p) for p in run.problems] == [str(p) for p in network.problems]
            pd.testing.assert_frame_equal(run.coverage.table, direct.table)
            pd.testing.assert_frame_equal(run.coverage.sources, direct.sources)
