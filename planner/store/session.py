"""What a backend supplies: the reads and writes of one transaction, in canonical dtypes.

:class:`~planner.store.base.ParkStore` does everything else (validation, versions,
history) on top of a :class:`Session`; a new backend implements these methods and
nothing more.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from planner.config import ParkConfig

__all__ = ["Session"]


class Session(ABC):
    """The reads and writes of one transaction, in canonical dtypes."""

    @abstractmethod
    def select(
        self,
        layer: str,
        *,
        ids: Sequence[str] | None = None,
        bbox: tuple[float, float, float, float] | None = None,
    ) -> gpd.GeoDataFrame:
        """Rows of ``layer`` (all, or those with the given ids, or meeting the bbox in the park CRS)."""

    @abstractmethod
    def insert(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        """Add ``rows`` (new ids) to ``layer``."""

    @abstractmethod
    def update(self, layer: str, rows: gpd.GeoDataFrame) -> None:
        """Replace the stored rows that have the ids of ``rows``."""

    @abstractmethod
    def set_values(self, layer: str, feature_id: str, values: pd.DataFrame, *, version: int | None) -> bool:
        """Set the columns of ``values`` (one row, canonical dtypes) on one feature if it is at ``version``.

        Only those columns are written (an edit's, with its bookkeeping). Whether the feature was
        at ``version`` (and so was written).
        """

    @abstractmethod
    def set_rows(self, layer: str, rows: pd.DataFrame, *, versions: pd.Series) -> int:
        """Set the columns of ``rows`` (the id column first, then values) on each feature still at its ``versions``.

        How many features were at their version (and so were written); the caller rolls back unless all were.
        """

    @abstractmethod
    def delete(self, layer: str, ids: Sequence[str]) -> None:
        """Remove the rows of ``layer`` with these ids."""

    @abstractmethod
    def add_history(self, records: pd.DataFrame) -> None:
        """Append history rows: changed_at, changed_by, layer, feature_id, action, version, changes (JSON)."""

    @abstractmethod
    def read_config(self) -> ParkConfig:
        """The park's configuration."""

    @abstractmethod
    def write_config(self, config: ParkConfig) -> None:
        """Replace the park's configuration."""

    @abstractmethod
    def history(self, *, layer: str | None, feature_id: str | None, parse: bool = True, since: int = 0) -> pd.DataFrame:
        """History rows after ``since`` (a history id), oldest first; ``changes`` parsed, or text (``parse=False``)."""

    @abstractmethod
    def read_metadata(self) -> dict[str, Any]:
        """The park's metadata keys and their (JSON) values."""

    @abstractmethod
    def write_metadata(self, values: Mapping[str, Any]) -> None:
        """Set metadata keys (JSON values); other keys stay."""

    @abstractmethod
    def count(self, layer: str) -> int:
        """The number of rows in ``layer``."""

    @abstractmethod
    def last_change(self) -> int:
        """The id of the newest history row (0 for none): every write adds one, so it moves on every change."""

    @abstractmethod
    def changes_since(self, history_id: int, *, with_changes: bool = False) -> pd.DataFrame:
        """The history rows after ``history_id``: id, ``layer``, ``feature_id``, ``action`` (``changes``, JSON text).

        The history id is the park's change stamp: every write adds its rows in the same
        transaction as the change, and writers of a park go one at a time, so a result that
        records the stamp it read its inputs at finds here every change made since.
        """
