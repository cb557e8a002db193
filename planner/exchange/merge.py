"""An import onto a park that holds some of its features already.

The store writes a row as it is given; a file supplies only its own columns. So a feature
already in the park keeps its stored values of the columns the file lacks
(:func:`keep_stored`), and a feature the file repeats within what its format keeps (a
GeoJSON's decimals, a TXT's 精度, a .dbf's digits) is given back as stored
(:func:`same_within_precision`): re-importing an unchanged export is no edit. Columns the
planner derives are never taken from a file (:func:`drop_derived`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import Problem
from planner.exchange.readers import file_problem
from planner.fields import feature_ids
from planner.store import LAYERS, LayerSpec, ParkStore

__all__ = ["drop_derived", "keep_stored", "precision_m", "same_within_precision", "stored_rows"]

_GEOJSON_PRECISION_M = 2e-3
"""What the 8 decimals of a degree the GeoJSON export writes keep (≤ 1.1 mm per vertex, rounded)."""
_FLOAT_RTOL = 1e-9
"""Numbers within this relative difference of the stored ones are the stored ones (a .dbf keeps ~15 digits)."""
_LISTED_COLUMNS = 12
"""How many kept columns a message names."""


def precision_m(fmt: str, frames: dict[str, gpd.GeoDataFrame]) -> float | None:
    """How far (m) the format may move a vertex of an unchanged feature: GeoJSON's decimals, a TXT's 精度."""
    if fmt == "GeoJSON":
        return _GEOJSON_PRECISION_M
    if fmt == "TXT" and "parcels" in frames:
        return float(frames["parcels"].attrs.get("precision_m", 0.001))
    return None


def drop_derived(frame: gpd.GeoDataFrame, spec: LayerSpec, path: Path, problems: list[Problem]) -> gpd.GeoDataFrame:
    """Columns the planner derives (readiness, idle land) are its own: left out of an import, each reported once."""
    derived = [c for c in frame.columns if c in spec.by_name and spec.by_name[c].origin == "derived"]
    for column in derived:
        group = spec.by_name[column].group
        command = {"readiness": "planner readiness", "idle": "planner idle"}.get(group, "the planner's analyses")
        problems.append(
            Problem(
                "warning",
                None,
                column,
                f"`{column}` is derived by the planner ({group}); the file's values were not imported "
                f"({command} computes them)",
                feature=f"file {path.name!r}",
                zh=f"`{column}` 由规划系统计算（{group}）：文件中的值未导入（由 {command} 计算）",
            )
        )
    return frame.drop(columns=derived) if derived else frame


def _ids_of(frame: pd.DataFrame, key: str) -> pd.Series:
    """The ids as the store keeps them (text; None where missing), aligned with ``frame``."""
    if key not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return pd.Series(feature_ids(frame, key), index=frame.index, dtype=object)


def stored_rows(store: ParkStore | None, name: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The stored features that have the ids of ``frame``, indexed by id (``None`` without a park)."""
    key = LAYERS[name].id_column
    if store is None or key not in frame.columns:
        return None
    ids = _ids_of(frame, key).dropna().unique().tolist()
    if not ids:
        return None
    stored = store.read_layer(name, ids=ids)
    return stored.set_index(key, drop=False) if len(stored) else None


def keep_stored(
    frame: gpd.GeoDataFrame,
    spec: LayerSpec,
    stored: gpd.GeoDataFrame | None,
    supplied: set[str],
    path: Path,
    problems: list[Problem],
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Features already in the park keep their stored values of the columns the file does not supply.

    The store writes a row as it is given; an import supplies only the file's columns (after
    mapping), so the others are taken from the stored row here. A column only a mapping
    default fills keeps the default for new features only. Returns the frame and which rows
    are already stored.
    """
    key = spec.id_column
    if stored is None:
        return frame, np.zeros(len(frame), dtype=bool)
    ids = _ids_of(frame, key)
    old = ids.isin(stored.index).to_numpy(dtype=bool)
    if not old.any():
        return frame, old
    keep = [
        c
        for c in spec.columns
        if c not in supplied and c not in (key, "park_id") and spec.by_name[c].origin in ("input", "derived")
    ]
    frame = frame.copy()
    for column in keep:
        values = stored[column].reindex(ids.where(old).to_numpy())
        values = pd.Series(values.array, index=frame.index)
        if column in frame.columns:  # filled by a mapping default: that is for new features
            frame[column] = frame[column].astype(object).where(~old, values.astype(object))
        else:
            frame[column] = values
    shown = [c for c in keep if spec.by_name[c].origin == "input"]
    if shown:
        what = "parcel" if key == "parcel_id" else "feature"
        more = len(shown) - _LISTED_COLUMNS
        listed = ", ".join(f"`{c}`" for c in shown[:_LISTED_COLUMNS]) + (f" and {more} more" if more > 0 else "")
        problems.append(
            file_problem(
                path,
                f"{int(old.sum())} {what}(s) already in the park keep their stored values of the columns "
                f"the file does not have: {listed}",
                severity="repair",
                zh=f"园区已有的 {int(old.sum())} 个{'宗地' if what == 'parcel' else '要素'}在文件缺少的字段上保留原值："
                + "、".join(f"`{c}`" for c in shown[:_LISTED_COLUMNS])
                + (f" 等 {len(shown)} 个字段" if more > 0 else ""),
            )
        )
    return frame, old


def same_within_precision(
    frame: gpd.GeoDataFrame,
    spec: LayerSpec,
    stored: gpd.GeoDataFrame | None,
    old: np.ndarray,
    precision: float | None,
    fmt: str,
    path: Path,
    problems: list[Problem],
) -> gpd.GeoDataFrame:
    """Stored features the file repeats within its format's precision are given back unchanged.

    A shape whose vertices all lie within ``precision`` of the stored ones (GeoJSON's
    decimals, a TXT's 精度) takes the stored shape, and a number within a relative 1e-9
    of the stored one (a .dbf keeps about 15 digits) the stored number, so that re-importing
    an unchanged export is no edit. The store's own tolerance for edits stays 0.1 mm.
    """
    if stored is None or not old.any():
        return frame
    ids = _ids_of(frame, spec.id_column).where(old).to_numpy()
    rows = np.flatnonzero(old)
    before = stored.loc[ids[rows]]
    frame = frame.copy()
    if precision is not None and frame.crs is not None:
        near = _near_shapes(
            frame.geometry.iloc[rows].to_crs(stored.crs).to_numpy(), before.geometry.to_numpy(), precision
        )
        if near.any():
            geoms = frame.geometry.to_numpy().copy()
            geoms[rows[near]] = before.geometry[near].to_crs(frame.crs).to_numpy()
            frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
            problems.append(
                file_problem(
                    path,
                    f"{int(near.sum())} shape(s) within {precision * 1000:g} mm of the stored ones (what {fmt} "
                    "keeps) taken as unchanged",
                    severity="repair",
                    zh=f"{int(near.sum())} 个图形与已存图形相差不超过 {precision * 1000:g} 毫米"
                    f"（{fmt} 所保留的精度），视为未变",
                )
            )
    _keep_stored_numbers(frame, spec, before, rows)
    return frame


def _near_shapes(mine: np.ndarray, theirs: np.ndarray, precision: float) -> np.ndarray:
    """Which shapes lie within ``precision`` of the stored ones, part for part and hole for hole."""
    both = ~shapely.is_missing(mine) & ~shapely.is_missing(theirs)
    near = np.zeros(len(mine), dtype=bool)
    with np.errstate(all="ignore"):
        near[both] = shapely.hausdorff_distance(mine[both], theirs[both]) <= precision
        near[both] &= shapely.get_num_geometries(mine[both]) == shapely.get_num_geometries(theirs[both])
        near[both] &= shapely.get_num_interior_rings(mine[both]) == shapely.get_num_interior_rings(theirs[both])
    return near


def _keep_stored_numbers(frame: gpd.GeoDataFrame, spec: LayerSpec, before: pd.DataFrame, rows: np.ndarray) -> None:
    """Numbers (of the input columns) within a relative 1e-9 of the stored ones become the stored ones, in place."""
    for column in frame.columns:
        f = spec.by_name.get(column)
        if f is None or f.kind != "float" or f.origin != "input":
            continue
        given = pd.to_numeric(frame[column].iloc[rows], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        kept = before[column].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(all="ignore"):
            close = np.isfinite(given) & np.isfinite(kept) & (given != kept)
            close &= np.abs(given - kept) <= _FLOAT_RTOL * np.abs(kept)
        if close.any():
            values = frame[column].astype(object).to_numpy().copy()
            values[rows[close]] = kept[close]
            frame[column] = values
