"""The `planner` command, run as a user runs it: the installed entry point in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planner.store import open_store

PLANNER = shutil.which("planner", path=str(Path(sys.executable).parent)) or "planner"


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run([PLANNER, *args], capture_output=True, text=True, env=environ, timeout=300)


def test_help_reads_in_chinese_and_english():
    out = run("--help")
    assert out.returncode == 0
    assert "工业园区土地与基础设施规划工具" in out.stdout
    assert "Land and infrastructure planner for Chinese industrial parks" in out.stdout
    demo = run("demo", "--help")
    assert demo.returncode == 0
    for text in ("生成示范园区", "Build the demo park", "--no-serve", "--as-of", "YYYY-MM-DD", "--seed"):
        assert text in demo.stdout, text


def test_version():
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.startswith("planner 0.")


def test_demo_builds_a_park(tmp_path):
    out = run("demo", "--no-serve", "--out", str(tmp_path), "--as-of", "2026-06-30")
    assert out.returncode == 0, out.stderr
    assert "宗地（按供地状态）" in out.stdout
    assert "经开区110kV变电站" in out.stdout
    store = open_store(tmp_path / "park.gpkg")
    assert len(store.read_parcels()) >= 300
    assert (tmp_path / "dem.tif").is_file()
    assert "no HTTP API" not in out.stdout and "尚无 HTTP 服务" not in out.stdout  # --no-serve only builds


def test_demo_in_english_and_the_serve_note(tmp_path):
    out = run("demo", "--out", str(tmp_path), "--as-of", "2026-06-30", "--seed", "3", env={"PLANNER_LANG": "en"})
    assert out.returncode == 0, out.stderr
    assert "Parcels by supply status" in out.stdout
    assert "no HTTP API or map yet" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--as-of", "2026-13-01"], "'2026-13-01' is not a date; write it as YYYY-MM-DD"),
        (["demo", "--lang", "fr"], "'fr' is not a language; use zh"),
        (["demo", "--seed", "many"], "Invalid value for '--seed': Input should be a valid integer"),
    ],
)
def test_bad_options_are_named(tmp_path, args, message):
    out = run(*args, "--out", str(tmp_path / "x"))
    assert out.returncode == 2
    assert message in " ".join(out.stderr.replace("│", " ").split())
    assert not (tmp_path / "x" / "park.gpkg").exists()
