"""Where the tables the planner ships (``data/``) are found."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_path"]

_DEFAULT = Path(__file__).resolve().parent.parent / "data"


def data_path(name: str) -> Path:
    """Path of a file in the project's ``data/`` folder.

    ``PLANNER_DATA_DIR`` overrides the folder (for installs that keep it elsewhere).
    """
    folder = Path(os.environ.get("PLANNER_DATA_DIR", _DEFAULT))
    path = folder / name
    if not path.exists():
        msg = f"data table {name!r} not found in {folder}; set PLANNER_DATA_DIR to the project's data/ folder"
        raise FileNotFoundError(msg)
    return path
