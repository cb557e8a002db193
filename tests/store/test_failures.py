"""A failed write said plainly by every interface, on both backends: no traceback from any command.

A full disk is simulated with a file-size limit on the command's process (``RLIMIT_FSIZE``,
SIGXFSZ ignored, so a write past it fails with EFBIG as a full disk fails with ENOSPC).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from planner.store.failures import plainly
from tests.conftest import grid_parcels, require_tool

PLANNER = shutil.which("planner", path=str(Path(sys.executable).parent)) or "planner"
ROOT = Path(__file__).resolve().parents[2]


def _small_files_only(limit: int):
    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


@pytest.mark.parametrize("to", ["geojson", "gpkg"])
def test_an_export_onto_a_full_disk_says_so_in_one_line(store, park_uri, tmp_path, to):
    store.write_parcels(grid_parcels(40, holder=["某某新材料科技有限公司"] * 40), by="setup")
    park = str(store.path) if hasattr(store, "path") else store.location
    out = tmp_path / f"out.{to}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "PLANNER_LANG": "en"}
    done = subprocess.run(
        [PLANNER, "export", park, "--to", to, "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        preexec_fn=_small_files_only(4096),
    )
    assert done.returncode == 1, done.stdout + done.stderr
    text = " ".join((done.stdout + done.stderr).split())
    assert "Traceback" not in text and "╭" not in text, text
    assert f"cannot write {out}" in text and "the disk is full" in text, text
    assert not out.exists()  # a file cut short is no export


def test_known_failures_are_said_plainly_and_others_as_they_are():
    assert plainly("database or disk is full") == "the disk is full: database or disk is full"
    assert plainly(OSError(27, "File too large")).startswith("the disk is full")
    assert plainly("attempt to write a readonly database").startswith("the store is read-only")
    assert plainly("cannot execute UPDATE in a read-only transaction").startswith("the store is read-only")
    assert plainly("terminating connection due to administrator command").startswith("the connection")
    assert plainly("no such table: parcels") == "no such table: parcels"


@pytest.mark.parametrize("room_bytes", [100_000, 400_000])
def test_an_import_that_fills_the_disk_leaves_no_hot_journal_and_read_only_clients_read_the_park(
    tmp_path, config, room_bytes
):
    """SQLite leaves the journal of a write cut by an I/O error to the next reader that may write;
    the planner rolls it back before it exits, so that ``ogrinfo -ro`` opens the park at once."""
    from planner.store import create_park

    ogrinfo = require_tool("ogrinfo")
    park = tmp_path / "park.gpkg"
    create_park(park, config).write_parcels(grid_parcels(20), by="setup")
    before = park.read_bytes()
    big = tmp_path / "big.geojson"
    grid_parcels(3000, holder=["某某新材料科技有限公司" * 3] * 3000).to_file(big, driver="GeoJSON")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "PLANNER_LANG": "en"}
    done = subprocess.run(
        [PLANNER, "import", str(park), str(big)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        preexec_fn=_small_files_only(
            len(before) + room_bytes
        ),  # the park may grow by room_bytes, then the disk is full
    )
    assert done.returncode == 1, done.stdout + done.stderr
    text = " ".join((done.stdout + done.stderr).split())
    assert "Traceback" not in text and "nothing was written" in text, text
    journal = Path(f"{park}-journal")
    assert not journal.exists() or journal.stat().st_size == 0
    assert not Path(f"{park}-wal").exists()
    assert park.read_bytes() == before  # rolled back: the park as it was
    read = subprocess.run(
        [ogrinfo, "-ro", "-so", str(park), "parcels"], capture_output=True, text=True, env={"LC_ALL": "C.UTF-8"}
    )
    assert read.returncode == 0 and "Feature Count: 20" in read.stdout, read.stdout + read.stderr
