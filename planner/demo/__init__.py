"""A realistic, deterministic demo park: 示范产业园（滁州）.

The park lies east of Chuzhou, Anhui (about 118.29°E, 32.25°N, CGCS2000
Gauss–Krüger zone 39, EPSG:4548). It is made up, but built the way parks are
laid out:

- a grid of arterial and branch roads turned 8° off north, blocks between them
  split into parcels of about 10 to 800 mu, a river valley and a village kept
  out (:mod:`planner.demo.layout`);
- districts zoned for three leading industries (装备制造, 电子信息, 新能源汽车),
  a heavy-industry (三类) district, logistics by the interchange, and utility
  parcels for the sources (:mod:`planner.demo.districts`);
- six utility networks along the roads, each from its source, reaching only part
  of the park (:mod:`planner.demo.networks`);
- a DEM with two hills and the river valley, so that some parcels are not level
  (:mod:`planner.demo.terrain`);
- every supply status, producing parcels in four performance tiers, and supplied
  parcels whose dates make them idle under the 2012 rules as of the build date
  (:mod:`planner.demo.records`);
- declared 七通一平 records that mostly, but not always, match the networks
  (:mod:`planner.demo.readiness`); the readiness the networks and the DEM give is
  computed and written back, and the idle columns with ``idle_as_of``.

The demo reads its service distances, leveling limit, idle-land limits and per-mu
floors from its park configuration (:func:`demo_config`), not from copies.
Everything is drawn from one seeded random generator, relative to ``as_of``:
the same seed and date give the same park (:func:`build_demo`).
"""

from __future__ import annotations

from planner.demo.build import DEFAULT_SEED, DemoPark, build_demo, demo_config
from planner.demo.factories import standard_factories

__all__ = ["DEFAULT_SEED", "DemoPark", "build_demo", "demo_config", "standard_factories"]
