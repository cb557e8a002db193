"""The store's edit path on a synthetic park with its seven networks: a plain edit, a readiness-input edit and
the readiness run after it, through a GeoPackage store as the server keeps it open.

    python -m bench.edit --parcels 100000 [--edits 3] [--profile FILE] [--idle YYYY-MM-DD]

The park is the one of :mod:`bench.readiness` (a road grid, six utilities along part of it, four
sources each), written through the store; readiness is computed once cold
(:func:`planner.analysis.update_readiness`), as a server does after it starts. Then, on that same
store object (its graphs, its last result and its kept parcels):

- a plain edit (``holder``): :meth:`~planner.store.base.ParkStore.update_parcel`;
- a readiness-input edit (``power_kva``): ``update_parcel``, then
  :func:`planner.analysis.recompute_after_edit` (readiness worked out again and written back), the
  two steps ``PATCH /parcels/{id}`` takes where the edit cannot carry its readiness;
- the same edit with its readiness in its own transaction (:meth:`planner.api.recompute.Recomputes.edit`,
  :mod:`planner.edits`), as ``PATCH /parcels/{id}`` makes it;

each timed in wall and CPU seconds (this process; the load average is printed beside them). The
peer of the readiness run after an edit is the cold run.

With ``--idle``, idle land is then classified as of that day (:func:`planner.analysis.update_idle`) and
supplied parcels have their ``status`` edited (to ``reserved`` and back), a readiness and idle-land input:
in two steps (``update_parcel``, then ``recompute_after_edit``: readiness and the whole park's idle land
again), then with both results in the edit's transaction (``Recomputes.edit``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.api import build_gpkg
from bench.readiness import synthetic
from planner.analysis import recompute_after_edit, update_idle, update_readiness
from planner.api.recompute import Recomputes
from planner.config import ParkConfig
from planner.store import create_park, open_store
from planner.vocab import NETWORK_ITEMS


def _cpu() -> float:
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def _timed(work):
    cpu, start = _cpu(), time.perf_counter()
    out = work()
    return out, time.perf_counter() - start, _cpu() - cpu


_CAPACITY = {"capacity_kva": 9e6, "capacity_m3d": 9e6, "capacity_nm3h": 9e6, "capacity_mw": 9e4, "capacity_ports": 9e6}


def build(path: Path, n: int):
    """The park of :mod:`bench.readiness` written through the store at ``path``; the open store."""
    parcels, layers, sources = synthetic(n)
    for column, most in _CAPACITY.items():  # bench.readiness's unbounded 1e9: the largest plausible capacity
        sources[column] = sources[column].clip(upper=most)
    config = ParkConfig(
        park_id="BENCH",
        name="基准园区",
        crs_epsg=4545,
        networks={net: {"service_distance_m": 40.0, "service_radius_m": 1e7} for net in NETWORK_ITEMS},
    )
    store = create_park(path, config, overwrite=True)
    store.write_layers(
        {"parcels": parcels, "sources": sources, **{f"{net}_lines": layers[net] for net in NETWORK_ITEMS}},
        by="bench",
    )
    return store


def _plain(path: Path, n: int):
    """The park of :mod:`bench.load` (readiness from the declared values alone), open."""
    build_gpkg(path, n)
    return open_store(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=3, help="edits of each kind timed")
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the readiness-input edits into FILE")
    parser.add_argument("--keep", type=Path, default=None, help="keep the park in DIR (and use it if there)")
    parser.add_argument("--no-networks", action="store_true", help="the park of bench.load instead (no networks)")
    parser.add_argument("--idle", default=None, help="classify idle land as of this day, then time status edits")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-edit-"))
    path = folder / f"park-{args.parcels}{'-plain' if args.no_networks else ''}.gpkg"
    if path.exists():  # kept from an earlier run (its graphs on disk beside it)
        store = open_store(path)
        print(f"park of {args.parcels:,} parcels: {path}")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        store, built_s, built_cpu = _timed(
            lambda: _plain(path, args.parcels) if args.no_networks else build(path, args.parcels)
        )
        print(f"park of {args.parcels:,} parcels written through the store: {built_s:.1f} s ({built_cpu:.1f} s CPU)")
    _, cold_s, cold_cpu = _timed(lambda: update_readiness(store, by="bench"))
    print(f"readiness, cold: {cold_s:.2f} s ({cold_cpu:.2f} s CPU); load average {os.getloadavg()[0]:.1f}")
    first = store.read_parcels().iloc[:100]
    # parcels in production: their power load is drawn, so an edit of it moves their source's remaining capacity
    ids = first[first["status"] == "in_production"]["parcel_id"].tolist()[: args.edits]
    profile = cProfile.Profile() if args.profile else None
    for k, pid in enumerate(ids):
        version = int(store.get_parcel(pid)["version"])
        _, plain_s, plain_cpu = _timed(
            lambda pid=pid, v=version: store.update_parcel(pid, {"holder": f"企业{time.time()}"}, version=v, by="bench")
        )
        version = int(store.get_parcel(pid)["version"])
        kva = 800.0 + time.time() % 1000  # a new value each run
        if profile:
            profile.enable()
        _, edit_s, edit_cpu = _timed(
            lambda pid=pid, v=version, kva=kva: store.update_parcel(pid, {"power_kva": kva}, version=v, by="bench")
        )
        before = store.change_stamp()
        notes, run_s, run_cpu = _timed(lambda: recompute_after_edit(store, "bench", {"power_kva"}))
        written = len(store.changes_since(before).query("layer == 'parcels'"))
        if profile:
            profile.disable()
        version = int(store.get_parcel(pid)["version"])
        before = store.change_stamp()
        (row, _), one_s, one_cpu = _timed(
            lambda pid=pid, v=version, kva=kva + 1: Recomputes(store).edit(pid, {"power_kva": kva}, version=v, user="b")
        )
        together = len(store.changes_since(before).query("layer == 'parcels'"))
        inline = bool(row.attrs.get("derived") and row.attrs["derived"].written)
        print(
            f"edit {k + 1}, with its readiness in one transaction ({'inline' if inline else 'two steps'}): "
            f"{one_s * 1000:.0f} ms ({one_cpu * 1000:.0f} ms CPU; {together:,} parcel rows written); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"edit {k + 1}: plain {plain_s * 1000:.0f} ms ({plain_cpu * 1000:.0f} ms CPU); readiness input "
            f"{edit_s * 1000:.0f} ms ({edit_cpu * 1000:.0f} ms CPU), readiness after it {run_s:.2f} s "
            f"({run_cpu:.2f} s CPU; {written:,} parcels' readiness written) "
            f"vs the cold run {cold_s:.2f} s ({cold_cpu:.2f} s CPU); "
            f"load average {os.getloadavg()[0]:.1f}{'; notes: ' + '; '.join(notes) if notes else ''}"
        )
    if profile:
        profile.dump_stats(args.profile)
    if args.idle:
        _status_edits(store, args.idle, args.edits)
    store.close()


def _status_edits(store, as_of: str, edits: int) -> None:
    """Status edits of supplied parcels (to ``reserved`` and back) on a park whose idle land is classified: in two
    steps, then with their readiness and idle land in one transaction; each timed."""
    _, idle_s, idle_cpu = _timed(lambda: update_idle(store, as_of, by="bench"))
    parcels = store.read_parcels()
    idle = int(parcels["idle_rule"].notna().sum())
    print(f"idle land as of {as_of}: {idle_s:.2f} s ({idle_cpu:.2f} s CPU), {idle:,} parcels idle")
    ids = parcels[parcels["status"] == "supplied"]["parcel_id"].tolist()[:edits]
    for k, pid in enumerate(ids):
        for status in ("reserved", "supplied"):
            version = int(store.get_parcel(pid)["version"])

            def two_steps(pid=pid, v=version, status=status):
                store.update_parcel(pid, {"status": status}, version=v, by="bench")
                return recompute_after_edit(store, "bench", {"status"})

            notes, two_s, two_cpu = _timed(two_steps)
            back = "supplied" if status == "reserved" else "reserved"  # undone the same way, untimed
            version = int(store.get_parcel(pid)["version"])
            Recomputes(store).edit(pid, {"status": back}, version=version, user="bench")
            version = int(store.get_parcel(pid)["version"])
            (row, _), one_s, one_cpu = _timed(
                lambda pid=pid, v=version, status=status: Recomputes(store).edit(
                    pid, {"status": status}, version=v, user="bench"
                )
            )
            inline = bool(row.attrs.get("derived") and row.attrs["derived"].written)
            print(
                f"status edit {k + 1} (to {status}): two steps {two_s * 1000:.0f} ms ({two_cpu * 1000:.0f} ms CPU); "
                f"in one transaction ({'inline' if inline else 'two steps'}) {one_s * 1000:.0f} ms "
                f"({one_cpu * 1000:.0f} ms CPU); load average {os.getloadavg()[0]:.1f}"
                f"{'; notes: ' + '; '.join(notes) if notes else ''}"
            )


if __name__ == "__main__":
    main()
