"""The parcels as a CSV table a bureau or a spreadsheet reads as it is (``planner export --to csv``).

``labels="zh"`` (the default): each column headed by its Chinese label with its unit
(``宗地面积（亩）``), codes, yes/no and missing items as words — the desk's table,
:func:`~planner.exchange.sheet.labelled_column` — and numbers rounded to their meaning
(:data:`~planner.exchange.shp_fields.SHAPEFILE_DECIMALS`: 亩 to 4 decimals, 万元 to 2).
``labels="codes"``: schema column names, stored codes and unrounded numbers.
Either way UTF-8 with a byte-order mark (:func:`~planner.exchange.sheet.csv_bytes`), dates as
``YYYY-MM-DD``, and no geometry (the Shapefile and GeoPackage carry it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.exchange.sheet import csv_bytes, labelled_column
from planner.exchange.shp_fields import SHAPEFILE_DECIMALS
from planner.parcels.schema import FIELD_BY_NAME, label

__all__ = ["bureau_table", "write_csv"]


def bureau_table(parcels: pd.DataFrame, columns: list[str], labels: str = "zh") -> pd.DataFrame:
    """``columns`` of ``parcels`` as the CSV holds them (``labels``: ``zh`` or ``codes``)."""
    out: dict[str, pd.Series] = {}
    for name in columns:
        spec = FIELD_BY_NAME[name]
        values = parcels[name].reset_index(drop=True)
        if spec.kind == "date":
            values = labelled_column(parcels.reset_index(drop=True), name, "zh")  # a date, without the time
        elif spec.kind == "float" and labels == "zh":
            values = pd.Series(np.round(values.astype("float64"), SHAPEFILE_DECIMALS.get(spec.unit or "", 2)))
        elif labels == "zh":
            values = labelled_column(parcels.reset_index(drop=True), name, "zh")
        out[label(name, "zh") if labels == "zh" else name] = values
    return pd.DataFrame(out)


def write_csv(parcels: pd.DataFrame, columns: list[str], out: Path, *, labels: str = "zh") -> None:
    """Write ``bureau_table`` of the parcels to ``out`` as UTF-8 CSV with a BOM."""
    Path(out).write_bytes(csv_bytes(bureau_table(parcels, columns, labels)))
