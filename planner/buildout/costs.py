"""Unit costs of works: 万元 per km of line by network and size, per unit of capacity added, per m³ of earthwork.

The table is ``data/unit_costs.csv`` (indicative planning figures; its header names where
they come from); a park overrides any row in its configuration (``unit_costs``:
``{"water:DN300": 180}``). A line's size class is the first class of its network whose
``size_up_to`` holds its diameter (pipes, mm) or voltage (power, kV), or its road class;
a line without a size, and a candidate extension, takes the network's ``default`` class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import WorkError
from planner.resources import data_path

__all__ = ["SIZE_COLUMN", "UnitCosts"]

SIZE_COLUMN: Mapping[str, str] = {
    "road": "road_class",
    "water": "diameter_mm",
    "drainage": "diameter_mm",
    "gas": "diameter_mm",
    "heat": "diameter_mm",
    "power": "voltage_kv",
}
"""The line column whose value picks a network's size class (telecom has one class)."""


@dataclass(frozen=True)
class UnitCosts:
    """The unit costs in force for a park: the table with the park's overrides applied.

    ``table``: one row per ``network``, ``kind`` (``line``, ``source``, ``earthwork``) and
    ``size_class``, with ``size_up_to``, ``unit``, ``cost_wan`` and ``origin`` (``table`` or
    ``park``).
    """

    table: pd.DataFrame

    @classmethod
    def load(cls, overrides: Mapping[str, float] | None = None, *, path: str | Path | None = None) -> UnitCosts:
        """The table at ``path`` (default ``data/unit_costs.csv``) with ``overrides`` (``network:class`` → 万元).

        Raises
        ------
        WorkError
            If an override names a class the table does not have.
        """
        table = pd.read_csv(path or data_path("unit_costs.csv"), comment="#", dtype={"size_class": str})
        table["origin"] = "table"
        for key, value in (overrides or {}).items():
            network, _, size = key.partition(":")
            rows = (table["network"] == network) & (table["size_class"] == size)
            if not rows.any():
                known = ", ".join(f"{n}:{c}" for n, c in zip(table["network"], table["size_class"], strict=True))
                msg = f"`unit_costs.{key}` names no row of the unit-cost table; known: {known}"
                rows_zh = "、".join(f"`{n}:{c}`" for n, c in zip(table["network"], table["size_class"], strict=True))
                zh = f"`unit_costs.{key}` 不是单价表中的一行；已有：{rows_zh}"
                raise WorkError(msg, field=f"unit_costs.{key}", zh=zh)
            table.loc[rows, "cost_wan"] = float(value)
            table.loc[rows, "origin"] = "park"
        return cls(table)

    def _rows(self, network: str, kind: str) -> pd.DataFrame:
        return self.table[(self.table["network"] == network) & (self.table["kind"] == kind)]

    def line_classes(self, network: str, lines: pd.DataFrame) -> np.ndarray:
        """The size class of each line (``DN300``, ``10kV``, ``arterial``; ``default`` without a size)."""
        rows = self._rows(network, "line")
        out = np.full(len(lines), "default", dtype=object)
        column = SIZE_COLUMN.get(network)
        if column is None or column not in lines:
            return out
        if column == "road_class":
            given = lines[column].astype(object).to_numpy()
            known = np.isin(given, rows["size_class"].to_numpy())
            out[known] = given[known]
            return out
        sized = rows.dropna(subset=["size_up_to"]).sort_values("size_up_to")
        size = pd.to_numeric(lines[column], errors="coerce").to_numpy(dtype=float)
        have = np.isfinite(size) & (size > 0)
        if len(sized) and have.any():
            at = np.minimum(np.searchsorted(sized["size_up_to"].to_numpy(dtype=float), size[have]), len(sized) - 1)
            out[have] = sized["size_class"].to_numpy()[at]
        return out

    def per_km(self, network: str, classes: np.ndarray) -> np.ndarray:
        """万元 per km of line of each size class of ``network`` (NaN where the table has none)."""
        rows = self._rows(network, "line").set_index("size_class")["cost_wan"]
        return pd.Series(classes, dtype=object).map(rows).to_numpy(dtype=float)

    def per_capacity(self, network: str) -> float:
        """万元 per unit of capacity added to a source of ``network`` (NaN where the table has none)."""
        rows = self._rows(network, "source")
        return float(rows["cost_wan"].iloc[0]) if len(rows) else float("nan")

    def per_m3_earthwork(self) -> float:
        """万元 per m³ of leveling earthwork (NaN where the table has none)."""
        rows = self._rows("leveled", "earthwork")
        return float(rows["cost_wan"].iloc[0]) if len(rows) else float("nan")

    def basis(self, network: str, kind: str, size_class: str) -> str:
        """How a cost was found, for the plan's table: ``unit cost water:DN300 160 万元/km (table)``."""
        rows = self._rows(network, kind)
        row = rows[rows["size_class"] == size_class]
        if not len(row):
            return ""
        r = row.iloc[0]
        return f"{network}:{size_class} {r['cost_wan']:g} 万元/{r['unit']} ({r['origin']})"
