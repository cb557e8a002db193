"""Build the demo park: lay it out, draw its records from one seeded generator, write and analyse it.

The random draws are made in a fixed order (terrain, parcel shapes, statuses, records, declared
readiness, declared areas), so the same seed and date give the same park.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.analysis import update_idle, update_readiness
from planner.config import DEFAULT_THRESHOLDS, ParkConfig
from planner.crs import gk_epsg
from planner.demo.districts import LEADING, district_of
from planner.demo.factories import standard_factories
from planner.demo.layout import ORIGIN_LON, Frame, Layout
from planner.demo.networks import OFFSETS, Networks
from planner.demo.readiness import declare_readiness
from planner.demo.records import (
    assign_source_parcels,
    declare_areas,
    draw_records,
    reserve_large_parcels,
    supply_status,
)
from planner.demo.terrain import Terrain, write_dem
from planner.infra.layers import line_layer
from planner.store import create_park
from planner.units import M2_PER_MU

if TYPE_CHECKING:
    from planner.store import ParkStore

__all__ = ["BY", "DEFAULT_SEED", "PARK_ID", "DemoPark", "build_demo", "demo_config"]

DEFAULT_SEED = 20261122
PARK_ID = "CZ-DEMO"
BY = "planner demo"
"""Who the demo's edits are recorded as made by."""


@dataclass
class DemoPark:
    """What :func:`build_demo` wrote."""

    path: Path
    dem_path: Path
    as_of: date
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    status_counts: dict[str, int] = field(default_factory=dict)
    area_km2: float = 0.0


def demo_config() -> ParkConfig:
    """The demo park's configuration: 七通一平, three leading industries, national thresholds.

    Its logistics land is evaluated against floors of its own (10 万元 tax and 200 万元 revenue
    per mu, figures made up for the demo): the national rules set none.
    """
    return ParkConfig(
        park_id=PARK_ID,
        name="示范产业园（滁州）",
        name_en="Demo Industrial Park (Chuzhou, Anhui)",
        crs_epsg=gk_epsg(ORIGIN_LON),
        leading_industries=LEADING,
        dem="dem.tif",
        thresholds={
            **DEFAULT_THRESHOLDS,
            "eval_logistics_tax_min_wan_per_mu": 10.0,
            "eval_logistics_output_min_wan_per_mu": 200.0,
        },
    )


def build_demo(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    as_of: date | None = None,
    overwrite: bool = True,
) -> DemoPark:
    """Build the demo park into ``out_dir``: ``park.gpkg`` and ``dem.tif``.

    Parameters
    ----------
    out_dir
        Folder to write into (created if needed).
    seed
        Seed of the random generator; the same seed and ``as_of`` give the same park.
    as_of
        The date the park's records are as of (default: today); idle cases are
        dated relative to it.
    overwrite
        Replace an existing park file.
    """
    as_of = as_of or date.today()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    config = demo_config()
    layout = Layout()
    terrain = Terrain(rng)
    networks = Networks(layout)
    frame = Frame(config.crs_epsg)
    parcels = _parcels(layout, terrain, networks, config, rng, as_of)
    dem_path = out / "dem.tif"
    write_dem(dem_path, terrain, frame)

    store_path = out / "park.gpkg"
    store = create_park(store_path, config, overwrite=overwrite)
    _write_layers(store, layout, networks, frame, parcels, as_of)
    stored = store.read_parcels()
    return DemoPark(
        path=store_path,
        dem_path=dem_path,
        as_of=as_of,
        seed=seed,
        counts=store.counts(),
        status_counts=stored["status"].value_counts().to_dict(),
        area_km2=float(stored["area_m2"].sum() / 1e6),
    )


def _parcels(
    layout: Layout,
    terrain: Terrain,
    networks: Networks,
    config: ParkConfig,
    rng: np.random.Generator,
    as_of: date,
) -> gpd.GeoDataFrame:
    """The parcels in local metres: their shapes and names, supply records and declared readiness."""
    shapes = layout.parcel_shapes(rng)
    geoms = np.array([s[0] for s in shapes], dtype=object)
    centers = shapely.centroid(geoms)
    cu, cv = shapely.get_x(centers), shapely.get_y(centers)
    area_mu = shapely.area(geoms) / M2_PER_MU
    district = np.array([district_of(u, v) for u, v in zip(cu, cv, strict=True)])
    relief = terrain.relief(geoms)

    df = layout.parcel_table(shapes, district)
    df["status"] = supply_status(cu, relief, rng, config.threshold("leveled_relief_max_m"))
    sources = networks.source_parcels(geoms)
    assign_source_parcels(df, sources)
    draw_records(df, area_mu, as_of, sources, rng, config)
    declare_readiness(df, geoms, relief, networks, config, rng)
    reserve_large_parcels(df, area_mu, relief, cu, cv, config.threshold("leveled_relief_max_m"))
    declare_areas(df, area_mu, rng)
    df = df.drop(columns=["district"])
    return gpd.GeoDataFrame(df, geometry=geoms)


def _write_layers(
    store: ParkStore, layout: Layout, networks: Networks, frame: Frame, parcels: gpd.GeoDataFrame, as_of: date
) -> None:
    """Write the networks, the sources and the parcels, then compute idle land, readiness and the factories."""
    store.write_layer("road_lines", frame.to_gk(layout.road_lines()), by=BY)
    for net in OFFSETS:
        store.write_layer(line_layer(net), frame.to_gk(networks.lines(net)), by=BY)
    store.write_layer("sources", frame.to_gk(networks.sources()), by=BY)
    store.write_parcels(frame.to_gk(parcels), by=BY)
    update_idle(store, as_of, by=BY)
    # the DEM is as new as the records: the declared leveling does not override it. Kept to the
    # millisecond: cut to the second, it fell before the parcels' history stamps of the same
    # second, and the leveling then depended on when the clock ticked
    taken = pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")
    store.set_metadata({"dem_date": taken}, by=BY)
    update_readiness(store, by=BY)
    store.write_layer("factories", standard_factories(store.read_parcels()), by=BY)
