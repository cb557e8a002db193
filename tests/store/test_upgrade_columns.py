"""A park made before a column existed opens on either backend, gains the column empty, and keeps its rows.

Columns are only ever added (``ALTER TABLE … ADD COLUMN``), in one transaction when the park is
opened, so a park written by an earlier version keeps working and an earlier version still reads
the upgraded park (it names the columns it knows).
"""

from __future__ import annotations

import sqlite3

import pandas as pd

from planner.store import GeoPackageStore, open_store
from tests.conftest import grid_parcels
from tests.store.conftest import pg_connect

ADDED = (
    "idle_until",
    "disposal_stage",
    "idle_notice_date",
    "idle_determined_date",
    "disposal",
    "disposal_date",
    "restart_date",
    "temporary_use_until",
    "idle_fee_paid_wan",
    "admin_share_pct",
    "green_ratio_pct",
)
"""The parcel columns added after parks were first made (issue 16: idle land started since, the disposal
record, the admin share and green ratio)."""


def _drop_columns(store, columns) -> None:
    """Make the store look as an earlier version made it: without ``columns`` in its parcel table."""
    if isinstance(store, GeoPackageStore):
        conn = sqlite3.connect(store.path)
        for (trigger,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'planner_v%'"
        ).fetchall():
            conn.execute(f'DROP TRIGGER "{trigger}"')  # an earlier version made no triggers; they name every column
        for column in columns:
            conn.execute(f'ALTER TABLE parcels DROP COLUMN "{column}"')
            conn.execute("DELETE FROM gpkg_data_columns WHERE table_name = 'parcels' AND column_name = ?", (column,))
        conn.commit()
        conn.close()
        return
    with pg_connect(store) as conn:
        for column in columns:
            conn.execute(f'ALTER TABLE "{store.schema}".parcels DROP COLUMN "{column}"')


def _columns(store) -> set[str]:
    if isinstance(store, GeoPackageStore):
        conn = sqlite3.connect(store.path)
        try:
            return {r[1] for r in conn.execute("PRAGMA table_info(parcels)")}
        finally:
            conn.close()
    with pg_connect(store) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = 'parcels'",
            (store.schema,),
        ).fetchall()
    return {r[0] for r in rows}


def test_an_earlier_park_gains_the_new_columns_and_keeps_its_rows(store, park_uri):
    store.write_parcels(grid_parcels(2, status=["supplied", "reserved"], holder=["甲公司", None]), by="old")
    _drop_columns(store, ADDED)
    store.close()
    assert not set(ADDED) & _columns(store)

    upgraded = open_store(park_uri)
    try:
        assert set(ADDED) <= _columns(upgraded)
        parcels = upgraded.read_parcels()
        assert parcels["holder"].tolist() == ["甲公司", None]  # the rows as they were
        assert parcels["idle_until"].isna().all() and str(parcels["idle_until"].dtype) == "datetime64[ns]"
        parcels.loc[0, "idle_until"] = pd.Timestamp("2025-09-14")
        upgraded.write_parcels(parcels, by="new")
        assert upgraded.get_parcel("P000")["idle_until"] == pd.Timestamp("2025-09-14")
    finally:
        upgraded.close()
    again = open_store(park_uri)  # nothing left to add: opens as any park
    try:
        assert again.get_parcel("P000")["version"] == 2
    finally:
        again.close()


def test_the_added_column_carries_its_chinese_title_in_the_geopackage(tmp_path, config):
    from planner.store import create_park

    path = tmp_path / "old.gpkg"
    _drop_columns(create_park(path, config), ADDED)
    open_store(path).close()
    conn = sqlite3.connect(path)
    title = conn.execute(
        "SELECT title FROM gpkg_data_columns WHERE table_name = 'parcels' AND column_name = 'idle_until'"
    ).fetchone()
    conn.close()
    assert title == ("闲置截止日",)
