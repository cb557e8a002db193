"""Works (工程): planned lines of any network, source upgrades and site leveling, with their costs.

A work is one row of a works table (:data:`WORK_COLUMNS`, a GeoDataFrame in the park's CRS):

- ``line``: a line of a network's layer that is not in service (``in_service = false``),
  with its ``planned_date`` and ``cost_wan`` (:func:`drawn_works`), or a candidate
  extension along a road that does not carry the network yet (:mod:`planner.buildout.candidates`);
- ``upgrade``: capacity added to a source (``source_id``, ``capacity_added`` in the unit of
  its network), from a works file or proposed where a source is short;
- ``leveling``: a parcel leveled (场地平整), its earthwork from the DEM.

A cost not given comes from the unit costs (:class:`~planner.buildout.costs.UnitCosts`);
``cost_basis`` says which. ``requires`` names the work that must be built first (the last
work on the way from the network's source, :mod:`planner.buildout.model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.buildout.costs import UnitCosts
from planner.errors import Problem, WorkError
from planner.infra.network import SNAP_M
from planner.vocab import CAPACITY_COLUMN, CHECKLIST_ITEMS, NETWORK_ITEMS, NETWORKS

__all__ = ["WORK_COLUMNS", "concat_works", "drawn_works", "empty_works", "given_works", "leveling_works", "work_frame"]

WORK_COLUMNS: Mapping[str, str] = {
    "work_id": "object",
    "kind": "object",
    "origin": "object",
    "network": "object",
    "line_id": "object",
    "name": "object",
    "length_m": "float64",
    "size_class": "object",
    "cost_wan": "float64",
    "cost_basis": "object",
    "planned_date": "datetime64[ns]",
    "source_id": "object",
    "capacity_added": "float64",
    "parcel_id": "object",
    "earthwork_m3": "float64",
    "requires": "object",
}
"""The columns of a works table (besides the geometry) and their dtypes.

``origin``: ``drawn`` (a planned line of the park's layers), ``given`` (a works file),
``candidate`` (proposed by the planner). ``network`` is the checklist item the work serves
(a network, or ``leveled``).
"""


def work_frame(rows: Sequence[Mapping[str, Any]] | pd.DataFrame, crs: Any) -> gpd.GeoDataFrame:
    """A works table from ``rows`` (dicts, or a frame, of :data:`WORK_COLUMNS` and ``geometry``), every column typed."""
    frame = rows.reset_index(drop=True) if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    for column, dtype in WORK_COLUMNS.items():
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype=object)
        frame[column] = frame[column].astype(dtype)
    geometry = frame["geometry"] if "geometry" in frame else gpd.GeoSeries([None] * len(frame))
    return gpd.GeoDataFrame(frame[list(WORK_COLUMNS)], geometry=gpd.GeoSeries(geometry.to_numpy(), crs=crs), crs=crs)


def concat_works(frames: Sequence[pd.DataFrame], crs: Any) -> gpd.GeoDataFrame:
    """The works tables ``frames`` one after the other, as one works table (every column typed)."""
    return work_frame(pd.concat([pd.DataFrame(f) for f in frames], ignore_index=True), crs)


def empty_works(crs: Any) -> gpd.GeoDataFrame:
    """A works table with no row."""
    return work_frame([], crs)


def drawn_works(
    lines: Mapping[str, gpd.GeoDataFrame], costs: UnitCosts, *, strict: bool = False
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The planned lines of the park's layers (``in_service`` false) as works, with their costs.

    A line's ``cost_wan`` prevails; else its length times the unit cost of its size class.
    A planned line that touches no other line of its network (within :data:`~planner.infra.network.SNAP_M`)
    carries nothing built alone: it is reported (a plan may still link it through candidate
    extensions); a line whose cost cannot be found is reported and left out. ``strict``: raise
    :class:`~planner.errors.WorkError` on the first such problem instead.
    """
    frames, problems = [], []
    crs = None
    for net in NETWORK_ITEMS:
        layer = lines.get(net)
        if layer is None or not len(layer) or "in_service" not in layer:
            continue
        crs = layer.crs
        planned = layer["in_service"].astype("boolean").eq(False).fillna(False).to_numpy(dtype=bool)
        if not planned.any():
            continue
        rows = layer[planned]
        geoms = rows.geometry.to_numpy()
        length = shapely.length(geoms)
        classes = costs.line_classes(net, rows)
        given = pd.to_numeric(rows["cost_wan"], errors="coerce").to_numpy(dtype=float) if "cost_wan" in rows else None
        unit = costs.per_km(net, classes) * length / 1000.0
        cost = unit if given is None else np.where(np.isfinite(given), given, unit)
        basis = np.array([costs.basis(net, "line", c) for c in classes], dtype=object)
        if given is not None:
            basis[np.isfinite(given)] = "cost_wan"
        dates = rows["planned_date"] if "planned_date" in rows else pd.Series(pd.NaT, index=rows.index)
        frame = pd.DataFrame(
            {
                "work_id": rows["line_id"].astype(str).to_numpy(),
                "kind": "line",
                "origin": "drawn",
                "network": net,
                "line_id": rows["line_id"].astype(str).to_numpy(),
                "name": rows["name"].to_numpy() if "name" in rows else None,
                "length_m": length,
                "size_class": classes,
                "cost_wan": cost,
                "cost_basis": basis,
                "planned_date": pd.to_datetime(dates).to_numpy(),
                "geometry": geoms,
            }
        )
        alone = _touching_nothing(geoms, layer.geometry.to_numpy()[~planned])
        bad = [
            *_problems(frame, np.isnan(cost), "cost_wan", _no_cost(net), _no_cost_zh(net)),
            *_problems(frame, alone, "geometry", _alone(net), _alone_zh(net), severity="warning"),
        ]
        if bad and strict:
            raise WorkError(str(bad[0]), work_id=bad[0].parcel_id, field=bad[0].field, zh=bad[0].describe("zh"))
        problems += bad
        frames.append(frame[~np.isnan(cost)])
    if not frames:
        return empty_works(crs), problems
    return work_frame(pd.concat(frames, ignore_index=True), crs), problems


def _no_cost(net: str) -> str:
    return (
        f"the planned {net} line has no `cost_wan` and the unit-cost table has no cost for its size class; "
        f'give its cost, or a unit cost in the park configuration (`unit_costs`: {{"{net}:<class>": …}})'
    )


def _no_cost_zh(net: str) -> str:
    return (
        f"规划的{NETWORKS[net][0]}线路没有 `cost_wan`，单价表中也没有其规格的单价：请给出其造价，"
        f'或在园区配置中给出单价（`unit_costs`: {{"{net}:<规格>": …}}）'
    )


def _alone_zh(net: str) -> str:
    return (
        f"规划的{NETWORKS[net][0]}线路不与任何其他{NETWORKS[net][0]}线路相接（{SNAP_M:g} 米内没有）："
        "单独建成将不输送任何东西；请画到与管网相接（规划只通过候选延伸线连接它）"
    )


def _alone(net: str) -> str:
    return (
        f"the planned {net} line touches no other {net} line (none within {SNAP_M:g} m): built alone, it would "
        "carry nothing; draw it to meet the network (a plan links it only through candidate extensions)"
    )


def _touching_nothing(planned: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Which planned lines come within :data:`SNAP_M` of no other line of the layer (in service or planned)."""
    everything = np.concatenate([others, planned])
    own = np.arange(len(others), len(everything))
    hit, line = shapely.STRtree(everything).query(planned, predicate="dwithin", distance=SNAP_M)
    touched = np.zeros(len(planned), dtype=bool)
    touched[hit[line != own[hit]]] = True
    return ~touched


def _problems(
    frame: pd.DataFrame, mask: np.ndarray, field: str, message: str, zh: str, *, severity: str = "error"
) -> list[Problem]:
    ids = frame["work_id"].to_numpy()[mask]
    return [Problem(severity, str(w), field, message, feature="work", zh=zh) for w in ids]


_GIVEN_FIELDS = ("work_id", "kind", "source_id", "capacity_added", "cost_wan", "planned_date", "name")


def given_works(
    records: Sequence[Mapping[str, Any]], sources: gpd.GeoDataFrame, costs: UnitCosts, crs: Any
) -> gpd.GeoDataFrame:
    """Source upgrades given in a works file: ``{"work_id", "kind": "upgrade", "source_id", "capacity_added",
    "cost_wan"?, "planned_date"?, "name"?}``.

    Raises
    ------
    WorkError
        Naming the work and the field: an unknown source, a capacity added that is not a
        positive number, a cost neither given nor found in the unit costs, a bad date.
    """
    rows = []
    known = sources.set_index("source_id") if len(sources) else pd.DataFrame(columns=["network", "geometry"])
    seen: set[str] = set()
    for k, record in enumerate(records):
        work_id = str(record.get("work_id") or f"upgrade-{k + 1}")
        where = f"work {work_id!r}"
        if work_id in seen:
            msg = f"{where}: `work_id` is repeated"
            raise WorkError(msg, work_id=work_id, field="work_id", zh=f"{_where_zh(work_id)}：`work_id` 重复")
        seen.add(work_id)
        unknown = sorted(
            set(record) - {"work_id", "kind", "source_id", "capacity_added", "cost_wan", "planned_date", "name"}
        )
        if unknown:
            msg = f"{where}: unknown field(s) {unknown}; allowed: {', '.join(_GIVEN_FIELDS)}"
            zh = f"{_where_zh(work_id)}：未知字段 {unknown}；允许：{'、'.join(_GIVEN_FIELDS)}"
            raise WorkError(msg, work_id=work_id, field=unknown[0], zh=zh)
        if record.get("kind", "upgrade") != "upgrade":
            msg = (
                f"{where}: `kind` was {record.get('kind')!r}; a works file gives source upgrades (`upgrade`); "
                "draw lines in the network layers"
            )
            zh = (
                f"{_where_zh(work_id)}：`kind` 为 {record.get('kind')!r}；工程文件只给出源点扩容（`upgrade`），"
                "线路请画在管网图层中"
            )
            raise WorkError(msg, work_id=work_id, field="kind", zh=zh)
        source_id = record.get("source_id")
        if source_id not in known.index:
            msg = (
                f"{where}: `source_id` {source_id!r} is not a source of the park; sources: "
                f"{', '.join(map(str, known.index))}"
            )
            zh = f"{_where_zh(work_id)}：`source_id` {source_id!r} 不是园区的源点；源点有："
            zh += "、".join(map(str, known.index))
            raise WorkError(msg, work_id=work_id, field="source_id", zh=zh)
        network = str(known.loc[source_id, "network"])
        if CAPACITY_COLUMN.get(network) is None:
            msg = f"{where}: a {network} source has no capacity to add"
            zh = f"{_where_zh(work_id)}：{NETWORKS[network][0]}源点没有可扩的容量"
            raise WorkError(msg, work_id=work_id, field="source_id", zh=zh)
        added = _positive(record.get("capacity_added"), where, work_id, "capacity_added")
        cost = record.get("cost_wan")
        if cost is None:
            cost = added * costs.per_capacity(network)
            basis = costs.basis(network, "source", "expansion")
        else:
            cost = _positive(cost, where, work_id, "cost_wan", zero=True)
            basis = "cost_wan"
        if not np.isfinite(cost):
            msg = f'{where}: no `cost_wan` and no unit cost of {network} capacity (`unit_costs`: "{network}:expansion")'
            zh = f"{_where_zh(work_id)}：没有 `cost_wan`，也没有{NETWORKS[network][0]}扩容的单价"
            zh += f'（`unit_costs`: "{network}:expansion"）'
            raise WorkError(msg, work_id=work_id, field="cost_wan", zh=zh)
        rows.append(
            {
                "work_id": work_id, "kind": "upgrade", "origin": "given", "network": network,
                "name": record.get("name") or f"{known.loc[source_id, 'name'] or source_id}扩容",
                "length_m": 0.0, "cost_wan": float(cost), "cost_basis": basis,
                "planned_date": _date(record.get("planned_date"), where, work_id), "source_id": source_id,
                "capacity_added": added, "geometry": known.loc[source_id, "geometry"],
            }
        )  # fmt: skip
    return work_frame(rows, crs)


def _where_zh(work_id: str) -> str:
    return f"工程 {work_id!r}"


def _positive(value: Any, where: str, work_id: str, field: str, *, zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero):
        msg = f"{where}: `{field}` must be a number {'≥' if zero else '>'} 0, got {value!r}"
        zh = f"{_where_zh(work_id)}：`{field}` 须为{'不小于' if zero else '大于'} 0 的数字，收到 {value!r}"
        raise WorkError(msg, work_id=work_id, field=field, zh=zh)
    return float(value)


def _date(value: Any, where: str, work_id: str) -> pd.Timestamp:
    if value is None:
        return pd.NaT
    try:
        return pd.Timestamp(str(value))
    except ValueError:
        msg = f"{where}: `planned_date` {value!r} is not a date; write it as YYYY-MM-DD"
        zh = f"{_where_zh(work_id)}：`planned_date` {value!r} 不是日期；请写作 YYYY-MM-DD"
        raise WorkError(msg, work_id=work_id, field="planned_date", zh=zh) from None


def leveling_works(parcels: pd.DataFrame, earthwork_m3: pd.Series, costs: UnitCosts, crs: Any) -> gpd.GeoDataFrame:
    """A leveling work for each parcel of ``earthwork_m3`` (by ``parcel_id``): its earthwork times the unit cost."""
    earth = earthwork_m3.dropna()
    per_m3 = costs.per_m3_earthwork()
    if not len(earth) or not np.isfinite(per_m3):
        return empty_works(crs)
    at = parcels.set_index("parcel_id").loc[earth.index]
    label = CHECKLIST_ITEMS["leveled"][0]
    return work_frame(
        [
            {
                "work_id": f"leveling-{pid}", "kind": "leveling", "origin": "candidate", "network": "leveled",
                "name": f"{pid} {label}", "length_m": 0.0, "cost_wan": float(m3 * per_m3),
                "cost_basis": costs.basis("leveled", "earthwork", "default"), "parcel_id": pid,
                "earthwork_m3": float(m3), "geometry": geom,
            }
            for pid, m3, geom in zip(earth.index, earth.to_numpy(), shapely.centroid(at.geometry.to_numpy()),
                                     strict=True)
        ],
        crs,
    )  # fmt: skip
