"""A writer that dies mid-write leaves a hot journal; the server's read-only readers roll it back and read.

SQLite plays a hot journal back on the next read by a connection that may write. The server reads a
GeoPackage park on read-only connections (pages, features by id, compact columns), which cannot:
they fail with ``SQLITE_READONLY_ROLLBACK`` ("attempt to write a readonly database"), and the answer
was a 503. Here a real writer process is killed inside its transaction, after it journaled the
parcels it changed, and each reader must answer the parcels as they were before that write.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import shapely

from planner.api.compact import CompactParcels, ParcelFeatures
from planner.store import create_park
from planner.store.columns import parcel_columns
from tests.conftest import grid_parcels

_DIE_MID_WRITE = """
import os, sqlite3, sys
from planner.store.gpkg_format import register_functions
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
register_functions(conn)  # the R-tree triggers call ST_IsEmpty …, as GDAL registers them
conn.execute("PRAGMA cache_size = 1")  # spill the changed pages into the file before the commit
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO planner_writer (id) VALUES (1)")  # as the planner writes: no trigger
conn.execute("UPDATE parcels SET name = '死前写入', holder = '死前写入'")
os._exit(0)  # killed inside the transaction: no commit, no rollback
"""


def _die_mid_write(path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    subprocess.run([sys.executable, "-c", _DIE_MID_WRITE, str(path)], check=True, timeout=60, cwd=root)
    journal = Path(f"{path}-journal")
    assert journal.exists() and journal.stat().st_size > 0  # hot: left for the next reader that may write


@pytest.fixture
def park(tmp_path, config):
    store = create_park(tmp_path / "park.gpkg", config)
    names = [f"{k}号地块" for k in range(6)]
    store.write_parcels(grid_parcels(6, name=names, holder=[f"企业{k}" for k in range(6)]), by="setup")
    yield store
    store.close()


def _features(store):
    reader = ParcelFeatures(store)  # made before the writer dies (it reads the park's settings)
    reader.conn()  # and this thread's read-only connection kept open, as a server's worker thread keeps it
    return lambda: [(f["id"], f["properties"]["name"]) for f in reader.read(["P001", "P004"])]


def _columns(store):
    def read():
        _, frame = parcel_columns(store, ["name"], parcel_ids=["P001", "P004"])
        return list(frame.itertuples(index=False, name=None))

    return read


def _compact(store):
    def read():
        kept = CompactParcels(store)
        return [(p, _name(kept, p)) for p in ("P001", "P004")]

    return read


def _within(store):
    kept = CompactParcels(store)  # made before the writer dies, as the server keeps it
    kept.features.conn()
    everywhere = shapely.box(*store.read_parcels().total_bounds)  # read now: a writable read plays a journal back

    def read():
        at = kept.within(everywhere)  # every parcel, by the R-tree and the shapes
        ids = kept.parcel_id[at].tolist()
        return [(p, _name(kept, p)) for p in ("P001", "P004") if p in ids]

    return read


def _name(kept: CompactParcels, parcel_id: str) -> str:
    coded = kept.coded["name"]
    return str(coded.uniques[coded.codes[kept.parcel_id.tolist().index(parcel_id)]])


@pytest.mark.parametrize(
    "read", [_features, _columns, _compact, _within], ids=["features", "columns", "compact", "within"]
)
def test_a_read_only_reader_rolls_back_a_hot_journal_and_reads_the_park_as_before_the_write(park, read):
    reader = read(park)  # each reader as made before the write (the rest of it reads after)
    _die_mid_write(park.path)
    assert reader() == [("P001", "1号地块"), ("P004", "4号地块")]
    journal = Path(f"{park.path}-journal")
    assert not journal.exists() or journal.stat().st_size == 0  # played back
    stored = park.read_parcels().set_index("parcel_id")
    assert stored["holder"].tolist() == [f"企业{k}" for k in range(6)]  # nothing of the dead write stands


def test_compact_columns_follow_an_edit_on_their_kept_connection_after_a_hot_journal(park):
    kept = CompactParcels(park)
    kept.features.conn()  # the thread's read-only connection, open before the writer dies
    row = park.get_parcel("P002")
    park.update_parcel("P002", {"name": "新名"}, version=int(row["version"]), by="张工")
    _die_mid_write(park.path)
    assert kept.refresh(None, ["P002"], 0)  # the changed row read again on the kept read-only connection
    assert _name(kept, "P002") == "新名"
