"""Clauses of what target parcels need, gathered item by item as flat arrays (see :mod:`planner.buildout.model`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Clauses"]


@dataclass
class Clauses:
    """Clauses gathered item by item, as flat arrays: each clause's parcel, and each option's clause and work id."""

    parcel: list[np.ndarray] = field(default_factory=list)
    option_clause: list[np.ndarray] = field(default_factory=list)
    option_work: list[np.ndarray] = field(default_factory=list)
    blocked: list[pd.DataFrame] = field(default_factory=list)

    def add(self, parcels: np.ndarray, options: list[np.ndarray]) -> None:
        """One clause per parcel, satisfied by any of its options (work ids)."""
        lengths = np.fromiter((len(o) for o in options), dtype=int, count=len(options))
        works = np.concatenate([np.asarray(o, dtype=object) for o in options]) if options else np.zeros(0, dtype=object)
        self.add_flat(parcels, np.repeat(np.arange(len(options)), lengths), works)

    def add_flat(self, parcels: np.ndarray, clause: np.ndarray, works: np.ndarray) -> None:
        """One clause per parcel; option ``k`` (work id ``works[k]``) satisfies clause ``clause[k]``."""
        self.parcel.append(np.asarray(parcels, dtype=object))
        self.option_clause.append(np.asarray(clause, dtype=int))
        self.option_work.append(np.asarray(works, dtype=object))

    def block(self, ids: np.ndarray, item: str, reasons: np.ndarray | list[str] | str) -> None:
        """Parcels no work considered can give ``item``, and why."""
        if len(ids):
            self.blocked.append(pd.DataFrame({"parcel_id": ids, "item": item, "reason": reasons}))

    def extend(self, other: Clauses) -> None:
        """Add the clauses of ``other`` after these."""
        self.parcel += other.parcel
        self.option_clause += other.option_clause
        self.option_work += other.option_work
        self.blocked += other.blocked
