"""Chains of prerequisites by pointer jumping against a walk a link at a time; the items each row holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.buildout.depth import by_depth, chain_depth
from planner.buildout.reach import _chain_bounds, _chain_bounds_slowly
from planner.buildout.scenario import holds


def _forest(n: int, seed: int) -> np.ndarray:
    """Random prerequisites (each row's parent, ``-1`` none), shuffled so that a parent may come after its child."""
    rng = np.random.default_rng(seed)
    parent = np.array([rng.integers(-1, i) if i else -1 for i in range(n)], dtype=int)
    if n > 3:  # one long chain among them: an extension grown segment by segment
        parent[n // 2 :] = np.arange(n // 2 - 1, n - 1)
    order = rng.permutation(n)
    at = np.argsort(order)
    return np.where(parent[order] >= 0, at[np.maximum(parent[order], 0)], -1)


def _walked(requires: np.ndarray) -> np.ndarray:
    """How many links before each row, walked a link at a time (the code before)."""
    depth = np.zeros(len(requires), dtype=int)
    for row in range(len(requires)):
        up = requires[row]
        while up >= 0:
            depth[row] += 1
            up = requires[up]
    return depth


@pytest.mark.parametrize(("n", "seed"), [(0, 0), (1, 0), (2, 1), (7, 2), (300, 3), (2000, 4)])
def test_depth_and_levels_are_those_walked_a_link_at_a_time(n, seed):
    requires = _forest(n, seed)
    want = _walked(requires)
    assert chain_depth(requires).tolist() == want.tolist()
    levels = by_depth(want)
    assert len(levels) == int(want.max(initial=0)) + 1
    for d, rows in enumerate(levels):
        assert rows.tolist() == np.flatnonzero(want == d).tolist()
    if n > 3:
        assert want.max() >= n // 2  # the long chain is there


def test_a_cycle_is_named_and_the_bounds_are_infinite_on_it():
    requires = np.array([-1, 0, 3, 2, 3])  # 2 and 3 require each other; 4 hangs off the cycle
    with pytest.raises(ValueError, match="cycle"):
        chain_depth(requires)
    reach = _chain_bounds(requires, np.array([0.0, 10, 20, 30, 40]), np.array([5.0, 5, 5, 5, 5]))
    assert reach[:2].tolist() == [5.0, 20.0]  # 0 + 5; then 5 + (10 - 0) + 5
    assert np.isinf(reach[2:]).all()


@pytest.mark.parametrize("seed", range(3))
def test_chain_bounds_level_by_level_are_those_step_by_step(seed):
    rng = np.random.default_rng(seed)
    requires = _forest(500, seed)
    entry, span = rng.uniform(0, 5000, 500), rng.uniform(1, 200, 500)
    assert _chain_bounds(requires, entry, span).tolist() == _chain_bounds_slowly(requires, entry, span).tolist()


def test_holds_reads_the_missing_items_of_each_row():
    table = pd.DataFrame({"missing": ["", None, "gas", "gas,heat", "heat,gasworks", "gas", "road,gas,water"]})
    assert holds(table, "gas").tolist() == [True, True, False, False, True, False, False]
    assert holds(table, "heat").tolist() == [True, True, True, False, False, True, True]
    assert holds(table.iloc[:0], "gas").tolist() == []
