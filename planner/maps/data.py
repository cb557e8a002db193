"""What a map shows, gathered from a park store once: parcels, networks, sources with their loads, factories."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.analysis import Freshness, ReadinessRun, freshness, update_readiness
from planner.config import ParkConfig
from planner.infra.coverage import reasons_with_sources
from planner.infra.gateways import is_inferred
from planner.infra.layers import line_layer
from planner.parcels.boundary import park_boundary
from planner.parcels.evaluation import evaluate
from planner.vocab import NETWORK_ITEMS, network_label

__all__ = ["MapData", "stored_disagreements"]


def stored_disagreements(parcels: pd.DataFrame, checklist: tuple[str, ...]) -> pd.DataFrame:
    """(parcel, item) where the stored declared and derived values are both known and differ, as the network
    model lists them (``parcel_id``, ``item``, ``declared``, ``derived``, ``reason``)."""
    frames = []
    for item in checklist:
        if item not in parcels or f"declared_{item}" not in parcels:
            continue
        declared = parcels[f"declared_{item}"].astype("boolean")
        derived = parcels[item].astype("boolean")
        differ = (declared.notna() & derived.notna() & (declared != derived)).fillna(False).to_numpy(dtype=bool)
        if differ.any():
            reason = parcels[f"{item}_reason"] if f"{item}_reason" in parcels else pd.Series("", index=parcels.index)
            frames.append(pd.DataFrame({
                "parcel_id": parcels["parcel_id"].to_numpy()[differ], "item": item,
                "declared": declared.to_numpy()[differ], "derived": derived.to_numpy()[differ],
                "reason": reason.to_numpy()[differ],
            }))  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=["parcel_id", "item", "declared", "derived", "reason"])
    return pd.concat(frames, ignore_index=True)


@dataclass
class MapData:
    """A park's layers for the maps, in the park's CRS.

    ``parcels`` carries the stored readiness and idle columns plus ``eval_class`` (A–D
    for producing parcels). ``sources`` carries ``capacity``, ``load`` and ``remaining``
    where the network model could compute them. ``disagree`` lists (parcel, item) where
    the records and the networks differ. ``notes`` say what the map lacks and why.
    """

    config: ParkConfig
    parcels: gpd.GeoDataFrame
    lines: dict[str, gpd.GeoDataFrame]
    sources: gpd.GeoDataFrame
    factories: gpd.GeoDataFrame
    disagree: pd.DataFrame
    metadata: dict = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)
    as_of: str | None = None
    """The data's date: when readiness was last computed (``YYYY-MM-DD``), for the map's title."""
    boundary: gpd.GeoDataFrame | None = None
    """The park boundary (园区四至): stored, or the concave hull of the parcels (``origin`` says which)."""

    @classmethod
    def from_store(
        cls, store, *, model_networks: bool = True, run=None, parcels: gpd.GeoDataFrame | None = None,
        stored: Freshness | None = None, eval_class: pd.Series | None = None,
    ) -> MapData:  # fmt: skip
        """Read a park store. With ``model_networks``, the sources' loads and the disagreements come from
        the network model (:func:`planner.analysis.update_readiness` without writing), or from
        ``run``, a :class:`~planner.analysis.ReadinessRun` the caller already made of this store;
        without, the disagreements come from the stored declared and derived columns (the sources
        have no load). ``parcels`` (the store's parcels as they are now) and ``stored`` (the
        freshness of its readiness) spare reading them again, ``eval_class`` (each producing
        parcel's per-mu class by ``parcel_id``) evaluating them again."""
        config = store.config()
        parcels = store.read_parcels() if parcels is None else parcels.copy()
        lines = {net: store.read_layer(line_layer(net)) for net in NETWORK_ITEMS}
        sources = store.read_layer("sources")
        factories = store.read_layer("factories")
        metadata = store.metadata()
        parcels = reasons_with_sources(parcels, metadata)  # each reason with what its source has left
        notes: list[tuple[str, str]] = []
        disagree = pd.DataFrame(columns=["parcel_id", "item", "declared", "derived", "reason"])
        sources = sources.assign(capacity=np.nan, load=np.nan, remaining=np.nan)
        stored = freshness(store, "readiness") if stored is None else stored
        if stored.computed_at is None:
            notes.append(("尚未计算七通一平：宗地显示为灰色（运行 planner readiness）",
                          "Readiness not computed yet: parcels are grey (run `planner readiness`)"))  # fmt: skip
        elif not stored.current:  # the colours show stored readiness: say it is out of date, and why
            notes.append((stored.message("zh"), stored.message("en")))
        boundary = park_boundary(store.read_layer("boundary"), parcels)
        if model_networks and len(parcels):
            if run is None:
                run = update_readiness(store, by="map", write=False)
            sources = _with_inferred(sources, run)
            disagree = run.readiness.disagreements
            for cov in run.coverage.values():
                table = cov.sources
                pos = sources["source_id"].map(pd.Series(np.arange(len(table)), index=table.index))
                hit = pos.notna().to_numpy()
                at = pos[hit].astype(int).to_numpy()
                for column in ("capacity", "load", "remaining"):
                    values = sources[column].to_numpy(dtype=float).copy()
                    values[hit] = table[column].to_numpy(dtype=float)[at]
                    sources[column] = values
        if not model_networks and len(parcels):
            disagree = stored_disagreements(parcels, config.checklist)
        if len(parcels):
            classes = evaluate(parcels, config).classes["eval_class"] if eval_class is None else eval_class
            parcels["eval_class"] = parcels["parcel_id"].map(classes).astype(object)
        else:
            parcels["eval_class"] = pd.Series(dtype=object)
            notes.append(("园区还没有宗地", "The park has no parcels yet"))
        for net, frame in lines.items():
            if frame.empty:
                notes.append((f"没有{network_label(net)}管线图层", f"No {net} lines in the park"))
        as_of = str(stored.computed_at)[:10] if stored.computed_at else None
        return cls(config, parcels, lines, sources, factories, disagree, metadata, notes, as_of, boundary)

    def centre(self) -> tuple[float, float]:
        """(lat, lon) of the park's centre, for the initial view."""
        frames = [self.parcels, *self.lines.values()]
        bounds = [f.total_bounds for f in frames if len(f)]
        if not bounds:
            return (35.0, 105.0)  # the middle of China
        b = np.array(bounds)
        x, y = (b[:, 0].min() + b[:, 2].max()) / 2, (b[:, 1].min() + b[:, 3].max()) / 2
        point = gpd.GeoSeries(gpd.points_from_xy([x], [y]), crs=self.config.crs_epsg).to_crs(4326)
        return float(point.y.iloc[0]), float(point.x.iloc[0])

    def bounds_wgs84(self) -> list[list[float]] | None:
        """[[south, west], [north, east]] of the parcels, for fitting the view."""
        if not len(self.parcels):
            return None
        # the park's box in its zone, its edges densified, in WGS84: the same view as every shape's, at no cost
        box = shapely.box(*self.parcels.total_bounds).segmentize(
            max(self.parcels.total_bounds[2:] - self.parcels.total_bounds[:2]) / 64 or 1.0
        )
        w, s, e, n = gpd.GeoSeries([box], crs=self.parcels.crs).to_crs(4326).total_bounds
        return [[float(s), float(w)], [float(n), float(e)]]


def _with_inferred(sources: gpd.GeoDataFrame, run: ReadinessRun) -> gpd.GeoDataFrame:
    """The sources with the road gateways the run inferred in place of any stored inferred ones."""
    gateways = run.gateways
    if gateways is None:
        return sources
    kept = sources[~is_inferred(sources)]
    added = gateways[[c for c in gateways.columns if c in kept.columns or c == "geometry"]]
    return gpd.GeoDataFrame(pd.concat([kept, added], ignore_index=True), geometry="geometry", crs=sources.crs)
