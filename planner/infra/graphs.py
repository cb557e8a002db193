"""Networks kept between readiness runs: each network's noded graph, its Dijkstra and its parcels' taps.

Building a network's graph (noding its lines, tying its sources) and finding every parcel's
tap point are most of a readiness run, and most runs change neither: an edit of a parcel's
records leaves every graph as it was, an edit of one network's lines leaves the other six.
:class:`GraphCache` keeps, per network,

- the graph (:class:`~planner.infra.network.Network`) and its distances from the sources,
  under a fingerprint of everything :func:`~planner.infra.network.build_network` reads
  (the lines' shapes, ids, ``in_service`` and ``level``, the network's sources and their capacity
  column, the snap distance and the CRS): the same inputs give the same graph, any change
  gives another fingerprint and a new build;
- each parcel's tap on it (for one service distance), under the parcel's id and a hash of
  its shape: a parcel's tap depends only on its shape and the graph, so after an edit only
  the parcels whose shape changed (or that are new) are tapped again.

The fingerprint is a hash of the content, so an edit from any client (the planner, QGIS,
plain SQL through the triggers) and a scenario's changed copy of the lines are all seen;
:mod:`planner.analysis` adds the store's change stamps on top, to skip reading the line
layers that no history row touched since the last run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.frames import spliced
from planner.infra import hotpixels as _hotpixels_module
from planner.infra import levels as _levels_module
from planner.infra import network as _network_module
from planner.infra import noding as _noding_module
from planner.infra import owners as _owners_module
from planner.infra import snapround as _snapround_module
from planner.infra.coverage import Coverage
from planner.infra.levels import line_levels
from planner.infra.network import SNAP_M, Network, build_network, source_distances
from planner.infra.taps import ParcelShapes, network_taps, parcel_shapes
from planner.vocab import CAPACITY_COLUMN

_BUILDER = hashlib.blake2b(
    Path(_network_module.__file__).read_bytes()
    + Path(_noding_module.__file__).read_bytes()
    + Path(_levels_module.__file__).read_bytes()
    + Path(_snapround_module.__file__).read_bytes()
    + Path(_hotpixels_module.__file__).read_bytes()
    + Path(_owners_module.__file__).read_bytes()
    + shapely.geos_version_string.encode(),
    digest_size=12,
).hexdigest()
"""The code that builds graphs (:mod:`planner.infra.network`, :mod:`~planner.infra.noding`,
:mod:`~planner.infra.levels`, :mod:`~planner.infra.snapround`, :mod:`~planner.infra.hotpixels`,
:mod:`~planner.infra.owners`, GEOS): a graph on disk built by other code is not read."""

_SPLICED = 4
"""The parcels' shapes kept between runs are spliced where at most one in this many changed, else made anew."""

__all__ = ["GraphCache", "KeptNetwork", "Served", "network_fingerprint", "safe_file_name", "shape_hashes"]


def _frame_digest(frame: pd.DataFrame, columns: list[str], digest: hashlib.blake2b) -> None:
    """Feed ``columns`` of ``frame`` (those it has) and its geometry into ``digest``, row order included."""
    present = [c for c in columns if c in frame]
    digest.update(repr(present).encode())
    for column in present:  # each value's repr (None, NaN, True and "True" apart), in the rows' order
        digest.update(repr(frame[column].tolist()).encode())
    digest.update(shape_hashes(frame.geometry.to_numpy()).tobytes())


def network_fingerprint(
    name: str, lines: gpd.GeoDataFrame, sources: gpd.GeoDataFrame | None, *, snap_m: float = SNAP_M
) -> str:
    """A hash of all that :func:`~planner.infra.network.build_network` reads to build network ``name``."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update(f"{name}|{snap_m!r}|{lines.crs.to_wkt() if lines.crs is not None else ''}|{len(lines)}".encode())
    _frame_digest(lines, ["line_id", "in_service"], digest)
    levels = line_levels(lines)
    if (levels != 0).any():  # lines all at grade (or without the column) hash as before the levels existed
        digest.update(b"levels" + levels.tobytes())
    if sources is not None and len(sources):
        mine = sources[sources["network"] == name]
        capacity = CAPACITY_COLUMN.get(name)
        _frame_digest(mine, ["source_id", "kind", "name", "in_service", *([capacity] if capacity else [])], digest)
    return digest.hexdigest()


def shape_hashes(geoms: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each shape's WKB (missing shapes hash alike)."""
    wkb = shapely.to_wkb(geoms, hex=False)
    wkb = np.where(pd.isna(wkb), b"", wkb)
    hashed: np.ndarray = pd.util.hash_array(np.asarray(wkb, dtype=object), categorize=False)
    return hashed


def _identities(objects: np.ndarray) -> np.ndarray:
    """The identity of each object of an object array (equal only for the very same object)."""
    return np.fromiter(map(id, objects), dtype=np.uint64, count=len(objects))


@dataclass
class _Taps:
    """A network's taps of the parcels last asked for, by parcel id, with the hash of each parcel's shape."""

    ids: pd.Index
    shapes: np.ndarray
    table: pd.DataFrame


@dataclass
class KeptNetwork:
    """What is kept of one network: its graph (None: no lines), distances, and taps by service distance."""

    fingerprint: str
    network: Network | None
    distances: tuple[np.ndarray, np.ndarray] | None = None
    taps: dict[float, _Taps] = field(default_factory=dict)
    served: Served | None = None
    """The last coverage and what it was made from (:mod:`planner.infra.park`)."""


@dataclass
class Served:
    """A network's last coverage and its inputs row by row, from which the next is worked out for the rows that changed.

    ``key``: all that applies to every row alike (graph, settings, power factor); ``ids``:
    the parcels in their order; ``need``, ``expected``, ``consuming``: each parcel's demand
    as declared and by default, and whether it draws already; ``loads``: each source's load.
    """

    key: str
    ids: np.ndarray
    need: np.ndarray
    expected: np.ndarray
    consuming: np.ndarray
    loads: np.ndarray
    coverage: Coverage | None = None


class GraphCache:
    """Each network's graph, distances and taps, kept between runs (see the module notes).

    ``builds`` counts the graphs built per network (of layers with lines) and ``tapped`` the parcels whose taps
    were found per network, so that what a run reused can be checked.
    """

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        self._kept: dict[str, KeptNetwork] = {}
        self.folder = None if folder is None else Path(folder)
        """Where graphs are kept on disk between processes (see :meth:`network`); None: in memory only."""
        self.loaded: Counter[str] = Counter()
        """Graphs read from :attr:`folder` per network (instead of built)."""
        self.builds: Counter[str] = Counter()
        self.tapped: Counter[str] = Counter()
        self.readiness: Any = None
        """What :mod:`planner.analysis` keeps of the last readiness worked out with these graphs."""
        self.fresh: dict[str, np.ndarray | None] = {}
        """Per network, the rows (positions) its last :meth:`taps` tapped anew (None: every row, or a new table)."""
        self._shapes: tuple[np.ndarray, np.ndarray] | None = None
        self._parcel_shapes: tuple[np.ndarray, ParcelShapes] | None = None

    def shape_hashes(self, geoms: np.ndarray) -> np.ndarray:
        """:func:`shape_hashes` of ``geoms``, with the rows holding the very shapes of the last call not hashed again.

        Shapes are never changed in place, and the last call's are held here (so no other object
        can take their identity): a row holding the same object holds the same shape.
        """
        geoms = np.asarray(geoms, dtype=object)
        kept = self._shapes
        if kept is None or len(kept[0]) != len(geoms):
            hashed = shape_hashes(geoms)
        else:
            same = _identities(geoms) == _identities(kept[0])
            hashed = kept[1].copy()
            again = np.flatnonzero(~same)
            if len(again):
                hashed[again] = shape_hashes(geoms[again])
        self._shapes = (geoms.copy(), hashed)
        return hashed

    def parcel_shapes(self, parcels: pd.DataFrame, hashes: np.ndarray) -> ParcelShapes:
        """:func:`parcel_shapes` of ``parcels``: the last call's where the shapes are the same, in the same order.

        ``hashes``: each parcel's :func:`shape_hashes`. A line edit taps every parcel again on
        the network it changed, from the same parcels' shapes: they are not made again; of
        the parcels whose shapes changed since (up to a quarter of them), only theirs are.
        """
        kept = self._parcel_shapes
        if kept is None or len(kept[0]) != len(hashes):
            shapes = parcel_shapes(parcels)
        else:
            again = np.flatnonzero(kept[0] != hashes)
            if not len(again):
                return kept[1]
            if len(again) <= len(hashes) // _SPLICED:  # a few edited: only theirs made again
                shapes = kept[1].spliced(again, parcel_shapes(parcels.iloc[again]))
            else:
                shapes = parcel_shapes(parcels)
        self._parcel_shapes = (hashes.copy(), shapes)
        return shapes

    def clear(self) -> None:
        """Forget every network."""
        self._kept.clear()
        self._parcel_shapes = None
        self.readiness = None

    def network(
        self,
        name: str,
        lines: gpd.GeoDataFrame,
        sources: gpd.GeoDataFrame | None,
        *,
        snap_m: float = SNAP_M,
        fingerprint: str | None = None,
    ) -> Network | None:
        """The graph of network ``name``: the kept one if its inputs are the same, else built (and kept).

        ``fingerprint``: :func:`network_fingerprint` of these inputs, if made already.
        """
        fingerprint = fingerprint or network_fingerprint(name, lines, sources, snap_m=snap_m)
        kept = self._kept.get(name)
        if kept is None or kept.fingerprint != fingerprint:
            network = self._read(name, fingerprint) if len(lines) else None
            if network is not None:
                self.loaded[name] += 1
            else:
                network = build_network(name, lines, sources, snap_m=snap_m)
                if network is not None:  # a layer without lines has no graph
                    self.builds[name] += 1
                    self._write(name, fingerprint, network)
                    network.__dict__.pop("edge_coords", None)  # the noding's vertices, kept for the write: not held
            kept = KeptNetwork(fingerprint, network)
            self._kept[name] = kept
        return kept.network

    def _path(self, name: str, fingerprint: str) -> Path | None:
        """The file of network ``name`` built from inputs of this fingerprint by this code (None: no folder)."""
        if self.folder is None:
            return None
        digest = hashlib.blake2b(f"{fingerprint}|{_BUILDER}".encode(), digest_size=20).hexdigest()
        return self.folder / f"{name}-{digest}.graph"

    def _read(self, name: str, fingerprint: str) -> Network | None:
        """The graph kept on disk under this fingerprint, if there is one that reads (else None: build it)."""
        path = self._path(name, fingerprint)
        if path is None or not path.is_file():
            return None
        try:
            with path.open("rb") as f:
                network = pickle.load(f)  # written by this class beside the park, named by content
        except Exception:  # a file cut short or of another version: build the graph again
            return None
        return network if isinstance(network, Network) and network.name == name else None

    def _write(self, name: str, fingerprint: str, network: Network) -> None:
        """Keep the graph on disk (whole or not at all); a folder that cannot be written keeps nothing."""
        path = self._path(name, fingerprint)
        if path is None:
            return
        part: Path | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob(f"{name}-*.graph"):  # one graph per network: the others are stale
                old.unlink(missing_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as f:
                part = Path(f.name)
                pickle.dump(network, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(part, path)
        except OSError:  # a full or read-only disk: nothing kept, nothing left half-written
            if part is not None:
                with contextlib.suppress(OSError):
                    part.unlink(missing_ok=True)

    def stale(self, name: str, fingerprint: str) -> bool:
        """Whether network ``name`` would be built anew from inputs of this :func:`network_fingerprint`: neither kept
        in memory nor on disk. :func:`planner.infra.park.park_coverage` works only the stale ones out in several
        processes: a graph read from disk is read in this one (handing it and its taps back from another costs
        more than the second core saves)."""
        kept = self._kept.get(name)
        if kept is not None and kept.fingerprint == fingerprint:
            return False
        path = self._path(name, fingerprint)
        return path is None or not path.is_file()

    def served(self, name: str) -> Served | None:
        """The last coverage of network ``name`` and its inputs, if kept."""
        kept = self._kept.get(name)
        return None if kept is None else kept.served

    def keep_served(self, name: str, served: Served) -> None:
        """Keep the last coverage of network ``name`` and its inputs."""
        kept = self._kept.get(name)
        if kept is not None:
            kept.served = served

    def has_taps(self, name: str, service_distance_m: float) -> bool:
        """Whether taps of network ``name`` at this service distance are kept (a run may then tap only some)."""
        kept = self._kept.get(name)
        return kept is not None and service_distance_m in kept.taps

    def export(self, name: str) -> KeptNetwork | None:
        """What is kept of network ``name`` (to send from a worker process to its parent)."""
        return self._kept.get(name)

    def install(self, name: str, kept: KeptNetwork | None, *, built: bool, tapped: int, loaded: bool = False) -> None:
        """Keep what a worker process made of network ``name`` (see :meth:`export`), and count it."""
        if kept is not None:
            self._kept[name] = kept
        if built:
            self.builds[name] += 1
        if loaded:
            self.loaded[name] += 1
        self.tapped[name] += tapped

    def distances(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~planner.infra.network.source_distances` of the kept network ``name`` (computed once)."""
        kept = self._kept[name]
        if kept.network is None:
            msg = f"the {name} network has no lines"
            raise ValueError(msg)
        if kept.distances is None:
            kept.distances = source_distances(kept.network)
        return kept.distances

    def taps(
        self,
        name: str,
        parcels: pd.DataFrame,
        *,
        service_distance_m: float,
        shapes: ParcelShapes | None = None,
        hashes: np.ndarray | None = None,
        ids: pd.Index | None = None,
    ) -> pd.DataFrame:
        """:func:`~planner.infra.taps.network_taps` of ``parcels`` on the kept network ``name``.

        Only the parcels new to the network, or whose shape changed, are tapped; the others
        take their kept taps. ``hashes``: :func:`shape_hashes` of the parcels, if made already;
        ``ids``: their ids as an index (``pd.Index(parcels["parcel_id"].array)``), if made already
        (one for all networks: 10 ms a network for 100,000).
        """
        kept = self._kept[name]
        network = kept.network
        if network is None:
            msg = f"the {name} network has no lines"
            raise ValueError(msg)
        p = parcels.reset_index(drop=True)
        if ids is None:
            ids = pd.Index(p["parcel_id"].array)  # text stays text: no copy into Python objects and back
        hashes = shape_hashes(p.geometry.to_numpy()) if hashes is None else hashes
        before = kept.taps.get(service_distance_m)
        self.fresh[name] = None
        in_order = before is not None and before.ids.equals(ids)  # the same parcels in the same order
        if in_order:
            assert before is not None
            ids = before.ids  # unique, as it was kept
            fresh = np.flatnonzero(before.shapes != hashes)
            table = before.table
        elif before is None or not ids.is_unique:
            fresh = np.arange(len(p))
            table = None
        else:
            at = before.ids.get_indexer(ids)
            same = at >= 0
            same[same] = before.shapes[at[same]] == hashes[same]
            fresh = np.flatnonzero(~same)
            table = before.table.iloc[np.where(same, at, 0)].reset_index(drop=True)
        if len(fresh) or table is None:  # a park without parcels (roads imported first) gets an empty table
            self.tapped[name] += len(fresh)
            part = p.iloc[fresh]
            part_shapes = shapes if shapes is not None and len(fresh) == len(p) else parcel_shapes(part)
            found = network_taps(
                network,
                part,
                service_distance_m=service_distance_m,
                shapes=part_shapes,
                distances=self.distances(name),
            )
            if table is None:
                table = found
            elif (merged_table := spliced(table, fresh, found)) is not None:
                table = merged_table
            else:
                merged = {}
                for column in found.columns:
                    values = table[column].to_numpy().copy()
                    values[fresh] = found[column].to_numpy()
                    merged[column] = pd.Series(values, dtype=table[column].dtype)
                table = pd.DataFrame(merged)
        assert table is not None
        if in_order:
            self.fresh[name] = fresh  # the other rows are the kept ones
        if ids.is_unique:
            kept.taps = {service_distance_m: _Taps(ids, hashes, table)}
        return table


def safe_file_name(text: str) -> str:
    """``text`` as a file name: letters, digits, ``-`` and ``_`` kept, anything else as its code point."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else f"~{ord(c):x}" for c in text)
