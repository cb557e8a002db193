"""The build-out plan: which works to build, in which year and quarter, so that the most land becomes 熟地.

:func:`make_plan` gathers the works (planned lines drawn in the park's layers, given upgrades,
candidate extensions along the roads, upgrades and leveling proposed where needed), reads
off the network model what each target parcel needs (:mod:`planner.buildout.model`),
chooses under the budget (:mod:`planner.buildout.solve`), and verifies the choice by
construction: the works are applied to the layers and readiness is run by the same model
(:func:`~planner.buildout.scenario.scenario_readiness`). ``newly_ready`` is what that run
finds — exactly what ``planner readiness`` finds on the park written by :func:`apply_to_store`.

Within a year the works are built prerequisites first, the cheapest completions first, and
spread over its four quarters by their cumulative cost; a parcel is ready in the quarter its
last work is done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry

from planner.analysis import ReadinessInputs, ReadinessRun, readiness_of
from planner.buildout.candidates import candidate_lines
from planner.buildout.costs import UnitCosts
from planner.buildout.model import Needs, parcel_needs
from planner.buildout.scenario import Scenario, scenario_readiness
from planner.buildout.solve import Choice, choose
from planner.buildout.works import drawn_works, given_works, work_frame
from planner.errors import Problem, WorkError
from planner.infra.graphs import GraphCache, network_fingerprint
from planner.infra.network import Network
from planner.inputs import PLAUSIBLE, plausible_why
from planner.vocab import CHECKLIST_ITEMS, NETWORKS, WORK_KINDS

__all__ = [
    "Plan", "PlanOptions", "default_targets", "demand_by_quarter", "land_price_per_mu", "make_plan", "plan_needs",
]  # fmt: skip


@dataclass(frozen=True)
class PlanOptions:
    """What a plan is asked: the budget (万元), over how many years, from when, and how.

    ``budget_wan``: the whole budget; ``budget_per_year_wan``: the most spent in a year
    (default ``budget_wan / years``); unspent budget carries over to the next year.
    ``revenue``: 滚动开发 — land revenue of newly ready land (``price_per_mu_wan``, default the
    park's median granted price per 亩, times ``revenue_share``) pays for later years' works.
    ``exact_limit``, ``time_limit_s``: when HiGHS solves exactly, and for how long.
    """

    budget_wan: float
    years: int = 1
    budget_per_year_wan: float | None = None
    start: date | None = None
    revenue: bool = False
    price_per_mu_wan: float | None = None
    revenue_share: float = 1.0
    candidates: bool = True
    exact_limit: int = 20_000
    time_limit_s: float = 60.0

    def check(self) -> None:
        """Raise :class:`~planner.errors.WorkError` naming the option that is not allowed."""
        for name in ("budget_wan", "budget_per_year_wan", "price_per_mu_wan"):
            value = getattr(self, name)
            if value is None and name != "budget_wan":
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value) or value <= 0:
                msg = f"`{name}` must be a number of 万元 > 0, got {value!r}"
                raise WorkError(msg, field=name, zh=f"`{name}` 须为大于 0 的万元数，收到 {value!r}")
            limit, why = PLAUSIBLE["wan_yuan"]
            if value > limit:
                msg = f"`{name}` must be at most {limit:,.0f} 万元 ({why}), got {value:,.0f}"
                zh = f"`{name}` 最多 {limit:,.0f} 万元（{plausible_why('wan_yuan', 'zh')}），收到 {value:,.0f}"
                raise WorkError(msg, field=name, zh=zh)
        if not isinstance(self.years, int) or not 1 <= self.years <= 30:
            msg = f"`years` must be a whole number from 1 to 30, got {self.years!r}"
            raise WorkError(msg, field="years", zh=f"`years` 须为 1 至 30 的整数，收到 {self.years!r}")
        if self.start is not None and not date(1990, 1, 1) <= self.start <= date(2100, 12, 31):
            msg = f"`start` must be a date from 1990 to 2100, got {self.start.isoformat()}"
            zh = f"`start` 须为 1990 至 2100 年间的日期，收到 {self.start.isoformat()}"
            raise WorkError(msg, field="start", zh=zh)
        if not 0 < self.revenue_share <= 1:
            msg = f"`revenue_share` must be above 0 and at most 1, got {self.revenue_share!r}"
            zh = f"`revenue_share` 须大于 0 且不大于 1，收到 {self.revenue_share!r}"
            raise WorkError(msg, field="revenue_share", zh=zh)

    def budgets(self) -> np.ndarray:
        """The budget available up to the end of each year (cumulative, 万元)."""
        per_year = self.budget_per_year_wan or self.budget_wan / self.years
        return np.minimum(self.budget_wan, per_year * np.arange(1, self.years + 1))


@dataclass
class Plan:
    """A build-out plan: the works chosen in order, the land they make ready, verified on the network model."""

    options: PlanOptions
    works: pd.DataFrame
    """The works chosen, in order: year, quarter, completion date, cost, length, the parcels each completes."""
    newly_ready: list[str]
    """The parcels the plan makes 熟地, as readiness on the park with the works built finds them."""
    forecast: pd.DataFrame
    choice: Choice
    greedy: Choice
    needs: Needs
    scenario: Scenario
    price_per_mu_wan: float | None
    problems: list[Problem] = field(default_factory=list)
    projects: Mapping[str, list[str]] = field(default_factory=dict)
    """Pipeline projects by parcel: which projects each target parcel would serve."""
    chosen: gpd.GeoDataFrame | None = None
    """The works chosen with their geometry (the works table's rows)."""
    area_mu: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    """Every parcel's area (亩), by ``parcel_id``."""
    demand_later_mu: float | None = None
    """Pipeline demand (亩) wanted after the plan's last quarter (``None``: no pipeline demand given)."""

    @property
    def cost_wan(self) -> float:
        """What the works chosen cost."""
        return float(self.works["cost_wan"].sum()) if len(self.works) else 0.0

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The plan as JSON-ready values: works, ``newly_ready``, the forecast by quarter, method and gap."""
        area = self.scenario.before.readiness.table.index
        ready_mu = float(self.area_mu.reindex(self.newly_ready).sum())
        shapes = self._geometry()
        return {
            "budget_wan": self.options.budget_wan,
            "years": self.options.years,
            "budget_per_year_wan": self.options.budget_per_year_wan,
            "method": self.choice.method,
            "gap": None if self.choice.gap is None else round(self.choice.gap, 6),
            "objective": round(self.choice.objective, 4),
            "bound": None if self.choice.bound is None else round(self.choice.bound, 4),
            "greedy_objective": round(self.greedy.objective, 4),
            "cost_wan": round(self.cost_wan, 2),
            "newly_ready_area_mu": round(ready_mu, 2),
            "wan_per_mu": round(self.cost_wan / ready_mu, 2) if ready_mu > 0 else None,
            "price_per_mu_wan": self.price_per_mu_wan,
            "works": [
                {**_plain_row(r), "geometry": shapes.get(str(r["work_id"]))}
                for r in self._labelled(lang).to_dict("records")
            ],
            "newly_ready": list(self.newly_ready),
            "promised_not_verified": sorted(set(self._modelled()) - set(self.newly_ready)),
            "no_longer_ready": list(self.scenario.no_longer_ready),
            "blocked": int(self.needs.blocked["parcel_id"].nunique()) if len(self.needs.blocked) else 0,
            "forecast": [_plain_row(r) for r in self.forecast.to_dict("records")],
            "demand_later_mu": self.demand_later_mu,
            "problems": [p.as_dict() for p in self.problems],
            "parcels": len(area),
        }

    def _geometry(self) -> dict[str, Any]:
        """Each chosen work's geometry as GeoJSON in WGS84 lon/lat (for ``planner map --plan``), by ``work_id``."""
        if self.chosen is None or not len(self.chosen) or self.chosen.crs is None:
            return {}
        geoms = self.chosen.to_crs(4326).geometry
        return {str(w): (None if g is None or g.is_empty else shapely.geometry.mapping(shapely.set_precision(g, 1e-6)))
                for w, g in zip(self.chosen["work_id"], geoms, strict=True)}  # fmt: skip

    def _modelled(self) -> list[str]:
        return self.needs.targets.index[self.choice.ready_year > 0].tolist()

    def _labelled(self, lang: str) -> pd.DataFrame:
        out = self.works.copy()
        i = 0 if lang == "zh" else 1
        out["kind_label"] = out["kind"].map(lambda k: WORK_KINDS[k][i])
        out["network_label"] = out["network"].map(lambda n: (NETWORKS.get(n) or CHECKLIST_ITEMS[n])[i])
        return out


def _plain_row(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if isinstance(value, float | np.floating):
            out[key] = None if not np.isfinite(value) else round(float(value), 2)
        elif isinstance(value, np.integer):
            out[key] = int(value)
        elif isinstance(value, pd.Timestamp):
            out[key] = None if pd.isna(value) else value.date().isoformat()
        elif value is pd.NaT or (not isinstance(value, list | str) and pd.isna(value)):
            out[key] = None
        else:
            out[key] = value
    return out


def default_targets(parcels: pd.DataFrame) -> pd.Series:
    """The land a plan makes ready by default: reserved land (储备), weighted by its area in 亩."""
    reserved = parcels[parcels["status"] == "reserved"]
    return pd.Series(reserved["area_mu"].to_numpy(dtype=float), index=reserved["parcel_id"].to_numpy())


def land_price_per_mu(parcels: pd.DataFrame) -> float:
    """The park's land price per 亩 (万元): the median over granted parcels with a price (出让, ``land_price_wan``).

    Raises
    ------
    WorkError
        If no granted parcel records a price.
    """
    granted = parcels[(parcels["supply_mode"] == "grant") & (parcels["land_price_wan"].astype(float) > 0)]
    if not len(granted):
        msg = "no granted parcel records a `land_price_wan`: give the land price per 亩 (`price_per_mu_wan`)"
        zh = "没有出让宗地记有 `land_price_wan`：请给出每亩地价（`price_per_mu_wan`）"
        raise WorkError(msg, field="price_per_mu_wan", zh=zh)
    return float((granted["land_price_wan"].astype(float) / granted["area_mu"].astype(float)).median())


def plan_needs(
    inputs: ReadinessInputs,
    before: ReadinessRun,
    *,
    targets: pd.Series | None = None,
    given: Sequence[Mapping[str, Any]] = (),
    candidates: bool = True,
    graphs: GraphCache | None = None,
) -> tuple[Needs, list[Problem]]:
    """The works (drawn, ``given``, and with ``candidates`` proposed along the roads) and what each target needs.

    The part of a plan that does not depend on the budget: worked out once, it serves plans
    of any budget (:func:`make_plan`'s ``prepared``). ``targets``: weight of each parcel to make
    ready (by ``parcel_id``; default :func:`default_targets`). ``graphs``: the graphs ``before``
    was worked out with (:func:`~planner.analysis.readiness_of`); the road network kept there is
    read instead of noding the roads again for the candidates.
    """
    costs = UnitCosts.load(inputs.config.unit_costs)
    crs = inputs.parcels.crs
    drawn, problems = drawn_works(inputs.lines, costs)
    frames = [drawn, given_works(list(given), inputs.sources, costs, crs)]
    if candidates:
        frames.append(candidate_lines(inputs.lines, costs, roads_built=_kept_roads(inputs, graphs)))
    frames = [f for f in frames if len(f)]
    works = work_frame(pd.concat(frames, ignore_index=True), crs) if frames else work_frame([], crs)
    weights = default_targets(inputs.parcels) if targets is None else targets
    needs = parcel_needs(inputs, before, works, weights, costs)
    return needs, problems + _date_order(needs.works)


def _kept_roads(inputs: ReadinessInputs, graphs: GraphCache | None) -> Network | None:
    """The road network ``graphs`` keeps of these roads and sources (None: not kept, or kept of other ones)."""
    roads = inputs.lines.get("road")
    if graphs is None or roads is None or not len(roads):
        return None
    fingerprint = network_fingerprint("road", roads, inputs.sources)
    return None if graphs.stale("road", fingerprint) else graphs.network("road", roads, inputs.sources,
                                                                         fingerprint=fingerprint)  # fmt: skip


def make_plan(
    inputs: ReadinessInputs,
    options: PlanOptions,
    *,
    targets: pd.Series | None = None,
    given: Sequence[Mapping[str, Any]] = (),
    before: ReadinessRun | None = None,
    projects: Mapping[str, list[str]] | None = None,
    prepared: tuple[Needs, list[Problem]] | None = None,
    demand: Sequence[tuple[date | None, float]] = (),
) -> Plan:
    """Plan the works that make the most ``targets`` land ready within the budget, verified on the network model.

    ``targets``: weight of each parcel to make ready (by ``parcel_id``; default
    :func:`default_targets`); ``given``: source upgrades of a works file
    (:func:`~planner.buildout.works.given_works`); ``before``: readiness as the park is
    (computed if not given); ``projects``: for pipeline targets, the projects each parcel serves;
    ``prepared``: :func:`plan_needs` of the same park, targets and works, already worked out;
    ``demand``: the pipeline's land (亩) and the date each project wants to start (``None``: now),
    set beside the forecast by quarter (:func:`demand_by_quarter`).
    """
    options.check()
    before = before or readiness_of(inputs)
    needs, problems = prepared or plan_needs(
        inputs, before, targets=targets, given=given, candidates=options.candidates
    )
    price = None
    if options.revenue:
        price = options.price_per_mu_wan or land_price_per_mu(inputs.parcels)
    revenue = (price or 0.0) * options.revenue_share
    choice, fast = choose(
        needs, options.budgets(), revenue_per_mu=revenue, exact_limit=options.exact_limit,
        time_limit_s=options.time_limit_s,
    )  # fmt: skip
    chosen = needs.works[choice.built_year > 0]
    scenario = scenario_readiness(inputs, chosen, before)
    start = pd.Timestamp(options.start or date.today())
    table, forecast = _schedule(needs, choice, start, set(scenario.newly_ready), projects or {})
    area = pd.Series(inputs.parcels["area_mu"].to_numpy(dtype=float), index=inputs.parcels["parcel_id"].to_numpy())
    later = None
    if demand:
        forecast, later = demand_by_quarter(forecast, demand, start)
    return Plan(options, table, scenario.newly_ready, forecast, choice, fast, needs, scenario, price, list(problems),
                dict(projects or {}), chosen, area, later)  # fmt: skip


def demand_by_quarter(
    forecast: pd.DataFrame, demand: Sequence[tuple[date | None, float]], start: pd.Timestamp
) -> tuple[pd.DataFrame, float]:
    """The pipeline's demand beside the ready-land forecast: 亩 wanted in each quarter, running total, shortfall.

    A project wants its land in the quarter of its start date; one with no date, or a date
    before the plan starts, wants it in the first quarter. ``shortfall_mu``: demand so far
    not met by land made ready so far. Returns the forecast with ``demand_mu``,
    ``cumulative_demand_mu``, ``shortfall_mu``, and the demand after the last quarter (亩).
    """
    first = start.year * 4 + start.quarter - 1
    k = np.array([0 if d is None else max(d.year * 4 + (d.month - 1) // 3 - first, 0) for d, _ in demand], dtype=int)
    mu = np.array([float(m) for _, m in demand], dtype=float)
    n = len(forecast)
    wanted = np.bincount(k[k < n], weights=mu[k < n], minlength=n)
    out = forecast.copy()
    out["demand_mu"] = wanted
    out["cumulative_demand_mu"] = np.cumsum(wanted)
    out["shortfall_mu"] = np.maximum(out["cumulative_demand_mu"] - out["cumulative_mu"], 0.0)
    return out, float(mu[k >= n].sum())


def _date_order(works: pd.DataFrame) -> list[Problem]:
    """Works planned before the work they need: their dates are out of order."""
    when = pd.to_datetime(works["planned_date"]).to_numpy()
    need = works["requires"].to_numpy(dtype=object, na_value=None)
    # only works with a date can be out of order, and only against works with a date (candidates have none)
    dated = np.flatnonzero(~pd.isna(when))
    rows = dated[np.array([need[k] is not None for k in dated], dtype=bool)]
    ids = pd.Index(np.array([str(w) for w in works["work_id"].to_numpy(dtype=object)[dated]], dtype=object))
    at = ids.get_indexer(np.array([str(need[k]) for k in rows], dtype=object))
    needed = np.where(at >= 0, when[dated[np.maximum(at, 0)]], np.datetime64("NaT"))
    early = np.flatnonzero((at >= 0) & ~pd.isna(needed) & (when[rows] < needed))
    out = []
    for j in early:  # only the works out of order: few
        k = rows[j]
        work_id, first, later = works["work_id"].iloc[k], pd.Timestamp(needed[j]), pd.Timestamp(when[k])
        out.append(Problem("warning", str(work_id), "planned_date",
                           f"planned for {later.date()}, before the work it needs ({need[k]}, {first.date()})",
                           feature="work",
                           zh=f"计划于 {later.date()}，早于其所依赖的工程（{need[k]}，{first.date()}）"))  # fmt: skip
    return out


def _schedule(
    needs: Needs, choice: Choice, start: pd.Timestamp, verified: set[str], projects: Mapping[str, list[str]]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The works chosen in order with their quarter and the parcels each completes; the forecast by quarter."""
    works = needs.works
    built = choice.built_year
    rows = np.flatnonzero(built > 0)
    depth = needs.depth()
    order = rows[np.lexsort((works["cost_wan"].to_numpy()[rows], depth[rows], built[rows]))]
    quarter = np.zeros(len(works), dtype=int)
    for year in np.unique(built[order]):
        mine = order[built[order] == year]
        spend = np.cumsum(works["cost_wan"].to_numpy(dtype=float)[mine])
        share = spend / spend[-1] if spend[-1] > 0 else np.ones(len(mine))
        quarter[mine] = (year - 1) * 4 + np.clip(np.ceil(share * 4 - 1e-9), 1, 4).astype(int)
    done = _completes(needs, choice, quarter)
    ids = needs.targets.index.to_numpy()
    area = needs.area_mu
    table = works.iloc[order].drop(columns="geometry").reset_index(drop=True)
    table.insert(0, "order", np.arange(1, len(order) + 1))
    table["year"] = built[order]
    table["quarter"] = [_label(start, q) for q in quarter[order]]
    table["completed"] = [_end(start, q).date().isoformat() for q in quarter[order]]
    ok = (done >= 0) & np.isin(ids, list(verified))
    by_work = pd.DataFrame({"work": done[ok], "parcel": ids[ok], "area": area[ok]}).groupby("work")
    made = [list(by_work.get_group(w)["parcel"]) if w in by_work.groups else [] for w in order]
    table["parcels"] = made
    table["area_mu"] = by_work["area"].sum().reindex(order).fillna(0.0).to_numpy()
    table["wan_per_mu"] = [c / a if a > 0 else np.nan for c, a in zip(table["cost_wan"], table["area_mu"], strict=True)]
    table["projects"] = [sorted({p for pid in m for p in projects.get(pid, [])}) for m in made]
    keep = ["order", "work_id", "kind", "network", "name", "origin", "cost_wan", "cost_basis", "length_m",
            "size_class", "source_id", "capacity_added", "parcel_id", "requires", "year", "quarter", "completed",
            "planned_date", "parcels", "area_mu", "wan_per_mu", "projects"]  # fmt: skip
    return table[keep], _forecast(done, quarter, ids, area, verified, start, choice.built_year.max(initial=0))


def _completes(needs: Needs, choice: Choice, quarter: np.ndarray) -> np.ndarray:
    """For each target, the work whose completion makes it ready (the last one it waits for), ``-1`` if none.

    A clause is met when its first option is done with its prerequisites (built before it);
    the target is ready when its last clause is met.
    """
    never = np.iinfo(np.int64).max
    chain_end = np.where(choice.built_year > 0, quarter, never).astype(np.int64)
    for level in needs.levels()[1:]:
        chain_end[level] = np.maximum(chain_end[level], chain_end[needs.requires[level]])
    options = pd.DataFrame(
        {"clause": needs.option_clause, "work": needs.option_work, "end": chain_end[needs.option_work]}
    )
    first = options.sort_values(["clause", "end"], kind="stable").drop_duplicates("clause")
    clauses = pd.DataFrame(
        {"parcel": needs.clause_parcel[first["clause"].to_numpy()], "end": first["end"].to_numpy(),
         "work": first["work"].to_numpy()}
    )  # fmt: skip
    last = clauses.sort_values(["parcel", "end"], kind="stable").drop_duplicates("parcel", keep="last")
    met = last[last["end"] < never]
    done = np.full(len(needs.targets), -1)
    done[met["parcel"].to_numpy()] = met["work"].to_numpy()
    done[choice.ready_year == 0] = -1
    return done


def _label(start: pd.Timestamp, q: int) -> str:
    first = start.year * 4 + (start.quarter - 1) + (q - 1)
    return f"{first // 4}Q{first % 4 + 1}"


def _end(start: pd.Timestamp, q: int) -> pd.Timestamp:
    first = start.year * 4 + (start.quarter - 1) + (q - 1)
    return pd.Timestamp(year=first // 4, month=(first % 4) * 3 + 3, day=1) + pd.offsets.MonthEnd(0)


def _forecast(
    done: np.ndarray,
    quarter: np.ndarray,
    ids: np.ndarray,
    area: np.ndarray,
    verified: set[str],
    start: pd.Timestamp,
    years: int,
) -> pd.DataFrame:
    """Ready land by quarter (熟地供应计划): parcels and 亩 made ready in each quarter, and the running total."""
    ok = (done >= 0) & np.isin(ids, list(verified))
    q = np.where(ok, quarter[np.maximum(done, 0)], 0)
    rows = []
    total = 0.0
    for k in range(1, 4 * max(years, 1) + 1):
        mine = q == k
        total += float(area[mine].sum())
        rows.append({"quarter": _label(start, k), "end": _end(start, k).date().isoformat(),
                     "parcels": int(mine.sum()), "area_mu": float(area[mine].sum()),
                     "cumulative_mu": total})  # fmt: skip
    return pd.DataFrame(rows)
