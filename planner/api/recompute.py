"""Readiness and idle land run again after edits, one run at a time per park, each run serving every edit before it.

An edit of a readiness or idle-land input answers once the results are computed again
(:func:`planner.analysis.recompute_after_edit`). Editors at work at once would each start a
run of their own, over the same park, and the runs would crowd the server out. Here one run
goes at a time: an edit committed while a run is under way waits for the next run, which
starts once that one ends and covers every edit committed before it started (the union of
their columns). Each edit still answers only after a run that read the park with its change
in it, so no answer carries an older result; a run that could not be made says so in the
notes of every edit it covered (and ``freshness`` refuses the stale result meanwhile).

An edit of a parcel's own readiness or idle-land inputs made while no run is under way or waiting
(:meth:`Recomputes.edit`) takes the run's place: where :func:`planner.edits.inline_applies`, the
readiness and idle land it changes are worked out and written in the edit's own transaction (no reader
sees the edit without them, and ``freshness`` never says "stale" for it); else the edit is committed
and the run made at once. Either way no run goes beside it, and an edit arriving meanwhile waits for the next run.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from planner.analysis import IDLE_INPUTS, READINESS_INPUTS, recompute_after_edit
from planner.edits import edit_with_results, inline_applies
from planner.store.base import ParkStore

__all__ = ["Recomputes"]


@dataclass
class _Run:
    """One run: the columns of the edits it covers, its notes once done."""

    changed: set[str] = field(default_factory=set)
    users: list[str] = field(default_factory=list)
    notes: list[str] | None = None


@dataclass
class Recomputes:
    """The runs of one park: the one under way and the one that gathers the edits waiting for it."""

    store: ParkStore
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _running: _Run | None = None
    _next: _Run | None = None

    @staticmethod
    def needed(changed: set[str]) -> bool:
        """Whether an edit of ``changed`` is read by readiness or idle land (and so runs them again)."""
        return bool(changed & (READINESS_INPUTS | IDLE_INPUTS))

    def after_edit(self, user: str, changed: set[str]) -> list[str]:
        """Run readiness and idle land again for a committed edit of ``changed`` by ``user``; the run's notes.

        Returns once a run that started after this edit was committed has ended; at once for an
        edit of no column either reads.
        """
        if not self.needed(changed):
            return []
        with self._cond:
            if self._next is None:
                self._next = _Run()
            mine = self._next
            mine.changed |= changed
            mine.users.append(user)
            while mine.notes is None:
                if self._running is None and self._next is mine:
                    self._running, self._next = mine, None
                    break
                self._cond.wait()
            else:
                return mine.notes
        try:
            notes = recompute_after_edit(self.store, mine.users[0], mine.changed)
        except BaseException as exc:  # never leave the edits waiting for it
            notes = [f"七通一平/闲置土地未能重算（{type(exc).__name__}）；修改已保存"]
            raise
        finally:
            with self._cond:
                mine.notes = notes
                self._running = None
                self._cond.notify_all()
        return notes

    def edit(
        self, parcel_id: str, changes: Mapping[str, Any], *, version: int, user: str
    ) -> tuple[pd.Series, list[str]]:
        """Edit a parcel (:meth:`~planner.store.base.ParkStore.update_parcel`) and run what it changes; the row
        as stored and the notes.

        With no run under way or waiting, the edit takes the run's place: its readiness and idle land written in
        its own transaction where :func:`~planner.edits.inline_applies`, else the edit committed and the run made at
        once. Otherwise the edit is committed and waits for the next run (:meth:`after_edit`).
        """
        changed = set(changes)
        mine = _Run(changed, [user])
        with self._cond:
            alone = self.needed(changed) and self._running is None and self._next is None
            if alone:
                self._running = mine
        if not alone:
            row = self.store.update_parcel(parcel_id, changes, version=version, by=user)
            return row, self.after_edit(user, changed)
        notes: list[str] = []
        try:
            if inline_applies(self.store, changed):
                row = edit_with_results(self.store, parcel_id, changes, version=version, by=user)
                derived = row.attrs.get("derived")
                if derived is None or not derived.written:  # another writer in between: the run after it
                    notes = recompute_after_edit(self.store, user, changed)
            else:
                row = self.store.update_parcel(parcel_id, changes, version=version, by=user)
                notes = recompute_after_edit(self.store, user, changed)
        finally:
            with self._cond:
                mine.notes = notes
                self._running = None
                self._cond.notify_all()
        return row, notes
