"""Choosing works under a budget, over one year or several: exact (MILP, HiGHS) or greedy with an upper bound.

The choice, over years ``t = 1 … K``: ``x[w, t]`` (work ``w`` built by the end of year
``t``), ``z[p, t]`` (target parcel ``p`` ready by then), both only ever switching on;

- a work only with its prerequisite: ``x[w, t] ≤ x[requires(w), t]``;
- a parcel ready only when each of its clauses (:class:`~planner.buildout.model.Needs`) has
  a work built: ``z[p, t] ≤ Σ_{w ∈ clause} x[w, t]`` — so works on different networks are
  chosen together;
- spending up to year ``t`` within the budget up to year ``t``, plus (滚动开发) the land
  revenue of the parcels ready by the year before: ``Σ c_w x[w, t] ≤ B_t + r Σ a_p z[p, t−1]``;

maximising the weight of the parcels ready at the end, earlier years breaking ties (each year
a parcel is ready earlier adds :data:`EARLY` of its weight). ``scipy.optimize.milp`` (HiGHS)
solves it exactly when it has at most ``exact_limit`` variables; beyond, a greedy adds, year by
year, the parcel completed at least cost per weight with its works, and the LP relaxation
bounds how far from the best it can be. Either way the result says which and the gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from planner.buildout.model import Needs

__all__ = ["EARLY", "Choice", "cheapest_bundles", "choose", "greedy", "relaxation_bound", "relevant_works"]

EARLY = 1e-3
"""The weight, relative to a parcel's own, of each year it is ready before the plan's last."""


@dataclass
class Choice:
    """Which works are built and by which year, and which target parcels are then ready.

    ``built_year``: the year (1…K) each work of ``needs.works`` is built by, 0 if not built;
    ``ready_year``: the same for each target. ``objective``: the weight ready at the end;
    ``bound``: no choice can make more ready (None where not worked out); ``gap``: the share by
    which the objective may fall short of the best (``(bound − objective) / bound``).
    """

    method: str
    built_year: np.ndarray
    ready_year: np.ndarray
    objective: float
    bound: float | None
    gap: float | None
    message: str = ""


@dataclass
class _Lp:
    """The MILP's matrices (variables: x by year, then z by year)."""

    c: np.ndarray
    a: scipy.sparse.csr_matrix
    upper: np.ndarray
    n_works: int
    n_targets: int
    years: int


def relevant_works(needs: Needs) -> np.ndarray:
    """The works (rows) a target can use: those of a clause and their prerequisites, all the way up, in order.

    The others only cost: no choice is worse without them, so the optimum of the choice (and of
    its LP relaxation) over these alone is the optimum over every work.
    """
    keep = np.zeros(len(needs.works), dtype=bool)
    step = np.unique(needs.option_work)
    keep[step] = True
    while len(step):
        up = needs.requires[step]
        up = np.unique(up[up >= 0])
        step = up[~keep[up]]
        keep[step] = True
    return np.flatnonzero(keep)


def _lp(needs: Needs, budgets: np.ndarray, revenue_per_mu: float, works: np.ndarray | None = None) -> _Lp:
    """The matrices of the choice over ``len(budgets)`` years (``budgets``: cumulative, 万元).

    ``works``: the rows of the works its variables stand for (default all), closed under
    prerequisites and holding every clause's works (:func:`relevant_works`).
    """
    n_p, k = len(needs.targets), len(budgets)
    rows_of = np.arange(len(needs.works)) if works is None else np.asarray(works, dtype=int)
    n_w = len(rows_of)
    cost = needs.works["cost_wan"].to_numpy(dtype=float)[rows_of]
    weight = needs.targets.to_numpy(dtype=float)
    at = np.full(len(needs.works), -1)
    at[rows_of] = np.arange(n_w)
    parent = needs.requires[rows_of]
    requires = np.where(parent >= 0, at[np.maximum(parent, 0)], -1)
    option_work = at[needs.option_work]

    def x(t: int) -> np.ndarray:
        return t * n_w + np.arange(n_w)

    def z(t: int) -> np.ndarray:
        return k * n_w + t * n_p + np.arange(n_p)

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    count = 0

    def add(row: np.ndarray, col: np.ndarray, val: np.ndarray, rhs: np.ndarray) -> None:
        nonlocal count
        rows.append(row + count)
        cols.append(col)
        vals.append(val)
        upper.append(rhs)
        count += len(rhs)

    has = np.flatnonzero(requires >= 0)
    n_c = len(needs.clause_parcel)
    for t in range(k):
        if t + 1 < k:  # built, or ready, stays so
            for var, n in ((x, n_w), (z, n_p)):
                r = np.arange(n)
                add(np.r_[r, r], np.r_[var(t), var(t + 1)], np.r_[np.ones(n), -np.ones(n)], np.zeros(n))
        r = np.arange(len(has))
        add(np.r_[r, r], np.r_[x(t)[has], x(t)[requires[has]]], np.r_[np.ones(len(has)), -np.ones(len(has))],
            np.zeros(len(has)))  # fmt: skip
        add(
            np.r_[np.arange(n_c), needs.option_clause],
            np.r_[z(t)[needs.clause_parcel], x(t)[option_work]],
            np.r_[np.ones(n_c), -np.ones(len(option_work))],
            np.zeros(n_c),
        )
        budget_cols, budget_vals = x(t), cost
        if revenue_per_mu > 0 and t > 0:
            budget_cols = np.r_[budget_cols, z(t - 1)]
            budget_vals = np.r_[budget_vals, -revenue_per_mu * needs.area_mu]
        add(np.zeros(len(budget_cols), dtype=int), budget_cols, budget_vals, np.array([budgets[t]]))
    c = np.zeros(k * (n_w + n_p))
    for t in range(k):
        c[z(t)] = -weight * (1.0 if t == k - 1 else EARLY * (k - 1 - t))
    a = scipy.sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(count, k * (n_w + n_p))
    )
    return _Lp(c, a, np.concatenate(upper), n_w, n_p, k)


def _years(values: np.ndarray, n: int, k: int) -> np.ndarray:
    """The first year (1…k) each of ``n`` variables is on, 0 if never, from their values by year."""
    on = values.reshape(k, n) > 0.5
    first = np.where(on.any(axis=0), on.argmax(axis=0) + 1, 0)
    return first.astype(int)


def _value(needs: Needs, ready_year: np.ndarray) -> float:
    return float(needs.targets.to_numpy(dtype=float)[ready_year > 0].sum())


def choose(
    needs: Needs,
    budgets: np.ndarray,
    *,
    revenue_per_mu: float = 0.0,
    exact_limit: int = 20_000,
    time_limit_s: float = 60.0,
) -> tuple[Choice, Choice]:
    """The best choice found, and the greedy one beside it: exact where the model has at most ``exact_limit``
    variables (HiGHS, within ``time_limit_s``; its gap where the time ran out), greedy with the LP bound beyond.
    """
    budgets = np.asarray(budgets, dtype=float)
    fast = greedy(needs, budgets, revenue_per_mu=revenue_per_mu)
    size = len(budgets) * (len(needs.works) + len(needs.targets))
    if not len(needs.targets):
        return fast, fast
    if size <= exact_limit:
        exact = _exact(needs, _lp(needs, budgets, revenue_per_mu), time_limit_s)
        if exact is not None:
            return (exact if exact.objective >= fast.objective - 1e-9 else fast), fast
    # the bound over the works a target can use: the same optimum, without the many works no target needs
    fast.bound = relaxation_bound(_lp(needs, budgets, revenue_per_mu, relevant_works(needs)))
    fast.gap = _gap(fast.objective, fast.bound)
    fast.message = "greedy; bound from the LP relaxation (HiGHS)"
    return fast, fast


def _exact(needs: Needs, lp: _Lp, time_limit_s: float) -> Choice | None:
    """The MILP solved by HiGHS; None when it found no solution in time."""
    result = milp(
        lp.c,
        constraints=LinearConstraint(lp.a, -np.inf, lp.upper),
        integrality=np.ones(len(lp.c)),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s, "mip_rel_gap": 1e-7},
    )
    if result.x is None:
        return None
    k = lp.years
    built = _years(result.x[: k * lp.n_works], lp.n_works, k)
    ready = _years(result.x[k * lp.n_works :], lp.n_targets, k)
    objective = _value(needs, ready)
    gap = float(result.mip_gap) if result.mip_gap is not None else 0.0
    bound = objective * (1 + gap) if result.status == 0 else None
    method = "milp" if result.status == 0 else "milp (time limit)"
    return Choice(method, built, ready, objective, bound, max(gap, 0.0), f"HiGHS: {result.message}")


def relaxation_bound(lp: _Lp) -> float | None:
    """The weight ready at the end no choice can exceed: the LP relaxation (HiGHS), its early-years bonus removed."""
    result = milp(lp.c, constraints=LinearConstraint(lp.a, -np.inf, lp.upper), bounds=Bounds(0, 1))
    if result.x is None:
        return None
    last = result.x[lp.years * lp.n_works + (lp.years - 1) * lp.n_targets :]
    weight = -lp.c[lp.years * lp.n_works + (lp.years - 1) * lp.n_targets :]
    return float(weight @ last)


def _gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return max(bound - objective, 0.0) / bound if bound > 0 else 0.0


def greedy(needs: Needs, budgets: np.ndarray, *, revenue_per_mu: float = 0.0, tries: int = 50) -> Choice:
    """Year by year, the target parcel completed at least cost per weight, with every work it still needs.

    A parcel's price is, for each of its clauses not yet met, the cheapest work with its
    unbuilt prerequisites (shared prerequisites counted once per clause, so never less than
    the bundle costs). The best parcel whose price fits what is left is built; where none
    fits, the bundles of the ``tries`` best are costed exactly.
    """
    budgets = np.asarray(budgets, dtype=float)
    keep = relevant_works(needs)
    if len(keep) < len(needs.works):  # the same choice among the works a target can use: the others are never built
        some = greedy(_among(needs, keep), budgets, revenue_per_mu=revenue_per_mu, tries=tries)
        built_year = np.zeros(len(needs.works), dtype=int)
        built_year[keep] = some.built_year
        return Choice("greedy", built_year, some.ready_year, some.objective, None, None)
    n_w, n_p = len(needs.works), len(needs.targets)
    cost = needs.works["cost_wan"].to_numpy(dtype=float)
    weight = needs.targets.to_numpy(dtype=float)
    built_year = np.zeros(n_w, dtype=int)
    ready_year = np.zeros(n_p, dtype=int)
    order = needs.levels()
    index = _Index.of(needs)
    spent = 0.0
    for year, budget in enumerate(budgets, start=1):
        revenue = revenue_per_mu * float(needs.area_mu[(ready_year > 0) & (ready_year < year)].sum())
        while True:
            built = built_year > 0
            chain = _chain_costs(cost, needs.requires, built, order)
            per_clause = np.full(len(needs.clause_parcel), np.inf)
            np.minimum.at(per_clause, needs.option_clause, chain[needs.option_work])
            price = np.bincount(needs.clause_parcel, weights=per_clause, minlength=n_p)
            left = budget + revenue - spent
            open_ = (ready_year == 0) & np.isfinite(price) & (weight > 0)
            ratio = np.where(open_, weight / np.maximum(price, 1e-9), -np.inf)
            sure = open_ & (price <= left + 1e-9)
            picks = [int(np.argmax(np.where(sure, ratio, -np.inf)))] if sure.any() else []
            picks += [
                int(q) for q in np.argsort(-np.where(open_ & ~sure, ratio, -np.inf))[:tries] if open_[q] and not sure[q]
            ]
            bundle = None
            for p in picks:
                found = index.bundle(p, chain, built)
                if float(cost[found].sum()) <= left + 1e-9:
                    bundle = found
                    break
            if bundle is None:
                break
            spent += float(cost[bundle].sum())
            built_year[bundle] = year
            now = needs.ready_with(built_year > 0)
            ready_year[now & (ready_year == 0)] = year
    return Choice("greedy", built_year, ready_year, _value(needs, ready_year), None, None)


def _among(needs: Needs, works: np.ndarray) -> Needs:
    """``needs`` over the rows ``works`` alone (in order, closed under prerequisites, holding every clause's)."""
    at = np.full(len(needs.works), -1)
    at[works] = np.arange(len(works))
    return Needs(needs.works.iloc[works].reset_index(drop=True), needs.targets, needs.area_mu, needs.clause_parcel,
                 needs.option_clause, at[needs.option_work], needs.blocked)  # fmt: skip


@dataclass
class _Index:
    """Each target's clauses and each clause's works, as offsets into sorted arrays."""

    needs: Needs
    clause_at: np.ndarray
    clause_ptr: np.ndarray
    option_at: np.ndarray
    option_ptr: np.ndarray

    @classmethod
    def of(cls, needs: Needs) -> _Index:
        by_parcel = np.argsort(needs.clause_parcel, kind="stable")
        by_clause = np.argsort(needs.option_clause, kind="stable")
        clause_ptr = np.searchsorted(needs.clause_parcel[by_parcel], np.arange(len(needs.targets) + 1))
        option_ptr = np.searchsorted(needs.option_clause[by_clause], np.arange(len(needs.clause_parcel) + 1))
        return cls(needs, by_parcel, clause_ptr, needs.option_work[by_clause], option_ptr)

    def bundle(self, p: int, chain: np.ndarray, built: np.ndarray) -> np.ndarray:
        """The works target ``p`` still needs: for each unmet clause its cheapest work, with unbuilt prerequisites."""
        chosen: set[int] = set()
        requires = self.needs.requires
        for clause in self.clause_at[self.clause_ptr[p] : self.clause_ptr[p + 1]]:
            options = self.option_at[self.option_ptr[clause] : self.option_ptr[clause + 1]]
            if built[options].any() or any(w in chosen for w in options):
                continue
            w = int(options[np.argmin(chain[options])])
            while w >= 0 and not built[w] and w not in chosen:
                chosen.add(w)
                w = int(requires[w])
        return np.array(sorted(chosen), dtype=int)


def _chain_costs(cost: np.ndarray, requires: np.ndarray, built: np.ndarray, order: list[np.ndarray]) -> np.ndarray:
    """What building each work costs now: itself and its prerequisites not yet built."""
    chain = np.where(built, 0.0, cost)
    for level in order[1:]:
        chain[level] += chain[requires[level]]
    return chain


def cheapest_bundles(needs: Needs) -> list[np.ndarray]:
    """For each target, the works that make it ready from the park as it is.

    Per clause its cheapest work, with its prerequisites (as :func:`greedy` prices a target).
    """
    built = np.zeros(len(needs.works), dtype=bool)
    chain = _chain_costs(needs.works["cost_wan"].to_numpy(dtype=float), needs.requires, built, needs.levels())
    index = _Index.of(needs)
    return [index.bundle(p, chain, built) for p in range(len(needs.targets))]
