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
from tests.conftest import grid_parcels

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
