"""Load: N editors and N readers at once against one park over HTTP, on each backend (issue 14).

    python -m bench.load [--parcels 10000] [--editors 8] [--readers 8] [--seconds 60] [--postgis URL] [--quick]
                         [--mode both|paced|saturated] [--pace editor=5,reader=1]

Two ways to load the server, each run in turn on each backend (``--mode``, default both):

- **paced** (open loop): each editor starts an edit every ``editor`` seconds and each reader a
  request every ``reader`` seconds on average (``--pace``; Poisson arrivals, each client's own
  random schedule), whether or not the server has answered the previous one. Each latency is
  counted from the request's *scheduled* start, so a client held up by a slow answer counts the
  wait of every request it should have sent meanwhile (no coordinated omission). This is the
  latency a user sees at that pace, and **the goals are judged on it**. The default pace is that of a
  busy planning office at several times its real pace: an editor saving an edit every 5 s (open
  a parcel, change a field, save: a fast clerk does it in 10–30 s) and a map or list client asking
  something every second (a user panning and filtering); 8 + 8 of them offer 11.2 requests a
  second (each edit is a read and a PATCH), about a third of what one server process answers
  saturated. The offered rate is printed beside the rate answered.
- **saturated** (closed loop, no pause): each client sends its next request as soon as the
  previous one is answered. This measures the **throughput** (requests a second at saturation)
  and the server's CPU per request; its latencies are the queue of 16 clients in front of one
  process (about 16 × the CPU per request), not what a user at a realistic pace sees: they are
  printed, without a verdict.

Bounded and loopback only: the planner's server (``create_app`` under uvicorn, in a process
of its own on 127.0.0.1) serves one synthetic park of ``--parcels`` parcels
(:func:`bench.api.build_gpkg`: validated through the store, readiness computed), first from
a GeoPackage, then, when a server is given (``--postgis`` or ``PLANNER_TEST_POSTGIS_URL``),
from its copy in a throwaway PostGIS database. For ``--seconds``, each client in a thread of
its own with its own ``requests.Session``:

- an editor picks a parcel among the first ``--hot`` (so that editors meet), reads it
  (``GET /parcels/{id}``: its version), and PATCHes it with ``If-Match``; one edit in four
  (``--readiness-share``) changes ``power_kva`` (a readiness input: readiness is computed again), the others
  ``holder`` (a plain edit). A 409 is a conflict: it reads the parcel again and retries.
- a reader alternates ``GET /parcels`` with filters (status, area, ready) and
  ``GET /parcels/{id}``.

Paced, an edit's latency is from its scheduled start to its 200: the read of the version and the
PATCH (and any retry after a 409); saturated, the PATCH alone (as before).

Beside it, a peer (``--peer-seconds``): the same editors' edits as plain SQL ``UPDATE … WHERE
version = ?`` through sqlite3/psycopg, one connection per editor, the park's triggers keeping
versions and history: the floor of an edit, printed with the planner's p50 over it.

Before the runs, each kind of request the clients make is sent ``--per-request`` times alone, one after the
other: the server process's CPU milliseconds per request (``/proc``), what a request costs it whatever the load.

Printed: requests per second; p50/p99 of reads, plain edits and readiness-input edits;
conflicts (409); errors (any 5xx or connection error); and "history rows = successful
edits": the park's history rows of parcels written after the start whose changes name
``holder`` or ``power_kva`` (read through the store), beside the number of PATCHes answered
200. Each figure has its goal beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import requests
from psycopg import sql

from bench.api import _wait_up, build_gpkg, free_port, mark_readiness
from planner.api.auth import Token
from planner.store import copy_park, open_store
from planner.store.gpkg_format import register_functions

DATABASE = f"planner_bench_load_{os.getpid()}"
"""This run's throwaway database: named by the process, so that two runs on one server do not drop each other's."""
TOKEN = "bench-load-editor-token-0123456789"
EDITED = ("holder", "power_kva")
GOALS = {  # kind: (statistic, limit ms)
    "read": ("p99", 100.0),
    "plain edit": ("p50", 50.0),
    "readiness-input edit": ("p50", 250.0),
}
READ_QUERIES = (
    {"status": "supplied", "limit": "50"},
    {"min_area_mu": "100", "limit": "50"},
    {"ready": "true", "limit": "50"},
    {"status": "planned", "max_area_mu": "80", "limit": "20"},
)


def serve(location: str, port: int) -> None:
    """Run in the server process: the API over one store, one editor's token, under uvicorn."""
    import uvicorn

    from planner.api import create_app

    app = create_app(open_store(location), tokens={TOKEN: Token("bench-editor", "editor")})
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


class Tally:
    """What the clients saw: the seconds of each kind of request, conflicts, errors; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.seconds[kind].append(seconds)

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1


def _request(tally: Tally, session: requests.Session, method: str, url: str, **kw: object) -> requests.Response | None:
    """One request; None (and an error counted) on a connection error or a 5xx."""
    try:
        # an edit waits as long as it takes (it may be committed by then: a timeout would hide its 200)
        got = session.request(method, url, timeout=600 if method == "PATCH" else 60, **kw)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        tally.count("errors")
        tally.count(f"error {method} {type(exc).__name__}")
        return None
    tally.count("requests")
    if got.status_code >= 500:
        tally.count("errors")
        tally.count(f"error {method} {got.status_code}")
        return None
    return got


READINESS_SHARE = 0.25
"""The share of edits that change a readiness input (``--readiness-share``)."""


PACE = {"editor": 5.0, "reader": 1.0}
"""Paced mode's mean seconds between one editor's edits and between one reader's requests (``--pace``;
the module notes say why)."""


class Schedule:
    """The start times of one client's requests: closed loop (``every`` None: each as soon as the previous one is
    answered) or paced (Poisson arrivals, ``every`` seconds apart on average, whatever the answers' delay)."""

    def __init__(self, every: float | None, stop: float, seed: int):
        self.every, self.stop = every, stop
        self.rng = np.random.default_rng(seed + 7919)
        self.next = time.perf_counter() + (self.rng.exponential(every) if every else 0.0)

    def start(self) -> float | None:
        """Wait for the next start; the time it was due (None when the run is over). A paced client that
        is late starts at once, and its latency is counted from when it was due."""
        now = time.perf_counter()
        if self.every is None:
            return now if now < self.stop else None
        due = self.next
        if due >= self.stop:
            return None
        if due > now:
            time.sleep(due - now)
        self.next = due + self.rng.exponential(self.every)
        return due


def editor(
    url: str,
    ids: list[str],
    stop: float,
    tally: Tally,
    seed: int,
    share: float = READINESS_SHARE,
    every: float | None = None,
) -> None:
    """Edits until ``stop``: closed loop, or paced one every ``every`` s (its latency then from its due start)."""
    rng = np.random.default_rng(seed)
    schedule = Schedule(every, stop, seed)
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {TOKEN}"
        step = 0
        while (due := schedule.start()) is not None:
            step += 1  # every edit's value new, so that every edit is a change (and a history row)
            pid = ids[int(rng.integers(len(ids)))]
            readiness = rng.random() < share
            kind = "readiness-input edit" if readiness else "plain edit"
            body = {"power_kva": 1000.0 + seed + step / 1000} if readiness else {"holder": f"企业{seed}-{step}"}
            for _ in range(5):  # a 409: read again, edit again
                got = _request(tally, s, "GET", f"{url}/parcels/{pid}")
                if got is None or got.status_code != 200:
                    break
                t = time.perf_counter() if every is None else due  # paced: the read and any retries count
                answer = _request(
                    tally, s, "PATCH", f"{url}/parcels/{pid}", json=body, headers={"If-Match": got.headers["ETag"]}
                )
                if answer is None:
                    break
                if answer.status_code == 409:
                    tally.count("conflicts")
                    continue
                if answer.status_code == 200:
                    tally.add(kind, time.perf_counter() - t)
                    tally.count("edits ok")
                else:
                    tally.count(f"PATCH {answer.status_code}")
                break


def reader(url: str, ids: list[str], stop: float, tally: Tally, seed: int, every: float | None = None) -> None:
    """Reads until ``stop``: closed loop, or paced one every ``every`` s (its latency then from its due start)."""
    rng = np.random.default_rng(seed)
    schedule = Schedule(every, stop, seed)
    with requests.Session() as s:
        k = 0
        while (t := schedule.start()) is not None:
            k += 1
            if k % 2:
                got = _request(tally, s, "GET", f"{url}/parcels", params=READ_QUERIES[k // 2 % len(READ_QUERIES)])
            else:
                got = _request(tally, s, "GET", f"{url}/parcels/{ids[int(rng.integers(len(ids)))]}")
            if got is None:
                continue
            got.content  # noqa: B018 - the whole body, as a client reads it
            if got.status_code == 200:
                tally.add("read", time.perf_counter() - t)
            else:
                tally.count(f"read {got.status_code}")


def edit_history_rows(location: str, since: int) -> int:
    """History rows of parcels after history row ``since`` whose changes name a column the editors edit."""
    with open_store(location) as store:
        rows = store.changes_since(since, with_changes=True)
    rows = rows[rows["layer"] == "parcels"]
    return sum(bool(set(json.loads(c) if isinstance(c, str) else c or {}) & set(EDITED)) for c in rows["changes"])


def warm(s: requests.Session, url: str, pid: str) -> None:
    """One edit of each kind before the clock starts (a parcel no editor picks): what the server loads at first."""
    for body in ({"holder": "预热"}, {"power_kva": 1000.0}):
        version = s.get(f"{url}/parcels/{pid}", timeout=600).headers["ETag"]
        headers = {"If-Match": version, "Authorization": f"Bearer {TOKEN}"}
        s.patch(f"{url}/parcels/{pid}", json=body, headers=headers, timeout=600).raise_for_status()


@contextlib.contextmanager
def served(location: str) -> Iterator[tuple[str, subprocess.Popen, list[str]]]:
    """The server over ``location`` in a process of its own, up, the park loaded and warm: its URL, its
    process and the park's parcel ids; stopped at the end."""
    with open_store(location) as store:
        mark_readiness(store)  # readiness as of now: `ready=` is served, not refused as stale
        ids = sorted(store.read_parcels()["parcel_id"])
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(Path.cwd()), os.environ.get("PYTHONPATH")])))
    argv = [sys.executable, "-m", "bench.load", "--serve", location, "--port", str(port)]
    proc = subprocess.Popen(argv, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        with requests.Session() as s:
            _wait_up(s, url, proc)
            s.get(f"{url}/parcels", params=READ_QUERIES[0], timeout=600).raise_for_status()  # load the park
            warm(s, url, ids[-1])
        yield url, proc, ids
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def run_load(
    location: str,
    editors: int,
    readers: int,
    seconds: float,
    hot: int,
    share: float = READINESS_SHARE,
    pace: dict[str, float] | None = None,
    seed: int = 0,
) -> dict:
    """Serve ``location``, run the clients for ``seconds`` (closed loop, or at ``pace``); the tally and the
    history check. Each run on a park needs its own ``seed``: an edit repeating an earlier run's value would
    change nothing (a 200 without a history row)."""
    tally = Tally()
    with served(location) as (url, proc, ids):
        with open_store(location) as store:
            since = store.change_stamp()
        start, cpu = time.perf_counter(), _process_cpu(proc.pid)
        stop = start + seconds
        every_edit, every_read = (pace["editor"], pace["reader"]) if pace else (None, None)
        with ThreadPoolExecutor(editors + readers) as pool:
            jobs = [
                pool.submit(editor, url, ids[:hot], stop, tally, seed + 10 + k, share, every_edit)
                for k in range(editors)
            ]
            jobs += [pool.submit(reader, url, ids, stop, tally, seed + 100 + k, every_read) for k in range(readers)]
            for job in jobs:
                job.result()
        elapsed, cpu = time.perf_counter() - start, _process_cpu(proc.pid) - cpu
    result = {"tally": tally, "elapsed": elapsed, "history": edit_history_rows(location, since), "server_cpu": cpu}
    if pace:  # each edit a read and a PATCH
        result["offered"] = editors * 2 / pace["editor"] + readers / pace["reader"]
    return result


def cpu_per_request(location: str, count: int, hot: int) -> dict[str, tuple[float, float]]:
    """Each kind of request the clients make, ``count`` times one after the other by one client: the server
    process's milliseconds of CPU (``/proc``) and the client's of wall per request, by kind. What a request
    costs the server with no other request beside it, whatever else the machine runs."""
    kinds: dict[str, tuple[float, float]] = {}
    with served(location) as (url, proc, ids), requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {TOKEN}"
        for query in READ_QUERIES:
            s.get(f"{url}/parcels", params=query, timeout=600).raise_for_status()

        def timed(kind: str, ask: Any) -> None:
            cpu, wall = _process_cpu(proc.pid), time.perf_counter()
            for k in range(count):
                ask(k).raise_for_status()
            kinds[kind] = (1000 * (_process_cpu(proc.pid) - cpu) / count, 1000 * (time.perf_counter() - wall) / count)

        etags = {pid: s.get(f"{url}/parcels/{pid}", timeout=600).headers["ETag"] for pid in ids[:hot]}

        def edit(k: int) -> requests.Response:
            pid = ids[k % hot]
            got = s.patch(f"{url}/parcels/{pid}", json={"holder": f"单测{k}"}, headers={"If-Match": etags[pid]})
            etags[pid] = got.headers.get("ETag", etags[pid])
            return got

        timed("GET /parcels?… (the 4 queries in turn)", lambda k: s.get(f"{url}/parcels", params=READ_QUERIES[k % 4]))
        timed("GET /parcels/{id}", lambda k: s.get(f"{url}/parcels/{ids[(7 * k) % len(ids)]}"))
        timed("PATCH holder (If-Match)", edit)
    return kinds


def report_per_request(name: str, kinds: dict[str, tuple[float, float]], count: int) -> None:
    print(f"\n{name}, each kind of request {count} times alone, one after the other: the server's CPU per request")
    print(f"{'request':<40} {'CPU ms':>8} {'wall ms':>8}")
    for kind, (cpu, wall) in kinds.items():
        print(f"{kind:<40} {cpu:>8.1f} {wall:>8.1f}")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` used so far, from ``/proc`` (0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peer_connect(location: str) -> tuple[Any, str, str]:
    """A plain connection to the park (sqlite3 or psycopg), its parcels table's name and the parameter mark."""
    if location.startswith("postgresql://"):
        url, park = location.split("?park=")
        conn = psycopg.connect(url, autocommit=True)
        row = conn.execute("SELECT schema_name FROM planner.parks WHERE park_id = %s", (park,)).fetchone()
        return conn, f'"{row[0]}".parcels', "%s"
    conn = sqlite3.connect(location, timeout=60, isolation_level=None)
    register_functions(conn)  # the GeoPackage's R-tree triggers call ST_IsEmpty …, as GDAL and QGIS register them
    return conn, "parcels", "?"


def peer_editor(
    location: str, ids: list[str], stop: float, tally: Tally, seed: int, share: float = READINESS_SHARE
) -> None:
    """The same edits as :func:`editor`, as plain SQL: read the version, ``UPDATE … WHERE version = ?`` (the floor).

    The park's triggers version each edit and keep its history row, as they do any client's; no
    validation, no HTTP, no recomputation.
    """
    rng = np.random.default_rng(seed)
    conn, table, mark = _peer_connect(location)
    try:
        step = 0
        while time.perf_counter() < stop:
            step += 1
            pid = ids[int(rng.integers(len(ids)))]
            readiness = rng.random() < share
            kind = "readiness-input edit" if readiness else "plain edit"
            column, value = (
                ("power_kva", 1000.0 + seed + step / 1000) if readiness else ("holder", f"企业{seed}-{step}")
            )
            t = time.perf_counter()
            try:
                if mark == "?":
                    conn.execute("BEGIN IMMEDIATE")
                version = conn.execute(f"SELECT version FROM {table} WHERE parcel_id = {mark}", (pid,)).fetchone()[0]
                done = conn.execute(
                    f"UPDATE {table} SET {column} = {mark} WHERE parcel_id = {mark} AND version = {mark}",
                    (value, pid, version),
                ).rowcount
                if mark == "?":
                    conn.execute("COMMIT")
            except (sqlite3.Error, psycopg.Error) as exc:
                tally.count("errors")
                tally.count(f"error SQL {type(exc).__name__}")
                if mark == "?" and conn.in_transaction:
                    conn.execute("ROLLBACK")
                continue
            tally.count("requests")
            if done:
                tally.add(kind, time.perf_counter() - t)
                tally.count("edits ok")
            else:
                tally.count("conflicts")
    finally:
        conn.close()


def run_peer(location: str, editors: int, seconds: float, hot: int, share: float = READINESS_SHARE) -> dict:
    """:func:`peer_editor` in ``editors`` threads for ``seconds``: the floor the planner's edits are set against."""
    with open_store(location) as store:
        ids = sorted(store.read_parcels()["parcel_id"])[:hot]
    tally = Tally()
    start = time.perf_counter()
    with ThreadPoolExecutor(editors) as pool:
        for job in [
            pool.submit(peer_editor, location, ids, start + seconds, tally, 10 + k, share) for k in range(editors)
        ]:
            job.result()
    return {"tally": tally, "elapsed": time.perf_counter() - start}


def report_peer(name: str, result: dict, ours: dict) -> None:
    """The peer's edit latencies beside the planner's, with the ratio."""
    tally, elapsed = result["tally"], result["elapsed"]
    rate = tally.counts["edits ok"] / elapsed
    print(f"\n{name}, peer: the same edits as plain SQL UPDATEs, {elapsed:.1f} s, {rate:.1f} edits per second")
    print(f"(the planner's p50 of its last run, {'paced' if 'offered' in ours else 'saturated'})")
    print(f"{'what':<22} {'n':>6} {'p50 ms':>9} {'p99 ms':>9}  {'planner p50':>11}  ratio")
    for kind in ("plain edit", "readiness-input edit"):
        v, mine = tally.seconds.get(kind, []), ours["tally"].seconds.get(kind, [])
        p50, p99, our50 = _ms(v, 50), _ms(v, 99), _ms(mine, 50)
        print(f"{kind:<22} {len(v):>6} {p50:>9.1f} {p99:>9.1f}  {our50:>11.1f}  {our50 / p50:.1f}× the peer's p50")
    print(f"{'errors':<22} {tally.counts['errors']:>6}   conflicts {tally.counts['conflicts']}")
    for key in sorted(k for k in tally.counts if k.startswith("error ")):
        print(f"  {key:<20} {tally.counts[key]:>6}")


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values) * 1000, q)) if values else float("nan")


def report(name: str, result: dict) -> None:
    """The run's figures: paced, against the goals; saturated, the throughput and its queueing latencies."""
    tally, elapsed = result["tally"], result["elapsed"]
    counts = tally.counts
    paced = "offered" in result
    answered = counts["requests"] / elapsed
    if paced:
        print(
            f"\n{name}, paced: {elapsed:.1f} s, {result['offered']:.1f} requests per second offered, "
            f"{answered:.1f} answered (latency from each request's due start)"
        )
    else:
        print(f"\n{name}, saturated: {elapsed:.1f} s, {answered:.1f} requests per second (the throughput)")
    cpu = result.get("server_cpu", 0.0)
    print(
        f"server process: {cpu:.1f} s of CPU in {elapsed:.1f} s ({cpu / elapsed:.0%} of a core; load average "
        f"{os.getloadavg()[0]:.1f}), {1000 * cpu / max(counts['requests'], 1):.1f} ms of CPU per request"
    )
    print(f"{'what':<22} {'n':>6} {'p50 ms':>9} {'p99 ms':>9}  goal")
    for kind, (stat, limit) in GOALS.items():
        v = tally.seconds.get(kind, [])
        p50, p99 = _ms(v, 50), _ms(v, 99)
        got = p50 if stat == "p50" else p99
        verdict = ("met" if got < limit else "NOT met") if paced else "(queueing: the goals are judged paced)"
        print(f"{kind:<22} {len(v):>6} {p50:>9.1f} {p99:>9.1f}  {stat} < {limit:.0f} ms: {verdict}")
    print(f"{'conflicts (409)':<22} {counts['conflicts']:>6}")
    print(f"{'errors':<22} {counts['errors']:>6}  goal 0: {'met' if counts['errors'] == 0 else 'NOT met'}")
    for key in sorted(k for k in counts if k.startswith(("read ", "PATCH ", "error "))):
        print(f"  {key:<20} {counts[key]:>6}")
    ok, rows = counts["edits ok"], result["history"]
    agree = (
        "agree"
        if ok == rows
        else f"DIFFER: {ok - rows} lost"
        if ok > rows
        else f"DIFFER: {rows - ok} committed without a 200"
    )
    print(f"history rows = successful edits: {rows} = {ok}: {agree} (goal: zero lost edits)")


def _pace(text: str) -> dict[str, float]:
    """``editor=5,reader=1`` as a pace (both given, each a positive number of seconds)."""
    try:
        given = {k.strip(): float(v) for k, v in (part.split("=") for part in text.split(","))}
    except ValueError:
        given = {}
    if set(given) != set(PACE) or min(given.values()) <= 0:
        msg = f"--pace {text!r}: give editor=SECONDS,reader=SECONDS, both above 0, e.g. editor=5,reader=1"
        raise argparse.ArgumentTypeError(msg)
    return given


def postgis_location(gpkg: Path, server: str) -> str:
    parts = server.split("?", maxsplit=1)[0].rsplit("/", maxsplit=1)
    url = f"{parts[0]}/{DATABASE}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    copy_park(gpkg, url, overwrite=True).close()
    return f"{url}?park=BENCH"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parcels", type=int, default=10_000)
    parser.add_argument("--editors", type=int, default=8)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--hot", type=int, default=200, help="editors edit the first HOT parcels (so they meet)")
    parser.add_argument("--postgis", default=os.environ.get("PLANNER_TEST_POSTGIS_URL"), help="PostgreSQL server")
    parser.add_argument("--readiness-share", type=float, default=READINESS_SHARE, help="share of power_kva edits")
    parser.add_argument("--peer-seconds", type=float, default=20.0, help="the plain-SQL peer's run (0: none)")
    parser.add_argument("--quick", action="store_true", help="2 + 2 clients, 500 parcels, 8 s")
    parser.add_argument("--mode", choices=("both", "paced", "saturated"), default="both")
    parser.add_argument("--per-request", type=int, default=50, help="each kind of request N times alone (0: none)")
    parser.add_argument(
        "--pace",
        type=_pace,
        default=PACE,
        help="paced mode's mean seconds between an editor's edits and a reader's requests (editor=5,reader=1)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if args.quick:
        args.parcels, args.editors, args.readers, args.seconds, args.hot = 500, 2, 2, 8.0, 50
        args.peer_seconds = min(args.peer_seconds, 4.0)
        args.per_request = min(args.per_request, 10)
    print(
        f"{args.editors} editors + {args.readers} readers, {args.parcels:,} parcels, {args.seconds:g} s each run; "
        f"paced: an edit every {args.pace['editor']:g} s per editor, a read every {args.pace['reader']:g} s per reader"
    )
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (the machine may be shared)")
    folder = Path(tempfile.mkdtemp(prefix="planner-bench-load-"))
    try:
        gpkg = folder / "park.gpkg"
        build_gpkg(gpkg, args.parcels)
        backends = {"GeoPackage": str(gpkg)}
        if args.postgis:
            backends["PostGIS"] = postgis_location(gpkg, args.postgis)
        paces = {"paced": [args.pace], "saturated": [None], "both": [args.pace, None]}[args.mode]
        for name, location in backends.items():
            if args.per_request > 0:
                report_per_request(name, cpu_per_request(location, args.per_request, args.hot), args.per_request)
            for run, pace in enumerate(paces):
                ours = run_load(
                    location, args.editors, args.readers, args.seconds, args.hot, args.readiness_share, pace, 1000 * run
                )
                report(name, ours)
            if args.peer_seconds > 0:
                report_peer(
                    name, run_peer(location, args.editors, args.peer_seconds, args.hot, args.readiness_share), ours
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if args.postgis:
            with psycopg.connect(args.postgis, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
    print(f"\nload average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
