"""The code keeps to the lint rules of `make lint`: ruff (the wide rule set in pyproject.toml) and mypy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TREES = ["planner", "tests", "bench", "notebooks"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    "command",
    [("ruff", "check", "--no-cache", *TREES), ("ruff", "format", "--check", "--no-cache", *TREES)],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff_is_clean(command):
    done = _run(*command)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean():
    done = _run("mypy", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-2000:]
    assert done.stdout.startswith("Success: no issues found")


def test_ruff_sees_a_finding(tmp_path):
    """The checks above can fail: ruff flags a raise with an inline f-string message under the project's rules."""
    bad = tmp_path / "bad.py"
    bad.write_text('"""A module."""\n\n\ndef f(x: int) -> None:\n    """F."""\n    raise ValueError(f"bad {x}")\n')
    done = _run("ruff", "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert done.returncode == 1 and "EM102" in done.stdout
