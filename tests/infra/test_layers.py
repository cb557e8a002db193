"""The infrastructure layers: each source's capacity read from its network's column, in its unit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.infra.layers import source_capacity


def test_each_source_states_its_capacity_in_its_networks_column_and_unit():
    sources = pd.DataFrame(
        {
            "network": ["power", "water", "drainage", "gas", "heat", "telecom", "road", "power"],
            "capacity_kva": [40000.0, None, None, None, None, None, None, None],
            "capacity_m3d": [None, 60000.0, 40000.0, None, None, None, None, None],
            "capacity_nm3h": [None, None, None, 5000.0, None, None, None, None],
            "capacity_mw": [None, None, None, None, 120.0, None, None, None],
            "capacity_ports": [None, None, None, None, None, 60000.0, None, None],
        },
        index=pd.Index([f"S{i}" for i in range(8)]),
    )
    zh = source_capacity(sources)
    assert zh.index.equals(sources.index)
    np.testing.assert_array_equal(zh["capacity"], [40000, 60000, 40000, 5000, 120, 60000, np.nan, np.nan])
    assert zh["unit"].tolist() == ["kVA", "m³/日", "m³/日", "Nm³/h", "MW", "端口", "", "kVA"]
    assert source_capacity(sources, "en")["unit"].tolist() == ["kVA", "m³/d", "m³/d", "Nm³/h", "MW", "ports", "", "kVA"]


def test_a_capacity_in_another_networks_column_is_not_the_sources():
    sources = pd.DataFrame({"network": ["water"], "capacity_kva": [40000.0], "capacity_m3d": [None]})
    assert np.isnan(source_capacity(sources)["capacity"].iloc[0])
