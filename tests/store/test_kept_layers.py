"""The parcels kept in memory between runs (:class:`planner.store.kept.KeptLayers`) are what a full read gives.

After every kind of change — an edit through the store, a derived write taken in, a plain SQL
edit by another client, a writer in another process, an insert or a delete — the kept frame
must equal ``read_parcels()`` exactly (values, dtypes, order), and only what the history names
is read again: the changed parcels by id, or everything where an insert or delete moved rows.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
import shapely

from planner.errors import VersionConflictError
from planner.store import GeoPackageStore
from planner.store.kept import KeptLayers
from tests.conftest import grid_parcels
from tests.store.test_external_edits import _sql


def _same(kept: KeptLayers, store) -> pd.DataFrame:
    """The kept parcels, checked equal to a full read."""
    frame = kept.read(store, ["parcels"])["parcels"]
    pd.testing.assert_frame_equal(frame, store.read_parcels(), check_exact=True)
    return frame


def _edit(store, pid: str, changes: dict) -> None:
    store.update_parcel(pid, changes, version=int(store.get_parcel(pid)["version"]), by="test")


def test_edits_through_the_store_are_read_again_by_id(store):
    store.write_parcels(grid_parcels(12), by="test")
    kept = KeptLayers()
    kept.read(store, ["parcels", "sources"])
    _edit(store, "P001", {"holder": "某公司", "power_kva": 800.0})
    row = store.get_parcel("P003")
    _edit(store, "P003", {"geometry": shapely.affinity.translate(row.geometry, xoff=1.0)})
    frame = _same(kept, store)
    assert frame.set_index("parcel_id").loc["P001", "holder"] == "某公司"
    assert kept.full_reads == {"parcels": 1, "sources": 1} and kept.rows_read == 2
    _same(kept, store)  # nothing changed: nothing read
    assert kept.full_reads["parcels"] == 1 and kept.rows_read == 2


def test_a_frame_handed_out_is_a_copy(store):
    store.write_parcels(grid_parcels(3), by="test")
    kept = KeptLayers()
    frame = kept.read(store, ["parcels"])["parcels"]
    frame["holder"] = "改了"
    frame.loc[0, "power_kva"] = 1.0
    assert kept.read(store, ["parcels"])["parcels"]["holder"].isna().all()
    _same(kept, store)


def test_a_plain_sql_edit_by_another_client_is_followed(store):
    store.write_parcels(grid_parcels(6), by="test")
    kept = KeptLayers()
    kept.read(store, ["parcels"])
    _sql(store, "UPDATE parcels SET power_kva = 800, holder = '某公司' WHERE parcel_id = 'P002'")
    frame = _same(kept, store)
    assert frame.set_index("parcel_id").loc["P002", "power_kva"] == 800.0
    assert kept.rows_read == 1 and kept.full_reads["parcels"] == 1
    _sql(store, "DELETE FROM parcels WHERE parcel_id = 'P004'")  # rows move: read whole again
    assert "P004" not in set(_same(kept, store)["parcel_id"])
    assert kept.full_reads["parcels"] == 2


def test_a_writer_in_another_process_is_followed(tmp_path, config):
    from planner.store import create_park

    store = create_park(tmp_path / "park.gpkg", config)
    store.write_parcels(grid_parcels(5), by="test")
    kept = KeptLayers()
    kept.read(store, ["parcels"])
    version = int(store.get_parcel("P003")["version"])
    code = (
        "from planner.store import open_store\n"
        f"s = open_store({str(store.path)!r})\n"
        f"s.update_parcel('P003', {{'water_m3d': 42.0}}, version={version}, by='other')\n"
        "s.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    frame = _same(kept, store)
    assert frame.set_index("parcel_id").loc["P003", "water_m3d"] == 42.0 and kept.rows_read == 1
    store.close()


def test_own_derived_write_is_taken_in_without_reading(store):
    store.write_parcels(grid_parcels(6), by="test")
    kept = KeptLayers()
    before = kept.read(store, ["parcels"])["parcels"]
    values = pd.DataFrame(
        {"ready": [True, None, False, None, None, None], "missing": ["", None, "供水", None, None, None]},
        index=before.index,
    )
    report = store.write_columns(before, values, by="readiness")
    assert report.updated == 2 and report.unchanged == 4 and sorted(report.changes) == ["P000", "P002"]
    kept.wrote(report.written, report.stamps)
    frame = _same(kept, store)
    assert kept.rows_read == 0 and kept.full_reads["parcels"] == 1
    assert frame["version"].tolist() == [2, 1, 2, 1, 1, 1]
    last = store.history(layer="parcels", feature_id="P002").iloc[-1]
    assert last["changes"] == {"ready": [None, False], "missing": [None, "供水"]} and last["changed_by"] == "readiness"
    # written over rows that moved on since they were read: refused, nothing written
    _edit(store, "P000", {"holder": "某公司"})
    stamp = store.change_stamp()
    with pytest.raises(VersionConflictError):
        store.write_columns(frame, values.assign(ready=[False] * 6), by="readiness")
    assert store.change_stamp() == stamp
    with pytest.raises(ValueError, match="derived"):
        store.write_columns(frame, pd.DataFrame({"holder": ["x"] * 6}, index=frame.index), by="readiness")


def test_a_write_by_another_between_is_not_taken_in(store):
    store.write_parcels(grid_parcels(12), by="test")
    kept = KeptLayers()
    before = kept.read(store, ["parcels"])["parcels"]
    _edit(store, "P003", {"holder": "某公司"})  # after the read, before the derived write
    values = pd.DataFrame({"ready": [True] + [None] * 11}, index=before.index)
    report = store.write_columns(before, values, by="readiness")
    kept.wrote(report.written, report.stamps)  # the kept frame lacks P003's edit: the write is not spliced in
    _same(kept, store)
    assert kept.rows_read == 2  # P003 (edited) and P000 (written) read again


@pytest.mark.parametrize("store_backend", ["gpkg"])
def test_history_gone_means_a_full_read(store):
    store.write_parcels(grid_parcels(3), by="test")
    kept = KeptLayers()
    kept.read(store, ["parcels"])
    assert isinstance(store, GeoPackageStore)
    _edit(store, "P001", {"holder": "甲"})
    kept.stamp = store.change_stamp() + 5  # a stamp the history no longer reaches (a store put back from a copy)
    _same(kept, store)
    assert kept.full_reads["parcels"] == 2


def test_kept_rows_are_made_again_only_for_the_parcels_whose_shape_changed():
    from planner.store.kept import KeptRows

    def make(parcels):  # a per-parcel result of the shape alone, as the terrain is
        return pd.DataFrame(
            {"area": parcels.geometry.area.to_numpy(), "x": parcels.geometry.centroid.x.to_numpy()},
            index=pd.Index(parcels["parcel_id"].to_numpy(), name="parcel_id"),
        )

    parcels = grid_parcels(6)
    kept = KeptRows()
    pd.testing.assert_frame_equal(kept.get("dem-1", parcels, make), make(parcels))
    assert kept.made == 6
    moved = parcels.copy()
    moved.loc[2, "geometry"] = shapely.affinity.scale(moved.geometry.iloc[2], 0.5, 0.5)
    pd.testing.assert_frame_equal(kept.get("dem-1", moved, make), make(moved), check_exact=True)
    assert kept.made == 7  # the moved parcel alone
    pd.testing.assert_frame_equal(kept.get("dem-1", moved, make), make(moved))
    assert kept.made == 7  # nothing moved
    kept.get("dem-2", moved, make)  # another DEM: all again
    assert kept.made == 13
    kept.get("dem-2", moved.iloc[:5], make)  # a parcel gone: all again
    assert kept.made == 18
