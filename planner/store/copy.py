"""Copying a whole park from one store to another (GeoPackage ⇄ PostGIS, or within one backend)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from planner.errors import StoreError
from planner.store.base import ParkStore
from planner.store.layers import LAYERS
from planner.store.location import create_park, open_store
from planner.store.postgis import PostGISStore, drop_park

__all__ = ["copy_park"]


def copy_park(
    src: ParkStore | str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    folder: str | os.PathLike[str] | None = None,
) -> ParkStore:
    """Copy a park, as it is, into a new store at ``dst``; return the new store.

    Every feature keeps its id, values, geometry, ``version``, ``updated_at`` and
    ``updated_by``; the configuration, the metadata and the whole edit history go
    along (each change stamp in the metadata, such as ``readiness_stamp``, moved to the
    ids the copy's history gives the same rows). The source is read in one transaction (a consistent snapshot) and the
    destination written in one, with ``COPY`` on PostGIS. If writing fails, the new
    park is removed again.

    Parameters
    ----------
    src
        A store, or its location (a ``.gpkg`` path or a ``postgresql://…?park=`` URL).
    dst
        The new store's location.
    overwrite
        Replace a park already at ``dst``.
    folder
        For a PostGIS destination: where the park's files (the DEM) lie.
    """
    source = src if isinstance(src, ParkStore) else open_store(src)
    with source._transaction(write=False) as s:
        config = s.read_config()
        metadata = s.read_metadata()
        layers = {name: s.select(name) for name in LAYERS}
        history = s.history(layer=None, feature_id=None, parse=False)  # JSON text, copied as it is
    target = create_park(dst, config, overwrite=overwrite)
    try:
        with target._transaction(write=True) as t:
            for name, rows in layers.items():
                if len(rows):
                    t.insert(name, rows)
            before = t.last_change()
            if len(history):
                t.add_history(history.drop(columns=["history_id"]))
            if metadata:
                old_ids = history["history_id"].to_numpy(dtype=np.int64)
                t.write_metadata(_restamped(metadata, old_ids, before, t.last_change()))
    except BaseException:
        _discard(target)
        raise
    if folder is not None and hasattr(target, "_folder"):
        target._folder = Path(folder)
    return target


def _restamped(metadata: dict[str, Any], old_ids: np.ndarray, before: int, after: int) -> dict[str, Any]:
    """The metadata with each change stamp (a key ending in ``_stamp``: a history id) moved to the copy's ids.

    The copy's history holds the same rows in the same order under ids of its own (a gap
    in the source's ids, left by a rolled-back write, closes up), so a stamp becomes the id
    of the copy's row that the source's row ``stamp`` became (or, if that row is gone, of
    the last row before it): what was current stays current, and what was stale stays stale.
    """
    if not metadata:
        return metadata
    if after - before != len(old_ids):
        msg = f"the copied history got {after - before} new ids for {len(old_ids)} rows; the copy is not consistent"
        raise StoreError(msg)
    out = dict(metadata)
    order = np.sort(old_ids)
    for key, value in metadata.items():
        if key.endswith("_stamp") and value is not None:
            kept = int(np.searchsorted(order, int(value), side="right"))  # source rows up to the stamp
            out[key] = before + kept
    return out


def _discard(store: ParkStore) -> None:
    """Remove a store that was just created (best effort: the error that made the copy fail matters more)."""
    with contextlib.suppress(Exception):
        if isinstance(store, PostGISStore):
            drop_park(store.location)
        else:
            store.close()
            Path(store.uri).unlink(missing_ok=True)
