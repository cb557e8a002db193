"""The exact choice is the best one: checked against brute force over every set of works on small random cases."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import planner.buildout.solve
from planner.buildout.model import Needs
from planner.buildout.solve import _lp, choose, greedy, relaxation_bound, relevant_works
from planner.buildout.works import work_frame


def random_needs(rng: np.random.Generator, n_works: int, n_targets: int) -> Needs:
    """Works with random costs in a random forest of prerequisites; targets needing 1–3 clauses of 1–3 works."""
    requires = [None] + [f"w{rng.integers(0, k)}" if rng.random() < 0.5 else None for k in range(1, n_works)]
    works = work_frame(
        [{"work_id": f"w{k}", "kind": "line", "network": "water", "cost_wan": float(rng.integers(1, 20)),
          "requires": requires[k]} for k in range(n_works)],
        crs=None,
    )  # fmt: skip
    clause_parcel, option_clause, option_work = [], [], []
    for p in range(n_targets):
        for _ in range(rng.integers(1, 4)):
            options = rng.choice(n_works, size=rng.integers(1, 4), replace=False)
            option_clause += [len(clause_parcel)] * len(options)
            option_work += options.tolist()
            clause_parcel.append(p)
    targets = pd.Series(rng.integers(1, 30, n_targets).astype(float), index=[f"p{k}" for k in range(n_targets)])
    return Needs(works, targets, targets.to_numpy() / 2, np.array(clause_parcel), np.array(option_clause),
                 np.array(option_work), pd.DataFrame(columns=["parcel_id", "item", "reason"]))  # fmt: skip


def brute_force(needs: Needs, budget: float) -> float:
    """The most weight made ready by any set of works closed under prerequisites within the budget."""
    cost = needs.works["cost_wan"].to_numpy()
    weight = needs.targets.to_numpy()
    best = 0.0
    for r in range(len(cost) + 1):
        for subset in itertools.combinations(range(len(cost)), r):
            built = np.zeros(len(cost), dtype=bool)
            built[list(subset)] = True
            if cost[built].sum() > budget + 1e-9:
                continue
            req = needs.requires[built]
            if (req >= 0).any() and not built[req[req >= 0]].all():
                continue
            best = max(best, float(weight[needs.ready_with(built)].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_the_milp_finds_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    needs = random_needs(rng, n_works=int(rng.integers(4, 10)), n_targets=int(rng.integers(2, 7)))
    budget = float(needs.works["cost_wan"].sum() * rng.uniform(0.2, 0.7))
    exact, fast = choose(needs, np.array([budget]))
    assert exact.method == "milp"
    assert exact.objective == pytest.approx(brute_force(needs, budget))
    assert fast.objective <= exact.objective + 1e-9
    built = exact.built_year > 0
    assert needs.works["cost_wan"].to_numpy()[built].sum() <= budget + 1e-9  # budget respected
    req = needs.requires[built]
    assert built[req[req >= 0]].all()  # prerequisites respected
    assert (needs.ready_with(built) == (exact.ready_year > 0)).all()


def test_greedy_beyond_the_exact_limit_says_so_with_its_bound():
    rng = np.random.default_rng(7)
    needs = random_needs(rng, n_works=8, n_targets=5)
    budget = float(needs.works["cost_wan"].sum() / 3)
    chosen, fast = choose(needs, np.array([budget]), exact_limit=0)
    assert chosen.method == "greedy" and chosen is fast
    optimum = brute_force(needs, budget)
    assert chosen.objective <= optimum + 1e-9 <= chosen.bound + 1e-6  # the LP relaxation bounds the optimum
    assert chosen.gap == pytest.approx((chosen.bound - chosen.objective) / chosen.bound)


def test_over_years_spending_stays_within_the_budget_to_date():
    rng = np.random.default_rng(3)
    needs = random_needs(rng, n_works=9, n_targets=6)
    budgets = np.array([10.0, 20.0, 30.0])
    for choice in choose(needs, budgets):
        cost = needs.works["cost_wan"].to_numpy()
        for year, cap in enumerate(budgets, start=1):
            assert cost[(choice.built_year > 0) & (choice.built_year <= year)].sum() <= cap + 1e-9
    assert greedy(needs, budgets).objective <= choose(needs, budgets)[0].objective + 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_the_bound_over_the_works_targets_can_use_is_the_bound_over_every_work(seed):
    """The LP relaxation over the clauses' works and their prerequisites has the optimum of the LP over every work."""
    rng = np.random.default_rng(seed)
    needs = random_needs(rng, n_works=40, n_targets=4)
    keep = relevant_works(needs)
    used = set(needs.option_work.tolist())
    assert used <= set(keep.tolist()) and len(keep) < len(needs.works)  # some works no target can use
    req = needs.requires[keep]
    assert set(req[req >= 0].tolist()) <= set(keep.tolist())  # closed under prerequisites
    for budgets, revenue in ((np.array([25.0]), 0.0), (np.array([10.0, 20.0, 40.0]), 0.5)):
        every = relaxation_bound(_lp(needs, budgets, revenue))
        some = relaxation_bound(_lp(needs, budgets, revenue, keep))
        assert some == pytest.approx(every, rel=1e-9, abs=1e-9)
        assert every > 0


@pytest.mark.parametrize("seed", range(8))
def test_greedy_among_the_works_targets_can_use_is_greedy_among_every_work(seed, monkeypatch):
    """The greedy over the clauses' works and their prerequisites makes the choice it makes over every work."""
    rng = np.random.default_rng(seed)
    needs = random_needs(rng, n_works=40, n_targets=6)
    budgets = np.array([15.0, 40.0]) if seed % 2 else np.array([30.0])
    fast = greedy(needs, budgets, revenue_per_mu=0.3 * (seed % 2))
    assert len(relevant_works(needs)) < len(needs.works)
    monkeypatch.setattr(planner.buildout.solve, "relevant_works", lambda n: np.arange(len(n.works)))
    every = greedy(needs, budgets, revenue_per_mu=0.3 * (seed % 2))  # the code before: every work priced
    assert fast.built_year.tolist() == every.built_year.tolist()
    assert fast.ready_year.tolist() == every.ready_year.tolist()
    assert fast.objective == every.objective
    assert (fast.built_year > 0).any()
