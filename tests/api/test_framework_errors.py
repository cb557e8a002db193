"""Every refusal in the one documented shape, on both backends, and store failures said plainly.

The framework's own refusals (no route, a method not allowed, a body that is no JSON in UTF-8)
answer ``{"error": {…}}`` like the planner's, with an ``Allow`` header that lists every method
of the path (RFC 9110 §15.5.6). A store that cannot be written answers 503 with the store's
words (the CLI's) and is logged; a full disk is a tiny tmpfs, a read-only one the same
remounted read-only, a lost connection ``pg_terminate_backend``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.conftest import EDITOR


def _error(got, status: int) -> dict:
    assert got.status_code == status, got.text
    assert got.headers["content-type"].startswith("application/json")
    error = got.json()["error"]
    assert error["status"] == status and error["message"] and "detail" not in got.json()
    return error


def test_the_framework_refusals_use_the_error_shape_and_allow_lists_patch(small_api):
    error = _error(small_api.get("/nowhere"), 404)
    assert "/nowhere" in error["message"] and "/docs" in error["message"]
    import requests

    deleted = requests.delete(small_api.url + "/parcels/P001", timeout=30)
    error = _error(deleted, 405)
    assert deleted.headers["allow"] == "GET, PATCH" and "allowed: GET, PATCH" in error["message"]
    posted = small_api.post("/parcels/P001", json={})
    assert _error(posted, 405) and posted.headers["allow"] == "GET, PATCH"
    assert small_api.post("/parcels", json={}).headers["allow"] == "GET"
    headers = EDITOR | {"If-Match": '"1"', "Content-Type": "application/json"}
    bad = small_api.patch("/parcels/P001", data=b'{"holder": "\xff\xfe"}', headers=headers)
    error = _error(bad, 400)
    assert error["field"] == "body" and "UTF-8" in error["message"]


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); needs root")


def _fill(folder: Path) -> None:
    with (folder / "filler").open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


@pytest.fixture
def tiny_disk(tmp_path):
    where = tmp_path / "disk"
    _mount_tmpfs(where, "8m")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_or_read_only_disk_answers_503_with_the_cli_words_and_is_logged(small_api, tiny_disk, request, caplog):
    if small_api.backend != "gpkg":
        pytest.skip("the PostGIS failures are in test_a_lost_or_read_only_database_answers_503")
    from planner.api import create_app
    from planner.store import open_store
    from tests.api.conftest import TOKENS, serve

    shutil.copy(small_api.store.path, tiny_disk / "park.gpkg")
    store = open_store(tiny_disk / "park.gpkg")
    url, server, thread = serve(create_app(store, tokens=TOKENS))
    import requests

    def edit(holder: str):
        version = requests.get(f"{url}/parcels/P001", timeout=30).json()["properties"]["version"]
        return requests.patch(
            f"{url}/parcels/P001", json={"holder": holder}, headers=EDITOR | {"If-Match": f'"{version}"'}, timeout=60
        )

    try:
        _fill(tiny_disk)
        with caplog.at_level(logging.ERROR, logger="planner.api"):
            full = edit("甲" * 3000)
        error = _error(full, 503)
        assert "the disk is full" in error["message"] and "nothing was written" in error["message"]
        assert full.headers["retry-after"] == "30"
        assert any("the disk is full" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
        (tiny_disk / "filler").unlink()
        store.close()  # no file held open for writing: the disk can be remounted read-only
        subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
        error = _error(edit("乙公司"), 503)
        assert "the store is read-only" in error["message"]
        assert requests.get(f"{url}/parcels/P001", timeout=30).status_code == 200  # reading still answers
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        store.close()


def test_a_lost_or_read_only_database_and_a_held_lock_answer_503(small_api, caplog, monkeypatch):
    if small_api.backend != "postgis":
        pytest.skip("the GeoPackage failures are in test_a_full_or_read_only_disk_answers_503")
    import psycopg

    import planner.store.postgis

    database = small_api.store.location.split("?")[0]
    with psycopg.connect(database, autocommit=True) as admin:
        pids = [
            r[0]
            for r in admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'planner' AND datname = current_database()"
            )
        ]
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with caplog.at_level(logging.ERROR, logger="planner.api"):
            lost = small_api.patch("/parcels/P001", json={"holder": "甲"}, headers=EDITOR | {"If-Match": '"1"'})
        error = _error(lost, 503)
        assert "the connection to the database was lost" in error["message"]
        assert "***" not in error["message"] or "@" in error["message"]
        assert any("connection to the database was lost" in r.getMessage() for r in caplog.records)
        name = database.rsplit("/", 1)[1]
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        try:
            small_api.store.close()  # the next connection is a new session: read-only
            error = _error(
                small_api.patch("/parcels/P001", json={"holder": "乙"}, headers=EDITOR | {"If-Match": '"1"'}), 503
            )
            assert "the store is read-only" in error["message"]
        finally:
            admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            small_api.store.close()
        monkeypatch.setattr(planner.store.postgis, "_LOCK_TIMEOUT_S", 0.3)
        with psycopg.connect(database) as holder:
            holder.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (0x504C, small_api.store.schema))
            busy = small_api.patch("/parcels/P001", json={"holder": "丙"}, headers=EDITOR | {"If-Match": '"1"'})
        error = _error(busy, 503)
        assert "locked by another writer" in error["message"] and busy.headers["retry-after"] == "2"
